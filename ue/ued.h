/* mbms-ue — the UE key-management client: a shell around the library's
 * sans-I/O UE state machine (include/mbmssec/ue.h). This file: the
 * configuration, the state files and the run loop of the daemon. */
#ifndef MBMS_UED_H
#define MBMS_UED_H

#include "log.h"
#include "ued_srtp.h"

#include "mbmssec/gba.h"
#include "mbmssec/kmxml.h"
#include "mbmssec/milenage.h"
#include "mbmssec/ue.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#define UED_PATH_MAX 4096
#define UED_MAX_RESOLVE 8
#define UED_RESOLVE_MAX 320

/* Exit codes (docs/ue.md). */
#define UED_EXIT_OK 0
#define UED_EXIT_FAIL 1
#define UED_EXIT_USAGE 2
#define UED_EXIT_LEFT 3 /* one-shot run: a service was left or refused */

struct ued_service {
	char id[MBMS_KMXML_URI_MAX + 1];
	char ann_url[MBMS_UE_URL_MAX];
	char ann_file[UED_PATH_MAX];
};

struct ued_config {
	char path[UED_PATH_MAX];
	/* [ue] */
	char state[UED_PATH_MAX];
	enum mbmsd_log_level log_level;
	uint64_t push_timeout_ms;
	unsigned max_attempts;
	uint64_t retry_floor_ms;
	uint64_t rebootstrap_margin_s;
	uint64_t mku_min_interval_ms;
	/* [usim] */
	char impi[MBMS_GBA_IMPI_MAX];
	uint8_t k[MBMS_MILENAGE_K_LEN];
	uint8_t opc[MBMS_MILENAGE_OP_LEN];
	bool have_k, have_opc;
	char sqn_state[UED_PATH_MAX];
	/* [bsf] */
	char bsf_url[MBMS_UE_URL_MAX];
	char bsf_host[MBMS_GBA_HOST_MAX];
	char ca_file[UED_PATH_MAX]; /* HTTPS trust for every request; "": system store */
	/* [net] */
	char mikey_host[64];
	uint16_t mikey_port;
	char mtk_host[64];
	uint16_t mtk_port;
	bool mtk_off;
	char resolve[UED_MAX_RESOLVE][UED_RESOLVE_MAX];
	size_t nresolve;
	long http_timeout_s;
	char http_helper[UED_PATH_MAX]; /* "": $MBMS_UE_HTTP_HELPER or next to mbms-ue */
	/* [service "<id>"] */
	struct ued_service svc[MBMS_UE_MAX_SERVICES];
	size_t nsvc;
	/* [test] -- TEST ONLY fault injection */
	uint32_t drop_msk_push;
	bool drop_unsolicited;
	unsigned drop_rate_pct; /* lose this % of received datagrams (rx_guard.c) */
	unsigned seen;
	/* [stream "<name>"]: SRTP streams to decrypt (ue/srtp.c) */
	struct ued_stream_cfg stream[UED_MAX_STREAMS];
	size_t nstream;
};

/* Read and check the configuration; err gets "file:line: message". */
int ued_config_load(const char *path, struct ued_config *cfg, char *err, size_t err_cap);
/* Wipe K and OPc. */
void ued_config_wipe(struct ued_config *cfg);

/* The key store file: the library's state text, written atomically with
 * mode 0600 (temporary file, fsync, rename, fsync of the directory). A
 * missing file loads nothing (0, *found false). */
int ued_state_save(const char *path, const struct mbms_ue *ue, char *err, size_t err_cap);
int ued_state_load(const char *path, struct mbms_ue *ue, bool *found, char *err, size_t err_cap);

/* The USIM's SQN array (TS 33.102 C.3.2) in its own file, same discipline. */
int ued_sqn_load(const char *path, struct mbms_sqn_ms *st, char *err, size_t err_cap);
int ued_sqn_save(const char *path, const struct mbms_sqn_ms *st, char *err, size_t err_cap);

/* Run the client in the foreground. once: stop when every service holds its
 * MSKs (0) or one was left/refused (UED_EXIT_LEFT); timeout_s > 0 bounds
 * the run (UED_EXIT_FAIL when it runs out in one-shot mode). */
int ued_run(struct ued_config *cfg, bool once, uint64_t timeout_s);

/* `mbms-ue status`: print the key store file (never keys). */
int ued_status(const char *state_path, FILE *out);

uint64_t ued_now_ms(void);

/* trace.c: the --trace event log (docs/trace.md; no-ops without a trace).
 * Start: --trace FILE (cli_path) wins over `trace` in [ue]. */
struct sockaddr_storage;
int ued_trace_start(const char *config_path, const char *cli_path, const char *impi, char *err,
		    size_t err_cap);
void ued_trace_stop(void);
/* Around one received datagram: begin before mbms_ue_udp_rx, end with its
 * result after the actions it set off have been carried out. */
void ued_trace_rx_begin(const struct mbms_ue *ue, enum mbms_ue_port port, const uint8_t *buf,
			size_t len);
void ued_trace_rx_end(const struct mbms_ue *ue, int rc);
/* A datagram sent (error NULL) or not (why). */
void ued_trace_sent(const uint8_t *msg, size_t len, const struct sockaddr_storage *to,
		    const char *error);
void ued_trace_event(const struct mbms_ue_action *a);
void ued_trace_http_failed(const struct mbms_ue_http_request *q, const char *error);
void ued_trace_bootstrap_failed(const char *error);
/* SRTP packets of a stream refused (forged: bad MAC, replay, malformed) or
 * dropped (no key), n since the last call; detail says which kinds. */
void ued_trace_srtp_dropped(const char *stream, bool forged, uint64_t n, const char *detail);

#endif
