/* libFuzzer target for the GBA text parsers (lib/gba_xml.c,
 * lib/gba_client.c, lib/gba_server.c): the BSF's BootstrappingInfo body,
 * the Zn answer, xs:dateTime, the USIM SQN state text and the BSF's reading
 * of a Ub Authorization header. What parses is written back and must parse
 * to the same values. */
#include "mbmssec/error.h"
#include "mbmssec/gba.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void die(const char *what)
{
	fprintf(stderr, "fuzz_gba_xml: %s\n", what);
	abort();
}

static char g_out[MBMS_GBA_BODY_MAX];

static void bootstrap_info(const char *p, size_t n)
{
	char btid[MBMS_GBA_BTID_MAX], btid2[MBMS_GBA_BTID_MAX];
	uint64_t t, t2;
	size_t len;
	if (mbms_gba_bootstrap_info_parse(p, n, btid, &t) != 0)
		return;
	if (!btid[0] || strlen(btid) >= sizeof(btid))
		die("bad btid");
	if (mbms_gba_bootstrap_info_format(btid, t, g_out, sizeof(g_out), &len) != 0)
		die("cannot write back a parsed BootstrappingInfo");
	if (mbms_gba_bootstrap_info_parse(g_out, len, btid2, &t2) != 0 || strcmp(btid, btid2) != 0 ||
	    t != t2)
		die("BootstrappingInfo round trip");
}

static void zn_response(const char *p, size_t n)
{
	struct mbms_zn_response r, r2;
	size_t len;
	if (mbms_zn_response_parse(p, n, &r) != 0)
		return;
	if (mbms_zn_response_format(&r, g_out, sizeof(g_out), &len) != 0)
		die("cannot write back a parsed ZnResponse");
	if (mbms_zn_response_parse(g_out, len, &r2) != 0 || memcmp(&r, &r2, sizeof(r)) != 0)
		die("ZnResponse round trip");
}

static void datetime(const char *p, size_t n)
{
	uint64_t t, t2;
	char s[MBMS_XS_DATETIME_LEN + 1];
	if (mbms_xs_datetime_parse(p, n, &t) != 0)
		return;
	if (mbms_xs_datetime_format(t, s) != 0 || mbms_xs_datetime_parse(s, strlen(s), &t2) != 0 ||
	    t != t2)
		die("xs:dateTime round trip");
}

static void sqn_state(const char *p, size_t n)
{
	struct mbms_sqn_ms st, st2;
	char text[MBMS_SQN_STATE_TEXT_MAX];
	if (mbms_sqn_state_parse(p, n, &st) != 0)
		return;
	if (mbms_sqn_state_format(&st, text, sizeof(text)) != 0 ||
	    mbms_sqn_state_parse(text, strlen(text), &st2) != 0 || memcmp(&st, &st2, sizeof(st)))
		die("SQN state round trip");
}

static void authz(const char *p, size_t n)
{
	struct mbms_gba_authz a;
	uint8_t rand[MBMS_GBA_RAND_LEN];
	if (mbms_gba_server_parse_authz(p, n, &a) != 0)
		return;
	if (!a.impi[0] || (a.initial && a.nonce[0]) || (!a.initial && strlen(a.nonce) != 44))
		die("authz invariants");
	if (!a.initial)
		(void)mbms_gba_nonce_rand(a.nonce, rand);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	/* the parsers take a length; a NUL-terminated copy serves the ones that
	 * (like mbms_digest_parse behind authz) may also look at the end */
	char *p = malloc(size + 1);
	if (!p)
		return 0;
	memcpy(p, data, size);
	p[size] = '\0';
	bootstrap_info(p, size);
	zn_response(p, size);
	datetime(p, size);
	sqn_state(p, size);
	authz(p, size);
	free(p);
	return 0;
}
