package testmodel

import (
	"fmt"
	"math"
	"math/rand"

	"github.com/verbatim-app/verbatim/inference/gguf"
)

// A synthetic Ultravox audio projector: a whisper encoder and Ultravox's stacking SwiGLU projector, stored
// with the metadata keys and tensor names llama.cpp's mtmd reads at ec98e2002, so the mtmd path runs for
// real without downloading a model. Where each name comes from (paths under llama.cpp/tools/mtmd/):
//   - keys: clip-impl.h KEY_PROJ_TYPE, KEY_HAS_AUDIO_ENC, KEY_N_EMBD/KEY_N_HEAD/KEY_N_FF/KEY_N_BLOCK/
//     KEY_PROJ_DIM/KEY_LAYER_NORM_EPS with prefix "audio", KEY_A_NUM_MEL_BINS, KEY_A_PROJ_STACK_FACTOR;
//     clip.cpp load_hparams reads all of them as required but the stack factor, which it requires for
//     ultravox (and voxtral, glma) only.
//   - encoder tensors: clip-impl.h TN_CONV1D "a.conv1d.%d.%s" (1 and 2), TN_POS_EMBD "%s.position_embd",
//     TN_ATTN_Q/K/V/OUTPUT, TN_LN_1/2, TN_FFN_UP/DOWN "%s.blk.%d.…", TN_LN_POST "%s.post_ln" with prefix "a";
//     the same names as gguf-py's MODEL_TENSOR.A_ENC_* / A_POST_NORM, which convert_hf_to_gguf.py's
//     WhisperEncoderModel writes (conv biases unsqueezed to [1, C]).
//   - projector tensors: TN_MM_NORM_PRE "mm.a.norm_pre", TN_MM_AUDIO_MLP "mm.a.mlp.%d" (1 and 2),
//     TN_MM_NORM_MID "mm.a.norm_mid", loaded by clip.cpp load_tensors for PROJECTOR_TYPE_ULTRAVOX.
// The graph is models/whisper-enc.cpp: conv1d(k3,s1)+GELU, conv1d(k3,s2)+GELU, learned positions,
// pre-norm transformer blocks (LayerNorm, biased q/v, unbiased k — asserted there — exact-erf GELU MLP),
// post LayerNorm, frames stacked by stack_factor, RMSNorm, SwiGLU (silu of the second half), RMSNorm, matrix.

// UltravoxSpec sizes a synthetic Ultravox projector, or with Type "qwen2a" a Qwen2-Audio one: the same
// whisper encoder, its rows average-pooled in pairs before the post LayerNorm (clip_model::audio_has_avgpool),
// then one biased matrix, TN_MM_AUDIO_FC "mm.a.fc" (clip.cpp load_tensors for PROJECTOR_TYPE_QWEN2A).
type UltravoxSpec struct {
	Type   string // "ultravox" (the zero value) or "qwen2a"
	Mels   int    // clip.audio.num_mel_bins: 128 like Ultravox v0.5's whisper-large-v3-turbo
	Embd   int    // encoder width
	Heads  int
	FF     int // encoder MLP width
	Layers int
	// Stack is clip.audio.projector.stack_factor. Ultravox v0.5 stacks 8, which the pinned llama.cpp cannot
	// run (inference/gguf/mtmd.go says why); the default, 4, divides whisper's 1500 positions as it must.
	Stack    int
	Hidden   int // ultravox: the projector's first matrix's output; SwiGLU halves it
	TextEmbd int // the language model's embedding width
	Seed     int64
}

// DefaultUltravoxSpec is a projector for a text model of width textEmbd, small enough for a test.
func DefaultUltravoxSpec(textEmbd int) UltravoxSpec {
	return UltravoxSpec{Mels: 128, Embd: 32, Heads: 2, FF: 64, Layers: 2, Stack: 4, Hidden: 128, TextEmbd: textEmbd, Seed: 11}
}

// whisperPositions is whisper's 1500 encoder positions (3000 mel frames after the stride-2 convolution);
// whisper-enc.cpp asserts position_embd has at least that many.
const whisperPositions = whisperFrames / 2

// ultravoxEps is the RMSNorm epsilon whisper-enc.cpp hard-codes in the projector; encoderEps is the
// LayerNorm epsilon the file states (clip.audio.attention.layer_norm_epsilon, 1e-5 in whisper).
const (
	ultravoxEps = 1e-6
	encoderEps  = 1e-5
)

// Ultravox is a synthetic projector's weights, row-major [out][in] like torch.nn.Linear; convolution kernels
// are [out][in][3] like torch.nn.Conv1d.
type Ultravox struct {
	Spec                   UltravoxSpec
	Conv1, Conv1B          []float32
	Conv2, Conv2B          []float32
	Pos                    []float32 // [1500][Embd]
	Blocks                 []WhisperBlock
	PostNorm, PostNormB    []float32
	NormPre, MLP1, NormMid []float32 // ultravox
	MLP2                   []float32
	FC, FCB                []float32 // qwen2a
}

// WhisperBlock is one encoder layer.
type WhisperBlock struct {
	Norm1, Norm1B, Q, QB, K, V, VB, O, OB []float32
	Norm2, Norm2B, Up, UpB, Down, DownB   []float32
}

// NewUltravox makes a projector with deterministic random weights. The convolution kernels are rounded to
// half precision, as the file stores them (ggml's conv_1d runs in F16 through im2col, and real files keep
// them F16 for that reason); the reference below uses the stored values.
func NewUltravox(s UltravoxSpec) *Ultravox {
	rng := rand.New(rand.NewSource(s.Seed))
	randn := func(n int, std float64) []float32 {
		w := make([]float32, n)
		for i := range w {
			w[i] = float32(rng.NormFloat64() * std)
		}
		return w
	}
	around1 := func(n int) []float32 {
		w := randn(n, 0.1)
		for i := range w {
			w[i]++
		}
		return w
	}
	half := func(w []float32) []float32 {
		for i, v := range w {
			w[i] = gguf.HalfToFloat(gguf.FloatToHalf(v))
		}
		return w
	}
	inv := func(n int) float64 { return 1 / math.Sqrt(float64(n)) }
	e := s.Embd
	u := &Ultravox{Spec: s,
		Conv1: half(randn(e*s.Mels*3, inv(s.Mels*3))), Conv1B: randn(e, 0.1),
		Conv2: half(randn(e*e*3, inv(e*3))), Conv2B: randn(e, 0.1),
		Pos:      randn(whisperPositions*e, 0.5),
		PostNorm: around1(e), PostNormB: randn(e, 0.1),
	}
	if !s.qwen2a() {
		u.NormPre, u.MLP1 = around1(e*s.Stack), randn(s.Hidden*e*s.Stack, inv(e*s.Stack))
		u.NormMid, u.MLP2 = around1(s.Hidden/2), randn(s.TextEmbd*s.Hidden/2, inv(s.Hidden/2))
	}
	for l := 0; l < s.Layers; l++ {
		u.Blocks = append(u.Blocks, WhisperBlock{
			Norm1: around1(e), Norm1B: randn(e, 0.1),
			Q: randn(e*e, inv(e)), QB: randn(e, 0.1), K: randn(e*e, inv(e)),
			V: randn(e*e, inv(e)), VB: randn(e, 0.1), O: randn(e*e, inv(e)), OB: randn(e, 0.1),
			Norm2: around1(e), Norm2B: randn(e, 0.1),
			Up: randn(s.FF*e, inv(e)), UpB: randn(s.FF, 0.1), Down: randn(e*s.FF, inv(s.FF)), DownB: randn(e, 0.1),
		})
	}
	if s.Type == "qwen2a" {
		u.FC, u.FCB = randn(s.TextEmbd*e, inv(e)), randn(s.TextEmbd, 0.1)
	}
	return u
}

func (s UltravoxSpec) projectorType() string {
	if s.Type == "" {
		return "ultravox"
	}
	return s.Type
}

func (s UltravoxSpec) qwen2a() bool { return s.Type == "qwen2a" }

// Write writes the projector as an mmproj GGUF.
func (u *Ultravox) Write(path string) error {
	s := u.Spec
	if (!s.qwen2a() && s.Hidden%2 != 0) || s.Embd%s.Heads != 0 {
		return fmt.Errorf("synthetic %s: hidden %d must be even and width %d a multiple of %d heads", s.projectorType(), s.Hidden, s.Embd, s.Heads)
	}
	return u.GGUF().WriteFile(path)
}

// GGUF returns the projector's file, not yet written, for tests that alter it. Shapes are in ggml order
// (ne0 first): a Linear [out][in] is {in, out}, a Conv1d [out][in][k] is {k, in, out}.
func (u *Ultravox) GGUF() *gguf.Writer {
	s := u.Spec
	e, ff, st := uint64(s.Embd), uint64(s.FF), uint64(s.Stack)
	w := gguf.NewWriter()
	w.SetString("general.architecture", "clip")
	w.SetString("general.name", "verbatim-synthetic-ultravox")
	w.SetString("clip.projector_type", s.projectorType())
	w.SetBool("clip.has_audio_encoder", true)
	w.SetUint32("clip.audio.embedding_length", uint32(s.Embd))
	w.SetUint32("clip.audio.attention.head_count", uint32(s.Heads))
	w.SetUint32("clip.audio.feed_forward_length", uint32(s.FF))
	w.SetUint32("clip.audio.block_count", uint32(s.Layers))
	// MmprojModel in convert_hf_to_gguf.py writes the text model's width here; Verbatim's pair check reads it.
	w.SetUint32("clip.audio.projection_dim", uint32(s.TextEmbd))
	w.SetFloat32("clip.audio.attention.layer_norm_epsilon", encoderEps)
	w.SetUint32("clip.audio.num_mel_bins", uint32(s.Mels))
	if !s.qwen2a() {
		w.SetUint32("clip.audio.projector.stack_factor", uint32(s.Stack))
	}
	w.AddTensorF16("a.conv1d.1.weight", []uint64{3, uint64(s.Mels), e}, u.Conv1)
	w.AddTensorF32("a.conv1d.1.bias", []uint64{1, e}, u.Conv1B)
	w.AddTensorF16("a.conv1d.2.weight", []uint64{3, e, e}, u.Conv2)
	w.AddTensorF32("a.conv1d.2.bias", []uint64{1, e}, u.Conv2B)
	w.AddTensorF32("a.position_embd.weight", []uint64{e, whisperPositions}, u.Pos)
	for i, b := range u.Blocks {
		p := fmt.Sprintf("a.blk.%d.", i)
		w.AddTensorF32(p+"ln1.weight", []uint64{e}, b.Norm1)
		w.AddTensorF32(p+"ln1.bias", []uint64{e}, b.Norm1B)
		w.AddTensorF32(p+"attn_q.weight", []uint64{e, e}, b.Q)
		w.AddTensorF32(p+"attn_q.bias", []uint64{e}, b.QB)
		w.AddTensorF32(p+"attn_k.weight", []uint64{e, e}, b.K)
		w.AddTensorF32(p+"attn_v.weight", []uint64{e, e}, b.V)
		w.AddTensorF32(p+"attn_v.bias", []uint64{e}, b.VB)
		w.AddTensorF32(p+"attn_out.weight", []uint64{e, e}, b.O)
		w.AddTensorF32(p+"attn_out.bias", []uint64{e}, b.OB)
		w.AddTensorF32(p+"ln2.weight", []uint64{e}, b.Norm2)
		w.AddTensorF32(p+"ln2.bias", []uint64{e}, b.Norm2B)
		w.AddTensorF32(p+"ffn_up.weight", []uint64{e, ff}, b.Up)
		w.AddTensorF32(p+"ffn_up.bias", []uint64{ff}, b.UpB)
		w.AddTensorF32(p+"ffn_down.weight", []uint64{ff, e}, b.Down)
		w.AddTensorF32(p+"ffn_down.bias", []uint64{e}, b.DownB)
	}
	w.AddTensorF32("a.post_ln.weight", []uint64{e}, u.PostNorm)
	w.AddTensorF32("a.post_ln.bias", []uint64{e}, u.PostNormB)
	if s.qwen2a() {
		w.AddTensorF32("mm.a.fc.weight", []uint64{e, uint64(s.TextEmbd)}, u.FC)
		w.AddTensorF32("mm.a.fc.bias", []uint64{uint64(s.TextEmbd)}, u.FCB)
		return w
	}
	w.AddTensorF32("mm.a.norm_pre.weight", []uint64{e * st}, u.NormPre)
	w.AddTensorF32("mm.a.mlp.1.weight", []uint64{e * st, uint64(s.Hidden)}, u.MLP1)
	w.AddTensorF32("mm.a.norm_mid.weight", []uint64{uint64(s.Hidden / 2)}, u.NormMid)
	w.AddTensorF32("mm.a.mlp.2.weight", []uint64{uint64(s.Hidden / 2), uint64(s.TextEmbd)}, u.MLP2)
	return w
}

// Embeddings is the reference forward pass in plain Go: 16 kHz samples in, the rows mtmd gives the text
// model out, chunk after chunk. ggml works in half precision in places (im2col for the convolutions; Q, K,
// V and the running sum of its CPU flash attention); the reference rounds at the same places, so what is
// left between the two is float32 arithmetic done in another order.
func (u *Ultravox) Embeddings(samples []float32) [][]float32 {
	var out [][]float32
	for _, mel := range WhisperLogMel(samples, u.Spec.Mels) {
		out = append(out, u.project(u.encode(mel))...)
	}
	return out
}

// encode runs the whisper encoder on one [mel][3000] chunk and returns 1500 rows of width Embd.
func (u *Ultravox) encode(mel []float32) [][]float32 {
	s := u.Spec
	e := s.Embd
	x := make([][]float32, whisperFrames) // [frame][mel]
	for t := range x {
		x[t] = make([]float32, s.Mels)
		for m := range x[t] {
			x[t][m] = roundHalf(mel[m*whisperFrames+t])
		}
	}
	h := conv1d(u.Conv1, u.Conv1B, x, 1)
	for _, r := range h {
		for i := range r {
			r[i] = roundHalf(gelu(r[i]))
		}
	}
	h = conv1d(u.Conv2, u.Conv2B, h, 2)
	for t, r := range h {
		for i := range r {
			r[i] = gelu(r[i]) + u.Pos[t*e+i]
		}
	}
	n, hd := len(h), e/s.Heads
	for _, b := range u.Blocks {
		q, k, v := make([][]float32, n), make([][]float32, n), make([][]float32, n)
		for p := range h {
			y := layerNorm(h[p], b.Norm1, b.Norm1B)
			q[p], k[p], v[p] = matvec(b.Q, y), matvec(b.K, y), matvec(b.V, y)
			add(q[p], b.QB)
			add(v[p], b.VB)
			for i := range q[p] {
				q[p][i], k[p][i], v[p][i] = roundHalf(q[p][i]), roundHalf(k[p][i]), roundHalf(v[p][i])
			}
		}
		for p := range h {
			att := make([]float32, e)
			for hh := 0; hh < s.Heads; hh++ {
				o := hh * hd
				flashAttention(att[o:o+hd], q[p][o:o+hd], k, v, o)
			}
			out := matvec(b.O, att)
			add(out, b.OB)
			add(h[p], out)
		}
		for p := range h {
			y := matvec(b.Up, layerNorm(h[p], b.Norm2, b.Norm2B))
			add(y, b.UpB)
			for i := range y {
				y[i] = gelu(y[i])
			}
			y = matvec(b.Down, y)
			add(y, b.DownB)
			add(h[p], y)
		}
	}
	if s.qwen2a() { // nn.AvgPool1d(2, stride=2) over positions
		pooled := make([][]float32, len(h)/2)
		for p := range pooled {
			pooled[p] = make([]float32, e)
			for i := range pooled[p] {
				pooled[p][i] = (h[2*p][i] + h[2*p+1][i]) / 2
			}
		}
		h = pooled
	}
	for p := range h {
		h[p] = layerNorm(h[p], u.PostNorm, u.PostNormB)
	}
	return h
}

// project stacks Stack consecutive rows (zero-padding the last group) and applies Ultravox's projector, or
// Qwen2-Audio's one matrix.
func (u *Ultravox) project(h [][]float32) [][]float32 {
	s := u.Spec
	if s.qwen2a() {
		for p := range h {
			h[p] = matvec(u.FC, h[p])
			add(h[p], u.FCB)
		}
		return h
	}
	var flat []float32
	for _, r := range h {
		flat = append(flat, r...)
	}
	width := s.Embd * s.Stack
	for len(flat)%width != 0 {
		flat = append(flat, 0)
	}
	var out [][]float32
	for off := 0; off < len(flat); off += width {
		y := matvec(u.MLP1, rmsnorm(flat[off:off+width], u.NormPre, ultravoxEps))
		half := s.Hidden / 2
		g := make([]float32, half)
		for i := range g {
			b := float64(y[half+i])
			g[i] = float32(b/(1+math.Exp(-b))) * y[i]
		}
		out = append(out, matvec(u.MLP2, rmsnorm(g, u.NormMid, ultravoxEps)))
	}
	return out
}

// flashAttention is one query's attention over every key of one head (the head's values start at column o),
// computed the way ggml's CPU flash attention does (ggml-cpu/ops.cpp flash_attn_ext_f16_one_chunk, with
// F16 keys and values as clip.cpp casts them): an online softmax whose running sum of values is kept in
// half precision, rounded after every key. Over 1500 keys that rounding is about 1 % of the result, far
// more than anything else in the encoder, so the reference has to do the same to be held to a tight bound.
func flashAttention(dst, q []float32, k, v [][]float32, o int) {
	hd := len(q)
	scale := float32(1 / math.Sqrt(float64(hd)))
	acc := make([]float32, hd) // values of F16
	sum, top := float32(0), float32(math.Inf(-1))
	for j := range k {
		var d float32
		for c, x := range q {
			d += x * k[j][o+c]
		}
		sc := d * scale
		ms, vs := float32(1), float32(1)
		if sc > top {
			ms = float32(math.Exp(float64(top - sc)))
			top = sc
			for c := range acc {
				acc[c] = roundHalf(acc[c] * ms)
			}
		} else {
			vs = float32(math.Exp(float64(sc - top)))
		}
		for c := range acc {
			acc[c] = roundHalf(acc[c] + v[j][o+c]*vs)
		}
		sum = sum*ms + vs
	}
	for c := range dst {
		dst[c] = acc[c] / sum
	}
}

// conv1d is torch's Conv1d with kernel 3 and padding 1 (ggml_conv_1d_ph) over x [time][in]; w is
// [out][in][3]. It returns [time/stride][out].
func conv1d(w, b []float32, x [][]float32, stride int) [][]float32 {
	in, outC := len(x[0]), len(b)
	n := (len(x)+2-3)/stride + 1
	y := make([][]float32, n)
	for t := range y {
		y[t] = make([]float32, outC)
		for o := 0; o < outC; o++ {
			acc := float64(b[o])
			for k := 0; k < 3; k++ {
				src := t*stride + k - 1
				if src < 0 || src >= len(x) {
					continue
				}
				row := w[(o*in)*3:]
				for i, v := range x[src] {
					acc += float64(row[i*3+k]) * float64(v)
				}
			}
			y[t][o] = float32(acc)
		}
	}
	return y
}

func layerNorm(x, w, b []float32) []float32 {
	var mean, vr float64
	for _, v := range x {
		mean += float64(v)
	}
	mean /= float64(len(x))
	for _, v := range x {
		vr += (float64(v) - mean) * (float64(v) - mean)
	}
	sc := 1 / math.Sqrt(vr/float64(len(x))+encoderEps)
	out := make([]float32, len(x))
	for i, v := range x {
		out[i] = float32((float64(v)-mean)*sc)*w[i] + b[i]
	}
	return out
}

// gelu is the exact (erf) GELU, ggml_gelu_erf.
func gelu(x float32) float32 {
	return float32(0.5 * float64(x) * (1 + math.Erf(float64(x)/math.Sqrt2)))
}

func roundHalf(v float32) float32 { return gguf.HalfToFloat(gguf.FloatToHalf(v)) }
