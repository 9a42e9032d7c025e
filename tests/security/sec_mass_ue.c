/* sec_mass_ue -- many UEs in one process, for the kill -9 fault test
 * (tests/integration/test_fault_kill9.sh, docs/security.md). A test tool.
 *
 * It plays N UEs and, so that their bootstraps cost nothing, the BSF's Zn
 * interface: B-TID_i = base64(16 bytes naming i)@bsf.mass.example and
 * Ks_NAF_i = HMAC-SHA-256(a per-run seed, B-TID_i); MUK_i = MRK_i = Ks_NAF_i.
 *
 *   1. serve Zn on --zn-listen (HTTP Basic with --fqdn : --zn-secret);
 *   2. register every UE to --service at --bmsc (Digest auth-int with
 *      password base64(MRK_i), X-MBMS-UE-Port = its UDP port; the UEs share
 *      UDP sockets, 8 per socket (up to 16 under a low descriptor limit),
 *      so that the BM-SC's ack matching -- at most 16 candidates per
 *      (address, port, CSB ID, counter) -- is never exceeded); write
 *      "ready" to --out;
 *   3. receive MSK messages for --run-seconds: verify each with the UE's MUK
 *      state and key store (mbms_ue_rx_muk_msg: MAC, MUK ID, TS counter
 *      strictly above the last, install), send the verification message;
 *      with --kill-pid, SIGKILL that process once --kill-after UEs hold the
 *      first MSK pushed (the BM-SC dies in the middle of the fan-out) and
 *      write "killed" to --out;
 *   4. stop when every UE holds the same MSK and --linger seconds (10)
 *      passed without a datagram (or the time is up), and write
 *      the summary line to --out and stdout:
 *        summary ues=N holding=H msk=<ID> changed=C replays=R errors=E acks=A rx=X
 *      changed: an MSK ID received again with another key (a key changed);
 *      replays: a message refused for its TS counter (a counter reused).
 * --register-only yes: step 2 only, tolerating refusals; writes
 *   "registrations ok=A refused=B refused_status=S" (the disk-full test).
 * Exit 0 when holding == N, changed == 0 and replays == 0. */
#include "httpd.h"

#include "mbmssec/crypto.h"
#include "mbmssec/digest.h"
#include "mbmssec/error.h"
#include "mbmssec/gba.h"
#include "mbmssec/ids.h"
#include "mbmssec/kmxml.h"
#include "mbmssec/mbms_msg.h"
#include "mbmssec/profile.h"

#include <arpa/inet.h>
#include <curl/curl.h>
#include <errno.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/epoll.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define BSF_HOST "bsf.mass.example"
/* UEs per UDP socket: 8 when the descriptor limit allows, at most 16 (the
 * BM-SC tries 16 candidates per address, port, CSB ID and counter) */
#define PER_SOCKET_MIN 8
#define PER_SOCKET_MAX 16
static unsigned g_per_socket = PER_SOCKET_MIN;

struct ue {
	char btid[64];
	char impi[64];
	uint8_t ks_naf[32];
	int sock; /* index into g_sock */
	struct mbms_muk_state muk;
	struct mbms_key_store ks;
	uint32_t held; /* newest MSK ID installed, 0 = none */
};

static struct {
	const char *bmsc, *fqdn, *zn_listen, *zn_secret, *service, *out;
	unsigned count;
	double run_seconds;
	pid_t kill_pid;
	unsigned kill_after;
	bool register_only; /* register, count the answers, stop (no MIKEY) */
	double linger;      /* seconds without a datagram before stopping */
} O = {.count = 1000, .run_seconds = 60, .linger = 10};

static struct ue *g_ue;
static int *g_sock;
static uint16_t *g_port;
static unsigned g_nsock;
static uint8_t g_seed[32];
static char g_zn_auth[600];

static void die(const char *fmt, ...) __attribute__((format(printf, 1, 2), noreturn));
static void die(const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	fprintf(stderr, "sec_mass_ue: ");
	vfprintf(stderr, fmt, ap);
	fprintf(stderr, "\n");
	va_end(ap);
	exit(1);
}

static void say(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static void say(const char *fmt, ...)
{
	char line[512];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(line, sizeof(line), fmt, ap);
	va_end(ap);
	printf("%s\n", line);
	fflush(stdout);
	if (O.out) {
		FILE *f = fopen(O.out, "a");
		if (f) {
			fprintf(f, "%s\n", line);
			fclose(f);
		}
	}
}

static double now_s(void)
{
	struct timespec t;
	clock_gettime(CLOCK_MONOTONIC, &t);
	return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

/* ---- the UEs ---- */

static void make_ue(unsigned i)
{
	struct ue *u = &g_ue[i];
	uint8_t rand[16] = {'M', 'A', 'S', 'S'};
	rand[4] = (uint8_t)(i >> 24);
	rand[5] = (uint8_t)(i >> 16);
	rand[6] = (uint8_t)(i >> 8);
	rand[7] = (uint8_t)i;
	memcpy(rand + 8, g_seed, 8);
	if (mbms_btid_make(rand, BSF_HOST, u->btid, sizeof(u->btid)) != 0)
		die("B-TID");
	snprintf(u->impi, sizeof(u->impi), "00101%010u@ims.mass.example", i);
	if (mbms_hmac_sha256(g_seed, sizeof(g_seed), (const uint8_t *)u->btid, strlen(u->btid),
			     u->ks_naf) != 0)
		die("HMAC");
	if (mbms_muk_state_init(&u->muk, u->ks_naf, (const uint8_t *)O.fqdn, strlen(O.fqdn),
				(const uint8_t *)u->btid, strlen(u->btid)) != 0)
		die("MUK state");
	mbms_key_store_init(&u->ks);
	u->sock = (int)(i / g_per_socket);
}

/* The UE a B-TID names (its RAND carries the index), or -1. */
static long ue_of_btid(const uint8_t *p, size_t n)
{
	uint8_t rand[24];
	size_t got = 0;
	const uint8_t *at = memchr(p, '@', n);
	if (!at || mbms_base64_decode((const char *)p, (size_t)(at - p), rand, sizeof(rand), &got) ||
	    got != 16 || memcmp(rand, "MASS", 4) != 0)
		return -1;
	unsigned long i = (unsigned long)rand[4] << 24 | (unsigned long)rand[5] << 16 |
			  (unsigned long)rand[6] << 8 | rand[7];
	return i < O.count ? (long)i : -1;
}

/* ---- Zn (the BSF side of this process) ---- */

static void zn_handle(void *user, const struct mbmsd_http_request *req,
		      struct mbmsd_http_response *resp)
{
	(void)user;
	const char *auth = mbmsd_http_header(req, "Authorization");
	if (!auth || strcmp(auth, g_zn_auth) != 0) {
		mbmsd_http_status(resp, 401, "NAF credentials");
		return;
	}
	const char *btid = mbmsd_http_query(req, "btid");
	long i = btid ? ue_of_btid((const uint8_t *)btid, strlen(btid)) : -1;
	if (i < 0 || strcmp(btid, g_ue[i].btid) != 0) {
		mbmsd_http_status(resp, 404, "unknown B-TID");
		return;
	}
	struct mbms_zn_response z;
	memset(&z, 0, sizeof(z));
	snprintf(z.btid, sizeof(z.btid), "%s", g_ue[i].btid);
	snprintf(z.impi, sizeof(z.impi), "%s", g_ue[i].impi);
	memcpy(z.ks_naf, g_ue[i].ks_naf, 32);
	z.expires_at = (uint64_t)time(NULL) + 86400;
	char body[2048];
	size_t len = 0;
	if (mbms_zn_response_format(&z, body, sizeof(body), &len) != 0)
		mbmsd_http_status(resp, 500, "format");
	else
		mbmsd_http_set_body(resp, 200, MBMS_ZN_MEDIA_TYPE, body, len);
	mbms_wipe(&z, sizeof(z));
	mbms_wipe(body, sizeof(body));
}

/* ---- HTTP towards the BM-SC ---- */

struct rsp {
	long status;
	char www[1024];
	char body[4096];
	size_t len;
};

static size_t on_body(char *d, size_t s, size_t n, void *user)
{
	struct rsp *r = user;
	size_t k = s * n;
	if (r->len + k < sizeof(r->body)) {
		memcpy(r->body + r->len, d, k);
		r->len += k;
		r->body[r->len] = '\0';
	}
	return k;
}

static size_t on_header(char *line, size_t s, size_t n, void *user)
{
	struct rsp *r = user;
	size_t k = s * n;
	if (k > 17 && strncasecmp(line, "WWW-Authenticate:", 17) == 0) {
		size_t v = k - 17;
		const char *p = line + 17;
		while (v && (*p == ' ')) {
			p++;
			v--;
		}
		while (v && (p[v - 1] == '\r' || p[v - 1] == '\n'))
			v--;
		if (v < sizeof(r->www)) {
			memcpy(r->www, p, v);
			r->www[v] = '\0';
		}
	}
	return k;
}

static CURL *g_curl;
static char g_nonce[MBMS_DIGEST_NONCE_LEN + 1];
static uint32_t g_nc;

static void post(const char *uri, const char *ctype, const char *authz, unsigned port,
		 const char *body, size_t len, struct rsp *r)
{
	memset(r, 0, sizeof(*r));
	char url[1024], h1[2300], h2[256], h3[64];
	snprintf(url, sizeof(url), "%s%s", O.bmsc, uri);
	struct curl_slist *h = NULL;
	snprintf(h2, sizeof(h2), "Content-Type: %s", ctype);
	h = curl_slist_append(h, h2);
	if (authz) {
		snprintf(h1, sizeof(h1), "Authorization: %s", authz);
		h = curl_slist_append(h, h1);
	}
	snprintf(h3, sizeof(h3), "%s: %u", MBMS_PROFILE_UE_PORT_HEADER, port);
	h = curl_slist_append(h, h3);
	h = curl_slist_append(h, "Expect:");
	curl_easy_setopt(g_curl, CURLOPT_URL, url);
	curl_easy_setopt(g_curl, CURLOPT_HTTPHEADER, h);
	curl_easy_setopt(g_curl, CURLOPT_POSTFIELDS, body);
	curl_easy_setopt(g_curl, CURLOPT_POSTFIELDSIZE, (long)len);
	curl_easy_setopt(g_curl, CURLOPT_WRITEFUNCTION, on_body);
	curl_easy_setopt(g_curl, CURLOPT_WRITEDATA, r);
	curl_easy_setopt(g_curl, CURLOPT_HEADERFUNCTION, on_header);
	curl_easy_setopt(g_curl, CURLOPT_HEADERDATA, r);
	CURLcode c = curl_easy_perform(g_curl);
	curl_slist_free_all(h);
	if (c != CURLE_OK)
		die("POST %s: %s", url, curl_easy_strerror(c));
	curl_easy_getinfo(g_curl, CURLINFO_RESPONSE_CODE, &r->status);
}

static void take_nonce(const struct rsp *r)
{
	struct mbms_digest_fields f;
	if (!r->www[0] || mbms_digest_parse(r->www, strlen(r->www), true, &f) ||
	    mbms_digest_unquote(&f.nonce, g_nonce, sizeof(g_nonce)))
		die("401 without a usable challenge");
	g_nc = 0;
}

/* Register UE i: one request, signed with the shared nonce (nc counts for
 * every UE: the BM-SC tracks nc per nonce). Returns the final status; dies
 * on anything but 200 unless --register-only. */
static long register_ue(unsigned i, const char *body, size_t len)
{
	struct ue *u = &g_ue[i];
	const char *uri = MBMS_PROFILE_KM_PATH "?requesttype=register";
	char realm[300], pw[64], ha1[33], resp[33], nc[9], authz[2048];
	snprintf(realm, sizeof(realm), "%s%s", MBMS_PROFILE_REALM_PREFIX, O.fqdn);
	mbms_base64_encode(u->ks_naf, 32, pw, sizeof(pw));
	mbms_digest_ha1(u->btid, realm, (const uint8_t *)pw, strlen(pw), ha1);
	mbms_wipe(pw, sizeof(pw));
	struct rsp r;
	for (int attempt = 0; attempt < 4; attempt++) {
		if (!g_nonce[0]) {
			post(uri, MBMS_MEDIA_TYPE_REGISTER, NULL, g_port[u->sock], body, len, &r);
			if (r.status != 401)
				die("UE %u: first request answered %ld", i, r.status);
			take_nonce(&r);
		}
		snprintf(nc, sizeof(nc), "%08x", ++g_nc);
		mbms_digest_response(ha1, g_nonce, nc, "5a5a5a5a5a5a5a5a", "auth-int", "POST", uri,
				     (const uint8_t *)body, len, resp);
		struct mbms_digest_creds c = {.username = u->btid, .realm = realm, .nonce = g_nonce,
					      .uri = uri, .response = resp, .algorithm = "MD5",
					      .qop = "auth-int", .nc = nc,
					      .cnonce = "5a5a5a5a5a5a5a5a"};
		if (mbms_digest_format_authorization(&c, authz, sizeof(authz)))
			die("Authorization");
		post(uri, MBMS_MEDIA_TYPE_REGISTER, authz, g_port[u->sock], body, len, &r);
		if (r.status == 401) { /* stale or a restarted BM-SC */
			take_nonce(&r);
			continue;
		}
		mbms_wipe(ha1, sizeof(ha1));
		if (O.register_only)
			return r.status;
		if (r.status != 200 || !strstr(r.body, "<status>200</status>"))
			die("UE %u: register answered %ld: %.200s", i, r.status, r.body);
		return r.status;
	}
	die("UE %u: no accepted registration", i);
}

/* ---- MIKEY ---- */

#define MAX_KEYS 64
static struct {
	uint32_t msk_id;
	uint8_t key[MBMS_MSK_LEN];
	unsigned holders;
} g_keys[MAX_KEYS];
static unsigned g_nkeys;
static unsigned long g_changed, g_replays, g_errors, g_acks, g_rx;
static bool g_killed;

static unsigned *holders_of(uint32_t msk_id, const uint8_t key[MBMS_MSK_LEN])
{
	for (unsigned k = 0; k < g_nkeys; k++)
		if (g_keys[k].msk_id == msk_id) {
			if (memcmp(g_keys[k].key, key, MBMS_MSK_LEN) != 0) {
				g_changed++;
				say("CHANGED: MSK %08x arrived with another key", msk_id);
			}
			return &g_keys[k].holders;
		}
	if (g_nkeys == MAX_KEYS)
		die("too many MSK IDs");
	g_keys[g_nkeys].msk_id = msk_id;
	memcpy(g_keys[g_nkeys].key, key, MBMS_MSK_LEN);
	return &g_keys[g_nkeys++].holders;
}

static void on_datagram(int fd, const uint8_t *msg, size_t len, const struct sockaddr_in *from)
{
	g_rx++;
	struct mbms_msg_info info;
	if (mbms_msg_parse(msg, len, MBMS_MSG_F_MUK, &info) != 0) {
		g_errors++;
		return;
	}
	long i = ue_of_btid(info.idr, info.idr_len);
	if (i < 0) {
		g_errors++;
		return;
	}
	struct ue *u = &g_ue[i];
	int rc = mbms_ue_rx_muk_msg(&u->muk, &u->ks, msg, len, &info);
	if (rc) {
		if (rc == MBMS_EREPLAY)
			g_replays++;
		else
			g_errors++;
		say("UE %ld refused a message: %s", i, mbms_errname(rc));
		mbms_msg_info_wipe(&info);
		return;
	}
	if (info.kind == MBMS_MSG_MSK) {
		unsigned *h = holders_of(info.msk_id, info.key);
		if (u->held != info.msk_id) {
			u->held = info.msk_id;
			(*h)++;
		}
		if (O.kill_pid > 0 && !g_killed && *h >= O.kill_after) {
			kill(O.kill_pid, SIGKILL);
			g_killed = true;
			say("killed pid %ld with %u of %u UEs holding %08x", (long)O.kill_pid, *h,
			    O.count, info.msk_id);
		}
	}
	if (info.v_flag) {
		struct mbms_acked a;
		uint8_t ack[256];
		size_t alen = 0;
		if (mbms_acked_from_info(&info, &a) == 0 &&
		    mbms_verification_build(u->ks_naf, 32, &a, ack, sizeof(ack), &alen) == 0 &&
		    sendto(fd, ack, alen, 0, (const struct sockaddr *)from, sizeof(*from)) > 0)
			g_acks++;
	}
	mbms_msg_info_wipe(&info);
}

static bool all_hold(uint32_t *which)
{
	for (unsigned k = 0; k < g_nkeys; k++)
		if (g_keys[k].holders == O.count) {
			*which = g_keys[k].msk_id;
			return true;
		}
	return false;
}

static void parse_args(int argc, char **argv)
{
	for (int i = 1; i + 1 < argc; i += 2) {
		const char *k = argv[i], *v = argv[i + 1];
		if (!strcmp(k, "--bmsc"))
			O.bmsc = v;
		else if (!strcmp(k, "--fqdn"))
			O.fqdn = v;
		else if (!strcmp(k, "--zn-listen"))
			O.zn_listen = v;
		else if (!strcmp(k, "--zn-secret"))
			O.zn_secret = v;
		else if (!strcmp(k, "--service"))
			O.service = v;
		else if (!strcmp(k, "--out"))
			O.out = v;
		else if (!strcmp(k, "--count"))
			O.count = (unsigned)strtoul(v, NULL, 10);
		else if (!strcmp(k, "--run-seconds"))
			O.run_seconds = atof(v);
		else if (!strcmp(k, "--kill-pid"))
			O.kill_pid = (pid_t)strtol(v, NULL, 10);
		else if (!strcmp(k, "--kill-after"))
			O.kill_after = (unsigned)strtoul(v, NULL, 10);
		else if (!strcmp(k, "--linger"))
			O.linger = atof(v);
		else if (!strcmp(k, "--register-only"))
			O.register_only = !strcmp(v, "yes");
		else
			die("unknown option %s", k);
	}
	if (!O.bmsc || !O.fqdn || !O.zn_listen || !O.zn_secret || !O.service || !O.count ||
	    O.count > 1000000)
		die("usage: sec_mass_ue --bmsc URL --fqdn FQDN --zn-listen IP:PORT --zn-secret S "
		    "--service ID --count N [--out FILE] [--run-seconds S] [--kill-pid PID "
		    "--kill-after K] [--register-only yes]");
}

int main(int argc, char **argv)
{
	setvbuf(stdout, NULL, _IOLBF, 0);
	parse_args(argc, argv);
	if (mbms_crypto_init() != 0 || mbms_random(g_seed, sizeof(g_seed)) != 0 ||
	    curl_global_init(CURL_GLOBAL_DEFAULT) != 0)
		die("crypto / curl");
	signal(SIGPIPE, SIG_IGN);
	/* Zn first: libmicrohttpd polls with select(), its socket must be
	 * below FD_SETSIZE, before the thousands of UDP sockets */
	char zhost[64];
	const char *colon = strrchr(O.zn_listen, ':');
	if (!colon || (size_t)(colon - O.zn_listen) >= sizeof(zhost))
		die("--zn-listen IP:PORT");
	memcpy(zhost, O.zn_listen, (size_t)(colon - O.zn_listen));
	zhost[colon - O.zn_listen] = '\0';
	char cred[400], b64[560], err[256];
	snprintf(cred, sizeof(cred), "%s:%s", O.fqdn, O.zn_secret);
	mbms_base64_encode((const uint8_t *)cred, strlen(cred), b64, sizeof(b64));
	snprintf(g_zn_auth, sizeof(g_zn_auth), "Basic %s", b64);
	struct mbmsd_httpd *zn = mbmsd_httpd_start(zhost, (uint16_t)atoi(colon + 1), 4096,
						   zn_handle, NULL, err, sizeof(err));
	if (!zn)
		die("Zn listener: %s", err);

	/* descriptors: one socket per g_per_socket UEs, more UEs per socket
	 * when the descriptor limit is low */
	struct rlimit rl;
	if (getrlimit(RLIMIT_NOFILE, &rl) != 0)
		die("getrlimit: %s", strerror(errno));
	if (rl.rlim_cur < rl.rlim_max) {
		rl.rlim_cur = rl.rlim_max;
		(void)setrlimit(RLIMIT_NOFILE, &rl);
		(void)getrlimit(RLIMIT_NOFILE, &rl);
	}
	for (;;) {
		g_nsock = (O.count + g_per_socket - 1) / g_per_socket;
		if (g_nsock + 200 <= rl.rlim_cur)
			break;
		if (++g_per_socket > PER_SOCKET_MAX)
			die("%u UEs need %u sockets, the descriptor limit is %lu", O.count,
			    (O.count + PER_SOCKET_MAX - 1) / PER_SOCKET_MAX,
			    (unsigned long)rl.rlim_cur);
	}
	g_ue = calloc(O.count, sizeof(*g_ue));
	g_sock = calloc(g_nsock, sizeof(*g_sock));
	g_port = calloc(g_nsock, sizeof(*g_port));
	if (!g_ue || !g_sock || !g_port)
		die("out of memory");
	/* Keep 64 low descriptors free for the Zn listener's connections and
	 * libcurl (select() cannot watch descriptors >= FD_SETSIZE). */
	int reserve[64];
	for (int r = 0; r < 64; r++)
		reserve[r] = dup(STDERR_FILENO);
	int ep = epoll_create1(EPOLL_CLOEXEC);
	for (unsigned s = 0; s < g_nsock; s++) {
		int fd = socket(AF_INET, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
		struct sockaddr_in a = {.sin_family = AF_INET};
		inet_pton(AF_INET, "127.0.0.1", &a.sin_addr);
		socklen_t sl = sizeof(a);
		if (fd < 0 || bind(fd, (struct sockaddr *)&a, sizeof(a)) != 0 ||
		    getsockname(fd, (struct sockaddr *)&a, &sl) != 0)
			die("UDP socket %u: %s", s, strerror(errno));
		g_sock[s] = fd;
		g_port[s] = ntohs(a.sin_port);
		struct epoll_event ev = {.events = EPOLLIN, .data.u32 = s};
		if (epoll_ctl(ep, EPOLL_CTL_ADD, fd, &ev) != 0)
			die("epoll: %s", strerror(errno));
	}
	for (int r = 0; r < 64; r++)
		if (reserve[r] >= 0)
			close(reserve[r]);
	for (unsigned i = 0; i < O.count; i++)
		make_ue(i);

	/* registrations */
	g_curl = curl_easy_init();
	curl_easy_setopt(g_curl, CURLOPT_USERAGENT, "sec-mass-ue/0.1 3gpp-gba");
	curl_easy_setopt(g_curl, CURLOPT_NOPROXY, "*");
	curl_easy_setopt(g_curl, CURLOPT_TIMEOUT, 30L);
	struct mbms_km_service_list *l = calloc(1, sizeof(*l));
	char body[2048];
	size_t blen = 0;
	if (!l)
		die("out of memory");
	snprintf(l->service_id[l->count++], MBMS_KMXML_URI_MAX + 1, "%s", O.service);
	if (mbms_km_register_write(l, body, sizeof(body), &blen))
		die("register body");
	free(l);
	double t0 = now_s();
	unsigned ok = 0, refused = 0;
	long refused_status = 0;
	for (unsigned i = 0; i < O.count; i++) {
		long st = register_ue(i, body, blen);
		if (st == 200) {
			ok++;
		} else {
			refused++;
			refused_status = st;
		}
		if ((i + 1) % 2000 == 0)
			say("registered %u", i + 1);
	}
	curl_easy_cleanup(g_curl);
	if (O.register_only) {
		say("registrations ok=%u refused=%u refused_status=%ld", ok, refused, refused_status);
		mbmsd_httpd_stop(zn);
		return 0;
	}
	say("ready: %u UEs registered in %.1f s on %u UDP sockets", O.count, now_s() - t0, g_nsock);

	/* pushes */
	double t1 = now_s(), last_rx = t1;
	uint32_t which = 0;
	static struct epoll_event evs[256];
	/* until every UE holds one MSK and --linger seconds pass without a
	 * datagram: retransmissions (of acks lost in a burst, or resent after
	 * a restart) are acknowledged too */
	while (now_s() - t1 < O.run_seconds &&
	       !(all_hold(&which) && now_s() - last_rx > O.linger)) {
		int n = epoll_wait(ep, evs, 256, 100);
		if (n > 0)
			last_rx = now_s();
		for (int k = 0; k < n; k++) {
			int fd = g_sock[evs[k].data.u32];
			for (int m = 0; m < 64; m++) {
				uint8_t buf[2048];
				struct sockaddr_in from;
				socklen_t fl = sizeof(from);
				ssize_t got = recvfrom(fd, buf, sizeof(buf), 0, (struct sockaddr *)&from,
						       &fl);
				if (got < 0)
					break;
				on_datagram(fd, buf, (size_t)got, &from);
			}
		}
	}
	unsigned holding = 0;
	for (unsigned k = 0; k < g_nkeys; k++)
		if (g_keys[k].holders > holding) {
			holding = g_keys[k].holders;
			which = g_keys[k].msk_id;
		}
	say("summary ues=%u holding=%u msk=%08x changed=%lu replays=%lu errors=%lu acks=%lu rx=%lu "
	    "seconds=%.1f",
	    O.count, holding, which, g_changed, g_replays, g_errors, g_acks, g_rx, now_s() - t1);
	mbmsd_httpd_stop(zn);
	for (unsigned i = 0; i < O.count; i++) {
		mbms_key_store_wipe(&g_ue[i].ks);
		mbms_wipe(&g_ue[i], sizeof(g_ue[i]));
	}
	for (unsigned s = 0; s < g_nsock; s++)
		close(g_sock[s]);
	close(ep);
	free(g_ue);
	free(g_sock);
	free(g_port);
	curl_global_cleanup();
	return holding == O.count && g_changed == 0 && g_replays == 0 ? 0 : 1;
}
