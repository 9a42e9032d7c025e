/* Daemon support: the project's Zn client (a NAF asking the BSF for Ks_NAF
 * over HTTP; project-specific, not 3GPP: docs/bsf.md). Used by the mbmssec
 * CLI and the BM-SC daemon. */
#ifndef MBMSD_ZN_HTTP_H
#define MBMSD_ZN_HTTP_H

#include "mbmssec/gba.h"

#include <stddef.h>
#include <stdint.h>

/* GET <zn_url>/zn/v1/bootstrap?btid=..&naf_id=hex(naf_fqdn || ua_id) with
 * HTTP Basic (naf_fqdn, secret). 0 with out filled (the answer's B-TID must
 * be the one asked for), MBMS_ENOTFOUND on 404 (unknown or expired B-TID),
 * MBMS_EAUTH on 401/403, MBMS_ESYNTAX for a bad answer body, MBMS_EIO
 * otherwise. *http_status gets the status (0 when no answer). */
int mbmsd_zn_fetch(const char *zn_url, const char *naf_fqdn, const char *secret,
		   const char *btid, const uint8_t ua_id[MBMS_UA_ID_LEN],
		   struct mbms_zn_response *out, long *http_status, char *err, size_t err_cap);

#endif
