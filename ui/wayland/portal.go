// Package wayland is dictation's Wayland side, in pure Go over D-Bus (github.com/godbus/dbus/v5): the
// global shortcut through the desktop portal's org.freedesktop.portal.GlobalShortcuts (Shortcut), and
// typing into the focused window through org.freedesktop.portal.RemoteDesktop's keyboard (Keyboard).
//
// A Wayland client cannot grab keys or synthesise input itself; the portal (xdg-desktop-portal and the
// desktop's backend) does both, after asking the user. Every portal call that may ask returns a Request
// object whose Response signal carries the answer (flatpak/xdg-desktop-portal,
// data/org.freedesktop.portal.Request.xml): the caller picks the last element of its path with the
// handle_token option and subscribes to the signal before calling, so the answer cannot be missed.
package wayland

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"strings"
	"sync"

	"github.com/godbus/dbus/v5"
)

// The portal's bus name, object and interfaces.
const (
	busName        = "org.freedesktop.portal.Desktop"
	objectPath     = dbus.ObjectPath("/org/freedesktop/portal/desktop")
	ifaceShortcuts = "org.freedesktop.portal.GlobalShortcuts"
	ifaceRemote    = "org.freedesktop.portal.RemoteDesktop"
	ifaceClipboard = "org.freedesktop.portal.Clipboard"
	ifaceRequest   = "org.freedesktop.portal.Request"
	ifaceSession   = "org.freedesktop.portal.Session"
)

// ErrDenied is a portal request the user (or the portal) turned down: Response code 1 or 2.
var ErrDenied = errors.New("the desktop portal refused")

// Portal is a connection to the desktop portal on a session bus.
type Portal struct {
	conn *dbus.Conn
	obj  dbus.BusObject
	log  *slog.Logger
	own  bool // Close closes conn

	mu      sync.Mutex
	next    int                                   // handle tokens
	waiters map[dbus.ObjectPath]chan *dbus.Signal // Request paths awaiting Response
	subs    map[int]func(*dbus.Signal)            // other signal consumers (shortcuts, sessions)
	sigs    chan *dbus.Signal
	done    chan struct{}
}

// Open connects to the session bus at address ("" = the user's session bus) and to its portal.
func Open(address string, log *slog.Logger) (*Portal, error) {
	var conn *dbus.Conn
	var err error
	if address == "" {
		conn, err = dbus.ConnectSessionBus()
	} else {
		conn, err = dbus.Connect(address)
	}
	if err != nil {
		return nil, fmt.Errorf("wayland: session bus: %w", err)
	}
	p := newPortal(conn, log)
	p.own = true
	return p, nil
}

func newPortal(conn *dbus.Conn, log *slog.Logger) *Portal {
	if log == nil {
		log = slog.Default()
	}
	p := &Portal{conn: conn, obj: conn.Object(busName, objectPath), log: log,
		waiters: map[dbus.ObjectPath]chan *dbus.Signal{}, subs: map[int]func(*dbus.Signal){},
		sigs: make(chan *dbus.Signal, 64), done: make(chan struct{})}
	conn.Signal(p.sigs)
	go p.route()
	return p
}

// Close stops routing signals and closes the connection.
func (p *Portal) Close() error {
	p.conn.RemoveSignal(p.sigs)
	select {
	case <-p.done:
	default:
		close(p.done)
	}
	if p.own {
		return p.conn.Close()
	}
	return nil
}

// route hands each signal to the request awaiting it or to the subscribers.
func (p *Portal) route() {
	for {
		select {
		case s, ok := <-p.sigs:
			if !ok {
				return
			}
			p.mu.Lock()
			w := p.waiters[s.Path]
			subs := make([]func(*dbus.Signal), 0, len(p.subs))
			for _, f := range p.subs {
				subs = append(subs, f)
			}
			p.mu.Unlock()
			if w != nil && s.Name == ifaceRequest+".Response" {
				select {
				case w <- s:
				default:
				}
				continue
			}
			for _, f := range subs {
				f(s)
			}
		case <-p.done:
			return
		}
	}
}

// subscribe calls f for every signal not answering a request, until the returned cancel.
func (p *Portal) subscribe(f func(*dbus.Signal)) (cancel func()) {
	p.mu.Lock()
	p.next++
	id := p.next
	p.subs[id] = f
	p.mu.Unlock()
	return func() {
		p.mu.Lock()
		delete(p.subs, id)
		p.mu.Unlock()
	}
}

// token is a fresh handle_token (also used as session_handle_token).
func (p *Portal) token() string {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.next++
	return fmt.Sprintf("verbatim%d", p.next)
}

// requestPath is where the portal puts the Request for token: /org/freedesktop/portal/desktop/request/
// SENDER/TOKEN, SENDER the caller's unique name without the ':' and with '.' as '_' (Request.xml).
func (p *Portal) requestPath(token string) dbus.ObjectPath {
	sender := strings.ReplaceAll(strings.TrimPrefix(p.conn.Names()[0], ":"), ".", "_")
	return dbus.ObjectPath("/org/freedesktop/portal/desktop/request/" + sender + "/" + token)
}

// request calls method (its last argument the options vardict, which gains handle_token) and waits for
// the Request's Response: code 0 gives the results, 1 (cancelled by the user) and 2 (ended otherwise)
// give ErrDenied.
func (p *Portal) request(ctx context.Context, method string, args ...any) (map[string]dbus.Variant, error) {
	opts, ok := args[len(args)-1].(map[string]dbus.Variant)
	if !ok {
		return nil, fmt.Errorf("wayland: %s: options missing", method)
	}
	tok := p.token()
	opts["handle_token"] = dbus.MakeVariant(tok)
	path := p.requestPath(tok)
	ch := make(chan *dbus.Signal, 1)
	match := []dbus.MatchOption{dbus.WithMatchInterface(ifaceRequest), dbus.WithMatchMember("Response"), dbus.WithMatchObjectPath(path)}
	if err := p.conn.AddMatchSignalContext(ctx, match...); err != nil {
		return nil, fmt.Errorf("wayland: %s: subscribe to the response: %w", method, err)
	}
	defer p.conn.RemoveMatchSignal(match...)
	p.wait(path, ch)
	defer p.unwait(path)
	var handle dbus.ObjectPath
	if err := p.obj.CallWithContext(ctx, method, 0, args...).Store(&handle); err != nil {
		return nil, fmt.Errorf("wayland: %s: %w", method, err)
	}
	if handle != path { // a portal older than handle_token: listen where it says
		p.wait(handle, ch)
		defer p.unwait(handle)
		_ = p.conn.AddMatchSignalContext(ctx, dbus.WithMatchInterface(ifaceRequest), dbus.WithMatchMember("Response"), dbus.WithMatchObjectPath(handle))
	}
	select {
	case s := <-ch:
		var code uint32
		var results map[string]dbus.Variant
		if err := dbus.Store(s.Body, &code, &results); err != nil {
			return nil, fmt.Errorf("wayland: %s: response: %w", method, err)
		}
		switch code {
		case 0:
			return results, nil
		case 1:
			return nil, fmt.Errorf("wayland: %s: %w: the request was cancelled (response 1)", method, ErrDenied)
		default:
			return nil, fmt.Errorf("wayland: %s: %w: the request ended (response %d)", method, ErrDenied, code)
		}
	case <-ctx.Done():
		p.conn.Object(busName, handle).Call(ifaceRequest+".Close", dbus.FlagNoReplyExpected)
		return nil, fmt.Errorf("wayland: %s: %w", method, ctx.Err())
	}
}

func (p *Portal) wait(path dbus.ObjectPath, ch chan *dbus.Signal) {
	p.mu.Lock()
	p.waiters[path] = ch
	p.mu.Unlock()
}

func (p *Portal) unwait(path dbus.ObjectPath) {
	p.mu.Lock()
	delete(p.waiters, path)
	p.mu.Unlock()
}

// createSession calls iface's CreateSession and returns the session's path. The portal sends
// session_handle as a string ('s', GlobalShortcuts.xml's note) though it is an object path; both are
// accepted.
func (p *Portal) createSession(ctx context.Context, iface string) (dbus.ObjectPath, error) {
	res, err := p.request(ctx, iface+".CreateSession", map[string]dbus.Variant{"session_handle_token": dbus.MakeVariant(p.token())})
	if err != nil {
		return "", err
	}
	switch h := res["session_handle"].Value().(type) {
	case string:
		return dbus.ObjectPath(h), nil
	case dbus.ObjectPath:
		return h, nil
	}
	return "", fmt.Errorf("wayland: %s.CreateSession: no session_handle in the response", iface)
}

// closeSession ends a session (org.freedesktop.portal.Session.Close).
func (p *Portal) closeSession(session dbus.ObjectPath) error {
	if err := p.conn.Object(busName, session).Call(ifaceSession+".Close", 0).Err; err != nil {
		return fmt.Errorf("wayland: close session %s: %w", session, err)
	}
	return nil
}

// version reads iface's version property on the portal; an error when the portal lacks it.
func (p *Portal) version(ctx context.Context, iface string) (uint32, error) {
	var v dbus.Variant
	err := p.obj.CallWithContext(ctx, "org.freedesktop.DBus.Properties.Get", 0, iface, "version").Store(&v)
	if err != nil {
		return 0, err
	}
	n, ok := v.Value().(uint32)
	if !ok {
		return 0, fmt.Errorf("%s's version is %s, not a number", iface, v.Signature())
	}
	return n, nil
}

// Check says whether dictation can run through this portal: GlobalShortcuts version 1 or later for the
// shortcut and RemoteDesktop for typing; the error says plainly what is missing.
func (p *Portal) Check(ctx context.Context) error {
	v, err := p.version(ctx, ifaceShortcuts)
	if err != nil {
		return fmt.Errorf("this Wayland desktop's portal has no GlobalShortcuts: %w", err)
	}
	if v < 1 {
		return fmt.Errorf("this Wayland desktop's portal has no GlobalShortcuts: version %d", v)
	}
	if _, err := p.version(ctx, ifaceRemote); err != nil {
		return fmt.Errorf("this Wayland desktop's portal has no RemoteDesktop to type with: %w", err)
	}
	return nil
}

// Probe opens the session bus at address ("" = the user's), checks its portal (Check) and closes it.
func Probe(ctx context.Context, address string) error {
	p, err := Open(address, nil)
	if err != nil {
		return fmt.Errorf("this Wayland desktop has no session bus for the portal: %w", err)
	}
	defer p.Close()
	return p.Check(ctx)
}

// SessionBus is the session bus's address from getenv (os.Getenv): DBUS_SESSION_BUS_ADDRESS, else the
// user bus in XDG_RUNTIME_DIR; an error saying so when there is none.
func SessionBus(getenv func(string) string) (string, error) {
	if a := getenv("DBUS_SESSION_BUS_ADDRESS"); a != "" {
		return a, nil
	}
	if d := getenv("XDG_RUNTIME_DIR"); d != "" {
		if _, err := os.Stat(d + "/bus"); err == nil {
			return "unix:path=" + d + "/bus", nil
		}
	}
	return "", errors.New("this Wayland desktop's portal cannot be reached: no session bus (DBUS_SESSION_BUS_ADDRESS is not set)")
}
