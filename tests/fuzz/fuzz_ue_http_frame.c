/* libFuzzer target for the framing between mbms-ue and its HTTP helper
 * (common/ue_http_frame.c, docs/ue.md "The HTTP helper").
 *
 * The input is parsed as a request and as an answer (both in place, on
 * copies). Where a parse succeeds, the result is encoded again and must
 * parse again to the same values, and the encoding must be the input
 * itself: the format has one spelling per message, so anything else that
 * parsed would be a second, unchecked way in. */
#include "ue_http_frame.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void die(const char *what)
{
	fprintf(stderr, "fuzz_ue_http_frame: %s\n", what);
	abort();
}

static bool same_str(const char *a, const char *b)
{
	if (!a || !b)
		return a == b;
	return strcmp(a, b) == 0;
}

static void request(const uint8_t *data, size_t size)
{
	uint8_t *buf = malloc(size ? size : 1);
	if (!buf)
		return;
	memcpy(buf, data, size);
	struct mbmsd_ueh_request q;
	const char *why = NULL;
	if (mbmsd_ueh_request_parse(buf, size, &q, &why) != 0) {
		if (!why)
			die("request refused without a reason");
		free(buf);
		return;
	}
	uint8_t *enc = NULL;
	size_t enc_len = 0;
	if (mbmsd_ueh_request_encode(&q, &enc, &enc_len, &why) != 0)
		die("a parsed request does not encode");
	if (enc_len != size || memcmp(enc, data, size) != 0)
		die("a parsed request encodes to other bytes");
	struct mbmsd_ueh_request r;
	if (mbmsd_ueh_request_parse(enc, enc_len, &r, &why) != 0)
		die("an encoded request does not parse");
	if (!same_str(q.method, r.method) || !same_str(q.url, r.url) ||
	    q.timeout_s != r.timeout_s || q.max_body != r.max_body ||
	    !same_str(q.ca_file, r.ca_file) || q.body_len != r.body_len ||
	    (q.body_len && memcmp(q.body, r.body, q.body_len) != 0))
		die("request round trip differs");
	for (size_t i = 0; i <= MBMSD_UEH_MAX_HEADERS; i++) {
		if (!same_str(q.headers[i], r.headers[i]))
			die("request header differs");
		if (!q.headers[i])
			break;
	}
	for (size_t i = 0; i <= MBMSD_UEH_MAX_RESOLVE; i++) {
		if (!same_str(q.resolve[i], r.resolve[i]))
			die("resolve entry differs");
		if (!q.resolve[i])
			break;
	}
	free(enc);
	free(buf);
}

static void answer(const uint8_t *data, size_t size, size_t max_body)
{
	uint8_t *buf = malloc(size ? size : 1);
	if (!buf)
		return;
	memcpy(buf, data, size);
	struct mbmsd_ueh_answer a;
	const char *why = NULL;
	if (mbmsd_ueh_answer_parse(buf, size, max_body, &a, &why) != 0) {
		if (!why)
			die("answer refused without a reason");
		free(buf);
		return;
	}
	if (a.body_len > max_body)
		die("an answer over max_body parsed");
	uint8_t *enc = NULL;
	size_t enc_len = 0;
	if (mbmsd_ueh_answer_encode(&a, &enc, &enc_len, &why) != 0)
		die("a parsed answer does not encode");
	if (enc_len != size || memcmp(enc, data, size) != 0)
		die("a parsed answer encodes to other bytes");
	struct mbmsd_ueh_answer b;
	if (mbmsd_ueh_answer_parse(enc, enc_len, max_body, &b, &why) != 0)
		die("an encoded answer does not parse");
	if (a.kind != b.kind || a.status != b.status || !same_str(a.content_type, b.content_type) ||
	    !same_str(a.www_authenticate, b.www_authenticate) ||
	    !same_str(a.authentication_info, b.authentication_info) ||
	    !same_str(a.message, b.message) || a.body_len != b.body_len ||
	    (a.body_len && memcmp(a.body, b.body, a.body_len) != 0))
		die("answer round trip differs");
	free(enc);
	free(buf);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size > MBMSD_UEH_REQUEST_MAX)
		return 0;
	request(data, size);
	answer(data, size, 64 * 1024);
	answer(data, size, 16); /* a small limit: the too-large path */
	return 0;
}
