package inference

import (
	"context"
	"io"
	"log/slog"
	"path/filepath"
	"testing"

	"github.com/verbatim-app/verbatim/app/speech"
)

// The bundled Gemma-4-architecture demo model (tools/demomodel/gemma.py) is a real model on ollama's gemma4
// engine: real words through Gemma 4's tokenizer, chat prompt and layers, in Q8_0. Through the engine the
// app picks for it, it says what PyTorch said in training (with Q8_0's rounding emulated), drafting with its
// MTP head changes no word, and the head's drafts are mostly accepted.
func TestDemoGemma4HearsThroughTheGoEngine(t *testing.T) {
	model := filepath.Join(demoDir, "demo-gemma4.gguf")
	engines := Engines()
	e, err := engines.For(model)
	if err != nil {
		t.Fatal(err)
	}
	if e.Name() == (LlamaCpp{}).Name() {
		t.Fatalf("%s is run by %s; want the Gemma 4 engine", model, e.Name())
	}
	ctx := context.Background()
	targets := []string{"", "es", "fr"}
	fields := map[string]string{"": "transcribe", "es": "translate:es", "fr": "translate:fr"}
	clips := demoClips(t)
	var out [2][]map[string]speech.Result
	for i, mode := range []speech.DraftMode{speech.DraftOff, speech.DraftMTP} {
		m, err := engines.Load(ctx, speech.LoadConfig{Model: model, Projector: filepath.Join(demoDir, "demo-logmel.mmproj.gguf"),
			GPULayers: 0, Context: 1024, Draft: mode, MaxTokens: 64, MTPHead: filepath.Join(demoDir, "demo-gemma4.mtp.gguf"),
			MTPRequired: true, Log: slog.New(slog.NewTextHandler(io.Discard, nil))})
		if err != nil {
			t.Fatal(err)
		}
		for _, clip := range clips {
			res, err := speech.Hear(ctx, m, clip.audio(), targets, nil)
			if err != nil {
				t.Fatal(err)
			}
			out[i] = append(out[i], res)
		}
		m.Close(ctx)
	}
	drafted, accepted := 0, 0
	for c, clip := range clips {
		for _, target := range targets {
			plain, mtp := out[0][c][target], out[1][c][target]
			if want := clip.PythonDecode["demo-gemma4"][fields[target]]; plain.Text != want {
				t.Errorf("%s %s: the engine said %q, PyTorch %q", clip.Name, fields[target], plain.Text, want)
			}
			if mtp.Text != plain.Text {
				t.Errorf("%s %s: MTP drafting said %q, plain decoding %q", clip.Name, fields[target], mtp.Text, plain.Text)
			}
			drafted += mtp.Drafted
			accepted += mtp.Accepted
		}
	}
	rate := float64(accepted) / float64(max(drafted, 1))
	t.Logf("Gemma 4 demo, MTP head: %d of %d drafted tokens accepted (%.0f %%)", accepted, drafted, 100*rate)
	if drafted == 0 || rate < 0.5 {
		t.Errorf("the MTP head's drafts were accepted %.0f %% of the time (%d drafted); training measured far more", 100*rate, drafted)
	}
}
