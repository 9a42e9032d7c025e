/* libFuzzer target for the UE's whole UDP receive path: MIKEY decode,
 * verification and the state machine (lib/ue_rx.c, lib/ue*.c,
 * lib/mbms_msg.c, lib/mbms_rules.c) -- datagrams fed into an mbms_ue
 * object in a known state (fuzz_ue_env.h: MUK, one MSK, service active).
 *
 * Input: a sequence of records  flags(1) | len(2, big-endian) | datagram
 * (the last record takes what is left when len runs past the end).
 *   flags bit 0  port: 0 MIKEY (MSK messages, triggers), 1 MTK
 *         bit 1  reseal: encrypt the KEMAC encr bytes (the input holds the
 *                plaintext) and recompute the MAC with the MUK / the MSK,
 *                so the fuzzer reaches decryption, the KEY rules, the
 *                replay, order and MTK ID rules and the procedures
 *         bit 2  deliver the same datagram a second time
 *         bits 4-6 seconds to advance (and tick) before the datagram
 * Invariants (abort on a break):
 *   * a refused datagram changes nothing: same MSKs, counters, MTK IDs;
 *   * an accepted datagram delivered again is refused (no replay);
 *   * no key in any event text (fuzz_ue_env.h);
 *   * once a datagram was accepted, the key store text survives a save /
 *     load / save round trip. */
#include "fuzz_ue_env.h"

#include "mbmssec/mbms_msg.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const uint8_t MUK[32] = {0xfc, 0x45, 0xad, 0x6b, 0x19, 0x93, 0x81, 0x34, 0x9c, 0xce, 0xf2,
				0x59, 0xd5, 0xa1, 0xad, 0xc9, 0x77, 0xc1, 0x20, 0x92, 0x6d, 0x9a,
				0x38, 0x78, 0xfc, 0xea, 0xdf, 0xc0, 0x2c, 0x03, 0x8f, 0x94};
static const uint8_t MSK[16] = {0x4b, 0x1b, 0xf3, 0x9f, 0x7e, 0x9c, 0x2f, 0xe5,
				0x39, 0x7c, 0x6a, 0xe9, 0xaa, 0x0e, 0xf2, 0x98};

/* Encrypt and MAC in place as the BM-SC would, when the bytes parse as an
 * MBMS message with a KEMAC. */
static void reseal(uint8_t *msg, size_t len)
{
	struct mbms_msg_info info;
	if (mbms_msg_parse(msg, len, MBMS_MSG_ANY, &info) != 0 || !info.encr_data ||
	    info.kind == MBMS_MSG_VERIFICATION)
		return;
	bool mtk = info.kind == MBMS_MSG_MTK;
	size_t encr_off = (size_t)(info.encr_data - msg);
	FZ_CHECK(mbms_kemac_seal(msg, encr_off, info.encr_data_len, info.mac_off,
				 mtk ? MSK : MUK, mtk ? sizeof(MSK) : sizeof(MUK), info.csb_id,
				 info.rand, info.rand_len, info.ts_counter) == 0);
}

static int deliver(struct mbms_ue *ue, enum mbms_ue_port port, const uint8_t *msg, size_t len,
		   uint64_t now)
{
	static const struct mbms_ue_addr src = {9, "bmsc:4359"};
	struct fz_snapshot before, after;
	fz_snapshot(ue, &before);
	int rc = mbms_ue_udp_rx(ue, port, msg, len, &src, now);
	fz_drain(ue, NULL);
	fz_snapshot(ue, &after);
	if (rc != 0)
		FZ_CHECK(fz_same(&before, &after));
	return rc;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static uint8_t buf[4096];
	struct mbms_ue *ue = fz_ue_new(NULL);
	uint64_t now = FZ_T0;
	size_t off = 0;
	bool accepted = false;
	for (int rec = 0; off < size && rec < 16; rec++) {
		uint8_t flags = data[off++];
		size_t len = size - off;
		if (size - off >= 2) {
			size_t want = (size_t)data[off] << 8 | data[off + 1];
			off += 2;
			len = want <= size - off ? want : size - off;
		} else {
			len = size - off;
		}
		if (len > sizeof(buf))
			len = sizeof(buf);
		memcpy(buf, data + off, len);
		off += len;
		unsigned secs = (flags >> 4) & 7;
		if (secs) {
			now += secs * 1000u;
			mbms_ue_tick(ue, now);
			fz_drain(ue, NULL);
		}
		if (flags & 2)
			reseal(buf, len);
		enum mbms_ue_port port = (flags & 1) ? MBMS_UE_PORT_MTK : MBMS_UE_PORT_MIKEY;
		int rc = deliver(ue, port, buf, len, now);
		accepted |= rc == 0;
		if (flags & 4) {
			int rc2 = deliver(ue, port, buf, len, now);
			if (rc == 0)
				FZ_CHECK(rc2 != 0); /* a replay was accepted */
		}
	}
	if (accepted) /* the state changed: it must still save and load */
		fz_state_round_trip(ue);
	mbms_ue_free(ue);
	return 0;
}
