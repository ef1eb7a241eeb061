package audiofile

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"os"
	"time"

	"github.com/verbatim-app/verbatim/capture/pcm"
)

// ErrNoAudio is wrapped by the error of an input that decodes without fault to no samples at all: an empty
// result must never look like a silent success.
var ErrNoAudio = errors.New("no audio samples")

// ErrTooLong is wrapped by the error of an input longer than MaxDuration; the samples up to the limit are
// still delivered.
var ErrTooLong = fmt.Errorf("longer than %v", MaxDuration)

// DamageError reports a file that is damaged part of the way through: truncated, or holding frames that
// do not decode. Everything before At (and, where a damaged frame was skipped, everything after it) has
// been delivered; the caller can use the audio and still report the file as damaged.
type DamageError struct {
	Path string
	// At is the position in the audio of the first damage.
	At time.Duration
	// Truncated says the audio ends at At; otherwise the damaged frames were replaced by silence of their
	// length, so later timestamps stay right, and decoding went on.
	Truncated bool
	// Skipped counts the damaged stretches replaced by silence.
	Skipped int
	Err     error
}

func (e *DamageError) Error() string {
	what := "the audio ends there"
	switch {
	case e.Skipped > 0 && e.Truncated:
		what = fmt.Sprintf("%d damaged stretch(es) replaced by silence, and the audio is cut short", e.Skipped)
	case e.Skipped > 0:
		what = fmt.Sprintf("%d damaged stretch(es) replaced by silence", e.Skipped)
	}
	return fmt.Sprintf("audiofile: %s: damaged at %s (%s): %v", e.Path, fmtTime(e.At), what, e.Err)
}

func (e *DamageError) Unwrap() error { return e.Err }

func fmtTime(d time.Duration) string {
	d = d.Round(time.Millisecond)
	return fmt.Sprintf("%d:%02d:%02d.%03d", int(d.Hours()), int(d.Minutes())%60, int(d.Seconds())%60, d.Milliseconds()%1000)
}

// damage is what a source returns for a damaged stretch; frame is where it starts, in source frames.
// With skipped set the source has returned silence in its place and goes on; otherwise the stream ends.
type damage struct {
	frame   int64
	skipped bool
	err     error
}

func (d *damage) Error() string { return d.err.Error() }

// source is one container's decoder: interleaved float samples at the file's rate, in blocks of whole
// frames that stay valid until the next call. io.EOF ends a clean stream.
type source interface {
	next() ([]float32, error)
	close()
}

// Stream decodes an audio file as it is read, yielding 16 kHz mono samples; its memory does not depend
// on the length of the input. It is not safe for concurrent use.
type Stream struct {
	name           string
	format         Format
	closer         io.Closer
	src            source
	rate, channels int
	rs             *pcm.Resampler
	mono           []float32
	pending        []float32 // output not yet returned: pending[off:]
	off            int
	frames         int64 // source frames decoded, silence for skipped frames included
	maxFrames      int64
	out            int64 // output samples returned
	end            error // why the source stopped (io.EOF when cleanly), nil while it runs
	flushed        bool
	damage         *DamageError
}

// Open opens the file at path for streaming decode. Close the stream when done.
func Open(path string) (*Stream, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("audiofile: %w", err)
	}
	s, err := NewStream(f, path)
	if err != nil {
		f.Close()
		return nil, err
	}
	s.closer = f
	return s, nil
}

// NewStream starts decoding r, reading the header so that the source format is known. name is used to
// name the input in errors and as a hint when the content alone is ambiguous (a headerless MP3 stream).
func NewStream(r io.Reader, name string) (s *Stream, err error) {
	defer func() {
		// The MP3 and FLAC decoders include third-party code; a malformed file must never take the process down.
		if p := recover(); p != nil {
			s, err = nil, fmt.Errorf("audiofile: %s: malformed data (decoder panic: %v)", name, p)
		}
	}()
	br := bufio.NewReaderSize(r, 64<<10)
	format, err := sniff(br, name)
	if err != nil {
		return nil, fmt.Errorf("audiofile: %s: %w", name, err)
	}
	s = &Stream{name: name, format: format}
	var src source
	switch format {
	case FormatWAV:
		src, s.rate, s.channels, err = newWAV(br)
	case FormatMP3:
		src, s.rate, s.channels, err = newMP3(br)
	case FormatFLAC:
		src, s.rate, s.channels, err = newFLAC(br)
	case FormatOgg:
		err = fmt.Errorf("Ogg (Vorbis/Opus) audio: %w; convert it first, e.g. ffmpeg -i in.ogg out.flac", ErrUnsupported)
	default:
		err = fmt.Errorf("not WAV, MP3 or FLAC: %w", ErrUnsupported)
	}
	if err == nil {
		err = s.start()
	}
	if err != nil {
		if src != nil {
			src.close()
		}
		return nil, fmt.Errorf("audiofile: %s: %s: %w", name, format, err)
	}
	s.src = src
	return s, nil
}

func (s *Stream) start() error {
	if s.channels <= 0 {
		return errors.New("zero channels")
	}
	if s.channels > pcm.MaxChannels {
		return fmt.Errorf("%d channels (at most %d supported)", s.channels, pcm.MaxChannels)
	}
	if s.rate < MinRate || s.rate > pcm.MaxRate {
		return fmt.Errorf("sample rate %d Hz out of range (%d..%d)", s.rate, MinRate, pcm.MaxRate)
	}
	rs, err := pcm.NewResampler(s.rate, pcm.Rate)
	if err != nil {
		return err
	}
	s.rs = rs
	s.maxFrames = int64(MaxDuration/time.Second) * int64(s.rate)
	return nil
}

// Format is the container the stream was sniffed as.
func (s *Stream) Format() Format { return s.format }

// SourceRate is the sample rate of the file.
func (s *Stream) SourceRate() int { return s.rate }

// SourceChannels is the channel count of the file.
func (s *Stream) SourceChannels() int { return s.channels }

// Duration is the length of the source audio decoded so far (all of it once Read has returned an error).
func (s *Stream) Duration() time.Duration {
	if s.rate == 0 {
		return 0
	}
	return time.Duration(s.frames) * time.Second / time.Duration(s.rate)
}

// Read fills p with 16 kHz mono samples. At the end it returns io.EOF; for a damaged file it returns a
// *DamageError instead, after every sample that could be decoded; an input with no samples at all ends
// with an error wrapping ErrNoAudio. Any other error also comes after the samples before it.
func (s *Stream) Read(p []float32) (n int, err error) {
	for n < len(p) {
		if s.off < len(s.pending) {
			k := copy(p[n:], s.pending[s.off:])
			s.off += k
			n += k
			continue
		}
		s.pending, s.off = s.pending[:0], 0
		if s.end == nil {
			s.fill()
			continue
		}
		if s.flushed {
			break
		}
		s.pending = s.rs.AppendFlush(s.pending)
		s.flushed = true
	}
	s.out += int64(n)
	if n > 0 {
		return n, nil
	}
	return 0, s.final()
}

// fill decodes the next block from the source into pending, or sets end.
func (s *Stream) fill() {
	defer func() {
		if p := recover(); p != nil {
			s.stop(&damage{frame: s.frames, err: fmt.Errorf("malformed data (decoder panic: %v)", p)})
		}
	}()
	block, err := s.src.next()
	if d, ok := err.(*damage); ok && d.skipped {
		s.note(d)
		err = nil
	}
	if n := int64(len(block) / s.channels); n > 0 {
		if s.frames+n > s.maxFrames {
			n = s.maxFrames - s.frames
			block = block[:n*int64(s.channels)]
			err = ErrTooLong
		}
		s.frames += n
		if s.channels == 1 {
			s.pending = s.rs.AppendProcess(s.pending, block)
		} else {
			s.pending = s.rs.AppendProcess(s.pending, s.downmix(block))
		}
	}
	if err != nil {
		s.stop(err)
	}
}

func (s *Stream) downmix(interleaved []float32) []float32 {
	n := len(interleaved) / s.channels
	s.mono = s.mono[:0]
	inv := 1 / float32(s.channels)
	for i := 0; i < n; i++ {
		var sum float32
		for _, v := range interleaved[i*s.channels : (i+1)*s.channels] {
			sum += v
		}
		s.mono = append(s.mono, sum*inv)
	}
	return s.mono
}

func (s *Stream) at(frame int64) time.Duration {
	return time.Duration(frame) * time.Second / time.Duration(s.rate)
}

// note records a damaged stretch the source skipped; the first one names the position.
func (s *Stream) note(d *damage) {
	if s.damage == nil {
		s.damage = &DamageError{Path: s.name, At: s.at(d.frame), Err: d.err}
	}
	s.damage.Skipped++
}

// stop ends the source with err (io.EOF when cleanly).
func (s *Stream) stop(err error) {
	if d, ok := err.(*damage); ok {
		if s.damage == nil {
			s.damage = &DamageError{Path: s.name, At: s.at(d.frame), Err: d.err}
		}
		s.damage.Truncated = true
		if s.damage.At > s.at(d.frame) {
			s.damage.At = s.at(d.frame)
		}
		err = io.EOF
	}
	s.end = err
	if s.src != nil {
		s.src.close()
	}
}

// final is what Read returns once every sample has been returned.
func (s *Stream) final() error {
	switch {
	case s.end != io.EOF:
		return fmt.Errorf("audiofile: %s: %s: %w", s.name, s.format, s.end)
	case s.damage != nil:
		return s.damage
	case s.out == 0:
		return fmt.Errorf("audiofile: %s: %s: %w", s.name, s.format, ErrNoAudio)
	}
	return io.EOF
}

// Close releases the decoder and closes the file Open opened.
func (s *Stream) Close() error {
	if s.end == nil {
		s.stop(errors.New("closed"))
	}
	if s.closer != nil {
		c := s.closer
		s.closer = nil
		return c.Close()
	}
	return nil
}
