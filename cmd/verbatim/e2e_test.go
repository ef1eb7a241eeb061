package main

// The end-to-end test: the real binary in a real (virtual) X display, hearing speech through a
// virtual microphone, checked the way a person would: by looking at the window (OCR of a screenshot)
// and at the saved session.

import (
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"
	"unicode"

	"github.com/verbatim-app/verbatim/app/transcript"
	"github.com/verbatim-app/verbatim/tools/testenv"
)

// spoken is what the test says: words the bundled demo model was trained on.
const spoken = "please bring the red box to the kitchen"

// keywords must be heard: the words that carry the sentence.
var keywords = []string{"bring", "red", "box", "kitchen"}

func TestEndToEndWindow(t *testing.T) {
	if os.Getenv(testenv.NoSkip) != "1" && os.Getenv("VERBATIM_E2E") != "1" {
		testenv.Unavailable(t, "a minute or two in a virtual display: runs under make test or with VERBATIM_E2E=1")
	}
	testenv.NeedTools(t, "Xvfb", "xdotool", "import", "tesseract", "pulseaudio", "pactl", "paplay", "espeak-ng", "sox")
	bin := binary(t)
	if out, err := exec.Command(bin, "version", "--verbose").CombinedOutput(); err != nil || !strings.Contains(string(out), "bundled demo model: true") {
		t.Fatalf("%s has no bundled demo model (make demo-model, then rebuild): %v\n%s", bin, err, out)
	}

	// Short paths: PulseAudio's socket path must fit in a sockaddr_un.
	dir, err := os.MkdirTemp("", "vbe2e")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(dir) })
	artifacts := artifactDir(t)

	display := testenv.Xvfb(t)
	pulse := startPulse(t, filepath.Join(dir, "pulse"))

	// The app's own folders, so that no saved choice or old session of this machine's user interferes.
	data := filepath.Join(dir, "data")
	env := cleanEnv("DISPLAY="+display, "LANG=en_US.UTF-8", "HOME="+filepath.Join(dir, "home"),
		"XDG_DATA_HOME="+data, "XDG_CONFIG_HOME="+filepath.Join(dir, "config"), "XDG_CACHE_HOME="+filepath.Join(dir, "cache"))
	env = append(env, pulse...)

	var appLog bytes.Buffer
	app := exec.Command(bin)
	app.Env = env
	app.Stdout, app.Stderr = &appLog, &appLog
	if err := app.Start(); err != nil {
		t.Fatal(err)
	}
	exited := make(chan struct{}) // closed once the app is gone; then appErr says how it ended
	var appErr error
	go func() { appErr = app.Wait(); close(exited) }()
	t.Cleanup(func() {
		select {
		case <-exited:
		default:
			app.Process.Kill()
			<-exited
		}
		if t.Failed() {
			t.Logf("verbatim's output:\n%s", appLog.String())
		}
	})

	x := func(args ...string) string {
		t.Helper()
		cmd := exec.Command(args[0], args[1:]...)
		cmd.Env = env
		out, err := cmd.CombinedOutput()
		if err != nil {
			t.Fatalf("%s: %v\n%s", strings.Join(args, " "), err, out)
		}
		return strings.TrimSpace(string(out))
	}
	shot := 0
	screen := func() (string, string) {
		t.Helper()
		shot++
		png := filepath.Join(artifacts, fmt.Sprintf("screen-%02d.png", shot))
		x("import", "-window", "root", png)
		ocr := exec.Command("tesseract", png, "-")
		ocr.Env = env
		text, err := ocr.Output()
		if err != nil {
			t.Fatalf("tesseract %s: %v", png, err)
		}
		return png, string(text)
	}
	// poll looks at the screen until ok says so or limit passes; it returns the last screenshot.
	poll := func(limit time.Duration, ok func(text string) bool) (png, text string, found bool) {
		t.Helper()
		deadline := time.Now().Add(limit)
		for {
			select {
			case <-exited:
				t.Fatalf("verbatim exited: %v", appErr)
			default:
			}
			png, text = screen()
			if ok(text) {
				return png, text, true
			}
			if time.Now().After(deadline) {
				return png, text, false
			}
			time.Sleep(time.Second)
		}
	}
	waitFor := func(what string, limit time.Duration, ok func(text string) bool) {
		t.Helper()
		if png, text, found := poll(limit, ok); !found {
			t.Fatalf("no %s on the screen after %v; screenshot %s shows:\n%s", what, limit, png, text)
		}
	}

	var win string
	for deadline := time.Now().Add(60 * time.Second); ; time.Sleep(300 * time.Millisecond) {
		cmd := exec.Command("xdotool", "search", "--name", "^Verbatim$")
		cmd.Env = env
		out, _ := cmd.Output()
		if f := strings.Fields(string(out)); len(f) > 0 {
			win = f[0]
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("no window named Verbatim appeared")
		}
	}
	t.Logf("window %s on %s", win, display)

	// The bundled demo model loads by itself; its name shows in the status bar.
	waitFor("loaded demo model", 120*time.Second, func(s string) bool {
		return strings.Contains(s, "Verbatim demo") && !strings.Contains(s, "Loading")
	})

	x("xdotool", "windowfocus", "--sync", win)
	x("xdotool", "key", "--clearmodifiers", "ctrl+r")
	waitFor("Listening status", 20*time.Second, func(s string) bool { return strings.Contains(s, "Listening") })
	time.Sleep(2 * time.Second) // the first capture callback takes up to 2 s

	wav := filepath.Join(dir, "speech.wav")
	x("espeak-ng", "-v", "en-us", "-s", "140", "-w", filepath.Join(dir, "espeak.wav"), spoken)
	x("sox", filepath.Join(dir, "espeak.wav"), "-r", "16000", "-c", "1", wav)
	x("paplay", "-d", "vmic_sink", wav)

	final, onScreen, found := poll(60*time.Second, func(s string) bool { return len(missing(s, keywords)) == 0 })
	t.Logf("screenshot after speaking %q: %s", spoken, final)
	if !found {
		t.Errorf("the window does not show %v of %q within 60 s; OCR of %s:\n%s", missing(onScreen, keywords), spoken, final, onScreen)
	}

	// Stop (Ctrl+R again), then end the app as a session manager would (SIGTERM closes the window).
	x("xdotool", "key", "--clearmodifiers", "ctrl+r")
	waitFor("Ready status after Stop", 30*time.Second, func(s string) bool { return strings.Contains(s, "Ready") })
	app.Process.Signal(syscall.SIGTERM)
	select {
	case <-exited:
		if appErr != nil {
			t.Errorf("verbatim exited with %v after SIGTERM", appErr)
		}
	case <-time.After(30 * time.Second):
		t.Error("verbatim did not exit within 30 s of SIGTERM")
	}

	// The saved session holds the same words, and was closed properly.
	journals, _ := filepath.Glob(filepath.Join(data, "verbatim", "sessions", "*", "journal.jsonl"))
	if len(journals) != 1 {
		t.Fatalf("%d session journals under %s, want 1", len(journals), data)
	}
	text := journalText(t, journals[0])
	t.Logf("saved session %s: %q", filepath.Dir(journals[0]), text)
	if m := missing(text, keywords); len(m) > 0 {
		t.Errorf("the saved session lacks %v of %q; it holds %q", m, spoken, text)
	}
	// Whatever was heard, the window showed what was saved.
	var saved []string
	for w := range words(text) {
		if len(w) >= 3 && strings.IndexFunc(w, unicode.IsDigit) < 0 {
			saved = append(saved, w)
		}
	}
	if text == "" {
		t.Error("nothing was saved")
	} else if m := missing(onScreen, saved); len(m) > 0 {
		t.Errorf("the window (%s) lacks saved words %v", final, m)
	}
	meta, err := os.ReadFile(filepath.Join(filepath.Dir(journals[0]), "session.json"))
	if err != nil || !bytes.Contains(meta, []byte(`"complete": true`)) {
		t.Errorf("session not closed properly: %s %v", meta, err)
	}
}

// binary is $VERBATIM_BIN (make test sets it to bin/verbatim), else a fresh build of this package.
func binary(t *testing.T) string {
	if b := os.Getenv("VERBATIM_BIN"); b != "" {
		return b
	}
	b := filepath.Join(t.TempDir(), "verbatim")
	cmd := exec.Command("go", "build", "-o", b, ".")
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	return b
}

// artifactDir keeps the screenshots after the test: $VERBATIM_ARTIFACTS, else a folder in the system's
// temporary directory.
func artifactDir(t *testing.T) string {
	root := os.Getenv("VERBATIM_ARTIFACTS")
	if root == "" {
		root = filepath.Join(os.TempDir(), "verbatim-artifacts")
	}
	dir := filepath.Join(root, "e2e-"+time.Now().Format("20060102-150405"))
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	t.Logf("screenshots in %s", dir)
	return dir
}

// startPulse starts a private PulseAudio with the virtual microphone (tools/testenv/pulse.sh) and
// returns its environment.
func startPulse(t *testing.T, dir string) []string {
	t.Helper()
	script, err := filepath.Abs("../../tools/testenv/pulse.sh")
	if err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(script, "start")
	cmd.Env = append(cleanEnv(), "VERBATIM_PULSE_DIR="+dir)
	// A file, not a pipe: the daemon keeps the script's stderr open, and Output would wait for it.
	stderr, err := os.CreateTemp("", "vbe2e-pulse-*.log")
	if err != nil {
		t.Fatal(err)
	}
	defer os.Remove(stderr.Name())
	defer stderr.Close()
	cmd.Stderr = stderr
	out, err := cmd.Output()
	if err != nil {
		log, _ := os.ReadFile(stderr.Name())
		t.Fatalf("pulse.sh start: %v\n%s", err, log)
	}
	t.Cleanup(func() {
		stop := exec.Command(script, "stop")
		stop.Env = append(cleanEnv(), "VERBATIM_PULSE_DIR="+dir)
		stop.Run()
	})
	var env []string
	for _, line := range strings.Split(string(out), "\n") {
		if kv, ok := strings.CutPrefix(strings.TrimSpace(line), "export "); ok {
			env = append(env, kv)
		}
	}
	return env
}

// cleanEnv is this process's environment without what would steer the app elsewhere (display, sound
// server, languages, folders), plus extra.
func cleanEnv(extra ...string) []string {
	var out []string
	for _, kv := range os.Environ() {
		k, _, _ := strings.Cut(kv, "=")
		switch k {
		case "DISPLAY", "WAYLAND_DISPLAY", "XAUTHORITY", "PULSE_SERVER", "PULSE_SINK", "PULSE_SOURCE", "XDG_RUNTIME_DIR",
			"VERBATIM_PULSE_DIR", "LANGUAGE", "LC_ALL", "LC_MESSAGES", "LANG", "HOME",
			"XDG_DATA_HOME", "XDG_CONFIG_HOME", "XDG_CACHE_HOME":
			continue
		}
		out = append(out, kv)
	}
	return append(out, extra...)
}

// words splits text into lower-case words of letters and digits.
func words(s string) map[string]bool {
	out := map[string]bool{}
	for _, w := range strings.FieldsFunc(strings.ToLower(s), func(r rune) bool { return !unicode.IsLetter(r) && !unicode.IsDigit(r) && r != '\'' }) {
		out[w] = true
	}
	return out
}

// missing lists the words of want that text lacks.
func missing(text string, want []string) []string {
	have := words(text)
	var out []string
	for _, w := range want {
		if !have[w] {
			out = append(out, w)
		}
	}
	return out
}

// journalText is the final spoken text of a session journal.
func journalText(t *testing.T, path string) string {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var parts []string
	for _, line := range bytes.Split(b, []byte("\n")) {
		if len(bytes.TrimSpace(line)) == 0 {
			continue
		}
		var s transcript.Segment
		if err := json.Unmarshal(line, &s); err != nil {
			t.Fatalf("%s: %v", path, err)
		}
		if s.Final && s.Lang == "" {
			parts = append(parts, s.Text)
		}
	}
	return strings.Join(parts, " ")
}
