package desktop

import (
	"context"
	"errors"
	"log/slog"
	"math/rand/v2"
	"os"
	"os/exec"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/verbatim-app/verbatim/app/dictate"
	"github.com/verbatim-app/verbatim/app/live"
	"github.com/verbatim-app/verbatim/app/models"
	"github.com/verbatim-app/verbatim/capture"
	"github.com/verbatim-app/verbatim/tools/testenv"
	"github.com/verbatim-app/verbatim/ui/x11"
)

func TestSupportFrom(t *testing.T) {
	for _, tc := range []struct {
		env  map[string]string
		want DictationSupport
	}{
		{map[string]string{"DISPLAY": ":0"}, DictationX11},
		{map[string]string{"DISPLAY": ":0", "WAYLAND_DISPLAY": "wayland-0"}, DictationX11}, // XWayland
		{map[string]string{"WAYLAND_DISPLAY": "wayland-0"}, DictationWaylandOnly},
		{nil, DictationNoDisplay},
	} {
		if got := SupportFrom(func(k string) string { return tc.env[k] }); got != tc.want {
			t.Errorf("%v: %v, want %v", tc.env, got, tc.want)
		}
	}
}

// mic is a microphone the test speaks into, 20 ms at a time.
type mic struct {
	audio chan []float32
	quit  chan struct{}
	once  sync.Once
}

func newMic() *mic {
	m := &mic{audio: make(chan []float32), quit: make(chan struct{})}
	go func() { <-m.quit; close(m.audio) }()
	return m
}

func (m *mic) open(context.Context, capture.Config) (live.Source, error) { return m, nil }
func (m *mic) Audio() <-chan []float32                                   { return m.audio }
func (m *mic) Levels() <-chan capture.Level                              { return nil }
func (m *mic) Err() <-chan error                                         { return nil }
func (m *mic) Stop(context.Context) error                                { m.once.Do(func() { close(m.quit) }); return nil }

// say pushes a second of speech-like sound over a quiet room.
func (m *mic) say() {
	rng := rand.New(rand.NewPCG(1, 2))
	x := testenv.Noise(rng, 16000, -65)
	for i, v := range testenv.Voice(len(x)) {
		x[i] += v
	}
	for len(x) > 0 {
		select {
		case m.audio <- x[:320]:
		case <-m.quit:
			return
		}
		x = x[320:]
	}
}

// The window's dictation types what the catalog's model hears into the focused X client, says why a
// take typed nothing when no model is loaded, refuses a second start and a bad shortcut, and gives the
// shortcut back on Stop.
func TestDictationOverCatalog(t *testing.T) {
	x11.RouteLogs(slog.New(slog.DiscardHandler)) // xgb's note on every connection without ~/.Xauthority
	display := testenv.Xvfb(t)
	typed := testenv.XTerm(t, display)
	fl := &fakeLoader{}
	c := newTestCatalog(t.TempDir(), models.Locations{}, fl)
	defer c.Close(context.Background())
	d := NewDictation(c, nil, nil)
	if _, err := d.Start(DictationConfig{Shortcut: "ctrl+hyper", Display: display}); err == nil {
		t.Fatal("a bad shortcut started")
	}
	m := newMic()
	events, err := d.Start(DictationConfig{Shortcut: "ctrl+alt+space", Mode: dictate.Hold, Commands: true, Display: display, Open: m.open})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := d.Start(DictationConfig{Shortcut: "ctrl+alt+space", Display: display, Open: m.open}); !errors.Is(err, ErrDictating) {
		t.Fatalf("second Start: %v", err)
	}
	next := func() DictationEvent {
		t.Helper()
		select {
		case ev, ok := <-events:
			if !ok {
				t.Fatal("events closed")
			}
			return ev
		case <-time.After(10 * time.Second):
			t.Fatal("no event within 10 s")
		}
		return DictationEvent{}
	}
	expect := func(what string, want ...dictate.State) {
		t.Helper()
		for _, st := range want {
			if ev := next(); ev.State != st || ev.Err != nil || ev.Ended {
				t.Fatalf("%s: got %+v, want state %v", what, ev, st)
			}
		}
	}
	xdotool := func(args ...string) {
		t.Helper()
		cmd := exec.Command("xdotool", args...)
		cmd.Env = append(os.Environ(), "DISPLAY="+display)
		if out, err := cmd.CombinedOutput(); err != nil {
			t.Fatalf("xdotool %v: %v: %s", args, err, out)
		}
	}
	take := func() {
		xdotool("keydown", "ctrl+alt+space")
		m.say()
		xdotool("keyup", "ctrl+alt+space")
	}
	expect("started", dictate.Idle)

	// No model loaded: the take fails, and the window is told why.
	take()
	expect("take without a model", dictate.Listening, dictate.Thinking)
	if ev := next(); ev.Err == nil || !strings.Contains(ev.Err.Error(), "no model") {
		t.Fatalf("take without a model: %+v, want its error", ev)
	}

	if err := c.Load(context.Background(), Choice{Model: "/m/one.gguf", Projector: "/m/one.mmproj.gguf"}, nil); err != nil {
		t.Fatal(err)
	}
	take()
	// The failed take's thinking may end now or already have; then this take.
	var states []dictate.State
	for len(states) == 0 || states[len(states)-1] != dictate.Idle || len(states) < 3 {
		ev := next()
		if ev.Err != nil || ev.Ended {
			t.Fatalf("take: %+v", ev)
		}
		states = append(states, ev.State)
	}
	deadline := time.Now().Add(5 * time.Second)
	got := ""
	for ; time.Now().Before(deadline); time.Sleep(20 * time.Millisecond) {
		b, _ := os.ReadFile(typed)
		if got = string(b); got == "one.gguf" {
			break
		}
	}
	if got != "one.gguf" {
		t.Fatalf("the xterm received %q, want the loaded model's text (states %v)", got, states)
	}

	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := d.Stop(ctx); err != nil {
		t.Fatal(err)
	}
	if ev := next(); !ev.Ended || ev.Err != nil {
		t.Fatalf("after Stop: %+v, want Ended without an error", ev)
	}
	if _, ok := <-events; ok {
		t.Fatal("events not closed after Ended")
	}
	// The shortcut is free again: a new start grabs it.
	m2 := newMic()
	events, err = d.Start(DictationConfig{Shortcut: "ctrl+alt+space", Display: display, Open: m2.open})
	if err != nil {
		t.Fatalf("start after Stop: %v", err)
	}
	expect("restarted", dictate.Idle)
	if err := d.Stop(ctx); err != nil {
		t.Fatal(err)
	}
}
