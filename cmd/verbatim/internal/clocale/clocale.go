// Package clocale gives Fyne a real locale when the process runs under the POSIX "C" locale (CI, cron,
// minimal containers). Fyne parses the locale while its packages initialise and logs an error for "C";
// this package has no dependencies beyond the standard library, so Go initialises it first.
package clocale

import (
	"os"
	"strings"
)

func init() {
	for _, k := range []string{"LC_ALL", "LC_MESSAGES", "LANG"} {
		v := os.Getenv(k)
		if v == "" {
			continue
		}
		if base := strings.SplitN(v, ".", 2)[0]; base != "C" && base != "POSIX" {
			return // a real locale decides
		}
		_ = os.Unsetenv(k)
	}
	_ = os.Setenv("LANG", "en_US.UTF-8")
}
