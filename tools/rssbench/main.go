// Command rssbench measures the peak memory of `verbatim transcribe` on long recordings (make bench): it
// writes 1-hour and 8-hour WAVs of speech on disk, transcribes each with the bundled demo model and prints
// the child's peak resident set beside that of the same command on a 5-second file (the model's own
// footprint). Audio is streamed from the file to the model, so the long inputs must stay within 200 MB of
// the short one.
//
//	go run ./tools/rssbench -bin bin/verbatim            # prints rss_model_mb, rss_1h_mb, rss_8h_mb
//
// The recordings are the demo model's two fixture clips (espeak-ng speech) and pauses with a little noise,
// repeated, at 8 kHz 16-bit mono (460 MB for 8 hours); they are written as they are generated and deleted
// afterwards.
package main

import (
	"bytes"
	"flag"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/verbatim-app/verbatim/capture/pcm"
	"github.com/verbatim-app/verbatim/tools/testenv"
)

// boundMB is the bound: a long input may use at most this much more than the model alone.
const boundMB = 200

func main() {
	bin := flag.String("bin", "bin/verbatim", "the verbatim binary to measure")
	hours := flag.String("hours", "1,8", "lengths of the long inputs, in hours")
	rate := flag.Int("rate", 8000, "sample rate of the generated WAVs")
	dir := flag.String("dir", "", "folder for the generated files (default: a new temporary folder, removed afterwards)")
	flag.Parse()
	if err := run(*bin, *hours, *rate, *dir); err != nil {
		fmt.Fprintln(os.Stderr, "rssbench:", err)
		os.Exit(1)
	}
}

func run(bin, hours string, rate int, dir string) error {
	if dir == "" {
		d, err := os.MkdirTemp("", "verbatim-rssbench-")
		if err != nil {
			return err
		}
		defer os.RemoveAll(d)
		dir = d
	}
	pattern, err := speechPattern(rate)
	if err != nil {
		return err
	}
	model, err := measure(bin, dir, "5s", 5*time.Second, pattern, rate)
	if err != nil {
		return err
	}
	fmt.Printf("rss_model_mb %.1f  (5 s input, %s)\n", model.mb, model.wall.Round(time.Millisecond))
	worst := 0.0
	for _, h := range strings.Split(hours, ",") {
		n, err := strconv.ParseFloat(strings.TrimSpace(h), 64)
		if err != nil || n <= 0 {
			return fmt.Errorf("-hours: bad length %q", h)
		}
		name := strings.TrimSpace(h) + "h"
		r, err := measure(bin, dir, name, time.Duration(n*float64(time.Hour)), pattern, rate)
		if err != nil {
			return err
		}
		over := r.mb - model.mb
		worst = max(worst, over)
		fmt.Printf("rss_%s_mb %.1f  (%s input: %+.1f MB over the model, %d transcript lines, %s, %.0f× real time)\n",
			name, r.mb, name, over, r.lines, r.wall.Round(time.Second), n*float64(time.Hour)/float64(r.wall))
	}
	if worst > boundMB {
		return fmt.Errorf("a long input used %.0f MB more than the model alone; the bound is %d MB", worst, boundMB)
	}
	fmt.Printf("rss_bound_ok every long input within %d MB of the model's footprint\n", boundMB)
	return nil
}

type result struct {
	mb    float64
	wall  time.Duration
	lines int
}

// measure writes a WAV of length d, transcribes it with bin and returns the child's peak RSS. The WAV and
// the transcript are removed afterwards.
func measure(bin, dir, name string, d time.Duration, pattern []float32, rate int) (result, error) {
	wav := filepath.Join(dir, "speech-"+name+".wav")
	out := filepath.Join(dir, "speech-"+name+".txt")
	defer os.Remove(wav)
	defer os.Remove(out)
	if err := testenv.WriteLoopWAV(wav, int64(d.Seconds()*float64(rate)), pattern, rate); err != nil {
		return result{}, err
	}
	wall, mb, err := testenv.RunMeasured(exec.Command(bin, "transcribe", "--format", "txt", "-o", out, wav))
	if err != nil {
		return result{}, err
	}
	text, err := os.ReadFile(out)
	if err != nil {
		return result{}, fmt.Errorf("transcript of %s: %w", wav, err)
	}
	return result{mb: mb, wall: wall, lines: bytes.Count(text, []byte("\n"))}, nil
}

// speechPattern is one cycle of the generated recordings: each fixture clip followed by a pause, at rate.
func speechPattern(rate int) ([]float32, error) {
	clips, err := testenv.FixtureClips() // not in the binary (only tests and tools use it): from the repository
	if err != nil {
		return nil, err
	}
	var p []float32
	for _, c := range clips {
		s, err := pcm.Resample(c.Samples, pcm.Rate, rate)
		if err != nil {
			return nil, err
		}
		p = append(p, s...)
		p = append(p, make([]float32, rate*6/5)...) // 1.2 s: a pause that ends the utterance
	}
	// Faint noise under everything, as a real room has: digital silence would be an easy case.
	seed := uint32(1)
	for i := range p {
		seed = seed*1664525 + 1013904223
		p[i] += 0.002 * (float32(seed>>8)/float32(1<<24) - 0.5)
	}
	return p, nil
}
