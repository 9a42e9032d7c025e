/* Figures 1 and 2 (issue #9): the MIKEY MSK message, ours against its crypto
 * floor (floor.h), on one core, in the same run.
 *
 *   Figure 1: mbms_msk_msg_build (build + protect) with a fixed MUK and a
 *             fresh RAND and TS counter per message.
 *   Figure 2: mbms_msg_verify (parse + MAC check + decrypt + KEY checks)
 *             of pre-built MSK messages.
 *
 * RANDs are generated before timing (a table of 1024 used in turn) so that
 * both sides do the same work; RAND generation is not part of the floor.
 * The message is the one of the "msk-message" vector of
 * tests/vectors/independent_cases.json (212 bytes, MAC over 192); the
 * program first checks that ours reproduces that vector byte for byte and
 * that the floor computes the same bytes as ours, so both sides provably do
 * the same crypto.
 *
 * Also prints split timings of ours (info records) for profiling.
 */
#include "floor.h"
#include "util.h"

#include "mbmssec/crypto.h"
#include "mbmssec/kdf.h"
#include "mbmssec/mbms_msg.h"
#include "mbmssec/mikey.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define NRAND 1024 /* power of two */
#define NMSG 256   /* pre-built messages for figure 2, power of two */

static const char MUK_HEX[] = "fc45ad6b199381349ccef259d5a1adc977c120926d9a3878fceadfc02c038f94";
static const char MSK_HEX[] = "4b1bf39f7e9c2fe5397c6ae9aa0ef298";
static const char RAND_HEX[] = "e5b6e250bb1cff14ee2a54302fa7ef86";
static const char IDI[] = "bmsc.mbms.mnc001.mcc001.pub.3gppnetwork.org";
static const char IDR[] = "gRE0fvgzT8TRMTt3OEPC4w==@bsf.mnc001.mcc001.pub.3gppnetwork.org";
/* tests/vectors/independent_cases.json, kind "msk-message", ts 1, v true. */
static const char VECTOR_HEX[] =
	"010015800102000100010502000a01000700f110010200010b02000000010610e5b6e250bb1cff14ee2a5430"
	"2fa7ef860601002b626d73632e6d626d732e6d6e633030312e6d63633030312e7075622e336770706e6574"
	"776f726b2e6f72670101003e675245306676677a543854524d5474334f45504334773d3d406273662e6d6e"
	"633030312e6d63633030312e7075622e336770706e6574776f726b2e6f72670001001a77b9bca3cb459eea"
	"37025ac599ec9ff4fab28e153404aa16993a0151ba25877860279e4966d385d28d4b5944a2a7fd";

static void hex_into(const char *hex, uint8_t *out, size_t len)
{
	if (strlen(hex) != 2 * len)
		bench_die("hex length", -1);
	for (size_t i = 0; i < len; i++) {
		unsigned v;
		if (sscanf(hex + 2 * i, "%2x", &v) != 1)
			bench_die("hex", -1);
		out[i] = (uint8_t)v;
	}
}

struct state {
	uint8_t muk[MBMS_MUK_LEN];
	uint8_t msk[MBMS_MSK_LEN];
	uint8_t rands[NRAND][MBMS_MIKEY_RAND_LEN];
	struct mbms_msk_msg_in in;
	struct floor_ctx *floor;
	uint32_t counter;
	uint8_t buf[MBMS_MSG_MAX_LEN];
	size_t len, encr_off, encr_len, mac_off;
	/* figure 2 */
	uint8_t msgs[NMSG][256];
	size_t msg_len[NMSG];
	uint32_t msg_ts[NMSG];
	uint8_t msg_rand[NMSG][MBMS_MIKEY_RAND_LEN];
};

static struct state S;

/* ---- figure 1 ---- */

static void build_ours(void *arg, size_t iters)
{
	struct state *s = arg;
	uint64_t acc = 0;
	for (size_t i = 0; i < iters; i++) {
		uint32_t c = ++s->counter;
		memcpy(s->in.rand, s->rands[c & (NRAND - 1)], MBMS_MIKEY_RAND_LEN);
		s->in.ts_counter = c;
		size_t len = 0;
		int rc = mbms_msk_msg_build(&s->in, s->buf, sizeof(s->buf), &len);
		if (rc)
			bench_die("mbms_msk_msg_build", rc);
		acc += s->buf[len - 1];
	}
	bench_sink += acc;
}

/* The same with another MUK for every message (NRAND MUKs in turn): the
 * library keeps nothing between calls, so this costs what figure 1 costs. */
static uint8_t muks[NRAND][MBMS_MUK_LEN];

static void build_ours_rotating(void *arg, size_t iters)
{
	struct state *s = arg;
	struct mbms_msk_msg_in in = s->in;
	uint64_t acc = 0;
	for (size_t i = 0; i < iters; i++) {
		uint32_t c = ++s->counter;
		in.muk = muks[i & (NRAND - 1)];
		memcpy(in.rand, s->rands[c & (NRAND - 1)], MBMS_MIKEY_RAND_LEN);
		in.ts_counter = c;
		size_t len = 0;
		int rc = mbms_msk_msg_build(&in, s->buf, sizeof(s->buf), &len);
		if (rc)
			bench_die("mbms_msk_msg_build", rc);
		acc += s->buf[len - 1];
	}
	bench_sink += acc;
}

static void build_floor(void *arg, size_t iters)
{
	struct state *s = arg;
	uint64_t acc = 0;
	for (size_t i = 0; i < iters; i++) {
		uint32_t c = ++s->counter;
		if (floor_seal(s->floor, s->buf, s->encr_off, s->encr_len, s->mac_off, s->in.msk_id,
			       s->rands[c & (NRAND - 1)], c))
			bench_die("floor_seal", -1);
		acc += s->buf[s->len - 1];
	}
	bench_sink += acc;
}

/* ---- figure 2 ---- */

static void verify_ours(void *arg, size_t iters)
{
	struct state *s = arg;
	struct mbms_msg_info info;
	uint64_t acc = 0;
	for (size_t i = 0; i < iters; i++) {
		size_t m = i & (NMSG - 1);
		int rc = mbms_msg_verify(s->msgs[m], s->msg_len[m], MBMS_MSG_F_MUK, s->muk,
					 sizeof(s->muk), NULL, &info);
		if (rc)
			bench_die("mbms_msg_verify", rc);
		acc += info.key[0];
	}
	mbms_msg_info_wipe(&info);
	bench_sink += acc;
}

static void verify_floor(void *arg, size_t iters)
{
	struct state *s = arg;
	uint8_t plain[64];
	uint64_t acc = 0;
	for (size_t i = 0; i < iters; i++) {
		size_t m = i & (NMSG - 1);
		if (floor_open(s->floor, s->msgs[m], s->encr_off, s->encr_len, s->mac_off,
			       s->in.msk_id, s->msg_rand[m], s->msg_ts[m], plain))
			bench_die("floor_open", -1);
		acc += plain[4];
	}
	bench_sink += acc;
}

/* ---- split timings of ours ---- */

static void split_msg_keys(void *arg, size_t iters)
{
	struct state *s = arg;
	struct mbms_mikey_msg_keys k;
	uint64_t acc = 0;
	for (size_t i = 0; i < iters; i++) {
		int rc = mbms_mikey_msg_keys(s->muk, sizeof(s->muk), s->in.msk_id,
					     s->rands[i & (NRAND - 1)], MBMS_MIKEY_RAND_LEN, &k);
		if (rc)
			bench_die("mbms_mikey_msg_keys", rc);
		acc += k.auth[0];
	}
	mbms_wipe(&k, sizeof(k));
	bench_sink += acc;
}

static struct mbms_mikey_keyctx kept_ctx;

static void split_msg_keys_kept(void *arg, size_t iters)
{
	struct state *s = arg;
	struct mbms_mikey_msg_keys k;
	uint64_t acc = 0;
	for (size_t i = 0; i < iters; i++) {
		int rc = mbms_mikey_msg_keys_keyed(&kept_ctx, s->in.msk_id,
						   s->rands[i & (NRAND - 1)], MBMS_MIKEY_RAND_LEN,
						   &k);
		if (rc)
			bench_die("mbms_mikey_msg_keys_keyed", rc);
		acc += k.auth[0];
	}
	mbms_wipe(&k, sizeof(k));
	bench_sink += acc;
}

static void split_aes(void *arg, size_t iters)
{
	struct state *s = arg;
	uint8_t iv[16] = {0};
	for (size_t i = 0; i < iters; i++) {
		iv[13] = (uint8_t)i;
		int rc = mbms_aes_cm_128(s->msk, iv, s->buf + s->encr_off, s->buf + s->encr_off,
					 s->encr_len);
		if (rc)
			bench_die("mbms_aes_cm_128", rc);
	}
	bench_sink += s->buf[s->encr_off];
}

static void split_mac(void *arg, size_t iters)
{
	struct state *s = arg;
	uint8_t mac[MBMS_SHA1_LEN];
	uint64_t acc = 0;
	for (size_t i = 0; i < iters; i++) {
		/* a fresh 20-byte key per message, like the auth key */
		int rc = mbms_hmac_sha1(s->rands[i & (NRAND - 1)], 20, s->buf, s->mac_off, mac);
		if (rc)
			bench_die("mbms_hmac_sha1", rc);
		acc += mac[0];
	}
	bench_sink += acc;
}

/* The codec part alone: the same writer calls as mbms_msk_msg_build,
 * without key derivation, encryption or MAC. */
static void split_codec(void *arg, size_t iters)
{
	struct state *s = arg;
	uint8_t key_id[7], vf[2] = {0, 1}, vt[2] = {0, 255};
	memcpy(key_id, s->in.key_domain_id, 3);
	mbms_put_be32(key_id + 3, s->in.msk_id);
	const struct mbms_mikey_key key = {
		.type = MBMS_MIKEY_KEY_TGK, .kv = MBMS_MIKEY_KV_INTERVAL,
		.key = s->msk, .key_len = 16, .vf = vf, .vf_len = 2, .vt = vt, .vt_len = 2,
	};
	const struct mbms_mikey_hdr h = {
		.version = 1, .data_type = 0, .v = true, .prf = 0, .csb_id = s->in.msk_id,
		.ncs = 0, .map_type = MBMS_MIKEY_MAP_EMPTY,
	};
	uint64_t acc = 0;
	for (size_t i = 0; i < iters; i++) {
		struct mbms_mikey_writer w, kw;
		size_t eo = 0, mo = 0;
		mbms_mikey_writer_init(&w, s->buf, sizeof(s->buf));
		mbms_mikey_put_hdr(&w, &h);
		mbms_mikey_put_ext_key_id(&w, 1, key_id, sizeof(key_id));
		mbms_mikey_put_t(&w, MBMS_MIKEY_TS_COUNTER, (uint32_t)i);
		mbms_mikey_put_rand(&w, s->rands[i & (NRAND - 1)], 16);
		mbms_mikey_put_id(&w, MBMS_MIKEY_ID_URI, s->in.idi, s->in.idi_len);
		mbms_mikey_put_id(&w, MBMS_MIKEY_ID_URI, s->in.idr, s->in.idr_len);
		mbms_mikey_put_kemac(&w, MBMS_MIKEY_ENCR_AES_CM_128, NULL, 26,
				     MBMS_MIKEY_MAC_HMAC_SHA1_160, &eo, &mo);
		mbms_mikey_writer_init(&kw, s->buf + eo, 26);
		if (mbms_mikey_put_key(&kw, &key) || w.err)
			bench_die("writer", w.err);
		acc += w.len;
	}
	bench_sink += acc;
}

static void split_parse(void *arg, size_t iters)
{
	struct state *s = arg;
	struct mbms_msg_info info;
	uint64_t acc = 0;
	for (size_t i = 0; i < iters; i++) {
		size_t m = i & (NMSG - 1);
		int rc = mbms_msg_parse(s->msgs[m], s->msg_len[m], MBMS_MSG_F_MUK, &info);
		if (rc)
			bench_die("mbms_msg_parse", rc);
		acc += info.mac_off;
	}
	bench_sink += acc;
}

static void setup(void)
{
	hex_into(MUK_HEX, S.muk, sizeof(S.muk));
	hex_into(MSK_HEX, S.msk, sizeof(S.msk));
	S.in = (struct mbms_msk_msg_in){
		.muk = S.muk,
		.muk_len = sizeof(S.muk),
		.key_domain_id = {0x00, 0xf1, 0x10},
		.msk_id = 0x01020001,
		.ts_counter = 1,
		.idi = (const uint8_t *)IDI,
		.idi_len = sizeof(IDI) - 1,
		.idr = (const uint8_t *)IDR,
		.idr_len = sizeof(IDR) - 1,
		.v_flag = true,
		.msk = S.msk,
		.vf = 1,
		.vt = 255,
	};
	hex_into(RAND_HEX, S.in.rand, sizeof(S.in.rand));

	/* Ours reproduces the vector. */
	uint8_t want[sizeof(VECTOR_HEX) / 2];
	hex_into(VECTOR_HEX, want, sizeof(want));
	int rc = mbms_msk_msg_build(&S.in, S.buf, sizeof(S.buf), &S.len);
	if (rc || S.len != sizeof(want) || memcmp(S.buf, want, S.len) != 0)
		bench_die("ours against the msk-message vector", rc ? rc : -1);

	struct mbms_msg_info info;
	rc = mbms_msg_parse(S.buf, S.len, MBMS_MSG_F_MUK, &info);
	if (rc)
		bench_die("mbms_msg_parse", rc);
	S.encr_off = (size_t)(info.encr_data - S.buf);
	S.encr_len = info.encr_data_len;
	S.mac_off = info.mac_off;

	/* The floor computes the same bytes: decrypt the vector with the
	 * floor, seal it again, compare. */
	S.floor = floor_new(S.muk, sizeof(S.muk));
	if (!S.floor)
		bench_die("floor_new", -1);
	uint8_t plain[64], again[sizeof(want)];
	if (floor_open(S.floor, want, S.encr_off, S.encr_len, S.mac_off, S.in.msk_id, S.in.rand,
		       1, plain))
		bench_die("floor_open of the vector", -1);
	memcpy(again, want, sizeof(want));
	memcpy(again + S.encr_off, plain, S.encr_len);
	memset(again + S.mac_off, 0, MBMS_SHA1_LEN);
	if (floor_seal(S.floor, again, S.encr_off, S.encr_len, S.mac_off, S.in.msk_id, S.in.rand, 1) ||
	    memcmp(again, want, sizeof(want)) != 0)
		bench_die("floor against the msk-message vector", -1);

	for (size_t i = 0; i < NRAND; i++)
		if ((rc = mbms_random(S.rands[i], MBMS_MIKEY_RAND_LEN)) ||
		    (rc = mbms_random(muks[i], MBMS_MUK_LEN)))
			bench_die("mbms_random", rc);

	/* Figure 2's messages: fresh RAND and counter each. */
	for (size_t m = 0; m < NMSG; m++) {
		memcpy(S.in.rand, S.rands[m], MBMS_MIKEY_RAND_LEN);
		S.in.ts_counter = (uint32_t)(1000 + m);
		rc = mbms_msk_msg_build(&S.in, S.msgs[m], sizeof(S.msgs[m]), &S.msg_len[m]);
		if (rc)
			bench_die("mbms_msk_msg_build", rc);
		memcpy(S.msg_rand[m], S.rands[m], MBMS_MIKEY_RAND_LEN);
		S.msg_ts[m] = S.in.ts_counter;
		if (floor_open(S.floor, S.msgs[m], S.encr_off, S.encr_len, S.mac_off, S.in.msk_id,
			       S.msg_rand[m], S.msg_ts[m], plain) ||
		    memcmp(plain + 4, S.msk, 16) != 0)
			bench_die("floor_open of ours", -1);
	}
	/* The floor's build buffer: the plaintext message. */
	memcpy(S.buf, want, sizeof(want));
	memcpy(S.buf + S.encr_off, plain, S.encr_len);
}

int main(void)
{
	struct bench_cfg cfg;
	struct bench_pair p;
	bench_cfg_from_env(&cfg);
	setup();

	char layout[256];
	snprintf(layout, sizeof(layout),
		 "MSK message of PROFILE 5.2: %zu bytes, KEMAC encr data %zu bytes, MAC over %zu "
		 "bytes; MUK 32 bytes; IDi %zu, IDr %zu bytes",
		 S.len, S.encr_len, S.mac_off, S.in.idi_len, S.in.idr_len);

	bench_compare(&cfg, build_ours, &S, build_floor, &S, &p);
	bench_print_figure(&(struct bench_figure){
		.id = 1,
		.title = "MIKEY MSK message build+protect, one core",
		.unit = "messages/s/core",
		.ours_name = "mbms_msk_msg_build (fixed MUK, fresh RAND and counter)",
		.baseline_name = "crypto floor (6 HMAC-SHA-1 with cached MUK states, AES-128-CTR "
				 "26 B, 1 HMAC-SHA-1 192 B)",
		.ours_ns = p.a_med,
		.baseline_ns = p.b_med,
		.ratio = p.ratio_med,
		.ratio_meaning = "ours time / floor time",
		.target_op = "<=",
		.target = 1.5,
		.pair = &p,
		.layout = layout,
	});

	bench_compare(&cfg, verify_ours, &S, verify_floor, &S, &p);
	bench_print_figure(&(struct bench_figure){
		.id = 2,
		.title = "MIKEY MSK message parse+verify+decrypt, one core",
		.unit = "messages/s/core",
		.ours_name = "mbms_msg_verify (MUK given, 256 pre-built messages)",
		.baseline_name = "crypto floor (the same crypto: MAC check, 3 keys, AES-128-CTR)",
		.ours_ns = p.a_med,
		.baseline_ns = p.b_med,
		.ratio = p.ratio_med,
		.ratio_meaning = "ours time / floor time",
		.target_op = "<=",
		.target = 1.5,
		.pair = &p,
		.layout = layout,
	});

	/* Split timings of ours: where the time of figure 1 goes. */
	struct bench_cfg quick = cfg;
	quick.reps = 5;
	quick.seconds = cfg.seconds / 2;
	bench_compare(&quick, build_ours_rotating, &S, build_ours, &S, &p);
	bench_print_info("split", "mbms_msk_msg_build with another MUK for every message", p.a_med,
			 p.ratio_med < 1.1 ? "within 10% of the fixed-MUK time measured beside it: "
					     "nothing is cached between messages"
					   : "more than 10% above the fixed-MUK time measured beside it");
	bench_single(&quick, split_codec, &S, &p);
	bench_print_info("split", "codec: the writer calls of the MSK message, no crypto", p.b_med,
			 NULL);
	bench_single(&quick, split_parse, &S, &p);
	bench_print_info("split", "codec: mbms_msg_parse of the MSK message", p.b_med, NULL);
	if (mbms_mikey_keyctx_init(&kept_ctx, S.muk, sizeof(S.muk)))
		bench_die("mbms_mikey_keyctx_init", -1);
	bench_compare(&quick, split_msg_keys, &S, split_msg_keys_kept, &S, &p);
	char note[160];
	snprintf(note, sizeof(note),
		 "timed beside the next row: preparing the MUK costs %.0f ns per message",
		 p.a_med - p.b_med);
	bench_print_info("split", "mbms_mikey_msg_keys (3 PRF derivations, MUK prepared per call)",
			 p.a_med, note);
	bench_print_info("split",
			 "mbms_mikey_msg_keys_keyed (the same with a keyctx kept per MUK)",
			 p.b_med, "what a BM-SC keeping one keyctx per MUK would pay");
	mbms_mikey_keyctx_wipe(&kept_ctx);
	bench_single(&quick, split_aes, &S, &p);
	bench_print_info("split", "mbms_aes_cm_128 over 26 bytes (key set per call)", p.b_med,
			 NULL);
	bench_single(&quick, split_mac, &S, &p);
	bench_print_info("split", "mbms_hmac_sha1 over 192 bytes with a fresh 20-byte key",
			 p.b_med, NULL);

	floor_free(S.floor);
	mbms_crypto_thread_cleanup();
	return 0;
}
