package ui

import (
	"strings"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"
)

// Hours of transcript are thousands of lines, and every line's height must be known for the list to
// scroll: measuring each line with a wrapping label shapes its text again and again (about a
// millisecond a line), so a window resized with 5000 lines would freeze for seconds. Instead lines are
// wrapped here, from the widths of their words, each word measured once: a line's height is its
// number of wrapped lines, and the label shows exactly those lines (broken with "\n", its own wrapping
// off), so what is measured is what is drawn.

// wrapper breaks text into lines that fit a width, the way a word-wrapping label would.
type wrapper struct {
	size  float32                    // text size the widths are for
	words map[wrapKey]float32        // width of each word (or rune, for words too long for a line)
	space map[fyne.TextStyle]float32 // width of a space
	rows  map[int]float32            // height of a label of n lines
}

type wrapKey struct {
	s     string
	style fyne.TextStyle
}

// maxWrapWords bounds the word cache: speech has a few thousand distinct words an hour; a cache that
// grew past this is dropped and refilled rather than kept forever.
const maxWrapWords = 50000

func newWrapper() *wrapper {
	return &wrapper{size: theme.TextSize(), words: map[wrapKey]float32{}, space: map[fyne.TextStyle]float32{}, rows: map[int]float32{}}
}

func (w *wrapper) width(s string, style fyne.TextStyle) float32 {
	k := wrapKey{s, style}
	if v, ok := w.words[k]; ok {
		return v
	}
	if len(w.words) >= maxWrapWords {
		clear(w.words)
	}
	v := fyne.MeasureText(s, w.size, style).Width
	w.words[k] = v
	return v
}

func (w *wrapper) spaceWidth(style fyne.TextStyle) float32 {
	if v, ok := w.space[style]; ok {
		return v
	}
	// A space alone measures as nothing in some fonts' shaping: take it from between two letters.
	v := fyne.MeasureText("x x", w.size, style).Width - 2*fyne.MeasureText("x", w.size, style).Width
	w.space[style] = v
	return v
}

// textWidth is the room a label of width total leaves for text.
func textWidth(total float32) float32 { return total - 2*theme.InnerPadding() }

// wrap calls line for each line text breaks into at width (a label's text width); it returns the count.
// Runs of spaces become one; a word longer than a line is broken between letters.
func (w *wrapper) wrap(text string, style fyne.TextStyle, width float32, line func(string)) int {
	width = max(width, 10)
	sp := w.spaceWidth(style)
	n := 0
	emit := func(s string) {
		n++
		if line != nil {
			line(s)
		}
	}
	for para := range strings.SplitSeq(text, "\n") {
		var cur []string
		cw := float32(0)
		flush := func() {
			emit(strings.Join(cur, " "))
			cur, cw = cur[:0], 0
		}
		words := strings.Fields(para)
		if len(words) == 0 {
			emit("")
			continue
		}
		for _, word := range words {
			ww := w.width(word, style)
			switch {
			case len(cur) > 0 && cw+sp+ww <= width:
				cur = append(cur, word)
				cw += sp + ww
				continue
			case len(cur) > 0:
				flush()
			}
			if ww <= width {
				cur, cw = append(cur, word), ww
				continue
			}
			// Too long for any line (a URL, or text without spaces such as Japanese): by letters.
			start, lw := 0, float32(0)
			for i, r := range word {
				rw := w.width(string(r), style)
				if lw+rw > width && i > start {
					emit(word[start:i])
					start, lw = i, 0
				}
				lw += rw
			}
			cur, cw = append(cur, word[start:]), lw
		}
		flush()
	}
	return n
}

// lines is text wrapped at width, one line per "\n".
func (w *wrapper) lines(text string, style fyne.TextStyle, width float32) string {
	var b strings.Builder
	w.wrap(text, style, width, func(l string) {
		if b.Len() > 0 {
			b.WriteByte('\n')
		}
		b.WriteString(l)
	})
	return b.String()
}

// height is the height of a label of n lines.
func (w *wrapper) height(n int) float32 {
	n = max(n, 1)
	if h, ok := w.rows[n]; ok {
		return h
	}
	l := widget.NewLabel(strings.Repeat("X\n", n-1) + "X")
	h := l.MinSize().Height
	w.rows[n] = h
	return h
}
