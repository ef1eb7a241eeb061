package wayland

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"sync"
	"time"
	"unicode/utf8"

	"github.com/godbus/dbus/v5"

	"github.com/verbatim-app/verbatim/app/dictate"
)

// ShortcutID is the id Verbatim binds its one shortcut under.
const ShortcutID = "dictate"

// triggerKeys are the key names dictation's settings accept (ui/x11's ParseShortcut) as the XKB keysym
// names the shortcuts specification uses.
var triggerKeys = map[string]string{
	"space": "space", "return": "Return", "enter": "Return", "tab": "Tab", "escape": "Escape", "esc": "Escape",
	"backspace": "BackSpace", "insert": "Insert", "delete": "Delete", "home": "Home", "end": "End",
	"pageup": "Page_Up", "pagedown": "Page_Down", "pause": "Pause", "scrolllock": "Scroll_Lock",
	"print": "Print", "menu": "Menu", "left": "Left", "up": "Up", "right": "Right", "down": "Down",
}

// Trigger turns a shortcut as the settings write it ("ctrl+alt+space") into the portal's
// preferred_trigger, in the freedesktop shortcuts specification's syntax: modifiers CTRL, ALT, SHIFT,
// LOGO and an XKB key name, joined by '+' ("CTRL+ALT+space").
func Trigger(s string) (string, error) {
	parts := strings.Split(strings.ToLower(strings.TrimSpace(s)), "+")
	if len(parts) == 0 || parts[0] == "" {
		return "", errors.New("wayland: empty shortcut")
	}
	out := make([]string, 0, len(parts))
	for i, p := range parts {
		p = strings.TrimSpace(p)
		if i < len(parts)-1 {
			switch p {
			case "ctrl", "control":
				out = append(out, "CTRL")
			case "alt":
				out = append(out, "ALT")
			case "shift":
				out = append(out, "SHIFT")
			case "super", "win", "meta":
				out = append(out, "LOGO")
			default:
				return "", fmt.Errorf("wayland: shortcut %q: %q is not a modifier (ctrl, alt, shift, super)", s, p)
			}
			continue
		}
		if k, ok := triggerKeys[p]; ok {
			out = append(out, k)
		} else if n, err := strconv.Atoi(strings.TrimPrefix(p, "f")); err == nil && p[0] == 'f' && n >= 1 && n <= 24 {
			out = append(out, "F"+strconv.Itoa(n))
		} else if r, size := utf8.DecodeRuneInString(p); size == len(p) && (r >= 'a' && r <= 'z' || r >= '0' && r <= '9') {
			out = append(out, p)
		} else {
			return "", fmt.Errorf("wayland: shortcut %q: unknown key %q", s, p)
		}
	}
	return strings.Join(out, "+"), nil
}

// Shortcut is a global shortcut bound through the portal's GlobalShortcuts: Activated and Deactivated
// become presses and releases (app/dictate's Shortcut).
type Shortcut struct {
	p       *Portal
	session dbus.ObjectPath
	trigger string // what the portal says triggers it (trigger_description), for the settings

	events chan dictate.KeyEvent
	unsub  func()
	once   sync.Once
	mu     sync.Mutex
	closed bool
	down   bool
}

// BindShortcut creates a GlobalShortcuts session and binds one shortcut with trigger (Trigger's syntax)
// as its preferred trigger (GlobalShortcuts.xml: CreateSession, then BindShortcuts(o session,
// a(sa{sv}) shortcuts, s parent_window, a{sv} options)). The portal may show a dialog; the user may
// choose another trigger. ErrDenied when the user refuses or binds nothing.
func BindShortcut(ctx context.Context, p *Portal, trigger, description string) (*Shortcut, error) {
	session, err := p.createSession(ctx, ifaceShortcuts)
	if err != nil {
		return nil, err
	}
	s := &Shortcut{p: p, session: session, events: make(chan dictate.KeyEvent, 16)}
	match := []dbus.MatchOption{dbus.WithMatchInterface(ifaceShortcuts), dbus.WithMatchObjectPath(objectPath)}
	closedMatch := []dbus.MatchOption{dbus.WithMatchInterface(ifaceSession), dbus.WithMatchMember("Closed"), dbus.WithMatchObjectPath(session)}
	if err := p.conn.AddMatchSignalContext(ctx, match...); err != nil {
		p.closeSession(session)
		return nil, fmt.Errorf("wayland: subscribe to the shortcut's signals: %w", err)
	}
	_ = p.conn.AddMatchSignalContext(ctx, closedMatch...)
	s.unsub = p.subscribe(s.signal)
	type shortcut struct {
		ID   string
		Opts map[string]dbus.Variant
	}
	res, err := p.request(ctx, ifaceShortcuts+".BindShortcuts", session, []shortcut{{ShortcutID, map[string]dbus.Variant{
		"description":       dbus.MakeVariant(description),
		"preferred_trigger": dbus.MakeVariant(trigger),
	}}}, "", map[string]dbus.Variant{})
	if err != nil {
		s.Close()
		return nil, err
	}
	var bound []shortcut
	if v, ok := res["shortcuts"]; ok {
		if err := v.Store(&bound); err != nil {
			s.Close()
			return nil, fmt.Errorf("wayland: BindShortcuts: shortcuts in the response: %w", err)
		}
	}
	found := false
	for _, b := range bound {
		if b.ID == ShortcutID {
			found = true
			if d, ok := b.Opts["trigger_description"].Value().(string); ok {
				s.trigger = d
			}
		}
	}
	if !found {
		s.Close()
		return nil, fmt.Errorf("wayland: BindShortcuts: %w: the shortcut %s was not bound", ErrDenied, trigger)
	}
	return s, nil
}

// Trigger is how the portal says the shortcut is triggered ("" when it did not say).
func (s *Shortcut) Trigger() string { return s.trigger }

// Events delivers the presses and releases; it closes with Close or when the portal closes the session.
func (s *Shortcut) Events() <-chan dictate.KeyEvent { return s.events }

// signal turns the session's Activated/Deactivated into key events. A second Activated without a
// Deactivated (a compositor's key repeat) is dropped, as ui/x11 drops auto-repeat.
func (s *Shortcut) signal(sig *dbus.Signal) {
	if sig.Name == ifaceSession+".Closed" && sig.Path == s.session {
		s.end()
		return
	}
	var down bool
	switch sig.Name {
	case ifaceShortcuts + ".Activated":
		down = true
	case ifaceShortcuts + ".Deactivated":
	default:
		return
	}
	if len(sig.Body) < 2 {
		return
	}
	session, _ := sig.Body[0].(dbus.ObjectPath)
	id, _ := sig.Body[1].(string)
	if session != s.session || id != ShortcutID {
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed || s.down == down {
		return
	}
	s.down = down
	select {
	case s.events <- dictate.KeyEvent{Down: down, At: time.Now()}:
	default:
		s.p.log.Warn("wayland: shortcut event dropped: nobody reads")
	}
}

// end closes the events once.
func (s *Shortcut) end() {
	s.mu.Lock()
	defer s.mu.Unlock()
	if !s.closed {
		s.closed = true
		close(s.events)
	}
}

// Close closes the portal session, which unbinds the shortcut, and ends Events.
func (s *Shortcut) Close() error {
	var err error
	s.once.Do(func() {
		s.unsub()
		err = s.p.closeSession(s.session)
		s.end()
	})
	return err
}

// OpenDictation binds trigger as dictation's shortcut on p and opens the keyboard it types through (paste:
// through the clipboard); on failure nothing of it stays open. Closing them is the caller's, p last.
func OpenDictation(ctx context.Context, p *Portal, trigger string, paste bool) (*Shortcut, *Keyboard, error) {
	sc, err := BindShortcut(ctx, p, trigger, "Dictate: hold to speak, release to type")
	if err != nil {
		return nil, nil, err
	}
	kb, err := OpenKeyboard(ctx, p, paste)
	if err != nil {
		sc.Close()
		return nil, nil, err
	}
	return sc, kb, nil
}
