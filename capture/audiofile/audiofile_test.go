package audiofile

import (
	"bytes"
	"encoding/binary"
	"errors"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/verbatim-app/verbatim/capture/pcm"
)

// toneLevel fits a 1 kHz sine to x and returns its amplitude and the residual in dB below it.
func toneLevel(x []float32) (amp, residualDB float64) {
	const f = 1000.0
	var ss, cc, sc, xs, xc float64
	for i, v := range x {
		w := 2 * math.Pi * f * float64(i) / pcm.Rate
		s, c := math.Sin(w), math.Cos(w)
		ss, cc, sc = ss+s*s, cc+c*c, sc+s*c
		xs, xc = xs+float64(v)*s, xc+float64(v)*c
	}
	det := ss*cc - sc*sc
	a, b := (xs*cc-xc*sc)/det, (xc*ss-xs*sc)/det
	var res, sig float64
	for i, v := range x {
		w := 2 * math.Pi * f * float64(i) / pcm.Rate
		fit := a*math.Sin(w) + b*math.Cos(w)
		sig += fit * fit
		res += (float64(v) - fit) * (float64(v) - fit)
	}
	return math.Hypot(a, b), 10 * math.Log10(res/sig)
}

func TestDecodeFixtures(t *testing.T) {
	for _, tc := range []struct {
		file     string
		rate, ch int
		dur      time.Duration
		maxResDB float64 // lossy codecs get more slack
	}{
		{"tone-44k-stereo.wav", 44100, 2, 100 * time.Millisecond, -60},
		{"tone-48k-24bit.wav", 48000, 1, 300 * time.Millisecond, -60},
		{"tone-22k-8bit.wav", 22050, 1, 300 * time.Millisecond, -35},
		{"tone-8k-float.wav", 8000, 1, 300 * time.Millisecond, -60},
		{"tone-16k-6ch-s32.wav", 16000, 6, 50 * time.Millisecond, -60},
		{"tone-48k-f64.wav", 48000, 2, 50 * time.Millisecond, -60},
		{"tone-44k-stereo.flac", 44100, 2, 300 * time.Millisecond, -60},
		{"tone-16k-24bit.flac", 16000, 1, 300 * time.Millisecond, -60},
		{"tone-44k-stereo.mp3", 44100, 2, 0, -20},
		{"tone-24k-mono.mp3", 24000, 1, 0, -20},
		{"tone-24k-mono-id3.mp3", 24000, 1, 0, -20},
	} {
		t.Run(tc.file, func(t *testing.T) {
			a, err := DecodeFile(filepath.Join("testdata", tc.file))
			if err != nil {
				t.Fatal(err)
			}
			if a.SourceRate != tc.rate || a.SourceChannels != tc.ch {
				t.Errorf("source %d Hz × %d, want %d Hz × %d", a.SourceRate, a.SourceChannels, tc.rate, tc.ch)
			}
			if tc.dur != 0 && a.Duration != tc.dur {
				t.Errorf("duration %v, want %v", a.Duration, tc.dur)
			}
			if tc.dur == 0 && (a.Duration < 250*time.Millisecond || a.Duration > 400*time.Millisecond) {
				t.Errorf("duration %v, want about 300ms (MP3 adds padding)", a.Duration)
			}
			want := int(a.Duration * pcm.Rate / time.Second)
			if d := len(a.Samples) - want; d < -1 || d > 1 {
				t.Errorf("%d samples for %v, want %d", len(a.Samples), a.Duration, want)
			}
			// The tone must come out at 1 kHz and half scale; judge away from the edges (and MP3's delay).
			mid := a.Samples[len(a.Samples)/4 : 3*len(a.Samples)/4]
			amp, res := toneLevel(mid)
			t.Logf("amplitude %.3f, residual %.1f dB", amp, res)
			if math.Abs(amp-0.5) > 0.03 || res > tc.maxResDB {
				t.Errorf("tone amplitude %.3f (want 0.5), residual %.1f dB (want ≤ %v)", amp, res, tc.maxResDB)
			}
		})
	}
}

func TestSniffIgnoresExtension(t *testing.T) {
	data, err := os.ReadFile("testdata/tone-44k-stereo.flac")
	if err != nil {
		t.Fatal(err)
	}
	a, err := Decode(bytes.NewReader(data), "misnamed.wav")
	if err != nil {
		t.Fatal(err)
	}
	if a.SourceRate != 44100 {
		t.Errorf("rate %d", a.SourceRate)
	}
}

// wav builds a WAV file from a fmt chunk body and raw data, with explicit sizes for malformed variants.
func wav(fmtBody []byte, dataSize uint32, data []byte) []byte {
	var b bytes.Buffer
	b.WriteString("RIFF")
	binary.Write(&b, binary.LittleEndian, uint32(36+len(data)))
	b.WriteString("WAVEfmt ")
	binary.Write(&b, binary.LittleEndian, uint32(len(fmtBody)))
	b.Write(fmtBody)
	b.WriteString("data")
	binary.Write(&b, binary.LittleEndian, dataSize)
	b.Write(data)
	return b.Bytes()
}

func fmtBody(tag, channels uint16, rate uint32, bits uint16) []byte {
	var b bytes.Buffer
	align := channels * bits / 8
	for _, v := range []any{tag, channels, rate, rate * uint32(align), align, bits} {
		binary.Write(&b, binary.LittleEndian, v)
	}
	return b.Bytes()
}

func TestMalformed(t *testing.T) {
	good := fmtBody(1, 1, 16000, 16)
	data := make([]byte, 320)
	for _, tc := range []struct {
		name string
		data []byte
		want string
	}{
		{"empty", nil, "empty file"},
		{"riff only", []byte("RIFF"), "not WAV"},
		{"truncated header", []byte("RIFF\x00\x00\x00\x00WAVEfm"), "truncated chunk header"},
		{"no data", []byte("RIFF\x00\x00\x00\x00WAVE"), "no data chunk"},
		{"zero channels", wav(fmtBody(1, 0, 16000, 16), 320, data), "zero channels"},
		{"too many channels", wav(fmtBody(1, 1000, 16000, 16), 320, data), "channels"},
		{"zero rate", wav(fmtBody(1, 1, 0, 16), 320, data), "sample rate 0"},
		{"absurd rate", wav(fmtBody(1, 1, 4000000000, 16), 320, data), "out of range"},
		{"12-bit", wav(fmtBody(1, 1, 16000, 12), 320, data), "12-bit PCM"},
		{"adpcm", wav(fmtBody(2, 1, 16000, 4), 320, data), "unsupported format"},
		{"huge fmt", append([]byte("RIFF\x00\x00\x00\x00WAVEfmt \xff\xff\xff\x7f"), good...), "absurd size"},
		{"short fmt", wav(good[:10], 320, data), "absurd size"},
		{"huge data", wav(good, 0x7fffffff, data), "declares 2147483647 bytes"},
		{"huge other chunk", append([]byte("RIFF\x00\x00\x00\x00WAVELIST\xff\xff\xff\xff"), data...), "declares 4294967295 bytes"},
		{"data before fmt", []byte("RIFF\x00\x00\x00\x00WAVEdata\x02\x00\x00\x00\x00\x00"), "data chunk before fmt"},
		{"bad block align", wav(append(append([]byte{}, good[:12]...), 7, 0, 16, 0), 320, data), "block align"},
		{"ogg", []byte("OggS\x00\x02\x00\x00\x00\x00\x00\x00\x00\x00"), "Ogg"},
		{"random", []byte("this is not audio at all, just some text"), "not WAV, MP3 or FLAC"},
		{"flac truncated", []byte("fLaC\x00\x00\x00\x22\x10\x00"), "flac"},
		{"mp3 garbage", []byte("\xff\xfb\x90\x00garbage"), "mp3"},
		{"id3 huge", []byte("ID3\x03\x00\x00\x7f\x7f\x7f\x7f"), "ID3 tag declares"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := Decode(bytes.NewReader(tc.data), "bad-"+tc.name+".wav")
			if err == nil {
				t.Fatal("want error")
			}
			if !strings.Contains(err.Error(), "bad-"+tc.name+".wav") {
				t.Errorf("error does not name the file: %v", err)
			}
			if !strings.Contains(err.Error(), tc.want) {
				t.Errorf("error %q does not say %q", err, tc.want)
			}
		})
	}
}

func TestUnknownSizeReadsToEnd(t *testing.T) {
	// A WAV whose writer never came back to fill in the sizes (as after a crash) still decodes.
	data := make([]byte, 3200)
	for _, size := range []uint32{0, 0xFFFFFFFF} {
		a, err := Decode(bytes.NewReader(wav(fmtBody(1, 1, 16000, 16), size, data)), "unfinished.wav")
		if err != nil {
			t.Fatal(err)
		}
		if len(a.Samples) != 1600 {
			t.Errorf("size %#x: %d samples, want 1600", size, len(a.Samples))
		}
	}
}

func TestUnsupportedIsErrUnsupported(t *testing.T) {
	_, err := Decode(strings.NewReader("OggS\x00\x02\x00\x00\x00\x00\x00\x00\x00\x00"), "x.ogg")
	if !errors.Is(err, ErrUnsupported) {
		t.Errorf("got %v, want ErrUnsupported", err)
	}
}
