/* Daemon support: run the library's GBA client (include/mbmssec/gba.h)
 * against a BSF over HTTP (Ub, TS 24.109 5.2). Used by the
 * mbmssec CLI and the UE daemon. */
#ifndef MBMSD_UB_HTTP_H
#define MBMSD_UB_HTTP_H

#include "http_client.h"

#include "mbmssec/gba.h"

#include <stddef.h>

/* The User-Agent sent on Ub: must carry "3gpp-gba" (TS 24.109 5.2.1). */
#define MBMSD_UB_USER_AGENT "mbmssec/0.1 3gpp-gba"

struct mbmsd_ub_outcome {
	long last_status;  /* HTTP status of the last answer (0: none) */
	unsigned requests; /* requests sent */
	bool resynced;     /* an AUTS round happened */
	char error[256];   /* why it failed (no secrets) */
};

/* Bootstrap c (set up with mbms_gba_client_init) against bsf_url
 * ("http://host:port", path empty or "/"). On success c is in state DONE.
 * Returns 0, MBMS_EAUTH (the BSF or the UE refused authentication),
 * MBMS_ESYNC (resynchronisation did not converge), MBMS_EIO (transport or
 * unexpected HTTP status), or another MBMS_E* from the library; out->error
 * says what happened. */
int mbmsd_ub_bootstrap(const char *bsf_url, struct mbms_gba_client *c,
		       struct mbmsd_ub_outcome *out);

/* One Ub GET as mbmsd_http_get does it (headers NULL-terminated, the
 * User-Agent apart): 0 with ex filled (any status; ex->body_too_large when
 * the body was over max_body), or -1 with err when no answer came. */
typedef int (*mbmsd_ub_get_fn)(void *ctx, const char *url, const char *const *headers,
			       const char *user_agent, size_t max_body,
			       struct mbmsd_http_exchange *ex, char *err, size_t err_cap);

/* The same with the GET made by `get`: mbmsd_ub_bootstrap uses libcurl in
 * this process (ub_http_curl.c); mbms-ue its HTTP helper, and so does not
 * link libcurl. */
int mbmsd_ub_bootstrap_via(const char *bsf_url, struct mbms_gba_client *c,
			   struct mbmsd_ub_outcome *out, mbmsd_ub_get_fn get, void *get_ctx);

#endif
