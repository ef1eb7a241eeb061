//go:build cgo

package miniaudio

import (
	"context"
	"fmt"
	"log/slog"

	"github.com/gen2brain/malgo"
	"github.com/verbatim-app/verbatim/capture"
	"github.com/verbatim-app/verbatim/capture/pcm"
)

// newOutputDriver returns the capture.OutputDriver of an audio system: the capture driver's backend
// choice, opening a playback device instead.
func newOutputDriver(b capture.Backend, log *slog.Logger) (capture.OutputDriver, error) {
	d, err := newDriver(b, log)
	if err != nil {
		return nil, err
	}
	return outputDriver{d.(*malgoDriver)}, nil
}

type outputDriver struct{ d *malgoDriver }

func (o outputDriver) OpenOutput(ctx context.Context, fill func([]byte), stopped func()) (capture.Hardware, error) {
	return bounded(ctx, func() (capture.Hardware, error) {
		c, err := o.d.initContext()
		if err != nil {
			return nil, fmt.Errorf("audio system: %w", err)
		}
		cfg := malgo.DefaultDeviceConfig(malgo.Playback)
		// What capture.Playback writes; miniaudio converts it to the device's own format and rate.
		cfg.Playback.Format = malgo.FormatF32
		cfg.Playback.Channels = 1
		cfg.SampleRate = pcm.Rate
		md, err := malgo.InitDevice(c.Context, cfg, malgo.DeviceCallbacks{
			Data: func(out, _ []byte, _ uint32) { fill(out) },
			Stop: stopped,
		})
		if err != nil {
			freeContext(c)
			return nil, fmt.Errorf("%w (is a sound server running, or a sound card there to play on?)", err)
		}
		return &malgoHW{ctx: c, dev: md}, nil
	})
}
