package gguf

import (
	"encoding/binary"
	"fmt"
	"io"
	"math"
	"slices"
)

// AssistantArchitecture is general.architecture of Gemma 4's MTP drafter, the "assistant" Google ships beside
// each model (upstream llama.cpp src/llama-arch.cpp, src/models/gemma4-assistant.cpp). Third-party
// converters write it with an underscore; both are read.
const AssistantArchitecture = "gemma4-assistant"

// IsAssistantArchitecture reports a Gemma 4 assistant drafter file.
func IsAssistantArchitecture(arch string) bool {
	return arch == AssistantArchitecture || arch == "gemma4_assistant"
}

// Assistant is the shape of a Gemma 4 assistant: a few decoder layers of width Embd that read the target's
// hidden state (TargetEmbd wide) and token, attend with queries only over the target's KV cache, and
// propose the next token with their own tied output over Vocab tokens.
type Assistant struct {
	TargetEmbd, Embd, Vocab int
	Heads                   int
	HeadDim, HeadDimSWA     int // attention.key_length (global layers), key_length_swa
	Local                   []bool
	FF                      []int // per layer
	Eps                     float32
	RopeBase, RopeBaseSWA   float64
}

// AssistantPre and AssistantPost are the projections between the target's width and the assistant's; its
// layers' tensors are blk.N.<name>.weight.
const AssistantPre, AssistantPost = "nextn.pre_projection.weight", "nextn.post_projection.weight"

// Assistant reads and checks an assistant file's metadata and the shape of every tensor it uses. Only types
// Verbatim can upload as they are or convert (F32, F16, BF16, Q8_0) are accepted.
func (f *File) Assistant() (Assistant, error) {
	var a Assistant
	fail := func(format string, args ...any) (Assistant, error) {
		return a, &Error{f.Path, fmt.Sprintf(format, args...)}
	}
	p := f.String("general.architecture") + "."
	u := func(key string) int {
		n, _ := f.Uint(p + key)
		if n > 1<<24 {
			return 0
		}
		return int(n)
	}
	a.TargetEmbd, a.Embd, a.Heads = u("embedding_length_out"), u("embedding_length"), u("attention.head_count")
	a.HeadDim, a.HeadDimSWA = u("attention.key_length"), u("attention.key_length_swa")
	n := u("block_count")
	if a.TargetEmbd == 0 || a.Embd == 0 || a.Heads == 0 || a.HeadDim == 0 || a.HeadDimSWA == 0 || n == 0 {
		return fail("%sembedding_length_out, embedding_length, block_count, attention.head_count, key_length and key_length_swa are required", p)
	}
	if a.TargetEmbd == a.Embd {
		return fail("%sembedding_length_out equals embedding_length: not an assistant of a larger model", p)
	}
	for _, k := range []struct {
		key  string
		want int
	}{{"value_length", a.HeadDim}, {"value_length_swa", a.HeadDimSWA}} {
		if v := u("attention." + k.key); v != 0 && v != k.want {
			return fail("%sattention.%s differs from the key length; Gemma 4 assistants read keys and values of one size", p, k.key)
		}
	}
	v, _ := f.Get(p + "attention.sliding_window_pattern")
	pattern, _ := v.([]any)
	if len(pattern) != n {
		return fail("%sattention.sliding_window_pattern must hold %d bools, one per layer", p, n)
	}
	for _, x := range pattern {
		b, ok := x.(bool)
		if !ok {
			return fail("%sattention.sliding_window_pattern must hold bools", p)
		}
		a.Local = append(a.Local, b)
	}
	switch x, _ := f.Get(p + "feed_forward_length"); ff := x.(type) {
	case []int32:
		for _, v := range ff {
			a.FF = append(a.FF, int(v))
		}
	case []uint32:
		for _, v := range ff {
			a.FF = append(a.FF, int(v))
		}
	default:
		a.FF = slices.Repeat([]int{u("feed_forward_length")}, n)
	}
	if len(a.FF) != n || slices.Contains(a.FF, 0) {
		return fail("%sfeed_forward_length must be one non-zero width or one per layer", p)
	}
	a.Eps = 1e-6
	if e, ok := f.Float(p + "attention.layer_norm_rms_epsilon"); ok {
		a.Eps = float32(e)
	}
	a.RopeBase, a.RopeBaseSWA = 1e6, 1e4
	if b, ok := f.Float(p + "rope.freq_base"); ok {
		a.RopeBase = b
	}
	if b, ok := f.Float(p + "rope.freq_base_swa"); ok {
		a.RopeBaseSWA = b
	}
	emb, ok := f.Tensor("token_embd.weight")
	if !ok || len(emb.Shape) != 2 || emb.Shape[0] != uint64(a.Embd) {
		return fail("tensor token_embd.weight must be [%d vocabulary]", a.Embd)
	}
	a.Vocab = int(emb.Shape[1])
	d, D := uint64(a.Embd), uint64(a.TargetEmbd)
	want := map[string][]uint64{
		"token_embd.weight": emb.Shape, "output_norm.weight": {d},
		AssistantPre: {2 * D, d}, AssistantPost: {d, D},
	}
	if slices.Contains(a.Local, false) {
		want["rope_freqs.weight"] = []uint64{uint64(a.HeadDim / 2)}
	}
	for l := range n {
		hd := uint64(a.HeadDim)
		if a.Local[l] {
			hd = uint64(a.HeadDimSWA)
		}
		q, ff := hd*uint64(a.Heads), uint64(a.FF[l])
		for name, shape := range map[string][]uint64{
			"attn_norm": {d}, "attn_q": {d, q}, "attn_q_norm": {hd}, "attn_output": {q, d}, "post_attention_norm": {d},
			"layer_output_scale": {1}, "ffn_norm": {d}, "ffn_gate": {d, ff}, "ffn_up": {d, ff}, "ffn_down": {ff, d},
			"post_ffw_norm": {d},
		} {
			want[fmt.Sprintf("blk.%d.%s.weight", l, name)] = shape
		}
	}
	names := make([]string, 0, len(want))
	for name := range want {
		names = append(names, name)
	}
	slices.Sort(names) // the first problem in a stable order
	for _, name := range names {
		t, ok := f.Tensor(name)
		if !ok {
			return fail("tensor %s is missing", name)
		}
		if !slices.Equal(t.Shape, want[name]) {
			return fail("tensor %s has shape %v; want %v", name, t.Shape, want[name])
		}
		switch t.Type {
		case TypeF32, TypeF16, TypeBF16, TypeQ8_0:
		default:
			return fail("tensor %s is %s; Verbatim runs assistants stored as F32, F16, BF16 or Q8_0", name, t.Type)
		}
	}
	return a, nil
}

// ReadTensorRaw reads a tensor's bytes as stored.
func (f *File) ReadTensorRaw(r io.ReaderAt, name string) (TensorInfo, []byte, error) {
	t, ok := f.Tensor(name)
	if !ok {
		return t, nil, &Error{f.Path, fmt.Sprintf("tensor %q is missing", name)}
	}
	buf := make([]byte, t.Size)
	if _, err := r.ReadAt(buf, f.DataOffset+int64(t.Offset)); err != nil {
		return t, nil, fmt.Errorf("%s: read tensor %q: %w", f.Path, name, err)
	}
	return t, buf, nil
}

// bf16ToFloat widens bfloat16, the top half of a float32.
func bf16ToFloat(b []byte) float32 {
	return math.Float32frombits(uint32(binary.LittleEndian.Uint16(b)) << 16)
}
