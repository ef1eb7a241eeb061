package testenv

import (
	"bufio"
	"fmt"
	"os"
	"testing"

	"github.com/verbatim-app/verbatim/capture/pcm"
)

// WriteWAV writes samples as a 16 kHz 16-bit mono WAV at path, failing the test if it cannot.
func WriteWAV(tb testing.TB, path string, samples []float32) {
	tb.Helper()
	f, err := os.Create(path)
	if err != nil {
		tb.Fatal(err)
	}
	if err := pcm.EncodeWAV(f, samples, pcm.Rate); err != nil {
		f.Close()
		tb.Fatal(err)
	}
	if err := f.Close(); err != nil {
		tb.Fatal(err)
	}
}

// WriteLoopWAV writes n samples of pattern, repeated, at rate as a 16-bit mono WAV, a block at a time
// (hours of audio without holding them).
func WriteLoopWAV(path string, n int64, pattern []float32, rate int) error {
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	w := bufio.NewWriterSize(f, 1<<20)
	pos := 0
	err = pcm.WriteWAV(w, n, rate, func(block []float32) {
		for i := range block {
			block[i] = pattern[pos]
			pos = (pos + 1) % len(pattern)
		}
	})
	if err == nil {
		err = w.Flush()
	}
	if err != nil {
		f.Close()
		return fmt.Errorf("%s: %w", path, err)
	}
	return f.Close()
}
