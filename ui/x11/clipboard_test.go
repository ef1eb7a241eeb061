package x11

import (
	"context"
	"testing"
	"time"

	"github.com/jezek/xgb"
	"github.com/jezek/xgb/xproto"

	"github.com/verbatim-app/verbatim/tools/testenv"
)

func TestIsTerminalClass(t *testing.T) {
	for _, tc := range []struct {
		class string
		want  bool
	}{
		{"xterm\x00XTerm\x00", true}, {"gnome-terminal-server\x00Gnome-terminal\x00", true},
		{"urxvt\x00URxvt\x00", true}, {"kitty\x00kitty\x00", true}, {"st\x00St\x00", true},
		{"Alacritty\x00Alacritty\x00", true}, {"konsole\x00konsole\x00", true},
		{"gedit\x00Gedit\x00", false}, {"Navigator\x00firefox\x00", false}, {"", false}, {"stellarium\x00Stellarium\x00", false},
	} {
		if got := IsTerminalClass(tc.class); got != tc.want {
			t.Errorf("IsTerminalClass(%q) = %v, want %v", tc.class, got, tc.want)
		}
	}
}

// clipClient is a second X client: it owns CLIPBOARD with a text (or with no text target at all, like an
// image), and reads the clipboard as any application that pastes does.
type clipClient struct {
	t    *testing.T
	c    *xgb.Conn
	win  xproto.Window
	clip xproto.Atom
	utf8 xproto.Atom
	prop xproto.Atom
	got  chan xproto.SelectionNotifyEvent
}

func newClipClient(t *testing.T, display string) *clipClient {
	c, err := xgb.NewConnDisplay(display)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(c.Close)
	cc := &clipClient{t: t, c: c, got: make(chan xproto.SelectionNotifyEvent, 4)}
	for _, a := range []struct {
		dst  *xproto.Atom
		name string
	}{{&cc.clip, "CLIPBOARD"}, {&cc.utf8, "UTF8_STRING"}, {&cc.prop, "TEST_PASTE"}} {
		if *a.dst, err = internAtom(c, a.name); err != nil {
			t.Fatal(err)
		}
	}
	screen := xproto.Setup(c).DefaultScreen(c)
	cc.win, _ = xproto.NewWindowId(c)
	if err := xproto.CreateWindowChecked(c, 0, cc.win, screen.Root, 0, 0, 1, 1, 0, xproto.WindowClassInputOnly,
		screen.RootVisual, 0, nil).Check(); err != nil {
		t.Fatal(err)
	}
	return cc
}

// own takes CLIPBOARD and serves text as UTF8_STRING (asText false: refuses every target, as an image's
// owner refuses text).
func (cc *clipClient) own(text string, asText bool) {
	xproto.SetSelectionOwner(cc.c, cc.win, cc.clip, xproto.TimeCurrentTime)
	go func() {
		for {
			ev, err := cc.c.WaitForEvent()
			if ev == nil && err == nil {
				return
			}
			switch e := ev.(type) {
			case xproto.SelectionRequestEvent:
				prop := xproto.Atom(xproto.AtomNone)
				if asText && e.Target == cc.utf8 {
					prop = e.Property
					xproto.ChangeProperty(cc.c, xproto.PropModeReplace, e.Requestor, prop, cc.utf8, 8, uint32(len(text)), []byte(text))
				}
				n := xproto.SelectionNotifyEvent{Time: e.Time, Requestor: e.Requestor, Selection: e.Selection, Target: e.Target, Property: prop}
				xproto.SendEvent(cc.c, false, e.Requestor, 0, string(n.Bytes()))
				cc.c.Sync()
			case xproto.SelectionNotifyEvent:
				cc.got <- e
			}
		}
	}()
	cc.c.Sync()
}

// owner is the clipboard's owner now.
func (cc *clipClient) owner() xproto.Window {
	r, err := xproto.GetSelectionOwner(cc.c, cc.clip).Reply()
	if err != nil {
		cc.t.Fatal(err)
	}
	return r.Owner
}

// waitCond waits until ok holds, for at most limit.
func waitCond(limit time.Duration, ok func() bool) bool {
	deadline := time.Now().Add(limit)
	for !ok() {
		if time.Now().After(deadline) {
			return false
		}
		time.Sleep(20 * time.Millisecond)
	}
	return true
}

// readClipboard asks the clipboard's owner for its UTF8_STRING text, through a separate connection (the owner's
// own loop may be this client's).
func readClipboard(t *testing.T, display string) (string, bool) {
	t.Helper()
	cc := newClipClient(t, display)
	xproto.ConvertSelection(cc.c, cc.win, cc.clip, cc.utf8, cc.prop, xproto.TimeCurrentTime)
	for {
		ev, err := cc.c.WaitForEvent()
		if ev == nil && err == nil {
			t.Fatal("connection closed")
		}
		if e, ok := ev.(xproto.SelectionNotifyEvent); ok {
			if e.Property == xproto.AtomNone {
				return "", false
			}
			v, err := xproto.GetProperty(cc.c, true, cc.win, cc.prop, xproto.GetPropertyTypeAny, 0, 1<<20).Reply()
			if err != nil {
				t.Fatal(err)
			}
			return string(v.Value), true
		}
	}
}

// Pasting into real X clients: an xterm (a terminal: Ctrl+Shift+V) and an xterm that says it is an
// editor (Ctrl+V), each binding its key to paste the CLIPBOARD. The text arrives intact, and the clipboard
// afterwards holds what it held before, or has no owner when it had none.
func TestPaste(t *testing.T) {
	x := newXenv(t, "xterm")
	kb, err := OpenKeyboard(x.display, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer kb.Close()
	p, err := OpenPaster(x.display, kb, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer p.Close()
	ctx := context.Background()
	const text = "Héllo ñ ¿«»"
	const before = "before «clip» €"

	// A terminal, with something copied by another application.
	term := testenv.XTermClass(t, x.display, "XTerm", "*VT100.translations: #override Ctrl Shift <Key>V: insert-selection(CLIPBOARD)")
	other := newClipClient(t, x.display)
	other.own(before, true)
	if got, ok := readClipboard(t, x.display); !ok || got != before {
		t.Fatalf("test setup: clipboard %q, %v", got, ok)
	}
	if err := p.Type(ctx, 0, text); err != nil {
		t.Fatal(err)
	}
	if got := waitFile(term, text, 5*time.Second); got != text {
		t.Fatalf("terminal received %q, want %q", got, text)
	}
	if !waitCond(3*time.Second, func() bool { s, _ := readClipboard(t, x.display); return s == before }) {
		s, ok := readClipboard(t, x.display)
		t.Fatalf("clipboard after the paste: %q, %v; want %q", s, ok, before)
	}
	// A second paste: the restored text is served by the Paster now, and comes back again.
	if err := p.Type(ctx, 0, " 2"); err != nil {
		t.Fatal(err)
	}
	if got := waitFile(term, text+" 2", 5*time.Second); got != text+" 2" {
		t.Fatalf("terminal received %q, want %q", got, text+" 2")
	}
	if !waitCond(3*time.Second, func() bool { s, _ := readClipboard(t, x.display); return s == before }) {
		t.Fatal("clipboard not restored after the second paste")
	}

	// An application that is no terminal (Ctrl+V), with an empty clipboard.
	p.Close() // gives the clipboard up: nobody owns it
	if o := other.owner(); o != xproto.WindowNone {
		t.Fatalf("clipboard owner %d after Close, want none", o)
	}
	p, err = OpenPaster(x.display, kb, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer p.Close()
	editor := testenv.XTermClass(t, x.display, "Editor", "*VT100.translations: #override !Ctrl <Key>v: insert-selection(CLIPBOARD)")
	if err := p.Type(ctx, 0, text); err != nil {
		t.Fatal(err)
	}
	if got := waitFile(editor, text, 5*time.Second); got != text {
		t.Fatalf("editor received %q, want %q", got, text)
	}
	if !waitCond(3*time.Second, func() bool { return other.owner() == xproto.WindowNone }) {
		t.Fatalf("clipboard still owned (by %d) after the paste; it had no owner before", other.owner())
	}

	// A clipboard holding no text (an image): pasting would lose it, so the text is typed instead.
	img := newClipClient(t, x.display)
	img.own("", false)
	if err := p.Type(ctx, 0, "typed é"); err != nil {
		t.Fatal(err)
	}
	if got := waitFile(editor, text+"typed é", 5*time.Second); got != text+"typed é" {
		t.Fatalf("editor received %q, want %q", got, text+"typed é")
	}
	if o := img.owner(); o != img.win {
		t.Fatalf("clipboard owner %d, want the image's owner %d", o, img.win)
	}
}
