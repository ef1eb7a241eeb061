package testenv

import (
	"bufio"
	"io"
	"strconv"
	"strings"
	"testing"
)

// Progress is what a child process in a kill -9 test has reported on stdout, one line each:
// "dir PATH" (its session), "audio N" (samples so far), "segment …" (one per final segment),
// "error …" (which fails the test).
type Progress struct {
	Dir      string
	Audio    int
	Segments int
}

// ReadProgress reads the child's report lines until enough says the parent may kill it, or the
// output ends; it returns what the child had reported by then.
func ReadProgress(t testing.TB, r io.Reader, enough func(Progress) bool) Progress {
	t.Helper()
	var p Progress
	sc := bufio.NewScanner(r)
	for sc.Scan() {
		f := strings.Fields(sc.Text())
		if len(f) < 2 {
			continue
		}
		switch f[0] {
		case "dir":
			p.Dir = f[1]
		case "audio":
			p.Audio, _ = strconv.Atoi(f[1])
		case "segment":
			p.Segments++
		case "error":
			t.Fatal(sc.Text())
		}
		if enough(p) {
			break
		}
	}
	return p
}
