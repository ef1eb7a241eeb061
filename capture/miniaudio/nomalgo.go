//go:build !cgo

package miniaudio

import (
	"errors"
	"log/slog"

	"github.com/verbatim-app/verbatim/capture"
)

// Without cgo there is no miniaudio: no device can be listed or opened.
func newDriver(capture.Backend, *slog.Logger) (capture.Driver, error) {
	return nil, errors.New("capture: built without cgo: no audio devices")
}
