package gguf_test

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/verbatim-app/verbatim/inference/gguf"
	"github.com/verbatim-app/verbatim/inference/testmodel"
	tg4 "github.com/verbatim-app/verbatim/inference/testmodel/gemma4"
)

// A llama.cpp gemma4a mmproj renamed for ollama's engine holds, tensor for tensor and byte for byte, what
// Ollama's own blob of the same model holds: the two layouts were written from one set of weights, each under
// the names its converter gives them.
func TestGemma4AConformerIsOllamasLayout(t *testing.T) {
	ref := tg4.New(tg4.ESpec())
	dir := t.TempDir()
	blob, mmproj := filepath.Join(dir, "blob.gguf"), filepath.Join(dir, "mmproj.gguf")
	if err := ref.WriteConformerBlob(blob, 2, tg4.Edit{}); err != nil {
		t.Fatal(err)
	}
	if err := ref.WriteConformerMmproj(mmproj, 2, tg4.Edit{}); err != nil {
		t.Fatal(err)
	}
	f, info, err := gguf.Check(mmproj)
	if err != nil {
		t.Fatal(err)
	}
	if info.Kind != gguf.KindProjector || info.ProjectorType != gguf.ProjectorGemma4A || info.ProjectionDim != uint64(ref.Spec.Embd) {
		t.Fatalf("checked as %v %q of width %d; want a gemma4a projector of width %d", info.Kind, info.ProjectorType, info.ProjectionDim, ref.Spec.Embd)
	}
	src, err := os.Open(mmproj)
	if err != nil {
		t.Fatal(err)
	}
	defer src.Close()
	w, err := f.Gemma4AConformer(src)
	if err != nil {
		t.Fatal(err)
	}
	out := filepath.Join(dir, "converted.gguf")
	if err := w.WriteFile(out); err != nil {
		t.Fatal(err)
	}
	got, err := gguf.Open(out)
	if err != nil {
		t.Fatal(err)
	}
	if err := got.Gemma4OwnAudio(nil); err != nil {
		t.Fatalf("the converted file is no complete conformer: %v", err)
	}
	want, err := gguf.Open(blob)
	if err != nil {
		t.Fatal(err)
	}
	read := func(path string, f *gguf.File, ti gguf.TensorInfo) []byte {
		b, err := os.ReadFile(path)
		if err != nil {
			t.Fatal(err)
		}
		return b[f.DataOffset+int64(ti.Offset):][:ti.Size]
	}
	audio := 0
	for _, wt := range want.Tensors {
		if !strings.HasPrefix(wt.Name, "a.") && !strings.HasPrefix(wt.Name, "mm.a.") {
			continue
		}
		audio++
		gt, ok := got.Tensor(wt.Name)
		if !ok {
			t.Errorf("tensor %s is missing after renaming", wt.Name)
			continue
		}
		if !bytes.Equal(read(blob, want, wt), read(out, got, gt)) || gt.Type != wt.Type || len(gt.Shape) != len(wt.Shape) {
			t.Errorf("tensor %s differs from Ollama's blob", wt.Name)
		}
	}
	if len(got.Tensors) != audio {
		t.Errorf("converted file has %d tensors; Ollama's blob has %d audio tensors (vision must be left out)", len(got.Tensors), audio)
	}
	for _, k := range []string{"block_count", "embedding_length", "feed_forward_length", "attention.head_count"} {
		g, _ := got.Uint("gemma4.audio." + k)
		w, _ := want.Uint("gemma4.audio." + k)
		if g != w {
			t.Errorf("gemma4.audio.%s = %d; Ollama's blob has %d", k, g, w)
		}
	}
	if eps, _ := got.Float("gemma4.audio.attention.layer_norm_epsilon"); float32(eps) != 1e-6 {
		t.Errorf("epsilon %g; want the 1e-6 both graphs use, not the key's 1e-5", eps)
	}
}

// A gemma4a mmproj that ollama's engine cannot run as llama.cpp would is refused with what is wrong, before
// ggml sees it; and it only pairs with a Gemma 4 model.
func TestGemma4AMmprojRefused(t *testing.T) {
	ref := tg4.New(tg4.ESpec())
	dir := t.TempDir()
	for _, c := range []struct {
		name string
		edit tg4.Edit
		want string
	}{
		{"per-dimension key scale", tg4.Edit{Keys: func(w *gguf.Writer) {
			w.AddTensorF32("a.blk.0.per_dim_k_scale.weight", []uint64{8}, make([]float32, 8))
		}}, "a.blk.0.per_dim_k_scale.weight is part of this audio encoder, but ollama's Gemma 4 engine has no place for it"},
		{"embedding norm weight", tg4.Edit{Keys: func(w *gguf.Writer) {
			w.AddTensorF32("mm.a.soft_emb_norm.weight", []uint64{16}, make([]float32, 16))
		}}, "mm.a.soft_emb_norm.weight is part of this audio encoder"},
		{"subsampling bias", tg4.Edit{Keys: func(w *gguf.Writer) {
			w.AddTensorF32("a.conv1d.1.bias", []uint64{4}, make([]float32, 4))
		}}, "a.conv1d.1.bias"},
		{"missing relative position projection", tg4.Edit{Tensor: func(name string, shape []uint64) []uint64 {
			if name == "a.blk.1.attn_k_rel.weight" {
				return nil
			}
			return shape
		}}, "tensor a.blk.1.linear_pos.weight is missing"},
		{"wrong shape", tg4.Edit{Tensor: func(name string, shape []uint64) []uint64 {
			if name == "a.blk.0.attn_post_norm.weight" {
				return []uint64{8, 2}
			}
			return shape
		}}, "tensor a.blk.0.ln2.weight has shape [8 2]; want [16]"},
		{"80 mel bins", tg4.Edit{Keys: func(w *gguf.Writer) { w.SetUint32("clip.audio.num_mel_bins", 80) }},
			"clip.audio.num_mel_bins is 80"},
		{"no block count", tg4.Edit{Keys: func(w *gguf.Writer) { w.SetUint32("clip.audio.block_count", 0) }},
			"clip.audio.block_count is missing or out of range"},
	} {
		t.Run(c.name, func(t *testing.T) {
			p := filepath.Join(dir, strings.ReplaceAll(c.name, " ", "-")+".gguf")
			if err := ref.WriteConformerMmproj(p, 2, c.edit); err != nil {
				t.Fatal(err)
			}
			_, _, err := gguf.Check(p)
			if err == nil || !strings.Contains(err.Error(), c.want) || !strings.Contains(err.Error(), p) {
				t.Fatalf("Check = %v; want an error naming the file and containing %q", err, c.want)
			}
		})
	}

	t.Run("with a llama model", func(t *testing.T) {
		llama, mmproj := filepath.Join(dir, "llama.gguf"), filepath.Join(dir, "ok.gguf")
		if err := testmodel.New(testmodel.DefaultSpec()).WriteModel(llama); err != nil {
			t.Fatal(err)
		}
		if err := ref.WriteConformerMmproj(mmproj, 2, tg4.Edit{}); err != nil {
			t.Fatal(err)
		}
		mf, minfo, err := gguf.Check(llama)
		if err != nil {
			t.Fatal(err)
		}
		_, pinfo, err := gguf.Check(mmproj)
		if err != nil {
			t.Fatal(err)
		}
		if err := gguf.CheckPair(mf, minfo, pinfo); err == nil || !strings.Contains(err.Error(), "is Gemma 4's audio encoder") {
			t.Fatalf("CheckPair = %v; want the gemma4a projector refused for a llama model", err)
		}
	})
}
