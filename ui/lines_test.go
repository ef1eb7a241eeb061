package ui

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"syscall"
	"testing"

	"fyne.io/fyne/v2"
	fynedesktop "fyne.io/fyne/v2/driver/desktop"
	"fyne.io/fyne/v2/storage"
	"fyne.io/fyne/v2/test"
	"fyne.io/fyne/v2/widget"

	"github.com/verbatim-app/verbatim/app/desktop"
	"github.com/verbatim-app/verbatim/app/export"
	"github.com/verbatim-app/verbatim/app/live"
)

// popUpMenu is the pop-up menu on top of the window, nil if none is.
func popUpMenu(h *harness) *widget.PopUpMenu {
	var menu *widget.PopUpMenu
	walkObjects(h.m.win.Canvas().Overlays().Top(), true, func(o fyne.CanvasObject) bool {
		menu, _ = o.(*widget.PopUpMenu)
		return menu == nil
	})
	return menu
}

// pickMenuItem taps the item of the pop-up menu on top whose label holds label.
func pickMenuItem(t *testing.T, h *harness, label string) {
	t.Helper()
	menu := popUpMenu(h)
	if menu == nil {
		t.Fatalf("no menu on top: %T", h.m.win.Canvas().Overlays().Top())
	}
	for _, it := range menu.Items {
		if shows(it, label) {
			test.Tap(it.(fyne.Tappable))
			return
		}
	}
	t.Fatalf("no %q in the menu: %q", label, canvasTexts(menu))
}

// A line edited in the Live tab shows edited, stays edited when the model sends the line again, is in
// Copy all and in the export, and goes to the journal of the session it was recorded in, under that
// session's own ID (the second recording's first line is its line 0).
func TestLiveEditLine(t *testing.T) {
	h := newHarness(t, "en", nil)
	tab := h.m.live
	h.rec.sessionDir = "/s/2026-03-01_09-30-00"
	h.startRecording()
	h.rec.segment(0, "helo wrld", "", true)
	h.rec.segment(1, "second line.", "", true)

	test.Tap(row(t, tab.spokenView, 0).edit)
	h.wait("asking")
	h.answer("Hello, world.", "Save")
	h.wait("edited")
	h.rec.segment(0, "hello world again", "", true) // the model's late word on the line
	if !shows(tab.spokenView.root, "Hello, world.") || shows(tab.spokenView.root, "helo wrld") || shows(tab.spokenView.root, "again") {
		t.Errorf("view after the edit: %q", canvasTexts(tab.spokenView.root))
	}
	test.Tap(tab.recordBtn)
	h.waitStopCall()
	h.rec.finish()
	h.wait("stopped")
	h.wait("indexed")

	h.rec.sessionDir = "/s/2026-03-01_10-00-00"
	h.startRecording()
	h.rec.segment(0, "thrid", "", true)
	test.Tap(row(t, tab.spokenView, 2).edit)
	h.wait("asking")
	h.answer("third", "Save")
	h.wait("edited")

	want := []editCall{{"/s/2026-03-01_09-30-00", 0, "", "Hello, world."}, {"/s/2026-03-01_10-00-00", 0, "", "third"}}
	if !reflect.DeepEqual(h.rec.edits, want) {
		t.Errorf("journaled edits %+v, want %+v", h.rec.edits, want)
	}
	sc := h.m.win.Canvas().(fyne.Shortcutable)
	sc.TypedShortcut(&fynedesktop.CustomShortcut{KeyName: fyne.KeyC, Modifier: fyne.KeyModifierShortcutDefault | fyne.KeyModifierShift})
	if got := h.m.app.Clipboard().Content(); got != "Hello, world.\nsecond line.\nthird\n" {
		t.Errorf("Copy all %q", got)
	}
	// Exported as SRT through the save dialog.
	dir := t.TempDir()
	h.m.app.Preferences().SetString("fyne:fileDialogLastFolder", storage.NewFileURI(dir).String())
	test.Tap(tab.exportBtn)
	pickMenuItem(t, h, ".srt")
	test.Tap(findButton(t, h.m.win.Canvas().Overlays().Top(), "Save"))
	files, _ := filepath.Glob(filepath.Join(dir, "transcript-*.srt"))
	if len(files) != 1 {
		t.Fatalf("exported %q", files)
	}
	b, err := os.ReadFile(files[0])
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Contains(b, []byte("Hello, world.")) || bytes.Contains(b, []byte("helo")) || !bytes.Contains(b, []byte("-->")) {
		t.Errorf("the SRT export lacks the edit:\n%s", b)
	}
}

// A line's copy button and its menu (a right click) copy the one line; the menu offers editing and
// playing from it, in words.
func TestLineCopyAndMenu(t *testing.T) {
	h := newHarness(t, "en", nil)
	tab := h.m.live
	h.rec.sessionDir = "/s/2026-03-01_09-30-00"
	h.startRecording()
	h.rec.segment(0, "first line.", "", true)
	h.rec.segment(1, "second line.", "", true)
	r := row(t, tab.spokenView, 1)
	inRow := false
	walkObjects(r, true, func(o fyne.CanvasObject) bool {
		inRow = inRow || o == r.copy
		return !inRow
	})
	if !inRow {
		t.Fatal("the line has no copy button")
	}
	test.Tap(r.copy)
	if got := h.m.app.Clipboard().Content(); got != "second line." {
		t.Errorf("clipboard %q", got)
	}
	if tab.statusLabel.Text != "Line copied" {
		t.Errorf("status %q", tab.statusLabel.Text)
	}
	test.TapSecondary(row(t, tab.spokenView, 0))
	menu := popUpMenu(h)
	if menu == nil {
		t.Fatal("no menu on a right click")
	}
	for _, s := range []string{"Copy line", "Edit line…", "Play from here"} {
		if !shows(menu, s) {
			t.Errorf("menu lacks %q: %q", s, canvasTexts(menu))
		}
	}
	pickMenuItem(t, h, "Copy line")
	if got := h.m.app.Clipboard().Content(); got != "first line." {
		t.Errorf("clipboard after the menu %q", got)
	}
}

// The Live tab's messages are not shown on the other tabs.
func TestStatusStaysOnLiveTab(t *testing.T) {
	h := newHarness(t, "en", nil)
	tab := h.m.live
	h.startRecording()
	h.rec.send(live.Event{Err: errors.New("input overflow")})
	if tab.statusLabel.Text != "Listening — input overflow" {
		t.Fatalf("status %q", tab.statusLabel.Text)
	}
	h.m.tabs.SelectIndex(tabFiles)
	if got := tab.statusLabel.Text; got != "Listening" {
		t.Errorf("on the Files tab the status bar says %q", got)
	}
	h.m.tabs.SelectIndex(tabLive)
	if got := tab.statusLabel.Text; got != "Listening — input overflow" {
		t.Errorf("back on the Live tab: %q", got)
	}
	tab.copyText(&tab.spoken)
	h.m.tabs.SelectIndex(tabHistory)
	h.m.tabs.SelectIndex(tabLive)
	if got := tab.statusLabel.Text; got == "Copied" {
		t.Errorf("the note of an action outlives a change of tab: %q", got)
	}
}

// Known failures are told in the interface language with what to do; others as they are.
func TestErrorText(t *testing.T) {
	tests := []struct {
		err      error
		en, de   string // parts of the message
		verbatim bool   // shown as it is
	}{
		{err: errors.New("load model: gguf: not a GGUF file (bad magic 0xe0f3cd4e)"), en: "not a model file", de: "keine Modelldatei"},
		{err: fmt.Errorf("open talk.ogg: not WAV, MP3 or FLAC: %w", errors.New("unsupported format")), en: "WAV, MP3 or FLAC", de: "WAV, MP3 oder FLAC"},
		{err: errors.New("capture: no such input device"), en: "microphone", de: "Mikrofon"},
		{err: fmt.Errorf("session: write journal: %w", syscall.ENOSPC), en: "disk is full", de: "Datenträger ist voll"},
		{err: errors.New("this model cannot translate into Korean (it knows: transcribe)"), en: "cannot translate", de: "nicht in diese Sprache übersetzen"},
		{err: desktop.ErrNoModel, en: "Models & settings", de: "Modelle & Einstellungen"},
		// inference/gguf/mtmd.go's words for a stacking projector.
		{err: errors.New("load projector: gguf: mmproj.gguf: this ultravox projector stacks 8 audio frames, which the llama.cpp built into Verbatim miscounts (188 embeddings per 30 s where it expects 187) and stops the program on; Verbatim cannot run it. Use a Qwen2-Audio (qwen2a) model instead"),
			en: "Qwen2-Audio model or the bundled one", de: "Qwen2-Audio-Modell oder das mitgelieferte"},
		{err: errors.New("something else entirely"), en: "something else entirely", de: "something else entirely", verbatim: true},
	}
	for _, lang := range []string{"en", "de"} {
		h := newHarness(t, lang, nil)
		for _, tt := range tests {
			got := h.m.errorText(tt.err)
			want := map[string]string{"en": tt.en, "de": tt.de}[lang]
			if !strings.Contains(got, want) || !tt.verbatim && strings.Contains(got, tt.err.Error()) {
				t.Errorf("%s: errorText(%q) = %q, want it to say %q", lang, tt.err, got, want)
			}
		}
	}
	// The window's dialogs and the Files tab's rows say it so.
	h := newHarness(t, "en", nil)
	h.m.showError("Export failed", errors.New("bad magic 0x1"))
	if top := h.m.win.Canvas().Overlays().Top(); !says(top, "not a model file") || says(top, "bad magic") {
		t.Errorf("error dialog %q", canvasTexts(top))
	}
	h.m.tabs.SelectIndex(tabFiles)
	files := touch(t, t.TempDir(), "a.ogg")
	h.m.batch.add(files)
	h.m.batch.byPath[files[0]].state = rowFailed
	h.m.batch.byPath[files[0]].err = errors.New("not WAV, MP3 or FLAC: unsupported format")
	if got, _ := h.m.batch.rowStatus(h.m.batch.byPath[files[0]]); !strings.Contains(got, "WAV, MP3 or FLAC") || strings.Contains(got, "unsupported format") {
		t.Errorf("failed row says %q", got)
	}
}

// Ctrl+1…4 select the tabs; the Record button shows a ring while it has the focus.
func TestKeyboardTabsAndFocusRing(t *testing.T) {
	h := newHarness(t, "en", nil)
	sc := h.m.win.Canvas().(fyne.Shortcutable)
	for i, k := range []fyne.KeyName{fyne.Key2, fyne.Key3, fyne.Key4, fyne.Key1} {
		sc.TypedShortcut(&fynedesktop.CustomShortcut{KeyName: k, Modifier: fyne.KeyModifierShortcutDefault})
		if got, want := h.m.tabs.SelectedIndex(), (i+1)%4; got != want {
			t.Errorf("Ctrl+%s selected tab %d, want %d", k, got, want)
		}
	}
	b := h.m.live.recordBtn
	if b.focused() {
		t.Error("ring shown without focus")
	}
	h.m.win.Canvas().Focus(b)
	if !b.focused() {
		t.Error("no ring on the focused Record button")
	}
	h.m.win.Canvas().Unfocus()
	if b.focused() {
		t.Error("ring stays after the focus left")
	}
	// Icon buttons say what they do in words (Fyne 2.7 has no tooltips).
	if h.m.live.systemWhy.Text == "" {
		t.Error("the system audio reason button has no words")
	}
	findButton(t, h.m.tabs.Items[tabLive].Content, "Copy") // the translation pane's, beside Copy all
	walkObjects(h.m.win.Content(), true, func(o fyne.CanvasObject) bool {
		if b, ok := o.(*widget.Button); ok && b.Text == "" && b.Icon != nil && !isLineButton(h, b) {
			t.Errorf("an icon-only button: %v", b.Icon.Name())
		}
		return true
	})
}

// Export offers its formats in a menu; the one picked names the file.
func TestExportFormatMenu(t *testing.T) {
	h := newHarness(t, "en", nil)
	h.startRecording()
	h.rec.segment(0, "first line.", "", true)
	test.Tap(h.m.live.exportBtn)
	menu := popUpMenu(h)
	if menu == nil {
		t.Fatal("Export shows no format menu")
	}
	for _, f := range export.Formats() {
		if !shows(menu, "."+f) {
			t.Errorf("menu lacks %s: %q", f, canvasTexts(menu))
		}
	}
	pickMenuItem(t, h, ".vtt")
	top := h.m.win.Canvas().Overlays().Top()
	if top == nil || popUpMenu(h) != nil {
		t.Fatal("no save dialog after the format")
	}
	found := false
	walkObjects(top, false, func(o fyne.CanvasObject) bool {
		if e, ok := o.(*widget.Entry); ok && strings.HasPrefix(e.Text, "transcript-") && strings.HasSuffix(e.Text, ".vtt") {
			found = true
		}
		return !found
	})
	if !found {
		t.Errorf("the save dialog's name is not a .vtt: %q", canvasTexts(top))
	}
}

// The Live tab's top row fits 800 px in German (on two lines) and takes one line at 1280 px.
func TestLiveTopRowWraps(t *testing.T) {
	for _, tc := range []struct {
		lang  string
		width float32
		lines int
	}{{"de", 800, 2}, {"en", 1280, 1}, {"ja", 800, 0}} {
		h := newHarness(t, tc.lang, nil)
		// Twice: a header that changes its number of lines lays its parents out again through fyne.Do,
		// which the running app does after the layout pass and the test driver at once, inside it.
		h.m.win.Resize(fyne.NewSize(tc.width-1, 500))
		h.m.win.Resize(fyne.NewSize(tc.width, 500))
		row := h.m.live.topRow
		for _, o := range row.Objects {
			if r := o.Position().X + o.Size().Width; r > row.Size().Width+0.5 || o.Size().Width < o.MinSize().Width-0.5 {
				t.Errorf("%s at %v: a part of the top row is cut: at %v, %v wide of %v, row %v", tc.lang, tc.width, o.Position(), o.Size().Width, o.MinSize().Width, row.Size().Width)
			}
		}
		lines := 1
		if row.Objects[2].Position().Y > 0 {
			lines = 2
		}
		if tc.lines != 0 && lines != tc.lines {
			t.Errorf("%s at %v: %d lines, want %d", tc.lang, tc.width, lines, tc.lines)
		}
		if one := row.Objects[0].MinSize().Height + 2*4; lines == 1 && row.Size().Height > one+20 {
			t.Errorf("%s at %v: one line but %v high", tc.lang, tc.width, row.Size().Height)
		}
		// The panes: the transcript keeps most of the width, and both lists start at the same height.
		d := fyne.CurrentApp().Driver()
		sp, tp := d.AbsolutePositionForObject(h.m.live.spokenView.root), d.AbsolutePositionForObject(h.m.live.transView.root)
		if sp.Y != tp.Y {
			t.Errorf("%s at %v: the transcript starts at %v, the translation at %v", tc.lang, tc.width, sp.Y, tp.Y)
		}
		if w := h.m.live.spokenView.root.Size().Width; w < 0.5*tc.width {
			t.Errorf("%s at %v: the transcript pane is %v wide", tc.lang, tc.width, w)
		}
	}
}

// isLineButton says whether b is a transcript line's copy or edit button: icon-only in every row, with
// their words in the line's menu (a right click).
func isLineButton(h *harness, b *widget.Button) bool {
	for _, v := range []*transcriptView{h.m.live.spokenView, h.m.live.transView, h.m.history.view} {
		if v == nil {
			continue
		}
		for _, o := range v.list.rows {
			if r := o.(*lineRow); r.copy == b || r.edit == b {
				return true
			}
		}
	}
	return false
}

// The translation pane lines up with the transcript row for row: a line's translation stands beside
// it whenever it comes (earlier lines translated after a target was chosen mid-recording come last),
// each row as high as the higher of the two, and the empty pane says what fills it.
func TestPanesAlignByLine(t *testing.T) {
	h := newHarness(t, "en", nil)
	tab := h.m.live
	h.m.win.Resize(fyne.NewSize(900, 600))
	if !shows(tab.transView.root, "Choose a language") {
		t.Errorf("empty pane without a target: %q", canvasTexts(tab.transView.root))
	}
	h.startRecording()
	long := strings.Repeat("A long line that wraps over several rows of the transcript pane. ", 6)
	h.rec.segment(0, "Good morning.", "", true)
	h.rec.segment(1, long, "", true)
	tab.targetSel.SetSelected("Español")
	if !shows(tab.transView.root, "Translations appear here") {
		t.Errorf("empty pane with a target: %q", canvasTexts(tab.transView.root))
	}
	h.rec.segment(2, "Third.", "", true)
	if r := row(t, tab.transView, 2); r.stamp.Visible() || r.edit.Visible() {
		t.Error("a row waiting for its translation shows a timestamp or buttons")
	}
	h.rec.segment(2, "Tercera.", "es", true)
	if r := row(t, tab.transView, 2); !r.stamp.Visible() || !r.edit.Visible() {
		t.Error("a translated row shows no timestamp or buttons")
	}
	// The earlier lines' translations, as the recorder sends them after the target changed.
	h.rec.segment(1, "Una línea larga.", "es", true)
	h.rec.segment(0, "Buenos días.", "es", true)

	spoken, trans := tab.spoken.segments(), tab.trans.segments()
	if len(trans) != 3 {
		t.Fatalf("translations %+v", trans)
	}
	for i := range tab.spoken.store.Len() {
		s, tr := tab.spoken.at(i), tab.trans.at(i)
		if s.ID != tr.ID || tr.Lang != "es" {
			t.Errorf("row %d: transcript line %d beside translation %d (%q)", i, s.ID, tr.ID, tr.Lang)
		}
		if hs, ht := tab.spokenView.list.hs.h[i], tab.transView.list.hs.h[i]; hs != ht {
			t.Errorf("row %d: %v high in the transcript, %v in the translation", i, hs, ht)
		}
	}
	if tab.spokenView.list.hs.h[1] <= tab.spokenView.list.hs.h[0] {
		t.Error("the long line is not taller than the short one: the test proves nothing")
	}
	if trans[0].Text != "Buenos días." || spoken[0].Text != "Good morning." {
		t.Errorf("first row: %q beside %q", spoken[0].Text, trans[0].Text)
	}
	// The translation exports in its language, without the empty rows.
	if doc := exportDoc(&tab.trans); doc.Language != "es" || len(doc.Segments) != 3 {
		t.Errorf("translation export %+v", doc)
	}
}
