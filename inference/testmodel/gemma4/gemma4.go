// Package gemma4 makes tiny synthetic Gemma 4 checkpoints at run time — a text GGUF with the metadata keys
// and tensor names of the real releases and a gemma4ua raw-frame projector — and holds a plain Go forward
// pass of the same network, independent of ollama's engine, that the engine must match.
//
// Where the names come from (O = github.com/ollama/ollama@v0.24.0):
//   - keys: written by O/convert/convert_gemma4.go:69-207 (gemma4Model.KV), read by
//     O/model/models/gemma4/model_text.go:83-165 (newTextModel) and model.go:55-118 (New); the same names are
//     LLM_KV_* in llama.cpp's src/llama-arch.cpp.
//   - tensors: the gguf tags of O/model/models/gemma4/model_text.go:74-81,229-414, which are the names
//     O/convert/convert_gemma4.go:442-574 (Replacements) produces; rope_freqs as convert_gemma4.go:316-345.
//   - projector: Verbatim's gemma4ua reader (inference/audioproj, inference/gguf/check.go).
package gemma4

import (
	"crypto/sha256"
	"fmt"
	"math"
	"math/rand"
	"os"
	"path/filepath"
	"sort"
	"strings"

	"github.com/verbatim-app/verbatim/inference/audioproj"
	"github.com/verbatim-app/verbatim/inference/gguf"
)

// Token ids of the control tokens, in vocabulary order (real Gemma 4: pad 0, eos 1, bos 2, unk 3).
const (
	Pad = iota
	EOS
	BOS
	UNK
	TurnBegin  // <|turn>
	TurnEnd    // <turn|>, the end-of-turn token (eot_token_id)
	AudioBegin // <|audio>
	AudioEnd   // <audio|>
	ImageBegin // <|image>
	ImageEnd   // <image|>
	firstPlain
)

var controlTokens = []string{"<pad>", "<eos>", "<bos>", "<unk>", "<|turn>", "<turn|>", "<|audio>", "<audio|>", "<|image>", "<image|>"}

// Spec sizes a synthetic model. Layers follow Pattern (true: sliding window, false: global).
type Spec struct {
	Words         []string // whole-word tokens (with their BPE merges), e.g. "hello"
	Embd, FF      int
	Heads         int
	HeadDimSWA    int // attention.key_length_swa
	HeadDimGlobal int // attention.key_length; global layers store K=V (no attn_v) as the 12B does
	KVHeadsSWA    int
	KVHeadsGlobal int
	Pattern       []bool
	Window        int     // attention.sliding_window: a query sees itself and the Window-1 positions before it
	RotaryGlobal  float64 // fraction of the global head dim that RoPE rotates (rope_freqs.weight)
	Softcap       float32
	Ctx           int
	Seed          int64
	// The E2B/E4B text decoder: per-layer inputs of this width (embedding_length_per_layer_input), and the
	// last SharedKV layers reading the KV of the last earlier layer of their type.
	PLE      int
	SharedKV int
}

// DefaultSpec is docs/GEMMA4.md §6's tiny config: 6 layers, 5 sliding and 1 global, window 8.
func DefaultSpec() Spec {
	return Spec{Words: []string{"hello", "world", "red", "box", "kitchen", "the", "at", "five", "please", "bring"},
		Embd: 64, FF: 128, Heads: 4, HeadDimSWA: 16, HeadDimGlobal: 32, KVHeadsSWA: 2, KVHeadsGlobal: 1,
		Pattern: []bool{true, true, true, true, true, false}, Window: 8, RotaryGlobal: 0.25, Softcap: 30,
		Ctx: 1024, Seed: 1}
}

// ESpec is DefaultSpec as an E2B/E4B-style text decoder (docs/GEMMA4.md §6): per-layer inputs of width 8
// and two KV-shared layers, one of each type (so the pattern has a global layer before them).
func ESpec() Spec {
	s := DefaultSpec()
	s.Pattern = []bool{true, true, false, true, true, false}
	s.PLE, s.SharedKV = 8, 2
	return s
}

// Model is a synthetic model's weights, row-major [out][in] like torch.nn.Linear.
type Model struct {
	Spec   Spec
	Vocab  []string // token texts as stored (▁ for a space)
	Types  []int32  // tokenizer.ggml.token_type
	Merges []string
	Embed  []float32 // token_embd, vocab rows
	Output []float32 // untied output.weight, vocab rows
	Norm   []float32
	Freqs  []float32 // rope_freqs.weight: 1 for rotated pairs of the global head, 1e30 for the rest
	Layers []Layer
	Proj   []float32 // gemma4ua projection, row-major Embd×640
	// Per-layer inputs (PLE), when Spec.PLE > 0.
	PLEEmbed []float32 // per_layer_token_embd, vocab rows of Layers×PLE
	PLEProj  []float32 // per_layer_model_proj, [Layers×PLE][Embd]
	PLENorm  []float32 // per_layer_proj_norm
}

// Layer is one decoder block. V is nil where the layer uses K as V.
type Layer struct {
	AttnNorm, QNorm, KNorm, PostAttnNorm, FFNNorm, PostFFNNorm []float32
	Q, K, V, O                                                 []float32
	Gate, Up, Down                                             []float32
	Scale                                                      float32   // layer_output_scale
	InpGate, PLEOut, PLEPostNorm                               []float32 // PLE: inp_gate [PLE][Embd], proj [Embd][PLE], post_norm
	Donor                                                      int       // the layer whose KV a shared layer reads; -1 for its own
}

func (s Spec) local(l int) bool { return s.Pattern[l] }

// donor is the last non-shared layer of l's type whose KV l reads, or -1 (model_text.go:126-142).
func (s Spec) donor(l int) int {
	first := len(s.Pattern) - s.SharedKV
	if l < first {
		return -1
	}
	for j := first - 1; j >= 0; j-- {
		if s.Pattern[j] == s.Pattern[l] {
			return j
		}
	}
	return -1
}

// HeadDim is layer l's attention head size.
func (s Spec) HeadDim(l int) int {
	if s.local(l) {
		return s.HeadDimSWA
	}
	return s.HeadDimGlobal
}

// KVHeads is layer l's KV head count.
func (s Spec) KVHeads(l int) int {
	if s.local(l) {
		return s.KVHeadsSWA
	}
	return s.KVHeadsGlobal
}

// BaseVocabulary is how every synthetic Gemma 4 vocabulary begins: the control tokens (ids as the real
// Gemma 4's: pad 0, eos 1, bos 2, unk 3), "\n", the 256 byte-fallback tokens <0x00>…<0xFF> and single
// letters, with their tokenizer.ggml.token_type.
func BaseVocabulary() (tokens []string, types []int32) {
	add := func(tok string, typ int32) { tokens, types = append(tokens, tok), append(types, typ) }
	for _, t := range controlTokens {
		typ := int32(3) // CONTROL
		if t == "<unk>" {
			typ = 2 // UNKNOWN
		}
		add(t, typ)
	}
	add("\n", 1)
	for b := 0; b < 256; b++ {
		add(fmt.Sprintf("<0x%02X>", b), 6) // BYTE: SentencePiece byte fallback
	}
	for _, c := range "▁abcdefghijklmnopqrstuvwxyz.," {
		add(string(c), 1)
	}
	return tokens, types
}

// FirstLetter is the id of BaseVocabulary's first letter: the control tokens, "\n" and the bytes come before.
const FirstLetter = firstPlain + 1 + 256

// New makes a model with deterministic random weights.
func New(s Spec) *Model {
	rng := rand.New(rand.NewSource(s.Seed))
	m := &Model{Spec: s}
	m.Vocab, m.Types = BaseVocabulary()
	add := func(tok string, typ int32) {
		m.Vocab = append(m.Vocab, tok)
		m.Types = append(m.Types, typ)
	}
	have := map[string]bool{}
	for _, t := range m.Vocab {
		have[t] = true
	}
	for _, w := range s.Words {
		r := []rune("▁" + w)
		for i := 2; i <= len(r); i++ {
			left, right := string(r[:i-1]), string(r[i-1])
			if !have[left+right] {
				have[left+right] = true
				add(left+right, 1)
				m.Merges = append(m.Merges, left+" "+right)
			}
		}
	}
	randn := func(n int, std float64) []float32 {
		w := make([]float32, n)
		for i := range w {
			w[i] = float32(rng.NormFloat64() * std)
		}
		return w
	}
	norm := func(n int) []float32 {
		w := randn(n, 0.1)
		for i := range w {
			w[i]++
		}
		return w
	}
	d, v := s.Embd, len(m.Vocab)
	m.Embed = randn(v*d, 1)
	// Control and byte rows of the output are zero: those tokens get a logit of 0 while the letters and
	// words score on both sides of it, so the model says something readable (MaxTokens ends it).
	m.Output = randn(v*d, 1)
	clear(m.Output[:FirstLetter*d])
	m.Norm = norm(d)
	m.Freqs = make([]float32, s.HeadDimGlobal/2)
	for i := range m.Freqs {
		m.Freqs[i] = 1e30
		if i < int(float64(s.HeadDimGlobal)*s.RotaryGlobal/2) {
			m.Freqs[i] = 1
		}
	}
	in := 1 / math.Sqrt(float64(d))
	for l := range s.Pattern {
		hd, kv := s.HeadDim(l), s.KVHeads(l)
		ly := Layer{AttnNorm: norm(d), QNorm: norm(hd), KNorm: norm(hd), PostAttnNorm: norm(d), FFNNorm: norm(d), PostFFNNorm: norm(d),
			Q: randn(s.Heads*hd*d, in), K: randn(kv*hd*d, in), O: randn(d*s.Heads*hd, 1/math.Sqrt(float64(s.Heads*hd))),
			Gate: randn(s.FF*d, in), Up: randn(s.FF*d, in), Down: randn(d*s.FF, 1/math.Sqrt(float64(s.FF))),
			Scale: 0.5 + rng.Float32(), Donor: s.donor(l)}
		if s.local(l) {
			ly.V = randn(kv*hd*d, in)
		}
		if s.PLE > 0 {
			ly.InpGate, ly.PLEOut, ly.PLEPostNorm = randn(s.PLE*d, in), randn(d*s.PLE, 1/math.Sqrt(float64(s.PLE))), norm(d)
		}
		m.Layers = append(m.Layers, ly)
	}
	// Audio rows as large as token rows (which are scaled by √d), so what is heard steers the answer.
	m.Proj = randn(d*audioproj.FrameSamples, math.Sqrt(float64(d)/audioproj.FrameSamples))
	if s.PLE > 0 {
		n := len(s.Pattern) * s.PLE
		m.PLEEmbed, m.PLEProj, m.PLENorm = randn(v*n, 1), randn(n*d, 1), norm(s.PLE)
	}
	return m
}

// ChatTemplate is enough of Gemma 4's chat template for Verbatim to recognise the family by its markers.
const ChatTemplate = "{{ bos_token }}{% for message in messages %}<|turn>{{ message['role'] }}\n{{ message['content'] }}<turn|>\n{% endfor %}<|turn>model\n"

// Edit spoils a written model, for tests of how bad files are refused.
type Edit struct {
	Keys   func(w *gguf.Writer)                       // runs after every key is set; may overwrite keys
	Tensor func(name string, shape []uint64) []uint64 // the shape to write (same element count); nil omits the tensor
}

// adder adds F32 tensors to w with e's Tensor edit applied.
func (e Edit) adder(w *gguf.Writer) func(name string, shape []uint64, data []float32) {
	return func(name string, shape []uint64, data []float32) {
		if e.Tensor != nil {
			if shape = e.Tensor(name, shape); shape == nil {
				return
			}
		}
		w.AddTensorF32(name, shape, data)
	}
}

// WriteModel writes the text model as GGUF.
func (m *Model) WriteModel(path string) error { return m.WriteEdited(path, Edit{}) }

// WriteEdited writes the text model with e applied.
func (m *Model) WriteEdited(path string, e Edit) error {
	s := m.Spec
	w := gguf.NewWriter()
	s.SetKeys(w, m.Vocab, m.Types, m.Merges)
	if e.Keys != nil {
		e.Keys(w)
	}
	add := e.adder(w)
	d, v := uint64(s.Embd), uint64(len(m.Vocab))
	add("token_embd.weight", []uint64{d, v}, m.Embed)
	add("output.weight", []uint64{d, v}, m.Output)
	add("output_norm.weight", []uint64{d}, m.Norm)
	add("rope_freqs.weight", []uint64{uint64(len(m.Freqs))}, m.Freqs)
	m.addLayers(add)
	return w.WriteFile(path)
}

// SetKeys sets every metadata key of a Gemma 4 text GGUF of this shape with this vocabulary: the keys
// ollama's converter writes (convert_gemma4.go:69-207), the tokenizer's, and llama.cpp's suppress_tokens.
func (s Spec) SetKeys(w *gguf.Writer, tokens []string, types []int32, merges []string) {
	w.SetString("general.architecture", "gemma4")
	w.SetString("general.name", "verbatim-synthetic-gemma4")
	n := uint32(len(s.Pattern))
	w.SetUint32("gemma4.block_count", n)
	w.SetUint32("gemma4.embedding_length", uint32(s.Embd))
	w.SetUint32("gemma4.context_length", uint32(s.Ctx))
	w.SetUint32("gemma4.feed_forward_length", uint32(s.FF))
	w.SetUint32("gemma4.attention.head_count", uint32(s.Heads))
	// Per layer when global layers have other KV heads than sliding ones (convert_gemma4.go:95-108).
	kv := make([]int32, n)
	for l := range kv {
		kv[l] = int32(s.KVHeads(l))
	}
	w.SetInt32s("gemma4.attention.head_count_kv", kv)
	w.SetUint32("gemma4.attention.key_length", uint32(s.HeadDimGlobal))
	w.SetUint32("gemma4.attention.value_length", uint32(s.HeadDimGlobal))
	w.SetUint32("gemma4.attention.key_length_swa", uint32(s.HeadDimSWA))
	w.SetUint32("gemma4.attention.value_length_swa", uint32(s.HeadDimSWA))
	w.SetFloat32("gemma4.attention.layer_norm_rms_epsilon", 1e-6)
	w.SetUint32("gemma4.attention.sliding_window", uint32(s.Window))
	w.SetBools("gemma4.attention.sliding_window_pattern", s.Pattern)
	w.SetUint32("gemma4.attention.shared_kv_layers", uint32(s.SharedKV))
	w.SetFloat32("gemma4.rope.freq_base", 1e6)
	w.SetUint32("gemma4.rope.dimension_count", uint32(s.HeadDimGlobal))
	w.SetFloat32("gemma4.rope.freq_base_swa", 1e4)
	w.SetUint32("gemma4.rope.dimension_count_swa", uint32(s.HeadDimSWA))
	w.SetFloat32("gemma4.final_logit_softcapping", s.Softcap)
	w.SetUint32("gemma4.embedding_length_per_layer_input", uint32(s.PLE)) // the converter always writes it
	// Tokenizer: convert_gemma4.go:71-73 and model.go:56-72.
	w.SetString("tokenizer.ggml.model", "llama")
	w.SetString("tokenizer.ggml.pre", "gemma4")
	w.SetStrings("tokenizer.ggml.tokens", tokens)
	w.SetInt32s("tokenizer.ggml.token_type", types)
	w.SetStrings("tokenizer.ggml.merges", merges)
	w.SetUint32("tokenizer.ggml.bos_token_id", BOS)
	w.SetUint32("tokenizer.ggml.eos_token_id", EOS)
	w.SetUint32("tokenizer.ggml.eot_token_id", TurnEnd)
	w.SetUint32("tokenizer.ggml.unknown_token_id", UNK)
	w.SetUint32("tokenizer.ggml.padding_token_id", Pad)
	w.SetBool("tokenizer.ggml.add_bos_token", false)
	// llama.cpp's gemma4 graph biases these to -inf (src/models/gemma4.cpp); Verbatim's engine does too.
	w.SetInt32s("tokenizer.ggml.suppress_tokens", []int32{ImageEnd, AudioEnd})
	w.SetString("tokenizer.chat_template", ChatTemplate)
}

// addLayers adds the per-layer inputs' and every block's tensors.
func (m *Model) addLayers(add func(name string, shape []uint64, data []float32)) {
	s := m.Spec
	d, v := uint64(s.Embd), uint64(len(m.Vocab))
	if s.PLE > 0 {
		n := uint64(len(s.Pattern) * s.PLE)
		add("per_layer_token_embd.weight", []uint64{n, v}, m.PLEEmbed)
		add("per_layer_model_proj.weight", []uint64{d, n}, m.PLEProj)
		add("per_layer_proj_norm.weight", []uint64{uint64(s.PLE)}, m.PLENorm)
	}
	for l, ly := range m.Layers {
		p := fmt.Sprintf("blk.%d.", l)
		hd, kv := uint64(s.HeadDim(l)), uint64(s.KVHeads(l))
		q := uint64(s.Heads) * hd
		add(p+"attn_norm.weight", []uint64{d}, ly.AttnNorm)
		add(p+"attn_q.weight", []uint64{d, q}, ly.Q)
		add(p+"attn_q_norm.weight", []uint64{hd}, ly.QNorm)
		if ly.Donor < 0 { // a KV-shared layer stores no K or V (convert_gemma4.go drops them)
			add(p+"attn_k.weight", []uint64{d, kv * hd}, ly.K)
			add(p+"attn_k_norm.weight", []uint64{hd}, ly.KNorm)
			if ly.V != nil {
				add(p+"attn_v.weight", []uint64{d, kv * hd}, ly.V)
			}
		}
		add(p+"attn_output.weight", []uint64{q, d}, ly.O)
		add(p+"post_attention_norm.weight", []uint64{d}, ly.PostAttnNorm)
		add(p+"ffn_norm.weight", []uint64{d}, ly.FFNNorm)
		add(p+"ffn_gate.weight", []uint64{d, uint64(s.FF)}, ly.Gate)
		add(p+"ffn_up.weight", []uint64{d, uint64(s.FF)}, ly.Up)
		add(p+"ffn_down.weight", []uint64{uint64(s.FF), d}, ly.Down)
		add(p+"post_ffw_norm.weight", []uint64{d}, ly.PostFFNNorm)
		add(p+"layer_output_scale.weight", []uint64{1}, []float32{ly.Scale})
		if s.PLE > 0 {
			add(p+"inp_gate.weight", []uint64{d, uint64(s.PLE)}, ly.InpGate)
			add(p+"proj.weight", []uint64{uint64(s.PLE), d}, ly.PLEOut)
			add(p+"post_norm.weight", []uint64{d}, ly.PLEPostNorm)
		}
	}
}

// WriteProjector writes the gemma4ua projector GGUF.
func (m *Model) WriteProjector(path string) error {
	w := gguf.NewWriter()
	SetProjectorKeys(w, m.Spec.Embd)
	w.AddTensorF32("mm.a.input_projection.weight", []uint64{audioproj.FrameSamples, uint64(m.Spec.Embd)}, m.Proj)
	return w.WriteFile(path)
}

// SetProjectorKeys sets the keys of a gemma4ua projector making embeddings of width embd (docs/GEMMA4.md
// §6); its one tensor is mm.a.input_projection.weight [640, embd].
func SetProjectorKeys(w *gguf.Writer, embd int) {
	w.SetString("general.architecture", "clip")
	w.SetString("clip.projector_type", gguf.ProjectorGemma4UA)
	w.SetBool("clip.has_audio_encoder", true)
	w.SetUint32("clip.audio.num_mel_bins", audioproj.FrameSamples)
	w.SetUint32("clip.audio.projection_dim", uint32(embd))
	w.SetFloat32("clip.audio.attention.layer_norm_epsilon", 1e-6)
}

// Files writes the model and its projector into dir.
func (m *Model) Files(dir string) (model, projector string, err error) {
	model, projector = filepath.Join(dir, "gemma4-synthetic.gguf"), filepath.Join(dir, "mmproj-gemma4-synthetic.gguf")
	if err = m.WriteModel(model); err == nil {
		err = m.WriteProjector(projector)
	}
	return model, projector, err
}

// Projector is the model's gemma4ua projector, for computing reference audio rows.
func (m *Model) Projector() *audioproj.Raw { return audioproj.NewRaw(m.Proj, m.Spec.Embd) }

// Input is one input row: a token, or an audio embedding (which goes in unscaled and, as llama.cpp's
// padding row, takes token 0's per-layer input).
type Input struct {
	Tok   int
	Audio []float32
}

// Tokens are the input rows of toks.
func Tokens(toks []int) []Input {
	out := make([]Input, len(toks))
	for i, t := range toks {
		out[i] = Input{Tok: t}
	}
	return out
}

// Audio are the input rows of projected frames.
func Audio(frames [][]float32) []Input {
	out := make([]Input, len(frames))
	for i, f := range frames {
		out[i] = Input{Audio: f}
	}
	return out
}

// Piece is the text of a token as the engine renders it: control tokens are empty, ▁ is a space.
func (m *Model) Piece(tok int) string {
	if m.Types[tok] == 3 {
		return ""
	}
	return strings.ReplaceAll(m.Vocab[tok], "▁", " ")
}

// Forward runs input rows at positions 0…n-1 and returns, for every row, the hidden state after the final
// norm and the logits (soft-capped, with the suppressed tokens at -Inf).
func (m *Model) Forward(in []Input) (hidden, logits [][]float32) {
	hidden, logits, _, _ = m.forward(in)
	return hidden, logits
}

// forward is Forward that also returns every layer's keys and values (after their norms and RoPE; a
// KV-shared layer's are its donor's), [layer][row][kvHeads×headDim], as the KV cache holds them.
func (m *Model) forward(in []Input) (hidden, logits [][]float32, keys, values [][][]float32) {
	s := m.Spec
	d := s.Embd
	n := len(in)
	h := make([][]float32, n)
	for i, r := range in {
		if h[i] = append([]float32(nil), r.Audio...); r.Audio == nil {
			h[i] = make([]float32, d)
			for c, v := range m.Embed[r.Tok*d : (r.Tok+1)*d] {
				h[i][c] = v * float32(math.Sqrt(float64(d)))
			}
		}
	}
	perLayer := m.perLayerInputs(in, h)
	keys = make([][][]float32, len(m.Layers))
	values = make([][][]float32, len(m.Layers))
	for l, ly := range m.Layers {
		hd, kvh := s.HeadDim(l), s.KVHeads(l)
		base, factors := 1e4, []float32(nil)
		if !s.local(l) {
			base, factors = 1e6, m.Freqs
		}
		q := make([][]float32, n)
		k := make([][]float32, n)
		v := make([][]float32, n)
		for i := range h {
			x := rmsnorm(h[i], ly.AttnNorm)
			q[i] = matvec(ly.Q, x)
			for hh := 0; hh < s.Heads; hh++ {
				head := q[i][hh*hd : (hh+1)*hd]
				copy(head, rmsnorm(head, ly.QNorm))
				rope(head, i, base, factors)
			}
			if ly.Donor >= 0 {
				continue
			}
			kr := matvec(ly.K, x)
			vr := kr // K=V: V is the raw K projection, before K's norm (model_text.go:335-344)
			if ly.V != nil {
				vr = matvec(ly.V, x)
			}
			v[i] = make([]float32, len(vr))
			k[i] = make([]float32, len(kr))
			for hh := 0; hh < kvh; hh++ {
				copy(k[i][hh*hd:], rmsnorm(kr[hh*hd:(hh+1)*hd], ly.KNorm))
				rope(k[i][hh*hd:(hh+1)*hd], i, base, factors)
				copy(v[i][hh*hd:], rmsnorm(vr[hh*hd:(hh+1)*hd], nil))
			}
		}
		if ly.Donor >= 0 {
			k, v = keys[ly.Donor], values[ly.Donor]
		}
		keys[l], values[l] = k, v
		for i := range h {
			first := 0
			if s.local(l) {
				first = max(0, i-s.Window+1) // HF: a key is visible while q - k < sliding_window
			}
			att := attend(q[i], s.Heads, hd, kvh, k[first:i+1], v[first:i+1])
			a := rmsnorm(matvec(ly.O, att), ly.PostAttnNorm)
			add(a, h[i])
			x := rmsnorm(a, ly.FFNNorm)
			gate, up := matvec(ly.Gate, x), matvec(ly.Up, x)
			for j := range gate {
				gate[j] = gelu(gate[j]) * up[j]
			}
			f := rmsnorm(matvec(ly.Down, gate), ly.PostFFNNorm)
			add(f, a)
			if perLayer != nil { // after the FFN's residual, before the layer scale (model_text.go:459-467)
				g := matvec(ly.InpGate, f)
				for j := range g {
					g[j] = gelu(g[j]) * perLayer[i][l*s.PLE+j]
				}
				add(f, rmsnorm(matvec(ly.PLEOut, g), ly.PLEPostNorm))
			}
			for j := range f {
				f[j] *= ly.Scale
			}
			h[i] = f
		}
	}
	hidden = make([][]float32, n)
	logits = make([][]float32, n)
	for i := range h {
		hidden[i] = rmsnorm(h[i], m.Norm)
		l := matvec(m.Output, hidden[i])
		for j := range l {
			l[j] = float32(math.Tanh(float64(l[j]/s.Softcap))) * s.Softcap
		}
		l[ImageEnd], l[AudioEnd] = float32(math.Inf(-1)), float32(math.Inf(-1))
		logits[i] = l
	}
	return hidden, logits, keys, values
}

// attend is one query row's attention (heads of width hd, grouped over kvh KV heads) over the visible keys
// and values, with scale 1: Gemma 4's Q and K are RMS-normed.
func attend(q []float32, heads, hd, kvh int, k, v [][]float32) []float32 {
	att := make([]float32, heads*hd)
	scores := make([]float64, len(k))
	for hh := 0; hh < heads; hh++ {
		g := hh / (heads / kvh)
		mx := math.Inf(-1)
		for j := range k {
			var dot float64
			for c := 0; c < hd; c++ {
				dot += float64(q[hh*hd+c]) * float64(k[j][g*hd+c])
			}
			scores[j] = dot
			mx = math.Max(mx, dot)
		}
		var sum float64
		for j := range k {
			scores[j] = math.Exp(scores[j] - mx)
			sum += scores[j]
		}
		for j := range k {
			for c := 0; c < hd; c++ {
				att[hh*hd+c] += float32(scores[j]/sum) * v[j][g*hd+c]
			}
		}
	}
	return att
}

// perLayerInputs are the PLE inputs of every row, Layers×PLE each (PerLayerProjector.Forward,
// model_text.go:237-256): the token's per-layer embedding ×√PLE plus the normed projection of the row's
// input embedding ÷√d, the sum ÷√2. nil without PLE.
func (m *Model) perLayerInputs(in []Input, h [][]float32) [][]float32 {
	s := m.Spec
	if s.PLE == 0 {
		return nil
	}
	n := len(s.Pattern) * s.PLE
	out := make([][]float32, len(in))
	for i, r := range in {
		proj := matvec(m.PLEProj, h[i])
		for j := range proj {
			proj[j] /= float32(math.Sqrt(float64(s.Embd)))
		}
		tok := r.Tok
		if r.Audio != nil {
			tok = 0
		}
		emb := m.PLEEmbed[tok*n : (tok+1)*n]
		out[i] = make([]float32, n)
		for l := range s.Pattern {
			normed := rmsnorm(proj[l*s.PLE:(l+1)*s.PLE], m.PLENorm)
			for e := range normed {
				out[i][l*s.PLE+e] = (normed[e] + emb[l*s.PLE+e]*float32(math.Sqrt(float64(s.PLE)))) / float32(math.Sqrt2)
			}
		}
	}
	return out
}

// Greedy decodes up to max tokens after rows, stopping after an end-of-turn or end-of-sequence token.
// margins are the gaps between the best and second-best logits, to tell a real mismatch from a near tie.
func (m *Model) Greedy(rows []Input, max int) (tokens []int, margins []float32) {
	rows = append([]Input(nil), rows...)
	for range max {
		_, logits := m.Forward(rows)
		last := logits[len(logits)-1]
		best, second := 0, -1
		for j := range last {
			if last[j] > last[best] {
				best, second = j, best
			} else if j != best && (second < 0 || last[j] > last[second]) {
				second = j
			}
		}
		tokens = append(tokens, best)
		margins = append(margins, last[best]-last[second])
		if best == EOS || best == TurnEnd {
			break
		}
		rows = append(rows, Input{Tok: best})
	}
	return tokens, margins
}

// rmsnorm is x/rms(x)·w (eps 1e-6); w nil is an unweighted norm.
func rmsnorm(x, w []float32) []float32 {
	var ss float64
	for _, v := range x {
		ss += float64(v) * float64(v)
	}
	r := 1 / math.Sqrt(ss/float64(len(x))+1e-6)
	out := make([]float32, len(x))
	for i, v := range x {
		out[i] = float32(float64(v) * r)
		if w != nil {
			out[i] *= w[i]
		}
	}
	return out
}

// rope rotates x in NeoX pairs (i, i+d/2) as ggml_rope_ext with freq_factors: angle pos·base^(-2i/d)/factor.
func rope(x []float32, pos int, base float64, factors []float32) {
	half := len(x) / 2
	for i := 0; i < half; i++ {
		theta := float64(pos) * math.Pow(base, -2*float64(i)/float64(len(x)))
		if factors != nil {
			theta /= float64(factors[i])
		}
		c, s := math.Cos(theta), math.Sin(theta)
		a, b := float64(x[i]), float64(x[i+half])
		x[i], x[i+half] = float32(a*c-b*s), float32(a*s+b*c)
	}
}

// gelu is the tanh approximation ggml's geglu uses.
func gelu(x float32) float32 {
	v := float64(x)
	return float32(0.5 * v * (1 + math.Tanh(math.Sqrt(2/math.Pi)*(v+0.044715*v*v*v))))
}

func matvec(w, x []float32) []float32 {
	out := make([]float32, len(w)/len(x))
	for r := range out {
		var acc float64
		for c, v := range w[r*len(x) : (r+1)*len(x)] {
			acc += float64(v) * float64(x[c])
		}
		out[r] = float32(acc)
	}
	return out
}

func add(dst, src []float32) {
	for i := range dst {
		dst[i] += src[i]
	}
}

// MTPHead is a synthetic MTP drafter head for a model, in Verbatim's head format (gguf.MTPArchitecture, as
// tools/demomodel/export.py writes it), row-major [out][in] like the model.
type MTPHead struct {
	FF                                              int
	NormH, NormE, FC, FFNNorm, Gate, Up, Down, Norm []float32
}

// NewMTPHead makes a head that has learnt bigrams: for each token x in next, that next[x] follows it. fc's
// embedding half maps the normed embedding of x onto the direction of next[x]'s output row (least squares
// over those tokens, at most Embd of them), so its drafts follow the bigrams — right where the target's text
// goes on as it went before, wrong elsewhere. fc's hidden half is hmix times the identity, a random SwiGLU
// block of scale noise perturbs the result, and gain sharpens the head's confidence.
func (m *Model) NewMTPHead(next map[int]int, ff int, hmix, noise, gain float32, seed int64) MTPHead {
	rng := rand.New(rand.NewSource(seed))
	d := m.Spec.Embd
	randn := func(n int, std float64) []float32 {
		w := make([]float32, n)
		for i := range w {
			w[i] = float32(rng.NormFloat64() * std)
		}
		return w
	}
	fill := func(n int, v float32) []float32 {
		w := make([]float32, n)
		for i := range w {
			w[i] = v
		}
		return w
	}
	in := 1 / math.Sqrt(float64(d))
	h := MTPHead{FF: ff, NormH: fill(d, 1), NormE: fill(d, 1), FFNNorm: fill(d, 1), Norm: fill(d, gain),
		FC: randn(d*2*d, 0.02), Gate: randn(ff*d, in), Up: randn(ff*d, in), Down: randn(d*ff, float64(noise)/math.Sqrt(float64(ff)))}
	for i := 0; i < d; i++ {
		h.FC[i*2*d+i] += hmix
	}
	// M = Y (XᵀX)⁻¹ Xᵀ with X the normed embeddings of the first tokens and Y their successors' unit output rows.
	var xs []int
	for x := range next {
		xs = append(xs, x)
	}
	sort.Ints(xs)
	xs = xs[:min(len(xs), d)]
	k := len(xs)
	X, Y := make([][]float64, k), make([][]float64, k) // columns
	for c, x := range xs {
		e := rmsnorm(m.Embed[x*d:(x+1)*d], nil)
		y := m.Output[next[x]*d : (next[x]+1)*d]
		var n float64
		for _, v := range y {
			n += float64(v) * float64(v)
		}
		X[c], Y[c] = make([]float64, d), make([]float64, d)
		for i := range d {
			X[c][i], Y[c][i] = float64(e[i]), float64(y[i])/math.Sqrt(n/float64(d))
		}
	}
	// A = (XᵀX)⁻¹ Xᵀ by Gauss-Jordan on [XᵀX | Xᵀ].
	a := make([][]float64, k)
	for r := range a {
		a[r] = make([]float64, k+d)
		for c := range k {
			for i := range d {
				a[r][c] += X[r][i] * X[c][i]
			}
		}
		copy(a[r][k:], X[r])
	}
	for c := range k {
		p := c
		for r := c + 1; r < k; r++ {
			if math.Abs(a[r][c]) > math.Abs(a[p][c]) {
				p = r
			}
		}
		a[c], a[p] = a[p], a[c]
		for r := range k {
			if r != c {
				f := a[r][c] / a[c][c]
				for j := range a[r] {
					a[r][j] -= f * a[c][j]
				}
			}
		}
	}
	for i := range d {
		for j := range d {
			var v float64
			for c := range k {
				v += Y[c][i] * a[c][k+j] / a[c][c]
			}
			h.FC[i*2*d+d+j] += float32(v)
		}
	}
	return h
}

// MTPEdit spoils a written head, for tests of how bad heads are refused: Width overrides
// verbatim_mtp.embedding_length when not 0; Drop omits a tensor.
type MTPEdit struct {
	Width int
	Drop  string
}

// WriteMTPHead writes h as the model's head file, with copies of the model's embeddings and output
// matrix as the format carries them.
func (m *Model) WriteMTPHead(path string, h MTPHead, e MTPEdit) error {
	d, v := uint64(m.Spec.Embd), uint64(len(m.Vocab))
	w := gguf.NewWriter()
	width := int(d)
	if e.Width != 0 {
		width = e.Width
	}
	SetMTPHeadKeys(w, width, h.FF, m.Vocab)
	ff := uint64(h.FF)
	for _, t := range []struct {
		name  string
		shape []uint64
		data  []float32
	}{
		{"token_embd.weight", []uint64{d, v}, m.Embed}, {"output.weight", []uint64{d, v}, m.Output},
		{"mtp.norm_h.weight", []uint64{d}, h.NormH}, {"mtp.norm_e.weight", []uint64{d}, h.NormE},
		{"mtp.fc.weight", []uint64{2 * d, d}, h.FC}, {"mtp.ffn_norm.weight", []uint64{d}, h.FFNNorm},
		{"mtp.ffn_gate.weight", []uint64{d, ff}, h.Gate}, {"mtp.ffn_up.weight", []uint64{d, ff}, h.Up},
		{"mtp.ffn_down.weight", []uint64{ff, d}, h.Down}, {"mtp.output_norm.weight", []uint64{d}, h.Norm},
	} {
		if t.name != e.Drop {
			w.AddTensorF32(t.name, t.shape, t.data)
		}
	}
	return w.WriteFile(path)
}

// SetMTPHeadKeys sets the keys of an MTP head in Verbatim's format (gguf.MTPArchitecture) reading hidden
// states of width embd, with a feed-forward of width ff, drafting in the vocabulary tokens.
func SetMTPHeadKeys(w *gguf.Writer, embd, ff int, tokens []string) {
	w.SetString("general.architecture", gguf.MTPArchitecture)
	w.SetString("general.name", "verbatim-synthetic-gemma4 MTP head")
	w.SetUint32(gguf.MTPArchitecture+".embedding_length", uint32(embd))
	w.SetUint32(gguf.MTPArchitecture+".feed_forward_length", uint32(ff))
	w.SetFloat32(gguf.MTPArchitecture+".layer_norm_rms_epsilon", 1e-6)
	w.SetString("tokenizer.ggml.model", "llama")
	w.SetStrings("tokenizer.ggml.tokens", tokens)
	w.SetUint32("tokenizer.ggml.eos_token_id", EOS)
}

// MTPStep is the reference of one head step: from the target's hidden state where token tok was chosen
// (after the output norm), the logits of the token after tok (soft-capped, suppressed tokens at -Inf,
// through the model's output matrix) and the head's output, which drafts further in hidden's place.
func (m *Model) MTPStep(h MTPHead, hidden []float32, tok int) (logits, out []float32) {
	s := m.Spec
	d := s.Embd
	x := matvec(h.FC, append(rmsnorm(hidden, h.NormH), rmsnorm(m.Embed[tok*d:(tok+1)*d], h.NormE)...))
	y := rmsnorm(x, h.FFNNorm)
	a, b := matvec(h.Gate, y), matvec(h.Up, y)
	for j := range a {
		a[j] = a[j] / (1 + float32(math.Exp(-float64(a[j])))) * b[j]
	}
	add(x, matvec(h.Down, a))
	out = rmsnorm(x, h.Norm)
	logits = matvec(m.Output, out)
	for j := range logits {
		logits[j] = float32(math.Tanh(float64(logits[j]/s.Softcap))) * s.Softcap
	}
	logits[ImageEnd], logits[AudioEnd] = float32(math.Inf(-1)), float32(math.Inf(-1))
	return logits, out
}

// conformerTensor is one tensor of the tiny test conformer under the name each layout gives it.
type conformerTensor struct {
	ollama, llamacpp string
	shape            []uint64
	data             []float32
}

// Conformer sizes: audio width 16, 2 heads, 4 subsampling channels, 128 mel bins.
const confWidth, confFF, confChannels, confHeads = 16, 32, 4, 2

// conformer is a tiny audio conformer of the given depth with random weights, each tensor named as ollama's
// converter names it (O/convert/convert_gemma4.go Replacements, read by O/model/models/gemma4/model_audio.go:11-163)
// and as llama.cpp's does (upstream tools/mtmd/clip-impl.h TN_A_*, the gemma4a loader in clip.cpp and the roles
// in models/gemma4a.cpp). Where the two differ the comment gives Hugging Face's name, which both rename.
func (m *Model) conformer(blocks int) []conformerTensor {
	const h, ff, ch, heads = confWidth, confFF, confChannels, confHeads
	r := rand.New(rand.NewSource(int64(blocks) + 17))
	fill := func(n int, base, scale float64) []float32 {
		v := make([]float32, n)
		for i := range v {
			v[i] = float32(base + scale*r.NormFloat64())
		}
		return v
	}
	matrix := func(in, out uint64) []float32 { return fill(int(in*out), 0, 1/math.Sqrt(float64(in))) }
	var out []conformerTensor
	add := func(ollama, llamacpp string, shape []uint64, data []float32) {
		out = append(out, conformerTensor{ollama, llamacpp, shape, data})
	}
	same := func(name string, shape []uint64, data []float32) { add(name, name, shape, data) }
	norm := func(ollama, llamacpp string, n uint64) { add(ollama, llamacpp, []uint64{n}, fill(int(n), 1, 0.1)) }
	same("a.conv1d.0.weight", []uint64{3, 3, 1, ch}, fill(9*ch, 0, 0.3))
	norm("a.conv1d.0.norm.weight", "a.conv1d.0.norm.weight", ch)
	same("a.conv1d.1.weight", []uint64{3, 3, ch, ch}, fill(9*ch*ch, 0, 0.2))
	norm("a.conv1d.1.norm.weight", "a.conv1d.1.norm.weight", ch)
	add("a.pre_encode.out.weight", "a.input_projection.weight", []uint64{ch * 32, h}, matrix(ch*32, h)) // input_proj_linear
	for l := range blocks {
		p := fmt.Sprintf("a.blk.%d.", l)
		for _, n := range [][2]string{
			{"layer_pre_norm", "ln2"},                              // norm_out
			{"ln1", "attn_pre_norm"},                               // norm_pre_attn
			{"ln2", "attn_post_norm"},                              // norm_post_attn
			{"conv_norm", "conv_norm"}, {"norm_conv", "norm_conv"}, // lconv1d.pre_layer_norm, lconv1d.conv_norm
			{"ffn_norm", "ffn_norm"}, {"ffn_post_norm", "ffn_post_norm"}, {"ffn_norm_1", "ffn_norm_1"}, {"ffn_post_norm_1", "ffn_post_norm_1"},
		} {
			norm(p+n[0]+".weight", p+n[1]+".weight", h)
		}
		for _, n := range []string{"attn_q", "attn_k", "attn_v", "attn_out", "conv_pw2"} {
			same(p+n+".weight", []uint64{h, h}, matrix(h, h))
		}
		add(p+"linear_pos.weight", p+"attn_k_rel.weight", []uint64{h, h}, matrix(h, h)) // relative_k_proj
		same(p+"ffn_up.weight", []uint64{h, ff}, matrix(h, ff))
		same(p+"ffn_down.weight", []uint64{ff, h}, matrix(ff, h))
		same(p+"ffn_up_1.weight", []uint64{h, ff}, matrix(h, ff))
		same(p+"ffn_down_1.weight", []uint64{ff, h}, matrix(ff, h))
		same(p+"per_dim_scale.weight", []uint64{h / heads}, fill(h/heads, 1, 0.1)) // stored softplus-applied by both
		same(p+"conv_pw1.weight", []uint64{h, 2 * h}, matrix(h, 2*h))
		same(p+"conv_dw.weight", []uint64{5, h}, fill(5*h, 0, 0.4))
		// Clippable linears' bounds, tight enough to clamp (the same names in both layouts).
		for k, v := range map[string]float32{"input_min": -0.5, "input_max": 0.5, "output_min": -0.3, "output_max": 0.3} {
			same(p+"ffn_up."+k, []uint64{1}, []float32{v})
		}
	}
	add("mm.a.fc.weight", "a.pre_encode.out.weight", []uint64{h, h}, matrix(h, h)) // output_proj
	add("mm.a.fc.bias", "a.pre_encode.out.bias", []uint64{h}, fill(h, 0, 0.1))
	same("mm.a.input_projection.weight", []uint64{h, uint64(m.Spec.Embd)}, matrix(h, uint64(m.Spec.Embd))) // embedding_projection
	// The clamp bounds come from a map: a fixed order keeps the files the same from run to run.
	sort.SliceStable(out, func(a, b int) bool { return out[a].ollama < out[b].ollama })
	return out
}

// WriteConformerBlob writes the text model as Ollama stores E2B/E4B: one blob that also carries the tiny audio
// conformer of the given depth under the gemma4.audio.* keys (O/convert/convert_gemma4.go:189-204, read by
// O/model/models/gemma4/model_audio.go:551-592) and ollama's tensor names. e spoils it as WriteEdited does,
// audio tensors included.
func (m *Model) WriteConformerBlob(path string, blocks int, e Edit) error {
	keys := e.Keys
	e.Keys = func(w *gguf.Writer) {
		w.SetUint32("gemma4.audio.block_count", uint32(blocks))
		w.SetUint32("gemma4.audio.embedding_length", confWidth)
		w.SetUint32("gemma4.audio.attention.head_count", confHeads)
		w.SetUint32("gemma4.audio.feed_forward_length", confFF)
		w.SetFloat32("gemma4.audio.attention.layer_norm_epsilon", 1e-6)
		add := e.adder(w)
		for _, t := range m.conformer(blocks) {
			add(t.ollama, t.shape, t.data)
		}
		if keys != nil {
			keys(w)
		}
	}
	return m.WriteEdited(path, e)
}

// WriteConformerMmproj writes the same conformer as WriteConformerBlob as llama.cpp publishes E2B/E4B's audio
// encoder: an mmproj beside the text GGUF (WriteModel), with the keys convert_hf_to_gguf.py's
// Gemma4VisionAudioModel writes (clip.audio.projector_type gemma4a, clip.audio.*, its 1e-5 epsilon), llama.cpp's
// tensor names, and a vision part (clip.vision.projector_type gemma4v, one v.* tensor) that audio never reads.
// e spoils it as WriteEdited does (its Keys may also add tensors).
func (m *Model) WriteConformerMmproj(path string, blocks int, e Edit) error {
	w := gguf.NewWriter()
	w.SetString("general.architecture", "clip")
	w.SetBool("clip.has_vision_encoder", true)
	w.SetBool("clip.has_audio_encoder", true)
	w.SetString("clip.vision.projector_type", "gemma4v")
	w.SetString("clip.audio.projector_type", gguf.ProjectorGemma4A)
	w.SetUint32("clip.audio.block_count", uint32(blocks))
	w.SetUint32("clip.audio.embedding_length", confWidth)
	w.SetUint32("clip.audio.feed_forward_length", confFF)
	w.SetUint32("clip.audio.attention.head_count", confHeads)
	w.SetUint32("clip.audio.num_mel_bins", 128)
	w.SetUint32("clip.audio.projection_dim", uint32(m.Spec.Embd))
	w.SetFloat32("clip.audio.attention.layer_norm_epsilon", 1e-5)
	w.AddTensorF32("v.patch_embd.weight", []uint64{4, 4, 3, 8}, make([]float32, 4*4*3*8))
	if e.Keys != nil {
		e.Keys(w)
	}
	add := e.adder(w)
	for _, t := range m.conformer(blocks) {
		add(t.llamacpp, t.shape, t.data)
	}
	return w.WriteFile(path)
}

// OllamaStore puts model, and projector unless it is "", into the Ollama store at root as `ollama pull
// gemma4:tag` leaves them: blobs/sha256-<hex> named by their content's digest, and the manifest
// manifests/registry.ollama.ai/library/gemma4/<tag> listing them under Ollama's media types. It returns the
// blobs' paths.
func OllamaStore(root, tag, model, projector string) (modelBlob, projectorBlob string, err error) {
	blob := func(path string) (string, string, error) {
		b, err := os.ReadFile(path)
		if err != nil {
			return "", "", err
		}
		digest := fmt.Sprintf("sha256:%x", sha256.Sum256(b))
		p := filepath.Join(root, "blobs", "sha256-"+digest[len("sha256:"):])
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			return "", "", err
		}
		layer := fmt.Sprintf(`{"digest":%q,"size":%d`, digest, len(b))
		return p, layer, os.WriteFile(p, b, 0o644)
	}
	modelBlob, layer, err := blob(model)
	if err != nil {
		return "", "", err
	}
	layers := []string{layer + `,"mediaType":"application/vnd.ollama.image.model"}`}
	if projector != "" {
		if projectorBlob, layer, err = blob(projector); err != nil {
			return "", "", err
		}
		layers = append(layers, layer+`,"mediaType":"application/vnd.ollama.image.projector"}`)
	}
	manifest := filepath.Join(root, "manifests", "registry.ollama.ai", "library", "gemma4", tag)
	if err := os.MkdirAll(filepath.Dir(manifest), 0o755); err != nil {
		return "", "", err
	}
	doc := `{"schemaVersion":2,"mediaType":"application/vnd.docker.distribution.manifest.v2+json","layers":[` +
		strings.Join(layers, ",") + "]}"
	return modelBlob, projectorBlob, os.WriteFile(manifest, []byte(doc), 0o644)
}
