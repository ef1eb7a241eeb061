// Command verbatim opens Verbatim's window, or runs a subcommand headless (see 'verbatim help').
package main

import (
	"os"

	"github.com/verbatim-app/verbatim/app/cli"
	_ "github.com/verbatim-app/verbatim/cmd/verbatim/internal/clocale" // before Fyne reads the locale
)

func main() {
	if args := os.Args[1:]; cli.IsCommand(args) {
		os.Exit(cli.Main(args))
	}
	os.Exit(runWindow())
}
