package desktop

import (
	"context"
	"log/slog"
	"sync"

	"github.com/verbatim-app/verbatim/app/batch"
	"github.com/verbatim-app/verbatim/app/history"
	"github.com/verbatim-app/verbatim/app/speech"
	"github.com/verbatim-app/verbatim/app/transcript"
)

// FileIndexer keeps what the queue transcribed findable (*History).
type FileIndexer interface {
	IndexFile(ctx context.Context, f history.FileEntry, segs []transcript.Segment) (history.Entry, error)
}

// BatchEvent reports on one file of a Run.
type BatchEvent struct {
	Path     string
	Progress float64 // 0..1
	Output   string  // the path written, when done
	Err      error   // when failed; context.Canceled when cancelled
}

// Queue transcribes files one at a time, in the order they were queued, with the model that is loaded
// when each file starts.
type Queue struct {
	model func() speech.Model

	mu      sync.Mutex
	hist    FileIndexer // nil: transcripts are not added to the history
	pending []*job
	running *job
	wake    chan struct{}
	quit    chan struct{}
	done    chan struct{}
	closed  bool
}

type job struct {
	path   string
	opt    batch.Options
	ctx    context.Context
	cancel context.CancelFunc
	run    *queuedRun
}

// queuedRun is one call of Run: its channel closes when its last file is done.
type queuedRun struct {
	ch   chan BatchEvent
	left int // files not yet done; guarded by Queue.mu
}

// NewQueue starts a queue that hears through model (nil from model: no model loaded).
func NewQueue(model func() speech.Model) *Queue {
	q := &Queue{model: model, wake: make(chan struct{}, 1), quit: make(chan struct{}), done: make(chan struct{})}
	go q.work()
	return q
}

// IndexInto adds every transcript the queue writes from now on to h, as the command line's transcribe
// does; a failure to index is logged and never fails the file.
func (q *Queue) IndexInto(h FileIndexer) {
	q.mu.Lock()
	q.hist = h
	q.mu.Unlock()
}

// Run queues files (behind those queued earlier) and reports on each until all are done; then the
// channel closes. Cancelling ctx cancels this Run's files. One file's failure does not stop the
// others.
func (q *Queue) Run(ctx context.Context, paths []string, opt batch.Options) <-chan BatchEvent {
	r := &queuedRun{ch: make(chan BatchEvent, len(paths)+16), left: len(paths)}
	q.mu.Lock()
	defer q.mu.Unlock()
	if len(paths) == 0 || q.closed {
		for _, p := range paths {
			r.ch <- BatchEvent{Path: p, Err: context.Canceled}
		}
		close(r.ch)
		return r.ch
	}
	for _, p := range paths {
		jctx, cancel := context.WithCancel(ctx)
		q.pending = append(q.pending, &job{path: p, opt: opt, ctx: jctx, cancel: cancel, run: r})
	}
	select {
	case q.wake <- struct{}{}:
	default:
	}
	return r.ch
}

// Cancel cancels the queued or running files with this path; their Runs report context.Canceled.
func (q *Queue) Cancel(path string) {
	q.mu.Lock()
	defer q.mu.Unlock()
	if q.running != nil && q.running.path == path {
		q.running.cancel()
	}
	for _, j := range q.pending {
		if j.path == path {
			j.cancel()
		}
	}
}

// Close cancels everything queued or running and waits for the worker to stop.
func (q *Queue) Close() {
	q.mu.Lock()
	if q.closed {
		q.mu.Unlock()
		<-q.done
		return
	}
	q.closed = true
	if q.running != nil {
		q.running.cancel()
	}
	for _, j := range q.pending {
		j.cancel()
	}
	q.mu.Unlock()
	close(q.quit)
	<-q.done
}

func (q *Queue) work() {
	defer close(q.done)
	for {
		q.mu.Lock()
		if len(q.pending) == 0 {
			closed := q.closed
			q.mu.Unlock()
			if closed {
				return
			}
			select {
			case <-q.wake:
			case <-q.quit:
			}
			continue
		}
		j := q.pending[0]
		q.pending = q.pending[1:]
		q.running = j
		q.mu.Unlock()

		out, err := q.file(j)
		j.cancel()
		q.mu.Lock()
		q.running = nil
		j.run.left--
		last := j.run.left == 0
		q.mu.Unlock()
		q.send(j.run, BatchEvent{Path: j.path, Progress: 1, Output: out, Err: err})
		if last {
			close(j.run.ch)
		}
	}
}

// file transcribes one file and writes its output.
func (q *Queue) file(j *job) (string, error) {
	if j.ctx.Err() != nil {
		return "", context.Canceled
	}
	m := q.model()
	if m == nil {
		return "", ErrNoModel
	}
	last := -1
	q.send(j.run, BatchEvent{Path: j.path})
	// A damaged file still gets what was heard before the damage, and the row shows the damage; an
	// existing file is never replaced (the result goes to the first free name beside it, talk-2.txt).
	out, segs, err := batch.Transcribe(j.ctx, m, j.path, j.opt, func(p float64) {
		if pct := int(p * 100); pct != last && pct < 100 {
			last = pct
			q.send(j.run, BatchEvent{Path: j.path, Progress: p})
		}
	})
	if j.ctx.Err() != nil {
		return "", context.Canceled
	}
	if out == "" {
		return "", err
	}
	q.mu.Lock()
	hist := q.hist
	q.mu.Unlock()
	if hist != nil {
		if _, ierr := hist.IndexFile(j.ctx, history.FileEntry{Source: j.path, Output: out}, segs); ierr != nil {
			slog.Warn("history: the transcript is written but not added to the history", "file", out, "err", ierr)
		}
	}
	return out, err
}

// send delivers ev unless the queue is closing and nobody reads any more.
func (q *Queue) send(r *queuedRun, ev BatchEvent) {
	select {
	case r.ch <- ev:
	case <-q.quit:
		// Closing: a reader may still be there, so try once more without waiting.
		select {
		case r.ch <- ev:
		default:
		}
	}
}
