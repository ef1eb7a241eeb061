//go:build cgo

package live

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/verbatim-app/verbatim/app/session"
	"github.com/verbatim-app/verbatim/app/speech"
	"github.com/verbatim-app/verbatim/capture"
	"github.com/verbatim-app/verbatim/capture/audiofile"
	"github.com/verbatim-app/verbatim/capture/miniaudio"
	"github.com/verbatim-app/verbatim/tools/testenv"
)

// The crash test: a child process (this test binary, re-executed) listens and records a session; it
// reports on stdout how much audio the pipeline has taken and which final segments it has sent. The
// parent kills it with SIGKILL mid-sentence and recovers the session.
const (
	childRootEnv   = "VERBATIM_LIVE_CHILD_ROOT"
	childSourceEnv = "VERBATIM_LIVE_CHILD_SOURCE" // "fake" or "pulse"
)

func TestMain(m *testing.M) {
	if root := os.Getenv(childRootEnv); root != "" {
		child(root, os.Getenv(childSourceEnv))
		return
	}
	os.Exit(m.Run())
}

// crashSignal is what the fake device says in the crash test: 1.2 s of speech every 2 s.
func crashSignal() []float32 {
	var spans []span
	for t := 300 * time.Millisecond; t < 58*time.Second; t += 2 * time.Second {
		spans = append(spans, span{t, t + 1200*time.Millisecond})
	}
	return scene(60*time.Second, spans...)
}

func child(root, source string) {
	var mu sync.Mutex
	taken := 0
	open := func(ctx context.Context, c capture.Config) (Source, error) {
		var src Source
		if source == "pulse" {
			c.Backend = capture.BackendPulseAudio
			s, err := miniaudio.New(nil).Open(ctx, c)
			if err != nil {
				return nil, err
			}
			src = s
		} else {
			src = newFakeSource(crashSignal(), true, nil)
		}
		return &counting{Source: src, n: func(k int) { mu.Lock(); taken += k; mu.Unlock() }}, nil
	}
	m := &fakeModel{finishDelay: 50 * time.Millisecond}
	r := New(func() speech.Model { return m })
	ch, err := r.Start(context.Background(), Config{Open: open, SessionRoot: root})
	if err != nil {
		fmt.Println("error", err)
		os.Exit(1)
	}
	fmt.Println("dir", r.SessionDir())
	tick := time.NewTicker(50 * time.Millisecond)
	for {
		select {
		case e := <-ch:
			switch {
			case e.Segment != nil && e.Segment.Final:
				fmt.Println("segment", e.Segment.ID)
			case e.Err != nil:
				fmt.Println("error", e.Err)
				os.Exit(1)
			}
		case <-tick.C:
			mu.Lock()
			fmt.Println("audio", taken)
			mu.Unlock()
		}
	}
}

// counting reports how many samples the pipeline has taken from the source.
type counting struct {
	Source
	n     func(int)
	once  sync.Once
	audio chan []float32
}

func (c *counting) Audio() <-chan []float32 {
	c.once.Do(func() {
		c.audio = make(chan []float32)
		go func() {
			defer close(c.audio)
			for x := range c.Source.Audio() {
				c.audio <- x
				c.n(len(x)) // counted once the reader has it
			}
		}()
	})
	return c.audio
}

func TestKill9LosesAtMostOneSecond(t *testing.T) {
	t.Run("fake", func(t *testing.T) { kill9(t, "fake") })
	t.Run("pulse", func(t *testing.T) {
		testenv.RequirePulse(t, []string{"paplay", "espeak-ng"})
		kill9(t, "pulse")
	})
}

func kill9(t *testing.T, source string) {
	root := t.TempDir()
	cmd := exec.Command(os.Args[0], "-test.run=^$")
	cmd.Env = append(os.Environ(), childRootEnv+"="+root, childSourceEnv+"="+source)
	cmd.Stderr = os.Stderr
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	defer cmd.Process.Kill()
	var player *exec.Cmd
	if source == "pulse" {
		// Speech with pauses, played into the virtual microphone over and over while the child listens.
		sig, _ := spoken(t, 800*time.Millisecond, "bring the red box to the kitchen", "at five please")
		wav := writeWAV(t, sig)
		player = exec.Command("sh", "-c", "while paplay --device=vmic_sink "+wav+"; do :; done")
		if err := player.Start(); err != nil {
			t.Fatal(err)
		}
		defer func() { player.Process.Kill(); player.Wait() }()
	}
	deadline := time.AfterFunc(60*time.Second, func() { cmd.Process.Kill() })
	defer deadline.Stop()
	p := testenv.ReadProgress(t, out, func(p testenv.Progress) bool {
		// Mid-sentence, well after a sync and with segments on disk.
		return p.Audio >= samplesOf(6500*time.Millisecond) && p.Segments >= 2
	})
	dir, taken, segments := p.Dir, p.Audio, p.Segments
	if err := cmd.Process.Signal(syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	cmd.Wait()
	if taken == 0 {
		t.Fatal("the child reported no audio")
	}

	infos, err := session.Recover(root)
	if err != nil || len(infos) != 1 {
		t.Fatalf("Recover: %+v, %v", infos, err)
	}
	info := infos[0]
	got := samplesOf(info.AudioDuration)
	t.Logf("child took %v of audio and sent %d final segments; recovered %v and %d segments",
		dur(taken), segments, info.AudioDuration, len(info.Segments))
	if info.Dir != dir {
		t.Errorf("recovered %s, child recorded %s", info.Dir, dir)
	}
	if got < taken-sr {
		t.Errorf("recovered %v of audio, the child had taken %v: lost more than a second", info.AudioDuration, dur(taken))
	}
	if len(info.Segments) < segments {
		t.Errorf("recovered %d segments, the child had sent %d", len(info.Segments), segments)
	}
	for i, s := range info.Segments {
		if s.ID != i || !s.Final || !strings.HasPrefix(s.Text, fmt.Sprintf("utterance %d ", i)) {
			t.Errorf("segment %d recovered as %+v", i, s)
		}
	}
	if source != "fake" {
		return
	}
	a, err := audiofile.DecodeFile(info.AudioPath)
	if err != nil {
		t.Fatal(err)
	}
	want := crashSignal()
	for i, v := range a.Samples {
		if d := v - want[i]; d > 1.0/32768 || d < -1.0/32768 {
			t.Fatalf("recovered sample %d: %v, want %v", i, v, want[i])
		}
	}
}
