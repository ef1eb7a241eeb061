package desktop

import (
	"context"
	"errors"
	"log/slog"
	"os"

	"github.com/verbatim-app/verbatim/app/dictate"
	"github.com/verbatim-app/verbatim/app/live"
	"github.com/verbatim-app/verbatim/capture"
	"github.com/verbatim-app/verbatim/ui/x11"
)

// DictationSupport says whether this session can dictate: X11 for now (Wayland's GlobalShortcuts portal
// is not done yet; XWayland's DISPLAY is enough).
type DictationSupport int

const (
	DictationX11         DictationSupport = iota // DISPLAY is set
	DictationWaylandOnly                         // WAYLAND_DISPLAY without DISPLAY
	DictationNoDisplay                           // neither
)

// SupportFrom reads the session's displays through getenv (os.Getenv).
func SupportFrom(getenv func(string) string) DictationSupport {
	switch {
	case getenv("DISPLAY") != "":
		return DictationX11
	case getenv("WAYLAND_DISPLAY") != "":
		return DictationWaylandOnly
	}
	return DictationNoDisplay
}

// DictationConfig is one dictation run.
type DictationConfig struct {
	Shortcut  string // "ctrl+alt+space" (x11.ParseShortcut)
	Mode      dictate.Mode
	Commands  bool   // spoken commands ("new line", "new paragraph")
	Device    string // input device name ("" = the system's)
	Translate string // type the translation into this language ("" = the transcript)
	Paste     bool   // paste through the clipboard instead of typing (the previous clipboard text is put back)
	// Display is the X display ("" = $DISPLAY); Open opens the capture instead of the service's microphone.
	// For tests.
	Display string
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

// Start grabs the shortcut and opens the X connection that types, at once, so that a shortcut another
// application holds is an error here; then it listens in the background until Stop or a device error.
// Read the events until the channel closes.
func (d *Dictation) Start(cfg DictationConfig) (<-chan DictationEvent, error) {
	d.run.mu.Lock()
	defer d.run.mu.Unlock()
	if d.run.running() {
		return nil, ErrDictating
	}
	sc, err := x11.ParseShortcut(cfg.Shortcut)
	if err != nil {
		return nil, err
	}
	if cfg.Display == "" {
		switch SupportFrom(os.Getenv) {
		case DictationWaylandOnly:
			return nil, errors.New("dictation needs X11 for now: this is a Wayland session without XWayland's DISPLAY")
		case DictationNoDisplay:
			return nil, errors.New("dictation needs an X11 display: DISPLAY is not set")
		}
	}
	ctx, cancel := context.WithCancel(context.Background())
	grab, err := x11.GrabShortcut(ctx, cfg.Display, sc, d.log)
	if err != nil {
		cancel()
		return nil, err
	}
	kb, err := x11.OpenKeyboard(cfg.Display, d.log)
	if err != nil {
		cancel()
		grab.Close()
		return nil, err
	}
	var sink dictate.Sink = kb
	var paster *x11.Paster
	if cfg.Paste {
		if paster, err = x11.OpenPaster(cfg.Display, kb, d.log); err != nil {
			cancel()
			grab.Close()
			kb.Close()
			return nil, err
		}
		sink = paster
	}
	// Buffered so that a slow window never holds up typing; states are few (three per take).
	out := make(chan DictationEvent, 64)
	done := d.run.begin(cancel)
	go func() {
		defer close(done)
		defer close(out)
		keys := dictate.Keys(ctx, grab.Events(), func(e x11.KeyEvent) dictate.KeyEvent {
			return dictate.KeyEvent{Down: e.Down, At: e.At}
		})
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
		grab.Close()
		if paster != nil {
			paster.Close()
		}
		kb.Close()
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

// Stop ends dictation: a take in progress is dropped, the shortcut is released and the microphone
// closed. It waits until ctx ends.
func (d *Dictation) Stop(ctx context.Context) error { return d.run.stop(ctx, "dictation") }
