package inference

import (
	"fmt"
	"strings"

	"github.com/verbatim-app/verbatim/app/speech"
	"github.com/verbatim-app/verbatim/inference/gguf"
)

// Task is what to do with the audio: transcribe it, or translate it into a language.
type Task struct {
	Translate string // "" to transcribe; else a target language code such as "es"
}

// Transcribe is the plain transcription task.
var Transcribe = Task{}

// Key names the task the way model metadata does: "transcribe" or "translate:es".
func (t Task) Key() string {
	if t.Translate == "" {
		return "transcribe"
	}
	return "translate:" + t.Translate
}

// modelMeta is how to prompt a model, read once from its GGUF metadata.
type modelMeta struct {
	audioBegin, audioEnd string
	tasks                map[string]string // task key → prompt text placed after the audio
	template             string            // chat template family: chatml, gemma, llama3, mistral or ""
}

func readMeta(f *gguf.File, info gguf.Info) modelMeta {
	m := modelMeta{audioBegin: f.String("verbatim.audio.begin"), audioEnd: f.String("verbatim.audio.end"), tasks: map[string]string{}}
	for _, t := range f.Strings("verbatim.tasks") {
		m.tasks[t] = f.String("verbatim.prompt." + t)
	}
	if m.audioBegin == "" {
		// Gemma 4's own markers, as the gemma4ua projector expects.
		m.audioBegin, m.audioEnd = "<|audio>", "<audio|>"
	}
	tmpl := f.String("tokenizer.chat_template")
	switch {
	case strings.Contains(tmpl, "<|im_start|>"):
		m.template = "chatml"
	case strings.Contains(tmpl, "<start_of_turn>"):
		m.template = "gemma"
	case strings.Contains(tmpl, "<|start_header_id|>"):
		m.template = "llama3"
	case strings.Contains(tmpl, "[INST]"):
		m.template = "mistral"
	}
	return m
}

// Tasks lists the tasks a model was trained for, or nil when it follows free instructions.
func (m modelMeta) Tasks() []string {
	var out []string
	for k := range m.tasks {
		out = append(out, k)
	}
	return out
}

// supports reports whether the model can do the task.
func (m modelMeta) supports(t Task) error {
	if len(m.tasks) == 0 {
		return nil
	}
	if _, ok := m.tasks[t.Key()]; !ok {
		return fmt.Errorf("this model cannot %s (it knows: %s)", describe(t), strings.Join(sorted(m.Tasks()), ", "))
	}
	return nil
}

func describe(t Task) string {
	if t.Translate == "" {
		return "transcribe"
	}
	return "translate into " + speech.LanguageName(t.Translate)
}

func sorted(s []string) []string {
	out := append([]string(nil), s...)
	for i := range out {
		for j := i + 1; j < len(out); j++ {
			if out[j] < out[i] {
				out[i], out[j] = out[j], out[i]
			}
		}
	}
	return out
}

// instruction is the plain instruction for a task. tools/demomodel/gemma.py trains the Gemma-4-architecture
// demo model on these exact words; changing them makes it hear worse, and TestDemoGemma4HearsThroughTheGoEngine
// fails until it is retrained.
func instruction(t Task) string {
	if t.Translate == "" {
		return "Transcribe the audio exactly as spoken. Use sentence case, punctuation and numerals. Reply with the transcript only."
	}
	return fmt.Sprintf("Translate the speech in the audio into %s. Reply with the translation only.", speech.LanguageName(t.Translate))
}

// audioPrompt returns the text before and after the audio for a task: the model's own task prompt after
// the audio when its metadata lists one, else a plain instruction in its chat template, the audio
// between its begin and end markers.
func (m modelMeta) audioPrompt(t Task) (before, after string) {
	if p, ok := m.tasks[t.Key()]; ok {
		return m.audioBegin, m.audioEnd + p
	}
	audio := m.audioBegin + "\x00" + m.audioEnd
	user := audio + "\n" + instruction(t)
	full := m.textPrompt(user)
	if m.template == "" {
		full += "\n"
	}
	i := strings.IndexByte(full, 0)
	return full[:i], full[i+1:]
}

// textPrompt wraps a plain instruction in the model's chat template.
func (m modelMeta) textPrompt(user string) string {
	switch m.template {
	case "chatml":
		return "<|im_start|>user\n" + user + "<|im_end|>\n<|im_start|>assistant\n"
	case "gemma":
		return "<start_of_turn>user\n" + user + "<end_of_turn>\n<start_of_turn>model\n"
	case "llama3":
		return "<|start_header_id|>user<|end_header_id|>\n\n" + user + "<|eot_id|><|start_header_id|>assistant<|end_header_id|>\n\n"
	case "mistral":
		return "[INST]" + user + "[/INST]"
	}
	return user
}
