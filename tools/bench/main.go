// Command bench measures speed (make bench): prefill and decode on a synthetic model with the Go loop
// side by side with the native C loop (tools/nativebench), prompt-lookup drafting on a 103 M-parameter
// model, and on the bundled demo model the real-time factor, end-of-speech latency and the speedup of
// each drafter. It was `verbatim bench`; it lives here so that the shipped binary carries no benchmark.
//
//	go run ./tools/bench [--json] [--rounds N] [--threads N] [--gpu-layers auto|N]
//
// With --json it prints one JSON object (prefill_tps, decode_tps, native_decode_tps, go_native_ratio, rtf,
// eos_latency_ms, peak_rss_mb, spec_lookup_speedup, spec_draft_speedup, spec_mtp_speedup, details); a
// figure not measured is null. Exit status: 0, 1 on a failure, 2 for a mistake in the flags, 130 when
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
	"os/exec"
	"os/signal"
	"path/filepath"
	"runtime"
	"sort"
	"strconv"
	"strings"
	"syscall"
	"time"
	"unsafe"

	"github.com/verbatim-app/verbatim/app/speech"
	"github.com/verbatim-app/verbatim/assets"
	"github.com/verbatim-app/verbatim/capture/audiofile"
	"github.com/verbatim-app/verbatim/capture/pcm"
	"github.com/verbatim-app/verbatim/inference"
	"github.com/verbatim-app/verbatim/inference/testmodel"
	"github.com/verbatim-app/verbatim/tools/nativebench"
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
	PrefillTPS        *float64       `json:"prefill_tps"`
	DecodeTPS         *float64       `json:"decode_tps"`
	NativeDecodeTPS   *float64       `json:"native_decode_tps"`
	GoNativeRatio     *float64       `json:"go_native_ratio"`
	RTF               *float64       `json:"rtf"`
	EOSLatencyMs      *float64       `json:"eos_latency_ms"`
	PeakRSSMB         *float64       `json:"peak_rss_mb"`
	SpecLookupSpeedup *float64       `json:"spec_lookup_speedup"`
	SpecDraftSpeedup  *float64       `json:"spec_draft_speedup"`
	SpecMTPSpeedup    *float64       `json:"spec_mtp_speedup"`
	Details           map[string]any `json:"details"`
}

func f64(v float64) *float64 { return &v }

func median(xs []float64) float64 {
	s := append([]float64(nil), xs...)
	sort.Float64s(s)
	return s[len(s)/2]
}

func bench(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("bench", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() {
		fmt.Fprintf(stderr, "Usage: go run ./tools/bench [flags]\n\nFlags:\n")
		fs.PrintDefaults()
	}
	asJSON := fs.Bool("json", false, "print one JSON object instead of a table")
	rounds := fs.Int("rounds", 7, "measurements per figure (medians are reported; Go and native runs alternate)")
	threads := fs.Int("threads", 0, "CPU threads (0 = chosen by model size)")
	gpu := fs.String("gpu-layers", "0", "layers to offload to the GPU: auto, or a number (0 = CPU only, the default, so runs compare)")
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
	demoThreads := *threads
	if n := runtime.NumCPU(); demoThreads > n {
		// More threads than cores makes llama.cpp's threads wait on each other: many times slower.
		fmt.Fprintf(stderr, "bench: --threads %d is more than the %d cores here; using %d for the demo model\n", demoThreads, n, n)
		demoThreads = n
	}
	dir, err := os.MkdirTemp("", "verbatim-bench-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(dir)
	rep := report{Details: map[string]any{"simd": inference.SIMDFeatures(), "rounds": *rounds}}
	rep.Details["gpu_layers"] = *gpu
	if err := benchSynthetic(ctx, dir, *threads, layers, *rounds, &rep); err != nil {
		return fmt.Errorf("synthetic model: %w", err)
	}
	if assets.HasDemo() {
		if err := benchDemo(ctx, demoThreads, layers, *rounds, &rep); err != nil {
			return fmt.Errorf("demo model: %w", err)
		}
	} else {
		rep.Details["demo"] = "not in this build"
	}
	var ru syscall.Rusage
	if syscall.Getrusage(syscall.RUSAGE_SELF, &ru) == nil {
		rep.PeakRSSMB = f64(float64(ru.Maxrss) / 1024)
	}
	if *asJSON {
		return json.NewEncoder(stdout).Encode(rep)
	}
	printReport(stdout, rep)
	return nil
}

// The names the bench uses for drafting and GPU offload, in one place.
type draftMode = speech.DraftMode

const (
	draftOff      = speech.DraftOff
	draftLookup   = speech.DraftLookup
	draftModel    = speech.DraftModel
	draftMTP      = speech.DraftMTP
	autoGPULayers = speech.AutoGPULayers
)

// gpuLayers reads --gpu-layers: auto or a number ≥ 0.
func gpuLayers(s string) (int, error) {
	if s == "auto" {
		return autoGPULayers, nil
	}
	n, err := strconv.Atoi(s)
	if err != nil || n < 0 {
		return 0, fmt.Errorf("--gpu-layers %q: want auto or a number ≥ 0: %w", s, errUsage)
	}
	return n, nil
}

// benchSynthetic measures the Go layer against the native C loop on a synthetic model, and prompt lookup.
func benchSynthetic(ctx context.Context, dir string, threads, layers, rounds int, rep *report) error {
	spec := testmodel.DefaultSpec()
	spec.Embd, spec.Layers, spec.FF, spec.Ctx = 256, 4, 768, 1024
	m := testmodel.New(spec)
	model, _, err := m.Files(dir)
	if err != nil {
		return err
	}
	e, err := inference.Load(ctx, inference.Config{ModelPath: model, Threads: threads, ContextSize: 1024, GPULayers: layers})
	if err != nil {
		return err
	}
	defer e.Close()
	rep.Details["synthetic_offloaded_layers"] = e.GPULayers
	const nGen = 256
	prompt := strings.Repeat(" please bring the red box to the kitchen at five", 20)
	toks, err := e.PromptTokens(ctx, prompt)
	if err != nil {
		return err
	}
	var prefill, goTPS, cTPS, ratios []float64
	for r := 0; r < rounds; r++ {
		var res inference.Result
		var native []int
		var dur time.Duration
		goRun := func() (err error) {
			res, err = e.Generate(ctx, prompt, true, inference.Options{MaxTokens: nGen, IgnoreEOG: true}, nil)
			return err
		}
		cRun := func() error {
			return e.WithRawContext(ctx, func(p unsafe.Pointer) (err error) {
				native, dur, err = nativebench.Greedy(p, toks, nGen)
				return err
			})
		}
		first, second := goRun, cRun
		if r%2 == 1 { // alternate which goes first, so neither always gets the warmer cache
			first, second = cRun, goRun
		}
		if err := first(); err != nil {
			return err
		}
		if err := second(); err != nil {
			return err
		}
		prefill = append(prefill, float64(res.PromptTokens)/res.PromptTime.Seconds())
		goTPS = append(goTPS, res.TokensPerSecond())
		if fmt.Sprint(native) != fmt.Sprint(res.Tokens) {
			return fmt.Errorf("the native loop chose other tokens than the Go loop")
		}
		cTPS = append(cTPS, float64(nGen)/dur.Seconds())
		ratios = append(ratios, goTPS[r]/cTPS[r])
	}
	rep.PrefillTPS, rep.DecodeTPS, rep.NativeDecodeTPS = f64(median(prefill)), f64(median(goTPS)), f64(median(cTPS))
	// The ratio is taken within each round (the Go and C runs sit side by side, milliseconds apart), then
	// the median over rounds: the load of a shared machine drifts between rounds, not within one.
	rep.GoNativeRatio = f64(median(ratios))
	rep.Details["go_native_ratio_rounds"] = ratios
	rep.Details["synthetic_model"] = fmt.Sprintf("llama d=%d layers=%d ff=%d vocab=%d, prompt %d tokens, %d generated", spec.Embd, spec.Layers, spec.FF, len(m.Vocab), len(toks), nGen)

	return benchLookup(ctx, dir, threads, layers, rounds, prompt, rep)
}

// benchLookup measures prompt-lookup drafting on a model big enough that decoding is bound by memory
// bandwidth, as real models are: verifying several tokens then costs about as much as decoding one.
// The text pass continues a repetitive prompt, which its output copies, as a formatting pass does.
func benchLookup(ctx context.Context, dir string, threads, layers, rounds int, prompt string, rep *report) error {
	spec := testmodel.DefaultSpec()
	spec.Embd, spec.Layers, spec.Heads, spec.FF, spec.Ctx, spec.F16, spec.Seed = 1024, 8, 16, 2816, 1024, true, 3
	m := testmodel.New(spec)
	path := filepath.Join(dir, "medium.gguf")
	if err := m.WriteModel(path); err != nil {
		return err
	}
	e, err := inference.Load(ctx, inference.Config{ModelPath: path, Threads: threads, ContextSize: 1024, GPULayers: layers})
	if err != nil {
		return err
	}
	defer e.Close()
	const nGen = 64
	var plain, look []float64
	acc := 0.0
	for r := 0; r < rounds; r++ {
		a, err := e.Generate(ctx, prompt, true, inference.Options{MaxTokens: nGen}, nil)
		if err != nil {
			return err
		}
		b, err := e.Generate(ctx, prompt, true, inference.Options{MaxTokens: nGen, Draft: draftLookup}, nil)
		if err != nil {
			return err
		}
		if a.Text != b.Text {
			return fmt.Errorf("prompt lookup changed the output")
		}
		plain, look = append(plain, a.GenTime.Seconds()), append(look, b.GenTime.Seconds())
		if b.Drafted > 0 {
			acc = float64(b.Accepted) / float64(b.Drafted)
		}
	}
	rep.Details["lookup_model"] = fmt.Sprintf("llama d=%d layers=%d ff=%d f16 (%.0f M parameters), %d tokens, plain %.1f tokens/s, %d threads",
		spec.Embd, spec.Layers, spec.FF, float64(spec.Layers*(4*spec.Embd*spec.Embd+3*spec.Embd*spec.FF))/1e6, nGen, nGen/median(plain), e.Threads)
	rep.SpecLookupSpeedup = f64(median(plain) / median(look))
	rep.Details["spec_lookup_acceptance"] = acc
	return nil
}

// demo is the bundled demo model with both drafters, unpacked where the app unpacks it.
type demo struct {
	cfg                                 inference.Config
	draftModel, draftProjector, mtpHead string
}

// demoModel unpacks the bundled demo model, its draft model and its MTP head (the bench measures both
// drafters side by side), as `verbatim` does with no --model.
func demoModel(threads, layers int) (demo, error) {
	cache, err := os.UserCacheDir()
	if err != nil {
		cache = os.TempDir()
	}
	dir := filepath.Join(cache, "verbatim", "models")
	d := demo{cfg: inference.Config{GPULayers: layers, Threads: threads, Logger: slog.Default()}}
	if d.cfg.ModelPath, err = assets.Extract(dir, assets.DemoModel); err != nil {
		return d, err
	}
	if d.cfg.ProjectorPath, err = assets.Extract(dir, assets.DemoProjector); err != nil {
		return d, err
	}
	if p, err := assets.Extract(dir, assets.DemoDraftModel); err == nil {
		d.draftModel = p
		d.draftProjector, _ = assets.Extract(dir, assets.DemoDraftProjector)
	}
	d.mtpHead, _ = assets.Extract(dir, assets.DemoMTPHead)
	return d, nil
}

// load loads the demo model and the drafters it can; a drafter that fails to load is left out (logged).
func (d demo) load(ctx context.Context) (*inference.Engine, error) {
	e, err := inference.Load(ctx, d.cfg)
	if err != nil {
		return nil, err
	}
	if d.draftModel != "" {
		if err := e.LoadDrafter(ctx, d.draftModel, d.draftProjector); err != nil {
			slog.Warn("draft model not used", "err", err)
		}
	}
	if d.mtpHead != "" {
		if err := e.LoadMTPHead(ctx, d.mtpHead); err != nil {
			slog.Warn("MTP head not used", "err", err)
		}
	}
	return e, nil
}

// benchSpeech returns a spoken test clip: espeak-ng when installed, else the demo model's fixture clips
// (assets/models/fixture.json in this repository).
func benchSpeech(ctx context.Context, dir string) ([]float32, string, error) {
	text := "please bring the red box to the kitchen at five thirty"
	wav := filepath.Join(dir, "speech.wav")
	if _, err := exec.LookPath("espeak-ng"); err == nil {
		if err := exec.CommandContext(ctx, "espeak-ng", "-v", "en-us", "-w", wav, text).Run(); err == nil {
			if a, err := audiofile.DecodeFile(wav); err == nil {
				return a.Samples, text, nil
			}
		}
	}
	// No espeak-ng (a GPU server, say): the fixture's clips, spoken by voices the model never heard.
	path, err := testenv.AssetPath("fixture.json")
	if err != nil {
		return nil, "", fmt.Errorf("no espeak-ng and no fixture clip to benchmark with: %w", err)
	}
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, "", fmt.Errorf("no espeak-ng and no fixture clip to benchmark with: %w", err)
	}
	var fx struct {
		Clips []struct {
			Spoken  string
			Samples []int16
		}
	}
	if err := json.Unmarshal(b, &fx); err != nil {
		return nil, "", fmt.Errorf("fixture.json: %w", err)
	}
	var audio []float32
	var words []string
	for _, c := range fx.Clips {
		for _, s := range c.Samples {
			audio = append(audio, float32(s)/32768)
		}
		words = append(words, c.Spoken)
	}
	if len(audio) == 0 {
		return nil, "", errors.New("fixture.json holds no audio")
	}
	return audio, strings.Join(words, " / "), nil
}

func benchDemo(ctx context.Context, threads, layers, rounds int, rep *report) error {
	d, err := demoModel(threads, layers)
	if err != nil {
		return err
	}
	e, err := d.load(ctx)
	if err != nil {
		return err
	}
	defer e.Close()
	dir, _ := os.MkdirTemp("", "verbatim-bench-audio-")
	defer os.RemoveAll(dir)
	audio, text, err := benchSpeech(ctx, dir)
	if err != nil {
		return err
	}
	secs := float64(len(audio)) / pcm.Rate
	var rtf, lat, plainGen []float64
	gen := map[draftMode][]float64{}
	modes := []draftMode{draftOff}
	if d.draftModel != "" {
		modes = append(modes, draftModel)
	}
	if d.mtpHead != "" {
		modes = append(modes, draftMTP)
	}
	var heard string
	for i := 0; i < rounds; i++ {
		for _, mode := range modes {
			start := time.Now()
			u, err := e.StartUtterance(ctx)
			if err != nil {
				return err
			}
			for off := 0; off < len(audio); off += 640 { // as capture delivers it: 40 ms at a time
				if err := u.Feed(ctx, audio[off:min(off+640, len(audio))]); err != nil {
					return err
				}
			}
			end := time.Now()
			res, err := u.Finish(ctx, nil, inference.Options{MaxTokens: 100, Draft: mode}, nil)
			if err != nil {
				return err
			}
			t := res[inference.Transcribe]
			if mode == draftOff {
				rtf = append(rtf, time.Since(start).Seconds()/secs)
				lat = append(lat, float64(time.Since(end).Microseconds())/1000)
				plainGen = append(plainGen, t.GenTime.Seconds())
				heard = t.Text
			} else {
				if t.Text != heard {
					return fmt.Errorf("drafting (%v) changed the output: %q vs %q", mode, t.Text, heard)
				}
				gen[mode] = append(gen[mode], t.GenTime.Seconds())
				name := map[draftMode]string{draftModel: "spec_draft_acceptance", draftMTP: "spec_mtp_acceptance"}[mode]
				rep.Details[name] = float64(t.Accepted) / float64(max(t.Drafted, 1))
			}
		}
	}
	rep.RTF, rep.EOSLatencyMs = f64(median(rtf)), f64(median(lat))
	if g := gen[draftModel]; len(g) > 0 {
		rep.SpecDraftSpeedup = f64(median(plainGen) / median(g))
	}
	if g := gen[draftMTP]; len(g) > 0 {
		rep.SpecMTPSpeedup = f64(median(plainGen) / median(g))
	}
	rep.Details["demo_clip"] = fmt.Sprintf("%.2f s of espeak-ng: %q → %q", secs, text, strings.TrimSpace(heard))
	rep.Details["times_real_time"] = 1 / median(rtf)
	return nil
}

func printReport(w io.Writer, r report) {
	row := func(name string, v *float64, unit string) {
		if v == nil {
			fmt.Fprintf(w, "%-28s %12s\n", name, "not measured")
			return
		}
		fmt.Fprintf(w, "%-28s %12.2f %s\n", name, *v, unit)
	}
	row("prefill", r.PrefillTPS, "tokens/s")
	row("decode (Go loop)", r.DecodeTPS, "tokens/s")
	row("decode (native C loop)", r.NativeDecodeTPS, "tokens/s")
	row("Go / native", r.GoNativeRatio, "×")
	row("real-time factor (demo)", r.RTF, "(processing / audio)")
	row("end-of-speech latency", r.EOSLatencyMs, "ms")
	row("prompt-lookup speedup", r.SpecLookupSpeedup, "×")
	row("draft-model speedup", r.SpecDraftSpeedup, "×")
	row("MTP-head speedup", r.SpecMTPSpeedup, "×")
	row("peak RSS", r.PeakRSSMB, "MB")
	keys := make([]string, 0, len(r.Details))
	for k := range r.Details {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		fmt.Fprintf(w, "  %s: %v\n", k, r.Details[k])
	}
}
