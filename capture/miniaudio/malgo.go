//go:build cgo

package miniaudio

// #include <stdlib.h>
import "C"

import (
	"context"
	"encoding/hex"
	"fmt"
	"log/slog"
	"strings"
	"unsafe"

	"github.com/gen2brain/malgo"
	"github.com/verbatim-app/verbatim/capture"
)

// newDriver returns the capture.Driver of an audio system. log receives miniaudio's messages (nil: the
// default logger).
func newDriver(b capture.Backend, log *slog.Logger) (capture.Driver, error) {
	if log == nil {
		log = slog.Default()
	}
	quietALSA()
	d := &malgoDriver{log: log}
	switch b {
	case capture.BackendAuto:
	case capture.BackendPulseAudio:
		d.backends = []malgo.Backend{malgo.BackendPulseaudio}
	case capture.BackendALSA:
		d.backends = []malgo.Backend{malgo.BackendAlsa}
	case capture.BackendJACK:
		d.backends = []malgo.Backend{malgo.BackendJack}
	case capture.BackendCoreAudio:
		d.backends = []malgo.Backend{malgo.BackendCoreaudio}
	case capture.BackendWASAPI:
		d.backends = []malgo.Backend{malgo.BackendWasapi}
	case capture.BackendNull:
		// malgo's constant is off by one: miniaudio's enum has a custom backend before null.
		d.backends = []malgo.Backend{malgo.Backend(malgo.BackendNull + 1)}
	default:
		return nil, fmt.Errorf("capture: unknown backend %q", b)
	}
	return d, nil
}

// malgoDriver captures through miniaudio.
type malgoDriver struct {
	backends []malgo.Backend // nil: miniaudio's automatic order
	log      *slog.Logger
}

func (d *malgoDriver) initContext() (*malgo.AllocatedContext, error) {
	return malgo.InitContext(d.backends, malgo.ContextConfig{}, func(msg string) {
		d.log.Debug("miniaudio", "msg", strings.TrimSpace(msg))
	})
}

func freeContext(c *malgo.AllocatedContext) {
	_ = c.Uninit()
	c.Free()
}

// bounded runs f on its own goroutine and gives up when ctx ends: miniaudio calls into sound servers
// that can hang. An abandoned call leaks its goroutine, which is the price of not hanging the app.
func bounded[T any](ctx context.Context, f func() (T, error)) (T, error) {
	type result struct {
		v   T
		err error
	}
	ch := make(chan result, 1)
	go func() {
		v, err := f()
		ch <- result{v, err}
	}()
	select {
	case r := <-ch:
		return r.v, r.err
	case <-ctx.Done():
		var zero T
		return zero, ctx.Err()
	}
}

func (d *malgoDriver) Devices(ctx context.Context) ([]capture.Device, error) {
	return bounded(ctx, func() ([]capture.Device, error) {
		c, err := d.initContext()
		if err != nil {
			return nil, fmt.Errorf("audio system: %w", err)
		}
		defer freeContext(c)
		infos, err := c.Devices(malgo.Capture)
		if err != nil {
			return nil, err
		}
		return inputs(infos), nil
	})
}

// inputs turns miniaudio's capture devices into capture's, marking monitors: miniaudio reports a
// PulseAudio (or PipeWire) source by its name, and only the name tells a monitor from a microphone.
func inputs(infos []malgo.DeviceInfo) []capture.Device {
	devs := make([]capture.Device, 0, len(infos))
	for _, in := range infos {
		id := encodeID(in.ID)
		_, monitor := capture.MonitorOf(id)
		devs = append(devs, capture.Device{Name: in.Name(), ID: id, IsDefault: in.IsDefault != 0, Monitor: monitor})
	}
	return devs
}

// Monitor finds the input device that hears the default output device (see capture.FindMonitor).
func (d *malgoDriver) Monitor(ctx context.Context) (capture.Device, error) {
	return bounded(ctx, func() (capture.Device, error) {
		c, err := d.initContext()
		if err != nil {
			return capture.Device{}, fmt.Errorf("audio system: %w", err)
		}
		defer freeContext(c)
		ins, err := c.Devices(malgo.Capture)
		if err != nil {
			return capture.Device{}, fmt.Errorf("capture: list input devices: %w", err)
		}
		outs, err := c.Devices(malgo.Playback)
		if err != nil {
			return capture.Device{}, fmt.Errorf("capture: list output devices: %w", err)
		}
		output := ""
		for _, o := range outs {
			if o.IsDefault != 0 {
				output = encodeID(o.ID)
			}
		}
		return capture.FindMonitor(inputs(ins), output)
	})
}

// encodeID makes a device ID readable: most backends use a name (PulseAudio's source name, ALSA's
// hw:1,0) padded with zeros, which is kept as text; anything else becomes "hex:" and its bytes.
func encodeID(id malgo.DeviceID) string {
	b := id[:]
	for len(b) > 0 && b[len(b)-1] == 0 {
		b = b[:len(b)-1]
	}
	printable := len(b) > 0 && !strings.HasPrefix(string(b), "hex:")
	for _, c := range b {
		if c < 0x20 || c > 0x7e {
			printable = false
		}
	}
	if printable {
		return string(b)
	}
	return "hex:" + hex.EncodeToString(b)
}

func decodeID(s string) (malgo.DeviceID, error) {
	var id malgo.DeviceID
	b := []byte(s)
	if h, ok := strings.CutPrefix(s, "hex:"); ok {
		var err error
		if b, err = hex.DecodeString(h); err != nil {
			return id, fmt.Errorf("bad device ID %q", s)
		}
	}
	if len(b) > len(id) {
		return id, fmt.Errorf("device ID %q too long", s)
	}
	copy(id[:], b)
	return id, nil
}

type malgoHW struct {
	ctx *malgo.AllocatedContext
	dev *malgo.Device
}

func (h *malgoHW) Start() error { return h.dev.Start() }

func (h *malgoHW) Close() {
	h.dev.Uninit()
	freeContext(h.ctx)
}

func (d *malgoDriver) Open(ctx context.Context, dev *capture.Device, data func([]byte), stopped func()) (capture.Hardware, capture.Format, error) {
	type opened struct {
		hw *malgoHW
		f  capture.Format
	}
	o, err := bounded(ctx, func() (opened, error) {
		c, err := d.initContext()
		if err != nil {
			return opened{}, fmt.Errorf("audio system: %w", err)
		}
		cfg := malgo.DefaultDeviceConfig(malgo.Capture)
		// Format, channels and rate left at zero: the device's native format, converted by us.
		cfg.Capture.Format = malgo.FormatUnknown
		cfg.Capture.Channels = 0
		cfg.SampleRate = 0
		if dev != nil {
			id, err := decodeID(dev.ID)
			if err != nil {
				freeContext(c)
				return opened{}, err
			}
			// The ID must live in C memory: miniaudio keeps the pointer in its config struct.
			p := C.CBytes(id[:])
			defer C.free(p)
			cfg.Capture.DeviceID = unsafe.Pointer(p)
		}
		md, err := malgo.InitDevice(c.Context, cfg, malgo.DeviceCallbacks{
			Data: func(_, in []byte, _ uint32) { data(in) },
			Stop: stopped,
		})
		if err != nil {
			freeContext(c)
			return opened{}, err
		}
		f := capture.Format{Channels: int(md.CaptureChannels()), Rate: int(md.SampleRate())}
		switch md.CaptureFormat() {
		case malgo.FormatU8:
			f.Sample = capture.FormatU8
		case malgo.FormatS16:
			f.Sample = capture.FormatS16
		case malgo.FormatS24:
			f.Sample = capture.FormatS24
		case malgo.FormatS32:
			f.Sample = capture.FormatS32
		case malgo.FormatF32:
			f.Sample = capture.FormatF32
		}
		return opened{&malgoHW{ctx: c, dev: md}, f}, nil
	})
	if err != nil {
		if dev == nil {
			// miniaudio's own words ("Failed to open backend device") do not say what to do about it.
			err = fmt.Errorf("%w (no sound server answered and no sound card could record: is a microphone connected, and PulseAudio, PipeWire or ALSA set up?)", err)
		}
		return nil, capture.Format{}, err
	}
	return o.hw, o.f, nil
}
