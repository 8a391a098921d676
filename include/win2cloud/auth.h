/*
 * win2cloud/auth.h - who we are to a cloud: OpenStack-style cloud configuration
 * (OS_* variables, clouds.yaml), API Gateway "SDK-HMAC-SHA256" AK/SK request
 * signing (OTC / Huawei Cloud), and Keystone-v3-shaped password tokens with
 * their service catalog (OpenStack Keystone and OTC/Huawei IAM).
 *
 * Secrets (passwords, secret keys, tokens) are kept in memory only; nothing in
 * this area logs them, and the error messages never contain them.
 */
#ifndef WIN2CLOUD_AUTH_H
#define WIN2CLOUD_AUTH_H

#include "win2cloud.h"

#include <stdbool.h>
#include <stddef.h>
#include <time.h>

#ifdef __cplusplus
extern "C" {
#endif

/* ------------------------------------------------------------------------ */
/* Cloud configuration                                                       */
/* ------------------------------------------------------------------------ */

/**
 * Credentials and scope of one cloud, as openstackclient understands them.
 * Every string is owned (free with w2c_cloud_config_free()) and may be NULL.
 */
typedef struct w2c_cloud_config {
	char *name;                /**< clouds.yaml entry name, or NULL for OS_* */
	char *auth_url;            /**< Keystone/IAM v3 URL, e.g. https://iam.eu-de.otc.t-systems.com/v3 */
	char *username, *user_id;
	char *password;            /**< secret */
	char *user_domain_name, *user_domain_id;
	char *project_name, *project_id;
	char *project_domain_name, *project_domain_id;
	char *region_name;
	char *interface;           /**< endpoint interface, "public" by default */
	char *cacert;              /**< CA bundle file; TLS verification is never turned off */
	char *access_key;          /**< AK for APIG signing (OTC/Huawei) */
	char *secret_key;          /**< SK (secret) */
	char *image_endpoint;      /**< explicit image service URL (skips the catalog) */
	char *source;              /**< where the values came from, e.g. "/etc/openstack/clouds.yaml" */
} w2c_cloud_config;

/**
 * Fill @cfg the way openstackclient does.  With @cloud_name (or $OS_CLOUD when
 * @cloud_name is NULL) the entry of that name is read from the first
 * clouds.yaml found in $OS_CLIENT_CONFIG_FILE, ./clouds.yaml,
 * $XDG_CONFIG_HOME/openstack (default ~/.config/openstack), /etc/openstack;
 * secure.yaml next to it is merged in (passwords usually live there).  Without
 * a cloud name the OS_* variables are used (OS_AUTH_URL, OS_USERNAME,
 * OS_PASSWORD, OS_PROJECT_NAME, ...; OS_ACCESS_KEY / OS_SECRET_KEY for AK/SK).
 * OS_PASSWORD fills a password the YAML leaves out.  Returns
 * W2C_ERR_NOT_FOUND when the named cloud or any configuration is missing,
 * W2C_ERR_INVALID_INPUT (file, line, field) on a malformed file.
 */
W2C_API w2c_code w2c_cloud_config_load(w2c_cloud_config *cfg, const char *cloud_name, w2c_error *err);

/** Parse clouds.yaml text @yaml (@path for messages) and take entry @cloud_name. */
W2C_API w2c_code w2c_cloud_config_parse(w2c_cloud_config *cfg, const char *yaml, size_t len,
				 const char *path, const char *cloud_name, w2c_error *err);

/** Free every string of @cfg and zero it. */
W2C_API void w2c_cloud_config_free(w2c_cloud_config *cfg);

/* ------------------------------------------------------------------------ */
/* API Gateway AK/SK signing ("SDK-HMAC-SHA256", cloud-api spec §1.3)         */
/* ------------------------------------------------------------------------ */

/** One request header, name as sent. */
typedef struct w2c_header {
	const char *name;
	const char *value;
} w2c_header;

/** Format @t as an X-Sdk-Date value (YYYYMMDDTHHMMSSZ, UTC) into @out. */
W2C_API void w2c_apig_date(time_t t, char out[17]);

/**
 * Build the canonical request of the APIG algorithm for @method and @url with
 * @headers (all of them are signed; Host and X-Sdk-Date must be among them)
 * and a body whose SHA-256 is @body_sha256_hex (64 lowercase hex digits).
 * On success *@canonical and *@signed_headers are new strings.
 */
W2C_API w2c_code w2c_apig_canonical_request(const char *method, const char *url, const w2c_header *headers,
				    size_t n_headers, const char *body_sha256_hex, char **canonical,
				    char **signed_headers, w2c_error *err);

/**
 * Sign a request: *@authorization receives the complete Authorization header
 * value "SDK-HMAC-SHA256 Access=AK, SignedHeaders=..., Signature=...".
 * @headers must hold every header that will be sent except Authorization and
 * Content-Length, including Host and X-Sdk-Date.  Pure computation: a failure
 * here is a local error, never a reason to retry a request.
 */
W2C_API w2c_code w2c_apig_sign(const char *method, const char *url, const w2c_header *headers,
		       size_t n_headers, const void *body, size_t body_len, const char *ak,
		       const char *sk, char **authorization, w2c_error *err);


/* ------------------------------------------------------------------------ */
/* Keystone v3 / IAM password tokens and the service catalog                 */
/* ------------------------------------------------------------------------ */

struct w2c_http;

/** A cached project-scoped token for one cloud; refreshed before it expires. */
typedef struct w2c_token_session w2c_token_session;

/**
 * Prepare a session for @cfg (copied) that sends its requests through @http
 * (borrowed; must outlive the session).  No request is made yet.  Needs
 * auth_url, a user (name + domain, or id), a password and a project (id, or
 * name + domain); W2C_ERR_USAGE names what is missing.
 */
W2C_API w2c_code w2c_token_session_new(const w2c_cloud_config *cfg, struct w2c_http *http,
			       const w2c_logger *log, w2c_token_session **out, w2c_error *err);
W2C_API void w2c_token_session_free(w2c_token_session *s);

/**
 * A valid token (owned by the session, valid until the next call).  A new one
 * is requested (POST {auth_url}/auth/tokens) when none is cached or the cached
 * one is within 10 % of its lifetime (at most 5 minutes) of expiring.
 * W2C_ERR_AUTH when the credentials are refused (the message names the user,
 * project and auth URL and carries the service's message, never the
 * password); W2C_ERR_REMOTE / W2C_ERR_NETWORK otherwise.
 */
W2C_API w2c_code w2c_token_get(w2c_token_session *s, const char **token, w2c_error *err);

/** Forget the cached token (after a 401): the next w2c_token_get() re-authenticates. */
W2C_API void w2c_token_invalidate(w2c_token_session *s);

/** Number of tokens obtained so far (for logs and tests). */
W2C_API unsigned w2c_token_count(const w2c_token_session *s);

/** Project id of the current token (after a successful w2c_token_get()), else NULL. */
W2C_API const char *w2c_token_project_id(const w2c_token_session *s);

/**
 * URL of the service of catalog type @type ("image", "compute", ...) for the
 * configured interface and region (any region when none is configured);
 * trailing '/' removed.  Needs a token; W2C_ERR_NOT_FOUND lists the types the
 * catalog does have.  *@url is a new string.
 */
W2C_API w2c_code w2c_token_endpoint(w2c_token_session *s, const char *type, char **url, w2c_error *err);

/**
 * The JSON body of the password token request for @cfg (new string).  With
 * @redact the password is replaced by "<redacted>" (for --dry-run).
 */
W2C_API w2c_code w2c_token_request_body(const w2c_cloud_config *cfg, bool redact, char **json,
				w2c_error *err);

/** What a token response says (parsed by w2c_token_parse_response()). */
typedef struct w2c_token_info {
	double lifetime;       /**< expires_at - issued_at, seconds (0 if unknown) */
	char project_id[128];
	char *catalog_json;    /**< the "catalog" array re-serialised, or NULL */
} w2c_token_info;

/**
 * Parse the JSON body of a POST /v3/auth/tokens answer (@len bytes).
 * W2C_ERR_REMOTE naming the field when the shape is wrong.  Free
 * info->catalog_json with free().
 */
W2C_API w2c_code w2c_token_parse_response(const char *body, size_t len, w2c_token_info *info,
				  w2c_error *err);

/**
 * Pick an endpoint from a catalog (JSON array text as in w2c_token_info):
 * type @type, interface @iface, region @region (NULL = any).  New string.
 */
W2C_API w2c_code w2c_catalog_find(const char *catalog_json, const char *type, const char *iface,
			  const char *region, char **url, w2c_error *err);

#ifdef __cplusplus
}
#endif
#endif
