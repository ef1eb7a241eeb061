package export

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"strings"

	"github.com/verbatim-app/verbatim/app/transcript"
)

// Partial holds the lines of a transcript still being made, in OUTPUT.partial beside its output: one line
// a segment, synced as each is added, so that a run killed at any moment (kill -9, power loss) leaves every
// line heard so far on disk. Remove it once the whole transcript is written.
type Partial struct {
	f    *os.File
	path string
}

// OpenPartial creates the partial file for output. An existing one (left by an earlier run that was
// killed) is never replaced: the next free name (OUTPUT.partial-2, …) is used instead.
func OpenPartial(output string) (*Partial, error) {
	for i := 1; i < 100; i++ {
		p := output + ".partial"
		if i > 1 {
			p = fmt.Sprintf("%s-%d", p, i)
		}
		f, err := os.OpenFile(p, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
		if errors.Is(err, fs.ErrExist) {
			continue
		}
		if err != nil {
			return nil, fmt.Errorf("partial transcript: %w", err)
		}
		return &Partial{f: f, path: p}, nil
	}
	return nil, fmt.Errorf("partial transcript: %s.partial and 98 more names are taken", output)
}

// Path is the file's name.
func (p *Partial) Path() string { return p.path }

// Add appends s as "[start → end] text" ("[start → end] Alice: text" when it names its speaker) and
// syncs it to disk.
func (p *Partial) Add(s transcript.Segment) error {
	line := fmt.Sprintf("[%s → %s] %s%s\n", stamp(s.Start, "."), stamp(s.End, "."), said(s), strings.ReplaceAll(s.Text, "\n", " "))
	if _, err := p.f.WriteString(line); err != nil {
		return fmt.Errorf("partial transcript %s: %w", p.path, err)
	}
	if err := p.f.Sync(); err != nil {
		return fmt.Errorf("partial transcript %s: %w", p.path, err)
	}
	return nil
}

// Remove closes and deletes the file: the whole transcript is in its output now.
func (p *Partial) Remove() error {
	return errors.Join(p.f.Close(), os.Remove(p.path))
}

// Close closes the file and keeps it: the output could not be written, so it is the only copy.
func (p *Partial) Close() error { return p.f.Close() }
