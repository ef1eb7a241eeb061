// Command verbatim opens Verbatim's window, or runs a subcommand headless (see 'verbatim help'). It is
// where the engines (package inference), the microphone and the speakers (capture/miniaudio) meet the
// app: nothing under app/ links llama.cpp or miniaudio.
package main

import (
	"os"

	"github.com/verbatim-app/verbatim/app/cli"
	"github.com/verbatim-app/verbatim/capture"
	"github.com/verbatim-app/verbatim/capture/miniaudio"
	_ "github.com/verbatim-app/verbatim/cmd/verbatim/internal/clocale" // before Fyne reads the locale
	"github.com/verbatim-app/verbatim/inference"
)

func main() {
	engines, mic := inference.Engines(), miniaudio.New(nil)
	if args := os.Args[1:]; cli.IsCommand(args) {
		os.Exit(cli.Main(args, engines, mic))
	}
	os.Exit(runWindow(engines, mic, miniaudio.NewSpeakers(capture.BackendAuto, nil)))
}
