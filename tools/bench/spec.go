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

// benchDrafting hears every clip with each drafter and without, for transcription and for translation
// into Spanish, and compares the time to hear it: Feed and Finish, so the draft model's own audio
// prefill is inside the timer. The engine without drafting has no drafter loaded (a loaded draft model
// hears the audio too). Modes take turns clip by clip. Each drafted text must equal plain greedy's.
func benchDrafting(ctx context.Context, s settings, clips []clip, rep *report) error {
	dir := filepath.Join(s.dir, "demo")
	path := func(name string) (string, error) { return assets.Extract(dir, name) }
	files := map[string]string{}
	for _, n := range []string{assets.DemoModel, assets.DemoProjector, assets.DemoDraftModel, assets.DemoDraftProjector, assets.DemoMTPHead} {
		p, err := path(n)
		if err != nil {
			return err
		}
		files[n] = p
	}
	load := func() (*inference.Engine, error) {
		return inference.Load(ctx, inference.Config{ModelPath: files[assets.DemoModel], ProjectorPath: files[assets.DemoProjector],
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
	if err := withDraft.LoadDrafter(ctx, files[assets.DemoDraftModel], files[assets.DemoDraftProjector]); err != nil {
		return err
	}
	withMTP, err := load()
	if err != nil {
		return err
	}
	defer withMTP.Close()
	if err := withMTP.LoadMTPHead(ctx, files[assets.DemoMTPHead]); err != nil {
		return err
	}
	type mode struct {
		name  string
		e     *inference.Engine
		draft speech.DraftMode
	}
	modes := []mode{{"off", plain, speech.DraftOff}, {"lookup", plain, speech.DraftLookup},
		{"model", withDraft, speech.DraftModel}, {"mtp", withMTP, speech.DraftMTP}}
	tasks := []inference.Task{inference.Transcribe, {Translate: "es"}}
	type tally struct {
		secs              [2]float64
		drafted, accepted int
	}
	sum := map[string]*tally{}
	for _, m := range modes {
		sum[m.name] = &tally{}
	}
	for i, c := range clips {
		for ti, task := range tasks {
			texts := map[string]string{}
			for k := range modes {
				m := modes[(i+k)%len(modes)] // modes take turns going first
				start := time.Now()
				u, err := m.e.StartUtterance(ctx)
				if err != nil {
					return err
				}
				if err := u.Feed(ctx, c.samples); err != nil {
					return err
				}
				res, err := u.Finish(ctx, []inference.Task{task}, inference.Options{MaxTokens: 100, Draft: m.draft}, nil)
				if err != nil {
					return err
				}
				r := res[task]
				t := sum[m.name]
				t.secs[ti] += time.Since(start).Seconds()
				t.drafted += r.Drafted
				t.accepted += r.Accepted
				texts[m.name] = r.Text
			}
			for _, m := range modes[1:] {
				if texts[m.name] != texts["off"] {
					return fmt.Errorf("clip %d, %s: drafting (%s) changed the text: %q, plain %q", i, task.Key(), m.name, texts[m.name], texts["off"])
				}
			}
		}
	}
	off := sum["off"]
	for _, m := range modes[1:] {
		t := sum[m.name]
		sp := &speedup{Transcribe: off.secs[0] / t.secs[0], Translate: off.secs[1] / t.secs[1]}
		if t.drafted > 0 {
			sp.Acceptance = float64(t.accepted) / float64(t.drafted)
		}
		switch m.name {
		case "lookup":
			rep.SpecLookupSpeedup = sp
		case "model":
			rep.SpecDraftSpeedup = sp
		case "mtp":
			rep.SpecMTPSpeedup = sp
		}
	}
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

// benchGemma4MTP is benchDrafting for the Gemma-4-architecture demo model on ollama's Go engine
// (inference/gemma4): the time to hear each clip with its MTP head and without, loaded through the speech
// port as the app loads it, modes taking turns; drafted text must equal plain greedy's. The model is in
// the repository only (assets/models), not in the binary.
func benchGemma4MTP(ctx context.Context, s settings, clips []clip, rep *report) error {
	file := func(name string) (string, error) { return testenv.RepoPath(filepath.Join("assets", "models", name)) }
	model, err := file("demo-gemma4.gguf")
	if err != nil {
		return err
	}
	proj, err := file(assets.DemoProjector)
	if err != nil {
		return err
	}
	head, err := file("demo-gemma4.mtp.gguf")
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
	modes := []struct {
		name string
		m    *speech.Loaded
	}{{"off", plain}, {"mtp", withMTP}}
	var secs [2][2]float64 // mode, target
	drafted, accepted := 0, 0
	for i, c := range clips {
		for ti, target := range []string{"", "es"} {
			var texts [2]string
			for k := range modes {
				mi := (i + k) % len(modes) // modes take turns going first
				start := time.Now()
				res, err := speech.Hear(ctx, modes[mi].m, c.samples, []string{target}, nil)
				if err != nil {
					return err
				}
				secs[mi][ti] += time.Since(start).Seconds()
				texts[mi] = res[target].Text
				if mi == 1 {
					drafted += res[target].Drafted
					accepted += res[target].Accepted
				}
			}
			if texts[1] != texts[0] {
				return fmt.Errorf("clip %d, target %q: MTP drafting changed the text: %q, plain %q", i, target, texts[1], texts[0])
			}
		}
	}
	sp := &speedup{Transcribe: secs[0][0] / secs[1][0], Translate: secs[0][1] / secs[1][1]}
	if drafted > 0 {
		sp.Acceptance = float64(accepted) / float64(drafted)
	}
	rep.SpecMTPSpeedupGemma4 = sp
	rep.Details["spec_gemma4"] = fmt.Sprintf("demo-gemma4 (Q8_0) on ollama's Go engine (%s), %d development-set clips, transcription and translation into Spanish, plain: %.2f s and %.2f s",
		plain.Backend, len(clips), secs[0][0], secs[0][1])
	return nil
}
