package ui

import (
	"fmt"
	"strings"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/layout"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"github.com/verbatim-app/verbatim/app/transcript"
)

// segmentList is the text of one transcript view: a transcript.Store (which replaces a line by ID and
// Lang, and never lets a final line turn provisional), rendered in its order.
type segmentList struct {
	store transcript.Store
	// segs is the store's lines as put, kept in step for the window's readers of the list (export,
	// clear, tests); the view renders from store.
	segs []transcript.Segment
}

// put stores s and returns its position and whether it is new.
func (l *segmentList) put(s transcript.Segment) (int, bool) {
	l.store.Put(s)
	i, _ := l.store.Index(s.ID, s.Lang)
	if i == len(l.segs) {
		l.segs = append(l.segs, l.store.At(i))
		return i, true
	}
	l.segs[i] = l.store.At(i)
	return i, false
}

func (l *segmentList) clear() {
	l.store.Reset()
	l.segs = nil
}

// segIDs makes segment IDs unique in the window, where recordings and restored sessions each number
// their segments from 0 (see transcript.Numbering).
type segIDs struct{ transcript.Numbering }

func (r *segIDs) newRun() int        { return r.NewRun() }
func (r *segIDs) id(run, id int) int { return r.ID(run, id) }

// text is the plain text of all segments, one a line.
func (l *segmentList) text() string {
	var b strings.Builder
	for i := range l.store.Len() {
		if t := strings.TrimSpace(l.store.At(i).Text); t != "" {
			b.WriteString(t)
			b.WriteByte('\n')
		}
	}
	return b.String()
}

// transcriptView shows a segmentList in a virtualised list: only visible rows exist as widgets,
// so hours of text stay smooth. It follows new text unless the user scrolled up.
type transcriptView struct {
	data *segmentList
	list *widget.List

	width      float32 // the width heights were computed for
	follow     bool
	autoOffset float32 // the offset we last scrolled to ourselves
	followBtn  *widget.Button
	root       fyne.CanvasObject
	measure    *widget.Label
	stampWidth float32
}

func newTranscriptView(data *segmentList, placeholder, followText string) *transcriptView {
	v := &transcriptView{data: data, follow: true}
	v.measure = widget.NewLabel("")
	v.measure.Wrapping = fyne.TextWrapWord
	v.stampWidth = widget.NewLabelWithStyle("00:00:00", fyne.TextAlignLeading, fyne.TextStyle{Monospace: true}).MinSize().Width

	v.list = widget.NewList(
		func() int { return v.data.store.Len() },
		func() fyne.CanvasObject {
			stamp := widget.NewLabelWithStyle("00:00:00", fyne.TextAlignLeading, fyne.TextStyle{Monospace: true})
			stamp.Importance = widget.LowImportance
			text := widget.NewLabel("")
			text.Wrapping = fyne.TextWrapWord
			return container.NewBorder(nil, nil, stamp, nil, text)
		},
		func(id widget.ListItemID, o fyne.CanvasObject) {
			if id >= v.data.store.Len() {
				return
			}
			s := v.data.store.At(id)
			c := o.(*fyne.Container)
			text, stamp := c.Objects[0].(*widget.Label), c.Objects[1].(*widget.Label)
			stamp.SetText(formatStamp(s.Start))
			text.TextStyle = fyne.TextStyle{Italic: !s.Final}
			if s.Final {
				text.Importance = widget.MediumImportance
			} else {
				text.Importance = widget.LowImportance
			}
			text.SetText(s.Text)
		},
	)
	v.list.HideSeparators = true
	v.list.OnSelected = func(widget.ListItemID) { v.list.UnselectAll() }

	v.followBtn = widget.NewButtonWithIcon(followText, theme.MoveDownIcon(), func() {
		v.follow = true
		v.followBtn.Hide()
		v.scrollToEnd()
	})
	v.followBtn.Importance = widget.HighImportance
	v.followBtn.Hide()

	empty := widget.NewLabel(placeholder)
	empty.Importance = widget.LowImportance
	empty.Alignment = fyne.TextAlignCenter
	empty.Wrapping = fyne.TextWrapWord
	v.root = container.New(&widthWatcher{onWidth: v.setWidth},
		// Not NewCenter: that gives a wrapping label its one-letter minimum width, so it would stand one
		// letter a line and make the window taller than the screen.
		v.list, container.NewVBox(layout.NewSpacer(), empty, layout.NewSpacer()), container.NewVBox(layoutSpacer(), container.NewHBox(layoutSpacer(), v.followBtn)))
	v.updateEmpty()
	return v
}

func layoutSpacer() fyne.CanvasObject { return layout.NewSpacer() }

func (v *transcriptView) updateEmpty() {
	c := v.root.(*fyne.Container).Objects[1]
	if v.data.store.Len() == 0 {
		c.Show()
	} else {
		c.Hide()
	}
}

func formatStamp(d time.Duration) string {
	s := int(d / time.Second)
	return fmt.Sprintf("%02d:%02d:%02d", s/3600, s/60%60, s%60)
}

// height is the row height of segment text at the view's width.
func (v *transcriptView) height(s transcript.Segment) float32 {
	w := v.width - v.stampWidth - theme.Padding()
	if w < 50 {
		w = 50
	}
	v.measure.TextStyle = fyne.TextStyle{Italic: !s.Final}
	v.measure.Text = s.Text
	v.measure.Resize(fyne.NewSize(w, 1))
	v.measure.Refresh()
	return v.measure.MinSize().Height
}

func (v *transcriptView) setWidth(w float32) {
	if w == v.width {
		return
	}
	v.width = w
	for i := range v.data.store.Len() {
		v.list.SetItemHeight(i, v.height(v.data.store.At(i)))
	}
	if v.follow {
		v.scrollToEnd()
	}
}

// changed tells the view that segment i was added or replaced.
func (v *transcriptView) changed(i int, added bool) {
	if v.follow && v.list.GetScrollOffset() < v.autoOffset-1 {
		v.follow = false // the user scrolled up since we last moved
	} else if !v.follow && v.list.GetScrollOffset() >= v.autoOffset+1 {
		v.follow = true // and came back down
	}
	if v.width > 0 {
		v.list.SetItemHeight(i, v.height(v.data.store.At(i)))
	}
	if added {
		v.updateEmpty()
	}
	v.list.RefreshItem(i)
	if v.follow {
		v.followBtn.Hide()
		v.scrollToEnd()
	} else {
		v.followBtn.Show()
	}
}

// reset re-renders after the data was replaced or cleared.
func (v *transcriptView) reset() {
	v.width = 0
	v.updateEmpty()
	v.list.Refresh()
	v.follow = true
	v.followBtn.Hide()
	if s := v.root.Size(); s.Width > 0 {
		v.setWidth(s.Width)
	}
	v.scrollToEnd()
}

func (v *transcriptView) scrollToEnd() {
	v.list.ScrollToBottom()
	v.autoOffset = v.list.GetScrollOffset()
}

// widthWatcher stacks its objects (like container.NewStack) and reports width changes.
type widthWatcher struct{ onWidth func(float32) }

func (w *widthWatcher) Layout(objs []fyne.CanvasObject, size fyne.Size) {
	for _, o := range objs {
		o.Resize(size)
		o.Move(fyne.NewPos(0, 0))
	}
	w.onWidth(size.Width)
}

func (w *widthWatcher) MinSize(objs []fyne.CanvasObject) fyne.Size {
	min := fyne.NewSize(0, 0)
	for _, o := range objs {
		min = min.Max(o.MinSize())
	}
	return min
}
