package ui

import (
	"errors"
	"strings"
	"sync"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/layout"
	"fyne.io/fyne/v2/widget"

	"github.com/verbatim-app/verbatim/app/desktop"
	"github.com/verbatim-app/verbatim/app/dictate"
	"github.com/verbatim-app/verbatim/ui/x11"
)

// defaultShortcut is dictation's shortcut until one is chosen.
const defaultShortcut = "ctrl+alt+space"

// prefDictPaste: paste through the clipboard instead of typing (default off).
const prefDictPaste = "dictation.paste"

// dictationPart is dictation's settings (in Models & settings), its status-bar indicator and what the
// tray shows. Its state survives a change of language; the widgets are rebuilt.
type dictationPart struct {
	m *mainWindow

	ops      sync.Mutex // one Start or Stop at a time, in the order asked
	running  bool       // started and not yet ended
	starting bool
	gen      int           // counts launches: events of a run already replaced are ignored
	state    dictate.State // while running
	err      string        // why it did not start or ended, or why the last take typed nothing

	check     *widget.Check
	shortcut  *widget.Entry
	mode      *widget.Select
	commands  *widget.Check
	paste     *widget.Check
	info      *widget.Label
	minimised *widget.Check
	indicator *widget.Label
}

func newDictationPart(m *mainWindow) *dictationPart { return &dictationPart{m: m} }

func (d *dictationPart) tr() *Translator { return d.m.tr }

// supported says whether the settings offer dictation at all.
func (d *dictationPart) supported() bool {
	s := d.m.deps.DictationSupport
	return d.m.deps.Dictation != nil && (s == desktop.DictationX11 || s == desktop.DictationPortal)
}

// start starts dictation with the window when it was left on.
func (d *dictationPart) start() {
	if d.supported() && d.m.prefs.Bool(prefDictation) {
		// On the UI's goroutine, like every other change of the window's state (the device list may be
		// arriving at the same time).
		go d.m.do(func() { d.setOn(true) })
	}
}

func (d *dictationPart) shortcutText() string {
	return d.m.prefs.StringWithFallback(prefDictShortcut, defaultShortcut)
}

func (d *dictationPart) config() desktop.DictationConfig {
	p := d.m.prefs
	mode := dictate.Hold
	if p.String(prefDictMode) == "toggle" {
		mode = dictate.Toggle
	}
	return desktop.DictationConfig{
		Shortcut: d.shortcutText(),
		Mode:     mode,
		Commands: p.BoolWithFallback(prefDictCommands, true),
		Device:   d.m.live.device,
		Paste:    p.Bool(prefDictPaste),
	}
}

// setOn starts or stops dictation and remembers the choice for the next start.
func (d *dictationPart) setOn(on bool) {
	if !d.supported() || on == (d.running || d.starting) {
		return
	}
	d.m.prefs.SetBool(prefDictation, on)
	if on {
		d.launch(d.config())
		return
	}
	go d.stop()
}

// launch starts dictation with cfg in the background and follows its events.
func (d *dictationPart) launch(cfg desktop.DictationConfig) {
	d.starting, d.err = true, ""
	d.gen++
	gen := d.gen
	d.refresh()
	go func() {
		d.ops.Lock()
		ch, err := d.m.deps.Dictation.Start(cfg)
		d.ops.Unlock()
		d.m.do(func() {
			d.starting = false
			if err != nil {
				d.err = d.m.logError("dictation", err)
			} else {
				d.running, d.state = true, dictate.Idle
			}
			d.refresh()
			d.m.notify("dictation")
		})
		if err != nil {
			return
		}
		// This goroutine is the one hop from the dictation service to the screen.
		for ev := range ch {
			d.m.do(func() {
				if gen == d.gen {
					d.apply(ev)
				}
				d.m.notify("dictation-event")
			})
		}
	}()
}

func (d *dictationPart) stop() {
	d.ops.Lock()
	defer d.ops.Unlock()
	ctx, cancel := timeout()
	defer cancel()
	if err := d.m.deps.Dictation.Stop(ctx); err != nil {
		d.m.do(func() {
			d.err = d.m.logError("dictation", err)
			d.refresh()
		})
	}
}

// restart applies changed settings to a running dictation.
func (d *dictationPart) restart() {
	if !d.running {
		return
	}
	cfg := d.config()
	go func() {
		d.stop()
		d.m.do(func() {
			// The Ended event of the stopped run may still be on its way: start regardless.
			d.running = false
			d.launch(cfg)
		})
	}()
}

func (d *dictationPart) apply(ev desktop.DictationEvent) {
	switch {
	case ev.Ended:
		d.running, d.state = false, dictate.Idle
		d.err = ""
		if ev.Err != nil {
			d.err = d.m.logError("dictation", ev.Err)
		}
	case ev.Err != nil:
		d.err = d.m.logError("dictation", ev.Err)
	default:
		d.state = ev.State
		if ev.State == dictate.Listening {
			d.err = "" // a new take: the last one's problem is old news
		}
	}
	d.refresh()
}

// checkShortcut is the entry's validator: x11's parser, in the interface's language.
func (d *dictationPart) checkShortcut(s string) error {
	if _, err := x11.ParseShortcut(s); err != nil {
		return errors.New(d.tr().T("DictationBadShortcut"))
	}
	return nil
}

// prettyShortcut writes "ctrl+alt+space" as people read it: "Ctrl+Alt+Space".
func prettyShortcut(s string) string {
	parts := strings.Split(strings.TrimSpace(s), "+")
	for i, p := range parts {
		p = strings.TrimSpace(p)
		if len(p) > 1 {
			p = strings.ToUpper(p[:1]) + p[1:]
		} else {
			p = strings.ToUpper(p)
		}
		parts[i] = p
	}
	return strings.Join(parts, "+")
}

// addSettings adds the Dictation rows to the settings form.
func (d *dictationPart) addSettings(form *fyne.Container) {
	tr := d.tr()
	d.check, d.shortcut, d.mode, d.commands, d.paste, d.info, d.minimised = nil, nil, nil, nil, nil, nil, nil
	if d.m.tray != nil {
		d.minimised = widget.NewCheck(tr.T("StartMinimised"), func(on bool) { d.m.prefs.SetBool(prefStartMinimised, on) })
		d.minimised.SetChecked(d.m.prefs.Bool(prefStartMinimised))
		form.Add(widget.NewLabel(tr.T("WindowSetting")))
		form.Add(d.minimised)
	}
	if d.m.deps.Dictation == nil {
		return
	}
	form.Add(widget.NewLabel(tr.T("Dictation")))
	if msg := d.unsupportedText(); msg != "" {
		l := widget.NewLabel(msg)
		l.Wrapping = fyne.TextWrapWord
		form.Add(l)
		return
	}
	d.check = widget.NewCheck(tr.T("DictationOn"), nil)
	form.Add(d.check)

	d.shortcut = widget.NewEntry()
	d.shortcut.SetText(d.shortcutText())
	d.shortcut.Validator = d.checkShortcut
	d.shortcut.OnChanged = func(s string) {
		if d.checkShortcut(s) == nil {
			d.m.prefs.SetString(prefDictShortcut, strings.ToLower(strings.TrimSpace(s)))
		}
	}
	// A running dictation takes the new shortcut on Enter, not at every keystroke.
	d.shortcut.OnSubmitted = func(s string) {
		if d.checkShortcut(s) == nil {
			d.restart()
		}
	}
	form.Add(widget.NewLabel(tr.T("DictationShortcut")))
	form.Add(container.NewBorder(nil, nil, nil, widget.NewLabel(tr.T("DictationShortcutHint")), d.shortcut))

	d.mode = widget.NewSelect([]string{tr.T("DictationHold"), tr.T("DictationToggle")}, nil)
	if d.m.prefs.String(prefDictMode) == "toggle" {
		d.mode.SetSelectedIndex(1)
	} else {
		d.mode.SetSelectedIndex(0)
	}
	d.mode.OnChanged = func(string) {
		mode := "hold"
		if d.mode.SelectedIndex() == 1 {
			mode = "toggle"
		}
		if mode != d.m.prefs.StringWithFallback(prefDictMode, "hold") {
			d.m.prefs.SetString(prefDictMode, mode)
			d.restart()
		}
	}
	form.Add(widget.NewLabel(tr.T("DictationMode")))
	form.Add(d.mode)

	d.commands = widget.NewCheck(tr.T("DictationCommands"), nil)
	d.commands.SetChecked(d.m.prefs.BoolWithFallback(prefDictCommands, true))
	d.commands.OnChanged = func(on bool) {
		d.m.prefs.SetBool(prefDictCommands, on)
		d.restart()
	}
	form.Add(layout.NewSpacer())
	form.Add(d.commands)

	d.paste = widget.NewCheck(tr.T("DictationPaste"), nil)
	d.paste.SetChecked(d.m.prefs.Bool(prefDictPaste))
	d.paste.OnChanged = func(on bool) {
		d.m.prefs.SetBool(prefDictPaste, on)
		d.restart()
	}
	form.Add(layout.NewSpacer())
	form.Add(d.paste)

	d.info = widget.NewLabel("")
	d.info.Wrapping = fyne.TextWrapWord
	form.Add(layout.NewSpacer())
	form.Add(d.info)
	d.refresh()
	d.check.OnChanged = d.setOn
}

// unsupportedText says plainly why dictation cannot run here ("" when it can).
func (d *dictationPart) unsupportedText() string {
	switch d.m.deps.DictationSupport {
	case desktop.DictationWaylandOnly:
		return d.tr().T("DictationWayland")
	case desktop.DictationNoDisplay:
		return d.tr().T("DictationNoDisplay")
	}
	return ""
}

// indicatorWidget is the status bar's part, built with the bar.
func (d *dictationPart) indicatorWidget() fyne.CanvasObject {
	d.indicator = widget.NewLabel("")
	d.refresh()
	return d.indicator
}

// stateText is the state in words, for the indicator and the tray.
func (d *dictationPart) stateText() string {
	tr := d.tr()
	switch {
	case d.starting:
		return tr.T("DictationStarting")
	case !d.running:
		return tr.T("DictationIndicatorOff")
	case d.state == dictate.Listening:
		return tr.T("DictationIndicatorListening")
	case d.state == dictate.Thinking:
		return tr.T("DictationIndicatorThinking")
	}
	return tr.T("DictationIndicatorIdle", map[string]any{"Shortcut": prettyShortcut(d.shortcutText())})
}

// refresh shows the state everywhere it appears.
func (d *dictationPart) refresh() {
	tr := d.tr()
	if d.indicator != nil {
		if d.running || d.starting {
			d.indicator.SetText(d.stateText())
			d.indicator.Importance = map[dictate.State]widget.Importance{
				dictate.Listening: widget.DangerImportance, dictate.Thinking: widget.WarningImportance,
			}[d.state]
			d.indicator.Refresh()
			d.indicator.Show()
		} else {
			d.indicator.Hide()
		}
	}
	// The box is touched only when it changes: a refresh from a background result then never redraws it
	// while a tap on it is still being handled.
	if d.check != nil {
		if on := d.running || d.starting; d.check.Checked != on {
			f := d.check.OnChanged
			d.check.OnChanged = nil
			d.check.SetChecked(on)
			d.check.OnChanged = f
		}
	}
	if d.info != nil {
		switch {
		case d.err != "" && !d.running:
			d.info.Importance = widget.DangerImportance
			d.info.SetText(tr.T("DictationFailed", map[string]any{"Error": d.err}))
		case d.err != "":
			d.info.Importance = widget.WarningImportance
			d.info.SetText(tr.T("DictationTakeFailed", map[string]any{"Error": d.err}))
		case d.running:
			d.info.Importance = widget.MediumImportance
			d.info.SetText(tr.T("DictationRunning", map[string]any{"Shortcut": prettyShortcut(d.shortcutText())}))
		default:
			d.info.Importance = widget.LowImportance
			d.info.SetText(tr.T("DictationStopped"))
		}
		d.info.Refresh()
	}
	if d.m.tray != nil {
		d.m.tray.refresh()
	}
}
