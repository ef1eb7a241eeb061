package audiofile

import (
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
	// maxFmtSize bounds the fmt chunk we read into memory (a real one is 16, 18 or 40 bytes).
	maxFmtSize = 1024
	// unknownSize is what streaming writers put in size fields they cannot know in advance.
	unknownSize = 0xFFFFFFFF
)

type wavFormat struct {
	tag        uint16
	channels   int
	rate       int
	bytesPer   int // container bytes per sample
	blockAlign int
}

// newWAV reads the RIFF header up to the data chunk and returns a source for the samples.
func newWAV(r io.Reader) (source, int, int, error) {
	var hdr [12]byte
	if _, err := io.ReadFull(r, hdr[:]); err != nil {
		return nil, 0, 0, fmt.Errorf("truncated RIFF header: %w", err)
	}
	rf64 := string(hdr[:4]) == "RF64"
	var ds64Data uint64
	var fmtc *wavFormat
	for {
		var ch [8]byte
		if _, err := io.ReadFull(r, ch[:]); err != nil {
			if errors.Is(err, io.EOF) {
				return nil, 0, 0, errors.New("no data chunk")
			}
			return nil, 0, 0, fmt.Errorf("truncated chunk header: %w", err)
		}
		id := string(ch[:4])
		size := uint64(binary.LittleEndian.Uint32(ch[4:]))
		switch id {
		case "ds64":
			if !rf64 || size < 24 || size > maxFmtSize {
				return nil, 0, 0, fmt.Errorf("bad ds64 chunk (%d bytes)", size)
			}
			b := make([]byte, size)
			if _, err := io.ReadFull(r, b); err != nil {
				return nil, 0, 0, fmt.Errorf("truncated ds64 chunk: %w", err)
			}
			ds64Data = binary.LittleEndian.Uint64(b[8:16])
		case "fmt ":
			if size < 16 || size > maxFmtSize {
				return nil, 0, 0, fmt.Errorf("fmt chunk has absurd size %d bytes", size)
			}
			b := make([]byte, size+size&1)
			if _, err := io.ReadFull(r, b); err != nil {
				return nil, 0, 0, fmt.Errorf("truncated fmt chunk: %w", err)
			}
			f, err := parseFmt(b[:size])
			if err != nil {
				return nil, 0, 0, err
			}
			fmtc = &f
		case "data":
			if fmtc == nil {
				return nil, 0, 0, errors.New("data chunk before fmt chunk")
			}
			if rf64 && size == unknownSize {
				size = ds64Data
			}
			// A size of 0 or 0xFFFFFFFF is what a writer that never finished puts there: read to the end.
			toEOF := size == 0 || size == unknownSize
			const framesPerRead = 4096
			w := &wavSource{r: r, f: *fmtc, size: size, remaining: size, toEOF: toEOF,
				buf: make([]byte, framesPerRead*fmtc.blockAlign), samples: make([]float32, 0, framesPerRead*fmtc.channels)}
			return w, fmtc.rate, fmtc.channels, nil
		default:
			// Skip unknown chunks without allocating; a size beyond the end of the file is an error.
			n := int64(size + size&1)
			got, err := io.CopyN(io.Discard, r, n)
			if err != nil {
				return nil, 0, 0, fmt.Errorf("chunk %q declares %d bytes but only %d follow", printable(id), size, got)
			}
		}
	}
}

// wavSource reads the data chunk in blocks of whole frames.
type wavSource struct {
	r               io.Reader
	f               wavFormat
	size, remaining uint64
	toEOF           bool
	frames          int64
	buf             []byte
	samples         []float32
}

func (w *wavSource) close() {}

func (w *wavSource) next() ([]float32, error) {
	align := uint64(w.f.blockAlign)
	if !w.toEOF && w.remaining < align {
		return nil, io.EOF
	}
	want := len(w.buf)
	if !w.toEOF && uint64(want) > w.remaining {
		want = int(w.remaining / align * align)
	}
	n, err := io.ReadFull(w.r, w.buf[:want])
	n -= n % w.f.blockAlign
	w.remaining -= uint64(n)
	w.samples = convert(w.samples[:0], w.buf[:n], w.f)
	w.frames += int64(n / w.f.blockAlign)
	switch {
	case err == nil:
		return w.samples, nil
	case errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF):
		if w.toEOF {
			// An unfinished file (its writer never came back to set the sizes) ends where the data ends.
			return w.samples, io.EOF
		}
		return w.samples, &damage{frame: w.frames, err: fmt.Errorf("data chunk declares %d bytes but the file ends after %d", w.size, w.size-w.remaining)}
	default:
		return w.samples, &damage{frame: w.frames, err: fmt.Errorf("read data: %w", err)}
	}
}

func parseFmt(b []byte) (wavFormat, error) {
	le := binary.LittleEndian
	f := wavFormat{
		tag:        le.Uint16(b[0:]),
		channels:   int(le.Uint16(b[2:])),
		rate:       int(le.Uint32(b[4:])),
		blockAlign: int(le.Uint16(b[12:])),
	}
	bits := int(le.Uint16(b[14:]))
	if f.tag == waveExtensible {
		if len(b) < 40 {
			return f, fmt.Errorf("WAVE_FORMAT_EXTENSIBLE fmt chunk too short (%d bytes)", len(b))
		}
		if valid := int(le.Uint16(b[18:])); valid > bits {
			return f, fmt.Errorf("%d valid bits in a %d-bit container", valid, bits)
		}
		// The sub-format GUID starts with the ordinary format tag.
		f.tag = le.Uint16(b[24:])
	}
	if f.channels == 0 {
		return f, errors.New("zero channels")
	}
	if f.channels > maxChannels {
		return f, fmt.Errorf("%d channels (at most %d supported)", f.channels, maxChannels)
	}
	if f.rate == 0 {
		return f, errors.New("sample rate 0")
	}
	switch f.tag {
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
		return f, fmt.Errorf("WAV encoding 0x%04x: %w", f.tag, ErrUnsupported)
	}
	f.bytesPer = bits / 8
	// Trust our own arithmetic over the header's block align, which some writers get wrong, but refuse a
	// header that contradicts itself in a way that would change how the data is laid out.
	if want := f.channels * f.bytesPer; f.blockAlign != want {
		if f.blockAlign != 0 {
			return f, fmt.Errorf("block align %d, expected %d for %d channels of %d bits", f.blockAlign, want, f.channels, bits)
		}
		f.blockAlign = want
	}
	return f, nil
}

func convert(dst []float32, b []byte, f wavFormat) []float32 {
	le := binary.LittleEndian
	switch {
	case f.tag == wavePCM && f.bytesPer == 1:
		for _, v := range b {
			dst = append(dst, float32(int(v)-128)/128)
		}
	case f.tag == wavePCM && f.bytesPer == 2:
		for i := 0; i+1 < len(b); i += 2 {
			dst = append(dst, float32(int16(le.Uint16(b[i:])))/32768)
		}
	case f.tag == wavePCM && f.bytesPer == 3:
		for i := 0; i+2 < len(b); i += 3 {
			v := int32(uint32(b[i])<<8|uint32(b[i+1])<<16|uint32(b[i+2])<<24) >> 8
			dst = append(dst, float32(v)/(1<<23))
		}
	case f.tag == wavePCM && f.bytesPer == 4:
		for i := 0; i+3 < len(b); i += 4 {
			dst = append(dst, float32(float64(int32(le.Uint32(b[i:])))/(1<<31)))
		}
	case f.tag == waveFloat && f.bytesPer == 4:
		for i := 0; i+3 < len(b); i += 4 {
			dst = append(dst, clean(float64(math.Float32frombits(le.Uint32(b[i:])))))
		}
	case f.tag == waveFloat && f.bytesPer == 8:
		for i := 0; i+7 < len(b); i += 8 {
			dst = append(dst, clean(math.Float64frombits(le.Uint64(b[i:]))))
		}
	case f.tag == waveALaw:
		for _, v := range b {
			dst = append(dst, float32(alaw(v))/32768)
		}
	case f.tag == waveMuLaw:
		for _, v := range b {
			dst = append(dst, float32(mulaw(v))/32768)
		}
	}
	return dst
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
	h := make([]byte, 0, 44)
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

// WAVHeaderSize is the length of WAVHeader's result, where the samples start.
const WAVHeaderSize = 44

// EncodeWAV writes mono samples at rate as a 16-bit PCM WAV file.
func EncodeWAV(w io.Writer, samples []float32, rate int) error {
	if rate <= 0 {
		return fmt.Errorf("audiofile: encode WAV: bad sample rate %d", rate)
	}
	if int64(len(samples))*2 > unknownSize-36 {
		return fmt.Errorf("audiofile: encode WAV: %d samples do not fit a WAV file", len(samples))
	}
	if _, err := w.Write(WAVHeader(rate, 1, int64(len(samples))*2)); err != nil {
		return fmt.Errorf("audiofile: encode WAV: %w", err)
	}
	const chunk = 1 << 15
	buf := make([]byte, 0, 2*chunk)
	for len(samples) > 0 {
		n := min(chunk, len(samples))
		buf = AppendPCM16(buf[:0], samples[:n])
		if _, err := w.Write(buf); err != nil {
			return fmt.Errorf("audiofile: encode WAV: %w", err)
		}
		samples = samples[n:]
	}
	return nil
}
