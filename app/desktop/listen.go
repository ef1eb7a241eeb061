package desktop

import (
	"context"
	"fmt"

	"github.com/verbatim-app/verbatim/app/live"
	"github.com/verbatim-app/verbatim/app/speech"
	"github.com/verbatim-app/verbatim/app/transcript"
	"github.com/verbatim-app/verbatim/capture"
)

// Device is an input device the window offers. It is capture's own: the alias lets the window name it
// without depending on capture.
type Device = capture.Device

// Recorder is the window's live listening: app/live over the loaded model and the microphone, with the
// window's policy on top. It refuses to start without a model (ErrNoModel, which the window explains)
// rather than listening to audio nobody will hear, records each run as a crash-safe session under the
// session root when there is one, and asks for provisional text, which only a screen has use for.
type Recorder struct {
	rec         *live.Recorder
	model       func() speech.Model
	mic         capture.Microphone
	sessionRoot string
	open        func(ctx context.Context, cfg capture.Config) (live.Source, error) // nil: mic; tests set fakes
	openSystem  func(ctx context.Context, cfg capture.Config) (live.Source, error) // nil: mic's monitor; tests set fakes
}

// ListenOptions are what the window asks of one listening run.
type ListenOptions struct {
	Device      string // an input Device's Name; "" the system's default
	TranslateTo string // also translate into this language; "" none
	// SystemAudio also records what the computer plays (a call's other side) through the default
	// output's monitor; segments then carry their Speaker. See Recorder.SystemAudio.
	SystemAudio bool
}

// NewRecorder returns a recorder that hears through model (nil from it: none loaded; pass
// Catalog.Model), listens to mic, and records sessions under sessionRoot ("" records none).
func NewRecorder(model func() speech.Model, mic capture.Microphone, sessionRoot string) *Recorder {
	return &Recorder{rec: live.New(model), model: model, mic: mic, sessionRoot: sessionRoot}
}

// Devices lists the microphone's input devices.
func (r *Recorder) Devices(ctx context.Context) ([]Device, error) {
	devs, err := r.mic.Devices(ctx, capture.BackendAuto)
	if err != nil {
		return devs, fmt.Errorf("list input devices: %w", err)
	}
	return devs, nil
}

// SystemAudio says whether Start can record the system audio: nil when the microphone finds a
// monitor of the default output, else why not (wrapping capture.ErrNoMonitor when there is none).
func (r *Recorder) SystemAudio(ctx context.Context) error {
	sa, ok := r.mic.(capture.SystemAudio)
	if !ok {
		return fmt.Errorf("record system audio: %w (this build's audio input has none)", capture.ErrNoMonitor)
	}
	if _, err := sa.Monitor(ctx, capture.BackendAuto); err != nil {
		return fmt.Errorf("record system audio: %w", err)
	}
	return nil
}

// Start listens as opts say. Events arrive until Stop or a device error; Stopped is the last, then the
// channel closes. Read it until it closes. Without a model loaded it returns ErrNoModel; asked for
// system audio with no monitor to hear it through, an error wrapping capture.ErrNoMonitor.
func (r *Recorder) Start(ctx context.Context, opts ListenOptions) (<-chan live.Event, error) {
	if r.model() == nil {
		return nil, ErrNoModel
	}
	return r.rec.Start(ctx, live.Config{
		Device:      opts.Device,
		Translate:   opts.TranslateTo,
		SessionRoot: r.sessionRoot,
		Provisional: true,
		Mic:         r.mic,
		Open:        r.open,
		SystemAudio: opts.SystemAudio,
		OpenSystem:  r.openSystem,
	})
}

// Stop finishes listening: what the device already captured is still transcribed (and saved), then
// Stopped is sent. It returns when that is done or ctx ends.
func (r *Recorder) Stop(ctx context.Context) error { return r.rec.Stop(ctx) }

// EditSegment corrects line id (lang "" the transcript, else a translation) of the session recorded in
// dir, the one being recorded included; the edit is journaled (live.Recorder.EditSegment).
func (r *Recorder) EditSegment(dir string, id int, lang, text string) (transcript.Segment, error) {
	return r.rec.EditSegment(dir, id, lang, text)
}

// SetTranslateTo changes the translation target from the next utterance on ("" none). It cannot fail
// today; the error leaves room for a recorder that refuses a target.
func (r *Recorder) SetTranslateTo(target string) error {
	r.rec.SetTranslate(target)
	return nil
}
