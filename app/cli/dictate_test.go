package cli

import (
	"context"
	"io"
	"log/slog"
	"os"
	"os/exec"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/verbatim-app/verbatim/capture/miniaudio"
	"github.com/verbatim-app/verbatim/inference"
	"github.com/verbatim-app/verbatim/tools/testenv"
	"github.com/verbatim-app/verbatim/ui/wayland/portaltest"
)

// dictateLines collects the command's stderr and signals each line.
type dictateLines struct {
	mu    sync.Mutex
	all   strings.Builder
	lines chan string
}

func (d *dictateLines) Write(p []byte) (int, error) {
	d.mu.Lock()
	defer d.mu.Unlock()
	d.all.Write(p)
	for _, l := range strings.Split(strings.TrimRight(string(p), "\n"), "\n") {
		select {
		case d.lines <- l:
		default:
		}
	}
	return len(p), nil
}

func (d *dictateLines) String() string {
	d.mu.Lock()
	defer d.mu.Unlock()
	return d.all.String()
}

// The whole of dictation as a person uses it: `verbatim dictate` on the demo model, an xterm with the
// focus, the shortcut held (xdotool) while the sentence is spoken into the virtual microphone, then
// released: the xterm receives the sentence (or its translation, accents and ¿ included), and SIGTERM
// (the context's end) stops the command cleanly.
func TestDictateIntoXTerm(t *testing.T) {
	testenv.RequirePulse(t, []string{"paplay", "espeak-ng", "xdotool", "xterm", "Xvfb", "xprop"})
	display := testenv.Xvfb(t)
	t.Setenv("DISPLAY", display)
	for _, tc := range []struct {
		name, say string
		args      []string
		want      []string // all of these arrive
		exact     string   // when set, the whole text
	}{
		{name: "transcript", say: "please bring the red box to the kitchen", want: []string{"bring", "red", "box", "kitchen"},
			exact: "Please bring the red box to the kitchen."},
		{name: "translation", say: "where is the phone", args: []string{"--translate", "es"}, want: []string{"¿", "Dónde", "está", "teléfono"},
			exact: "¿Dónde está el teléfono?"},
		// Pasted through the clipboard: the xterm pastes the CLIPBOARD on Ctrl+Shift+V (bound in the
		// resources below, as people who paste in xterm do), which the Paster sends to terminals.
		{name: "paste", say: "where is the phone", args: []string{"--translate", "es", "--paste"}, want: []string{"¿", "Dónde", "está", "teléfono"},
			exact: "¿Dónde está el teléfono?"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if slices.Contains(tc.args, "--paste") {
				res := exec.Command("xprop", "-root", "-format", "RESOURCE_MANAGER", "8s", "-set", "RESOURCE_MANAGER",
					"XTerm*VT100.translations: #override Ctrl Shift <Key>V: insert-selection(CLIPBOARD)\n")
				res.Env = append(os.Environ(), "DISPLAY="+display)
				if out, err := res.CombinedOutput(); err != nil {
					t.Fatalf("xprop: %v: %s", err, out)
				}
			}
			file := testenv.XTerm(t, display)
			wav := listenSpeech(t, tc.say)
			stderr := &dictateLines{lines: make(chan string, 100)}
			ctx, cancel := context.WithCancel(context.Background())
			defer cancel()
			env := Env{Engines: inference.Engines(), Mic: miniaudio.New(nil), Stdout: io.Discard, Stderr: stderr, CacheDir: t.TempDir(), Log: slog.New(slog.NewTextHandler(io.Discard, nil))}
			code := make(chan int, 1)
			go func() { code <- Run(ctx, env, append([]string{"dictate", "--backend", "pulseaudio"}, tc.args...)) }()
			timeout := time.After(60 * time.Second)
		wait:
			for {
				select {
				case l := <-stderr.lines:
					if strings.Contains(l, "ready") {
						break wait
					}
				case c := <-code:
					t.Fatalf("dictate ended early with %d: %s", c, stderr)
				case <-timeout:
					t.Fatalf("dictate not ready after 60 s: %s", stderr)
				}
			}
			xdotool := func(args ...string) {
				t.Helper()
				cmd := exec.Command("xdotool", args...)
				cmd.Env = append(os.Environ(), "DISPLAY="+display)
				if out, err := cmd.CombinedOutput(); err != nil {
					t.Fatalf("xdotool %v: %v: %s", args, err, out)
				}
			}
			xdotool("keydown", "ctrl+alt+space")
			time.Sleep(300 * time.Millisecond) // the person presses, then speaks
			if out, err := exec.Command("paplay", "--device=vmic_sink", wav).CombinedOutput(); err != nil {
				t.Fatalf("paplay: %v: %s", err, out)
			}
			time.Sleep(200 * time.Millisecond)
			xdotool("keyup", "ctrl+alt+space")
			deadline := time.Now().Add(20 * time.Second)
			var got string
			for {
				b, _ := os.ReadFile(file)
				got = string(b)
				if missing(got, tc.want) == nil || time.Now().After(deadline) {
					break
				}
				time.Sleep(50 * time.Millisecond)
			}
			time.Sleep(300 * time.Millisecond) // anything typed twice would show now
			b, _ := os.ReadFile(file)
			got = string(b)
			t.Logf("the xterm received %q", got)
			if m := missing(got, tc.want); m != nil {
				t.Fatalf("the xterm received %q: %v missing; stderr:\n%s", got, m, stderr)
			}
			if got != tc.exact {
				t.Errorf("the xterm received %q, want %q", got, tc.exact)
			}
			cancel() // SIGTERM
			select {
			case c := <-code:
				if c != 0 {
					t.Errorf("exit %d after SIGTERM: %s", c, stderr)
				}
			case <-time.After(15 * time.Second):
				t.Fatal("dictate did not exit within 15 s of SIGTERM")
			}
		})
	}
}

// missing lists the wanted pieces that text lacks.
func missing(text string, want []string) []string {
	var m []string
	for _, w := range want {
		if !strings.Contains(text, w) {
			m = append(m, w)
		}
	}
	return m
}

// On Wayland without DISPLAY, `verbatim dictate` asks the session bus's portal and says plainly what is
// missing or refused, before loading any model.
func TestDictateWaylandPortal(t *testing.T) {
	for _, tc := range []struct {
		name      string
		wayland   bool
		configure func(*portaltest.Portal)
		says      string
	}{
		{"no display at all", false, nil, "neither DISPLAY (X11) nor WAYLAND_DISPLAY is set"},
		{"portal without GlobalShortcuts", true, func(p *portaltest.Portal) { p.Version = 0 }, "this Wayland desktop's portal has no GlobalShortcuts: version 0"},
		{"the user refuses the shortcut", true, func(p *portaltest.Portal) { p.Deny = 1 }, "the request was cancelled (response 1)"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			addr := portaltest.Bus(t)
			portaltest.New(t, addr, tc.configure)
			t.Setenv("DISPLAY", "")
			t.Setenv("WAYLAND_DISPLAY", "")
			if tc.wayland {
				t.Setenv("WAYLAND_DISPLAY", "wayland-0")
			}
			t.Setenv("DBUS_SESSION_BUS_ADDRESS", addr)
			code, _, stderr := run(t, "dictate")
			if code == 0 || !strings.Contains(stderr, tc.says) {
				t.Fatalf("exit %d, stderr %q; want a failure saying %q", code, stderr, tc.says)
			}
		})
	}
}
