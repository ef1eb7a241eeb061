package inference

import (
	"context"
	"testing"

	"github.com/verbatim-app/verbatim/inference/testmodel"
)

// Greedy steps run in C in chunks; where a chunk ends (mid-text, at MaxTokens, at the end of the text)
// must not change a token.
func TestGreedyChunksDoNotChangeOutput(t *testing.T) {
	f := newFixture(t, testmodel.DefaultSpec())
	e := load(t, f, false)
	ctx := context.Background()
	prompt := " please bring the red box to the kitchen"
	setLimit := func(n int) {
		e.do(ctx, func(c *core) error {
			c.greedy.limit, c.greedy.chunk = n, 1
			return nil
		})
	}
	for _, opt := range []Options{{MaxTokens: 37}, {MaxTokens: 50, IgnoreEOG: true}, {MaxTokens: 1}} {
		var want Result
		for i, limit := range []int{1, 2, 5, maxGreedyChunk} {
			setLimit(limit)
			got, err := e.Generate(ctx, prompt, true, opt, nil)
			if err != nil {
				t.Fatal(err)
			}
			if i == 0 {
				want = got
				if len(want.Tokens) == 0 {
					t.Fatalf("%+v: no tokens", opt)
				}
				continue
			}
			if got.Text != want.Text || len(got.Tokens) != len(want.Tokens) || got.Truncated != want.Truncated {
				t.Errorf("%+v, chunks of up to %d: %q (%d tokens, truncated %v), one at a time: %q (%d, %v)",
					opt, limit, got.Text, len(got.Tokens), got.Truncated, want.Text, len(want.Tokens), want.Truncated)
			}
		}
	}
	// The context filling up mid-chunk is the same error as one token at a time.
	for _, limit := range []int{1, maxGreedyChunk} {
		setLimit(limit)
		_, err := e.Generate(ctx, prompt, true, Options{MaxTokens: 2000, IgnoreEOG: true}, nil)
		if err != ErrContextFull {
			t.Errorf("chunks of up to %d: %v, want ErrContextFull", limit, err)
		}
	}
}
