/* Daemon support: one HTTP GET with libcurl, keeping the headers the GBA
 * code needs (internal to common/: ub_http.c and zn_http.c). */
#ifndef MBMSD_HTTP_CLIENT_H
#define MBMSD_HTTP_CLIENT_H

#include "mbmssec/gba.h"

#include <stdbool.h>
#include <stddef.h>

struct mbmsd_http_exchange {
	long status;
	char *body; /* NUL-terminated, wiped by mbmsd_http_exchange_free */
	size_t body_len;
	size_t body_cap;
	bool body_too_large;
	char content_type[128];
	char www_auth[MBMS_GBA_AUTH_MAX];   /* the first Digest challenge */
	char auth_info[MBMS_GBA_AUTH_MAX];
	bool has_auth_info;
};

/* The CA bundle every later mbmsd_http_get checks the server's certificate
 * against, instead of the system store (CURLOPT_CAINFO); NULL or "" for the
 * system store. Process-wide, like the BSF and NAF the process talks to: set
 * it at start-up, before any request or thread (the mbmssec CLI from
 * --cacert, bmscd from [zn] ca_file). The path is copied; check it first
 * with mbmsd_ca_file_check (http_ca.h). Peer and host verification stay on
 * either way. 0, or -1 when the path is too long. */
int mbmsd_http_set_ca_file(const char *path);
/* The CA file in force ("" for the system store). */
const char *mbmsd_http_ca_file(void);

/* GET url with extra header lines ("Name: value", NULL-terminated list, may
 * be NULL), an optional User-Agent and optional HTTP Basic credentials.
 * Any HTTP status is a success here (read ex->status); -1 with err set
 * when no answer came. */
int mbmsd_http_get(const char *url, const char *const *headers, const char *user_agent,
		   const char *basic_user, const char *basic_pass, size_t max_body,
		   struct mbmsd_http_exchange *ex, char *err, size_t err_cap);

void mbmsd_http_exchange_free(struct mbmsd_http_exchange *ex);

/* true when the Content-Type's media type (before any ';') is `type`. */
bool mbmsd_http_media_type_is(const char *content_type, const char *type);

/* Room for `need` bytes in a body buffer holding `len`: when *cap is short,
 * a new buffer (doubling from 1 KiB) gets the len bytes, the old one is
 * wiped and freed. Returns the buffer to use (maybe buf itself), or NULL
 * when out of memory (buf untouched). */
void *mbmsd_body_reserve(void *buf, size_t len, size_t *cap, size_t need);

/* Abort every transfer of mbmsd_http_get under way and to come (within a
 * second; they fail as transport errors): a daemon that stops does not
 * wait out a hanging server. Thread-safe; there is no undoing it. */
void mbmsd_http_abort_all(void);

/* curl_global_init once per process (thread-safe); 0 or -1. */
int mbmsd_curl_init(void);

/* When the header line (as libcurl hands it over) is NAME: value, copy the
 * value, blanks and CRLF trimmed, into out; false when another header or the
 * value does not fit in cap bytes with its NUL. */
bool mbmsd_http_header_value(const char *line, size_t n, const char *name, char *out,
			     size_t cap);

#endif
