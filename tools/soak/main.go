// Command soak runs hours of a live session through the listening pipeline (app/live) faster than real
// time and checks that memory stays flat (make bench): nothing may grow with the session but the files
// on disk and the text itself. A fake capture source delivers synthetic speech-like audio (a voiced buzz
// in syllables, utterances of 2-9 s between pauses of 0.4-3 s, over a quiet room) in 20 ms chunks; a
// fake model hears each utterance at once, with provisional peeks as the window asks for; the session is
// recorded to disk as the app records it (audio.wav and the journal); the consumer keeps every line in a
// transcript.Store, as the window does.
//
// It prints the process's peak resident set (VmHWM), its resident set and the live heap (after a
// collection) after 10 minutes of audio, at every half hour, and at the end, with the lines kept, and
// fails when the peak at the end is more than -bound MB above the peak at 10 minutes.
//
//	go run ./tools/soak                    # 2 hours of a call (both sides) at 50× real time
//	go run ./tools/soak -hours 8 -system=false -speed 0
package main

import (
	"context"
	"flag"
	"fmt"
	"math"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"runtime/pprof"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/verbatim-app/verbatim/app/live"
	"github.com/verbatim-app/verbatim/app/speech"
	"github.com/verbatim-app/verbatim/app/transcript"
	"github.com/verbatim-app/verbatim/capture"
	"github.com/verbatim-app/verbatim/capture/pcm"
	"github.com/verbatim-app/verbatim/tools/testenv"
)

func main() {
	hours := flag.Float64("hours", 2, "length of the session, in hours of audio")
	// Paced, not as fast as possible: the reader never waits on the model (that is the design), so a
	// source faster than the workers builds a backlog in the queue that says nothing about a session's
	// memory. 50× leaves the workers room on a busy 2-core machine.
	speed := flag.Float64("speed", 50, "pace of the sources, in times real time (0: as fast as the pipeline takes them)")
	bound := flag.Float64("bound", 10, "most the peak RSS may grow between 10 minutes and the end, in MB")
	system := flag.Bool("system", true, "record the computer's sound too (a call's other side): a second source, speakers on every line")
	dir := flag.String("dir", "", "folder for the session (default: a temporary folder, removed afterwards)")
	memprofile := flag.String("memprofile", "", "write heap profiles PREFIX-<time> at every report (to see what grew)")
	flag.Parse()
	if err := run(*hours, *speed, *bound, *dir, *system, *memprofile); err != nil {
		fmt.Fprintln(os.Stderr, "soak:", err)
		defer os.Exit(1)
	}
}

const chunk = pcm.Rate / 50 // 20 ms, as a capture stream delivers

func run(hours, speed, bound float64, dir string, system bool, memprofile string) error {
	if dir == "" {
		d, err := os.MkdirTemp("", "verbatim-soak-")
		if err != nil {
			return err
		}
		defer os.RemoveAll(d)
		dir = d
	}
	total := int64(hours * 3600 * pcm.Rate)
	sources := "one source"
	if system {
		sources = "two sources (microphone and system audio)"
	}
	fmt.Printf("# soak: %s of synthetic speech from %s through app/live (fake model, fake sources at %s), session on disk\n",
		pcm.Duration(total), sources, pace(speed))
	fmt.Printf("# commit %s · %s · %s\n", commit(), machine(), time.Now().UTC().Format("2006-01-02 15:04 UTC"))

	pattern := speechPattern()
	src := newSource(pattern, total, speed, 0)
	model := &fakeModel{}
	rec := live.New(func() speech.Model { return model })
	cfg := live.Config{
		SessionRoot: dir,
		Provisional: true, // as the window listens
		Open:        func(context.Context, capture.Config) (live.Source, error) { return src, nil },
	}
	var sys *source
	if system {
		// The other side talks in the microphone's pauses (the pattern a minute on): a call, not an echo.
		sys = newSource(pattern, total, speed, pcm.Samples(time.Minute))
		cfg.SystemAudio = true
		cfg.OpenSystem = func(context.Context, capture.Config) (live.Source, error) { return sys, nil }
	}
	events, err := rec.Start(context.Background(), cfg)
	if err != nil {
		return err
	}

	// The consumer: every line kept, as the window keeps them.
	var lines transcript.Store
	var finals, provisional atomic.Int64
	var errs []error
	done := make(chan struct{})
	var mu sync.Mutex
	go func() {
		defer close(done)
		for ev := range events {
			switch {
			case ev.Segment != nil:
				mu.Lock()
				lines.Put(*ev.Segment)
				mu.Unlock()
				if ev.Segment.Final {
					finals.Add(1)
				} else {
					provisional.Add(1)
				}
			case ev.Err != nil:
				errs = append(errs, ev.Err)
			}
		}
	}()

	t0 := time.Now()
	fmt.Printf("%-10s %10s %10s %10s %8s %8s %10s\n", "audio", "peak_rss", "rss", "live_heap", "lines", "kept", "wall")
	var at10 float64
	report := func(label string) float64 {
		peak, rss := procMB("VmHWM"), procMB("VmRSS")
		// What the pipeline holds at this moment (the queues in flight included), not garbage not yet collected.
		runtime.GC()
		var ms runtime.MemStats
		runtime.ReadMemStats(&ms)
		if memprofile != "" {
			if f, err := os.Create(memprofile + "-" + strings.ReplaceAll(label, " ", "-")); err == nil {
				pprof.WriteHeapProfile(f)
				f.Close()
			}
		}
		mu.Lock()
		kept := lines.Len()
		mu.Unlock()
		fmt.Printf("%-10s %8.1fMB %8.1fMB %8.1fMB %8d %8d %10s\n", label, peak, rss, float64(ms.HeapAlloc)/(1<<20),
			finals.Load(), kept, time.Since(t0).Round(time.Second))
		return peak
	}
	marks := []time.Duration{10 * time.Minute}
	for m := 30 * time.Minute; m < pcm.Duration(total); m += 30 * time.Minute {
		marks = append(marks, m)
	}
	for _, m := range marks {
		if m > pcm.Duration(total) {
			break
		}
		src.waitFor(int64(pcm.Samples(m)))
		if p := report(fmtDur(m)); m == 10*time.Minute {
			at10 = p
		}
	}
	src.waitFor(total)
	if sys != nil {
		sys.waitFor(total)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	if err := rec.Stop(ctx); err != nil {
		return fmt.Errorf("stop: %w", err)
	}
	<-done
	end := report("end " + fmtDur(pcm.Duration(total)))
	wall := time.Since(t0)

	audio := size(filepath.Join(rec.SessionDir(), "audio.wav")) + size(filepath.Join(rec.SessionDir(), "system.wav"))
	journal := size(filepath.Join(rec.SessionDir(), "journal.jsonl"))
	fmt.Printf("rss_peak_10min_mb %.1f\n", at10)
	fmt.Printf("rss_peak_end_mb %.1f  (+%.1f MB over 10 minutes; bound %.0f MB)\n", end, end-at10, bound)
	fmt.Printf("lines_kept %d final lines (%d utterances heard, %d provisional updates), all in the window's store and the session journal\n",
		finals.Load(), model.count(), provisional.Load())
	fmt.Printf("disk audio %.0f MB, journal.jsonl %.1f MB (what grows with the session)\n", float64(audio)/(1<<20), float64(journal)/(1<<20))
	fmt.Printf("wall %s (%.0f× real time)\n", wall.Round(time.Second), pcm.Duration(total).Seconds()/wall.Seconds())
	if len(errs) > 0 {
		return fmt.Errorf("the pipeline reported %d errors, the first: %w", len(errs), errs[0])
	}
	if finals.Load() == 0 || model.count() != int(finals.Load()) {
		return fmt.Errorf("%d utterances heard but %d final lines arrived", model.count(), finals.Load())
	}
	if end-at10 > bound {
		return fmt.Errorf("memory grew with the session: peak RSS %.1f MB at the end, %.1f MB at 10 minutes", end, at10)
	}
	fmt.Println("rss_flat_ok")
	return nil
}

func pace(speed float64) string {
	if speed <= 0 {
		return "full speed"
	}
	return fmt.Sprintf("%g× real time", speed)
}

func fmtDur(d time.Duration) string {
	return fmt.Sprintf("%dh%02dm", int(d.Hours()), int(d.Minutes())%60)
}

// procMB reads a size field of /proc/self/status in MB.
func procMB(field string) float64 {
	b, err := os.ReadFile("/proc/self/status")
	if err != nil {
		return math.NaN()
	}
	for _, l := range strings.Split(string(b), "\n") {
		if v, ok := strings.CutPrefix(l, field+":"); ok {
			kb, _ := strconv.ParseFloat(strings.TrimSuffix(strings.TrimSpace(v), " kB"), 64)
			return kb / 1024
		}
	}
	return math.NaN()
}

func size(path string) int64 {
	st, err := os.Stat(path)
	if err != nil {
		return 0
	}
	return st.Size()
}

func commit() string {
	out, err := exec.Command("git", "describe", "--always", "--dirty").Output()
	if err != nil {
		return "unknown"
	}
	return strings.TrimSpace(string(out))
}

func machine() string {
	cpu := "?"
	if b, err := os.ReadFile("/proc/cpuinfo"); err == nil {
		for _, l := range strings.Split(string(b), "\n") {
			if v, ok := strings.CutPrefix(l, "model name"); ok {
				cpu = strings.TrimSpace(strings.TrimPrefix(strings.TrimSpace(v), ":"))
				break
			}
		}
	}
	return fmt.Sprintf("%s/%s, %d CPUs (%s), %.0f GB memory, %s", runtime.GOOS, runtime.GOARCH, runtime.NumCPU(), cpu, procMemGB(), runtime.Version())
}

func procMemGB() float64 {
	b, err := os.ReadFile("/proc/meminfo")
	if err != nil {
		return 0
	}
	for _, l := range strings.Split(string(b), "\n") {
		if v, ok := strings.CutPrefix(l, "MemTotal:"); ok {
			kb, _ := strconv.ParseFloat(strings.TrimSuffix(strings.TrimSpace(v), " kB"), 64)
			return kb / (1 << 20)
		}
	}
	return 0
}

// source is a capture stream in software: a loop of speech-like audio, delivered in 20 ms chunks at
// the pace asked (or as fast as they are read), then closed.
type source struct {
	pattern []float32
	offset  int // where in the pattern the source starts
	total   int64
	speed   float64

	audio  chan []float32
	levels chan capture.Level
	errs   chan error
	quit   chan struct{}
	once   sync.Once

	mu   sync.Mutex
	sent int64
	cond *sync.Cond
}

func newSource(pattern []float32, total int64, speed float64, offset int) *source {
	s := &source{pattern: pattern, offset: offset, total: total, speed: speed,
		audio: make(chan []float32), levels: make(chan capture.Level), errs: make(chan error), quit: make(chan struct{})}
	s.cond = sync.NewCond(&s.mu)
	go s.run()
	return s
}

func (s *source) Audio() <-chan []float32      { return s.audio }
func (s *source) Levels() <-chan capture.Level { return s.levels }
func (s *source) Err() <-chan error            { return s.errs }

func (s *source) Stop(context.Context) error {
	s.once.Do(func() { close(s.quit) })
	return nil
}

func (s *source) run() {
	defer func() {
		close(s.audio)
		close(s.levels)
		close(s.errs)
		s.mu.Lock()
		s.sent = s.total // whoever waits is let go
		s.cond.Broadcast()
		s.mu.Unlock()
	}()
	t0 := time.Now()
	for n := int64(0); n < s.total; {
		k := min(int64(chunk), s.total-n)
		off := int((n + int64(s.offset)) % int64(len(s.pattern)))
		x := make([]float32, k) // a stream hands out a new slice each time; the session and segmenter copy what they keep
		for i := range x {
			x[i] = s.pattern[(off+i)%len(s.pattern)]
		}
		if s.speed > 0 {
			due := t0.Add(time.Duration(float64(pcm.Duration(n+k)) / s.speed))
			if d := time.Until(due); d > 0 {
				time.Sleep(d)
			}
		}
		select {
		case s.audio <- x:
		case <-s.quit:
			return
		}
		n += k
		s.mu.Lock()
		s.sent = n
		s.cond.Broadcast()
		s.mu.Unlock()
	}
}

// waitFor returns once n samples were delivered (or the source ended).
func (s *source) waitFor(n int64) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for s.sent < n && s.sent < s.total {
		s.cond.Wait()
	}
}

// speechPattern is two minutes of utterances of 2-9 s of voiced sound between pauses of 0.4-3 s, over
// a quiet room (-65 dBFS); looped, so that generating hours of it costs nothing.
func speechPattern() []float32 {
	rng := rand.New(rand.NewPCG(19, 2026))
	n := pcm.Samples(2 * time.Minute)
	x := testenv.Noise(rng, n, -65)
	voice := testenv.Voice(pcm.Samples(9 * time.Second))
	for at := pcm.Samples(time.Second); ; {
		l := pcm.Samples(time.Duration(2000+rng.IntN(7000)) * time.Millisecond)
		if at+l > n-pcm.Samples(time.Second) {
			break
		}
		for i := range l {
			x[at+i] += voice[i]
		}
		at += l + pcm.Samples(time.Duration(400+rng.IntN(2600))*time.Millisecond)
	}
	return x
}

// fakeModel hears each utterance at once: a sentence naming its number and length, without keeping
// the audio it was fed.
type fakeModel struct{ n atomic.Int64 }

func (m *fakeModel) count() int { return int(m.n.Load()) }

func (m *fakeModel) StartUtterance(ctx context.Context) (speech.Utterance, error) {
	return &fakeUtt{m: m}, ctx.Err()
}

type fakeUtt struct {
	m       *fakeModel
	samples int
}

func (u *fakeUtt) Feed(ctx context.Context, samples []float32) error {
	u.samples += len(samples)
	return ctx.Err()
}

func (u *fakeUtt) Peek(ctx context.Context, target string, maxTokens int) (string, error) {
	return fmt.Sprintf("so far %s", pcm.Duration(int64(u.samples)).Round(100*time.Millisecond)), ctx.Err()
}

func (u *fakeUtt) Finish(ctx context.Context, targets []string, emit func(string, string)) (map[string]speech.Result, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	i := u.m.n.Add(1)
	out := map[string]speech.Result{}
	for _, t := range targets {
		text := fmt.Sprintf("Utterance %d lasted %s; the meeting goes on with the next point on the agenda.", i,
			pcm.Duration(int64(u.samples)).Round(100*time.Millisecond))
		if t != "" {
			text = "(" + t + ") " + text
		}
		if emit != nil {
			emit(t, text)
		}
		out[t] = speech.Result{Text: text, Tokens: 16, TokensPerSec: 1000}
	}
	return out, nil
}

func (u *fakeUtt) Release() {}
