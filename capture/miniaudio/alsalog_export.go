//go:build cgo && linux

package miniaudio

import "C"

import "log/slog"

// verbatimALSALog receives one libasound message. libasound has a single, process-wide handler, so the
// message goes to the default logger rather than to a stream's.
//
//export verbatimALSALog
func verbatimALSALog(msg *C.char, err C.int) {
	slog.Debug("alsa", "msg", C.GoString(msg), "errno", int(err))
}
