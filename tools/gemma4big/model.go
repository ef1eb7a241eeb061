package main

import (
	"fmt"
	"io"
	"math"
	"math/rand/v2"
	"sync"

	"github.com/verbatim-app/verbatim/inference/gguf"
	tg4 "github.com/verbatim-app/verbatim/inference/testmodel/gemma4"
)

// Shape sizes the synthetic model. Layer l is global (full attention, K=V, no attn_v) when
// (l+1)%GlobalEvery == 0, else sliding.
type Shape struct {
	Layers, Embd, FF, Heads int
	HeadDimSWA, KVHeadsSWA  int
	HeadDimGlobal, KVGlobal int
	GlobalEvery             int
	Window                  int
	Vocab                   int
	Softcap                 float64
	RopeGlobal, RopeSWA     float64
	RotaryGlobal            float64 // share of the global head dim RoPE rotates (rope_freqs.weight)
	Ctx                     int
	EmbdType                string // q4_k or q8_0
	MTPFF                   int    // the MTP head's feed-forward width
	Seed                    uint64
}

// Unified12B is the Gemma 4 12B "unified" text decoder (docs/GEMMA4.md §6; third-party write-up, verify
// against config.json): 48 layers, width 3840, FFN 15360, 16 heads; sliding layers 8 KV heads × 256, every
// 6th layer global with 1 KV head × 512 and K=V; window 1024, 262144 tokens, softcap 30.
func Unified12B() Shape {
	return Shape{Layers: 48, Embd: 3840, FF: 15360, Heads: 16, HeadDimSWA: 256, KVHeadsSWA: 8, HeadDimGlobal: 512, KVGlobal: 1,
		GlobalEvery: 6, Window: 1024, Vocab: 262144, Softcap: 30, RopeGlobal: 1e6, RopeSWA: 1e4, RotaryGlobal: 0.25,
		Ctx: 131072, EmbdType: "q4_k", MTPFF: 3840, Seed: 1}
}

// Small is a CPU-sized model of the same structure: 6 layers (every 3rd global), width 256.
func Small() Shape {
	return Shape{Layers: 6, Embd: 256, FF: 512, Heads: 4, HeadDimSWA: 64, KVHeadsSWA: 2, HeadDimGlobal: 128, KVGlobal: 1,
		GlobalEvery: 3, Window: 64, Vocab: 4096, Softcap: 30, RopeGlobal: 1e6, RopeSWA: 1e4, RotaryGlobal: 0.25,
		Ctx: 4096, EmbdType: "q4_k", MTPFF: 256, Seed: 1}
}

func (s Shape) local(l int) bool { return (l+1)%s.GlobalEvery != 0 }

func (s Shape) headDim(l int) int { return s.spec().HeadDim(l) }
func (s Shape) kvHeads(l int) int { return s.spec().KVHeads(l) }

// validate refuses shapes the files cannot hold: Q4_K rows (ne0) are whole 256-value blocks.
func (s Shape) validate() error {
	for _, v := range []struct {
		name string
		n    int
	}{{"--layers", s.Layers}, {"--embd", s.Embd}, {"--ff", s.FF}, {"--heads", s.Heads}, {"--head-dim-swa", s.HeadDimSWA},
		{"--kv-heads-swa", s.KVHeadsSWA}, {"--head-dim-global", s.HeadDimGlobal}, {"--kv-heads-global", s.KVGlobal},
		{"--global-every", s.GlobalEvery}, {"--window", s.Window}, {"--ctx", s.Ctx}, {"--mtp-ff", s.MTPFF}} {
		if v.n <= 0 {
			return fmt.Errorf("%s must be positive, got %d", v.name, v.n)
		}
	}
	for _, v := range []struct {
		name string
		n    int
	}{{"--embd", s.Embd}, {"--ff", s.FF}, {"--heads × --head-dim-swa", s.Heads * s.HeadDimSWA},
		{"--heads × --head-dim-global", s.Heads * s.HeadDimGlobal}} {
		if v.n%q4kValues != 0 {
			return fmt.Errorf("%s = %d is not a multiple of %d (a Q4_K block)", v.name, v.n, q4kValues)
		}
	}
	if s.Heads%s.KVHeadsSWA != 0 || s.Heads%s.KVGlobal != 0 {
		return fmt.Errorf("KV heads (%d sliding, %d global) must divide the %d heads", s.KVHeadsSWA, s.KVGlobal, s.Heads)
	}
	if s.Vocab < firstFiller {
		return fmt.Errorf("--vocab %d: at least %d tokens (control tokens, bytes, letters)", s.Vocab, firstFiller)
	}
	if s.EmbdType != "q4_k" && s.EmbdType != "q8_0" {
		return fmt.Errorf("--embd-type %q: want q4_k or q8_0", s.EmbdType)
	}
	return nil
}

// firstFiller is the first token after tg4's base vocabulary (control tokens, "\n", bytes, letters).
var firstFiller = func() int { t, _ := tg4.BaseVocabulary(); return len(t) }()

// vocabulary is tg4's base vocabulary, then filler words up to n tokens (no merges: the prompt is spelt
// letter by letter).
func vocabulary(n int) (tokens []string, types []int32) {
	tokens, types = tg4.BaseVocabulary()
	for i := len(tokens); i < n; i++ {
		tokens, types = append(tokens, fmt.Sprintf("▁t%d", i)), append(types, 1)
	}
	return tokens, types
}

// spec is the shape as inference/testmodel/gemma4 describes a model, for its metadata keys.
func (s Shape) spec() tg4.Spec {
	pattern := make([]bool, s.Layers)
	for l := range pattern {
		pattern[l] = s.local(l)
	}
	return tg4.Spec{Embd: s.Embd, FF: s.FF, Heads: s.Heads, HeadDimSWA: s.HeadDimSWA, HeadDimGlobal: s.HeadDimGlobal,
		KVHeadsSWA: s.KVHeadsSWA, KVHeadsGlobal: s.KVGlobal, Pattern: pattern, Window: s.Window, Softcap: float32(s.Softcap), Ctx: s.Ctx}
}

// matrix is a Q4_K weight of in×out values (ggml shape [in, out]) with random values of std ≈ 1/√in.
func matrix(rng *rand.Rand, in, out int) []byte {
	b := make([]byte, q4kSize(uint64(in*out)))
	q4kRandom(rng, b, float32(2/math.Sqrt(float64(in))))
	return b
}

// layerTensors are one layer's matrices by tensor suffix; every layer of the same kind reuses them.
func layerTensors(s Shape, l int) map[string][]byte {
	d, hd, kv := s.Embd, s.headDim(l), s.kvHeads(l)
	q := s.Heads * hd
	type job struct {
		name    string
		in, out int
	}
	jobs := []job{{"attn_q", d, q}, {"attn_k", d, kv * hd}, {"attn_output", q, d},
		{"ffn_gate", d, s.FF}, {"ffn_up", d, s.FF}, {"ffn_down", s.FF, d}}
	if s.local(l) {
		jobs = append(jobs, job{"attn_v", d, kv * hd}) // global layers use K as V (no attn_v), as the 12B
	}
	out := make(map[string][]byte, len(jobs))
	var mu sync.Mutex
	var wg sync.WaitGroup
	for i, j := range jobs {
		wg.Add(1)
		go func() {
			defer wg.Done()
			b := matrix(rand.New(rand.NewPCG(s.Seed, uint64(2*l+1)<<8|uint64(i))), j.in, j.out)
			mu.Lock()
			out[j.name] = b
			mu.Unlock()
		}()
	}
	wg.Wait()
	return out
}

// embdRowBytes is one token_embd row's size.
func (s Shape) embdRowBytes() int {
	if s.EmbdType == "q8_0" {
		return s.Embd / 32 * 34
	}
	return int(q4kSize(uint64(s.Embd)))
}

// writeEmbedding streams token_embd (also the tied output matrix): random rows with std 3/√d, so the
// logits through the output norm have a std near 3; the rows of the control, newline and byte tokens are
// zero (logit 0 while the words score on both sides of it), so EOS and the end of turn rarely win and a
// decode runs to its token budget.
func (s Shape) writeEmbedding(w io.Writer) error {
	rng := rand.New(rand.NewPCG(s.Seed, 0xe))
	row := s.embdRowBytes()
	const chunk = 4096
	buf := make([]byte, chunk*row)
	amp := float32(6 / math.Sqrt(float64(s.Embd)))
	for first := 0; first < s.Vocab; first += chunk {
		n := min(chunk, s.Vocab-first)
		b := buf[:n*row]
		if s.EmbdType == "q8_0" {
			q8Random(rng, b, amp)
		} else {
			q4kRandom(rng, b, amp)
		}
		for r := first; r < first+n && r < tg4.FirstLetter; r++ {
			clear(b[(r-first)*row : (r-first+1)*row])
		}
		if _, err := w.Write(b); err != nil {
			return err
		}
	}
	return nil
}

// q8Random fills dst with random Q8_0 blocks (f16 scale, 32 signed bytes) of values in about [-amp, amp].
func q8Random(rng *rand.Rand, dst []byte, amp float32) {
	dh := gguf.FloatToHalf(amp / 127)
	for off := 0; off+34 <= len(dst); off += 34 {
		dst[off], dst[off+1] = byte(dh), byte(dh>>8)
		fillRandom(rng, dst[off+2:off+34])
		for i := off + 2; i < off+34; i++ {
			if dst[i] == 0x80 { // -128 would reach past -amp
				dst[i] = 0x81
			}
		}
	}
}

// modelFile is the text model: tg4's metadata keys (what inference/gguf's checkGemma4 verifies and ollama's
// gemma4 reads) with this shape and vocabulary, Q4_K matrices, F32 norms, tied output.
func (s Shape) modelFile() *gguf.Writer {
	f := gguf.NewWriter()
	tokens, types := vocabulary(s.Vocab)
	s.spec().SetKeys(f, tokens, types, []string{})
	f.SetString("general.name", fmt.Sprintf("verbatim-synthetic-gemma4-%dL-%dd (random Q4_K weights)", s.Layers, s.Embd))
	f.SetFloat32("gemma4.rope.freq_base", float32(s.RopeGlobal))
	f.SetFloat32("gemma4.rope.freq_base_swa", float32(s.RopeSWA))

	d, v := uint64(s.Embd), uint64(s.Vocab)
	embType, embSize := gguf.TensorType(12), q4kSize(d*v) // Q4_K
	if s.EmbdType == "q8_0" {
		embType, embSize = gguf.TypeQ8_0, d/32*34*v
	}
	f.AddTensorFunc("token_embd.weight", []uint64{d, v}, embType, embSize, s.writeEmbedding) // tied: no output.weight
	ones := f32Fill(d, 1)
	f.AddTensorRaw("output_norm.weight", []uint64{d}, gguf.TypeF32, ones)
	freqs := make([]byte, 0, 2*s.HeadDimGlobal)
	for i := range s.HeadDimGlobal / 2 {
		v := float32(1e30)
		if i < int(float64(s.HeadDimGlobal)*s.RotaryGlobal/2) {
			v = 1
		}
		freqs = append(freqs, f32Fill(1, v)...)
	}
	f.AddTensorRaw("rope_freqs.weight", []uint64{uint64(s.HeadDimGlobal / 2)}, gguf.TypeF32, freqs)

	// One layer of each kind, generated on first use and shared by all layers of that kind.
	var tmpl [2]map[string][]byte
	get := func(l int, name string) func(io.Writer) error {
		return func(w io.Writer) error {
			k := 0
			if !s.local(l) {
				k = 1
			}
			if tmpl[k] == nil {
				tmpl[k] = layerTensors(s, l)
			}
			_, err := w.Write(tmpl[k][name])
			return err
		}
	}
	q4k := gguf.TensorType(12)
	scale := f32Fill(1, 1)
	for l := range s.Layers {
		p := fmt.Sprintf("blk.%d.", l)
		hd, kvd := uint64(s.headDim(l)), uint64(s.kvHeads(l)*s.headDim(l))
		q, ff := uint64(s.Heads)*hd, uint64(s.FF)
		hdOnes := f32Fill(hd, 1)
		mat := func(name string, in, out uint64) {
			f.AddTensorFunc(p+name+".weight", []uint64{in, out}, q4k, q4kSize(in*out), get(l, name))
		}
		f.AddTensorRaw(p+"attn_norm.weight", []uint64{d}, gguf.TypeF32, ones)
		mat("attn_q", d, q)
		f.AddTensorRaw(p+"attn_q_norm.weight", []uint64{hd}, gguf.TypeF32, hdOnes)
		mat("attn_k", d, kvd)
		f.AddTensorRaw(p+"attn_k_norm.weight", []uint64{hd}, gguf.TypeF32, hdOnes)
		if s.local(l) {
			mat("attn_v", d, kvd)
		}
		mat("attn_output", q, d)
		f.AddTensorRaw(p+"post_attention_norm.weight", []uint64{d}, gguf.TypeF32, ones)
		f.AddTensorRaw(p+"ffn_norm.weight", []uint64{d}, gguf.TypeF32, ones)
		mat("ffn_gate", d, ff)
		mat("ffn_up", d, ff)
		mat("ffn_down", ff, d)
		f.AddTensorRaw(p+"post_ffw_norm.weight", []uint64{d}, gguf.TypeF32, ones)
		f.AddTensorRaw(p+"layer_output_scale.weight", []uint64{1}, gguf.TypeF32, scale)
	}
	return f
}

// projectorFile is the gemma4ua projector (tg4's keys): raw 40 ms frames (640 samples) → RMSNorm → one F16
// matrix [640, d], random with std 3/√640 so audio rows are about as large as the model's scaled token rows.
func (s Shape) projectorFile() *gguf.Writer {
	f := gguf.NewWriter()
	tg4.SetProjectorKeys(f, s.Embd)
	b := make([]byte, 2*640*s.Embd)
	f16Random(rand.New(rand.NewPCG(s.Seed, 0xa)), b, float32(3*math.Sqrt(3)/math.Sqrt(640)))
	f.AddTensorRaw("mm.a.input_projection.weight", []uint64{640, uint64(s.Embd)}, gguf.TypeF16, b)
	return f
}

// headFile is an MTP head in Verbatim's format (gguf.MTPArchitecture; checkMTPHead, tg4's keys): random F16
// weights, unit norms, the model's vocabulary, and the token_embd copy the format carries as zeros (the
// engine uses the target's own embedding and output, and only checks the copy's shape and type).
func (s Shape) headFile() *gguf.Writer {
	f := gguf.NewWriter()
	tokens, _ := vocabulary(s.Vocab)
	tg4.SetMTPHeadKeys(f, s.Embd, s.MTPFF, tokens)
	d, v, ff := uint64(s.Embd), uint64(s.Vocab), uint64(s.MTPFF)
	f.AddTensorFunc("token_embd.weight", []uint64{d, v}, gguf.TypeF16, 2*d*v, func(w io.Writer) error {
		_, err := io.CopyN(w, zeros{}, int64(2*d*v))
		return err
	})
	ones := f32Fill(d, 1)
	rnd := func(name string, in, out uint64, i uint64) {
		b := make([]byte, 2*in*out)
		f16Random(rand.New(rand.NewPCG(s.Seed, 0x100+i)), b, float32(math.Sqrt(3)/math.Sqrt(float64(in))))
		f.AddTensorRaw(name, []uint64{in, out}, gguf.TypeF16, b)
	}
	f.AddTensorRaw("mtp.norm_h.weight", []uint64{d}, gguf.TypeF32, ones)
	f.AddTensorRaw("mtp.norm_e.weight", []uint64{d}, gguf.TypeF32, ones)
	rnd("mtp.fc.weight", 2*d, d, 1)
	f.AddTensorRaw("mtp.ffn_norm.weight", []uint64{d}, gguf.TypeF32, ones)
	rnd("mtp.ffn_gate.weight", d, ff, 2)
	rnd("mtp.ffn_up.weight", d, ff, 3)
	rnd("mtp.ffn_down.weight", ff, d, 4)
	f.AddTensorRaw("mtp.output_norm.weight", []uint64{d}, gguf.TypeF32, ones)
	return f
}

// zeros reads as endless zero bytes.
type zeros struct{}

func (zeros) Read(p []byte) (int, error) { clear(p); return len(p), nil }
