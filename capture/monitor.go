package capture

import (
	"context"
	"errors"
	"fmt"
	"strings"
)

// ErrNoMonitor means no input device hears what the computer plays: the audio system offers no
// monitor of its output (ALSA, JACK), or none of the default output.
var ErrNoMonitor = errors.New("no monitor of the output device")

// SystemAudio is implemented by a Microphone that can record what the computer plays (a call's other
// side) as well as the microphone. It is a separate interface so that a Microphone without it (a fake,
// a backend with no monitors) still is one.
type SystemAudio interface {
	// Monitor finds the input device that hears the default output device of audio system b.
	Monitor(ctx context.Context, b Backend) (Device, error)
}

// monitorSuffix ends the name PulseAudio (and PipeWire's PulseAudio server) gives the source that
// hears a sink: "alsa_output.pci-0000_00_1f.3.analog-stereo.monitor". miniaudio reports that name as
// the device ID and has no other mark of a monitor.
const monitorSuffix = ".monitor"

// MonitorOf reports whether the device ID id names a monitor source, and of which output (sink) ID.
func MonitorOf(id string) (output string, ok bool) {
	output, ok = strings.CutSuffix(id, monitorSuffix)
	return output, ok && output != ""
}

// FindMonitor picks, among inputs, the monitor of the output device with ID output ("" when the
// default output is not known): that monitor if it is listed, else the only monitor there is. Several
// monitors and no way to choose is an error that names them.
func FindMonitor(inputs []Device, output string) (Device, error) {
	var monitors []Device
	for _, d := range inputs {
		if !d.Monitor {
			continue
		}
		if sink, _ := MonitorOf(d.ID); output != "" && sink == output {
			return d, nil
		}
		monitors = append(monitors, d)
	}
	switch len(monitors) {
	case 0:
		return Device{}, fmt.Errorf("capture: %w: recording system audio needs PulseAudio or PipeWire", ErrNoMonitor)
	case 1:
		return monitors[0], nil
	}
	var names []string
	for _, d := range monitors {
		names = append(names, fmt.Sprintf("%q", d.Name))
	}
	what := "no default output device"
	if output != "" {
		what = fmt.Sprintf("no monitor of the default output %q", output)
	}
	return Device{}, fmt.Errorf("capture: %w: %s, and %d monitors to choose from (%s): name one",
		ErrNoMonitor, what, len(monitors), strings.Join(names, ", "))
}
