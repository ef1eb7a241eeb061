// Command verbatim opens Verbatim's window, or runs a subcommand headless (see 'verbatim help').
package main

import (
	"context"
	"log/slog"
	"os"
	"os/signal"
	"syscall"

	"github.com/verbatim-app/verbatim/app/cli"
	_ "github.com/verbatim-app/verbatim/cmd/verbatim/internal/clocale" // before Fyne reads the locale
)

func main() {
	// Library chatter (ggml's feature list, llama.cpp's loader) stays out of the way unless asked for.
	level := slog.LevelWarn
	if os.Getenv("VERBATIM_DEBUG") != "" {
		level = slog.LevelDebug
	}
	slog.SetDefault(slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: level})))
	args := os.Args[1:]
	if cli.IsCommand(args) {
		ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
		code := cli.Run(ctx, cli.DefaultEnv(), args)
		stop()
		os.Exit(code)
	}
	os.Exit(runWindow())
}
