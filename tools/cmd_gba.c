/* mbmssec gba bootstrap / zn: the UE side of Ub and the NAF side of the
 * project's Zn over HTTP, for debugging and for the integration tests.
 * Protocol logic is the library's (lib/gba_client.c); HTTP is common/'s. */
#include "cli.h"

#include "http_ca.h"
#include "ub_http.h"
#include "zn_http.h"

#include "mbmssec/crypto.h"
#include "mbmssec/error.h"
#include "mbmssec/gba.h"
#include "mbmssec/ids.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define N(a) (sizeof(a) / sizeof((a)[0]))

static const char gba_help[] =
	"usage: mbmssec gba bootstrap --bsf URL --impi STR --k HEX --opc HEX [--naf-fqdn STR]\n"
	"                             [--sqn-state FILE] [--bsf-host STR] [--cacert FILE]\n"
	"       mbmssec gba zn --zn URL --naf-fqdn STR --secret STR --btid STR [--ua-id HEX]\n"
	"                      [--cacert FILE]\n"
	"\n"
	"bootstrap: run GBA (HTTP Digest AKA, TS 24.109) against a BSF as a UE with a\n"
	"software USIM, print the B-TID and its lifetime, and with --naf-fqdn the\n"
	"Ks_NAF for that NAF (MBMS Ua id) - a debugging tool: it prints a key.\n"
	"  --bsf URL          the BSF, http://host:port or https://host:port\n"
	"  --impi STR         the subscriber's IMPI\n"
	"  --k HEX, --opc HEX the USIM's K and OPc, 16 bytes each\n"
	"  --sqn-state FILE   the USIM's SQN array, read before and written after\n"
	"                     (missing file: a fresh USIM)\n"
	"  --bsf-host STR     realm of the first request (default: the URL's host)\n"
	"  --cacert FILE      HTTPS: trust the CA certificates in this PEM file instead\n"
	"                     of the system store (the certificate is always checked)\n"
	"zn: ask the BSF's Zn interface for Ks_NAF as a NAF (project-specific HTTP Zn)\n"
	"  --zn URL           the BSF's Zn listener, http://host:port or https://host:port\n"
	"  --naf-fqdn STR     this NAF's FQDN (HTTP Basic user and NAF_ID)\n"
	"  --secret STR       this NAF's shared secret with the BSF\n"
	"  --btid STR         the B-TID the UE presented\n"
	"  --ua-id HEX        Ua security protocol id, 5 bytes (default 0100000001, MBMS)\n"
	"  --cacert FILE      as for bootstrap\n";

static int read_sqn_state(const char *path, struct mbms_sqn_ms *st)
{
	memset(st, 0, sizeof(*st));
	FILE *f = fopen(path, "r");
	if (!f)
		return errno == ENOENT ? 0 : -1;
	char buf[MBMS_SQN_STATE_TEXT_MAX + 2];
	size_t n = fread(buf, 1, sizeof(buf), f);
	int bad = ferror(f) || n > MBMS_SQN_STATE_TEXT_MAX;
	fclose(f);
	if (bad || mbms_sqn_state_parse(buf, n, st) != 0)
		return -2;
	return 0;
}

/* Write via a temporary file and rename, mode 0600. */
static int write_sqn_state(const char *path, const struct mbms_sqn_ms *st)
{
	char text[MBMS_SQN_STATE_TEXT_MAX], tmp[4096];
	if (mbms_sqn_state_format(st, text, sizeof(text)) != 0)
		return -1;
	if (snprintf(tmp, sizeof(tmp), "%s.tmp", path) >= (int)sizeof(tmp))
		return -1;
	int fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	if (fd < 0)
		return -1;
	size_t len = strlen(text);
	ssize_t w = write(fd, text, len);
	if (w != (ssize_t)len || fsync(fd) != 0) {
		close(fd);
		unlink(tmp);
		return -1;
	}
	close(fd);
	return rename(tmp, path);
}

/* The host part of http(s)://host[:port][/...] */
static int url_host(const char *url, char *out, size_t cap)
{
	const char *p = strstr(url, "://");
	if (!p)
		return -1;
	p += 3;
	const char *end;
	if (*p == '[') {
		p++;
		end = strchr(p, ']');
	} else {
		end = p + strcspn(p, ":/");
	}
	if (!end || end == p || (size_t)(end - p) >= cap)
		return -1;
	memcpy(out, p, (size_t)(end - p));
	out[end - p] = '\0';
	return 0;
}

/* --cacert: checked before any request, so that a wrong path is named as
 * such and not reported later as an untrusted certificate. */
static int use_cacert(const char *cmd, const char *path)
{
	char err[MBMSD_CA_FILE_MAX + 128] = "";
	if (!path)
		return 0;
	if (mbmsd_ca_file_check(path, err, sizeof(err)) || mbmsd_http_set_ca_file(path)) {
		fprintf(stderr, "mbmssec %s: --cacert: %s\n", cmd, err);
		return -1;
	}
	return 0;
}

static void print_lifetime(uint64_t t)
{
	char when[MBMS_XS_DATETIME_LEN + 1];
	if (mbms_xs_datetime_format(t, when) == 0)
		printf("lifetime: %s\n", when);
}

static int gba_bootstrap(int argc, char **argv)
{
	const char *cmd = "gba bootstrap";
	struct cli_opt o[] = {{"bsf", true, NULL},      {"impi", true, NULL},
			      {"k", true, NULL},        {"opc", true, NULL},
			      {"naf-fqdn", true, NULL}, {"sqn-state", true, NULL},
			      {"bsf-host", true, NULL}, {"cacert", true, NULL}};
	bool help;
	if (cli_parse(cmd, argc, argv, o, N(o), NULL, 0, NULL, &help))
		return CLI_EXIT_USAGE;
	if (help) {
		fputs(gba_help, stdout);
		return 0;
	}
	const char *bsf, *impi;
	uint8_t k[16], opc[16];
	if (cli_str_opt(cmd, o, N(o), "bsf", &bsf) || cli_str_opt(cmd, o, N(o), "impi", &impi) ||
	    cli_hex_opt(cmd, o, N(o), "k", k, sizeof(k), 0, NULL) ||
	    cli_hex_opt(cmd, o, N(o), "opc", opc, sizeof(opc), 0, NULL))
		return CLI_EXIT_USAGE;
	const char *naf = cli_get(o, N(o), "naf-fqdn"), *state_path = cli_get(o, N(o), "sqn-state");
	if (use_cacert(cmd, cli_get(o, N(o), "cacert"))) {
		mbms_wipe(k, sizeof(k));
		mbms_wipe(opc, sizeof(opc));
		return 1;
	}
	char host[MBMS_GBA_HOST_MAX];
	const char *host_opt = cli_get(o, N(o), "bsf-host");
	if (host_opt) {
		snprintf(host, sizeof(host), "%s", host_opt);
	} else if (url_host(bsf, host, sizeof(host))) {
		mbms_wipe(k, sizeof(k));
		return cli_usage_error(cmd, "--bsf: expected http://host:port, got '%s'", bsf);
	}
	struct mbms_sqn_ms sqn_ms;
	memset(&sqn_ms, 0, sizeof(sqn_ms));
	if (state_path) {
		int rc = read_sqn_state(state_path, &sqn_ms);
		if (rc) {
			fprintf(stderr, "mbmssec %s: %s: %s\n", cmd, state_path,
				rc == -2 ? "not an SQN state file" : strerror(errno));
			mbms_wipe(k, sizeof(k));
			mbms_wipe(opc, sizeof(opc));
			return 1;
		}
	}
	struct mbms_gba_client c;
	int rc = mbms_gba_client_init(&c, impi, k, opc, host, &sqn_ms);
	mbms_wipe(k, sizeof(k));
	mbms_wipe(opc, sizeof(opc));
	if (rc) {
		mbms_gba_client_wipe(&c);
		return cli_usage_error(cmd, "bad --impi or BSF host");
	}
	struct mbmsd_ub_outcome out;
	rc = mbmsd_ub_bootstrap(bsf, &c, &out);
	int ret = 0;
	/* The USIM's SQN array changes whenever it accepts an AUTN, even when the
	 * run fails later: keep it in every case. */
	if (state_path && write_sqn_state(state_path, &c.sqn_ms) != 0) {
		fprintf(stderr, "mbmssec %s: cannot write %s: %s\n", cmd, state_path,
			strerror(errno));
		ret = 1;
	}
	if (out.resynced)
		fprintf(stderr, "mbmssec %s: SQN resynchronised (AUTS sent)\n", cmd);
	if (rc) {
		fprintf(stderr, "mbmssec %s: %s (%s)\n", cmd, out.error, mbms_errname(rc));
		mbms_gba_client_wipe(&c);
		return 1;
	}
	printf("btid: %s\n", c.btid);
	print_lifetime(c.expires_at);
	if (naf) {
		uint8_t ks_naf[MBMS_KS_NAF_LEN];
		time_t now = time(NULL);
		rc = mbms_gba_client_ks_naf(&c, naf, now < 0 ? 0 : (uint64_t)now, ks_naf);
		if (rc) {
			fprintf(stderr, "mbmssec %s: Ks_NAF: %s\n", cmd, mbms_strerror(rc));
			ret = 1;
		} else {
			printf("ks_naf: ");
			cli_print_hex(ks_naf, sizeof(ks_naf));
		}
		mbms_wipe(ks_naf, sizeof(ks_naf));
	}
	mbms_gba_client_wipe(&c);
	return ret;
}

static int gba_zn(int argc, char **argv)
{
	const char *cmd = "gba zn";
	struct cli_opt o[] = {{"zn", true, NULL},   {"naf-fqdn", true, NULL},
			      {"secret", true, NULL}, {"btid", true, NULL},
			      {"ua-id", true, NULL}, {"cacert", true, NULL}};
	bool help;
	if (cli_parse(cmd, argc, argv, o, N(o), NULL, 0, NULL, &help))
		return CLI_EXIT_USAGE;
	if (help) {
		fputs(gba_help, stdout);
		return 0;
	}
	const char *zn, *naf, *secret, *btid;
	uint8_t ua[MBMS_UA_ID_LEN];
	if (cli_str_opt(cmd, o, N(o), "zn", &zn) || cli_str_opt(cmd, o, N(o), "naf-fqdn", &naf) ||
	    cli_str_opt(cmd, o, N(o), "btid", &btid))
		return CLI_EXIT_USAGE;
	secret = cli_get(o, N(o), "secret");
	if (!secret)
		return cli_usage_error(cmd, "missing option --secret");
	if (cli_get(o, N(o), "ua-id")) {
		if (cli_hex_opt(cmd, o, N(o), "ua-id", ua, sizeof(ua), 0, NULL))
			return CLI_EXIT_USAGE;
	} else {
		memcpy(ua, mbms_ua_id_mbms, sizeof(ua));
	}
	if (use_cacert(cmd, cli_get(o, N(o), "cacert")))
		return 1;
	struct mbms_zn_response r;
	long status = 0;
	char err[256] = "";
	int rc = mbmsd_zn_fetch(zn, naf, secret, btid, ua, &r, &status, err, sizeof(err));
	if (rc) {
		fprintf(stderr, "mbmssec %s: %s (%s)\n", cmd, err, mbms_errname(rc));
		return 1;
	}
	printf("impi: %s\n", r.impi);
	print_lifetime(r.expires_at);
	printf("ks_naf: ");
	cli_print_hex(r.ks_naf, sizeof(r.ks_naf));
	mbms_wipe(&r, sizeof(r));
	return 0;
}

int cmd_gba(int argc, char **argv)
{
	if (argc >= 2 && strcmp(argv[1], "bootstrap") == 0)
		return gba_bootstrap(argc - 1, argv + 1);
	if (argc >= 2 && strcmp(argv[1], "zn") == 0)
		return gba_zn(argc - 1, argv + 1);
	if (argc >= 2 && (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0)) {
		fputs(gba_help, stdout);
		return 0;
	}
	fputs(gba_help, stderr);
	return CLI_EXIT_USAGE;
}
