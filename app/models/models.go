// Package models finds the GGUF models and projectors already on the machine: Verbatim's own folder,
// Ollama's store, LM Studio's and Hugging Face's caches, and the bundled demo model.
package models

import (
	"context"
	"encoding/json"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strings"

	"github.com/verbatim-app/verbatim/inference/gguf"
)

// Entry is one GGUF file found.
type Entry struct {
	Name      string // what a person calls it: file name, or Ollama's name:tag
	Path      string
	Source    string // bundled, verbatim, ollama, lmstudio, huggingface
	Info      gguf.Info
	Err       error  // the file is broken or unsupported; Info may be partial
	Projector string // for models: the projector found with it ("" if none)
	CanHear   bool   // a model with an audio projector, or an audio projector
}

// Locations are the folders searched. Empty fields are skipped.
type Locations struct {
	Verbatim    string // $XDG_DATA_HOME/verbatim/models
	Ollama      string // $OLLAMA_MODELS or ~/.ollama/models
	LMStudio    []string
	HuggingFace string // $HF_HUB_CACHE or ~/.cache/huggingface/hub
	Extra       []Entry
}

// DefaultLocations derives the usual folders from the environment.
func DefaultLocations() Locations {
	home, _ := os.UserHomeDir()
	data := os.Getenv("XDG_DATA_HOME")
	if data == "" && home != "" {
		data = filepath.Join(home, ".local", "share")
	}
	cache := os.Getenv("XDG_CACHE_HOME")
	if cache == "" && home != "" {
		cache = filepath.Join(home, ".cache")
	}
	l := Locations{}
	if data != "" {
		l.Verbatim = filepath.Join(data, "verbatim", "models")
	}
	if l.Ollama = os.Getenv("OLLAMA_MODELS"); l.Ollama == "" && home != "" {
		l.Ollama = filepath.Join(home, ".ollama", "models")
	}
	if home != "" {
		l.LMStudio = []string{filepath.Join(home, ".lmstudio", "models"), filepath.Join(home, ".cache", "lm-studio", "models")}
	}
	if l.HuggingFace = os.Getenv("HF_HUB_CACHE"); l.HuggingFace == "" {
		if hf := os.Getenv("HF_HOME"); hf != "" {
			l.HuggingFace = filepath.Join(hf, "hub")
		} else if cache != "" {
			l.HuggingFace = filepath.Join(cache, "huggingface", "hub")
		}
	}
	return l
}

// Discover lists every GGUF file in the locations, checked with Verbatim's own validation.
func Discover(ctx context.Context, l Locations) []Entry {
	var out []Entry
	out = append(out, l.Extra...)
	out = append(out, scanFolder(ctx, l.Verbatim, "verbatim")...)
	for _, d := range l.LMStudio {
		out = append(out, scanFolder(ctx, d, "lmstudio")...)
	}
	out = append(out, scanFolder(ctx, l.HuggingFace, "huggingface")...)
	out = append(out, scanOllama(ctx, l.Ollama)...)
	return out
}

// Inspect checks one file.
func Inspect(path, source string) Entry {
	e := Entry{Name: filepath.Base(path), Path: path, Source: source}
	_, e.Info, e.Err = gguf.Check(path)
	if e.Err == nil && e.Info.Kind == gguf.KindProjector {
		e.CanHear = e.Info.HasAudio
	}
	return e
}

// scanFolder walks a folder for *.gguf, pairing each model with an audio projector in the same folder.
func scanFolder(ctx context.Context, root, source string) []Entry {
	if root == "" {
		return nil
	}
	var found []Entry
	_ = filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
		if err != nil || ctx.Err() != nil {
			return nil
		}
		if !d.IsDir() && strings.EqualFold(filepath.Ext(p), ".gguf") {
			// Hugging Face snapshots are symlinks into blobs/: Check follows them.
			found = append(found, Inspect(p, source))
		}
		return nil
	})
	pair(found)
	return found
}

// pair gives each model the audio projector that sits in its folder.
func pair(entries []Entry) {
	proj := map[string]string{}
	for _, e := range entries {
		if e.Err == nil && e.Info.Kind == gguf.KindProjector && e.Info.HasAudio {
			proj[filepath.Dir(e.Path)] = e.Path
		}
	}
	for i := range entries {
		e := &entries[i]
		if e.Err == nil && e.Info.Kind == gguf.KindText {
			if p, ok := proj[filepath.Dir(e.Path)]; ok {
				e.Projector, e.CanHear = p, true
			}
		}
	}
}

// scanOllama reads Ollama's manifests: each names a model blob and, for multimodal models, a projector blob.
func scanOllama(ctx context.Context, root string) []Entry {
	if root == "" {
		return nil
	}
	mroot := filepath.Join(root, "manifests")
	var out []Entry
	_ = filepath.WalkDir(mroot, func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() || ctx.Err() != nil {
			return nil
		}
		b, err := os.ReadFile(p)
		if err != nil || len(b) > 1<<20 {
			return nil
		}
		var m struct {
			Layers []struct {
				MediaType string `json:"mediaType"`
				Digest    string `json:"digest"`
			} `json:"layers"`
		}
		if json.Unmarshal(b, &m) != nil {
			return nil
		}
		rel, _ := filepath.Rel(mroot, p)
		parts := strings.Split(filepath.ToSlash(rel), "/")
		name := rel
		if len(parts) >= 2 {
			name = strings.Join(parts[len(parts)-2:len(parts)-1], "/") + ":" + parts[len(parts)-1]
			if len(parts) >= 3 && parts[len(parts)-3] != "library" {
				name = parts[len(parts)-3] + "/" + name
			}
		}
		blob := func(digest string) string {
			return filepath.Join(root, "blobs", strings.Replace(digest, ":", "-", 1))
		}
		var model, projector string
		for _, l := range m.Layers {
			switch l.MediaType {
			case "application/vnd.ollama.image.model":
				model = blob(l.Digest)
			case "application/vnd.ollama.image.projector":
				projector = blob(l.Digest)
			}
		}
		if model == "" {
			return nil
		}
		e := Inspect(model, "ollama")
		e.Name = name
		if projector != "" {
			pe := Inspect(projector, "ollama")
			pe.Name = name + " (projector)"
			if pe.Err == nil && pe.CanHear {
				e.Projector, e.CanHear = projector, e.Err == nil
			}
			out = append(out, e, pe)
			return nil
		}
		out = append(out, e)
		return nil
	})
	sort.SliceStable(out, func(a, b int) bool { return out[a].Name < out[b].Name })
	return out
}

// Describe is a one-line summary for listings.
func (e Entry) Describe() string {
	if e.Err != nil {
		return fmt.Sprintf("unusable: %v", e.Err)
	}
	i := e.Info
	size := fmt.Sprintf("%.1f MB", float64(i.Size)/1e6)
	if i.Size >= 1e9 {
		size = fmt.Sprintf("%.1f GB", float64(i.Size)/1e9)
	}
	switch i.Kind {
	case gguf.KindProjector:
		return fmt.Sprintf("projector %s, %s, %s", i.ProjectorType, size, hears(e.CanHear))
	case gguf.KindMTPHead:
		return fmt.Sprintf("MTP drafter head, %s, %s (--draft mtp; found beside its model as MODEL.mtp.gguf)", size, i.Quantization)
	}
	return fmt.Sprintf("%s, %s, %s, %s", i.Architecture, size, i.Quantization, hears(e.CanHear))
}

func hears(b bool) string {
	if b {
		return "hears audio"
	}
	return "text only"
}
