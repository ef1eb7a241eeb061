package history

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/verbatim-app/verbatim/app/session"
	"github.com/verbatim-app/verbatim/app/transcript"
)

func openTemp(t *testing.T) *Index {
	t.Helper()
	x, err := Open(filepath.Join(t.TempDir(), "data", FileName))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { x.Close() })
	return x
}

func seg(id int, start, end float64, text string) transcript.Segment {
	return transcript.Segment{ID: id, Start: secs(start), End: secs(end), Text: text, Final: true}
}

func secs(s float64) time.Duration { return time.Duration(s * float64(time.Second)) }

// record makes a finished session under root holding segs.
func record(t *testing.T, root string, segs ...transcript.Segment) string {
	t.Helper()
	s, err := session.Create(root)
	if err != nil {
		t.Fatal(err)
	}
	if err := s.WriteAudio(make([]float32, 16000)); err != nil {
		t.Fatal(err)
	}
	for _, g := range segs {
		if err := s.AppendSegment(g); err != nil {
			t.Fatal(err)
		}
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	return s.Dir()
}

func texts(hits []Hit) []string {
	var out []string
	for _, h := range hits {
		out = append(out, h.Marked)
	}
	return out
}

// A new database is private, in WAL mode with foreign keys on and the schema's version; reopening it
// keeps what was written; a database from a newer Verbatim is refused, not misread.
func TestOpenCreatesSchema(t *testing.T) {
	path := filepath.Join(t.TempDir(), "verbatim", FileName)
	x, err := Open(path)
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	for pragma, want := range map[string]string{"journal_mode": "wal", "foreign_keys": "1", "user_version": "1", "synchronous": "2"} {
		var got string
		if err := x.db.QueryRowContext(ctx, "PRAGMA "+pragma).Scan(&got); err != nil || got != want {
			t.Errorf("PRAGMA %s = %q, %v; want %q", pragma, got, err, want)
		}
	}
	if _, err := x.IndexFile(ctx, FileEntry{Source: "/a/talk.wav", Output: "/a/talk.txt", Model: "demo"},
		[]transcript.Segment{seg(1, 0, 1, "hello")}); err != nil {
		t.Fatal(err)
	}
	x.Close()
	for _, p := range []string{path, filepath.Dir(path)} {
		st, err := os.Stat(p)
		if err != nil {
			t.Fatal(err)
		}
		if m := st.Mode().Perm(); m&0o077 != 0 {
			t.Errorf("%s has mode %v; want it private to its owner", p, m)
		}
	}
	x, err = Open(path)
	if err != nil {
		t.Fatal(err)
	}
	if es, err := x.Recent(ctx, 0); err != nil || len(es) != 1 || es[0].Model != "demo" {
		t.Errorf("reopened: %+v, %v; want the one entry", es, err)
	}
	if _, err := x.db.ExecContext(ctx, "PRAGMA user_version = 7"); err != nil {
		t.Fatal(err)
	}
	x.Close()
	if _, err := Open(path); !errors.Is(err, ErrNewerSchema) {
		t.Errorf("Open of a schema 7 database: %v; want ErrNewerSchema", err)
	}
}

func TestDefaultPathBesideSessions(t *testing.T) {
	data := t.TempDir()
	t.Setenv("XDG_DATA_HOME", data)
	got, err := DefaultPath()
	if want := filepath.Join(data, "verbatim", "history.db"); got != want || err != nil {
		t.Errorf("DefaultPath() = %q, %v; want %q", got, err, want)
	}
	root, _ := session.DefaultRoot()
	if filepath.Dir(root) != filepath.Dir(got) {
		t.Errorf("history.db in %s, sessions in %s: want one data folder", filepath.Dir(got), root)
	}
}

func TestFTSQuery(t *testing.T) {
	for _, tc := range []struct{ in, want string }{
		{"hello", `"hello"`},
		{"red box", `"red" "box"`},
		{"don't", `"don't"`},
		{"C++", `"C++"`},
		{"e-mail 10:30", `"e-mail" "10:30"`},
		{`say "red box"`, `"say" "red box"`},
		{`"unclosed phrase`, `"unclosed phrase"`},
		{`a"b`, `"a" "b"`},
		{`he said "hi"`, `"he" "said" "hi"`},
		{"kitch*", `"kitch"*`},
		{"*", `"*"`},
		{"red OR blue", `"red" OR "blue"`},
		{"red or blue", `"red" "or" "blue"`},
		{"(red OR blue) box", `( "red" OR "blue" ) "box"`},
		{"(laughs", `"(laughs"`},
		{":)", `":)"`},
		{"text:box", `"text:box"`},
		{`quote"d`, `"quote" "d"`},
		{"NEAR(a b)", `"NEAR" ( "a" "b" )`},
	} {
		got, err := ftsQuery(tc.in)
		if err != nil || got != tc.want {
			t.Errorf("ftsQuery(%q) = %q, %v; want %q", tc.in, got, err, tc.want)
		}
	}
	for _, q := range []string{"", "   "} {
		if _, err := ftsQuery(q); !errors.Is(err, ErrQuery) {
			t.Errorf("ftsQuery(%q): %v; want ErrQuery", q, err)
		}
	}
}

// Search finds each line holding the words, marks them with the caller's markers, newest entry first
// (or best match first); punctuation is text, and a malformed query is an error naming it.
func TestSearch(t *testing.T) {
	x := openTemp(t)
	ctx := context.Background()
	t0 := time.Date(2025, 3, 1, 10, 0, 0, 0, time.UTC)
	older, err := x.IndexFile(ctx, FileEntry{Source: "/rec/monday.wav", Output: "/rec/monday.txt", Model: "demo", Created: t0},
		[]transcript.Segment{
			seg(1, 0.5, 2, "Bring the red box to the kitchen."),
			seg(2, 3, 4, "I don't know C++ at all."),
			{ID: 2, Start: secs(3), End: secs(4), Text: "No sé C++ para nada.", Lang: "es", Final: true},
			{ID: 3, Start: secs(5), End: secs(6), Text: "a provisional kitchen", Final: false}, // not indexed
			seg(4, 7, 8, "   "), // nothing said: not indexed
		})
	if err != nil {
		t.Fatal(err)
	}
	newer, err := x.IndexFile(ctx, FileEntry{Source: "/rec/tuesday.wav", Model: "demo", Created: t0.Add(24 * time.Hour)},
		[]transcript.Segment{seg(1, 10, 12, "The kitchen is closed; the kitchen is red.")})
	if err != nil {
		t.Fatal(err)
	}
	if older.Lines != 3 || older.Duration != secs(4) || older.Preview != "Bring the red box to the kitchen. I don't know C++ at…" {
		t.Errorf("entry %+v: want 3 lines, 4 s, the spoken text as preview", older)
	}
	for _, tc := range []struct {
		query string
		opt   SearchOptions
		want  []string
	}{
		{"kitchen", SearchOptions{Open: "[", Close: "]"}, []string{
			"The [kitchen] is closed; the [kitchen] is red.", "Bring the red box to the [kitchen]."}},
		{"KITCHEN red", SearchOptions{Open: "<", Close: ">"}, []string{
			"The <kitchen> is closed; the <kitchen> is <red>.", "Bring the <red> box to the <kitchen>."}},
		{"kitchen", SearchOptions{Limit: 1}, []string{"The kitchen is closed; the kitchen is red."}},
		{"kitchen", SearchOptions{Order: Best, Open: "[", Close: "]"}, []string{ // two matches in a short line rank first
			"The [kitchen] is closed; the [kitchen] is red.", "Bring the red box to the [kitchen]."}},
		{`"red box"`, SearchOptions{Open: "[", Close: "]"}, []string{"Bring the [red box] to the kitchen."}},
		{"kitch*", SearchOptions{}, []string{"The kitchen is closed; the kitchen is red.", "Bring the red box to the kitchen."}},
		{"don't", SearchOptions{Open: "[", Close: "]"}, []string{"I [don't] know C++ at all."}},
		{"C++", SearchOptions{Open: "[", Close: "]"}, []string{"I don't know [C]++ at all.", "No sé [C]++ para nada."}},
		{"se", SearchOptions{Open: "[", Close: "]"}, []string{"No [sé] C++ para nada."}}, // diacritics folded
		{"red NOT box", SearchOptions{}, []string{"The kitchen is closed; the kitchen is red."}},
		{"box OR closed", SearchOptions{}, []string{"The kitchen is closed; the kitchen is red.", "Bring the red box to the kitchen."}},
		{"provisional", SearchOptions{}, nil},
		{"giraffe", SearchOptions{}, nil},
		{"+++", SearchOptions{}, nil},
	} {
		hits, err := x.Search(ctx, tc.query, tc.opt)
		if err != nil {
			t.Errorf("Search(%q): %v", tc.query, err)
			continue
		}
		if got := texts(hits); strings.Join(got, "|") != strings.Join(tc.want, "|") {
			t.Errorf("Search(%q, %+v) = %q; want %q", tc.query, tc.opt, got, tc.want)
		}
	}
	hits, err := x.Search(ctx, "closed", SearchOptions{})
	if err != nil || len(hits) != 1 {
		t.Fatalf("Search(closed) = %+v, %v", hits, err)
	}
	h := hits[0]
	if h.Entry.ID != newer.ID || h.Entry.Source != "/rec/tuesday.wav" || h.Entry.Output != "" || h.Line.Start != secs(10) ||
		h.Line.End != secs(12) || h.Line.Segment != 1 || h.Entry.Created.UnixNano() != t0.Add(24*time.Hour).UnixNano() {
		t.Errorf("hit %+v: want tuesday.wav at 10 s", h)
	}
	for _, q := range []string{"foo AND", "AND", "NOT red", "red OR", "()", "(red OR) box"} {
		_, err := x.Search(ctx, q, SearchOptions{})
		if !errors.Is(err, ErrQuery) || !strings.Contains(err.Error(), `search "`+q+`"`) {
			t.Errorf("Search(%q): %v; want ErrQuery naming the query", q, err)
		}
	}
}

// A session is indexed from its folder; indexed again (it grew, or Reindex) its lines follow the
// journal and an edit made to a line survives; the edit is what search finds, the heard text is kept.
func TestIndexSessionAndEdit(t *testing.T) {
	x := openTemp(t)
	ctx := context.Background()
	root := t.TempDir()
	dir := record(t, root, seg(1, 1, 2, "hello world"), seg(2, 3, 4, "the meeting starts at noon"),
		transcript.Segment{ID: 2, Start: secs(3), End: secs(4), Text: "la reunión empieza a mediodía", Lang: "es", Final: true})
	e, err := x.IndexSession(ctx, dir, "gemma")
	if err != nil {
		t.Fatal(err)
	}
	if e.Kind != KindSession || e.Source != dir || e.Audio != filepath.Join(dir, "audio.wav") || e.Model != "gemma" ||
		e.Lines != 3 || e.Duration != time.Second {
		t.Errorf("entry %+v", e)
	}
	lines, err := x.Lines(ctx, e.ID)
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, l := range lines {
		got = append(got, l.Lang+":"+l.Text)
	}
	if want := []string{":hello world", ":the meeting starts at noon", "es:la reunión empieza a mediodía"}; strings.Join(got, "|") != strings.Join(want, "|") {
		t.Errorf("lines %q; want %q", got, want)
	}
	edited, err := x.EditLine(ctx, lines[1].ID, "  the meeting starts at one  ")
	if err != nil {
		t.Fatal(err)
	}
	if edited.Text != "the meeting starts at one" || edited.Heard != "the meeting starts at noon" || !edited.Edited {
		t.Errorf("edited line %+v", edited)
	}
	// The session goes on (reopened after a crash, say) and is indexed again with no model named.
	s, err := session.Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	if err := s.AppendSegment(seg(3, 5, 6, "see you then")); err != nil {
		t.Fatal(err)
	}
	s.Close()
	again, err := x.IndexSession(ctx, dir, "")
	if err != nil {
		t.Fatal(err)
	}
	if again.ID != e.ID || again.Model != "gemma" || again.Lines != 4 {
		t.Errorf("re-indexed entry %+v; want the same ID and model, 4 lines", again)
	}
	for q, want := range map[string]int{"one": 1, "noon": 0, "then": 1, "mediodía": 1} {
		if hits, err := x.Search(ctx, q, SearchOptions{}); err != nil || len(hits) != want {
			t.Errorf("Search(%q) = %d hits, %v; want %d", q, len(hits), err, want)
		}
	}
	l, err := x.EditLine(ctx, lines[1].ID, "the meeting starts at noon")
	if err != nil || l.Edited {
		t.Errorf("edited back to the heard text: %+v, %v; want Edited false", l, err)
	}
	for _, tc := range []struct {
		id   int64
		text string
	}{{lines[0].ID, " "}, {999, "x"}} {
		if _, err := x.EditLine(ctx, tc.id, tc.text); err == nil {
			t.Errorf("EditLine(%d, %q) succeeded", tc.id, tc.text)
		}
	}
	if _, err := x.EditLine(ctx, 999, "x"); !errors.Is(err, ErrNotFound) {
		t.Errorf("EditLine of no line: %v; want ErrNotFound", err)
	}
	if _, err := x.Lines(ctx, 999); !errors.Is(err, ErrNotFound) {
		t.Errorf("Lines of no entry: %v; want ErrNotFound", err)
	}
	if _, err := x.IndexSession(ctx, filepath.Join(root, "nope"), ""); err == nil {
		t.Error("IndexSession of a missing folder succeeded")
	}
}

// The same file transcribed again into the same output replaces its entry; into another output (a
// translation, another format) it is a second entry.
func TestIndexFileAgain(t *testing.T) {
	x := openTemp(t)
	ctx := context.Background()
	f := FileEntry{Source: "talk.wav", Output: "talk.txt", Model: "demo"}
	a, err := x.IndexFile(ctx, f, []transcript.Segment{seg(1, 0, 1, "first try"), seg(2, 1, 2, "more")})
	if err != nil {
		t.Fatal(err)
	}
	if abs, _ := filepath.Abs("talk.wav"); a.Source != abs || a.Audio != abs {
		t.Errorf("source %q, audio %q: want absolute %q", a.Source, a.Audio, abs)
	}
	b, err := x.IndexFile(ctx, f, []transcript.Segment{seg(1, 0, 1, "second try")})
	if err != nil {
		t.Fatal(err)
	}
	if b.ID != a.ID || b.Lines != 1 || b.Preview != "second try" {
		t.Errorf("again: %+v; want entry %d with the new line only", b, a.ID)
	}
	f.Output = "talk.es.txt"
	if c, err := x.IndexFile(ctx, f, nil); err != nil || c.ID == a.ID || c.Lines != 0 {
		t.Errorf("other output: %+v, %v; want a second, empty entry", c, err)
	}
	if es, _ := x.Recent(ctx, 0); len(es) != 2 {
		t.Errorf("%d entries; want 2", len(es))
	}
	if _, err := x.IndexFile(ctx, FileEntry{}, nil); err == nil {
		t.Error("IndexFile with no source succeeded")
	}
}

// Deleting a session removes its folder and its rows together; one being recorded is refused and
// stays whole. Deleting a file's entry keeps the user's files.
func TestDelete(t *testing.T) {
	x := openTemp(t)
	ctx := context.Background()
	root := t.TempDir()
	dir := record(t, root, seg(1, 0, 1, "secret plans"))
	e, err := x.IndexSession(ctx, dir, "")
	if err != nil {
		t.Fatal(err)
	}
	s, err := session.Open(dir) // being recorded
	if err != nil {
		t.Fatal(err)
	}
	if err := x.Delete(ctx, e.ID); !errors.Is(err, session.ErrInUse) {
		t.Errorf("Delete of a session being recorded: %v; want ErrInUse", err)
	}
	if _, err := os.Stat(dir); err != nil {
		t.Errorf("the session folder went: %v", err)
	}
	if hits, _ := x.Search(ctx, "secret", SearchOptions{}); len(hits) != 1 {
		t.Errorf("after a refused delete, %d hits; want the line still indexed", len(hits))
	}
	s.Close()
	if err := x.Delete(ctx, e.ID); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(dir); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("session folder after Delete: %v; want it gone", err)
	}
	if hits, _ := x.Search(ctx, "secret", SearchOptions{}); len(hits) != 0 {
		t.Errorf("after Delete, %d hits", len(hits))
	}
	if _, err := x.Entry(ctx, e.ID); !errors.Is(err, ErrNotFound) {
		t.Errorf("Entry after Delete: %v; want ErrNotFound", err)
	}
	if err := x.Delete(ctx, e.ID); !errors.Is(err, ErrNotFound) {
		t.Errorf("second Delete: %v; want ErrNotFound", err)
	}
	var n int
	x.db.QueryRow("SELECT count(*) FROM lines").Scan(&n)
	if n != 0 {
		t.Errorf("%d lines left after Delete", n)
	}

	src := filepath.Join(t.TempDir(), "talk.wav")
	os.WriteFile(src, []byte("audio"), 0o644)
	out := src + ".txt"
	os.WriteFile(out, []byte("text"), 0o644)
	f, err := x.IndexFile(ctx, FileEntry{Source: src, Output: out}, []transcript.Segment{seg(1, 0, 1, "kept")})
	if err != nil {
		t.Fatal(err)
	}
	if err := x.Delete(ctx, f.ID); err != nil {
		t.Fatal(err)
	}
	for _, p := range []string{src, out} {
		if _, err := os.Stat(p); err != nil {
			t.Errorf("Delete of a file entry removed %s: %v", p, err)
		}
	}
	if err := x.Check(ctx); err != nil {
		t.Error(err)
	}
}

// Reindex rebuilds the sessions' rows from their folders into an empty database, drops those whose
// folder is gone and keeps file entries; ImportOnce does it the first time only.
func TestReindex(t *testing.T) {
	ctx := context.Background()
	root := filepath.Join(t.TempDir(), "sessions")
	a := record(t, root, seg(1, 0, 1, "alpha one"))
	b := record(t, root, seg(1, 0, 1, "bravo two"), seg(2, 2, 3, "bravo three"))
	x := openTemp(t)
	if ok, err := x.ImportOnce(ctx, root); !ok || err != nil {
		t.Fatalf("first ImportOnce: %v, %v", ok, err)
	}
	if es, _ := x.Recent(ctx, 0); len(es) != 2 || es[0].Source != b || es[1].Source != a {
		t.Fatalf("imported %+v; want b then a", es)
	}
	c := record(t, root, seg(1, 0, 1, "charlie"))
	if ok, err := x.ImportOnce(ctx, root); ok || err != nil {
		t.Errorf("second ImportOnce: %v, %v; want nothing done", ok, err)
	}
	if _, err := x.IndexFile(ctx, FileEntry{Source: "/x/file.wav"}, []transcript.Segment{seg(1, 0, 1, "delta")}); err != nil {
		t.Fatal(err)
	}
	if err := session.Remove(a); err != nil {
		t.Fatal(err)
	}
	if hits, _ := x.Search(ctx, "alpha", SearchOptions{}); len(hits) != 0 {
		t.Errorf("a session removed outside the index still found: %+v", hits)
	}
	st, err := x.Reindex(ctx, root)
	if err != nil || st != (ReindexStats{Sessions: 2, Removed: 1}) {
		t.Errorf("Reindex = %+v, %v; want 2 sessions, 1 removed", st, err)
	}
	es, _ := x.Recent(ctx, 0)
	var got []string
	for _, e := range es {
		got = append(got, e.Preview)
	}
	if strings.Join(got, "|") != "delta|charlie|bravo two bravo three" {
		t.Errorf("after Reindex: %q", got)
	}
	_ = c
	if es, _ := x.Recent(ctx, 2); len(es) != 2 {
		t.Errorf("Recent(2) gave %d", len(es))
	}
}

// A file that is not a database is reported as damaged, named, with the way out; MoveAside keeps it
// and a fresh database opens in its place.
func TestDamagedDatabase(t *testing.T) {
	path := filepath.Join(t.TempDir(), FileName)
	if err := os.WriteFile(path, []byte(strings.Repeat("not a database ", 500)), 0o600); err != nil {
		t.Fatal(err)
	}
	_, err := Open(path)
	if !errors.Is(err, ErrDamaged) || !strings.Contains(err.Error(), path) || !strings.Contains(err.Error(), "reindex") {
		t.Fatalf("Open of garbage: %v; want ErrDamaged naming the file and reindex", err)
	}
	moved, err := MoveAside(path)
	if err != nil {
		t.Fatal(err)
	}
	if b, err := os.ReadFile(moved); err != nil || !strings.HasPrefix(string(b), "not a database") {
		t.Errorf("moved file %s: %v", moved, err)
	}
	x, err := Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer x.Close()
	if err := x.Check(context.Background()); err != nil {
		t.Error(err)
	}
}

// Two handles (the window and a CLI run) write at once: each waits for the other, none fails.
func TestConcurrentWriters(t *testing.T) {
	path := filepath.Join(t.TempDir(), FileName)
	ctx := context.Background()
	errs := make(chan error, 2)
	for w := range 2 {
		go func() {
			x, err := Open(path)
			if err != nil {
				errs <- err
				return
			}
			defer x.Close()
			for i := range 20 {
				src := filepath.Join("/w", string(rune('a'+w)), time.Duration(i).String()+".wav")
				if _, err := x.IndexFile(ctx, FileEntry{Source: src}, []transcript.Segment{seg(1, 0, 1, "word")}); err != nil {
					errs <- err
					return
				}
			}
			errs <- nil
		}()
	}
	for range 2 {
		if err := <-errs; err != nil {
			t.Fatal(err)
		}
	}
	x, err := Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer x.Close()
	if hits, err := x.Search(ctx, "word", SearchOptions{Limit: 100}); err != nil || len(hits) != 40 {
		t.Errorf("%d hits, %v; want 40", len(hits), err)
	}
	var _ *sql.DB = x.db
}

// A call recorded from both sides: each line keeps who spoke, and the entry names both audio files.
func TestSpeakersAndSystemAudio(t *testing.T) {
	x := openTemp(t)
	ctx := context.Background()
	s, err := session.Create(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	if err := s.WriteSystemAudio(make([]float32, 1600)); err != nil {
		t.Fatal(err)
	}
	for _, g := range []transcript.Segment{
		{ID: 1, Start: secs(1), End: secs(2), Text: "can you hear me", Speaker: transcript.Mic, Final: true},
		{ID: 2, Start: secs(2), End: secs(3), Text: "yes I can hear you", Speaker: transcript.System, Final: true},
	} {
		if err := s.AppendSegment(g); err != nil {
			t.Fatal(err)
		}
	}
	s.Close()
	e, err := x.IndexSession(ctx, s.Dir(), "")
	if err != nil {
		t.Fatal(err)
	}
	if e.SystemAudio != filepath.Join(s.Dir(), "system.wav") {
		t.Errorf("SystemAudio %q", e.SystemAudio)
	}
	hits, err := x.Search(ctx, "hear", SearchOptions{})
	if err != nil || len(hits) != 2 || hits[0].Line.Speaker != "You" || hits[1].Line.Speaker != "Others" {
		t.Errorf("hits %+v, %v; want You's line then Others'", hits, err)
	}
}

// Hits in a session deleted outside the index are left out, and the next matches fill the limit.
func TestSearchSkipsDeletedSessions(t *testing.T) {
	x := openTemp(t)
	ctx := context.Background()
	root := t.TempDir()
	var dirs []string
	for i := range 3 {
		d := record(t, root, seg(1, 0, 1, fmt.Sprintf("budget number %d", i)))
		if _, err := x.IndexSession(ctx, d, ""); err != nil {
			t.Fatal(err)
		}
		dirs = append(dirs, d)
	}
	if err := os.RemoveAll(dirs[2]); err != nil { // the newest
		t.Fatal(err)
	}
	hits, err := x.Search(ctx, "budget", SearchOptions{Limit: 1})
	if err != nil || len(hits) != 1 || hits[0].Line.Text != "budget number 1" {
		t.Errorf("Search limit 1 = %+v, %v; want the newest session still there", hits, err)
	}
	hits, err = x.Search(ctx, "budget", SearchOptions{Limit: 5})
	if got := texts(hits); err != nil || strings.Join(got, "|") != "budget number 1|budget number 0" {
		t.Errorf("Search = %q, %v", got, err)
	}
	if es, _ := x.Recent(ctx, 5); len(es) != 2 {
		t.Errorf("Recent lists %d entries; want the 2 whose folder is there", len(es))
	}
}

func TestDeleteSession(t *testing.T) {
	x := openTemp(t)
	ctx := context.Background()
	root := t.TempDir()
	indexed := record(t, root, seg(1, 0, 1, "secret plans"))
	if _, err := x.IndexSession(ctx, indexed, ""); err != nil {
		t.Fatal(err)
	}
	unindexed := record(t, root, seg(1, 0, 1, "other plans"))
	for _, dir := range []string{indexed, unindexed} {
		if err := x.DeleteSession(ctx, dir); err != nil {
			t.Fatalf("DeleteSession(%s): %v", dir, err)
		}
		if _, err := os.Stat(dir); !errors.Is(err, os.ErrNotExist) {
			t.Errorf("session folder %s after DeleteSession: %v; want it gone", dir, err)
		}
	}
	if hits, _ := x.Search(ctx, "plans", SearchOptions{}); len(hits) != 0 {
		t.Errorf("after DeleteSession, %d hits", len(hits))
	}
	var n int
	x.db.QueryRow("SELECT count(*) FROM entries").Scan(&n)
	if n != 0 {
		t.Errorf("%d entries left", n)
	}
	if err := x.DeleteSession(ctx, filepath.Join(root, "no-such-session")); err == nil {
		t.Error("DeleteSession of a folder that is not a session: no error")
	}
}
