/* mbmssec — command-line tool for interop debugging and our own checks.
 * Each subcommand lives in its own file (tools/cmd_*.c). */
#include "cli.h"

#include <stdio.h>
#include <string.h>

#ifndef MBMS_VERSION
#define MBMS_VERSION "0.1.0"
#endif

static const struct cli_command commands[] = {
	{"ks-naf", "derive Ks_NAF (TS 33.220 Annex B, GBA_ME, MBMS Ua id)", cmd_ks_naf},
	{"prf", "MIKEY-1 PRF output (RFC 3830 4.1.2)", cmd_prf},
	{"milenage", "Milenage f1..f5* and OPc (TS 35.206) as JSON", cmd_milenage},
	{"mikey", "build, parse and verify MIKEY MBMS messages", cmd_mikey},
	{"gba", "GBA bootstrap over Ub as a UE, Ks_NAF over Zn as a NAF", cmd_gba},
	{"trace", "merge daemon traces (--trace FILE); text or SVG sequence diagram", cmd_trace},
};

static void usage(FILE *f)
{
	fprintf(f, "usage: mbmssec <command> [options]   (mbmssec <command> --help for details)\n\n"
		   "commands:\n");
	for (size_t i = 0; i < sizeof(commands) / sizeof(commands[0]); i++)
		fprintf(f, "  %-10s %s\n", commands[i].name, commands[i].summary);
	fprintf(f, "\nSecrets given on the command line are visible to other local users in\n"
		   "the process list: use this tool on test keys and lab machines.\n");
}

int main(int argc, char **argv)
{
	if (argc < 2) {
		usage(stderr);
		return CLI_EXIT_USAGE;
	}
	if (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0 ||
	    strcmp(argv[1], "help") == 0) {
		usage(stdout);
		return 0;
	}
	if (strcmp(argv[1], "--version") == 0) {
		printf("mbmssec %s\n", MBMS_VERSION);
		return 0;
	}
	for (size_t i = 0; i < sizeof(commands) / sizeof(commands[0]); i++)
		if (strcmp(argv[1], commands[i].name) == 0)
			return commands[i].run(argc - 1, argv + 1);
	fprintf(stderr, "mbmssec: unknown command '%s' (mbmssec --help lists them)\n", argv[1]);
	return CLI_EXIT_USAGE;
}
