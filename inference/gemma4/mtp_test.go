package gemma4

import (
	"bytes"
	"context"
	"log/slog"
	"path/filepath"
	"strings"
	"testing"

	"github.com/verbatim-app/verbatim/app/speech"
	"github.com/verbatim-app/verbatim/inference/gguf"
	tg4 "github.com/verbatim-app/verbatim/inference/testmodel/gemma4"
)

// writeHead writes a synthetic head that has learnt the bigrams of next (tg4.NewMTPHead).
func writeHead(t *testing.T, ref *tg4.Model, next map[int]int, e tg4.MTPEdit) (string, tg4.MTPHead) {
	t.Helper()
	h := ref.NewMTPHead(next, 96, 0.3, 0.3, 3, 5)
	path := filepath.Join(t.TempDir(), "gemma4-synthetic.mtp.gguf")
	if err := ref.WriteMTPHead(path, h, e); err != nil {
		t.Fatal(err)
	}
	return path, h
}

// lastHidden decodes toks from position 0 on an emptied cache and returns the last row's final hidden state,
// where a drafter starts.
func lastHidden(c *core, toks []int32) ([]float32, error) {
	if err := c.rollback(0); err != nil {
		return nil, err
	}
	hs, _, err := c.run(tokenRows(toks), 0, []int{len(toks) - 1})
	if err != nil {
		return nil, err
	}
	return hs[0], nil
}

// The head built with ollama's ml API on the target's backend computes what the plain Go reference of the
// head format computes, through a chain of steps each fed the previous step's output.
func TestMTPHeadMatchesReference(t *testing.T) {
	for name, spec := range map[string]tg4.Spec{"12B-style": tg4.DefaultSpec(), "E-style": tg4.ESpec()} {
		t.Run(name, func(t *testing.T) {
			ref, m := tinyOf(t, spec, 16)
			path, rh := writeHead(t, ref, map[int]int{290: 300, 300: 301, 301: 302}, tg4.MTPEdit{})
			dm, closeAll, err := m.WithMTPHead(context.Background(), path)
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(closeAll)
			head := dm.(drafting).head
			toks := []int32{tg4.BOS, tg4.TurnBegin, 300, 301, 302}
			if err := m.do(context.Background(), func(c *core) error {
				h0, err := lastHidden(c, toks)
				if err != nil {
					return err
				}
				hidden, refHidden, tok := h0, h0, int32(290)
				for step := range 3 {
					next, _, out, err := head.step(c, hidden, tok, 0)
					if err != nil {
						return err
					}
					refLogits, refOut := ref.MTPStep(rh, refHidden, int(tok))
					want := speech.Greedy(refLogits)
					if int(next) != want {
						t.Errorf("step %d: head drafts %d, reference %d", step, next, want)
					}
					if ok, rel := closeTo(refOut, out, 1e-3); !ok {
						t.Errorf("step %d: head output differs from the reference by %g of its scale", step, rel)
					}
					hidden, refHidden, tok = out, refOut, next
				}
				return nil
			}); err != nil {
				t.Fatal(err)
			}
		})
	}
}

// drafters are the two kinds of drafter file, each written to follow the bigrams in next.
var drafters = map[string]func(t *testing.T, ref *tg4.Model, next map[int]int) string{
	"MTP head": func(t *testing.T, ref *tg4.Model, next map[int]int) string {
		path, _ := writeHead(t, ref, next, tg4.MTPEdit{})
		return path
	},
	"assistant": func(t *testing.T, ref *tg4.Model, next map[int]int) string {
		path, _ := writeAssistant(t, ref, next, 0.3, tg4.Edit{})
		return path
	},
}

// Drafting with either drafter gives the plain greedy text, token for token, for several clips and targets
// on both decoder styles, and drafts were both accepted and rejected along the way (so the acceptance rule
// and the rollback past rejected drafts both ran). The drafter has learnt the bigrams of the first clip's
// transcript, which the other answers share only in part.
func TestMTPDraftingIsGreedy(t *testing.T) {
	for name, spec := range map[string]tg4.Spec{"12B-style": tg4.DefaultSpec(), "E-style": tg4.ESpec()} {
		for kind, write := range drafters {
			t.Run(name+"/"+kind, func(t *testing.T) { draftingIsGreedy(t, spec, write) })
		}
	}
}

func draftingIsGreedy(t *testing.T, spec tg4.Spec, write func(*testing.T, *tg4.Model, map[int]int) string) {
	ref, m := tinyOf(t, spec, 24)
	first, err := speech.Hear(context.Background(), m, noise(6000, 7), nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	next := map[int]int{}
	if err := m.do(context.Background(), func(c *core) error {
		toks, err := c.m.Encode(first[""].Text, false)
		for i := 1; i < len(toks); i++ {
			if _, ok := next[int(toks[i-1])]; !ok {
				next[int(toks[i-1])] = int(toks[i])
			}
		}
		return err
	}); err != nil {
		t.Fatal(err)
	}
	dm, closeAll, err := m.WithMTPHead(context.Background(), write(t, ref, next))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(closeAll)
	var drafted, accepted int
	for _, seed := range []int64{7, 11, 23} {
		samples := noise(6000, seed)
		targets := []string{"", "es"}
		plain, err := speech.Hear(context.Background(), m, samples, targets, nil)
		if err != nil {
			t.Fatal(err)
		}
		var streamed strings.Builder
		got, err := speech.Hear(context.Background(), dm, samples, targets, func(target, piece string) {
			if target == "" {
				streamed.WriteString(piece)
			}
		})
		if err != nil {
			t.Fatal(err)
		}
		for _, target := range targets {
			p, g := plain[target], got[target]
			if p.Drafted != 0 {
				t.Fatalf("plain decoding drafted %d tokens", p.Drafted)
			}
			if g.Text != p.Text || g.Tokens != p.Tokens {
				t.Errorf("clip %d, target %q: drafted %q (%d tokens); plain greedy %q (%d tokens)", seed, target, g.Text, g.Tokens, p.Text, p.Tokens)
			}
			t.Logf("clip %d, target %q: %d tokens, %d drafted, %d accepted: %q", seed, target, g.Tokens, g.Drafted, g.Accepted, g.Text)
			drafted += g.Drafted
			accepted += g.Accepted
		}
		if s := strings.TrimSpace(streamed.String()); s != got[""].Text {
			t.Errorf("clip %d: streamed %q, result %q", seed, s, got[""].Text)
		}
	}
	if accepted == 0 || accepted == drafted {
		t.Fatalf("%d drafts, %d accepted: the test needs both accepted and rejected drafts", drafted, accepted)
	}
}

// A drafter that cannot draft for the model, Verbatim's MTP head or Google's assistant, is refused with what
// is wrong, before ggml reads it.
func TestDrafterRefused(t *testing.T) {
	ref, m := tiny(t, 8)
	other := tg4.DefaultSpec()
	other.Words = append(other.Words[:len(other.Words):len(other.Words)], "zebra")
	narrow := tg4.DefaultSpec() // the same vocabulary, hidden states half as wide
	narrow.Embd = 32
	wide := tg4.DefaultSpec() // wider hidden states (an assistant must be narrower than its model)
	wide.Embd = 96
	smallHeads := tg4.DefaultSpec() // the same vocabulary and width, smaller sliding heads
	smallHeads.HeadDimSWA = 8
	head := func(ref *tg4.Model, e tg4.MTPEdit) func(*testing.T) string {
		return func(t *testing.T) string { path, _ := writeHead(t, ref, nil, e); return path }
	}
	assistant := func(ref *tg4.Model, e tg4.Edit) func(*testing.T) string {
		return func(t *testing.T) string { path, _ := writeAssistant(t, ref, nil, 1, e); return path }
	}
	for _, tc := range []struct {
		name  string
		write func(*testing.T) string
		want  string
	}{
		{"head: wrong width", head(tg4.New(narrow), tg4.MTPEdit{}), "width 32"},
		{"head: width and tensors disagree", head(ref, tg4.MTPEdit{Width: 32}), "mtp."},
		{"head: missing tensor", head(ref, tg4.MTPEdit{Drop: "mtp.ffn_up.weight"}), "mtp.ffn_up.weight"},
		{"head: other vocabulary", head(tg4.New(other), tg4.MTPEdit{}), "vocabularies differ"},
		{"assistant: another model's width", assistant(tg4.New(wide), tg4.Edit{}), "width 96"},
		{"assistant: another vocabulary", assistant(tg4.New(other), tg4.Edit{}), "drafts among"},
		{"assistant: another model's head size", assistant(tg4.New(smallHeads), tg4.Edit{}), "head sizes 32 (global) and 8 (sliding), the model's keys 32 and 16"},
		{"assistant: head size and tensors disagree", assistant(ref, tg4.Edit{Keys: func(w *gguf.Writer) {
			w.SetUint32(gguf.AssistantArchitecture+".attention.key_length_swa", 8)
			w.SetUint32(gguf.AssistantArchitecture+".attention.value_length_swa", 8)
		}}), "blk.0.attn_output.weight has shape [64 32]; want [32 32]"},
		{"assistant: missing tensor", assistant(ref, tg4.Edit{Tensor: func(name string, shape []uint64) []uint64 {
			if name == "blk.2.ffn_up.weight" {
				return nil
			}
			return shape
		}}), "blk.2.ffn_up.weight is missing"},
		{"assistant: as wide as its model", assistant(ref, tg4.Edit{Keys: func(w *gguf.Writer) {
			w.SetUint32(gguf.AssistantArchitecture+".embedding_length", 64)
		}}), "embedding_length_out equals embedding_length"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			path := tc.write(t)
			_, _, err := m.WithMTPHead(context.Background(), path)
			if err == nil || !strings.Contains(err.Error(), tc.want) || !strings.Contains(err.Error(), path) {
				t.Fatalf("got %v; want an error naming %s and %q", err, path, tc.want)
			}
		})
	}
	// The model still decodes after the refusals.
	if _, err := speech.Hear(context.Background(), m, noise(3000, 7), nil, nil); err != nil {
		t.Fatal(err)
	}
}

// Engine.Load: --draft mtp drafts with the head and fails on a bad one; auto with a head the user named
// drafts, a bad head that was not required is a warning; off decodes plainly.
func TestEngineLoadsMTPHead(t *testing.T) {
	ref := tg4.New(tg4.DefaultSpec())
	dir := t.TempDir()
	mp, pp, err := ref.Files(dir)
	if err != nil {
		t.Fatal(err)
	}
	good, _ := writeHead(t, ref, nil, tg4.MTPEdit{})
	bad, _ := writeHead(t, ref, nil, tg4.MTPEdit{Drop: "mtp.fc.weight"})
	e := Engine{Instruction: instruction}
	for _, tc := range []struct {
		name     string
		draft    speech.DraftMode
		head     string
		required bool
		drafts   bool
		fails    bool
		warns    bool
	}{
		{"mtp", speech.DraftMTP, good, true, true, false, false},
		{"mtp without head", speech.DraftMTP, "", true, false, true, false},
		{"mtp bad head", speech.DraftMTP, bad, true, false, true, false},
		{"auto", speech.DraftAuto, good, true, true, false, false},
		{"auto bad head not required", speech.DraftAuto, bad, false, false, false, true},
		{"off", speech.DraftOff, good, false, false, false, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var log bytes.Buffer
			o, err := e.Load(context.Background(), speech.LoadConfig{Model: mp, Projector: pp, Threads: 1, MaxTokens: 8,
				Draft: tc.draft, MTPHead: tc.head, MTPRequired: tc.required, Log: slog.New(slog.NewTextHandler(&log, nil))})
			if tc.fails {
				if err == nil {
					o.Close()
					t.Fatal("loaded")
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			defer o.Close()
			if _, drafts := o.Model.(drafting); drafts != tc.drafts {
				t.Errorf("drafting %v, want %v", drafts, tc.drafts)
			}
			if warned := strings.Contains(log.String(), "MTP head not used"); warned != tc.warns {
				t.Errorf("warned %v, want %v: %s", warned, tc.warns, log.String())
			}
			res, err := speech.Hear(context.Background(), o.Model, noise(3000, 7), nil, nil)
			if err != nil {
				t.Fatal(err)
			}
			if d := res[""].Drafted; (d > 0) != tc.drafts {
				t.Errorf("drafted %d tokens; want drafting %v", d, tc.drafts)
			}
		})
	}
}
