package inference

import (
	"context"
	"errors"
	"math"
	"math/rand"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/verbatim-app/verbatim/app/speech"
	"github.com/verbatim-app/verbatim/inference/audioproj"
	"github.com/verbatim-app/verbatim/inference/gguf"
	"github.com/verbatim-app/verbatim/inference/testmodel"
)

type fixture struct {
	m         *testmodel.Model
	model     string
	projector string
	dir       string
}

func newFixture(t *testing.T, spec testmodel.Spec) fixture {
	t.Helper()
	dir := t.TempDir()
	m := testmodel.New(spec)
	model, proj, err := m.Files(dir)
	if err != nil {
		t.Fatal(err)
	}
	return fixture{m: m, model: model, projector: proj, dir: dir}
}

func load(t *testing.T, f fixture, withProjector bool) *Engine {
	t.Helper()
	cfg := Config{ModelPath: f.model, Threads: 2, ContextSize: 512, GPULayers: 0}
	if withProjector {
		cfg.ProjectorPath = f.projector
	}
	e, err := Load(context.Background(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(e.Close)
	return e
}

func TestRawContextMatchesLlamaPackageLayout(t *testing.T) {
	e := load(t, newFixture(t, testmodel.DefaultSpec()), false)
	var got int
	if err := e.do(context.Background(), func(c *core) error { got = contextSize(c.lctx); return nil }); err != nil {
		t.Fatal(err)
	}
	if got != 512 {
		t.Fatalf("llama_n_ctx through the raw pointer = %d, want 512: llama.Context's layout changed", got)
	}
}

// checkAgainstReference compares llama.cpp's greedy tokens with the Go forward pass, step by step while
// the reference's choice is clear (a near tie may legitimately flip under f16 KV cache rounding).
func checkAgainstReference(t *testing.T, got []int, want []int, margins []float32) {
	t.Helper()
	clear := 0
	for i := range want {
		if margins[i] < 0.05 {
			break
		}
		clear++
		if i >= len(got) || got[i] != want[i] {
			t.Fatalf("token %d: llama.cpp chose %v, reference chose %v (all: got %v want %v)", i, at(got, i), want[i], got, want)
		}
	}
	if clear < 4 {
		t.Fatalf("only %d clear reference steps; pick another seed so the test can tell models apart", clear)
	}
}

func at(s []int, i int) any {
	if i < len(s) {
		return s[i]
	}
	return "nothing"
}

func TestGreedyTextMatchesReference(t *testing.T) {
	f := newFixture(t, testmodel.DefaultSpec())
	e := load(t, f, false)
	ctx := context.Background()
	toks, err := e.Tokenize(ctx, " hello world", false)
	if err != nil {
		t.Fatal(err)
	}
	if len(toks) != 2 {
		t.Fatalf("tokenize(\" hello world\") = %v, want the two word tokens", toks)
	}
	res, err := e.Generate(ctx, " hello world", true, Options{MaxTokens: 12}, nil)
	if err != nil {
		t.Fatal(err)
	}
	inputs := [][]float32{f.m.TokenEmbedding(testmodel.BOS)}
	for _, tk := range toks {
		inputs = append(inputs, f.m.TokenEmbedding(tk))
	}
	want, margins := f.m.Greedy(inputs, 12)
	checkAgainstReference(t, res.Tokens, trimEOS(want), margins)
	again, err := e.Generate(ctx, " hello world", true, Options{MaxTokens: 12}, nil)
	if err != nil || again.Text != res.Text {
		t.Fatalf("greedy decoding is not deterministic: %q then %q (%v)", res.Text, again.Text, err)
	}
	text, _ := e.Detokenize(ctx, res.Tokens)
	if text != res.Text {
		t.Fatalf("streamed text %q differs from detokenized %q", res.Text, text)
	}
}

// A model stored as Q8_0 or F16 (the benchmarks' large models) decodes as the reference forward pass
// over the same stored weights says.
func TestQuantisedModelsMatchReference(t *testing.T) {
	for _, typ := range []gguf.TensorType{gguf.TypeF16, gguf.TypeQ8_0} {
		t.Run(typ.String(), func(t *testing.T) {
			spec := testmodel.DefaultSpec()
			spec.Matrices = typ
			f := newFixture(t, spec)
			e := load(t, f, false)
			if got := e.Model.Quantization; got != typ.String() {
				t.Errorf("the file's matrices are %s, want %s", got, typ)
			}
			res, err := e.Generate(context.Background(), " hello world", true, Options{MaxTokens: 12}, nil)
			if err != nil {
				t.Fatal(err)
			}
			toks, _ := e.Tokenize(context.Background(), " hello world", false)
			inputs := [][]float32{f.m.TokenEmbedding(testmodel.BOS)}
			for _, tk := range toks {
				inputs = append(inputs, f.m.TokenEmbedding(tk))
			}
			want, margins := f.m.Greedy(inputs, 12)
			checkAgainstReference(t, res.Tokens, trimEOS(want), margins)
		})
	}
}

func trimEOS(toks []int) []int {
	if n := len(toks); n > 0 && toks[n-1] == testmodel.EOS {
		return toks[:n-1]
	}
	return toks
}

// hearClip decodes audio as one utterance and returns each task's result (transcription when none).
func hearClip(t *testing.T, e *Engine, audio []float32, tasks []Task, opt Options) map[Task]Result {
	t.Helper()
	ctx := context.Background()
	u, err := e.StartUtterance(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if err := u.Feed(ctx, audio); err != nil {
		t.Fatal(err)
	}
	res, err := u.Finish(ctx, tasks, opt, nil)
	if err != nil {
		t.Fatal(err)
	}
	return res
}

func testAudio(seconds float64, seed int64) []float32 {
	rng := rand.New(rand.NewSource(seed))
	s := make([]float32, int(seconds*16000))
	for i := range s {
		s[i] = float32(0.3*math.Sin(float64(i)*0.05*(1+float64(i)/8000)) + 0.05*rng.NormFloat64())
	}
	return s
}

func TestAudioEmbeddingsMatchReference(t *testing.T) {
	f := newFixture(t, testmodel.DefaultSpec())
	e := load(t, f, true)
	ctx := context.Background()
	audio := testAudio(0.5, 3)
	run := func(chunk int) Result {
		u, err := e.StartUtterance(ctx)
		if err != nil {
			t.Fatal(err)
		}
		for i := 0; i < len(audio); i += chunk {
			if err := u.Feed(ctx, audio[i:min(i+chunk, len(audio))]); err != nil {
				t.Fatal(err)
			}
		}
		res, err := u.Finish(ctx, nil, Options{MaxTokens: 10}, nil)
		if err != nil {
			t.Fatal(err)
		}
		return res[Transcribe]
	}
	whole, streamed := run(len(audio)), run(333)
	if whole.Text != streamed.Text {
		t.Fatalf("streamed audio gave %q, whole clip gave %q", streamed.Text, whole.Text)
	}
	proj := audioproj.NewRaw(f.m.RawProjector(), f.m.Spec.Embd)
	s := proj.NewStream()
	frames := append(s.Push(audio), s.Flush()...)
	if want := (len(audio) + 639) / 640; len(frames) != want {
		t.Fatalf("%d frames, want %d", len(frames), want)
	}
	inputs := [][]float32{f.m.TokenEmbedding(testmodel.BOS), f.m.TokenEmbedding(testmodel.AudioBegin)}
	inputs = append(inputs, frames...)
	inputs = append(inputs, f.m.TokenEmbedding(testmodel.AudioEnd), f.m.TokenEmbedding(testmodel.TaskTranscribe))
	want, margins := f.m.Greedy(inputs, 10)
	checkAgainstReference(t, whole.Tokens, trimEOS(want), margins)
	if whole.PromptTokens != len(inputs) {
		t.Fatalf("prompt had %d positions, want %d", whole.PromptTokens, len(inputs))
	}
}

func TestCancelStopsGeneration(t *testing.T) {
	e := load(t, newFixture(t, testmodel.DefaultSpec()), false)
	ctx, cancel := context.WithCancel(context.Background())
	n := 0
	start := time.Now()
	_, err := e.Generate(ctx, " the", true, Options{MaxTokens: 400}, func(string) {
		n++
		if n == 3 {
			cancel()
		}
	})
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("err = %v, want context.Canceled", err)
	}
	if n > 4 {
		t.Fatalf("%d pieces emitted after cancelling at the third", n)
	}
	// A cancelled caller waiting for the owner goroutine returns too.
	if _, err := e.Generate(ctx, " the", true, Options{}, nil); !errors.Is(err, context.Canceled) {
		t.Fatalf("generate with a cancelled context: %v", err)
	}
	if time.Since(start) > 10*time.Second {
		t.Fatal("cancellation took too long")
	}
}

func TestSpeculativeDecodingIsExact(t *testing.T) {
	spec := testmodel.DefaultSpec()
	f := newFixture(t, spec)
	e := load(t, f, true)
	ctx := context.Background()
	prompt := " please bring the red box to the kitchen at five please bring the red box"
	plain, err := e.Generate(ctx, prompt, true, Options{MaxTokens: 40}, nil)
	if err != nil {
		t.Fatal(err)
	}
	look, err := e.Generate(ctx, prompt, true, Options{MaxTokens: 40, Draft: speech.DraftLookup}, nil)
	if err != nil {
		t.Fatal(err)
	}
	if look.Text != plain.Text {
		t.Fatalf("lookup drafting changed the output: %q vs %q", look.Text, plain.Text)
	}
	// A drafter with the same vocabulary but other weights: proposals are often wrong, output must not change.
	dspec := spec
	dspec.Seed, dspec.Embd, dspec.Layers = 7, 32, 1
	d := testmodel.New(dspec)
	dm := filepath.Join(f.dir, "draft.gguf")
	dp := filepath.Join(f.dir, "draft.mmproj.gguf")
	if err := d.WriteModel(dm); err != nil {
		t.Fatal(err)
	}
	if err := d.WriteRawProjector(dp); err != nil {
		t.Fatal(err)
	}
	if err := e.LoadDrafter(ctx, dm, dp); err != nil {
		t.Fatal(err)
	}
	drafted, err := e.Generate(ctx, prompt, true, Options{MaxTokens: 40, Draft: speech.DraftModel}, nil)
	if err != nil {
		t.Fatal(err)
	}
	if drafted.Text != plain.Text || drafted.Drafted == 0 {
		t.Fatalf("draft model: %q (%d drafted) vs plain %q", drafted.Text, drafted.Drafted, plain.Text)
	}
	// The same through audio: the drafter hears the clip through its own projector.
	audio := testAudio(0.4, 9)
	var outs []string
	for _, mode := range []speech.DraftMode{speech.DraftOff, speech.DraftModel, speech.DraftLookup} {
		outs = append(outs, hearClip(t, e, audio, nil, Options{MaxTokens: 20, Draft: mode})[Transcribe].Text)
	}
	if outs[0] != outs[1] || outs[0] != outs[2] {
		t.Fatalf("audio outputs differ by draft mode: %q", outs)
	}
	// A drafter whose vocabulary differs is refused with a reason.
	other := dspec
	other.Words = []string{" other"}
	bad := filepath.Join(f.dir, "bad-draft.gguf")
	if err := testmodel.New(other).WriteModel(bad); err != nil {
		t.Fatal(err)
	}
	if err := e.LoadDrafter(ctx, bad, ""); err == nil {
		t.Fatal("a drafter with another vocabulary was accepted")
	}
}

func TestLoadRejectsBadFiles(t *testing.T) {
	f := newFixture(t, testmodel.DefaultSpec())
	good, err := os.ReadFile(f.model)
	if err != nil {
		t.Fatal(err)
	}
	write := func(name string, b []byte) string {
		p := filepath.Join(f.dir, name)
		if err := os.WriteFile(p, b, 0o644); err != nil {
			t.Fatal(err)
		}
		return p
	}
	random := make([]byte, 4096)
	rand.New(rand.NewSource(1)).Read(random)
	cases := map[string]Config{
		"truncated":          {ModelPath: write("trunc.gguf", good[:len(good)/2])},
		"random bytes":       {ModelPath: write("random.gguf", random)},
		"missing":            {ModelPath: filepath.Join(f.dir, "nope.gguf")},
		"projector as model": {ModelPath: f.projector},
		"model as projector": {ModelPath: f.model, ProjectorPath: f.model},
		"folder":             {ModelPath: f.dir},
	}
	for name, cfg := range cases {
		t.Run(name, func(t *testing.T) {
			if _, err := Load(context.Background(), cfg); err == nil {
				t.Fatal("loaded a bad file")
			}
		})
	}
}

func TestTasksFollowModelMetadata(t *testing.T) {
	e := load(t, newFixture(t, testmodel.DefaultSpec()), true)
	ctx := context.Background()
	u, err := e.StartUtterance(ctx)
	if err != nil {
		t.Fatal(err)
	}
	_ = u.Feed(ctx, testAudio(0.2, 1))
	if _, err := u.Finish(ctx, []Task{{Translate: "de"}}, Options{MaxTokens: 4}, nil); err == nil {
		t.Fatal("the synthetic model only transcribes, yet translating was accepted")
	}
	// An utterance superseded by other work says so instead of mixing contexts.
	u1, _ := e.StartUtterance(ctx)
	if _, err := e.StartUtterance(ctx); err != nil {
		t.Fatal(err)
	}
	if err := u1.Feed(ctx, testAudio(0.1, 2)); !errors.Is(err, ErrStale) {
		t.Fatalf("stale utterance: %v", err)
	}
}

func TestNoProjectorCannotHear(t *testing.T) {
	e := load(t, newFixture(t, testmodel.DefaultSpec()), false)
	if _, err := e.StartUtterance(context.Background()); !errors.Is(err, speech.ErrNoAudio) {
		t.Fatalf("err = %v, want speech.ErrNoAudio", err)
	}
}

func TestContextFull(t *testing.T) {
	f := newFixture(t, testmodel.DefaultSpec())
	e, err := Load(context.Background(), Config{ModelPath: f.model, ProjectorPath: f.projector, Threads: 2, ContextSize: 64})
	if err != nil {
		t.Fatal(err)
	}
	defer e.Close()
	u, _ := e.StartUtterance(context.Background())
	if err := u.Feed(context.Background(), testAudio(3, 1)); !errors.Is(err, ErrContextFull) {
		t.Fatalf("75 frames into a 64-token context: %v", err)
	}
}

func TestPeekLeavesTheUtteranceUntouched(t *testing.T) {
	f := newFixture(t, testmodel.DefaultSpec())
	e := load(t, f, true)
	ctx := context.Background()
	audio := testAudio(0.6, 5)
	finish := func(peek bool) string {
		u, err := e.StartUtterance(ctx)
		if err != nil {
			t.Fatal(err)
		}
		for i := 0; i < len(audio); i += 3200 {
			if err := u.Feed(ctx, audio[i:min(i+3200, len(audio))]); err != nil {
				t.Fatal(err)
			}
			if peek {
				if _, err := u.Peek(ctx, Transcribe, 5, nil); err != nil {
					t.Fatal(err)
				}
			}
		}
		res, err := u.Finish(ctx, nil, Options{MaxTokens: 10}, nil)
		if err != nil {
			t.Fatal(err)
		}
		return res[Transcribe].Text
	}
	if a, b := finish(false), finish(true); a != b {
		t.Fatalf("peeking changed the final text: %q vs %q", b, a)
	}
}
