package speech

import (
	"context"
	"errors"
	"sync"

	"github.com/verbatim-app/verbatim/inference/gguf"
)

// Loaded is a model an engine loaded. It is the one place where "one utterance at a time" is kept:
// StartUtterance takes the model's lease and the utterance gives it back when it is finished or
// released, so live listening, batch jobs, dictation and the server can share one model without one
// user's utterance resetting another's.
type Loaded struct {
	Backend string   // where it runs: "CPU", or "GPU <name>, N/M layers"
	Engine  string   // the engine's name
	Tasks   []string // the tasks the model's metadata lists ("transcribe", "translate:es"); nil: free instructions

	model Model
	close func()
	lease chan struct{} // holds a token while an utterance is open

	mu       sync.Mutex
	retiring bool          // Close was called: no new utterances
	closed   bool          // close has run
	gone     chan struct{} // closed once the model is closed
}

// errClosed is returned by StartUtterance on a model being closed.
var errClosed = errors.New("the model was unloaded")

// Lease puts an opened model under the lease; its tasks are read from modelPath's metadata ("" or an
// unreadable file: none listed). Engines.Load calls it; so do tests and benchmarks that open a model
// themselves.
func Lease(o Opened, modelPath string) *Loaded {
	var tasks []string
	if f, err := gguf.Open(modelPath); modelPath != "" && err == nil {
		tasks = f.Strings("verbatim.tasks")
	}
	return &Loaded{Backend: o.Backend, Tasks: tasks, model: o.Model, close: o.Close,
		lease: make(chan struct{}, 1), gone: make(chan struct{})}
}

// StartUtterance waits for the lease (or ctx), then starts an utterance on the model.
func (l *Loaded) StartUtterance(ctx context.Context) (Utterance, error) {
	select {
	case l.lease <- struct{}{}:
	case <-l.gone:
		return nil, errClosed
	case <-ctx.Done():
		return nil, ctx.Err()
	}
	if l.isRetiring() {
		l.release()
		return nil, errClosed
	}
	u, err := l.model.StartUtterance(ctx)
	if err != nil {
		l.release()
		return nil, err
	}
	return &leased{Utterance: u, release: sync.OnceFunc(l.release)}, nil
}

func (l *Loaded) isRetiring() bool {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.retiring
}

// release gives the lease back and closes the model if it was retired meanwhile.
func (l *Loaded) release() {
	<-l.lease
	l.closeIfFree()
}

// closeIfFree closes a retiring model unless an utterance holds the lease (its release comes back here).
func (l *Loaded) closeIfFree() {
	select {
	case l.lease <- struct{}{}:
	default:
		return
	}
	defer func() { <-l.lease }()
	l.mu.Lock()
	do := l.retiring && !l.closed
	l.closed = l.closed || do
	l.mu.Unlock()
	if do {
		if l.close != nil {
			l.close()
		}
		close(l.gone)
	}
}

// Retire closes the model as soon as no utterance holds it: at once when none does, else when the open
// one ends. Utterances asked for afterwards fail.
func (l *Loaded) Retire() {
	l.mu.Lock()
	l.retiring = true
	l.mu.Unlock()
	l.closeIfFree()
}

// Close retires the model and waits, until ctx ends, for it to be closed.
func (l *Loaded) Close(ctx context.Context) {
	l.Retire()
	select {
	case <-l.gone:
	case <-ctx.Done():
	}
}

// leased gives the lease back exactly once, when the utterance is finished or released.
type leased struct {
	Utterance
	release func()
}

func (u *leased) Finish(ctx context.Context, targets []string, emit func(string, string)) (map[string]Result, error) {
	defer u.release()
	return u.Utterance.Finish(ctx, targets, emit)
}

func (u *leased) Release() {
	u.Utterance.Release()
	u.release()
}

func (u *leased) Peek(ctx context.Context, target string, maxTokens int) (string, error) {
	if p, ok := u.Utterance.(Peeker); ok {
		return p.Peek(ctx, target, maxTokens)
	}
	return "", nil
}

func (u *leased) SetTemperature(t float32) {
	if s, ok := u.Utterance.(Sampler); ok {
		s.SetTemperature(t)
	}
}

// Slot holds the one model loaded at a time in the window: each utterance goes to the model loaded
// when it starts, and a replaced model is closed as soon as no utterance holds it.
type Slot struct {
	mu  sync.Mutex
	cur *Loaded
}

// ErrNoModel is returned when something needs a model and none is loaded.
var ErrNoModel = errors.New("no model is loaded: pick one under Models & settings")

// Set makes l the model; the one it replaces is closed once free.
func (s *Slot) Set(l *Loaded) {
	s.mu.Lock()
	old := s.cur
	s.cur = l
	s.mu.Unlock()
	if old != nil {
		old.Retire()
	}
}

// Current is the loaded model, nil when none is.
func (s *Slot) Current() *Loaded {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.cur
}

// StartUtterance starts an utterance on the model loaded now, waiting while another utterance holds it.
func (s *Slot) StartUtterance(ctx context.Context) (Utterance, error) {
	for {
		l := s.Current()
		if l == nil {
			return nil, ErrNoModel
		}
		u, err := l.StartUtterance(ctx)
		if errors.Is(err, errClosed) && s.Current() != l {
			continue // replaced while this caller waited: go to the new model
		}
		return u, err
	}
}

// Close unloads the model, waiting (until ctx ends) for an utterance still holding it.
func (s *Slot) Close(ctx context.Context) {
	s.mu.Lock()
	l := s.cur
	s.cur = nil
	s.mu.Unlock()
	if l != nil {
		l.Close(ctx)
	}
}
