/* `mbms-loadgen plain`: the same HTTP load without any protocol, for the
 * baselines of figures 5 and 7 (a plain server answering 200, e.g.
 * bench/bench_mhd_baseline.c). The requests have the size and shape of the
 * real ones -- same method, path, header names and lengths, body -- but the
 * Authorization is a fixed string and nothing in the answer is checked
 * beyond its status, so the difference to a real run is the server's work
 * and the client's Digest and XML work.
 *   default      POST like an MSK request (figure 5)
 *   --ub-pairs   two GETs like the two Ub requests of a bootstrap; one unit
 *                is the pair (figure 7) */
#include "lg.h"

#include "mbmssec/kmxml.h"
#include "mbmssec/profile.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct plain_run {
	struct lg_phase *ph;
	uint64_t issued, target;
	double t0, t_end;
	char req[2][2048];
	size_t req_len[2];
	unsigned steps;        /* requests per unit */
	unsigned *step;        /* per connection: next request of the unit */
	double *t_unit;
};

static struct plain_run *g_pl;

static bool pl_next(struct lg *L, struct lg_conn *c, unsigned group, char *buf, size_t cap,
		    size_t *len, uint64_t *tag)
{
	(void)group;
	const struct lg_opts *o = lg_opts_of(L);
	struct plain_run *p = g_pl;
	unsigned k = lg_conn_index(c);
	if (p->step[k] == 0) {
		if (p->issued >= p->target || (p->t_end > 0 && lg_now() >= p->t_end) ||
		    (o->rate > 0 && (double)p->issued >= (lg_now() - p->t0) * o->rate + 1))
			return false;
		p->issued++;
		p->t_unit[k] = lg_now();
	}
	size_t n = p->req_len[p->step[k]];
	if (n > cap)
		return false;
	memcpy(buf, p->req[p->step[k]], n);
	*len = n;
	*tag = p->step[k];
	return true;
}

static void pl_response(struct lg *L, struct lg_conn *c, uint64_t tag,
			const struct lg_http_rsp *rsp)
{
	(void)L;
	struct plain_run *p = g_pl;
	unsigned k = lg_conn_index(c);
	if (rsp->status < 200 || rsp->status > 299) {
		p->ph->errors++;
		p->step[k] = 0;
		return;
	}
	if (tag + 1 < p->steps) {
		p->step[k] = (unsigned)tag + 1;
		return;
	}
	p->step[k] = 0;
	p->ph->done++;
	lg_hist_add(&p->ph->lat, (lg_now() - p->t_unit[k]) * 1e6);
}

static void pl_failed(struct lg *L, struct lg_conn *c, uint64_t tag)
{
	(void)L;
	(void)tag;
	g_pl->ph->errors++;
	g_pl->step[lg_conn_index(c)] = 0;
}

int lg_run_plain(struct lg *L, struct lg_phase *ph, char *err, size_t cap)
{
	const struct lg_opts *o = lg_opts_of(L);
	struct lg_target t;
	if (lg_target_parse(o->plain_url, NULL, &t, err, cap))
		return -1;
	static struct plain_run p;
	memset(&p, 0, sizeof(p));
	p.ph = ph;
	p.t0 = lg_now();
	p.t_end = o->duration > 0 ? p.t0 + o->duration : 0;
	p.target = o->requests ? o->requests : (o->duration > 0 ? UINT64_MAX : 1000);
	ph->target = p.target == UINT64_MAX ? 0 : p.target;
	/* a Digest Authorization of the real requests' length (its content is
	 * not looked at) */
	static const char fake_digest[] =
		"Digest username=\"AAAAAAAAAAAAAAAAAAAAAA==@bsf.mnc001.mcc001.pub.3gppnetwork.org\", "
		"realm=\"3GPP-bootstrapping@bmsc.mbms.mnc001.mcc001.pub.3gppnetwork.org\", "
		"nonce=\"AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=\", "
		"uri=\"/keymanagement?requesttype=msk-request\", "
		"response=\"00000000000000000000000000000000\", algorithm=MD5, qop=auth-int, "
		"nc=00000001, cnonce=\"0000000000000000\"";
	int n;
	if (o->ub_equivalent) {
		p.steps = 2;
		n = snprintf(p.req[0], sizeof(p.req[0]),
			     "GET / HTTP/1.1\r\nHost: %s\r\nUser-Agent: " LG_USER_AGENT
			     "\r\nAuthorization: Digest username=\"001010000000001@ims.mnc001.mcc001."
			     "3gppnetwork.org\", realm=\"bsf.mnc001.mcc001.pub.3gppnetwork.org\", "
			     "nonce=\"\", uri=\"/\", response=\"\"\r\n\r\n",
			     t.host);
		p.req_len[0] = (size_t)n;
		n = snprintf(p.req[1], sizeof(p.req[1]),
			     "GET / HTTP/1.1\r\nHost: %s\r\nUser-Agent: " LG_USER_AGENT
			     "\r\nAuthorization: Digest username=\"001010000000001@ims.mnc001.mcc001."
			     "3gppnetwork.org\", realm=\"bsf.mnc001.mcc001.pub.3gppnetwork.org\", "
			     "nonce=\"AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=\", uri=\"/\", "
			     "response=\"00000000000000000000000000000000\", algorithm=AKAv1-MD5, "
			     "qop=auth-int, nc=00000001, cnonce=\"0000000000000000\"\r\n\r\n",
			     t.host);
		p.req_len[1] = (size_t)n;
	} else {
		p.steps = 1;
		char body[512];
		size_t blen = 0;
		struct mbms_km_msk_request mr = {.count = 1};
		memcpy(mr.key_domain_id, o->key_domain, 3);
		mr.msk_id[0] = (uint32_t)o->key_group << 16;
		if (mbms_km_msk_request_write(&mr, body, sizeof(body), &blen)) {
			snprintf(err, cap, "request body");
			return -1;
		}
		n = snprintf(p.req[0], sizeof(p.req[0]),
			     "POST " MBMS_PROFILE_KM_PATH "?requesttype=msk-request HTTP/1.1\r\n"
			     "Host: %s\r\nUser-Agent: " LG_USER_AGENT "\r\nContent-Type: "
			     MBMS_MEDIA_TYPE_MSK_REQUEST "\r\nAuthorization: %s\r\n"
			     MBMS_PROFILE_UE_PORT_HEADER ": 40000\r\nContent-Length: %zu\r\n\r\n%s",
			     t.host, fake_digest, blen, body);
		p.req_len[0] = (size_t)n;
	}
	p.step = calloc(o->conns, sizeof(*p.step));
	p.t_unit = calloc(o->conns, sizeof(*p.t_unit));
	if (!p.step || !p.t_unit) {
		free(p.step);
		free(p.t_unit);
		snprintf(err, cap, "out of memory");
		return -1;
	}
	g_pl = &p;
	struct lg_driver drv = {.next = pl_next, .response = pl_response, .failed = pl_failed};
	/* bound to the population's IPs like the real runs */
	int rc = lg_http_start(L, &t, o->conns, o->conns, &drv, err, cap);
	double deadline = lg_rep(L)->t_start + o->timeout;
	while (rc == 0 && !lg_stop) {
		bool issuing = p.issued < p.target && (p.t_end == 0 || lg_now() < p.t_end);
		if (!issuing && lg_http_busy(L) == 0)
			break;
		if (lg_now() > deadline) {
			snprintf(err, cap, "plain: timeout after %.0f s", o->timeout);
			rc = -1;
			break;
		}
		lg_poll(L, o->rate > 0 ? 0.001 : 0.02);
		lg_http_kick(L);
		lg_progress(lg_rep(L), ph, false);
	}
	lg_http_stop(L);
	free(p.step);
	free(p.t_unit);
	return rc;
}
