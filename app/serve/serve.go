// Package serve is Verbatim's local transcription server: it speaks OpenAI's audio API
// (/v1/audio/transcriptions, /v1/audio/translations, /v1/models) so that any client of that API uses
// Verbatim's offline models. One goroutine owns the model and hears one utterance at a time; a bounded
// queue stands in front of it, and requests beyond it get 429 at once instead of waiting unboundedly.
package serve

import (
	"context"
	"crypto/subtle"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/verbatim-app/verbatim/app/speech"
)

// Backend is a loaded model ready to hear.
type Backend struct {
	Model speech.Model
	Name  string   // what /v1/models and responses call it
	Tasks []string // the tasks a model was trained for ("transcribe", "translate:es"); nil: free instructions
	Close func()
}

// Config says how the server behaves. Zero fields take the defaults below.
type Config struct {
	Token           string        // bearer token clients must send; "" accepts any client (loopback only)
	MaxBytes        int64         // largest request body
	MaxDuration     time.Duration // longest audio accepted
	Queue           int           // requests admitted beyond the one the model is hearing
	ShutdownTimeout time.Duration // how long running requests may finish after shutdown begins
	// Load loads the model; it runs in the background while the server already answers (503 until it returns).
	Load func(ctx context.Context) (Backend, error)
	// Models lists the models Verbatim finds, for /v1/models (the loaded one is always listed first).
	Models func(ctx context.Context) []string
	Log    *slog.Logger
}

// Defaults, sized for a desktop: OpenAI's own upload limit, an hour of audio, a few waiting requests.
const (
	DefaultAddr            = "127.0.0.1:8177"
	DefaultMaxBytes        = 25 << 20
	DefaultMaxDuration     = time.Hour
	DefaultQueue           = 4
	DefaultShutdownTimeout = 10 * time.Second
)

// ErrNeedToken is returned for a non-loopback address without a token.
var ErrNeedToken = errors.New("a non-loopback address needs a bearer token (--token-file): anyone on the network could otherwise use this machine's model")

// CheckAddr refuses an address that other machines can reach unless a token guards it. Host names other
// than localhost count as reachable, since what they resolve to can change.
func CheckAddr(addr string, haveToken bool) error {
	host, _, err := net.SplitHostPort(addr)
	if err != nil {
		return fmt.Errorf("address %q: %w", addr, err)
	}
	if haveToken || IsLoopback(host) {
		return nil
	}
	return fmt.Errorf("address %q: %w", addr, ErrNeedToken)
}

// IsLoopback reports whether host names only this machine.
func IsLoopback(host string) bool {
	if strings.EqualFold(host, "localhost") {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

// Server answers the OpenAI audio API. Create it with New and run it with Serve.
type Server struct {
	cfg   Config
	log   *slog.Logger
	slots chan struct{} // admission: one per request admitted (queued or running)
	jobs  chan *job     // to the model owner
	// ownerDone closes when the model owner has stopped: no queued job will be finished after it.
	ownerDone chan struct{}

	mu      sync.Mutex
	backend *Backend // nil while loading
	loadErr error

	served atomic.Int64
}

// New checks cfg and fills in defaults.
func New(cfg Config) (*Server, error) {
	if cfg.Load == nil {
		return nil, errors.New("serve: Config.Load is required")
	}
	if cfg.MaxBytes <= 0 {
		cfg.MaxBytes = DefaultMaxBytes
	}
	if cfg.MaxDuration <= 0 {
		cfg.MaxDuration = DefaultMaxDuration
	}
	if cfg.Queue < 0 {
		return nil, fmt.Errorf("serve: queue %d: want 0 or more", cfg.Queue)
	}
	if cfg.ShutdownTimeout <= 0 {
		cfg.ShutdownTimeout = DefaultShutdownTimeout
	}
	if cfg.Log == nil {
		cfg.Log = slog.Default()
	}
	return &Server{cfg: cfg, log: cfg.Log, slots: make(chan struct{}, cfg.Queue+1), jobs: make(chan *job, cfg.Queue+1),
		ownerDone: make(chan struct{})}, nil
}

// Serve answers on ln until ctx ends or the model fails to load. On ctx's end it stops accepting, lets
// running requests finish for up to ShutdownTimeout, then cancels them, and returns within about that bound.
func (s *Server) Serve(ctx context.Context, ln net.Listener) error {
	// Requests' contexts derive from reqCtx, so cancelling it stops their model work after the grace period.
	reqCtx, cancelReqs := context.WithCancel(context.WithoutCancel(ctx))
	defer cancelReqs()
	hs := &http.Server{
		Handler:           s.Handler(),
		ReadHeaderTimeout: 10 * time.Second,
		BaseContext:       func(net.Listener) context.Context { return reqCtx },
		ErrorLog:          slog.NewLogLogger(s.log.Handler(), slog.LevelDebug),
	}
	loadCtx, cancelLoad := context.WithCancel(ctx)
	defer cancelLoad()
	loadFailed := make(chan error, 1)
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		defer close(s.ownerDone)
		s.own(loadCtx, reqCtx, loadFailed)
	}()
	served := make(chan error, 1)
	go func() { served <- hs.Serve(ln) }()

	var err error
	select {
	case <-ctx.Done():
	case err = <-loadFailed:
	case err = <-served:
		err = fmt.Errorf("serve: %w", err)
	}
	shutCtx, cancelShut := context.WithTimeout(context.WithoutCancel(ctx), s.cfg.ShutdownTimeout)
	defer cancelShut()
	if serr := hs.Shutdown(shutCtx); serr != nil {
		s.log.Warn("requests still running at the shutdown bound; cancelling them", "bound", s.cfg.ShutdownTimeout)
		cancelReqs()
		// Cancelled handlers answer with an error within moments; then whatever is left is cut off.
		cutCtx, cancelCut := context.WithTimeout(context.WithoutCancel(ctx), time.Second)
		if hs.Shutdown(cutCtx) != nil {
			hs.Close()
		}
		cancelCut()
	}
	cancelLoad()
	cancelReqs()
	wg.Wait()
	return err
}

// own loads the model, then hears queued jobs one at a time until stop ends; it closes the model last.
func (s *Server) own(loadCtx, stop context.Context, failed chan<- error) {
	start := time.Now()
	b, err := s.cfg.Load(loadCtx)
	if err == nil && b.Model == nil {
		err = errors.New("serve: Load returned no model")
	}
	if err != nil {
		s.mu.Lock()
		s.loadErr = err
		s.mu.Unlock()
		failed <- fmt.Errorf("load model: %w", err)
		return
	}
	if b.Close != nil {
		defer b.Close()
	}
	s.mu.Lock()
	s.backend = &b
	s.mu.Unlock()
	s.log.Info("model loaded", "model", b.Name, "took", time.Since(start).Round(time.Millisecond))
	for {
		select {
		case <-stop.Done():
			// Jobs still queued are refused so their handlers answer instead of waiting for a gone owner.
			for {
				select {
				case j := <-s.jobs:
					j.finish(nil, stop.Err())
				default:
					return
				}
			}
		case j := <-s.jobs:
			s.hear(j, b)
		}
	}
}

// ready returns the loaded backend, or nil while loading.
func (s *Server) ready() (*Backend, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.backend, s.loadErr
}

// Handler routes the API. Everything under /v1/ needs the token when one is set; /health never does,
// so that a supervisor can probe it.
func (s *Server) Handler() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /health", s.health)
	mux.HandleFunc("GET /v1/models", s.auth(s.models))
	mux.HandleFunc("POST /v1/audio/transcriptions", s.auth(func(w http.ResponseWriter, r *http.Request) { s.audio(w, r, false) }))
	mux.HandleFunc("POST /v1/audio/translations", s.auth(func(w http.ResponseWriter, r *http.Request) { s.audio(w, r, true) }))
	mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		writeError(w, &apiError{Status: http.StatusNotFound, Type: "invalid_request_error", Code: "not_found",
			Message: fmt.Sprintf("no route %s %s (this server has /v1/audio/transcriptions, /v1/audio/translations, /v1/models, /health)", r.Method, r.URL.Path)})
	})
	return s.logged(mux)
}

func (s *Server) logged(h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		start := time.Now()
		sw := &statusWriter{ResponseWriter: w, status: http.StatusOK}
		h.ServeHTTP(sw, r)
		s.log.Info("request", "method", r.Method, "path", r.URL.Path, "status", sw.status, "took", time.Since(start).Round(time.Millisecond))
	})
}

// statusWriter records the status for the log; it passes Flush on, which streaming needs.
type statusWriter struct {
	http.ResponseWriter
	status int
}

func (w *statusWriter) WriteHeader(code int) { w.status = code; w.ResponseWriter.WriteHeader(code) }
func (w *statusWriter) Flush() {
	if f, ok := w.ResponseWriter.(http.Flusher); ok {
		f.Flush()
	}
}
func (w *statusWriter) Unwrap() http.ResponseWriter { return w.ResponseWriter }

func (s *Server) auth(h http.HandlerFunc) http.HandlerFunc {
	if s.cfg.Token == "" {
		return h
	}
	want := []byte("Bearer " + s.cfg.Token)
	return func(w http.ResponseWriter, r *http.Request) {
		if subtle.ConstantTimeCompare([]byte(r.Header.Get("Authorization")), want) != 1 {
			w.Header().Set("WWW-Authenticate", `Bearer realm="verbatim"`)
			writeError(w, &apiError{Status: http.StatusUnauthorized, Type: "invalid_request_error", Code: "invalid_api_key",
				Message: "missing or wrong bearer token: send Authorization: Bearer <the token in --token-file>"})
			return
		}
		h(w, r)
	}
}

func (s *Server) health(w http.ResponseWriter, r *http.Request) {
	b, err := s.ready()
	out := struct {
		Status string `json:"status"`
		Model  string `json:"model,omitempty"`
		Busy   int    `json:"busy"`  // requests admitted: queued or being heard
		Queue  int    `json:"queue"` // how many may be admitted at once
		Served int64  `json:"served"`
		Error  string `json:"error,omitempty"`
	}{Status: "ok", Busy: len(s.slots), Queue: cap(s.slots), Served: s.served.Load()}
	status := http.StatusOK
	switch {
	case err != nil:
		out.Status, out.Error, status = "error", err.Error(), http.StatusServiceUnavailable
	case b == nil:
		out.Status, status = "loading", http.StatusServiceUnavailable
	default:
		out.Model = b.Name
	}
	writeJSON(w, status, out)
}

func (s *Server) models(w http.ResponseWriter, r *http.Request) {
	type model struct {
		ID      string `json:"id"`
		Object  string `json:"object"`
		Created int64  `json:"created"`
		OwnedBy string `json:"owned_by"`
	}
	out := struct {
		Object string  `json:"object"`
		Data   []model `json:"data"`
	}{Object: "list", Data: []model{}}
	seen := map[string]bool{}
	add := func(id string) {
		if id != "" && !seen[id] {
			seen[id] = true
			out.Data = append(out.Data, model{ID: id, Object: "model", OwnedBy: "verbatim"})
		}
	}
	if b, _ := s.ready(); b != nil {
		add(b.Name)
	}
	if s.cfg.Models != nil {
		for _, m := range s.cfg.Models(r.Context()) {
			add(m)
		}
	}
	writeJSON(w, http.StatusOK, out)
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}
