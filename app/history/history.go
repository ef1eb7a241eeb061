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
	"context"
	"database/sql"
	"errors"
	"time"

	"github.com/verbatim-app/verbatim/app/transcript"
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

// DefaultPath is the database's place: history.db in Verbatim's data folder, beside the sessions folder
// (session.DefaultRoot's parent: $XDG_DATA_HOME/verbatim/history.db on Linux).
func DefaultPath() (string, error) { return defaultPath() }

// Open opens the database at path, creating it (and its folder, private) when missing.
func Open(path string) (*Index, error) { return open(path) }

// OpenDefault opens the database at DefaultPath and, the first time, imports the sessions already in
// session.DefaultRoot (ImportOnce).
func OpenDefault(ctx context.Context) (*Index, error) { return openDefault(ctx) }

// MoveAside renames a damaged database (and its -wal and -shm files) to PATH.damaged-TIME, so that Open
// starts a fresh one; it returns the new name. Nothing is deleted.
func MoveAside(path string) (string, error) { return moveAside(path) }

// Path is the database file.
func (x *Index) Path() string { return x.path }

// Close closes the database.
func (x *Index) Close() error { return x.close() }

// Check runs SQLite's integrity check; a damaged database gives an error wrapping ErrDamaged.
func (x *Index) Check(ctx context.Context) error { return x.check(ctx) }

// IndexSession indexes (or re-indexes) the live session in dir, read with session.Load: its final
// segments, spoken and translated. model names the model that heard it ("" keeps the name already
// indexed, if any). Edits made to its lines are kept while the line's heard text is unchanged.
func (x *Index) IndexSession(ctx context.Context, dir, model string) (Entry, error) {
	return x.indexSession(ctx, dir, model)
}

// IndexFile indexes a batch transcription's final segments. The same Source and Output indexed again
// (a --overwrite run) replace the earlier entry, keeping its ID.
func (x *Index) IndexFile(ctx context.Context, f FileEntry, segs []transcript.Segment) (Entry, error) {
	return x.indexFile(ctx, f, segs)
}

// Reindex indexes every session folder under sessionsRoot again and drops the entries of sessions whose
// folder is gone. File entries are kept. A folder that cannot be read is logged and counted, and does
// not stop the others. It counts as the first-start import (ImportOnce then does nothing).
func (x *Index) Reindex(ctx context.Context, sessionsRoot string) (ReindexStats, error) {
	return x.reindex(ctx, sessionsRoot)
}

// ImportOnce runs Reindex the first time it is called on a database (a fresh one, or one made before
// sessions were indexed) and does nothing after; imported reports whether it ran.
func (x *Index) ImportOnce(ctx context.Context, sessionsRoot string) (imported bool, err error) {
	return x.importOnce(ctx, sessionsRoot)
}

// Recent returns the newest entries first; limit 0 means DefaultLimit.
func (x *Index) Recent(ctx context.Context, limit int) ([]Entry, error) { return x.recent(ctx, limit) }

// Entry returns one entry; ErrNotFound when there is none with that ID.
func (x *Index) Entry(ctx context.Context, id int64) (Entry, error) { return x.entry(ctx, id) }

// Search finds the lines matching query. Plain words match lines holding all of them, whatever their
// punctuation ("don't", "C++", "e-mail" search as text); "quoted words" match a phrase; word* matches a
// prefix; AND, OR, NOT (in capitals) and parentheses combine terms. A query that combines them wrongly
// ("foo AND") gives an error naming the query, never a crash.
func (x *Index) Search(ctx context.Context, query string, opt SearchOptions) ([]Hit, error) {
	return x.search(ctx, query, opt)
}

// Lines returns an entry's lines in the order they were said (by Start), each translation after its
// spoken line; ErrNotFound when there is no such entry.
func (x *Index) Lines(ctx context.Context, entryID int64) ([]Line, error) {
	return x.lines(ctx, entryID)
}

// EditLine replaces a line's text; the text as heard is kept (Line.Heard), and search finds the new
// text. Editing back to the heard text clears Edited.
func (x *Index) EditLine(ctx context.Context, lineID int64, text string) (Line, error) {
	return x.editLine(ctx, lineID, text)
}

// Delete removes an entry. For a session it removes the session folder (audio and transcript) too, in
// the same step: the rows go only if the folder went, and a session being recorded is refused. For a
// file it removes only the index rows; the audio and the transcript file are the user's and stay.
func (x *Index) Delete(ctx context.Context, entryID int64) error { return x.delete(ctx, entryID) }
