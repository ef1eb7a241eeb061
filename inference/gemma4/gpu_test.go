//go:build gpu

package gemma4

import (
	"context"
	"slices"
	"testing"

	"github.com/ollama/ollama/llama"

	tg4 "github.com/verbatim-app/verbatim/inference/testmodel/gemma4"
)

// TestGPUOffloadMatchesReference needs a loaded GPU backend (lib/ollama beside the binary, or
// OLLAMA_LIBRARY_PATH), so it is built only with -tags gpu, like inference's GPU tests: `make test-gpu`
// (Vulkan on Mesa's lavapipe) and tools/gpu-check.sh (CUDA). Built that way, a missing device is a failure.
//
// The sequence stays within 32 positions: on lavapipe, attention over more than 32 cells sometimes drifts
// by several percent from one run to the next, through ollama's own Model.Forward as much as through this
// package's forward (seen with ollama v0.24.0's ggml-vulkan; not yet checked on CUDA).
func TestGPUOffloadMatchesReference(t *testing.T) {
	llama.BackendInit()
	if len(llama.EnumerateGPUs()) == 0 {
		t.Fatal("no GPU device (is the backend in lib/ollama or OLLAMA_LIBRARY_PATH?)")
	}
	ref := tg4.New(tg4.DefaultSpec())
	mp, pp, err := ref.Files(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	layers := len(ref.Spec.Pattern) + 1
	bare := func(string) string { return "" } // a short prompt, to stay within 32 positions
	m, err := Load(context.Background(), Config{ModelPath: mp, ProjectorPath: pp, GPULayers: layers, Threads: 1, Instruction: bare})
	if err != nil {
		t.Fatal(err)
	}
	defer m.Close()
	if m.GPULayers != layers {
		t.Fatalf("offloaded %d layers, want all %d", m.GPULayers, layers)
	}
	samples := noise(2*640, 7)
	var before, after []int32
	if err := m.do(context.Background(), func(c *core) (err error) {
		before, after, err = c.prompt(bare, "")
		return err
	}); err != nil {
		t.Fatal(err)
	}
	rows := append(tg4.Tokens(ints(before)), tg4.Audio(frames(ref.Projector(), samples))...)
	maxTokens := 32 - len(rows) - len(after)
	want, margins := ref.Greedy(append(rows, tg4.Tokens(ints(after))...), maxTokens)
	var got []int32
	err = m.do(context.Background(), func(c *core) error {
		if err := c.rollback(0); err != nil {
			return err
		}
		hidden, logits, err := c.run(append(append(tokenRows(before), audioRows(frames(ref.Projector(), samples))...), tokenRows(after)...), 0, []int{len(rows) + len(after) - 1})
		if err != nil {
			return err
		}
		g := generation{c: c, maxTokens: maxTokens}
		err = g.run(context.Background(), hidden[0], logits[0], len(rows)+len(after))
		got = g.toks
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	// GPU arithmetic rounds differently: the tokens must agree up to the first near tie of the reference.
	n := len(want)
	for i, mg := range margins {
		if mg < 0.05 {
			n = i
			break
		}
	}
	if n == 0 || len(got) < n || !slices.Equal(ints(got[:n]), want[:n]) {
		t.Fatalf("GPU decoded %v; reference %v (clear up to token %d)", got, want, n)
	}
}
