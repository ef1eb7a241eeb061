// Package portaltest is a fake xdg desktop portal for tests: a private dbus-daemon (Bus) and an
// org.freedesktop.portal.Desktop on it (New) with GlobalShortcuts, RemoteDesktop and, when asked,
// Clipboard, which records the calls and answers through Request::Response as the real portal does
// (flatpak/xdg-desktop-portal, data/org.freedesktop.portal.*.xml).
package portaltest

import (
	"bufio"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/godbus/dbus/v5"

	"github.com/verbatim-app/verbatim/tools/testenv"
)

const (
	busName        = "org.freedesktop.portal.Desktop"
	objectPath     = dbus.ObjectPath("/org/freedesktop/portal/desktop")
	ifaceShortcuts = "org.freedesktop.portal.GlobalShortcuts"
	ifaceRemote    = "org.freedesktop.portal.RemoteDesktop"
	ifaceClipboard = "org.freedesktop.portal.Clipboard"
	ifaceRequest   = "org.freedesktop.portal.Request"
	ifaceSession   = "org.freedesktop.portal.Session"

	// Shortcuts and Remote name the interfaces whose sessions Session looks up.
	Shortcuts = ifaceShortcuts
	Remote    = ifaceRemote
)

// Bus starts a private dbus-daemon in a temporary folder and returns its address; it is stopped
// when the test ends.
func Bus(t testing.TB) string {
	t.Helper()
	testenv.NeedTools(t, "dbus-daemon")
	// Not t.TempDir: a subtest's name may put ',' or '=' in the path, which a D-Bus address cannot hold.
	dir, err := os.MkdirTemp("", "verbatim-dbus")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(dir) })
	cmd := exec.Command("dbus-daemon", "--session", "--nofork", "--print-address", "--address=unix:path="+filepath.Join(dir, "bus"))
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	var stderr strings.Builder // "Failed to set fd limit" as non-root: only shown when it fails
	cmd.Stderr = &stderr
	if err := cmd.Start(); err != nil {
		t.Fatalf("start dbus-daemon: %v", err)
	}
	t.Cleanup(func() {
		cmd.Process.Kill()
		cmd.Wait()
	})
	line, err := bufio.NewReader(out).ReadString('\n')
	if err != nil {
		cmd.Process.Kill()
		cmd.Wait()
		t.Fatalf("dbus-daemon printed no address: %v\n%s", err, stderr.String())
	}
	return strings.TrimSpace(line)
}

// Portal is org.freedesktop.portal.Desktop on a private bus: GlobalShortcuts, RemoteDesktop and
// (with clipboard) Clipboard, recording the calls and answering through Request::Response.
type Portal struct {
	t    testing.TB
	conn *dbus.Conn

	Deny      uint32 // Response code of BindShortcuts and RemoteDesktop.Start (0 = allow)
	Version   uint32 // GlobalShortcuts' version property
	NoRemote  bool   // no RemoteDesktop interface
	Clipboard bool   // Clipboard interface present and enabled by Start
	PrevClip  string // what SelectionRead returns

	mu       sync.Mutex
	triggers []string // preferred_trigger of each bound shortcut
	sessions map[dbus.ObjectPath]string
	made     []dbus.ObjectPath // sessions in the order they were made
	closed   map[dbus.ObjectPath]bool
	keys     []Key
	devices  uint32 // types asked for in SelectDevices
	pasted   []string
	changed  chan struct{}
}

// Key is one NotifyKeyboardKeysym call: the keysym and 1 (pressed) or 0 (released).
type Key struct {
	Keysym int32
	State  uint32
}

func New(t testing.TB, address string, configure func(*Portal)) *Portal {
	t.Helper()
	conn, err := dbus.Connect(address)
	if err != nil {
		t.Fatalf("fake portal: connect: %v", err)
	}
	t.Cleanup(func() { conn.Close() })
	f := &Portal{t: t, conn: conn, Version: 1, sessions: map[dbus.ObjectPath]string{},
		closed: map[dbus.ObjectPath]bool{}, changed: make(chan struct{}, 1)}
	if configure != nil {
		configure(f)
	}
	must := func(err error) {
		if err != nil {
			t.Fatalf("fake portal: %v", err)
		}
	}
	must(conn.Export(&fakeShortcuts{f}, objectPath, ifaceShortcuts))
	if !f.NoRemote {
		must(conn.Export(&fakeRemote{f}, objectPath, ifaceRemote))
	}
	if f.Clipboard {
		must(conn.Export(&fakeClipboard{f: f}, objectPath, ifaceClipboard))
	}
	must(conn.Export(&fakeProps{f}, objectPath, "org.freedesktop.DBus.Properties"))
	reply, err := conn.RequestName(busName, dbus.NameFlagDoNotQueue)
	must(err)
	if reply != dbus.RequestNameReplyPrimaryOwner {
		t.Fatalf("fake portal: name %s not owned (%d)", busName, reply)
	}
	return f
}

// senderPart is the caller's unique name as the portal writes it in request and session paths.
func senderPart(s dbus.Sender) string {
	return strings.ReplaceAll(strings.TrimPrefix(string(s), ":"), ".", "_")
}

// respond emits the Response of the request with token, after the method has returned.
func (f *Portal) respond(sender dbus.Sender, opts map[string]dbus.Variant, code uint32, results map[string]dbus.Variant) dbus.ObjectPath {
	tok, _ := opts["handle_token"].Value().(string)
	if tok == "" {
		f.t.Errorf("fake portal: a request without handle_token")
		tok = "none"
	}
	path := dbus.ObjectPath("/org/freedesktop/portal/desktop/request/" + senderPart(sender) + "/" + tok)
	go func() {
		time.Sleep(5 * time.Millisecond)
		if err := f.conn.Emit(path, ifaceRequest+".Response", code, results); err != nil {
			f.t.Errorf("fake portal: emit Response: %v", err)
		}
	}()
	return path
}

// newSession exports a Session object for the caller and remembers which interface made it.
func (f *Portal) newSession(sender dbus.Sender, opts map[string]dbus.Variant, iface string) dbus.ObjectPath {
	tok, _ := opts["session_handle_token"].Value().(string)
	path := dbus.ObjectPath("/org/freedesktop/portal/desktop/session/" + senderPart(sender) + "/" + tok)
	f.mu.Lock()
	f.sessions[path] = iface
	f.made = append(f.made, path)
	f.mu.Unlock()
	if err := f.conn.Export(&fakeSession{f, path}, path, ifaceSession); err != nil {
		f.t.Errorf("fake portal: export session: %v", err)
	}
	return path
}

// Session is the path of the newest session made through iface (Shortcuts or Remote), "" if none:
// the newest, not any, so that a test never signals a session an earlier attempt left.
func (f *Portal) Session(iface string) dbus.ObjectPath {
	f.mu.Lock()
	defer f.mu.Unlock()
	for i := len(f.made) - 1; i >= 0; i-- {
		if p := f.made[i]; f.sessions[p] == iface {
			return p
		}
	}
	return ""
}

// Closed reports whether the session at p was closed.
func (f *Portal) Closed(p dbus.ObjectPath) bool {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.closed[p]
}

func (f *Portal) note() {
	select {
	case f.changed <- struct{}{}:
	default:
	}
}

// Emit sends GlobalShortcuts' Activated (down) or Deactivated for id on session.
func (f *Portal) Emit(session dbus.ObjectPath, id string, down bool) {
	name := ifaceShortcuts + ".Deactivated"
	if down {
		name = ifaceShortcuts + ".Activated"
	}
	if err := f.conn.Emit(objectPath, name, session, id, uint64(time.Now().UnixMilli()), map[string]dbus.Variant{}); err != nil {
		f.t.Fatalf("fake portal: emit %s: %v", name, err)
	}
}

// Keys returns the NotifyKeyboardKeysym calls so far.
func (f *Portal) Keys() []Key {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]Key(nil), f.keys...)
}

type fakeSession struct {
	f    *Portal
	path dbus.ObjectPath
}

func (s *fakeSession) Close() *dbus.Error {
	s.f.mu.Lock()
	s.f.closed[s.path] = true
	s.f.mu.Unlock()
	s.f.note()
	return nil
}

type fakeProps struct{ f *Portal }

func (p *fakeProps) Get(iface, prop string) (dbus.Variant, *dbus.Error) {
	if prop == "version" {
		switch {
		case iface == ifaceShortcuts:
			return dbus.MakeVariant(p.f.Version), nil
		case iface == ifaceRemote && !p.f.NoRemote:
			return dbus.MakeVariant(uint32(2)), nil
		case iface == ifaceClipboard && p.f.Clipboard:
			return dbus.MakeVariant(uint32(1)), nil
		}
	}
	return dbus.Variant{}, dbus.NewError("org.freedesktop.DBus.Error.InvalidArgs", []any{"No such interface “" + iface + "”"})
}

type fakeShortcuts struct{ f *Portal }

func (s *fakeShortcuts) CreateSession(sender dbus.Sender, opts map[string]dbus.Variant) (dbus.ObjectPath, *dbus.Error) {
	session := s.f.newSession(sender, opts, ifaceShortcuts)
	// session_handle is an 's' here, as the real portal sends it (GlobalShortcuts.xml).
	return s.f.respond(sender, opts, 0, map[string]dbus.Variant{"session_handle": dbus.MakeVariant(string(session))}), nil
}

type shortcutArg struct {
	ID   string
	Opts map[string]dbus.Variant
}

func (s *fakeShortcuts) BindShortcuts(sender dbus.Sender, session dbus.ObjectPath, shortcuts []shortcutArg, parent string, opts map[string]dbus.Variant) (dbus.ObjectPath, *dbus.Error) {
	var bound []shortcutArg
	s.f.mu.Lock()
	for _, sc := range shortcuts {
		tr, _ := sc.Opts["preferred_trigger"].Value().(string)
		s.f.triggers = append(s.f.triggers, tr)
		bound = append(bound, shortcutArg{sc.ID, map[string]dbus.Variant{
			"description": sc.Opts["description"], "trigger_description": dbus.MakeVariant("Press " + tr)}})
	}
	s.f.mu.Unlock()
	return s.f.respond(sender, opts, s.f.Deny, map[string]dbus.Variant{"shortcuts": dbus.MakeVariant(bound)}), nil
}

type fakeRemote struct{ f *Portal }

func (r *fakeRemote) CreateSession(sender dbus.Sender, opts map[string]dbus.Variant) (dbus.ObjectPath, *dbus.Error) {
	session := r.f.newSession(sender, opts, ifaceRemote)
	return r.f.respond(sender, opts, 0, map[string]dbus.Variant{"session_handle": dbus.MakeVariant(string(session))}), nil
}

func (r *fakeRemote) SelectDevices(sender dbus.Sender, session dbus.ObjectPath, opts map[string]dbus.Variant) (dbus.ObjectPath, *dbus.Error) {
	r.f.mu.Lock()
	r.f.devices, _ = opts["types"].Value().(uint32)
	r.f.mu.Unlock()
	return r.f.respond(sender, opts, 0, map[string]dbus.Variant{}), nil
}

func (r *fakeRemote) Start(sender dbus.Sender, session dbus.ObjectPath, parent string, opts map[string]dbus.Variant) (dbus.ObjectPath, *dbus.Error) {
	r.f.mu.Lock()
	devices := r.f.devices
	r.f.mu.Unlock()
	return r.f.respond(sender, opts, r.f.Deny, map[string]dbus.Variant{
		"devices": dbus.MakeVariant(devices), "clipboard_enabled": dbus.MakeVariant(r.f.Clipboard)}), nil
}

func (r *fakeRemote) NotifyKeyboardKeysym(session dbus.ObjectPath, opts map[string]dbus.Variant, keysym int32, state uint32) *dbus.Error {
	r.f.mu.Lock()
	r.f.keys = append(r.f.keys, Key{keysym, state})
	r.f.mu.Unlock()
	r.f.note()
	return nil
}

// fakeClipboard is the portal's Clipboard; SetSelection makes a pasting application ask for the text
// (SelectionTransfer) at once, and what it gets is recorded in pasted.
type fakeClipboard struct {
	f      *Portal
	mu     sync.Mutex
	serial uint32
	writes map[uint32]*os.File // write ends handed out, closed at SelectionWriteDone
	reads  map[uint32]*os.File
}

func (c *fakeClipboard) RequestClipboard(session dbus.ObjectPath, opts map[string]dbus.Variant) *dbus.Error {
	return nil
}

func (c *fakeClipboard) SetSelection(session dbus.ObjectPath, opts map[string]dbus.Variant) *dbus.Error {
	c.mu.Lock()
	c.serial++
	serial := c.serial
	c.mu.Unlock()
	go func() {
		time.Sleep(5 * time.Millisecond)
		c.f.conn.Emit(objectPath, ifaceClipboard+".SelectionTransfer", session, "text/plain;charset=utf-8", serial)
	}()
	return nil
}

func (c *fakeClipboard) SelectionWrite(session dbus.ObjectPath, serial uint32) (dbus.UnixFD, *dbus.Error) {
	r, w, err := os.Pipe()
	if err != nil {
		return 0, dbus.MakeFailedError(err)
	}
	c.mu.Lock()
	if c.writes == nil {
		c.writes, c.reads = map[uint32]*os.File{}, map[uint32]*os.File{}
	}
	c.writes[serial], c.reads[serial] = w, r
	c.mu.Unlock()
	return dbus.UnixFD(w.Fd()), nil
}

func (c *fakeClipboard) SelectionWriteDone(session dbus.ObjectPath, serial uint32, ok bool) *dbus.Error {
	c.mu.Lock()
	w, r := c.writes[serial], c.reads[serial]
	c.mu.Unlock()
	if w == nil {
		return dbus.MakeFailedError(os.ErrNotExist)
	}
	w.Close()
	b := make([]byte, 0, 256)
	buf := make([]byte, 256)
	for {
		n, err := r.Read(buf)
		b = append(b, buf[:n]...)
		if err != nil {
			break
		}
	}
	r.Close()
	if ok {
		c.f.mu.Lock()
		c.f.pasted = append(c.f.pasted, string(b))
		c.f.mu.Unlock()
		c.f.note()
	}
	return nil
}

func (c *fakeClipboard) SelectionRead(session dbus.ObjectPath, mime string) (dbus.UnixFD, *dbus.Error) {
	r, w, err := os.Pipe()
	if err != nil {
		return 0, dbus.MakeFailedError(err)
	}
	w.WriteString(c.f.PrevClip)
	w.Close()
	c.f.t.Cleanup(func() { r.Close() })
	return dbus.UnixFD(r.Fd()), nil
}

// Changed is signalled (without blocking, so signals may coalesce) when a key, a paste or a close
// happened.
func (f *Portal) Changed() <-chan struct{} { return f.changed }

// Triggers are the preferred_trigger of each shortcut bound so far.
func (f *Portal) Triggers() []string {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]string(nil), f.triggers...)
}

// Devices is the types bitmask of the last SelectDevices.
func (f *Portal) Devices() uint32 {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.devices
}

// Pasted is what pasting applications received from the clipboard, in order.
func (f *Portal) Pasted() []string {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]string(nil), f.pasted...)
}
