package inference

/*
#include <stdlib.h>
#include "greedy.h"
*/
import "C"

import (
	"errors"
	"fmt"
	"time"
	"unsafe"

	"github.com/ollama/ollama/llama"
)

// greedyRunner decodes greedy steps in C, several per call. Every cgo call that runs long (a decode step
// of a small model takes ~0.3 ms) costs the Go runtime ~10 µs on the way out and in again on this
// 2-core VM, measured with perf in runtime.reentersyscall and exitsyscall: 3-5 % of a demo-model step.
// Running steps in chunks of ~2 ms amortises it; large models, whose steps take longer than that, still
// go one token per call, so their text streams as before.
type greedyRunner struct {
	g     *C.struct_verbatim_greedy
	out   *C.int32_t // room for maxGreedyChunk tokens, in C memory
	chunk int        // tokens per call, adapted to the step time
	limit int        // most tokens per call (tests lower it)
}

const (
	maxGreedyChunk  = 64
	greedyChunkSpan = 2 * time.Millisecond
	statusEndOfText = -1000
	statusNoLogits  = -1001
)

func newGreedyRunner(lctx *llama.Context) (*greedyRunner, error) {
	g := C.verbatim_greedy_new((*C.struct_llama_context)(unsafe.Pointer(rawContext(lctx))))
	if g == nil {
		return nil, errors.New("greedy decoder: out of memory")
	}
	return &greedyRunner{g: g, out: (*C.int32_t)(C.malloc(4 * maxGreedyChunk)), chunk: 1, limit: maxGreedyChunk}, nil
}

func (r *greedyRunner) free() {
	C.verbatim_greedy_free(r.g)
	C.free(unsafe.Pointer(r.out))
}

// run decodes up to n greedy tokens (n is capped at the chunk size) from batch row idx at pos in seq.
// It returns the tokens chosen, whether an end-of-generation token came next, and a decode error.
func (r *greedyRunner) run(idx, pos, seq, n int, ignoreEOG bool) (toks []int, eog bool, err error) {
	n = max(1, min(n, r.chunk))
	ign := C.int(0)
	if ignoreEOG {
		ign = 1
	}
	var status C.int
	start := time.Now()
	got := int(C.verbatim_greedy_run(r.g, C.int(idx), C.int(pos), C.int(seq), C.int(n), ign, r.out, &status))
	if got > 0 {
		// Chunks that take about greedyChunkSpan: large models keep one token per call.
		per := time.Since(start) / time.Duration(got)
		r.chunk = max(1, min(r.limit, int(greedyChunkSpan/max(per, time.Microsecond))))
	}
	for _, t := range unsafe.Slice((*int32)(unsafe.Pointer(r.out)), got) {
		toks = append(toks, int(t))
	}
	switch {
	case status == statusEndOfText:
		return toks, true, nil
	case status == statusNoLogits:
		return toks, false, fmt.Errorf("decode: no logits at batch row %d", idx)
	case status > 0:
		return toks, false, fmt.Errorf("decode: %w", llama.ErrKvCacheFull)
	case status < 0:
		return toks, false, fmt.Errorf("decode: llama_decode failed with code %d", int(status))
	}
	return toks, false, nil
}
