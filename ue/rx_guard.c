/* mbms-ue's UDP receive guard (rx_guard.h). Called from the event loop
 * only. The counters are logged every 10 s while datagrams are dropped
 * unread, and once at exit. */
#include "rx_guard.h"

#include "log.h"
#include "ratelimit.h"

#include "mbmssec/crypto.h"
#include "mbmssec/error.h"

#include <stdlib.h>
#include <string.h>

#define SUMMARY_MS 10000

static struct {
	bool init;
	struct mbmsd_ratelimit rl;
	uint64_t accepted, refused, test_dropped;
	uint64_t limited_logged; /* rl.limited at the last summary */
	uint64_t last_summary_ms;
} G;

static void summary_at_exit(void)
{
	if (!G.init || G.rl.received == 0)
		return;
	log_info("udp: %llu datagram(s) received: %llu accepted, %llu refused, %llu dropped "
		 "unread (source over its allowance of bad input)%s",
		 (unsigned long long)G.rl.received, (unsigned long long)G.accepted,
		 (unsigned long long)G.refused, (unsigned long long)G.rl.limited,
		 G.test_dropped ? ", plus TEST-ONLY losses" : "");
	if (G.test_dropped)
		log_info("udp: %llu datagram(s) lost on purpose (TEST-ONLY drop_rate)",
			 (unsigned long long)G.test_dropped);
	mbmsd_rl_free(&G.rl);
}

static void init(void)
{
	if (G.init)
		return;
	G.init = true;
	if (mbmsd_rl_init(&G.rl, 0, MBMSD_RL_BURST, MBMSD_RL_RATE) != 0)
		log_warn("udp: no memory for the rate limiter: running without it");
	atexit(summary_at_exit);
}

bool ued_rx_admit(const struct sockaddr_storage *ss, socklen_t sl, enum mbms_ue_port port,
		  unsigned drop_rate_pct, uint64_t now_ms)
{
	init();
	if (!mbmsd_rl_allow(&G.rl, (const struct sockaddr *)ss, sl, now_ms)) {
		if (now_ms - G.last_summary_ms >= SUMMARY_MS) {
			log_warn("udp: %llu datagram(s) dropped unread since the last report: "
				 "their source sent too much bad input (%llu in all)",
				 (unsigned long long)(G.rl.limited - G.limited_logged),
				 (unsigned long long)G.rl.limited);
			G.limited_logged = G.rl.limited;
			G.last_summary_ms = now_ms;
		}
		return false;
	}
	if (drop_rate_pct) {
		uint16_t r = 0;
		mbms_random((uint8_t *)&r, sizeof(r));
		if ((unsigned)r % 100u < drop_rate_pct) {
			G.test_dropped++;
			log_debug("%s datagram: TEST fault injection: lost (drop_rate %u%%)",
				  port == MBMS_UE_PORT_MIKEY ? "MIKEY" : "MTK", drop_rate_pct);
			return false;
		}
	}
	return true;
}

void ued_rx_done(const struct sockaddr_storage *ss, socklen_t sl, int rc, uint64_t now_ms)
{
	if (rc == 0) {
		G.accepted++;
		mbmsd_rl_good(&G.rl, (const struct sockaddr *)ss, sl, now_ms);
		return;
	}
	G.refused++;
	/* Routine: MTK messages repeat (10.11), traffic for an MSK we lack sets
	 * off the missed key update (6.3), other services' traffic, and the
	 * TEST-ONLY push drops of the library: their token comes back. */
	if (rc == MBMS_EMTKOLD || rc == MBMS_EUNKNOWNMSK || rc == MBMS_ENOTFOUND ||
	    rc == MBMS_ESTATE)
		mbmsd_rl_good(&G.rl, (const struct sockaddr *)ss, sl, now_ms);
	else
		mbmsd_rl_bad(&G.rl, (const struct sockaddr *)ss, sl, now_ms);
}

#define ACKS_HELD 16

static struct {
	size_t n;
	uint64_t withheld;
	struct {
		uint8_t b[MBMS_MSG_MAX_LEN];
		size_t len;
		struct mbms_ue_addr dst;
	} a[ACKS_HELD];
} H;

bool ued_ack_hold(const struct mbms_ue_action *a)
{
	if (H.n == ACKS_HELD || a->udp_len > sizeof(H.a[0].b))
		return false;
	memcpy(H.a[H.n].b, a->udp, a->udp_len);
	H.a[H.n].len = a->udp_len;
	H.a[H.n].dst = a->dst;
	H.n++;
	return true;
}

void ued_ack_release(bool saved, void (*send)(void *ctx, const struct mbms_ue_action *a),
		     void *ctx)
{
	if (H.n && !saved) {
		H.withheld += H.n;
		log_warn("key store not saved: %zu verification message(s) withheld (%llu in all); "
			 "the BM-SC will retransmit",
			 H.n, (unsigned long long)H.withheld);
	}
	for (size_t i = 0; i < H.n && saved; i++) {
		struct mbms_ue_action a;
		memset(&a, 0, sizeof(a));
		a.kind = MBMS_UE_ACT_UDP;
		a.udp = H.a[i].b;
		a.udp_len = H.a[i].len;
		a.dst = H.a[i].dst;
		send(ctx, &a);
	}
	H.n = 0;
}
