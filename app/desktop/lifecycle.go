package desktop

import (
	"context"
	"fmt"
	"sync"
)

// lifecycle is what the window's background services (the local server, dictation) share: at most one
// run at a time, cleared when it ends by itself so the next Start can begin one, and stopped by cancelling
// it and waiting for its goroutine.
type lifecycle struct {
	mu     sync.Mutex // held by the service's Start while it sets a run up
	cancel context.CancelFunc
	done   chan struct{}
}

// running reports whether a run is on. Call with mu held.
func (l *lifecycle) running() bool { return l.cancel != nil }

// begin records a new run cancelled by cancel and returns the channel its goroutine closes when it is
// over. Call with mu held.
func (l *lifecycle) begin(cancel context.CancelFunc) chan struct{} {
	l.cancel, l.done = cancel, make(chan struct{})
	return l.done
}

// ended forgets the run whose channel is done, unless Stop (or a newer run) already replaced it. The
// run's goroutine calls it when it finishes by itself, before it reports the end.
func (l *lifecycle) ended(done chan struct{}) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.done == done {
		l.cancel, l.done = nil, nil
	}
}

// stop cancels the run, if any, and waits for its goroutine until ctx ends.
func (l *lifecycle) stop(ctx context.Context, what string) error {
	l.mu.Lock()
	cancel, done := l.cancel, l.done
	l.cancel, l.done = nil, nil
	l.mu.Unlock()
	if cancel == nil {
		return nil
	}
	cancel()
	select {
	case <-done:
		return nil
	case <-ctx.Done():
		return fmt.Errorf("%s: still stopping: %w", what, ctx.Err())
	}
}
