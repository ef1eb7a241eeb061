// Package batch transcribes (or translates) audio files: decode, cut into utterances, hear each one,
// write the result in the chosen format. One bad file never stops the others.
package batch

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/verbatim-app/verbatim/app/export"
	"github.com/verbatim-app/verbatim/app/segment"
	"github.com/verbatim-app/verbatim/app/speech"
	"github.com/verbatim-app/verbatim/app/transcript"
	"github.com/verbatim-app/verbatim/capture/audiofile"
)

// Options say what to produce and where.
type Options struct {
	Format    string // txt, srt, vtt, json, md
	Translate string // "" to transcribe; else a target language
	OutDir    string // "" writes next to each input
	OutFile   string // one input only: this exact file ("-" for stdout handled by the caller)
	Segment   segment.Config
}

// Event reports a file's progress. Exactly one event with Done set ends each file.
type Event struct {
	Index    int
	File     string
	Progress float64 // 0…1 of the file's audio heard
	Done     bool
	Output   string // written file, when Done without Err
	Err      error
	Segments []transcript.Segment
}

// Output is the path a file's result is written to.
func Output(in string, opt Options) string {
	if opt.OutFile != "" {
		return opt.OutFile
	}
	base := strings.TrimSuffix(filepath.Base(in), filepath.Ext(in))
	if opt.Translate != "" {
		base += "." + opt.Translate
	}
	dir := opt.OutDir
	if dir == "" {
		dir = filepath.Dir(in)
	}
	return filepath.Join(dir, base+"."+opt.Format)
}

// Run processes files one after another, sending events. It returns the number of files that failed.
func Run(ctx context.Context, m speech.Model, files []string, opt Options, events chan<- Event) int {
	failed := 0
	for i, f := range files {
		if ctx.Err() != nil {
			events <- Event{Index: i, File: f, Done: true, Err: ctx.Err()}
			failed++
			continue
		}
		segs, err := File(ctx, m, f, opt, func(p float64) { events <- Event{Index: i, File: f, Progress: p} })
		ev := Event{Index: i, File: f, Done: true, Err: err, Segments: segs, Progress: 1}
		if err == nil {
			ev.Output = Output(f, opt)
			ev.Err = Write(ev.Output, opt, f, segs)
		}
		if ev.Err != nil {
			failed++
		}
		events <- ev
	}
	return failed
}

// File hears one file and returns its segments.
func File(ctx context.Context, m speech.Model, path string, opt Options, progress func(float64)) ([]transcript.Segment, error) {
	a, err := audiofile.DecodeFile(path)
	if err != nil {
		return nil, err
	}
	utts := segment.Split(a.Samples, opt.Segment)
	var segs []transcript.Segment
	total := float64(len(a.Samples))
	for i, u := range utts {
		res, err := speech.Hear(ctx, m, u.Samples, []string{opt.Translate}, nil)
		if err != nil {
			return segs, fmt.Errorf("%s at %s: %w", path, u.Start.Round(time.Millisecond), err)
		}
		text := res[opt.Translate].Text
		if text != "" {
			segs = append(segs, transcript.Segment{ID: i + 1, Start: u.Start, End: u.End, Text: text, Lang: opt.Translate, Final: true})
		}
		if progress != nil && total > 0 {
			progress(float64(u.End.Seconds()*segment.SampleRate) / total)
		}
	}
	return segs, nil
}

// Write saves segments atomically, so an interrupted run never leaves half a transcript in place of a whole one.
func Write(out string, opt Options, in string, segs []transcript.Segment) error {
	dir := filepath.Dir(out)
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return fmt.Errorf("create output folder: %w", err)
	}
	tmp, err := os.CreateTemp(dir, ".verbatim-*")
	if err != nil {
		return fmt.Errorf("write %s: %w", out, err)
	}
	defer os.Remove(tmp.Name())
	werr := export.Write(tmp, opt.Format, export.Doc{Title: filepath.Base(in), Language: opt.Translate, Segments: segs})
	cerr := tmp.Close()
	if err := errors.Join(werr, cerr); err != nil {
		return fmt.Errorf("write %s: %w", out, err)
	}
	if err := os.Rename(tmp.Name(), out); err != nil {
		return fmt.Errorf("write %s: %w", out, err)
	}
	return nil
}
