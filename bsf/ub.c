/* Ub (TS 24.109 5.3, PROFILE.md 10.15 / 10.16): GET / with HTTP Digest AKA.
 * Every protocol decision is the library's (lib/gba_server.c); this file
 * maps its results onto HTTP and the store, and logs one line per outcome
 * (IMPI or B-TID and the result; never K, OPc, RES, CK, IK or Ks). With a
 * trace open (--trace), each request and its answer are one event each
 * (common/trace.h): "UE <IMPI>" -> "BSF" and back. */
#include "bsf.h"

#include "httpd.h"
#include "trace.h"

#include "mbmssec/crypto.h"
#include "mbmssec/error.h"

#include <stdio.h>
#include <string.h>

/* What the trace says about one Ub exchange, filled in as it is handled. */
struct ub_trace {
	char ue[MBMSD_TRACE_ACTOR_MAX]; /* "UE <IMPI>", or "UE <ip>" before the IMPI is known */
	bool request_traced;
	char btid[MBMS_GBA_BTID_MAX];   /* of a 200 */
	char note[128];                 /* why this answer */
};

static void trace_request(struct ub_trace *tr, const char *note)
{
	mbmsd_trace(.from = tr->ue, .to = MBMSD_TRACE_BSF, .proto = MBMSD_TRACE_UB,
		    .msg = "GET / (Ub)", .note = note);
	tr->request_traced = true;
}

static void trace_why(struct ub_trace *tr, const char *why)
{
	snprintf(tr->note, sizeof(tr->note), "%s", why);
}

/* 401 with a fresh challenge; the new SQN and the challenge are stored
 * before the 401 leaves. */
static void challenge(struct bsf_ctx *ctx, const struct mbms_gba_subscriber *sub,
		      const char *why, struct mbmsd_http_response *resp, struct ub_trace *tr)
{
	uint8_t rand[MBMS_GBA_RAND_LEN];
	struct mbms_gba_challenge ch;
	char www[MBMS_GBA_AUTH_MAX];
	int rc = mbms_random(rand, sizeof(rand));
	if (rc == 0)
		rc = mbms_gba_server_challenge(ctx->cfg->host, sub, rand, &ch, www, sizeof(www));
	if (rc == 0)
		rc = bsf_store_challenge_commit(ctx->store, sub->impi, &ch, bsf_now());
	mbms_wipe(&ch, sizeof(ch));
	if (rc) {
		log_error("ub impi=%s: cannot make a challenge: %s", sub->impi, mbms_strerror(rc));
		trace_why(tr, "cannot make a challenge");
		mbmsd_http_status(resp, 500, "internal error");
		return;
	}
	log_info("ub impi=%s: 401 challenge (%s)", sub->impi, why);
	trace_why(tr, why);
	mbmsd_http_status(resp, 401, "authentication required");
	mbmsd_http_add_header(resp, "WWW-Authenticate", www);
}

static void success(struct bsf_ctx *ctx, const struct mbms_gba_subscriber *sub,
		    const struct mbms_gba_challenge *ch, const struct mbms_gba_authz *a,
		    struct mbmsd_http_response *resp, struct ub_trace *tr)
{
	struct mbms_gba_bootstrap bs;
	char body[1024], ai[MBMS_GBA_AUTH_MAX];
	size_t body_len = 0;
	uint64_t expires = bsf_now() + ctx->cfg->key_lifetime;
	int rc = mbms_gba_server_success(ctx->cfg->host, sub, ch, a, expires, &bs, body,
					 sizeof(body), &body_len, ai, sizeof(ai));
	if (rc == 0) /* the challenge goes and the bootstrap comes in one synced commit */
		rc = bsf_store_answer_commit(ctx->store, ch->rand, &bs);
	if (rc == 0)
		mbmsd_log_key("Ks", bs.ks, sizeof(bs.ks));
	if (rc == 0 && mbmsd_http_set_body(resp, 200, MBMS_GBA_BSF_MEDIA_TYPE, body, body_len))
		rc = MBMS_ENOMEM;
	if (rc == 0)
		mbmsd_http_add_header(resp, "Authentication-Info", ai);
	if (rc) {
		log_error("ub impi=%s: bootstrap not stored: %s", sub->impi, mbms_strerror(rc));
		trace_why(tr, "bootstrap not stored");
		mbmsd_http_status(resp, 500, "internal error");
	} else {
		log_info("ub impi=%s: 200 bootstrapped btid=%s lifetime=%llus", sub->impi, bs.btid,
			 (unsigned long long)ctx->cfg->key_lifetime);
		snprintf(tr->btid, sizeof(tr->btid), "%s", bs.btid);
		snprintf(tr->note, sizeof(tr->note), "bootstrapped, lifetime %llu s",
			 (unsigned long long)ctx->cfg->key_lifetime);
	}
	mbms_wipe(&bs, sizeof(bs));
}

static void answer(struct bsf_ctx *ctx, const struct mbmsd_http_request *req,
		   struct mbms_gba_subscriber *sub, const struct mbms_gba_authz *a,
		   struct mbmsd_http_response *resp, struct ub_trace *tr)
{
	uint8_t rand[MBMS_GBA_RAND_LEN];
	struct mbms_gba_challenge ch;
	if (mbms_gba_nonce_rand(a->nonce, rand) != 0) {
		log_info("ub impi=%s: 400 nonce is not base64(RAND||AUTN)", sub->impi);
		trace_why(tr, "nonce is not base64(RAND||AUTN)");
		mbmsd_http_status(resp, 400, "malformed nonce");
		return;
	}
	int rc = bsf_store_pending_get(ctx->store, sub->impi, rand, bsf_now(), &ch);
	if (rc == MBMS_ENOTFOUND) {
		/* unknown, answered already, or older than 60 s: start again */
		challenge(ctx, sub, "unknown or stale nonce", resp, tr);
		return;
	}
	if (rc) {
		trace_why(tr, "store error");
		mbmsd_http_status(resp, 500, "internal error");
		return;
	}
	enum mbms_gba_verdict verdict;
	uint64_t sqn_ms = 0;
	rc = mbms_gba_server_verify(ctx->cfg->host, sub, &ch, a, req->method, req->url, req->body,
				    req->body_len, &verdict, &sqn_ms);
	/* one answer per challenge, whatever its outcome (a right one deletes
	 * it in success(), with the bootstrap) */
	if (rc != 0 && bsf_store_answer_commit(ctx->store, rand, NULL) != 0) {
		trace_why(tr, "store error");
		mbmsd_http_status(resp, 500, "internal error");
		mbms_wipe(&ch, sizeof(ch));
		return;
	}
	if (rc == 0) {
		success(ctx, sub, &ch, a, resp, tr);
	} else if (rc == MBMS_ESYNC) {
		/* TS 33.102 6.3.5: take SQN_MS from AUTS and challenge again. */
		if (bsf_store_sub_set_sqn(ctx->store, sub->impi, sqn_ms) != 0) {
			trace_why(tr, "store error");
			mbmsd_http_status(resp, 500, "internal error");
		} else {
			sub->sqn = sqn_ms;
			challenge(ctx, sub, "resynchronised from AUTS", resp, tr);
		}
	} else if (rc == MBMS_ESYNTAX) {
		log_info("ub impi=%s: 400 answer does not match the challenge (realm/uri/qop)",
			 sub->impi);
		trace_why(tr, "answer does not match the challenge");
		mbmsd_http_status(resp, 400, "answer does not match the challenge");
	} else if (rc == MBMS_EAUTH) {
		const char *why = verdict == MBMS_GBA_VERDICT_UE_MAC_FAIL
					  ? "the UE rejected AUTN (MAC-A failure)"
				  : verdict == MBMS_GBA_VERDICT_BAD_AUTS ? "AUTS with a wrong MAC-S"
									  : "wrong RES";
		log_warn("ub impi=%s: 403 authentication failed: %s", sub->impi, why);
		trace_why(tr, why);
		mbmsd_http_status(resp, 403, "authentication failed");
	} else {
		log_error("ub impi=%s: verification error: %s", sub->impi, mbms_strerror(rc));
		trace_why(tr, "verification error");
		mbmsd_http_status(resp, 500, "internal error");
	}
	mbms_wipe(&ch, sizeof(ch));
}

static void serve(struct bsf_ctx *ctx, const struct mbmsd_http_request *req,
		  struct mbmsd_http_response *resp, struct ub_trace *tr)
{
	if (strcmp(req->url, MBMS_GBA_UB_URI) != 0) {
		trace_why(tr, "not the Ub URI");
		mbmsd_http_status(resp, 404, "not found");
		return;
	}
	if (strcmp(req->method, MBMS_GBA_UB_METHOD) != 0) {
		trace_why(tr, "only GET");
		mbmsd_http_status(resp, 405, "only GET");
		mbmsd_http_add_header(resp, "Allow", "GET");
		return;
	}
	const char *ua = mbmsd_http_header(req, "User-Agent");
	if (!ua || !strstr(ua, MBMS_GBA_UA_TOKEN)) {
		log_info("ub %s: 403 User-Agent without " MBMS_GBA_UA_TOKEN, req->peer);
		trace_why(tr, "User-Agent without " MBMS_GBA_UA_TOKEN);
		mbmsd_http_status(resp, 403, "User-Agent must carry " MBMS_GBA_UA_TOKEN);
		return;
	}
	const char *hdr = mbmsd_http_header(req, "Authorization");
	struct mbms_gba_authz a;
	if (!hdr || mbms_gba_server_parse_authz(hdr, strlen(hdr), &a) != 0) {
		log_info("ub %s: 400 %s Authorization", req->peer, hdr ? "malformed" : "no");
		trace_why(tr, hdr ? "malformed Authorization" : "no Authorization");
		mbmsd_http_status(resp, 400, "malformed or missing Authorization");
		return;
	}
	mbmsd_trace_actor(tr->ue, sizeof(tr->ue), MBMSD_TRACE_UE, a.impi);
	trace_request(tr, a.initial    ? "first request: IMPI"
			  : a.has_auts ? "answer: AUTS (synchronisation failure)"
				       : "answer: Digest response (RES)");
	struct mbms_gba_subscriber sub;
	int rc = bsf_store_sub_get(ctx->store, a.impi, &sub);
	if (rc == MBMS_ENOTFOUND) {
		log_info("ub impi=%s: 403 unknown IMPI", a.impi);
		trace_why(tr, "unknown IMPI");
		mbmsd_http_status(resp, 403, "unknown subscriber");
		return;
	}
	if (rc) {
		trace_why(tr, "store error");
		mbmsd_http_status(resp, 500, "internal error");
		return;
	}
	if (a.initial)
		challenge(ctx, &sub, "first request", resp, tr);
	else
		answer(ctx, req, &sub, &a, resp, tr);
	mbms_wipe(&sub, sizeof(sub));
}

static const char *answer_name(unsigned code)
{
	switch (code) {
	case 200: return "B-TID";
	case 400: return "Bad Request";
	case 401: return "Digest AKA challenge";
	case 403: return "Forbidden";
	case 404: return "Not Found";
	case 405: return "Method Not Allowed";
	default: return "error";
	}
}

/* The peer's address without the port: the name of a UE not yet known. */
static void peer_ip(const char *peer, char *out, size_t cap)
{
	const char *colon = strrchr(peer, ':');
	size_t n = colon ? (size_t)(colon - peer) : strlen(peer);
	if (n >= 2 && peer[0] == '[' && peer[n - 1] == ']')
		snprintf(out, cap, "%.*s", (int)(n - 2), peer + 1);
	else
		snprintf(out, cap, "%.*s", (int)n, peer);
}

void bsf_ub_handle(void *user, const struct mbmsd_http_request *req,
		   struct mbmsd_http_response *resp)
{
	struct bsf_ctx *ctx = user;
	struct ub_trace tr = {0};
	bool tracing = mbmsd_trace_on();
	if (tracing) {
		char ip[64];
		peer_ip(req->peer, ip, sizeof(ip));
		mbmsd_trace_actor(tr.ue, sizeof(tr.ue), MBMSD_TRACE_UE, ip);
	}
	serve(ctx, req, resp, &tr);
	bsf_metrics_ub(tr.ue, resp->status ? resp->status : 500, tr.note); /* admin.c */
	if (!tracing)
		return;
	if (!tr.request_traced)
		trace_request(&tr, NULL);
	unsigned code = resp->status ? resp->status : 500;
	char msg[64];
	snprintf(msg, sizeof(msg), "%u %s", code, answer_name(code));
	mbmsd_trace(.from = MBMSD_TRACE_BSF, .to = tr.ue, .proto = MBMSD_TRACE_UB, .msg = msg,
		    .code = code, .btid = tr.btid[0] ? tr.btid : NULL,
		    .note = tr.note[0] ? tr.note : NULL);
}
