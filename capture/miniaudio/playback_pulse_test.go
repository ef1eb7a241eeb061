//go:build cgo

package miniaudio

import (
	"context"
	"io"
	"math"
	"os/exec"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/verbatim-app/verbatim/capture"
	"github.com/verbatim-app/verbatim/capture/audiofile"
	"github.com/verbatim-app/verbatim/capture/pcm"
	"github.com/verbatim-app/verbatim/tools/testenv"
)

// Playback through the private PulseAudio: Speakers play into the default sink (vspeakers, a null
// sink at 48 kHz stereo) and its monitor hears it.

// recorder keeps what vmic hears while a test plays.
type recorder struct {
	s    *capture.Stream
	mu   sync.Mutex
	got  []float32
	done chan struct{}
}

func record(t *testing.T) *recorder {
	t.Helper()
	testenv.RequirePulse(t, []string{"espeak-ng"}, "vmic")
	out, err := exec.Command("pactl", "get-default-sink").Output()
	if err != nil {
		t.Fatalf("pactl get-default-sink: %v", err)
	}
	monitor := strings.TrimSpace(string(out)) + ".monitor"
	s, err := New(nil).Open(context.Background(), capture.Config{Backend: capture.BackendPulseAudio, DeviceName: monitor})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Stop(context.Background()) })
	waitFrames(t, s, 6*time.Second)
	r := &recorder{s: s, done: make(chan struct{})}
	go func() {
		for x := range s.Audio() {
			r.mu.Lock()
			r.got = append(r.got, x...)
			r.mu.Unlock()
		}
		close(r.done)
	}()
	return r
}

func (r *recorder) len() int {
	r.mu.Lock()
	defer r.mu.Unlock()
	return len(r.got)
}

// stop ends the recording after a moment for the last played audio to come through.
func (r *recorder) stop(t *testing.T) []float32 {
	t.Helper()
	time.Sleep(300 * time.Millisecond)
	if err := r.s.Stop(context.Background()); err != nil {
		t.Fatal(err)
	}
	<-r.done
	return r.got
}

// loud marks the 50 ms windows of x whose RMS is above -40 dBFS.
func loud(x []float32) []bool {
	const w = pcm.Rate / 20
	var out []bool
	for i := 0; i+w <= len(x); i += w {
		var s float64
		for _, v := range x[i : i+w] {
			s += float64(v) * float64(v)
		}
		out = append(out, math.Sqrt(s/w) > 0.01)
	}
	return out
}

// spans are the lengths of the runs of equal values in marks, as windows (50 ms each).
func spans(marks []bool) (loudTotal, longestQuietInside int) {
	first, last := -1, -1
	for i, m := range marks {
		if m {
			loudTotal++
			if first < 0 {
				first = i
			}
			last = i
		}
	}
	run := 0
	for i := first; i >= 0 && i <= last; i++ {
		if marks[i] {
			run = 0
			continue
		}
		run++
		longestQuietInside = max(longestQuietInside, run)
	}
	return loudTotal, longestQuietInside
}

// waitDone waits for the playback to end by itself.
func waitDone(t *testing.T, p *capture.Playback, limit time.Duration) {
	t.Helper()
	select {
	case <-p.Done():
	case <-time.After(limit):
		t.Fatalf("playback did not end within %v (position %v)", limit, p.Position())
	}
}

func TestPulsePlaybackHeard(t *testing.T) {
	ref, wav := speech(t, "playing back what was recorded, from the line that was clicked")
	rec := record(t)
	src, err := audiofile.Open(wav)
	if err != nil {
		t.Fatal(err)
	}
	defer src.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	p, err := NewSpeakers(capture.BackendPulseAudio, nil).Play(ctx, src)
	if err != nil {
		t.Fatal(err)
	}
	waitDone(t, p, dur(len(ref))+5*time.Second)
	if p.Err() != nil {
		t.Fatalf("Err: %v", p.Err())
	}
	got := rec.stop(t)
	lag, c := bestAlignment(ref, got)
	t.Logf("played %v (position %v), heard %v; best lag %v, correlation %.4f", dur(len(ref)), p.Position(), dur(len(got)), dur(lag), c)
	if c < 0.9 {
		t.Errorf("what the monitor heard correlates %.3f with what was played, want ≥ 0.9", c)
	}
	if p.Position() != dur(len(ref)) {
		t.Errorf("Position %v at the end, want %v", p.Position(), dur(len(ref)))
	}
}

func TestPulsePlaybackPauseResume(t *testing.T) {
	const played = 3 * time.Second
	voice := testenv.Voice(pcm.Samples(played))
	rec := record(t)
	p, err := NewSpeakers(capture.BackendPulseAudio, nil).Play(context.Background(), &slice{x: voice})
	if err != nil {
		t.Fatal(err)
	}
	time.Sleep(time.Second)
	p.Pause()
	time.Sleep(100 * time.Millisecond) // what the device had buffered plays out
	at := p.Position()
	time.Sleep(time.Second)
	if p.Position() != at {
		t.Errorf("position moved while paused: %v → %v", at, p.Position())
	}
	p.Resume()
	waitDone(t, p, played+5*time.Second)
	got := rec.stop(t)
	loudW, quietW := spans(loud(got))
	t.Logf("paused at %v; heard %v of sound, the longest silence inside it %v", at, 50*time.Millisecond*time.Duration(loudW), 50*time.Millisecond*time.Duration(quietW))
	// All of the sound, once: nothing skipped or repeated across the pause.
	if d := 50 * time.Millisecond * time.Duration(loudW); d < played-200*time.Millisecond || d > played+200*time.Millisecond {
		t.Errorf("heard %v of sound, want %v", d, played)
	}
	// The pause is heard as silence between the two parts.
	if q := 50 * time.Millisecond * time.Duration(quietW); q < 800*time.Millisecond || q > 1300*time.Millisecond {
		t.Errorf("silence inside the playback %v, want about 1 s (the pause)", q)
	}
}

func TestPulsePlaybackStop(t *testing.T) {
	voice := testenv.Voice(pcm.Samples(20 * time.Second))
	rec := record(t)
	p, err := NewSpeakers(capture.BackendPulseAudio, nil).Play(context.Background(), &slice{x: voice})
	if err != nil {
		t.Fatal(err)
	}
	time.Sleep(800 * time.Millisecond)
	t0 := time.Now()
	if err := p.Stop(context.Background()); err != nil {
		t.Fatal(err)
	}
	took := time.Since(t0)
	stoppedAt := rec.len()
	time.Sleep(700 * time.Millisecond)
	got := rec.stop(t)
	if took > time.Second {
		t.Errorf("Stop took %v", took)
	}
	// Allow what was already on its way through the server (a few hundred ms) after Stop returned.
	after := loud(got[min(len(got), stoppedAt+pcm.Rate/4):])
	for i, l := range after {
		if l {
			t.Fatalf("sound %v after Stop returned", 250*time.Millisecond+50*time.Millisecond*time.Duration(i))
		}
	}
	if loudW, _ := spans(loud(got)); loudW == 0 {
		t.Fatal("nothing was heard before Stop")
	}
	if pos := p.Position(); pos > 2*time.Second {
		t.Errorf("position %v after stopping at 0.8 s", pos)
	}
}

// slice is a SampleReader over samples in memory.
type slice struct {
	x   []float32
	pos int
}

func (s *slice) Read(p []float32) (int, error) {
	n := copy(p, s.x[s.pos:])
	s.pos += n
	if s.pos == len(s.x) {
		return n, io.EOF
	}
	return n, nil
}
