package ui

import (
	"slices"

	"fyne.io/fyne/v2/widget"
)

// targetMenu picks a translation target among those the loaded model can do: its "translate:xx"
// tasks when its metadata lists tasks (ModelInfo.Tasks), else all of translationTargets (a model
// without a task list follows free instructions). The wished target is kept in the preference pref
// even while the model cannot do it, so a model that can gets it back.
type targetMenu struct {
	m        *mainWindow
	pref     string
	onChange func(code string) // the target in effect changed ("" none)
	sel      *widget.Select
	note     *widget.Label // shown when the model cannot translate at all
	offered  []struct{ code, name string }
	current  string
	setting  bool
}

func newTargetMenu(m *mainWindow, pref string, onChange func(string)) *targetMenu {
	tm := &targetMenu{m: m, pref: pref, onChange: onChange}
	tm.sel = widget.NewSelect(nil, func(string) {
		if tm.setting {
			return
		}
		code := ""
		if i := tm.sel.SelectedIndex(); i > 0 && i <= len(tm.offered) {
			code = tm.offered[i-1].code
		}
		m.prefs.SetString(pref, code)
		tm.set(code)
	})
	tm.note = widget.NewLabel(m.tr.T("NoTranslation"))
	tm.note.Importance = widget.WarningImportance
	tm.refresh()
	return tm
}

// code is the target in effect, "" none.
func (tm *targetMenu) code() string { return tm.current }

func (tm *targetMenu) set(code string) {
	if code == tm.current {
		return
	}
	tm.current = code
	if tm.onChange != nil {
		tm.onChange(code)
	}
}

// refresh offers what the model loaded now can do (call it when another model loaded).
func (tm *targetMenu) refresh() {
	var tasks []string
	if tm.m.deps.Models != nil {
		tasks = tm.m.deps.Models.Current().Tasks
	}
	tm.offered = nil
	names := []string{tm.m.tr.T("LangNone")}
	wish, sel := tm.m.prefs.String(tm.pref), 0
	for _, tt := range translationTargets {
		if tasks == nil || slices.Contains(tasks, "translate:"+tt.code) {
			tm.offered = append(tm.offered, tt)
			names = append(names, tt.name)
			if tt.code == wish {
				sel = len(tm.offered)
			}
		}
	}
	tm.setting = true
	tm.sel.SetOptions(names)
	tm.sel.SetSelectedIndex(sel)
	tm.setting = false
	if len(tm.offered) == 0 {
		tm.sel.Disable()
		tm.note.Show()
	} else {
		tm.sel.Enable()
		tm.note.Hide()
	}
	code := ""
	if sel > 0 {
		code = tm.offered[sel-1].code
	}
	tm.set(code)
}
