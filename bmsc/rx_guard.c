/* bmscd's MIKEY receive guard (rx_guard.h). */
#include "rx_guard.h"

#include "log.h"
#include "ratelimit.h"

#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define SUMMARY_MS 10000

static struct {
	bool init;
	struct mbmsd_ratelimit rl; /* the event loop's */
	uint64_t limited_logged, last_summary_ms;
	/* read by the admin thread */
	atomic_uint_least64_t received, accepted, refused, limited;
} G;

static void summary_at_exit(void)
{
	if (!G.init || G.rl.received == 0)
		return;
	log_info("udp: %llu datagram(s) on the MIKEY socket: %llu accepted, %llu refused, %llu "
		 "dropped unread (source over its allowance of bad input)",
		 (unsigned long long)atomic_load(&G.received),
		 (unsigned long long)atomic_load(&G.accepted),
		 (unsigned long long)atomic_load(&G.refused),
		 (unsigned long long)atomic_load(&G.limited));
	mbmsd_rl_free(&G.rl);
}

bool bmscd_rx_admit(const struct sockaddr_storage *ss, socklen_t sl, uint64_t now_ms)
{
	if (!G.init) {
		G.init = true;
		if (mbmsd_rl_init(&G.rl, 0, MBMSD_RL_BURST, MBMSD_RL_RATE) != 0)
			log_warn("udp: no memory for the rate limiter: running without it");
		atexit(summary_at_exit);
	}
	atomic_fetch_add(&G.received, 1);
	if (mbmsd_rl_allow(&G.rl, (const struct sockaddr *)ss, sl, now_ms))
		return true;
	atomic_fetch_add(&G.limited, 1);
	if (now_ms - G.last_summary_ms >= SUMMARY_MS) {
		log_warn("udp: %llu datagram(s) dropped unread since the last report: their source "
			 "sent too much bad input (%llu in all)",
			 (unsigned long long)(G.rl.limited - G.limited_logged),
			 (unsigned long long)G.rl.limited);
		G.limited_logged = G.rl.limited;
		G.last_summary_ms = now_ms;
	}
	return false;
}

void bmscd_rx_done(const struct sockaddr_storage *ss, socklen_t sl, int rc, uint64_t now_ms)
{
	if (rc == 0) {
		atomic_fetch_add(&G.accepted, 1);
		mbmsd_rl_good(&G.rl, (const struct sockaddr *)ss, sl, now_ms);
		return;
	}
	/* Everything else (not a verification message, bad MAC, matching no
	 * pending push: late, replayed or forged) charges its source. A UE
	 * sends one ack per push, far below the allowance. */
	atomic_fetch_add(&G.refused, 1);
	mbmsd_rl_bad(&G.rl, (const struct sockaddr *)ss, sl, now_ms);
}

size_t bmscd_rx_status_append(char *buf, size_t len, size_t cap)
{
	if (len == 0 || buf[len - 1] != '}')
		return len;
	char add[200];
	int n = snprintf(add, sizeof(add),
			 "%s\"udp_guard\":{\"received\":%llu,\"accepted\":%llu,\"refused\":%llu,"
			 "\"dropped_unread\":%llu}}",
			 len > 2 ? "," : "", (unsigned long long)atomic_load(&G.received),
			 (unsigned long long)atomic_load(&G.accepted),
			 (unsigned long long)atomic_load(&G.refused),
			 (unsigned long long)atomic_load(&G.limited));
	if (n < 0 || (size_t)n >= sizeof(add) || len - 1 + (size_t)n > cap)
		return len;
	memcpy(buf + len - 1, add, (size_t)n);
	return len - 1 + (size_t)n;
}
