package capture

import "sync/atomic"

// ring is a single-producer single-consumer byte ring. The producer is the audio callback, which must
// never block or allocate: write either copies a whole callback buffer or drops it and counts the drop,
// using only atomic loads and stores. The consumer is the stream's goroutine.
type ring struct {
	buf  []byte
	mask uint64
	w    atomic.Uint64 // total bytes written (producer-owned)
	r    atomic.Uint64 // total bytes read (consumer-owned)
}

func newRing(minBytes int) *ring {
	n := 1
	for n < minBytes {
		n <<= 1
	}
	return &ring{buf: make([]byte, n), mask: uint64(n - 1)}
}

// write copies all of p or nothing; it reports whether p fit.
func (q *ring) write(p []byte) bool {
	w, r := q.w.Load(), q.r.Load()
	if uint64(len(p)) > uint64(len(q.buf))-(w-r) {
		return false
	}
	i := w & q.mask
	n := copy(q.buf[i:], p)
	copy(q.buf, p[n:])
	q.w.Store(w + uint64(len(p)))
	return true
}

// available is the number of unread bytes.
func (q *ring) available() int { return int(q.w.Load() - q.r.Load()) }

// read copies up to len(p) unread bytes into p.
func (q *ring) read(p []byte) int {
	w, r := q.w.Load(), q.r.Load()
	n := min(uint64(len(p)), w-r)
	i := r & q.mask
	k := copy(p[:n], q.buf[i:])
	copy(p[k:n], q.buf)
	q.r.Store(r + n)
	return int(n)
}
