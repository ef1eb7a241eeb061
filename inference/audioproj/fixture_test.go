package audioproj

import (
	"encoding/json"
	"math"
	"os"
	"testing"

	"github.com/verbatim-app/verbatim/tools/testenv"
)

// The demo model's training code (PyTorch) wrote the first embeddings of two clips for each projector it
// ships; the Go projection must compute the same numbers, or the model hears something else in the app.
func TestProjectionMatchesTraining(t *testing.T) {
	b, err := os.ReadFile(testenv.Asset(t, "fixture.json"))
	if err != nil {
		t.Fatal(err)
	}
	var fx struct {
		Clips []struct {
			Name        string
			Samples     []int16
			Projections map[string]struct {
				ProjectorType string      `json:"projector_type"`
				NTokens       int         `json:"n_tokens"`
				First3        [][]float32 `json:"first3"`
			}
		}
	}
	if err := json.Unmarshal(b, &fx); err != nil {
		t.Fatal(err)
	}
	checked := 0
	for _, clip := range fx.Clips {
		audio := make([]float32, len(clip.Samples))
		for i, s := range clip.Samples {
			audio[i] = float32(s) / 32768
		}
		for file, want := range clip.Projections {
			p, err := Load(testenv.Asset(t, file))
			if err != nil {
				t.Fatalf("%s: %v", file, err)
			}
			if p.Type() != want.ProjectorType {
				t.Fatalf("%s: type %s, fixture says %s", file, p.Type(), want.ProjectorType)
			}
			// Streamed in uneven pieces, as a microphone delivers it.
			s := p.NewStream()
			var got [][]float32
			for i := 0; i < len(audio); i += 777 {
				got = append(got, s.Push(audio[i:min(i+777, len(audio))])...)
			}
			got = append(got, s.Flush()...)
			if len(got) != want.NTokens {
				t.Fatalf("%s/%s: %d embeddings, training made %d", clip.Name, file, len(got), want.NTokens)
			}
			for j, row := range want.First3 {
				var maxDiff, scale float64
				for k, v := range row {
					maxDiff = math.Max(maxDiff, math.Abs(float64(got[j][k]-v)))
					scale = math.Max(scale, math.Abs(float64(v)))
				}
				if maxDiff > 1e-4*math.Max(1, scale) {
					t.Errorf("%s/%s embedding %d differs from training by %g (scale %g)", clip.Name, file, j, maxDiff, scale)
				}
			}
			checked++
		}
	}
	if checked == 0 {
		t.Fatal("fixture.json checks no projector")
	}
}
