package live

import (
	"context"
	"encoding/binary"
	"fmt"
	"math"
	"math/rand/v2"
	"strings"
	"sync"
	"time"

	"github.com/verbatim-app/verbatim/app/speech"
	"github.com/verbatim-app/verbatim/capture"
	"github.com/verbatim-app/verbatim/capture/pcm"
	"github.com/verbatim-app/verbatim/tools/testenv"
)

const sr = pcm.Rate

func samplesOf(d time.Duration) int { return int(d * sr / time.Second) }

// scene lays voiced spans over a quiet room.
func scene(total time.Duration, spans ...span) []float32 {
	x := testenv.Noise(rand.New(rand.NewPCG(1, 2)), samplesOf(total), -65)
	for _, s := range spans {
		v := testenv.Voice(samplesOf(s.end - s.start))
		at := samplesOf(s.start)
		for i, y := range v {
			x[at+i] += y
		}
	}
	return x
}

// fakeSource is a capture stream in software. It delivers signal in 20 ms chunks, as fast as they are
// read or in real time; when the signal is out it ends with endErr, or stays open (silent, like a
// stalled device) until Stop. Stop delivers whatever was "captured" (in fast mode: all of it) first.
type fakeSource struct {
	signal   []float32
	realtime bool
	endErr   error

	audio    chan []float32
	levels   chan capture.Level
	errs     chan error
	quit     chan struct{}
	done     chan struct{}
	stopOnce sync.Once

	mu       sync.Mutex
	sent     int
	maxWait  time.Duration // longest a send on Audio waited for the reader
	stopTook time.Duration
}

func newFakeSource(signal []float32, realtime bool, endErr error) *fakeSource {
	f := &fakeSource{signal: signal, realtime: realtime, endErr: endErr,
		audio: make(chan []float32), levels: make(chan capture.Level, 4), errs: make(chan error, 1),
		quit: make(chan struct{}), done: make(chan struct{})}
	go f.run()
	return f
}

func (f *fakeSource) open() func(context.Context, capture.Config) (Source, error) {
	return func(context.Context, capture.Config) (Source, error) { return f, nil }
}

func (f *fakeSource) Audio() <-chan []float32      { return f.audio }
func (f *fakeSource) Levels() <-chan capture.Level { return f.levels }
func (f *fakeSource) Err() <-chan error            { return f.errs }

func (f *fakeSource) Stop(ctx context.Context) error {
	f.stopOnce.Do(func() { close(f.quit) })
	select {
	case <-f.done:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

func (f *fakeSource) Sent() int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.sent
}

func (f *fakeSource) run() {
	defer close(f.done)
	var endErr error
	defer func() {
		close(f.audio)
		close(f.levels)
		if endErr != nil {
			f.errs <- endErr
		}
		close(f.errs)
	}()
	const chunk = sr / 50
	t0 := time.Now()
	for i := 0; i < len(f.signal); i += chunk {
		if f.realtime {
			select {
			case <-f.quit:
				return
			case <-time.After(time.Until(t0.Add(time.Duration(i+chunk) * time.Second / sr))):
			}
		}
		x := append([]float32(nil), f.signal[i:min(i+chunk, len(f.signal))]...)
		w := time.Now()
		f.audio <- x
		waited := time.Since(w)
		f.mu.Lock()
		f.sent += len(x)
		f.maxWait = max(f.maxWait, waited)
		f.mu.Unlock()
		var peak, sum float32
		for _, v := range x {
			peak = max(peak, float32(math.Abs(float64(v))))
			sum += v * v
		}
		select {
		case f.levels <- capture.Level{At: time.Duration(i+len(x)) * time.Second / sr, RMS: float32(math.Sqrt(float64(sum / float32(len(x))))), Peak: peak}:
		default:
		}
	}
	if f.endErr != nil {
		endErr = f.endErr
		return
	}
	<-f.quit
}

// fakeModel hears by counting: the text of an utterance names its number, its length and the target,
// so tests can tell which audio became which segment.
type fakeModel struct {
	feedDelay, finishDelay time.Duration
	noPeek                 bool
	failTranslate          bool

	mu         sync.Mutex
	started    int
	open       int // utterances started and not yet finished or released
	maxOpen    int
	feeds      []int // Feed calls per utterance
	fedSamples []int
	peeks      int
}

func (m *fakeModel) StartUtterance(ctx context.Context) (speech.Utterance, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	m.open++
	m.maxOpen = max(m.maxOpen, m.open)
	m.feeds = append(m.feeds, 0)
	m.fedSamples = append(m.fedSamples, 0)
	u := &fakeUtt{m: m, idx: m.started}
	m.started++
	if m.noPeek {
		return noPeekUtt{u}, nil
	}
	return u, nil
}

type noPeekUtt struct{ *fakeUtt }

func (noPeekUtt) Peek() {} // hides fakeUtt.Peek's signature from speech.Peeker

type fakeUtt struct {
	m    *fakeModel
	idx  int
	n    int
	done bool
}

func (u *fakeUtt) Feed(ctx context.Context, samples []float32) error {
	time.Sleep(u.m.feedDelay)
	u.m.mu.Lock()
	defer u.m.mu.Unlock()
	u.n += len(samples)
	u.m.feeds[u.idx]++
	u.m.fedSamples[u.idx] += len(samples)
	return ctx.Err()
}

func (u *fakeUtt) Peek(ctx context.Context, target string, maxTokens int) (string, error) {
	u.m.mu.Lock()
	defer u.m.mu.Unlock()
	u.m.peeks++
	return fmt.Sprintf("partial %d", u.idx), nil
}

func (u *fakeUtt) Finish(ctx context.Context, targets []string, emit func(string, string)) (map[string]speech.Result, error) {
	defer u.Release()
	select {
	case <-time.After(u.m.finishDelay):
	case <-ctx.Done():
		return nil, ctx.Err()
	}
	out := map[string]speech.Result{}
	for _, t := range targets {
		if t != "" && u.m.failTranslate {
			return out, fmt.Errorf("this model cannot translate into %s", t)
		}
		text := fmt.Sprintf("utterance %d (%.1fs)", u.idx, float64(u.n)/sr)
		if t != "" {
			text = "[" + t + "] " + text
		}
		if emit != nil {
			emit(t, text)
		}
		out[t] = speech.Result{Text: text, Tokens: len(strings.Fields(text)), TokensPerSec: 100}
	}
	return out, nil
}

func (u *fakeUtt) Release() {
	u.m.mu.Lock()
	defer u.m.mu.Unlock()
	if !u.done {
		u.done = true
		u.m.open--
	}
}

// fakeDriver is capture hardware for the real capture.Stream: 16 kHz mono float32 from signal in real
// time, then silence from an open device (a stall), so the stream's own watchdog is exercised.
type fakeDriver struct {
	signal  []float32
	devices []capture.Device // nil: one, "fake"
}

func (d *fakeDriver) Devices(context.Context) ([]capture.Device, error) {
	if d.devices != nil {
		return d.devices, nil
	}
	return []capture.Device{{Name: "fake", ID: "fake", IsDefault: true}}, nil
}

func (d *fakeDriver) Open(_ context.Context, _ *capture.Device, data func([]byte), stopped func()) (capture.Hardware, capture.Format, error) {
	return &fakeHW{signal: d.signal, data: data, quit: make(chan struct{})},
		capture.Format{Sample: capture.FormatF32, Channels: 1, Rate: sr}, nil
}

type fakeHW struct {
	signal []float32
	data   func([]byte)
	quit   chan struct{}
	once   sync.Once
	wg     sync.WaitGroup
}

func (h *fakeHW) Start() error {
	h.wg.Add(1)
	go func() {
		defer h.wg.Done()
		const chunk = sr / 100
		buf := make([]byte, chunk*4)
		tick := time.NewTicker(10 * time.Millisecond)
		defer tick.Stop()
		for i := 0; ; i += chunk {
			select {
			case <-h.quit:
				return
			case <-tick.C:
			}
			if i >= len(h.signal) {
				continue // open but silent
			}
			x := h.signal[i:min(i+chunk, len(h.signal))]
			for j, v := range x {
				binary.LittleEndian.PutUint32(buf[4*j:], math.Float32bits(v))
			}
			h.data(buf[:4*len(x)])
		}
	}()
	return nil
}

func (h *fakeHW) Close() {
	h.once.Do(func() { close(h.quit) })
	h.wg.Wait()
}
