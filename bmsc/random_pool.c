/* bmscd's random source for the core (mbms_bmsc_config.random): output of
 * mbms_random() (OpenSSL's DRBG) drawn 4 KiB at a time and handed out in
 * order, each byte once, consumed bytes wiped. Every MIKEY message takes a
 * fresh 16-byte RAND, and a call into OpenSSL's RAND_bytes per message was
 * 5% of a rotation's CPU (docs/benchmarks.md, figure 4). The bytes are the
 * DRBG's own, only fetched ahead; the pool lives in bmscd's memory, which
 * holds the MSKs and MUKs anyway. Called with d->lock held (the core is
 * only ever called under it); bmscd does not fork. */
#include "random_pool.h"

#include "mbmssec/crypto.h"

#include <string.h>

#define POOL_SIZE 4096

static struct {
	uint8_t buf[POOL_SIZE];
	size_t pos; /* bytes before pos are used (and wiped) */
	bool filled;
} P;

int bmscd_random_pool(void *user, uint8_t *out, size_t len)
{
	(void)user;
	if (len > POOL_SIZE / 4)
		return mbms_random(out, len); /* large requests straight from the DRBG */
	while (len) {
		if (!P.filled || P.pos == POOL_SIZE) {
			if (mbms_random(P.buf, POOL_SIZE) != 0)
				return -1;
			P.pos = 0;
			P.filled = true;
		}
		size_t n = POOL_SIZE - P.pos < len ? POOL_SIZE - P.pos : len;
		memcpy(out, P.buf + P.pos, n);
		mbms_wipe(P.buf + P.pos, n);
		P.pos += n;
		out += n;
		len -= n;
	}
	return 0;
}

void bmscd_random_pool_wipe(void)
{
	mbms_wipe(&P, sizeof(P));
}
