package inference

import (
	"context"
	"math"
	"math/rand"
	"path/filepath"
	"strings"
	"testing"

	"github.com/verbatim-app/verbatim/app/speech"
	"github.com/verbatim-app/verbatim/inference/gguf"
	"github.com/verbatim-app/verbatim/inference/testmodel"
)

// The C forward pass of the head computes what the plain Go reference computes, chained steps included.
func TestMTPHeadMatchesReference(t *testing.T) {
	f := newFixture(t, testmodel.DefaultSpec())
	head := f.m.NewMTPHead(96, 3)
	path := filepath.Join(f.dir, "synthetic.mtp.gguf")
	if err := f.m.WriteMTPHead(path, head); err != nil {
		t.Fatal(err)
	}
	hf, info, err := gguf.Check(path)
	if err != nil {
		t.Fatal(err)
	}
	if info.Kind != gguf.KindMTPHead {
		t.Fatalf("kind %v, want MTP head", info.Kind)
	}
	h, err := loadMTPHead(path, hf, info)
	if err != nil {
		t.Fatal(err)
	}
	defer h.free()
	rng := rand.New(rand.NewSource(5))
	never := func(int) bool { return false }
	for trial := 0; trial < 20; trial++ {
		hidden := make([]float32, f.m.Spec.Embd)
		for i := range hidden {
			hidden[i] = float32(rng.NormFloat64())
		}
		tok := 7 + rng.Intn(len(f.m.Vocab)-7)
		got := h.propose(hidden, tok, 3, 0, never)
		var want []int
		hh, tt := hidden, tok
		for len(want) < 3 {
			tt, hh = f.m.MTPStep(head, hh, tt)
			want = append(want, tt)
		}
		if len(got) != 3 || got[0] != want[0] || got[1] != want[1] || got[2] != want[2] {
			t.Fatalf("trial %d: head drafted %v, reference %v", trial, got, want)
		}
		out := h.g[0] // steps write g[0], g[1], g[0]
		g := unsafeFloats(out, f.m.Spec.Embd)
		for i := range g {
			if math.Abs(float64(g[i]-hh[i])) > 1e-4*(1+math.Abs(float64(hh[i]))) {
				t.Fatalf("trial %d: hidden[%d] = %g, reference %g", trial, i, g[i], hh[i])
			}
		}
	}
	// Past the first token, the head drafts only what it is sure enough of.
	if got := h.propose(make([]float32, f.m.Spec.Embd), 9, 4, 1.01, never); len(got) != 1 {
		t.Fatalf("drafted %v with a confidence floor no token can reach", got)
	}
	// A stop token ends the draft before it.
	if got := h.propose(make([]float32, f.m.Spec.Embd), 9, 4, 0, func(int) bool { return true }); len(got) != 0 {
		t.Fatalf("drafted %v past a stop token", got)
	}
}

func TestMTPDraftingIsExact(t *testing.T) {
	spec := testmodel.DefaultSpec()
	f := newFixture(t, spec)
	e := load(t, f, true)
	ctx := context.Background()
	prompt := " please bring the red box to the kitchen at five please bring the red box"
	plain, err := e.Generate(ctx, prompt, true, Options{MaxTokens: 40}, nil)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := e.Generate(ctx, prompt, true, Options{MaxTokens: 40, Draft: speech.DraftMTP}, nil); err == nil {
		t.Fatal("MTP drafting without a head did not fail")
	}
	path := filepath.Join(f.dir, "synthetic.mtp.gguf")
	if err := f.m.WriteMTPHead(path, f.m.NewMTPHead(96, 3)); err != nil {
		t.Fatal(err)
	}
	if err := e.LoadMTPHead(ctx, path); err != nil {
		t.Fatal(err)
	}
	// A random head mostly guesses wrong: the output must not change, and it must have drafted.
	for _, mode := range []speech.DraftMode{speech.DraftMTP, speech.DraftAuto} {
		res, err := e.Generate(ctx, prompt, true, Options{MaxTokens: 40, Draft: mode}, nil)
		if err != nil {
			t.Fatal(err)
		}
		if res.Text != plain.Text || res.Drafted == 0 {
			t.Fatalf("%v: %q (%d drafted) vs plain %q", mode, res.Text, res.Drafted, plain.Text)
		}
	}
	audio := testAudio(0.4, 9)
	var outs []string
	for _, mode := range []speech.DraftMode{speech.DraftOff, speech.DraftMTP} {
		outs = append(outs, hearClip(t, e, audio, nil, Options{MaxTokens: 20, Draft: mode})[Transcribe].Text)
	}
	if outs[0] != outs[1] {
		t.Fatalf("audio outputs differ with MTP drafting: %q", outs)
	}
}

func TestLoadMTPHeadRefusesMismatches(t *testing.T) {
	spec := testmodel.DefaultSpec()
	f := newFixture(t, spec)
	e := load(t, f, false)
	ctx := context.Background()
	other := spec
	other.Words = []string{" other"}
	om := testmodel.New(other)
	wrongVocab := filepath.Join(f.dir, "other.mtp.gguf")
	if err := om.WriteMTPHead(wrongVocab, om.NewMTPHead(32, 1)); err != nil {
		t.Fatal(err)
	}
	wide := spec
	wide.Embd = 32
	wm := testmodel.New(wide)
	wrongWidth := filepath.Join(f.dir, "wide.mtp.gguf")
	if err := wm.WriteMTPHead(wrongWidth, wm.NewMTPHead(32, 1)); err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct{ path, want string }{
		{wrongVocab, "vocabularies differ"},
		{wrongWidth, "width 32"},
		{f.model, "not an MTP head"},
		{filepath.Join(f.dir, "missing.gguf"), "missing.gguf"},
	} {
		err := e.LoadMTPHead(ctx, c.path)
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("LoadMTPHead(%s) = %v, want an error saying %q", filepath.Base(c.path), err, c.want)
		}
	}
}
