package batch

import (
	"context"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/verbatim-app/verbatim/app/speech"
	"github.com/verbatim-app/verbatim/capture/audiofile"
)

// fakeModel "hears" how long each utterance is, so tests can check segmentation and plumbing.
type fakeModel struct{ heard int }

type fakeUtt struct {
	m *fakeModel
	n int
}

func (m *fakeModel) StartUtterance(context.Context) (speech.Utterance, error) {
	return &fakeUtt{m: m}, nil
}
func (u *fakeUtt) Release()                                  {}
func (u *fakeUtt) Feed(_ context.Context, s []float32) error { u.n += len(s); return nil }
func (u *fakeUtt) Finish(_ context.Context, targets []string, emit func(string, string)) (map[string]speech.Result, error) {
	u.m.heard++
	out := map[string]speech.Result{}
	for _, t := range targets {
		out[t] = speech.Result{Text: fmt.Sprintf("utterance %d [%s] of %.1f s", u.m.heard, t, float64(u.n)/16000)}
	}
	return out, nil
}

// speechLike is bursts of a modulated tone separated by silence.
func speechLike(bursts int) []float32 {
	var s []float32
	for b := 0; b < bursts; b++ {
		s = append(s, make([]float32, 16000)...)
		for i := 0; i < 16000; i++ {
			s = append(s, float32(0.4*math.Sin(2*math.Pi*220*float64(i)/16000)*(0.6+0.4*math.Sin(float64(i)/300))))
		}
	}
	return append(s, make([]float32, 16000)...)
}

func writeWAV(t *testing.T, path string, s []float32) {
	t.Helper()
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if err := audiofile.EncodeWAV(f, s, 16000); err != nil {
		t.Fatal(err)
	}
}

func TestRunWritesEachFileAndReportsBadOnes(t *testing.T) {
	in, out := t.TempDir(), t.TempDir()
	writeWAV(t, filepath.Join(in, "two.wav"), speechLike(2))
	writeWAV(t, filepath.Join(in, "three.wav"), speechLike(3))
	if err := os.WriteFile(filepath.Join(in, "broken.wav"), []byte("RIFF....WAVEjunk"), 0o644); err != nil {
		t.Fatal(err)
	}
	files := audiofile.Expand([]string{in, filepath.Join(in, "missing.flac")})
	if len(files) != 4 {
		t.Fatalf("expanded to %v", files)
	}
	events := make(chan Event, 100)
	failed := Run(context.Background(), &fakeModel{}, files, Options{Format: "srt", OutDir: out}, events)
	close(events)
	if failed != 2 {
		t.Fatalf("%d failures, want 2 (broken.wav, missing.flac)", failed)
	}
	done := map[string]Event{}
	for ev := range events {
		if ev.Done {
			done[filepath.Base(ev.File)] = ev
		}
	}
	for name, cues := range map[string]int{"two.wav": 2, "three.wav": 3} {
		ev := done[name]
		if ev.Err != nil {
			t.Fatalf("%s: %v", name, ev.Err)
		}
		b, err := os.ReadFile(filepath.Join(out, strings.TrimSuffix(name, ".wav")+".srt"))
		if err != nil {
			t.Fatal(err)
		}
		if got := strings.Count(string(b), " --> "); got != cues {
			t.Fatalf("%s: %d cues, want %d:\n%s", name, got, cues, b)
		}
	}
	for _, name := range []string{"broken.wav", "missing.flac"} {
		if ev := done[name]; ev.Err == nil || !strings.Contains(ev.Err.Error(), name) {
			t.Fatalf("%s: error %v does not name the file", name, ev.Err)
		}
	}
}

func TestOutputNames(t *testing.T) {
	cases := []struct {
		in   string
		opt  Options
		want string
	}{
		{"/a/talk.mp3", Options{Format: "vtt"}, "/a/talk.vtt"},
		{"/a/talk.mp3", Options{Format: "txt", OutDir: "/out"}, "/out/talk.txt"},
		{"/a/talk.mp3", Options{Format: "txt", Translate: "es", OutDir: "/out"}, "/out/talk.es.txt"},
		{"/a/talk.mp3", Options{Format: "json", OutFile: "/x/y.json"}, "/x/y.json"},
	}
	for _, c := range cases {
		if got := Output(c.in, c.opt); got != c.want {
			t.Errorf("Output(%s, %+v) = %s, want %s", c.in, c.opt, got, c.want)
		}
	}
}
