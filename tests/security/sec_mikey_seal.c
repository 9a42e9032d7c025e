/* sec_mikey_seal -- a test tool of tests/security/ (docs/security.md): turn
 * a MIKEY message written in "plaintext form" (the KEMAC encr data holds the
 * KEY sub-payload in clear, the MAC is a placeholder) into what a BM-SC
 * holding the key would send: AES-CM-encrypted and MACed (mbms_kemac_seal),
 * or build the verification message that acknowledges a message.
 *
 *   sec_mikey_seal seal --key HEX MSGHEX   -> sealed message, hex
 *   sec_mikey_seal ack  --key HEX MSGHEX   -> verification message, hex
 *
 * The bad-input table uses it to forge messages that are wrong in exactly
 * one way (Key Number 0, a replayed counter, a wrong IDr, an MTK ID out of
 * range) but carry a valid MAC, so that the receiver's rule -- not the MAC
 * check -- is what refuses them. Exit 1 (message on stderr) when the
 * message does not parse as an MBMS MIKEY message. */
#include "mbmssec/error.h"
#include "mbmssec/ids.h"
#include "mbmssec/mbms_msg.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int usage(void)
{
	fputs("usage: sec_mikey_seal seal|ack --key HEX MSGHEX\n", stderr);
	return 2;
}

static void put_hex(const uint8_t *b, size_t n)
{
	for (size_t i = 0; i < n; i++)
		printf("%02x", b[i]);
	printf("\n");
}

int main(int argc, char **argv)
{
	if (argc != 5 || strcmp(argv[2], "--key") != 0)
		return usage();
	bool ack = strcmp(argv[1], "ack") == 0;
	if (!ack && strcmp(argv[1], "seal") != 0)
		return usage();
	uint8_t key[64], msg[4096];
	size_t klen = 0, mlen = 0;
	if (mbms_hex_decode(argv[3], strlen(argv[3]), key, sizeof(key), &klen) != 0 ||
	    mbms_hex_decode(argv[4], strlen(argv[4]), msg, sizeof(msg), &mlen) != 0) {
		fprintf(stderr, "sec_mikey_seal: bad hex\n");
		return 1;
	}
	struct mbms_msg_info info;
	int rc = mbms_msg_parse(msg, mlen, MBMS_MSG_ANY, &info);
	if (rc) {
		fprintf(stderr, "sec_mikey_seal: does not parse: %s\n", mbms_errname(rc));
		return 1;
	}
	if (ack) {
		struct mbms_acked a;
		uint8_t out[MBMS_MSG_MAX_LEN];
		size_t olen = 0;
		rc = mbms_acked_from_info(&info, &a);
		if (rc == 0)
			rc = mbms_verification_build(key, klen, &a, out, sizeof(out), &olen);
		if (rc) {
			fprintf(stderr, "sec_mikey_seal: ack: %s\n", mbms_errname(rc));
			return 1;
		}
		put_hex(out, olen);
		return 0;
	}
	if (!info.encr_data) {
		fprintf(stderr, "sec_mikey_seal: no KEMAC to seal\n");
		return 1;
	}
	rc = mbms_kemac_seal(msg, (size_t)(info.encr_data - msg), info.encr_data_len, info.mac_off,
			     key, klen, info.csb_id, info.rand, info.rand_len, info.ts_counter);
	if (rc) {
		fprintf(stderr, "sec_mikey_seal: seal: %s\n", mbms_errname(rc));
		return 1;
	}
	put_hex(msg, mlen);
	return 0;
}
