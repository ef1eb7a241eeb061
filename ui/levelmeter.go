package ui

import (
	"image/color"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/canvas"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"
)

// levelMeter is the microphone's level: a small caption saying what it is over an outlined track,
// filled as far as Value (0..1). Unlike a ProgressBar, whose tinted track reads as a full bar at 0,
// it looks empty when nothing is heard; the caption sits above the bar so the top row, which must fit
// 800 px, gets no wider.
type levelMeter struct {
	widget.BaseWidget
	Value   float64
	Caption string
	minH    float32 // a progress bar's height: the top row keeps the height it has with one
}

func newLevelMeter(caption string) *levelMeter {
	m := &levelMeter{Caption: caption, minH: widget.NewProgressBar().MinSize().Height}
	m.ExtendBaseWidget(m)
	return m
}

// SetValue shows v, clamped to 0..1.
func (m *levelMeter) SetValue(v float64) {
	m.Value = max(0, min(1, v))
	m.Refresh()
}

func (m *levelMeter) CreateRenderer() fyne.WidgetRenderer {
	r := &levelRenderer{m: m, track: canvas.NewRectangle(color.Transparent),
		fill: canvas.NewRectangle(color.Transparent), caption: canvas.NewText("", color.Transparent)}
	r.Refresh()
	return r
}

type levelRenderer struct {
	m           *levelMeter
	track, fill *canvas.Rectangle
	caption     *canvas.Text
}

// meterHeight is the bar's thickness.
const meterHeight = 8

func (r *levelRenderer) Layout(size fyne.Size) {
	c := r.caption.MinSize()
	top := max(0, (size.Height-c.Height-meterHeight)/2)
	r.caption.Move(fyne.NewPos(0, top))
	r.caption.Resize(fyne.NewSize(size.Width, c.Height))
	pos := fyne.NewPos(0, top+c.Height)
	r.track.Move(pos)
	r.track.Resize(fyne.NewSize(size.Width, meterHeight))
	r.fill.Move(pos)
	r.fill.Resize(fyne.NewSize(size.Width*float32(r.m.Value), meterHeight))
}

func (r *levelRenderer) MinSize() fyne.Size {
	c := r.caption.MinSize()
	return fyne.NewSize(max(2*meterHeight, c.Width), max(c.Height+meterHeight, r.m.minH))
}

func (r *levelRenderer) Refresh() {
	th, v := r.m.Theme(), fyne.CurrentApp().Settings().ThemeVariant()
	r.caption.Text = r.m.Caption
	r.caption.TextSize = th.Size(theme.SizeNameCaptionText)
	r.caption.Color = th.Color(theme.ColorNamePlaceHolder, v)
	r.track.FillColor = color.Transparent
	r.track.StrokeColor = th.Color(theme.ColorNameInputBorder, v)
	r.track.StrokeWidth = 1
	r.track.CornerRadius = 2
	r.fill.FillColor = th.Color(theme.ColorNamePrimary, v)
	r.fill.CornerRadius = 2
	r.Layout(r.m.Size())
	canvas.Refresh(r.m)
}

func (r *levelRenderer) Objects() []fyne.CanvasObject {
	return []fyne.CanvasObject{r.caption, r.track, r.fill}
}

func (r *levelRenderer) Destroy() {}
