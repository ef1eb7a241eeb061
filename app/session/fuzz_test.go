package session

import (
	"bytes"
	"os"
	"path/filepath"
	"testing"

	"github.com/verbatim-app/verbatim/capture/audiofile"
)

// FuzzRecover: a session folder whose WAV, journal and metadata were cut or corrupted at any byte (a
// crash, a bad disk, a hand edit) is repaired without a panic: the WAV then decodes, holds every whole
// sample that was there, and the journal yields no more segments than it had lines. Crashers found are
// kept under testdata/fuzz/FuzzRecover/.
func FuzzRecover(f *testing.F) {
	wav, journal, meta := recordedSession(f)
	f.Add(wav, journal, meta)
	f.Add(wav[:len(wav)-1], journal[:len(journal)-7], meta)                 // torn at the end
	f.Add(wav[:hdrSize-3], journal[:1], []byte(`{"complete":false`))        // cut inside the header
	f.Add([]byte{}, []byte("\n\n{}\nnot json\n{\"ID\":1e400}\n"), []byte{}) // empty WAV, odd lines
	bad := bytes.Clone(wav)
	copy(bad[4:8], []byte{0xff, 0xff, 0xff, 0xff})
	copy(bad[40:44], []byte{0xff, 0xff, 0xff, 0x7f})
	f.Add(bad, bytes.ReplaceAll(journal, []byte(`"`), []byte(`'`)), []byte(`{"complete":true}`))
	f.Fuzz(func(t *testing.T, wav, journal, meta []byte) {
		dir := filepath.Join(t.TempDir(), "s")
		if err := os.Mkdir(dir, 0o700); err != nil {
			t.Fatal(err)
		}
		for name, b := range map[string][]byte{audioName: wav, journalName: journal, metaName: meta} {
			if err := os.WriteFile(filepath.Join(dir, name), b, 0o600); err != nil {
				t.Fatal(err)
			}
		}
		info, err := Repair(dir)
		if err != nil {
			t.Fatalf("not repaired: %v", err)
		}
		if lines := bytes.Count(journal, []byte("\n")); len(info.Segments) > lines {
			t.Fatalf("%d segments from a journal of %d lines", len(info.Segments), lines)
		}
		samples := max(0, len(wav)-hdrSize) / 2
		if info.AudioDuration != bytesToDuration(int64(2*samples)) {
			t.Fatalf("repaired audio lasts %v; the file had %d samples", info.AudioDuration, samples)
		}
		if samples > 0 { // the decoder rightly refuses a WAV with no samples at all
			a, err := audiofile.DecodeFile(info.AudioPath)
			if err != nil {
				t.Fatalf("the repaired WAV does not decode: %v", err)
			}
			if len(a.Samples) != samples {
				t.Fatalf("repaired WAV: %d samples, the file had %d", len(a.Samples), samples)
			}
		}
		// Repaired means stable: reopening for recording (which repairs again) sees the same session.
		// Abandon, not Close: the check is the reopening, and each fsync costs the fuzzer dearly.
		s, err := Open(dir)
		if err != nil {
			t.Fatalf("reopening the repaired session: %v", err)
		}
		defer s.Abandon()
		if n, d := len(s.Segments()), s.AudioDuration(); n != len(info.Segments) || d != info.AudioDuration {
			t.Fatalf("reopened: %d segments, %v; repaired: %d, %v", n, d, len(info.Segments), info.AudioDuration)
		}
	})
}

// recordedSession is the files of a real session: audio, and provisional and final segments.
func recordedSession(f *testing.F) (wav, journal, meta []byte) {
	root := f.TempDir()
	s, err := Create(root)
	if err != nil {
		f.Fatal(err)
	}
	s.WriteAudio(pattern(0, 800))
	s.AppendSegment(seg(0, false))
	s.AppendSegment(seg(0, true))
	s.AppendSegment(seg(1, true))
	if err := s.Abandon(); err != nil {
		f.Fatal(err)
	}
	read := func(name string) []byte {
		b, err := os.ReadFile(filepath.Join(s.Dir(), name))
		if err != nil {
			f.Fatal(err)
		}
		return b
	}
	return read(audioName), read(journalName), read(metaName)
}
