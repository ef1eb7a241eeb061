// Package ui is Verbatim's desktop window (Fyne). It renders the state of the app layer's services
// and holds no transcription logic of its own: everything it shows comes from app/desktop's services,
// in app's own types (live.Event, desktop.ModelInfo, desktop.BatchEvent, …), through the small
// consumer-side interfaces in services.go that the tests fake.
//
// # Wiring (cmd/verbatim)
//
//	a := app.NewWithID("app.verbatim.Verbatim")     // only cmd imports fyne.io/fyne/v2/app
//	w := ui.NewMainWindow(a, ui.Deps{Recorder: rec, Batch: queue, Models: catalog, Sessions: sessions})
//	w.ShowAndRun()
//
// cmd/verbatim builds the app services and passes them in as they are. A nil service disables its part
// of the window. Every method may be called from the UI's goroutines (never the Fyne main loop for
// blocking work) and must be safe for concurrent use.
//
// # From the app to the screen
//
// Whatever arrives in the background reaches the screen in one hop: the window's goroutine that reads
// a service's channel (listening, a batch, dictation), or the callback a service calls (a model's
// loading progress), hands it to fyne.Do itself (mainWindow.do). Nothing relays between the two.
//
// # The services
//
// Recorder (live listening, desktop.Recorder):
//   - Devices(ctx) ([]desktop.Device, error): the inputs, by Name, IsDefault marking the system's.
//   - Start(ctx, device, translateTo) (<-chan live.Event, error): each live.Event has exactly one of
//     Level (RMS, Peak 0..1), Segment (*transcript.Segment), Stats (TokensPerSec, LatencyMs), Err,
//     Stopped. A Segment replaces any earlier one with the same ID and Lang; Lang "" is the spoken
//     text, Lang "es" its Spanish translation (same ID as the source segment); Final ones never
//     change. Stopped is the last event, then the channel is closed. IDs count from 0 in each
//     recording; the window keys lines by recording and ID (segIDs), so a second recording or a
//     restored session appends after what is shown. Without a model it fails with desktop.ErrNoModel.
//   - Stop(ctx): finish — transcribe what is already captured, send it, then Stopped.
//   - SetTranslateTo(target): change the translation target while listening ("" none); the lines
//     heard before it are translated too and arrive as translations under their old IDs.
//   - EditSegment(dir, id, lang, text): keep a line's correction in the journal of the session
//     recorded in dir (id in that session's own numbering: the window maps its IDs back with
//     transcript.Numbering.Origin); transcript.Store.Edit is the rule (a later model update never
//     undoes an edit), in the window, in the session and in its replay on recovery.
//   - SessionDir() string: the session being (or last) recorded, "" when none is kept: a line's
//     timestamp plays it (the window notes each recording's folder with its first line).
//   - RenameSpeaker(from, to) (int, error): segments of a call carry Speaker (transcript.Mic "You",
//     transcript.System "Others", shown translated); tapping a speaker renames it on every line of the
//     window (transcript.Store.RenameSpeaker, which also renames lines still on their way) and in the
//     session recorded.
//
// Player (playback, desktop.Player): Play(ctx, source, at) (<-chan desktop.PlaybackEvent, error) plays a
// session folder (both sides of a call together) or an audio file from at; events carry Position and
// Paused until one has Ended (with Err when it failed; desktop.ErrAudioGone when the file is no longer
// there); Pause, Resume, Stop(ctx). The play bar above the status bar shows it; the tabs highlight the
// line playing.
//
// History (desktop.History over app/history): Recent, Search (Marked text with desktop.MarkOpen /
// MarkClose around each match), Lines, EditLine, Delete, IndexSession (called when a recording ends),
// RenameSpeaker, Doc (an entry's transcript for export.Write).
//
// BatchRunner (files, desktop.Queue):
//   - Run(ctx, paths, batch.Options{Format, OutDir, Translate}) <-chan desktop.BatchEvent: transcribes
//     the files in order, queued behind an earlier Run still going; BatchEvent{Path, Progress 0..1,
//     Output (written path, when done), Err (when failed; context.Canceled when cancelled)}. One
//     file's failure does not stop the others. Closed when all are done. OutDir "" writes next to
//     each input; cancelling ctx cancels the Run's files. What a drop or a file dialog adds is
//     batch.Inputs of it (folders become the audio files inside), filtered by batch.Extensions.
//   - Cancel(path): cancel one queued or running file.
//
// ModelCatalog (models, desktop.Catalog):
//   - List(ctx) ([]desktop.ModelInfo, error): ModelInfo{ID, Name, Size, Quant, CanHear, Projectors,
//     Fit, Default, …}.
//   - Load(ctx, desktop.Choice{Model, Projector, GPULayers (-1 auto), Threads (0 auto)}, progress
//     func(float32)): slow; on error the previous model stays loaded.
//   - Current() desktop.ModelInfo: the loaded one (with Backend, e.g. "CPU", "GPU (CUDA)", and Tasks
//     from its metadata: the translation menus offer only its "translate:xx" targets, all when Tasks
//     is nil, and a note when it lists tasks but no translation; see targets.go); zero if none.
//
// SessionStore (crash recovery, desktop.Sessions): Recover() ([]desktop.SessionInfo, error);
// Restore(id) ([]transcript.Segment, error); Discard(id) error. Sessions found at start are offered in
// a dialog.
//
// Exports (the Live tab's Export…) are app/export's: export.Write in one of export.Formats (txt, srt,
// vtt, json, md), the same code the command line and the batch queue write with.
//
// LocalServer (desktop.Server): Start(addr) (url, error); Stop(ctx) error — the OpenAI-compatible API
// over the loaded model.
//
// Dictation (desktop.Dictation; a global shortcut types what is said into the focused application):
//   - Deps.DictationSupport (desktop.SupportFrom): X11, Portal (Wayland's GlobalShortcuts and
//     RemoteDesktop), WaylandOnly or NoDisplay; the settings offer the switch for X11 and Portal and
//     otherwise say why.
//   - Start(desktop.DictationConfig{Shortcut ("ctrl+alt+space", checked with ui/x11's ParseShortcut),
//     Mode (dictate.Hold or Toggle), Commands, Device, Paste}) (<-chan desktop.DictationEvent, error):
//     an error means it did not start (the shortcut is taken); DictationEvent has State (dictate.Idle,
//     Listening, Thinking), or Err (one take typed nothing), or Ended (last, with Err when it was not
//     Stop), then the channel is closed.
//   - Stop(ctx) error.
//
// Deps.Tray says a system tray is there to show an icon (a StatusNotifier host): only then, and where
// the App is a Fyne desktop.App, the window puts its icon there (colour = dictation's state; menu:
// dictation on/off, Show, Quit), offers "start minimised", and hides instead of quitting when closed
// while dictation runs.
//
// # What the window does
//
// Tabs (Ctrl+1…4 select them: Fyne's tab bar takes no keyboard focus) Live (record/stop also on
// Ctrl+R, input picker, level meter, transcript and translation panes in virtualised lists that follow
// new text unless scrolled back and line up row for row, copy, export in a format picked from a menu,
// clear; a line's text can be selected, its buttons and its menu (right click) copy or edit it, its
// timestamp plays it, a speaker's name renames them), Files (drop files or folders onto the window or
// pick them; queue with per-file and overall progress, cancel one or all, errors on their rows),
// History (everything transcribed, newest first; a search box whose results come as one types, matches
// highlighted; an entry opened shows its lines to play from, correct, rename speakers in, export, or
// delete after asking) and Models & settings (model list, projector, GPU layers, threads, interface
// language, local API server, dictation: on/off, shortcut, hold or toggle, spoken commands; start
// minimised). A status bar shows state, model and backend, tokens/s and latency, and dictation's
// state while it runs (the Live tab's messages only on the Live tab); above it, while something
// plays, the play bar.
//
// Errors reach people through errorText (errors.go): one table maps the failures they meet (a model
// file that is not one, audio in another format, no microphone, a full disk, a model that cannot
// translate, no model) to a message in their language that says what to do; the error itself goes
// to the log. Fyne 2.7 has no tooltips, so buttons say what they do in words; the lines' own icon
// buttons have their words in the line's menu. The Record button draws a ring while focused
// (ringButton: Fyne's focus tint is invisible on a primary button).
//
// The transcript panes are lineLists (linelist.go): only the rows on screen are widgets, the rows'
// offsets live in a Fenwick tree, and lines are wrapped by wrap.go from word widths measured once, so
// adding the 5000th line costs what the first did and a resize re-wraps hours of text in milliseconds.
//
// Choices persist in the App's Preferences (keys in window.go); the saved model is loaded at start
// when the catalog has none loaded (else the one marked ModelInfo.Default), and saved only once it
// loaded.
//
// # Languages
//
// Strings are go-i18n messages embedded from assets/locales/active.<lang>.toml (en, es, fr, de, ja,
// zh); add a message to every file (TestLocalesComplete checks). The language follows LANGUAGE /
// LC_ALL / LC_MESSAGES / LANG unless chosen in settings; Fyne's own dialogs follow the same choice
// (see applyToFyne), with Japanese for them from assets/locales/fyne.ja.json. On CJK fonts see
// theme.go.
package ui
