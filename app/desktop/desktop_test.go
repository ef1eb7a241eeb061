package desktop

import (
	"context"
	"errors"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/verbatim-app/verbatim/app/batch"
	"github.com/verbatim-app/verbatim/app/history"
	"github.com/verbatim-app/verbatim/app/models"
	"github.com/verbatim-app/verbatim/app/session"
	"github.com/verbatim-app/verbatim/app/speech"
	"github.com/verbatim-app/verbatim/app/transcript"
	"github.com/verbatim-app/verbatim/assets"
	"github.com/verbatim-app/verbatim/tools/testenv"
)

// fakeModel hears every utterance as its name; gate, when set, holds Finish until it is closed.
type fakeModel struct {
	name  string
	gate  chan struct{}
	heard atomic.Int32
}

type fakeUtt struct{ m *fakeModel }

func (m *fakeModel) StartUtterance(context.Context) (speech.Utterance, error) { return fakeUtt{m}, nil }
func (u fakeUtt) Release()                                                    {}
func (u fakeUtt) Feed(context.Context, []float32) error                       { return nil }
func (u fakeUtt) Finish(ctx context.Context, targets []string, _ func(string, string)) (map[string]speech.Result, error) {
	if u.m.gate != nil {
		select {
		case <-u.m.gate:
		case <-ctx.Done():
			return nil, ctx.Err()
		}
	}
	u.m.heard.Add(1)
	if len(targets) == 0 {
		targets = []string{""}
	}
	out := map[string]speech.Result{}
	for _, t := range targets {
		out[t] = speech.Result{Text: u.m.name}
	}
	return out, nil
}

// newTestCatalog is a catalog loading through fl.
func newTestCatalog(cache string, locs models.Locations, fl *fakeLoader) *Catalog {
	c := NewCatalog(cache, locs, nil, speech.Engines{})
	c.load = fl.load
	return c
}

// fakeLoader loads fakeModels named after the model file; files named bad* fail.
type fakeLoader struct {
	mu      sync.Mutex
	closed  []string
	configs []speech.LoadConfig
	drafts  []string
	models  map[string]*fakeModel
}

func (f *fakeLoader) load(_ context.Context, cfg speech.LoadConfig) (*speech.Loaded, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.configs = append(f.configs, cfg)
	f.drafts = append(f.drafts, cfg.DraftModel+cfg.MTPHead)
	name := filepath.Base(cfg.Model)
	if strings.HasPrefix(name, "bad") {
		return nil, errors.New("not a GGUF file")
	}
	cfg.Progress(0.5)
	m := &fakeModel{name: name}
	if f.models == nil {
		f.models = map[string]*fakeModel{}
	}
	f.models[name] = m
	return speech.Lease(speech.Opened{Model: m, Backend: "CPU", Close: func() {
		f.mu.Lock()
		f.closed = append(f.closed, name)
		f.mu.Unlock()
	}}, cfg.Model), nil
}

func (f *fakeLoader) closedList() []string {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]string(nil), f.closed...)
}

func hear(t *testing.T, m speech.Model) string {
	t.Helper()
	r, err := speech.Hear(context.Background(), m, make([]float32, 160), nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	return r[""].Text
}

func TestCatalogLoadReplaceAndKeepOnFailure(t *testing.T) {
	fl := &fakeLoader{}
	c := newTestCatalog(t.TempDir(), models.Locations{}, fl)
	if c.Model() != nil || c.Current().ID != "" {
		t.Fatal("a model before any was loaded")
	}
	if _, err := c.StartUtterance(context.Background()); !errors.Is(err, ErrNoModel) {
		t.Fatalf("StartUtterance with none loaded: %v", err)
	}
	var progress []float32
	if err := c.Load(context.Background(), Choice{Model: "/m/one.gguf", Projector: "/m/one.mmproj.gguf", GPULayers: -1},
		func(p float32) { progress = append(progress, p) }); err != nil {
		t.Fatal(err)
	}
	if fmt.Sprint(progress) != "[0.5 1]" {
		t.Errorf("progress %v", progress)
	}
	if cur := c.Current(); cur.ID != "/m/one.gguf" || cur.Name != "one" || cur.Backend != "CPU" {
		t.Errorf("current %+v", cur)
	}
	if got := hear(t, c.Model()); got != "one.gguf" {
		t.Errorf("heard %q", got)
	}
	if fl.configs[0].GPULayers != -1 || fl.configs[0].Projector != "/m/one.mmproj.gguf" {
		t.Errorf("config %+v", fl.configs[0])
	}

	// A bad model: the error comes back and the previous model stays.
	if err := c.Load(context.Background(), Choice{Model: "/m/bad.gguf", Projector: "/m/p.gguf"}, nil); err == nil {
		t.Fatal("bad model loaded")
	}
	if err := c.Load(context.Background(), Choice{Model: "/m/noproj.gguf"}, nil); !errors.Is(err, speech.ErrNoAudio) {
		t.Fatalf("model without projector: %v", err)
	}
	if c.Current().ID != "/m/one.gguf" || hear(t, c) != "one.gguf" || len(fl.closedList()) != 0 {
		t.Fatalf("previous model lost: %+v, closed %v", c.Current(), fl.closedList())
	}

	// Replacing waits for the utterance in flight on the old engine before closing it.
	fl.models["one.gguf"].gate = make(chan struct{})
	u, err := c.StartUtterance(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if err := c.Load(context.Background(), Choice{Model: "/m/two.gguf", Projector: "/m/p.gguf"}, nil); err != nil {
		t.Fatal(err)
	}
	if got := hear(t, c); got != "two.gguf" { // the new engine is not held up by the old one's utterance
		t.Errorf("after replace heard %q", got)
	}
	if closed := fl.closedList(); len(closed) != 0 {
		t.Fatalf("closed %v while an utterance held it", closed)
	}
	close(fl.models["one.gguf"].gate)
	if r, err := u.Finish(context.Background(), nil, nil); err != nil || r[""].Text != "one.gguf" {
		t.Fatalf("old utterance: %v %v", r, err)
	}
	if closed := fl.closedList(); fmt.Sprint(closed) != "[one.gguf]" {
		t.Fatalf("closed %v, want the replaced engine", closed)
	}

	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	c.Close(ctx)
	if closed := fl.closedList(); fmt.Sprint(closed) != "[one.gguf two.gguf]" || c.Model() != nil {
		t.Fatalf("after Close: closed %v", closed)
	}
}

func TestCatalogUtterancesDoNotOverlap(t *testing.T) {
	fl := &fakeLoader{}
	c := newTestCatalog(t.TempDir(), models.Locations{}, fl)
	if err := c.Load(context.Background(), Choice{Model: "/m/one.gguf", Projector: "/m/p.gguf"}, nil); err != nil {
		t.Fatal(err)
	}
	u, err := c.StartUtterance(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 100*time.Millisecond)
	defer cancel()
	if _, err := c.StartUtterance(ctx); !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("second utterance while one is open: %v", err)
	}
	u.Release()
	u.Release() // twice is harmless
	if hear(t, c) != "one.gguf" {
		t.Fatal("model not given back")
	}
}

func TestCatalogListsBundledDemo(t *testing.T) {
	if !assets.HasDemo() {
		t.Fatal("this build has no bundled demo model (the models folder is embedded; run make demo-model)")
	}
	fl := &fakeLoader{}
	cache := t.TempDir()
	c := newTestCatalog(cache, models.Locations{}, fl)
	list, err := c.List(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	var demo *ModelInfo
	for i := range list {
		if list[i].Default {
			demo = &list[i]
		}
	}
	if demo == nil || demo.ID != BundledPrefix+assets.DemoModel || !demo.CanHear || demo.Size == 0 ||
		len(demo.Projectors) == 0 || demo.Projectors[0] != BundledPrefix+assets.DemoProjector {
		t.Fatalf("demo model listed as %+v (list %+v)", demo, list)
	}
	if err := c.Load(context.Background(), Choice{Model: demo.ID, Projector: demo.Projectors[0], GPULayers: -1}, nil); err != nil {
		t.Fatal(err)
	}
	cfg := fl.configs[0]
	if !strings.HasPrefix(cfg.Model, cache) || filepath.Base(cfg.Model) != assets.DemoModel ||
		filepath.Base(cfg.Projector) != assets.DemoProjector || fl.drafts[0] != "" { // draft auto: no drafter paid (models.LoadConfig)
		t.Errorf("loaded %+v draft %q", cfg, fl.drafts[0])
	}
	if cur := c.Current(); cur.Name != "Verbatim demo" || cur.Quant == "" {
		t.Errorf("current %+v", cur)
	}
	if cur := c.Current(); !slices.Contains(cur.Tasks, "transcribe") || !slices.Contains(cur.Tasks, "translate:es") {
		t.Errorf("demo model's tasks %q: want transcribe and translate:es from its metadata", cur.Tasks)
	}
	if _, err := c.path(BundledPrefix + "../etc/passwd"); err == nil {
		t.Error("bundled ID escaped the bundle")
	}
}

func TestCatalogBrokenFile(t *testing.T) {
	dir := t.TempDir()
	broken := filepath.Join(dir, "broken.gguf")
	if err := os.WriteFile(broken, []byte("GGUF not really"), 0o644); err != nil {
		t.Fatal(err)
	}
	fl := &fakeLoader{}
	c := newTestCatalog(t.TempDir(), models.Locations{Verbatim: dir}, fl)
	list, err := c.List(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	var found bool
	for _, m := range list {
		found = found || (m.ID == broken && !m.CanHear)
	}
	if !found {
		t.Fatalf("broken file not listed: %+v", list)
	}
	err = c.Load(context.Background(), Choice{Model: broken, Projector: "/m/p.gguf"}, nil)
	if err == nil || errors.Is(err, speech.ErrNoAudio) || len(fl.configs) != 0 {
		t.Fatalf("loading a broken file: %v (loader called %d times)", err, len(fl.configs))
	}
}

// speechLike is bursts of a modulated tone separated by silence.
func speechLike(bursts int) []float32 {
	var s []float32
	for b := 0; b < bursts; b++ {
		s = append(s, make([]float32, 8000)...)
		for i := 0; i < 16000; i++ {
			s = append(s, float32(0.4*math.Sin(2*math.Pi*220*float64(i)/16000)*(0.6+0.4*math.Sin(float64(i)/300))))
		}
	}
	return append(s, make([]float32, 8000)...)
}

func writeWAV(t *testing.T, path string) {
	t.Helper()
	testenv.WriteWAV(t, path, speechLike(2))
}

func collect(t *testing.T, ch <-chan BatchEvent) map[string]BatchEvent {
	t.Helper()
	done := map[string]BatchEvent{}
	timeout := time.After(20 * time.Second)
	for {
		select {
		case ev, ok := <-ch:
			if !ok {
				return done
			}
			if ev.Output != "" || ev.Err != nil {
				if _, dup := done[ev.Path]; dup {
					t.Errorf("%s reported done twice", ev.Path)
				}
				done[ev.Path] = ev
			}
		case <-timeout:
			t.Fatal("batch did not finish")
		}
	}
}

func TestQueueRunsInOrderCancelsAndReportsErrors(t *testing.T) {
	in, out := t.TempDir(), t.TempDir()
	a, b, c := filepath.Join(in, "a.wav"), filepath.Join(in, "b.wav"), filepath.Join(in, "c.wav")
	for _, p := range []string{a, b, c} {
		writeWAV(t, p)
	}
	missing := filepath.Join(in, "missing.wav")
	m := &fakeModel{name: "words", gate: make(chan struct{})}
	q := NewQueue(func() speech.Model { return m })
	defer q.Close()

	first := q.Run(context.Background(), []string{a, missing}, batch.Options{Format: "txt", OutDir: out})
	second := q.Run(context.Background(), []string{b, c}, batch.Options{Format: "srt"})
	q.Cancel(b) // queued behind the first Run
	// The first file waits on the gate: the second Run must not have started.
	time.Sleep(50 * time.Millisecond)
	close(m.gate)

	r1 := collect(t, first)
	if ev := r1[a]; ev.Err != nil || ev.Output != filepath.Join(out, "a.txt") {
		t.Errorf("a: %+v", ev)
	}
	if txt, _ := os.ReadFile(filepath.Join(out, "a.txt")); !strings.Contains(string(txt), "words") {
		t.Errorf("a.txt holds %q", txt)
	}
	if ev := r1[missing]; ev.Err == nil || errors.Is(ev.Err, context.Canceled) {
		t.Errorf("missing file: %+v", ev)
	}
	r2 := collect(t, second)
	if ev := r2[b]; !errors.Is(ev.Err, context.Canceled) {
		t.Errorf("cancelled b: %+v", ev)
	}
	if ev := r2[c]; ev.Err != nil || ev.Output != filepath.Join(in, "c.srt") {
		t.Errorf("c: %+v", ev)
	}
	if _, err := os.Stat(filepath.Join(in, "b.srt")); err == nil {
		t.Error("cancelled file written")
	}
}

func TestQueueCancelRunningAndContext(t *testing.T) {
	in := t.TempDir()
	a, b := filepath.Join(in, "a.wav"), filepath.Join(in, "b.wav")
	writeWAV(t, a)
	writeWAV(t, b)
	m := &fakeModel{name: "words", gate: make(chan struct{})} // never opens
	q := NewQueue(func() speech.Model { return m })
	ch := q.Run(context.Background(), []string{a}, batch.Options{Format: "txt"})
	for ev := range ch { // the first progress event: a is running
		if ev.Path == a {
			break
		}
	}
	q.Cancel(a)
	if ev := collect(t, ch)[a]; !errors.Is(ev.Err, context.Canceled) {
		t.Errorf("cancelled running file: %+v", ev)
	}

	ctx, cancel := context.WithCancel(context.Background())
	ch = q.Run(ctx, []string{a, b}, batch.Options{Format: "txt"})
	cancel()
	for p, ev := range collect(t, ch) {
		if !errors.Is(ev.Err, context.Canceled) {
			t.Errorf("%s after the Run's context ended: %+v", p, ev)
		}
	}
	q.Close()
	ch = q.Run(context.Background(), []string{a}, batch.Options{Format: "txt"})
	if ev := collect(t, ch)[a]; !errors.Is(ev.Err, context.Canceled) {
		t.Errorf("Run after Close: %+v", ev)
	}
}

func TestQueueWithoutModel(t *testing.T) {
	in := t.TempDir()
	a := filepath.Join(in, "a.wav")
	writeWAV(t, a)
	q := NewQueue(func() speech.Model { return nil })
	defer q.Close()
	if ev := collect(t, q.Run(context.Background(), []string{a}, batch.Options{Format: "txt"}))[a]; !errors.Is(ev.Err, ErrNoModel) {
		t.Errorf("no model: %+v", ev)
	}
}

func TestSessionsRecoverRestoreDiscard(t *testing.T) {
	root := t.TempDir()
	var dirs []string
	for i, text := range []string{"please bring the red box to the kitchen now one two three four five six", "open the door"} {
		s, err := session.Create(root)
		if err != nil {
			t.Fatal(err)
		}
		if err := s.WriteAudio(make([]float32, 1600)); err != nil {
			t.Fatal(err)
		}
		for _, seg := range []transcript.Segment{
			{ID: 0, Text: "provisional", End: time.Second},
			{ID: 0, Text: text, Final: true, End: time.Second},
		} {
			if err := s.AppendSegment(seg); err != nil {
				t.Fatal(err)
			}
		}
		if err := s.Sync(); err != nil {
			t.Fatal(err)
		}
		if err := s.Abandon(); err != nil { // never completed: a crash
			t.Fatal(err)
		}
		dirs = append(dirs, s.Dir())
		if i == 0 {
			time.Sleep(10 * time.Millisecond)
		}
	}
	done, err := session.Create(root)
	if err != nil {
		t.Fatal(err)
	}
	done.Close()

	st := NewSessions(root)
	list, err := st.Recover()
	if err != nil {
		t.Fatal(err)
	}
	if len(list) != 2 || list[0].ID != dirs[0] || list[0].Segments != 1 ||
		list[0].Preview != "please bring the red box to the kitchen now one two three…" || list[1].Preview != "open the door" {
		t.Fatalf("recoverable %+v", list)
	}
	segs, err := st.Restore(dirs[0])
	if err != nil || len(segs) != 1 || !strings.HasPrefix(segs[0].Text, "please bring") {
		t.Fatalf("restored %+v %v", segs, err)
	}
	if err := st.Discard(dirs[1]); err != nil {
		t.Fatal(err)
	}
	if list, _ := st.Recover(); len(list) != 0 {
		t.Errorf("still offered %+v", list)
	}
	if again, _ := session.Recover(root); len(again) != 0 {
		t.Errorf("offered again at the next start: %+v", again)
	}
	if _, err := os.Stat(filepath.Join(dirs[1], "journal.jsonl")); err != nil {
		t.Errorf("discarding lost the text: %v", err)
	}
	if _, err := st.Restore(done.Dir()); err == nil {
		t.Error("restored a session that was not offered")
	}
}

func TestStartupChoice(t *testing.T) {
	demo := ModelInfo{ID: BundledPrefix + "demo.gguf", Default: true, Projectors: []string{"bundled/p.gguf", "/x/q.gguf"}}
	other := ModelInfo{ID: "/m/big.gguf", Projectors: []string{"/m/big.mmproj.gguf"}}
	saved := Choice{Model: "/m/big.gguf", Projector: "/m/big.mmproj.gguf", GPULayers: 12, Threads: 2}
	for _, c := range []struct {
		name   string
		listed []ModelInfo
		saved  Choice
		want   Choice
		ok     bool
	}{
		{"saved model still there", []ModelInfo{demo, other}, saved, saved, true},
		{"saved model gone: the demo with the saved settings", []ModelInfo{demo}, saved,
			Choice{Model: demo.ID, Projector: "bundled/p.gguf", GPULayers: 12, Threads: 2}, true},
		{"nothing saved", []ModelInfo{other, demo}, Choice{GPULayers: -1},
			Choice{Model: demo.ID, Projector: "bundled/p.gguf", GPULayers: -1}, true},
		{"no default and the saved model gone", []ModelInfo{other}, Choice{Model: "/gone.gguf"}, Choice{}, false},
		{"empty catalog", nil, saved, Choice{}, false},
	} {
		got, ok := StartupChoice(c.listed, c.saved)
		if got != c.want || ok != c.ok {
			t.Errorf("%s: %+v %v, want %+v %v", c.name, got, ok, c.want, c.ok)
		}
	}
}

// failingIndexer is a history that cannot be written.
type failingIndexer struct{ calls int }

func (f *failingIndexer) IndexFile(context.Context, history.FileEntry, []transcript.Segment) (history.Entry, error) {
	f.calls++
	return history.Entry{}, errors.New("database is locked")
}

// A file the queue transcribes lands in the history, findable by its words and naming the file heard
// and the transcript written; a history that cannot be written leaves the file transcribed.
func TestQueueIndexesFiles(t *testing.T) {
	ctx := context.Background()
	in := t.TempDir()
	a, b := filepath.Join(in, "a.wav"), filepath.Join(in, "b.wav")
	writeWAV(t, a)
	writeWAV(t, b)
	m := &fakeModel{name: "words"}
	q := NewQueue(func() speech.Model { return m })
	defer q.Close()
	h := NewHistory(filepath.Join(t.TempDir(), "history.db"), "", nil)
	defer h.Close()
	q.IndexInto(h)
	if ev := collect(t, q.Run(ctx, []string{a}, batch.Options{Format: "txt"}))[a]; ev.Err != nil {
		t.Fatalf("a: %+v", ev)
	}
	hits, err := h.Search(ctx, "words", 0)
	if err != nil || len(hits) == 0 {
		t.Fatalf("search after transcribing: %d hits, %v", len(hits), err)
	}
	if e := hits[0].Entry; e.Source != a || e.Output != filepath.Join(in, "a.txt") {
		t.Errorf("entry %+v, want source %s and output a.txt", e, a)
	}

	bad := &failingIndexer{}
	q.IndexInto(bad)
	if ev := collect(t, q.Run(ctx, []string{b}, batch.Options{Format: "txt"}))[b]; ev.Err != nil || ev.Output != filepath.Join(in, "b.txt") || bad.calls != 1 {
		t.Errorf("with a failing history: %+v, %d index calls", ev, bad.calls)
	}
}
