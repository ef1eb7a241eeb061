// Command testreport reads `go test -json` on stdin and prints what a person needs from a long run: a
// line per package, the output of every failed or skipped test, and a closing count
// "N passed, N failed, N skipped". It exits non-zero when anything failed, anything skipped (make test
// runs everything; a skip there hides a missing install step) or no test ran at all.
package main

import (
	"bufio"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"strings"
)

// event is one line of test2json's output.
type event struct {
	Action  string
	Package string
	Test    string
	Output  string
	Elapsed float64
}

type counts struct{ passed, failed, skipped, pkgFailed int }

func main() {
	c, err := report(os.Stdin, os.Stdout)
	if err != nil {
		fmt.Fprintln(os.Stderr, "testreport:", err)
		os.Exit(1)
	}
	if c.failed > 0 || c.skipped > 0 || c.pkgFailed > 0 || c.passed == 0 {
		os.Exit(1)
	}
}

func report(in io.Reader, out io.Writer) (counts, error) {
	var c counts
	outputs := map[string]*strings.Builder{} // package + "\x00" + test → its output so far
	key := func(e event) string { return e.Package + "\x00" + e.Test }
	sc := bufio.NewScanner(in)
	sc.Buffer(make([]byte, 1<<20), 16<<20)
	for sc.Scan() {
		line := sc.Bytes()
		var e event
		if err := json.Unmarshal(line, &e); err != nil || e.Action == "" {
			// Not test2json: a message from the go command itself (a bad flag, a vet error).
			fmt.Fprintln(out, string(line))
			continue
		}
		switch e.Action {
		case "output", "build-output":
			b := outputs[key(e)]
			if b == nil {
				b = &strings.Builder{}
				outputs[key(e)] = b
			}
			b.WriteString(e.Output)
		case "pass", "fail", "skip":
			buf := outputs[key(e)]
			delete(outputs, key(e))
			if e.Test == "" {
				if e.Action == "fail" {
					c.pkgFailed++
					fmt.Fprintf(out, "FAIL %s (%.1fs)\n", e.Package, e.Elapsed)
					if buf != nil {
						fmt.Fprint(out, indent(buf.String()))
					}
				} else {
					fmt.Fprintf(out, "ok   %s (%.1fs)\n", e.Package, e.Elapsed)
				}
				continue
			}
			switch e.Action {
			case "pass":
				c.passed++
			case "fail":
				c.failed++
				fmt.Fprintf(out, "--- FAIL %s %s (%.1fs)\n", e.Package, e.Test, e.Elapsed)
			case "skip":
				c.skipped++
				fmt.Fprintf(out, "--- SKIP %s %s\n", e.Package, e.Test)
			}
			if e.Action != "pass" && buf != nil {
				fmt.Fprint(out, indent(buf.String()))
			}
		}
	}
	if err := sc.Err(); err != nil {
		return c, fmt.Errorf("reading go test -json: %w", err)
	}
	if c.passed == 0 {
		fmt.Fprintln(out, "no test ran")
	}
	fmt.Fprintf(out, "%d passed, %d failed, %d skipped\n", c.passed, c.failed+c.pkgFailed, c.skipped)
	return c, nil
}

func indent(s string) string {
	s = strings.TrimRight(s, "\n")
	if s == "" {
		return ""
	}
	return "    " + strings.ReplaceAll(s, "\n", "\n    ") + "\n"
}
