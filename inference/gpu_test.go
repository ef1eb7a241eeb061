//go:build gpu

package inference

import (
	"context"
	"os"
	"runtime"
	"strconv"
	"strings"
	"testing"

	"github.com/verbatim-app/verbatim/app/speech"
	"github.com/verbatim-app/verbatim/inference/audioproj"
	"github.com/verbatim-app/verbatim/inference/testmodel"
)

// TestGPUOffloadMatchesCPU needs a loaded GPU backend (lib/ollama beside the binary, or OLLAMA_LIBRARY_PATH),
// so it is built only with -tags gpu: `make test-gpu` (Vulkan on Mesa's lavapipe) and tools/gpu-check.sh
// (CUDA). Built that way, a missing device is a failure.
func TestGPUOffloadMatchesCPU(t *testing.T) {
	var gpu *speech.Device
	for _, d := range ReportDevices() {
		if d.IsGPU() {
			gpu = &d
			break
		}
	}
	if gpu == nil {
		t.Fatalf("no GPU device; devices: %v (is the backend in lib/ollama or OLLAMA_LIBRARY_PATH?)", ReportDevices())
	}
	t.Logf("GPU: %s", gpu)
	f := newFixture(t, testmodel.DefaultSpec())
	run := func(layers int) (Result, int) {
		e, err := Load(context.Background(), Config{ModelPath: f.model, ProjectorPath: f.projector, GPULayers: layers, Threads: 1, ContextSize: 512})
		if err != nil {
			t.Fatal(err)
		}
		defer e.Close()
		return hearClip(t, e, testAudio(0.5, 4), nil, Options{MaxTokens: 12})[Transcribe], e.GPULayers
	}
	cpu, _ := run(0)
	g, layers := run(speech.AutoGPULayers)
	if layers != f.m.Spec.Layers+1 {
		t.Fatalf("auto offloaded %d layers, want all %d", layers, f.m.Spec.Layers+1)
	}
	// Both must follow the Go reference wherever its choice is clear (near ties may flip with the
	// backend's arithmetic, so whole-string equality would be a coin toss on a random model).
	s := audioproj.NewRaw(f.m.RawProjector(), f.m.Spec.Embd).NewStream()
	frames := append(s.Push(testAudio(0.5, 4)), s.Flush()...)
	inputs := [][]float32{f.m.TokenEmbedding(testmodel.BOS), f.m.TokenEmbedding(testmodel.AudioBegin)}
	inputs = append(append(inputs, frames...), f.m.TokenEmbedding(testmodel.AudioEnd), f.m.TokenEmbedding(testmodel.TaskTranscribe))
	want, margins := f.m.Greedy(inputs, 12)
	checkAgainstReference(t, cpu.Tokens, trimEOS(want), margins)
	checkAgainstReference(t, g.Tokens, trimEOS(want), margins)
	t.Logf("CPU %q, GPU %q", cpu.Text, g.Text)
}

// Switching models on a GPU backend frees each one: ten loads and closes of a 54 MB model with every layer
// offloaded leave the process's memory where the first left it. (Freeing a context crashed inside ggml
// when the backend library used its own copy of ggml-base; bin/verbatim and this test are linked with
// --export-dynamic so that the backend binds to the binary's one copy.)
func TestGPUModelSwitchFreesMemory(t *testing.T) {
	spec := testmodel.DefaultSpec()
	spec.Embd, spec.Layers, spec.Heads, spec.FF = 512, 4, 8, 1536
	f := newFixture(t, spec)
	rss := func() float64 {
		b, err := os.ReadFile("/proc/self/status")
		if err != nil {
			t.Fatal(err)
		}
		for _, line := range strings.Split(string(b), "\n") {
			if v, ok := strings.CutPrefix(line, "VmRSS:"); ok {
				kb, _ := strconv.ParseFloat(strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(v), "kB")), 64)
				return kb / 1024
			}
		}
		t.Fatal("no VmRSS")
		return 0
	}
	var after []float64
	for i := 0; i < 10; i++ {
		e, err := Load(context.Background(), Config{ModelPath: f.model, ProjectorPath: f.projector, GPULayers: speech.AutoGPULayers, Threads: 1, ContextSize: 512})
		if err != nil {
			t.Fatal(err)
		}
		if e.GPULayers != spec.Layers+1 {
			t.Fatalf("offloaded %d layers, want all %d", e.GPULayers, spec.Layers+1)
		}
		if res := hearClip(t, e, testAudio(0.3, 5), nil, Options{MaxTokens: 4})[Transcribe]; len(res.Tokens) == 0 {
			t.Fatal("no tokens")
		}
		e.Close()
		runtime.GC()
		after = append(after, rss())
	}
	t.Logf("RSS after each close: %.0f MB", after)
	// A leaked model is 54 MB of weights (plus its buffers); ten would be half a gigabyte.
	if grew := after[len(after)-1] - after[0]; grew > 40 {
		t.Errorf("memory grew by %.0f MB over nine model switches: the models are not freed", grew)
	}
}
