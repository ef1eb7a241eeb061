// Package gemma4 runs Gemma 4 in-process through ollama's own Go engine (github.com/ollama/ollama@v0.24.0:
// model/models/gemma4, ml/backend/ggml, kvcache), whose vendored ggml is the one the llama.cpp engine links,
// so no second copy of ggml is compiled. Audio comes from a projector Verbatim computes in Go (inference/audioproj:
// the 12B's gemma4ua, or the demo model's log-mel) and is decoded frame by frame while the person speaks, with
// causal attention over it (forward.go).
//
// One goroutine owns the model and its KV cache: every public method sends a closure to it and waits, so
// callers may use a Model from any goroutine, and a cancelled context stops work between tokens.
package gemma4

import (
	"context"
	"fmt"

	"github.com/verbatim-app/verbatim/app/speech"
	"github.com/verbatim-app/verbatim/inference/gguf"
)

// Engine is ollama's Go engine behind the speech port. Its fields come from package inference, so the two
// engines share one rule for each: Instruction is the instruction placed after the audio for a target
// ("" to transcribe, else a language code); Threads is the CPU thread count for a model when none is asked.
type Engine struct {
	Instruction func(target string) string
	Threads     func(gguf.Info) int
	Devices     func() []speech.Device // the devices ggml sees, for --gpu-layers auto
	// Describe says where a model runs ("CPU", or the GPU's name with the layers offloaded out of all).
	Describe func(gpuLayers, of int, devices []speech.Device) string
}

// Name implements speech.Engine.
func (Engine) Name() string { return "ollama" }

// Runs implements speech.Engine.
func (Engine) Runs(arch string) bool { return gguf.IsGoEngineArchitecture(arch) }

// Load implements speech.Engine.
func (e Engine) Load(ctx context.Context, cfg speech.LoadConfig) (speech.Opened, error) {
	// models.LoadConfig names a head for --draft mtp (or refuses), and for auto only where drafting pays.
	useHead := cfg.MTPHead != "" && (cfg.Draft == speech.DraftMTP || cfg.Draft == speech.DraftAuto)
	if cfg.Draft == speech.DraftMTP && cfg.MTPHead == "" {
		return speech.Opened{}, fmt.Errorf("%s: MTP drafting was asked for, but no MTP head was given", cfg.Model)
	}
	var devices []speech.Device
	if e.Devices != nil {
		devices = e.Devices()
	}
	if cfg.DraftModel != "" || cfg.Draft == speech.DraftModel || cfg.Draft == speech.DraftLookup {
		cfg.Log.Warn("Gemma 4 drafts only with an MTP head (--draft mtp); decoding plainly", "model", cfg.Model, "draft", cfg.Draft)
	}
	m, err := Load(ctx, Config{ModelPath: cfg.Model, ProjectorPath: cfg.Projector, GPULayers: cfg.GPULayers, Devices: devices,
		Threads: cfg.Threads, DefaultThreads: e.Threads,
		ContextSize: cfg.Context, MaxTokens: cfg.MaxTokens, Instruction: e.Instruction, Progress: cfg.Progress, Logger: cfg.Log})
	if err != nil {
		return speech.Opened{}, err
	}
	where := "CPU"
	if e.Describe != nil {
		where = e.Describe(m.GPULayers, int(m.Info.BlockCount)+1, devices)
	}
	opened := speech.Opened{Model: m, Backend: where, Close: m.Close}
	if useHead {
		dm, closeAll, err := m.WithMTPHead(ctx, cfg.MTPHead)
		switch {
		case err == nil:
			opened.Model, opened.Close = dm, closeAll
		case cfg.MTPRequired:
			m.Close()
			return speech.Opened{}, err
		default:
			cfg.Log.Warn("MTP head not used", "err", err)
		}
	}
	return opened, nil
}
