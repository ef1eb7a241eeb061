// Package nativebench runs Verbatim's greedy decode loop in C against the same llama.cpp, so the cost of
// the Go layer can be measured as a ratio (see tools/bench).
package nativebench

/*
#cgo CPPFLAGS: -I${SRCDIR}/../../inference
#include "loop.h"
*/
import "C"

import (
	"errors"
	"time"
	"unsafe"
)

// Greedy decodes prompt and then n tokens on the raw llama_context pointer ctx, returning the tokens and
// the time of the generation loop alone.
func Greedy(ctx unsafe.Pointer, prompt []int, n int) ([]int, time.Duration, error) {
	p := make([]C.int32_t, len(prompt))
	for i, t := range prompt {
		p[i] = C.int32_t(t)
	}
	out := make([]C.int32_t, n)
	secs := C.native_greedy(ctx, &p[0], C.int(len(p)), C.int(n), &out[0])
	if secs < 0 {
		return nil, 0, errors.New("native loop: llama_decode failed")
	}
	toks := make([]int, n)
	for i, t := range out {
		toks[i] = int(t)
	}
	return toks, time.Duration(float64(secs) * float64(time.Second)), nil
}

// Hear decodes an utterance as inference.Utterance does with a Go projector (see native_hear in loop.h):
// prefix, the audio embeddings in the chunks the app decoded them in, suffix, then n greedy tokens. It
// returns the tokens and the time of the prefill (audio and suffix) and of the generation loop.
func Hear(ctx unsafe.Pointer, prefix []int, chunks [][][]float32, suffix []int, batch, n int) ([]int, time.Duration, time.Duration, error) {
	var rows []float32
	var sizes []C.int32_t
	width := 0
	for _, ch := range chunks {
		sizes = append(sizes, C.int32_t(len(ch)))
		for _, r := range ch {
			if width == 0 {
				width = len(r)
			} else if len(r) != width {
				return nil, 0, 0, errors.New("native loop: embeddings of different widths")
			}
			rows = append(rows, r...)
		}
	}
	if len(rows) == 0 || len(prefix) == 0 || len(suffix) == 0 || n < 1 {
		return nil, 0, 0, errors.New("native loop: nothing to decode")
	}
	cints := func(v []int) []C.int32_t {
		out := make([]C.int32_t, len(v))
		for i, t := range v {
			out[i] = C.int32_t(t)
		}
		return out
	}
	p, s := cints(prefix), cints(suffix)
	out := make([]C.int32_t, n)
	var prefill, decode C.double
	if C.native_hear(ctx, &p[0], C.int(len(p)), (*C.float)(unsafe.Pointer(&rows[0])), &sizes[0], C.int(len(sizes)),
		C.int(width), &s[0], C.int(len(s)), C.int(batch), C.int(n), &out[0], &prefill, &decode) != 0 {
		return nil, 0, 0, errors.New("native loop: llama_decode failed")
	}
	toks := make([]int, n)
	for i, t := range out {
		toks[i] = int(t)
	}
	sec := func(v C.double) time.Duration { return time.Duration(float64(v) * float64(time.Second)) }
	return toks, sec(prefill), sec(decode), nil
}
