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
