package gemma4

import (
	"context"
	"fmt"
	"math"
	"os"

	"github.com/ollama/ollama/ml"
	"github.com/ollama/ollama/tokenizer"

	"github.com/verbatim-app/verbatim/app/speech"
	"github.com/verbatim-app/verbatim/inference/gguf"
)

// mtpHead is Verbatim's MTP drafter head (the format of gguf.MTPArchitecture, as the llama.cpp engine runs
// it in C) built with ollama's ml API on the target's own backend: from the target's hidden state after its
// output norm where token t+1 was chosen, and the embedding of t+1, it proposes t+2, and its output takes
// the hidden state's place to draft further. The token embeddings and the output matrix are the target's
// tensors, already on the backend; the head file's copies (which the format carries) are only checked.
type mtpHead struct {
	weights                                         ml.Context // owns the head's own tensors
	normH, normE, fc, ffnNorm, gate, up, down, norm ml.Tensor
	eps                                             float32
	width                                           int
}

// Drafting parameters: at most mtpMaxDraft tokens per verification batch, and no token after the first
// that the head is less than mtpMinProb sure of (as the llama.cpp engine's mtpMinProb), since a proposal
// the target probably rejects only makes the batch longer.
const (
	mtpMaxDraft = 4
	mtpMinProb  = 0.5
)

// loadMTPHead uploads the head at path (hf, checked against the target by gguf.CheckMTPHead) beside the last
// block's weights.
func (c *core) loadMTPHead(path string, hf *gguf.File, info gguf.Info) (h *mtpHead, err error) {
	fh, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("open MTP head: %w", err)
	}
	defer fh.Close()
	d := int(info.EmbeddingLen)
	ffU, _ := hf.Uint(gguf.MTPArchitecture + ".feed_forward_length")
	ff := int(ffU)
	h = &mtpHead{eps: 1e-5, width: d}
	if e, ok := hf.Float(gguf.MTPArchitecture + ".layer_norm_rms_epsilon"); ok {
		h.eps = float32(e)
	}
	parts := []struct {
		name  string
		to    *ml.Tensor
		shape []int // ggml order: a matrix is {in, out}
	}{
		{"mtp.norm_h.weight", &h.normH, []int{d}}, {"mtp.norm_e.weight", &h.normE, []int{d}},
		{"mtp.fc.weight", &h.fc, []int{2 * d, d}}, {"mtp.ffn_norm.weight", &h.ffnNorm, []int{d}},
		{"mtp.ffn_gate.weight", &h.gate, []int{d, ff}}, {"mtp.ffn_up.weight", &h.up, []int{d, ff}},
		{"mtp.ffn_down.weight", &h.down, []int{ff, d}}, {"mtp.output_norm.weight", &h.norm, []int{d}},
	}
	vals := make([][]float32, len(parts))
	for i, p := range parts {
		if vals[i], err = hf.ReadTensorF32(fh, p.name); err != nil {
			return nil, fmt.Errorf("load MTP head: %w", err)
		}
	}
	defer func() {
		if r := recover(); r != nil { // ggml panics when memory runs out
			h.free()
			h, err = nil, fmt.Errorf("load MTP head %s: %v", path, r)
		}
	}()
	h.weights = c.m.Backend().NewContextSize(len(parts))
	// Beside the last block: on the GPU whenever the model's end is offloaded (gpuLayers takes the last ones).
	at := h.weights.Layer(len(c.layout.local) - 1)
	for i, p := range parts {
		*p.to = at.FromFloats(vals[i], p.shape...)
	}
	return h, nil
}

func (h *mtpHead) free() {
	if h.weights != nil {
		h.weights.Close()
		h.weights = nil
	}
}

// step runs the head once: from hidden and the token chosen there, the token after it, the head's
// confidence in it and the head's output, which takes hidden's place for the next step. The head reads no
// position.
func (h *mtpHead) step(c *core, hidden []float32, tok int32, _ int) (next int32, prob float32, out []float32, err error) {
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("MTP head failed: %v", r)
		}
	}()
	tm := c.m.TextModel
	ctx := c.m.Backend().NewContext()
	defer ctx.Close()
	hin := ctx.Input().FromFloats(hidden, h.width, 1).RMSNorm(ctx, h.normH, h.eps)
	// The embedding goes in unscaled: RMSNorm makes the target's sqrt(width) scale irrelevant.
	e := tm.TokenEmbedding.Forward(ctx, ctx.Input().FromInts([]int32{tok}, 1)).RMSNorm(ctx, h.normE, h.eps)
	x := h.fc.Mulmat(ctx, hin.Concat(ctx, e, 0))
	y := x.RMSNorm(ctx, h.ffnNorm, h.eps)
	x = x.Add(ctx, h.down.Mulmat(ctx, h.gate.Mulmat(ctx, y).SILU(ctx, h.up.Mulmat(ctx, y))))
	g := x.RMSNorm(ctx, h.norm, h.eps)
	logits := c.outputLogits(ctx, g)
	ctx.Forward(g, logits).Compute(g, logits)
	next, prob = c.draftChoice(logits.Floats())
	return next, prob, g.Floats(), nil
}

// draftChoice is a drafter's token from its logits, and the drafter's confidence in it (its softmax).
func (c *core) draftChoice(logits []float32) (int32, float32) {
	next := c.argmax(logits)
	var sum float64
	for _, v := range logits {
		sum += math.Exp(float64(v - logits[next]))
	}
	return next, float32(1 / sum)
}

// drafter proposes the tokens after a greedy choice: Verbatim's MTP head or Gemma 4's assistant.
type drafter interface {
	// step: from the target's final hidden state where tok was chosen at position pos (or the drafter's
	// previous output), the token after tok, the drafter's confidence in it and its output for the next step.
	step(c *core, hidden []float32, tok int32, pos int) (next int32, prob float32, out []float32, err error)
	free()
}

// propose drafts up to k tokens after tok, chosen at pos from hidden: it stops before an end-of-generation
// token and before a token the drafter is less than mtpMinProb sure of (always drafting the first).
func propose(d drafter, c *core, hidden []float32, tok int32, pos, k int) ([]int32, error) {
	var out []int32
	for len(out) < k {
		next, p, h, err := d.step(c, hidden, tok, pos)
		if err != nil {
			return nil, err
		}
		if c.m.Is(next, tokenizer.SpecialEOS) || (len(out) > 0 && p < mtpMinProb) {
			break
		}
		out = append(out, next)
		hidden, tok = h, next
	}
	return out, nil
}

// drafting is a Gemma 4 model with a drafter: its utterances draft their answers with it.
type drafting struct {
	*Model
	head drafter
}

// StartUtterance implements speech.Model.
func (d drafting) StartUtterance(ctx context.Context) (speech.Utterance, error) {
	u, err := d.Model.StartUtterance(ctx)
	if err != nil {
		return nil, err
	}
	u.(*Utterance).head = d.head
	return u, nil
}

// WithMTPHead loads the drafter at path for m, on m's backend: Verbatim's MTP head or, by its architecture,
// Gemma 4's assistant. It returns m drafting with it, and the function that frees the model and the drafter.
// Bad files are refused before ggml sees them.
func (m *Model) WithMTPHead(ctx context.Context, path string) (speech.Model, func(), error) {
	var h drafter
	err := m.do(ctx, func(c *core) error {
		tf, err := gguf.Open(m.cfg.ModelPath)
		if err != nil {
			return fmt.Errorf("load MTP head: %w", err)
		}
		hf, info, err := gguf.CheckMTPHead(path, tf, uint64(c.layout.width))
		if err != nil {
			return err
		}
		if gguf.IsAssistantArchitecture(info.Architecture) {
			a, err := c.loadAssistant(path, hf, tf)
			if a != nil {
				h = a
			}
			return err
		}
		mh, err := c.loadMTPHead(path, hf, info)
		if mh != nil {
			h = mh
		}
		return err
	})
	if err != nil {
		return nil, nil, err
	}
	closeAll := func() {
		// The head's tensors go before the backend they were allocated on.
		if m.do(context.Background(), func(*core) error { h.free(); return nil }) != nil {
			h.free()
		}
		m.Close()
	}
	return drafting{Model: m, head: h}, closeAll, nil
}
