package gemma4

import (
	"context"
	"math"
	"os"
	"path/filepath"
	"testing"

	"github.com/verbatim-app/verbatim/app/speech"
	"github.com/verbatim-app/verbatim/inference/gguf"
	tg4 "github.com/verbatim-app/verbatim/inference/testmodel/gemma4"
)

// assistantLayers: two sliding layers and a global one, as the 12B's assistant has three and one.
var assistantLayers = []bool{true, true, false}

// writeAssistant writes a synthetic assistant of width 32 whose drafts follow the bigrams in next, with
// its layers' contribution scaled by mix (tg4.NewAssistant).
func writeAssistant(t *testing.T, ref *tg4.Model, next map[int]int, mix float32, e tg4.Edit) (string, *tg4.Assistant) {
	t.Helper()
	a := ref.NewAssistant(32, 4, 48, assistantLayers, next, mix, 3)
	path := filepath.Join(t.TempDir(), "gemma4-synthetic-assistant.gguf")
	if err := ref.WriteAssistant(path, a, e); err != nil {
		t.Fatal(err)
	}
	return path, a
}

// The assistant built with ollama's ml API reads the target's KV cache as upstream's graph does: for a
// prompt longer than the sliding window, through three chained steps at the position of the token just
// chosen, it drafts what the plain Go reference drafts, with the same state to within 1e-3 of its scale,
// on both decoder styles (the E style's last layers share their KV, so the assistant reads earlier ones).
func TestAssistantMatchesReference(t *testing.T) {
	for name, spec := range map[string]tg4.Spec{"12B-style": tg4.DefaultSpec(), "E-style": tg4.ESpec()} {
		t.Run(name, func(t *testing.T) {
			ref, m := tinyOf(t, spec, 16)
			path, ra := writeAssistant(t, ref, nil, 1, tg4.Edit{})
			dm, closeAll, err := m.WithMTPHead(context.Background(), path)
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(closeAll)
			a := dm.(drafting).head
			toks := []int32{tg4.BOS, tg4.TurnBegin, 300, 301, 302, 290, 300, 12, 13, 14, 301, 302, 290}
			in := tg4.Tokens(ints(toks))
			if err := m.do(context.Background(), func(c *core) error {
				h0, err := lastHidden(c, toks)
				if err != nil {
					return err
				}
				hidden, refHidden, tok := h0, h0, int32(300)
				for step := range 3 {
					next, _, out, err := a.step(c, hidden, tok, len(toks))
					if err != nil {
						return err
					}
					refLogits, refOut := ref.AssistantStep(ra, in, refHidden, int(tok))
					refLogits[tg4.ImageEnd], refLogits[tg4.AudioEnd] = float32(math.Inf(-1)), float32(math.Inf(-1))
					if want := speech.Greedy(refLogits); int(next) != want {
						t.Errorf("step %d: assistant drafts %d, reference %d", step, next, want)
					}
					if ok, rel := closeTo(refOut, out, 1e-3); !ok {
						t.Errorf("step %d: assistant state differs from the reference by %g of its scale", step, rel)
					}
					hidden, refHidden, tok = out, refOut, next
				}
				// The assistant stored nothing: the model goes on as if it had not run.
				_, ls, err := c.run(tokenRows([]int32{300}), len(toks), []int{0})
				if err != nil {
					return err
				}
				_, want := ref.Forward(append(in, tg4.Input{Tok: 300}))
				if ok, rel := closeTo(want[len(want)-1], ls[0], 1e-3); !ok {
					t.Errorf("after drafting, the model's next logits differ from the reference by %g of their scale", rel)
				}
				return nil
			}); err != nil {
				t.Fatal(err)
			}
		})
	}
}

// An assistant stored as Google's files are (matrices in half precision, bfloat16 or Q8_0) drafts what the
// same assistant in F32 drafts, with its state within the rounding of its type; the vectors go up as F32.
func TestAssistantStoredTypes(t *testing.T) {
	ref := tg4.New(tg4.DefaultSpec())
	path, ra := writeAssistant(t, ref, nil, 1, tg4.Edit{})
	src, err := gguf.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	fh, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer fh.Close()
	toks := []int32{tg4.BOS, tg4.TurnBegin, 300, 301, 302, 290, 300}
	// A token whose first draft wins clearly in the reference, so that rounding cannot flip it.
	in := tg4.Tokens(ints(toks))
	hs, _ := ref.Forward(in)
	first := int32(-1)
	for tok := 280; tok < len(ref.Vocab) && first < 0; tok++ {
		l, _ := ref.AssistantStep(ra, in, hs[len(hs)-1], tok)
		if best := speech.Greedy(l); best >= int(tg4.ImageBegin)+2 {
			second := math.Inf(-1)
			for j, v := range l {
				if j != best {
					second = math.Max(second, float64(v))
				}
			}
			if float64(l[best])-second > 0.3 {
				first = int32(tok)
			}
		}
	}
	if first < 0 {
		t.Fatal("no token drafts clearly")
	}
	steps := func(path string) (next []int32, outs [][]float32) {
		_, m := tiny(t, 8) // closeAll closes it
		dm, closeAll, err := m.WithMTPHead(context.Background(), path)
		if err != nil {
			t.Fatal(err)
		}
		defer closeAll()
		a := dm.(drafting).head
		if err := m.do(context.Background(), func(c *core) error {
			h0, err := lastHidden(c, toks)
			if err != nil {
				return err
			}
			hidden, tok := h0, first
			for range 3 {
				n, _, out, err := a.step(c, hidden, tok, len(toks))
				if err != nil {
					return err
				}
				next, outs = append(next, n), append(outs, out)
				hidden, tok = out, n
			}
			return nil
		}); err != nil {
			t.Fatal(err)
		}
		return next, outs
	}
	wantNext, wantOut := steps(path)
	for _, c := range []struct {
		typ gguf.TensorType
		tol float64
	}{{gguf.TypeF16, 1e-2}, {gguf.TypeBF16, 5e-2}, {gguf.TypeQ8_0, 5e-2}} {
		t.Run(c.typ.String(), func(t *testing.T) {
			w := gguf.NewWriter()
			for _, kv := range src.KVs {
				switch v := kv.Value.(type) {
				case string:
					w.SetString(kv.Key, v)
				case uint32:
					w.SetUint32(kv.Key, v)
				case float32:
					w.SetFloat32(kv.Key, v)
				case []any:
					var b []bool
					for _, x := range v {
						b = append(b, x.(bool))
					}
					w.SetBools(kv.Key, b)
				}
			}
			for _, ti := range src.Tensors {
				vals, err := src.ReadTensorF32(fh, ti.Name)
				if err != nil {
					t.Fatal(err)
				}
				switch {
				case len(ti.Shape) == 1:
					w.AddTensorF32(ti.Name, ti.Shape, vals)
				case c.typ == gguf.TypeQ8_0 && ti.Shape[0]%gguf.Q8Block == 0:
					w.AddTensorQ8_0(ti.Name, ti.Shape, vals)
				case c.typ == gguf.TypeBF16:
					b := make([]byte, 2*len(vals))
					for i, v := range vals {
						h := math.Float32bits(v) >> 16
						b[2*i], b[2*i+1] = byte(h), byte(h>>8)
					}
					w.AddTensorRaw(ti.Name, ti.Shape, gguf.TypeBF16, b)
				default:
					w.AddTensorF16(ti.Name, ti.Shape, vals)
				}
			}
			p := filepath.Join(t.TempDir(), "assistant-"+c.typ.String()+".gguf")
			if err := w.WriteFile(p); err != nil {
				t.Fatal(err)
			}
			next, outs := steps(p)
			if next[0] != wantNext[0] {
				t.Errorf("first draft %d; in F32 %d", next[0], wantNext[0])
			}
			if ok, rel := closeTo(wantOut[0], outs[0], c.tol); !ok {
				t.Errorf("state differs from F32's by %g of its scale", rel)
			}
		})
	}
}
