package ui

import (
	"errors"
	"image/png"
	"os"
	"path/filepath"
	"testing"

	"fyne.io/fyne/v2/test"
)

// TestShots writes PNGs of the screens, rendered by Fyne's software painter, into $VERBATIM_SHOTS
// (skipped when unset): a way to look at the window without a display.
func TestShots(t *testing.T) {
	dir := os.Getenv("VERBATIM_SHOTS")
	if dir == "" {
		t.Skip("VERBATIM_SHOTS not set")
	}
	lang := os.Getenv("VERBATIM_SHOTS_LANG")
	if lang == "" {
		lang = "en"
	}
	h := newHarness(t, lang, nil)
	save := func(name string) {
		f, err := os.Create(filepath.Join(dir, name+"-"+lang+".png"))
		if err != nil {
			t.Fatal(err)
		}
		defer f.Close()
		if err := png.Encode(f, h.m.win.Canvas().Capture()); err != nil {
			t.Fatal(err)
		}
	}
	h.startRecording()
	h.rec.send(Event{Level: &Level{RMS: 0.05}})
	h.rec.send(Event{Stats: &Stats{TokensPerSec: 42, LatencyMs: 180}})
	h.m.live.targetSel.SetSelected("Español")
	lines := []string{"Welcome to the weekly meeting.", "Today we look at the release plan and the open bugs, starting with the crash reports from last week, which all come from the same audio driver.", "Then questions."}
	for i, l := range lines {
		h.rec.segment(i, l, "", true)
		h.rec.segment(i, "(es) "+l, "es", true)
	}
	h.rec.segment(len(lines), "First on the agenda is", "", false)
	save("live")
	h.m.tabs.SelectIndex(1)
	d := "/data/in"
	h.m.batch.add([]string{d + "/interview.wav", d + "/lecture.mp3", d + "/broken.ogg", d + "/later.flac"})
	test.Tap(h.m.batch.startBtn)
	h.m.batch.add([]string{d + "/added-after.wav"})
	h.batch.send(BatchEvent{Path: d + "/interview.wav", Progress: 1, Output: d + "/interview.srt"})
	h.batch.send(BatchEvent{Path: d + "/lecture.mp3", Progress: 0.4})
	h.batch.send(BatchEvent{Path: d + "/broken.ogg", Err: errors.New("cannot decode: unexpected EOF")})
	save("batch")
	h.m.tabs.SelectIndex(2)
	h.m.models.list.Select(1)
	save("models")
	h.batch.close()
	h.wait("batchdone")
}
