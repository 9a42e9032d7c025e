/* Daemon support for mbms-ue: one HTTP request (GET or POST), carrying the header lines the UE state machine built (our own Digest
 * Authorization: libcurl's auth-int hashes an empty body), with optional
 * name pinning like curl's --resolve, and keeping the answer's headers the
 * state machine needs (WWW-Authenticate, Authentication-Info,
 * Content-Type). No protocol decisions here.
 *
 * mbmsd_ue_http() does not link libcurl: it runs the helper program
 * mbms-ue-http for each request (docs/ue.md "The HTTP helper"), which calls
 * mbmsd_ue_http_curl() (ue_http_curl.c) and answers over a pipe framed as in
 * ue_http_frame.h. The daemon keeps libcurl and its dependencies out of the
 * process that holds K, OPc, Ks and the MSKs. */
#ifndef MBMSD_UE_HTTP_H
#define MBMSD_UE_HTTP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define MBMSD_UE_HTTP_HEADER_MAX 1024

struct mbmsd_ue_http_result {
	long status;
	bool has_content_type, has_www_authenticate, has_authentication_info;
	char content_type[128];
	char www_authenticate[MBMSD_UE_HTTP_HEADER_MAX]; /* the first Digest challenge */
	char authentication_info[MBMSD_UE_HTTP_HEADER_MAX];
	uint8_t *body; /* NUL-terminated; wiped by mbmsd_ue_http_result_free */
	size_t body_len, body_cap;
	bool body_too_large;
};

/* method "GET" or "POST" (body sent with POST). headers: NULL-terminated
 * "Name: value" lines (a User-Agent line among them is used as such).
 * resolve: NULL-terminated "host:port:address" entries (CURLOPT_RESOLVE),
 * may be NULL. Any HTTP status is a success (read out->status); -1 with err
 * set when no answer came (connection refused, timeout, body over max --
 * then out->body_too_large --, or the helper could not run, died, or
 * answered out of frame). */
int mbmsd_ue_http(const char *method, const char *url, const char *const *headers,
		  const uint8_t *body, size_t body_len, const char *const *resolve,
		  size_t max_body, long timeout_s, struct mbmsd_ue_http_result *out, char *err,
		  size_t err_cap);

/* The same request made in this process with libcurl: the helper's work.
 * ca_file: the CA bundle to check an HTTPS server against instead of the
 * system store (CURLOPT_CAINFO), NULL for the store; verification is on
 * either way. */
int mbmsd_ue_http_curl(const char *method, const char *url, const char *const *headers,
		       const uint8_t *body, size_t body_len, const char *const *resolve,
		       const char *ca_file, size_t max_body, long timeout_s,
		       struct mbmsd_ue_http_result *out, char *err, size_t err_cap);

/* The CA bundle every later mbmsd_ue_http request names to the helper
 * (NULL or "": the system store); copied. Set it at start-up, checked with
 * mbmsd_ca_file_check (http_ca.h). 0, or -1 when the path is too long. */
int mbmsd_ue_http_set_ca_file(const char *path);
const char *mbmsd_ue_http_ca_file(void);

/* The helper program mbmsd_ue_http() runs: path (copied; NULL or "" for the
 * default) -- else $MBMS_UE_HTTP_HELPER, else mbms-ue-http in the directory
 * of the running program (/proc/self/exe). */
void mbmsd_ue_http_set_helper(const char *path);
/* The path the next request will run (for logs and tests). */
const char *mbmsd_ue_http_helper(void);

void mbmsd_ue_http_result_free(struct mbmsd_ue_http_result *r);

#endif
