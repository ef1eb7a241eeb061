package assets

import (
	"io/fs"
	"slices"
	"testing"
)

// The binary embeds exactly the demo model files the app loads: nothing only tests use.
func TestEmbedsOnlyTheFilesTheAppLoads(t *testing.T) {
	want := []string{DemoModel, DemoProjector, DemoMTPHead}
	var got []string
	if err := fs.WalkDir(Models(), ".", func(p string, d fs.DirEntry, err error) error {
		if err == nil && !d.IsDir() {
			got = append(got, p)
		}
		return err
	}); err != nil {
		t.Fatal(err)
	}
	slices.Sort(want)
	if !slices.Equal(got, want) {
		t.Fatalf("embedded %v, want %v", got, want)
	}
}
