/* The crypto floor of one MIKEY MSK message (perf-notes.md): exactly the
 * crypto an MSK message needs and nothing else, done the fastest way we
 * know with OpenSSL 3.
 *
 *   3 message keys: MIKEY-1 PRF (RFC 3830 4.1.2) of the MUK, label =
 *     const || 0xFF || CSB ID || RAND; each key <= 20 bytes, so one 256-bit
 *     piece and one P block: A1 = HMAC(s, label), key = HMAC(s, A1 || label)
 *     -> 6 HMAC-SHA-1 on 25 and 45 bytes;
 *   AES-128-CTR over the 26-byte KEY sub-payload (cipher context reused,
 *     the fresh key set per message);
 *   1 HMAC-SHA-1 over the message up to the MAC (~190 bytes) with the fresh
 *     auth key (its pads computed per message: inherent).
 *
 * The inner/outer SHA-1 states of the MUK are computed once (floor_muk_init)
 * and copied per HMAC; HMACs use the low-level SHA1_* calls (deprecated in
 * OpenSSL 3.0 but the cheapest way to copy a SHA-1 state), isolated in
 * floor.c. The floor does no encoding and no parsing: it is given the
 * offsets.
 */
#ifndef MBMS_BENCH_FLOOR_H
#define MBMS_BENCH_FLOOR_H

#include <stddef.h>
#include <stdint.h>

struct floor_ctx;

/* A context for one MUK (inkey of at most 32 bytes: one PRF piece). */
struct floor_ctx *floor_new(const uint8_t *muk, size_t muk_len);
void floor_free(struct floor_ctx *f);

/* Build side: encrypt msg[encr_off, +encr_len) in place and write the MAC
 * over msg[0, mac_off) at msg + mac_off. Returns 0 or -1. */
int floor_seal(struct floor_ctx *f, uint8_t *msg, size_t encr_off, size_t encr_len,
	       size_t mac_off, uint32_t csb_id, const uint8_t rand[16], uint32_t ts);

/* Receive side: check the MAC at msg + mac_off (constant time), then
 * decrypt the encr data into plain. Returns 0, or -1 on a bad MAC. */
int floor_open(struct floor_ctx *f, const uint8_t *msg, size_t encr_off, size_t encr_len,
	       size_t mac_off, uint32_t csb_id, const uint8_t rand[16], uint32_t ts,
	       uint8_t *plain);

#endif
