/* libFuzzer target for the BM-SC's network-facing inputs with a fixed
 * configuration (lib/bmsc*.c): mbms_bmsc_http on fuzzed method, path,
 * requesttype, Content-Type, Authorization, X-MBMS-UE-Port and body, the
 * Zn answers it asks for, and mbms_bmsc_udp_input on fuzzed datagrams
 * (verification messages), with the clock ticking in between.
 *
 * Input: records  flags(1) | len(2) | method NUL path NUL requesttype NUL
 * content-type NUL authorization NUL ue-port NUL body
 * (a missing part is an absent header; "" for method/path means POST and
 * /keymanagement).
 *   flags bit 0  sign: a correct Digest auth-int Authorization for this
 *                method, uri and body (the harness knows the UE's MRK and
 *                the BM-SC's latest nonce), so the request gets past
 *                Digest into Content-Type, XML and the procedures
 *         bits 1-2 the Zn answer when asked: 0/1 found, 2 unknown B-TID,
 *                3 BSF down
 *         bit 3  also deliver the body as a datagram on the MIKEY socket;
 *                with bit 4, first rewrite it as the correct verification
 *                message for the last MSK message or trigger sent
 *         bits 5-7 tens of seconds to advance (and tick) first
 * Invariants: every answer is one of the documented statuses; a 401 comes
 * with a challenge and creates no registration, push or datagram; a 200 to
 * a POST carries Authentication-Info and a body that parses; no MUK in a
 * log line. */
#include "mbmssec/bmsc.h"
#include "mbmssec/crypto.h"
#include "mbmssec/digest.h"
#include "mbmssec/error.h"
#include "mbmssec/ids.h"
#include "mbmssec/kmxml.h"
#include "mbmssec/mbms_msg.h"
#include "mbmssec/profile.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define CHECK(c)                                                                                   \
	do {                                                                                       \
		if (!(c)) {                                                                        \
			fprintf(stderr, "fuzz_bmsc_http:%d: %s\n", __LINE__, #c);                  \
			abort();                                                                   \
		}                                                                                  \
	} while (0)

#define FQDN "bmsc.fuzz.example.org"
#define REALM MBMS_PROFILE_REALM_PREFIX FQDN
#define SVC "urn:example:mbms:news"
#define BTID "ZnV6ei1idGlkLTAwMDAwMQ==@bsf.example.org"
#define IMPI "001010000000001@ims.example.org"
#define T0 1800000000000ull

static struct mbms_bmsc_key_group_cfg kg[2] = {{0x0102, 3600000, 600000, 100, 60000},
					       {0x0203, 7200000, 600000, 65535, 600000}};
static uint16_t kgs_a[1] = {0x0102}, kgs_b[1] = {0x0203};
static const char *subs_b[1] = {"vip@ims.example.org"};
static struct mbms_bmsc_service_cfg svc[2];
static struct mbms_bmsc_addr mtk_to[1];
static struct mbms_bmsc_session_cfg sess[1];
static struct mbms_bmsc_config cfg;
static uint8_t ks_naf[32];
static char ha1[33];
static uint64_t rnd = 0x243F6A8885A308D3ull;

static int fake_random(void *user, uint8_t *buf, size_t len)
{
	(void)user;
	for (size_t i = 0; i < len; i++) {
		rnd ^= rnd << 13;
		rnd ^= rnd >> 7;
		rnd ^= rnd << 17;
		buf[i] = (uint8_t)rnd;
	}
	return 0;
}

static void setup(void)
{
	static bool done;
	if (done)
		return;
	done = true;
	svc[0] = (struct mbms_bmsc_service_cfg){.service_id = SVC, .key_groups = kgs_a,
						.nkey_groups = 1, .any_subscriber = true,
						.confidentiality = true, .integrity = true,
						.random_time_period = 5};
	svc[1] = (struct mbms_bmsc_service_cfg){.service_id = "urn:example:mbms:premium",
						.key_groups = kgs_b, .nkey_groups = 1,
						.subscribers = subs_b, .nsubscribers = 1};
	CHECK(mbms_bmsc_addr_from_ip("127.0.0.1", 30001, &mtk_to[0]) == 0);
	sess[0] = (struct mbms_bmsc_session_cfg){.name = "video", .service_id = SVC,
						 .key_group = 0x0102, .mtk_port = 2269,
						 .send_to = mtk_to, .nsend_to = 1,
						 .mtk_interval_ms = 2000};
	snprintf(sess[0].destination.host, sizeof(sess[0].destination.host), "127.0.0.1");
	sess[0].destination.port = 5004;
	cfg.fqdn = FQDN;
	cfg.announce_port = 8080;
	cfg.key_domain_id[0] = 0x00;
	cfg.key_domain_id[1] = 0xF1;
	cfg.key_domain_id[2] = 0x10;
	cfg.services = svc;
	cfg.nservices = 2;
	cfg.key_groups = kg;
	cfg.nkey_groups = 2;
	cfg.sessions = sess;
	cfg.nsessions = 1;
	cfg.nonce_lifetime_ms = 300000;
	cfg.nc_table_cap = 64;
	cfg.retransmit_initial_ms = 2000;
	cfg.retransmit_max_ms = 16000;
	cfg.retransmit_count = 3;
	cfg.counter_block = 8;
	cfg.random = fake_random;
	char why[256];
	CHECK(mbms_bmsc_config_check(&cfg, why, sizeof(why)) == 0);
	for (size_t i = 0; i < 32; i++)
		ks_naf[i] = (uint8_t)(0xa0 + i);
	char pw[64];
	CHECK(mbms_base64_encode(ks_naf, 32, pw, sizeof(pw)) == 0);
	CHECK(mbms_digest_ha1(BTID, REALM, (const uint8_t *)pw, strlen(pw), ha1) == 0);
}

/* what the harness remembers across requests of one input */
static struct {
	char nonce[MBMS_DIGEST_NONCE_LEN + 1];
	uint32_t nc;
	uint8_t last_push[MBMS_MSG_MAX_LEN];
	size_t last_push_len;
	size_t sends, regs_or_pushes;
	char muk_hex[65];
	bool muk_in_input; /* the input spells the MUK itself: logs may echo it */
} S;

static void drain(struct mbms_bmsc *b)
{
	const struct mbms_bmsc_action *a;
	while ((a = mbms_bmsc_action_next(b)) != NULL) {
		if (a->kind == MBMS_BMSC_ACT_SEND) {
			S.sends++;
			struct mbms_msg_info info;
			CHECK(mbms_msg_parse(a->u.send.data, a->u.send.len, MBMS_MSG_ANY,
					     &info) == 0);
			if (info.kind != MBMS_MSG_MTK && a->u.send.len <= sizeof(S.last_push)) {
				memcpy(S.last_push, a->u.send.data, a->u.send.len);
				S.last_push_len = a->u.send.len;
			}
		} else if (a->kind == MBMS_BMSC_ACT_PERSIST) {
			enum mbms_bmsc_rec_kind k = a->u.rec.kind;
			if (k == MBMS_BMSC_REC_REG || k == MBMS_BMSC_REC_PUSH)
				S.regs_or_pushes++;
		} else if (!S.muk_in_input) {
			/* a log line may echo what the client sent (a user name),
			 * never the MUK the BM-SC holds */
			CHECK(!strstr(a->u.log.text, S.muk_hex));
		}
	}
	mbms_bmsc_actions_done(b);
}

static void take_nonce(const char *www)
{
	struct mbms_digest_fields f;
	if (www[0] && mbms_digest_parse(www, strlen(www), true, &f) == 0 &&
	    mbms_digest_unquote(&f.nonce, S.nonce, sizeof(S.nonce)) == 0)
		S.nc = 0;
}

static const char *part(const char **p, const char *end, char *out, size_t cap)
{
	if (*p >= end)
		return NULL;
	const char *z = memchr(*p, '\0', (size_t)(end - *p));
	if (!z)
		return NULL;
	size_t n = (size_t)(z - *p);
	if (n >= cap)
		n = cap - 1;
	memcpy(out, *p, n);
	out[n] = '\0';
	*p = z + 1;
	return out;
}

static bool allowed(unsigned st)
{
	static const unsigned ok[] = {200, 400, 401, 403, 404, 405, 413, 415, 500, 503};
	for (size_t i = 0; i < sizeof(ok) / sizeof(ok[0]); i++)
		if (st == ok[i])
			return true;
	return false;
}

static void one_request(struct mbms_bmsc *b, uint8_t flags, const char *p, const char *end,
			uint64_t now)
{
	static char method[16], path[512], rt[128], ct[256], authz[4096], port[32], uri[700];
	struct mbms_bmsc_http_req req;
	memset(&req, 0, sizeof(req));
	req.method = part(&p, end, method, sizeof(method));
	req.path = part(&p, end, path, sizeof(path));
	if (!req.method || !*req.method)
		req.method = "POST";
	if (!req.path || !*req.path)
		req.path = MBMS_PROFILE_KM_PATH;
	req.requesttype = part(&p, end, rt, sizeof(rt));
	req.content_type = part(&p, end, ct, sizeof(ct));
	req.authorization = part(&p, end, authz, sizeof(authz));
	req.ue_port = part(&p, end, port, sizeof(port));
	req.body = (const uint8_t *)(p < end ? p : "");
	req.body_len = p < end ? (size_t)(end - p) : 0;
	CHECK(mbms_bmsc_addr_from_ip("127.0.0.1", 40000, &req.peer) == 0);
	if ((flags & 1) && S.nonce[0]) {
		char nc[9], resp[33];
		snprintf(nc, sizeof(nc), "%08x", ++S.nc);
		snprintf(uri, sizeof(uri), "%s?requesttype=%s", req.path,
			 req.requesttype ? req.requesttype : "");
		if (mbms_digest_response(ha1, S.nonce, nc, "fuzzcnonce", "auth-int", req.method,
					 uri, req.body, req.body_len, resp) == 0) {
			struct mbms_digest_creds c = {.username = BTID, .realm = REALM,
						      .nonce = S.nonce, .uri = uri,
						      .response = resp, .algorithm = "MD5",
						      .qop = "auth-int", .nc = nc,
						      .cnonce = "fuzzcnonce"};
			if (mbms_digest_format_authorization(&c, authz, sizeof(authz)) == 0)
				req.authorization = authz;
		}
	}
	static struct mbms_bmsc_http_rsp rsp;
	size_t sends0 = S.sends, regs0 = S.regs_or_pushes;
	CHECK(mbms_bmsc_http(b, &req, NULL, now, &rsp) == 0);
	drain(b);
	if (rsp.need_zn) {
		static struct mbms_bmsc_zn_answer zn;
		memset(&zn, 0, sizeof(zn));
		snprintf(zn.zn.btid, sizeof(zn.zn.btid), "%s", rsp.zn_btid);
		unsigned mode = (flags >> 1) & 3;
		zn.status = mode <= 1 ? 0 : mode == 2 ? MBMS_ENOTFOUND : MBMS_EIO;
		snprintf(zn.zn.impi, sizeof(zn.zn.impi), "%s", IMPI);
		memcpy(zn.zn.ks_naf, ks_naf, 32);
		zn.zn.expires_at = T0 / 1000 + 7200;
		CHECK(mbms_bmsc_http(b, &req, &zn, now, &rsp) == 0);
		drain(b);
		CHECK(!rsp.need_zn); /* one Zn round per request */
	}
	CHECK(allowed(rsp.status));
	if (rsp.status == 401) {
		CHECK(rsp.www_authenticate[0]);
		CHECK(S.sends == sends0 && S.regs_or_pushes == regs0);
		take_nonce(rsp.www_authenticate);
	}
	if (rsp.status == 200 && strcmp(req.method, "POST") == 0) {
		CHECK(rsp.auth_info[0] && rsp.content_type && rsp.body);
		if (strstr(rsp.content_type, "msk-response")) {
			static struct mbms_km_msk_response m;
			CHECK(mbms_km_msk_response_parse(rsp.body, rsp.body_len, &m) == 0);
		} else {
			static struct mbms_km_register_response m;
			CHECK(mbms_km_register_response_parse(rsp.body, rsp.body_len, &m) == 0);
		}
	}
}

static void one_datagram(struct mbms_bmsc *b, uint8_t flags, const uint8_t *d, size_t n,
			 uint64_t now)
{
	static uint8_t msg[MBMS_MSG_MAX_LEN + 64];
	size_t len = n < sizeof(msg) ? n : sizeof(msg);
	memcpy(msg, d, len);
	if ((flags & 16) && S.last_push_len) {
		struct mbms_msg_info info;
		struct mbms_acked acked;
		if (mbms_msg_verify(S.last_push, S.last_push_len, MBMS_MSG_ANY, ks_naf, 32, NULL,
				    &info) == 0 &&
		    mbms_acked_from_info(&info, &acked) == 0)
			(void)mbms_verification_build(ks_naf, 32, &acked, msg, sizeof(msg), &len);
		mbms_msg_info_wipe(&info);
	}
	struct mbms_bmsc_addr from;
	CHECK(mbms_bmsc_addr_from_ip("127.0.0.1", 40000, &from) == 0);
	(void)mbms_bmsc_udp_input(b, &from, msg, len, now);
	drain(b);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	setup();
	memset(&S, 0, sizeof(S));
	rnd = 0x243F6A8885A308D3ull;
	CHECK(mbms_hex_encode(ks_naf, 32, S.muk_hex, sizeof(S.muk_hex)) == 0);
	S.muk_in_input = false;
	for (size_t i = 0; i + 64 <= size && !S.muk_in_input; i++)
		S.muk_in_input = memcmp(data + i, S.muk_hex, 64) == 0;
	struct mbms_bmsc *b = NULL;
	CHECK(mbms_bmsc_new(&cfg, &b) == 0);
	uint64_t now = T0;
	CHECK(mbms_bmsc_start(b, now) == 0);
	drain(b);
	/* a first challenge, as a UE's first request gets */
	static const char first[] = "POST\0" MBMS_PROFILE_KM_PATH "\0register";
	one_request(b, 0, first, first + sizeof(first), now);
	size_t off = 0;
	for (int rec = 0; off + 3 <= size && rec < 12; rec++) {
		uint8_t flags = data[off];
		size_t len = (size_t)data[off + 1] << 8 | data[off + 2];
		off += 3;
		if (len > size - off)
			len = size - off;
		const char *p = (const char *)data + off;
		off += len;
		unsigned steps = flags >> 5;
		if (steps) {
			now += steps * 10000u;
			for (int g = 0; g < 64 && mbms_bmsc_tick(b, now, 0) == 1; g++)
				drain(b);
			drain(b);
		}
		one_request(b, flags, p, p + len, now);
		if (flags & 8) {
			const char *body = p;
			for (int k = 0; k < 6 && body < p + len; k++) {
				const char *z = memchr(body, '\0', (size_t)(p + len - body));
				body = z ? z + 1 : p + len;
			}
			one_datagram(b, flags, (const uint8_t *)body, (size_t)(p + len - body),
				     now);
		}
	}
	mbms_bmsc_free(b);
	return 0;
}
