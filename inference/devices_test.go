package inference

import (
	"bytes"
	"context"
	"errors"
	"log/slog"
	"strings"
	"testing"

	"github.com/ollama/ollama/llama"

	"github.com/verbatim-app/verbatim/inference/gguf"
	"github.com/verbatim-app/verbatim/inference/testmodel"
)

const mib = 1 << 20

func TestEstimateFit(t *testing.T) {
	// A 7B-like model: 4 GiB of weights, 32 blocks, n_embd 4096, 32k vocabulary.
	m := gguf.Info{Size: 4096 * mib, BlockCount: 32, EmbeddingLen: 4096, VocabSize: 32000, Parameters: 7_000_000_000}
	gpu := func(free uint64) []Device {
		return []Device{{Name: "CPU", Kind: "cpu", Free: 64 << 30}, {Name: "GPU0", Kind: "gpu", Free: free, Total: free}}
	}
	cases := []struct {
		name    string
		devices []Device
		ctx     int
		status  string
		layers  int
	}{
		{"no GPU", gpu(0)[:1], 4096, "cpu", 0},
		{"big GPU", gpu(24 << 30), 4096, "full", 33},
		{"8 GiB GPU, long context", gpu(8 << 30), 32768, "partial", -1},
		{"4 GiB GPU", gpu(4 << 30), 4096, "partial", -1},
		{"only the margin free", gpu(gpuMargin), 4096, "cpu", 0},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			f := EstimateFit(m, c.ctx, c.devices)
			if f.Status() != c.status || (c.layers >= 0 && f.Layers != c.layers) {
				t.Fatalf("fit = %+v (%s), want %s with %d layers", f, f.Status(), c.status, c.layers)
			}
			if f.Layers > 0 && uint64(f.Layers) <= m.BlockCount && f.FreeBytes < uint64(f.Layers)*(uint64(m.Size)/m.BlockCount) {
				t.Fatalf("%d layers cannot fit into %d MiB", f.Layers, f.FreeBytes/mib)
			}
		})
	}
	// More context needs more memory: never more layers for a longer context.
	short, long := EstimateFit(m, 2048, gpu(6<<30)), EstimateFit(m, 32768, gpu(6<<30))
	if long.Layers > short.Layers {
		t.Fatalf("longer context fits more layers: %d > %d", long.Layers, short.Layers)
	}
}

func TestGPUFailureFallsBackToCPU(t *testing.T) {
	dir := t.TempDir()
	model, _, err := testmodel.New(testmodel.DefaultSpec()).Files(dir)
	if err != nil {
		t.Fatal(err)
	}
	var logs bytes.Buffer
	var tries []int
	cfg := Config{ModelPath: model, GPULayers: AutoGPULayers, Threads: 1,
		Devices: []Device{{Name: "FakeGPU", Kind: "gpu", Free: 8 << 30}},
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
