package archcheck

import (
	"encoding/json"
	"errors"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

const module = "github.com/verbatim-app/verbatim/"

type pkg struct {
	ImportPath string
	Imports    []string
	Deps       []string
}

// list runs go list -deps-free over the module's packages, from the module root.
func list(t *testing.T, env []string, patterns ...string) []pkg {
	t.Helper()
	cmd := exec.Command("go", append([]string{"list", "-json=ImportPath,Imports,Deps"}, patterns...)...)
	cmd.Dir = root(t)
	cmd.Env = append(os.Environ(), env...)
	out, err := cmd.Output()
	if err != nil {
		var ee *exec.ExitError
		if errors.As(err, &ee) {
			t.Fatalf("go list %v: %v\n%s", patterns, err, ee.Stderr)
		}
		t.Fatalf("go list %v: %v", patterns, err)
	}
	var pkgs []pkg
	dec := json.NewDecoder(strings.NewReader(string(out)))
	for {
		var p pkg
		if err := dec.Decode(&p); errors.Is(err, io.EOF) {
			break
		} else if err != nil {
			t.Fatal(err)
		}
		pkgs = append(pkgs, p)
	}
	return pkgs
}

func root(t *testing.T) string {
	dir, err := filepath.Abs("../..")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(filepath.Join(dir, "go.mod")); err != nil {
		t.Fatalf("module root not found from %s: %v", dir, err)
	}
	return dir
}

func rel(path string) string { return strings.TrimPrefix(path, module) }

func under(path string, dirs ...string) bool {
	for _, d := range dirs {
		if p := rel(path); p == d || strings.HasPrefix(p, d+"/") {
			return strings.HasPrefix(path, module)
		}
	}
	return false
}

func anyWith(list []string, prefixes ...string) string {
	for _, s := range list {
		for _, p := range prefixes {
			if s == p || strings.HasPrefix(s, p+"/") {
				return s
			}
		}
	}
	return ""
}

// The package rules of docs/ARCHITECTURE.md, checked on the import graph.
func TestPackageRules(t *testing.T) {
	const (
		llama = "github.com/ollama/ollama/llama"
		ggml  = "github.com/ollama/ollama/ml/backend/ggml" // ollama's Go engine (inference/gemma4)
		malgo = "github.com/gen2brain/malgo"
		fyne  = "fyne.io/fyne/v2"
	)
	pkgs := list(t, nil, "./...")
	if len(pkgs) < 20 {
		t.Fatalf("go list found only %d packages", len(pkgs))
	}
	var reachNative []string
	for _, p := range pkgs {
		if rel(p.ImportPath) == "tools/archcheck" {
			continue
		}
		if f := anyWith(p.Imports, fyne); f != "" && !under(p.ImportPath, "ui", "cmd") {
			t.Errorf("%s imports %s: Fyne belongs to ui/ and cmd/ only", rel(p.ImportPath), f)
		}
		if under(p.ImportPath, "ui") {
			if i := anyWith(p.Imports, module+"capture", module+"inference"); i != "" {
				t.Errorf("%s imports %s: the window reaches devices and models only through app", rel(p.ImportPath), rel(i))
			}
			if d := anyWith(p.Deps, llama, ggml, malgo); d != "" {
				t.Errorf("%s links %s: the window must build without the engines", rel(p.ImportPath), d)
			}
		}
		if under(p.ImportPath, "app") && anyWith(p.Deps, llama, ggml, malgo) != "" {
			reachNative = append(reachNative, rel(p.ImportPath))
		}
	}
	if len(reachNative) > 1 {
		t.Errorf("%d packages under app/ reach llama.cpp or miniaudio (%v); at most one may", len(reachNative), reachNative)
	}
}

// What ships: the binary links no tools, test models or benchmarks.
func TestBinaryLinksNoScaffolding(t *testing.T) {
	for _, p := range list(t, nil, "./cmd/verbatim") {
		for _, d := range append(p.Deps, p.ImportPath) {
			if under(d, "tools") || under(d, "inference/testmodel") {
				t.Errorf("bin/verbatim links %s", rel(d))
			}
		}
	}
}

// The use cases build, and their tests compile, without cgo: only the engines and the microphone need
// it. Tests that hear through the real engine carry the cgo build tag; the rest use fakes. app/cli, a
// front end, is left out: its tests run the real commands.
func TestUseCasesBuildWithoutCgo(t *testing.T) {
	var pkgs []string
	for _, p := range list(t, nil, "./app/...") {
		if rel(p.ImportPath) != "app/cli" {
			pkgs = append(pkgs, p.ImportPath)
		}
	}
	for _, args := range [][]string{{"build"}, {"vet"}} {
		cmd := exec.Command("go", append(args, pkgs...)...)
		cmd.Dir = root(t)
		cmd.Env = append(os.Environ(), "CGO_ENABLED=0")
		if out, err := cmd.CombinedOutput(); err != nil {
			t.Fatalf("CGO_ENABLED=0 go %s of the use cases: %v\n%s", args[0], err, out)
		}
	}
}
