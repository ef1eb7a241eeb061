package capture

import (
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"math"
	"sync"
	"sync/atomic"
	"time"

	"github.com/verbatim-app/verbatim/capture/pcm"
)

// Playback is the output side of the same arrangement as Stream: the device's audio thread only copies
// bytes out of a lock-free ring (silence when it is empty or paused; the callback never waits), and a
// goroutine keeps the ring filled from the source. Pausing is instant because it happens in the
// callback; the device stays open until Stop or the end.

// SampleReader is a source of 16 kHz mono samples (pcm.Rate), such as audiofile.Stream. Read returns
// io.EOF after the last sample.
type SampleReader interface {
	Read(p []float32) (int, error)
}

// Speakers play audio on the system's default output: capture/miniaudio's in the app, fakes in tests.
type Speakers interface {
	// Play starts playing src at once; it plays until src ends, Stop, or a device error.
	Play(ctx context.Context, src SampleReader) (*Playback, error)
}

// OutputDriver opens output hardware.
type OutputDriver interface {
	// OpenOutput prepares the default output device for 16 kHz mono float32 (little-endian), converted
	// by the backend to what the device takes. fill is called on the audio thread for every buffer the
	// device wants and fills all of out; stopped is called if the device stops by itself.
	OpenOutput(ctx context.Context, fill func(out []byte), stopped func()) (Hardware, error)
}

// ErrOutputLost ends a playback whose device stopped or disappeared.
var ErrOutputLost = errors.New("output device stopped or disappeared")

// playBuffer is the audio the ring holds ahead of the device: enough to ride out a busy moment of the
// feeding goroutine, short enough that Stop and a new Play are not heard late.
const playBuffer = 500 * time.Millisecond

// Playback is audio being played. Its methods are safe for concurrent use.
type Playback struct {
	hw          Hardware
	src         SampleReader
	ring        *ring
	log         *slog.Logger
	stopTimeout time.Duration

	played  atomic.Int64 // samples handed to the device
	paused  atomic.Bool
	fed     atomic.Bool // the source has ended and all of it is in the ring
	drained atomic.Bool // the callback found the ring empty after that
	devStop atomic.Bool
	wake    chan struct{}

	quit     chan struct{}
	quitOnce sync.Once
	done     chan struct{}
	err      error
}

// Play plays src on drv's output device. ctx bounds the opening only.
func Play(ctx context.Context, drv OutputDriver, src SampleReader, log *slog.Logger) (*Playback, error) {
	if log == nil {
		log = slog.Default()
	}
	p := &Playback{
		src:         src,
		ring:        newRing(4 * pcm.Samples(playBuffer)),
		log:         log,
		stopTimeout: 2 * time.Second,
		wake:        make(chan struct{}, 1),
		quit:        make(chan struct{}),
		done:        make(chan struct{}),
	}
	// Fill the ring before the device starts, so that the first buffers are not silence.
	if err := p.feed(); err != nil {
		if p.ring.available() == 0 {
			return nil, fmt.Errorf("capture: play: %w", err)
		}
		// A source damaged further on plays what it has, then ends with the error.
		p.err = fmt.Errorf("capture: play: %w", err)
		p.fed.Store(true)
	}
	hw, err := drv.OpenOutput(ctx, p.fill, p.stopped)
	if err != nil {
		return nil, fmt.Errorf("capture: open output: %w", err)
	}
	p.hw = hw
	if err := hw.Start(); err != nil {
		closeBounded(hw, p.stopTimeout)
		return nil, fmt.Errorf("capture: start output: %w", err)
	}
	go p.run()
	return p, nil
}

// fill is the device callback: it must not block or allocate.
func (p *Playback) fill(out []byte) {
	// fed is read before the ring: it is set after the source's last samples were written, so a short
	// read after it means the ring is really empty.
	fed, n := p.fed.Load(), 0
	if !p.paused.Load() {
		n = p.ring.read(out)
		p.played.Add(int64(n / 4))
		if n < len(out) && fed {
			p.drained.Store(true)
		}
	}
	clear(out[n:])
	select {
	case p.wake <- struct{}{}:
	default:
	}
}

func (p *Playback) stopped() {
	p.devStop.Store(true)
	select {
	case p.wake <- struct{}{}:
	default:
	}
}

// feed tops the ring up from the source; at the source's end it marks the playback fed. Only the
// playback's goroutine (and Play, before the device starts) calls it.
func (p *Playback) feed() error {
	if p.fed.Load() {
		return nil
	}
	var samples [2048]float32
	var buf [4 * len(samples)]byte
	for {
		space := (len(p.ring.buf) - p.ring.available()) / 4
		if space == 0 {
			return nil
		}
		n, err := p.src.Read(samples[:min(space, len(samples))])
		for i, v := range samples[:n] {
			binary.LittleEndian.PutUint32(buf[4*i:], math.Float32bits(v))
		}
		p.ring.write(buf[:4*n])
		switch {
		case errors.Is(err, io.EOF):
			p.fed.Store(true)
			return nil
		case err != nil:
			return err
		case n == 0:
			return nil // a source with nothing now; try again at the next wake
		}
	}
}

// run keeps the ring filled until the end, Stop or a device error, then closes the device.
func (p *Playback) run() {
	defer close(p.done)
	tick := time.NewTicker(50 * time.Millisecond)
	defer tick.Stop()
	for {
		select {
		case <-p.wake:
		case <-tick.C:
		case <-p.quit:
			p.closeHW()
			return
		}
		if p.devStop.Load() {
			p.err = ErrOutputLost
			p.log.Warn("playback ended", "err", p.err)
			p.closeHW()
			return
		}
		if err := p.feed(); err != nil {
			// What was read before the error is still in the ring: play it out, then stop.
			p.err = fmt.Errorf("capture: play: %w", err)
			p.fed.Store(true)
		}
		if p.drained.Load() {
			p.closeHW()
			return
		}
	}
}

// closeHW closes the device, abandoning one whose driver hangs.
func (p *Playback) closeHW() { closeBounded(p.hw, p.stopTimeout) }

// Pause holds the playback where it is: the device plays silence until Resume.
func (p *Playback) Pause() { p.paused.Store(true) }

// Resume goes on from where Pause held it.
func (p *Playback) Resume() { p.paused.Store(false) }

// Paused says whether the playback is paused.
func (p *Playback) Paused() bool { return p.paused.Load() }

// Position is how much of the source has been handed to the device (what is heard lags it by the
// device's own buffer, tens of milliseconds).
func (p *Playback) Position() time.Duration { return pcm.Duration(p.played.Load()) }

// Done is closed when the playback has ended: the source played out, Stop, or a device error (Err).
func (p *Playback) Done() <-chan struct{} { return p.done }

// Err is why the playback ended early (ErrOutputLost, a source error), nil when it played to the end or
// was stopped. Valid once Done is closed.
func (p *Playback) Err() error {
	select {
	case <-p.done:
		return p.err
	default:
		return nil
	}
}

// Stop ends the playback and closes the device; it returns once that is done, or when ctx ends.
func (p *Playback) Stop(ctx context.Context) error {
	p.quitOnce.Do(func() { close(p.quit) })
	select {
	case <-p.done:
		return nil
	case <-ctx.Done():
		return fmt.Errorf("capture: stop playback: %w", ctx.Err())
	}
}
