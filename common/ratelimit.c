/* Per-source allowance of bad UDP input and a log budget (ratelimit.h). */
#include "ratelimit.h"

#include "mbmssec/crypto.h"

#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>

int mbmsd_rl_init(struct mbmsd_ratelimit *rl, size_t slots, unsigned burst, unsigned rate_per_s)
{
	memset(rl, 0, sizeof(*rl));
	if (slots == 0)
		slots = MBMSD_RL_SLOTS;
	size_t n = 1;
	while (n < slots && n < ((size_t)1 << 24))
		n <<= 1;
	rl->slot = calloc(n, sizeof(*rl->slot));
	if (!rl->slot)
		return -1;
	rl->nslots = n;
	rl->burst_milli = (int32_t)(burst > 1000000 ? 1000000 : burst) * 1000;
	rl->rate_milli_per_s = (int32_t)(rate_per_s > 1000000 ? 1000000 : rate_per_s) * 1000;
	/* A random key: an attacker cannot aim a flood at the bucket of a
	 * chosen victim address. Without randomness the table still works. */
	if (mbms_random((uint8_t *)rl->key, sizeof(rl->key)) != 0)
		rl->key[0] = (uint64_t)(uintptr_t)rl ^ 0x9e3779b97f4a7c15u;
	for (size_t i = 0; i < n; i++)
		rl->slot[i].milli_tokens = -1; /* unused: full on first sight */
	return 0;
}

void mbmsd_rl_free(struct mbmsd_ratelimit *rl)
{
	free(rl->slot);
	rl->slot = NULL;
	rl->nslots = 0;
}

static uint64_t mix(uint64_t h)
{
	h ^= h >> 33;
	h *= 0xff51afd7ed558ccdu;
	h ^= h >> 33;
	h *= 0xc4ceb9fe1a85ec53u;
	h ^= h >> 33;
	return h;
}

/* A keyed hash of the source (family, address, port); other families (or
 * a short sockaddr) all share slot 0. */
static size_t slot_of(const struct mbmsd_ratelimit *rl, const struct sockaddr *sa, socklen_t len)
{
	uint8_t buf[2 + 2 + 16];
	size_t n = 0;
	if (sa && sa->sa_family == AF_INET && len >= (socklen_t)sizeof(struct sockaddr_in)) {
		const struct sockaddr_in *a = (const struct sockaddr_in *)sa;
		buf[n++] = 4;
		memcpy(buf + n, &a->sin_port, 2);
		n += 2;
		memcpy(buf + n, &a->sin_addr, 4);
		n += 4;
	} else if (sa && sa->sa_family == AF_INET6 &&
		   len >= (socklen_t)sizeof(struct sockaddr_in6)) {
		const struct sockaddr_in6 *a = (const struct sockaddr_in6 *)sa;
		buf[n++] = 6;
		memcpy(buf + n, &a->sin6_port, 2);
		n += 2;
		memcpy(buf + n, &a->sin6_addr, 16);
		n += 16;
	} else {
		return 0;
	}
	uint64_t h = rl->key[0];
	for (size_t i = 0; i < n; i += 8) {
		uint64_t w = 0;
		memcpy(&w, buf + i, n - i < 8 ? n - i : 8);
		h = mix(h ^ w ^ rl->key[1]);
	}
	return (size_t)(mix(h ^ n) & (rl->nslots - 1));
}

static struct mbmsd_rl_bucket *refill(struct mbmsd_ratelimit *rl, size_t i, uint64_t now_ms)
{
	struct mbmsd_rl_bucket *b = &rl->slot[i];
	uint32_t s = (uint32_t)(now_ms / 1000), ms = (uint32_t)(now_ms % 1000);
	if (b->milli_tokens < 0) {
		b->milli_tokens = rl->burst_milli;
	} else {
		/* elapsed time in ms; a clock that stepped back refills nothing
		 * and leaves the mark where it was */
		int64_t dt = ((int64_t)s - (int64_t)b->last_s) * 1000 +
			     ((int64_t)ms - (int64_t)b->last_ms);
		if (dt <= 0)
			return b;
		int64_t add = dt * rl->rate_milli_per_s / 1000;
		int64_t t = (int64_t)b->milli_tokens + add;
		b->milli_tokens = t > rl->burst_milli ? rl->burst_milli : (int32_t)t;
	}
	b->last_s = s;
	b->last_ms = ms;
	return b;
}

bool mbmsd_rl_allow(struct mbmsd_ratelimit *rl, const struct sockaddr *sa, socklen_t len,
		    uint64_t now_ms)
{
	rl->received++;
	if (!rl->slot)
		return true;
	struct mbmsd_rl_bucket *b = refill(rl, slot_of(rl, sa, len), now_ms);
	if (b->milli_tokens >= 1000) {
		b->milli_tokens -= 1000;
		return true;
	}
	rl->limited++;
	return false;
}

void mbmsd_rl_good(struct mbmsd_ratelimit *rl, const struct sockaddr *sa, socklen_t len,
		   uint64_t now_ms)
{
	if (!rl->slot)
		return;
	struct mbmsd_rl_bucket *b = refill(rl, slot_of(rl, sa, len), now_ms);
	b->milli_tokens = b->milli_tokens + 1000 > rl->burst_milli ? rl->burst_milli
								    : b->milli_tokens + 1000;
}

void mbmsd_rl_bad(struct mbmsd_ratelimit *rl, const struct sockaddr *sa, socklen_t len,
		  uint64_t now_ms)
{
	(void)sa;
	(void)len;
	(void)now_ms;
	rl->bad++; /* the token taken by mbmsd_rl_allow stays spent */
}

void mbmsd_log_budget_init(struct mbmsd_log_budget *b, uint64_t window_ms, unsigned lines)
{
	memset(b, 0, sizeof(*b));
	b->window_ms = window_ms ? window_ms : 10000;
	b->lines = lines;
}

bool mbmsd_log_budget_take(struct mbmsd_log_budget *b, uint64_t now_ms, uint64_t *flushed)
{
	*flushed = 0;
	if (now_ms < b->window_start || now_ms - b->window_start >= b->window_ms) {
		*flushed = b->suppressed;
		b->window_start = now_ms;
		b->used = 0;
		b->suppressed = 0;
	}
	if (b->used < b->lines) {
		b->used++;
		return true;
	}
	b->suppressed++;
	b->suppressed_total++;
	return false;
}
