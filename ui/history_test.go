package ui

import (
	"context"
	"reflect"
	"strings"
	"testing"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/test"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"github.com/verbatim-app/verbatim/app/desktop"
	"github.com/verbatim-app/verbatim/app/history"
)

// historyHarness is a window whose history holds fillHistory's entries, on the History tab.
func historyHarness(t *testing.T, lang string) *harness {
	t.Helper()
	h := newHarness(t, lang, func(h *harness, _ *Deps) { fillHistory(h.hist) })
	h.m.tabs.SelectIndex(tabHistory)
	return h
}

// listRow is list row i of the History tab, as drawn.
func listRow(h *harness, i int) (title string, body []widget.RichTextSegment) {
	o := h.m.history.newRow()
	h.m.history.bindRow(i, o)
	c := o.(*fyne.Container)
	texts := c.Objects[0].(*fyne.Container)
	return texts.Objects[0].(*widget.Label).Text, texts.Objects[1].(*widget.RichText).Segments
}

func segText(segs []widget.RichTextSegment) string {
	var b strings.Builder
	for _, s := range segs {
		b.WriteString(s.Textual())
	}
	return b.String()
}

// searchFor types q into the search box and waits for the results. Typing goes through the window's
// do, as a key press would arrive on Fyne's goroutine: the searches of earlier keys may be answering.
func (h *harness) searchFor(q string) {
	h.t.Helper()
	h.m.do(func() { h.m.history.search.SetText(q) })
	h.wait("history")
}

func TestHistoryNewestFirst(t *testing.T) {
	h := historyHarness(t, "en")
	ht := h.m.history
	if ht.list.Length() != 3 {
		t.Fatalf("%d entries listed", ht.list.Length())
	}
	title, body := listRow(h, 0)
	if title != "2026-11-29 08:15 · Recording" || !strings.HasPrefix(segText(body), "Note to self") {
		t.Errorf("newest row: %q / %q", title, segText(body))
	}
	if title, _ := listRow(h, 2); title != "2026-11-02 09:30 · economics-week-3.mp3" {
		t.Errorf("oldest row: %q", title)
	}
	if ht.note.Text != "3 recordings and files" {
		t.Errorf("note %q", ht.note.Text)
	}
	if ht.detail.Visible() || !ht.placeholder.Visible() {
		t.Error("an entry is shown before one was chosen")
	}
}

func TestHistorySearchAsYouType(t *testing.T) {
	h := historyHarness(t, "en")
	ht := h.m.history
	h.searchFor("budget")
	if ht.list.Length() != 5 || ht.note.Text != "5 lines found" {
		t.Fatalf("%d hits, note %q", ht.list.Length(), ht.note.Text)
	}
	// The match is highlighted: its own segment, bold in the primary colour.
	_, body := listRow(h, 0)
	var match *widget.TextSegment
	for _, s := range body {
		if ts, ok := s.(*widget.TextSegment); ok && ts.Text == "budget" {
			match = ts
		}
	}
	if match == nil || !match.Style.TextStyle.Bold || match.Style.ColorName != theme.ColorNamePrimary {
		t.Fatalf("match not highlighted: %q", segText(body))
	}
	if got := segText(body); got != "00:00:00  …send the budget sheet to Marta before Friday." {
		t.Errorf("hit row %q", got)
	}
	// A match late in a long line is brought into view.
	if _, body := listRow(h, 3); !strings.HasPrefix(segText(body), "00:00:00  …") || !strings.Contains(segText(body), "sets its budget.") {
		t.Errorf("late match row %q", segText(body))
	}

	// Typing on: only the last query's results are shown, even when an earlier one answers later.
	h.m.do(func() { ht.search.SetText("bud") })
	h.m.do(func() { ht.search.SetText("budget sheet") })
	h.wait("history")
	if ht.list.Length() != 1 || ht.query != "budget sheet" {
		t.Errorf("after typing on: %d hits for %q", ht.list.Length(), ht.query)
	}

	h.searchFor("zebra")
	if ht.list.Length() != 0 || ht.note.Text != "No line holds “zebra”." {
		t.Errorf("no results: %d, %q", ht.list.Length(), ht.note.Text)
	}
	h.searchFor("budget AND")
	if !strings.Contains(ht.note.Text, "incomplete query") || ht.note.Importance != widget.DangerImportance {
		t.Errorf("malformed query: %q", ht.note.Text)
	}
	h.searchFor("")
	if ht.list.Length() != 3 || ht.note.Text != "3 recordings and files" {
		t.Errorf("cleared search: %d rows, %q", ht.list.Length(), ht.note.Text)
	}
}

func TestHistoryOpenAtHitAndPlay(t *testing.T) {
	h := historyHarness(t, "en")
	ht := h.m.history
	h.searchFor("extra budget")
	ht.list.Select(0)
	h.wait("historyopen")
	if !ht.detail.Visible() || ht.title.Text != "2026-11-12 14:00 · Recording" {
		t.Fatalf("detail %v, title %q", ht.detail.Visible(), ht.title.Text)
	}
	v := ht.view
	if v.data.store.Len() != 5 || v.mark != 3 {
		t.Fatalf("%d lines, highlighted %d, want 5 and the hit (3)", v.data.store.Len(), v.mark)
	}
	if r := row(t, v, 1); r.speaker.Text != "Others" || row(t, v, 0).speaker.Text != "You" {
		t.Errorf("speakers %q, %q", row(t, v, 0).speaker.Text, r.speaker.Text)
	}
	// A line's timestamp plays the session from it.
	test.Tap(row(t, v, 2).stamp)
	h.wait("playing")
	src := "/home/ana/.local/share/verbatim/sessions/2026-11-12_14-00-00"
	if got := h.player.last(); got != (playCall{src, 2 * time.Second}) {
		t.Fatalf("played %+v", got)
	}
	h.player.send(desktop.PlaybackEvent{Position: 4200 * time.Millisecond})
	h.wait("playpos")
	if v.mark != 4 {
		t.Errorf("highlight %d while line 4 plays", v.mark)
	}
	h.player.send(desktop.PlaybackEvent{Position: 5 * time.Second, Ended: true})
	h.wait("playended")
	if v.mark != 3 {
		t.Errorf("after playing, highlight %d, want the hit again", v.mark)
	}
	// Play from the start.
	test.Tap(ht.playBtn)
	h.wait("playing")
	if got := h.player.last(); got != (playCall{src, 0}) {
		t.Errorf("Play played %+v", got)
	}

	// A transcribed file plays its source file.
	h.searchFor("taxes")
	ht.list.Select(0)
	h.wait("historyopen")
	test.Tap(row(t, ht.view, 2).stamp)
	h.wait("playing")
	if got := h.player.last(); got != (playCall{"/home/ana/Lectures/economics-week-3.mp3", 2 * time.Second}) {
		t.Errorf("file played %+v", got)
	}
	if !strings.Contains(ht.details.Text, "/home/ana/Lectures/economics-week-3.mp3") || !strings.Contains(ht.details.Text, "3 lines") {
		t.Errorf("details %q", ht.details.Text)
	}
}

func TestHistoryEditRenameDelete(t *testing.T) {
	h := historyHarness(t, "en")
	ht := h.m.history
	ht.list.Select(1) // the call
	h.wait("historyopen")
	v := ht.view
	e := *ht.open

	// Correct a line: the history keeps it, the view shows it, what was heard stays beside it.
	test.Tap(row(t, v, 2).edit)
	h.wait("asking")
	h.answer("Sure. Marketing asked for 20% more than last year.", "Save")
	h.wait("edited")
	if !shows(v.root, "Sure. Marketing asked for 20% more than last year.") {
		t.Errorf("edited line not shown: %q", canvasTexts(v.root))
	}
	if l := ht.lines[2]; !l.Edited || l.Heard != "Sure. Marketing asked for twenty percent more than last year." {
		t.Errorf("line after the edit %+v", l)
	}
	test.Tap(row(t, v, 2).edit)
	h.wait("asking")
	if top := h.m.win.Canvas().Overlays().Top(); !says(top, "Heard as: “Sure. Marketing asked for twenty percent more than last year.”") {
		t.Errorf("the edit dialog does not show what was heard: %q", canvasTexts(top))
	}
	test.Tap(findButton(t, h.m.win.Canvas().Overlays().Top(), "Cancel"))

	// Rename the other side.
	test.Tap(row(t, v, 1).speaker)
	h.wait("asking")
	h.answer("Marta", "Save")
	h.wait("renamed")
	h.wait("historyopen")
	if !reflect.DeepEqual(h.hist.renames, []string{"Others→Marta"}) {
		t.Errorf("renames %v", h.hist.renames)
	}
	if got := row(t, ht.view, 1).speaker.Text; got != "Marta" {
		t.Errorf("renamed speaker shows %q", got)
	}

	// Delete asks first; No keeps it.
	test.Tap(ht.deleteBtn)
	h.wait("asking")
	top := h.m.win.Canvas().Overlays().Top()
	if !says(top, "The recording of 2026-11-12 14:00 is deleted with its audio and transcript.") {
		t.Fatalf("delete dialog: %q", canvasTexts(top))
	}
	test.Tap(findButton(t, top, "No"))
	if len(h.hist.deleted) != 0 || ht.open == nil {
		t.Fatal("deleted without a yes")
	}
	test.Tap(ht.deleteBtn)
	h.wait("asking")
	test.Tap(findButton(t, h.m.win.Canvas().Overlays().Top(), "Yes"))
	h.wait("deleted")
	h.wait("history")
	if !reflect.DeepEqual(h.hist.deleted, []int64{e.ID}) || ht.open != nil || ht.detail.Visible() {
		t.Errorf("after delete: deleted %v, open %v, detail shown %v", h.hist.deleted, ht.open, ht.detail.Visible())
	}
	if ht.list.Length() != 2 {
		t.Errorf("%d entries after the delete", ht.list.Length())
	}
	// A file entry says its files stay.
	ht.list.Select(1)
	h.wait("historyopen")
	test.Tap(ht.deleteBtn)
	h.wait("asking")
	if top := h.m.win.Canvas().Overlays().Top(); !says(top, "The audio file and the transcript written stay where they are.") {
		t.Errorf("file delete dialog: %q", canvasTexts(top))
	}
}

// The export writes the entry as edited, in the format its name says.
func TestHistoryExportDoc(t *testing.T) {
	h := historyHarness(t, "en")
	ht := h.m.history
	ht.list.Select(0)
	h.wait("historyopen")
	doc, err := h.hist.Doc(context.Background(), *ht.open)
	if err != nil || len(doc.Segments) != 2 {
		t.Fatalf("doc %+v, %v", doc, err)
	}
	test.Tap(ht.exportBtn)
	pickMenuItem(t, h, ".srt")
	h.wait("export")
	if h.m.win.Canvas().Overlays().Top() == nil {
		t.Fatal("no file dialog for the export")
	}
}

// Without a history service the tab says so instead of failing.
func TestHistoryUnavailable(t *testing.T) {
	h := newHarness(t, "fr", func(_ *harness, d *Deps) { d.History = nil })
	h.m.tabs.SelectIndex(tabHistory)
	if !shows(h.m.tabs.Items[tabHistory].Content, "Pas d'historique") {
		t.Errorf("tab shows %q", canvasTexts(h.m.tabs.Items[tabHistory].Content))
	}
	if h.m.tabs.Items[tabHistory].Text != "Historique" {
		t.Errorf("tab title %q", h.m.tabs.Items[tabHistory].Text)
	}
}

// The kinds are told apart in the list.
func TestHistoryKindsIcons(t *testing.T) {
	h := historyHarness(t, "ja")
	o := h.m.history.newRow()
	h.m.history.bindRow(2, o)
	if got := o.(*fyne.Container).Objects[1].(*widget.Icon).Resource; got != theme.FileAudioIcon() {
		t.Errorf("a file's icon is %v", got)
	}
	h.m.history.bindRow(0, o)
	if got := o.(*fyne.Container).Objects[1].(*widget.Icon).Resource; got != theme.MediaRecordIcon() {
		t.Errorf("a recording's icon is %v", got)
	}
	if title, _ := listRow(h, 0); title != "2026-11-29 08:15 · 録音" {
		t.Errorf("ja title %q", title)
	}
	if h.m.history.note.Text != "3 件の録音・ファイル" {
		t.Errorf("ja note %q", h.m.history.note.Text)
	}
	_ = history.KindFile
}

// says is shows for text a label may have wrapped: the drawn lines joined by spaces.
func says(o fyne.CanvasObject, s string) bool {
	return strings.Contains(strings.Join(canvasTexts(o), " "), s)
}
