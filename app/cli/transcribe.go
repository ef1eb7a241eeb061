package cli

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/verbatim-app/verbatim/app/batch"
	"github.com/verbatim-app/verbatim/app/export"
	"github.com/verbatim-app/verbatim/app/speech"
	"github.com/verbatim-app/verbatim/app/transcript"
	"github.com/verbatim-app/verbatim/capture/audiofile"
)

func runTranscribe(ctx context.Context, env Env, args []string) error {
	fs := newFlags(env, "transcribe", "FILE|FOLDER...")
	var mf modelFlags
	mf.register(fs)
	translate := fs.String("translate", "", "translate into this language (e.g. es, fr) instead of transcribing")
	format := fs.String("format", "txt", "output format: "+strings.Join(export.Formats(), ", "))
	out := fs.String("o", "", "output file (one input) or folder (default: stdout for one file, else next to each input).\n"+
		"In a folder, outputs keep the inputs' folders below the deepest folder they all share (day1/meeting.wav and\n"+
		"day2/meeting.wav give day1/meeting.txt and day2/meeting.txt); inputs in one folder with the same name but\n"+
		"different extensions keep their extension (talk.wav.txt, talk.mp3.txt)")
	overwrite := fs.Bool("overwrite", false, "replace output files that exist (default: refuse, before any work)")
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
	files := unique(audiofile.Expand(fs.Args()))
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
	var dsts []string
	if !toStdout {
		var err error
		if dsts, err = outputs(files, opt); err != nil {
			return err
		}
		if !*overwrite {
			if err := refuseExisting(dsts); err != nil {
				return err
			}
		}
	}
	model, err := mf.hearing(ctx, env)
	if err != nil {
		return err
	}
	defer model.Close(context.Background())
	hist := newHistoryIndexer(env, mf.name())
	defer hist.close()
	failed := 0
	for i, f := range files {
		if ctx.Err() != nil {
			return ctx.Err()
		}
		err := transcribeOne(ctx, env, model, f, opt, i, len(files), dst(dsts, i), *overwrite, hist)
		if errors.Is(err, errInterrupted) {
			return ctx.Err()
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

// errInterrupted: the run was cancelled (Ctrl-C) after what was heard had been saved and reported.
var errInterrupted = errors.New("interrupted")

func dst(dsts []string, i int) string {
	if dsts == nil {
		return "" // stdout
	}
	return dsts[i]
}

// transcribeOne hears one file into out ("" for stdout). While it works, every segment heard is also
// appended to OUT.partial, so a killed run leaves each finished line on disk; the partial file goes once
// the transcript is written. A damaged file, or Ctrl-C, still writes what was heard before it.
func transcribeOne(ctx context.Context, env Env, model speech.Model, f string, opt batch.Options, i, n int, out string, overwrite bool, hist *historyIndexer) error {
	bar := newProgress(env, filepath.Base(f), i+1, n)
	start := time.Now()
	var partial *export.Partial
	var onSegment func(transcript.Segment)
	if out != "" {
		if err := os.MkdirAll(filepath.Dir(out), 0o755); err != nil {
			return fmt.Errorf("output folder for %s: %w", f, err)
		}
		p, err := export.OpenPartial(out)
		if err != nil {
			return err
		}
		partial = p
		var addErr error
		onSegment = func(s transcript.Segment) {
			if addErr == nil {
				if addErr = partial.Add(s); addErr != nil {
					fmt.Fprintf(env.Stderr, "verbatim transcribe: %v (the transcript is still written at the end)\n", addErr)
				}
			}
		}
	}
	segs, err := batch.File(ctx, model, f, opt, bar.set, onSegment)
	bar.done()
	interrupted := ctx.Err() != nil
	var damaged *audiofile.DamageError
	keep := err == nil || errors.As(err, &damaged) || interrupted && spoken(segs)
	if !keep {
		if partial != nil {
			partial.Remove()
		}
		if interrupted {
			return errInterrupted
		}
		return err
	}
	if err == nil && !spoken(segs) {
		// An empty transcript looks like a failure; say why it is empty.
		fmt.Fprintf(env.Stderr, "verbatim transcribe: no speech found in %s\n", f)
	}
	doc := export.Doc{Title: filepath.Base(f), Language: opt.Translate, Segments: segs}
	if out == "" {
		if werr := export.Write(env.Stdout, opt.Format, doc); werr != nil {
			return werr
		}
	} else {
		written, werr := export.WriteFile(out, opt.Format, doc, overwrite)
		if werr != nil {
			partial.Close()
			return fmt.Errorf("%w; what was heard is in %s", werr, partial.Path())
		}
		partial.Remove()
		hist.file(f, written, segs)
		switch {
		case written != out:
			// Another run wrote out while this one worked: keep both results.
			fmt.Fprintf(env.Stderr, "verbatim transcribe: %s appeared meanwhile; wrote %s instead\n", out, written)
		case interrupted:
			fmt.Fprintf(env.Stderr, "verbatim transcribe: interrupted; what was heard of %s is in %s\n", f, written)
		case env.StderrIsTTY:
			fmt.Fprintf(env.Stderr, "%s → %s (%s)\n", f, written, time.Since(start).Round(time.Millisecond))
		}
	}
	if interrupted {
		return errInterrupted
	}
	return err // a damaged file: written, and still reported as failed
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

// spoken reports whether segs hold any text an export would write.
func spoken(segs []transcript.Segment) bool {
	for _, s := range segs {
		if s.Final && strings.TrimSpace(s.Text) != "" {
			return true
		}
	}
	return false
}

// unique drops repeated inputs (the same file named twice, or also found in a named folder): one file,
// one transcript.
func unique(files []string) []string {
	seen := map[string]bool{}
	var out []string
	for _, f := range files {
		key := f
		if abs, err := filepath.Abs(f); err == nil {
			key = abs
		}
		if !seen[key] {
			seen[key] = true
			out = append(out, f)
		}
	}
	return out
}

// outputs names each input's output file so that no two inputs share one: beside the input (or, under
// opt.OutDir, at the input's folder relative to the deepest folder all inputs share), named after the
// input, with the input's extension kept when another input in the same folder has the same stem.
func outputs(files []string, opt batch.Options) ([]string, error) {
	if opt.OutFile != "" {
		return []string{opt.OutFile}, nil
	}
	dirs := make([]string, len(files))
	for i, f := range files {
		dirs[i] = filepath.Dir(f)
	}
	if opt.OutDir != "" {
		abs := make([]string, len(files))
		for i, d := range dirs {
			a, err := filepath.Abs(d)
			if err != nil {
				return nil, fmt.Errorf("output for %s: %w", files[i], err)
			}
			abs[i] = a
		}
		common := commonDir(abs)
		for i := range dirs {
			rel, err := filepath.Rel(common, abs[i])
			if err != nil {
				return nil, fmt.Errorf("output for %s: %w", files[i], err)
			}
			dirs[i] = filepath.Join(opt.OutDir, rel)
		}
	}
	stem := func(i int) string {
		b := filepath.Base(files[i])
		return filepath.Join(dirs[i], strings.TrimSuffix(b, filepath.Ext(b)))
	}
	stems := map[string]int{}
	for i := range files {
		stems[stem(i)]++
	}
	out := make([]string, len(files))
	owner := map[string]string{}
	for i, f := range files {
		name := stem(i)
		if stems[name] > 1 {
			name = filepath.Join(dirs[i], filepath.Base(f))
		}
		if opt.Translate != "" {
			name += "." + opt.Translate
		}
		out[i] = name + "." + opt.Format
		if prev, ok := owner[out[i]]; ok {
			return nil, fmt.Errorf("%s and %s would both be written to %s; rename one or transcribe them separately: %w", prev, f, out[i], ErrUsage)
		}
		owner[out[i]] = f
	}
	return out, nil
}

// commonDir is the deepest folder holding all the given absolute folders.
func commonDir(dirs []string) string {
	common := dirs[0]
	for _, d := range dirs[1:] {
		for common != d && !strings.HasPrefix(d, strings.TrimSuffix(common, string(filepath.Separator))+string(filepath.Separator)) {
			parent := filepath.Dir(common)
			if parent == common {
				break
			}
			common = parent
		}
	}
	return common
}

// refuseExisting fails, before any model is loaded, when an output would replace a file.
func refuseExisting(dsts []string) error {
	var there []string
	for _, d := range dsts {
		if export.Exists(d) {
			there = append(there, d)
		}
	}
	switch len(there) {
	case 0:
		return nil
	case 1:
		return fmt.Errorf("%s: %w (pass --overwrite to replace it)", there[0], export.ErrExists)
	}
	return fmt.Errorf("%s and %d more: %w (pass --overwrite to replace them)", there[0], len(there)-1, export.ErrExists)
}
