/* Daemon support: the Prometheus text exposition format, version 0.0.4
 * (https://prometheus.io/docs/instrumenting/exposition_formats/), written
 * into a growing buffer for a /metrics answer.
 *
 * A family is announced once with its HELP and TYPE lines, then its
 * samples follow. Label values and HELP texts are escaped as the format
 * asks (backslash, double quote, newline), so text from the network or the
 * configuration cannot break a line. Values are unsigned integers or
 * doubles. Nothing here knows what a key is: callers pass counts and IDs.
 */
#ifndef MBMSD_METRICS_H
#define MBMSD_METRICS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define MBMSD_METRICS_CONTENT_TYPE "text/plain; version=0.0.4; charset=utf-8"

struct mbmsd_metrics {
	char *p;       /* NUL-terminated text, malloc'd */
	size_t len, cap;
	bool failed;   /* out of memory: the text is incomplete, answer 500 */
};

enum mbmsd_metric_type {
	MBMSD_COUNTER,
	MBMSD_GAUGE,
};

/* One label: name (a literal, [a-zA-Z_][a-zA-Z0-9_]*) and value (any text). */
struct mbmsd_label {
	const char *name;
	const char *value;
};

void mbmsd_metrics_init(struct mbmsd_metrics *m);
void mbmsd_metrics_free(struct mbmsd_metrics *m);

/* "# HELP name help" and "# TYPE name counter|gauge". */
void mbmsd_metrics_family(struct mbmsd_metrics *m, const char *name, enum mbmsd_metric_type type,
			  const char *help);
/* "name{l1="v1",...} value"; nlabels may be 0. */
void mbmsd_metrics_u64(struct mbmsd_metrics *m, const char *name, const struct mbmsd_label *labels,
		       size_t nlabels, uint64_t value);
void mbmsd_metrics_double(struct mbmsd_metrics *m, const char *name,
			  const struct mbmsd_label *labels, size_t nlabels, double value);

/* A family with one unlabelled sample (the common case). */
void mbmsd_metrics_one(struct mbmsd_metrics *m, const char *name, enum mbmsd_metric_type type,
		       const char *help, uint64_t value);

/* Label values escaped as the format asks; exposed for the tests. Returns
 * the length written (truncated to cap - 1, always NUL-terminated). */
size_t mbmsd_metrics_escape_label(const char *in, char *out, size_t cap);

#endif
