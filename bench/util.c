/* Benchmark helpers (see util.h). */
#include "util.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

volatile uint64_t bench_sink;

void bench_cfg_from_env(struct bench_cfg *cfg)
{
	const char *r = getenv("BENCH_REPS"), *s = getenv("BENCH_SECONDS");
	cfg->reps = 11;
	cfg->seconds = 0.2;
	if (r && *r)
		cfg->reps = (size_t)strtoul(r, NULL, 10);
	if (s && *s)
		cfg->seconds = strtod(s, NULL);
	if (cfg->reps < 5)
		cfg->reps = 5; /* medians of at least five runs */
	if (cfg->reps > BENCH_MAX_REPS)
		cfg->reps = BENCH_MAX_REPS;
	if (!(cfg->seconds > 0.001))
		cfg->seconds = 0.001;
}

double bench_now(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

double bench_time_ns(bench_fn fn, void *arg, size_t iters)
{
	double t0 = bench_now();
	fn(arg, iters);
	double t1 = bench_now();
	return (t1 - t0) * 1e9 / (double)iters;
}

size_t bench_calibrate(bench_fn fn, void *arg, double seconds)
{
	size_t iters = 16;
	fn(arg, iters); /* warm caches, lazily created contexts */
	for (;;) {
		double t0 = bench_now();
		fn(arg, iters);
		double dt = bench_now() - t0;
		if (dt >= seconds / 8 || iters > ((size_t)1 << 40)) {
			double per = dt / (double)iters;
			size_t n = per > 0 ? (size_t)(seconds / per) : iters;
			return n < 16 ? 16 : n;
		}
		iters *= 4;
	}
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;
	return (x > y) - (x < y);
}

double bench_median(const double *v, size_t n)
{
	double tmp[BENCH_MAX_REPS];
	if (n == 0)
		return 0;
	if (n > BENCH_MAX_REPS)
		n = BENCH_MAX_REPS;
	memcpy(tmp, v, n * sizeof(*v));
	qsort(tmp, n, sizeof(*tmp), cmp_double);
	return n % 2 ? tmp[n / 2] : (tmp[n / 2 - 1] + tmp[n / 2]) / 2;
}

/* Each round alternates the two sides in BENCH_SLICES short slices and adds
 * up each side's time: a burst of load from another process then falls on
 * both sides rather than on one whole run of one side. */
#define BENCH_SLICES 8

void bench_compare(const struct bench_cfg *cfg, bench_fn a, void *a_arg, bench_fn b, void *b_arg,
		   struct bench_pair *out)
{
	memset(out, 0, sizeof(*out));
	/* One iteration count for both sides: the slower side sets it, so
	 * neither side runs much longer than cfg->seconds per round. */
	size_t ia = bench_calibrate(a, a_arg, cfg->seconds);
	size_t ib = bench_calibrate(b, b_arg, cfg->seconds);
	size_t iters = ia < ib ? ia : ib;
	size_t slice = iters / BENCH_SLICES;
	if (slice < 16)
		slice = 16;
	out->reps = cfg->reps;
	out->iters = slice * BENCH_SLICES;
	for (size_t r = 0; r < cfg->reps; r++) {
		double ta = 0, tb = 0;
		for (size_t k = 0; k < BENCH_SLICES; k++) {
			if ((r + k) % 2 == 0) {
				ta += bench_time_ns(a, a_arg, slice);
				tb += bench_time_ns(b, b_arg, slice);
			} else {
				tb += bench_time_ns(b, b_arg, slice);
				ta += bench_time_ns(a, a_arg, slice);
			}
		}
		out->a_ns[r] = ta / BENCH_SLICES;
		out->b_ns[r] = tb / BENCH_SLICES;
		out->ratio[r] = out->a_ns[r] / out->b_ns[r];
	}
	out->a_med = bench_median(out->a_ns, out->reps);
	out->b_med = bench_median(out->b_ns, out->reps);
	out->ratio_med = bench_median(out->ratio, out->reps);
}

void bench_single(const struct bench_cfg *cfg, bench_fn fn, void *arg, struct bench_pair *out)
{
	memset(out, 0, sizeof(*out));
	size_t iters = bench_calibrate(fn, arg, cfg->seconds);
	out->reps = cfg->reps;
	out->iters = iters;
	for (size_t r = 0; r < cfg->reps; r++)
		out->b_ns[r] = bench_time_ns(fn, arg, iters);
	out->b_med = bench_median(out->b_ns, out->reps);
}

/* Strings here are our own literals; escape the two JSON specials anyway. */
static void put_json_str(const char *s)
{
	putchar('"');
	for (; s && *s; s++) {
		if (*s == '"' || *s == '\\')
			putchar('\\');
		if ((unsigned char)*s < 0x20)
			printf("\\u%04x", (unsigned char)*s);
		else
			putchar(*s);
	}
	putchar('"');
}

static void put_array(const char *name, const double *v, size_t n, double scale)
{
	printf(",\"%s\":[", name);
	for (size_t i = 0; i < n; i++)
		printf("%s%.4g", i ? "," : "", v[i] * scale);
	putchar(']');
}

void bench_print_figure(const struct bench_figure *f)
{
	int met = strcmp(f->target_op, "<=") == 0 ? f->ratio <= f->target : f->ratio >= f->target;
	printf("{\"kind\":\"figure\",\"id\":%d,\"title\":", f->id);
	put_json_str(f->title);
	printf(",\"unit\":");
	put_json_str(f->unit);
	printf(",\"ours_name\":");
	put_json_str(f->ours_name);
	printf(",\"baseline_name\":");
	put_json_str(f->baseline_name);
	printf(",\"ours_ns\":%.2f,\"baseline_ns\":%.2f", f->ours_ns, f->baseline_ns);
	printf(",\"ours_per_s\":%.0f,\"baseline_per_s\":%.0f", 1e9 / f->ours_ns,
	       1e9 / f->baseline_ns);
	printf(",\"ratio\":%.3f,\"ratio_meaning\":", f->ratio);
	put_json_str(f->ratio_meaning);
	printf(",\"target_op\":");
	put_json_str(f->target_op);
	printf(",\"target\":%g,\"met\":%s", f->target, met ? "true" : "false");
	if (f->layout) {
		printf(",\"layout\":");
		put_json_str(f->layout);
	}
	if (f->pair) {
		const struct bench_pair *p = f->pair;
		printf(",\"reps\":%zu,\"iters_per_run\":%zu", p->reps, p->iters);
		if (f->ratio_inverted) {
			double inv[BENCH_MAX_REPS];
			for (size_t i = 0; i < p->reps; i++)
				inv[i] = 1 / p->ratio[i];
			put_array("ours_ns_runs", p->a_ns, p->reps, 1);
			put_array("baseline_ns_runs", p->b_ns, p->reps, 1);
			put_array("ratio_runs", inv, p->reps, 1);
		} else {
			put_array("ours_ns_runs", p->a_ns, p->reps, 1);
			put_array("baseline_ns_runs", p->b_ns, p->reps, 1);
			put_array("ratio_runs", p->ratio, p->reps, 1);
		}
	}
	printf("}\n");
	fflush(stdout);
}

void bench_print_info(const char *group, const char *name, double ns, const char *note)
{
	printf("{\"kind\":\"info\",\"group\":");
	put_json_str(group);
	printf(",\"name\":");
	put_json_str(name);
	printf(",\"ns\":%.2f", ns);
	if (note) {
		printf(",\"note\":");
		put_json_str(note);
	}
	printf("}\n");
	fflush(stdout);
}

void bench_die(const char *what, int rc)
{
	fprintf(stderr, "bench: %s failed (%d)\n", what, rc);
	exit(1);
}
