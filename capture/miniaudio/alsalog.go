//go:build cgo && linux

package miniaudio

/*
#cgo LDFLAGS: -ldl
#include <dlfcn.h>
#include <stdarg.h>
#include <stdio.h>

// Defined in alsalog_export.go (a file with //export may hold no C definitions, hence two files).
extern void verbatimALSALog(char *msg, int err);

// libasound's handler types, declared here because libasound2-dev is not a build dependency: miniaudio
// loads libasound.so.2 with dlopen at run time, and so does this file.
typedef void (*verbatim_snd_error_handler)(const char *file, int line, const char *function, int err, const char *fmt, ...);
typedef void (*verbatim_snd_log_handler)(int prio, int iface, const char *file, int line, const char *function, int err, const char *fmt, va_list ap);

static void verbatim_alsa_vlog(const char *file, int line, const char *function, int err, const char *fmt, va_list ap) {
	char msg[512];
	int n = snprintf(msg, sizeof msg, "%s:%d (%s) ", file ? file : "?", line, function ? function : "?");
	if (n < 0 || n >= (int)sizeof msg) n = 0;
	vsnprintf(msg + n, sizeof msg - n, fmt ? fmt : "", ap);
	verbatimALSALog(msg, err);
}

static void verbatim_alsa_error(const char *file, int line, const char *function, int err, const char *fmt, ...) {
	va_list ap;
	va_start(ap, fmt);
	verbatim_alsa_vlog(file, line, function, err, fmt, ap);
	va_end(ap);
}

static void verbatim_alsa_log(int prio, int iface, const char *file, int line, const char *function, int err, const char *fmt, va_list ap) {
	(void)prio; (void)iface;
	verbatim_alsa_vlog(file, line, function, err, fmt, ap);
}

// verbatim_alsa_quiet replaces libasound's default handlers, which print "ALSA lib …" on stderr, and
// returns 0 when there is no libasound. The handle is never closed: it keeps the library, and so the
// handlers installed in it, loaded while miniaudio opens and closes its own handle. Both APIs are set:
// alsa-lib 1.2.15 deprecated the error handler in favour of the log handler.
static int verbatim_alsa_quiet(void) {
	void *h = dlopen("libasound.so.2", RTLD_NOW);
	if (!h) return 0;
	int (*set_error)(verbatim_snd_error_handler) = (int (*)(verbatim_snd_error_handler))dlsym(h, "snd_lib_error_set_handler");
	if (set_error) set_error(verbatim_alsa_error);
	verbatim_snd_log_handler (*set_log)(verbatim_snd_log_handler) = (verbatim_snd_log_handler (*)(verbatim_snd_log_handler))dlsym(h, "snd_lib_log_set_handler");
	if (set_log) set_log(verbatim_alsa_log);
	return 1;
}
*/
import "C"

// quietALSA routes libasound's messages to slog at debug level. miniaudio probes ALSA when PulseAudio does
// not answer, and libasound's default handler prints dozens of "ALSA lib" lines on stderr for a machine
// with no sound card, burying the one error that matters. The handler is process-wide (libasound keeps
// one); installing it again is harmless, so every driver does it rather than keeping a flag.
func quietALSA() {
	C.verbatim_alsa_quiet()
}
