/* The SRTP glue (common/srtp_glue.h, libsrtp2) against an independent
 * RFC 3711 implementation written here on OpenSSL: key derivation checked
 * with the published vectors of RFC 3711 appendix B.3, then every packet the
 * glue protects with an MTK must equal, byte for byte, the independent
 * AES_CM_128_HMAC_SHA1_80 packet with the 6-byte MKI before the tag
 * (PROFILE.md 5.5). Then what the receiver must refuse (tables with cases
 * that must fail): tampered header, payload and tag, a foreign MKI, a wrong
 * key, replays inside and behind the replay window; an MTK change with the
 * previous MTK kept for late packets; a receiver context retired for good;
 * sequence numbers across a wrap. */
#include "testutil.h"

#include "srtp_glue.h"

#include "mbmssec/crypto.h"
#include "mbmssec/error.h"
#include "mbmssec/ids.h"
#include "mbmssec/traffic.h"

#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <stdio.h>
#include <string.h>

/* libsrtp reads 32-bit words: packet buffers are aligned */
union pbuf {
	uint32_t align;
	uint8_t b[MBMS_TRAFFIC_SRTP_MAX + 64];
};

static void assert_rc(int got, int want, const char *what)
{
	if (got != want)
		fail_msg("%s: got %s (%d), expected %s (%d)", what, mbms_errname(got), got,
			 mbms_errname(want), want);
}

/* ---- the independent RFC 3711 implementation ---- */

static void aes_ctr(const uint8_t key[16], const uint8_t iv[16], const uint8_t *in, uint8_t *out,
		    size_t len)
{
	EVP_CIPHER_CTX *c = EVP_CIPHER_CTX_new();
	int n = 0;
	assert_non_null(c);
	assert_int_equal(EVP_EncryptInit_ex(c, EVP_aes_128_ctr(), NULL, key, iv), 1);
	assert_int_equal(EVP_EncryptUpdate(c, out, &n, in, (int)len), 1);
	EVP_CIPHER_CTX_free(c);
}

/* RFC 3711 4.3.1/4.3.3, key derivation rate 0: x = (label || 0^48) xor
 * master salt, right-aligned; output = AES-CM(master key, x * 2^16). */
static void kdf(const uint8_t mk[16], const uint8_t ms[14], uint8_t label, uint8_t *out,
		size_t len)
{
	uint8_t iv[16] = {0}, zero[32] = {0};
	memcpy(iv, ms, 14);
	iv[7] ^= label;
	aes_ctr(mk, iv, zero, out, len);
}

struct ref_keys {
	uint8_t enc[16], salt[14], auth[20];
};

static void ref_derive(const uint8_t mk[16], const uint8_t ms[14], struct ref_keys *k)
{
	kdf(mk, ms, 0x00, k->enc, 16);
	kdf(mk, ms, 0x01, k->auth, 20);
	kdf(mk, ms, 0x02, k->salt, 14);
}

/* RFC 3711 3.1, 4.1.1, 4.2: encrypt the payload with IV = salt * 2^16 xor
 * SSRC * 2^64 xor i * 2^16, tag = HMAC-SHA1(header || ciphertext || ROC)
 * cut to 80 bits; the MKI goes between ciphertext and tag. */
static size_t ref_protect(const struct mbms_traffic_key *key, uint32_t roc, const uint8_t *rtp,
			  size_t len, uint8_t *out, bool with_mki)
{
	struct ref_keys k;
	ref_derive(key->mtk, key->salt, &k);
	struct mbms_rtp_header h;
	assert_int_equal(mbms_rtp_parse(rtp, len, &h), 0);
	uint8_t iv[16] = {0};
	memcpy(iv, k.salt, 14);
	uint8_t ssrc[4], idx[6];
	mbms_put_be32(ssrc, h.ssrc);
	mbms_put_be32(idx, roc);
	mbms_put_be16(idx + 4, h.seq);
	for (int i = 0; i < 4; i++)
		iv[4 + i] ^= ssrc[i];
	for (int i = 0; i < 6; i++)
		iv[8 + i] ^= idx[i];
	memcpy(out, rtp, h.header_len);
	aes_ctr(k.enc, iv, rtp + h.header_len, out + h.header_len, len - h.header_len);
	uint8_t mac_in[MBMS_TRAFFIC_SRTP_MAX + 4], mac[20];
	unsigned mac_len = 0;
	memcpy(mac_in, out, len);
	mbms_put_be32(mac_in + len, roc);
	assert_non_null(HMAC(EVP_sha1(), k.auth, 20, mac_in, len + 4, mac, &mac_len));
	size_t n = len;
	if (with_mki) {
		mbms_traffic_mki_make(key->msk_id, key->mtk_id, out + n);
		n += MBMS_TRAFFIC_MKI_LEN;
	}
	memcpy(out + n, mac, MBMS_TRAFFIC_TAG_LEN);
	mbms_wipe(&k, sizeof(k));
	return n + MBMS_TRAFFIC_TAG_LEN;
}

static void test_rfc3711_b3(void **state)
{
	(void)state;
	/* RFC 3711 appendix B.3 (published) */
	uint8_t mk[16], ms[14];
	th_hex_into("E1F97A0D3E018BE0D64FA32C06DE4139", mk, 16);
	th_hex_into("0EC675AD498AFEEBB6960B3AABE6", ms, 14);
	struct ref_keys k;
	ref_derive(mk, ms, &k);
	th_assert_hex(k.enc, 16, "c61e7a93744f39ee10734afe3ff7a087", "B.3 cipher key");
	th_assert_hex(k.salt, 14, "30cbbc08863d8c85d49db34a9ae1", "B.3 cipher salt");
	th_assert_hex(k.auth, 20, "cebe321f6ff7716b6fd4ab49af256a156d38baa4", "B.3 auth key");
	/* must fail: a swapped label gives another key */
	uint8_t other[16];
	kdf(mk, ms, 0x03, other, 16);
	assert_memory_not_equal(other, k.enc, 16);
}

/* ---- helpers ---- */

static void key_make(struct mbms_traffic_key *k, uint32_t msk_id, uint16_t mtk_id, uint8_t fill)
{
	memset(k, 0, sizeof(*k));
	k->key_domain_id[1] = 0xf1;
	k->key_domain_id[2] = 0x10;
	k->msk_id = msk_id;
	k->mtk_id = mtk_id;
	for (int i = 0; i < MBMS_MTK_LEN; i++)
		k->mtk[i] = (uint8_t)(fill + 7 * i);
	for (int i = 0; i < MBMS_MTK_SALT_LEN; i++)
		k->salt[i] = (uint8_t)(fill ^ (0x5a + i));
}

static size_t rtp_make(uint32_t index, uint16_t seq0, size_t payload, uint8_t *out)
{
	struct mbms_rtp_gen g = {.ssrc = 0x1234abcd, .seq0 = seq0, .ts0 = 7, .ts_step = 160,
				 .payload_type = 96, .payload_len = payload};
	size_t len;
	assert_int_equal(mbms_rtp_generate(&g, index, out, MBMS_TRAFFIC_RTP_MAX, &len), 0);
	return len;
}

static size_t protect(struct mbmsd_srtp_tx *tx, uint32_t index, uint16_t seq0, union pbuf *p)
{
	size_t len = rtp_make(index, seq0, 20 + index % 50, p->b);
	assert_int_equal(mbmsd_srtp_tx_protect(tx, p->b, &len, sizeof(p->b)), 0);
	return len;
}

/* ---- the glue against the independent implementation ---- */

static void test_glue_matches_rfc3711(void **state)
{
	(void)state;
	assert_int_equal(mbmsd_srtp_init(), 0);
	assert_non_null(strstr(mbmsd_srtp_version(), "2."));
	struct mbms_traffic_key key;
	key_make(&key, 0x01022f43, 7, 0x31);
	struct mbmsd_srtp_tx *tx;
	assert_int_equal(mbmsd_srtp_tx_new(&tx), 0);
	assert_int_equal(mbmsd_srtp_tx_set_key(tx, &key), 0);
	/* seq 65534, 65535, then 0 and 1 with ROC 1 */
	for (uint32_t i = 0; i < 4; i++) {
		union pbuf p;
		uint8_t rtp[MBMS_TRAFFIC_RTP_MAX], ref[MBMS_TRAFFIC_SRTP_MAX];
		size_t rlen = rtp_make(i, 65534, 20 + i % 50, rtp);
		size_t len = protect(tx, i, 65534, &p);
		uint32_t roc = i < 2 ? 0 : 1;
		size_t ref_len = ref_protect(&key, roc, rtp, rlen, ref, true);
		assert_int_equal(len, rlen + MBMS_TRAFFIC_MKI_LEN + MBMS_TRAFFIC_TAG_LEN);
		assert_int_equal(len, ref_len);
		if (memcmp(p.b, ref, len) != 0)
			fail_msg("packet %u differs from the independent RFC 3711 packet", i);
		th_assert_hex(p.b + rlen, MBMS_TRAFFIC_MKI_LEN, "01022f430007", "the MKI");
		/* must fail: the same packet with the wrong ROC, or without MKI */
		ref_protect(&key, roc ^ 1, rtp, rlen, ref, true);
		assert_memory_not_equal(p.b + len - MBMS_TRAFFIC_TAG_LEN,
					ref + len - MBMS_TRAFFIC_TAG_LEN, MBMS_TRAFFIC_TAG_LEN);
		ref_len = ref_protect(&key, roc, rtp, rlen, ref, false);
		assert_true(ref_len != len || memcmp(p.b, ref, len) != 0);
	}
	mbmsd_srtp_tx_free(tx);
	mbms_traffic_key_wipe(&key);
}

static void test_receiver_rejects(void **state)
{
	(void)state;
	struct mbms_traffic_key key, wrong;
	key_make(&key, 0x01020005, 1, 0x10);
	key_make(&wrong, 0x01020005, 1, 0x11); /* same IDs, other key */
	struct mbmsd_srtp_tx *tx;
	struct mbmsd_srtp_rx *rx, *rx2;
	assert_int_equal(mbmsd_srtp_tx_new(&tx), 0);
	assert_int_equal(mbmsd_srtp_rx_new(&rx), 0);
	assert_int_equal(mbmsd_srtp_rx_new(&rx2), 0);
	assert_int_equal(mbmsd_srtp_tx_set_key(tx, &key), 0);
	union pbuf pk[300];
	size_t plen[300];
	for (uint32_t i = 0; i < 300; i++)
		plen[i] = protect(tx, i, 1000, &pk[i]);

	/* a good packet decrypts to the RTP packet */
	union pbuf p;
	uint8_t rtp[MBMS_TRAFFIC_RTP_MAX];
	memcpy(p.b, pk[0].b, plen[0]);
	size_t len = plen[0];
	assert_int_equal(mbmsd_srtp_rx_unprotect(rx, &key, p.b, &len), 0);
	size_t rlen = rtp_make(0, 1000, 20, rtp);
	assert_int_equal(len, rlen);
	assert_memory_equal(p.b, rtp, rlen);

	/* must fail: every tampered copy of packet 1 */
	const size_t hdr = 12, end = plen[1];
	const struct {
		const char *name;
		size_t at;
		int rc;
	} tamper[] = {
		{"sequence number (ahead, not seen yet)", 2, MBMS_EMAC},
		{"SSRC", 11, MBMS_EMAC},
		{"first payload byte", hdr, MBMS_EMAC},
		{"last payload byte", end - 17, MBMS_EMAC},
		{"tag", end - 1, MBMS_EMAC},
		{"MKI (no such master key)", end - 12, MBMS_EKEYID},
	};
	for (size_t i = 0; i < sizeof(tamper) / sizeof(tamper[0]); i++) {
		memcpy(p.b, pk[1].b, plen[1]);
		p.b[tamper[i].at] ^= 0x04; /* seq 1001 -> 2025 for byte 2 */
		len = plen[1];
		assert_rc(mbmsd_srtp_rx_unprotect(rx, &key, p.b, &len), tamper[i].rc, tamper[i].name);
	}
	/* ... a failed packet leaves no trace: the genuine one still passes */
	memcpy(p.b, pk[1].b, plen[1]);
	len = plen[1];
	assert_rc(mbmsd_srtp_rx_unprotect(rx, &key, p.b, &len), 0, "packet 1 after its forgeries");
	/* must fail: the right MKI under the wrong key */
	memcpy(p.b, pk[2].b, plen[2]);
	len = plen[2];
	assert_rc(mbmsd_srtp_rx_unprotect(rx2, &wrong, p.b, &len), MBMS_EMAC, "wrong key");
	/* must fail: replays, inside the window and behind it */
	memcpy(p.b, pk[1].b, plen[1]);
	len = plen[1];
	assert_rc(mbmsd_srtp_rx_unprotect(rx, &key, p.b, &len), MBMS_EREPLAY, "replay of 1");
	memcpy(p.b, pk[299].b, plen[299]);
	len = plen[299];
	assert_rc(mbmsd_srtp_rx_unprotect(rx, &key, p.b, &len), 0, "packet 299");
	memcpy(p.b, pk[100].b, plen[100]); /* never seen, 199 behind: older than the window */
	len = plen[100];
	assert_rc(mbmsd_srtp_rx_unprotect(rx, &key, p.b, &len), MBMS_EREPLAY, "behind the window");
	memcpy(p.b, pk[250].b, plen[250]); /* never seen, inside the window: fine */
	len = plen[250];
	assert_rc(mbmsd_srtp_rx_unprotect(rx, &key, p.b, &len), 0, "late inside the window");
	memcpy(p.b, pk[250].b, plen[250]);
	len = plen[250];
	assert_rc(mbmsd_srtp_rx_unprotect(rx, &key, p.b, &len), MBMS_EREPLAY, "replay of 250");

	/* sender errors */
	struct mbmsd_srtp_tx *tx2;
	assert_int_equal(mbmsd_srtp_tx_new(&tx2), 0);
	len = rtp_make(0, 1, 20, p.b);
	assert_rc(mbmsd_srtp_tx_protect(tx2, p.b, &len, sizeof(p.b)), MBMS_ESTATE, "no key yet");
	assert_int_equal(mbmsd_srtp_tx_set_key(tx2, &key), 0);
	assert_rc(mbmsd_srtp_tx_protect(tx2, p.b, &len, len + 15), MBMS_ENOSPC, "no room");
	assert_rc(mbmsd_srtp_tx_protect(tx2, p.b, &len, sizeof(p.b)), 0, "protect");
	len = rtp_make(0, 1, 20, p.b);
	assert_rc(mbmsd_srtp_tx_protect(tx2, p.b, &len, sizeof(p.b)), MBMS_EREPLAY,
		  "the same index twice");
	mbmsd_srtp_tx_free(tx2);
	mbmsd_srtp_tx_free(tx);
	mbmsd_srtp_rx_free(rx);
	mbmsd_srtp_rx_free(rx2);
	mbms_traffic_key_wipe(&key);
	mbms_traffic_key_wipe(&wrong);
}

static void test_mtk_change(void **state)
{
	(void)state;
	struct mbms_traffic_key k1, k2;
	key_make(&k1, 0x01020005, 1, 0x20);
	key_make(&k2, 0x01020005, 2, 0x21);
	struct mbmsd_srtp_tx *tx;
	struct mbmsd_srtp_rx *rx;
	assert_int_equal(mbmsd_srtp_tx_new(&tx), 0);
	assert_int_equal(mbmsd_srtp_rx_new(&rx), 0);
	union pbuf pk[20];
	size_t plen[20];
	/* packets 0..9 under MTK 1, 10..19 under MTK 2, across a sequence wrap */
	assert_int_equal(mbmsd_srtp_tx_set_key(tx, &k1), 0);
	for (uint32_t i = 0; i < 10; i++)
		plen[i] = protect(tx, i, 65530, &pk[i]);
	assert_int_equal(mbmsd_srtp_tx_set_key(tx, &k2), 0);
	for (uint32_t i = 10; i < 20; i++)
		plen[i] = protect(tx, i, 65530, &pk[i]);
	th_assert_hex(pk[10].b + plen[10] - 16, 6, "010200050002", "MKI of MTK 2");
	/* arrival: 0..7, 10..15, then the late 8 and 9, then 16..19 */
	static const int order[] = {0, 1, 2, 3, 4, 5, 6, 7, 10, 11, 12, 13, 14, 15, 8, 9,
				    16, 17, 18, 19};
	for (size_t j = 0; j < 20; j++) {
		int i = order[j];
		union pbuf p;
		memcpy(p.b, pk[i].b, plen[i]);
		size_t len = plen[i];
		const struct mbms_traffic_key *k = i < 10 ? &k1 : &k2;
		if (mbmsd_srtp_rx_unprotect(rx, k, p.b, &len) != 0)
			fail_msg("packet %d did not decrypt", i);
		uint8_t rtp[MBMS_TRAFFIC_RTP_MAX];
		size_t rlen = rtp_make((uint32_t)i, 65530, 20 + (size_t)i % 50, rtp);
		assert_int_equal(len, rlen);
		assert_memory_equal(p.b, rtp, rlen);
	}
	assert_int_equal(mbmsd_srtp_rx_contexts(rx), 2);
	/* must fail: a packet of MTK 2 offered with MTK 1 (MKI and key disagree) */
	union pbuf p;
	memcpy(p.b, pk[19].b, plen[19]);
	size_t len = plen[19];
	assert_rc(mbmsd_srtp_rx_unprotect(rx, &k1, p.b, &len), MBMS_EKEYID, "MKI of another MTK");

	/* eight more MTKs push MTK 1 out of the cache: retired for good */
	for (uint16_t id = 3; id < 3 + MBMSD_SRTP_RX_CONTEXTS; id++) {
		struct mbms_traffic_key kx;
		key_make(&kx, 0x01020005, id, (uint8_t)(0x30 + id));
		assert_int_equal(mbmsd_srtp_tx_set_key(tx, &kx), 0);
		size_t l = protect(tx, 100 + id, 65530, &p);
		assert_int_equal(mbmsd_srtp_rx_unprotect(rx, &kx, p.b, &l), 0);
		mbms_traffic_key_wipe(&kx);
	}
	assert_int_equal(mbmsd_srtp_rx_contexts(rx), MBMSD_SRTP_RX_CONTEXTS);
	memcpy(p.b, pk[0].b, plen[0]);
	len = plen[0];
	assert_rc(mbmsd_srtp_rx_unprotect(rx, &k1, p.b, &len), MBMS_EMTKOLD,
		  "replay under a retired MTK");
	mbmsd_srtp_tx_free(tx);
	mbmsd_srtp_rx_free(rx);
	mbms_traffic_key_wipe(&k1);
	mbms_traffic_key_wipe(&k2);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_rfc3711_b3),
		cmocka_unit_test(test_glue_matches_rfc3711),
		cmocka_unit_test(test_receiver_rejects),
		cmocka_unit_test(test_mtk_change),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
