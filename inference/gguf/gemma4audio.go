package gguf

import (
	"fmt"
	"slices"
	"strings"
)

// NoAudioError says what a model file lacks to hear. It wraps the caller's "cannot hear" error
// (speech.ErrNoAudio, which this package cannot import), so that errors.Is finds it while the message
// names only what is missing.
type NoAudioError struct {
	Path, Reason string
	Cause        error
}

func (e *NoAudioError) Error() string { return e.Path + ": " + e.Reason }
func (e *NoAudioError) Unwrap() error { return e.Cause }

// Gemma4OwnAudio says whether a Gemma 4 model file hears without a separate audio projector: nil when it
// carries a complete audio conformer, else a NoAudioError wrapping cause that names what is missing.
// Ollama's store keeps each model as one blob: E2B/E4B carry their conformer in it (gemma4.audio.* keys and
// a.blk.* tensors: ollama's convert_gemma4.go:189-204,442-509), while 26B/31B and vision-only conversions
// carry none. ollama's engine leaves a missing tensor a nil field and a wrong shape aborts inside ggml, so
// every tensor model_audio.go reads is checked here with the shape its graph needs.
func (f *File) Gemma4OwnAudio(cause error) error {
	fail := func(format string, a ...any) error {
		return &NoAudioError{Path: f.Path, Reason: fmt.Sprintf(format, a...), Cause: cause}
	}
	hasBlocks := slices.ContainsFunc(f.Tensors, func(t TensorInfo) bool { return strings.HasPrefix(t.Name, "a.blk.") })
	_, hasKey := f.Get("gemma4.audio.block_count")
	if !hasKey && !hasBlocks {
		return fail("this Gemma 4 model has no audio encoder (no gemma4.audio.block_count, no a.blk.* tensors) and no " +
			"audio projector (mmproj) was found for it, so it cannot hear (Gemma 4 26B and 31B never do); use E2B, E4B, " +
			"or the 12B with its gemma4ua projector")
	}
	incomplete := func(format string, a ...any) error {
		return fail("its audio encoder is incomplete: "+format+"; download the model again", a...)
	}
	// ollama reads these with c.Uint, which yields the default for anything but a uint32.
	u32 := func(key string, def uint32) (uint64, error) {
		v, ok := f.Get("gemma4.audio." + key)
		if !ok {
			return uint64(def), nil
		}
		n, typed := v.(uint32)
		if !typed || n == 0 {
			return 0, incomplete("gemma4.audio.%s must be a non-zero uint32 (found %T %v)", key, v, v)
		}
		return uint64(n), nil
	}
	var dims [6]uint64
	for i, k := range []struct {
		key string
		def uint32
	}{{"block_count", 0}, {"embedding_length", 0}, {"attention.head_count", 8}, {"feed_forward_length", 0},
		{"conv_kernel_size", 5}, {"num_mel_bins", 128}} {
		var err error
		if dims[i], err = u32(k.key, k.def); err != nil {
			return err
		}
	}
	blocks, h, heads, ff, kernel, mels := dims[0], dims[1], dims[2], dims[3], dims[4], dims[5]
	if blocks == 0 || h == 0 {
		return incomplete("gemma4.audio.block_count and gemma4.audio.embedding_length are required")
	}
	if ff == 0 {
		ff = 4 * h
	}
	if h%heads != 0 || h%2 != 0 {
		return incomplete("gemma4.audio.embedding_length %d is not a multiple of 2 and of the %d attention heads", h, heads)
	}
	d, _ := f.Uint("gemma4.embedding_length")
	shape := func(name string) ([]uint64, error) {
		t, ok := f.Tensor(name)
		if !ok {
			return nil, incomplete("tensor %s is missing", name)
		}
		return t.Shape, nil
	}
	want := func(name string, s ...uint64) error {
		got, err := shape(name)
		if err == nil && !slices.Equal(got, s) {
			err = incomplete("tensor %s has shape %v; want %v", name, got, s)
		}
		return err
	}
	// The subsampling: two 3×3 stride-2 Conv2Ds over (mel bin, time), each with a LayerNorm over channels.
	c0, err := shape("a.conv1d.0.weight")
	if err != nil {
		return err
	}
	if len(c0) != 4 || c0[0] != 3 || c0[1] != 3 || c0[2] != 1 {
		return incomplete("tensor a.conv1d.0.weight has shape %v; want [3 3 1 channels]", c0)
	}
	c1, err := shape("a.conv1d.1.weight")
	if err != nil {
		return err
	}
	if len(c1) != 4 || c1[0] != 3 || c1[1] != 3 || c1[2] != c0[3] {
		return incomplete("tensor a.conv1d.1.weight has shape %v; want [3 3 %d channels]", c1, c0[3])
	}
	freq := (mels-1)/2 + 1
	freq = (freq-1)/2 + 1
	type tensor struct {
		name  string
		shape []uint64
	}
	checks := []tensor{{"a.conv1d.0.norm.weight", []uint64{c0[3]}}, {"a.conv1d.1.norm.weight", []uint64{c1[3]}},
		{"a.pre_encode.out.weight", []uint64{c1[3] * freq, h}}}
	for b := range blocks {
		p := fmt.Sprintf("a.blk.%d.", b)
		for _, n := range []string{"layer_pre_norm", "ffn_norm", "ffn_post_norm", "ffn_norm_1", "ffn_post_norm_1", "ln1", "ln2",
			"conv_norm", "norm_conv"} {
			checks = append(checks, tensor{p + n + ".weight", []uint64{h}})
		}
		for _, n := range []string{"attn_q", "attn_k", "attn_v", "attn_out", "linear_pos", "conv_pw2"} {
			checks = append(checks, tensor{p + n + ".weight", []uint64{h, h}})
		}
		checks = append(checks, tensor{p + "ffn_up.weight", []uint64{h, ff}}, tensor{p + "ffn_down.weight", []uint64{ff, h}},
			tensor{p + "ffn_up_1.weight", []uint64{h, ff}}, tensor{p + "ffn_down_1.weight", []uint64{ff, h}},
			tensor{p + "per_dim_scale.weight", []uint64{h / heads}}, tensor{p + "conv_pw1.weight", []uint64{h, 2 * h}},
			tensor{p + "conv_dw.weight", []uint64{kernel, h}})
	}
	fc, err := shape("mm.a.fc.weight")
	if err != nil {
		return err
	}
	if len(fc) != 2 || fc[0] != h {
		return incomplete("tensor mm.a.fc.weight has shape %v; want [%d width]", fc, h)
	}
	checks = append(checks, tensor{"mm.a.input_projection.weight", []uint64{fc[1], d}})
	for _, c := range checks {
		if err := want(c.name, c.shape...); err != nil {
			return err
		}
	}
	return nil
}
