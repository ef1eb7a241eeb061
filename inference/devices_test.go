package inference

import (
	"bytes"
	"context"
	"errors"
	"log/slog"
	"strings"
	"testing"

	"github.com/ollama/ollama/llama"

	"github.com/verbatim-app/verbatim/app/speech"
	"github.com/verbatim-app/verbatim/inference/testmodel"
)

func TestGPUFailureFallsBackToCPU(t *testing.T) {
	dir := t.TempDir()
	model, _, err := testmodel.New(testmodel.DefaultSpec()).Files(dir)
	if err != nil {
		t.Fatal(err)
	}
	var logs bytes.Buffer
	var tries []int
	cfg := Config{ModelPath: model, GPULayers: speech.AutoGPULayers, Threads: 1,
		Devices: []speech.Device{{Name: "FakeGPU", Kind: "gpu", Free: 8 << 30}},
		Logger:  slog.New(slog.NewTextHandler(&logs, nil)),
		loadModel: func(p string, mp llama.ModelParams) (*llama.Model, error) {
			tries = append(tries, mp.NumGpuLayers)
			if mp.NumGpuLayers > 0 {
				return nil, errors.New("out of device memory")
			}
			return llama.LoadModelFromFile(p, mp)
		}}
	e, err := Load(context.Background(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	defer e.Close()
	if len(tries) != 2 || tries[0] != 3 || tries[1] != 0 || e.GPULayers != 0 {
		t.Fatalf("tries %v, offloaded %d: want a full offload (3 layers), then the CPU", tries, e.GPULayers)
	}
	if n := strings.Count(logs.String(), "retrying on the CPU"); n != 1 {
		t.Fatalf("said %d times that it fell back:\n%s", n, logs.String())
	}
	if _, err := e.Generate(context.Background(), " hello", true, Options{MaxTokens: 3}, nil); err != nil {
		t.Fatalf("the CPU fallback does not work: %v", err)
	}
}
