/* Prometheus text exposition format 0.0.4 (common/metrics.h). */
#include "metrics.h"

#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void mbmsd_metrics_init(struct mbmsd_metrics *m)
{
	memset(m, 0, sizeof(*m));
}

void mbmsd_metrics_free(struct mbmsd_metrics *m)
{
	free(m->p);
	memset(m, 0, sizeof(*m));
}

static bool reserve(struct mbmsd_metrics *m, size_t more)
{
	if (m->failed)
		return false;
	if (m->len + more + 1 <= m->cap)
		return true;
	size_t cap = m->cap ? m->cap : 4096;
	while (cap < m->len + more + 1)
		cap *= 2;
	char *np = realloc(m->p, cap);
	if (!np) {
		m->failed = true;
		return false;
	}
	m->p = np;
	m->cap = cap;
	return true;
}

static void put(struct mbmsd_metrics *m, const char *s, size_t n)
{
	if (!reserve(m, n))
		return;
	memcpy(m->p + m->len, s, n);
	m->len += n;
	m->p[m->len] = '\0';
}

static void puts_(struct mbmsd_metrics *m, const char *s)
{
	put(m, s, strlen(s));
}

static void putf(struct mbmsd_metrics *m, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static void putf(struct mbmsd_metrics *m, const char *fmt, ...)
{
	char buf[128];
	va_list ap;
	va_start(ap, fmt);
	int n = vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	if (n < 0 || (size_t)n >= sizeof(buf)) {
		m->failed = true;
		return;
	}
	put(m, buf, (size_t)n);
}

/* Label values: \\, \" and \n (the format's three escapes). HELP texts:
 * \\ and \n only (a quote is literal there). */
static void put_escaped(struct mbmsd_metrics *m, const char *s, bool quote)
{
	for (; *s; s++) {
		if (*s == '\\')
			puts_(m, "\\\\");
		else if (*s == '\n')
			puts_(m, "\\n");
		else if (quote && *s == '"')
			puts_(m, "\\\"");
		else
			put(m, s, 1);
	}
}

size_t mbmsd_metrics_escape_label(const char *in, char *out, size_t cap)
{
	struct mbmsd_metrics m;
	mbmsd_metrics_init(&m);
	put_escaped(&m, in, true);
	size_t n = 0;
	if (cap) {
		n = m.p ? strlen(m.p) : 0;
		if (n >= cap)
			n = cap - 1;
		if (n)
			memcpy(out, m.p, n);
		out[n] = '\0';
	}
	mbmsd_metrics_free(&m);
	return n;
}

void mbmsd_metrics_family(struct mbmsd_metrics *m, const char *name, enum mbmsd_metric_type type,
			  const char *help)
{
	puts_(m, "# HELP ");
	puts_(m, name);
	puts_(m, " ");
	put_escaped(m, help, false);
	puts_(m, "\n# TYPE ");
	puts_(m, name);
	puts_(m, type == MBMSD_COUNTER ? " counter\n" : " gauge\n");
}

static void sample_head(struct mbmsd_metrics *m, const char *name, const struct mbmsd_label *l,
			size_t n)
{
	puts_(m, name);
	if (!n)
		return;
	puts_(m, "{");
	for (size_t i = 0; i < n; i++) {
		if (i)
			puts_(m, ",");
		puts_(m, l[i].name);
		puts_(m, "=\"");
		put_escaped(m, l[i].value ? l[i].value : "", true);
		puts_(m, "\"");
	}
	puts_(m, "}");
}

void mbmsd_metrics_u64(struct mbmsd_metrics *m, const char *name, const struct mbmsd_label *labels,
		       size_t nlabels, uint64_t value)
{
	sample_head(m, name, labels, nlabels);
	putf(m, " %llu\n", (unsigned long long)value);
}

void mbmsd_metrics_double(struct mbmsd_metrics *m, const char *name,
			  const struct mbmsd_label *labels, size_t nlabels, double value)
{
	sample_head(m, name, labels, nlabels);
	if (isnan(value))
		puts_(m, " NaN\n");
	else if (isinf(value))
		puts_(m, value > 0 ? " +Inf\n" : " -Inf\n");
	else
		putf(m, " %.17g\n", value);
}

void mbmsd_metrics_one(struct mbmsd_metrics *m, const char *name, enum mbmsd_metric_type type,
		       const char *help, uint64_t value)
{
	mbmsd_metrics_family(m, name, type, help);
	mbmsd_metrics_u64(m, name, NULL, 0, value);
}
