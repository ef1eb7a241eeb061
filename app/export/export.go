// Package export writes transcripts as TXT, SRT, WebVTT, JSON or Markdown.
package export

import (
	"encoding/json"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/verbatim-app/verbatim/app/transcript"
)

// formats are the output formats, in the order menus show them.
var formats = []string{"txt", "srt", "vtt", "json", "md"}

// Formats returns the supported format names.
func Formats() []string { return append([]string(nil), formats...) }

// Check returns an error naming the supported formats when f is not one of them.
func Check(f string) error {
	for _, x := range formats {
		if x == f {
			return nil
		}
	}
	return fmt.Errorf("unknown format %q (want one of %s)", f, strings.Join(formats, ", "))
}

// Doc is what an export holds besides the segments.
type Doc struct {
	Title    string // e.g. the input file name
	Language string // "" for the spoken language, else the translation's target
	Segments []transcript.Segment
}

// Write renders doc in format f. Provisional segments are left out: exports hold final text only.
// A segment with a Speaker is said by them: "Alice: " before its text in TXT, SRT and Markdown, a
// voice span <v Alice> in WebVTT, a "speaker" field in JSON; a segment without one is written as it
// always was.
func Write(w io.Writer, f string, doc Doc) error {
	if err := Check(f); err != nil {
		return err
	}
	var segs []transcript.Segment
	for _, s := range doc.Segments {
		if s.Final && strings.TrimSpace(s.Text) != "" {
			segs = append(segs, s)
		}
	}
	var err error
	switch f {
	case "txt":
		for _, s := range segs {
			if _, err = fmt.Fprintln(w, said(s)+strings.TrimSpace(s.Text)); err != nil {
				break
			}
		}
	case "srt":
		for i, s := range segs {
			if _, err = fmt.Fprintf(w, "%d\n%s --> %s\n%s%s\n\n", i+1, stamp(s.Start, ","), stamp(s.End, ","), said(s), cueText(s.Text)); err != nil {
				break
			}
		}
	case "vtt":
		_, err = io.WriteString(w, "WEBVTT\n\n")
		for i, s := range segs {
			if err != nil {
				break
			}
			_, err = fmt.Fprintf(w, "%d\n%s --> %s\n%s%s\n\n", i+1, stamp(s.Start, "."), stamp(s.End, "."), voice(s.Speaker), cueText(s.Text))
		}
	case "json":
		type seg struct {
			ID      int     `json:"id"`
			Start   float64 `json:"start"`
			End     float64 `json:"end"`
			Text    string  `json:"text"`
			Speaker string  `json:"speaker,omitempty"`
		}
		out := struct {
			Title    string `json:"title,omitempty"`
			Language string `json:"language,omitempty"`
			Text     string `json:"text"`
			Segments []seg  `json:"segments"`
		}{Title: doc.Title, Language: doc.Language, Segments: []seg{}}
		var all []string
		for i, s := range segs {
			out.Segments = append(out.Segments, seg{i + 1, s.Start.Seconds(), s.End.Seconds(), strings.TrimSpace(s.Text), speaker(s.Speaker)})
			all = append(all, strings.TrimSpace(s.Text))
		}
		out.Text = strings.Join(all, " ")
		enc := json.NewEncoder(w)
		enc.SetIndent("", "  ")
		err = enc.Encode(out)
	case "md":
		title := doc.Title
		if title == "" {
			title = "Transcript"
		}
		_, err = fmt.Fprintf(w, "# %s\n\n", mdEscape(title))
		for _, s := range segs {
			if err != nil {
				break
			}
			_, err = fmt.Fprintf(w, "**[%s]** %s%s\n\n", clock(s.Start), mdEscape(said(s)), mdEscape(strings.TrimSpace(s.Text)))
		}
	}
	if err != nil {
		return fmt.Errorf("write %s: %w", f, err)
	}
	return nil
}

// speaker is a segment's speaker on one line (a name given elsewhere was checked by
// transcript.CleanSpeaker; one from an old or edited journal may not have been).
func speaker(name string) string { return strings.Join(strings.Fields(name), " ") }

// said is "Alice: " for a segment Alice said, "" for one that names no speaker.
func said(s transcript.Segment) string {
	if name := speaker(s.Speaker); name != "" {
		return name + ": "
	}
	return ""
}

// voice is WebVTT's voice span, <v Alice>, for a speaker ("" for none). The name is escaped as cue text
// is: & < > would end or break the tag.
func voice(name string) string {
	if name = speaker(name); name == "" {
		return ""
	}
	return "<v " + strings.NewReplacer("&", "&amp;", "<", "&lt;", ">", "&gt;").Replace(name) + ">"
}

// stamp formats hh:mm:ss,mmm (SRT) or hh:mm:ss.mmm (WebVTT).
func stamp(d time.Duration, sep string) string {
	if d < 0 {
		d = 0
	}
	ms := d.Milliseconds()
	return fmt.Sprintf("%02d:%02d:%02d%s%03d", ms/3600000, ms/60000%60, ms/1000%60, sep, ms%1000)
}

func clock(d time.Duration) string {
	s := int(d.Seconds())
	if s >= 3600 {
		return fmt.Sprintf("%d:%02d:%02d", s/3600, s/60%60, s%60)
	}
	return fmt.Sprintf("%02d:%02d", s/60, s%60)
}

// cueText keeps a cue's text from ending the cue early: a blank line would.
func cueText(s string) string {
	var lines []string
	for _, l := range strings.Split(strings.TrimSpace(s), "\n") {
		if l = strings.TrimSpace(l); l != "" {
			lines = append(lines, strings.ReplaceAll(l, "-->", "->"))
		}
	}
	return strings.Join(lines, "\n")
}

func mdEscape(s string) string {
	r := strings.NewReplacer(`\`, `\\`, "*", `\*`, "_", `\_`, "#", `\#`, "`", "\\`", "[", `\[`, "]", `\]`, "<", "&lt;")
	return r.Replace(s)
}
