package audiofile

import (
	"fmt"
	"io"
	"math"
	"path/filepath"
	"testing"

	"github.com/verbatim-app/verbatim/capture/pcm"
	"github.com/verbatim-app/verbatim/tools/testenv"
)

// speechLike is n frames at rate of a 150 Hz buzz with harmonics in 200 ms syllables (testenv.Voice's
// recipe, at any rate) plus a chirp sweeping 200 Hz to 0.45 of the rate on the second channel, so that
// every band the codec keeps is exercised.
func speechLike(rate, n, channels int) []float32 {
	x := make([]float32, n*channels)
	for i := range n {
		t := float64(i) / float64(rate)
		env := 0.05 + 0.95*math.Sin(math.Pi*math.Mod(t, 0.2)/0.2)
		var v float64
		for h := 1; h <= 8 && 150*float64(h) < 0.45*float64(rate); h++ {
			v += math.Sin(2*math.Pi*150*float64(h)*t) / float64(h)
		}
		x[i*channels] = float32(0.25 * env * v)
		if channels == 2 {
			f1 := 0.45 * float64(rate)
			dur := float64(n) / float64(rate)
			phase := 2 * math.Pi * (200*t + (f1-200)*t*t/(2*dur))
			x[i*channels+1] = float32(0.2*math.Sin(phase)) + x[i*channels]*0.5
		}
	}
	return x
}

// decodeNative decodes a file at its own rate, downmixed to mono but not resampled.
func decodeNative(t *testing.T, path string) ([]float32, int, int) {
	t.Helper()
	s, err := Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	var out []float32
	for {
		block, err := s.src.next()
		if s.channels == 1 {
			out = append(out, block...)
		} else {
			out = append(out, s.downmix(block)...)
		}
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatalf("%s: %v", path, err)
		}
	}
	return out, s.SourceRate(), s.SourceChannels()
}

func writeWAV(t *testing.T, path string, interleaved []float32, rate, channels int) {
	t.Helper()
	b := append(pcm.WAVHeader(rate, channels, int64(2*len(interleaved))), pcm.AppendPCM16(nil, interleaved)...)
	writeFile(t, path, b)
}

// bestCorrelation is the highest normalised correlation of a and b over lags up to ±maxLag, judged on
// the middle of the signals (the codec's start and end transients are not the decoder's doing).
func bestCorrelation(a, b []float32, maxLag int) (float64, int) {
	n := min(len(a), len(b))
	lo, hi := n/10+maxLag, n-n/10-maxLag
	best, bestLag := -1.0, 0
	for lag := -maxLag; lag <= maxLag; lag++ {
		var ab, aa, bb float64
		for i := lo; i < hi; i++ {
			x, y := float64(a[i]), float64(b[i+lag])
			ab += x * y
			aa += x * x
			bb += y * y
		}
		if c := ab / math.Sqrt(aa*bb); c > best {
			best, bestLag = c, lag
		}
	}
	return best, bestLag
}

// TestMP3Grid encodes a speech-like signal with lame at every sample rate MPEG audio has (MPEG-1, 2
// and 2.5) and the bit rates from 32 to 320 kbps each allows, mono and stereo, and compares the decode
// with lame's own decoder. go-mp3 gave a correlation of 0.41 at 22.05 kHz, 32 and 96 kbps.
func TestMP3Grid(t *testing.T) {
	testenv.NeedTools(t, "lame")
	dir := t.TempDir()
	mpeg1 := []int{32, 64, 96, 128, 160, 192, 256, 320}
	mpeg2 := []int{32, 64, 96, 128, 160} // MPEG-2 and 2.5 stop at 160 kbps
	worst := 1.0
	for i, rate := range []int{8000, 11025, 12000, 16000, 22050, 24000, 32000, 44100, 48000} {
		kbps := mpeg2
		if rate >= 32000 {
			kbps = mpeg1
		}
		for j, b := range kbps {
			channels := 1 + (i+j)%2
			name := fmt.Sprintf("%dHz-%dkbps-%dch", rate, b, channels)
			in := filepath.Join(dir, name+".wav")
			mp3 := filepath.Join(dir, name+".mp3")
			ref := filepath.Join(dir, name+"-ref.wav")
			writeWAV(t, in, speechLike(rate, rate*2, channels), rate, channels)
			mode := "m"
			if channels == 2 {
				mode = "j"
			}
			run(t, "lame", "--quiet", "--cbr", "-b", fmt.Sprint(b), "-m", mode, "--resample", fmt.Sprint(float64(rate)/1000), in, mp3)
			run(t, "lame", "--quiet", "--decode", mp3, ref)
			// Compare at the file's own rate, before resampling, where the decoders' outputs line up to
			// the sample.
			got, gotRate, gotCh := decodeNative(t, mp3)
			want, _, _ := decodeNative(t, ref)
			if gotRate != rate || gotCh != channels {
				t.Errorf("%s: decoded as %d Hz × %d", name, gotRate, gotCh)
			}
			c, lag := bestCorrelation(got, want, 600)
			worst = min(worst, c)
			t.Logf("%-22s correlation %.6f at lag %d, %d vs %d samples", name, c, lag, len(got), len(want))
			if c < 0.99 {
				t.Errorf("%s: correlation with lame's decode %.4f, want ≥ 0.99", name, c)
			}
			// Where lame wrote no info frame (too small at 32 kbps), libmpg123 keeps the decoder's
			// 529-sample delay that lame --decode drops; otherwise both trim the same.
			if lag != 0 && lag != -529 {
				t.Errorf("%s: offset %d samples from lame's decode, want 0 (or the 529-sample decoder delay)", name, lag)
			}
			if d := len(got) + lag - len(want); d < -1152 || d > 1152 {
				t.Errorf("%s: %d samples, lame's decode %d", name, len(got), len(want))
			}
		}
	}
	t.Logf("worst correlation %.6f", worst)
}
