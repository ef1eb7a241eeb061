package main

import (
	"strings"
	"testing"
)

func TestReport(t *testing.T) {
	for _, tc := range []struct {
		name                              string
		in                                string
		passed, failed, skipped, pkgFails int
		want                              []string // lines the report must contain
	}{
		{"all pass", `{"Action":"run","Package":"p","Test":"T"}
{"Action":"output","Package":"p","Test":"T","Output":"noise\n"}
{"Action":"pass","Package":"p","Test":"T"}
{"Action":"pass","Package":"p"}`, 1, 0, 0, 0, []string{"ok   p", "1 passed, 0 failed, 0 skipped"}},
		{"a skip shows its reason", `{"Action":"output","Package":"p","Test":"T","Output":"    x_test.go:3: espeak-ng is not installed\n"}
{"Action":"skip","Package":"p","Test":"T"}
{"Action":"pass","Package":"p"}`, 0, 0, 1, 0, []string{"--- SKIP p T", "espeak-ng is not installed", "0 passed, 0 failed, 1 skipped", "no test ran"}},
		{"a failure shows its output", `{"Action":"output","Package":"p","Test":"T","Output":"boom\n"}
{"Action":"fail","Package":"p","Test":"T"}
{"Action":"pass","Package":"p","Test":"U"}
{"Action":"fail","Package":"p"}`, 1, 1, 0, 1, []string{"--- FAIL p T", "    boom", "FAIL p", "1 passed, 2 failed, 0 skipped"}},
		{"a build failure", `{"ImportPath":"q","Action":"build-output","Output":"q.go:1: syntax error\n"}
{"Action":"output","Package":"q","Output":"FAIL\tq [build failed]\n"}
{"Action":"fail","Package":"q"}`, 0, 0, 0, 1, []string{"FAIL q", "[build failed]"}},
		{"plain text passes through", "go: unknown flag -x\n", 0, 0, 0, 0, []string{"go: unknown flag -x", "no test ran"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var out strings.Builder
			c, err := report(strings.NewReader(tc.in), &out)
			if err != nil {
				t.Fatal(err)
			}
			if c.passed != tc.passed || c.failed != tc.failed || c.skipped != tc.skipped || c.pkgFailed != tc.pkgFails {
				t.Errorf("counts %+v, want passed %d failed %d skipped %d pkg %d", c, tc.passed, tc.failed, tc.skipped, tc.pkgFails)
			}
			for _, w := range tc.want {
				if !strings.Contains(out.String(), w) {
					t.Errorf("report lacks %q:\n%s", w, out.String())
				}
			}
			if strings.Contains(tc.in, "noise") && strings.Contains(out.String(), "noise") {
				t.Errorf("a passing test's output is printed:\n%s", out.String())
			}
		})
	}
}
