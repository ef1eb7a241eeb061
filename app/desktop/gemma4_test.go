//go:build cgo

package desktop_test

import (
	"bytes"
	"context"
	"io"
	"log/slog"
	"math"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/verbatim-app/verbatim/app/batch"
	"github.com/verbatim-app/verbatim/app/cli"
	"github.com/verbatim-app/verbatim/app/desktop"
	"github.com/verbatim-app/verbatim/app/models"
	"github.com/verbatim-app/verbatim/capture/miniaudio"
	"github.com/verbatim-app/verbatim/inference"
	tg4 "github.com/verbatim-app/verbatim/inference/testmodel/gemma4"
	"github.com/verbatim-app/verbatim/tools/testenv"
)

// Gemma 4 as the window gets it: the 12B-style Hugging Face pair and an E2B-style pair (text GGUF and gemma4a
// mmproj) in the user's models folder and an E2B-style blob in Ollama's store are listed as hearing, the one picked loads through the real engines (what the status bar
// shows comes from Current), the Files tab's queue transcribes a WAV with it into the lines the command
// line gives for that file and model, and Record hears a phrase from PulseAudio's virtual microphone.
func TestGemma4InTheWindowsCatalog(t *testing.T) {
	testenv.RequirePulse(t, []string{"paplay", "espeak-ng"})
	home := t.TempDir()
	data := filepath.Join(home, "data")
	pair := filepath.Join(data, "verbatim", "models")
	if err := os.MkdirAll(pair, 0o755); err != nil {
		t.Fatal(err)
	}
	model, proj, err := tg4.New(tg4.DefaultSpec()).Files(pair)
	if err != nil {
		t.Fatal(err)
	}
	// E2B as llama.cpp publishes it: its text GGUF and gemma4a mmproj, in a folder of their own.
	hfE2B := filepath.Join(pair, "gemma-4-E2B")
	if err := os.MkdirAll(hfE2B, 0o755); err != nil {
		t.Fatal(err)
	}
	e2bText, e2bMmproj := filepath.Join(hfE2B, "gemma-4-E2B-it-Q8_0.gguf"), filepath.Join(hfE2B, "mmproj-gemma-4-E2B-it-f16.gguf")
	if err := tg4.New(tg4.ESpec()).WriteModel(e2bText); err != nil {
		t.Fatal(err)
	}
	if err := tg4.New(tg4.ESpec()).WriteConformerMmproj(e2bMmproj, 2, tg4.Edit{}); err != nil {
		t.Fatal(err)
	}
	e2b := filepath.Join(home, "e2b.gguf")
	if err := tg4.New(tg4.ESpec()).WriteConformerBlob(e2b, 2, tg4.Edit{}); err != nil {
		t.Fatal(err)
	}
	blob, _, err := tg4.OllamaStore(filepath.Join(home, ".ollama", "models"), "e2b", e2b, "")
	if err != nil {
		t.Fatal(err)
	}
	// Only these folders are searched: a home of its own, and no other cache.
	for _, k := range []string{"OLLAMA_MODELS", "HF_HUB_CACHE", "HF_HOME"} {
		t.Setenv(k, "")
	}
	t.Setenv("HOME", home)
	t.Setenv("XDG_DATA_HOME", data)
	t.Setenv("XDG_CACHE_HOME", filepath.Join(home, "cache"))

	engines := inference.Engines()
	cache := filepath.Join(home, "cache", "verbatim")
	cat := desktop.NewCatalog(filepath.Join(cache, "models"), models.DefaultLocations(), slog.New(slog.NewTextHandler(io.Discard, nil)), engines)
	t.Cleanup(func() { cat.Close(context.Background()) })
	queue := desktop.NewQueue(cat.Model)
	t.Cleanup(queue.Close)
	rec := desktop.NewRecorder(cat.Model, miniaudio.New(nil), t.TempDir())
	phrase := spoken(t, "bring the red box to the kitchen")
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()

	listed, err := cat.List(ctx)
	if err != nil {
		t.Fatal(err)
	}
	byID := map[string]desktop.ModelInfo{}
	for _, mi := range listed {
		byID[mi.ID] = mi
	}
	for _, c := range []struct {
		name, model, projector, shown string
	}{
		{"Hugging Face pair", model, proj, "gemma4-synthetic.gguf"},
		{"Ollama E2B blob", blob, blob, "gemma4:e2b"},
		{"Hugging Face E2B pair", e2bText, e2bMmproj, "gemma-4-E2B-it-Q8_0.gguf"},
	} {
		t.Run(c.name, func(t *testing.T) {
			mi, ok := byID[c.model]
			if !ok {
				t.Fatalf("%s is not listed; listed: %+v", c.model, listed)
			}
			// The Models tab offers the listing's first projector with the model.
			if !mi.CanHear || len(mi.Projectors) == 0 || mi.Projectors[0] != c.projector || mi.Name != c.shown {
				t.Fatalf("listed as %+v; want %q, hearing, with projector %s", mi, c.shown, c.projector)
			}
			if err := cat.Load(ctx, desktop.Choice{Model: mi.ID, Projector: mi.Projectors[0]}, nil); err != nil {
				t.Fatalf("load: %v", err)
			}
			if cur := cat.Current(); cur.ID != c.model || cur.Name != c.shown || cur.Backend == "" {
				t.Fatalf("loaded %+v", cur)
			}

			wav := writeTalk(t)
			var out string
			for ev := range queue.Run(ctx, []string{wav}, batch.Options{Format: "txt"}) {
				if ev.Err != nil {
					t.Fatalf("%s: %v", ev.Path, ev.Err)
				}
				if ev.Output != "" {
					out = ev.Output
				}
			}
			got, err := os.ReadFile(out)
			if err != nil {
				t.Fatalf("no transcript: %v", err)
			}
			if strings.TrimSpace(string(got)) == "" {
				t.Fatalf("%s is empty", out)
			}
			var stdout, stderr bytes.Buffer
			env := cli.Env{Stdout: &stdout, Stderr: &stderr, CacheDir: cache, Log: slog.New(slog.NewTextHandler(io.Discard, nil)), Engines: engines}
			if code := cli.Run(ctx, env, []string{"transcribe", "--model", c.model, "--projector", c.projector, "--format", "txt", wav}); code != 0 {
				t.Fatalf("cli exit %d: %s", code, stderr.String())
			}
			// Both decode greedily from the same audio with the same token budget: the same lines.
			if window, cmd := strings.TrimSpace(string(got)), strings.TrimSpace(stdout.String()); window != cmd {
				t.Errorf("the window heard\n%s\nthe command line\n%s", window, cmd)
			}
			t.Logf("%s transcribed: %q", c.shown, strings.TrimSpace(string(got)))

			heard := record(ctx, t, rec, phrase)
			if len(heard) != 1 || strings.TrimSpace(heard[0]) == "" {
				t.Fatalf("recording one phrase gave lines %q", heard)
			}
			t.Logf("%s heard: %q", c.shown, heard[0])
		})
	}
}

// writeTalk writes two tone bursts between silences, as two utterances, into a WAV of its own.
func writeTalk(t *testing.T) string {
	t.Helper()
	var s []float32
	for b := 0; b < 2; b++ {
		s = append(s, make([]float32, 12000)...)
		for i := 0; i < 12000; i++ {
			s = append(s, float32(0.4*math.Sin(2*math.Pi*200*float64(i)/16000)*(0.6+0.4*math.Sin(float64(i)/250))))
		}
	}
	s = append(s, make([]float32, 12000)...)
	path := filepath.Join(t.TempDir(), "talk.wav")
	testenv.WriteWAV(t, path, s)
	return path
}

// spoken is phrase said by espeak-ng, as a WAV.
func spoken(t *testing.T, phrase string) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "phrase.wav")
	if b, err := exec.Command("espeak-ng", "-v", "en-us", "-w", path, phrase).CombinedOutput(); err != nil {
		t.Fatalf("espeak-ng: %v: %s", err, b)
	}
	return path
}

// record presses Record on the default microphone (the virtual one pulse.sh makes), plays wav into it,
// presses Stop and returns the final lines.
func record(ctx context.Context, t *testing.T, rec *desktop.Recorder, wav string) []string {
	t.Helper()
	events, err := rec.Start(ctx, desktop.ListenOptions{})
	if err != nil {
		t.Fatalf("record: %v", err)
	}
	if b, err := exec.Command("paplay", "--device=vmic_sink", wav).CombinedOutput(); err != nil {
		t.Fatalf("paplay: %v: %s", err, b)
	}
	time.Sleep(time.Second) // the silence after the phrase ends the utterance, as when someone stops talking
	if err := rec.Stop(ctx); err != nil {
		t.Fatalf("stop: %v", err)
	}
	var lines []string
	for ev := range events {
		if ev.Err != nil {
			t.Errorf("while recording: %v", ev.Err)
		}
		if ev.Segment != nil && ev.Segment.Final && ev.Segment.Lang == "" {
			lines = append(lines, ev.Segment.Text)
		}
	}
	return lines
}
