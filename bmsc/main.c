/* bmscd: command line, start-up and the event loop. The loop (libevent)
 * owns the MIKEY UDP socket, the timer that drives the library's clock
 * (mbms_bmsc_tick) and the signals; the two HTTP listeners run on their
 * own threads (common/httpd.c) and share the library under one lock. */
#include "bmscd.h"

#include "batch.h"
#include "http_client.h"
#include "config.h"
#include "mikey_io.h"
#include "random_pool.h"
#include "rx_guard.h"
#include "stream.h"
#include "trace.h"

#include "mbmssec/crypto.h"
#include "mbmssec/error.h"

#include <arpa/inet.h>
#include <errno.h>
#include <event2/event.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#ifndef MBMS_VERSION
#define MBMS_VERSION "0.1.0"
#endif

#define EXIT_USAGE 2
#define TICK_BATCH 1024   /* messages per tick call */
#define TICK_ROUNDS 64    /* tick calls before the loop looks at sockets again */
#define MAX_TIMER_MS 1000 /* re-check at least this often (clock steps) */

static const char usage_text[] =
	"usage: bmscd --config FILE [--trace FILE] [--debug-keys]\n"
	"       bmscd --config FILE --check\n"
	"       bmscd ctl [--admin HOST:PORT] status\n"
	"       bmscd ctl [--admin HOST:PORT] solicit --service ID\n"
	"       bmscd ctl [--admin HOST:PORT] rotate --key-group N\n"
	"       bmscd ctl [--admin HOST:PORT] stream --session NAME [--count K] [--rate R]\n"
	"                 [--file F] [--mtk-every P] [--size N]\n"
	"       bmscd ctl [--admin HOST:PORT] stream-stop --session NAME | stream-status\n"
	"       bmscd ctl [--admin HOST:PORT] mtk --key-group N\n"
	"       bmscd --help | --version\n"
	"\n"
	"The BM-SC key management function of TS 33.246 (docs/bmsc.md): UEs register\n"
	"to user services and request MSKs over HTTP with Digest auth-int (password\n"
	"from the BSF over Zn); bmscd pushes MSKs in MIKEY over UDP, waits for the\n"
	"verification messages, retransmits, rotates the MSKs of each key group ahead\n"
	"of their switch-over, sends the MTK messages of each session, and serves\n"
	"the service announcements. State (MSKs, registrations, counters, pending\n"
	"pushes) lives in SQLite and survives kill -9.\n"
	"\n"
	"  --config FILE     INI configuration (examples/bmsc.ini, docs/bmsc.md)\n"
	"  --check           read and check the configuration, print a summary, exit\n"
	"  --trace FILE      append one JSON line per HTTP exchange and MIKEY message\n"
	"                    (docs/trace.md; overrides [bmsc] trace; never holds keys)\n"
	"  --debug-keys      log Ks_NAF in hex at debug level (lab use only)\n"
	"\n"
	"ctl talks to the admin listener of a running bmscd ([bmsc] admin_listen,\n"
	"default 127.0.0.1:8090):\n"
	"  status                  services, key groups (current/next MSK IDs),\n"
	"                          registered UEs, push counters, as JSON\n"
	"  solicit --service ID    solicited pull: a trigger to every UE registered\n"
	"                          to the service; they come back for the current MSK\n"
	"  rotate --key-group N    without a next MSK: make it now and push it to every\n"
	"                          registered UE (switch-over after the lead time);\n"
	"                          with one: switch over to it now\n"
	"The admin listener also serves GET /metrics (Prometheus text format) and,\n"
	"to a browser, GET /status as an HTML page (docs/operations.md).\n"
	"\n"
	"Exit codes: 0 success, 1 failure (message on stderr), 2 usage error.\n";

static struct bmscd g_d;
/* when the event loop's timer fires next (ms since the epoch), and whether
 * a drain on an HTTP thread made something due earlier (bmscd_wake_if_needed) */
static atomic_uint_least64_t g_armed_at = UINT64_MAX;
static atomic_bool g_wake_wanted;

uint64_t bmscd_now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

/* ---- carrying out the library's actions ---- */

static const enum mbmsd_log_level level_of[] = {
	[MBMS_BMSC_LOG_ERROR] = MBMSD_LOG_ERROR,
	[MBMS_BMSC_LOG_WARN] = MBMSD_LOG_WARN,
	[MBMS_BMSC_LOG_INFO] = MBMSD_LOG_INFO,
	[MBMS_BMSC_LOG_DEBUG] = MBMSD_LOG_DEBUG,
};

/* All records of the batch in one transaction, committed before any of
 * its datagrams leaves (one fsync per batch, not per message); then the
 * datagrams, in order. If the store fails, nothing is sent from then on:
 * a datagram may rely on a counter reservation that is not durable. */
/* Keep a pointer to an action of this drain (valid until actions_done). */
static bool stash(const struct mbms_bmsc_action ***v, size_t *cap, size_t *n,
		  const struct mbms_bmsc_action *a)
{
	if (*n == *cap) {
		size_t nc = *cap ? *cap * 2 : 256;
		const struct mbms_bmsc_action **nv = realloc(*v, nc * sizeof(**v));
		if (!nv)
			return false;
		*v = nv;
		*cap = nc;
	}
	(*v)[(*n)++] = a;
	return true;
}

void bmscd_drain(struct bmscd *d)
{
	const struct mbms_bmsc_action *a;
	size_t nsend = 0, nrec = 0;
	bool durable = false;
	mbmsd_log_hold(); /* the batch's log lines in one write */
	while ((a = mbms_bmsc_action_next(d->core)) != NULL) {
		switch (a->kind) {
		case MBMS_BMSC_ACT_PERSIST:
			if (d->db_failed)
				break;
			if (!stash(&d->recs, &d->recs_cap, &nrec, a)) {
				log_error("out of memory: a state record cannot be stored");
				d->db_failed = true;
				break;
			}
			durable = durable || bmscd_store_rec_durable(&a->u.rec);
			break;
		case MBMS_BMSC_ACT_SEND:
			if (!stash(&d->sends, &d->sends_cap, &nsend, a))
				log_error("out of memory: a datagram is not sent");
			break;
		case MBMS_BMSC_ACT_LOG:
			mbmsd_log(level_of[a->u.log.level], "%s", a->u.log.text);
			bmscd_metrics_log(a->u.log.level, a->u.log.text);
			break;
		}
	}
	/* Records before the datagrams that follow them. A batch of push states
	 * joins the group commit (batch.c: one transaction for many requests
	 * and acks, committed before any of its datagrams leaves); any other
	 * batch flushes the group first, then commits (synced) and sends at
	 * once, before the drain returns. Datagrams keep the order the core
	 * made them in. */
	if (d->db_failed) {
		if (nsend)
			log_error("state store failed: %zu MIKEY message(s) held back; none will be "
				  "sent until a restart (a TS counter must never be reused)",
				  nsend);
	} else if (nrec == 0 && nsend == 0) {
		/* nothing to store or send (a 401, a status read) */
	} else if (!durable && nrec && bmscd_batch_add(d, d->recs, nrec, d->sends, nsend)) {
		/* taken: committed and sent with the group */
	} else {
		/* a synced batch, or datagrams without records (an MTK message the
		 * SRTP stream's next packet relies on, stream.c): now, after the group */
		bmscd_batch_flush(d);
		if (nrec && !d->db_failed) {
			if (bmscd_store_begin_batch(d->store, durable) != 0) {
				d->db_failed = true;
			} else {
				for (size_t i = 0; i < nrec && !d->db_failed; i++)
					if (bmscd_store_apply(d->store, &d->recs[i]->u.rec) != 0)
						d->db_failed = true;
				if (d->db_failed || bmscd_store_commit(d->store) != 0) {
					bmscd_store_rollback(d->store);
					d->db_failed = true;
				}
			}
		}
		if (nsend && d->db_failed)
			log_error("state store failed: %zu MIKEY message(s) held back; none will be "
				  "sent until a restart (a TS counter must never be reused)",
				  nsend);
		else
			bmscd_udp_send_batch(d, d->sends, nsend); /* mikey_io.c: sendmmsg */
	}
	uint64_t next = mbms_bmsc_next_deadline(d->core), due = bmscd_batch_due();
	if ((due < next ? due : next) < atomic_load(&g_armed_at))
		atomic_store(&g_wake_wanted, true);
	mbms_bmsc_actions_done(d->core);
	mbmsd_log_release();
}

void bmscd_wake_if_needed(struct bmscd *d)
{
	if (atomic_exchange(&g_wake_wanted, false))
		bmscd_wake(d);
}

void bmscd_wake(struct bmscd *d)
{
	char c = 1;
	if (write(d->wake_fd[1], &c, 1) < 0 && errno != EAGAIN)
		log_debug("wake: %s", strerror(errno));
}

/* ---- the event loop ---- */

struct loop {
	struct bmscd *d;
	struct event_base *base;
	struct event *timer, *udp, *wake, *sig;
};

static void arm(struct loop *L)
{
	pthread_mutex_lock(&L->d->lock);
	uint64_t when = mbms_bmsc_next_deadline(L->d->core), due = bmscd_batch_due();
	if (due < when)
		when = due; /* the group commit's flush (batch.c) */
	uint64_t now = bmscd_now_ms();
	uint64_t ms = when <= now ? 0 : when - now;
	if (ms > MAX_TIMER_MS)
		ms = MAX_TIMER_MS;
	atomic_store(&g_armed_at, now + ms);
	pthread_mutex_unlock(&L->d->lock);
	struct timeval tv = {(time_t)(ms / 1000), (suseconds_t)(ms % 1000) * 1000};
	evtimer_add(L->timer, &tv);
}

static void on_timer(evutil_socket_t fd, short what, void *arg)
{
	struct loop *L = arg;
	(void)fd;
	(void)what;
	for (int round = 0; round < TICK_ROUNDS; round++) {
		pthread_mutex_lock(&L->d->lock);
		int more = mbms_bmsc_tick(L->d->core, bmscd_now_ms(), TICK_BATCH);
		bmscd_drain(L->d);
		pthread_mutex_unlock(&L->d->lock);
		if (more != 1)
			break;
		/* the acks of the batches sent so far, before the next batch */
		bmscd_udp_receive(L->d, L->d->udp_fd, TICK_BATCH);
	}
	pthread_mutex_lock(&L->d->lock);
	if (bmscd_batch_due() <= bmscd_now_ms())
		bmscd_batch_flush(L->d);
	pthread_mutex_unlock(&L->d->lock);
	arm(L);
}

static void on_udp(evutil_socket_t fd, short what, void *arg)
{
	struct loop *L = arg;
	(void)what;
	bmscd_udp_receive(L->d, fd, 1024); /* mikey_io.c: recvmmsg, one drain per batch */
	arm(L);
}

static void on_wake(evutil_socket_t fd, short what, void *arg)
{
	struct loop *L = arg;
	(void)what;
	char buf[64];
	while (read(fd, buf, sizeof(buf)) > 0)
		;
	bmscd_stream_kick(); /* a stream started from the admin listener */
	arm(L);
}

static void on_signal(evutil_socket_t fd, short what, void *arg)
{
	struct loop *L = arg;
	(void)what;
	struct signalfd_siginfo si;
	while (read(fd, &si, sizeof(si)) == (ssize_t)sizeof(si)) {
		if (si.ssi_signo == SIGHUP) {
			log_info("SIGHUP ignored (restart to reload the configuration)");
			continue;
		}
		log_info("signal %u: stopping", si.ssi_signo);
		event_base_loopbreak(L->base);
	}
}

static int udp_open(const char *host, uint16_t port, uint16_t *bound, char *err, size_t cap)
{
	struct sockaddr_storage ss;
	socklen_t sl;
	memset(&ss, 0, sizeof(ss));
	struct sockaddr_in *a4 = (struct sockaddr_in *)&ss;
	struct sockaddr_in6 *a6 = (struct sockaddr_in6 *)&ss;
	if (inet_pton(AF_INET, host, &a4->sin_addr) == 1) {
		a4->sin_family = AF_INET;
		a4->sin_port = htons(port);
		sl = sizeof(*a4);
	} else if (inet_pton(AF_INET6, host, &a6->sin6_addr) == 1) {
		a6->sin6_family = AF_INET6;
		a6->sin6_port = htons(port);
		sl = sizeof(*a6);
	} else {
		snprintf(err, cap, "mikey_listen '%.64s' is not an IP address", host);
		return -1;
	}
	int fd = socket(ss.ss_family, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0 || bind(fd, (struct sockaddr *)&ss, sl) != 0) {
		snprintf(err, cap, "MIKEY socket %.64s:%u: %s", host, port, strerror(errno));
		if (fd >= 0)
			close(fd);
		return -1;
	}
	if (getsockname(fd, (struct sockaddr *)&ss, &sl) == 0)
		*bound = ntohs(ss.ss_family == AF_INET ? a4->sin_port : a6->sin6_port);
	bmscd_mikey_socket_tune(fd); /* room for a fan-out's burst of acks */
	return fd;
}

static int check_only(const char *config_path)
{
	struct bmscd_config cfg;
	char err[600];
	if (bmscd_config_load(config_path, &cfg, err, sizeof(err))) {
		fprintf(stderr, "bmscd: %s\n", err);
		return 1;
	}
	char kd[7];
	mbms_hex_encode(cfg.core.key_domain_id, 3, kd, sizeof(kd));
	printf("%s: ok\nfqdn %s, key domain %s (MCC %s MNC %s)\n", config_path, cfg.fqdn, kd,
	       cfg.mcc, cfg.mnc);
	printf("key management on %s:%u, admin on %s:%u, MIKEY from %s:%u, db %s\n",
	       cfg.listen_host, cfg.listen_port, cfg.admin_host, cfg.admin_port, cfg.mikey_host,
	       cfg.mikey_port, cfg.db);
	for (size_t i = 0; i < cfg.nkg; i++)
		printf("key group %u: MSK lifetime %llu ms, lead time %llu ms, %u MTK IDs, MTK "
		       "lifetime %llu ms\n",
		       cfg.kg[i].key_group, (unsigned long long)cfg.kg[i].msk_lifetime_ms,
		       (unsigned long long)cfg.kg[i].lead_time_ms, cfg.kg[i].mtk_id_count,
		       (unsigned long long)cfg.kg[i].mtk_lifetime_ms);
	for (size_t i = 0; i < cfg.nsvc; i++) {
		printf("service %s: key groups", cfg.svc[i].service_id);
		for (size_t j = 0; j < cfg.svc[i].nkey_groups; j++)
			printf(" %u", cfg.svc[i].key_groups[j]);
		printf(", subscribers %s\n",
		       cfg.svc[i].any_subscriber ? "any" : "listed");
	}
	for (size_t i = 0; i < cfg.nsess; i++)
		printf("session %s: service %s, key group %u, destination %s:%u, MTK to %s every "
		       "%llu ms\n",
		       cfg.sess[i].name, cfg.sess[i].service_id, cfg.sess[i].key_group,
		       cfg.sess[i].destination.host, cfg.sess[i].destination.port,
		       cfg.sess_to_text[i], (unsigned long long)cfg.sess[i].mtk_interval_ms);
	bmscd_config_free(&cfg);
	return 0;
}

static int run(const char *config_path, const char *trace_path, bool debug_keys)
{
	struct bmscd *d = &g_d;
	char err[600];
	umask(077); /* the database, its WAL and anything else we create: owner only */
	memset(d, 0, sizeof(*d));
	bmscd_metrics_start(bmscd_now_ms());
	d->udp_fd = d->wake_fd[0] = d->wake_fd[1] = -1;
	if (bmscd_config_load(config_path, &d->cfg, err, sizeof(err))) {
		log_error("%s", err);
		return 1;
	}
	mbmsd_log_set_level(d->cfg.log_level);
	if (debug_keys) {
		mbmsd_log_set_key_debug(true);
		mbmsd_log_set_level(MBMSD_LOG_DEBUG);
		log_warn("--debug-keys: Ks_NAF will be logged in clear");
	}
	/* --trace FILE, else [bmsc] trace, else no trace */
	char trace_cfg[4096];
	if (mbmsd_trace_config_path(config_path, "bmsc", trace_cfg, sizeof(trace_cfg), err,
				    sizeof(err)) ||
	    ((trace_path || *trace_cfg) &&
	     mbmsd_trace_open(trace_path ? trace_path : trace_cfg, err, sizeof(err)))) {
		log_error("%s", err);
		bmscd_config_free(&d->cfg);
		return 1;
	}
	if (mbmsd_trace_on())
		log_info("tracing HTTP and MIKEY to %s", trace_path ? trace_path : trace_cfg);
	int ret = 1;
	struct loop L = {.d = d};
	struct mbmsd_httpd *km = NULL, *admin = NULL;
	struct mbmsd_tls tls;
	bool tls_on = false;
	memset(&tls, 0, sizeof(tls));
	int sfd = -1;
	size_t rows = 0;
	pthread_mutex_init(&d->lock, NULL);
	if (mbms_crypto_init() != 0) {
		log_error("crypto backend unavailable");
		goto out;
	}
	if (bmscd_store_open(d->cfg.db, &d->store, err, sizeof(err))) {
		log_error("%s", err);
		goto out;
	}
	d->cfg.core.random = bmscd_random_pool; /* RANDs, keys: DRBG output, 4 KiB at a time */
	int rc = mbms_bmsc_new(&d->cfg.core, &d->core);
	if (rc) {
		log_error("cannot set up the BM-SC: %s", mbms_strerror(rc));
		goto out;
	}
	/* The core does not even format lines nobody prints; INFO and above
	 * always (the status page's recent events take them at any level). */
	mbms_bmsc_set_log_level(d->core, mbmsd_log_get_level() >= MBMSD_LOG_DEBUG
						 ? MBMS_BMSC_LOG_DEBUG
						 : MBMS_BMSC_LOG_INFO);
	if (bmscd_store_load(d->store, d->core, &rows, err, sizeof(err))) {
		log_error("%s", err);
		goto out;
	}
	if (bmscd_store_config_snapshot(d->store, &d->cfg))
		log_warn("could not record the configured services in the database");
	uint16_t mikey_port = 0;
	d->udp_fd = udp_open(d->cfg.mikey_host, d->cfg.mikey_port, &mikey_port, err, sizeof(err));
	if (d->udp_fd < 0) {
		log_error("%s", err);
		goto out;
	}
	if (pipe(d->wake_fd) != 0 || fcntl(d->wake_fd[0], F_SETFL, O_NONBLOCK) != 0 ||
	    fcntl(d->wake_fd[1], F_SETFL, O_NONBLOCK) != 0 ||
	    fcntl(d->wake_fd[0], F_SETFD, FD_CLOEXEC) != 0 ||
	    fcntl(d->wake_fd[1], F_SETFD, FD_CLOEXEC) != 0) {
		log_error("pipe: %s", strerror(errno));
		goto out;
	}
	if (mbmsd_tls_from_config(config_path, "bmsc", &tls, &tls_on, err, sizeof(err))) {
		log_error("%s", err);
		goto out;
	}
	/* Signals go to the event loop through a signalfd: block them before
	 * the HTTP threads start (they inherit the mask). */
	sigset_t sigs;
	sigemptyset(&sigs);
	sigaddset(&sigs, SIGINT);
	sigaddset(&sigs, SIGTERM);
	sigaddset(&sigs, SIGHUP);
	pthread_sigmask(SIG_BLOCK, &sigs, NULL);
	signal(SIGPIPE, SIG_IGN);
	sfd = signalfd(-1, &sigs, SFD_NONBLOCK | SFD_CLOEXEC);
	if (sfd < 0) {
		log_error("signalfd: %s", strerror(errno));
		goto out;
	}
	km = mbmsd_httpd_start_tls(d->cfg.listen_host, d->cfg.listen_port, MBMS_PROFILE_MAX_BODY,
				   tls_on ? &tls : NULL, bmscd_km_handle, d, err, sizeof(err));
	mbmsd_tls_free(&tls);
	if (!km) {
		log_error("key management listener: %s", err);
		goto out;
	}
	admin = mbmsd_httpd_start(d->cfg.admin_host, d->cfg.admin_port, 4096, bmscd_admin_handle, d,
				  err, sizeof(err));
	if (!admin) {
		log_error("admin listener: %s", err);
		goto out;
	}
	pthread_mutex_lock(&d->lock);
	if (!d->cfg.announce_port_set)
		mbms_bmsc_set_announce_port(d->core, mbmsd_httpd_port(km));
	rc = mbms_bmsc_start(d->core, bmscd_now_ms());
	bmscd_drain(d);
	pthread_mutex_unlock(&d->lock);
	if (rc) {
		log_error("cannot start: %s", mbms_strerror(rc));
		goto out;
	}
	L.base = event_base_new();
	if (!L.base) {
		log_error("libevent: cannot make an event base");
		goto out;
	}
	L.timer = evtimer_new(L.base, on_timer, &L);
	L.udp = event_new(L.base, d->udp_fd, EV_READ | EV_PERSIST, on_udp, &L);
	L.wake = event_new(L.base, d->wake_fd[0], EV_READ | EV_PERSIST, on_wake, &L);
	L.sig = event_new(L.base, sfd, EV_READ | EV_PERSIST, on_signal, &L);
	if (!L.timer || !L.udp || !L.wake || !L.sig || event_add(L.udp, NULL) ||
	    event_add(L.wake, NULL) || event_add(L.sig, NULL)) {
		log_error("libevent: cannot register events");
		goto out;
	}
	if (bmscd_stream_init(d, L.base, err, sizeof(err))) {
		log_error("%s", err);
		goto out;
	}
	char kd[7];
	mbms_hex_encode(d->cfg.core.key_domain_id, 3, kd, sizeof(kd));
	log_info("bmscd %s: fqdn %s, key domain %s, key management on %s:%u%s, admin on %s:%u, "
		 "MIKEY on %s:%u, %zu service(s), %zu key group(s), %zu session(s), db %s "
		 "(%zu row(s) restored)",
		 MBMS_VERSION, d->cfg.fqdn, kd, d->cfg.listen_host, mbmsd_httpd_port(km),
		 mbmsd_httpd_is_tls(km) ? " (TLS)" : "", d->cfg.admin_host, mbmsd_httpd_port(admin),
		 d->cfg.mikey_host, mikey_port, d->cfg.nsvc, d->cfg.nkg, d->cfg.nsess, d->cfg.db,
		 rows);
	arm(&L);
	event_base_dispatch(L.base);
	ret = 0;
out:
	mbmsd_http_abort_all(); /* Zn lookups under way fail now: their requests get 503 */
	mbmsd_httpd_stop(admin);
	mbmsd_httpd_stop(km);
	if (d->store) { /* what the group commit still holds */
		pthread_mutex_lock(&d->lock);
		bmscd_batch_flush(d);
		pthread_mutex_unlock(&d->lock);
	}
	bmscd_batch_free();
	bmscd_random_pool_wipe();
	bmscd_stream_shutdown();
	if (L.timer)
		event_free(L.timer);
	if (L.udp)
		event_free(L.udp);
	if (L.wake)
		event_free(L.wake);
	if (L.sig)
		event_free(L.sig);
	if (L.base)
		event_base_free(L.base);
	if (sfd >= 0)
		close(sfd);
	if (d->udp_fd >= 0)
		close(d->udp_fd);
	for (int i = 0; i < 2; i++)
		if (d->wake_fd[i] >= 0)
			close(d->wake_fd[i]);
	if (d->core) {
		struct mbms_bmsc_stats st;
		mbms_bmsc_get_stats(d->core, &st);
		if (ret == 0)
			log_info("stopped: %llu HTTP request(s), %llu push(es) sent, %llu acked, %llu "
				 "retransmitted, %llu given up, %llu trigger(s), %llu MTK message(s)",
				 (unsigned long long)st.http_requests,
				 (unsigned long long)st.pushes_sent, (unsigned long long)st.pushes_acked,
				 (unsigned long long)st.retransmissions,
				 (unsigned long long)st.pushes_given_up,
				 (unsigned long long)st.triggers_sent,
				 (unsigned long long)st.mtk_messages);
	}
	mbms_bmsc_free(d->core);
	free(d->sends);
	free(d->recs);
	bmscd_store_close(d->store);
	bmscd_config_free(&d->cfg);
	pthread_mutex_destroy(&d->lock);
	mbmsd_trace_close();
	mbms_crypto_thread_cleanup();
	return ret;
}

int main(int argc, char **argv)
{
	mbmsd_log_init("bmscd");
	if (argc < 2) {
		fputs(usage_text, stderr);
		return EXIT_USAGE;
	}
	if (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h") || !strcmp(argv[1], "help")) {
		fputs(usage_text, stdout);
		return 0;
	}
	if (!strcmp(argv[1], "--version")) {
		printf("bmscd %s\n", MBMS_VERSION);
		return 0;
	}
	if (!strcmp(argv[1], "ctl"))
		return bmscd_ctl_main(argc, argv);
	const char *config = NULL, *trace = NULL;
	bool debug_keys = false, check = false;
	for (int i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--config") && i + 1 < argc && !config) {
			config = argv[++i];
		} else if (!strcmp(argv[i], "--trace") && i + 1 < argc && !trace && *argv[i + 1]) {
			trace = argv[++i];
		} else if (!strcmp(argv[i], "--debug-keys")) {
			debug_keys = true;
		} else if (!strcmp(argv[i], "--check")) {
			check = true;
		} else {
			fprintf(stderr, "bmscd: unexpected argument '%s' (bmscd --help)\n", argv[i]);
			return EXIT_USAGE;
		}
	}
	if (!config) {
		fprintf(stderr, "bmscd: --config FILE is required (bmscd --help)\n");
		return EXIT_USAGE;
	}
	return check ? check_only(config) : run(config, trace, debug_keys);
}
