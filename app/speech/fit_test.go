package speech

import (
	"testing"

	"github.com/verbatim-app/verbatim/inference/gguf"
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
