package ui

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/dialog"
	fynedesktop "fyne.io/fyne/v2/driver/desktop"
	"fyne.io/fyne/v2/storage"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"github.com/verbatim-app/verbatim/app/export"
	"github.com/verbatim-app/verbatim/app/transcript"
)

// The tabs, in order.
const (
	tabLive = iota
	tabFiles
	tabHistory
	tabModels
)

// Preference keys (fyne.Preferences of the App).
const (
	prefLanguage    = "ui.language"      // "" follows the system
	prefDevice      = "live.device"      // desktop.Device's Name
	prefTranslateTo = "live.translate"   // "" none
	prefSystemAudio = "live.systemaudio" // also record the system audio
	prefExport      = "live.export"      // export format
	prefBatchFormat = "batch.format"
	prefBatchOutDir = "batch.outdir" // "" next to the inputs
	prefBatchTarget = "batch.translate"
	prefModel       = "model.id"
	prefProjector   = "model.projector"
	prefGPULayers   = "model.gpulayers" // -1 auto
	prefThreads     = "model.threads"   // 0 auto
	prefServer      = "server.on"       // the local API server starts with the window

	prefDictation      = "dictation.on"       // dictation starts with the window
	prefDictShortcut   = "dictation.shortcut" // "ctrl+alt+space"
	prefDictMode       = "dictation.mode"     // "hold" or "toggle"
	prefDictCommands   = "dictation.commands" // spoken commands (default on)
	prefStartMinimised = "window.minimised"   // start hidden in the tray (where there is one)
)

// callTimeout bounds quick service calls (device lists, Stop); loading and batches are not bounded.
const callTimeout = 30 * time.Second

// mainWindow is the whole window: state that survives a change of language, and the widgets built
// from it (rebuilt by build when the language changes).
type mainWindow struct {
	app   fyne.App
	win   fyne.Window
	deps  Deps
	tr    *Translator
	prefs fyne.Preferences

	live    *liveTab
	batch   *batchTab
	history *historyTab
	models  *modelsTab
	player  *playBar
	dict    *dictationPart
	tray    *tray // nil: no system tray
	tabs    *container.AppTabs

	opts options
	doMu sync.Mutex
}

// options are for tests.
type options struct {
	hook func(event string) // told when background work has been rendered
}

// do runs f on Fyne's goroutine (fyne.Do). The lock changes nothing there, where everything already
// runs one at a time; it serialises the callbacks of our goroutines under the test driver, which
// runs each in its caller's goroutine.
func (m *mainWindow) do(f func()) {
	fyne.Do(func() {
		m.doMu.Lock()
		defer m.doMu.Unlock()
		f()
	})
}

// notify tells tests that background work named event has been rendered.
func (m *mainWindow) notify(event string) {
	if m.opts.hook != nil {
		m.opts.hook(event)
	}
}

// NewMainWindow builds Verbatim's window on the services in deps. It does not show it: call
// ShowAndRun (or Show) on the result. Sessions recovered after a crash are offered once it is shown.
//
// With a tray and "start minimised" chosen, ShowAndRun runs the app with the window hidden in the tray.
func NewMainWindow(a fyne.App, deps Deps) fyne.Window {
	m := newMainWindow(a, deps, options{})
	return runner{m.win, m}
}

// runner is the window as NewMainWindow returns it: ShowAndRun knows about starting minimised.
type runner struct {
	fyne.Window
	m *mainWindow
}

func (r runner) ShowAndRun() {
	if r.m.startHidden() {
		r.m.app.Run()
		return
	}
	r.Window.ShowAndRun()
}

// startHidden says whether the window starts hidden in the tray.
func (m *mainWindow) startHidden() bool {
	return m.tray != nil && m.prefs.Bool(prefStartMinimised)
}

func newMainWindow(a fyne.App, deps Deps, opts options) *mainWindow {
	m := &mainWindow{app: a, deps: deps, prefs: a.Preferences(), opts: opts}
	tr, err := NewTranslator(m.prefs.String(prefLanguage))
	if err != nil { // the embedded files are broken: a build error, caught by the tests
		panic(err)
	}
	m.tr = tr
	applyToFyne(tr.Language(), m.prefs.String(prefLanguage) == "")

	m.win = a.NewWindow("Verbatim")
	m.win.Resize(fyne.NewSize(1100, 720))
	m.live = newLiveTab(m)
	m.batch = newBatchTab(m)
	m.history = newHistoryTab(m)
	m.models = newModelsTab(m)
	m.player = newPlayBar(m)
	m.player.watch(m.live.playing)
	m.player.watch(m.history.playing)
	m.dict = newDictationPart(m)
	m.tray = newTray(m)
	// Closing this window ends the app even when the tray keeps another (hidden) window of the driver's.
	m.win.SetMaster()
	m.build()

	m.win.Canvas().AddShortcut(&fynedesktop.CustomShortcut{KeyName: fyne.KeyR, Modifier: fyne.KeyModifierShortcutDefault},
		func(fyne.Shortcut) { m.live.toggleRecord() })
	// The Live tab's Export and Copy all, from any tab (the hint in the empty transcript names them).
	m.win.Canvas().AddShortcut(&fynedesktop.CustomShortcut{KeyName: fyne.KeyS, Modifier: fyne.KeyModifierShortcutDefault},
		func(fyne.Shortcut) { m.live.export(&m.live.spoken, "transcript", "") })
	m.win.Canvas().AddShortcut(&fynedesktop.CustomShortcut{KeyName: fyne.KeyC, Modifier: fyne.KeyModifierShortcutDefault | fyne.KeyModifierShift},
		func(fyne.Shortcut) { m.live.copyText(&m.live.spoken) })
	// Ctrl+1…4 select the tabs: Fyne's tab bar takes no keyboard focus.
	for i, k := range []fyne.KeyName{fyne.Key1, fyne.Key2, fyne.Key3, fyne.Key4} {
		m.win.Canvas().AddShortcut(&fynedesktop.CustomShortcut{KeyName: k, Modifier: fyne.KeyModifierShortcutDefault},
			func(fyne.Shortcut) { m.tabs.SelectIndex(i) })
	}
	m.win.SetOnDropped(func(_ fyne.Position, uris []fyne.URI) {
		var paths []string
		for _, u := range uris {
			if u.Scheme() == "file" {
				paths = append(paths, u.Path())
			}
		}
		m.tabs.SelectIndex(tabFiles)
		m.batch.add(paths)
	})
	m.win.SetCloseIntercept(m.closeRequested)

	m.live.start()
	m.history.start()
	m.models.start()
	m.dict.start()
	go m.live.offerRecovery()
	return m
}

// build (re)creates every widget in the current language.
func (m *mainWindow) build() {
	sel := 0
	if m.tabs != nil {
		sel = m.tabs.SelectedIndex()
	}
	m.tabs = container.NewAppTabs(
		container.NewTabItemWithIcon(m.tr.T("TabLive"), theme.MediaRecordIcon(), m.live.build()),
		container.NewTabItemWithIcon(m.tr.T("TabBatch"), theme.ListIcon(), m.batch.build()),
		container.NewTabItemWithIcon(m.tr.T("TabHistory"), theme.HistoryIcon(), m.history.build()),
		container.NewTabItemWithIcon(m.tr.T("TabModels"), theme.SettingsIcon(), m.models.build()),
	)
	m.tabs.SelectIndex(sel)
	m.tabs.OnSelected = func(*container.TabItem) {
		m.live.note = "" // said about the Live tab, and done with
		m.live.refreshStatus()
	}
	bar := m.live.statusBar()
	if m.deps.Dictation != nil {
		bar = container.NewBorder(nil, nil, m.dict.indicatorWidget(), nil, bar)
	}
	m.win.SetContent(container.NewBorder(nil, container.NewVBox(m.player.build(), bar), nil, nil, m.tabs))
	if m.tray != nil {
		m.tray.refresh() // its menu in the new language
	}
}

// closeRequested is the window's close button: while dictation runs and a tray holds the icon, the
// window only hides (dictation goes on); otherwise the app quits.
func (m *mainWindow) closeRequested() {
	if m.tray != nil && (m.dict.running || m.dict.starting) {
		m.win.Hide()
		m.notify("hidden")
		return
	}
	m.quit()
}

// quit closes the window, which ends the app: listening stops first, so that audio still queued is
// transcribed and saved.
func (m *mainWindow) quit() {
	if m.live.state == recIdle || m.deps.Recorder == nil {
		m.win.Close()
		return
	}
	m.live.stop(func() { m.win.Close() })
}

// showWindow brings the window back from the tray.
func (m *mainWindow) showWindow() {
	m.win.Show()
	m.win.RequestFocus()
}

// setLanguage switches the interface language ("" follows the system) and re-renders.
func (m *mainWindow) setLanguage(l string) {
	m.prefs.SetString(prefLanguage, l)
	m.tr.SetLanguage(l)
	applyToFyne(m.tr.Language(), l == "")
	refreshFonts(m.app)
	m.build()
}

// refreshTargets offers in the translation menus what the loaded model can do.
func (m *mainWindow) refreshTargets() {
	if m.live.targets != nil {
		m.live.targets.refresh()
	}
	if m.batch.targets != nil {
		m.batch.targets.refresh()
	}
}

// showError shows err in a dialog, with what failed as its first line and err as people read it
// (errorText).
func (m *mainWindow) showError(what string, err error) {
	dialog.ShowError(wrapErr{what, m.logError(what, err), err}, m.win)
}

type wrapErr struct {
	what, text string
	err        error
}

func (e wrapErr) Error() string { return e.what + "\n" + e.text }
func (e wrapErr) Unwrap() error { return e.err }

// speakerName is a speaker label as the window shows it: the two a call is recorded with in the
// interface language, a name given by the user as it is.
func (m *mainWindow) speakerName(label string) string {
	switch label {
	case transcript.Mic:
		return m.tr.T("SpeakerYou")
	case transcript.System:
		return m.tr.T("SpeakerOthers")
	}
	return label
}

// askText asks for text in a dialog prefilled with initial (multiLine: a paragraph); note, when not
// empty, stands under the entry. ok gets what was entered, unless the dialog was cancelled.
func (m *mainWindow) askText(title, label, initial string, multiLine bool, note string, ok func(string)) {
	t := m.tr
	e := widget.NewEntry()
	if multiLine {
		e = widget.NewMultiLineEntry()
		e.Wrapping = fyne.TextWrapWord
		e.SetMinRowsVisible(4)
	}
	e.SetText(initial)
	l := widget.NewLabel(label)
	l.Wrapping = fyne.TextWrapWord
	content := container.NewVBox(l, e)
	if note != "" {
		n := widget.NewLabel(note)
		n.Wrapping = fyne.TextWrapWord
		n.Importance = widget.LowImportance
		content.Add(n)
	}
	var d dialog.Dialog
	submit := func() {
		d.Hide()
		ok(e.Text)
	}
	if !multiLine {
		e.OnSubmitted = func(string) { submit() }
	}
	d = dialog.NewCustomConfirm(title, t.T("Save"), t.T("Cancel"), content, func(yes bool) {
		if yes {
			ok(e.Text)
		}
	}, m.win)
	d.Resize(fyne.NewSize(min(520, m.win.Canvas().Size().Width-40), content.MinSize().Height+120))
	d.Show()
	m.win.Canvas().Focus(e)
	m.notify("asking")
}

// pickFormat offers export.Formats in a menu under the button anchor; pick gets the one chosen.
func (m *mainWindow) pickFormat(anchor fyne.CanvasObject, pick func(format string)) {
	widget.ShowPopUpMenuAtRelativePosition(m.formatMenu(pick), m.win.Canvas(), fyne.NewPos(0, anchor.Size().Height), anchor)
}

// formatMenu is the menu of export formats, each named with what it is for.
func (m *mainWindow) formatMenu(pick func(format string)) *fyne.Menu {
	var items []*fyne.MenuItem
	for _, f := range export.Formats() {
		items = append(items, fyne.NewMenuItem(m.tr.T("Format_"+f), func() { pick(f) }))
	}
	return fyne.NewMenu("", items...)
}

// saveExport writes doc in format ("" the last one used) through a file dialog; a name typed with
// another of export.Formats' extensions picks that one instead. done gets the path written.
func (m *mainWindow) saveExport(doc export.Doc, base, format string, done func(path string)) {
	if format == "" {
		format = m.prefs.StringWithFallback(prefExport, "txt")
	}
	d := dialog.NewFileSave(func(w fyne.URIWriteCloser, err error) {
		if err != nil {
			m.showError(m.tr.T("ExportFailed"), err)
			return
		}
		if w == nil {
			return // cancelled
		}
		m.writeExport(w, doc, format, done)
	}, m.win)
	d.SetFileName(fmt.Sprintf("%s-%s.%s", base, time.Now().Format("2006-01-02-1504"), format))
	exts := export.Formats()
	for i, f := range exts {
		exts[i] = "." + f
	}
	d.SetFilter(storage.NewExtensionFileFilter(exts))
	d.Show()
}

// writeExport writes doc to w, the file the save dialog gave, and closes it: in the format its name's
// extension says when that is one of export.Formats, else in format.
func (m *mainWindow) writeExport(w fyne.URIWriteCloser, doc export.Doc, format string, done func(path string)) {
	if f := strings.TrimPrefix(strings.ToLower(w.URI().Extension()), "."); formatIndex(f) >= 0 {
		format = f
	}
	m.prefs.SetString(prefExport, format)
	err := export.Write(w, format, doc)
	if cerr := w.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		m.showError(m.tr.T("ExportFailed"), err)
		return
	}
	done(w.URI().Path())
}

func timeout() (context.Context, context.CancelFunc) {
	return context.WithTimeout(context.Background(), callTimeout)
}
