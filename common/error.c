/* Error codes, messages and their mapping to exit codes. */
#include "win2cloud.h"

#include <stdio.h>
#include <string.h>

static const char *const code_names[W2C_ERR__COUNT] = {
	[W2C_OK] = "ok",
	[W2C_ERR_NOMEM] = "out-of-memory",
	[W2C_ERR_IO] = "io",
	[W2C_ERR_INVALID_INPUT] = "invalid-input",
	[W2C_ERR_NOT_FOUND] = "not-found",
	[W2C_ERR_USAGE] = "usage",
	[W2C_ERR_UNSUPPORTED] = "unsupported",
	[W2C_ERR_NO_SPACE] = "no-space",
	[W2C_ERR_EXISTS] = "exists",
	[W2C_ERR_REMOTE] = "remote",
	[W2C_ERR_AUTH] = "auth",
	[W2C_ERR_NETWORK] = "network",
	[W2C_ERR_INTERRUPTED] = "interrupted",
	[W2C_ERR_VIOLATIONS] = "violations",
	[W2C_ERR_EXTERNAL] = "external",
	[W2C_ERR_INTERNAL] = "internal",
};

const char *w2c_code_name(w2c_code code)
{
	if ((unsigned)code >= W2C_ERR__COUNT)
		return "unknown";
	return code_names[code];
}

w2c_code w2c_set_errorv(w2c_error *err, w2c_code code, const char *fmt, va_list ap)
{
	if (err) {
		err->code = code;
		vsnprintf(err->message, sizeof err->message, fmt, ap);
	}
	return code;
}

w2c_code w2c_set_error(w2c_error *err, w2c_code code, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	w2c_set_errorv(err, code, fmt, ap);
	va_end(ap);
	return code;
}

void w2c_error_prefix(w2c_error *err, const char *fmt, ...)
{
	char pre[512], old[sizeof err->message];
	va_list ap;

	if (!err)
		return;
	va_start(ap, fmt);
	vsnprintf(pre, sizeof pre, fmt, ap);
	va_end(ap);
	memcpy(old, err->message, sizeof old);
	snprintf(err->message, sizeof err->message, "%s: %s", pre, old);
}

int w2c_exit_status(w2c_code code)
{
	switch (code) {
	case W2C_OK:
		return 0;
	case W2C_ERR_USAGE:
		return 2;
	case W2C_ERR_VIOLATIONS:
		return 3;
	case W2C_ERR_INVALID_INPUT:
	case W2C_ERR_NOT_FOUND:
	case W2C_ERR_UNSUPPORTED:
		return 4;
	case W2C_ERR_REMOTE:
	case W2C_ERR_AUTH:
	case W2C_ERR_NETWORK:
		return 5;
	case W2C_ERR_INTERRUPTED:
		return 6;
	default:
		return 1;
	}
}

void w2c_log(const w2c_logger *lg, enum w2c_log_level level, const char *fmt, ...)
{
	char buf[2048];
	va_list ap;

	if (!lg || !lg->fn || level > lg->max_level)
		return;
	va_start(ap, fmt);
	vsnprintf(buf, sizeof buf, fmt, ap);
	va_end(ap);
	lg->fn(lg->user, level, buf);
}

int w2c_progress_report(const w2c_progress *p, const char *stage, const char *item,
			uint64_t done, uint64_t total)
{
	w2c_progress_event ev = { stage, item, done, total };

	if (!p || !p->fn)
		return 0;
	return p->fn(p->user, &ev);
}
