package wayland

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"sync"
	"time"

	"github.com/godbus/dbus/v5"
)

// Device types of RemoteDesktop.SelectDevices' types bitmask (RemoteDesktop.xml, AvailableDeviceTypes).
const deviceKeyboard = 1

// Keysyms used by name (X11 keysymdef.h, which the portal's NotifyKeyboardKeysym takes).
const (
	ksReturn   = 0xff0d
	ksTab      = 0xff09
	ksControlL = 0xffe3
	ksV        = 0x0076
)

// ErrNoClipboard is "paste instead of typing" on a portal whose RemoteDesktop session has no clipboard.
var ErrNoClipboard = errors.New("this Wayland desktop's portal offers no clipboard to a remote desktop session (org.freedesktop.portal.Clipboard); turn off \"paste instead of typing\" to type the text")

// Keysym is the X keysym that types r: Latin-1 characters are their own keysyms (0x20–0x7e, 0xa0–0xff),
// every other character is 0x01000000 + its code point (keysymdef.h's Unicode rule); a newline is
// Return and a tab is Tab. ok is false for other control characters.
func Keysym(r rune) (ks uint32, ok bool) {
	switch {
	case r == '\n':
		return ksReturn, true
	case r == '\t':
		return ksTab, true
	case r >= 0x20 && r <= 0x7e, r >= 0xa0 && r <= 0xff:
		return uint32(r), true
	case r < 0x20, r >= 0x7f && r < 0xa0, r > 0x10ffff:
		return 0, false
	}
	return 0x01000000 + uint32(r), true
}

// Keyboard types through a RemoteDesktop session with keyboard access (app/dictate's Sink): each
// character is NotifyKeyboardKeysym pressed then released, and the compositor finds a key for it.
type Keyboard struct {
	p       *Portal
	session dbus.ObjectPath
	paste   bool

	mu    sync.Mutex
	clip  string // the text this session serves on the clipboard
	unsub func()
	once  sync.Once
}

// OpenKeyboard starts a RemoteDesktop session with keyboard access (CreateSession, SelectDevices with
// types=1, Start: RemoteDesktop.xml); the portal may ask the user. With paste, it also asks for the
// clipboard (Clipboard.RequestClipboard, before Start) and fails with ErrNoClipboard when the portal has
// none or Start's clipboard_enabled is false.
func OpenKeyboard(ctx context.Context, p *Portal, paste bool) (*Keyboard, error) {
	if paste {
		if _, err := p.version(ctx, ifaceClipboard); err != nil {
			return nil, fmt.Errorf("wayland: %w (%v)", ErrNoClipboard, err)
		}
	}
	session, err := p.createSession(ctx, ifaceRemote)
	if err != nil {
		return nil, err
	}
	k := &Keyboard{p: p, session: session, paste: paste, unsub: func() {}}
	fail := func(err error) (*Keyboard, error) {
		k.Close()
		return nil, err
	}
	if _, err := p.request(ctx, ifaceRemote+".SelectDevices", session, map[string]dbus.Variant{"types": dbus.MakeVariant(uint32(deviceKeyboard))}); err != nil {
		return fail(err)
	}
	if paste {
		if err := p.obj.CallWithContext(ctx, ifaceClipboard+".RequestClipboard", 0, session, map[string]dbus.Variant{}).Err; err != nil {
			return fail(fmt.Errorf("wayland: %w (RequestClipboard: %v)", ErrNoClipboard, err))
		}
		match := []dbus.MatchOption{dbus.WithMatchInterface(ifaceClipboard), dbus.WithMatchMember("SelectionTransfer"), dbus.WithMatchObjectPath(objectPath)}
		if err := p.conn.AddMatchSignalContext(ctx, match...); err != nil {
			return fail(fmt.Errorf("wayland: subscribe to clipboard transfers: %w", err))
		}
		k.unsub = p.subscribe(k.transfer)
	}
	res, err := p.request(ctx, ifaceRemote+".Start", session, "", map[string]dbus.Variant{})
	if err != nil {
		return fail(err)
	}
	if d, _ := res["devices"].Value().(uint32); d&deviceKeyboard == 0 {
		return fail(fmt.Errorf("wayland: RemoteDesktop.Start: %w: no keyboard access was granted (devices %d)", ErrDenied, d))
	}
	if paste {
		if on, _ := res["clipboard_enabled"].Value().(bool); !on {
			return fail(fmt.Errorf("wayland: %w (clipboard_enabled is false)", ErrNoClipboard))
		}
	}
	return k, nil
}

// Focused returns 0: on Wayland no client can see which window has focus; the compositor sends the
// typed keys to the one that has it.
func (k *Keyboard) Focused(context.Context) (uint32, error) { return 0, nil }

// Type types text into the focused window (window is ignored: see Focused), or pastes it when the
// keyboard was opened for pasting.
func (k *Keyboard) Type(ctx context.Context, _ uint32, text string) error {
	if k.paste {
		return k.pasteText(ctx, text)
	}
	for _, r := range text {
		ks, ok := Keysym(r)
		if !ok {
			k.p.log.Debug("wayland: control character not typed", "rune", fmt.Sprintf("%U", r))
			continue
		}
		if err := k.tap(ctx, ks); err != nil {
			return err
		}
	}
	return nil
}

// key sends one keysym press (true) or release (false).
func (k *Keyboard) key(ctx context.Context, ks uint32, down bool) error {
	var state uint32
	if down {
		state = 1
	}
	// NotifyKeyboardKeysym(o session_handle, a{sv} options, i keysym, u state).
	if err := k.p.obj.CallWithContext(ctx, ifaceRemote+".NotifyKeyboardKeysym", 0, k.session, map[string]dbus.Variant{}, int32(ks), state).Err; err != nil {
		return fmt.Errorf("wayland: type keysym %#x: %w", ks, err)
	}
	return nil
}

func (k *Keyboard) tap(ctx context.Context, ks uint32) error {
	if err := k.key(ctx, ks, true); err != nil {
		return err
	}
	return k.key(ctx, ks, false)
}

// clipTypes are the formats the session offers its text in.
var clipTypes = []string{"text/plain;charset=utf-8", "text/plain", "UTF8_STRING", "TEXT", "STRING"}

// pasteText puts text on the clipboard (SetSelection; the portal asks for it with SelectionTransfer),
// sends Ctrl+V and then offers the previous clipboard text again. Terminals that paste with
// Ctrl+Shift+V get Ctrl+V: on Wayland the focused window's kind cannot be known.
func (k *Keyboard) pasteText(ctx context.Context, text string) error {
	prev, hadPrev := k.read(ctx)
	if err := k.offer(ctx, text); err != nil {
		return err
	}
	if err := k.key(ctx, ksControlL, true); err != nil {
		return err
	}
	err := k.tap(ctx, ksV)
	if e := k.key(ctx, ksControlL, false); err == nil {
		err = e
	}
	if err != nil || !hadPrev {
		return err
	}
	// The pasting application asks for the text after the key; give it that moment before the old
	// text comes back.
	time.AfterFunc(500*time.Millisecond, func() {
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
		defer cancel()
		if err := k.offer(ctx, prev); err != nil {
			k.p.log.Warn("wayland: restore the clipboard", "err", err)
		}
	})
	return nil
}

// offer makes the session the clipboard's owner with text.
func (k *Keyboard) offer(ctx context.Context, text string) error {
	k.mu.Lock()
	k.clip = text
	k.mu.Unlock()
	err := k.p.obj.CallWithContext(ctx, ifaceClipboard+".SetSelection", 0, k.session,
		map[string]dbus.Variant{"mime_types": dbus.MakeVariant(clipTypes)}).Err
	if err != nil {
		return fmt.Errorf("wayland: set the clipboard: %w", err)
	}
	return nil
}

// read returns the clipboard's text now (SelectionRead), false when it has none.
func (k *Keyboard) read(ctx context.Context) (string, bool) {
	var fd dbus.UnixFD
	if err := k.p.obj.CallWithContext(ctx, ifaceClipboard+".SelectionRead", 0, k.session, clipTypes[0]).Store(&fd); err != nil {
		k.p.log.Debug("wayland: read the clipboard", "err", err)
		return "", false
	}
	f := os.NewFile(uintptr(fd), "clipboard")
	defer f.Close()
	_ = f.SetReadDeadline(time.Now().Add(time.Second))
	b, err := io.ReadAll(io.LimitReader(f, 16<<20))
	if err != nil {
		k.p.log.Debug("wayland: read the clipboard", "err", err)
		return "", false
	}
	return string(b), true
}

// transfer serves a SelectionTransfer: write the session's text into the fd SelectionWrite gives, then
// SelectionWriteDone.
func (k *Keyboard) transfer(sig *dbus.Signal) {
	if sig.Name != ifaceClipboard+".SelectionTransfer" || len(sig.Body) < 3 {
		return
	}
	session, _ := sig.Body[0].(dbus.ObjectPath)
	serial, _ := sig.Body[2].(uint32)
	if session != k.session {
		return
	}
	k.mu.Lock()
	text := k.clip
	k.mu.Unlock()
	// The signal router must not wait on the bus for the reply: serve from a goroutine.
	go func() {
		ok := true
		var fd dbus.UnixFD
		if err := k.p.obj.Call(ifaceClipboard+".SelectionWrite", 0, k.session, serial).Store(&fd); err != nil {
			k.p.log.Warn("wayland: clipboard transfer", "err", err)
			ok = false
		} else {
			f := os.NewFile(uintptr(fd), "clipboard")
			if _, err := io.WriteString(f, text); err != nil {
				k.p.log.Warn("wayland: clipboard transfer", "err", err)
				ok = false
			}
			f.Close()
		}
		k.p.obj.Call(ifaceClipboard+".SelectionWriteDone", 0, k.session, serial, ok)
	}()
}

// Close ends the RemoteDesktop session.
func (k *Keyboard) Close() error {
	var err error
	k.once.Do(func() {
		k.unsub()
		err = k.p.closeSession(k.session)
	})
	return err
}
