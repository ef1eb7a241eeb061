//go:build unix

package models

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/verbatim-app/verbatim/inference/testmodel"
)

// A hostile or damaged store is listed as unusable entries, never read outside itself, and never hangs
// the scan: digests that are not sha256 and 64 hex digits, blobs that are symlinks out of the store,
// FIFOs and devices.
func TestStoreCannotBeEscaped(t *testing.T) {
	hex := strings.Repeat("c", 64)
	model := testmodel.New(testmodel.DefaultSpec())
	outside := filepath.Join(t.TempDir(), "outside.gguf") // a valid model the store must not reach
	if err := model.WriteModel(outside); err != nil {
		t.Fatal(err)
	}
	manifest := func(digest string) string {
		return `{"layers":[{"mediaType":"application/vnd.ollama.image.model","digest":"` + digest + `"}]}`
	}
	cases := []struct {
		name  string
		setup func(t *testing.T, store string) // store is the Ollama folder; the manifest is written after
		// digest named by the manifest (written to manifests/…/library/m/latest unless fifoManifest).
		digest       string
		fifoManifest bool
		want         string // in the entry's error; "" for no entry at all
	}{
		{"traversal in the digest", nil, "sha256:x/../../../../../../../../.." + outside, false, "not sha256"},
		{"short digest", nil, "sha256:abc", false, "not sha256"},
		{"symlink out of the store", func(t *testing.T, store string) {
			link(t, outside, filepath.Join(store, "blobs", "sha256-"+hex))
		}, "sha256:" + hex, false, "outside"},
		{"device", func(t *testing.T, store string) {
			link(t, "/dev/zero", filepath.Join(store, "blobs", "sha256-"+hex))
		}, "sha256:" + hex, false, "outside"},
		{"FIFO blob", func(t *testing.T, store string) {
			fifo(t, filepath.Join(store, "blobs", "sha256-"+hex))
		}, "sha256-" + hex, false, "FIFO"},
		{"FIFO manifest", nil, "sha256:" + hex, true, ""},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			store := filepath.Join(t.TempDir(), "ollama")
			mdir := filepath.Join(store, "manifests", "registry.ollama.ai", "library", "m")
			if err := os.MkdirAll(mdir, 0o755); err != nil {
				t.Fatal(err)
			}
			os.MkdirAll(filepath.Join(store, "blobs"), 0o755)
			if c.setup != nil {
				c.setup(t, store)
			}
			if c.fifoManifest {
				fifo(t, filepath.Join(mdir, "latest"))
			} else if err := os.WriteFile(filepath.Join(mdir, "latest"), []byte(manifest(c.digest)), 0o644); err != nil {
				t.Fatal(err)
			}
			got := discover(t, Locations{Ollama: store})
			if c.want == "" {
				if len(got) != 0 {
					t.Errorf("entries %+v, want none", got)
				}
				return
			}
			if len(got) != 1 || got[0].Err == nil || !strings.Contains(got[0].Err.Error(), c.want) {
				t.Fatalf("entries %+v, want one unusable entry saying %q", got, c.want)
			}
			if p := got[0].Path; !strings.HasPrefix(p, store+string(filepath.Separator)) {
				t.Errorf("entry path %s is outside the store", p)
			}
		})
	}
}

// The same for the folders that are scanned for *.gguf: a Hugging Face snapshot may link into the
// cache's blobs, not out of the cache, and a FIFO named *.gguf is refused without blocking.
func TestFolderScanStaysInside(t *testing.T) {
	model := testmodel.New(testmodel.DefaultSpec())
	outside := filepath.Join(t.TempDir(), "outside.gguf")
	if err := model.WriteModel(outside); err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		name  string
		setup func(t *testing.T, root string)
		want  string
	}{
		{"snapshot linking out of the cache", func(t *testing.T, root string) {
			link(t, outside, filepath.Join(root, "models--x--y", "snapshots", "abc", "y.gguf"))
		}, "outside"},
		{"FIFO", func(t *testing.T, root string) { fifo(t, filepath.Join(root, "pipe.gguf")) }, "FIFO"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			root := t.TempDir()
			c.setup(t, root)
			got := discover(t, Locations{HuggingFace: root})
			if len(got) != 1 || got[0].Err == nil || !strings.Contains(got[0].Err.Error(), c.want) {
				t.Fatalf("entries %+v, want one unusable entry saying %q", got, c.want)
			}
		})
	}
	// A file named on the command line may be anywhere, but must be a regular file.
	if e := Inspect("/dev/zero", "file"); e.Err == nil || !strings.Contains(e.Err.Error(), "not a regular file") {
		t.Errorf("Inspect(/dev/zero): %v", e.Err)
	}
}

// discover fails the test instead of hanging when the scan blocks (as it did on a FIFO).
func discover(t *testing.T, l Locations) []Entry {
	t.Helper()
	done := make(chan []Entry, 1)
	go func() { done <- Discover(context.Background(), l) }()
	select {
	case got := <-done:
		return got
	case <-time.After(10 * time.Second):
		t.Fatal("Discover blocked for 10 s")
		return nil
	}
}

func link(t *testing.T, target, name string) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(name), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink(target, name); err != nil {
		t.Fatal(err)
	}
}

func fifo(t *testing.T, name string) {
	t.Helper()
	if err := syscall.Mkfifo(name, 0o600); err != nil {
		t.Fatal(err)
	}
}
