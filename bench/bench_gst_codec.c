/* Figure 3 (issue #9): MIKEY codec speed, ours (mikey.h writer) against
 * GStreamer's gstmikey (libgstsdp), build + serialise of the same message
 * with NULL encryption and NULL MAC, in the same run.
 *
 * gstmikey can build neither ID nor EXT payloads (perf-notes.md), so the
 * layout both sides build is the part of the MSK message it can express:
 *
 *   HDR   version 1, data type 0 (PSK init), V 0, PRF 0 (MIKEY-1),
 *         CSB ID 0x01020001, #CS 0, CS ID map type 0 (SRTP-ID, no entries)
 *   T     NTP-UTC, 8 bytes (given, not read from the clock)
 *   RAND  16 bytes (pre-generated, a new one per message)
 *   KEMAC encr alg NULL, encr data = one KEY sub-payload in clear
 *         (TGK, KV NULL, 16-byte key), MAC alg NULL
 *
 * = 63 bytes. The program checks that both sides produce the same bytes
 * before timing. gstmikey builds a message object and serialises it into a
 * new GBytes; ours appends into a caller buffer: each side's normal use.
 * Also prints (info records) both parsers on that message and ours on the
 * full MSK layout with IDi/IDr, which gstmikey cannot do.
 */
#include "util.h"

#include "mbmssec/crypto.h"
#include "mbmssec/error.h"
#include "mbmssec/mikey.h"

#include <gst/sdp/gstmikey.h>
#include <stdio.h>
#include <string.h>

#define NRAND 1024
#define CSB_ID 0x01020001u

static uint8_t rands[NRAND][16];
static uint8_t tgk[16];
static const uint8_t ts_ntp[8] = {0xe9, 0x3b, 0x1c, 0x40, 0x80, 0x00, 0x00, 0x00};
static uint8_t ref[128];
static size_t ref_len;

static uint64_t ntp_value(void)
{
	uint64_t v = 0;
	for (int i = 0; i < 8; i++)
		v = v << 8 | ts_ntp[i];
	return v;
}

static int build_ours(const uint8_t rand[16], uint8_t *buf, size_t cap, size_t *len)
{
	static const struct mbms_mikey_hdr h = {
		.version = MBMS_MIKEY_VERSION,
		.data_type = MBMS_MIKEY_DT_PSK_INIT,
		.v = false,
		.prf = MBMS_MIKEY_PRF_MIKEY_1,
		.csb_id = CSB_ID,
		.ncs = 0,
		.map_type = MBMS_MIKEY_MAP_SRTP_ID,
	};
	const struct mbms_mikey_key key = {
		.type = MBMS_MIKEY_KEY_TGK, .kv = MBMS_MIKEY_KV_NULL, .key = tgk, .key_len = 16,
	};
	struct mbms_mikey_writer w, kw;
	size_t key_len = mbms_mikey_key_size(&key), encr_off = 0;
	mbms_mikey_writer_init(&w, buf, cap);
	mbms_mikey_put_hdr(&w, &h);
	mbms_mikey_put_t(&w, MBMS_MIKEY_TS_NTP_UTC, ntp_value());
	mbms_mikey_put_rand(&w, rand, 16);
	int rc = mbms_mikey_put_kemac(&w, MBMS_MIKEY_ENCR_NULL, NULL, key_len, MBMS_MIKEY_MAC_NULL,
				      &encr_off, NULL);
	if (rc)
		return rc;
	mbms_mikey_writer_init(&kw, buf + encr_off, key_len);
	if ((rc = mbms_mikey_put_key(&kw, &key)))
		return rc;
	*len = w.len;
	return 0;
}

static GBytes *build_gst(const uint8_t rand[16])
{
	GstMIKEYMessage *m = gst_mikey_message_new();
	GstMIKEYPayload *kemac = gst_mikey_payload_new(GST_MIKEY_PT_KEMAC);
	GstMIKEYPayload *kd = gst_mikey_payload_new(GST_MIKEY_PT_KEY_DATA);
	if (!m || !kemac || !kd ||
	    !gst_mikey_message_set_info(m, GST_MIKEY_VERSION, GST_MIKEY_TYPE_PSK_INIT, FALSE,
					GST_MIKEY_PRF_MIKEY_1, CSB_ID, GST_MIKEY_MAP_TYPE_SRTP) ||
	    !gst_mikey_message_add_t(m, GST_MIKEY_TS_TYPE_NTP_UTC, ts_ntp) ||
	    !gst_mikey_message_add_rand(m, 16, rand) ||
	    !gst_mikey_payload_kemac_set(kemac, GST_MIKEY_ENC_NULL, GST_MIKEY_MAC_NULL) ||
	    !gst_mikey_payload_key_data_set_key(kd, GST_MIKEY_KD_TGK, 16, tgk) ||
	    !gst_mikey_payload_kemac_add_sub(kemac, kd) || !gst_mikey_message_add_payload(m, kemac))
		bench_die("gstmikey build", -1);
	GBytes *b = gst_mikey_message_to_bytes(m, NULL, NULL);
	gst_mikey_message_unref(m);
	if (!b)
		bench_die("gst_mikey_message_to_bytes", -1);
	return b;
}

static void loop_ours(void *arg, size_t iters)
{
	(void)arg;
	uint8_t buf[128];
	uint64_t acc = 0;
	for (size_t i = 0; i < iters; i++) {
		size_t len = 0;
		int rc = build_ours(rands[i & (NRAND - 1)], buf, sizeof(buf), &len);
		if (rc)
			bench_die("ours build", rc);
		acc += buf[len - 1] + len;
	}
	bench_sink += acc;
}

static void loop_gst(void *arg, size_t iters)
{
	(void)arg;
	uint64_t acc = 0;
	for (size_t i = 0; i < iters; i++) {
		GBytes *b = build_gst(rands[i & (NRAND - 1)]);
		gsize len = 0;
		const guint8 *d = g_bytes_get_data(b, &len);
		acc += d[len - 1] + len;
		g_bytes_unref(b);
	}
	bench_sink += acc;
}

static void loop_parse_ours(void *arg, size_t iters)
{
	(void)arg;
	struct mbms_mikey_msg m;
	struct mbms_mikey_key k;
	uint64_t acc = 0;
	for (size_t i = 0; i < iters; i++) {
		size_t n = 0;
		int rc = mbms_mikey_decode(ref, ref_len, &m);
		const struct mbms_mikey_payload *pl = mbms_mikey_find(&m, MBMS_MIKEY_PT_KEMAC, 0);
		if (rc || !pl ||
		    mbms_mikey_keys_decode(pl->u.kemac.encr_data, pl->u.kemac.encr_len, &k, 1, &n))
			bench_die("ours parse", rc);
		acc += k.key[0] + m.npayloads;
	}
	bench_sink += acc;
}

static void loop_parse_gst(void *arg, size_t iters)
{
	(void)arg;
	uint64_t acc = 0;
	for (size_t i = 0; i < iters; i++) {
		GstMIKEYMessage *m = gst_mikey_message_new_from_data(ref, ref_len, NULL, NULL);
		if (!m)
			bench_die("gst parse", -1);
		const GstMIKEYPayload *kemac = gst_mikey_message_find_payload(m, GST_MIKEY_PT_KEMAC, 0);
		const GstMIKEYPayloadKeyData *kd =
			(const GstMIKEYPayloadKeyData *)gst_mikey_payload_kemac_get_sub(kemac, 0);
		acc += kd->key_data[0] + gst_mikey_message_get_n_payloads(m);
		gst_mikey_message_unref(m);
	}
	bench_sink += acc;
}

/* Ours on the full MSK-message layout (with IDi and IDr), clear key data. */
static void loop_ours_with_ids(void *arg, size_t iters)
{
	(void)arg;
	static const char idi[] = "bmsc.mbms.mnc001.mcc001.pub.3gppnetwork.org";
	static const char idr[] = "gRE0fvgzT8TRMTt3OEPC4w==@bsf.mnc001.mcc001.pub.3gppnetwork.org";
	static const struct mbms_mikey_hdr h = {
		.version = 1, .data_type = 0, .prf = 0, .csb_id = CSB_ID, .ncs = 0,
		.map_type = MBMS_MIKEY_MAP_SRTP_ID,
	};
	const struct mbms_mikey_key key = {
		.type = MBMS_MIKEY_KEY_TGK, .kv = MBMS_MIKEY_KV_NULL, .key = tgk, .key_len = 16,
	};
	uint8_t buf[256];
	uint64_t acc = 0;
	for (size_t i = 0; i < iters; i++) {
		struct mbms_mikey_writer w, kw;
		size_t encr_off = 0;
		mbms_mikey_writer_init(&w, buf, sizeof(buf));
		mbms_mikey_put_hdr(&w, &h);
		mbms_mikey_put_t(&w, MBMS_MIKEY_TS_NTP_UTC, ntp_value());
		mbms_mikey_put_rand(&w, rands[i & (NRAND - 1)], 16);
		mbms_mikey_put_id(&w, MBMS_MIKEY_ID_URI, (const uint8_t *)idi, sizeof(idi) - 1);
		mbms_mikey_put_id(&w, MBMS_MIKEY_ID_URI, (const uint8_t *)idr, sizeof(idr) - 1);
		mbms_mikey_put_kemac(&w, MBMS_MIKEY_ENCR_NULL, NULL, 20, MBMS_MIKEY_MAC_NULL,
				     &encr_off, NULL);
		mbms_mikey_writer_init(&kw, buf + encr_off, 20);
		if (mbms_mikey_put_key(&kw, &key) || w.err)
			bench_die("ours build with IDs", w.err);
		acc += buf[w.len - 1] + w.len;
	}
	bench_sink += acc;
}

int main(void)
{
	struct bench_cfg cfg;
	struct bench_pair p;
	bench_cfg_from_env(&cfg);
	for (size_t i = 0; i < NRAND; i++)
		if (mbms_random(rands[i], 16))
			bench_die("mbms_random", -1);
	for (size_t i = 0; i < sizeof(tgk); i++)
		tgk[i] = (uint8_t)(0x40 + i);

	/* Same bytes on both sides, for several RANDs. */
	for (size_t i = 0; i < 4; i++) {
		int rc = build_ours(rands[i], ref, sizeof(ref), &ref_len);
		if (rc)
			bench_die("ours build", rc);
		GBytes *b = build_gst(rands[i]);
		gsize len = 0;
		const guint8 *d = g_bytes_get_data(b, &len);
		if (len != ref_len || memcmp(d, ref, len) != 0) {
			fprintf(stderr, "bench: gstmikey and ours differ (%zu vs %zu bytes)\n",
				(size_t)len, ref_len);
			return 1;
		}
		g_bytes_unref(b);
	}

	char layout[320];
	snprintf(layout, sizeof(layout),
		 "%zu bytes: HDR(v1, PSK init, V 0, PRF 0, CSB ID, #CS 0, map SRTP-ID), "
		 "T(NTP-UTC, 8 B), RAND(16 B), KEMAC(encr NULL, KEY TGK 16 B KV NULL in clear, MAC "
		 "NULL); no IDi/IDr/EXT (gstmikey cannot build them); identical bytes checked",
		 ref_len);
	bench_compare(&cfg, loop_ours, NULL, loop_gst, NULL, &p);
	bench_print_figure(&(struct bench_figure){
		.id = 3,
		.title = "MIKEY codec build+serialise vs GStreamer gstmikey",
		.unit = "messages/s/core",
		.ours_name = "mikey.h writer into a caller buffer",
		.baseline_name = "gstmikey (libgstsdp " MBMS_GST_VERSION "): message object, to_bytes",
		.ours_ns = p.a_med,
		.baseline_ns = p.b_med,
		.ratio = 1 / p.ratio_med,
		.ratio_meaning = "gstmikey time / ours time (speed-up)",
		.target_op = ">=",
		.target = 3,
		.pair = &p,
		.ratio_inverted = 1,
		.layout = layout,
	});

	struct bench_cfg quick = cfg;
	quick.reps = 5;
	quick.seconds = cfg.seconds / 2;
	bench_single(&quick, loop_parse_ours, NULL, &p);
	bench_print_info("codec", "ours: mbms_mikey_decode + KEY decode of the 63-byte message",
			 p.b_med, NULL);
	bench_single(&quick, loop_parse_gst, NULL, &p);
	bench_print_info("codec", "gstmikey: gst_mikey_message_new_from_data of the 63-byte message",
			 p.b_med, NULL);
	bench_single(&quick, loop_ours_with_ids, NULL, &p);
	bench_print_info("codec", "ours: build the same plus IDi (43 B) and IDr (62 B) payloads", p.b_med,
			 "gstmikey cannot build ID payloads");
	return 0;
}
