// Package capture records from an input device and delivers 16 kHz mono float32, the form the models
// hear, together with a level meter and an error when the device goes away.
//
// The device captures in its own format. Its audio thread only copies bytes into a lock-free ring (a
// full ring drops the buffer and counts it; the callback never waits). A goroutine per stream converts,
// downmixes and resamples, and watches for a device that stops delivering. Stop is bounded: a device
// whose driver hangs in uninit is abandoned rather than taking the caller with it.
//
// The hardware sits behind the small Driver interface: miniaudio (capture/miniaudio, the package that
// links the C library) in production, fakes in tests. This package is pure Go; the app depends on the
// Microphone interface and is handed the real one by main, so nothing above capture links miniaudio.
package capture

import (
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"log/slog"
	"math"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/verbatim-app/verbatim/capture/pcm"
)

// Errors reported on Stream.Err (wrapped).
var (
	ErrStalled     = errors.New("device stopped delivering audio")
	ErrDeviceLost  = errors.New("device stopped or disappeared")
	ErrStopTimeout = errors.New("device did not close in time; abandoned")
	ErrNoDevice    = errors.New("no such input device")
)

// Device is an input device.
type Device struct {
	Name      string
	ID        string // backend-specific, stable while the device is plugged in
	IsDefault bool
	// Monitor marks a device that hears what an output device plays (PulseAudio's and PipeWire's
	// "<sink>.monitor" sources) rather than a microphone: the system audio of a call (see SystemAudio).
	Monitor bool
}

// SampleFormat is a device sample encoding (interleaved, little-endian).
type SampleFormat int

const (
	FormatUnknown SampleFormat = iota
	FormatU8
	FormatS16
	FormatS24 // packed, 3 bytes
	FormatS32
	FormatF32
)

// Bytes is the size of one sample.
func (f SampleFormat) Bytes() int {
	return [...]int{0, 1, 2, 3, 4, 4}[max(0, min(int(f), 5))]
}

func (f SampleFormat) String() string {
	return [...]string{"unknown", "u8", "s16", "s24", "s32", "f32"}[max(0, min(int(f), 5))]
}

// Format is what a device delivers.
type Format struct {
	Sample   SampleFormat
	Channels int
	Rate     int
}

func (f Format) frameBytes() int { return f.Sample.Bytes() * f.Channels }

func (f Format) String() string { return fmt.Sprintf("%s %d Hz × %d", f.Sample, f.Rate, f.Channels) }

// Driver opens capture hardware.
type Driver interface {
	// Devices lists the input devices.
	Devices(ctx context.Context) ([]Device, error)
	// Open prepares capture from dev (nil: the system default) in the device's own format. data is
	// called on the audio thread with whole interleaved frames and must return quickly; stopped is
	// called if the device stops by itself (unplugged, server gone).
	Open(ctx context.Context, dev *Device, data func(frames []byte), stopped func()) (Hardware, Format, error)
}

// Microphone lists and opens input devices: capture/miniaudio's in the app, fakes in tests.
type Microphone interface {
	// Devices lists the input devices of an audio system (BackendAuto: the one found first).
	Devices(ctx context.Context, b Backend) ([]Device, error)
	// Open starts capturing from the device cfg names (see Open).
	Open(ctx context.Context, cfg Config) (*Stream, error)
}

// Hardware is an opened device.
type Hardware interface {
	Start() error
	// Close stops and releases the device. It may block forever on a broken device; Stream bounds it.
	Close()
}

// Backend picks the audio system miniaudio uses. Naming one avoids the automatic probe, which on a
// machine without PulseAudio falls through to ALSA and floods stderr.
type Backend string

const (
	BackendAuto       Backend = ""
	BackendPulseAudio Backend = "pulseaudio"
	BackendALSA       Backend = "alsa"
	BackendJACK       Backend = "jack"
	BackendCoreAudio  Backend = "coreaudio"
	BackendWASAPI     Backend = "wasapi"
	// BackendNull is miniaudio's null device: silence in real time, for start/stop tests only.
	BackendNull Backend = "null"
)

// Config selects and tunes a capture stream. Zero fields take defaults.
type Config struct {
	DeviceName   string        // "" = default device; else a device name (exact, or a unique part) or ID
	Backend      Backend       // the audio system a Microphone opens the device in
	StallTimeout time.Duration // no frames for this long is ErrStalled (default 2 s; 5 s before the first frames)
	StopTimeout  time.Duration // longest Stop waits for the device and the reader (default 2 s)
	Buffer       time.Duration // audio the ring holds while the consumer is busy (default 2 s)
	Logger       *slog.Logger
}

// Level is the loudness of ~50 ms of delivered audio.
type Level struct {
	At   time.Duration // stream position of the end of the block
	RMS  float32       // linear, full scale 1
	Peak float32
}

// Stream is a running capture.
type Stream struct {
	cfg    Config
	log    *slog.Logger
	hw     Hardware
	format Format
	device string

	ring      *ring
	wake      chan struct{}
	callbacks atomic.Int64
	lastData  atomic.Int64 // unix nanos of the last callback
	firstAt   atomic.Int64 // unix nanos of the stream's first sample (see FirstFrames)
	dropped   atomic.Int64 // frames dropped because the ring was full
	frameSize atomic.Int64 // device bytes per frame, for the drop count
	devStop   atomic.Bool
	stopping  atomic.Bool

	audio   chan []float32
	levels  chan Level
	errc    chan error
	ready   chan struct{}
	stopReq chan struct{}
	abandon chan struct{}
	done    chan struct{}

	stopOnce sync.Once
	stopErr  error
	started  time.Time
}

// Open starts capturing from drv. ctx bounds the opening only; the stream runs until Stop or a device
// error.
func Open(ctx context.Context, drv Driver, cfg Config) (*Stream, error) {
	if cfg.StallTimeout <= 0 {
		cfg.StallTimeout = 2 * time.Second
	}
	if cfg.StopTimeout <= 0 {
		cfg.StopTimeout = 2 * time.Second
	}
	if cfg.Buffer <= 0 {
		cfg.Buffer = 2 * time.Second
	}
	log := cfg.Logger
	if log == nil {
		log = slog.Default()
	}
	var dev *Device
	if cfg.DeviceName != "" {
		devs, err := drv.Devices(ctx)
		if err != nil {
			return nil, fmt.Errorf("capture: list devices: %w", err)
		}
		d, err := pick(devs, cfg.DeviceName)
		if err != nil {
			return nil, err
		}
		dev = &d
	}
	s := &Stream{
		cfg:     cfg,
		log:     log,
		wake:    make(chan struct{}, 1),
		audio:   make(chan []float32, 64),
		levels:  make(chan Level, 32),
		errc:    make(chan error, 1),
		ready:   make(chan struct{}),
		stopReq: make(chan struct{}),
		abandon: make(chan struct{}),
		done:    make(chan struct{}),
	}
	s.device = "default device"
	if dev != nil {
		s.device = fmt.Sprintf("%q", dev.Name)
	}
	// The ring is sized once the format is known, but the callback may fire as soon as Start returns,
	// so it reads the ring through an atomic pointer set before Start.
	var rp atomic.Pointer[ring]
	data := func(b []byte) {
		now := time.Now().UnixNano()
		s.lastData.Store(now)
		s.callbacks.Add(1)
		q := rp.Load()
		if q == nil || !q.write(b) {
			if fb := s.frameSize.Load(); fb > 0 {
				s.dropped.Add(int64(len(b)) / fb)
			}
		} else if s.firstAt.Load() == 0 {
			// The buffer's first frame was heard as long before the callback as the buffer lasts.
			// (The ring is set after the format, so the format is known here.)
			frames := int64(len(b)) / int64(s.format.frameBytes())
			s.firstAt.Store(now - frames*int64(time.Second)/int64(s.format.Rate))
		}
		select {
		case s.wake <- struct{}{}:
		default:
		}
	}
	stopped := func() {
		if !s.stopping.Load() {
			s.devStop.Store(true)
			select {
			case s.wake <- struct{}{}:
			default:
			}
		}
	}
	hw, format, err := drv.Open(ctx, dev, data, stopped)
	if err != nil {
		return nil, fmt.Errorf("capture: open %s: %w", s.device, err)
	}
	if format.Sample < FormatU8 || format.Sample > FormatF32 || format.Channels <= 0 || format.Channels > pcm.MaxChannels ||
		format.Rate < 1000 || format.Rate > pcm.MaxRate {
		closeBounded(hw, cfg.StopTimeout)
		return nil, fmt.Errorf("capture: open %s: unusable device format %v", s.device, format)
	}
	s.hw, s.format = hw, format
	s.ring = newRing(int(cfg.Buffer.Seconds()*float64(format.Rate)) * format.frameBytes())
	s.frameSize.Store(int64(format.frameBytes()))
	rp.Store(s.ring)
	rs, err := pcm.NewResampler(format.Rate, pcm.Rate)
	if err != nil {
		closeBounded(hw, cfg.StopTimeout)
		return nil, fmt.Errorf("capture: open %s: %w", s.device, err)
	}
	s.started = time.Now()
	s.lastData.Store(s.started.UnixNano())
	if err := hw.Start(); err != nil {
		closeBounded(hw, cfg.StopTimeout)
		return nil, fmt.Errorf("capture: start %s: %w", s.device, err)
	}
	log.Debug("capture started", "device", s.device, "format", format.String())
	go s.run(rs)
	return s, nil
}

// pick finds a device by exact name, case-insensitive name, ID, or a unique part of the name.
func pick(devs []Device, name string) (Device, error) {
	for _, d := range devs {
		if d.Name == name || d.ID == name {
			return d, nil
		}
	}
	var hits []Device
	for _, d := range devs {
		if strings.EqualFold(d.Name, name) {
			return d, nil
		}
		if strings.Contains(strings.ToLower(d.Name), strings.ToLower(name)) {
			hits = append(hits, d)
		}
	}
	if len(hits) == 1 {
		return hits[0], nil
	}
	var names []string
	for _, d := range devs {
		names = append(names, fmt.Sprintf("%q", d.Name))
	}
	if len(hits) > 1 {
		return Device{}, fmt.Errorf("capture: %q matches %d devices; choose one of %s", name, len(hits), strings.Join(names, ", "))
	}
	return Device{}, fmt.Errorf("capture: %q: %w (available: %s)", name, ErrNoDevice, strings.Join(names, ", "))
}

// Format is the device's own format.
func (s *Stream) Format() Format { return s.format }

// Audio delivers 16 kHz mono chunks. It is closed when the stream ends (Stop or a device error), after
// everything captured up to then has been delivered.
func (s *Stream) Audio() <-chan []float32 { return s.audio }

// Levels delivers the level every ~50 ms. It drops values nobody reads; it is closed with Audio.
func (s *Stream) Levels() <-chan Level { return s.levels }

// Err receives the error that ended the stream (ErrStalled, ErrDeviceLost, wrapped), if one did, and
// is closed when the stream has ended.
func (s *Stream) Err() <-chan error { return s.errc }

// FirstFrames is when the stream's first sample (position 0 of Audio) was heard, by the wall clock and
// give or take the device's latency; zero until the device delivers. Streams from different devices
// are put on one timeline by it: a stream's reader may start long after the device did.
func (s *Stream) FirstFrames() time.Time {
	if n := s.firstAt.Load(); n != 0 {
		return time.Unix(0, n)
	}
	return time.Time{}
}

// Ready is closed when the device delivered its first frames (devices take up to ~2 s to start).
func (s *Stream) Ready() <-chan struct{} { return s.ready }

// Dropped is the number of device frames lost because the consumer fell behind by more than
// Config.Buffer (because Audio was not read).
func (s *Stream) Dropped() int64 { return s.dropped.Load() }

// Stop stops the device and returns when everything captured has been delivered on Audio (or the
// reader stopped taking it). It never waits longer than ctx allows nor about twice Config.StopTimeout:
// a device that does not close in time is abandoned (ErrStopTimeout).
func (s *Stream) Stop(ctx context.Context) error {
	s.stopOnce.Do(func() {
		s.stopping.Store(true)
		timer := time.NewTimer(s.cfg.StopTimeout)
		defer timer.Stop()
		closed := make(chan struct{})
		go func() {
			s.hw.Close()
			close(closed)
		}()
		select {
		case <-closed:
		case <-timer.C:
			s.stopErr = fmt.Errorf("capture: stop %s: %w", s.device, ErrStopTimeout)
			s.log.Warn("capture: device close hung; abandoning it", "device", s.device, "after", s.cfg.StopTimeout)
		case <-ctx.Done():
			s.stopErr = fmt.Errorf("capture: stop %s: %w", s.device, ctx.Err())
		}
		close(s.stopReq)
		timer.Reset(s.cfg.StopTimeout)
		select {
		case <-s.done:
		case <-timer.C:
			close(s.abandon)
			s.stopErr = errors.Join(s.stopErr, fmt.Errorf("capture: stop %s: audio not read within %v; rest dropped", s.device, s.cfg.StopTimeout))
		case <-ctx.Done():
			close(s.abandon)
			s.stopErr = errors.Join(s.stopErr, fmt.Errorf("capture: stop %s: %w", s.device, ctx.Err()))
		}
	})
	return s.stopErr
}

func closeBounded(hw Hardware, d time.Duration) {
	done := make(chan struct{})
	go func() { hw.Close(); close(done) }()
	select {
	case <-done:
	case <-time.After(d):
	}
}

// run is the consumer: it drains the ring, converts, and watches the device.
func (s *Stream) run(rs *pcm.Resampler) {
	defer close(s.done)
	conv := converter{format: s.format, rs: rs}
	tick := time.NewTicker(50 * time.Millisecond)
	defer tick.Stop()
	buf := make([]byte, 0, 64<<10)
	var endErr error
	isReady := false
	finish := func() {
		out := conv.flush()
		s.deliver(out, &conv)
		close(s.audio)
		close(s.levels)
		if endErr != nil {
			s.errc <- endErr
		}
		close(s.errc)
	}
	for {
		stopping := false
		select {
		case <-s.wake:
		case <-tick.C:
		case <-s.stopReq:
			stopping = true
		}
		if !isReady && s.callbacks.Load() > 0 {
			close(s.ready)
			isReady = true
		}
		// Drain in whole frames: the producer only ever writes whole frames.
		for s.ring.available() > 0 {
			n := min(s.ring.available(), cap(buf))
			buf = buf[:n]
			s.ring.read(buf)
			if !s.deliver(conv.convert(buf), &conv) {
				finish()
				return
			}
		}
		switch {
		case stopping:
			finish()
			return
		case s.devStop.Load():
			endErr = fmt.Errorf("capture: %s: %w", s.device, ErrDeviceLost)
		case time.Since(time.Unix(0, s.lastData.Load())) > s.stallLimit(isReady):
			endErr = fmt.Errorf("capture: %s: %w for %v", s.device, ErrStalled, s.stallLimit(isReady))
		}
		if endErr != nil {
			s.log.Warn("capture ended", "err", endErr)
			finish()
			// Stop will still close (or abandon) the hardware; wait for it so Stop finds us done.
			return
		}
	}
}

// startupGrace is how long a device may take to deliver its first frames: PulseAudio often takes
// 0.6-1.7 s, more when a stream on the same source was just closed.
const startupGrace = 5 * time.Second

// stallLimit is how long silence from the device is tolerated.
func (s *Stream) stallLimit(ready bool) time.Duration {
	if ready {
		return s.cfg.StallTimeout
	}
	return max(s.cfg.StallTimeout, startupGrace)
}

// deliver sends a chunk and its levels; false if Stop gave up on the reader.
func (s *Stream) deliver(x []float32, c *converter) bool {
	if len(x) == 0 {
		return true
	}
	for _, l := range c.levels(x) {
		select {
		case s.levels <- l:
		default: // a meter that is not looking does not hold up the audio
		}
	}
	select {
	case s.audio <- x:
		return true
	case <-s.abandon:
		return false
	}
}

// converter turns device bytes into 16 kHz mono.
type converter struct {
	format  Format
	rs      *pcm.Resampler
	mono    []float32
	pos     int64 // output samples so far
	lvlSum  float64
	lvlPeak float32
	lvlN    int
}

const levelBlock = pcm.Rate / 20 // 50 ms

func (c *converter) convert(b []byte) []float32 {
	f := c.format
	fb := f.frameBytes()
	frames := len(b) / fb
	c.mono = c.mono[:0]
	inv := 1 / float32(f.Channels)
	le := binary.LittleEndian
	for i := 0; i < frames; i++ {
		frame := b[i*fb : (i+1)*fb]
		var sum float32
		for ch := 0; ch < f.Channels; ch++ {
			var v float32
			switch f.Sample {
			case FormatU8:
				v = float32(int(frame[ch])-128) / 128
			case FormatS16:
				v = float32(int16(le.Uint16(frame[2*ch:]))) / 32768
			case FormatS24:
				p := frame[3*ch:]
				v = float32(int32(uint32(p[0])<<8|uint32(p[1])<<16|uint32(p[2])<<24)>>8) / (1 << 23)
			case FormatS32:
				v = float32(float64(int32(le.Uint32(frame[4*ch:]))) / (1 << 31))
			case FormatF32:
				v = math.Float32frombits(le.Uint32(frame[4*ch:]))
				if v != v {
					v = 0
				}
			}
			sum += v
		}
		c.mono = append(c.mono, sum*inv)
	}
	return c.rs.Process(c.mono)
}

func (c *converter) flush() []float32 { return c.rs.Flush() }

func (c *converter) levels(x []float32) []Level {
	var out []Level
	for _, v := range x {
		c.lvlSum += float64(v) * float64(v)
		if a := float32(math.Abs(float64(v))); a > c.lvlPeak {
			c.lvlPeak = a
		}
		c.lvlN++
		c.pos++
		if c.lvlN == levelBlock {
			out = append(out, Level{
				At:   pcm.Duration(c.pos),
				RMS:  float32(math.Sqrt(c.lvlSum / levelBlock)),
				Peak: c.lvlPeak,
			})
			c.lvlSum, c.lvlPeak, c.lvlN = 0, 0, 0
		}
	}
	return out
}
