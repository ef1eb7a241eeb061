package history

import (
	"context"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/verbatim-app/verbatim/app/transcript"
)

// benchCorpus indexes entries of lines of made-up speech: 12 words a line from a 5000-word vocabulary
// drawn Zipf-like, as speech is; a line every 3 s, so 1200 lines are an hour.
func benchCorpus(b testing.TB, x *Index, entries, lines int) {
	b.Helper()
	rng := rand.New(rand.NewPCG(1, 2))
	zipf := rand.NewZipf(rng, 1.1, 1, 4999)
	ctx := context.Background()
	for e := range entries {
		segs := make([]transcript.Segment, lines)
		for i := range segs {
			w := make([]string, 12)
			for j := range w {
				w[j] = fmt.Sprintf("w%d", zipf.Uint64())
			}
			segs[i] = transcript.Segment{ID: i + 1, Start: time.Duration(i) * 3 * time.Second,
				End: time.Duration(i)*3*time.Second + 2500*time.Millisecond, Text: strings.Join(w, " "), Final: true}
		}
		if _, err := x.IndexFile(ctx, FileEntry{Source: fmt.Sprintf("/corpus/meeting-%04d.wav", e), Model: "demo"}, segs); err != nil {
			b.Fatal(err)
		}
	}
}

func dbBytes(b *testing.B, path string) int64 {
	var n int64
	for _, p := range []string{path, path + "-wal"} {
		if st, err := os.Stat(p); err == nil {
			n += st.Size()
		}
	}
	return n
}

// BenchmarkIndexHour indexes one hour of speech (1200 lines) as one entry, and reports the database's
// size per hour indexed.
func BenchmarkIndexHour(b *testing.B) {
	path := filepath.Join(b.TempDir(), FileName)
	x, err := Open(path)
	if err != nil {
		b.Fatal(err)
	}
	defer x.Close()
	b.ResetTimer()
	benchCorpus(b, x, b.N, 1200)
	b.StopTimer()
	if _, err := x.db.Exec("PRAGMA wal_checkpoint(TRUNCATE)"); err != nil {
		b.Fatal(err)
	}
	b.ReportMetric(float64(dbBytes(b, path))/float64(b.N)/1e6, "MB/hour")
}

// BenchmarkSearch searches 100 hours of speech (120 000 lines) for a rare word and a common one.
func BenchmarkSearch(b *testing.B) {
	path := filepath.Join(b.TempDir(), FileName)
	x, err := Open(path)
	if err != nil {
		b.Fatal(err)
	}
	defer x.Close()
	benchCorpus(b, x, 100, 1200)
	x.db.Exec("PRAGMA wal_checkpoint(TRUNCATE)")
	b.Logf("100 hours, 120000 lines: %.1f MB", float64(dbBytes(b, path))/1e6)
	for _, q := range []string{"w4000", "w3", "w3 w10"} {
		b.Run(q, func(b *testing.B) {
			var n int
			for b.Loop() {
				hits, err := x.Search(context.Background(), q, SearchOptions{Open: "[", Close: "]"})
				if err != nil {
					b.Fatal(err)
				}
				n = len(hits)
			}
			b.ReportMetric(float64(n), "hits")
		})
	}
}
