package cli

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/verbatim-app/verbatim/app/batch"
	"github.com/verbatim-app/verbatim/app/export"
	"github.com/verbatim-app/verbatim/capture/audiofile"
)

func runTranscribe(ctx context.Context, env Env, args []string) error {
	fs := newFlags(env, "transcribe", "FILE|FOLDER...")
	var mf modelFlags
	mf.register(fs)
	translate := fs.String("translate", "", "translate into this language (e.g. es, fr) instead of transcribing")
	format := fs.String("format", "txt", "output format: "+strings.Join(export.Formats(), ", "))
	out := fs.String("o", "", "output file (one input) or folder (default: stdout for one file, else next to each input)")
	if err := parse(fs, args); err != nil {
		return err
	}
	if err := export.Check(*format); err != nil {
		return fmt.Errorf("--format: %v: %w", err, ErrUsage)
	}
	if fs.NArg() == 0 {
		fs.Usage()
		return fmt.Errorf("no input files: %w", ErrUsage)
	}
	files := audiofile.Expand(fs.Args())
	if len(files) == 0 {
		return fmt.Errorf("no audio files (.wav, .mp3, .flac) in %s", strings.Join(fs.Args(), ", "))
	}
	opt := batch.Options{Format: *format, Translate: *translate}
	toStdout := false
	switch {
	case *out == "" && len(files) == 1:
		toStdout = true
	case *out != "":
		if st, err := os.Stat(*out); (err == nil && st.IsDir()) || strings.HasSuffix(*out, string(filepath.Separator)) || len(files) > 1 {
			opt.OutDir = *out
		} else {
			opt.OutFile = *out
		}
	}
	model, err := mf.hearing(ctx, env)
	if err != nil {
		return err
	}
	defer model.E.Close()
	failed := 0
	for i, f := range files {
		bar := newProgress(env, filepath.Base(f), i+1, len(files))
		start := time.Now()
		segs, err := batch.File(ctx, model, f, opt, bar.set)
		bar.done()
		if ctx.Err() != nil {
			return ctx.Err()
		}
		if err == nil {
			if toStdout {
				err = export.Write(env.Stdout, opt.Format, export.Doc{Title: filepath.Base(f), Language: opt.Translate, Segments: segs})
			} else {
				dst := batch.Output(f, opt)
				if err = batch.Write(dst, opt, f, segs); err == nil && env.StderrIsTTY {
					fmt.Fprintf(env.Stderr, "%s → %s (%s)\n", f, dst, time.Since(start).Round(time.Millisecond))
				}
			}
		}
		if err != nil {
			failed++
			fmt.Fprintf(env.Stderr, "verbatim transcribe: %v\n", err)
		}
	}
	if failed > 0 {
		fmt.Fprintf(env.Stderr, "verbatim transcribe: %d of %d files failed\n", failed, len(files))
		return errReported
	}
	return nil
}

// progress draws one file's bar on stderr when stderr is a terminal.
type progress struct {
	env   Env
	label string
	last  int
}

func newProgress(env Env, name string, i, n int) *progress {
	p := &progress{env: env, label: fmt.Sprintf("[%d/%d] %s", i, n, name), last: -1}
	p.set(0)
	return p
}

func (p *progress) set(f float64) {
	if !p.env.StderrIsTTY {
		return
	}
	pct := int(f * 100)
	if pct == p.last {
		return
	}
	p.last = pct
	const width = 30
	fill := pct * width / 100
	fmt.Fprintf(p.env.Stderr, "\r%s [%s%s] %3d%%", p.label, strings.Repeat("#", fill), strings.Repeat(" ", width-fill), pct)
}

func (p *progress) done() {
	if p.env.StderrIsTTY {
		fmt.Fprint(p.env.Stderr, "\r\033[K")
	}
}
