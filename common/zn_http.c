/* The project's Zn client (see zn_http.h; docs/bsf.md describes the wire). */
#include "zn_http.h"

#include "http_client.h"

#include "mbmssec/error.h"
#include "mbmssec/ids.h"

#include <curl/curl.h>
#include <stdio.h>
#include <string.h>

int mbmsd_zn_fetch(const char *zn_url, const char *naf_fqdn, const char *secret,
		   const char *btid, const uint8_t ua_id[MBMS_UA_ID_LEN],
		   struct mbms_zn_response *out, long *http_status, char *err, size_t err_cap)
{
	*http_status = 0;
	if (!zn_url || !naf_fqdn || !*naf_fqdn || !secret || !btid || !*btid || !ua_id || !out)
		return MBMS_EINVAL;
	size_t fl = strlen(naf_fqdn);
	if (fl >= MBMS_GBA_HOST_MAX) {
		snprintf(err, err_cap, "NAF FQDN too long");
		return MBMS_EINVAL;
	}
	uint8_t naf_id[MBMS_GBA_HOST_MAX + MBMS_UA_ID_LEN];
	char naf_hex[2 * sizeof(naf_id) + 1];
	memcpy(naf_id, naf_fqdn, fl);
	memcpy(naf_id + fl, ua_id, MBMS_UA_ID_LEN);
	mbms_hex_encode(naf_id, fl + MBMS_UA_ID_LEN, naf_hex, sizeof(naf_hex));
	char *btid_esc = curl_easy_escape(NULL, btid, 0);
	if (!btid_esc) {
		snprintf(err, err_cap, "out of memory");
		return MBMS_ENOMEM;
	}
	size_t ul = strlen(zn_url);
	while (ul && zn_url[ul - 1] == '/')
		ul--;
	char url[2048];
	int n = snprintf(url, sizeof(url), "%.*s%s?btid=%s&naf_id=%s", (int)ul, zn_url, MBMS_ZN_PATH,
			 btid_esc, naf_hex);
	curl_free(btid_esc);
	if (n < 0 || (size_t)n >= sizeof(url)) {
		snprintf(err, err_cap, "Zn URL too long");
		return MBMS_EINVAL;
	}
	struct mbmsd_http_exchange ex;
	const char *headers[] = {"Accept: " MBMS_ZN_MEDIA_TYPE, NULL};
	if (mbmsd_http_get(url, headers, "mbmssec-naf/0.1", naf_fqdn, secret, MBMS_GBA_BODY_MAX, &ex,
			   err, err_cap))
		return MBMS_EIO;
	*http_status = ex.status;
	int rc = 0;
	if (ex.status == 200) {
		if (ex.body_too_large || !mbmsd_http_media_type_is(ex.content_type, MBMS_ZN_MEDIA_TYPE)) {
			snprintf(err, err_cap, "200 with a body that is not %s", MBMS_ZN_MEDIA_TYPE);
			rc = MBMS_ESYNTAX;
		} else if ((rc = mbms_zn_response_parse(ex.body, ex.body_len, out)) != 0) {
			snprintf(err, err_cap, "bad Zn answer: %s", mbms_strerror(rc));
		} else if (strcmp(out->btid, btid) != 0) {
			snprintf(err, err_cap, "the answer names another B-TID");
			rc = MBMS_ESYNTAX;
		}
	} else if (ex.status == 404) {
		snprintf(err, err_cap, "HTTP 404: unknown or expired B-TID");
		rc = MBMS_ENOTFOUND;
	} else if (ex.status == 401 || ex.status == 403) {
		snprintf(err, err_cap, "HTTP %ld: %s", ex.status,
			 ex.status == 401 ? "NAF credentials refused" : "NAF not allowed this NAF_ID");
		rc = MBMS_EAUTH;
	} else {
		snprintf(err, err_cap, "HTTP %ld from the BSF", ex.status);
		rc = MBMS_EIO;
	}
	mbmsd_http_exchange_free(&ex);
	if (rc)
		mbms_wipe(out, sizeof(*out));
	return rc;
}
