package session

import (
	"errors"
	"testing"
	"time"

	"github.com/verbatim-app/verbatim/app/transcript"
)

// A line edited while recording is in the journal: a crash (Abandon) and Recover bring the edit back,
// over the model's line before it and the late update after it.
func TestEditSurvivesCrash(t *testing.T) {
	root := t.TempDir()
	s, err := Create(root)
	if err != nil {
		t.Fatal(err)
	}
	for _, seg := range []transcript.Segment{
		{ID: 0, Text: "helo wrld", Final: false},
		{ID: 1, Text: "second line.", Final: true},
	} {
		if err := s.AppendSegment(seg); err != nil {
			t.Fatal(err)
		}
	}
	if got, err := s.EditSegment(0, "", "Hello, world."); err != nil || got.Text != "Hello, world." || !got.Edited {
		t.Fatalf("EditSegment = %+v, %v", got, err)
	}
	// The model finishes the line after the edit: the edit stays.
	if err := s.AppendSegment(transcript.Segment{ID: 0, Text: "hello world", Final: true}); err != nil {
		t.Fatal(err)
	}
	if _, err := s.EditSegment(7, "", "x"); err == nil {
		t.Error("edited a line that is not there")
	}
	if got := s.Segments(); got[0].Text != "Hello, world." || !got[0].Final {
		t.Errorf("in memory: %+v", got)
	}
	if err := s.Abandon(); err != nil {
		t.Fatal(err)
	}
	if _, err := s.EditSegment(0, "", "y"); !errors.Is(err, ErrClosed) {
		t.Errorf("edit after close: %v, want ErrClosed", err)
	}
	infos, err := Recover(root)
	if err != nil || len(infos) != 1 {
		t.Fatalf("Recover: %v %v", infos, err)
	}
	got := infos[0].Segments
	if len(got) != 2 || got[0].Text != "Hello, world." || !got[0].Edited || got[1].Text != "second line." {
		t.Fatalf("recovered %+v", got)
	}
}

// A session no longer recorded is edited on disk; one being recorded is refused there.
func TestEditClosedSession(t *testing.T) {
	s, err := Create(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	if err := s.AppendSegment(transcript.Segment{ID: 0, Text: "helo", Final: true}); err != nil {
		t.Fatal(err)
	}
	if _, err := EditSegment(s.Dir(), 0, "", "Hello."); !errors.Is(err, ErrInUse) {
		t.Errorf("edit on disk while recording: %v, want ErrInUse", err)
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	if _, err := EditSegment(s.Dir(), 0, "", "Hello."); err != nil {
		t.Fatal(err)
	}
	if _, err := EditSegment(s.Dir(), 3, "", "x"); err == nil {
		t.Error("edited a line that is not there")
	}
	info, err := Load(s.Dir())
	if err != nil {
		t.Fatal(err)
	}
	if len(info.Segments) != 1 || info.Segments[0].Text != "Hello." {
		t.Errorf("after the edit: %+v", info.Segments)
	}
}

// Audio gives back what was written, by time, for the microphone and the system audio apart.
func TestAudioReadBack(t *testing.T) {
	s, err := Create(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	mic := make([]float32, 32000) // 2 s: sample i is i/32000
	for i := range mic {
		mic[i] = float32(i) / 32000
	}
	if err := s.WriteAudio(mic); err != nil {
		t.Fatal(err)
	}
	if got, err := s.Audio(true, 0, time.Second); err != nil || got != nil {
		t.Errorf("system audio of a session without: %v, %v", len(got), err)
	}
	got, err := s.Audio(false, 500*time.Millisecond, 1500*time.Millisecond)
	if err != nil || len(got) != 16000 {
		t.Fatalf("Audio = %d samples, %v", len(got), err)
	}
	if d := got[0] - mic[8000]; d > 1e-4 || d < -1e-4 {
		t.Errorf("first sample %v, want %v", got[0], mic[8000])
	}
	if got, _ := s.Audio(false, 1500*time.Millisecond, 5*time.Second); len(got) != 8000 {
		t.Errorf("past the end: %d samples, want what was written (8000)", len(got))
	}
}
