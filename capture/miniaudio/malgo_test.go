//go:build cgo

package miniaudio

import (
	"strings"
	"testing"

	"github.com/gen2brain/malgo"
	"github.com/verbatim-app/verbatim/capture"
)

func TestDeviceIDRoundTrip(t *testing.T) {
	for _, tc := range []struct {
		name string
		raw  []byte
		want string
	}{
		{"pulse source name", []byte("alsa_input.usb-mic.analog-stereo"), "alsa_input.usb-mic.analog-stereo"},
		{"alsa", []byte("hw:1,0"), "hw:1,0"},
		{"binary", []byte{0x01, 0xff, 0x00, 0x02}, "hex:01ff0002"},
		{"text that looks encoded", []byte("hex:41"), "hex:6865783a3431"},
		{"empty", nil, "hex:"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var id malgo.DeviceID
			copy(id[:], tc.raw)
			s := encodeID(id)
			if s != tc.want {
				t.Fatalf("encodeID = %q, want %q", s, tc.want)
			}
			back, err := decodeID(s)
			if err != nil || back != id {
				t.Fatalf("decodeID(%q) = %v, %v; want the original", s, back[:8], err)
			}
		})
	}
	for _, bad := range []string{"hex:zz", "hex:" + strings.Repeat("00", len(malgo.DeviceID{})+1), strings.Repeat("x", len(malgo.DeviceID{})+1)} {
		if _, err := decodeID(bad); err == nil {
			t.Errorf("decodeID(%q): no error", bad)
		}
	}
}

func TestUnknownBackend(t *testing.T) {
	m := New(nil)
	if _, err := m.Devices(t.Context(), capture.Backend("nosuch")); err == nil || !strings.Contains(err.Error(), `unknown backend "nosuch"`) {
		t.Errorf("Devices: %v", err)
	}
	if _, err := m.Open(t.Context(), capture.Config{Backend: "nosuch"}); err == nil {
		t.Error("Open: no error")
	}
}
