#include <stdint.h>
// native_greedy decodes the prompt, then n_gen tokens greedily (no end-of-generation stop), and returns
// the seconds the generation loop took, or -1 on a decode error. out receives the tokens.
double native_greedy(void * ctx, const int32_t * prompt, int n_prompt, int n_gen, int32_t * out);
