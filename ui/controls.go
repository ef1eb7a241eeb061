package ui

import (
	"image/color"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/canvas"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"
)

// ringButton is a button that draws a ring around itself while it has the keyboard focus. Fyne shows a
// focused button by tinting it with the focus colour, which is the primary colour: on a primary
// (HighImportance) button, such as Record, that tint cannot be seen.
type ringButton struct {
	widget.Button
	ring *canvas.Rectangle
}

func newRingButton(label string, icon fyne.Resource, tapped func()) *ringButton {
	b := &ringButton{ring: canvas.NewRectangle(color.Transparent)}
	b.Text, b.Icon, b.OnTapped = label, icon, tapped
	b.ring.StrokeWidth = 2
	b.ring.CornerRadius = theme.InputRadiusSize()
	b.ring.Hide()
	b.ExtendBaseWidget(b)
	return b
}

func (b *ringButton) CreateRenderer() fyne.WidgetRenderer {
	return &ringRenderer{WidgetRenderer: b.Button.CreateRenderer(), ring: b.ring}
}

func (b *ringButton) FocusGained() {
	b.Button.FocusGained()
	b.ring.StrokeColor = theme.Color(theme.ColorNameForeground)
	b.ring.Show()
	b.ring.Refresh()
}

func (b *ringButton) FocusLost() {
	b.Button.FocusLost()
	b.ring.Hide()
	b.ring.Refresh()
}

// focused says whether the ring shows (for tests).
func (b *ringButton) focused() bool { return b.ring.Visible() }

type ringRenderer struct {
	fyne.WidgetRenderer
	ring *canvas.Rectangle
}

func (r *ringRenderer) Layout(s fyne.Size) {
	r.WidgetRenderer.Layout(s)
	r.ring.Resize(s)
	r.ring.Move(fyne.NewPos(0, 0))
}

func (r *ringRenderer) Objects() []fyne.CanvasObject {
	return append(r.WidgetRenderer.Objects(), r.ring)
}

// twoRows lays out a row of three objects — left, middle (which takes the room left), right — on one
// line when they fit the width, else left on a line of its own above middle and right, so a window too
// narrow for one line (German at 800 px) never cuts a control off. Its minimum width is the two-line
// one; its minimum height is that of the way it was last laid out, and when that changes relayout
// (the window content's Refresh) lays the window out again with the new height.
type twoRows struct {
	single   bool
	relayout func()
}

func (t *twoRows) fits(objs []fyne.CanvasObject, w float32) bool {
	pad := theme.Padding()
	return objs[0].MinSize().Width+objs[1].MinSize().Width+objs[2].MinSize().Width+2*pad <= w
}

func (t *twoRows) Layout(objs []fyne.CanvasObject, size fyne.Size) {
	pad := theme.Padding()
	l, m, r := objs[0].MinSize(), objs[1].MinSize(), objs[2].MinSize()
	if one := t.fits(objs, size.Width); one != t.single {
		t.single = one
		if t.relayout != nil {
			fyne.Do(t.relayout)
		}
	}
	if t.single {
		h := max(l.Height, m.Height, r.Height)
		objs[0].Move(fyne.NewPos(0, 0))
		objs[0].Resize(fyne.NewSize(l.Width, h))
		objs[2].Move(fyne.NewPos(size.Width-r.Width, 0))
		objs[2].Resize(fyne.NewSize(r.Width, h))
		objs[1].Move(fyne.NewPos(l.Width+pad, 0))
		objs[1].Resize(fyne.NewSize(size.Width-l.Width-r.Width-2*pad, h))
		return
	}
	objs[0].Move(fyne.NewPos(0, 0))
	objs[0].Resize(fyne.NewSize(size.Width, l.Height))
	y := l.Height + pad
	h := max(m.Height, r.Height)
	objs[2].Move(fyne.NewPos(size.Width-r.Width, y))
	objs[2].Resize(fyne.NewSize(r.Width, h))
	objs[1].Move(fyne.NewPos(0, y))
	objs[1].Resize(fyne.NewSize(size.Width-r.Width-pad, h))
}

func (t *twoRows) MinSize(objs []fyne.CanvasObject) fyne.Size {
	pad := theme.Padding()
	l, m, r := objs[0].MinSize(), objs[1].MinSize(), objs[2].MinSize()
	w := max(l.Width, m.Width+r.Width+pad)
	if t.single {
		return fyne.NewSize(w, max(l.Height, m.Height, r.Height))
	}
	return fyne.NewSize(w, l.Height+pad+max(m.Height, r.Height))
}

// sameHeight gives its object the height of the taller of it and other: the two panes' headers, so
// that the rows under them start at the same height and line up.
type sameHeight struct{ other fyne.CanvasObject }

func (s *sameHeight) Layout(objs []fyne.CanvasObject, size fyne.Size) {
	for _, o := range objs {
		o.Move(fyne.NewPos(0, 0))
		o.Resize(size)
	}
}

func (s *sameHeight) MinSize(objs []fyne.CanvasObject) fyne.Size {
	var w, h float32
	for _, o := range objs {
		w, h = max(w, o.MinSize().Width), max(h, o.MinSize().Height)
	}
	return fyne.NewSize(w, max(h, s.other.MinSize().Height))
}
