package live

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/verbatim-app/verbatim/app/segment"
	"github.com/verbatim-app/verbatim/app/session"
	"github.com/verbatim-app/verbatim/app/speech"
	"github.com/verbatim-app/verbatim/app/transcript"
	"github.com/verbatim-app/verbatim/capture"
)

// events reads the channel until it closes (failing after limit) and sorts what came.
type got struct {
	finals, provisional []transcript.Segment
	stats               []Stats
	errs                []error
	levels              int
	stopped             int
	afterStopped        int
}

func collect(t *testing.T, ch <-chan Event, limit time.Duration) *got {
	t.Helper()
	return collectWith(t, ch, limit, nil)
}

// collectWith also shows each event to on; it may run on any goroutine (it reports with Errorf).
func collectWith(t *testing.T, ch <-chan Event, limit time.Duration, on func(Event)) *got {
	g := &got{}
	timeout := time.After(limit)
	for {
		select {
		case e, ok := <-ch:
			if !ok {
				return g
			}
			if on != nil {
				on(e)
			}
			set := 0
			if g.stopped > 0 {
				g.afterStopped++
			}
			if e.Level != nil {
				g.levels++
				set++
			}
			if e.Segment != nil {
				if e.Segment.Final {
					g.finals = append(g.finals, *e.Segment)
				} else {
					g.provisional = append(g.provisional, *e.Segment)
				}
				set++
			}
			if e.Stats != nil {
				g.stats = append(g.stats, *e.Stats)
				set++
			}
			if e.Err != nil {
				g.errs = append(g.errs, e.Err)
				set++
			}
			if e.Stopped {
				g.stopped++
				set++
			}
			if set != 1 {
				t.Errorf("event %+v sets %d fields, want exactly 1", e, set)
			}
		case <-timeout:
			t.Errorf("event channel not closed within %v", limit)
			return g
		}
	}
}

func start(t *testing.T, m speech.Model, cfg Config) (*Recorder, <-chan Event) {
	t.Helper()
	r := New(func() speech.Model { return m })
	ch, err := r.Start(context.Background(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	return r, ch
}

func stop(t *testing.T, r *Recorder) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	if err := r.Stop(ctx); err != nil {
		t.Errorf("Stop: %v", err)
	}
}

// The pipeline's contract on finished audio: one final segment per utterance (per target), none for
// silence, ordered IDs, times that cover the speech, and the model fed while the utterance is spoken.
func TestOneFinalSegmentPerUtterance(t *testing.T) {
	for _, tc := range []struct {
		name      string
		total     time.Duration
		spans     []span
		translate string
	}{
		{"silence", 6 * time.Second, nil, ""},
		{"silence with translation", 4 * time.Second, nil, "es"},
		{"one", 4 * time.Second, []span{{time.Second, 2500 * time.Millisecond}}, ""},
		{"three with pauses", 10 * time.Second, []span{{500 * time.Millisecond, 2 * time.Second}, {3500 * time.Millisecond, 4 * time.Second}, {6 * time.Second, 9 * time.Second}}, ""},
		{"translated", 7 * time.Second, []span{{time.Second, 2 * time.Second}, {4 * time.Second, 5500 * time.Millisecond}}, "es"},
		// The last word runs into the end of the capture (Stop right after it): no trailing silence,
		// yet it is transcribed.
		{"word just before stop", 3 * time.Second, []span{{500 * time.Millisecond, time.Second}, {2400 * time.Millisecond, 3 * time.Second}}, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			src := newFakeSource(scene(tc.total, tc.spans...), false, nil)
			m := &fakeModel{}
			r, ch := start(t, m, Config{Open: src.open(), Translate: tc.translate, SessionRoot: t.TempDir()})
			// Wait until the whole signal is captured, then stop: the flush must see it all.
			for src.Sent() < len(src.signal) {
				time.Sleep(5 * time.Millisecond)
			}
			stop(t, r)
			g := collect(t, ch, 10*time.Second)
			if len(g.errs) > 0 || g.stopped != 1 || g.afterStopped != 0 {
				t.Fatalf("errors %v, %d Stopped events, %d events after Stopped", g.errs, g.stopped, g.afterStopped)
			}
			targets := []string{""}
			if tc.translate != "" {
				targets = append(targets, tc.translate)
			}
			if len(g.finals) != len(tc.spans)*len(targets) {
				t.Fatalf("%d final segments for %d utterances × %d targets: %+v", len(g.finals), len(tc.spans), len(targets), g.finals)
			}
			if len(g.stats) != len(tc.spans) {
				t.Errorf("%d stats for %d utterances", len(g.stats), len(tc.spans))
			}
			for i, sp := range tc.spans {
				for j, target := range targets {
					s := g.finals[i*len(targets)+j]
					want := fmt.Sprintf("utterance %d ", i)
					if target != "" {
						want = "[" + target + "] " + want
					}
					if s.ID != i || s.Lang != target || !strings.HasPrefix(s.Text, want) {
						t.Errorf("segment %d/%q: %+v, want ID %d, Lang %q, text %q…", i, target, s, i, target, want)
					}
					// Pre-roll and post-roll widen the span a little; the segmenter owns the exact cut.
					if s.Start > sp.start || s.Start < sp.start-time.Second || s.End < sp.end-100*time.Millisecond || s.End > sp.end+time.Second {
						t.Errorf("segment %d covers %v–%v, speech was %v–%v", i, s.Start, s.End, sp.start, sp.end)
					}
				}
				// Every sample of the utterance reached the model (fed in chunks; the worker merges
				// chunks only when it is behind, as it is here where audio comes faster than real time).
				s := g.finals[i*len(targets)]
				if want := samplesOf(s.End - s.Start); m.fedSamples[i] != want {
					t.Errorf("utterance %d: %d samples fed, want %d", i, m.fedSamples[i], want)
				}
			}
			if m.started != len(tc.spans) || m.open != 0 || m.maxOpen > 1 {
				t.Errorf("model: %d utterances started for %d, %d left open, %d open at once", m.started, len(tc.spans), m.open, m.maxOpen)
			}
			// The session holds all the audio, the transcript and its translations.
			infos, err := session.List(filepathDir(r.SessionDir()))
			if err != nil || len(infos) != 1 {
				t.Fatalf("sessions: %v, %v", infos, err)
			}
			in := infos[0]
			if !in.Complete || in.AudioDuration != tc.total || len(in.Segments) != len(tc.spans)*len(targets) {
				t.Errorf("session: complete %v, audio %v (want %v), %d segments (want %d)", in.Complete, in.AudioDuration, tc.total, len(in.Segments), len(tc.spans)*len(targets))
			}
		})
	}
}

func filepathDir(p string) string { return p[:strings.LastIndexByte(p, '/')] }

// Speaking in real time with a slow model: the capture consumer keeps reading (the model work
// queues up), provisional text comes while speaking, and Stop still transcribes the backlog.
func TestSlowModelNeverBlocksCapture(t *testing.T) {
	spans := []span{{300 * time.Millisecond, 1500 * time.Millisecond}, {2300 * time.Millisecond, 3300 * time.Millisecond}}
	src := newFakeSource(scene(3600*time.Millisecond, spans...), true, nil)
	m := &fakeModel{feedDelay: 15 * time.Millisecond, finishDelay: 400 * time.Millisecond}
	r, ch := start(t, m, Config{Open: src.open(), Provisional: true, SessionRoot: t.TempDir()})
	for src.Sent() < len(src.signal) {
		time.Sleep(10 * time.Millisecond)
	}
	t0 := time.Now()
	stop(t, r)
	g := collect(t, ch, 10*time.Second)
	t.Logf("stop took %v; capture waited at most %v; %d levels, %d provisional, stats %+v", time.Since(t0), src.maxWait, g.levels, len(g.provisional), g.stats)
	if src.maxWait > 50*time.Millisecond {
		t.Errorf("capture waited %v on the pipeline; it must never wait on the model", src.maxWait)
	}
	if len(g.finals) != 2 || len(g.errs) > 0 {
		t.Fatalf("finals %+v, errors %v", g.finals, g.errs)
	}
	if len(g.provisional) == 0 || g.levels == 0 {
		t.Errorf("%d provisional segments and %d levels while speaking", len(g.provisional), g.levels)
	}
	for _, p := range g.provisional {
		if p.Final || (p.ID != 0 && p.ID != 1) {
			t.Errorf("provisional %+v", p)
		}
	}
	for i := range 2 {
		// Spoken in real time: fed while spoken, in many chunks, not once at the end.
		if m.feeds[i] < 10 {
			t.Errorf("utterance %d was fed in %d calls, want it streamed while spoken", i, m.feeds[i])
		}
	}
	for _, s := range g.stats {
		if s.LatencyMs < 400 || s.RTF <= 0 {
			t.Errorf("stats %+v: latency must include the model's 400 ms", s)
		}
	}
}

// A device that stops delivering (the real capture.Stream's watchdog over fake hardware): the error
// is reported, what was captured is transcribed, the run ends by itself and Stop does not hang.
func TestDeviceStopsDelivering(t *testing.T) {
	sig := scene(2500*time.Millisecond, span{500 * time.Millisecond, 1500 * time.Millisecond}, span{2 * time.Second, 2500 * time.Millisecond})
	drv := &fakeDriver{signal: sig}
	open := func(ctx context.Context, c capture.Config) (Source, error) {
		c.StallTimeout, c.StopTimeout = 300*time.Millisecond, 500*time.Millisecond
		return capture.Open(ctx, drv, c)
	}
	m := &fakeModel{}
	r, ch := start(t, m, Config{Open: open, SessionRoot: t.TempDir()})
	g := collect(t, ch, 10*time.Second) // ends by itself
	t0 := time.Now()
	stop(t, r)
	if el := time.Since(t0); el > time.Second {
		t.Errorf("Stop after the device died took %v", el)
	}
	if len(g.errs) != 1 || !errors.Is(g.errs[0], capture.ErrStalled) {
		t.Errorf("errors %v, want one ErrStalled", g.errs)
	}
	if len(g.finals) != 2 || g.stopped != 1 {
		t.Errorf("finals %+v, Stopped %d: the speech before the stall must be transcribed", g.finals, g.stopped)
	}
	infos, _ := session.List(filepathDir(r.SessionDir()))
	if len(infos) != 1 || infos[0].AudioDuration < 2500*time.Millisecond || len(infos[0].Segments) != 2 {
		t.Errorf("session %+v: want all 2.5 s and both segments", infos)
	}
}

// Stop bounded by its context even when the source never lets go and the model hangs.
func TestStopHonoursContext(t *testing.T) {
	src := newFakeSource(scene(2*time.Second, span{500 * time.Millisecond, 2 * time.Second}), false, nil)
	hung := &hangingSource{fakeSource: src}
	m := &fakeModel{finishDelay: time.Hour}
	r, ch := start(t, m, Config{Open: func(context.Context, capture.Config) (Source, error) { return hung, nil }})
	for src.Sent() < len(src.signal) {
		time.Sleep(5 * time.Millisecond)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 300*time.Millisecond)
	defer cancel()
	t0 := time.Now()
	err := r.Stop(ctx)
	if el := time.Since(t0); el > 2*time.Second || !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("Stop returned %v after %v, want DeadlineExceeded within its context", err, el)
	}
	src.Stop(context.Background()) // let the source go; the run then winds down
	g := collect(t, ch, 5*time.Second)
	if g.stopped != 1 {
		t.Errorf("Stopped %d", g.stopped)
	}
}

// hangingSource ignores Stop until its context ends.
type hangingSource struct{ *fakeSource }

func (h *hangingSource) Stop(ctx context.Context) error {
	<-ctx.Done()
	return ctx.Err()
}

// A model that cannot translate still transcribes (the words are never lost), and the failure is
// reported; a translation target set mid-run applies from the next utterance.
func TestTranslationFailureKeepsTranscript(t *testing.T) {
	src := newFakeSource(scene(3*time.Second, span{500 * time.Millisecond, 1500 * time.Millisecond}), false, nil)
	m := &fakeModel{failTranslate: true}
	r, ch := start(t, m, Config{Open: src.open(), Translate: "xx"})
	for src.Sent() < len(src.signal) {
		time.Sleep(5 * time.Millisecond)
	}
	stop(t, r)
	g := collect(t, ch, 5*time.Second)
	if len(g.finals) != 1 || g.finals[0].Lang != "" || len(g.errs) != 1 {
		t.Errorf("finals %+v, errors %v: want the transcript and one error", g.finals, g.errs)
	}
}

// The translation target follows SetTranslate from the next utterance on, and each Start takes its
// own Config.Translate; a recorder runs again after a run ended.
func TestSetTranslateAndRestart(t *testing.T) {
	m := &fakeModel{}
	r := New(func() speech.Model { return m })
	for run, translate := range []string{"de", ""} {
		// Two utterances spoken in real time; the target changes when the first one's text arrives.
		src := newFakeSource(scene(2800*time.Millisecond, span{200 * time.Millisecond, 900 * time.Millisecond}, span{2 * time.Second, 2600 * time.Millisecond}), true, nil)
		ch, err := r.Start(context.Background(), Config{Open: src.open(), Translate: translate})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := r.Start(context.Background(), Config{Open: src.open()}); !errors.Is(err, ErrRunning) {
			t.Errorf("second Start while running: %v", err)
		}
		var langs []string
		res := make(chan *got, 1)
		go func() {
			res <- collectWith(t, ch, 10*time.Second, func(e Event) {
				if e.Segment != nil && e.Segment.Final {
					langs = append(langs, fmt.Sprintf("%d%s", e.Segment.ID, e.Segment.Lang))
					if e.Segment.ID == 0 {
						r.SetTranslate("fr")
					}
				}
			})
		}()
		for src.Sent() < len(src.signal) {
			time.Sleep(5 * time.Millisecond)
		}
		stop(t, r)
		<-res
		want := map[int]string{0: "0 0de 1 1fr", 1: "0 1 1fr"}[run]
		if got := strings.Join(langs, " "); got != want {
			t.Errorf("run %d (Translate %q): segments %q, want %q", run, translate, got, want)
		}
	}
}

func TestSegmenterConfigIsUsed(t *testing.T) {
	// A 2 s utterance with a 1 s maximum is cut in two.
	src := newFakeSource(scene(3*time.Second, span{500 * time.Millisecond, 2500 * time.Millisecond}), false, nil)
	r, ch := start(t, &fakeModel{noPeek: true}, Config{Open: src.open(), Provisional: true, Segment: segment.Config{MaxUtterance: time.Second}})
	for src.Sent() < len(src.signal) {
		time.Sleep(5 * time.Millisecond)
	}
	stop(t, r)
	g := collect(t, ch, 5*time.Second)
	if len(g.finals) < 2 || len(g.provisional) != 0 {
		t.Errorf("finals %+v, provisional %+v", g.finals, g.provisional)
	}
}

// A target chosen mid-recording translates the lines heard before it too, from the session's audio,
// once each; the translations are in the session's journal.
func TestSetTranslateTranslatesEarlierLines(t *testing.T) {
	m := &fakeModel{}
	r := New(func() speech.Model { return m })
	src := newFakeSource(scene(2800*time.Millisecond, span{200 * time.Millisecond, 900 * time.Millisecond}, span{2 * time.Second, 2600 * time.Millisecond}), true, nil)
	ch, err := r.Start(context.Background(), Config{Open: src.open(), SessionRoot: t.TempDir()})
	if err != nil {
		t.Fatal(err)
	}
	dir := r.SessionDir()
	var langs []string
	texts := map[string]string{}
	res := make(chan *got, 1)
	go func() {
		res <- collectWith(t, ch, 10*time.Second, func(e Event) {
			if e.Segment != nil && e.Segment.Final {
				k := fmt.Sprintf("%d%s", e.Segment.ID, e.Segment.Lang)
				langs = append(langs, k)
				texts[k] = e.Segment.Text
				if k == "0" {
					r.SetTranslate("fr")
				}
			}
		})
	}()
	for src.Sent() < len(src.signal) {
		time.Sleep(5 * time.Millisecond)
	}
	stop(t, r)
	g := <-res
	slices.Sort(langs)
	if got := strings.Join(langs, " "); got != "0 0fr 1 1fr" {
		t.Errorf("final segments %q, want each line and its French once", got)
	}
	if len(g.errs) != 0 {
		t.Errorf("errors %v", g.errs)
	}
	// Heard again from the session: as long as the first hearing.
	if a, b := strings.TrimPrefix(texts["0fr"], "[fr] "), texts["0"]; len(strings.Fields(a)) < 3 || len(strings.Fields(b)) < 3 || strings.Fields(a)[2] != strings.Fields(b)[2] {
		t.Errorf("the earlier line translated from %q, heard first as %q", a, b)
	}
	info, err := session.Load(dir)
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	for _, s := range info.Segments {
		if s.Lang == "fr" {
			n++
		}
	}
	if n != 2 {
		t.Errorf("the journal holds %d French lines, want 2: %+v", n, info.Segments)
	}
}
