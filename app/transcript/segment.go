// Package transcript holds the text Verbatim produces: timed segments, provisional or final.
package transcript

import "time"

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
}
