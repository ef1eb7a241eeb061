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
	if !textArchitectures[info.Architecture] {
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
	info.ProjectorType = f.String("clip.projector_type")
	if info.ProjectorType == "" {
		info.ProjectorType = f.String("clip.audio.projector_type")
	}
	info.HasAudio = f.Bool("clip.has_audio_encoder")
	info.ProjectionDim, _ = f.Uint("clip.audio.projection_dim")
	supported := strings.Join(SupportedProjectors(), ", ")
	switch {
	case info.ProjectorType == "":
		return fail("clip.projector_type is missing; supported audio projectors: %s", supported)
	case !IsGoProjector(info.ProjectorType) && !IsMtmdProjector(info.ProjectorType):
		return fail("projector type %q is not supported for audio; supported: %s", info.ProjectorType, supported)
	case !info.HasAudio:
		return fail("projector %q has no audio part (clip.has_audio_encoder is not true)", info.ProjectorType)
	}
	if !IsGoProjector(info.ProjectorType) {
		return info, nil
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
