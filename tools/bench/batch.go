package main

import (
	"context"
	"fmt"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"time"

	"github.com/verbatim-app/verbatim/capture/pcm"
	"github.com/verbatim-app/verbatim/tools/testenv"
	"github.com/verbatim-app/verbatim/tools/textnorm"
)

// fileRate is the recordings' sample rate: not 16 kHz, so the resampler is on the path, as for most files.
const fileRate = 22050

// benchBatch times `verbatim transcribe` (the binary, default flags: --draft auto) on a 10-minute WAV of
// the clips spoken one after another with pauses, and measures its peak memory on a 1-hour one. The
// 10-minute transcript must match what was said (its word error rate goes in details).
func benchBatch(ctx context.Context, s settings, clips []clip, rep *report) error {
	if _, err := os.Stat(s.bin); err != nil {
		return fmt.Errorf("the verbatim binary (make build, or --bin): %w", err)
	}
	rng := rand.New(rand.NewPCG(2, 2))
	var pattern []float32
	var spoken []string
	for _, c := range clips {
		pattern = append(pattern, c.samples...)
		pattern = append(pattern, testenv.Noise(rng, pcm.Rate*6/5, -65)...) // 1.2 s pause: the utterance ends
		spoken = append(spoken, c.spoken)
	}
	pattern, err := pcm.Resample(pattern, pcm.Rate, fileRate)
	if err != nil {
		return err
	}
	short, long := 10*time.Minute, time.Hour
	if s.quick {
		short, long = time.Minute, time.Minute
	}
	cycle := time.Duration(float64(len(pattern)) / fileRate * float64(time.Second))
	// transcribe returns how many times real time it ran, the peak RSS in MB and the transcript.
	transcribe := func(d time.Duration) (float64, float64, string, error) {
		wav := filepath.Join(s.dir, fmt.Sprintf("recording-%s.wav", d))
		out := strings.TrimSuffix(wav, ".wav") + ".txt"
		defer os.Remove(wav)
		defer os.Remove(out)
		// Whole cycles of the clips, so the reference text is known.
		cycles := max(1, int((d+cycle-1)/cycle))
		if err := testenv.WriteLoopWAV(wav, int64(cycles*len(pattern)), pattern, fileRate); err != nil {
			return 0, 0, "", err
		}
		wall, mb, err := testenv.RunMeasured(exec.CommandContext(ctx, s.bin, "transcribe", "--format", "txt", "-o", out, wav))
		if err != nil {
			return 0, 0, "", err
		}
		text, err := os.ReadFile(out)
		return float64(time.Duration(cycles)*cycle) / float64(wall), mb, string(text), err
	}
	speed, mb, text, err := transcribe(short)
	if err != nil {
		return err
	}
	cycles := max(1, int((short+cycle-1)/cycle))
	ref := textnorm.Normalise(strings.Repeat(strings.Join(spoken, " ")+" ", cycles))
	wer := textnorm.WER(ref, textnorm.Normalise(text))
	if wer > 0.5 {
		return fmt.Errorf("the transcript of the recording is mostly wrong (WER %.0f %%)", 100*wer)
	}
	rep.BatchTimesRealTime = f64(speed)
	rep.Details["batch"] = fmt.Sprintf("%s of %d development-set clips between pauses (%s WAV at %d Hz), %.0f× real time, WER %.1f %%, peak RSS %.0f MB",
		(time.Duration(cycles) * cycle).Round(time.Second), len(clips), s.bin, fileRate, speed, 100*wer, mb)
	_, mb, _, err = transcribe(long)
	if err != nil {
		return err
	}
	rep.PeakRSSMB = f64(mb)
	return nil
}
