package x11

import (
	"context"
	"os"
	"os/exec"
	"strings"
	"testing"
	"time"

	"github.com/jezek/xgb/xproto"

	"github.com/verbatim-app/verbatim/tools/testenv"
)

func TestParseShortcut(t *testing.T) {
	for _, tc := range []struct {
		in                      string
		ctrl, alt, shift, super bool
		keysym                  uint32
		bad                     bool
	}{
		{in: "ctrl+alt+space", ctrl: true, alt: true, keysym: 0x20},
		{in: " Ctrl+Shift+F9 ", ctrl: true, shift: true, keysym: 0xffc6},
		{in: "super+d", super: true, keysym: 'd'},
		{in: "pause", keysym: 0xff13},
		{in: "alt+é", alt: true, keysym: 0xe9},
		{in: "", bad: true},
		{in: "ctrl+alt", bad: true},    // no key
		{in: "hyper+space", bad: true}, // not a modifier
		{in: "ctrl+f99", bad: true},
		{in: "ctrl+spacebar", bad: true},
	} {
		sc, err := ParseShortcut(tc.in)
		if tc.bad {
			if err == nil {
				t.Errorf("ParseShortcut(%q) = %+v, want an error", tc.in, sc)
			}
			continue
		}
		if err != nil {
			t.Errorf("ParseShortcut(%q): %v", tc.in, err)
			continue
		}
		if sc.Ctrl != tc.ctrl || sc.Alt != tc.alt || sc.Shift != tc.shift || sc.Super != tc.super || sc.Keysym != tc.keysym {
			t.Errorf("ParseShortcut(%q) = %+v", tc.in, sc)
		}
	}
}

func TestRuneKeysym(t *testing.T) {
	for _, tc := range []struct {
		r    rune
		want uint32
	}{
		{'a', 'a'}, {'Z', 'Z'}, {' ', 0x20}, {'é', 0xe9}, {'¿', 0xbf}, {'«', 0xab}, {'\n', 0xff0d}, {'\t', 0xff09},
		{'€', 0x010020ac}, {'œ', 0x01000153}, {'日', 0x010065e5}, {'\r', 0}, {0x7f, 0}, {0x85, 0},
	} {
		if got := RuneKeysym(tc.r); got != tc.want {
			t.Errorf("RuneKeysym(%q) = %#x, want %#x", tc.r, got, tc.want)
		}
	}
}

// xenv is a private X display with helpers to drive it.
type xenv struct {
	t       *testing.T
	display string
}

func newXenv(t *testing.T, tools ...string) *xenv {
	testenv.NeedTools(t, append([]string{"Xvfb", "xdotool"}, tools...)...)
	return &xenv{t: t, display: testenv.Xvfb(t)}
}

func (x *xenv) run(args ...string) string {
	x.t.Helper()
	cmd := exec.Command(args[0], args[1:]...)
	cmd.Env = append(os.Environ(), "DISPLAY="+x.display)
	out, err := cmd.CombinedOutput()
	if err != nil {
		x.t.Fatalf("%s: %v\n%s", strings.Join(args, " "), err, out)
	}
	return strings.TrimSpace(string(out))
}

// waitFile waits until the file holds want, and returns what it holds at the end.
func waitFile(path, want string, limit time.Duration) string {
	deadline := time.Now().Add(limit)
	for {
		b, _ := os.ReadFile(path)
		if string(b) == want || time.Now().After(deadline) {
			return string(b)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// Typing into a real xterm: accents and punctuation the US map lacks arrive intact, a held Ctrl does not
// turn letters into control characters, and the borrowed keycodes are given back.
func TestTypeIntoXTerm(t *testing.T) {
	x := newXenv(t, "xterm")
	file := testenv.XTerm(t, x.display)
	kb, err := OpenKeyboard(x.display, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer kb.Close()
	before, err := loadKeymap(kb.c)
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	win, err := kb.Focused(ctx)
	if err != nil || win == 0 {
		t.Fatalf("Focused = %d, %v: want the xterm's window", win, err)
	}
	want := ""
	for _, tc := range []struct {
		name, text, typed string
		hold              string // a key held down while typing (the shortcut's modifiers)
		caps              bool   // Caps Lock on while typing (and still on after)
	}{
		{name: "accents", text: "Héllo ñ ¿«»", typed: "Héllo ñ ¿«»"},
		{name: "ascii", text: `Please bring 2 (red) boxes; "now" ~ | \ {a,b} @#$%^&*`, typed: `Please bring 2 (red) boxes; "now" ~ | \ {a,b} @#$%^&*`},
		{name: "newline", text: "one\ntwo", typed: "one\rtwo"}, // the Return key; a raw tty passes its \r
		{name: "ctrl held", text: "abc", typed: "abc", hold: "ctrl"},
		{name: "alt held", text: "xyz", typed: "xyz", hold: "alt"},
		{name: "other scripts", text: "€ œ ß ç à ü", typed: "€ œ ß ç à ü"},
		{name: "control characters", text: "a\x07b\rc", typed: "abc"},
		{name: "caps lock on", text: "Bring é, É; OK?", typed: "Bring é, É; OK?", caps: true},
	} {
		if tc.hold != "" {
			x.run("xdotool", "keydown", tc.hold)
		}
		if tc.caps {
			x.run("xdotool", "key", "Caps_Lock")
		}
		if err := kb.Type(ctx, win, tc.text); err != nil {
			t.Fatalf("%s: Type: %v", tc.name, err)
		}
		want += tc.typed
		if got := waitFile(file, want, 5*time.Second); got != want {
			t.Fatalf("%s: xterm received %q, want %q", tc.name, got, want)
		}
		if tc.caps {
			r, err := xproto.QueryPointer(kb.c, kb.root).Reply()
			if err != nil || r.Mask&maskLock == 0 {
				t.Fatalf("%s: Caps Lock is not on again after typing (%v)", tc.name, err)
			}
			x.run("xdotool", "key", "Caps_Lock")
		}
	}
	// The borrowed keycodes go back to having no symbol.
	kb.restoreMap()
	after, err := loadKeymap(kb.c)
	if err != nil {
		t.Fatal(err)
	}
	for kc := int(before.min); kc <= int(before.max); kc++ {
		for l := range before.per {
			if b, a := before.sym(xproto.Keycode(kc), l), after.sym(xproto.Keycode(kc), l); b != a {
				t.Fatalf("keycode %d level %d: %#x before typing, %#x after", kc, l, b, a)
			}
		}
	}
}

// The shortcut is seen whichever window has focus; Caps Lock and Num Lock do not hide it; auto-repeat
// while it is held gives one press; other keys and other combinations are not reported; a second grab of
// the same shortcut is refused.
func TestGrabShortcut(t *testing.T) {
	x := newXenv(t)
	sc, err := ParseShortcut("ctrl+alt+space")
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	g, err := GrabShortcut(ctx, x.display, sc, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer g.Close()
	expect := func(what string, want ...bool) {
		t.Helper()
		for _, down := range want {
			select {
			case ev := <-g.Events():
				if ev.Down != down {
					t.Fatalf("%s: got Down=%v, want Down=%v", what, ev.Down, down)
				}
			case <-time.After(3 * time.Second):
				t.Fatalf("%s: no event (want Down=%v)", what, down)
			}
		}
		select {
		case ev := <-g.Events():
			t.Fatalf("%s: unexpected event %+v", what, ev)
		case <-time.After(200 * time.Millisecond):
		}
	}
	for _, tc := range []struct {
		name string
		keys [][]string // xdotool commands, run in order
		want []bool
	}{
		{"press and release", [][]string{{"keydown", "ctrl+alt+space"}, {"keyup", "ctrl+alt+space"}}, []bool{true, false}},
		{"held with auto-repeat", [][]string{{"keydown", "ctrl+alt+space"}, {"sleep", "1.2"}, {"keyup", "space"}, {"keyup", "ctrl+alt"}}, []bool{true, false}},
		{"caps lock on", [][]string{{"key", "Caps_Lock"}, {"keydown", "ctrl+alt+space"}, {"keyup", "ctrl+alt+space"}, {"key", "Caps_Lock"}}, []bool{true, false}},
		{"num lock on", [][]string{{"key", "Num_Lock"}, {"keydown", "ctrl+alt+space"}, {"keyup", "ctrl+alt+space"}, {"key", "Num_Lock"}}, []bool{true, false}},
		{"modifiers released first", [][]string{{"keydown", "ctrl+alt+space"}, {"keyup", "ctrl+alt"}, {"keyup", "space"}}, []bool{true, false}},
		{"space alone", [][]string{{"key", "space"}}, nil},
		{"ctrl+space", [][]string{{"key", "ctrl+space"}}, nil},
	} {
		for _, k := range tc.keys {
			x.run(append([]string{"xdotool"}, k...)...)
		}
		expect(tc.name, tc.want...)
	}
	if g2, err := GrabShortcut(ctx, x.display, sc, nil); err == nil {
		g2.Close()
		t.Error("a second grab of the same shortcut succeeded")
	} else if !strings.Contains(err.Error(), "taken by another application") {
		t.Errorf("second grab: %v, want 'taken by another application'", err)
	}
	// Cancelling the context releases the grab: another client may then take it.
	cancel()
	select {
	case _, ok := <-g.Events():
		if ok {
			t.Fatal("event after cancel")
		}
	case <-time.After(3 * time.Second):
		t.Fatal("Events not closed after the context ended")
	}
	g3, err := GrabShortcut(context.Background(), x.display, sc, nil)
	if err != nil {
		t.Fatalf("grab after the first was released: %v", err)
	}
	g3.Close()
}
