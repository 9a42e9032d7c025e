/* The framing between mbms-ue and its HTTP helper mbms-ue-http (docs/ue.md
 * "The HTTP helper"): one request on the helper's stdin, one answer on its
 * stdout, each read to end of file. Both are a magic line followed by
 * records
 *
 *     TAG ' ' LENGTH '\n' PAYLOAD(LENGTH bytes) '\n'
 *
 * TAG one letter, LENGTH decimal without leading zeros, at most 7 digits.
 * Request:  M method, U url, T timeout_s, L max_body, H header line (0..16),
 *           R resolve entry (0..8), C CA file path (0..1; absent: the system
 *           CA store), B body, E (empty): in that order. C came later: a
 *           request without it is read as before, and a helper older than C
 *           refuses a request with it (unknown record) instead of making it
 *           against the wrong CA.
 * Answer:   S status, then C content-type, W www-authenticate,
 *           A authentication-info (each optional, in that order), B body, E;
 *           or X message (no answer: transport error) then E;
 *           or Z message (the body was over max_body) then E.
 * Text payloads carry no control byte but TAB; anything else, out of order,
 * over a limit, truncated or followed by more bytes is refused. Pure
 * functions on buffers: no I/O here. */
#ifndef MBMSD_UE_HTTP_FRAME_H
#define MBMSD_UE_HTTP_FRAME_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define MBMSD_UEH_REQUEST_MAGIC "mbms-ue-http request 1\n"
#define MBMSD_UEH_ANSWER_MAGIC "mbms-ue-http answer 1\n"
#define MBMSD_UEH_MAX_HEADERS 16
#define MBMSD_UEH_MAX_RESOLVE 8
#define MBMSD_UEH_URL_MAX 2048
#define MBMSD_UEH_LINE_MAX 2048     /* one header line or resolve entry */
#define MBMSD_UEH_TEXT_MAX 1024     /* an answer header value or message */
#define MBMSD_UEH_CA_FILE_MAX 4095  /* the CA file path (PATH_MAX with its NUL) */
#define MBMSD_UEH_BODY_MAX (1024 * 1024) /* request body, and max_body's ceiling */
#define MBMSD_UEH_TIMEOUT_MAX 3600
/* Framing overhead on top of the URL, lines and body. */
#define MBMSD_UEH_OVERHEAD 512
#define MBMSD_UEH_REQUEST_MAX                                                                  \
	(MBMSD_UEH_OVERHEAD + MBMSD_UEH_URL_MAX +                                              \
	 (MBMSD_UEH_MAX_HEADERS + MBMSD_UEH_MAX_RESOLVE) * (MBMSD_UEH_LINE_MAX + 16) +         \
	 (MBMSD_UEH_CA_FILE_MAX + 16) + MBMSD_UEH_BODY_MAX)
/* The largest answer for a given max_body. */
#define MBMSD_UEH_ANSWER_MAX(max_body) (MBMSD_UEH_OVERHEAD + 4 * MBMSD_UEH_TEXT_MAX + (max_body))

struct mbmsd_ueh_request {
	const char *method; /* "GET" or "POST" */
	const char *url;
	long timeout_s;  /* 1..MBMSD_UEH_TIMEOUT_MAX */
	size_t max_body; /* 1..MBMSD_UEH_BODY_MAX */
	const char *headers[MBMSD_UEH_MAX_HEADERS + 1]; /* NULL-ended */
	const char *resolve[MBMSD_UEH_MAX_RESOLVE + 1]; /* NULL-ended */
	const char *ca_file; /* NULL (or "" when encoding): the system CA store */
	const uint8_t *body;
	size_t body_len;
};

enum mbmsd_ueh_kind {
	MBMSD_UEH_ANSWER = 0,    /* an HTTP answer (any status) */
	MBMSD_UEH_TRANSPORT,     /* no answer: connection refused, timeout, TLS... */
	MBMSD_UEH_TOO_LARGE,     /* the answer's body was over max_body */
};

struct mbmsd_ueh_answer {
	enum mbmsd_ueh_kind kind;
	long status; /* 100..599 */
	const char *content_type, *www_authenticate, *authentication_info; /* NULL: absent */
	const char *message; /* TRANSPORT / TOO_LARGE */
	const uint8_t *body; /* NUL-terminated in the parsed buffer */
	size_t body_len;
};

/* Encode into a malloc'ed buffer (*out, *out_len); 0, or -1 with *why when
 * an item is over a limit, has a control byte or the method is not GET/POST. */
int mbmsd_ueh_request_encode(const struct mbmsd_ueh_request *q, uint8_t **out, size_t *out_len,
			     const char **why);
int mbmsd_ueh_answer_encode(const struct mbmsd_ueh_answer *a, uint8_t **out, size_t *out_len,
			    const char **why);

/* Parse a complete buffer, in place: every payload gets a NUL where its
 * '\n' was, and the result points into buf. 0, or -1 with *why (a fixed
 * string naming the fault, never the content). */
int mbmsd_ueh_request_parse(uint8_t *buf, size_t len, struct mbmsd_ueh_request *q,
			    const char **why);
int mbmsd_ueh_answer_parse(uint8_t *buf, size_t len, size_t max_body, struct mbmsd_ueh_answer *a,
			   const char **why);

#endif
