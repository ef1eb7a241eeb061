// Command projcheck compares Verbatim's Go audio projectors (inference/audioproj) with the embeddings
// PyTorch computed for the clips in assets/models/fixture.json.
//
//	go run ./tools/demomodel/projcheck -dir assets/models
package main

import (
	"encoding/json"
	"flag"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"sort"

	"github.com/verbatim-app/verbatim/inference/audioproj"
)

type fixture struct {
	Clips []struct {
		Name        string  `json:"name"`
		Samples     []int16 `json:"samples"`
		Projections map[string]struct {
			NTokens int         `json:"n_tokens"`
			First3  [][]float64 `json:"first3"`
		} `json:"projections"`
	} `json:"clips"`
}

func main() {
	dir := flag.String("dir", "assets/models", "folder with fixture.json and the projectors")
	tol := flag.Float64("tol", 1e-4, "largest allowed absolute difference")
	flag.Parse()
	b, err := os.ReadFile(filepath.Join(*dir, "fixture.json"))
	if err != nil {
		fail(err)
	}
	var fx fixture
	if err := json.Unmarshal(b, &fx); err != nil {
		fail(err)
	}
	bad := false
	for _, c := range fx.Clips {
		x := make([]float32, len(c.Samples))
		for i, s := range c.Samples {
			x[i] = float32(s) / 32768
		}
		names := make([]string, 0, len(c.Projections))
		for n := range c.Projections {
			names = append(names, n)
		}
		sort.Strings(names)
		for _, name := range names {
			want := c.Projections[name]
			p, err := audioproj.Load(filepath.Join(*dir, name))
			if err != nil {
				fail(err)
			}
			st := p.NewStream()
			got := st.Push(x)
			got = append(got, st.Flush()...)
			maxd := 0.0
			for i, row := range want.First3 {
				for j, v := range row {
					maxd = math.Max(maxd, math.Abs(v-float64(got[i][j])))
				}
			}
			ok := maxd <= *tol && len(got) == want.NTokens
			bad = bad || !ok
			fmt.Printf("%-5s %-26s tokens %d/%d max |diff| %.3g ok %v\n", c.Name, name, len(got), want.NTokens, maxd, ok)
		}
	}
	if bad {
		os.Exit(1)
	}
}

func fail(err error) {
	fmt.Fprintln(os.Stderr, "projcheck:", err)
	os.Exit(1)
}
