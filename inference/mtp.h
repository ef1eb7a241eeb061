// MTP drafter head forward pass (see mtp.go). Weights are float32, each matrix stored transposed
// ([in][out]) so every product is a row of axpys, which the compiler vectorises without reassociation.
#ifndef VERBATIM_MTP_H
#define VERBATIM_MTP_H

struct verbatim_mtp {
	int d, ff, vocab;
	float eps;
	const float *norm_h, *norm_e, *fc_t, *ffn_norm, *gate_t, *up_t, *down_t, *norm;
	const float *emb;   // [vocab][d]: input embedding of the next token
	const float *out_t; // [d][vocab]: output matrix, transposed
};

// verbatim_mtp_step runs the head on hidden state h and token tok, writes its output hidden state to g
// (d floats) and returns the most likely next token, and in *prob the head's probability for it.
// scratch holds 4*d + 2*ff + vocab floats.
int verbatim_mtp_step(const struct verbatim_mtp *m, const float *h, int tok, float *g, float *scratch, float *prob);

#endif
