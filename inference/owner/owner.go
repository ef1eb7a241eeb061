// Package owner runs work on the one goroutine that owns a model: llama.cpp's and ggml's state may not be
// shared between threads, so each engine hands plain closures to its owner through a channel, as ollama's
// runner does. Both engines (inference, inference/gemma4) follow this one rule.
package owner

import (
	"context"
	"sync"
)

// Loop serves closures on the goroutine that owns a value of type C.
type Loop[C any] struct {
	jobs      chan func(C)
	done      chan struct{}
	freed     chan struct{} // closed once the owner has freed everything
	closeOnce sync.Once
	closed    error
}

// New makes a loop whose calls after Close return closed.
func New[C any](closed error) *Loop[C] {
	return &Loop[C]{jobs: make(chan func(C)), done: make(chan struct{}), freed: make(chan struct{}), closed: closed}
}

// Serve is the owner goroutine's body: it runs load, reports its error on ready, then runs jobs on c until
// Close. free runs last, after a failed load too.
func (l *Loop[C]) Serve(c C, load func() error, free func(), ready chan<- error) {
	defer close(l.freed)
	if err := load(); err != nil {
		free()
		ready <- err
		return
	}
	ready <- nil
	defer free()
	for {
		select {
		case job := <-l.jobs:
			job(c)
		case <-l.done:
			return
		}
	}
}

// Do runs f on the owner goroutine and returns its error; the loop's closed error once it is closed, or
// ctx's error if ctx ends before the owner takes the job.
func (l *Loop[C]) Do(ctx context.Context, f func(C) error) error {
	errc := make(chan error, 1)
	job := func(c C) { errc <- f(c) }
	select {
	case l.jobs <- job:
	case <-l.done:
		return l.closed
	case <-ctx.Done():
		return ctx.Err()
	}
	return <-errc
}

// Close stops the loop and returns once the owner has freed everything. Calls in flight finish first.
func (l *Loop[C]) Close() {
	l.closeOnce.Do(func() { close(l.done) })
	<-l.freed
}
