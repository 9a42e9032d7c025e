/* bsfd — the GBA bootstrapping server (Ub + the project's Zn). A shell around
 * the library's sans-I/O GBA server (include/mbmssec/gba.h): configuration,
 * SQLite state, two HTTP listeners, the clock. */
#ifndef BSF_H
#define BSF_H

#include "log.h"

#include "mbmssec/gba.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define BSF_PENDING_MAX_AGE 60 /* seconds a challenge may be answered */
#define BSF_PENDING_PER_IMPI 4 /* challenges kept per IMPI, newest first */
#define BSF_NAF_SECRET_MAX 256

struct bsf_naf {
	char fqdn[MBMS_GBA_HOST_MAX];
	char secret[BSF_NAF_SECRET_MAX];
};

struct bsf_config {
	char path[4096];
	char ub_host[64];
	uint16_t ub_port;
	char zn_host[64];
	uint16_t zn_port;
	char host[MBMS_GBA_HOST_MAX]; /* BSF name: realm and B-TID suffix */
	char db[4096];
	uint64_t key_lifetime;        /* seconds */
	uint64_t purge_interval;      /* seconds */
	enum mbmsd_log_level log_level;
	char admin_host[64];          /* "" = no admin listener (the default) */
	uint16_t admin_port;
	bool admin_allow_remote;
	struct bsf_naf *nafs;
	size_t nnafs;
	unsigned seen;                /* bit per [bsf] key, for duplicates */
};

/* config.c */
int bsf_config_load(const char *path, struct bsf_config *cfg, char *err, size_t err_cap);
void bsf_config_free(struct bsf_config *cfg);
const struct bsf_naf *bsf_config_naf(const struct bsf_config *cfg, const char *fqdn);

/* store.c: the SQLite state; every call is serialised by one mutex. */
struct bsf_store;
int bsf_store_open(const char *path, struct bsf_store **out, char *err, size_t err_cap);
void bsf_store_close(struct bsf_store *st);

/* 0, MBMS_ENOTFOUND, MBMS_EIO */
int bsf_store_sub_get(struct bsf_store *st, const char *impi, struct mbms_gba_subscriber *out);
/* MBMS_ESTATE when the IMPI exists already */
int bsf_store_sub_add(struct bsf_store *st, const struct mbms_gba_subscriber *sub);
int bsf_store_sub_del(struct bsf_store *st, const char *impi);
int bsf_store_sub_set_sqn(struct bsf_store *st, const char *impi, uint64_t sqn);
typedef void (*bsf_sub_cb)(void *user, const struct mbms_gba_subscriber *sub);
int bsf_store_sub_list(struct bsf_store *st, bsf_sub_cb cb, void *user);

/* A new challenge: the subscriber's SQN becomes ch->sqn and the challenge
 * is kept, in one transaction (older challenges beyond BSF_PENDING_PER_IMPI
 * for the IMPI are dropped). */
int bsf_store_challenge_commit(struct bsf_store *st, const char *impi,
			       const struct mbms_gba_challenge *ch, uint64_t now);
/* Take (and delete) the pending challenge for impi with this RAND.
 * MBMS_ENOTFOUND when none or older than BSF_PENDING_MAX_AGE. */
int bsf_store_pending_take(struct bsf_store *st, const char *impi,
			   const uint8_t rand[MBMS_GBA_RAND_LEN], uint64_t now,
			   struct mbms_gba_challenge *out);

int bsf_store_boot_put(struct bsf_store *st, const struct mbms_gba_bootstrap *bs);
/* The Ub answer path in two steps, one synced commit: read the pending
 * challenge (MBMS_ENOTFOUND when none or older than BSF_PENDING_MAX_AGE),
 * then delete it together with storing the bootstrap (bs NULL: the answer
 * failed, delete only). Ub requests are handled one at a time, so no
 * second answer can come between the two. */
int bsf_store_pending_get(struct bsf_store *st, const char *impi,
			  const uint8_t rand[MBMS_GBA_RAND_LEN], uint64_t now,
			  struct mbms_gba_challenge *out);
int bsf_store_answer_commit(struct bsf_store *st, const uint8_t rand[MBMS_GBA_RAND_LEN],
			    const struct mbms_gba_bootstrap *bs);
/* MBMS_ENOTFOUND when unknown, MBMS_EEXPIRED when past expires_at. */
int bsf_store_boot_get(struct bsf_store *st, const char *btid, uint64_t now,
		       struct mbms_gba_bootstrap *out);
/* Delete expired bootstraps and old challenges; counts may be NULL. */
int bsf_store_purge(struct bsf_store *st, uint64_t now, unsigned *boots, unsigned *pending);

/* The daemon's shared context for the HTTP handlers. */
struct bsf_ctx {
	const struct bsf_config *cfg;
	struct bsf_store *store;
};

struct mbmsd_http_request;
struct mbmsd_http_response;
/* ub.c, zn.c: mbmsd_http_handler functions, user = struct bsf_ctx. */
void bsf_ub_handle(void *user, const struct mbmsd_http_request *req,
		   struct mbmsd_http_response *resp);
void bsf_zn_handle(void *user, const struct mbmsd_http_request *req,
		   struct mbmsd_http_response *resp);

uint64_t bsf_now(void);

/* store.c: what the status page and /metrics show (counts only) */
struct bsf_store_counts {
	uint64_t subscribers, bootstraps, bootstraps_valid, pending;
};
int bsf_store_counts(struct bsf_store *st, uint64_t now, struct bsf_store_counts *out);

/* admin.c: the optional admin listener ([bsf] admin_listen): GET /metrics
 * (Prometheus), GET /status (HTML), and the counters behind them
 * (thread-safe; docs/operations.md "Metrics"). */
bool bsf_admin_loopback(const char *host);
void bsf_admin_handle(void *user, const struct mbmsd_http_request *req,
		      struct mbmsd_http_response *resp);
void bsf_metrics_start(uint64_t now_s);
/* One Ub or Zn answer: status and the reason the handler noted (events). */
void bsf_metrics_ub(const char *who, unsigned status, const char *note);
void bsf_metrics_zn(const char *who, unsigned status, const char *note);
void bsf_metrics_purge(int rc, unsigned boots, unsigned pending);

#endif
