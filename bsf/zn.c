/* The project's Zn (NOT 3GPP: the real Zn is Diameter, TS 29.109). A NAF asks
 * GET /zn/v1/bootstrap?btid=<B-TID>&naf_id=<hex of FQDN || Ua id> with HTTP
 * Basic (user = its FQDN, password = its shared secret from the config) and
 * gets Ks_NAF, the IMPI and the lifetime (docs/bsf.md "Zn"). With a trace
 * open, the request and the answer are one event each (common/trace.h):
 * "BM-SC <NAF FQDN>" -> "BSF" and back; never Ks_NAF itself. */
#include "bsf.h"

#include "httpd.h"
#include "trace.h"

#include "mbmssec/crypto.h"
#include "mbmssec/error.h"
#include "mbmssec/ids.h"

#include <stdio.h>
#include <string.h>
#include <strings.h>

#define ZN_REALM "Basic realm=\"mbmssec-zn\""

/* What the trace says about one Zn exchange, filled in as it is handled. */
struct zn_trace {
	char naf[MBMSD_TRACE_ACTOR_MAX]; /* "BM-SC <FQDN>", or "BM-SC <ip>" until authenticated */
	char btid[MBMS_GBA_BTID_MAX];
	char note[MBMS_GBA_IMPI_MAX + 64];
};

/* Constant-time comparison of two secrets of any length: compare their
 * SHA-256 hashes, so neither the content nor the length leaks through time. */
static bool secret_equal(const char *a, const char *b)
{
	uint8_t ha[MBMS_SHA256_LEN], hb[MBMS_SHA256_LEN];
	struct mbms_buf pa = {(const uint8_t *)a, strlen(a)}, pb = {(const uint8_t *)b, strlen(b)};
	if (mbms_sha256_v(&pa, 1, ha) || mbms_sha256_v(&pb, 1, hb))
		return false;
	bool eq = mbms_ct_equal(ha, hb, sizeof(ha));
	mbms_wipe(ha, sizeof(ha));
	mbms_wipe(hb, sizeof(hb));
	return eq;
}

/* HTTP Basic (RFC 7617): the NAF this request comes from, or NULL. */
static const struct bsf_naf *authenticate(const struct bsf_ctx *ctx,
					  const struct mbmsd_http_request *req)
{
	const char *hdr = mbmsd_http_header(req, "Authorization");
	if (!hdr || strncasecmp(hdr, "Basic ", 6) != 0)
		return NULL;
	const char *b64 = hdr + 6;
	while (*b64 == ' ')
		b64++;
	char creds[MBMS_GBA_HOST_MAX + BSF_NAF_SECRET_MAX + 2];
	size_t n = 0;
	if (mbms_base64_decode(b64, strlen(b64), (uint8_t *)creds, sizeof(creds) - 1, &n) != 0)
		return NULL;
	creds[n] = '\0';
	const struct bsf_naf *naf = NULL;
	char *colon = memchr(creds, ':', n);
	if (colon && !memchr(creds, '\0', n)) {
		*colon = '\0';
		const struct bsf_naf *cand = bsf_config_naf(ctx->cfg, creds);
		/* compare even for an unknown NAF, against a value that never matches */
		bool ok = secret_equal(colon + 1, cand ? cand->secret : "\x01unknown-naf");
		naf = cand && ok ? cand : NULL;
	}
	mbms_wipe(creds, sizeof(creds));
	return naf;
}

static void serve(struct bsf_ctx *ctx, const struct mbmsd_http_request *req,
		  struct mbmsd_http_response *resp, struct zn_trace *tr)
{
	if (strcmp(req->url, MBMS_ZN_PATH) != 0) {
		snprintf(tr->note, sizeof(tr->note), "not the Zn path");
		mbmsd_http_status(resp, 404, "not found");
		return;
	}
	if (strcmp(req->method, "GET") != 0) {
		snprintf(tr->note, sizeof(tr->note), "only GET");
		mbmsd_http_status(resp, 405, "only GET");
		mbmsd_http_add_header(resp, "Allow", "GET");
		return;
	}
	const struct bsf_naf *naf = authenticate(ctx, req);
	if (!naf) {
		log_info("zn %s: 401 missing or wrong NAF credentials", req->peer);
		snprintf(tr->note, sizeof(tr->note), "missing or wrong NAF credentials");
		mbmsd_http_status(resp, 401, "NAF credentials required");
		mbmsd_http_add_header(resp, "WWW-Authenticate", ZN_REALM);
		return;
	}
	mbmsd_trace_actor(tr->naf, sizeof(tr->naf), MBMSD_TRACE_BMSC, naf->fqdn);
	const char *btid = mbmsd_http_query(req, "btid");
	const char *naf_hex = mbmsd_http_query(req, "naf_id");
	if (btid)
		snprintf(tr->btid, sizeof(tr->btid), "%s", btid);
	uint8_t naf_id[MBMS_GBA_HOST_MAX + MBMS_UA_ID_LEN], ua[MBMS_UA_ID_LEN];
	char fqdn[MBMS_GBA_HOST_MAX];
	size_t naf_len = 0;
	if (!btid || !*btid || !naf_hex ||
	    mbms_hex_decode(naf_hex, strlen(naf_hex), naf_id, sizeof(naf_id), &naf_len) != 0 ||
	    mbms_naf_id_split(naf_id, naf_len, fqdn, sizeof(fqdn), ua) != 0) {
		log_info("zn naf=%s: 400 btid or naf_id missing or malformed", naf->fqdn);
		snprintf(tr->note, sizeof(tr->note), "btid or naf_id missing or malformed");
		mbmsd_http_status(resp, 400, "btid and naf_id (hex of FQDN || Ua id) required");
		return;
	}
	if (strcmp(fqdn, naf->fqdn) != 0) {
		log_warn("zn naf=%s: 403 asked for the NAF_ID of %s", naf->fqdn, fqdn);
		snprintf(tr->note, sizeof(tr->note), "asked for the NAF_ID of %s", fqdn);
		mbmsd_http_status(resp, 403, "a NAF may only ask for its own NAF_ID");
		return;
	}
	uint64_t now = bsf_now();
	struct mbms_gba_bootstrap bs;
	int rc = bsf_store_boot_get(ctx->store, btid, now, &bs);
	if (rc == MBMS_ENOTFOUND || rc == MBMS_EEXPIRED) {
		log_info("zn naf=%s btid=%s: 404 %s", naf->fqdn, btid,
			 rc == MBMS_EEXPIRED ? "expired" : "unknown B-TID");
		snprintf(tr->note, sizeof(tr->note), "%s",
			 rc == MBMS_EEXPIRED ? "expired B-TID" : "unknown B-TID");
		mbmsd_http_status(resp, 404, "unknown or expired B-TID");
		return;
	}
	struct mbms_zn_response zr;
	char body[2048];
	size_t body_len = 0;
	memset(&zr, 0, sizeof(zr));
	if (rc == 0)
		rc = mbms_gba_bootstrap_ks_naf(&bs, fqdn, ua, now, zr.ks_naf);
	if (rc == 0) {
		memcpy(zr.btid, bs.btid, sizeof(zr.btid));
		memcpy(zr.impi, bs.impi, sizeof(zr.impi));
		zr.expires_at = bs.expires_at;
		mbmsd_log_key("Ks_NAF", zr.ks_naf, sizeof(zr.ks_naf));
		rc = mbms_zn_response_format(&zr, body, sizeof(body), &body_len);
	}
	if (rc == 0 && mbmsd_http_set_body(resp, 200, MBMS_ZN_MEDIA_TYPE, body, body_len))
		rc = MBMS_ENOMEM;
	if (rc == 0) {
		log_info("zn naf=%s btid=%s: 200 Ks_NAF for impi=%s", naf->fqdn, btid, bs.impi);
		snprintf(tr->note, sizeof(tr->note), "Ks_NAF for %s", bs.impi);
	} else {
		log_error("zn naf=%s btid=%s: %s", naf->fqdn, btid, mbms_strerror(rc));
		snprintf(tr->note, sizeof(tr->note), "%s", mbms_strerror(rc));
		mbmsd_http_status(resp, 500, "internal error");
	}
	mbms_wipe(&zr, sizeof(zr));
	mbms_wipe(&bs, sizeof(bs));
	mbms_wipe(body, sizeof(body));
}

static const char *answer_name(unsigned code)
{
	switch (code) {
	case 200: return "Ks_NAF, IMPI, lifetime";
	case 400: return "Bad Request";
	case 401: return "NAF credentials required";
	case 403: return "Forbidden";
	case 404: return "unknown or expired B-TID";
	case 405: return "Method Not Allowed";
	default: return "error";
	}
}

void bsf_zn_handle(void *user, const struct mbmsd_http_request *req,
		   struct mbmsd_http_response *resp)
{
	struct bsf_ctx *ctx = user;
	struct zn_trace tr = {0};
	if (!mbmsd_trace_on()) {
		serve(ctx, req, resp, &tr);
		bsf_metrics_zn(tr.naf, resp->status ? resp->status : 500, tr.note); /* admin.c */
		return;
	}
	/* the peer's address until the NAF has authenticated */
	const char *colon = strrchr(req->peer, ':');
	snprintf(tr.naf, sizeof(tr.naf), MBMSD_TRACE_BMSC " %.*s",
		 (int)(colon ? (size_t)(colon - req->peer) : strlen(req->peer)), req->peer);
	serve(ctx, req, resp, &tr);
	bsf_metrics_zn(tr.naf, resp->status ? resp->status : 500, tr.note);
	/* the request is traced after authentication named its sender; its
	 * time is that of the answer (both within the same millisecond or so) */
	mbmsd_trace(.from = tr.naf, .to = MBMSD_TRACE_BSF, .proto = MBMSD_TRACE_ZN,
		    .msg = "GET " MBMS_ZN_PATH, .btid = tr.btid[0] ? tr.btid : NULL);
	unsigned code = resp->status ? resp->status : 500;
	char msg[64];
	snprintf(msg, sizeof(msg), "%u %s", code, answer_name(code));
	mbmsd_trace(.from = MBMSD_TRACE_BSF, .to = tr.naf, .proto = MBMSD_TRACE_ZN, .msg = msg,
		    .code = code, .btid = tr.btid[0] ? tr.btid : NULL,
		    .note = tr.note[0] ? tr.note : NULL);
}
