/* mbms-ue: command line. */
#include "ued.h"

#include "mbmssec/crypto.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#ifndef MBMS_VERSION
#define MBMS_VERSION "0.1.0"
#endif

static const char usage_text[] =
	"usage: mbms-ue --config FILE [--once] [--timeout SECONDS] [--trace FILE]\n"
	"       mbms-ue status (--config FILE | --state FILE)\n"
	"       mbms-ue --help | --version\n"
	"\n"
	"The MBMS UE key-management client (TS 33.246): bootstraps with the BSF\n"
	"(software USIM), registers to the configured user services, requests their\n"
	"MSKs with HTTP Digest, receives MSK pushes and solicited pulls over MIKEY,\n"
	"follows MTK messages, runs the missed key update, and leaves a service when\n"
	"no MSK can be had. Runs in the foreground and logs to stderr (docs/ue.md).\n"
	"  --config FILE     INI configuration (examples/ue.ini)\n"
	"  --once            stop when every service holds its MSKs (exit 0) or one\n"
	"                    was left or refused (exit 3)\n"
	"  --timeout S       stop after S seconds (with --once: exit 1)\n"
	"  --trace FILE      append one JSON line per MIKEY message sent or dropped\n"
	"                    and per missed key update or service left (docs/trace.md;\n"
	"                    overrides [ue] trace; never holds keys)\n"
	"  status            print the key store: B-TID, MUK counters, services,\n"
	"                    MSK IDs with validity and counters (never keys)\n"
	"  --state FILE      the key store file (instead of --config's [ue] state)\n"
	"Exit codes: 0 success, 1 failure, 2 usage error, 3 a service was left.\n";

struct opt {
	const char *name;
	bool takes_value;
	const char *value;
};

static int parse_opts(int argc, char **argv, int first, struct opt *o, size_t n)
{
	for (int i = first; i < argc; i++) {
		struct opt *hit = NULL;
		if (strncmp(argv[i], "--", 2) == 0)
			for (size_t k = 0; k < n; k++)
				if (strcmp(argv[i] + 2, o[k].name) == 0)
					hit = &o[k];
		if (!hit) {
			fprintf(stderr, "mbms-ue: unknown argument '%s' (mbms-ue --help)\n", argv[i]);
			return -1;
		}
		if (hit->value) {
			fprintf(stderr, "mbms-ue: --%s given twice\n", hit->name);
			return -1;
		}
		if (!hit->takes_value)
			hit->value = "";
		else if (i + 1 < argc)
			hit->value = argv[++i];
		else {
			fprintf(stderr, "mbms-ue: --%s needs a value\n", hit->name);
			return -1;
		}
	}
	return 0;
}

static int cmd_status(int argc, char **argv)
{
	struct opt o[] = {{"config", true, NULL}, {"state", true, NULL}};
	if (parse_opts(argc, argv, 2, o, 2))
		return UED_EXIT_USAGE;
	if (!o[0].value == !o[1].value) {
		fprintf(stderr, "mbms-ue status: give exactly one of --config or --state\n");
		return UED_EXIT_USAGE;
	}
	if (o[1].value)
		return ued_status(o[1].value, stdout);
	struct ued_config *cfg = calloc(1, sizeof(*cfg));
	char err[600];
	if (!cfg)
		return UED_EXIT_FAIL;
	if (ued_config_load(o[0].value, cfg, err, sizeof(err))) {
		fprintf(stderr, "mbms-ue status: %s\n", err);
		free(cfg);
		return UED_EXIT_FAIL;
	}
	int rc = ued_status(cfg->state, stdout);
	ued_config_wipe(cfg);
	free(cfg);
	return rc;
}

int main(int argc, char **argv)
{
	mbmsd_log_init("mbms-ue");
	if (argc < 2) {
		fputs(usage_text, stderr);
		return UED_EXIT_USAGE;
	}
	if (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0) {
		fputs(usage_text, stdout);
		return UED_EXIT_OK;
	}
	if (strcmp(argv[1], "--version") == 0) {
		printf("mbms-ue %s\n", MBMS_VERSION);
		return UED_EXIT_OK;
	}
	if (strcmp(argv[1], "status") == 0)
		return cmd_status(argc, argv);
	struct opt o[] = {{"config", true, NULL},
			  {"once", false, NULL},
			  {"timeout", true, NULL},
			  {"trace", true, NULL}};
	if (parse_opts(argc, argv, 1, o, 4))
		return UED_EXIT_USAGE;
	if (!o[0].value) {
		fprintf(stderr, "mbms-ue: --config FILE is required (mbms-ue --help)\n");
		return UED_EXIT_USAGE;
	}
	uint64_t timeout = 0;
	if (o[2].value) {
		char *end;
		unsigned long long v = strtoull(o[2].value, &end, 10);
		if (!*o[2].value || *end || v == 0 || v > 86400 * 365) {
			fprintf(stderr, "mbms-ue: --timeout needs a number of seconds\n");
			return UED_EXIT_USAGE;
		}
		timeout = v;
	}
	struct ued_config *cfg = calloc(1, sizeof(*cfg));
	char err[600];
	if (!cfg)
		return UED_EXIT_FAIL;
	if (ued_config_load(o[0].value, cfg, err, sizeof(err))) {
		log_error("%s", err);
		free(cfg);
		return UED_EXIT_FAIL;
	}
	mbmsd_log_set_level(cfg->log_level);
	if (o[3].value && !*o[3].value) {
		fprintf(stderr, "mbms-ue: --trace needs a file name\n");
		ued_config_wipe(cfg);
		free(cfg);
		return UED_EXIT_USAGE;
	}
	if (ued_trace_start(o[0].value, o[3].value, cfg->impi, err, sizeof(err))) {
		log_error("%s", err);
		ued_config_wipe(cfg);
		free(cfg);
		return UED_EXIT_FAIL;
	}
	int rc = ued_run(cfg, o[1].value != NULL, timeout);
	ued_trace_stop();
	ued_config_wipe(cfg);
	free(cfg);
	return rc;
}
