// Package cli is Verbatim's command line: every subcommand runs without a display.
package cli

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/signal"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"syscall"

	"github.com/verbatim-app/verbatim/app/models"
	"github.com/verbatim-app/verbatim/app/speech"
	"github.com/verbatim-app/verbatim/capture"
)

// Version is set at build time with -ldflags "-X ...cli.Version=…".
var Version = "0.1.0-dev"

// Env is what a command may touch.
type Env struct {
	Stdout, Stderr io.Writer
	StderrIsTTY    bool
	StdoutIsTTY    bool
	CacheDir       string // where bundled models are unpacked
	Log            *slog.Logger
	Engines        speech.Engines     // the inference engines (package inference's, or fakes in tests)
	Mic            capture.Microphone // input devices (capture/miniaudio's, given by main; fakes in tests)
}

// DefaultEnv uses the process's streams and folders.
func DefaultEnv() Env {
	cache, err := os.UserCacheDir()
	if err != nil {
		cache = os.TempDir()
	}
	return Env{Stdout: os.Stdout, Stderr: os.Stderr, StderrIsTTY: isTerminal(os.Stderr), StdoutIsTTY: isTerminal(os.Stdout),
		CacheDir: filepath.Join(cache, "verbatim"), Log: slog.Default()}
}

type command struct {
	name, summary string
	run           func(ctx context.Context, env Env, args []string) error
}

func commands() []command {
	return []command{
		{"transcribe", "transcribe or translate audio files (WAV, MP3, FLAC)", runTranscribe},
		{"listen", "transcribe the microphone live, one line per utterance (--translate LANG, --system-audio for calls)", runListen},
		{"dictate", "hold a shortcut, speak, release: the text is typed into the focused window (X11)", runDictate},
		{"sessions", "list recorded sessions (crashed ones too); recover ID writes one's transcript, remove ID deletes it", runSessions},
		{"history", "list what was transcribed; search QUERY finds any past word (date · source · time · line); reindex", runHistory},
		{"devices", "list microphones and other input devices", runDevices},
		{"serve", "serve the OpenAI audio API (/v1/audio/transcriptions) locally, offline", runServe},
		{"models", "list the models Verbatim finds on this machine", runModels},
		{"version", "print the version (--verbose: CPU features and compute devices)", runVersion},
	}
}

// IsCommand reports whether the arguments ask for the command line rather than the window.
func IsCommand(args []string) bool { return len(args) > 0 }

// ErrUsage marks a mistake in how the command was called (exit status 2).
var ErrUsage = errors.New("usage")

// Run runs a subcommand and returns the process exit status.
func Run(ctx context.Context, env Env, args []string) int {
	if len(args) == 0 || args[0] == "help" || args[0] == "-h" || args[0] == "--help" || args[0] == "-help" {
		if len(args) > 1 {
			return Run(ctx, env, []string{args[1], "--help"})
		}
		usage(env.Stdout)
		return 0
	}
	for _, c := range commands() {
		if c.name != args[0] {
			continue
		}
		err := c.run(ctx, env, args[1:])
		switch {
		case err == nil:
			return 0
		case errors.Is(err, flag.ErrHelp):
			return 0
		case errors.Is(err, ErrUsage):
			fmt.Fprintf(env.Stderr, "verbatim %s: %v\n", c.name, strings.TrimSuffix(err.Error(), ": usage"))
			return 2
		case errors.Is(err, errReported):
			return 1
		case errors.Is(err, context.Canceled):
			fmt.Fprintf(env.Stderr, "verbatim %s: interrupted\n", c.name)
			return 130
		}
		fmt.Fprintf(env.Stderr, "verbatim %s: %v\n", c.name, err)
		return 1
	}
	fmt.Fprintf(env.Stderr, "verbatim: unknown command %q (run 'verbatim help')\n", args[0])
	return 2
}

// errReported means the command already printed its errors (e.g. per file) and only the status remains.
var errReported = errors.New("errors reported")

func usage(w io.Writer) {
	fmt.Fprintf(w, `Verbatim %s: offline live transcription and translation.

Usage:
  verbatim                 open the window
  verbatim COMMAND [flags]

Commands:
`, Version)
	for _, c := range commands() {
		fmt.Fprintf(w, "  %-11s %s\n", c.name, c.summary)
	}
	fmt.Fprintf(w, "\nRun 'verbatim COMMAND --help' for a command's flags. With no --model, the bundled demo model is used.\n")
}

// newFlags makes a flag set whose errors come back as ErrUsage instead of exiting.
func newFlags(env Env, name, args string) *flag.FlagSet {
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	fs.SetOutput(env.Stderr)
	fs.Usage = func() {
		fmt.Fprintf(env.Stderr, "Usage: verbatim %s [flags] %s\n\nFlags:\n", name, args)
		fs.PrintDefaults()
	}
	return fs
}

// parse reads flags wherever they stand among the other arguments (`transcribe a.wav --format srt`),
// as people type them; after "--" everything is an argument. fs.Args() then holds the other arguments.
func parse(fs *flag.FlagSet, args []string) error {
	var rest []string
	for {
		if err := fs.Parse(args); err != nil {
			if errors.Is(err, flag.ErrHelp) {
				return err
			}
			return fmt.Errorf("%v: %w", err, ErrUsage)
		}
		left := fs.Args()
		if len(left) == 0 {
			break
		}
		if used := len(args) - len(left); used > 0 && args[used-1] == "--" {
			rest = append(rest, left...)
			break
		}
		rest, args = append(rest, left[0]), left[1:]
	}
	// Parse again with only "--" and the arguments: flag values stay as set, and fs.Args() is rest.
	return fs.Parse(append([]string{"--"}, rest...))
}

// The bounds of --ctx: below minContext an utterance's audio embeddings do not fit, and maxContext is
// what the engine itself caps a model's own context at (larger only allocates for nothing).
const (
	minContext = 256
	maxContext = 4096
)

// modelFlags are shared by every command that loads a model.
type modelFlags struct {
	model, projector, gpuLayers, draft, mtpHead string
	draftModel, draftProjector                  string
	threads, ctx                                int
}

func (m *modelFlags) register(fs *flag.FlagSet) {
	fs.StringVar(&m.model, "model", "", "language model GGUF (default: the bundled demo model)")
	fs.StringVar(&m.projector, "projector", "", "audio projector (mmproj) GGUF for the model")
	fs.StringVar(&m.gpuLayers, "gpu-layers", "auto", "layers to offload to the GPU: auto or a number (0 = CPU only)")
	fs.IntVar(&m.threads, "threads", 0, "CPU threads (0 = one per core)")
	fs.IntVar(&m.ctx, "ctx", 0, fmt.Sprintf("context size in tokens, %d to %d (0 = the model's, at most %d)", minContext, maxContext, maxContext))
	fs.StringVar(&m.draft, "draft", "auto", "speculative drafting: auto, mtp, model, lookup or off (output is the same)")
	fs.StringVar(&m.mtpHead, "mtp-head", "", "MTP drafter head GGUF for the model (default: MODEL.mtp.gguf beside the model, when there)")
	fs.StringVar(&m.draftModel, "draft-model", "", "draft model GGUF for --draft model: a small model with the model's vocabulary")
	fs.StringVar(&m.draftProjector, "draft-projector", "", "the draft model's audio projector (mmproj) GGUF")
}

// resolve turns the flags into the files to load, drafters included (models.LoadConfig: the rule the
// window follows too).
func (m *modelFlags) resolve(env Env) (speech.LoadConfig, error) {
	layers := speech.AutoGPULayers
	if m.gpuLayers != "auto" {
		n, err := strconv.Atoi(m.gpuLayers)
		if err != nil || n < 0 {
			return speech.LoadConfig{}, fmt.Errorf("--gpu-layers %q: want auto or a number ≥ 0: %w", m.gpuLayers, ErrUsage)
		}
		layers = n
	}
	if m.threads < 0 {
		return speech.LoadConfig{}, fmt.Errorf("--threads %d: want 0 or more: %w", m.threads, ErrUsage)
	}
	threads := m.threads
	if n := runtime.NumCPU(); threads > n {
		// More threads than cores makes llama.cpp's threads wait on each other: many times slower.
		fmt.Fprintf(env.Stderr, "verbatim: --threads %d is more than the %d cores here; using %d\n", threads, n, n)
		threads = n
	}
	if m.ctx != 0 && (m.ctx < minContext || m.ctx > maxContext) {
		return speech.LoadConfig{}, fmt.Errorf("--ctx %d: want 0 (the model's) or %d to %d tokens: %w", m.ctx, minContext, maxContext, ErrUsage)
	}
	d, err := speech.ParseDraftMode(m.draft)
	if err != nil {
		return speech.LoadConfig{}, fmt.Errorf("--draft: %v: %w", err, ErrUsage)
	}
	if m.mtpHead != "" && d != speech.DraftMTP && d != speech.DraftAuto {
		return speech.LoadConfig{}, fmt.Errorf("--mtp-head with --draft %s: %w", m.draft, ErrUsage)
	}
	switch {
	case m.draftModel != "" && d != speech.DraftModel && d != speech.DraftAuto:
		return speech.LoadConfig{}, fmt.Errorf("--draft-model with --draft %s: %w", m.draft, ErrUsage)
	case (m.draftModel == "") != (m.draftProjector == ""):
		return speech.LoadConfig{}, fmt.Errorf("--draft-model and --draft-projector go together (a draft model hears through its own projector): %w", ErrUsage)
	}
	switch {
	case m.model != "" && m.projector == "":
		return speech.LoadConfig{}, fmt.Errorf("--model needs --projector: Verbatim hears through the model's audio projector (an mmproj GGUF); 'verbatim models' lists pairs: %w", ErrUsage)
	case m.model == "" && m.projector != "":
		return speech.LoadConfig{}, fmt.Errorf("--projector without --model: %w", ErrUsage)
	}
	cfg, err := models.LoadConfig(filepath.Join(env.CacheDir, "models"), models.Choice{Model: m.model, Projector: m.projector,
		MTPHead: m.mtpHead, DraftModel: m.draftModel, DraftProjector: m.draftProjector, Draft: d, GPULayers: layers, Threads: threads, Context: m.ctx})
	switch {
	case errors.Is(err, models.ErrNoMTPHead), errors.Is(err, models.ErrNoDraftModel):
		return cfg, fmt.Errorf("%v: %w", err, ErrUsage)
	case errors.Is(err, models.ErrNoDemo):
		return cfg, fmt.Errorf("no model: %w", err)
	}
	cfg.Log = env.Log
	return cfg, err
}

// hearing resolves and loads the model the flags name; the caller closes it.
func (m *modelFlags) hearing(ctx context.Context, env Env) (*speech.Loaded, error) {
	cfg, err := m.resolve(env)
	if err != nil {
		return nil, err
	}
	return env.Engines.Load(ctx, cfg)
}

// Main is the whole command-line program: library logs at warn (debug with VERBATIM_DEBUG set),
// interrupts cancel the command, and the exit status comes back. main gives the engines models load
// through and the microphone listen, dictate and devices record from.
func Main(args []string, engines speech.Engines, mic capture.Microphone) int {
	level := slog.LevelWarn
	if os.Getenv("VERBATIM_DEBUG") != "" {
		level = slog.LevelDebug
	}
	slog.SetDefault(slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: level})))
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	env := DefaultEnv()
	env.Engines, env.Mic = engines, mic
	return Run(ctx, env, args)
}
