package ui

import (
	"context"
	"fmt"
	"runtime"
	"strconv"
	"strings"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/layout"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"github.com/verbatim-app/verbatim/app/desktop"
)

// interfaceLanguages are the interface language choices by native name, after "System".
var interfaceLanguages = []struct{ code, name string }{
	{"en", "English"}, {"es", "Español"}, {"fr", "Français"}, {"de", "Deutsch"}, {"ja", "日本語"}, {"zh", "中文"},
}

// modelsTab is the model list and settings.
type modelsTab struct {
	m        *mainWindow
	models   []desktop.ModelInfo
	listErr  error
	selected string // model ID picked in the list
	loading  string // name of the model loading, "" when none
	progress float32
	loadErr  string

	list      *widget.List
	projSel   *widget.Select
	gpuAuto   *widget.Check
	gpuEntry  *widget.Entry
	threadSel *widget.Select
	loadBtn   *widget.Button
	bar       *widget.ProgressBar
	message   *widget.Label
	langSel   *widget.Select

	catalog  *catalogPart       // models to download; shown only with deps.Library
	leftTabs *container.AppTabs // installed models | download; nil without deps.Library

	serverURL   string // "" while stopped
	serverErr   string
	serverCheck *widget.Check
	serverInfo  *widget.Label
}

func newModelsTab(m *mainWindow) *modelsTab {
	t := &modelsTab{m: m, selected: m.prefs.String(prefModel)}
	t.catalog = newCatalogPart(t)
	return t
}

func (t *modelsTab) tr() *Translator { return t.m.tr }

// setServer starts or stops the local API server and remembers the choice for the next start.
func (t *modelsTab) setServer(on bool) {
	srv := t.m.deps.Server
	if srv == nil || on == (t.serverURL != "") {
		return
	}
	t.m.prefs.SetBool(prefServer, on)
	go func() {
		var url string
		var err error
		if on {
			url, err = srv.Start("")
		} else {
			ctx, cancel := timeout()
			err = srv.Stop(ctx)
			cancel()
		}
		t.m.do(func() {
			t.serverURL, t.serverErr = url, ""
			if err != nil {
				t.serverErr = t.m.logError("local server", err)
			}
			t.refreshServer()
			t.m.notify("server")
		})
	}()
}

func (t *modelsTab) refreshServer() {
	if t.serverInfo == nil {
		return
	}
	tr := t.tr()
	switch {
	case t.serverErr != "":
		t.serverInfo.SetText(tr.T("LocalServerFailed", map[string]any{"Error": t.serverErr}))
	case t.serverURL != "":
		t.serverInfo.SetText(tr.T("LocalServerRunning", map[string]any{"URL": t.serverURL}))
	default:
		t.serverInfo.SetText(tr.T("LocalServerStopped"))
	}
	if t.serverCheck.Checked != (t.serverURL != "") {
		t.serverCheck.OnChanged = nil
		t.serverCheck.SetChecked(t.serverURL != "")
		t.serverCheck.OnChanged = func(on bool) { t.setServer(on) }
	}
}

// start lists the models, then loads the saved choice if no model is loaded yet.
func (t *modelsTab) start() {
	if t.m.prefs.Bool(prefServer) {
		t.setServer(true)
	}
	t.catalog.reload()
	cat := t.m.deps.Models
	if cat == nil {
		return
	}
	go func() {
		ctx, cancel := timeout()
		defer cancel()
		models, err := cat.List(ctx)
		t.m.do(func() {
			t.models, t.listErr = models, err
			if t.selected == "" {
				t.selected = cat.Current().ID
			}
			t.refresh()
			if cat.Current().ID == "" {
				if c, ok := desktop.StartupChoice(t.models, t.savedChoice()); ok {
					if t.selected == "" || t.find(t.selected) == nil {
						t.selected = c.Model
						t.refresh()
					}
					t.load(c)
				}
			}
			t.m.notify("models")
		})
	}()
}

func (t *modelsTab) find(id string) *desktop.ModelInfo {
	for i := range t.models {
		if t.models[i].ID == id {
			return &t.models[i]
		}
	}
	return nil
}

func (t *modelsTab) savedChoice() desktop.Choice {
	p := t.m.prefs
	return desktop.Choice{
		Model:     p.String(prefModel),
		Projector: p.String(prefProjector),
		GPULayers: p.IntWithFallback(prefGPULayers, -1),
		Threads:   p.Int(prefThreads),
	}
}

func (t *modelsTab) build() fyne.CanvasObject {
	tr := t.tr()
	header := container.NewGridWithColumns(5,
		bold(tr.T("ModelName")), bold(tr.T("ModelSize")), bold(tr.T("ModelQuant")), bold(tr.T("ModelCanHear")), bold(tr.T("ModelGPUFit")))
	t.list = widget.NewList(func() int { return len(t.models) },
		func() fyne.CanvasObject {
			name := widget.NewLabel("")
			name.Truncation = fyne.TextTruncateEllipsis
			return container.NewGridWithColumns(5, name, widget.NewLabel(""), widget.NewLabel(""), widget.NewLabel(""), widget.NewLabel(""))
		},
		func(id widget.ListItemID, o fyne.CanvasObject) {
			if id >= len(t.models) {
				return
			}
			mi := t.models[id]
			c := o.(*fyne.Container).Objects
			c[0].(*widget.Label).SetText(mi.Name)
			c[1].(*widget.Label).SetText(humanSize(mi.Size))
			c[2].(*widget.Label).SetText(mi.Quant)
			if mi.CanHear {
				c[3].(*widget.Label).SetText(tr.T("Yes"))
			} else {
				c[3].(*widget.Label).SetText(tr.T("No"))
			}
			c[4].(*widget.Label).SetText(fitText(tr, mi.Fit))
		})
	t.list.OnSelected = func(id widget.ListItemID) {
		if id < len(t.models) && t.models[id].ID != t.selected {
			t.selected = t.models[id].ID
			t.refreshForm()
		}
	}

	saved := t.savedChoice()
	t.projSel = widget.NewSelect(nil, nil)
	t.gpuEntry = widget.NewEntry()
	t.gpuEntry.Validator = func(s string) error {
		if n, err := strconv.Atoi(s); err != nil || n < 0 {
			return fmt.Errorf("%s", tr.T("NeedNumber"))
		}
		return nil
	}
	t.gpuAuto = widget.NewCheck(tr.T("Auto"), func(on bool) {
		if on {
			t.gpuEntry.Disable()
		} else {
			t.gpuEntry.Enable()
		}
	})
	if saved.GPULayers >= 0 {
		t.gpuEntry.SetText(strconv.Itoa(saved.GPULayers))
	} else {
		t.gpuEntry.SetText("99")
		t.gpuAuto.SetChecked(true)
	}
	threads := []string{tr.T("Auto")}
	for i := 1; i <= runtime.NumCPU(); i++ {
		threads = append(threads, strconv.Itoa(i))
	}
	t.threadSel = widget.NewSelect(threads, nil)
	t.threadSel.SetSelectedIndex(min(max(saved.Threads, 0), len(threads)-1))

	t.loadBtn = widget.NewButtonWithIcon(tr.T("LoadModel"), theme.UploadIcon(), func() {
		t.load(t.formChoice())
	})
	t.loadBtn.Importance = widget.HighImportance
	refresh := widget.NewButtonWithIcon(tr.T("Rescan"), theme.ViewRefreshIcon(), t.start)
	t.bar = widget.NewProgressBar()
	t.message = widget.NewLabel("")
	t.message.Wrapping = fyne.TextWrapWord

	langs := []string{tr.T("LangSystem", map[string]any{"Lang": nativeName(SystemLanguage())})}
	sel := 0
	for i, l := range interfaceLanguages {
		langs = append(langs, l.name)
		if l.code == t.m.prefs.String(prefLanguage) {
			sel = i + 1
		}
	}
	t.langSel = widget.NewSelect(langs, nil)
	t.langSel.SetSelectedIndex(sel)
	t.langSel.OnChanged = func(string) {
		code := ""
		if i := t.langSel.SelectedIndex(); i > 0 {
			code = interfaceLanguages[i-1].code
		}
		if code != t.m.prefs.String(prefLanguage) {
			t.m.setLanguage(code) // rebuilds the window, this Select included
		}
	}

	form := container.New(layout.NewFormLayout(),
		widget.NewLabel(tr.T("Projector")), t.projSel,
		widget.NewLabel(tr.T("GPULayers")), container.NewBorder(nil, nil, t.gpuAuto, nil, t.gpuEntry),
		widget.NewLabel(tr.T("Threads")), t.threadSel,
		layout.NewSpacer(), container.NewHBox(t.loadBtn, refresh),
		layout.NewSpacer(), t.bar,
		layout.NewSpacer(), t.message,
	)
	settings := container.New(layout.NewFormLayout(), widget.NewLabel(tr.T("InterfaceLanguage")), t.langSel)
	if t.m.deps.Server != nil {
		t.serverCheck = widget.NewCheck(tr.T("LocalServerServe"), nil)
		t.serverCheck.SetChecked(t.serverURL != "")
		t.serverCheck.OnChanged = func(on bool) { t.setServer(on) }
		t.serverInfo = widget.NewLabel("")
		t.serverInfo.Wrapping = fyne.TextWrapWord
		settings.Add(widget.NewLabel(tr.T("LocalServer")))
		settings.Add(t.serverCheck)
		settings.Add(layout.NewSpacer())
		settings.Add(t.serverInfo)
		t.refreshServer()
	}
	t.m.dict.addSettings(settings)

	models := container.NewBorder(container.NewVBox(heading(tr.T("Models")), header), nil, nil, nil, t.list)
	right := container.NewVBox(heading(tr.T("ModelOptions")), form, widget.NewSeparator(), heading(tr.T("Settings")), settings)
	// Both sides scroll, across too: the five columns and the settings' labels in the wider languages
	// would otherwise hold the whole window wider than a small screen (the tab's minimum sets the
	// window's).
	left := fyne.CanvasObject(container.NewHScroll(models))
	if t.m.deps.Library != nil {
		// Each list gets the pane's full height (a small screen holds few rows); the catalog stays out
		// of the sideways scroll, so that its rows fit the pane with their buttons in view.
		t.leftTabs = container.NewAppTabs(
			container.NewTabItemWithIcon(tr.T("ModelsOnComputer"), theme.ComputerIcon(), left),
			container.NewTabItemWithIcon(tr.T("DownloadModels"), theme.DownloadIcon(), t.catalog.build()))
		left = t.leftTabs
	}
	split := container.NewHSplit(left, container.NewScroll(right))
	split.Offset = 0.55
	t.refresh()
	return split
}

func bold(s string) *widget.Label {
	return widget.NewLabelWithStyle(s, fyne.TextAlignLeading, fyne.TextStyle{Bold: true})
}

func heading(s string) fyne.CanvasObject {
	l := widget.NewLabelWithStyle(s, fyne.TextAlignLeading, fyne.TextStyle{Bold: true})
	l.SizeName = theme.SizeNameSubHeadingText
	return l
}

func nativeName(code string) string {
	for _, l := range interfaceLanguages {
		if l.code == code {
			return l.name
		}
	}
	return code
}

// fitText says how much of a model this machine's GPUs hold (ModelInfo.Fit, KnownModel.Fit); "" for
// an unknown fit.
func fitText(tr *Translator, fit string) string {
	key := map[string]string{"full": "FitFull", "partial": "FitPartial", "cpu": "FitCPU", desktop.FitTooBig: "FitTooBig"}[fit]
	if key == "" {
		return ""
	}
	return tr.T(key)
}

func humanSize(b int64) string {
	switch {
	case b >= 1<<30:
		return fmt.Sprintf("%.1f GB", float64(b)/(1<<30))
	case b >= 1<<20:
		return fmt.Sprintf("%.0f MB", float64(b)/(1<<20))
	case b > 0:
		return fmt.Sprintf("%d kB", (b+1023)/1024)
	}
	return "—"
}

func (t *modelsTab) formChoice() desktop.Choice {
	c := desktop.Choice{Model: t.selected, GPULayers: -1}
	if i := t.projSel.SelectedIndex(); i > 0 {
		if mi := t.find(t.selected); mi != nil && i-1 < len(mi.Projectors) {
			c.Projector = mi.Projectors[i-1]
		}
	}
	if !t.gpuAuto.Checked {
		if n, err := strconv.Atoi(t.gpuEntry.Text); err == nil && n >= 0 {
			c.GPULayers = n
		}
	}
	if i := t.threadSel.SelectedIndex(); i > 0 {
		c.Threads = i
	}
	return c
}

// load loads c in the background; the window stays usable and shows progress.
func (t *modelsTab) load(c desktop.Choice) {
	cat := t.m.deps.Models
	if cat == nil || c.Model == "" || t.loading != "" {
		return
	}
	mi := t.find(c.Model)
	name := c.Model
	if mi != nil {
		name = mi.Name
	}
	t.loading, t.progress, t.loadErr = name, 0, ""
	t.refresh()
	go func() {
		// The catalog calls progress on its loading goroutine: one hop from there to the screen.
		err := cat.Load(context.Background(), c, func(p float32) {
			t.m.do(func() {
				t.progress = p
				if t.bar != nil {
					t.bar.SetValue(float64(p))
				}
			})
		})
		t.m.do(func() {
			t.loading = ""
			if err != nil {
				prev := cat.Current().Name
				if prev == "" {
					prev = t.tr().T("NoModel")
				}
				t.loadErr = t.tr().T("LoadFailed", map[string]any{"Name": name, "Err": sentence(t.m.logError("load "+name, err)), "Previous": prev})
			} else {
				p := t.m.prefs
				p.SetString(prefModel, c.Model)
				p.SetString(prefProjector, c.Projector)
				p.SetInt(prefGPULayers, c.GPULayers)
				p.SetInt(prefThreads, c.Threads)
			}
			t.refresh()
			t.m.refreshTargets() // the new model may translate into other languages
			t.m.notify("load")
		})
	}()
}

// statusText is the status bar's model part.
func (t *modelsTab) statusText() string {
	tr := t.tr()
	if t.loading != "" {
		return tr.T("StatusLoading", map[string]any{"Name": t.loading, "Percent": int(t.progress * 100)})
	}
	if t.m.deps.Models == nil {
		return tr.T("NoModel")
	}
	cur := t.m.deps.Models.Current()
	if cur.ID == "" {
		return tr.T("NoModel")
	}
	if cur.Backend != "" {
		return cur.Name + " · " + cur.Backend
	}
	return cur.Name
}

func (t *modelsTab) refresh() {
	if t.list == nil {
		return
	}
	tr := t.tr()
	t.list.Refresh()
	for i, mi := range t.models {
		if mi.ID == t.selected {
			t.list.Select(i)
		}
	}
	t.refreshForm()
	switch {
	case t.loading != "":
		t.bar.Show()
		t.bar.SetValue(float64(t.progress))
		t.message.Importance = widget.MediumImportance
		t.message.SetText(tr.T("Loading", map[string]any{"Name": t.loading}))
	case t.loadErr != "":
		t.bar.Hide()
		t.message.Importance = widget.DangerImportance
		t.message.SetText(t.loadErr)
	case t.listErr != nil:
		t.bar.Hide()
		t.message.Importance = widget.DangerImportance
		t.message.SetText(tr.T("ListFailed", map[string]any{"Err": t.m.errorText(t.listErr)}))
	case len(t.models) == 0:
		t.bar.Hide()
		t.message.Importance = widget.LowImportance
		t.message.SetText(tr.T("NoModels"))
	default:
		t.bar.Hide()
		t.message.Importance = widget.MediumImportance
		t.message.SetText(tr.T("CurrentModel", map[string]any{"Name": t.statusText()}))
	}
	t.m.live.refreshStatus()
}

func (t *modelsTab) refreshForm() {
	tr := t.tr()
	mi := t.find(t.selected)
	opts := []string{tr.T("ProjectorNone")}
	sel := 0
	if mi != nil {
		// The projector last used with this model, else the one found with it: another model's saved
		// projector of the same width would load without a word and hear wrongly.
		saved := ""
		if t.m.prefs.String(prefModel) == mi.ID {
			saved = t.m.prefs.String(prefProjector)
		}
		for i, p := range mi.Projectors {
			name := shortName(p)
			if p == mi.ID {
				name = tr.T("ProjectorBuiltIn") // Gemma 4 E2B/E4B from Ollama: the model file holds its audio encoder
			}
			opts = append(opts, name)
			if p == saved || (i == 0 && sel == 0) {
				sel = i + 1
			}
		}
	}
	t.projSel.SetOptions(opts)
	t.projSel.SetSelectedIndex(sel)
	if mi == nil || t.loading != "" {
		t.loadBtn.Disable()
	} else {
		t.loadBtn.Enable()
	}
}

func shortName(p string) string {
	for i := len(p) - 1; i >= 0; i-- {
		if p[i] == '/' || p[i] == '\\' {
			return p[i+1:]
		}
	}
	return p
}

// sentence is a message without its closing full stop, for a template that puts one after it.
func sentence(msg string) string {
	return strings.TrimSuffix(strings.TrimSuffix(strings.TrimSpace(msg), "."), "。")
}
