package history

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/verbatim-app/verbatim/app/session"
	"github.com/verbatim-app/verbatim/app/transcript"
)

// importedKey marks, in meta, a database into which the existing session folders were imported.
const importedKey = "sessions_imported"

// row is an entry as written.
type row struct {
	kind                  Kind
	source, output, audio string
	systemAudio           string
	model                 string
	created               time.Time
	duration              time.Duration
}

// IndexSession indexes (or re-indexes) the live session in dir, read with session.Load: its final
// segments, spoken and translated. model names the model that heard it ("" keeps the name already
// indexed, if any). Edits made to its lines are kept while the line's heard text is unchanged.
func (x *Index) IndexSession(ctx context.Context, dir, model string) (Entry, error) {
	abs, err := filepath.Abs(dir)
	if err != nil {
		return Entry{}, fmt.Errorf("history: index session %s: %w", dir, err)
	}
	if st, err := os.Stat(abs); err != nil {
		return Entry{}, fmt.Errorf("history: index session: %w", err)
	} else if !st.IsDir() {
		return Entry{}, fmt.Errorf("history: index session %s: not a folder", dir)
	}
	info, err := session.Load(abs)
	if err != nil {
		return Entry{}, fmt.Errorf("history: index session %s: %w", dir, err)
	}
	return x.putSession(ctx, info, model)
}

func (x *Index) putSession(ctx context.Context, info session.Info, model string) (Entry, error) {
	abs, err := filepath.Abs(info.Dir)
	if err != nil {
		return Entry{}, fmt.Errorf("history: index session %s: %w", info.Dir, err)
	}
	audio := info.AudioPath
	if a, err := filepath.Abs(audio); err == nil {
		audio = a
	}
	created := info.Created
	if created.IsZero() {
		created = time.Now()
	}
	system := info.SystemAudioPath
	if a, err := filepath.Abs(system); err == nil && system != "" {
		system = a
	}
	id, err := x.put(ctx, row{kind: KindSession, source: abs, audio: audio, systemAudio: system, model: model, created: created,
		duration: info.AudioDuration}, info.Segments)
	if err != nil {
		return Entry{}, x.wrap("index session "+info.Dir+" in", err)
	}
	return x.Entry(ctx, id)
}

// IndexFile indexes a batch transcription's final segments. The same Source and Output indexed again
// (a --overwrite run) replace the earlier entry, keeping its ID.
func (x *Index) IndexFile(ctx context.Context, f FileEntry, segs []transcript.Segment) (Entry, error) {
	if f.Source == "" {
		return Entry{}, errors.New("history: index file: no source file")
	}
	src, err := filepath.Abs(f.Source)
	if err != nil {
		return Entry{}, fmt.Errorf("history: index file %s: %w", f.Source, err)
	}
	out := ""
	if f.Output != "" {
		if out, err = filepath.Abs(f.Output); err != nil {
			return Entry{}, fmt.Errorf("history: index file %s: %w", f.Output, err)
		}
	}
	created := f.Created
	if created.IsZero() {
		created = time.Now()
	}
	var end time.Duration
	for _, s := range indexable(segs) {
		end = max(end, s.End)
	}
	id, err := x.put(ctx, row{kind: KindFile, source: src, output: out, audio: src, model: f.Model, created: created,
		duration: end}, segs)
	if err != nil {
		return Entry{}, x.wrap("index "+f.Source+" in", err)
	}
	return x.Entry(ctx, id)
}

// indexable keeps the final segments with text: what an export writes.
func indexable(segs []transcript.Segment) []transcript.Segment {
	var out []transcript.Segment
	for _, s := range segs {
		if s.Final && strings.TrimSpace(s.Text) != "" {
			out = append(out, s)
		}
	}
	return out
}

type lineKey struct {
	segment int
	lang    string
}

// put writes one entry and its lines in one transaction: after a kill the entry is either all there
// or as it was before.
func (x *Index) put(ctx context.Context, r row, segs []transcript.Segment) (int64, error) {
	tx, err := x.db.BeginTx(ctx, nil)
	if err != nil {
		return 0, err
	}
	defer tx.Rollback()
	var id int64
	err = tx.QueryRowContext(ctx, `
		INSERT INTO entries (kind, source, output, audio, system_audio, model, created, duration, indexed)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)
		ON CONFLICT (kind, source, output) DO UPDATE SET
			audio = excluded.audio, system_audio = excluded.system_audio,
			model = CASE WHEN excluded.model = '' THEN model ELSE excluded.model END,
			created = excluded.created, duration = excluded.duration, indexed = excluded.indexed
		RETURNING id`,
		string(r.kind), r.source, r.output, r.audio, r.systemAudio, r.model, r.created.UnixNano(), int64(r.duration), time.Now().UnixNano(),
	).Scan(&id)
	if err != nil {
		return 0, err
	}
	type old struct {
		id          int64
		text, heard string
	}
	have := map[lineKey]old{}
	rows, err := tx.QueryContext(ctx, "SELECT id, segment, lang, text, heard FROM lines WHERE entry_id = ?", id)
	if err != nil {
		return 0, err
	}
	for rows.Next() {
		var o old
		var k lineKey
		if err := rows.Scan(&o.id, &k.segment, &k.lang, &o.text, &o.heard); err != nil {
			rows.Close()
			return 0, err
		}
		have[k] = o
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return 0, err
	}
	ins, err := tx.PrepareContext(ctx, `INSERT INTO lines (entry_id, segment, lang, speaker, start_ns, end_ns, text, heard)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?)`)
	if err != nil {
		return 0, err
	}
	defer ins.Close()
	seen := map[lineKey]bool{}
	for _, s := range indexable(segs) {
		k := lineKey{s.ID, s.Lang}
		if seen[k] {
			continue // a store never holds two; a hand-made list might
		}
		seen[k] = true
		o, ok := have[k]
		speaker := s.Speaker
		switch {
		case !ok:
			_, err = ins.ExecContext(ctx, id, s.ID, s.Lang, speaker, int64(s.Start), int64(s.End), s.Text, s.Text)
		case o.heard == s.Text:
			// The same words: an edit made to them stays.
			_, err = tx.ExecContext(ctx, "UPDATE lines SET speaker = ?, start_ns = ?, end_ns = ? WHERE id = ?",
				speaker, int64(s.Start), int64(s.End), o.id)
		default:
			// Heard anew (a file transcribed again): an edit of the old words no longer applies.
			if o.text != o.heard {
				slog.Warn("history: a line heard anew replaces its edit", "entry", r.source, "segment", s.ID,
					"edit", o.text, "heard", s.Text)
			}
			_, err = tx.ExecContext(ctx, "UPDATE lines SET speaker = ?, start_ns = ?, end_ns = ?, text = ?, heard = ? WHERE id = ?",
				speaker, int64(s.Start), int64(s.End), s.Text, s.Text, o.id)
		}
		if err != nil {
			return 0, err
		}
	}
	for k, o := range have {
		if !seen[k] {
			if _, err := tx.ExecContext(ctx, "DELETE FROM lines WHERE id = ?", o.id); err != nil {
				return 0, err
			}
		}
	}
	return id, tx.Commit()
}

// Reindex indexes every session folder under root again and drops the entries of sessions whose
// folder is gone. File entries are kept. A folder that cannot be read is logged and counted, and does
// not stop the others. It counts as the first-start import (ImportOnce then does nothing).
func (x *Index) Reindex(ctx context.Context, root string) (ReindexStats, error) {
	var st ReindexStats
	infos, err := session.List(root)
	if err != nil {
		return st, fmt.Errorf("history: reindex: %w", err)
	}
	for _, info := range infos {
		if err := ctx.Err(); err != nil {
			return st, err
		}
		if _, err := x.putSession(ctx, info, ""); err != nil {
			if ctx.Err() != nil {
				return st, ctx.Err()
			}
			slog.Warn("history: cannot index session", "dir", info.Dir, "err", err)
			st.Failed++
			continue
		}
		st.Sessions++
	}
	// Sessions deleted outside the index ('verbatim sessions remove', a file manager) leave it too.
	rows, err := x.db.QueryContext(ctx, "SELECT id, source FROM entries WHERE kind = 'session'")
	if err != nil {
		return st, x.wrap("reindex", err)
	}
	var gone []int64
	for rows.Next() {
		var id int64
		var dir string
		if err := rows.Scan(&id, &dir); err != nil {
			rows.Close()
			return st, x.wrap("reindex", err)
		}
		if _, err := os.Lstat(dir); errors.Is(err, os.ErrNotExist) {
			gone = append(gone, id)
		}
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return st, x.wrap("reindex", err)
	}
	for _, id := range gone {
		if _, err := x.db.ExecContext(ctx, "DELETE FROM entries WHERE id = ?", id); err != nil {
			return st, x.wrap("reindex", err)
		}
		st.Removed++
	}
	// A full reindex is the first-start import too: ImportOnce need not do it again.
	_, err = x.db.ExecContext(ctx, "INSERT OR REPLACE INTO meta (key, value) VALUES (?, ?)",
		importedKey, time.Now().Format(time.RFC3339))
	return st, x.wrap("reindex", err)
}

// ImportOnce runs Reindex the first time it is called on a database (a fresh one, or one made before
// sessions were indexed) and does nothing after; the bool reports whether it ran.
func (x *Index) ImportOnce(ctx context.Context, root string) (bool, error) {
	var v string
	err := x.db.QueryRowContext(ctx, "SELECT value FROM meta WHERE key = ?", importedKey).Scan(&v)
	switch {
	case err == nil:
		return false, nil
	case !errors.Is(err, sql.ErrNoRows):
		return false, x.wrap("import sessions into", err)
	}
	st, err := x.Reindex(ctx, root)
	if err != nil {
		return false, err
	}
	if st.Sessions > 0 || st.Failed > 0 {
		slog.Info("history: imported the existing sessions", "sessions", st.Sessions, "failed", st.Failed, "from", root)
	}
	return true, nil
}
