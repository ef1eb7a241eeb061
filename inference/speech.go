package inference

import (
	"context"
	"fmt"
	"strings"

	"github.com/verbatim-app/verbatim/app/speech"
	"github.com/verbatim-app/verbatim/inference/gemma4"
)

// Engines is the registry of the engines this build runs, for the app's speech port.
func Engines() speech.Engines {
	return speech.Engines{
		List:    []speech.Engine{gemma4.Engine{Instruction: func(t string) string { return instruction(Task{Translate: t}) }, Threads: DefaultThreads, Devices: ReportDevices, Describe: backend}, LlamaCpp{}},
		Devices: ReportDevices,
		SystemInfo: func() string {
			return fmt.Sprintf("llama.cpp: ollama v0.24.0 (ec98e2002)\nCPU features compiled in: %s\nsystem info: %s", SIMDFeatures(), SystemInfo())
		},
	}
}

// LlamaCpp is the llama.cpp engine behind the speech port.
type LlamaCpp struct{}

// Name implements speech.Engine.
func (LlamaCpp) Name() string { return "llama.cpp" }

// Runs implements speech.Engine: llama.cpp is the fallback for every architecture; gguf.Check refuses
// the ones its build does not know with a reason.
func (LlamaCpp) Runs(string) bool { return true }

// Load implements speech.Engine: the model, its projector and its drafters.
func (LlamaCpp) Load(ctx context.Context, cfg speech.LoadConfig) (speech.Opened, error) {
	e, err := Load(ctx, Config{ModelPath: cfg.Model, ProjectorPath: cfg.Projector, GPULayers: cfg.GPULayers,
		Threads: cfg.Threads, ContextSize: cfg.Context, Progress: cfg.Progress, Logger: cfg.Log})
	if err != nil {
		return speech.Opened{}, err
	}
	if !e.CanHear() {
		e.Close()
		return speech.Opened{}, fmt.Errorf("%s cannot hear: %w", cfg.Model, speech.ErrNoAudio)
	}
	if cfg.DraftModel != "" {
		if err := e.LoadDrafter(ctx, cfg.DraftModel, cfg.DraftProjector); err != nil {
			cfg.Log.Warn("draft model not used", "err", err)
		}
	}
	if cfg.MTPHead != "" {
		if err := e.LoadMTPHead(ctx, cfg.MTPHead); err != nil {
			if cfg.MTPRequired {
				e.Close()
				return speech.Opened{}, err
			}
			cfg.Log.Warn("MTP head not used", "err", err)
		}
	}
	return speech.Opened{
		Model:   SpeechModel(e, Options{MaxTokens: cfg.MaxTokens, Draft: cfg.Draft}),
		Backend: backend(e.GPULayers, int(e.Model.BlockCount)+1, ReportDevices()),
		Close:   e.Close,
	}, nil
}

// backend says where a model runs: "CPU", or the GPU's name with the layers offloaded out of all
// (output layer included).
func backend(gpuLayers, of int, devices []speech.Device) string {
	if gpuLayers <= 0 {
		return "CPU"
	}
	name := "GPU"
	for _, d := range devices {
		if d.IsGPU() {
			name = d.Description
			if name == "" {
				name = d.Name
			}
			name = "GPU " + name
			break
		}
	}
	return fmt.Sprintf("%s, %d/%d layers", name, min(gpuLayers, of), of)
}

// SpeechModel is e as a speech.Model decoding with opts (for benchmarks and tests that load an engine
// themselves; the app loads through Engines).
func SpeechModel(e *Engine, opts Options) speech.Model { return speechModel{e: e, opts: opts} }

type speechModel struct {
	e    *Engine
	opts Options
}

func (m speechModel) StartUtterance(ctx context.Context) (speech.Utterance, error) {
	u, err := m.e.StartUtterance(ctx)
	if err != nil {
		return nil, err
	}
	return &speechUtterance{u: u, opts: m.opts}, nil
}

type speechUtterance struct {
	u    *Utterance
	opts Options
}

func (u *speechUtterance) Release() {}

func (u *speechUtterance) SetTemperature(t float32) { u.opts.Temperature = t }

func (u *speechUtterance) Feed(ctx context.Context, samples []float32) error {
	return u.u.Feed(ctx, samples)
}

func (u *speechUtterance) Finish(ctx context.Context, targets []string, emit func(string, string)) (map[string]speech.Result, error) {
	if len(targets) == 0 {
		targets = []string{""}
	}
	tasks := make([]Task, len(targets))
	for i, t := range targets {
		tasks[i] = Task{Translate: t}
	}
	opts := u.opts
	if opts.MaxTokens == 0 {
		opts.MaxTokens = speech.TokenBudget(u.u.Duration())
	}
	res, err := u.u.Finish(ctx, tasks, opts, func(t Task, s string) {
		if emit != nil {
			emit(t.Translate, s)
		}
	})
	out := map[string]speech.Result{}
	for t, r := range res {
		out[t.Translate] = speech.Result{Text: strings.TrimSpace(r.Text), Tokens: len(r.Tokens), TokensPerSec: r.TokensPerSecond(),
			Drafted: r.Drafted, Accepted: r.Accepted}
	}
	return out, err
}

func (u *speechUtterance) Peek(ctx context.Context, target string, maxTokens int) (string, error) {
	r, err := u.u.Peek(ctx, Task{Translate: target}, maxTokens, nil)
	return strings.TrimSpace(r.Text), err
}
