package wayland

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"math/rand/v2"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/verbatim-app/verbatim/app/dictate"
	"github.com/verbatim-app/verbatim/app/live"
	"github.com/verbatim-app/verbatim/app/speech"
	"github.com/verbatim-app/verbatim/capture"
	"github.com/verbatim-app/verbatim/capture/pcm"
	"github.com/verbatim-app/verbatim/tools/testenv"
	"github.com/verbatim-app/verbatim/ui/wayland/portaltest"
)

var quiet = slog.New(slog.NewTextHandler(io.Discard, nil))

func TestTrigger(t *testing.T) {
	for _, tc := range []struct{ in, want, err string }{
		{"ctrl+alt+space", "CTRL+ALT+space", ""},
		{"Ctrl+Shift+F9", "CTRL+SHIFT+F9", ""},
		{"super+d", "LOGO+d", ""},
		{"alt+pageup", "ALT+Page_Up", ""},
		{"ctrl+alt+return", "CTRL+ALT+Return", ""},
		{"", "", "empty"},
		{"hyper+a", "", "not a modifier"},
		{"ctrl+f25", "", "unknown key"},
		{"ctrl+é", "", "unknown key"},
	} {
		got, err := Trigger(tc.in)
		if tc.err != "" {
			if err == nil || !strings.Contains(err.Error(), tc.err) {
				t.Errorf("Trigger(%q) = %q, %v; want an error with %q", tc.in, got, err, tc.err)
			}
			continue
		}
		if err != nil || got != tc.want {
			t.Errorf("Trigger(%q) = %q, %v; want %q", tc.in, got, err, tc.want)
		}
	}
}

func TestKeysym(t *testing.T) {
	for _, tc := range []struct {
		r    rune
		want uint32
		ok   bool
	}{
		{'a', 'a', true}, {'?', '?', true}, {' ', 0x20, true},
		{'é', 0xe9, true}, {'ñ', 0xf1, true}, {'¿', 0xbf, true}, {'«', 0xab, true}, {'»', 0xbb, true},
		{'ü', 0xfc, true}, {'\u00a0', 0xa0, true},
		{'€', 0x010020ac, true}, {'Œ', 0x01000152, true}, {'中', 0x01004e2d, true}, {'😀', 0x0101f600, true},
		{'\n', 0xff0d, true}, {'\t', 0xff09, true},
		{'\x07', 0, false}, {'\x7f', 0, false}, {'\u0085', 0, false},
	} {
		got, ok := Keysym(tc.r)
		if got != tc.want || ok != tc.ok {
			t.Errorf("Keysym(%U) = %#x, %v; want %#x, %v", tc.r, got, ok, tc.want, tc.ok)
		}
	}
}

func TestCheck(t *testing.T) {
	for _, tc := range []struct {
		name      string
		configure func(*portaltest.Portal)
		want      string // "" = supported
	}{
		{"GlobalShortcuts 1 and RemoteDesktop", nil, ""},
		{"GlobalShortcuts version 0", func(f *portaltest.Portal) { f.Version = 0 }, "this Wayland desktop's portal has no GlobalShortcuts: version 0"},
		{"no RemoteDesktop", func(f *portaltest.Portal) { f.NoRemote = true }, "no RemoteDesktop"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			addr := portaltest.Bus(t)
			portaltest.New(t, addr, tc.configure)
			err := Probe(context.Background(), addr)
			if tc.want == "" && err != nil {
				t.Fatalf("Probe: %v", err)
			}
			if tc.want != "" && (err == nil || !strings.Contains(err.Error(), tc.want)) {
				t.Fatalf("Probe: %v; want an error with %q", err, tc.want)
			}
		})
	}
	t.Run("no portal on the bus", func(t *testing.T) {
		addr := portaltest.Bus(t)
		err := Probe(context.Background(), addr)
		if err == nil || !strings.Contains(err.Error(), "this Wayland desktop's portal has no GlobalShortcuts") {
			t.Fatalf("Probe: %v", err)
		}
	})
}

// The whole road on a fake portal: bind the shortcut, open the keyboard, run app/dictate with a model
// that hears one sentence, press and release through Activated/Deactivated, and the portal receives
// exactly the sentence's keysyms; Close ends both sessions.
func TestDictationThroughPortal(t *testing.T) {
	const sentence = "¿Qué tal, señor Müller?"
	addr := portaltest.Bus(t)
	fp := portaltest.New(t, addr, nil)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	p, err := Open(addr, quiet)
	if err != nil {
		t.Fatal(err)
	}
	defer p.Close()
	trigger, err := Trigger("ctrl+alt+space")
	if err != nil {
		t.Fatal(err)
	}
	sc, err := BindShortcut(ctx, p, trigger, "Dictate")
	if err != nil {
		t.Fatalf("BindShortcut: %v", err)
	}
	if got := fp.Triggers(); len(got) != 1 || got[0] != "CTRL+ALT+space" {
		t.Fatalf("preferred triggers bound %q, want [CTRL+ALT+space]", got)
	}
	if sc.Trigger() != "Press CTRL+ALT+space" {
		t.Errorf("Trigger() = %q: the portal's trigger_description was not kept", sc.Trigger())
	}
	kb, err := OpenKeyboard(ctx, p, false)
	if err != nil {
		t.Fatalf("OpenKeyboard: %v", err)
	}
	if fp.Devices() != deviceKeyboard {
		t.Errorf("SelectDevices types = %d, want %d (keyboard)", fp.Devices(), deviceKeyboard)
	}

	mic := newFakeMic()
	go mic.run()
	model := &fakeModel{say: sentence}
	states := make(chan dictate.State, 16)
	ran := make(chan error, 1)
	go func() {
		ran <- dictate.Run(ctx, func() speech.Model { return model }, sc, kb, dictate.Config{
			Live:     live.Config{Open: mic.open},
			Commands: true,
			Log:      quiet,
			OnState:  func(s dictate.State) { states <- s },
		})
	}()
	waitState := func(want dictate.State) {
		t.Helper()
		for {
			select {
			case s := <-states:
				if s == want {
					return
				}
			case <-time.After(5 * time.Second):
				t.Fatalf("dictation never became %v", want)
			}
		}
	}
	waitState(dictate.Idle)
	go mic.push(mic.room(500 * time.Millisecond))
	session := fp.Session(ifaceShortcuts)
	fp.Emit(session, ShortcutID, true)
	fp.Emit(session, ShortcutID, true) // a repeat: not a second press
	waitState(dictate.Listening)
	mic.push(mic.voice(1500 * time.Millisecond))
	fp.Emit(session, ShortcutID, false)
	waitState(dictate.Thinking)
	go mic.push(mic.room(2 * time.Second))

	var want []portaltest.Key
	for _, r := range sentence {
		ks, _ := Keysym(r)
		want = append(want, portaltest.Key{Keysym: int32(ks), State: 1}, portaltest.Key{Keysym: int32(ks), State: 0})
	}
	deadline := time.After(10 * time.Second)
	for len(fp.Keys()) < len(want) {
		select {
		case <-fp.Changed():
		case <-deadline:
			t.Fatalf("typed %d key events, want %d", len(fp.Keys()), len(want))
		}
	}
	time.Sleep(100 * time.Millisecond) // anything more would come now
	got := fp.Keys()
	if len(got) != len(want) {
		t.Fatalf("typed %d key events, want %d: %v", len(got), len(want), got)
	}
	for i := range want {
		if got[i] != want[i] {
			t.Fatalf("key event %d = %#x/%d, want %#x/%d", i, got[i].Keysym, got[i].State, want[i].Keysym, want[i].State)
		}
	}
	if model.heard() != 1 {
		t.Errorf("the model heard %d utterances, want 1", model.heard())
	}

	// Stop: closing the shortcut ends its events, which ends Run; the sessions are closed.
	if err := sc.Close(); err != nil {
		t.Fatalf("close the shortcut: %v", err)
	}
	select {
	case err := <-ran:
		if err != nil {
			t.Fatalf("Run: %v", err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("Run did not end when the shortcut closed")
	}
	if err := kb.Close(); err != nil {
		t.Fatalf("close the keyboard: %v", err)
	}
	for _, iface := range []string{ifaceShortcuts, ifaceRemote} {
		if s := fp.Session(iface); !fp.Closed(s) {
			t.Errorf("the %s session %s was not closed", iface, s)
		}
	}
}

func TestDenied(t *testing.T) {
	for _, tc := range []struct {
		name string
		open func(context.Context, *Portal) error
	}{
		{"shortcut", func(ctx context.Context, p *Portal) error {
			_, err := BindShortcut(ctx, p, "CTRL+ALT+space", "Dictate")
			return err
		}},
		{"keyboard", func(ctx context.Context, p *Portal) error {
			_, err := OpenKeyboard(ctx, p, false)
			return err
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			addr := portaltest.Bus(t)
			fp := portaltest.New(t, addr, func(f *portaltest.Portal) { f.Deny = 1 })
			p, err := Open(addr, quiet)
			if err != nil {
				t.Fatal(err)
			}
			defer p.Close()
			ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
			defer cancel()
			err = tc.open(ctx, p)
			if !errors.Is(err, ErrDenied) || !strings.Contains(err.Error(), "cancelled (response 1)") {
				t.Fatalf("got %v, want ErrDenied saying the request was cancelled", err)
			}
			// The session made for the refused request is not left open.
			for _, iface := range []string{ifaceShortcuts, ifaceRemote} {
				if s := fp.Session(iface); s != "" && !fp.Closed(s) {
					t.Errorf("the %s session %s was left open", iface, s)
				}
			}
		})
	}
}

func TestPaste(t *testing.T) {
	t.Run("no clipboard: a clear error", func(t *testing.T) {
		addr := portaltest.Bus(t)
		portaltest.New(t, addr, nil)
		p, err := Open(addr, quiet)
		if err != nil {
			t.Fatal(err)
		}
		defer p.Close()
		_, err = OpenKeyboard(context.Background(), p, true)
		if !errors.Is(err, ErrNoClipboard) || !strings.Contains(err.Error(), "paste instead of typing") {
			t.Fatalf("got %v, want ErrNoClipboard", err)
		}
	})
	t.Run("clipboard: the text is served, Ctrl+V sent, the old text offered again", func(t *testing.T) {
		addr := portaltest.Bus(t)
		fp := portaltest.New(t, addr, func(f *portaltest.Portal) { f.Clipboard, f.PrevClip = true, "before" })
		p, err := Open(addr, quiet)
		if err != nil {
			t.Fatal(err)
		}
		defer p.Close()
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		kb, err := OpenKeyboard(ctx, p, true)
		if err != nil {
			t.Fatalf("OpenKeyboard: %v", err)
		}
		defer kb.Close()
		if err := kb.Type(ctx, 0, "¿Qué tal?"); err != nil {
			t.Fatalf("Type: %v", err)
		}
		want := []portaltest.Key{{Keysym: ksControlL, State: 1}, {Keysym: ksV, State: 1}, {Keysym: ksV, State: 0}, {Keysym: ksControlL, State: 0}}
		if got := fp.Keys(); len(got) != len(want) || got[0] != want[0] || got[1] != want[1] || got[2] != want[2] || got[3] != want[3] {
			t.Errorf("keys %v, want Ctrl+V %v", got, want)
		}
		deadline := time.After(5 * time.Second)
		for {
			pasted := fp.Pasted()
			if len(pasted) >= 2 {
				if pasted[0] != "¿Qué tal?" || pasted[1] != "before" {
					t.Fatalf("clipboard served %q, want the text then the previous text", pasted)
				}
				break
			}
			select {
			case <-fp.Changed():
			case <-time.After(50 * time.Millisecond):
			case <-deadline:
				t.Fatalf("clipboard served %q, want the text then the previous text", pasted)
			}
		}
	})
}

// fakeMic is a microphone in software: the test pushes 20 ms chunks through it.
type fakeMic struct {
	audio  chan []float32
	levels chan capture.Level
	errs   chan error
	once   sync.Once
	quit   chan struct{}
	mu     sync.Mutex
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

func (m *fakeMic) run() {
	<-m.quit
	m.mu.Lock() // no push is sending now
	close(m.audio)
	m.mu.Unlock()
}

// push sends x in 20 ms chunks, as a device would; one push at a time.
func (m *fakeMic) push(x []float32) {
	m.mu.Lock()
	defer m.mu.Unlock()
	for len(x) > 0 {
		n := min(320, len(x))
		select {
		case m.audio <- x[:n]:
		case <-m.quit:
			return
		}
		x = x[n:]
	}
}

func (m *fakeMic) room(d time.Duration) []float32 {
	m.mu.Lock()
	defer m.mu.Unlock()
	return testenv.Noise(m.rng, pcm.Samples(d), -65)
}

func (m *fakeMic) voice(d time.Duration) []float32 {
	x := m.room(d)
	for i, v := range testenv.Voice(len(x)) {
		x[i] += v
	}
	return x
}

// fakeModel hears say in every utterance.
type fakeModel struct {
	say string
	mu  sync.Mutex
	n   int
}

func (f *fakeModel) StartUtterance(context.Context) (speech.Utterance, error) {
	f.mu.Lock()
	f.n++
	f.mu.Unlock()
	return fakeUtt{f}, nil
}

func (f *fakeModel) heard() int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.n
}

type fakeUtt struct{ f *fakeModel }

func (fakeUtt) Feed(context.Context, []float32) error { return nil }
func (u fakeUtt) Finish(_ context.Context, targets []string, _ func(string, string)) (map[string]speech.Result, error) {
	res := map[string]speech.Result{}
	for _, t := range targets {
		if t == "" {
			res[t] = speech.Result{Text: u.f.say}
		}
	}
	return res, nil
}
func (fakeUtt) Release() {}
