/* The parts of the HTTP client glue that need no libcurl (see
 * http_client.h): kept apart so that mbms-ue, which runs its HTTP in the
 * helper mbms-ue-http, links without libcurl. */
#include "http_client.h"

#include "mbmssec/crypto.h"

#include <stdlib.h>
#include <string.h>
#include <strings.h>

/* Copy a header's value (blanks and CRLF trimmed) when it fits. */
bool mbmsd_http_header_value(const char *line, size_t n, const char *name, char *out, size_t cap)
{
	size_t nn = strlen(name);
	if (n <= nn || strncasecmp(line, name, nn) != 0 || line[nn] != ':')
		return false;
	const char *v = line + nn + 1;
	size_t vn = n - nn - 1;
	while (vn && (*v == ' ' || *v == '\t')) {
		v++;
		vn--;
	}
	while (vn && (v[vn - 1] == '\r' || v[vn - 1] == '\n' || v[vn - 1] == ' ' || v[vn - 1] == '\t'))
		vn--;
	if (vn >= cap)
		return false;
	memcpy(out, v, vn);
	out[vn] = '\0';
	return true;
}

void mbmsd_http_exchange_free(struct mbmsd_http_exchange *ex)
{
	if (ex->body) {
		mbms_wipe(ex->body, ex->body_cap);
		free(ex->body);
	}
	ex->body = NULL;
	ex->body_len = ex->body_cap = 0;
}

bool mbmsd_http_media_type_is(const char *content_type, const char *type)
{
	size_t n = strlen(type);
	if (!content_type || strncasecmp(content_type, type, n) != 0)
		return false;
	char c = content_type[n];
	return c == '\0' || c == ';' || c == ' ' || c == '\t';
}

void *mbmsd_body_reserve(void *buf, size_t len, size_t *cap, size_t need)
{
	if (need <= *cap)
		return buf;
	size_t nc = *cap ? *cap : 1024;
	while (nc < need)
		nc *= 2;
	uint8_t *nb = malloc(nc);
	if (!nb)
		return NULL;
	if (len)
		memcpy(nb, buf, len);
	if (buf) {
		mbms_wipe(buf, *cap);
		free(buf);
	}
	*cap = nc;
	return nb;
}
