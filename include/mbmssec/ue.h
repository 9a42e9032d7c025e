/* mbmssec — the UE side of MBMS key management (TS 33.246 6.3.2.2, the seed
 * CR; PROFILE.md 6), as a sans-I/O state machine.
 *
 * The state machine owns the procedures: initiation from the service
 * announcement (6.1), registration (6.6), the basic MSK request with HTTP
 * Digest qop=auth-int (6.2, PROFILE.md 7), MSK push and solicited-pull
 * handling over MIKEY (6.4, 6.5), the missed key update (6.3), re-bootstrap
 * on an expired or refused B-TID, back-off (PROFILE.md 8) and leaving the
 * service. It never touches a socket, a file or the clock:
 *
 *   inputs   mbms_ue_activate(), mbms_ue_announcement(),
 *            mbms_ue_http_response() / mbms_ue_http_failed(),
 *            mbms_ue_bootstrap_done() / mbms_ue_bootstrap_failed(),
 *            mbms_ue_udp_rx(), mbms_ue_srtp_mki(), mbms_ue_tick()
 *            -- each with the current time, milliseconds since the Unix epoch
 *   outputs  mbms_ue_next_action(): HTTP requests to make, UDP datagrams to
 *            send, a bootstrap to run, the timer to arm, events for the log,
 *            "save the state now"
 *
 * The shell (ue/ = mbms-ue) carries the actions out: libcurl, UDP sockets,
 * libevent timers, the Ub bootstrap (common/ub_http.h), the state file.
 *
 * Keys (Ks, MUK, MSK, MTK) stay inside the state machine; no action, event
 * text or info struct carries one, except mbms_ue_mtk_get() (for SRTP) and
 * the saved state text (the key store file, keep it 0600). Everything is
 * wiped by mbms_ue_free().
 */
#ifndef MBMSSEC_UE_H
#define MBMSSEC_UE_H

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

/* ---- limits ---- */
#define MBMS_UE_MAX_SERVICES 8
#define MBMS_UE_MAX_BMSCS 4
#define MBMS_UE_URL_MAX 768
#define MBMS_UE_ADDR_MAX 128   /* an opaque source/destination address (a sockaddr fits) */
#define MBMS_UE_TEXT_MAX 256   /* event text */
#define MBMS_UE_MTKS_PER_MSK 2 /* the current MTK and the one before it */
#define MBMS_UE_STATE_MAX (64 * 1024)

/* The UE's User-Agent: carries the 3gpp-gba token (PROFILE.md 7). */
#define MBMS_UE_USER_AGENT "mbmssec-ue/0.1 3gpp-gba"

/* An address the shell understands (e.g. a struct sockaddr_storage). The
 * library copies it from a received datagram to the verification message
 * that answers it and never looks inside. */
struct mbms_ue_addr {
	size_t len;
	uint8_t bytes[MBMS_UE_ADDR_MAX];
};

/* Random bytes for back-off and Digest cnonces; tests fix them. */
typedef int (*mbms_ue_random_fn)(void *user, uint8_t *buf, size_t len);

struct mbms_ue_config {
	const char *impi;        /* the USIM's IMPI (Ks_NAF input), copied */
	uint16_t mikey_port;     /* sent as X-MBMS-UE-Port (PROFILE.md 10.14); 0: not sent */
	uint64_t push_timeout_ms;     /* wait for the MIKEY push after a 200 item (30000) */
	unsigned max_attempts;        /* tries per procedure or key before giving up (5) */
	uint64_t retry_floor_ms;      /* least wait before any retry (1000) */
	uint64_t rebootstrap_margin_s; /* bootstrap again this long before the B-TID expires (60) */
	uint64_t mku_min_interval_ms; /* least time between missed key updates of a Key Group (5000) */
	mbms_ue_random_fn random;     /* NULL: mbms_random() */
	void *random_user;
	/* TEST ONLY fault injection (docs/ue.md): drop the first N MSK messages
	 * received; drop every MSK message that does not follow an MSK request
	 * of ours (an unsolicited push, e.g. a key rotation). */
	uint32_t test_drop_msk_push;
	bool test_drop_unsolicited_push;
};

/* Defaults as noted above; impi NULL (required). */
void mbms_ue_config_defaults(struct mbms_ue_config *cfg);

struct mbms_ue;

/* MBMS_EINVAL for a missing/overlong IMPI or a zero max_attempts;
 * MBMS_ENOMEM. The UE is large (announcements, buffers): one allocation. */
int mbms_ue_new(const struct mbms_ue_config *cfg, struct mbms_ue **out);
/* Wipe every key and free. NULL is fine. */
void mbms_ue_free(struct mbms_ue *ue);

/* ---- services ---- */

/* Declare a user service. announcement_url (may be NULL): where to GET the
 * announcement (PROFILE.md 8); without it the shell hands the announcement
 * in with mbms_ue_announcement(). A service known from a loaded state is
 * reused. MBMS_EINVAL (bad service ID or URL), MBMS_ENOSPC (too many). */
int mbms_ue_service_add(struct mbms_ue *ue, const char *service_id, const char *announcement_url);

/* The user activates the service (6.1): fetch the announcement if needed,
 * bootstrap if there is no valid B-TID, register, request the MSKs at once.
 * Also the way to try again after the service was left.
 * MBMS_ENOTFOUND for an unknown service. */
int mbms_ue_activate(struct mbms_ue *ue, const char *service_id, uint64_t now_ms);

/* The announcement body read by the shell (a file). MBMS_ESYNTAX/ELENGTH
 * from the parser, MBMS_EINVAL when it names another service; the service
 * then stays idle. When uiccKeyManagement is required the service is
 * refused (6.1: no GBA_U here) and MBMS_ESTATE is returned. */
int mbms_ue_announcement(struct mbms_ue *ue, const char *service_id, const char *body,
			 size_t len, uint64_t now_ms);

/* The user leaves the service: deregister (6.6), stop asking for keys. */
int mbms_ue_deactivate(struct mbms_ue *ue, const char *service_id, uint64_t now_ms);

/* ---- inputs ---- */

/* An HTTP answer to request `id` (any status; NULL headers when absent). */
struct mbms_ue_http_response {
	long status;
	const char *content_type;
	const char *www_authenticate;    /* the Digest challenge of a 401 */
	const char *authentication_info; /* of a 200 */
	const uint8_t *body;
	size_t body_len;
};
/* MBMS_ENOTFOUND when no such request is outstanding. Every other outcome,
 * good or bad, is handled inside (retry, re-authenticate, give up, leave)
 * and returns 0. */
int mbms_ue_http_response(struct mbms_ue *ue, uint32_t id, const struct mbms_ue_http_response *rsp,
			  uint64_t now_ms);
/* No answer came (connection refused, timeout): retried after back-off. */
int mbms_ue_http_failed(struct mbms_ue *ue, uint32_t id, uint64_t now_ms);

/* The bootstrap asked for by MBMS_UE_ACT_BOOTSTRAP succeeded: B-TID, Ks and
 * its expiry (seconds since the epoch). MBMS_EINVAL for a malformed B-TID. */
int mbms_ue_bootstrap_done(struct mbms_ue *ue, const char *btid, const uint8_t ks[MBMS_KS_LEN],
			   uint64_t expires_at_s, uint64_t now_ms);
/* ... or failed with err: MBMS_EAUTH (refused: services waiting for it are
 * left) or anything else (retried after back-off, max_attempts times). */
int mbms_ue_bootstrap_failed(struct mbms_ue *ue, int err, uint64_t now_ms);

enum mbms_ue_port {
	MBMS_UE_PORT_MIKEY = 0, /* unicast MSK messages and triggers (4359) */
	MBMS_UE_PORT_MTK = 1,   /* the session's MTK messages (2269) */
};

/* A datagram from one of the UE's sockets. Returns 0 when it was accepted
 * and acted on, else the reason it was dropped (MBMS_EMAC, MBMS_EREPLAY,
 * MBMS_EUNKNOWNMSK, ... as mbms_errname() names them); dropped datagrams are
 * counted and never acted on, except that an MTK message naming an MSK we
 * lack starts the missed key update (6.3) and returns MBMS_EUNKNOWNMSK. */
int mbms_ue_udp_rx(struct mbms_ue *ue, enum mbms_ue_port port, const uint8_t *msg, size_t len,
		   const struct mbms_ue_addr *src, uint64_t now_ms);

/* SRTP traffic with this MKI (MSK ID || MTK ID, 6 bytes) was seen on a
 * session of Key Domain kd: 0 when that MSK is held, else MBMS_EUNKNOWNMSK
 * (a missed key update was started or is already under way) or
 * MBMS_ENOTFOUND (no service of ours uses that Key Group). */
int mbms_ue_srtp_mki(struct mbms_ue *ue, const uint8_t kd[MBMS_KEY_DOMAIN_ID_LEN],
		     const uint8_t *mki, size_t mki_len, uint64_t now_ms);

/* Run whatever is due at now_ms. */
int mbms_ue_tick(struct mbms_ue *ue, uint64_t now_ms);

/* When mbms_ue_tick() wants to run next; UINT64_MAX when nothing waits. */
uint64_t mbms_ue_next_deadline(const struct mbms_ue *ue);

/* ---- outputs ---- */

enum mbms_ue_action_kind {
	MBMS_UE_ACT_NONE = 0,
	MBMS_UE_ACT_HTTP,      /* make this HTTP request, answer with mbms_ue_http_response/failed */
	MBMS_UE_ACT_UDP,       /* send this datagram from the MIKEY socket */
	MBMS_UE_ACT_BOOTSTRAP, /* run GBA with the BSF, answer with mbms_ue_bootstrap_done/failed */
	MBMS_UE_ACT_TIMER,     /* the next deadline changed: arm the timer (UINT64_MAX: none) */
	MBMS_UE_ACT_EVENT,     /* something to log / show */
	MBMS_UE_ACT_SAVE,      /* persistent state changed: save it (mbms_ue_state_save) */
};

/* An HTTP request. Pointers stay valid until the request's answer is given
 * (mbms_ue_http_response / mbms_ue_http_failed). headers is a NULL-ended
 * list of complete header lines ("Name: value"), User-Agent included. */
struct mbms_ue_http_request {
	uint32_t id;
	const char *method; /* "GET" or "POST" */
	const char *url;    /* http://host[:port]/path?query; host = the BM-SC FQDN */
	const char *host;   /* the host part of url, for name resolution */
	uint16_t port;      /* the port of url */
	const char *const *headers;
	const uint8_t *body; /* POST only */
	size_t body_len;
};

enum mbms_ue_event {
	MBMS_UE_EV_NONE = 0,
	MBMS_UE_EV_SERVICE_ACTIVE,    /* the service holds an MSK for each of its Key Groups */
	MBMS_UE_EV_SERVICE_REFUSED,   /* not tried (6.1: UICC key management required) */
	MBMS_UE_EV_SERVICE_LEFT,      /* left: no MSK obtainable and none held (6.2) */
	MBMS_UE_EV_REGISTERED,
	MBMS_UE_EV_DEREGISTERED,
	MBMS_UE_EV_MSK_INSTALLED,
	MBMS_UE_EV_MSK_EVICTED,
	MBMS_UE_EV_MTK_RECEIVED,
	MBMS_UE_EV_TRIGGER,           /* a solicited pull arrived (6.4) */
	MBMS_UE_EV_MISSED_KEY_UPDATE, /* traffic for an MSK we lack (6.3) */
	MBMS_UE_EV_REQUEST_SCHEDULED, /* a network-initiated MSK request waits out its back-off */
	MBMS_UE_EV_KEY_STATUS,        /* a per-item status of an MSK response */
	MBMS_UE_EV_AUTH,              /* Digest: challenge, stale nonce, refused B-TID */
	MBMS_UE_EV_BOOTSTRAPPED,
	MBMS_UE_EV_DROPPED,           /* a datagram or an answer was refused */
	MBMS_UE_EV_ERROR,             /* a procedure failed (retried or given up) */
};

const char *mbms_ue_event_name(enum mbms_ue_event ev);

struct mbms_ue_action {
	enum mbms_ue_action_kind kind;
	/* MBMS_UE_ACT_HTTP */
	struct mbms_ue_http_request http;
	/* MBMS_UE_ACT_UDP: valid until the next input call */
	const uint8_t *udp;
	size_t udp_len;
	struct mbms_ue_addr dst;
	/* MBMS_UE_ACT_BOOTSTRAP: the BM-SC refused the current B-TID */
	bool refused_btid;
	/* MBMS_UE_ACT_TIMER */
	uint64_t deadline_ms;
	/* MBMS_UE_ACT_EVENT (text never holds a key) */
	enum mbms_ue_event event;
	bool warning; /* worth a warning in the log */
	char service_id[MBMS_KMXML_URI_MAX + 1]; /* "" when not about one service */
	char text[MBMS_UE_TEXT_MAX];
};

/* The next action, FIFO: 1 and *act filled, 0 when there is none. Drain
 * after every input. */
int mbms_ue_next_action(struct mbms_ue *ue, struct mbms_ue_action *act);

/* ---- status (no keys) ---- */

enum mbms_ue_service_state {
	MBMS_UE_SVC_IDLE = 0,     /* declared, not activated */
	MBMS_UE_SVC_ANNOUNCEMENT, /* waiting for the announcement */
	MBMS_UE_SVC_REGISTERING,  /* bootstrap / register under way */
	MBMS_UE_SVC_KEYS,         /* registered, asking for MSKs, none held yet */
	MBMS_UE_SVC_ACTIVE,       /* registered and holding an MSK */
	MBMS_UE_SVC_REFUSED,      /* UICC key management required: not tried */
	MBMS_UE_SVC_LEFT,         /* left the service */
};
const char *mbms_ue_service_state_name(enum mbms_ue_service_state st);
/* Parse a name back (state files); MBMS_ESYNTAX. */
int mbms_ue_service_state_parse(const char *name, enum mbms_ue_service_state *st);

struct mbms_ue_service_info {
	const char *service_id;
	enum mbms_ue_service_state state;
	const char *reason; /* why refused/left, "" otherwise */
	bool has_announcement;
	uint8_t key_domain_id[MBMS_KEY_DOMAIN_ID_LEN];
	const char *km_server; /* BM-SC FQDN, "" before the announcement */
	size_t key_groups;     /* Key Groups the announcement lists */
	size_t key_groups_held; /* ... of which an MSK is held */
};
size_t mbms_ue_service_count(const struct mbms_ue *ue);
int mbms_ue_service_info(const struct mbms_ue *ue, size_t i, struct mbms_ue_service_info *out);

struct mbms_ue_msk_info {
	uint8_t key_domain_id[MBMS_KEY_DOMAIN_ID_LEN];
	uint32_t msk_id;
	uint16_t vf, vt;       /* MTK ID validity range */
	bool have_counter;     /* per-MSK TS counter of MTK messages */
	uint32_t ts_counter;
	bool have_mtk_id;
	uint16_t mtk_id;       /* current MTK ID */
	bool newest;           /* the newest MSK of its Key Group */
};
size_t mbms_ue_msk_count(const struct mbms_ue *ue);
int mbms_ue_msk_info(const struct mbms_ue *ue, size_t i, struct mbms_ue_msk_info *out);

struct mbms_ue_bootstrap_info {
	bool have;
	const char *btid;
	uint64_t expires_at_s;
};
void mbms_ue_bootstrap_info(const struct mbms_ue *ue, struct mbms_ue_bootstrap_info *out);

/* One MUK per BM-SC (and the previous one, kept for triggers, 10.20). */
struct mbms_ue_muk_info {
	const char *fqdn;  /* IDi */
	bool previous;
	const char *idr;   /* the B-TID it belongs to */
	bool have_counter;
	uint32_t ts_counter;
};
size_t mbms_ue_muk_count(const struct mbms_ue *ue);
int mbms_ue_muk_info(const struct mbms_ue *ue, size_t i, struct mbms_ue_muk_info *out);

struct mbms_ue_counters {
	uint64_t msk_installed, msk_evicted, mtk_received, triggers, verifications_sent;
	uint64_t rx_dropped;          /* datagrams refused (all reasons) */
	uint64_t rx_replay;           /* ... of which replays */
	uint64_t rx_test_dropped;     /* ... thrown away by the test-only fault injection */
	uint64_t missed_key_updates;  /* requests started by 6.3 */
	uint64_t mku_suppressed;      /* 6.3 triggers inside the back-off window */
	uint64_t http_requests, http_401, rspauth_failures, bootstraps;
	uint64_t msk_requests;
};
void mbms_ue_counters(const struct mbms_ue *ue, struct mbms_ue_counters *out);

/* ---- MTKs for SRTP (a later issue decrypts with them) ---- */
struct mbms_ue_mtk {
	uint8_t key_domain_id[MBMS_KEY_DOMAIN_ID_LEN];
	uint32_t msk_id;
	uint16_t mtk_id;
	uint8_t mtk[MBMS_MTK_LEN];
	uint8_t salt[MBMS_MTK_SALT_LEN];
};
/* The MTK with that ID under that MSK (the current one or the one before).
 * MBMS_ENOTFOUND. The caller wipes *out after use. */
int mbms_ue_mtk_get(const struct mbms_ue *ue, const uint8_t kd[MBMS_KEY_DOMAIN_ID_LEN],
		    uint32_t msk_id, uint16_t mtk_id, struct mbms_ue_mtk *out);
/* The newest MTK under that MSK. */
int mbms_ue_mtk_latest(const struct mbms_ue *ue, const uint8_t kd[MBMS_KEY_DOMAIN_ID_LEN],
		       uint32_t msk_id, struct mbms_ue_mtk *out);

/* ---- persistence (the key store file; holds keys: keep it 0600) ---- */

/* The persistent state as text: bootstrap (B-TID, Ks, expiry), MUKs with
 * their TS counters, MSKs with their counters and MTK IDs, service states.
 * MBMS_ENOSPC. Wipe the buffer after writing it out. */
int mbms_ue_state_save(const struct mbms_ue *ue, char *out, size_t cap, size_t *out_len);
/* Load such a text into a fresh UE (before any activation). MBMS_ESYNTAX
 * (with nothing loaded) for anything malformed; MBMS_ESTATE when the UE
 * has been used. */
int mbms_ue_state_load(struct mbms_ue *ue, const char *text, size_t len);

#ifdef __cplusplus
}
#endif
#endif
