// Package hftest is a stand-in for Hugging Face in tests: it serves files at
// /{repo}/resolve/{revision}/{file} the way huggingface.co does for LFS files (a 302 to a "CDN" path,
// with X-Linked-Size, X-Linked-ETag and ETag), and the CDN answers Range requests with 206. Faults are
// switched on per file: a wrong hash, a connection that drops, a server that ignores Range.
package hftest

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync"
	"time"
)

// File is one file the server holds.
type File struct {
	Data []byte
	// Published is the sha256 the server announces; "" announces the data's own.
	Published string
	// DropAfter closes the connection after this many bytes of a response (0: never), once.
	DropAfter int
	// IgnoreRange answers every request with 200 and the whole file.
	IgnoreRange bool
	// Throttle sleeps this long per 64 KiB sent, so that a test (or a person) can pause mid-file.
	Throttle time.Duration
}

// Server is a running fake Hugging Face.
type Server struct {
	*httptest.Server
	mu       sync.Mutex
	files    map[string]*File // by "repo/revision/file"
	ranges   []string         // the Range headers the CDN saw, in order
	requests int
}

// New starts a server holding files, keyed "owner/repo/revision/file".
func New(files map[string]*File) *Server {
	s := &Server{files: files}
	s.Server = httptest.NewServer(http.HandlerFunc(s.serve))
	return s
}

// Synthetic is n bytes of deterministic data that is not all one value.
func Synthetic(n int, seed byte) []byte {
	b := make([]byte, n)
	x := uint32(seed) + 1
	for i := range b {
		x = x*1664525 + 1013904223
		b[i] = byte(x >> 24)
	}
	return b
}

// Hash is the lowercase hex sha256 of b.
func Hash(b []byte) string {
	h := sha256.Sum256(b)
	return hex.EncodeToString(h[:])
}

// Ranges are the Range headers of the GET requests the CDN had ("" for none), in order.
func (s *Server) Ranges() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]string(nil), s.ranges...)
}

// Requests counts the requests to resolve URLs.
func (s *Server) Requests() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.requests
}

func (s *Server) file(key string) *File {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.files[key]
}

func (s *Server) serve(w http.ResponseWriter, r *http.Request) {
	if key, ok := strings.CutPrefix(r.URL.Path, "/cdn/"); ok {
		s.cdn(w, r, key)
		return
	}
	// /{owner}/{repo}/resolve/{revision}/{file...}
	parts := strings.SplitN(strings.TrimPrefix(r.URL.Path, "/"), "/", 5)
	if len(parts) < 5 || parts[2] != "resolve" {
		http.NotFound(w, r)
		return
	}
	key := parts[0] + "/" + parts[1] + "/" + parts[3] + "/" + parts[4]
	f := s.file(key)
	s.mu.Lock()
	s.requests++
	s.mu.Unlock()
	if f == nil {
		w.Header().Set("X-Error-Code", "EntryNotFound")
		http.Error(w, "Entry not found", http.StatusNotFound)
		return
	}
	hash := f.Published
	if hash == "" {
		hash = Hash(f.Data)
	}
	h := w.Header()
	h.Set("X-Linked-Size", strconv.Itoa(len(f.Data)))
	h.Set("X-Linked-ETag", `"`+hash+`"`)
	h.Set("ETag", `W/"`+hash[:40]+`"`) // the git blob's, which is no sha256
	h.Set("X-Repo-Commit", strings.Repeat("0", 40))
	h.Set("Location", "/cdn/"+key)
	w.WriteHeader(http.StatusFound)
}

func (s *Server) cdn(w http.ResponseWriter, r *http.Request, key string) {
	f := s.file(key)
	if f == nil {
		http.NotFound(w, r)
		return
	}
	s.mu.Lock()
	if r.Method == http.MethodGet {
		s.ranges = append(s.ranges, r.Header.Get("Range"))
	}
	drop := f.DropAfter
	f.DropAfter = 0
	s.mu.Unlock()
	if f.IgnoreRange {
		r.Header.Del("Range")
	}
	w.Header().Set("Accept-Ranges", "bytes")
	w.Header().Set("ETag", `"`+fmt.Sprintf("%x", len(f.Data))+`-cdn"`) // a CDN's own, no sha256
	w.Header().Set("Content-Type", "application/octet-stream")
	out := http.ResponseWriter(w)
	if drop > 0 || f.Throttle > 0 {
		out = &limited{ResponseWriter: w, left: drop, throttle: f.Throttle}
	}
	http.ServeContent(out, r, "", time.Time{}, bytes.NewReader(f.Data))
}

// limited passes bytes on until its budget is spent, then closes the connection under the response.
type limited struct {
	http.ResponseWriter
	left     int // 0: no limit
	throttle time.Duration
}

func (l *limited) Write(b []byte) (int, error) {
	written := 0
	for len(b) > 0 {
		n := min(len(b), 64<<10)
		if l.left > 0 && n >= l.left {
			n = l.left
		}
		m, err := l.ResponseWriter.Write(b[:n])
		written += m
		if err != nil {
			return written, err
		}
		b = b[n:]
		if l.left > 0 {
			if l.left -= n; l.left == 0 {
				l.ResponseWriter.(http.Flusher).Flush()
				if conn, _, err := http.NewResponseController(l.ResponseWriter).Hijack(); err == nil {
					conn.Close()
				}
				return written, http.ErrAbortHandler
			}
		}
		if l.throttle > 0 {
			l.ResponseWriter.(http.Flusher).Flush()
			time.Sleep(l.throttle)
		}
	}
	return written, nil
}
