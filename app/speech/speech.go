// Package speech is the port between the app and the inference engines: the interfaces a model that
// hears implements (utterances in, text out), the registry that picks an engine by a model file's
// architecture, and the one lease that lets a model hear one utterance at a time. It has no cgo: the
// use cases (live, batch, dictation, the server, the window) build and test with fakes; package
// inference adapts llama.cpp to it.
package speech

import (
	"context"
	"time"
)

// Model starts utterances. Models an Engines registry loads hear one utterance at a time: a second
// StartUtterance waits until the first is finished or released.
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

// Peeker is implemented by utterances that can show provisional text while audio is still arriving.
type Peeker interface {
	Peek(ctx context.Context, target string, maxTokens int) (string, error)
}

// Sampler is implemented by utterances that can sample instead of decoding greedily.
type Sampler interface {
	SetTemperature(t float32)
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

// WithTemperature is m sampling at temperature t (0: greedy) where its utterances can.
func WithTemperature(m Model, t float32) Model {
	if t <= 0 {
		return m
	}
	return tempered{m, t}
}

type tempered struct {
	Model
	t float32
}

func (m tempered) StartUtterance(ctx context.Context) (Utterance, error) {
	u, err := m.Model.StartUtterance(ctx)
	if s, ok := u.(Sampler); ok && err == nil {
		s.SetTemperature(m.t)
	}
	return u, err
}

// Since is the time since t in milliseconds, for latency figures.
func Since(t time.Time) float64 { return float64(time.Since(t).Microseconds()) / 1000 }
