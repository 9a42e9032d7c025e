/* Daemon support for mbms-ue: one HTTP request (GET or POST) with libcurl,
 * carrying the header lines the UE state machine built (our own Digest
 * Authorization: libcurl's auth-int hashes an empty body), with optional
 * name pinning like curl's --resolve, and keeping the answer's headers the
 * state machine needs (WWW-Authenticate, Authentication-Info,
 * Content-Type). No protocol decisions here. */
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
 * set when no answer came (connection refused, timeout, body over max). */
int mbmsd_ue_http(const char *method, const char *url, const char *const *headers,
		  const uint8_t *body, size_t body_len, const char *const *resolve,
		  size_t max_body, long timeout_s, struct mbmsd_ue_http_result *out, char *err,
		  size_t err_cap);

void mbmsd_ue_http_result_free(struct mbmsd_ue_http_result *r);

#endif
