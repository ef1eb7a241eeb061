package inference

/*
#include "llama_abi.h"
void verbatim_set_log(void);
int ggml_cpu_has_sse3(void);
int ggml_cpu_has_ssse3(void);
int ggml_cpu_has_avx(void);
int ggml_cpu_has_avx2(void);
int ggml_cpu_has_f16c(void);
int ggml_cpu_has_fma(void);
int ggml_cpu_has_avx_vnni(void);
int ggml_cpu_has_avx512(void);
int ggml_cpu_has_avx512_vbmi(void);
int ggml_cpu_has_avx512_vnni(void);
int ggml_cpu_has_avx512_bf16(void);
*/
import "C"

import (
	"context"
	"log/slog"
	"strings"
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

// SystemInfo is llama.cpp's own summary of the CPU features compiled into its backends.
func SystemInfo() string {
	ReportDevices() // loads the backends first
	return C.GoString(C.llama_print_system_info())
}

// SIMDFeatures lists the x86 SIMD extensions ggml's CPU backend was compiled with (empty: none).
func SIMDFeatures() string {
	var out []string
	for _, f := range []struct {
		name string
		on   C.int
	}{{"SSE3", C.ggml_cpu_has_sse3()}, {"SSSE3", C.ggml_cpu_has_ssse3()}, {"AVX", C.ggml_cpu_has_avx()},
		{"AVX2", C.ggml_cpu_has_avx2()}, {"F16C", C.ggml_cpu_has_f16c()}, {"FMA", C.ggml_cpu_has_fma()},
		{"AVX-VNNI", C.ggml_cpu_has_avx_vnni()}, {"AVX512", C.ggml_cpu_has_avx512()}, {"AVX512-VBMI", C.ggml_cpu_has_avx512_vbmi()},
		{"AVX512-VNNI", C.ggml_cpu_has_avx512_vnni()}, {"AVX512-BF16", C.ggml_cpu_has_avx512_bf16()}} {
		if f.on != 0 {
			out = append(out, f.name)
		}
	}
	if len(out) == 0 {
		return "none (portable scalar build)"
	}
	return strings.Join(out, " ")
}

// WithRawContext runs f on the owner goroutine with the llama_context pointer, for native reference
// loops in benchmarks. f must not keep the pointer.
func (e *Engine) WithRawContext(ctx context.Context, f func(ptr unsafe.Pointer) error) error {
	return e.do(ctx, func(c *core) error {
		c.reset()
		return f(unsafe.Pointer(rawContext(c.lctx)))
	})
}

// AudioPromptTokens returns the tokens an utterance decodes before and after its audio for task t (native
// reference loops in benchmarks feed the same).
func (e *Engine) AudioPromptTokens(ctx context.Context, t Task) (before, after []int, err error) {
	err = e.do(ctx, func(c *core) error {
		before, after, err = c.audioTokens(t)
		return err
	})
	return before, after, err
}

// PromptTokens tokenizes text the way Generate does (BOS first when the model has one).
func (e *Engine) PromptTokens(ctx context.Context, text string) ([]int, error) {
	var toks []int
	err := e.do(ctx, func(c *core) (err error) {
		if toks, err = c.model.Tokenize(text, false, true); err == nil && c.bos >= 0 {
			toks = append([]int{c.bos}, toks...)
		}
		return err
	})
	return toks, err
}

// quietLogs sends llama.cpp's and ggml's log lines to slog at debug level (errors at warn), instead of
// printing them to stderr, where they would drown the command line's own output.
func quietLogs() { C.verbatim_set_log() }

//export verbatimLog
func verbatimLog(level C.int, text *C.char) {
	msg := strings.TrimRight(C.GoString(text), "\n")
	if msg == "" {
		return
	}
	if level == 4 { // GGML_LOG_LEVEL_ERROR (5 continues the previous line)
		slog.Warn("llama.cpp", "msg", msg)
		return
	}
	slog.Debug("llama.cpp", "msg", msg)
}
