package history

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/verbatim-app/verbatim/app/session"
)

// previewWords is how many words Entry.Preview holds.
const previewWords = 12

// entryColumns read an entry with its line count and preview; both walk the (entry_id, segment, lang)
// index, never the entry's lines in full (segments are numbered in the order they were said).
const entryColumns = `e.id, e.kind, e.source, e.output, e.audio, e.system_audio, e.model, e.created, e.duration,
	(SELECT count(*) FROM lines l WHERE l.entry_id = e.id),
	coalesce((SELECT group_concat(text, ' ') FROM
		(SELECT text FROM lines l WHERE l.entry_id = e.id AND l.lang = '' ORDER BY l.segment LIMIT 8)), '')`

func scanEntry(sc interface{ Scan(...any) error }) (Entry, error) {
	var e Entry
	var kind, preview string
	var created, duration int64
	if err := sc.Scan(&e.ID, &kind, &e.Source, &e.Output, &e.Audio, &e.SystemAudio, &e.Model, &created, &duration, &e.Lines, &preview); err != nil {
		return e, err
	}
	e.Kind, e.Created, e.Duration = Kind(kind), time.Unix(0, created), time.Duration(duration)
	e.Preview = firstWords(preview, previewWords)
	return e, nil
}

func firstWords(s string, n int) string {
	w := strings.Fields(s)
	if len(w) > n {
		return strings.Join(w[:n], " ") + "…"
	}
	return strings.Join(w, " ")
}

// gone reports whether e is a session whose folder was deleted outside the index; such entries are
// left out of results until Reindex drops them.
func gone(e Entry) bool {
	if e.Kind != KindSession {
		return false
	}
	_, err := os.Lstat(e.Source)
	return errors.Is(err, os.ErrNotExist)
}

func limitOr(n int) int {
	if n <= 0 {
		return DefaultLimit
	}
	return n
}

// Recent returns the newest entries first; limit 0 means DefaultLimit.
func (x *Index) Recent(ctx context.Context, limit int) ([]Entry, error) {
	limit = limitOr(limit)
	rows, err := x.db.QueryContext(ctx, "SELECT "+entryColumns+" FROM entries e ORDER BY e.created DESC, e.id DESC")
	if err != nil {
		return nil, x.wrap("list", err)
	}
	defer rows.Close()
	var out []Entry
	for rows.Next() && len(out) < limit {
		e, err := scanEntry(rows)
		if err != nil {
			return nil, x.wrap("list", err)
		}
		if !gone(e) {
			out = append(out, e)
		}
	}
	return out, x.wrap("list", rows.Err())
}

// Entry returns one entry; ErrNotFound when there is none with that ID.
func (x *Index) Entry(ctx context.Context, id int64) (Entry, error) {
	e, err := scanEntry(x.db.QueryRowContext(ctx, "SELECT "+entryColumns+" FROM entries e WHERE e.id = ?", id))
	if errors.Is(err, sql.ErrNoRows) {
		return e, fmt.Errorf("%w: entry %d", ErrNotFound, id)
	}
	return e, x.wrap(fmt.Sprintf("read entry %d from", id), err)
}

const lineColumns = "l.id, l.entry_id, l.segment, l.lang, l.speaker, l.start_ns, l.end_ns, l.text, l.heard"

func scanLine(sc interface{ Scan(...any) error }, extra ...any) (Line, error) {
	var l Line
	var start, end int64
	dst := append([]any{&l.ID, &l.EntryID, &l.Segment, &l.Lang, &l.Speaker, &start, &end, &l.Text, &l.Heard}, extra...)
	if err := sc.Scan(dst...); err != nil {
		return l, err
	}
	l.Start, l.End, l.Edited = time.Duration(start), time.Duration(end), l.Text != l.Heard
	return l, nil
}

// Lines returns an entry's lines in the order they were said (by Start), each translation after its
// spoken line; ErrNotFound when there is no such entry.
func (x *Index) Lines(ctx context.Context, entryID int64) ([]Line, error) {
	if _, err := x.Entry(ctx, entryID); err != nil {
		return nil, err
	}
	rows, err := x.db.QueryContext(ctx, "SELECT "+lineColumns+` FROM lines l WHERE l.entry_id = ?
		ORDER BY l.start_ns, l.segment, l.lang != '', l.lang`, entryID)
	if err != nil {
		return nil, x.wrap("read lines from", err)
	}
	defer rows.Close()
	var out []Line
	for rows.Next() {
		l, err := scanLine(rows)
		if err != nil {
			return nil, x.wrap("read lines from", err)
		}
		out = append(out, l)
	}
	return out, x.wrap("read lines from", rows.Err())
}

// Search finds the lines matching query. Plain words match lines holding all of them, whatever their
// punctuation ("don't", "C++", "e-mail" search as text); "quoted words" match a phrase; word* matches a
// prefix; AND, OR, NOT (in capitals) and parentheses combine terms. A query that combines them wrongly
// ("foo AND") gives an error naming the query, never a crash.
func (x *Index) Search(ctx context.Context, query string, opt SearchOptions) ([]Hit, error) {
	match, err := ftsQuery(query)
	if err != nil {
		return nil, err
	}
	order := "e.created DESC, e.id DESC, l.start_ns, l.segment, l.lang"
	if opt.Order == Best {
		order = "bm25(lines_fts), e.created DESC, l.start_ns"
	}
	limit := limitOr(opt.Limit)
	entries := map[int64]*Entry{} // nil: a session whose folder is gone
	var out []Hit
	// Page by page: the order is found without highlighting (SQLite would highlight every match before
	// sorting them), then the page's lines are read and highlighted; a page may lose hits in deleted
	// sessions, so the next one fills up.
	for offset := 0; len(out) < limit; {
		page := limit - len(out)
		ids, err := x.matchIDs(ctx, match, order, page, offset)
		if err != nil {
			return nil, x.searchErr(query, err)
		}
		offset += len(ids)
		var keep []any
		for _, m := range ids {
			e, ok := entries[m.entry]
			if !ok {
				got, err := x.Entry(ctx, m.entry)
				if err != nil {
					return nil, err
				}
				if !gone(got) {
					e = &got
				}
				entries[m.entry] = e
			}
			if e != nil {
				keep = append(keep, m.line)
			}
		}
		if len(keep) > 0 {
			marked, err := x.marked(ctx, match, opt, keep)
			if err != nil {
				return nil, x.searchErr(query, err)
			}
			for _, id := range keep {
				if h, ok := marked[id.(int64)]; ok { // gone only if deleted meanwhile
					h.Entry = *entries[h.Line.EntryID]
					out = append(out, h)
				}
			}
		}
		if len(ids) < page {
			break
		}
	}
	return out, nil
}

// hitID is a matching line and its entry.
type hitID struct{ line, entry int64 }

// matchIDs is one page of the matching lines, in order.
func (x *Index) matchIDs(ctx context.Context, match, order string, limit, offset int) ([]hitID, error) {
	rows, err := x.db.QueryContext(ctx, `SELECT l.id, l.entry_id
		FROM lines_fts JOIN lines l ON l.id = lines_fts.rowid JOIN entries e ON e.id = l.entry_id
		WHERE lines_fts MATCH ? ORDER BY `+order+` LIMIT ? OFFSET ?`, match, limit, offset)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []hitID
	for rows.Next() {
		var m hitID
		if err := rows.Scan(&m.line, &m.entry); err != nil {
			return nil, err
		}
		out = append(out, m)
	}
	return out, rows.Err()
}

// marked reads the lines ids with their matched terms marked.
func (x *Index) marked(ctx context.Context, match string, opt SearchOptions, ids []any) (map[int64]Hit, error) {
	args := append([]any{opt.Open, opt.Close, match}, ids...)
	rows, err := x.db.QueryContext(ctx, "SELECT "+lineColumns+`, highlight(lines_fts, 0, ?, ?)
		FROM lines_fts JOIN lines l ON l.id = lines_fts.rowid
		WHERE lines_fts MATCH ? AND lines_fts.rowid IN (?`+strings.Repeat(", ?", len(ids)-1)+")", args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := make(map[int64]Hit, len(ids))
	for rows.Next() {
		var h Hit
		if h.Line, err = scanLine(rows, &h.Marked); err != nil {
			return nil, err
		}
		out[h.Line.ID] = h
	}
	return out, rows.Err()
}

// searchErr tells a query FTS5 could not parse (the user's to fix) from a failing database.
func (x *Index) searchErr(query string, err error) error {
	if msg := err.Error(); strings.Contains(msg, "fts5:") || strings.Contains(msg, "syntax error") {
		return fmt.Errorf("search %q: %w: %s (AND, OR and NOT need words on both sides; quote them to find the words themselves)",
			query, ErrQuery, msg)
	}
	return x.wrap(fmt.Sprintf("search %q in", query), err)
}

// EditLine replaces a line's text; the text as heard is kept (Line.Heard), and search finds the new
// text. Editing back to the heard text clears Edited.
func (x *Index) EditLine(ctx context.Context, lineID int64, text string) (Line, error) {
	text = strings.TrimSpace(text)
	if text == "" {
		return Line{}, fmt.Errorf("history: edit line %d: empty text (delete the entry to remove what was said)", lineID)
	}
	res, err := x.db.ExecContext(ctx, "UPDATE lines SET text = ? WHERE id = ?", text, lineID)
	if err != nil {
		return Line{}, x.wrap(fmt.Sprintf("edit line %d in", lineID), err)
	}
	if n, err := res.RowsAffected(); err == nil && n == 0 {
		return Line{}, fmt.Errorf("%w: line %d", ErrNotFound, lineID)
	}
	l, err := scanLine(x.db.QueryRowContext(ctx, "SELECT "+lineColumns+" FROM lines l WHERE l.id = ?", lineID))
	return l, x.wrap(fmt.Sprintf("read line %d from", lineID), err)
}

// Delete removes an entry. For a session it removes the session folder (audio and transcript) too, in
// the same step: the rows go only if the folder went, and a session being recorded is refused. For a
// file it removes only the index rows; the audio and the transcript file are the user's and stay.
func (x *Index) Delete(ctx context.Context, id int64) error {
	tx, err := x.db.BeginTx(ctx, nil)
	if err != nil {
		return x.wrap(fmt.Sprintf("delete entry %d from", id), err)
	}
	defer tx.Rollback()
	var kind, source string
	err = tx.QueryRowContext(ctx, "SELECT kind, source FROM entries WHERE id = ?", id).Scan(&kind, &source)
	if errors.Is(err, sql.ErrNoRows) {
		return fmt.Errorf("%w: entry %d", ErrNotFound, id)
	}
	if err != nil {
		return x.wrap(fmt.Sprintf("delete entry %d from", id), err)
	}
	if _, err := tx.ExecContext(ctx, "DELETE FROM entries WHERE id = ?", id); err != nil {
		return x.wrap(fmt.Sprintf("delete entry %d from", id), err)
	}
	if Kind(kind) == KindSession {
		// The folder goes while the rows' deletion is still uncommitted: if it cannot go (being
		// recorded, no permission) the rows stay and nothing changed. Commit failing after the folder
		// went leaves rows for a folder that is gone: results skip them and Reindex drops them.
		if _, err := os.Lstat(source); err == nil {
			dir, err := session.Find(filepath.Dir(source), filepath.Base(source))
			if err != nil {
				return fmt.Errorf("history: delete entry %d: %w", id, err)
			}
			if err := session.Remove(dir); err != nil {
				return fmt.Errorf("history: delete entry %d: %w", id, err)
			}
		} else if !errors.Is(err, os.ErrNotExist) {
			return fmt.Errorf("history: delete entry %d: %w", id, err)
		}
	}
	if err := tx.Commit(); err != nil {
		return x.wrap(fmt.Sprintf("delete entry %d from", id), err)
	}
	return nil
}

// DeleteSession deletes the session in folder dir: its entry's rows and the folder together when it is
// indexed, else just the folder — so that removing a session never leaves it in the history.
func (x *Index) DeleteSession(ctx context.Context, dir string) error {
	abs, err := filepath.Abs(dir)
	if err != nil {
		return fmt.Errorf("history: delete session %s: %w", dir, err)
	}
	var id int64
	err = x.db.QueryRowContext(ctx, "SELECT id FROM entries WHERE kind = 'session' AND source = ?", abs).Scan(&id)
	if errors.Is(err, sql.ErrNoRows) {
		found, err := session.Find(filepath.Dir(abs), filepath.Base(abs))
		if err != nil {
			return fmt.Errorf("history: delete session: %w", err)
		}
		return session.Remove(found)
	}
	if err != nil {
		return x.wrap("delete session "+dir+" from", err)
	}
	return x.Delete(ctx, id)
}
