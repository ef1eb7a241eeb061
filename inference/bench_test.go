package inference

import (
	"context"
	"strings"
	"testing"

	"github.com/verbatim-app/verbatim/inference/testmodel"
)

// BenchmarkGreedyDecode is the Go decode loop of tools/bench (make bench) on its synthetic model, for profiling.
func BenchmarkGreedyDecode(b *testing.B) {
	spec := testmodel.DefaultSpec()
	spec.Embd, spec.Layers, spec.FF, spec.Ctx = 256, 4, 768, 1024
	model, _, err := testmodel.New(spec).Files(b.TempDir())
	if err != nil {
		b.Fatal(err)
	}
	e, err := Load(context.Background(), Config{ModelPath: model, ContextSize: 1024})
	if err != nil {
		b.Fatal(err)
	}
	defer e.Close()
	prompt := strings.Repeat(" please bring the red box to the kitchen at five", 20)
	b.ResetTimer()
	var gen float64
	for i := 0; i < b.N; i++ {
		res, err := e.Generate(context.Background(), prompt, true, Options{MaxTokens: 128, IgnoreEOG: true}, nil)
		if err != nil {
			b.Fatal(err)
		}
		gen += res.GenTime.Seconds()
	}
	b.ReportMetric(128*float64(b.N)/gen, "tokens/s")
}
