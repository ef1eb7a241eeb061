package x11

import (
	"context"
	"fmt"
	"log/slog"
	"sync"
	"time"

	"github.com/jezek/xgb"
	"github.com/jezek/xgb/xproto"
	"github.com/jezek/xgb/xtest"
)

// RestoreAfter is how long a keycode borrowed for a character stays mapped after typing: clients look the
// symbol up when they handle the key event, which may be a little after the server sent it.
const RestoreAfter = time.Second

// Keyboard types text through XTEST as if it were typed on the keyboard.
type Keyboard struct {
	c    *xgb.Conn
	root xproto.Window
	log  *slog.Logger

	mu       sync.Mutex
	borrowed map[xproto.Keycode]xproto.Keysym // spare keycodes mapped by us, not yet restored
	restore  *time.Timer
	closed   bool
}

// OpenKeyboard connects to display ("" = $DISPLAY) and checks that it has XTEST.
func OpenKeyboard(display string, log *slog.Logger) (*Keyboard, error) {
	if log == nil {
		log = slog.Default()
	}
	c, err := dial(display)
	if err != nil {
		return nil, err
	}
	if err := xtest.Init(c); err != nil {
		c.Close()
		return nil, fmt.Errorf("x11: the display has no XTEST extension, needed to type: %w", err)
	}
	// Drain the event queue: nothing is selected, but errors of unchecked requests land there.
	go func() {
		for {
			ev, err := c.WaitForEvent()
			if ev == nil && err == nil {
				return
			}
			if err != nil {
				log.Debug("x11 keyboard: error event", "err", err)
			}
		}
	}()
	return &Keyboard{c: c, root: xproto.Setup(c).DefaultScreen(c).Root, log: log, borrowed: map[xproto.Keycode]xproto.Keysym{}}, nil
}

// Focused is the window that has the keyboard focus now (0 when none, or when focus follows the pointer).
func (k *Keyboard) Focused(ctx context.Context) (uint32, error) {
	r, err := xproto.GetInputFocus(k.c).Reply()
	if err != nil {
		return 0, fmt.Errorf("x11: input focus: %w", err)
	}
	if r.Focus == xproto.InputFocusNone || r.Focus == xproto.InputFocusPointerRoot {
		return 0, nil
	}
	return uint32(r.Focus), nil
}

// key is one keystroke: a keycode, with Shift or not.
type key struct {
	kc    xproto.Keycode
	shift bool
}

// Type types text into window (0 = whichever window has focus), giving it the focus back first if it
// lost it, and returns once the X server has processed every key event. Modifiers still held (the
// shortcut's Ctrl and Alt) are released first, or the text would arrive as Ctrl+Alt+letters.
func (k *Keyboard) Type(ctx context.Context, window uint32, text string) error {
	k.mu.Lock()
	defer k.mu.Unlock()
	if k.closed {
		return fmt.Errorf("x11: keyboard closed")
	}
	if k.restore != nil {
		k.restore.Stop()
	}
	km, err := loadKeymap(k.c)
	if err != nil {
		return err
	}
	keys, err := k.plan(km, text)
	if err != nil {
		return err
	}
	shiftKC, _, haveShift := km.find(ksShiftL)
	err = k.deliver(km, window, "type", func() {
		for i, ky := range keys {
			if i%64 == 0 && ctx.Err() != nil {
				break
			}
			if ky.shift && haveShift {
				k.fake(xproto.KeyPress, shiftKC)
			}
			k.fake(xproto.KeyPress, ky.kc)
			k.fake(xproto.KeyRelease, ky.kc)
			if ky.shift && haveShift {
				k.fake(xproto.KeyRelease, shiftKC)
			}
		}
	})
	if err != nil {
		return err
	}
	if len(k.borrowed) > 0 {
		k.restore = time.AfterFunc(RestoreAfter, k.restoreMap)
	}
	return ctx.Err()
}

// deliver sends the key events keys makes to window (0 = the focused one) the way a person's typing
// arrives: the window focused again if it lost the focus, the modifiers still held (the shortcut's Ctrl
// and Alt) released, Caps Lock off for the keys and on again after (on, it would turn plain keys into
// capitals, shifted ones back into small letters and é into É; xdotool's --clearmodifiers does the same),
// and a round trip at the end, so every key has reached the server when it returns.
func (k *Keyboard) deliver(km *keymap, window uint32, what string, keys func()) error {
	if window != 0 {
		if r, err := xproto.GetInputFocus(k.c).Reply(); err == nil && uint32(r.Focus) != window {
			xproto.SetInputFocus(k.c, xproto.InputFocusParent, xproto.Window(window), xproto.TimeCurrentTime)
		}
	}
	if err := k.releaseModifiers(km); err != nil {
		return err
	}
	capsKC, capsOn, err := k.capsLock(km)
	if err != nil {
		return err
	}
	if capsOn {
		k.tap(capsKC)
	}
	keys()
	if capsOn {
		k.tap(capsKC) // on again, as the person left it
	}
	if _, err := xproto.GetInputFocus(k.c).Reply(); err != nil {
		return fmt.Errorf("x11: %s: %w", what, err)
	}
	return nil
}

func (k *Keyboard) fake(typ byte, kc xproto.Keycode) {
	xtest.FakeInput(k.c, typ, byte(kc), 0, k.root, 0, 0, 0)
}

// tap presses and releases kc.
func (k *Keyboard) tap(kc xproto.Keycode) {
	k.fake(xproto.KeyPress, kc)
	k.fake(xproto.KeyRelease, kc)
}

// capsLock reports whether the Lock modifier is on now, and the key that switches it (the first key of
// the Lock modifier, normally Caps Lock). With no such key it reports off: there is nothing to switch.
func (k *Keyboard) capsLock(km *keymap) (xproto.Keycode, bool, error) {
	r, err := xproto.QueryPointer(k.c, k.root).Reply()
	if err != nil {
		return 0, false, fmt.Errorf("x11: modifier state: %w", err)
	}
	if r.Mask&maskLock == 0 || len(km.mods[1]) == 0 {
		return 0, false, nil
	}
	return km.mods[1][0], true, nil
}

// plan turns text into keystrokes, borrowing spare keycodes for characters the map lacks.
func (k *Keyboard) plan(km *keymap, text string) ([]key, error) {
	var keys []key
	for _, r := range text {
		ks := xproto.Keysym(RuneKeysym(r))
		if ks == ksNoSymbol {
			continue // a control character: nothing to type
		}
		if kc, shift, ok := km.find(ks); ok {
			keys = append(keys, key{kc, shift})
			continue
		}
		kc, err := k.borrow(km, ks)
		if err != nil {
			return nil, err
		}
		keys = append(keys, key{kc: kc})
	}
	return keys, nil
}

// borrow maps a spare keycode (one with no symbols, or one borrowed earlier) to ks on every level.
func (k *Keyboard) borrow(km *keymap, ks xproto.Keysym) (xproto.Keycode, error) {
	var spare xproto.Keycode
	// Prefer a keycode not borrowed yet: reusing one for a new symbol before clients read the old
	// mapping would change a character already sent.
	for kc := km.max; kc >= km.min && kc > 8; kc-- {
		if _, ours := k.borrowed[kc]; !ours && km.empty(kc) {
			spare = kc
			break
		}
	}
	if spare == 0 {
		return 0, fmt.Errorf("x11: no spare keycode to type %U", rune(ks&0xffffff))
	}
	syms := make([]xproto.Keysym, km.per)
	for i := range syms {
		syms[i] = ks
	}
	if err := xproto.ChangeKeyboardMappingChecked(k.c, 1, spare, byte(km.per), syms).Check(); err != nil {
		return 0, fmt.Errorf("x11: map a key to %U: %w", rune(ks&0xffffff), err)
	}
	k.borrowed[spare] = ks
	copy(km.syms[int(spare-km.min)*km.per:], syms) // later characters of this text find it
	return spare, nil
}

// restoreMap gives the borrowed keycodes back their empty mapping.
func (k *Keyboard) restoreMap() {
	k.mu.Lock()
	defer k.mu.Unlock()
	if !k.closed {
		k.restoreLocked()
	}
}

func (k *Keyboard) restoreLocked() {
	if len(k.borrowed) == 0 {
		return
	}
	km, err := loadKeymap(k.c)
	if err != nil {
		k.log.Warn("x11: restore keyboard map", "err", err)
		return
	}
	empty := make([]xproto.Keysym, km.per)
	for kc, ks := range k.borrowed {
		// Only if it still holds our symbol: someone else may have remapped it since.
		if km.sym(kc, 0) == ks {
			if err := xproto.ChangeKeyboardMappingChecked(k.c, 1, kc, byte(km.per), empty).Check(); err != nil {
				k.log.Warn("x11: restore keyboard map", "keycode", kc, "err", err)
			}
		}
		delete(k.borrowed, kc)
	}
}

// releaseModifiers releases every modifier key that is down.
func (k *Keyboard) releaseModifiers(km *keymap) error {
	r, err := xproto.QueryKeymap(k.c).Reply()
	if err != nil {
		return fmt.Errorf("x11: query keymap: %w", err)
	}
	for i, kcs := range km.mods {
		if i == 1 { // Lock: Caps Lock's state is a toggle, not a key held down
			continue
		}
		for _, kc := range kcs {
			if r.Keys[kc/8]&(1<<(kc%8)) != 0 {
				k.fake(xproto.KeyRelease, kc)
			}
		}
	}
	return nil
}

// Close restores the keyboard map and disconnects.
func (k *Keyboard) Close() error {
	k.mu.Lock()
	defer k.mu.Unlock()
	if k.closed {
		return nil
	}
	k.closed = true
	if k.restore != nil {
		k.restore.Stop()
	}
	k.restoreLocked()
	k.c.Close()
	return nil
}

// RuneKeysym is the X keysym that types r: Latin-1 characters are their own keysym, newline and tab the
// Return and Tab keys, any other character its Unicode keysym (0x01000000 + code point); 0 for control
// characters, which type nothing.
func RuneKeysym(r rune) uint32 {
	switch {
	case r == '\n':
		return ksReturn
	case r == '\t':
		return ksTab
	case r < 0x20 || r == 0x7f || (r >= 0x80 && r < 0xa0):
		return ksNoSymbol
	case r < 0x100:
		return uint32(r)
	case r > 0x10ffff:
		return ksNoSymbol
	}
	return 0x01000000 | uint32(r)
}
