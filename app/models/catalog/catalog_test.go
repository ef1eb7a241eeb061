package catalog

import (
	"regexp"
	"testing"
)

// The catalog is data that people read and a downloader trusts: each entry must be complete and
// each name unambiguous.
func TestKnownIsWellFormed(t *testing.T) {
	hexHash := regexp.MustCompile(`^[0-9a-f]{64}$`)
	seen := map[string]bool{}
	for _, m := range Known() {
		if m.ID == "" || m.Name == "" || m.Repo == "" || m.Revision == "" || len(m.Languages) == 0 || len(m.Quants) == 0 {
			t.Errorf("%q: incomplete entry %+v", m.ID, m)
		}
		if seen[m.ID] {
			t.Errorf("%q listed twice", m.ID)
		}
		seen[m.ID] = true
		if m.Shape.Blocks == 0 || m.Shape.EmbeddingLen == 0 || m.Shape.Parameters == 0 {
			t.Errorf("%q: no shape to estimate the fit with", m.ID)
		}
		for _, q := range m.Quants {
			for _, f := range []File{q.Model, q.Projector} {
				if f.Name == "" || f.Size <= 0 {
					t.Errorf("%q %s: file %+v has no name or size", m.ID, q.Name, f)
				}
				if f.SHA256 != "" && !hexHash.MatchString(f.SHA256) {
					t.Errorf("%q %s: %s: hash %q is not 64 lowercase hex digits", m.ID, q.Name, f.Name, f.SHA256)
				}
			}
			if got, ok := m.Quant(q.Name); !ok || got != q {
				t.Errorf("%q: Quant(%q) = %+v, %v", m.ID, q.Name, got, ok)
			}
			if info := m.Info(q); info.Size != q.Model.Size || info.BlockCount != m.Shape.Blocks {
				t.Errorf("%q: Info = %+v", m.ID, info)
			}
		}
	}
	// Offered means this build runs it: Ultravox's and Voxtral's stacked-frame projectors abort the linked
	// mtmd (inference/gguf/mtmd.go), Gemma 4 needs its engine.
	for id, offered := range map[string]bool{"voxtral-mini-3b": false, "qwen2-audio-7b": true, "ultravox-v0.5-1b": false,
		"gemma-4-e2b": false, "gemma-4-e4b": false, "gemma-4-12b": false} {
		m, err := Find(id)
		if err != nil {
			t.Error(err)
		} else if (m.NeedsEngine == "") != offered {
			t.Errorf("%s: offered %v, want %v (NeedsEngine %q)", id, m.NeedsEngine == "", offered, m.NeedsEngine)
		}
	}
	if _, err := Find("nope"); err == nil {
		t.Error("Find(nope) found something")
	}
}

// Known hands out its own slice each time: a caller changing its copy changes nobody else's.
func TestKnownIsACopy(t *testing.T) {
	a := Known()
	a[0].Name = "changed"
	if Known()[0].Name == "changed" {
		t.Error("Known shares its slice")
	}
}
