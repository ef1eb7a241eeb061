package ui

import (
	"context"
	"io"
	"time"

	"github.com/verbatim-app/verbatim/app/transcript"
)

// Device is an audio input the Recorder can listen to.
type Device struct {
	Name    string // shown to the user and passed back in StartOptions.Device
	Default bool   // the system's default input
}

// StartOptions tells the Recorder what to listen to.
type StartOptions struct {
	Device      string // a Device.Name; "" for the default input
	TranslateTo string // target language code such as "es"; "" for no translation
}

// Level is the input loudness, both 0..1 (linear, full scale = 1).
type Level struct{ RMS, Peak float32 }

// Stats describe how fast the model keeps up.
type Stats struct {
	TokensPerSec float64
	LatencyMs    float64
}

// Event is one thing that happened while listening. Exactly one field is set.
//
// Segment: a segment replaces any earlier one with the same ID and Lang; Final segments never change
// again. Segments with Lang "" are the spoken text; with Lang set (e.g. "es") a translation of the
// segment with the same ID.
// Stopped is the last event: the channel is closed after it.
type Event struct {
	Level   *Level
	Segment *transcript.Segment
	Stats   *Stats
	Err     error // shown to the user; listening goes on unless Stopped follows
	Stopped bool
}

// Recorder is live listening.
type Recorder interface {
	Devices(ctx context.Context) ([]Device, error)
	// Start begins listening. Events arrive on the channel until Stopped, after which it is closed.
	Start(ctx context.Context, opts StartOptions) (<-chan Event, error)
	// Stop finishes listening: audio already captured is still transcribed, then Stopped is sent.
	Stop(ctx context.Context) error
	// SetTranslateTo changes the translation target while listening ("" for none).
	SetTranslateTo(target string) error
}

// BatchOptions say how to transcribe files.
type BatchOptions struct {
	Format      string // one of ExportFormats: "txt", "srt", "vtt", "json", "md"
	OutDir      string // "" writes each output next to its input
	TranslateTo string // "" for none
}

// BatchEvent reports on one file of a batch. Path is the input as passed to Run.
type BatchEvent struct {
	Path     string
	Progress float32 // 0..1
	Output   string  // set when the file is done: the path written
	Err      error   // set when the file failed (context.Canceled when cancelled); the others go on
}

// Done says whether the file reached an end, successful or not.
func (e BatchEvent) Done() bool { return e.Output != "" || e.Err != nil }

// BatchRunner transcribes files one after another.
type BatchRunner interface {
	// Run queues the files (behind those of an earlier Run still going) and reports on them until
	// every one is done; then the channel is closed. Cancelling ctx cancels all of this Run's files.
	Run(ctx context.Context, paths []string, opts BatchOptions) <-chan BatchEvent
	// Cancel cancels one queued or running file; its Run reports it with Err context.Canceled.
	Cancel(path string)
}

// ModelInfo describes a model file the catalog found.
type ModelInfo struct {
	ID         string   // stable key (usually the path), persisted in preferences
	Name       string   // shown to the user
	Size       int64    // bytes
	Quant      string   // quantization, e.g. "Q4_K_M"
	CanHear    bool     // takes audio itself (or with one of Projectors)
	Projectors []string // projector IDs that fit this model; may be empty
	Backend    string   // for Current(): where it runs, e.g. "CPU" or "GPU (CUDA)"
	// Fit says how much of the model the GPUs' free memory holds: "full", "partial" or "cpu" ("" unknown).
	Fit string
	// Default marks the model loaded at start when none is saved or the saved one is gone (the
	// bundled demo model), with its first projector.
	Default bool
	// Tasks are the tasks the model's metadata lists ("transcribe", "translate:es", …); nil when it
	// lists none and follows free instructions, so any translation target may be tried.
	Tasks []string
}

// Choice is what to load.
type Choice struct {
	Model, Projector string
	GPULayers        int // -1: automatic
	Threads          int // 0: automatic
}

// ModelCatalog finds and loads models.
type ModelCatalog interface {
	List(ctx context.Context) ([]ModelInfo, error)
	// Load replaces the current model. It may take long; progress gets 0..1. On error the previous
	// model stays loaded.
	Load(ctx context.Context, c Choice, progress func(float32)) error
	// Current is the loaded model; the zero ModelInfo when none is.
	Current() ModelInfo
}

// SessionInfo describes a session that was not closed properly.
type SessionInfo struct {
	ID       string
	Started  time.Time
	Segments int
	Preview  string // the first words
}

// SessionStore gives back what a crash interrupted.
type SessionStore interface {
	Recoverable() ([]SessionInfo, error)
	Restore(id string) ([]transcript.Segment, error)
	// Discard forgets a recoverable session, so that it is not offered again.
	Discard(id string) error
}

// Exporter writes segments in one of ExportFormats.
type Exporter interface {
	Export(w io.Writer, format string, segs []transcript.Segment) error
}

// ExportFormats are the formats Exporter and BatchRunner must accept, in the order shown.
var ExportFormats = []string{"txt", "srt", "vtt", "json", "md"}

// Deps are the services the window renders. Any may be nil: its part of the window is then disabled.
type Deps struct {
	Recorder Recorder
	Batch    BatchRunner
	Models   ModelCatalog
	Sessions SessionStore
	Exporter Exporter
	Server   LocalServer // nil: no local server setting
	// Dictation types what is said into other applications; nil: no dictation settings.
	Dictation Dictation
	// Tray: a system tray is there to hold Verbatim's icon (a StatusNotifier host on Linux). Only
	// then does the window put an icon there, and may it hide to it.
	Tray bool
}

// LocalServer is the OpenAI-compatible transcription API on this machine, over the loaded model.
type LocalServer interface {
	// Start listens and returns the base URL clients use (http://127.0.0.1:8177/v1).
	Start(addr string) (url string, err error)
	// Stop stops listening; requests still running may finish until ctx ends.
	Stop(ctx context.Context) error
}

// DictationSupport says whether dictation can run in this desktop session.
type DictationSupport int

const (
	DictationX11         DictationSupport = iota // an X11 display (XWayland's counts)
	DictationWaylandOnly                         // Wayland without an X11 display: not supported yet
	DictationNoDisplay                           // no display at all
)

// DictationState is what the indicator shows.
type DictationState int

const (
	DictationOff       DictationState = iota // not running
	DictationIdle                            // waiting for the shortcut
	DictationListening                       // the shortcut is held (or toggled on)
	DictationThinking                        // released; the text is on its way
)

// DictationConfig is how dictation runs.
type DictationConfig struct {
	Shortcut string // e.g. "ctrl+alt+space"; checked with ui/x11's ParseShortcut
	Toggle   bool   // one press starts, the next ends; false: speak while it is held
	Commands bool   // spoken commands ("new line", "new paragraph") type what they say
	Device   string // the Live tab's input device ("" the system's)
	Paste    bool   // paste through the clipboard instead of typing; the previous clipboard is put back
}

// DictationEvent is one change of a running dictation. Ended is the last event (Err says why when it
// was not Stop); then the channel is closed. Err without Ended is one take that failed.
type DictationEvent struct {
	State DictationState
	Err   error
	Ended bool
}

// Dictation is the global shortcut that types what is said into the focused application.
type Dictation interface {
	Support() DictationSupport
	// Start grabs the shortcut and listens; an error (a shortcut another application holds) means it
	// did not start. Events arrive until Ended.
	Start(cfg DictationConfig) (<-chan DictationEvent, error)
	// Stop ends dictation and waits for it, until ctx ends.
	Stop(ctx context.Context) error
}
