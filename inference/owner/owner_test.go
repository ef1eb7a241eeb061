package owner

import (
	"context"
	"errors"
	"testing"
)

var errClosed = errors.New("closed")

// Jobs run on the owner, one at a time, on its value; after Close calls fail with the closed error and free
// has run once; a failed load frees too and is reported.
func TestLoop(t *testing.T) {
	tests := []struct {
		name    string
		loadErr error
	}{{"loads", nil}, {"load fails", errors.New("no such file")}}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			l := New[*[]int](errClosed)
			state := &[]int{}
			freed := 0
			ready := make(chan error, 1)
			go l.Serve(state, func() error { return tt.loadErr }, func() { freed++ }, ready)
			if err := <-ready; !errors.Is(err, tt.loadErr) {
				t.Fatalf("ready: %v, want %v", err, tt.loadErr)
			}
			if tt.loadErr == nil {
				for i := range 3 {
					if err := l.Do(context.Background(), func(s *[]int) error { *s = append(*s, i); return nil }); err != nil {
						t.Fatal(err)
					}
				}
				want := errors.New("job failed")
				if err := l.Do(context.Background(), func(*[]int) error { return want }); err != want {
					t.Errorf("Do returned %v, want the job's error", err)
				}
				ctx, cancel := context.WithCancel(context.Background())
				cancel()
				// While the owner is busy, a caller whose context ends is not left waiting.
				started, block := make(chan struct{}), make(chan struct{})
				go l.Do(context.Background(), func(*[]int) error { close(started); <-block; return nil })
				<-started
				if err := l.Do(ctx, func(*[]int) error { return nil }); !errors.Is(err, context.Canceled) {
					t.Errorf("cancelled Do: %v, want context.Canceled", err)
				}
				close(block)
			}
			l.Close()
			l.Close() // twice is fine
			if freed != 1 {
				t.Errorf("free ran %d times, want 1", freed)
			}
			if err := l.Do(context.Background(), func(*[]int) error { return nil }); err != errClosed {
				t.Errorf("Do after Close: %v, want the closed error", err)
			}
			if tt.loadErr == nil && len(*state) != 3 {
				t.Errorf("jobs saw %v", *state)
			}
		})
	}
}
