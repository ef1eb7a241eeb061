package desktop

import (
	"context"
	"errors"
	"os"
	"sync"
	"testing"
	"time"

	"github.com/verbatim-app/verbatim/app/live"
	"github.com/verbatim-app/verbatim/app/speech"
	"github.com/verbatim-app/verbatim/capture"
)

// listenMic is a microphone with a fixed device list; its streams come from the test's source.
type listenMic struct {
	devs []capture.Device
	err  error
}

func (m *listenMic) Devices(context.Context, capture.Backend) ([]capture.Device, error) {
	return m.devs, m.err
}

func (m *listenMic) Open(context.Context, capture.Config) (*capture.Stream, error) {
	return nil, errors.New("listenMic: the test opens its source through Recorder.open")
}

// listenSource delivers signal in 20 ms chunks, then stays open (silent) until Stop.
type listenSource struct {
	signal []float32
	audio  chan []float32
	quit   chan struct{}
	once   sync.Once

	mu     sync.Mutex
	opened []capture.Config
}

func newListenSource(signal []float32) *listenSource {
	s := &listenSource{signal: signal, audio: make(chan []float32), quit: make(chan struct{})}
	go func() {
		defer close(s.audio)
		for x := s.signal; len(x) > 0; x = x[min(320, len(x)):] {
			select {
			case s.audio <- x[:min(320, len(x))]:
			case <-s.quit:
				return
			}
		}
		<-s.quit
	}()
	return s
}

func (s *listenSource) open(_ context.Context, cfg capture.Config) (live.Source, error) {
	s.mu.Lock()
	s.opened = append(s.opened, cfg)
	s.mu.Unlock()
	return s, nil
}

func (s *listenSource) Audio() <-chan []float32      { return s.audio }
func (s *listenSource) Levels() <-chan capture.Level { return nil }
func (s *listenSource) Err() <-chan error            { return nil }
func (s *listenSource) Stop(context.Context) error {
	s.once.Do(func() { close(s.quit) })
	return nil
}

// The window's recorder lists the microphone's devices, refuses to listen without a model (opening
// nothing and recording no session), and otherwise listens to the chosen device through the model,
// translating, with provisional text asked for and the run recorded under the session root.
func TestRecorder(t *testing.T) {
	ctx := context.Background()
	mic := &listenMic{devs: []capture.Device{{Name: "USB Mic"}, {Name: "Built-in", IsDefault: true}}}
	var loaded speech.Model
	root := t.TempDir()
	r := NewRecorder(func() speech.Model { return loaded }, mic, root)

	devs, err := r.Devices(ctx)
	if err != nil || len(devs) != 2 || devs[1].Name != "Built-in" || !devs[1].IsDefault {
		t.Fatalf("devices %+v, %v", devs, err)
	}
	mic.err = errors.New("no audio system")
	if _, err := r.Devices(ctx); !errors.Is(err, mic.err) {
		t.Fatalf("device error %v, want it wrapped", err)
	}

	src := newListenSource(speechLike(1))
	defer src.Stop(ctx)
	r.open = src.open
	if _, err := r.Start(ctx, "USB Mic", ""); !errors.Is(err, ErrNoModel) {
		t.Fatalf("without a model: %v, want ErrNoModel", err)
	}
	if ents, _ := os.ReadDir(root); len(src.opened) != 0 || len(ents) != 0 {
		t.Fatalf("without a model: %d opens, %d sessions", len(src.opened), len(ents))
	}

	loaded = &fakeModel{name: "heard"}
	events, err := r.Start(ctx, "USB Mic", "es")
	if err != nil {
		t.Fatal(err)
	}
	finals := map[string]string{} // by language
	stopping := false
	timeout := time.After(20 * time.Second)
	for stopped := false; !stopped; {
		select {
		case ev, ok := <-events:
			if !ok {
				t.Fatal("the channel closed before Stopped")
			}
			switch {
			case ev.Segment != nil && ev.Segment.Final:
				finals[ev.Segment.Lang] = ev.Segment.Text
			case ev.Err != nil:
				t.Fatalf("listening: %v", ev.Err)
			case ev.Stopped:
				stopped = true
			}
		case <-timeout:
			t.Fatalf("no Stopped within 20 s; finals %v", finals)
		case <-time.After(200 * time.Millisecond):
			// The source has said all it has once it goes quiet: what is left is heard on Stop.
			if !stopping {
				stopping = true
				go func() {
					if err := r.Stop(ctx); err != nil {
						t.Errorf("stop: %v", err)
					}
				}()
			}
		}
	}
	if _, ok := <-events; ok {
		t.Error("an event after Stopped")
	}
	if finals[""] != "heard" || finals["es"] != "heard" {
		t.Errorf("final segments %v, want the transcript and its Spanish", finals)
	}
	if len(src.opened) != 1 || src.opened[0].DeviceName != "USB Mic" {
		t.Errorf("opened %+v, want USB Mic once", src.opened)
	}
	if ents, err := os.ReadDir(root); err != nil || len(ents) != 1 {
		t.Errorf("%d sessions under the root (%v), want 1", len(ents), err)
	}
}
