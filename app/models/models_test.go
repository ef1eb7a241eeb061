package models

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/verbatim-app/verbatim/inference/testmodel"
)

func TestDiscover(t *testing.T) {
	root := t.TempDir()
	m := testmodel.New(testmodel.DefaultSpec())
	mk := func(p string) string {
		p = filepath.Join(root, p)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		return p
	}
	// Ollama: manifest → blobs.
	aaa, bbb := strings.Repeat("a", 64), strings.Repeat("b", 64)
	blobM, blobP := mk("ollama/blobs/sha256-"+aaa), mk("ollama/blobs/sha256-"+bbb)
	if err := m.WriteModel(blobM); err != nil {
		t.Fatal(err)
	}
	if err := m.WriteRawProjector(blobP); err != nil {
		t.Fatal(err)
	}
	manifest := `{"layers":[{"mediaType":"application/vnd.ollama.image.model","digest":"sha256:` + aaa + `"},` +
		`{"mediaType":"application/vnd.ollama.image.projector","digest":"sha256:` + bbb + `"}]}`
	if err := os.WriteFile(mk("ollama/manifests/registry.ollama.ai/library/hearer/latest"), []byte(manifest), 0o644); err != nil {
		t.Fatal(err)
	}
	// Hugging Face: snapshot symlinks into blobs.
	hfBlob := mk("hf/models--x--y/blobs/123")
	if err := m.WriteModel(hfBlob); err != nil {
		t.Fatal(err)
	}
	link := mk("hf/models--x--y/snapshots/abc/y-Q4.gguf")
	if err := os.Symlink(hfBlob, link); err != nil {
		t.Fatal(err)
	}
	// LM Studio: a model with a projector beside it, and a broken file.
	if err := m.WriteModel(mk("lms/pub/model/model.gguf")); err != nil {
		t.Fatal(err)
	}
	if err := m.WriteRawProjector(mk("lms/pub/model/mmproj-model.gguf")); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(mk("lms/pub/broken/broken.gguf"), []byte("GGUF garbage"), 0o644); err != nil {
		t.Fatal(err)
	}
	got := Discover(context.Background(), Locations{Ollama: filepath.Join(root, "ollama"), HuggingFace: filepath.Join(root, "hf"),
		LMStudio: []string{filepath.Join(root, "lms"), filepath.Join(root, "missing")}})
	byName := map[string]Entry{}
	for _, e := range got {
		byName[e.Source+":"+e.Name] = e
	}
	want := map[string]func(Entry) bool{
		"ollama:hearer:latest":             func(e Entry) bool { return e.Err == nil && e.CanHear && e.Projector == blobP },
		"ollama:hearer:latest (projector)": func(e Entry) bool { return e.Err == nil && e.Info.ProjectorType == "gemma4ua" },
		"huggingface:y-Q4.gguf":            func(e Entry) bool { return e.Err == nil && !e.CanHear && e.Info.Architecture == "llama" },
		"lmstudio:model.gguf":              func(e Entry) bool { return e.CanHear && strings.HasSuffix(e.Projector, "mmproj-model.gguf") },
		"lmstudio:broken.gguf":             func(e Entry) bool { return e.Err != nil && strings.Contains(e.Describe(), "unusable") },
		"lmstudio:mmproj-model.gguf":       func(e Entry) bool { return e.CanHear },
	}
	for name, ok := range want {
		e, found := byName[name]
		if !found {
			t.Errorf("%s not found; got %v", name, keys(byName))
			continue
		}
		if !ok(e) {
			t.Errorf("%s: %+v (%s)", name, e, e.Describe())
		}
	}
	if len(got) != len(want) {
		t.Errorf("found %d entries, want %d: %v", len(got), len(want), keys(byName))
	}
}

func keys(m map[string]Entry) []string {
	var out []string
	for k := range m {
		out = append(out, k)
	}
	return out
}
