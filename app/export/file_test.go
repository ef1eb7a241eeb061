package export

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/verbatim-app/verbatim/app/transcript"
)

func doc(text string) Doc {
	return Doc{Segments: []transcript.Segment{{ID: 1, Text: text, Final: true}}}
}

func TestWriteFile(t *testing.T) {
	cases := []struct {
		name      string
		existing  os.FileMode // 0: no file there
		overwrite bool
		wantPath  string // relative to the folder
		wantMode  os.FileMode
		wantOld   bool // the existing file is untouched
	}{
		// Another run created the file meanwhile: the result goes beside it, nothing is replaced.
		{"taken meanwhile", 0o644, false, "talk-2.txt", 0o600, true},
		// Replacing keeps the permissions the file had.
		{"overwrite keeps 0644", 0o644, true, "talk.txt", 0o644, false},
		{"overwrite keeps 0640", 0o640, true, "talk.txt", 0o640, false},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			dir := t.TempDir()
			path := filepath.Join(dir, "talk.txt")
			if c.existing != 0 {
				if err := os.WriteFile(path, []byte("hand-written notes\n"), c.existing); err != nil {
					t.Fatal(err)
				}
				os.Chmod(path, c.existing)
			}
			got, err := WriteFile(path, "txt", doc("hello"), c.overwrite)
			if err != nil {
				t.Fatal(err)
			}
			if got != filepath.Join(dir, c.wantPath) {
				t.Errorf("wrote %s, want %s", got, c.wantPath)
			}
			if b, _ := os.ReadFile(got); string(b) != "hello\n" {
				t.Errorf("%s holds %q", got, b)
			}
			if st, err := os.Stat(got); err != nil || st.Mode().Perm() != c.wantMode {
				t.Errorf("%s: mode %v (%v), want %03o", got, st.Mode().Perm(), err, c.wantMode)
			}
			if b, _ := os.ReadFile(path); c.wantOld != (string(b) == "hand-written notes\n") {
				t.Errorf("%s holds %q afterwards", path, b)
			}
			entries, _ := os.ReadDir(dir)
			for _, e := range entries {
				if strings.Contains(e.Name(), ".verbatim-") {
					t.Errorf("temporary file %s left behind", e.Name())
				}
			}
		})
	}
}

// Runs that write the same name at once each keep their result.
func TestWriteFileConcurrent(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "talk.txt")
	const n = 8
	var wg sync.WaitGroup
	errs := make([]error, n)
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			_, errs[i] = WriteFile(path, "txt", doc(fmt.Sprint("run ", i)), false)
		}()
	}
	wg.Wait()
	if err := errors.Join(errs...); err != nil {
		t.Fatal(err)
	}
	var texts []string
	entries, _ := os.ReadDir(dir)
	for _, e := range entries {
		b, _ := os.ReadFile(filepath.Join(dir, e.Name()))
		texts = append(texts, strings.TrimSpace(string(b)))
	}
	sort.Strings(texts)
	if len(texts) != n || texts[0] != "run 0" || texts[n-1] != fmt.Sprint("run ", n-1) {
		t.Errorf("files %v, want one per run", texts)
	}
}

// A partial transcript is on disk line by line as segments are added, never replaces one an earlier
// (killed) run left, and is gone once removed.
func TestPartial(t *testing.T) {
	out := filepath.Join(t.TempDir(), "talk.txt")
	p, err := OpenPartial(out)
	if err != nil {
		t.Fatal(err)
	}
	for i, text := range []string{"Hello there.", "Second\nline."} {
		if err := p.Add(transcript.Segment{ID: i + 1, Start: time.Duration(i) * time.Second, End: time.Duration(i+1)*time.Second + 250*time.Millisecond, Text: text, Final: true}); err != nil {
			t.Fatal(err)
		}
	}
	// Read while still open, as after a kill -9.
	b, err := os.ReadFile(out + ".partial")
	if err != nil {
		t.Fatal(err)
	}
	want := "[00:00:00.000 → 00:00:01.250] Hello there.\n[00:00:01.000 → 00:00:02.250] Second line.\n"
	if string(b) != want {
		t.Errorf("partial file:\n%q\nwant\n%q", b, want)
	}
	if st, err := os.Stat(p.Path()); err != nil || st.Mode().Perm() != 0o600 {
		t.Errorf("partial file mode: %v %v", st, err)
	}
	p2, err := OpenPartial(out)
	if err != nil {
		t.Fatal(err)
	}
	if p2.Path() != out+".partial-2" {
		t.Errorf("second partial at %s, want %s", p2.Path(), out+".partial-2")
	}
	if err := errors.Join(p.Remove(), p2.Remove()); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(out + ".partial"); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("partial file still there: %v", err)
	}
}
