package desktop

import (
	"context"
	"errors"
	"fmt"
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
	"github.com/verbatim-app/verbatim/ui/wayland"
	"github.com/verbatim-app/verbatim/ui/wayland/portaltest"
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

// On Wayland without DISPLAY the session bus's portal decides: GlobalShortcuts 1 and RemoteDesktop make
// it DictationPortal; otherwise the reason names what is missing.
func TestSupportWhyPortal(t *testing.T) {
	for _, tc := range []struct {
		name      string
		configure func(*portaltest.Portal)
		want      DictationSupport
		why       string
	}{
		{"GlobalShortcuts and RemoteDesktop", nil, DictationPortal, ""},
		{"GlobalShortcuts version 0", func(p *portaltest.Portal) { p.Version = 0 }, DictationWaylandOnly, "this Wayland desktop's portal has no GlobalShortcuts"},
		{"no RemoteDesktop", func(p *portaltest.Portal) { p.NoRemote = true }, DictationWaylandOnly, "no RemoteDesktop"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			addr := portaltest.Bus(t)
			portaltest.New(t, addr, tc.configure)
			env := map[string]string{"WAYLAND_DISPLAY": "wayland-0", "DBUS_SESSION_BUS_ADDRESS": addr}
			got, why := SupportWhy(func(k string) string { return env[k] })
			if got != tc.want || (tc.why == "") != (why == nil) || (why != nil && !strings.Contains(why.Error(), tc.why)) {
				t.Fatalf("SupportWhy = %v, %v; want %v, %q", got, why, tc.want, tc.why)
			}
			env["DISPLAY"] = ":0" // XWayland: X11 whatever the portal has
			if got := SupportFrom(func(k string) string { return env[k] }); got != DictationX11 {
				t.Fatalf("with DISPLAY: %v, want X11", got)
			}
		})
	}
	t.Run("no session bus", func(t *testing.T) {
		env := map[string]string{"WAYLAND_DISPLAY": "wayland-0"}
		got, why := SupportWhy(func(k string) string { return env[k] })
		if got != DictationWaylandOnly || why == nil || !strings.Contains(why.Error(), "no session bus") {
			t.Fatalf("SupportWhy = %v, %v", got, why)
		}
	})
}

// The window's dictation through the portal: the shortcut bound, a take typed as keysyms of the
// loaded model's text, Stop closing both portal sessions.
func TestDictationOverPortal(t *testing.T) {
	addr := portaltest.Bus(t)
	fp := portaltest.New(t, addr, nil)
	c := newTestCatalog(t.TempDir(), models.Locations{}, &fakeLoader{})
	defer c.Close(context.Background())
	if err := c.Load(context.Background(), Choice{Model: "/m/one.gguf", Projector: "/m/one.mmproj.gguf"}, nil); err != nil {
		t.Fatal(err)
	}
	d := NewDictation(c, nil, slog.New(slog.DiscardHandler))
	m := newMic()
	events, err := d.Start(DictationConfig{Shortcut: "ctrl+alt+space", Mode: dictate.Hold, Bus: addr, Open: m.open})
	if err != nil {
		t.Fatal(err)
	}
	if got := fp.Triggers(); len(got) != 1 || got[0] != "CTRL+ALT+space" {
		t.Fatalf("triggers bound %q", got)
	}
	expect := func(want dictate.State) {
		t.Helper()
		select {
		case ev := <-events:
			if ev.State != want || ev.Err != nil || ev.Ended {
				t.Fatalf("got %+v, want state %v", ev, want)
			}
		case <-time.After(10 * time.Second):
			t.Fatalf("no %v within 10 s", want)
		}
	}
	expect(dictate.Idle)
	session := fp.Session(portaltest.Shortcuts)
	fp.Emit(session, wayland.ShortcutID, true)
	expect(dictate.Listening)
	m.say()
	fp.Emit(session, wayland.ShortcutID, false)
	expect(dictate.Thinking)
	var want []portaltest.Key
	for _, r := range "one.gguf" {
		ks, _ := wayland.Keysym(r)
		want = append(want, portaltest.Key{Keysym: int32(ks), State: 1}, portaltest.Key{Keysym: int32(ks), State: 0})
	}
	deadline := time.After(10 * time.Second)
	for len(fp.Keys()) < len(want) {
		select {
		case <-fp.Changed():
		case <-time.After(20 * time.Millisecond):
		case <-deadline:
			t.Fatalf("typed %v, want %v", fp.Keys(), want)
		}
	}
	if got := fp.Keys(); len(got) != len(want) || fmt.Sprint(got) != fmt.Sprint(want) {
		t.Fatalf("typed %v, want %v", got, want)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := d.Stop(ctx); err != nil {
		t.Fatal(err)
	}
	for ev := range events {
		if ev.Ended && ev.Err != nil {
			t.Fatalf("ended with %v", ev.Err)
		}
	}
	for _, iface := range []string{portaltest.Shortcuts, portaltest.Remote} {
		if s := fp.Session(iface); !fp.Closed(s) {
			t.Errorf("the %s session %s was not closed by Stop", iface, s)
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
