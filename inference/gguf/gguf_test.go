package gguf

import (
	"bytes"
	"encoding/binary"
	"errors"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func smallModel() *Writer {
	w := NewWriter()
	w.SetString("general.architecture", "llama")
	w.SetString("general.name", "tiny")
	w.SetUint32("llama.context_length", 128)
	w.SetUint32("llama.embedding_length", 4)
	w.SetUint32("llama.block_count", 1)
	w.SetString("tokenizer.ggml.model", "rwkv")
	w.SetStrings("tokenizer.ggml.tokens", []string{"<eos>", `\n`, "a"})
	w.SetInt32s("tokenizer.ggml.token_type", []int32{3, 1, 1})
	w.SetUint32("tokenizer.ggml.eos_token_id", 0)
	w.AddTensorF32("token_embd.weight", []uint64{4, 3}, make([]float32, 12))
	w.AddTensorF16("output_norm.weight", []uint64{4}, []float32{1, 2, 3, 4})
	return w
}

func projector(typ string) *Writer {
	w := NewWriter()
	w.SetString("general.architecture", "clip")
	w.SetString("clip.projector_type", typ)
	w.SetBool("clip.has_audio_encoder", true)
	w.SetUint32("clip.audio.projection_dim", 4)
	w.AddTensorF32("mm.a.input_projection.weight", []uint64{640, 4}, make([]float32, 2560))
	return w
}

func bytesOf(t testing.TB, w *Writer) []byte {
	var b bytes.Buffer
	if _, err := w.WriteTo(&b); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

func TestRoundTrip(t *testing.T) {
	b := bytesOf(t, smallModel())
	f, err := Parse(bytes.NewReader(b), int64(len(b)), "tiny.gguf")
	if err != nil {
		t.Fatal(err)
	}
	info, err := f.Check()
	if err != nil {
		t.Fatal(err)
	}
	if info.Architecture != "llama" || info.VocabSize != 3 || info.EmbeddingLen != 4 || info.Quantization != "F32" || info.Parameters != 16 {
		t.Fatalf("info = %+v", info)
	}
	norm, err := f.ReadTensorF32(bytes.NewReader(b), "output_norm.weight")
	if err != nil || norm[3] != 4 {
		t.Fatalf("f16 tensor read back as %v (%v)", norm, err)
	}
}

// corrupt returns the model bytes with a change applied.
func TestRejectsBadFiles(t *testing.T) {
	good := bytesOf(t, smallModel())
	// The first tensor's offset field is the 8 bytes before the aligned data section's padding; find it
	// by its name instead of hard-coding a position.
	name := []byte("token_embd.weight")
	ti := bytes.Index(good, name) + len(name) + 4 + 2*8 + 4 // name, n_dims, 2 dims, type
	withOffset := func(off uint64) []byte {
		b := bytes.Clone(good)
		binary.LittleEndian.PutUint64(b[ti:], off)
		return b
	}
	withType := bytes.Clone(good)
	binary.LittleEndian.PutUint32(withType[ti-4:], 99)
	arch := func(a string) []byte {
		w := smallModel()
		w.SetString("general.architecture", a)
		return bytesOf(t, w)
	}
	noNewline := smallModel()
	noNewline.SetStrings("tokenizer.ggml.tokens", []string{"<eos>", "b", "a"})
	badEOS := smallModel()
	badEOS.SetUint32("tokenizer.ggml.eos_token_id", 70)
	huge := bytes.Clone(good[:24])
	binary.LittleEndian.PutUint64(huge[8:], 1<<40)
	cases := []struct {
		name string
		data []byte
		want string
	}{
		{"empty", nil, "too short"},
		{"wrong magic", append([]byte("GGML"), good[4:]...), "bad magic"},
		{"truncated header", good[:200], "past the end"},
		{"truncated data", good[:len(good)-30], "outside the file"},
		{"offset out of bounds", withOffset(1 << 20), "outside the file"},
		{"unaligned offset", withOffset(3), "not aligned"},
		{"unknown tensor type", withType, "unknown type"},
		{"absurd tensor count", huge, "more than"},
		{"unsupported architecture", arch("gemma5"), "not supported"},
		{"no newline token", bytesOf(t, noNewline), "newline"},
		{"eos outside vocabulary", bytesOf(t, badEOS), "outside the vocabulary"},
		{"unsupported projector", bytesOf(t, projector("glma")), "supported"},
		{"projector without type", bytesOf(t, projector("")), "missing"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			f, err := Parse(bytes.NewReader(c.data), int64(len(c.data)), "bad.gguf")
			if err == nil {
				_, err = f.Check()
			}
			if err == nil {
				t.Fatal("accepted")
			}
			if !errors.Is(err, ErrFormat) || !strings.Contains(err.Error(), "bad.gguf") || !strings.Contains(err.Error(), c.want) {
				t.Fatalf("error %q: want ErrFormat naming the file and saying %q", err, c.want)
			}
		})
	}
}

// A gemma4ua projector is one matrix; an mtmd one without its whisper encoder is refused here, before
// llama.cpp would abort on it (complete mtmd projectors: inference/testmodel's ultravox tests).
func TestProjectorTypes(t *testing.T) {
	for typ, wantErr := range map[string]string{ProjectorGemma4UA: "", "ultravox": "clip.audio.embedding_length",
		"qwen2a": "clip.audio.embedding_length", "voxtral": "clip.audio.embedding_length"} {
		b := bytesOf(t, projector(typ))
		f, err := Parse(bytes.NewReader(b), int64(len(b)), typ)
		if err != nil {
			t.Fatal(err)
		}
		info, err := f.Check()
		if wantErr == "" && (err != nil || info.Kind != KindProjector || !info.HasAudio) {
			t.Errorf("%s: %+v, %v", typ, info, err)
		}
		if wantErr != "" && (err == nil || !strings.Contains(err.Error(), wantErr)) {
			t.Errorf("%s: error %v, want one naming %s", typ, err, wantErr)
		}
	}
}

func TestWriteFileIsAtomic(t *testing.T) {
	dir := t.TempDir()
	p := filepath.Join(dir, "m.gguf")
	if err := smallModel().WriteFile(p); err != nil {
		t.Fatal(err)
	}
	if _, _, err := Check(p); err != nil {
		t.Fatal(err)
	}
	entries, _ := os.ReadDir(dir)
	if len(entries) != 1 {
		t.Fatalf("temporary files left behind: %v", entries)
	}
	if err := smallModel().WriteFile(filepath.Join(dir, "missing", "m.gguf")); err == nil {
		t.Fatal("writing into a missing folder succeeded")
	}
}

func TestHalfFloat(t *testing.T) {
	for _, v := range []float32{0, 1, -2.5, 65504, 6.1035156e-05, 5.9604645e-08, 0.333251953125} {
		if got := HalfToFloat(FloatToHalf(v)); got != v {
			t.Errorf("%v → %v", v, got)
		}
	}
}

func FuzzParse(f *testing.F) {
	f.Add(bytesOf(f, smallModel()))
	f.Add(bytesOf(f, projector(ProjectorGemma4UA)))
	f.Fuzz(func(t *testing.T, b []byte) {
		file, err := Parse(bytes.NewReader(b), int64(len(b)), "fuzz.gguf")
		if err != nil {
			if !errors.Is(err, ErrFormat) {
				t.Fatalf("error without ErrFormat: %v", err)
			}
			return
		}
		_, _ = file.Check()
		for _, ti := range file.Tensors {
			if file.DataOffset+int64(ti.Offset)+int64(ti.Size) > int64(len(b)) {
				t.Fatalf("accepted tensor %q beyond the end", ti.Name)
			}
		}
	})
}

func mtpHead(drop, reshape string) *Writer {
	w := NewWriter()
	w.SetString("general.architecture", MTPArchitecture)
	w.SetUint32(MTPArchitecture+".embedding_length", 4)
	w.SetUint32(MTPArchitecture+".feed_forward_length", 6)
	w.SetString("tokenizer.ggml.model", "rwkv")
	w.SetStrings("tokenizer.ggml.tokens", []string{"<eos>", `\n`, "a"})
	for _, t := range []struct {
		name  string
		shape []uint64
	}{
		{"token_embd.weight", []uint64{4, 3}}, {"mtp.norm_h.weight", []uint64{4}}, {"mtp.norm_e.weight", []uint64{4}},
		{"mtp.fc.weight", []uint64{8, 4}}, {"mtp.ffn_norm.weight", []uint64{4}}, {"mtp.ffn_gate.weight", []uint64{4, 6}},
		{"mtp.ffn_up.weight", []uint64{4, 6}}, {"mtp.ffn_down.weight", []uint64{6, 4}}, {"mtp.output_norm.weight", []uint64{4}},
	} {
		if t.name == drop {
			continue
		}
		if t.name == reshape {
			t.shape = []uint64{t.shape[0] + 1}
		}
		n := uint64(1)
		for _, d := range t.shape {
			n *= d
		}
		w.AddTensorF32(t.name, t.shape, make([]float32, n))
	}
	return w
}

func TestMTPHeadCheck(t *testing.T) {
	for _, c := range []struct {
		name, drop, reshape, want string
	}{
		{"good", "", "", ""},
		{"missing tensor", "mtp.fc.weight", "", "mtp.fc.weight is missing"},
		{"wrong shape", "", "mtp.ffn_down.weight", "mtp.ffn_down.weight has shape"},
	} {
		b := bytesOf(t, mtpHead(c.drop, c.reshape))
		f, err := Parse(bytes.NewReader(b), int64(len(b)), "head.mtp.gguf")
		if err != nil {
			t.Fatal(err)
		}
		info, err := f.Check()
		if c.want == "" {
			if err != nil || info.Kind != KindMTPHead || info.EmbeddingLen != 4 || info.VocabSize != 3 {
				t.Errorf("%s: %+v, %v", c.name, info, err)
			}
		} else if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: %v, want an error saying %q", c.name, err, c.want)
		}
	}
}

func TestQ8_0(t *testing.T) {
	ramp := make([]float32, 2*Q8Block)
	for i := range ramp {
		ramp[i] = float32(i-Q8Block) / 8 // block 1: -4 … -0.125, block 2: 0 … 3.875
	}
	b := QuantizeQ8_0(ramp)
	if len(b) != 2*34 {
		t.Fatalf("%d bytes for two blocks, want 68 (ggml's block_q8_0: a half scale and 32 bytes)", len(b))
	}
	// Block 1's largest magnitude is 4, so d = 4/127 and -4 is stored as -127.
	if d := HalfToFloat(uint16(b[0]) | uint16(b[1])<<8); math.Abs(float64(d-4.0/127)) > 1e-5 {
		t.Errorf("scale %v, want %v", d, 4.0/127)
	}
	if q := int8(b[2]); q != -127 {
		t.Errorf("first value stored as %d, want -127", q)
	}
	back := DequantizeQ8_0(b)
	for i, v := range ramp {
		if err := math.Abs(float64(back[i] - v)); err > 4.0/127/2+1e-3 {
			t.Errorf("value %d: %v came back as %v", i, v, back[i])
		}
	}
	zeros := DequantizeQ8_0(QuantizeQ8_0(make([]float32, Q8Block)))
	for _, v := range zeros {
		if v != 0 {
			t.Fatalf("a block of zeros came back as %v", zeros)
		}
	}
}

// Each stored type Verbatim reads reads back as the values written (Q8_0 to within its step).
func TestReadTensorF32Types(t *testing.T) {
	vals := []float32{1, -2.5, 0.15625, 3e-3}
	bf16 := make([]byte, 2*len(vals))
	for i, v := range vals {
		b := math.Float32bits(v) >> 16 // these values fit bfloat16 exactly but for the last, which truncates
		bf16[2*i], bf16[2*i+1] = byte(b), byte(b>>8)
	}
	q8 := append(vals, make([]float32, Q8Block-len(vals))...)
	for _, c := range []struct {
		name string
		add  func(w *Writer)
		want []float32
		tol  float64
	}{
		{"F32", func(w *Writer) { w.AddTensorF32("x", []uint64{4}, vals) }, vals, 0},
		{"F16", func(w *Writer) { w.AddTensorF16("x", []uint64{4}, vals) }, vals, 1e-3},
		{"BF16", func(w *Writer) { w.AddTensorRaw("x", []uint64{4}, TypeBF16, bf16) }, vals, 1e-2},
		{"Q8_0", func(w *Writer) { w.AddTensorQ8_0("x", []uint64{Q8Block}, q8) }, q8, 0.03},
	} {
		t.Run(c.name, func(t *testing.T) {
			w := NewWriter()
			w.SetString("general.architecture", "llama")
			c.add(w)
			b := bytesOf(t, w)
			f, err := Parse(bytes.NewReader(b), int64(len(b)), c.name+".gguf")
			if err != nil {
				t.Fatal(err)
			}
			got, err := f.ReadTensorF32(bytes.NewReader(b), "x")
			if err != nil || len(got) != len(c.want) {
				t.Fatalf("read %v (%v)", got, err)
			}
			for i := range got {
				if d := math.Abs(float64(got[i] - c.want[i])); d > c.tol*math.Max(1, math.Abs(float64(c.want[i]))) {
					t.Errorf("value %d read back as %v; wrote %v", i, got[i], c.want[i])
				}
			}
		})
	}
}
