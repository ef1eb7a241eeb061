#include "_cgo_export.h"

typedef void (*ggml_log_callback)(int level, const char * text, void * user_data);
void llama_log_set(ggml_log_callback log_callback, void * user_data);

static void verbatim_log_cb(int level, const char * text, void * user_data) {
	(void)user_data;
	verbatimLog(level, (char *)text);
}

// mtmd (and the clip encoders under it) keep a logger of their own that prints every level to stderr.
void mtmd_log_set(ggml_log_callback log_callback, void * user_data);

void verbatim_set_log(void) {
	llama_log_set(verbatim_log_cb, 0);
	mtmd_log_set(verbatim_log_cb, 0);
}
