package textnorm

import (
	"math"
	"os"
	"reflect"
	"strings"
	"testing"
)

func TestNormalise(t *testing.T) {
	tests := []struct {
		in   string
		want string
	}{
		{"Please bring the red box to the kitchen at 5:30.", "please bring the red box to the kitchen at five thirty"},
		{"Set an alarm for 8:00 on Sunday, please.", "set an alarm for eight o'clock on sunday please"},
		{"The museum closes at 12:45.", "the museum closes at twelve forty five"},
		{"I need 25 cups.", "i need twenty five cups"},
		{"There are 100 books in the library.", "there are one hundred books in the library"},
		{"We need 320 red bottles.", "we need three hundred twenty red bottles"},
		{"Buy 1500 apples.", "buy one thousand five hundred apples"},
		{"Buy 2000 apples.", "buy two thousand apples"},
		{"Set a timer for 10 minutes.", "set a timer for ten minutes"},
		{"What time is it?", "what time is it"},
		{"Yes, the train is late.", "yes the train is late"},
		{"It is 1:15 in the afternoon.", "it is one fifteen in the afternoon"},
		{"  ", ""},
		{"¿Dónde está la caja rojo?", "dónde está la caja rojo"},
		{"Il est 5:30 aujourd'hui, dix-sept.", "il est five thirty aujourd'hui dix-sept"},
		{"'quoted' -dash-", "quoted dash"},
		{"Room 0", "room zero"},
		{"Meet Tom at 7:05", "meet tom at seven five"},
	}
	for _, tt := range tests {
		got := strings.Join(Normalise(tt.in), " ")
		if got != tt.want {
			t.Errorf("Normalise(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

func TestSpell(t *testing.T) {
	tests := []struct {
		n    int
		want string
	}{
		{0, "zero"}, {7, "seven"}, {19, "nineteen"}, {20, "twenty"}, {21, "twenty one"}, {99, "ninety nine"},
		{100, "one hundred"}, {105, "one hundred five"}, {250, "two hundred fifty"},
		{1000, "one thousand"}, {2025, "two thousand twenty five"}, {9999, "nine thousand nine hundred ninety nine"},
		{12345, "one two three four five"},
	}
	for _, tt := range tests {
		if got := strings.Join(Spell(tt.n), " "); got != tt.want {
			t.Errorf("Spell(%d) = %q, want %q", tt.n, got, tt.want)
		}
	}
}

func TestWER(t *testing.T) {
	tests := []struct {
		ref, hyp string
		want     float64
	}{
		{"a b c d", "a b c d", 0},
		{"a b c d", "a x c d", 0.25},
		{"a b c d", "a c d", 0.25},
		{"a b c d", "a b c d e", 0.25},
		{"a b", "", 1},
		{"", "", 0},
		{"", "a", 1},
		{"the red box", "red the box", 2.0 / 3},
	}
	for _, tt := range tests {
		got := WER(strings.Fields(tt.ref), strings.Fields(tt.hyp))
		if math.Abs(got-tt.want) > 1e-9 {
			t.Errorf("WER(%q, %q) = %v, want %v", tt.ref, tt.hyp, got, tt.want)
		}
	}
}

func TestNormaliseFormattedMatchesSpoken(t *testing.T) {
	// Pairs exactly as the demo model's formatter writes them (spoken words, formatted English).
	pairs := [][2]string{
		{"please call sarah at the museum at eight o'clock in the evening", "Please call Sarah at the museum at 8:00 in the evening."},
		{"there are eighty seven gray bottles in the hospital", "There are 87 gray bottles in the hospital."},
		{"the museum closes at four forty eight", "The museum closes at 4:48."},
		{"check the old report in the city on thursday morning please", "Check the old report in the city on Thursday morning, please."},
	}
	for _, p := range pairs {
		if got := Normalise(p[1]); !reflect.DeepEqual(got, strings.Fields(p[0])) {
			t.Errorf("Normalise(%q) = %q, want %q", p[1], got, p[0])
		}
	}
}

// TestFormatterRoundTrip checks Normalise against sentences written by the demo model's formatter.
func TestFormatterRoundTrip(t *testing.T) {
	b, err := os.ReadFile("testdata/formatted.tsv")
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	for _, line := range strings.Split(string(b), "\n") {
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		spoken, formatted, ok := strings.Cut(line, "\t")
		if !ok {
			t.Fatalf("bad line %q", line)
		}
		n++
		if got := Normalise(formatted); !reflect.DeepEqual(got, strings.Fields(spoken)) {
			t.Errorf("Normalise(%q) = %q, want %q", formatted, got, spoken)
		}
	}
	if n < 100 {
		t.Fatalf("only %d pairs", n)
	}
}
