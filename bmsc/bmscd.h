/* bmscd — the BM-SC key management server. A shell around the library's
 * sans-I/O BM-SC (include/mbmssec/bmsc.h): configuration, SQLite state,
 * the key-management and admin HTTP listeners (libmicrohttpd), the MIKEY
 * UDP socket and the timers (libevent), the Zn client, logs. */
#ifndef BMSCD_H
#define BMSCD_H

#include "httpd.h"
#include "log.h"

#include "mbmssec/bmsc.h"

#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define BMSCD_SECRET_MAX 256
#define BMSCD_MAX_SUBSCRIBERS 4096 /* per service in the file; more belong in a database */
#define BMSCD_MAX_SEND_TO 64       /* MTK destinations per session */

/* Everything the INI file says; cfg points into these arrays. */
struct bmscd_config {
	char path[4096];
	/* [bmsc] */
	char fqdn[MBMS_KMXML_HOST_MAX + 1];
	char mcc[4], mnc[4];
	char listen_host[64];
	uint16_t listen_port;
	bool announce_port_set;
	uint16_t announce_port;
	char admin_host[64];
	uint16_t admin_port;
	bool admin_allow_remote;
	char mikey_host[64];
	uint16_t mikey_port;
	char db[4096];
	enum mbmsd_log_level log_level;
	/* [zn] */
	char zn_url[1024];
	char zn_secret[BMSCD_SECRET_MAX];
	uint64_t zn_timeout_s;
	char zn_ca_file[4096]; /* "": the system CA store (docs/operations.md "TLS") */
	/* sections and their lines, for messages */
	struct mbms_bmsc_key_group_cfg *kg;
	unsigned *kg_line;
	size_t nkg;
	struct mbms_bmsc_service_cfg *svc;
	char **svc_id;       /* owned strings */
	uint16_t **svc_kg;   /* owned arrays */
	char ***svc_subs;    /* owned arrays of owned strings */
	unsigned *svc_line;
	size_t nsvc;
	struct mbms_bmsc_session_cfg *sess;
	char **sess_name, **sess_service;
	struct mbms_bmsc_addr **sess_to;
	char (*sess_to_text)[1024];
	unsigned *sess_line;
	struct mbms_bmsc_addr **sess_srtp; /* srtp_send_to (stream.c) */
	size_t *sess_nsrtp;
	size_t nsess;
	/* what the library gets */
	struct mbms_bmsc_config core;
};

/* config.c */
int bmscd_config_load(const char *path, struct bmscd_config *cfg, char *err, size_t err_cap);
void bmscd_config_free(struct bmscd_config *cfg);

/* config_values.c: value parsers (0, or -1 / a callback's code) */
/* "300", "300s", "1500ms", "10m", "2h", "1d" -> milliseconds in [min, max] */
int bmscd_parse_duration(const char *s, uint64_t min_ms, uint64_t max_ms, uint64_t *out);
int bmscd_parse_bool(const char *s, bool *out);
/* decimal or 0x hex, 0..65535 */
int bmscd_parse_key_group(const char *s, uint16_t *out);
/* fn for each item of a comma/blank separated list; fn's code, 1 when empty */
int bmscd_for_each_item(const char *list, int (*fn)(void *ctx, const char *item), void *ctx);
/* host:port, the host resolved to an address (numeric first) */
int bmscd_resolve_hostport(const char *s, struct mbms_bmsc_addr *out, char *why, size_t cap);
/* a host name as a realm suffix / IDi may be */
bool bmscd_valid_host(const char *s);

/* store.c: SQLite (WAL, synchronous=FULL, 0600) */
struct bmscd_store;
int bmscd_store_open(const char *path, struct bmscd_store **out, char *err, size_t err_cap);
void bmscd_store_close(struct bmscd_store *st);
/* Feed every row to the core in restore order (mbms_bmsc_restore). */
int bmscd_store_load(struct bmscd_store *st, struct mbms_bmsc *core, size_t *rows, char *err,
		     size_t err_cap);
/* A snapshot of the configured services and key groups (informational). */
int bmscd_store_config_snapshot(struct bmscd_store *st, const struct bmscd_config *cfg);
int bmscd_store_begin(struct bmscd_store *st);
/* A batch of the core's records: durable false (push states only) commits
 * without an fsync (store.c explains why that is safe). */
bool bmscd_store_rec_durable(const struct mbms_bmsc_rec *rec);
int bmscd_store_begin_batch(struct bmscd_store *st, bool durable);
int bmscd_store_apply(struct bmscd_store *st, const struct mbms_bmsc_rec *rec);
int bmscd_store_commit(struct bmscd_store *st);
void bmscd_store_rollback(struct bmscd_store *st);

/* The daemon's shared state. Every call on core (and the store, the UDP
 * send) happens under lock. */
struct bmscd {
	struct bmscd_config cfg;
	struct mbms_bmsc *core;
	struct bmscd_store *store;
	pthread_mutex_t lock;
	int udp_fd;
	int wake_fd[2];   /* HTTP threads poke the event loop to re-arm its timer */
	bool db_failed;   /* a commit failed: sends that depend on it are dropped */
	const struct mbms_bmsc_action **sends; /* the datagrams of one drain */
	size_t sends_cap;
	const struct mbms_bmsc_action **recs;  /* the records of one drain */
	size_t recs_cap;
	char trace_self[320]; /* "BM-SC <fqdn>" */
	uint64_t udp_sent, udp_send_errors, udp_received;
};

uint64_t bmscd_now_ms(void);

/* main.c: carry out the core's actions: every PERSIST of the batch in one
 * transaction, committed before any SEND of the batch; LOG at once. Called
 * with lock held. */
void bmscd_drain(struct bmscd *d);
/* Wake the event loop (any thread). */
void bmscd_wake(struct bmscd *d);
/* ... only when a drain since the last call made something due before the
 * loop's timer (a deadline of the core, the group commit's flush). */
void bmscd_wake_if_needed(struct bmscd *d);

/* http.c: mbmsd_http_handler functions, user = struct bmscd */
void bmscd_km_handle(void *user, const struct mbmsd_http_request *req,
		     struct mbmsd_http_response *resp);
void bmscd_admin_handle(void *user, const struct mbmsd_http_request *req,
			struct mbmsd_http_response *resp);
/* "ip:port" / "[ip]:port" of the httpd helper into an address. */
int bmscd_peer_addr(const char *peer, struct mbms_bmsc_addr *out);

/* trace.c: --trace events (no-ops without an open trace) */
void bmscd_trace_http(struct bmscd *d, const struct mbms_bmsc_http_req *req,
		      const struct mbms_bmsc_http_rsp *r);
void bmscd_trace_send(struct bmscd *d, const struct mbms_bmsc_action *a);
void bmscd_trace_rejected(struct bmscd *d, const struct mbms_bmsc_addr *from, int rc);
void bmscd_trace_admin(struct bmscd *d, const char *what, unsigned status);

/* ctl.c: `bmscd ctl ...` */
int bmscd_ctl_main(int argc, char **argv);

/* metrics.c: the admin listener's GET /metrics (Prometheus), GET /status
 * as HTML for a browser, GET /; the shell's own counters (thread-safe) and
 * recent events (docs/operations.md "Metrics", "Status page"). */
enum bmscd_proc {
	BMSCD_PROC_REGISTER,
	BMSCD_PROC_DEREGISTER,
	BMSCD_PROC_MSK_REQUEST,
	BMSCD_PROC_ANNOUNCEMENT,
	BMSCD_PROC_OTHER,
	BMSCD_PROC_COUNT
};
#define BMSCD_STATUS_COUNT 11 /* 200 400 401 403 404 405 413 415 500 503, other */
void bmscd_metrics_start(uint64_t now_ms);
uint64_t bmscd_metrics_started_ms(void);
void bmscd_metrics_request(const struct mbms_bmsc_http_req *req, unsigned status);
uint64_t bmscd_metrics_requests(enum bmscd_proc p, size_t status_i);
const char *bmscd_proc_name(enum bmscd_proc p);
void bmscd_status_label(size_t status_i, char *out, size_t cap);
void bmscd_metrics_admin(bool solicit, const char *arg, unsigned status);
void bmscd_metrics_log(enum mbms_bmsc_log_level level, const char *text);
/* true when it answered the request */
bool bmscd_admin_more(struct bmscd *d, const struct mbmsd_http_request *req,
		      struct mbmsd_http_response *resp);

/* What the pages show from the core, copied under d->lock. */
struct bmscd_snapshot {
	struct mbms_bmsc_stats st;
	struct mbms_bmsc_key_group_info *kg;
	size_t nkg;
	struct mbms_bmsc_service_info *svc; /* service_id points into d->cfg */
	size_t nsvc;
	uint64_t udp_sent, udp_send_errors, udp_received;
	bool store_failed;
	uint64_t now_ms;
};
int bmscd_snapshot_take(struct bmscd *d, struct bmscd_snapshot *s);
void bmscd_snapshot_free(struct bmscd_snapshot *s);

/* status_page.c: the HTML status page */
void bmscd_status_page(struct bmscd *d, struct mbmsd_http_response *resp);

#endif
