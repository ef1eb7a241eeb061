package x11

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"sync"
	"time"
	"unicode/utf8"

	"github.com/jezek/xgb"
	"github.com/jezek/xgb/xproto"
)

// Shortcut is a key with modifiers, as in "ctrl+alt+space".
type Shortcut struct {
	Ctrl, Alt, Shift, Super bool
	Keysym                  uint32
	text                    string
}

func (s Shortcut) String() string { return s.text }

// namedKeys are the key names ParseShortcut knows besides single characters.
var namedKeys = map[string]uint32{
	"space": 0x20, "return": ksReturn, "enter": ksReturn, "tab": ksTab, "escape": 0xff1b, "esc": 0xff1b,
	"backspace": ksBackSpace, "insert": 0xff63, "delete": 0xffff, "home": 0xff50, "end": 0xff57,
	"pageup": 0xff55, "pagedown": 0xff56, "pause": 0xff13, "scrolllock": ksScrollLock, "print": 0xff61,
	"menu": 0xff67, "left": 0xff51, "up": 0xff52, "right": 0xff53, "down": 0xff54,
}

// ParseShortcut reads "ctrl+alt+space", "super+d", "ctrl+shift+f9": modifiers (ctrl, alt, shift,
// super) and one key, case-insensitive.
func ParseShortcut(s string) (Shortcut, error) {
	sc := Shortcut{text: strings.ToLower(strings.TrimSpace(s))}
	parts := strings.Split(sc.text, "+")
	if sc.text == "" {
		return sc, errors.New("x11: empty shortcut")
	}
	for i, p := range parts {
		p = strings.TrimSpace(p)
		last := i == len(parts)-1
		switch {
		case !last && (p == "ctrl" || p == "control"):
			sc.Ctrl = true
		case !last && p == "alt":
			sc.Alt = true
		case !last && p == "shift":
			sc.Shift = true
		case !last && (p == "super" || p == "win" || p == "meta"):
			sc.Super = true
		case !last:
			return sc, fmt.Errorf("x11: shortcut %q: %q is not a modifier (ctrl, alt, shift, super)", s, p)
		default:
			if ks, ok := namedKeys[p]; ok {
				sc.Keysym = ks
			} else if len(p) > 1 && p[0] == 'f' && len(p) <= 3 {
				var n int
				if _, err := fmt.Sscanf(p[1:], "%d", &n); err != nil || n < 1 || n > 24 {
					return sc, fmt.Errorf("x11: shortcut %q: unknown key %q", s, p)
				}
				sc.Keysym = 0xffbe + uint32(n-1) // F1 = 0xffbe
			} else if r, size := utf8.DecodeRuneInString(p); size == len(p) && r > ' ' && r != utf8.RuneError {
				sc.Keysym = RuneKeysym(r)
			} else {
				return sc, fmt.Errorf("x11: shortcut %q: unknown key %q", s, p)
			}
		}
	}
	return sc, nil
}

// KeyEvent is the shortcut going down or up.
type KeyEvent struct {
	Down bool
	At   time.Time // when this process received it
}

// Grab holds a global shortcut: the X server sends its presses and releases here whichever window has
// focus. Close releases it.
type Grab struct {
	c        *xgb.Conn
	root     xproto.Window
	keycodes []xproto.Keycode
	masks    []uint16
	events   chan KeyEvent
	log      *slog.Logger
	// detectable: the server sends no release between auto-repeated presses (XKB's
	// DetectableAutoRepeat); without it a release is only real if no press with the same timestamp follows.
	detectable bool
	closeOnce  sync.Once
	quit       chan struct{} // closed by Close: the loop stops sending
	done       chan struct{}
}

// repeatWait bounds how long a release waits for the press of an auto-repeat pair when the server cannot
// tell repeats apart.
const repeatWait = 20 * time.Millisecond

// GrabShortcut grabs sc on display ("" = $DISPLAY). The grab covers sc with and without Caps Lock and
// Num Lock, which otherwise make the same keys a different combination. It fails when another
// application holds the shortcut.
func GrabShortcut(ctx context.Context, display string, sc Shortcut, log *slog.Logger) (*Grab, error) {
	if log == nil {
		log = slog.Default()
	}
	c, err := dial(display)
	if err != nil {
		return nil, err
	}
	g := &Grab{c: c, root: xproto.Setup(c).DefaultScreen(c).Root, events: make(chan KeyEvent, 16), log: log,
		quit: make(chan struct{}), done: make(chan struct{})}
	if err := g.grab(sc); err != nil {
		c.Close()
		return nil, err
	}
	g.detectable = detectableAutoRepeat(c)
	go g.loop()
	go func() {
		select {
		case <-ctx.Done():
			g.Close()
		case <-g.done:
		}
	}()
	return g, nil
}

func (g *Grab) grab(sc Shortcut) error {
	km, err := loadKeymap(g.c)
	if err != nil {
		return err
	}
	var mods uint16
	if sc.Ctrl {
		mods |= maskControl
	}
	if sc.Shift {
		mods |= maskShift
	}
	if sc.Alt {
		mods |= km.modMask(xproto.ModMask1, ksAltL, ksAltR, ksMetaL)
	}
	if sc.Super {
		mods |= km.modMask(xproto.ModMask4, ksSuperL, ksSuperR)
	}
	numLock := km.modMask(xproto.ModMask2, ksNumLock)
	scrollLock := km.modMask(0, ksScrollLock)
	ignore := []uint16{0, maskLock, numLock, maskLock | numLock}
	if scrollLock != 0 {
		for _, m := range ignore[:4] {
			ignore = append(ignore, m|scrollLock)
		}
	}
	for k := int(km.min); k <= int(km.max); k++ {
		for l := range km.per {
			if uint32(km.sym(xproto.Keycode(k), l)) == sc.Keysym {
				g.keycodes = append(g.keycodes, xproto.Keycode(k))
				break
			}
		}
	}
	if len(g.keycodes) == 0 {
		return fmt.Errorf("x11: shortcut %s: no key on this keyboard types it", sc)
	}
	for _, kc := range g.keycodes {
		for _, ig := range ignore {
			m := mods | ig
			err := xproto.GrabKeyChecked(g.c, true, g.root, m, kc, xproto.GrabModeAsync, xproto.GrabModeAsync).Check()
			if err != nil {
				var access xproto.AccessError
				if errors.As(err, &access) {
					return fmt.Errorf("x11: shortcut %s is taken by another application: %w", sc, err)
				}
				return fmt.Errorf("x11: grab %s: %w", sc, err)
			}
			g.masks = append(g.masks, m)
		}
	}
	return nil
}

// Events delivers the shortcut's presses and releases (auto-repeat removed); it closes after Close.
func (g *Grab) Events() <-chan KeyEvent { return g.events }

// Close ungrabs the shortcut and closes the connection.
func (g *Grab) Close() error {
	g.closeOnce.Do(func() {
		close(g.quit)
		for _, kc := range g.keycodes {
			for _, m := range g.masks {
				xproto.UngrabKey(g.c, kc, g.root, m)
			}
		}
		g.c.Sync()
		g.c.Close()
	})
	<-g.done
	return nil
}

// loop turns the connection's events into KeyEvents: one Down per press, one Up per release.
func (g *Grab) loop() {
	defer close(g.done)
	defer close(g.events)
	raw := make(chan xgb.Event, 64)
	go func() {
		defer close(raw)
		for {
			ev, err := g.c.WaitForEvent()
			if ev == nil && err == nil {
				return // closed
			}
			if err != nil {
				g.log.Debug("x11 grab: error event", "err", err)
				continue
			}
			raw <- ev
		}
	}()
	ours := func(kc xproto.Keycode) bool {
		for _, k := range g.keycodes {
			if k == kc {
				return true
			}
		}
		return false
	}
	send := func(down bool) {
		select {
		case g.events <- KeyEvent{Down: down, At: time.Now()}:
		case <-g.quit:
		}
	}
	down := false
	var pending *xproto.KeyReleaseEvent // a release that may be half of an auto-repeat pair
	var timer <-chan time.Time
	for {
		select {
		case ev, ok := <-raw:
			if !ok {
				if pending != nil {
					send(false)
				}
				return
			}
			switch e := ev.(type) {
			case xproto.KeyPressEvent:
				if !ours(e.Detail) {
					continue
				}
				if pending != nil && pending.Detail == e.Detail && pending.Time == e.Time {
					pending, timer = nil, nil // auto-repeat: the key never went up
					continue
				}
				if pending != nil {
					send(false)
					pending, timer, down = nil, nil, false
				}
				if !down {
					down = true
					send(true)
				}
			case xproto.KeyReleaseEvent:
				if !ours(e.Detail) || !down {
					continue
				}
				if g.detectable {
					down = false
					send(false)
					continue
				}
				pending, timer = &e, time.After(repeatWait)
			}
		case <-timer:
			pending, timer, down = nil, nil, false
			send(false)
		}
	}
}

// detectableAutoRepeat asks XKB to send auto-repeat as presses alone (XkbPerClientFlags
// DetectableAutoRepeat), so a release is known to be real the moment it arrives. xgb has no XKB
// binding; the two requests are written by hand from the XKB protocol specification.
func detectableAutoRepeat(c *xgb.Conn) bool {
	ext, err := xproto.QueryExtension(c, uint16(len("XKEYBOARD")), "XKEYBOARD").Reply()
	if err != nil || !ext.Present {
		return false
	}
	op := ext.MajorOpcode
	// XkbUseExtension (minor 0): wantedMajor 1, wantedMinor 0.
	use := make([]byte, 8)
	use[0], use[1] = op, 0
	xgb.Put16(use[2:], 2)
	xgb.Put16(use[4:], 1)
	xgb.Put16(use[6:], 0)
	ck := c.NewCookie(true, true)
	c.NewRequest(use, ck)
	r, err := ck.Reply()
	if err != nil || len(r) < 2 || r[1] == 0 {
		return false
	}
	// XkbPerClientFlags (minor 21): deviceSpec UseCoreKbd, change and value DetectableAutoRepeat (bit 0).
	pcf := make([]byte, 28)
	pcf[0], pcf[1] = op, 21
	xgb.Put16(pcf[2:], 7)
	xgb.Put16(pcf[4:], 0x0100)
	xgb.Put32(pcf[8:], 1)
	xgb.Put32(pcf[12:], 1)
	ck = c.NewCookie(true, true)
	c.NewRequest(pcf, ck)
	r, err = ck.Reply()
	if err != nil || len(r) < 16 {
		return false
	}
	supported, value := xgb.Get32(r[8:]), xgb.Get32(r[12:])
	return supported&1 != 0 && value&1 != 0
}
