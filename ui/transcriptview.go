package ui

import (
	"fmt"
	"hash/fnv"
	"strings"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/canvas"
	"fyne.io/fyne/v2/container"
	fynedesktop "fyne.io/fyne/v2/driver/desktop"
	"fyne.io/fyne/v2/layout"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"github.com/verbatim-app/verbatim/app/transcript"
)

// segmentList is the text of one transcript view: a transcript.Store (which replaces a line by ID and
// Lang, never lets a final line turn provisional, and keeps an edit), rendered in its order.
//
// A byID list (the translation pane) keeps one line per ID whatever its language, under the store's Lang
// "", so that it lines up with the transcript row for row: placeholder puts an empty line for a
// transcript line as it comes, which its translation, in whichever target, fills in later.
type segmentList struct {
	store  transcript.Store
	byID   bool
	langs  map[int]string // byID: the language of each ID's line ("" for a placeholder)
	filled int            // byID: the lines with a translation
}

// empty says whether the list has no line to show (placeholders are not lines).
func (l *segmentList) empty() bool {
	if l.byID {
		return l.filled == 0
	}
	return l.store.Len() == 0
}

// put stores s and returns its position and whether it is new.
func (l *segmentList) put(s transcript.Segment) (int, bool) {
	n := l.store.Len()
	if l.byID {
		if l.langs == nil {
			l.langs = map[int]string{}
		}
		lang := s.Lang
		s.Lang = ""
		if l.store.Put(s) {
			if l.langs[s.ID] == "" && lang != "" {
				l.filled++
			}
			l.langs[s.ID] = lang
		}
	} else {
		l.store.Put(s)
	}
	i, _ := l.store.Index(s.ID, s.Lang)
	return i, l.store.Len() > n
}

// placeholder gives transcript line s its row, empty until its translation comes (byID lists).
func (l *segmentList) placeholder(s transcript.Segment) (int, bool) {
	if i, ok := l.store.Index(s.ID, ""); ok {
		return i, false
	}
	return l.put(transcript.Segment{ID: s.ID, Start: s.Start, End: s.End, Speaker: s.Speaker})
}

// at is line i, in its own language.
func (l *segmentList) at(i int) transcript.Segment {
	s := l.store.At(i)
	if l.byID {
		s.Lang = l.langs[s.ID]
	}
	return s
}

// edit corrects line i's text (transcript.Store.Edit) and returns it, in its own language.
func (l *segmentList) edit(i int, text string) (transcript.Segment, error) {
	s := l.store.At(i)
	if _, err := l.store.Edit(s.ID, s.Lang, text); err != nil {
		return s, err
	}
	return l.at(i), nil
}

func (l *segmentList) clear() {
	l.store.Reset()
	l.langs, l.filled = nil, 0
}

// segments are the lines with text, in order, each in its own language (a copy).
func (l *segmentList) segments() []transcript.Segment {
	var out []transcript.Segment
	for i := range l.store.Len() {
		if s := l.at(i); s.Text != "" {
			out = append(out, s)
		}
	}
	return out
}

// renameSpeaker renames a speaker on every line (transcript.Store.RenameSpeaker) and returns how many
// lines changed.
func (l *segmentList) renameSpeaker(from, to string) (int, error) {
	return l.store.RenameSpeaker(from, to)
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

// lineActions are what a view's lines offer besides their text; a nil func leaves its part out.
type lineActions struct {
	stamp    func(i int)               // the timestamp was tapped: play from line i
	playable func(i int) bool          // line i has audio to play (nil: all have, when stamp is set)
	speaker  func(i int)               // the speaker's name was tapped: rename
	edit     func(i int)               // the line's edit button
	copy     func(i int)               // the line's copy button
	name     func(label string) string // a speaker label as shown (the window translates "You" and "Others")
	tr       *Translator               // names the line's menu (a right click on it); nil: no menu
}

// transcriptView shows a segmentList in a virtualised list (lineList): only visible rows exist as
// widgets, and lines are wrapped by a wrapper that measures each word once, so hours of text stay
// smooth. It follows new text unless the user scrolled up.
type transcriptView struct {
	data *segmentList
	act  lineActions
	list *lineList
	wrap *wrapper

	width      float32 // the width heights were computed for
	mark       int     // the highlighted line (the one playing, the one searched for); -1 none
	follow     bool
	still      bool    // a finished transcript (the history's): it never follows new text
	autoOffset float32 // the offset we last scrolled to ourselves
	followBtn  *widget.Button
	empty      *widget.Label // what the view says while it has no line
	root       fyne.CanvasObject

	stampWidth float32
	editWidth  float32
	speakerW   map[string]float32
	speakerCol float32 // the speaker column's width: the widest name shown; 0 while no line names one

	// pair is the view whose rows line up with these (the translation beside the transcript, and back):
	// row i is as high as the higher of the two, and the two scroll together.
	pair *transcriptView
}

// pairWith makes v and p line up row for row (see pair).
func (v *transcriptView) pairWith(p *transcriptView) {
	v.pair, p.pair = p, v
	v.list.scrolled = func(y float32) { p.list.follow(y) }
	p.list.scrolled = func(y float32) { v.list.follow(y) }
}

// rowHeight is row i's height: its line's, or its pair's when that is higher.
func (v *transcriptView) rowHeight(i int) float32 {
	h := v.height(v.data.store.At(i))
	if p := v.pair; p != nil && p.width > 0 && i < p.data.store.Len() {
		h = max(h, p.height(p.data.store.At(i)))
	}
	return h
}

// pairChanged sets the pair's heights again after row i of v changed (-1: all rows, after a resize).
func (v *transcriptView) pairChanged(i int) {
	p := v.pair
	if p == nil || p.width <= 0 {
		return
	}
	switch {
	case i < 0:
		p.list.setHeights(p.data.store.Len(), p.rowHeight)
		p.list.refreshAll()
	case i < p.list.length():
		h := p.rowHeight(i)
		if h == float32(p.list.hs.h[i]) {
			return
		}
		p.list.setHeight(i, h)
		p.list.sync()
	default:
		return // past the pair's end: its row comes with its own line, as high as both
	}
	if p.follow && !p.still {
		p.scrollToEnd() // the rows grew under it: it stays at the end, as v does
	}
}

func newTranscriptView(data *segmentList, placeholder, followText string, act lineActions) *transcriptView {
	v := &transcriptView{data: data, act: act, follow: true, mark: -1, wrap: newWrapper(), speakerW: map[string]float32{}}
	v.stampWidth = widget.NewLabelWithStyle("00:00:00", fyne.TextAlignLeading, fyne.TextStyle{Monospace: true}).MinSize().Width
	v.editWidth = widget.NewButtonWithIcon("", theme.DocumentCreateIcon(), nil).MinSize().Width
	if act.edit != nil && act.copy != nil {
		v.editWidth = container.NewHBox(widget.NewButtonWithIcon("", theme.ContentCopyIcon(), nil),
			widget.NewButtonWithIcon("", theme.DocumentCreateIcon(), nil)).MinSize().Width
	}

	v.list = newLineList(v.newRow, v.bind, v.setWidth)

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
	v.empty = empty
	v.root = container.NewStack(
		// Not NewCenter: that gives a wrapping label its one-letter minimum width, so it would stand one
		// letter a line and make the window taller than the screen.
		v.list, container.NewVBox(layout.NewSpacer(), empty, layout.NewSpacer()), container.NewVBox(layoutSpacer(), container.NewHBox(layoutSpacer(), v.followBtn)))
	v.updateEmpty()
	return v
}

func layoutSpacer() fyne.CanvasObject { return layout.NewSpacer() }

// setPlaceholder changes what the empty view says.
func (v *transcriptView) setPlaceholder(text string) {
	v.empty.SetText(text)
}

func (v *transcriptView) updateEmpty() {
	c := v.root.(*fyne.Container).Objects[1]
	if v.data.empty() {
		c.Show()
	} else {
		c.Hide()
	}
}

func formatStamp(d time.Duration) string {
	s := int(d / time.Second)
	return fmt.Sprintf("%02d:%02d:%02d", s/3600, s/60%60, s%60)
}

// lineRow is one line's widgets: timestamp, speaker, text, edit button, on a highlight.
type lineRow struct {
	widget.BaseWidget
	bg      *canvas.Rectangle
	stamp   *tapLabel
	speaker *tapLabel
	column  *fyne.Container // the speaker, in a column as wide as the widest name
	text    *widget.Label
	edit    *widget.Button
	copy    *widget.Button
	box     *fyne.Container
	i       int                    // the line shown
	menu    func(at fyne.Position) // the line's menu at that point of the window; nil: none
}

// TappedSecondary (a right click) opens the line's menu.
func (r *lineRow) TappedSecondary(e *fyne.PointEvent) {
	if r.menu != nil {
		r.menu(e.AbsolutePosition)
	}
}

func (r *lineRow) CreateRenderer() fyne.WidgetRenderer {
	return widget.NewSimpleRenderer(container.NewStack(r.bg, r.box))
}

func (v *transcriptView) newRow() fyne.CanvasObject {
	r := &lineRow{}
	r.bg = canvas.NewRectangle(theme.Color(theme.ColorNameSelection))
	r.bg.Hide()
	r.stamp = newTapLabel("00:00:00", fyne.TextStyle{Monospace: true}, nil)
	r.speaker = newTapLabel("", fyne.TextStyle{Bold: true}, nil)
	r.column = container.New(&columnLayout{width: &v.speakerCol}, r.speaker)
	r.column.Hide()
	r.text = widget.NewLabel("")
	// Not Selectable: a selectable label takes the right click for a menu of its own, and the line's
	// menu (Copy line, Edit line…) must be there. Part of a line is selected and copied in the edit
	// dialog's entry.
	r.edit = widget.NewButtonWithIcon("", theme.DocumentCreateIcon(), nil)
	r.edit.Importance = widget.LowImportance
	r.copy = widget.NewButtonWithIcon("", theme.ContentCopyIcon(), nil)
	r.copy.Importance = widget.LowImportance
	if v.act.stamp != nil {
		r.stamp.onTap = func() {
			if v.playable(r.i) {
				v.act.stamp(r.i)
			}
		}
	}
	if v.act.speaker != nil {
		r.speaker.onTap = func() { v.act.speaker(r.i) }
		r.speaker.clickable = true
	}
	var right fyne.CanvasObject
	if v.act.edit != nil {
		r.edit.OnTapped = func() { v.act.edit(r.i) }
		right = r.edit
		if v.act.copy != nil {
			r.copy.OnTapped = func() { v.act.copy(r.i) }
			right = container.NewHBox(r.copy, r.edit)
		}
	}
	if v.act.tr != nil {
		r.menu = func(at fyne.Position) {
			if c := fyne.CurrentApp().Driver().CanvasForObject(r); c != nil {
				widget.ShowPopUpMenuAtPosition(v.lineMenu(r.i), c, at)
			}
		}
	}
	r.box = container.NewBorder(nil, nil, container.NewHBox(r.stamp, r.column), right, r.text)
	r.ExtendBaseWidget(r)
	return r
}

// lineMenu is what a right click on line i offers, in words: copy it, edit it, play from it.
func (v *transcriptView) lineMenu(i int) *fyne.Menu {
	t := v.act.tr
	var items []*fyne.MenuItem
	if v.act.copy != nil {
		items = append(items, fyne.NewMenuItem(t.T("CopyLine"), func() { v.act.copy(i) }))
	}
	if v.act.edit != nil {
		items = append(items, fyne.NewMenuItem(t.T("EditLine"), func() { v.act.edit(i) }))
	}
	if v.playable(i) {
		items = append(items, fyne.NewMenuItem(t.T("PlayFromHere"), func() { v.act.stamp(i) }))
	}
	return fyne.NewMenu("", items...)
}

// speakerName is how line s's speaker is shown; "" when it names none.
func (v *transcriptView) speakerName(s transcript.Segment) string {
	if s.Speaker == "" {
		return ""
	}
	if v.act.name != nil {
		return v.act.name(s.Speaker)
	}
	return s.Speaker
}

// textStyle is how s's text is drawn: provisional text in italics.
func textStyle(s transcript.Segment) fyne.TextStyle { return fyne.TextStyle{Italic: !s.Final} }

func (v *transcriptView) bind(i int, o fyne.CanvasObject) {
	if i >= v.data.store.Len() {
		return
	}
	r := o.(*lineRow)
	r.i = i
	s := v.data.store.At(i)
	// A row waiting for its translation (beside its transcript line) shows nothing yet.
	for _, w := range []fyne.CanvasObject{r.stamp, r.copy, r.edit} {
		if s.Text == "" {
			w.Hide()
		} else {
			w.Show()
		}
	}
	r.stamp.Text = formatStamp(s.Start)
	if v.playable(i) {
		r.stamp.Importance = widget.HighImportance // a link: it plays
		r.stamp.clickable = true
	} else {
		r.stamp.Importance = widget.LowImportance
		r.stamp.clickable = false
	}
	r.stamp.Refresh()
	if v.speakerCol > 0 {
		r.column.Show()
	} else {
		r.column.Hide()
	}
	if name := v.speakerName(s); name != "" {
		r.speaker.Importance = speakerImportance(s.Speaker)
		r.speaker.SetText(name)
		r.speaker.Show()
	} else {
		r.speaker.Hide()
	}
	r.column.Refresh()
	r.text.TextStyle = textStyle(s)
	if s.Final {
		r.text.Importance = widget.MediumImportance
	} else {
		r.text.Importance = widget.LowImportance
	}
	r.text.SetText(v.wrap.lines(s.Text, textStyle(s), v.textWidth(s)))
	if i == v.mark {
		r.bg.Show()
	} else {
		r.bg.Hide()
	}
	r.box.Refresh()
}

// playable says whether line i's timestamp plays.
func (v *transcriptView) playable(i int) bool {
	return v.act.stamp != nil && (v.act.playable == nil || v.act.playable(i))
}

// setMark highlights line i (-1: none), re-rendering only the two lines concerned.
func (v *transcriptView) setMark(i int) {
	if i == v.mark {
		return
	}
	old := v.mark
	v.mark = i
	if old >= 0 {
		v.list.refreshItem(old)
	}
	if i >= 0 {
		v.list.refreshItem(i)
	}
}

// speakerImportance colours a speaker's name, the same one for the same name.
func speakerImportance(label string) widget.Importance {
	switch label {
	case transcript.Mic:
		return widget.HighImportance
	case transcript.System:
		return widget.SuccessImportance
	}
	h := fnv.New32a()
	h.Write([]byte(label))
	return []widget.Importance{widget.HighImportance, widget.SuccessImportance, widget.WarningImportance}[h.Sum32()%3]
}

// textWidth is the room line s's text has in a row of the view's width (see newRow's layout).
func (v *transcriptView) textWidth(s transcript.Segment) float32 {
	pad := theme.Padding()
	left := v.stampWidth
	if v.speakerCol > 0 {
		left += pad + v.speakerCol
	}
	w := v.width - left - pad
	if v.act.edit != nil {
		w -= v.editWidth + pad
	}
	return textWidth(max(w, 50))
}

func (v *transcriptView) speakerWidth(name string) float32 {
	if w, ok := v.speakerW[name]; ok {
		return w
	}
	w := widget.NewLabelWithStyle(name, fyne.TextAlignLeading, fyne.TextStyle{Bold: true}).MinSize().Width
	v.speakerW[name] = w
	return w
}

// height is the row height of segment s at the view's width.
func (v *transcriptView) height(s transcript.Segment) float32 {
	return v.wrap.height(v.wrap.wrap(s.Text, textStyle(s), v.textWidth(s), nil))
}

// widenSpeakers makes the speaker column as wide as s's speaker's name needs, and reports whether it
// grew: then every line has less room and is measured again.
func (v *transcriptView) widenSpeakers(s transcript.Segment) bool {
	name := v.speakerName(s)
	if name == "" {
		return false
	}
	if w := v.speakerWidth(name); w > v.speakerCol {
		v.speakerCol = w
		return true
	}
	return false
}

// measureSpeakers sets the speaker column for the lines there are (after a rename or a reset).
func (v *transcriptView) measureSpeakers() {
	v.speakerCol = 0
	for i := range v.data.store.Len() {
		v.widenSpeakers(v.data.store.At(i))
	}
}

func (v *transcriptView) setWidth(w float32) {
	if w == v.width {
		return
	}
	v.width = w
	v.list.setHeights(v.data.store.Len(), v.rowHeight)
	v.pairChanged(-1)
	if v.follow && !v.still {
		v.scrollToEnd()
	}
}

// changed tells the view that segment i was added or replaced.
func (v *transcriptView) changed(i int, added bool) {
	if v.widenSpeakers(v.data.store.At(i)) {
		// Every line's text has less room now (a few times a session: a new speaker's name).
		v.list.setHeights(v.data.store.Len(), v.rowHeight)
		v.list.refreshAll()
	}
	if v.still {
		v.list.setHeight(i, v.rowHeight(i))
		if added {
			v.updateEmpty()
		}
		v.list.refreshItem(i)
		v.list.sync()
		return
	}
	if v.follow && v.list.GetScrollOffset() < v.autoOffset-1 {
		v.follow = false // the user scrolled up since we last moved
	} else if !v.follow && v.list.GetScrollOffset() >= v.autoOffset+1 {
		v.follow = true // and came back down
	}
	v.list.setHeight(i, v.rowHeight(i))
	v.pairChanged(i)
	v.updateEmpty()
	v.list.refreshItem(i)
	if v.follow {
		v.followBtn.Hide()
		v.scrollToEnd()
	} else {
		v.list.sync()
		v.followBtn.Show()
	}
}

// refreshAll re-renders every line after a change to many (a speaker renamed, the highlight moved).
func (v *transcriptView) refreshAll() {
	v.measureSpeakers()
	v.list.setHeights(v.data.store.Len(), v.rowHeight)
	v.list.refreshAll()
	v.pairChanged(-1)
}

// reset re-renders after the data was replaced or cleared.
func (v *transcriptView) reset() {
	v.mark = -1
	v.updateEmpty()
	v.measureSpeakers()
	v.list.setHeights(v.data.store.Len(), v.rowHeight)
	v.list.refreshAll()
	v.pairChanged(-1)
	v.follow = true
	v.followBtn.Hide()
	v.scrollToEnd()
}

func (v *transcriptView) scrollToEnd() {
	v.list.sync()
	v.list.ScrollToBottom()
	v.autoOffset = v.list.GetScrollOffset()
}

// tapLabel is a label that does something when tapped (a timestamp that plays, a speaker to rename),
// with a hand cursor when it does.
type tapLabel struct {
	widget.Label
	onTap     func()
	clickable bool // shows the hand cursor
}

func newTapLabel(text string, style fyne.TextStyle, onTap func()) *tapLabel {
	l := &tapLabel{onTap: onTap}
	l.Text, l.TextStyle = text, style
	l.ExtendBaseWidget(l)
	return l
}

func (l *tapLabel) Tapped(*fyne.PointEvent) {
	if l.onTap != nil {
		l.onTap()
	}
}

func (l *tapLabel) Cursor() fynedesktop.Cursor {
	if l.clickable {
		return fynedesktop.PointerCursor
	}
	return fynedesktop.DefaultCursor
}

// columnLayout gives its object a fixed width (*width, which the view widens as names come) and its
// own height: the speakers' names line up, and so does the text after them.
type columnLayout struct{ width *float32 }

func (c *columnLayout) Layout(objs []fyne.CanvasObject, size fyne.Size) {
	for _, o := range objs {
		o.Resize(fyne.NewSize(size.Width, o.MinSize().Height))
		o.Move(fyne.NewPos(0, 0))
	}
}

func (c *columnLayout) MinSize(objs []fyne.CanvasObject) fyne.Size {
	h := float32(0)
	for _, o := range objs {
		h = max(h, o.MinSize().Height)
	}
	return fyne.NewSize(*c.width, h)
}
