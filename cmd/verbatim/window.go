package main

import (
	"context"
	"log/slog"
	"os"
	"os/signal"
	"path/filepath"
	"syscall"
	"time"

	"fyne.io/fyne/v2"
	fyneapp "fyne.io/fyne/v2/app"

	"github.com/verbatim-app/verbatim/app/desktop"
	"github.com/verbatim-app/verbatim/app/history"
	"github.com/verbatim-app/verbatim/app/models"
	"github.com/verbatim-app/verbatim/app/models/download"
	"github.com/verbatim-app/verbatim/app/session"
	"github.com/verbatim-app/verbatim/app/speech"
	"github.com/verbatim-app/verbatim/capture"
	"github.com/verbatim-app/verbatim/ui"
	"github.com/verbatim-app/verbatim/ui/x11"
)

// runWindow opens the desktop window over the engines, the microphone and the speakers (which play a
// line's audio back); only this package may import fyne's app package. It only composes: it builds
// app/desktop's services and hands them to the window as they are.
func runWindow(engines speech.Engines, mic capture.Microphone, speakers capture.Speakers) int {
	log := slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelWarn}))
	slog.SetDefault(log)
	cache, err := os.UserCacheDir()
	if err != nil {
		cache = os.TempDir()
	}
	// The same folder the command line unpacks the bundled models into.
	cat := desktop.NewCatalog(filepath.Join(cache, "verbatim", "models"), models.DefaultLocations(), log, engines)
	queue := desktop.NewQueue(cat.Model)
	root, err := session.DefaultRoot()
	if err != nil {
		log.Warn("sessions are not recorded", "err", err)
		root = ""
	}
	rec := desktop.NewRecorder(cat.Model, mic, root)
	server := desktop.NewServer(cat, log)
	// xgb logs every X connection's authority fallback on stderr; once per process, before connecting.
	x11.RouteLogs(log)
	dict := desktop.NewDictation(cat, mic, log)
	trayCtx, trayCancel := context.WithTimeout(context.Background(), 2*time.Second)
	tray := desktop.TrayHost(trayCtx, "")
	trayCancel()

	player := desktop.NewPlayer(speakers)
	deps := ui.Deps{
		Recorder:         rec,
		Batch:            queue,
		Models:           cat,
		Server:           server,
		Dictation:        dict,
		DictationSupport: desktop.SupportFrom(os.Getenv),
		Tray:             tray,
		Player:           player,
		// Downloads and added files go where the catalog looks first: Verbatim's own models folder.
		Library: desktop.NewLibrary(models.DefaultLocations().Verbatim, download.Endpoint(os.Getenv), engines.ComputeDevices),
	}
	if root != "" {
		deps.Sessions = desktop.NewSessions(root)
	}
	var hist *desktop.History
	if path, err := history.DefaultPath(); err != nil {
		log.Warn("no history is kept", "err", err)
	} else {
		hist = desktop.NewHistory(path, root, log)
		deps.History = hist
		queue.IndexInto(hist) // the Files tab's transcripts are found in History too
	}

	a := fyneapp.NewWithID("app.verbatim.Verbatim")
	w := ui.NewMainWindow(a, deps)
	// SIGINT/SIGTERM close the window like a person would, so what is being heard still gets saved
	// below; a second signal kills as usual.
	sig := make(chan os.Signal, 1)
	signal.Notify(sig, os.Interrupt, syscall.SIGTERM)
	go func() {
		<-sig
		signal.Stop(sig)
		fyne.Do(w.Close)
	}()
	w.ShowAndRun()
	signal.Stop(sig)

	// The window stopped listening before it closed (its close intercept); what is left is to stop the
	// batch queue and free the model.
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := rec.Stop(ctx); err != nil {
		log.Warn("listening did not stop cleanly", "err", err)
	}
	if err := dict.Stop(ctx); err != nil {
		log.Warn("dictation did not stop cleanly", "err", err)
	}
	if err := server.Stop(ctx); err != nil {
		log.Warn("the local server did not stop cleanly", "err", err)
	}
	if err := player.Stop(ctx); err != nil {
		log.Warn("playback did not stop cleanly", "err", err)
	}
	if hist != nil {
		if err := hist.Close(); err != nil {
			log.Warn("closing the history", "err", err)
		}
	}
	queue.Close()
	cat.Close(ctx)
	return 0
}
