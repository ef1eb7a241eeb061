package gemma4

import (
	"fmt"
	"math"
	"os"
	"slices"

	"github.com/ollama/ollama/ml"
	"github.com/ollama/ollama/ml/nn"
	"github.com/ollama/ollama/ml/nn/rope"
	"github.com/ollama/ollama/model/input"

	"github.com/verbatim-app/verbatim/inference/gguf"
)

// assistant is Gemma 4's own MTP drafter, the "assistant" Google ships beside each model
// (gguf.AssistantArchitecture), built with ollama's ml API on the target's backend as upstream llama.cpp's
// src/models/gemma4-assistant.cpp computes it: the target's embedding of the token just chosen (×√width)
// and the target's final hidden state where it was chosen, projected to the assistant's width; its layers,
// whose queries attend over the target's KV cache of the last non-shared target layer of their type (the
// assistant stores no keys or values); its own tied output; and its final state projected back to the
// target's width, which drafts the next token in the hidden state's place. Every draft of a round stays at
// the position of the token just chosen, as upstream's shared-memory drafting does.
type assistant struct {
	weights                ml.Context // owns the assistant's tensors
	shape                  gguf.Assistant
	embed, norm, pre, post ml.Tensor
	freqs                  ml.Tensor // rope_freqs of the global layers; nil without one
	layers                 []assistantLayer
}

type assistantLayer struct {
	attnNorm, q, qNorm, o, postAttnNorm, ffnNorm, gate, up, down, postFFNNorm, scale ml.Tensor
	donor, kvHeads                                                                   int // the target layer whose cache it reads
}

// loadAssistant checks the assistant at path (hf, already checked against the target tf for vocabulary and
// width by gguf.CheckMTPHead) for the head sizes and layer types its attention reads, before ggml sees it,
// then uploads its weights beside the last block's. Tensors stay in their type (Q8_0, F16, F32); BF16 becomes F16.
func (c *core) loadAssistant(path string, hf, tf *gguf.File) (a *assistant, err error) {
	shape, err := hf.Assistant()
	if err != nil {
		return nil, fmt.Errorf("load MTP head: %w", err)
	}
	refuse := func(format string, args ...any) (*assistant, error) {
		return nil, fmt.Errorf("MTP head %s cannot draft for %s: %s", path, tf.Path, fmt.Sprintf(format, args...))
	}
	hdGlobal, _ := tf.Uint("gemma4.attention.key_length")
	hdLocal, _ := tf.Uint("gemma4.attention.key_length_swa")
	if uint64(shape.HeadDim) != hdGlobal || uint64(shape.HeadDimSWA) != hdLocal {
		return refuse("its queries have head sizes %d (global) and %d (sliding), the model's keys %d and %d", shape.HeadDim, shape.HeadDimSWA, hdGlobal, hdLocal)
	}
	kvHeads := targetKVHeads(tf, len(c.layout.local))
	layers := make([]assistantLayer, len(shape.Local))
	for l, local := range shape.Local {
		donor := c.layout.lastOfType(local)
		if donor < 0 || kvHeads[donor] == 0 || shape.Heads%kvHeads[donor] != 0 {
			return refuse("its layer %d reads a %s layer's cache, and the model has none it can share", l, map[bool]string{true: "sliding", false: "global"}[local])
		}
		layers[l].donor, layers[l].kvHeads = donor, kvHeads[donor]
	}
	fh, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("open MTP head: %w", err)
	}
	defer fh.Close()
	a = &assistant{shape: shape, layers: layers}
	defer func() {
		if r := recover(); r != nil { // ggml panics when memory runs out
			a.free()
			a, err = nil, fmt.Errorf("load MTP head %s: %v", path, r)
		}
	}()
	a.weights = c.m.Backend().NewContextSize(4 + 11*len(layers) + 1)
	at := a.weights.Layer(len(c.layout.local) - 1) // beside the last block, as the MTP head
	upload := func(name string) (ml.Tensor, error) {
		t, raw, err := hf.ReadTensorRaw(fh, name)
		if err != nil {
			return nil, fmt.Errorf("load MTP head: %w", err)
		}
		shape := make([]int, len(t.Shape))
		for i, d := range t.Shape {
			shape[i] = int(d)
		}
		switch {
		case t.Type == gguf.TypeQ8_0:
			return at.FromBytes(ml.DTypeQ80, raw, shape...), nil
		case t.Type == gguf.TypeF16 && len(shape) > 1:
			return at.FromBytes(ml.DTypeF16, raw, shape...), nil
		}
		f, err := hf.ReadTensorF32(fh, name)
		if err != nil {
			return nil, fmt.Errorf("load MTP head: %w", err)
		}
		if t.Type == gguf.TypeBF16 && len(shape) > 1 {
			return at.FromBytes(ml.DTypeF16, halves(f), shape...), nil
		}
		return at.FromFloats(f, shape...), nil // F32, and every vector (norms multiply in F32 on every backend)
	}
	for _, w := range []struct {
		to   *ml.Tensor
		name string
	}{{&a.embed, "token_embd.weight"}, {&a.norm, "output_norm.weight"}, {&a.pre, gguf.AssistantPre}, {&a.post, gguf.AssistantPost}} {
		if *w.to, err = upload(w.name); err != nil {
			a.free()
			return nil, err
		}
	}
	if slices.Contains(shape.Local, false) {
		if a.freqs, err = upload("rope_freqs.weight"); err != nil {
			a.free()
			return nil, err
		}
	}
	for l := range a.layers {
		ly := &a.layers[l]
		for _, w := range []struct {
			to   *ml.Tensor
			name string
		}{{&ly.attnNorm, "attn_norm"}, {&ly.q, "attn_q"}, {&ly.qNorm, "attn_q_norm"}, {&ly.o, "attn_output"},
			{&ly.postAttnNorm, "post_attention_norm"}, {&ly.scale, "layer_output_scale"}, {&ly.ffnNorm, "ffn_norm"},
			{&ly.gate, "ffn_gate"}, {&ly.up, "ffn_up"}, {&ly.down, "ffn_down"}, {&ly.postFFNNorm, "post_ffw_norm"}} {
			if *w.to, err = upload(fmt.Sprintf("blk.%d.%s.weight", l, w.name)); err != nil {
				a.free()
				return nil, err
			}
		}
	}
	return a, nil
}

// halves encodes values as IEEE half precision.
func halves(f []float32) []byte {
	b := make([]byte, 2*len(f))
	for i, v := range f {
		h := gguf.FloatToHalf(v)
		b[2*i], b[2*i+1] = byte(h), byte(h>>8)
	}
	return b
}

// targetKVHeads is each target layer's KV head count (gemma4.attention.head_count_kv: one for all, or one
// per layer), 0 where unknown.
func targetKVHeads(tf *gguf.File, layers int) []int {
	out := make([]int, layers)
	switch v, _ := tf.Get("gemma4.attention.head_count_kv"); x := v.(type) {
	case []int32:
		for i := range min(layers, len(x)) {
			out[i] = int(x[i])
		}
	case []uint32:
		for i := range min(layers, len(x)) {
			out[i] = int(x[i])
		}
	default:
		n, _ := tf.Uint("gemma4.attention.head_count_kv")
		for i := range out {
			out[i] = int(n)
		}
	}
	return out
}

func (a *assistant) free() {
	if a.weights != nil {
		a.weights.Close()
		a.weights = nil
	}
}

// step runs the assistant once at pos: from hidden and the token chosen there, the token after it, the
// assistant's confidence in it and its state for the next step. The query attends over the cache as it is
// (positions before pos) and writes nothing to it.
func (a *assistant) step(c *core, hidden []float32, tok int32, pos int) (next int32, prob float32, out []float32, err error) {
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("MTP assistant failed: %v", r)
		}
	}()
	tm := c.m.TextModel
	ctx := c.m.Backend().NewContext()
	defer ctx.Close()
	b := input.Batch{Positions: []int32{int32(pos)}, Sequences: []int{0}}
	b.Inputs = ctx.Input().FromInts([]int32{tok}, 1)
	// Reserving builds the mask of a query at pos over every cell and stores nothing (kvcache/causal.go).
	if err := c.cache.StartForward(ctx, b, true); err != nil {
		return 0, 0, nil, fmt.Errorf("KV cache: %w", err)
	}
	positions := ctx.Input().FromInts(b.Positions, 1)
	x := tm.TokenEmbedding.Forward(ctx, b.Inputs).Scale(ctx, math.Sqrt(float64(c.layout.width)))
	cur := a.pre.Mulmat(ctx, x.Concat(ctx, ctx.Input().FromFloats(hidden, c.layout.width, 1), 0))
	s := a.shape
	for l, ly := range a.layers {
		hd, base := s.HeadDim, s.RopeBase
		opts := []func(*rope.Options){rope.WithTypeNeoX()}
		if s.Local[l] {
			hd, base = s.HeadDimSWA, s.RopeBaseSWA
			c.cache.SetLayerType(cacheSWA)
		} else {
			c.cache.SetLayerType(cacheCausal)
			if a.freqs != nil {
				opts = append(opts, rope.WithFactors(a.freqs))
			}
		}
		c.cache.SetLayer(ly.donor)
		q := ly.q.Mulmat(ctx, cur.RMSNorm(ctx, ly.attnNorm, s.Eps)).Reshape(ctx, hd, s.Heads, 1)
		q = nn.RoPE(ctx, q.RMSNorm(ctx, ly.qNorm, s.Eps), positions, hd, float32(base), 1.0, opts...)
		att := nn.Attention(ctx, q, nil, nil, 1.0, c.cache).Reshape(ctx, hd*s.Heads, 1)
		h := ly.o.Mulmat(ctx, att).RMSNorm(ctx, ly.postAttnNorm, s.Eps).Add(ctx, cur)
		f := h.RMSNorm(ctx, ly.ffnNorm, s.Eps)
		f = ly.down.Mulmat(ctx, ly.gate.Mulmat(ctx, f).GELU(ctx, ly.up.Mulmat(ctx, f)))
		cur = f.RMSNorm(ctx, ly.postFFNNorm, s.Eps).Add(ctx, h).Mul(ctx, ly.scale)
	}
	g := cur.RMSNorm(ctx, a.norm, s.Eps)
	logits := a.embed.Mulmat(ctx, g)
	proj := a.post.Mulmat(ctx, g)
	ctx.Forward(logits, proj).Compute(logits, proj)
	next, prob = c.draftChoice(logits.Floats())
	return next, prob, proj.Floats(), nil
}
