/* The BM-SC state machine's internals (include/mbmssec/bmsc.h). Shared by
 * lib/bmsc*.c only.
 *
 * Data model, sized for a million UEs (docs/bmsc.md "Scale"):
 *  - a UE is one allocation (struct + per-key-group Key Number array +
 *    IMPI) and a separately allocated B-TID; it sits in two chained hash
 *    tables (IMPI, current B-TID; keyed SipHash so network input cannot
 *    make chains long) and in a slot vector that fan-out jobs walk;
 *  - a push waiting for its ack is a small allocation on the UE's list, in
 *    a min-heap of deadlines and in two hash indexes of what the ack will
 *    name: (UE IP, port, CSB ID, TS) and (UE IP, CSB ID, TS);
 *  - everything else (key groups, services, sessions) is sized by the
 *    configuration.
 */
#ifndef MBMS_BMSC_PRIV_H
#define MBMS_BMSC_PRIV_H

#include "mbmssec/bmsc.h"
#include "mbmssec/digest.h"
#include "mbmssec/kdf.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define BMSC_NO_INDEX UINT32_MAX

/* ---- SipHash-2-4 (Aumasson, Bernstein 2012), keyed per object ---- */
uint64_t bmsc_siphash(const uint8_t key[16], const void *data, size_t len);

/* ---- pushes ---- */

enum bmsc_push_kind {
	BMSC_PUSH_MSK = 1,
	BMSC_PUSH_TRIGGER = 2,
};

struct bmsc_ue;

struct bmsc_push {
	struct bmsc_push *next_in_ue;
	/* the two ack indexes: [0] by (IP, port, CSB ID, TS), [1] by (IP, CSB ID,
	 * TS) for a UE that answers from another port; doubly linked, as many
	 * UEs behind one address share a chain of [1] */
	struct bmsc_push *ack_next[2];
	struct bmsc_push **ack_pprev[2];
	uint64_t ack_hash[2];
	struct bmsc_ue *ue;
	uint64_t deadline;  /* next retransmission (or first send) */
	uint32_t msk_id;    /* CSB ID: the MSK ID, or Key Group || 0 for a trigger */
	uint32_t ts;        /* TS counter of the last transmission */
	uint32_t heap_idx;
	uint8_t rand[MBMS_MIKEY_RAND_LEN]; /* RAND of the last transmission */
	/* the UE's MUK prepared for the last transmission: built the message,
	 * verifies its ack (valid while in_ack; wiped with the push) */
	struct mbms_mikey_keyctx muk_ctx;
	uint8_t kind;       /* enum bmsc_push_kind */
	uint8_t attempts;   /* transmissions so far */
	bool in_ack;        /* in the ack index (sent at least once) */
};

/* ---- UEs ---- */

struct bmsc_ue {
	struct bmsc_ue *next_impi, *next_btid;
	uint64_t h_impi, h_btid;
	char *btid;     /* current B-TID (malloc'd), the MUK's IDr */
	char *impi;     /* inside this allocation */
	uint8_t muk[MBMS_MUK_LEN];
	uint64_t muk_expires; /* ms */
	struct mbms_bmsc_addr addr;
	uint32_t ts_next, ts_hwm; /* per-MUK TS counter: next value; reserved below hwm */
	uint32_t slot;
	uint64_t services;  /* registered service indices */
	struct bmsc_push *pushes;
	uint8_t npushes;
	bool persisted;     /* a UE row exists */
	uint16_t kn_pushed[]; /* per key group index: Key Number of the latest MSK pushed */
};

/* ---- key groups, MSKs, sessions ---- */

struct bmsc_msk {
	bool used;
	uint32_t msk_id;
	uint8_t key[MBMS_MSK_LEN];
	uint16_t vf, vt;
	uint64_t valid_from, valid_until;
	uint32_t ts_next, ts_hwm;    /* per-MSK TS counter (MTK messages) */
	bool have_mtk;               /* an MTK was made under this MSK */
	uint16_t mtk_id;             /* highest MTK ID used */
	bool mtk_live;               /* mtk/salt hold the current MTK (memory only) */
	bool mtk_exhausted;          /* VT reached: switch over early */
	uint8_t mtk[MBMS_MTK_LEN];
	uint8_t mtk_salt[MBMS_MTK_SALT_LEN];
	uint64_t mtk_made_at;
};

struct bmsc_kg {
	const struct mbms_bmsc_key_group_cfg *cfg;
	uint64_t service_mask; /* services that use this key group */
	struct bmsc_msk cur, next;
	uint16_t last_kn;      /* last Key Number allocated, 0 = none yet */
	uint64_t registered;   /* UEs registered to a service of this key group */
};

struct bmsc_session {
	const struct mbms_bmsc_session_cfg *cfg;
	size_t kg;             /* key group index */
	uint64_t next_send;
	uint64_t sent;
	/* the SRTP stream (lib/bmsc_stream.c): the MTK its last packet used
	 * and how many packets used it */
	bool stream_keyed;
	uint32_t stream_msk_id;
	uint16_t stream_mtk_id;
	uint64_t stream_packets;
};

struct bmsc_service {
	const struct mbms_bmsc_service_cfg *cfg;
	size_t *kg;            /* key group indices */
	uint64_t registered;   /* UEs registered */
	char **exact;          /* sorted exact IMPIs */
	size_t nexact;
	const char **suffix;   /* "@domain" suffixes */
	size_t nsuffix;
};

/* A walk over every UE slot: the fan-out of a next MSK, a solicited pull
 * of one key group, or the garbage collection of idle UEs. */
enum bmsc_job_kind {
	BMSC_JOB_FANOUT = 1,
	BMSC_JOB_TRIGGER = 2,
};

struct bmsc_job {
	uint8_t kind;
	size_t kg;
	uint32_t msk_id;      /* FANOUT: the MSK pushed */
	uint64_t filter;      /* UEs with any of these services */
	uint32_t cursor;
	uint32_t reserved_to; /* FANOUT: counters reserved ahead for slots below */
	uint64_t hits;
};

/* ---- the nc replay tracker: nonce -> highest nc, in insertion order ---- */

struct bmsc_nc_entry {
	char nonce[MBMS_DIGEST_NONCE_LEN];
	uint32_t nc;
	uint64_t issued_at;  /* seconds */
	int32_t next;        /* hash chain */
	bool used;
};

struct bmsc_nc {
	struct bmsc_nc_entry *e; /* ring of cap entries, head = oldest */
	int32_t *bucket;
	size_t cap, nbucket, head, count;
	uint64_t floor;          /* nonces issued before this were evicted: refuse */
	uint8_t key[16];
};

int bmsc_nc_init(struct bmsc_nc *t, size_t cap, const uint8_t key[16]);
void bmsc_nc_free(struct bmsc_nc *t);
/* 0 new and recorded, MBMS_EREPLAY (nc not greater, or evicted nonce). */
int bmsc_nc_use(struct bmsc_nc *t, const char *nonce, uint64_t issued_at, uint32_t nc);
/* Forget nonces whose lifetime is over (they fail the nonce check anyway). */
void bmsc_nc_expire(struct bmsc_nc *t, uint64_t now_s, uint64_t lifetime_s);

/* ---- the object ---- */

struct bmsc_action_queue {
	struct mbms_bmsc_action *a;
	size_t cap, count, head;
};

struct mbms_bmsc {
	const struct mbms_bmsc_config *cfg;
	size_t fqdn_len;
	char realm[MBMS_KMXML_HOST_MAX + 32];
	uint16_t announce_port;
	bool started;

	struct bmsc_service *svc;
	size_t nsvc;
	struct bmsc_kg *kg;
	size_t nkg;
	struct bmsc_session *sess;
	size_t nsess;

	/* UEs */
	uint8_t hash_key[16];
	struct bmsc_ue **by_impi, **by_btid;
	size_t nbucket;          /* power of two, both tables */
	size_t nues;
	struct bmsc_ue **slots;  /* slot vector (holes are NULL) */
	uint32_t nslots, slot_cap;
	uint32_t *free_slots;
	uint32_t nfree, free_cap;

	/* pushes */
	struct bmsc_push **heap;
	uint32_t heap_len, heap_cap;
	struct bmsc_push **ack_bucket[2];
	size_t ack_nbucket, ack_count;

	/* jobs */
	struct bmsc_job *jobs;
	size_t njobs, jobs_cap;
	uint32_t gc_cursor;
	uint64_t gc_next;

	/* Digest */
	uint8_t nonce_secret[MBMS_DIGEST_NONCE_SECRET_LEN];
	struct bmsc_nc nc;

	/* outputs */
	struct bmsc_action_queue q;
	char *body;          /* HTTP response bodies */
	size_t body_cap;

	struct mbms_bmsc_stats st;
	uint8_t log_max;     /* lines above this level are not made (set_log_level) */
};

/* bmsc.c */
/* Whether a line of this level is made at all: check before formatting
 * arguments that cost something (addresses). */
static inline bool bmsc_log_on(const struct mbms_bmsc *b, enum mbms_bmsc_log_level level)
{
	return (unsigned)level <= b->log_max;
}
int bmsc_random(struct mbms_bmsc *b, uint8_t *buf, size_t len);
struct mbms_bmsc_action *bmsc_action_push(struct mbms_bmsc *b, enum mbms_bmsc_action_kind kind);
void bmsc_log(struct mbms_bmsc *b, enum mbms_bmsc_log_level level, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
struct mbms_bmsc_rec *bmsc_rec(struct mbms_bmsc *b, enum mbms_bmsc_rec_kind kind);
int bmsc_send(struct mbms_bmsc *b, const struct mbms_bmsc_addr *to, const uint8_t *data,
	      size_t len, const char *impi);
struct mbms_bmsc_action *bmsc_send_slot(struct mbms_bmsc *b, const struct mbms_bmsc_addr *to,
					const char *impi);
void bmsc_action_unpush(struct mbms_bmsc *b);
int bmsc_kg_index(const struct mbms_bmsc *b, uint16_t key_group);
int bmsc_service_index(const struct mbms_bmsc *b, const char *service_id, size_t len);
void bmsc_msk_id_hex(uint32_t msk_id, char out[9]);

/* bmsc_table.c: UEs */
struct bmsc_ue *bmsc_ue_by_impi(const struct mbms_bmsc *b, const char *impi);
struct bmsc_ue *bmsc_ue_by_btid(const struct mbms_bmsc *b, const char *btid);
struct bmsc_ue *bmsc_ue_new(struct mbms_bmsc *b, const char *impi);
int bmsc_ue_set_btid(struct mbms_bmsc *b, struct bmsc_ue *ue, const char *btid);
void bmsc_ue_delete(struct mbms_bmsc *b, struct bmsc_ue *ue);
void bmsc_ue_table_free(struct mbms_bmsc *b);
void bmsc_ue_rec(struct mbms_bmsc *b, struct bmsc_ue *ue); /* queue a UE row */

/* bmsc_table.c: push heap and ack index */
int bmsc_heap_add(struct mbms_bmsc *b, struct bmsc_push *p);
void bmsc_heap_remove(struct mbms_bmsc *b, struct bmsc_push *p);
void bmsc_heap_update(struct mbms_bmsc *b, struct bmsc_push *p);
/* with_port 1: index [0]; 0: index [1] (the port is ignored) */
uint64_t bmsc_ack_key(const struct mbms_bmsc *b, const struct mbms_bmsc_addr *addr, int with_port,
		      uint32_t csb_id, uint32_t ts);
int bmsc_ack_add(struct mbms_bmsc *b, struct bmsc_push *p);
void bmsc_ack_remove(struct mbms_bmsc *b, struct bmsc_push *p);

/* bmsc_keys.c */
int bmsc_kg_start(struct mbms_bmsc *b, uint64_t now);
int bmsc_kg_tick(struct mbms_bmsc *b, uint64_t now);
uint64_t bmsc_kg_deadline(const struct mbms_bmsc *b);
int bmsc_kg_switch(struct mbms_bmsc *b, size_t k, uint64_t now);
int bmsc_kg_make_next(struct mbms_bmsc *b, size_t k, uint64_t now);
void bmsc_msk_rec(struct mbms_bmsc *b, size_t k, const struct bmsc_msk *m);
int bmsc_sessions_tick(struct mbms_bmsc *b, uint64_t now);
uint64_t bmsc_sessions_deadline(const struct mbms_bmsc *b);
/* The MSK of key group k with this ID (current or next), or NULL. */
struct bmsc_msk *bmsc_kg_msk(struct mbms_bmsc *b, size_t k, uint32_t msk_id);

/* bmsc_push.c */
/* Take the next per-MUK TS counter value, reserving a block first when
 * needed (the UE row is queued before the caller's SEND). */
int bmsc_ue_counter(struct mbms_bmsc *b, struct bmsc_ue *ue, uint32_t *ts);
/* Push an MSK (kind MSK) or a trigger (kind TRIGGER, msk_id = kg << 16) to
 * a UE now; an existing push of the same ID starts over. */
int bmsc_push_start(struct mbms_bmsc *b, struct bmsc_ue *ue, uint8_t kind, uint32_t msk_id,
		    uint64_t now, bool persist);
void bmsc_push_cancel(struct mbms_bmsc *b, struct bmsc_push *p, bool persist);
/* Cancel the UE's pushes whose key group no longer serves its services. */
void bmsc_ue_prune_pushes(struct mbms_bmsc *b, struct bmsc_ue *ue);
/* Cancel every push of an MSK that is gone. */
void bmsc_push_cancel_msk(struct mbms_bmsc *b, uint32_t msk_id);
int bmsc_push_tick(struct mbms_bmsc *b, uint64_t now, unsigned *budget);
int bmsc_job_add(struct mbms_bmsc *b, uint8_t kind, size_t kg, uint32_t msk_id,
		 uint64_t filter);
int bmsc_jobs_tick(struct mbms_bmsc *b, uint64_t now, unsigned *budget);
/* The UE's MUK changed: resend its pending pushes now under the new MUK. */
void bmsc_ue_rekeyed(struct mbms_bmsc *b, struct bmsc_ue *ue, uint64_t now);
/* The fan-out decision for one UE and the MSK of key group k. */
int bmsc_fanout_one(struct mbms_bmsc *b, struct bmsc_ue *ue, size_t k, uint32_t msk_id,
		    uint64_t now);

#endif
