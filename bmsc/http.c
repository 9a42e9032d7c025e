/* bmscd's two HTTP listeners. Key management (PROFILE.md 7, 8): every
 * request goes to the library (mbms_bmsc_http); when it asks for Ks_NAF,
 * this file fetches it over Zn without holding the lock and hands the
 * answer back. Admin (loopback): status, solicit, rotate. No protocol
 * decisions here. */
#include "bmscd.h"

#include "config.h"
#include "rx_guard.h"
#include "stream.h"
#include "zn_http.h"

#include "mbmssec/crypto.h"
#include "mbmssec/error.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define STATUS_JSON_MAX (1024 * 1024)

int bmscd_peer_addr(const char *peer, struct mbms_bmsc_addr *out)
{
	char host[64];
	uint16_t port;
	memset(out, 0, sizeof(*out));
	if (mbmsd_parse_hostport(peer, host, sizeof(host), &port, true))
		return MBMS_ESYNTAX;
	return mbms_bmsc_addr_from_ip(host, port, out);
}

/* Copy the library's answer into the helper's response (the body lives in
 * the library until its next call: copy under the lock). */
static void to_response(const struct mbms_bmsc_http_rsp *r, struct mbmsd_http_response *resp)
{
	if (r->content_type && r->body) {
		if (mbmsd_http_set_body(resp, r->status, r->content_type, r->body, r->body_len)) {
			mbmsd_http_status(resp, 500, "out of memory");
			return;
		}
	} else {
		resp->status = r->status;
	}
	if (r->www_authenticate[0])
		mbmsd_http_add_header(resp, "WWW-Authenticate", r->www_authenticate);
	if (r->auth_info[0])
		mbmsd_http_add_header(resp, "Authentication-Info", r->auth_info);
	if (r->allow[0])
		mbmsd_http_add_header(resp, "Allow", r->allow);
	if (r->retry_after) {
		char v[16];
		snprintf(v, sizeof(v), "%u", r->retry_after);
		mbmsd_http_add_header(resp, "Retry-After", v);
	}
}

/* Zn: Ks_NAF for btid with NAF_ID = FQDN || 01 00 00 00 01 (TS 33.220
 * 4.5.2); the library wants the answer's status, not the transport's. */
static void zn_fetch(struct bmscd *d, const char *btid, struct mbms_bmsc_zn_answer *ans)
{
	char err[256] = "";
	long http_status = 0;
	memset(ans, 0, sizeof(*ans));
	int rc = mbmsd_zn_fetch(d->cfg.zn_url, d->cfg.fqdn, d->cfg.zn_secret, btid,
				mbms_ua_id_mbms, &ans->zn, &http_status, err, sizeof(err));
	if (rc == 0) {
		ans->status = 0;
		mbmsd_log_key("Ks_NAF (MRK, MUK)", ans->zn.ks_naf, sizeof(ans->zn.ks_naf));
	} else {
		memset(&ans->zn, 0, sizeof(ans->zn));
		ans->status = rc == MBMS_ENOTFOUND ? MBMS_ENOTFOUND : MBMS_EIO;
		if (rc != MBMS_ENOTFOUND)
			log_error("zn btid=%.80s: %s (HTTP %ld)", btid, err, http_status);
	}
	snprintf(ans->zn.btid, sizeof(ans->zn.btid), "%s", btid);
}

/* A Zn lookup parked with the request (mbmsd_http_defer): it runs on one of
 * the listener's worker threads, so a slow BSF holds up only the requests
 * that wait for it, not every UE's. */
struct zn_job {
	struct bmscd *d;
	char btid[MBMS_BMSC_BTID_MAX];
	struct mbms_bmsc_zn_answer ans;
};

static void zn_work(void *arg)
{
	struct zn_job *j = arg;
	zn_fetch(j->d, j->btid, &j->ans);
}

static void zn_job_free(struct zn_job *j)
{
	mbms_wipe(j, sizeof(*j));
	free(j);
}

static void zn_job_drop(void *arg) { zn_job_free(arg); }

void bmscd_km_handle(void *user, const struct mbmsd_http_request *req,
		     struct mbmsd_http_response *resp)
{
	struct bmscd *d = user;
	struct mbms_bmsc_http_req hr = {
		.method = req->method,
		.path = req->url,
		.requesttype = mbmsd_http_query(req, "requesttype"),
		.content_type = mbmsd_http_header(req, "Content-Type"),
		.authorization = mbmsd_http_header(req, "Authorization"),
		.ue_port = mbmsd_http_header(req, MBMS_PROFILE_UE_PORT_HEADER),
		.body = req->body ? req->body : (const uint8_t *)"",
		.body_len = req->body_len,
		.peer_text = req->peer,
	};
	struct zn_job *done = req->deferred; /* back with the Zn answer */
	if (bmscd_peer_addr(req->peer, &hr.peer)) {
		if (done)
			zn_job_free(done);
		mbmsd_http_status(resp, 500, "unknown peer address");
		return;
	}
	struct mbms_bmsc_http_rsp r;
	pthread_mutex_lock(&d->lock);
	int rc = mbms_bmsc_http(d->core, &hr, done ? &done->ans : NULL, bmscd_now_ms(), &r);
	if (done) {
		zn_job_free(done);
		if (rc == 0 && r.need_zn)
			r.status = 500; /* cannot happen: the answer names the B-TID asked */
	} else if (rc == 0 && r.need_zn) {
		struct zn_job *j = malloc(sizeof(*j));
		if (j) {
			j->d = d;
			snprintf(j->btid, sizeof(j->btid), "%s", r.zn_btid);
		}
		bmscd_drain(d);
		pthread_mutex_unlock(&d->lock);
		if (j && mbmsd_http_defer(req, zn_work, zn_job_drop, j) == 0)
			return; /* answered when the lookup is done */
		if (!j) {
			mbmsd_http_status(resp, 500, "out of memory");
			return;
		}
		zn_work(j); /* no worker: look it up here */
		pthread_mutex_lock(&d->lock);
		rc = mbms_bmsc_http(d->core, &hr, &j->ans, bmscd_now_ms(), &r);
		zn_job_free(j);
		if (rc == 0 && r.need_zn)
			r.status = 500;
	}
	if (rc)
		mbmsd_http_status(resp, 500, "internal error");
	else
		to_response(&r, resp);
	/* the exchange is traced before the datagrams it set off (the push that
	 * answers an MSK request), so that a merged trace keeps cause first */
	if (rc == 0)
		bmscd_trace_http(d, &hr, &r);
	bmscd_drain(d);
	/* Nothing is acknowledged that is not durable: when the state store
	 * failed (disk full, I/O error), a POST gets 503 and the UE retries
	 * after a restart -- not a 200 whose registration a restart forgets. */
	if (d->db_failed && strcmp(req->method, "POST") == 0 && resp->status == 200) {
		resp->nheaders = 0;
		mbmsd_http_status(resp, 503, "state store unavailable");
		mbmsd_http_add_header(resp, "Retry-After", "30");
	}
	pthread_mutex_unlock(&d->lock);
	bmscd_wake_if_needed(d); /* no pipe write per request when nothing moved earlier */
	bmscd_metrics_request(&hr, resp->status);
}

/* ---- admin ---- */

static void json(struct mbmsd_http_response *resp, unsigned status, const char *text)
{
	if (mbmsd_http_set_body(resp, status, "application/json", text, strlen(text)))
		mbmsd_http_status(resp, 500, "out of memory");
}

static void admin_status(struct bmscd *d, struct mbmsd_http_response *resp)
{
	size_t cap = 64 * 1024, len = 0;
	for (;;) {
		char *buf = malloc(cap + 256); /* + the udp_guard member */
		if (!buf) {
			mbmsd_http_status(resp, 500, "out of memory");
			return;
		}
		pthread_mutex_lock(&d->lock);
		int rc = mbms_bmsc_status_json(d->core, bmscd_now_ms(), buf, cap, &len);
		pthread_mutex_unlock(&d->lock);
		if (rc == MBMS_ENOSPC && cap < STATUS_JSON_MAX) {
			free(buf);
			cap *= 4;
			continue;
		}
		if (rc) {
			free(buf);
			mbmsd_http_status(resp, 500, mbms_strerror(rc));
			return;
		}
		len = bmscd_rx_status_append(buf, len, cap + 254);
		buf[len++] = '\n';
		if (mbmsd_http_set_body(resp, 200, "application/json", buf, len))
			mbmsd_http_status(resp, 500, "out of memory");
		free(buf);
		return;
	}
}

void bmscd_admin_handle(void *user, const struct mbmsd_http_request *req,
			struct mbmsd_http_response *resp)
{
	struct bmscd *d = user;
	bool get = strcmp(req->method, "GET") == 0, post = strcmp(req->method, "POST") == 0;
	char out[512];
	if (bmscd_admin_more(d, req, resp)) /* /metrics, /status in a browser: metrics.c */
		return;
	if (bmscd_stream_admin(d, req, resp)) /* /stream, /streams, /mtk: stream.c */
		return;
	if (strcmp(req->url, "/status") == 0) {
		if (!get) {
			mbmsd_http_status(resp, 405, "GET /status");
			mbmsd_http_add_header(resp, "Allow", "GET");
			return;
		}
		admin_status(d, resp);
		return;
	}
	if (strcmp(req->url, "/solicit") == 0 || strcmp(req->url, "/rotate") == 0) {
		if (!post) {
			mbmsd_http_status(resp, 405, "use POST");
			mbmsd_http_add_header(resp, "Allow", "POST");
			return;
		}
		bool solicit = req->url[1] == 's';
		const char *arg = mbmsd_http_query(req, solicit ? "service" : "key_group");
		if (!arg || !*arg) {
			mbmsd_http_status(resp, 400, solicit ? "?service=ID is required"
							     : "?key_group=N is required");
			return;
		}
		int rc;
		pthread_mutex_lock(&d->lock);
		if (solicit) {
			size_t ues = 0;
			rc = mbms_bmsc_solicit(d->core, arg, bmscd_now_ms(), &ues);
			if (rc == 0) {
				char esc[2 * MBMS_KMXML_URI_MAX];
				size_t n = 0;
				for (const char *p = arg; *p && n < sizeof(esc) - 3; p++) {
					if (*p == '"' || *p == '\\')
						esc[n++] = '\\';
					esc[n++] = *p;
				}
				esc[n] = '\0';
				snprintf(out, sizeof(out),
					 "{\"solicit\":\"%.300s\",\"registered_ues\":%zu}\n", esc, ues);
			}
		} else {
			uint64_t kg = 0;
			uint32_t msk_id = 0;
			rc = mbmsd_parse_u64(arg, 0, 65535, &kg) ? MBMS_EINVAL
				 : mbms_bmsc_rotate(d->core, (uint16_t)kg, bmscd_now_ms(), &msk_id);
			if (rc == 0) {
				uint32_t cur = 0, next = 0;
				mbms_bmsc_key_group_msks(d->core, (uint16_t)kg, &cur, &next);
				char nx[16] = "null";
				if (next)
					snprintf(nx, sizeof(nx), "\"%08x\"", next);
				snprintf(out, sizeof(out),
					 "{\"rotate\":%llu,\"msk_id\":\"%08x\",\"current_msk_id\":"
					 "\"%08x\",\"next_msk_id\":%s}\n",
					 (unsigned long long)kg, msk_id, cur, nx);
			}
		}
		bmscd_drain(d);
		pthread_mutex_unlock(&d->lock);
		bmscd_wake(d);
		if (rc == 0)
			json(resp, 200, out);
		else if (rc == MBMS_ENOTFOUND)
			mbmsd_http_status(resp, 404, solicit ? "no such service" : "no such key group");
		else if (rc == MBMS_EINVAL)
			mbmsd_http_status(resp, 400, "key_group is a number 0..65535");
		else
			mbmsd_http_status(resp, 500, mbms_strerror(rc));
		log_info("admin %s %s from %s: %u", req->url + 1, arg, req->peer, resp->status);
		bmscd_metrics_admin(solicit, arg, resp->status);
		char what[400];
		snprintf(what, sizeof(what), "%s %s%.300s", req->url + 1,
			 solicit ? "" : "key group ", arg);
		bmscd_trace_admin(d, what, resp->status);
		return;
	}
	mbmsd_http_status(resp, 404, "GET /status, GET /metrics, POST /solicit?service=ID, "
				     "POST /rotate?key_group=N");
}
