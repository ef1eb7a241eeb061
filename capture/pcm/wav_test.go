package pcm

import (
	"bytes"
	"encoding/binary"
	"errors"
	"io"
	"math"
	"strings"
	"testing"
)

// riff builds a WAV file from chunks (id, body), with the body's size unless size is set.
type chunk struct {
	id   string
	body []byte
	size *uint32
}

func riff(magic string, chunks ...chunk) []byte {
	b := []byte(magic + "\x00\x00\x00\x00WAVE")
	for _, c := range chunks {
		b = append(b, c.id...)
		n := uint32(len(c.body))
		if c.size != nil {
			n = *c.size
		}
		b = binary.LittleEndian.AppendUint32(b, n)
		b = append(b, c.body...)
	}
	return b
}

func fmtBody(tag, channels uint16, rate uint32, bits uint16) []byte {
	var b []byte
	align := channels * bits / 8
	le := binary.LittleEndian
	b = le.AppendUint16(b, tag)
	b = le.AppendUint16(b, channels)
	b = le.AppendUint32(b, rate)
	b = le.AppendUint32(b, rate*uint32(align))
	b = le.AppendUint16(b, align)
	return le.AppendUint16(b, bits)
}

// extensible is a WAVE_FORMAT_EXTENSIBLE fmt body whose sub-format is tag.
func extensible(tag, channels uint16, rate uint32, bits, valid uint16) []byte {
	b := fmtBody(waveExtensible, channels, rate, bits)
	b = binary.LittleEndian.AppendUint16(b, 22)
	b = binary.LittleEndian.AppendUint16(b, valid)
	b = binary.LittleEndian.AppendUint32(b, 0) // channel mask
	b = binary.LittleEndian.AppendUint16(b, tag)
	return append(b, "\x00\x00\x00\x00\x10\x00\x80\x00\x00\xaa\x00\x38\x9b\x71"...)
}

func u32(v uint32) *uint32 { return &v }

func TestEncodeWAVRoundTrip(t *testing.T) {
	for _, tc := range []struct {
		name string
		in   []float32
		rate int
	}{
		{"empty", nil, Rate},
		{"tone with clipping", func() []float32 {
			in := make([]float32, 1600)
			for i := range in {
				in[i] = float32(0.5 * math.Sin(2*math.Pi*1000*float64(i)/Rate))
			}
			in[10], in[11], in[12] = 2, -2, float32(math.NaN())
			return in
		}(), Rate},
		{"44.1 kHz", []float32{0, 0.25, -0.25, 1, -1}, 44100},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var buf bytes.Buffer
			if err := EncodeWAV(&buf, tc.in, tc.rate); err != nil {
				t.Fatal(err)
			}
			if buf.Len() != WAVHeaderSize+2*len(tc.in) {
				t.Fatalf("size %d", buf.Len())
			}
			mem, err := WAV(tc.in, tc.rate)
			if err != nil || !bytes.Equal(mem, buf.Bytes()) {
				t.Fatalf("WAV differs from EncodeWAV (err %v)", err)
			}
			r := bytes.NewReader(buf.Bytes())
			f, size, toEnd, err := ReadWAVHeader(r)
			if err != nil {
				t.Fatal(err)
			}
			if want := (WAVFormat{Tag: wavePCM, Channels: 1, Rate: tc.rate, Bytes: 2, BlockAlign: 2}); f != want || size != uint64(2*len(tc.in)) || toEnd != (len(tc.in) == 0) {
				t.Fatalf("header %+v, %d bytes, to end %v", f, size, toEnd)
			}
			data, _ := io.ReadAll(r)
			got := f.AppendSamples(nil, data)
			if len(got) != len(tc.in) {
				t.Fatalf("%d samples back, want %d", len(got), len(tc.in))
			}
			for i, v := range got {
				want := tc.in[i]
				if want != want {
					want = 0
				}
				want = max(-1, min(want, 32767.0/32768))
				if math.Abs(float64(v-want)) > 1.0/32768 {
					t.Fatalf("sample %d: %v, want %v", i, v, want)
				}
			}
		})
	}
}

// WriteWAV generates a file block by block; it is the same file EncodeWAV writes from the whole signal.
func TestWriteWAVEqualsEncodeWAV(t *testing.T) {
	for _, n := range []int{0, 1, 1 << 15, 1<<15 + 1, 100000} {
		in := make([]float32, n)
		for i := range in {
			in[i] = float32(math.Sin(float64(i) / 9))
		}
		var whole, gen bytes.Buffer
		if err := EncodeWAV(&whole, in, 8000); err != nil {
			t.Fatal(err)
		}
		pos, calls := 0, 0
		err := WriteWAV(&gen, int64(n), 8000, func(b []float32) {
			calls++
			if len(b) == 0 || len(b) > 1<<15 {
				t.Fatalf("block of %d", len(b))
			}
			pos += copy(b, in[pos:])
		})
		if err != nil || !bytes.Equal(whole.Bytes(), gen.Bytes()) || pos != n {
			t.Errorf("%d samples: generated file differs (err %v, %d filled in %d calls)", n, err, pos, calls)
		}
	}
}

func TestEncodeWAVRefuses(t *testing.T) {
	for _, rate := range []int{0, -16000} {
		if err := EncodeWAV(io.Discard, []float32{0}, rate); err == nil {
			t.Errorf("rate %d: no error", rate)
		}
		if _, err := WAV([]float32{0}, rate); err == nil {
			t.Errorf("WAV at rate %d: no error", rate)
		}
	}
	for _, n := range []int64{-1, 1 << 31} {
		if err := WriteWAV(io.Discard, n, Rate, func([]float32) { t.Fatal("filled") }); err == nil {
			t.Errorf("%d samples: no error", n)
		}
	}
}

func TestWAVHeaderClampsSizes(t *testing.T) {
	le := binary.LittleEndian
	for _, tc := range []struct {
		data       int64
		riff, size uint32
	}{
		{0, 36, 0},
		{32000, 32036, 32000},
		{unknownSize - 36, unknownSize, unknownSize - 36},
		{unknownSize, unknownSize, unknownSize},
		{1 << 40, unknownSize, unknownSize},
	} {
		h := WAVHeader(Rate, 1, tc.data)
		if len(h) != WAVHeaderSize || le.Uint32(h[4:]) != tc.riff || le.Uint32(h[40:]) != tc.size {
			t.Errorf("%d bytes: header of %d, RIFF size %d, data size %d; want %d, %d",
				tc.data, len(h), le.Uint32(h[4:]), le.Uint32(h[40:]), tc.riff, tc.size)
		}
	}
}

func TestReadWAVHeader(t *testing.T) {
	good := fmtBody(wavePCM, 2, 44100, 16)
	ds64 := make([]byte, 28)
	binary.LittleEndian.PutUint64(ds64[8:], 4000)
	for _, tc := range []struct {
		name  string
		file  []byte
		want  WAVFormat
		size  uint64
		toEnd bool
		err   string
	}{
		{name: "plain", file: riff("RIFF", chunk{id: "fmt ", body: good}, chunk{id: "data", size: u32(400)}),
			want: WAVFormat{wavePCM, 2, 44100, 2, 4}, size: 400},
		{name: "chunks skipped", file: riff("RIFF", chunk{id: "LIST", body: []byte("abc\x00")}, chunk{id: "fmt ", body: good}, chunk{id: "data", size: u32(4)}),
			want: WAVFormat{wavePCM, 2, 44100, 2, 4}, size: 4},
		{name: "unfinished: 0", file: riff("RIFF", chunk{id: "fmt ", body: good}, chunk{id: "data", size: u32(0)}),
			want: WAVFormat{wavePCM, 2, 44100, 2, 4}, toEnd: true},
		{name: "unfinished: ffffffff", file: riff("RIFF", chunk{id: "fmt ", body: good}, chunk{id: "data", size: u32(unknownSize)}),
			want: WAVFormat{wavePCM, 2, 44100, 2, 4}, size: unknownSize, toEnd: true},
		{name: "rf64", file: riff("RF64", chunk{id: "ds64", body: ds64}, chunk{id: "fmt ", body: good}, chunk{id: "data", size: u32(unknownSize)}),
			want: WAVFormat{wavePCM, 2, 44100, 2, 4}, size: 4000},
		{name: "extensible float", file: riff("RIFF", chunk{id: "fmt ", body: extensible(waveFloat, 1, 16000, 32, 32)}, chunk{id: "data", size: u32(8)}),
			want: WAVFormat{waveFloat, 1, 16000, 4, 4}, size: 8},
		{name: "truncated RIFF", file: []byte("RIFF\x00\x00"), err: "truncated RIFF header"},
		{name: "truncated chunk header", file: []byte("RIFF\x00\x00\x00\x00WAVEfm"), err: "truncated chunk header"},
		{name: "no data", file: riff("RIFF", chunk{id: "fmt ", body: good}), err: "no data chunk"},
		{name: "data before fmt", file: riff("RIFF", chunk{id: "data", size: u32(2)}), err: "data chunk before fmt"},
		{name: "huge fmt", file: riff("RIFF", chunk{id: "fmt ", body: good, size: u32(0x7fffffff)}), err: "absurd size"},
		{name: "short fmt", file: riff("RIFF", chunk{id: "fmt ", body: good[:10]}), err: "absurd size"},
		{name: "truncated fmt", file: riff("RIFF", chunk{id: "fmt ", body: good[:10], size: u32(16)}), err: "truncated fmt chunk"},
		{name: "ds64 outside RF64", file: riff("RIFF", chunk{id: "ds64", body: ds64}), err: "bad ds64"},
		{name: "huge other chunk", file: riff("RIFF", chunk{id: "LI\x01T", size: u32(unknownSize)}), err: `chunk "LI?T" declares 4294967295 bytes but only 0 follow`},
		{name: "bad fmt", file: riff("RIFF", chunk{id: "fmt ", body: fmtBody(wavePCM, 0, 16000, 16)}, chunk{id: "data"}), err: "zero channels"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			f, size, toEnd, err := ReadWAVHeader(bytes.NewReader(tc.file))
			if tc.err != "" {
				if err == nil || !strings.Contains(err.Error(), tc.err) {
					t.Fatalf("error %v, want one saying %q", err, tc.err)
				}
				return
			}
			if err != nil || f != tc.want || size != tc.size || toEnd != tc.toEnd {
				t.Fatalf("got %+v, %d bytes, to end %v, %v; want %+v, %d, %v", f, size, toEnd, err, tc.want, tc.size, tc.toEnd)
			}
		})
	}
}

func TestParseWAVFormat(t *testing.T) {
	badAlign := append(fmtBody(wavePCM, 1, 16000, 16)[:12], 7, 0, 16, 0)
	noAlign := append(fmtBody(wavePCM, 2, 16000, 24)[:12], 0, 0, 24, 0)
	for _, tc := range []struct {
		name string
		body []byte
		want WAVFormat
		err  string
	}{
		{"8-bit", fmtBody(wavePCM, 1, 8000, 8), WAVFormat{wavePCM, 1, 8000, 1, 1}, ""},
		{"24-bit stereo", fmtBody(wavePCM, 2, 48000, 24), WAVFormat{wavePCM, 2, 48000, 3, 6}, ""},
		{"float64", fmtBody(waveFloat, 1, 16000, 64), WAVFormat{waveFloat, 1, 16000, 8, 8}, ""},
		{"µ-law", fmtBody(waveMuLaw, 1, 8000, 8), WAVFormat{waveMuLaw, 1, 8000, 1, 1}, ""},
		{"block align 0 is computed", noAlign, WAVFormat{wavePCM, 2, 16000, 3, 6}, ""},
		{"extensible", extensible(wavePCM, 2, 16000, 32, 24), WAVFormat{wavePCM, 2, 16000, 4, 8}, ""},
		{"too short", fmtBody(wavePCM, 1, 16000, 16)[:10], WAVFormat{}, "too short"},
		{"extensible too short", fmtBody(waveExtensible, 1, 16000, 16), WAVFormat{}, "EXTENSIBLE fmt chunk too short"},
		{"extensible valid bits", extensible(wavePCM, 1, 16000, 16, 24), WAVFormat{}, "24 valid bits in a 16-bit container"},
		{"zero channels", fmtBody(wavePCM, 0, 16000, 16), WAVFormat{}, "zero channels"},
		{"too many channels", fmtBody(wavePCM, 1000, 16000, 16), WAVFormat{}, "1000 channels"},
		{"zero rate", fmtBody(wavePCM, 1, 0, 16), WAVFormat{}, "sample rate 0"},
		{"12-bit", fmtBody(wavePCM, 1, 16000, 12), WAVFormat{}, "12-bit PCM"},
		{"16-bit float", fmtBody(waveFloat, 1, 16000, 16), WAVFormat{}, "16-bit float"},
		{"16-bit G.711", fmtBody(waveALaw, 1, 16000, 16), WAVFormat{}, "16-bit G.711"},
		{"adpcm", fmtBody(2, 1, 16000, 4), WAVFormat{}, "WAV encoding 0x0002: unsupported format"},
		{"bad block align", badAlign, WAVFormat{}, "block align 7, expected 2"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			f, err := ParseWAVFormat(tc.body)
			if tc.err != "" {
				if err == nil || !strings.Contains(err.Error(), tc.err) {
					t.Fatalf("error %v, want one saying %q", err, tc.err)
				}
				return
			}
			if err != nil || f != tc.want {
				t.Fatalf("got %+v, %v; want %+v", f, err, tc.want)
			}
		})
	}
	if _, err := ParseWAVFormat(fmtBody(2, 1, 16000, 4)); !errors.Is(err, ErrUnsupported) {
		t.Errorf("ADPCM: %v, want ErrUnsupported", err)
	}
}

func TestAppendSamples(t *testing.T) {
	le := binary.LittleEndian
	f32 := func(vs ...float32) (b []byte) {
		for _, v := range vs {
			b = le.AppendUint32(b, math.Float32bits(v))
		}
		return b
	}
	f64 := func(vs ...float64) (b []byte) {
		for _, v := range vs {
			b = le.AppendUint64(b, math.Float64bits(v))
		}
		return b
	}
	inf := math.Inf(1)
	for _, tc := range []struct {
		name string
		f    WAVFormat
		b    []byte
		want []float32
	}{
		{"u8", WAVFormat{Tag: wavePCM, Bytes: 1}, []byte{0, 128, 192}, []float32{-1, 0, 0.5}},
		{"s16", WAVFormat{Tag: wavePCM, Bytes: 2}, []byte{0, 0x80, 0, 0x40, 0xff, 0xff}, []float32{-1, 0.5, -1.0 / 32768}},
		{"s16 partial sample ignored", WAVFormat{Tag: wavePCM, Bytes: 2}, []byte{0, 0x40, 0}, []float32{0.5}},
		{"s24", WAVFormat{Tag: wavePCM, Bytes: 3}, []byte{0, 0, 0x80, 0, 0, 0x40}, []float32{-1, 0.5}},
		{"s32", WAVFormat{Tag: wavePCM, Bytes: 4}, []byte{0, 0, 0, 0x80, 0, 0, 0, 0x40}, []float32{-1, 0.5}},
		{"f32 clipped", WAVFormat{Tag: waveFloat, Bytes: 4}, f32(0.25, 3, -3, float32(math.NaN()), float32(inf)), []float32{0.25, 1, -1, 0, 1}},
		{"f64 clipped", WAVFormat{Tag: waveFloat, Bytes: 8}, f64(-0.5, math.NaN(), -inf), []float32{-0.5, 0, -1}},
		// Reference values from ITU-T G.711's tables.
		{"µ-law", WAVFormat{Tag: waveMuLaw, Bytes: 1}, []byte{0xFF, 0x00}, []float32{0, -32124.0 / 32768}},
		{"A-law", WAVFormat{Tag: waveALaw, Bytes: 1}, []byte{0xD5, 0x2A}, []float32{8.0 / 32768, -32256.0 / 32768}},
		{"unknown encoding", WAVFormat{Tag: 2, Bytes: 1}, []byte{1, 2}, nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got := tc.f.AppendSamples([]float32{9}, tc.b)
			if len(got) != 1+len(tc.want) || got[0] != 9 {
				t.Fatalf("got %v, want [9 %v]", got, tc.want)
			}
			for i, v := range tc.want {
				if got[1+i] != v {
					t.Errorf("sample %d: %v, want %v", i, got[1+i], v)
				}
			}
		})
	}
}

func TestAppendPCM16(t *testing.T) {
	for _, tc := range []struct {
		in   float32
		want int16
	}{
		{0, 0}, {0.5, 16384}, {-1, -32768}, {1, 32767}, {2, 32767}, {-2, -32768},
		{float32(math.NaN()), 0}, {float32(math.Inf(-1)), -32768}, {1.4 / 32768, 1}, {-1.6 / 32768, -2},
	} {
		b := AppendPCM16([]byte{7}, []float32{tc.in})
		if len(b) != 3 || b[0] != 7 || int16(binary.LittleEndian.Uint16(b[1:])) != tc.want {
			t.Errorf("%v: %v, want %d", tc.in, b, tc.want)
		}
	}
}
