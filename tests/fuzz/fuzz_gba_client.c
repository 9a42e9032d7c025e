/* libFuzzer target for the UE side of Ub (lib/gba_client.c): the BSF's
 * 401 challenge (WWW-Authenticate: nonce = base64(RAND || AUTN), realm,
 * algorithm, qop), the 200's Authentication-Info and BootstrappingInfo
 * body, the AUTN / SQN checks behind them.
 *
 * Input: flags(1) | RAND(16) | SQN(6) | parts separated by NUL:
 *   [WWW-Authenticate] NUL Authentication-Info NUL body
 *   flags bit 0  the challenge is a real one made by the BSF side
 *                (mbms_gba_server_challenge with this RAND and SQN), so the
 *                fuzzer gets past AUTN into the result; otherwise the first
 *                part is the challenge as given
 *         bit 1  give the 200 no Authentication-Info (the body is parsed
 *                without an rspauth check)
 *         bit 2  a second challenge follows (the AUTS / resync path)
 * Invariants: the client never reaches DONE without a B-TID whose RAND is
 * the challenge's; secrets are wiped by mbms_gba_client_wipe. */
#include "mbmssec/error.h"
#include "mbmssec/gba.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define CHECK(c)                                                                                   \
	do {                                                                                       \
		if (!(c)) {                                                                        \
			fprintf(stderr, "fuzz_gba_client: %s\n", #c);                              \
			abort();                                                                   \
		}                                                                                  \
	} while (0)

static const uint8_t K[16] = {0x46, 0x5b, 0x5c, 0xe8, 0xb1, 0x99, 0xb4, 0x9f,
			      0xaa, 0x5f, 0x0a, 0x2e, 0xe2, 0x38, 0xa6, 0xbc};
static const uint8_t OPC[16] = {0xcd, 0x63, 0xcb, 0x71, 0x95, 0x4a, 0x9f, 0x4e,
				0x48, 0xa5, 0x99, 0x4e, 0x37, 0xa0, 0x2b, 0xaf};
#define IMPI "001010123456789@ims.mnc001.mcc001.3gppnetwork.org"
#define BSF "bsf.mnc001.mcc001.pub.3gppnetwork.org"
#define NOW 1800000000u

static const char *part(const char **p, const char *end, char *out, size_t cap, size_t *len)
{
	*len = 0;
	if (*p >= end)
		return NULL;
	const char *z = memchr(*p, '\0', (size_t)(end - *p));
	size_t n = z ? (size_t)(z - *p) : (size_t)(end - *p);
	if (n >= cap)
		n = cap - 1;
	memcpy(out, *p, n);
	out[n] = '\0';
	*len = n;
	*p = z ? z + 1 : end;
	return out;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct mbms_gba_client c;
	static char www[MBMS_GBA_AUTH_MAX * 2], ai[2048], body[MBMS_GBA_BODY_MAX], authz[2048];
	if (size < 23)
		return 0;
	uint8_t flags = data[0];
	const uint8_t *rand = data + 1;
	uint64_t sqn = 0;
	for (int i = 0; i < 6; i++)
		sqn = sqn << 8 | data[17 + i];
	const char *p = (const char *)data + 23, *end = (const char *)data + size;
	size_t wl = 0, al = 0, bl = 0;

	CHECK(mbms_gba_client_init(&c, IMPI, K, OPC, BSF, NULL) == 0);
	CHECK(mbms_gba_client_first_request(&c, authz, sizeof(authz)) == 0);
	for (int round = 0; round < ((flags & 4) ? 2 : 1); round++) {
		if (flags & 1) {
			struct mbms_gba_subscriber sub;
			memset(&sub, 0, sizeof(sub));
			snprintf(sub.impi, sizeof(sub.impi), "%s", IMPI);
			memcpy(sub.k, K, 16);
			memcpy(sub.opc, OPC, 16);
			sub.sqn = (sqn + (uint64_t)round * 32) & 0xffffffffffffull;
			struct mbms_gba_challenge ch;
			CHECK(mbms_gba_server_challenge(BSF, &sub, rand, &ch, www,
							sizeof(www)) == 0);
			wl = strlen(www);
		} else if (!part(&p, end, www, sizeof(www), &wl)) {
			break;
		}
		enum mbms_gba_answer ans;
		int rc = mbms_gba_client_challenge(&c, www, wl, "0a4f2c9e81d3b775", authz,
						   sizeof(authz), &ans);
		if (rc != 0 || ans == MBMS_GBA_ANSWER_MAC_FAILURE)
			goto out;
		if (ans == MBMS_GBA_ANSWER_RES)
			break;
	}
	if (c.state != MBMS_GBA_CLIENT_WAIT_RESULT)
		goto out;
	const char *a = part(&p, end, ai, sizeof(ai), &al);
	part(&p, end, body, sizeof(body), &bl);
	if (flags & 2)
		a = NULL;
	int rc = mbms_gba_client_result(&c, a, a ? al : 0, (const uint8_t *)body, bl, NOW);
	if (rc == 0) {
		CHECK(c.state == MBMS_GBA_CLIENT_DONE && c.btid[0] && c.expires_at > NOW);
		uint8_t r2[MBMS_GBA_RAND_LEN];
		CHECK(mbms_gba_nonce_rand(c.nonce, r2) == 0 && memcmp(r2, c.rand, 16) == 0);
		uint8_t ks_naf[MBMS_KS_NAF_LEN];
		CHECK(mbms_gba_client_ks_naf(&c, "bmsc.example.org", NOW, ks_naf) == 0);
	}
out:
	mbms_gba_client_wipe(&c);
	static const uint8_t zero[16];
	CHECK(memcmp(c.k, zero, 16) == 0 && memcmp(c.ks, zero, 16) == 0);
	return 0;
}
