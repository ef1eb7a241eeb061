package ui

import (
	"errors"
	"fmt"
	"reflect"
	"testing"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/test"
	"fyne.io/fyne/v2/widget"

	"github.com/verbatim-app/verbatim/app/desktop"
	"github.com/verbatim-app/verbatim/app/live"
	"github.com/verbatim-app/verbatim/app/transcript"
)

// row is the widget showing line i of v (it must be on screen).
func row(t *testing.T, v *transcriptView, i int) *lineRow {
	t.Helper()
	r, ok := v.list.shown[i].(*lineRow)
	if !ok {
		t.Fatalf("line %d is not on screen", i)
	}
	return r
}

// entryIn finds the first text entry under o (a dialog's).
func entryIn(o fyne.CanvasObject) *widget.Entry {
	var found *widget.Entry
	walkObjects(o, false, func(o fyne.CanvasObject) bool {
		found, _ = o.(*widget.Entry)
		return found == nil
	})
	return found
}

// answer types text into the dialog on top and presses its button.
func (h *harness) answer(text, button string) {
	h.t.Helper()
	top := h.m.win.Canvas().Overlays().Top()
	if top == nil {
		h.t.Fatal("no dialog")
	}
	e := entryIn(top)
	if e == nil {
		h.t.Fatalf("no entry in the dialog: %q", canvasTexts(top))
	}
	e.SetText(text)
	test.Tap(findButton(h.t, top, button))
}

func TestTimestampPlaysTheRecording(t *testing.T) {
	const dir = "/data/sessions/2026-03-01_09-30-00"
	h := newHarness(t, "en", nil)
	h.rec.sessionDir = dir
	h.startRecording()
	for i, text := range []string{"First.", "Second.", "Third."} {
		h.rec.segment(i, text, "", true) // at 0, 2 and 4 s
		h.rec.segment(i, text+" (es)", "es", true)
	}
	v := h.m.live.spokenView
	if r := row(t, v, 1); r.stamp.Importance != widget.HighImportance || !r.stamp.clickable {
		t.Error("a timestamp that plays does not look like one")
	}
	test.Tap(row(t, v, 1).stamp)
	h.wait("playing")
	if got := h.player.last(); got != (playCall{dir, 2 * time.Second}) {
		t.Fatalf("played %+v, want the session from the line's start", got)
	}
	bar := h.m.player
	if !bar.box.Visible() || bar.label.Text != "Playing Recording of 2026-03-01 09:30 — 00:00:02" {
		t.Fatalf("play bar visible %v, %q", bar.box.Visible(), bar.label.Text)
	}
	// The line playing is highlighted, in the translation too, and follows the position.
	h.player.send(desktop.PlaybackEvent{Position: 4500 * time.Millisecond})
	h.wait("playpos")
	if v.mark != 2 || h.m.live.transView.mark != 2 {
		t.Errorf("highlighted lines %d and %d, want 2 (the one playing at 4.5 s)", v.mark, h.m.live.transView.mark)
	}
	if !row(t, v, 2).bg.Visible() || row(t, v, 1).bg.Visible() {
		t.Error("the highlight is not drawn on the line playing")
	}
	if bar.label.Text != "Playing Recording of 2026-03-01 09:30 — 00:00:04" {
		t.Errorf("bar %q", bar.label.Text)
	}
	if bar.toggle.Text != "Pause" || bar.stop.Text != "Stop" {
		t.Errorf("the play bar's buttons say %q and %q", bar.toggle.Text, bar.stop.Text)
	}
	test.Tap(bar.toggle)
	if !bar.paused || bar.label.Text != "Paused: Recording of 2026-03-01 09:30 — 00:00:04" || bar.toggle.Text != "Play" {
		t.Errorf("after pause: paused %v, %q, button %q", bar.paused, bar.label.Text, bar.toggle.Text)
	}
	test.Tap(bar.toggle)
	if !reflect.DeepEqual(h.player.paused, []bool{true, false}) {
		t.Errorf("Pause/Resume calls %v", h.player.paused)
	}
	h.player.send(desktop.PlaybackEvent{Position: 6 * time.Second, Ended: true})
	h.wait("playended")
	if bar.box.Visible() || v.mark != -1 {
		t.Errorf("after the end: bar visible %v, highlight %d", bar.box.Visible(), v.mark)
	}

	// A recording made without a session (nothing kept) has nothing to play.
	h.test(func() {
		test.Tap(h.m.live.recordBtn)
		h.waitStopCall()
		h.rec.finish()
		h.wait("stopped")
		h.wait("indexed") // the recording goes to the history
		h.wait("history")
	})
	h.rec.sessionDir = ""
	h.startRecording()
	h.rec.segment(0, "Not kept.", "", true)
	r := row(t, v, 3)
	if r.stamp.clickable || r.stamp.Importance == widget.HighImportance {
		t.Error("a line without a recording offers to play it")
	}
	calls := len(h.player.calls)
	test.Tap(r.stamp)
	if len(h.player.calls) != calls {
		t.Error("a line without a recording was played")
	}
}

// test runs f: a named step, for readability.
func (h *harness) test(f func()) { f() }

func TestPlaybackErrors(t *testing.T) {
	h := newHarness(t, "en", nil)
	h.rec.sessionDir = "/gone/2026-03-01_09-30-00"
	h.startRecording()
	h.rec.segment(0, "Hello.", "", true)
	h.player.playErr = fmt.Errorf("play /gone/audio.wav: %w", desktop.ErrAudioGone)
	test.Tap(row(t, h.m.live.spokenView, 0).stamp)
	h.wait("playfailed")
	top := h.m.win.Canvas().Overlays().Top()
	if top == nil || !shows(top, "The audio is no longer there") {
		t.Fatal("no dialog saying the audio is gone")
	}
	if h.m.player.box.Visible() {
		t.Error("play bar shown for a playback that did not start")
	}
	// A device that fails while playing says so when it ends.
	h.player.playErr = nil
	test.Tap(row(t, h.m.live.spokenView, 0).stamp)
	h.wait("playing")
	h.player.send(desktop.PlaybackEvent{Position: time.Second, Ended: true, Err: errors.New("output device stopped or disappeared")})
	h.wait("playended")
	if top := h.m.win.Canvas().Overlays().Top(); top == nil || !shows(top, "output device stopped") {
		t.Error("no dialog for a playback that failed")
	}
}

func TestSpeakersShownAndRenamed(t *testing.T) {
	h := newHarness(t, "de", nil)
	h.rec.sessionDir = "/data/sessions/2026-03-01_09-30-00"
	h.startRecording()
	say := func(id int, text, speaker string) {
		h.rec.send(live.Event{Segment: &transcript.Segment{ID: id, Text: text, Speaker: speaker, Final: true,
			Start: time.Duration(id) * time.Second}})
	}
	say(0, "Hörst du mich?", transcript.Mic)
	say(1, "Ja, laut und deutlich.", transcript.System)
	say(2, "Gut.", transcript.Mic)
	v := h.m.live.spokenView
	for i, want := range []string{"Ich", "Andere", "Ich"} {
		if r := row(t, v, i); !r.speaker.Visible() || r.speaker.Text != want {
			t.Errorf("line %d: speaker %q (shown %v), want %q", i, r.speaker.Text, r.speaker.Visible(), want)
		}
	}
	if row(t, v, 0).speaker.Importance == row(t, v, 1).speaker.Importance {
		t.Error("both speakers look the same")
	}

	test.Tap(row(t, v, 1).speaker)
	h.wait("asking")
	h.answer("  Alice  ", "Speichern")
	h.wait("renamed")
	if got := row(t, v, 1).speaker.Text; got != "Alice" {
		t.Errorf("renamed speaker shows %q", got)
	}
	if got := row(t, v, 0).speaker.Text; got != "Ich" {
		t.Errorf("the other speaker became %q", got)
	}
	if want := [][2]string{{transcript.System, "Alice"}}; !reflect.DeepEqual(h.rec.renames, want) {
		t.Errorf("recorder renames %v, want %v", h.rec.renames, want)
	}
	// A line of the other side still on its way takes the new name too.
	say(3, "Lass uns anfangen.", transcript.System)
	if got := row(t, v, 3).speaker.Text; got != "Alice" {
		t.Errorf("a later line of the renamed speaker shows %q", got)
	}
	// Two speakers cannot take one name.
	test.Tap(row(t, v, 0).speaker)
	h.wait("asking")
	h.answer("Alice", "Speichern")
	if top := h.m.win.Canvas().Overlays().Top(); top == nil || !shows(top, "Alice") {
		t.Error("no error for a name another speaker has")
	}
	if got := row(t, v, 0).speaker.Text; got != "Ich" {
		t.Errorf("refused rename changed the line to %q", got)
	}
	if len(h.rec.renames) != 1 {
		t.Errorf("a refused rename reached the recorder: %v", h.rec.renames)
	}
}

// Lines without speakers (one source recorded) show none, and their text has the room.
func TestNoSpeakerNoLabel(t *testing.T) {
	h := newHarness(t, "en", nil)
	h.startRecording()
	h.rec.segment(0, "Just me.", "", true)
	if row(t, h.m.live.spokenView, 0).speaker.Visible() {
		t.Error("a speaker label on a line that names none")
	}
}

func TestRecordingIsIndexedWhenItEnds(t *testing.T) {
	const dir = "/data/sessions/2026-03-01_09-30-00"
	h := newHarness(t, "en", nil)
	h.rec.sessionDir = dir
	h.startRecording()
	h.rec.segment(0, "Something worth finding later.", "", true)
	test.Tap(h.m.live.recordBtn)
	h.waitStopCall()
	h.rec.finish()
	h.wait("stopped")
	h.wait("indexed")
	h.wait("history")
	if !reflect.DeepEqual(h.hist.indexed, []string{dir}) {
		t.Fatalf("indexed %v, want the session", h.hist.indexed)
	}
	if len(h.m.history.entries) != 1 || h.m.history.entries[0].Source != dir {
		t.Errorf("the History tab lists %+v", h.m.history.entries)
	}
}
