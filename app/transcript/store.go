package transcript

import (
	"errors"
	"fmt"
	"strings"
)

// Store is a transcript in the order its lines first arrived, each line keyed by (ID, Lang): a segment
// with the key of an earlier one replaces it in place, so an utterance's provisional text becomes its
// final text and its translations sit beside it under the same ID. The zero Store is empty and ready.
//
// A Store is not safe for concurrent use: a session guards its own with its lock, the window touches
// its own only on the UI goroutine.
type Store struct {
	segs    []Segment
	index   map[key]int       // position in segs
	renamed map[string]string // speaker label → the name it was given (RenameSpeaker)
}

type key struct {
	id   int
	lang string
}

// Put stores seg in place of the segment with its ID and Lang, or after every other, and reports
// whether the transcript changed. A final segment never turns provisional again: a provisional update
// of a final line is ignored (a late partial result must not undo the finished text).
//
// A segment whose speaker was renamed (RenameSpeaker) is stored under the new name: a line still on its
// way when the name changed takes it too. A line a person edited (Edit) keeps the edited text whatever
// the model sends for it later; only another edit replaces it.
func (s *Store) Put(seg Segment) (changed bool) {
	seg.Speaker = s.Speaker(seg.Speaker)
	k := key{seg.ID, seg.Lang}
	if i, ok := s.index[k]; ok {
		old := s.segs[i]
		if old.Edited && !seg.Edited {
			seg.Text, seg.Edited = old.Text, true
		}
		if old == seg || old.Final && !seg.Final {
			return false
		}
		s.segs[i] = seg
		return true
	}
	if s.index == nil {
		s.index = map[key]int{}
	}
	s.index[k] = len(s.segs)
	s.segs = append(s.segs, seg)
	return true
}

// Edit replaces the text of the line with id and lang by what a person wrote, keeping its ID, times and
// speaker, and returns the line as it is now. The line stays Edited: a later provisional or final
// segment of the model for it does not undo the edit (Put). Text is trimmed; an edit to nothing and a
// line that is not there are refused.
func (s *Store) Edit(id int, lang, text string) (Segment, error) {
	i, ok := s.index[key{id, lang}]
	if !ok {
		return Segment{}, fmt.Errorf("edit line %d: no such line", id)
	}
	text = strings.TrimSpace(text)
	if text == "" {
		return Segment{}, fmt.Errorf("edit line %d: a line cannot be edited to nothing (clear the transcript to remove lines)", id)
	}
	s.segs[i].Text, s.segs[i].Edited = text, true
	return s.segs[i], nil
}

// Index is the position of the segment with id and lang.
func (s *Store) Index(id int, lang string) (int, bool) {
	i, ok := s.index[key{id, lang}]
	return i, ok
}

// At is the segment at position i (0 <= i < Len).
func (s *Store) At(i int) Segment { return s.segs[i] }

// Len is the number of lines, translations included.
func (s *Store) Len() int { return len(s.segs) }

// Segments is a copy of the transcript, in order; nil when it is empty.
func (s *Store) Segments() []Segment { return append([]Segment(nil), s.segs...) }

// Reset empties the transcript and forgets its renames.
func (s *Store) Reset() { s.segs, s.index, s.renamed = nil, nil, nil }

// RenameSpeaker gives the speaker from the name to (see CleanSpeaker), on every line and on every line
// Put from now on, and returns how many lines changed. from may be a label no line has yet (name
// "Others" before the others spoke), or a name given before: "Others" → "Alice" → "Alicia" makes a
// late "Others" line "Alicia" too. Refused: from "" (lines that name no speaker), a label renamed
// already (rename its new name instead), and a to that is another speaker's name: two speakers would
// become one and could not be told apart again.
func (s *Store) RenameSpeaker(from, to string) (int, error) {
	to, err := CleanSpeaker(to)
	if err != nil {
		return 0, err
	}
	if from == "" {
		return 0, errors.New("rename speaker: these lines name no speaker")
	}
	if from == to {
		return 0, nil
	}
	if s.hasSpeaker(to) {
		return 0, fmt.Errorf("rename speaker %q: %q is already another speaker's name", from, to)
	}
	if s.renamed == nil {
		s.renamed = map[string]string{}
	}
	chained := false
	for label, name := range s.renamed {
		if name == from {
			s.renamed[label] = to
			chained = true
		}
	}
	if !chained {
		if name, ok := s.renamed[from]; ok {
			return 0, fmt.Errorf("rename speaker %q: renamed %q already", from, name)
		}
		s.renamed[from] = to
	}
	n := 0
	for i := range s.segs {
		if s.segs[i].Speaker == from {
			s.segs[i].Speaker = to
			n++
		}
	}
	return n, nil
}

// hasSpeaker reports whether name is a speaker's: on a line, or the name a label was given.
func (s *Store) hasSpeaker(name string) bool {
	for _, seg := range s.segs {
		if seg.Speaker == name {
			return true
		}
	}
	for _, given := range s.renamed {
		if given == name {
			return true
		}
	}
	return false
}

// Speaker is the name the speaker labelled label goes by now: label itself unless RenameSpeaker renamed it.
func (s *Store) Speaker(label string) string {
	if name, ok := s.renamed[label]; ok {
		return name
	}
	return label
}

// Numbering makes segment IDs unique in one transcript that gathers several runs. Each recording, and
// each recovered session, is a run that numbers its segments from 0; the transcript's ID of a segment
// is that of its (run, ID), given in the order the runs' segments first arrive, so a second recording
// or a recovered session comes after what is there instead of replacing it. A translation has its
// source's ID, so it maps to the same. The zero Numbering starts at ID 0.
//
// Not safe for concurrent use (the window numbers on its UI goroutine).
type Numbering struct {
	run  int
	next int
	ids  map[[2]int]int
}

// Origin is the run and the run's own ID of the transcript's segment id (what a session on disk calls
// it), ok false for an ID this Numbering did not give.
func (n *Numbering) Origin(id int) (run, runID int, ok bool) {
	for k, w := range n.ids {
		if w == id {
			return k[0], k[1], true
		}
	}
	return 0, 0, false
}

// NewRun starts a run and returns it.
func (n *Numbering) NewRun() int {
	n.run++
	return n.run
}

// ID is the transcript's ID for segment id of run.
func (n *Numbering) ID(run, id int) int {
	if n.ids == nil {
		n.ids = map[[2]int]int{}
	}
	k := [2]int{run, id}
	if w, ok := n.ids[k]; ok {
		return w
	}
	w := n.next
	n.next++
	n.ids[k] = w
	return w
}

// Recovered renumbers a recovered session's segments as a run of their own, after every ID given so
// far, and marks them final: a session a crash ended is never continued, so what it holds is all
// there will be. segs is not changed; the result keeps its order.
func (n *Numbering) Recovered(segs []Segment) []Segment {
	run := n.NewRun()
	out := make([]Segment, len(segs))
	for i, s := range segs {
		s.ID = n.ID(run, s.ID)
		s.Final = true
		out[i] = s
	}
	return out
}
