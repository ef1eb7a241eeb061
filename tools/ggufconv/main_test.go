package main

import (
	"encoding/binary"
	"encoding/json"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/verbatim-app/verbatim/inference/gguf"
)

func writeBlob(t *testing.T, path string, v []float32) {
	t.Helper()
	b := make([]byte, 4*len(v))
	for i, x := range v {
		binary.LittleEndian.PutUint32(b[4*i:], math.Float32bits(x))
	}
	if err := os.WriteFile(path, b, 0o644); err != nil {
		t.Fatal(err)
	}
}

func raw(v any) json.RawMessage {
	b, _ := json.Marshal(v)
	return b
}

func TestConvertProjector(t *testing.T) {
	dir := t.TempDir()
	w := make([]float32, 640*4)
	for i := range w {
		w[i] = float32(i) / 100
	}
	writeBlob(t, filepath.Join(dir, "w.bin"), w)
	m := Manifest{Files: []File{{
		Path: "p.mmproj.gguf",
		KV: []KV{
			{"general.architecture", "string", raw("clip")},
			{"clip.has_audio_encoder", "bool", raw(true)},
			{"clip.projector_type", "string", raw("gemma4ua")},
			{"clip.audio.projection_dim", "uint32", raw(4)},
			{"clip.audio.num_mel_bins", "uint32", raw(640)},
			{"verbatim.eps", "float32", raw(1e-6)},
			{"verbatim.tasks", "strings", raw([]string{"a", "b"})},
			{"verbatim.ids", "int32s", raw([]int32{1, -2})},
			{"verbatim.pattern", "bools", raw([]bool{true, false})},
		},
		Tensors: []Tensor{{Name: "mm.a.input_projection.weight", Shape: []uint64{640, 4}, DType: "f32", File: "w.bin"},
			{Name: "q8", Shape: []uint64{640, 4}, DType: "q8_0", File: "w.bin"}},
	}}}
	b, _ := json.Marshal(m)
	mp := filepath.Join(dir, "manifest.json")
	if err := os.WriteFile(mp, b, 0o644); err != nil {
		t.Fatal(err)
	}
	out := filepath.Join(dir, "out")
	if err := run(mp, out); err != nil {
		t.Fatal(err)
	}
	f, info, err := gguf.Check(filepath.Join(out, "p.mmproj.gguf"))
	if err != nil {
		t.Fatal(err)
	}
	if info.ProjectorType != "gemma4ua" || info.ProjectionDim != 4 {
		t.Fatalf("info %+v", info)
	}
	if got := f.Strings("verbatim.tasks"); strings.Join(got, ",") != "a,b" {
		t.Fatalf("tasks %q", got)
	}
	fh, err := os.Open(filepath.Join(out, "p.mmproj.gguf"))
	if err != nil {
		t.Fatal(err)
	}
	defer fh.Close()
	got, err := f.ReadTensorF32(fh, "mm.a.input_projection.weight")
	if err != nil {
		t.Fatal(err)
	}
	for i := range w {
		if got[i] != w[i] {
			t.Fatalf("value %d: %v != %v", i, got[i], w[i])
		}
	}
	if p, _ := f.Get("verbatim.pattern"); fmt.Sprint(p) != "[true false]" {
		t.Fatalf("pattern %v", p)
	}
	if q, ok := f.Tensor("q8"); !ok || q.Type != gguf.TypeQ8_0 {
		t.Fatalf("q8 tensor %+v", q)
	}
	q, err := f.ReadTensorF32(fh, "q8")
	if err != nil {
		t.Fatal(err)
	}
	for i := range w { // Q8_0: each block of 32 keeps its largest value /127 as the step
		if d := math.Abs(float64(q[i] - w[i])); d > 25.6/127 {
			t.Fatalf("q8 value %d: %v, want %v within a step", i, q[i], w[i])
		}
	}
}

func TestConvertErrors(t *testing.T) {
	dir := t.TempDir()
	writeBlob(t, filepath.Join(dir, "w.bin"), make([]float32, 10))
	cases := []struct {
		name string
		file File
		want string
	}{
		{"bad type", File{Path: "a.gguf", KV: []KV{{"k", "uint128", raw(1)}}}, "unknown type"},
		{"shape mismatch", File{Path: "a.gguf", Tensors: []Tensor{{Name: "x", Shape: []uint64{3, 3}, File: "w.bin"}}}, "holds 9 values"},
		{"missing blob", File{Path: "a.gguf", Tensors: []Tensor{{Name: "x", Shape: []uint64{10}, File: "nope.bin"}}}, "nope.bin"},
		{"q8_0 row not whole blocks", File{Path: "a.gguf", Tensors: []Tensor{{Name: "x", Shape: []uint64{10}, DType: "q8_0", File: "w.bin"}}}, "multiple of 32"},
		{"bad dtype", File{Path: "a.gguf", Tensors: []Tensor{{Name: "x", Shape: []uint64{10}, DType: "q4", File: "w.bin"}}}, "unknown dtype"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			b, _ := json.Marshal(Manifest{Files: []File{c.file}})
			mp := filepath.Join(dir, "m.json")
			if err := os.WriteFile(mp, b, 0o644); err != nil {
				t.Fatal(err)
			}
			err := run(mp, filepath.Join(dir, "out"))
			if err == nil || !strings.Contains(err.Error(), c.want) {
				t.Fatalf("err = %v, want %q", err, c.want)
			}
		})
	}
}
