package cli

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/verbatim-app/verbatim/capture/miniaudio"
	"github.com/verbatim-app/verbatim/inference"
	"github.com/verbatim-app/verbatim/tools/testenv"
)

// childArgsEnv makes this test binary run `verbatim ARGS…` (separated by \x1f) and exit, through Main as
// bin/verbatim does (its logging included): the child of the kill -9 test and of the stderr tests.
const childArgsEnv = "VERBATIM_CLI_CHILD_ARGS"

func TestMain(m *testing.M) {
	if a := os.Getenv(childArgsEnv); a != "" {
		os.Exit(Main(strings.Split(a, "\x1f"), inference.Engines(), miniaudio.New(nil)))
	}
	// Commands index what they write into the user's data folder (history.db, sessions): keep the tests'
	// out of the real one. A test that needs its own sets XDG_DATA_HOME itself.
	data, err := os.MkdirTemp("", "verbatim-cli-data-")
	if err != nil {
		panic(err)
	}
	os.Setenv("XDG_DATA_HOME", data)
	code := m.Run()
	os.RemoveAll(data)
	os.Exit(code)
}

// longSpeech writes n repetitions of speechLike (two utterances each) to a WAV in dir.
func longSpeech(t *testing.T, dir string, n int) string {
	t.Helper()
	var s []float32
	for range n {
		s = append(s, speechLike()...)
	}
	p := filepath.Join(dir, "long.wav")
	testenv.WriteWAV(t, p, s)
	return p
}

// segments counts the segments of a JSON transcript.
func segments(t *testing.T, p string) int {
	t.Helper()
	b, err := os.ReadFile(p)
	if err != nil {
		t.Fatal(err)
	}
	var doc struct{ Segments []json.RawMessage }
	if err := json.Unmarshal(b, &doc); err != nil {
		t.Fatalf("%s: %v", p, err)
	}
	return len(doc.Segments)
}

// lines counts the lines of a partial transcript (one a segment).
func lines(t *testing.T, p string) int {
	t.Helper()
	b, err := os.ReadFile(p)
	if err != nil {
		t.Fatal(err)
	}
	return bytes.Count(b, []byte("\n"))
}

// A WAV cut short is transcribed up to the cut: the output holds what was heard, the error names the
// time of the damage, the exit status says the input was damaged, and no partial file is left.
func TestTranscribeDamagedFileKeepsWhatWasHeard(t *testing.T) {
	s := newSynth(t)
	b, err := os.ReadFile(s.wav)
	if err != nil {
		t.Fatal(err)
	}
	cut := filepath.Join(t.TempDir(), "cut.wav")
	// speechLike: speech at 0.75-1.5 s and 2.25-3 s; cut at 2.6 s, inside the second utterance, mid-sample.
	if err := os.WriteFile(cut, b[:44+2*41600+1], 0o644); err != nil {
		t.Fatal(err)
	}
	out := filepath.Join(t.TempDir(), "cut.json")
	code, _, stderr := run(t, "transcribe", "--model", s.model, "--projector", s.projector, "--threads", "1", "--format", "json", "-o", out, cut)
	if code != 1 || !strings.Contains(stderr, "damaged at 0:00:02.600") {
		t.Fatalf("exit %d, stderr %q; want 1 and the time of the damage", code, stderr)
	}
	if n := segments(t, out); n != 2 {
		t.Errorf("%s holds %d lines, want the 2 utterances before and at the cut", out, n)
	}
	if m, _ := filepath.Glob(out + ".partial*"); len(m) != 0 {
		t.Errorf("partial files left: %v", m)
	}
}

// Ctrl-C in the middle of a long file writes what was heard so far, says where, and exits 130.
func TestTranscribeInterruptedKeepsWhatWasHeard(t *testing.T) {
	s := newSynth(t)
	dir := t.TempDir()
	in := longSpeech(t, dir, 60) // 120 utterances
	out := filepath.Join(dir, "long.json")
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	go func() { // Ctrl-C once a few lines are on disk
		for ctx.Err() == nil {
			if b, _ := os.ReadFile(out + ".partial"); bytes.Count(b, []byte("\n")) >= 3 {
				cancel()
				return
			}
			time.Sleep(5 * time.Millisecond)
		}
	}()
	var o, e bytes.Buffer
	code := Run(ctx, Env{Engines: inference.Engines(), Stdout: &o, Stderr: &e, CacheDir: t.TempDir(), Log: DefaultEnv().Log},
		[]string{"transcribe", "--model", s.model, "--projector", s.projector, "--threads", "1", "--format", "json", "-o", out, in})
	if code != 130 || !strings.Contains(e.String(), "what was heard of") {
		t.Fatalf("exit %d, stderr %q; want 130 and where the partial transcript went", code, e.String())
	}
	if n := segments(t, out); n < 3 || n >= 120 {
		t.Errorf("%s holds %d lines, want those heard before Ctrl-C (3 or more, fewer than 120)", out, n)
	}
	if m, _ := filepath.Glob(out + ".partial*"); len(m) != 0 {
		t.Errorf("partial files left: %v", m)
	}
}

// kill -9 in the middle of a long file leaves every line heard so far on disk, in OUT.partial; the next
// run does not replace that file.
func TestTranscribeKilledLeavesPartial(t *testing.T) {
	s := newSynth(t)
	dir := t.TempDir()
	in := longSpeech(t, dir, 200)
	out := filepath.Join(dir, "long.txt")
	cmd := exec.Command(os.Args[0], "-test.run", "^$")
	cmd.Env = append(os.Environ(), childArgsEnv+"="+strings.Join([]string{"transcribe", "--model", s.model,
		"--projector", s.projector, "--threads", "1", "-o", out, in}, "\x1f"))
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(60 * time.Second)
	for {
		if b, _ := os.ReadFile(out + ".partial"); bytes.Count(b, []byte("\n")) >= 5 {
			break
		}
		if time.Now().After(deadline) {
			cmd.Process.Kill()
			t.Fatalf("no 5 lines in %s.partial within a minute; child stderr: %s", out, stderr.String())
		}
		time.Sleep(2 * time.Millisecond)
	}
	if err := cmd.Process.Signal(syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	cmd.Wait()
	if _, err := os.Stat(out); err == nil {
		t.Fatal("the child finished before it was killed: make the input longer")
	}
	n := lines(t, out+".partial")
	if n < 5 {
		t.Errorf("after kill -9, %s.partial holds %d lines, want at least the 5 seen before", out, n)
	}
	code, _, stderr2 := run(t, "transcribe", "--model", s.model, "--projector", s.projector, "--threads", "1", "-o", out, s.wav)
	if code != 0 {
		t.Fatalf("second run: exit %d: %s", code, stderr2)
	}
	if got := lines(t, out+".partial"); got != n {
		t.Errorf("the second run changed the killed run's partial file: %d lines, was %d", got, n)
	}
}
