package main

import (
	"context"
	"fmt"
	"log/slog"
	"math"
	"os"
	"slices"
	"time"
	"unsafe"

	"github.com/verbatim-app/verbatim/inference"
	"github.com/verbatim-app/verbatim/inference/audioproj"
	"github.com/verbatim-app/verbatim/inference/gguf"
	"github.com/verbatim-app/verbatim/inference/testmodel"
	"github.com/verbatim-app/verbatim/tools/nativebench"
	"github.com/verbatim-app/verbatim/tools/testenv"
)

// batchSize is the llama.cpp batch both loops decode with (inference's default).
const batchSize = 512

// benchNativeLarge runs the native comparison on a synthetic model whose steps cost what a real model's do:
// 24 layers of width 1024 (16 heads, SwiGLU 2816), about 310 M parameters in Q8_0, made at run time.
func benchNativeLarge(ctx context.Context, s settings, _ []clip, rep *report) error {
	spec := testmodel.DefaultSpec()
	spec.Embd, spec.Layers, spec.Heads, spec.FF, spec.Ctx, spec.Matrices, spec.Seed = 1024, 24, 16, 2816, 1024, gguf.TypeQ8_0, 5
	if s.quick {
		spec.Layers = 4
	}
	m := testmodel.New(spec)
	model, proj, err := m.Files(s.dir)
	if err != nil {
		return err
	}
	defer os.Remove(model)
	params := float64(spec.Layers*(4*spec.Embd*spec.Embd+3*spec.Embd*spec.FF)+2*len(m.Vocab)*spec.Embd) / 1e6
	m = nil // the weights are in the file; the Go copy is not needed any more
	// Speech-like input the random model cannot tell from speech: 5 s of a sweep with noise (125 frames).
	audio := make([]float32, 5*16000)
	for i := range audio {
		audio[i] = float32(0.3*math.Sin(float64(i)*0.05*(1+float64(i)/8000)) + 0.02*math.Sin(float64(i)*1.3))
	}
	pre, dec, detail, err := nativeRatios(ctx, s, model, proj, audio, 64)
	if err != nil {
		return err
	}
	rep.PrefillNativeRatio, rep.DecodeNativeRatio = f64(pre), f64(dec)
	rep.Details["native_synthetic"] = fmt.Sprintf("llama d=%d layers=%d ff=%d Q8_0 (%.0f M parameters), 5 s of audio (125 frames), 64 tokens; %s",
		spec.Embd, spec.Layers, spec.FF, params, detail)
	return nil
}

// benchNativeDemo runs the native comparison (llama.cpp's own loop against the engine's) on the
// llama.cpp-architecture demo model with a held-out clip.
func benchNativeDemo(ctx context.Context, s settings, clips []clip, rep *report) error {
	model, err := testenv.AssetPath(llamaDemo)
	if err != nil {
		return err
	}
	proj, err := testenv.AssetPath(llamaDemoProjector)
	if err != nil {
		return err
	}
	pre, dec, detail, err := nativeRatios(ctx, s, model, proj, clips[0].samples, 64)
	if err != nil {
		return err
	}
	rep.PrefillNativeRatioDemo, rep.DecodeNativeRatioDemo = f64(pre), f64(dec)
	rep.Details["native_demo"] = fmt.Sprintf("demo model, %.1f s clip, 64 tokens; %s", float64(len(clips[0].samples))/16000, detail)
	return nil
}

// nativeRatios hears audio through inference.Utterance (Feed with the whole clip, as batch transcription
// does, then Finish with drafting off and a fixed length) and through nativebench.Hear on the same
// context with the same tokens and embeddings, alternating which goes first. It returns the medians over
// rounds of native time / app time for the prefill (audio and task prompt) and the decode.
func nativeRatios(ctx context.Context, s settings, model, proj string, audio []float32, nGen int) (prefill, decode float64, detail string, err error) {
	e, err := inference.Load(ctx, inference.Config{ModelPath: model, ProjectorPath: proj, Threads: s.threads,
		ContextSize: 1024, BatchSize: batchSize, GPULayers: s.layers, Logger: slog.Default()})
	if err != nil {
		return 0, 0, "", err
	}
	defer e.Close()
	before, after, err := e.AudioPromptTokens(ctx, inference.Transcribe)
	if err != nil {
		return 0, 0, "", err
	}
	// The embeddings the utterance decodes, in the same two chunks: what Feed's Push gave, then Finish's Flush.
	p, err := audioproj.Load(proj)
	if err != nil {
		return 0, 0, "", err
	}
	st := p.NewStream()
	chunks := [][][]float32{st.Push(audio), st.Flush()}
	var pre, dec []float64
	var goTPS, cTPS []float64
	for r := 0; r < s.rounds; r++ {
		var app inference.Result
		var native []int
		var cPre, cDec time.Duration
		goRun := func() error {
			u, err := e.StartUtterance(ctx)
			if err != nil {
				return err
			}
			if err := u.Feed(ctx, audio); err != nil {
				return err
			}
			res, err := u.Finish(ctx, nil, inference.Options{MaxTokens: nGen, IgnoreEOG: true}, nil)
			app = res[inference.Transcribe]
			return err
		}
		cRun := func() error {
			return e.WithRawContext(ctx, func(ptr unsafe.Pointer) (err error) {
				native, cPre, cDec, err = nativebench.Hear(ptr, before, chunks, after, batchSize, nGen)
				return err
			})
		}
		first, second := goRun, cRun
		if r%2 == 1 { // neither always gets the warmer cache
			first, second = cRun, goRun
		}
		if err := first(); err != nil {
			return 0, 0, "", err
		}
		if err := second(); err != nil {
			return 0, 0, "", err
		}
		if !slices.Equal(native, app.Tokens) {
			return 0, 0, "", fmt.Errorf("the native loop chose other tokens than the app: %v vs %v", native, app.Tokens)
		}
		if want := len(before) + len(chunks[0]) + len(chunks[1]) + len(after); app.PromptTokens != want {
			return 0, 0, "", fmt.Errorf("the app decoded %d prompt positions, the native loop %d", app.PromptTokens, want)
		}
		// Within a round the two runs sit seconds apart; the load of a shared machine drifts between rounds.
		pre = append(pre, cPre.Seconds()/app.PromptTime.Seconds())
		dec = append(dec, cDec.Seconds()/app.GenTime.Seconds())
		goTPS = append(goTPS, float64(nGen)/app.GenTime.Seconds())
		cTPS = append(cTPS, float64(nGen)/cDec.Seconds())
	}
	detail = fmt.Sprintf("%d threads, app decode %.1f tokens/s vs native %.1f; prefill rounds %.3f, decode rounds %.3f",
		e.Threads, median(goTPS), median(cTPS), pre, dec)
	return median(pre), median(dec), detail, nil
}
