/* mbmssec — HTTP Digest (RFC 2617) with qop=auth-int, and Digest AKA
 * (RFC 3310, AKAv1-MD5), both directions: header parsing and formatting,
 * response / rspauth computation, stateless server nonces, nc replay tracking.
 *
 * Neither libmicrohttpd nor libcurl does qop=auth-int both ways
 * (shared/deps-notes.md), so this is our own. Parsers use the cursor
 * pattern and point into the input (no allocation).
 */
#ifndef MBMSSEC_DIGEST_H
#define MBMSSEC_DIGEST_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#define MBMS_DIGEST_HEX_LEN 32 /* MD5 as lower-case hex, without NUL */

/* Parser limits: a longer header is MBMS_ELENGTH; more parameters than this
 * (known and unknown together) is MBMS_ESYNTAX, so duplicates of unknown
 * names can be found without allocating. */
#define MBMS_DIGEST_MAX_HEADER 8192
#define MBMS_DIGEST_MAX_PARAMS 32

/* algorithm tokens: RFC 2617 3.2.1 and RFC 3310 3.1 (HA1 is plain MD5 for
 * both; MD5-sess is not supported). */
#define MBMS_DIGEST_ALG_MD5 "MD5"
#define MBMS_DIGEST_ALG_AKAV1_MD5 "AKAv1-MD5"

/* A piece of a header: not NUL-terminated; p == NULL means absent. A quoted
 * value containing backslash escapes is reported with `escaped` set; use
 * mbms_digest_unquote() to copy it out. */
struct mbms_str {
	const char *p;
	size_t len;
	bool escaped;
};

/* The fields of an Authorization, WWW-Authenticate or Authentication-Info
 * header. Unknown parameters are ignored (RFC 2617 3.2.1 says so), a
 * parameter given twice is an error. */
struct mbms_digest_fields {
	struct mbms_str username, realm, nonce, uri, response, algorithm, cnonce, opaque, qop, nc,
		stale, domain, auts, rspauth, nextnonce;
};

/* Parse `Digest k=v, k="v", ...` (Authorization or WWW-Authenticate value,
 * with the scheme word) or the bare list of Authentication-Info. Returns 0,
 * or MBMS_ESYNTAX (bad syntax, duplicate, missing "Digest" scheme where
 * with_scheme), MBMS_ELENGTH (header over 8 KiB). */
int mbms_digest_parse(const char *hdr, size_t len, bool with_scheme,
		      struct mbms_digest_fields *out);

/* Copy a field out as a NUL-terminated string, undoing backslash escapes.
 * MBMS_ENOSPC when it does not fit, MBMS_ENOTFOUND when absent. */
int mbms_digest_unquote(const struct mbms_str *s, char *out, size_t out_cap);

/* true when the field is present and equals the C string (case-sensitive).
 * Not constant time: compare response / rspauth with
 * mbms_digest_check_response(). */
bool mbms_digest_str_eq(const struct mbms_str *s, const char *c);

/* The same, ASCII case-insensitive: for tokens such as algorithm, qop and
 * stale, which RFC 2617 compares without case. */
bool mbms_digest_str_caseeq(const struct mbms_str *s, const char *c);

/* ---- computations (RFC 2617 3.2.2, MD5, lower-case hex outputs) ---- */

/* HA1 = MD5(username ":" realm ":" password). The password is bytes: for
 * AKAv1-MD5 it is RES (RFC 3310 3.2), for the BM-SC base64(MRK). */
int mbms_digest_ha1(const char *username, const char *realm, const uint8_t *password,
		    size_t password_len, char ha1[MBMS_DIGEST_HEX_LEN + 1]);

/* HA2 alone: MD5(method ":" uri) for qop=auth, MD5(method ":" uri ":"
 * MD5(body)) for qop=auth-int; method "" gives the rspauth form. */
int mbms_digest_ha2(const char *method, const char *uri, const char *qop, const uint8_t *body,
		    size_t body_len, char ha2[MBMS_DIGEST_HEX_LEN + 1]);

/* The request digest: HA2 = MD5(method ":" uri) for qop=auth,
 * MD5(method ":" uri ":" MD5(body)) for qop=auth-int. qop must be "auth" or
 * "auth-int". */
int mbms_digest_response(const char ha1[MBMS_DIGEST_HEX_LEN + 1], const char *nonce,
			 const char *nc, const char *cnonce, const char *qop, const char *method,
			 const char *uri, const uint8_t *body, size_t body_len,
			 char response[MBMS_DIGEST_HEX_LEN + 1]);

/* rspauth of Authentication-Info (RFC 2617 3.2.3): the same as the request
 * digest with an empty method, over the response body for auth-int. */
int mbms_digest_rspauth(const char ha1[MBMS_DIGEST_HEX_LEN + 1], const char *nonce,
			const char *nc, const char *cnonce, const char *qop, const char *uri,
			const uint8_t *rsp_body, size_t rsp_body_len,
			char rspauth[MBMS_DIGEST_HEX_LEN + 1]);

/* Compare a received response or rspauth field with the expected digest in
 * constant time: 0 when equal, MBMS_EAUTH when absent, not 32 lower-case
 * hex characters (RFC 2617 32LHEX) or different. */
int mbms_digest_check_response(const struct mbms_str *got,
			       const char want[MBMS_DIGEST_HEX_LEN + 1]);

/* ---- formatting (NUL-terminated into out; MBMS_ENOSPC when too small) ---- */

/* `Digest realm="..", nonce="..", algorithm=..., qop="...", [stale=true], [opaque=".."]` */
int mbms_digest_format_challenge(const char *realm, const char *nonce, const char *algorithm,
				 const char *qop, bool stale, const char *opaque, char *out,
				 size_t out_cap);

/* `Digest username="..", realm="..", nonce="..", uri="..", response="..",
 * algorithm=.., qop=.., nc=.., cnonce="..", [opaque=".."], [auts=".."]`.
 * Empty qop omits qop/nc/cnonce (the first Ub request). */
struct mbms_digest_creds {
	const char *username, *realm, *nonce, *uri, *response, *algorithm, *qop, *nc, *cnonce,
		*opaque, *auts;
};
int mbms_digest_format_authorization(const struct mbms_digest_creds *c, char *out,
				     size_t out_cap);

/* `rspauth="..", cnonce="..", nc=.., qop=..` */
int mbms_digest_format_auth_info(const char *rspauth, const char *cnonce, const char *nc,
				 const char *qop, char *out, size_t out_cap);

/* ---- stateless server nonces ----
 * nonce = base64(issued_at (8 B, seconds, big-endian) || random (8 B) ||
 *               HMAC-SHA-256(secret, issued_at || random || realm)[0..16))
 * so a server recognises its own nonces without keeping them, and a nonce
 * from another server (other secret or realm) fails. */
#define MBMS_DIGEST_NONCE_SECRET_LEN 32
#define MBMS_DIGEST_NONCE_LEN 44 /* characters, without NUL */

int mbms_digest_nonce_make(const uint8_t secret[MBMS_DIGEST_NONCE_SECRET_LEN], const char *realm,
			   uint64_t now, char out[MBMS_DIGEST_NONCE_LEN + 1]);

/* 0 when ours and fresh; MBMS_EEXPIRED when ours but older than lifetime
 * seconds, or issued after now (the clock stepped back): answer stale=true;
 * MBMS_EAUTH when not ours or malformed. The MAC is compared in constant time.
 * *issued_at gets the nonce's time when ours. */
int mbms_digest_nonce_check(const uint8_t secret[MBMS_DIGEST_NONCE_SECRET_LEN], const char *realm,
			    const char *nonce, size_t nonce_len, uint64_t now, uint64_t lifetime,
			    uint64_t *issued_at);

/* ---- nc replay tracking ----
 * A fixed-size table keyed by nonce: each nonce's highest nc seen. An nc not
 * greater than the highest one for its nonce is a replay. When the table is
 * full the oldest entry is evicted; a later request under an evicted nonce
 * is refused (MBMS_EREPLAY) and the client gets a fresh nonce: safe, only
 * slower. Lookup and eviction are linear in cap. */
struct mbms_nc_entry {
	char nonce[MBMS_DIGEST_NONCE_LEN + 1];
	uint32_t nc;
	uint64_t issued_at;
};
struct mbms_nc_table {
	struct mbms_nc_entry *entries;
	size_t cap;
	size_t count;
	uint64_t floor; /* nonces issued before this time were evicted: refuse */
};

int mbms_nc_table_init(struct mbms_nc_table *t, size_t cap);
void mbms_nc_table_free(struct mbms_nc_table *t);

/* Record nc (8 hex digits) for an already-verified nonce issued at
 * issued_at. 0 when new, MBMS_EREPLAY when not greater than the last one
 * (nc 00000000 never is) or when the nonce may have been evicted (issued
 * before floor), MBMS_ESYNTAX when nc is not 8 hex digits, MBMS_EINVAL when
 * the nonce is empty, longer than MBMS_DIGEST_NONCE_LEN or holds a NUL. */
int mbms_nc_table_use(struct mbms_nc_table *t, const char *nonce, size_t nonce_len,
		      uint64_t issued_at, const char *nc, size_t nc_len);

#ifdef __cplusplus
}
#endif
#endif
