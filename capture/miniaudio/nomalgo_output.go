//go:build !cgo

package miniaudio

import (
	"errors"
	"log/slog"

	"github.com/verbatim-app/verbatim/capture"
)

// Without cgo there is no miniaudio: nothing can be played.
func newOutputDriver(capture.Backend, *slog.Logger) (capture.OutputDriver, error) {
	return nil, errors.New("capture: built without cgo: no audio output")
}
