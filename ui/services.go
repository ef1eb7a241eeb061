package ui

import (
	"context"
	"time"

	"github.com/verbatim-app/verbatim/app/batch"
	"github.com/verbatim-app/verbatim/app/desktop"
	"github.com/verbatim-app/verbatim/app/export"
	"github.com/verbatim-app/verbatim/app/history"
	"github.com/verbatim-app/verbatim/app/live"
	"github.com/verbatim-app/verbatim/app/transcript"
)

// The services the window renders, as the window uses them: each is implemented by package app
// (app/desktop) and faked in the tests, and speaks app's own types, so nothing stands between the two.

// Recorder is live listening (desktop.Recorder).
type Recorder interface {
	Devices(ctx context.Context) ([]desktop.Device, error)
	// SystemAudio says whether Start can also record what the computer plays: nil, or why not.
	SystemAudio(ctx context.Context) error
	// Start listens to opts.Device ("" the default input), also translating into opts.TranslateTo
	// ("" none) and recording the system audio when asked. Events arrive on the channel until
	// Stopped, after which it is closed.
	Start(ctx context.Context, opts desktop.ListenOptions) (<-chan live.Event, error)
	// Stop finishes listening: audio already captured is still transcribed, then Stopped is sent.
	Stop(ctx context.Context) error
	// SetTranslateTo changes the translation target while listening ("" for none).
	SetTranslateTo(target string) error
	// SessionDir is the folder of the session being recorded, or recorded last ("" none): what a
	// line's timestamp plays.
	SessionDir() string
	// RenameSpeaker renames a speaker (transcript.Mic, transcript.System or a name given before) in
	// the session being recorded, or recorded last, and returns how many of its lines changed.
	RenameSpeaker(from, to string) (int, error)
	// EditSegment corrects line id (the session's own numbering; lang "" the transcript, else a
	// translation) of the session recorded in dir, the one being recorded included, in its journal.
	EditSegment(dir string, id int, lang, text string) (transcript.Segment, error)
}

// BatchRunner transcribes files one after another (desktop.Queue).
type BatchRunner interface {
	// Run queues the files (behind those of an earlier Run still going) and reports on them until
	// every one is done; then the channel is closed. Cancelling ctx cancels all of this Run's files.
	Run(ctx context.Context, paths []string, opts batch.Options) <-chan desktop.BatchEvent
	// Cancel cancels one queued or running file; its Run reports it with Err context.Canceled.
	Cancel(path string)
}

// ModelCatalog finds and loads models (desktop.Catalog).
type ModelCatalog interface {
	List(ctx context.Context) ([]desktop.ModelInfo, error)
	// Load replaces the current model. It may take long; progress gets 0..1. On error the previous
	// model stays loaded.
	Load(ctx context.Context, c desktop.Choice, progress func(float32)) error
	// Current is the loaded model; the zero ModelInfo when none is.
	Current() desktop.ModelInfo
}

// SessionStore gives back what a crash interrupted (desktop.Sessions).
type SessionStore interface {
	Recover() ([]desktop.SessionInfo, error)
	Restore(id string) ([]transcript.Segment, error)
	// Discard forgets a recoverable session, so that it is not offered again.
	Discard(id string) error
}

// LocalServer is the OpenAI-compatible transcription API on this machine, over the loaded model
// (desktop.Server).
type LocalServer interface {
	// Start listens and returns the base URL clients use (http://127.0.0.1:8177/v1).
	Start(addr string) (url string, err error)
	// Stop stops listening; requests still running may finish until ctx ends.
	Stop(ctx context.Context) error
}

// Dictation is the global shortcut that types what is said into the focused application
// (desktop.Dictation).
type Dictation interface {
	// Start grabs the shortcut and listens; an error (a shortcut another application holds) means it
	// did not start. Events arrive until Ended.
	Start(cfg desktop.DictationConfig) (<-chan desktop.DictationEvent, error)
	// Stop ends dictation and waits for it, until ctx ends.
	Stop(ctx context.Context) error
}

// Player plays recorded audio back (desktop.Player), one source at a time.
type Player interface {
	// Play stops what plays and plays source (a session folder or an audio file) from at. Events
	// report the position until one has Ended; then the channel closes.
	Play(ctx context.Context, source string, at time.Duration) (<-chan desktop.PlaybackEvent, error)
	Pause()
	Resume()
	Stop(ctx context.Context) error
}

// History is everything transcribed, searchable (desktop.History over app/history).
type History interface {
	// Recent is the newest entries first.
	Recent(ctx context.Context, limit int) ([]history.Entry, error)
	// Search finds the lines holding query's words; Marked has each match between desktop.MarkOpen
	// and desktop.MarkClose. A malformed query ("foo AND") is an error naming it.
	Search(ctx context.Context, query string, limit int) ([]history.Hit, error)
	Lines(ctx context.Context, entryID int64) ([]history.Line, error)
	// EditLine corrects a line's text (the text as heard is kept).
	EditLine(ctx context.Context, lineID int64, text string) (history.Line, error)
	// Delete removes an entry: a session with its recording, a file only from the history.
	Delete(ctx context.Context, entryID int64) error
	// IndexSession adds the session recorded in dir (the window calls it when a recording ends).
	IndexSession(ctx context.Context, dir, model string) (history.Entry, error)
	// RenameSpeaker renames a speaker in a recorded session, on disk and in the history.
	RenameSpeaker(ctx context.Context, e history.Entry, from, to string) (int, error)
	// Doc is an entry's spoken transcript, as edited, for export.Write.
	Doc(ctx context.Context, e history.Entry) (export.Doc, error)
}

// Deps are the services the window renders. Any may be nil: its part of the window is then disabled.
type Deps struct {
	Recorder Recorder
	Batch    BatchRunner
	Models   ModelCatalog
	Sessions SessionStore
	Server   LocalServer // nil: no local server setting
	// Dictation types what is said into other applications; nil: no dictation settings.
	Dictation Dictation
	// DictationSupport says whether this desktop session can dictate (desktop.SupportFrom): the
	// settings offer the switch only for X11, and otherwise say why.
	DictationSupport desktop.DictationSupport
	// Player plays a line's audio from its timestamp; nil: timestamps are only text.
	Player Player
	// History is the History tab's; nil: the tab says there is none.
	History History
	// Library offers models to download and add (desktop.Library); nil: the Models tab lists only
	// what is on disk.
	Library ModelLibrary
	// Tray: a system tray is there to hold Verbatim's icon (a StatusNotifier host on Linux). Only
	// then does the window put an icon there, and may it hide to it.
	Tray bool
}
