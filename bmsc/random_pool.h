/* bmscd: the core's random source, DRBG output fetched 4 KiB at a time
 * (random_pool.c). With d->lock held. */
#ifndef BMSCD_RANDOM_POOL_H
#define BMSCD_RANDOM_POOL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* The signature of mbms_bmsc_config.random: 0, or -1 when the DRBG failed. */
int bmscd_random_pool(void *user, uint8_t *out, size_t len);
/* Wipe what is left (at exit). */
void bmscd_random_pool_wipe(void);

#endif
