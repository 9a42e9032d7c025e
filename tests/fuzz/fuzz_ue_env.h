/* A UE state machine in a known state for the UE fuzz targets
 * (fuzz_ue_rx.c, fuzz_ue_http.c, fuzz_ue_state.c): the context of
 * tests/vectors/independent_cases.json (Ks, RAND, IMPI, BM-SC FQDN = IDi,
 * B-TID = IDr, MUK) so that the vector messages of the fuzz_mikey corpus
 * verify as they are; one MSK (01020001, the vectors' MSK) held; the
 * service activated (registration under way), fixed randomness, fixed
 * time. No sockets, no files. */
#ifndef FUZZ_UE_ENV_H
#define FUZZ_UE_ENV_H

#include "mbmssec/crypto.h"
#include "mbmssec/error.h"
#include "mbmssec/ids.h"
#include "mbmssec/kmxml.h"
#include "mbmssec/ue.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define FZ_T0 1800000000000ull /* ms: 2027-01-15, before the B-TID expires */
#define FZ_SID "urn:example:mbms:news"
#define FZ_FQDN "bmsc.mbms.mnc001.mcc001.pub.3gppnetwork.org"
#define FZ_BTID "gRE0fvgzT8TRMTt3OEPC4w==@bsf.mnc001.mcc001.pub.3gppnetwork.org"
#define FZ_IMPI "001010123456789@ims.mnc001.mcc001.3gppnetwork.org"
#define FZ_KS "4e0e05317fe2aca56b14413aaa6cec5e3a7e08b256b76b5cae653201cc4abdd8"
#define FZ_MUK "fc45ad6b199381349ccef259d5a1adc977c120926d9a3878fceadfc02c038f94"
#define FZ_MSK "4b1bf39f7e9c2fe5397c6ae9aa0ef298"
#define FZ_MSK_ID 0x01020001u

/* not every target uses every helper */
#define FZ_API static __attribute__((unused))

#define FZ_CHECK(cond)                                                                             \
	do {                                                                                       \
		if (!(cond)) {                                                                     \
			fprintf(stderr, "%s:%d: invariant broken: %s\n", __FILE__, __LINE__,       \
				#cond);                                                            \
			abort();                                                                   \
		}                                                                                  \
	} while (0)

/* The key store text the UE starts from (lib/ue_state.c format). */
static const char fz_golden_state[] =
	"mbms-ue-state 1\n"
	"bootstrap " FZ_BTID " 1900000000 1799990000 " FZ_KS "\n"
	"keyseq 1 0\n"
	"bmsc " FZ_FQDN " 8080\n"
	"muk " FZ_FQDN " cur " FZ_BTID " - " FZ_MUK "\n"
	"msk 00f110 01020001 1 255 1 - - " FZ_MSK "\n"
	"end\n";

static uint64_t fz_rnd = 0x9E3779B97F4A7C15ull;

FZ_API int fz_random(void *user, uint8_t *buf, size_t len)
{
	(void)user;
	for (size_t i = 0; i < len; i++) {
		fz_rnd ^= fz_rnd << 13;
		fz_rnd ^= fz_rnd >> 7;
		fz_rnd ^= fz_rnd << 17;
		buf[i] = (uint8_t)fz_rnd;
	}
	return 0;
}

FZ_API size_t fz_announcement(char *out, size_t cap)
{
	static struct mbms_announcement a;
	memset(&a, 0, sizeof(a));
	snprintf(a.service_id, sizeof(a.service_id), "%s", FZ_SID);
	snprintf(a.km_server.host, sizeof(a.km_server.host), "%s", FZ_FQDN);
	a.km_server.port = 8080;
	a.key_domain_id[0] = 0x00;
	a.key_domain_id[1] = 0xF1;
	a.key_domain_id[2] = 0x10;
	a.confidentiality = a.integrity = true;
	a.msk_count = 1;
	a.msk_id[0] = mbms_msk_id_make(0x0102, 0);
	a.session_count = 1;
	snprintf(a.session[0].destination.host, sizeof(a.session[0].destination.host),
		 "127.0.0.1");
	a.session[0].destination.port = 5004;
	a.session[0].mtk_port = 2269;
	a.session[0].key_group = 0x0102;
	a.offset_time = 1;
	a.random_time_period = 2;
	size_t len = 0;
	FZ_CHECK(mbms_announcement_write(&a, out, cap, &len) == 0);
	return len;
}

/* Every action is taken and dropped; HTTP requests are remembered by the
 * caller through on_http (may be NULL). Returns the number of actions. */
FZ_API size_t fz_drain(struct mbms_ue *ue,
		       void (*on_http)(const struct mbms_ue_action *a))
{
	struct mbms_ue_action a;
	size_t n = 0;
	while (mbms_ue_next_action(ue, &a)) {
		n++;
		FZ_CHECK(n < 100000);
		if (a.kind == MBMS_UE_ACT_HTTP && on_http)
			on_http(&a);
		if (a.kind == MBMS_UE_ACT_EVENT) {
			/* no key ever in an event text */
			FZ_CHECK(!strstr(a.text, FZ_MUK) && !strstr(a.text, FZ_MSK) &&
				 !strstr(a.text, FZ_KS));
		}
	}
	return n;
}

/* A fresh UE in the golden state, service activated at FZ_T0. */
FZ_API struct mbms_ue *fz_ue_new(void (*on_http)(const struct mbms_ue_action *))
{
	static char ann[8192];
	static size_t ann_len;
	if (!ann_len)
		ann_len = fz_announcement(ann, sizeof(ann));
	fz_rnd = 0x9E3779B97F4A7C15ull;
	struct mbms_ue_config c;
	mbms_ue_config_defaults(&c);
	c.impi = FZ_IMPI;
	c.random = fz_random;
	c.mikey_port = 4359;
	struct mbms_ue *ue = NULL;
	FZ_CHECK(mbms_ue_new(&c, &ue) == 0);
	FZ_CHECK(mbms_ue_state_load(ue, fz_golden_state, sizeof(fz_golden_state) - 1) == 0);
	FZ_CHECK(mbms_ue_service_add(ue, FZ_SID, NULL) == 0);
	FZ_CHECK(mbms_ue_announcement(ue, FZ_SID, ann, ann_len, FZ_T0) == 0);
	FZ_CHECK(mbms_ue_activate(ue, FZ_SID, FZ_T0) == 0);
	fz_drain(ue, on_http);
	return ue;
}

/* What must not change when a datagram is refused: the MSKs held with
 * their counters and MTK IDs, the MUK counters. */
struct fz_snapshot {
	size_t nmsk, nmuk;
	struct mbms_ue_msk_info msk[32];
	bool muk_have[8];
	uint32_t muk_counter[8];
};

FZ_API void fz_snapshot(const struct mbms_ue *ue, struct fz_snapshot *s)
{
	memset(s, 0, sizeof(*s));
	s->nmsk = mbms_ue_msk_count(ue);
	FZ_CHECK(s->nmsk <= 32);
	for (size_t i = 0; i < s->nmsk; i++)
		FZ_CHECK(mbms_ue_msk_info(ue, i, &s->msk[i]) == 0);
	s->nmuk = mbms_ue_muk_count(ue);
	FZ_CHECK(s->nmuk <= 8);
	for (size_t i = 0; i < s->nmuk; i++) {
		struct mbms_ue_muk_info mi;
		FZ_CHECK(mbms_ue_muk_info(ue, i, &mi) == 0);
		s->muk_have[i] = mi.have_counter;
		s->muk_counter[i] = mi.ts_counter;
	}
}

FZ_API bool fz_same(const struct fz_snapshot *a,
		    const struct fz_snapshot *b)
{
	if (a->nmsk != b->nmsk || a->nmuk != b->nmuk)
		return false;
	for (size_t i = 0; i < a->nmsk; i++) {
		const struct mbms_ue_msk_info *x = &a->msk[i], *y = &b->msk[i];
		if (x->msk_id != y->msk_id || memcmp(x->key_domain_id, y->key_domain_id, 3) ||
		    x->vf != y->vf || x->vt != y->vt || x->have_counter != y->have_counter ||
		    x->ts_counter != y->ts_counter || x->have_mtk_id != y->have_mtk_id ||
		    x->mtk_id != y->mtk_id)
			return false;
	}
	for (size_t i = 0; i < a->nmuk; i++)
		if (a->muk_have[i] != b->muk_have[i] || a->muk_counter[i] != b->muk_counter[i])
			return false;
	return true;
}

/* The key store text must load into a fresh UE and save to the same text. */
FZ_API void fz_state_round_trip(const struct mbms_ue *ue)
{
	static char t1[MBMS_UE_STATE_MAX], t2[MBMS_UE_STATE_MAX];
	size_t n1 = 0, n2 = 0;
	FZ_CHECK(mbms_ue_state_save(ue, t1, sizeof(t1), &n1) == 0);
	struct mbms_ue_config c;
	mbms_ue_config_defaults(&c);
	c.impi = FZ_IMPI;
	c.random = fz_random;
	struct mbms_ue *u2 = NULL;
	FZ_CHECK(mbms_ue_new(&c, &u2) == 0);
	FZ_CHECK(mbms_ue_state_load(u2, t1, n1) == 0);
	FZ_CHECK(mbms_ue_state_save(u2, t2, sizeof(t2), &n2) == 0);
	FZ_CHECK(n1 == n2 && memcmp(t1, t2, n1) == 0);
	mbms_ue_free(u2);
	mbms_wipe(t1, n1);
	mbms_wipe(t2, n2);
}

#endif
