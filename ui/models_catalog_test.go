package ui

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"testing"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/test"
	"fyne.io/fyne/v2/widget"

	"github.com/verbatim-app/verbatim/app/desktop"
	"github.com/verbatim-app/verbatim/app/models/download"
)

// fakeLibrary is a catalog of two models whose downloads the test drives event by event.
type fakeLibrary struct {
	mu      sync.Mutex
	known   []desktop.KnownModel
	events  chan desktop.DownloadEvent // the running download's
	ctx     context.Context            // the running download's
	removed []string
	addErr  error
	added   [][2]string
}

func newFakeLibrary() *fakeLibrary {
	return &fakeLibrary{known: []desktop.KnownModel{
		{ID: "voxtral/Q4_K_M", Name: "Voxtral Mini 3B", Quant: "Q4_K_M", Size: 3_150_000_000,
			Languages: []string{"en", "fr", "de", "es", "it", "pt"}, Fit: "full"},
		{ID: "gemma/Q8_0", Name: "Gemma 4 E2B", Quant: "Q8_0", Size: 5_200_000_000, Languages: []string{"en"},
			Fit: "partial", NeedsEngine: "Gemma 4 engine"},
	}}
}

func (f *fakeLibrary) Known() []desktop.KnownModel {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]desktop.KnownModel(nil), f.known...)
}

func (f *fakeLibrary) Download(ctx context.Context, id string) <-chan desktop.DownloadEvent {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.events, f.ctx = make(chan desktop.DownloadEvent, 10), ctx
	return f.events
}

func (f *fakeLibrary) set(id string, change func(*desktop.KnownModel)) {
	f.mu.Lock()
	defer f.mu.Unlock()
	for i := range f.known {
		if f.known[i].ID == id {
			change(&f.known[i])
		}
	}
}

// finish ends the running download as the library does.
func (f *fakeLibrary) finish(ev desktop.DownloadEvent) {
	f.mu.Lock()
	ch := f.events
	f.mu.Unlock()
	ev.Finished = true
	ch <- ev
	close(ch)
}

func (f *fakeLibrary) Remove(id string) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.removed = append(f.removed, id)
	for i := range f.known {
		if f.known[i].ID == id {
			f.known[i].Installed, f.known[i].Partial = false, 0
		}
	}
	return nil
}

func (f *fakeLibrary) AddFile(_ context.Context, model, projector string) (string, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.added = append(f.added, [2]string{model, projector})
	return model, f.addErr
}

func (f *fakeLibrary) Folder() string { return "/home/someone/.local/share/verbatim/models" }

func libraryHarness(t *testing.T, lang string) (*harness, *fakeLibrary) {
	lib := newFakeLibrary()
	h := newHarness(t, lang, func(h *harness, d *Deps) {
		d.Library = lib
		h.ready = append(h.ready, "catalog")
	})
	// The rows are drawn (and so found) only on the tab in view.
	h.m.tabs.SelectIndex(tabModels)
	h.m.models.leftTabs.SelectIndex(1)
	return h, lib
}

// rowOf is the catalog row showing name.
func rowOf(t *testing.T, c *catalogPart, name string) fyne.CanvasObject {
	t.Helper()
	var row fyne.CanvasObject
	walkObjects(c.list, false, func(o fyne.CanvasObject) bool {
		if b, ok := o.(*fyne.Container); ok && len(b.Objects) == 2 && shows(b, name) {
			if _, ok := b.Objects[1].(*fyne.Container); ok {
				row = b
			}
		}
		return row == nil
	})
	if row == nil {
		t.Fatalf("no row for %q", name)
	}
	return row
}

func barIn(o fyne.CanvasObject) *widget.ProgressBar {
	var bar *widget.ProgressBar
	walkObjects(o, false, func(o fyne.CanvasObject) bool {
		bar, _ = o.(*widget.ProgressBar)
		return bar == nil
	})
	return bar
}

// The catalog lists each model with its size, languages and fit, shows the models folder, and does
// not offer a download for a model this build cannot run.
func TestCatalogListing(t *testing.T) {
	h, _ := libraryHarness(t, "en")
	c := h.m.models.catalog
	tab := h.m.tabs.Items[tabModels].Content
	for _, want := range []string{"Voxtral Mini 3B · Q4_K_M", "2.9 GB · en, fr, de, es, it, …", "Fully on GPU",
		"/home/someone/.local/share/verbatim/models", "Open models folder", "Add model file…", "On this computer"} {
		if !shows(tab, want) {
			t.Errorf("the Models tab does not show %q: %q", want, canvasTexts(tab))
		}
	}
	if b := findButton(t, rowOf(t, c, "Gemma 4 E2B"), "Needs a newer engine"); !b.Disabled() {
		t.Error("a model this build cannot run is offered for download")
	}
}

// Download shows progress on the row's bar and in words; the end lists the model as installed and
// rescans the models on disk.
func TestCatalogDownloadProgress(t *testing.T) {
	h, lib := libraryHarness(t, "en")
	c := h.m.models.catalog
	row := rowOf(t, c, "Voxtral")
	test.Tap(findButton(t, row, "Download"))
	lib.events <- desktop.DownloadEvent{ID: "voxtral/Q4_K_M", Done: 1_575_000_000, Total: 3_150_000_000, Rate: 12_000_000}
	h.wait("download-progress")
	row = rowOf(t, c, "Voxtral")
	if bar := barIn(row); !bar.Visible() || bar.Value < 0.49 || bar.Value > 0.51 {
		t.Errorf("bar at %v (visible %v), want half", bar.Value, bar.Visible())
	}
	if text := barIn(row).TextFormatter(); text != "1.5 GB of 2.9 GB · 11 MB/s" {
		t.Errorf("the bar says %q", text)
	}
	findButton(t, row, "Pause")
	lib.set("voxtral/Q4_K_M", func(k *desktop.KnownModel) { k.Installed = true })
	lib.finish(desktop.DownloadEvent{ID: "voxtral/Q4_K_M", Done: 3_150_000_000, Total: 3_150_000_000})
	h.wait("download")
	h.wait("catalog")
	h.wait("models") // the rescan
	if b := findButton(t, rowOf(t, c, "Voxtral"), "Installed"); !b.Disabled() {
		t.Error("an installed model offers a download")
	}
	if !strings.Contains(c.msg.Text, "Downloaded Voxtral Mini 3B") {
		t.Errorf("message %q", c.msg.Text)
	}
}

// Pause cancels the download's context; the row then offers Resume, which downloads again.
func TestCatalogPauseResume(t *testing.T) {
	h, lib := libraryHarness(t, "en")
	c := h.m.models.catalog
	test.Tap(findButton(t, rowOf(t, c, "Voxtral"), "Download"))
	test.Tap(findButton(t, rowOf(t, c, "Voxtral"), "Pause"))
	lib.mu.Lock()
	ctx := lib.ctx
	lib.mu.Unlock()
	if ctx.Err() == nil {
		t.Fatal("Pause did not cancel the download")
	}
	lib.set("voxtral/Q4_K_M", func(k *desktop.KnownModel) { k.Partial = 1_000_000_000 })
	lib.finish(desktop.DownloadEvent{ID: "voxtral/Q4_K_M", Err: fmt.Errorf("voxtral: %w", context.Canceled)})
	h.wait("download")
	h.wait("catalog")
	if !strings.Contains(c.msg.Text, "Paused") || c.failed {
		t.Errorf("message %q (failed %v)", c.msg.Text, c.failed)
	}
	test.Tap(findButton(t, rowOf(t, c, "Voxtral"), "Resume"))
	lib.mu.Lock()
	resumed := lib.ctx != ctx && lib.ctx.Err() == nil
	lib.mu.Unlock()
	if !resumed {
		t.Error("Resume did not start a new download")
	}
}

// A failed download says what happened and what to do, in the interface language, with the detail.
func TestCatalogDownloadErrors(t *testing.T) {
	for _, tc := range []struct {
		lang string
		err  error
		want string
	}{
		{"en", fmt.Errorf("x: %w in /m: it needs 3.1 GB, 1.0 GB are free", download.ErrNoSpace), "Not enough free disk space"},
		{"en", fmt.Errorf("x: %w huggingface.co", download.ErrOffline), "VERBATIM_HF_ENDPOINT"},
		{"en", fmt.Errorf("x: %w: its SHA-256 is a, the published one b", download.ErrBadHash), "damaged"},
		{"de", fmt.Errorf("x: %w", download.ErrDropped), "Verbindung"},
	} {
		h, lib := libraryHarness(t, tc.lang)
		c := h.m.models.catalog
		test.Tap(findButton(t, rowOf(t, c, "Voxtral"), h.m.tr.T("ModelDownload")))
		lib.finish(desktop.DownloadEvent{ID: "voxtral/Q4_K_M", Err: tc.err})
		h.wait("download")
		h.wait("catalog")
		if !c.failed || !strings.Contains(c.msg.Text, tc.want) || c.detailL.Text != tc.err.Error() || !c.detailL.Visible() {
			t.Errorf("%v: message %q, detail %q (failed %v), want %q and the detail", tc.err, c.msg.Text, c.detailL.Text, c.failed, tc.want)
		}
		if !c.msg.Visible() || c.msg.Importance != widget.DangerImportance {
			t.Errorf("%v: the error is not shown as one", tc.err)
		}
	}
}

// Remove asks first, and only Yes removes.
func TestCatalogRemove(t *testing.T) {
	h, lib := libraryHarness(t, "en")
	c := h.m.models.catalog
	lib.set("voxtral/Q4_K_M", func(k *desktop.KnownModel) { k.Installed = true })
	c.reload()
	h.wait("catalog")
	removeBtn := func() *widget.Button {
		return rowButtons(rowOf(t, c, "Voxtral").(*fyne.Container))[1].(*widget.Button)
	}
	test.Tap(removeBtn())
	top := h.m.win.Canvas().Overlays().Top()
	if top == nil || !shows(top, "Voxtral Mini 3B · Q4_K_M") {
		t.Fatal("no confirmation naming the model")
	}
	test.Tap(findButton(t, top, "No"))
	if len(lib.removed) != 0 {
		t.Fatal("removed without a yes")
	}
	test.Tap(removeBtn())
	test.Tap(findButton(t, h.m.win.Canvas().Overlays().Top(), "Yes"))
	h.wait("remove")
	h.wait("catalog")
	h.wait("models")
	if len(lib.removed) != 1 || lib.removed[0] != "voxtral/Q4_K_M" || !strings.Contains(c.msg.Text, "Removed") {
		t.Fatalf("removed %q, message %q", lib.removed, c.msg.Text)
	}
	findButton(t, rowOf(t, c, "Voxtral"), "Download")
}

// Adding a file the library refuses says why and what to do; one it takes is announced and the
// models on disk are scanned again.
func TestCatalogAddFile(t *testing.T) {
	h, lib := libraryHarness(t, "en")
	c := h.m.models.catalog
	lib.addErr = fmt.Errorf("notes.gguf: %w (bad magic)", desktop.ErrNotModelFile)
	c.add("/tmp/notes.gguf", "/tmp/mmproj.gguf")
	h.wait("add")
	if !c.failed || !strings.Contains(c.msg.Text, "not a GGUF model") {
		t.Errorf("message %q", c.msg.Text)
	}
	lib.addErr = nil
	c.add("/tmp/model.gguf", "/tmp/mmproj.gguf")
	h.wait("add")
	h.wait("catalog")
	h.wait("models")
	if c.failed || !strings.Contains(c.msg.Text, "Added model.gguf") {
		t.Errorf("message %q", c.msg.Text)
	}
	if len(lib.added) != 2 || lib.added[1] != [2]string{"/tmp/model.gguf", "/tmp/mmproj.gguf"} {
		t.Errorf("added %q", lib.added)
	}
}
