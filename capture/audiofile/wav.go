package audiofile

import (
	"errors"
	"fmt"
	"io"

	"github.com/verbatim-app/verbatim/capture/pcm"
)

// newWAV reads the RIFF header up to the data chunk and returns a source for the samples.
func newWAV(r io.Reader) (source, int, int, error) {
	f, size, toEOF, err := pcm.ReadWAVHeader(r)
	if err != nil {
		return nil, 0, 0, err
	}
	const framesPerRead = 4096
	w := &wavSource{r: r, f: f, size: size, remaining: size, toEOF: toEOF,
		buf: make([]byte, framesPerRead*f.BlockAlign), samples: make([]float32, 0, framesPerRead*f.Channels)}
	return w, f.Rate, f.Channels, nil
}

// wavSource reads the data chunk in blocks of whole frames.
type wavSource struct {
	r               io.Reader
	f               pcm.WAVFormat
	size, remaining uint64
	toEOF           bool
	frames          int64
	buf             []byte
	samples         []float32
}

func (w *wavSource) close() {}

func (w *wavSource) next() ([]float32, error) {
	align := uint64(w.f.BlockAlign)
	if !w.toEOF && w.remaining < align {
		return nil, io.EOF
	}
	want := len(w.buf)
	if !w.toEOF && uint64(want) > w.remaining {
		want = int(w.remaining / align * align)
	}
	n, err := io.ReadFull(w.r, w.buf[:want])
	n -= n % w.f.BlockAlign
	w.remaining -= uint64(n)
	w.samples = w.f.AppendSamples(w.samples[:0], w.buf[:n])
	w.frames += int64(n / w.f.BlockAlign)
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
