// Package miniaudio is the real capture.Microphone: input devices through miniaudio (github.com/gen2brain/malgo,
// cgo), with libasound's messages routed to slog. Only main and tests import it, so that the app builds
// and tests against capture's interfaces without linking the C library.
package miniaudio

import (
	"context"
	"fmt"
	"log/slog"

	"github.com/verbatim-app/verbatim/capture"
)

// Microphone is capture.Microphone over miniaudio.
type Microphone struct{ log *slog.Logger }

var (
	_ capture.Microphone  = (*Microphone)(nil)
	_ capture.SystemAudio = (*Microphone)(nil)
)

// New returns the system's microphone. log receives miniaudio's messages and the streams' own (nil: the
// default logger at each call, so that one set later is honoured).
func New(log *slog.Logger) *Microphone { return &Microphone{log: log} }

// Devices lists the input devices of an audio system.
func (m *Microphone) Devices(ctx context.Context, b capture.Backend) ([]capture.Device, error) {
	d, err := newDriver(b, m.log)
	if err != nil {
		return nil, err
	}
	return d.Devices(ctx)
}

// Monitor finds the input device that hears the default output device: on PulseAudio and PipeWire,
// the default sink's monitor source. Other audio systems have none (capture.ErrNoMonitor).
func (m *Microphone) Monitor(ctx context.Context, b capture.Backend) (capture.Device, error) {
	d, err := newDriver(b, m.log)
	if err != nil {
		return capture.Device{}, err
	}
	mon, ok := d.(interface {
		Monitor(context.Context) (capture.Device, error)
	})
	if !ok {
		return capture.Device{}, fmt.Errorf("capture: %w in this build", capture.ErrNoMonitor)
	}
	return mon.Monitor(ctx)
}

// Open starts capturing in cfg.Backend's audio system (see capture.Open).
func (m *Microphone) Open(ctx context.Context, cfg capture.Config) (*capture.Stream, error) {
	if cfg.Logger == nil {
		cfg.Logger = m.log
	}
	d, err := newDriver(cfg.Backend, cfg.Logger)
	if err != nil {
		return nil, err
	}
	return capture.Open(ctx, d, cfg)
}
