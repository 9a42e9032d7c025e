/* Deterministic identities of the simulated UEs: everything follows from
 * (seed, index), so `provision` and a later run agree without storing the
 * population. K, OPc, RAND and Ks are HMAC-SHA-256(seed, label || index)
 * truncated: test material, never real subscriber keys. */
#include "lg.h"

#include "mbmssec/crypto.h"
#include "mbmssec/error.h"
#include "mbmssec/ids.h"

#include <arpa/inet.h>
#include <stdio.h>
#include <string.h>

static void derive(const struct lg_opts *o, char label, uint64_t i, uint8_t *out, size_t len)
{
	uint8_t key[8], msg[9], mac[32];
	for (int b = 0; b < 8; b++) {
		key[b] = (uint8_t)(o->seed >> (56 - 8 * b));
		msg[1 + b] = (uint8_t)(i >> (56 - 8 * b));
	}
	msg[0] = (uint8_t)label;
	mbms_hmac_sha256(key, sizeof(key), msg, sizeof(msg), mac);
	memcpy(out, mac, len);
}

/* IMSI-style IMPI: MCC 001, MNC 01, then the index in 10 digits. */
void lg_impi(const struct lg_opts *o, uint64_t i, char *out, size_t cap)
{
	snprintf(out, cap, "00101%010llu@ims.mnc001.mcc001.3gppnetwork.org",
		 (unsigned long long)((o->first + i) % 10000000000ULL));
}

void lg_ident(const struct lg_opts *o, uint64_t i, struct lg_ident *out)
{
	memset(out, 0, sizeof(*out));
	lg_impi(o, i, out->impi, sizeof(out->impi));
	derive(o, 'K', i, out->k, sizeof(out->k));
	derive(o, 'O', i, out->opc, sizeof(out->opc));
	derive(o, 'R', i, out->rand, sizeof(out->rand));
	derive(o, 'S', i, out->ks, sizeof(out->ks));
	mbms_btid_make(out->rand, o->bsf_host, out->btid, sizeof(out->btid));
}

int lg_ident_ks_naf(const struct lg_opts *o, const struct lg_ident *id, uint8_t out[32])
{
	return mbms_ks_naf(id->ks, id->rand, id->impi, o->fqdn, mbms_ua_id_mbms, out);
}

void lg_ip_text(uint32_t ip, char out[16])
{
	struct in_addr a = {.s_addr = htonl(ip)};
	if (!inet_ntop(AF_INET, &a, out, 16))
		snprintf(out, 16, "?");
}

int lg_ip_parse(const char *s, uint32_t *out)
{
	struct in_addr a;
	if (inet_pton(AF_INET, s, &a) != 1)
		return -1;
	*out = ntohl(a.s_addr);
	return 0;
}
