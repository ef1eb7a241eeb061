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

// greedy_loop generates n_gen tokens greedily from the logits at batch row idx, sequence position pos on;
// b must hold room for one token. Like the app, it renders each token's piece.
static int greedy_loop(struct llama_context * ctx, llama_batch * b, int idx, int pos, int n_gen, int32_t * out) {
	const struct llama_vocab * vocab = llama_model_get_vocab(llama_get_model(ctx));
	int n_vocab = llama_vocab_n_tokens(vocab);
	char piece[256];
	for (int g = 0; g < n_gen; g++) {
		const float * l = llama_get_logits_ith(ctx, idx);
		int best = 0;
		for (int i = 1; i < n_vocab; i++) if (l[i] > l[best]) best = i;
		out[g] = best;
		llama_token_to_piece(vocab, best, piece, sizeof piece, 0, 1);
		b->n_tokens = 0;
		add(b, best, pos + g, 1);
		if (llama_decode(ctx, *b) != 0) return -1;
		idx = 0;
	}
	return 0;
}

double native_greedy(void * ctxp, const int32_t * prompt, int n_prompt, int n_gen, int32_t * out) {
	struct llama_context * ctx = ctxp;
	llama_memory_clear(llama_get_memory(ctx), 1);
	llama_batch b = llama_batch_init(n_prompt > 1 ? n_prompt : 1, 0, 1);
	for (int i = 0; i < n_prompt; i++) add(&b, prompt[i], i, i == n_prompt - 1);
	if (llama_decode(ctx, b) != 0) { llama_batch_free(b); return -1; }
	double start = now();
	int rc = greedy_loop(ctx, &b, n_prompt - 1, n_prompt, n_gen, out);
	double el = now() - start;
	llama_batch_free(b);
	return rc ? -1 : el;
}

// decode_tokens decodes toks from pos on in batches of n_batch (logits for the last token only) and
// returns the batch row of the last token's logits, or -1.
static int decode_tokens(struct llama_context * ctx, llama_batch * b, const int32_t * toks, int n, int pos, int n_batch) {
	int last = 0;
	for (int s = 0; s < n; s += n_batch) {
		int e = s + n_batch < n ? s + n_batch : n;
		b->n_tokens = 0;
		for (int i = s; i < e; i++) add(b, toks[i], pos + i, i == n - 1);
		if (llama_decode(ctx, *b) != 0) return -1;
		last = e - s - 1;
	}
	return last;
}

int native_hear(void * ctxp, const int32_t * prefix, int n_prefix, const float * embd, const int32_t * chunks,
                int n_chunks, int n_embd, const int32_t * suffix, int n_suffix, int n_batch, int n_gen,
                int32_t * out, double * prefill_secs, double * decode_secs) {
	struct llama_context * ctx = ctxp;
	llama_memory_clear(llama_get_memory(ctx), 1);
	llama_batch tb = llama_batch_init(n_batch, 0, 1);
	llama_batch eb = llama_batch_init(n_batch, n_embd, 1);
	int rc = -1, pos = 0, idx;
	if (decode_tokens(ctx, &tb, prefix, n_prefix, 0, n_batch) < 0) goto done;
	pos = n_prefix;
	double start = now();
	const float * row = embd;
	for (int c = 0; c < n_chunks; c++) {
		for (int s = 0; s < chunks[c]; s += n_batch) {
			int e = s + n_batch < chunks[c] ? s + n_batch : chunks[c];
			eb.n_tokens = 0;
			for (int i = s; i < e; i++, row += n_embd) {
				int k = eb.n_tokens++;
				for (int j = 0; j < n_embd; j++) eb.embd[k * n_embd + j] = row[j];
				eb.pos[k] = pos++;
				eb.n_seq_id[k] = 1;
				eb.seq_id[k][0] = 0;
				eb.logits[k] = 0;
			}
			if (llama_decode(ctx, eb) != 0) goto done;
		}
	}
	if ((idx = decode_tokens(ctx, &tb, suffix, n_suffix, pos, n_batch)) < 0) goto done;
	pos += n_suffix;
	*prefill_secs = now() - start;
	start = now();
	if (greedy_loop(ctx, &tb, idx, pos, n_gen, out) != 0) goto done;
	*decode_secs = now() - start;
	rc = 0;
done:
	llama_batch_free(tb);
	llama_batch_free(eb);
	return rc;
}
