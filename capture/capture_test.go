package capture

import (
	"context"
	"encoding/binary"
	"errors"
	"math"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/verbatim-app/verbatim/capture/pcm"
)

// fakeDriver is hardware in software: it delivers a signal in real time from its own goroutine, and
// can stall, vanish, or hang in Close like real devices do.
type fakeDriver struct {
	format     Format
	signal     func(frame, ch int) float64 // value of a channel of a frame
	frames     int                         // deliver this many frames, then keep the device open but silent
	period     time.Duration               // callback period (default 10 ms)
	lostAfter  int                         // call stopped() after this many frames (0: never)
	closeHangs bool                        // Close blocks forever, like miniaudio on a dead device
	devices    []Device

	mu          sync.Mutex
	maxCallback time.Duration
	opened      *Device
}

func (d *fakeDriver) Devices(context.Context) ([]Device, error) { return d.devices, nil }

func (d *fakeDriver) Open(_ context.Context, dev *Device, data func([]byte), stopped func()) (Hardware, Format, error) {
	d.opened = dev
	return &fakeHW{d: d, data: data, stopped: stopped, quit: make(chan struct{})}, d.format, nil
}

type fakeHW struct {
	d       *fakeDriver
	data    func([]byte)
	stopped func()
	quit    chan struct{}
	once    sync.Once
	wg      sync.WaitGroup
}

func (h *fakeHW) Start() error {
	h.wg.Add(1)
	go h.run()
	return nil
}

func (h *fakeHW) Close() {
	h.once.Do(func() { close(h.quit) })
	h.wg.Wait()
	if h.d.closeHangs {
		select {} // never returns
	}
}

func (h *fakeHW) run() {
	defer h.wg.Done()
	d := h.d
	period := d.period
	if period == 0 {
		period = 10 * time.Millisecond
	}
	per := d.format.Rate * int(period) / int(time.Second)
	fb := d.format.frameBytes()
	tick := time.NewTicker(period)
	defer tick.Stop()
	buf := make([]byte, per*fb)
	for sent := 0; ; {
		select {
		case <-h.quit:
			return
		case <-tick.C:
		}
		if d.lostAfter > 0 && sent >= d.lostAfter {
			h.stopped()
			return
		}
		n := min(per, d.frames-sent)
		if n <= 0 {
			continue // stalled: open but silent
		}
		for i := 0; i < n; i++ {
			for c := 0; c < d.format.Channels; c++ {
				encode(buf[i*fb+c*d.format.Sample.Bytes():], d.format.Sample, d.signal(sent+i, c))
			}
		}
		t0 := time.Now()
		h.data(buf[:n*fb])
		el := time.Since(t0)
		d.mu.Lock()
		d.maxCallback = max(d.maxCallback, el)
		d.mu.Unlock()
		sent += n
	}
}

func encode(b []byte, f SampleFormat, v float64) {
	le := binary.LittleEndian
	switch f {
	case FormatU8:
		b[0] = byte(int(math.Round(v*127)) + 128)
	case FormatS16:
		le.PutUint16(b, uint16(int16(math.Round(v*32767))))
	case FormatS24:
		x := int32(math.Round(v * 8388607))
		b[0], b[1], b[2] = byte(x), byte(x>>8), byte(x>>16)
	case FormatS32:
		le.PutUint32(b, uint32(int32(math.Round(v*2147483647))))
	case FormatF32:
		le.PutUint32(b, math.Float32bits(float32(v)))
	}
}

func sine(freq float64, rate int, amp float64) func(int, int) float64 {
	return func(i, _ int) float64 { return amp * math.Sin(2*math.Pi*freq*float64(i)/float64(rate)) }
}

// collect reads Audio until it closes; it fails the test if that takes longer than limit. Safe to
// call from any goroutine (it reports with Errorf).
func collect(t *testing.T, s *Stream, limit time.Duration) []float32 {
	t.Helper()
	var out []float32
	timeout := time.After(limit)
	for {
		select {
		case x, ok := <-s.Audio():
			if !ok {
				return out
			}
			out = append(out, x...)
		case <-timeout:
			t.Errorf("Audio not closed within %v", limit)
			return out
		}
	}
}

func TestConvertsFormatsTo16kMono(t *testing.T) {
	for _, f := range []Format{
		{FormatS16, 2, 48000}, {FormatF32, 1, 44100}, {FormatS24, 2, 16000}, {FormatS32, 1, 22050}, {FormatU8, 1, 8000},
	} {
		t.Run(f.String(), func(t *testing.T) {
			const seconds = 0.5
			frames := int(seconds * float64(f.Rate))
			drv := &fakeDriver{format: f, signal: sine(1000, f.Rate, 0.5), frames: frames}
			s, err := Open(context.Background(), drv, Config{StallTimeout: 200 * time.Millisecond})
			if err != nil {
				t.Fatal(err)
			}
			if s.Format() != f {
				t.Errorf("format %v", s.Format())
			}
			// The device goes silent after its frames: the watchdog ends the stream, all audio delivered.
			var levels []Level
			done := make(chan struct{})
			go func() {
				for l := range s.Levels() {
					levels = append(levels, l)
				}
				close(done)
			}()
			out := collect(t, s, 3*time.Second)
			<-done
			if err := <-s.Err(); !errors.Is(err, ErrStalled) {
				t.Errorf("Err: %v, want ErrStalled", err)
			}
			if err := s.Stop(context.Background()); err != nil {
				t.Errorf("Stop: %v", err)
			}
			if want := pcm.ResampledLen(int64(frames), f.Rate, pcm.Rate); int64(len(out)) != want {
				t.Errorf("got %d samples, want %d", len(out), want)
			}
			// 1 kHz at half scale: correlate with the ideal tone away from the edges.
			amp := fitAmp(out[1600:len(out)-1600], 1000)
			tol := 0.01
			if f.Sample == FormatU8 {
				tol = 0.03
			}
			if math.Abs(amp-0.5) > tol {
				t.Errorf("tone amplitude %.4f, want 0.5", amp)
			}
			if len(levels) < 3 {
				t.Fatalf("%d levels", len(levels))
			}
			mid := levels[len(levels)/2]
			if math.Abs(float64(mid.RMS)-0.5/math.Sqrt2) > 0.02 || math.Abs(float64(mid.Peak)-0.5) > 0.03 {
				t.Errorf("level %+v, want RMS 0.354, peak 0.5", mid)
			}
		})
	}
}

func fitAmp(x []float32, freq float64) float64 {
	var xs, xc float64
	for i, v := range x {
		w := 2 * math.Pi * freq * float64(i) / pcm.Rate
		xs += float64(v) * math.Sin(w)
		xc += float64(v) * math.Cos(w)
	}
	return 2 * math.Hypot(xs, xc) / float64(len(x))
}

func TestStopDeliversEverything(t *testing.T) {
	f := Format{FormatS16, 1, 16000}
	var n atomic.Int64
	drv := &fakeDriver{format: f, frames: math.MaxInt32, signal: func(i, _ int) float64 { n.Store(int64(i + 1)); return 0.1 }}
	s, err := Open(context.Background(), drv, Config{})
	if err != nil {
		t.Fatal(err)
	}
	<-s.Ready()
	var out []float32
	done := make(chan struct{})
	go func() { out = collect(t, s, 5*time.Second); close(done) }()
	time.Sleep(300 * time.Millisecond)
	if err := s.Stop(context.Background()); err != nil {
		t.Fatal(err)
	}
	<-done
	if int64(len(out)) != n.Load() {
		t.Errorf("delivered %d samples, device produced %d", len(out), n.Load())
	}
	if err, ok := <-s.Err(); ok || err != nil {
		t.Errorf("Err after a clean stop: %v", err)
	}
}

func TestStopIsBoundedWhenDeviceHangs(t *testing.T) {
	f := Format{FormatF32, 1, 16000}
	drv := &fakeDriver{format: f, frames: 1600, signal: sine(440, 16000, 0.3), closeHangs: true}
	s, err := Open(context.Background(), drv, Config{StallTimeout: 300 * time.Millisecond, StopTimeout: 300 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	go collect(t, s, 5*time.Second)
	select {
	case err := <-s.Err():
		if !errors.Is(err, ErrStalled) {
			t.Fatalf("Err: %v", err)
		}
	case <-time.After(3 * time.Second):
		t.Fatal("watchdog did not fire")
	}
	t0 := time.Now()
	err = s.Stop(context.Background())
	el := time.Since(t0)
	if !errors.Is(err, ErrStopTimeout) {
		t.Errorf("Stop: %v, want ErrStopTimeout", err)
	}
	if el > time.Second {
		t.Errorf("Stop took %v with a 300ms bound", el)
	}
}

func TestStopHonoursContext(t *testing.T) {
	drv := &fakeDriver{format: Format{FormatS16, 1, 16000}, frames: math.MaxInt32, signal: sine(440, 16000, 0.3), closeHangs: true}
	s, err := Open(context.Background(), drv, Config{StopTimeout: time.Hour})
	if err != nil {
		t.Fatal(err)
	}
	go collect(t, s, 5*time.Second)
	ctx, cancel := context.WithTimeout(context.Background(), 200*time.Millisecond)
	defer cancel()
	t0 := time.Now()
	err = s.Stop(ctx)
	if !errors.Is(err, context.DeadlineExceeded) || time.Since(t0) > time.Second {
		t.Errorf("Stop: %v after %v", err, time.Since(t0))
	}
}

func TestDeviceLost(t *testing.T) {
	drv := &fakeDriver{format: Format{FormatS16, 2, 44100}, frames: math.MaxInt32, signal: sine(440, 44100, 0.3), lostAfter: 4410}
	s, err := Open(context.Background(), drv, Config{})
	if err != nil {
		t.Fatal(err)
	}
	out := collect(t, s, 3*time.Second)
	if err := <-s.Err(); !errors.Is(err, ErrDeviceLost) {
		t.Errorf("Err: %v, want ErrDeviceLost", err)
	}
	if want := pcm.ResampledLen(4410, 44100, pcm.Rate); int64(len(out)) != want {
		t.Errorf("delivered %d samples before the loss, want %d", len(out), want)
	}
	s.Stop(context.Background())
}

func TestSlowReaderDropsAndCallbackNeverBlocks(t *testing.T) {
	drv := &fakeDriver{format: Format{FormatF32, 2, 48000}, frames: math.MaxInt32, signal: sine(440, 48000, 0.3), period: 5 * time.Millisecond}
	s, err := Open(context.Background(), drv, Config{Buffer: 50 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	// Nobody reads Audio: its channel fills, then the ring, then the callback drops.
	time.Sleep(1500 * time.Millisecond)
	if s.Dropped() == 0 {
		t.Error("no drops reported while nobody read the audio")
	}
	drv.mu.Lock()
	worst := drv.maxCallback
	drv.mu.Unlock()
	if worst > 20*time.Millisecond {
		t.Errorf("a callback took %v", worst)
	}
	t0 := time.Now()
	s.Stop(context.Background()) // nobody reads: Stop gives up on the reader within its bound
	if el := time.Since(t0); el > 5*time.Second {
		t.Errorf("Stop took %v", el)
	}
	t.Logf("dropped %d frames, slowest callback %v", s.Dropped(), worst)
}

func TestPickDevice(t *testing.T) {
	devs := []Device{{Name: "Built-in Microphone", ID: "01"}, {Name: "USB Headset Mic", ID: "02"}, {Name: "USB Webcam Mic", ID: "03"}}
	for _, tc := range []struct {
		name, want string
		err        bool
	}{
		{"Built-in Microphone", "01", false},
		{"built-in microphone", "01", false},
		{"03", "03", false},
		{"headset", "02", false},
		{"USB", "", true},
		{"nothing", "", true},
	} {
		d, err := pick(devs, tc.name)
		if (err != nil) != tc.err || (err == nil && d.ID != tc.want) {
			t.Errorf("pick(%q) = %v, %v", tc.name, d, err)
		}
	}
	drv := &fakeDriver{format: Format{FormatS16, 1, 16000}, devices: devs, frames: 1, signal: sine(1, 16000, 0)}
	if _, err := Open(context.Background(), drv, Config{DeviceName: "nope"}); !errors.Is(err, ErrNoDevice) {
		t.Errorf("Open unknown device: %v", err)
	}
	s, err := Open(context.Background(), drv, Config{DeviceName: "webcam"})
	if err != nil {
		t.Fatal(err)
	}
	s.Stop(context.Background())
	if drv.opened == nil || drv.opened.ID != "03" {
		t.Errorf("opened %+v", drv.opened)
	}
}

func TestRing(t *testing.T) {
	q := newRing(10) // rounds to 16
	var want, got []byte
	next := byte(0)
	for i := 0; i < 200; i++ {
		n := i%7 + 1
		p := make([]byte, n)
		for j := range p {
			p[j] = next
			next++
		}
		if q.write(p) {
			want = append(want, p...)
		} else {
			next -= byte(n)
		}
		if i%3 == 0 {
			b := make([]byte, 5)
			got = append(got, b[:q.read(b)]...)
		}
	}
	b := make([]byte, 16)
	got = append(got, b[:q.read(b)]...)
	if string(got) != string(want) {
		t.Fatalf("ring lost order: %v vs %v", got, want)
	}
}
