package gguf

import (
	"bufio"
	"encoding/binary"
	"fmt"
	"io"
	"math"
	"os"
	"path/filepath"
)

// Writer builds a GGUF v3 file in memory order: metadata in insertion order, then tensors.
// It is used by the demo-model converter and by tests that make tiny models at run time.
type Writer struct {
	kvs     []KV
	tensors []wtensor
}

type wtensor struct {
	info TensorInfo
	fill func(io.Writer) error // writes the info.Size bytes as the file is written
}

// NewWriter returns an empty writer.
func NewWriter() *Writer { return &Writer{} }

func (w *Writer) set(key string, t ValueType, v any) {
	for i := range w.kvs {
		if w.kvs[i].Key == key {
			w.kvs[i] = KV{key, t, v}
			return
		}
	}
	w.kvs = append(w.kvs, KV{key, t, v})
}

func (w *Writer) SetString(key, v string)           { w.set(key, ValString, v) }
func (w *Writer) SetUint32(key string, v uint32)    { w.set(key, ValUint32, v) }
func (w *Writer) SetInt32(key string, v int32)      { w.set(key, ValInt32, v) }
func (w *Writer) SetFloat32(key string, v float32)  { w.set(key, ValFloat32, v) }
func (w *Writer) SetBool(key string, v bool)        { w.set(key, ValBool, v) }
func (w *Writer) SetStrings(key string, v []string) { w.set(key, ValArray, v) }
func (w *Writer) SetInt32s(key string, v []int32)   { w.set(key, ValArray, v) }
func (w *Writer) SetBools(key string, v []bool)     { w.set(key, ValArray, v) }

// AddTensorF32 adds a float32 tensor; shape is in ggml order (ne0, the contiguous dimension, first).
func (w *Writer) AddTensorF32(name string, shape []uint64, data []float32) {
	b := make([]byte, 4*len(data))
	for i, v := range data {
		binary.LittleEndian.PutUint32(b[4*i:], math.Float32bits(v))
	}
	w.addTensor(name, shape, TypeF32, b, len(data))
}

// AddTensorF16 adds a tensor stored as IEEE half precision.
func (w *Writer) AddTensorF16(name string, shape []uint64, data []float32) {
	b := make([]byte, 2*len(data))
	for i, v := range data {
		binary.LittleEndian.PutUint16(b[2*i:], FloatToHalf(v))
	}
	w.addTensor(name, shape, TypeF16, b, len(data))
}

// AddTensorQ8_0 adds a tensor quantised as ggml's Q8_0 (QuantizeQ8_0); ne0 must be a multiple of 32.
func (w *Writer) AddTensorQ8_0(name string, shape []uint64, data []float32) {
	if len(shape) == 0 || shape[0]%Q8Block != 0 {
		panic(fmt.Sprintf("gguf: tensor %q: Q8_0 needs ne0 a multiple of %d, got shape %v", name, Q8Block, shape))
	}
	w.addTensor(name, shape, TypeQ8_0, QuantizeQ8_0(data), len(data))
}

// AddTensorRaw adds a tensor whose bytes are already encoded as typ (used by tests to craft files).
func (w *Writer) AddTensorRaw(name string, shape []uint64, typ TensorType, data []byte) {
	w.AddTensorFunc(name, shape, typ, uint64(len(data)), func(out io.Writer) error {
		_, err := out.Write(data)
		return err
	})
}

// AddTensorFunc adds a tensor of size bytes, encoded as typ, that fill writes when the file is written, so
// that large tensors are streamed (copied or generated), never held in memory. fill must write exactly size
// bytes.
func (w *Writer) AddTensorFunc(name string, shape []uint64, typ TensorType, size uint64, fill func(io.Writer) error) {
	w.tensors = append(w.tensors, wtensor{info: TensorInfo{Name: name, Shape: shape, Type: typ, Size: size}, fill: fill})
}

// AddTensorFrom adds a tensor whose size bytes, already encoded as typ, are copied from src at off when the
// file is written.
func (w *Writer) AddTensorFrom(name string, shape []uint64, typ TensorType, size uint64, src io.ReaderAt, off int64) {
	w.AddTensorFunc(name, shape, typ, size, func(out io.Writer) error {
		_, err := io.CopyN(out, io.NewSectionReader(src, off, int64(size)), int64(size))
		return err
	})
}

// header is the File the writer would write, without data, for checks that read only metadata and shapes.
func (w *Writer) header(path string) *File {
	f := &File{Path: path, Version: 3, Alignment: defaultAlignment, KVs: w.kvs, index: map[string]int{}}
	for i, kv := range w.kvs {
		f.index[kv.Key] = i
	}
	for _, t := range w.tensors {
		f.Tensors = append(f.Tensors, t.info)
	}
	return f
}

func (w *Writer) addTensor(name string, shape []uint64, typ TensorType, b []byte, n int) {
	elems := uint64(1)
	for _, d := range shape {
		elems *= d
	}
	if elems != uint64(n) {
		panic(fmt.Sprintf("gguf: tensor %q: shape %v holds %d values, got %d", name, shape, elems, n))
	}
	w.AddTensorRaw(name, shape, typ, b)
}

// WriteTo writes the file.
func (w *Writer) WriteTo(out io.Writer) (int64, error) {
	cw := &countWriter{w: bufio.NewWriter(out)}
	le := binary.LittleEndian
	put := func(v any) { _ = binary.Write(cw, le, v) }
	putStr := func(s string) { put(uint64(len(s))); _, _ = io.WriteString(cw, s) }
	put(uint32(magic))
	put(uint32(3))
	put(uint64(len(w.tensors)))
	put(uint64(len(w.kvs)))
	for _, kv := range w.kvs {
		putStr(kv.Key)
		put(uint32(kv.Type))
		switch v := kv.Value.(type) {
		case string:
			putStr(v)
		case []string:
			put(uint32(ValString))
			put(uint64(len(v)))
			for _, s := range v {
				putStr(s)
			}
		case []int32:
			put(uint32(ValInt32))
			put(uint64(len(v)))
			put(v)
		case []float32:
			put(uint32(ValFloat32))
			put(uint64(len(v)))
			put(v)
		case []bool:
			put(uint32(ValBool))
			put(uint64(len(v)))
			put(v)
		case bool:
			var b uint8
			if v {
				b = 1
			}
			put(b)
		default:
			put(v)
		}
	}
	var off uint64
	for i := range w.tensors {
		t := &w.tensors[i]
		t.info.Offset = off
		off = alignUp(off+t.info.Size, defaultAlignment)
		putStr(t.info.Name)
		put(uint32(len(t.info.Shape)))
		for _, d := range t.info.Shape {
			put(d)
		}
		put(uint32(t.info.Type))
		put(t.info.Offset)
	}
	pad := func() { _, _ = cw.Write(make([]byte, alignUp(uint64(cw.n), defaultAlignment)-uint64(cw.n))) }
	pad()
	for _, t := range w.tensors {
		if start := cw.n; cw.err == nil {
			err := t.fill(cw)
			if err == nil && uint64(cw.n-start) != t.info.Size {
				err = fmt.Errorf("wrote %d bytes, declared %d", cw.n-start, t.info.Size)
			}
			if err != nil && cw.err == nil {
				cw.err = fmt.Errorf("tensor %s: %w", t.info.Name, err)
			}
		}
		pad()
	}
	if cw.err != nil {
		return cw.n, cw.err
	}
	return cw.n, cw.w.Flush()
}

// WriteFile writes the file atomically: a crash or a full disk never leaves a half-written model behind.
func (w *Writer) WriteFile(path string) error {
	tmp, err := os.CreateTemp(filepath.Dir(path), ".gguf-*")
	if err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	defer os.Remove(tmp.Name())
	if _, err := w.WriteTo(tmp); err != nil {
		tmp.Close()
		return fmt.Errorf("write %s: %w", path, err)
	}
	if err := tmp.Close(); err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	if err := os.Rename(tmp.Name(), path); err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	return nil
}

type countWriter struct {
	w   *bufio.Writer
	n   int64
	err error
}

func (c *countWriter) Write(p []byte) (int, error) {
	if c.err != nil {
		return 0, c.err
	}
	n, err := c.w.Write(p)
	c.n += int64(n)
	c.err = err
	return n, err
}
