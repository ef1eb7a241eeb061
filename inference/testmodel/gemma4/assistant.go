package gemma4

import (
	"fmt"
	"math"
	"math/rand"
	"slices"

	"github.com/verbatim-app/verbatim/inference/gguf"
)

// Assistant is a synthetic Gemma 4 assistant drafter for a Model (upstream llama.cpp
// src/models/gemma4-assistant.cpp; docs/GEMMA4.md §7), row-major [out][in] like the model: from the target's
// hidden state and the token chosen there it runs its own layers, whose queries attend over the target's
// KV cache of the last non-shared target layer of their type, and proposes the next token with its own
// tied output.
type Assistant struct {
	Embd, Heads, FF int
	Local           []bool
	Embed           []float32 // token_embd [vocab][Embd], the tied output
	Norm            []float32 // output_norm
	Pre             []float32 // nextn.pre_projection [Embd][2×target Embd]: the scaled token embedding, then the hidden state
	Post            []float32 // nextn.post_projection [target Embd][Embd]
	Layers          []AssistantLayer
}

// AssistantLayer is one assistant block: a Gemma 4 layer with queries only.
type AssistantLayer struct {
	AttnNorm, Q, QNorm, O, PostAttnNorm, FFNNorm, Gate, Up, Down, PostFFNNorm []float32
	Scale                                                                     float32
}

// NewAssistant makes an assistant of width embd with the given layer pattern (true: sliding) whose drafts
// follow the bigrams in next: its output row of next[t] points where the assistant's final state goes for
// token t when its layers add nothing (the hidden-state half of the pre-projection is small, so the token
// decides). mix scales what the layers add (their post-norms): at 1 they are as large as the residual, and
// drafts follow the bigrams less.
func (m *Model) NewAssistant(embd, heads, ff int, local []bool, next map[int]int, mix float32, seed int64) *Assistant {
	rng := rand.New(rand.NewSource(seed))
	s := m.Spec
	D := s.Embd
	randn := func(n int, std float64) []float32 {
		w := make([]float32, n)
		for i := range w {
			w[i] = float32(rng.NormFloat64() * std)
		}
		return w
	}
	norm := func(n int, scale float32) []float32 {
		w := randn(n, 0.1)
		for i := range w {
			w[i] = (w[i] + 1) * scale
		}
		return w
	}
	a := &Assistant{Embd: embd, Heads: heads, FF: ff, Local: local, Norm: norm(embd, 1),
		Embed: randn(len(m.Vocab)*embd, 0.3), Pre: randn(embd*2*D, 1/math.Sqrt(float64(2*D))), Post: randn(D*embd, 1/math.Sqrt(float64(embd)))}
	for r := 0; r < embd; r++ { // the hidden state's half, a tenth as strong as the token's
		for c := D; c < 2*D; c++ {
			a.Pre[r*2*D+c] *= 0.1
		}
	}
	in := 1 / math.Sqrt(float64(embd))
	for l := range local {
		hd := a.headDim(s, l)
		a.Layers = append(a.Layers, AssistantLayer{AttnNorm: norm(embd, 1), Q: randn(heads*hd*embd, in), QNorm: norm(hd, 1),
			O: randn(embd*heads*hd, 1/math.Sqrt(float64(heads*hd))), PostAttnNorm: norm(embd, mix), FFNNorm: norm(embd, 1),
			Gate: randn(ff*embd, in), Up: randn(ff*embd, in), Down: randn(embd*ff, 1/math.Sqrt(float64(ff))),
			PostFFNNorm: norm(embd, mix), Scale: 0.5 + rng.Float32()})
	}
	for t, y := range next {
		// The final state for token t with the layers silent and no hidden state: the pre-projection's token half.
		x := make([]float32, 2*D)
		for c, v := range m.Embed[t*D : (t+1)*D] {
			x[c] = v * float32(math.Sqrt(float64(D)))
		}
		g := rmsnorm(matvec(a.Pre, x), a.Norm)
		row := a.Embed[y*embd : (y+1)*embd]
		for c := range row {
			row[c] += 3 * g[c]
		}
	}
	return a
}

func (a *Assistant) headDim(s Spec, l int) int {
	if a.Local[l] {
		return s.HeadDimSWA
	}
	return s.HeadDimGlobal
}

// lastOfType is the target layer whose KV cache assistant layers of this type read: the last non-shared one.
func (s Spec) lastOfType(local bool) int {
	for l := len(s.Pattern) - s.SharedKV - 1; l >= 0; l-- {
		if s.Pattern[l] == local {
			return l
		}
	}
	return -1
}

// WriteAssistant writes a as a gemma4-assistant GGUF with the keys and tensor names of upstream llama.cpp
// (src/llama-arch.cpp, src/models/gemma4-assistant.cpp: embedding_length_out carries the target's width; no
// tokenizer, as Google's files have none), every tensor F32; e spoils it as WriteEdited does.
func (m *Model) WriteAssistant(path string, a *Assistant, e Edit) error {
	s := m.Spec
	p := gguf.AssistantArchitecture + "."
	w := gguf.NewWriter()
	w.SetString("general.architecture", gguf.AssistantArchitecture)
	w.SetString("general.name", "verbatim-synthetic-gemma4 assistant")
	w.SetUint32(p+"embedding_length_out", uint32(s.Embd))
	w.SetUint32(p+"embedding_length", uint32(a.Embd))
	w.SetUint32(p+"block_count", uint32(len(a.Layers)))
	w.SetUint32(p+"nextn_predict_layers", uint32(len(a.Layers)))
	w.SetUint32(p+"feed_forward_length", uint32(a.FF))
	w.SetUint32(p+"attention.head_count", uint32(a.Heads))
	w.SetUint32(p+"attention.key_length", uint32(s.HeadDimGlobal))
	w.SetUint32(p+"attention.value_length", uint32(s.HeadDimGlobal))
	w.SetUint32(p+"attention.key_length_swa", uint32(s.HeadDimSWA))
	w.SetUint32(p+"attention.value_length_swa", uint32(s.HeadDimSWA))
	w.SetUint32(p+"attention.sliding_window", uint32(s.Window))
	w.SetBools(p+"attention.sliding_window_pattern", a.Local)
	w.SetFloat32(p+"attention.layer_norm_rms_epsilon", 1e-6)
	w.SetFloat32(p+"rope.freq_base", 1e6)
	w.SetFloat32(p+"rope.freq_base_swa", 1e4)
	if e.Keys != nil {
		e.Keys(w)
	}
	add := e.adder(w)
	d, D, v := uint64(a.Embd), uint64(s.Embd), uint64(len(m.Vocab))
	add("token_embd.weight", []uint64{d, v}, a.Embed)
	add("output_norm.weight", []uint64{d}, a.Norm)
	add(gguf.AssistantPre, []uint64{2 * D, d}, a.Pre)
	add(gguf.AssistantPost, []uint64{d, D}, a.Post)
	if slices.Contains(a.Local, false) {
		add("rope_freqs.weight", []uint64{uint64(len(m.Freqs))}, m.Freqs)
	}
	for l, ly := range a.Layers {
		pf := fmt.Sprintf("blk.%d.", l)
		q, ff := uint64(a.headDim(s, l)*a.Heads), uint64(a.FF)
		add(pf+"attn_norm.weight", []uint64{d}, ly.AttnNorm)
		add(pf+"attn_q.weight", []uint64{d, q}, ly.Q)
		add(pf+"attn_q_norm.weight", []uint64{uint64(a.headDim(s, l))}, ly.QNorm)
		add(pf+"attn_output.weight", []uint64{q, d}, ly.O)
		add(pf+"post_attention_norm.weight", []uint64{d}, ly.PostAttnNorm)
		add(pf+"layer_output_scale.weight", []uint64{1}, []float32{ly.Scale})
		add(pf+"ffn_norm.weight", []uint64{d}, ly.FFNNorm)
		add(pf+"ffn_gate.weight", []uint64{d, ff}, ly.Gate)
		add(pf+"ffn_up.weight", []uint64{d, ff}, ly.Up)
		add(pf+"ffn_down.weight", []uint64{ff, d}, ly.Down)
		add(pf+"post_ffw_norm.weight", []uint64{d}, ly.PostFFNNorm)
	}
	return w.WriteFile(path)
}

// AssistantStep is the reference of one assistant step, written from upstream's graph: the target has
// decoded rows in (positions 0…len(in)-1), chose tok at the last of them with final hidden state hidden; the
// assistant, at position len(in) (where tok will go; every draft step of a round stays there), returns the
// logits of the token after tok (no soft cap) and its projected state, which takes hidden's place to draft
// further.
func (m *Model) AssistantStep(a *Assistant, in []Input, hidden []float32, tok int) (logits, out []float32) {
	s := m.Spec
	D, pos := s.Embd, len(in)
	_, _, keys, values := m.forward(in)
	x := make([]float32, 0, 2*D)
	for _, v := range m.Embed[tok*D : (tok+1)*D] {
		x = append(x, v*float32(math.Sqrt(float64(D))))
	}
	cur := matvec(a.Pre, append(x, hidden...))
	for l, ly := range a.Layers {
		hd := a.headDim(s, l)
		donor := s.lastOfType(a.Local[l])
		base, factors, first := 1e6, m.Freqs, 0
		if a.Local[l] {
			base, factors, first = 1e4, nil, max(0, pos-s.Window+1)
		}
		q := matvec(ly.Q, rmsnorm(cur, ly.AttnNorm))
		for hh := 0; hh < a.Heads; hh++ {
			head := q[hh*hd : (hh+1)*hd]
			copy(head, rmsnorm(head, ly.QNorm))
			rope(head, pos, base, factors)
		}
		att := attend(q, a.Heads, hd, s.KVHeads(donor), keys[donor][first:pos], values[donor][first:pos])
		h := rmsnorm(matvec(ly.O, att), ly.PostAttnNorm)
		add(h, cur)
		f := rmsnorm(h, ly.FFNNorm)
		gate, up := matvec(ly.Gate, f), matvec(ly.Up, f)
		for j := range gate {
			gate[j] = gelu(gate[j]) * up[j]
		}
		f = rmsnorm(matvec(ly.Down, gate), ly.PostFFNNorm)
		add(f, h)
		for j := range f {
			f[j] *= ly.Scale
		}
		cur = f
	}
	g := rmsnorm(cur, a.Norm)
	return matvec(a.Embed, g), matvec(a.Post, g)
}
