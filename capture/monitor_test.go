package capture

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"
)

func TestMonitorOf(t *testing.T) {
	for _, tc := range []struct {
		id, output string
		ok         bool
	}{
		{"vspeakers.monitor", "vspeakers", true},
		{"alsa_output.pci-0000_00_1f.3.analog-stereo.monitor", "alsa_output.pci-0000_00_1f.3.analog-stereo", true},
		{"vmic", "", false},
		{".monitor", "", false},
		{"hw:1,0", "", false},
		{"monitor", "", false},
	} {
		out, ok := MonitorOf(tc.id)
		if out != tc.output && tc.ok || ok != tc.ok {
			t.Errorf("MonitorOf(%q) = %q, %v; want %q, %v", tc.id, out, ok, tc.output, tc.ok)
		}
	}
}

func TestFindMonitor(t *testing.T) {
	mic := Device{Name: "Built-in microphone", ID: "alsa_input.analog", IsDefault: true}
	speakers := Device{Name: "Monitor of Speakers", ID: "alsa_output.analog.monitor", Monitor: true}
	hdmi := Device{Name: "Monitor of HDMI", ID: "alsa_output.hdmi.monitor", Monitor: true}
	for _, tc := range []struct {
		name    string
		inputs  []Device
		output  string
		want    Device
		errHas  []string // parts of the error; nil: no error
		noMonit bool     // the error is ErrNoMonitor
	}{
		{"the default output's monitor", []Device{mic, hdmi, speakers}, "alsa_output.analog", speakers, nil, false},
		{"the only monitor when the default output is unknown", []Device{mic, speakers}, "", speakers, nil, false},
		{"the only monitor when the default has none listed", []Device{mic, hdmi}, "alsa_output.analog", hdmi, nil, false},
		{"no monitors at all (ALSA)", []Device{mic}, "hw:0,0", Device{}, []string{"PulseAudio or PipeWire"}, true},
		{"no devices", nil, "", Device{}, []string{"PulseAudio or PipeWire"}, true},
		// A name that merely ends like a monitor is not one unless the driver said so.
		{"unmarked", []Device{{Name: "x", ID: "x.monitor"}}, "x", Device{}, []string{"PulseAudio or PipeWire"}, true},
		{"several, no default", []Device{hdmi, speakers}, "", Device{}, []string{"2 monitors", `"Monitor of HDMI"`, `"Monitor of Speakers"`, "no default output"}, true},
		{"several, default without one", []Device{hdmi, speakers}, "bluez_sink", Device{}, []string{`"bluez_sink"`, "name one"}, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, err := FindMonitor(tc.inputs, tc.output)
			if tc.errHas == nil {
				if err != nil || got != tc.want {
					t.Fatalf("FindMonitor = %+v, %v; want %+v", got, err, tc.want)
				}
				return
			}
			if err == nil {
				t.Fatalf("FindMonitor = %+v, want an error", got)
			}
			if tc.noMonit != errors.Is(err, ErrNoMonitor) {
				t.Errorf("errors.Is(%v, ErrNoMonitor) = %v", err, !tc.noMonit)
			}
			for _, part := range tc.errHas {
				if !strings.Contains(err.Error(), part) {
					t.Errorf("error %q does not say %q", err, part)
				}
			}
		})
	}
}

// FirstFrames dates position 0 of the stream: the first callback's time less the audio it carried.
func TestFirstFrames(t *testing.T) {
	d := &fakeDriver{format: Format{Sample: FormatS16, Channels: 2, Rate: 48000}, signal: sine(440, 48000, 0.5),
		frames: 48000, period: 40 * time.Millisecond}
	t0 := time.Now()
	s, err := Open(context.Background(), d, Config{})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Stop(context.Background())
	if got := s.FirstFrames(); !got.IsZero() {
		// The fake's first callback comes a period after Start.
		t.Errorf("FirstFrames %v before any frames", got)
	}
	select {
	case <-s.Ready():
	case <-time.After(2 * time.Second):
		t.Fatal("no frames")
	}
	ready := time.Now()
	got := s.FirstFrames()
	// The first callback carries 40 ms of audio: position 0 was heard 40 ms before it came, and the
	// device started after Open was called.
	if got.Before(t0.Add(-time.Millisecond)) || ready.Sub(got) < 39*time.Millisecond {
		t.Errorf("FirstFrames %v after Open was called, %v before the first frames were seen", got.Sub(t0), ready.Sub(got))
	}
}
