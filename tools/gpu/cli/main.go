// Command cli is bin/verbatim's command line without the window, for machines that have no display
// libraries (the GPU check runs it on a lent GPU server).
package main

import (
	"os"

	"github.com/verbatim-app/verbatim/app/cli"
	"github.com/verbatim-app/verbatim/capture/miniaudio"
	"github.com/verbatim-app/verbatim/inference"
)

func main() { os.Exit(cli.Main(os.Args[1:], inference.Engines(), miniaudio.New(nil))) }
