/* mbms-ue: the SRTP streams (ue/ued_srtp.h, docs/traffic.md).
 *
 * Per [stream "name"]: a UDP socket; for each datagram, first the packets
 * held earlier whose MTK has come in the meantime, then the datagram
 * itself: the library names the key by its MKI (or holds the packet, or
 * drops it and may start the missed key update), libsrtp2 decrypts, and
 * the RTP payload (or the whole RTP packet as a length-prefixed record) is
 * written out. No protocol logic here. */
#include "ued.h"

#include "config.h"
#include "srtp_glue.h"

#include "mbmssec/crypto.h"
#include "mbmssec/error.h"
#include "mbmssec/traffic.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netdb.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#define DEFAULT_HOLD_PACKETS 256
#define DEFAULT_HOLD_MS 2000
#define STATS_MS 500

/* ---- configuration ---- */

enum {
	S_SERVICE = 1u << 0,
	S_LISTEN = 1u << 1,
	S_OUTPUT = 1u << 2,
	S_FORMAT = 1u << 3,
	S_STATS = 1u << 4,
	S_HOLD_PACKETS = 1u << 5,
	S_HOLD_MS = 1u << 6,
};

static int bad(struct mbms_ini_error *err, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

static int bad(struct mbms_ini_error *err, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(err->msg, sizeof(err->msg), fmt, ap);
	va_end(ap);
	return MBMS_EINVAL;
}

int ued_stream_section(struct ued_config *cfg, const char *name, struct mbms_ini_error *err)
{
	if (!*name || strlen(name) >= sizeof(cfg->stream[0].name))
		return bad(err, "a stream section needs a name: [stream \"video\"]");
	for (size_t i = 0; i < cfg->nstream; i++)
		if (strcmp(cfg->stream[i].name, name) == 0)
			return bad(err, "[stream \"%s\"] given twice", name);
	if (cfg->nstream == UED_MAX_STREAMS)
		return bad(err, "at most %d streams", UED_MAX_STREAMS);
	struct ued_stream_cfg *s = &cfg->stream[cfg->nstream++];
	memset(s, 0, sizeof(*s));
	snprintf(s->name, sizeof(s->name), "%s", name);
	s->hold_packets = DEFAULT_HOLD_PACKETS;
	s->hold_ms = DEFAULT_HOLD_MS;
	return 0;
}

int ued_stream_key(struct ued_config *cfg, const char *key, const char *value,
		   struct mbms_ini_error *err)
{
	struct ued_stream_cfg *s = &cfg->stream[cfg->nstream - 1];
	static const char *const keys[] = {"service", "listen",       "output", "output_format",
					   "stats",   "hold_packets", "hold_ms"};
	size_t k = 0;
	while (k < 7 && strcmp(key, keys[k]) != 0)
		k++;
	if (k == 7)
		return bad(err, "unknown key '%s' in a stream section", key);
	if (s->seen & (1u << k))
		return bad(err, "'%s' given twice", key);
	s->seen |= 1u << k;
	switch (k) {
	case 0:
		if (mbms_km_service_id_check(value, strlen(value)))
			return bad(err, "service: a service ID (an absolute URI), got '%s'", value);
		snprintf(s->service, sizeof(s->service), "%s", value);
		return 0;
	case 1:
		if (mbmsd_parse_hostport(value, s->host, sizeof(s->host), &s->port, true))
			return bad(err, "listen: IP:PORT (port 0: any), got '%s'", value);
		return 0;
	case 2:
		if (strcmp(value, "-") == 0)
			return 0;
		if (mbmsd_config_path(cfg->path, value, s->output, sizeof(s->output)))
			return bad(err, "output: bad path '%s'", value);
		return 0;
	case 3:
		if (strcmp(value, "payload") && strcmp(value, "rtp"))
			return bad(err, "output_format: payload or rtp, got '%s'", value);
		s->output_rtp = strcmp(value, "rtp") == 0;
		return 0;
	case 4:
		if (mbmsd_config_path(cfg->path, value, s->stats, sizeof(s->stats)))
			return bad(err, "stats: bad path '%s'", value);
		return 0;
	case 5:
		if (mbmsd_parse_u64(value, 0, 65536, &s->hold_packets))
			return bad(err, "hold_packets: 0..65536, got '%s'", value);
		return 0;
	default:
		if (mbmsd_parse_u64(value, 1, 60000, &s->hold_ms))
			return bad(err, "hold_ms: 1..60000, got '%s'", value);
		return 0;
	}
}

int ued_stream_check(const struct ued_config *cfg, char *err, size_t err_cap)
{
	for (size_t i = 0; i < cfg->nstream; i++) {
		const struct ued_stream_cfg *s = &cfg->stream[i];
		bool known = false;
		for (size_t k = 0; k < cfg->nsvc; k++)
			known |= strcmp(cfg->svc[k].id, s->service) == 0;
		if (!(s->seen & S_SERVICE) || !known) {
			snprintf(err, err_cap, "%s: [stream \"%s\"] needs service = one of the configured "
					       "[service] IDs",
				 cfg->path, s->name);
			return -1;
		}
		if (!(s->seen & S_LISTEN)) {
			snprintf(err, err_cap, "%s: [stream \"%s\"] needs listen = IP:PORT", cfg->path,
				 s->name);
			return -1;
		}
	}
	return 0;
}

/* ---- the streams ---- */

struct ued_stream {
	const struct ued_stream_cfg *cfg;
	struct ued_srtp *owner;
	int fd;
	struct event *ev;
	struct mbms_traffic_rx *rx;
	struct mbmsd_srtp_rx *srtp;
	FILE *out;
	bool out_is_stdout;
	uint64_t written, bytes_out, write_errors;
	struct mbms_traffic_rx_counters logged; /* what the last log line covered */
	uint64_t keys_seen; /* the UE's MTK/MSK installs when held packets were last tried */
};

struct ued_srtp {
	struct ued_stream st[UED_MAX_STREAMS];
	size_t n;
	struct mbms_ue *ue;
	void (*pump)(void *);
	void *pump_arg;
	struct event *hold_timer, *stats_timer;
	bool srtp_ready, srtp_failed; /* libsrtp2 initialised / failed to (logged) */
};

union pbuf {
	uint32_t align; /* libsrtp reads 32-bit words */
	uint8_t b[MBMS_TRAFFIC_SRTP_MAX + 64];
};

static void write_out(struct ued_stream *s, const uint8_t *rtp, size_t len)
{
	if (!s->out)
		return;
	const uint8_t *p = rtp;
	size_t n = len;
	uint8_t rec[2];
	if (s->cfg->output_rtp) {
		mbms_put_be16(rec, (uint16_t)len);
		if (fwrite(rec, 1, 2, s->out) != 2)
			s->write_errors++;
	} else if (mbms_rtp_payload(rtp, len, &p, &n)) {
		s->write_errors++;
		return;
	}
	if (fwrite(p, 1, n, s->out) != n) {
		s->write_errors++;
		return;
	}
	s->written++;
	s->bytes_out += n;
}

/* libsrtp2 (and its NSS backend, ~1 MB resident) is initialised at the
 * first packet there is a key for, not at start-up: a UE whose streams
 * carry nothing yet does not pay for it. A failure is logged once and
 * every packet of every stream is refused (counted as failed). */
static bool srtp_ready(struct ued_srtp *o, const struct ued_stream *s)
{
	if (o->srtp_ready)
		return true;
	if (mbmsd_srtp_init()) {
		if (!o->srtp_failed)
			log_error("stream %s: libsrtp2 does not initialise: its packets cannot be "
				  "decrypted", s->cfg->name);
		o->srtp_failed = true;
		return false;
	}
	o->srtp_ready = true;
	log_debug("stream %s: first packet to decrypt: libsrtp2 %s initialised", s->cfg->name,
		  mbmsd_srtp_version());
	return true;
}

static void decrypt(struct ued_stream *s, uint8_t *buf, size_t len, struct mbms_traffic_key *key)
{
	int rc = srtp_ready(s->owner, s) ? mbmsd_srtp_rx_unprotect(s->srtp, key, buf, &len)
					 : MBMS_ECRYPTO;
	mbms_traffic_key_wipe(key);
	mbms_traffic_rx_outcome(s->rx, rc);
	if (rc == 0)
		write_out(s, buf, len);
	mbms_wipe(buf, len); /* plaintext media: not a key, but gone once written */
}

/* Changes whenever the UE installs an MTK or an MSK: only then can a held
 * packet's key have come (expiry is the hold timer's). */
static uint64_t keys_generation(const struct mbms_ue *ue)
{
	struct mbms_ue_counters c;
	mbms_ue_counters(ue, &c);
	return c.mtk_received + c.msk_installed + c.msk_evicted;
}

static void release_held(struct ued_stream *s)
{
	s->keys_seen = keys_generation(s->owner->ue);
	union pbuf p;
	size_t len;
	struct mbms_traffic_key key;
	while (mbms_traffic_rx_next(s->rx, s->owner->ue, ued_now_ms(), p.b, sizeof(p.b), &len,
				    &key) == 1)
		decrypt(s, p.b, len, &key);
}

static void arm_hold_timer(struct ued_srtp *o)
{
	uint64_t d = UINT64_MAX;
	for (size_t i = 0; i < o->n; i++) {
		uint64_t t = mbms_traffic_rx_deadline(o->st[i].rx);
		if (t < d)
			d = t;
	}
	if (d == UINT64_MAX) {
		evtimer_del(o->hold_timer);
		return;
	}
	uint64_t now = ued_now_ms(), ms = d > now ? d - now : 0;
	struct timeval tv = {(time_t)(ms / 1000), (suseconds_t)(ms % 1000) * 1000};
	evtimer_add(o->hold_timer, &tv);
}

static void on_packet(evutil_socket_t fd, short what, void *arg)
{
	struct ued_stream *s = arg;
	struct ued_srtp *o = s->owner;
	(void)what;
	bool held = false;
	for (int i = 0; i < 64; i++) {
		union pbuf p;
		ssize_t n = recv(fd, p.b, sizeof(p.b), 0);
		if (n < 0) {
			if (errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR)
				log_warn("stream %s: recv: %s", s->cfg->name, strerror(errno));
			break;
		}
		if (mbms_traffic_rx_held(s->rx) && keys_generation(o->ue) != s->keys_seen)
			release_held(s); /* earlier packets first: the order is kept */
		struct mbms_traffic_key key;
		int v = mbms_traffic_rx_input(s->rx, o->ue, p.b, (size_t)n, ued_now_ms(), &key);
		o->pump(o->pump_arg); /* a missed key update may have started */
		if (v == MBMS_TRAFFIC_DECRYPT)
			decrypt(s, p.b, (size_t)n, &key);
		held |= v == MBMS_TRAFFIC_HELD;
	}
	if (held)
		arm_hold_timer(o);
}

void ued_srtp_keys_changed(struct ued_srtp *o)
{
	if (!o)
		return;
	for (size_t i = 0; i < o->n; i++)
		if (mbms_traffic_rx_held(o->st[i].rx))
			release_held(&o->st[i]);
	arm_hold_timer(o);
}

static void on_hold_timer(evutil_socket_t fd, short what, void *arg)
{
	(void)fd;
	(void)what;
	ued_srtp_keys_changed(arg); /* releases what can go, drops what waited too long */
}

/* Counters as JSON, to the stats file (temporary file + rename). */
static void write_stats(struct ued_stream *s)
{
	if (!s->cfg->stats[0])
		return;
	struct mbms_traffic_rx_counters c;
	mbms_traffic_rx_counters(s->rx, &c);
	char tmp[UED_STREAM_PATH_MAX + 8];
	snprintf(tmp, sizeof(tmp), "%s.tmp", s->cfg->stats);
	FILE *f = fopen(tmp, "w");
	if (!f)
		return;
	fprintf(f,
		"{\"stream\":\"%s\",\"received\":%llu,\"decrypted\":%llu,\"written\":%llu,"
		"\"bytes_out\":%llu,\"held\":%llu,\"released\":%llu,\"hold_overflow\":%llu,"
		"\"hold_expired\":%llu,\"hold_dropped\":%llu,\"unknown_msk\":%llu,"
		"\"mtk_gone\":%llu,\"mtk_range\":%llu,\"not_ours\":%llu,\"malformed\":%llu,"
		"\"auth_failed\":%llu,\"replayed\":%llu,\"other_failed\":%llu,"
		"\"write_errors\":%llu,\"held_now\":%zu}\n",
		s->cfg->name, (unsigned long long)c.received, (unsigned long long)c.decrypted,
		(unsigned long long)s->written, (unsigned long long)s->bytes_out,
		(unsigned long long)c.held, (unsigned long long)c.released,
		(unsigned long long)c.hold_overflow, (unsigned long long)c.hold_expired,
		(unsigned long long)c.hold_dropped, (unsigned long long)c.unknown_msk,
		(unsigned long long)c.mtk_gone, (unsigned long long)c.mtk_range,
		(unsigned long long)c.not_ours, (unsigned long long)c.malformed,
		(unsigned long long)c.auth_failed, (unsigned long long)c.replayed,
		(unsigned long long)c.other_failed, (unsigned long long)s->write_errors,
		mbms_traffic_rx_held(s->rx));
	if (fclose(f) == 0)
		rename(tmp, s->cfg->stats);
}

/* One line when packets were refused since the last one: forgeries and
 * replays are warnings, the rest (keys not held, late) information. */
static void log_drops(struct ued_stream *s)
{
	struct mbms_traffic_rx_counters c, *l = &s->logged;
	mbms_traffic_rx_counters(s->rx, &c);
	uint64_t forged = (c.auth_failed - l->auth_failed) + (c.replayed - l->replayed) +
			  (c.malformed - l->malformed);
	uint64_t other = (c.unknown_msk - l->unknown_msk) + (c.mtk_gone - l->mtk_gone) +
			 (c.mtk_range - l->mtk_range) + (c.not_ours - l->not_ours) +
			 (c.hold_overflow - l->hold_overflow) + (c.hold_expired - l->hold_expired) +
			 (c.hold_dropped - l->hold_dropped) + (c.other_failed - l->other_failed);
	char detail[200];
	if (forged) {
		snprintf(detail, sizeof(detail), "bad MAC %llu, replay %llu, malformed %llu",
			 (unsigned long long)(c.auth_failed - l->auth_failed),
			 (unsigned long long)(c.replayed - l->replayed),
			 (unsigned long long)(c.malformed - l->malformed));
		log_warn("stream %s: refused %llu forged or replayed packet(s) (%s)", s->cfg->name,
			 (unsigned long long)forged, detail);
		ued_trace_srtp_dropped(s->cfg->name, true, forged, detail);
	}
	if (other) {
		snprintf(detail, sizeof(detail),
			 "MSK not held %llu, MTK gone %llu, MTK out of range %llu, not ours %llu, "
			 "hold full %llu, held too long %llu",
			 (unsigned long long)(c.unknown_msk - l->unknown_msk),
			 (unsigned long long)(c.mtk_gone - l->mtk_gone),
			 (unsigned long long)(c.mtk_range - l->mtk_range),
			 (unsigned long long)(c.not_ours - l->not_ours),
			 (unsigned long long)(c.hold_overflow - l->hold_overflow),
			 (unsigned long long)(c.hold_expired - l->hold_expired));
		log_info("stream %s: dropped %llu packet(s): %s", s->cfg->name,
			 (unsigned long long)other, detail);
		ued_trace_srtp_dropped(s->cfg->name, false, other, detail);
	}
	*l = c;
}

static void on_stats_timer(evutil_socket_t fd, short what, void *arg)
{
	struct ued_srtp *o = arg;
	(void)fd;
	(void)what;
	for (size_t i = 0; i < o->n; i++) {
		if (o->st[i].out)
			fflush(o->st[i].out);
		log_drops(&o->st[i]);
		write_stats(&o->st[i]);
	}
}

static int open_stream(struct ued_srtp *o, struct ued_stream *s, struct event_base *base,
		       char *err, size_t err_cap)
{
	const struct ued_stream_cfg *c = s->cfg;
	struct addrinfo hints, *ai = NULL;
	char ps[8];
	memset(&hints, 0, sizeof(hints));
	hints.ai_family = AF_UNSPEC;
	hints.ai_socktype = SOCK_DGRAM;
	hints.ai_flags = AI_PASSIVE | AI_NUMERICHOST | AI_NUMERICSERV;
	snprintf(ps, sizeof(ps), "%u", (unsigned)c->port);
	if (getaddrinfo(c->host, ps, &hints, &ai) != 0) {
		snprintf(err, err_cap, "stream %s: %s is not a numeric address", c->name, c->host);
		return -1;
	}
	s->fd = socket(ai->ai_family, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	int rcvbuf = 1 << 20; /* bursts while the loop makes an HTTP request */
	if (s->fd >= 0)
		setsockopt(s->fd, SOL_SOCKET, SO_RCVBUF, &rcvbuf, sizeof(rcvbuf));
	if (s->fd < 0 || bind(s->fd, ai->ai_addr, ai->ai_addrlen) != 0) {
		snprintf(err, err_cap, "stream %s: %s:%u: %s", c->name, c->host, (unsigned)c->port,
			 strerror(errno));
		freeaddrinfo(ai);
		return -1;
	}
	freeaddrinfo(ai);
	struct sockaddr_storage ss;
	socklen_t sl = sizeof(ss);
	uint16_t bound = c->port;
	if (getsockname(s->fd, (struct sockaddr *)&ss, &sl) == 0)
		bound = ntohs(ss.ss_family == AF_INET6 ? ((struct sockaddr_in6 *)&ss)->sin6_port
						       : ((struct sockaddr_in *)&ss)->sin_port);
	struct mbms_traffic_rx_config rc = {.service_id = c->service,
					    .tag_len = MBMS_TRAFFIC_TAG_LEN,
					    .hold_max = c->hold_packets,
					    .hold_ms = c->hold_ms};
	if (mbms_traffic_rx_new(&rc, &s->rx) || mbmsd_srtp_rx_new(&s->srtp)) {
		snprintf(err, err_cap, "stream %s: out of memory", c->name);
		return -1;
	}
	if (!c->output[0]) {
		s->out = stdout;
		s->out_is_stdout = true;
	} else if (!(s->out = fopen(c->output, "wb"))) {
		snprintf(err, err_cap, "stream %s: %s: %s", c->name, c->output, strerror(errno));
		return -1;
	}
	s->ev = event_new(base, s->fd, EV_READ | EV_PERSIST, on_packet, s);
	if (!s->ev || event_add(s->ev, NULL)) {
		snprintf(err, err_cap, "stream %s: libevent", c->name);
		return -1;
	}
	log_info("stream %s: SRTP of %s on %s:%u (AES_CM_128_HMAC_SHA1_80, MKI = MSK ID || MTK "
		 "ID), %s to %s, hold %llu packet(s) for %llu ms",
		 c->name, c->service, c->host, (unsigned)bound,
		 c->output_rtp ? "RTP packets" : "payloads", c->output[0] ? c->output : "stdout",
		 (unsigned long long)c->hold_packets, (unsigned long long)c->hold_ms);
	(void)o;
	return 0;
}

int ued_srtp_new(const struct ued_config *cfg, struct event_base *base, struct mbms_ue *ue,
		 void (*pump)(void *), void *pump_arg, struct ued_srtp **out, char *err,
		 size_t err_cap)
{
	*out = NULL;
	if (cfg->nstream == 0)
		return 0;
	struct ued_srtp *o = calloc(1, sizeof(*o));
	if (!o) {
		snprintf(err, err_cap, "out of memory");
		return -1;
	}
	o->ue = ue;
	o->pump = pump;
	o->pump_arg = pump_arg;
	for (size_t i = 0; i < cfg->nstream; i++) {
		struct ued_stream *s = &o->st[o->n++];
		s->cfg = &cfg->stream[i];
		s->owner = o;
		s->fd = -1;
		if (open_stream(o, s, base, err, err_cap)) {
			ued_srtp_free(o);
			return -1;
		}
	}
	o->hold_timer = evtimer_new(base, on_hold_timer, o);
	o->stats_timer = event_new(base, -1, EV_PERSIST, on_stats_timer, o);
	struct timeval tv = {0, STATS_MS * 1000};
	if (!o->hold_timer || !o->stats_timer || event_add(o->stats_timer, &tv)) {
		snprintf(err, err_cap, "libevent: stream timers");
		ued_srtp_free(o);
		return -1;
	}
	*out = o;
	return 0;
}

void ued_srtp_free(struct ued_srtp *o)
{
	if (!o)
		return;
	for (size_t i = 0; i < o->n; i++) {
		struct ued_stream *s = &o->st[i];
		if (s->rx) {
			log_drops(s);
			write_stats(s);
			struct mbms_traffic_rx_counters c;
			mbms_traffic_rx_counters(s->rx, &c);
			log_info("stream %s: %llu packet(s) received, %llu decrypted and written (%llu "
				 "bytes), %llu held and released, %llu refused",
				 s->cfg->name, (unsigned long long)c.received,
				 (unsigned long long)s->written, (unsigned long long)s->bytes_out,
				 (unsigned long long)c.released,
				 (unsigned long long)(c.received - c.decrypted -
						      mbms_traffic_rx_held(s->rx)));
		}
		if (s->ev)
			event_free(s->ev);
		if (s->fd >= 0)
			close(s->fd);
		if (s->out && !s->out_is_stdout)
			fclose(s->out);
		else if (s->out)
			fflush(s->out);
		mbms_traffic_rx_free(s->rx);
		mbmsd_srtp_rx_free(s->srtp);
	}
	if (o->hold_timer)
		event_free(o->hold_timer);
	if (o->stats_timer)
		event_free(o->stats_timer);
	free(o);
}
