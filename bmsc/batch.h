/* bmscd: group commit of push-state-only batches (batch.c). With d->lock
 * held. */
#ifndef BMSCD_BATCH_H
#define BMSCD_BATCH_H

#include "bmscd.h"

/* Copy a drain's records (push states only) and datagrams into the group;
 * flushes when it is full. false when out of memory (nothing taken). */
bool bmscd_batch_add(struct bmscd *d, const struct mbms_bmsc_action *const *recs, size_t nrec,
		     const struct mbms_bmsc_action *const *sends, size_t nsend);
/* Commit the group's records in one transaction, then send its datagrams. */
void bmscd_batch_flush(struct bmscd *d);
bool bmscd_batch_empty(void);
/* When the group must be flushed (ms since the epoch); UINT64_MAX: empty. */
uint64_t bmscd_batch_due(void);
void bmscd_batch_free(void);

#endif
