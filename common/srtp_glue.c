/* Daemon support: the SRTP transform with libsrtp2 (common/srtp_glue.h).
 * RFC 3711 AES_CM_128_HMAC_SHA1_80 with a 6-byte MKI (PROFILE.md 5.5). */
#include "srtp_glue.h"

#include "mbmssec/crypto.h"
#include "mbmssec/error.h"

#include <pthread.h>
#include <srtp2/srtp.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

static pthread_once_t init_once = PTHREAD_ONCE_INIT;
static srtp_err_status_t init_status = srtp_err_status_fail;
static atomic_bool init_done; /* for mbmsd_srtp_initialised(), any thread */

static void do_init(void)
{
	init_status = srtp_init();
	atomic_store(&init_done, init_status == srtp_err_status_ok);
}

int mbmsd_srtp_init(void)
{
	pthread_once(&init_once, do_init);
	return init_status == srtp_err_status_ok ? 0 : MBMS_ECRYPTO;
}

bool mbmsd_srtp_initialised(void)
{
	return atomic_load(&init_done);
}

const char *mbmsd_srtp_version(void)
{
	return srtp_get_version_string();
}

static int map_err(srtp_err_status_t st)
{
	switch (st) {
	case srtp_err_status_ok: return 0;
	case srtp_err_status_auth_fail: return MBMS_EMAC;
	case srtp_err_status_replay_fail:
	case srtp_err_status_replay_old: return MBMS_EREPLAY;
	case srtp_err_status_bad_mki: return MBMS_EKEYID;
	default: return MBMS_ECRYPTO;
	}
}

/* One libsrtp session for one MTK: master key = MTK, master salt = salt,
 * MKI = MSK ID || MTK ID; any SSRC of the direction. */
static int session_make(const struct mbms_traffic_key *key, bool outbound, srtp_t *out)
{
	if (mbmsd_srtp_init())
		return MBMS_ECRYPTO;
	unsigned char master[MBMS_MTK_LEN + MBMS_MTK_SALT_LEN];
	unsigned char mki[MBMS_TRAFFIC_MKI_LEN];
	memcpy(master, key->mtk, MBMS_MTK_LEN);
	memcpy(master + MBMS_MTK_LEN, key->salt, MBMS_MTK_SALT_LEN);
	mbms_traffic_mki_make(key->msk_id, key->mtk_id, mki);
	srtp_master_key_t mk = {.key = master, .mki_id = mki, .mki_size = MBMS_TRAFFIC_MKI_LEN};
	srtp_master_key_t *keys[1] = {&mk};
	srtp_policy_t p;
	memset(&p, 0, sizeof(p));
	srtp_crypto_policy_set_aes_cm_128_hmac_sha1_80(&p.rtp);
	srtp_crypto_policy_set_aes_cm_128_hmac_sha1_80(&p.rtcp);
	p.ssrc.type = outbound ? ssrc_any_outbound : ssrc_any_inbound;
	p.keys = keys;
	p.num_master_keys = 1;
	p.window_size = 128;
	p.allow_repeat_tx = 0;
	srtp_err_status_t st = srtp_create(out, &p);
	mbms_wipe(master, sizeof(master));
	return st == srtp_err_status_ok ? 0 : MBMS_ECRYPTO;
}

/* ---- sender ---- */

struct mbmsd_srtp_tx {
	srtp_t session;
	bool keyed;
};

int mbmsd_srtp_tx_new(struct mbmsd_srtp_tx **out)
{
	if (!out)
		return MBMS_EINVAL;
	if (mbmsd_srtp_init())
		return MBMS_ECRYPTO;
	*out = calloc(1, sizeof(**out));
	return *out ? 0 : MBMS_ENOMEM;
}

void mbmsd_srtp_tx_free(struct mbmsd_srtp_tx *tx)
{
	if (!tx)
		return;
	if (tx->keyed)
		srtp_dealloc(tx->session);
	free(tx);
}

int mbmsd_srtp_tx_set_key(struct mbmsd_srtp_tx *tx, const struct mbms_traffic_key *key)
{
	if (!tx || !key)
		return MBMS_EINVAL;
	srtp_t s;
	int rc = session_make(key, true, &s);
	if (rc)
		return rc;
	if (tx->keyed)
		srtp_dealloc(tx->session);
	tx->session = s;
	tx->keyed = true;
	return 0;
}

int mbmsd_srtp_tx_protect(struct mbmsd_srtp_tx *tx, uint8_t *buf, size_t *len, size_t cap)
{
	if (!tx || !buf || !len)
		return MBMS_EINVAL;
	if (!tx->keyed)
		return MBMS_ESTATE;
	if (*len < MBMS_RTP_HEADER_MIN || *len > MBMS_TRAFFIC_RTP_MAX ||
	    cap < *len + MBMS_TRAFFIC_MKI_LEN + MBMS_TRAFFIC_TAG_LEN)
		return MBMS_ENOSPC;
	/* libsrtp may write up to SRTP_MAX_TRAILER_LEN; it writes MKI + tag
	 * here, which the check above guarantees room for. */
	int n = (int)*len;
	int rc = map_err(srtp_protect_mki(tx->session, buf, &n, 1, 0));
	if (rc)
		return rc;
	*len = (size_t)n;
	return 0;
}

/* ---- receiver ---- */

struct rx_ctx {
	bool used;
	uint8_t kd[MBMS_KEY_DOMAIN_ID_LEN];
	uint32_t msk_id;
	uint16_t mtk_id;
	uint64_t last_use;
	srtp_t session;
};

struct retired {
	uint8_t kd[MBMS_KEY_DOMAIN_ID_LEN];
	uint32_t msk_id;
	uint16_t mtk_id;
};

struct mbmsd_srtp_rx {
	struct rx_ctx ctx[MBMSD_SRTP_RX_CONTEXTS];
	struct retired retired[MBMSD_SRTP_RX_RETIRED];
	size_t nretired, retired_next;
	uint64_t uses;
};

/* No srtp_init() here: a receiver that never gets a packet never pays for
 * libsrtp's backend (srtp_glue.h); session_make() initialises it. */
int mbmsd_srtp_rx_new(struct mbmsd_srtp_rx **out)
{
	if (!out)
		return MBMS_EINVAL;
	*out = calloc(1, sizeof(**out));
	return *out ? 0 : MBMS_ENOMEM;
}

void mbmsd_srtp_rx_free(struct mbmsd_srtp_rx *rx)
{
	if (!rx)
		return;
	for (size_t i = 0; i < MBMSD_SRTP_RX_CONTEXTS; i++)
		if (rx->ctx[i].used)
			srtp_dealloc(rx->ctx[i].session);
	free(rx);
}

static bool same_key(const uint8_t *kd, uint32_t msk_id, uint16_t mtk_id,
		     const struct mbms_traffic_key *key)
{
	return msk_id == key->msk_id && mtk_id == key->mtk_id &&
	       memcmp(kd, key->key_domain_id, MBMS_KEY_DOMAIN_ID_LEN) == 0;
}

/* The context of key's MTK: found, or made (the least recently used one
 * retired when the cache is full), or MBMS_EMTKOLD when that MTK was
 * retired before. */
static int rx_context(struct mbmsd_srtp_rx *rx, const struct mbms_traffic_key *key,
		      struct rx_ctx **out)
{
	struct rx_ctx *victim = NULL;
	for (size_t i = 0; i < MBMSD_SRTP_RX_CONTEXTS; i++) {
		struct rx_ctx *c = &rx->ctx[i];
		if (c->used && same_key(c->kd, c->msk_id, c->mtk_id, key)) {
			*out = c;
			return 0;
		}
		if (!victim || (victim->used && (!c->used || c->last_use < victim->last_use)))
			victim = c;
	}
	for (size_t i = 0; i < rx->nretired; i++)
		if (same_key(rx->retired[i].kd, rx->retired[i].msk_id, rx->retired[i].mtk_id, key))
			return MBMS_EMTKOLD;
	srtp_t s;
	int rc = session_make(key, false, &s);
	if (rc)
		return rc;
	if (victim->used) {
		struct retired *r = &rx->retired[rx->retired_next];
		memcpy(r->kd, victim->kd, MBMS_KEY_DOMAIN_ID_LEN);
		r->msk_id = victim->msk_id;
		r->mtk_id = victim->mtk_id;
		rx->retired_next = (rx->retired_next + 1) % MBMSD_SRTP_RX_RETIRED;
		if (rx->nretired < MBMSD_SRTP_RX_RETIRED)
			rx->nretired++;
		srtp_dealloc(victim->session);
	}
	memset(victim, 0, sizeof(*victim));
	victim->used = true;
	memcpy(victim->kd, key->key_domain_id, MBMS_KEY_DOMAIN_ID_LEN);
	victim->msk_id = key->msk_id;
	victim->mtk_id = key->mtk_id;
	victim->session = s;
	*out = victim;
	return 0;
}

int mbmsd_srtp_rx_unprotect(struct mbmsd_srtp_rx *rx, const struct mbms_traffic_key *key,
			    uint8_t *buf, size_t *len)
{
	if (!rx || !key || !buf || !len)
		return MBMS_EINVAL;
	if (*len > MBMS_TRAFFIC_SRTP_MAX)
		return MBMS_ELENGTH;
	struct rx_ctx *c;
	int rc = rx_context(rx, key, &c);
	if (rc)
		return rc;
	c->last_use = ++rx->uses;
	int n = (int)*len;
	rc = map_err(srtp_unprotect_mki(c->session, buf, &n, 1));
	if (rc)
		return rc;
	*len = (size_t)n;
	return 0;
}

size_t mbmsd_srtp_rx_contexts(const struct mbmsd_srtp_rx *rx)
{
	size_t n = 0;
	for (size_t i = 0; rx && i < MBMSD_SRTP_RX_CONTEXTS; i++)
		n += rx->ctx[i].used;
	return n;
}
