package desktop

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"time"

	"github.com/verbatim-app/verbatim/app/dictate"
	"github.com/verbatim-app/verbatim/app/live"
	"github.com/verbatim-app/verbatim/capture"
	"github.com/verbatim-app/verbatim/ui/wayland"
	"github.com/verbatim-app/verbatim/ui/x11"
)

// DictationSupport says whether this session can dictate, and through what: X11 when DISPLAY is set
// (XWayland's too), else the desktop portal (GlobalShortcuts and RemoteDesktop) on Wayland.
type DictationSupport int

const (
	DictationX11         DictationSupport = iota // DISPLAY is set
	DictationWaylandOnly                         // WAYLAND_DISPLAY without DISPLAY, and the portal cannot do it
	DictationNoDisplay                           // neither
	DictationPortal                              // WAYLAND_DISPLAY without DISPLAY; the portal has GlobalShortcuts ≥ 1 and RemoteDesktop
)

// SupportFrom reads the session's displays through getenv (os.Getenv); on Wayland without DISPLAY it
// asks the session bus's portal (SupportWhy).
func SupportFrom(getenv func(string) string) DictationSupport {
	s, _ := SupportWhy(getenv)
	return s
}

// SupportWhy is SupportFrom with the reason when dictation cannot run ("this Wayland desktop's portal
// has no GlobalShortcuts: …").
func SupportWhy(getenv func(string) string) (DictationSupport, error) {
	switch {
	case getenv("DISPLAY") != "":
		return DictationX11, nil
	case getenv("WAYLAND_DISPLAY") != "":
		addr, err := wayland.SessionBus(getenv)
		if err != nil {
			return DictationWaylandOnly, err
		}
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		if err := wayland.Probe(ctx, addr); err != nil {
			return DictationWaylandOnly, err
		}
		return DictationPortal, nil
	}
	return DictationNoDisplay, errors.New("dictation needs a display: neither DISPLAY nor WAYLAND_DISPLAY is set")
}

// DictationConfig is one dictation run.
type DictationConfig struct {
	Shortcut  string // "ctrl+alt+space" (x11.ParseShortcut)
	Mode      dictate.Mode
	Commands  bool   // spoken commands ("new line", "new paragraph")
	Device    string // input device name ("" = the system's)
	Translate string // type the translation into this language ("" = the transcript)
	Paste     bool   // paste through the clipboard instead of typing (the previous clipboard text is put back)
	// Display is the X display ("" = $DISPLAY); Bus, when set, is a session bus whose desktop portal is
	// used instead of X11; Open opens the capture instead of the service's microphone. For tests.
	Display string
	Bus     string
	Open    func(ctx context.Context, cfg capture.Config) (live.Source, error)
}

// DictationEvent is one change of the running dictation. The last one has Ended set (Err says why, when
// it was not Stop); then the channel closes.
type DictationEvent struct {
	State dictate.State
	Err   error // with Ended: what ended it; else a problem with one take (no model loaded, ...)
	Ended bool
}

// Dictation runs app/dictate from the window over the model the catalog has loaded, as Server runs the
// local API: a model switched in the window is the one dictation hears from the next take on, and an
// utterance of dictation and one of the Live tab take turns on the engine (the catalog's lease).
type Dictation struct {
	cat *Catalog
	mic capture.Microphone
	log *slog.Logger

	run lifecycle
}

// NewDictation returns a stopped dictation service over cat that records from mic.
func NewDictation(cat *Catalog, mic capture.Microphone, log *slog.Logger) *Dictation {
	if log == nil {
		log = slog.Default()
	}
	return &Dictation{cat: cat, mic: mic, log: log}
}

// ErrDictating is returned by Start while dictation runs.
var ErrDictating = errors.New("dictation is already on")

// Start grabs the shortcut and opens what types (the X connection, or the portal's sessions, which may
// ask the user first), at once, so that a shortcut another application holds or a refusal is an error
// here; then it listens in the background until Stop or a device error. Read the events until the
// channel closes.
func (d *Dictation) Start(cfg DictationConfig) (<-chan DictationEvent, error) {
	d.run.mu.Lock()
	defer d.run.mu.Unlock()
	if d.run.running() {
		return nil, ErrDictating
	}
	if _, err := x11.ParseShortcut(cfg.Shortcut); err != nil {
		return nil, err
	}
	ctx, cancel := context.WithCancel(context.Background())
	keys, sink, closeAll, err := d.open(ctx, cfg)
	if err != nil {
		cancel()
		return nil, err
	}
	// Buffered so that a slow window never holds up typing; states are few (three per take).
	out := make(chan DictationEvent, 64)
	done := d.run.begin(cancel)
	go func() {
		defer close(done)
		defer close(out)
		err := dictate.Run(ctx, d.cat.Model, keys, sink, dictate.Config{
			Live:     live.Config{Mic: d.mic, Device: cfg.Device, Translate: cfg.Translate, Open: cfg.Open},
			Mode:     cfg.Mode,
			Commands: cfg.Commands,
			Log:      d.log,
			OnState:  func(s dictate.State) { out <- DictationEvent{State: s} },
			OnError: func(err error) {
				if ctx.Err() == nil {
					out <- DictationEvent{State: dictate.Idle, Err: err}
				}
			},
		})
		closeAll()
		if ctx.Err() != nil {
			err = nil // Stop: not a failure
		} else if err == nil {
			err = errors.New("dictation: the microphone or the shortcut ended")
		}
		d.run.ended(done)
		cancel()
		out <- DictationEvent{Ended: true, Err: err}
	}()
	return out, nil
}

// open chooses X11 or the Wayland portal (SupportWhy) and opens the shortcut and the sink there.
func (d *Dictation) open(ctx context.Context, cfg DictationConfig) (dictate.Shortcut, dictate.Sink, func(), error) {
	if cfg.Bus != "" {
		return d.openPortal(ctx, cfg, cfg.Bus)
	}
	if cfg.Display == "" {
		switch s, why := SupportWhy(os.Getenv); s {
		case DictationWaylandOnly:
			return nil, nil, nil, fmt.Errorf("dictation cannot run on this Wayland session without XWayland's DISPLAY: %w", why)
		case DictationNoDisplay:
			return nil, nil, nil, errors.New("dictation needs a display: neither DISPLAY (X11) nor WAYLAND_DISPLAY is set")
		case DictationPortal:
			addr, err := wayland.SessionBus(os.Getenv)
			if err != nil {
				return nil, nil, nil, err
			}
			return d.openPortal(ctx, cfg, addr)
		}
	}
	return d.openX11(ctx, cfg)
}

func (d *Dictation) openX11(ctx context.Context, cfg DictationConfig) (dictate.Shortcut, dictate.Sink, func(), error) {
	sc, err := x11.ParseShortcut(cfg.Shortcut)
	if err != nil {
		return nil, nil, nil, err
	}
	grab, err := x11.GrabShortcut(ctx, cfg.Display, sc, d.log)
	if err != nil {
		return nil, nil, nil, err
	}
	kb, err := x11.OpenKeyboard(cfg.Display, d.log)
	if err != nil {
		grab.Close()
		return nil, nil, nil, err
	}
	var sink dictate.Sink = kb
	var paster *x11.Paster
	if cfg.Paste {
		if paster, err = x11.OpenPaster(cfg.Display, kb, d.log); err != nil {
			grab.Close()
			kb.Close()
			return nil, nil, nil, err
		}
		sink = paster
	}
	keys := dictate.Keys(ctx, grab.Events(), func(e x11.KeyEvent) dictate.KeyEvent {
		return dictate.KeyEvent{Down: e.Down, At: e.At}
	})
	return keys, sink, func() {
		grab.Close()
		if paster != nil {
			paster.Close()
		}
		kb.Close()
	}, nil
}

// openPortal binds the shortcut through GlobalShortcuts and types through a RemoteDesktop session of
// the portal on the session bus at addr. Closing the shortcut's session ends its events, so Stop's
// cancel closes it too.
func (d *Dictation) openPortal(ctx context.Context, cfg DictationConfig, addr string) (dictate.Shortcut, dictate.Sink, func(), error) {
	trigger, err := wayland.Trigger(cfg.Shortcut)
	if err != nil {
		return nil, nil, nil, err
	}
	p, err := wayland.Open(addr, d.log)
	if err != nil {
		return nil, nil, nil, err
	}
	sc, kb, err := wayland.OpenDictation(ctx, p, trigger, cfg.Paste)
	if err != nil {
		p.Close()
		return nil, nil, nil, err
	}
	go func() { <-ctx.Done(); sc.Close() }()
	return sc, kb, func() {
		sc.Close()
		kb.Close()
		p.Close()
	}, nil
}

// Stop ends dictation: a take in progress is dropped, the shortcut is released and the microphone
// closed. It waits until ctx ends.
func (d *Dictation) Stop(ctx context.Context) error { return d.run.stop(ctx, "dictation") }
