package ui

import (
	"context"
	"path/filepath"
	"strings"
	"time"
	"unicode/utf8"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/dialog"
	"fyne.io/fyne/v2/layout"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"github.com/verbatim-app/verbatim/app/desktop"
	"github.com/verbatim-app/verbatim/app/history"
	"github.com/verbatim-app/verbatim/app/transcript"
)

// historyLimit is how many entries, or search hits, the list shows.
const historyLimit = 200

// searchDelay is how long typing must pause before the search runs: results come as the user types,
// without a query for every key.
const searchDelay = 150 * time.Millisecond

// historyTab is the History tab: everything transcribed, newest first, and a search box whose results
// come as the user types, the matched words highlighted. An entry opened shows its lines: play from
// any of them, correct one, rename a speaker, export the whole, or delete it (after asking).
type historyTab struct {
	m *mainWindow

	query   string
	gen     int // counts list loads: results of an older query are dropped
	entries []history.Entry
	hits    []history.Hit
	err     string
	loaded  bool

	open    *history.Entry // the entry shown, nil none
	lines   []history.Line // its lines; line i is row i of data
	data    segmentList
	openGen int
	hitLine int // the row the search opened the entry at (-1 none): highlighted when nothing plays

	// widgets of the current build
	search      *widget.Entry
	list        *widget.List
	note        *widget.Label
	title       *widget.Label
	details     *widget.Label
	playBtn     *widget.Button
	exportBtn   *widget.Button
	deleteBtn   *widget.Button
	view        *transcriptView
	detail      *fyne.Container
	placeholder fyne.CanvasObject
}

func newHistoryTab(m *mainWindow) *historyTab { return &historyTab{m: m, hitLine: -1} }

func (h *historyTab) tr() *Translator { return h.m.tr }

// start loads the newest entries in the background.
func (h *historyTab) start() {
	if h.m.deps.History != nil {
		h.reload()
	}
}

func (h *historyTab) build() fyne.CanvasObject {
	t := h.tr()
	if h.m.deps.History == nil {
		l := widget.NewLabel(t.T("HistoryUnavailable"))
		l.Wrapping = fyne.TextWrapWord
		l.Alignment = fyne.TextAlignCenter
		return container.NewVBox(layoutSpacer(), l, layoutSpacer())
	}
	h.search = widget.NewEntry()
	h.search.SetPlaceHolder(t.T("HistorySearch"))
	h.search.ActionItem = widget.NewIcon(theme.SearchIcon())
	h.search.Text = h.query
	h.search.OnChanged = h.setQuery

	h.list = widget.NewList(h.length, h.newRow, h.bindRow)
	h.list.OnSelected = func(id widget.ListItemID) {
		h.list.UnselectAll()
		h.openRow(id)
	}
	h.note = widget.NewLabel("")
	h.note.Wrapping = fyne.TextWrapWord
	h.note.Importance = widget.LowImportance
	left := container.NewBorder(h.search, h.note, nil, nil, h.list)

	h.title = widget.NewLabelWithStyle("", fyne.TextAlignLeading, fyne.TextStyle{Bold: true})
	h.title.Truncation = fyne.TextTruncateEllipsis
	h.details = widget.NewLabel("")
	h.details.Truncation = fyne.TextTruncateEllipsis
	h.playBtn = widget.NewButtonWithIcon(t.T("HistoryPlay"), theme.MediaPlayIcon(), func() {
		if h.open != nil {
			h.m.player.play(desktop.PlaySource(*h.open), 0, h.entryTitle(*h.open))
		}
	})
	if h.m.deps.Player == nil {
		h.playBtn.Disable()
	}
	h.exportBtn = widget.NewButtonWithIcon(t.T("Export"), theme.DocumentSaveIcon(), func() { h.m.pickFormat(h.exportBtn, h.export) })
	h.deleteBtn = widget.NewButtonWithIcon(t.T("HistoryDelete"), theme.DeleteIcon(), h.confirmDelete)
	h.deleteBtn.Importance = widget.DangerImportance
	h.view = newTranscriptView(&h.data, t.T("HistoryNoLines"), t.T("FollowLive"), h.lineActions())
	h.view.still = true
	header := container.NewVBox(h.title, h.details, container.NewHBox(h.playBtn, h.exportBtn, h.deleteBtn))
	h.detail = container.NewBorder(header, nil, nil, nil, h.view.root)
	ph := widget.NewLabel(t.T("HistoryChoose"))
	ph.Alignment = fyne.TextAlignCenter
	ph.Wrapping = fyne.TextWrapWord
	ph.Importance = widget.LowImportance
	h.placeholder = container.NewVBox(layoutSpacer(), ph, layoutSpacer())

	split := container.NewHSplit(left, container.NewStack(h.placeholder, h.detail))
	split.Offset = 0.4
	h.showEntry()
	h.refreshNote()
	return split
}

// setQuery is the search box as the user types: the search runs once typing pauses.
func (h *historyTab) setQuery(q string) {
	h.query = strings.TrimSpace(q)
	h.gen++
	gen := h.gen
	go func() {
		time.Sleep(searchDelay)
		h.m.do(func() {
			if gen == h.gen {
				h.fetch()
			}
		})
	}()
}

// reload loads the list again for the current query (after a recording was added, an entry deleted).
func (h *historyTab) reload() {
	if h.m.deps.History == nil {
		return
	}
	h.gen++
	h.fetch()
}

// fetch loads the newest entries, or the query's hits, in the background.
func (h *historyTab) fetch() {
	gen, q, hist := h.gen, h.query, h.m.deps.History
	go func() {
		ctx, cancel := timeout()
		defer cancel()
		var entries []history.Entry
		var hits []history.Hit
		var err error
		if q == "" {
			entries, err = hist.Recent(ctx, historyLimit)
		} else {
			hits, err = hist.Search(ctx, q, historyLimit)
		}
		h.m.do(func() {
			if gen != h.gen {
				return // typed on since
			}
			h.loaded, h.err = true, ""
			if err != nil {
				h.err = h.m.logError("history", err)
			} else {
				h.entries, h.hits = entries, hits
			}
			if h.list != nil {
				h.list.UnselectAll()
				h.list.Refresh()
				h.list.ScrollToTop()
			}
			h.refreshNote()
			h.m.notify("history")
		})
	}()
}

func (h *historyTab) refreshNote() {
	if h.note == nil {
		return
	}
	t := h.tr()
	switch {
	case h.err != "":
		h.note.Importance = widget.DangerImportance
		h.note.SetText(h.err)
		return
	case !h.loaded:
		h.note.SetText("")
	case h.query == "" && len(h.entries) == 0:
		h.note.SetText(t.T("HistoryEmpty"))
	case h.query == "":
		h.note.SetText(t.N("HistoryCount", len(h.entries)))
	case len(h.hits) == 0:
		h.note.SetText(t.T("HistoryNoResults", map[string]any{"Query": h.query}))
	default:
		h.note.SetText(t.N("HistoryResults", len(h.hits)))
	}
	h.note.Importance = widget.LowImportance
	h.note.Refresh()
}

func (h *historyTab) length() int {
	if h.query != "" {
		return len(h.hits)
	}
	return len(h.entries)
}

func (h *historyTab) newRow() fyne.CanvasObject {
	icon := widget.NewIcon(theme.MediaRecordIcon())
	title := widget.NewLabelWithStyle("", fyne.TextAlignLeading, fyne.TextStyle{Bold: true})
	title.Truncation = fyne.TextTruncateEllipsis
	body := widget.NewRichText()
	body.Truncation = fyne.TextTruncateEllipsis
	// The two lines close together: each already has its inner padding.
	return container.NewBorder(nil, nil, icon, nil, container.New(layout.NewCustomPaddedVBoxLayout(-2*theme.Padding()), title, body))
}

func (h *historyTab) bindRow(id widget.ListItemID, o fyne.CanvasObject) {
	if id >= h.length() {
		return
	}
	c := o.(*fyne.Container)
	texts := c.Objects[0].(*fyne.Container)
	icon, title, body := c.Objects[1].(*widget.Icon), texts.Objects[0].(*widget.Label), texts.Objects[1].(*widget.RichText)
	var e history.Entry
	var segs []widget.RichTextSegment
	if h.query != "" {
		hit := h.hits[id]
		e = hit.Entry
		title.SetText(h.entryTitle(e))
		segs = append([]widget.RichTextSegment{&widget.TextSegment{Text: formatStamp(hit.Line.Start) + "  ",
			Style: widget.RichTextStyle{Inline: true, ColorName: theme.ColorNamePlaceHolder, TextStyle: fyne.TextStyle{Monospace: true}}}},
			highlighted(snippet(hit.Marked, 14))...)
	} else {
		e = h.entries[id]
		title.SetText(h.entryTitle(e))
		preview := e.Preview
		if preview == "" {
			preview = h.tr().T("HistoryNoText")
		}
		segs = []widget.RichTextSegment{&widget.TextSegment{Text: preview, Style: mutedStyle()}}
	}
	if e.Kind == history.KindSession {
		icon.SetResource(theme.MediaRecordIcon())
	} else {
		icon.SetResource(theme.FileAudioIcon())
	}
	body.Segments = segs
	body.Refresh()
}

func mutedStyle() widget.RichTextStyle {
	return widget.RichTextStyle{Inline: true, ColorName: theme.ColorNamePlaceHolder}
}

// highlighted turns a hit's Marked text into segments, the matched words bold in the primary colour.
func highlighted(marked string) []widget.RichTextSegment {
	var segs []widget.RichTextSegment
	for marked != "" {
		before, rest, found := strings.Cut(marked, desktop.MarkOpen)
		if before != "" {
			segs = append(segs, &widget.TextSegment{Text: before, Style: widget.RichTextStyleInline})
		}
		if !found {
			break
		}
		match, after, _ := strings.Cut(rest, desktop.MarkClose)
		segs = append(segs, &widget.TextSegment{Text: match, Style: widget.RichTextStyle{Inline: true,
			ColorName: theme.ColorNamePrimary, TextStyle: fyne.TextStyle{Bold: true}}})
		marked = after
	}
	return segs
}

// snippet shortens what comes before the first match to about keep letters, so that a match late in
// a long line is still in view of a one-line row.
func snippet(marked string, keep int) string {
	i := strings.Index(marked, desktop.MarkOpen)
	if i < 0 || utf8.RuneCountInString(marked[:i]) <= keep {
		return marked
	}
	before := []rune(marked[:i])
	cut := string(before[len(before)-keep:])
	if sp := strings.IndexByte(cut, ' '); sp >= 0 && sp < len(cut)-1 {
		cut = cut[sp+1:] // start at a word
	}
	return "…" + cut + marked[i:]
}

// entryTitle is how an entry is named: when, and what.
func (h *historyTab) entryTitle(e history.Entry) string {
	what := filepath.Base(e.Source)
	if e.Kind == history.KindSession {
		what = h.tr().T("HistorySession")
	}
	return e.Created.Local().Format("2006-01-02 15:04") + " · " + what
}

func (h *historyTab) entryDetails(e history.Entry) string {
	t := h.tr()
	parts := []string{formatStamp(e.Duration), t.N("HistoryLines", e.Lines)}
	if e.Model != "" {
		parts = append(parts, e.Model)
	}
	if e.Kind == history.KindFile {
		parts = append(parts, e.Source)
	}
	return strings.Join(parts, " · ")
}

// openRow opens the entry of list row id, at the hit's line for a search result.
func (h *historyTab) openRow(id int) {
	if id >= h.length() {
		return
	}
	if h.query != "" {
		h.openEntry(h.hits[id].Entry, h.hits[id].Line.ID)
		return
	}
	h.openEntry(h.entries[id], 0)
}

// openEntry shows entry e's lines, at line lineID (0: from the top).
func (h *historyTab) openEntry(e history.Entry, lineID int64) {
	h.openGen++
	gen, hist := h.openGen, h.m.deps.History
	go func() {
		ctx, cancel := timeout()
		defer cancel()
		lines, err := hist.Lines(ctx, e.ID)
		h.m.do(func() {
			if gen != h.openGen {
				return
			}
			if err != nil {
				h.m.showError(h.tr().T("HistoryOpenFailed"), err)
				h.m.notify("historyopen")
				return
			}
			h.open, h.lines = &e, lines
			h.data.clear()
			h.hitLine = -1
			for i, l := range lines {
				h.data.put(lineSegment(i, l))
				if l.ID == lineID {
					h.hitLine = i
				}
			}
			h.showEntry()
			h.m.notify("historyopen")
		})
	}()
}

// lineSegment is how line l shows as row i: a translation after its spoken line, tagged with its
// language.
func lineSegment(i int, l history.Line) transcript.Segment {
	text := l.Text
	if l.Lang != "" {
		text = "[" + l.Lang + "] " + text
	}
	return transcript.Segment{ID: i, Start: l.Start, End: l.End, Text: text, Speaker: l.Speaker, Final: true}
}

// showEntry shows the open entry (or the placeholder when none is).
func (h *historyTab) showEntry() {
	if h.detail == nil {
		return
	}
	if h.open == nil {
		h.detail.Hide()
		h.placeholder.Show()
		return
	}
	h.placeholder.Hide()
	h.detail.Show()
	h.title.SetText(h.entryTitle(*h.open))
	h.details.SetText(h.entryDetails(*h.open))
	h.view.reset()
	h.view.setMark(h.hitLine)
	if h.hitLine >= 0 {
		h.view.list.ScrollTo(h.hitLine)
	} else {
		h.view.list.ScrollToTop()
	}
}

func (h *historyTab) lineActions() lineActions {
	act := lineActions{
		speaker: h.renameSpeaker,
		edit:    h.editLine,
		name:    h.m.speakerName,
	}
	if h.m.deps.Player != nil {
		act.stamp = func(i int) {
			if h.open != nil && i < len(h.lines) {
				h.m.player.play(desktop.PlaySource(*h.open), h.lines[i].Start, h.entryTitle(*h.open))
			}
		}
	}
	return act
}

// playing highlights the open entry's line playing; when it is not playing, the line searched for.
func (h *historyTab) playing(source string, pos time.Duration, active bool) {
	if h.view == nil || h.open == nil {
		return
	}
	if !active || source != desktop.PlaySource(*h.open) {
		h.view.setMark(h.hitLine)
		return
	}
	h.view.setMark(markAt(len(h.lines), func(i int) (time.Duration, time.Duration) {
		return h.lines[i].Start, h.lines[i].End
	}, pos))
}

// editLine corrects line i's text; what the model heard is kept and shown while editing.
func (h *historyTab) editLine(i int) {
	if h.open == nil || i >= len(h.lines) {
		return
	}
	t := h.tr()
	l := h.lines[i]
	note := ""
	if l.Edited {
		note = t.T("HistoryHeard", map[string]any{"Text": l.Heard})
	}
	hist, gen := h.m.deps.History, h.openGen
	h.m.askText(t.T("HistoryEditTitle"), t.T("HistoryEditLabel", map[string]any{"Time": formatStamp(l.Start)}), l.Text, true, note, func(text string) {
		go func() {
			ctx, cancel := timeout()
			defer cancel()
			nl, err := hist.EditLine(ctx, l.ID, text)
			h.m.do(func() {
				if err != nil {
					h.m.showError(t.T("HistoryEditFailed"), err)
				} else if gen == h.openGen && i < len(h.lines) && h.lines[i].ID == nl.ID {
					h.lines[i] = nl
					h.data.put(lineSegment(i, nl))
					h.view.changed(i, false)
					if h.query != "" {
						h.reload() // the hits show the new text
					}
				}
				h.m.notify("edited")
			})
		}()
	})
}

// renameSpeaker gives line i's speaker another name, in the session and in the history.
func (h *historyTab) renameSpeaker(i int) {
	if h.open == nil || i >= len(h.lines) || h.lines[i].Speaker == "" {
		return
	}
	t := h.tr()
	e, from := *h.open, h.lines[i].Speaker
	hist := h.m.deps.History
	h.m.askText(t.T("RenameSpeakerTitle"), t.T("RenameSpeakerLabel", map[string]any{"Name": h.m.speakerName(from)}),
		h.m.speakerName(from), false, "", func(name string) {
			go func() {
				ctx, cancel := timeout()
				defer cancel()
				_, err := hist.RenameSpeaker(ctx, e, from, name)
				h.m.do(func() {
					if err != nil {
						h.m.showError(t.T("RenameSpeakerFailed"), err)
					} else if h.open != nil && h.open.ID == e.ID {
						h.openEntry(e, h.lineIDAt(h.hitLine))
					}
					h.m.notify("renamed")
				})
			}()
		})
}

func (h *historyTab) lineIDAt(i int) int64 {
	if i < 0 || i >= len(h.lines) {
		return 0
	}
	return h.lines[i].ID
}

// export writes the open entry's transcript, as edited, in format through a file dialog.
func (h *historyTab) export(format string) {
	if h.open == nil {
		return
	}
	e, hist, t := *h.open, h.m.deps.History, h.tr()
	go func() {
		ctx, cancel := timeout()
		defer cancel()
		doc, err := hist.Doc(ctx, e)
		h.m.do(func() {
			if err != nil {
				h.m.showError(t.T("ExportFailed"), err)
				return
			}
			base := strings.TrimSuffix(filepath.Base(e.Source), filepath.Ext(e.Source))
			if e.Kind == history.KindSession {
				base = "session-" + base
			}
			h.m.saveExport(doc, base, format, func(path string) {
				h.details.SetText(t.T("Exported", map[string]any{"Path": path}))
			})
			h.m.notify("export")
		})
	}()
}

// confirmDelete asks, then deletes the open entry: a session with its recording, a file only from the
// history.
func (h *historyTab) confirmDelete() {
	if h.open == nil {
		return
	}
	t := h.tr()
	e := *h.open
	msg := t.T("HistoryDeleteFile", map[string]any{"Name": filepath.Base(e.Source)})
	if e.Kind == history.KindSession {
		msg = t.T("HistoryDeleteSession", map[string]any{"Time": e.Created.Local().Format("2006-01-02 15:04")})
	}
	dialog.ShowConfirm(t.T("HistoryDeleteTitle"), msg, func(ok bool) {
		if ok {
			h.delete(e)
		}
	}, h.m.win)
	h.m.notify("asking")
}

func (h *historyTab) delete(e history.Entry) {
	hist, t := h.m.deps.History, h.tr()
	if h.m.player.active && h.m.player.source == desktop.PlaySource(e) {
		h.m.player.stopPlaying() // its audio is going
	}
	go func() {
		ctx, cancel := context.WithTimeout(context.Background(), callTimeout)
		defer cancel()
		err := hist.Delete(ctx, e.ID)
		h.m.do(func() {
			if err != nil {
				h.m.showError(t.T("HistoryDeleteFailed"), err)
			} else if h.open != nil && h.open.ID == e.ID {
				h.open, h.lines, h.hitLine = nil, nil, -1
				h.data.clear()
				h.showEntry()
			}
			h.reload()
			h.m.notify("deleted")
		})
	}()
}
