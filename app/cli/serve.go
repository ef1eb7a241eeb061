package cli

import (
	"context"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/verbatim-app/verbatim/app/models"
	"github.com/verbatim-app/verbatim/app/serve"
	"github.com/verbatim-app/verbatim/app/speech"
	"github.com/verbatim-app/verbatim/assets"
	"github.com/verbatim-app/verbatim/inference/gguf"
)

func runServe(ctx context.Context, env Env, args []string) error {
	fs := newFlags(env, "serve", "")
	var mf modelFlags
	mf.register(fs)
	addr := fs.String("addr", serve.DefaultAddr, "address to listen on (host:port); other than loopback needs --token-file")
	tokenFile := fs.String("token-file", "", "file holding the bearer token clients must send (required off loopback)")
	maxBytes := fs.Int64("max-bytes", serve.DefaultMaxBytes, "largest request body in bytes")
	maxDur := fs.Duration("max-duration", serve.DefaultMaxDuration, "longest audio accepted")
	queue := fs.Int("queue", serve.DefaultQueue, "requests that may wait while the model hears another (more get 429)")
	grace := fs.Duration("shutdown-timeout", serve.DefaultShutdownTimeout, "on SIGTERM, how long running requests may finish before they are cancelled")
	if err := parse(fs, args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return fmt.Errorf("unexpected argument %q: %w", fs.Arg(0), ErrUsage)
	}
	if *queue < 0 || *maxBytes <= 0 || *maxDur <= 0 || *grace <= 0 {
		return fmt.Errorf("--queue, --max-bytes, --max-duration and --shutdown-timeout must be positive (--queue may be 0): %w", ErrUsage)
	}
	token := ""
	if *tokenFile != "" {
		b, err := os.ReadFile(*tokenFile)
		if err != nil {
			return fmt.Errorf("--token-file: %w", err)
		}
		if token = strings.TrimSpace(string(b)); token == "" {
			return fmt.Errorf("--token-file %s is empty", *tokenFile)
		}
	}
	if err := serve.CheckAddr(*addr, token != ""); err != nil {
		return fmt.Errorf("--addr: %v: %w", err, ErrUsage)
	}
	cfg, err := mf.resolve(env)
	if err != nil {
		return err
	}
	srv, err := serve.New(serve.Config{
		Token: token, MaxBytes: *maxBytes, MaxDuration: *maxDur, Queue: *queue, ShutdownTimeout: *grace, Log: env.Log,
		Load:   func(ctx context.Context) (serve.Backend, error) { return backend(ctx, env, cfg) },
		Models: func(ctx context.Context) []string { return hearingModels(ctx, env) },
	})
	if err != nil {
		return err
	}
	ln, err := net.Listen("tcp", *addr)
	if err != nil {
		return fmt.Errorf("listen: %w", err)
	}
	fmt.Fprintf(env.Stderr, "verbatim serve: OpenAI audio API on http://%s/v1 (model %s loading; Ctrl+C stops)\n", ln.Addr(), modelName(cfg.Model))
	err = srv.Serve(ctx, ln)
	if err == nil && ctx.Err() != nil {
		fmt.Fprintln(env.Stderr, "verbatim serve: stopped")
	}
	return err
}

// backend loads the resolved model the way transcribe does, for the server's model owner.
func backend(ctx context.Context, env Env, cfg speech.LoadConfig) (serve.Backend, error) {
	start := time.Now()
	l, err := env.Engines.Load(ctx, cfg)
	if err != nil {
		return serve.Backend{}, err
	}
	name := modelName(cfg.Model)
	fmt.Fprintf(env.Stderr, "verbatim serve: %s ready (%s)\n", name, time.Since(start).Round(time.Millisecond))
	return serve.Backend{Model: l, Name: name, Tasks: l.Tasks, Close: func() { l.Close(context.Background()) }}, nil
}

func modelName(path string) string { return strings.TrimSuffix(filepath.Base(path), ".gguf") }

// hearingModels is what `verbatim models` finds, limited to the models that can hear.
func hearingModels(ctx context.Context, env Env) []string {
	loc := models.DefaultLocations()
	if assets.HasDemo() {
		loc.Extra = append(loc.Extra, models.Entry{Name: modelName(assets.DemoModel), Path: filepath.Join(env.CacheDir, "models", assets.DemoModel),
			Source: "bundled", CanHear: true})
	}
	var out []string
	for _, e := range models.Discover(ctx, loc) {
		// Projectors can hear too, but a client names the language model.
		isModel := e.Source == "bundled" || e.Err == nil && e.Info.Kind == gguf.KindText
		if e.CanHear && isModel {
			out = append(out, modelName(e.Name))
		}
	}
	return out
}
