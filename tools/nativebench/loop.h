#include <stdint.h>
// native_greedy decodes the prompt, then n_gen tokens greedily (no end-of-generation stop), and returns
// the seconds the generation loop took, or -1 on a decode error. out receives the tokens.
double native_greedy(void * ctx, const int32_t * prompt, int n_prompt, int n_gen, int32_t * out);

// native_hear decodes an utterance the way inference.Utterance does with a Go projector: the prefix tokens
// (untimed: the app decodes them before audio arrives), then, timed as prefill, the audio embeddings
// (n_embd wide) in the chunks the app got them in (chunks[i] rows each, every chunk split into batches of
// n_batch) and the suffix tokens; then n_gen greedy tokens timed as decode. Returns 0, or -1 on a decode
// error. out receives the tokens.
int native_hear(void * ctx, const int32_t * prefix, int n_prefix, const float * embd, const int32_t * chunks,
                int n_chunks, int n_embd, const int32_t * suffix, int n_suffix, int n_batch, int n_gen,
                int32_t * out, double * prefill_secs, double * decode_secs);
