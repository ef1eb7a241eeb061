// Package x11 is dictation's X11 side, in pure Go over the X protocol (github.com/jezek/xgb): a global
// shortcut grabbed on the root window (Grab), and synthetic typing into the focused window through the
// XTEST extension (Keyboard).
//
// Characters the keyboard map lacks (é ñ ¿ « » on a US layout) are typed by mapping a keycode that has no
// symbols to the character's keysym for a moment, the way xdotool does; the map is restored shortly after
// typing, once clients have had time to read it (an X client looks a key's symbol up when it handles the
// event, so restoring at once could turn an é into nothing).
//
// It imports nothing of Verbatim: app/dictate's Shortcut and Sink are adapted in app/cli.
package x11

import (
	"fmt"
	"log/slog"
	"os"

	"github.com/jezek/xgb"
	"github.com/jezek/xgb/xproto"
)

// RouteLogs sends xgb's own log lines to log at debug level: xgb prints "Trying connection without
// authority info..." on stderr for every connection on a machine without ~/.Xauthority. xgb has one logger
// for the whole process, so a program calls this once, before connecting.
func RouteLogs(log *slog.Logger) {
	xgb.Logger = slog.NewLogLogger(log.Handler(), slog.LevelDebug)
}

// Modifier masks of the core protocol.
const (
	maskShift   = xproto.ModMaskShift
	maskLock    = xproto.ModMaskLock
	maskControl = xproto.ModMaskControl
)

// Keysyms used by name.
const (
	ksNoSymbol   = 0
	ksReturn     = 0xff0d
	ksTab        = 0xff09
	ksBackSpace  = 0xff08
	ksShiftL     = 0xffe1
	ksShiftR     = 0xffe2
	ksAltL       = 0xffe9
	ksAltR       = 0xffea
	ksMetaL      = 0xffe7
	ksSuperL     = 0xffeb
	ksSuperR     = 0xffec
	ksNumLock    = 0xff7f
	ksScrollLock = 0xff14
)

// dial connects to display ("" = $DISPLAY).
func dial(display string) (*xgb.Conn, error) {
	if display == "" {
		display = os.Getenv("DISPLAY")
	}
	if display == "" {
		return nil, fmt.Errorf("x11: no display: DISPLAY is not set (dictation needs an X11 session)")
	}
	c, err := xgb.NewConnDisplay(display)
	if err != nil {
		return nil, fmt.Errorf("x11: connect to %s: %w", display, err)
	}
	return c, nil
}

// keymap is a snapshot of the core keyboard map and the modifier map.
type keymap struct {
	min, max xproto.Keycode
	per      int             // keysyms per keycode
	syms     []xproto.Keysym // (max-min+1)*per
	mods     [8][]xproto.Keycode
}

func loadKeymap(c *xgb.Conn) (*keymap, error) {
	setup := xproto.Setup(c)
	km := &keymap{min: setup.MinKeycode, max: setup.MaxKeycode}
	r, err := xproto.GetKeyboardMapping(c, km.min, byte(int(km.max)-int(km.min)+1)).Reply()
	if err != nil {
		return nil, fmt.Errorf("x11: keyboard mapping: %w", err)
	}
	km.per, km.syms = int(r.KeysymsPerKeycode), r.Keysyms
	m, err := xproto.GetModifierMapping(c).Reply()
	if err != nil {
		return nil, fmt.Errorf("x11: modifier mapping: %w", err)
	}
	n := int(m.KeycodesPerModifier)
	for i := range 8 {
		for _, kc := range m.Keycodes[i*n : (i+1)*n] {
			if kc != 0 {
				km.mods[i] = append(km.mods[i], kc)
			}
		}
	}
	return km, nil
}

// sym is the keysym at level of keycode kc.
func (km *keymap) sym(kc xproto.Keycode, level int) xproto.Keysym {
	if kc < km.min || kc > km.max || level >= km.per {
		return ksNoSymbol
	}
	return km.syms[int(kc-km.min)*km.per+level]
}

// empty reports whether kc has no symbol at all: a spare keycode.
func (km *keymap) empty(kc xproto.Keycode) bool {
	for l := range km.per {
		if km.sym(kc, l) != ksNoSymbol {
			return false
		}
	}
	return true
}

// find returns a keycode typing ks at level 0 (plain) or 1 (with Shift).
func (km *keymap) find(ks xproto.Keysym) (kc xproto.Keycode, shift, ok bool) {
	for level := range min(2, km.per) {
		for k := int(km.min); k <= int(km.max); k++ {
			if km.sym(xproto.Keycode(k), level) == ks {
				return xproto.Keycode(k), level == 1, true
			}
		}
	}
	return 0, false, false
}

// modMask is the modifier bit (1<<index) whose keys include one of syms; def when none does.
func (km *keymap) modMask(def uint16, syms ...xproto.Keysym) uint16 {
	for i, kcs := range km.mods {
		for _, kc := range kcs {
			for l := range km.per {
				for _, s := range syms {
					if km.sym(kc, l) == s {
						return 1 << i
					}
				}
			}
		}
	}
	return def
}
