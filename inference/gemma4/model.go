package gemma4

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"runtime"

	"github.com/ollama/ollama/kvcache"
	"github.com/ollama/ollama/llama"
	"github.com/ollama/ollama/ml"
	_ "github.com/ollama/ollama/ml/backend/ggml" // registers the "ggml" backend model.New loads with
	"github.com/ollama/ollama/model"
	"github.com/ollama/ollama/model/input"
	ogemma4 "github.com/ollama/ollama/model/models/gemma4"
	"github.com/ollama/ollama/tokenizer"

	"github.com/verbatim-app/verbatim/app/speech"
	"github.com/verbatim-app/verbatim/capture/pcm"
	"github.com/verbatim-app/verbatim/inference/audioproj"
	"github.com/verbatim-app/verbatim/inference/gguf"
	"github.com/verbatim-app/verbatim/inference/owner"
)

// Config says which files to load and how.
type Config struct {
	ModelPath     string
	ProjectorPath string          // what the model hears through (see checkProjector); required to hear
	GPULayers     int             // speech.AutoGPULayers, 0 (CPU only) or N, counting the output layer
	Devices       []speech.Device // for --gpu-layers auto; nil: none, so auto stays on the CPU
	Threads       int             // 0: DefaultThreads
	// DefaultThreads chooses the thread count for a model; nil: one per CPU.
	DefaultThreads func(gguf.Info) int
	ContextSize    int // 0: the model's own, at most 4096
	BatchSize      int // 0: 512
	MaxTokens      int // per target; 0: a budget from the audio's length
	Instruction    func(target string) string
	Progress       func(float32)
	Logger         *slog.Logger

	// Tests of the GPU fallback replace where layers go (gpuLayers) and ollama's loader (model.New).
	placeLayers func(n, blocks int) ml.GPULayersList
	newModel    func(string, ml.BackendParams) (model.Model, error)
}

// Model is a loaded Gemma 4 model with its projector, ready to hear.
type Model struct {
	Info      gguf.Info
	Projector gguf.Info // the projector's, or Info when the model file carries its audio conformer
	Threads   int
	Ctx       int
	GPULayers int // layers actually offloaded, out of Info.BlockCount+1

	cfg  Config
	loop *owner.Loop[*core]
}

// ErrClosed is returned by calls on a closed model.
var ErrClosed = errors.New("Gemma 4 model is closed")

// core is the state only the owner goroutine touches.
type core struct {
	m        *ogemma4.Model
	audio    *ogemma4.Model // whose conformer hears E2B/E4B: m itself, or the model made from a gemma4a mmproj
	cache    *kvcache.WrapperCache
	layout   layout
	proj     audioproj.Projector
	batch    int
	nCtx     int
	epoch    int // bumped whenever the KV cache is reset, so stale utterances notice
	suppress []int32
	prompts  map[string][2][]int32 // target → tokens before and after the audio
	hear     hearing
}

// Load checks the files before ggml sees them, loads the model through ollama's engine and starts the
// owner goroutine.
func Load(ctx context.Context, cfg Config) (*Model, error) {
	if cfg.Logger == nil {
		cfg.Logger = slog.Default()
	}
	mf, minfo, err := gguf.Check(cfg.ModelPath)
	if err != nil {
		return nil, fmt.Errorf("load model: %w", err)
	}
	if !gguf.IsGoEngineArchitecture(minfo.Architecture) {
		return nil, fmt.Errorf("load model: %s is a %q model, not Gemma 4", cfg.ModelPath, minfo.Architecture)
	}
	pinfo, hear, err := checkProjector(cfg, mf, minfo)
	if err != nil {
		return nil, err
	}
	lay, err := readLayout(mf)
	if err != nil {
		return nil, fmt.Errorf("load model: %w", err)
	}
	if cfg.Threads <= 0 {
		cfg.Threads = runtime.NumCPU()
		if cfg.DefaultThreads != nil {
			cfg.Threads = cfg.DefaultThreads(minfo)
		}
	}
	if cfg.BatchSize <= 0 {
		cfg.BatchSize = 512
	}
	if cfg.ContextSize <= 0 {
		// At most 4096, as the llama.cpp engine: beyond that ollama's sliding-window cache starts forgetting
		// cells (kvcache.NewSWAMemCache with 4096, as model.go:114-118), and the memory is not worth it for speech.
		cfg.ContextSize = int(min(max(minfo.ContextLength, 256), 4096))
	}
	m := &Model{Info: minfo, Projector: pinfo, Threads: cfg.Threads, Ctx: cfg.ContextSize, cfg: cfg,
		loop: owner.New[*core](ErrClosed)}
	c := &core{layout: lay, batch: cfg.BatchSize, nCtx: cfg.ContextSize, prompts: map[string][2][]int32{}, hear: hear}
	if hear != hearInGo {
		c.proj = conformer{c: c, dim: int(minfo.EmbeddingLen), log: cfg.Logger}
	} else if c.proj, err = audioproj.Load(cfg.ProjectorPath); err != nil {
		return nil, fmt.Errorf("load projector: %w", err)
	}
	ready := make(chan error, 1)
	go m.own(ctx, c, ready)
	if err := <-ready; err != nil {
		return nil, err
	}
	return m, nil
}

// hearing says where a model's audio embeddings come from.
type hearing int

const (
	hearInGo   hearing = iota // a projector Verbatim computes in Go: gemma4ua (the 12B's raw frames) or the demo's log-mel
	hearOwn                   // the audio conformer inside the model file, as Ollama stores E2B/E4B
	hearMmproj                // the conformer of a llama.cpp gemma4a mmproj, as Hugging Face has E2B/E4B
)

// checkProjector checks what the model hears through before ggml sees it: a projector that fits the model,
// or the model's own conformer when no projector or the model file itself is given. Its info is the
// projector's, or the model's own.
func checkProjector(cfg Config, mf *gguf.File, minfo gguf.Info) (pinfo gguf.Info, hear hearing, err error) {
	if cfg.ProjectorPath == "" || sameFile(cfg.ProjectorPath, cfg.ModelPath) {
		if err := mf.Gemma4OwnAudio(speech.ErrNoAudio); err != nil {
			return pinfo, 0, fmt.Errorf("load model: %w", err)
		}
		return minfo, hearOwn, nil
	}
	if _, pinfo, err = gguf.Check(cfg.ProjectorPath); err != nil {
		return pinfo, 0, fmt.Errorf("load projector: %w", err)
	}
	if pinfo.Kind != gguf.KindProjector {
		return pinfo, 0, fmt.Errorf("load projector: %s is a %s, not a projector", cfg.ProjectorPath, pinfo.Kind)
	}
	hear = hearInGo
	if pinfo.ProjectorType == gguf.ProjectorGemma4A {
		hear = hearMmproj
	} else if !gguf.IsGoProjector(pinfo.ProjectorType) {
		return pinfo, 0, fmt.Errorf("load projector: %s is a %s projector; the Gemma 4 engine hears through a %s projector (the 12B's raw frames), an E2B/E4B %s projector or the audio encoder inside an E2B/E4B model file, or Verbatim's %s projector (the demo model's)",
			cfg.ProjectorPath, pinfo.ProjectorType, gguf.ProjectorGemma4UA, gguf.ProjectorGemma4A, gguf.ProjectorLogMel)
	}
	if err := gguf.CheckPair(mf, minfo, pinfo); err != nil {
		return pinfo, 0, fmt.Errorf("load projector: %w", err)
	}
	return pinfo, hear, nil
}

// conformer hears through E2B/E4B's audio conformer (ollama's model_audio.go, entered through
// Model.EncodeMultimodal, docs/GEMMA4.md §5) as an audioproj.Projector. Its subsampling
// convolutions pad both ends of the clip and the entry takes a whole WAV, so a stream keeps the samples and
// encodes them at Flush, on the owner goroutine: Push returns nothing, and a provisional line (Peek) encodes
// the utterance so far again (Preview).
type conformer struct {
	c   *core
	dim int
	log *slog.Logger
}

func (p conformer) Type() string                { return "gemma4 conformer" }
func (p conformer) Dim() int                    { return p.dim }
func (p conformer) NewStream() audioproj.Stream { return &conformerStream{p: p} }

type conformerStream struct {
	p       conformer
	samples []float32
}

func (s *conformerStream) Push(samples []float32) [][]float32 {
	s.samples = append(s.samples, samples...)
	return nil
}

// Preview encodes the utterance so far and keeps its samples, for a provisional line; nil while it is
// shorter than one mel frame (or the encoder fails: Flush will say so).
func (s *conformerStream) Preview() [][]float32 {
	rows, _ := s.p.c.encodeAudio(s.samples)
	return rows
}

// Flush encodes the utterance. The Stream interface has no error: a clip the encoder refuses (shorter than
// one 20 ms mel frame) or a failure is heard as silence, with a warning.
func (s *conformerStream) Flush() [][]float32 {
	rows, err := s.p.c.encodeAudio(s.samples)
	s.samples = nil
	if err != nil {
		s.p.log.Warn("Gemma 4's audio encoder could not hear this utterance", "err", err)
	}
	return rows
}

// encodeAudio runs the conformer over 16 kHz samples and returns one embedding row per audio token.
func (c *core) encodeAudio(samples []float32) (rows [][]float32, err error) {
	if len(samples) == 0 {
		return nil, nil
	}
	defer func() {
		if r := recover(); r != nil { // ggml's allocation failures are panics (as in open)
			rows, err = nil, fmt.Errorf("ollama's audio encoder failed: %v", r)
		}
	}()
	var wav bytes.Buffer
	if err := pcm.EncodeWAV(&wav, samples, pcm.Rate); err != nil {
		return nil, fmt.Errorf("encode audio: %w", err)
	}
	ctx := c.audio.Backend().NewContext()
	defer ctx.Close()
	mm, err := c.audio.EncodeMultimodal(ctx, wav.Bytes())
	if err != nil {
		return nil, fmt.Errorf("encode audio: %w", err)
	}
	t := mm[0].Tensor // [width, tokens]
	ctx.Forward(t).Compute(t)
	f, d := t.Floats(), t.Dim(0)
	for i := 0; i+d <= len(f); i += d {
		rows = append(rows, f[i:i+d])
	}
	return rows, nil
}

// sameFile reports whether a and b name one file (a blob reached by two paths included).
func sameFile(a, b string) bool {
	sa, err := os.Stat(a)
	if err != nil {
		return false
	}
	sb, err := os.Stat(b)
	return err == nil && os.SameFile(sa, sb)
}

// own loads the model on its goroutine and then serves jobs until Close.
func (m *Model) own(ctx context.Context, c *core, ready chan<- error) {
	m.loop.Serve(c, func() error { return c.load(ctx, m) }, c.free, ready)
}

func (c *core) load(ctx context.Context, m *Model) error {
	cfg := m.cfg
	layers := cfg.GPULayers
	if layers == speech.AutoGPULayers {
		layers = speech.AutoLayers(m.Info, cfg.ContextSize, cfg.Devices)
	}
	place := cfg.placeLayers
	if place == nil {
		place = gpuLayers
	}
	gpus := place(layers, int(m.Info.BlockCount))
	err := c.open(ctx, cfg, gpus)
	if err != nil && gpus != nil && ctx.Err() == nil {
		// A GPU that cannot take the model is no reason to fail: say so once and run on the CPU.
		cfg.Logger.Warn("loading Gemma 4 on the GPU failed; retrying on the CPU", "model", cfg.ModelPath, "layers", layers, "err", err)
		c.free()
		gpus, err = nil, c.open(ctx, cfg, nil)
	}
	if gpus != nil {
		m.GPULayers = len(gpus[0].Layers)
	}
	return err
}

// gpuLayers puts the last n of the model's blocks+1 layers (the output layer is index blocks) on the first
// GPU, as ollama's greedyFit does (llm/server.go:1174-1198); nil when n is 0 or there is no GPU.
func gpuLayers(n, blocks int) ml.GPULayersList {
	n = min(n, blocks+1)
	if n <= 0 {
		return nil
	}
	llama.BackendInit() // loads the GPU backends from lib/ollama, once
	gpus := llama.EnumerateGPUs()
	if len(gpus) == 0 {
		return nil
	}
	g := ml.GPULayers{DeviceID: gpus[0].DeviceID}
	for l := blocks + 1 - n; l <= blocks; l++ {
		g.Layers = append(g.Layers, l)
	}
	return ml.GPULayersList{g}
}

// open loads the weights with the layers in gpus offloaded, makes the KV cache and reserves the graphs of
// a prompt batch and of one token, so memory that is not there fails here, not in the middle of speech.
func (c *core) open(ctx context.Context, cfg Config, gpus ml.GPULayersList) (err error) {
	// ggml reports allocation failures as panics of ml.ErrNoMem (ml/backend/ggml/ggml.go:418,876,926); a file
	// that passed gguf.Check should fail no other way, but a panic must not take the app down.
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("load model %s: ollama's engine failed: %v", cfg.ModelPath, r)
		}
	}()
	newModel := cfg.newModel
	if newModel == nil {
		newModel = model.New
	}
	mm, err := newModel(cfg.ModelPath, ml.BackendParams{AllocMemory: true, NumThreads: cfg.Threads, GPULayers: gpus})
	if err != nil {
		return fmt.Errorf("load model %s: %w", cfg.ModelPath, err)
	}
	g, ok := mm.(*ogemma4.Model)
	if !ok {
		mm.Backend().Close()
		return fmt.Errorf("load model %s: ollama built a %T, not a Gemma 4 model", cfg.ModelPath, mm)
	}
	c.m, c.audio = g, g
	if c.hear == hearMmproj {
		if c.audio, err = openMmprojConformer(ctx, cfg, newModel); err != nil {
			return err
		}
	}
	// The model's own cache (model.go:114-118) masks with pos < cur-window, so a sliding layer sees window+1
	// positions; Gemma 4 (Hugging Face, llama.cpp) sees window. A cache one narrower matches the reference.
	c.cache = kvcache.NewWrapperCache(
		kvcache.NewSWAMemCache(int32(c.layout.window-1), 4096, g.Shift),
		kvcache.NewCausalCache(g.Shift),
	)
	c.cache.Init(g.Backend(), ml.DTypeF16, 1, cfg.ContextSize, cfg.BatchSize)
	for _, n := range []int{cfg.BatchSize, 1} {
		c.reserve(n)
	}
	progress := cfg.Progress
	if progress == nil {
		progress = func(float32) {}
	}
	if err := g.Backend().Load(ctx, progress); err != nil {
		return fmt.Errorf("load model %s: %w", cfg.ModelPath, err)
	}
	c.suppress = nil
	for _, id := range c.layout.suppress {
		if id >= 0 && int(id) < len(g.Vocabulary().Values) {
			c.suppress = append(c.suppress, id)
		}
	}
	return nil
}

// openMmprojConformer loads the audio conformer of a llama.cpp gemma4a mmproj as a second model of ollama's
// engine, on the CPU. Ollama's loader reads one file by path and its names differ from llama.cpp's, so the
// audio tensors are first copied, renamed (gguf.Gemma4AConformer), into a temporary file, which is removed
// once the weights are in memory. No graph spans the two models: the encoder's rows are copied out and fed
// to the text model as embeddings, as gemma4ua frames are.
func openMmprojConformer(ctx context.Context, cfg Config, newModel func(string, ml.BackendParams) (model.Model, error)) (*ogemma4.Model, error) {
	fail := func(err error) (*ogemma4.Model, error) {
		return nil, fmt.Errorf("load projector %s: %w", cfg.ProjectorPath, err)
	}
	f, err := gguf.Open(cfg.ProjectorPath)
	if err != nil {
		return fail(err)
	}
	src, err := os.Open(cfg.ProjectorPath)
	if err != nil {
		return fail(err)
	}
	defer src.Close()
	w, err := f.Gemma4AConformer(src)
	if err != nil {
		return fail(err)
	}
	tmp, err := os.CreateTemp("", "verbatim-gemma4a-*.gguf")
	if err != nil {
		return fail(fmt.Errorf("make a temporary file for its audio encoder: %w", err))
	}
	defer os.Remove(tmp.Name())
	_, err = w.WriteTo(tmp)
	if cerr := tmp.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return fail(fmt.Errorf("copy its audio encoder to %s: %w (set TMPDIR to a folder with room for it)", tmp.Name(), err))
	}
	mm, err := newModel(tmp.Name(), ml.BackendParams{AllocMemory: true, NumThreads: cfg.Threads})
	if err != nil {
		return fail(err)
	}
	g, ok := mm.(*ogemma4.Model)
	if !ok {
		mm.Backend().Close()
		return fail(fmt.Errorf("ollama built a %T, not a Gemma 4 model", mm))
	}
	if err := g.Backend().Load(ctx, func(float32) {}); err != nil {
		g.Backend().Close()
		return fail(err)
	}
	return g, nil
}

// reserve allocates the worst-case graph of an n-row batch (runner.go:1076-1180); it panics like Compute.
func (c *core) reserve(n int) {
	ctx := c.m.Backend().NewContext()
	defer ctx.Close()
	b := input.Batch{Positions: make([]int32, n), Sequences: make([]int, n)}
	for i := range b.Positions {
		b.Positions[i] = int32(i)
	}
	b.Inputs = ctx.Input().FromInts(make([]int32, n), n)
	b.Outputs = ctx.Input().FromInts([]int32{int32(n - 1)}, 1)
	if err := c.cache.StartForward(ctx, b, true); err != nil {
		panic(err)
	}
	h, l := c.graph(ctx, b, nil)
	ctx.SetBatchSize(n)
	ctx.Forward(h, l).Reserve()
}

func (c *core) free() {
	if c.audio != nil && c.audio != c.m {
		c.audio.Backend().Close()
	}
	c.audio = nil
	if c.cache != nil {
		c.cache.Close()
		c.cache = nil
	}
	if c.m != nil {
		c.m.Backend().Close()
		c.m = nil
	}
}

// do runs f on the owner goroutine.
func (m *Model) do(ctx context.Context, f func(*core) error) error { return m.loop.Do(ctx, f) }

// Close frees the model and returns once its memory is released. Calls in flight finish first.
func (m *Model) Close() { m.loop.Close() }

// isControl reports tokens that are never rendered (turn and audio markers, BOS, EOS).
func (c *core) isControl(t int32) bool {
	types := c.m.Vocabulary().Types
	return int(t) < len(types) && types[t] == tokenizer.TOKEN_TYPE_CONTROL
}
