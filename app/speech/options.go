package speech

import (
	"fmt"
	"os"
	"strings"
)

// DraftMode chooses how tokens are proposed for speculative decoding. Output is identical to plain
// greedy decoding in every mode: the model verifies each proposal in one batch.
type DraftMode int

const (
	DraftOff    DraftMode = iota
	DraftLookup           // n-grams from the prompt and the text so far (no extra model)
	DraftModel            // a small model with the same vocabulary
	DraftAuto             // drafting only where it was measured to pay (see models.LoadConfig): a drafter named by the user, else none
	DraftMTP              // an MTP head on the model's own hidden state
)

func (d DraftMode) String() string {
	return [...]string{"off", "lookup", "model", "auto", "mtp"}[d]
}

// ParseDraftMode reads a --draft flag value.
func ParseDraftMode(s string) (DraftMode, error) {
	for m := DraftOff; m <= DraftMTP; m++ {
		if m.String() == s {
			return m, nil
		}
	}
	return DraftOff, fmt.Errorf("unknown draft mode %q (want off, lookup, model, mtp or auto)", s)
}

// MTPHeadBeside is the MTP head file that goes with a model by name (MODEL.mtp.gguf next to
// MODEL.gguf), or "" when there is none.
func MTPHeadBeside(modelPath string) string {
	p := strings.TrimSuffix(modelPath, ".gguf") + ".mtp.gguf"
	if st, err := os.Stat(p); err == nil && st.Mode().IsRegular() {
		return p
	}
	return ""
}

// languageNames are used in instructions to general-purpose models and in replies.
var languageNames = map[string]string{"en": "English", "es": "Spanish", "fr": "French", "de": "German",
	"it": "Italian", "pt": "Portuguese", "nl": "Dutch", "ja": "Japanese", "zh": "Chinese", "ko": "Korean", "ru": "Russian"}

// LanguageName returns the English name of a language code, or the code itself.
func LanguageName(code string) string {
	if n, ok := languageNames[code]; ok {
		return n
	}
	return code
}
