/* The Ub driver: runs the library's GBA client over a GET function (see
 * ub_http.h; no libcurl in this file).
 * All protocol decisions are the library's; this file moves bytes. */
#include "ub_http.h"

#include "http_client.h"

#include "mbmssec/crypto.h"
#include "mbmssec/error.h"
#include "mbmssec/ids.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#define UB_MAX_REQUESTS 5 /* first + answer + AUTS answer + answer + spare */

static int fail(struct mbmsd_ub_outcome *out, int rc, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static int fail(struct mbmsd_ub_outcome *out, int rc, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(out->error, sizeof(out->error), fmt, ap);
	va_end(ap);
	return rc;
}

/* The URL must name the BSF root: the Digest uri is "/". */
static bool url_is_root(const char *url)
{
	const char *p = strstr(url, "://");
	if (!p)
		return false;
	p = strchr(p + 3, '/');
	return !p || strcmp(p, "/") == 0;
}

int mbmsd_ub_bootstrap_via(const char *bsf_url, struct mbms_gba_client *c,
			   struct mbmsd_ub_outcome *out, mbmsd_ub_get_fn get, void *get_ctx)
{
	memset(out, 0, sizeof(*out));
	if (!bsf_url || !c || !get)
		return MBMS_EINVAL;
	if (!url_is_root(bsf_url))
		return fail(out, MBMS_EINVAL, "BSF URL must be http(s)://host[:port][/], got %s",
			    bsf_url);
	char authz[MBMS_GBA_AUTH_MAX], header[MBMS_GBA_AUTH_MAX + 32], err[256];
	int rc = mbms_gba_client_first_request(c, authz, sizeof(authz));
	if (rc)
		return fail(out, rc, "cannot build the first request: %s", mbms_strerror(rc));
	bool give_up_after_send = false;
	for (;;) {
		if (out->requests >= UB_MAX_REQUESTS)
			return fail(out, MBMS_ESYNC, "no bootstrap after %d requests", UB_MAX_REQUESTS);
		snprintf(header, sizeof(header), "Authorization: %s", authz);
		const char *headers[] = {header, "Accept: " MBMS_GBA_BSF_MEDIA_TYPE, NULL};
		struct mbmsd_http_exchange ex;
		out->requests++;
		if (get(get_ctx, bsf_url, headers, MBMSD_UB_USER_AGENT, MBMS_GBA_BODY_MAX, &ex,
			err, sizeof(err)))
			return fail(out, MBMS_EIO, "%s", err);
		out->last_status = ex.status;
		if (give_up_after_send) {
			mbmsd_http_exchange_free(&ex);
			return fail(out, MBMS_EAUTH,
				    "the BSF failed network authentication (AUTN MAC-A wrong: "
				    "wrong K/OPc or a false BSF)");
		}
		if (ex.status == 401) {
			if (!ex.www_auth[0]) {
				mbmsd_http_exchange_free(&ex);
				return fail(out, MBMS_ESYNTAX, "401 without a Digest challenge");
			}
			uint8_t cn[8];
			char cnonce[17];
			enum mbms_gba_answer ans;
			rc = mbms_random(cn, sizeof(cn));
			if (rc == 0)
				rc = mbms_hex_encode(cn, sizeof(cn), cnonce, sizeof(cnonce));
			if (rc == 0)
				rc = mbms_gba_client_challenge(c, ex.www_auth, strlen(ex.www_auth),
							       cnonce, authz, sizeof(authz), &ans);
			mbmsd_http_exchange_free(&ex);
			if (rc == MBMS_ESTATE)
				return fail(out, MBMS_EAUTH,
					    "the BSF refused the answer (401 again)");
			if (rc)
				return fail(out, rc, "cannot answer the challenge: %s",
					    mbms_strerror(rc));
			if (ans == MBMS_GBA_ANSWER_SYNC_FAILURE)
				out->resynced = true;
			/* RFC 3310 3.4: the answer to a MAC-A failure is still sent,
			 * then the run ends. */
			if (ans == MBMS_GBA_ANSWER_MAC_FAILURE)
				give_up_after_send = true;
			continue;
		}
		if (ex.status == 200) {
			int res;
			if (ex.body_too_large)
				res = fail(out, MBMS_ELENGTH, "200 body larger than 64 KiB");
			else if (!mbmsd_http_media_type_is(ex.content_type, MBMS_GBA_BSF_MEDIA_TYPE))
				res = fail(out, MBMS_ESYNTAX, "200 with Content-Type '%s'",
					   ex.content_type);
			else {
				time_t now = time(NULL);
				res = mbms_gba_client_result(
					c, ex.has_auth_info ? ex.auth_info : NULL,
					strlen(ex.auth_info), (const uint8_t *)ex.body, ex.body_len,
					now < 0 ? 0 : (uint64_t)now);
				if (res)
					fail(out, res, "the BSF's 200 was refused: %s",
					     mbms_strerror(res));
			}
			mbmsd_http_exchange_free(&ex);
			return res;
		}
		mbmsd_http_exchange_free(&ex);
		return fail(out, out->last_status == 403 ? MBMS_EAUTH : MBMS_EIO,
			    "the BSF answered HTTP %ld", out->last_status);
	}
}
