// Package speech is the app's view of a model that hears: utterances in, text out. The live pipeline and
// batch jobs use these interfaces, so they are tested with fakes; Engine adapts the real inference engine.
package speech

import (
	"context"
	"strings"
	"time"

	"github.com/verbatim-app/verbatim/inference"
)

// Model starts utterances. Only one utterance is open at a time.
type Model interface {
	StartUtterance(ctx context.Context) (Utterance, error)
}

// Utterance takes audio while it is spoken and produces text for each target when it ends.
// A target is "" for the transcript or a language code for a translation.
type Utterance interface {
	Feed(ctx context.Context, samples []float32) error
	Finish(ctx context.Context, targets []string, emit func(target, piece string)) (map[string]Result, error)
	// Release abandons an utterance that will not be finished (Finish releases by itself).
	Release()
}

// Result is one target's text.
type Result struct {
	Text         string
	Tokens       int
	TokensPerSec float64
	Drafted      int
	Accepted     int
}

// Hear runs a whole clip through m.
func Hear(ctx context.Context, m Model, samples []float32, targets []string, emit func(target, piece string)) (map[string]Result, error) {
	u, err := m.StartUtterance(ctx)
	if err != nil {
		return nil, err
	}
	if err := u.Feed(ctx, samples); err != nil {
		u.Release()
		return nil, err
	}
	return u.Finish(ctx, targets, emit)
}

// Engine adapts an inference engine.
type Engine struct {
	E    *inference.Engine
	Opts inference.Options
}

// StartUtterance implements Model.
func (e Engine) StartUtterance(ctx context.Context) (Utterance, error) {
	u, err := e.E.StartUtterance(ctx)
	if err != nil {
		return nil, err
	}
	return engineUtterance{u: u, opts: e.Opts}, nil
}

type engineUtterance struct {
	u    *inference.Utterance
	opts inference.Options
}

func (u engineUtterance) Release() {}

func (u engineUtterance) Feed(ctx context.Context, samples []float32) error {
	return u.u.Feed(ctx, samples)
}

func (u engineUtterance) Finish(ctx context.Context, targets []string, emit func(string, string)) (map[string]Result, error) {
	if len(targets) == 0 {
		targets = []string{""}
	}
	tasks := make([]inference.Task, len(targets))
	for i, t := range targets {
		tasks[i] = inference.Task{Translate: t}
	}
	opts := u.opts
	if opts.MaxTokens == 0 {
		// Speech runs at a few tokens a second; a budget from the audio's length stops a model that loops.
		opts.MaxTokens = 24 + int(12*u.u.Duration().Seconds())
	}
	res, err := u.u.Finish(ctx, tasks, opts, func(t inference.Task, s string) {
		if emit != nil {
			emit(t.Translate, s)
		}
	})
	out := map[string]Result{}
	for t, r := range res {
		out[t.Translate] = Result{Text: strings.TrimSpace(r.Text), Tokens: len(r.Tokens), TokensPerSec: r.TokensPerSecond(),
			Drafted: r.Drafted, Accepted: r.Accepted}
	}
	return out, err
}

// Since is a small helper for latency figures.
func Since(t time.Time) float64 { return float64(time.Since(t).Microseconds()) / 1000 }

// Peeker is implemented by utterances that can show provisional text while audio is still arriving.
type Peeker interface {
	Peek(ctx context.Context, target string, maxTokens int) (string, error)
}

func (u engineUtterance) Peek(ctx context.Context, target string, maxTokens int) (string, error) {
	r, err := u.u.Peek(ctx, inference.Task{Translate: target}, maxTokens, nil)
	return strings.TrimSpace(r.Text), err
}

// Exclusive lets several users (live listening, batch jobs) share one model: an utterance holds the model
// from StartUtterance until Finish returns, so one user's utterance never resets another's.
func Exclusive(m Model) Model { return &exclusive{m: m, sem: make(chan struct{}, 1)} }

type exclusive struct {
	m   Model
	sem chan struct{}
}

func (x *exclusive) StartUtterance(ctx context.Context) (Utterance, error) {
	select {
	case x.sem <- struct{}{}:
	case <-ctx.Done():
		return nil, ctx.Err()
	}
	u, err := x.m.StartUtterance(ctx)
	if err != nil {
		<-x.sem
		return nil, err
	}
	return &exclusiveUtt{Utterance: u, release: func() { <-x.sem }}, nil
}

type exclusiveUtt struct {
	Utterance
	release func()
	done    bool
}

func (u *exclusiveUtt) Finish(ctx context.Context, targets []string, emit func(string, string)) (map[string]Result, error) {
	defer u.Release()
	return u.Utterance.Finish(ctx, targets, emit)
}

// Release gives the model back without finishing (an utterance abandoned on error).
func (u *exclusiveUtt) Release() {
	if !u.done {
		u.done = true
		u.release()
	}
}

func (u *exclusiveUtt) Peek(ctx context.Context, target string, maxTokens int) (string, error) {
	if p, ok := u.Utterance.(Peeker); ok {
		return p.Peek(ctx, target, maxTokens)
	}
	return "", nil
}
