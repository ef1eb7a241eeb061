package main

import (
	"encoding/binary"
	"math"
	"math/rand/v2"

	"github.com/verbatim-app/verbatim/inference/gguf"
)

// ggml's block_q4_K (ggml-common.h): 256 values in 144 bytes, as eight sub-blocks of 32 that share a 6-bit
// scale and a 6-bit min:
//
//	f16 d, f16 dmin | 12 bytes: the eight scales and eight mins, 6 bits each | 128 bytes: 4-bit quants
//
// value = d·scale_j·q − dmin·min_j (dequantize_row_q4_K); sub-blocks 2c and 2c+1 share the 32 bytes
// qs[32c:32c+32], the first in the low nibbles, the second in the high ones.
const (
	q4kValues = 256
	q4kBytes  = 144
)

// q4kBlock is one block's parameters before packing.
type q4kBlock struct {
	d, dmin    float32
	scale, min [8]uint8         // 0..63
	q          [q4kValues]uint8 // 0..15, in value order
}

// put packs b into dst (q4kBytes long) as ggml lays it out (the packing of quantize_row_q4_K_ref).
func (b *q4kBlock) put(dst []byte) {
	binary.LittleEndian.PutUint16(dst[0:], gguf.FloatToHalf(b.d))
	binary.LittleEndian.PutUint16(dst[2:], gguf.FloatToHalf(b.dmin))
	packScales(dst[4:16], &b.scale, &b.min)
	qs := dst[16:q4kBytes]
	for c := range 4 {
		for l := range 32 {
			qs[32*c+l] = b.q[64*c+l]&0xF | (b.q[64*c+32+l]&0xF)<<4
		}
	}
}

// packScales writes eight 6-bit scales and mins into the 12 bytes a block keeps them in (ggml's
// get_scale_min_k4 reads them back).
func packScales(sc []byte, scale, min *[8]uint8) {
	clear(sc)
	for j := range 8 {
		ls, lm := scale[j]&63, min[j]&63
		if j < 4 {
			sc[j] = ls
			sc[j+4] = lm
		} else {
			sc[j+4] = ls&0xF | (lm&0xF)<<4
			sc[j-4] |= (ls >> 4) << 6
			sc[j] |= (lm >> 4) << 6
		}
	}
}

// q4kRandom fills dst (a whole number of blocks) with random valid blocks whose values lie in [-amp, amp]
// with a mean near 0 and a standard deviation near amp/2: per sub-block a scale s in 40..63 and the min
// equal to it, with dmin = 7.5·d, so a sub-block spans ±7.5·d·s around 0; d = amp/(7.5·63). The quants
// are uniform in 0..15 (any byte is two valid quants), so std ≈ d·s·4.61 ≈ amp/2.
func q4kRandom(rng *rand.Rand, dst []byte, amp float32) {
	d := amp / (7.5 * 63)
	dh, mh := gguf.FloatToHalf(d), gguf.FloatToHalf(7.5*d)
	for off := 0; off+q4kBytes <= len(dst); off += q4kBytes {
		blk := dst[off : off+q4kBytes]
		binary.LittleEndian.PutUint16(blk[0:], dh)
		binary.LittleEndian.PutUint16(blk[2:], mh)
		var s [8]uint8
		r := rng.Uint64()
		for j := range s {
			s[j] = 40 + uint8(r>>(8*j))%24 // 40..63
		}
		packScales(blk[4:16], &s, &s)
		fillRandom(rng, blk[16:])
	}
}

// fillRandom fills b with random bytes.
func fillRandom(rng *rand.Rand, b []byte) {
	i := 0
	for ; i+8 <= len(b); i += 8 {
		binary.LittleEndian.PutUint64(b[i:], rng.Uint64())
	}
	for r := rng.Uint64(); i < len(b); i, r = i+1, r>>8 {
		b[i] = byte(r)
	}
}

// q4kSize is the size of n values (a multiple of 256) as Q4_K.
func q4kSize(n uint64) uint64 { return n / q4kValues * q4kBytes }

// f16Random fills dst with n half-precision values uniform in [-amp, amp].
func f16Random(rng *rand.Rand, dst []byte, amp float32) {
	for i := 0; i+2 <= len(dst); i += 2 {
		v := (2*float32(rng.Float64()) - 1) * amp
		binary.LittleEndian.PutUint16(dst[i:], gguf.FloatToHalf(v))
	}
}

// f32Fill is n float32 values v, little-endian.
func f32Fill(n uint64, v float32) []byte {
	b := make([]byte, 4*n)
	for i := uint64(0); i < n; i++ {
		binary.LittleEndian.PutUint32(b[4*i:], math.Float32bits(v))
	}
	return b
}
