/* mbms-ue's SRTP receiver initialises libsrtp2 lazily (common/srtp_glue.h,
 * docs/ue.md "Memory"): srtp_init() runs libsrtp's self-tests, which bring
 * up its NSS backend (~1 MB resident on Debian), so a UE with a [stream]
 * configured pays for it only once a packet of that stream has a key.
 *
 * Its own program: whether srtp_init() ran is per process, and
 * test_traffic_srtp.c initialises at once. Checked here: making and freeing
 * a receiver leaves libsrtp2 uninitialised; the first packet with a key
 * initialises it, even one that must fail (a forged tag); after that a
 * sender's packet decrypts to the RTP packet it was made from. */
#include "testutil.h"

#include "srtp_glue.h"

#include "mbmssec/error.h"
#include "mbmssec/traffic.h"

#include <string.h>

union pbuf {
	uint32_t align; /* libsrtp reads 32-bit words */
	uint8_t b[MBMS_TRAFFIC_SRTP_MAX + 64];
};

static void key_make(struct mbms_traffic_key *k, uint32_t msk_id, uint16_t mtk_id)
{
	memset(k, 0, sizeof(*k));
	k->key_domain_id[1] = 0xf1;
	k->key_domain_id[2] = 0x10;
	k->msk_id = msk_id;
	k->mtk_id = mtk_id;
	for (int i = 0; i < MBMS_MTK_LEN; i++)
		k->mtk[i] = (uint8_t)(0x41 + 5 * i);
	for (int i = 0; i < MBMS_MTK_SALT_LEN; i++)
		k->salt[i] = (uint8_t)(0x17 ^ i);
}

static size_t rtp_make(uint32_t index, uint8_t *out)
{
	struct mbms_rtp_gen g = {.ssrc = 0x5eed0001, .seq0 = 100, .ts0 = 1, .ts_step = 160,
				 .payload_type = 96, .payload_len = 40};
	size_t len;
	assert_int_equal(mbms_rtp_generate(&g, index, out, MBMS_TRAFFIC_RTP_MAX, &len), 0);
	return len;
}

static void test_receiver_initialises_at_first_packet(void **state)
{
	(void)state;
	struct mbms_traffic_key key;
	key_make(&key, 0x01020007, 3);

	/* receivers made and freed: nothing initialised */
	struct mbmsd_srtp_rx *rx;
	assert_int_equal(mbmsd_srtp_rx_new(&rx), 0);
	mbmsd_srtp_rx_free(rx);
	assert_int_equal(mbmsd_srtp_rx_new(&rx), 0);
	assert_false(mbmsd_srtp_initialised());
	assert_int_equal(mbmsd_srtp_rx_contexts(rx), 0);

	/* must fail: a packet with our MKI and a forged tag. It is the first
	 * packet with a key, so libsrtp2 is initialised for it. */
	union pbuf p;
	size_t len = rtp_make(0, p.b);
	mbms_traffic_mki_make(key.msk_id, key.mtk_id, p.b + len);
	memset(p.b + len + MBMS_TRAFFIC_MKI_LEN, 0xa5, MBMS_TRAFFIC_TAG_LEN);
	len += MBMS_TRAFFIC_MKI_LEN + MBMS_TRAFFIC_TAG_LEN;
	assert_int_equal(mbmsd_srtp_rx_unprotect(rx, &key, p.b, &len), MBMS_EMAC);
	assert_true(mbmsd_srtp_initialised());
	assert_int_equal(mbmsd_srtp_rx_contexts(rx), 1);

	/* a real packet of a sender with the same MTK decrypts */
	struct mbmsd_srtp_tx *tx;
	assert_int_equal(mbmsd_srtp_tx_new(&tx), 0);
	assert_int_equal(mbmsd_srtp_tx_set_key(tx, &key), 0);
	uint8_t rtp[MBMS_TRAFFIC_RTP_MAX];
	size_t rlen = rtp_make(1, rtp);
	memcpy(p.b, rtp, rlen);
	len = rlen;
	assert_int_equal(mbmsd_srtp_tx_protect(tx, p.b, &len, sizeof(p.b)), 0);
	assert_int_equal(mbmsd_srtp_rx_unprotect(rx, &key, p.b, &len), 0);
	assert_int_equal(len, rlen);
	assert_memory_equal(p.b, rtp, rlen);
	assert_int_equal(mbmsd_srtp_init(), 0); /* once: a second call is a no-op */

	mbmsd_srtp_tx_free(tx);
	mbmsd_srtp_rx_free(rx);
	mbms_traffic_key_wipe(&key);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_receiver_initialises_at_first_packet),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
