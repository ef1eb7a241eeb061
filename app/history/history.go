// Package history keeps an index of everything Verbatim has transcribed — every live session and every
// file `transcribe` wrote — in one SQLite database with full-text search (FTS5), so that any past word
// can be found again with the place and time it was said.
//
// The index is a cache of what is kept elsewhere: session folders (app/session) are the truth for live
// sessions, and Reindex rebuilds their rows from the folders at any time. What only the index holds is
// the list of batch transcripts (source, output, model) and the edits made to lines; an edit keeps the
// text as heard beside it.
//
// The database is opened in WAL mode with synchronous=FULL and every entry is written in one
// transaction: a process killed (kill -9) or a power cut while indexing loses at most the entry being
// written, never one already committed, and never leaves the database damaged.
package history

import (
	"database/sql"
	"errors"
	"time"
)

// SchemaVersion is the database layout this package writes (PRAGMA user_version). A database with a
// newer version is refused rather than misread.
const SchemaVersion = 1

// FileName is the database's name in Verbatim's data folder (DefaultPath).
const FileName = "history.db"

// DefaultLimit is how many entries or hits Recent and Search return when asked for 0.
const DefaultLimit = 50

// Kind says what an entry indexes.
type Kind string

const (
	// KindSession is a live session: Source is its folder, Audio its audio.wav.
	KindSession Kind = "session"
	// KindFile is a file transcribed in batch: Source is the audio file, Output the transcript written.
	KindFile Kind = "file"
)

// Entry is one indexed transcript: a live session or one batch transcription.
type Entry struct {
	ID     int64
	Kind   Kind
	Source string // session folder or audio file (absolute)
	Output string // transcript file written ("" for sessions and stdout)
	Audio  string // the audio to play from a line's Start: audio.wav or Source
	// SystemAudio is the computer's own sound, recorded beside Audio on the same timeline (a session
	// with system audio: the lines of Others are heard there); "" when there is none.
	SystemAudio string
	Model       string // the model that heard it ("" when unknown)
	// Created is when the session started or the file was transcribed.
	Created time.Time
	// Duration is the audio's length for sessions; for files, the end of the last line.
	Duration time.Duration
	Lines    int    // lines indexed (translations count too)
	Preview  string // the first words of the spoken transcript
}

// Line is one final transcript segment as indexed.
type Line struct {
	ID      int64
	EntryID int64
	Segment int    // the segment's ID in its transcript
	Lang    string // "" for the spoken language, else the translation's
	Speaker string // who spoke (transcript.Segment.Speaker, as renamed): "" when nobody is named
	Start   time.Duration
	End     time.Duration
	Text    string // as edited, or as heard when never edited
	Heard   string // the text as the model heard it, kept through edits
	Edited  bool   // Text differs from Heard
}

// Hit is one line matching a search, with the entry it belongs to.
type Hit struct {
	Entry Entry
	Line  Line
	// Marked is Line.Text with every matched term between SearchOptions.Open and Close.
	Marked string
}

// Order is how Search sorts its hits.
type Order int

const (
	// Newest puts the newest entry's hits first, each entry's hits in the order they were said.
	Newest Order = iota
	// Best puts the best matches first (FTS5's bm25 rank), ties newest first.
	Best
)

// SearchOptions shape a search's results.
type SearchOptions struct {
	Limit int   // most hits returned; 0 means DefaultLimit
	Order Order // Newest (the default) or Best
	// Open and Close surround each matched term in Hit.Marked: "[" and "]", ANSI bold for a terminal,
	// private-use characters (U+E000, U+E001) for a widget that styles runs. Not NUL: SQLite reads the
	// marks as C strings. Both empty leaves Marked equal to Text.
	Open, Close string
}

// FileEntry names a batch transcription for IndexFile.
type FileEntry struct {
	Source string // the audio file heard
	Output string // the transcript file written ("" when it went to stdout)
	Model  string // the model's name or file
	// Created is when it was transcribed; zero means now.
	Created time.Time
}

// ReindexStats says what Reindex did.
type ReindexStats struct {
	Sessions int // session folders indexed
	Removed  int // entries whose session folder is gone, dropped
	Failed   int // session folders that could not be read (logged, their old rows kept)
}

// ErrNotFound means no entry or line has the given ID.
var ErrNotFound = errors.New("history: not found")

// ErrNewerSchema means the database was written by a newer Verbatim.
var ErrNewerSchema = errors.New("history: database written by a newer Verbatim")

// ErrQuery means a search query could not be understood (an operator with nothing on one side, an
// unclosed parenthesis); the message names the query.
var ErrQuery = errors.New("history: bad search query")

// ErrDamaged means the database file is not a readable SQLite database (or fails its integrity check);
// MoveAside and Reindex rebuild it from the session folders.
var ErrDamaged = errors.New("history: database damaged")

// Index is an open history database. Its methods are safe for concurrent use, and several processes
// (the window and a `verbatim transcribe`) may use one database at once.
type Index struct {
	db   *sql.DB
	path string
}

// Path is the database file.
func (x *Index) Path() string { return x.path }
