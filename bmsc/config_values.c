/* Value parsers of the bmscd configuration (bmsc/config.c): durations,
 * booleans, key group numbers, lists, host:port with name resolution. */
#include "bmscd.h"

#include "config.h"

#include <arpa/inet.h>
#include <netdb.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>

/* "300", "300s", "1500ms", "10m", "2h", "1d" -> milliseconds */
int bmscd_parse_duration(const char *s, uint64_t min_ms, uint64_t max_ms, uint64_t *out)
{
	const char *p = s;
	uint64_t v = 0;
	if (*p < '0' || *p > '9')
		return -1;
	while (*p >= '0' && *p <= '9') {
		if (v > UINT64_MAX / 10 - 10)
			return -1;
		v = v * 10 + (uint64_t)(*p++ - '0');
	}
	uint64_t mult;
	if (!*p || strcmp(p, "s") == 0)
		mult = 1000;
	else if (strcmp(p, "ms") == 0)
		mult = 1;
	else if (strcmp(p, "m") == 0)
		mult = 60000;
	else if (strcmp(p, "h") == 0)
		mult = 3600000;
	else if (strcmp(p, "d") == 0)
		mult = 86400000;
	else
		return -1;
	if (v > UINT64_MAX / mult)
		return -1;
	v *= mult;
	if (v < min_ms || v > max_ms)
		return -1;
	*out = v;
	return 0;
}

int bmscd_parse_bool(const char *s, bool *out)
{
	if (!strcasecmp(s, "true") || !strcasecmp(s, "yes") || !strcasecmp(s, "on") ||
	    !strcmp(s, "1"))
		*out = true;
	else if (!strcasecmp(s, "false") || !strcasecmp(s, "no") || !strcasecmp(s, "off") ||
		 !strcmp(s, "0"))
		*out = false;
	else
		return -1;
	return 0;
}

/* A key group number: decimal or 0x hex, 0..65535. */
int bmscd_parse_key_group(const char *s, uint16_t *out)
{
	uint64_t v = 0;
	if (strncasecmp(s, "0x", 2) == 0) {
		const char *p = s + 2;
		if (!*p || strlen(p) > 4)
			return -1;
		for (; *p; p++) {
			int d = (*p >= '0' && *p <= '9')   ? *p - '0'
				: (*p >= 'a' && *p <= 'f') ? *p - 'a' + 10
				: (*p >= 'A' && *p <= 'F') ? *p - 'A' + 10
							   : -1;
			if (d < 0)
				return -1;
			v = v * 16 + (unsigned)d;
		}
	} else if (mbmsd_parse_u64(s, 0, 65535, &v)) {
		return -1;
	}
	*out = (uint16_t)v;
	return 0;
}

/* Split a list on commas and blanks; calls fn for each item. fn's code,
 * or 1 for an empty list. */
int bmscd_for_each_item(const char *list, int (*fn)(void *ctx, const char *item), void *ctx)
{
	char buf[MBMS_INI_VALUE_MAX];
	snprintf(buf, sizeof(buf), "%s", list);
	int n = 0;
	for (char *save = NULL, *tok = strtok_r(buf, ", \t", &save); tok;
	     tok = strtok_r(NULL, ", \t", &save)) {
		int rc = fn(ctx, tok);
		if (rc)
			return rc;
		n++;
	}
	return n == 0 ? 1 : 0; /* 1: an empty list */
}

/* host:port with the host resolved to an address (numeric first). */
int bmscd_resolve_hostport(const char *s, struct mbms_bmsc_addr *out, char *why, size_t cap)
{
	char host[256];
	uint16_t port;
	if (mbmsd_parse_hostport(s, host, sizeof(host), &port, false)) {
		snprintf(why, cap, "'%.80s' is not host:port", s);
		return -1;
	}
	if (mbms_bmsc_addr_from_ip(host, port, out) == 0)
		return 0;
	struct addrinfo hints, *res = NULL;
	memset(&hints, 0, sizeof(hints));
	hints.ai_socktype = SOCK_DGRAM;
	int rc = getaddrinfo(host, NULL, &hints, &res);
	if (rc != 0 || !res) {
		snprintf(why, cap, "cannot resolve '%.80s': %s", host, gai_strerror(rc));
		return -1;
	}
	char ip[64] = "";
	if (res->ai_family == AF_INET)
		inet_ntop(AF_INET, &((struct sockaddr_in *)(void *)res->ai_addr)->sin_addr, ip,
			  sizeof(ip));
	else if (res->ai_family == AF_INET6)
		inet_ntop(AF_INET6, &((struct sockaddr_in6 *)(void *)res->ai_addr)->sin6_addr, ip,
			  sizeof(ip));
	freeaddrinfo(res);
	if (mbms_bmsc_addr_from_ip(ip, port, out) != 0) {
		snprintf(why, cap, "cannot resolve '%.80s'", host);
		return -1;
	}
	return 0;
}

bool bmscd_valid_host(const char *s)
{
	struct mbms_hostport hp;
	if (!*s || strlen(s) >= sizeof(hp.host))
		return false;
	memset(&hp, 0, sizeof(hp));
	snprintf(hp.host, sizeof(hp.host), "%s", s);
	return mbms_hostport_check(&hp) == 0 && !strchr(s, ':');
}

