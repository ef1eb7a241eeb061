package desktop

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"testing"

	"github.com/verbatim-app/verbatim/app/models"
	"github.com/verbatim-app/verbatim/app/models/catalog"
	"github.com/verbatim-app/verbatim/app/models/download"
	"github.com/verbatim-app/verbatim/app/models/download/hftest"
	"github.com/verbatim-app/verbatim/inference/testmodel"
)

// testLibrary is a Library over a fake Hugging Face holding one hearing model (the test model and its
// projector) at two quantisations sharing the projector, and one model for an engine this build lacks.
func testLibrary(t *testing.T) (*Library, *hftest.Server) {
	t.Helper()
	dir := t.TempDir()
	mpath, ppath, err := testmodel.New(testmodel.DefaultSpec()).Files(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	mdata, _ := os.ReadFile(mpath)
	pdata, _ := os.ReadFile(ppath)
	srv := hftest.New(map[string]*hftest.File{
		"org/hear-GGUF/main/hear-Q4.gguf":    {Data: mdata},
		"org/hear-GGUF/main/hear-Q8.gguf":    {Data: mdata},
		"org/hear-GGUF/main/mmproj-f16.gguf": {Data: pdata},
	})
	t.Cleanup(srv.Close)
	proj := catalog.File{Name: "mmproj-f16.gguf", Size: 1000} // rounded, as published: the server says how big
	known := []catalog.Model{
		{ID: "hear", Name: "Hear", Repo: "org/hear-GGUF", Revision: "main", Languages: []string{"en"},
			Shape: catalog.Shape{Blocks: 2, EmbeddingLen: 64, Vocab: 100, Parameters: 1000},
			Quants: []catalog.Quant{
				// The catalog's size is a published, rounded one: the server's exact one replaces it.
				{Name: "Q4", Model: catalog.File{Name: "hear-Q4.gguf", Size: 1000, SHA256: hftest.Hash(mdata)}, Projector: proj},
				{Name: "Q8", Model: catalog.File{Name: "hear-Q8.gguf", Size: int64(len(mdata))}, Projector: proj},
			}},
		{ID: "future", Name: "Future", Repo: "org/future-GGUF", Revision: "main", Languages: []string{"en"},
			Shape: catalog.Shape{Blocks: 2, EmbeddingLen: 64, Vocab: 100, Parameters: 1000}, NeedsEngine: "Future engine",
			Quants: []catalog.Quant{{Name: "Q4", Model: catalog.File{Name: "f.gguf", Size: 1 << 40}, Projector: proj}}},
	}
	l := NewLibrary(dir, srv.URL, nil)
	l.known = func() []catalog.Model { return known }
	l.memory = func() uint64 { return 1 << 30 }
	l.dl.FreeSpace = func(string) (uint64, error) { return 1 << 40, nil }
	return l, srv
}

func known(t *testing.T, l *Library, id string) KnownModel {
	t.Helper()
	for _, k := range l.Known() {
		if k.ID == id {
			return k
		}
	}
	t.Fatalf("%s not listed", id)
	return KnownModel{}
}

func drain(ch <-chan DownloadEvent) (last DownloadEvent, n int) {
	for ev := range ch {
		last, n = ev, n+1
	}
	return last, n
}

// A download installs model and projector where the Catalog finds them, paired; Remove takes them
// away again, keeping the projector another quantisation still uses.
func TestLibraryDownloadListRemove(t *testing.T) {
	l, _ := testLibrary(t)
	if k := known(t, l, "hear/Q4"); k.Installed || k.Fit != "cpu" || k.Size <= 0 {
		t.Fatalf("before: %+v", k)
	}
	if k := known(t, l, "future/Q4"); k.NeedsEngine == "" || k.Fit != FitTooBig {
		t.Errorf("a model for a missing engine, larger than memory: %+v", k)
	}
	ch := l.Download(context.Background(), "hear/Q4")
	first := <-ch
	last, n := drain(ch)
	if last.Err != nil || !last.Finished || last.Done != last.Total || n < 2 {
		t.Fatalf("download: last %+v after %d events", last, n)
	}
	if first.Total != last.Total {
		t.Errorf("the first report counts %d bytes, the download %d", first.Total, last.Total)
	}
	if k := known(t, l, "hear/Q4"); !k.Installed || k.Partial != 0 {
		t.Fatalf("after: %+v", k)
	}
	found := models.Discover(context.Background(), models.Locations{Verbatim: l.Folder()})
	if len(found) != 2 || !found[0].CanHear && !found[1].CanHear {
		t.Fatalf("the catalog's scan finds %+v", found)
	}
	if _, n := drain(l.Download(context.Background(), "hear/Q8")); n == 0 {
		t.Fatal("no events")
	}
	if err := l.Remove("hear/Q4"); err != nil {
		t.Fatal(err)
	}
	if k := known(t, l, "hear/Q8"); !k.Installed {
		t.Error("removing Q4 took Q8's projector away")
	}
	if err := l.Remove("hear/Q8"); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(filepath.Join(l.Folder(), "hear")); !os.IsNotExist(err) {
		t.Errorf("the model's folder is left behind (%v)", err)
	}
}

// Pausing (cancelling) leaves a partial file the listing reports; the next Download completes it.
func TestLibraryPauseResume(t *testing.T) {
	l, srv := testLibrary(t)
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	last, _ := drain(l.Download(ctx, "hear/Q4"))
	if !errors.Is(last.Err, context.Canceled) || !last.Finished {
		t.Fatalf("paused: %+v", last)
	}
	// A partial file as a dropped connection leaves it: the model files start with "GGUF".
	p := filepath.Join(l.Folder(), "hear", "hear-Q4.gguf")
	if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(download.Partial(p), []byte("GGUF"), 0o644); err != nil {
		t.Fatal(err)
	}
	if k := known(t, l, "hear/Q4"); k.Partial != 4 || k.Installed {
		t.Fatalf("listed as %+v, want 4 bytes partial", k)
	}
	if last, _ := drain(l.Download(context.Background(), "hear/Q4")); last.Err != nil {
		t.Fatal(last.Err)
	}
	if r := srv.Ranges(); len(r) == 0 || r[0] != "bytes=4-" {
		t.Errorf("ranges %q: the download did not resume", r)
	}
	if k := known(t, l, "hear/Q4"); !k.Installed {
		t.Errorf("not installed: %+v", k)
	}
}

// A model this build cannot run is not downloaded.
func TestLibraryRefusesMissingEngine(t *testing.T) {
	l, srv := testLibrary(t)
	last, _ := drain(l.Download(context.Background(), "future/Q4"))
	if !errors.Is(last.Err, ErrNeedsEngine) || srv.Requests() != 0 {
		t.Fatalf("got %+v with %d requests", last, srv.Requests())
	}
}

func TestLibraryAddFile(t *testing.T) {
	src := t.TempDir()
	mpath, ppath, err := testmodel.New(testmodel.DefaultSpec()).Files(src)
	if err != nil {
		t.Fatal(err)
	}
	notGGUF := filepath.Join(src, "notes.gguf")
	if err := os.WriteFile(notGGUF, []byte("hello, not a model"), 0o644); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name             string
		model, projector string
		want             error
	}{
		{"not a gguf", notGGUF, ppath, ErrNotModelFile},
		{"projector as model", ppath, "", ErrIsProjector},
		{"model alone", mpath, "", ErrNeedsProjector},
		{"model as projector", mpath, mpath, ErrNotProjector},
		{"model and projector", mpath, ppath, nil},
		{"twice", mpath, ppath, ErrAlreadyAdded},
	} {
		l, _ := testLibrary(t)
		if tc.name == "twice" {
			if _, err := l.AddFile(context.Background(), mpath, ppath); err != nil {
				t.Fatal(err)
			}
		}
		got, err := l.AddFile(context.Background(), tc.model, tc.projector)
		if !errors.Is(err, tc.want) {
			t.Errorf("%s: AddFile = %v, want %v", tc.name, err, tc.want)
			continue
		}
		if tc.want != nil {
			continue
		}
		found := models.Discover(context.Background(), models.Locations{Verbatim: l.Folder()})
		if len(found) != 2 || (found[0].Path != got && found[1].Path != got) {
			t.Fatalf("%s: added %s, the scan finds %+v", tc.name, got, found)
		}
		for _, e := range found {
			if e.Path == got && (!e.CanHear || e.Projector == "") {
				t.Errorf("%s: the added model is not paired with its projector: %+v", tc.name, e)
			}
		}
		if _, err := os.Stat(mpath); err != nil {
			t.Errorf("%s: the original went away: %v", tc.name, err)
		}
	}
}
