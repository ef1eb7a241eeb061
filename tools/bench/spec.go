package main

import (
	"context"
	"fmt"
	"log/slog"
	"path/filepath"
	"time"

	"github.com/verbatim-app/verbatim/app/speech"
	"github.com/verbatim-app/verbatim/assets"
	"github.com/verbatim-app/verbatim/inference"
	"github.com/verbatim-app/verbatim/tools/testenv"
)

// The llama.cpp-architecture demo model and its drafters, in the repository (assets/models), not the binary.
const (
	llamaDemo, llamaDemoProjector, llamaDemoMTPHead = "demo-logmel.gguf", "demo-logmel.mmproj.gguf", "demo-logmel.mtp.gguf"
	draftModel, draftProjector                      = "demo-draft.gguf", "demo-draft.mmproj.gguf"
)

// benchDrafting hears every clip with each drafter of the llama.cpp engine and without, for transcription
// and for translation into Spanish, and compares the time to hear it: Feed and Finish, so the draft model's
// own audio prefill is inside the timer. The engine without drafting has no drafter loaded (a loaded draft
// model hears the audio too). Modes take turns clip by clip. Each drafted text must equal plain greedy's.
func benchDrafting(ctx context.Context, s settings, clips []clip, rep *report) error {
	files := map[string]string{}
	for _, n := range []string{llamaDemo, llamaDemoProjector, draftModel, draftProjector, llamaDemoMTPHead} {
		p, err := testenv.AssetPath(n)
		if err != nil {
			return err
		}
		files[n] = p
	}
	load := func() (*inference.Engine, error) {
		return inference.Load(ctx, inference.Config{ModelPath: files[llamaDemo], ProjectorPath: files[llamaDemoProjector],
			Threads: s.threads, GPULayers: s.layers, Logger: slog.Default()})
	}
	plain, err := load()
	if err != nil {
		return err
	}
	defer plain.Close()
	withDraft, err := load()
	if err != nil {
		return err
	}
	defer withDraft.Close()
	if err := withDraft.LoadDrafter(ctx, files[draftModel], files[draftProjector]); err != nil {
		return err
	}
	withMTP, err := load()
	if err != nil {
		return err
	}
	defer withMTP.Close()
	if err := withMTP.LoadMTPHead(ctx, files[llamaDemoMTPHead]); err != nil {
		return err
	}
	hearWith := func(e *inference.Engine, draft speech.DraftMode) hearFunc {
		return func(samples []float32, target string) (speech.Result, error) {
			task := inference.Task{Translate: target}
			u, err := e.StartUtterance(ctx)
			if err != nil {
				return speech.Result{}, err
			}
			if err := u.Feed(ctx, samples); err != nil {
				return speech.Result{}, err
			}
			res, err := u.Finish(ctx, []inference.Task{task}, inference.Options{MaxTokens: 100, Draft: draft}, nil)
			r := res[task]
			return speech.Result{Text: r.Text, Drafted: r.Drafted, Accepted: r.Accepted}, err
		}
	}
	modes := []mode{{"off", hearWith(plain, speech.DraftOff)}, {"lookup", hearWith(plain, speech.DraftLookup)},
		{"model", hearWith(withDraft, speech.DraftModel)}, {"mtp", hearWith(withMTP, speech.DraftMTP)}}
	sum, err := race(clips, modes)
	if err != nil {
		return err
	}
	off := sum[0]
	rep.SpecLookupSpeedup, rep.SpecDraftSpeedup, rep.SpecMTPSpeedup = sum[1].speedupOver(off), sum[2].speedupOver(off), sum[3].speedupOver(off)
	rep.Details["spec_clips"] = fmt.Sprintf("%d development-set clips (%.0f s of speech), transcription and translation into Spanish, plain: %.2f s and %.2f s",
		len(clips), totalSeconds(clips), off.secs[0], off.secs[1])
	return nil
}

func totalSeconds(clips []clip) float64 {
	n := 0
	for _, c := range clips {
		n += len(c.samples)
	}
	return float64(n) / 16000
}

// benchGemma4MTP is benchDrafting for the bundled demo model, in Gemma 4's architecture, on ollama's Go
// engine (inference/gemma4): the time to hear each clip with its MTP head and without, loaded through the
// speech port as the app loads it, modes taking turns; drafted text must equal plain greedy's.
func benchGemma4MTP(ctx context.Context, s settings, clips []clip, rep *report) error {
	dir := filepath.Join(s.dir, "demo")
	model, err := assets.Extract(dir, assets.DemoModel)
	if err != nil {
		return err
	}
	proj, err := assets.Extract(dir, assets.DemoProjector)
	if err != nil {
		return err
	}
	head, err := assets.Extract(dir, assets.DemoMTPHead)
	if err != nil {
		return err
	}
	engines := inference.Engines()
	load := func(mode speech.DraftMode, head string) (*speech.Loaded, error) {
		return engines.Load(ctx, speech.LoadConfig{Model: model, Projector: proj, GPULayers: s.layers, Threads: s.threads,
			Draft: mode, MaxTokens: 100, MTPHead: head, MTPRequired: head != "", Log: slog.Default()})
	}
	plain, err := load(speech.DraftOff, "")
	if err != nil {
		return err
	}
	defer plain.Close(ctx)
	withMTP, err := load(speech.DraftMTP, head)
	if err != nil {
		return err
	}
	defer withMTP.Close(ctx)
	if plain.Engine == (inference.LlamaCpp{}).Name() {
		return fmt.Errorf("%s loaded through %s, not the Gemma 4 engine", model, plain.Engine)
	}
	hearWith := func(m *speech.Loaded) hearFunc {
		return func(samples []float32, target string) (speech.Result, error) {
			res, err := speech.Hear(ctx, m, samples, []string{target}, nil)
			return res[target], err
		}
	}
	sum, err := race(clips, []mode{{"off", hearWith(plain)}, {"mtp", hearWith(withMTP)}})
	if err != nil {
		return err
	}
	sp := sum[1].speedupOver(sum[0])
	rep.SpecMTPSpeedupGemma4 = sp
	rep.Details["spec_gemma4"] = fmt.Sprintf("demo-gemma4 (Q8_0) on ollama's Go engine (%s), %d development-set clips, transcription and translation into Spanish, plain: %.2f s and %.2f s",
		plain.Backend, len(clips), sum[0].secs[0], sum[0].secs[1])
	return nil
}

// hearFunc hears one clip for one target ("" transcribes, "es" translates) in one drafting mode.
type hearFunc func(samples []float32, target string) (speech.Result, error)

type mode struct {
	name string
	hear hearFunc
}

// tally is one mode's time per target and its drafts.
type tally struct {
	secs              [2]float64 // transcription, translation into Spanish
	drafted, accepted int
}

// speedupOver is the time base (no drafting) took over the time t took, per target, and t's acceptance.
func (t *tally) speedupOver(base *tally) *speedup {
	sp := &speedup{Transcribe: base.secs[0] / t.secs[0], Translate: base.secs[1] / t.secs[1]}
	if t.drafted > 0 {
		sp.Acceptance = float64(t.accepted) / float64(t.drafted)
	}
	return sp
}

// race hears every clip, transcribed and translated into Spanish, in every mode, the modes taking turns
// going first clip by clip, and times each; every mode's text must equal the first mode's (plain greedy).
func race(clips []clip, modes []mode) ([]*tally, error) {
	sum := make([]*tally, len(modes))
	for k := range sum {
		sum[k] = &tally{}
	}
	for i, c := range clips {
		for ti, target := range []string{"", "es"} {
			texts := make([]string, len(modes))
			for k := range modes {
				mi := (i + k) % len(modes)
				start := time.Now()
				r, err := modes[mi].hear(c.samples, target)
				if err != nil {
					return nil, err
				}
				t := sum[mi]
				t.secs[ti] += time.Since(start).Seconds()
				t.drafted += r.Drafted
				t.accepted += r.Accepted
				texts[mi] = r.Text
			}
			for k, m := range modes[1:] {
				if texts[k+1] != texts[0] {
					return nil, fmt.Errorf("clip %d, target %q: drafting (%s) changed the text: %q, plain %q", i, target, m.name, texts[k+1], texts[0])
				}
			}
		}
	}
	return sum, nil
}
