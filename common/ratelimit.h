/* Daemon support: bounded defences for the UDP receive paths (MIKEY on
 * bmscd and mbms-ue) against floods of hostile datagrams (docs/security.md).
 *
 * Anyone can send a UDP datagram to a key server or a UE, from any source
 * address. The library drops what is invalid and counts it; this module
 * keeps a flood from costing more than a bounded share of the daemon:
 *
 *   * a per-source "bad input" allowance (token bucket): every datagram
 *     takes a token from the bucket of its source (IP address and port)
 *     when it is admitted, and gets it back when the library accepted it;
 *     so only refused datagrams cost tokens, and a source whose bucket is
 *     empty is dropped before it is even parsed until its bucket refills.
 *     Taking the token up front keeps the limit exact when a shell admits
 *     a whole batch (recvmmsg) before it learns the verdicts. Valid
 *     datagrams cost nothing in the end: a UE's or BM-SC's own traffic is
 *     not slowed down (at most `burst` of one source may be in flight).
 *   * buckets live in ONE table allocated at start (slots chosen by a keyed
 *     hash of the address, shared on collision): a flood from a million
 *     spoofed addresses creates no state and no allocation.
 *   * a log budget: at most `lines` drop lines per window, then one summary
 *     line per window with the number suppressed.
 *
 * Not thread-safe: each daemon calls it from its event loop only. Time is
 * an argument (milliseconds, monotonic or wall, as long as it is one clock).
 */
#ifndef MBMSD_RATELIMIT_H
#define MBMSD_RATELIMIT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

/* Defaults used by bmscd and mbms-ue: 64 bad datagrams at once, then 20 per
 * second, per source; 4096 buckets (64 KiB). */
#define MBMSD_RL_SLOTS 4096
#define MBMSD_RL_BURST 64
#define MBMSD_RL_RATE 20

struct mbmsd_rl_bucket {
	int32_t milli_tokens; /* tokens x 1000 */
	uint32_t last_s;      /* seconds of the last refill (wraps after 136 years) */
	uint32_t last_ms;     /* ... and the millisecond part */
};

struct mbmsd_ratelimit {
	struct mbmsd_rl_bucket *slot;
	size_t nslots;    /* a power of two */
	uint64_t key[2];  /* hash key, random per process */
	int32_t burst_milli, rate_milli_per_s;
	/* counters since start */
	uint64_t received; /* datagrams seen by mbmsd_rl_allow */
	uint64_t limited;  /* ... dropped unparsed: their source was over its allowance */
	uint64_t bad;      /* ... parsed and refused by the library (mbmsd_rl_bad) */
};

/* slots is rounded up to a power of two; 0 picks MBMSD_RL_SLOTS. 0, or -1
 * when out of memory. */
int mbmsd_rl_init(struct mbmsd_ratelimit *rl, size_t slots, unsigned burst, unsigned rate_per_s);
void mbmsd_rl_free(struct mbmsd_ratelimit *rl);

/* A datagram from sa arrived: true when it may be processed (a token of its
 * source is taken), false when the source has used up its allowance of bad
 * input (drop it unread). */
bool mbmsd_rl_allow(struct mbmsd_ratelimit *rl, const struct sockaddr *sa, socklen_t len,
		    uint64_t now_ms);

/* The admitted datagram from sa was accepted (or refused for a routine
 * reason): its token goes back. */
void mbmsd_rl_good(struct mbmsd_ratelimit *rl, const struct sockaddr *sa, socklen_t len,
		   uint64_t now_ms);

/* The admitted datagram from sa was refused: its token stays spent. */
void mbmsd_rl_bad(struct mbmsd_ratelimit *rl, const struct sockaddr *sa, socklen_t len,
		  uint64_t now_ms);

/* ---- log budget ---- */
struct mbmsd_log_budget {
	uint64_t window_ms;    /* length of a window */
	unsigned lines;        /* lines allowed per window */
	uint64_t window_start; /* ms */
	unsigned used;         /* lines logged in this window */
	uint64_t suppressed;   /* lines refused in this window */
	uint64_t suppressed_total;
};

void mbmsd_log_budget_init(struct mbmsd_log_budget *b, uint64_t window_ms, unsigned lines);

/* true: log the line. false: do not (it is counted). When a window ended
 * with suppressed lines, *flushed gets their number (else 0): log one
 * summary line for them. */
bool mbmsd_log_budget_take(struct mbmsd_log_budget *b, uint64_t now_ms, uint64_t *flushed);

#endif
