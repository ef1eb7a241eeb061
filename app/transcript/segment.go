// Package transcript holds the text Verbatim produces: timed segments, provisional or final.
package transcript

import (
	"errors"
	"strings"
	"time"
)

// Segment is one utterance's text with its place in the audio.
// Provisional segments may be replaced; a final one never changes.
type Segment struct {
	ID    int           `json:"id"`
	Start time.Duration `json:"start"`
	End   time.Duration `json:"end"`
	Text  string        `json:"text"`
	// Lang is the language of Text: "" for the spoken language, else a target such as "es".
	Lang  string `json:"lang,omitempty"`
	Final bool   `json:"final"`
	// Speaker is who spoke, as shown: Mic ("You") for the microphone and System ("Others") for the
	// computer's own sound when both are recorded, or a name the user gave instead; "" when only one
	// source is recorded (a plain transcript names nobody).
	Speaker string `json:"speaker,omitempty"`
	// Edited: a person corrected Text (Store.Edit); what the model says later never replaces it.
	Edited bool `json:"edited,omitempty"`
}

// The speaker labels a recording of two sources starts with.
const (
	Mic    = "You"    // the microphone: the person at the computer
	System = "Others" // what the computer plays: a call's other side
)

// maxSpeaker bounds a speaker's name (in bytes): a label, not a paragraph.
const maxSpeaker = 80

// CleanSpeaker checks a speaker's name and returns it as it is stored: spaces trimmed and any run of
// white space (a line break included) made one space, so that the name fits the one line every format
// gives it. An empty name or one longer than 80 bytes is refused.
func CleanSpeaker(name string) (string, error) {
	name = strings.Join(strings.Fields(name), " ")
	switch {
	case name == "":
		return "", errors.New("a speaker's name cannot be empty")
	case len(name) > maxSpeaker:
		return "", errors.New("a speaker's name is at most 80 bytes long")
	}
	return name, nil
}
