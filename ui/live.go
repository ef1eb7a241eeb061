package ui

import (
	"context"
	"fmt"
	"math"
	"path/filepath"
	"strings"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/dialog"
	"fyne.io/fyne/v2/layout"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"github.com/verbatim-app/verbatim/app/desktop"
	"github.com/verbatim-app/verbatim/app/export"
	"github.com/verbatim-app/verbatim/app/live"
	"github.com/verbatim-app/verbatim/app/transcript"
)

type recState int

const (
	recIdle recState = iota
	recStarting
	recRecording
	recStopping
)

// translationTargets are the languages the translation pane offers ("" is none), by native name.
var translationTargets = []struct{ code, name string }{
	{"en", "English"}, {"es", "Español"}, {"fr", "Français"}, {"de", "Deutsch"}, {"it", "Italiano"},
	{"pt", "Português"}, {"nl", "Nederlands"}, {"pl", "Polski"}, {"ru", "Русский"}, {"uk", "Українська"},
	{"tr", "Türkçe"}, {"ar", "العربية"}, {"hi", "हिन्दी"}, {"ja", "日本語"}, {"ko", "한국어"}, {"zh", "中文"},
}

// liveTab is live listening: its state, and its widgets of the current build.
type liveTab struct {
	m *mainWindow

	state    recState
	devices  []desktop.Device
	device   string
	target   string // translation target, "" none
	system   bool   // also record the system audio (the preference)
	sysErr   error  // why the system audio cannot be recorded; nil: it can (or not known yet)
	spoken   segmentList
	trans    segmentList
	ids      segIDs // unique segment IDs across recordings and restored sessions
	stats    live.Stats
	lastErr  string
	note     string   // what the last action did ("Copied"), shown on the Live tab until the next
	onIdle   []func() // run once listening has stopped
	recovery []desktop.SessionInfo
	audio    []runAudio     // where the lines play from, by the first window ID of each run
	runDir   map[int]string // a recording's session folder, until its first line arrives
	lastDir  string         // the session recorded last, indexed in the history when it ends

	// widgets of the current build
	recordBtn   *ringButton
	devSelect   *widget.Select
	systemCheck *widget.Check
	systemWhy   *widget.Button // says why systemCheck is disabled; hidden when it is not
	meter       *levelMeter
	spokenView  *transcriptView
	transView   *transcriptView
	targetSel   *widget.Select
	targets     *targetMenu
	statusLabel *widget.Label
	modelLabel  *widget.Label
	speedLabel  *widget.Label
	statusBox   *fyne.Container
	topRow      *fyne.Container
	exportBtn   *widget.Button
}

// runAudio is the recording a run of lines plays from: a session folder.
type runAudio struct {
	first  int // the window ID of the run's first line
	source string
}

func newLiveTab(m *mainWindow) *liveTab {
	return &liveTab{m: m,
		trans:  segmentList{byID: true}, // row for row beside the transcript
		device: m.prefs.String(prefDevice),
		target: m.prefs.String(prefTranslateTo),
		system: m.prefs.Bool(prefSystemAudio),
		runDir: map[int]string{},
	}
}

// sourceOf is the recording line id plays from; "" when there is none (no session was recorded).
func (l *liveTab) sourceOf(id int) string {
	src := ""
	for _, a := range l.audio {
		if a.first <= id {
			src = a.source
		}
	}
	return src
}

// runOf is the ID range [first, end) of the run that plays from source, ok false if none does.
func (l *liveTab) runOf(source string) (first, end int, ok bool) {
	for i, a := range l.audio {
		if a.source == source {
			end = int(^uint(0) >> 1)
			if i+1 < len(l.audio) {
				end = l.audio[i+1].first
			}
			return a.first, end, true
		}
	}
	return 0, 0, false
}

// lineActions are what the live views' lines offer: play from a timestamp, rename a speaker.
func (l *liveTab) lineActions(data *segmentList) lineActions {
	act := lineActions{
		speaker: func(i int) { l.renameSpeaker(data, i) },
		name:    l.m.speakerName,
		edit:    func(i int) { l.editLine(data, i) },
		copy:    func(i int) { l.copyLine(data, i) },
		tr:      l.m.tr,
	}
	if l.m.deps.Player != nil {
		act.stamp = func(i int) {
			s := data.store.At(i)
			src := l.sourceOf(s.ID)
			l.m.player.play(src, s.Start, l.tr().T("PlayRecording", map[string]any{"Time": sessionTime(src)}))
		}
		act.playable = func(i int) bool { return l.sourceOf(data.store.At(i).ID) != "" }
	}
	return act
}

// playing highlights the line playing, in both panes, when it is one of this tab's recordings.
func (l *liveTab) playing(source string, pos time.Duration, active bool) {
	if l.spokenView == nil {
		return
	}
	first, end, ok := l.runOf(source)
	for _, v := range []*transcriptView{l.spokenView, l.transView} {
		if !active || !ok {
			v.setMark(-1)
			continue
		}
		v.setMark(markAt(v.data.store.Len(), func(i int) (time.Duration, time.Duration) {
			s := v.data.store.At(i)
			if s.ID < first || s.ID >= end {
				return time.Duration(1<<63 - 1), 0 // another recording's line: never the one playing
			}
			return s.Start, s.End
		}, pos))
	}
}

// viewOf is the view that shows data.
func (l *liveTab) viewOf(data *segmentList) *transcriptView {
	if data == &l.trans {
		return l.transView
	}
	return l.spokenView
}

// copyLine puts line i's text on the clipboard.
func (l *liveTab) copyLine(data *segmentList, i int) {
	if text := data.at(i).Text; text != "" {
		l.m.app.Clipboard().SetContent(text)
		l.setNote(l.tr().T("LineCopied"))
	}
}

// editLine asks for line i's corrected text and keeps it: in the window (transcript.Store.Edit: what
// the model sends for the line later does not undo it), so Copy all and exports have it, and in the
// journal of the session it was recorded in, so a recovered or replayed session has it too.
func (l *liveTab) editLine(data *segmentList, i int) {
	s := data.at(i)
	if s.Text == "" {
		return // a translation not there yet
	}
	t := l.tr()
	l.m.askText(t.T("EditLineTitle"), t.T("EditLineLabel", map[string]any{"Time": formatStamp(s.Start)}), s.Text, true, "", func(text string) {
		j, ok := data.store.Index(s.ID, data.store.At(i).Lang)
		if !ok { // cleared meanwhile
			return
		}
		edited, err := data.edit(j, text)
		if err != nil {
			l.m.showError(t.T("EditLineFailed"), err)
			return
		}
		l.viewOf(data).changed(j, false)
		rec, dir := l.m.deps.Recorder, l.sourceOf(s.ID)
		_, runID, ok := l.ids.Origin(s.ID)
		if rec == nil || dir == "" || !ok {
			l.m.notify("edited") // nothing recorded to keep it in: the window has it
			return
		}
		l.keepInSession(dir, "EditLineFailed", "edited", func() error {
			_, err := rec.EditSegment(dir, runID, s.Lang, edited.Text)
			return err
		})
	})
}

// keepInSession runs apply, a change to the session recorded in dir, off the window's goroutine; when the
// recording has ended (it is in the history already), the session is indexed again so History shows the
// change too. failKey names the error shown if it fails; note is what tests wait for.
func (l *liveTab) keepInSession(dir, failKey, note string, apply func() error) {
	hist, idle := l.m.deps.History, l.state == recIdle
	go func() {
		err := apply()
		if err == nil && idle && hist != nil && dir != "" {
			ctx, cancel := timeout()
			defer cancel()
			_, err = hist.IndexSession(ctx, dir, "")
		}
		l.m.do(func() {
			if err != nil {
				l.m.showError(l.tr().T(failKey), err)
			}
			l.m.history.reload()
			l.m.notify(note)
		})
	}()
}

// renameSpeaker asks for a new name for line i's speaker and gives it on every line, in the window and
// in the session recorded.
func (l *liveTab) renameSpeaker(data *segmentList, i int) {
	from := data.store.At(i).Speaker
	if from == "" {
		return
	}
	t := l.tr()
	l.m.askText(t.T("RenameSpeakerTitle"), t.T("RenameSpeakerLabel", map[string]any{"Name": l.m.speakerName(from)}),
		l.m.speakerName(from), false, "", func(name string) {
			name, err := transcript.CleanSpeaker(name)
			if err != nil {
				l.m.showError(t.T("RenameSpeakerFailed"), err)
				return
			}
			if _, err := l.spoken.renameSpeaker(from, name); err != nil {
				l.m.showError(t.T("RenameSpeakerFailed"), err)
				return
			}
			if _, err := l.trans.renameSpeaker(from, name); err != nil {
				l.m.showError(t.T("RenameSpeakerFailed"), err)
			}
			l.spokenView.refreshAll()
			l.transView.refreshAll()
			rec := l.m.deps.Recorder
			if rec == nil {
				return
			}
			l.keepInSession(l.lastDir, "RenameSpeakerFailed", "renamed", func() error {
				_, err := rec.RenameSpeaker(from, name)
				return err
			})
		})
}

func (l *liveTab) tr() *Translator { return l.m.tr }

// start loads the device list in the background.
func (l *liveTab) start() {
	if l.m.deps.Recorder == nil {
		return
	}
	go func() {
		ctx, cancel := timeout()
		defer cancel()
		devs, err := l.m.deps.Recorder.Devices(ctx)
		sysErr := l.m.deps.Recorder.SystemAudio(ctx)
		l.m.do(func() {
			l.sysErr = sysErr
			l.refreshSystem()
			if err != nil {
				l.lastErr = l.m.logError("live", err)
				l.refreshStatus()
				return
			}
			l.devices = devs
			l.refreshDevices()
			l.m.notify("devices")
		})
	}()
}

func (l *liveTab) build() fyne.CanvasObject {
	t := l.tr()
	l.recordBtn = newRingButton("", theme.MediaRecordIcon(), l.toggleRecord)
	l.devSelect = widget.NewSelect(nil, func(string) {
		if i := l.devSelect.SelectedIndex(); i >= 0 && i < len(l.devices) {
			l.device = l.devices[i].Name
			l.m.prefs.SetString(prefDevice, l.device)
		}
	})
	l.devSelect.PlaceHolder = t.T("NoDevices")
	l.systemCheck = widget.NewCheck(t.T("SystemAudio"), func(on bool) {
		if l.systemCheck.Disabled() {
			return // shown off because it cannot be on: the preference stays
		}
		l.system = on
		l.m.prefs.SetBool(prefSystemAudio, on)
	})
	l.systemWhy = widget.NewButtonWithIcon(t.T("SystemAudioWhyButton"), theme.InfoIcon(), func() {
		if l.sysErr != nil {
			dialog.ShowInformation(t.T("SystemAudioUnavailable"),
				t.T("SystemAudioUnavailableWhy", map[string]any{"Err": l.sysErr.Error()}), l.m.win)
		}
	})
	l.systemWhy.Importance = widget.LowImportance
	l.meter = newLevelMeter(t.T("Level"))

	l.spokenView = newTranscriptView(&l.spoken, t.T("TranscriptEmpty"), t.T("FollowLive"), l.lineActions(&l.spoken))
	l.transView = newTranscriptView(&l.trans, t.T("TranslationEmpty"), t.T("FollowLive"), l.lineActions(&l.trans))
	l.spokenView.pairWith(l.transView)

	l.targets = newTargetMenu(l.m, prefTranslateTo, func(target string) {
		l.target = target
		l.refreshTransEmpty()
		if l.state == recRecording && l.m.deps.Recorder != nil {
			if err := l.m.deps.Recorder.SetTranslateTo(target); err != nil {
				l.m.showError(t.T("TranslateFailed"), err)
			}
		}
	})
	l.targetSel = l.targets.sel
	l.target = l.targets.code()
	l.refreshTransEmpty()

	copyBtn := widget.NewButtonWithIcon(t.T("CopyAll"), theme.ContentCopyIcon(), func() { l.copyText(&l.spoken) })
	var exportBtn *widget.Button
	exportBtn = widget.NewButtonWithIcon(t.T("Export"), theme.DocumentSaveIcon(), func() {
		l.m.pickFormat(exportBtn, func(format string) { l.export(&l.spoken, "transcript", format) })
	})
	l.exportBtn = exportBtn
	clearBtn := widget.NewButtonWithIcon(t.T("Clear"), theme.ContentClearIcon(), l.confirmClear)

	// Two rows when one does not fit (German at 800 px): the recording controls, then the meter with
	// the transcript's buttons.
	var content, left, right *fyne.Container // laid out again when a header changes its number of lines
	l.topRow = container.New(&twoRows{relayout: func() { content.Refresh() }},
		container.NewHBox(l.recordBtn, widget.NewLabel(t.T("Device")), l.devSelect, l.systemCheck, l.systemWhy),
		container.NewPadded(l.meter), // captioned "Level", empty unless recording
		container.NewHBox(copyBtn, exportBtn, clearBtn))

	// Labelled, not icon-only: Fyne 2.7 has no tooltips to name an icon.
	transCopy := widget.NewButtonWithIcon(t.T("Copy"), theme.ContentCopyIcon(), func() { l.copyText(&l.trans) })
	var transExport *widget.Button
	transExport = widget.NewButtonWithIcon(t.T("Export"), theme.DocumentSaveIcon(), func() {
		l.m.pickFormat(transExport, func(format string) { l.export(&l.trans, "translation", format) })
	})
	// The translation's header ("Translate to:" names the pane) takes two lines where one does not
	// fit; the transcript's is as high, so that the panes' rows line up.
	transHead := container.New(&twoRows{relayout: func() {
		right.Refresh()
		left.Refresh()
	}},
		container.NewHBox(widget.NewLabelWithStyle(t.T("TranslateTo"), fyne.TextAlignLeading, fyne.TextStyle{Bold: true}), l.targetSel),
		layout.NewSpacer(), container.NewHBox(transCopy, transExport))
	left = container.NewBorder(container.New(&sameHeight{other: transHead},
		widget.NewLabelWithStyle(t.T("Transcript"), fyne.TextAlignLeading, fyne.TextStyle{Bold: true})),
		nil, nil, nil, l.spokenView.root)
	right = container.NewBorder(container.NewVBox(transHead, l.targets.note), nil, nil, nil, l.transView.root)
	split := container.NewHSplit(left, right)
	split.Offset = 0.6

	l.statusLabel = widget.NewLabel("")
	l.modelLabel = widget.NewLabel("")
	l.speedLabel = widget.NewLabel("")
	l.refreshDevices()
	l.refreshRecord()
	content = container.NewBorder(l.topRow, nil, nil, nil, split)
	return content
}

// statusBar is built after build, from the same labels.
func (l *liveTab) statusBar() fyne.CanvasObject {
	l.refreshStatus()
	l.statusLabel.Truncation = fyne.TextTruncateEllipsis
	l.statusBox = container.NewBorder(widget.NewSeparator(), nil, nil,
		container.NewHBox(l.modelLabel, widget.NewSeparator(), l.speedLabel), l.statusLabel)
	return l.statusBox
}

func (l *liveTab) refreshDevices() {
	if l.devSelect == nil {
		return
	}
	names := make([]string, len(l.devices))
	sel := -1
	for i, d := range l.devices {
		names[i] = d.Name
		if d.IsDefault {
			names[i] = l.tr().T("DeviceDefault", map[string]any{"Name": d.Name})
			if sel < 0 && l.device == "" {
				sel = i
			}
		}
		if d.Name == l.device {
			sel = i
		}
	}
	l.devSelect.SetOptions(names)
	if sel < 0 && len(names) > 0 {
		sel = 0
	}
	if sel >= 0 {
		l.devSelect.SetSelectedIndex(sel)
	}
}

func (l *liveTab) refreshRecord() {
	t := l.tr()
	b := l.recordBtn
	switch l.state {
	case recIdle:
		b.SetText(t.T("Record"))
		b.SetIcon(theme.MediaRecordIcon())
		b.Importance = widget.HighImportance
		b.Enable()
	case recStarting:
		b.SetText(t.T("Starting"))
		b.Disable()
	case recRecording:
		b.SetText(t.T("Stop"))
		b.SetIcon(theme.MediaStopIcon())
		b.Importance = widget.DangerImportance
		b.Enable()
	case recStopping:
		b.SetText(t.T("Stopping"))
		b.Disable()
	}
	if l.m.deps.Recorder == nil {
		b.Disable()
	}
	if l.state == recIdle {
		l.devSelect.Enable()
	} else {
		l.devSelect.Disable()
	}
	l.refreshSystem()
	b.Refresh()
	if l.state != recRecording {
		l.meter.SetValue(0)
	}
	l.refreshStatus()
}

// refreshSystem shows the system audio check box: on as preferred, and disabled, with the reason a
// tap away, when the microphone cannot record the system audio.
func (l *liveTab) refreshSystem() {
	if l.systemCheck == nil {
		return
	}
	if l.sysErr != nil || l.state != recIdle || l.m.deps.Recorder == nil {
		l.systemCheck.Disable()
	} else {
		l.systemCheck.Enable()
	}
	// Set directly: SetChecked would call OnChanged, and an unavailable box must not clear the preference.
	l.systemCheck.Checked = l.system && l.sysErr == nil
	l.systemCheck.Refresh()
	if l.sysErr != nil {
		l.systemWhy.Show()
	} else {
		l.systemWhy.Hide()
	}
}

func (l *liveTab) refreshStatus() {
	if l.statusLabel == nil {
		return
	}
	t := l.tr()
	var st string
	switch l.state {
	case recIdle:
		st = t.T("StatusReady")
	case recStarting:
		st = t.T("StatusStarting")
	case recRecording:
		st = t.T("StatusListening")
	case recStopping:
		st = t.T("StatusStopping")
	}
	// The Live tab's messages stay on the Live tab: elsewhere the bar says only whether it records.
	onLive := l.m.tabs == nil || l.m.tabs.SelectedIndex() == tabLive
	switch {
	case l.lastErr != "" && onLive:
		st += " — " + l.lastErr
		l.statusLabel.Importance = widget.DangerImportance
	case l.note != "" && onLive:
		st = l.note
		l.statusLabel.Importance = widget.MediumImportance
	default:
		l.statusLabel.Importance = widget.MediumImportance
	}
	l.statusLabel.SetText(st)
	l.modelLabel.SetText(l.m.models.statusText())
	if l.stats.TokensPerSec > 0 || l.stats.LatencyMs > 0 {
		l.speedLabel.SetText(t.T("Speed", map[string]any{
			"TokensPerSec": fmt.Sprintf("%.1f", l.stats.TokensPerSec),
			"LatencyMs":    fmt.Sprintf("%.0f", l.stats.LatencyMs),
		}))
	} else {
		l.speedLabel.SetText(t.T("SpeedNone"))
	}
	if l.statusBox != nil {
		l.statusBox.Refresh() // the texts' widths changed: lay the bar out again
	}
}

// toggleRecord is the Record/Stop button and Ctrl+R.
func (l *liveTab) toggleRecord() {
	switch l.state {
	case recIdle:
		l.record()
	case recRecording:
		l.stop(nil)
	}
}

func (l *liveTab) record() {
	rec := l.m.deps.Recorder
	if rec == nil {
		return
	}
	l.state, l.lastErr, l.note, l.stats = recStarting, "", "", live.Stats{}
	l.refreshRecord()
	opts := desktop.ListenOptions{Device: l.device, TranslateTo: l.target, SystemAudio: l.system && l.sysErr == nil}
	run := l.ids.newRun() // this recording numbers its segments from 0 again
	go func() {
		ch, err := rec.Start(context.Background(), opts)
		if err != nil {
			l.m.do(func() {
				l.state = recIdle
				l.lastErr = l.m.logError("live", err)
				l.refreshRecord()
				l.m.showError(l.tr().T("RecordFailed"), err)
				l.m.notify("recordfailed")
			})
			return
		}
		dir := rec.SessionDir()
		l.m.do(func() {
			if l.state == recStarting {
				l.state = recRecording
			}
			// "" when nothing is kept: its lines have nothing to play, and nothing goes to the history.
			l.runDir[run], l.lastDir = dir, dir
			l.refreshRecord()
			l.m.notify("recording")
		})
		// This goroutine is the one hop from the recorder to the screen.
		sawStopped := false
		for ev := range ch {
			sawStopped = sawStopped || ev.Stopped
			l.m.do(func() { l.apply(run, ev) })
		}
		// Stopped has ended the recording already: by now a new one may be starting, which this must
		// not mark stopped. Only a channel that closed without it still needs ending here.
		if !sawStopped {
			l.m.do(l.stopped)
		}
	}()
}

// stop asks the recorder to finish; then runs after once listening has stopped.
func (l *liveTab) stop(after func()) {
	if after != nil {
		l.onIdle = append(l.onIdle, after)
	}
	if l.state != recRecording {
		return
	}
	l.state, l.lastErr = recStopping, ""
	l.refreshRecord()
	go func() {
		ctx, cancel := timeout()
		defer cancel()
		if err := l.m.deps.Recorder.Stop(ctx); err != nil {
			l.m.do(func() {
				l.lastErr = l.m.logError("live", err)
				l.refreshStatus()
			})
		}
	}()
}

func (l *liveTab) stopped() {
	if l.state == recIdle {
		return
	}
	l.state = recIdle
	l.refreshRecord()
	l.indexRecording()
	runs := l.onIdle
	l.onIdle = nil
	for _, f := range runs {
		f()
	}
	l.m.notify("stopped")
}

// apply renders one recorder event of recording run.
func (l *liveTab) apply(run int, ev live.Event) {
	switch {
	case ev.Level != nil:
		if l.state == recRecording {
			l.meter.SetValue(meterValue(ev.Level.RMS))
		}
	case ev.Segment != nil:
		s := *ev.Segment
		s.ID = l.ids.id(run, s.ID)
		if dir, ok := l.runDir[run]; ok { // the recording's first line: its lines play from its session
			l.audio = append(l.audio, runAudio{first: s.ID, source: dir})
			delete(l.runDir, run)
		}
		l.putSegment(s)
	case ev.Stats != nil:
		l.stats = *ev.Stats
		l.refreshStatus()
	case ev.Err != nil:
		l.lastErr = l.m.logError("live", ev.Err)
		l.refreshStatus()
	case ev.Stopped:
		l.stopped()
	}
}

// refreshTransEmpty says in the empty translation pane what fills it: a language to choose, or,
// with one chosen, the translations to come.
func (l *liveTab) refreshTransEmpty() {
	if l.transView == nil {
		return
	}
	if l.target == "" {
		l.transView.setPlaceholder(l.tr().T("TranslationEmpty"))
	} else {
		l.transView.setPlaceholder(l.tr().T("TranslationWaiting"))
	}
}

func (l *liveTab) putSegment(s transcript.Segment) {
	if s.Lang == "" {
		i, added := l.spoken.put(s)
		l.spokenView.changed(i, added)
		// Its row in the translation pane, empty until its translation comes: the panes line up.
		if j, added := l.trans.placeholder(s); added {
			l.transView.changed(j, added)
		}
	} else {
		i, added := l.trans.put(s)
		l.transView.changed(i, added)
	}
}

// meterValue maps RMS 0..1 onto -60..0 dBFS as 0..1.
func meterValue(rms float32) float64 {
	if rms <= 0 {
		return 0
	}
	db := 20 * math.Log10(float64(rms))
	return math.Max(0, math.Min(1, (db+60)/60))
}

func (l *liveTab) copyText(s *segmentList) {
	l.m.app.Clipboard().SetContent(s.text())
	l.setNote(l.tr().T("Copied"))
}

// setNote shows what an action did in the status bar, in place of an earlier error.
func (l *liveTab) setNote(note string) {
	l.lastErr, l.note = "", note
	l.refreshStatus()
}

// formatNames are export's formats as menus show them, in export.Formats' order.
func formatNames() []string {
	n := export.Formats()
	for i, f := range n {
		n[i] = strings.ToUpper(f)
	}
	return n
}

// formatIndex is f's place in export.Formats, -1 if absent.
func formatIndex(f string) int {
	for i, e := range export.Formats() {
		if e == f {
			return i
		}
	}
	return -1
}

// exportDoc is what an export of s writes: its lines as they are shown, edits included.
func exportDoc(s *segmentList) export.Doc {
	segs := s.segments()
	doc := export.Doc{Segments: segs}
	if len(segs) > 0 {
		doc.Language = segs[0].Lang
	}
	return doc
}

// export saves s, edits included, in format ("" the last one used) through a file dialog
// (mainWindow.saveExport).
func (l *liveTab) export(s *segmentList, base, format string) {
	l.m.saveExport(exportDoc(s), base, format, func(path string) {
		l.setNote(l.tr().T("Exported", map[string]any{"Path": path}))
	})
}

func (l *liveTab) confirmClear() {
	n := l.spoken.store.Len() + len(l.trans.segments())
	if n == 0 {
		return
	}
	t := l.tr()
	dialog.ShowConfirm(t.T("ClearTitle"), t.N("ClearMessage", l.spoken.store.Len()), func(ok bool) {
		if !ok {
			return
		}
		l.spoken.clear()
		l.trans.clear()
		l.spokenView.reset()
		l.transView.reset()
	}, l.m.win)
}

// offerRecovery asks the store for sessions a crash left and offers them (runs in a goroutine).
func (l *liveTab) offerRecovery() {
	st := l.m.deps.Sessions
	if st == nil {
		return
	}
	infos, err := st.Recover()
	l.m.do(func() {
		if err != nil {
			l.lastErr = l.m.logError("live", err)
			l.refreshStatus()
			return
		}
		if len(infos) > 0 {
			l.recovery = infos
			l.showRecovery()
		}
		l.m.notify("recovery")
	})
}

func (l *liveTab) showRecovery() {
	t := l.tr()
	infos := l.recovery
	var d dialog.Dialog
	rows := container.NewVBox(widget.NewLabel(t.N("RecoverMessage", len(infos))))
	for _, in := range infos {
		in := in
		desc := t.N("RecoverSession", in.Segments, map[string]any{"Time": in.Started.Local().Format("2006-01-02 15:04")})
		if in.Preview != "" {
			desc += "\n“" + in.Preview + "”"
		}
		label := widget.NewLabel(desc)
		label.Wrapping = fyne.TextWrapWord
		var restore, discard *widget.Button
		restore = widget.NewButtonWithIcon(t.T("Restore"), theme.HistoryIcon(), func() {
			restore.Disable()
			discard.Disable()
			if l.restore(in.ID) {
				d.Hide() // the lines are in the window now: nothing is left to do here for them
			}
		})
		restore.Importance = widget.HighImportance
		discard = widget.NewButtonWithIcon(t.T("Discard"), theme.DeleteIcon(), func() {
			restore.Disable()
			discard.Disable()
			if err := l.m.deps.Sessions.Discard(in.ID); err != nil {
				l.m.showError(t.T("DiscardFailed"), err)
			}
		})
		rows.Add(container.NewBorder(nil, nil, nil, container.NewHBox(restore, discard), label))
	}
	scroll := container.NewVScroll(rows)
	scroll.SetMinSize(fyne.NewSize(520, 200))
	d = dialog.NewCustom(t.T("RecoverTitle"), t.T("Close"), scroll, l.m.win)
	d.Show()
}

// restore puts a recovered session's segments in the window (after what is there) and reports
// whether it did.
func (l *liveTab) restore(id string) bool {
	segs, err := l.m.deps.Sessions.Restore(id)
	if err != nil {
		l.m.showError(l.tr().T("RestoreFailed"), err)
		return false
	}
	segs = l.ids.Recovered(segs)
	if len(segs) > 0 {
		l.audio = append(l.audio, runAudio{first: segs[0].ID, source: id})
	}
	for _, s := range segs {
		l.putSegment(s)
	}
	return true
}

// indexRecording adds the session just recorded to the history.
func (l *liveTab) indexRecording() {
	hist, dir := l.m.deps.History, l.lastDir
	if hist == nil || dir == "" {
		return
	}
	model := ""
	if l.m.deps.Models != nil {
		model = l.m.deps.Models.Current().Name
	}
	go func() {
		ctx, cancel := timeout()
		defer cancel()
		_, err := hist.IndexSession(ctx, dir, model)
		l.m.do(func() {
			if err != nil {
				l.lastErr = l.tr().T("IndexFailed", map[string]any{"Err": l.m.logError("index session", err)})
				l.refreshStatus()
			}
			l.m.history.reload()
			l.m.notify("indexed")
		})
	}()
}

// sessionTime is when the session in folder dir began, from its name (2026-03-01_09-30-00), for titles;
// the folder's name when it is not one.
func sessionTime(dir string) string {
	base := filepath.Base(dir)
	if t, err := time.ParseInLocation("2006-01-02_15-04-05", base, time.Local); err == nil {
		return t.Format("2006-01-02 15:04")
	}
	return base
}
