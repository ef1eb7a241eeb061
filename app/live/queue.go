package live

import (
	"sync"

	"github.com/verbatim-app/verbatim/app/segment"
)

// queue is an unbounded FIFO between the reader and the worker: pushing never blocks, so the capture
// consumer never waits on the model however far behind it falls.
type queue struct {
	mu     sync.Mutex
	items  []item
	closed bool
	wake   chan struct{} // one pending wake-up
}

func newQueue() *queue { return &queue{wake: make(chan struct{}, 1)} }

func (q *queue) push(it item) {
	q.mu.Lock()
	q.items = append(q.items, it)
	q.mu.Unlock()
	q.signal()
}

func (q *queue) close() {
	q.mu.Lock()
	q.closed = true
	q.mu.Unlock()
	q.signal()
}

func (q *queue) signal() {
	select {
	case q.wake <- struct{}{}:
	default:
	}
}

// pop waits for the next item; false once the queue is closed and empty.
func (q *queue) pop() (item, bool) {
	for {
		q.mu.Lock()
		if len(q.items) > 0 {
			it := q.items[0]
			q.items[0] = item{}
			q.items = q.items[1:]
			q.mu.Unlock()
			return it, true
		}
		closed := q.closed
		q.mu.Unlock()
		if closed {
			return item{}, false
		}
		<-q.wake
	}
}

// peekSpeech takes the next item if it is a Speech event.
func (q *queue) peekSpeech() (segment.Speech, bool) {
	q.mu.Lock()
	defer q.mu.Unlock()
	if len(q.items) == 0 {
		return segment.Speech{}, false
	}
	s, ok := q.items[0].ev.(segment.Speech)
	if ok {
		q.items[0] = item{}
		q.items = q.items[1:]
	}
	return s, ok
}

func (q *queue) len() int {
	q.mu.Lock()
	defer q.mu.Unlock()
	return len(q.items)
}

// mailbox forwards events to the caller's channel in order without ever blocking the sender.
type mailbox struct {
	ch     chan Event
	mu     sync.Mutex
	items  []Event
	closed bool
	wake   chan struct{}
}

// levelBacklog is how many undelivered events make level events be dropped instead of queued.
const levelBacklog = 8

func newMailbox() *mailbox {
	m := &mailbox{ch: make(chan Event), wake: make(chan struct{}, 1)}
	go m.forward()
	return m
}

func (m *mailbox) push(e Event) { m.add(e, false) }

// pushDroppable queues e unless the reader is behind (a meter need not show stale levels).
func (m *mailbox) pushDroppable(e Event) { m.add(e, true) }

func (m *mailbox) add(e Event, droppable bool) {
	m.mu.Lock()
	if m.closed || (droppable && len(m.items) >= levelBacklog) {
		m.mu.Unlock()
		return
	}
	m.items = append(m.items, e)
	m.mu.Unlock()
	select {
	case m.wake <- struct{}{}:
	default:
	}
}

// close makes the channel close after the events already pushed.
func (m *mailbox) close() {
	m.mu.Lock()
	m.closed = true
	m.mu.Unlock()
	select {
	case m.wake <- struct{}{}:
	default:
	}
}

func (m *mailbox) forward() {
	defer close(m.ch)
	for {
		m.mu.Lock()
		if len(m.items) == 0 {
			closed := m.closed
			m.mu.Unlock()
			if closed {
				return
			}
			<-m.wake
			continue
		}
		e := m.items[0]
		m.items[0] = Event{}
		m.items = m.items[1:]
		m.mu.Unlock()
		m.ch <- e
	}
}
