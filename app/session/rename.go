package session

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"runtime"

	"github.com/verbatim-app/verbatim/app/transcript"
)

// RenameSpeaker gives the speaker from (a label such as transcript.System, "Others", or a name given
// before) the name to, on every line of the session being recorded and on every line appended from
// now on, and returns how many lines changed (see transcript.Store.RenameSpeaker for what is refused).
// The journal is replaced whole, atomically: a crash leaves either the old names or the new ones.
//
// On a disk error the lines already in the journal keep the old name there, while Segments and the
// lines appended later have the new one; nothing is lost either way.
func (s *Session) RenameSpeaker(from, to string) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	n, err := s.segments.RenameSpeaker(from, to)
	if err != nil || n == 0 || s.closed {
		// No line to change on disk (a closed session's journal is renamed by the package's RenameSpeaker).
		return n, err
	}
	to, _ = transcript.CleanSpeaker(to) // as the Store took it
	data := make([]byte, s.journalBytes)
	if _, err := s.journal.ReadAt(data, 0); err != nil {
		return n, fmt.Errorf("session: rename speaker: read %s: %w", s.journalPath(), err)
	}
	data, _ = renameInJournal(data, from, to)
	f, err := replaceJournal(s.journal, filepath.Join(s.dir, journalName), data)
	if err != nil {
		return n, err
	}
	s.journal, s.journalBytes = f, int64(len(data))
	return n, nil
}

// RenameSpeaker renames a speaker in the session in dir that is not being recorded (ErrInUse when it
// is: rename through its Session), and returns how many lines changed. The journal is replaced whole,
// atomically.
func RenameSpeaker(dir, from, to string) (int, error) {
	path := filepath.Join(dir, journalName)
	f, err := os.OpenFile(path, os.O_RDWR, 0)
	if err != nil {
		return 0, fmt.Errorf("session: rename speaker: %w", err)
	}
	defer func() { f.Close() }()
	// Held until the new journal has its name: no Verbatim starts recording into the session meanwhile.
	if err := lockJournal(f); err != nil {
		if errors.Is(err, ErrInUse) {
			return 0, fmt.Errorf("%w: %s", ErrInUse, dir)
		}
		return 0, fmt.Errorf("session: lock %s: %w", path, err)
	}
	segs, _, err := readJournal(path)
	if err != nil {
		return 0, err
	}
	var check transcript.Store
	for _, seg := range segs {
		check.Put(seg)
	}
	n, err := check.RenameSpeaker(from, to)
	if err != nil || n == 0 {
		return n, err
	}
	to, _ = transcript.CleanSpeaker(to) // as the Store took it
	data, err := os.ReadFile(path)
	if err != nil {
		return 0, fmt.Errorf("session: rename speaker: %w", err)
	}
	data, _ = renameInJournal(data, from, to)
	nf, err := replaceJournal(f, path, data)
	if err != nil {
		return 0, err
	}
	f = nf
	return n, nil
}

// renameInJournal returns journal with the speaker from renamed to on every segment line, and how many
// lines it changed. Every other byte is kept: lines that do not parse, fields this version does not
// know, a torn last line.
func renameInJournal(journal []byte, from, to string) ([]byte, int) {
	out := make([]byte, 0, len(journal)+64)
	n := 0
	for len(journal) > 0 {
		i := bytes.IndexByte(journal, '\n')
		if i < 0 {
			out = append(out, journal...) // torn: repair cuts it, not this
			break
		}
		line := journal[:i]
		journal = journal[i+1:]
		if renamed, ok := renameLine(line, from, to); ok {
			line = renamed
			n++
		}
		out = append(append(out, line...), '\n')
	}
	return out, n
}

// renameLine renames the speaker of one journal line if it is from.
func renameLine(line []byte, from, to string) ([]byte, bool) {
	var fields map[string]json.RawMessage
	if json.Unmarshal(line, &fields) != nil {
		return nil, false
	}
	var speaker string
	if raw, ok := fields["speaker"]; !ok || json.Unmarshal(raw, &speaker) != nil || speaker != from {
		return nil, false
	}
	name, err := json.Marshal(to)
	if err != nil {
		return nil, false
	}
	fields["speaker"] = name
	out, err := json.Marshal(fields)
	if err != nil {
		return nil, false
	}
	return out, true
}

// replaceJournal puts data in place of the journal old at path: written to a temporary file beside it, locked,
// synced, then renamed over it, so that a crash leaves the old journal or the new one and the session
// is never without a locked journal while it is recorded. It returns the new journal, open and locked;
// old is closed. On an error old is left as it was, open and locked.
func replaceJournal(old *os.File, path string, data []byte) (*os.File, error) {
	tmp := path + ".rename"
	f, err := openPrivate(tmp, os.O_RDWR|os.O_CREATE|os.O_TRUNC)
	if err != nil {
		return nil, fmt.Errorf("session: rename speaker: %w", err)
	}
	fail := func(err error) (*os.File, error) {
		f.Close()
		os.Remove(tmp)
		return nil, fmt.Errorf("session: rename speaker: write %s: %w", tmp, err)
	}
	if err := lockJournal(f); err != nil {
		return fail(err)
	}
	if _, err := f.Write(data); err != nil {
		return fail(err)
	}
	if err := f.Sync(); err != nil {
		return fail(err)
	}
	if runtime.GOOS == "windows" {
		old.Close() // Windows renames nothing over an open file (and has no lock to keep)
	}
	if err := os.Rename(tmp, path); err != nil {
		return fail(err)
	}
	syncDir(filepath.Dir(path))
	old.Close()
	return f, nil
}
