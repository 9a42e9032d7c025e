/* Internals of the UE state machine (include/mbmssec/ue.h), shared by
 * lib/ue.c (services, timers, actions, status), lib/ue_km.c (HTTP
 * procedures, Digest, bootstrap), lib/ue_rx.c (MIKEY over UDP, missed key
 * update, MTKs) and lib/ue_state.c (the key store text). */
#ifndef MBMS_UE_PRIV_H
#define MBMS_UE_PRIV_H

#include "mbmssec/digest.h"
#include "mbmssec/gba.h"
#include "mbmssec/kmxml.h"
#include "mbmssec/ue.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define UE_MAX_ITEMS MBMS_KMXML_MAX_ITEMS
#define UE_QUEUE_LEN 64
#define UE_MAX_REQS (MBMS_UE_MAX_SERVICES * 2 + 2)
#define UE_BODY_MAX 8192
#define UE_MAX_HEADERS 8
#define UE_NONCE_MAX 256
#define UE_REASON_MAX 160
#define UE_MAX_MTKS (MBMS_KEY_STORE_MAX_MSKS * MBMS_UE_MTKS_PER_MSK)
#define UE_MAX_AUTH_ROUNDS 4
#define UE_RETRY_CAP_MS (5u * 60u * 1000u)
#define UE_NEVER UINT64_MAX

/* One MSK ID the announcement lists (usually Key Number 0 = current). */
enum ue_item_state {
	ITEM_IDLE = 0,  /* nothing to do (not activated) */
	ITEM_SCHEDULED, /* a request is due at `due` */
	ITEM_INFLIGHT,  /* in the MSK request being made */
	ITEM_GRANTED,   /* 200 for it: the push should come before grant_deadline */
	ITEM_OK,        /* an MSK of its Key Group arrived */
	ITEM_GAVE_UP,   /* 403/404/400, or max_attempts failures */
};

enum ue_why {
	WHY_USER = 0, /* activation: at once */
	WHY_RETRY,    /* after 503/500/no answer/no push: back-off */
	WHY_TRIGGER,  /* solicited pull (6.4): back-off */
	WHY_MKU,      /* missed key update (6.3): back-off */
};

struct ue_item {
	uint32_t msk_id;     /* as announced */
	uint32_t req_msk_id; /* what the next request asks for */
	enum ue_item_state state;
	enum ue_why why;
	uint64_t due;
	uint64_t grant_deadline;
	unsigned attempts;
	uint16_t last_status;
	uint64_t mku_block_until; /* 6.3 at most once per back-off window */
	bool pushed; /* an MSK of its group arrived while the request was in flight */
};

struct ue_service {
	bool used;
	char id[MBMS_KMXML_URI_MAX + 1];
	char ann_url[MBMS_UE_URL_MAX];
	bool has_ann;
	struct mbms_announcement ann;
	int bmsc; /* index into ue->bmsc, -1 before the announcement */
	enum mbms_ue_service_state state;
	char reason[UE_REASON_MAX];
	bool registered;
	int inflight; /* request slot, -1 none */
	uint64_t ann_due;
	unsigned ann_attempts;
	uint64_t reg_due; /* register (again) at; UE_NEVER: not needed */
	unsigned reg_attempts;
	bool reregister; /* a new B-TID: tell the BM-SC by registering again */
	bool active_reported;
	size_t nitems;
	struct ue_item item[UE_MAX_ITEMS];
};

struct ue_bmsc {
	bool used;
	char fqdn[MBMS_KMXML_HOST_MAX + 1];
	uint16_t port;
	bool have_muk, have_prev;
	struct mbms_muk_state muk;  /* of the current B-TID */
	struct mbms_muk_state prev; /* of the previous one: triggers only (10.20) */
	/* Digest state towards this BM-SC */
	bool have_nonce;
	char nonce[UE_NONCE_MAX];
	bool has_opaque;
	char opaque[UE_NONCE_MAX];
	uint32_t nc;
};

enum ue_req_kind { REQ_ANNOUNCEMENT = 1, REQ_REGISTER, REQ_DEREGISTER, REQ_MSK };

struct ue_req {
	bool used;
	uint32_t id; /* of the current send; a new one for every send */
	enum ue_req_kind kind;
	int svc, bmsc;
	bool parked;  /* waiting for a bootstrap */
	char url[MBMS_UE_URL_MAX];
	char host[MBMS_KMXML_HOST_MAX + 1];
	uint16_t port;
	char uri[MBMS_UE_URL_MAX]; /* path?query, the Digest uri */
	char body[UE_BODY_MAX];
	size_t body_len;
	char h_authz[MBMS_GBA_AUTH_MAX + 32];
	char h_ctype[96];
	char h_accept[96];
	char h_port[48];
	char h_ua[96];
	const char *headers[UE_MAX_HEADERS];
	/* the Digest of the last send */
	bool with_auth;
	char ha1[MBMS_DIGEST_HEX_LEN + 1];
	char cnonce[17];
	char nc[9];
	char nonce[UE_NONCE_MAX];
	bool nonce_fresh; /* that nonce came from a 401 to this request */
	unsigned rounds;  /* 401s taken */
	bool rebootstrapped;
	/* MSK request: which items it carries */
	size_t nids;
	uint16_t item_idx[UE_MAX_ITEMS];
};

struct ue_mtk {
	bool used;
	struct mbms_ue_mtk m;
	uint64_t seq;
};

struct ue_qent {
	struct mbms_ue_action act;
	uint8_t udp[MBMS_MSG_MAX_LEN];
};

enum ue_boot_state { BOOT_IDLE = 0, BOOT_RUNNING, BOOT_RETRY };

struct mbms_ue {
	struct mbms_ue_config cfg;
	char impi[MBMS_GBA_IMPI_MAX];
	bool started; /* activated once: no more state_load */

	/* bootstrap (Ks, B-TID) */
	bool have_boot;
	char btid[MBMS_GBA_BTID_MAX];
	uint8_t ks[MBMS_KS_LEN];
	uint8_t rand[MBMS_GBA_RAND_LEN];
	uint64_t expires_s;
	uint64_t boot_at_s; /* when it was made (the refresh margin is at most half its life) */
	enum ue_boot_state boot;
	uint64_t boot_due;
	unsigned boot_attempts;
	bool boot_refresh; /* the run renews an expiring B-TID: register again after it */
	bool refresh_hold; /* renewing failed: wait for the next bootstrap a request needs */

	struct ue_service svc[MBMS_UE_MAX_SERVICES];
	struct ue_bmsc bmsc[MBMS_UE_MAX_BMSCS];
	struct mbms_key_store keys;
	struct ue_mtk mtk[UE_MAX_MTKS];
	uint64_t mtk_seq;
	struct ue_req req[UE_MAX_REQS];
	uint32_t next_id;

	struct ue_qent q[UE_QUEUE_LEN];
	size_t qhead, qlen;
	uint64_t q_overflow;
	uint64_t reported_deadline;
	bool save_pending;

	struct mbms_ue_counters cnt;
	uint32_t drop_left;
};

/* ---- ue.c ---- */
struct ue_qent *ue_push(struct mbms_ue *ue, enum mbms_ue_action_kind kind);
void ue_event(struct mbms_ue *ue, enum mbms_ue_event ev, const struct ue_service *s, bool warning,
	      const char *fmt, ...) __attribute__((format(printf, 5, 6)));
void ue_finish(struct mbms_ue *ue);
uint32_t ue_random_u32(struct mbms_ue *ue);
int ue_random_hex(struct mbms_ue *ue, char *out, size_t nbytes);
uint64_t ue_backoff_ms(struct mbms_ue *ue, const struct ue_service *s, enum ue_why why,
		       unsigned attempts);
bool ue_bootstrap_valid(const struct mbms_ue *ue, uint64_t now_ms);
struct ue_service *ue_service_find(struct mbms_ue *ue, const char *id);
bool ue_service_lists_group(const struct ue_service *s, const uint8_t kd[MBMS_KEY_DOMAIN_ID_LEN],
			    uint16_t group);
struct ue_item *ue_group_item(struct ue_service *s, uint16_t group);
size_t ue_group_msks(struct mbms_ue *ue, const uint8_t kd[MBMS_KEY_DOMAIN_ID_LEN],
		     uint16_t group, struct mbms_msk_entry **out, size_t cap);
bool ue_service_holds_msk(struct mbms_ue *ue, const struct ue_service *s);
void ue_service_check(struct mbms_ue *ue, struct ue_service *s, uint64_t now);
void ue_leave(struct mbms_ue *ue, struct ue_service *s, uint64_t now, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));
void ue_advance(struct mbms_ue *ue, struct ue_service *s, uint64_t now);
void ue_item_schedule(struct mbms_ue *ue, struct ue_service *s, struct ue_item *it,
		      enum ue_why why, uint64_t now);
void ue_item_failed(struct mbms_ue *ue, struct ue_service *s, struct ue_item *it, uint64_t now,
		    const char *what);
int ue_bmsc_muk_derive(struct mbms_ue *ue, struct ue_bmsc *b, bool keep_previous);
void ue_hex(const uint8_t *b, size_t n, char *out, size_t cap);

/* ---- ue_km.c ---- */
int ue_send_announcement(struct mbms_ue *ue, struct ue_service *s, uint64_t now);
int ue_send_register(struct mbms_ue *ue, struct ue_service *s, bool deregister, uint64_t now);
int ue_send_msk_request(struct mbms_ue *ue, struct ue_service *s, uint64_t now);
void ue_bootstrap_start(struct mbms_ue *ue, bool refused_btid, uint64_t now);
void ue_req_free(struct mbms_ue *ue, struct ue_req *r);
int ue_parse_announcement(struct mbms_ue *ue, struct ue_service *s, const char *body, size_t len,
			  uint64_t now);

/* ---- ue_rx.c ---- */
int ue_missed_key(struct mbms_ue *ue, const uint8_t kd[MBMS_KEY_DOMAIN_ID_LEN], uint32_t msk_id,
		  uint64_t now, const char *seen);
void ue_mtk_forget(struct mbms_ue *ue, const uint8_t kd[MBMS_KEY_DOMAIN_ID_LEN], uint32_t msk_id);

#endif
