package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"math"
	"os/exec"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/verbatim-app/verbatim/app/speech"
	"github.com/verbatim-app/verbatim/inference"
	"github.com/verbatim-app/verbatim/inference/audioproj"
	"github.com/verbatim-app/verbatim/inference/gemma4"
)

// benchConfig says what --bench measures.
type benchConfig struct {
	model, projector, head string
	gpuLayers, threads     int
	seconds, tokens        int
	rounds                 int
	requireGPU             bool // fail, rather than measure the CPU, when the GPU layers were not offloaded
}

// report is what --bench prints (--json: this object). Every speed is named for what it times.
type report struct {
	Model         string  `json:"model"`
	Where         string  `json:"where"` // the engine's own description: CPU, or the GPU with layers offloaded
	Threads       int     `json:"threads"`
	GPULayers     int     `json:"gpu_layers"` // offloaded, out of block_count + 1
	LoadSeconds   float64 `json:"load_s"`
	AudioSeconds  int     `json:"audio_s"`
	PrefillRows   int     `json:"prefill_rows"` // audio embedding rows decoded by one Feed (one batch when ≤ 512)
	MaxTokens     int     `json:"max_tokens"`
	Rounds        int     `json:"rounds"`
	Plain         modeRun `json:"plain"`
	MTP           *mtpRun `json:"mtp,omitempty"`
	VRAMBaseMiB   *int    `json:"vram_before_load_mib"` // nvidia-smi memory.used before loading; null without nvidia-smi
	VRAMPlainMiB  *int    `json:"vram_loaded_mib"`      // after the plain rounds, the model and its cache loaded
	VRAMWithMTP   *int    `json:"vram_with_mtp_mib"`    // after the MTP rounds, the head's tensors added
	VRAMModelMiB  *int    `json:"vram_model_mib"`       // loaded − before
	SeedReference string  `json:"seed_reference"`
}

// modeRun is one decoding mode's figures, medians over the rounds (a warm-up round is not counted).
type modeRun struct {
	// Audio rows through the causal forward per second, timed around Utterance.Feed of the whole clip: the
	// prompt-batch (prefill) speed of this engine.
	PrefillRowsPerSec float64 `json:"prefill_rows_per_s"`
	// Generated tokens per second as the engine reports it (speech.Result.TokensPerSec: the answer's
	// tokens over the time from the first to the last, after the prompt that follows the audio).
	DecodeTokensPerSec float64 `json:"decode_tokens_per_s"`
	Tokens             int     `json:"tokens"`      // generated in the last round
	FinishSeconds      float64 `json:"finish_s"`    // Utterance.Finish: the prompt after the audio and the answer
	Text               string  `json:"text_prefix"` // the first characters of the answer (random weights: nonsense)
}

// mtpRun adds the drafting counts; with a random head it measures drafting's overhead, not a speedup.
type mtpRun struct {
	modeRun
	Drafted  int `json:"drafted"`
	Accepted int `json:"accepted"`
	// Plain decode tokens/s over this mode's: above 1 the head costs time. A random head never agrees with
	// the target, so this is "drafting overhead with a head that never agrees".
	OverheadVsPlain float64 `json:"slowdown_vs_plain"`
	SameText        bool    `json:"same_text_as_plain"` // drafted text must equal plain greedy text
}

const seedReference = "the seed's published figures for Gemma 4 12B: 80 tokens/s and 9 GB on an RTX 4090 (not measured here; not comparable as equal)"

// runBench loads the model once through the Gemma 4 engine's own Load (the code `verbatim transcribe` runs,
// with inference.Engines()' instruction and thread rule), hears a clip in rounds, then the same with the
// MTP head on the same loaded model.
func runBench(ctx context.Context, cfg benchConfig, log *slog.Logger) (report, error) {
	var eng gemma4.Engine
	found := false
	for _, e := range inference.Engines().List {
		if g, ok := e.(gemma4.Engine); ok {
			eng, found = g, true
		}
	}
	if !found {
		return report{}, errors.New("inference.Engines() lists no Gemma 4 engine")
	}
	rep := report{Model: cfg.model, AudioSeconds: cfg.seconds, MaxTokens: cfg.tokens, Rounds: cfg.rounds, SeedReference: seedReference}
	rep.VRAMBaseMiB = vramUsed()
	var devices []speech.Device
	if eng.Devices != nil {
		devices = eng.Devices()
	}
	start := time.Now()
	m, err := gemma4.Load(ctx, gemma4.Config{ModelPath: cfg.model, ProjectorPath: cfg.projector, GPULayers: cfg.gpuLayers,
		Devices: devices, Threads: cfg.threads, DefaultThreads: eng.Threads, MaxTokens: cfg.tokens,
		Instruction: eng.Instruction, Logger: log})
	if err != nil {
		return rep, err
	}
	closeModel := m.Close
	defer func() { closeModel() }()
	rep.LoadSeconds = time.Since(start).Seconds()
	rep.Threads, rep.GPULayers = m.Threads, m.GPULayers
	if cfg.requireGPU && cfg.gpuLayers != 0 && m.GPULayers == 0 {
		return rep, fmt.Errorf("asked for %d GPU layers, but the model loaded on the CPU (no GPU found, or loading on it failed); not measuring the CPU", cfg.gpuLayers)
	}
	rep.Where = "CPU"
	if eng.Describe != nil {
		rep.Where = eng.Describe(m.GPULayers, int(m.Info.BlockCount)+1, devices)
	}
	samples := clip(cfg.seconds)
	rep.PrefillRows = len(samples) / audioproj.FrameSamples
	var plainText string
	rep.Plain, plainText, _, _, err = hearRounds(ctx, m, samples, cfg.rounds)
	if err != nil {
		return rep, fmt.Errorf("plain decoding: %w", err)
	}
	rep.VRAMPlainMiB = vramUsed()
	if rep.VRAMBaseMiB != nil && rep.VRAMPlainMiB != nil {
		d := *rep.VRAMPlainMiB - *rep.VRAMBaseMiB
		rep.VRAMModelMiB = &d
	}
	if cfg.head == "" {
		return rep, nil
	}
	dm, closeAll, err := m.WithMTPHead(ctx, cfg.head)
	if err != nil {
		return rep, err
	}
	closeModel = closeAll
	run, text, drafted, accepted, err := hearRounds(ctx, dm, samples, cfg.rounds)
	if err != nil {
		return rep, fmt.Errorf("MTP drafting: %w", err)
	}
	rep.MTP = &mtpRun{modeRun: run, Drafted: drafted, Accepted: accepted, SameText: text == plainText}
	if run.DecodeTokensPerSec > 0 {
		rep.MTP.OverheadVsPlain = rep.Plain.DecodeTokensPerSec / run.DecodeTokensPerSec
	}
	rep.VRAMWithMTP = vramUsed()
	return rep, nil
}

// hearRounds hears samples rounds+1 times (the first warms up: graphs, GPU kernels) and returns the medians,
// the last text and the drafting counts of the counted rounds.
func hearRounds(ctx context.Context, m speech.Model, samples []float32, rounds int) (run modeRun, text string, drafted, accepted int, err error) {
	rows := float64(len(samples) / audioproj.FrameSamples)
	var prefill, decode, finish []float64
	for r := 0; r <= rounds; r++ {
		u, err := m.StartUtterance(ctx)
		if err != nil {
			return run, "", 0, 0, err
		}
		t := time.Now()
		if err := u.Feed(ctx, samples); err != nil {
			u.Release()
			return run, "", 0, 0, err
		}
		feed := time.Since(t).Seconds()
		t = time.Now()
		res, err := u.Finish(ctx, []string{""}, nil)
		if err != nil {
			return run, "", 0, 0, err
		}
		fin := time.Since(t).Seconds()
		if r == 0 {
			continue
		}
		got := res[""]
		prefill = append(prefill, rows/feed)
		decode = append(decode, got.TokensPerSec)
		finish = append(finish, fin)
		run.Tokens, text = got.Tokens, got.Text
		drafted += got.Drafted
		accepted += got.Accepted
	}
	run.PrefillRowsPerSec, run.DecodeTokensPerSec, run.FinishSeconds = median(prefill), median(decode), median(finish)
	run.Text = text
	if r := []rune(text); len(r) > 60 {
		run.Text = string(r[:60]) + "…"
	}
	return run, text, drafted, accepted, nil
}

func median(xs []float64) float64 {
	s := append([]float64(nil), xs...)
	sort.Float64s(s)
	return s[len(s)/2]
}

// clip is seconds of deterministic 16 kHz audio (a chirp under noise): random weights make any audio
// nonsense, but the same clip in every round and mode keeps the runs comparable.
func clip(seconds int) []float32 {
	n := seconds * 16000
	out := make([]float32, n)
	seed := uint32(1)
	for i := range out {
		seed = seed*1664525 + 1013904223
		t := float64(i) / 16000
		out[i] = float32(0.3*math.Sin(2*math.Pi*(200+50*t)*t) + 0.05*(float64(seed>>8)/float64(1<<24)-0.5))
	}
	return out
}

// vramUsed is the first GPU's memory.used in MiB from nvidia-smi, or nil where there is none.
func vramUsed() *int {
	out, err := exec.Command("nvidia-smi", "--query-gpu=memory.used", "--format=csv,noheader,nounits", "-i", "0").Output()
	if err != nil {
		return nil
	}
	v, err := strconv.Atoi(strings.TrimSpace(strings.SplitN(string(out), "\n", 2)[0]))
	if err != nil {
		return nil
	}
	return &v
}

func printReport(w io.Writer, r report) {
	mib := func(v *int) string {
		if v == nil {
			return "not measured (no nvidia-smi)"
		}
		return fmt.Sprintf("%d MiB", *v)
	}
	fmt.Fprintf(w, "model:            %s\n", r.Model)
	fmt.Fprintf(w, "where:            %s (%d layers offloaded), %d threads; loaded in %.1f s\n", r.Where, r.GPULayers, r.Threads, r.LoadSeconds)
	fmt.Fprintf(w, "clip:             %d s of audio = %d audio rows, answers of at most %d tokens, %d rounds after a warm-up (medians)\n",
		r.AudioSeconds, r.PrefillRows, r.MaxTokens, r.Rounds)
	fmt.Fprintf(w, "prefill:          %.1f audio rows/s (Feed of the whole clip, one batch)\n", r.Plain.PrefillRowsPerSec)
	fmt.Fprintf(w, "decode:           %.2f tokens/s (engine's Result.TokensPerSec, %d tokens, no drafting)\n", r.Plain.DecodeTokensPerSec, r.Plain.Tokens)
	if m := r.MTP; m != nil {
		acc := 0.0
		if m.Drafted > 0 {
			acc = 100 * float64(m.Accepted) / float64(m.Drafted)
		}
		fmt.Fprintf(w, "decode with MTP:  %.2f tokens/s; %d drafted, %d accepted (%.0f %%); plain/MTP = %.2f×: drafting overhead with a head that never agrees (random weights), not a speedup; same text as plain: %v\n",
			m.DecodeTokensPerSec, m.Drafted, m.Accepted, acc, m.OverheadVsPlain, m.SameText)
	}
	fmt.Fprintf(w, "VRAM used:        before load %s, loaded %s (model + cache + graphs: %s), with MTP head %s\n",
		mib(r.VRAMBaseMiB), mib(r.VRAMPlainMiB), mib(r.VRAMModelMiB), mib(r.VRAMWithMTP))
	fmt.Fprintf(w, "text (nonsense):  %q\n", r.Plain.Text)
	fmt.Fprintf(w, "reference:        %s\n", r.SeedReference)
}
