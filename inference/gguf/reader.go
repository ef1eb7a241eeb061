// Package gguf reads, checks and writes GGUF files in pure Go.
//
// llama.cpp aborts the whole process on many malformed files, and model files are whatever the user
// points Verbatim at, so every file is read and checked here first: a bad file becomes an error that
// names the file and the reason.
package gguf

import (
	"bufio"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"math"
	"os"
	"sort"
)

const (
	magic            = 0x46554747 // "GGUF" little-endian
	defaultAlignment = 32
	maxDims          = 4
	maxStringLen     = 1 << 26 // a metadata string longer than 64 MiB is corruption, not data
)

// ErrFormat marks every problem found in a file's contents.
var ErrFormat = errors.New("invalid GGUF file")

// Error names the file and what is wrong with it.
type Error struct {
	Path   string
	Reason string
}

func (e *Error) Error() string { return fmt.Sprintf("%s: %s", e.Path, e.Reason) }
func (e *Error) Unwrap() error { return ErrFormat }

// KV is one metadata entry. Value holds uint8…float64, bool, string, or a slice of those for arrays.
type KV struct {
	Key   string
	Type  ValueType
	Value any
}

// TensorInfo describes one tensor; Offset is relative to the start of the data section.
type TensorInfo struct {
	Name   string
	Shape  []uint64 // ggml order: ne0 first
	Type   TensorType
	Offset uint64
	Size   uint64
}

// Elements is the number of values in the tensor.
func (t TensorInfo) Elements() uint64 {
	n := uint64(1)
	for _, d := range t.Shape {
		n *= d
	}
	return n
}

// File is a parsed GGUF header.
type File struct {
	Path       string
	Size       int64
	Version    uint32
	KVs        []KV
	Tensors    []TensorInfo
	Alignment  uint64
	DataOffset int64

	index map[string]int
}

// Get returns a metadata value by key.
func (f *File) Get(key string) (any, bool) {
	i, ok := f.index[key]
	if !ok {
		return nil, false
	}
	return f.KVs[i].Value, true
}

// String returns a string metadata value.
func (f *File) String(key string) string {
	v, _ := f.Get(key)
	s, _ := v.(string)
	return s
}

// Uint returns an unsigned or non-negative signed integer metadata value.
func (f *File) Uint(key string) (uint64, bool) {
	v, ok := f.Get(key)
	if !ok {
		return 0, false
	}
	switch x := v.(type) {
	case uint8:
		return uint64(x), true
	case uint16:
		return uint64(x), true
	case uint32:
		return uint64(x), true
	case uint64:
		return x, true
	case int8, int16, int32, int64:
		n := toInt64(x)
		if n < 0 {
			return 0, false
		}
		return uint64(n), true
	}
	return 0, false
}

// Float returns a float metadata value.
func (f *File) Float(key string) (float64, bool) {
	v, ok := f.Get(key)
	if !ok {
		return 0, false
	}
	switch x := v.(type) {
	case float32:
		return float64(x), true
	case float64:
		return x, true
	}
	return 0, false
}

// Bool returns a bool metadata value.
func (f *File) Bool(key string) bool {
	v, _ := f.Get(key)
	b, _ := v.(bool)
	return b
}

// Strings returns a string array metadata value.
func (f *File) Strings(key string) []string {
	v, _ := f.Get(key)
	s, _ := v.([]string)
	return s
}

// Tensor finds a tensor by name.
func (f *File) Tensor(name string) (TensorInfo, bool) {
	for _, t := range f.Tensors {
		if t.Name == name {
			return t, true
		}
	}
	return TensorInfo{}, false
}

// ReadTensorF32 reads a F32, F16, BF16 or Q8_0 tensor's values from the file.
func (f *File) ReadTensorF32(r io.ReaderAt, name string) ([]float32, error) {
	t, ok := f.Tensor(name)
	if !ok {
		return nil, &Error{f.Path, fmt.Sprintf("tensor %q is missing", name)}
	}
	buf := make([]byte, t.Size)
	if _, err := r.ReadAt(buf, f.DataOffset+int64(t.Offset)); err != nil {
		return nil, fmt.Errorf("%s: read tensor %q: %w", f.Path, name, err)
	}
	n := t.Elements()
	out := make([]float32, n)
	switch t.Type {
	case TypeF32:
		for i := range out {
			out[i] = math.Float32frombits(binary.LittleEndian.Uint32(buf[4*i:]))
		}
	case TypeF16:
		for i := range out {
			out[i] = HalfToFloat(binary.LittleEndian.Uint16(buf[2*i:]))
		}
	case TypeBF16:
		for i := range out {
			out[i] = bf16ToFloat(buf[2*i:])
		}
	case TypeQ8_0:
		out = DequantizeQ8_0(buf)
	default:
		return nil, &Error{f.Path, fmt.Sprintf("tensor %q has type %s; only F32, F16, BF16 and Q8_0 can be read here", name, t.Type)}
	}
	return out, nil
}

// Open reads and checks the structure of the GGUF file at path: header, metadata, and that every
// tensor's type is known and its data lies inside the file without overlapping another's.
func Open(path string) (*File, error) {
	fh, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("open model file: %w", err)
	}
	defer fh.Close()
	st, err := fh.Stat()
	if err != nil {
		return nil, fmt.Errorf("open model file: %w", err)
	}
	if st.IsDir() {
		return nil, &Error{path, "is a folder, not a GGUF file"}
	}
	return Parse(fh, st.Size(), path)
}

// Parse reads a GGUF header from r, whose total size is size; path is used in errors.
func Parse(r io.ReaderAt, size int64, path string) (*File, error) {
	p := &parser{r: bufio.NewReaderSize(io.NewSectionReader(r, 0, size), 1<<16), size: size, path: path}
	f, err := p.parse()
	if err != nil {
		var ge *Error
		if errors.As(err, &ge) {
			return nil, err
		}
		return nil, &Error{path, err.Error()}
	}
	return f, nil
}

type parser struct {
	r    *bufio.Reader
	pos  int64
	size int64
	path string
}

func (p *parser) fail(format string, a ...any) error {
	return &Error{p.path, fmt.Sprintf(format, a...)}
}

func (p *parser) read(n int64) ([]byte, error) {
	if n < 0 || p.pos+n > p.size {
		return nil, p.fail("truncated at byte %d (wanted %d more bytes, file has %d)", p.pos, n, p.size)
	}
	buf := make([]byte, n)
	if _, err := io.ReadFull(p.r, buf); err != nil {
		return nil, p.fail("truncated at byte %d: %v", p.pos, err)
	}
	p.pos += n
	return buf, nil
}

func (p *parser) u32() (uint32, error) {
	b, err := p.read(4)
	if err != nil {
		return 0, err
	}
	return binary.LittleEndian.Uint32(b), nil
}

func (p *parser) u64() (uint64, error) {
	b, err := p.read(8)
	if err != nil {
		return 0, err
	}
	return binary.LittleEndian.Uint64(b), nil
}

func (p *parser) str() (string, error) {
	n, err := p.u64()
	if err != nil {
		return "", err
	}
	if n > maxStringLen || int64(n) > p.size-p.pos {
		return "", p.fail("string of %d bytes at byte %d runs past the end of the file", n, p.pos-8)
	}
	b, err := p.read(int64(n))
	return string(b), err
}

func (p *parser) parse() (*File, error) {
	m, err := p.u32()
	if err != nil {
		return nil, p.fail("too short to be a GGUF file (%d bytes)", p.size)
	}
	if m != magic {
		return nil, p.fail("not a GGUF file (bad magic %#08x)", m)
	}
	version, err := p.u32()
	if err != nil {
		return nil, err
	}
	if version < 2 || version > 3 {
		return nil, p.fail("unsupported GGUF version %d (want 2 or 3)", version)
	}
	nTensors, err := p.u64()
	if err != nil {
		return nil, err
	}
	nKV, err := p.u64()
	if err != nil {
		return nil, err
	}
	// Each tensor info needs ≥ 28 bytes and each KV ≥ 12: counts beyond that are corruption.
	if nTensors > uint64(p.size/28) || nKV > uint64(p.size/12) {
		return nil, p.fail("header claims %d tensors and %d metadata entries, more than a %d-byte file can hold", nTensors, nKV, p.size)
	}
	f := &File{Path: p.path, Size: p.size, Version: version, Alignment: defaultAlignment, index: map[string]int{}}
	for i := uint64(0); i < nKV; i++ {
		key, err := p.str()
		if err != nil {
			return nil, err
		}
		t, err := p.u32()
		if err != nil {
			return nil, err
		}
		v, err := p.value(ValueType(t), 0)
		if err != nil {
			return nil, fmt.Errorf("metadata %q: %w", key, err)
		}
		if _, dup := f.index[key]; dup {
			return nil, p.fail("metadata key %q appears twice", key)
		}
		f.index[key] = len(f.KVs)
		f.KVs = append(f.KVs, KV{Key: key, Type: ValueType(t), Value: v})
	}
	if a, ok := f.Get("general.alignment"); ok {
		av, isU32 := a.(uint32)
		if !isU32 || av == 0 || av&(av-1) != 0 || av > 1<<16 {
			return nil, p.fail("general.alignment %v is not a power of two up to 65536", a)
		}
		f.Alignment = uint64(av)
	}
	names := map[string]bool{}
	for i := uint64(0); i < nTensors; i++ {
		t, err := p.tensorInfo()
		if err != nil {
			return nil, err
		}
		if names[t.Name] {
			return nil, p.fail("tensor %q appears twice", t.Name)
		}
		names[t.Name] = true
		f.Tensors = append(f.Tensors, t)
	}
	f.DataOffset = int64(alignUp(uint64(p.pos), f.Alignment))
	if err := p.checkTensorData(f); err != nil {
		return nil, err
	}
	return f, nil
}

func (p *parser) tensorInfo() (TensorInfo, error) {
	var t TensorInfo
	var err error
	if t.Name, err = p.str(); err != nil {
		return t, err
	}
	nd, err := p.u32()
	if err != nil {
		return t, err
	}
	if nd == 0 || nd > maxDims {
		return t, p.fail("tensor %q has %d dimensions (1 to %d allowed)", t.Name, nd, maxDims)
	}
	elems := uint64(1)
	for d := uint32(0); d < nd; d++ {
		n, err := p.u64()
		if err != nil {
			return t, err
		}
		if n == 0 || n > math.MaxInt64/elems {
			return t, p.fail("tensor %q has an impossible shape (dimension %d is %d)", t.Name, d, n)
		}
		elems *= n
		t.Shape = append(t.Shape, n)
	}
	tt, err := p.u32()
	if err != nil {
		return t, err
	}
	t.Type = TensorType(tt)
	ti, ok := tensorTypes[t.Type]
	if !ok {
		return t, p.fail("tensor %q has unknown type %d", t.Name, tt)
	}
	if t.Shape[0]%ti.blockSize != 0 {
		return t, p.fail("tensor %q: first dimension %d is not a multiple of %s's block size %d", t.Name, t.Shape[0], ti.name, ti.blockSize)
	}
	if elems/ti.blockSize > math.MaxInt64/ti.blockBytes {
		return t, p.fail("tensor %q is impossibly large", t.Name)
	}
	t.Size = elems / ti.blockSize * ti.blockBytes
	if t.Offset, err = p.u64(); err != nil {
		return t, err
	}
	return t, nil
}

func (p *parser) checkTensorData(f *File) error {
	dataSize := uint64(p.size - f.DataOffset)
	if p.size < f.DataOffset {
		dataSize = 0
	}
	order := make([]int, len(f.Tensors))
	for i := range order {
		order[i] = i
	}
	sort.Slice(order, func(a, b int) bool { return f.Tensors[order[a]].Offset < f.Tensors[order[b]].Offset })
	var end uint64
	for _, i := range order {
		t := f.Tensors[i]
		if t.Offset%f.Alignment != 0 {
			return p.fail("tensor %q: offset %d is not aligned to %d", t.Name, t.Offset, f.Alignment)
		}
		if t.Offset > dataSize || t.Size > dataSize-t.Offset {
			return p.fail("tensor %q: data [%d, %d) lies outside the file's %d data bytes (truncated or corrupt)", t.Name, t.Offset, t.Offset+t.Size, dataSize)
		}
		if t.Offset < end {
			return p.fail("tensor %q overlaps the tensor before it", t.Name)
		}
		end = t.Offset + t.Size
	}
	return nil
}

func (p *parser) value(t ValueType, depth int) (any, error) {
	switch t {
	case ValString:
		return p.str()
	case ValArray:
		if depth > 0 {
			return nil, p.fail("nested arrays are not supported")
		}
		et, err := p.u32()
		if err != nil {
			return nil, err
		}
		n, err := p.u64()
		if err != nil {
			return nil, err
		}
		return p.array(ValueType(et), n)
	}
	sz, ok := scalarSize(t)
	if !ok {
		return nil, p.fail("unknown metadata value type %d", t)
	}
	b, err := p.read(int64(sz))
	if err != nil {
		return nil, err
	}
	return decodeScalar(t, b), nil
}

func (p *parser) array(et ValueType, n uint64) (any, error) {
	sz, ok := scalarSize(et)
	if !ok || et == ValArray {
		return nil, p.fail("array of unsupported element type %d", et)
	}
	min := sz
	if et == ValString {
		min = 8
	}
	if n > uint64(p.size-p.pos)/min {
		return nil, p.fail("array of %d elements runs past the end of the file", n)
	}
	switch et {
	case ValString:
		out := make([]string, n)
		for i := range out {
			s, err := p.str()
			if err != nil {
				return nil, err
			}
			out[i] = s
		}
		return out, nil
	case ValInt32:
		out := make([]int32, n)
		for i := range out {
			v, err := p.u32()
			if err != nil {
				return nil, err
			}
			out[i] = int32(v)
		}
		return out, nil
	case ValFloat32:
		out := make([]float32, n)
		for i := range out {
			v, err := p.u32()
			if err != nil {
				return nil, err
			}
			out[i] = math.Float32frombits(v)
		}
		return out, nil
	}
	out := make([]any, n)
	for i := range out {
		b, err := p.read(int64(sz))
		if err != nil {
			return nil, err
		}
		out[i] = decodeScalar(et, b)
	}
	return out, nil
}

func decodeScalar(t ValueType, b []byte) any {
	le := binary.LittleEndian
	switch t {
	case ValUint8:
		return b[0]
	case ValInt8:
		return int8(b[0])
	case ValUint16:
		return le.Uint16(b)
	case ValInt16:
		return int16(le.Uint16(b))
	case ValUint32:
		return le.Uint32(b)
	case ValInt32:
		return int32(le.Uint32(b))
	case ValFloat32:
		return math.Float32frombits(le.Uint32(b))
	case ValBool:
		return b[0] != 0
	case ValUint64:
		return le.Uint64(b)
	case ValInt64:
		return int64(le.Uint64(b))
	case ValFloat64:
		return math.Float64frombits(le.Uint64(b))
	}
	return nil
}

func toInt64(v any) int64 {
	switch x := v.(type) {
	case int8:
		return int64(x)
	case int16:
		return int64(x)
	case int32:
		return int64(x)
	case int64:
		return x
	}
	return 0
}

func alignUp(n, a uint64) uint64 { return (n + a - 1) / a * a }
