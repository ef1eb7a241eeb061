package ui

import (
	"context"
	"fmt"
	"math"
	"strings"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/dialog"
	"fyne.io/fyne/v2/storage"
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
	spoken   segmentList
	trans    segmentList
	ids      segIDs // unique segment IDs across recordings and restored sessions
	stats    live.Stats
	lastErr  string
	onIdle   []func() // run once listening has stopped
	recovery []desktop.SessionInfo

	// widgets of the current build
	recordBtn   *widget.Button
	devSelect   *widget.Select
	meter       *widget.ProgressBar
	spokenView  *transcriptView
	transView   *transcriptView
	targetSel   *widget.Select
	targets     *targetMenu
	statusLabel *widget.Label
	modelLabel  *widget.Label
	speedLabel  *widget.Label
	statusBox   *fyne.Container
}

func newLiveTab(m *mainWindow) *liveTab {
	return &liveTab{m: m,
		device: m.prefs.String(prefDevice),
		target: m.prefs.String(prefTranslateTo),
	}
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
		l.m.do(func() {
			if err != nil {
				l.lastErr = err.Error()
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
	l.recordBtn = widget.NewButtonWithIcon("", theme.MediaRecordIcon(), l.toggleRecord)
	l.devSelect = widget.NewSelect(nil, func(string) {
		if i := l.devSelect.SelectedIndex(); i >= 0 && i < len(l.devices) {
			l.device = l.devices[i].Name
			l.m.prefs.SetString(prefDevice, l.device)
		}
	})
	l.devSelect.PlaceHolder = t.T("NoDevices")
	l.meter = widget.NewProgressBar()
	l.meter.TextFormatter = func() string { return "" }

	l.spokenView = newTranscriptView(&l.spoken, t.T("TranscriptEmpty"), t.T("FollowLive"))
	l.transView = newTranscriptView(&l.trans, t.T("TranslationEmpty"), t.T("FollowLive"))

	l.targets = newTargetMenu(l.m, prefTranslateTo, func(target string) {
		l.target = target
		if l.state == recRecording && l.m.deps.Recorder != nil {
			if err := l.m.deps.Recorder.SetTranslateTo(target); err != nil {
				l.m.showError(t.T("TranslateFailed"), err)
			}
		}
	})
	l.targetSel = l.targets.sel
	l.target = l.targets.code()

	copyBtn := widget.NewButtonWithIcon(t.T("CopyAll"), theme.ContentCopyIcon(), func() { l.copyText(&l.spoken) })
	exportBtn := widget.NewButtonWithIcon(t.T("Export"), theme.DocumentSaveIcon(), func() { l.export(&l.spoken, "transcript") })
	clearBtn := widget.NewButtonWithIcon(t.T("Clear"), theme.ContentClearIcon(), l.confirmClear)

	top := container.NewBorder(nil, nil,
		container.NewHBox(l.recordBtn, widget.NewLabel(t.T("Device")), l.devSelect),
		container.NewHBox(copyBtn, exportBtn, clearBtn),
		container.NewPadded(l.meter))

	transCopy := widget.NewButtonWithIcon("", theme.ContentCopyIcon(), func() { l.copyText(&l.trans) })
	transExport := widget.NewButtonWithIcon("", theme.DocumentSaveIcon(), func() { l.export(&l.trans, "translation") })
	left := container.NewBorder(widget.NewLabelWithStyle(t.T("Transcript"), fyne.TextAlignLeading, fyne.TextStyle{Bold: true}),
		nil, nil, nil, l.spokenView.root)
	right := container.NewBorder(container.NewVBox(
		container.NewBorder(nil, nil, widget.NewLabelWithStyle(t.T("Translation"), fyne.TextAlignLeading, fyne.TextStyle{Bold: true}),
			container.NewHBox(transCopy, transExport),
			container.NewHBox(widget.NewLabel(t.T("TranslateTo")), l.targetSel)),
		l.targets.note),
		nil, nil, nil, l.transView.root)
	split := container.NewHSplit(left, right)
	split.Offset = 0.6

	l.statusLabel = widget.NewLabel("")
	l.modelLabel = widget.NewLabel("")
	l.speedLabel = widget.NewLabel("")
	l.refreshDevices()
	l.refreshRecord()
	return container.NewBorder(top, nil, nil, nil, split)
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
	b.Refresh()
	if l.state != recRecording {
		l.meter.SetValue(0)
	}
	l.refreshStatus()
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
	if l.lastErr != "" {
		st += " — " + l.lastErr
		l.statusLabel.Importance = widget.DangerImportance
	} else {
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
	l.state, l.lastErr, l.stats = recStarting, "", live.Stats{}
	l.refreshRecord()
	device, target := l.device, l.target
	run := l.ids.newRun() // this recording numbers its segments from 0 again
	go func() {
		ch, err := rec.Start(context.Background(), device, target)
		if err != nil {
			l.m.do(func() {
				l.state = recIdle
				l.lastErr = err.Error()
				l.refreshRecord()
				l.m.showError(l.tr().T("RecordFailed"), err)
				l.m.notify("recordfailed")
			})
			return
		}
		l.m.do(func() {
			if l.state == recStarting {
				l.state = recRecording
			}
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
				l.lastErr = err.Error()
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
		l.putSegment(s)
	case ev.Stats != nil:
		l.stats = *ev.Stats
		l.refreshStatus()
	case ev.Err != nil:
		l.lastErr = ev.Err.Error()
		l.refreshStatus()
	case ev.Stopped:
		l.stopped()
	}
}

func (l *liveTab) putSegment(s transcript.Segment) {
	if s.Lang == "" {
		i, added := l.spoken.put(s)
		l.spokenView.changed(i, added)
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
	l.lastErr = ""
	l.statusLabel.SetText(l.tr().T("Copied"))
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

// export saves s through a file dialog; the file name's extension picks the format (one of
// export.Formats; another extension gets the last format used, appended).
func (l *liveTab) export(s *segmentList, base string) {
	last := l.m.prefs.StringWithFallback(prefExport, "txt")
	segs := append([]transcript.Segment(nil), s.segs...)
	d := dialog.NewFileSave(func(w fyne.URIWriteCloser, err error) {
		if err != nil {
			l.m.showError(l.tr().T("ExportFailed"), err)
			return
		}
		if w == nil {
			return // cancelled
		}
		format := strings.TrimPrefix(strings.ToLower(w.URI().Extension()), ".")
		if formatIndex(format) < 0 {
			format = last
		}
		l.m.prefs.SetString(prefExport, format)
		err = export.Write(w, format, export.Doc{Segments: segs})
		if cerr := w.Close(); err == nil {
			err = cerr
		}
		if err != nil {
			l.m.showError(l.tr().T("ExportFailed"), err)
			return
		}
		l.statusLabel.SetText(l.tr().T("Exported", map[string]any{"Path": w.URI().Path()}))
	}, l.m.win)
	d.SetFileName(fmt.Sprintf("%s-%s.%s", base, time.Now().Format("2006-01-02-1504"), last))
	exts := export.Formats()
	for i, f := range exts {
		exts[i] = "." + f
	}
	d.SetFilter(storage.NewExtensionFileFilter(exts))
	d.Show()
}

func (l *liveTab) confirmClear() {
	n := len(l.spoken.segs) + len(l.trans.segs)
	if n == 0 {
		return
	}
	t := l.tr()
	dialog.ShowConfirm(t.T("ClearTitle"), t.N("ClearMessage", len(l.spoken.segs)), func(ok bool) {
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
			l.lastErr = err.Error()
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
			l.restore(in.ID)
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

// restore puts a recovered session's segments in the window (after what is there).
func (l *liveTab) restore(id string) {
	segs, err := l.m.deps.Sessions.Restore(id)
	if err != nil {
		l.m.showError(l.tr().T("RestoreFailed"), err)
		return
	}
	for _, s := range l.ids.Recovered(segs) {
		l.putSegment(s)
	}
}
