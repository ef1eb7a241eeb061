package session

import (
	"bytes"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/verbatim-app/verbatim/app/transcript"
	"github.com/verbatim-app/verbatim/capture/audiofile"
)

func speakers(segs []transcript.Segment) []string {
	var out []string
	for _, s := range segs {
		out = append(out, s.Speaker)
	}
	return out
}

// Two sources: the microphone in audio.wav, the system audio in system.wav, created by its first
// write; both survive Close and a crash, and a reopened session appends to both.
func TestSystemAudioTrack(t *testing.T) {
	root := t.TempDir()
	s, err := Create(root)
	if err != nil {
		t.Fatal(err)
	}
	if s.SystemAudioPath() != "" {
		t.Errorf("system.wav before any system audio: %s", s.SystemAudioPath())
	}
	s.WriteAudio(pattern(0, 16000))
	if err := s.WriteSystemAudio(pattern(systemShift, 8000)); err != nil {
		t.Fatal(err)
	}
	if err := s.AppendSegment(spoken(0, true)); err != nil { // syncs both files
		t.Fatal(err)
	}
	// A crash with a torn sample at the end of the system audio.
	s.system.f.WriteAt([]byte{0x11}, hdrSize+s.system.bytes)
	dir := s.Dir()
	if err := s.Abandon(); err != nil {
		t.Fatal(err)
	}
	infos, err := Recover(root)
	if err != nil || len(infos) != 1 {
		t.Fatalf("Recover: %+v, %v", infos, err)
	}
	if infos[0].SystemAudioPath != filepath.Join(dir, "system.wav") {
		t.Fatalf("recovered %+v: no system audio", infos[0])
	}
	again, err := Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	again.WriteSystemAudio(pattern(systemShift+8000, 8000))
	if err := again.Close(); err != nil {
		t.Fatal(err)
	}
	info, err := Load(dir)
	if err != nil {
		t.Fatal(err)
	}
	if info.AudioDuration != time.Second || !info.Complete {
		t.Errorf("loaded %+v", info)
	}
	a, err := audiofile.DecodeFile(info.SystemAudioPath)
	if err != nil {
		t.Fatal(err)
	}
	want := pattern(systemShift, 16000)
	if len(a.Samples) != len(want) {
		t.Fatalf("system.wav holds %d samples, want %d", len(a.Samples), len(want))
	}
	for i := range want {
		if d := a.Samples[i] - want[i]; d > 1.0/32768 || d < -1.0/32768 {
			t.Fatalf("system sample %d: %v, want %v", i, a.Samples[i], want[i])
		}
	}
	if got := speakers(info.Segments); len(got) != 1 || got[0] != "You" {
		t.Errorf("speakers %v", got)
	}
}

// A session that recorded only silence of the system audio (zero samples) is still removed when
// nothing else was kept; one with system audio is kept.
func TestSystemAudioAloneIsKept(t *testing.T) {
	root := t.TempDir()
	s, _ := Create(root)
	s.WriteSystemAudio(nil)
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	if entries, _ := os.ReadDir(root); len(entries) != 0 {
		t.Errorf("an empty session left %v", entries)
	}
	s, _ = Create(root)
	s.WriteSystemAudio(pattern(0, 160))
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	if infos, _ := List(root); len(infos) != 1 || infos[0].SystemAudioPath == "" {
		t.Errorf("a session with system audio was not kept: %+v", infos)
	}
}

func TestRenameSpeakerWhileRecording(t *testing.T) {
	root := t.TempDir()
	s, err := Create(root)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Abandon()
	dir := s.Dir()
	// Provisional and final lines, a translation, lines of both speakers.
	for _, seg := range []transcript.Segment{spoken(0, false), spoken(0, true), spoken(1, false), spoken(1, true),
		{ID: 1, Lang: "es", Text: "hola", Final: true, Speaker: transcript.System}, spoken(2, true)} {
		if err := s.AppendSegment(seg); err != nil {
			t.Fatal(err)
		}
	}
	n, err := s.RenameSpeaker(transcript.System, " Alice ")
	if err != nil || n != 2 {
		t.Fatalf("RenameSpeaker = %d, %v; want 2 lines", n, err)
	}
	// A line of the renamed speaker still on its way takes the new name, in memory and on disk.
	if err := s.AppendSegment(spoken(3, true)); err != nil {
		t.Fatal(err)
	}
	want := []string{"You", "Alice", "Alice", "You", "Alice"}
	if got := speakers(s.Segments()); strings.Join(got, ",") != strings.Join(want, ",") {
		t.Errorf("in memory: %v, want %v", got, want)
	}
	// Still recorded by us: locked, not offered for recovery, not renamed from outside.
	if !InUse(dir) {
		t.Error("the rewritten journal is not locked")
	}
	if infos, _ := Recover(root); len(infos) != 0 {
		t.Errorf("a session being recorded was offered for recovery after a rename")
	}
	if _, err := RenameSpeaker(dir, "Alice", "Bob"); !errors.Is(err, ErrInUse) {
		t.Errorf("RenameSpeaker of a session being recorded: %v, want ErrInUse", err)
	}
	if entries, _ := filepath.Glob(filepath.Join(dir, "*.rename")); len(entries) != 0 {
		t.Errorf("left %v", entries)
	}
	// Renamed again, then a crash: the journal on disk has every line under the newest name.
	if n, err := s.RenameSpeaker("Alice", "Alicia"); err != nil || n != 3 {
		t.Fatalf("second RenameSpeaker = %d, %v", n, err)
	}
	if err := s.AppendSegment(spoken(5, true)); err != nil {
		t.Fatal(err)
	}
	if err := s.Abandon(); err != nil {
		t.Fatal(err)
	}
	infos, err := Recover(root)
	if err != nil || len(infos) != 1 {
		t.Fatalf("Recover: %+v, %v", infos, err)
	}
	want = []string{"You", "Alicia", "Alicia", "You", "Alicia", "Alicia"}
	if got := speakers(infos[0].Segments); strings.Join(got, ",") != strings.Join(want, ",") {
		t.Errorf("recovered: %v, want %v", got, want)
	}
	b, _ := os.ReadFile(filepath.Join(dir, journalName))
	if bytes.Contains(b, []byte(`"Others"`)) || bytes.Contains(b, []byte(`"Alice"`)) {
		t.Errorf("an old name is left in the journal:\n%s", b)
	}
	// Refused: another speaker's name.
	again, err := Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := again.RenameSpeaker("Alicia", "You"); err == nil {
		t.Error("renamed a speaker to another's name")
	}
	again.Close()
}

func TestRenameSpeakerOfAFinishedSession(t *testing.T) {
	root := t.TempDir()
	s, err := Create(root)
	if err != nil {
		t.Fatal(err)
	}
	for i := 0; i < 4; i++ {
		s.AppendSegment(spoken(i, true))
	}
	dir := s.Dir()
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(dir, journalName)
	// What this version cannot read is kept as it is: an unknown field, a line that is not JSON, a
	// torn last line.
	f, _ := os.OpenFile(path, os.O_APPEND|os.O_WRONLY, 0)
	f.WriteString(`{"id":9,"text":"from the future","final":true,"speaker":"Others","mood":"glad"}` + "\n" + "not json\n" + `{"id":10,"spea`)
	f.Close()
	n, err := RenameSpeaker(dir, "Others", "Bob")
	if err != nil || n != 3 {
		t.Fatalf("RenameSpeaker = %d, %v; want 3", n, err)
	}
	b, _ := os.ReadFile(path)
	for _, part := range []string{`"mood":"glad"`, "\nnot json\n", `{"id":10,"spea`} {
		if !bytes.Contains(b, []byte(part)) {
			t.Errorf("journal lost %q:\n%s", part, b)
		}
	}
	info, err := Load(dir)
	if err != nil {
		t.Fatal(err)
	}
	want := []string{"You", "Bob", "You", "Bob", "Bob"}
	if got := speakers(info.Segments); strings.Join(got, ",") != strings.Join(want, ",") {
		t.Errorf("speakers %v, want %v", got, want)
	}
	if st, _ := os.Stat(path); st.Mode().Perm() != fileMode {
		t.Errorf("journal mode %v", st.Mode().Perm())
	}
	for _, tc := range []struct{ from, to string }{{"Bob", "You"}, {"Bob", ""}, {"", "Bob"}} {
		if _, err := RenameSpeaker(dir, tc.from, tc.to); err == nil {
			t.Errorf("RenameSpeaker(%q, %q) succeeded", tc.from, tc.to)
		}
	}
	if n, err := RenameSpeaker(dir, "Nobody", "Carol"); err != nil || n != 0 {
		t.Errorf("renaming a speaker who said nothing: %d, %v", n, err)
	}
	if _, err := RenameSpeaker(filepath.Join(root, "missing"), "Bob", "Carol"); err == nil {
		t.Error("renamed in a missing session")
	}
}

func TestRenameInJournal(t *testing.T) {
	for _, tc := range []struct {
		in, want string
		n        int
	}{
		{"", "", 0},
		{`{"id":0,"speaker":"Others"}` + "\n", `{"id":0,"speaker":"Al \"x\""}` + "\n", 1},
		{`{"id":0,"speaker":"You"}` + "\n" + `{"id":1}` + "\n", `{"id":0,"speaker":"You"}` + "\n" + `{"id":1}` + "\n", 0},
		{"garbage\n\n" + `{"speaker":"Others"`, "garbage\n\n" + `{"speaker":"Others"`, 0},
		{`{"speaker":42}` + "\n", `{"speaker":42}` + "\n", 0},
	} {
		got, n := renameInJournal([]byte(tc.in), "Others", `Al "x"`)
		if string(got) != tc.want || n != tc.n {
			t.Errorf("renameInJournal(%q) = %q, %d; want %q, %d", tc.in, got, n, tc.want, tc.n)
		}
	}
}
