package main

// Glue between the window's service interfaces (package ui) and the app layer. No logic lives here
// beyond converting types: the app side is app/desktop, app/live and app/export.

import (
	"context"
	"io"

	"github.com/verbatim-app/verbatim/app/batch"
	"github.com/verbatim-app/verbatim/app/desktop"
	"github.com/verbatim-app/verbatim/app/export"
	"github.com/verbatim-app/verbatim/app/live"
	"github.com/verbatim-app/verbatim/app/transcript"
	"github.com/verbatim-app/verbatim/capture"
	"github.com/verbatim-app/verbatim/ui"
)

// recorder is ui.Recorder over app/live.
type recorder struct {
	rec         *live.Recorder
	cat         *desktop.Catalog
	sessionRoot string // "" records no session
}

func (r *recorder) Devices(ctx context.Context) ([]ui.Device, error) {
	devs, err := capture.Devices(ctx)
	out := make([]ui.Device, 0, len(devs))
	for _, d := range devs {
		out = append(out, ui.Device{Name: d.Name, Default: d.IsDefault})
	}
	return out, err
}

func (r *recorder) Start(ctx context.Context, o ui.StartOptions) (<-chan ui.Event, error) {
	if r.cat.Model() == nil {
		return nil, desktop.ErrNoModel
	}
	r.rec.SetTranslate(o.TranslateTo)
	in, err := r.rec.Start(ctx, live.Config{Device: o.Device, Translate: o.TranslateTo, SessionRoot: r.sessionRoot, Provisional: true})
	if err != nil {
		return nil, err
	}
	out := make(chan ui.Event, 64)
	go func() {
		defer close(out)
		for ev := range in {
			out <- liveEvent(ev)
		}
	}()
	return out, nil
}

func liveEvent(ev live.Event) ui.Event {
	switch {
	case ev.Level != nil:
		return ui.Event{Level: &ui.Level{RMS: ev.Level.RMS, Peak: ev.Level.Peak}}
	case ev.Segment != nil:
		return ui.Event{Segment: ev.Segment}
	case ev.Stats != nil:
		return ui.Event{Stats: &ui.Stats{TokensPerSec: ev.Stats.TokensPerSec, LatencyMs: ev.Stats.LatencyMs}}
	case ev.Err != nil:
		return ui.Event{Err: ev.Err}
	}
	return ui.Event{Stopped: ev.Stopped}
}

func (r *recorder) Stop(ctx context.Context) error { return r.rec.Stop(ctx) }

func (r *recorder) SetTranslateTo(target string) error {
	r.rec.SetTranslate(target)
	return nil
}

// batchRunner is ui.BatchRunner over the desktop queue.
type batchRunner struct{ q *desktop.Queue }

func (b batchRunner) Run(ctx context.Context, paths []string, o ui.BatchOptions) <-chan ui.BatchEvent {
	in := b.q.Run(ctx, paths, batch.Options{Format: o.Format, OutDir: o.OutDir, Translate: o.TranslateTo})
	out := make(chan ui.BatchEvent, 16)
	go func() {
		defer close(out)
		for ev := range in {
			out <- ui.BatchEvent{Path: ev.Path, Progress: float32(ev.Progress), Output: ev.Output, Err: ev.Err}
		}
	}()
	return out
}

func (b batchRunner) Cancel(path string) { b.q.Cancel(path) }

// catalog is ui.ModelCatalog over the desktop catalog.
type catalog struct{ c *desktop.Catalog }

func (c catalog) List(ctx context.Context) ([]ui.ModelInfo, error) {
	list, err := c.c.List(ctx)
	out := make([]ui.ModelInfo, 0, len(list))
	for _, m := range list {
		out = append(out, modelInfo(m))
	}
	return out, err
}

func (c catalog) Load(ctx context.Context, ch ui.Choice, progress func(float32)) error {
	return c.c.Load(ctx, desktop.Choice{Model: ch.Model, Projector: ch.Projector, GPULayers: ch.GPULayers, Threads: ch.Threads}, progress)
}

func (c catalog) Current() ui.ModelInfo { return modelInfo(c.c.Current()) }

func modelInfo(m desktop.ModelInfo) ui.ModelInfo {
	return ui.ModelInfo{ID: m.ID, Name: m.Name, Size: m.Size, Quant: m.Quant, CanHear: m.CanHear,
		Projectors: m.Projectors, Backend: m.Backend, Default: m.Default, Fit: m.Fit, Tasks: m.Tasks}
}

// sessions is ui.SessionStore over the desktop store.
type sessions struct{ s *desktop.Sessions }

func (s sessions) Recoverable() ([]ui.SessionInfo, error) {
	list, err := s.s.Recover()
	out := make([]ui.SessionInfo, 0, len(list))
	for _, in := range list {
		out = append(out, ui.SessionInfo{ID: in.ID, Started: in.Started, Segments: in.Segments, Preview: in.Preview})
	}
	return out, err
}

func (s sessions) Restore(id string) ([]transcript.Segment, error) { return s.s.Restore(id) }
func (s sessions) Discard(id string) error                         { return s.s.Discard(id) }

// exporter is ui.Exporter over app/export.
type exporter struct{}

func (exporter) Export(w io.Writer, format string, segs []transcript.Segment) error {
	return export.Write(w, format, export.Doc{Segments: segs})
}
