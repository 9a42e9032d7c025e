/* Benchmark helpers: a monotonic clock, calibrated timed runs, paired
 * comparisons and one JSON line per result.
 *
 * perf-notes.md: absolute times drift 1.5x hour to hour on the shared VMs,
 * so every figure times "ours" and its baseline back to back, several
 * rounds with the order alternating, and reports the median of the
 * per-round ratios next to the median times.
 */
#ifndef MBMS_BENCH_UTIL_H
#define MBMS_BENCH_UTIL_H

#include <stddef.h>
#include <stdint.h>

#define BENCH_MAX_REPS 64

/* One timed body: run the operation iters times. */
typedef void (*bench_fn)(void *arg, size_t iters);

/* Settings from the environment: BENCH_REPS (rounds, default 11, at least
 * 5), BENCH_SECONDS (target length of one timed run, default 0.2). */
struct bench_cfg {
	size_t reps;
	double seconds;
};
void bench_cfg_from_env(struct bench_cfg *cfg);

double bench_now(void);

/* Iterations that take about cfg->seconds (after a warm-up). */
size_t bench_calibrate(bench_fn fn, void *arg, double seconds);

/* Nanoseconds per iteration of one run of iters iterations. */
double bench_time_ns(bench_fn fn, void *arg, size_t iters);

double bench_median(const double *v, size_t n);

/* a ("ours") against b (the baseline): cfg->reps rounds, each times both
 * with the same iteration count, interleaved in 8 alternating slices so that
 * load from other processes falls on both sides alike.
 * ratio[i] = a_ns[i] / b_ns[i]; iters is the iterations per side per round. */
struct bench_pair {
	size_t reps;
	size_t iters;
	double a_ns[BENCH_MAX_REPS], b_ns[BENCH_MAX_REPS], ratio[BENCH_MAX_REPS];
	double a_med, b_med, ratio_med;
};
void bench_compare(const struct bench_cfg *cfg, bench_fn a, void *a_arg, bench_fn b, void *b_arg,
		   struct bench_pair *out);

/* The same for one body alone (a_* and ratio unused: b_* hold it). */
void bench_single(const struct bench_cfg *cfg, bench_fn fn, void *arg, struct bench_pair *out);

/* A figure record (one JSON line on stdout) for bench/run.sh:
 * ratio is what the target is about, ratio_meaning says how it is formed,
 * target_op is "<=" or ">=". */
struct bench_figure {
	int id;
	const char *title;
	const char *unit;          /* e.g. "messages/s/core" */
	const char *ours_name;     /* what "ours" runs */
	const char *baseline_name; /* what the baseline runs */
	double ours_ns, baseline_ns;
	double ratio;
	const char *ratio_meaning;
	const char *target_op;
	double target;
	const struct bench_pair *pair; /* per-round numbers */
	int ratio_inverted; /* ratio = baseline/ours (speed-up) rather than ours/baseline */
	const char *layout; /* optional: what exactly both sides build */
};
void bench_print_figure(const struct bench_figure *f);

/* An informational record: group, name, nanoseconds per operation, and an
 * optional note (for the split timings and method comparisons). */
void bench_print_info(const char *group, const char *name, double ns, const char *note);

/* Keep a value alive so the compiler cannot drop the work. */
extern volatile uint64_t bench_sink;

/* Print a failure and exit 1 (bench programs only). */
void bench_die(const char *what, int rc);

#endif
