/* Counters, latency histograms, the live progress line and the final
 * report (text, or one JSON object with --json). */
#include "lg.h"

#include <stdio.h>
#include <string.h>
#include <unistd.h>

/* Log buckets, four per octave of microseconds: bucket k holds
 * [2^(k/4), 2^((k+1)/4)) µs, up to ~2^16 µs... and the last is open. */
/* 2^(q/4) for q = 0..3 */
static const double quarter[4] = {1.0, 1.18920711500272, 1.41421356237310, 1.68179283050743};

static double edge(int k) /* 2^(k/4) */
{
	return (double)(1ULL << (k / 4)) * quarter[k % 4];
}

static int bucket_of(double us)
{
	if (us < 1)
		return 0;
	if (us >= 1e18)
		return LG_LAT_BUCKETS - 1;
	uint64_t v = (uint64_t)us;
	int k = 4 * (63 - __builtin_clzll(v));
	while (k + 1 < LG_LAT_BUCKETS && us >= edge(k + 1))
		k++;
	return k;
}

void lg_hist_add(struct lg_hist *h, double us)
{
	int k = bucket_of(us);
	if (k >= LG_LAT_BUCKETS)
		k = LG_LAT_BUCKETS - 1;
	h->b[k]++;
	h->count++;
	h->sum_us += us;
	if (us > h->max_us)
		h->max_us = us;
}

/* The upper edge of the bucket holding the p-th fraction (p in [0, 1]). */
double lg_hist_pct(const struct lg_hist *h, double p)
{
	if (!h->count)
		return 0;
	double w = p * (double)h->count;
	uint64_t want = (uint64_t)w, seen = 0;
	if ((double)want < w || want == 0)
		want++;
	for (int k = 0; k < LG_LAT_BUCKETS; k++) {
		seen += h->b[k];
		if (seen >= want) {
			double e = edge(k + 1);
			return e < h->max_us ? e : h->max_us;
		}
	}
	return h->max_us;
}

void lg_report_init(struct lg_report *r, const struct lg_opts *o)
{
	memset(r, 0, sizeof(*r));
	r->o = o;
	r->t_start = lg_now();
	r->last_progress = r->t_start;
}

struct lg_phase *lg_phase_begin(struct lg_report *r, const char *name, uint64_t target)
{
	if (r->nphase == sizeof(r->phase) / sizeof(r->phase[0]))
		return &r->phase[r->nphase - 1];
	struct lg_phase *p = &r->phase[r->nphase++];
	memset(p, 0, sizeof(*p));
	p->name = name;
	p->target = target;
	p->t0 = p->t1 = lg_now();
	r->last_done = 0;
	r->last_progress = p->t0;
	return p;
}

void lg_phase_end(struct lg_report *r, struct lg_phase *p)
{
	p->t1 = lg_now();
	lg_progress(r, p, true);
	if (r->progress_line_open) {
		fputc('\n', stderr);
		r->progress_line_open = false;
	}
}

void lg_progress(struct lg_report *r, const struct lg_phase *p, bool force)
{
	const struct lg_opts *o = r->o;
	if (o->quiet || false)
		return;
	double now = lg_now(), every = o->progress_tty ? 0.25 : 1.0;
	if (!force && now - r->last_progress < every)
		return;
	double dt = now - r->last_progress;
	double rate = dt > 0 ? (double)(p->done - r->last_done) / dt : 0;
	r->last_progress = now;
	r->last_done = p->done;
	char tgt[32] = "";
	if (p->target)
		snprintf(tgt, sizeof(tgt), "/%llu (%.0f%%)", (unsigned long long)p->target,
			 100.0 * (double)p->done / (double)p->target);
	char line[256];
	snprintf(line, sizeof(line),
		 "[%s] %llu%s  %.0f/s  errors %llu  pushes %llu  acks %llu  t=%.1fs", p->name,
		 (unsigned long long)p->done, tgt, force ? (now > p->t0 ? (double)p->done / (now - p->t0) : 0) : rate,
		 (unsigned long long)(p->errors + r->st.push_bad),
		 (unsigned long long)r->st.push_ok, (unsigned long long)r->st.acks_sent,
		 now - r->t_start);
	if (o->progress_tty) {
		fprintf(stderr, "\r\033[K%s", line);
		r->progress_line_open = true;
	} else {
		fprintf(stderr, "%s\n", line);
	}
	fflush(stderr);
}

uint64_t lg_report_errors(const struct lg_report *r)
{
	uint64_t e = r->st.push_bad + r->st.push_unknown_ue + r->st.rspauth_bad + r->st.body_bad +
		     r->st.udp_tx_errors;
	for (size_t i = 0; i < r->nphase; i++)
		e += r->phase[i].errors;
	for (unsigned i = 0; i < r->nrot; i++)
		e += r->rot_lost[i];
	return e;
}

static double median(const double *v, unsigned n)
{
	double t[64];
	if (!n)
		return 0;
	memcpy(t, v, n * sizeof(*t));
	for (unsigned i = 1; i < n; i++)
		for (unsigned j = i; j > 0 && t[j - 1] > t[j]; j--) {
			double x = t[j];
			t[j] = t[j - 1];
			t[j - 1] = x;
		}
	return n % 2 ? t[n / 2] : (t[n / 2 - 1] + t[n / 2]) / 2;
}

static const char *mode_name(enum lg_mode m)
{
	switch (m) {
	case LG_MODE_PROVISION: return "provision";
	case LG_MODE_BOOTSTRAP: return "bootstrap";
	case LG_MODE_RUN: return "run";
	case LG_MODE_FANOUT: return "fanout";
	case LG_MODE_PLAIN: return "plain";
	default: return "?";
	}
}

static void print_json(const struct lg_report *r, int exit_code)
{
	const struct lg_opts *o = r->o;
	const struct lg_stats *s = &r->st;
	printf("{\"tool\":\"mbms-loadgen\",\"version\":\"%s\",\"mode\":\"%s\",\"ues\":%llu,"
	       "\"connections\":%u,\"udp_sockets\":%u,\"rate_target\":%g,\"seconds\":%.3f,"
	       "\"phases\":[",
	       LG_VERSION, mode_name(o->mode), (unsigned long long)o->n, o->conns, o->udp_socks,
	       o->rate, lg_now() - r->t_start);
	for (size_t i = 0; i < r->nphase; i++) {
		const struct lg_phase *p = &r->phase[i];
		double dt = p->t1 - p->t0;
		printf("%s{\"name\":\"%s\",\"target\":%llu,\"done\":%llu,\"errors\":%llu,"
		       "\"seconds\":%.4f,\"rate\":%.1f,\"latency_us\":{\"count\":%llu,\"mean\":%.1f,"
		       "\"p50\":%.1f,\"p90\":%.1f,\"p99\":%.1f,\"max\":%.1f}}",
		       i ? "," : "", p->name, (unsigned long long)p->target,
		       (unsigned long long)p->done, (unsigned long long)p->errors, dt,
		       dt > 0 ? (double)p->done / dt : 0, (unsigned long long)p->lat.count,
		       p->lat.count ? p->lat.sum_us / (double)p->lat.count : 0,
		       lg_hist_pct(&p->lat, 0.5), lg_hist_pct(&p->lat, 0.9),
		       lg_hist_pct(&p->lat, 0.99), p->lat.max_us);
	}
	printf("],\"http\":{\"sent\":%llu,\"2xx\":%llu,\"401\":%llu,\"4xx\":%llu,\"5xx\":%llu,"
	       "\"other\":%llu,\"auth_retries\":%llu,\"rspauth_bad\":%llu,\"body_bad\":%llu,"
	       "\"items_200\":%llu,\"items_other\":%llu,\"connections_opened\":%llu,"
	       "\"connection_failures\":%llu,\"closed_by_server\":%llu},",
	       (unsigned long long)s->http_sent, (unsigned long long)s->http_2xx,
	       (unsigned long long)s->http_401, (unsigned long long)s->http_4xx,
	       (unsigned long long)s->http_5xx, (unsigned long long)s->http_other,
	       (unsigned long long)s->auth_retries, (unsigned long long)s->rspauth_bad,
	       (unsigned long long)s->body_bad, (unsigned long long)s->items_200,
	       (unsigned long long)s->items_other, (unsigned long long)s->conn_opened,
	       (unsigned long long)s->conn_failed, (unsigned long long)s->conn_closed_by_peer);
	printf("\"mikey\":{\"received\":%llu,\"verified\":%llu,\"bad\":%llu,\"replayed\":%llu,"
	       "\"unexpected\":%llu,\"unknown_ue\":%llu,\"acks_sent\":%llu,\"send_errors\":%llu,"
	       "\"kernel_drops\":%llu,\"recv_batches\":%llu},",
	       (unsigned long long)s->udp_rx, (unsigned long long)s->push_ok,
	       (unsigned long long)s->push_bad, (unsigned long long)s->push_dup,
	       (unsigned long long)s->push_unexpected, (unsigned long long)s->push_unknown_ue,
	       (unsigned long long)s->acks_sent, (unsigned long long)s->udp_tx_errors,
	       (unsigned long long)s->rx_drops_kernel, (unsigned long long)s->udp_rx_batches);
	printf("\"bootstraps\":{\"ok\":%llu,\"failed\":%llu},\"rotations\":[",
	       (unsigned long long)s->bootstraps_ok, (unsigned long long)s->bootstraps_failed);
	for (unsigned i = 0; i < r->nrot; i++)
		printf("%s{\"msk_id\":\"%s\",\"ues\":%llu,\"first_push_ms\":%.2f,\"last_ack_ms\":%.2f,"
		       "\"all_acked_ms\":%.2f,\"lost_ues\":%llu}",
		       i ? "," : "", r->rot_msk[i], (unsigned long long)r->rot_ues[i],
		       r->rot_first_ms[i], r->rot_ms[i], r->rot_confirm_ms[i],
		       (unsigned long long)r->rot_lost[i]);
	printf("]");
	if (r->nrot)
		printf(",\"rotation_median\":{\"last_ack_ms\":%.2f,\"all_acked_ms\":%.2f}",
		       median(r->rot_ms, r->nrot), median(r->rot_confirm_ms, r->nrot));
	printf(",\"errors\":%llu,\"ok\":%s,\"exit_code\":%d}\n",
	       (unsigned long long)lg_report_errors(r), exit_code == 0 ? "true" : "false", exit_code);
}

static void fmt_us(double us, char *out, size_t cap)
{
	if (us >= 1e6)
		snprintf(out, cap, "%.2f s", us / 1e6);
	else if (us >= 1000)
		snprintf(out, cap, "%.2f ms", us / 1000);
	else
		snprintf(out, cap, "%.0f µs", us);
}

void lg_report_print(const struct lg_report *r, int exit_code)
{
	const struct lg_opts *o = r->o;
	const struct lg_stats *s = &r->st;
	if (o->json) {
		print_json(r, exit_code);
		fflush(stdout);
		return;
	}
	printf("mbms-loadgen %s: %llu UE(s), %u connection(s), %u UDP socket(s), %.2f s\n",
	       mode_name(o->mode), (unsigned long long)o->n, o->conns, o->udp_socks,
	       lg_now() - r->t_start);
	if (r->nphase)
		printf("%-12s %15s %7s %9s %11s %9s %9s %9s\n", "phase", "done/target", "errors",
		       "time", "rate", "p50", "p90", "p99");
	for (size_t i = 0; i < r->nphase; i++) {
		const struct lg_phase *p = &r->phase[i];
		double dt = p->t1 - p->t0;
		char dn[40], p50[16], p90[16], p99[16];
		snprintf(dn, sizeof(dn), "%llu/%llu", (unsigned long long)p->done,
			 (unsigned long long)p->target);
		fmt_us(lg_hist_pct(&p->lat, 0.5), p50, sizeof(p50));
		fmt_us(lg_hist_pct(&p->lat, 0.9), p90, sizeof(p90));
		fmt_us(lg_hist_pct(&p->lat, 0.99), p99, sizeof(p99));
		printf("%-12s %15s %7llu %7.2f s %9.0f/s %9s %9s %9s\n", p->name, dn,
		       (unsigned long long)p->errors, dt, dt > 0 ? (double)p->done / dt : 0,
		       p->lat.count ? p50 : "-", p->lat.count ? p90 : "-", p->lat.count ? p99 : "-");
	}
	if (s->http_sent)
		printf("http: %llu sent, %llu 2xx, %llu 401 (%llu answered again), %llu 4xx, %llu "
		       "5xx; rspauth bad %llu, body bad %llu; %llu connection(s) opened, %llu "
		       "failed\n",
		       (unsigned long long)s->http_sent, (unsigned long long)s->http_2xx,
		       (unsigned long long)s->http_401, (unsigned long long)s->auth_retries,
		       (unsigned long long)s->http_4xx, (unsigned long long)s->http_5xx,
		       (unsigned long long)s->rspauth_bad, (unsigned long long)s->body_bad,
		       (unsigned long long)s->conn_opened, (unsigned long long)s->conn_failed);
	if (s->udp_rx || s->acks_sent)
		printf("mikey: %llu received, %llu verified, %llu bad, %llu replayed, %llu for no "
		       "UE of ours, %llu acks sent, %llu send errors, %llu kernel drops\n",
		       (unsigned long long)s->udp_rx, (unsigned long long)s->push_ok,
		       (unsigned long long)s->push_bad, (unsigned long long)s->push_dup,
		       (unsigned long long)s->push_unknown_ue, (unsigned long long)s->acks_sent,
		       (unsigned long long)s->udp_tx_errors, (unsigned long long)s->rx_drops_kernel);
	for (unsigned i = 0; i < r->nrot; i++)
		printf("rotation %u: MSK %s to %llu UE(s): first push %.1f ms, last ack sent %.1f "
		       "ms, all acked at the BM-SC %.1f ms, %llu UE(s) without it\n",
		       i + 1, r->rot_msk[i], (unsigned long long)r->rot_ues[i], r->rot_first_ms[i],
		       r->rot_ms[i], r->rot_confirm_ms[i], (unsigned long long)r->rot_lost[i]);
	if (r->nrot > 1)
		printf("rotations: median last ack %.1f ms, median all acked %.1f ms\n",
		       median(r->rot_ms, r->nrot), median(r->rot_confirm_ms, r->nrot));
	uint64_t e = lg_report_errors(r);
	printf("result: %s (%llu error(s))\n", exit_code == 0 ? "ok" : "FAILED",
	       (unsigned long long)e);
	fflush(stdout);
}
