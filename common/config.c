/* Configuration files and value parsers (see config.h). */
#include "config.h"

#include "log.h"

#include "mbmssec/crypto.h"
#include "mbmssec/error.h"

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

int mbmsd_file_read(const char *path, size_t max, char **out, size_t *len, char *err,
		    size_t err_cap)
{
	*out = NULL;
	*len = 0;
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		snprintf(err, err_cap, "%s: %s", path, strerror(errno));
		return -1;
	}
	struct stat st;
	if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
		snprintf(err, err_cap, "%s: not a regular file", path);
		close(fd);
		return -1;
	}
	if ((uint64_t)st.st_size > max) {
		snprintf(err, err_cap, "%s: larger than %zu bytes", path, max);
		close(fd);
		return -1;
	}
	size_t cap = (size_t)st.st_size + 1;
	char *buf = malloc(cap);
	if (!buf) {
		snprintf(err, err_cap, "%s: out of memory", path);
		close(fd);
		return -1;
	}
	size_t n = 0;
	for (;;) {
		if (n == cap - 1) {
			/* the file grew while we read it: stop at the stat size */
			break;
		}
		ssize_t r = read(fd, buf + n, cap - 1 - n);
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0) {
			snprintf(err, err_cap, "%s: %s", path, strerror(errno));
			mbmsd_file_free(buf, cap);
			close(fd);
			return -1;
		}
		if (r == 0)
			break;
		n += (size_t)r;
	}
	close(fd);
	buf[n] = '\0';
	*out = buf;
	*len = n;
	return 0;
}

void mbmsd_file_free(char *buf, size_t len)
{
	if (!buf)
		return;
	mbms_wipe(buf, len);
	free(buf);
}

int mbmsd_config_load(const char *path, mbms_ini_section_handler on_section,
		      mbms_ini_handler on_key, void *user, char *err, size_t err_cap)
{
	char *buf;
	size_t len;
	if (mbmsd_file_read(path, MBMSD_CONFIG_MAX, &buf, &len, err, err_cap))
		return -1;
	struct stat st;
	if (stat(path, &st) == 0 && (st.st_mode & 077))
		log_warn("%s is readable by other users; it holds shared secrets (chmod 600)",
			 path);
	struct mbms_ini_error ie;
	int rc = mbms_ini_parse(buf, len, on_section, on_key, user, &ie);
	mbmsd_file_free(buf, len + 1);
	if (rc) {
		snprintf(err, err_cap, "%s:%u: %s", path, ie.line, ie.msg);
		return -1;
	}
	return 0;
}

int mbmsd_parse_u64(const char *s, uint64_t min, uint64_t max, uint64_t *out)
{
	if (!s || *s < '0' || *s > '9')
		return -1;
	uint64_t v = 0;
	for (const char *p = s; *p; p++) {
		if (*p < '0' || *p > '9')
			return -1;
		unsigned d = (unsigned)(*p - '0');
		if (v > (UINT64_MAX - d) / 10)
			return -1;
		v = v * 10 + d;
	}
	if (v < min || v > max)
		return -1;
	*out = v;
	return 0;
}

int mbmsd_parse_hostport(const char *s, char *host, size_t host_cap, uint16_t *port,
			 bool allow_zero)
{
	if (!s || !*s)
		return -1;
	const char *h = s, *colon;
	size_t hn;
	if (*s == '[') {
		const char *close = strchr(s, ']');
		if (!close || close[1] != ':')
			return -1;
		h = s + 1;
		hn = (size_t)(close - h);
		colon = close + 1;
	} else {
		colon = strrchr(s, ':');
		if (!colon)
			return -1;
		hn = (size_t)(colon - s);
		if (memchr(s, ':', hn))
			return -1; /* bare IPv6 needs brackets */
	}
	uint64_t p;
	if (hn == 0 || hn >= host_cap ||
	    mbmsd_parse_u64(colon + 1, allow_zero ? 0 : 1, 65535, &p))
		return -1;
	memcpy(host, h, hn);
	host[hn] = '\0';
	*port = (uint16_t)p;
	return 0;
}

int mbmsd_config_path(const char *config_path, const char *value, char *out, size_t out_cap)
{
	if (!value || !*value)
		return -1;
	int n;
	if (value[0] == '/' || !config_path || !strchr(config_path, '/')) {
		n = snprintf(out, out_cap, "%s", value);
	} else {
		const char *slash = strrchr(config_path, '/');
		n = snprintf(out, out_cap, "%.*s/%s", (int)(slash - config_path), config_path, value);
	}
	return n < 0 || (size_t)n >= out_cap ? -1 : 0;
}

int mbmsd_ini_error(struct mbms_ini_error *err, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(err->msg, sizeof(err->msg), fmt, ap);
	va_end(ap);
	return MBMS_EINVAL;
}
