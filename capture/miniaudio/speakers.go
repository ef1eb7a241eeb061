package miniaudio

import (
	"context"
	"log/slog"

	"github.com/verbatim-app/verbatim/capture"
)

// Speakers is capture.Speakers over miniaudio: the system's default output device.
type Speakers struct {
	log     *slog.Logger
	backend capture.Backend
}

var _ capture.Speakers = (*Speakers)(nil)

// NewSpeakers returns the system's default output, in the audio system b (BackendAuto: miniaudio's
// choice). log receives miniaudio's messages (nil: the default logger at each call).
func NewSpeakers(b capture.Backend, log *slog.Logger) *Speakers {
	return &Speakers{log: log, backend: b}
}

// Play plays src (16 kHz mono) on the default output device.
func (s *Speakers) Play(ctx context.Context, src capture.SampleReader) (*capture.Playback, error) {
	d, err := newOutputDriver(s.backend, s.log)
	if err != nil {
		return nil, err
	}
	return capture.Play(ctx, d, src, s.log)
}
