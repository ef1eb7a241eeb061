package session

import (
	"encoding/binary"
	"fmt"
	"io"
	"time"

	"github.com/verbatim-app/verbatim/capture/pcm"
)

// Audio reads back the audio recorded so far between from and to on the session's timeline: the
// microphone's, or with system the computer's own sound (nil when the session has none). What was not
// written yet is left out. The live pipeline hears earlier utterances again with it (a translation
// target chosen mid-recording) without keeping them in memory.
func (s *Session) Audio(system bool, from, to time.Duration) ([]float32, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return nil, fmt.Errorf("session: read audio: %w", ErrClosed)
	}
	t := &s.audio
	if system {
		t = s.system
	}
	if t == nil {
		return nil, nil
	}
	lo := min(2*int64(pcm.Samples(max(from, 0))), t.bytes)
	hi := min(2*int64(pcm.Samples(max(to, from))), t.bytes)
	b := make([]byte, hi-lo)
	if n, err := t.f.ReadAt(b, hdrSize+lo); err != nil && !(err == io.EOF && n == len(b)) {
		return nil, fmt.Errorf("session: read audio %s: %w", t.f.Name(), err)
	}
	out := make([]float32, len(b)/2)
	for i := range out {
		out[i] = float32(int16(binary.LittleEndian.Uint16(b[2*i:]))) / 32768
	}
	return out, nil
}
