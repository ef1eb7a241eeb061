package cli

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/verbatim-app/verbatim/app/history"
	"github.com/verbatim-app/verbatim/app/session"
	"github.com/verbatim-app/verbatim/app/transcript"
)

// indexTimeout bounds indexing what a command wrote: the write lock may be held by another Verbatim for
// a while, and Ctrl-C must not stop what was heard from being indexed.
const indexTimeout = 30 * time.Second

// runHistory lists what was transcribed, searches it, shows one entry or rebuilds the index.
func runHistory(ctx context.Context, env Env, args []string) error {
	fs := newFlags(env, "history", "[list | search QUERY | show ID | reindex]")
	asJSON := fs.Bool("json", false, "print JSON instead of lines")
	limit := fs.Int("limit", 20, "list, search: most entries or matches printed")
	best := fs.Bool("best", false, "search: best matches first (default: newest first)")
	if err := parse(fs, args); err != nil {
		return err
	}
	if *limit <= 0 {
		return fmt.Errorf("--limit %d: want 1 or more: %w", *limit, ErrUsage)
	}
	verb, rest := "list", fs.Args()
	if len(rest) > 0 {
		verb, rest = rest[0], rest[1:]
	}
	switch {
	case verb == "search" && len(rest) == 0:
		return fmt.Errorf("history search needs a query: %w", ErrUsage)
	case (verb == "list" || verb == "reindex") && len(rest) > 0:
		return fmt.Errorf("history %s takes no argument, got %q: %w", verb, rest[0], ErrUsage)
	case verb == "show" && len(rest) != 1:
		return fmt.Errorf("history show takes one entry ID: %w", ErrUsage)
	case verb != "list" && verb != "search" && verb != "show" && verb != "reindex":
		return fmt.Errorf("unknown history command %q (want list, search, show or reindex): %w", verb, ErrUsage)
	}
	if verb == "reindex" {
		return reindexHistory(ctx, env)
	}
	x, err := history.OpenDefault(ctx)
	if err != nil {
		return err
	}
	defer x.Close()
	switch verb {
	case "search":
		opt := history.SearchOptions{Limit: *limit}
		if *best {
			opt.Order = history.Best
		}
		if env.StdoutIsTTY && !*asJSON {
			opt.Open, opt.Close = "\033[1m", "\033[0m"
		}
		query := strings.Join(rest, " ")
		hits, err := x.Search(ctx, query, opt)
		if err != nil {
			if errors.Is(err, history.ErrQuery) {
				return fmt.Errorf("%v: %w", err, ErrUsage)
			}
			return err
		}
		if *asJSON {
			return writeJSON(env.Stdout, jsonHits(hits))
		}
		if len(hits) == 0 {
			fmt.Fprintf(env.Stderr, "verbatim history: nothing said matches %q\n", query)
		}
		for _, h := range hits {
			fmt.Fprintf(env.Stdout, "%s · %s · %s · %s\n", h.Entry.Created.Local().Format("2006-01-02 15:04"),
				sourceName(h.Entry), clock(h.Line.Start), lineText(h.Line, h.Marked))
		}
		return nil
	case "show":
		id, err := strconv.ParseInt(rest[0], 10, 64)
		if err != nil {
			return fmt.Errorf("history show %q: want an entry ID ('verbatim history' lists them): %w", rest[0], ErrUsage)
		}
		e, err := x.Entry(ctx, id)
		if err != nil {
			return err
		}
		lines, err := x.Lines(ctx, id)
		if err != nil {
			return err
		}
		if *asJSON {
			return writeJSON(env.Stdout, jsonEntryLines{jsonEntryOf(e), jsonLines(lines)})
		}
		fmt.Fprintf(env.Stdout, "%s · %s\n", e.Created.Local().Format("2006-01-02 15:04"), sourceName(e))
		for _, l := range lines {
			fmt.Fprintf(env.Stdout, "[%s → %s] %s\n", clock(l.Start), clock(l.End), lineText(l, l.Text))
		}
		return nil
	}
	entries, err := x.Recent(ctx, *limit)
	if err != nil {
		return err
	}
	if *asJSON {
		out := make([]jsonEntry, 0, len(entries))
		for _, e := range entries {
			out = append(out, jsonEntryOf(e))
		}
		return writeJSON(env.Stdout, out)
	}
	if len(entries) == 0 {
		fmt.Fprintf(env.Stderr, "verbatim history: nothing transcribed yet (%s)\n", x.Path())
	}
	for _, e := range entries {
		fmt.Fprintf(env.Stdout, "%d · %s · %s · %s · %d lines · %s\n", e.ID, e.Created.Local().Format("2006-01-02 15:04"),
			sourceName(e), e.Duration.Round(time.Second), e.Lines, e.Preview)
	}
	return nil
}

// reindexHistory rebuilds the sessions' rows from their folders. A damaged database is moved aside
// (kept, for the batch transcripts only it listed) and a fresh one built.
func reindexHistory(ctx context.Context, env Env) error {
	path, err := history.DefaultPath()
	if err != nil {
		return err
	}
	root, err := session.DefaultRoot()
	if err != nil {
		return err
	}
	x, err := history.Open(path)
	if err == nil {
		if err = x.Check(ctx); err != nil {
			x.Close()
		}
	}
	if errors.Is(err, history.ErrDamaged) {
		moved, merr := history.MoveAside(path)
		if merr != nil {
			return errors.Join(err, merr)
		}
		fmt.Fprintf(env.Stderr, "verbatim history: %v\nverbatim history: moved it to %s and started a new one; the sessions are indexed again, files transcribed before are not\n", err, moved)
		x, err = history.Open(path)
	}
	if err != nil {
		return err
	}
	defer x.Close()
	st, err := x.Reindex(ctx, root)
	if err != nil {
		return err
	}
	fmt.Fprintf(env.Stderr, "verbatim history: indexed %d session(s) from %s", st.Sessions, root)
	if st.Removed > 0 {
		fmt.Fprintf(env.Stderr, "; dropped %d whose folder is gone", st.Removed)
	}
	if st.Failed > 0 {
		fmt.Fprintf(env.Stderr, "; %d could not be read (see the warnings above)", st.Failed)
	}
	fmt.Fprintf(env.Stderr, " into %s\n", x.Path())
	if st.Failed > 0 {
		return errReported
	}
	return nil
}

// sourceName is where an entry's words were said: the session's name or the audio file.
func sourceName(e history.Entry) string {
	if e.Kind == history.KindSession {
		return "session " + filepath.Base(e.Source)
	}
	return e.Source
}

// lineText is a line as printed: its speaker and language first, as listen prints them.
func lineText(l history.Line, text string) string {
	var b strings.Builder
	if l.Speaker != "" {
		b.WriteString(l.Speaker + ": ")
	}
	if l.Lang != "" {
		fmt.Fprintf(&b, "[%s] ", l.Lang)
	}
	b.WriteString(strings.Join(strings.Fields(text), " "))
	return b.String()
}

// The JSON shapes: times in RFC 3339, positions in seconds, as the json transcript format has them.
type jsonEntry struct {
	ID       int64   `json:"id"`
	Kind     string  `json:"kind"`
	Source   string  `json:"source"`
	Output   string  `json:"output,omitempty"`
	Audio    string  `json:"audio,omitempty"`
	Model    string  `json:"model,omitempty"`
	Created  string  `json:"created"`
	Duration float64 `json:"duration"`
	Lines    int     `json:"lines"`
	Preview  string  `json:"preview"`
}

type jsonLine struct {
	ID      int64   `json:"id"`
	Segment int     `json:"segment"`
	Start   float64 `json:"start"`
	End     float64 `json:"end"`
	Lang    string  `json:"lang,omitempty"`
	Speaker string  `json:"speaker,omitempty"`
	Text    string  `json:"text"`
	Heard   string  `json:"heard,omitempty"` // only when the text was edited
}

type jsonHit struct {
	Entry jsonEntry `json:"entry"`
	Line  jsonLine  `json:"line"`
}

type jsonEntryLines struct {
	Entry jsonEntry  `json:"entry"`
	Lines []jsonLine `json:"lines"`
}

func jsonEntryOf(e history.Entry) jsonEntry {
	return jsonEntry{ID: e.ID, Kind: string(e.Kind), Source: e.Source, Output: e.Output, Audio: e.Audio, Model: e.Model,
		Created: e.Created.Format(time.RFC3339), Duration: e.Duration.Seconds(), Lines: e.Lines, Preview: e.Preview}
}

func jsonLineOf(l history.Line) jsonLine {
	j := jsonLine{ID: l.ID, Segment: l.Segment, Start: l.Start.Seconds(), End: l.End.Seconds(), Lang: l.Lang, Speaker: l.Speaker, Text: l.Text}
	if l.Edited {
		j.Heard = l.Heard
	}
	return j
}

func jsonLines(ls []history.Line) []jsonLine {
	out := make([]jsonLine, 0, len(ls))
	for _, l := range ls {
		out = append(out, jsonLineOf(l))
	}
	return out
}

func jsonHits(hits []history.Hit) []jsonHit {
	out := make([]jsonHit, 0, len(hits))
	for _, h := range hits {
		out = append(out, jsonHit{jsonEntryOf(h.Entry), jsonLineOf(h.Line)})
	}
	return out
}

func writeJSON(w io.Writer, v any) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(v)
}

// historyIndexer indexes what a command wrote. Indexing is a convenience: a failure is one warning, and
// never touches the transcript or the session, which are on disk already.
type historyIndexer struct {
	env    Env
	model  string
	x      *history.Index
	failed bool
}

func newHistoryIndexer(env Env, model string) *historyIndexer {
	return &historyIndexer{env: env, model: model}
}

func (h *historyIndexer) index(do func(ctx context.Context, x *history.Index) error) {
	if h.failed {
		return
	}
	// Not the command's context: Ctrl-C ends the hearing, not the indexing of what was heard.
	ctx, cancel := context.WithTimeout(context.Background(), indexTimeout)
	defer cancel()
	if h.x == nil {
		x, err := history.OpenDefault(ctx)
		if err != nil {
			h.warn(err)
			return
		}
		h.x = x
	}
	if err := do(ctx, h.x); err != nil {
		h.warn(err)
	}
}

func (h *historyIndexer) warn(err error) {
	h.failed = true
	fmt.Fprintf(h.env.Stderr, "verbatim: warning: not added to the history (the transcript is saved): %v\n", err)
}

// file indexes a transcript written to out.
func (h *historyIndexer) file(src, out string, segs []transcript.Segment) {
	h.index(func(ctx context.Context, x *history.Index) error {
		_, err := x.IndexFile(ctx, history.FileEntry{Source: src, Output: out, Model: h.model}, segs)
		return err
	})
}

// session indexes a live session's folder.
func (h *historyIndexer) session(dir string) {
	h.index(func(ctx context.Context, x *history.Index) error {
		_, err := x.IndexSession(ctx, dir, h.model)
		return err
	})
}

func (h *historyIndexer) close() {
	if h.x != nil {
		h.x.Close()
	}
}

// name is the model as the history records it: its file's name, or "demo" for the bundled model.
func (m *modelFlags) name() string {
	if m.model == "" {
		return "demo"
	}
	return filepath.Base(m.model)
}

// indexSession adds a live session that ended to the history (listen's hook).
func indexSession(env Env, dir, model string) {
	h := newHistoryIndexer(env, model)
	defer h.close()
	h.session(dir)
}
