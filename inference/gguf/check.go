package gguf

import (
	"fmt"
	"slices"
	"sort"
	"strings"
)

// Kind says what a GGUF file is to Verbatim.
type Kind int

const (
	KindText      Kind = iota // a language model llama.cpp loads
	KindProjector             // an audio (or vision) projector, "mmproj"
	KindMTPHead               // an MTP drafter head that Verbatim runs itself beside its target model
)

func (k Kind) String() string {
	switch k {
	case KindProjector:
		return "projector"
	case KindMTPHead:
		return "MTP head"
	}
	return "model"
}

// MTPArchitecture is general.architecture of an MTP drafter head file.
const MTPArchitecture = "verbatim_mtp"

// Info summarises a checked file for listings and for choosing how to run it.
type Info struct {
	Path          string
	Size          int64
	Kind          Kind
	Name          string
	Architecture  string // general.architecture
	Quantization  string // the tensor type holding most bytes, e.g. Q4_K
	Parameters    uint64
	ContextLength uint64
	EmbeddingLen  uint64 // text models: n_embd
	BlockCount    uint64
	VocabSize     int
	HasChatTmpl   bool
	// Projectors only.
	ProjectorType string
	HasAudio      bool
	ProjectionDim uint64 // width of the embeddings it produces
}

// Check opens path and verifies everything Verbatim and llama.cpp rely on, so that a file that would make
// llama.cpp abort is refused with a reason instead.
func Check(path string) (*File, Info, error) {
	f, err := Open(path)
	if err != nil {
		return nil, Info{}, err
	}
	info, err := f.Check()
	return f, info, err
}

// Check verifies an already parsed file.
func (f *File) Check() (Info, error) {
	info := Info{Path: f.Path, Size: f.Size, Name: f.String("general.name"), Architecture: f.String("general.architecture")}
	bytesByType := map[TensorType]uint64{}
	for _, t := range f.Tensors {
		info.Parameters += t.Elements()
		bytesByType[t.Type] += t.Size
	}
	info.Quantization = dominantType(bytesByType)
	fail := func(format string, a ...any) (Info, error) {
		return info, &Error{f.Path, fmt.Sprintf(format, a...)}
	}
	if info.Architecture == "" {
		return fail("general.architecture is missing: not a model file")
	}
	if len(f.Tensors) == 0 {
		return fail("holds no tensors (a vocabulary-only file cannot transcribe)")
	}
	if info.Architecture == "clip" {
		info.Kind = KindProjector
		return f.checkProjector(info)
	}
	if info.Architecture == MTPArchitecture {
		info.Kind = KindMTPHead
		return f.checkMTPHead(info)
	}
	if IsAssistantArchitecture(info.Architecture) {
		// Gemma 4's own MTP drafter: listed and loaded as an MTP head, described by the target it reads.
		info.Kind = KindMTPHead
		a, err := f.Assistant()
		info.EmbeddingLen, info.VocabSize, info.BlockCount = uint64(a.TargetEmbd), a.Vocab, uint64(len(a.Local))
		return info, err
	}
	if !textArchitectures[info.Architecture] && !IsGoEngineArchitecture(info.Architecture) {
		return fail("architecture %q is not supported by the llama.cpp built into Verbatim", info.Architecture)
	}
	arch := info.Architecture
	info.ContextLength, _ = f.Uint(arch + ".context_length")
	info.EmbeddingLen, _ = f.Uint(arch + ".embedding_length")
	info.BlockCount, _ = f.Uint(arch + ".block_count")
	if info.EmbeddingLen == 0 || info.BlockCount == 0 {
		return fail("%s.embedding_length or %s.block_count is missing or zero", arch, arch)
	}
	_, info.HasChatTmpl = f.Get("tokenizer.chat_template")
	tokens := f.Strings("tokenizer.ggml.tokens")
	info.VocabSize = len(tokens)
	model := f.String("tokenizer.ggml.model")
	if model == "" {
		return fail("tokenizer.ggml.model is missing")
	}
	if model != "none" && model != "no_vocab" && len(tokens) == 0 {
		return fail("tokenizer.ggml.tokens is missing or empty")
	}
	for _, key := range []string{"bos", "eos", "unk", "eot", "pad", "sep"} {
		if id, ok := f.Uint("tokenizer.ggml." + key + "_token_id"); ok && id >= uint64(len(tokens)) && len(tokens) > 0 {
			return fail("tokenizer.ggml.%s_token_id %d is outside the vocabulary of %d tokens", key, id, len(tokens))
		}
	}
	if tt, ok := f.Get("tokenizer.ggml.token_type"); ok {
		if ids, ok := tt.([]int32); !ok || len(ids) != len(tokens) {
			return fail("tokenizer.ggml.token_type does not have one entry per token")
		}
	}
	if model == "rwkv" && !slices.Contains(tokens, `\n`) {
		return fail("the rwkv vocabulary has no newline token, which llama.cpp requires")
	}
	if emb, ok := f.Tensor("token_embd.weight"); ok && len(tokens) > 0 {
		if len(emb.Shape) != 2 || emb.Shape[1] != uint64(len(tokens)) || emb.Shape[0] != info.EmbeddingLen {
			return fail("token_embd.weight has shape %v but the model has %d tokens of width %d", emb.Shape, len(tokens), info.EmbeddingLen)
		}
	}
	if info.Architecture == "gemma4" {
		return info, f.checkGemma4(info)
	}
	return info, nil
}

func (f *File) checkMTPHead(info Info) (Info, error) {
	fail := func(format string, a ...any) (Info, error) {
		return info, &Error{f.Path, fmt.Sprintf(format, a...)}
	}
	info.EmbeddingLen, _ = f.Uint(MTPArchitecture + ".embedding_length")
	ff, _ := f.Uint(MTPArchitecture + ".feed_forward_length")
	if info.EmbeddingLen == 0 || ff == 0 {
		return fail("%s.embedding_length or .feed_forward_length is missing or zero", MTPArchitecture)
	}
	info.VocabSize = len(f.Strings("tokenizer.ggml.tokens"))
	if info.VocabSize == 0 {
		return fail("tokenizer.ggml.tokens is missing: an MTP head must say which vocabulary it drafts in")
	}
	d, v := info.EmbeddingLen, uint64(info.VocabSize)
	want := []struct {
		name  string
		shape []uint64
	}{
		{"token_embd.weight", []uint64{d, v}},
		{"mtp.norm_h.weight", []uint64{d}}, {"mtp.norm_e.weight", []uint64{d}},
		{"mtp.fc.weight", []uint64{2 * d, d}}, {"mtp.ffn_norm.weight", []uint64{d}},
		{"mtp.ffn_gate.weight", []uint64{d, ff}}, {"mtp.ffn_up.weight", []uint64{d, ff}},
		{"mtp.ffn_down.weight", []uint64{ff, d}}, {"mtp.output_norm.weight", []uint64{d}},
	}
	if _, untied := f.Tensor("output.weight"); untied {
		want = append(want, want[0])
		want[len(want)-1].name = "output.weight"
	}
	for _, want := range want {
		if err := f.expectFloatTensor(want.name, want.shape); err != nil {
			return info, err
		}
	}
	return info, nil
}

func (f *File) checkProjector(info Info) (Info, error) {
	fail := func(format string, a ...any) (Info, error) {
		return info, &Error{f.Path, fmt.Sprintf(format, a...)}
	}
	// A file with vision and audio (Gemma 4 E2B/E4B's mmproj) names each part's type; the audio one is ours.
	info.ProjectorType = f.String("clip.audio.projector_type")
	if info.ProjectorType == "" {
		info.ProjectorType = f.String("clip.projector_type")
	}
	info.HasAudio = f.Bool("clip.has_audio_encoder")
	info.ProjectionDim, _ = f.Uint("clip.audio.projection_dim")
	supported := strings.Join(SupportedProjectors(), ", ")
	switch {
	case info.ProjectorType == "":
		return fail("clip.projector_type is missing; supported audio projectors: %s", supported)
	case !IsGoProjector(info.ProjectorType) && !IsMtmdProjector(info.ProjectorType) && info.ProjectorType != ProjectorGemma4A:
		return fail("projector type %q is not supported for audio; supported: %s", info.ProjectorType, supported)
	case !info.HasAudio:
		return fail("projector %q has no audio part (clip.has_audio_encoder is not true)", info.ProjectorType)
	}
	if info.ProjectorType == ProjectorGemma4A {
		return f.checkGemma4AProjector(info)
	}
	if !IsGoProjector(info.ProjectorType) {
		return info, f.checkMtmdProjector(info)
	}
	if info.ProjectionDim == 0 {
		return fail("clip.audio.projection_dim is missing")
	}
	in := uint64(640)
	if info.ProjectorType == ProjectorLogMel {
		bins, _ := f.Uint("clip.audio.num_mel_bins")
		stack, _ := f.Uint("verbatim.logmel.stack")
		nfft, _ := f.Uint("verbatim.logmel.n_fft")
		hop, _ := f.Uint("verbatim.logmel.hop")
		if bins == 0 || bins > 512 || stack == 0 || stack*hop != 640 || nfft == 0 || nfft > 4096 {
			return fail("log-mel projector metadata is inconsistent (bins %d, stack %d, n_fft %d, hop %d; stack×hop must be 640)", bins, stack, nfft, hop)
		}
		in = bins * stack
		want := map[string][]uint64{
			"mm.a.window":       {nfft},
			"mm.a.mel_filters":  {nfft/2 + 1, bins},
			"mm.a.feature_mean": {bins},
			"mm.a.feature_std":  {bins},
		}
		for name, shape := range want {
			if err := f.expectFloatTensor(name, shape); err != nil {
				return info, err
			}
		}
	}
	if err := f.expectFloatTensor("mm.a.input_projection.weight", []uint64{in, info.ProjectionDim}); err != nil {
		return info, err
	}
	return info, nil
}

func (f *File) expectFloatTensor(name string, shape []uint64) error {
	t, ok := f.Tensor(name)
	if !ok {
		return &Error{f.Path, fmt.Sprintf("tensor %s is missing", name)}
	}
	if t.Type != TypeF32 && t.Type != TypeF16 {
		return &Error{f.Path, fmt.Sprintf("tensor %s has type %s; want F32 or F16", name, t.Type)}
	}
	if !slices.Equal(t.Shape, shape) {
		return &Error{f.Path, fmt.Sprintf("tensor %s has shape %v; want %v", name, t.Shape, shape)}
	}
	return nil
}

func dominantType(bytes map[TensorType]uint64) string {
	types := make([]TensorType, 0, len(bytes))
	for t := range bytes {
		types = append(types, t)
	}
	sort.Slice(types, func(a, b int) bool {
		if bytes[types[a]] != bytes[types[b]] {
			return bytes[types[a]] > bytes[types[b]]
		}
		return types[a] < types[b]
	})
	if len(types) == 0 {
		return ""
	}
	return types[0].String()
}

// checkGemma4 verifies what ollama's Go engine reads from a Gemma 4 text model
// (github.com/ollama/ollama@v0.24.0 model/models/gemma4/model_text.go:83-165,229-414): it reads metadata
// with exact types (a uint64 where it wants a uint32 reads as 0) and leaves a missing tensor a nil field
// that crashes while the graph is built, so both are refused here with the name of what is wrong.
func (f *File) checkGemma4(info Info) error {
	fail := func(format string, a ...any) error { return &Error{f.Path, fmt.Sprintf(format, a...)} }
	u32 := func(key string, required bool) (int, error) {
		v, ok := f.Get("gemma4." + key)
		if !ok && !required {
			return 0, nil
		}
		n, typed := v.(uint32)
		if !typed || (required && n == 0) {
			return 0, fail("gemma4.%s must be a non-zero uint32 (found %T %v)", key, v, v)
		}
		return int(n), nil
	}
	for _, key := range []string{"attention.layer_norm_rms_epsilon", "rope.freq_base", "rope.freq_base_swa", "final_logit_softcapping"} {
		if v, ok := f.Get("gemma4." + key); ok {
			if _, typed := v.(float32); !typed {
				return fail("gemma4.%s must be a float32 (found %T)", key, v)
			}
		}
	}
	var dims [6]int
	for i, key := range []string{"block_count", "embedding_length", "attention.head_count", "attention.key_length",
		"attention.key_length_swa", "attention.sliding_window"} {
		var err error
		if dims[i], err = u32(key, true); err != nil {
			return err
		}
	}
	layers, d, heads, hdGlobal, hdLocal := dims[0], dims[1], dims[2], dims[3], dims[4]
	v, _ := f.Get("gemma4.attention.sliding_window_pattern")
	pattern, _ := v.([]any)
	if len(pattern) != layers {
		return fail("gemma4.attention.sliding_window_pattern must be an array of %d bools, one per layer", layers)
	}
	local := make([]bool, layers)
	for i, p := range pattern {
		b, ok := p.(bool)
		if !ok {
			return fail("gemma4.attention.sliding_window_pattern must hold bools (found %T)", p)
		}
		local[i] = b
	}
	kvHeads := make([]int, layers)
	switch v, _ := f.Get("gemma4.attention.head_count_kv"); x := v.(type) {
	case uint32:
		for i := range kvHeads {
			kvHeads[i] = int(x)
		}
	case []int32:
		if len(x) != layers {
			return fail("gemma4.attention.head_count_kv has %d entries for %d layers", len(x), layers)
		}
		// ollama takes the first entry for every sliding layer and the first global entry for every global one.
		firstGlobal := -1
		for i := range x {
			if !local[i] && firstGlobal < 0 {
				firstGlobal = int(x[i])
			}
		}
		for i := range x {
			kvHeads[i] = int(x[0])
			if !local[i] {
				kvHeads[i] = firstGlobal
			}
		}
	default:
		return fail("gemma4.attention.head_count_kv must be a uint32 or an int32 array (found %T)", v)
	}
	shared, err := u32("attention.shared_kv_layers", false)
	if err != nil {
		return err
	}
	ple, err := u32("embedding_length_per_layer_input", false)
	if err != nil {
		return err
	}
	experts, err := u32("expert_count", false)
	if err != nil {
		return err
	}
	for i, h := range kvHeads {
		if h <= 0 || heads%h != 0 {
			return fail("layer %d has %d KV heads, which must divide the %d attention heads", i, h, heads)
		}
	}
	if shared >= layers {
		return fail("gemma4.attention.shared_kv_layers is %d but the model has only %d layers", shared, layers)
	}
	// want checks a tensor by its first name found (ollama's alternates, model_text.go gguf tags); the
	// shape is ggml order, ne0 first. Quantised matrices keep their logical shape.
	want := func(shape []uint64, names ...string) error {
		for _, n := range names {
			if t, ok := f.Tensor(n); ok {
				if !slices.Equal(t.Shape, shape) {
					return fail("tensor %s has shape %v; want %v", n, t.Shape, shape)
				}
				return nil
			}
		}
		return fail("tensor %s is missing: the file is incomplete or not a Gemma 4 text model", names[0])
	}
	optional := func(shape []uint64, name string) error {
		if _, ok := f.Tensor(name); ok {
			return want(shape, name)
		}
		return nil
	}
	D, V := uint64(d), uint64(info.VocabSize)
	if err := want([]uint64{D, V}, "token_embd.weight"); err != nil {
		return err
	}
	if err := want([]uint64{D}, "output_norm.weight"); err != nil {
		return err
	}
	if err := optional([]uint64{D, V}, "output.weight"); err != nil {
		return err
	}
	if err := optional([]uint64{uint64(hdGlobal / 2)}, "rope_freqs.weight"); err != nil {
		return err
	}
	if ple > 0 {
		P := uint64(ple * layers)
		for _, w := range []struct {
			shape []uint64
			name  string
		}{{[]uint64{P, V}, "per_layer_token_embd.weight"}, {[]uint64{D, P}, "per_layer_model_proj.weight"},
			{[]uint64{uint64(ple)}, "per_layer_proj_norm.weight"}} {
			if err := want(w.shape, w.name); err != nil {
				return err
			}
		}
	}
	for l := range layers {
		p := fmt.Sprintf("blk.%d.", l)
		hd := uint64(hdLocal)
		if !local[l] {
			hd = uint64(hdGlobal)
		}
		q, kv := uint64(heads)*hd, uint64(kvHeads[l])*hd
		checks := []struct {
			shape []uint64
			names []string
		}{
			{[]uint64{D}, []string{p + "attn_norm.weight"}},
			{[]uint64{D, q}, []string{p + "attn_q.weight"}},
			{[]uint64{hd}, []string{p + "attn_q_norm.weight"}},
			{[]uint64{q, D}, []string{p + "attn_output.weight"}},
			{[]uint64{D}, []string{p + "post_attention_norm.weight", p + "attn_post_norm.weight"}},
			{[]uint64{D}, []string{p + "ffn_norm.weight", p + "ffn_pre_norm.weight"}},
			{[]uint64{D}, []string{p + "post_ffw_norm.weight", p + "ffn_post_norm.weight"}},
		}
		if l < layers-shared { // KV-shared layers read their donor's cache and have no K/V of their own
			checks = append(checks, struct {
				shape []uint64
				names []string
			}{[]uint64{D, kv}, []string{p + "attn_k.weight"}}, struct {
				shape []uint64
				names []string
			}{[]uint64{hd}, []string{p + "attn_k_norm.weight"}})
		}
		for _, c := range checks {
			if err := want(c.shape, c.names...); err != nil {
				return err
			}
		}
		if err := optional([]uint64{D, kv}, p+"attn_v.weight"); err != nil {
			return err
		}
		if err := optional([]uint64{1}, p+"layer_output_scale.weight"); err != nil {
			return err
		}
		// The dense FFN is in every layer; its width may differ per layer (double-wide KV-shared layers).
		gate, ok := f.Tensor(p + "ffn_gate.weight")
		if !ok || len(gate.Shape) != 2 || gate.Shape[0] != D {
			return fail("tensor %sffn_gate.weight is missing or not [%d, ff]", p, D)
		}
		ff := gate.Shape[1]
		if err := want([]uint64{D, ff}, p+"ffn_up.weight"); err != nil {
			return err
		}
		if err := want([]uint64{ff, D}, p+"ffn_down.weight"); err != nil {
			return err
		}
		if ple > 0 {
			for _, n := range []string{"inp_gate.weight", "proj.weight", "post_norm.weight"} {
				if _, ok := f.Tensor(p + n); !ok {
					return fail("tensor %s%s is missing (the model has per-layer inputs)", p, n)
				}
			}
		}
		if experts > 0 {
			_, fused := f.Tensor(p + "ffn_gate_up_exps.weight")
			_, split := f.Tensor(p + "ffn_gate_exps.weight")
			_, down := f.Tensor(p + "ffn_down_exps.weight")
			_, router := f.Tensor(p + "ffn_gate_inp.weight")
			if !router || !down || !(fused || split) {
				return fail("layer %d lacks its mixture-of-experts tensors (ffn_gate_inp, ffn_*_exps)", l)
			}
		}
	}
	return nil
}
