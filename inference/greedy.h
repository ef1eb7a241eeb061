// Greedy decoding steps in C (see greedy.go for why).
#ifndef VERBATIM_GREEDY_H
#define VERBATIM_GREEDY_H
#include <stdint.h>

struct llama_context;
struct verbatim_greedy;

struct verbatim_greedy * verbatim_greedy_new(struct llama_context * ctx);
void verbatim_greedy_free(struct verbatim_greedy * g);

// verbatim_greedy_run takes the best token of batch row idx's logits and, unless it ends the text (and
// ignore_eog is 0), decodes it at pos in sequence seq; then again from its logits, up to n tokens.
// It returns the number of tokens written to out; *status is 0, -1000 when an end-of-generation token
// came next (not written, not decoded), -1001 when row idx has no logits, or llama_decode's non-zero
// result (the last token written is the one whose decode failed).
int verbatim_greedy_run(struct verbatim_greedy * g, int idx, int pos, int seq, int n, int ignore_eog,
                        int32_t * out, int * status);

#endif
