// Package batch transcribes (or translates) audio files: decode, cut into utterances, hear each one,
// write the result in the chosen format. File (and Hear under it) is the one loop that does it; the
// command line, the window's queue and the server each call it per file.
package batch

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/verbatim-app/verbatim/app/export"
	"github.com/verbatim-app/verbatim/app/segment"
	"github.com/verbatim-app/verbatim/app/speech"
	"github.com/verbatim-app/verbatim/app/transcript"
	"github.com/verbatim-app/verbatim/capture/audiofile"
	"github.com/verbatim-app/verbatim/capture/pcm"
)

// Options say what to produce and where.
type Options struct {
	Format    string // txt, srt, vtt, json, md
	Translate string // "" to transcribe; else a target language
	OutDir    string // "" writes next to each input
	OutFile   string // one input only: this exact file ("-" for stdout handled by the caller)
	Segment   segment.Config
	// Spoken, with Translate, hears the spoken transcript too: each utterance gives a segment with
	// Lang "" beside its translation.
	Spoken bool
}

// targets are what each utterance is heard into.
func (o Options) targets() []string {
	if o.Spoken && o.Translate != "" {
		return []string{"", o.Translate}
	}
	return []string{o.Translate}
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

// Transcribe hears one file with File and writes its transcript in opt.Format to Output(path, opt)
// without Translate, and with Translate its translation too, to Output(path, opt) (talk.es.srt beside
// talk.srt: one hearing gives both). It never replaces a file: an existing one gets the first free name
// beside it (talk-2.txt). The transcript's path comes back with every segment, the translation's
// included (for the history). A damaged file's transcript holds what was heard before the damage, and
// its *audiofile.DamageError comes back with the path. An interrupted file is not written: ctx's error
// comes back. progress is as for File.
func Transcribe(ctx context.Context, m speech.Model, path string, opt Options, progress func(float64)) (string, []transcript.Segment, error) {
	opt.Spoken = true
	segs, err := File(ctx, m, path, opt, progress, nil)
	if cerr := ctx.Err(); cerr != nil {
		return "", nil, cerr
	}
	var damaged *audiofile.DamageError
	if err != nil && !errors.As(err, &damaged) {
		return "", nil, err
	}
	spoken := Options{Format: opt.Format, OutDir: opt.OutDir, OutFile: opt.OutFile}
	out, werr := writeLang(path, spoken, segs)
	if werr == nil && opt.Translate != "" {
		_, werr = writeLang(path, opt, segs)
	}
	if werr != nil {
		return "", nil, werr
	}
	return out, segs, err
}

// writeLang writes the segments of segs in opt.Translate's language ("" the spoken one) to
// Output(path, opt), or the first free name beside it, and returns the path written.
func writeLang(path string, opt Options, segs []transcript.Segment) (string, error) {
	var mine []transcript.Segment
	for _, s := range segs {
		if s.Lang == opt.Translate {
			mine = append(mine, s)
		}
	}
	doc := export.Doc{Title: filepath.Base(path), Language: opt.Translate, Segments: mine}
	return export.WriteFile(Output(path, opt), opt.Format, doc, false)
}

// File hears one file as it is read: decoded audio goes through the segmenter a second at a time and each
// utterance is heard as soon as it ends, so memory holds one utterance, not the file (an 8-hour recording
// takes what a minute takes). onSegment, when not nil, gets each segment as it is heard, so a caller can
// write as it goes. A damaged file returns the segments heard up to the damage together with the
// *audiofile.DamageError; an interrupted one, those heard so far with ctx's error.
func File(ctx context.Context, m speech.Model, path string, opt Options, progress func(float64), onSegment func(transcript.Segment)) ([]transcript.Segment, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("open %s: %w", path, err)
	}
	defer f.Close()
	var size int64
	if st, err := f.Stat(); err == nil {
		size = st.Size()
	}
	cr := &countingReader{r: f}
	a, err := audiofile.NewStream(cr, path)
	if err != nil {
		return nil, err
	}
	defer a.Close()
	var src Samples = a
	if progress != nil && size > 0 {
		src = progressSamples{a, func() { progress(min(float64(cr.n)/float64(size), 1)) }}
	}
	return Hear(ctx, m, path, src, opt, Hooks{Segment: onSegment})
}

// Samples is 16 kHz mono audio read a piece at a time (an *audiofile.Stream, or SliceSamples); io.EOF
// ends it, and any other error comes after the samples before it.
type Samples interface {
	Read(p []float32) (int, error)
}

// Hooks follow a transcription as it happens; nil fields are not called.
type Hooks struct {
	// Piece gets the model's text as it writes it; utterances count from 1.
	Piece func(utterance int, piece string)
	// Segment gets each utterance with text once it is heard.
	Segment func(transcript.Segment)
}

// Hear transcribes (or translates, opt.Translate) the audio src reads: a second at a time through the
// segmenter, each utterance heard as soon as it ends, so memory holds one utterance whatever the length.
// name names the audio in errors ("" for none). It returns the segments heard, and with them the error
// that stopped it: src's (an *audiofile.DamageError for a damaged file), the model's, or ctx's.
func Hear(ctx context.Context, m speech.Model, name string, src Samples, opt Options, h Hooks) ([]transcript.Segment, error) {
	var segs []transcript.Segment
	n := 0
	hear := func(evs []segment.Event) error {
		for _, e := range evs {
			end, ok := e.(segment.SpeechEnd)
			if !ok {
				continue
			}
			n++
			u := end.Utterance
			var emit func(string, string)
			if h.Piece != nil {
				utt := n
				emit = func(_, piece string) { h.Piece(utt, piece) }
			}
			res, err := speech.Hear(ctx, m, u.Samples, opt.targets(), emit)
			if err != nil {
				return fmt.Errorf("%s: %w", strings.TrimSpace(name+" at "+u.Start.Round(time.Millisecond).String()), err)
			}
			for _, t := range opt.targets() {
				if text := res[t].Text; text != "" {
					seg := transcript.Segment{ID: n, Start: u.Start, End: u.End, Text: text, Lang: t, Final: true}
					segs = append(segs, seg)
					if h.Segment != nil {
						h.Segment(seg)
					}
				}
			}
		}
		return nil
	}
	seg := segment.New(opt.Segment)
	buf := make([]float32, pcm.Rate)
	var readErr error
	for readErr == nil {
		if err := ctx.Err(); err != nil {
			return segs, err
		}
		var k int
		k, readErr = src.Read(buf)
		if err := hear(seg.Push(buf[:k])); err != nil {
			return segs, err
		}
	}
	if err := hear(seg.Flush()); err != nil {
		return segs, err
	}
	if errors.Is(readErr, io.EOF) {
		return segs, nil
	}
	return segs, readErr
}

// SliceSamples reads audio already in memory.
func SliceSamples(x []float32) Samples { return &sliceSamples{x} }

type sliceSamples struct{ x []float32 }

func (s *sliceSamples) Read(p []float32) (int, error) {
	if len(s.x) == 0 {
		return 0, io.EOF
	}
	k := copy(p, s.x)
	s.x = s.x[k:]
	return k, nil
}

// progressSamples calls after each read, for a progress bar.
type progressSamples struct {
	Samples
	after func()
}

func (p progressSamples) Read(b []float32) (int, error) {
	k, err := p.Samples.Read(b)
	p.after()
	return k, err
}

// countingReader counts the bytes read, for progress by file position (a compressed file's duration is
// known only once it has been read).
type countingReader struct {
	r io.Reader
	n int64
}

func (c *countingReader) Read(p []byte) (int, error) {
	k, err := c.r.Read(p)
	c.n += int64(k)
	return k, err
}
