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

	"modernc.org/sqlite"

	"github.com/verbatim-app/verbatim/app/session"
)

// The connection settings every pooled connection gets: WAL lets the window read while a CLI run
// writes; synchronous=FULL makes a commit durable before it returns (a power cut keeps it too);
// immediate transactions take the write lock at BEGIN, so two writers wait (busy_timeout) instead of
// failing half-way.
const dsnParams = "?_busy_timeout=10000&_foreign_keys=1&_journal_mode=WAL&_synchronous=FULL&_txlock=immediate"

const schema = `
CREATE TABLE entries (
	id       INTEGER PRIMARY KEY,
	kind     TEXT    NOT NULL CHECK (kind IN ('session', 'file')),
	source   TEXT    NOT NULL,
	output   TEXT    NOT NULL DEFAULT '',
	audio    TEXT    NOT NULL DEFAULT '',
	system_audio TEXT NOT NULL DEFAULT '',
	model    TEXT    NOT NULL DEFAULT '',
	created  INTEGER NOT NULL, -- Unix nanoseconds
	duration INTEGER NOT NULL DEFAULT 0, -- nanoseconds
	indexed  INTEGER NOT NULL, -- Unix nanoseconds
	UNIQUE (kind, source, output)
);
CREATE INDEX entries_created ON entries (created);

CREATE TABLE lines (
	id       INTEGER PRIMARY KEY,
	entry_id INTEGER NOT NULL REFERENCES entries (id) ON DELETE CASCADE,
	segment  INTEGER NOT NULL,
	lang     TEXT    NOT NULL DEFAULT '',
	speaker  TEXT    NOT NULL DEFAULT '',
	start_ns INTEGER NOT NULL,
	end_ns   INTEGER NOT NULL,
	text     TEXT    NOT NULL, -- as edited, else as heard
	heard    TEXT    NOT NULL, -- as the model heard it
	UNIQUE (entry_id, segment, lang)
);

-- The full-text index reads its text from lines (external content); the triggers keep it in step,
-- in the same transaction as the change.
CREATE VIRTUAL TABLE lines_fts USING fts5 (text, content = 'lines', content_rowid = 'id',
	tokenize = 'unicode61 remove_diacritics 2');
CREATE TRIGGER lines_ai AFTER INSERT ON lines BEGIN
	INSERT INTO lines_fts (rowid, text) VALUES (new.id, new.text);
END;
CREATE TRIGGER lines_ad AFTER DELETE ON lines BEGIN
	INSERT INTO lines_fts (lines_fts, rowid, text) VALUES ('delete', old.id, old.text);
END;
CREATE TRIGGER lines_au AFTER UPDATE OF text ON lines BEGIN
	INSERT INTO lines_fts (lines_fts, rowid, text) VALUES ('delete', old.id, old.text);
	INSERT INTO lines_fts (rowid, text) VALUES (new.id, new.text);
END;

CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
`

// SQLite's primary result codes this package tells apart.
const (
	sqliteCorrupt = 11
	sqliteNotADB  = 26
)

// DefaultPath is the database's place: history.db in Verbatim's data folder, beside the sessions folder
// (session.DefaultRoot's parent: $XDG_DATA_HOME/verbatim/history.db on Linux).
func DefaultPath() (string, error) {
	root, err := session.DefaultRoot()
	if err != nil {
		return "", fmt.Errorf("history: %w", err)
	}
	return filepath.Join(filepath.Dir(root), FileName), nil
}

// Open opens the database at path, creating it (and its folder, private) when missing.
func Open(path string) (*Index, error) {
	if path == "" {
		return nil, errors.New("history: open: no database path")
	}
	if strings.ContainsRune(path, '?') {
		// The driver reads everything after '?' as connection settings.
		return nil, fmt.Errorf("history: open %s: a database path may not hold '?'", path)
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return nil, fmt.Errorf("history: open %s: %w", path, err)
	}
	// Create the file private before SQLite does: its -wal and -shm files take the database's mode, and
	// the transcripts are as private as the recordings.
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE, 0o600)
	if err != nil {
		return nil, fmt.Errorf("history: open %s: %w", path, err)
	}
	err = f.Chmod(0o600)
	f.Close()
	if err != nil {
		return nil, fmt.Errorf("history: open %s: %w", path, err)
	}
	db, err := sql.Open("sqlite", path+dsnParams)
	if err != nil {
		return nil, fmt.Errorf("history: open %s: %w", path, err)
	}
	x := &Index{db: db, path: path}
	// Two programs opening a new database at once (the window and a CLI run) can meet SQLITE_BUSY while one
	// switches it to WAL, where SQLite returns at once instead of waiting out busy_timeout: try again.
	deadline := time.Now().Add(openPatience)
	for {
		err = x.migrate(context.Background())
		if err == nil || !isBusy(err) || time.Now().After(deadline) {
			break
		}
		time.Sleep(20 * time.Millisecond)
	}
	if err != nil {
		db.Close()
		return nil, x.wrap("open", err)
	}
	return x, nil
}

// openPatience is how long Open waits for another program setting up the same database.
const openPatience = 10 * time.Second

// isBusy reports SQLite's SQLITE_BUSY (5) and its extended codes.
func isBusy(err error) bool {
	var c interface{ Code() int }
	return errors.As(err, &c) && c.Code()&0xff == 5
}

// migrate creates the schema in a new database and refuses one from a newer Verbatim.
func (x *Index) migrate(ctx context.Context) error {
	tx, err := x.db.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	defer tx.Rollback()
	var v int
	if err := tx.QueryRowContext(ctx, "PRAGMA user_version").Scan(&v); err != nil {
		return err
	}
	switch {
	case v == SchemaVersion:
		return nil
	case v > SchemaVersion:
		return fmt.Errorf("%w (schema %d; this one reads %d)", ErrNewerSchema, v, SchemaVersion)
	case v != 0:
		return fmt.Errorf("unknown schema version %d", v)
	}
	if _, err := tx.ExecContext(ctx, schema); err != nil {
		return fmt.Errorf("create schema: %w", err)
	}
	if _, err := tx.ExecContext(ctx, fmt.Sprintf("PRAGMA user_version = %d", SchemaVersion)); err != nil {
		return err
	}
	return tx.Commit()
}

// OpenDefault opens the database at DefaultPath and, the first time, imports the sessions already in
// session.DefaultRoot (ImportOnce).
func OpenDefault(ctx context.Context) (*Index, error) {
	path, err := DefaultPath()
	if err != nil {
		return nil, err
	}
	root, err := session.DefaultRoot()
	if err != nil {
		return nil, fmt.Errorf("history: %w", err)
	}
	x, err := Open(path)
	if err != nil {
		return nil, err
	}
	if _, err := x.ImportOnce(ctx, root); err != nil {
		x.Close()
		return nil, err
	}
	return x, nil
}

// Close closes the database.
func (x *Index) Close() error {
	if err := x.db.Close(); err != nil {
		return fmt.Errorf("history: close %s: %w", x.path, err)
	}
	return nil
}

// Check runs SQLite's integrity check; a damaged database gives an error wrapping ErrDamaged.
func (x *Index) Check(ctx context.Context) error {
	rows, err := x.db.QueryContext(ctx, "PRAGMA integrity_check")
	if err != nil {
		return x.wrap("check", err)
	}
	defer rows.Close()
	var problems []string
	for rows.Next() {
		var s string
		if err := rows.Scan(&s); err != nil {
			return x.wrap("check", err)
		}
		if s != "ok" {
			problems = append(problems, s)
		}
	}
	if err := rows.Err(); err != nil {
		return x.wrap("check", err)
	}
	if len(problems) > 0 {
		return fmt.Errorf("%w: %s: %s", ErrDamaged, x.path, strings.Join(problems, "; "))
	}
	// The full-text index is checked against its content table too.
	if _, err := x.db.ExecContext(ctx, "INSERT INTO lines_fts (lines_fts, rank) VALUES ('integrity-check', 1)"); err != nil {
		return fmt.Errorf("%w: %s: full-text index: %v", ErrDamaged, x.path, err)
	}
	return nil
}

// wrap names the operation and the database, and marks damage with ErrDamaged.
func (x *Index) wrap(op string, err error) error {
	if err == nil {
		return nil
	}
	var se *sqlite.Error
	if errors.As(err, &se) {
		switch se.Code() & 0xff {
		case sqliteCorrupt, sqliteNotADB:
			return fmt.Errorf("history: %s %s: %w: %v ('verbatim history reindex' rebuilds it)", op, x.path, ErrDamaged, err)
		}
	}
	return fmt.Errorf("history: %s %s: %w", op, x.path, err)
}

// MoveAside renames a damaged database (and its -wal and -shm files) to PATH.damaged-TIME, so that Open
// starts a fresh one; it returns the new name. Nothing is deleted.
func MoveAside(path string) (string, error) {
	to := path + ".damaged-" + time.Now().Format("20060102-150405")
	for i := 2; ; i++ {
		if _, err := os.Lstat(to); errors.Is(err, os.ErrNotExist) {
			break
		}
		to = fmt.Sprintf("%s.damaged-%s-%d", path, time.Now().Format("20060102-150405"), i)
	}
	// The three files go together or not at all: a log left beside a fresh database would be replayed
	// into it, and a database moved without its log would lose the log's commits.
	var moved []string
	for _, suffix := range []string{"-wal", "-shm", ""} {
		err := os.Rename(path+suffix, to+suffix)
		if errors.Is(err, os.ErrNotExist) {
			continue
		}
		if err != nil {
			for _, m := range moved {
				_ = os.Rename(to+m, path+m)
			}
			return "", fmt.Errorf("history: move %s aside: %w", path+suffix, err)
		}
		moved = append(moved, suffix)
	}
	return to, nil
}
