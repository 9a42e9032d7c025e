/* mbmssec ks-naf / prf: the GBA and MIKEY key derivations on the command line. */
#include "cli.h"

#include "mbmssec/crypto.h"
#include "mbmssec/error.h"
#include "mbmssec/kdf.h"

#include <stdio.h>

#define N(a) (sizeof(a) / sizeof((a)[0]))

static const char ks_naf_help[] =
	"usage: mbmssec ks-naf --ks HEX --rand HEX --impi STR --naf-fqdn STR [--ua-id HEX]\n"
	"\n"
	"Prints Ks_NAF = KDF(Ks, \"gba-me\", RAND, IMPI, NAF_ID) (TS 33.220 Annex B) as\n"
	"lower-case hex, with NAF_ID = NAF FQDN || Ua security protocol id.\n"
	"  --ks HEX        Ks = CK || IK, 32 bytes\n"
	"  --rand HEX      the bootstrapping RAND, 16 bytes\n"
	"  --impi STR      the subscriber's IMPI\n"
	"  --naf-fqdn STR  the NAF's FQDN (for MBMS: the BM-SC)\n"
	"  --ua-id HEX     Ua security protocol id, 5 bytes (default 0100000001, MBMS)\n";

int cmd_ks_naf(int argc, char **argv)
{
	const char *cmd = "ks-naf";
	struct cli_opt o[] = {{"ks", true, NULL}, {"rand", true, NULL}, {"impi", true, NULL},
			      {"naf-fqdn", true, NULL}, {"ua-id", true, NULL}};
	bool help;
	if (cli_parse(cmd, argc, argv, o, N(o), NULL, 0, NULL, &help))
		return CLI_EXIT_USAGE;
	if (help) {
		fputs(ks_naf_help, stdout);
		return 0;
	}
	uint8_t ks[MBMS_KS_LEN], rand[16], ua[MBMS_UA_ID_LEN], out[MBMS_KS_NAF_LEN];
	const char *impi, *fqdn;
	if (cli_hex_opt(cmd, o, N(o), "ks", ks, sizeof(ks), 0, NULL) ||
	    cli_hex_opt(cmd, o, N(o), "rand", rand, sizeof(rand), 0, NULL) ||
	    cli_str_opt(cmd, o, N(o), "impi", &impi) ||
	    cli_str_opt(cmd, o, N(o), "naf-fqdn", &fqdn))
		return CLI_EXIT_USAGE;
	if (cli_get(o, N(o), "ua-id")) {
		if (cli_hex_opt(cmd, o, N(o), "ua-id", ua, sizeof(ua), 0, NULL))
			return CLI_EXIT_USAGE;
	} else {
		for (size_t i = 0; i < sizeof(ua); i++)
			ua[i] = mbms_ua_id_mbms[i];
	}
	int rc = mbms_ks_naf(ks, rand, impi, fqdn, ua, out);
	mbms_wipe(ks, sizeof(ks));
	if (rc) {
		fprintf(stderr, "mbmssec ks-naf: %s\n", mbms_strerror(rc));
		return 1;
	}
	cli_print_hex(out, sizeof(out));
	mbms_wipe(out, sizeof(out));
	return 0;
}

static const char prf_help[] =
	"usage: mbmssec prf --inkey HEX --label HEX --len N\n"
	"\n"
	"Prints N bytes of the MIKEY-1 PRF(inkey, label) (RFC 3830 4.1.2) as hex.\n"
	"  --inkey HEX  the input key, any length up to 1024 bytes\n"
	"  --label HEX  the label, up to 1024 bytes\n"
	"  --len N      output length in bytes, 1..4096\n";

int cmd_prf(int argc, char **argv)
{
	const char *cmd = "prf";
	struct cli_opt o[] = {{"inkey", true, NULL}, {"label", true, NULL}, {"len", true, NULL}};
	bool help;
	if (cli_parse(cmd, argc, argv, o, N(o), NULL, 0, NULL, &help))
		return CLI_EXIT_USAGE;
	if (help) {
		fputs(prf_help, stdout);
		return 0;
	}
	uint8_t inkey[1024], label[1024], out[4096];
	size_t inkey_len, label_len;
	uint64_t len;
	if (cli_hex_opt(cmd, o, N(o), "inkey", inkey, 0, sizeof(inkey), &inkey_len) ||
	    cli_hex_opt(cmd, o, N(o), "label", label, 0, sizeof(label), &label_len) ||
	    cli_uint_opt(cmd, o, N(o), "len", sizeof(out), &len))
		return CLI_EXIT_USAGE;
	if (len == 0)
		return cli_usage_error(cmd, "--len: must be at least 1");
	int rc = mbms_mikey_prf(inkey, inkey_len, label, label_len, out, (size_t)len);
	mbms_wipe(inkey, sizeof(inkey));
	if (rc) {
		fprintf(stderr, "mbmssec prf: %s\n", mbms_strerror(rc));
		return 1;
	}
	cli_print_hex(out, (size_t)len);
	mbms_wipe(out, sizeof(out));
	return 0;
}
