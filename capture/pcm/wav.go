package pcm

// The WAV codec: 16-bit PCM out; PCM (8/16/24/32-bit), float (32/64-bit) and G.711 in, from RIFF or RF64
// files. Decoding here is the header and the sample encoding; reading a file as a stream, with its damage
// reported, is capture/audiofile's.

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"math"
)

const (
	wavePCM        = 1
	waveFloat      = 3
	waveALaw       = 6
	waveMuLaw      = 7
	waveExtensible = 0xFFFE
	// maxFmtSize bounds the fmt chunk read into memory (a real one is 16, 18 or 40 bytes).
	maxFmtSize = 1024
	// unknownSize is what streaming writers put in size fields they cannot know in advance.
	unknownSize = 0xFFFFFFFF
)

// ErrUnsupported is wrapped by errors for inputs in an encoding this package does not decode.
var ErrUnsupported = errors.New("unsupported format")

// WAVHeaderSize is the length of WAVHeader's result, where the samples start.
const WAVHeaderSize = 44

// WAVHeader returns the 44-byte header of a 16-bit PCM WAV file holding dataBytes bytes of samples.
// Sizes beyond what a RIFF header can hold are clamped to 0xFFFFFFFF, which readers take as "to the end".
func WAVHeader(rate, channels int, dataBytes int64) []byte {
	clamp := func(n int64) uint32 {
		if n < 0 || n > unknownSize {
			return unknownSize
		}
		return uint32(n)
	}
	le := binary.LittleEndian
	h := make([]byte, 0, WAVHeaderSize)
	h = append(h, "RIFF"...)
	h = le.AppendUint32(h, clamp(dataBytes+36))
	h = append(h, "WAVEfmt "...)
	h = le.AppendUint32(h, 16)
	h = le.AppendUint16(h, wavePCM)
	h = le.AppendUint16(h, uint16(channels))
	h = le.AppendUint32(h, uint32(rate))
	h = le.AppendUint32(h, uint32(rate*channels*2))
	h = le.AppendUint16(h, uint16(channels*2))
	h = le.AppendUint16(h, 16)
	h = append(h, "data"...)
	h = le.AppendUint32(h, clamp(dataBytes))
	return h
}

// AppendPCM16 appends samples as 16-bit little-endian PCM, clipping to full scale.
func AppendPCM16(dst []byte, samples []float32) []byte {
	for _, v := range samples {
		x := float64(v) * 32768
		switch {
		case math.IsNaN(x):
			x = 0
		case x > 32767:
			x = 32767
		case x < -32768:
			x = -32768
		}
		dst = binary.LittleEndian.AppendUint16(dst, uint16(int16(math.Round(x))))
	}
	return dst
}

// EncodeWAV writes mono samples at rate as a 16-bit PCM WAV file.
func EncodeWAV(w io.Writer, samples []float32, rate int) error {
	off := 0
	return WriteWAV(w, int64(len(samples)), rate, func(block []float32) { off += copy(block, samples[off:]) })
}

// WAV returns mono samples at rate as the bytes of a 16-bit PCM WAV file, for decoders that take a file
// in memory.
func WAV(samples []float32, rate int) ([]byte, error) {
	var b bytes.Buffer
	b.Grow(WAVHeaderSize + 2*len(samples))
	if err := EncodeWAV(&b, samples, rate); err != nil {
		return nil, err
	}
	return b.Bytes(), nil
}

// WriteWAV writes n mono samples at rate as a 16-bit PCM WAV file, generated as they are written so that
// a long file costs no memory: fill puts the next len(block) samples in block.
func WriteWAV(w io.Writer, n int64, rate int, fill func(block []float32)) error {
	if rate <= 0 {
		return fmt.Errorf("pcm: encode WAV: bad sample rate %d", rate)
	}
	if n < 0 || n*2 > unknownSize-36 {
		return fmt.Errorf("pcm: encode WAV: %d samples do not fit a WAV file", n)
	}
	if _, err := w.Write(WAVHeader(rate, 1, n*2)); err != nil {
		return fmt.Errorf("pcm: encode WAV: %w", err)
	}
	block := make([]float32, min(n, 1<<15))
	buf := make([]byte, 0, 2*len(block))
	for left := n; left > 0; {
		k := min(int64(len(block)), left)
		fill(block[:k])
		buf = AppendPCM16(buf[:0], block[:k])
		if _, err := w.Write(buf); err != nil {
			return fmt.Errorf("pcm: encode WAV: %w", err)
		}
		left -= k
	}
	return nil
}

// WAVFormat is how a WAV file lays out its samples.
type WAVFormat struct {
	Tag        uint16 // encoding: 1 PCM, 3 float, 6 A-law, 7 µ-law (an extensible header's sub-format)
	Channels   int
	Rate       int
	Bytes      int // container bytes per sample
	BlockAlign int // bytes per frame
}

// ReadWAVHeader reads a RIFF or RF64 WAVE header from r, leaving r at the first sample. size is what the
// data chunk declares; toEnd says it declares nothing usable (0 or 0xFFFFFFFF, left by a writer that never
// came back to set it), so the samples run to the end of the file. Nothing is allocated from a declared
// size, and a chunk that declares more than follows is an error.
func ReadWAVHeader(r io.Reader) (f WAVFormat, size uint64, toEnd bool, err error) {
	var hdr [12]byte
	if _, err := io.ReadFull(r, hdr[:]); err != nil {
		return f, 0, false, fmt.Errorf("truncated RIFF header: %w", err)
	}
	rf64 := string(hdr[:4]) == "RF64"
	var ds64Data uint64
	var fmtc *WAVFormat
	for {
		var ch [8]byte
		if _, err := io.ReadFull(r, ch[:]); err != nil {
			if errors.Is(err, io.EOF) {
				return f, 0, false, errors.New("no data chunk")
			}
			return f, 0, false, fmt.Errorf("truncated chunk header: %w", err)
		}
		id := string(ch[:4])
		size := uint64(binary.LittleEndian.Uint32(ch[4:]))
		switch id {
		case "ds64":
			if !rf64 || size < 24 || size > maxFmtSize {
				return f, 0, false, fmt.Errorf("bad ds64 chunk (%d bytes)", size)
			}
			b := make([]byte, size)
			if _, err := io.ReadFull(r, b); err != nil {
				return f, 0, false, fmt.Errorf("truncated ds64 chunk: %w", err)
			}
			ds64Data = binary.LittleEndian.Uint64(b[8:16])
		case "fmt ":
			if size < 16 || size > maxFmtSize {
				return f, 0, false, fmt.Errorf("fmt chunk has absurd size %d bytes", size)
			}
			b := make([]byte, size+size&1)
			if _, err := io.ReadFull(r, b); err != nil {
				return f, 0, false, fmt.Errorf("truncated fmt chunk: %w", err)
			}
			p, err := ParseWAVFormat(b[:size])
			if err != nil {
				return f, 0, false, err
			}
			fmtc = &p
		case "data":
			if fmtc == nil {
				return f, 0, false, errors.New("data chunk before fmt chunk")
			}
			if rf64 && size == unknownSize {
				size = ds64Data
			}
			return *fmtc, size, size == 0 || size == unknownSize, nil
		default:
			// Skip unknown chunks without allocating; a size beyond the end of the file is an error.
			n := int64(size + size&1)
			got, err := io.CopyN(io.Discard, r, n)
			if err != nil {
				return f, 0, false, fmt.Errorf("chunk %q declares %d bytes but only %d follow", printable(id), size, got)
			}
		}
	}
}

// ParseWAVFormat reads the body of a fmt chunk, refusing layouts it cannot decode.
func ParseWAVFormat(b []byte) (WAVFormat, error) {
	if len(b) < 16 {
		return WAVFormat{}, fmt.Errorf("fmt chunk too short (%d bytes)", len(b))
	}
	le := binary.LittleEndian
	f := WAVFormat{
		Tag:        le.Uint16(b[0:]),
		Channels:   int(le.Uint16(b[2:])),
		Rate:       int(le.Uint32(b[4:])),
		BlockAlign: int(le.Uint16(b[12:])),
	}
	bits := int(le.Uint16(b[14:]))
	if f.Tag == waveExtensible {
		if len(b) < 40 {
			return f, fmt.Errorf("WAVE_FORMAT_EXTENSIBLE fmt chunk too short (%d bytes)", len(b))
		}
		if valid := int(le.Uint16(b[18:])); valid > bits {
			return f, fmt.Errorf("%d valid bits in a %d-bit container", valid, bits)
		}
		// The sub-format GUID starts with the ordinary format tag.
		f.Tag = le.Uint16(b[24:])
	}
	if f.Channels == 0 {
		return f, errors.New("zero channels")
	}
	if f.Channels > MaxChannels {
		return f, fmt.Errorf("%d channels (at most %d supported)", f.Channels, MaxChannels)
	}
	if f.Rate == 0 {
		return f, errors.New("sample rate 0")
	}
	switch f.Tag {
	case wavePCM:
		if bits != 8 && bits != 16 && bits != 24 && bits != 32 {
			return f, fmt.Errorf("%d-bit PCM not supported (8, 16, 24, 32)", bits)
		}
	case waveFloat:
		if bits != 32 && bits != 64 {
			return f, fmt.Errorf("%d-bit float not supported (32, 64)", bits)
		}
	case waveALaw, waveMuLaw:
		if bits != 8 {
			return f, fmt.Errorf("%d-bit G.711 not supported", bits)
		}
	default:
		return f, fmt.Errorf("WAV encoding 0x%04x: %w", f.Tag, ErrUnsupported)
	}
	f.Bytes = bits / 8
	// Trust our own arithmetic over the header's block align, which some writers get wrong, but refuse a
	// header that contradicts itself in a way that would change how the data is laid out.
	if want := f.Channels * f.Bytes; f.BlockAlign != want {
		if f.BlockAlign != 0 {
			return f, fmt.Errorf("block align %d, expected %d for %d channels of %d bits", f.BlockAlign, want, f.Channels, bits)
		}
		f.BlockAlign = want
	}
	return f, nil
}

// AppendSamples decodes the whole samples in b (interleaved, as laid out in the file) and appends them
// to dst, nominally in [-1, 1].
func (f WAVFormat) AppendSamples(dst []float32, b []byte) []float32 {
	le := binary.LittleEndian
	switch {
	case f.Tag == wavePCM && f.Bytes == 1:
		for _, v := range b {
			dst = append(dst, float32(int(v)-128)/128)
		}
	case f.Tag == wavePCM && f.Bytes == 2:
		for i := 0; i+1 < len(b); i += 2 {
			dst = append(dst, float32(int16(le.Uint16(b[i:])))/32768)
		}
	case f.Tag == wavePCM && f.Bytes == 3:
		for i := 0; i+2 < len(b); i += 3 {
			v := int32(uint32(b[i])<<8|uint32(b[i+1])<<16|uint32(b[i+2])<<24) >> 8
			dst = append(dst, float32(v)/(1<<23))
		}
	case f.Tag == wavePCM && f.Bytes == 4:
		for i := 0; i+3 < len(b); i += 4 {
			dst = append(dst, float32(float64(int32(le.Uint32(b[i:])))/(1<<31)))
		}
	case f.Tag == waveFloat && f.Bytes == 4:
		for i := 0; i+3 < len(b); i += 4 {
			dst = append(dst, Clip(float64(math.Float32frombits(le.Uint32(b[i:])))))
		}
	case f.Tag == waveFloat && f.Bytes == 8:
		for i := 0; i+7 < len(b); i += 8 {
			dst = append(dst, Clip(math.Float64frombits(le.Uint64(b[i:]))))
		}
	case f.Tag == waveALaw:
		for _, v := range b {
			dst = append(dst, float32(alaw(v))/32768)
		}
	case f.Tag == waveMuLaw:
		for _, v := range b {
			dst = append(dst, float32(mulaw(v))/32768)
		}
	}
	return dst
}

// Clip maps NaN to silence and clamps to full scale, so that a float source holding infinities or garbage
// cannot poison the resampler and everything after it (playback would clip there anyway).
func Clip(v float64) float32 {
	switch {
	case math.IsNaN(v):
		return 0
	case v > 1:
		return 1
	case v < -1:
		return -1
	}
	return float32(v)
}

// alaw and mulaw expand G.711 bytes to 16-bit linear (ITU-T G.711).
func alaw(a byte) int16 {
	a ^= 0x55
	t := int16(a&0x0f)<<4 + 8
	seg := (a & 0x70) >> 4
	if seg != 0 {
		t = (t + 0x100) << (seg - 1)
	}
	if a&0x80 != 0 {
		return t
	}
	return -t
}

func mulaw(u byte) int16 {
	u = ^u
	t := (int16(u&0x0f)<<3 + 0x84) << ((u & 0x70) >> 4)
	if u&0x80 != 0 {
		return 0x84 - t
	}
	return t - 0x84
}

func printable(s string) string {
	b := []byte(s)
	for i, c := range b {
		if c < 0x20 || c > 0x7e {
			b[i] = '?'
		}
	}
	return string(b)
}
