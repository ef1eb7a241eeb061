package dictate

import (
	"regexp"
	"strings"
)

// Command is a spoken command and what it types.
type Command struct {
	Phrase string // as spoken, lower case
	Types  string
}

// Commands are the spoken commands by language: English ("en"), and for a translation the phrases it
// turns the English ones into. Listed in the settings.
func Commands() map[string][]Command {
	return map[string][]Command{
		"en": {{"new paragraph", "\n\n"}, {"new line", "\n"}},
		"es": {{"nuevo párrafo", "\n\n"}, {"nueva línea", "\n"}, {"nueva linea", "\n"}},
		"fr": {{"nouveau paragraphe", "\n\n"}, {"nouvelle ligne", "\n"}, {"à la ligne", "\n"}},
		"de": {{"neuer absatz", "\n\n"}, {"neue zeile", "\n"}},
	}
}

// commandRe matches the commands of English and lang, and maps each phrase to what it types.
func commandRe(lang string) (*regexp.Regexp, map[string]string) {
	all := Commands()
	cmds := all["en"]
	if lang != "" && lang != "en" {
		cmds = append(append([]Command(nil), all[lang]...), cmds...)
	}
	alts := make([]string, 0, len(cmds))
	types := map[string]string{}
	for _, c := range cmds {
		words := strings.Fields(c.Phrase)
		for i, w := range words {
			words[i] = regexp.QuoteMeta(w)
		}
		alts = append(alts, strings.Join(words, `\s+`))
		types[strings.Join(strings.Fields(c.Phrase), " ")] = c.Types
	}
	// The phrase as whole words (spaces, a line's start or end around it; RE2's \b knows only ASCII),
	// with the comma or full stop a model writes around a spoken command (", new line," or ". New line.")
	// taken with it; a sentence's own . ! ? before it stays, and so do newlines typed by commands before.
	re := regexp.MustCompile(`(?i)(?:[,;:]?[ \t]+|(?m:^))(` + strings.Join(alts, "|") + `)(?:[.,;:!]?[ \t]+|[.,;:!]?(?m:$))`)
	return re, types
}

// ApplyCommands replaces the spoken commands in text (in English, or in lang, the language text is in)
// by what they type: "Dear Anna, new line, thank you." → "Dear Anna\nthank you.".
func ApplyCommands(text, lang string) string {
	re, types := commandRe(lang)
	// Again while something changes: a match takes the space after it, which the next command in
	// "new line new line" needs before it.
	for range 8 {
		next := re.ReplaceAllStringFunc(text, func(m string) string {
			phrase := re.FindStringSubmatch(m)[1]
			return types[strings.ToLower(strings.Join(strings.Fields(phrase), " "))]
		})
		if next == text {
			break
		}
		text = next
	}
	return text
}
