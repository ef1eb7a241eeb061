package models

import (
	"errors"
	"path/filepath"
	"strings"
	"testing"

	"github.com/verbatim-app/verbatim/app/speech"
	"github.com/verbatim-app/verbatim/inference/gguf"
	tg4 "github.com/verbatim-app/verbatim/inference/testmodel/gemma4"
)

// Gemma 4 as `ollama pull gemma4:…` leaves it: a model blob, and a projector blob where there is one. The
// model is named by its tag; the 12B's gemma4ua projector blob is paired with it; an E2B/E4B blob is its own
// projector (the conformer inside it); a blob that cannot hear (26B/31B with no audio at all, a vision-only
// projector, a conformer missing a tensor) is listed as cannot hear, with one reason naming what is missing.
func TestOllamaGemma4(t *testing.T) {
	dir := t.TempDir()
	m := tg4.New(tg4.DefaultSpec())
	text, proj, err := m.Files(dir)
	if err != nil {
		t.Fatal(err)
	}
	e2b, broken := filepath.Join(dir, "e2b.gguf"), filepath.Join(dir, "e2b-broken.gguf")
	if err := tg4.New(tg4.ESpec()).WriteConformerBlob(e2b, 2, tg4.Edit{}); err != nil {
		t.Fatal(err)
	}
	err = tg4.New(tg4.ESpec()).WriteConformerBlob(broken, 2, tg4.Edit{Tensor: func(name string, shape []uint64) []uint64 {
		if name == "mm.a.input_projection.weight" {
			return nil
		}
		return shape
	}})
	if err != nil {
		t.Fatal(err)
	}
	vision := filepath.Join(dir, "vision.gguf")
	w := gguf.NewWriter()
	w.SetString("general.architecture", "clip")
	w.SetString("clip.projector_type", "gemma4v")
	w.SetBool("clip.has_vision_encoder", true)
	w.AddTensorF32("v.patch_embd.weight", []uint64{4, 4}, make([]float32, 16))
	if err := w.WriteFile(vision); err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		tag, model, projector string
		hears                 bool
		reason                string // in the model's error; "" when it hears
	}{
		{"12b", text, proj, true, ""},
		{"e2b", e2b, "", true, ""}, // hears through its own conformer: the blob is its own projector
		{"31b", text, "", false, "no audio encoder (no gemma4.audio.block_count, no a.blk.* tensors)"},
		{"26b-vision", text, vision, false, "no audio encoder"},
		{"e2b-broken", broken, "", false, "its audio encoder is incomplete: tensor mm.a.input_projection.weight is missing"},
	}
	for _, c := range cases {
		t.Run(c.tag, func(t *testing.T) {
			store := filepath.Join(t.TempDir(), "ollama")
			blob, projBlob, err := tg4.OllamaStore(store, c.tag, c.model, c.projector)
			if err != nil {
				t.Fatal(err)
			}
			got := discover(t, Locations{Ollama: store})
			want := 1 // the model, and its projector blob when there is one
			if projBlob != "" {
				want = 2
			}
			if len(got) != want {
				t.Fatalf("%d entries, want %d: %+v", len(got), want, got)
			}
			e := got[0]
			if e.Name != "gemma4:"+c.tag || e.Path != blob || e.Source != "ollama" {
				t.Fatalf("entry %q %s %s, want gemma4:%s at %s", e.Name, e.Path, e.Source, c.tag, blob)
			}
			if c.hears {
				withProj := projBlob
				if withProj == "" {
					withProj = blob
				}
				if e.Err != nil || !e.CanHear || e.Projector != withProj || !strings.HasSuffix(e.Describe(), "hears audio") {
					t.Fatalf("want it to hear with %s: %+v (%s)", withProj, e, e.Describe())
				}
				return
			}
			if e.CanHear || e.Projector != "" || !errors.Is(e.Err, speech.ErrNoAudio) || !strings.Contains(e.Err.Error(), c.reason) {
				t.Fatalf("want cannot hear because %q: %+v", c.reason, e)
			}
			if d := e.Describe(); !strings.HasPrefix(d, "cannot hear: ") || !strings.Contains(d, c.reason) || strings.Contains(d, blob) {
				t.Errorf("listed as %q, want \"cannot hear: \" and the reason (the path is in its own column)", d)
			}
		})
	}
}
