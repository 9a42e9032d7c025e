/* bmsc_test_ue — a scripted UE for the BM-SC integration tests
 * (tests/integration/test_bmsc*.sh). A test tool, not the UE client (that
 * is ue/): each invocation does one step and keeps what a UE remembers in a
 * state file (B-TID, Ks_NAF, Digest nonce and nc, the MUK's TS counter,
 * the MSK key store, the USIM SQN array).
 *
 * Built on the library and common/: Ub bootstrap with common/ub_http.c,
 * Digest auth-int Authorization with digest.h, POST with libcurl, MSK
 * messages verified with mbms_ue_rx_muk_msg and acknowledged with
 * mbms_verification_build, MTK messages with mbms_ue_rx_mtk_msg. Switches
 * drop acks or pushes, tamper with a signed body, replay a request, use
 * qop=auth. Output: one "key: value" or "rx ..." line per fact, for grep. */
#include "ub_http.h"

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
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#define STATE_MAGIC "BMSCTUE3"
#define USER_AGENT "bmsc-test-ue/0.1 3gpp-gba"
#define MAX_ITEMS 16

static const char usage_text[] =
	"usage: bmsc_test_ue --state FILE COMMAND [options]\n"
	"commands:\n"
	"  bootstrap --bsf URL --impi IMPI --k HEX --opc HEX --fqdn FQDN\n"
	"            Ub with the BSF; Ks_NAF for the BM-SC FQDN (also a re-bootstrap)\n"
	"  password  print base64(MRK) (the Digest password, for curl --digest)\n"
	"  register    --bmsc URL --service ID [--service ID ...]\n"
	"  deregister  --bmsc URL --service ID [--service ID ...]\n"
	"  msk-request --bmsc URL --msk HEX8 [--msk HEX8 ...] [--kd HEX6]\n"
	"  post        --bmsc URL --requesttype T --content-type CT --body-file F\n"
	"  listen      (only receive)\n"
	"options of the HTTP commands:\n"
	"  --tamper      sign the body, then change one byte of it\n"
	"  --replay      send the signed request a second time, same nc\n"
	"  --qop-auth    qop=auth instead of auth-int\n"
	"  --no-auth     no Authorization at all\n"
	"  --trace       show the HTTP exchanges on stderr\n"
	"options that receive MIKEY (the UDP socket is bound before any request):\n"
	"  --port P            UDP port of the UE (0: any; sent as X-MBMS-UE-Port);\n"
	"                      default: the port of the previous invocation\n"
	"  --listen SECONDS    then receive MSK messages and triggers this long\n"
	"  --expect N          stop after N MSK installs (exit 3 if not reached)\n"
	"  --expect-mtk N      stop after N verified MTK messages (exit 3 if not\n"
	"                      reached); with --expect, stop when both are reached\n"
	"  --drop-acks N       do not acknowledge the first N messages\n"
	"  --drop-pushes N     ignore the first N MSK messages entirely\n"
	"  --auto-request URL  answer a trigger with an MSK request (Key Number 0)\n"
	"  --mtk-port P        also receive MTK messages on this port\n";

struct ue_state {
	char magic[8];
	char impi[MBMS_GBA_IMPI_MAX];
	char btid[MBMS_GBA_BTID_MAX];
	char fqdn[MBMS_GBA_HOST_MAX];
	uint8_t ks_naf[MBMS_KS_NAF_LEN];
	uint64_t expires_at;
	struct mbms_sqn_ms sqn_ms;
	char nonce[MBMS_DIGEST_NONCE_LEN + 1];
	uint32_t nc;
	uint16_t port; /* the UE's MIKEY port, kept so that it stays the one registered */
	struct mbms_muk_state muk;
	struct mbms_key_store ks;
};

struct opts {
	const char *state, *cmd, *bsf, *impi, *k, *opc, *fqdn, *bmsc, *kd, *requesttype,
		*content_type, *body_file, *auto_request;
	const char *services[MAX_ITEMS];
	size_t nservices;
	const char *msks[MAX_ITEMS];
	size_t nmsks;
	bool tamper, replay, qop_auth, no_auth, trace;
	int port, mtk_port;
	double listen;
	long expect, expect_mtk, drop_acks, drop_pushes;
};

static struct ue_state S;
static struct opts O;
static int g_sock = -1, g_mtk_sock = -1;
static uint16_t g_port;
static long g_installs, g_mtk_rx;

static void die(const char *fmt, ...) __attribute__((format(printf, 1, 2), noreturn));

static void die(const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	fprintf(stderr, "bmsc_test_ue: ");
	vfprintf(stderr, fmt, ap);
	fprintf(stderr, "\n");
	va_end(ap);
	exit(1);
}

static uint64_t now_s(void) { return (uint64_t)time(NULL); }

static void state_load(void)
{
	FILE *f = fopen(O.state, "rb");
	if (!f)
		die("no state in %s (bootstrap first)", O.state);
	if (fread(&S, sizeof(S), 1, f) != 1 || memcmp(S.magic, STATE_MAGIC, 8) != 0)
		die("%s is not a state file of this version", O.state);
	fclose(f);
}

static void state_save(void)
{
	memcpy(S.magic, STATE_MAGIC, 8);
	char tmp[4200];
	snprintf(tmp, sizeof(tmp), "%s.tmp", O.state);
	int fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC, 0600);
	if (fd < 0 || write(fd, &S, sizeof(S)) != (ssize_t)sizeof(S) || close(fd) != 0 ||
	    rename(tmp, O.state) != 0)
		die("cannot write %s: %s", O.state, strerror(errno));
}

static void hex_exact(const char *name, const char *v, uint8_t *out, size_t len)
{
	size_t got = 0;
	if (!v || strlen(v) != 2 * len || mbms_hex_decode(v, strlen(v), out, len, &got) || got != len)
		die("--%s must be %zu bytes of hex", name, len);
}

/* ---- bootstrap ---- */

static void cmd_bootstrap(void)
{
	if (!O.bsf || !O.impi || !O.k || !O.opc || !O.fqdn)
		die("bootstrap needs --bsf, --impi, --k, --opc, --fqdn");
	bool have = access(O.state, F_OK) == 0;
	if (have)
		state_load();
	else
		memset(&S, 0, sizeof(S));
	uint8_t k[16], opc[16];
	hex_exact("k", O.k, k, 16);
	hex_exact("opc", O.opc, opc, 16);
	const char *host = strstr(O.bsf, "://");
	char bsf_host[256] = "bsf";
	if (host) {
		snprintf(bsf_host, sizeof(bsf_host), "%s", host + 3);
		bsf_host[strcspn(bsf_host, ":/")] = '\0';
	}
	struct mbms_gba_client *c = calloc(1, sizeof(*c));
	if (!c || mbms_gba_client_init(c, O.impi, k, opc, bsf_host, have ? &S.sqn_ms : NULL))
		die("cannot set up the GBA client");
	struct mbmsd_ub_outcome out;
	int rc = mbmsd_ub_bootstrap(O.bsf, c, &out);
	if (rc)
		die("bootstrap: %s", out.error);
	snprintf(S.impi, sizeof(S.impi), "%s", O.impi);
	snprintf(S.btid, sizeof(S.btid), "%s", c->btid);
	snprintf(S.fqdn, sizeof(S.fqdn), "%s", O.fqdn);
	S.expires_at = c->expires_at;
	S.sqn_ms = c->sqn_ms;
	if (mbms_gba_client_ks_naf(c, O.fqdn, now_s(), S.ks_naf))
		die("no Ks_NAF");
	mbms_gba_client_wipe(c);
	free(c);
	/* a new MUK (IDr = the new B-TID); the MSKs stay */
	if (mbms_muk_state_init(&S.muk, S.ks_naf, (const uint8_t *)S.fqdn, strlen(S.fqdn),
				(const uint8_t *)S.btid, strlen(S.btid)))
		die("MUK ID too long");
	if (!have)
		mbms_key_store_init(&S.ks);
	S.nonce[0] = '\0';
	S.nc = 0;
	state_save();
	printf("btid: %s\n", S.btid);
}

/* ---- HTTP with our own Digest auth-int ---- */

struct http_rsp {
	long status;
	char www_auth[1024];
	char auth_info[1024];
	char *body;
	size_t len;
};

static size_t on_body(char *data, size_t size, size_t nmemb, void *user)
{
	struct http_rsp *r = user;
	size_t n = size * nmemb;
	char *nb = realloc(r->body, r->len + n + 1);
	if (!nb)
		return 0;
	memcpy(nb + r->len, data, n);
	r->body = nb;
	r->len += n;
	r->body[r->len] = '\0';
	return n;
}

static void header_value(const char *line, size_t n, const char *name, char *out, size_t cap)
{
	size_t nn = strlen(name);
	if (n <= nn || strncasecmp(line, name, nn) != 0 || line[nn] != ':' || out[0])
		return;
	const char *v = line + nn + 1;
	size_t vn = n - nn - 1;
	while (vn && (*v == ' ' || *v == '\t')) {
		v++;
		vn--;
	}
	while (vn && (v[vn - 1] == '\r' || v[vn - 1] == '\n' || v[vn - 1] == ' '))
		vn--;
	if (vn < cap) {
		memcpy(out, v, vn);
		out[vn] = '\0';
	}
}

static size_t on_header(char *line, size_t size, size_t nmemb, void *user)
{
	struct http_rsp *r = user;
	size_t n = size * nmemb;
	if (n >= 5 && strncmp(line, "HTTP/", 5) == 0) {
		r->www_auth[0] = r->auth_info[0] = '\0';
		return n;
	}
	header_value(line, n, "WWW-Authenticate", r->www_auth, sizeof(r->www_auth));
	header_value(line, n, "Authentication-Info", r->auth_info, sizeof(r->auth_info));
	return n;
}

static void http_post(const char *url, const char *content_type, const char *authz,
		      const uint8_t *body, size_t len, struct http_rsp *r)
{
	free(r->body);
	memset(r, 0, sizeof(*r));
	CURL *c = curl_easy_init();
	if (!c)
		die("libcurl");
	struct curl_slist *h = NULL;
	char line[2048];
	if (content_type) {
		snprintf(line, sizeof(line), "Content-Type: %s", content_type);
		h = curl_slist_append(h, line);
	} else {
		h = curl_slist_append(h, "Content-Type:");
	}
	if (authz) {
		snprintf(line, sizeof(line), "Authorization: %s", authz);
		h = curl_slist_append(h, line);
	}
	snprintf(line, sizeof(line), "%s: %u", MBMS_PROFILE_UE_PORT_HEADER, g_port);
	if (g_sock >= 0)
		h = curl_slist_append(h, line);
	h = curl_slist_append(h, "Expect:");
	curl_easy_setopt(c, CURLOPT_URL, url);
	curl_easy_setopt(c, CURLOPT_HTTPHEADER, h);
	curl_easy_setopt(c, CURLOPT_USERAGENT, USER_AGENT);
	curl_easy_setopt(c, CURLOPT_POST, 1L);
	curl_easy_setopt(c, CURLOPT_POSTFIELDS, (const char *)body);
	curl_easy_setopt(c, CURLOPT_POSTFIELDSIZE, (long)len);
	curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, on_body);
	curl_easy_setopt(c, CURLOPT_WRITEDATA, r);
	curl_easy_setopt(c, CURLOPT_HEADERFUNCTION, on_header);
	curl_easy_setopt(c, CURLOPT_HEADERDATA, r);
	curl_easy_setopt(c, CURLOPT_TIMEOUT, 20L);
	curl_easy_setopt(c, CURLOPT_NOPROXY, "*");
	if (O.trace) {
		curl_easy_setopt(c, CURLOPT_VERBOSE, 1L);
		fprintf(stderr, "-- request body: %.*s\n", (int)len, (const char *)body);
	}
	CURLcode cr = curl_easy_perform(c);
	if (O.trace && r->body)
		fprintf(stderr, "-- response body: %s\n", r->body);
	if (cr != CURLE_OK)
		die("POST %s: %s", url, curl_easy_strerror(cr));
	curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &r->status);
	curl_slist_free_all(h);
	curl_easy_cleanup(c);
}

static void take_challenge(const struct http_rsp *r)
{
	struct mbms_digest_fields f;
	if (!r->www_auth[0] || mbms_digest_parse(r->www_auth, strlen(r->www_auth), true, &f) ||
	    mbms_digest_unquote(&f.nonce, S.nonce, sizeof(S.nonce)))
		die("401 without a Digest challenge");
	char realm[512];
	snprintf(realm, sizeof(realm), "%s%s", MBMS_PROFILE_REALM_PREFIX, S.fqdn);
	if (!mbms_digest_str_eq(&f.realm, realm))
		die("challenge for another realm");
	S.nc = 0;
	printf("challenge: %s%s\n", mbms_digest_str_caseeq(&f.stale, "true") ? "stale " : "",
	       r->www_auth);
}

/* One key-management request: Digest auth-int with password base64(MRK)
 * (PROFILE.md 10.13), rspauth checked on a 200. Returns the status. */
static long km_request(const char *base, const char *requesttype, const char *content_type,
		       const uint8_t *body0, size_t len, struct http_rsp *r)
{
	char url[2048], uri[256];
	snprintf(uri, sizeof(uri), "%s?requesttype=%s", MBMS_PROFILE_KM_PATH, requesttype);
	snprintf(url, sizeof(url), "%s%s", base, uri);
	uint8_t *body = malloc(len + 1);
	if (!body)
		die("out of memory");
	memcpy(body, body0, len);
	body[len] = '\0';
	if (O.no_auth) {
		http_post(url, content_type, NULL, body, len, r);
		free(body);
		return r->status;
	}
	char realm[512], pw[64], ha1[33], resp[33], nc[9], cnonce[17], authz[2048];
	snprintf(realm, sizeof(realm), "%s%s", MBMS_PROFILE_REALM_PREFIX, S.fqdn);
	mbms_base64_encode(S.ks_naf, 32, pw, sizeof(pw));
	mbms_digest_ha1(S.btid, realm, (const uint8_t *)pw, strlen(pw), ha1);
	mbms_wipe(pw, sizeof(pw));
	const char *qop = O.qop_auth ? "auth" : "auth-int";
	for (int attempt = 0; attempt < 3; attempt++) {
		if (!S.nonce[0]) {
			http_post(url, content_type, NULL, body, len, r);
			if (r->status != 401)
				break;
			take_challenge(r);
		}
		snprintf(nc, sizeof(nc), "%08x", ++S.nc);
		uint8_t cr[8];
		mbms_random(cr, sizeof(cr));
		mbms_hex_encode(cr, sizeof(cr), cnonce, sizeof(cnonce));
		mbms_digest_response(ha1, S.nonce, nc, cnonce, qop, "POST", uri, body, len, resp);
		struct mbms_digest_creds c = {.username = S.btid, .realm = realm, .nonce = S.nonce,
					      .uri = uri, .response = resp, .algorithm = "MD5",
					      .qop = qop, .nc = nc, .cnonce = cnonce};
		if (mbms_digest_format_authorization(&c, authz, sizeof(authz)))
			die("Authorization too long");
		if (O.tamper && len)
			body[len / 2] ^= 0x01;
		http_post(url, content_type, authz, body, len, r);
		if (O.replay) {
			printf("http: %ld\n", r->status);
			printf("replay: same Authorization again\n");
			http_post(url, content_type, authz, body, len, r);
			break;
		}
		if (r->status == 401 && !O.tamper && !O.qop_auth) {
			/* stale, or a restarted BM-SC that no longer knows our nonce */
			take_challenge(r);
			continue;
		}
		break;
	}
	if (r->status == 200) {
		struct mbms_digest_fields f;
		char want[33];
		if (!r->auth_info[0] ||
		    mbms_digest_parse(r->auth_info, strlen(r->auth_info), false, &f) ||
		    mbms_digest_rspauth(ha1, S.nonce, nc, cnonce, qop, uri, (const uint8_t *)r->body,
					r->len, want) ||
		    mbms_digest_check_response(&f.rspauth, want))
			printf("rspauth: BAD\n");
		else
			printf("rspauth: ok\n");
	}
	mbms_wipe(ha1, sizeof(ha1));
	free(body);
	return r->status;
}

static void print_items(const char *requesttype, const struct http_rsp *r)
{
	if (r->status != 200 || !r->body)
		return;
	if (!strcmp(requesttype, "msk-request")) {
		struct mbms_km_msk_response m;
		if (mbms_km_msk_response_parse(r->body, r->len, &m)) {
			printf("body: unparseable\n");
			return;
		}
		for (size_t i = 0; i < m.count; i++)
			printf("item: %08x %u\n", m.item[i].msk_id, m.item[i].status);
	} else {
		struct mbms_km_register_response *m = calloc(1, sizeof(*m));
		if (!m || mbms_km_register_response_parse(r->body, r->len, m)) {
			printf("body: unparseable\n");
			free(m);
			return;
		}
		for (size_t i = 0; i < m->count; i++)
			printf("item: %s %u\n", m->item[i].service_id, m->item[i].status);
		free(m);
	}
}

static void msk_request(const char *base, const uint32_t *ids, size_t n)
{
	struct mbms_km_msk_request rq;
	memset(&rq, 0, sizeof(rq));
	if (O.kd) {
		hex_exact("kd", O.kd, rq.key_domain_id, 3);
	} else {
		uint8_t kd[3] = {0x00, 0xF1, 0x10};
		memcpy(rq.key_domain_id, kd, 3);
	}
	for (size_t i = 0; i < n; i++)
		rq.msk_id[rq.count++] = ids[i];
	char body[4096];
	size_t len;
	if (mbms_km_msk_request_write(&rq, body, sizeof(body), &len))
		die("cannot write the request");
	struct http_rsp r = {0};
	long st = km_request(base, "msk-request", MBMS_MEDIA_TYPE_MSK_REQUEST, (uint8_t *)body, len,
			     &r);
	printf("http: %ld\n", st);
	print_items("msk-request", &r);
	free(r.body);
	fflush(stdout);
}

/* ---- MIKEY ---- */

static int udp_bind(int port, uint16_t *bound)
{
	int fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port)};
	inet_pton(AF_INET, "127.0.0.1", &a.sin_addr);
	if (fd < 0 || bind(fd, (struct sockaddr *)&a, sizeof(a)) != 0)
		die("bind 127.0.0.1:%d: %s", port, strerror(errno));
	socklen_t sl = sizeof(a);
	getsockname(fd, (struct sockaddr *)&a, &sl);
	*bound = ntohs(a.sin_port);
	return fd;
}

static void on_muk_msg(const uint8_t *msg, size_t len, const struct sockaddr_in *from)
{
	struct mbms_msg_info pre;
	if (mbms_msg_parse(msg, len, MBMS_MSG_F_MUK, &pre) == 0 && pre.kind == MBMS_MSG_MSK &&
	    O.drop_pushes > 0) {
		O.drop_pushes--;
		printf("rx msk %08x ts=%u dropped (push ignored)\n", pre.msk_id, pre.ts_counter);
		return;
	}
	struct mbms_msg_info info;
	int rc = mbms_ue_rx_muk_msg(&S.muk, &S.ks, msg, len, &info);
	if (rc) {
		printf("rx error %s\n", mbms_errname(rc));
		mbms_msg_info_wipe(&info);
		return;
	}
	bool trig = info.kind == MBMS_MSG_TRIGGER;
	printf("rx %s %08x ts=%u v=%d", trig ? "trigger" : "msk", info.msk_id, info.ts_counter,
	       info.v_flag);
	if (info.v_flag) {
		if (O.drop_acks > 0) {
			O.drop_acks--;
			printf(" ack=dropped");
		} else {
			struct mbms_acked acked;
			uint8_t ack[256];
			size_t alen;
			if (mbms_acked_from_info(&info, &acked) ||
			    mbms_verification_build(S.ks_naf, 32, &acked, ack, sizeof(ack), &alen) ||
			    sendto(g_sock, ack, alen, 0, (const struct sockaddr *)from, sizeof(*from)) < 0)
				printf(" ack=failed");
			else
				printf(" ack=sent");
		}
	}
	printf("\n");
	fflush(stdout);
	if (!trig)
		g_installs++;
	uint32_t trigger_id = trig ? info.msk_id : 0;
	mbms_msg_info_wipe(&info);
	state_save();
	if (trig && O.auto_request) {
		/* the solicited pull's answer: the current MSK of that Key Group */
		uint32_t id = mbms_msk_id_make(mbms_msk_id_key_group(trigger_id), 0);
		msk_request(O.auto_request, &id, 1);
		state_save();
	}
}

static void on_mtk_msg(const uint8_t *msg, size_t len)
{
	struct mbms_msg_info info;
	int rc = mbms_ue_rx_mtk_msg(&S.ks, msg, len, &info);
	if (rc) {
		printf("rx mtk error %s\n", mbms_errname(rc));
	} else {
		printf("rx mtk msk=%08x mtk=%u ts=%u\n", info.msk_id, info.mtk_id, info.ts_counter);
		g_mtk_rx++;
	}
	mbms_msg_info_wipe(&info);
	fflush(stdout);
	state_save();
}

/* --expect / --expect-mtk: what was asked for has come */
static bool expectations_met(void)
{
	if (O.expect <= 0 && O.expect_mtk <= 0)
		return false;
	return (O.expect <= 0 || g_installs >= O.expect) &&
	       (O.expect_mtk <= 0 || g_mtk_rx >= O.expect_mtk);
}

static void listen_loop(double seconds)
{
	struct timespec t0;
	clock_gettime(CLOCK_MONOTONIC, &t0);
	for (;;) {
		if (expectations_met())
			return;
		struct timespec t;
		clock_gettime(CLOCK_MONOTONIC, &t);
		double left = seconds - ((double)(t.tv_sec - t0.tv_sec) + (t.tv_nsec - t0.tv_nsec) / 1e9);
		if (left <= 0)
			return;
		struct pollfd p[2] = {{g_sock, POLLIN, 0}, {g_mtk_sock, POLLIN, 0}};
		int n = poll(p, g_mtk_sock >= 0 ? 2 : 1, (int)(left * 1000) + 1);
		if (n <= 0)
			continue;
		for (int i = 0; i < 2; i++) {
			if (!(p[i].revents & POLLIN))
				continue;
			uint8_t buf[2048];
			struct sockaddr_in from;
			socklen_t fl = sizeof(from);
			ssize_t len = recvfrom(p[i].fd, buf, sizeof(buf), 0, (struct sockaddr *)&from, &fl);
			if (len <= 0)
				continue;
			if (i == 0)
				on_muk_msg(buf, (size_t)len, &from);
			else
				on_mtk_msg(buf, (size_t)len);
		}
	}
}

/* ---- main ---- */

static bool arg_is(char **argv, int i, const char *name) { return !strcmp(argv[i], name); }

static void parse(int argc, char **argv)
{
	O.port = -1;
	O.mtk_port = -1;
	for (int i = 1; i < argc; i++) {
		const char *a = argv[i];
		const char *v = i + 1 < argc ? argv[i + 1] : NULL;
#define VAL(name, field)                                                                           \
	if (arg_is(argv, i, name)) {                                                               \
		if (!v)                                                                            \
			die("%s needs a value", name);                                             \
		field = v;                                                                         \
		i++;                                                                               \
		continue;                                                                          \
	}
		VAL("--state", O.state)
		VAL("--bsf", O.bsf)
		VAL("--impi", O.impi)
		VAL("--k", O.k)
		VAL("--opc", O.opc)
		VAL("--fqdn", O.fqdn)
		VAL("--bmsc", O.bmsc)
		VAL("--kd", O.kd)
		VAL("--requesttype", O.requesttype)
		VAL("--content-type", O.content_type)
		VAL("--body-file", O.body_file)
		VAL("--auto-request", O.auto_request)
#undef VAL
		if (arg_is(argv, i, "--service") && v) {
			if (O.nservices == MAX_ITEMS)
				die("too many --service");
			O.services[O.nservices++] = v;
			i++;
		} else if (arg_is(argv, i, "--msk") && v) {
			if (O.nmsks == MAX_ITEMS)
				die("too many --msk");
			O.msks[O.nmsks++] = v;
			i++;
		} else if (arg_is(argv, i, "--port") && v) {
			O.port = atoi(v);
			i++;
		} else if (arg_is(argv, i, "--mtk-port") && v) {
			O.mtk_port = atoi(v);
			i++;
		} else if (arg_is(argv, i, "--listen") && v) {
			O.listen = atof(v);
			i++;
		} else if (arg_is(argv, i, "--expect") && v) {
			O.expect = atol(v);
			i++;
		} else if (arg_is(argv, i, "--expect-mtk") && v) {
			O.expect_mtk = atol(v);
			i++;
		} else if (arg_is(argv, i, "--drop-acks") && v) {
			O.drop_acks = atol(v);
			i++;
		} else if (arg_is(argv, i, "--drop-pushes") && v) {
			O.drop_pushes = atol(v);
			i++;
		} else if (arg_is(argv, i, "--tamper")) {
			O.tamper = true;
		} else if (arg_is(argv, i, "--replay")) {
			O.replay = true;
		} else if (arg_is(argv, i, "--qop-auth")) {
			O.qop_auth = true;
		} else if (arg_is(argv, i, "--no-auth")) {
			O.no_auth = true;
		} else if (arg_is(argv, i, "--trace")) {
			O.trace = true;
		} else if (a[0] != '-' && !O.cmd) {
			O.cmd = a;
		} else if (!strcmp(a, "--help")) {
			fputs(usage_text, stdout);
			exit(0);
		} else {
			die("unexpected argument '%s' (--help)", a);
		}
	}
	if (!O.state || !O.cmd) {
		fputs(usage_text, stderr);
		exit(2);
	}
}

int main(int argc, char **argv)
{
	setvbuf(stdout, NULL, _IOLBF, 0);
	parse(argc, argv);
	if (curl_global_init(CURL_GLOBAL_DEFAULT))
		die("libcurl");
	if (!strcmp(O.cmd, "bootstrap")) {
		cmd_bootstrap();
		return 0;
	}
	state_load();
	if (!strcmp(O.cmd, "password")) {
		char pw[64];
		mbms_base64_encode(S.ks_naf, 32, pw, sizeof(pw));
		printf("%s\n", pw);
		return 0;
	}
	/* The UDP socket is bound before any request: pushes may arrive before
	 * the HTTP answer. Its port stays the UE's across invocations. */
	g_sock = udp_bind(O.port >= 0 ? O.port : S.port, &g_port);
	S.port = g_port;
	printf("port: %u\n", g_port);
	if (O.mtk_port >= 0) {
		uint16_t p;
		g_mtk_sock = udp_bind(O.mtk_port, &p);
		printf("mtk-port: %u\n", p);
	}
	int ret = 0;
	if (!strcmp(O.cmd, "register") || !strcmp(O.cmd, "deregister")) {
		if (!O.bmsc || !O.nservices)
			die("%s needs --bmsc and --service", O.cmd);
		struct mbms_km_service_list *l = calloc(1, sizeof(*l));
		for (size_t i = 0; l && i < O.nservices; i++)
			snprintf(l->service_id[l->count++], MBMS_KMXML_URI_MAX + 1, "%s", O.services[i]);
		char body[8192];
		size_t len;
		bool reg = !strcmp(O.cmd, "register");
		if (!l || (reg ? mbms_km_register_write(l, body, sizeof(body), &len)
			       : mbms_km_deregister_write(l, body, sizeof(body), &len)))
			die("cannot write the body");
		free(l);
		struct http_rsp r = {0};
		long st = km_request(O.bmsc, O.cmd,
				     reg ? MBMS_MEDIA_TYPE_REGISTER : MBMS_MEDIA_TYPE_DEREGISTER,
				     (uint8_t *)body, len, &r);
		printf("http: %ld\n", st);
		print_items(O.cmd, &r);
		free(r.body);
	} else if (!strcmp(O.cmd, "msk-request")) {
		if (!O.bmsc || !O.nmsks)
			die("msk-request needs --bmsc and --msk");
		uint32_t ids[MAX_ITEMS];
		for (size_t i = 0; i < O.nmsks; i++) {
			uint8_t b[4];
			hex_exact("msk", O.msks[i], b, 4);
			ids[i] = mbms_get_be32(b);
		}
		msk_request(O.bmsc, ids, O.nmsks);
	} else if (!strcmp(O.cmd, "post")) {
		if (!O.bmsc || !O.requesttype || !O.body_file)
			die("post needs --bmsc, --requesttype, --body-file");
		FILE *f = fopen(O.body_file, "rb");
		if (!f)
			die("%s: %s", O.body_file, strerror(errno));
		static uint8_t body[256 * 1024];
		size_t len = fread(body, 1, sizeof(body), f);
		fclose(f);
		struct http_rsp r = {0};
		long st = km_request(O.bmsc, O.requesttype, O.content_type, body, len, &r);
		printf("http: %ld\n", st);
		free(r.body);
	} else if (strcmp(O.cmd, "listen") != 0) {
		die("unknown command '%s' (--help)", O.cmd);
	}
	state_save();
	if (O.listen > 0 && (g_sock >= 0 || g_mtk_sock >= 0)) {
		listen_loop(O.listen);
		printf("installs: %ld\n", g_installs);
		if ((O.expect > 0 && g_installs < O.expect) ||
		    (O.expect_mtk > 0 && g_mtk_rx < O.expect_mtk))
			ret = 3;
	}
	printf("keys:");
	for (size_t i = 0; i < MBMS_KEY_STORE_MAX_MSKS; i++)
		if (S.ks.msk[i].used)
			printf(" %08x", S.ks.msk[i].msk_id);
	printf("\n");
	state_save();
	curl_global_cleanup();
	return ret;
}
