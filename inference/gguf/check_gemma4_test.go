package gguf_test

import (
	"path/filepath"
	"strings"
	"testing"

	"github.com/verbatim-app/verbatim/inference/gguf"
	tg4 "github.com/verbatim-app/verbatim/inference/testmodel/gemma4"
)

// Check accepts the layouts of the real Gemma 4 releases that ollama's engine runs, and refuses what would
// reach ggml as a nil tensor or a key read as 0 (the error cases of Load are in inference/gemma4).
func TestCheckGemma4(t *testing.T) {
	ref := tg4.New(tg4.DefaultSpec())
	without := func(names ...string) func(string, []uint64) []uint64 {
		return func(n string, s []uint64) []uint64 {
			for _, drop := range names {
				if n == drop {
					return nil
				}
			}
			return s
		}
	}
	for _, tc := range []struct {
		name string
		edit tg4.Edit
		want string // "" accepts
	}{
		{"as built", tg4.Edit{}, ""},
		{"tied output, no rope_freqs", tg4.Edit{Tensor: without("output.weight", "rope_freqs.weight")}, ""},
		// E2B/E4B: the last layers read the KV of an earlier layer of their type and store none.
		{"KV-shared layers", tg4.Edit{Keys: func(w *gguf.Writer) { w.SetUint32("gemma4.attention.shared_kv_layers", 2) },
			Tensor: without("blk.4.attn_k.weight", "blk.4.attn_k_norm.weight", "blk.4.attn_v.weight", "blk.5.attn_k.weight", "blk.5.attn_k_norm.weight")}, ""},
		{"scalar KV heads", tg4.Edit{Keys: func(w *gguf.Writer) { w.SetUint32("gemma4.attention.head_count_kv", 2) }},
			"blk.5.attn_k.weight has shape [64 32]; want [64 64]"},
		{"K of a non-shared layer missing", tg4.Edit{Tensor: without("blk.0.attn_k.weight")}, "blk.0.attn_k.weight is missing"},
		{"float key of the wrong type", tg4.Edit{Keys: func(w *gguf.Writer) { w.SetUint32("gemma4.final_logit_softcapping", 30) }},
			"gemma4.final_logit_softcapping must be a float32"},
		{"all layers shared", tg4.Edit{Keys: func(w *gguf.Writer) { w.SetUint32("gemma4.attention.shared_kv_layers", 6) }}, "only 6 layers"},
		{"PLE without its tensors", tg4.Edit{Keys: func(w *gguf.Writer) { w.SetUint32("gemma4.embedding_length_per_layer_input", 8) }},
			"per_layer_token_embd.weight is missing"},
		{"MoE without experts", tg4.Edit{Keys: func(w *gguf.Writer) { w.SetUint32("gemma4.expert_count", 4) }}, "mixture-of-experts"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "g.gguf")
			if err := ref.WriteEdited(path, tc.edit); err != nil {
				t.Fatal(err)
			}
			_, info, err := gguf.Check(path)
			switch {
			case tc.want == "" && err != nil:
				t.Fatalf("refused: %v", err)
			case tc.want == "" && (info.Kind != gguf.KindText || info.Architecture != "gemma4" || info.EmbeddingLen != 64 || info.BlockCount != 6):
				t.Fatalf("accepted as %+v", info)
			case tc.want != "" && (err == nil || !strings.Contains(err.Error(), tc.want)):
				t.Fatalf("Check gave %v; want an error containing %q", err, tc.want)
			}
		})
	}
}

// The E2B/E4B-style decoder as built: per-layer inputs and KV-shared layers without K or V.
func TestCheckGemma4ELayout(t *testing.T) {
	path := filepath.Join(t.TempDir(), "e.gguf")
	if err := tg4.New(tg4.ESpec()).WriteModel(path); err != nil {
		t.Fatal(err)
	}
	if _, _, err := gguf.Check(path); err != nil {
		t.Fatal(err)
	}
}
