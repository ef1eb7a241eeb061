package speech

import (
	"context"
	"errors"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/verbatim-app/verbatim/inference/gguf"
)

// gateModel's utterances finish when their gate is closed; it records what happened in order.
type gateModel struct {
	name string
	mu   sync.Mutex
	log  []string
	gate chan struct{}
}

func (m *gateModel) note(s string) {
	m.mu.Lock()
	m.log = append(m.log, s)
	m.mu.Unlock()
}

func (m *gateModel) events() []string {
	m.mu.Lock()
	defer m.mu.Unlock()
	return slices.Clone(m.log)
}

func (m *gateModel) StartUtterance(context.Context) (Utterance, error) {
	m.note("start")
	return &gateUtt{m: m}, nil
}

type gateUtt struct {
	m    *gateModel
	temp float32
}

func (u *gateUtt) Feed(context.Context, []float32) error { return nil }
func (u *gateUtt) Release()                              { u.m.note("release") }
func (u *gateUtt) SetTemperature(t float32)              { u.temp = t }
func (u *gateUtt) Finish(ctx context.Context, targets []string, _ func(string, string)) (map[string]Result, error) {
	if u.m.gate != nil {
		select {
		case <-u.m.gate:
		case <-ctx.Done():
			return nil, ctx.Err()
		}
	}
	u.m.note("finish")
	return map[string]Result{"": {Text: u.m.name}}, nil
}

func opened(m *gateModel, closed *[]string, mu *sync.Mutex) Opened {
	return Opened{Model: m, Backend: "CPU", Close: func() {
		mu.Lock()
		*closed = append(*closed, m.name)
		mu.Unlock()
	}}
}

// started reports whether StartUtterance returns within a short wait.
func started(l Model) (chan Utterance, func() bool) {
	ch := make(chan Utterance, 1)
	go func() {
		u, err := l.StartUtterance(context.Background())
		if err == nil {
			ch <- u
		}
	}()
	return ch, func() bool {
		select {
		case <-ch:
			return true
		case <-time.After(100 * time.Millisecond):
			return false
		}
	}
}

func TestLeaseOneUtteranceAtATime(t *testing.T) {
	for _, end := range []string{"finish", "release"} {
		t.Run(end, func(t *testing.T) {
			var mu sync.Mutex
			var closed []string
			m := &gateModel{name: "a"}
			l := Lease(opened(m, &closed, &mu), "")
			u, err := l.StartUtterance(context.Background())
			if err != nil {
				t.Fatal(err)
			}
			second, got := started(l)
			if got() {
				t.Fatal("a second utterance started while the first was open")
			}
			if end == "finish" {
				if _, err := u.Finish(context.Background(), nil, nil); err != nil {
					t.Fatal(err)
				}
			} else {
				u.Release()
				u.Release() // twice gives the lease back once
			}
			select {
			case u2 := <-second:
				u2.Release()
			case <-time.After(2 * time.Second):
				t.Fatal("the second utterance never started after the first ended")
			}
			l.Close(context.Background())
			if _, err := l.StartUtterance(context.Background()); !errors.Is(err, errClosed) {
				t.Fatalf("start after close: %v", err)
			}
			if len(closed) != 1 {
				t.Fatalf("closed %v, want once", closed)
			}
		})
	}
}

func TestLeaseWaitCancelled(t *testing.T) {
	l := Lease(Opened{Model: &gateModel{}}, "")
	u, err := l.StartUtterance(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	defer u.Release()
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Millisecond)
	defer cancel()
	if _, err := l.StartUtterance(ctx); !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("waiting start: %v, want the context's error", err)
	}
}

func TestCloseWaitsForTheOpenUtterance(t *testing.T) {
	var mu sync.Mutex
	var closed []string
	m := &gateModel{name: "a", gate: make(chan struct{})}
	l := Lease(opened(m, &closed, &mu), "")
	u, _ := l.StartUtterance(context.Background())
	res := make(chan string, 1)
	go func() {
		r, _ := u.Finish(context.Background(), nil, nil)
		res <- r[""].Text
	}()
	ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
	l.Close(ctx) // gives up waiting; closes in the background once the utterance ends
	cancel()
	mu.Lock()
	early := len(closed)
	mu.Unlock()
	if early != 0 {
		t.Fatal("closed while an utterance was being heard")
	}
	close(m.gate)
	if got := <-res; got != "a" {
		t.Fatalf("the utterance open at Close heard %q", got)
	}
	l.Close(context.Background())
	mu.Lock()
	defer mu.Unlock()
	if !slices.Equal(closed, []string{"a"}) {
		t.Fatalf("closed %v", closed)
	}
}

func TestSlotSwapsAfterTheOpenUtterance(t *testing.T) {
	var mu sync.Mutex
	var closed []string
	a := &gateModel{name: "a", gate: make(chan struct{})}
	b := &gateModel{name: "b"}
	var s Slot
	if _, err := s.StartUtterance(context.Background()); !errors.Is(err, ErrNoModel) {
		t.Fatalf("empty slot: %v", err)
	}
	s.Set(Lease(opened(a, &closed, &mu), ""))
	u, _ := s.StartUtterance(context.Background())
	s.Set(Lease(opened(b, &closed, &mu), ""))
	if r, err := Hear(context.Background(), &s, nil, nil, nil); err != nil || r[""].Text != "b" {
		t.Fatalf("after the swap heard %v, %v; want the new model", r, err)
	}
	mu.Lock()
	if len(closed) != 0 {
		t.Fatalf("old model closed while its utterance was open: %v", closed)
	}
	mu.Unlock()
	close(a.gate)
	if r, _ := u.Finish(context.Background(), nil, nil); r[""].Text != "a" {
		t.Fatalf("the open utterance finished on %v", r)
	}
	deadline := time.Now().Add(2 * time.Second)
	for {
		mu.Lock()
		done := slices.Equal(closed, []string{"a"})
		mu.Unlock()
		if done {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("old model never closed: %v", closed)
		}
		time.Sleep(5 * time.Millisecond)
	}
	s.Close(context.Background())
	if s.Current() != nil || !slices.Equal(closed, []string{"a", "b"}) {
		t.Fatalf("after Close: current %v, closed %v", s.Current(), closed)
	}
}

func TestWithTemperatureReachesLeasedUtterances(t *testing.T) {
	m := &gateModel{}
	u, err := WithTemperature(Lease(Opened{Model: m}, ""), 0.7).StartUtterance(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	defer u.Release()
	if got := u.(*leased).Utterance.(*gateUtt).temp; got != 0.7 {
		t.Fatalf("temperature %v reached the utterance, want 0.7", got)
	}
}

// archEngine runs one architecture.
type archEngine struct{ arch string }

func (e archEngine) Name() string          { return e.arch + "-engine" }
func (e archEngine) Runs(arch string) bool { return arch == e.arch }
func (e archEngine) Load(context.Context, LoadConfig) (Opened, error) {
	return Opened{Model: &gateModel{name: e.arch}}, nil
}

func TestEnginesPickByArchitecture(t *testing.T) {
	dir := t.TempDir()
	file := func(arch string) string {
		w := gguf.NewWriter()
		w.SetString("general.architecture", arch)
		w.SetStrings("verbatim.tasks", []string{"transcribe"})
		p := filepath.Join(dir, arch+".gguf")
		if err := w.WriteFile(p); err != nil {
			t.Fatal(err)
		}
		return p
	}
	es := Engines{List: []Engine{archEngine{"gemma4"}, archEngine{"llama"}}}
	for _, c := range []struct{ arch, engine, err string }{
		{"gemma4", "gemma4-engine", ""},
		{"llama", "llama-engine", ""},
		{"mamba", "", `no engine in this build runs architecture "mamba"`},
	} {
		l, err := es.Load(context.Background(), LoadConfig{Model: file(c.arch), Projector: "p.gguf"})
		if c.err != "" {
			if err == nil || !strings.Contains(err.Error(), c.err) {
				t.Errorf("%s: err %v, want %q", c.arch, err, c.err)
			}
			continue
		}
		if err != nil || l.Engine != c.engine || !slices.Equal(l.Tasks, []string{"transcribe"}) {
			t.Errorf("%s: loaded %+v, %v; want engine %s with the file's tasks", c.arch, l, err, c.engine)
		}
	}
	if _, err := es.Load(context.Background(), LoadConfig{Model: file("llama")}); !errors.Is(err, ErrNoAudio) {
		t.Errorf("no projector: %v, want ErrNoAudio", err)
	}
}
