package ui

import (
	"math/bits"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/canvas"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/widget"
)

// lineList is a virtualised list of rows of different heights, for transcripts of hours: only the rows
// on screen exist as widgets, and the rows' offsets live in a Fenwick tree, so adding a line, scrolling
// and finding the row at an offset cost O(log n) whatever the length. (Fyne's List walks every row's
// height on each of those, and re-renders every visible row whenever one changes.)
type lineList struct {
	widget.BaseWidget

	create  func() fyne.CanvasObject         // a new row widget
	update  func(i int, o fyne.CanvasObject) // show row i in o
	onWidth func(w float32)                  // the width changed: set every row's height again
	// scrolled, when set, is told the offset whenever the list scrolls (a paired list follows it).
	scrolled func(y float32)

	hs     heights
	scroll *container.Scroll
	area   *linesArea
	rows   []fyne.CanvasObject       // every row widget made, shown or not
	shown  map[int]fyne.CanvasObject // row index → its widget, for rows on screen
	free   []fyne.CanvasObject       // made but not on screen
	width  float32
}

func newLineList(create func() fyne.CanvasObject, update func(int, fyne.CanvasObject), onWidth func(float32)) *lineList {
	l := &lineList{create: create, update: update, onWidth: onWidth, shown: map[int]fyne.CanvasObject{}}
	l.area = &linesArea{l: l}
	l.area.ExtendBaseWidget(l.area)
	l.scroll = container.NewVScroll(l.area)
	l.scroll.OnScrolled = func(p fyne.Position) {
		l.place()
		if l.scrolled != nil {
			l.scrolled(p.Y)
		}
	}
	l.ExtendBaseWidget(l)
	return l
}

func (l *lineList) CreateRenderer() fyne.WidgetRenderer { return widget.NewSimpleRenderer(l.scroll) }

// MinSize is small: the list scrolls.
func (l *lineList) MinSize() fyne.Size { return fyne.NewSize(50, 50) }

func (l *lineList) Resize(s fyne.Size) {
	if s.Width != l.width {
		l.width = s.Width
		if l.onWidth != nil {
			l.onWidth(s.Width)
		}
		// Every row's text may wrap differently now.
		for i, o := range l.shown {
			l.update(i, o)
		}
	}
	l.BaseWidget.Resize(s)
	l.sync()
}

// length is the number of rows.
func (l *lineList) length() int { return l.hs.len() }

// setHeight sets row i's height; i == length adds a row.
func (l *lineList) setHeight(i int, h float32) { l.hs.set(i, h) }

// setHeights replaces every row's height (n rows).
func (l *lineList) setHeights(n int, h func(i int) float32) {
	l.hs.reset(n, h)
	for i, o := range l.shown {
		if i >= n {
			l.release(i, o)
		}
	}
}

// refreshItem shows row i again after its data changed; call sync once the heights are set.
func (l *lineList) refreshItem(i int) {
	if o, ok := l.shown[i]; ok {
		l.update(i, o)
	}
}

// refreshAll shows every visible row again (after a change that touches many rows).
func (l *lineList) refreshAll() {
	for i, o := range l.shown {
		l.update(i, o)
	}
	l.sync()
}

// sync lays the rows out after heights changed: the scroll extent, then the rows on screen.
func (l *lineList) sync() {
	l.area.Resize(fyne.NewSize(l.width, max(float32(l.hs.total()), l.scroll.Size().Height)))
	// Scroll.Refresh updates the bars and clamps the offset; it refreshes the area, which only places
	// rows (a container would re-render every row in it).
	l.scroll.Refresh()
	l.place()
}

// place binds the rows in view (and one either side) to widgets and puts them where they belong.
func (l *lineList) place() {
	n := l.hs.len()
	if n == 0 || l.width <= 0 {
		for i, o := range l.shown {
			l.release(i, o)
		}
		return
	}
	top := float64(l.scroll.Offset.Y)
	first := max(l.hs.at(top)-1, 0)
	last := min(l.hs.at(top+float64(l.scroll.Size().Height))+1, n-1)
	for i, o := range l.shown {
		if i < first || i > last {
			l.release(i, o)
		}
	}
	for i := first; i <= last; i++ {
		o, ok := l.shown[i]
		if !ok {
			o = l.take()
			l.shown[i] = o
			l.update(i, o)
			o.Show()
		}
		o.Move(fyne.NewPos(0, float32(l.hs.prefix(i))))
		o.Resize(fyne.NewSize(l.width, float32(l.hs.h[i])))
	}
	canvas.Refresh(l.area)
}

func (l *lineList) take() fyne.CanvasObject {
	if k := len(l.free); k > 0 {
		o := l.free[k-1]
		l.free = l.free[:k-1]
		return o
	}
	o := l.create()
	l.rows = append(l.rows, o)
	return o
}

func (l *lineList) release(i int, o fyne.CanvasObject) {
	o.Hide()
	delete(l.shown, i)
	l.free = append(l.free, o)
}

// offset is the row's top.
func (l *lineList) offset(i int) float32 { return float32(l.hs.prefix(i)) }

// GetScrollOffset, ScrollToTop and ScrollToBottom are widget.List's, for the view's follow logic.
func (l *lineList) GetScrollOffset() float32 { return l.scroll.Offset.Y }

func (l *lineList) ScrollToTop() { l.scrollTo(0) }

func (l *lineList) ScrollToBottom() {
	l.scrollTo(float32(l.hs.total()) - l.scroll.Size().Height)
}

// ScrollTo brings row i into view, at the top when it was out of it.
func (l *lineList) ScrollTo(i int) {
	if i < 0 || i >= l.hs.len() {
		return
	}
	y, h := l.offset(i), float32(l.hs.h[i])
	if off := l.scroll.Offset.Y; y >= off && y+h <= off+l.scroll.Size().Height {
		return
	}
	l.scrollTo(y)
}

// follow scrolls to offset y, where a paired list scrolled, unless it is there already.
func (l *lineList) follow(y float32) {
	if l.scroll.Offset.Y != y {
		l.scrollTo(y)
	}
}

func (l *lineList) scrollTo(y float32) {
	y = max(0, min(y, float32(l.hs.total())-l.scroll.Size().Height))
	l.scroll.ScrollToOffset(fyne.NewPos(0, y))
	l.place()
}

// linesArea is the scrolled content: the row widgets at their offsets, as tall as all rows together.
type linesArea struct {
	widget.BaseWidget
	l *lineList
}

func (a *linesArea) CreateRenderer() fyne.WidgetRenderer { return &linesRenderer{a} }

type linesRenderer struct{ a *linesArea }

func (r *linesRenderer) Layout(fyne.Size) { r.a.l.place() }
func (r *linesRenderer) MinSize() fyne.Size {
	return fyne.NewSize(0, float32(r.a.l.hs.total()))
}
func (r *linesRenderer) Refresh()                     { r.a.l.place() }
func (r *linesRenderer) Objects() []fyne.CanvasObject { return r.a.l.rows }
func (r *linesRenderer) Destroy()                     {}

// heights is a Fenwick tree of row heights: the offset of a row, and the row at an offset, in
// O(log n).
type heights struct {
	h    []float64 // each row's height
	tree []float64 // tree[i] (1-based) sums h over (i - lowbit(i), i]
}

func (t *heights) len() int { return len(t.h) }

// set sets row i's height; i == len adds a row.
func (t *heights) set(i int, v float32) {
	if i == len(t.h) {
		t.push(float64(v))
		return
	}
	d := float64(v) - t.h[i]
	t.h[i] = float64(v)
	for j := i + 1; j < len(t.tree); j += j & -j {
		t.tree[j] += d
	}
}

func (t *heights) push(v float64) {
	if len(t.tree) == 0 {
		t.tree = append(t.tree, 0)
	}
	i := len(t.h) + 1
	t.h = append(t.h, v)
	t.tree = append(t.tree, v+t.prefix(i-1)-t.prefix(i-(i&-i)))
}

// reset makes n rows of heights h(i), in O(n).
func (t *heights) reset(n int, h func(int) float32) {
	t.h = t.h[:0]
	t.tree = append(t.tree[:0], 0)
	for i := range n {
		v := float64(h(i))
		t.h = append(t.h, v)
		t.tree = append(t.tree, v)
	}
	for i := 1; i <= n; i++ {
		if j := i + i&-i; j <= n {
			t.tree[j] += t.tree[i]
		}
	}
}

// prefix is the sum of the first n heights: the top of row n.
func (t *heights) prefix(n int) float64 {
	s := 0.0
	for j := n; j > 0; j -= j & -j {
		s += t.tree[j]
	}
	return s
}

func (t *heights) total() float64 { return t.prefix(len(t.h)) }

// at is the row at offset y: the last one whose top is at or above y (0 above the first, the last row
// below the end).
func (t *heights) at(y float64) int {
	n := len(t.h)
	if n == 0 {
		return 0
	}
	pos, rem := 0, y
	for step := 1 << (bits.Len(uint(n)) - 1); step > 0; step >>= 1 {
		if pos+step <= n && t.tree[pos+step] <= rem {
			pos += step
			rem -= t.tree[pos]
		}
	}
	return min(pos, n-1)
}
