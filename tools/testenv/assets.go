package testenv

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"testing"
)

// Asset is the path of assets/models/NAME in this repository. The binary embeds only the demo model
// files the app runs; what only tests and tools use (the raw-frame demo model, fixture.json, the
// held-out sentences in heldout.tsv) is read from the folder. A missing file fails the test, never
// skips it: make demo-model writes them all.
func Asset(t testing.TB, name string) string {
	t.Helper()
	p, err := AssetPath(name)
	if err != nil {
		t.Fatal(err)
	}
	return p
}

// AssetPath is Asset for tools: the path of assets/models/NAME, or an error saying why there is none.
// The repository is found from this package's source (any test, or a tool run with go run) or else
// from the working folder upwards (a built tool run inside a clone).
func AssetPath(name string) (string, error) {
	root, err := repoRoot()
	if err != nil {
		return "", fmt.Errorf("assets/models/%s: %w", name, err)
	}
	p := filepath.Join(root, "assets", "models", name)
	if _, err := os.Stat(p); err != nil {
		return "", fmt.Errorf("assets/models/%s is missing (make demo-model writes it): %w", name, err)
	}
	return p, nil
}

// RepoPath is the path of rel (slash-separated) inside this repository, for tools that read its files.
func RepoPath(rel string) (string, error) {
	root, err := repoRoot()
	if err != nil {
		return "", fmt.Errorf("%s: %w", rel, err)
	}
	return filepath.Join(root, filepath.FromSlash(rel)), nil
}

const module = "module github.com/verbatim-app/verbatim\n"

// repoRoot is the folder holding this module's go.mod.
func repoRoot() (string, error) {
	var starts []string
	if _, file, _, ok := runtime.Caller(0); ok && filepath.IsAbs(file) {
		starts = append(starts, filepath.Dir(file))
	}
	if wd, err := os.Getwd(); err == nil {
		starts = append(starts, wd)
	}
	for _, dir := range starts {
		for {
			if b, err := os.ReadFile(filepath.Join(dir, "go.mod")); err == nil && (bytes.HasPrefix(b, []byte(module)) || bytes.Contains(b, []byte("\n"+module))) {
				return dir, nil
			}
			parent := filepath.Dir(dir)
			if parent == dir {
				break
			}
			dir = parent
		}
	}
	return "", errors.New("not inside a clone of github.com/verbatim-app/verbatim (no go.mod of the module above this package's source or the working folder)")
}
