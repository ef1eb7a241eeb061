// Package testenv holds what tests share: the one rule for a missing environment (skip, or fail under
// make test), the private PulseAudio of tools/testenv/pulse.sh, the report lines of a child process under a
// kill -9 test, and synthetic 16 kHz signals.
package testenv

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"testing"
	"time"
)

// NoSkip is the environment variable make test sets: with it, a test that cannot run here fails instead
// of skipping, so a green run never hides a missing tool, device or service.
const NoSkip = "VERBATIM_NO_SKIP"

// Unavailable ends a test that cannot run in this environment: a skip outside make test, a failure under
// it. Only for what the machine lacks; a failure of the code under test is never a reason to call it.
func Unavailable(t testing.TB, format string, args ...any) {
	t.Helper()
	why := fmt.Sprintf(format, args...)
	if os.Getenv(NoSkip) == "1" {
		t.Fatalf("%s=1 (make test) but %s; make deps installs what the tests need", NoSkip, why)
	}
	t.Skip(why)
}

// NeedTools calls Unavailable unless every named program is on the PATH.
func NeedTools(t testing.TB, tools ...string) {
	t.Helper()
	for _, tool := range tools {
		if _, err := exec.LookPath(tool); err != nil {
			Unavailable(t, "%s is not installed", tool)
		}
	}
}

// RequirePulse calls Unavailable when the tools or the private PulseAudio with its virtual microphones are
// missing. sources names the virtual microphones the test needs (default: vmic).
func RequirePulse(t testing.TB, tools []string, sources ...string) {
	t.Helper()
	NeedTools(t, append([]string{"pactl"}, tools...)...)
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Second)
	defer cancel()
	hint := `; start one with: eval "$(tools/testenv/pulse.sh start)"`
	if err := exec.CommandContext(ctx, "pactl", "info").Run(); err != nil {
		Unavailable(t, "no PulseAudio server answers (XDG_RUNTIME_DIR=%s)%s", os.Getenv("XDG_RUNTIME_DIR"), hint)
	}
	if len(sources) == 0 {
		sources = []string{"vmic"}
	}
	for _, src := range sources {
		if err := exec.CommandContext(ctx, "pactl", "get-source-volume", src).Run(); err != nil {
			Unavailable(t, "the server has no virtual microphone %s (not started by tools/testenv/pulse.sh)%s", src, hint)
		}
	}
}
