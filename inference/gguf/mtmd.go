package gguf

import (
	"fmt"
	"slices"
)

// Whisper-family audio projectors (ultravox, qwen2a, voxtral) as llama.cpp's mtmd at ec98e2002 reads them
// (tools/mtmd/clip.cpp load_hparams/load_tensors, models/whisper-enc.cpp). What mtmd merely cannot load it
// reports as an error, but much of what a file can get wrong aborts or crashes the process instead: a zero
// head count divides by zero, a missing position table is dereferenced, a missing norm or bias or a
// k bias trips a GGML_ASSERT while the warm-up graph is built, a mismatched shape trips ggml's, and a
// stack factor whose embedding count mtmd miscounts aborts on the first audio. So all of it is checked here.

// whisperMelFrames is the length of every mel chunk mtmd feeds the encoder (mtmd-audio.cpp frames_per_chunk).
const whisperMelFrames = 3000

// checkMtmdProjector verifies an mtmd audio projector against what mtmd would otherwise abort on; Check
// calls it, so `verbatim models`, the Models tab and loading all refuse such a file the same way.
func (f *File) checkMtmdProjector(info Info) error {
	fail := func(format string, a ...any) error { return &Error{f.Path, fmt.Sprintf(format, a...)} }
	typ := info.ProjectorType
	// mtmd reads these with gguf_get_val_u32 / _f32, which abort on any other stored type.
	dim := func(key string) (uint64, error) {
		v, _ := f.Get("clip.audio." + key)
		if n, ok := v.(uint32); ok && n > 0 {
			return uint64(n), nil
		}
		return 0, fail("clip.audio.%s must be a non-zero uint32 (found %T %v); a %s projector needs it", key, v, v, typ)
	}
	var d [6]uint64
	for i, key := range []string{"embedding_length", "attention.head_count", "feed_forward_length", "block_count", "num_mel_bins", "projection_dim"} {
		var err error
		if d[i], err = dim(key); err != nil {
			return err
		}
	}
	e, heads, ff, layers, mels, out := d[0], d[1], d[2], d[3], d[4], d[5]
	if e%heads != 0 {
		return fail("clip.audio.embedding_length %d is not a multiple of the %d attention heads", e, heads)
	}
	if v, _ := f.Get("clip.audio.attention.layer_norm_epsilon"); !isFloat32(v) {
		return fail("clip.audio.attention.layer_norm_epsilon must be a float32 (found %T); a %s projector needs it", v, typ)
	}
	stack := uint64(1)
	if stacksFrames(typ) {
		var err error
		if stack, err = dim("projector.stack_factor"); err != nil {
			return err
		}
	}
	if got, want := mtmdAudioRows(typ, stack); got != want {
		return fail("this %s projector stacks %d audio frames, which the llama.cpp built into Verbatim miscounts "+
			"(%d embeddings per 30 s where it expects %d) and stops the program on; Verbatim cannot run it. "+
			"Use a Qwen2-Audio (qwen2a) model instead", typ, stack, got, want)
	}
	type tensor struct {
		name     string
		shape    []uint64
		optional bool // mtmd runs without it, but one of another shape stops it
	}
	want := []tensor{
		{"a.conv1d.1.weight", []uint64{3, mels, e}, false}, {"a.conv1d.1.bias", []uint64{1, e}, false},
		{"a.conv1d.2.weight", []uint64{3, e, e}, false}, {"a.conv1d.2.bias", []uint64{1, e}, false},
		{"a.post_ln.weight", []uint64{e}, true}, {"a.post_ln.bias", []uint64{e}, true},
	}
	for i := uint64(0); i < layers; i++ {
		p := fmt.Sprintf("a.blk.%d.", i)
		if _, ok := f.Tensor(p + "attn_k.bias"); ok {
			return fail("tensor %sattn_k.bias is present; whisper's key projection has no bias and llama.cpp stops on one", p)
		}
		for _, n := range []string{"ln1.weight", "ln1.bias", "ln2.weight", "ln2.bias", "attn_q.bias", "attn_v.bias"} {
			want = append(want, tensor{p + n, []uint64{e}, false})
		}
		for _, n := range []string{"attn_q.weight", "attn_k.weight", "attn_v.weight", "attn_out.weight"} {
			want = append(want, tensor{p + n, []uint64{e, e}, false})
		}
		want = append(want, tensor{p + "ffn_up.weight", []uint64{e, ff}, false}, tensor{p + "ffn_down.weight", []uint64{ff, e}, false},
			tensor{p + "attn_out.bias", []uint64{e}, true}, tensor{p + "ffn_up.bias", []uint64{ff}, true},
			tensor{p + "ffn_down.bias", []uint64{e}, true})
	}
	hidden := func() (uint64, error) {
		h, ok := f.Tensor("mm.a.mlp.1.weight")
		if !ok || len(h.Shape) != 2 {
			return 0, fail("tensor mm.a.mlp.1.weight is missing or not a matrix; a %s projector needs it", typ)
		}
		return h.Shape[1], nil
	}
	switch typ {
	case "ultravox":
		hid, err := hidden()
		if err != nil {
			return err
		}
		if hid%2 != 0 {
			return fail("tensor mm.a.mlp.1.weight makes %d values, which SwiGLU cannot halve", hid)
		}
		want = append(want, tensor{"mm.a.norm_pre.weight", []uint64{e * stack}, false}, tensor{"mm.a.mlp.1.weight", []uint64{e * stack, hid}, false},
			tensor{"mm.a.norm_mid.weight", []uint64{hid / 2}, false}, tensor{"mm.a.mlp.2.weight", []uint64{hid / 2, out}, false})
	case "voxtral":
		hid, err := hidden()
		if err != nil {
			return err
		}
		want = append(want, tensor{"mm.a.mlp.1.weight", []uint64{e * stack, hid}, false}, tensor{"mm.a.mlp.2.weight", []uint64{hid, out}, false})
	case "qwen2a":
		want = append(want, tensor{"mm.a.fc.weight", []uint64{e, out}, false}, tensor{"mm.a.fc.bias", []uint64{out}, false})
	}
	for _, w := range want {
		t, ok := f.Tensor(w.name)
		if !ok && !w.optional {
			return fail("tensor %s is missing; a %s projector needs it", w.name, typ)
		}
		if ok && !slices.Equal(t.Shape, w.shape) {
			return fail("tensor %s has shape %v; want %v", w.name, t.Shape, w.shape)
		}
	}
	for _, n := range []string{"a.conv1d.1.weight", "a.conv1d.2.weight"} {
		// ggml's conv_1d multiplies by the kernel as it is; only float kernels can be.
		if t, _ := f.Tensor(n); t.Type != TypeF16 && t.Type != TypeF32 {
			return fail("tensor %s has type %s; want F16 or F32", n, t.Type)
		}
	}
	pos, ok := f.Tensor("a.position_embd.weight")
	if !ok || len(pos.Shape) != 2 || pos.Shape[0] != e || pos.Shape[1] < whisperMelFrames/2 {
		return fail("tensor a.position_embd.weight is missing or not [%d, ≥%d] (one row per encoder position)", e, whisperMelFrames/2)
	}
	return nil
}

func isFloat32(v any) bool { _, ok := v.(float32); return ok }

// stacksFrames is clip_model::audio_has_stack_frames.
func stacksFrames(typ string) bool { return typ == "ultravox" || typ == "voxtral" }

// avgPool is 2 where clip_model::audio_has_avgpool, else 1.
func avgPool(typ string) int {
	if typ == "qwen2a" || typ == "voxtral" {
		return 2
	}
	return 1
}

// mtmdAudioRows is how many embeddings one 3000-frame chunk becomes: got as the graph makes them
// (whisper-enc.cpp: a stride-2 convolution, the average pool, then build_stack zero-pads the rows to a
// multiple of the stack), want as clip_n_output_tokens counts them (the frames rounded up to the stack,
// divided by it, then halved and pooled with integer division). clip_image_batch_encode aborts when the two
// differ.
func mtmdAudioRows(typ string, stack uint64) (got, want int) {
	s := int(max(stack, 1))
	rows := whisperMelFrames / 2 / avgPool(typ)
	got, want = rows, whisperMelFrames
	if stacksFrames(typ) {
		got = (rows + s - 1) / s
		want = (whisperMelFrames + s - 1) / s // CLIP_ALIGN(n_patches, s) / s
	}
	return got, want / 2 / avgPool(typ)
}
