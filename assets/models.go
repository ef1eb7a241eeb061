// Package assets holds what ships inside the binary: the bundled demo model (locales and the icon live in
// their own packages and files). Only the files the app loads are embedded; assets/models also holds what
// only tests and tools read from the folder (the llama.cpp-architecture demo models demo-logmel, demo-raw
// and demo-draft, fixture.json, heldout.tsv: see testenv.Asset).
package assets

import (
	"crypto/sha256"
	"embed"
	"encoding/hex"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
)

// The embedded files are the Demo* constants below, one by one.
//
//go:embed models/demo-gemma4.gguf models/demo-logmel.mmproj.gguf models/demo-gemma4.mtp.gguf
var models embed.FS

// Demo model file names inside models/: the model the app hears with, in Gemma 4's architecture (it runs
// on ollama's Go engine, as a real Gemma 4 does), its log-mel projector and its MTP head.
const (
	DemoModel     = "demo-gemma4.gguf"
	DemoProjector = "demo-logmel.mmproj.gguf"
	DemoMTPHead   = "demo-gemma4.mtp.gguf"
)

// Models is the embedded models folder.
func Models() fs.FS {
	sub, _ := fs.Sub(models, "models")
	return sub
}

// HasDemo reports whether this binary was built with the demo model inside.
func HasDemo() bool {
	_, err := fs.Stat(Models(), DemoModel)
	return err == nil
}

// Extract writes an embedded model file into dir (llama.cpp loads from paths, not memory) and returns
// its path. A file already there with the same content is reused; a partial one is replaced.
func Extract(dir, name string) (string, error) {
	b, err := fs.ReadFile(Models(), name)
	if err != nil {
		return "", fmt.Errorf("bundled model %s is not in this build (run make demo-model, then rebuild): %w", name, err)
	}
	sum := sha256.Sum256(b)
	dst := filepath.Join(dir, hex.EncodeToString(sum[:6]), name)
	if old, err := os.ReadFile(dst); err == nil && sha256.Sum256(old) == sum {
		return dst, nil
	}
	if err := os.MkdirAll(filepath.Dir(dst), 0o755); err != nil {
		return "", fmt.Errorf("unpack bundled model: %w", err)
	}
	tmp, err := os.CreateTemp(filepath.Dir(dst), ".part-*")
	if err != nil {
		return "", fmt.Errorf("unpack bundled model: %w", err)
	}
	defer os.Remove(tmp.Name())
	if _, err := tmp.Write(b); err != nil {
		tmp.Close()
		return "", fmt.Errorf("unpack bundled model to %s: %w", dst, err)
	}
	if err := tmp.Close(); err != nil {
		return "", fmt.Errorf("unpack bundled model to %s: %w", dst, err)
	}
	if err := os.Rename(tmp.Name(), dst); err != nil {
		return "", fmt.Errorf("unpack bundled model: %w", err)
	}
	return dst, nil
}
