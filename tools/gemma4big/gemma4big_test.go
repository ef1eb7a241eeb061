package main

import (
	"bytes"
	"fmt"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
	"testing"

	ggml "github.com/ollama/ollama/ml/backend/ggml"

	"github.com/verbatim-app/verbatim/inference/gguf"
	tg4 "github.com/verbatim-app/verbatim/inference/testmodel/gemma4"
)

// dequantQ4K is ggml's dequantize_row_q4_K (ggml-quants.c) with get_scale_min_k4, written out in Go.
func dequantQ4K(b []byte) []float32 {
	scaleMin := func(j int, q []byte) (uint8, uint8) {
		if j < 4 {
			return q[j] & 63, q[j+4] & 63
		}
		return q[j+4]&0xF | (q[j-4]>>6)<<4, q[j+4]>>4 | (q[j]>>6)<<4
	}
	var y []float32
	for i := 0; i+q4kBytes <= len(b); i += q4kBytes {
		x := b[i : i+q4kBytes]
		d := gguf.HalfToFloat(uint16(x[0]) | uint16(x[1])<<8)
		min := gguf.HalfToFloat(uint16(x[2]) | uint16(x[3])<<8)
		scales, q := x[4:16], x[16:]
		is := 0
		for j := 0; j < q4kValues; j += 64 {
			sc, m := scaleMin(is, scales)
			d1, m1 := d*float32(sc), min*float32(m)
			sc, m = scaleMin(is+1, scales)
			d2, m2 := d*float32(sc), min*float32(m)
			for l := range 32 {
				y = append(y, d1*float32(q[l]&0xF)-m1)
			}
			for l := range 32 {
				y = append(y, d2*float32(q[l]>>4)-m2)
			}
			q = q[32:]
			is += 2
		}
	}
	return y
}

// ggmlDequant is the linked ggml's own dequantize_row_q4_K (through ollama's ConvertToF32).
func ggmlDequant(b []byte) []float32 {
	return ggml.ConvertToF32(b, 12, uint64(len(b)/q4kBytes*q4kValues))
}

func TestQ4KBlockLayout(t *testing.T) {
	ramp := func(f func(i int) uint8) (q [q4kValues]uint8) {
		for i := range q {
			q[i] = f(i)
		}
		return q
	}
	for _, c := range []struct {
		name string
		b    q4kBlock
	}{
		{"zero", q4kBlock{}},
		{"ramp, one scale", q4kBlock{d: 0.01, dmin: 0.02, scale: [8]uint8{1, 1, 1, 1, 1, 1, 1, 1}, min: [8]uint8{1, 1, 1, 1, 1, 1, 1, 1},
			q: ramp(func(i int) uint8 { return uint8(i % 16) })}},
		// Scales and mins of sub-blocks 4..7 above 15 need the high bits packed into bytes 0..7.
		{"all scales distinct, high bits", q4kBlock{d: 0.001, dmin: 0.0005, scale: [8]uint8{3, 17, 33, 63, 16, 31, 47, 62},
			min: [8]uint8{63, 48, 32, 0, 17, 34, 51, 60}, q: ramp(func(i int) uint8 { return uint8((i*7 + i/32) % 16) })}},
		{"sub-block per nibble", q4kBlock{d: 0.5, dmin: 0.25, scale: [8]uint8{1, 2, 3, 4, 5, 6, 7, 8}, min: [8]uint8{8, 7, 6, 5, 4, 3, 2, 1},
			q: ramp(func(i int) uint8 { return uint8(i / 32 * 2) })}},
	} {
		t.Run(c.name, func(t *testing.T) {
			buf := make([]byte, q4kBytes)
			c.b.put(buf)
			ref, lib := dequantQ4K(buf), ggmlDequant(buf)
			d := gguf.HalfToFloat(gguf.FloatToHalf(c.b.d))
			dmin := gguf.HalfToFloat(gguf.FloatToHalf(c.b.dmin))
			for i := range q4kValues {
				j := i / 32 // sub-block
				want := d*float32(c.b.scale[j])*float32(c.b.q[i]) - dmin*float32(c.b.min[j])
				if ref[i] != want || lib[i] != want {
					t.Fatalf("value %d: Go reference %g, ggml %g, want %g", i, ref[i], lib[i], want)
				}
			}
		})
	}
}

func TestQ4KRandomRange(t *testing.T) {
	for _, in := range []int{256, 3840, 15360} {
		amp := float32(2 / math.Sqrt(float64(in)))
		b := make([]byte, 200*q4kBytes)
		q4kRandom(rand.New(rand.NewPCG(1, uint64(in))), b, amp)
		ref, lib := dequantQ4K(b), ggmlDequant(b)
		var sum, sq float64
		for i, v := range ref {
			if v != lib[i] {
				t.Fatalf("in=%d value %d: Go reference %g, ggml %g", in, i, v, lib[i])
			}
			if math.Abs(float64(v)) > 1.01*float64(amp) {
				t.Fatalf("in=%d value %d = %g is outside ±%g", in, i, v, amp)
			}
			sum += float64(v)
			sq += float64(v) * float64(v)
		}
		n := float64(len(ref))
		mean, std := sum/n, math.Sqrt(sq/n-(sum/n)*(sum/n))
		want := 1 / math.Sqrt(float64(in)) // std ≈ amp/2
		if math.Abs(mean) > 0.05*want || std < 0.8*want || std > 1.2*want {
			t.Errorf("in=%d: mean %g, std %g; want mean ≈ 0 and std ≈ %g", in, mean, std, want)
		}
	}
}

func TestSmallFilesPassChecks(t *testing.T) {
	dir := t.TempDir()
	s := Small()
	f := filesIn(dir, "m")
	var log bytes.Buffer
	if err := Write(s, f, &log); err != nil {
		t.Fatal(err)
	}
	mf, mi, err := gguf.Check(f.Model)
	if err != nil {
		t.Fatal(err)
	}
	if mi.Kind != gguf.KindText || mi.Architecture != "gemma4" || mi.Quantization != "Q4_K" || mi.VocabSize != s.Vocab ||
		mi.EmbeddingLen != uint64(s.Embd) || mi.BlockCount != uint64(s.Layers) {
		t.Errorf("model info %+v", mi)
	}
	_, pi, err := gguf.Check(f.Projector)
	if err != nil {
		t.Fatal(err)
	}
	if pi.Kind != gguf.KindProjector || pi.ProjectorType != gguf.ProjectorGemma4UA || pi.ProjectionDim != uint64(s.Embd) {
		t.Errorf("projector info %+v", pi)
	}
	if err := gguf.CheckPair(mf, mi, pi); err != nil {
		t.Error(err)
	}
	hf, _, err := gguf.CheckMTPHead(f.Head, mf, uint64(s.Embd))
	if err != nil {
		t.Fatal(err)
	}
	// Global layers use K as V; sliding layers have their own V.
	for l := range s.Layers {
		_, hasV := mf.Tensor(blk(l, "attn_v"))
		if hasV != s.local(l) {
			t.Errorf("layer %d: attn_v present %v, sliding %v", l, hasV, s.local(l))
		}
	}
	if _, ok := mf.Tensor("output.weight"); ok {
		t.Error("output.weight written; the 12B ties its output to token_embd")
	}
	// Data lies where the infos say: layers of a kind share bytes, values are in range, the head's
	// embedding copy (a hole) reads as zeros and its weights as written.
	raw := func(file *gguf.File, name string) []byte {
		ti, ok := file.Tensor(name)
		if !ok {
			t.Fatalf("%s: tensor %s missing", file.Path, name)
		}
		b, err := os.ReadFile(file.Path)
		if err != nil {
			t.Fatal(err)
		}
		return b[file.DataOffset+int64(ti.Offset):][:ti.Size]
	}
	q0, q1, q2 := raw(mf, blk(0, "attn_q")), raw(mf, blk(1, "attn_q")), raw(mf, blk(2, "attn_q"))
	if !bytes.Equal(q0, q1) || bytes.Equal(q0, raw(mf, blk(0, "attn_k"))) {
		t.Error("sliding layers should share their attn_q bytes, and attn_q differ from attn_k")
	}
	if s.local(2) || len(q2) != 2*len(q0) {
		t.Errorf("layer 2 should be global with an attn_q twice as wide (head dim %d vs %d)", s.HeadDimGlobal, s.HeadDimSWA)
	}
	amp := 2 / math.Sqrt(float64(s.Embd))
	for _, v := range ggmlDequant(raw(mf, blk(5, "ffn_up"))) {
		if math.Abs(float64(v)) > 1.01*amp {
			t.Fatalf("ffn_up value %g outside ±%g", v, amp)
		}
	}
	emb := ggmlDequant(raw(mf, "token_embd.weight"))
	for tok, zero := range map[int]bool{tg4.EOS: true, tg4.TurnEnd: true, firstFiller: false} {
		row := emb[tok*s.Embd : (tok+1)*s.Embd]
		var n float64
		for _, v := range row {
			n += float64(v * v)
		}
		if (n == 0) != zero {
			t.Errorf("token_embd row %d: |row|² = %g, want zero %v", tok, n, zero)
		}
	}
	if b := raw(hf, "token_embd.weight"); bytes.Count(b, []byte{0}) != len(b) {
		t.Error("the head's token_embd copy is not zeros")
	}
	fh, err := os.Open(f.Head)
	if err != nil {
		t.Fatal(err)
	}
	defer fh.Close()
	norm, err := hf.ReadTensorF32(fh, "mtp.output_norm.weight")
	if err != nil || len(norm) != s.Embd || norm[0] != 1 || norm[s.Embd-1] != 1 {
		t.Errorf("mtp.output_norm.weight: %v, %v", err, norm[:min(len(norm), 4)])
	}
	if !strings.Contains(log.String(), filepath.Base(f.Head)) {
		t.Errorf("no report of the head file in %q", log.String())
	}
}

func TestValidateRefusesPartialBlocks(t *testing.T) {
	for _, c := range []struct {
		name string
		edit func(*Shape)
		want string
	}{
		{"width", func(s *Shape) { s.Embd = 300 }, "--embd"},
		{"ffn", func(s *Shape) { s.FF = 1000 }, "--ff"},
		{"heads", func(s *Shape) { s.Heads = 3 }, "--heads"},
		{"kv heads", func(s *Shape) { s.KVHeadsSWA = 3 }, "KV heads"},
		{"vocab", func(s *Shape) { s.Vocab = 100 }, "--vocab"},
	} {
		s := Small()
		c.edit(&s)
		if err := s.validate(); err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: %v, want an error naming %s", c.name, err, c.want)
		}
	}
	for _, s := range []Shape{Small(), Unified12B()} {
		if err := s.validate(); err != nil {
			t.Error(err)
		}
	}
}

func blk(l int, name string) string { return fmt.Sprintf("blk.%d.%s.weight", l, name) }
