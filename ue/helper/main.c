/* mbms-ue-http: the HTTP transport of mbms-ue, one request per run
 * (docs/ue.md "The HTTP helper"). Reads one framed request on stdin
 * (common/ue_http_frame.h), makes it with libcurl exactly as the daemon did
 * in-process (common/ue_http_curl.c), writes the framed answer on stdout.
 *
 * Exit: 0 an HTTP answer was written (any status); 1 no answer (transport
 * error or body over the limit, written as such); 2 the request was
 * malformed or the answer could not be written. It logs one line on stderr
 * for a failure of its own, never a header, a URL or a body: the headers
 * carry Digest responses, the bodies key-management payloads. */
#include "ue_http.h"
#include "ue_http_frame.h"

#include "mbmssec/crypto.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define EXIT_ANSWER 0
#define EXIT_NO_ANSWER 1
#define EXIT_BAD 2

static int bad(const char *what)
{
	fprintf(stderr, "mbms-ue-http: %s\n", what);
	return EXIT_BAD;
}

/* stdin to end of file, at most cap bytes (one more is refused). */
static int read_all(uint8_t *buf, size_t cap, size_t *len)
{
	*len = 0;
	for (;;) {
		if (*len == cap + 1)
			return -1;
		ssize_t n = read(STDIN_FILENO, buf + *len, cap + 1 - *len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return -1;
		if (n == 0)
			return *len > cap ? -1 : 0;
		*len += (size_t)n;
	}
}

static int write_all(const uint8_t *p, size_t n)
{
	while (n) {
		ssize_t w = write(STDOUT_FILENO, p, n);
		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			return -1;
		p += w;
		n -= (size_t)w;
	}
	return 0;
}

int main(int argc, char **argv)
{
	(void)argv;
	if (argc != 1)
		return bad("usage: mbms-ue-http < request (run by mbms-ue, see docs/ue.md)");
	uint8_t *in = malloc(MBMSD_UEH_REQUEST_MAX + 1);
	if (!in)
		return bad("out of memory");
	size_t in_len = 0;
	struct mbmsd_ueh_request q;
	const char *why = NULL;
	int code = EXIT_BAD;
	struct mbmsd_ue_http_result res;
	memset(&res, 0, sizeof(res));
	if (read_all(in, MBMSD_UEH_REQUEST_MAX, &in_len)) {
		code = bad("request unreadable or over its size limit");
		goto out;
	}
	if (mbmsd_ueh_request_parse(in, in_len, &q, &why)) {
		fprintf(stderr, "mbms-ue-http: malformed request: %s\n", why);
		goto out;
	}
	char err[512] = "";
	int rc = mbmsd_ue_http_curl(q.method, q.url, q.headers, q.body, q.body_len, q.resolve,
				    q.ca_file, q.max_body, q.timeout_s, &res, err, sizeof(err));
	struct mbmsd_ueh_answer a = {.kind = MBMSD_UEH_ANSWER};
	if (rc) {
		a.kind = res.body_too_large ? MBMSD_UEH_TOO_LARGE : MBMSD_UEH_TRANSPORT;
		a.message = err;
	} else {
		a.status = res.status;
		a.content_type = res.has_content_type ? res.content_type : NULL;
		a.www_authenticate = res.has_www_authenticate ? res.www_authenticate : NULL;
		a.authentication_info = res.has_authentication_info ? res.authentication_info : NULL;
		a.body = res.body;
		a.body_len = res.body_len;
	}
	uint8_t *outb;
	size_t out_len;
	if (mbmsd_ueh_answer_encode(&a, &outb, &out_len, &why)) {
		fprintf(stderr, "mbms-ue-http: answer not encodable: %s\n", why);
		goto out;
	}
	if (write_all(outb, out_len))
		code = bad("cannot write the answer");
	else
		code = rc ? EXIT_NO_ANSWER : EXIT_ANSWER;
	mbms_wipe(outb, out_len);
	free(outb);
out:
	mbmsd_ue_http_result_free(&res);
	mbms_wipe(in, in_len); /* only what was read: the rest was never touched */
	free(in);
	return code;
}
