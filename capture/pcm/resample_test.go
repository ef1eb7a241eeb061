package pcm

import (
	"math"
	"math/rand/v2"
	"testing"
)

func tone(freq float64, rate, n int, amp float64) []float32 {
	s := make([]float32, n)
	for i := range s {
		s[i] = float32(amp * math.Sin(2*math.Pi*freq*float64(i)/float64(rate)))
	}
	return s
}

// fitTone least-squares fits a sine and cosine at freq to x and returns the fitted amplitude and the
// residual (everything that is not the tone: distortion, aliasing, noise) in dB relative to the tone.
func fitTone(x []float32, freq float64, rate int) (amp, residualDB float64) {
	var ss, cc, sc, xs, xc float64
	for i, v := range x {
		w := 2 * math.Pi * freq * float64(i) / float64(rate)
		s, c := math.Sin(w), math.Cos(w)
		ss += s * s
		cc += c * c
		sc += s * c
		xs += float64(v) * s
		xc += float64(v) * c
	}
	det := ss*cc - sc*sc
	a := (xs*cc - xc*sc) / det
	b := (xc*ss - xs*sc) / det
	var res, sig float64
	for i, v := range x {
		w := 2 * math.Pi * freq * float64(i) / float64(rate)
		f := a*math.Sin(w) + b*math.Cos(w)
		sig += f * f
		d := float64(v) - f
		res += d * d
	}
	return math.Hypot(a, b), 10 * math.Log10(res/sig)
}

func rms(x []float32) float64 {
	var s float64
	for _, v := range x {
		s += float64(v) * float64(v)
	}
	return math.Sqrt(s / float64(len(x)))
}

func TestToneKeepsFrequency(t *testing.T) {
	for _, rate := range []int{44100, 48000, 22050, 8000, 11025, 32000, 96000, 44056, Rate} {
		in := tone(1000, rate, rate, 0.5) // one second
		out, err := Resample(in, rate, Rate)
		if err != nil {
			t.Fatal(err)
		}
		if len(out) != Rate {
			t.Errorf("%d Hz: got %d samples, want %d", rate, len(out), Rate)
		}
		// Skip the edges, where the input starts and stops abruptly.
		amp, resDB := fitTone(out[800:15200], 1000, Rate)
		t.Logf("%6d Hz → 16 kHz: amplitude %.5f, residual %.1f dB", rate, amp, resDB)
		if math.Abs(amp-0.5) > 0.005 {
			t.Errorf("%d Hz: amplitude %.4f, want 0.5", rate, amp)
		}
		if resDB > -60 {
			t.Errorf("%d Hz: distortion %.1f dB, want ≤ -60 dB", rate, resDB)
		}
	}
}

func TestAntiAliasing(t *testing.T) {
	for _, tc := range []struct {
		rate int
		freq float64
	}{
		{48000, 8500}, {48000, 10000}, {48000, 15000}, {44100, 9000}, {44100, 20000}, {22050, 10000}, {96000, 40000},
	} {
		in := tone(tc.freq, tc.rate, tc.rate, 0.5)
		out, err := Resample(in, tc.rate, Rate)
		if err != nil {
			t.Fatal(err)
		}
		att := 20 * math.Log10(rms(out[800:15200])/rms(in))
		t.Logf("%5.0f Hz tone at %d Hz: %.1f dB", tc.freq, tc.rate, att)
		if att > -40 {
			t.Errorf("%v Hz at %d Hz: attenuated only %.1f dB, want ≤ -40 dB", tc.freq, tc.rate, att)
		}
	}
}

func TestPassband(t *testing.T) {
	for _, f := range []float64{100, 3000, 6500} {
		in := tone(f, 48000, 48000, 0.5)
		out, _ := Resample(in, 48000, Rate)
		amp, _ := fitTone(out[800:15200], f, Rate)
		if db := 20 * math.Log10(amp/0.5); math.Abs(db) > 0.1 {
			t.Errorf("%v Hz: gain %.3f dB, want within ±0.1 dB", f, db)
		}
	}
}

func TestExactLengthAndStreaming(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	for _, rate := range []int{44100, 48000, 22050, 8000, Rate, 7919, 44056} {
		for _, n := range []int{0, 1, 2, 3, 17, 441, 1000, 44101} {
			in := make([]float32, n)
			for i := range in {
				in[i] = rng.Float32()*2 - 1
			}
			whole, err := Resample(in, rate, Rate)
			if err != nil {
				t.Fatal(err)
			}
			want := ResampledLen(int64(n), rate, Rate)
			if int64(len(whole)) != want {
				t.Errorf("%d Hz, %d samples: got %d, want %d", rate, n, len(whole), want)
			}
			// Random chunking must give the same samples as one call.
			r, _ := NewResampler(rate, Rate)
			var got []float32
			for rest := in; len(rest) > 0; {
				k := min(len(rest), rng.IntN(300))
				got = append(got, r.Process(rest[:k])...)
				rest = rest[k:]
			}
			got = append(got, r.Flush()...)
			if len(got) != len(whole) {
				t.Fatalf("%d Hz, %d samples: streamed %d, whole %d", rate, n, len(got), len(whole))
			}
			for i := range got {
				if got[i] != whole[i] {
					t.Fatalf("%d Hz, %d samples: sample %d differs: %v vs %v", rate, n, i, got[i], whole[i])
				}
			}
		}
	}
}

func TestReuseAfterFlush(t *testing.T) {
	r, _ := NewResampler(44100, Rate)
	in := tone(1000, 44100, 4410, 0.5)
	a := append(r.Process(in), r.Flush()...)
	b := append(r.Process(in), r.Flush()...)
	if len(a) != len(b) {
		t.Fatalf("lengths differ after reuse: %d vs %d", len(a), len(b))
	}
	for i := range a {
		if a[i] != b[i] {
			t.Fatalf("sample %d differs after reuse", i)
		}
	}
}

func TestBadRates(t *testing.T) {
	// The last two would need filter tables of 70 M and 6 M floats.
	for _, rates := range [][2]int{{0, Rate}, {-1, Rate}, {44100, 0}, {MaxRate + 1, Rate}, {MaxRate, 1}, {383999, 4000}} {
		if _, err := NewResampler(rates[0], rates[1]); err == nil {
			t.Errorf("NewResampler(%d, %d): want error", rates[0], rates[1])
		}
	}
}

// TestEveryCaptureRateAccepted: the table bound must not refuse any rate the capture and file paths
// feed in (1 kHz to MaxRate, to 16 kHz); the odd rates near the top need the biggest tables.
func TestEveryCaptureRateAccepted(t *testing.T) {
	for _, rate := range []int{1000, 7919, 44100, 192000, 352801, 383999, MaxRate} {
		r, err := NewResampler(rate, Rate)
		if err != nil {
			t.Errorf("NewResampler(%d, %d): %v", rate, Rate, err)
			continue
		}
		if len(r.table) > maxTable {
			t.Errorf("%d Hz: table of %d floats", rate, len(r.table))
		}
	}
}

// TestAppendAPI: AppendProcess and AppendFlush add to what dst holds and give Process/Flush's samples.
func TestAppendAPI(t *testing.T) {
	in := tone(440, 44100, 5000, 0.5)
	want, _ := Resample(in, 44100, Rate)
	r, _ := NewResampler(44100, Rate)
	dst := []float32{7, 8}
	dst = r.AppendProcess(dst, in[:1234])
	dst = r.AppendProcess(dst, in[1234:])
	dst = r.AppendFlush(dst)
	if len(dst) != 2+len(want) || dst[0] != 7 || dst[1] != 8 {
		t.Fatalf("got %d samples starting %v, want 2+%d starting [7 8]", len(dst), dst[:2], len(want))
	}
	for i, v := range want {
		if dst[2+i] != v {
			t.Fatalf("sample %d: %v, want %v", i, dst[2+i], v)
		}
	}
}

func BenchmarkResample48k(b *testing.B) {
	in := tone(1000, 48000, 48000, 0.5)
	r, _ := NewResampler(48000, Rate)
	b.SetBytes(int64(len(in) * 4))
	for b.Loop() {
		r.Process(in)
	}
}

func BenchmarkResample44k(b *testing.B) {
	in := tone(1000, 44100, 44100, 0.5)
	r, _ := NewResampler(44100, Rate)
	b.SetBytes(int64(len(in) * 4))
	for b.Loop() {
		r.Process(in)
	}
}
