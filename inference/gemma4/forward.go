package gemma4

import (
	"fmt"
	"math"

	"github.com/ollama/ollama/ml"
	"github.com/ollama/ollama/model/input"

	"github.com/verbatim-app/verbatim/inference/gguf"
)

// layout is what the forward pass needs of the model's shape. ollama keeps these fields unexported
// (model_text.go:18-40), so they are read again from the file as newTextModel reads them (83-165).
type layout struct {
	width    int
	local    []bool      // sliding-window layer
	donor    map[int]int // KV-shared layer → the last non-shared layer of its type
	shared   int         // the last this many layers are KV-shared
	eps      float32
	softcap  float32
	window   int
	suppress []int32 // tokenizer.ggml.suppress_tokens
}

func readLayout(f *gguf.File) (layout, error) {
	l := layout{donor: map[int]int{}, eps: 1e-6}
	d, _ := f.Uint("gemma4.embedding_length")
	w, _ := f.Uint("gemma4.attention.sliding_window")
	l.width, l.window = int(d), int(w)
	v, _ := f.Get("gemma4.attention.sliding_window_pattern")
	pattern, _ := v.([]any)
	for _, p := range pattern {
		b, _ := p.(bool)
		l.local = append(l.local, b)
	}
	if len(l.local) == 0 || l.width == 0 || l.window == 0 {
		return l, fmt.Errorf("%s: the sliding-window layout is missing", f.Path)
	}
	if e, ok := f.Float("gemma4.attention.layer_norm_rms_epsilon"); ok {
		l.eps = float32(e)
	}
	if s, ok := f.Float("gemma4.final_logit_softcapping"); ok {
		l.softcap = float32(s)
	}
	shared, _ := f.Uint("gemma4.attention.shared_kv_layers")
	l.shared = min(int(shared), len(l.local))
	for i := len(l.local) - l.shared; i < len(l.local); i++ {
		if j := l.lastOfType(l.local[i]); j >= 0 {
			l.donor[i] = j
		}
	}
	if s, ok := f.Get("tokenizer.ggml.suppress_tokens"); ok {
		ids, _ := s.([]int32)
		l.suppress = ids
	}
	return l, nil
}

// lastOfType is the last layer of the given type (sliding or not) that keeps its own KV cache, or -1: the
// one whose cache a KV-shared layer, or an assistant's layer, of that type reads.
func (l layout) lastOfType(local bool) int {
	for i := len(l.local) - l.shared - 1; i >= 0; i-- {
		if l.local[i] == local {
			return i
		}
	}
	return -1
}

// Cache types of the wrapper cache, in the order model.go:114-118 and load build it.
const (
	cacheSWA = iota
	cacheCausal
)

// span is a run of audio embeddings at row at of a batch.
type span struct {
	at   int
	rows [][]float32
}

// graph builds the forward pass of one batch: TextModel.Forward (model_text.go:167-227) without its
// multimodal exception. ollama lists injected rows in CausalOptions.Except, which lets every audio row
// attend to the later rows of its batch; Gemma 4 audio is causal (llama.cpp's mtmd_decode_use_non_causal
// is true only for Gemma 3 and Gemma 4 vision), and StartForward resets Except, so never calling SetCausal
// keeps every row causal. It returns the hidden state after the final norm and the logits of the output
// rows.
func (c *core) graph(ctx ml.Context, b input.Batch, spans []span) (hidden, logits ml.Tensor) {
	tm := c.m.TextModel
	positions := ctx.Input().FromInts(b.Positions, len(b.Positions))
	h := tm.TokenEmbedding.Forward(ctx, b.Inputs)
	h = h.Scale(ctx, math.Sqrt(float64(c.layout.width)))
	// Audio rows replace their placeholders unscaled, as ollama injects multimodal rows (174-178).
	for _, s := range spans {
		flat := make([]float32, 0, len(s.rows)*c.layout.width)
		for _, r := range s.rows {
			flat = append(flat, r...)
		}
		e := ctx.Input().FromFloats(flat, c.layout.width, len(s.rows))
		ctx.Forward(e.Copy(ctx, h.View(ctx, s.at*h.Stride(1), c.layout.width*len(s.rows))))
	}
	var perLayer ml.Tensor
	if tm.PerLayerProjector != nil {
		perLayer = tm.PerLayerProjector.Forward(ctx, b, h, &tm.TextOptions)
	}
	for i := range tm.Layers {
		c.cache.SetLayer(i)
		if c.layout.local[i] {
			c.cache.SetLayerType(cacheSWA)
		} else {
			c.cache.SetLayerType(cacheCausal)
		}
		var outputs ml.Tensor
		if i == len(tm.Layers)-1 {
			outputs = b.Outputs
		}
		var pl ml.Tensor
		if perLayer != nil {
			pl = perLayer.View(ctx, i*perLayer.Stride(1), perLayer.Dim(0), perLayer.Stride(2), perLayer.Dim(2))
		}
		donor, shared := c.layout.donor[i]
		if shared {
			c.cache.SetLayer(donor)
		}
		h = tm.Layers[i].Forward(ctx, i, h, positions, pl, outputs, c.cache, shared, &tm.TextOptions)
	}
	hidden = tm.OutputNorm.Forward(ctx, h, c.layout.eps)
	return hidden, c.outputLogits(ctx, hidden)
}

// outputLogits are the logits of hidden states after the output norm: the output matrix (the tied
// embeddings, or output.weight where the file has one), then the final soft cap. The MTP head's come the
// same way.
func (c *core) outputLogits(ctx ml.Context, hidden ml.Tensor) ml.Tensor {
	logits := c.m.TextModel.Output.Forward(ctx, hidden)
	if sc := float64(c.layout.softcap); sc > 0 {
		logits = logits.Scale(ctx, 1/sc).Tanh(ctx).Scale(ctx, sc)
	}
	return logits
}

// row is one input row: a token, or an audio embedding when emb is set.
type row struct {
	tok int32
	emb []float32
}

func tokenRows(toks []int32) []row {
	out := make([]row, len(toks))
	for i, t := range toks {
		out[i] = row{tok: t}
	}
	return out
}

func audioRows(embs [][]float32) []row {
	out := make([]row, len(embs))
	for i, e := range embs {
		out[i] = row{emb: e}
	}
	return out
}

// run decodes rows at positions pos… into the cache, in batches of at most c.batch rows, and returns the
// hidden state and logits of the rows in outputs (indices into rows, ascending).
func (c *core) run(rows []row, pos int, outputs []int) (hidden, logits [][]float32, err error) {
	if pos+len(rows) > c.nCtx {
		return nil, nil, fmt.Errorf("the utterance is longer than the context of %d tokens", c.nCtx)
	}
	for start := 0; start < len(rows); start += c.batch {
		end := min(start+c.batch, len(rows))
		var outs []int32
		for _, o := range outputs {
			if o >= start && o < end {
				outs = append(outs, int32(o-start))
			}
		}
		h, l, err := c.step(rows[start:end], pos+start, outs)
		if err != nil {
			return nil, nil, err
		}
		hidden, logits = append(hidden, h...), append(logits, l...)
	}
	return hidden, logits, nil
}

// step runs one batch. ggml panics on failure (Compute, out of memory), so that is recovered as an error.
func (c *core) step(rows []row, pos int, outputs []int32) (hidden, logits [][]float32, err error) {
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("Gemma 4 forward pass failed: %v", r)
		}
	}()
	want := len(outputs)
	if want == 0 {
		outputs = []int32{int32(len(rows) - 1)} // a graph needs an output row; its result is dropped
	}
	ctx := c.m.Backend().NewContext()
	defer ctx.Close()
	toks := make([]int32, len(rows))
	b := input.Batch{Positions: make([]int32, len(rows)), Sequences: make([]int, len(rows))}
	var spans []span
	for i, r := range rows {
		b.Positions[i] = int32(pos + i)
		if r.emb == nil {
			toks[i] = r.tok
			continue
		}
		// Audio rows take token 0's per-layer input, as llama.cpp's padding row (build_inp_per_layer).
		if n := len(spans); n > 0 && spans[n-1].at+len(spans[n-1].rows) == i {
			spans[n-1].rows = append(spans[n-1].rows, r.emb)
		} else {
			spans = append(spans, span{at: i, rows: [][]float32{r.emb}})
		}
	}
	b.Inputs = ctx.Input().FromInts(toks, len(toks))
	b.Outputs = ctx.Input().FromInts(outputs, len(outputs))
	if err := c.cache.StartForward(ctx, b, false); err != nil {
		return nil, nil, fmt.Errorf("KV cache: %w", err)
	}
	h, l := c.graph(ctx, b, spans)
	ctx.SetBatchSize(len(rows))
	ctx.Forward(h, l).Compute(h, l)
	if want == 0 {
		return nil, nil, nil
	}
	return split(h.Floats(), want), split(l.Floats(), want), nil
}

func split(flat []float32, n int) [][]float32 {
	w := len(flat) / n
	out := make([][]float32, n)
	for i := range out {
		out[i] = flat[i*w : (i+1)*w]
	}
	return out
}

// rollback drops every cell from position from on: the next batch continues there.
func (c *core) rollback(from int) error {
	if err := c.cache.Remove(0, int32(from), math.MaxInt32); err != nil {
		return fmt.Errorf("KV cache rollback to %d: %w", from, err)
	}
	return nil
}
