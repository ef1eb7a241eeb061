package ui

import (
	"bytes"
	"image"
	"image/color"
	"image/png"
	"math"
	"strconv"
	"strings"

	"fyne.io/fyne/v2"
	fynedesktop "fyne.io/fyne/v2/driver/desktop"

	"github.com/verbatim-app/verbatim/app/dictate"
)

// tray is Verbatim's icon in the system tray: its colour is dictation's state (grey off, blue ready, red
// listening, amber thinking); its menu turns dictation on and off, shows the window and quits. It exists
// only where the driver has a tray and Deps.Tray says a tray is there to show it.
type tray struct {
	m     *mainWindow
	app   fynedesktop.App
	off   fyne.Resource                   // dictation is not running
	icons map[dictate.State]fyne.Resource // the states of a running dictation

	shown   fyne.Resource // the icon set last (nil none yet)
	menuKey string        // what the menu set last says: it is rebuilt only when that changes
}

func newTray(m *mainWindow) *tray {
	da, ok := m.app.(fynedesktop.App)
	if !m.deps.Tray || !ok {
		return nil
	}
	t := &tray{m: m, app: da, icons: map[dictate.State]fyne.Resource{},
		off: fyne.NewStaticResource("verbatim-off.png", trayIcon(color.NRGBA{0x75, 0x75, 0x75, 0xff}))}
	for st, c := range map[dictate.State]color.NRGBA{
		dictate.Idle:      {0x1f, 0x6f, 0xd6, 0xff},
		dictate.Listening: {0xd9, 0x30, 0x25, 0xff},
		dictate.Thinking:  {0xe8, 0x91, 0x00, 0xff},
	} {
		t.icons[st] = fyne.NewStaticResource("verbatim-"+st.String()+".png", trayIcon(c))
	}
	// A click on the icon shows the window (where the tray supports it); this replaces the window's
	// close intercept, which newMainWindow sets again afterwards.
	da.SetSystemTrayWindow(m.win)
	return t
}

// icon is the icon for dictation's state.
func (t *tray) icon() fyne.Resource {
	d := t.m.dict
	if !d.running {
		return t.off
	}
	return t.icons[d.state]
}

// refresh sets the icon for the state, and the menu when its words changed. Setting the menu rebuilds
// the tray's whole menu (and leaves a goroutine per old item in the driver), so a take's quick
// listening/thinking/idle changes show in the icon only.
func (t *tray) refresh() {
	if ic := t.icon(); ic != t.shown {
		t.shown = ic
		t.app.SetSystemTrayIcon(ic)
	}
	menu := t.menu()
	var key strings.Builder
	for _, it := range menu.Items {
		key.WriteString(it.Label)
		key.WriteString(strconv.FormatBool(it.Checked) + strconv.FormatBool(it.Disabled) + "\n")
	}
	if key.String() != t.menuKey {
		t.menuKey = key.String()
		t.app.SetSystemTrayMenu(menu)
	}
}

func (t *tray) menu() *fyne.Menu {
	tr := t.m.tr
	d := t.m.dict
	var items []*fyne.MenuItem
	if d.supported() {
		status := tr.T("DictationIndicatorOff")
		if d.running {
			status = tr.T("DictationIndicatorIdle", map[string]any{"Shortcut": prettyShortcut(d.shortcutText())})
		}
		head := fyne.NewMenuItem(status, nil)
		head.Disabled = true
		on := fyne.NewMenuItem(tr.T("TrayDictation"), func() { d.setOn(!(d.running || d.starting)) })
		on.Checked = d.running || d.starting
		items = append(items, head, on, fyne.NewMenuItemSeparator())
	}
	show := fyne.NewMenuItem(tr.T("TrayShow"), t.m.showWindow)
	quit := fyne.NewMenuItem(tr.T("TrayQuit"), t.m.quit)
	quit.IsQuit = true
	items = append(items, show, quit)
	return fyne.NewMenu("Verbatim", items...)
}

// trayIcon draws a 64×64 PNG: a microphone in white on a disc of colour c, smoothed by 4×4 supersampling.
func trayIcon(c color.NRGBA) []byte {
	const n, ss = 64, 4
	img := image.NewNRGBA(image.Rect(0, 0, n, n))
	inside := func(x, y float64) (disc, mic bool) {
		dx, dy := x-32, y-32
		disc = dx*dx+dy*dy <= 30*30
		// The capsule: a rounded bar from y 14 to 34, 12 wide.
		cy := math.Min(math.Max(y, 20), 28)
		capsule := (x-32)*(x-32)+(y-cy)*(y-cy) <= 6*6
		// The holder: a ring of radius 11 around the capsule's lower end, lower half only, 2.5 thick.
		r := math.Hypot(x-32, y-30)
		holder := y >= 30 && r >= 9.5 && r <= 12
		stem := math.Abs(x-32) <= 1.5 && y >= 41 && y <= 47
		base := math.Abs(x-32) <= 7 && y >= 46 && y <= 49
		return disc, capsule || holder || stem || base
	}
	for py := range n {
		for px := range n {
			var cov, white float64
			for sy := range ss {
				for sx := range ss {
					disc, mic := inside(float64(px)+(float64(sx)+0.5)/ss, float64(py)+(float64(sy)+0.5)/ss)
					if disc {
						cov++
						if mic {
							white++
						}
					}
				}
			}
			if cov == 0 {
				continue
			}
			w := white / cov
			mix := func(v uint8) uint8 { return uint8(float64(v)*(1-w) + 255*w) }
			img.SetNRGBA(px, py, color.NRGBA{mix(c.R), mix(c.G), mix(c.B), uint8(255 * cov / (ss * ss))})
		}
	}
	var b bytes.Buffer
	_ = png.Encode(&b, img) // writing to memory does not fail
	return b.Bytes()
}
