package ui

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/canvas"
	"fyne.io/fyne/v2/test"

	"github.com/verbatim-app/verbatim/app/batch"
	"github.com/verbatim-app/verbatim/app/desktop"
	"github.com/verbatim-app/verbatim/app/export"
	"github.com/verbatim-app/verbatim/app/history"
	"github.com/verbatim-app/verbatim/app/live"
	"github.com/verbatim-app/verbatim/app/transcript"
)

// Fakes of the app services, in app's types. Their channels are unbuffered and every send is followed by an empty
// event: when that second send returns, the UI has rendered the first (fyne.Do runs at once under
// the test driver), so tests can look at widgets without sleeping.

type fakeRecorder struct {
	mu         sync.Mutex
	sessionDir string      // what SessionDir says
	renames    [][2]string // RenameSpeaker calls
	devices    []desktop.Device
	startErr   error
	sysErr     error // what SystemAudio says
	ch         chan live.Event
	started    startCall // what the last Start was asked
	stopCalls  chan struct{}
	targets    []string
	edits      []editCall
}

// editCall is what EditSegment was asked.
type editCall struct {
	dir  string
	id   int
	lang string
	text string
}

// startCall is what Start was asked.
type startCall = desktop.ListenOptions

func newFakeRecorder() *fakeRecorder {
	return &fakeRecorder{
		devices:   []desktop.Device{{Name: "USB Mic"}, {Name: "Built-in", IsDefault: true}},
		stopCalls: make(chan struct{}, 4),
	}
}

func (f *fakeRecorder) Devices(context.Context) ([]desktop.Device, error) { return f.devices, nil }

func (f *fakeRecorder) SystemAudio(context.Context) error { return f.sysErr }

func (f *fakeRecorder) Start(_ context.Context, opts desktop.ListenOptions) (<-chan live.Event, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.startErr != nil {
		return nil, f.startErr
	}
	f.started = opts
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

func (f *fakeRecorder) SessionDir() string {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.sessionDir
}

func (f *fakeRecorder) RenameSpeaker(from, to string) (int, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.renames = append(f.renames, [2]string{from, to})
	return 1, nil
}

func (f *fakeRecorder) EditSegment(dir string, id int, lang, text string) (transcript.Segment, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.edits = append(f.edits, editCall{dir, id, lang, text})
	return transcript.Segment{ID: id, Lang: lang, Text: text, Edited: true}, nil
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

// playCall is what Play was asked.
type playCall struct {
	source string
	at     time.Duration
}

// fakePlayer records what it is asked to play; the test sends the playback's events.
type fakePlayer struct {
	mu      sync.Mutex
	calls   []playCall
	ch      chan desktop.PlaybackEvent
	playErr error
	paused  []bool // Pause (true) and Resume (false) calls
	stops   int
}

func (f *fakePlayer) Play(_ context.Context, source string, at time.Duration) (<-chan desktop.PlaybackEvent, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.calls = append(f.calls, playCall{source, at})
	if f.playErr != nil {
		return nil, f.playErr
	}
	f.ch = make(chan desktop.PlaybackEvent, 1)
	return f.ch, nil
}

func (f *fakePlayer) Pause()  { f.mu.Lock(); f.paused = append(f.paused, true); f.mu.Unlock() }
func (f *fakePlayer) Resume() { f.mu.Lock(); f.paused = append(f.paused, false); f.mu.Unlock() }
func (f *fakePlayer) Stop(context.Context) error {
	f.mu.Lock()
	f.stops++
	f.mu.Unlock()
	return nil
}

func (f *fakePlayer) last() playCall {
	f.mu.Lock()
	defer f.mu.Unlock()
	if len(f.calls) == 0 {
		return playCall{}
	}
	return f.calls[len(f.calls)-1]
}

// send delivers a playback event; the test waits for its "playpos" or "playended".
func (f *fakePlayer) send(ev desktop.PlaybackEvent) {
	f.mu.Lock()
	ch := f.ch
	f.mu.Unlock()
	ch <- ev
	if ev.Ended {
		close(ch)
	}
}

// fakeHistory is the history in memory: entries and their lines, searched by substring.
type fakeHistory struct {
	mu      sync.Mutex
	entries []history.Entry // newest first
	lines   map[int64][]history.Line
	indexed []string // IndexSession's folders
	deleted []int64
	renames []string
	nextID  int64
}

func newFakeHistory() *fakeHistory {
	return &fakeHistory{lines: map[int64][]history.Line{}, nextID: 1000}
}

// add puts an entry with lines of text (one second each) at the top, as the newest.
func (f *fakeHistory) add(e history.Entry, texts ...string) history.Entry {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.nextID++
	e.ID = f.nextID
	var ls []history.Line
	for i, t := range texts {
		speaker := ""
		if sp, text, ok := strings.Cut(t, ": "); ok && !strings.Contains(sp, " ") {
			speaker, t = sp, text
		}
		f.nextID++
		ls = append(ls, history.Line{ID: f.nextID, EntryID: e.ID, Segment: i, Start: time.Duration(i) * time.Second,
			End: time.Duration(i+1) * time.Second, Text: t, Heard: t, Speaker: speaker})
	}
	e.Lines = len(ls)
	if len(texts) > 0 {
		e.Preview = ls[0].Text
	}
	f.lines[e.ID] = ls
	f.entries = append([]history.Entry{e}, f.entries...)
	return e
}

func (f *fakeHistory) Recent(_ context.Context, limit int) ([]history.Entry, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]history.Entry(nil), f.entries[:min(limit, len(f.entries))]...), nil
}

func (f *fakeHistory) Search(_ context.Context, q string, limit int) ([]history.Hit, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if strings.HasSuffix(q, " AND") {
		return nil, fmt.Errorf("history: search %q: incomplete query", q)
	}
	var hits []history.Hit
	for _, e := range f.entries {
		for _, l := range f.lines[e.ID] {
			i := strings.Index(strings.ToLower(l.Text), strings.ToLower(q))
			if i < 0 || len(hits) == limit {
				continue
			}
			marked := l.Text[:i] + desktop.MarkOpen + l.Text[i:i+len(q)] + desktop.MarkClose + l.Text[i+len(q):]
			hits = append(hits, history.Hit{Entry: e, Line: l, Marked: marked})
		}
	}
	return hits, nil
}

func (f *fakeHistory) Lines(_ context.Context, id int64) ([]history.Line, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	ls, ok := f.lines[id]
	if !ok {
		return nil, history.ErrNotFound
	}
	return append([]history.Line(nil), ls...), nil
}

func (f *fakeHistory) EditLine(_ context.Context, lineID int64, text string) (history.Line, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	for _, ls := range f.lines {
		for i := range ls {
			if ls[i].ID == lineID {
				ls[i].Text, ls[i].Edited = text, text != ls[i].Heard
				return ls[i], nil
			}
		}
	}
	return history.Line{}, history.ErrNotFound
}

func (f *fakeHistory) Delete(_ context.Context, id int64) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.deleted = append(f.deleted, id)
	delete(f.lines, id)
	f.entries = slices.DeleteFunc(f.entries, func(e history.Entry) bool { return e.ID == id })
	return nil
}

func (f *fakeHistory) IndexSession(_ context.Context, dir, model string) (history.Entry, error) {
	f.mu.Lock()
	f.indexed = append(f.indexed, dir)
	f.mu.Unlock()
	return f.add(history.Entry{Kind: history.KindSession, Source: dir, Model: model, Created: time.Now()}, "indexed line"), nil
}

func (f *fakeHistory) RenameSpeaker(_ context.Context, e history.Entry, from, to string) (int, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.renames = append(f.renames, from+"→"+to)
	n := 0
	for i, l := range f.lines[e.ID] {
		if l.Speaker == from {
			f.lines[e.ID][i].Speaker = to
			n++
		}
	}
	return n, nil
}

func (f *fakeHistory) Doc(_ context.Context, e history.Entry) (export.Doc, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	var doc export.Doc
	for _, l := range f.lines[e.ID] {
		doc.Segments = append(doc.Segments, transcript.Segment{ID: l.Segment, Start: l.Start, End: l.End, Text: l.Text, Speaker: l.Speaker, Final: true})
	}
	return doc, nil
}

// harness is a window on fakes.
type harness struct {
	t      *testing.T
	m      *mainWindow
	rec    *fakeRecorder
	batch  *fakeBatch
	models *fakeModels
	player *fakePlayer
	hist   *fakeHistory
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
		player: &fakePlayer{}, hist: newFakeHistory(), events: make(chan string, 100)}
	deps := Deps{Recorder: h.rec, Batch: h.batch, Models: h.models, Sessions: &fakeSessions{}, Player: h.player, History: h.hist}
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
	if deps.History != nil {
		h.wait("history")
	}
	if deps.Sessions != nil {
		h.wait("recovery")
	}
	for _, e := range h.ready {
		h.wait(e)
	}
	// Twice: a header that changes its number of lines (twoRows) lays its parents out again through
	// fyne.Do, which the running app does after the layout pass and the test driver at once, inside it.
	h.m.win.Resize(fyne.NewSize(999, 640))
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
	walkObjects(o, true, func(o fyne.CanvasObject) bool {
		if w, ok := o.(*canvas.Text); ok && w.Text != "" {
			out = append(out, w.Text)
		}
		return true
	})
	return out
}

// walkObjects calls visit on o and everything drawn under it (containers' objects, widgets' renderers'
// objects), depth first in layout order, skipping hidden objects when visibleOnly. visit returns false
// to stop the walk.
func walkObjects(o fyne.CanvasObject, visibleOnly bool, visit func(fyne.CanvasObject) bool) bool {
	if o == nil || visibleOnly && !o.Visible() {
		return true
	}
	if !visit(o) {
		return false
	}
	var under []fyne.CanvasObject
	switch w := o.(type) {
	case *fyne.Container:
		under = w.Objects
	case fyne.Widget:
		under = test.WidgetRenderer(w).Objects()
	}
	for _, c := range under {
		if !walkObjects(c, visibleOnly, visit) {
			return false
		}
	}
	return true
}

// shows says whether the text s is drawn under o.
func shows(o fyne.CanvasObject, s string) bool {
	return strings.Contains(strings.Join(canvasTexts(o), "\n"), s)
}
