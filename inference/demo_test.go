package inference

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"testing"

	"github.com/verbatim-app/verbatim/app/speech"
	"github.com/verbatim-app/verbatim/tools/testenv"
)

// The bundled demo models, run through the engine as the app runs them.
var demoDir = filepath.Join("..", "assets", "models")

type demoClip struct {
	Name         string
	Samples      []int16
	PythonDecode map[string]map[string]string `json:"python_decode"`
}

func demoClips(t *testing.T) []demoClip {
	t.Helper()
	b, err := os.ReadFile(testenv.Asset(t, "fixture.json"))
	if err != nil {
		t.Fatal(err)
	}
	var fx struct{ Clips []demoClip }
	if err := json.Unmarshal(b, &fx); err != nil {
		t.Fatal(err)
	}
	return fx.Clips
}

func (c demoClip) audio() []float32 {
	a := make([]float32, len(c.Samples))
	for i, s := range c.Samples {
		a[i] = float32(s) / 32768
	}
	return a
}

// The demo model's MTP head drafts what the model then says most of the time (training measured its
// acceptance on held-out speech), and drafting never changes a word. A head whose matrices were exported
// or read in the wrong orientation would draft noise and fail here.
func TestDemoMTPHeadDraftsTheModelsWords(t *testing.T) {
	ctx := context.Background()
	e, err := Load(ctx, Config{ModelPath: filepath.Join(demoDir, "demo-logmel.gguf"),
		ProjectorPath: filepath.Join(demoDir, "demo-logmel.mmproj.gguf"), ContextSize: 1024})
	if err != nil {
		t.Fatal(err)
	}
	defer e.Close()
	if err := e.LoadMTPHead(ctx, filepath.Join(demoDir, "demo-logmel.mtp.gguf")); err != nil {
		t.Fatal(err)
	}
	tasks := []Task{Transcribe, {Translate: "es"}, {Translate: "fr"}}
	drafted, accepted := 0, 0
	for _, clip := range demoClips(t) {
		var out [2]map[Task]Result
		for i, mode := range []speech.DraftMode{speech.DraftOff, speech.DraftMTP} {
			out[i] = hearClip(t, e, clip.audio(), tasks, Options{MaxTokens: 64, Draft: mode})
		}
		for _, task := range tasks {
			plain, mtp := out[0][task], out[1][task]
			if plain.Text != mtp.Text {
				t.Errorf("%s %s: MTP drafting said %q, plain decoding %q", clip.Name, task.Key(), mtp.Text, plain.Text)
			}
			drafted += mtp.Drafted
			accepted += mtp.Accepted
		}
		// What PyTorch decoded in training is what the app hears.
		if want := clip.PythonDecode["demo-logmel"]["transcribe"]; out[0][Transcribe].Text != want {
			t.Errorf("%s: the app heard %q, PyTorch %q", clip.Name, out[0][Transcribe].Text, want)
		}
	}
	rate := float64(accepted) / float64(max(drafted, 1))
	t.Logf("MTP head: %d of %d drafted tokens accepted (%.0f %%)", accepted, drafted, 100*rate)
	if drafted == 0 || rate < 0.5 {
		t.Errorf("the MTP head's drafts were accepted %.0f %% of the time (%d drafted); training measured far more", 100*rate, drafted)
	}
}
