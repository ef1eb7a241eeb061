package inference

/*
#include <stdlib.h>
#include "llama_abi.h"
#include "mtp.h"
*/
import "C"

import (
	"context"
	"fmt"
	"os"
	"unsafe"

	"github.com/verbatim-app/verbatim/inference/gguf"
)

// mtpHead is an MTP-style drafter: a small head on the target's final hidden state (llama.cpp returns it
// beside the logits, since the llama package's contexts compute embeddings) that, given the token just
// chosen, predicts the one after it, and chains its own output to draft further. It needs no KV cache
// and no extra llama.cpp model; its forward pass is C (mtp.c) because in Go it would cost as much as
// a decode step of the small models it drafts for.
type mtpHead struct {
	c       *C.struct_verbatim_mtp
	weights unsafe.Pointer // one C allocation holding every matrix
	scratch *C.float
	g       [2]*C.float // hidden states in and out of a step, swapping roles as the chain goes on
	d       int
}

// loadMTPHead reads an MTP head file into C memory, transposing each matrix for mtp.c.
func loadMTPHead(path string, f *gguf.File, info gguf.Info) (*mtpHead, error) {
	fh, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("open MTP head: %w", err)
	}
	defer fh.Close()
	d, v := int(info.EmbeddingLen), info.VocabSize
	ffU, _ := f.Uint(gguf.MTPArchitecture + ".feed_forward_length")
	ff := int(ffU)
	eps := float32(1e-5)
	if e, ok := f.Float(gguf.MTPArchitecture + ".layer_norm_rms_epsilon"); ok {
		eps = float32(e)
	}
	type part struct {
		name    string
		in, out int // out > 0: a matrix [out][in] in the file, stored transposed
	}
	parts := []part{
		{"mtp.norm_h.weight", d, 0}, {"mtp.norm_e.weight", d, 0}, {"mtp.fc.weight", 2 * d, d},
		{"mtp.ffn_norm.weight", d, 0}, {"mtp.ffn_gate.weight", d, ff}, {"mtp.ffn_up.weight", d, ff},
		{"mtp.ffn_down.weight", ff, d}, {"mtp.output_norm.weight", d, 0},
		{"token_embd.weight", d, 0}, // rows as they are: the input embedding of a token
		{"token_embd.weight", d, v}, // transposed: the output matrix (tied embeddings)
	}
	if _, ok := f.Tensor("output.weight"); ok {
		parts[len(parts)-1].name = "output.weight" // an untied model's output matrix
	}
	total := 0
	vals := make([][]float32, len(parts))
	for i, p := range parts {
		w, err := f.ReadTensorF32(fh, p.name)
		if err != nil {
			return nil, fmt.Errorf("load MTP head: %w", err)
		}
		if p.out > 0 {
			t := make([]float32, len(w))
			for o := 0; o < p.out; o++ {
				for j := 0; j < p.in; j++ {
					t[j*p.out+o] = w[o*p.in+j]
				}
			}
			w = t
		}
		vals[i] = w
		total += len(w)
	}
	h := &mtpHead{d: d}
	scratchLen := 4*d + 2*ff + v
	h.weights = C.malloc(C.size_t(4 * (total + scratchLen + 2*d)))
	h.c = (*C.struct_verbatim_mtp)(C.malloc(C.size_t(unsafe.Sizeof(C.struct_verbatim_mtp{}))))
	mem := unsafe.Slice((*float32)(h.weights), total+scratchLen+2*d)
	ptrs := make([]*C.float, len(parts))
	off := 0
	for i, w := range vals {
		copy(mem[off:], w)
		ptrs[i] = (*C.float)(unsafe.Pointer(&mem[off]))
		off += len(w)
	}
	h.scratch = (*C.float)(unsafe.Pointer(&mem[off]))
	h.g[0] = (*C.float)(unsafe.Pointer(&mem[off+scratchLen]))
	h.g[1] = (*C.float)(unsafe.Pointer(&mem[off+scratchLen+d]))
	*h.c = C.struct_verbatim_mtp{
		d: C.int(d), ff: C.int(ff), vocab: C.int(v), eps: C.float(eps),
		norm_h: ptrs[0], norm_e: ptrs[1], fc_t: ptrs[2], ffn_norm: ptrs[3], gate_t: ptrs[4], up_t: ptrs[5],
		down_t: ptrs[6], norm: ptrs[7], emb: ptrs[8], out_t: ptrs[9],
	}
	return h, nil
}

func (h *mtpHead) free() {
	C.free(unsafe.Pointer(h.c))
	C.free(h.weights)
}

// mtpMinProb is the head's confidence below which it stops drafting: a proposal the target will
// probably reject only makes the verification batch longer.
const mtpMinProb = 0.5

// propose drafts up to k tokens after tok from the target's hidden state where tok was chosen, each
// step feeding the head its own output; it stops before a token stop says ends the text, and before a
// token it is less than minProb sure of (always drafting the first).
func (h *mtpHead) propose(hidden []float32, tok, k int, minProb float32, stop func(int) bool) []int {
	in := h.g[1]
	copy(unsafeFloats(in, h.d), hidden)
	var out []int
	for len(out) < k {
		g := h.g[0] // the output goes to whichever buffer is not the input
		if g == in {
			g = h.g[1]
		}
		var p C.float
		next := int(C.verbatim_mtp_step(h.c, in, C.int(tok), g, h.scratch, &p))
		if stop(next) || (len(out) > 0 && float32(p) < minProb) {
			break
		}
		out = append(out, next)
		in, tok = g, next
	}
	return out
}

// mtpPropose drafts up to k tokens after tok, the token just chosen from the target's batch row idx.
func (c *core) mtpPropose(idx, tok, k int) []int {
	hidden := C.llama_get_embeddings_ith((*C.struct_llama_context)(unsafe.Pointer(rawContext(c.lctx))), C.int32_t(idx))
	if hidden == nil {
		return nil
	}
	return c.mtp.propose(unsafeFloats(hidden, c.mtp.d), tok, k, mtpMinProb, c.isEOG)
}

// LoadMTPHead adds an MTP drafter head for the loaded model. Its vocabulary and width must be the
// model's.
func (e *Engine) LoadMTPHead(ctx context.Context, path string) error {
	tf, err := gguf.Open(e.Model.Path)
	if err != nil {
		return err
	}
	hf, info, err := gguf.CheckMTPHead(path, tf, e.Model.EmbeddingLen)
	if err != nil {
		return err
	}
	h, err := loadMTPHead(path, hf, info)
	if err != nil {
		return err
	}
	err = e.do(ctx, func(c *core) error {
		if c.mtp != nil {
			c.mtp.free()
		}
		c.mtp = h
		return nil
	})
	if err != nil {
		h.free()
	}
	return err
}

func unsafeFloats(p *C.float, n int) []float32 { return unsafe.Slice((*float32)(unsafe.Pointer(p)), n) }
