package dictate

import (
	"context"
	"math/rand/v2"
	"sync"
	"time"

	"github.com/verbatim-app/verbatim/app/live"
	"github.com/verbatim-app/verbatim/app/speech"
	"github.com/verbatim-app/verbatim/capture"
	"github.com/verbatim-app/verbatim/capture/pcm"
	"github.com/verbatim-app/verbatim/tools/testenv"
)

// fakeMic is a microphone in software: the test pushes 20 ms chunks through it.
type fakeMic struct {
	audio  chan []float32
	levels chan capture.Level
	errs   chan error
	once   sync.Once
	quit   chan struct{}
	rng    *rand.Rand
}

func newFakeMic() *fakeMic {
	return &fakeMic{audio: make(chan []float32), levels: make(chan capture.Level), errs: make(chan error),
		quit: make(chan struct{}), rng: rand.New(rand.NewPCG(1, 2))}
}

func (m *fakeMic) open(context.Context, capture.Config) (live.Source, error) { return m, nil }
func (m *fakeMic) Audio() <-chan []float32                                   { return m.audio }
func (m *fakeMic) Levels() <-chan capture.Level                              { return m.levels }
func (m *fakeMic) Err() <-chan error                                         { return m.errs }
func (m *fakeMic) Stop(context.Context) error {
	m.once.Do(func() { close(m.quit) })
	return nil
}

// push sends x in 20 ms chunks, as a device would; false once stopped.
func (m *fakeMic) push(x []float32) bool {
	for len(x) > 0 {
		n := min(320, len(x))
		select {
		case m.audio <- x[:n]:
		case <-m.quit:
			return false
		}
		x = x[n:]
	}
	return true
}

// room is d of a quiet room; voice is d of speech-like sound over it.
func (m *fakeMic) room(d time.Duration) []float32 { return testenv.Noise(m.rng, pcm.Samples(d), -65) }
func (m *fakeMic) voice(d time.Duration) []float32 {
	x := m.room(d)
	for i, v := range testenv.Voice(len(x)) {
		x[i] += v
	}
	return x
}

// run closes the audio channel once stopped, as a device does.
func (m *fakeMic) run() {
	<-m.quit
	close(m.audio)
}

// fakeModel "hears" a script: each utterance's text, one entry per utterance in order, per target.
type fakeModel struct {
	mu       sync.Mutex
	script   []map[string]string
	started  int
	finished int
	fed      []int // samples fed per utterance
}

func (f *fakeModel) StartUtterance(context.Context) (speech.Utterance, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.started++
	f.fed = append(f.fed, 0)
	return &fakeUtt{m: f, i: len(f.fed) - 1}, nil
}

type fakeUtt struct {
	m *fakeModel
	i int
}

func (u *fakeUtt) Feed(_ context.Context, x []float32) error {
	u.m.mu.Lock()
	u.m.fed[u.i] += len(x)
	u.m.mu.Unlock()
	return nil
}

func (u *fakeUtt) Finish(_ context.Context, targets []string, _ func(string, string)) (map[string]speech.Result, error) {
	u.m.mu.Lock()
	defer u.m.mu.Unlock()
	u.m.finished++
	res := map[string]speech.Result{}
	if len(u.m.script) == 0 {
		return res, nil
	}
	say := u.m.script[0]
	u.m.script = u.m.script[1:]
	for _, t := range targets {
		if s, ok := say[t]; ok {
			res[t] = speech.Result{Text: s}
		}
	}
	return res, nil
}

func (u *fakeUtt) Release() {}

// fakeKeys is the shortcut, pressed by the test.
type fakeKeys struct{ ch chan KeyEvent }

func (k fakeKeys) Events() <-chan KeyEvent { return k.ch }

// typed is one Type call.
type typed struct {
	window uint32
	text   string
}

// fakeSink records what is typed; focus is the window Focused reports.
type fakeSink struct {
	mu    sync.Mutex
	focus uint32
	typed []typed
	got   chan typed
}

func (s *fakeSink) Focused(context.Context) (uint32, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.focus, nil
}

func (s *fakeSink) Type(_ context.Context, w uint32, text string) error {
	s.mu.Lock()
	s.typed = append(s.typed, typed{w, text})
	s.mu.Unlock()
	s.got <- typed{w, text}
	return nil
}

func (s *fakeSink) setFocus(w uint32) {
	s.mu.Lock()
	s.focus = w
	s.mu.Unlock()
}
