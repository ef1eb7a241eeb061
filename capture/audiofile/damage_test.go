package audiofile

import (
	"bytes"
	"errors"
	"math"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/mewkiz/flac/frame"
	"github.com/verbatim-app/verbatim/capture/pcm"
	"github.com/verbatim-app/verbatim/tools/testenv"
)

func sine(rate int, d time.Duration, freq float64) []float32 {
	x := make([]float32, int(d*time.Duration(rate)/time.Second))
	for i := range x {
		x[i] = float32(0.5 * math.Sin(2*math.Pi*freq*float64(i)/float64(rate)))
	}
	return x
}

func writeFile(t *testing.T, path string, b []byte) string {
	t.Helper()
	if err := os.WriteFile(path, b, 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}

func run(t *testing.T, name string, args ...string) {
	t.Helper()
	if out, err := exec.Command(name, args...).CombinedOutput(); err != nil {
		t.Fatalf("%s %s: %v\n%s", name, strings.Join(args, " "), err, out)
	}
}

// encodeFLAC writes samples as a FLAC file with the flac tool (fixed 4096-sample blocks, a padding block
// after the comments) and returns its bytes.
func encodeFLAC(t *testing.T, samples []float32, rate int) []byte {
	t.Helper()
	testenv.NeedTools(t, "flac")
	dir := t.TempDir()
	var w bytes.Buffer
	if err := pcm.EncodeWAV(&w, samples, rate); err != nil {
		t.Fatal(err)
	}
	in := writeFile(t, filepath.Join(dir, "in.wav"), w.Bytes())
	out := filepath.Join(dir, "out.flac")
	run(t, "flac", "--silent", "--force", "-b", "4096", "--padding=4096", "-o", out, in)
	b, err := os.ReadFile(out)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// flacFrames returns the byte offsets where the frames of a FLAC file start (and the file's length).
func flacFrames(t *testing.T, b []byte) []int {
	t.Helper()
	var at []int
	for i := 0; i+1 < len(b); i++ {
		if b[i] != 0xFF || b[i+1]&0xFE != 0xF8 {
			continue
		}
		rd := bytes.NewReader(b[i:])
		if _, err := frame.Parse(rd); err == nil {
			at = append(at, i)
			i += len(b) - i - rd.Len() - 1
		}
	}
	return append(at, len(b))
}

func decodeBytes(t *testing.T, b []byte, name string) (Audio, *DamageError, error) {
	t.Helper()
	a, err := Decode(bytes.NewReader(b), name)
	var d *DamageError
	if errors.As(err, &d) {
		if d.Path != name {
			t.Errorf("damage names %q, want %q", d.Path, name)
		}
		if !strings.Contains(err.Error(), name) {
			t.Errorf("error does not name the file: %v", err)
		}
	}
	return a, d, err
}

func near(a, b, tol time.Duration) bool { return a-b <= tol && b-a <= tol }

func TestDamagedWAV(t *testing.T) {
	clean := new(bytes.Buffer)
	pcm.EncodeWAV(clean, sine(pcm.Rate, time.Second, 440), pcm.Rate)
	b := clean.Bytes()
	for _, tc := range []struct {
		name string
		cut  int           // bytes kept
		at   time.Duration // where the damage is reported; -1: not a damage but an error
	}{
		{"one byte short", len(b) - 1, time.Second - time.Second/pcm.Rate},
		{"cut at 37%", pcm.WAVHeaderSize + 2*5920, 370 * time.Millisecond},
		{"cut at an odd byte", pcm.WAVHeaderSize + 2*8000 + 1, 500 * time.Millisecond},
		{"cut after the header", pcm.WAVHeaderSize, 0},
		{"cut inside the header", 30, -1},
	} {
		t.Run(tc.name, func(t *testing.T) {
			a, d, err := decodeBytes(t, b[:tc.cut], "cut.wav")
			if err == nil {
				t.Fatal("no error for a truncated file")
			}
			if tc.at < 0 {
				if d != nil || len(a.Samples) != 0 {
					t.Fatalf("want an error and no samples, got %d samples, %v", len(a.Samples), err)
				}
				return
			}
			if d == nil || !d.Truncated || d.At != tc.at {
				t.Fatalf("got %v (%#v), want a truncation at %v", err, d, tc.at)
			}
			if want := int(tc.at * pcm.Rate / time.Second); len(a.Samples) != want || a.Duration != tc.at {
				t.Errorf("%d samples (%v), want %d", len(a.Samples), a.Duration, want)
			}
		})
	}
}

func TestDamagedFLAC(t *testing.T) {
	const rate = 44100
	signal := sine(rate, 10*time.Second, 440)
	b := encodeFLAC(t, signal, rate)
	frames := flacFrames(t, b)
	if len(frames) < 100 {
		t.Fatalf("found %d frames", len(frames)-1)
	}
	ref, err := Decode(bytes.NewReader(b), "clean.flac")
	if err != nil {
		t.Fatal(err)
	}
	frameTime := func(k int) time.Duration { return time.Duration(k*4096) * time.Second / rate }
	corrupt := func(offsets ...int) []byte {
		c := append([]byte(nil), b...)
		for _, o := range offsets {
			c[o] ^= 0x5A
		}
		return c
	}
	mid := func(k int) int { return (frames[k] + frames[k+1]) / 2 }
	for _, tc := range []struct {
		name    string
		data    []byte
		bad     []int // frames replaced by silence
		skipped int   // damaged stretches (neighbouring bad frames make one)
		cutAt   int   // first frame lost to a truncation, or -1
		noAudio bool  // an error with no samples
	}{
		{"bad CRC mid-file", corrupt(mid(50)), []int{50}, 1, -1, false},
		{"bad frame header", corrupt(frames[60] + 2), []int{60}, 1, -1, false},
		{"bad sync code", corrupt(frames[61]), []int{61}, 1, -1, false},
		{"two bad frames", corrupt(mid(20), mid(80)), []int{20, 80}, 2, -1, false},
		{"three frames in a row", corrupt(mid(30), mid(31), mid(32)), []int{30, 31, 32}, 1, -1, false},
		{"bad last frame", corrupt(mid(len(frames) - 2)), nil, 0, len(frames) - 2, false},
		{"bad frame, then cut", corrupt(mid(10))[:frames[40]], []int{10}, 1, 40, false},
		{"cut inside a frame", b[:mid(70)], nil, 0, 70, false},
		{"cut between frames", b[:frames[90]], nil, 0, 90, false},
		{"cut before the first frame", b[:frames[0]], nil, 0, 0, false},
		{"cut inside STREAMINFO", b[:20], nil, 0, -1, true},
		{"cut inside the padding", b[:frames[0]-100], nil, 0, -1, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			a, d, err := decodeBytes(t, tc.data, "bad.flac")
			if err == nil {
				t.Fatal("no error for a damaged file")
			}
			t.Log(err)
			if tc.noAudio {
				if len(a.Samples) != 0 || d != nil {
					t.Fatalf("%d samples, damage %v: want an error and no samples", len(a.Samples), d)
				}
				return
			}
			if d == nil {
				t.Fatalf("got %v, want a *DamageError", err)
			}
			first := tc.cutAt
			if len(tc.bad) > 0 {
				first = tc.bad[0]
			}
			if d.At != frameTime(first) || d.Skipped != tc.skipped || d.Truncated != (tc.cutAt >= 0) {
				t.Fatalf("damage at %v, %d skipped, truncated %v; want at %v, %d skipped, truncated %v",
					d.At, d.Skipped, d.Truncated, frameTime(first), tc.skipped, tc.cutAt >= 0)
			}
			// Timestamps stay right: the same length as the clean file (or up to the cut), the same
			// samples away from the damage, silence in the middle of each bad frame.
			want := len(ref.Samples)
			if tc.cutAt >= 0 {
				want = int(frameTime(tc.cutAt) * pcm.Rate / time.Second)
			}
			if d := len(a.Samples) - want; d < -1 || d > 1 {
				t.Fatalf("%d samples, want %d", len(a.Samples), want)
			}
			isBad := func(i int) bool {
				for _, k := range tc.bad {
					lo, hi := int(frameTime(k)*pcm.Rate/time.Second), int(frameTime(k+1)*pcm.Rate/time.Second)
					if i > lo-200 && i < hi+200 {
						return true
					}
				}
				return false
			}
			for i := range min(len(a.Samples), want) - 200 {
				if !isBad(i) && a.Samples[i] != ref.Samples[i] {
					t.Fatalf("sample %d (%v) differs from the clean decode away from the damage", i, time.Duration(i)*time.Second/pcm.Rate)
				}
			}
			for _, k := range tc.bad {
				c := int((frameTime(k) + frameTime(k+1)) / 2 * pcm.Rate / time.Second)
				if a.Samples[c] != 0 || ref.Samples[c] == 0 && ref.Samples[c+1] == 0 {
					t.Errorf("frame %d: sample %d is %v, want silence (clean: %v)", k, c, a.Samples[c], ref.Samples[c])
				}
			}
		})
	}
}

// encodeMP3 writes samples (mono, at rate) as an MP3 file with lame and returns its path.
func encodeMP3(t *testing.T, dir string, samples []float32, rate int, args ...string) string {
	t.Helper()
	testenv.NeedTools(t, "lame")
	var w bytes.Buffer
	if err := pcm.EncodeWAV(&w, samples, rate); err != nil {
		t.Fatal(err)
	}
	in := writeFile(t, filepath.Join(dir, "in.wav"), w.Bytes())
	out := filepath.Join(dir, "out.mp3")
	run(t, "lame", append(append([]string{"--quiet"}, args...), in, out)...)
	return out
}

func TestTruncatedMP3(t *testing.T) {
	dir := t.TempDir()
	const dur = 5 * time.Second
	for _, tag := range []string{"info frame", "no info frame"} {
		args := []string{"-b", "128"}
		if tag == "no info frame" {
			args = append(args, "-t")
		}
		b, err := os.ReadFile(encodeMP3(t, dir, sine(44100, dur, 440), 44100, args...))
		if err != nil {
			t.Fatal(err)
		}
		a, err := Decode(bytes.NewReader(b), "whole.mp3")
		if err != nil {
			t.Fatalf("%s, whole file: %v", tag, err)
		}
		if !near(a.Duration, dur, 30*time.Millisecond) && tag == "info frame" {
			t.Errorf("%s: whole file lasts %v, want %v", tag, a.Duration, dur)
		}
		// An ID3v1 tag after the last frame is not damage, even with 0xFF bytes in its text.
		id3v1 := append([]byte("TAG\xff\xfb\x90\x00title"), make([]byte, 128-12)...)
		if _, err := Decode(bytes.NewReader(append(append([]byte(nil), b...), id3v1[:128]...)), "tagged.mp3"); err != nil {
			t.Errorf("%s, with an ID3v1 tag: %v", tag, err)
		}
		// Frame boundaries: a 128 kbps 44.1 kHz frame is 417 or 418 bytes.
		bounds := []int{}
		for i := 0; i+4 < len(b); {
			if h := mp3Header(b[i:]); h != nil && i+h.size < len(b) && mp3Header(b[i+h.size:]) != nil {
				bounds = append(bounds, i)
				i += h.size
				continue
			}
			i++
		}
		for _, cut := range []struct {
			name string
			n    int
		}{
			{"inside a frame", (bounds[len(bounds)/2] + bounds[len(bounds)/2+1]) / 2},
			{"at a frame boundary", bounds[len(bounds)/3]},
			{"one byte short", len(b) - 1},
		} {
			if tag == "no info frame" && cut.name == "at a frame boundary" {
				continue // nothing in the file says more should follow
			}
			a, d, err := decodeBytes(t, b[:cut.n], "cut.mp3")
			if d == nil || !d.Truncated {
				t.Errorf("%s, cut %s: got %v, want a truncation", tag, cut.name, err)
				continue
			}
			at := time.Duration(float64(dur) * float64(cut.n) / float64(len(b)))
			if !near(d.At, at, 100*time.Millisecond) || !near(a.Duration, d.At, time.Millisecond) {
				t.Errorf("%s, cut %s: damage at %v after %v of audio, want about %v", tag, cut.name, d.At, a.Duration, at)
			}
		}
	}
}

// TestMP3JunkMidFile: libmpg123 finds the next frame past a little junk (up to its 1 KB resync limit)
// without losing time; past more, the audio ends there with a *DamageError at the right time.
func TestMP3JunkMidFile(t *testing.T) {
	dir := t.TempDir()
	const dur = 5 * time.Second
	b, err := os.ReadFile(encodeMP3(t, dir, sine(44100, dur, 440), 44100, "-b", "128"))
	if err != nil {
		t.Fatal(err)
	}
	for _, junk := range []int{1, 40, 500, 3000, 20000} {
		at := len(b) / 2
		bad := append(append(append([]byte(nil), b[:at]...), bytes.Repeat([]byte{0x55}, junk)...), b[at:]...)
		a, d, err := decodeBytes(t, bad, "junk.mp3")
		t.Logf("%d bytes of junk: %v of audio: %v", junk, a.Duration, err)
		if junk <= 500 {
			if err != nil || !near(a.Duration, dur, 30*time.Millisecond) {
				t.Errorf("%d bytes of junk: %v of audio, %v; want %v and no error", junk, a.Duration, err, dur)
			}
			continue
		}
		if d == nil || !d.Truncated || !near(d.At, dur/2, 100*time.Millisecond) {
			t.Errorf("%d bytes of junk: got %v, want the audio to end with a *DamageError at about %v", junk, err, dur/2)
		}
	}
}
