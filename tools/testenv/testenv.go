// Package testenv holds what tests share: the private PulseAudio of tools/testenv/pulse.sh, the report
// lines of a child process under a kill -9 test, and synthetic 16 kHz signals.
package testenv

import (
	"context"
	"os"
	"os/exec"
	"testing"
	"time"
)

// RequirePulse skips a test when the tools or the private PulseAudio with its virtual microphones are
// missing, or fails it when VERBATIM_REQUIRE_AUDIO=1 (make test), so CI cannot pass by silently testing
// nothing. sources names the virtual microphones the test needs (default: vmic).
func RequirePulse(t testing.TB, tools []string, sources ...string) {
	t.Helper()
	miss := func(why string) {
		if os.Getenv("VERBATIM_REQUIRE_AUDIO") == "1" {
			t.Fatalf("VERBATIM_REQUIRE_AUDIO=1 but %s; start one with: eval \"$(tools/testenv/pulse.sh start)\"", why)
		}
		t.Skipf("no audio: %s", why)
	}
	for _, tool := range append([]string{"pactl"}, tools...) {
		if _, err := exec.LookPath(tool); err != nil {
			miss(tool + " is not installed")
		}
	}
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Second)
	defer cancel()
	if err := exec.CommandContext(ctx, "pactl", "info").Run(); err != nil {
		miss("no PulseAudio server answers (XDG_RUNTIME_DIR=" + os.Getenv("XDG_RUNTIME_DIR") + ")")
	}
	if len(sources) == 0 {
		sources = []string{"vmic"}
	}
	for _, src := range sources {
		if err := exec.CommandContext(ctx, "pactl", "get-source-volume", src).Run(); err != nil {
			miss("the server has no virtual microphone " + src + " (not started by tools/testenv/pulse.sh)")
		}
	}
}
