package ui

import (
	"errors"
	"strings"
	"testing"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/canvas"
	fynedesktop "fyne.io/fyne/v2/driver/desktop"
	"fyne.io/fyne/v2/test"
	"fyne.io/fyne/v2/widget"

	"github.com/verbatim-app/verbatim/app/desktop"
	"github.com/verbatim-app/verbatim/app/live"
	"github.com/verbatim-app/verbatim/app/transcript"
	"github.com/verbatim-app/verbatim/capture"
)

// The level meter is empty whenever nothing is recorded, and named for what it shows.
func TestLevelMeterIdleAndLabelled(t *testing.T) {
	h := newHarness(t, "en", nil)
	tab := h.m.live
	if tab.meter.Value != 0 {
		t.Errorf("idle meter = %v", tab.meter.Value)
	}
	if tab.meter.Caption != "Level" || !shows(tab.meter, "Level") {
		t.Errorf("meter has no label: %q", canvasTexts(tab.meter))
	}
	// Drawn empty: nothing on it is filled in (a ProgressBar's tinted track reads as a full bar).
	for _, o := range test.WidgetRenderer(tab.meter).Objects() {
		if r, ok := o.(*canvas.Rectangle); ok && r.Visible() && r.Size().Width > 0 && r.Size().Height > 0 {
			if _, _, _, a := r.FillColor.RGBA(); a != 0 {
				t.Errorf("idle meter draws a filled %v rectangle", r.Size())
			}
		}
	}
	h.startRecording()
	h.rec.send(live.Event{Level: &capture.Level{RMS: 0.5}})
	if tab.meter.Value == 0 {
		t.Fatal("meter does not move while recording")
	}
	test.Tap(tab.recordBtn)
	h.waitStopCall()
	h.rec.finish()
	h.wait("stopped")
	if tab.meter.Value != 0 {
		t.Errorf("meter after stop = %v", tab.meter.Value)
	}
}

// rowCell is the rendered bar and failure mark of the list row showing path.
func rowCell(t *testing.T, b *batchTab, path string) (*widget.ProgressBar, *fyne.Container) {
	t.Helper()
	for i, r := range b.rows {
		if r.path == path {
			o := b.newRow()
			b.updateRow(i, o)
			cell := o.(*fyne.Container).Objects[1].(*fyne.Container).Objects[1].(*fyne.Container)
			return cell.Objects[0].(*widget.ProgressBar), cell.Objects[1].(*fyne.Container)
		}
	}
	t.Fatalf("no row for %s", path)
	return nil, nil
}

// A failed file shows as failed, never as a full bar; Cancel all is there only while something runs.
func TestBatchFailedRowAndCancelAll(t *testing.T) {
	h := newHarness(t, "en", nil)
	h.m.tabs.SelectIndex(tabFiles)
	b := h.m.batch
	if !b.cancelAll.Disabled() {
		t.Error("Cancel all enabled with an empty queue")
	}
	files := touch(t, t.TempDir(), "a.wav", "b.mp3")
	b.add(files)
	if !b.cancelAll.Disabled() {
		t.Error("Cancel all enabled with nothing queued or running")
	}
	test.Tap(b.startBtn)
	if b.cancelAll.Disabled() {
		t.Error("Cancel all disabled while files run")
	}
	h.batch.send(desktop.BatchEvent{Path: files[0], Progress: 0.3})
	h.batch.send(desktop.BatchEvent{Path: files[0], Progress: 1, Err: errors.New("cannot decode: unexpected EOF")})
	bar, mark := rowCell(t, b, files[0])
	if bar.Visible() && bar.Value >= 1 {
		t.Errorf("failed row shows a full bar")
	}
	if !mark.Visible() || !shows(mark, "Failed") {
		t.Errorf("failed row not marked: visible %v, %q", mark.Visible(), canvasTexts(mark))
	}
	if p := b.byPath[files[0]].progress; p != 0.3 {
		t.Errorf("failed row's progress %v, want where it got (0.3)", p)
	}
	h.batch.send(desktop.BatchEvent{Path: files[1], Progress: 1, Output: "/out/b.srt"})
	bar, mark = rowCell(t, b, files[1])
	if !bar.Visible() || bar.Value != 1 || mark.Visible() {
		t.Errorf("done row: bar %v/%v, mark %v", bar.Visible(), bar.Value, mark.Visible())
	}
	h.batch.close()
	h.wait("batchdone")
	if !b.cancelAll.Disabled() {
		t.Error("Cancel all enabled after the batch")
	}
}

// The hint says which files are taken, from batch.Extensions, in every language.
func TestBatchHintNamesExtensions(t *testing.T) {
	for _, lang := range []string{"en", "de", "ja"} {
		h := newHarness(t, lang, nil)
		h.m.tabs.SelectIndex(tabFiles)
		if !shows(h.m.win.Content(), "WAV, MP3, FLAC") {
			t.Errorf("%s: hint lacks the formats: %q", lang, canvasTexts(h.m.win.Content()))
		}
		if lang == "en" && shows(h.m.win.Content(), "video") {
			t.Error("hint still offers video")
		}
	}
}

// Restore closes the recovery dialog.
func TestRecoveryClosesOnRestore(t *testing.T) {
	store := &fakeSessions{
		infos: []desktop.SessionInfo{{ID: "s1", Started: time.Date(2026, 3, 1, 9, 30, 0, 0, time.Local), Segments: 1}},
		segs:  map[string][]transcript.Segment{"s1": {{ID: 0, Text: "Welcome everyone."}}},
	}
	h := newHarness(t, "en", func(_ *harness, d *Deps) { d.Sessions = store })
	top := h.m.win.Canvas().Overlays().Top()
	if top == nil {
		t.Fatal("no recovery dialog")
	}
	test.Tap(findButton(t, top, "Restore"))
	if !shows(h.m.live.spokenView.root, "Welcome everyone.") {
		t.Fatal("not restored")
	}
	if o := h.m.win.Canvas().Overlays().Top(); o != nil {
		t.Errorf("dialog still open after Restore: %q", canvasTexts(o))
	}
}

// Ctrl+S exports the transcript, Ctrl+Shift+C copies it all; the empty transcript says so.
func TestExportAndCopyShortcuts(t *testing.T) {
	h := newHarness(t, "en", nil)
	if hint := strings.Join(canvasTexts(h.m.live.spokenView.root), " "); !strings.Contains(hint, "Ctrl+S exports it") || !strings.Contains(hint, "Ctrl+Shift+C") {
		t.Errorf("no hint: %q", canvasTexts(h.m.live.spokenView.root))
	}
	h.startRecording()
	h.rec.segment(0, "first line.", "", true)
	h.rec.segment(1, "second line.", "", true)
	sc := h.m.win.Canvas().(fyne.Shortcutable)
	sc.TypedShortcut(&fynedesktop.CustomShortcut{KeyName: fyne.KeyC, Modifier: fyne.KeyModifierShortcutDefault | fyne.KeyModifierShift})
	if got := h.m.app.Clipboard().Content(); !strings.Contains(got, "first line.") || !strings.Contains(got, "second line.") {
		t.Errorf("clipboard %q", got)
	}
	if h.m.win.Canvas().Overlays().Top() != nil {
		t.Fatal("an overlay before Ctrl+S")
	}
	sc.TypedShortcut(&fynedesktop.CustomShortcut{KeyName: fyne.KeyS, Modifier: fyne.KeyModifierShortcutDefault})
	if h.m.win.Canvas().Overlays().Top() == nil {
		t.Error("Ctrl+S opened no save dialog")
	}
}
