package ui

import (
	"context"
	"errors"
	"reflect"
	"strings"
	"sync"
	"testing"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/test"

	"github.com/verbatim-app/verbatim/app/desktop"
	"github.com/verbatim-app/verbatim/app/dictate"
)

// fakeDictation is the dictation service: Start records the configuration, the test sends the states.
type fakeDictation struct {
	mu       sync.Mutex
	startErr error
	starts   []desktop.DictationConfig
	stops    int
	ch       chan desktop.DictationEvent
}

func (f *fakeDictation) Start(cfg desktop.DictationConfig) (<-chan desktop.DictationEvent, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.starts = append(f.starts, cfg)
	if f.startErr != nil {
		return nil, f.startErr
	}
	f.ch = make(chan desktop.DictationEvent)
	return f.ch, nil
}

// Stop ends the run as the service does: Ended, then the channel closes.
func (f *fakeDictation) Stop(context.Context) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.stops++
	if f.ch != nil {
		f.ch <- desktop.DictationEvent{Ended: true}
		close(f.ch)
		f.ch = nil
	}
	return nil
}

func (f *fakeDictation) send(ev desktop.DictationEvent) {
	f.mu.Lock()
	ch := f.ch
	f.mu.Unlock()
	ch <- ev
}

func (f *fakeDictation) counts() (starts, stops int, last desktop.DictationConfig) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if len(f.starts) > 0 {
		last = f.starts[len(f.starts)-1]
	}
	return len(f.starts), f.stops, last
}

// The Dictation settings start and stop dictation with the saved shortcut, mode and spoken commands,
// restart it when they change, refuse a shortcut x11 cannot grab, show the state in the status bar and
// keep it across a change of language.
func TestDictationSetting(t *testing.T) {
	dict := &fakeDictation{}
	h := newHarness(t, "en", func(_ *harness, d *Deps) { d.Dictation = dict })
	dp := h.m.dict
	if dp.check == nil || dp.check.Checked || !strings.Contains(dp.info.Text, "Off.") || dp.indicator.Visible() {
		t.Fatalf("initial: checked %v, %q, indicator visible %v", dp.check != nil && dp.check.Checked, dp.info.Text, dp.indicator.Visible())
	}
	if !shows(h.m.models.build(), "“new line”, “new paragraph”") {
		t.Error("the spoken commands are not listed")
	}
	test.Tap(dp.check)
	h.wait("dictation")
	n, _, cfg := dict.counts()
	want := desktop.DictationConfig{Shortcut: "ctrl+alt+space", Mode: dictate.Hold, Commands: true, Device: "Built-in"}
	if n != 1 || !reflect.DeepEqual(cfg, want) {
		t.Fatalf("after switching on: %d starts, %+v, want %+v", n, cfg, want)
	}
	if !h.m.prefs.Bool(prefDictation) || !dp.check.Checked || !dp.indicator.Visible() ||
		dp.indicator.Text != "Dictation: Ctrl+Alt+Space" || !strings.Contains(dp.info.Text, "Ctrl+Alt+Space in any application") {
		t.Fatalf("running: indicator %q, info %q", dp.indicator.Text, dp.info.Text)
	}

	for _, tc := range []struct {
		ev        desktop.DictationEvent
		indicator string
		info      string
	}{
		{desktop.DictationEvent{State: dictate.Listening}, "Dictation: listening…", "in any application"},
		{desktop.DictationEvent{State: dictate.Thinking}, "Dictation: thinking…", "in any application"},
		{desktop.DictationEvent{State: dictate.Idle, Err: errors.New("no model loaded")}, "Dictation: thinking…", "Nothing was typed: no model loaded"},
		{desktop.DictationEvent{State: dictate.Idle}, "Dictation: Ctrl+Alt+Space", "Nothing was typed"},
		{desktop.DictationEvent{State: dictate.Listening}, "Dictation: listening…", "in any application"}, // a new take clears it
		{desktop.DictationEvent{State: dictate.Idle}, "Dictation: Ctrl+Alt+Space", "in any application"},
	} {
		dict.send(tc.ev)
		h.wait("dictation-event")
		if dp.indicator.Text != tc.indicator || !strings.Contains(dp.info.Text, tc.info) {
			t.Fatalf("after %+v: indicator %q, info %q; want %q, %q", tc.ev, dp.indicator.Text, dp.info.Text, tc.indicator, tc.info)
		}
	}

	// Each change restarts the running dictation with it.
	restarted := func(what string, want desktop.DictationConfig) {
		t.Helper()
		h.wait("dictation-event") // the old run's Ended
		h.wait("dictation")
		starts, stops, cfg := dict.counts()
		if starts != stops+1 || !reflect.DeepEqual(cfg, want) || !dp.check.Checked {
			t.Fatalf("%s: %d starts, %d stops, %+v; want %+v", what, starts, stops, cfg, want)
		}
	}
	dp.mode.SetSelectedIndex(1)
	want.Mode = dictate.Toggle
	restarted("toggle mode", want)
	dp.commands.SetChecked(false)
	want.Commands = false
	restarted("commands off", want)
	if dp.paste == nil || dp.paste.Checked || dp.paste.Text != "Paste instead of typing (through the clipboard; what it held is put back)" {
		t.Fatal("no unchecked “Paste instead of typing” box")
	}
	dp.paste.SetChecked(true)
	want.Paste = true
	restarted("paste on", want)
	if !h.m.prefs.Bool(prefDictPaste) {
		t.Fatal("paste not saved")
	}

	// A shortcut x11 cannot read is refused and not saved; a good one is saved, and applied on Enter.
	dp.shortcut.SetText("ctrl+alt+space+hyper")
	if dp.shortcut.Validate() == nil || h.m.prefs.String(prefDictShortcut) == "ctrl+alt+space+hyper" {
		t.Fatalf("bad shortcut accepted: %q saved", h.m.prefs.String(prefDictShortcut))
	}
	dp.shortcut.SetText("Super+D")
	if err := dp.shortcut.Validate(); err != nil {
		t.Fatal(err)
	}
	dp.shortcut.OnSubmitted(dp.shortcut.Text)
	want.Shortcut = "super+d"
	restarted("new shortcut", want)
	if h.m.prefs.String(prefDictShortcut) != "super+d" {
		t.Fatalf("saved shortcut %q", h.m.prefs.String(prefDictShortcut))
	}

	// A language change rebuilds the widgets; dictation's state stays.
	h.m.setLanguage("de")
	if !dp.check.Checked || dp.indicator.Text != "Diktat: Super+D" || dp.mode.SelectedIndex() != 1 || dp.commands.Checked || !dp.paste.Checked {
		t.Fatalf("after a rebuild: checked %v, indicator %q, mode %d", dp.check.Checked, dp.indicator.Text, dp.mode.SelectedIndex())
	}
	h.m.setLanguage("en")

	test.Tap(dp.check)
	h.wait("dictation-event") // Ended
	if _, stops, _ := dict.counts(); stops != 5 || dp.check.Checked || dp.indicator.Visible() || h.m.prefs.Bool(prefDictation) {
		t.Fatalf("after switching off: %d stops, checked %v, indicator visible %v", stops, dp.check.Checked, dp.indicator.Visible())
	}
}

// Left on, dictation starts with the next window with the saved settings; a shortcut another
// application holds, or a device that fails later, unchecks it and says why.
func TestDictationStartsWithWindow(t *testing.T) {
	failing := &fakeDictation{startErr: errors.New("x11: shortcut ctrl+alt+space is taken by another application")}
	h := newHarness(t, "en", func(h *harness, d *Deps) {
		p := fyne.CurrentApp().Preferences()
		p.SetBool(prefDictation, true)
		d.Dictation = failing
		h.ready = []string{"dictation"}
	})
	if n, _, _ := failing.counts(); n != 1 || h.m.dict.check.Checked || !strings.Contains(h.m.dict.info.Text, "Dictation is off: x11: shortcut ctrl+alt+space is taken") {
		t.Fatalf("failed start: %d starts, %q", n, h.m.dict.info.Text)
	}

	dict := &fakeDictation{}
	h2 := newHarness(t, "en", func(h *harness, d *Deps) {
		p := fyne.CurrentApp().Preferences()
		p.SetBool(prefDictation, true)
		p.SetString(prefDictShortcut, "ctrl+shift+f9")
		p.SetString(prefDictMode, "toggle")
		p.SetBool(prefDictCommands, false)
		d.Dictation = dict
		h.ready = []string{"dictation"}
	})
	_, _, cfg := dict.counts()
	if want := (desktop.DictationConfig{Shortcut: "ctrl+shift+f9", Mode: dictate.Toggle, Device: "Built-in"}); cfg.Shortcut != want.Shortcut || cfg.Mode != want.Mode || cfg.Commands {
		t.Fatalf("started with %+v, want %+v", cfg, want)
	}
	dict.send(desktop.DictationEvent{Ended: true, Err: errors.New("capture: device stalled")})
	h2.wait("dictation-event")
	dp := h2.m.dict
	if dp.check.Checked || dp.indicator.Visible() || !strings.Contains(dp.info.Text, "Dictation is off: capture: device stalled") {
		t.Fatalf("after the device failed: checked %v, %q", dp.check.Checked, dp.info.Text)
	}
}

// On Wayland with a portal that has GlobalShortcuts and RemoteDesktop (desktop.DictationPortal), the
// settings offer dictation as on X11, and a saved "on" starts it.
func TestDictationOnPortal(t *testing.T) {
	dict := &fakeDictation{}
	h := newHarness(t, "en", func(h *harness, d *Deps) {
		fyne.CurrentApp().Preferences().SetBool(prefDictation, true)
		d.Dictation = dict
		d.DictationSupport = desktop.DictationPortal
		h.ready = []string{"dictation"}
	})
	tab := h.m.models.build()
	if n, _, _ := dict.counts(); n != 1 || h.m.dict.check == nil || !h.m.dict.check.Checked || strings.Contains(strings.Join(canvasTexts(tab), " "), "Wayland") {
		t.Fatalf("portal: %d starts, switch %v, texts %q", n, h.m.dict.check != nil, canvasTexts(tab))
	}
}

// Where no X11 display is there, the section says so instead of offering the switch, and a saved "on"
// starts nothing.
func TestDictationUnsupported(t *testing.T) {
	for _, tc := range []struct {
		name    string
		dict    *fakeDictation // nil: no dictation service
		support desktop.DictationSupport
		says    string
		section bool
	}{
		{"wayland", &fakeDictation{}, desktop.DictationWaylandOnly, "Wayland session without XWayland", true},
		{"no display", &fakeDictation{}, desktop.DictationNoDisplay, "there is none here (DISPLAY is not set)", true},
		{"no service", nil, desktop.DictationX11, "", false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			h := newHarness(t, "en", func(_ *harness, d *Deps) {
				fyne.CurrentApp().Preferences().SetBool(prefDictation, true)
				if tc.dict != nil {
					d.Dictation = tc.dict
				}
				d.DictationSupport = tc.support
			})
			tab := h.m.models.build()
			if got := shows(tab, "Dictation:"); got != tc.section {
				t.Fatalf("section shown %v, want %v", got, tc.section)
			}
			if h.m.dict.check != nil || (tc.says != "" && !strings.Contains(strings.Join(canvasTexts(tab), " "), tc.says)) {
				t.Fatalf("switch offered %v; texts %q", h.m.dict.check != nil, canvasTexts(tab))
			}
			if tc.dict != nil {
				if n, _, _ := tc.dict.counts(); n != 0 {
					t.Fatalf("%d starts", n)
				}
			}
		})
	}
}

// trayApp is the test app with a system tray that records what is shown in it.
type trayApp struct {
	fyne.App
	mu     sync.Mutex
	menus  []*fyne.Menu
	icons  []fyne.Resource
	window fyne.Window
}

func (a *trayApp) SetSystemTrayMenu(m *fyne.Menu) {
	a.mu.Lock()
	defer a.mu.Unlock()
	a.menus = append(a.menus, m)
}

func (a *trayApp) SetSystemTrayIcon(r fyne.Resource) {
	a.mu.Lock()
	defer a.mu.Unlock()
	a.icons = append(a.icons, r)
}

func (a *trayApp) SetSystemTrayWindow(w fyne.Window) { a.window = w }

func (a *trayApp) last() (menu []string, item func(label string) *fyne.MenuItem, icon fyne.Resource, menus int) {
	a.mu.Lock()
	defer a.mu.Unlock()
	m := a.menus[len(a.menus)-1]
	for _, it := range m.Items {
		s := it.Label
		if it.Checked {
			s = "[x] " + s
		}
		if it.IsSeparator {
			s = "---"
		}
		menu = append(menu, s)
	}
	item = func(label string) *fyne.MenuItem {
		for _, it := range m.Items {
			if it.Label == label {
				return it
			}
		}
		return nil
	}
	return menu, item, a.icons[len(a.icons)-1], len(a.menus)
}

// The tray shows dictation's state in its icon and menu, turns dictation on from its menu, shows the
// window, and holds the window while dictation runs: closing it then only hides it. "Start minimised"
// is offered only with a tray.
func TestTray(t *testing.T) {
	dict := &fakeDictation{}
	ta := &trayApp{}
	h := newHarness(t, "en", func(h *harness, d *Deps) {
		d.Dictation, d.Tray = dict, true
		h.wrap = func(a fyne.App) fyne.App { ta.App = a; return ta }
	})
	if ta.window != h.m.win || h.m.tray == nil {
		t.Fatal("no tray, or the tray does not know the window")
	}
	menu, item, icon, _ := ta.last()
	if strings.Join(menu, "|") != "Dictation is off|Dictation|---|Show Verbatim|Quit Verbatim" || !item("Quit Verbatim").IsQuit {
		t.Fatalf("menu %q", menu)
	}
	icons := map[fyne.Resource]bool{icon: true}
	item("Dictation").Action()
	h.wait("dictation")
	menu, _, icon, menus := ta.last()
	if strings.Join(menu, "|") != "Dictation: Ctrl+Alt+Space|[x] Dictation|---|Show Verbatim|Quit Verbatim" || icons[icon] {
		t.Fatalf("after switching on from the tray: %q, icon %v", menu, icon.Name())
	}
	icons[icon] = true
	// A take changes the icon, not the menu.
	for _, st := range []dictate.State{dictate.Listening, dictate.Thinking} {
		dict.send(desktop.DictationEvent{State: st})
		h.wait("dictation-event")
		_, _, icon, n := ta.last()
		if icons[icon] || n != menus {
			t.Fatalf("state %d: icon %s (seen before: %v), %d menus set, want %d", st, icon.Name(), icons[icon], n, menus)
		}
		icons[icon] = true
	}
	if !shows(h.m.models.build(), "Start minimised in the system tray") {
		t.Error("no start-minimised setting with a tray")
	}
	h.m.dict.minimised.SetChecked(true)
	if !h.m.startHidden() {
		t.Error("start minimised chosen, but the window would show at start")
	}

	// Closing the window while dictating hides it; the tray's Show brings it back.
	h.m.closeRequested()
	h.wait("hidden")
	if !windowOpen(h.m.win) {
		t.Fatal("the window closed while dictation runs in the tray")
	}
	_, item, _, _ = ta.last()
	item("Show Verbatim").Action()
	if !windowOpen(h.m.win) {
		t.Fatal("Show closed the window")
	}

	// Without a tray host: no tray, no start-minimised setting, and closing closes.
	h2 := newHarness(t, "en", func(h *harness, d *Deps) { d.Dictation = &fakeDictation{} })
	h2.m.prefs.SetBool(prefStartMinimised, true)
	if h2.m.tray != nil || h2.m.startHidden() || shows(h2.m.models.build(), "Start minimised") {
		t.Fatal("a tray without Deps.Tray")
	}
	h2.m.closeRequested()
	if windowOpen(h2.m.win) {
		t.Fatal("closing without a tray did not close the window")
	}
}

func windowOpen(w fyne.Window) bool {
	for _, x := range fyne.CurrentApp().Driver().AllWindows() {
		if x == w {
			return true
		}
	}
	return false
}
