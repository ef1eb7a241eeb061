package inference

import (
	"testing"

	"github.com/verbatim-app/verbatim/app/speech"
)

func TestArgmaxMargin(t *testing.T) {
	for _, c := range []struct {
		l      []float32
		best   int
		margin float32
	}{
		{[]float32{1, 3, 2}, 1, 1},
		{[]float32{5, 1, 2}, 0, 3},
		{[]float32{1, 2, 7}, 2, 5},
		{[]float32{2, 2, 1}, 0, 0},
		{[]float32{-1, -4}, 0, 3},
	} {
		best, margin := argmaxMargin(c.l)
		if best != c.best || margin != c.margin {
			t.Errorf("argmaxMargin(%v) = %d, %g; want %d, %g", c.l, best, margin, c.best, c.margin)
		}
		if best != speech.Greedy(c.l) {
			t.Errorf("argmaxMargin(%v) picks %d, greedy %d", c.l, best, speech.Greedy(c.l))
		}
	}
}
