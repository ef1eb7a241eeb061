//go:build cgo

package live

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/verbatim-app/verbatim/app/models"
	"github.com/verbatim-app/verbatim/app/speech"
	"github.com/verbatim-app/verbatim/assets"
	"github.com/verbatim-app/verbatim/capture"
	"github.com/verbatim-app/verbatim/capture/miniaudio"
	"github.com/verbatim-app/verbatim/inference"
	"github.com/verbatim-app/verbatim/inference/testmodel"
	"github.com/verbatim-app/verbatim/tools/testenv"
)

// These tests run the real llama.cpp engine on the synthetic model of inference/testmodel (random but
// deterministic text, a raw-frame projector so audio is decoded while it arrives), and, under
// PulseAudio, real capture from the virtual microphone of tools/testenv/pulse.sh:
//
//	eval "$(tools/testenv/pulse.sh start)"
//	VERBATIM_NO_SKIP=1 go test ./app/live/
//	tools/testenv/pulse.sh stop

var synthOnce struct {
	sync.Once
	model, proj string
	err         error
}

// syntheticSpec is the default synthetic model with peakier logits: at scale 1 it only ever says a
// control token (empty text), which the pipeline rightly drops.
func syntheticSpec() testmodel.Spec {
	s := testmodel.DefaultSpec()
	s.Scale = 3
	return s
}

// syntheticFiles writes the synthetic model once per test binary.
func syntheticFiles(tb testing.TB) (model, projector string) {
	tb.Helper()
	synthOnce.Do(func() {
		dir, err := os.MkdirTemp("", "verbatim-live-model-")
		if err != nil {
			synthOnce.err = err
			return
		}
		synthOnce.model, synthOnce.proj, synthOnce.err = testmodel.New(syntheticSpec()).Files(dir)
	})
	if synthOnce.err != nil {
		tb.Fatal(synthOnce.err)
	}
	return synthOnce.model, synthOnce.proj
}

// loadEngine loads a model and its projector as the app does and wraps it for the pipeline. One thread:
// on this shared 2-core machine ggml's spinning worker threads slow a tiny model down a thousandfold
// when the cores are busy.
func loadEngine(tb testing.TB, files func(testing.TB) (string, string)) speech.Model {
	tb.Helper()
	model, projector := files(tb)
	l, err := inference.Engines().Load(context.Background(), speech.LoadConfig{Model: model, Projector: projector, Threads: 1, GPULayers: 0, MaxTokens: 32})
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { l.Close(context.Background()) })
	return l
}

// The synthetic model through the pipeline without a sound server: real engine, fed while "spoken",
// one final segment per phrase. (The synthetic model only transcribes; translations are covered with
// the fake model.)
func TestSyntheticModelPipeline(t *testing.T) {
	testenv.NeedTools(t, "espeak-ng")
	m := loadEngine(t, syntheticFiles)
	sig, spans := spoken(t, 1200*time.Millisecond, "bring the red box", "hello world", "at five please")
	src := newFakeSource(sig, false, nil)
	r, ch := start(t, m, Config{Open: src.open(), Provisional: true})
	for src.Sent() < len(src.signal) {
		time.Sleep(5 * time.Millisecond)
	}
	t0 := time.Now()
	stop(t, r)
	t.Logf("stop (transcribing %v of audio) took %v", dur(len(sig)), time.Since(t0))
	g := collect(t, ch, time.Minute)
	for _, s := range g.finals {
		t.Logf("final %d %q [%v–%v]: %q", s.ID, s.Lang, s.Start, s.End, s.Text)
	}
	for _, s := range g.stats {
		t.Logf("stats %+v", s)
	}
	if len(g.errs) > 0 {
		t.Fatalf("errors: %v", g.errs)
	}
	if len(g.finals) != len(spans) {
		t.Fatalf("%d final segments for %d phrases", len(g.finals), len(spans))
	}
	for i, s := range g.finals {
		// espeak-ng pads its clips with quiet, so the speech lies inside each span.
		if s.ID != i || s.Text == "" || s.Start >= spans[i].end || s.End <= spans[i].start {
			t.Errorf("phrase %d (%v–%v): segment %+v", i, spans[i].start, spans[i].end, s)
		}
	}
}

// Speech played into the virtual microphone comes out as exactly one final segment per phrase.
func TestPulseOneSegmentPerPhrase(t *testing.T) {
	testenv.RequirePulse(t, []string{"paplay", "espeak-ng"})
	m := loadEngine(t, syntheticFiles)
	sig, spans := spoken(t, 1500*time.Millisecond, "hello from the virtual microphone", "bring the red box to the kitchen", "at five please")
	wav := writeWAV(t, sig)
	r := New(func() speech.Model { return m })
	ch, err := r.Start(context.Background(), Config{Mic: miniaudio.New(nil), Backend: capture.BackendPulseAudio, Provisional: true, SessionRoot: t.TempDir()})
	if err != nil {
		t.Fatal(err)
	}
	// The device takes a moment to start; anything played before its first frames is lost. Its first
	// level event says it is delivering.
	first := make(chan struct{})
	once := sync.OnceFunc(func() { close(first) })
	res := make(chan *got, 1)
	go func() {
		res <- collectWith(t, ch, 2*time.Minute, func(e Event) {
			if e.Level != nil {
				once()
			}
		})
	}()
	select {
	case <-first:
	case <-time.After(8 * time.Second):
		t.Fatal("no audio from the virtual microphone within 8 s")
	}
	if out, err := exec.Command("paplay", "--device=vmic_sink", wav).CombinedOutput(); err != nil {
		t.Fatalf("paplay: %v: %s", err, out)
	}
	time.Sleep(300 * time.Millisecond)
	stop(t, r)
	g := <-res
	for _, s := range g.finals {
		t.Logf("final %d [%v–%v]: %q", s.ID, s.Start, s.End, s.Text)
	}
	t.Logf("%d provisional, %d levels, stats %+v", len(g.provisional), g.levels, g.stats)
	if len(g.errs) > 0 {
		t.Errorf("errors: %v", g.errs)
	}
	if len(g.finals) != len(spans) {
		t.Fatalf("%d final segments for %d spoken phrases", len(g.finals), len(spans))
	}
	for i, s := range g.finals {
		if want := spans[i].end - spans[i].start; s.ID != i || s.End-s.Start < want/2 || s.End-s.Start > want+time.Second {
			t.Errorf("segment %d lasts %v, the phrase %v", s.ID, s.End-s.Start, want)
		}
	}
}

// BenchmarkLive measures the live path as a person meets it: phrases spoken in real time into the
// pipeline (fake device, real engine), reporting end of speech (the segmenter's SpeechEnd) → final
// segment in milliseconds and the real-time factor (model time / speech time). The segmenter's trailing
// silence (Segment.TrailingSilence, 500 ms by default) comes before SpeechEnd and is not included.
//
//	vgo test -run '^$' -bench Live -benchtime 3x ./app/live/
func BenchmarkLive(b *testing.B) {
	if _, err := exec.LookPath("espeak-ng"); err != nil {
		b.Skip("espeak-ng not installed")
	}
	sig, spans := spoken(b, 1200*time.Millisecond, "bring the red box to the kitchen", "hello world", "at five please")
	models := []struct {
		name  string
		files func(testing.TB) (string, string)
	}{{"synthetic", syntheticFiles}}
	if assets.HasDemo() {
		models = append(models, struct {
			name  string
			files func(testing.TB) (string, string)
		}{"demo", demoFiles})
	}
	for _, mc := range models {
		b.Run(mc.name, func(b *testing.B) {
			m := loadEngine(b, mc.files)
			var lat, maxLat, rtf float64
			var n int
			for b.Loop() {
				src := newFakeSource(sig, true, nil)
				r := New(func() speech.Model { return m })
				ch, err := r.Start(context.Background(), Config{Open: src.open()})
				if err != nil {
					b.Fatal(err)
				}
				finals := 0
				done := make(chan struct{})
				go func() {
					defer close(done)
					for e := range ch {
						switch {
						case e.Stats != nil:
							lat += e.Stats.LatencyMs
							maxLat = max(maxLat, e.Stats.LatencyMs)
							rtf += e.Stats.RTF
							n++
						case e.Segment != nil && e.Segment.Final:
							finals++
							if n < len(spans) {
								b.Logf("%s [%v–%v]: %q", mc.name, e.Segment.Start, e.Segment.End, e.Segment.Text)
							}
						case e.Err != nil:
							b.Error(e.Err)
						}
					}
				}()
				for src.Sent() < len(sig) {
					time.Sleep(10 * time.Millisecond)
				}
				if err := r.Stop(context.Background()); err != nil {
					b.Fatal(err)
				}
				<-done
				if finals != len(spans) {
					b.Errorf("%d final segments for %d phrases", finals, len(spans))
				}
			}
			if n > 0 {
				b.ReportMetric(lat/float64(n), "latency-ms")
				b.ReportMetric(maxLat, "max-latency-ms")
				b.ReportMetric(rtf/float64(n), "rtf")
			}
			b.ReportMetric(0, "ns/op")
		})
	}
}

// demoFiles unpacks the bundled demo model.
func demoFiles(tb testing.TB) (string, string) {
	tb.Helper()
	dir := filepath.Join(os.TempDir(), "verbatim-live-bench")
	m, err := assets.Extract(dir, assets.DemoModel)
	if err != nil {
		tb.Fatal(err)
	}
	p, err := assets.Extract(dir, assets.DemoProjector)
	if err != nil {
		tb.Fatal(err)
	}
	return m, p
}

// draftCounter counts the tokens a model's drafter proposed and the model accepted.
type draftCounter struct {
	speech.Model
	drafted, accepted atomic.Int64
}

func (m *draftCounter) StartUtterance(ctx context.Context) (speech.Utterance, error) {
	u, err := m.Model.StartUtterance(ctx)
	if err != nil {
		return nil, err
	}
	return &countedUtt{Utterance: u, m: m}, nil
}

type countedUtt struct {
	speech.Utterance
	m *draftCounter
}

func (u *countedUtt) Finish(ctx context.Context, targets []string, emit func(string, string)) (map[string]speech.Result, error) {
	res, err := u.Utterance.Finish(ctx, targets, emit)
	for _, r := range res {
		u.m.drafted.Add(int64(r.Drafted))
		u.m.accepted.Add(int64(r.Accepted))
	}
	return res, err
}

func (u *countedUtt) Peek(ctx context.Context, target string, maxTokens int) (string, error) {
	return u.Utterance.(speech.Peeker).Peek(ctx, target, maxTokens)
}

// Live listening with drafting on (`verbatim listen --draft mtp`: the bundled model's MTP head, loaded by
// the same rule) gives the very lines plain greedy decoding gives, and the drafter is really used.
func TestDemoModelPipelineDrafting(t *testing.T) {
	testenv.NeedTools(t, "espeak-ng")
	sig, spans := spoken(t, 1200*time.Millisecond, "what time is it", "bring me the red box please", "the train leaves at five thirty")
	hear := func(draft speech.DraftMode) ([]string, *draftCounter) {
		cfg, err := models.LoadConfig(t.TempDir(), models.Choice{Draft: draft, Threads: 1, GPULayers: 0})
		if err != nil {
			t.Fatal(err)
		}
		l, err := inference.Engines().Load(context.Background(), cfg)
		if err != nil {
			t.Fatal(err)
		}
		defer l.Close(context.Background())
		m := &draftCounter{Model: l}
		src := newFakeSource(sig, false, nil)
		r, ch := start(t, m, Config{Open: src.open(), Provisional: true})
		for src.Sent() < len(src.signal) {
			time.Sleep(5 * time.Millisecond)
		}
		stop(t, r)
		g := collect(t, ch, time.Minute)
		if len(g.errs) > 0 {
			t.Fatalf("errors: %v", g.errs)
		}
		var lines []string
		for _, s := range g.finals {
			lines = append(lines, s.Text)
		}
		return lines, m
	}
	plain, _ := hear(speech.DraftOff)
	drafted, m := hear(speech.DraftMTP)
	t.Logf("plain %q; drafted %q; %d of %d drafted tokens accepted", plain, drafted, m.accepted.Load(), m.drafted.Load())
	if len(plain) != len(spans) || slices.Contains(plain, "") {
		t.Fatalf("%d lines %q for %d phrases", len(plain), plain, len(spans))
	}
	if !slices.Equal(drafted, plain) {
		t.Errorf("with drafting the lines are %q, without %q", drafted, plain)
	}
	if m.drafted.Load() == 0 || m.accepted.Load() == 0 {
		t.Errorf("the drafter proposed %d tokens, %d accepted: drafting was not on", m.drafted.Load(), m.accepted.Load())
	}
}
