package cli

import (
	"context"
	"fmt"
	"path/filepath"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/verbatim-app/verbatim/app/export"
	"github.com/verbatim-app/verbatim/app/history"
	"github.com/verbatim-app/verbatim/app/session"
	"github.com/verbatim-app/verbatim/app/transcript"
)

// runSessions lists the recorded sessions (repairing crashed ones first, as the window does on start),
// writes one's transcript (recover) or deletes one (remove).
func runSessions(ctx context.Context, env Env, args []string) error {
	fs := newFlags(env, "sessions", "[list | recover ID | remove ID]")
	format := fs.String("format", "txt", "recover: output format: "+strings.Join(export.Formats(), ", "))
	out := fs.String("o", "", "recover: write the transcript to this file (default: stdout)")
	overwrite := fs.Bool("overwrite", false, "recover: replace the -o file if it exists")
	lang := fs.String("lang", "", "recover: write the session's translation into this language instead of its transcript")
	if err := parse(fs, args); err != nil {
		return err
	}
	if err := export.Check(*format); err != nil {
		return fmt.Errorf("--format: %v: %w", err, ErrUsage)
	}
	root, err := session.DefaultRoot()
	if err != nil {
		return err
	}
	verb, rest := "list", fs.Args()
	if len(rest) > 0 {
		verb, rest = rest[0], rest[1:]
	}
	want := 1
	if verb == "list" {
		want = 0
	}
	if len(rest) != want {
		return fmt.Errorf("sessions %s takes %d argument(s), got %d: %w", verb, want, len(rest), ErrUsage)
	}
	switch verb {
	case "list":
		return listSessions(env, root)
	case "recover":
		dir, err := session.Find(root, rest[0])
		if err != nil {
			return err
		}
		info, err := session.Repair(dir)
		if err != nil {
			return err
		}
		doc := export.Doc{Title: rest[0], Language: *lang, Segments: inLanguage(info.Segments, *lang)}
		if len(doc.Segments) == 0 {
			fmt.Fprintf(env.Stderr, "verbatim sessions: no finished %s in %s (its audio is %s)\n", what(*lang), rest[0], info.AudioPath)
		}
		if *out == "" {
			err = export.Write(env.Stdout, *format, doc)
		} else {
			if !*overwrite && export.Exists(*out) {
				return fmt.Errorf("%s: %w (pass --overwrite to replace it)", *out, export.ErrExists)
			}
			var dst string
			if dst, err = export.WriteFile(*out, *format, doc, *overwrite); err == nil && dst != *out {
				fmt.Fprintf(env.Stderr, "verbatim sessions: %s appeared meanwhile; wrote %s instead\n", *out, dst)
			}
		}
		if err != nil {
			return err
		}
		// Dealt with: the window stops offering it back. Its files stay until 'remove'.
		return session.MarkComplete(dir)
	case "remove":
		dir, err := session.Find(root, rest[0])
		if err != nil {
			return err
		}
		// Through the history, so that the session leaves it with its folder.
		x, err := history.OpenDefault(ctx)
		if err != nil {
			fmt.Fprintf(env.Stderr, "verbatim sessions: history not updated (%v); 'verbatim history reindex' drops the session later\n", err)
			return session.Remove(dir)
		}
		defer x.Close()
		return x.DeleteSession(ctx, dir)
	}
	return fmt.Errorf("unknown sessions command %q (want list, recover or remove): %w", verb, ErrUsage)
}

func listSessions(env Env, root string) error {
	// Repair first: a crashed session's header then states its real length, as it does for the window.
	if _, err := session.Recover(root); err != nil {
		return err
	}
	infos, err := session.List(root)
	if err != nil {
		return err
	}
	if len(infos) == 0 {
		fmt.Fprintf(env.Stderr, "verbatim sessions: no sessions in %s\n", root)
		return nil
	}
	tw := tabwriter.NewWriter(env.Stdout, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "ID\tSTATE\tSTARTED\tAUDIO\tSEGMENTS\tTEXT")
	for _, in := range infos {
		state := "finished"
		switch {
		case session.InUse(in.Dir):
			state = "recording"
		case !in.Complete:
			state = "crashed"
		}
		segs := inLanguage(in.Segments, "")
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%d\t%s\n", filepath.Base(in.Dir), state, in.Created.Local().Format("2006-01-02 15:04"),
			in.AudioDuration.Round(time.Second), len(segs), preview(segs, 8))
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	fmt.Fprintf(env.Stderr, "verbatim sessions: in %s; 'verbatim sessions recover ID' writes one's transcript\n", root)
	return nil
}

// inLanguage keeps the final segments in lang ("" for the spoken transcript).
func inLanguage(segs []transcript.Segment, lang string) []transcript.Segment {
	var out []transcript.Segment
	for _, s := range segs {
		if s.Final && s.Lang == lang && strings.TrimSpace(s.Text) != "" {
			out = append(out, s)
		}
	}
	return out
}

func what(lang string) string {
	if lang == "" {
		return "transcript"
	}
	return "translation into " + lang
}

// preview is the first words of the segments' text.
func preview(segs []transcript.Segment, words int) string {
	var w []string
	for _, s := range segs {
		w = append(w, strings.Fields(s.Text)...)
		if len(w) > words {
			return strings.Join(w[:words], " ") + "…"
		}
	}
	return strings.Join(w, " ")
}
