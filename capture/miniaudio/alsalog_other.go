//go:build cgo && !linux

package miniaudio

// quietALSA: there is no ALSA outside Linux.
func quietALSA() {}
