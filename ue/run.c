/* mbms-ue run loop: libevent turns UDP readiness, the timer and signals
 * into calls on the library's UE state machine, and this file carries out
 * the actions that come back: HTTP through the helper mbms-ue-http
 * (common/ue_http.c), Ub bootstrap (common/ub_http.c, its GETs through the
 * same helper), datagrams from the MIKEY socket, the timer, log lines,
 * saving the key store. No protocol logic here.
 *
 * HTTP requests and bootstraps run synchronously inside the loop (the UE
 * makes few, short requests; datagrams arriving meanwhile wait in the
 * socket buffer). */
#include "ued.h"

#include "config.h"
#include "rx_guard.h"
#include "ub_http.h"
#include "ue_http.h"
#include "ue_http_frame.h"

#include "mbmssec/crypto.h"
#include "mbmssec/error.h"
#include "mbmssec/gba.h"

#include <arpa/inet.h>
#include <errno.h>
#include <event2/event.h>
#include <netdb.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#ifndef MBMS_VERSION
#define MBMS_VERSION "0.1.0"
#endif

struct ued {
	struct ued_config *cfg;
	struct mbms_ue *ue;
	struct event_base *base;
	struct event *ev_mikey, *ev_mtk, *ev_timer, *ev_stop_after, *ev_sig[3];
	int fd_mikey, fd_mtk;
	struct mbms_sqn_ms sqn;
	const char *resolve[UED_MAX_RESOLVE + 1];
	bool once;
	bool activated; /* every service activated: one-shot checks may start */
	int exit_code;
	bool done;
	struct ued_srtp *srtp; /* [stream] sections: ue/srtp.c */
};

uint64_t ued_now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	return (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
}

static void stop(struct ued *d, int code)
{
	if (d->done)
		return;
	d->done = true;
	d->exit_code = code;
	event_base_loopbreak(d->base);
}

/* ---- carrying out actions ---- */

static bool save_state(struct ued *d)
{
	char err[512];
	if (ued_state_save(d->cfg->state, d->ue, err, sizeof(err))) {
		log_error("cannot save the key store: %s", err);
		return false;
	}
	return true;
}

static void do_http(struct ued *d, const struct mbms_ue_http_request *q)
{
	struct mbmsd_ue_http_result res;
	char err[512];
	log_debug("HTTP %s %s", q->method, q->url);
	int rc = mbmsd_ue_http(q->method, q->url, q->headers, q->body, q->body_len, d->resolve,
			       MBMS_PROFILE_MAX_BODY, d->cfg->http_timeout_s, &res, err, sizeof(err));
	if (rc) {
		log_warn("HTTP %s: %s", q->method, err);
		ued_trace_http_failed(q, err);
		mbms_ue_http_failed(d->ue, q->id, ued_now_ms());
		return;
	}
	log_debug("HTTP %s %s: %ld (%zu bytes)", q->method, q->url, res.status, res.body_len);
	struct mbms_ue_http_response rsp = {
		.status = res.status,
		.content_type = res.has_content_type ? res.content_type : NULL,
		.www_authenticate = res.has_www_authenticate ? res.www_authenticate : NULL,
		.authentication_info = res.has_authentication_info ? res.authentication_info : NULL,
		.body = res.body,
		.body_len = res.body_len,
	};
	mbms_ue_http_response(d->ue, q->id, &rsp, ued_now_ms());
	mbmsd_ue_http_result_free(&res);
}

/* A Ub GET through the HTTP helper (so this process needs no libcurl): the
 * User-Agent as a header line, the timeout of common/http_client.c. An
 * answer body over max_body is no answer here (MBMS_EIO, not ELENGTH). */
#define UED_UB_TIMEOUT_S 30
_Static_assert(sizeof(((struct mbmsd_http_exchange *)0)->content_type) ==
		       sizeof(((struct mbmsd_ue_http_result *)0)->content_type) &&
		       sizeof(((struct mbmsd_http_exchange *)0)->www_auth) ==
			       sizeof(((struct mbmsd_ue_http_result *)0)->www_authenticate) &&
		       sizeof(((struct mbmsd_http_exchange *)0)->auth_info) ==
			       sizeof(((struct mbmsd_ue_http_result *)0)->authentication_info),
	       "the Ub exchange and the UE result hold the same header sizes");
static int ub_get(void *ctx, const char *url, const char *const *headers, const char *user_agent,
		  size_t max_body, struct mbmsd_http_exchange *ex, char *err, size_t err_cap)
{
	(void)ctx;
	const char *lines[MBMSD_UEH_MAX_HEADERS + 1];
	char ua[128];
	size_t n = 0;
	memset(ex, 0, sizeof(*ex));
	snprintf(ua, sizeof(ua), "User-Agent: %s", user_agent);
	lines[n++] = ua;
	for (size_t i = 0; headers && headers[i]; i++) {
		if (n == MBMSD_UEH_MAX_HEADERS) {
			snprintf(err, err_cap, "too many header lines");
			return -1;
		}
		lines[n++] = headers[i];
	}
	lines[n] = NULL;
	struct mbmsd_ue_http_result res;
	if (mbmsd_ue_http("GET", url, lines, NULL, 0, NULL, max_body, UED_UB_TIMEOUT_S, &res, err,
			  err_cap))
		return -1;
	ex->status = res.status;
	ex->body = (char *)res.body; /* handed over: mbmsd_http_exchange_free wipes it */
	ex->body_len = res.body_len;
	ex->body_cap = res.body_cap;
	if (res.has_content_type)
		memcpy(ex->content_type, res.content_type, sizeof(ex->content_type));
	if (res.has_www_authenticate)
		memcpy(ex->www_auth, res.www_authenticate, sizeof(ex->www_auth));
	if (res.has_authentication_info) {
		memcpy(ex->auth_info, res.authentication_info, sizeof(ex->auth_info));
		ex->has_auth_info = true;
	}
	return 0;
}

static void do_bootstrap(struct ued *d, bool refused_btid)
{
	struct ued_config *cfg = d->cfg;
	struct mbms_gba_client *c = calloc(1, sizeof(*c));
	char err[512];
	if (!c) {
		mbms_ue_bootstrap_failed(d->ue, MBMS_ENOMEM, ued_now_ms());
		return;
	}
	log_info("bootstrapping with the BSF %s%s", cfg->bsf_url,
		 refused_btid ? " (the BM-SC refused our B-TID)" : "");
	int rc = mbms_gba_client_init(c, cfg->impi, cfg->k, cfg->opc, cfg->bsf_host, &d->sqn);
	struct mbmsd_ub_outcome out;
	memset(&out, 0, sizeof(out));
	if (rc == 0)
		rc = mbmsd_ub_bootstrap_via(cfg->bsf_url, c, &out, ub_get, NULL);
	else
		snprintf(out.error, sizeof(out.error), "bad IMPI or BSF host");
	/* The USIM's SQN array changes whenever it accepts an AUTN. */
	d->sqn = c->sqn_ms;
	if (ued_sqn_save(cfg->sqn_state, &d->sqn, err, sizeof(err)))
		log_error("cannot save the SQN state: %s", err);
	if (out.resynced)
		log_info("SQN resynchronised with the BSF (AUTS sent)");
	if (rc == 0) {
		rc = mbms_ue_bootstrap_done(d->ue, c->btid, c->ks, c->expires_at, ued_now_ms());
		if (rc)
			log_error("bootstrap result refused: %s", mbms_strerror(rc));
	} else {
		log_warn("bootstrap failed: %s (%s)", out.error, mbms_errname(rc));
		if (out.last_status == 0) /* else bsfd traced its answer */
			ued_trace_bootstrap_failed(out.error);
		mbms_ue_bootstrap_failed(d->ue, rc == MBMS_EAUTH ? MBMS_EAUTH : rc, ued_now_ms());
	}
	mbms_gba_client_wipe(c);
	free(c);
}

static void do_send(struct ued *d, const struct mbms_ue_action *a)
{
	if (a->dst.len == 0 || a->dst.len > sizeof(struct sockaddr_storage)) {
		log_warn("datagram without a usable destination dropped");
		return;
	}
	struct sockaddr_storage ss;
	memcpy(&ss, a->dst.bytes, a->dst.len);
	ssize_t n = sendto(d->fd_mikey, a->udp, a->udp_len, 0, (struct sockaddr *)&ss,
			   (socklen_t)a->dst.len);
	if (n != (ssize_t)a->udp_len) {
		log_warn("sending the verification message failed: %s", strerror(errno));
		ued_trace_sent(a->udp, a->udp_len, &ss, strerror(errno));
	} else {
		log_debug("verification message sent (%zu bytes)", a->udp_len);
		ued_trace_sent(a->udp, a->udp_len, &ss, NULL);
	}
}

static void arm_timer(struct ued *d, uint64_t deadline)
{
	if (deadline == UINT64_MAX) {
		evtimer_del(d->ev_timer);
		return;
	}
	uint64_t now = ued_now_ms(), delay = deadline > now ? deadline - now : 0;
	struct timeval tv = {(time_t)(delay / 1000), (suseconds_t)((delay % 1000) * 1000)};
	/* inside a callback libevent counts from the time the loop woke up:
	 * after a long callback (synchronous HTTP) the timer would fire early */
	event_base_update_cache_time(d->base);
	evtimer_add(d->ev_timer, &tv);
}

static void log_event(const struct mbms_ue_action *a)
{
	const char *name = mbms_ue_event_name(a->event);
	const char *sep = a->service_id[0] ? " " : "";
	if (a->warning)
		log_warn("%s%s%s: %s", name, sep, a->service_id, a->text);
	else if (a->event == MBMS_UE_EV_MTK_RECEIVED || a->event == MBMS_UE_EV_AUTH ||
		 a->event == MBMS_UE_EV_DROPPED)
		log_debug("%s%s%s: %s", name, sep, a->service_id, a->text);
	else
		log_info("%s%s%s: %s", name, sep, a->service_id, a->text);
}

/* One-shot mode: done when every configured service holds an MSK for each
 * of its Key Groups, or one was left or refused. */
static void check_once(struct ued *d)
{
	bool all = true, left = false;
	for (size_t k = 0; k < d->cfg->nsvc; k++) {
		struct mbms_ue_service_info si;
		bool found = false;
		for (size_t i = 0; i < mbms_ue_service_count(d->ue); i++)
			if (mbms_ue_service_info(d->ue, i, &si) == 0 &&
			    strcmp(si.service_id, d->cfg->svc[k].id) == 0) {
				found = true;
				break;
			}
		if (!found)
			continue;
		if (si.state == MBMS_UE_SVC_LEFT || si.state == MBMS_UE_SVC_REFUSED)
			left = true;
		if (si.state != MBMS_UE_SVC_ACTIVE || si.key_groups_held != si.key_groups)
			all = false;
	}
	if (left) {
		log_warn("one-shot run: a service was left or refused (exit %d)", UED_EXIT_LEFT);
		stop(d, UED_EXIT_LEFT);
	} else if (all) {
		log_info("one-shot run: every service holds its MSKs");
		stop(d, UED_EXIT_OK);
	}
}

static void send_held(void *ctx, const struct mbms_ue_action *a) { do_send(ctx, a); }

static void pump(struct ued *d)
{
	struct mbms_ue_action a;
	bool saved = true;
	while (mbms_ue_next_action(d->ue, &a)) {
		switch (a.kind) {
		case MBMS_UE_ACT_HTTP:
			do_http(d, &a.http);
			break;
		case MBMS_UE_ACT_UDP: /* sent once the batch's save succeeded */
			if (!ued_ack_hold(&a))
				do_send(d, &a);
			break;
		case MBMS_UE_ACT_BOOTSTRAP:
			do_bootstrap(d, a.refused_btid);
			break;
		case MBMS_UE_ACT_TIMER:
			arm_timer(d, a.deadline_ms);
			break;
		case MBMS_UE_ACT_EVENT:
			log_event(&a);
			ued_trace_event(&a);
			break;
		case MBMS_UE_ACT_SAVE:
			saved = save_state(d) && saved;
			break;
		case MBMS_UE_ACT_NONE:
			break;
		}
	}
	ued_ack_release(saved, send_held, d);
	if (d->once && d->activated)
		check_once(d);
}

/* ---- libevent callbacks ---- */

static void on_timer(evutil_socket_t fd, short what, void *arg)
{
	struct ued *d = arg;
	(void)fd;
	(void)what;
	mbms_ue_tick(d->ue, ued_now_ms());
	pump(d);
	/* Woken before the deadline, the library's deadline did not change and
	 * no TIMER action came: arm it again, or the timer is gone for good
	 * (a B-TID renewal never ran under load: test_fault_bsf). */
	arm_timer(d, mbms_ue_next_deadline(d->ue));
}

static void on_udp(struct ued *d, int fd, enum mbms_ue_port port)
{
	uint8_t buf[2048];
	for (int i = 0; i < 64; i++) {
		struct sockaddr_storage ss;
		socklen_t sl = sizeof(ss);
		ssize_t n = recvfrom(fd, buf, sizeof(buf), 0, (struct sockaddr *)&ss, &sl);
		if (n < 0) {
			if (errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR)
				log_warn("recvfrom: %s", strerror(errno));
			break;
		}
		if (!ued_rx_admit(&ss, sl, port, d->cfg->drop_rate_pct, ued_now_ms()))
			continue; /* flood guard / TEST-ONLY loss (rx_guard.h) */
		struct mbms_ue_addr src = {.len = sl};
		memcpy(src.bytes, &ss, sl <= sizeof(src.bytes) ? sl : sizeof(src.bytes));
		ued_trace_rx_begin(d->ue, port, buf, (size_t)n);
		int rc = mbms_ue_udp_rx(d->ue, port, buf, (size_t)n, &src, ued_now_ms());
		ued_rx_done(&ss, sl, rc, ued_now_ms());
		log_debug("%s datagram of %zd bytes: %s", port == MBMS_UE_PORT_MIKEY ? "MIKEY" : "MTK",
			  n, rc ? mbms_errname(rc) : "accepted");
		mbms_wipe(buf, (size_t)n);
		pump(d);
		ued_trace_rx_end(d->ue, rc);
		if (d->done)
			break;
	}
}

static void on_mikey(evutil_socket_t fd, short what, void *arg)
{
	(void)what;
	on_udp(arg, fd, MBMS_UE_PORT_MIKEY);
}

static void on_mtk(evutil_socket_t fd, short what, void *arg)
{
	(void)what;
	on_udp(arg, fd, MBMS_UE_PORT_MTK);
	ued_srtp_keys_changed(((struct ued *)arg)->srtp); /* SRTP held for a new MTK */
}

static void pump_cb(void *arg)
{
	pump(arg);
}

static void on_signal(evutil_socket_t sig, short what, void *arg)
{
	struct ued *d = arg;
	(void)what;
	if (sig == SIGHUP) {
		log_info("SIGHUP ignored (restart to reload the configuration)");
		return;
	}
	log_info("signal %d: stopping", (int)sig);
	stop(d, d->once ? UED_EXIT_FAIL : UED_EXIT_OK);
}

static void on_stop_after(evutil_socket_t fd, short what, void *arg)
{
	struct ued *d = arg;
	(void)fd;
	(void)what;
	if (d->once)
		log_warn("one-shot run timed out before every service held its MSKs");
	else
		log_info("run time over: stopping");
	stop(d, d->once ? UED_EXIT_FAIL : UED_EXIT_OK);
}

/* ---- sockets ---- */

static int bind_udp(const char *host, uint16_t port, int *fd_out, uint16_t *bound, char *err,
		    size_t err_cap)
{
	struct addrinfo hints, *ai = NULL;
	char ps[8];
	memset(&hints, 0, sizeof(hints));
	hints.ai_family = AF_UNSPEC;
	hints.ai_socktype = SOCK_DGRAM;
	hints.ai_flags = AI_PASSIVE | AI_NUMERICHOST | AI_NUMERICSERV;
	snprintf(ps, sizeof(ps), "%u", (unsigned)port);
	int g = getaddrinfo(host, ps, &hints, &ai);
	if (g != 0) {
		snprintf(err, err_cap, "%s: not a numeric address (%s)", host, gai_strerror(g));
		return -1;
	}
	int fd = socket(ai->ai_family, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0 || bind(fd, ai->ai_addr, ai->ai_addrlen) != 0) {
		snprintf(err, err_cap, "%s:%u: %s", host, (unsigned)port, strerror(errno));
		if (fd >= 0)
			close(fd);
		freeaddrinfo(ai);
		return -1;
	}
	freeaddrinfo(ai);
	struct sockaddr_storage ss;
	socklen_t sl = sizeof(ss);
	getsockname(fd, (struct sockaddr *)&ss, &sl);
	*bound = ntohs(ss.ss_family == AF_INET6 ? ((struct sockaddr_in6 *)&ss)->sin6_port
						: ((struct sockaddr_in *)&ss)->sin_port);
	*fd_out = fd;
	return 0;
}

/* ---- the run ---- */

static int setup(struct ued *d, char *err, size_t err_cap)
{
	struct ued_config *cfg = d->cfg;
	uint16_t mikey_port = 0, mtk_port = 0;
	if (ued_sqn_load(cfg->sqn_state, &d->sqn, err, err_cap))
		return -1;
	if (bind_udp(cfg->mikey_host, cfg->mikey_port, &d->fd_mikey, &mikey_port, err, err_cap))
		return -1;
	if (!cfg->mtk_off &&
	    bind_udp(cfg->mtk_host, cfg->mtk_port, &d->fd_mtk, &mtk_port, err, err_cap))
		return -1;

	struct mbms_ue_config uc;
	mbms_ue_config_defaults(&uc);
	uc.impi = cfg->impi;
	uc.mikey_port = mikey_port;
	uc.push_timeout_ms = cfg->push_timeout_ms;
	uc.max_attempts = cfg->max_attempts;
	uc.retry_floor_ms = cfg->retry_floor_ms;
	uc.rebootstrap_margin_s = cfg->rebootstrap_margin_s;
	uc.mku_min_interval_ms = cfg->mku_min_interval_ms;
	uc.test_drop_msk_push = cfg->drop_msk_push;
	uc.test_drop_unsolicited_push = cfg->drop_unsolicited;
	int rc = mbms_ue_new(&uc, &d->ue);
	if (rc) {
		snprintf(err, err_cap, "cannot create the UE: %s", mbms_strerror(rc));
		return -1;
	}
	if (cfg->drop_msk_push || cfg->drop_unsolicited)
		log_warn("TEST-ONLY fault injection on: dropping %s incoming MSK pushes",
			 cfg->drop_unsolicited ? "unsolicited" : "the first");
	if (cfg->drop_rate_pct)
		log_warn("TEST-ONLY fault injection on: losing %u%% of received datagrams",
			 cfg->drop_rate_pct);
	bool found;
	if (ued_state_load(cfg->state, d->ue, &found, err, err_cap))
		return -1;
	if (found) {
		struct mbms_ue_bootstrap_info bi;
		mbms_ue_bootstrap_info(d->ue, &bi);
		log_info("key store %s: %zu MSK(s), %s%s", cfg->state, mbms_ue_msk_count(d->ue),
			 bi.have ? "B-TID " : "no B-TID", bi.have ? bi.btid : "");
	}
	for (size_t i = 0; i < cfg->nsvc; i++) {
		const struct ued_service *s = &cfg->svc[i];
		rc = mbms_ue_service_add(d->ue, s->id, s->ann_url[0] ? s->ann_url : NULL);
		if (rc) {
			snprintf(err, err_cap, "service %s: %s", s->id, mbms_strerror(rc));
			return -1;
		}
	}
	if (ued_srtp_new(cfg, d->base, d->ue, pump_cb, d, &d->srtp, err, err_cap))
		return -1;
	char mtk[96] = "off";
	if (!cfg->mtk_off)
		snprintf(mtk, sizeof(mtk), "on %s:%u", cfg->mtk_host, (unsigned)mtk_port);
	log_info("mbms-ue %s: IMPI %s, MIKEY on %s:%u, MTK %s, %zu service(s), key store %s",
		 MBMS_VERSION, cfg->impi, cfg->mikey_host, (unsigned)mikey_port, mtk, cfg->nsvc,
		 cfg->state);
	return 0;
}

static void activate_all(struct ued *d)
{
	struct ued_config *cfg = d->cfg;
	uint64_t now = ued_now_ms();
	for (size_t i = 0; i < cfg->nsvc; i++) {
		const struct ued_service *s = &cfg->svc[i];
		if (s->ann_file[0]) {
			char *buf, err[512];
			size_t len;
			if (mbmsd_file_read(s->ann_file, MBMS_PROFILE_MAX_BODY, &buf, &len, err,
					    sizeof(err))) {
				log_error("service %s: %s", s->id, err);
				continue;
			}
			int rc = mbms_ue_announcement(d->ue, s->id, buf, len, now);
			mbmsd_file_free(buf, len + 1);
			pump(d);
			if (rc && rc != MBMS_ESTATE) {
				log_error("service %s: announcement %s refused: %s", s->id,
					  s->ann_file, mbms_strerror(rc));
				continue;
			}
		}
		mbms_ue_activate(d->ue, s->id, now);
		pump(d);
		if (d->done)
			return;
	}
	d->activated = true;
	pump(d);
}

int ued_run(struct ued_config *cfg, bool once, uint64_t timeout_s)
{
	struct ued d;
	char err[600];
	memset(&d, 0, sizeof(d));
	d.cfg = cfg;
	d.once = once;
	d.fd_mikey = d.fd_mtk = -1;
	d.exit_code = UED_EXIT_FAIL;
	for (size_t i = 0; i < cfg->nresolve; i++)
		d.resolve[i] = cfg->resolve[i];
	umask(077);
	signal(SIGPIPE, SIG_IGN);
	/* Every HTTP exchange runs the helper: say now when it is not there. */
	mbmsd_ue_http_set_helper(cfg->http_helper);
	if (access(mbmsd_ue_http_helper(), X_OK) != 0) {
		log_error("the HTTP helper %s cannot be run: %s (set http_helper in [net] or "
			  "MBMS_UE_HTTP_HELPER)", mbmsd_ue_http_helper(), strerror(errno));
		return UED_EXIT_FAIL;
	}
	log_debug("HTTP helper: %s", mbmsd_ue_http_helper());
	if (mbms_crypto_init() != 0) {
		log_error("crypto backend unavailable");
		return UED_EXIT_FAIL;
	}
	int ret = UED_EXIT_FAIL;
	d.base = event_base_new();
	if (!d.base) {
		log_error("libevent: no event base");
		goto out;
	}
	if (setup(&d, err, sizeof(err))) {
		log_error("%s", err);
		goto out;
	}
	d.ev_timer = evtimer_new(d.base, on_timer, &d);
	d.ev_mikey = event_new(d.base, d.fd_mikey, EV_READ | EV_PERSIST, on_mikey, &d);
	if (d.fd_mtk >= 0)
		d.ev_mtk = event_new(d.base, d.fd_mtk, EV_READ | EV_PERSIST, on_mtk, &d);
	const int sigs[3] = {SIGINT, SIGTERM, SIGHUP};
	for (int i = 0; i < 3; i++) {
		d.ev_sig[i] = evsignal_new(d.base, sigs[i], on_signal, &d);
		if (d.ev_sig[i])
			event_add(d.ev_sig[i], NULL);
	}
	if (!d.ev_timer || !d.ev_mikey || (d.fd_mtk >= 0 && !d.ev_mtk)) {
		log_error("libevent: cannot create events");
		goto out;
	}
	event_add(d.ev_mikey, NULL);
	if (d.ev_mtk)
		event_add(d.ev_mtk, NULL);
	if (timeout_s) {
		struct timeval tv = {(time_t)timeout_s, 0};
		d.ev_stop_after = evtimer_new(d.base, on_stop_after, &d);
		if (d.ev_stop_after)
			evtimer_add(d.ev_stop_after, &tv);
	}
	activate_all(&d);
	if (!d.done)
		event_base_dispatch(d.base);
	ret = d.exit_code;
	save_state(&d);
out:
	ued_srtp_free(d.srtp); /* its events, before the base */
	if (d.ev_timer)
		event_free(d.ev_timer);
	if (d.ev_mikey)
		event_free(d.ev_mikey);
	if (d.ev_mtk)
		event_free(d.ev_mtk);
	if (d.ev_stop_after)
		event_free(d.ev_stop_after);
	for (int i = 0; i < 3; i++)
		if (d.ev_sig[i])
			event_free(d.ev_sig[i]);
	if (d.base)
		event_base_free(d.base);
	if (d.fd_mikey >= 0)
		close(d.fd_mikey);
	if (d.fd_mtk >= 0)
		close(d.fd_mtk);
	mbms_ue_free(d.ue);
	mbms_wipe(&d.sqn, sizeof(d.sqn));
	mbms_crypto_thread_cleanup();
	return ret;
}
