package ui

import (
	"errors"
	"image"
	"image/png"
	"os"
	"path/filepath"
	"testing"
	"time"

	"fyne.io/fyne/v2/test"

	"github.com/verbatim-app/verbatim/app/desktop"
	"github.com/verbatim-app/verbatim/app/history"
	"github.com/verbatim-app/verbatim/app/live"
	"github.com/verbatim-app/verbatim/app/transcript"
	"github.com/verbatim-app/verbatim/assets/locales"
	"github.com/verbatim-app/verbatim/capture"
)

// Every screen, filled with the kind of content users see, renders in every interface language with
// Fyne's software painter: no panic, and text and widgets on it (not a blank or single-colour canvas).
// With VERBATIM_SHOTS=DIR the renders are also written there as PNGs, to look at without a display.
func TestScreensRender(t *testing.T) {
	for _, lang := range locales.Languages {
		t.Run(lang, func(t *testing.T) { renderScreens(t, lang, os.Getenv("VERBATIM_SHOTS")) })
	}
}

// inked is the share of pixels that differ from the most common colour (the background).
func inked(img image.Image) float64 {
	counts := map[[4]uint32]int{}
	b := img.Bounds()
	for y := b.Min.Y; y < b.Max.Y; y++ {
		for x := b.Min.X; x < b.Max.X; x++ {
			r, g, bl, a := img.At(x, y).RGBA()
			counts[[4]uint32{r, g, bl, a}]++
		}
	}
	top := 0
	for _, n := range counts {
		top = max(top, n)
	}
	return 1 - float64(top)/float64(b.Dx()*b.Dy())
}

func renderScreens(t *testing.T, lang, dir string) {
	h := newHarness(t, lang, nil)
	save := func(name string) {
		t.Helper()
		img := h.m.win.Canvas().Capture()
		if b := img.Bounds(); b.Dx() < 100 || b.Dy() < 100 {
			t.Fatalf("%s screen rendered %v", name, b)
		}
		// A filled screen has text, lists and buttons on it: measured 11-30 % in every language; blank is 0.
		if ink := inked(img); ink < 0.03 {
			t.Errorf("%s screen in %s is nearly blank: %.1f %% of pixels differ from the background", name, lang, 100*ink)
		}
		if dir == "" {
			return
		}
		f, err := os.Create(filepath.Join(dir, name+"-"+lang+".png"))
		if err != nil {
			t.Fatal(err)
		}
		defer f.Close()
		if err := png.Encode(f, img); err != nil {
			t.Fatal(err)
		}
	}
	h.startRecording()
	h.rec.send(live.Event{Level: &capture.Level{RMS: 0.05}})
	h.rec.send(live.Event{Stats: &live.Stats{TokensPerSec: 42, LatencyMs: 180}})
	h.m.live.targetSel.SetSelected("Español")
	lines := []string{"Welcome to the weekly meeting.", "Today we look at the release plan and the open bugs, starting with the crash reports from last week, which all come from the same audio driver.", "Then questions."}
	for i, l := range lines {
		h.rec.segment(i, l, "", true)
		h.rec.segment(i, "(es) "+l, "es", true)
	}
	h.rec.segment(len(lines), "First on the agenda is", "", false)
	save("live")
	// A call: both sides, each named.
	h.rec.send(live.Event{Segment: &transcript.Segment{ID: len(lines) + 1, Text: "Can you hear me now?", Speaker: transcript.Mic, Final: true, Start: 20 * time.Second, End: 22 * time.Second}})
	h.rec.send(live.Event{Segment: &transcript.Segment{ID: len(lines) + 2, Text: "Yes, loud and clear. Shall we start with the budget?", Speaker: transcript.System, Final: true, Start: 23 * time.Second, End: 26 * time.Second}})
	save("live-call")
	h.m.tabs.SelectIndex(tabFiles)
	d := "/data/in"
	h.m.batch.add([]string{d + "/interview.wav", d + "/lecture.mp3", d + "/broken.ogg", d + "/later.flac"})
	test.Tap(h.m.batch.startBtn)
	h.m.batch.add([]string{d + "/added-after.wav"})
	h.batch.send(desktop.BatchEvent{Path: d + "/interview.wav", Progress: 1, Output: d + "/interview.srt"})
	h.batch.send(desktop.BatchEvent{Path: d + "/lecture.mp3", Progress: 0.4})
	h.batch.send(desktop.BatchEvent{Path: d + "/broken.ogg", Err: errors.New("cannot decode: unexpected EOF")})
	save("batch")
	fillHistory(h.hist)
	h.m.do(h.m.history.reload)
	h.wait("history")
	h.m.tabs.SelectIndex(tabHistory)
	save("history")
	h.searchFor("budget")
	h.m.history.openRow(0)
	h.wait("historyopen")
	save("history-search")
	h.m.tabs.SelectIndex(tabModels)
	h.m.models.list.Select(1)
	save("models")
	h.batch.close()
	h.wait("batchdone")
}

// fillHistory gives the history what a few weeks of use leave: calls, a lecture file, dictations.
func fillHistory(f *fakeHistory) {
	day := time.Date(2026, 11, 2, 9, 30, 0, 0, time.Local)
	f.add(history.Entry{Kind: history.KindFile, Source: "/home/ana/Lectures/economics-week-3.mp3", Created: day, Duration: 52 * time.Minute, Model: "gemma-3n-E2B"},
		"Good morning, today we talk about how a government sets its budget.",
		"The budget is a plan: what comes in, what goes out, and what is borrowed in between.",
		"We start with taxes, the largest part of what comes in.")
	f.add(history.Entry{Kind: history.KindSession, Source: "/home/ana/.local/share/verbatim/sessions/2026-11-12_14-00-00", Created: day.AddDate(0, 0, 10).Add(4*time.Hour + 30*time.Minute), Duration: 38 * time.Minute, Model: "gemma-3n-E2B"},
		"You: Can you hear me?",
		"Others: Yes. Shall we go through the budget for the launch first?",
		"You: Sure. Marketing asked for twenty percent more than last year.",
		"Others: That is a lot; what would the extra budget buy us?",
		"You: Two more events and the agency for the videos.")
	f.add(history.Entry{Kind: history.KindSession, Source: "/home/ana/.local/share/verbatim/sessions/2026-11-29_08-15-00", Created: day.AddDate(0, 0, 27).Add(-75 * time.Minute), Duration: 3 * time.Minute},
		"Note to self: send the budget sheet to Marta before Friday.",
		"And book the meeting room for Tuesday.")
}
