package pcm

import (
	"encoding/binary"
	"math"
	"math/rand/v2"
	"testing"
	"time"
)

// FuzzResample: for any rate pair and any chunking of any finite input, streaming gives exactly the
// samples of one call, exactly ResampledLen of them, with no NaN or infinity, and a resampler reused after
// Flush gives them again. Inputs are 16-bit PCM in [-1, 1), the range every caller feeds.
func FuzzResample(f *testing.F) {
	le16 := func(x []float32) []byte {
		b := make([]byte, 0, 2*len(x))
		for _, v := range x {
			b = binary.LittleEndian.AppendUint16(b, uint16(int16(v*32767)))
		}
		return b
	}
	f.Add(uint32(44100), uint32(16000), le16(tone(1000, 44100, 2000, 0.9)), uint64(1))
	f.Add(uint32(48000), uint32(16000), le16(tone(7000, 48000, 1000, 1)), uint64(2))
	f.Add(uint32(8000), uint32(16000), le16(tone(3900, 8000, 700, 1)), uint64(3))
	f.Add(uint32(7919), uint32(16000), []byte{0xff, 0x7f, 0x00, 0x80, 0xff, 0x7f, 0x00, 0x80}, uint64(4))
	f.Add(uint32(384000), uint32(16000), le16(tone(100, 384000, 3000, 1)), uint64(5))
	f.Add(uint32(1), uint32(3), []byte{1, 2, 3, 4}, uint64(6))
	f.Add(uint32(16000), uint32(16000), []byte{0xff, 0x7f, 0x00, 0x80}, uint64(7))
	f.Fuzz(func(t *testing.T, inRate, outRate uint32, data []byte, seed uint64) {
		in, out := int(inRate%MaxRate)+1, int(outRate%MaxRate)+1
		x := make([]float32, len(data)/2)
		for i := range x {
			x[i] = float32(int16(binary.LittleEndian.Uint16(data[2*i:]))) / 32768
		}
		want := ResampledLen(int64(len(x)), in, out)
		// Keep each input cheap (milliseconds), so that a fixed count of runs stays short: skip pairs whose
		// filter table or convolution would be big (about 92 taps per unit of downsampling ratio, a row
		// per phase up to maxPhases). The rules are the same for every pair; only the cost differs.
		taps := int64(92 * max(1, (in+out-1)/out))
		rows := int64(min(out/gcd(in, out), maxPhases) + 1)
		if rows*taps > 1<<18 || (want+int64(len(x)))*taps > 1<<20 {
			return
		}
		start := time.Now()
		r, err := NewResampler(in, out)
		if err != nil {
			// Only a downsampling ratio whose filter table would be too big may be refused.
			if in <= 32*out {
				t.Fatalf("NewResampler(%d, %d): %v", in, out, err)
			}
			return
		}
		whole := append(r.Process(x), r.Flush()...)
		if int64(len(whole)) != want {
			t.Fatalf("%d → %d Hz, %d samples: %d out, want %d", in, out, len(x), len(whole), want)
		}
		// A linear filter's output is bounded by its largest row's absolute sum times the input's peak (a
		// full-scale square wave near Nyquist rings past 2); interpolated rows are mixes of two rows.
		peak, gain := 0.0, 1.0 // same rate: a copy
		for _, v := range x {
			peak = max(peak, math.Abs(float64(v)))
		}
		for row := range len(r.table) / max(2*r.half, 1) {
			l1 := 0.0
			for _, h := range r.table[row*2*r.half : (row+1)*2*r.half] {
				l1 += math.Abs(float64(h))
			}
			gain = max(gain, l1)
		}
		for i, v := range whole {
			if math.IsNaN(float64(v)) || math.IsInf(float64(v), 0) || math.Abs(float64(v)) > peak*gain*1.0001+1e-6 {
				t.Fatalf("%d → %d Hz: sample %d is %v, beyond the filter's bound %v", in, out, i, v, peak*gain)
			}
		}
		// The same resampler, reused, fed in random chunks (empty ones included) through the append API.
		rng := rand.New(rand.NewPCG(seed, seed>>32))
		var got []float32
		for rest := x; len(rest) > 0; {
			k := min(len(rest), rng.IntN(2*len(x)/3+2))
			got = r.AppendProcess(got, rest[:k])
			rest = rest[k:]
		}
		got = r.AppendFlush(got)
		if len(got) != len(whole) {
			t.Fatalf("%d → %d Hz: streamed %d samples, one call %d", in, out, len(got), len(whole))
		}
		for i := range got {
			if got[i] != whole[i] {
				t.Fatalf("%d → %d Hz: streamed sample %d is %v, one call gave %v", in, out, i, got[i], whole[i])
			}
		}
		if took := time.Since(start); took > 5*time.Second {
			t.Fatalf("%d → %d Hz, %d samples took %v", in, out, len(x), took)
		}
	})
}
