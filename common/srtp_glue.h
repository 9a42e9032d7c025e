/* Daemon support: the SRTP transform with libsrtp2 (docs/traffic.md).
 *
 * The library decides which MTK protects or decrypts a packet
 * (include/mbmssec/traffic.h); this glue applies RFC 3711 with it:
 * AES_CM_128_HMAC_SHA1_80, master key = MTK (16 bytes), master salt = MTK
 * salt (14 bytes), MKI = MSK ID || MTK ID (6 bytes) in every packet.
 *
 * libsrtp fixes the master keys of a session when it is made, so every MTK
 * gets its own libsrtp session: the sender makes a new one at each MTK
 * change; the receiver keeps one per MTK in a small cache (its replay
 * window lives there). A receiver context pushed out of the cache is
 * retired for good: its MTK is never used again by this receiver, so a
 * replay can never meet a fresh replay window. libsrtp keeps the key
 * schedule; the key bytes given here are wiped by the caller.
 *
 * Packet buffers must be 4-byte aligned (libsrtp reads 32-bit words) and
 * have room for the trailer: MBMS_TRAFFIC_MKI_LEN + MBMS_TRAFFIC_TAG_LEN
 * after the RTP packet.
 */
#ifndef MBMSD_SRTP_GLUE_H
#define MBMSD_SRTP_GLUE_H

#include "mbmssec/traffic.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Receiver contexts per stream: 2 MSKs x 2 MTKs (PROFILE.md 3, ue.h) is
 * what one Key Group needs at most; twice that for margin. */
#define MBMSD_SRTP_RX_CONTEXTS 8
/* Retired receiver contexts remembered (MSK ID, MTK ID). */
#define MBMSD_SRTP_RX_RETIRED 64

/* srtp_init() once per process (thread-safe). MBMS_ECRYPTO.
 *
 * srtp_init() runs libsrtp's cipher self-tests, which initialise its crypto
 * backend: on Debian that is NSS, about 1 MB more resident memory. So
 * nothing here initialises it before a key is first used: a sender at
 * mbmsd_srtp_tx_new(), a receiver at the first packet it decrypts
 * (mbmsd_srtp_rx_new() only allocates). A daemon that wants to fail at
 * start-up calls this itself. */
int mbmsd_srtp_init(void);
/* Whether srtp_init() has run (and succeeded) in this process. */
bool mbmsd_srtp_initialised(void);
/* "libsrtp2 2.5.0" */
const char *mbmsd_srtp_version(void);

struct mbmsd_srtp_tx;
int mbmsd_srtp_tx_new(struct mbmsd_srtp_tx **out);
void mbmsd_srtp_tx_free(struct mbmsd_srtp_tx *tx);
/* Protect the following packets with this MTK (a new libsrtp session; the
 * previous one is freed). MBMS_ECRYPTO. */
int mbmsd_srtp_tx_set_key(struct mbmsd_srtp_tx *tx, const struct mbms_traffic_key *key);
/* RTP packet of *len bytes in buf (cap) -> SRTP packet in place.
 * MBMS_ESTATE without a key, MBMS_ENOSPC, MBMS_EREPLAY (a sequence number
 * libsrtp has protected already), MBMS_ECRYPTO. */
int mbmsd_srtp_tx_protect(struct mbmsd_srtp_tx *tx, uint8_t *buf, size_t *len, size_t cap);

struct mbmsd_srtp_rx;
int mbmsd_srtp_rx_new(struct mbmsd_srtp_rx **out);
void mbmsd_srtp_rx_free(struct mbmsd_srtp_rx *rx);
/* SRTP packet of *len bytes in buf -> RTP packet in place, with the MTK the
 * library chose for it by its MKI. 0; MBMS_EMAC (authentication failed);
 * MBMS_EREPLAY (replayed, or older than the replay window); MBMS_EMTKOLD
 * (that MTK's context was retired); MBMS_EKEYID (the MKI is not key's);
 * MBMS_ECRYPTO. */
int mbmsd_srtp_rx_unprotect(struct mbmsd_srtp_rx *rx, const struct mbms_traffic_key *key,
			    uint8_t *buf, size_t *len);
/* Contexts alive (tests). */
size_t mbmsd_srtp_rx_contexts(const struct mbmsd_srtp_rx *rx);

#endif
