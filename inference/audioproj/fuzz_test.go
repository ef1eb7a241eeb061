package audioproj

import (
	"encoding/binary"
	"math"
	"slices"
	"testing"

	"github.com/verbatim-app/verbatim/tools/testenv"
)

// FuzzProjectors feeds the shipped projectors (raw-frame and log-mel) any finite audio in any chunking:
// ceil(N/640) embeddings, all finite, and the same numbers as one Push of the whole input.
func FuzzProjectors(f *testing.F) {
	var projs []Projector
	for _, name := range []string{"demo-raw.mmproj.gguf", "demo-logmel.mmproj.gguf"} {
		p, err := Load(testenv.Asset(f, name))
		if err != nil {
			f.Fatal(err)
		}
		projs = append(projs, p)
	}
	loud := make([]byte, 4*700)
	for i := 0; i < len(loud); i += 4 {
		binary.LittleEndian.PutUint32(loud[i:], math.Float32bits(float32(1e30*float64(1-(i/4)%3))))
	}
	f.Add([]byte{}, uint16(1))
	f.Add(make([]byte, 4*641), uint16(640))
	f.Add(loud, uint16(97))
	f.Fuzz(func(t *testing.T, raw []byte, chunk uint16) {
		n := min(len(raw)/4, 1300) // three embeddings: longer audio repeats the same steps, and log-mel is slow
		x := make([]float32, n)
		for i := range x {
			v := math.Float32frombits(binary.LittleEndian.Uint32(raw[4*i:]))
			if math.IsNaN(float64(v)) || math.IsInf(float64(v), 0) {
				v = 0 // the contract is about finite input
			}
			x[i] = v
		}
		step := max(int(chunk), 1)
		for _, p := range projs {
			whole := p.NewStream()
			want := append(whole.Push(x), whole.Flush()...)
			s := p.NewStream()
			var got [][]float32
			for i := 0; i < len(x); i += step {
				got = append(got, s.Push(x[i:min(i+step, len(x))])...)
			}
			got = append(got, s.Flush()...)
			if wantN := (n + FrameSamples - 1) / FrameSamples; len(got) != wantN || len(want) != wantN {
				t.Fatalf("%s: %d samples gave %d embeddings in chunks of %d, %d at once; want %d", p.Type(), n, len(got), step, len(want), wantN)
			}
			for i := range got {
				if !slices.Equal(got[i], want[i]) {
					t.Fatalf("%s: embedding %d differs between chunks of %d and one push", p.Type(), i, step)
				}
				for j, v := range got[i] {
					if math.IsNaN(float64(v)) || math.IsInf(float64(v), 0) {
						t.Fatalf("%s: embedding %d[%d] = %v from finite input", p.Type(), i, j, v)
					}
				}
			}
		}
	})
}
