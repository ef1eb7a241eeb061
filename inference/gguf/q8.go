package gguf

import (
	"encoding/binary"
	"math"
)

// Q8Block is how many values one Q8_0 block holds.
const Q8Block = 32

// QuantizeQ8_0 encodes data (a multiple of Q8Block values) as ggml's Q8_0: per block, a half-precision scale
// d = the block's largest magnitude / 127, then the 32 values as signed bytes round(x / d).
func QuantizeQ8_0(data []float32) []byte {
	b := make([]byte, 0, len(data)/Q8Block*(2+Q8Block))
	for i := 0; i < len(data); i += Q8Block {
		x := data[i:min(i+Q8Block, len(data))]
		amax := float32(0)
		for _, v := range x {
			amax = max(amax, float32(math.Abs(float64(v))))
		}
		d := amax / 127
		b = binary.LittleEndian.AppendUint16(b, FloatToHalf(d))
		for _, v := range x {
			q := 0.0
			if d != 0 {
				q = math.Round(float64(v / d))
			}
			b = append(b, byte(int8(q)))
		}
	}
	return b
}

// DequantizeQ8_0 decodes Q8_0 blocks as ggml does: the half-precision scale times each signed byte.
func DequantizeQ8_0(b []byte) []float32 {
	const size = 2 + Q8Block
	out := make([]float32, 0, len(b)/size*Q8Block)
	for i := 0; i+size <= len(b); i += size {
		d := HalfToFloat(binary.LittleEndian.Uint16(b[i:]))
		for _, q := range b[i+2 : i+size] {
			out = append(out, d*float32(int8(q)))
		}
	}
	return out
}
