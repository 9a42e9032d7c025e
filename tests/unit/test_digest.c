/* HTTP Digest (RFC 2617, qop=auth-int) and Digest AKA (RFC 3310): the
 * RFC 2617 3.5 vector, the independent auth-int cases, parser tables of
 * real-world and malformed headers, formatter round trips, stateless nonces
 * and the nc replay table. */
#include "testutil.h"

#include "mbmssec/crypto.h"
#include "mbmssec/digest.h"
#include "mbmssec/error.h"
#include "mbmssec/ids.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define HEXBUF (MBMS_DIGEST_HEX_LEN + 1)

/* ---- helpers ---- */

static const struct mbms_str *field(const struct mbms_digest_fields *f, const char *name)
{
	static const struct {
		const char *name;
		size_t off;
	} map[] = {
		{"username", offsetof(struct mbms_digest_fields, username)},
		{"realm", offsetof(struct mbms_digest_fields, realm)},
		{"nonce", offsetof(struct mbms_digest_fields, nonce)},
		{"uri", offsetof(struct mbms_digest_fields, uri)},
		{"response", offsetof(struct mbms_digest_fields, response)},
		{"algorithm", offsetof(struct mbms_digest_fields, algorithm)},
		{"cnonce", offsetof(struct mbms_digest_fields, cnonce)},
		{"opaque", offsetof(struct mbms_digest_fields, opaque)},
		{"qop", offsetof(struct mbms_digest_fields, qop)},
		{"nc", offsetof(struct mbms_digest_fields, nc)},
		{"stale", offsetof(struct mbms_digest_fields, stale)},
		{"domain", offsetof(struct mbms_digest_fields, domain)},
		{"auts", offsetof(struct mbms_digest_fields, auts)},
		{"rspauth", offsetof(struct mbms_digest_fields, rspauth)},
		{"nextnonce", offsetof(struct mbms_digest_fields, nextnonce)},
	};
	for (size_t i = 0; i < sizeof(map) / sizeof(map[0]); i++)
		if (strcmp(map[i].name, name) == 0)
			return (const struct mbms_str *)((const char *)f + map[i].off);
	fail_msg("no field %s", name);
	return NULL;
}

/* Unquoted value of a field into a static buffer, or NULL when absent. */
static const char *value_of(const struct mbms_digest_fields *f, const char *name)
{
	static char buf[MBMS_DIGEST_MAX_HEADER + 1];
	int rc = mbms_digest_unquote(field(f, name), buf, sizeof(buf));
	if (rc == MBMS_ENOTFOUND)
		return NULL;
	assert_int_equal(rc, 0);
	return buf;
}

/* ---- RFC 2617 3.5 (tests/vectors/primitives.txt) ---- */

/* The "# HTTP Digest" section of primitives.txt as key/value pairs. */
static const char *vec_get(char *section, const char *key, char *out, size_t cap)
{
	size_t klen = strlen(key);
	for (char *line = section; line && *line;) {
		char *nl = strchr(line, '\n');
		size_t n = nl ? (size_t)(nl - line) : strlen(line);
		if (n > klen && strncmp(line, key, klen) == 0 && (line[klen] == ' ')) {
			const char *v = line + klen;
			while (*v == ' ')
				v++;
			size_t vlen = n - (size_t)(v - line);
			if (vlen >= cap)
				fail_msg("vector value for %s too long", key);
			memcpy(out, v, vlen);
			out[vlen] = '\0';
			return out;
		}
		if (n == 0)
			break; /* end of the section */
		line = nl ? nl + 1 : NULL;
	}
	fail_msg("primitives.txt: no '%s' in the HTTP Digest section", key);
	return NULL;
}

static void test_rfc2617_vector(void **state)
{
	(void)state;
	char *text = th_load_text("primitives.txt", NULL);
	char *sec = strstr(text, "# HTTP Digest");
	assert_non_null(sec);
	sec = strchr(sec, '\n') + 1;
	char user[64], realm[64], pw[64], method[16], uri[64], nonce[64], nc[16], cnonce[32],
		qop[16], want[64];
	vec_get(sec, "username", user, sizeof(user));
	vec_get(sec, "realm", realm, sizeof(realm));
	vec_get(sec, "password", pw, sizeof(pw));
	vec_get(sec, "method", method, sizeof(method));
	vec_get(sec, "uri", uri, sizeof(uri));
	vec_get(sec, "nonce", nonce, sizeof(nonce));
	vec_get(sec, "nc", nc, sizeof(nc));
	vec_get(sec, "cnonce", cnonce, sizeof(cnonce));
	vec_get(sec, "qop", qop, sizeof(qop));
	vec_get(sec, "response", want, sizeof(want));
	free(text);
	assert_string_equal(want, "6629fae49393a05397450978507c4ef1");

	char ha1[HEXBUF], resp[HEXBUF];
	assert_int_equal(mbms_digest_ha1(user, realm, (const uint8_t *)pw, strlen(pw), ha1), 0);
	assert_string_equal(ha1, "939e7578ed9e3c518a452acee763bce9"); /* Python hashlib */
	assert_int_equal(mbms_digest_response(ha1, nonce, nc, cnonce, qop, method, uri, NULL, 0, resp),
			 0);
	assert_string_equal(resp, want);

	/* Must fail: the wrong password, the wrong method, another nc. */
	assert_int_equal(mbms_digest_ha1(user, realm, (const uint8_t *)"Circle of Life", 14, ha1), 0);
	assert_int_equal(mbms_digest_response(ha1, nonce, nc, cnonce, qop, method, uri, NULL, 0, resp),
			 0);
	assert_string_not_equal(resp, want);
	assert_int_equal(mbms_digest_ha1(user, realm, (const uint8_t *)pw, strlen(pw), ha1), 0);
	assert_int_equal(mbms_digest_response(ha1, nonce, nc, cnonce, qop, "POST", uri, NULL, 0, resp),
			 0);
	assert_string_not_equal(resp, want);
	assert_int_equal(
		mbms_digest_response(ha1, nonce, "00000002", cnonce, qop, method, uri, NULL, 0, resp), 0);
	assert_string_not_equal(resp, want);

	/* The RFC's Authorization header carries the same response. */
	static const char hdr[] =
		"Digest username=\"Mufasa\", realm=\"testrealm@host.com\", "
		"nonce=\"dcd98b7102dd2f0e8b11d0f600bfb0c093\", uri=\"/dir/index.html\", qop=auth, "
		"nc=00000001, cnonce=\"0a4f113b\", response=\"6629fae49393a05397450978507c4ef1\", "
		"opaque=\"5ccc069c403ebaf9f0171e9517f40e41\"";
	struct mbms_digest_fields f;
	assert_int_equal(mbms_digest_parse(hdr, strlen(hdr), true, &f), 0);
	assert_true(mbms_digest_str_eq(&f.response, want));
	assert_true(mbms_digest_str_eq(&f.nonce, nonce));
	assert_true(mbms_digest_str_caseeq(&f.qop, "AUTH"));
	assert_false(mbms_digest_str_eq(&f.qop, "AUTH"));
}

/* ---- independent_cases.json "digest" cases (auth-int, BM-SC realm) ---- */

static void md5_hex_of(const uint8_t *p, size_t n, char out[HEXBUF])
{
	uint8_t md[16];
	const struct mbms_buf b = {p, n};
	assert_int_equal(mbms_md5_v(&b, 1, md), 0);
	assert_int_equal(mbms_hex_encode(md, 16, out, HEXBUF), 0);
}

static void test_independent_digest(void **state)
{
	(void)state;
	cJSON *root = th_load_json("independent_cases.json");
	const cJSON *cases = cJSON_GetObjectItemCaseSensitive(root, "cases");
	const cJSON *c;
	int seen = 0;
	cJSON_ArrayForEach(c, cases)
	{
		if (!th_kind_is(c, "digest"))
			continue;
		seen++;
		const char *id = th_str(c, "id");
		const cJSON *in = cJSON_GetObjectItemCaseSensitive(c, "input");
		const cJSON *ex = cJSON_GetObjectItemCaseSensitive(c, "expected");
		const char *user = th_str(in, "username"), *realm = th_str(in, "realm"),
			   *pw = th_str(in, "password"), *method = th_str(in, "method"),
			   *uri = th_str(in, "uri"), *nonce = th_str(in, "nonce"),
			   *nc = th_str(in, "nc"), *cnonce = th_str(in, "cnonce"),
			   *qop = th_str(in, "qop"), *body = th_str(in, "body"),
			   *rsp_body = th_str(in, "rsp_body");

		/* PROFILE 10.13: password = base64(MRK), 44 characters. */
		uint8_t mrk[32];
		char mrk_b64[64];
		th_hex_into(th_str(in, "mrk"), mrk, 32);
		assert_int_equal(mbms_base64_encode(mrk, 32, mrk_b64, sizeof(mrk_b64)), 0);
		assert_string_equal(mrk_b64, pw);
		assert_int_equal(strlen(pw), 44);

		char ha1[HEXBUF], ha2[HEXBUF], resp[HEXBUF], rsp[HEXBUF], md[HEXBUF];
		assert_int_equal(
			mbms_digest_ha1(user, realm, (const uint8_t *)mrk_b64, strlen(mrk_b64), ha1), 0);
		if (strcmp(ha1, th_str(ex, "ha1")) != 0)
			fail_msg("%s ha1: %s", id, ha1);
		assert_int_equal(mbms_digest_ha2(method, uri, qop, (const uint8_t *)body, strlen(body),
						 ha2),
				 0);
		if (strcmp(ha2, th_str(ex, "ha2")) != 0)
			fail_msg("%s ha2: %s", id, ha2);
		assert_int_equal(mbms_digest_response(ha1, nonce, nc, cnonce, qop, method, uri,
						      (const uint8_t *)body, strlen(body), resp),
				 0);
		if (strcmp(resp, th_str(ex, "response")) != 0)
			fail_msg("%s response: %s", id, resp);
		assert_int_equal(mbms_digest_rspauth(ha1, nonce, nc, cnonce, qop, uri,
						     (const uint8_t *)rsp_body, strlen(rsp_body), rsp),
				 0);
		if (strcmp(rsp, th_str(ex, "rspauth")) != 0)
			fail_msg("%s rspauth: %s", id, rsp);
		md5_hex_of((const uint8_t *)body, strlen(body), md);
		assert_string_equal(md, th_str(ex, "body_md5"));
		md5_hex_of((const uint8_t *)rsp_body, strlen(rsp_body), md);
		assert_string_equal(md, th_str(ex, "rsp_body_md5"));

		/* Must fail: auth-int covers the body, so one changed (or one
		 * added) byte changes response and rspauth; qop=auth does not. */
		size_t blen = strlen(body);
		char *tampered = malloc(blen + 2);
		assert_non_null(tampered);
		memcpy(tampered, body, blen + 1);
		if (blen)
			tampered[blen / 2] ^= 0x01;
		else
			tampered[blen++] = ' ';
		char resp2[HEXBUF];
		assert_int_equal(mbms_digest_response(ha1, nonce, nc, cnonce, qop, method, uri,
						      (const uint8_t *)tampered, blen, resp2),
				 0);
		assert_string_not_equal(resp2, resp);
		assert_int_equal(mbms_digest_rspauth(ha1, nonce, nc, cnonce, qop, uri,
						     (const uint8_t *)tampered, blen, resp2),
				 0);
		assert_string_not_equal(resp2, rsp);
		free(tampered);
		assert_int_equal(mbms_digest_response(ha1, nonce, nc, cnonce, "auth", method, uri,
						      (const uint8_t *)body, strlen(body), resp2),
				 0);
		assert_string_not_equal(resp2, resp);
	}
	assert_int_equal(seen, 2);
	cJSON_Delete(root);
}

/* ---- RFC 3310 AKAv1-MD5: the password is RES (bytes) ---- */

/* TS 35.208 set 1 (RES = f2 = a54211d5e3ba50bf, RAND, AUTN = SQN^AK||AMF||MAC-A);
 * expected digests computed independently with Python hashlib. */
static void test_aka_md5(void **state)
{
	(void)state;
	static const char user[] = "001010123456789@ims.mnc001.mcc001.3gppnetwork.org";
	static const char realm[] = "bsf.mnc001.mcc001.pub.3gppnetwork.org";
	static const char nonce[] = "I1U8vpY3qJ0hiuZNrke/NVXzKLQ1d7m5Sp/6w1Tfr7M=";
	static const char body[] =
		"<BootstrappingInfo xmlns=\"uri:3gpp-gba\"><btid>I1U8vpY3qJ0hiuZNrke/NQ==@bsf.mnc001."
		"mcc001.pub.3gppnetwork.org</btid><lifetime>2026-11-28T22:00:00Z</lifetime>"
		"</BootstrappingInfo>";
	uint8_t res[8];
	th_hex_into("a54211d5e3ba50bf", res, 8);
	char ha1[HEXBUF], resp[HEXBUF], rsp[HEXBUF];

	assert_int_equal(mbms_digest_ha1(user, realm, res, sizeof(res), ha1), 0);
	assert_string_equal(ha1, "18125006e2e00ff42c55d3caf6cff47a");
	assert_int_equal(mbms_digest_response(ha1, nonce, "00000001", "0a4f113b", "auth-int", "GET",
					      "/", NULL, 0, resp),
			 0);
	assert_string_equal(resp, "26d91881d4f34c67c3c171426686ad62");
	assert_int_equal(mbms_digest_rspauth(ha1, nonce, "00000001", "0a4f113b", "auth-int", "/",
					     (const uint8_t *)body, strlen(body), rsp),
			 0);
	assert_string_equal(rsp, "ae9f9333ee48bd43223fdcf3f4142f75");

	/* PROFILE 10.16: after a MAC-A or SQN failure the password is empty. */
	assert_int_equal(mbms_digest_ha1(user, realm, NULL, 0, ha1), 0);
	assert_string_equal(ha1, "3a19e266b8988a54aa5e0020a5555b2d");
	assert_int_equal(mbms_digest_response(ha1, nonce, "00000001", "0a4f113b", "auth-int", "GET",
					      "/", NULL, 0, resp),
			 0);
	assert_string_equal(resp, "9a8bad61a1e6d2b158374c79d9e198ed");

	/* Must fail: RES as hex text instead of bytes is another password. */
	assert_int_equal(mbms_digest_ha1(user, realm, (const uint8_t *)"a54211d5e3ba50bf", 16, ha1),
			 0);
	assert_string_not_equal(ha1, "18125006e2e00ff42c55d3caf6cff47a");

	/* Bad arguments. */
	assert_int_equal(mbms_digest_ha1(NULL, realm, res, 8, ha1), MBMS_EINVAL);
	assert_int_equal(mbms_digest_ha1(user, realm, NULL, 8, ha1), MBMS_EINVAL);
	assert_int_equal(mbms_digest_response("18125006e2e00ff42c55d3caf6cff47a", nonce, "00000001",
					      "c", "auth-conf", "GET", "/", NULL, 0, resp),
			 MBMS_EINVAL);
	assert_int_equal(mbms_digest_response("18125006e2e00ff42c55d3caf6cff47z", nonce, "00000001", "c", "auth", "GET", "/",
					      NULL, 0, resp),
			 MBMS_EINVAL);
	assert_int_equal(mbms_digest_ha2("GET", "/", "auth-int", NULL, 3, resp), MBMS_EINVAL);
}

/* ---- parser: headers that must parse ---- */

struct good_header {
	const char *source;
	const char *hdr;
	size_t len; /* 0: strlen(hdr) */
	bool with_scheme;
	/* field / unquoted value; value NULL: must be absent */
	const char *expect[8][2];
	bool wrong; /* a deliberately wrong expectation: the check must notice */
};

static const struct good_header good_headers[] = {
	{"RFC 2617 3.5 Authorization",
	 "Digest username=\"Mufasa\", realm=\"testrealm@host.com\", "
	 "nonce=\"dcd98b7102dd2f0e8b11d0f600bfb0c093\", uri=\"/dir/index.html\", qop=auth, "
	 "nc=00000001, cnonce=\"0a4f113b\", response=\"6629fae49393a05397450978507c4ef1\", "
	 "opaque=\"5ccc069c403ebaf9f0171e9517f40e41\"",
	 0, true,
	 {{"username", "Mufasa"},
	  {"uri", "/dir/index.html"},
	  {"qop", "auth"},
	  {"nc", "00000001"},
	  {"opaque", "5ccc069c403ebaf9f0171e9517f40e41"},
	  {"algorithm", NULL}},
	 false},
	{"RFC 2617 3.5 WWW-Authenticate",
	 "Digest realm=\"testrealm@host.com\", qop=\"auth,auth-int\", "
	 "nonce=\"dcd98b7102dd2f0e8b11d0f600bfb0c093\", opaque=\"5ccc069c403ebaf9f0171e9517f40e41\"",
	 0, true,
	 {{"realm", "testrealm@host.com"}, {"qop", "auth,auth-int"}, {"username", NULL}},
	 false},
	{"RFC 3310 3.1 AKA challenge (unfolded)",
	 "Digest realm=\"RoamingUsers@example.com\", "
	 "nonce=\"CjPk9mRqNuT25eRkajM09uTl9nM09uTl9nMz5OX25PZz==\", qop=\"auth,auth-int\", "
	 "algorithm=AKAv1-MD5",
	 0, true,
	 {{"algorithm", "AKAv1-MD5"}, {"nonce", "CjPk9mRqNuT25eRkajM09uTl9nM09uTl9nMz5OX25PZz=="}},
	 false},
	{"RFC 3310 3.2-shaped AKA response",
	 "Digest username=\"jon.dough@mobile.operator.com\", realm=\"RoamingUsers@example.com\", "
	 "nonce=\"CjPk9mRqNuT25eRkajM09uTl9nM09uTl9nMz5OX25PZz==\", uri=\"sip:mobile.operator.com\", "
	 "qop=auth-int, nc=00000001, cnonce=\"0a4f113b\", "
	 "response=\"6629fae49393a05397450978507c4ef1\", opaque=\"5ccc069c403ebaf9f0171e9517f40e41\"",
	 0, true,
	 {{"uri", "sip:mobile.operator.com"}, {"qop", "auth-int"}, {"auts", NULL}},
	 false},
	{"RFC 3310 3.4-shaped synchronisation failure with auts",
	 "Digest username=\"jon.dough@mobile.operator.com\", realm=\"RoamingUsers@example.com\", "
	 "nonce=\"CjPk9mRqNuT25eRkajM09uTl9nM09uTl9nMz5OX25PZz==\", uri=\"sip:mobile.operator.com\", "
	 "qop=auth-int, nc=00000001, cnonce=\"0a4f113b\", response=\"4429ffe49393c02397450934607c4ef1\", "
	 "opaque=\"5ccc069c403ebaf9f0171e9517f40e41\", auts=\"5PYxMuX2NOT2NeQ=\"",
	 0, true,
	 {{"auts", "5PYxMuX2NOT2NeQ="}, {"response", "4429ffe49393c02397450934607c4ef1"}},
	 false},
	{"PROFILE 10.15 first Ub request",
	 "Digest username=\"001010123456789@ims.mnc001.mcc001.3gppnetwork.org\", "
	 "realm=\"bsf.mnc001.mcc001.pub.3gppnetwork.org\", nonce=\"\", uri=\"/\", response=\"\"",
	 0, true,
	 {{"nonce", ""}, {"response", ""}, {"uri", "/"}, {"qop", NULL}, {"cnonce", NULL}},
	 false},
	{"curl 7.88 Authorization shape (cnonce before nc, algorithm last)",
	 "Digest username=\"user\", realm=\"testrealm@host.com\", "
	 "nonce=\"dcd98b7102dd2f0e8b11d0f600bfb0c093\", uri=\"/dir/index.html\", "
	 "cnonce=\"ZmE0ZjgyNjQ5YTM4ZTcxNGE3MDc2ZmUxNmI2NzU0ZGM=\", nc=00000001, qop=auth, "
	 "response=\"b9d5ad8e8a8b6e3d0b7b3d3b2a64a4d1\", opaque=\"5ccc069c403ebaf9f0171e9517f40e41\", "
	 "algorithm=MD5",
	 0, true,
	 {{"cnonce", "ZmE0ZjgyNjQ5YTM4ZTcxNGE3MDc2ZmUxNmI2NzU0ZGM="}, {"algorithm", "MD5"}},
	 false},
	{"libmicrohttpd 0.9.75 challenge shape (no space after comma)",
	 "Digest realm=\"mhd\",qop=\"auth\",nonce=\"60ad3ff1c2e6fee7f1a1fb4a8d8e1fb13c97b5b6\","
	 "opaque=\"0a3b\"",
	 0, true,
	 {{"realm", "mhd"}, {"opaque", "0a3b"}},
	 false},
	{"RFC 2617 3.2.3 Authentication-Info (bare list)",
	 "rspauth=\"6a14f468e1349ef5ee4c15b2f365dd7e\", cnonce=\"087b8d8b5329fa6d\", nc=00000001, "
	 "qop=auth-int",
	 0, false,
	 {{"rspauth", "6a14f468e1349ef5ee4c15b2f365dd7e"}, {"qop", "auth-int"}, {"nonce", NULL}},
	 false},
	{"RFC 2617 3.2.3 Authentication-Info with nextnonce",
	 "nextnonce=\"0rHFJps8U9xRdVzIyJgUgzJkwCg/aBCm\", qop=auth, "
	 "rspauth=\"d3b07384d113edec49eaa6238ad5ff00\", cnonce=\"0a4f113b\", nc=00000002",
	 0, false,
	 {{"nextnonce", "0rHFJps8U9xRdVzIyJgUgzJkwCg/aBCm"}, {"nc", "00000002"}},
	 false},
	{"RFC 7235 2.1: scheme and names case-insensitive",
	 "DIGEST REALM=\"r\", Nonce=\"n\", QOP=auth, NC=00000001", 0, true,
	 {{"realm", "r"}, {"nonce", "n"}, {"qop", "auth"}, {"nc", "00000001"}},
	 false},
	{"RFC 7235 2.1: lower-case scheme", "digest realm=\"r\", nonce=\"n\"", 0, true,
	 {{"realm", "r"}},
	 false},
	{"RFC 7235 2.1: BWS around '=' and OWS around commas",
	 "Digest   realm = \"x\" ,nonce= \"y\" ,  qop =auth", 0, true,
	 {{"realm", "x"}, {"nonce", "y"}, {"qop", "auth"}},
	 false},
	{"RFC 7230 3.2.3: HTAB is OWS", "Digest realm=\"x\",\tnonce=\"y\"\t", 0, true,
	 {{"realm", "x"}, {"nonce", "y"}},
	 false},
	{"RFC 7230 3.2.6: quoted-pair for '\"'", "Digest realm=\"a\\\"b\", nonce=\"n\"", 0, true,
	 {{"realm", "a\"b"}},
	 false},
	{"RFC 7230 3.2.6: quoted-pair for '\\' (Windows DOMAIN\\user)",
	 "Digest username=\"DOMAIN\\\\user\", realm=\"r\"", 0, true,
	 {{"username", "DOMAIN\\user"}},
	 false},
	{"RFC 7230 3.2.6: quoted-pair of ordinary characters", "Digest realm=\"\\a\\b c\"", 0, true,
	 {{"realm", "ab c"}},
	 false},
	{"RFC 7616 3.3 shape: unknown charset/userhash ignored",
	 "Digest realm=\"http-auth@example.org\", qop=\"auth, auth-int\", algorithm=SHA-256, "
	 "nonce=\"7ypf/xlj9XXwfDPEoM4URrv/xwf94BcCAzFZH4GiTo0v\", "
	 "opaque=\"FQhe/qaU925kfnzjCev0ciny7QMkPqMAFRtzCUYo5tdS\", charset=UTF-8, userhash=true",
	 0, true,
	 {{"algorithm", "SHA-256"}, {"qop", "auth, auth-int"}},
	 false},
	{"RFC 2617 3.2.1: stale=TRUE", "Digest realm=\"x\", nonce=\"y\", stale=TRUE, algorithm=MD5",
	 0, true,
	 {{"stale", "TRUE"}, {"algorithm", "MD5"}},
	 false},
	{"TS 24.229 / Wireshark IMS REGISTER: integrity-protected ignored",
	 "Digest username=\"user1_private@home1.net\", realm=\"registrar.home1.net\", nonce=\"\", "
	 "uri=\"sip:registrar.home1.net\", response=\"\", integrity-protected=\"no\"",
	 0, true,
	 {{"uri", "sip:registrar.home1.net"}, {"nonce", ""}},
	 false},
	{"RFC 7230 3.2: OWS around the field value", "  Digest realm=\"x\", nonce=\"y\"  ", 0, true,
	 {{"nonce", "y"}},
	 false},
	{"RFC 7230 3.2.6: obs-text (UTF-8) in a quoted-string",
	 "Digest realm=\"r\xc3\xa9" "alm\", nonce=\"n\"", 0, true,
	 {{"realm", "r\xc3\xa9" "alm"}},
	 false},
	{"RFC 2617 3.2.1: domain list", "Digest realm=\"x\", domain=\"/a /b http://h/c\", nonce=\"y\"",
	 0, true,
	 {{"domain", "/a /b http://h/c"}},
	 false},
	{"RFC 7235 2.1: one parameter", "Digest realm=\"x\"", 0, true, {{"realm", "x"}}, false},
	{"RFC 7230 3.2.6: every tchar in a token value",
	 "Digest realm=\"x\", nonce=abc!#$%&'*+-.^_`|~09", 0, true,
	 {{"nonce", "abc!#$%&'*+-.^_`|~09"}},
	 false},
	{"RFC 7235 2.2: empty quoted values",
	 "Digest username=\"\", realm=\"\", nonce=\"\", uri=\"\", response=\"\"", 0, true,
	 {{"username", ""}, {"realm", ""}, {"uri", ""}},
	 false},
	{"independent_cases digest_auth_int_1 as an Authorization header",
	 "Digest username=\"gRE0fvgzT8TRMTt3OEPC4w==@bsf.mnc001.mcc001.pub.3gppnetwork.org\", "
	 "realm=\"3GPP-bootstrapping@bmsc.mbms.mnc001.mcc001.pub.3gppnetwork.org\", "
	 "nonce=\"0rHFJps8U9xRdVzIyJgUgzJkwCg/aBCm\", uri=\"/keymanagement?requesttype=msk-request\", "
	 "response=\"bcfb05ce02acd993e22a53cb24087afd\", algorithm=MD5, qop=auth-int, nc=00000001, "
	 "cnonce=\"087b8d8b5329fa6d\"",
	 0, true,
	 {{"username", "gRE0fvgzT8TRMTt3OEPC4w==@bsf.mnc001.mcc001.pub.3gppnetwork.org"},
	  {"response", "bcfb05ce02acd993e22a53cb24087afd"}},
	 false},
	{"explicit length: bytes after len are not read",
	 "Digest realm=\"x\", nonce=\"y\"GARBAGE\"", 27, true,
	 {{"nonce", "y"}},
	 false},
	{"must fail: a deliberately wrong expectation", "Digest realm=\"x\", nonce=\"y\"", 0, true,
	 {{"realm", "y"}},
	 true},
	{"must fail: a field expected absent is present", "Digest realm=\"x\", nonce=\"y\"", 0, true,
	 {{"nonce", NULL}},
	 true},
};

/* true when every expectation holds */
static bool check_good(const struct good_header *g, const struct mbms_digest_fields *f)
{
	for (size_t j = 0; j < 8 && g->expect[j][0]; j++) {
		const char *got = value_of(f, g->expect[j][0]);
		const char *want = g->expect[j][1];
		if (!want ? got != NULL : (!got || strcmp(got, want) != 0))
			return false;
		if (want && !mbms_digest_str_eq(field(f, g->expect[j][0]), want))
			return false;
	}
	return true;
}

static void test_parse_good(void **state)
{
	(void)state;
	size_t n = sizeof(good_headers) / sizeof(good_headers[0]);
	assert_true(n >= 22);
	for (size_t i = 0; i < n; i++) {
		const struct good_header *g = &good_headers[i];
		size_t len = g->len ? g->len : strlen(g->hdr);
		struct mbms_digest_fields f;
		int rc = mbms_digest_parse(g->hdr, len, g->with_scheme, &f);
		if (rc != 0)
			fail_msg("%s: rc %d (%s)", g->source, rc, mbms_errname(rc));
		if (check_good(g, &f) == g->wrong)
			fail_msg("%s: expectations %s", g->source, g->wrong ? "held" : "failed");
	}
}

/* ---- parser: headers that must be rejected ---- */

/* A literal with embedded NULs and its exact length. */
#define WITH_LEN(s) s, sizeof(s) - 1

struct bad_header {
	const char *source;
	const char *hdr;
	size_t len; /* 0: strlen(hdr) */
	bool with_scheme;
	int rc;
};

static const struct bad_header bad_headers[] = {
	{"unterminated quote", "Digest realm=\"abc", 0, true, MBMS_ESYNTAX},
	{"unterminated quote at the very end", "Digest realm=\"", 0, true, MBMS_ESYNTAX},
	{"missing '='", "Digest realm \"abc\"", 0, true, MBMS_ESYNTAX},
	{"missing value", "Digest realm=", 0, true, MBMS_ESYNTAX},
	{"missing value before comma", "Digest realm=, nonce=\"n\"", 0, true, MBMS_ESYNTAX},
	{"name without '=' at the end", "Digest realm=\"a\", nonce", 0, true, MBMS_ESYNTAX},
	{"duplicate parameter", "Digest realm=\"a\", nonce=\"n\", realm=\"b\"", 0, true,
	 MBMS_ESYNTAX},
	{"duplicate parameter, other case", "Digest realm=\"a\", REALM=\"a\"", 0, true, MBMS_ESYNTAX},
	{"duplicate unknown parameter", "Digest foo=1, realm=\"a\", Foo=2", 0, true, MBMS_ESYNTAX},
	{"duplicate in Authentication-Info", "rspauth=\"a\", rspauth=\"a\"", 0, false, MBMS_ESYNTAX},
	{"bare comma run", "Digest realm=\"a\",,, nonce=\"b\"", 0, true, MBMS_ESYNTAX},
	{"leading comma", "Digest , realm=\"a\"", 0, true, MBMS_ESYNTAX},
	{"trailing comma", "Digest realm=\"a\",", 0, true, MBMS_ESYNTAX},
	{"only commas", ",,,", 0, false, MBMS_ESYNTAX},
	{"NUL inside a quoted value", WITH_LEN("Digest realm=\"a\0b\", nonce=\"n\""), true,
	 MBMS_ESYNTAX},
	{"NUL inside a token value", WITH_LEN("Digest realm=\"a\", nc=0000\0" "001"), true,
	 MBMS_ESYNTAX},
	{"NUL right after the scheme", WITH_LEN("Digest\0realm=\"a\""), true, MBMS_ESYNTAX},
	{"NUL as the last byte", WITH_LEN("Digest realm=\"a\"\0"), true, MBMS_ESYNTAX},
	{"wrong scheme Basic", "Basic dXNlcjpwYXNzd29yZA==", 0, true, MBMS_ESYNTAX},
	{"wrong scheme Basic with params", "Basic realm=\"x\"", 0, true, MBMS_ESYNTAX},
	{"scheme Bearer", "Bearer realm=\"x\"", 0, true, MBMS_ESYNTAX},
	{"scheme missing", "realm=\"x\", nonce=\"y\"", 0, true, MBMS_ESYNTAX},
	{"scheme glued to a parameter", "Digestrealm=\"x\"", 0, true, MBMS_ESYNTAX},
	{"comma right after the scheme", "Digest,realm=\"x\"", 0, true, MBMS_ESYNTAX},
	{"TAB instead of SP after the scheme (RFC 7235 1*SP)", "Digest\trealm=\"x\"", 0, true,
	 MBMS_ESYNTAX},
	{"scheme alone", "Digest", 0, true, MBMS_ESYNTAX},
	{"scheme and spaces", "Digest    ", 0, true, MBMS_ESYNTAX},
	{"empty header", "", 0, true, MBMS_ESYNTAX},
	{"empty Authentication-Info", "", 0, false, MBMS_ESYNTAX},
	{"scheme where none is expected", "Digest realm=\"a\"", 0, false, MBMS_ESYNTAX},
	{"trailing backslash inside the quotes", "Digest realm=\"abc\\\"", 0, true, MBMS_ESYNTAX},
	{"backslash as the last byte", "Digest realm=\"abc\\", 0, true, MBMS_ESYNTAX},
	{"non-token character in an unquoted value", "Digest uri=/dir/index.html", 0, true,
	 MBMS_ESYNTAX},
	{"non-token character in a name", "Digest re@lm=\"x\"", 0, true, MBMS_ESYNTAX},
	{"quote inside a token", "Digest realm=a\"b\"", 0, true, MBMS_ESYNTAX},
	{"garbage after a quoted value", "Digest realm=\"a\"b, nonce=\"n\"", 0, true, MBMS_ESYNTAX},
	{"space inside a token value", "Digest qop=auth int", 0, true, MBMS_ESYNTAX},
	{"CRLF inside a quoted value (header injection)", "Digest realm=\"a\r\nX-Evil: 1\"", 0,
	 true, MBMS_ESYNTAX},
	{"obs-fold CRLF SP between parameters", "Digest realm=\"a\",\r\n nonce=\"n\"", 0, true,
	 MBMS_ESYNTAX},
	{"control character in a quoted value", "Digest realm=\"a\x01" "b\"", 0, true,
	 MBMS_ESYNTAX},
	{"DEL in a quoted value", "Digest realm=\"a\x7f" "b\"", 0, true, MBMS_ESYNTAX},
	{"quoted-pair of a control character", "Digest realm=\"a\\\x01\"", 0, true, MBMS_ESYNTAX},
	{"two challenges in one value", "Digest realm=\"a\", Basic realm=\"b\"", 0, true,
	 MBMS_ESYNTAX},
	{"token68 form", "Digest YWxhZGRpbjpvcGVuc2VzYW1l==", 0, true, MBMS_ESYNTAX},
	{"semicolon separator", "Digest realm=\"a\"; nonce=\"b\"", 0, true, MBMS_ESYNTAX},
	{"single-quoted value", "Digest realm='a b'", 0, true, MBMS_ESYNTAX},
	{"9 KiB header", NULL, 9 * 1024, true, MBMS_ELENGTH},
	{"one byte over 8 KiB", NULL, MBMS_DIGEST_MAX_HEADER + 1, true, MBMS_ELENGTH},
	{"33 parameters", NULL, 0, true, MBMS_ESYNTAX},
};

/* The generated cases: a valid-looking header of exactly len bytes, or 33 params. */
static char *make_long(size_t len)
{
	char *h = malloc(len + 1);
	assert_non_null(h);
	static const char head[] = "Digest realm=\"";
	memcpy(h, head, sizeof(head) - 1);
	memset(h + sizeof(head) - 1, 'a', len - sizeof(head));
	h[len - 1] = '"';
	h[len] = '\0';
	return h;
}

static char *make_many_params(size_t n)
{
	char *h = malloc(16 * n + 16);
	assert_non_null(h);
	size_t o = (size_t)sprintf(h, "Digest ");
	for (size_t i = 0; i < n; i++)
		o += (size_t)sprintf(h + o, "%sp%zu=v", i ? ", " : "", i);
	return h;
}

static void test_parse_bad(void **state)
{
	(void)state;
	size_t n = sizeof(bad_headers) / sizeof(bad_headers[0]);
	assert_true(n >= 20);
	for (size_t i = 0; i < n; i++) {
		const struct bad_header *b = &bad_headers[i];
		char *gen = NULL;
		const char *hdr = b->hdr;
		size_t len = b->len;
		if (!hdr && len)
			hdr = gen = make_long(len);
		else if (!hdr)
			hdr = gen = make_many_params(MBMS_DIGEST_MAX_PARAMS + 1);
		if (!len)
			len = strlen(hdr);
		struct mbms_digest_fields f;
		memset(&f, 0xa5, sizeof(f));
		int rc = mbms_digest_parse(hdr, len, b->with_scheme, &f);
		if (rc != b->rc)
			fail_msg("%s: rc %d (%s), expected %s", b->source, rc, mbms_errname(rc),
				 mbms_errname(b->rc));
		/* Nothing half-parsed is left behind. */
		assert_null(f.realm.p);
		assert_null(f.nonce.p);
		free(gen);
	}
}

/* The limits themselves are inside: exactly 8 KiB and exactly 32 params parse. */
static void test_parse_limits(void **state)
{
	(void)state;
	struct mbms_digest_fields f;
	char *h = make_long(MBMS_DIGEST_MAX_HEADER);
	assert_int_equal(mbms_digest_parse(h, MBMS_DIGEST_MAX_HEADER, true, &f), 0);
	assert_int_equal(f.realm.len, MBMS_DIGEST_MAX_HEADER - 15);
	free(h);
	h = make_many_params(MBMS_DIGEST_MAX_PARAMS);
	assert_int_equal(mbms_digest_parse(h, strlen(h), true, &f), 0);
	free(h);
	assert_int_equal(mbms_digest_parse(NULL, 0, true, &f), MBMS_ESYNTAX);
	assert_int_equal(mbms_digest_parse(NULL, 5, true, &f), MBMS_EINVAL);
	assert_int_equal(mbms_digest_parse("Digest realm=\"x\"", 16, true, NULL), MBMS_EINVAL);
}

/* unquote: escapes undone, sizes, absent fields, hand-made bad strings. */
static void test_unquote(void **state)
{
	(void)state;
	struct mbms_digest_fields f;
	static const char hdr[] = "Digest realm=\"a\\\"b\\\\c\", nonce=\"\"";
	assert_int_equal(mbms_digest_parse(hdr, strlen(hdr), true, &f), 0);
	assert_true(f.realm.escaped);
	assert_false(f.nonce.escaped);
	char out[8];
	assert_int_equal(mbms_digest_unquote(&f.realm, out, sizeof(out)), 0);
	assert_string_equal(out, "a\"b\\c");
	assert_int_equal(mbms_digest_unquote(&f.realm, out, 6), 0); /* 5 chars + NUL */
	assert_int_equal(mbms_digest_unquote(&f.realm, out, 5), MBMS_ENOSPC);
	assert_string_equal(out, "");
	assert_int_equal(mbms_digest_unquote(&f.nonce, out, 1), 0);
	assert_string_equal(out, "");
	assert_int_equal(mbms_digest_unquote(&f.uri, out, sizeof(out)), MBMS_ENOTFOUND);
	assert_true(mbms_digest_str_eq(&f.realm, "a\"b\\c"));
	assert_false(mbms_digest_str_eq(&f.realm, "a\"b\\"));
	assert_false(mbms_digest_str_eq(&f.realm, "a\"b\\cd"));
	assert_false(mbms_digest_str_eq(&f.uri, ""));
	assert_true(mbms_digest_str_eq(&f.nonce, ""));

	/* Must fail: strings the parser would never produce. */
	const struct mbms_str trailing = {"ab\\", 3, true}, nul = {"a\0b", 3, false};
	assert_int_equal(mbms_digest_unquote(&trailing, out, sizeof(out)), MBMS_ESYNTAX);
	assert_int_equal(mbms_digest_unquote(&nul, out, sizeof(out)), MBMS_ESYNTAX);
	assert_false(mbms_digest_str_eq(&trailing, "ab"));
	assert_false(mbms_digest_str_eq(&nul, "a"));
}

/* Constant-time response / rspauth check (the value is a MAC). */
struct response_case {
	const char *source;
	const char *hdr; /* Authentication-Info */
	int rc;
};

static const struct response_case response_cases[] = {
	{"independent digest_auth_int_1 rspauth", "rspauth=\"6a14f468e1349ef5ee4c15b2f365dd7e\"", 0},
	{"as a token", "rspauth=6a14f468e1349ef5ee4c15b2f365dd7e", 0},
	{"last character changed", "rspauth=\"6a14f468e1349ef5ee4c15b2f365dd7f\"", MBMS_EAUTH},
	{"first character changed", "rspauth=\"7a14f468e1349ef5ee4c15b2f365dd7e\"", MBMS_EAUTH},
	{"upper-case hex (RFC 2617 32LHEX)", "rspauth=\"6A14F468E1349EF5EE4C15B2F365DD7E\"",
	 MBMS_EAUTH},
	{"31 characters", "rspauth=\"6a14f468e1349ef5ee4c15b2f365dd7\"", MBMS_EAUTH},
	{"33 characters", "rspauth=\"6a14f468e1349ef5ee4c15b2f365dd7e0\"", MBMS_EAUTH},
	{"empty", "rspauth=\"\"", MBMS_EAUTH},
	{"escaped", "rspauth=\"6a14f468e1349ef5ee4c15b2f365dd7\\e\"", MBMS_EAUTH},
	{"absent", "nextnonce=\"x\"", MBMS_EAUTH},
};

static void test_check_response(void **state)
{
	(void)state;
	static const char want[HEXBUF] = "6a14f468e1349ef5ee4c15b2f365dd7e";
	for (size_t i = 0; i < sizeof(response_cases) / sizeof(response_cases[0]); i++) {
		const struct response_case *c = &response_cases[i];
		struct mbms_digest_fields f;
		assert_int_equal(mbms_digest_parse(c->hdr, strlen(c->hdr), false, &f), 0);
		int rc = mbms_digest_check_response(&f.rspauth, want);
		if (rc != c->rc)
			fail_msg("%s: rc %d, expected %d", c->source, rc, c->rc);
	}
	assert_int_equal(mbms_digest_check_response(NULL, want), MBMS_EINVAL);
}

/* ---- formatters, through the parser and back ---- */

static void test_format_challenge(void **state)
{
	(void)state;
	char out[512];
	static const char realm[] = "3GPP-bootstrapping@\"odd\\realm\"";
	assert_int_equal(mbms_digest_format_challenge(realm, "abc/def+==", MBMS_DIGEST_ALG_AKAV1_MD5,
						      "auth-int", true, "op\"aque", out,
						      sizeof(out)),
			 0);
	assert_string_equal(out, "Digest realm=\"3GPP-bootstrapping@\\\"odd\\\\realm\\\"\", "
				 "nonce=\"abc/def+==\", algorithm=AKAv1-MD5, qop=\"auth-int\", "
				 "stale=true, opaque=\"op\\\"aque\"");
	struct mbms_digest_fields f;
	assert_int_equal(mbms_digest_parse(out, strlen(out), true, &f), 0);
	assert_string_equal(value_of(&f, "realm"), realm);
	assert_string_equal(value_of(&f, "nonce"), "abc/def+==");
	assert_true(mbms_digest_str_eq(&f.algorithm, "AKAv1-MD5"));
	assert_true(mbms_digest_str_caseeq(&f.stale, "TRUE"));
	assert_string_equal(value_of(&f, "opaque"), "op\"aque");

	/* No stale, no opaque, no algorithm: they are absent. */
	assert_int_equal(mbms_digest_format_challenge("r", "n", NULL, "auth-int", false, NULL, out,
						      sizeof(out)),
			 0);
	assert_string_equal(out, "Digest realm=\"r\", nonce=\"n\", qop=\"auth-int\"");
	assert_int_equal(mbms_digest_parse(out, strlen(out), true, &f), 0);
	assert_null(f.stale.p);
	assert_null(f.algorithm.p);

	/* Must fail: control characters, a non-token algorithm, no space. */
	assert_int_equal(mbms_digest_format_challenge("r\r\nX: y", "n", NULL, NULL, false, NULL,
						      out, sizeof(out)),
			 MBMS_EINVAL);
	assert_string_equal(out, "");
	assert_int_equal(mbms_digest_format_challenge("r", "n\t", NULL, NULL, false, NULL, out,
						      sizeof(out)),
			 MBMS_EINVAL);
	assert_int_equal(mbms_digest_format_challenge("r", "n", "MD5 sess", NULL, false, NULL, out,
						      sizeof(out)),
			 MBMS_EINVAL);
	assert_int_equal(mbms_digest_format_challenge(NULL, "n", NULL, NULL, false, NULL, out,
						      sizeof(out)),
			 MBMS_EINVAL);
	/* Exactly fitting works, one byte less is ENOSPC with an empty out. */
	size_t need = strlen("Digest realm=\"r\", nonce=\"n\"") + 1;
	assert_int_equal(mbms_digest_format_challenge("r", "n", NULL, NULL, false, NULL, out, need),
			 0);
	assert_int_equal(
		mbms_digest_format_challenge("r", "n", NULL, NULL, false, NULL, out, need - 1),
		MBMS_ENOSPC);
	assert_string_equal(out, "");
	/* EINVAL wins over ENOSPC: a bigger buffer would not help. */
	assert_int_equal(mbms_digest_format_challenge("rrrrrrrr", "n\x01", NULL, NULL, false, NULL,
						      out, 12),
			 MBMS_EINVAL);
}

static void test_format_authorization(void **state)
{
	(void)state;
	char out[1024];
	/* PROFILE 10.15: the first Ub request, byte for byte. */
	const struct mbms_digest_creds first = {
		.username = "001010123456789@ims.mnc001.mcc001.3gppnetwork.org",
		.realm = "bsf.mnc001.mcc001.pub.3gppnetwork.org",
		.nonce = "",
		.uri = "/",
		.response = "",
		.qop = "",
	};
	assert_int_equal(mbms_digest_format_authorization(&first, out, sizeof(out)), 0);
	assert_string_equal(out, "Digest username=\"001010123456789@ims.mnc001.mcc001.3gppnetwork.org\", "
				 "realm=\"bsf.mnc001.mcc001.pub.3gppnetwork.org\", nonce=\"\", "
				 "uri=\"/\", response=\"\"");
	struct mbms_digest_fields f;
	assert_int_equal(mbms_digest_parse(out, strlen(out), true, &f), 0);
	assert_true(mbms_digest_str_eq(&f.nonce, ""));
	assert_null(f.qop.p);
	assert_null(f.nc.p);
	assert_null(f.cnonce.p);

	/* PROFILE 10.16: the SQN failure answer with auts, everything set. */
	const struct mbms_digest_creds full = {
		.username = "user\"with\\quotes",
		.realm = "bsf.example.org",
		.nonce = "I1U8vpY3qJ0hiuZNrke/NVXzKLQ1d7m5Sp/6w1Tfr7M=",
		.uri = "/?a=\"b\"",
		.response = "9a8bad61a1e6d2b158374c79d9e198ed",
		.algorithm = "AKAv1-MD5",
		.qop = "auth-int",
		.nc = "00000001",
		.cnonce = "0a4f113b",
		.opaque = "",
		.auts = "5PYxMuX2NOT2NeQ=",
	};
	assert_int_equal(mbms_digest_format_authorization(&full, out, sizeof(out)), 0);
	assert_int_equal(mbms_digest_parse(out, strlen(out), true, &f), 0);
	assert_string_equal(value_of(&f, "username"), full.username);
	assert_string_equal(value_of(&f, "realm"), full.realm);
	assert_string_equal(value_of(&f, "nonce"), full.nonce);
	assert_string_equal(value_of(&f, "uri"), full.uri);
	assert_string_equal(value_of(&f, "response"), full.response);
	assert_string_equal(value_of(&f, "algorithm"), full.algorithm);
	assert_string_equal(value_of(&f, "qop"), full.qop);
	assert_string_equal(value_of(&f, "nc"), full.nc);
	assert_string_equal(value_of(&f, "cnonce"), full.cnonce);
	assert_string_equal(value_of(&f, "opaque"), "");
	assert_string_equal(value_of(&f, "auts"), full.auts);

	/* Must fail: bad nc, missing cnonce with qop, control characters,
	 * non-token qop, missing required fields, too small. */
	struct mbms_digest_creds bad = full;
	bad.nc = "1";
	assert_int_equal(mbms_digest_format_authorization(&bad, out, sizeof(out)), MBMS_EINVAL);
	bad = full;
	bad.nc = "0000000g";
	assert_int_equal(mbms_digest_format_authorization(&bad, out, sizeof(out)), MBMS_EINVAL);
	bad = full;
	bad.cnonce = NULL;
	assert_int_equal(mbms_digest_format_authorization(&bad, out, sizeof(out)), MBMS_EINVAL);
	bad = full;
	bad.username = "a\nb";
	assert_int_equal(mbms_digest_format_authorization(&bad, out, sizeof(out)), MBMS_EINVAL);
	bad = full;
	bad.qop = "auth int";
	assert_int_equal(mbms_digest_format_authorization(&bad, out, sizeof(out)), MBMS_EINVAL);
	bad = full;
	bad.uri = NULL;
	assert_int_equal(mbms_digest_format_authorization(&bad, out, sizeof(out)), MBMS_EINVAL);
	assert_int_equal(mbms_digest_format_authorization(NULL, out, sizeof(out)), MBMS_EINVAL);
	assert_int_equal(mbms_digest_format_authorization(&full, out, 40), MBMS_ENOSPC);
	assert_string_equal(out, "");
	assert_int_equal(mbms_digest_format_authorization(&full, out, 0), MBMS_ENOSPC);
}

static void test_format_auth_info(void **state)
{
	(void)state;
	char out[256];
	assert_int_equal(mbms_digest_format_auth_info("6a14f468e1349ef5ee4c15b2f365dd7e",
						      "087b8d8b5329fa6d", "00000001", "auth-int",
						      out, sizeof(out)),
			 0);
	assert_string_equal(out, "rspauth=\"6a14f468e1349ef5ee4c15b2f365dd7e\", "
				 "cnonce=\"087b8d8b5329fa6d\", nc=00000001, qop=auth-int");
	struct mbms_digest_fields f;
	assert_int_equal(mbms_digest_parse(out, strlen(out), false, &f), 0);
	assert_true(mbms_digest_str_eq(&f.rspauth, "6a14f468e1349ef5ee4c15b2f365dd7e"));
	assert_true(mbms_digest_str_eq(&f.cnonce, "087b8d8b5329fa6d"));
	assert_true(mbms_digest_str_eq(&f.nc, "00000001"));
	assert_true(mbms_digest_str_eq(&f.qop, "auth-int"));
	/* It is a bare list: parsing it as a credential must fail. */
	assert_int_equal(mbms_digest_parse(out, strlen(out), true, &f), MBMS_ESYNTAX);
	assert_int_equal(mbms_digest_format_auth_info("x", NULL, NULL, NULL, out, sizeof(out)), 0);
	assert_string_equal(out, "rspauth=\"x\"");
	assert_int_equal(mbms_digest_format_auth_info(NULL, "c", "00000001", "auth", out,
						      sizeof(out)),
			 MBMS_EINVAL);
	assert_int_equal(mbms_digest_format_auth_info("x", "c", "0001", "auth", out, sizeof(out)),
			 MBMS_EINVAL);
	assert_int_equal(mbms_digest_format_auth_info("x", "c\x7f", "00000001", "auth", out,
						      sizeof(out)),
			 MBMS_EINVAL);
}

/* ---- stateless nonces ---- */

static const uint8_t secret_a[MBMS_DIGEST_NONCE_SECRET_LEN] = {
	0x01, 0x02, 0x03, 0x04, 0x05, 0x06, 0x07, 0x08, 0x09, 0x0a, 0x0b,
	0x0c, 0x0d, 0x0e, 0x0f, 0x10, 0x11, 0x12, 0x13, 0x14, 0x15, 0x16,
	0x17, 0x18, 0x19, 0x1a, 0x1b, 0x1c, 0x1d, 0x1e, 0x1f, 0x20};

struct nonce_case {
	const char *source;
	const uint8_t *secret; /* NULL: another secret */
	const char *realm;
	uint64_t now;
	int flip; /* >= 0: change the character at this index */
	int len_delta;
	int rc;
};

#define T0 1795000000u /* 2026-11-18 */
#define LIFETIME 300u
#define REALM "3GPP-bootstrapping@bmsc.example.org"

static const struct nonce_case nonce_cases[] = {
	{"fresh, same second", secret_a, REALM, T0, -1, 0, 0},
	{"fresh, at the end of its lifetime", secret_a, REALM, T0 + LIFETIME, -1, 0, 0},
	{"expired one second later", secret_a, REALM, T0 + LIFETIME + 1, -1, 0, MBMS_EEXPIRED},
	{"expired long after", secret_a, REALM, T0 + 86400, -1, 0, MBMS_EEXPIRED},
	{"issued in the future (clock stepped back)", secret_a, REALM, T0 - 1, -1, 0,
	 MBMS_EEXPIRED},
	{"other secret", NULL, REALM, T0, -1, 0, MBMS_EAUTH},
	{"other realm", secret_a, "3GPP-bootstrapping@other.example.org", T0, -1, 0, MBMS_EAUTH},
	{"other realm, one character shorter", secret_a, "3GPP-bootstrapping@bmsc.example.or", T0,
	 -1, 0, MBMS_EAUTH},
	{"expired and other secret: not ours first", NULL, REALM, T0 + 86400, -1, 0, MBMS_EAUTH},
	{"flipped character in the time", secret_a, REALM, T0, 3, 0, MBMS_EAUTH},
	{"flipped character in the random part", secret_a, REALM, T0, 15, 0, MBMS_EAUTH},
	{"flipped character in the MAC", secret_a, REALM, T0, 30, 0, MBMS_EAUTH},
	{"flipped character in the padding", secret_a, REALM, T0, 43, 0, MBMS_EAUTH},
	{"one character short", secret_a, REALM, T0, -1, -1, MBMS_EAUTH},
	{"one character long", secret_a, REALM, T0, -1, 1, MBMS_EAUTH},
	{"empty", secret_a, REALM, T0, -1, -44, MBMS_EAUTH},
};

static void test_nonce(void **state)
{
	(void)state;
	uint8_t secret_b[MBMS_DIGEST_NONCE_SECRET_LEN];
	memcpy(secret_b, secret_a, sizeof(secret_b));
	secret_b[31] ^= 1;

	char nonce[MBMS_DIGEST_NONCE_LEN + 1], again[MBMS_DIGEST_NONCE_LEN + 1];
	assert_int_equal(mbms_digest_nonce_make(secret_a, REALM, T0, nonce), 0);
	assert_int_equal(strlen(nonce), MBMS_DIGEST_NONCE_LEN);
	/* It is base64 of 32 bytes whose first 8 are the time. */
	uint8_t raw[33];
	size_t raw_len;
	assert_int_equal(mbms_base64_decode(nonce, 44, raw, sizeof(raw), &raw_len), 0);
	assert_int_equal(raw_len, 32);
	assert_int_equal(mbms_get_be32(raw), 0);
	assert_int_equal(mbms_get_be32(raw + 4), T0);
	/* Two nonces of the same second differ (the random part). */
	assert_int_equal(mbms_digest_nonce_make(secret_a, REALM, T0, again), 0);
	assert_string_not_equal(nonce, again);

	for (size_t i = 0; i < sizeof(nonce_cases) / sizeof(nonce_cases[0]); i++) {
		const struct nonce_case *c = &nonce_cases[i];
		char buf[MBMS_DIGEST_NONCE_LEN + 2];
		memcpy(buf, nonce, sizeof(nonce));
		size_t len = (size_t)((int)MBMS_DIGEST_NONCE_LEN + c->len_delta);
		if (c->len_delta > 0)
			buf[MBMS_DIGEST_NONCE_LEN] = 'A';
		if (c->flip >= 0)
			buf[c->flip] = buf[c->flip] == 'A' ? 'B' : 'A';
		uint64_t issued = 0;
		int rc = mbms_digest_nonce_check(c->secret ? c->secret : secret_b, c->realm, buf,
						 len, c->now, LIFETIME, &issued);
		if (rc != c->rc)
			fail_msg("nonce: %s: rc %d (%s), expected %s", c->source, rc,
				 mbms_errname(rc), mbms_errname(c->rc));
		if (rc == 0 || rc == MBMS_EEXPIRED)
			assert_int_equal(issued, T0);
	}

	/* Every single-character change is caught. */
	static const char b64[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/=";
	for (size_t pos = 0; pos < MBMS_DIGEST_NONCE_LEN; pos++)
		for (size_t k = 0; k < sizeof(b64) - 1; k++) {
			if (b64[k] == nonce[pos])
				continue;
			char buf[MBMS_DIGEST_NONCE_LEN + 1];
			memcpy(buf, nonce, sizeof(buf));
			buf[pos] = b64[k];
			int rc = mbms_digest_nonce_check(secret_a, REALM, buf, 44, T0, LIFETIME,
							 NULL);
			if (rc != MBMS_EAUTH)
				fail_msg("nonce with '%c' at %zu: rc %d", b64[k], pos, rc);
		}
	assert_int_equal(mbms_digest_nonce_check(secret_a, REALM, NULL, 0, T0, LIFETIME, NULL),
			 MBMS_EAUTH);
	assert_int_equal(mbms_digest_nonce_check(secret_a, NULL, nonce, 44, T0, LIFETIME, NULL),
			 MBMS_EINVAL);
}

/* ---- nc replay table ---- */

struct nc_step {
	const char *source;
	const char *nonce;
	uint64_t issued_at;
	const char *nc;
	int rc;
};

#define N1 "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA="
#define N2 "BBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBB="
#define N3 "CCCCCCCCCCCCCCCCCCCCCCCCCCCCCCCCCCCCCCCCCCC="
#define N4 "DDDDDDDDDDDDDDDDDDDDDDDDDDDDDDDDDDDDDDDDDDD="

/* One table of capacity 2, steps run in order. */
static const struct nc_step nc_steps[] = {
	{"first use of N1", N1, 100, "00000001", 0},
	{"increasing nc", N1, 100, "00000002", 0},
	{"a gap is fine", N1, 100, "0000000A", 0},
	{"same nc again", N1, 100, "0000000a", MBMS_EREPLAY},
	{"lower nc", N1, 100, "00000005", MBMS_EREPLAY},
	{"non-hex nc", N1, 100, "0000000g", MBMS_ESYNTAX},
	{"seven digits", N1, 100, "0000001", MBMS_ESYNTAX},
	{"nine digits", N1, 100, "000000011", MBMS_ESYNTAX},
	{"sign in nc", N1, 100, "+000000b", MBMS_ESYNTAX},
	{"nc 0 for a new nonce", N2, 200, "00000000", MBMS_EREPLAY},
	{"N2 is independent of N1", N2, 200, "00000001", 0},
	{"N1 continues", N1, 100, "0000000b", 0},
	{"N3 fills the table: N1 (oldest) is evicted", N3, 300, "00000001", 0},
	{"reuse of evicted N1 with a higher nc", N1, 100, "000000ff", MBMS_EREPLAY},
	{"reuse of evicted N1 from the start", N1, 100, "00000001", MBMS_EREPLAY},
	{"N2 survived eviction and still tracks nc", N2, 200, "00000001", MBMS_EREPLAY},
	{"N2 continues", N2, 200, "00000002", 0},
	{"unseen nonce issued before the floor", N4, 100, "00000001", MBMS_EREPLAY},
	{"N4 issued later evicts N2", N4, 400, "00000001", 0},
	{"evicted N2", N2, 200, "00000003", MBMS_EREPLAY},
	{"N3 still tracked", N3, 300, "00000002", 0},
	{"max nc", N3, 300, "ffffffff", 0},
	{"nothing is above ffffffff", N3, 300, "ffffffff", MBMS_EREPLAY},
};

static void test_nc_table(void **state)
{
	(void)state;
	struct mbms_nc_table t;
	assert_int_equal(mbms_nc_table_init(&t, 2), 0);
	for (size_t i = 0; i < sizeof(nc_steps) / sizeof(nc_steps[0]); i++) {
		const struct nc_step *s = &nc_steps[i];
		int rc = mbms_nc_table_use(&t, s->nonce, strlen(s->nonce), s->issued_at, s->nc,
					   strlen(s->nc));
		if (rc != s->rc)
			fail_msg("nc step %zu (%s): rc %d (%s), expected %s", i, s->source, rc,
				 mbms_errname(rc), mbms_errname(s->rc));
	}
	assert_int_equal(t.count, 2);
	assert_true(t.floor > 200);

	/* Bad arguments. */
	assert_int_equal(mbms_nc_table_use(&t, "", 0, 500, "00000001", 8), MBMS_EINVAL);
	assert_int_equal(mbms_nc_table_use(&t, N1 "x", 45, 500, "00000001", 8), MBMS_EINVAL);
	assert_int_equal(mbms_nc_table_use(&t, "a\0b", 3, 500, "00000001", 8), MBMS_EINVAL);
	assert_int_equal(mbms_nc_table_use(&t, N1, 44, 500, NULL, 0), MBMS_ESYNTAX);
	/* A nonce that is a prefix of a tracked one is another nonce. */
	assert_int_equal(mbms_nc_table_use(&t, N3, 43, 500, "00000001", 8), 0);
	mbms_nc_table_free(&t);
	assert_null(t.entries);
	assert_int_equal(mbms_nc_table_init(&t, 0), MBMS_EINVAL);
	mbms_nc_table_free(&t);
}

/* A full server round: challenge, Authorization, verification, nc, rspauth. */
static void test_server_round(void **state)
{
	(void)state;
	static const char realm[] = "3GPP-bootstrapping@bmsc.mbms.mnc001.mcc001.pub.3gppnetwork.org";
	static const char pw[] = "/EWtaxmTgTSczvJZ1aGtyXfBIJJtmjh4/OrfwCwDj5Q=";
	static const char body[] = "<mbmsMSKRequest/>";
	char nonce[MBMS_DIGEST_NONCE_LEN + 1], chal[512], auth[1024], ha1[HEXBUF], resp[HEXBUF];
	assert_int_equal(mbms_digest_nonce_make(secret_a, realm, T0, nonce), 0);
	assert_int_equal(mbms_digest_format_challenge(realm, nonce, "MD5", "auth-int", false, NULL,
						      chal, sizeof(chal)),
			 0);

	/* UE side */
	struct mbms_digest_fields f;
	char n_buf[64], r_buf[128];
	assert_int_equal(mbms_digest_parse(chal, strlen(chal), true, &f), 0);
	assert_int_equal(mbms_digest_unquote(&f.nonce, n_buf, sizeof(n_buf)), 0);
	assert_int_equal(mbms_digest_unquote(&f.realm, r_buf, sizeof(r_buf)), 0);
	assert_int_equal(mbms_digest_ha1("btid@bsf", r_buf, (const uint8_t *)pw, 44, ha1), 0);
	assert_int_equal(mbms_digest_response(ha1, n_buf, "00000001", "c0ffee", "auth-int", "POST",
					      "/keymanagement", (const uint8_t *)body,
					      strlen(body), resp),
			 0);
	const struct mbms_digest_creds cr = {
		.username = "btid@bsf",
		.realm = r_buf,
		.nonce = n_buf,
		.uri = "/keymanagement",
		.response = resp,
		.algorithm = "MD5",
		.qop = "auth-int",
		.nc = "00000001",
		.cnonce = "c0ffee",
	};
	assert_int_equal(mbms_digest_format_authorization(&cr, auth, sizeof(auth)), 0);

	/* BM-SC side */
	assert_int_equal(mbms_digest_parse(auth, strlen(auth), true, &f), 0);
	uint64_t issued;
	assert_int_equal(mbms_digest_nonce_check(secret_a, realm, f.nonce.p, f.nonce.len, T0 + 5,
						 LIFETIME, &issued),
			 0);
	struct mbms_nc_table t;
	assert_int_equal(mbms_nc_table_init(&t, 16), 0);
	assert_int_equal(mbms_nc_table_use(&t, f.nonce.p, f.nonce.len, issued, f.nc.p, f.nc.len), 0);
	char want[HEXBUF];
	assert_int_equal(mbms_digest_response(ha1, nonce, "00000001", "c0ffee", "auth-int", "POST",
					      "/keymanagement", (const uint8_t *)body,
					      strlen(body), want),
			 0);
	assert_true(mbms_digest_str_eq(&f.response, want));
	assert_int_equal(mbms_digest_check_response(&f.response, want), 0);
	/* Must fail: the same request again is a replay. */
	assert_int_equal(mbms_nc_table_use(&t, f.nonce.p, f.nonce.len, issued, f.nc.p, f.nc.len),
			 MBMS_EREPLAY);
	mbms_nc_table_free(&t);
}

static int teardown(void **state)
{
	(void)state;
	mbms_crypto_thread_cleanup();
	return 0;
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_rfc2617_vector),
		cmocka_unit_test(test_independent_digest),
		cmocka_unit_test(test_aka_md5),
		cmocka_unit_test(test_parse_good),
		cmocka_unit_test(test_parse_bad),
		cmocka_unit_test(test_parse_limits),
		cmocka_unit_test(test_unquote),
		cmocka_unit_test(test_check_response),
		cmocka_unit_test(test_format_challenge),
		cmocka_unit_test(test_format_authorization),
		cmocka_unit_test(test_format_auth_info),
		cmocka_unit_test(test_nonce),
		cmocka_unit_test(test_nc_table),
		cmocka_unit_test(test_server_round),
	};
	return cmocka_run_group_tests(tests, NULL, teardown);
}
