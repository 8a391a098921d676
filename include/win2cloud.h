/*
 * win2cloud.h - core of libwin2cloud: errors, logging and progress.
 *
 * Every library call that can fail returns a w2c_code and, when the caller
 * passes a w2c_error, fills it with one line that names the file, the field
 * or offset, and what was expected.  The library never prints and never
 * exits; it reports through the callbacks below.  Area headers live in
 * <win2cloud/...h>.
 */
#ifndef WIN2CLOUD_H
#define WIN2CLOUD_H

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#define W2C_VERSION_STRING "0.1.0"

/*
 * W2C_API marks every call of the public interface.  The library is built
 * with -fvisibility=hidden, so what is not marked stays inside it (as
 * WIMLIBAPI does for wimlib); tests/layering/check_layers.sh holds the list of
 * exported symbols equal to the w2c_ calls declared under include/.
 */
#if defined(W2C_BUILDING_LIBRARY) && defined(__GNUC__)
#define W2C_API __attribute__((visibility("default")))
#else
#define W2C_API
#endif

/** One error enum for the whole library (like CURLcode / WIMLIB_ERR_*). */
typedef enum w2c_code {
	W2C_OK = 0,
	W2C_ERR_NOMEM,          /**< out of memory */
	W2C_ERR_IO,             /**< read/write/open failed on a local file */
	W2C_ERR_INVALID_INPUT,  /**< input is malformed (bad header, bad field) */
	W2C_ERR_NOT_FOUND,      /**< a named file, path or object does not exist */
	W2C_ERR_USAGE,          /**< the caller asked for something contradictory */
	W2C_ERR_UNSUPPORTED,    /**< valid input that this version cannot handle */
	W2C_ERR_NO_SPACE,       /**< not enough free space for the output */
	W2C_ERR_EXISTS,         /**< output exists and may not be replaced */
	W2C_ERR_REMOTE,         /**< a remote service answered with an error */
	W2C_ERR_AUTH,           /**< credentials refused or missing */
	W2C_ERR_NETWORK,        /**< could not reach a remote service */
	W2C_ERR_INTERRUPTED,    /**< stopped by a signal or the caller; resumable */
	W2C_ERR_VIOLATIONS,     /**< checks ran and found errors */
	W2C_ERR_EXTERNAL,       /**< a third-party library failed */
	W2C_ERR_INTERNAL,       /**< a bug */
	W2C_ERR__COUNT
} w2c_code;

/** Error details; message is one line, UTF-8, no trailing newline. */
typedef struct w2c_error {
	w2c_code code;
	char message[1024];
} w2c_error;

/** Fill @err (may be NULL) and return @code.  printf-style. */
W2C_API w2c_code w2c_set_error(w2c_error *err, w2c_code code, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
W2C_API w2c_code w2c_set_errorv(w2c_error *err, w2c_code code, const char *fmt, va_list ap);
/** Prefix an existing message with "@prefix: " (context added by callers). */
W2C_API void w2c_error_prefix(w2c_error *err, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
/** Short stable name of a code, e.g. "invalid-input". */
W2C_API const char *w2c_code_name(w2c_code code);
/**
 * Process exit code for a library code, as documented in win2cloud(1):
 * 0 ok, 1 runtime failure, 2 usage, 3 violations, 4 invalid or unreadable
 * input, 5 remote service error, 6 interrupted but resumable.
 */
W2C_API int w2c_exit_status(w2c_code code);

/** Log levels for w2c_logger. */
enum w2c_log_level { W2C_LOG_ERROR, W2C_LOG_WARN, W2C_LOG_INFO, W2C_LOG_DEBUG };

/** Sink for diagnostic messages; the library redacts secrets before calling. */
typedef struct w2c_logger {
	void (*fn)(void *user, enum w2c_log_level level, const char *msg);
	void *user;
	enum w2c_log_level max_level;
} w2c_logger;

W2C_API void w2c_log(const w2c_logger *lg, enum w2c_log_level level, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/** Progress of a long operation (bytes done of total, both may be 0). */
typedef struct w2c_progress_event {
	const char *stage;   /**< "unpack", "build", "upload", ... */
	const char *item;    /**< current file or part, may be NULL */
	uint64_t done;
	uint64_t total;
} w2c_progress_event;

typedef struct w2c_progress {
	/** Return nonzero to ask the operation to stop (W2C_ERR_INTERRUPTED). */
	int (*fn)(void *user, const w2c_progress_event *ev);
	void *user;
} w2c_progress;

/** Call @p if set; returns nonzero when the caller asked to stop. */
W2C_API int w2c_progress_report(const w2c_progress *p, const char *stage, const char *item,
			uint64_t done, uint64_t total);

#ifdef __cplusplus
}
#endif
#endif
