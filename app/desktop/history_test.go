package desktop

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/verbatim-app/verbatim/app/history"
	"github.com/verbatim-app/verbatim/app/session"
	"github.com/verbatim-app/verbatim/app/transcript"
	"github.com/verbatim-app/verbatim/capture/pcm"
)

// recordSession writes a finished session of lines (one second each) under root.
func recordSession(t *testing.T, root string, lines ...transcript.Segment) string {
	t.Helper()
	s, err := session.Create(root)
	if err != nil {
		t.Fatal(err)
	}
	if err := s.WriteAudio(make([]float32, pcm.Rate*len(lines))); err != nil {
		t.Fatal(err)
	}
	for i, l := range lines {
		l.ID, l.Final = i, true
		l.Start, l.End = time.Duration(i)*time.Second, time.Duration(i+1)*time.Second
		if err := s.AppendSegment(l); err != nil {
			t.Fatal(err)
		}
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	return s.Dir()
}

func TestHistoryService(t *testing.T) {
	ctx := context.Background()
	root := t.TempDir()
	older := recordSession(t, root,
		transcript.Segment{Text: "The budget for next year is ready."},
		transcript.Segment{Text: "Let's review it on Monday."})
	time.Sleep(1100 * time.Millisecond) // session folders are named by the second
	newer := recordSession(t, root,
		transcript.Segment{Text: "Can you hear me?", Speaker: transcript.Mic},
		transcript.Segment{Text: "Yes, the budget call is on.", Speaker: transcript.System})
	h := NewHistory(filepath.Join(t.TempDir(), "history.db"), root, nil)
	defer h.Close()

	entries, err := h.Recent(ctx, 0)
	if err != nil {
		t.Fatal(err)
	}
	if len(entries) != 2 || entries[0].Source != newer || entries[1].Source != older {
		t.Fatalf("Recent = %+v, want the two sessions newest first", entries)
	}
	call := entries[0]
	if PlaySource(call) != newer {
		t.Errorf("a session plays from %q, want its folder", PlaySource(call))
	}

	hits, err := h.Search(ctx, "budget", 0)
	if err != nil {
		t.Fatal(err)
	}
	if len(hits) != 2 || hits[0].Entry.ID != call.ID {
		t.Fatalf("Search budget = %+v, want both sessions' lines, the newest first", hits)
	}
	if want := "the " + MarkOpen + "budget" + MarkClose + " call"; !strings.Contains(hits[0].Marked, want) {
		t.Errorf("Marked = %q, want the match between the marks: %q", hits[0].Marked, want)
	}

	lines, err := h.Lines(ctx, call.ID)
	if err != nil || len(lines) != 2 {
		t.Fatalf("Lines = %+v, %v", lines, err)
	}
	if _, err := h.EditLine(ctx, lines[1].ID, "Yes, the budget meeting is on."); err != nil {
		t.Fatal(err)
	}
	if hits, err := h.Search(ctx, "meeting", 0); err != nil || len(hits) != 1 {
		t.Errorf("the edited word is not found: %+v, %v", hits, err)
	}

	if n, err := h.RenameSpeaker(ctx, call, transcript.System, "Alice"); err != nil || n != 1 {
		t.Fatalf("RenameSpeaker = %d, %v", n, err)
	}
	lines, _ = h.Lines(ctx, call.ID)
	if lines[1].Speaker != "Alice" || lines[0].Speaker != transcript.Mic {
		t.Errorf("speakers after the rename: %q, %q", lines[0].Speaker, lines[1].Speaker)
	}
	if lines[1].Text != "Yes, the budget meeting is on." {
		t.Errorf("the rename lost the edit: %q", lines[1].Text)
	}

	doc, err := h.Doc(ctx, call)
	if err != nil {
		t.Fatal(err)
	}
	if len(doc.Segments) != 2 || doc.Segments[1].Text != "Yes, the budget meeting is on." || doc.Segments[1].Speaker != "Alice" || !doc.Segments[1].Final {
		t.Errorf("export doc = %+v", doc.Segments)
	}

	if err := h.Delete(ctx, call.ID); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(newer); !os.IsNotExist(err) {
		t.Errorf("the deleted session's folder is still there: %v", err)
	}
	if entries, _ := h.Recent(ctx, 0); len(entries) != 1 || entries[0].Source != older {
		t.Errorf("after Delete: %+v", entries)
	}
	if _, err := h.RenameSpeaker(ctx, history.Entry{Kind: history.KindFile, Source: "/x.wav"}, "A", "B"); err == nil {
		t.Error("renamed a speaker of a transcribed file")
	}
}

// A damaged database is moved aside, not deleted, and the history is rebuilt from the sessions.
func TestHistoryRebuildsADamagedDatabase(t *testing.T) {
	ctx := context.Background()
	root := t.TempDir()
	dir := recordSession(t, root, transcript.Segment{Text: "Nothing is lost."})
	db := filepath.Join(t.TempDir(), "history.db")
	junk := []byte(strings.Repeat("not a database ", 500))
	if err := os.WriteFile(db, junk, 0o600); err != nil {
		t.Fatal(err)
	}
	h := NewHistory(db, root, nil)
	defer h.Close()
	entries, err := h.Recent(ctx, 0)
	if err != nil {
		t.Fatal(err)
	}
	if len(entries) != 1 || entries[0].Source != dir {
		t.Fatalf("rebuilt history = %+v, want the one session", entries)
	}
	aside, _ := filepath.Glob(db + ".damaged-*")
	if len(aside) != 1 {
		t.Fatalf("damaged database not kept aside: %v", aside)
	}
	if b, _ := os.ReadFile(aside[0]); string(b) != string(junk) {
		t.Error("the damaged file kept aside is not the original")
	}
}
