package desktop

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"time"

	"github.com/verbatim-app/verbatim/app/serve"
	"github.com/verbatim-app/verbatim/app/speech"
)

// Server runs the local OpenAI-compatible API (app/serve, as `verbatim serve` does) from the window, over
// the model the window has loaded: the catalog is the server's model, so a model switched in the window is
// the one requests hear, and one utterance at a time holds for both (the catalog's lease).
type Server struct {
	cat *Catalog
	log *slog.Logger

	run  lifecycle
	addr string // of the run on; guarded by run.mu
}

// NewServer returns a stopped server over cat.
func NewServer(cat *Catalog, log *slog.Logger) *Server {
	if log == nil {
		log = slog.Default()
	}
	return &Server{cat: cat, log: log}
}

// Start listens on addr (serve.DefaultAddr when ""), loopback only: the window has no token setting, and
// an address others can reach needs one (use `verbatim serve --token-file` for that). It returns the base
// URL clients use. Starting a running server returns its URL.
func (s *Server) Start(addr string) (string, error) {
	s.run.mu.Lock()
	defer s.run.mu.Unlock()
	if s.run.running() {
		return s.url(), nil
	}
	if addr == "" {
		addr = serve.DefaultAddr
	}
	if err := serve.CheckAddr(addr, false); err != nil {
		return "", err
	}
	srv, err := serve.New(serve.Config{
		Log: s.log,
		// A person switching it off waits for a transcription in progress only briefly.
		ShutdownTimeout: 2 * time.Second,
		// The server answers 503 "loading" until the window has a model, as `verbatim serve` does while
		// its own loads.
		Load: func(ctx context.Context) (serve.Backend, error) {
			for s.cat.Model() == nil {
				select {
				case <-ctx.Done():
					return serve.Backend{}, ctx.Err()
				case <-time.After(100 * time.Millisecond):
				}
			}
			return serve.Backend{Model: catalogModel{s.cat}, Name: s.cat.Current().Name}, nil
		},
	})
	if err != nil {
		return "", err
	}
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return "", fmt.Errorf("local server: %w", err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := s.run.begin(cancel)
	s.addr = ln.Addr().String()
	go func() {
		defer close(done)
		if err := srv.Serve(ctx, ln); err != nil {
			s.log.Warn("local server stopped", "err", err)
		}
		s.run.ended(done)
		cancel()
	}()
	return s.url(), nil
}

func (s *Server) url() string { return "http://" + s.addr + "/v1" }

// Stop stops the server: running requests may finish until ctx ends, then they are cancelled.
func (s *Server) Stop(ctx context.Context) error { return s.run.stop(ctx, "local server") }

// catalogModel is the catalog as the server's model: with no model loaded, requests get a 503.
type catalogModel struct{ *Catalog }

func (m catalogModel) StartUtterance(ctx context.Context) (speech.Utterance, error) {
	u, err := m.Catalog.StartUtterance(ctx)
	if errors.Is(err, ErrNoModel) {
		err = fmt.Errorf("%w: %w", serve.ErrUnavailable, err)
	}
	return u, err
}
