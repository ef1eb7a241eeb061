package cli

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// runChild runs `verbatim ARGS…` in a child process (libasound writes to file descriptor 2, which an
// in-process Env cannot catch) with extra environment variables.
func runChild(t *testing.T, env []string, args ...string) (code int, stdout, stderr string) {
	t.Helper()
	cmd := exec.Command(os.Args[0], "-test.run", "^$")
	cmd.Env = append(append(os.Environ(), env...), childArgsEnv+"="+strings.Join(args, "\x1f"))
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	err := cmd.Run()
	if ee, ok := err.(*exec.ExitError); ok {
		return ee.ExitCode(), out.String(), errb.String()
	} else if err != nil {
		t.Fatal(err)
	}
	return 0, out.String(), errb.String()
}

// With no sound system (no PulseAudio server, no sound card), miniaudio falls back to probing ALSA, whose
// library printed 35 "ALSA lib" lines on stderr. devices and listen must say what is wrong in one line.
func TestNoSoundSystemIsOneQuietLine(t *testing.T) {
	m, p := listenModel(t)
	dir := t.TempDir()
	emptyConf := filepath.Join(dir, "alsa.conf")
	if err := os.WriteFile(emptyConf, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	base := []string{"PULSE_SERVER=unix:" + filepath.Join(dir, "no-pulse"), "XDG_RUNTIME_DIR=" + dir,
		"XDG_DATA_HOME=" + filepath.Join(dir, "data"), "JACK_NO_START_SERVER=1", "VERBATIM_DEBUG="}
	listen := []string{"listen", "--model", m, "--projector", p, "--threads", "1", "--seconds", "1"}

	// The system's ALSA configuration: on a machine without a card, its "default" and "dsnoop" devices
	// are what produced the flood. A machine with a card may list or record; stderr stays quiet either way.
	for _, args := range [][]string{{"devices"}, listen} {
		_, _, stderr := runChild(t, base, args...)
		if strings.Contains(stderr, "ALSA lib") {
			t.Errorf("verbatim %s with the system's ALSA configuration printed libasound's lines:\n%s", args[0], stderr)
		}
	}

	// An ALSA configuration with no devices at all: nothing can record anywhere.
	env := append(base, "ALSA_CONFIG_PATH="+emptyConf)
	code, stdout, stderr := runChild(t, env, "devices")
	if code != 0 || strings.TrimSpace(stdout) != "No input devices found." || stderr != "" {
		t.Errorf("devices: exit %d, stdout %q, stderr %q; want 0, \"No input devices found.\", nothing", code, stdout, stderr)
	}
	code, _, stderr = runChild(t, env, listen...)
	lines := strings.Split(strings.TrimSpace(stderr), "\n")
	if code != 1 || len(lines) != 1 || !strings.Contains(stderr, "no sound server answered") {
		t.Errorf("listen: exit %d, stderr %q; want exit 1 and one line saying no sound server answered", code, stderr)
	}
	if entries, _ := os.ReadDir(filepath.Join(dir, "data", "verbatim", "sessions")); len(entries) != 0 {
		t.Errorf("listen left session folders behind: %v", entries)
	}
}
