module github.com/verbatim-app/verbatim

go 1.26.8

require (
	fyne.io/fyne/v2 v2.7.1
	github.com/gen2brain/malgo v0.11.24
	github.com/hajimehoshi/go-mp3 v0.3.4
	github.com/mewkiz/flac v1.0.14
	github.com/nicksnyder/go-i18n/v2 v2.7.0
	github.com/ollama/ollama v0.24.0
	golang.org/x/term v0.48.0
)

require (
	github.com/icza/bitio v1.1.0 // indirect
	github.com/mewkiz/pkg v0.0.0-20250417130911-3f050ff8c56d // indirect
	github.com/mewpkg/term v0.0.0-20241026122259-37a80af23985 // indirect
	golang.org/x/sys v0.50.0 // indirect
	golang.org/x/text v0.43.0 // indirect
)
