// Package models finds the GGUF models and projectors already on the machine: Verbatim's own folder,
// Ollama's store, LM Studio's and Hugging Face's caches, and the bundled demo model.
package models

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"syscall"

	"github.com/verbatim-app/verbatim/app/speech"
	"github.com/verbatim-app/verbatim/inference/gguf"
)

// Entry is one GGUF file found.
type Entry struct {
	Name      string // what a person calls it: file name, or Ollama's name:tag
	Path      string
	Source    string // bundled, verbatim, ollama, lmstudio, huggingface
	Info      gguf.Info
	Err       error  // the file is broken or unsupported, or cannot hear (wraps speech.ErrNoAudio); Info may be partial
	Projector string // for models: the projector found with it ("" if none; Path itself for a Gemma 4 blob with its own conformer)
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

// Inspect checks one file. Only a regular file (or a symlink to one) is read: a FIFO, a device or a
// socket is refused without blocking on it.
func Inspect(path, source string) Entry {
	e := Entry{Name: filepath.Base(path), Path: path, Source: source}
	fh, err := openRegular(path)
	if err != nil {
		e.Err = err
		return e
	}
	defer fh.Close()
	st, err := fh.Stat()
	if err != nil {
		e.Err = fmt.Errorf("open model file %s: %w", path, err)
		return e
	}
	f, err := gguf.Parse(fh, st.Size(), path)
	if err != nil {
		e.Err = err
		return e
	}
	e.Info, e.Err = f.Check()
	if e.Err == nil && e.Info.Kind == gguf.KindProjector {
		e.CanHear = e.Info.HasAudio
	}
	return e
}

// inspectIn checks a file found in a store: it, or what its symlinks lead to, must lie inside root.
// A file that leads elsewhere is listed as unusable, never read.
func inspectIn(root, path, source string) Entry {
	if err := within(root, path); err != nil {
		return Entry{Name: filepath.Base(path), Path: path, Source: source, Err: err}
	}
	return Inspect(path, source)
}

// within fails when path, with its symlinks resolved, is not inside root (its symlinks resolved too:
// the store itself may be a link to another disk).
func within(root, path string) error {
	realRoot, err := filepath.EvalSymlinks(root)
	if err != nil {
		return fmt.Errorf("%s: %w", root, err)
	}
	real, err := filepath.EvalSymlinks(path)
	if err != nil {
		return fmt.Errorf("%s: %w", path, err)
	}
	if rel, err := filepath.Rel(realRoot, real); err != nil || !filepath.IsLocal(rel) {
		return fmt.Errorf("%s leads to %s, outside %s: not read", path, real, root)
	}
	return nil
}

// errNotRegular refuses what is not a plain file: reading a FIFO blocks forever, a device never ends.
var errNotRegular = errors.New("not a regular file")

// openRegular opens path for reading only if it is a regular file. The mode is checked before opening
// (opening a device may act on it) and again on the opened file, which is opened non-blocking so that
// a FIFO swapped in between cannot hang the scan.
func openRegular(path string) (*os.File, error) {
	st, err := os.Stat(path)
	if err != nil {
		return nil, fmt.Errorf("open model file: %w", err)
	}
	if !st.Mode().IsRegular() {
		return nil, fmt.Errorf("open model file %s: %w (%s)", path, errNotRegular, kind(st.Mode()))
	}
	fh, err := os.OpenFile(path, os.O_RDONLY|syscall.O_NONBLOCK, 0)
	if err != nil {
		return nil, fmt.Errorf("open model file: %w", err)
	}
	if st, err = fh.Stat(); err != nil || !st.Mode().IsRegular() {
		fh.Close()
		if err == nil {
			err = fmt.Errorf("%w (%s)", errNotRegular, kind(st.Mode()))
		}
		return nil, fmt.Errorf("open model file %s: %w", path, err)
	}
	return fh, nil
}

func kind(m fs.FileMode) string {
	switch {
	case m.IsDir():
		return "a folder"
	case m&fs.ModeNamedPipe != 0:
		return "a FIFO"
	case m&fs.ModeDevice != 0:
		return "a device"
	case m&fs.ModeSocket != 0:
		return "a socket"
	}
	return m.Type().String()
}

// readRegular reads a small regular file, refusing FIFOs, devices and anything over limit bytes.
func readRegular(path string, limit int64) ([]byte, error) {
	fh, err := openRegular(path)
	if err != nil {
		return nil, err
	}
	defer fh.Close()
	b, err := io.ReadAll(io.LimitReader(fh, limit+1))
	if err != nil {
		return nil, fmt.Errorf("read %s: %w", path, err)
	}
	if int64(len(b)) > limit {
		return nil, fmt.Errorf("read %s: larger than %d bytes", path, limit)
	}
	return b, nil
}

// ollamaDigest matches the digests Ollama names blobs by; anything else could name a path outside the
// store ("sha256:x/../../etc").
var ollamaDigest = regexp.MustCompile(`^sha256[:-][0-9a-f]{64}$`)

// blobPath is where Ollama keeps the blob with the given digest, or an error for a malformed digest.
func blobPath(root, digest string) (string, error) {
	if !ollamaDigest.MatchString(digest) {
		return "", fmt.Errorf("digest %q is not sha256 and 64 hex digits", digest)
	}
	return filepath.Join(root, "blobs", "sha256-"+digest[len("sha256:"):]), nil
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
			// Hugging Face snapshots are symlinks into blobs/: followed, as long as they stay in root.
			found = append(found, inspectIn(root, p, source))
		}
		return nil
	})
	Pair(found)
	return found
}

// Pair gives each model the audio projector that sits in its folder.
func Pair(entries []Entry) {
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
		if err != nil || !d.Type().IsRegular() || ctx.Err() != nil {
			return nil
		}
		b, err := readRegular(p, 1<<20)
		if err != nil {
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
		var model, projector string
		var modelErr, projectorErr error
		for _, l := range m.Layers {
			switch l.MediaType {
			case "application/vnd.ollama.image.model":
				model, modelErr = blobPath(root, l.Digest)
				modelErr = manifestErr(p, modelErr)
			case "application/vnd.ollama.image.projector":
				projector, projectorErr = blobPath(root, l.Digest)
				projectorErr = manifestErr(p, projectorErr)
			}
		}
		if model == "" && modelErr == nil {
			return nil
		}
		inspect := func(blob string, err error) Entry {
			if err != nil {
				// Listed, so that the broken manifest is seen, but under the manifest's own path.
				return Entry{Path: p, Source: "ollama", Err: err}
			}
			return inspectIn(root, blob, "ollama")
		}
		e := inspect(model, modelErr)
		e.Name = name
		var pe []Entry
		if projector != "" || projectorErr != nil {
			pe = append(pe, inspect(projector, projectorErr))
			pe[0].Name = name + " (projector)"
			if pe[0].Err == nil && pe[0].CanHear {
				e.Projector, e.CanHear = projector, e.Err == nil
			}
		}
		if e.Err == nil && !e.CanHear && gguf.IsGoEngineArchitecture(e.Info.Architecture) {
			// A Gemma 4 blob is often all there is of the model: E2B/E4B hear through the conformer inside it
			// (the engine takes the blob as its own projector); any other says what it lacks to hear, so that
			// the list and loading it (desktop's Catalog.Load returns Err) give the same reason.
			if e.Err = ownAudio(e.Path); e.Err == nil {
				e.Projector, e.CanHear = e.Path, true
			}
		}
		out = append(append(out, e), pe...)
		return nil
	})
	sort.SliceStable(out, func(a, b int) bool { return out[a].Name < out[b].Name })
	return out
}

// ownAudio is nil when a Gemma 4 blob found with no audio projector hears through its own conformer, else
// why it cannot hear (speech.ErrNoAudio).
func ownAudio(path string) error {
	f, err := gguf.Open(path)
	if err != nil {
		return err
	}
	return f.Gemma4OwnAudio(speech.ErrNoAudio)
}

func manifestErr(manifest string, err error) error {
	if err != nil {
		return fmt.Errorf("Ollama manifest %s: %w", manifest, err)
	}
	return nil
}

// Describe is a one-line summary for listings.
func (e Entry) Describe() string {
	if na := (*gguf.NoAudioError)(nil); errors.As(e.Err, &na) {
		return "cannot hear: " + na.Reason // the path is listed beside it
	}
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
		kind := "MTP drafter head"
		if gguf.IsAssistantArchitecture(i.Architecture) {
			kind = "MTP drafter (Gemma 4 assistant)"
		}
		return fmt.Sprintf("%s, %s, %s (--draft mtp; found beside its model as MODEL.mtp.gguf)", kind, size, i.Quantization)
	}
	return fmt.Sprintf("%s, %s, %s, %s", i.Architecture, size, i.Quantization, hears(e.CanHear))
}

func hears(b bool) string {
	if b {
		return "hears audio"
	}
	return "text only"
}
