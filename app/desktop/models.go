// Package desktop is the app-side state behind Verbatim's window: the model catalog that owns the one
// loaded engine, the batch queue, and the store of sessions a crash left behind. cmd/verbatim adapts
// these to the ui package's interfaces; nothing here knows about Fyne.
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
	"github.com/verbatim-app/verbatim/inference"
	"github.com/verbatim-app/verbatim/inference/gguf"
)

// ErrNoModel is returned when something needs a model and none is loaded.
var ErrNoModel = errors.New("no model is loaded: pick one under Models & settings")

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
	GPULayers        int // inference.AutoGPULayers (-1) or N
	Threads          int // 0: one per core
}

// Loaded is a model ready to hear, as a Loader returns it.
type Loaded struct {
	Model   speech.Model
	Backend string
	Close   func()
}

// Drafters are the files a model drafts with for speculative decoding (paths; "" where there is none).
type Drafters struct {
	Model, Projector string // a small draft model and its own projector
	MTPHead          string // an MTP head on the model's own hidden state
}

// Loader loads the files of a choice (paths, not IDs) and its drafters.
type Loader func(ctx context.Context, cfg inference.Config, drafters Drafters) (Loaded, error)

// Catalog finds models and owns the one engine loaded at a time. It is a speech.Model itself: each
// utterance goes to the engine loaded when it starts, and utterances never overlap on one engine
// (live listening and batch jobs share it). A replaced engine is closed as soon as no utterance
// holds it any more.
type Catalog struct {
	cacheDir string
	locs     models.Locations
	log      *slog.Logger
	loader   Loader

	loadMu sync.Mutex // one Load at a time

	mu      sync.Mutex
	cur     *engine
	entries map[string]models.Entry // by ID, from the last List
	ids     map[string]string       // path → ID, for bundled files
}

// NewCatalog searches locs (and the bundled demo model, unpacked under cacheDir) and loads with load
// (nil: llama.cpp through package inference).
func NewCatalog(cacheDir string, locs models.Locations, log *slog.Logger, load Loader) *Catalog {
	if log == nil {
		log = slog.Default()
	}
	if load == nil {
		load = LoadEngine(log)
	}
	return &Catalog{cacheDir: cacheDir, locs: locs, log: log, loader: load,
		entries: map[string]models.Entry{}, ids: map[string]string{}}
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
	devices := inference.ReportDevices()
	for _, e := range found {
		if e.Info.Kind == gguf.KindProjector || e.Info.Kind == gguf.KindMTPHead {
			continue // companions of a model, not models to choose
		}
		mi := ModelInfo{ID: id(e.Path), Name: e.Name, Size: e.Info.Size, Quant: e.Info.Quantization,
			CanHear: e.CanHear, Default: e.Source == "bundled"}
		if e.Err == nil {
			mi.Fit = inference.EstimateFit(e.Info, fitContext, devices).Status()
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
		return inference.ErrNoAudio
	}
	modelPath, err := c.path(ch.Model)
	if err != nil {
		return err
	}
	projPath, err := c.path(ch.Projector)
	if err != nil {
		return err
	}
	var drafters Drafters
	if ch.Model == BundledPrefix+assets.DemoModel {
		// The demo model comes with an MTP head (or, in older builds, a small draft model) for speculative
		// decoding: same output, faster.
		if h, err := assets.Extract(c.cacheDir, assets.DemoMTPHead); err == nil {
			drafters.MTPHead = h
		} else {
			d, err1 := assets.Extract(c.cacheDir, assets.DemoDraftModel)
			dp, err2 := assets.Extract(c.cacheDir, assets.DemoDraftProjector)
			if err1 == nil && err2 == nil {
				drafters.Model, drafters.Projector = d, dp
			}
		}
	} else {
		drafters.MTPHead = inference.MTPHeadBeside(modelPath)
	}
	if progress == nil {
		progress = func(float32) {}
	}
	cfg := inference.Config{ModelPath: modelPath, ProjectorPath: projPath, GPULayers: ch.GPULayers, Threads: ch.Threads,
		Progress: progress, Logger: c.log}
	l, err := c.loader(ctx, cfg, drafters)
	if err != nil {
		return err
	}
	progress(1)
	tasks := modelTasks(modelPath)

	c.mu.Lock()
	info := c.describe(ch.Model, modelPath)
	info.Tasks = tasks
	info.Projectors = []string{ch.Projector}
	info.CanHear = true
	info.Backend = l.Backend
	old := c.cur
	c.cur = &engine{info: info, model: speech.Exclusive(l.Model), close: l.Close, closed: make(chan struct{})}
	c.mu.Unlock()
	if old != nil {
		old.retire()
	}
	return nil
}

// modelTasks are the tasks the model file's metadata lists, nil when none (or it cannot be read).
func modelTasks(path string) []string {
	f, err := gguf.Open(path)
	if err != nil {
		return nil
	}
	return f.Strings("verbatim.tasks")
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
	if c.cur == nil {
		return ModelInfo{}
	}
	return c.cur.info
}

// Model is the catalog as a speech.Model while one is loaded, else nil (the form app/live wants).
func (c *Catalog) Model() speech.Model {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.cur == nil {
		return nil
	}
	return c
}

// StartUtterance implements speech.Model on the engine loaded now. It waits while another utterance
// holds that engine.
func (c *Catalog) StartUtterance(ctx context.Context) (speech.Utterance, error) {
	c.mu.Lock()
	e := c.cur
	if e == nil {
		c.mu.Unlock()
		return nil, ErrNoModel
	}
	e.acquire()
	c.mu.Unlock()
	u, err := e.model.StartUtterance(ctx)
	if err != nil {
		e.release()
		return nil, err
	}
	return &heldUtterance{Utterance: u, release: sync.OnceFunc(e.release)}, nil
}

// Close unloads the model. It waits (until ctx ends) for an utterance still holding the engine.
func (c *Catalog) Close(ctx context.Context) {
	c.loadMu.Lock() // a load in progress finishes first, so it cannot install an engine after this
	defer c.loadMu.Unlock()
	c.mu.Lock()
	e := c.cur
	c.cur = nil
	c.mu.Unlock()
	if e == nil {
		return
	}
	e.retire()
	select {
	case <-e.closed:
	case <-ctx.Done():
	}
}

// engine is one loaded model, closed once it is replaced and no utterance holds it.
type engine struct {
	info  ModelInfo
	model speech.Model
	close func()

	mu      sync.Mutex
	users   int
	retired bool
	closed  chan struct{}
}

func (e *engine) acquire() {
	e.mu.Lock()
	e.users++
	e.mu.Unlock()
}

func (e *engine) release() {
	e.mu.Lock()
	e.users--
	done := e.retired && e.users == 0
	e.mu.Unlock()
	if done {
		e.shut()
	}
}

func (e *engine) retire() {
	e.mu.Lock()
	e.retired = true
	done := e.users == 0
	e.mu.Unlock()
	if done {
		e.shut()
	}
}

func (e *engine) shut() {
	if e.close != nil {
		e.close()
	}
	close(e.closed)
}

// heldUtterance keeps its engine open until it is finished or released.
type heldUtterance struct {
	speech.Utterance
	release func()
}

func (u *heldUtterance) Finish(ctx context.Context, targets []string, emit func(string, string)) (map[string]speech.Result, error) {
	defer u.release()
	return u.Utterance.Finish(ctx, targets, emit)
}

func (u *heldUtterance) Release() {
	u.Utterance.Release()
	u.release()
}

// Peek implements speech.Peeker when the engine's utterances do.
func (u *heldUtterance) Peek(ctx context.Context, target string, maxTokens int) (string, error) {
	if p, ok := u.Utterance.(speech.Peeker); ok {
		return p.Peek(ctx, target, maxTokens)
	}
	return "", nil
}

// LoadEngine is the Loader for llama.cpp: the model, its projector and, where given, a draft model.
func LoadEngine(log *slog.Logger) Loader {
	return func(ctx context.Context, cfg inference.Config, drafters Drafters) (Loaded, error) {
		e, err := inference.Load(ctx, cfg)
		if err != nil {
			return Loaded{}, err
		}
		if !e.CanHear() {
			e.Close()
			return Loaded{}, inference.ErrNoAudio
		}
		if drafters.Model != "" {
			if err := e.LoadDrafter(ctx, drafters.Model, drafters.Projector); err != nil {
				log.Warn("draft model not used", "err", err)
			}
		}
		if drafters.MTPHead != "" {
			if err := e.LoadMTPHead(ctx, drafters.MTPHead); err != nil {
				log.Warn("MTP head not used", "err", err)
			}
		}
		return Loaded{
			Model:   speech.Engine{E: e, Opts: inference.Options{MaxTokens: 200, Draft: inference.DraftAuto}},
			Backend: Backend(e.GPULayers, int(e.Model.BlockCount)+1, inference.ReportDevices()),
			Close:   e.Close,
		}, nil
	}
}

// Backend says where a model runs: "CPU", or the GPU's name with the layers offloaded out of all
// (output layer included).
func Backend(gpuLayers, of int, devices []inference.Device) string {
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

func fileSize(path string) int64 {
	if st, err := os.Stat(path); err == nil {
		return st.Size()
	}
	return 0
}
