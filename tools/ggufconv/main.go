// Command ggufconv turns the demo-model exporter's output (tools/demomodel/export.py: a manifest.json
// plus raw little-endian float32 blobs) into GGUF files, using Verbatim's own GGUF writer.
//
//	ggufconv -manifest tools/demomodel/work/export/manifest.json -out assets/models
//
// Each manifest file entry has a path, typed metadata (kv: string, uint32, int32, float32, bool, strings,
// int32s) and tensors (name, shape in ggml order with ne0 first, dtype f32 or f16, blob file name relative
// to the manifest). Every file written is re-read and checked with gguf.Check.
package main

import (
	"encoding/binary"
	"encoding/json"
	"flag"
	"fmt"
	"math"
	"os"
	"path/filepath"

	"github.com/verbatim-app/verbatim/inference/gguf"
)

// Manifest is what export.py writes.
type Manifest struct {
	Files []File `json:"files"`
}

// File is one GGUF file to write.
type File struct {
	Path    string   `json:"path"`
	KV      []KV     `json:"kv"`
	Tensors []Tensor `json:"tensors"`
}

// KV is one metadata entry.
type KV struct {
	Key   string          `json:"key"`
	Type  string          `json:"type"`
	Value json.RawMessage `json:"value"`
}

// Tensor is one tensor, stored as float32 little-endian in File.
type Tensor struct {
	Name  string   `json:"name"`
	Shape []uint64 `json:"shape"`
	DType string   `json:"dtype"`
	File  string   `json:"file"`
}

func main() {
	manifest := flag.String("manifest", "tools/demomodel/work/export/manifest.json", "exporter manifest")
	out := flag.String("out", "assets/models", "output directory")
	flag.Parse()
	if err := run(*manifest, *out); err != nil {
		fmt.Fprintln(os.Stderr, "ggufconv:", err)
		os.Exit(1)
	}
}

func run(manifestPath, outDir string) error {
	b, err := os.ReadFile(manifestPath)
	if err != nil {
		return err
	}
	var m Manifest
	if err := json.Unmarshal(b, &m); err != nil {
		return fmt.Errorf("%s: %w", manifestPath, err)
	}
	if len(m.Files) == 0 {
		return fmt.Errorf("%s lists no files", manifestPath)
	}
	if err := os.MkdirAll(outDir, 0o755); err != nil {
		return err
	}
	base := filepath.Dir(manifestPath)
	for _, f := range m.Files {
		path := filepath.Join(outDir, f.Path)
		if err := convert(base, f, path); err != nil {
			return fmt.Errorf("%s: %w", f.Path, err)
		}
		if err := os.Chmod(path, 0o644); err != nil {
			return err
		}
		_, info, err := gguf.Check(path)
		if err != nil {
			return fmt.Errorf("written file fails validation: %w", err)
		}
		st, _ := os.Stat(path)
		fmt.Printf("%s: %s %s, %d tensors, %d parameters, %d bytes\n", path, info.Architecture,
			info.ProjectorType, len(f.Tensors), info.Parameters, st.Size())
	}
	return nil
}

func convert(base string, f File, path string) error {
	w := gguf.NewWriter()
	for _, kv := range f.KV {
		if err := setKV(w, kv); err != nil {
			return fmt.Errorf("metadata %s: %w", kv.Key, err)
		}
	}
	for _, t := range f.Tensors {
		data, err := readF32(filepath.Join(base, t.File))
		if err != nil {
			return fmt.Errorf("tensor %s: %w", t.Name, err)
		}
		n := uint64(1)
		for _, d := range t.Shape {
			n *= d
		}
		if n != uint64(len(data)) {
			return fmt.Errorf("tensor %s: shape %v holds %d values, blob has %d", t.Name, t.Shape, n, len(data))
		}
		switch t.DType {
		case "f32", "":
			w.AddTensorF32(t.Name, t.Shape, data)
		case "f16":
			w.AddTensorF16(t.Name, t.Shape, data)
		case "q8_0":
			if t.Shape[0]%gguf.Q8Block != 0 {
				return fmt.Errorf("tensor %s: q8_0 needs rows of a multiple of %d values, not %d", t.Name, gguf.Q8Block, t.Shape[0])
			}
			w.AddTensorQ8_0(t.Name, t.Shape, data)
		default:
			return fmt.Errorf("tensor %s: unknown dtype %q", t.Name, t.DType)
		}
	}
	return w.WriteFile(path)
}

func setKV(w *gguf.Writer, kv KV) error {
	switch kv.Type {
	case "string":
		var v string
		if err := json.Unmarshal(kv.Value, &v); err != nil {
			return err
		}
		w.SetString(kv.Key, v)
	case "uint32":
		var v uint32
		if err := json.Unmarshal(kv.Value, &v); err != nil {
			return err
		}
		w.SetUint32(kv.Key, v)
	case "int32":
		var v int32
		if err := json.Unmarshal(kv.Value, &v); err != nil {
			return err
		}
		w.SetInt32(kv.Key, v)
	case "float32":
		var v float64
		if err := json.Unmarshal(kv.Value, &v); err != nil {
			return err
		}
		w.SetFloat32(kv.Key, float32(v))
	case "bool":
		var v bool
		if err := json.Unmarshal(kv.Value, &v); err != nil {
			return err
		}
		w.SetBool(kv.Key, v)
	case "strings":
		var v []string
		if err := json.Unmarshal(kv.Value, &v); err != nil {
			return err
		}
		w.SetStrings(kv.Key, v)
	case "int32s":
		var v []int32
		if err := json.Unmarshal(kv.Value, &v); err != nil {
			return err
		}
		w.SetInt32s(kv.Key, v)
	case "bools":
		var v []bool
		if err := json.Unmarshal(kv.Value, &v); err != nil {
			return err
		}
		w.SetBools(kv.Key, v)
	default:
		return fmt.Errorf("unknown type %q", kv.Type)
	}
	return nil
}

func readF32(path string) ([]float32, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	if len(b)%4 != 0 {
		return nil, fmt.Errorf("%s: %d bytes is not a whole number of float32 values", path, len(b))
	}
	out := make([]float32, len(b)/4)
	for i := range out {
		out[i] = math.Float32frombits(binary.LittleEndian.Uint32(b[4*i:]))
	}
	return out, nil
}
