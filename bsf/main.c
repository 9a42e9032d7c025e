/* bsfd: command line, subscriber provisioning and the run loop. */
#include "bsf.h"

#include "config.h"
#include "httpd.h"
#include "trace.h"

#include "mbmssec/crypto.h"
#include "mbmssec/error.h"
#include "mbmssec/ids.h"
#include "mbmssec/milenage.h"

#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#ifndef MBMS_VERSION
#define MBMS_VERSION "0.1.0"
#endif

#define EXIT_USAGE 2

static const char usage_text[] =
	"usage: bsfd --config FILE [--trace FILE] [--debug-keys]\n"
	"       bsfd subscriber add --impi IMPI --k HEX (--op HEX | --opc HEX) [--amf HEX]\n"
	"                           [--sqn HEX] (--config FILE | --db FILE)\n"
	"       bsfd subscriber list [--show-secrets] (--config FILE | --db FILE)\n"
	"       bsfd subscriber del --impi IMPI (--config FILE | --db FILE)\n"
	"       bsfd --help | --version\n"
	"\n"
	"The GBA bootstrapping server: Ub (HTTP Digest AKA, TS 24.109) and the\n"
	"project's HTTP Zn for NAFs (docs/bsf.md).\n"
	"  --config FILE    INI configuration (examples/bsf.ini; tls_cert and tls_key\n"
	"                   switch both listeners to HTTPS; admin_listen = IP:PORT\n"
	"                   adds GET /metrics and GET /status, docs/operations.md)\n"
	"  --trace FILE     append one JSON line per Ub and Zn message (docs/trace.md;\n"
	"                   overrides the config's trace key; never holds keys)\n"
	"  --debug-keys     log Ks and Ks_NAF in hex (lab use only)\n"
	"  --k HEX          subscriber key K, 16 bytes\n"
	"  --op / --opc HEX operator variant OP (OPc is computed) or OPc, 16 bytes\n"
	"  --amf HEX        AMF, 2 bytes (default 0000)\n"
	"  --sqn HEX        last SQN used by the network, up to 6 bytes (default 0)\n"
	"  --show-secrets   also print K and OPc\n";

uint64_t bsf_now(void)
{
	time_t t = time(NULL);
	return t < 0 ? 0 : (uint64_t)t;
}

/* ---- a small "--name value" parser ---- */
struct opt {
	const char *name;
	bool takes_value;
	const char *value;
};

static int parse_opts(int argc, char **argv, int first, struct opt *o, size_t n)
{
	for (int i = first; i < argc; i++) {
		const char *a = argv[i];
		struct opt *hit = NULL;
		if (strncmp(a, "--", 2) == 0)
			for (size_t k = 0; k < n; k++)
				if (strcmp(a + 2, o[k].name) == 0)
					hit = &o[k];
		if (!hit) {
			fprintf(stderr, "bsfd: unknown argument '%s' (bsfd --help)\n", a);
			return -1;
		}
		if (hit->value) {
			fprintf(stderr, "bsfd: --%s given twice\n", hit->name);
			return -1;
		}
		if (!hit->takes_value) {
			hit->value = "";
		} else if (i + 1 < argc) {
			hit->value = argv[++i];
		} else {
			fprintf(stderr, "bsfd: --%s needs a value\n", hit->name);
			return -1;
		}
	}
	return 0;
}

static const char *get(const struct opt *o, size_t n, const char *name)
{
	for (size_t k = 0; k < n; k++)
		if (strcmp(o[k].name, name) == 0)
			return o[k].value;
	return NULL;
}

static int hex_exact(const char *name, const char *v, uint8_t *out, size_t len)
{
	size_t got = 0;
	if (!v || strlen(v) != 2 * len || mbms_hex_decode(v, strlen(v), out, len, &got) || got != len) {
		fprintf(stderr, "bsfd: --%s must be %zu bytes of hex\n", name, len);
		return -1;
	}
	return 0;
}

/* The database named by --db, or by --config's db key. */
static int open_store_from(const char *config, const char *db, struct bsf_store **st)
{
	char err[512];
	char path[4096];
	if ((config && db) || (!config && !db)) {
		fprintf(stderr, "bsfd: give exactly one of --config or --db\n");
		return EXIT_USAGE;
	}
	if (config) {
		struct bsf_config cfg;
		if (bsf_config_load(config, &cfg, err, sizeof(err))) {
			fprintf(stderr, "bsfd: %s\n", err);
			return 1;
		}
		snprintf(path, sizeof(path), "%s", cfg.db);
		bsf_config_free(&cfg);
	} else {
		snprintf(path, sizeof(path), "%s", db);
	}
	if (bsf_store_open(path, st, err, sizeof(err))) {
		fprintf(stderr, "bsfd: %s\n", err);
		return 1;
	}
	return 0;
}

static int sub_add(int argc, char **argv)
{
	struct opt o[] = {{"impi", true, NULL}, {"k", true, NULL},   {"op", true, NULL},
			  {"opc", true, NULL},  {"amf", true, NULL}, {"sqn", true, NULL},
			  {"config", true, NULL}, {"db", true, NULL}};
	const size_t n = sizeof(o) / sizeof(o[0]);
	if (parse_opts(argc, argv, 3, o, n))
		return EXIT_USAGE;
	struct mbms_gba_subscriber sub;
	memset(&sub, 0, sizeof(sub));
	const char *impi = get(o, n, "impi"), *op = get(o, n, "op"), *opc = get(o, n, "opc");
	const char *amf = get(o, n, "amf"), *sqn = get(o, n, "sqn");
	int ret = EXIT_USAGE;
	if (!impi || !*impi || strlen(impi) >= sizeof(sub.impi) || strchr(impi, '"') ||
	    strchr(impi, '\\')) {
		fprintf(stderr, "bsfd: --impi is required (1..255 characters, no quotes)\n");
		goto out;
	}
	snprintf(sub.impi, sizeof(sub.impi), "%s", impi);
	if (hex_exact("k", get(o, n, "k"), sub.k, 16))
		goto out;
	if (!!op == !!opc) {
		fprintf(stderr, "bsfd: give exactly one of --op or --opc\n");
		goto out;
	}
	if (opc && hex_exact("opc", opc, sub.opc, 16))
		goto out;
	if (op) {
		uint8_t op_b[16];
		if (hex_exact("op", op, op_b, 16))
			goto out;
		int rc = mbms_milenage_opc(sub.k, op_b, sub.opc);
		mbms_wipe(op_b, sizeof(op_b));
		if (rc) {
			fprintf(stderr, "bsfd: OPc: %s\n", mbms_strerror(rc));
			ret = 1;
			goto out;
		}
	}
	if (amf && hex_exact("amf", amf, sub.amf, 2))
		goto out;
	if (sqn) {
		uint8_t b[6] = {0};
		size_t len = strlen(sqn), got = 0;
		char padded[13] = "000000000000";
		if (len == 0 || len > 12) {
			fprintf(stderr, "bsfd: --sqn must be 1..12 hex digits\n");
			goto out;
		}
		memcpy(padded + 12 - len, sqn, len);
		if (mbms_hex_decode(padded, 12, b, 6, &got)) {
			fprintf(stderr, "bsfd: --sqn must be 1..12 hex digits\n");
			goto out;
		}
		sub.sqn = mbms_sqn_from_bytes(b);
	}
	struct bsf_store *st;
	ret = open_store_from(get(o, n, "config"), get(o, n, "db"), &st);
	if (ret)
		goto out;
	int rc = bsf_store_sub_add(st, &sub);
	bsf_store_close(st);
	if (rc == MBMS_ESTATE) {
		fprintf(stderr, "bsfd: subscriber %s exists already (del it first)\n", sub.impi);
		ret = 1;
	} else if (rc) {
		fprintf(stderr, "bsfd: cannot add %s: %s\n", sub.impi, mbms_strerror(rc));
		ret = 1;
	} else {
		printf("added %s\n", sub.impi);
		ret = 0;
	}
out:
	mbms_wipe(&sub, sizeof(sub));
	return ret;
}

static void print_sub(void *user, const struct mbms_gba_subscriber *sub)
{
	bool secrets = *(const bool *)user;
	char amf[5], k[33], opc[33];
	uint8_t sqn[6];
	char sqn_hex[13];
	mbms_hex_encode(sub->amf, 2, amf, sizeof(amf));
	mbms_sqn_to_bytes(sub->sqn, sqn);
	mbms_hex_encode(sqn, 6, sqn_hex, sizeof(sqn_hex));
	printf("impi=%s amf=%s sqn=%s", sub->impi, amf, sqn_hex);
	if (secrets) {
		mbms_hex_encode(sub->k, 16, k, sizeof(k));
		mbms_hex_encode(sub->opc, 16, opc, sizeof(opc));
		printf(" k=%s opc=%s", k, opc);
		mbms_wipe(k, sizeof(k));
		mbms_wipe(opc, sizeof(opc));
	}
	putchar('\n');
}

static int sub_list(int argc, char **argv)
{
	struct opt o[] = {{"show-secrets", false, NULL}, {"config", true, NULL}, {"db", true, NULL}};
	const size_t n = sizeof(o) / sizeof(o[0]);
	if (parse_opts(argc, argv, 3, o, n))
		return EXIT_USAGE;
	bool secrets = get(o, n, "show-secrets") != NULL;
	struct bsf_store *st;
	int ret = open_store_from(get(o, n, "config"), get(o, n, "db"), &st);
	if (ret)
		return ret;
	int rc = bsf_store_sub_list(st, print_sub, &secrets);
	bsf_store_close(st);
	if (rc) {
		fprintf(stderr, "bsfd: list: %s\n", mbms_strerror(rc));
		return 1;
	}
	return 0;
}

static int sub_del(int argc, char **argv)
{
	struct opt o[] = {{"impi", true, NULL}, {"config", true, NULL}, {"db", true, NULL}};
	const size_t n = sizeof(o) / sizeof(o[0]);
	if (parse_opts(argc, argv, 3, o, n))
		return EXIT_USAGE;
	const char *impi = get(o, n, "impi");
	if (!impi || !*impi) {
		fprintf(stderr, "bsfd: --impi is required\n");
		return EXIT_USAGE;
	}
	struct bsf_store *st;
	int ret = open_store_from(get(o, n, "config"), get(o, n, "db"), &st);
	if (ret)
		return ret;
	int rc = bsf_store_sub_del(st, impi);
	bsf_store_close(st);
	if (rc == MBMS_ENOTFOUND) {
		fprintf(stderr, "bsfd: no subscriber %s\n", impi);
		return 1;
	}
	if (rc) {
		fprintf(stderr, "bsfd: del: %s\n", mbms_strerror(rc));
		return 1;
	}
	printf("deleted %s\n", impi);
	return 0;
}

/* ---- the daemon ---- */
static int run(const char *config_path, const char *trace_path, bool debug_keys)
{
	char err[512];
	struct bsf_config cfg;
	umask(077); /* the database, its WAL and anything else we create: owner only */
	if (bsf_config_load(config_path, &cfg, err, sizeof(err))) {
		log_error("%s", err);
		return 1;
	}
	mbmsd_log_set_level(cfg.log_level);
	if (debug_keys) {
		mbmsd_log_set_key_debug(true);
		mbmsd_log_set_level(MBMSD_LOG_DEBUG);
		log_warn("--debug-keys: Ks and Ks_NAF will be logged in clear");
	}
	if (mbms_crypto_init() != 0) {
		log_error("crypto backend unavailable");
		bsf_config_free(&cfg);
		return 1;
	}
	/* tls_cert / tls_key: HTTPS on both listeners (docs/operations.md) */
	struct mbmsd_tls tls;
	bool use_tls = false;
	if (mbmsd_tls_from_config(config_path, "bsf", &tls, &use_tls, err, sizeof(err))) {
		log_error("%s", err);
		bsf_config_free(&cfg);
		return 1;
	}
	/* --trace FILE, else the config's trace key, else no trace */
	char trace_cfg[4096];
	if (mbmsd_trace_config_path(config_path, "bsf", trace_cfg, sizeof(trace_cfg), err,
				    sizeof(err)) ||
	    ((trace_path || *trace_cfg) &&
	     mbmsd_trace_open(trace_path ? trace_path : trace_cfg, err, sizeof(err)))) {
		log_error("%s", err);
		mbmsd_tls_free(&tls);
		bsf_config_free(&cfg);
		return 1;
	}
	struct bsf_ctx ctx = {.cfg = &cfg};
	if (bsf_store_open(cfg.db, &ctx.store, err, sizeof(err))) {
		log_error("%s", err);
		mbmsd_trace_close();
		mbmsd_tls_free(&tls);
		bsf_config_free(&cfg);
		return 1;
	}
	/* Signals go to the main thread only: block them before the HTTP threads
	 * start (they inherit the mask), wait for them below. */
	sigset_t sigs;
	sigemptyset(&sigs);
	sigaddset(&sigs, SIGINT);
	sigaddset(&sigs, SIGTERM);
	sigaddset(&sigs, SIGHUP);
	pthread_sigmask(SIG_BLOCK, &sigs, NULL);
	signal(SIGPIPE, SIG_IGN);

	int ret = 1;
	unsigned purged_b = 0, purged_p = 0;
	bsf_store_purge(ctx.store, bsf_now(), &purged_b, &purged_p);
	bsf_metrics_start(bsf_now());
	const struct mbmsd_tls *ltls = use_tls ? &tls : NULL;
	struct mbmsd_httpd *ub = mbmsd_httpd_start_tls(cfg.ub_host, cfg.ub_port, MBMS_GBA_BODY_MAX,
						       ltls, bsf_ub_handle, &ctx, err, sizeof(err));
	struct mbmsd_httpd *zn = NULL, *admin = NULL;
	if (!ub) {
		log_error("Ub: %s", err);
		goto out;
	}
	zn = mbmsd_httpd_start_tls(cfg.zn_host, cfg.zn_port, MBMS_GBA_BODY_MAX, ltls,
				   bsf_zn_handle, &ctx, err, sizeof(err));
	if (!zn) {
		log_error("Zn: %s", err);
		goto out;
	}
	/* status page and metrics (bsf/admin.c): plain HTTP, loopback by default */
	if (cfg.admin_host[0]) {
		admin = mbmsd_httpd_start(cfg.admin_host, cfg.admin_port, 4096, bsf_admin_handle,
					  &ctx, err, sizeof(err));
		if (!admin) {
			log_error("admin listener: %s", err);
			goto out;
		}
	}
	log_info("bsfd %s: host %s, Ub on %s:%u, Zn on %s:%u, %zu NAF(s), key lifetime %llus, "
		 "db %s (%u expired bootstraps purged)",
		 MBMS_VERSION, cfg.host, cfg.ub_host, mbmsd_httpd_port(ub), cfg.zn_host,
		 mbmsd_httpd_port(zn), cfg.nnafs, (unsigned long long)cfg.key_lifetime, cfg.db,
		 purged_b);
	if (admin)
		log_info("admin (GET /status, /metrics) on %s:%u", cfg.admin_host,
			 mbmsd_httpd_port(admin));
	if (mbmsd_trace_on())
		log_info("tracing Ub and Zn to %s", trace_path ? trace_path : trace_cfg);
	if (use_tls)
		log_info("TLS on Ub and Zn (https only): certificate %s, valid until %s%s",
			 tls.subject, tls.not_after, tls.expired ? " (EXPIRED)" : "");
	mbmsd_tls_free(&tls); /* the listeners keep their own copies */
	for (;;) {
		struct timespec ts = {(time_t)cfg.purge_interval, 0};
		int sig = sigtimedwait(&sigs, NULL, &ts);
		if (sig == SIGHUP) {
			log_info("SIGHUP ignored (restart to reload the configuration)");
			continue;
		}
		if (sig > 0) {
			log_info("signal %d: stopping", sig);
			break;
		}
		if (errno != EAGAIN && errno != EINTR) {
			log_error("sigtimedwait: %s", strerror(errno));
			break;
		}
		int prc = bsf_store_purge(ctx.store, bsf_now(), &purged_b, &purged_p);
		bsf_metrics_purge(prc, purged_b, purged_p);
		if (prc == 0 && (purged_b || purged_p))
			log_info("purged %u expired bootstrap(s), %u stale challenge(s)", purged_b,
				 purged_p);
	}
	ret = 0;
out:
	mbmsd_tls_free(&tls);
	mbmsd_httpd_stop(admin);
	mbmsd_httpd_stop(zn);
	mbmsd_httpd_stop(ub);
	bsf_store_close(ctx.store);
	mbmsd_trace_close();
	bsf_config_free(&cfg);
	mbms_crypto_thread_cleanup();
	return ret;
}

int main(int argc, char **argv)
{
	mbmsd_log_init("bsfd");
	if (argc < 2) {
		fputs(usage_text, stderr);
		return EXIT_USAGE;
	}
	if (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0) {
		fputs(usage_text, stdout);
		return 0;
	}
	if (strcmp(argv[1], "--version") == 0) {
		printf("bsfd %s\n", MBMS_VERSION);
		return 0;
	}
	if (strcmp(argv[1], "subscriber") == 0) {
		if (argc >= 3 && strcmp(argv[2], "add") == 0)
			return sub_add(argc, argv);
		if (argc >= 3 && strcmp(argv[2], "list") == 0)
			return sub_list(argc, argv);
		if (argc >= 3 && strcmp(argv[2], "del") == 0)
			return sub_del(argc, argv);
		fprintf(stderr, "bsfd: subscriber add|list|del (bsfd --help)\n");
		return EXIT_USAGE;
	}
	struct opt o[] = {
		{"config", true, NULL}, {"debug-keys", false, NULL}, {"trace", true, NULL}};
	if (parse_opts(argc, argv, 1, o, 3))
		return EXIT_USAGE;
	if (!o[0].value) {
		fprintf(stderr, "bsfd: --config FILE is required (bsfd --help)\n");
		return EXIT_USAGE;
	}
	if (o[2].value && !*o[2].value) {
		fprintf(stderr, "bsfd: --trace needs a file name\n");
		return EXIT_USAGE;
	}
	return run(o[0].value, o[2].value, o[1].value != NULL);
}
