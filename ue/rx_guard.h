/* mbms-ue: the guard in front of the UDP receive path (docs/security.md):
 * a per-source allowance of refused datagrams (common/ratelimit.h), so a
 * flood costs a bounded amount of CPU and log, and the TEST-ONLY random
 * loss of [test] drop_rate (docs/ue.md). */
#ifndef UED_RX_GUARD_H
#define UED_RX_GUARD_H

#include "mbmssec/ue.h"

#include <stdbool.h>
#include <stdint.h>
#include <sys/socket.h>

/* Before the library sees a datagram from ss: false = drop it unread
 * (its source is over its allowance, or the test-only loss hit it).
 * drop_rate_pct: [test] drop_rate, 0 normally. */
bool ued_rx_admit(const struct sockaddr_storage *ss, socklen_t sl, enum mbms_ue_port port,
		  unsigned drop_rate_pct, uint64_t now_ms);
/* After mbms_ue_udp_rx returned rc for it: a refusal charges the source
 * (routine refusals -- repeated MTK messages, traffic for an MSK we lack or
 * for other services -- do not). */
void ued_rx_done(const struct sockaddr_storage *ss, socklen_t sl, int rc, uint64_t now_ms);

/* An acknowledgement means "stored": the verification messages (UDP
 * actions) of one batch wait for the key store save that follows them in
 * the same batch. hold: copy one (false when the small buffer is full --
 * send it at once then). release: send the held ones through send() when
 * every save of the batch succeeded, else drop them (the BM-SC retransmits,
 * a later save may succeed) and log it. */
bool ued_ack_hold(const struct mbms_ue_action *a);
void ued_ack_release(bool saved, void (*send)(void *ctx, const struct mbms_ue_action *a),
		     void *ctx);

#endif
