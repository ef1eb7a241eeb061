package main

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"path/filepath"
	"strings"
	"sync"
	"time"

	"github.com/verbatim-app/verbatim/app/live"
	"github.com/verbatim-app/verbatim/app/models"
	"github.com/verbatim-app/verbatim/app/speech"
	"github.com/verbatim-app/verbatim/capture"
	"github.com/verbatim-app/verbatim/capture/pcm"
	"github.com/verbatim-app/verbatim/inference"
	"github.com/verbatim-app/verbatim/tools/testenv"
	"github.com/verbatim-app/verbatim/tools/textnorm"
)

// benchLive runs the live pipeline as `verbatim listen` does (the demo model chosen and loaded by the same
// rule, --draft auto, provisional text on, a session on disk) on the clips spoken one after another with
// pauses, delivered in real time in 20 ms chunks, and reports the segmenter's end-of-speech decision →
// final text (live.Stats.LatencyMs) over the utterances. The transcript's word error rate goes in details.
func benchLive(ctx context.Context, s settings, clips []clip, rep *report) error {
	n := min(len(clips), 10)
	if s.quick {
		n = min(len(clips), 3)
	}
	cfg, err := models.LoadConfig(filepath.Join(s.dir, "demo"), models.Choice{Draft: speech.DraftAuto, GPULayers: s.layers, Threads: s.threads})
	if err != nil {
		return err
	}
	loaded, err := inference.Engines().Load(ctx, cfg)
	if err != nil {
		return err
	}
	defer loaded.Close(ctx)
	rng := rand.New(rand.NewPCG(1, 1))
	audio := testenv.Noise(rng, pcm.Rate/2, -65)
	var spoken []string
	for _, c := range clips[:n] {
		audio = append(audio, c.samples...)
		audio = append(audio, testenv.Noise(rng, pcm.Rate*3/2, -65)...) // 1.5 s: the utterance ends
		spoken = append(spoken, c.spoken)
	}
	src := newPacedSource(audio)
	rec := live.New(func() speech.Model { return loaded })
	events, err := rec.Start(ctx, live.Config{SessionRoot: filepath.Join(s.dir, "sessions"), Provisional: true,
		Open: func(context.Context, capture.Config) (live.Source, error) { return src, nil }})
	if err != nil {
		return err
	}
	var lat []float64
	var heard []string
	for ev := range events {
		switch {
		case ev.Stats != nil:
			lat = append(lat, ev.Stats.LatencyMs)
		case ev.Segment != nil && ev.Segment.Final && ev.Segment.Lang == "":
			heard = append(heard, ev.Segment.Text)
		case ev.Err != nil:
			return ev.Err
		}
	}
	if len(lat) == 0 {
		return errors.New("the live pipeline finished no utterance")
	}
	maxLat := 0.0
	for _, l := range lat {
		maxLat = max(maxLat, l)
	}
	rep.LiveEOSToTextMs = &latency{Median: median(lat), Max: maxLat}
	wer := textnorm.WER(textnorm.Normalise(strings.Join(spoken, " ")), textnorm.Normalise(strings.Join(heard, " ")))
	if wer > 0.5 {
		return fmt.Errorf("the live transcript is mostly wrong (WER %.0f %%): %q", 100*wer, strings.Join(heard, " / "))
	}
	rep.Details["live"] = fmt.Sprintf("%d development-set clips in real time, %d utterances finished, latencies %.1f ms, transcript WER %.1f %% (draft auto: %s)",
		n, len(lat), lat, 100*wer, draftUsed(cfg))
	return nil
}

// draftUsed names what --draft auto loads beside the model.
func draftUsed(cfg speech.LoadConfig) string {
	switch {
	case cfg.MTPHead != "":
		return "the MTP head"
	case cfg.DraftModel != "":
		return "the draft model"
	}
	return "no drafter"
}

// pacedSource is a capture source that plays samples in real time, 20 ms a chunk, then ends.
type pacedSource struct {
	audio  chan []float32
	levels chan capture.Level
	errs   chan error
	quit   chan struct{}
	once   sync.Once
}

func newPacedSource(samples []float32) *pacedSource {
	s := &pacedSource{audio: make(chan []float32, 8), levels: make(chan capture.Level), errs: make(chan error), quit: make(chan struct{})}
	go func() {
		defer close(s.audio)
		defer close(s.levels)
		defer close(s.errs)
		const chunk = pcm.Rate / 50
		t0 := time.Now()
		for off := 0; off < len(samples); off += chunk {
			end := min(off+chunk, len(samples))
			if d := time.Until(t0.Add(pcm.Duration(int64(end)))); d > 0 {
				time.Sleep(d)
			}
			select {
			case s.audio <- append([]float32(nil), samples[off:end]...):
			case <-s.quit:
				return
			}
		}
	}()
	return s
}

func (s *pacedSource) Audio() <-chan []float32      { return s.audio }
func (s *pacedSource) Levels() <-chan capture.Level { return s.levels }
func (s *pacedSource) Err() <-chan error            { return s.errs }
func (s *pacedSource) Stop(context.Context) error {
	s.once.Do(func() { close(s.quit) })
	return nil
}
