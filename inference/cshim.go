package inference

/*
#include <stdint.h>
// Declared here rather than included: the symbols come from llama.cpp as linked by
// github.com/ollama/ollama/llama, whose headers are not on this package's include path.
struct llama_context;
void llama_free(struct llama_context * ctx);
uint32_t llama_n_ctx(const struct llama_context * ctx);
float * llama_get_logits_ith(struct llama_context * ctx, int32_t i);
*/
import "C"

import (
	"unsafe"

	"github.com/ollama/ollama/llama"
)

// The llama package offers no way to free a context and copies every logits row into a new Go slice.
// Its Context's first field is the C pointer; rawContext reads it (a test checks it against llama_n_ctx).
func rawContext(c *llama.Context) *C.struct_llama_context {
	return *(**C.struct_llama_context)(unsafe.Pointer(c))
}

func freeContext(c *llama.Context) { C.llama_free(rawContext(c)) }

func contextSize(c *llama.Context) int { return int(C.llama_n_ctx(rawContext(c))) }

// logitsView returns the logits row of batch index i without copying; it is valid until the next decode.
func logitsView(c *llama.Context, i, nVocab int) []float32 {
	p := C.llama_get_logits_ith(rawContext(c), C.int32_t(i))
	if p == nil {
		return nil
	}
	return unsafe.Slice((*float32)(unsafe.Pointer(p)), nVocab)
}
