/* mbms-loadgen: command line, modes, signals (see lg.h, docs/loadgen.md). */
#include "lg.h"

#include "mbmssec/crypto.h"
#include "mbmssec/ids.h"

#include <errno.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define EXIT_USAGE 2

volatile int lg_stop;

static const char usage_text[] =
	"usage: mbms-loadgen provision --plan FILE [--bsf-db FILE] [--bmsc-db FILE] -n N\n"
	"                    [--udp-base PORT] [--udp-sockets S] [population options]\n"
	"       mbms-loadgen bootstrap --bsf URL -n N [-c CONNS] [--rate R] [options]\n"
	"       mbms-loadgen run --bmsc URL (--bsf URL -n N | --plan FILE) [-c CONNS]\n"
	"                    [--rate R] [--requests M] [--duration S] [--drain S]\n"
	"                    [--register | --skip-register] [options]\n"
	"       mbms-loadgen fanout --plan FILE --admin HOST:PORT [--rotations K] [options]\n"
	"       mbms-loadgen plain --url URL [-c CONNS] [--requests M] [--duration S]\n"
	"                    [--rate R] [--ub-pairs]\n"
	"       mbms-loadgen free-ports K\n"
	"       mbms-loadgen --help | --version\n"
	"\n"
	"Simulates N MBMS UEs in one process against bsfd and bmscd on 127.0.0.0/8\n"
	"(docs/loadgen.md): GBA bootstraps over Ub (HTTP Digest AKA), registration\n"
	"and MSK requests with HTTP Digest qop=auth-int over keep-alive connections,\n"
	"MIKEY MSK pushes received on a few UDP sockets (one IP:port per UE), every\n"
	"message verified with the UE's MUK and acknowledged.\n"
	"\n"
	"modes:\n"
	"  provision   write N subscribers (K, OPc) and a bootstrap each into bsfd's\n"
	"              database, and N registered UEs (B-TID, MUK, address) into\n"
	"              bmscd's, with the daemons stopped: the bulk path for large N.\n"
	"              The plan file records the population for the later runs.\n"
	"  bootstrap   Ub bootstraps of N UEs over CONNS connections (GBA rate)\n"
	"  run         bootstrap (--bsf) or take the plan's UEs (--plan), register\n"
	"              them, then MSK requests (Key Number 0) at --rate per second,\n"
	"              --requests in all or for --duration seconds; wait --drain\n"
	"              seconds for the last pushes\n"
	"  fanout      listen as the plan's UEs, rotate the key group through bmscd's\n"
	"              admin listener (POST /rotate, as `bmscd ctl rotate`), and time\n"
	"              the MSK push to all of them until every ack is in\n"
	"  plain       the same HTTP load against a plain server (baselines): POSTs\n"
	"              shaped like MSK requests, or --ub-pairs: two GETs like a Ub\n"
	"              bootstrap\n"
	"  free-ports  print a port P such that UDP P..P+K-1 are free on 0.0.0.0\n"
	"\n"
	"population options (a plan file sets them):\n"
	"  -n, --ues N           UEs (default 100)\n"
	"  --seed N              derives every UE's K, OPc, RAND, Ks (default 1)\n"
	"  --first N             number of the first IMPI (default 0)\n"
	"  --fqdn NAME           BM-SC FQDN (default bmsc.mbms.mnc001.mcc001.pub.\n"
	"                        3gppnetwork.org)\n"
	"  --bsf-host NAME       BSF name (default bsf.mnc001.mcc001.pub.3gppnetwork.org)\n"
	"  --service ID          user service (default urn:example:mbms:news)\n"
	"  --key-group N         Key Group (default 258)\n"
	"  --mcc MCC --mnc MNC   Key Domain (default 001 01)\n"
	"  --ip-base IP          first UE address in 127.0.0.0/8 (default 127.77.0.1)\n"
	"  --udp-base PORT       first UE port (default: each picked by the kernel)\n"
	"  --udp-sockets S       UE ports (default: UEs / connections, rounded up);\n"
	"                        UE i has port i mod S and IP ip-base + i / S\n"
	"  --lifetime S          lifetime of provisioned bootstraps (default 86400)\n"
	"other options:\n"
	"  -c, --connections C   HTTP connections (default 16)\n"
	"  --timeout S           hard limit for the whole run (default 300)\n"
	"  --json                print the final report as one JSON object\n"
	"  --quiet               no progress lines (they go to stderr: a live line on a\n"
	"                        terminal, one line a second otherwise)\n"
	"\n"
	"Exit codes: 0 no error, 1 errors (lost pushes, bad messages, failed requests)\n"
	"or failure, 2 usage error. Traffic goes to 127.0.0.0/8 only.\n";

double lg_now(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

uint64_t lg_wall_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

static uint64_t g_rng[2];

/* xorshift128+: cnonces and pacing only (not keys) */
uint64_t lg_rand64(void)
{
	uint64_t s1 = g_rng[0];
	const uint64_t s0 = g_rng[1];
	g_rng[0] = s0;
	s1 ^= s1 << 23;
	g_rng[1] = s1 ^ s0 ^ (s1 >> 17) ^ (s0 >> 26);
	return g_rng[1] + s0;
}

static void on_signal(int sig)
{
	(void)sig;
	lg_stop = 1;
}

static int usage_error(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

static int usage_error(const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	fprintf(stderr, "mbms-loadgen: ");
	vfprintf(stderr, fmt, ap);
	fprintf(stderr, " (mbms-loadgen --help)\n");
	va_end(ap);
	return EXIT_USAGE;
}

static int parse_u64(const char *s, uint64_t max, uint64_t *out)
{
	char *end;
	errno = 0;
	unsigned long long v = strtoull(s, &end, 0);
	if (errno || end == s || *end || v > max || *s == '-')
		return -1;
	*out = v;
	return 0;
}

static int parse_double(const char *s, double min, double max, double *out)
{
	char *end;
	errno = 0;
	double v = strtod(s, &end);
	if (errno || end == s || *end || v < min || v > max)
		return -1;
	*out = v;
	return 0;
}

static int free_ports(unsigned k)
{
	if (k == 0 || k > 4096)
		return usage_error("free-ports: K is 1..4096");
	for (unsigned base = 20000; base + k < 60000; base += k) {
		int fds[4096];
		unsigned got = 0;
		for (; got < k; got++) {
			fds[got] = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
			struct sockaddr_in a = {.sin_family = AF_INET,
						.sin_port = htons((uint16_t)(base + got))};
			if (fds[got] < 0 || bind(fds[got], (struct sockaddr *)&a, sizeof(a)) != 0) {
				if (fds[got] >= 0)
					close(fds[got]);
				break;
			}
		}
		for (unsigned i = 0; i < got; i++)
			close(fds[i]);
		if (got == k) {
			printf("%u\n", base);
			return 0;
		}
	}
	fprintf(stderr, "mbms-loadgen: no %u free consecutive UDP ports\n", k);
	return 1;
}

int main(int argc, char **argv)
{
	struct lg_opts o;
	memset(&o, 0, sizeof(o));
	o.n = 100;
	o.seed = 1;
	o.conns = 16;
	o.timeout = 300;
	o.drain = 5;
	o.rotations = 1;
	o.key_group = 258;
	o.lifetime_s = 86400;
	snprintf(o.fqdn, sizeof(o.fqdn), "bmsc.mbms.mnc001.mcc001.pub.3gppnetwork.org");
	snprintf(o.bsf_host, sizeof(o.bsf_host), "bsf.mnc001.mcc001.pub.3gppnetwork.org");
	snprintf(o.service, sizeof(o.service), "urn:example:mbms:news");
	lg_ip_parse("127.77.0.1", &o.ip_base);
	const char *mcc = "001", *mnc = "01";
	bool n_set = false, socks_set = false, force_register = false;

	if (argc < 2) {
		fputs(usage_text, stderr);
		return EXIT_USAGE;
	}
	const char *m = argv[1];
	if (!strcmp(m, "--help") || !strcmp(m, "-h") || !strcmp(m, "help")) {
		fputs(usage_text, stdout);
		return 0;
	}
	if (!strcmp(m, "--version")) {
		printf("mbms-loadgen %s\n", LG_VERSION);
		return 0;
	}
	if (!strcmp(m, "provision"))
		o.mode = LG_MODE_PROVISION;
	else if (!strcmp(m, "bootstrap"))
		o.mode = LG_MODE_BOOTSTRAP;
	else if (!strcmp(m, "run"))
		o.mode = LG_MODE_RUN;
	else if (!strcmp(m, "fanout"))
		o.mode = LG_MODE_FANOUT;
	else if (!strcmp(m, "plain"))
		o.mode = LG_MODE_PLAIN;
	else if (!strcmp(m, "free-ports"))
		o.mode = LG_MODE_FREE_PORTS;
	else
		return usage_error("unknown mode '%s'", m);
	if (o.mode == LG_MODE_FREE_PORTS) {
		uint64_t k;
		if (argc != 3 || parse_u64(argv[2], 4096, &k) || k == 0)
			return usage_error("free-ports K: K is 1..4096");
		return free_ports((unsigned)k);
	}

	/* a plan first: the command line may add to it */
	for (int i = 2; i + 1 < argc; i++)
		if (!strcmp(argv[i], "--plan"))
			snprintf(o.plan, sizeof(o.plan), "%s", argv[i + 1]);
	char err[600];
	if (o.plan[0] && o.mode != LG_MODE_PROVISION) {
		if (lg_plan_read(&o, err, sizeof(err))) {
			fprintf(stderr, "mbms-loadgen: %s\n", err);
			return 1;
		}
		n_set = socks_set = true;
	}

	for (int i = 2; i < argc; i++) {
		const char *a = argv[i];
		const char *v = i + 1 < argc ? argv[i + 1] : NULL;
		uint64_t x;
#define NEED()                                                                                     \
	do {                                                                                       \
		if (!v)                                                                            \
			return usage_error("%s needs a value", a);                                 \
		i++;                                                                               \
	} while (0)
#define STR(field)                                                                                 \
	do {                                                                                       \
		NEED();                                                                            \
		if (strlen(v) >= sizeof(field))                                                    \
			return usage_error("%s: value too long", a);                               \
		snprintf(field, sizeof(field), "%s", v);                                           \
	} while (0)
		if (!strcmp(a, "--plan")) {
			NEED();
		} else if (!strcmp(a, "-n") || !strcmp(a, "--ues")) {
			NEED();
			if (parse_u64(v, LG_MAX_UES, &x) || x == 0)
				return usage_error("-n: 1..10000000, got '%s'", v);
			o.n = x;
			n_set = true;
		} else if (!strcmp(a, "--seed")) {
			NEED();
			if (parse_u64(v, UINT64_MAX, &o.seed))
				return usage_error("--seed: a number, got '%s'", v);
		} else if (!strcmp(a, "--first")) {
			NEED();
			if (parse_u64(v, 9999999999ULL, &o.first))
				return usage_error("--first: 0..9999999999, got '%s'", v);
		} else if (!strcmp(a, "--fqdn")) {
			STR(o.fqdn);
		} else if (!strcmp(a, "--bsf-host")) {
			STR(o.bsf_host);
		} else if (!strcmp(a, "--service")) {
			STR(o.service);
		} else if (!strcmp(a, "--key-group")) {
			NEED();
			if (parse_u64(v, 65535, &x))
				return usage_error("--key-group: 0..65535, got '%s'", v);
			o.key_group = (uint16_t)x;
		} else if (!strcmp(a, "--mcc")) {
			NEED();
			mcc = v;
		} else if (!strcmp(a, "--mnc")) {
			NEED();
			mnc = v;
		} else if (!strcmp(a, "--ip-base")) {
			NEED();
			if (lg_ip_parse(v, &o.ip_base) || (o.ip_base >> 24) != 127)
				return usage_error("--ip-base: an address in 127.0.0.0/8, got '%s'", v);
		} else if (!strcmp(a, "--udp-base")) {
			NEED();
			if (parse_u64(v, 65535, &x) || x < 1024)
				return usage_error("--udp-base: 1024..65535, got '%s'", v);
			o.udp_base = (uint16_t)x;
		} else if (!strcmp(a, "--udp-sockets")) {
			NEED();
			if (parse_u64(v, LG_MAX_SOCKETS, &x) || x == 0)
				return usage_error("--udp-sockets: 1..4096, got '%s'", v);
			o.udp_socks = (unsigned)x;
			socks_set = true;
		} else if (!strcmp(a, "--lifetime")) {
			NEED();
			if (parse_u64(v, 31622400, &o.lifetime_s) || o.lifetime_s == 0)
				return usage_error("--lifetime: 1..31622400 seconds, got '%s'", v);
		} else if (!strcmp(a, "--bsf")) {
			STR(o.bsf_url);
		} else if (!strcmp(a, "--bmsc")) {
			STR(o.bmsc_url);
		} else if (!strcmp(a, "--admin")) {
			STR(o.admin);
		} else if (!strcmp(a, "--url")) {
			STR(o.plain_url);
		} else if (!strcmp(a, "--bsf-db")) {
			STR(o.bsf_db);
		} else if (!strcmp(a, "--bmsc-db")) {
			STR(o.bmsc_db);
		} else if (!strcmp(a, "-c") || !strcmp(a, "--connections")) {
			NEED();
			if (parse_u64(v, LG_MAX_CONNS, &x) || x == 0)
				return usage_error("-c: 1..1024, got '%s'", v);
			o.conns = (unsigned)x;
		} else if (!strcmp(a, "--rate")) {
			NEED();
			if (parse_double(v, 0, 1e7, &o.rate))
				return usage_error("--rate: requests per second >= 0, got '%s'", v);
		} else if (!strcmp(a, "--requests")) {
			NEED();
			if (parse_u64(v, UINT64_MAX / 2, &o.requests))
				return usage_error("--requests: a count, got '%s'", v);
		} else if (!strcmp(a, "--duration")) {
			NEED();
			if (parse_double(v, 0, 86400, &o.duration))
				return usage_error("--duration: seconds, got '%s'", v);
		} else if (!strcmp(a, "--timeout")) {
			NEED();
			if (parse_double(v, 0.1, 86400, &o.timeout))
				return usage_error("--timeout: seconds, got '%s'", v);
		} else if (!strcmp(a, "--drain")) {
			NEED();
			if (parse_double(v, 0, 3600, &o.drain))
				return usage_error("--drain: seconds, got '%s'", v);
		} else if (!strcmp(a, "--rotations")) {
			NEED();
			if (parse_u64(v, 64, &x) || x == 0)
				return usage_error("--rotations: 1..64, got '%s'", v);
			o.rotations = (unsigned)x;
		} else if (!strcmp(a, "--register")) {
			force_register = true;
		} else if (!strcmp(a, "--skip-register")) {
			o.skip_register = true;
		} else if (!strcmp(a, "--ub-pairs")) {
			o.ub_equivalent = true;
		} else if (!strcmp(a, "--json")) {
			o.json = true;
		} else if (!strcmp(a, "--quiet")) {
			o.quiet = true;
		} else {
			return usage_error("unexpected argument '%s'", a);
		}
#undef NEED
#undef STR
	}
	(void)n_set;
	if (mbms_key_domain_from_plmn(mcc, mnc, o.key_domain) != 0)
		return usage_error("--mcc/--mnc: 3 and 2-3 digits");
	if (!socks_set)
		o.udp_socks = (unsigned)((o.n + o.conns - 1) / o.conns);
	if (o.udp_socks == 0)
		o.udp_socks = 1;
	if (o.udp_base && o.udp_base + o.udp_socks - 1 > 65535)
		return usage_error("--udp-base + --udp-sockets passes port 65535");
	if ((o.ip_base >> 24) != 127 || ((o.ip_base + lg_ip_count(&o) - 1) >> 24) != 127)
		return usage_error("the UE addresses leave 127.0.0.0/8: fewer UEs per port or "
				   "more --udp-sockets%s",
				   "");
	o.progress_tty = isatty(STDERR_FILENO) == 1;
	if (force_register)
		o.registered = false;
	if (o.skip_register)
		o.registered = true;

	switch (o.mode) {
	case LG_MODE_PROVISION:
		if (!o.plan[0] || (!o.bsf_db[0] && !o.bmsc_db[0]))
			return usage_error("provision needs --plan FILE and --bsf-db and/or "
					   "--bmsc-db%s",
					   "");
		break;
	case LG_MODE_BOOTSTRAP:
		if (!o.bsf_url[0])
			return usage_error("bootstrap needs --bsf URL");
		break;
	case LG_MODE_RUN:
		if (!o.bmsc_url[0] || (!o.bsf_url[0] && !o.plan[0]))
			return usage_error("run needs --bmsc URL and --bsf URL or --plan FILE");
		break;
	case LG_MODE_FANOUT:
		if (!o.plan[0] || !o.admin[0])
			return usage_error("fanout needs --plan FILE and --admin HOST:PORT");
		break;
	case LG_MODE_PLAIN:
		if (!o.plain_url[0])
			return usage_error("plain needs --url URL");
		o.n = 0;
		break;
	default:
		break;
	}

	signal(SIGPIPE, SIG_IGN);
	struct sigaction sa;
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_signal;
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	if (mbms_crypto_init() != 0 || mbms_random((uint8_t *)g_rng, sizeof(g_rng)) != 0) {
		fprintf(stderr, "mbms-loadgen: crypto backend unavailable\n");
		return 1;
	}
	g_rng[0] |= 1;

	if (o.mode == LG_MODE_PROVISION) {
		double t0 = lg_now();
		if (lg_provision(&o, err, sizeof(err)) || lg_plan_write(&o, err, sizeof(err))) {
			fprintf(stderr, "mbms-loadgen: %s\n", err);
			return 1;
		}
		if (o.json)
			printf("{\"tool\":\"mbms-loadgen\",\"mode\":\"provision\",\"ues\":%llu,"
			       "\"seconds\":%.3f,\"ok\":true}\n",
			       (unsigned long long)o.n, lg_now() - t0);
		else
			printf("provisioned %llu UE(s)%s%s in %.2f s; plan in %s\n",
			       (unsigned long long)o.n, o.bsf_db[0] ? " into bsfd's database" : "",
			       o.bmsc_db[0] ? (o.bsf_db[0] ? " and bmscd's" : " into bmscd's database")
					    : "",
			       lg_now() - t0, o.plan);
		return 0;
	}

	struct lg_report *rep = calloc(1, sizeof(*rep));
	if (!rep) {
		fprintf(stderr, "mbms-loadgen: out of memory\n");
		return 1;
	}
	lg_report_init(rep, &o);
	struct lg *L = lg_new(&o, rep, err, sizeof(err));
	if (!L) {
		fprintf(stderr, "mbms-loadgen: %s\n", err);
		free(rep);
		return 1;
	}
	int rc = 0;
	switch (o.mode) {
	case LG_MODE_BOOTSTRAP: {
		struct lg_phase *ph = lg_phase_begin(rep, "bootstrap", o.n);
		rc = lg_run_bootstrap(L, ph, err, sizeof(err));
		lg_phase_end(rep, ph);
		break;
	}
	case LG_MODE_RUN: {
		rc = lg_udp_open(L, err, sizeof(err));
		if (rc == 0 && o.plan[0]) {
			rc = lg_ues_from_plan(L, err, sizeof(err));
		} else if (rc == 0) {
			struct lg_phase *ph = lg_phase_begin(rep, "bootstrap", o.n);
			rc = lg_run_bootstrap(L, ph, err, sizeof(err));
			lg_phase_end(rep, ph);
		}
		if (rc == 0 && !o.registered) {
			struct lg_phase *ph = lg_phase_begin(rep, "register", o.n);
			rc = lg_run_register(L, ph, err, sizeof(err));
			lg_phase_end(rep, ph);
		}
		if (rc == 0) {
			struct lg_phase *ph = lg_phase_begin(rep, "msk-request", 0);
			struct lg_phase *pp = lg_phase_begin(rep, "pushes", 0);
			pp->t0 = ph->t0;
			rc = lg_run_msk_requests(L, ph, pp, err, sizeof(err));
			ph->t1 = lg_now();
			if (pp->done == 0)
				pp->t1 = ph->t1;
			lg_phase_end(rep, ph);
		}
		break;
	}
	case LG_MODE_FANOUT:
		rc = lg_udp_open(L, err, sizeof(err));
		if (rc == 0 && o.udp_base == 0) {
			snprintf(err, sizeof(err), "the plan has no --udp-base: fanout needs the ports "
						   "the BM-SC was given");
			rc = -1;
		}
		if (rc == 0)
			rc = lg_ues_from_plan(L, err, sizeof(err));
		if (rc == 0)
			rc = lg_run_fanout(L, err, sizeof(err));
		break;
	case LG_MODE_PLAIN: {
		struct lg_phase *ph = lg_phase_begin(rep, "plain", 0);
		rc = lg_run_plain(L, ph, err, sizeof(err));
		lg_phase_end(rep, ph);
		break;
	}
	default:
		break;
	}
	if (rc)
		fprintf(stderr, "mbms-loadgen: %s\n", err);
	if (lg_stop)
		fprintf(stderr, "mbms-loadgen: interrupted\n");
	int code = rc || lg_stop || lg_report_errors(rep) ? 1 : 0;
	lg_report_print(rep, code);
	lg_free(L);
	free(rep);
	return code;
}
