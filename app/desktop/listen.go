package desktop

import (
	"context"
	"fmt"

	"github.com/verbatim-app/verbatim/app/live"
	"github.com/verbatim-app/verbatim/app/speech"
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

// Start listens to device (a Device's Name; "" the system's default), translating into translateTo as
// well ("" none). Events arrive until Stop or a device error; Stopped is the last, then the channel
// closes. Read it until it closes. Without a model loaded it returns ErrNoModel.
func (r *Recorder) Start(ctx context.Context, device, translateTo string) (<-chan live.Event, error) {
	if r.model() == nil {
		return nil, ErrNoModel
	}
	return r.rec.Start(ctx, live.Config{
		Device:      device,
		Translate:   translateTo,
		SessionRoot: r.sessionRoot,
		Provisional: true,
		Mic:         r.mic,
		Open:        r.open,
	})
}

// Stop finishes listening: what the device already captured is still transcribed (and saved), then
// Stopped is sent. It returns when that is done or ctx ends.
func (r *Recorder) Stop(ctx context.Context) error { return r.rec.Stop(ctx) }

// SetTranslateTo changes the translation target from the next utterance on ("" none). It cannot fail
// today; the error leaves room for a recorder that refuses a target.
func (r *Recorder) SetTranslateTo(target string) error {
	r.rec.SetTranslate(target)
	return nil
}
