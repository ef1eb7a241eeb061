package x11

import (
	"context"
	"fmt"
	"log/slog"
	"strings"
	"sync"
	"time"

	"github.com/jezek/xgb"
	"github.com/jezek/xgb/xproto"
)

// Paster delivers text by pasting instead of typing: it puts the text on the CLIPBOARD selection (it
// becomes the selection's owner and answers the requests of the window that pastes, as any X clipboard
// owner does), presses Ctrl+V in the focused window through XTEST (Ctrl+Shift+V when the window's
// WM_CLASS names a terminal), and then puts back what the clipboard held before: the previous text is
// read (UTF8_STRING) before the clipboard is taken, and served again by the Paster once the paste is done;
// when the clipboard was empty the Paster gives the selection up.
//
// Limits: only text is restored. When the clipboard holds something that cannot be read back as text
// (an image, or a text large enough to need the INCR protocol), the Paster types the text instead, so that
// it never loses what the person copied. Restored text is served by this process: it is gone when the
// process ends, as the clipboard of any application that exits (unless a clipboard manager keeps it).
// A plain xterm pastes nothing on Ctrl+Shift+V unless its translations bind it (e.g.
// "XTerm*VT100.translations: #override Ctrl Shift <Key>V: insert-selection(CLIPBOARD)").
//
// Paster implements app/dictate's Sink (Focused, Type) over a Keyboard, which it does not close.
type Paster struct {
	kb  *Keyboard
	c   *xgb.Conn
	win xproto.Window // an unmapped window: the selection's owner and the property conversions land on
	log *slog.Logger

	clipboard, utf8, text, targets, incr, prop, wmClass xproto.Atom

	paste sync.Mutex // one Type at a time

	mu      sync.Mutex
	owned   bool   // the X server says we own CLIPBOARD (until a SelectionClear)
	content []byte // what we serve while we own it
	gen     int    // counts pastes: a restore of an older paste does nothing
	saved   *saved // what to put back after the paste in progress (nil: nothing pending)
	served  chan struct{}
	closed  bool

	notify chan xproto.SelectionNotifyEvent
	done   chan struct{}
}

// saved is the clipboard from before a paste.
type saved struct {
	had  bool // there was text (else the clipboard had no owner)
	text []byte
}

const ksControlL = 0xffe3

// PasteWait bounds how long the Paster waits for the focused window to ask for the pasted text before it
// puts the previous clipboard back (a window with nothing to paste into never asks).
const PasteWait = time.Second

// fetchWait bounds how long reading the previous clipboard may take.
const fetchWait = 500 * time.Millisecond

// OpenPaster connects to display ("" = $DISPLAY) for the clipboard; kb presses the keys.
func OpenPaster(display string, kb *Keyboard, log *slog.Logger) (*Paster, error) {
	if log == nil {
		log = slog.Default()
	}
	c, err := dial(display)
	if err != nil {
		return nil, err
	}
	p := &Paster{kb: kb, c: c, log: log, notify: make(chan xproto.SelectionNotifyEvent, 1), done: make(chan struct{})}
	for _, a := range []struct {
		dst  *xproto.Atom
		name string
	}{{&p.clipboard, "CLIPBOARD"}, {&p.utf8, "UTF8_STRING"}, {&p.text, "TEXT"}, {&p.targets, "TARGETS"},
		{&p.incr, "INCR"}, {&p.prop, "VERBATIM_CLIPBOARD"}, {&p.wmClass, "WM_CLASS"}} {
		if *a.dst, err = internAtom(c, a.name); err != nil {
			c.Close()
			return nil, err
		}
	}
	screen := xproto.Setup(c).DefaultScreen(c)
	if p.win, err = xproto.NewWindowId(c); err == nil {
		err = xproto.CreateWindowChecked(c, 0, p.win, screen.Root, -10, -10, 1, 1, 0, xproto.WindowClassInputOnly,
			screen.RootVisual, xproto.CwEventMask, []uint32{xproto.EventMaskPropertyChange}).Check()
	}
	if err != nil {
		c.Close()
		return nil, fmt.Errorf("x11: clipboard window: %w", err)
	}
	go p.loop()
	return p, nil
}

func internAtom(c *xgb.Conn, name string) (xproto.Atom, error) {
	r, err := xproto.InternAtom(c, false, uint16(len(name)), name).Reply()
	if err != nil {
		return 0, fmt.Errorf("x11: atom %s: %w", name, err)
	}
	return r.Atom, nil
}

// Focused is the keyboard's Focused.
func (p *Paster) Focused(ctx context.Context) (uint32, error) { return p.kb.Focused(ctx) }

// Type pastes text into window (0 = whichever has focus) and returns once the X server has the key
// presses; the previous clipboard is put back in the background, once the window has read the text or
// after PasteWait.
func (p *Paster) Type(ctx context.Context, window uint32, text string) error {
	if text == "" {
		return nil
	}
	p.paste.Lock()
	defer p.paste.Unlock()
	p.mu.Lock()
	if p.closed {
		p.mu.Unlock()
		return fmt.Errorf("x11: paster closed")
	}
	pending := p.saved != nil
	p.mu.Unlock()
	if !pending {
		// What the clipboard holds now, to put back after. A paste still waiting for its restore keeps
		// the clipboard of before it.
		prev, ok := p.current()
		if !ok {
			p.log.Debug("x11: the clipboard holds no text that can be restored; typing instead")
			return p.kb.Type(ctx, window, text)
		}
		p.mu.Lock()
		p.saved = prev
		p.mu.Unlock()
	}
	served := make(chan struct{})
	p.mu.Lock()
	p.gen++
	gen := p.gen
	p.content, p.served = []byte(text), served
	p.mu.Unlock()
	if err := p.own(); err != nil {
		p.restore(gen)
		return err
	}
	terminal := p.isTerminal(window)
	err := p.kb.chord(ctx, window, terminal, 'v')
	go func() {
		select {
		case <-served:
		case <-time.After(PasteWait):
			p.log.Debug("x11: the focused window did not ask for the pasted text")
		}
		p.restore(gen)
	}()
	return err
}

// own takes the CLIPBOARD selection and checks that the server gave it.
func (p *Paster) own() error {
	p.mu.Lock()
	p.owned = true // before the request: a SelectionClear for an older ownership may still be queued
	p.mu.Unlock()
	xproto.SetSelectionOwner(p.c, p.win, p.clipboard, xproto.TimeCurrentTime)
	r, err := xproto.GetSelectionOwner(p.c, p.clipboard).Reply()
	if err != nil {
		return fmt.Errorf("x11: take the clipboard: %w", err)
	}
	if r.Owner != p.win {
		return fmt.Errorf("x11: the X server did not give the clipboard")
	}
	return nil
}

// restore puts the clipboard of before paste gen back, unless another paste came since.
func (p *Paster) restore(gen int) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if gen != p.gen || p.saved == nil || p.closed {
		return
	}
	prev := p.saved
	p.saved = nil
	if !p.owned {
		return // someone copied something else meanwhile: that is the clipboard now
	}
	if prev.had {
		p.content = prev.text
		return
	}
	p.content, p.owned = nil, false
	xproto.SetSelectionOwner(p.c, xproto.WindowNone, p.clipboard, xproto.TimeCurrentTime)
	p.c.Sync()
}

// current reads the clipboard's text: had false when it has no owner; ok false when it has one whose
// content cannot be read as text.
func (p *Paster) current() (*saved, bool) {
	p.mu.Lock()
	if p.owned {
		s := &saved{had: true, text: p.content}
		p.mu.Unlock()
		return s, true
	}
	p.mu.Unlock()
	r, err := xproto.GetSelectionOwner(p.c, p.clipboard).Reply()
	if err != nil {
		return nil, false
	}
	if r.Owner == xproto.WindowNone {
		return &saved{}, true
	}
	for len(p.notify) > 0 {
		<-p.notify // a late answer to an earlier request
	}
	xproto.DeleteProperty(p.c, p.win, p.prop)
	xproto.ConvertSelection(p.c, p.win, p.clipboard, p.utf8, p.prop, xproto.TimeCurrentTime)
	select {
	case ev := <-p.notify:
		if ev.Property == xproto.AtomNone {
			return nil, false // no text (an image, say)
		}
	case <-time.After(fetchWait):
		return nil, false
	}
	v, err := xproto.GetProperty(p.c, true, p.win, p.prop, xproto.GetPropertyTypeAny, 0, 1<<24).Reply()
	if err != nil || v.Type == p.incr || v.BytesAfter > 0 {
		return nil, false
	}
	return &saved{had: true, text: append([]byte(nil), v.Value...)}, true
}

// loop answers the selection's requests and passes on the answers to ours.
func (p *Paster) loop() {
	defer close(p.done)
	for {
		ev, err := p.c.WaitForEvent()
		if ev == nil && err == nil {
			return
		}
		if err != nil {
			p.log.Debug("x11 clipboard: error event", "err", err)
			continue
		}
		switch e := ev.(type) {
		case xproto.SelectionRequestEvent:
			p.answer(e)
		case xproto.SelectionClearEvent:
			if e.Selection == p.clipboard {
				p.mu.Lock()
				p.owned, p.content = false, nil
				p.mu.Unlock()
			}
		case xproto.SelectionNotifyEvent:
			select {
			case p.notify <- e:
			default:
			}
		}
	}
}

// answer gives the requestor the text (UTF8_STRING, TEXT, STRING) or the list of targets, and refuses
// anything else.
func (p *Paster) answer(e xproto.SelectionRequestEvent) {
	prop := e.Property
	if prop == xproto.AtomNone {
		prop = e.Target // an obsolete client
	}
	p.mu.Lock()
	content, owned, served := p.content, p.owned, p.served
	p.mu.Unlock()
	ok := owned && e.Selection == p.clipboard
	text := false
	if ok {
		switch e.Target {
		case p.targets:
			atoms := []xproto.Atom{p.targets, p.utf8, p.text, xproto.AtomString}
			buf := make([]byte, 4*len(atoms))
			for i, a := range atoms {
				xgb.Put32(buf[4*i:], uint32(a))
			}
			xproto.ChangeProperty(p.c, xproto.PropModeReplace, e.Requestor, prop, xproto.AtomAtom, 32, uint32(len(atoms)), buf)
		case p.utf8, p.text:
			xproto.ChangeProperty(p.c, xproto.PropModeReplace, e.Requestor, prop, p.utf8, 8, uint32(len(content)), content)
			text = true
		case xproto.AtomString:
			l := latin1(string(content))
			xproto.ChangeProperty(p.c, xproto.PropModeReplace, e.Requestor, prop, xproto.AtomString, 8, uint32(len(l)), l)
			text = true
		default:
			ok = false
		}
	}
	if !ok {
		prop = xproto.AtomNone
	}
	n := xproto.SelectionNotifyEvent{Time: e.Time, Requestor: e.Requestor, Selection: e.Selection, Target: e.Target, Property: prop}
	xproto.SendEvent(p.c, false, e.Requestor, xproto.EventMaskNoEvent, string(n.Bytes()))
	// The property is written and the notice sent before anything else this connection does: once
	// the server has them, the requestor has the text and the clipboard may change.
	if _, err := xproto.GetInputFocus(p.c).Reply(); err != nil {
		return
	}
	if text && served != nil {
		p.mu.Lock()
		if p.served == served {
			close(served)
			p.served = nil
		}
		p.mu.Unlock()
	}
}

// latin1 is s in ISO 8859-1 (the STRING type), '?' for characters it lacks.
func latin1(s string) []byte {
	b := make([]byte, 0, len(s))
	for _, r := range s {
		if r > 0xff {
			r = '?'
		}
		b = append(b, byte(r))
	}
	return b
}

// terminals are WM_CLASS names (lower case) of terminals, which paste on Ctrl+Shift+V: Ctrl+V is a
// control character there.
var terminals = []string{"urxvt", "rxvt", "konsole", "kitty", "alacritty", "st", "st-256color", "tilix", "foot",
	"sakura", "guake", "tilda", "yakuake", "hyper", "qterminal", "lxterminal"}

// isTerminal reports whether window (0 = the focused one), or the first of its ancestors that has a
// WM_CLASS, is a terminal.
func (p *Paster) isTerminal(window uint32) bool {
	w := xproto.Window(window)
	if w == 0 {
		r, err := xproto.GetInputFocus(p.c).Reply()
		if err != nil {
			return false
		}
		w = r.Focus
	}
	root := xproto.Setup(p.c).DefaultScreen(p.c).Root
	for i := 0; i < 8 && w != 0 && w != root && w != xproto.InputFocusPointerRoot; i++ {
		v, err := xproto.GetProperty(p.c, false, w, p.wmClass, xproto.AtomString, 0, 256).Reply()
		if err == nil && len(v.Value) > 0 {
			return IsTerminalClass(string(v.Value))
		}
		t, err := xproto.QueryTree(p.c, w).Reply()
		if err != nil {
			return false
		}
		w = t.Parent
	}
	return false
}

// IsTerminalClass reports whether a WM_CLASS value (instance and class, NUL-separated) names a terminal.
func IsTerminalClass(wmClass string) bool {
	for _, name := range strings.Split(strings.ToLower(wmClass), "\x00") {
		if name == "" {
			continue
		}
		if strings.Contains(name, "term") { // xterm, gnome-terminal, xfce4-terminal, terminator, wezterm...
			return true
		}
		for _, t := range terminals {
			if name == t {
				return true
			}
		}
	}
	return false
}

// Close gives up the clipboard (its text goes with this process) and disconnects; the Keyboard stays open.
func (p *Paster) Close() error {
	p.paste.Lock()
	defer p.paste.Unlock()
	p.mu.Lock()
	if p.closed {
		p.mu.Unlock()
		return nil
	}
	p.closed = true
	if p.owned {
		xproto.SetSelectionOwner(p.c, xproto.WindowNone, p.clipboard, xproto.TimeCurrentTime)
		p.owned = false
	}
	p.mu.Unlock()
	p.c.Sync()
	p.c.Close()
	<-p.done
	return nil
}

// chord presses Ctrl (and Shift) with the key typing keysym ks in window (0 = the focused one), after
// releasing the modifiers still held, with Caps Lock off for the moment, and returns once the server has
// the events.
func (k *Keyboard) chord(ctx context.Context, window uint32, shift bool, ks xproto.Keysym) error {
	k.mu.Lock()
	defer k.mu.Unlock()
	if k.closed {
		return fmt.Errorf("x11: keyboard closed")
	}
	km, err := loadKeymap(k.c)
	if err != nil {
		return err
	}
	kc, _, ok := km.find(ks)
	ctrl, _, okCtrl := km.find(ksControlL)
	shiftKC, _, okShift := km.find(ksShiftL)
	if !ok || !okCtrl || (shift && !okShift) {
		return fmt.Errorf("x11: paste: the keyboard map has no Ctrl, Shift or %c key", rune(ks))
	}
	err = k.deliver(km, window, "paste", func() {
		k.fake(xproto.KeyPress, ctrl)
		if shift {
			k.fake(xproto.KeyPress, shiftKC)
		}
		k.tap(kc)
		if shift {
			k.fake(xproto.KeyRelease, shiftKC)
		}
		k.fake(xproto.KeyRelease, ctrl)
	})
	if err != nil {
		return err
	}
	return ctx.Err()
}
