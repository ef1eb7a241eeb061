package speech

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/verbatim-app/verbatim/inference/gguf"
)

// AutoGPULayers asks the engine to choose how many layers to offload.
const AutoGPULayers = -1

// ErrNoAudio means a model was loaded without an audio projector, so it cannot hear.
var ErrNoAudio = errors.New("this model has no audio projector, so it cannot hear; pick a projector (mmproj) for it")

// TokenBudget is how many tokens one target of an utterance of d may take when LoadConfig.MaxTokens is
// 0: speech runs at a few tokens a second, and a budget from the audio's length stops a model that loops.
func TokenBudget(d time.Duration) int { return 24 + int(12*d.Seconds()) }

// Greedy is greedy decoding's choice among logits: the highest, the lowest id on a tie. Both engines and
// their drafters choose with it, so drafted text is the same as plain greedy text.
func Greedy(logits []float32) int {
	best := 0
	for i, v := range logits {
		if v > logits[best] {
			best = i
		}
	}
	return best
}

// LoadConfig says which files to load and how. Paths, not IDs.
type LoadConfig struct {
	Model     string
	Projector string // the audio projector (mmproj) GGUF; required to hear
	GPULayers int    // AutoGPULayers, 0 (CPU only) or N
	Threads   int    // 0: one per core
	Context   int    // tokens; 0: the model's own, capped by the engine
	Draft     DraftMode
	MaxTokens int // per target of one utterance; 0: a budget from the audio's length

	// Drafters, "" where there is none. A drafter that fails to load is a warning, unless it was asked
	// for by name (MTPRequired) — then it is the load's error.
	MTPHead                    string
	MTPRequired                bool
	DraftModel, DraftProjector string

	Progress func(float32) // 0..1 while loading; may be nil
	Log      *slog.Logger
}

// Opened is what an engine loaded.
type Opened struct {
	Model   Model
	Backend string // where it runs: "CPU", or "GPU <name>, N/M layers"
	Close   func()
}

// Engine is one inference engine (llama.cpp; Gemma 4's next).
type Engine interface {
	Name() string
	// Runs reports whether the engine runs models of this GGUF general.architecture.
	Runs(arch string) bool
	// Load loads cfg's model with its projector and drafters; the model must hear (ErrNoAudio).
	Load(ctx context.Context, cfg LoadConfig) (Opened, error)
}

// Engines are the inference engines, chosen by a model's architecture, and what they report of the
// machine.
type Engines struct {
	List       []Engine
	Devices    func() []Device // the compute devices the engines see, for fitting layers; nil: CPU only
	SystemInfo func() string   // CPU features and backends, for version --verbose; nil: none
}

// ComputeDevices lists the devices; none when the registry reports none.
func (es Engines) ComputeDevices() []Device {
	if es.Devices == nil {
		return nil
	}
	return es.Devices()
}

// For is the engine that runs the model file at path, by its general.architecture.
func (es Engines) For(path string) (Engine, error) {
	f, err := gguf.Open(path)
	if err != nil {
		return nil, err
	}
	arch := f.String("general.architecture")
	for _, e := range es.List {
		if e.Runs(arch) {
			return e, nil
		}
	}
	return nil, fmt.Errorf("%s: no engine in this build runs architecture %q", path, arch)
}

// Load loads cfg through the engine its model needs. The model hears one utterance at a time.
func (es Engines) Load(ctx context.Context, cfg LoadConfig) (*Loaded, error) {
	if cfg.Model == "" {
		return nil, errors.New("no model chosen")
	}
	if cfg.Projector == "" {
		return nil, ErrNoAudio
	}
	if cfg.Log == nil {
		cfg.Log = slog.Default()
	}
	e, err := es.For(cfg.Model)
	if err != nil {
		return nil, err
	}
	o, err := e.Load(ctx, cfg)
	if err != nil {
		return nil, err
	}
	l := Lease(o, cfg.Model)
	l.Engine = e.Name()
	return l, nil
}
