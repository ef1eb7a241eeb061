package desktop

import (
	"fmt"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/verbatim-app/verbatim/app/session"
	"github.com/verbatim-app/verbatim/app/transcript"
)

// SessionInfo describes a session a crash left open.
type SessionInfo struct {
	ID       string // the session's folder
	Started  time.Time
	Segments int // spoken segments
	Preview  string
}

// Sessions offers the sessions under Root that were never closed. They are looked for (and repaired)
// once, on the first call, before this process records anything: sessions this process records later
// are never offered.
type Sessions struct {
	root string

	once  sync.Once
	mu    sync.Mutex
	found map[string]session.Info
	list  []SessionInfo
	err   error
}

// NewSessions looks under root (session.DefaultRoot in the app).
func NewSessions(root string) *Sessions { return &Sessions{root: root} }

// Recover finds and repairs what a crash left; later calls return what is still on offer.
func (s *Sessions) Recover() ([]SessionInfo, error) {
	s.once.Do(func() {
		infos, err := session.Recover(s.root)
		s.mu.Lock()
		defer s.mu.Unlock()
		s.err = err
		s.found = map[string]session.Info{}
		for _, in := range infos {
			s.found[in.Dir] = in
			s.list = append(s.list, SessionInfo{ID: in.Dir, Started: in.Created, Segments: spoken(in.Segments),
				Preview: preview(in.Segments, 12)})
		}
	})
	s.mu.Lock()
	defer s.mu.Unlock()
	return slices.Clone(s.list), s.err
}

// Restore returns a recovered session's segments and stops offering it (its files stay on disk). They
// are numbered as the session numbered them, from 0: a transcript adds them through
// transcript.Numbering.Recovered, which numbers them after its own lines and makes them final.
func (s *Sessions) Restore(id string) ([]transcript.Segment, error) {
	if err := s.known(id); err != nil {
		return nil, err
	}
	in, err := session.Load(id)
	if err != nil {
		return nil, err
	}
	if err := s.Discard(id); err != nil {
		return nil, err
	}
	return in.Segments, nil
}

// Discard stops offering a session: it is marked complete, its audio and text stay where they are.
func (s *Sessions) Discard(id string) error {
	if err := s.known(id); err != nil {
		return err
	}
	if err := session.MarkComplete(id); err != nil {
		return err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	delete(s.found, id)
	s.list = slices.DeleteFunc(s.list, func(i SessionInfo) bool { return i.ID == id })
	return nil
}

// known refuses IDs that Recover did not offer, so that no other folder is touched.
func (s *Sessions) known(id string) error {
	s.Recover()
	s.mu.Lock()
	defer s.mu.Unlock()
	if _, ok := s.found[id]; !ok {
		return fmt.Errorf("no recoverable session %s", id)
	}
	return nil
}

func spoken(segs []transcript.Segment) int {
	n := 0
	for _, s := range segs {
		if s.Lang == "" {
			n++
		}
	}
	return n
}

// preview is the first words of the spoken text.
func preview(segs []transcript.Segment, words int) string {
	var out []string
	for _, s := range segs {
		if s.Lang != "" {
			continue
		}
		for _, w := range strings.Fields(s.Text) {
			if len(out) == words {
				return strings.Join(out, " ") + "…"
			}
			out = append(out, w)
		}
	}
	return strings.Join(out, " ")
}
