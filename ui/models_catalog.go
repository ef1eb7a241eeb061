package ui

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/url"
	"os"
	"path/filepath"
	"strings"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/dialog"
	"fyne.io/fyne/v2/storage"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"github.com/verbatim-app/verbatim/app/desktop"
	"github.com/verbatim-app/verbatim/app/models/download"
)

// ModelLibrary is the catalog of downloadable models over the models folder (desktop.Library).
type ModelLibrary interface {
	// Known lists the catalog, with what is installed and what fits this machine.
	Known() []desktop.KnownModel
	// Download fetches a model; events report progress until one is Finished. Cancelling ctx
	// pauses it; a later Download resumes.
	Download(ctx context.Context, id string) <-chan desktop.DownloadEvent
	Remove(id string) error
	// AddFile puts a chosen model and its projector into the models folder.
	AddFile(ctx context.Context, model, projector string) (string, error)
	// Folder is the models folder.
	Folder() string
}

// fetching is the window's view of one download.
type fetching struct {
	running     bool
	done, total int64
	rate        float64
	cancel      context.CancelFunc
}

// catalogPart is the Models tab's list of models to download, with the models folder.
type catalogPart struct {
	t       *modelsTab
	known   []desktop.KnownModel
	fetches map[string]*fetching // by KnownModel.ID
	message string               // the last add/remove/download outcome
	detail  string               // a failure's technical detail
	failed  bool

	list    *widget.List
	msg     *widget.Label
	detailL *widget.Label
}

func newCatalogPart(t *modelsTab) *catalogPart {
	return &catalogPart{t: t, fetches: map[string]*fetching{}}
}

func (c *catalogPart) lib() ModelLibrary { return c.t.m.deps.Library }

// reload lists the catalog again (after a download, a removal or a rescan), in the background: the
// fit asks the GPUs how much memory is free.
func (c *catalogPart) reload() {
	lib := c.lib()
	if lib == nil {
		return
	}
	go func() {
		known := lib.Known()
		c.t.m.do(func() {
			c.known = known
			c.refresh()
			c.t.m.notify("catalog")
		})
	}()
}

// build is the catalog's part of the tab; only with a library.
func (c *catalogPart) build() fyne.CanvasObject {
	tr := c.t.tr()
	folder := widget.NewLabel(tr.T("ModelsFolder", map[string]any{"Path": c.lib().Folder()}))
	folder.Wrapping = fyne.TextWrapBreak
	open := widget.NewButtonWithIcon(tr.T("OpenModelsFolder"), theme.FolderOpenIcon(), c.openFolder)
	add := widget.NewButtonWithIcon(tr.T("AddModelFile"), theme.ContentAddIcon(), c.pickModel)
	c.msg = widget.NewLabel("")
	c.msg.Wrapping = fyne.TextWrapWord
	c.msg.Hide()
	c.detailL = widget.NewLabel("")
	c.detailL.Truncation = fyne.TextTruncateEllipsis
	c.detailL.SizeName = theme.SizeNameCaptionText
	c.detailL.Importance = widget.LowImportance
	c.detailL.Hide()

	c.list = widget.NewList(func() int { return len(c.known) }, c.newRow, c.updateRow)
	c.list.OnSelected = func(widget.ListItemID) { c.list.UnselectAll() }
	top := container.NewVBox(folder, container.NewHBox(add, open))
	c.refresh()
	// The outcome goes below the list, so that the rows do not move under the pointer.
	return container.NewBorder(top, container.NewVBox(c.msg, c.detailL), nil, nil, c.list)
}

// A row: name and quantisation, size · languages · fit, a progress bar while downloading; the action
// button and Remove at the right.
func (c *catalogPart) newRow() fyne.CanvasObject {
	name := widget.NewLabelWithStyle("", fyne.TextAlignLeading, fyne.TextStyle{Bold: true})
	name.Truncation = fyne.TextTruncateEllipsis
	detail := widget.NewLabel("")
	detail.Truncation = fyne.TextTruncateEllipsis
	detail.SizeName = theme.SizeNameCaptionText
	bar := widget.NewProgressBar()
	bar.Hide()
	action := widget.NewButton("", nil)
	remove := widget.NewButtonWithIcon("", theme.DeleteIcon(), nil)
	// The bar takes the details' place while downloading: every row keeps the template's height.
	return container.NewBorder(nil, nil, nil, container.NewCenter(container.NewHBox(action, remove)),
		container.NewVBox(name, container.NewStack(detail, bar)))
}

func (c *catalogPart) updateRow(id widget.ListItemID, o fyne.CanvasObject) {
	if id >= len(c.known) {
		return
	}
	tr := c.t.tr()
	k := c.known[id]
	f := c.fetches[k.ID]
	border := o.(*fyne.Container)
	text := border.Objects[0].(*fyne.Container).Objects
	buttons := rowButtons(border)
	stack := text[1].(*fyne.Container).Objects
	name, detail, bar := text[0].(*widget.Label), stack[0].(*widget.Label), stack[1].(*widget.ProgressBar)
	action, remove := buttons[0].(*widget.Button), buttons[1].(*widget.Button)

	name.SetText(k.Name + " · " + k.Quant)
	parts := []string{humanSize(k.Size), languageList(k.Languages)}
	if fit := fitText(tr, k.Fit); fit != "" {
		parts = append(parts, fit)
	}
	detail.SetText(strings.Join(parts, " · "))

	bar.TextFormatter = nil // a percentage, unless downloading
	switch {
	case f != nil && f.running:
		bar.Show()
		// Each row says its own progress: several downloads may run at once.
		text := tr.T("DownloadBar", map[string]any{"Done": humanSize(f.done), "Total": humanSize(f.total),
			"Rate": humanSize(int64(f.rate)) + "/s"})
		bar.TextFormatter = func() string { return text }
		if f.total > 0 {
			bar.SetValue(float64(f.done) / float64(f.total))
		}
		action.SetText(tr.T("ModelPause"))
		action.SetIcon(theme.MediaPauseIcon())
		action.OnTapped = func() { c.pause(k.ID) }
		action.Enable()
	case k.Installed:
		bar.Hide()
		action.SetText(tr.T("ModelInstalled"))
		action.SetIcon(theme.ConfirmIcon())
		action.OnTapped = nil
		action.Disable()
	case k.NeedsEngine != "":
		bar.Hide()
		action.SetText(tr.T("ModelNeedsEngine"))
		action.SetIcon(nil)
		action.OnTapped = nil
		action.Disable()
	case k.Partial > 0:
		bar.Show()
		bar.SetValue(float64(k.Partial) / float64(max(k.Size, k.Partial)))
		action.SetText(tr.T("ModelResume"))
		action.SetIcon(theme.MediaPlayIcon())
		action.OnTapped = func() { c.start(k) }
		action.Enable()
	default:
		bar.Hide()
		action.SetText(tr.T("ModelDownload"))
		action.SetIcon(theme.DownloadIcon())
		action.OnTapped = func() { c.start(k) }
		action.Enable()
	}
	detail.Hidden = bar.Visible()
	detail.Refresh()
	if (k.Installed || k.Partial > 0) && (f == nil || !f.running) {
		remove.OnTapped = func() { c.confirmRemove(k) }
		remove.Enable()
	} else {
		remove.OnTapped = nil
		remove.Disable()
	}
}

// rowButtons are a row's action and Remove buttons.
func rowButtons(row *fyne.Container) []fyne.CanvasObject {
	return row.Objects[1].(*fyne.Container).Objects[0].(*fyne.Container).Objects
}

// languageList is a model's languages by code, the first few: "en, fr, de, es, …".
func languageList(codes []string) string {
	const shown = 5
	if len(codes) > shown {
		return strings.Join(codes[:shown], ", ") + ", …"
	}
	return strings.Join(codes, ", ")
}

func (c *catalogPart) refresh() {
	if c.list == nil {
		return
	}
	c.list.Refresh()
	c.detailL.SetText(c.detail)
	c.detailL.Hidden = c.detail == ""
	c.detailL.Refresh()
	if c.message == "" {
		c.msg.Hide()
		return
	}
	c.msg.SetText(c.message)
	c.msg.Importance = widget.MediumImportance
	if c.failed {
		c.msg.Importance = widget.DangerImportance
	}
	c.msg.Show()
	c.msg.Refresh()
}

// say shows what happened.
func (c *catalogPart) say(msg string) {
	c.message, c.detail, c.failed = msg, "", false
	c.refresh()
}

// fail shows a failure of what concerns name: what happened and what to do, in the interface
// language, and under it the technical detail on one line (whole in the log).
func (c *catalogPart) fail(name string, err error) {
	c.message, c.detail = c.errorText(name, err), ""
	if c.message != err.Error() {
		c.detail = err.Error()
	}
	c.failed = true
	c.refresh()
}

// start downloads k, or resumes it.
func (c *catalogPart) start(k desktop.KnownModel) {
	if f := c.fetches[k.ID]; f != nil && f.running {
		return
	}
	ctx, cancel := context.WithCancel(context.Background())
	f := &fetching{running: true, done: k.Partial, total: k.Size, cancel: cancel}
	c.fetches[k.ID] = f
	c.say(c.t.tr().T("Downloading", map[string]any{"Name": k.Name + " · " + k.Quant}))
	events := c.lib().Download(ctx, k.ID)
	go func() {
		defer cancel()
		for ev := range events {
			c.t.m.do(func() { c.event(k, f, ev) })
		}
	}()
}

func (c *catalogPart) event(k desktop.KnownModel, f *fetching, ev desktop.DownloadEvent) {
	tr := c.t.tr()
	f.done, f.total, f.rate = ev.Done, ev.Total, ev.Rate
	name := k.Name + " · " + k.Quant
	if !ev.Finished {
		c.list.Refresh()
		c.t.m.notify("download-progress")
		return
	}
	f.running = false
	switch {
	case ev.Err == nil:
		c.say(tr.T("DownloadDone", map[string]any{"Name": name}))
		c.t.start() // lists the new model, and the catalog again
	case errors.Is(ev.Err, context.Canceled):
		c.say(tr.T("DownloadPaused", map[string]any{"Name": name}))
		c.reload()
	default:
		c.fail(name, ev.Err)
		c.reload()
	}
	c.t.m.notify("download")
}

func (c *catalogPart) pause(id string) {
	if f := c.fetches[id]; f != nil && f.running {
		f.cancel()
	}
}

func (c *catalogPart) confirmRemove(k desktop.KnownModel) {
	tr := c.t.tr()
	name := k.Name + " · " + k.Quant
	dialog.ShowConfirm(tr.T("RemoveModelTitle"), tr.T("RemoveModelMessage", map[string]any{"Name": name}), func(ok bool) {
		if ok {
			c.remove(k.ID, name)
		}
	}, c.t.m.win)
}

func (c *catalogPart) remove(id, name string) {
	if err := c.lib().Remove(id); err != nil {
		c.fail(name, err)
		c.reload()
	} else {
		c.say(c.t.tr().T("ModelRemoved", map[string]any{"Name": name}))
		delete(c.fetches, id)
		c.t.start() // lists the models on disk, and the catalog again
	}
	c.t.m.notify("remove")
}

func (c *catalogPart) openFolder() {
	dir := c.lib().Folder()
	err := os.MkdirAll(dir, 0o755)
	if err == nil {
		err = c.t.m.app.OpenURL(&url.URL{Scheme: "file", Path: filepath.ToSlash(dir)})
	}
	if err != nil {
		c.fail(dir, fmt.Errorf("%w %s: %v", errOpenFolder, dir, err))
	}
}

// pickModel asks for the model file, then for its audio projector.
func (c *catalogPart) pickModel() {
	tr := c.t.tr()
	c.pickGGUF(tr.T("ChooseModelFile"), func(model string) {
		c.pickGGUF(tr.T("ChooseProjectorFile"), func(projector string) { c.add(model, projector) })
	})
}

func (c *catalogPart) pickGGUF(title string, then func(path string)) {
	d := dialog.NewFileOpen(func(r fyne.URIReadCloser, err error) {
		if err != nil || r == nil {
			return
		}
		_ = r.Close()
		then(r.URI().Path())
	}, c.t.m.win)
	d.SetTitleText(title)
	d.SetFilter(storage.NewExtensionFileFilter([]string{".gguf"}))
	d.Show()
}

func (c *catalogPart) add(model, projector string) {
	tr := c.t.tr()
	name := filepath.Base(model)
	c.say(tr.T("AddingModel", map[string]any{"Name": name}))
	go func() {
		_, err := c.lib().AddFile(context.Background(), model, projector)
		c.t.m.do(func() {
			if err != nil {
				c.fail(name, err)
			} else {
				c.say(tr.T("ModelAdded", map[string]any{"Name": name}))
				c.t.start()
			}
			c.t.m.notify("add")
		})
	}()
}

// errOpenFolder is a models folder the desktop could not show.
var errOpenFolder = errors.New("cannot open the models folder")

// libraryError is a library failure people can act on, and the message that says how.
type libraryError struct {
	err error
	key string
}

func libraryErrors() []libraryError {
	return []libraryError{
		{download.ErrOffline, "DownloadOffline"},
		{download.ErrNoSpace, "DownloadNoSpace"},
		{download.ErrBadHash, "DownloadBadHash"},
		{download.ErrDropped, "DownloadDropped"},
		{download.ErrNoHash, "DownloadNoHash"},
		{download.ErrBadPartial, "DownloadBadPartial"},
		{download.ErrHTTP, "DownloadRefused"},
		{desktop.ErrNeedsEngine, "ModelNeedsEngineLong"},
		{desktop.ErrNotModelFile, "AddNotModel"},
		{desktop.ErrIsProjector, "AddIsProjector"},
		{desktop.ErrNeedsProjector, "AddNeedsProjector"},
		{desktop.ErrNotProjector, "AddNotProjector"},
		{desktop.ErrAlreadyAdded, "AddAlreadyThere"},
		{errOpenFolder, "OpenFolderFailed"},
	}
}

// errorText is a library failure in the interface language (its detail goes to the log); any other
// failure as the window shows errors.
func (c *catalogPart) errorText(name string, err error) string {
	tr := c.t.tr()
	for _, e := range libraryErrors() {
		if errors.Is(err, e.err) {
			slog.Warn("ui: model library", "err", err)
			return tr.T(e.key, map[string]any{"Name": name, "Env": download.EndpointEnv})
		}
	}
	return fmt.Sprintf("%s: %s", name, c.t.m.logError("model library", err))
}
