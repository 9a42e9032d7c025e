/* mbmssec — traffic protection: the SRTP stream protected with the MTKs
 * that MTK messages deliver under the MSK (PROFILE.md 2, 5.5; RFC 3711;
 * docs/traffic.md).
 *
 * This header holds the sans-I/O part (no SRTP library, no socket):
 *   - the MKI layout: MSK ID (4) || MTK ID (2), big-endian, the same six
 *     bytes as the SPI of the MTK's KEY payload (PROFILE.md 5.5);
 *   - RTP header parsing and finding the MKI of an SRTP packet;
 *   - the length-prefixed RTP file the BM-SC streams from (and the UE may
 *     write), and a deterministic generated test stream;
 *   - the BM-SC's choice of MTK for each packet of a session:
 *     mbms_bmsc_stream_key() — MTK changes by packet count, by lifetime and
 *     on demand (mbms_bmsc_mtk_change), the MTK message of a new MTK queued
 *     before the first packet that uses it;
 *   - the UE's choice of key for a received packet by its MKI
 *     (struct mbms_traffic_rx): decrypt with a held MTK, hold a packet whose
 *     MTK has not arrived yet, start the missed key update (6.3) for an MSK
 *     it lacks, drop traffic whose MTK it no longer keeps.
 *
 * The SRTP transform itself (libsrtp2, AES_CM_128_HMAC_SHA1_80 with the
 * 6-byte MKI; master key = MTK, master salt = MTK salt) is done by the
 * daemons' glue, common/srtp_glue.h, with the keys chosen here.
 */
#ifndef MBMSSEC_TRAFFIC_H
#define MBMSSEC_TRAFFIC_H

#include "mbmssec/bmsc.h"
#include "mbmssec/mbms_msg.h"
#include "mbmssec/profile.h"
#include "mbmssec/ue.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* PROFILE.md 5.5: MKI = SPI = MSK ID || MTK ID. */
#define MBMS_TRAFFIC_MKI_LEN MBMS_PROFILE_MTK_SPI_LEN
/* AES_CM_128_HMAC_SHA1_80 (RFC 3711 5.2, RFC 4568 6.2.1): 80-bit tag. The
 * MTK message carries no SP payload (PROFILE.md 10.6), so this is the
 * transform of every stream. */
#define MBMS_TRAFFIC_TAG_LEN 10
#define MBMS_RTP_HEADER_MIN 12
/* Largest RTP packet streamed (an SRTP packet adds MKI and tag). */
#define MBMS_TRAFFIC_RTP_MAX 1400
#define MBMS_TRAFFIC_SRTP_MAX (MBMS_TRAFFIC_RTP_MAX + MBMS_TRAFFIC_MKI_LEN + MBMS_TRAFFIC_TAG_LEN)

/* One MTK as an SRTP master key: key = MTK, salt = MTK salt, MKI from the
 * IDs. Wipe it after use (mbms_traffic_key_wipe). */
struct mbms_traffic_key {
	uint8_t key_domain_id[MBMS_KEY_DOMAIN_ID_LEN];
	uint32_t msk_id;
	uint16_t mtk_id;
	uint8_t mtk[MBMS_MTK_LEN];
	uint8_t salt[MBMS_MTK_SALT_LEN];
};

void mbms_traffic_key_wipe(struct mbms_traffic_key *k);

/* ---- MKI ---- */

void mbms_traffic_mki_make(uint32_t msk_id, uint16_t mtk_id, uint8_t mki[MBMS_TRAFFIC_MKI_LEN]);
/* MBMS_ELENGTH for another length, MBMS_EKEYNUM0 for Key Number 0 (never a
 * real MSK, PROFILE.md 3). */
int mbms_traffic_mki_parse(const uint8_t *mki, size_t len, uint32_t *msk_id, uint16_t *mtk_id);

/* ---- RTP and SRTP packets (RFC 3550 5.1, RFC 3711 3.1) ---- */

struct mbms_rtp_header {
	uint8_t version;
	bool padding, extension, marker;
	uint8_t csrc_count;
	uint8_t payload_type;
	uint16_t seq;
	uint32_t timestamp, ssrc;
	size_t header_len; /* 12 + 4 * CC + the header extension */
};

/* The fixed header, CSRCs and extension: MBMS_ETRUNCATED when they do not
 * fit in len, MBMS_EVERSION unless version 2. */
int mbms_rtp_parse(const uint8_t *pkt, size_t len, struct mbms_rtp_header *h);

/* The payload of a plain RTP packet, padding removed (MBMS_ELENGTH for a
 * padding count that does not fit). */
int mbms_rtp_payload(const uint8_t *pkt, size_t len, const uint8_t **payload, size_t *payload_len);

/* An SRTP packet: header || encrypted payload || MKI || tag (tag_len). */
struct mbms_srtp_packet {
	struct mbms_rtp_header rtp;
	const uint8_t *mki; /* points into the packet */
	uint32_t msk_id;
	uint16_t mtk_id;
};

/* MBMS_ETRUNCATED when the header, the 6-byte MKI and the tag do not fit;
 * MBMS_EVERSION; MBMS_EKEYNUM0 for an MKI naming Key Number 0. */
int mbms_srtp_parse(const uint8_t *pkt, size_t len, size_t tag_len, struct mbms_srtp_packet *out);

/* ---- the length-prefixed RTP file (docs/traffic.md) ----
 * A sequence of records: length (2 bytes, big-endian, 12..1400) || one RTP
 * packet of that length. No file header. */

/* The next record at *data (cursor of *left bytes): 1 with *pkt and *pkt_len
 * and the cursor advanced; 0 at the end; MBMS_ETRUNCATED (a record cut
 * short), MBMS_ELENGTH (a length outside 12..1400) or an mbms_rtp_parse
 * error, the cursor left where it was. */
int mbms_rtpfile_next(const uint8_t **data, size_t *left, const uint8_t **pkt, size_t *pkt_len);
/* One record into out (cap): *written = 2 + len. MBMS_ELENGTH, MBMS_ENOSPC. */
int mbms_rtpfile_put(const uint8_t *pkt, size_t len, uint8_t *out, size_t cap, size_t *written);

/* ---- a generated test stream ----
 * Packet i: V=2, PT, M set every 50th packet, seq = seq0 + i (mod 2^16),
 * timestamp = ts0 + i * ts_step, the SSRC; payload of payload_len bytes
 * (4..MBMS_TRAFFIC_RTP_MAX - 12): i as 4 bytes big-endian, then byte j
 * (j >= 4) = (i + j) mod 251. */
struct mbms_rtp_gen {
	uint32_t ssrc;
	uint16_t seq0;
	uint32_t ts0, ts_step;
	uint8_t payload_type;
	size_t payload_len;
};
int mbms_rtp_generate(const struct mbms_rtp_gen *g, uint32_t index, uint8_t *out, size_t cap,
		      size_t *len);

/* ---- BM-SC: the MTK of each packet (lib/bmsc_stream.c) ---- */

/* The index of the session called name in the configuration. */
int mbms_bmsc_session_index(const struct mbms_bmsc *b, const char *name, size_t *idx);

/* The MTK that protects the next SRTP packet of the session: the live MTK
 * of the key group's current MSK. A new MTK (next MTK ID in [VF, VT]) is
 * made when there is none (start, MSK switch-over), when its lifetime is
 * over, or when mtk_packets > 0 packets of this session have used it; its
 * MTK messages are then queued (SEND actions) for every session of the key
 * group BEFORE this returns: carry the actions out before the packet goes.
 * *changed says the MTK differs from the one the previous call returned for
 * this session; only then key->mtk/salt are filled (IDs always). Counts
 * the packet. MBMS_ESTATE when no MTK can be had (not started, MTK IDs of
 * the MSK used up without a live MTK). */
int mbms_bmsc_stream_key(struct mbms_bmsc *b, size_t session, uint64_t mtk_packets,
			 uint64_t now_ms, struct mbms_traffic_key *key, bool *changed);

/* A new MTK for the key group now (admin, tests): MTK ID + 1, MTK messages
 * of its sessions queued. MBMS_ENOTFOUND (no such key group, or no session
 * uses it), MBMS_ESTATE (not started, or the MSK's MTK IDs are used up:
 * the early switch-over brings the next MSK). */
int mbms_bmsc_mtk_change(struct mbms_bmsc *b, uint16_t key_group, uint64_t now_ms,
			 uint16_t *mtk_id);

/* ---- UE: which key decrypts a received packet (lib/srtp_rx.c) ---- */

struct mbms_traffic_rx_config {
	const char *service_id; /* the service whose Key Domain the MKIs are under (copied) */
	size_t tag_len;         /* MBMS_TRAFFIC_TAG_LEN */
	size_t hold_max;        /* packets held for an MTK not yet arrived; 0: none */
	uint64_t hold_ms;       /* how long one may wait */
};

struct mbms_traffic_rx_counters {
	uint64_t received;      /* packets given to mbms_traffic_rx_input */
	uint64_t to_decrypt;    /* handed out with a key, at once or after being held */
	uint64_t held;          /* went into the hold buffer */
	uint64_t released;      /* ... and came out with a key */
	uint64_t hold_overflow; /* pushed out of a full hold buffer */
	uint64_t hold_expired;  /* waited longer than hold_ms */
	uint64_t hold_dropped;  /* their MSK or MTK became unusable while held */
	uint64_t malformed;     /* not SRTP with an MKI */
	uint64_t not_ours;      /* no announcement yet, or no service of ours uses the Key Group */
	uint64_t unknown_msk;   /* MSK not held: the missed key update (6.3) */
	uint64_t mtk_gone;      /* MTK older than the ones kept (or retired by the SRTP glue) */
	uint64_t mtk_range;     /* MTK ID outside the MSK's [VF, VT] */
	/* outcomes of the decryption the shell reports (mbms_traffic_rx_outcome) */
	uint64_t decrypted, auth_failed, replayed, other_failed;
};

struct mbms_traffic_rx;

/* MBMS_EINVAL (no service ID, tag_len 0), MBMS_ENOMEM. */
int mbms_traffic_rx_new(const struct mbms_traffic_rx_config *cfg, struct mbms_traffic_rx **out);
/* Wipes and frees the held packets. NULL is fine. */
void mbms_traffic_rx_free(struct mbms_traffic_rx *rx);

enum mbms_traffic_verdict {
	MBMS_TRAFFIC_DECRYPT = 1, /* *key filled: decrypt the packet with it now */
	MBMS_TRAFFIC_HELD = 2,    /* its MTK has not arrived: copied into the hold buffer */
};

/* One received SRTP packet: a verdict (> 0), or the reason it is dropped
 * (< 0, counted): MBMS_ETRUNCATED / MBMS_EVERSION / MBMS_EKEYNUM0
 * (malformed), MBMS_ENOTFOUND (not ours), MBMS_EUNKNOWNMSK (the MSK is not
 * held: mbms_ue_srtp_mki() started the missed key update or it is under
 * way), MBMS_EMTKOLD (its MTK is no longer kept), MBMS_EMTKRANGE.
 * The UE may have queued actions: drain mbms_ue_next_action() after. */
int mbms_traffic_rx_input(struct mbms_traffic_rx *rx, struct mbms_ue *ue, const uint8_t *pkt,
			  size_t len, uint64_t now_ms, struct mbms_traffic_key *key);

/* A held packet whose MTK is now held, oldest first: 1 with the packet
 * copied to out (cap >= MBMS_TRAFFIC_SRTP_MAX) and *key filled; 0 when
 * none is ready. On the way it drops (counted) held packets that waited
 * too long or whose MSK or MTK became unusable. Call it until 0 after each
 * accepted MTK message, before each new packet, and at the deadline. */
int mbms_traffic_rx_next(struct mbms_traffic_rx *rx, const struct mbms_ue *ue, uint64_t now_ms,
			 uint8_t *out, size_t cap, size_t *out_len, struct mbms_traffic_key *key);

/* When the oldest held packet expires (UINT64_MAX: none held). */
uint64_t mbms_traffic_rx_deadline(const struct mbms_traffic_rx *rx);
size_t mbms_traffic_rx_held(const struct mbms_traffic_rx *rx);

/* What the decryption of a DECRYPT / released packet gave: 0,
 * MBMS_EMAC (authentication failed), MBMS_EREPLAY, MBMS_EMTKOLD (the glue
 * retired that MTK), anything else. Counted. */
void mbms_traffic_rx_outcome(struct mbms_traffic_rx *rx, int rc);

void mbms_traffic_rx_counters(const struct mbms_traffic_rx *rx,
			      struct mbms_traffic_rx_counters *out);

#ifdef __cplusplus
}
#endif
#endif
