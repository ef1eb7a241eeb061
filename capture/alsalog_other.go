//go:build cgo && !linux

package capture

// quietALSA: there is no ALSA outside Linux.
func quietALSA() {}
