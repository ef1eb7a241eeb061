package desktop

import (
	"context"
	"errors"
	"fmt"
	"os"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/verbatim-app/verbatim/app/live"
	"github.com/verbatim-app/verbatim/app/session"
	"github.com/verbatim-app/verbatim/app/speech"
	"github.com/verbatim-app/verbatim/app/transcript"
	"github.com/verbatim-app/verbatim/capture"
)

// listenMic is a microphone with a fixed device list; its streams come from the test's source.
type listenMic struct {
	devs []capture.Device
	err  error

	mu     sync.Mutex
	opened []capture.Config
}

func (m *listenMic) Devices(context.Context, capture.Backend) ([]capture.Device, error) {
	return m.devs, m.err
}

func (m *listenMic) Open(_ context.Context, cfg capture.Config) (*capture.Stream, error) {
	m.mu.Lock()
	m.opened = append(m.opened, cfg)
	m.mu.Unlock()
	return nil, errListenMicOpen
}

var errListenMicOpen = errors.New("listenMic: the test opens its source through Recorder.open")

// monitorMic is a listenMic that can record the system audio, through the monitor monitor.
type monitorMic struct {
	listenMic
	monitor capture.Device
	err     error
}

func (m *monitorMic) Monitor(context.Context, capture.Backend) (capture.Device, error) {
	return m.monitor, m.err
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
	if _, err := r.Start(ctx, ListenOptions{Device: "USB Mic"}); !errors.Is(err, ErrNoModel) {
		t.Fatalf("without a model: %v, want ErrNoModel", err)
	}
	if ents, _ := os.ReadDir(root); len(src.opened) != 0 || len(ents) != 0 {
		t.Fatalf("without a model: %d opens, %d sessions", len(src.opened), len(ents))
	}

	loaded = &fakeModel{name: "heard"}
	events, err := r.Start(ctx, ListenOptions{Device: "USB Mic", TranslateTo: "es"})
	if err != nil {
		t.Fatal(err)
	}
	finals := map[string]string{} // by language
	spokenID := -1
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
				if ev.Segment.Lang == "" {
					spokenID = ev.Segment.ID
				}
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
	// A line corrected after the recording is in its session's journal.
	dir := r.SessionDir()
	if seg, err := r.EditSegment(dir, spokenID, "", "Corrected."); err != nil || seg.Text != "Corrected." {
		t.Fatalf("EditSegment = %+v, %v", seg, err)
	}
	info, err := session.Load(dir)
	if err != nil {
		t.Fatal(err)
	}
	if i := slices.IndexFunc(info.Segments, func(s transcript.Segment) bool { return s.ID == spokenID && s.Lang == "" }); i < 0 || info.Segments[i].Text != "Corrected." {
		t.Errorf("the session after the edit: %+v", info.Segments)
	}
}

// System audio reaches live: with a microphone that has a monitor, the recorder says it can record it
// and Start opens that monitor as the second source, whose lines carry their speaker; with one that
// has none (no capture.SystemAudio, or a Monitor that finds nothing), SystemAudio says why and a Start
// asking for it fails with capture.ErrNoMonitor. Without the option, no second source is opened.
func TestRecorderSystemAudio(t *testing.T) {
	ctx := context.Background()
	model := func() speech.Model { return &fakeModel{name: "heard"} }
	noMonitor := fmt.Errorf("capture: %w: recording system audio needs PulseAudio or PipeWire", capture.ErrNoMonitor)
	tests := []struct {
		name    string
		mic     capture.Microphone
		hook    bool // the system source is the test's fake, not the microphone's monitor
		system  bool // Start asks for system audio
		support bool // SystemAudio says it can
		wantErr error
		opened  string // the device the microphone itself was asked to open for the system audio
	}{
		{name: "no SystemAudio interface", mic: &listenMic{}, system: true, wantErr: capture.ErrNoMonitor},
		{name: "no monitor found", mic: &monitorMic{err: noMonitor}, system: true, wantErr: capture.ErrNoMonitor},
		{name: "the monitor is opened", mic: &monitorMic{monitor: capture.Device{ID: "out.monitor", Monitor: true}},
			system: true, support: true, wantErr: errListenMicOpen, opened: "out.monitor"},
		{name: "records both", mic: &monitorMic{monitor: capture.Device{ID: "out.monitor", Monitor: true}},
			hook: true, system: true, support: true},
		{name: "off", mic: &monitorMic{monitor: capture.Device{ID: "out.monitor", Monitor: true}}, hook: true, support: true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			r := NewRecorder(model, tc.mic, t.TempDir())
			if err := r.SystemAudio(ctx); (err == nil) != tc.support || (err != nil && !errors.Is(err, capture.ErrNoMonitor)) {
				t.Fatalf("SystemAudio() = %v, want support %v", err, tc.support)
			}
			mic := newListenSource(speechLike(1))
			defer mic.Stop(ctx)
			r.open = mic.open
			sys := newListenSource(nil)
			defer sys.Stop(ctx)
			if tc.hook {
				r.openSystem = sys.open
			}
			events, err := r.Start(ctx, ListenOptions{SystemAudio: tc.system})
			if tc.opened != "" {
				m := tc.mic.(*monitorMic)
				if len(m.opened) != 1 || m.opened[0].DeviceName != tc.opened {
					t.Errorf("the microphone opened %+v, want %q", m.opened, tc.opened)
				}
			}
			if tc.wantErr != nil {
				if !errors.Is(err, tc.wantErr) {
					t.Fatalf("Start: %v, want %v", err, tc.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			speaker := "-"
			for ev := range eventsUntilQuiet(t, r, events) {
				if ev.Segment != nil && ev.Segment.Final {
					speaker = ev.Segment.Speaker
				}
			}
			want, opens := "", 0
			if tc.system {
				want, opens = transcript.Mic, 1
			}
			if speaker != want || len(sys.opened) != opens {
				t.Errorf("final line by %q, system audio opened %d times; want %q, %d", speaker, len(sys.opened), want, opens)
			}
		})
	}
}

// eventsUntilQuiet passes on a run's events, stopping it once they go quiet, until Stopped.
func eventsUntilQuiet(t *testing.T, r *Recorder, events <-chan live.Event) <-chan live.Event {
	out := make(chan live.Event)
	go func() {
		defer close(out)
		stopping := false
		timeout := time.After(20 * time.Second)
		for {
			select {
			case ev, ok := <-events:
				if !ok {
					return
				}
				if ev.Err != nil {
					t.Errorf("listening: %v", ev.Err)
				}
				out <- ev
			case <-timeout:
				t.Error("no Stopped within 20 s")
				return
			case <-time.After(200 * time.Millisecond):
				if !stopping {
					stopping = true
					go r.Stop(context.Background())
				}
			}
		}
	}()
	return out
}
