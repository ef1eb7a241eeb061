package session

import (
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/verbatim-app/verbatim/app/transcript"
	"github.com/verbatim-app/verbatim/capture/audiofile"
	"github.com/verbatim-app/verbatim/tools/testenv"
)

// pattern is deterministic audio whose samples identify their position, so a recovered file can be
// checked sample by sample.
func pattern(from, n int) []float32 {
	x := make([]float32, n)
	for i := range x {
		x[i] = float32((from+i)%2000-1000) / 2000
	}
	return x
}

func seg(id int, final bool) transcript.Segment {
	return transcript.Segment{ID: id, Start: time.Duration(id) * time.Second, End: time.Duration(id+1) * time.Second,
		Text: fmt.Sprintf("segment %d", id), Final: final}
}

func TestRecordCloseLoad(t *testing.T) {
	root := t.TempDir()
	s, err := Create(root)
	if err != nil {
		t.Fatal(err)
	}
	for i := 0; i < 10; i++ {
		if err := s.WriteAudio(pattern(i*1600, 1600)); err != nil {
			t.Fatal(err)
		}
	}
	s.AppendSegment(seg(0, false))
	s.AppendSegment(seg(0, true)) // replaces the provisional text
	s.AppendSegment(seg(1, true))
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	if infos, err := Recover(root); err != nil || len(infos) != 0 {
		t.Fatalf("Recover after Close: %v, %v", infos, err)
	}
	info, err := Load(s.Dir())
	if err != nil {
		t.Fatal(err)
	}
	if !info.Complete || info.AudioDuration != time.Second || len(info.Segments) != 2 || !info.Segments[0].Final {
		t.Fatalf("loaded %+v", info)
	}
	// The WAV is well-formed and holds exactly what was written.
	a, err := audiofile.DecodeFile(info.AudioPath)
	if err != nil {
		t.Fatal(err)
	}
	want := pattern(0, 16000)
	for i := range want {
		if d := a.Samples[i] - want[i]; d > 1.0/32768 || d < -1.0/32768 {
			t.Fatalf("sample %d: %v, want %v", i, a.Samples[i], want[i])
		}
	}
	if all, _ := List(root); len(all) != 1 {
		t.Errorf("List: %d sessions", len(all))
	}
}

func TestOpenRepairsAndContinues(t *testing.T) {
	root := t.TempDir()
	s, _ := Create(root)
	s.WriteAudio(pattern(0, 8000))
	s.AppendSegment(seg(0, true))
	// Simulate a crash mid-write: an odd byte after the audio, a torn journal line, no Close.
	s.audio.f.WriteAt([]byte{0x7f}, hdrSize+s.audio.bytes)
	s.journal.WriteAt([]byte(`{"id":1,"text":"torn`), s.journalBytes)
	s.closeFiles()

	infos, err := Recover(root)
	if err != nil || len(infos) != 1 {
		t.Fatalf("Recover: %v, %v", infos, err)
	}
	if infos[0].AudioDuration != 500*time.Millisecond || len(infos[0].Segments) != 1 {
		t.Fatalf("recovered %+v", infos[0])
	}
	s2, err := Open(infos[0].Dir)
	if err != nil {
		t.Fatal(err)
	}
	s2.WriteAudio(pattern(8000, 8000))
	s2.AppendSegment(seg(1, true))
	if err := s2.Close(); err != nil {
		t.Fatal(err)
	}
	info, _ := Load(infos[0].Dir)
	if !info.Complete || info.AudioDuration != time.Second || len(info.Segments) != 2 {
		t.Fatalf("after reopening: %+v", info)
	}
	a, err := audiofile.DecodeFile(info.AudioPath)
	if err != nil || len(a.Samples) != 16000 {
		t.Fatalf("audio after reopening: %d samples, %v", len(a.Samples), err)
	}
}

func TestUnwritableFolder(t *testing.T) {
	file := filepath.Join(t.TempDir(), "a-file")
	os.WriteFile(file, nil, 0o644)
	_, err := Create(filepath.Join(file, "sessions"))
	if err == nil || !strings.Contains(err.Error(), "a-file") {
		t.Fatalf("got %v, want an error naming the path", err)
	}
}

func TestFullDiskKeepsText(t *testing.T) {
	full, err := os.OpenFile("/dev/full", os.O_RDWR, 0)
	if err != nil {
		testenv.Unavailable(t, "no /dev/full: %v", err)
	}
	full2, _ := os.OpenFile("/dev/full", os.O_RDWR, 0)
	s, err := Create(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	s.audio.f.Close()
	s.journal.Close()
	s.audio.f, s.journal = full, full2 // every write now fails with ENOSPC
	err = s.AppendSegment(seg(0, true))
	if !errors.Is(err, syscall.ENOSPC) || !strings.Contains(err.Error(), "journal") {
		t.Errorf("AppendSegment on a full disk: %v", err)
	}
	if err := s.WriteAudio(pattern(0, 1600)); !errors.Is(err, syscall.ENOSPC) {
		t.Errorf("WriteAudio on a full disk: %v", err)
	}
	if got := s.Segments(); len(got) != 1 || got[0].Text != "segment 0" {
		t.Errorf("text lost: %+v", got)
	}
	if err := s.Close(); err == nil {
		t.Error("Close on a full disk succeeded")
	}
	if info, _ := Load(s.Dir()); info.Complete {
		t.Error("session marked complete although the flush failed")
	}
}

// The crash test: a child process (this test binary, re-executed) records in real time and reports
// what it has written; the parent kills it with SIGKILL and recovers the session.
const childEnv = "VERBATIM_SESSION_CHILD_ROOT"

func TestMain(m *testing.M) {
	if root := os.Getenv(childEnv); root != "" {
		child(root)
		return
	}
	os.Exit(m.Run())
}

func child(root string) {
	s, err := Create(root)
	if err != nil {
		fmt.Println("error", err)
		os.Exit(1)
	}
	fmt.Println("dir", s.Dir())
	const chunk = 1600 // 100 ms
	for i := 0; ; i++ {
		if err := s.WriteAudio(pattern(i*chunk, chunk)); err != nil {
			fmt.Println("error", err)
			os.Exit(1)
		}
		// A meeting: the computer's sound too, and lines of two speakers.
		if err := s.WriteSystemAudio(pattern(systemShift+i*chunk, chunk)); err != nil {
			fmt.Println("error", err)
			os.Exit(1)
		}
		fmt.Println("audio", (i+1)*chunk)
		if i%5 == 4 {
			if err := s.AppendSegment(spoken(i/5, true)); err != nil {
				fmt.Println("error", err)
				os.Exit(1)
			}
			fmt.Println("segment", i/5)
		}
		time.Sleep(20 * time.Millisecond) // 5× real time: quick, and still many syncs apart
	}
}

// systemShift tells the system audio's pattern from the microphone's.
const systemShift = 700

// spoken is segment id said by "You" (even IDs) or "Others" (odd).
func spoken(id int, final bool) transcript.Segment {
	s := seg(id, final)
	s.Speaker = [...]string{transcript.Mic, transcript.System}[id%2]
	return s
}

func TestKill9LosesAtMostOneSecond(t *testing.T) {
	root := t.TempDir()
	cmd := exec.Command(os.Args[0], "-test.run=^$")
	cmd.Env = append(os.Environ(), childEnv+"="+root)
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	defer cmd.Process.Kill()
	p := testenv.ReadProgress(t, out, func(p testenv.Progress) bool {
		return p.Audio >= 5*16000+4800 // 5.3 s: mid-way between syncs
	})
	dir, written, segments := p.Dir, p.Audio, p.Segments
	if err := cmd.Process.Signal(syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	cmd.Wait()

	infos, err := Recover(root)
	if err != nil || len(infos) != 1 {
		t.Fatalf("Recover: %v, %v", infos, err)
	}
	info := infos[0]
	if info.Dir != dir {
		t.Errorf("recovered %s, child wrote %s", info.Dir, dir)
	}
	got := int(info.AudioDuration * 16000 / time.Second)
	t.Logf("child reported %d samples and %d segments; recovered %d samples (%v) and %d segments",
		written, segments, got, info.AudioDuration, len(info.Segments))
	if got < written-16000 {
		t.Errorf("recovered %d samples, the child had written %d: lost more than a second", got, written)
	}
	if len(info.Segments) < segments {
		t.Errorf("recovered %d segments, the child had synced %d", len(info.Segments), segments)
	}
	for i, s := range info.Segments {
		if s != spoken(i, true) {
			t.Errorf("segment %d recovered as %+v, want %+v", i, s, spoken(i, true))
		}
	}
	if info.SystemAudioPath == "" {
		t.Fatal("the system audio was not recovered")
	}
	for _, f := range []struct {
		path  string
		shift int
	}{{info.AudioPath, 0}, {info.SystemAudioPath, systemShift}} {
		a, err := audiofile.DecodeFile(f.path)
		if err != nil {
			t.Fatal(err)
		}
		if len(a.Samples) < written-16000 {
			t.Errorf("%s: recovered %d samples, the child had written %d", f.path, len(a.Samples), written)
		}
		want := pattern(f.shift, len(a.Samples))
		for i := range want {
			if d := a.Samples[i] - want[i]; d > 1.0/32768 || d < -1.0/32768 {
				t.Fatalf("%s: recovered sample %d: %v, want %v", f.path, i, a.Samples[i], want[i])
			}
		}
	}
}

func TestTranslationsKeptBesideTranscript(t *testing.T) {
	root := t.TempDir()
	s, err := Create(root)
	if err != nil {
		t.Fatal(err)
	}
	for _, seg := range []transcript.Segment{
		{ID: 1, Text: "Hello.", Final: true},
		{ID: 1, Text: "Hola.", Lang: "es", Final: true},
		{ID: 1, Text: "Hello there.", Final: true}, // replaces the transcript, not the translation
	} {
		if err := s.AppendSegment(seg); err != nil {
			t.Fatal(err)
		}
	}
	dir := s.Dir()
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	loaded, err := Load(dir)
	if err != nil {
		t.Fatal(err)
	}
	got := loaded.Segments
	if len(got) != 2 || got[0].Text != "Hello there." || got[1].Lang != "es" || got[1].Text != "Hola." {
		t.Fatalf("segments after reload: %+v", got)
	}
}

func TestSessionBeingRecordedIsNotRecovered(t *testing.T) {
	root := t.TempDir()
	live, err := Create(root)
	if err != nil {
		t.Fatal(err)
	}
	if err := live.AppendSegment(transcript.Segment{ID: 1, Text: "still talking", Final: true}); err != nil {
		t.Fatal(err)
	}
	if got, err := Recover(root); err != nil || len(got) != 0 {
		t.Fatalf("a session still being recorded was offered for recovery: %v %v", got, err)
	}
	if _, err := Open(live.Dir()); !errors.Is(err, ErrInUse) {
		t.Fatalf("opening a session being recorded: %v, want ErrInUse", err)
	}
	if err := live.Abandon(); err != nil {
		t.Fatal(err)
	}
	got, err := Recover(root)
	if err != nil || len(got) != 1 || len(got[0].Segments) != 1 {
		t.Fatalf("after the recorder went away: %+v %v", got, err)
	}
}

// A late provisional segment never undoes a final one: not in memory, not when the journal (which
// keeps every line) is replayed on reload or reopening.
func TestFinalNeverRevertsInMemoryOrReplay(t *testing.T) {
	root := t.TempDir()
	s, err := Create(root)
	if err != nil {
		t.Fatal(err)
	}
	for _, seg := range []transcript.Segment{
		{ID: 0, Text: "hel"},
		{ID: 0, Text: "Hello.", Final: true},
		{ID: 0, Text: "Hola.", Lang: "es", Final: true},
		{ID: 1, Text: "wor"},
		{ID: 0, Text: "hel again"}, // late: ignored
		{ID: 1, Text: "World.", Final: true},
	} {
		if err := s.AppendSegment(seg); err != nil {
			t.Fatal(err)
		}
	}
	want := []transcript.Segment{{ID: 0, Text: "Hello.", Final: true}, {ID: 0, Text: "Hola.", Lang: "es", Final: true},
		{ID: 1, Text: "World.", Final: true}}
	check := func(what string, got []transcript.Segment) {
		t.Helper()
		if fmt.Sprint(got) != fmt.Sprint(want) {
			t.Errorf("%s: %+v, want %+v", what, got, want)
		}
	}
	check("in memory", s.Segments())
	if err := s.Abandon(); err != nil {
		t.Fatal(err)
	}
	info, err := Load(s.Dir())
	if err != nil {
		t.Fatal(err)
	}
	check("loaded", info.Segments)
	again, err := Open(s.Dir())
	if err != nil {
		t.Fatal(err)
	}
	defer again.Close()
	check("reopened", again.Segments())
}
