package inference

import (
	"context"
	"math"
	"path/filepath"
	"strings"
	"testing"

	"github.com/verbatim-app/verbatim/capture/pcm"
	"github.com/verbatim-app/verbatim/inference/gguf"
	"github.com/verbatim-app/verbatim/inference/testmodel"
	"github.com/verbatim-app/verbatim/tools/testenv"
)

// The mtmd path (llama.cpp's own audio encoders: Ultravox's and Qwen2-Audio's) run for real on synthetic
// projectors, checked against testmodel's plain Go forward pass of the same encoders.

// ultravoxTolerance bounds each audio row's error relative to its size (‖mtmd−reference‖/‖reference‖).
// Measured on the fixture clip: 7e-4 at worst over Ultravox's 375 rows, 5e-4 over Qwen2-Audio's 750
// (float32 sums in another order, and the half-precision roundings that then differ); one layer's query
// bias moved by 0.01 gives 5e-3. The half-precision steps modelled are those of ggml's CPU backend: where a
// GPU backend loads (lib/ollama), mtmd runs the encoder there, with its own rounding.
const ultravoxTolerance = 2e-3

type ultravoxFixture struct {
	m                *testmodel.Model
	u                *testmodel.Ultravox
	dir              string
	model, projector string
}

// mtmdTypes are the synthetic projectors mtmd runs: Ultravox, and Qwen2-Audio (typ "qwen2a").
var mtmdTypes = []string{"ultravox", "qwen2a"}

func newUltravoxFixture(t *testing.T, typ string) ultravoxFixture {
	t.Helper()
	dir := t.TempDir()
	m := testmodel.New(testmodel.DefaultSpec())
	spec := testmodel.DefaultUltravoxSpec(m.Spec.Embd)
	spec.Type = typ
	u := testmodel.NewUltravox(spec)
	f := ultravoxFixture{m: m, u: u, dir: dir, model: filepath.Join(dir, "synthetic.gguf"), projector: filepath.Join(dir, "ultravox.mmproj.gguf")}
	if err := m.WriteModel(f.model); err != nil {
		t.Fatal(err)
	}
	if err := u.Write(f.projector); err != nil {
		t.Fatal(err)
	}
	return f
}

func (f ultravoxFixture) load(t *testing.T) *Engine {
	t.Helper()
	e, err := Load(context.Background(), Config{ModelPath: f.model, ProjectorPath: f.projector, Threads: 2, ContextSize: 1024})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(e.Close)
	return e
}

// speechClip is the first of the espeak-ng fixture clips, as the 16-bit WAV Verbatim hands mtmd carries it.
func speechClip(t *testing.T) []float32 {
	t.Helper()
	clips, err := testenv.FixtureClips()
	if err != nil {
		t.Fatal(err)
	}
	out := make([]float32, len(clips[0].Samples))
	for i, v := range clips[0].Samples {
		out[i] = float32(math.Round(math.Max(-32768, math.Min(32767, float64(v)*32768)))) / 32768
	}
	return out
}

// mtmdRows runs samples through the engine's mtmd context as decodeMtmd does and returns its audio rows.
func mtmdRows(t *testing.T, e *Engine, samples []float32) [][]float32 {
	t.Helper()
	wav, err := pcm.WAV(samples, pcm.Rate)
	if err != nil {
		t.Fatal(err)
	}
	var rows [][]float32
	err = e.do(context.Background(), func(c *core) error {
		chunks, err := c.mtmd.MultimodalTokenize(c.lctx, wav)
		for _, ch := range chunks {
			if ch.Embed != nil {
				rows = append(rows, ch.Embed)
			}
		}
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	return rows
}

// worstRowError is the largest ‖got−want‖/‖want‖ over the rows.
func worstRowError(t *testing.T, got, want [][]float32) float64 {
	t.Helper()
	if len(got) != len(want) {
		t.Fatalf("mtmd made %d audio rows, the reference %d", len(got), len(want))
	}
	worst := 0.0
	for i := range got {
		var d, n float64
		for j := range want[i] {
			d += math.Pow(float64(got[i][j]-want[i][j]), 2)
			n += math.Pow(float64(want[i][j]), 2)
		}
		worst = math.Max(worst, math.Sqrt(d/n))
	}
	return worst
}

func TestUltravoxEmbeddingsMatchReference(t *testing.T) {
	clip := speechClip(t)
	for _, typ := range mtmdTypes {
		t.Run(typ, func(t *testing.T) {
			f := newUltravoxFixture(t, typ)
			e := f.load(t)
			got := mtmdRows(t, e, clip)
			// A clip under 30 s is one 3000-frame chunk: 1500 encoder positions, stacked by 4 (ultravox) or
			// pooled in pairs (qwen2a).
			want := map[string]int{"ultravox": 1500 / f.u.Spec.Stack, "qwen2a": 750}[typ]
			if len(got) != want {
				t.Fatalf("mtmd made %d audio rows for a %.1f s clip, want %d", len(got), float64(len(clip))/pcm.Rate, want)
			}
			worst := worstRowError(t, got, f.u.Embeddings(clip))
			t.Logf("%d rows, worst relative error %.2g (tolerance %g)", len(got), worst, ultravoxTolerance)
			if worst > ultravoxTolerance {
				t.Fatalf("mtmd's audio embeddings differ from the reference by %.3g (relative), over %g", worst, ultravoxTolerance)
			}
			// The bound must be able to tell a changed weight: move one layer's query bias by 0.01.
			moved := testmodel.NewUltravox(f.u.Spec)
			for i := range moved.Blocks[1].QB {
				moved.Blocks[1].QB[i] += 0.01
			}
			if off := worstRowError(t, got, moved.Embeddings(clip)); off <= ultravoxTolerance {
				t.Fatalf("a reference with a moved query bias is within %g of mtmd (%.2g): the tolerance cannot tell weights apart", ultravoxTolerance, off)
			}
		})
	}
}

// Through the engine's own utterance path (decodeMtmd), the synthetic pair says what the reference text
// model says when fed the reference encoder's rows.
func TestUltravoxTranscribesLikeReference(t *testing.T) {
	ctx := context.Background()
	clip := speechClip(t)
	// The markers mtmd puts around the audio (mtmd.cpp init_audio); the synthetic model's task prompt follows.
	markers := map[string][2]string{"ultravox": {"[BEGIN_AUDIO]", ""}, "qwen2a": {"<|audio_bos|>", "<|audio_eos|>"}}
	for _, typ := range mtmdTypes {
		t.Run(typ, func(t *testing.T) {
			f := newUltravoxFixture(t, typ)
			e := f.load(t)
			res := hearClip(t, e, clip, nil, Options{MaxTokens: 10})[Transcribe]
			inputs := [][]float32{f.m.TokenEmbedding(testmodel.BOS)}
			text := func(s string) {
				toks, err := e.Tokenize(ctx, s, true)
				if err != nil {
					t.Fatal(err)
				}
				for _, tok := range toks {
					inputs = append(inputs, f.m.TokenEmbedding(tok))
				}
			}
			text(markers[typ][0])
			inputs = append(inputs, f.u.Embeddings(clip)...)
			text(markers[typ][1])
			inputs = append(inputs, f.m.TokenEmbedding(testmodel.TaskTranscribe))
			if res.PromptTokens != len(inputs) {
				t.Fatalf("the engine's prompt had %d positions, the reference's %d", res.PromptTokens, len(inputs))
			}
			want, margins := f.m.Greedy(inputs, 10)
			checkAgainstReference(t, res.Tokens, trimEOS(want), margins)
			if again := hearClip(t, e, clip, nil, Options{MaxTokens: 10})[Transcribe]; again.Text != res.Text {
				t.Fatalf("the same clip gave %q, then %q", res.Text, again.Text)
			}
		})
	}
}

// Projector files that mtmd would abort or crash on are refused in Go with the reason.
func TestMtmdProjectorRefusedBeforeLlamaCpp(t *testing.T) {
	f := newUltravoxFixture(t, "ultravox")
	altered := func(change func(w *gguf.Writer)) func() *gguf.Writer {
		return func() *gguf.Writer {
			w := f.u.GGUF()
			change(w)
			return w
		}
	}
	stack8 := f.u.Spec
	stack8.Stack = 8
	cases := []struct {
		name, want string
		file       func() *gguf.Writer
	}{
		// Ultravox v0.5's own stack factor, shapes and all: mtmd expects 187 rows per chunk, makes 188 and
		// aborts on the first audio.
		{"stack factor 8", "miscounts", testmodel.NewUltravox(stack8).GGUF},
		// Voxtral stacks 4 after pooling whisper's 1500 positions to 750: 188 rows where 187 are expected.
		{"voxtral stack factor 4", "miscounts", altered(func(w *gguf.Writer) { w.SetString("clip.projector_type", "voxtral") })},
		{"no heads", "head_count must be a non-zero uint32", altered(func(w *gguf.Writer) { w.SetUint32("clip.audio.attention.head_count", 0) })},
		{"heads do not divide the width", "not a multiple", altered(func(w *gguf.Writer) { w.SetUint32("clip.audio.attention.head_count", 3) })},
		{"key bias", "attn_k.bias is present", altered(func(w *gguf.Writer) {
			w.AddTensorF32("a.blk.0.attn_k.bias", []uint64{uint64(f.u.Spec.Embd)}, make([]float32, f.u.Spec.Embd))
		})},
		{"mel bins the convolution does not take", "a.conv1d.1.weight has shape", altered(func(w *gguf.Writer) { w.SetUint32("clip.audio.num_mel_bins", 80) })},
		{"more layers than tensors", "a.blk.2.", altered(func(w *gguf.Writer) { w.SetUint32("clip.audio.block_count", 3) })},
		{"wider stack than the projector", "mm.a.norm_pre.weight has shape", altered(func(w *gguf.Writer) { w.SetUint32("clip.audio.projector.stack_factor", 2) })},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			w := c.file()
			path := filepath.Join(f.dir, strings.ReplaceAll(c.name, " ", "-")+".mmproj.gguf")
			if err := w.WriteFile(path); err != nil {
				t.Fatal(err)
			}
			e, err := Load(context.Background(), Config{ModelPath: f.model, ProjectorPath: path, Threads: 2, ContextSize: 512})
			if err == nil {
				e.Close()
				t.Fatal("loaded")
			}
			if !strings.Contains(err.Error(), c.want) {
				t.Fatalf("error %q does not say %q", err, c.want)
			}
		})
	}
}
