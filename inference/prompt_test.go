package inference

import (
	"strings"
	"testing"
)

// The text before the audio is the same for every task: an utterance decodes it when it starts, before
// anyone knows what will be asked (audioTokens). It holds the chat template's opening, so a model without
// task prompts hears its audio inside a user turn.
func TestAudioPromptOpeningIsTaskFree(t *testing.T) {
	for _, c := range []struct {
		meta modelMeta
		open string
	}{
		{modelMeta{audioBegin: "<|audio>", audioEnd: "<audio|>", tasks: map[string]string{"transcribe": "<|transcribe|>", "translate:es": "<|es|>"}}, "<|audio>"},
		{modelMeta{audioBegin: "<|audio>", audioEnd: "<audio|>", template: "gemma", tasks: map[string]string{}}, "<start_of_turn>user\n<|audio>"},
		{modelMeta{audioBegin: "<|audio>", audioEnd: "<audio|>", template: "chatml", tasks: map[string]string{}}, "<|im_start|>user\n<|audio>"},
		{modelMeta{audioBegin: "[AUDIO]", audioEnd: "[/AUDIO]", template: "", tasks: map[string]string{}}, "[AUDIO]"},
	} {
		before, after := c.meta.audioPrompt(Transcribe)
		if before != c.open {
			t.Errorf("%s: before the audio %q, want %q", c.meta.template, before, c.open)
		}
		for _, task := range []Task{{Translate: "es"}, {Translate: "fr"}} {
			b, a := c.meta.audioPrompt(task)
			if b != before {
				t.Errorf("%s: %s opens with %q, transcription with %q", c.meta.template, task.Key(), b, before)
			}
			if a == after || !strings.HasPrefix(a, c.meta.audioEnd) {
				t.Errorf("%s: %s continues with %q (transcription: %q)", c.meta.template, task.Key(), a, after)
			}
		}
	}
}
