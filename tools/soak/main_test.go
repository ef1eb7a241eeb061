package main

import (
	"testing"
)

// A short soak of each kind: the pipeline hears every utterance it is fed and reports no error, and the
// tool's own checks pass. (make bench runs the long one; memory is not judged over 12 minutes.)
func TestShortSoak(t *testing.T) {
	for _, system := range []bool{false, true} {
		if err := run(0.2, 0, 1000, t.TempDir(), system, ""); err != nil {
			t.Errorf("system audio %v: %v", system, err)
		}
	}
}
