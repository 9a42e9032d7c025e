/* `mbms-loadgen fanout`: how fast one MSK rotation reaches every registered
 * UE (figure 4). The UEs are a provisioned plan (bmscd restored them as
 * registered); the loadgen listens as all of them, asks bmscd's admin
 * listener to rotate the key group (what `bmscd ctl rotate` does: POST
 * /rotate?key_group=N), verifies every MSK message and acknowledges it, and
 * measures from just before the rotate request to the last ack sent, and to
 * the moment bmscd's status shows no pending push (all acks in).
 *
 * bmscd's rotate makes and pushes the next MSK when there is none, and
 * switches over when there is one; a measured rotation therefore first
 * switches over if a next MSK is pending, then rotates. */
#include "lg.h"

#include "mbmssec/error.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define STATUS_MAX (1024 * 1024)

static struct {
	unsigned rot;     /* 1-based rotation number */
	uint32_t msk;     /* the MSK this rotation pushes */
	uint64_t got;
	double t_first;
} g_fo;

static bool fo_push(struct lg *L, uint64_t ue, uint32_t msk_id, bool trigger)
{
	struct lg_stats *st = &lg_rep(L)->st;
	struct lg_ue *u = &lg_ues(L)[ue];
	if (trigger || msk_id != g_fo.msk) {
		st->push_unexpected++;
		return true;
	}
	if (u->rotation_got == g_fo.rot)
		return true; /* a retransmission: our ack was late or lost; ack again */
	u->rotation_got = g_fo.rot;
	if (g_fo.got++ == 0)
		g_fo.t_first = lg_now();
	return true;
}

/* "next_msk_id" of key group kg in a status JSON: 1 and *id, 0 when null,
 * -1 when not found. */
static int status_next_msk(const char *json, unsigned kg, uint32_t *id)
{
	char key[48];
	snprintf(key, sizeof(key), "\"key_group\":%u,", kg);
	const char *p = strstr(json, key);
	if (!p)
		return -1;
	const char *end = strchr(p, '}');
	const char *n = strstr(p, "\"next_msk_id\":");
	if (!n || (end && n > end))
		return -1;
	n += strlen("\"next_msk_id\":");
	if (strncmp(n, "null", 4) == 0)
		return 0;
	return sscanf(n, "\"%8x\"", id) == 1 ? 1 : -1;
}

static long status_number(const char *json, const char *name)
{
	char key[64];
	snprintf(key, sizeof(key), "\"%s\":", name);
	const char *p = strstr(json, key);
	return p ? atol(p + strlen(key)) : -1;
}

/* Keep the sockets served while waiting (a blocking admin call may let
 * datagrams pile up in the socket buffers, which are large). */
static void serve_for(struct lg *L, double s)
{
	double until = lg_now() + s;
	while (lg_now() < until && !lg_stop)
		lg_poll(L, 0.005);
}

static int one_rotation(struct lg *L, unsigned rot, char *buf, char *err, size_t cap)
{
	const struct lg_opts *o = lg_opts_of(L);
	struct lg_report *r = lg_rep(L);
	char path[64];
	snprintf(path, sizeof(path), "/rotate?key_group=%u", o->key_group);
	uint32_t next = 0;
	if (lg_http_simple(o->admin, "GET", "/status", buf, STATUS_MAX, 10) != 200) {
		snprintf(err, cap, "GET http://%s/status failed", o->admin);
		return -1;
	}
	int has = status_next_msk(buf, o->key_group, &next);
	if (has < 0) {
		snprintf(err, cap, "bmscd has no key group %u", o->key_group);
		return -1;
	}
	if (has == 1) {
		/* a next MSK is pending: switch over to it first (no push) */
		if (lg_http_simple(o->admin, "POST", path, buf, STATUS_MAX, 10) != 200) {
			snprintf(err, cap, "POST %s (switch-over) failed", path);
			return -1;
		}
		serve_for(L, 0.3);
	}
	g_fo.rot = rot;
	g_fo.got = 0;
	g_fo.msk = 0;
	double t0 = lg_now();
	int status = lg_http_simple(o->admin, "POST", path, buf, STATUS_MAX, 10);
	uint32_t made = 0;
	const char *m = strstr(buf, "\"msk_id\":\"");
	if (status != 200 || !m || sscanf(m + 10, "%8x", &made) != 1 ||
	    status_next_msk(buf, o->key_group, &next) != 1 || next != made) {
		/* the response names the MSK made; "next_msk_id" must be it */
		const char *nx = strstr(buf, "\"next_msk_id\":\"");
		if (status != 200 || !m || !nx || sscanf(nx + 15, "%8x", &next) != 1 || next != made) {
			snprintf(err, cap, "POST %s: %d %.200s", path, status, buf);
			return -1;
		}
	}
	g_fo.msk = made;
	double deadline = t0 + o->timeout, t_last = 0;
	struct lg_phase *ph = lg_phase_begin(r, "fan-out", o->n);
	ph->t0 = t0;
	while (!lg_stop && lg_now() < deadline) {
		lg_poll(L, 0.01);
		ph->done = g_fo.got;
		lg_progress(r, ph, false);
		if (g_fo.got == o->n) {
			t_last = lg_now(); /* the batch with the last ack was flushed in lg_poll */
			break;
		}
	}
	ph->t1 = t_last ? t_last : lg_now();
	ph->done = g_fo.got;
	/* all acks in: bmscd's status shows no push outstanding */
	double t_confirm = 0;
	while (t_last && !lg_stop && lg_now() < t_last + 30) {
		if (lg_http_simple(o->admin, "GET", "/status", buf, STATUS_MAX, 10) == 200 &&
		    status_number(buf, "pending_pushes") == 0) {
			t_confirm = lg_now();
			break;
		}
		serve_for(L, 0.002);
	}
	lg_phase_end(r, ph);
	unsigned i = r->nrot < 64 ? r->nrot++ : 63;
	snprintf(r->rot_msk[i], sizeof(r->rot_msk[i]), "%08x", made);
	r->rot_ues[i] = o->n;
	r->rot_lost[i] = o->n - g_fo.got;
	r->rot_first_ms[i] = g_fo.got ? (g_fo.t_first - t0) * 1e3 : 0;
	r->rot_ms[i] = t_last ? (t_last - t0) * 1e3 : (lg_now() - t0) * 1e3;
	r->rot_confirm_ms[i] = t_confirm ? (t_confirm - t0) * 1e3 : 0;
	if (!t_confirm && t_last)
		ph->errors++; /* bmscd never showed all acks in */
	return 0;
}

int lg_run_fanout(struct lg *L, char *err, size_t cap)
{
	const struct lg_opts *o = lg_opts_of(L);
	if (!o->admin[0]) {
		snprintf(err, cap, "fanout needs --admin HOST:PORT (bmscd's admin listener)");
		return -1;
	}
	char *buf = malloc(STATUS_MAX);
	if (!buf) {
		snprintf(err, cap, "out of memory");
		return -1;
	}
	struct lg_push_sink sink = {.push = fo_push};
	lg_set_push_sink(L, &sink);
	int rc = 0;
	for (unsigned k = 1; k <= o->rotations && rc == 0 && !lg_stop; k++) {
		rc = one_rotation(L, k, buf, err, cap);
		if (rc == 0 && k < o->rotations)
			serve_for(L, 0.5);
	}
	free(buf);
	return rc;
}
