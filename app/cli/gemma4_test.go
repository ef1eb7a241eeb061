package cli

import (
	"context"
	"encoding/json"
	"path/filepath"
	"strings"
	"testing"

	tg4 "github.com/verbatim-app/verbatim/inference/testmodel/gemma4"
	"github.com/verbatim-app/verbatim/tools/testenv"
	"github.com/verbatim-app/verbatim/tools/textnorm"
)

// newGemma4 writes the tiny synthetic Gemma 4 (text GGUF + gemma4ua mmproj, as downloaded from Hugging
// Face) and the two-utterance talk.
func newGemma4(t *testing.T) synth {
	t.Helper()
	return synthFrom(t, tg4.New(tg4.DefaultSpec()).Files)
}

// transcribe and translate run through ollama's Go engine, chosen by general.architecture.
func TestGemma4TranscribesThroughTheCLI(t *testing.T) {
	s := newGemma4(t)
	for _, args := range [][]string{{}, {"--translate", "es"}} {
		t.Run(strings.Join(append([]string{"transcribe"}, args...), " "), func(t *testing.T) {
			code, out, errOut := run(t, append([]string{"transcribe", "--model", s.model, "--projector", s.projector, "--format", "json"}, append(args, s.wav)...)...)
			if code != 0 {
				t.Fatalf("exit %d: %s", code, errOut)
			}
			var doc struct {
				Segments []struct {
					Start, End float64
					Text       string
				}
			}
			if err := json.Unmarshal([]byte(out), &doc); err != nil || len(doc.Segments) != 2 {
				t.Fatalf("want two segments (%v):\n%s", err, out)
			}
			for _, seg := range doc.Segments {
				if strings.TrimSpace(seg.Text) == "" || seg.End <= seg.Start {
					t.Fatalf("empty or inverted segment:\n%s", out)
				}
			}
		})
	}
}

func TestGemma4ModelsListsIt(t *testing.T) {
	s := newGemma4(t)
	code, out, errOut := run(t, "models", s.model, s.projector)
	if code != 0 || !strings.Contains(out, "gemma4,") || !strings.Contains(out, "gemma4ua") || strings.Contains(out, "unusable") ||
		strings.Contains(out, "text only") {
		t.Fatalf("exit %d:\n%s%s", code, out, errOut)
	}
}

// A Gemma 4 file missing a tensor is one line naming it, not a crash inside ggml.
func TestGemma4BrokenFileIsOneLine(t *testing.T) {
	s := newGemma4(t)
	bad := filepath.Join(s.dir, "broken.gguf")
	err := tg4.New(tg4.DefaultSpec()).WriteEdited(bad, tg4.Edit{Tensor: func(name string, shape []uint64) []uint64 {
		if name == "blk.3.attn_q.weight" {
			return nil
		}
		return shape
	}})
	if err != nil {
		t.Fatal(err)
	}
	code, _, errOut := run(t, "transcribe", "--model", bad, "--projector", s.projector, s.wav)
	if code == 0 || !strings.Contains(errOut, "blk.3.attn_q.weight is missing") || strings.Count(strings.TrimSpace(errOut), "\n") > 0 {
		t.Fatalf("exit %d, stderr:\n%s", code, errOut)
	}
}

// listen hears phrases from PulseAudio's virtual microphone through the Gemma 4 engine: audio decoded
// frame by frame while it is spoken, one line per phrase. The synthetic model says something per phrase;
// the Gemma-4-architecture demo model says the words.
func TestGemma4ListenPulse(t *testing.T) {
	testenv.RequirePulse(t, []string{"paplay", "espeak-ng"})
	phrases := []string{"bring the red box to the kitchen", "what time is it"}
	wav := listenSpeech(t, phrases...)
	s := newGemma4(t)
	for _, c := range []struct {
		name, model, projector string
		words                  bool // the lines must be the phrases
	}{
		{"synthetic", s.model, s.projector, false},
		{"demo-gemma4", testenv.Asset(t, "demo-gemma4.gguf"), testenv.Asset(t, "demo-logmel.mmproj.gguf"), true},
	} {
		t.Run(c.name, func(t *testing.T) {
			t.Setenv("XDG_DATA_HOME", t.TempDir())
			e := &listenEnv{lines: make(chan string, 100)}
			ctx, cancel := context.WithCancel(context.Background())
			defer cancel()
			codec := e.start(ctx, t, "--model", c.model, "--projector", c.projector, "--threads", "1", "--backend", "pulseaudio")
			code, out := e.playThenStop(t, wav, cancel, codec)
			lines := strings.Split(out, "\n")
			if code != 0 || len(lines) != len(phrases) || strings.TrimSpace(lines[0]) == "" {
				t.Fatalf("exit %d, %d lines for %d phrases", code, len(lines), len(phrases))
			}
			for i, l := range lines {
				if got, want := strings.Join(textnorm.Normalise(l), " "), strings.Join(textnorm.Normalise(phrases[i]), " "); c.words && got != want {
					t.Errorf("line %d: heard %q for %q", i+1, l, phrases[i])
				}
			}
		})
	}
}

// Google's assistant drafter for Gemma 4 runs from the command line: --draft mtp with --mtp-head naming it
// gives the plain text, `models` lists it as an assistant, and one offered to a llama.cpp model is one line
// saying it drafts for Gemma 4 only.
func TestGemma4AssistantThroughTheCLI(t *testing.T) {
	ref := tg4.New(tg4.DefaultSpec())
	s := synthFrom(t, ref.Files)
	assistant := filepath.Join(s.dir, "gemma-4-synthetic-assistant.gguf")
	if err := ref.WriteAssistant(assistant, ref.NewAssistant(32, 4, 48, []bool{true, true, false}, nil, 1, 3), tg4.Edit{}); err != nil {
		t.Fatal(err)
	}
	code, plain, errOut := run(t, "transcribe", "--model", s.model, "--projector", s.projector, "--draft", "off", s.wav)
	if code != 0 {
		t.Fatalf("plain: exit %d: %s", code, errOut)
	}
	code, drafted, errOut := run(t, "transcribe", "--model", s.model, "--projector", s.projector, "--draft", "mtp", "--mtp-head", assistant, s.wav)
	if code != 0 || drafted != plain || strings.TrimSpace(plain) == "" {
		t.Fatalf("with the assistant: exit %d, %q; plain %q\n%s", code, drafted, plain, errOut)
	}
	code, out, errOut := run(t, "models", assistant)
	if code != 0 || !strings.Contains(out, "MTP drafter (Gemma 4 assistant)") {
		t.Fatalf("models: exit %d:\n%s%s", code, out, errOut)
	}
	llama := newSynth(t)
	code, _, errOut = run(t, "transcribe", "--model", llama.model, "--projector", llama.projector, "--draft", "mtp", "--mtp-head", assistant, llama.wav)
	if code == 0 || !strings.Contains(errOut, "drafts for Gemma 4") || strings.Count(strings.TrimSpace(errOut), "\n") > 0 {
		t.Fatalf("assistant for a llama model: exit %d, stderr:\n%s", code, errOut)
	}
}
