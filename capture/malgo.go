//go:build cgo

package capture

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
)

// malgoDriver captures through miniaudio.
type malgoDriver struct {
	backends []malgo.Backend // nil: miniaudio's automatic order
	log      *slog.Logger
}

func newMalgoDriver(b Backend, log *slog.Logger) (Driver, error) {
	quietALSA()
	d := &malgoDriver{log: log}
	switch b {
	case BackendAuto:
	case BackendPulseAudio:
		d.backends = []malgo.Backend{malgo.BackendPulseaudio}
	case BackendALSA:
		d.backends = []malgo.Backend{malgo.BackendAlsa}
	case BackendJACK:
		d.backends = []malgo.Backend{malgo.BackendJack}
	case BackendCoreAudio:
		d.backends = []malgo.Backend{malgo.BackendCoreaudio}
	case BackendWASAPI:
		d.backends = []malgo.Backend{malgo.BackendWasapi}
	case BackendNull:
		// malgo's constant is off by one: miniaudio's enum has a custom backend before null.
		d.backends = []malgo.Backend{malgo.Backend(malgo.BackendNull + 1)}
	default:
		return nil, fmt.Errorf("capture: unknown backend %q", b)
	}
	return d, nil
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

func (d *malgoDriver) Devices(ctx context.Context) ([]Device, error) {
	return bounded(ctx, func() ([]Device, error) {
		c, err := d.initContext()
		if err != nil {
			return nil, fmt.Errorf("audio system: %w", err)
		}
		defer freeContext(c)
		infos, err := c.Devices(malgo.Capture)
		if err != nil {
			return nil, err
		}
		devs := make([]Device, 0, len(infos))
		for _, in := range infos {
			devs = append(devs, Device{Name: in.Name(), ID: encodeID(in.ID), IsDefault: in.IsDefault != 0})
		}
		return devs, nil
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

func (d *malgoDriver) Open(ctx context.Context, dev *Device, data func([]byte), stopped func()) (Hardware, Format, error) {
	type opened struct {
		hw *malgoHW
		f  Format
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
		f := Format{Channels: int(md.CaptureChannels()), Rate: int(md.SampleRate())}
		switch md.CaptureFormat() {
		case malgo.FormatU8:
			f.Sample = FormatU8
		case malgo.FormatS16:
			f.Sample = FormatS16
		case malgo.FormatS24:
			f.Sample = FormatS24
		case malgo.FormatS32:
			f.Sample = FormatS32
		case malgo.FormatF32:
			f.Sample = FormatF32
		}
		return opened{&malgoHW{ctx: c, dev: md}, f}, nil
	})
	if err != nil {
		return nil, Format{}, err
	}
	return o.hw, o.f, nil
}
