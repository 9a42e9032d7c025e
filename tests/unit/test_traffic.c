/* Traffic protection, the sans-I/O part (include/mbmssec/traffic.h):
 *  - byte layouts, table-driven with cases that must fail: the MKI
 *    (PROFILE.md 5.5), RTP headers (RFC 3550 5.1, 5.3.1), the MKI's place
 *    in an SRTP packet (RFC 3711 3.1), the length-prefixed RTP file, the
 *    generated stream;
 *  - the BM-SC's MTK per packet (mbms_bmsc_stream_key): a new MTK by
 *    packet count, on demand and at the MSK switch-over, its MTK message
 *    queued before the key is handed out, the SPI equal to the MKI;
 *  - the UE's key by MKI (mbms_traffic_rx) against the library BM-SC and UE
 *    state machines wired without sockets: decrypt with the MTK the BM-SC
 *    used, hold a packet whose MTK message comes late and release it, keep
 *    the previous MTK for late packets, drop an MTK that is gone or out of
 *    range, and the missed key update set off by an SRTP MKI naming an MSK
 *    the UE lacks, after which it decrypts again; hold buffer bounds.
 * The SRTP transform itself is tested in test_traffic_srtp.c. */
#include "testutil.h"

#include "mbmssec/bmsc.h"
#include "mbmssec/crypto.h"
#include "mbmssec/error.h"
#include "mbmssec/gba.h"
#include "mbmssec/ids.h"
#include "mbmssec/kdf.h"
#include "mbmssec/traffic.h"
#include "mbmssec/ue.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void assert_rc(int got, int want, const char *what)
{
	if (got != want)
		fail_msg("%s: got %s (%d), expected %s (%d)", what, mbms_errname(got), got,
			 mbms_errname(want), want);
}

/* ---- MKI ---- */

static void test_mki_table(void **state)
{
	(void)state;
	static const struct {
		const char *name, *hex;
		int rc;
		uint32_t msk_id;
		uint16_t mtk_id;
	} cases[] = {
		{"PROFILE.md 5.5: MSK ID 01022f43, MTK ID 1", "01022f430001", 0, 0x01022f43, 1},
		{"MTK ID at its top", "0102ffffffff", 0, 0x0102ffff, 0xffff},
		{"Key Group 0 is a Key Group", "000000010000", 0, 0x00000001, 0},
		{"must fail: Key Number 0 names no MSK (PROFILE.md 3)", "010200000001", MBMS_EKEYNUM0, 0, 0},
		{"must fail: 5 bytes", "01022f4300", MBMS_ELENGTH, 0, 0},
		{"must fail: 7 bytes", "01022f43000100", MBMS_ELENGTH, 0, 0},
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		size_t n;
		uint8_t *b = th_hex(cases[i].hex, &n);
		uint32_t msk = 0;
		uint16_t mtk = 0;
		assert_rc(mbms_traffic_mki_parse(b, n, &msk, &mtk), cases[i].rc, cases[i].name);
		if (cases[i].rc == 0) {
			assert_int_equal(msk, cases[i].msk_id);
			assert_int_equal(mtk, cases[i].mtk_id);
			uint8_t back[MBMS_TRAFFIC_MKI_LEN];
			mbms_traffic_mki_make(msk, mtk, back);
			th_assert_hex(back, sizeof(back), cases[i].hex, cases[i].name);
		}
		test_free(b);
	}
	/* the MKI is the SPI of the MTK message's KEY payload, byte for byte */
	assert_int_equal(MBMS_TRAFFIC_MKI_LEN, MBMS_PROFILE_MTK_SPI_LEN);
}

/* ---- RTP / SRTP ---- */

static void test_rtp_table(void **state)
{
	(void)state;
	static const struct {
		const char *name, *hex;
		int rc;
		size_t header_len, payload_len;
		uint16_t seq;
	} cases[] = {
		{"RFC 3550 5.1: fixed header + 4 bytes", "8060abcd0000000111223344deadbeef", 0, 12, 4,
		 0xabcd},
		{"two CSRCs", "82600001000000011122334400000001000000020a0b", 0, 20, 2, 1},
		{"extension of one word (RFC 3550 5.3.1)", "906000020000000111223344bede0001aabbccdd0102",
		 0, 20, 2, 2},
		{"padding of 3 (RFC 3550 5.1 P)", "a060000300000001112233440102030003", 0, 12, 2, 3},
		{"header only", "806000040000000111223344", 0, 12, 0, 4},
		{"must fail: 11 bytes", "8060000400000001112233", MBMS_ETRUNCATED, 0, 0, 0},
		{"must fail: version 1", "4060000400000001112233440102", MBMS_EVERSION, 0, 0, 0},
		{"must fail: CSRC count past the end", "83600005000000011122334400000001",
		 MBMS_ETRUNCATED, 0, 0, 0},
		{"must fail: extension past the end", "906000060000000111223344bede0002aabbccdd",
		 MBMS_ETRUNCATED, 0, 0, 0},
		{"must fail: padding count past the payload", "a06000070000000111223344010209",
		 MBMS_ELENGTH, 0, 0, 0},
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		size_t n;
		uint8_t *b = th_hex(cases[i].hex, &n);
		const uint8_t *pl = NULL;
		size_t pl_len = 0;
		assert_rc(mbms_rtp_payload(b, n, &pl, &pl_len), cases[i].rc, cases[i].name);
		if (cases[i].rc == 0) {
			struct mbms_rtp_header h;
			assert_rc(mbms_rtp_parse(b, n, &h), 0, cases[i].name);
			assert_int_equal(h.header_len, cases[i].header_len);
			assert_int_equal(h.seq, cases[i].seq);
			assert_int_equal(h.ssrc, 0x11223344);
			assert_int_equal(pl_len, cases[i].payload_len);
			assert_ptr_equal(pl, b + cases[i].header_len);
		}
		test_free(b);
	}
}

static void test_srtp_parse(void **state)
{
	(void)state;
	/* header (12) || payload (3) || MKI 01022f43 0007 || tag (10) */
	size_t n;
	uint8_t *b = th_hex("80600009000000011122334401020301022f430007a1a2a3a4a5a6a7a8a9aa", &n);
	struct mbms_srtp_packet p;
	assert_rc(mbms_srtp_parse(b, n, MBMS_TRAFFIC_TAG_LEN, &p), 0, "SRTP with MKI");
	assert_int_equal(p.msk_id, 0x01022f43);
	assert_int_equal(p.mtk_id, 7);
	assert_ptr_equal(p.mki, b + 15);
	assert_int_equal(p.rtp.seq, 9);
	/* must fail: MKI and tag do not fit after the header */
	assert_rc(mbms_srtp_parse(b, 12 + 15, MBMS_TRAFFIC_TAG_LEN, &p), MBMS_ETRUNCATED,
		  "no room for MKI and tag");
	/* must fail: a wrong tag length moves the MKI onto other bytes */
	assert_true(mbms_srtp_parse(b, n, 4, &p) != 0 || p.msk_id != 0x01022f43);
	/* must fail: an MKI with Key Number 0 */
	b[17] = b[18] = 0;
	assert_rc(mbms_srtp_parse(b, n, MBMS_TRAFFIC_TAG_LEN, &p), MBMS_EKEYNUM0, "Key Number 0");
	test_free(b);
}

static void test_rtpfile(void **state)
{
	(void)state;
	uint8_t file[4096], pkt[MBMS_TRAFFIC_RTP_MAX];
	size_t off = 0;
	struct mbms_rtp_gen g = {.ssrc = 0xcafe0001, .seq0 = 65534, .ts0 = 1000, .ts_step = 160,
				 .payload_type = 96, .payload_len = 40};
	for (uint32_t i = 0; i < 5; i++) {
		size_t len, w;
		g.payload_len = 4 + 30 * i;
		assert_int_equal(mbms_rtp_generate(&g, i, pkt, sizeof(pkt), &len), 0);
		assert_int_equal(mbms_rtpfile_put(pkt, len, file + off, sizeof(file) - off, &w), 0);
		assert_int_equal(w, 2 + len);
		off += w;
	}
	const uint8_t *cur = file, *p;
	size_t left = off, plen;
	for (uint32_t i = 0; i < 5; i++) {
		assert_int_equal(mbms_rtpfile_next(&cur, &left, &p, &plen), 1);
		struct mbms_rtp_header h;
		assert_int_equal(mbms_rtp_parse(p, plen, &h), 0);
		assert_int_equal(h.seq, (uint16_t)(65534 + i)); /* wraps */
		assert_int_equal(h.timestamp, 1000 + 160 * i);
		assert_int_equal(h.marker, i == 0);
		assert_int_equal(plen, 12 + 4 + 30 * i);
		assert_int_equal(mbms_get_be32(p + 12), i);
		for (size_t j = 4; j < plen - 12; j++)
			assert_int_equal(p[12 + j], (i + j) % 251);
	}
	assert_int_equal(mbms_rtpfile_next(&cur, &left, &p, &plen), 0);

	/* must fail: a record cut short, a length of 11 or 1401, not RTP v2;
	 * the cursor does not move */
	static const struct {
		const char *name, *hex;
		int rc;
	} bad[] = {
		{"cut short", "000c80600001000000011122", MBMS_ETRUNCATED},
		{"one byte", "00", MBMS_ETRUNCATED},
		{"length 11", "000b8060000100000001112233", MBMS_ELENGTH},
		{"length 1401", "0579", MBMS_ELENGTH},
		{"version 0", "000c006000010000000111223344", MBMS_EVERSION},
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		size_t n;
		uint8_t *b = th_hex(bad[i].hex, &n);
		cur = b;
		left = n;
		assert_rc(mbms_rtpfile_next(&cur, &left, &p, &plen), bad[i].rc, bad[i].name);
		assert_ptr_equal(cur, b);
		assert_int_equal(left, n);
		test_free(b);
	}
	size_t w;
	assert_rc(mbms_rtpfile_put(pkt, 11, file, sizeof(file), &w), MBMS_ELENGTH, "put 11");
	assert_rc(mbms_rtpfile_put(pkt, 100, file, 101, &w), MBMS_ENOSPC, "put no room");
	g.payload_len = 3;
	assert_rc(mbms_rtp_generate(&g, 0, pkt, sizeof(pkt), &w), MBMS_ELENGTH, "payload 3");
}

/* ---- a BM-SC and two UEs without sockets ---- */

#define T0 1800000000000ull
#define FQDN "bmsc.mbms.mnc001.mcc001.pub.3gppnetwork.org"
#define BSF "bsf.mnc001.mcc001.pub.3gppnetwork.org"
#define SID "urn:example:mbms:tv"
#define ANN_URL "http://" FQDN ":8080/announcement/urn%3Aexample%3Ambms%3Atv"
#define G1 0x0102u
#define NUE 2 /* UE 1 loses rotation pushes (test-only fault injection) */
#define VT 5  /* MTK IDs 1..5 per MSK */

static const uint8_t KD[3] = {0x00, 0xF1, 0x10};

struct tue {
	struct mbms_ue *ue;
	char impi[64];
	struct mbms_bmsc_addr mikey, mtk;
	bool mute_mtk;        /* keep its MTK messages back ... */
	uint8_t late[8][MBMS_MSG_MAX_LEN];
	size_t late_len[8], nlate; /* ... here, to deliver them late */
	size_t mkus_srtp, mkus_mtk;
};

struct world {
	uint64_t now;
	struct mbms_bmsc *b;
	struct mbms_bmsc_config cfg;
	struct mbms_bmsc_key_group_cfg kg[1];
	uint16_t kgs[1];
	struct mbms_bmsc_service_cfg svc[1];
	struct mbms_bmsc_addr mtk_to[NUE];
	struct mbms_bmsc_session_cfg sess[1];
	struct mbms_bmsc_addr bmsc_addr;
	struct tue ue[NUE];
	uint8_t ks_naf[NUE][32];
	char btid[NUE][MBMS_GBA_BTID_MAX];
	size_t mtk_sends; /* MTK messages the BM-SC sent (per destination) */
	uint16_t last_mtk_sent;
	uint32_t last_mtk_msk;
};

static struct world *world_new(void)
{
	struct world *w = calloc(1, sizeof(*w));
	assert_non_null(w);
	w->now = T0;
	w->kg[0] = (struct mbms_bmsc_key_group_cfg){G1, 3600000, 600000, VT, 3600000};
	w->kgs[0] = G1;
	w->svc[0] = (struct mbms_bmsc_service_cfg){.service_id = SID,
						   .key_groups = w->kgs,
						   .nkey_groups = 1,
						   .any_subscriber = true,
						   .confidentiality = true,
						   .integrity = true,
						   .offset_time = 0,
						   .random_time_period = 1};
	for (int i = 0; i < NUE; i++) {
		char ip[16];
		snprintf(ip, sizeof(ip), "10.0.0.%d", i + 1);
		assert_int_equal(mbms_bmsc_addr_from_ip(ip, 2269, &w->mtk_to[i]), 0);
	}
	w->sess[0].name = "tv";
	w->sess[0].service_id = SID;
	w->sess[0].key_group = G1;
	snprintf(w->sess[0].destination.host, sizeof(w->sess[0].destination.host), "239.1.1.1");
	w->sess[0].destination.port = 5004;
	w->sess[0].mtk_port = 2269;
	w->sess[0].send_to = w->mtk_to;
	w->sess[0].nsend_to = NUE;
	w->sess[0].mtk_interval_ms = 2000;
	w->cfg.fqdn = FQDN;
	w->cfg.announce_port = 8080;
	memcpy(w->cfg.key_domain_id, KD, 3);
	w->cfg.services = w->svc;
	w->cfg.nservices = 1;
	w->cfg.key_groups = w->kg;
	w->cfg.nkey_groups = 1;
	w->cfg.sessions = w->sess;
	w->cfg.nsessions = 1;
	w->cfg.nonce_lifetime_ms = 300000;
	w->cfg.nc_table_cap = 64;
	w->cfg.retransmit_initial_ms = 1000;
	w->cfg.retransmit_max_ms = 2000;
	w->cfg.retransmit_count = 1;
	w->cfg.counter_block = 8;
	char why[256] = "";
	if (mbms_bmsc_config_check(&w->cfg, why, sizeof(why)))
		fail_msg("BM-SC config: %s", why);
	assert_int_equal(mbms_bmsc_new(&w->cfg, &w->b), 0);
	assert_int_equal(mbms_bmsc_start(w->b, w->now), 0);
	assert_int_equal(mbms_bmsc_addr_from_ip("10.0.0.100", 4359, &w->bmsc_addr), 0);
	for (int i = 0; i < NUE; i++) {
		struct tue *u = &w->ue[i];
		char ip[16];
		snprintf(u->impi, sizeof(u->impi), "tv%d@ims.example.org", i);
		snprintf(ip, sizeof(ip), "10.0.0.%d", i + 1);
		assert_int_equal(mbms_bmsc_addr_from_ip(ip, (uint16_t)(40000 + i), &u->mikey), 0);
		u->mtk = w->mtk_to[i];
		struct mbms_ue_config c;
		mbms_ue_config_defaults(&c);
		c.impi = u->impi;
		c.mikey_port = u->mikey.port;
		c.mku_min_interval_ms = 500;
		c.test_drop_unsolicited_push = i == 1;
		assert_int_equal(mbms_ue_new(&c, &u->ue), 0);
		assert_int_equal(mbms_ue_service_add(u->ue, SID, ANN_URL), 0);
	}
	return w;
}

static void world_free(struct world *w)
{
	for (int i = 0; i < NUE; i++)
		mbms_ue_free(w->ue[i].ue);
	mbms_bmsc_free(w->b);
	free(w);
}

static const char *header(const char *const *h, const char *name)
{
	size_t n = strlen(name);
	for (size_t i = 0; h[i]; i++)
		if (strncmp(h[i], name, n) == 0 && h[i][n] == ':')
			return h[i] + n + 2;
	return NULL;
}

static void http_to_bmsc(struct world *w, struct tue *u, const struct mbms_ue_http_request *q)
{
	char path[MBMS_UE_URL_MAX], rtype[32] = "";
	const char *p = strchr(strstr(q->url, "://") + 3, '/');
	assert_non_null(p);
	snprintf(path, sizeof(path), "%s", p);
	char *qm = strchr(path, '?');
	if (qm) {
		*qm = '\0';
		const char *t = strstr(qm + 1, "requesttype=");
		if (t)
			snprintf(rtype, sizeof(rtype), "%s", t + strlen("requesttype="));
	}
	struct mbms_bmsc_http_req req = {
		.method = q->method,
		.path = path,
		.requesttype = rtype[0] ? rtype : NULL,
		.content_type = header(q->headers, "Content-Type"),
		.authorization = header(q->headers, "Authorization"),
		.ue_port = header(q->headers, "X-MBMS-UE-Port"),
		.body = q->body,
		.body_len = q->body_len,
	};
	req.peer = u->mikey;
	req.peer.port = 55555;
	struct mbms_bmsc_http_rsp rsp;
	assert_int_equal(mbms_bmsc_http(w->b, &req, NULL, w->now, &rsp), 0);
	if (rsp.need_zn) {
		int i = (int)(u - w->ue);
		struct mbms_bmsc_zn_answer a;
		memset(&a, 0, sizeof(a));
		snprintf(a.zn.btid, sizeof(a.zn.btid), "%s", rsp.zn_btid);
		snprintf(a.zn.impi, sizeof(a.zn.impi), "%s", u->impi);
		memcpy(a.zn.ks_naf, w->ks_naf[i], 32);
		a.zn.expires_at = w->now / 1000 + 86400;
		assert_int_equal(mbms_bmsc_http(w->b, &req, &a, w->now, &rsp), 0);
	}
	struct mbms_ue_http_response r = {
		.status = rsp.status,
		.content_type = rsp.content_type,
		.www_authenticate = rsp.www_authenticate[0] ? rsp.www_authenticate : NULL,
		.authentication_info = rsp.auth_info[0] ? rsp.auth_info : NULL,
		.body = (const uint8_t *)rsp.body,
		.body_len = rsp.body ? rsp.body_len : 0,
	};
	assert_int_equal(mbms_ue_http_response(u->ue, q->id, &r, w->now), 0);
}

static void bootstrap(struct world *w, struct tue *u)
{
	int i = (int)(u - w->ue);
	uint8_t rand[16], ks[32];
	memset(rand, 0x40 + i, sizeof(rand));
	memset(ks, 0x90 + i, sizeof(ks));
	assert_int_equal(mbms_btid_make(rand, BSF, w->btid[i], sizeof(w->btid[i])), 0);
	assert_int_equal(mbms_ks_naf(ks, rand, u->impi, FQDN, mbms_ua_id_mbms, w->ks_naf[i]), 0);
	assert_int_equal(
		mbms_ue_bootstrap_done(u->ue, w->btid[i], ks, w->now / 1000 + 86400, w->now), 0);
}

static bool drain_ue(struct world *w, struct tue *u)
{
	struct mbms_ue_action a;
	bool any = false;
	while (mbms_ue_next_action(u->ue, &a)) {
		any = true;
		if (a.kind == MBMS_UE_ACT_HTTP) {
			http_to_bmsc(w, u, &a.http);
		} else if (a.kind == MBMS_UE_ACT_UDP) {
			mbms_bmsc_udp_input(w->b, &u->mikey, a.udp, a.udp_len, w->now);
		} else if (a.kind == MBMS_UE_ACT_BOOTSTRAP) {
			bootstrap(w, u);
		} else if (a.kind == MBMS_UE_ACT_EVENT && a.event == MBMS_UE_EV_MISSED_KEY_UPDATE) {
			if (strstr(a.text, "SRTP with an MKI"))
				u->mkus_srtp++;
			else
				u->mkus_mtk++;
		}
	}
	return any;
}

static void deliver_mtk(struct world *w, struct tue *u, const uint8_t *msg, size_t len)
{
	struct mbms_ue_addr src = {.len = sizeof(w->bmsc_addr)};
	memcpy(src.bytes, &w->bmsc_addr, sizeof(w->bmsc_addr));
	mbms_ue_udp_rx(u->ue, MBMS_UE_PORT_MTK, msg, len, &src, w->now);
}

static bool drain_bmsc(struct world *w)
{
	const struct mbms_bmsc_action *a;
	bool any = false;
	while ((a = mbms_bmsc_action_next(w->b)) != NULL) {
		any = true;
		if (a->kind != MBMS_BMSC_ACT_SEND)
			continue;
		struct mbms_bmsc_addr to = a->u.send.to;
		uint8_t msg[MBMS_MSG_MAX_LEN];
		size_t len = a->u.send.len;
		memcpy(msg, a->u.send.data, len);
		struct mbms_ue_addr src = {.len = sizeof(w->bmsc_addr)};
		memcpy(src.bytes, &w->bmsc_addr, sizeof(w->bmsc_addr));
		for (int i = 0; i < NUE; i++) {
			struct tue *u = &w->ue[i];
			if (mbms_bmsc_addr_equal(&to, &u->mikey)) {
				mbms_ue_udp_rx(u->ue, MBMS_UE_PORT_MIKEY, msg, len, &src, w->now);
			} else if (mbms_bmsc_addr_equal(&to, &u->mtk)) {
				struct mbms_msg_info info;
				assert_int_equal(mbms_msg_parse(msg, len, MBMS_MSG_F(MBMS_MSG_MTK), &info), 0);
				w->mtk_sends++;
				w->last_mtk_sent = info.mtk_id;
				w->last_mtk_msk = info.msk_id;
				if (!u->mute_mtk) {
					deliver_mtk(w, u, msg, len);
				} else if (u->nlate < 8) {
					memcpy(u->late[u->nlate], msg, len);
					u->late_len[u->nlate++] = len;
				}
			}
		}
	}
	return any;
}

static void settle(struct world *w)
{
	for (int guard = 0; guard < 10000; guard++) {
		bool any = drain_bmsc(w);
		for (int i = 0; i < NUE; i++)
			any |= drain_ue(w, &w->ue[i]);
		if (!any)
			return;
	}
	fail_msg("the world did not settle");
}

static void run_until(struct world *w, uint64_t t)
{
	for (int guard = 0; guard < 100000; guard++) {
		settle(w);
		uint64_t next = mbms_bmsc_next_deadline(w->b);
		for (int i = 0; i < NUE; i++) {
			uint64_t d = mbms_ue_next_deadline(w->ue[i].ue);
			if (d < next)
				next = d;
		}
		if (next > t)
			break;
		if (next > w->now)
			w->now = next;
		while (mbms_bmsc_tick(w->b, w->now, 0) == 1)
			drain_bmsc(w);
		for (int i = 0; i < NUE; i++)
			mbms_ue_tick(w->ue[i].ue, w->now);
	}
	w->now = t;
	settle(w);
}

static void deliver_late(struct world *w, struct tue *u)
{
	for (size_t i = 0; i < u->nlate; i++)
		deliver_mtk(w, u, u->late[i], u->late_len[i]);
	u->nlate = 0;
	settle(w);
}

static bool holds_msk(struct tue *u, uint32_t msk_id)
{
	for (size_t i = 0; i < mbms_ue_msk_count(u->ue); i++) {
		struct mbms_ue_msk_info mi;
		assert_int_equal(mbms_ue_msk_info(u->ue, i, &mi), 0);
		if (mi.msk_id == msk_id)
			return true;
	}
	return false;
}

static struct world *world_active(void)
{
	struct world *w = world_new();
	for (int i = 0; i < NUE; i++)
		assert_int_equal(mbms_ue_activate(w->ue[i].ue, SID, w->now), 0);
	run_until(w, w->now + 20000);
	uint32_t cur = 0, next = 0;
	assert_int_equal(mbms_bmsc_key_group_msks(w->b, G1, &cur, &next), 0);
	for (int i = 0; i < NUE; i++)
		assert_true(holds_msk(&w->ue[i], cur));
	return w;
}

/* The key for the next packet, the MTK messages it needed delivered. */
static void next_key(struct world *w, uint64_t mtk_packets, struct mbms_traffic_key *k,
		     bool *changed)
{
	assert_int_equal(mbms_bmsc_stream_key(w->b, 0, mtk_packets, w->now, k, changed), 0);
	settle(w);
}

/* A packet as the BM-SC's glue would send it: RTP header, 20 bytes, MKI,
 * a 10-byte tag (contents do not matter to the key choice). */
static size_t fake_srtp(uint16_t seq, uint32_t msk_id, uint16_t mtk_id, uint8_t *out)
{
	out[0] = 0x80;
	out[1] = 96;
	mbms_put_be16(out + 2, seq);
	mbms_put_be32(out + 4, seq * 160u);
	mbms_put_be32(out + 8, 0x5eed0001);
	memset(out + 12, 0xab, 20);
	mbms_traffic_mki_make(msk_id, mtk_id, out + 32);
	memset(out + 38, 0xcd, MBMS_TRAFFIC_TAG_LEN);
	return 38 + MBMS_TRAFFIC_TAG_LEN;
}

static void assert_same_key(const struct mbms_traffic_key *a, const struct mbms_traffic_key *b)
{
	assert_int_equal(a->msk_id, b->msk_id);
	assert_int_equal(a->mtk_id, b->mtk_id);
	assert_memory_equal(a->key_domain_id, b->key_domain_id, 3);
	assert_memory_equal(a->mtk, b->mtk, MBMS_MTK_LEN);
	assert_memory_equal(a->salt, b->salt, MBMS_MTK_SALT_LEN);
}

static struct mbms_traffic_rx *rx_new(size_t hold_max, uint64_t hold_ms)
{
	struct mbms_traffic_rx_config c = {.service_id = SID,
					   .tag_len = MBMS_TRAFFIC_TAG_LEN,
					   .hold_max = hold_max,
					   .hold_ms = hold_ms};
	struct mbms_traffic_rx *rx;
	assert_int_equal(mbms_traffic_rx_new(&c, &rx), 0);
	return rx;
}

static void test_bmsc_stream_keys(void **state)
{
	(void)state;
	struct world *w = world_active();
	uint32_t cur = 0, next = 0;
	assert_int_equal(mbms_bmsc_key_group_msks(w->b, G1, &cur, &next), 0);
	size_t idx = 99;
	assert_int_equal(mbms_bmsc_session_index(w->b, "tv", &idx), 0);
	assert_int_equal(idx, 0);
	assert_rc(mbms_bmsc_session_index(w->b, "radio", &idx), MBMS_ENOTFOUND, "no such session");

	/* the first packet: the MTK live since the start, changed = true */
	struct mbms_traffic_key k, k0;
	bool changed;
	next_key(w, 3, &k0, &changed);
	assert_true(changed);
	assert_int_equal(k0.msk_id, cur);
	assert_int_equal(k0.mtk_id, 1); /* VF */
	assert_memory_equal(k0.key_domain_id, KD, 3);
	/* the UE holds exactly that MTK (the MTK message came first) */
	struct mbms_ue_mtk um;
	assert_int_equal(mbms_ue_mtk_get(w->ue[0].ue, KD, cur, 1, &um), 0);
	assert_memory_equal(um.mtk, k0.mtk, MBMS_MTK_LEN);
	assert_memory_equal(um.salt, k0.salt, MBMS_MTK_SALT_LEN);
	mbms_wipe(&um, sizeof(um));
	/* packets 2 and 3: same key, no key bytes handed out again */
	for (int i = 0; i < 2; i++) {
		next_key(w, 3, &k, &changed);
		assert_false(changed);
		assert_int_equal(k.mtk_id, 1);
		static const uint8_t zero[MBMS_MTK_LEN];
		assert_memory_equal(k.mtk, zero, MBMS_MTK_LEN);
	}
	/* packet 4: three packets used MTK 1 -> MTK 2, announced first */
	size_t sends = w->mtk_sends;
	next_key(w, 3, &k, &changed);
	assert_true(changed);
	assert_int_equal(k.mtk_id, 2);
	assert_int_equal(w->mtk_sends, sends + NUE);
	assert_int_equal(w->last_mtk_sent, 2);
	assert_int_equal(w->last_mtk_msk, cur);
	assert_true(memcmp(k.mtk, k0.mtk, MBMS_MTK_LEN) != 0);

	/* on demand: MTK 3 at once, messages queued before the call returns */
	uint16_t id = 0;
	sends = w->mtk_sends;
	assert_int_equal(mbms_bmsc_mtk_change(w->b, G1, w->now, &id), 0);
	assert_int_equal(id, 3);
	assert_true(mbms_bmsc_action_count(w->b) >= NUE);
	settle(w);
	assert_int_equal(w->mtk_sends, sends + NUE);
	next_key(w, 0, &k, &changed);
	assert_true(changed);
	assert_int_equal(k.mtk_id, 3);
	/* mtk_packets 0: no change by count */
	for (int i = 0; i < 10; i++) {
		next_key(w, 0, &k, &changed);
		assert_false(changed);
	}
	/* must fail: no such key group */
	assert_rc(mbms_bmsc_mtk_change(w->b, 0x0999, w->now, &id), MBMS_ENOTFOUND, "key group");
	/* up to VT = 5; then no further change (the MSK switches over early) */
	assert_int_equal(mbms_bmsc_mtk_change(w->b, G1, w->now, &id), 0);
	assert_int_equal(mbms_bmsc_mtk_change(w->b, G1, w->now, &id), 0);
	assert_int_equal(id, VT);
	assert_rc(mbms_bmsc_mtk_change(w->b, G1, w->now, &id), MBMS_ESTATE, "MTK IDs used up");
	settle(w);
	next_key(w, 1, &k, &changed);
	assert_int_equal(k.mtk_id, VT);
	next_key(w, 1, &k, &changed); /* over the count, but no ID left: the same MTK */
	assert_false(changed);
	assert_int_equal(k.mtk_id, VT);

	/* the MSK switch-over: the next MSK's first MTK (VF) */
	uint32_t made, switched;
	assert_int_equal(mbms_bmsc_rotate(w->b, G1, w->now, &made), 0);
	run_until(w, w->now + 5000);
	assert_int_equal(mbms_bmsc_rotate(w->b, G1, w->now, &switched), 0);
	assert_int_equal(switched, made);
	settle(w);
	next_key(w, 1, &k, &changed);
	assert_true(changed);
	assert_int_equal(k.msk_id, made);
	assert_int_equal(k.mtk_id, 1);
	assert_int_equal(w->last_mtk_msk, made);
	assert_int_equal(mbms_ue_mtk_get(w->ue[0].ue, KD, made, 1, &um), 0);
	assert_memory_equal(um.mtk, k.mtk, MBMS_MTK_LEN);
	mbms_wipe(&um, sizeof(um));
	mbms_traffic_key_wipe(&k);
	mbms_traffic_key_wipe(&k0);
	world_free(w);
}

static void test_rx_key_choice(void **state)
{
	(void)state;
	struct world *w = world_active();
	struct tue *u = &w->ue[0];
	struct mbms_traffic_rx *rx = rx_new(16, 2000);
	uint8_t pkt[MBMS_TRAFFIC_SRTP_MAX], out[MBMS_TRAFFIC_SRTP_MAX];
	size_t len, out_len;
	struct mbms_traffic_key sent1, sent2, sent3, k, got;
	bool changed;
	uint16_t seq = 100;

	/* MTK 1: the key by MKI is the BM-SC's key */
	next_key(w, 0, &sent1, &changed);
	len = fake_srtp(seq++, sent1.msk_id, sent1.mtk_id, pkt);
	assert_int_equal(mbms_traffic_rx_input(rx, u->ue, pkt, len, w->now, &got),
			 MBMS_TRAFFIC_DECRYPT);
	assert_same_key(&got, &sent1);

	/* MTK 2's message is late at UE 0: its packets are held ... */
	u->mute_mtk = true;
	uint16_t id;
	assert_int_equal(mbms_bmsc_mtk_change(w->b, G1, w->now, &id), 0);
	settle(w);
	next_key(w, 0, &sent2, &changed);
	assert_true(changed);
	for (int i = 0; i < 3; i++) {
		len = fake_srtp(seq++, sent2.msk_id, sent2.mtk_id, pkt);
		assert_int_equal(mbms_traffic_rx_input(rx, u->ue, pkt, len, w->now, &got),
				 MBMS_TRAFFIC_HELD);
	}
	assert_int_equal(mbms_traffic_rx_held(rx), 3);
	assert_int_equal(mbms_traffic_rx_deadline(rx), w->now + 2000);
	/* ... nothing released before the MTK is there ... */
	assert_int_equal(mbms_traffic_rx_next(rx, u->ue, w->now, out, sizeof(out), &out_len, &k), 0);
	/* ... a late packet of MTK 1 still decrypts (the previous MTK is kept) */
	len = fake_srtp(99, sent1.msk_id, sent1.mtk_id, pkt);
	assert_int_equal(mbms_traffic_rx_input(rx, u->ue, pkt, len, w->now, &got),
			 MBMS_TRAFFIC_DECRYPT);
	assert_same_key(&got, &sent1);
	/* the MTK message arrives: the three come out in order with MTK 2 */
	u->mute_mtk = false;
	deliver_late(w, u);
	for (uint16_t i = 0; i < 3; i++) {
		assert_int_equal(
			mbms_traffic_rx_next(rx, u->ue, w->now, out, sizeof(out), &out_len, &k), 1);
		assert_same_key(&k, &sent2);
		assert_int_equal(mbms_get_be16(out + 2), 101 + i);
	}
	assert_int_equal(mbms_traffic_rx_next(rx, u->ue, w->now, out, sizeof(out), &out_len, &k), 0);

	/* MTK 3: now MTK 1 is gone (the UE keeps current + previous) */
	assert_int_equal(mbms_bmsc_mtk_change(w->b, G1, w->now, &id), 0);
	settle(w);
	next_key(w, 0, &sent3, &changed);
	len = fake_srtp(seq++, sent3.msk_id, sent3.mtk_id, pkt);
	assert_int_equal(mbms_traffic_rx_input(rx, u->ue, pkt, len, w->now, &got),
			 MBMS_TRAFFIC_DECRYPT);
	assert_same_key(&got, &sent3);
	len = fake_srtp(seq++, sent2.msk_id, sent2.mtk_id, pkt);
	assert_int_equal(mbms_traffic_rx_input(rx, u->ue, pkt, len, w->now, &got),
			 MBMS_TRAFFIC_DECRYPT);
	assert_same_key(&got, &sent2);

	/* must fail: a table of MKIs no key may be found for */
	uint32_t cur = sent3.msk_id;
	static const uint8_t zero[MBMS_MTK_LEN];
	const struct {
		const char *name;
		uint32_t msk_id;
		uint16_t mtk_id;
		int rc;
	} bad[] = {
		{"MTK 1 is gone (two newer held)", cur, 1, MBMS_EMTKOLD},
		{"MTK 0 lies outside [VF, VT] = [1, 5]", cur, 0, MBMS_EMTKRANGE},
		{"MTK 6 lies outside [VF, VT]", cur, VT + 1, MBMS_EMTKRANGE},
		{"Key Number 0", mbms_msk_id_make(G1, 0), 1, MBMS_EKEYNUM0},
		{"a Key Group no service of ours uses", mbms_msk_id_make(0x0777, 1), 1,
		 MBMS_ENOTFOUND},
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		len = fake_srtp(seq++, bad[i].msk_id, bad[i].mtk_id, pkt);
		assert_rc(mbms_traffic_rx_input(rx, u->ue, pkt, len, w->now, &got), bad[i].rc,
			  bad[i].name);
		assert_memory_equal(got.mtk, zero, MBMS_MTK_LEN);
	}
	/* must fail: not SRTP at all */
	assert_rc(mbms_traffic_rx_input(rx, u->ue, pkt, 20, w->now, &got), MBMS_ETRUNCATED, "short");
	pkt[0] = 0x40;
	assert_rc(mbms_traffic_rx_input(rx, u->ue, pkt, len, w->now, &got), MBMS_EVERSION, "RTP v1");

	/* outcomes reported by the shell */
	mbms_traffic_rx_outcome(rx, 0);
	mbms_traffic_rx_outcome(rx, MBMS_EMAC);
	mbms_traffic_rx_outcome(rx, MBMS_EREPLAY);
	mbms_traffic_rx_outcome(rx, MBMS_EMTKOLD);
	struct mbms_traffic_rx_counters c;
	mbms_traffic_rx_counters(rx, &c);
	assert_int_equal(c.received, 1 + 3 + 1 + 2 + 5 + 2);
	assert_int_equal(c.to_decrypt, 1 + 1 + 3 + 2);
	assert_int_equal(c.held, 3);
	assert_int_equal(c.released, 3);
	assert_int_equal(c.mtk_gone, 1 + 1);
	assert_int_equal(c.mtk_range, 2);
	assert_int_equal(c.malformed, 3);
	assert_int_equal(c.not_ours, 1);
	assert_int_equal(c.unknown_msk, 0);
	assert_int_equal(c.decrypted, 1);
	assert_int_equal(c.auth_failed, 1);
	assert_int_equal(c.replayed, 1);
	mbms_traffic_key_wipe(&sent1);
	mbms_traffic_key_wipe(&sent2);
	mbms_traffic_key_wipe(&sent3);
	mbms_traffic_key_wipe(&got);
	mbms_traffic_key_wipe(&k);
	mbms_traffic_rx_free(rx);
	world_free(w);
}

/* UE 1 loses the push of the next MSK; after the switch-over the SRTP MKI
 * (before any MTK message reaches it) starts the missed key update; once
 * it holds the MSK and the MTK it decrypts again. */
static void test_rx_missed_key_update(void **state)
{
	(void)state;
	struct world *w = world_active();
	struct tue *u = &w->ue[1];
	struct mbms_traffic_rx *rx = rx_new(16, 60000);
	uint8_t pkt[MBMS_TRAFFIC_SRTP_MAX];
	size_t len;
	struct mbms_traffic_key sent, got;
	bool changed;
	uint32_t made, switched;
	assert_int_equal(mbms_bmsc_rotate(w->b, G1, w->now, &made), 0);
	run_until(w, w->now + 10000);
	assert_true(holds_msk(&w->ue[0], made));
	assert_false(holds_msk(u, made));
	u->mute_mtk = true; /* the SRTP packet comes first */
	assert_int_equal(mbms_bmsc_rotate(w->b, G1, w->now, &switched), 0);
	settle(w);
	next_key(w, 0, &sent, &changed);
	assert_int_equal(sent.msk_id, made);
	for (uint16_t i = 0; i < 5; i++) {
		len = fake_srtp(i, sent.msk_id, sent.mtk_id, pkt);
		assert_rc(mbms_traffic_rx_input(rx, u->ue, pkt, len, w->now, &got), MBMS_EUNKNOWNMSK,
			  "MSK not held");
		settle(w);
	}
	assert_int_equal(u->mkus_srtp, 1); /* once, not per packet */
	assert_int_equal(u->mkus_mtk, 0);
	struct mbms_traffic_rx_counters c;
	mbms_traffic_rx_counters(rx, &c);
	assert_int_equal(c.unknown_msk, 5);
	/* the request after the back-off (<= 1 s), the push answers it */
	run_until(w, w->now + 3000);
	assert_true(holds_msk(u, made));
	/* MSK held, MTK message still late: held, then released */
	len = fake_srtp(5, sent.msk_id, sent.mtk_id, pkt);
	assert_int_equal(mbms_traffic_rx_input(rx, u->ue, pkt, len, w->now, &got),
			 MBMS_TRAFFIC_HELD);
	u->mute_mtk = false;
	deliver_late(w, u);
	uint8_t out[MBMS_TRAFFIC_SRTP_MAX];
	size_t out_len;
	assert_int_equal(mbms_traffic_rx_next(rx, u->ue, w->now, out, sizeof(out), &out_len, &got),
			 1);
	assert_same_key(&got, &sent);
	len = fake_srtp(6, sent.msk_id, sent.mtk_id, pkt);
	assert_int_equal(mbms_traffic_rx_input(rx, u->ue, pkt, len, w->now, &got),
			 MBMS_TRAFFIC_DECRYPT);
	assert_same_key(&got, &sent);
	/* late traffic under the old MSK is late, not missed: no new request */
	mbms_traffic_key_wipe(&sent);
	mbms_traffic_key_wipe(&got);
	mbms_traffic_rx_free(rx);
	world_free(w);
}

static void test_rx_hold_bounds(void **state)
{
	(void)state;
	struct world *w = world_active();
	struct tue *u = &w->ue[0];
	struct mbms_traffic_rx *rx = rx_new(4, 1000);
	uint8_t pkt[MBMS_TRAFFIC_SRTP_MAX], out[MBMS_TRAFFIC_SRTP_MAX];
	size_t len, out_len;
	struct mbms_traffic_key sent, got;
	bool changed;
	uint16_t id;
	next_key(w, 0, &sent, &changed);
	u->mute_mtk = true;
	assert_int_equal(mbms_bmsc_mtk_change(w->b, G1, w->now, &id), 0);
	settle(w);
	next_key(w, 0, &sent, &changed);
	/* six packets for a missing MTK into four places: the two oldest go */
	for (uint16_t i = 0; i < 6; i++) {
		len = fake_srtp(i, sent.msk_id, sent.mtk_id, pkt);
		assert_int_equal(mbms_traffic_rx_input(rx, u->ue, pkt, len, w->now + i, &got),
				 MBMS_TRAFFIC_HELD);
	}
	assert_int_equal(mbms_traffic_rx_held(rx), 4);
	assert_int_equal(mbms_traffic_rx_deadline(rx), w->now + 2 + 1000);
	/* 1000 ms later the two oldest of the four have expired */
	deliver_late(w, u);
	uint64_t t = w->now + 1003;
	assert_int_equal(mbms_traffic_rx_next(rx, u->ue, t, out, sizeof(out), &out_len, &got), 1);
	assert_int_equal(mbms_get_be16(out + 2), 4);
	assert_int_equal(mbms_traffic_rx_next(rx, u->ue, t, out, sizeof(out), &out_len, &got), 1);
	assert_int_equal(mbms_get_be16(out + 2), 5);
	assert_int_equal(mbms_traffic_rx_next(rx, u->ue, t, out, sizeof(out), &out_len, &got), 0);
	struct mbms_traffic_rx_counters c;
	mbms_traffic_rx_counters(rx, &c);
	assert_int_equal(c.hold_overflow, 2);
	assert_int_equal(c.hold_expired, 2);
	assert_int_equal(c.released, 2);
	assert_int_equal(mbms_traffic_rx_deadline(rx), UINT64_MAX);
	mbms_traffic_rx_free(rx);

	/* hold_max 0: a packet whose MTK is missing is dropped at once */
	rx = rx_new(0, 1000);
	u->mute_mtk = true;
	assert_int_equal(mbms_bmsc_mtk_change(w->b, G1, w->now, &id), 0);
	settle(w);
	next_key(w, 0, &sent, &changed);
	len = fake_srtp(9, sent.msk_id, sent.mtk_id, pkt);
	assert_rc(mbms_traffic_rx_input(rx, u->ue, pkt, len, w->now, &got), MBMS_ENOSPC, "no hold");
	mbms_traffic_rx_free(rx);

	/* a service without an announcement has no Key Domain: not ours */
	struct mbms_traffic_rx_config cfg = {.service_id = "urn:example:mbms:radio",
					     .tag_len = MBMS_TRAFFIC_TAG_LEN};
	assert_int_equal(mbms_traffic_rx_new(&cfg, &rx), 0);
	assert_rc(mbms_traffic_rx_input(rx, u->ue, pkt, len, w->now, &got), MBMS_ENOTFOUND,
		  "unknown service");
	mbms_traffic_rx_free(rx);
	/* must fail: configuration */
	cfg.tag_len = 0;
	assert_rc(mbms_traffic_rx_new(&cfg, &rx), MBMS_EINVAL, "tag length 0");
	cfg.tag_len = 10;
	cfg.service_id = "";
	assert_rc(mbms_traffic_rx_new(&cfg, &rx), MBMS_EINVAL, "no service");
	mbms_traffic_key_wipe(&sent);
	world_free(w);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_mki_table),
		cmocka_unit_test(test_rtp_table),
		cmocka_unit_test(test_srtp_parse),
		cmocka_unit_test(test_rtpfile),
		cmocka_unit_test(test_bmsc_stream_keys),
		cmocka_unit_test(test_rx_key_choice),
		cmocka_unit_test(test_rx_missed_key_update),
		cmocka_unit_test(test_rx_hold_bounds),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
