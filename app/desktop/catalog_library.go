package desktop

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"

	"github.com/verbatim-app/verbatim/app/models"
	"github.com/verbatim-app/verbatim/app/models/catalog"
	"github.com/verbatim-app/verbatim/app/models/download"
	"github.com/verbatim-app/verbatim/app/speech"
	"github.com/verbatim-app/verbatim/inference/gguf"
)

// The errors "Add model file…" gives, each wrapped with the file.
var (
	ErrNotModelFile   = errors.New("not a model file Verbatim can use")
	ErrIsProjector    = errors.New("this is an audio projector (mmproj), not a model")
	ErrNeedsProjector = errors.New("this model cannot hear on its own")
	ErrNotProjector   = errors.New("not an audio projector")
	ErrAlreadyAdded   = errors.New("a file of this name is already in the models folder")
	ErrNeedsEngine    = errors.New("this build cannot run the model yet")
)

// FitTooBig is KnownModel.Fit for a model larger than this machine's memory.
const FitTooBig = "none"

// KnownModel is one model of the catalog at one quantisation, as the Models tab lists it.
type KnownModel struct {
	ID        string // catalog ID/quantisation: "voxtral-mini-3b/Q4_K_M"
	Name      string
	Quant     string
	Repo      string
	Size      int64 // model and projector
	Languages []string
	// Fit is how much the GPUs hold ("full", "partial", "cpu", as ModelInfo.Fit), or FitTooBig.
	Fit string
	// NeedsEngine names the engine this build lacks to run it ("" when it runs): not downloadable.
	NeedsEngine string
	Installed   bool
	Partial     int64 // bytes of a paused or failed download on disk
}

// DownloadEvent reports a download. The last one has Finished set: Err nil when the model is
// installed, context.Canceled when it was paused.
type DownloadEvent struct {
	ID          string
	Done, Total int64
	Rate        float64 // bytes per second
	Finished    bool
	Err         error
}

// Library is the catalog of downloadable models over the models folder: which are installed, which
// fit this machine; it downloads, removes and adds model files. The Catalog then finds them there.
type Library struct {
	dir     string
	dl      *download.Downloader
	devices func() []speech.Device
	memory  func() uint64 // bytes of RAM; 0 unknown
	known   func() []catalog.Model

	mu     sync.Mutex
	active map[string]bool // IDs downloading now
}

// NewLibrary offers the catalog's models for dir (models.Locations.Verbatim), downloading from
// endpoint (download.Endpoint) and judging the fit on devices.
func NewLibrary(dir, endpoint string, devices func() []speech.Device) *Library {
	return &Library{dir: dir, dl: &download.Downloader{Endpoint: endpoint}, devices: devices, memory: totalMemory,
		known: catalog.Known, active: map[string]bool{}}
}

// Folder is the models folder, where downloads and added files go (and the Catalog looks).
func (l *Library) Folder() string { return l.dir }

func knownID(m catalog.Model, q catalog.Quant) string { return m.ID + "/" + q.Name }

func (l *Library) find(id string) (catalog.Model, catalog.Quant, error) {
	mid, qname, _ := strings.Cut(id, "/")
	for _, m := range l.known() {
		if m.ID == mid {
			if q, ok := m.Quant(qname); ok {
				return m, q, nil
			}
		}
	}
	return catalog.Model{}, catalog.Quant{}, fmt.Errorf("no model %q in the catalog", id)
}

func (l *Library) path(m catalog.Model, f catalog.File) string {
	return filepath.Join(l.dir, m.Folder(), filepath.FromSlash(f.Name))
}

// Known lists the catalog with what is on disk and what fits.
func (l *Library) Known() []KnownModel {
	var devices []speech.Device
	if l.devices != nil {
		devices = l.devices()
	}
	mem := l.memory()
	var out []KnownModel
	for _, m := range l.known() {
		for _, q := range m.Quants {
			k := KnownModel{ID: knownID(m, q), Name: m.Name, Quant: q.Name, Repo: m.Repo, Size: q.Size(),
				Languages: m.Languages, NeedsEngine: m.NeedsEngine}
			k.Fit = speech.EstimateFit(m.Info(q), fitContext, devices).Status()
			if k.Fit == "cpu" && mem > 0 && uint64(q.Size()) > mem {
				k.Fit = FitTooBig
			}
			k.Installed = true
			for _, f := range []catalog.File{q.Model, q.Projector} {
				p := l.path(m, f)
				if _, err := os.Stat(p); err != nil {
					k.Installed = false
				}
				k.Partial += fileSize(download.Partial(p))
			}
			out = append(out, k)
		}
	}
	return out
}

// Download fetches id's model and projector into the models folder. Events report the progress until
// the last (Finished); cancelling ctx pauses it, and a later Download resumes where it stopped.
func (l *Library) Download(ctx context.Context, id string) <-chan DownloadEvent {
	ch := make(chan DownloadEvent, 16)
	m, q, err := l.find(id)
	if err == nil && m.NeedsEngine != "" {
		err = fmt.Errorf("%s: %w (it needs the %s)", m.Name, ErrNeedsEngine, m.NeedsEngine)
	}
	l.mu.Lock()
	if err == nil && l.active[id] {
		err = fmt.Errorf("%s is already downloading", m.Name)
	}
	if err == nil {
		l.active[id] = true
	}
	l.mu.Unlock()
	if err != nil {
		ch <- DownloadEvent{ID: id, Finished: true, Err: err}
		close(ch)
		return ch
	}
	go func() {
		defer close(ch)
		defer func() {
			l.mu.Lock()
			delete(l.active, id)
			l.mu.Unlock()
		}()
		files := []catalog.File{q.Model, q.Projector}
		sizes := []int64{q.Model.Size, q.Projector.Size}
		sum := func() (n int64) {
			for _, s := range sizes {
				n += s
			}
			return n
		}
		reqs := make([]download.Request, len(files))
		for i, f := range files {
			reqs[i] = download.Request{Repo: m.Repo, Revision: m.Revision, File: f.Name, Dest: l.path(m, f), SHA256: f.SHA256, Size: f.Size}
			if n := fileSize(reqs[i].Dest); n > 0 {
				sizes[i] = n
			} else if n, err := l.dl.Size(ctx, reqs[i]); err == nil {
				// The exact size, for a bar that is right from the start; without it the catalog's
				// stands until the file's own download begins (which then reports any failure).
				sizes[i] = n
			}
		}
		var before int64 // bytes of the files already fetched
		for i, req := range reqs {
			dest := req.Dest
			err := l.dl.Fetch(ctx, req, func(p download.Progress) {
				if p.Total > 0 {
					sizes[i] = p.Total
				}
				select { // a slow reader misses a report, never the download
				case ch <- DownloadEvent{ID: id, Done: before + p.Done, Total: sum(), Rate: p.Rate}:
				default:
				}
			})
			if err != nil {
				ch <- DownloadEvent{ID: id, Done: before, Total: sum(), Finished: true, Err: fmt.Errorf("%s: %w", m.Name, err)}
				return
			}
			if n := fileSize(dest); n > 0 {
				sizes[i] = n
			}
			before += sizes[i]
		}
		ch <- DownloadEvent{ID: id, Done: before, Total: before, Finished: true}
	}()
	return ch
}

// Remove deletes id's files and any partial download. The projector stays while another
// quantisation of the same model still uses it.
func (l *Library) Remove(id string) error {
	m, q, err := l.find(id)
	if err != nil {
		return err
	}
	l.mu.Lock()
	busy := l.active[id]
	l.mu.Unlock()
	if busy {
		return fmt.Errorf("%s is downloading: pause it first", m.Name)
	}
	remove := []string{l.path(m, q.Model)}
	shared := false
	for _, o := range m.Quants {
		if o.Name != q.Name && o.Projector.Name == q.Projector.Name {
			if _, err := os.Stat(l.path(m, o.Model)); err == nil {
				shared = true
			}
		}
	}
	if !shared {
		remove = append(remove, l.path(m, q.Projector))
	}
	var errs []error
	for _, p := range remove {
		for _, f := range []string{p, download.Partial(p)} {
			if err := os.Remove(f); err != nil && !errors.Is(err, os.ErrNotExist) {
				errs = append(errs, fmt.Errorf("remove %s: %w", f, err))
			}
		}
	}
	os.Remove(filepath.Join(l.dir, m.Folder())) // only when empty
	return errors.Join(errs...)
}

// AddFile puts a model the user chose (and its audio projector, "" when the model hears without one)
// into the models folder, in a folder of its own so that the scan pairs them: hard-linked when the
// disk allows, else copied. It returns the model's new path.
func (l *Library) AddFile(ctx context.Context, model, projector string) (string, error) {
	e := models.Inspect(model, "file")
	switch {
	case e.Err != nil:
		return "", fmt.Errorf("%s: %w (%v)", filepath.Base(model), ErrNotModelFile, e.Err)
	case e.Info.Kind == gguf.KindProjector:
		return "", fmt.Errorf("%s: %w: choose the model file, then this one as its projector", filepath.Base(model), ErrIsProjector)
	case e.Info.Kind != gguf.KindText:
		return "", fmt.Errorf("%s: %w (a %s file)", filepath.Base(model), ErrNotModelFile, e.Info.Kind)
	}
	if projector == "" {
		return "", fmt.Errorf("%s: %w: choose its audio projector (an mmproj .gguf) together with it", filepath.Base(model), ErrNeedsProjector)
	}
	p := models.Inspect(projector, "file")
	if p.Err != nil || p.Info.Kind != gguf.KindProjector || !p.Info.HasAudio {
		reason := "it has no audio encoder"
		if p.Err != nil {
			reason = p.Err.Error()
		}
		return "", fmt.Errorf("%s: %w (%s)", filepath.Base(projector), ErrNotProjector, reason)
	}
	folder := filepath.Join(l.dir, strings.TrimSuffix(filepath.Base(model), filepath.Ext(model)))
	dest, pdest := filepath.Join(folder, filepath.Base(model)), filepath.Join(folder, filepath.Base(projector))
	for _, d := range []string{dest, pdest} {
		if _, err := os.Stat(d); err == nil {
			return "", fmt.Errorf("%s: %w (%s): remove it first, or rename the file", filepath.Base(d), ErrAlreadyAdded, d)
		}
	}
	if err := os.MkdirAll(folder, 0o755); err != nil {
		return "", fmt.Errorf("add %s: %w", filepath.Base(model), err)
	}
	if err := place(ctx, model, dest); err != nil {
		return "", err
	}
	if err := place(ctx, projector, pdest); err != nil {
		os.Remove(dest)
		return "", err
	}
	return dest, nil
}

// place hard-links src at dest, or copies it there (through a .partial file, so that an interrupted
// copy is never taken for a model).
func place(ctx context.Context, src, dest string) error {
	if err := os.Link(src, dest); err == nil {
		return nil
	}
	in, err := os.Open(src)
	if err != nil {
		return fmt.Errorf("add %s: %w", filepath.Base(src), err)
	}
	defer in.Close()
	tmp := download.Partial(dest)
	out, err := os.Create(tmp)
	if err != nil {
		return fmt.Errorf("add %s: %w", filepath.Base(src), err)
	}
	_, err = io.Copy(out, readerCtx{ctx, in})
	if err == nil {
		err = out.Sync()
	}
	if cerr := out.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Rename(tmp, dest)
	}
	if err != nil {
		os.Remove(tmp)
		return fmt.Errorf("add %s: copy to %s: %w", filepath.Base(src), dest, err)
	}
	return nil
}

// readerCtx stops a copy when ctx ends.
type readerCtx struct {
	ctx context.Context
	r   io.Reader
}

func (r readerCtx) Read(p []byte) (int, error) {
	if err := r.ctx.Err(); err != nil {
		return 0, err
	}
	return r.r.Read(p)
}

// totalMemory is the machine's RAM in bytes, from /proc/meminfo; 0 where it cannot be read.
func totalMemory() uint64 {
	f, err := os.Open("/proc/meminfo")
	if err != nil {
		return 0
	}
	defer f.Close()
	s := bufio.NewScanner(f)
	for s.Scan() {
		if rest, ok := strings.CutPrefix(s.Text(), "MemTotal:"); ok {
			kb, err := strconv.ParseUint(strings.TrimSuffix(strings.TrimSpace(rest), " kB"), 10, 64)
			if err == nil {
				return kb << 10
			}
		}
	}
	return 0
}
