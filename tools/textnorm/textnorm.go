// Package textnorm normalises transcripts for word error rate measurement.
//
// Normalise lowercases, strips punctuation and spells numerals and clock times back out as words,
// exactly as the demo model's sentence formatter (tools/demomodel/textgen.py) produced them:
// "5:30" → five thirty, "5:00" → five o'clock, "25" → twenty five, "1500" → one thousand five hundred.
// Apostrophes and hyphens inside words are kept ("o'clock", "aujourd'hui", "dix-sept").
package textnorm

import (
	"regexp"
	"strconv"
	"strings"
	"unicode"
)

var (
	ones = []string{"zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine", "ten",
		"eleven", "twelve", "thirteen", "fourteen", "fifteen", "sixteen", "seventeen", "eighteen", "nineteen"}
	tens = []string{"", "", "twenty", "thirty", "forty", "fifty", "sixty", "seventy", "eighty", "ninety"}

	clockRe  = regexp.MustCompile(`\b(\d{1,2}):(\d{2})\b`)
	digitsRe = regexp.MustCompile(`\d+`)
)

// Spell returns the cardinal number n (0 ≤ n ≤ 9999) as the words the demo model's formatter uses:
// no "and", "one hundred" rather than "a hundred". Larger numbers are spelled digit by digit.
func Spell(n int) []string {
	if n < 0 || n > 9999 {
		s := strconv.Itoa(n)
		out := make([]string, 0, len(s))
		for _, c := range s {
			if c >= '0' && c <= '9' {
				out = append(out, ones[c-'0'])
			}
		}
		return out
	}
	if n < 20 {
		return []string{ones[n]}
	}
	var out []string
	if n >= 1000 {
		out = append(out, Spell(n/1000)...)
		out = append(out, "thousand")
		n %= 1000
		if n == 0 {
			return out
		}
	}
	if n >= 100 {
		out = append(out, Spell(n/100)...)
		out = append(out, "hundred")
		n %= 100
		if n == 0 {
			return out
		}
	}
	if n < 20 {
		return append(out, ones[n])
	}
	out = append(out, tens[n/10])
	if n%10 != 0 {
		out = append(out, ones[n%10])
	}
	return out
}

func spellDigits(s string) []string {
	n, err := strconv.Atoi(s)
	if err != nil || len(s) > 4 {
		out := make([]string, 0, len(s))
		for _, c := range s {
			out = append(out, ones[c-'0'])
		}
		return out
	}
	return Spell(n)
}

// Normalise turns a transcript into lowercase words without punctuation, with digits and clock
// times spelled out.
func Normalise(s string) []string {
	s = strings.ToLower(s)
	s = clockRe.ReplaceAllStringFunc(s, func(m string) string {
		parts := strings.SplitN(m, ":", 2)
		h, _ := strconv.Atoi(parts[0])
		mm, _ := strconv.Atoi(parts[1])
		words := Spell(h)
		if mm == 0 {
			words = append(words, "o'clock")
		} else {
			words = append(words, Spell(mm)...)
		}
		return " " + strings.Join(words, " ") + " "
	})
	s = digitsRe.ReplaceAllStringFunc(s, func(m string) string {
		return " " + strings.Join(spellDigits(m), " ") + " "
	})
	s = strings.Map(func(r rune) rune {
		if unicode.IsLetter(r) || unicode.IsDigit(r) || r == '\'' || r == '-' {
			return r
		}
		if r == '’' {
			return '\''
		}
		return ' '
	}, s)
	var out []string
	for _, w := range strings.Fields(s) {
		w = strings.Trim(w, "'-")
		if w != "" {
			out = append(out, w)
		}
	}
	return out
}

// WER is the word error rate of hyp against ref: (substitutions + deletions + insertions) / len(ref).
// An empty reference gives 0 for an empty hypothesis and 1 otherwise.
func WER(ref, hyp []string) float64 {
	if len(ref) == 0 {
		if len(hyp) == 0 {
			return 0
		}
		return 1
	}
	return float64(EditDistance(ref, hyp)) / float64(len(ref))
}

// EditDistance is the word-level Levenshtein distance between a and b.
func EditDistance(a, b []string) int {
	d := make([]int, len(b)+1)
	for j := range d {
		d[j] = j
	}
	for i := 1; i <= len(a); i++ {
		prev := d[0]
		d[0] = i
		for j := 1; j <= len(b); j++ {
			cost := 1
			if a[i-1] == b[j-1] {
				cost = 0
			}
			cur := min(d[j]+1, d[j-1]+1, prev+cost)
			prev, d[j] = d[j], cur
		}
	}
	return d[len(b)]
}
