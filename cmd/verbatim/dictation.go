package main

import (
	"context"
	"os"

	"github.com/verbatim-app/verbatim/app/desktop"
	"github.com/verbatim-app/verbatim/app/dictate"
	"github.com/verbatim-app/verbatim/ui"
)

// dictation is ui.Dictation over app/desktop's service.
type dictation struct{ d *desktop.Dictation }

func (d dictation) Support() ui.DictationSupport {
	switch desktop.SupportFrom(os.Getenv) {
	case desktop.DictationX11:
		return ui.DictationX11
	case desktop.DictationWaylandOnly:
		return ui.DictationWaylandOnly
	}
	return ui.DictationNoDisplay
}

func (d dictation) Start(cfg ui.DictationConfig) (<-chan ui.DictationEvent, error) {
	mode := dictate.Hold
	if cfg.Toggle {
		mode = dictate.Toggle
	}
	in, err := d.d.Start(desktop.DictationConfig{Shortcut: cfg.Shortcut, Mode: mode, Commands: cfg.Commands, Device: cfg.Device, Paste: cfg.Paste})
	if err != nil {
		return nil, err
	}
	out := make(chan ui.DictationEvent, 16)
	go func() {
		defer close(out)
		for ev := range in {
			out <- ui.DictationEvent{State: dictationState(ev.State), Err: ev.Err, Ended: ev.Ended}
		}
	}()
	return out, nil
}

func dictationState(s dictate.State) ui.DictationState {
	switch s {
	case dictate.Listening:
		return ui.DictationListening
	case dictate.Thinking:
		return ui.DictationThinking
	}
	return ui.DictationIdle
}

func (d dictation) Stop(ctx context.Context) error { return d.d.Stop(ctx) }
