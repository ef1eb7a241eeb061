package desktop

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"path/filepath"
	"sync"

	"github.com/verbatim-app/verbatim/app/export"
	"github.com/verbatim-app/verbatim/app/history"
	"github.com/verbatim-app/verbatim/app/session"
	"github.com/verbatim-app/verbatim/app/transcript"
)

// The marks History.Search puts around every matched word in a hit's Marked text, for the window to
// style: private-use characters no transcript holds. (Not NUL: SQLite's highlight() reads its marks as
// C strings, so "\x00" would mark nothing.)
const (
	MarkOpen  = "\uE000"
	MarkClose = "\uE001"
)

// History is the window's history of what was transcribed (app/history): the newest first, searched
// as the user types, each entry's lines to read, play, correct, export or delete. The database opens
// on first use; a damaged one is moved aside (kept, never deleted) and rebuilt from the session
// folders, and a failed open is tried again at the next call.
type History struct {
	path         string // the database
	sessionsRoot string // the session folders it indexes ("" none)
	log          *slog.Logger

	mu  sync.Mutex
	idx *history.Index
}

// NewHistory keeps its index at path (history.DefaultPath in the app) over the sessions under
// sessionsRoot (session.DefaultRoot; "" for none). log gets what it repaired (nil: the default).
func NewHistory(path, sessionsRoot string, log *slog.Logger) *History {
	if log == nil {
		log = slog.Default()
	}
	return &History{path: path, sessionsRoot: sessionsRoot, log: log}
}

// index opens the database the first time, importing the sessions already recorded.
func (h *History) index(ctx context.Context) (*history.Index, error) {
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.idx != nil {
		return h.idx, nil
	}
	idx, err := history.Open(h.path)
	if errors.Is(err, history.ErrDamaged) {
		aside, merr := history.MoveAside(h.path)
		if merr != nil {
			return nil, fmt.Errorf("history %s is damaged and could not be moved aside: %w", h.path, errors.Join(err, merr))
		}
		h.log.Warn("history: the database was damaged; it was moved aside and is rebuilt from the sessions", "damaged", aside)
		if idx, err = history.Open(h.path); err == nil && h.sessionsRoot != "" {
			if _, rerr := idx.Reindex(ctx, h.sessionsRoot); rerr != nil {
				h.log.Warn("history: rebuilding from the sessions", "err", rerr)
			}
		}
	}
	if err != nil {
		return nil, err
	}
	if h.sessionsRoot != "" {
		if _, err := idx.ImportOnce(ctx, h.sessionsRoot); err != nil {
			// The index still works for what is in it; the sessions are tried again at the next start.
			h.log.Warn("history: importing the recorded sessions", "err", err)
		}
	}
	h.idx = idx
	return idx, nil
}

// Recent is the newest entries first (limit 0: history.DefaultLimit).
func (h *History) Recent(ctx context.Context, limit int) ([]history.Entry, error) {
	idx, err := h.index(ctx)
	if err != nil {
		return nil, err
	}
	return idx.Recent(ctx, limit)
}

// Search finds the lines holding query's words, the newest entry's first; each hit's Marked has its
// matched words between MarkOpen and MarkClose.
func (h *History) Search(ctx context.Context, query string, limit int) ([]history.Hit, error) {
	idx, err := h.index(ctx)
	if err != nil {
		return nil, err
	}
	return idx.Search(ctx, query, history.SearchOptions{Limit: limit, Order: history.Newest, Open: MarkOpen, Close: MarkClose})
}

// Lines are an entry's lines in the order they were said, each translation after its spoken line.
func (h *History) Lines(ctx context.Context, entryID int64) ([]history.Line, error) {
	idx, err := h.index(ctx)
	if err != nil {
		return nil, err
	}
	return idx.Lines(ctx, entryID)
}

// EditLine corrects a line's text; the text as heard is kept beside it.
func (h *History) EditLine(ctx context.Context, lineID int64, text string) (history.Line, error) {
	idx, err := h.index(ctx)
	if err != nil {
		return history.Line{}, err
	}
	return idx.EditLine(ctx, lineID, text)
}

// Delete removes an entry: a session with its folder (audio and transcript), a transcribed file only
// from the history (the audio and the transcript written are the user's files and stay).
func (h *History) Delete(ctx context.Context, entryID int64) error {
	idx, err := h.index(ctx)
	if err != nil {
		return err
	}
	return idx.Delete(ctx, entryID)
}

// IndexSession adds (or refreshes) the session recorded in dir, heard by model ("" keeps the name
// indexed before): the window calls it when a recording ends.
func (h *History) IndexSession(ctx context.Context, dir, model string) (history.Entry, error) {
	idx, err := h.index(ctx)
	if err != nil {
		return history.Entry{}, err
	}
	return idx.IndexSession(ctx, dir, model)
}

// IndexFile adds a transcribed file's segments (history.Index.IndexFile): the Files tab's queue calls it
// for each transcript it writes.
func (h *History) IndexFile(ctx context.Context, f history.FileEntry, segs []transcript.Segment) (history.Entry, error) {
	idx, err := h.index(ctx)
	if err != nil {
		return history.Entry{}, err
	}
	return idx.IndexFile(ctx, f, segs)
}

// RenameSpeaker renames a speaker in a recorded session (see session.RenameSpeaker) and indexes it
// again, so that the history shows and finds the new name. It returns how many lines changed; a
// session still being recorded is renamed through the recorder instead (session.ErrInUse).
func (h *History) RenameSpeaker(ctx context.Context, e history.Entry, from, to string) (int, error) {
	if e.Kind != history.KindSession {
		return 0, errors.New("only a recorded session names its speakers")
	}
	n, err := session.RenameSpeaker(e.Source, from, to)
	if err != nil || n == 0 {
		return n, err
	}
	if _, err := h.IndexSession(ctx, e.Source, ""); err != nil {
		return n, fmt.Errorf("renamed in %s, but the history still shows the old name: %w", e.Source, err)
	}
	return n, nil
}

// Doc is an entry's spoken transcript as an export writes it (app/export), with the lines as edited.
func (h *History) Doc(ctx context.Context, e history.Entry) (export.Doc, error) {
	lines, err := h.Lines(ctx, e.ID)
	if err != nil {
		return export.Doc{}, err
	}
	doc := export.Doc{Title: filepath.Base(e.Source)}
	for _, l := range lines {
		if l.Lang != "" {
			continue
		}
		doc.Segments = append(doc.Segments, transcript.Segment{ID: l.Segment, Start: l.Start, End: l.End,
			Text: l.Text, Speaker: l.Speaker, Final: true})
	}
	return doc, nil
}

// PlaySource is what Player.Play plays an entry from: a session's folder (its microphone and, when
// recorded, the computer's sound, together) or the file that was transcribed.
func PlaySource(e history.Entry) string {
	if e.Kind == history.KindSession {
		return e.Source
	}
	if e.Audio != "" {
		return e.Audio
	}
	return e.Source
}

// Close closes the database.
func (h *History) Close() error {
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.idx == nil {
		return nil
	}
	err := h.idx.Close()
	h.idx = nil
	return err
}

// RenameSpeaker renames a speaker (transcript.Mic, transcript.System, or a name given before) in the
// session being recorded, or else the one recorded last, and returns how many of its lines changed
// (see live.Recorder.RenameSpeaker).
func (r *Recorder) RenameSpeaker(from, to string) (int, error) { return r.rec.RenameSpeaker(from, to) }
