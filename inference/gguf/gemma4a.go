package gguf

import (
	"fmt"
	"io"
	"regexp"
	"strings"
)

// ProjectorGemma4A is the E2B/E4B audio conformer as llama.cpp publishes it, in the mmproj beside the text
// GGUF (clip.audio.projector_type; upstream tools/mtmd/clip-impl.h). Ollama's engine runs the same conformer
// from its own single blob, under other names: Gemma4AConformer renames one into the other.
const ProjectorGemma4A = "gemma4a"

// Where llama.cpp's names for the conformer differ from ollama's. Sources: llama.cpp tools/mtmd/clip-impl.h
// (TN_A_*), clip.cpp's gemma4a loader and models/gemma4a.cpp (the role each tensor plays in the graph);
// ollama v0.24.0 convert/convert_gemma4.go Replacements and model/models/gemma4/model_audio.go (its tags).
// Both converters apply softplus to per_dim_scale, store the depthwise kernel as [K, C], keep the clamp
// scalars as <linear>.input_min/… of shape [1], and file the conv module's pre-norm as conv_norm and its
// post-norm as norm_conv, so every other name carries over unchanged.
var (
	gemma4aTopRenames = map[string]string{
		"a.input_projection": "a.pre_encode.out", // the subsampling's output projection
		"a.pre_encode.out":   "mm.a.fc",          // the conformer's output projection (HF output_proj)
	}
	gemma4aBlockRenames = map[string]string{
		"attn_pre_norm":  "ln1",            // norm_pre_attn
		"attn_post_norm": "ln2",            // norm_post_attn
		"ln2":            "layer_pre_norm", // norm_out, the block's output norm
		"attn_k_rel":     "linear_pos",     // relative_k_proj
	}
	// Tensors llama.cpp's graph applies that ollama's has no place for: running without them would hear
	// something else than the model was trained on, so such a file is refused by name.
	gemma4aUnsupported = regexp.MustCompile(`^(a\.blk\.\d+\.per_dim_k_scale\.weight|a\.conv1d\.\d+\.bias|a\.blk\.\d+\.conv_dw\.bias|mm\.a\.soft_emb_norm\.weight)$`)
	gemma4aBlock       = regexp.MustCompile(`^a\.blk\.(\d+)\.([a-z0-9_]+)\.(.+)$`)
)

// Gemma4AConformer renames the audio conformer of a llama.cpp gemma4a mmproj into the single-file layout
// ollama's engine loads (general.architecture gemma4, gemma4.audio.* keys, a.* and mm.a.* tensors under
// ollama's names), checked with Gemma4OwnAudio. The tensors' bytes are copied from src when the returned
// Writer writes; src may be nil to check only. Vision tensors are left out.
func (f *File) Gemma4AConformer(src io.ReaderAt) (*Writer, error) {
	fail := func(format string, a ...any) (*Writer, error) {
		return nil, &Error{f.Path, fmt.Sprintf(format, a...)}
	}
	w := NewWriter()
	w.SetString("general.architecture", "gemma4")
	w.SetString("general.name", f.String("general.name")+" (audio encoder, renamed for ollama's engine)")
	d, _ := f.Uint("clip.audio.projection_dim")
	w.SetUint32("gemma4.embedding_length", uint32(d))
	for _, k := range []string{"block_count", "embedding_length", "feed_forward_length", "attention.head_count", "num_mel_bins"} {
		n, ok := f.Uint("clip.audio." + k)
		if !ok || n == 0 || n > 1<<20 {
			return fail("clip.audio.%s is missing or out of range: not a complete Gemma 4 audio encoder", k)
		}
		w.SetUint32("gemma4.audio."+k, uint32(n))
		if k == "block_count" {
			// ollama's loader places a.blk.N.* with text layer N (ml/backend/ggml/ggml.go:336-349), so the
			// file needs that many layers, though it carries no text tensors.
			w.SetUint32("gemma4.block_count", uint32(n))
		}
	}
	if bins, _ := f.Uint("clip.audio.num_mel_bins"); bins != 128 {
		return fail("clip.audio.num_mel_bins is %d; Gemma 4's audio encoder (and ollama's mel front end) takes 128", bins)
	}
	// llama.cpp's converter writes 1e-5 here, but its gemma4a graph and ollama's both normalise with 1e-6,
	// as Hugging Face's model does; the key is not what the weights were trained with.
	w.SetFloat32("gemma4.audio.attention.layer_norm_epsilon", 1e-6)
	for _, t := range f.Tensors {
		if !strings.HasPrefix(t.Name, "a.") && !strings.HasPrefix(t.Name, "mm.a.") {
			continue
		}
		if gemma4aUnsupported.MatchString(t.Name) {
			return fail("tensor %s is part of this audio encoder, but ollama's Gemma 4 engine has no place for it; this mmproj cannot be run", t.Name)
		}
		name := t.Name
		if m := gemma4aBlock.FindStringSubmatch(name); m != nil {
			if r, ok := gemma4aBlockRenames[m[2]]; ok {
				name = "a.blk." + m[1] + "." + r + "." + m[3]
			}
		} else if base, suffix, ok := cutLast(name); ok {
			if r, ok := gemma4aTopRenames[base]; ok {
				name = r + "." + suffix
			}
		}
		if strings.HasSuffix(name, ".conv_dw.weight") && len(t.Shape) == 2 {
			w.SetUint32("gemma4.audio.conv_kernel_size", uint32(t.Shape[0]))
		}
		w.AddTensorFrom(name, t.Shape, t.Type, t.Size, src, f.DataOffset+int64(t.Offset))
	}
	if err := w.header(f.Path).Gemma4OwnAudio(nil); err != nil {
		return fail("%s", err.(*NoAudioError).Reason)
	}
	return w, nil
}

// cutLast splits "a.b.weight" into "a.b" and "weight".
func cutLast(name string) (base, suffix string, ok bool) {
	i := strings.LastIndexByte(name, '.')
	if i < 0 {
		return "", "", false
	}
	return name[:i], name[i+1:], true
}

func (f *File) checkGemma4AProjector(info Info) (Info, error) {
	if info.ProjectionDim == 0 {
		return info, &Error{f.Path, "clip.audio.projection_dim is missing"}
	}
	_, err := f.Gemma4AConformer(nil)
	return info, err
}
