package models

import (
	"errors"
	"fmt"
	"path/filepath"
	"strings"

	"github.com/verbatim-app/verbatim/app/speech"
	"github.com/verbatim-app/verbatim/assets"
)

// Choice is a model the user picked and how to run it; both front ends turn theirs into one.
type Choice struct {
	Model, Projector string // paths; Model "" is the bundled demo model (Projector "": its own)
	MTPHead          string // an MTP head named by the user; "" finds MODEL.mtp.gguf beside the model
	// A draft model named by the user, with its own projector, for --draft model (or auto).
	DraftModel, DraftProjector string
	Draft                      speech.DraftMode
	GPULayers                  int // speech.AutoGPULayers or N
	Threads, Context           int
	MaxTokens                  int
}

// ErrNoMTPHead is returned for DraftMTP when the model has no MTP head.
var ErrNoMTPHead = errors.New("--draft mtp needs an MTP head")

// ErrNoDraftModel is returned for DraftModel when no draft model is named.
var ErrNoDraftModel = errors.New("--draft model needs a draft model: pass --draft-model and --draft-projector (a small model with the same vocabulary)")

// ErrNoDemo is returned when the demo model is asked for but the build has none.
var ErrNoDemo = errors.New("this build has no bundled demo model; run 'make demo-model' and rebuild, or pass --model and --projector (see 'verbatim models')")

// LoadConfig turns a choice into the files to load, the drafters included: the one rule of which
// drafter goes with which model, for the command line and the window alike. Bundled files are unpacked
// into cacheDir.
//
// --draft auto loads a drafter only where make bench measured drafting to pay, and so far it paid nowhere:
// on the demo model every drafter made hearing a clip slower than plain decoding (README, Speed), whose
// greedy steps run in C in chunks while a drafted step goes through Go. So auto decodes plainly unless the
// user names an MTP head (--mtp-head); --draft mtp|model|lookup still draft where the engine can (the
// bundled demo runs on the Gemma 4 engine, which drafts only with an MTP head).
func LoadConfig(cacheDir string, c Choice) (speech.LoadConfig, error) {
	cfg := speech.LoadConfig{Model: c.Model, Projector: c.Projector, GPULayers: c.GPULayers, Threads: c.Threads,
		Context: c.Context, Draft: c.Draft, MaxTokens: c.MaxTokens}
	switch {
	case c.Draft == speech.DraftModel && c.DraftModel == "":
		return cfg, ErrNoDraftModel
	case c.DraftModel != "" && (c.Draft == speech.DraftModel || c.Draft == speech.DraftAuto):
		cfg.DraftModel, cfg.DraftProjector = c.DraftModel, c.DraftProjector
	}
	wantMTP := c.Draft == speech.DraftMTP || c.Draft == speech.DraftAuto && c.MTPHead != ""
	cfg.MTPRequired = c.Draft == speech.DraftMTP || c.MTPHead != ""
	if c.Model != "" {
		if wantMTP {
			if cfg.MTPHead = c.MTPHead; cfg.MTPHead == "" {
				cfg.MTPHead = speech.MTPHeadBeside(c.Model)
			}
			if cfg.MTPHead == "" && c.Draft == speech.DraftMTP {
				return cfg, fmt.Errorf("%w: pass --mtp-head, or put %s.mtp.gguf beside the model", ErrNoMTPHead,
					strings.TrimSuffix(filepath.Base(c.Model), ".gguf"))
			}
		}
		return cfg, nil
	}
	if !assets.HasDemo() {
		return cfg, ErrNoDemo
	}
	var err error
	if cfg.Model, err = assets.Extract(cacheDir, assets.DemoModel); err != nil {
		return cfg, err
	}
	if cfg.Projector == "" {
		if cfg.Projector, err = assets.Extract(cacheDir, assets.DemoProjector); err != nil {
			return cfg, err
		}
	}
	if wantMTP {
		if cfg.MTPHead = c.MTPHead; cfg.MTPHead == "" {
			cfg.MTPHead, err = assets.Extract(cacheDir, assets.DemoMTPHead)
			if err != nil && c.Draft == speech.DraftMTP {
				return cfg, err
			}
		}
	}
	return cfg, nil
}
