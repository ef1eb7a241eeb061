package ui

import (
	"errors"
	"log/slog"
	"strings"
	"syscall"

	"github.com/verbatim-app/verbatim/app/desktop"
)

// errorKind is a failure people meet, known by its error, and the message (a locale key) that tells
// them in their language what happened and what to do.
type errorKind struct {
	key string
	is  func(error) bool
}

// errorKinds is the one table of known failures, the first match wins. Where the sentinel error lives in
// a package the window may not import (capture, inference), its words are matched instead.
func errorKinds() []errorKind {
	says := func(words ...string) func(error) bool {
		return func(err error) bool {
			s := strings.ToLower(err.Error())
			for _, w := range words {
				if strings.Contains(s, w) {
					return true
				}
			}
			return false
		}
	}
	return []errorKind{
		{"ErrorDiskFull", func(err error) bool { return errors.Is(err, syscall.ENOSPC) || says("no space left")(err) }},
		{"ErrorNoModel", func(err error) bool { return errors.Is(err, desktop.ErrNoModel) }},
		{"AudioGone", func(err error) bool { return errors.Is(err, desktop.ErrAudioGone) }},
		{"ErrorBadModel", says("bad magic", "invalid gguf", "not a gguf")},
		// inference/gguf/mtmd.go's refusal of a stacking projector.
		{"ErrorProjectorUnsupported", says("verbatim cannot run it")},
		{"ErrorCannotTranslate", says("this model cannot translate", "cannot translate into")},
		{"ErrorUnsupportedAudio", says("unsupported format", "not wav, mp3 or flac")},
		{"ErrorNoMicrophone", func(err error) bool {
			// capture's ErrNoDevice, or its ErrDeviceLost (and not the speakers' ErrOutputLost).
			return says("no such input device", "no input device")(err) ||
				says("device stopped or disappeared")(err) && !says("output device")(err)
		}},
	}
}

// errorText is err as the window shows it: a known failure in the interface language, saying what to
// do; any other as it is. Where an error first reaches the window it is logged whole (logError), so
// the technical detail a translated message leaves out is in the log.
func (m *mainWindow) errorText(err error) string {
	if err == nil {
		return ""
	}
	for _, k := range errorKinds() {
		if k.is(err) {
			return m.tr.T(k.key)
		}
	}
	return err.Error()
}

// logError keeps err's technical detail in the log, under what failed, and returns errorText(err).
func (m *mainWindow) logError(what string, err error) string {
	slog.Warn("ui: "+what, "err", err)
	return m.errorText(err)
}
