//go:build cgo

package miniaudio

import (
	"context"
	"errors"
	"math"
	"os/exec"
	"path/filepath"
	"testing"
	"time"

	"github.com/verbatim-app/verbatim/capture"
	"github.com/verbatim-app/verbatim/capture/audiofile"
	"github.com/verbatim-app/verbatim/capture/pcm"
	"github.com/verbatim-app/verbatim/tools/testenv"
)

// These tests capture through a real sound server: the private PulseAudio of tools/testenv/pulse.sh,
// whose virtual microphones hear whatever is played to their sinks. They run whenever a server answers,
// and with VERBATIM_NO_SKIP=1 (make test) a missing server is a failure, not a skip, so CI cannot pass by
// silently testing nothing:
//
//	eval "$(tools/testenv/pulse.sh start)"
//	VERBATIM_NO_SKIP=1 go test ./capture/miniaudio/
//	tools/testenv/pulse.sh stop

// speech synthesises a phrase and returns it at 16 kHz mono, plus the path of a 16 kHz WAV of it.
func speech(t *testing.T, text string) ([]float32, string) {
	t.Helper()
	dir := t.TempDir()
	raw := filepath.Join(dir, "raw.wav")
	if out, err := exec.Command("espeak-ng", "-v", "en-us", "-w", raw, text).CombinedOutput(); err != nil {
		t.Fatalf("espeak-ng: %v: %s", err, out)
	}
	a, err := audiofile.DecodeFile(raw)
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(dir, "speech16k.wav")
	testenv.WriteWAV(t, path, a.Samples)
	// What is played is the 16-bit file, so compare against its quantised samples.
	q, err := audiofile.DecodeFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return q.Samples, path
}

// bestAlignment returns the lag of ref inside got with the highest normalised correlation: a coarse
// search on 8× decimated signals, then a fine one around the winner.
func bestAlignment(ref, got []float32) (lag int, corr float64) {
	ncc := func(lag, step int) float64 {
		var xy, xx, yy float64
		for i := 0; i < len(ref); i += step {
			x, y := float64(ref[i]), float64(got[lag+i])
			xy += x * y
			xx += x * x
			yy += y * y
		}
		if xx == 0 || yy == 0 {
			return 0
		}
		return xy / math.Sqrt(xx*yy)
	}
	if len(got) < len(ref) {
		return 0, 0
	}
	best, bestC := 0, math.Inf(-1)
	for l := 0; l+len(ref) <= len(got); l += 4 {
		if c := ncc(l, 8); c > bestC {
			best, bestC = l, c
		}
	}
	lo, hi := max(0, best-8), min(len(got)-len(ref), best+8)
	bestC = math.Inf(-1)
	for l := lo; l <= hi; l++ {
		if c := ncc(l, 1); c > bestC {
			lag, bestC = l, c
		}
	}
	return lag, bestC
}

func TestPulseSpeechRoundTrip(t *testing.T) {
	testenv.RequirePulse(t, []string{"paplay", "espeak-ng"}, "vmic", "vmic44")
	ref, wav := speech(t, "hello from the virtual microphone, one two three")
	for _, tc := range []struct{ device, sink string }{
		{"", "vmic_sink"},                   // the default source: 16 kHz mono, no conversion
		{"Verbatim-mic-44k", "vmic44_sink"}, // by name: 44.1 kHz stereo, downmixed and resampled
	} {
		t.Run("device="+tc.device, func(t *testing.T) {
			ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
			defer cancel()
			s, err := New(nil).Open(ctx, capture.Config{Backend: capture.BackendPulseAudio, DeviceName: tc.device})
			if err != nil {
				t.Fatal(err)
			}
			defer s.Stop(context.Background())
			// A device takes a moment to deliver; audio played before that is lost.
			waitFrames(t, s, 6*time.Second)
			var got []float32
			collected := make(chan struct{})
			go func() {
				for x := range s.Audio() {
					got = append(got, x...)
				}
				close(collected)
			}()
			if out, err := exec.CommandContext(ctx, "paplay", "--device="+tc.sink, wav).CombinedOutput(); err != nil {
				t.Fatalf("paplay: %v: %s", err, out)
			}
			time.Sleep(300 * time.Millisecond)
			t0 := time.Now()
			if err := s.Stop(ctx); err != nil {
				t.Fatalf("Stop: %v", err)
			}
			<-collected
			lag, c := bestAlignment(ref, got)
			t.Logf("device format %v; captured %v, played %v; stop took %v; best lag %v, correlation %.4f; dropped %d",
				s.Format(), dur(len(got)), dur(len(ref)), time.Since(t0), dur(lag), c, s.Dropped())
			if c < 0.9 {
				t.Errorf("captured audio correlates %.3f with what was played, want ≥ 0.9", c)
			}
		})
	}
}

func dur(n int) time.Duration { return pcm.Duration(int64(n)) }

// Suspending the source makes PulseAudio stop the stream under miniaudio, which is how an unplugged
// USB microphone looks; miniaudio's Uninit then blocks. The stream must report it and Stop must return
// within its bound anyway.
func TestPulseDeviceStopsDelivering(t *testing.T) {
	testenv.RequirePulse(t, nil, "vmic", "vmic44")
	const src = "vmic44"
	t.Cleanup(func() { exec.Command("pactl", "suspend-source", src, "0").Run() })
	s, err := New(nil).Open(context.Background(), capture.Config{
		Backend: capture.BackendPulseAudio, DeviceName: src,
		StallTimeout: time.Second, StopTimeout: time.Second,
	})
	if err != nil {
		t.Fatal(err)
	}
	waitFrames(t, s, 6*time.Second)
	n := 0
	collected := make(chan struct{})
	go func() {
		for x := range s.Audio() {
			n += len(x)
		}
		close(collected)
	}()
	time.Sleep(500 * time.Millisecond)
	if out, err := exec.Command("pactl", "suspend-source", src, "1").CombinedOutput(); err != nil {
		t.Fatalf("pactl suspend-source: %v: %s", err, out)
	}
	select {
	case err := <-s.Err():
		if !errors.Is(err, capture.ErrDeviceLost) && !errors.Is(err, capture.ErrStalled) {
			t.Errorf("Err: %v, want ErrDeviceLost or ErrStalled", err)
		}
		t.Logf("reported: %v", err)
	case <-time.After(5 * time.Second):
		t.Fatal("no error within 5 s of the device going away")
	}
	<-collected // Audio closes after the error, with what was captured
	t0 := time.Now()
	err = s.Stop(context.Background())
	el := time.Since(t0)
	t.Logf("captured %v before the stop; Stop returned after %v: %v", dur(n), el, err)
	if el > 2*time.Second+500*time.Millisecond {
		t.Errorf("Stop took %v, bound is 2× StopTimeout (1 s)", el)
	}
	if n < pcm.Rate/4 {
		t.Errorf("only %d samples delivered before the device went away", n)
	}
}

// waitFrames fails the test unless s delivers its first frames within limit.
func waitFrames(t *testing.T, s *capture.Stream, limit time.Duration) {
	t.Helper()
	t0 := time.Now()
	select {
	case <-s.Ready():
		t.Logf("first frames after %v", time.Since(t0))
	case <-time.After(limit):
		t.Fatalf("no frames from the device within %v", limit)
	}
}

// The null backend needs no server at all; it checks start, timing and stop of the real malgo path.
func TestNullBackend(t *testing.T) {
	s, err := New(nil).Open(context.Background(), capture.Config{Backend: capture.BackendNull})
	if err != nil {
		t.Fatalf("miniaudio's null backend needs no sound server, yet it failed: %v", err)
	}
	waitFrames(t, s, 5*time.Second)
	var n int
	var nonzero bool
	done := make(chan struct{})
	go func() {
		for x := range s.Audio() {
			n += len(x)
			for _, v := range x {
				nonzero = nonzero || v != 0
			}
		}
		close(done)
	}()
	t0 := time.Now()
	time.Sleep(time.Second)
	if err := s.Stop(context.Background()); err != nil {
		t.Fatal(err)
	}
	<-done
	el := time.Since(t0)
	t.Logf("null device %v: %d samples in %v", s.Format(), n, el)
	if want := el.Seconds() * pcm.Rate; float64(n) < 0.7*want || float64(n) > 1.3*want {
		t.Errorf("%d samples in %v, want about %.0f", n, el, want)
	}
	if nonzero {
		t.Error("null device delivered non-zero samples")
	}
}

// The system audio of tools/testenv/pulse.sh: the default output is the null sink vspeakers, and its
// monitor is found, marked, and hears what is played there, while the virtual microphone does not.
func TestPulseMonitorHearsTheOutput(t *testing.T) {
	testenv.RequirePulse(t, []string{"paplay", "espeak-ng"}, "vmic", "vspeakers.monitor")
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	mic := New(nil)
	mon, err := mic.Monitor(ctx, capture.BackendPulseAudio)
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("monitor: %+v", mon)
	if mon.ID != "vspeakers.monitor" || !mon.Monitor || mon.IsDefault {
		t.Errorf("Monitor = %+v, want the default sink's monitor vspeakers.monitor, marked, not the default input", mon)
	}
	devs, err := mic.Devices(ctx, capture.BackendPulseAudio)
	if err != nil {
		t.Fatal(err)
	}
	for _, d := range devs {
		if _, want := capture.MonitorOf(d.ID); d.Monitor != want || (d.ID == "vmic" && d.Monitor) {
			t.Errorf("device %+v: Monitor %v", d, d.Monitor)
		}
	}

	ref, wav := speech(t, "the others speak through the loudspeakers")
	sys, err := mic.Open(ctx, capture.Config{Backend: capture.BackendPulseAudio, DeviceName: mon.ID})
	if err != nil {
		t.Fatal(err)
	}
	defer sys.Stop(context.Background())
	in, err := mic.Open(ctx, capture.Config{Backend: capture.BackendPulseAudio})
	if err != nil {
		t.Fatal(err)
	}
	defer in.Stop(context.Background())
	waitFrames(t, sys, 6*time.Second)
	waitFrames(t, in, 6*time.Second)
	collect := func(s *capture.Stream) <-chan []float32 {
		out := make(chan []float32, 1)
		go func() {
			var got []float32
			for x := range s.Audio() {
				got = append(got, x...)
			}
			out <- got
		}()
		return out
	}
	sysGot, inGot := collect(sys), collect(in)
	if out, err := exec.CommandContext(ctx, "paplay", "--device=vspeakers", wav).CombinedOutput(); err != nil {
		t.Fatalf("paplay: %v: %s", err, out)
	}
	time.Sleep(300 * time.Millisecond)
	if err := errors.Join(sys.Stop(ctx), in.Stop(ctx)); err != nil {
		t.Fatal(err)
	}
	heard, micHeard := <-sysGot, <-inGot
	lag, c := bestAlignment(ref, heard)
	var peak float32
	for _, v := range micHeard {
		peak = max(peak, float32(math.Abs(float64(v))))
	}
	t.Logf("monitor format %v: captured %v, played %v, lag %v, correlation %.4f; microphone peak %.5f over %v",
		sys.Format(), dur(len(heard)), dur(len(ref)), dur(lag), c, peak, dur(len(micHeard)))
	if c < 0.9 {
		t.Errorf("the monitor's audio correlates %.3f with what was played, want ≥ 0.9", c)
	}
	if peak > 1e-3 || len(micHeard) < pcm.Rate {
		t.Errorf("the microphone heard the loudspeakers (peak %.4f) or too little (%v)", peak, dur(len(micHeard)))
	}
}
