package ui

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"regexp"
	"sort"
	"strings"
	"testing"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/canvas"
	fynedesktop "fyne.io/fyne/v2/driver/desktop"
	"fyne.io/fyne/v2/lang"
	"fyne.io/fyne/v2/storage"
	"fyne.io/fyne/v2/test"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"github.com/BurntSushi/toml"
	"github.com/verbatim-app/verbatim/app/desktop"
	"github.com/verbatim-app/verbatim/app/live"
	"github.com/verbatim-app/verbatim/app/transcript"
	"github.com/verbatim-app/verbatim/assets/locales"
	"github.com/verbatim-app/verbatim/capture"
)

func TestRecordChangesStatus(t *testing.T) {
	h := newHarness(t, "en", nil)
	tab := h.m.live
	if got := tab.statusLabel.Text; got != "Ready" {
		t.Fatalf("status before recording = %q", got)
	}
	if tab.recordBtn.Text != "Record" {
		t.Fatalf("button = %q", tab.recordBtn.Text)
	}
	if got := tab.devSelect.Selected; got != "Built-in (default)" {
		t.Errorf("device picker = %q, want the default device", got)
	}

	h.startRecording()
	if tab.statusLabel.Text != "Listening" || tab.recordBtn.Text != "Stop" {
		t.Fatalf("while recording: status %q, button %q", tab.statusLabel.Text, tab.recordBtn.Text)
	}
	if h.rec.started.Device != "Built-in" {
		t.Errorf("started on %q", h.rec.started.Device)
	}
	if !tab.devSelect.Disabled() {
		t.Error("device picker enabled while recording")
	}
	h.rec.send(live.Event{Level: &capture.Level{RMS: 0.1, Peak: 0.3}})
	if v := tab.meter.Value; v < 0.6 || v > 0.7 { // -20 dBFS on a 60 dB scale
		t.Errorf("meter = %v", v)
	}
	h.rec.send(live.Event{Stats: &live.Stats{TokensPerSec: 12.5, LatencyMs: 320}})
	if got := tab.speedLabel.Text; got != "12.5 tokens/s · 320 ms latency" {
		t.Errorf("speed = %q", got)
	}
	h.rec.send(live.Event{Err: errors.New("input overflow")})
	if got := tab.statusLabel.Text; got != "Listening — input overflow" {
		t.Errorf("status with error = %q", got)
	}

	// Ctrl+R stops, like the button.
	h.m.win.Canvas().(fyne.Shortcutable).TypedShortcut(
		&fynedesktop.CustomShortcut{KeyName: fyne.KeyR, Modifier: fyne.KeyModifierShortcutDefault})
	if tab.statusLabel.Text != "Transcribing the last words…" || !tab.recordBtn.Disabled() {
		t.Fatalf("while stopping: status %q", tab.statusLabel.Text)
	}
	h.waitStopCall()
	h.rec.segment(0, "last words.", "", true) // what was still queued arrives after Stop
	h.rec.finish()
	h.wait("stopped")
	if tab.statusLabel.Text != "Ready" || tab.recordBtn.Text != "Record" {
		t.Fatalf("after stop: status %q, button %q", tab.statusLabel.Text, tab.recordBtn.Text)
	}
	if !shows(tab.spokenView.root, "last words.") {
		t.Error("text that arrived after Stop is missing")
	}
}

func TestRecordFailureShowsError(t *testing.T) {
	h := newHarness(t, "en", nil)
	h.rec.startErr = errors.New("no such device")
	test.Tap(h.m.live.recordBtn)
	h.wait("recordfailed")
	if got := h.m.live.statusLabel.Text; got != "Ready — no such device" {
		t.Errorf("status = %q", got)
	}
	if top := h.m.win.Canvas().Overlays().Top(); top == nil || !shows(top, "no such device") {
		t.Error("no error dialog")
	}
}

// A recorder whose channel closes without Stopped (it should not, but the window must not hang on
// "Listening" if one does) still leaves the window ready to record again.
func TestRecordingEndsWithoutStopped(t *testing.T) {
	h := newHarness(t, "en", nil)
	h.startRecording()
	h.rec.mu.Lock()
	close(h.rec.ch)
	h.rec.mu.Unlock()
	h.wait("stopped")
	if got := h.m.live.statusLabel.Text; got != "Ready" || h.m.live.recordBtn.Text != "Record" {
		t.Fatalf("status %q, button %q", got, h.m.live.recordBtn.Text)
	}
	h.startRecording()
	if h.m.live.state != recRecording {
		t.Fatalf("state %d after recording again", h.m.live.state)
	}
}

// textStyle finds the drawn text s under o.
func drawnText(o fyne.CanvasObject, s string) *canvas.Text {
	var found *canvas.Text
	walkObjects(o, true, func(o fyne.CanvasObject) bool {
		if w, ok := o.(*canvas.Text); ok && w.Text == s {
			found = w
		}
		return found == nil
	})
	return found
}

func TestProvisionalThenFinal(t *testing.T) {
	h := newHarness(t, "en", nil)
	h.startRecording()
	view := h.m.live.spokenView.root

	h.rec.segment(0, "the quick brown", "", false)
	txt := drawnText(view, "the quick brown")
	if txt == nil {
		t.Fatalf("provisional text not shown: %q", canvasTexts(view))
	}
	if !txt.TextStyle.Italic {
		t.Error("provisional text is not italic")
	}
	h.rec.segment(0, "The quick brown fox.", "", true)
	if shows(view, "the quick brown") && !shows(view, "The quick brown fox.") {
		t.Fatalf("final did not replace provisional: %q", canvasTexts(view))
	}
	if txt := drawnText(view, "The quick brown fox."); txt == nil || txt.TextStyle.Italic {
		t.Fatalf("final text missing or still italic: %q", canvasTexts(view))
	}
	if strings.Contains(strings.Join(canvasTexts(view), " "), "the quick brown") {
		t.Error("provisional text still shown")
	}
	// A late provisional never takes a final's place.
	h.rec.segment(0, "the quick", "", false)
	if !shows(view, "The quick brown fox.") {
		t.Error("a provisional replaced a final segment")
	}
	h.rec.segment(1, "jumps", "", false)
	if got := h.m.live.spoken.store.Len(); got != 2 {
		t.Errorf("%d segments", got)
	}

	test.Tap(findButton(t, h.m.win.Content(), "Copy all"))
	if got := h.m.app.Clipboard().Content(); got != "The quick brown fox.\njumps\n" {
		t.Errorf("clipboard = %q", got)
	}
}

func TestTranslationPane(t *testing.T) {
	h := newHarness(t, "en", nil)
	live := h.m.live
	h.startRecording()
	live.targetSel.SetSelected("Español")
	if !reflect.DeepEqual(h.rec.targets, []string{"es"}) {
		t.Fatalf("SetTranslateTo calls = %v", h.rec.targets)
	}
	if h.m.prefs.String(prefTranslateTo) != "es" {
		t.Error("target not saved")
	}
	h.rec.segment(0, "Good morning.", "", true)
	h.rec.segment(0, "Buenos", "es", false)
	h.rec.segment(0, "Buenos días.", "es", true)
	if !shows(live.transView.root, "Buenos días.") || shows(live.transView.root, "Good morning.") {
		t.Errorf("translation pane shows %q", canvasTexts(live.transView.root))
	}
	if shows(live.spokenView.root, "Buenos días.") {
		t.Error("translation in the transcript pane")
	}
	if live.trans.store.Len() != 1 {
		t.Errorf("%d translated segments, want 1", live.trans.store.Len())
	}
}

func TestNextStartTranslates(t *testing.T) {
	h := newHarness(t, "en", nil)
	h.m.live.targetSel.SetSelected("Deutsch")
	h.startRecording()
	if h.rec.started.TranslateTo != "de" {
		t.Errorf("started translating into %q", h.rec.started.TranslateTo)
	}
}

func TestFollowsUnlessScrolledBack(t *testing.T) {
	h := newHarness(t, "en", nil)
	h.startRecording()
	v := h.m.live.spokenView
	for i := 0; i < 300; i++ {
		h.rec.segment(i, "segment number "+strings.Repeat("x", i%40), "", true)
	}
	bottom := v.list.GetScrollOffset()
	if bottom <= 0 {
		t.Fatalf("did not follow: offset %v", bottom)
	}
	v.list.ScrollToTop()
	h.rec.segment(300, "new text", "", true)
	if v.list.GetScrollOffset() != 0 {
		t.Error("jumped to the end after the user scrolled back")
	}
	if !v.followBtn.Visible() {
		t.Error("no way back to the live text")
	}
	test.Tap(v.followBtn)
	if v.list.GetScrollOffset() <= bottom || v.followBtn.Visible() {
		t.Errorf("follow button: offset %v (was %v)", v.list.GetScrollOffset(), bottom)
	}
	h.rec.segment(301, "more", "", true)
	if v.list.GetScrollOffset() <= bottom {
		t.Error("stopped following")
	}
}

func touch(t *testing.T, dir string, names ...string) []string {
	var out []string
	for _, n := range names {
		p := filepath.Join(dir, n)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte("x"), 0o644); err != nil {
			t.Fatal(err)
		}
		out = append(out, p)
	}
	return out
}

func rowStatusText(h *harness, path string) string {
	r := h.m.batch.byPath[path]
	s, _ := h.m.batch.rowStatus(r)
	return s
}

func TestBatchRowsProgressAndErrors(t *testing.T) {
	h := newHarness(t, "en", nil)
	h.m.tabs.SelectIndex(tabFiles)
	b := h.m.batch
	dir := t.TempDir()
	files := touch(t, dir, "a.wav", "b.mp3", "sub/c.flac", "sub/notes.txt")
	// A dropped folder brings its media files; the text file stays out.
	b.add([]string{files[0], files[1], filepath.Join(dir, "sub")})
	if len(b.rows) != 3 {
		t.Fatalf("%d rows", len(b.rows))
	}
	b.add(files[:1]) // already queued
	if len(b.rows) != 3 {
		t.Fatal("a queued file was added twice")
	}
	if b.startBtn.Text != "Transcribe 3 files" || b.summary.Text != "0 of 3 files done" {
		t.Errorf("start %q, summary %q", b.startBtn.Text, b.summary.Text)
	}
	b.formatSel.SetSelected("VTT")
	test.Tap(b.startBtn)
	if len(h.batch.runs) != 1 || len(h.batch.runs[0]) != 3 || h.batch.opts[0].Format != "vtt" || h.batch.opts[0].OutDir != "" {
		t.Fatalf("runs %v opts %+v", h.batch.runs, h.batch.opts)
	}
	a, bb, c := files[0], files[1], files[2]
	h.batch.send(desktop.BatchEvent{Path: a, Progress: 0.5})
	if got := rowStatusText(h, a); got != "Transcribing…" {
		t.Errorf("row a: %q", got)
	}
	if v := b.overall.Value; v < 0.16 || v > 0.17 {
		t.Errorf("overall %v, want 0.5/3", v)
	}
	h.batch.send(desktop.BatchEvent{Path: a, Progress: 1, Output: "/out/a.vtt"})
	h.batch.send(desktop.BatchEvent{Path: bb, Progress: 0.1, Err: errors.New("unsupported codec")})
	h.batch.send(desktop.BatchEvent{Path: c, Progress: 0.25})
	if got := rowStatusText(h, a); got != "Done → /out/a.vtt" {
		t.Errorf("row a: %q", got)
	}
	if got := rowStatusText(h, bb); got != "Failed: unsupported codec" {
		t.Errorf("row b: %q", got)
	}
	if got := rowStatusText(h, c); got != "Transcribing…" {
		t.Errorf("row c goes on: %q", got)
	}
	if b.summary.Text != "1 of 3 files done" {
		t.Errorf("summary %q", b.summary.Text)
	}
	if !shows(b.list, "Failed: unsupported codec") {
		t.Errorf("error not on its row: %q", canvasTexts(b.list))
	}

	// Cancel one.
	b.cancelRow(b.byPath[c])
	if !reflect.DeepEqual(h.batch.cancelled, []string{c}) {
		t.Fatalf("cancelled %v", h.batch.cancelled)
	}
	h.batch.send(desktop.BatchEvent{Path: c, Err: context.Canceled})
	if got := rowStatusText(h, c); got != "Cancelled" {
		t.Errorf("row c: %q", got)
	}
	h.batch.close()
	h.wait("batchdone")
	if b.overall.Value != 1 || !b.cancelAll.Disabled() || b.clearBtn.Disabled() {
		t.Errorf("after the batch: overall %v", b.overall.Value)
	}
	test.Tap(b.clearBtn)
	if len(b.rows) != 0 || b.summary.Text != "0 of 0 files done" {
		t.Errorf("after clearing: %d rows, %q", len(b.rows), b.summary.Text)
	}
}

func TestDropGoesToBatch(t *testing.T) {
	h := newHarness(t, "en", nil)
	files := touch(t, t.TempDir(), "talk.m4a")
	h.m.batch.add(nil)
	// What the window's drop handler does:
	h.m.tabs.SelectIndex(tabFiles)
	h.m.batch.add(files)
	if h.m.batch.startBtn.Text != "Transcribe 1 file" || h.m.batch.summary.Text != "0 of 1 file done" {
		t.Errorf("singular: %q / %q", h.m.batch.startBtn.Text, h.m.batch.summary.Text)
	}
	h.m.batch.cancelEverything()
	if got := rowStatusText(h, files[0]); got != "Cancelled" {
		t.Errorf("pending row after cancel all: %q", got)
	}
}

func TestLanguageSwitch(t *testing.T) {
	h := newHarness(t, "en", nil)
	if h.m.tabs.Items[1].Text != "Files" {
		t.Fatalf("tab %q", h.m.tabs.Items[1].Text)
	}
	h.m.tabs.SelectIndex(tabModels)
	h.m.models.langSel.SetSelected("Deutsch")
	if h.m.prefs.String(prefLanguage) != "de" {
		t.Error("language not saved")
	}
	want := []string{"Live", "Dateien", "Verlauf", "Modelle & Einstellungen"}
	for i, it := range h.m.tabs.Items {
		if it.Text != want[i] {
			t.Errorf("tab %d = %q, want %q", i, it.Text, want[i])
		}
	}
	if h.m.live.recordBtn.Text != "Aufnehmen" || h.m.live.statusLabel.Text != "Bereit" {
		t.Errorf("live: %q, %q", h.m.live.recordBtn.Text, h.m.live.statusLabel.Text)
	}
	if h.m.tabs.SelectedIndex() != tabModels {
		t.Error("switching language left the settings tab")
	}
	if got := lang.L("Cancel"); got != "Abbrechen" {
		t.Errorf("Fyne's dialogs say %q, want German", got)
	}
	h.m.batch.add(touch(t, t.TempDir(), "a.wav", "b.wav"))
	if got := h.m.batch.summary.Text; got != "0 von 2 Dateien fertig" {
		t.Errorf("summary %q", got)
	}
	h.m.models.langSel.SetSelected("日本語")
	if got := h.m.live.recordBtn.Text; got != "録音" {
		t.Errorf("ja record = %q", got)
	}
	if !shows(h.m.win.Content(), "モデルと設定") {
		t.Error("Japanese tab title not drawn")
	}
	if got := lang.L("Cancel"); got != "キャンセル" {
		t.Errorf("Fyne's dialogs say %q, want Japanese", got)
	}
	// Back to the system language.
	h.m.models.langSel.SetSelectedIndex(0)
	if h.m.prefs.String(prefLanguage) != "" || h.m.tr.Language() != SystemLanguage() {
		t.Errorf("system: pref %q lang %q", h.m.prefs.String(prefLanguage), h.m.tr.Language())
	}
}

func TestPlurals(t *testing.T) {
	cases := []struct {
		lang  string
		n     int
		want  string
		msgID string
	}{
		{"en", 1, "Transcribe 1 file", "StartFiles"},
		{"en", 0, "Transcribe 0 files", "StartFiles"},
		{"en", 2, "Transcribe 2 files", "StartFiles"},
		{"fr", 0, "Transcrire 0 fichier", "StartFiles"}, // French singular covers 0
		{"fr", 1, "Transcrire 1 fichier", "StartFiles"},
		{"fr", 2, "Transcrire 2 fichiers", "StartFiles"},
		{"es", 1, "Transcribir 1 archivo", "StartFiles"},
		{"es", 5, "Transcribir 5 archivos", "StartFiles"},
		{"de", 1, "1 Datei transkribieren", "StartFiles"},
		{"de", 3, "3 Dateien transkribieren", "StartFiles"},
		{"ja", 1, "1 件を文字起こし", "StartFiles"},
		{"zh", 3, "转录 3 个文件", "StartFiles"},
	}
	for _, c := range cases {
		tr, err := NewTranslator(c.lang)
		if err != nil {
			t.Fatal(err)
		}
		if got := tr.N(c.msgID, c.n); got != c.want {
			t.Errorf("%s %d: %q, want %q", c.lang, c.n, got, c.want)
		}
	}
}

func TestSystemLanguage(t *testing.T) {
	cases := map[string]string{
		"de_DE.UTF-8": "de", "fr_CA.UTF-8": "fr", "ja_JP.UTF-8": "ja", "zh_CN.UTF-8": "zh",
		"zh_TW.UTF-8": "zh", "pt_BR.UTF-8": "en", "es": "es", "": "en",
	}
	for loc, want := range cases {
		if got := matchLanguage([]string{loc}); got != want {
			t.Errorf("%q → %q, want %q", loc, got, want)
		}
	}
	if got := matchLanguage([]string{"sv_SE", "de_DE"}); got != "de" {
		t.Errorf("LANGUAGE list: %q", got)
	}
}

// TestLocalesComplete checks that every language has every message, in the forms it needs, and that
// every message the code uses exists.
func TestLocalesComplete(t *testing.T) {
	read := func(l string) map[string]map[string]any {
		var m map[string]map[string]any
		data, err := locales.FS.ReadFile("active." + l + ".toml")
		if err != nil {
			t.Fatal(err)
		}
		if err := toml.Unmarshal(data, &m); err != nil {
			t.Fatalf("%s: %v", l, err)
		}
		return m
	}
	en := read("en")
	for _, l := range locales.Languages[1:] {
		m := read(l)
		for id, msg := range en {
			got, ok := m[id]
			if !ok {
				t.Errorf("%s lacks %s", l, id)
				continue
			}
			_, plural := msg["one"]
			_, other := got["other"]
			if !other {
				t.Errorf("%s %s has no other form", l, id)
			}
			if plural && l != "ja" && l != "zh" {
				if _, ok := got["one"]; !ok {
					t.Errorf("%s %s lacks the one form", l, id)
				}
			}
		}
		for id := range m {
			if _, ok := en[id]; !ok {
				t.Errorf("%s has %s, which English lacks", l, id)
			}
		}
	}
	used := regexp.MustCompile(`\.(?:T|N)\("([A-Za-z]+)"`)
	files, _ := filepath.Glob("*.go")
	var missing []string
	for _, f := range files {
		if strings.HasSuffix(f, "_test.go") {
			continue
		}
		src, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		for _, m := range used.FindAllStringSubmatch(string(src), -1) {
			if _, ok := en[m[1]]; !ok {
				missing = append(missing, f+": "+m[1])
			}
		}
	}
	sort.Strings(missing)
	if len(missing) > 0 {
		t.Errorf("messages used but not in active.en.toml: %v", missing)
	}
}

func TestModelLoadAndFailure(t *testing.T) {
	h := newHarness(t, "en", func(h *harness, _ *Deps) {
		h.models.release = make(chan struct{})
	})
	h.m.tabs.SelectIndex(tabModels)
	mt := h.m.models
	if mt.list.Length() != 3 {
		t.Fatalf("%d models listed", mt.list.Length())
	}
	if !shows(mt.list, "3.0 GB") || !shows(mt.list, "Q4_K_M") || !shows(mt.list, "Yes") {
		t.Errorf("model rows: %q", canvasTexts(mt.list))
	}
	mt.list.Select(1) // qwen, with a projector
	if mt.projSel.Selected != "mmproj-qwen2.5-omni-3b-f16.gguf" {
		t.Errorf("projector %q", mt.projSel.Selected)
	}
	mt.gpuAuto.SetChecked(false)
	mt.gpuEntry.SetText("20")
	mt.threadSel.SetSelected("2")
	test.Tap(mt.loadBtn)
	// Loading: the window is usable, shows progress, and the button waits.
	if !mt.loadBtn.Disabled() || !mt.bar.Visible() {
		t.Error("no loading state")
	}
	if !strings.HasPrefix(h.m.live.modelLabel.Text, "Loading qwen2.5-omni-3b") {
		t.Errorf("status bar while loading: %q", h.m.live.modelLabel.Text)
	}
	h.models.release <- struct{}{}
	h.wait("load")
	if got := h.m.live.modelLabel.Text; got != "qwen2.5-omni-3b · CPU" {
		t.Errorf("status bar model = %q", got)
	}
	p := h.m.prefs
	if p.String(prefModel) != "/m/qwen2.5-omni-3b-Q8_0.gguf" || p.String(prefProjector) != "/m/mmproj-qwen2.5-omni-3b-f16.gguf" ||
		p.Int(prefGPULayers) != 20 || p.Int(prefThreads) != 2 {
		t.Errorf("saved %q %q %d %d", p.String(prefModel), p.String(prefProjector), p.Int(prefGPULayers), p.Int(prefThreads))
	}

	mt.list.Select(2) // broken
	test.Tap(mt.loadBtn)
	h.models.release <- struct{}{}
	h.wait("load")
	// A damaged file is a known error: said in the interface language, with what to do.
	if got := mt.message.Text; got != "Could not load broken: This is not a model file Verbatim can read (it may be damaged or incomplete). "+
		"Download it again, or pick another model under Models & settings. Still using: qwen2.5-omni-3b." {
		t.Errorf("message %q", got)
	}
	if h.m.live.modelLabel.Text != "qwen2.5-omni-3b · CPU" || p.String(prefModel) != "/m/qwen2.5-omni-3b-Q8_0.gguf" {
		t.Error("a bad model replaced the good one")
	}
}

func TestSavedModelLoadsAtStart(t *testing.T) {
	a := test.NewTempApp(t)
	a.Preferences().SetString(prefLanguage, "en")
	a.Preferences().SetString(prefModel, "/m/gemma-3n-E2B-Q4_K_M.gguf")
	models := newFakeModels()
	events := make(chan string, 10)
	m := newMainWindow(a, Deps{Models: models}, options{hook: func(e string) { events <- e }})
	t.Cleanup(m.win.Close)
	h := &harness{t: t, events: events}
	h.wait("load")
	if models.Current().Name != "gemma-3n-E2B" {
		t.Errorf("current %q", models.Current().Name)
	}
}

func TestDefaultModelLoadsWhenNoneSaved(t *testing.T) {
	for _, saved := range []string{"", "/m/gone.gguf"} {
		a := test.NewTempApp(t)
		a.Preferences().SetString(prefLanguage, "en")
		a.Preferences().SetString(prefModel, saved)
		a.Preferences().SetInt(prefThreads, 2)
		models := newFakeModels()
		models.models[1].Default = true
		events := make(chan string, 10)
		m := newMainWindow(a, Deps{Models: models}, options{hook: func(e string) { events <- e }})
		h := &harness{t: t, events: events}
		h.wait("load")
		if models.Current().Name != "qwen2.5-omni-3b" {
			t.Errorf("saved %q: current %q", saved, models.Current().Name)
		}
		if c := models.lastChoice(); c.Projector != "/m/mmproj-qwen2.5-omni-3b-f16.gguf" || c.Threads != 2 || c.GPULayers != -1 {
			t.Errorf("saved %q: loaded %+v", saved, c)
		}
		m.win.Close()
	}
}

func findButton(t *testing.T, o fyne.CanvasObject, text string) *widget.Button {
	t.Helper()
	var found *widget.Button
	walkObjects(o, false, func(o fyne.CanvasObject) bool {
		if w, ok := o.(*widget.Button); ok && w.Text == text {
			found = w
		}
		return found == nil
	})
	if found == nil {
		t.Fatalf("no button %q", text)
	}
	return found
}

func TestRecoveryOffered(t *testing.T) {
	store := &fakeSessions{
		infos: []desktop.SessionInfo{{ID: "s1", Started: time.Date(2026, 3, 1, 9, 30, 0, 0, time.Local), Segments: 2, Preview: "Welcome everyone"},
			{ID: "s2", Started: time.Date(2026, 3, 2, 9, 30, 0, 0, time.Local), Segments: 1}},
		segs: map[string][]transcript.Segment{"s1": {{ID: 0, Text: "Welcome everyone."}, {ID: 1, Text: "Let's begin."}}},
	}
	h := newHarness(t, "en", func(_ *harness, d *Deps) { d.Sessions = store })
	top := h.m.win.Canvas().Overlays().Top()
	if top == nil {
		t.Fatal("no recovery dialog")
	}
	for _, s := range []string{"Verbatim found 2 sessions that were not closed properly.", "2026-03-01 09:30 · 2 segments", "2026-03-02 09:30 · 1 segment"} {
		if !shows(top, s) {
			t.Errorf("dialog lacks %q: %q", s, canvasTexts(top))
		}
	}
	// the second row's Discard (Restore closes the dialog, so it comes first)
	var discards []*widget.Button
	walkObjects(top, false, func(o fyne.CanvasObject) bool {
		if w, ok := o.(*widget.Button); ok && w.Text == "Discard" {
			discards = append(discards, w)
		}
		return true
	})
	if len(discards) != 2 {
		t.Fatalf("%d discard buttons", len(discards))
	}
	test.Tap(discards[1])
	if !reflect.DeepEqual(store.discarded, []string{"s2"}) {
		t.Errorf("discarded %v", store.discarded)
	}
	test.Tap(findButton(t, top, "Restore"))
	if !shows(h.m.live.spokenView.root, "Let's begin.") {
		t.Errorf("restored text not shown: %q", canvasTexts(h.m.live.spokenView.root))
	}
}

func TestClear(t *testing.T) {
	h := newHarness(t, "en", nil)
	h.startRecording()
	h.rec.segment(0, "one", "", true)
	h.rec.segment(0, "uno", "es", true)
	test.Tap(findButton(t, h.m.win.Content(), "Clear"))
	top := h.m.win.Canvas().Overlays().Top()
	if top == nil || !shows(top, "This removes 1 segment from the window.") {
		t.Fatal("no confirmation")
	}
	test.Tap(findButton(t, top, "Yes"))
	if h.m.live.spoken.store.Len()+h.m.live.trans.store.Len() != 0 || shows(h.m.live.spokenView.root, "one") {
		t.Error("not cleared")
	}
	h.rec.segment(1, "two", "", true)
	if !shows(h.m.live.spokenView.root, "two") {
		t.Error("text after clearing not shown")
	}
}

// Golden markup of the three screens.
func TestGoldenScreens(t *testing.T) {
	h := newHarness(t, "en", nil)
	h.startRecording()
	h.rec.send(live.Event{Level: &capture.Level{RMS: 0.05}})
	h.rec.send(live.Event{Stats: &live.Stats{TokensPerSec: 42, LatencyMs: 180}})
	h.rec.segment(0, "Welcome to the weekly meeting.", "", true)
	h.rec.segment(0, "Bienvenidos a la reunión semanal.", "es", true)
	h.rec.segment(1, "First on the agenda is", "", false)
	test.AssertRendersToMarkup(t, "live.xml", h.m.win.Canvas())

	h.m.tabs.SelectIndex(tabFiles)
	dir := "/data/in"
	h.m.batch.add([]string{dir + "/interview.wav", dir + "/lecture.mp3", dir + "/broken.ogg"})
	test.Tap(h.m.batch.startBtn)
	h.batch.send(desktop.BatchEvent{Path: dir + "/interview.wav", Progress: 1, Output: dir + "/interview.srt"})
	h.batch.send(desktop.BatchEvent{Path: dir + "/lecture.mp3", Progress: 0.4})
	h.batch.send(desktop.BatchEvent{Path: dir + "/broken.ogg", Err: errors.New("cannot decode: unexpected EOF")})
	test.AssertRendersToMarkup(t, "batch.xml", h.m.win.Canvas())

	h.m.tabs.SelectIndex(tabModels)
	test.AssertRendersToMarkup(t, "models.xml", h.m.win.Canvas())
	h.batch.close()
	h.wait("batchdone")
}

// A second recording and a restored session number their segments from 0 again: their lines come
// after those shown, never in their place.
func TestRecordingsAndRestoreAppend(t *testing.T) {
	store := &fakeSessions{
		infos: []desktop.SessionInfo{{ID: "s1", Started: time.Date(2026, 3, 1, 9, 30, 0, 0, time.Local), Segments: 2}},
		segs:  map[string][]transcript.Segment{"s1": {{ID: 0, Text: "Restored one."}, {ID: 1, Text: "Restored two."}}},
	}
	h := newHarness(t, "en", func(_ *harness, d *Deps) { d.Sessions = store })
	recovery := h.m.win.Canvas().Overlays().Top()
	if recovery == nil {
		t.Fatal("no recovery dialog")
	}
	live := h.m.live
	record := func(lines ...string) {
		h.startRecording()
		for i, s := range lines {
			h.rec.segment(i, strings.ToLower(s), "", false)
			h.rec.segment(i, s, "", true)
			h.rec.segment(i, s+" (es)", "es", true)
		}
		h.rec.segment(0, "provisional again", "", false) // a final line stays final
		test.Tap(live.recordBtn)
		h.waitStopCall()
		h.rec.finish()
		h.wait("stopped")
	}
	record("First one.", "First two.")
	record("Second one.", "Second two.")
	test.Tap(findButton(t, recovery, "Restore"))

	want := []string{"First one.", "First two.", "Second one.", "Second two.", "Restored one.", "Restored two."}
	var got []string
	ids := map[int]bool{}
	for _, s := range live.spoken.segments() {
		got = append(got, s.Text)
		if ids[s.ID] {
			t.Errorf("ID %d twice", s.ID)
		}
		ids[s.ID] = true
		if !s.Final {
			t.Errorf("%q is not final", s.Text)
		}
	}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("lines = %q, want %q", got, want)
	}
	spoken := live.spoken.segments()
	for i, s := range live.trans.segments() {
		if s.ID != spoken[i].ID || s.Text != want[i]+" (es)" {
			t.Errorf("translation %d = %d %q, want it under %d %q", i, s.ID, s.Text, spoken[i].ID, want[i])
		}
	}
	for _, s := range want {
		if !shows(live.spokenView.root, s) {
			t.Errorf("%q not shown: %q", s, canvasTexts(live.spokenView.root))
		}
	}

	test.Tap(findButton(t, h.m.win.Content(), "Copy all"))
	if got, w := h.m.app.Clipboard().Content(), strings.Join(want, "\n")+"\n"; got != w {
		t.Errorf("clipboard = %q, want %q", got, w)
	}

	dir := t.TempDir()
	h.m.app.Preferences().SetString("fyne:fileDialogLastFolder", storage.NewFileURI(dir).String())
	test.Tap(live.exportBtn)
	pickMenuItem(t, h, ".txt")
	save := h.m.win.Canvas().Overlays().Top()
	if save == nil {
		t.Fatal("no save dialog")
	}
	test.Tap(findButton(t, save, "Save"))
	files, _ := filepath.Glob(filepath.Join(dir, "transcript-*.txt"))
	if len(files) != 1 {
		t.Fatalf("exported %q", files)
	}
	b, err := os.ReadFile(files[0])
	if err != nil {
		t.Fatal(err)
	}
	if got, w := string(b), strings.Join(want, "\n")+"\n"; got != w { // app/export's plain text
		t.Errorf("exported %q, want %q", got, w)
	}
}

// The translation menus offer what the loaded model's tasks say it can translate into, and say so
// when it cannot translate at all; the wished target comes back with a model that can.
func TestTargetsFromModelTasks(t *testing.T) {
	h := newHarness(t, "en", func(h *harness, _ *Deps) {
		h.models.models[0].Tasks = []string{"transcribe", "translate:es", "translate:fr"}
		h.models.models[1].Tasks = []string{"transcribe"}
	})
	live, batch, mt := h.m.live, h.m.batch, h.m.models
	if n := len(live.targetSel.Options); n != len(translationTargets)+1 {
		t.Fatalf("with no task list: %d choices", n)
	}
	live.targetSel.SetSelected("Français")
	batch.targetSel.SetSelected("Español")
	load := func(i int) {
		t.Helper()
		mt.list.Select(i)
		test.Tap(mt.loadBtn)
		h.wait("load")
	}

	load(0) // gemma: Spanish and French
	for _, sel := range []*widget.Select{live.targetSel, batch.targetSel} {
		if want := []string{"None", "Español", "Français"}; !reflect.DeepEqual(sel.Options, want) {
			t.Errorf("choices %q, want %q", sel.Options, want)
		}
	}
	if live.targetSel.Selected != "Français" || batch.targetSel.Selected != "Español" || live.targets.note.Visible() {
		t.Errorf("selected %q, %q; note shown %v", live.targetSel.Selected, batch.targetSel.Selected, live.targets.note.Visible())
	}

	load(1) // qwen: transcribes only
	note := "This model cannot translate: choose another in Models & settings."
	for _, tm := range []*targetMenu{live.targets, batch.targets} {
		if !reflect.DeepEqual(tm.sel.Options, []string{"None"}) || !tm.sel.Disabled() || tm.code() != "" {
			t.Errorf("choices %q, disabled %v, target %q", tm.sel.Options, tm.sel.Disabled(), tm.code())
		}
	}
	h.m.tabs.SelectIndex(0)
	if !shows(h.m.win.Content(), note) {
		t.Errorf("no note %q: %q", note, canvasTexts(h.m.win.Content()))
	}
	if got := batch.options().Translate; got != "" {
		t.Errorf("batch translates into %q", got)
	}
	h.startRecording()
	if h.rec.started.TranslateTo != "" {
		t.Errorf("started translating into %q", h.rec.started.TranslateTo)
	}
	test.Tap(live.recordBtn)
	h.waitStopCall()
	h.rec.finish()
	h.wait("stopped")

	load(0) // the wish comes back
	if live.targetSel.Selected != "Français" || live.target != "fr" || batch.options().Translate != "es" {
		t.Errorf("after reloading: %q (%q), batch %q", live.targetSel.Selected, live.target, batch.options().Translate)
	}
}

// The "Also record system audio" box reaches Start and is kept as a preference; while recording it
// cannot change; where the microphone cannot record the system audio it is off and disabled, says why
// a tap away, starts without it, and leaves the preference as it was.
func TestSystemAudioCheck(t *testing.T) {
	h := newHarness(t, "en", nil)
	tab := h.m.live
	if tab.systemCheck.Disabled() || tab.systemCheck.Checked || tab.systemWhy.Visible() {
		t.Fatalf("supported: disabled %v, checked %v, reason shown %v", tab.systemCheck.Disabled(), tab.systemCheck.Checked, tab.systemWhy.Visible())
	}
	tick := func() { test.TapAt(tab.systemCheck, fyne.NewPos(8, tab.systemCheck.Size().Height/2)) }
	tick()
	h.startRecording()
	if !h.rec.started.SystemAudio {
		t.Error("started without the system audio after ticking the box")
	}
	if !tab.systemCheck.Disabled() {
		t.Error("the box is enabled while recording")
	}
	if !h.m.prefs.Bool(prefSystemAudio) {
		t.Error("the choice is not kept")
	}
	tab.stop(nil)
	<-h.rec.stopCalls
	h.rec.finish()
	h.wait("stopped")
	tick()
	h.startRecording()
	if h.rec.started.SystemAudio || h.m.prefs.Bool(prefSystemAudio) {
		t.Errorf("unticked: started with system audio %v, preference %v", h.rec.started.SystemAudio, h.m.prefs.Bool(prefSystemAudio))
	}

	h = newHarness(t, "en", func(h *harness, _ *Deps) {
		h.rec.sysErr = fmt.Errorf("record system audio: %w", capture.ErrNoMonitor)
	})
	h.m.prefs.SetBool(prefSystemAudio, true)
	tab = h.m.live
	tab.system = true
	tab.refreshSystem()
	if !tab.systemCheck.Disabled() || tab.systemCheck.Checked || !tab.systemWhy.Visible() {
		t.Fatalf("unsupported: disabled %v, checked %v, reason shown %v", tab.systemCheck.Disabled(), tab.systemCheck.Checked, tab.systemWhy.Visible())
	}
	test.Tap(tab.systemWhy)
	if top := h.m.win.Canvas().Overlays().Top(); top == nil || !shows(top, "System audio unavailable") || !shows(top, "monitor of the output device") {
		t.Errorf("no explanation of why the box is disabled: %q", canvasTexts(top))
	}
	h.startRecording()
	if h.rec.started.SystemAudio || !h.m.prefs.Bool(prefSystemAudio) {
		t.Errorf("unsupported: started with system audio %v, preference kept %v", h.rec.started.SystemAudio, h.m.prefs.Bool(prefSystemAudio))
	}
}

// The Live tab's top row fits an 800 px wide window in English, the system audio box and its reason
// included.
func TestLiveTopRowWidth(t *testing.T) {
	for _, sysErr := range []error{nil, capture.ErrNoMonitor} {
		h := newHarness(t, "en", func(h *harness, _ *Deps) { h.rec.sysErr = sysErr })
		w := h.m.live.topRow.MinSize().Width
		if w > 800-2*theme.Padding() {
			t.Errorf("system audio error %v: the top row needs %.0f px", sysErr, w)
		}
	}
}
