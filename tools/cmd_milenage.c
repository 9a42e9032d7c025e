/* mbmssec milenage: OPc and f1..f5* (TS 35.206) for one input, as JSON. */
#include "cli.h"

#include "mbmssec/crypto.h"
#include "mbmssec/error.h"
#include "mbmssec/milenage.h"

#include <stdio.h>

#define N(a) (sizeof(a) / sizeof((a)[0]))

static const char milenage_help[] =
	"usage: mbmssec milenage --k HEX (--op HEX | --opc HEX) --rand HEX --sqn HEX --amf HEX\n"
	"\n"
	"Prints one JSON object with the Milenage outputs (TS 35.206) as lower-case\n"
	"hex: opc, mac_a (f1), mac_s (f1*), res (f2), ck (f3), ik (f4), ak (f5),\n"
	"ak_star (f5*). mac_s is computed over the given AMF (for an AUTS, TS 33.102\n"
	"6.3.3 wants AMF 0000).\n"
	"  --k HEX     subscriber key K, 16 bytes\n"
	"  --op HEX    operator variant OP, 16 bytes (OPc = OP xor E_K(OP))\n"
	"  --opc HEX   OPc itself, 16 bytes (give --op or --opc, not both)\n"
	"  --rand HEX  RAND, 16 bytes\n"
	"  --sqn HEX   SQN, 6 bytes\n"
	"  --amf HEX   AMF, 2 bytes\n";

static void print_field(const char *name, const uint8_t *buf, size_t len, int last)
{
	printf("\"%s\":\"", name);
	for (size_t i = 0; i < len; i++)
		printf("%02x", buf[i]);
	printf("\"%s", last ? "}\n" : ",");
}

int cmd_milenage(int argc, char **argv)
{
	const char *cmd = "milenage";
	struct cli_opt o[] = {{"k", true, NULL},    {"op", true, NULL},  {"opc", true, NULL},
			      {"rand", true, NULL}, {"sqn", true, NULL}, {"amf", true, NULL}};
	bool help;
	if (cli_parse(cmd, argc, argv, o, N(o), NULL, 0, NULL, &help))
		return CLI_EXIT_USAGE;
	if (help) {
		fputs(milenage_help, stdout);
		return 0;
	}
	const char *op_arg = cli_get(o, N(o), "op"), *opc_arg = cli_get(o, N(o), "opc");
	if (op_arg && opc_arg)
		return cli_usage_error(cmd, "--op and --opc: give one of them, not both");
	if (!op_arg && !opc_arg)
		return cli_usage_error(cmd, "missing option --op or --opc");

	uint8_t k[16], op[16], opc[16], rand[16], sqn[6], amf[2];
	uint8_t mac_a[8], mac_s[8], res[8], ck[16], ik[16], ak[6], ak_star[6];
	int rc = CLI_EXIT_USAGE;
	if (cli_hex_opt(cmd, o, N(o), "k", k, sizeof(k), 0, NULL) ||
	    (op_arg ? cli_hex_opt(cmd, o, N(o), "op", op, sizeof(op), 0, NULL)
		    : cli_hex_opt(cmd, o, N(o), "opc", opc, sizeof(opc), 0, NULL)) ||
	    cli_hex_opt(cmd, o, N(o), "rand", rand, sizeof(rand), 0, NULL) ||
	    cli_hex_opt(cmd, o, N(o), "sqn", sqn, sizeof(sqn), 0, NULL) ||
	    cli_hex_opt(cmd, o, N(o), "amf", amf, sizeof(amf), 0, NULL))
		goto out;

	int err = op_arg ? mbms_milenage_opc(k, op, opc) : 0;
	if (!err)
		err = mbms_milenage_f1(k, opc, rand, sqn, amf, mac_a, mac_s);
	if (!err)
		err = mbms_milenage_f2345(k, opc, rand, res, ck, ik, ak, ak_star);
	if (err) {
		fprintf(stderr, "mbmssec milenage: %s\n", mbms_strerror(err));
		rc = 1;
		goto out;
	}
	putchar('{');
	print_field("opc", opc, sizeof(opc), 0);
	print_field("mac_a", mac_a, sizeof(mac_a), 0);
	print_field("mac_s", mac_s, sizeof(mac_s), 0);
	print_field("res", res, sizeof(res), 0);
	print_field("ck", ck, sizeof(ck), 0);
	print_field("ik", ik, sizeof(ik), 0);
	print_field("ak", ak, sizeof(ak), 0);
	print_field("ak_star", ak_star, sizeof(ak_star), 1);
	rc = fflush(stdout) == 0 ? 0 : 1;
out:
	mbms_wipe(k, sizeof(k));
	mbms_wipe(op, sizeof(op));
	mbms_wipe(opc, sizeof(opc));
	mbms_wipe(res, sizeof(res));
	mbms_wipe(ck, sizeof(ck));
	mbms_wipe(ik, sizeof(ik));
	mbms_wipe(ak, sizeof(ak));
	mbms_wipe(ak_star, sizeof(ak_star));
	return rc;
}
