//go:build !cgo

package capture

import (
	"errors"
	"log/slog"
)

// Without cgo there is no miniaudio: capture works only with a Config.Driver (tests, fakes).
func newMalgoDriver(Backend, *slog.Logger) (Driver, error) {
	return nil, errors.New("capture: built without cgo: no audio devices (set Config.Driver)")
}
