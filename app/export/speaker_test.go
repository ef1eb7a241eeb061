package export

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/verbatim-app/verbatim/app/transcript"
)

// A meeting: the microphone's lines are "You", the others' got a name (with characters each format
// must escape), a provisional line is left out, and one line names nobody.
func meeting() []transcript.Segment {
	return []transcript.Segment{
		{ID: 0, Start: 1500 * time.Millisecond, End: 3250 * time.Millisecond, Text: "Shall we start?", Final: true, Speaker: "You"},
		{ID: 1, Start: 3300 * time.Millisecond, End: 5 * time.Second, Text: "Yes,\nlet us.", Final: true, Speaker: "Ana <R&D>_x"},
		{ID: 2, Start: 5 * time.Second, End: 6 * time.Second, Text: "half", Final: false, Speaker: "You"},
		{ID: 3, Start: 61 * time.Second, End: 62 * time.Second, Text: "unlabelled", Final: true},
	}
}

func TestSpeakers(t *testing.T) {
	cases := []struct {
		format string
		want   string
	}{
		{"txt", "You: Shall we start?\nAna <R&D>_x: Yes,\nlet us.\nunlabelled\n"},
		{"srt", "1\n00:00:01,500 --> 00:00:03,250\nYou: Shall we start?\n\n" +
			"2\n00:00:03,300 --> 00:00:05,000\nAna <R&D>_x: Yes,\nlet us.\n\n" +
			"3\n00:01:01,000 --> 00:01:02,000\nunlabelled\n\n"},
		{"vtt", "WEBVTT\n\n1\n00:00:01.500 --> 00:00:03.250\n<v You>Shall we start?\n\n" +
			"2\n00:00:03.300 --> 00:00:05.000\n<v Ana &lt;R&amp;D&gt;_x>Yes,\nlet us.\n\n" +
			"3\n00:01:01.000 --> 00:01:02.000\nunlabelled\n\n"},
		{"md", "# Meeting\n\n**[00:01]** You: Shall we start?\n\n**[00:03]** Ana &lt;R&D>\\_x: Yes,\nlet us.\n\n**[01:01]** unlabelled\n\n"},
	}
	for _, c := range cases {
		t.Run(c.format, func(t *testing.T) {
			var b bytes.Buffer
			if err := Write(&b, c.format, Doc{Title: "Meeting", Segments: meeting()}); err != nil {
				t.Fatal(err)
			}
			if b.String() != c.want {
				t.Fatalf("got\n%q\nwant\n%q", b.String(), c.want)
			}
		})
	}
}

func TestSpeakersJSON(t *testing.T) {
	var b bytes.Buffer
	if err := Write(&b, "json", Doc{Title: "Meeting", Segments: meeting()}); err != nil {
		t.Fatal(err)
	}
	var out struct {
		Text     string
		Segments []map[string]any
	}
	if err := json.Unmarshal(b.Bytes(), &out); err != nil {
		t.Fatal(err)
	}
	if len(out.Segments) != 3 {
		t.Fatalf("%d segments, want the 3 final ones: %s", len(out.Segments), b.String())
	}
	for i, want := range []any{"You", "Ana <R&D>_x", nil} {
		if got := out.Segments[i]["speaker"]; got != want {
			t.Errorf("segment %d: speaker %v, want %v", i, got, want)
		}
	}
	// The running text is the words alone.
	if out.Text != "Shall we start? Yes,\nlet us. unlabelled" {
		t.Errorf("text %q", out.Text)
	}
	// Without speakers, no "speaker" key at all: the output of one source is as it was.
	b.Reset()
	if err := Write(&b, "json", Doc{Segments: segs()}); err != nil {
		t.Fatal(err)
	}
	if strings.Contains(b.String(), "speaker") {
		t.Errorf("speaker in the JSON of a transcript without speakers: %s", b.String())
	}
}

func TestPartialNamesSpeaker(t *testing.T) {
	p, err := OpenPartial(filepath.Join(t.TempDir(), "talk.txt"))
	if err != nil {
		t.Fatal(err)
	}
	for _, s := range meeting()[:2] {
		if err := p.Add(s); err != nil {
			t.Fatal(err)
		}
	}
	if err := p.Close(); err != nil {
		t.Fatal(err)
	}
	b, err := os.ReadFile(p.Path())
	if err != nil {
		t.Fatal(err)
	}
	want := "[00:00:01.500 → 00:00:03.250] You: Shall we start?\n[00:00:03.300 → 00:00:05.000] Ana <R&D>_x: Yes, let us.\n"
	if string(b) != want {
		t.Errorf("got %q, want %q", b, want)
	}
}
