package cli

import (
	"context"
	"fmt"
	"os"
	"strings"
	"time"

	"github.com/verbatim-app/verbatim/app/dictate"
	"github.com/verbatim-app/verbatim/app/live"
	"github.com/verbatim-app/verbatim/app/speech"
	"github.com/verbatim-app/verbatim/capture"
	"github.com/verbatim-app/verbatim/ui/wayland"
	"github.com/verbatim-app/verbatim/ui/x11"
)

// runDictate is the dictation service without the window: hold the shortcut, speak, release, and the
// text is typed into the focused application (X11).
func runDictate(ctx context.Context, env Env, args []string) error {
	fs := newFlags(env, "dictate", "")
	var mf modelFlags
	mf.register(fs)
	device := fs.String("device", "", "input device: its name or a unique part of it (default: the system's; see 'verbatim devices')")
	backend := fs.String("backend", "", "audio system: pulseaudio, alsa, jack, coreaudio, wasapi or null (default: automatic)")
	translate := fs.String("translate", "", "type the translation into this language (e.g. es) instead of the transcript")
	shortcut := fs.String("shortcut", "ctrl+alt+space", "the global shortcut: modifiers (ctrl, alt, shift, super) and a key")
	mode := fs.String("mode", "hold", "hold: speak while the shortcut is held; toggle: one press starts, the next ends")
	noCommands := fs.Bool("no-commands", false, `type spoken commands ("new line", "new paragraph") as words`)
	paste := fs.Bool("paste", false, "paste the text through the clipboard (Ctrl+V, Ctrl+Shift+V in terminals) instead of typing it; the clipboard's previous text is put back")
	if err := parse(fs, args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return fmt.Errorf("unexpected argument %q: %w", fs.Arg(0), ErrUsage)
	}
	sc, err := x11.ParseShortcut(*shortcut)
	if err != nil {
		return fmt.Errorf("--shortcut: %v: %w", err, ErrUsage)
	}
	m, err := dictate.ParseMode(*mode)
	if err != nil {
		return fmt.Errorf("--mode: %v: %w", err, ErrUsage)
	}
	keys, sink, closeAll, err := openDictation(ctx, env, sc, *shortcut, *paste)
	if err != nil {
		return err
	}
	defer closeAll()
	eng, err := mf.hearing(ctx, env)
	if err != nil {
		return err
	}
	defer eng.Close(context.Background())
	var model speech.Model = eng
	started := false
	err = dictate.Run(ctx, func() speech.Model { return model }, keys, sink, dictate.Config{
		Live:     live.Config{Mic: env.Mic, Device: *device, Backend: capture.Backend(*backend), Translate: *translate},
		Mode:     m,
		Commands: !*noCommands,
		Log:      env.Log,
		OnState: func(s dictate.State) {
			if s == dictate.Idle && !started {
				started = true
				fmt.Fprintf(env.Stderr, "verbatim dictate: ready: hold %s and speak (Ctrl-C to stop)\n", strings.ToUpper(sc.String()))
			}
		},
		OnTyped: func(t dictate.Typed) {
			if !t.Released.IsZero() {
				env.Log.Debug("dictate: typed", "chars", len([]rune(t.Text)), "release_to_text", t.Done.Sub(t.Released).Round(100*time.Microsecond))
			}
		},
	})
	if ctx.Err() != nil {
		return nil // SIGTERM or Ctrl-C: a clean stop
	}
	return err
}

// openDictation chooses X11 when DISPLAY is set, else the desktop portal on Wayland (GlobalShortcuts
// and RemoteDesktop, which may ask the user first), and opens the shortcut and what types there.
func openDictation(ctx context.Context, env Env, sc x11.Shortcut, spec string, paste bool) (dictate.Shortcut, dictate.Sink, func(), error) {
	if os.Getenv("DISPLAY") == "" {
		if os.Getenv("WAYLAND_DISPLAY") == "" {
			return nil, nil, nil, fmt.Errorf("dictation needs a display: neither DISPLAY (X11) nor WAYLAND_DISPLAY is set")
		}
		return openPortal(ctx, env, spec, paste)
	}
	x11.RouteLogs(env.Log)
	grab, err := x11.GrabShortcut(ctx, "", sc, env.Log)
	if err != nil {
		return nil, nil, nil, err
	}
	kb, err := x11.OpenKeyboard("", env.Log)
	if err != nil {
		grab.Close()
		return nil, nil, nil, err
	}
	if !paste {
		return dictate.Keys(ctx, grab.Events(), x11Key), kb, func() { kb.Close(); grab.Close() }, nil
	}
	p, err := x11.OpenPaster("", kb, env.Log)
	if err != nil {
		kb.Close()
		grab.Close()
		return nil, nil, nil, err
	}
	return dictate.Keys(ctx, grab.Events(), x11Key), p, func() { p.Close(); kb.Close(); grab.Close() }, nil
}

// openPortal is dictation through the Wayland desktop portal on the session bus.
func openPortal(ctx context.Context, env Env, spec string, paste bool) (dictate.Shortcut, dictate.Sink, func(), error) {
	trigger, err := wayland.Trigger(spec)
	if err != nil {
		return nil, nil, nil, fmt.Errorf("--shortcut: %v: %w", err, ErrUsage)
	}
	addr, err := wayland.SessionBus(os.Getenv)
	if err != nil {
		return nil, nil, nil, err
	}
	p, err := wayland.Open(addr, env.Log)
	if err != nil {
		return nil, nil, nil, err
	}
	if err := p.Check(ctx); err != nil {
		p.Close()
		return nil, nil, nil, fmt.Errorf("dictation on Wayland without XWayland's DISPLAY: %w", err)
	}
	fmt.Fprintf(env.Stderr, "verbatim dictate: asking the desktop portal for the shortcut %s and for keyboard access (the desktop may show a dialog)\n", trigger)
	bound, kb, err := wayland.OpenDictation(ctx, p, trigger, paste)
	if err != nil {
		p.Close()
		return nil, nil, nil, err
	}
	if t := bound.Trigger(); t != "" {
		env.Log.Info("dictate: the portal bound the shortcut", "trigger", t)
	}
	return bound, kb, func() { kb.Close(); bound.Close(); p.Close() }, nil
}

// x11Key is a grab's event as dictation's.
func x11Key(e x11.KeyEvent) dictate.KeyEvent { return dictate.KeyEvent{Down: e.Down, At: e.At} }
