// Package desktop is the app-side state behind Verbatim's window: the model catalog that holds the one
// loaded model, the recorder, the batch queue, dictation, the local server and the store of sessions a
// crash left behind. The ui package takes these services and their types directly; nothing here knows
// about Fyne.
package desktop

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"sync"

	"github.com/verbatim-app/verbatim/app/models"
	"github.com/verbatim-app/verbatim/app/speech"
	"github.com/verbatim-app/verbatim/assets"
	"github.com/verbatim-app/verbatim/inference/gguf"
)

// ErrNoModel is returned when something needs a model and none is loaded.
var ErrNoModel = speech.ErrNoModel

// BundledPrefix starts the IDs of the models inside the binary. They are unpacked into the cache on
// demand, so their paths change with each new demo model; their IDs do not.
const BundledPrefix = "bundled/"

// ModelInfo describes a model the catalog found (or the loaded one).
type ModelInfo struct {
	ID         string // BundledPrefix+file name, or the file's path
	Name       string
	Size       int64
	Quant      string
	CanHear    bool
	Projectors []string // IDs, the one found with the model first
	Backend    string   // loaded model only: "CPU", or "GPU <name>, N/M layers"
	Default    bool     // the bundled demo model: loaded when nothing else is chosen
	Fit        string   // how much of it the GPUs hold: "full", "partial" or "cpu" (inference.Fit.Status)
	// Tasks: loaded model only, the tasks its metadata lists (verbatim.tasks: "transcribe",
	// "translate:es", …); nil when it lists none and follows free instructions.
	Tasks []string
}

// Choice is what to load.
type Choice struct {
	Model, Projector string
	GPULayers        int // speech.AutoGPULayers (-1) or N
	Threads          int // 0: one per core
}

// Catalog finds models and holds the one loaded at a time (a speech.Slot): each utterance goes to the
// model loaded when it starts, utterances take turns on it (live listening, batch jobs, dictation and
// the server share it), and a replaced model is closed as soon as no utterance holds it.
type Catalog struct {
	cacheDir string
	locs     models.Locations
	log      *slog.Logger
	engines  speech.Engines
	load     func(context.Context, speech.LoadConfig) (*speech.Loaded, error) // engines.Load; tests replace it

	loadMu sync.Mutex // one Load at a time
	slot   speech.Slot

	mu      sync.Mutex
	info    ModelInfo               // of the loaded model
	entries map[string]models.Entry // by ID, from the last List
	ids     map[string]string       // path → ID, for bundled files
}

// NewCatalog searches locs (and the bundled demo model, unpacked under cacheDir) and loads through
// engines.
func NewCatalog(cacheDir string, locs models.Locations, log *slog.Logger, engines speech.Engines) *Catalog {
	if log == nil {
		log = slog.Default()
	}
	return &Catalog{cacheDir: cacheDir, locs: locs, log: log, engines: engines, load: engines.Load,
		entries: map[string]models.Entry{}, ids: map[string]string{}}
}

// StartupChoice is what the window loads when no model is loaded: the saved choice if the catalog
// still lists its model, else the default (the bundled demo model with its first projector) with the
// saved GPU and thread settings; false when there is neither.
func StartupChoice(listed []ModelInfo, saved Choice) (Choice, bool) {
	for _, mi := range listed {
		if saved.Model != "" && mi.ID == saved.Model {
			return saved, true
		}
	}
	for _, mi := range listed {
		if mi.Default {
			c := Choice{Model: mi.ID, GPULayers: saved.GPULayers, Threads: saved.Threads}
			if len(mi.Projectors) > 0 {
				c.Projector = mi.Projectors[0]
			}
			return c, true
		}
	}
	return Choice{}, false
}

// fitContext is the context size the GPU-fit column assumes (the engine's default ceiling).
const fitContext = 4096

// List finds the models on the machine; projectors are offered with the models they fit.
func (c *Catalog) List(ctx context.Context) ([]ModelInfo, error) {
	loc := c.locs
	ids := map[string]string{}
	if assets.HasDemo() {
		m, err1 := assets.Extract(c.cacheDir, assets.DemoModel)
		p, err2 := assets.Extract(c.cacheDir, assets.DemoProjector)
		if err := errors.Join(err1, err2); err != nil {
			c.log.Warn("bundled demo model not usable", "err", err)
		} else {
			e := models.Inspect(m, "bundled")
			e.Name, e.Projector, e.CanHear = "Verbatim demo", p, true
			loc.Extra = append(append([]models.Entry(nil), loc.Extra...), e)
			ids[m] = BundledPrefix + assets.DemoModel
			ids[p] = BundledPrefix + assets.DemoProjector
		}
	}
	found := models.Discover(ctx, loc)
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	id := func(path string) string {
		if s, ok := ids[path]; ok {
			return s
		}
		return path
	}
	var projectors []models.Entry
	for _, e := range found {
		if e.Err == nil && e.Info.Kind == gguf.KindProjector && e.Info.HasAudio {
			projectors = append(projectors, e)
		}
	}
	var out []ModelInfo
	entries := map[string]models.Entry{}
	devices := c.engines.ComputeDevices()
	for _, e := range found {
		if e.Info.Kind == gguf.KindProjector || e.Info.Kind == gguf.KindMTPHead {
			continue // companions of a model, not models to choose
		}
		mi := ModelInfo{ID: id(e.Path), Name: e.Name, Size: e.Info.Size, Quant: e.Info.Quantization,
			CanHear: e.CanHear, Default: e.Source == "bundled"}
		if e.Err == nil {
			mi.Fit = speech.EstimateFit(e.Info, fitContext, devices).Status()
		}
		if mi.Size == 0 {
			mi.Size = fileSize(e.Path)
		}
		if e.Projector != "" {
			mi.Projectors = append(mi.Projectors, id(e.Projector))
		}
		// Other audio projectors whose embeddings are as wide as the model's may fit it too.
		for _, p := range projectors {
			if e.Err == nil && p.Path != e.Projector && p.Info.ProjectionDim != 0 && p.Info.ProjectionDim == e.Info.EmbeddingLen {
				mi.Projectors = append(mi.Projectors, id(p.Path))
			}
		}
		mi.CanHear = mi.CanHear || len(mi.Projectors) > 0
		if _, dup := entries[mi.ID]; dup {
			continue
		}
		entries[mi.ID] = e
		out = append(out, mi)
	}
	c.mu.Lock()
	c.entries, c.ids = entries, ids
	c.mu.Unlock()
	return out, nil
}

// Load replaces the loaded model by ch. On error the previous model stays loaded. progress gets 0..1.
func (c *Catalog) Load(ctx context.Context, ch Choice, progress func(float32)) error {
	c.loadMu.Lock()
	defer c.loadMu.Unlock()
	if ch.Model == "" {
		return errors.New("no model chosen")
	}
	c.mu.Lock()
	listed, ok := c.entries[ch.Model]
	c.mu.Unlock()
	if ok && listed.Err != nil {
		return listed.Err // what is wrong with the file says more than a missing projector
	}
	if ch.Projector == "" {
		return speech.ErrNoAudio
	}
	// No MaxTokens: each line's budget follows its audio (speech.TokenBudget), as on the command line.
	choice := models.Choice{Draft: speech.DraftAuto, GPULayers: ch.GPULayers, Threads: ch.Threads}
	var err error
	if choice.Projector, err = c.path(ch.Projector); err != nil {
		return err
	}
	if ch.Model != BundledPrefix+assets.DemoModel { // the demo's own files and drafters come from LoadConfig
		if choice.Model, err = c.path(ch.Model); err != nil {
			return err
		}
	}
	cfg, err := models.LoadConfig(c.cacheDir, choice)
	if err != nil {
		return err
	}
	if progress == nil {
		progress = func(float32) {}
	}
	cfg.Progress, cfg.Log = progress, c.log
	l, err := c.load(ctx, cfg)
	if err != nil {
		return err
	}
	progress(1)
	c.mu.Lock()
	info := c.describe(ch.Model, cfg.Model)
	info.Tasks = l.Tasks
	info.Projectors = []string{ch.Projector}
	info.CanHear = true
	info.Backend = l.Backend
	c.info = info
	c.slot.Set(l)
	c.mu.Unlock()
	return nil
}

// describe is the listing of id; c.mu is held.
func (c *Catalog) describe(id, path string) ModelInfo {
	if e, ok := c.entries[id]; ok {
		return ModelInfo{ID: id, Name: e.Name, Size: e.Info.Size, Quant: e.Info.Quantization}
	}
	e := models.Inspect(path, "file")
	name := strings.TrimSuffix(filepath.Base(path), ".gguf")
	return ModelInfo{ID: id, Name: name, Size: e.Info.Size, Quant: e.Info.Quantization}
}

// path turns an ID into the file to load.
func (c *Catalog) path(id string) (string, error) {
	if name, ok := strings.CutPrefix(id, BundledPrefix); ok {
		if name != filepath.Base(name) {
			return "", fmt.Errorf("bad bundled model name %q", name)
		}
		return assets.Extract(c.cacheDir, name)
	}
	return id, nil
}

// Current is the loaded model; the zero ModelInfo when none is.
func (c *Catalog) Current() ModelInfo {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.slot.Current() == nil {
		return ModelInfo{}
	}
	return c.info
}

// Model is the catalog as a speech.Model while one is loaded, else nil (the form app/live wants).
func (c *Catalog) Model() speech.Model {
	if c.slot.Current() == nil {
		return nil
	}
	return &c.slot
}

// StartUtterance implements speech.Model on the model loaded now. It waits while another utterance
// holds that model.
func (c *Catalog) StartUtterance(ctx context.Context) (speech.Utterance, error) {
	return c.slot.StartUtterance(ctx)
}

// Close unloads the model. It waits (until ctx ends) for an utterance still holding it.
func (c *Catalog) Close(ctx context.Context) {
	c.loadMu.Lock() // a load in progress finishes first, so it cannot install a model after this
	defer c.loadMu.Unlock()
	c.slot.Close(ctx)
}

func fileSize(path string) int64 {
	if st, err := os.Stat(path); err == nil {
		return st.Size()
	}
	return 0
}
