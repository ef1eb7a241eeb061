// Package testmodel makes tiny but real GGUF models at run time, so tests drive the real llama.cpp code
// paths (load, tokenize, decode, embedding input) without shipping or downloading a model. It also holds
// a plain Go forward pass of the same network: what llama.cpp computes must match it.
package testmodel

import (
	"fmt"
	"math"
	"math/rand"
	"path/filepath"
	"strings"

	"github.com/verbatim-app/verbatim/inference/audioproj"
	"github.com/verbatim-app/verbatim/inference/gguf"
)

// Control tokens, in vocabulary order.
const (
	BOS = iota
	EOS
	UNK
	AudioBegin
	AudioEnd
	TaskTranscribe
	firstPlain
)

// Spec sizes a synthetic llama-architecture model.
type Spec struct {
	Words  []string // word tokens added after the single characters, e.g. " hello"
	Embd   int
	Layers int
	Heads  int
	FF     int
	Ctx    int
	Seed   int64
	// Scale multiplies the random weights; larger gives peakier logits (clear greedy choices).
	Scale float32
	// Matrices is how the layers' matrices are stored: gguf.TypeF32 (the zero value), TypeF16 or TypeQ8_0
	// (benchmarks of models too big for the cache; the reference forward pass in Go stays in float32).
	Matrices gguf.TensorType
}

// DefaultSpec is small enough to build and run in milliseconds.
func DefaultSpec() Spec {
	return Spec{Words: []string{" hello", " world", " red", " box", " kitchen", " the", " at", " five", " please", " bring"},
		Embd: 64, Layers: 2, Heads: 4, FF: 128, Ctx: 512, Seed: 1, Scale: 1}
}

// Model is a synthetic model's weights, row-major [out][in] like torch.nn.Linear.
type Model struct {
	Spec   Spec
	Vocab  []string // unescaped token texts
	Embed  []float32
	Output []float32 // untied output matrix, vocab rows
	Norm   []float32
	Layers []Layer
}

// Layer is one transformer block.
type Layer struct {
	AttnNorm, FFNNorm []float32
	Q, K, V, O        []float32
	Gate, Up, Down    []float32
}

// New makes a model with deterministic random weights.
func New(s Spec) *Model {
	rng := rand.New(rand.NewSource(s.Seed))
	vocab := []string{"<bos>", "<eos>", "<unk>", "<|audio>", "<audio|>", "<|transcribe|>", "\n"}
	for c := ' '; c <= '~'; c++ {
		vocab = append(vocab, string(c))
	}
	vocab = append(vocab, s.Words...)
	randn := func(n int, std float32) []float32 {
		w := make([]float32, n)
		for i := range w {
			w[i] = float32(rng.NormFloat64()) * std * s.Scale
		}
		return w
	}
	ones := func(n int) []float32 {
		w := make([]float32, n)
		for i := range w {
			w[i] = 1
		}
		return w
	}
	m := &Model{Spec: s, Vocab: vocab, Embed: randn(len(vocab)*s.Embd, 1), Norm: ones(s.Embd)}
	// An untied output matrix whose control-token rows are zero: those tokens get a logit of 0 while
	// plain tokens score on both sides of it, so the model always says something (tests of the plumbing
	// need text; MaxTokens ends it) instead of echoing its last control token.
	m.Output = randn(len(vocab)*s.Embd, 1)
	clear(m.Output[:firstPlain*s.Embd])
	in := float32(1 / math.Sqrt(float64(s.Embd)))
	// The reference forward pass uses the values the file stores, so a quantised model still matches it.
	matrix := func(n int, std float32) []float32 {
		w := randn(n, std)
		switch s.Matrices {
		case gguf.TypeF16:
			for i, v := range w {
				w[i] = gguf.HalfToFloat(gguf.FloatToHalf(v))
			}
		case gguf.TypeQ8_0:
			w = gguf.DequantizeQ8_0(gguf.QuantizeQ8_0(w))
		}
		return w
	}
	for l := 0; l < s.Layers; l++ {
		m.Layers = append(m.Layers, Layer{
			AttnNorm: ones(s.Embd), FFNNorm: ones(s.Embd),
			Q: matrix(s.Embd*s.Embd, in), K: matrix(s.Embd*s.Embd, in), V: matrix(s.Embd*s.Embd, in), O: matrix(s.Embd*s.Embd, in),
			Gate: matrix(s.FF*s.Embd, in), Up: matrix(s.FF*s.Embd, in), Down: matrix(s.Embd*s.FF, float32(1/math.Sqrt(float64(s.FF)))),
		})
	}
	return m
}

func escapeRWKV(s string) string {
	r := strings.NewReplacer(`\`, `\\`, "\n", `\n`, "\t", `\t`, "\r", `\r`)
	return r.Replace(s)
}

// WriteModel writes the text model as GGUF.
func (m *Model) WriteModel(path string) error {
	s := m.Spec
	w := gguf.NewWriter()
	w.SetString("general.architecture", "llama")
	w.SetString("general.name", "verbatim-synthetic")
	w.SetUint32("llama.context_length", uint32(s.Ctx))
	w.SetUint32("llama.embedding_length", uint32(s.Embd))
	w.SetUint32("llama.block_count", uint32(s.Layers))
	w.SetUint32("llama.feed_forward_length", uint32(s.FF))
	w.SetUint32("llama.attention.head_count", uint32(s.Heads))
	w.SetUint32("llama.attention.head_count_kv", uint32(s.Heads))
	w.SetUint32("llama.rope.dimension_count", uint32(s.Embd/s.Heads))
	w.SetFloat32("llama.rope.freq_base", 10000)
	w.SetFloat32("llama.attention.layer_norm_rms_epsilon", 1e-5)
	w.SetUint32("llama.vocab_size", uint32(len(m.Vocab)))
	w.SetString("tokenizer.ggml.model", "rwkv")
	toks := make([]string, len(m.Vocab))
	types := make([]int32, len(m.Vocab))
	for i, t := range m.Vocab {
		toks[i] = escapeRWKV(t)
		types[i] = 1
		if i < firstPlain {
			types[i] = 3
		}
	}
	w.SetStrings("tokenizer.ggml.tokens", toks)
	w.SetInt32s("tokenizer.ggml.token_type", types)
	w.SetUint32("tokenizer.ggml.bos_token_id", BOS)
	w.SetUint32("tokenizer.ggml.eos_token_id", EOS)
	w.SetUint32("tokenizer.ggml.unknown_token_id", UNK)
	w.SetString("verbatim.audio.begin", "<|audio>")
	w.SetString("verbatim.audio.end", "<audio|>")
	w.SetStrings("verbatim.tasks", []string{"transcribe"})
	w.SetString("verbatim.prompt.transcribe", "<|transcribe|>")
	e, f := uint64(s.Embd), uint64(s.FF)
	matrix := w.AddTensorF32
	switch s.Matrices {
	case gguf.TypeF32:
	case gguf.TypeF16:
		matrix = w.AddTensorF16
	case gguf.TypeQ8_0:
		matrix = w.AddTensorQ8_0
	default:
		return fmt.Errorf("synthetic model: matrices as %v are not supported", s.Matrices)
	}
	w.AddTensorF32("token_embd.weight", []uint64{e, uint64(len(m.Vocab))}, m.Embed)
	w.AddTensorF32("output_norm.weight", []uint64{e}, m.Norm)
	w.AddTensorF32("output.weight", []uint64{e, uint64(len(m.Vocab))}, m.Output)
	for i, l := range m.Layers {
		p := fmt.Sprintf("blk.%d.", i)
		w.AddTensorF32(p+"attn_norm.weight", []uint64{e}, l.AttnNorm)
		matrix(p+"attn_q.weight", []uint64{e, e}, l.Q)
		matrix(p+"attn_k.weight", []uint64{e, e}, l.K)
		matrix(p+"attn_v.weight", []uint64{e, e}, l.V)
		matrix(p+"attn_output.weight", []uint64{e, e}, l.O)
		w.AddTensorF32(p+"ffn_norm.weight", []uint64{e}, l.FFNNorm)
		matrix(p+"ffn_gate.weight", []uint64{e, f}, l.Gate)
		matrix(p+"ffn_up.weight", []uint64{e, f}, l.Up)
		matrix(p+"ffn_down.weight", []uint64{f, e}, l.Down)
	}
	return w.WriteFile(path)
}

// RawProjector returns deterministic raw-frame (gemma4ua) projection weights, row-major dim×640.
func (m *Model) RawProjector() []float32 {
	rng := rand.New(rand.NewSource(m.Spec.Seed + 100))
	w := make([]float32, m.Spec.Embd*audioproj.FrameSamples)
	for i := range w {
		w[i] = float32(rng.NormFloat64()) / float32(math.Sqrt(audioproj.FrameSamples))
	}
	return w
}

// WriteRawProjector writes a gemma4ua projector GGUF.
func (m *Model) WriteRawProjector(path string) error {
	w := gguf.NewWriter()
	w.SetString("general.architecture", "clip")
	w.SetString("clip.projector_type", gguf.ProjectorGemma4UA)
	w.SetBool("clip.has_audio_encoder", true)
	w.SetUint32("clip.audio.num_mel_bins", audioproj.FrameSamples)
	w.SetUint32("clip.audio.projection_dim", uint32(m.Spec.Embd))
	w.AddTensorF32("mm.a.input_projection.weight", []uint64{audioproj.FrameSamples, uint64(m.Spec.Embd)}, m.RawProjector())
	return w.WriteFile(path)
}

// Files writes the model and its raw projector into dir.
func (m *Model) Files(dir string) (model, projector string, err error) {
	model, projector = filepath.Join(dir, "synthetic.gguf"), filepath.Join(dir, "synthetic.mmproj.gguf")
	if err = m.WriteModel(model); err == nil {
		err = m.WriteRawProjector(projector)
	}
	return model, projector, err
}

// TokenEmbedding returns a token's input embedding.
func (m *Model) TokenEmbedding(tok int) []float32 {
	return append([]float32(nil), m.Embed[tok*m.Spec.Embd:(tok+1)*m.Spec.Embd]...)
}

// Logits runs the whole sequence of input embeddings (positions 0…n-1) and returns the last logits.
func (m *Model) Logits(inputs [][]float32) []float32 {
	s := m.Spec
	hd := s.Embd / s.Heads
	n := len(inputs)
	h := make([][]float32, n)
	for i := range inputs {
		h[i] = append([]float32(nil), inputs[i]...)
	}
	for _, l := range m.Layers {
		q, k, v := make([][]float32, n), make([][]float32, n), make([][]float32, n)
		for p := 0; p < n; p++ {
			x := rmsnorm(h[p], l.AttnNorm, 1e-5)
			q[p], k[p], v[p] = matvec(l.Q, x), matvec(l.K, x), matvec(l.V, x)
			rope(q[p], p, hd)
			rope(k[p], p, hd)
		}
		for p := 0; p < n; p++ {
			att := make([]float32, s.Embd)
			for hh := 0; hh < s.Heads; hh++ {
				o := hh * hd
				scores := make([]float64, p+1)
				maxs := math.Inf(-1)
				for j := 0; j <= p; j++ {
					var d float64
					for c := 0; c < hd; c++ {
						d += float64(q[p][o+c]) * float64(k[j][o+c])
					}
					scores[j] = d / math.Sqrt(float64(hd))
					maxs = math.Max(maxs, scores[j])
				}
				var sum float64
				for j := range scores {
					scores[j] = math.Exp(scores[j] - maxs)
					sum += scores[j]
				}
				for j := range scores {
					for c := 0; c < hd; c++ {
						att[o+c] += float32(scores[j]/sum) * v[j][o+c]
					}
				}
			}
			add(h[p], matvec(l.O, att))
		}
		for p := 0; p < n; p++ {
			x := rmsnorm(h[p], l.FFNNorm, 1e-5)
			g, u := matvec(l.Gate, x), matvec(l.Up, x)
			for i := range g {
				g[i] = g[i] / (1 + float32(math.Exp(-float64(g[i])))) * u[i]
			}
			add(h[p], matvec(l.Down, g))
		}
	}
	return matvec(m.Output, rmsnorm(h[n-1], m.Norm, 1e-5))
}

// Greedy decodes greedily from the input embeddings until EOS or max tokens; it also returns, for each
// step, the gap between the best and second-best logit (tests only trust steps with a clear winner).
func (m *Model) Greedy(inputs [][]float32, max int) (tokens []int, margins []float32) {
	seq := append([][]float32(nil), inputs...)
	for len(tokens) < max {
		lg := m.Logits(seq)
		best, second := 0, -1
		for i := range lg {
			if lg[i] > lg[best] {
				second, best = best, i
			} else if i != best && (second < 0 || lg[i] > lg[second]) {
				second = i
			}
		}
		tokens = append(tokens, best)
		margins = append(margins, lg[best]-lg[second])
		if best == EOS {
			break
		}
		seq = append(seq, m.TokenEmbedding(best))
	}
	return tokens, margins
}

func rmsnorm(x, w []float32, eps float64) []float32 {
	var ss float64
	for _, v := range x {
		ss += float64(v) * float64(v)
	}
	sc := float32(1 / math.Sqrt(ss/float64(len(x))+eps))
	out := make([]float32, len(x))
	for i, v := range x {
		out[i] = v * sc * w[i]
	}
	return out
}

// rope rotates adjacent pairs (llama.cpp's NORM RoPE type, used by the llama architecture).
func rope(x []float32, pos, hd int) {
	for o := 0; o < len(x); o += hd {
		for i := 0; i < hd; i += 2 {
			theta := float64(pos) * math.Pow(10000, -float64(i)/float64(hd))
			c, s := float32(math.Cos(theta)), float32(math.Sin(theta))
			a, b := x[o+i], x[o+i+1]
			x[o+i], x[o+i+1] = a*c-b*s, a*s+b*c
		}
	}
}

func matvec(w, x []float32) []float32 {
	out := make([]float32, len(w)/len(x))
	for r := range out {
		row := w[r*len(x) : (r+1)*len(x)]
		var acc float32
		for c, v := range row {
			acc += v * x[c]
		}
		out[r] = acc
	}
	return out
}

func add(dst, src []float32) {
	for i := range dst {
		dst[i] += src[i]
	}
}

// MTPHead is a synthetic MTP drafter head (see inference/mtp.go), row-major [out][in] matrices.
type MTPHead struct {
	FF                          int
	NormH, NormE, FFNNorm, Norm []float32
	FC, Gate, Up, Down          []float32
}

// NewMTPHead makes a head for m with deterministic random weights.
func (m *Model) NewMTPHead(ff int, seed int64) *MTPHead {
	rng := rand.New(rand.NewSource(seed))
	d := m.Spec.Embd
	randn := func(n int, std float64) []float32 {
		w := make([]float32, n)
		for i := range w {
			w[i] = float32(rng.NormFloat64() * std)
		}
		return w
	}
	ones := func() []float32 {
		w := make([]float32, d)
		for i := range w {
			w[i] = 1 + float32(rng.NormFloat64()*0.1)
		}
		return w
	}
	in := 1 / math.Sqrt(float64(d))
	return &MTPHead{FF: ff, NormH: ones(), NormE: ones(), FFNNorm: ones(), Norm: ones(),
		FC: randn(2*d*d, 1/math.Sqrt(float64(2*d))), Gate: randn(ff*d, in), Up: randn(ff*d, in),
		Down: randn(d*ff, 1/math.Sqrt(float64(ff)))}
}

// WriteMTPHead writes h as an MTP head file for m: its vocabulary, a copy of its token embeddings and,
// since the synthetic model's output matrix is untied, of that too.
func (m *Model) WriteMTPHead(path string, h *MTPHead) error {
	d, ff, v := uint64(m.Spec.Embd), uint64(h.FF), uint64(len(m.Vocab))
	w := gguf.NewWriter()
	w.SetString("general.architecture", gguf.MTPArchitecture)
	w.SetUint32(gguf.MTPArchitecture+".embedding_length", uint32(d))
	w.SetUint32(gguf.MTPArchitecture+".feed_forward_length", uint32(ff))
	w.SetFloat32(gguf.MTPArchitecture+".layer_norm_rms_epsilon", 1e-5)
	toks := make([]string, len(m.Vocab))
	for i, t := range m.Vocab {
		toks[i] = escapeRWKV(t)
	}
	w.SetString("tokenizer.ggml.model", "rwkv")
	w.SetStrings("tokenizer.ggml.tokens", toks)
	w.AddTensorF32("token_embd.weight", []uint64{d, v}, m.Embed)
	w.AddTensorF32("output.weight", []uint64{d, v}, m.Output)
	w.AddTensorF32("mtp.norm_h.weight", []uint64{d}, h.NormH)
	w.AddTensorF32("mtp.norm_e.weight", []uint64{d}, h.NormE)
	w.AddTensorF32("mtp.fc.weight", []uint64{2 * d, d}, h.FC)
	w.AddTensorF32("mtp.ffn_norm.weight", []uint64{d}, h.FFNNorm)
	w.AddTensorF32("mtp.ffn_gate.weight", []uint64{d, ff}, h.Gate)
	w.AddTensorF32("mtp.ffn_up.weight", []uint64{d, ff}, h.Up)
	w.AddTensorF32("mtp.ffn_down.weight", []uint64{ff, d}, h.Down)
	w.AddTensorF32("mtp.output_norm.weight", []uint64{d}, h.Norm)
	return w.WriteFile(path)
}

// MTPStep is the head's forward pass in plain Go: hidden state and next token in, the token after it
// and the head's own hidden state out.
func (m *Model) MTPStep(h *MTPHead, hidden []float32, tok int) (int, []float32) {
	in := append(rmsnorm(hidden, h.NormH, 1e-5), rmsnorm(m.TokenEmbedding(tok), h.NormE, 1e-5)...)
	x := matvec(h.FC, in)
	y := rmsnorm(x, h.FFNNorm, 1e-5)
	g, u := matvec(h.Gate, y), matvec(h.Up, y)
	for i := range g {
		g[i] = g[i] / (1 + float32(math.Exp(-float64(g[i])))) * u[i]
	}
	add(x, matvec(h.Down, g))
	out := rmsnorm(x, h.Norm, 1e-5)
	logits := matvec(m.Output, out)
	best := 0
	for i := range logits {
		if logits[i] > logits[best] {
			best = i
		}
	}
	return best, out
}
