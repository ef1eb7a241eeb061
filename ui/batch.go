package ui

import (
	"context"
	"errors"
	"path/filepath"
	"strings"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/dialog"
	"fyne.io/fyne/v2/layout"
	"fyne.io/fyne/v2/storage"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"github.com/verbatim-app/verbatim/app/batch"
	"github.com/verbatim-app/verbatim/app/desktop"
	"github.com/verbatim-app/verbatim/app/export"
)

type rowState int

const (
	rowPending rowState = iota // added, not started
	rowQueued                  // handed to the runner
	rowRunning
	rowDone
	rowFailed
	rowCancelled
)

type batchRow struct {
	path     string
	state    rowState
	progress float64
	output   string
	err      error
}

func (r *batchRow) finished() bool { return r.state >= rowDone }

// batchTab is the file queue.
type batchTab struct {
	m       *mainWindow
	rows    []*batchRow
	byPath  map[string]*batchRow
	cancels []context.CancelFunc
	running int // Runs not yet closed

	list      *widget.List
	overall   *widget.ProgressBar
	summary   *widget.Label
	startBtn  *widget.Button
	cancelAll *widget.Button
	clearBtn  *widget.Button
	formatSel *widget.Select
	targetSel *widget.Select
	targets   *targetMenu
	outDirLbl *widget.Label
	outRadio  *widget.RadioGroup
	empty     *fyne.Container
}

func newBatchTab(m *mainWindow) *batchTab {
	return &batchTab{m: m, byPath: map[string]*batchRow{}}
}

func (b *batchTab) tr() *Translator { return b.m.tr }

func (b *batchTab) build() fyne.CanvasObject {
	t := b.tr()
	p := b.m.prefs
	hint := widget.NewLabelWithStyle(t.T("BatchDrop", map[string]any{"Exts": extensionList()}), fyne.TextAlignLeading, fyne.TextStyle{Italic: true})
	hint.Wrapping = fyne.TextWrapWord
	addFiles := widget.NewButtonWithIcon(t.T("AddFiles"), theme.FileIcon(), b.pickFile)
	addFolder := widget.NewButtonWithIcon(t.T("AddFolder"), theme.FolderOpenIcon(), b.pickFolder)

	b.formatSel = widget.NewSelect(formatNames(), func(string) {
		p.SetString(prefBatchFormat, export.Formats()[b.formatSel.SelectedIndex()])
	})
	b.formatSel.SetSelectedIndex(max(0, formatIndex(p.StringWithFallback(prefBatchFormat, "srt"))))

	b.targets = newTargetMenu(b.m, prefBatchTarget, nil)
	b.targetSel = b.targets.sel

	next, folder := t.T("OutputNextTo"), t.T("OutputFolder")
	b.outDirLbl = widget.NewLabel("")
	b.outDirLbl.Truncation = fyne.TextTruncateEllipsis
	choose := widget.NewButtonWithIcon(t.T("Choose"), theme.FolderIcon(), b.pickOutDir)
	b.outRadio = widget.NewRadioGroup([]string{next, folder}, func(s string) {
		if s == folder && p.String(prefBatchOutDir) == "" {
			b.pickOutDir()
		} else if s == next {
			p.SetString(prefBatchOutDir, "")
		}
		b.refreshOutDir()
	})
	b.outRadio.Horizontal = true
	b.outRadio.Required = true
	b.refreshOutDir()

	opts := container.New(layout.NewFormLayout(),
		widget.NewLabel(t.T("Format")), container.NewVBox(container.NewHBox(b.formatSel, widget.NewLabel(t.T("TranslateTo")), b.targetSel), b.targets.note),
		widget.NewLabel(t.T("Output")), container.NewBorder(nil, nil, b.outRadio, choose, b.outDirLbl),
	)

	b.list = widget.NewList(func() int { return len(b.rows) }, b.newRow, b.updateRow)
	b.list.OnSelected = func(id widget.ListItemID) {
		b.list.UnselectAll()
		if id < len(b.rows) && b.rows[id].err != nil && b.rows[id].state == rowFailed {
			b.m.showError(filepath.Base(b.rows[id].path), b.rows[id].err)
		}
	}
	empty := widget.NewLabel(t.T("BatchEmpty"))
	empty.Importance = widget.LowImportance
	empty.Alignment = fyne.TextAlignCenter
	b.empty = container.NewCenter(empty)

	b.overall = widget.NewProgressBar()
	b.summary = widget.NewLabel("")
	b.startBtn = widget.NewButtonWithIcon("", theme.MediaPlayIcon(), b.startPending)
	b.startBtn.Importance = widget.HighImportance
	b.cancelAll = widget.NewButtonWithIcon(t.T("CancelAll"), theme.CancelIcon(), b.cancelEverything)
	b.clearBtn = widget.NewButtonWithIcon(t.T("ClearFinished"), theme.ContentClearIcon(), b.clearFinished)
	bottom := container.NewVBox(
		container.NewBorder(nil, nil, b.summary, nil, b.overall),
		container.NewHBox(layout.NewSpacer(), b.clearBtn, b.cancelAll, b.startBtn),
	)
	top := container.NewVBox(
		container.NewBorder(nil, nil, nil, container.NewHBox(addFiles, addFolder), hint),
		opts, widget.NewSeparator())
	b.refresh()
	return container.NewBorder(top, bottom, nil, nil, container.NewStack(b.list, b.empty))
}

func (b *batchTab) newRow() fyne.CanvasObject {
	name := widget.NewLabelWithStyle("", fyne.TextAlignLeading, fyne.TextStyle{Bold: true})
	name.Truncation = fyne.TextTruncateEllipsis
	status := widget.NewLabel("")
	status.Truncation = fyne.TextTruncateEllipsis
	bar := widget.NewProgressBar()
	// A failed file shows an error mark where its bar was: a bar, full or not, would read as progress.
	failed := widget.NewLabelWithStyle(b.tr().T("RowFailedShort"), fyne.TextAlignLeading, fyne.TextStyle{Bold: true})
	failed.Importance = widget.DangerImportance
	mark := container.NewHBox(widget.NewIcon(theme.NewErrorThemedResource(theme.ErrorIcon())), failed)
	mark.Hide()
	cancel := widget.NewButtonWithIcon("", theme.CancelIcon(), nil)
	return container.NewBorder(container.NewGridWithColumns(2, name, container.NewStack(bar, mark)), nil, nil, container.NewCenter(cancel), status)
}

func (b *batchTab) updateRow(id widget.ListItemID, o fyne.CanvasObject) {
	if id >= len(b.rows) {
		return
	}
	r := b.rows[id]
	c := o.(*fyne.Container)
	status := c.Objects[0].(*widget.Label)
	grid := c.Objects[1].(*fyne.Container)
	cancel := c.Objects[2].(*fyne.Container).Objects[0].(*widget.Button)
	name, cell := grid.Objects[0].(*widget.Label), grid.Objects[1].(*fyne.Container)
	bar, mark := cell.Objects[0].(*widget.ProgressBar), cell.Objects[1].(*fyne.Container)
	name.SetText(filepath.Base(r.path))
	bar.SetValue(r.progress)
	if r.state == rowFailed {
		bar.Hide()
		mark.Show()
	} else {
		mark.Hide()
		bar.Show()
	}
	text, imp := b.rowStatus(r)
	status.Importance = imp
	status.SetText(text)
	cancel.OnTapped = func() { b.cancelRow(r) }
	if r.finished() {
		cancel.Disable()
	} else {
		cancel.Enable()
	}
}

func (b *batchTab) rowStatus(r *batchRow) (string, widget.Importance) {
	t := b.tr()
	switch r.state {
	case rowPending:
		return t.T("RowPending"), widget.LowImportance
	case rowQueued:
		return t.T("RowQueued"), widget.LowImportance
	case rowRunning:
		return t.T("RowRunning"), widget.MediumImportance
	case rowDone:
		return t.T("RowDone", map[string]any{"Path": r.output}), widget.SuccessImportance
	case rowCancelled:
		return t.T("RowCancelled"), widget.WarningImportance
	default:
		return t.T("RowFailed", map[string]any{"Err": b.m.errorText(r.err)}), widget.DangerImportance
	}
}

// add queues paths (folders are searched for media files) and shows them as pending.
func (b *batchTab) add(paths []string) {
	for _, p := range batch.Inputs(paths) {
		if r, ok := b.byPath[p]; ok && !r.finished() {
			continue // already waiting
		}
		r := &batchRow{path: p}
		if old, ok := b.byPath[p]; ok { // again, after it finished: reuse the row
			*old = *r
			continue
		}
		b.byPath[p] = r
		b.rows = append(b.rows, r)
	}
	b.refresh()
}

func (b *batchTab) options() batch.Options {
	return batch.Options{
		Format:    export.Formats()[max(0, b.formatSel.SelectedIndex())],
		OutDir:    b.m.prefs.String(prefBatchOutDir),
		Translate: b.targets.code(),
	}
}

// startPending hands the pending rows to the runner.
func (b *batchTab) startPending() {
	runner := b.m.deps.Batch
	if runner == nil {
		return
	}
	var paths []string
	for _, r := range b.rows {
		if r.state == rowPending {
			r.state = rowQueued
			paths = append(paths, r.path)
		}
	}
	if len(paths) == 0 {
		return
	}
	ctx, cancel := context.WithCancel(context.Background())
	b.cancels = append(b.cancels, cancel)
	b.running++
	ch := runner.Run(ctx, paths, b.options())
	// This goroutine is the one hop from the queue to the screen.
	go func() {
		for ev := range ch {
			b.m.do(func() { b.apply(ev) })
		}
		b.m.do(func() {
			b.running--
			// Whatever the runner did not report on is not going to happen any more.
			for _, p := range paths {
				if r := b.byPath[p]; r != nil && (r.state == rowQueued || r.state == rowRunning) {
					r.state, r.err = rowCancelled, context.Canceled
				}
			}
			if b.running == 0 {
				for _, c := range b.cancels {
					c()
				}
				b.cancels = nil
			}
			b.refresh()
			b.m.notify("batchdone")
		})
	}()
	b.refresh()
}

func (b *batchTab) apply(ev desktop.BatchEvent) {
	r := b.byPath[ev.Path]
	if r == nil || r.finished() {
		return
	}
	if ev.Err == nil { // a failure reports no progress: the row keeps how far it got
		r.progress = ev.Progress
	}
	switch {
	case errors.Is(ev.Err, context.Canceled):
		r.state, r.err = rowCancelled, ev.Err
	case ev.Err != nil:
		r.state, r.err = rowFailed, ev.Err
		b.m.logError("transcribe "+ev.Path, ev.Err) // the row shows errorText
	case ev.Output != "":
		r.state, r.output, r.progress = rowDone, ev.Output, 1
	default:
		r.state = rowRunning
	}
	b.refresh()
}

func (b *batchTab) cancelRow(r *batchRow) {
	switch r.state {
	case rowPending:
		r.state, r.err = rowCancelled, context.Canceled
		b.refresh()
	case rowQueued, rowRunning:
		b.m.deps.Batch.Cancel(r.path)
	}
}

func (b *batchTab) cancelEverything() {
	for _, c := range b.cancels {
		c()
	}
	for _, r := range b.rows {
		if r.state == rowPending {
			r.state, r.err = rowCancelled, context.Canceled
		}
	}
	b.refresh()
}

func (b *batchTab) clearFinished() {
	kept := b.rows[:0]
	for _, r := range b.rows {
		if r.finished() {
			delete(b.byPath, r.path)
		} else {
			kept = append(kept, r)
		}
	}
	b.rows = kept
	b.refresh()
}

// refresh re-renders the queue, totals and buttons.
func (b *batchTab) refresh() {
	if b.list == nil {
		return
	}
	t := b.tr()
	var sum float64
	done, pending, active, finished := 0, 0, 0, 0
	for _, r := range b.rows {
		switch {
		case r.finished():
			sum++
			finished++
			if r.state == rowDone {
				done++
			}
		case r.state == rowPending:
			pending++
		default:
			active++
			sum += r.progress
		}
	}
	if len(b.rows) > 0 {
		b.overall.SetValue(sum / float64(len(b.rows)))
	} else {
		b.overall.SetValue(0)
	}
	b.summary.SetText(t.N("BatchSummary", len(b.rows), map[string]any{"Done": done}))
	b.startBtn.SetText(t.N("StartFiles", pending))
	if pending > 0 && b.m.deps.Batch != nil {
		b.startBtn.Enable()
	} else {
		b.startBtn.Disable()
	}
	if active > 0 { // only files handed to the runner can be cancelled; pending ones are removed by row
		b.cancelAll.Enable()
	} else {
		b.cancelAll.Disable()
	}
	if finished > 0 {
		b.clearBtn.Enable()
	} else {
		b.clearBtn.Disable()
	}
	b.list.Refresh()
	if len(b.rows) == 0 {
		b.empty.Show()
	} else {
		b.empty.Hide()
	}
}

func (b *batchTab) refreshOutDir() {
	dir := b.m.prefs.String(prefBatchOutDir)
	if dir == "" {
		b.outRadio.SetSelected(b.tr().T("OutputNextTo"))
		b.outDirLbl.SetText("")
	} else {
		b.outRadio.SetSelected(b.tr().T("OutputFolder"))
		b.outDirLbl.SetText(dir)
	}
}

func (b *batchTab) pickFile() {
	d := dialog.NewFileOpen(func(r fyne.URIReadCloser, err error) {
		if err != nil || r == nil {
			return
		}
		_ = r.Close()
		b.add([]string{r.URI().Path()})
	}, b.m.win)
	d.SetFilter(storage.NewExtensionFileFilter(batch.Extensions()))
	d.Show()
}

func (b *batchTab) pickFolder() {
	dialog.ShowFolderOpen(func(u fyne.ListableURI, err error) {
		if err != nil || u == nil {
			return
		}
		b.add([]string{u.Path()})
	}, b.m.win)
}

func (b *batchTab) pickOutDir() {
	dialog.ShowFolderOpen(func(u fyne.ListableURI, err error) {
		if err == nil && u != nil {
			b.m.prefs.SetString(prefBatchOutDir, u.Path())
		}
		b.refreshOutDir()
	}, b.m.win)
}

// extensionList is batch.Extensions as people read them: "WAV, MP3, FLAC".
func extensionList() string {
	exts := batch.Extensions()
	out := make([]string, len(exts))
	for i, e := range exts {
		out[i] = strings.ToUpper(strings.TrimPrefix(e, "."))
	}
	return strings.Join(out, ", ")
}
