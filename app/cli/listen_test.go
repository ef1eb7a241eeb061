package cli

import (
	"bytes"
	"context"
	"io"
	"log/slog"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/verbatim-app/verbatim/app/session"
	"github.com/verbatim-app/verbatim/app/transcript"
	"github.com/verbatim-app/verbatim/capture/audiofile"
	"github.com/verbatim-app/verbatim/capture/miniaudio"
	"github.com/verbatim-app/verbatim/capture/pcm"
	"github.com/verbatim-app/verbatim/inference"
	"github.com/verbatim-app/verbatim/inference/testmodel"
	"github.com/verbatim-app/verbatim/tools/testenv"
)

func TestListenFormatLine(t *testing.T) {
	for _, tc := range []struct {
		seg        transcript.Segment
		timestamps bool
		want       string
	}{
		{transcript.Segment{Start: 1200 * time.Millisecond, End: 3100 * time.Millisecond, Text: "hello there"}, false, "hello there"},
		{transcript.Segment{Start: 1200 * time.Millisecond, End: 3100 * time.Millisecond, Text: "hello there"}, true, "[00:01.20 → 00:03.10] hello there"},
		{transcript.Segment{Start: 1200 * time.Millisecond, End: 3100 * time.Millisecond, Text: "hola", Lang: "es"}, false, "[es] hola"},
		{transcript.Segment{Start: 1200 * time.Millisecond, End: 3100 * time.Millisecond, Text: "hola", Lang: "es"}, true, "[00:01.20 → 00:03.10] [es] hola"},
		{transcript.Segment{Start: 61*time.Minute + 2*time.Second + 4*time.Millisecond, End: 62 * time.Minute, Text: "late"}, true, "[1:01:02.00 → 1:02:00.00] late"},
		{transcript.Segment{Start: 59*time.Second + 996*time.Millisecond, End: time.Minute, Text: " two\nlines  "}, true, "[01:00.00 → 01:00.00] two lines"},
	} {
		if got := formatLine(tc.seg, tc.timestamps); got != tc.want {
			t.Errorf("formatLine(%+v, %v) = %q, want %q", tc.seg, tc.timestamps, got, tc.want)
		}
	}
}

// listenEnv runs the command with buffers for stdout and stderr; stderr's lines are also sent to lines.
type listenEnv struct {
	stdout bytes.Buffer
	mu     sync.Mutex
	stderr bytes.Buffer
	lines  chan string
}

func (e *listenEnv) Write(p []byte) (int, error) {
	e.mu.Lock()
	defer e.mu.Unlock()
	e.stderr.Write(p)
	for _, l := range strings.Split(strings.TrimRight(string(p), "\n"), "\n") {
		select {
		case e.lines <- l:
		default:
		}
	}
	return len(p), nil
}

func (e *listenEnv) run(ctx context.Context, t *testing.T, args ...string) int {
	t.Helper()
	env := Env{Engines: inference.Engines(), Mic: miniaudio.New(nil), Stdout: &e.stdout, Stderr: e, CacheDir: t.TempDir(), Log: slog.New(slog.NewTextHandler(io.Discard, nil))}
	return Run(ctx, env, append([]string{"listen"}, args...))
}

func listenModel(t *testing.T) (model, projector string) {
	t.Helper()
	spec := testmodel.DefaultSpec()
	spec.Scale = 3 // peaky enough to say words rather than only control tokens
	m, p, err := testmodel.New(spec).Files(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	return m, p
}

func TestListenUsage(t *testing.T) {
	for _, args := range [][]string{
		{"--seconds", "-1"},
		{"extra"},
		{"--no-such-flag"},
		{"--model", "x.gguf"}, // no projector
	} {
		e := &listenEnv{lines: make(chan string, 100)}
		if code := e.run(context.Background(), t, args...); code != 2 {
			t.Errorf("listen %q: exit %d, want 2 (stderr %q)", args, code, e.stderr.String())
		}
	}
}

// The whole command on miniaudio's null device (silence, no sound server needed): it listens for the
// given time, prints nothing for silence, and exits 0.
func TestListenSilenceForSeconds(t *testing.T) {
	m, p := listenModel(t)
	e := &listenEnv{lines: make(chan string, 100)}
	t0 := time.Now()
	code := e.run(context.Background(), t, "--model", m, "--projector", p, "--threads", "1", "--backend", "null", "--seconds", "1", "--no-session")
	el := time.Since(t0)
	if code != 0 || e.stdout.Len() != 0 || el > 10*time.Second {
		t.Errorf("exit %d after %v; stdout %q; stderr %q", code, el, e.stdout.String(), e.stderr.String())
	}
}

// Speech played into PulseAudio's virtual microphone: one line per phrase, and Ctrl-C (the context
// cancelled) right after the last phrase still prints it, saves the session and exits 0.
func TestListenPulse(t *testing.T) {
	testenv.RequirePulse(t, []string{"paplay", "espeak-ng"})
	m, p := listenModel(t)
	wav := listenSpeech(t, "bring the red box to the kitchen", "hello world", "at five please")
	data := t.TempDir()
	t.Setenv("XDG_DATA_HOME", data)
	e := &listenEnv{lines: make(chan string, 100)}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	codec := make(chan int, 1)
	go func() {
		codec <- e.run(ctx, t, "--model", m, "--projector", p, "--threads", "1", "--backend", "pulseaudio", "--timestamps")
	}()
	timeout := time.After(30 * time.Second)
wait:
	for {
		select {
		case l := <-e.lines:
			if strings.Contains(l, "listening on") {
				break wait
			}
		case code := <-codec:
			t.Fatalf("listen ended early with %d: %s", code, e.stderr.String())
		case <-timeout:
			t.Fatalf("not listening after 30 s: %s", e.stderr.String())
		}
	}
	if out, err := exec.Command("paplay", "--device=vmic_sink", wav).CombinedOutput(); err != nil {
		t.Fatalf("paplay: %v: %s", err, out)
	}
	cancel() // Ctrl-C right after the last phrase: it has had no trailing silence yet
	var code int
	select {
	case code = <-codec:
	case <-time.After(30 * time.Second):
		t.Fatal("listen did not exit within 30 s of Ctrl-C")
	}
	out := strings.TrimRight(e.stdout.String(), "\n")
	t.Logf("stdout:\n%s\nstderr:\n%s", out, e.stderr.String())
	if code != 0 {
		t.Fatalf("exit %d", code)
	}
	lines := strings.Split(out, "\n")
	if len(lines) != 3 {
		t.Fatalf("%d lines for 3 phrases", len(lines))
	}
	for _, l := range lines {
		if !strings.HasPrefix(l, "[00:") || !strings.Contains(l, " → ") {
			t.Errorf("line %q has no timestamps", l)
		}
	}
	infos, err := session.List(filepath.Join(data, "verbatim", "sessions"))
	if err != nil || len(infos) != 1 || !infos[0].Complete || len(infos[0].Segments) != 3 {
		t.Errorf("sessions %+v, %v: want one complete session with 3 segments", infos, err)
	}
}

// listenSpeech writes phrases spoken by espeak-ng, 1.5 s apart, as a 16 kHz WAV; the last one ends
// the file with no pause after it.
func listenSpeech(t *testing.T, phrases ...string) string {
	t.Helper()
	dir := t.TempDir()
	var all []float32
	for i, p := range phrases {
		raw := filepath.Join(dir, "p.wav")
		if b, err := exec.Command("espeak-ng", "-v", "en-us", "-w", raw, p).CombinedOutput(); err != nil {
			t.Fatalf("espeak-ng: %v: %s", err, b)
		}
		a, err := audiofile.DecodeFile(raw)
		if err != nil {
			t.Fatal(err)
		}
		if i > 0 {
			all = append(all, make([]float32, 24000)...)
		}
		all = append(all, a.Samples...)
	}
	path := filepath.Join(dir, "speech.wav")
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if err := pcm.EncodeWAV(f, all, pcm.Rate); err != nil {
		t.Fatal(err)
	}
	return path
}
