/* mbmsd_ub_bootstrap: the Ub driver (ub_http.c) with its GETs made by
 * libcurl in this process (http_client.c), for the mbmssec CLI and the
 * tests. Apart from ub_http.c so that mbms-ue links without libcurl. */
#include "ub_http.h"

static int curl_get(void *ctx, const char *url, const char *const *headers,
		    const char *user_agent, size_t max_body, struct mbmsd_http_exchange *ex,
		    char *err, size_t err_cap)
{
	(void)ctx;
	return mbmsd_http_get(url, headers, user_agent, NULL, NULL, max_body, ex, err, err_cap);
}

int mbmsd_ub_bootstrap(const char *bsf_url, struct mbms_gba_client *c,
		       struct mbmsd_ub_outcome *out)
{
	return mbmsd_ub_bootstrap_via(bsf_url, c, out, curl_get, NULL);
}
