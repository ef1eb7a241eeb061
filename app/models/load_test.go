package models

import (
	"errors"
	"os"
	"path/filepath"
	"testing"

	"github.com/verbatim-app/verbatim/app/speech"
	"github.com/verbatim-app/verbatim/assets"
)

// Which drafter goes with which choice: auto loads none (no drafter paid on any model measured), unless
// the user names an MTP head or a draft model; mtp loads the head for the bundled model and a model on disk
// alike; model loads the draft model the user names, and without one is refused.
func TestLoadConfigDrafters(t *testing.T) {
	if !assets.HasDemo() {
		t.Fatal("this build has no demo model (make demo-model)")
	}
	dir := t.TempDir()
	model := filepath.Join(dir, "m.gguf")
	head := filepath.Join(dir, "m.mtp.gguf")
	draft := filepath.Join(dir, "d.gguf")
	for _, p := range []string{model, head, draft} {
		if err := os.WriteFile(p, []byte("GGUF"), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	cache := t.TempDir()
	for _, c := range []struct {
		name               string
		choice             Choice
		wantMTP, wantDraft bool
	}{
		{"demo, auto", Choice{Draft: speech.DraftAuto}, false, false},
		{"demo, off", Choice{Draft: speech.DraftOff}, false, false},
		{"demo, mtp", Choice{Draft: speech.DraftMTP}, true, false},
		{"demo, lookup", Choice{Draft: speech.DraftLookup}, false, false},
		{"file, model", Choice{Model: model, Projector: model, Draft: speech.DraftModel, DraftModel: draft, DraftProjector: draft}, false, true},
		{"file, auto with a draft model named", Choice{Model: model, Projector: model, Draft: speech.DraftAuto, DraftModel: draft, DraftProjector: draft}, false, true},
		{"file, lookup with a draft model named", Choice{Model: model, Projector: model, Draft: speech.DraftLookup, DraftModel: draft, DraftProjector: draft}, false, false},
		{"file with a head beside it, auto", Choice{Model: model, Projector: model, Draft: speech.DraftAuto}, false, false},
		{"file with a head beside it, mtp", Choice{Model: model, Projector: model, Draft: speech.DraftMTP}, true, false},
		{"auto with a head named", Choice{Model: model, Projector: model, Draft: speech.DraftAuto, MTPHead: head}, true, false},
	} {
		cfg, err := LoadConfig(cache, c.choice)
		if err != nil {
			t.Errorf("%s: %v", c.name, err)
			continue
		}
		if got := cfg.MTPHead != ""; got != c.wantMTP {
			t.Errorf("%s: MTP head %q, want one: %v", c.name, cfg.MTPHead, c.wantMTP)
		}
		if got := cfg.DraftModel != ""; got != c.wantDraft {
			t.Errorf("%s: draft model %q, want one: %v", c.name, cfg.DraftModel, c.wantDraft)
		}
	}
	for _, c := range []Choice{{Draft: speech.DraftModel}, {Model: model, Projector: model, Draft: speech.DraftModel}} {
		if _, err := LoadConfig(cache, c); !errors.Is(err, ErrNoDraftModel) {
			t.Errorf("--draft model with no draft model (%+v): %v; want ErrNoDraftModel", c, err)
		}
	}
}
