#include <math.h>
#include <string.h>

#include "mtp.h"

static void rmsnorm(const float *x, const float *w, float *y, int n, float eps) {
	float s = 0;
	for (int i = 0; i < n; i++) s += x[i] * x[i];
	const float r = 1.0f / sqrtf(s / n + eps);
	for (int i = 0; i < n; i++) y[i] = x[i] * r * w[i];
}

// y = W x with wt = W transposed ([in][out]).
static void matvec_t(const float *restrict wt, const float *restrict x, float *restrict y, int in, int out) {
	memset(y, 0, sizeof(float) * out);
	for (int i = 0; i < in; i++) {
		const float xi = x[i];
		const float *restrict row = wt + (size_t)i * out;
		for (int j = 0; j < out; j++) y[j] += xi * row[j];
	}
}

int verbatim_mtp_step(const struct verbatim_mtp *m, const float *h, int tok, float *g, float *scratch, float *prob) {
	const int d = m->d, ff = m->ff, V = m->vocab;
	float *cat = scratch, *x = cat + 2 * d, *y = x + d, *a = y + d, *b = a + ff, *logits = b + ff;
	rmsnorm(h, m->norm_h, cat, d, m->eps);
	rmsnorm(m->emb + (size_t)tok * d, m->norm_e, cat + d, d, m->eps);
	matvec_t(m->fc_t, cat, x, 2 * d, d);
	rmsnorm(x, m->ffn_norm, y, d, m->eps);
	matvec_t(m->gate_t, y, a, d, ff);
	matvec_t(m->up_t, y, b, d, ff);
	for (int j = 0; j < ff; j++) a[j] = a[j] / (1.0f + expf(-a[j])) * b[j];
	matvec_t(m->down_t, a, y, ff, d);
	for (int i = 0; i < d; i++) x[i] += y[i];
	rmsnorm(x, m->norm, g, d, m->eps);
	matvec_t(m->out_t, g, logits, d, V);
	int best = 0;
	for (int j = 1; j < V; j++)
		if (logits[j] > logits[best]) best = j;
	float sum = 0;
	for (int j = 0; j < V; j++) sum += expf(logits[j] - logits[best]);
	*prob = 1.0f / sum;
	return best;
}
