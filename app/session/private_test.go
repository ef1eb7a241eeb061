//go:build unix

package session

import (
	"encoding/binary"
	"fmt"
	"os"
	"path/filepath"
	"syscall"
	"testing"

	"github.com/verbatim-app/verbatim/app/transcript"
)

// Recordings are private whatever the umask: a permissive one must not widen them, and one that takes
// the owner's own write bit must not break recording.
func TestSessionsArePrivateWhateverTheUmask(t *testing.T) {
	for _, umask := range []int{0o022, 0o000, 0o277} {
		t.Run(fmt.Sprintf("umask %03o", umask), func(t *testing.T) {
			root := filepath.Join(t.TempDir(), "sessions")
			old := syscall.Umask(umask)
			defer syscall.Umask(old)
			s, err := Create(root)
			if err != nil {
				t.Fatal(err)
			}
			if err := s.WriteAudio(pattern(0, 1600)); err != nil {
				t.Fatal(err)
			}
			if err := s.AppendSegment(seg(0, true)); err != nil {
				t.Fatal(err)
			}
			if err := s.Close(); err != nil {
				t.Fatal(err)
			}
			checkModes(t, root, s.Dir())
		})
	}
}

// A session recorded by an older version (0755/0644) is made private when it is repaired.
func TestRepairMakesOldSessionsPrivate(t *testing.T) {
	root := t.TempDir()
	s, err := Create(root)
	if err != nil {
		t.Fatal(err)
	}
	s.WriteAudio(pattern(0, 1600))
	s.AppendSegment(seg(0, true))
	s.Abandon()
	os.Chmod(s.Dir(), 0o755)
	for _, n := range []string{audioName, journalName, metaName} {
		os.Chmod(filepath.Join(s.Dir(), n), 0o644)
	}
	if infos, err := Recover(root); err != nil || len(infos) != 1 {
		t.Fatalf("Recover: %v, %v", infos, err)
	}
	checkModes(t, "", s.Dir())
}

func checkModes(t *testing.T, root, dir string) {
	t.Helper()
	want := map[string]os.FileMode{dir: 0o700, filepath.Join(dir, audioName): 0o600, filepath.Join(dir, journalName): 0o600}
	if root != "" {
		want[root] = 0o700
		want[filepath.Join(dir, metaName)] = 0o600
	}
	for p, m := range want {
		st, err := os.Stat(p)
		if err != nil {
			t.Fatal(err)
		}
		if st.Mode().Perm() != m {
			t.Errorf("%s: mode %03o, want %03o", p, st.Mode().Perm(), m)
		}
	}
}

// After a kill -9 (Abandon) between two syncs the WAV header already states every sample written: the
// file plays as it is, before any repair.
func TestHeaderFollowsTheDataBetweenSyncs(t *testing.T) {
	for _, chunks := range []int{1, 3, 25} { // 25 × 100 ms: two syncs by size, then 5 chunks more
		t.Run(fmt.Sprint(chunks), func(t *testing.T) {
			s, err := Create(t.TempDir())
			if err != nil {
				t.Fatal(err)
			}
			for i := range chunks {
				if err := s.WriteAudio(pattern(i*1600, 1600)); err != nil {
					t.Fatal(err)
				}
			}
			s.Abandon()
			b, err := os.ReadFile(s.AudioPath())
			if err != nil {
				t.Fatal(err)
			}
			data := int64(len(b) - hdrSize)
			riff, sub := binary.LittleEndian.Uint32(b[4:8]), binary.LittleEndian.Uint32(b[40:44])
			if int64(sub) != data || int64(riff) != data+hdrSize-8 {
				t.Errorf("header states %d data bytes (RIFF %d); the file holds %d", sub, riff, data)
			}
		})
	}
}

// A session in which nothing was recorded (the microphone never opened) leaves no folder behind.
func TestEmptySessionLeavesNoFolder(t *testing.T) {
	root := t.TempDir()
	s, err := Create(root)
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	if entries, _ := os.ReadDir(root); len(entries) != 0 {
		t.Errorf("left %v", entries)
	}
	// A session with only a transcript line is kept.
	s, _ = Create(root)
	s.AppendSegment(transcript.Segment{ID: 1, Text: "hi", Final: true})
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	if infos, _ := List(root); len(infos) != 1 {
		t.Errorf("a session with text was not kept: %+v", infos)
	}
}

func TestFindRemove(t *testing.T) {
	root := t.TempDir()
	s, err := Create(root)
	if err != nil {
		t.Fatal(err)
	}
	s.WriteAudio(pattern(0, 1600))
	id := filepath.Base(s.Dir())
	if err := os.Mkdir(filepath.Join(root, "not-a-session"), 0o700); err != nil {
		t.Fatal(err)
	}
	for _, bad := range []string{"", ".", "..", "../" + id, "/etc", id + "/..", "not-a-session", "missing"} {
		if dir, err := Find(root, bad); err == nil {
			t.Errorf("Find(%q) = %s, want an error", bad, dir)
		}
	}
	dir, err := Find(root, id)
	if err != nil || dir != s.Dir() {
		t.Fatalf("Find(%q) = %q, %v", id, dir, err)
	}
	if err := Remove(dir); err == nil {
		t.Error("removed a session being recorded")
	}
	s.Abandon()
	if err := Remove(dir); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(dir); !os.IsNotExist(err) {
		t.Errorf("still there: %v", err)
	}
}
