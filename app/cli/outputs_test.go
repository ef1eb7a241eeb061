package cli

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"

	"github.com/verbatim-app/verbatim/app/batch"
	"github.com/verbatim-app/verbatim/app/session"
	"github.com/verbatim-app/verbatim/app/transcript"
	"github.com/verbatim-app/verbatim/tools/testenv"
)

func TestOutputNames(t *testing.T) {
	cases := []struct {
		name  string
		files []string
		opt   batch.Options
		want  []string
	}{
		{"same stem, two formats, into a folder", []string{"rec/talk.wav", "rec/talk.mp3", "rec/other.wav"},
			batch.Options{Format: "txt", OutDir: "out"}, []string{"out/talk.wav.txt", "out/talk.mp3.txt", "out/other.txt"}},
		{"same name in two folders, into a folder", []string{"rec/day1/meeting.wav", "rec/day2/meeting.wav"},
			batch.Options{Format: "srt", OutDir: "out"}, []string{"out/day1/meeting.srt", "out/day2/meeting.srt"}},
		{"same stem beside the inputs, translated", []string{"rec/talk.wav", "rec/talk.flac"},
			batch.Options{Format: "vtt", Translate: "es"}, []string{"rec/talk.wav.es.vtt", "rec/talk.flac.es.vtt"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			got, err := outputs(c.files, c.opt)
			if err != nil {
				t.Fatal(err)
			}
			if strings.Join(got, " ") != strings.Join(c.want, " ") {
				t.Errorf("outputs %v, want %v", got, c.want)
			}
		})
	}
}

// An existing file is never replaced without --overwrite, and the refusal comes before the model is
// even loaded (these model paths do not exist).
func TestTranscribeRefusesToReplace(t *testing.T) {
	s := newSynth(t)
	other := filepath.Join(s.dir, "other.wav")
	copyFile(t, s.wav, other)
	notes := filepath.Join(s.dir, "notes.txt")
	beside := filepath.Join(s.dir, "talk.txt")
	cases := []struct {
		name     string
		existing string
		args     []string
	}{
		{"beside the input", beside, []string{other, s.wav}},
		{"-o FILE", notes, []string{"-o", notes, s.wav}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			if err := os.WriteFile(c.existing, []byte("hand-written\n"), 0o644); err != nil {
				t.Fatal(err)
			}
			defer os.Remove(c.existing)
			args := append([]string{"transcribe", "--model", "/no/such/model.gguf", "--projector", "/no/such/mmproj.gguf"}, c.args...)
			code, _, errOut := run(t, args...)
			if code != 1 || !strings.Contains(errOut, c.existing+": output exists (pass --overwrite") {
				t.Errorf("exit %d, stderr %q", code, errOut)
			}
			if b, _ := os.ReadFile(c.existing); string(b) != "hand-written\n" {
				t.Errorf("%s now holds %q", c.existing, b)
			}
		})
	}
}

func TestTranscribeOutputs(t *testing.T) {
	s := newSynth(t)
	silent := filepath.Join(s.dir, "silent.wav")
	testenv.WriteWAV(t, silent, make([]float32, 32000))
	day1, day2 := filepath.Join(s.dir, "rec", "day1", "talk.wav"), filepath.Join(s.dir, "rec", "day2", "talk.wav")
	copyFile(t, s.wav, day1)
	copyFile(t, s.wav, day2)
	notes := filepath.Join(s.dir, "notes.txt")
	out := filepath.Join(t.TempDir(), "out")
	model := []string{"transcribe", "--model", s.model, "--projector", s.projector}
	cases := []struct {
		name   string
		setup  func()
		args   []string
		stdout string // in stdout
		stderr string // in stderr
		check  func(t *testing.T)
	}{
		{"flags after the file names", nil, []string{s.wav, "--format", "srt"}, " --> ", "", nil},
		{"silence says so", nil, []string{silent}, "", "no speech found in " + silent, nil},
		{"threads capped at the cores", nil, []string{"--threads", fmt.Sprint(runtime.NumCPU() + 1), s.wav}, "",
			fmt.Sprintf("--threads %d is more than the %d cores here; using %d", runtime.NumCPU()+1, runtime.NumCPU(), runtime.NumCPU()), nil},
		{"same names in two folders", nil, []string{"-o", out, day1, day2}, "", "", func(t *testing.T) {
			for _, d := range []string{"day1", "day2"} {
				if b, err := os.ReadFile(filepath.Join(out, d, "talk.txt")); err != nil || len(b) == 0 {
					t.Errorf("%s/talk.txt: %v %q", d, err, b)
				}
			}
		}},
		{"--overwrite keeps the mode", func() {
			os.WriteFile(notes, []byte("hand-written\n"), 0o644)
			os.Chmod(notes, 0o644)
		}, []string{"--overwrite", "-o", notes, s.wav}, "", "", func(t *testing.T) {
			st, err := os.Stat(notes)
			b, _ := os.ReadFile(notes)
			if err != nil || st.Mode().Perm() != 0o644 || string(b) == "hand-written\n" || len(b) == 0 {
				t.Errorf("notes.txt: %v, mode %v, %q", err, st.Mode().Perm(), b)
			}
		}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			if c.setup != nil {
				c.setup()
			}
			code, stdout, stderr := run(t, append(append([]string{}, model...), c.args...)...)
			if code != 0 || !strings.Contains(stdout, c.stdout) || !strings.Contains(stderr, c.stderr) {
				t.Fatalf("exit %d\nstdout %q (want %q)\nstderr %q (want %q)", code, stdout, c.stdout, stderr, c.stderr)
			}
			if c.check != nil {
				c.check(t)
			}
		})
	}
}

func TestModelFlagBounds(t *testing.T) {
	s := newSynth(t)
	for _, ctx := range []string{"-5", "100000000", "10"} {
		code, _, errOut := run(t, "transcribe", "--model", s.model, "--projector", s.projector, "--ctx", ctx, s.wav)
		if code != 2 || !strings.Contains(errOut, "--ctx "+ctx) {
			t.Errorf("--ctx %s: exit %d, stderr %q; want exit 2", ctx, code, errOut)
		}
	}
}

// sessions lists crashed and finished sessions, recover writes one's transcript, remove deletes one.
func TestSessionsCommand(t *testing.T) {
	data := t.TempDir()
	t.Setenv("XDG_DATA_HOME", data)
	root := filepath.Join(data, "verbatim", "sessions")
	record := func(text string, crash bool) string {
		s, err := session.Create(root)
		if err != nil {
			t.Fatal(err)
		}
		s.WriteAudio(make([]float32, 16000))
		s.AppendSegment(transcript.Segment{ID: 1, Text: text, Final: true})
		s.AppendSegment(transcript.Segment{ID: 1, Text: text + " (es)", Lang: "es", Final: true})
		if crash {
			s.Abandon()
		} else {
			s.Close()
		}
		return filepath.Base(s.Dir())
	}
	done := record("all done", false)
	crashed := record("lost words", true)
	cases := []struct {
		args   []string
		code   int
		stdout string // in stdout, spaces and tabs counting as one
	}{
		{[]string{"sessions"}, 0, crashed + " crashed"},
		{[]string{"sessions", "list"}, 0, done + " finished"},
		{[]string{"sessions", "recover", crashed}, 0, "lost words\n"},
		{[]string{"sessions", "list"}, 0, crashed + " finished"}, // recovered: no longer offered
		{[]string{"sessions", "recover", "--lang", "es", done}, 0, "all done (es)\n"},
		{[]string{"sessions", "remove", "../" + done}, 1, ""},
		{[]string{"history", "search", "done"}, 0, "all done"}, // imported into the history at its first use
		{[]string{"sessions", "remove", done}, 0, ""},
		{[]string{"sessions", "recover", done}, 1, ""},
		{[]string{"sessions", "frob", done}, 2, ""},
	}
	for _, c := range cases {
		code, stdout, stderr := run(t, c.args...)
		if code != c.code || !strings.Contains(squeeze(stdout), c.stdout) {
			t.Errorf("%v: exit %d (want %d)\nstdout %q (want %q)\nstderr %q", c.args, code, c.code, stdout, c.stdout, stderr)
		}
	}
	if _, err := os.Stat(filepath.Join(root, done)); !os.IsNotExist(err) {
		t.Errorf("removed session still there: %v", err)
	}
	if _, stdout, _ := run(t, "history", "search", "done"); strings.Contains(stdout, "all done") {
		t.Errorf("the removed session is still in the history: %q", stdout)
	}
	// Its rows left with its folder: a reindex finds nothing of it to drop.
	if _, _, stderr := run(t, "history", "reindex"); strings.Contains(stderr, "dropped") {
		t.Errorf("remove left the session's rows in the history: %q", stderr)
	}
}

func copyFile(t *testing.T, from, to string) {
	t.Helper()
	b, err := os.ReadFile(from)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.MkdirAll(filepath.Dir(to), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(to, b, 0o644); err != nil {
		t.Fatal(err)
	}
}

// squeeze makes each run of spaces one space, as tables are compared.
func squeeze(s string) string {
	var lines []string
	for _, l := range strings.Split(s, "\n") {
		lines = append(lines, strings.Join(strings.Fields(l), " "))
	}
	return strings.Join(lines, "\n")
}

// listen that cannot open a microphone leaves no empty session folder behind.
func TestListenWithoutMicrophoneLeavesNoSession(t *testing.T) {
	m, p := listenModel(t)
	data := t.TempDir()
	t.Setenv("XDG_DATA_HOME", data)
	e := &listenEnv{lines: make(chan string, 100)}
	code := e.run(context.Background(), t, "--model", m, "--projector", p, "--threads", "1", "--backend", "null", "--device", "no such mic")
	entries, _ := os.ReadDir(filepath.Join(data, "verbatim", "sessions"))
	if code != 1 || len(entries) != 0 || strings.Contains(e.stderr.String(), "session saved") {
		t.Errorf("exit %d, sessions %v, stderr %q", code, entries, e.stderr.String())
	}
}
