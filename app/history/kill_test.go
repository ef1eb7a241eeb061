package history

import (
	"bufio"
	"context"
	"fmt"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/verbatim-app/verbatim/app/transcript"
)

// childDBEnv makes this test binary index into the database it names until killed (TestMain).
const childDBEnv = "VERBATIM_HISTORY_CHILD_DB"

// linesPerEntry makes each entry's transaction long enough that a kill often lands inside one.
const linesPerEntry = 300

func TestMain(m *testing.M) {
	if path := os.Getenv(childDBEnv); path != "" {
		os.Exit(indexUntilKilled(path))
	}
	os.Exit(m.Run())
}

// indexUntilKilled indexes entries one after another, printing "indexing SOURCE" before each and
// "committed ID SOURCE" once it is.
func indexUntilKilled(path string) int {
	x, err := Open(path)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	for i := 0; ; i++ {
		src := fmt.Sprintf("/recordings/%d/call-%04d.wav", os.Getpid(), i)
		segs := make([]transcript.Segment, linesPerEntry)
		for j := range segs {
			segs[j] = transcript.Segment{ID: j + 1, Start: time.Duration(j) * time.Second, End: time.Duration(j+1) * time.Second,
				Text: fmt.Sprintf("call %d line %d mentions the budget of project zephyr", i, j), Final: true}
		}
		fmt.Printf("indexing %s\n", src)
		e, err := x.IndexFile(context.Background(), FileEntry{Source: src, Output: src + ".txt", Model: "demo"}, segs)
		if err != nil {
			fmt.Fprintln(os.Stderr, err)
			return 1
		}
		fmt.Printf("committed %d %s\n", e.ID, e.Source)
	}
}

// kill -9 while indexing: every entry committed before the kill is there, whole, the database passes
// its integrity check (the full-text index included), no entry is half written, and it takes new
// entries.
func TestKilledWhileIndexing(t *testing.T) {
	path := t.TempDir() + "/" + FileName
	committed := map[int64]string{} // every entry a child said it committed
	midway := 0                     // kills that landed while an entry was being written
	for round := range 3 {          // the same database killed three times over
		cmd := exec.Command(os.Args[0], "-test.run", "^$")
		cmd.Env = append(os.Environ(), childDBEnv+"="+path)
		var stderr strings.Builder
		cmd.Stderr = &stderr
		out, err := cmd.StdoutPipe()
		if err != nil {
			t.Fatal(err)
		}
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		before := len(committed)
		sc := bufio.NewScanner(out)
		want := before + 5 + 3*round
		last := ""
		read := func() bool {
			if !sc.Scan() {
				return false
			}
			last = sc.Text()
			f := strings.Fields(last)
			switch {
			case len(f) == 2 && f[0] == "indexing":
			case len(f) == 3 && f[0] == "committed":
				id, err := strconv.ParseInt(f[1], 10, 64)
				if err != nil {
					t.Fatalf("child said %q", last)
				}
				committed[id] = f[2]
			default:
				t.Fatalf("child said %q", last)
			}
			return true
		}
		for len(committed) < want && read() {
		}
		if len(committed) < want {
			cmd.Process.Kill()
			cmd.Wait()
			t.Fatalf("round %d: the child committed %d entries, then stopped: %s", round, len(committed)-before, stderr.String())
		}
		// Let it get into the next transaction, then kill it.
		time.Sleep(time.Duration(round+1) * 7 * time.Millisecond)
		if err := cmd.Process.Signal(syscall.SIGKILL); err != nil {
			t.Fatal(err)
		}
		for read() { // what it said between the last read and the kill
		}
		cmd.Wait()
		if strings.HasPrefix(last, "indexing ") {
			midway++
		}

		x, err := Open(path)
		if err != nil {
			t.Fatalf("round %d: reopen after kill -9: %v", round, err)
		}
		ctx := context.Background()
		if err := x.Check(ctx); err != nil {
			t.Fatalf("round %d: %v", round, err)
		}
		var quick string
		if err := x.db.QueryRow("PRAGMA integrity_check").Scan(&quick); err != nil || quick != "ok" {
			t.Fatalf("round %d: integrity_check = %q, %v", round, quick, err)
		}
		for id, src := range committed {
			e, err := x.Entry(ctx, id)
			if err != nil || e.Source != src || e.Lines != linesPerEntry {
				t.Errorf("round %d: committed entry %d (%s): %+v, %v; want it whole", round, id, src, e, err)
			}
		}
		var partial int
		if err := x.db.QueryRow(`SELECT count(*) FROM entries e WHERE e.source LIKE '/recordings/%'
			AND (SELECT count(*) FROM lines l WHERE l.entry_id = e.id) != ?`,
			linesPerEntry).Scan(&partial); err != nil || partial != 0 {
			t.Errorf("round %d: %d half-written entries, %v", round, partial, err)
		}
		hits, err := x.Search(ctx, "zephyr budget", SearchOptions{Limit: 1 << 20})
		var entries int
		x.db.QueryRow("SELECT count(*) FROM entries WHERE source LIKE '/recordings/%'").Scan(&entries)
		if err != nil || len(hits) != entries*linesPerEntry || entries < len(committed) {
			t.Errorf("round %d: %d hits for %d entries (%d seen committed), %v", round, len(hits), entries, len(committed), err)
		}
		t.Logf("round %d: %d entries seen committed in all, %d in the database after kill -9", round, len(committed), entries)
		if _, err := x.IndexFile(ctx, FileEntry{Source: fmt.Sprintf("/after/kill-%d.wav", round)},
			[]transcript.Segment{{ID: 1, Text: "still writable", Final: true}}); err != nil {
			t.Errorf("round %d: writing after the kill: %v", round, err)
		}
		x.Close()
	}
	if midway == 0 {
		t.Error("no kill landed while an entry was being written: the test proved nothing about torn writes")
	}
}
