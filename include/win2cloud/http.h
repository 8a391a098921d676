/*
 * win2cloud/http.h - the HTTP client every cloud module uses (libcurl).
 *
 * One w2c_http per thread (it owns a curl easy handle and reuses its
 * connections).  w2c_http_perform() sends one logical request and retries
 * it by itself on connection errors, timeouts, 5xx, 429 and S3 "SlowDown",
 * with exponential backoff and full jitter, honouring Retry-After.  It never
 * retries 401/403 (a wrong key retried in a loop locks accounts: APIG locks
 * an AK after 5 failures).  TLS verification is always on; a private CA
 * bundle can be given.  Proxies come from the environment (http_proxy,
 * https_proxy, no_proxy), as curl reads them.
 *
 * A received HTTP answer, whatever its status, is W2C_OK: the caller maps
 * statuses to errors with its own context (which key, which bucket).  Only
 * "no answer" (after the retries) is an error: W2C_ERR_NETWORK, or
 * W2C_ERR_INTERRUPTED when the progress callback asked to stop.
 *
 * Debug logging (W2C_LOG_DEBUG through the options' logger) shows request
 * and response headers with Authorization, X-Auth-Token, X-Subject-Token,
 * X-Amz-Security-Token, X-Obs-Security-Token, X-Security-Token, cookies and
 * secret query parameters replaced by "<redacted>"; bodies are never logged
 * except error bodies (status >= 400), cut to 1 KiB with secret JSON/XML
 * fields redacted.
 */
#ifndef WIN2CLOUD_HTTP_H
#define WIN2CLOUD_HTTP_H

#include "win2cloud.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/** An ordered list of header fields (names compare case-insensitively). */
typedef struct w2c_http_headers {
	size_t count, cap;
	char **names;
	char **values;
} w2c_http_headers;

/** Append "@name: @value" (both copied).  W2C_ERR_NOMEM on failure. */
W2C_API w2c_code w2c_http_headers_add(w2c_http_headers *h, const char *name, const char *value);
/** Add or replace the first field named @name. */
W2C_API w2c_code w2c_http_headers_set(w2c_http_headers *h, const char *name, const char *value);
/** First value of @name, or NULL. */
W2C_API const char *w2c_http_headers_get(const w2c_http_headers *h, const char *name);
/** Copy every field of @src to the end of @dst. */
W2C_API w2c_code w2c_http_headers_copy(w2c_http_headers *dst, const w2c_http_headers *src);
/** Free all fields; @h is empty and reusable afterwards. */
W2C_API void w2c_http_headers_free(w2c_http_headers *h);

/** Client settings.  Zeroed fields take the defaults given per field. */
typedef struct w2c_http_options {
	const char *ca_bundle;      /**< PEM file of trusted CAs; NULL = system store */
	const char *user_agent;     /**< NULL = "win2cloud/<version>" */
	double connect_timeout;     /**< seconds to connect, default 20 */
	double idle_timeout;        /**< abort an attempt making < 1 KiB/s for this long, default 60 */
	double total_timeout;       /**< seconds per attempt, 0 = unlimited (large uploads) */
	int max_retries;            /**< retries after the first attempt, default 6; < 0 = none */
	double backoff_base;        /**< first backoff, seconds, default 0.5 */
	double backoff_max;         /**< cap of one backoff and of Retry-After, default 30 */
	size_t max_response;        /**< bytes of response body kept, default 16 MiB */
	const w2c_logger *log;      /**< may be NULL; debug lines are redacted */
} w2c_http_options;

/** Where a request body comes from. */
enum w2c_http_body_kind {
	W2C_HTTP_BODY_NONE,
	W2C_HTTP_BODY_MEMORY,   /**< body.data / body.len, not copied, must outlive the call */
	W2C_HTTP_BODY_FILE,     /**< body.len bytes of body.fd from body.offset (pread) */
	W2C_HTTP_BODY_CALLBACK, /**< body.read until body.len bytes; body.rewind before a retry */
};

typedef struct w2c_http_body {
	enum w2c_http_body_kind kind;
	const void *data;
	int fd;
	uint64_t offset;
	uint64_t len;
	/** Fill up to @n bytes, return the count (0 = end), or (size_t)-1 on error. */
	size_t (*read)(void *user, void *buf, size_t n);
	/** Start over for a retry; nonzero = cannot (the request is not retried). */
	int (*rewind)(void *user);
	void *user;
} w2c_http_body;

/**
 * Called before every attempt, after the request's own headers were copied
 * to @headers: add the signature (and a fresh date).  Signing per attempt
 * keeps retries valid past the servers' 15-minute clock-skew window.
 */
typedef w2c_code (*w2c_http_sign_fn)(void *user, const char *method, const char *url,
				     w2c_http_headers *headers, w2c_error *err);

struct w2c_http_response;

/**
 * Retry policy hook, asked after each answered attempt: return 1 to retry
 * (e.g. S3 400 BadDigest when a part was corrupted in transit, 400
 * RequestTimeout), 0 to stop, -1 to use the default rule (retry 408, 429,
 * 5xx; never 401/403).  Never called for connection errors (always retried).
 */
typedef int (*w2c_http_retry_fn)(void *user, const struct w2c_http_response *resp);

/** Transfer progress of one attempt; return nonzero to abort (W2C_ERR_INTERRUPTED). */
typedef int (*w2c_http_progress_fn)(void *user, uint64_t sent, uint64_t send_total,
				    uint64_t received);

typedef struct w2c_http_request {
	const char *method;             /**< "GET", "PUT", "POST", "HEAD", "DELETE", ... */
	const char *url;                /**< absolute, already percent-encoded */
	const w2c_http_headers *headers; /**< may be NULL */
	w2c_http_body body;
	w2c_http_sign_fn sign;          /**< may be NULL */
	void *sign_user;
	w2c_http_retry_fn retry;        /**< may be NULL */
	void *retry_user;
	w2c_http_progress_fn progress;  /**< may be NULL */
	void *progress_user;
	/** Short description for logs and errors, e.g. "upload part 7"; may be NULL. */
	const char *what;
} w2c_http_request;

typedef struct w2c_http_response {
	long status;                /**< HTTP status of the last attempt */
	w2c_http_headers headers;   /**< of the last attempt (the final response) */
	char *body;                 /**< NUL-terminated, at most max_response bytes */
	size_t body_len;
	bool body_truncated;
	unsigned attempts;          /**< 1 + retries made */
	double seconds;             /**< wall time of all attempts and waits */
} w2c_http_response;

/** Free what a response holds (safe on a zeroed response). */
W2C_API void w2c_http_response_free(w2c_http_response *r);

typedef struct w2c_http w2c_http;

/** Create a client.  Also runs curl_global_init once per process (thread-safe). */
W2C_API w2c_code w2c_http_new(const w2c_http_options *opt, w2c_http **out, w2c_error *err);
/** Free a client (NULL is fine). */
W2C_API void w2c_http_free(w2c_http *h);

/**
 * Send @req, retrying as described above, and fill @resp (free it with
 * w2c_http_response_free, also on error).  Returns W2C_OK once any HTTP
 * answer arrived; W2C_ERR_NETWORK naming the host and curl's reason when
 * none did after the retries; W2C_ERR_INTERRUPTED when progress said stop;
 * W2C_ERR_IO when a FILE/CALLBACK body could not be read.
 */
W2C_API w2c_code w2c_http_perform(w2c_http *h, const w2c_http_request *req, w2c_http_response *resp,
			  w2c_error *err);

/* ---- helpers shared by the cloud modules (exposed for them and for tests) ---- */

/** True when a header's value is a secret that logs must not show. */
W2C_API bool w2c_http_header_is_secret(const char *name);
/**
 * Copy @url into @out (size @n) with userinfo and the values of secret query
 * parameters (signature, token, secret, password, credential, key...) replaced
 * by "<redacted>".  Always NUL-terminates.
 */
W2C_API void w2c_http_redact_url(const char *url, char *out, size_t n);
/**
 * Copy @text (a JSON or XML body, @len bytes) into @out (size @n) with the
 * values of fields whose names look secret ("password", "secret",
 * "securitytoken", "token", "SecretAccessKey"...) replaced by "<redacted>".
 */
W2C_API void w2c_http_redact_body(const char *text, size_t len, char *out, size_t n);
/**
 * Seconds to wait from a Retry-After value (delta-seconds or an HTTP date);
 * -1 when absent or unparsable.
 */
W2C_API double w2c_http_parse_retry_after(const char *value);
/**
 * Backoff before retry number @attempt (1-based): uniform random in
 * [0, min(cap, base * 2^(attempt-1))] ("full jitter"), at least 10 ms.
 */
W2C_API double w2c_http_backoff(double base, double cap, unsigned attempt);
/** Percent-encode @s per RFC 3986 (unreserved kept); '/' kept when @keep_slash. */
W2C_API char *w2c_http_uri_encode(const char *s, bool keep_slash);

#ifdef __cplusplus
}
#endif
#endif
