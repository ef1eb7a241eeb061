package ui

import (
	"fmt"
	"math"
	"math/rand/v2"
	"strings"
	"testing"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/test"
	"fyne.io/fyne/v2/widget"

	"github.com/verbatim-app/verbatim/app/transcript"
)

func TestHeightsIndex(t *testing.T) {
	rng := rand.New(rand.NewPCG(7, 9))
	for _, n := range []int{0, 1, 2, 3, 7, 8, 9, 100, 1000} {
		t.Run(fmt.Sprint(n), func(t *testing.T) {
			var hs heights
			want := make([]float64, n)
			for i := range n {
				want[i] = float64(20 + rng.IntN(60))
				hs.set(i, float32(want[i])) // appends
			}
			check := func(stage string) {
				t.Helper()
				sum := 0.0
				for i := 0; i <= n; i++ {
					if got := hs.prefix(i); math.Abs(got-sum) > 1e-6 {
						t.Fatalf("%s: prefix(%d) = %v, want %v", stage, i, got, sum)
					}
					if i < n {
						// The row at its own top, in its middle, and at its last pixel is itself.
						for _, y := range []float64{sum, sum + want[i]/2, sum + want[i] - 0.01} {
							if got := hs.at(y); got != i {
								t.Fatalf("%s: at(%v) = %d, want %d", stage, y, got, i)
							}
						}
						sum += want[i]
					}
				}
				if n > 0 && (hs.at(-5) != 0 || hs.at(sum+100) != n-1) {
					t.Fatalf("%s: at outside the rows = %d, %d", stage, hs.at(-5), hs.at(sum+100))
				}
			}
			check("appended")
			for range n {
				i := rng.IntN(n)
				want[i] = float64(10 + rng.IntN(200))
				hs.set(i, float32(want[i]))
			}
			check("changed")
			hs.reset(n, func(i int) float32 { want[i] = float64(i%5 + 18); return float32(want[i]) })
			check("reset")
		})
	}
}

// The wrapper breaks text where every line fits, keeps every word, and gives the height the label
// showing those lines has.
func TestWrapFitsAndKeepsEverything(t *testing.T) {
	test.NewTempApp(t)
	w := newWrapper()
	texts := []string{
		"",
		"short",
		"Today we look at the release plan and the open bugs, starting with the crash reports from last week, which all come from the same audio driver.",
		"https://example.com/a/very/long/address/that/does/not/fit/on/one/line/at/all/anywhere/in/the/window",
		"今日はリリース計画と未解決のバグを確認します。まず先週のクラッシュ報告から始めます。すべて同じオーディオドライバーが原因です。",
		"two\n\nparagraphs   with   spaces",
	}
	for _, style := range []fyne.TextStyle{{}, {Italic: true}} {
		for _, width := range []float32{60, 180, 400, 2000} {
			for _, text := range texts {
				var lines []string
				n := w.wrap(text, style, width, func(l string) { lines = append(lines, l) })
				if n != len(lines) || n < 1 {
					t.Fatalf("%q at %v: count %d, lines %q", text, width, n, lines)
				}
				for _, l := range lines {
					if lw := fyne.MeasureText(l, w.size, style).Width; lw > width+1 && len([]rune(l)) > 1 {
						t.Errorf("%q at %v: line %q is %v wide", text, width, l, lw)
					}
				}
				if got, want := strings.Join(strings.Fields(strings.Join(lines, "")), ""), strings.Join(strings.Fields(text), ""); got != want {
					t.Errorf("%q at %v: text changed to %q", text, width, strings.Join(lines, "|"))
				}
				shown := w.lines(text, style, width)
				l := widget.NewLabel(shown)
				l.TextStyle = style
				if got, want := l.MinSize().Height, w.height(n); got != want {
					t.Errorf("%q at %v: a label of %d lines is %v high, the wrapper says %v", text, width, n, got, want)
				}
			}
		}
	}
}

// Hours of transcript: 5000 lines. Adding one costs the same at the 5000th as at the first, a resize
// re-wraps them all in well under a second, and only the rows on screen exist as widgets.
func TestTranscriptViewThousandsOfLines(t *testing.T) {
	h := newHarness(t, "en", nil)
	l := h.m.live
	const n = 5000
	var first, last time.Duration
	for i := range n {
		text := fmt.Sprintf("Line %d: and then we talked about the plan for the next quarter, which %s.", i, strings.Repeat("went on ", i%7))
		t0 := time.Now()
		l.putSegment(transcript.Segment{ID: i, Text: "provisional " + text, Start: time.Duration(i) * 2 * time.Second})
		l.putSegment(transcript.Segment{ID: i, Text: text, Final: true, Start: time.Duration(i) * 2 * time.Second})
		d := time.Since(t0)
		switch {
		case i < 500:
			first += d
		case i >= n-500:
			last += d
		}
	}
	v := l.spokenView
	t.Logf("first 500 lines %v (%v a line), last 500 %v (%v a line); %d row widgets", first, first/500, last, last/500, len(v.list.rows))
	// The same work for the 5000th line as for the first (the first ones also measure new words).
	if last > 2*first+50*time.Millisecond {
		t.Errorf("adding a line got slower as the transcript grew: %v for the last 500, %v for the first 500", last, first)
	}
	if per := last / 500; per > 20*time.Millisecond {
		t.Errorf("adding a line takes %v", per)
	}
	if rows := len(v.list.rows); rows > 60 {
		t.Errorf("%d row widgets for %d lines: the list is not virtualised", rows, n)
	}
	if !shows(v.root, "Line 4999:") || shows(v.root, "Line 10:") {
		t.Error("the view does not show the end of the transcript")
	}
	t0 := time.Now()
	h.m.win.Resize(fyne.NewSize(760, 640))
	if d := time.Since(t0); d > time.Second {
		t.Errorf("a resize with %d lines took %v", n, d)
	} else {
		t.Logf("resize with %d lines: %v", n, d)
	}
	if !shows(v.root, "Line 4999:") {
		t.Error("the end of the transcript went out of view on resize")
	}
	// Scrolling to the top shows the first lines, with as few widgets.
	v.list.ScrollToTop()
	if !shows(v.root, "Line 0:") || len(v.list.rows) > 60 {
		t.Errorf("at the top: %q, %d row widgets", canvasTexts(v.root)[:3], len(v.list.rows))
	}
}

// Rows sit one under another without overlapping, each as tall as its wrapped text.
func TestTranscriptRowsDoNotOverlap(t *testing.T) {
	h := newHarness(t, "en", nil)
	h.startRecording()
	for i := range 40 {
		h.rec.segment(i, strings.Repeat("word ", 1+i*3), "", true)
	}
	v := h.m.live.spokenView
	var prevEnd float32 = -1
	for i := range v.data.store.Len() {
		r, ok := v.list.shown[i].(*lineRow)
		if !ok {
			continue
		}
		top := r.Position().Y
		if prevEnd >= 0 && top < prevEnd-0.5 {
			t.Fatalf("row %d starts at %v, above the end of the one before (%v)", i, top, prevEnd)
		}
		if need := r.text.MinSize().Height; r.Size().Height < need-0.5 {
			t.Errorf("row %d is %v high; its text needs %v", i, r.Size().Height, need)
		}
		if tw := r.text.Size().Width; r.text.MinSize().Width > tw+1 {
			t.Errorf("row %d: text %v wide in %v", i, r.text.MinSize().Width, tw)
		}
		prevEnd = top + r.Size().Height
	}
}
