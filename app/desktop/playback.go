package desktop

import (
	"bytes"
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"sync"
	"time"

	"github.com/verbatim-app/verbatim/app/session"
	"github.com/verbatim-app/verbatim/capture"
	"github.com/verbatim-app/verbatim/capture/audiofile"
	"github.com/verbatim-app/verbatim/capture/pcm"
)

// PlaybackEvent is where a playback is. The last one has Ended set, then the channel closes.
type PlaybackEvent struct {
	Position time.Duration // in the source: where playing started plus what has been played since
	Paused   bool
	Ended    bool  // the playback is over: played out, stopped, or replaced by another
	Err      error // with Ended: why it stopped early (the output device went away, the file is damaged)
}

// ErrAudioGone means the audio to play is no longer where it was recorded or transcribed from.
var ErrAudioGone = errors.New("the audio is no longer there")

// positionEvery is how often a playback reports its position.
const positionEvery = 100 * time.Millisecond

// Player plays recorded audio back for the window, one source at a time: a live session's recording
// or a transcribed file, from the time of a line.
type Player struct {
	speakers capture.Speakers

	playMu sync.Mutex // one Play at a time: a second waits, then replaces the first
	mu     sync.Mutex
	cur    *playing
}

type playing struct {
	pb     *capture.Playback
	closer io.Closer
	from   time.Duration
}

// NewPlayer plays on speakers (capture/miniaudio's in the app).
func NewPlayer(speakers capture.Speakers) *Player { return &Player{speakers: speakers} }

// Play stops whatever is playing and plays source from at. source is a session folder (its
// recording) or an audio file (WAV, MP3, FLAC). Events report the position every 100 ms while it
// plays; the last has Ended set, then the channel closes: read it until it does. A source that is gone
// is an error wrapping ErrAudioGone.
func (p *Player) Play(ctx context.Context, source string, at time.Duration) (<-chan PlaybackEvent, error) {
	p.playMu.Lock()
	defer p.playMu.Unlock()
	if err := p.Stop(ctx); err != nil {
		return nil, err
	}
	src, closer, from, err := openAt(source, at)
	if err != nil {
		return nil, err
	}
	pb, err := p.speakers.Play(ctx, src)
	if err != nil {
		closer.Close()
		return nil, fmt.Errorf("play %s: %w", source, err)
	}
	cur := &playing{pb: pb, closer: closer, from: from}
	p.mu.Lock()
	p.cur = cur
	p.mu.Unlock()
	ch := make(chan PlaybackEvent, 1)
	go p.report(cur, ch)
	return ch, nil
}

// report sends the position until the playback ends, then Ended. Positions nobody has read yet are
// replaced rather than queued; Ended always arrives.
func (p *Player) report(cur *playing, ch chan PlaybackEvent) {
	tick := time.NewTicker(positionEvery)
	defer tick.Stop()
	for {
		select {
		case <-cur.pb.Done():
			cur.closer.Close()
			p.mu.Lock()
			if p.cur == cur {
				p.cur = nil
			}
			p.mu.Unlock()
			select {
			case <-ch: // an unread position: Ended takes its place
			default:
			}
			ch <- PlaybackEvent{Position: cur.from + cur.pb.Position(), Ended: true, Err: cur.pb.Err()}
			close(ch)
			return
		case <-tick.C:
			ev := PlaybackEvent{Position: cur.from + cur.pb.Position(), Paused: cur.pb.Paused()}
			select {
			case <-ch:
			default:
			}
			select {
			case ch <- ev:
			default:
			}
		}
	}
}

func (p *Player) current() *playing {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.cur
}

// Pause holds the playback where it is.
func (p *Player) Pause() {
	if c := p.current(); c != nil {
		c.pb.Pause()
	}
}

// Resume goes on after Pause.
func (p *Player) Resume() {
	if c := p.current(); c != nil {
		c.pb.Resume()
	}
}

// Stop ends the playback, if one is on, and returns when the output is closed or ctx ends.
func (p *Player) Stop(ctx context.Context) error {
	c := p.current()
	if c == nil {
		return nil
	}
	return c.pb.Stop(ctx)
}

// SessionDir is the folder of the session being recorded (or recorded last); "" when none is: what
// the window plays a live line from.
func (r *Recorder) SessionDir() string { return r.rec.SessionDir() }

// openAt opens source for reading from at. It returns the samples, what to close when done, and the
// time the samples start at (at, to the sample; 0 for a negative at). A session that recorded the
// computer's sound beside the microphone plays both together, as the call sounded.
func openAt(source string, at time.Duration) (capture.SampleReader, io.Closer, time.Duration, error) {
	at = max(at, 0)
	st, err := os.Stat(source)
	if err != nil {
		if errors.Is(err, fs.ErrNotExist) {
			return nil, nil, 0, fmt.Errorf("play %s: %w", source, ErrAudioGone)
		}
		return nil, nil, 0, fmt.Errorf("play: %w", err)
	}
	if !st.IsDir() {
		return openFileAt(source, at)
	}
	in, err := session.Load(source)
	if err != nil {
		return nil, nil, 0, fmt.Errorf("play session %s: %w", source, err)
	}
	mic, micClose, from, err := openFileAt(in.AudioPath, at)
	if err != nil || in.SystemAudioPath == "" {
		return mic, micClose, from, err
	}
	sys, sysClose, _, err := openFileAt(in.SystemAudioPath, at)
	if err != nil {
		micClose.Close()
		return nil, nil, 0, err
	}
	return &mix{a: mic, b: sys}, closers{micClose, sysClose}, from, nil
}

// openFileAt opens an audio file for reading from at.
func openFileAt(path string, at time.Duration) (capture.SampleReader, io.Closer, time.Duration, error) {
	f, err := os.Open(path)
	if err != nil {
		if errors.Is(err, fs.ErrNotExist) {
			return nil, nil, 0, fmt.Errorf("play %s: %w", path, ErrAudioGone)
		}
		return nil, nil, 0, fmt.Errorf("play: %w", err)
	}
	if s, from, ok := seekWAV(f, path, at); ok {
		return s, f, from, nil
	}
	// Not a plain WAV: decode from the start and drop what comes before at. Compressed files have no
	// index to seek with; decoding is far faster than real time.
	if _, err := f.Seek(0, io.SeekStart); err != nil {
		f.Close()
		return nil, nil, 0, fmt.Errorf("play %s: %w", path, err)
	}
	s, err := audiofile.NewStream(f, path)
	if err != nil {
		f.Close()
		return nil, nil, 0, fmt.Errorf("play: %w", err)
	}
	skip := pcm.Samples(at)
	buf := make([]float32, 64<<10)
	for skip > 0 {
		n, err := s.Read(buf[:min(skip, len(buf))])
		skip -= n
		if err != nil {
			// The file ends (or breaks) before at: there is nothing to play from there.
			return eofReader{}, f, at, nil
		}
	}
	return s, f, at, nil
}

// mix plays two sources at once (a session's microphone and the computer's sound, on one timeline),
// until both have ended.
type mix struct {
	a, b       capture.SampleReader
	aEnd, bEnd bool
	aBuf, bBuf []float32
	aErr, bErr error
}

func (m *mix) Read(p []float32) (int, error) {
	if len(m.aBuf) < len(p) {
		m.aBuf, m.bBuf = make([]float32, len(p)), make([]float32, len(p))
	}
	na := readFull(m.a, m.aBuf[:len(p)], &m.aEnd, &m.aErr)
	nb := readFull(m.b, m.bBuf[:len(p)], &m.bEnd, &m.bErr)
	n := max(na, nb)
	for i := range n {
		var v float64
		if i < na {
			v += float64(m.aBuf[i])
		}
		if i < nb {
			v += float64(m.bBuf[i])
		}
		p[i] = pcm.Clip(v)
	}
	if m.aEnd && m.bEnd {
		if err := errors.Join(m.aErr, m.bErr); err != nil {
			return n, err
		}
		return n, io.EOF
	}
	return n, nil
}

// readFull reads r until buf is full or r ends; the end (and a real error) is remembered.
func readFull(r capture.SampleReader, buf []float32, ended *bool, failed *error) int {
	n := 0
	for n < len(buf) && !*ended {
		k, err := r.Read(buf[n:])
		n += k
		if err != nil {
			*ended = true
			if !errors.Is(err, io.EOF) {
				*failed = err
			}
		} else if k == 0 {
			break
		}
	}
	return n
}

type closers []io.Closer

func (c closers) Close() error {
	var errs []error
	for _, x := range c {
		errs = append(errs, x.Close())
	}
	return errors.Join(errs...)
}

// seekWAV starts a RIFF WAV at the frame of at without reading what comes before: the file's own
// header, its data size shortened to what is left, followed by the data from that frame, decoded as
// any WAV. ok is false for what it cannot seek in (RF64, another container, a broken header).
func seekWAV(f *os.File, path string, at time.Duration) (s capture.SampleReader, from time.Duration, ok bool) {
	var magic [4]byte
	if _, err := f.ReadAt(magic[:], 0); err != nil || string(magic[:]) != "RIFF" {
		return nil, 0, false
	}
	// ReadWAVHeader reads exactly up to the data, so the section's position is where the data begins.
	sr := io.NewSectionReader(f, 0, 1<<62)
	format, size, toEnd, err := pcm.ReadWAVHeader(sr)
	if err != nil || format.BlockAlign <= 0 {
		return nil, 0, false
	}
	dataAt, _ := sr.Seek(0, io.SeekCurrent)
	frame := int64(at) * int64(format.Rate) / int64(time.Second)
	skip := frame * int64(format.BlockAlign)
	if !toEnd && uint64(skip) > size {
		skip = int64(size - size%uint64(format.BlockAlign))
		frame = skip / int64(format.BlockAlign)
	}
	hdr := make([]byte, dataAt)
	if _, err := f.ReadAt(hdr, 0); err != nil {
		return nil, 0, false
	}
	if !toEnd {
		left := size - uint64(skip)
		if left == 0 {
			// Nothing after at; a data size of 0 would read as "to the end of the file" instead.
			return eofReader{}, time.Duration(frame) * time.Second / time.Duration(format.Rate), true
		}
		binary.LittleEndian.PutUint32(hdr[dataAt-4:], uint32(left))
	}
	r := io.MultiReader(bytes.NewReader(hdr), io.NewSectionReader(f, dataAt+skip, 1<<62))
	st, err := audiofile.NewStream(r, path)
	if err != nil {
		return nil, 0, false
	}
	return st, time.Duration(frame) * time.Second / time.Duration(format.Rate), true
}

// eofReader is a source with nothing left in it.
type eofReader struct{}

func (eofReader) Read([]float32) (int, error) { return 0, io.EOF }
