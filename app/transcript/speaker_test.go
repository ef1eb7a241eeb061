package transcript

import (
	"encoding/json"
	"reflect"
	"strings"
	"testing"
)

func said(id int, speaker, text string) Segment {
	s := seg(id, "", text, true)
	s.Speaker = speaker
	return s
}

// The field is in the JSON only when set, so transcripts of one source read as before.
func TestSpeakerJSON(t *testing.T) {
	b, err := json.Marshal(seg(0, "", "hi", true))
	if err != nil || strings.Contains(string(b), "speaker") {
		t.Errorf("no speaker: %s, %v", b, err)
	}
	in := said(3, "Others", "hi")
	b, err = json.Marshal(in)
	if err != nil || !strings.Contains(string(b), `"speaker":"Others"`) {
		t.Fatalf("speaker: %s, %v", b, err)
	}
	var out Segment
	if err := json.Unmarshal(b, &out); err != nil || out != in {
		t.Errorf("round trip: %+v, %v; want %+v", out, err, in)
	}
}

func TestCleanSpeaker(t *testing.T) {
	for _, tc := range []struct {
		in, want string
		ok       bool
	}{
		{"Alice", "Alice", true},
		{"  Dr.  Alice\tSmith \n", "Dr. Alice Smith", true},
		{"Ana\nMaría", "Ana María", true},
		{"", "", false},
		{" \t\n", "", false},
		{strings.Repeat("a", 80), strings.Repeat("a", 80), true},
		{strings.Repeat("a", 81), "", false},
	} {
		got, err := CleanSpeaker(tc.in)
		if got != tc.want || (err == nil) != tc.ok {
			t.Errorf("CleanSpeaker(%q) = %q, %v; want %q, ok %v", tc.in, got, err, tc.want, tc.ok)
		}
	}
}

func TestStoreRenameSpeaker(t *testing.T) {
	type rename struct {
		from, to string
		n        int
		errHas   string // "" no error
	}
	for _, tc := range []struct {
		name    string
		before  []Segment
		renames []rename
		after   []Segment // Put after the renames
		want    []Segment
	}{
		{
			name:    "every line of the speaker, translations too, and no other",
			before:  []Segment{said(0, "You", "hi"), said(1, "Others", "hello"), {ID: 1, Lang: "es", Text: "hola", Final: true, Speaker: "Others"}},
			renames: []rename{{"Others", "Alice", 2, ""}},
			want:    []Segment{said(0, "You", "hi"), said(1, "Alice", "hello"), {ID: 1, Lang: "es", Text: "hola", Final: true, Speaker: "Alice"}},
		},
		{
			name:    "a line still on its way takes the new name",
			before:  []Segment{said(0, "Others", "hello")},
			renames: []rename{{"Others", "Alice", 1, ""}},
			after:   []Segment{said(1, "Others", "again"), said(2, "You", "me")},
			want:    []Segment{said(0, "Alice", "hello"), said(1, "Alice", "again"), said(2, "You", "me")},
		},
		{
			name:    "before the speaker said anything",
			renames: []rename{{"Others", "Bob", 0, ""}},
			after:   []Segment{said(0, "Others", "hello")},
			want:    []Segment{said(0, "Bob", "hello")},
		},
		{
			name:    "renamed twice: the label follows",
			before:  []Segment{said(0, "Others", "a")},
			renames: []rename{{"Others", "Alice", 1, ""}, {"Alice", "Alicia", 1, ""}},
			after:   []Segment{said(1, "Others", "b")},
			want:    []Segment{said(0, "Alicia", "a"), said(1, "Alicia", "b")},
		},
		{
			name:    "renamed back",
			before:  []Segment{said(0, "Others", "a")},
			renames: []rename{{"Others", "Alice", 1, ""}, {"Alice", "Others", 1, ""}},
			after:   []Segment{said(1, "Others", "b")},
			want:    []Segment{said(0, "Others", "a"), said(1, "Others", "b")},
		},
		{
			name:    "name cleaned",
			before:  []Segment{said(0, "Others", "a")},
			renames: []rename{{"Others", "  Ana \n María ", 1, ""}},
			want:    []Segment{said(0, "Ana María", "a")},
		},
		{
			name:    "the same name changes nothing",
			before:  []Segment{said(0, "Others", "a")},
			renames: []rename{{"Others", "Others", 0, ""}},
			want:    []Segment{said(0, "Others", "a")},
		},
		{
			name:   "refused: empty name, no speaker, another's name, a label renamed already",
			before: []Segment{said(0, "You", "a"), said(1, "Others", "b"), seg(2, "", "plain", true)},
			renames: []rename{
				{"Others", " ", 0, "empty"},
				{"", "Alice", 0, "name no speaker"},
				{"Others", "You", 0, "already another speaker's"},
				{"Others", "Alice", 1, ""},
				{"You", "Alice", 0, "already another speaker's"},
				{"Others", "Carol", 0, `renamed "Alice" already`},
			},
			want: []Segment{said(0, "You", "a"), said(1, "Alice", "b"), seg(2, "", "plain", true)},
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var s Store
			for _, x := range tc.before {
				s.Put(x)
			}
			for _, r := range tc.renames {
				n, err := s.RenameSpeaker(r.from, r.to)
				if r.errHas == "" && err != nil || r.errHas != "" && (err == nil || !strings.Contains(err.Error(), r.errHas)) || n != r.n {
					t.Errorf("RenameSpeaker(%q, %q) = %d, %v; want %d, error %q", r.from, r.to, n, err, r.n, r.errHas)
				}
			}
			for _, x := range tc.after {
				s.Put(x)
			}
			if got := s.Segments(); !reflect.DeepEqual(got, tc.want) {
				t.Errorf("got  %+v\nwant %+v", got, tc.want)
			}
			s.Reset()
			if s.Put(said(0, "Others", "x")); s.At(0).Speaker != "Others" {
				t.Errorf("Reset kept a rename: %+v", s.At(0))
			}
		})
	}
}
