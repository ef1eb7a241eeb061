package session

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"

	"github.com/verbatim-app/verbatim/app/transcript"
)

// EditSegment replaces the text of the line with id and lang by what a person wrote (see
// transcript.Store.Edit) in the session being recorded, and returns the line as it is now. The edit is a
// line of its own in the journal — the whole segment, marked edited — fsync'd before this returns, so a
// crash keeps it and Load replays it over what the model said, before and after.
func (s *Session) EditSegment(id int, lang, text string) (transcript.Segment, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return transcript.Segment{}, fmt.Errorf("session: edit line %d: %w", id, ErrClosed)
	}
	seg, err := s.segments.Edit(id, lang, text)
	if err != nil {
		return seg, fmt.Errorf("session: %w", err)
	}
	n, err := appendEdit(s.journal, s.journalBytes, seg, s.journalPath())
	s.journalBytes += n
	return seg, err
}

// ErrClosed means the session is no longer being recorded: edit it on disk (EditSegment) instead.
var ErrClosed = errors.New("the session is closed")

// EditSegment edits a line of the session in dir that is not being recorded (ErrInUse when it is: edit
// through its Session), appending the edit to its journal.
func EditSegment(dir string, id int, lang, text string) (transcript.Segment, error) {
	path := filepath.Join(dir, journalName)
	f, err := os.OpenFile(path, os.O_RDWR, 0)
	if err != nil {
		return transcript.Segment{}, fmt.Errorf("session: edit line %d: %w", id, err)
	}
	defer f.Close()
	if err := lockJournal(f); err != nil {
		if errors.Is(err, ErrInUse) {
			return transcript.Segment{}, fmt.Errorf("%w: %s", ErrInUse, dir)
		}
		return transcript.Segment{}, fmt.Errorf("session: lock %s: %w", path, err)
	}
	segs, good, err := readJournal(path)
	if err != nil {
		return transcript.Segment{}, err
	}
	var st transcript.Store
	for _, seg := range segs {
		st.Put(seg)
	}
	seg, err := st.Edit(id, lang, text)
	if err != nil {
		return seg, fmt.Errorf("session %s: %w", dir, err)
	}
	// After the last whole line: a torn one (a crash) is overwritten, as repair would cut it.
	if err := f.Truncate(good); err != nil {
		return seg, fmt.Errorf("session: edit line %d: %w", id, err)
	}
	_, err = appendEdit(f, good, seg, path)
	return seg, err
}

// appendEdit writes seg as a journal line at offset at of journal and syncs it; it returns the bytes
// written.
func appendEdit(journal *os.File, at int64, seg transcript.Segment, path string) (int64, error) {
	line, err := json.Marshal(seg)
	if err != nil {
		return 0, fmt.Errorf("session: encode line %d: %w", seg.ID, err)
	}
	line = append(line, '\n')
	if n, err := journal.WriteAt(line, at); err != nil {
		if n > 0 {
			_ = journal.Truncate(at)
		}
		return 0, fmt.Errorf("session: write journal %s: %w", path, err)
	}
	if err := journal.Sync(); err != nil {
		return int64(len(line)), fmt.Errorf("session: sync journal %s: %w", path, err)
	}
	return int64(len(line)), nil
}
