/* mbms-loadgen — N simulated UEs in one process against bsfd and bmscd
 * (issue #9, docs/loadgen.md). Like sipp for SIP: it bootstraps UEs over Ub
 * (HTTP Digest AKA) or takes pre-provisioned B-TIDs and Ks_NAFs, registers
 * them, asks for MSKs with HTTP Digest qop=auth-int over keep-alive
 * connections at a target rate, receives the MIKEY pushes on a few UDP
 * sockets, verifies every message with the UE's MUK and acknowledges it.
 *
 * One thread, one epoll loop: HTTP/1.1 client connections (non-blocking,
 * our own small client: wrk cannot do Digest auth-int and libcurl's Digest
 * hashes an empty body), UDP sockets with recvmmsg/sendmmsg, a clock.
 *
 * Addressing (PROFILE.md 10.14): the BM-SC sends to the source IP of the
 * UE's HTTP request and the port of X-MBMS-UE-Port, and matches the ack by
 * its source. Every simulated UE gets its own (IP, port) on the loopback
 * network 127.0.0.0/8: UE i uses port udp_port[i % S] and IP ip_base +
 * i / S. The S UDP sockets are bound to the wildcard address (and to the
 * loopback device) with IP_PKTINFO, so one socket receives for every IP of
 * its port and answers from the IP the push was sent to. HTTP connections
 * are bound to the IP of the UEs they carry. Nothing leaves 127.0.0.0/8.
 */
#ifndef MBMS_LOADGEN_H
#define MBMS_LOADGEN_H

#include "mbmssec/gba.h"
#include "mbmssec/kdf.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define LG_VERSION "0.1.0"
#define LG_USER_AGENT "mbms-loadgen/0.1 3gpp-gba"
#define LG_MAX_SOCKETS 4096
#define LG_MAX_CONNS 1024
#define LG_MAX_UES 10000000u
#define LG_RAND_B64 24 /* base64 of a 16-byte RAND, the B-TID before '@' */

/* ---- what the command line says ---- */

enum lg_mode {
	LG_MODE_NONE = 0,
	LG_MODE_PROVISION, /* write subscribers / bootstraps / registrations into the DBs */
	LG_MODE_BOOTSTRAP, /* Ub bootstraps only (figure 7) */
	LG_MODE_RUN,       /* bootstrap or plan, register, MSK requests, pushes, acks */
	LG_MODE_FANOUT,    /* receive one rotation's pushes (figure 4) */
	LG_MODE_PLAIN,     /* the same HTTP load without any protocol (baselines) */
	LG_MODE_FREE_PORTS,
};

struct lg_opts {
	enum lg_mode mode;
	/* the simulated population (a plan file fixes all of these) */
	uint64_t n;              /* UEs */
	uint64_t first;          /* index of the first UE (IMPI numbering) */
	uint64_t seed;           /* derives K, OPc, RAND, Ks of every UE */
	char bsf_host[MBMS_GBA_HOST_MAX]; /* BSF name: realm and B-TID suffix */
	char fqdn[MBMS_GBA_HOST_MAX];     /* BM-SC FQDN: NAF FQDN, realm suffix, IDi */
	char service[256];       /* user service to register to */
	uint16_t key_group;      /* Key Group of the MSKs asked for / pushed */
	uint8_t key_domain[3];   /* from mcc/mnc */
	uint32_t ip_base;        /* host order, inside 127.0.0.0/8 */
	uint16_t udp_base;       /* first UDP port (0: let the kernel pick each) */
	unsigned udp_socks;      /* S */
	uint64_t lifetime_s;     /* provisioned bootstraps live this long */
	/* where */
	char bsf_url[256];       /* Ub, http://IP:PORT */
	char bmsc_url[256];      /* key management, http://IP:PORT */
	char admin[128];         /* bmscd admin IP:PORT (fan-out trigger, status) */
	char plain_url[256];     /* plain mode target */
	char bsf_db[1024], bmsc_db[1024], plan[1024];
	/* load */
	unsigned conns;          /* HTTP connections */
	double rate;             /* requests per second (0: as fast as the connections go) */
	uint64_t requests;       /* MSK requests in all (run), or requests (plain) */
	double duration;         /* seconds of MSK requests / plain load (0: count only) */
	double timeout;          /* hard limit on the whole run, seconds */
	double drain;            /* wait this long for the last pushes */
	unsigned rotations;      /* fan-out: measured rotations */
	bool registered;         /* run: the plan registered the UEs already */
	bool skip_register;
	bool plain_post;         /* plain: POST a body like an MSK request */
	bool ub_equivalent;      /* plain: two GETs per "bootstrap" */
	bool json;
	bool quiet;
	bool progress_tty;       /* a live line (stderr is a terminal) */
	unsigned free_ports;     /* free-ports K */
};

/* main.c */
double lg_now(void);             /* monotonic seconds */
uint64_t lg_wall_ms(void);       /* wall clock, ms since the epoch */
extern volatile int lg_stop;     /* SIGINT/SIGTERM */

/* ---- identities (ident.c): everything from (seed, index) ---- */

struct lg_ident {
	char impi[64];
	uint8_t k[16], opc[16];
	uint8_t rand[16];        /* of the provisioned bootstrap */
	char btid[MBMS_GBA_BTID_MAX];
	uint8_t ks[MBMS_KS_LEN]; /* of the provisioned bootstrap */
};
void lg_ident(const struct lg_opts *o, uint64_t i, struct lg_ident *out);
void lg_impi(const struct lg_opts *o, uint64_t i, char *out, size_t cap);
/* Ks_NAF of a provisioned bootstrap for the BM-SC FQDN: the UE's MUK and MRK. */
int lg_ident_ks_naf(const struct lg_opts *o, const struct lg_ident *id, uint8_t out[32]);
/* UE i's address: IP (host order) and the index of its UDP socket. */
static inline unsigned lg_sock_of(const struct lg_opts *o, uint64_t i)
{
	return (unsigned)(i % o->udp_socks);
}
static inline uint32_t lg_ip_of(const struct lg_opts *o, uint64_t i)
{
	return o->ip_base + (uint32_t)(i / o->udp_socks);
}
/* Number of IP addresses the population uses. */
static inline uint32_t lg_ip_count(const struct lg_opts *o)
{
	return (uint32_t)((o->n + o->udp_socks - 1) / o->udp_socks);
}
void lg_ip_text(uint32_t ip, char out[16]);
int lg_ip_parse(const char *s, uint32_t *out);

/* ---- the plan file (plan.c): the population's parameters, written by
 * `provision`, read by the later runs so that both agree ---- */
int lg_plan_write(const struct lg_opts *o, char *err, size_t cap);
int lg_plan_read(struct lg_opts *o, char *err, size_t cap);

/* ---- provisioning (provision.c) ---- */
int lg_provision(const struct lg_opts *o, char *err, size_t cap);

/* ---- the simulated UEs (ue table) ---- */

enum lg_ue_state {
	LG_UE_NEW = 0,
	LG_UE_BOOTSTRAPPED,
	LG_UE_REGISTERED,
	LG_UE_FAILED,
};

struct lg_ue {
	uint8_t muk[32];          /* = MRK = Ks_NAF (GBA_ME) */
	char btid_rand[LG_RAND_B64]; /* the B-TID is btid_rand "@" bsf_host */
	char ha1[33];             /* MD5(B-TID ":" realm ":" base64(MRK)), lower-case hex */
	char nonce[45];           /* the BM-SC's Digest nonce, "" before the first 401 */
	uint32_t nc;              /* nonce count used last */
	uint32_t ts_last;         /* per-MUK TS counter of the last message accepted */
	uint32_t msk_last;        /* MSK ID of the last MSK message accepted */
	int32_t pushes_expected;  /* granted items not yet pushed (< 0: push came first) */
	uint32_t rotation_got;    /* rotation number whose MSK arrived (fan-out) */
	uint8_t state;
	bool have_ts;
};

/* ---- counters and the report (report.c) ---- */

#define LG_LAT_BUCKETS 100 /* up to 2^25 µs (33 s) */
struct lg_hist {
	uint64_t count;
	uint64_t b[LG_LAT_BUCKETS]; /* bucket k: [2^(k/4), 2^((k+1)/4)) microseconds */
	double sum_us, max_us;
};
void lg_hist_add(struct lg_hist *h, double us);
double lg_hist_pct(const struct lg_hist *h, double p);

struct lg_phase {
	const char *name;
	uint64_t target;          /* how many to do (0: open) */
	uint64_t done, errors;
	double t0, t1;            /* monotonic seconds */
	struct lg_hist lat;       /* per exchange, microseconds */
};

struct lg_stats {
	/* HTTP */
	uint64_t http_sent, http_2xx, http_401, http_4xx, http_5xx, http_other;
	uint64_t conn_opened, conn_failed, conn_closed_by_peer;
	uint64_t rspauth_bad, body_bad, auth_retries;
	uint64_t items_200, items_other;
	/* MIKEY */
	uint64_t udp_rx, udp_rx_batches, udp_tx, udp_tx_errors;
	uint64_t push_ok, push_bad, push_dup, push_unexpected, push_unknown_ue;
	uint64_t acks_sent;
	uint64_t bootstraps_ok, bootstraps_failed;
	uint64_t rx_drops_kernel; /* SO_RXQ_OVFL */
};

struct lg_report {
	const struct lg_opts *o;
	struct lg_stats st;
	struct lg_phase phase[6];
	size_t nphase;
	double t_start;
	/* fan-out */
	unsigned nrot;
	double rot_ms[64];        /* rotate -> last ack sent */
	double rot_confirm_ms[64];/* rotate -> BM-SC status shows no pending push */
	double rot_first_ms[64];  /* rotate -> first push */
	uint64_t rot_lost[64];    /* UEs without the MSK at the end */
	uint64_t rot_ues[64];
	char rot_msk[64][9];
	/* progress */
	double last_progress;
	uint64_t last_done;
	bool progress_line_open;
};

void lg_report_init(struct lg_report *r, const struct lg_opts *o);
struct lg_phase *lg_phase_begin(struct lg_report *r, const char *name, uint64_t target);
void lg_phase_end(struct lg_report *r, struct lg_phase *p);
/* Once a second: a live line on a terminal, plain lines otherwise. */
void lg_progress(struct lg_report *r, const struct lg_phase *p, bool force);
void lg_report_print(const struct lg_report *r, int exit_code);
/* Errors of every kind: what makes the exit code 1. */
uint64_t lg_report_errors(const struct lg_report *r);

/* ---- the engine (engine.c): epoll, HTTP connections, UDP sockets ---- */

struct lg;

/* An HTTP response as the client saw it (header values NUL-terminated,
 * NULL when absent; body is not). */
struct lg_http_rsp {
	int status;
	const char *www_authenticate;
	const char *authentication_info;
	const char *content_type;
	const uint8_t *body;
	size_t body_len;
	double latency_us;
};

/* What a driver does: fill the next request of a connection (false: none
 * now), take its response. A connection belongs to one IP group. */
struct lg_conn;
struct lg_driver {
	/* Write the next request into buf (cap bytes); *len its length, *tag a
	 * value handed back with the response. false: nothing to send now. */
	bool (*next)(struct lg *L, struct lg_conn *c, unsigned group, char *buf, size_t cap,
		     size_t *len, uint64_t *tag);
	void (*response)(struct lg *L, struct lg_conn *c, uint64_t tag,
			 const struct lg_http_rsp *rsp);
	/* The connection died with this request outstanding (retry or count). */
	void (*failed)(struct lg *L, struct lg_conn *c, uint64_t tag);
	void *user;
};

struct lg_target {
	uint32_t ip;   /* host order */
	uint16_t port;
	char host[300]; /* Host header value */
};
int lg_target_parse(const char *url, const char *host_header, struct lg_target *t, char *err,
		    size_t cap);

struct lg *lg_new(const struct lg_opts *o, struct lg_report *r, char *err, size_t cap);
void lg_free(struct lg *L);
struct lg_report *lg_rep(struct lg *L);
const struct lg_opts *lg_opts_of(struct lg *L);
struct lg_ue *lg_ues(struct lg *L);

/* UDP: open the S sockets (ports from the options, or picked). */
int lg_udp_open(struct lg *L, char *err, size_t cap);
uint16_t lg_udp_port(struct lg *L, unsigned sock);

/* HTTP: nconns connections to t, connection k bound to the IP of group
 * k % groups (groups = 0: no bind). Replaces any earlier set. */
int lg_http_start(struct lg *L, const struct lg_target *t, unsigned nconns, unsigned groups,
		  const struct lg_driver *drv, char *err, size_t cap);
/* Let idle connections ask their driver again (after new work arrived). */
void lg_http_kick(struct lg *L);
void lg_http_stop(struct lg *L);
/* The connection's number, 0 .. nconns - 1 (drivers keep state per number). */
unsigned lg_conn_index(const struct lg_conn *c);
unsigned lg_http_busy(struct lg *L); /* requests outstanding */

/* One loop turn: wait at most wait_s for I/O, handle it. */
void lg_poll(struct lg *L, double wait_s);

/* The pushes: what a received MIKEY message means for the run. */
struct lg_push_sink {
	/* a verified MSK message (or trigger) for UE i; return true to ack it */
	bool (*push)(struct lg *L, uint64_t ue, uint32_t msk_id, bool trigger);
	void *user;
};
void lg_set_push_sink(struct lg *L, const struct lg_push_sink *s);
/* Flush acknowledgements queued by the receive path. */
void lg_udp_flush(struct lg *L);

/* One blocking HTTP exchange on a fresh connection (admin requests):
 * status, body copied into out (NUL-terminated). -1 on transport failure. */
int lg_http_simple(const char *hostport, const char *method, const char *path, char *out,
		   size_t cap, double timeout_s);

/* ---- drivers ---- */
/* ub.c: bootstrap UEs [0, n) over Ub; fills muk/btid of each UE. */
int lg_run_bootstrap(struct lg *L, struct lg_phase *ph, char *err, size_t cap);
/* km.c: register UEs; MSK requests. */
int lg_run_register(struct lg *L, struct lg_phase *ph, char *err, size_t cap);
int lg_run_msk_requests(struct lg *L, struct lg_phase *ph, struct lg_phase *push_ph, char *err,
			size_t cap);
/* UEs from the plan's provisioned bootstraps (no Ub). */
int lg_ues_from_plan(struct lg *L, char *err, size_t cap);
/* fanout.c */
int lg_run_fanout(struct lg *L, char *err, size_t cap);
/* plain.c */
int lg_run_plain(struct lg *L, struct lg_phase *ph, char *err, size_t cap);

/* digest helpers (km.c) */
void lg_ue_btid(const struct lg_opts *o, const struct lg_ue *u, char *out, size_t cap);
int lg_ue_prepare_auth(const struct lg_opts *o, struct lg_ue *u);

/* fast non-cryptographic randomness for cnonces and pacing (xorshift) */
uint64_t lg_rand64(void);

#endif
