package pcm

import (
	"testing"
	"time"
)

func TestDurationAndSamples(t *testing.T) {
	for _, tc := range []struct {
		n int64
		d time.Duration
	}{
		{0, 0}, {1, 62500}, {Rate, time.Second}, {Rate / 50, 20 * time.Millisecond}, {8 * 3600 * Rate, 8 * time.Hour},
	} {
		if got := Duration(tc.n); got != tc.d {
			t.Errorf("Duration(%d) = %v, want %v", tc.n, got, tc.d)
		}
		if got := Samples(tc.d); int64(got) != tc.n {
			t.Errorf("Samples(%v) = %d, want %d", tc.d, got, tc.n)
		}
	}
	if got := Samples(62499); got != 0 {
		t.Errorf("Samples rounds up: %d", got)
	}
}
