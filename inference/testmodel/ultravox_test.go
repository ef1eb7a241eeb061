package testmodel

import (
	"math"
	"path/filepath"
	"testing"

	"github.com/verbatim-app/verbatim/inference/gguf"
)

// The synthetic projectors are files Verbatim's own checks take for what they claim to be.
func TestUltravoxFileChecks(t *testing.T) {
	for _, c := range []struct {
		typ     string
		tensors map[string]gguf.TensorType
	}{
		{"ultravox", map[string]gguf.TensorType{"a.conv1d.1.weight": gguf.TypeF16, "a.blk.1.attn_q.bias": gguf.TypeF32, "mm.a.mlp.2.weight": gguf.TypeF32}},
		{"qwen2a", map[string]gguf.TensorType{"a.conv1d.2.weight": gguf.TypeF16, "a.post_ln.bias": gguf.TypeF32, "mm.a.fc.bias": gguf.TypeF32}},
	} {
		t.Run(c.typ, func(t *testing.T) {
			spec := DefaultUltravoxSpec(64)
			spec.Type = c.typ
			path := filepath.Join(t.TempDir(), c.typ+".mmproj.gguf")
			if err := NewUltravox(spec).Write(path); err != nil {
				t.Fatal(err)
			}
			f, info, err := gguf.Check(path)
			if err != nil {
				t.Fatal(err)
			}
			if info.Kind != gguf.KindProjector || info.ProjectorType != c.typ || !info.HasAudio || info.ProjectionDim != 64 {
				t.Fatalf("checked as %+v", info)
			}
			for name, typ := range c.tensors {
				if ti, ok := f.Tensor(name); !ok || ti.Type != typ {
					t.Errorf("tensor %s: %+v (present %v), want type %s", name, ti, ok, typ)
				}
			}
		})
	}
}

func TestWhisperLogMel(t *testing.T) {
	const nMel = 128
	tone := make([]float32, whisperRate)
	for i := range tone {
		tone[i] = float32(0.5 * math.Sin(2*math.Pi*1000*float64(i)/whisperRate))
	}
	cases := []struct {
		name   string
		in     []float32
		chunks int
		check  func(t *testing.T, c []float32)
	}{
		{"silence is the floor everywhere", make([]float32, whisperRate), 1, func(t *testing.T, c []float32) {
			for i, v := range c {
				if v != -1.5 { // (log10(1e-10) + 4) / 4
					t.Fatalf("value %d = %g, want -1.5", i, v)
				}
			}
		}},
		{"a 1 kHz tone peaks in the band around 1 kHz", tone, 1, func(t *testing.T, c []float32) {
			filters := melFilters(nMel, whisperNFFT, whisperRate)
			bins := whisperNFFT/2 + 1
			want := 0 // the filter weighing the 1 kHz bin (k = 25) most
			for m := 0; m < nMel; m++ {
				if filters[m*bins+25] > filters[want*bins+25] {
					want = m
				}
			}
			frame, best := 50, 0 // mid-tone
			for m := 0; m < nMel; m++ {
				if c[m*whisperFrames+frame] > c[best*whisperFrames+frame] {
					best = m
				}
			}
			if best != want {
				t.Fatalf("loudest mel band %d, want %d", best, want)
			}
			top := float32(math.Inf(-1))
			for _, v := range c {
				top = max(top, v)
			}
			// 2 s in, past the tone: the floor, 8 (in log10 of power) below the loudest value, scaled by 1/4.
			if after := c[best*whisperFrames+200]; math.Abs(float64(after-(top-2))) > 1e-6 {
				t.Fatalf("after the tone the band is %g; want the floor %g", after, top-2)
			}
		}},
		{"nothing for no samples", nil, 0, nil},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			chunks := WhisperLogMel(c.in, nMel)
			if len(chunks) != c.chunks {
				t.Fatalf("%d chunks, want %d", len(chunks), c.chunks)
			}
			for _, ch := range chunks {
				if len(ch) != nMel*whisperFrames {
					t.Fatalf("chunk of %d values, want %d", len(ch), nMel*whisperFrames)
				}
			}
			if c.check != nil {
				c.check(t, chunks[0])
			}
		})
	}
}
