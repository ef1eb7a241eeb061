package audiofile

import (
	"bufio"
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"io"

	"github.com/mewkiz/flac/frame"
)

// The metadata is parsed here and only frames are left to the flac package, because its stream reader
// neither reports a file cut inside the metadata (it decoded to nothing, without error) nor can find the
// next frame after a damaged one.

const (
	flacStreamInfo = 0
	// flacFrameCap bounds one frame's encoded size: 65535 samples × 8 channels × 33 bits (a verbatim side
	// channel), plus headers. Parsing from a window this long never fails for want of bytes.
	flacFrameCap = 65535*8*33/8 + 1024
	// flacWindow is the read-ahead while frames parse cleanly; it grows to 2×flacFrameCap for a frame
	// that does not parse, so that a damaged frame is never mistaken for a short read.
	flacWindow = 256 << 10
	// silenceBlock bounds the silence returned in one block for a skipped stretch.
	silenceBlock = 1 << 16
)

type flacSource struct {
	r         io.Reader
	win       []byte // read-ahead: win[pos:] is unread
	pos       int
	target    int  // how much read-ahead fill keeps
	eof       bool // r is exhausted
	rerr      error
	channels  int
	bps       int
	blockSize int   // STREAMINFO's block size when fixed (min = max), which numbers fixed-size frames
	total     int64 // samples per channel STREAMINFO declares; 0 when unknown
	sample    int64 // the next sample expected
	silence   int64 // silence still owed for a skipped stretch
	held      *frame.Frame
	samples   []float32
}

func newFLAC(br *bufio.Reader) (source, int, int, error) {
	// Skip ID3v2 tags here too: some taggers put them in front of FLAC files.
	if err := skipID3(br); err != nil {
		return nil, 0, 0, err
	}
	var magic [4]byte
	if _, err := io.ReadFull(br, magic[:]); err != nil || string(magic[:]) != "fLaC" {
		return nil, 0, 0, errors.New("no fLaC signature")
	}
	f := &flacSource{r: br, target: flacWindow}
	rate := 0
	for i := 0; ; i++ {
		var h [4]byte
		if _, err := io.ReadFull(br, h[:]); err != nil {
			return nil, 0, 0, fmt.Errorf("file ends inside the metadata (block %d header): %w", i, io.ErrUnexpectedEOF)
		}
		last, typ, size := h[0]&0x80 != 0, h[0]&0x7f, int64(h[1])<<16|int64(h[2])<<8|int64(h[3])
		if i == 0 && typ != flacStreamInfo {
			return nil, 0, 0, errors.New("no STREAMINFO block")
		}
		if typ == 127 {
			return nil, 0, 0, fmt.Errorf("metadata block %d has the invalid type 127", i)
		}
		if typ == flacStreamInfo {
			if i != 0 || size < 34 {
				return nil, 0, 0, fmt.Errorf("bad STREAMINFO block (%d bytes, block %d)", size, i)
			}
			b := make([]byte, size)
			if _, err := io.ReadFull(br, b); err != nil {
				return nil, 0, 0, fmt.Errorf("file ends inside the STREAMINFO block: %w", io.ErrUnexpectedEOF)
			}
			minBlock, maxBlock := int(binary.BigEndian.Uint16(b[0:])), int(binary.BigEndian.Uint16(b[2:]))
			if minBlock == maxBlock {
				f.blockSize = maxBlock
			}
			rate = int(b[10])<<12 | int(b[11])<<4 | int(b[12])>>4
			f.channels = int(b[12]>>1&7) + 1
			f.bps = int(b[12]&1)<<4 | int(b[13]>>4) + 1
			f.total = int64(b[13]&0xf)<<32 | int64(binary.BigEndian.Uint32(b[14:]))
			if f.bps < 4 || f.bps > 32 {
				return nil, 0, 0, fmt.Errorf("%d bits per sample", f.bps)
			}
		} else if got, err := io.CopyN(io.Discard, br, size); err != nil {
			return nil, 0, 0, fmt.Errorf("file ends inside the metadata: block %d declares %d bytes but only %d follow: %w", i, size, got, io.ErrUnexpectedEOF)
		}
		if last {
			break
		}
	}
	return f, rate, f.channels, nil
}

func (f *flacSource) close() {}

// fill tops the read-ahead up to target bytes (or the end of the input).
func (f *flacSource) fill() {
	if f.eof || len(f.win)-f.pos >= f.target {
		return
	}
	n := copy(f.win, f.win[f.pos:])
	f.win, f.pos = f.win[:n], 0
	if cap(f.win) < 2*f.target {
		w := make([]byte, n, 2*f.target)
		copy(w, f.win)
		f.win = w
	}
	for len(f.win) < cap(f.win) && !f.eof {
		k, err := f.r.Read(f.win[len(f.win):cap(f.win)])
		f.win = f.win[:len(f.win)+k]
		if err != nil {
			f.eof = true
			if !errors.Is(err, io.EOF) {
				f.rerr = err
			}
		}
	}
}

// parse decodes the frame at win[at:] and returns it with its encoded length, checking it against the
// stream: a frame the flac package accepts may still disagree with STREAMINFO.
func (f *flacSource) parse(at int) (fr *frame.Frame, n int, err error) {
	defer func() {
		if p := recover(); p != nil {
			fr, err = nil, fmt.Errorf("malformed frame (decoder panic: %v)", p)
		}
	}()
	rd := bytes.NewReader(f.win[at:])
	fr, err = frame.Parse(rd)
	if err != nil {
		return nil, 0, err
	}
	n = len(f.win) - at - rd.Len()
	if len(fr.Subframes) != f.channels {
		return nil, n, fmt.Errorf("frame has %d channels, the stream declares %d", len(fr.Subframes), f.channels)
	}
	if b := int(fr.BitsPerSample); b > 32 {
		return nil, n, fmt.Errorf("frame has %d bits per sample", b)
	}
	for _, sf := range fr.Subframes {
		if len(sf.Samples) < int(fr.BlockSize) {
			return nil, n, fmt.Errorf("subframe has %d samples, block size %d", len(sf.Samples), fr.BlockSize)
		}
	}
	return fr, n, nil
}

// first is the number of the frame's first sample, from its header.
func (f *flacSource) first(fr *frame.Frame) (int64, bool) {
	if !fr.HasFixedBlockSize {
		return int64(fr.Num), true
	}
	if f.blockSize == 0 {
		return 0, false
	}
	return int64(fr.Num) * int64(f.blockSize), true
}

// noteBlockSize takes the numbering block size from the first frame when STREAMINFO's min and max
// differ (some encoders count the short last frame in the minimum).
func (f *flacSource) noteBlockSize(fr *frame.Frame) {
	if f.blockSize == 0 && fr.HasFixedBlockSize && f.sample == 0 {
		f.blockSize = int(fr.BlockSize)
	}
}

func (f *flacSource) next() ([]float32, error) {
	if f.silence > 0 {
		return f.silent(), nil
	}
	if f.held != nil {
		fr := f.held
		f.held = nil
		return f.convert(fr), nil
	}
	if f.total > 0 && f.sample >= f.total {
		return nil, io.EOF // whatever follows the declared samples (a tag) is not audio
	}
	f.fill()
	if f.pos == len(f.win) {
		return f.end(nil)
	}
	fr, n, err := f.parse(f.pos)
	if err != nil && !f.eof && f.target < 2*flacFrameCap {
		// Perhaps only a frame longer than the read-ahead: try again with room for the longest possible.
		f.target = 2 * flacFrameCap
		f.fill()
		fr, n, err = f.parse(f.pos)
	}
	if err == nil {
		f.pos += n
		f.noteBlockSize(fr)
		return f.convert(fr), nil
	}
	return f.resync(err)
}

// resync looks past a frame that does not decode for the next one that does and whose position in the
// stream follows on from where the damage began; the stretch between is owed as silence.
func (f *flacSource) resync(cause error) ([]float32, error) {
	startByte := f.pos
	// Bytes after the last frame are damage only if they start a frame (or STREAMINFO says samples are
	// missing, see end); anything else there is a trailing tag or padding.
	startsFrame := f.pos+1 < len(f.win) && f.win[f.pos] == 0xFF && f.win[f.pos+1]&0xFE == 0xF8
	for at := f.pos + 1; ; at++ {
		if len(f.win)-at < flacFrameCap && !f.eof {
			// Keep the whole candidate frame in the window (fill moves the unread bytes to the front).
			f.pos = at
			f.target = 2 * flacFrameCap
			f.fill()
			startByte -= at - f.pos
			at = f.pos
		}
		i := bytes.IndexByte(f.win[at:], 0xFF)
		if i < 0 || at+i+1 >= len(f.win) {
			if f.eof {
				f.pos = len(f.win)
				if !startsFrame && f.total == 0 {
					return f.end(nil)
				}
				return f.end(cause)
			}
			at = len(f.win) - 2 // the loop's at++ makes it len-1, keeping a lone 0xFF at the end
			continue
		}
		at += i
		if f.win[at+1]&0xFE != 0xF8 {
			continue
		}
		fr, n, err := f.parse(at)
		if err != nil {
			continue
		}
		first, ok := f.first(fr)
		gap := first - f.sample
		// A stretch of bytes can hide at most a few thousand samples per byte (constant subframes); a
		// candidate outside that is a false sync inside the damaged data.
		if !ok || gap < 0 || gap > int64(at-startByte+1)*(1<<16) || (f.total > 0 && first >= f.total) {
			continue
		}
		d := &damage{frame: f.sample, skipped: true, err: fmt.Errorf("frame at sample %d does not decode (%v)", f.sample, cause)}
		f.pos = at + n
		f.silence = gap
		if gap == 0 {
			return f.convert(fr), d
		}
		f.held = fr
		return f.silent(), d
	}
}

// end reports the end of the input after the last frame; cause is why the frame there did not decode.
func (f *flacSource) end(cause error) ([]float32, error) {
	switch {
	case f.rerr != nil:
		return nil, &damage{frame: f.sample, err: fmt.Errorf("read: %w", f.rerr)}
	case f.total > 0 && f.sample < f.total:
		if cause == nil {
			cause = io.ErrUnexpectedEOF
		}
		return nil, &damage{frame: f.sample, err: fmt.Errorf("the stream declares %d samples, the file ends after %d (%w)", f.total, f.sample, cause)}
	case cause != nil:
		// Without a declared length, bytes after the last frame are damage only if they start a frame.
		return nil, &damage{frame: f.sample, err: fmt.Errorf("last frame does not decode: %w", cause)}
	}
	return nil, io.EOF
}

func (f *flacSource) silent() []float32 {
	n := min(f.silence, silenceBlock)
	f.silence -= n
	f.sample += n
	f.samples = f.samples[:0]
	for range n * int64(f.channels) {
		f.samples = append(f.samples, 0)
	}
	return f.samples
}

func (f *flacSource) convert(fr *frame.Frame) []float32 {
	bps := int(fr.BitsPerSample)
	if bps == 0 {
		bps = f.bps
	}
	scale := 1 / float32(int64(1)<<(max(bps, 1)-1))
	n := int(fr.BlockSize)
	f.samples = f.samples[:0]
	for j := 0; j < n; j++ {
		for c := 0; c < f.channels; c++ {
			f.samples = append(f.samples, float32(fr.Subframes[c].Samples[j])*scale)
		}
	}
	f.sample += int64(n)
	return f.samples
}
