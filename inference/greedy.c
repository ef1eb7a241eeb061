#include <stdlib.h>

#include "greedy.h"
#include "llama_abi.h"

struct verbatim_greedy {
	struct llama_context * ctx;
	const struct llama_vocab * vocab;
	int n_vocab;
	llama_batch batch;
};

struct verbatim_greedy * verbatim_greedy_new(struct llama_context * ctx) {
	struct verbatim_greedy * g = calloc(1, sizeof *g);
	if (!g) return NULL;
	g->ctx = ctx;
	g->vocab = llama_model_get_vocab(llama_get_model(ctx));
	g->n_vocab = llama_vocab_n_tokens(g->vocab);
	g->batch = llama_batch_init(1, 0, 1);
	return g;
}

void verbatim_greedy_free(struct verbatim_greedy * g) {
	if (!g) return;
	llama_batch_free(g->batch);
	free(g);
}

int verbatim_greedy_run(struct verbatim_greedy * g, int idx, int pos, int seq, int n, int ignore_eog,
                        int32_t * out, int * status) {
	*status = 0;
	for (int i = 0; i < n; i++) {
		const float * l = llama_get_logits_ith(g->ctx, idx);
		if (!l) { *status = -1001; return i; }
		int best = 0;
		for (int j = 1; j < g->n_vocab; j++) if (l[j] > l[best]) best = j;
		if (!ignore_eog && llama_vocab_is_eog(g->vocab, best)) { *status = -1000; return i; }
		out[i] = best;
		llama_batch * b = &g->batch;
		b->n_tokens = 1;
		b->token[0] = best;
		b->pos[0] = pos + i;
		b->n_seq_id[0] = 1;
		b->seq_id[0][0] = seq;
		b->logits[0] = 1;
		int rc = llama_decode(g->ctx, *b);
		if (rc != 0) { *status = rc; return i + 1; }
		idx = 0;
	}
	return n;
}
