/* mbmssec — the BM-SC key management function (TS 33.246 6.3.2, PROFILE.md
 * 6-8, 10.13-10.21) as a sans-I/O state machine.
 *
 * The procedure object owns all BM-SC protocol state: user services and key
 * groups (from the configuration), the MSKs of each key group with their
 * rotation schedule, the MTK of each key group, the UEs that authenticated
 * (keyed by IMPI and by their current B-TID) with their MUK, registrations,
 * per-MUK and per-MSK TS counters, and the pushes waiting for an ack.
 *
 * Inputs are bytes and the time (milliseconds since the Unix epoch):
 *   mbms_bmsc_http()        one HTTP request of the key-management interface
 *   mbms_bmsc_udp_input()   one datagram on the MIKEY socket (verification)
 *   mbms_bmsc_tick()        the clock: retransmissions, rotation, MTK sends
 *   mbms_bmsc_solicit(), mbms_bmsc_rotate()  the admin interface
 * Outputs are returned values and a queue of actions the shell carries out
 * IN ORDER (mbms_bmsc_action_next()):
 *   SEND     a datagram to an address (MSK message, trigger, MTK message)
 *   PERSIST  a record to write durably BEFORE any later SEND goes out
 *            (counter reservations precede the messages that use them)
 *   LOG      one line: a procedure outcome (who, what, status); no keys
 * plus mbms_bmsc_next_deadline(): when to call mbms_bmsc_tick() next.
 *
 * The shell restores the records it persisted with mbms_bmsc_restore() and
 * then calls mbms_bmsc_start(). Records are upserts keyed as noted below.
 *
 * The object is not thread-safe: the shell serialises every call. Keys held
 * in actions are wiped when the queue is reused; wipe copies you make.
 */
#ifndef MBMSSEC_BMSC_H
#define MBMSSEC_BMSC_H

#include "mbmssec/gba.h"
#include "mbmssec/ids.h"
#include "mbmssec/kdf.h"
#include "mbmssec/kmxml.h"
#include "mbmssec/mbms_msg.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

struct mbms_bmsc;

/* Services per BM-SC (a UE's registrations are a 64-bit set). */
#define MBMS_BMSC_MAX_SERVICES 64
/* Key groups per BM-SC. */
#define MBMS_BMSC_MAX_KEY_GROUPS 1024
/* Pushes outstanding for one UE at a time (current + next per key group
 * and triggers); a request beyond that is answered 503 for the item. */
#define MBMS_BMSC_MAX_PUSHES_PER_UE 32
#define MBMS_BMSC_IMPI_MAX MBMS_GBA_IMPI_MAX /* with the NUL */
#define MBMS_BMSC_BTID_MAX MBMS_GBA_BTID_MAX /* with the NUL */
#define MBMS_BMSC_LOG_MAX 400

/* ---- addresses (numeric, no resolution here) ---- */

struct mbms_bmsc_addr {
	uint8_t family; /* 4 or 6; 0 = none */
	uint16_t port;
	uint8_t ip[16]; /* 4 bytes used for IPv4 */
};

/* From a numeric IPv4/IPv6 literal and a port. MBMS_ESYNTAX otherwise. */
int mbms_bmsc_addr_from_ip(const char *ip, uint16_t port, struct mbms_bmsc_addr *out);
/* "ip:port" or "[ip6]:port"; MBMS_ENOSPC when it does not fit. */
int mbms_bmsc_addr_format(const struct mbms_bmsc_addr *a, char *out, size_t out_cap);
bool mbms_bmsc_addr_equal(const struct mbms_bmsc_addr *a, const struct mbms_bmsc_addr *b);

/* ---- configuration (borrowed: must outlive the object) ---- */

struct mbms_bmsc_key_group_cfg {
	uint16_t key_group;
	uint64_t msk_lifetime_ms; /* an MSK is current this long */
	uint64_t lead_time_ms;    /* the next MSK is made and pushed this long before */
	uint16_t mtk_id_count;    /* MTK IDs per MSK: [VF, VT] = [1, count] */
	uint64_t mtk_lifetime_ms; /* a new MTK this often */
};

struct mbms_bmsc_service_cfg {
	const char *service_id;
	const uint16_t *key_groups; /* each a configured key group */
	size_t nkey_groups;
	/* Subscriber authorisation: any IMPI, or the listed ones. An entry
	 * "*@domain" matches every IMPI ending in "@domain". */
	bool any_subscriber;
	const char *const *subscribers;
	size_t nsubscribers;
	/* announcement (PROFILE.md 8) */
	bool confidentiality, integrity, uicc_key_management;
	uint32_t offset_time, random_time_period; /* seconds */
};

struct mbms_bmsc_session_cfg {
	const char *name;
	const char *service_id;               /* a configured service ... */
	uint16_t key_group;                   /* ... and one of its key groups */
	struct mbms_hostport destination;     /* announced SRTP destination (port required) */
	uint16_t mtk_port;                    /* announced; normally MBMS_PROFILE_MTK_PORT */
	const struct mbms_bmsc_addr *send_to; /* where MTK messages go (>= 1) */
	size_t nsend_to;
	uint64_t mtk_interval_ms;             /* MTK message period (> 0) */
};

struct mbms_bmsc_config {
	const char *fqdn;        /* BM-SC FQDN: IDi, realm suffix, NAF FQDN */
	uint16_t announce_port;  /* keyManagementServer port (0: FQDN alone) */
	uint8_t key_domain_id[MBMS_KEY_DOMAIN_ID_LEN];
	const struct mbms_bmsc_service_cfg *services;
	size_t nservices;
	const struct mbms_bmsc_key_group_cfg *key_groups;
	size_t nkey_groups;
	const struct mbms_bmsc_session_cfg *sessions;
	size_t nsessions;

	uint64_t nonce_lifetime_ms;  /* Digest nonce lifetime (stale=true after) */
	size_t nc_table_cap;         /* nonces tracked for nc replay (>= 16) */
	bool allow_qop_auth;         /* also accept qop=auth (body not covered) */
	uint64_t retransmit_initial_ms; /* first ack timeout */
	uint64_t retransmit_max_ms;     /* back-off cap (timeouts double) */
	unsigned retransmit_count;      /* retransmissions before giving up */
	uint32_t counter_block;         /* TS counter values reserved per PERSIST */

	/* Random bytes (MSK, MTK, RAND, nonce secret). NULL: mbms_random(). */
	int (*random)(void *user, uint8_t *buf, size_t len);
	void *random_user;
};

/* Every rule the object relies on (ranges, references between sections,
 * duplicates): 0, or MBMS_EINVAL with a sentence in why. */
int mbms_bmsc_config_check(const struct mbms_bmsc_config *cfg, char *why, size_t why_cap);

/* ---- persistence records ---- */

enum mbms_bmsc_rec_kind {
	MBMS_BMSC_REC_KEY_GROUP = 1, /* key: key_group. last Key Number ever allocated */
	MBMS_BMSC_REC_MSK,           /* key: msk_id. put */
	MBMS_BMSC_REC_MSK_DEL,       /* msk_id; delete its push rows too */
	MBMS_BMSC_REC_UE,            /* key: impi. put */
	MBMS_BMSC_REC_UE_DEL,        /* impi; delete its registrations and pushes too */
	MBMS_BMSC_REC_REG,           /* key: (impi, service_id). put */
	MBMS_BMSC_REC_UNREG,         /* (impi, service_id) delete */
	MBMS_BMSC_REC_PUSH,          /* key: (impi, msk_id). put */
	MBMS_BMSC_REC_PUSH_DEL,      /* (impi, msk_id) delete */
};

enum mbms_bmsc_msk_state {
	MBMS_BMSC_MSK_NEXT = 1,    /* made and pushed ahead of its switch-over */
	MBMS_BMSC_MSK_CURRENT = 2, /* in use for MTK messages */
};

enum mbms_bmsc_push_state {
	MBMS_BMSC_PUSH_PENDING = 1,
	MBMS_BMSC_PUSH_ACKED = 2,
	MBMS_BMSC_PUSH_GIVEN_UP = 3,
};

struct mbms_bmsc_rec_msk {
	uint16_t key_group;
	uint32_t msk_id;
	uint8_t key[MBMS_MSK_LEN];
	uint16_t vf, vt;
	uint64_t valid_from_ms, valid_until_ms;
	uint8_t state;       /* enum mbms_bmsc_msk_state */
	uint32_t ts_hwm;     /* per-MSK TS counter: values below are used or reserved */
	bool have_mtk_id;
	uint16_t mtk_id_last; /* highest MTK ID ever used under this MSK */
};

struct mbms_bmsc_rec_ue {
	char impi[MBMS_BMSC_IMPI_MAX];
	char btid[MBMS_BMSC_BTID_MAX];
	uint8_t muk[MBMS_MUK_LEN];
	uint64_t muk_expires_ms;
	struct mbms_bmsc_addr addr; /* where MSK messages go (family 0: unknown) */
	uint32_t ts_hwm;            /* per-MUK TS counter: values below are used or reserved */
};

struct mbms_bmsc_rec {
	enum mbms_bmsc_rec_kind kind;
	uint16_t key_group;       /* KEY_GROUP */
	uint16_t last_key_number; /* KEY_GROUP */
	uint32_t msk_id;          /* MSK_DEL, PUSH, PUSH_DEL */
	struct mbms_bmsc_rec_msk msk; /* MSK */
	struct mbms_bmsc_rec_ue ue;   /* UE; ue.impi also for UE_DEL, REG, UNREG, PUSH, PUSH_DEL */
	char service_id[MBMS_KMXML_URI_MAX + 1]; /* REG, UNREG */
	uint8_t push_state;       /* PUSH: enum mbms_bmsc_push_state */
	uint8_t push_attempts;    /* PUSH: transmissions so far */
};

/* ---- actions ---- */

enum mbms_bmsc_action_kind {
	MBMS_BMSC_ACT_SEND = 1,
	MBMS_BMSC_ACT_PERSIST,
	MBMS_BMSC_ACT_LOG,
};

enum mbms_bmsc_log_level {
	MBMS_BMSC_LOG_ERROR = 0,
	MBMS_BMSC_LOG_WARN,
	MBMS_BMSC_LOG_INFO,
	MBMS_BMSC_LOG_DEBUG,
};

struct mbms_bmsc_action {
	enum mbms_bmsc_action_kind kind;
	union {
		struct {
			struct mbms_bmsc_addr to;
			size_t len;
			uint8_t data[MBMS_MSG_MAX_LEN];
			char impi[MBMS_BMSC_IMPI_MAX]; /* the UE it is for; "" for MTK messages */
		} send;
		struct mbms_bmsc_rec rec;
		struct {
			enum mbms_bmsc_log_level level;
			char text[MBMS_BMSC_LOG_MAX];
		} log;
	} u;
};

/* The next action, or NULL when the queue is empty. Every pointer it
 * returned stays valid until mbms_bmsc_actions_done() or any other call on
 * the object, so a shell may first make all PERSIST records of a batch
 * durable (one transaction) and then send its datagrams: moving a record
 * earlier never breaks "durable before the SEND that follows it". */
const struct mbms_bmsc_action *mbms_bmsc_action_next(struct mbms_bmsc *b);
/* Actions waiting. */
size_t mbms_bmsc_action_count(const struct mbms_bmsc *b);
/* The shell is done with the returned actions: wipe them (records hold
 * keys) and reuse the queue. Also done by the next call that queues. */
void mbms_bmsc_actions_done(struct mbms_bmsc *b);

/* ---- life cycle ---- */

/* Checks cfg (mbms_bmsc_config_check), makes the Digest nonce secret.
 * MBMS_EINVAL, MBMS_ENOMEM, MBMS_ECRYPTO. */
int mbms_bmsc_new(const struct mbms_bmsc_config *cfg, struct mbms_bmsc **out);
void mbms_bmsc_free(struct mbms_bmsc *b);

/* Before mbms_bmsc_start: feed back what was persisted, in the order key
 * groups, MSKs, UEs, registrations, pushes. A record that no longer fits
 * the configuration (unknown key group or service, pushes of a deleted
 * MSK) is dropped and a cleanup record queued. MBMS_ESTATE after start,
 * MBMS_EINVAL for a malformed record. */
int mbms_bmsc_restore(struct mbms_bmsc *b, const struct mbms_bmsc_rec *rec);

/* Resume: make the MSKs a key group lacks, switch over what is due,
 * restart the fan-out of every next MSK to the UEs that have not had it,
 * reschedule pending pushes with fresh TS counters. */
int mbms_bmsc_start(struct mbms_bmsc *b, uint64_t now_ms);

/* Log lines (LOG actions) of a level above max are not made at all, not
 * even formatted: a shell that prints INFO and above sets INFO, and a
 * fan-out to many UEs does not format a DEBUG line per message. Default:
 * MBMS_BMSC_LOG_DEBUG (every line). */
void mbms_bmsc_set_log_level(struct mbms_bmsc *b, enum mbms_bmsc_log_level max);

/* Announce keyManagementServer with this port (a listener on port 0 learns
 * its port after mbms_bmsc_new). */
void mbms_bmsc_set_announce_port(struct mbms_bmsc *b, uint16_t port);

/* ---- the HTTP interface (PROFILE.md 7, 8, 10.13-10.19) ---- */

struct mbms_bmsc_http_req {
	const char *method;        /* "POST", "GET", ... */
	const char *path;          /* without the query, as received */
	const char *requesttype;   /* the query's requesttype value, NULL when absent */
	const char *content_type;  /* header values, NULL when absent */
	const char *authorization;
	const char *ue_port;       /* X-MBMS-UE-Port */
	const uint8_t *body;
	size_t body_len;
	struct mbms_bmsc_addr peer; /* the TCP peer */
	const char *peer_text;      /* the peer for logs; NULL: formatted from peer */
};

/* The Zn answer for the B-TID a previous call asked for (need_zn). zn.btid
 * always names that B-TID (an answer for another one is ignored); the other
 * fields count when status is 0 (expires_at in seconds). */
struct mbms_bmsc_zn_answer {
	int status; /* 0 found; MBMS_ENOTFOUND unknown or expired; anything else: BSF unusable */
	struct mbms_zn_response zn;
};

struct mbms_bmsc_http_rsp {
	unsigned status;
	/* need_zn: nothing answered yet. Fetch Ks_NAF for zn_btid with
	 * NAF_ID = FQDN || 01 00 00 00 01 and call again with the answer. */
	bool need_zn;
	char zn_btid[MBMS_BMSC_BTID_MAX];
	const char *content_type; /* NULL: no body */
	const char *body;         /* valid until the next call */
	size_t body_len;
	char www_authenticate[512]; /* "" when none */
	char auth_info[256];        /* Authentication-Info, "" when none */
	char allow[16];             /* Allow of a 405, "" when none */
	unsigned retry_after;       /* seconds, 0 when none */
	char impi[MBMS_BMSC_IMPI_MAX]; /* the authenticated UE (logs, traces), "" when none */
};

/* One request of the key-management listener:
 *   POST /keymanagement?requesttype=register|deregister|msk-request
 *   GET  /announcement/<serviceId, URL-encoded>
 * Returns 0 with rsp filled (need_zn or a status), or MBMS_EINVAL for a
 * NULL argument. zn is NULL on the first call. */
int mbms_bmsc_http(struct mbms_bmsc *b, const struct mbms_bmsc_http_req *req,
		   const struct mbms_bmsc_zn_answer *zn, uint64_t now_ms,
		   struct mbms_bmsc_http_rsp *rsp);

/* The announcement of a service (PROFILE.md 8), also served over HTTP.
 * MBMS_ENOTFOUND for an unknown service. */
int mbms_bmsc_announcement(struct mbms_bmsc *b, const char *service_id, char *out, size_t cap,
			   size_t *out_len);

/* ---- UDP and the clock ---- */

/* A datagram received on the MIKEY socket: a verification message (5.4)
 * acknowledging an MSK message or trigger sent to that address. 0 when it
 * acknowledged a pending push; MBMS_ENOTFOUND when it matches none;
 * a parse/verify error otherwise (counted and logged at debug level). */
int mbms_bmsc_udp_input(struct mbms_bmsc *b, const struct mbms_bmsc_addr *from,
			const uint8_t *msg, size_t len, uint64_t now_ms);

/* Do what is due at now_ms, at most about `budget` messages (0: a default).
 * Returns 1 when more work is already due (call again), 0 otherwise. */
int mbms_bmsc_tick(struct mbms_bmsc *b, uint64_t now_ms, unsigned budget);

/* When the next tick is needed (UINT64_MAX: nothing scheduled). */
uint64_t mbms_bmsc_next_deadline(const struct mbms_bmsc *b);

/* ---- the admin interface ---- */

/* Solicited pull (6.4, 5.3): queue a trigger for each Key Group of the
 * service to every UE registered to it, protected by the most recent MUK
 * even if its Ks_NAF lifetime is over (PROFILE.md 2). *ues gets the number
 * of registered UEs at the time. MBMS_ENOTFOUND for an unknown service. */
int mbms_bmsc_solicit(struct mbms_bmsc *b, const char *service_id, uint64_t now_ms,
		      size_t *ues);

/* Advance a key group by one step: without a next MSK, bring the switch-over
 * forward to now + lead time, which makes the next MSK and pushes it to
 * every registered UE; with a next MSK, switch over to it now.
 * *msk_id gets the MSK ID made or switched to. MBMS_ENOTFOUND when the
 * key group is not configured. */
int mbms_bmsc_rotate(struct mbms_bmsc *b, uint16_t key_group, uint64_t now_ms,
		     uint32_t *msk_id);

struct mbms_bmsc_stats {
	/* HTTP */
	uint64_t http_requests, http_200, http_400, http_401, http_403, http_404, http_405,
		http_415, http_500, http_503;
	uint64_t registers, deregisters, msk_requests, announcements;
	uint64_t items_200, items_403, items_404, items_503;
	uint64_t zn_fetches, zn_unknown, zn_failures;
	uint64_t digest_stale, digest_replays, digest_failures;
	/* MIKEY */
	uint64_t msks_made, switch_overs;
	uint64_t pushes_sent, pushes_acked, retransmissions, pushes_given_up;
	uint64_t triggers_sent, triggers_acked, triggers_given_up;
	uint64_t acks_invalid, acks_unmatched;
	uint64_t mtk_messages, mtks_made;
	uint64_t counter_reservations;
	/* gauges */
	uint64_t ues, registered_ues, pending_pushes;
};

void mbms_bmsc_get_stats(const struct mbms_bmsc *b, struct mbms_bmsc_stats *out);

/* The admin `status` as one JSON object: services (with registered UE
 * counts), key groups (current / next MSK IDs and switch-over time),
 * UEs, and the counters above. MBMS_ENOSPC when cap is too small. */
int mbms_bmsc_status_json(const struct mbms_bmsc *b, uint64_t now_ms, char *out, size_t cap,
			  size_t *out_len);

/* Current and next MSK ID of a key group (0 when none). MBMS_ENOTFOUND. */
int mbms_bmsc_key_group_msks(const struct mbms_bmsc *b, uint16_t key_group, uint32_t *current,
			     uint32_t *next);

/* ---- per-item report (metrics and status pages; lib/bmsc_report.c) ----
 * Key IDs, times and counts only: never a key. Items are numbered in
 * configuration order, 0 .. count - 1; MBMS_ENOTFOUND past the end. */

struct mbms_bmsc_key_group_info {
	uint16_t key_group;
	uint32_t current_msk_id;          /* 0: none yet */
	uint64_t current_valid_from_ms;
	uint64_t switch_over_ms;          /* the current MSK's end: the next one takes over */
	uint32_t next_msk_id;             /* 0: not made yet */
	bool have_mtk;
	uint16_t mtk_id;                  /* the current MSK's latest MTK ID (have_mtk) */
	uint16_t mtk_id_count;            /* MTK IDs per MSK (VT) */
	uint64_t registered_ues;          /* UEs registered to a service using it */
};

struct mbms_bmsc_service_info {
	const char *service_id;           /* borrowed from the configuration */
	const uint16_t *key_groups;
	size_t nkey_groups;
	uint64_t registered_ues;
};

size_t mbms_bmsc_key_group_count(const struct mbms_bmsc *b);
int mbms_bmsc_key_group_info(const struct mbms_bmsc *b, size_t index,
			     struct mbms_bmsc_key_group_info *out);
size_t mbms_bmsc_service_count(const struct mbms_bmsc *b);
int mbms_bmsc_service_info(const struct mbms_bmsc *b, size_t index,
			   struct mbms_bmsc_service_info *out);

#ifdef __cplusplus
}
#endif
#endif
