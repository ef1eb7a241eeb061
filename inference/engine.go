// Package inference runs audio-capable language models through llama.cpp (github.com/ollama/ollama/llama).
//
// One goroutine owns the llama context: every public method sends a closure to it and waits, so callers
// may use an Engine from any goroutine, and a cancelled context stops work between tokens.
package inference

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"runtime"
	"strings"

	"github.com/ollama/ollama/llama"
	"github.com/ollama/ollama/ml"

	"github.com/verbatim-app/verbatim/app/speech"
	"github.com/verbatim-app/verbatim/inference/audioproj"
	"github.com/verbatim-app/verbatim/inference/gguf"
	"github.com/verbatim-app/verbatim/inference/owner"
)

// Config says which files to load and how.
type Config struct {
	ModelPath     string
	ProjectorPath string // "" for a text-only engine
	GPULayers     int    // speech.AutoGPULayers, 0 (CPU only) or N
	Threads       int    // 0: one per CPU
	ContextSize   int    // 0: the model's own, at most 4096
	BatchSize     int    // 0: 512
	Progress      func(float32)
	Logger        *slog.Logger
	Devices       []speech.Device // for --gpu-layers auto; nil: ReportDevices()

	// loadModel replaces llama.LoadModelFromFile in tests of the GPU fallback.
	loadModel func(string, llama.ModelParams) (*llama.Model, error)
}

// Engine is a loaded model (and projector) ready to transcribe.
type Engine struct {
	Model     gguf.Info
	Projector gguf.Info
	GPULayers int // layers actually offloaded
	Threads   int
	Ctx       int

	loop *owner.Loop[*core]
	log  *slog.Logger
}

// core is the state only the owner goroutine touches.
type core struct {
	model    *llama.Model
	lctx     *llama.Context
	tokBatch *llama.Batch
	embBatch *llama.Batch
	mtmd     *llama.MtmdContext
	proj     audioproj.Projector
	nEmbd    int
	nVocab   int
	nCtx     int
	batch    int
	control  []bool // token is a control token (never rendered)
	bos      int    // -1 when the model has none
	meta     modelMeta
	epoch    int   // bumped whenever the KV cache is reset, so stale utterances notice
	history  []int // tokens of sequence 0, for prompt-lookup drafting
	drafter  *drafter
	mtp      *mtpHead
	greedy   *greedyRunner
	pieces   []*string
	eog      []int8 // 0 unknown, 1 no, 2 yes
}

// ErrClosed is returned by calls on a closed engine.
var ErrClosed = errors.New("inference engine is closed")

// Load checks the files, loads them into llama.cpp and starts the owner goroutine.
func Load(ctx context.Context, cfg Config) (*Engine, error) {
	log := cfg.Logger
	if log == nil {
		log = slog.Default()
	}
	mf, minfo, err := gguf.Check(cfg.ModelPath)
	if err != nil {
		return nil, fmt.Errorf("load model: %w", err)
	}
	if minfo.Kind != gguf.KindText {
		return nil, fmt.Errorf("load model: %s is a %s, not a language model (pass it as the projector)", cfg.ModelPath, minfo.Kind)
	}
	e := &Engine{Model: minfo, loop: owner.New[*core](ErrClosed), log: log}
	if cfg.ProjectorPath != "" {
		_, pinfo, err := gguf.Check(cfg.ProjectorPath)
		if err != nil {
			return nil, fmt.Errorf("load projector: %w", err)
		}
		if pinfo.Kind != gguf.KindProjector {
			return nil, fmt.Errorf("load projector: %s is a language model, not a projector", cfg.ProjectorPath)
		}
		if err := gguf.CheckPair(mf, minfo, pinfo); err != nil {
			return nil, fmt.Errorf("load projector: %w", err)
		}
		e.Projector = pinfo
	}
	c := &core{meta: readMeta(mf, minfo), bos: -1}
	c.control = controlTokens(mf)
	if id, ok := mf.Uint("tokenizer.ggml.bos_token_id"); ok {
		c.bos = int(id)
	}
	if cfg.Threads <= 0 {
		cfg.Threads = DefaultThreads(minfo)
	}
	if cfg.BatchSize <= 0 {
		cfg.BatchSize = 512
	}
	if cfg.ContextSize <= 0 {
		cfg.ContextSize = int(min(max(minfo.ContextLength, 256), 4096))
	}
	e.Threads, e.Ctx = cfg.Threads, cfg.ContextSize

	ready := make(chan error, 1)
	go e.own(ctx, cfg, c, ready)
	if err := <-ready; err != nil {
		return nil, err
	}
	return e, nil
}

// own loads the model on its goroutine and then serves jobs until Close.
func (e *Engine) own(ctx context.Context, cfg Config, c *core, ready chan<- error) {
	runtime.LockOSThread() // llama.cpp's per-thread state stays on one OS thread
	defer runtime.UnlockOSThread()
	e.loop.Serve(c, func() error { return c.load(ctx, cfg, e) }, c.free, ready)
}

func (c *core) load(ctx context.Context, cfg Config, e *Engine) error {
	quietLogs()
	llama.BackendInit()
	layers := cfg.GPULayers
	loaded := ReportDevices() // what ggml really has, whatever cfg.Devices claims for the fit
	if layers == speech.AutoGPULayers {
		devs := cfg.Devices
		if devs == nil {
			devs = loaded
		}
		layers = speech.AutoLayers(e.Model, cfg.ContextSize, devs)
	}
	loadModel := cfg.loadModel
	if loadModel == nil {
		loadModel = llama.LoadModelFromFile
	}
	e.GPULayers = layers
	progress := cfg.Progress
	mp := llama.ModelParams{NumGpuLayers: layers, UseMmap: true, Progress: func(p float32) {
		if progress != nil {
			progress(p)
		}
	}}
	m, err := loadModel(cfg.ModelPath, mp)
	if err != nil && layers > 0 {
		// A GPU that cannot take the model is no reason to fail: say so once and run on the CPU.
		e.log.Warn("loading on the GPU failed; retrying on the CPU", "model", cfg.ModelPath, "layers", layers)
		mp.NumGpuLayers, e.GPULayers = 0, 0
		m, err = loadModel(cfg.ModelPath, mp)
	}
	if err != nil {
		return fmt.Errorf("load model %s: llama.cpp could not load it", cfg.ModelPath)
	}
	c.model = m
	if err := ctx.Err(); err != nil {
		return err
	}
	c.nEmbd, c.nVocab, c.nCtx, c.batch = m.NEmbd(), m.NumVocab(), cfg.ContextSize, cfg.BatchSize
	params := llama.NewContextParams(cfg.ContextSize, cfg.BatchSize, 1, cfg.Threads, ml.FlashAttentionDisabled, "")
	if c.lctx, err = llama.NewContextWithModel(m, params); err != nil {
		return fmt.Errorf("create context for %s (%d tokens): %w", cfg.ModelPath, cfg.ContextSize, err)
	}
	if c.tokBatch, err = llama.NewBatch(cfg.BatchSize, 1, 0); err != nil {
		return err
	}
	if c.greedy, err = newGreedyRunner(c.lctx); err != nil {
		return err
	}
	if c.embBatch, err = llama.NewBatch(cfg.BatchSize, 1, c.nEmbd); err != nil {
		return err
	}
	if cfg.ProjectorPath == "" {
		return nil
	}
	if gguf.IsGoProjector(e.Projector.ProjectorType) {
		if c.proj, err = audioproj.Load(cfg.ProjectorPath); err != nil {
			return fmt.Errorf("load projector: %w", err)
		}
		return nil
	}
	if c.mtmd, err = llama.NewMtmdContext(c.lctx, cfg.ProjectorPath); err != nil {
		return fmt.Errorf("load projector %s: %w", cfg.ProjectorPath, err)
	}
	c.meta.audioBegin, c.meta.audioEnd = "", "" // mtmd adds the model's own audio markers
	return nil
}

func (c *core) free() {
	if c.drafter != nil {
		c.drafter.free()
	}
	if c.mtp != nil {
		c.mtp.free()
	}
	if c.greedy != nil {
		c.greedy.free()
	}
	if c.mtmd != nil {
		c.mtmd.Free()
	}
	if c.tokBatch != nil {
		c.tokBatch.Free()
	}
	if c.embBatch != nil {
		c.embBatch.Free()
	}
	if c.lctx != nil {
		freeContext(c.lctx)
	}
	if c.model != nil {
		llama.FreeModel(c.model)
	}
}

// smallModel is the size under which one thread decodes faster than several: the matrices fit in cache,
// and waking and syncing ggml's worker threads costs more than the arithmetic they share (measured with
// the demo model: 1 thread ≈ 3000 tokens/s, 2 threads on a busy 2-core machine ≈ 50).
const smallModel = 50_000_000

// DefaultThreads is the thread count used when none is given.
func DefaultThreads(m gguf.Info) int {
	if m.Parameters < smallModel {
		return 1
	}
	return runtime.NumCPU()
}

// do runs f on the owner goroutine.
func (e *Engine) do(ctx context.Context, f func(*core) error) error { return e.loop.Do(ctx, f) }

// Close frees the model and returns once its memory (on the GPU too) is released. Calls in flight
// finish first.
func (e *Engine) Close() { e.loop.Close() }

// CanHear reports whether the engine has an audio projector.
func (e *Engine) CanHear() bool { return e.Projector.ProjectorType != "" }

// Tokenize turns text into token ids; special control tokens in the text are parsed when special is true.
func (e *Engine) Tokenize(ctx context.Context, text string, special bool) ([]int, error) {
	var toks []int
	err := e.do(ctx, func(c *core) (err error) {
		toks, err = c.model.Tokenize(text, false, special)
		return err
	})
	return toks, err
}

// Detokenize renders tokens as text, leaving out control tokens.
func (e *Engine) Detokenize(ctx context.Context, toks []int) (string, error) {
	var s string
	err := e.do(ctx, func(c *core) error {
		var b strings.Builder
		for _, t := range toks {
			b.WriteString(c.piece(t))
		}
		s = b.String()
		return nil
	})
	return s, err
}

func (c *core) piece(t int) string {
	if t < 0 || t >= c.nVocab || (t < len(c.control) && c.control[t]) {
		return ""
	}
	// Pieces are cached: the decode loop should cost what llama.cpp costs, not a cgo call more per token.
	if c.pieces == nil {
		c.pieces = make([]*string, c.nVocab)
	}
	if p := c.pieces[t]; p != nil {
		return *p
	}
	p := c.model.TokenToPiece(t)
	c.pieces[t] = &p
	return p
}

// isEOG reports end-of-generation tokens, cached like pieces.
func (c *core) isEOG(t int) bool {
	if t < 0 || t >= c.nVocab {
		return false
	}
	if c.eog == nil {
		c.eog = make([]int8, c.nVocab)
	}
	if c.eog[t] == 0 {
		c.eog[t] = 1
		if c.model.TokenIsEog(t) {
			c.eog[t] = 2
		}
	}
	return c.eog[t] == 2
}

func controlTokens(f *gguf.File) []bool {
	v, ok := f.Get("tokenizer.ggml.token_type")
	types, _ := v.([]int32)
	if !ok {
		return nil
	}
	out := make([]bool, len(types))
	for i, t := range types {
		out[i] = t == 3 // LLAMA_TOKEN_TYPE_CONTROL
	}
	return out
}
