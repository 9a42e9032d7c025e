/* Option parsing shared by the CLI subcommands. */
#include "cli.h"

#include "mbmssec/ids.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int cli_usage_error(const char *cmd, const char *fmt, ...)
{
	va_list ap;
	fprintf(stderr, "mbmssec %s: ", cmd);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	return CLI_EXIT_USAGE;
}

int cli_parse(const char *cmd, int argc, char **argv, struct cli_opt *opts, size_t nopts,
	      const char **pos, size_t max_pos, size_t *npos, bool *help)
{
	size_t np = 0;
	*help = false;
	for (int i = 1; i < argc; i++) {
		const char *a = argv[i];
		if (strcmp(a, "--help") == 0 || strcmp(a, "-h") == 0) {
			*help = true;
			continue;
		}
		if (strncmp(a, "--", 2) != 0 || a[2] == '\0') {
			if (np >= max_pos) {
				cli_usage_error(cmd, "unexpected argument '%s'", a);
				return -1;
			}
			pos[np++] = a;
			continue;
		}
		const char *name = a + 2;
		const char *eq = strchr(name, '=');
		size_t name_len = eq ? (size_t)(eq - name) : strlen(name);
		struct cli_opt *o = NULL;
		for (size_t k = 0; k < nopts; k++)
			if (strlen(opts[k].name) == name_len && strncmp(opts[k].name, name, name_len) == 0)
				o = &opts[k];
		if (!o) {
			cli_usage_error(cmd, "unknown option '--%.*s' (see --help)", (int)name_len, name);
			return -1;
		}
		if (o->value) {
			cli_usage_error(cmd, "option --%s given twice", o->name);
			return -1;
		}
		if (!o->takes_value) {
			if (eq) {
				cli_usage_error(cmd, "option --%s takes no value", o->name);
				return -1;
			}
			o->value = "";
		} else if (eq) {
			o->value = eq + 1;
		} else if (i + 1 < argc) {
			o->value = argv[++i];
		} else {
			cli_usage_error(cmd, "option --%s needs a value", o->name);
			return -1;
		}
	}
	if (npos)
		*npos = np;
	return 0;
}

const char *cli_get(const struct cli_opt *opts, size_t nopts, const char *name)
{
	for (size_t k = 0; k < nopts; k++)
		if (strcmp(opts[k].name, name) == 0)
			return opts[k].value;
	return NULL;
}

int cli_str_opt(const char *cmd, const struct cli_opt *opts, size_t nopts, const char *name,
		const char **out)
{
	const char *v = cli_get(opts, nopts, name);
	if (!v || !*v) {
		cli_usage_error(cmd, "missing option --%s", name);
		return -1;
	}
	*out = v;
	return 0;
}

int cli_hex_opt(const char *cmd, const struct cli_opt *opts, size_t nopts, const char *name,
		uint8_t *out, size_t len, size_t cap, size_t *out_len)
{
	const char *v;
	if (cli_str_opt(cmd, opts, nopts, name, &v))
		return -1;
	size_t n = strlen(v), got = 0;
	if (n % 2) {
		cli_usage_error(cmd, "--%s: odd-length hex (%zu digits)", name, n);
		return -1;
	}
	if (len && n / 2 != len) {
		cli_usage_error(cmd, "--%s: must be %zu bytes (%zu hex digits), got %zu bytes", name,
				len, 2 * len, n / 2);
		return -1;
	}
	if (!len && n / 2 > cap) {
		cli_usage_error(cmd, "--%s: at most %zu bytes, got %zu", name, cap, n / 2);
		return -1;
	}
	if (mbms_hex_decode(v, n, out, len ? len : cap, &got) != 0) {
		cli_usage_error(cmd, "--%s: not hex", name);
		return -1;
	}
	if (out_len)
		*out_len = got;
	return 0;
}

int cli_uint_opt(const char *cmd, const struct cli_opt *opts, size_t nopts, const char *name,
		 uint64_t max, uint64_t *out)
{
	const char *v;
	if (cli_str_opt(cmd, opts, nopts, name, &v))
		return -1;
	char *end = NULL;
	errno = 0;
	if (v[0] < '0' || v[0] > '9') {
		cli_usage_error(cmd, "--%s: not a non-negative number: '%s'", name, v);
		return -1;
	}
	unsigned long long x = strtoull(v, &end, 10);
	if (errno || *end || x > max) {
		cli_usage_error(cmd, "--%s: must be a number from 0 to %llu, got '%s'", name,
				(unsigned long long)max, v);
		return -1;
	}
	*out = x;
	return 0;
}

void cli_print_hex(const uint8_t *buf, size_t len)
{
	for (size_t i = 0; i < len; i++)
		printf("%02x", buf[i]);
	putchar('\n');
}
