//go:build cgo

package dictate

import (
	"context"
	"io"
	"log/slog"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/verbatim-app/verbatim/app/live"
	"github.com/verbatim-app/verbatim/app/speech"
	"github.com/verbatim-app/verbatim/assets"
	"github.com/verbatim-app/verbatim/capture/audiofile"
	"github.com/verbatim-app/verbatim/inference"
	"github.com/verbatim-app/verbatim/tools/testenv"
	"github.com/verbatim-app/verbatim/ui/x11"
)

// benchSentence is in the demo model's vocabulary.
const benchSentence = "please bring the red box to the kitchen"

// demoModel loads the bundled demo model with its MTP head, as `verbatim dictate` does with no --model.
func demoModel(tb testing.TB) speech.Model {
	tb.Helper()
	if !assets.HasDemo() {
		tb.Fatal("this build has no bundled demo model (make demo-model)")
	}
	dir := tb.TempDir()
	model, err := assets.Extract(dir, assets.DemoModel)
	if err != nil {
		tb.Fatal(err)
	}
	proj, err := assets.Extract(dir, assets.DemoProjector)
	if err != nil {
		tb.Fatal(err)
	}
	e, err := inference.Load(context.Background(), inference.Config{ModelPath: model, ProjectorPath: proj,
		Logger: slog.New(slog.NewTextHandler(io.Discard, nil))})
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(e.Close)
	if head, err := assets.Extract(dir, assets.DemoMTPHead); err == nil {
		if err := e.LoadMTPHead(context.Background(), head); err != nil {
			tb.Logf("MTP head not used: %v", err)
		}
	}
	return speech.Lease(speech.Opened{Model: inference.SpeechModel(e, inference.Options{Draft: speech.DraftAuto})}, "")
}

// espeak says text at 16 kHz.
func espeak(tb testing.TB, text string) []float32 {
	tb.Helper()
	path := filepath.Join(tb.TempDir(), "say.wav")
	if out, err := exec.Command("espeak-ng", "-v", "en-us", "-w", path, text).CombinedOutput(); err != nil {
		tb.Fatalf("espeak-ng: %v: %s", err, out)
	}
	a, err := audiofile.DecodeFile(path)
	if err != nil {
		tb.Fatal(err)
	}
	return a.Samples
}

// pushRealtime sends x through the microphone at the pace a device delivers it, so the model hears it
// while it is "spoken", as in real use.
func (m *fakeMic) pushRealtime(x []float32) {
	const chunk = 320 // 20 ms
	next := time.Now()
	for len(x) > 0 {
		n := min(chunk, len(x))
		if !m.push(x[:n]) {
			return
		}
		x = x[n:]
		next = next.Add(20 * time.Millisecond)
		time.Sleep(time.Until(next))
	}
}

// BenchmarkReleaseToText measures dictation's latency as a person feels it: from the release of the
// shortcut (the X server's KeyRelease as it reaches Verbatim) to the last character of the text
// delivered to the X server, on the demo model, with the speech fed in real time before the release.
// It reports the median as dictation_release_to_text_ms.
func BenchmarkReleaseToText(b *testing.B) {
	testenv.NeedTools(b, "Xvfb", "xdotool", "espeak-ng")
	x11.RouteLogs(slog.New(slog.DiscardHandler)) // xgb's note on every connection without ~/.Xauthority
	display := testenv.Xvfb(b)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	sc, _ := x11.ParseShortcut("ctrl+alt+space")
	grab, err := x11.GrabShortcut(ctx, display, sc, nil)
	if err != nil {
		b.Fatal(err)
	}
	defer grab.Close()
	kb, err := x11.OpenKeyboard(display, nil)
	if err != nil {
		b.Fatal(err)
	}
	defer kb.Close()
	keys := make(chan KeyEvent)
	go func() {
		for e := range grab.Events() {
			keys <- KeyEvent{Down: e.Down, At: e.At}
		}
		close(keys)
	}()
	model := demoModel(b)
	voice := espeak(b, benchSentence)
	mic := newFakeMic()
	go mic.run()
	states := make(chan State, 16)
	typed := make(chan Typed, 16)
	done := make(chan error, 1)
	go func() {
		done <- Run(ctx, func() speech.Model { return model }, fakeKeys{ch: keys}, kb, Config{
			Live:     live.Config{Open: mic.open},
			Commands: true,
			Log:      slog.New(slog.NewTextHandler(io.Discard, nil)),
			OnState:  func(s State) { states <- s },
			OnTyped:  func(t Typed) { typed <- t },
		})
	}()
	xdotool := func(args ...string) {
		cmd := exec.Command("xdotool", args...)
		cmd.Env = append(os.Environ(), "DISPLAY="+display)
		if out, err := cmd.CombinedOutput(); err != nil {
			b.Fatalf("xdotool %v: %v: %s", args, err, out)
		}
	}
	waitState := func(want State) {
		for {
			select {
			case s := <-states:
				if s == want {
					return
				}
			case <-time.After(10 * time.Second):
				b.Fatalf("no %v state", want)
			}
		}
	}
	waitState(Idle)
	var lat []float64
	b.ResetTimer()
	for range b.N {
		xdotool("keydown", "ctrl+alt+space")
		waitState(Listening)
		mic.pushRealtime(mic.room(300 * time.Millisecond))
		mic.pushRealtime(voice)
		mic.pushRealtime(mic.room(150 * time.Millisecond)) // the person lets go just after the last word
		xdotool("keyup", "ctrl+alt+space")
		select {
		case t := <-typed:
			if !strings.Contains(strings.ToLower(t.Text), "kitchen") {
				b.Errorf("typed %q, want %q", t.Text, benchSentence)
			}
			lat = append(lat, float64(t.Done.Sub(t.Released).Microseconds())/1000)
		case <-time.After(10 * time.Second):
			b.Fatal("nothing typed within 10 s of the release")
		}
		waitState(Idle)
	}
	b.StopTimer()
	slices.Sort(lat)
	b.ReportMetric(lat[len(lat)/2], "dictation_release_to_text_ms")
	b.Logf("release → text (ms), sorted: %v", lat)
	cancel()
	if err := <-done; err != nil {
		b.Fatal(err)
	}
}
