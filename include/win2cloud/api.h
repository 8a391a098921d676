/*
 * win2cloud/api.h - JSON calls to a cloud service API (IMS, ECS, Glance,
 * Nova) with token or AK/SK auth, throttling and error bodies handled once
 * for every service client (register, onboard).
 */
#ifndef WIN2CLOUD_API_H
#define WIN2CLOUD_API_H

#include "win2cloud.h"
#include "win2cloud/auth.h"
#include "win2cloud/http.h"

#include <jansson.h>
#include <stdbool.h>

#ifdef __cplusplus
extern "C" {
#endif

/* How to reach and authenticate to one service. */
typedef struct w2c_api {
	w2c_http *http;
	w2c_token_session *token;   /* X-Auth-Token auth, or NULL for AK/SK */
	const char *ak, *sk;        /* APIG signing when token is NULL (secrets, borrowed) */
	const char *project_id;     /* X-Project-Id with AK/SK */
	const char *service;        /* "IMS", "Glance": names the service in messages */
	const w2c_logger *log;
} w2c_api;

/* One answered call. */
typedef struct w2c_api_result {
	long status;
	json_t *json;               /* parsed body when it was JSON, else NULL */
	w2c_http_headers headers;
} w2c_api_result;

W2C_API void w2c_api_result_free(w2c_api_result *r);

enum {
	W2C_API_IDEMPOTENT = 1,     /* 5xx may be retried (GET, DELETE, PUT of a whole file) */
	W2C_API_ALLOW_404 = 2,      /* 404 is an answer (status 404, W2C_OK), not an error */
};

/*
 * Send @method @url with @json_body (may be NULL) or @raw (a file upload, may
 * be NULL; then @content_type is its type).  Throttling (429, IMS 400
 * IMG.0060/IMG.0194, a flow-limit error hidden in a 2xx body) is retried with
 * backoff; a 401 with token auth refreshes the token once and repeats the call;
 * a 401/403 with AK/SK is never repeated.  Any other status >= 400 becomes
 * W2C_ERR_REMOTE (401/403: W2C_ERR_AUTH) with "SERVICE METHOD URL: HTTP n
 * CODE: message".  @res receives the answer (free it, also on error).
 */
W2C_API w2c_code w2c_api_call(w2c_api *a, const char *method, const char *url, const json_t *json_body,
		      const w2c_http_body *raw, const char *content_type, int flags,
		      w2c_api_result *res, w2c_error *err);

/* "CODE: message" from an error body of IMS, APIG, IAM/Keystone or Glance (fuzzed). */
W2C_API void w2c_api_error_text(const char *body, size_t len, char *out, size_t n);
/* The service error code of a body ("IMG.0060", "APIG.0301", ...) into @out, "" if none. */
W2C_API void w2c_api_error_code(const char *body, size_t len, char *out, size_t n);
/* True when an answer means "throttled, try later" (see w2c_api_call). */
W2C_API bool w2c_api_is_throttled(long status, const char *body, size_t len);

#ifdef __cplusplus
}
#endif
#endif
