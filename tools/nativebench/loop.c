// The native reference for Verbatim's decode loop: the same greedy loop as inference.Engine.Generate,
// written in C against the same llama.cpp (linked through github.com/ollama/ollama/llama, so built with
// the same compiler flags). Go calls it once; the whole timed loop runs in C.
#include <stdint.h>
#include <stdlib.h>
#include <time.h>
#include "llama_abi.h"
#include "loop.h"

static double now(void) {
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec * 1e-9;
}

static void add(llama_batch * b, llama_token t, llama_pos p, int logits) {
	int i = b->n_tokens++;
	b->token[i] = t;
	b->pos[i] = p;
	b->n_seq_id[i] = 1;
	b->seq_id[i][0] = 0;
	b->logits[i] = logits;
}

double native_greedy(void * ctxp, const int32_t * prompt, int n_prompt, int n_gen, int32_t * out) {
	struct llama_context * ctx = ctxp;
	const struct llama_vocab * vocab = llama_model_get_vocab(llama_get_model(ctx));
	int n_vocab = llama_vocab_n_tokens(vocab);
	llama_memory_clear(llama_get_memory(ctx), 1);
	llama_batch b = llama_batch_init(n_prompt > 1 ? n_prompt : 1, 0, 1);
	for (int i = 0; i < n_prompt; i++) add(&b, prompt[i], i, i == n_prompt - 1);
	if (llama_decode(ctx, b) != 0) { llama_batch_free(b); return -1; }
	double start = now();
	int idx = n_prompt - 1;
	char piece[256];
	for (int g = 0; g < n_gen; g++) {
		const float * l = llama_get_logits_ith(ctx, idx);
		int best = 0;
		for (int i = 1; i < n_vocab; i++) if (l[i] > l[best]) best = i;
		out[g] = best;
		llama_token_to_piece(vocab, best, piece, sizeof piece, 0, 1);
		b.n_tokens = 0;
		add(&b, best, n_prompt + g, 1);
		if (llama_decode(ctx, b) != 0) { llama_batch_free(b); return -1; }
		idx = 0;
	}
	double el = now() - start;
	llama_batch_free(b);
	return el;
}
