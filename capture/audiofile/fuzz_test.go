package audiofile

import (
	"bytes"
	"errors"
	"math"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/verbatim-app/verbatim/capture/pcm"
)

// The fuzz targets share one property: any input either decodes to sane audio (possibly with a
// *DamageError) or fails with an error; never a panic, a hang, a huge allocation, an infinity, or more
// output than the input can describe. Seeds are the fixtures in testdata/ plus hand-made
// malformed headers; crashers found later are kept under testdata/fuzz/<target>/ and replayed by
// `go test`. Each target seeds with one format so the fuzzer spends its time inside that decoder.

func addSeeds(f *testing.F, glob string, extra ...[]byte) {
	files, err := filepath.Glob(filepath.Join("testdata", glob))
	if err != nil {
		f.Fatal(err)
	}
	for _, p := range files {
		b, err := os.ReadFile(p)
		if err != nil {
			f.Fatal(err)
		}
		// Keep seeds short so each fuzz iteration is cheap; the header is where the trouble is.
		if len(b) > 4096 {
			b = b[:4096]
		}
		f.Add(b)
	}
	for _, b := range extra {
		f.Add(b)
	}
}

// decodeTimeLimit bounds one input's decode: 2 s, plus a twentieth of the audio's length, since a few
// kilobytes of FLAC can legitimately hold minutes of constant samples. Everything here runs hundreds of
// times faster than real time; only a loop that does not advance comes near the limit.
func decodeTimeLimit(audio time.Duration) time.Duration { return 2*time.Second + audio/20 }

// maxFramesPerByte bounds the source frames an input can describe per byte of it: PCM gives at most
// one per byte; a FLAC frame of constant subframes holds 65535 samples in a few bytes, and a damaged
// stretch is owed as silence only up to 65536 samples per byte skipped (flac.go); an MP3 frame gives
// 1152 samples for at least 24 bytes.
func maxFramesPerByte(f Format) int64 {
	switch f {
	case FormatWAV:
		return 1
	case FormatMP3:
		return 48
	}
	return 1 << 16
}

func checkDecode(t *testing.T, data []byte, name string) {
	start := time.Now()
	a, err := Decode(bytes.NewReader(data), name)
	if took := time.Since(start); took > decodeTimeLimit(a.Duration) {
		t.Fatalf("decoding %d bytes into %v of audio took %v", len(data), a.Duration, took)
	}
	var d *DamageError
	if err != nil && !errors.As(err, &d) && len(a.Samples) == 0 {
		return // rejected
	}
	if err == nil && len(a.Samples) == 0 {
		t.Fatal("no samples and no error")
	}
	if a.SourceChannels <= 0 || a.SourceChannels > pcm.MaxChannels || a.SourceRate < MinRate || a.SourceRate > pcm.MaxRate {
		t.Fatalf("decoded with %d channels at %d Hz", a.SourceChannels, a.SourceRate)
	}
	// The output is exactly the declared duration resampled, and never beyond the duration cap nor more
	// than the input can describe.
	if a.Duration > MaxDuration {
		t.Fatalf("duration %v beyond the cap %v", a.Duration, MaxDuration)
	}
	frames := int64(a.Duration) * int64(a.SourceRate) / int64(time.Second)
	// Duration is rounded to the nanosecond, so frames may be one short: allow one frame's worth.
	tol := int64(pcm.Rate/a.SourceRate) + 1
	if want := pcm.ResampledLen(frames, a.SourceRate, pcm.Rate); int64(len(a.Samples)) < want-tol || int64(len(a.Samples)) > want+tol {
		t.Fatalf("%d samples for %v of audio, want %d", len(a.Samples), a.Duration, want)
	}
	format := Sniff(data, name)
	if limit := maxFramesPerByte(format) * int64(len(data)); frames > limit {
		t.Fatalf("%d source frames from %d bytes of %s (at most %d)", frames, len(data), format, limit)
	}
	if d != nil && (d.At < 0 || d.At > a.Duration) {
		t.Fatalf("damage at %v outside the %v decoded", d.At, a.Duration)
	}
	for i, v := range a.Samples {
		// Inputs are clamped to full scale; the resampler's ringing can overshoot a little, never more.
		if math.IsNaN(float64(v)) || math.IsInf(float64(v), 0) || v > 2 || v < -2 {
			t.Fatalf("sample %d is %v", i, v)
		}
	}
}

func FuzzDecodeWAV(f *testing.F) {
	var small bytes.Buffer
	pcm.EncodeWAV(&small, []float32{0, 0.5, -0.5, 1}, 16000)
	addSeeds(f, "*.wav",
		small.Bytes(),
		wav(fmtBody(3, 2, 44100, 32), 0xFFFFFFFF, make([]byte, 64)),
		wav(fmtBody(7, 1, 8000, 8), 16, make([]byte, 16)),
		[]byte("RF64\xff\xff\xff\xffWAVEds64\x1c\x00\x00\x00"+string(make([]byte, 28))),
	)
	f.Fuzz(func(t *testing.T, data []byte) { checkDecode(t, data, "fuzz.wav") })
}

func FuzzDecodeMP3(f *testing.F) {
	addSeeds(f, "*.mp3", []byte("ID3\x03\x00\x00\x00\x00\x00\x00\xff\xfb\x90\x00"))
	f.Fuzz(func(t *testing.T, data []byte) { checkDecode(t, data, "fuzz.mp3") })
}

func FuzzDecodeFLAC(f *testing.F) {
	addSeeds(f, "*.flac")
	f.Fuzz(func(t *testing.T, data []byte) { checkDecode(t, data, "fuzz.flac") })
}
