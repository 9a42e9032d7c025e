/* mbms-ue <-> mbms-ue-http (common/ue_http_frame.h, common/ue_http.c): the
 * framing, table-driven over good and malformed inputs (each table has rows
 * that must be refused), round trips, truncation at every byte, oversize;
 * then the daemon side against the real helper (MBMS_BIN_DIR) and against
 * helpers that fail, answer garbage or hang: errors as before, no zombie,
 * no fd left open. */
#define _GNU_SOURCE /* memmem */
#include "testutil.h"

#include "ue_http.h"
#include "ue_http_frame.h"

#include <dirent.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

static uint8_t *dup_bytes(const char *s, size_t n)
{
	uint8_t *b = malloc(n + 1);
	assert_non_null(b);
	memcpy(b, s, n);
	b[n] = 0;
	return b;
}

#define RQ MBMSD_UEH_REQUEST_MAGIC
#define GOOD_TAIL "T 2\n15\nL 5\n65536\n"

static void test_request_parse_table(void **state)
{
	(void)state;
	static const struct {
		const char *name, *in;
		bool ok;
	} cases[] = {
		{"GET, no headers", RQ "M 3\nGET\nU 17\nhttp://h:1/path?q\n" GOOD_TAIL "B 0\n\nE 0\n\n", true},
		{"POST with headers, resolve, body",
		 RQ "M 4\nPOST\nU 8\nhttp://h\n" GOOD_TAIL "H 6\nA: b c\nH 14\nUser-Agent: ua\n"
		    "R 13\nh:80:10.0.0.1\nB 5\n<x/>\n\nE 0\n\n",
		 true},
		{"must fail: empty input", "", false},
		{"must fail: bad magic", "mbms-ue-http request 2\nM 3\nGET\n", false},
		{"must fail: method PUT", RQ "M 3\nPUT\nU 8\nhttp://h\n" GOOD_TAIL "B 0\n\nE 0\n\n", false},
		{"must fail: lower-case get", RQ "M 3\nget\nU 8\nhttp://h\n" GOOD_TAIL "B 0\n\nE 0\n\n", false},
		{"must fail: body with GET", RQ "M 3\nGET\nU 8\nhttp://h\n" GOOD_TAIL "B 1\nx\nE 0\n\n", false},
		{"must fail: no end record", RQ "M 3\nGET\nU 8\nhttp://h\n" GOOD_TAIL "B 0\n\n", false},
		{"must fail: bytes after the end", RQ "M 3\nGET\nU 8\nhttp://h\n" GOOD_TAIL "B 0\n\nE 0\n\nX", false},
		{"must fail: length too short", RQ "M 2\nGET\nU 8\nhttp://h\n" GOOD_TAIL "B 0\n\nE 0\n\n", false},
		{"must fail: length too long", RQ "M 4\nGET\nU 8\nhttp://h\n" GOOD_TAIL "B 0\n\nE 0\n\n", false},
		{"must fail: leading zero", RQ "M 03\nGET\nU 8\nhttp://h\n" GOOD_TAIL "B 0\n\nE 0\n\n", false},
		{"must fail: length with a sign", RQ "M +3\nGET\nU 8\nhttp://h\n" GOOD_TAIL "B 0\n\nE 0\n\n", false},
		{"must fail: 8-digit length", RQ "M 3\nGET\nU 8\nhttp://h\n" GOOD_TAIL "B 10000000\n", false},
		{"must fail: records out of order", RQ "U 8\nhttp://h\nM 3\nGET\n" GOOD_TAIL "B 0\n\nE 0\n\n", false},
		{"must fail: header after resolve",
		 RQ "M 3\nGET\nU 8\nhttp://h\n" GOOD_TAIL "R 3\na:b\nH 3\na:b\nB 0\n\nE 0\n\n", false},
		{"must fail: CR in a header (injection)",
		 RQ "M 3\nGET\nU 8\nhttp://h\n" GOOD_TAIL "H 8\nA: b\r\nC:\nB 0\n\nE 0\n\n", false},
		{"must fail: header without a colon", RQ "M 3\nGET\nU 8\nhttp://h\n" GOOD_TAIL "H 3\nabc\nB 0\n\nE 0\n\n", false},
		{"must fail: empty URL", RQ "M 3\nGET\nU 0\n\n" GOOD_TAIL "B 0\n\nE 0\n\n", false},
		{"must fail: timeout 0", RQ "M 3\nGET\nU 8\nhttp://h\nT 1\n0\nL 1\n1\nB 0\n\nE 0\n\n", false},
		{"must fail: timeout over the limit", RQ "M 3\nGET\nU 8\nhttp://h\nT 4\n3601\nL 1\n1\nB 0\n\nE 0\n\n", false},
		{"must fail: max_body over the ceiling", RQ "M 3\nGET\nU 8\nhttp://h\nT 1\n5\nL 7\n1048577\nB 0\n\nE 0\n\n", false},
		{"must fail: negative timeout", RQ "M 3\nGET\nU 8\nhttp://h\nT 2\n-1\nL 1\n1\nB 0\n\nE 0\n\n", false},
		{"must fail: unknown record", RQ "M 3\nGET\nU 8\nhttp://h\n" GOOD_TAIL "Q 0\n\nB 0\n\nE 0\n\n", false},
		{"must fail: end record with payload", RQ "M 3\nGET\nU 8\nhttp://h\n" GOOD_TAIL "B 0\n\nE 1\nx\n", false},
		/* C, the CA file (added later): optional, once, after R, before B */
		{"GET with a CA file", RQ "M 3\nGET\nU 9\nhttps://h\n" GOOD_TAIL "C 10\n/ca/ca.pem\nB 0\n\nE 0\n\n", true},
		{"resolve then a CA file",
		 RQ "M 3\nGET\nU 9\nhttps://h\n" GOOD_TAIL "R 13\nh:80:10.0.0.1\nC 6\nca.pem\nB 0\n\nE 0\n\n", true},
		{"must fail: empty CA file", RQ "M 3\nGET\nU 9\nhttps://h\n" GOOD_TAIL "C 0\n\nB 0\n\nE 0\n\n", false},
		{"must fail: two CA files",
		 RQ "M 3\nGET\nU 9\nhttps://h\n" GOOD_TAIL "C 1\na\nC 1\nb\nB 0\n\nE 0\n\n", false},
		{"must fail: CA file before a header",
		 RQ "M 3\nGET\nU 9\nhttps://h\n" GOOD_TAIL "C 1\na\nH 3\na:b\nB 0\n\nE 0\n\n", false},
		{"must fail: CA file before resolve",
		 RQ "M 3\nGET\nU 9\nhttps://h\n" GOOD_TAIL "C 1\na\nR 3\na:b\nB 0\n\nE 0\n\n", false},
		{"must fail: CA file after the body", RQ "M 3\nGET\nU 9\nhttps://h\n" GOOD_TAIL "B 0\n\nC 1\na\nE 0\n\n", false},
		{"must fail: newline in the CA file",
		 RQ "M 3\nGET\nU 9\nhttps://h\n" GOOD_TAIL "C 3\na\nb\nB 0\n\nE 0\n\n", false},
		{"must fail: CA file length too long",
		 RQ "M 3\nGET\nU 9\nhttps://h\n" GOOD_TAIL "C 7\nca.pem\nB 0\n\nE 0\n\n", false},
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		size_t n = strlen(cases[i].in);
		uint8_t *b = dup_bytes(cases[i].in, n);
		struct mbmsd_ueh_request q;
		const char *why = NULL;
		int rc = mbmsd_ueh_request_parse(b, n, &q, &why);
		if ((rc == 0) != cases[i].ok)
			fail_msg("%s: rc %d (%s)", cases[i].name, rc, why ? why : "-");
		if (rc)
			assert_non_null(why);
		free(b);
	}
}

/* A body is bytes: NUL and newlines inside it are not framing. */
static void test_request_binary_body(void **state)
{
	(void)state;
	static const char head[] = RQ "M 4\nPOST\nU 8\nhttp://h\n" GOOD_TAIL "B 4\n";
	static const uint8_t payload[] = {'\n', 0, '\n', '\n'};
	static const char tail[] = "\nE 0\n\n";
	size_t n = strlen(head) + sizeof(payload) + strlen(tail);
	uint8_t *b = malloc(n);
	assert_non_null(b);
	memcpy(b, head, strlen(head));
	memcpy(b + strlen(head), payload, sizeof(payload));
	memcpy(b + strlen(head) + sizeof(payload), tail, strlen(tail));
	struct mbmsd_ueh_request q;
	const char *why = NULL;
	assert_int_equal(mbmsd_ueh_request_parse(b, n, &q, &why), 0);
	assert_int_equal(q.body_len, 4);
	assert_memory_equal(q.body, payload, 4);
	free(b);
}

static void test_request_round_trip_and_truncation(void **state)
{
	(void)state;
	const uint8_t body[] = {'<', 0, '\n', 0xff, '>'};
	struct mbmsd_ueh_request q = {
		.method = "POST",
		.url = "http://bmsc.example:8080/keymanagement?x=1",
		.timeout_s = 15,
		.max_body = 65536,
		.headers = {"Authorization: Digest username=\"b\", uri=\"/\"", "User-Agent: ua 3gpp-gba", NULL},
		.resolve = {"bmsc.example:8080:127.0.0.1", NULL},
		.body = body,
		.body_len = sizeof(body),
	};
	uint8_t *enc;
	size_t len;
	const char *why = NULL;
	assert_int_equal(mbmsd_ueh_request_encode(&q, &enc, &len, &why), 0);
	uint8_t *copy = malloc(len);
	assert_non_null(copy);
	/* every truncation is refused, the whole is accepted */
	for (size_t cut = 0; cut < len; cut++) {
		memcpy(copy, enc, cut);
		struct mbmsd_ueh_request r;
		if (mbmsd_ueh_request_parse(copy, cut, &r, &why) == 0)
			fail_msg("truncated at %zu of %zu: accepted", cut, len);
	}
	memcpy(copy, enc, len);
	struct mbmsd_ueh_request r;
	assert_int_equal(mbmsd_ueh_request_parse(copy, len, &r, &why), 0);
	assert_string_equal(r.method, "POST");
	assert_string_equal(r.url, q.url);
	assert_int_equal(r.timeout_s, 15);
	assert_int_equal(r.max_body, 65536);
	assert_string_equal(r.headers[0], q.headers[0]);
	assert_string_equal(r.headers[1], q.headers[1]);
	assert_null(r.headers[2]);
	assert_string_equal(r.resolve[0], q.resolve[0]);
	assert_null(r.resolve[1]);
	assert_int_equal(r.body_len, sizeof(body));
	assert_memory_equal(r.body, body, sizeof(body));
	assert_null(r.ca_file); /* none given: none framed (the old form) */
	/* one byte flipped in the length of the URL record: refused */
	char *u = strstr((char *)enc, "U 42\n");
	assert_non_null(u);
	u[3] = '3';
	memcpy(copy, enc, len);
	assert_int_not_equal(mbmsd_ueh_request_parse(copy, len, &r, &why), 0);
	free(copy);
	free(enc);

	/* with a CA file: the C record round-trips and is cut-checked too */
	{
		struct mbmsd_ueh_request qc = q;
		qc.ca_file = "/etc/mbmssec/tls/lab-ca.pem";
		assert_int_equal(mbmsd_ueh_request_encode(&qc, &enc, &len, &why), 0);
		assert_non_null(memmem(enc, len, "\nC 27\n/etc/mbmssec/tls/lab-ca.pem\nB 5\n", 38));
		uint8_t *cc = malloc(len);
		assert_non_null(cc);
		for (size_t cut = 0; cut < len; cut++) {
			memcpy(cc, enc, cut);
			if (mbmsd_ueh_request_parse(cc, cut, &r, &why) == 0)
				fail_msg("CA: truncated at %zu of %zu: accepted", cut, len);
		}
		memcpy(cc, enc, len);
		assert_int_equal(mbmsd_ueh_request_parse(cc, len, &r, &why), 0);
		assert_string_equal(r.ca_file, qc.ca_file);
		assert_string_equal(r.url, q.url);
		assert_int_equal(r.body_len, sizeof(body));
		free(cc);
		free(enc);
		/* "" is no CA file: nothing framed */
		qc.ca_file = "";
		assert_int_equal(mbmsd_ueh_request_encode(&qc, &enc, &len, &why), 0);
		assert_null(memmem(enc, len, "\nC ", 3));
		free(enc);
		/* refused by the encoder: a control byte, a path over the limit */
		qc.ca_file = "/a\nb";
		assert_int_not_equal(mbmsd_ueh_request_encode(&qc, &enc, &len, &why), 0);
		char *long_path = malloc(MBMSD_UEH_CA_FILE_MAX + 2);
		assert_non_null(long_path);
		memset(long_path, 'a', MBMSD_UEH_CA_FILE_MAX + 1);
		long_path[MBMSD_UEH_CA_FILE_MAX + 1] = '\0';
		qc.ca_file = long_path;
		assert_int_not_equal(mbmsd_ueh_request_encode(&qc, &enc, &len, &why), 0);
		long_path[MBMSD_UEH_CA_FILE_MAX] = '\0'; /* at the limit: accepted */
		assert_int_equal(mbmsd_ueh_request_encode(&qc, &enc, &len, &why), 0);
		free(enc);
		free(long_path);
	}

	/* the encoder refuses what the parser would */
	static const char *bad_headers[] = {"A: b\r\nInjected: 1", NULL};
	struct mbmsd_ueh_request b = q;
	memcpy(b.headers, bad_headers, sizeof(bad_headers));
	assert_int_not_equal(mbmsd_ueh_request_encode(&b, &enc, &len, &why), 0);
	b = q;
	b.method = "DELETE";
	assert_int_not_equal(mbmsd_ueh_request_encode(&b, &enc, &len, &why), 0);
	b = q;
	b.body_len = MBMSD_UEH_BODY_MAX + 1;
	assert_int_not_equal(mbmsd_ueh_request_encode(&b, &enc, &len, &why), 0);

	/* oversize: a request over MBMSD_UEH_REQUEST_MAX is refused before parsing */
	size_t big = MBMSD_UEH_REQUEST_MAX + 1;
	uint8_t *huge = calloc(1, big);
	assert_non_null(huge);
	memcpy(huge, RQ, strlen(RQ));
	assert_int_not_equal(mbmsd_ueh_request_parse(huge, big, &r, &why), 0);
	assert_string_equal(why, "request too large");
	free(huge);
}

#define AQ MBMSD_UEH_ANSWER_MAGIC

static void test_answer_parse_table(void **state)
{
	(void)state;
	static const struct {
		const char *name, *in;
		bool ok;
		enum mbmsd_ueh_kind kind;
	} cases[] = {
		{"200 with all headers",
		 AQ "S 3\n200\nC 8\ntext/xml\nW 13\nDigest realm=\nA 5\nqop=x\nB 4\n<a/>\nE 0\n\n", true,
		 MBMSD_UEH_ANSWER},
		{"401 with a challenge only", AQ "S 3\n401\nW 6\nDigest\nB 0\n\nE 0\n\n", true, MBMSD_UEH_ANSWER},
		{"transport error", AQ "X 18\nconnection refused\nE 0\n\n", true, MBMSD_UEH_TRANSPORT},
		{"body too large", AQ "Z 3\nbig\nE 0\n\n", true, MBMSD_UEH_TOO_LARGE},
		{"must fail: status 99", AQ "S 2\n99\nB 0\n\nE 0\n\n", false, 0},
		{"must fail: status 600", AQ "S 3\n600\nB 0\n\nE 0\n\n", false, 0},
		{"must fail: headers out of order", AQ "S 3\n200\nW 1\nx\nC 1\ny\nB 0\n\nE 0\n\n", false, 0},
		{"must fail: header twice", AQ "S 3\n200\nC 1\nx\nC 1\ny\nB 0\n\nE 0\n\n", false, 0},
		{"must fail: no body record", AQ "S 3\n200\nE 0\n\n", false, 0},
		{"must fail: body over max_body (16 here)", AQ "S 3\n200\nB 17\n01234567890123456\nE 0\n\n", false, 0},
		{"must fail: status and error", AQ "S 3\n200\nX 1\nx\nE 0\n\n", false, 0},
		{"must fail: error then more", AQ "X 1\nx\nB 0\n\nE 0\n\n", false, 0},
		{"must fail: request magic", RQ "S 3\n200\nB 0\n\nE 0\n\n", false, 0},
		{"must fail: truncated", AQ "S 3\n200\nB 4\n<a", false, 0},
		{"must fail: newline in a header", AQ "S 3\n200\nC 3\na\nb\nB 0\n\nE 0\n\n", false, 0},
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		size_t n = strlen(cases[i].in);
		uint8_t *b = dup_bytes(cases[i].in, n);
		struct mbmsd_ueh_answer a;
		const char *why = NULL;
		int rc = mbmsd_ueh_answer_parse(b, n, 16, &a, &why);
		if ((rc == 0) != cases[i].ok)
			fail_msg("%s: rc %d (%s)", cases[i].name, rc, why ? why : "-");
		if (rc == 0 && a.kind != cases[i].kind)
			fail_msg("%s: kind %d", cases[i].name, (int)a.kind);
		free(b);
	}
	/* round trip; a message with a newline is cleaned, not refused */
	struct mbmsd_ueh_answer a = {.kind = MBMSD_UEH_ANSWER,
				     .status = 200,
				     .content_type = "application/mikey",
				     .authentication_info = "rspauth=\"x\"",
				     .body = (const uint8_t *)"\x01\x02",
				     .body_len = 2};
	uint8_t *enc;
	size_t len;
	const char *why;
	assert_int_equal(mbmsd_ueh_answer_encode(&a, &enc, &len, &why), 0);
	struct mbmsd_ueh_answer r;
	assert_int_equal(mbmsd_ueh_answer_parse(enc, len, 16, &r, &why), 0);
	assert_int_equal(r.status, 200);
	assert_string_equal(r.content_type, "application/mikey");
	assert_null(r.www_authenticate);
	assert_string_equal(r.authentication_info, "rspauth=\"x\"");
	assert_int_equal(r.body_len, 2);
	free(enc);
	struct mbmsd_ueh_answer e = {.kind = MBMSD_UEH_TRANSPORT, .message = "a\nb"};
	assert_int_equal(mbmsd_ueh_answer_encode(&e, &enc, &len, &why), 0);
	assert_int_equal(mbmsd_ueh_answer_parse(enc, len, 16, &r, &why), 0);
	assert_string_equal(r.message, "a b");
	free(enc);
}

/* ---- the daemon side, with the real helper and with broken ones ---- */

static int count_fds(void)
{
	DIR *d = opendir("/proc/self/fd");
	assert_non_null(d);
	int n = 0;
	while (readdir(d))
		n++;
	closedir(d);
	return n;
}

static void no_children_left(void)
{
	int st;
	errno = 0;
	assert_int_equal(waitpid(-1, &st, WNOHANG), -1);
	assert_int_equal(errno, ECHILD);
}

static char g_dir[] = "/tmp/mbms-ueh-XXXXXX";

static const char *script(const char *name, const char *body)
{
	static char path[256];
	snprintf(path, sizeof(path), "%s/%s", g_dir, name);
	FILE *f = fopen(path, "w");
	assert_non_null(f);
	fprintf(f, "#!/bin/sh\n%s\n", body);
	fclose(f);
	chmod(path, 0700);
	return path;
}

/* A TCP port with nothing listening. */
static unsigned closed_port(void)
{
	int s = socket(AF_INET, SOCK_STREAM, 0);
	struct sockaddr_in a = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
	socklen_t al = sizeof(a);
	assert_int_equal(bind(s, (struct sockaddr *)&a, sizeof(a)), 0);
	assert_int_equal(getsockname(s, (struct sockaddr *)&a, &al), 0);
	close(s);
	return ntohs(a.sin_port);
}

static void test_daemon_side(void **state)
{
	(void)state;
	assert_non_null(mkdtemp(g_dir));
	int fds = count_fds();
	char url[64], err[512];
	snprintf(url, sizeof(url), "http://127.0.0.1:%u/", closed_port());
	const char *headers[] = {"Authorization: Digest x", NULL};
	struct mbmsd_ue_http_result res;
	static const struct {
		const char *name, *helper_body; /* NULL: the real helper */
		const char *err_has;
	} cases[] = {
		{"real helper, nothing listening: transport error", NULL, "127.0.0.1"},
		{"helper missing", "", "cannot run the HTTP helper"},
		{"helper exits 1 without a word", "exit 1", "failed (exit 1)"},
		{"helper answers garbage", "cat >/dev/null; echo hello; exit 0", "malformed answer"},
		{"helper answers but exits non-zero",
		 "cat >/dev/null; printf 'mbms-ue-http answer 1\\nS 3\\n200\\nB 0\\n\\nE 0\\n\\n'; exit 3",
		 "contradicts"},
		{"helper killed", "kill -9 $$", "signal 9"},
		{"must time out: helper hangs (killed, reaped)", "exec sleep 60", "timed out"},
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		if (!cases[i].helper_body)
			mbmsd_ue_http_set_helper(MBMS_BIN_DIR "/mbms-ue-http");
		else if (!cases[i].helper_body[0])
			mbmsd_ue_http_set_helper("/nonexistent/mbms-ue-http");
		else
			mbmsd_ue_http_set_helper(script("h", cases[i].helper_body));
		err[0] = '\0';
		int rc = mbmsd_ue_http("POST", url, headers, (const uint8_t *)"<x/>", 4, NULL, 65536, 1,
				       &res, err, sizeof(err));
		if (rc != -1 || !strstr(err, cases[i].err_has))
			fail_msg("%s: rc %d, err '%s'", cases[i].name, rc, err);
		mbmsd_ue_http_result_free(&res);
		no_children_left();
		assert_int_equal(count_fds(), fds);
	}
	/* a well-formed answer from a stand-in helper reaches the caller as before */
	mbmsd_ue_http_set_helper(script(
		"ok", "cat >/dev/null; printf 'mbms-ue-http answer 1\\nS 3\\n401\\nW 14\\nDigest realm=x\\n"
		      "B 3\\nabc\\nE 0\\n\\n'"));
	assert_int_equal(mbmsd_ue_http("GET", url, headers, NULL, 0, NULL, 65536, 5, &res, err,
				       sizeof(err)),
			 0);
	assert_int_equal(res.status, 401);
	assert_true(res.has_www_authenticate);
	assert_string_equal(res.www_authenticate, "Digest realm=x");
	assert_false(res.has_content_type);
	assert_int_equal(res.body_len, 3);
	assert_string_equal((const char *)res.body, "abc");
	mbmsd_ue_http_result_free(&res);
	/* Z: the body over the limit is said so, as before */
	mbmsd_ue_http_set_helper(script(
		"big", "cat >/dev/null; printf 'mbms-ue-http answer 1\\nZ 3\\nbig\\nE 0\\n\\n'; exit 1"));
	assert_int_equal(mbmsd_ue_http("GET", url, headers, NULL, 0, NULL, 65536, 5, &res, err,
				       sizeof(err)),
			 -1);
	assert_true(res.body_too_large);
	mbmsd_ue_http_result_free(&res);
	no_children_left();
	assert_int_equal(count_fds(), fds);
	/* the CA file set for the process goes to the helper in each request */
	char saved[300];
	snprintf(saved, sizeof(saved), "%s/req", g_dir);
	char body_sh[600];
	snprintf(body_sh, sizeof(body_sh),
		 "cat >'%s'; printf 'mbms-ue-http answer 1\nS 3\n204\nB 0\n\nE 0\n\n'", saved);
	mbmsd_ue_http_set_helper(script("save", body_sh));
	for (int with_ca = 1; with_ca >= 0; with_ca--) {
		assert_int_equal(mbmsd_ue_http_set_ca_file(with_ca ? "/lab/ca.pem" : NULL), 0);
		assert_int_equal(mbmsd_ue_http("GET", url, headers, NULL, 0, NULL, 65536, 5, &res, err,
					       sizeof(err)),
				 0);
		assert_int_equal(res.status, 204);
		mbmsd_ue_http_result_free(&res);
		FILE *f = fopen(saved, "rb");
		assert_non_null(f);
		char got[4096];
		size_t gn = fread(got, 1, sizeof(got), f);
		fclose(f);
		uint8_t *copy = dup_bytes(got, gn);
		struct mbmsd_ueh_request r;
		const char *why = NULL;
		assert_int_equal(mbmsd_ueh_request_parse(copy, gn, &r, &why), 0);
		if (with_ca)
			assert_string_equal(r.ca_file, "/lab/ca.pem");
		else
			assert_null(r.ca_file);
		free(copy);
		unlink(saved);
	}
	assert_int_equal(mbmsd_ue_http_set_ca_file("x"), 0);
	char *too_long = malloc(MBMSD_UEH_CA_FILE_MAX + 2);
	assert_non_null(too_long);
	memset(too_long, 'a', MBMSD_UEH_CA_FILE_MAX + 1);
	too_long[MBMSD_UEH_CA_FILE_MAX + 1] = '\0';
	assert_int_equal(mbmsd_ue_http_set_ca_file(too_long), -1);
	free(too_long);
	assert_int_equal(mbmsd_ue_http_set_ca_file(NULL), 0);
	assert_string_equal(mbmsd_ue_http_ca_file(), "");
	no_children_left();
	assert_int_equal(count_fds(), fds);
	unlink(script("save", ""));
	unlink(script("h", ""));
	unlink(script("ok", ""));
	unlink(script("big", ""));
	rmdir(g_dir);
	mbmsd_ue_http_set_helper(NULL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_request_parse_table),
		cmocka_unit_test(test_request_binary_body),
		cmocka_unit_test(test_request_round_trip_and_truncation),
		cmocka_unit_test(test_answer_parse_table),
		cmocka_unit_test(test_daemon_side),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
