// Command bench measures the speed of the paths users run (make bench), each with its output checked, on
// this machine, side by side in one run:
//
//   - decode_native_ratio, prefill_native_ratio: an utterance heard through inference.Utterance (Feed, then
//     Finish with drafting off: the code `transcribe` and `listen` run) against a plain C loop over the same
//     llama.cpp, model, inputs and threads (tools/nativebench), on a synthetic ≥ 300 M-parameter Q8_0 model
//     made at run time; the *_demo keys are the same on the bundled demo model. The C loop must choose the
//     same tokens.
//
//   - batch_times_real_time: `verbatim transcribe` of a 10-minute recording on disk (22.05 kHz WAV of the
//     development set's sentences between pauses: decoding, resampling, segmenting, the model, the default
//     draft mode), its word error rate in details; peak_rss_mb: the same command on a 1-hour recording.
//
//   - live_eos_to_text_ms: in the live pipeline (app/live, default draft mode, as `listen` runs it, fed in
//     real time), the segmenter's end-of-speech decision → the final text, median and max.
//
//   - spec_mtp_speedup, spec_draft_speedup, spec_lookup_speedup: the time to hear a clip (audio prefill of
//     the target and the drafter included) without drafting / with it, for transcription and translation
//     of the development set's clips, with acceptance rates. Every drafted text must equal plain greedy.
//
//     go run ./tools/bench [--json] [--rounds N] [--threads N] [--gpu-layers auto|N] [--quick] [--bin PATH]
//
// A figure not measured is null. Exit status: 0, 1 on a failure, 2 for a mistake in the flags, 130 when
// interrupted.
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
	"runtime"
	"sort"
	"strconv"
	"strings"
	"syscall"

	"github.com/verbatim-app/verbatim/app/speech"
	"github.com/verbatim-app/verbatim/assets"
	"github.com/verbatim-app/verbatim/inference"
	"github.com/verbatim-app/verbatim/tools/testenv"
)

func main() {
	level := slog.LevelWarn
	if os.Getenv("VERBATIM_DEBUG") != "" {
		level = slog.LevelDebug
	}
	slog.SetDefault(slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: level})))
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	code := run(ctx, os.Args[1:], os.Stdout, os.Stderr)
	stop()
	os.Exit(code)
}

// errUsage marks a mistake in the flags (exit status 2).
var errUsage = errors.New("usage")

// run is the whole command; it returns the exit status.
func run(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	err := bench(ctx, args, stdout, stderr)
	switch {
	case err == nil, errors.Is(err, flag.ErrHelp):
		return 0
	case errors.Is(err, errUsage):
		fmt.Fprintf(stderr, "bench: %v\n", strings.TrimSuffix(err.Error(), ": usage"))
		return 2
	case errors.Is(err, context.Canceled):
		fmt.Fprintln(stderr, "bench: interrupted")
		return 130
	}
	fmt.Fprintf(stderr, "bench: %v\n", err)
	return 1
}

// report holds the figures --json prints; nil is printed as null (not measured).
type report struct {
	DecodeNativeRatio      *float64       `json:"decode_native_ratio"`
	PrefillNativeRatio     *float64       `json:"prefill_native_ratio"`
	DecodeNativeRatioDemo  *float64       `json:"decode_native_ratio_demo"`
	PrefillNativeRatioDemo *float64       `json:"prefill_native_ratio_demo"`
	BatchTimesRealTime     *float64       `json:"batch_times_real_time"`
	PeakRSSMB              *float64       `json:"peak_rss_mb"`
	LiveEOSToTextMs        *latency       `json:"live_eos_to_text_ms"`
	SpecMTPSpeedup         *speedup       `json:"spec_mtp_speedup"`
	SpecMTPSpeedupGemma4   *speedup       `json:"spec_mtp_speedup_gemma4"`
	SpecDraftSpeedup       *speedup       `json:"spec_draft_speedup"`
	SpecLookupSpeedup      *speedup       `json:"spec_lookup_speedup"`
	Details                map[string]any `json:"details"`
}

// latency is a median and a maximum in milliseconds.
type latency struct {
	Median float64 `json:"median"`
	Max    float64 `json:"max"`
}

// speedup is the time to hear the clips without drafting over the time with it, per task, and the share
// of drafted tokens the model accepted (both tasks).
type speedup struct {
	Transcribe float64 `json:"transcribe"`
	Translate  float64 `json:"translate"`
	Acceptance float64 `json:"acceptance"`
}

func f64(v float64) *float64 { return &v }

func median(xs []float64) float64 {
	s := append([]float64(nil), xs...)
	sort.Float64s(s)
	return s[len(s)/2]
}

// settings are the flags every measurement shares.
type settings struct {
	rounds, threads, layers int
	quick                   bool   // smaller inputs (the test of this command): every figure, less time
	bin                     string // the verbatim binary for batch_times_real_time
	dir                     string // scratch folder
}

func bench(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("bench", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() {
		fmt.Fprintf(stderr, "Usage: go run ./tools/bench [flags]\n\nFlags:\n")
		fs.PrintDefaults()
	}
	asJSON := fs.Bool("json", false, "print one JSON object instead of a table")
	rounds := fs.Int("rounds", 5, "measurements per native ratio (medians are reported; Go and native runs alternate)")
	threads := fs.Int("threads", 0, "CPU threads (0 = chosen by model size)")
	gpu := fs.String("gpu-layers", "0", "layers to offload to the GPU: auto, or a number (0 = CPU only, the default, so runs compare)")
	quick := fs.Bool("quick", false, "smaller inputs (the test of this command): a 4-layer synthetic model, fewer clips, a 1-minute file for both batch figures")
	bin := fs.String("bin", "", "the verbatim binary to time transcribe with (default: $VERBATIM_BIN, else bin/verbatim of this clone)")
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return err
		}
		return fmt.Errorf("%v: %w", err, errUsage)
	}
	if fs.NArg() > 0 {
		return fmt.Errorf("unexpected arguments %q: %w", fs.Args(), errUsage)
	}
	if *rounds < 1 {
		return fmt.Errorf("--rounds must be at least 1: %w", errUsage)
	}
	layers, err := gpuLayers(*gpu)
	if err != nil {
		return err
	}
	if *threads < 0 {
		return fmt.Errorf("--threads %d: want 0 or more: %w", *threads, errUsage)
	}
	if n := runtime.NumCPU(); *threads > n {
		// More threads than cores makes llama.cpp's threads wait on each other: many times slower.
		fmt.Fprintf(stderr, "bench: --threads %d is more than the %d cores here; using %d\n", *threads, n, n)
		*threads = n
	}
	if !assets.HasDemo() {
		return errors.New("this build has no bundled demo model (make demo-model)")
	}
	s := settings{rounds: *rounds, threads: *threads, layers: layers, quick: *quick, bin: *bin}
	if s.bin == "" {
		if s.bin = os.Getenv("VERBATIM_BIN"); s.bin == "" {
			if s.bin, err = testenv.RepoPath("bin/verbatim"); err != nil {
				return err
			}
		}
	}
	if s.dir, err = os.MkdirTemp("", "verbatim-bench-"); err != nil {
		return err
	}
	defer os.RemoveAll(s.dir)
	rep := report{Details: map[string]any{"simd": inference.SIMDFeatures(), "rounds": *rounds, "gpu_layers": *gpu}}
	clips, err := heldOutClips(ctx, s)
	if err != nil {
		return err
	}
	for _, m := range []struct {
		name string
		f    func(context.Context, settings, []clip, *report) error
	}{
		{"native ratios, synthetic model", benchNativeLarge},
		{"native ratios, demo model", benchNativeDemo},
		{"drafting", benchDrafting},
		{"drafting, Gemma 4 engine", benchGemma4MTP},
		{"live pipeline", benchLive},
		{"batch transcription", benchBatch},
	} {
		fmt.Fprintf(stderr, "bench: %s…\n", m.name)
		if err := m.f(ctx, s, clips, &rep); err != nil {
			return fmt.Errorf("%s: %w", m.name, err)
		}
	}
	if *asJSON {
		return json.NewEncoder(stdout).Encode(rep)
	}
	printReport(stdout, rep)
	return nil
}

// gpuLayers reads --gpu-layers: auto or a number ≥ 0.
func gpuLayers(s string) (int, error) {
	if s == "auto" {
		return speech.AutoGPULayers, nil
	}
	n, err := strconv.Atoi(s)
	if err != nil || n < 0 {
		return 0, fmt.Errorf("--gpu-layers %q: want auto or a number ≥ 0: %w", s, errUsage)
	}
	return n, nil
}

func printReport(w io.Writer, r report) {
	row := func(name string, v *float64, unit string) {
		if v == nil {
			fmt.Fprintf(w, "%-34s %12s\n", name, "not measured")
			return
		}
		fmt.Fprintf(w, "%-34s %12.2f %s\n", name, *v, unit)
	}
	spd := func(name string, v *speedup) {
		if v == nil {
			fmt.Fprintf(w, "%-34s %12s\n", name, "not measured")
			return
		}
		fmt.Fprintf(w, "%-34s %12.2f × transcribe, %.2f × translate, %.0f %% accepted\n", name, v.Transcribe, v.Translate, 100*v.Acceptance)
	}
	row("decode / native C (synthetic)", r.DecodeNativeRatio, "×")
	row("prefill / native C (synthetic)", r.PrefillNativeRatio, "×")
	row("decode / native C (demo)", r.DecodeNativeRatioDemo, "×")
	row("prefill / native C (demo)", r.PrefillNativeRatioDemo, "×")
	row("batch transcription", r.BatchTimesRealTime, "× real time")
	row("peak RSS, 1-hour file", r.PeakRSSMB, "MB")
	if l := r.LiveEOSToTextMs; l != nil {
		fmt.Fprintf(w, "%-34s %12.1f ms median, %.1f ms max\n", "live end of speech → text", l.Median, l.Max)
	} else {
		fmt.Fprintf(w, "%-34s %12s\n", "live end of speech → text", "not measured")
	}
	spd("MTP head", r.SpecMTPSpeedup)
	spd("MTP head, Gemma 4 engine", r.SpecMTPSpeedupGemma4)
	spd("draft model", r.SpecDraftSpeedup)
	spd("prompt lookup", r.SpecLookupSpeedup)
	keys := make([]string, 0, len(r.Details))
	for k := range r.Details {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		fmt.Fprintf(w, "  %s: %v\n", k, r.Details[k])
	}
}
