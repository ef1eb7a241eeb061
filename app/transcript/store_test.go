package transcript

import (
	"reflect"
	"testing"
	"time"
)

func seg(id int, lang, text string, final bool) Segment {
	return Segment{ID: id, Start: time.Duration(id) * time.Second, End: time.Duration(id+1) * time.Second, Text: text, Lang: lang, Final: final}
}

func TestStorePut(t *testing.T) {
	tests := []struct {
		name    string
		puts    []Segment
		changed []bool
		want    []Segment
	}{
		{
			name:    "empty",
			puts:    nil,
			changed: nil,
			want:    nil,
		},
		{
			name:    "order of first arrival kept",
			puts:    []Segment{seg(2, "", "two", true), seg(0, "", "zero", true), seg(1, "", "one", true)},
			changed: []bool{true, true, true},
			want:    []Segment{seg(2, "", "two", true), seg(0, "", "zero", true), seg(1, "", "one", true)},
		},
		{
			name:    "provisional replaced in place by final",
			puts:    []Segment{seg(0, "", "hel", false), seg(1, "", "wor", false), seg(0, "", "hello", true)},
			changed: []bool{true, true, true},
			want:    []Segment{seg(0, "", "hello", true), seg(1, "", "wor", false)},
		},
		{
			name:    "provisional replaced by provisional",
			puts:    []Segment{seg(0, "", "he", false), seg(0, "", "hell", false)},
			changed: []bool{true, true},
			want:    []Segment{seg(0, "", "hell", false)},
		},
		{
			name:    "final never reverts",
			puts:    []Segment{seg(0, "", "hello", true), seg(0, "", "hel", false)},
			changed: []bool{true, false},
			want:    []Segment{seg(0, "", "hello", true)},
		},
		{
			name:    "final replaced by final",
			puts:    []Segment{seg(0, "", "hello", true), seg(0, "", "Hello.", true)},
			changed: []bool{true, true},
			want:    []Segment{seg(0, "", "Hello.", true)},
		},
		{
			name:    "the same segment again changes nothing",
			puts:    []Segment{seg(0, "", "hello", false), seg(0, "", "hello", false)},
			changed: []bool{true, false},
			want:    []Segment{seg(0, "", "hello", false)},
		},
		{
			name: "translation of the same ID kept separate",
			puts: []Segment{seg(0, "", "hello", true), seg(0, "es", "hola", false), seg(1, "", "bye", true),
				seg(0, "es", "hola.", true), seg(0, "es", "ho", false)},
			changed: []bool{true, true, true, true, false},
			want:    []Segment{seg(0, "", "hello", true), seg(0, "es", "hola.", true), seg(1, "", "bye", true)},
		},
		{
			name:    "a final translation does not freeze its source",
			puts:    []Segment{seg(0, "es", "hola", true), seg(0, "", "hel", false), seg(0, "", "hello", false)},
			changed: []bool{true, true, true},
			want:    []Segment{seg(0, "es", "hola", true), seg(0, "", "hello", false)},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var s Store
			var changed []bool
			for _, p := range tt.puts {
				changed = append(changed, s.Put(p))
			}
			if !reflect.DeepEqual(changed, tt.changed) {
				t.Errorf("changed = %v, want %v", changed, tt.changed)
			}
			if got := s.Segments(); !reflect.DeepEqual(got, tt.want) {
				t.Errorf("segments = %+v, want %+v", got, tt.want)
			}
			if s.Len() != len(tt.want) {
				t.Errorf("Len = %d, want %d", s.Len(), len(tt.want))
			}
			for i, w := range tt.want {
				if j, ok := s.Index(w.ID, w.Lang); !ok || j != i || s.At(j) != w {
					t.Errorf("Index(%d, %q) = %d %v, At = %+v; want %d", w.ID, w.Lang, j, ok, s.At(j), i)
				}
			}
		})
	}
}

func TestStoreSegmentsIsACopy(t *testing.T) {
	var s Store
	s.Put(seg(0, "", "hello", true))
	got := s.Segments()
	got[0].Text = "changed"
	if s.At(0).Text != "hello" {
		t.Error("Segments shares the store's memory")
	}
}

func TestStoreReset(t *testing.T) {
	var s Store
	s.Put(seg(0, "", "hello", true))
	s.Reset()
	if s.Len() != 0 || s.Segments() != nil {
		t.Fatalf("not empty after Reset: %+v", s.Segments())
	}
	if _, ok := s.Index(0, ""); ok {
		t.Error("Reset kept the index")
	}
	// A final line that was cleared away does not hold back a new one with its ID.
	if !s.Put(seg(0, "", "again", false)) || s.At(0).Text != "again" {
		t.Errorf("after Reset: %+v", s.Segments())
	}
}

func TestNumbering(t *testing.T) {
	type put struct {
		run  int // index into the runs started, or -1: a recovered session
		segs []Segment
	}
	tests := []struct {
		name string
		runs int // recordings started before the puts
		puts []put
		want []int // transcript IDs, in the order of the puts' segments
	}{
		{
			name: "one recording keeps its IDs",
			runs: 1,
			puts: []put{{0, []Segment{seg(0, "", "a", false), seg(0, "", "a", true), seg(1, "", "b", true)}}},
			want: []int{0, 0, 1},
		},
		{
			name: "a second recording comes after the first",
			runs: 2,
			puts: []put{{0, []Segment{seg(0, "", "a", true), seg(1, "", "b", true)}}, {1, []Segment{seg(0, "", "c", true)}}},
			want: []int{0, 1, 2},
		},
		{
			name: "a translation keeps its source's ID",
			runs: 2,
			puts: []put{{0, []Segment{seg(0, "", "a", true)}}, {1, []Segment{seg(0, "", "b", true), seg(0, "es", "b es", true)}},
				{0, []Segment{seg(0, "es", "a es", true)}}},
			want: []int{0, 1, 1, 0},
		},
		{
			name: "renumbered on recovery after what is there",
			runs: 1,
			puts: []put{{0, []Segment{seg(0, "", "a", true), seg(1, "", "b", true)}},
				{-1, []Segment{seg(0, "", "r0", false), seg(0, "es", "r0 es", true), seg(1, "", "r1", true)}}},
			want: []int{0, 1, 2, 2, 3},
		},
		{
			name: "recovered into an empty transcript keeps its IDs",
			puts: []put{{-1, []Segment{seg(0, "", "r0", true), seg(1, "", "r1", true)}}},
			want: []int{0, 1},
		},
		{
			name: "two recovered sessions do not collide",
			puts: []put{{-1, []Segment{seg(0, "", "r0", true)}}, {-1, []Segment{seg(0, "", "s0", true), seg(1, "", "s1", true)}}},
			want: []int{0, 1, 2},
		},
		{
			name: "a recording after a recovered session comes after it",
			runs: 1,
			puts: []put{{-1, []Segment{seg(0, "", "r0", true), seg(1, "", "r1", true)}}, {0, []Segment{seg(0, "", "a", true)}}},
			want: []int{0, 1, 2},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var n Numbering
			var runs []int
			for range tt.runs {
				runs = append(runs, n.NewRun())
			}
			var got []int
			for _, p := range tt.puts {
				if p.run < 0 {
					in := append([]Segment(nil), p.segs...)
					out := n.Recovered(p.segs)
					if !reflect.DeepEqual(p.segs, in) {
						t.Error("Recovered changed its argument")
					}
					for i, s := range out {
						if !s.Final || s.Text != in[i].Text || s.Lang != in[i].Lang || s.Start != in[i].Start {
							t.Errorf("recovered %+v from %+v: want it final and otherwise the same", s, in[i])
						}
						got = append(got, s.ID)
					}
					continue
				}
				for _, s := range p.segs {
					got = append(got, n.ID(runs[p.run], s.ID))
				}
			}
			if !reflect.DeepEqual(got, tt.want) {
				t.Errorf("IDs = %v, want %v", got, tt.want)
			}
		})
	}
}

// Recovered lines stay final and in their place when the same store then gets a provisional line
// with a colliding recorder ID: the numbering keeps them apart.
func TestRecoveredIntoStore(t *testing.T) {
	var n Numbering
	var s Store
	rec := n.NewRun()
	s.Put(Segment{ID: n.ID(rec, 0), Text: "first", Final: true})
	for _, r := range n.Recovered([]Segment{{ID: 0, Text: "restored"}}) {
		s.Put(r)
	}
	s.Put(Segment{ID: n.ID(n.NewRun(), 0), Text: "then"})
	var texts []string
	for _, g := range s.Segments() {
		texts = append(texts, g.Text)
	}
	if want := []string{"first", "restored", "then"}; !reflect.DeepEqual(texts, want) {
		t.Errorf("lines %q, want %q", texts, want)
	}
}

// An edit replaces a line's text, keeps its ID, times and place, and stays whatever the model sends
// for the line later; only another edit replaces it.
func TestStoreEdit(t *testing.T) {
	edited := func(s Segment, text string) Segment { s.Text, s.Edited = text, true; return s }
	tests := []struct {
		name    string
		before  []Segment
		id      int
		lang    string
		text    string
		after   []Segment
		want    []Segment
		wantErr bool
	}{
		{name: "final line", before: []Segment{seg(0, "", "helo wrld", true), seg(1, "", "bye", true)}, id: 0, text: " hello world ",
			want: []Segment{edited(seg(0, "", "", true), "hello world"), seg(1, "", "bye", true)}},
		{name: "a later provisional update keeps the edit", before: []Segment{seg(0, "", "hel", false)}, id: 0, text: "Hello.",
			after: []Segment{seg(0, "", "hell", false)}, want: []Segment{edited(seg(0, "", "", false), "Hello.")}},
		{name: "the final update keeps the edit and becomes final", before: []Segment{seg(0, "", "hel", false)}, id: 0, text: "Hello.",
			after: []Segment{seg(0, "", "hello", true)}, want: []Segment{edited(seg(0, "", "", true), "Hello.")}},
		{name: "an edit replayed over the line", before: []Segment{seg(0, "", "helo", true)}, id: 0, text: "x",
			after: []Segment{edited(seg(0, "", "", true), "hello")}, want: []Segment{edited(seg(0, "", "", true), "hello")}},
		{name: "translation apart from its source", before: []Segment{seg(0, "", "hello", true), seg(0, "es", "ola", true)}, id: 0, lang: "es", text: "hola",
			want: []Segment{seg(0, "", "hello", true), edited(seg(0, "es", "", true), "hola")}},
		{name: "no such line", before: []Segment{seg(0, "", "hello", true)}, id: 3, text: "x", wantErr: true,
			want: []Segment{seg(0, "", "hello", true)}},
		{name: "edited to nothing", before: []Segment{seg(0, "", "hello", true)}, id: 0, text: "  ", wantErr: true,
			want: []Segment{seg(0, "", "hello", true)}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var s Store
			for _, p := range tt.before {
				s.Put(p)
			}
			got, err := s.Edit(tt.id, tt.lang, tt.text)
			if (err != nil) != tt.wantErr {
				t.Fatalf("Edit: %v, want error %v", err, tt.wantErr)
			}
			if err == nil {
				if i, _ := s.Index(tt.id, tt.lang); s.At(i) != got {
					t.Errorf("Edit returned %+v, the store holds %+v", got, s.At(i))
				}
			}
			for _, p := range tt.after {
				s.Put(p)
			}
			if segs := s.Segments(); !reflect.DeepEqual(segs, tt.want) {
				t.Errorf("segments = %+v, want %+v", segs, tt.want)
			}
		})
	}
}

// Origin gives back the run and the run's own ID of each ID given.
func TestNumberingOrigin(t *testing.T) {
	var n Numbering
	r1 := n.NewRun()
	n.ID(r1, 0)
	n.ID(r1, 1)
	r2 := n.NewRun()
	w := n.ID(r2, 0)
	if run, id, ok := n.Origin(w); !ok || run != r2 || id != 0 {
		t.Errorf("Origin(%d) = %d, %d, %v; want %d, 0", w, run, id, ok, r2)
	}
	if run, id, ok := n.Origin(1); !ok || run != r1 || id != 1 {
		t.Errorf("Origin(1) = %d, %d, %v", run, id, ok)
	}
	if _, _, ok := n.Origin(9); ok {
		t.Error("Origin of an ID never given")
	}
}
