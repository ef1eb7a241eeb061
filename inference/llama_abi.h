// The part of llama.h (as pinned by github.com/ollama/ollama v0.24.0) that Verbatim's own C code calls.
// Declared here rather than included: llama.h is not on any include path outside the llama package,
// which links the symbols. The batch layout must stay llama.h's; the tests compare the C loops' tokens
// with the Go loop's and with a Go reference forward pass.
#ifndef VERBATIM_LLAMA_ABI_H
#define VERBATIM_LLAMA_ABI_H
#include <stdint.h>

struct llama_context;
struct llama_model;
struct llama_vocab;
struct llama_memory_i;
typedef int32_t llama_token;
typedef int32_t llama_pos;
typedef int32_t llama_seq_id;

typedef struct llama_batch {
	int32_t n_tokens;
	llama_token * token;
	float * embd;
	llama_pos * pos;
	int32_t * n_seq_id;
	llama_seq_id ** seq_id;
	int8_t * logits;
} llama_batch;

llama_batch llama_batch_init(int32_t n_tokens, int32_t embd, int32_t n_seq_max);
void llama_batch_free(llama_batch batch);
int32_t llama_decode(struct llama_context * ctx, llama_batch batch);
void llama_free(struct llama_context * ctx);
uint32_t llama_n_ctx(const struct llama_context * ctx);
float * llama_get_logits_ith(struct llama_context * ctx, int32_t i);
float * llama_get_embeddings_ith(struct llama_context * ctx, int32_t i);
const struct llama_model * llama_get_model(const struct llama_context * ctx);
const struct llama_vocab * llama_model_get_vocab(const struct llama_model * model);
int32_t llama_vocab_n_tokens(const struct llama_vocab * vocab);
_Bool llama_vocab_is_eog(const struct llama_vocab * vocab, llama_token token);
int32_t llama_token_to_piece(const struct llama_vocab * vocab, llama_token token, char * buf, int32_t length,
                             int32_t lstrip, _Bool special);
struct llama_memory_i * llama_get_memory(const struct llama_context * ctx);
void llama_memory_clear(struct llama_memory_i * mem, _Bool data);
const char * llama_print_system_info(void);

#endif
