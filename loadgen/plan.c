/* The plan file: the parameters of a provisioned population, one
 * `key = value` per line, written by `provision` and read back by `run` and
 * `fanout` so that identities, keys and addresses agree with what the
 * databases hold. Contains no key (they follow from the seed: test
 * material only). */
#include "lg.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

int lg_plan_write(const struct lg_opts *o, char *err, size_t cap)
{
	int fd = open(o->plan, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	FILE *f = fd >= 0 ? fdopen(fd, "w") : NULL;
	if (!f) {
		snprintf(err, cap, "%s: %s", o->plan, strerror(errno));
		if (fd >= 0)
			close(fd);
		return -1;
	}
	char ip[16];
	lg_ip_text(o->ip_base, ip);
	fprintf(f,
		"# mbms-loadgen plan (docs/loadgen.md): the provisioned population\n"
		"ues = %llu\nfirst = %llu\nseed = %llu\nbsf_host = %s\nfqdn = %s\nservice = %s\n"
		"key_group = %u\nkey_domain = %02x%02x%02x\nip_base = %s\nudp_base = %u\n"
		"udp_sockets = %u\nlifetime = %llu\nregistered = %d\n",
		(unsigned long long)o->n, (unsigned long long)o->first,
		(unsigned long long)o->seed, o->bsf_host, o->fqdn, o->service, o->key_group,
		o->key_domain[0], o->key_domain[1], o->key_domain[2], ip, o->udp_base, o->udp_socks,
		(unsigned long long)o->lifetime_s, o->bmsc_db[0] ? 1 : 0);
	if (fclose(f) != 0) {
		snprintf(err, cap, "%s: %s", o->plan, strerror(errno));
		return -1;
	}
	return 0;
}

static char *trim(char *s)
{
	while (*s == ' ' || *s == '\t')
		s++;
	size_t n = strlen(s);
	while (n && (s[n - 1] == ' ' || s[n - 1] == '\t' || s[n - 1] == '\n' || s[n - 1] == '\r'))
		s[--n] = '\0';
	return s;
}

static int num(const char *v, unsigned long long max, unsigned long long *out)
{
	char *end;
	errno = 0;
	unsigned long long x = strtoull(v, &end, 10);
	if (errno || end == v || *end || x > max)
		return -1;
	*out = x;
	return 0;
}

int lg_plan_read(struct lg_opts *o, char *err, size_t cap)
{
	FILE *f = fopen(o->plan, "r");
	if (!f) {
		snprintf(err, cap, "%s: %s", o->plan, strerror(errno));
		return -1;
	}
	char line[1024];
	unsigned lineno = 0, seen = 0;
	int rc = 0;
	while (rc == 0 && fgets(line, sizeof(line), f)) {
		lineno++;
		char *s = trim(line);
		if (!*s || *s == '#')
			continue;
		char *eq = strchr(s, '=');
		if (!eq) {
			rc = -1;
			break;
		}
		*eq = '\0';
		char *k = trim(s), *v = trim(eq + 1);
		unsigned long long x = 0;
		if (!strcmp(k, "ues")) {
			rc = num(v, LG_MAX_UES, &x);
			o->n = x;
			seen |= 1;
		} else if (!strcmp(k, "first")) {
			rc = num(v, 9999999999ULL, &x);
			o->first = x;
		} else if (!strcmp(k, "seed")) {
			rc = num(v, UINT64_MAX, &x);
			o->seed = x;
			seen |= 2;
		} else if (!strcmp(k, "bsf_host")) {
			snprintf(o->bsf_host, sizeof(o->bsf_host), "%s", v);
		} else if (!strcmp(k, "fqdn")) {
			snprintf(o->fqdn, sizeof(o->fqdn), "%s", v);
			seen |= 4;
		} else if (!strcmp(k, "service")) {
			snprintf(o->service, sizeof(o->service), "%s", v);
		} else if (!strcmp(k, "key_group")) {
			rc = num(v, 65535, &x);
			o->key_group = (uint16_t)x;
		} else if (!strcmp(k, "key_domain")) {
			unsigned a, b, c;
			if (strlen(v) != 6 || sscanf(v, "%2x%2x%2x", &a, &b, &c) != 3)
				rc = -1;
			o->key_domain[0] = (uint8_t)a;
			o->key_domain[1] = (uint8_t)b;
			o->key_domain[2] = (uint8_t)c;
		} else if (!strcmp(k, "ip_base")) {
			rc = lg_ip_parse(v, &o->ip_base);
			seen |= 8;
		} else if (!strcmp(k, "udp_base")) {
			rc = num(v, 65535, &x);
			o->udp_base = (uint16_t)x;
		} else if (!strcmp(k, "udp_sockets")) {
			rc = num(v, LG_MAX_SOCKETS, &x);
			o->udp_socks = (unsigned)x;
			seen |= 16;
		} else if (!strcmp(k, "lifetime")) {
			rc = num(v, UINT32_MAX, &x);
			o->lifetime_s = x;
		} else if (!strcmp(k, "registered")) {
			rc = num(v, 1, &x);
			o->registered = x == 1;
		} else {
			rc = -1;
		}
	}
	fclose(f);
	if (rc) {
		snprintf(err, cap, "%s:%u: not a plan line", o->plan, lineno);
		return -1;
	}
	if (seen != 31 || o->udp_socks == 0) {
		snprintf(err, cap, "%s: incomplete plan (ues, seed, fqdn, ip_base, udp_sockets)",
			 o->plan);
		return -1;
	}
	return 0;
}
