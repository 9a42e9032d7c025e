/* bmscd: the MIKEY socket's I/O in batches (mikey_io.c). Event loop only
 * (the flood guard it calls is not thread-safe). */
#ifndef BMSCD_MIKEY_IO_H
#define BMSCD_MIKEY_IO_H

#include "bmscd.h"

/* Larger socket buffers for fan-out bursts (best effort). */
void bmscd_mikey_socket_tune(int fd);

/* Read up to max datagrams from fd; each recvmmsg batch goes to the core
 * under one lock with one drain. Returns the number read. */
unsigned bmscd_udp_receive(struct bmscd *d, int fd, unsigned max);

/* Send the SEND actions of one drain (called with d->lock held, after the
 * batch's records were committed), in sendmmsg batches. */
void bmscd_udp_send_batch(struct bmscd *d, const struct mbms_bmsc_action *const *sends,
			  size_t n);

#endif
