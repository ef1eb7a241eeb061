package ui

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/canvas"
	"fyne.io/fyne/v2/test"

	"github.com/verbatim-app/verbatim/app/batch"
	"github.com/verbatim-app/verbatim/app/desktop"
	"github.com/verbatim-app/verbatim/app/live"
	"github.com/verbatim-app/verbatim/app/transcript"
)

// Fakes of the app services, in app's types. Their channels are unbuffered and every send is followed by an empty
// event: when that second send returns, the UI has rendered the first (fyne.Do runs at once under
// the test driver), so tests can look at widgets without sleeping.

type fakeRecorder struct {
	mu        sync.Mutex
	devices   []desktop.Device
	startErr  error
	ch        chan live.Event
	started   startCall // what the last Start was asked
	stopCalls chan struct{}
	targets   []string
}

// startCall is what Start was asked: the device and the translation target.
type startCall struct{ device, translateTo string }

func newFakeRecorder() *fakeRecorder {
	return &fakeRecorder{
		devices:   []desktop.Device{{Name: "USB Mic"}, {Name: "Built-in", IsDefault: true}},
		stopCalls: make(chan struct{}, 4),
	}
}

func (f *fakeRecorder) Devices(context.Context) ([]desktop.Device, error) { return f.devices, nil }

func (f *fakeRecorder) Start(_ context.Context, device, translateTo string) (<-chan live.Event, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.startErr != nil {
		return nil, f.startErr
	}
	f.started = startCall{device, translateTo}
	f.ch = make(chan live.Event)
	return f.ch, nil
}

func (f *fakeRecorder) Stop(context.Context) error {
	f.stopCalls <- struct{}{}
	return nil
}

func (f *fakeRecorder) SetTranslateTo(t string) error {
	f.mu.Lock()
	f.targets = append(f.targets, t)
	f.mu.Unlock()
	return nil
}

// send delivers ev and returns once it is rendered.
func (f *fakeRecorder) send(ev live.Event) {
	f.mu.Lock()
	ch := f.ch
	f.mu.Unlock()
	ch <- ev
	ch <- live.Event{}
}

func (f *fakeRecorder) segment(id int, text, lang string, final bool) {
	f.send(live.Event{Segment: &transcript.Segment{ID: id, Text: text, Lang: lang, Final: final,
		Start: time.Duration(id) * 2 * time.Second, End: time.Duration(id+1) * 2 * time.Second}})
}

// finish ends listening as the app does after Stop.
func (f *fakeRecorder) finish() {
	f.mu.Lock()
	ch := f.ch
	f.mu.Unlock()
	ch <- live.Event{Stopped: true}
	close(ch)
}

type fakeBatch struct {
	mu        sync.Mutex
	runs      [][]string
	opts      []batch.Options
	ch        chan desktop.BatchEvent
	cancelled []string
}

func (f *fakeBatch) Run(_ context.Context, paths []string, o batch.Options) <-chan desktop.BatchEvent {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.runs = append(f.runs, paths)
	f.opts = append(f.opts, o)
	f.ch = make(chan desktop.BatchEvent)
	return f.ch
}

func (f *fakeBatch) Cancel(path string) {
	f.mu.Lock()
	f.cancelled = append(f.cancelled, path)
	f.mu.Unlock()
}

func (f *fakeBatch) send(ev desktop.BatchEvent) {
	f.mu.Lock()
	ch := f.ch
	f.mu.Unlock()
	ch <- ev
	ch <- desktop.BatchEvent{}
}

func (f *fakeBatch) close() {
	f.mu.Lock()
	close(f.ch)
	f.mu.Unlock()
}

type fakeModels struct {
	mu      sync.Mutex
	models  []desktop.ModelInfo
	current desktop.ModelInfo
	loadErr map[string]error
	release chan struct{} // Load waits for it when set
	last    desktop.Choice
}

func (f *fakeModels) lastChoice() desktop.Choice {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.last
}

func newFakeModels() *fakeModels {
	return &fakeModels{models: []desktop.ModelInfo{
		{ID: "/m/gemma-3n-E2B-Q4_K_M.gguf", Name: "gemma-3n-E2B", Size: 3 << 30, Quant: "Q4_K_M", CanHear: true, Fit: "full"},
		{ID: "/m/qwen2.5-omni-3b-Q8_0.gguf", Name: "qwen2.5-omni-3b", Size: 3400 << 20, Quant: "Q8_0", CanHear: true, Fit: "partial",
			Projectors: []string{"/m/mmproj-qwen2.5-omni-3b-f16.gguf"}},
		{ID: "/m/broken.gguf", Name: "broken", Size: 12 << 20, Quant: "F16", Fit: "cpu"},
	}, loadErr: map[string]error{"/m/broken.gguf": fmt.Errorf("not a GGUF file")}}
}

func (f *fakeModels) List(context.Context) ([]desktop.ModelInfo, error) { return f.models, nil }

func (f *fakeModels) Load(_ context.Context, c desktop.Choice, progress func(float32)) error {
	f.mu.Lock()
	f.last = c
	f.mu.Unlock()
	progress(0.5)
	if f.release != nil {
		<-f.release
	}
	if err := f.loadErr[c.Model]; err != nil {
		return err
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	for _, m := range f.models {
		if m.ID == c.Model {
			f.current = m
			f.current.Backend = "CPU"
		}
	}
	return nil
}

func (f *fakeModels) Current() desktop.ModelInfo {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.current
}

type fakeSessions struct {
	infos     []desktop.SessionInfo
	segs      map[string][]transcript.Segment
	discarded []string
}

func (f *fakeSessions) Recover() ([]desktop.SessionInfo, error)         { return f.infos, nil }
func (f *fakeSessions) Restore(id string) ([]transcript.Segment, error) { return f.segs[id], nil }
func (f *fakeSessions) Discard(id string) error {
	f.discarded = append(f.discarded, id)
	return nil
}

// harness is a window on fakes.
type harness struct {
	t      *testing.T
	m      *mainWindow
	rec    *fakeRecorder
	batch  *fakeBatch
	models *fakeModels
	events chan string
	seen   map[string]int
	// wrap, when setup sets it, wraps the test app the window gets (to give it a system tray).
	wrap func(fyne.App) fyne.App
	// ready, when setup sets it, are more events to wait for before the harness touches the window.
	ready []string
}

func newHarness(t *testing.T, lang string, setup func(*harness, *Deps)) *harness {
	t.Helper()
	a := test.NewTempApp(t)
	a.Preferences().SetString(prefLanguage, lang)
	h := &harness{t: t, rec: newFakeRecorder(), batch: &fakeBatch{}, models: newFakeModels(),
		events: make(chan string, 100)}
	deps := Deps{Recorder: h.rec, Batch: h.batch, Models: h.models, Sessions: &fakeSessions{}}
	if setup != nil {
		setup(h, &deps)
	}
	var app fyne.App = a
	if h.wrap != nil {
		app = h.wrap(a)
	}
	h.m = newMainWindow(app, deps, options{hook: func(e string) { h.events <- e }})
	// Closed at the end unless the test closed it (the test driver fails on a second Close).
	t.Cleanup(func() {
		for _, w := range a.Driver().AllWindows() {
			if w == h.m.win {
				w.Close()
				return
			}
		}
	})
	// The window's background work runs in its callers' goroutines under the test driver: touch the
	// window only once it is rendered.
	h.wait("devices")
	h.wait("models")
	if deps.Sessions != nil {
		h.wait("recovery")
	}
	for _, e := range h.ready {
		h.wait(e)
	}
	h.m.win.Resize(fyne.NewSize(1000, 640))
	return h
}

// wait returns once the window told it rendered event.
func (h *harness) wait(event string) {
	h.t.Helper()
	if h.seen == nil {
		h.seen = map[string]int{}
	}
	deadline := time.After(5 * time.Second)
	for {
		if h.seen[event] > 0 {
			h.seen[event]--
			return
		}
		select {
		case e := <-h.events:
			h.seen[e]++
		case <-deadline:
			h.t.Fatalf("timed out waiting for %q", event)
		}
	}
}

// waitStopCall returns once the window asked the recorder to stop.
func (h *harness) waitStopCall() {
	h.t.Helper()
	select {
	case <-h.rec.stopCalls:
	case <-time.After(5 * time.Second):
		h.t.Fatal("Stop was not called")
	}
}

func (h *harness) startRecording() {
	h.t.Helper()
	test.Tap(h.m.live.recordBtn)
	h.wait("recording")
}

// canvasTexts are the texts drawn under o (visible ones), in layout order.
func canvasTexts(o fyne.CanvasObject) []string {
	var out []string
	var walk func(fyne.CanvasObject)
	walk = func(o fyne.CanvasObject) {
		if o == nil || !o.Visible() {
			return
		}
		switch w := o.(type) {
		case *canvas.Text:
			if w.Text != "" {
				out = append(out, w.Text)
			}
		case *fyne.Container:
			for _, c := range w.Objects {
				walk(c)
			}
		case fyne.Widget:
			for _, c := range test.WidgetRenderer(w).Objects() {
				walk(c)
			}
		}
	}
	walk(o)
	return out
}

// shows says whether the text s is drawn under o.
func shows(o fyne.CanvasObject, s string) bool {
	return strings.Contains(strings.Join(canvasTexts(o), "\n"), s)
}
