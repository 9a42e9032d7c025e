/* Ub bootstraps (TS 33.220, TS 24.109, RFC 3310; PROFILE.md 9, 10.15-16)
 * of UEs [0, n) with the library's GBA client, several in flight at once
 * (one per connection). Each UE is a fresh software USIM with the K and
 * OPc of its index (ident.c), so its first challenge is fresh whatever the
 * BSF's SQN. A bootstrapped UE gets its MUK = MRK = Ks_NAF for the BM-SC
 * FQDN and its B-TID. */
#include "lg.h"

#include "mbmssec/crypto.h"
#include "mbmssec/error.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct ub_conn {
	bool active;
	uint64_t ue;
	struct mbms_gba_client gc;
	char authz[MBMS_GBA_AUTH_MAX];
	unsigned tries;
	double t_start;
};

struct ub_run {
	struct lg_phase *ph;
	struct ub_conn *cs;
	uint64_t next_ue, finished;
	uint64_t *retry;  /* UEs whose connection died: start again */
	size_t nretry;
	double t0;
};

static struct ub_run *g_ub;

static bool rate_allows(const struct lg_opts *o, double t0, uint64_t issued)
{
	return o->rate <= 0 || (double)issued < (lg_now() - t0) * o->rate + 1;
}

static bool ub_next(struct lg *L, struct lg_conn *c, unsigned group, char *buf, size_t cap,
		    size_t *len, uint64_t *tag)
{
	(void)group;
	const struct lg_opts *o = lg_opts_of(L);
	struct ub_run *u = g_ub;
	struct ub_conn *uc = &u->cs[lg_conn_index(c)];
	if (!uc->active) {
		uint64_t ue;
		if (u->nretry)
			ue = u->retry[--u->nretry];
		else if (u->next_ue < o->n && rate_allows(o, u->t0, u->next_ue))
			ue = u->next_ue++;
		else
			return false;
		struct lg_ident id;
		lg_ident(o, ue, &id);
		int rc = mbms_gba_client_init(&uc->gc, id.impi, id.k, id.opc, o->bsf_host, NULL);
		mbms_wipe(&id, sizeof(id));
		if (rc == 0)
			rc = mbms_gba_client_first_request(&uc->gc, uc->authz, sizeof(uc->authz));
		if (rc) {
			u->ph->errors++;
			u->finished++;
			return false;
		}
		uc->active = true;
		uc->ue = ue;
		uc->tries = 0;
		uc->t_start = lg_now();
	}
	int n = snprintf(buf, cap,
			 "GET / HTTP/1.1\r\nHost: %s\r\nUser-Agent: " LG_USER_AGENT
			 "\r\nAuthorization: %s\r\n\r\n",
			 o->bsf_host, uc->authz);
	if (n < 0 || (size_t)n >= cap)
		return false;
	*len = (size_t)n;
	*tag = uc->ue;
	return true;
}

static void ub_done(struct lg *L, struct ub_conn *uc, bool ok)
{
	struct ub_run *u = g_ub;
	struct lg_report *r = lg_rep(L);
	if (ok) {
		u->ph->done++;
		r->st.bootstraps_ok++;
	} else {
		u->ph->errors++;
		r->st.bootstraps_failed++;
		lg_ues(L)[uc->ue].state = LG_UE_FAILED;
	}
	u->finished++;
	mbms_gba_client_wipe(&uc->gc);
	uc->active = false;
}

static void ub_response(struct lg *L, struct lg_conn *c, uint64_t tag,
			const struct lg_http_rsp *rsp)
{
	(void)tag;
	const struct lg_opts *o = lg_opts_of(L);
	struct ub_conn *uc = &g_ub->cs[lg_conn_index(c)];
	if (!uc->active)
		return;
	if (rsp->status == 401 && rsp->www_authenticate) {
		char cnonce[17];
		snprintf(cnonce, sizeof(cnonce), "%016llx", (unsigned long long)lg_rand64());
		enum mbms_gba_answer ans;
		int rc = mbms_gba_client_challenge(&uc->gc, rsp->www_authenticate,
						   strlen(rsp->www_authenticate), cnonce, uc->authz,
						   sizeof(uc->authz), &ans);
		if (rc || ans == MBMS_GBA_ANSWER_MAC_FAILURE || ++uc->tries > 4)
			ub_done(L, uc, false);
		/* else: the answer goes out as this connection's next request */
		return;
	}
	if (rsp->status == 200 && uc->gc.state == MBMS_GBA_CLIENT_WAIT_RESULT) {
		const char *ai = rsp->authentication_info;
		int rc = mbms_gba_client_result(&uc->gc, ai, ai ? strlen(ai) : 0, rsp->body,
						rsp->body_len, lg_wall_ms() / 1000);
		struct lg_ue *ue = &lg_ues(L)[uc->ue];
		const char *at = strchr(uc->gc.btid, '@');
		if (rc == 0 && (!at || at - uc->gc.btid != LG_RAND_B64 || strcmp(at + 1, o->bsf_host)))
			rc = MBMS_EINVAL; /* the population's B-TIDs are base64(RAND)@bsf_host */
		if (rc == 0)
			rc = mbms_gba_client_ks_naf(&uc->gc, o->fqdn, lg_wall_ms() / 1000, ue->muk);
		if (rc == 0) {
			memcpy(ue->btid_rand, uc->gc.btid, LG_RAND_B64);
			ue->state = LG_UE_BOOTSTRAPPED;
			ue->nonce[0] = '\0';
			lg_ue_prepare_auth(o, ue);
			lg_hist_add(&g_ub->ph->lat, (lg_now() - uc->t_start) * 1e6);
		}
		ub_done(L, uc, rc == 0);
		return;
	}
	ub_done(L, uc, false);
}

static void ub_failed(struct lg *L, struct lg_conn *c, uint64_t tag)
{
	(void)tag;
	struct ub_conn *uc = &g_ub->cs[lg_conn_index(c)];
	if (!uc->active)
		return;
	/* the connection died: start this UE over on some connection */
	if (++uc->tries > 4) {
		ub_done(L, uc, false);
		return;
	}
	g_ub->retry[g_ub->nretry++] = uc->ue;
	mbms_gba_client_wipe(&uc->gc);
	uc->active = false;
}

int lg_run_bootstrap(struct lg *L, struct lg_phase *ph, char *err, size_t cap)
{
	const struct lg_opts *o = lg_opts_of(L);
	struct lg_target t;
	if (lg_target_parse(o->bsf_url, o->bsf_host, &t, err, cap))
		return -1;
	struct ub_run u = {.ph = ph, .t0 = lg_now()};
	u.cs = calloc(o->conns, sizeof(*u.cs));
	u.retry = calloc(o->conns + 1, sizeof(*u.retry));
	if (!u.cs || !u.retry) {
		free(u.cs);
		free(u.retry);
		snprintf(err, cap, "out of memory");
		return -1;
	}
	g_ub = &u;
	struct lg_driver drv = {.next = ub_next, .response = ub_response, .failed = ub_failed};
	int rc = lg_http_start(L, &t, o->conns, lg_ip_count(o) < o->conns ? lg_ip_count(o) : o->conns,
			       &drv, err, cap);
	double deadline = lg_rep(L)->t_start + o->timeout;
	while (rc == 0 && !lg_stop && u.finished < o->n) {
		double now = lg_now();
		if (now > deadline) {
			snprintf(err, cap, "bootstrap: timeout after %.0f s (%llu of %llu done)",
				 o->timeout, (unsigned long long)ph->done, (unsigned long long)o->n);
			rc = -1;
			break;
		}
		lg_poll(L, o->rate > 0 ? 0.001 : 0.05);
		lg_http_kick(L);
		lg_progress(lg_rep(L), ph, false);
	}
	lg_http_stop(L);
	for (unsigned k = 0; k < o->conns; k++)
		mbms_gba_client_wipe(&u.cs[k].gc);
	free(u.cs);
	free(u.retry);
	g_ub = NULL;
	return rc;
}
