// Command gemma4big writes a synthetic Gemma 4 text GGUF at a real model's shapes with random Q4_K weights,
// its gemma4ua audio projector and an MTP head in Verbatim's format, and measures them through the Gemma 4
// engine (issue 13, item 7: the 12B-shaped step of tools/gpu-check.sh). The default shape is the 12B
// "unified" (docs/GEMMA4.md §6; about 7 GB), written in seconds: one layer of each kind (sliding, global)
// is generated and its bytes reused for every layer of that kind, and the file is streamed to disk.
//
//	go run ./tools/gemma4big --out DIR [--small | shape flags]        write DIR/gemma4big{,.mtp}.gguf, DIR/mmproj-gemma4big.gguf
//	go run ./tools/gemma4big --bench --out DIR [--gpu-layers N] [--json FILE|-]   measure them
//
// --bench loads the model with gemma4.Load as `verbatim transcribe` does, hears a clip (--seconds of
// audio, answers of --tokens), and reports prefill (audio rows/s through one Feed), decode (tokens/s as the
// engine reports them), the same with the MTP head (random: it measures drafting overhead, never a
// speedup), and nvidia-smi's memory.used before and after loading where there is nvidia-smi.
//
// Exit status: 0, 1 on a failure, 2 for a mistake in the flags.
package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/signal"
	"path/filepath"
	"syscall"
	"time"

	"github.com/verbatim-app/verbatim/inference/gguf"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	code := run(ctx, os.Args[1:], os.Stdout, os.Stderr)
	stop()
	os.Exit(code)
}

var errUsage = errors.New("usage")

func run(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	err := cmd(ctx, args, stdout, stderr)
	switch {
	case err == nil, errors.Is(err, flag.ErrHelp):
		return 0
	case errors.Is(err, errUsage):
		fmt.Fprintf(stderr, "gemma4big: %v\n", err)
		return 2
	}
	fmt.Fprintf(stderr, "gemma4big: %v\n", err)
	return 1
}

// Files are the three files of a model in dir.
type Files struct{ Model, Projector, Head string }

func filesIn(dir, name string) Files {
	return Files{filepath.Join(dir, name+".gguf"), filepath.Join(dir, "mmproj-"+name+".gguf"), filepath.Join(dir, name+".mtp.gguf")}
}

func cmd(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("gemma4big", flag.ContinueOnError)
	fs.SetOutput(stderr)
	// --small changes the defaults, so shape flags given beside it still apply on top.
	s := Unified12B()
	for _, a := range args {
		if a == "--small" || a == "-small" || a == "--small=true" || a == "-small=true" {
			s = Small()
		}
	}
	out := fs.String("out", ".", "folder of the files")
	name := fs.String("name", "gemma4big", "file name stem: NAME.gguf, mmproj-NAME.gguf, NAME.mtp.gguf")
	_ = fs.Bool("small", false, "a CPU-sized shape: 6 layers (every 3rd global), width 256, FFN 512, 4096 tokens (shape flags still apply on top)")
	fs.IntVar(&s.Layers, "layers", s.Layers, "decoder layers")
	fs.IntVar(&s.Embd, "embd", s.Embd, "width d (multiple of 256)")
	fs.IntVar(&s.FF, "ff", s.FF, "feed-forward width (multiple of 256)")
	fs.IntVar(&s.Heads, "heads", s.Heads, "attention heads")
	fs.IntVar(&s.HeadDimSWA, "head-dim-swa", s.HeadDimSWA, "head dim of sliding layers")
	fs.IntVar(&s.KVHeadsSWA, "kv-heads-swa", s.KVHeadsSWA, "KV heads of sliding layers")
	fs.IntVar(&s.HeadDimGlobal, "head-dim-global", s.HeadDimGlobal, "head dim of global layers (K=V)")
	fs.IntVar(&s.KVGlobal, "kv-heads-global", s.KVGlobal, "KV heads of global layers")
	fs.IntVar(&s.GlobalEvery, "global-every", s.GlobalEvery, "every Nth layer is global")
	fs.IntVar(&s.Window, "window", s.Window, "sliding window")
	fs.IntVar(&s.Vocab, "vocab", s.Vocab, "vocabulary size")
	fs.IntVar(&s.Ctx, "ctx", s.Ctx, "context_length written (the engine uses at most 4096)")
	fs.IntVar(&s.MTPFF, "mtp-ff", s.MTPFF, "the MTP head's feed-forward width")
	fs.StringVar(&s.EmbdType, "embd-type", s.EmbdType, "token_embd (tied output) type: q4_k or q8_0")
	fs.Uint64Var(&s.Seed, "seed", s.Seed, "random seed")
	bench := fs.Bool("bench", false, "measure the files in --out instead of writing them")
	model := fs.String("model", "", "--bench: the model (default: --out/NAME.gguf)")
	projector := fs.String("projector", "", "--bench: the projector (default: --out/mmproj-NAME.gguf)")
	head := fs.String("mtp-head", "", "--bench: the MTP head (default: --out/NAME.mtp.gguf when there; \"none\" skips drafting)")
	gpuLayers := fs.Int("gpu-layers", 0, "--bench: layers on the GPU, counting the output layer (999: all)")
	threads := fs.Int("threads", 0, "--bench: CPU threads (0: the engine's rule)")
	seconds := fs.Int("seconds", 20, "--bench: seconds of audio (25 rows each)")
	tokens := fs.Int("tokens", 64, "--bench: answer tokens at most")
	rounds := fs.Int("rounds", 2, "--bench: measured rounds per mode after one warm-up")
	requireGPU := fs.Bool("require-gpu", false, "--bench: fail instead of measuring the CPU when --gpu-layers > 0 and nothing was offloaded")
	jsonOut := fs.String("json", "", "--bench: also write the figures as one JSON object to this file (\"-\": print it instead of the table)")
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return err
		}
		return fmt.Errorf("%v: %w", err, errUsage)
	}
	if fs.NArg() > 0 {
		return fmt.Errorf("unexpected arguments %q: %w", fs.Args(), errUsage)
	}
	f := filesIn(*out, *name)
	if *bench {
		if *model == "" {
			*model = f.Model
		}
		if *projector == "" {
			*projector = f.Projector
		}
		switch {
		case *head == "none":
			*head = ""
		case *head == "":
			if _, err := os.Stat(f.Head); err == nil {
				*head = f.Head
			}
		}
		if *seconds < 1 || *tokens < 1 || *rounds < 1 {
			return fmt.Errorf("--seconds, --tokens and --rounds must be at least 1: %w", errUsage)
		}
		log := slog.New(slog.NewTextHandler(stderr, &slog.HandlerOptions{Level: slog.LevelWarn}))
		rep, err := runBench(ctx, benchConfig{model: *model, projector: *projector, head: *head, gpuLayers: *gpuLayers,
			threads: *threads, seconds: *seconds, tokens: *tokens, rounds: *rounds, requireGPU: *requireGPU}, log)
		if err != nil {
			return err
		}
		switch *jsonOut {
		case "-":
			return json.NewEncoder(stdout).Encode(rep)
		case "":
		default:
			b, err := json.MarshalIndent(rep, "", "  ")
			if err != nil {
				return err
			}
			if err := os.WriteFile(*jsonOut, append(b, '\n'), 0o644); err != nil {
				return err
			}
		}
		printReport(stdout, rep)
		return nil
	}
	if err := s.validate(); err != nil {
		return fmt.Errorf("%v: %w", err, errUsage)
	}
	if err := os.MkdirAll(*out, 0o755); err != nil {
		return err
	}
	return Write(s, f, stdout)
}

// Write writes the model, its projector and its MTP head, reporting each file's size and time.
func Write(s Shape, f Files, log io.Writer) error {
	for _, x := range []struct {
		path string
		w    *gguf.Writer
	}{{f.Model, s.modelFile()}, {f.Projector, s.projectorFile()}, {f.Head, s.headFile()}} {
		start := time.Now()
		if err := x.w.WriteFile(x.path); err != nil {
			return err
		}
		st, err := os.Stat(x.path)
		if err != nil {
			return err
		}
		fmt.Fprintf(log, "wrote %s: %.1f MB in %.1f s\n", x.path, float64(st.Size())/1e6, time.Since(start).Seconds())
	}
	return nil
}
