package export

import (
	"bytes"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/verbatim-app/verbatim/app/transcript"
)

func segs() []transcript.Segment {
	return []transcript.Segment{
		{ID: 1, Start: 1500 * time.Millisecond, End: 3250 * time.Millisecond, Text: " Please bring the red box.", Final: true},
		{ID: 2, Start: 3300 * time.Millisecond, End: 4000 * time.Millisecond, Text: "half-heard", Final: false},
		{ID: 3, Start: time.Hour + 2*time.Minute + 3*time.Second + 45*time.Millisecond, End: time.Hour + 2*time.Minute + 5*time.Second, Text: "What time is it?\n\n--> *now*", Final: true},
	}
}

func TestFormats(t *testing.T) {
	cases := []struct {
		format string
		want   string
	}{
		{"txt", "Please bring the red box.\nWhat time is it?\n\n--> *now*\n"},
		{"srt", "1\n00:00:01,500 --> 00:00:03,250\nPlease bring the red box.\n\n2\n01:02:03,045 --> 01:02:05,000\nWhat time is it?\n-> *now*\n\n"},
		{"vtt", "WEBVTT\n\n1\n00:00:01.500 --> 00:00:03.250\nPlease bring the red box.\n\n2\n01:02:03.045 --> 01:02:05.000\nWhat time is it?\n-> *now*\n\n"},
		{"md", "# talk.wav\n\n**[00:01]** Please bring the red box.\n\n**[1:02:03]** What time is it?\n\n--> \\*now\\*\n\n"},
	}
	for _, c := range cases {
		t.Run(c.format, func(t *testing.T) {
			var b bytes.Buffer
			if err := Write(&b, c.format, Doc{Title: "talk.wav", Segments: segs()}); err != nil {
				t.Fatal(err)
			}
			if b.String() != c.want {
				t.Fatalf("got\n%q\nwant\n%q", b.String(), c.want)
			}
		})
	}
}

func TestJSON(t *testing.T) {
	var b bytes.Buffer
	if err := Write(&b, "json", Doc{Title: "talk.wav", Language: "es", Segments: segs()}); err != nil {
		t.Fatal(err)
	}
	var out struct {
		Title, Language, Text string
		Segments              []struct {
			ID         int
			Start, End float64
			Text       string
		}
	}
	if err := json.Unmarshal(b.Bytes(), &out); err != nil {
		t.Fatal(err)
	}
	if out.Language != "es" || len(out.Segments) != 2 || out.Segments[1].Start != 3723.045 || !strings.HasPrefix(out.Text, "Please bring") {
		t.Fatalf("%+v", out)
	}
}

func TestUnknownFormat(t *testing.T) {
	if err := Write(&bytes.Buffer{}, "docx", Doc{}); err == nil || !strings.Contains(err.Error(), "txt, srt, vtt, json, md") {
		t.Fatalf("err = %v", err)
	}
}
