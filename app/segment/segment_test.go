package segment

import (
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"testing"
	"time"

	"github.com/verbatim-app/verbatim/capture/audiofile"
	"github.com/verbatim-app/verbatim/capture/pcm"
	"github.com/verbatim-app/verbatim/tools/testenv"
)

const sr = pcm.Rate

func dur(n int) time.Duration { return pcm.Duration(int64(n)) }

func add(dst []float32, at int, src []float32) {
	for i, v := range src {
		dst[at+i] += v
	}
}

type span struct{ start, end int }

// scene lays voiced spans over background noise and returns the signal.
func scene(rng *rand.Rand, total int, bgDB float64, spans []span) []float32 {
	x := testenv.Noise(rng, total, bgDB)
	for _, s := range spans {
		add(x, s.start, testenv.Voice(s.end-s.start))
	}
	return x
}

// run pushes x in random chunks and checks the event invariants: every utterance opens with SpeechStart,
// its Speech events are contiguous and add up to exactly its samples, and utterances do not overlap.
func run(t *testing.T, rng *rand.Rand, x []float32, cfg Config) []Utterance {
	t.Helper()
	s := New(cfg)
	var evs []Event
	for rest := x; len(rest) > 0; {
		n := min(len(rest), 1+rng.IntN(3000))
		evs = append(evs, s.Push(rest[:n])...)
		rest = rest[n:]
	}
	evs = append(evs, s.Flush()...)
	var out []Utterance
	var open bool
	var streamed []float32
	var next, start time.Duration
	for _, e := range evs {
		switch e := e.(type) {
		case SpeechStart:
			if open {
				t.Fatalf("SpeechStart inside an open utterance")
			}
			if len(out) > 0 && e.At < out[len(out)-1].End {
				t.Fatalf("utterance at %v overlaps the previous one ending %v", e.At, out[len(out)-1].End)
			}
			open, streamed, next, start = true, nil, e.At, e.At
		case Speech:
			if !open {
				t.Fatalf("Speech outside an utterance")
			}
			if d := e.At - next; d < -time.Microsecond || d > time.Microsecond {
				t.Fatalf("Speech at %v, expected %v", e.At, next)
			}
			streamed = append(streamed, e.Samples...)
			next = start + dur(len(streamed))
		case SpeechEnd:
			if !open {
				t.Fatalf("SpeechEnd without SpeechStart")
			}
			u := e.Utterance
			if u.Start != start || !slices.Equal(u.Samples, streamed) {
				t.Fatalf("utterance %v–%v: %d samples, streamed %d", u.Start, u.End, len(u.Samples), len(streamed))
			}
			if d := u.End - u.Start - dur(len(u.Samples)); d < -time.Microsecond || d > time.Microsecond {
				t.Fatalf("utterance %v–%v holds %d samples", u.Start, u.End, len(u.Samples))
			}
			open = false
			out = append(out, u)
		}
	}
	if open {
		t.Fatal("utterance left open after Flush")
	}
	// Split must agree with streaming in any chunking.
	if split := Split(x, cfg); len(split) != len(out) {
		t.Fatalf("Split found %d utterances, streaming %d", len(split), len(out))
	} else {
		for i := range split {
			if split[i].Start != out[i].Start || split[i].End != out[i].End {
				t.Fatalf("Split utterance %d at %v–%v, streaming %v–%v", i, split[i].Start, split[i].End, out[i].Start, out[i].End)
			}
		}
	}
	return out
}

func TestNothingFromSilenceOrNoise(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 1))
	for _, tc := range []struct {
		name string
		x    []float32
	}{
		{"digital silence", make([]float32, 10*sr)},
		{"quiet hiss", testenv.Noise(rng, 10*sr, -60)},
		{"loud steady noise", testenv.Noise(rng, 10*sr, -30)},
		{"noise that steps up", append(testenv.Noise(rng, 5*sr, -60), testenv.Noise(rng, 10*sr, -35)...)},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if u := run(t, rng, tc.x, Config{}); len(u) != 0 && tc.name != "noise that steps up" {
				t.Errorf("got %d utterances from %s", len(u), tc.name)
			} else if tc.name == "noise that steps up" && len(u) > 1 {
				// The step itself may look like one onset, but the floor must catch up and end it.
				t.Errorf("got %d utterances from a noise step", len(u))
			}
		})
	}
}

func TestFindsUtterances(t *testing.T) {
	rng := rand.New(rand.NewPCG(2, 2))
	spans := []span{{1 * sr, 3 * sr}, {4 * sr, 4*sr + sr/2}, {6 * sr, 9 * sr}}
	x := scene(rng, 10*sr, -55, spans)
	cfg := DefaultConfig()
	u := run(t, rng, x, cfg)
	if len(u) != len(spans) {
		t.Fatalf("got %d utterances, want %d: %v", len(u), len(spans), times(u))
	}
	for i, sp := range spans {
		start, end := dur(sp.start), dur(sp.end)
		// Start: pre-roll before the onset (the detector needs a few frames to be sure).
		if u[i].Start > start || u[i].Start < start-cfg.PreRoll-40*time.Millisecond {
			t.Errorf("utterance %d starts at %v, speech at %v", i, u[i].Start, start)
		}
		// End: at most the post-roll after the last voiced frame, and nothing of the speech cut off.
		if u[i].End < end || u[i].End > end+cfg.PostRoll+60*time.Millisecond {
			t.Errorf("utterance %d ends at %v, speech at %v", i, u[i].End, end)
		}
	}
}

func TestShortBlipsDiscarded(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 3))
	x := testenv.Noise(rng, 6*sr, -55)
	for _, at := range []int{1 * sr, 2 * sr, 3 * sr} {
		click := testenv.Voice(sr / 16) // 62 ms
		add(x, at, click)
	}
	if u := run(t, rng, x, Config{}); len(u) != 0 {
		t.Errorf("blips produced %d utterances: %v", len(u), times(u))
	}
}

func TestTrailingSilenceSetting(t *testing.T) {
	rng := rand.New(rand.NewPCG(4, 4))
	// Two phrases 400 ms apart: one utterance with the default 500 ms, two with 300 ms.
	x := scene(rng, 5*sr, -55, []span{{sr, 2 * sr}, {2*sr + 2*sr/5, 3 * sr}})
	if u := run(t, rng, x, Config{}); len(u) != 1 {
		t.Errorf("default: %d utterances, want 1: %v", len(u), times(u))
	}
	if u := run(t, rng, x, Config{TrailingSilence: 300 * time.Millisecond, PostRoll: 100 * time.Millisecond}); len(u) != 2 {
		t.Errorf("300 ms: %d utterances, want 2: %v", len(u), times(u))
	}
}

func TestMaxUtteranceCutsAtQuietPoint(t *testing.T) {
	rng := rand.New(rand.NewPCG(5, 5))
	// 30 s of talking without a pause long enough to end an utterance (300 ms gaps every 2.5 s).
	var spans []span
	for at := sr; at < 31*sr; at += 5 * sr / 2 {
		spans = append(spans, span{at, at + 5*sr/2 - 3*sr/10})
	}
	x := scene(rng, 32*sr, -55, spans)
	cfg := DefaultConfig()
	u := run(t, rng, x, cfg)
	t.Logf("utterances: %v", times(u))
	if len(u) < 3 {
		t.Fatalf("got %d utterances: %v", len(u), times(u))
	}
	var total time.Duration
	for i, v := range u {
		if v.End-v.Start > cfg.MaxUtterance {
			t.Errorf("utterance %d lasts %v, over %v", i, v.End-v.Start, cfg.MaxUtterance)
		}
		total += v.End - v.Start
		if i == len(u)-1 {
			break
		}
		// A forced cut lands in one of the gaps, not in the middle of a syllable run.
		inGap := false
		for _, sp := range spans {
			if g := dur(sp.end); v.End >= g-20*time.Millisecond && v.End <= g+dur(3*sr/10)+20*time.Millisecond {
				inGap = true
			}
		}
		if !inGap {
			t.Errorf("utterance %d cut at %v, not in a pause", i, v.End)
		}
	}
	if total < 29*time.Second {
		t.Errorf("utterances cover %v of 30 s of speech", total)
	}
}

func TestEspeakPhrases(t *testing.T) {
	testenv.NeedTools(t, "espeak-ng")
	dir := t.TempDir()
	rng := rand.New(rand.NewPCG(6, 6))
	phrases := []string{"hello there", "this is a test of the segmenter", "goodbye"}
	x := testenv.Noise(rng, sr, -60)
	var spans []span
	for i, p := range phrases {
		path := filepath.Join(dir, "p.wav")
		if out, err := exec.Command("espeak-ng", "-v", "en-us", "-w", path, p).CombinedOutput(); err != nil {
			t.Fatalf("espeak-ng: %v: %s", err, out)
		}
		a, err := audiofile.DecodeFile(path)
		if err != nil {
			t.Fatal(err)
		}
		os.Remove(path)
		spans = append(spans, span{len(x), len(x) + len(a.Samples)})
		x = append(x, a.Samples...)
		x = append(x, testenv.Noise(rng, sr+i*sr/2, -60)...)
		for j := spans[i].start; j < spans[i].end; j++ {
			x[j] += float32((rng.Float64()*2 - 1) * 0.001)
		}
	}
	u := run(t, rng, x, Config{})
	if len(u) != len(phrases) {
		t.Fatalf("got %d utterances for %d phrases: %v", len(u), len(phrases), times(u))
	}
	for i, sp := range spans {
		if u[i].Start > dur(sp.end) || u[i].End < dur(sp.start) {
			t.Errorf("utterance %d (%v–%v) misses phrase %v–%v", i, u[i].Start, u[i].End, dur(sp.start), dur(sp.end))
		}
	}
}

func times(u []Utterance) [][2]time.Duration {
	var out [][2]time.Duration
	for _, v := range u {
		out = append(out, [2]time.Duration{v.Start, v.End})
	}
	return out
}

func BenchmarkSegmenter(b *testing.B) {
	rng := rand.New(rand.NewPCG(7, 7))
	x := scene(rng, 10*sr, -55, []span{{sr, 3 * sr}, {5 * sr, 9 * sr}})
	b.SetBytes(int64(len(x) * 4))
	for b.Loop() {
		Split(x, Config{})
	}
}
