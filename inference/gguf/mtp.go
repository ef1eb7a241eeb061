package gguf

import "fmt"

// CheckMTPHead checks that the file at path is an MTP head that can draft for target, a model whose hidden
// states are targetWidth wide: its own checks (checkMTPHead), then the target's vocabulary and width. Both
// engines run heads, so both take this one rule.
func CheckMTPHead(path string, target *File, targetWidth uint64) (*File, Info, error) {
	hf, info, err := Check(path)
	if err != nil {
		return nil, info, fmt.Errorf("load MTP head: %w", err)
	}
	if info.Kind != KindMTPHead {
		return nil, info, fmt.Errorf("load MTP head: %s is a %s, not an MTP head", path, info.Kind)
	}
	if arch := target.String("general.architecture"); IsAssistantArchitecture(info.Architecture) && !IsGoEngineArchitecture(arch) {
		return nil, info, fmt.Errorf("MTP head %s is a Gemma 4 assistant; it drafts for Gemma 4, not for %s (a %q model)", path, target.Path, arch)
	}
	// Google's assistant files carry no tokenizer: their output's size is all there is to compare.
	if len(hf.Strings("tokenizer.ggml.tokens")) > 0 {
		err = SameVocabulary(target, hf)
	} else if n := len(target.Strings("tokenizer.ggml.tokens")); n != info.VocabSize {
		err = fmt.Errorf("it drafts among %d tokens, the model has %d", info.VocabSize, n)
	}
	if err != nil {
		return nil, info, fmt.Errorf("MTP head %s cannot draft for %s: %w", path, target.Path, err)
	}
	if info.EmbeddingLen != targetWidth {
		return nil, info, fmt.Errorf("MTP head %s reads hidden states of width %d, %s has %d", path, info.EmbeddingLen, target.Path, targetWidth)
	}
	return hf, info, nil
}

// SameVocabulary reports how two files' tokenizer.ggml.tokens differ, if they do: a drafter (a draft model
// or an MTP head) proposes token ids, which mean the same to its target only in the same vocabulary.
func SameVocabulary(a, b *File) error {
	ta, tb := a.Strings("tokenizer.ggml.tokens"), b.Strings("tokenizer.ggml.tokens")
	if len(ta) != len(tb) {
		return fmt.Errorf("vocabularies differ in size (%d vs %d tokens)", len(ta), len(tb))
	}
	for i := range ta {
		if ta[i] != tb[i] {
			return fmt.Errorf("vocabularies differ at token %d (%q vs %q)", i, ta[i], tb[i])
		}
	}
	return nil
}
