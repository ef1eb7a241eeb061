package cli

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
	"syscall"
	"time"
	"unsafe"

	"github.com/verbatim-app/verbatim/assets"
	"github.com/verbatim-app/verbatim/capture/audiofile"
	"github.com/verbatim-app/verbatim/inference"
	"github.com/verbatim-app/verbatim/inference/testmodel"
	"github.com/verbatim-app/verbatim/tools/nativebench"
)

// benchReport holds the figures `verbatim bench --json` prints; nil is printed as null (not measured).
type benchReport struct {
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

func runBench(ctx context.Context, env Env, args []string) error {
	fs := newFlags(env, "bench", "")
	asJSON := fs.Bool("json", false, "print one JSON object instead of a table")
	rounds := fs.Int("rounds", 7, "measurements per figure (medians are reported; Go and native runs alternate)")
	threads := fs.Int("threads", 0, "CPU threads (0 = chosen by model size)")
	gpu := fs.String("gpu-layers", "0", "layers to offload to the GPU: auto, or a number (0 = CPU only, the default, so runs compare)")
	if err := parse(fs, args); err != nil {
		return err
	}
	if *rounds < 1 {
		return fmt.Errorf("--rounds must be at least 1: %w", ErrUsage)
	}
	mf := modelFlags{gpuLayers: *gpu, draft: "model", threads: *threads}
	base, err := mf.resolve(env)
	if err != nil && !strings.Contains(err.Error(), "no model") {
		return err
	}
	if base.demo { // the bench measures both drafters side by side
		base.mtpHead, _ = assets.Extract(filepath.Join(env.CacheDir, "models"), assets.DemoMTPHead)
	}
	layers := base.cfg.GPULayers
	dir, err := os.MkdirTemp("", "verbatim-bench-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(dir)
	rep := benchReport{Details: map[string]any{"simd": inference.SIMDFeatures(), "rounds": *rounds}}
	rep.Details["gpu_layers"] = *gpu
	if err := benchSynthetic(ctx, dir, *threads, layers, *rounds, &rep); err != nil {
		return fmt.Errorf("synthetic model: %w", err)
	}
	if assets.HasDemo() {
		if err := benchDemo(ctx, env, base, *rounds, &rep); err != nil {
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
		enc := json.NewEncoder(env.Stdout)
		return enc.Encode(rep)
	}
	printBench(env, rep)
	return nil
}

// benchSynthetic measures the Go layer against the native C loop on a synthetic model, and prompt lookup.
func benchSynthetic(ctx context.Context, dir string, threads, layers, rounds int, rep *benchReport) error {
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
func benchLookup(ctx context.Context, dir string, threads, layers, rounds int, prompt string, rep *benchReport) error {
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
		b, err := e.Generate(ctx, prompt, true, inference.Options{MaxTokens: nGen, Draft: inference.DraftLookup}, nil)
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

// benchSpeech returns a spoken test clip: espeak-ng when installed, else the bundled fixture clip.
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
	// No espeak-ng (a GPU server, say): the bundled fixture's clips, spoken by voices the model never heard.
	b, err := fs.ReadFile(assets.Models(), "fixture.json")
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

func benchDemo(ctx context.Context, env Env, r resolved, rounds int, rep *benchReport) error {
	e, err := r.load(ctx, env)
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
	secs := float64(len(audio)) / 16000
	var rtf, lat, plainGen []float64
	gen := map[inference.DraftMode][]float64{}
	modes := []inference.DraftMode{inference.DraftOff}
	if r.draftModel != "" {
		modes = append(modes, inference.DraftModel)
	}
	if r.mtpHead != "" {
		modes = append(modes, inference.DraftMTP)
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
			if mode == inference.DraftOff {
				rtf = append(rtf, time.Since(start).Seconds()/secs)
				lat = append(lat, float64(time.Since(end).Microseconds())/1000)
				plainGen = append(plainGen, t.GenTime.Seconds())
				heard = t.Text
			} else {
				if t.Text != heard {
					return fmt.Errorf("drafting (%v) changed the output: %q vs %q", mode, t.Text, heard)
				}
				gen[mode] = append(gen[mode], t.GenTime.Seconds())
				name := map[inference.DraftMode]string{inference.DraftModel: "spec_draft_acceptance", inference.DraftMTP: "spec_mtp_acceptance"}[mode]
				rep.Details[name] = float64(t.Accepted) / float64(max(t.Drafted, 1))
			}
		}
	}
	rep.RTF, rep.EOSLatencyMs = f64(median(rtf)), f64(median(lat))
	if g := gen[inference.DraftModel]; len(g) > 0 {
		rep.SpecDraftSpeedup = f64(median(plainGen) / median(g))
	}
	if g := gen[inference.DraftMTP]; len(g) > 0 {
		rep.SpecMTPSpeedup = f64(median(plainGen) / median(g))
	}
	rep.Details["demo_clip"] = fmt.Sprintf("%.2f s of espeak-ng: %q → %q", secs, text, strings.TrimSpace(heard))
	rep.Details["times_real_time"] = 1 / median(rtf)
	return nil
}

func printBench(env Env, r benchReport) {
	row := func(name string, v *float64, unit string) {
		if v == nil {
			fmt.Fprintf(env.Stdout, "%-28s %12s\n", name, "not measured")
			return
		}
		fmt.Fprintf(env.Stdout, "%-28s %12.2f %s\n", name, *v, unit)
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
		fmt.Fprintf(env.Stdout, "  %s: %v\n", k, r.Details[k])
	}
}
