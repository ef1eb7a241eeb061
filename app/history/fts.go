package history

import (
	"fmt"
	"strings"
	"unicode"
)

// ftsQuery turns what a person typed into an FTS5 query. Every word is quoted, so punctuation is text
// ("don't", "C++", "e-mail", "10:30") and never FTS5 syntax; what stays syntax is a "quoted phrase", a
// trailing * (prefix), the operators AND, OR, NOT in capitals, and parentheses when they balance.
func ftsQuery(q string) (string, error) {
	if strings.TrimSpace(q) == "" {
		return "", fmt.Errorf("search: %w: empty query", ErrQuery)
	}
	parens := balanced(q)
	var out []string
	r := []rune(q)
	for i := 0; i < len(r); {
		c := r[i]
		switch {
		case unicode.IsSpace(c):
			i++
		case c == '"':
			j := i + 1
			for j < len(r) && r[j] != '"' {
				j++
			}
			phrase := quote(string(r[i+1 : min(j, len(r))]))
			i = j + 1
			if i < len(r) && r[i] == '*' {
				phrase += "*"
				i++
			}
			out = append(out, phrase)
		case parens && (c == '(' || c == ')'):
			out = append(out, string(c))
			i++
		default:
			j := i
			for j < len(r) && !unicode.IsSpace(r[j]) && r[j] != '"' && !(parens && (r[j] == '(' || r[j] == ')')) {
				j++
			}
			w := string(r[i:j])
			i = j
			switch {
			case w == "AND" || w == "OR" || w == "NOT":
				out = append(out, w)
			case len(w) > 1 && strings.HasSuffix(w, "*"):
				out = append(out, quote(strings.TrimRight(w, "*"))+"*")
			default:
				out = append(out, quote(w))
			}
		}
	}
	return strings.Join(out, " "), nil
}

// quote makes s an FTS5 string: the tokenizer then splits it into words, punctuation being separators.
func quote(s string) string { return `"` + strings.ReplaceAll(s, `"`, `""`) + `"` }

// balanced reports whether q's parentheses (outside quotes) pair up; unbalanced ones are text, as in
// "(laughs" or ":)".
func balanced(q string) bool {
	depth, in := 0, false
	for _, c := range q {
		switch {
		case c == '"':
			in = !in
		case in:
		case c == '(':
			depth++
		case c == ')':
			depth--
			if depth < 0 {
				return false
			}
		}
	}
	return depth == 0
}
