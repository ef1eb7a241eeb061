package ui

import "testing"

// The projector menu offers the one found with the model first, names a model's own audio encoder (Gemma 4
// E2B/E4B from Ollama: the blob is its own projector), and keeps a saved projector only for the model it was
// saved with: another model's projector of the same width would load silently and hear wrongly.
func TestProjectorMenu(t *testing.T) {
	const e2b, g12, g12proj = "/o/blobs/sha256-2560e2c8", "/m/gemma-4-12b.gguf", "/m/mmproj-gemma-4-12b.gguf"
	tests := []struct {
		name                 string
		savedModel, savedPro string
		pick                 int
		want                 string
	}{
		{"own encoder first", "", "", 0, "Built into the model"},
		{"another model's saved projector is not taken", g12, g12proj, 0, "Built into the model"},
		{"the saved projector of this model is kept", e2b, g12proj, 0, "mmproj-gemma-4-12b.gguf"},
		{"a pair", e2b, e2b, 1, "mmproj-gemma-4-12b.gguf"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := newHarness(t, "en", func(h *harness, _ *Deps) {
				h.models.models[0].ID, h.models.models[0].Name = e2b, "gemma4:e2b"
				h.models.models[0].Projectors = []string{e2b, g12proj}
				h.models.models[1].ID, h.models.models[1].Name = g12, "gemma-4-12b"
				h.models.models[1].Projectors = []string{g12proj}
			})
			h.m.prefs.SetString(prefModel, tt.savedModel)
			h.m.prefs.SetString(prefProjector, tt.savedPro)
			h.m.tabs.SelectIndex(tabModels)
			h.m.models.list.Select(tt.pick)
			if got := h.m.models.projSel.Selected; got != tt.want {
				t.Errorf("projector menu shows %q, want %q (options %q)", got, tt.want, h.m.models.projSel.Options)
			}
		})
	}
}
