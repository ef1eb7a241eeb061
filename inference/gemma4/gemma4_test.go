package gemma4

import (
	"context"
	"errors"
	"log/slog"
	"math"
	"math/rand"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/ollama/ollama/ml"
	"github.com/ollama/ollama/model"
	"github.com/ollama/ollama/model/input"

	"github.com/verbatim-app/verbatim/app/speech"
	"github.com/verbatim-app/verbatim/inference/audioproj"
	"github.com/verbatim-app/verbatim/inference/gguf"
	"github.com/verbatim-app/verbatim/inference/testmodel"
	tg4 "github.com/verbatim-app/verbatim/inference/testmodel/gemma4"
	"github.com/verbatim-app/verbatim/tools/testenv"
)

func instruction(target string) string {
	if target == "" {
		return "transcribe."
	}
	return "translate to " + target + "."
}

// tiny writes docs/GEMMA4.md §6's tiny model and loads it.
func tiny(t *testing.T, maxTokens int) (*tg4.Model, *Model) {
	t.Helper()
	return tinyOf(t, tg4.DefaultSpec(), maxTokens)
}

func tinyOf(t *testing.T, spec tg4.Spec, maxTokens int) (*tg4.Model, *Model) {
	t.Helper()
	ref := tg4.New(spec)
	mp, pp, err := ref.Files(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	m, err := Load(context.Background(), Config{ModelPath: mp, ProjectorPath: pp, Threads: 1, MaxTokens: maxTokens, Instruction: instruction})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(m.Close)
	return ref, m
}

// noise is n samples of deterministic noise, loud enough that the projected frames differ.
func noise(n int, seed int64) []float32 {
	rng := rand.New(rand.NewSource(seed))
	s := make([]float32, n)
	for i := range s {
		s[i] = float32(rng.NormFloat64() * 0.3)
	}
	return s
}

func frames(p *audioproj.Raw, samples []float32) [][]float32 {
	st := p.NewStream()
	return append(st.Push(samples), st.Flush()...)
}

// closeTo reports whether a and b agree within tol·max|a|.
func closeTo(a, b []float32, tol float64) (bool, float64) {
	var scale, diff float64
	for i := range a {
		scale = math.Max(scale, math.Abs(float64(a[i])))
		diff = math.Max(diff, math.Abs(float64(a[i]-b[i])))
	}
	return diff <= tol*scale, diff / scale
}

// The engine, fed in uneven chunks through the speech port, produces the same greedy tokens as the
// reference forward pass in plain Go (testmodel/gemma4), which does not use ollama's engine: for the 12B-style
// decoder and for the E2B/E4B-style one with per-layer inputs and KV-shared layers.
func TestGreedyMatchesReference(t *testing.T) {
	for name, spec := range map[string]tg4.Spec{"12B-style": tg4.DefaultSpec(), "E-style": tg4.ESpec()} {
		t.Run(name, func(t *testing.T) { greedyMatchesReference(t, spec) })
	}
}

func greedyMatchesReference(t *testing.T, spec tg4.Spec) {
	const maxTokens = 16
	ref, m := tinyOf(t, spec, maxTokens)
	samples := noise(9000, 7) // 14 frames, the last one padded
	var before, after []int32
	if err := m.do(context.Background(), func(c *core) (err error) {
		before, after, err = c.prompt(instruction, "")
		return err
	}); err != nil {
		t.Fatal(err)
	}
	if want := []int32{tg4.BOS, tg4.TurnBegin}; !slices.Equal(before[:2], want) || before[len(before)-1] != tg4.AudioBegin {
		t.Fatalf("prompt before the audio is %v; want <bos><|turn> … <|audio>", before)
	}
	rows := tg4.Tokens(ints(before))
	rows = append(rows, tg4.Audio(frames(ref.Projector(), samples))...)
	rows = append(rows, tg4.Tokens(ints(after))...)
	want, margins := ref.Greedy(rows, maxTokens)
	for i, mg := range margins {
		if mg < 1e-3 {
			t.Fatalf("reference token %d is a near tie (margin %g): pick another seed", i, mg)
		}
	}
	var wantText strings.Builder
	for _, tok := range want {
		wantText.WriteString(ref.Piece(tok))
	}

	// Every row's logits, audio rows included, follow the reference, not only the greedy choices.
	_, refLogits := ref.Forward(rows)
	if err := m.do(context.Background(), func(c *core) error {
		in := append(append(tokenRows(before), audioRows(frames(ref.Projector(), samples))...), tokenRows(after)...)
		all := make([]int, len(in))
		for i := range all {
			all[i] = i
		}
		_, logits, err := c.run(in, 0, all)
		for i := range logits {
			if ok, rel := closeTo(refLogits[i][firstPlain:], logits[i][firstPlain:], 1e-3); !ok {
				t.Errorf("row %d: logits differ from the reference by %g of their scale", i, rel)
			}
		}
		return err
	}); err != nil {
		t.Fatal(err)
	}

	u, err := m.StartUtterance(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	for _, chunk := range [][2]int{{0, 100}, {100, 3000}, {3000, 3001}, {3001, 9000}} {
		if err := u.Feed(context.Background(), samples[chunk[0]:chunk[1]]); err != nil {
			t.Fatal(err)
		}
	}
	var streamed strings.Builder
	res, err := u.Finish(context.Background(), nil, func(_, piece string) { streamed.WriteString(piece) })
	if err != nil {
		t.Fatal(err)
	}
	got := res[""]
	if got.Text != strings.TrimSpace(wantText.String()) || got.Tokens != len(want) {
		t.Fatalf("engine said %q (%d tokens); reference %q (%d tokens %v)", got.Text, got.Tokens, wantText.String(), len(want), want)
	}
	if strings.TrimSpace(streamed.String()) != got.Text {
		t.Fatalf("streamed %q but finished with %q", streamed.String(), got.Text)
	}
	if got.Text == "" {
		t.Fatal("the synthetic model said nothing; the comparison proves nothing")
	}
}

// firstPlain skips the suppressed control tokens, whose reference logits are -Inf.
const firstPlain = tg4.ImageEnd + 1

func ints(t []int32) []int {
	out := make([]int, len(t))
	for i, v := range t {
		out[i] = int(v)
	}
	return out
}

// docs/GEMMA4.md §3: a frame never sees a later one. (a) One forward over prefix+24 frames; (b) the hidden
// state of frame t-1 is the same when the frames after it were never there; (c) chunks of 1, 7 and 24
// frames give the same final logits; (d) ollama's own Model.Forward with batch.Multimodal fails (b), so
// the test catches bidirectional attention.
func TestAudioIsCausal(t *testing.T) {
	ref, m := tiny(t, 4)
	F := frames(ref.Projector(), noise(24*audioproj.FrameSamples, 3))
	prefix := []int32{tg4.BOS, tg4.TurnBegin, tg4.AudioBegin}
	p := len(prefix)
	all := func(n int) []int {
		out := make([]int, n)
		for i := range out {
			out[i] = i
		}
		return out
	}
	const tol = 1e-5
	err := m.do(context.Background(), func(c *core) error {
		rows := append(tokenRows(prefix), audioRows(F)...)
		if err := c.rollback(0); err != nil {
			return err
		}
		full, fullLogits, err := c.run(rows, 0, all(len(rows)))
		if err != nil {
			return err
		}
		for _, n := range []int{1, 5, 12, 24} {
			if err := c.rollback(0); err != nil {
				return err
			}
			h, _, err := c.run(rows[:p+n], 0, []int{p + n - 1})
			if err != nil {
				return err
			}
			if ok, rel := closeTo(full[p+n-1], h[0], tol); !ok {
				t.Errorf("frame %d sees later frames: hidden state differs by %g of its scale", n-1, rel)
			}
		}
		for _, chunk := range []int{1, 7, 24} {
			if err := c.rollback(0); err != nil {
				return err
			}
			if _, _, err := c.run(tokenRows(prefix), 0, nil); err != nil {
				return err
			}
			var last []float32
			for at := 0; at < len(F); at += chunk {
				end := min(at+chunk, len(F))
				_, l, err := c.run(audioRows(F[at:end]), p+at, []int{end - at - 1})
				if err != nil {
					return err
				}
				last = l[0]
			}
			// One row at a time takes ggml's matrix-vector path, which rounds differently: 1e-3, not 1e-5.
			if ok, rel := closeTo(fullLogits[len(rows)-1], last, 1e-3); !ok {
				t.Errorf("chunks of %d frames change the final logits by %g of their scale", chunk, rel)
			}
		}

		// (d) The same checks through ollama's path: the audio is one multimodal input, its rows excepted
		// from the causal mask (model_text.go:174-203).
		oc := c.m.Config().Cache
		oc.Init(c.m.Backend(), ml.DTypeF16, 1, c.nCtx, c.batch)
		defer oc.Close()
		ollamaLogits := func(n int) ([][]float32, error) {
			if err := oc.Remove(0, 0, math.MaxInt32); err != nil {
				return nil, err
			}
			ctx := c.m.Backend().NewContext()
			defer ctx.Close()
			toks := append(slices.Clone(prefix), make([]int32, n)...)
			b := input.Batch{Positions: make([]int32, len(toks)), Sequences: make([]int, len(toks))}
			outs := make([]int32, len(toks))
			for i := range toks {
				b.Positions[i], outs[i] = int32(i), int32(i)
			}
			var flat []float32
			for _, f := range F[:n] {
				flat = append(flat, f...)
			}
			b.Inputs = ctx.Input().FromInts(toks, len(toks))
			b.Outputs = ctx.Input().FromInts(outs, len(outs))
			b.Multimodal = []input.MultimodalIndex{{Index: p, Multimodal: []input.Multimodal{{Tensor: ctx.Input().FromFloats(flat, c.layout.width, n)}}}}
			l, err := model.Forward(ctx, c.m, b)
			if err != nil {
				return nil, err
			}
			ctx.Compute(l)
			return split(l.Floats(), len(toks)), nil
		}
		whole, err := ollamaLogits(24)
		if err != nil {
			return err
		}
		cut, err := ollamaLogits(1)
		if err != nil {
			return err
		}
		if ok, rel := closeTo(whole[p], cut[p], 1e-3); ok {
			t.Errorf("negative control: through ollama's Model.Forward frame 0 should see the 23 frames after it, but its logits differ by only %g", rel)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}

// Peek rolls back what it generated: finishing afterwards gives what finishing alone gives, and a second
// target continues the same audio.
func TestPeekAndTargetsRollBack(t *testing.T) {
	_, m := tiny(t, 8)
	samples := noise(6400, 11)
	hear := func(peek bool) map[string]speech.Result {
		u, err := m.StartUtterance(context.Background())
		if err != nil {
			t.Fatal(err)
		}
		if err := u.Feed(context.Background(), samples[:3200]); err != nil {
			t.Fatal(err)
		}
		if peek {
			if _, err := u.(speech.Peeker).Peek(context.Background(), "", 5); err != nil {
				t.Fatal(err)
			}
		}
		if err := u.Feed(context.Background(), samples[3200:]); err != nil {
			t.Fatal(err)
		}
		res, err := u.Finish(context.Background(), []string{"", "es"}, nil)
		if err != nil {
			t.Fatal(err)
		}
		return res
	}
	plain, peeked := hear(false), hear(true)
	if plain[""].Text != peeked[""].Text || plain["es"].Text != peeked["es"].Text {
		t.Fatalf("peeking changed the result: %+v vs %+v", plain, peeked)
	}
	if plain[""].Text == "" {
		t.Fatal("nothing was said; the comparison proves nothing")
	}
	only, err := speech.Hear(context.Background(), m, samples, []string{"es"}, nil)
	if err != nil {
		t.Fatal(err)
	}
	if only["es"].Text != plain["es"].Text {
		t.Fatalf("translation after a transcript %q differs from the translation alone %q", plain["es"].Text, only["es"].Text)
	}
}

// Cancelling stops decoding between steps: one token a step plainly, at most the drafts of the step it came
// in while drafting; the model stays usable.
func TestCancelStopsBetweenSteps(t *testing.T) {
	ref, m := tiny(t, 1000)
	path, _ := writeHead(t, ref, nil, tg4.MTPEdit{})
	dm, closeAll, err := m.WithMTPHead(context.Background(), path)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(closeAll)
	for _, tc := range []struct {
		name    string
		m       speech.Model
		overrun int // pieces that may follow the one that cancels
	}{{"plain", m, 1}, {"drafting", dm, mtpMaxDraft}} {
		t.Run(tc.name, func(t *testing.T) {
			u, err := tc.m.StartUtterance(context.Background())
			if err != nil {
				t.Fatal(err)
			}
			if err := u.Feed(context.Background(), noise(3200, 5)); err != nil {
				t.Fatal(err)
			}
			ctx, cancel := context.WithCancel(context.Background())
			pieces := 0
			_, err = u.Finish(ctx, nil, func(string, string) {
				if pieces++; pieces == 3 {
					cancel()
				}
			})
			if !errors.Is(err, context.Canceled) {
				t.Fatalf("Finish after cancel returned %v; want context.Canceled", err)
			}
			if pieces > 3+tc.overrun {
				t.Fatalf("%d pieces after cancelling at the 3rd", pieces)
			}
			if _, err := speech.Hear(context.Background(), tc.m, noise(1600, 6), nil, nil); err != nil {
				t.Fatal(err)
			}
		})
	}
}

// A file that would crash ggml (a nil tensor while building the graph, a mis-typed key read as 0) is
// refused before ollama sees it, naming what is wrong.
func TestBadFilesAreRefused(t *testing.T) {
	ref := tg4.New(tg4.DefaultSpec())
	dir := t.TempDir()
	_, proj, err := ref.Files(dir)
	if err != nil {
		t.Fatal(err)
	}
	omit := func(name string) tg4.Edit {
		return tg4.Edit{Tensor: func(n string, s []uint64) []uint64 {
			if n == name {
				return nil
			}
			return s
		}}
	}
	for _, tc := range []struct {
		name string
		edit tg4.Edit
		want string
	}{
		{"missing K", omit("blk.2.attn_k.weight"), "blk.2.attn_k.weight is missing"},
		{"missing norm", omit("blk.5.post_ffw_norm.weight"), "blk.5.post_ffw_norm.weight is missing"},
		{"missing embeddings", omit("token_embd.weight"), "token_embd.weight is missing"},
		{"transposed FFN", tg4.Edit{Tensor: func(n string, s []uint64) []uint64 {
			if n == "blk.1.ffn_down.weight" {
				return []uint64{s[1], s[0]}
			}
			return s
		}}, "blk.1.ffn_down.weight has shape [64 128]; want [128 64]"},
		{"uint64-free key of the wrong type", tg4.Edit{Keys: func(w *gguf.Writer) { w.SetInt32("gemma4.block_count", 6) }}, "gemma4.block_count must be a non-zero uint32"},
		{"pattern of the wrong length", tg4.Edit{Keys: func(w *gguf.Writer) { w.SetBools("gemma4.attention.sliding_window_pattern", []bool{true}) }}, "array of 6 bools"},
		{"KV heads that do not divide", tg4.Edit{Keys: func(w *gguf.Writer) { w.SetUint32("gemma4.attention.head_count_kv", 3) }}, "which must divide"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			path := filepath.Join(dir, strings.ReplaceAll(tc.name, " ", "_")+".gguf")
			if err := ref.WriteEdited(path, tc.edit); err != nil {
				t.Fatal(err)
			}
			_, err := Load(context.Background(), Config{ModelPath: path, ProjectorPath: proj, Instruction: instruction})
			if err == nil || !strings.Contains(err.Error(), tc.want) || !strings.Contains(err.Error(), path) {
				t.Fatalf("Load gave %v; want an error naming %s and %q", err, path, tc.want)
			}
		})
	}
}

func TestEngineRunsOnlyGemma4(t *testing.T) {
	for arch, want := range map[string]bool{"gemma4": true, "gemma3": false, "llama": false, "": false} {
		if got := (Engine{}).Runs(arch); got != want {
			t.Errorf("Runs(%q) = %v; want %v", arch, got, want)
		}
	}
}

// llama.cpp masks tokenizer.ggml.suppress_tokens (<audio|>, <image|>) before choosing; so does argmax.
func TestArgmaxSkipsSuppressed(t *testing.T) {
	for _, tc := range []struct {
		suppress []int32
		logits   []float32
		want     int32
	}{
		{nil, []float32{0, 3, 1}, 1},
		{[]int32{1}, []float32{0, 3, 1}, 2},
		{[]int32{1, 2}, []float32{0, 3, 1}, 0},
	} {
		c := &core{suppress: tc.suppress}
		if got := c.argmax(slices.Clone(tc.logits)); got != tc.want {
			t.Errorf("argmax(%v) suppressing %v = %d; want %d", tc.logits, tc.suppress, got, tc.want)
		}
	}
}

// A character split across tokens (<0xC3><0xA9> is é) is held until it is whole.
func TestValidPrefixHoldsSplitCharacters(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want int
	}{
		{"abc", 3}, {"a\xc3", 1}, {"a\xc3\xa9", 3}, {"\xe2\x82", 0}, {"\xe2\x82\xac", 3}, {"a\xff", 2},
	} {
		if got := validPrefix([]byte(tc.in)); got != tc.want {
			t.Errorf("validPrefix(%q) = %d; want %d", tc.in, got, tc.want)
		}
	}
}

// A GPU that cannot take the model (ggml panics with ErrNoMem, or the load fails) is one warning and a
// load on the CPU.
func TestGPUFailureFallsBackToCPU(t *testing.T) {
	ref := tg4.New(tg4.DefaultSpec())
	mp, pp, err := ref.Files(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	for _, failure := range []string{"error", "panic"} {
		t.Run(failure, func(t *testing.T) {
			var logs strings.Builder
			var onGPU []bool
			cfg := Config{ModelPath: mp, ProjectorPath: pp, GPULayers: 3, Threads: 1, Instruction: instruction,
				Logger: slog.New(slog.NewTextHandler(&logs, nil)),
				placeLayers: func(n, blocks int) ml.GPULayersList {
					return ml.GPULayersList{{DeviceID: ml.DeviceID{ID: "0", Library: "CUDA"}, Layers: []int{blocks - 1, blocks}}}
				},
				newModel: func(path string, p ml.BackendParams) (model.Model, error) {
					onGPU = append(onGPU, p.GPULayers != nil)
					if p.GPULayers == nil {
						return model.New(path, p)
					}
					if failure == "panic" {
						panic(ml.ErrNoMem{})
					}
					return nil, errors.New("cudaMalloc failed: out of memory")
				}}
			m, err := Load(context.Background(), cfg)
			if err != nil {
				t.Fatal(err)
			}
			defer m.Close()
			if !slices.Equal(onGPU, []bool{true, false}) || m.GPULayers != 0 {
				t.Fatalf("loads on the GPU: %v; %d layers offloaded", onGPU, m.GPULayers)
			}
			if n := strings.Count(logs.String(), "retrying on the CPU"); n != 1 {
				t.Fatalf("%d warnings:\n%s", n, logs.String())
			}
			if _, err := speech.Hear(context.Background(), m, noise(1600, 2), nil, nil); err != nil {
				t.Fatal(err)
			}
		})
	}
}

// The engine hears through the projectors Verbatim computes in Go, gemma4ua and the demo's log-mel, when
// they fit the model; any other is refused before ggml sees it, with what is wrong.
func TestProjectorMustFitTheModel(t *testing.T) {
	ref := tg4.New(tg4.DefaultSpec())
	dir := t.TempDir()
	model, proj, err := ref.Files(dir)
	if err != nil {
		t.Fatal(err)
	}
	declared := filepath.Join(dir, "declares-logmel.gguf")
	if err := ref.WriteEdited(declared, tg4.Edit{Keys: func(w *gguf.Writer) { w.SetString(gguf.ProjectorTypeKey, gguf.ProjectorLogMel) }}); err != nil {
		t.Fatal(err)
	}
	ultravox := filepath.Join(dir, "mmproj-ultravox.gguf")
	if err := testmodel.NewUltravox(testmodel.DefaultUltravoxSpec(ref.Spec.Embd)).Write(ultravox); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name, model, projector, want string
	}{
		{"a log-mel projector of another width", model, testenv.Asset(t, "demo-logmel.mmproj.gguf"), "makes embeddings of width 192 but model"},
		{"another type than the model was trained with", declared, proj, "was trained with a verbatim_logmel projector"},
		{"a projector llama.cpp runs", model, ultravox, "is a ultravox projector; the Gemma 4 engine hears through"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			m, err := Load(context.Background(), Config{ModelPath: tc.model, ProjectorPath: tc.projector, Instruction: instruction})
			if err == nil {
				m.Close()
				t.Fatalf("loaded %s with %s", tc.model, tc.projector)
			}
			if !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("Load gave %v; want %q", err, tc.want)
			}
		})
	}
}
