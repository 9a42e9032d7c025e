/* bmscd: the SRTP streaming source (bmsc/stream.h, docs/traffic.md).
 *
 * One stream per configured session at a time. Everything about a stream
 * is read and written under d->lock: the admin threads start, stop and
 * report streams; the loop thread sends them from a 1 ms timer, one packet
 * per lock: ask the library for the packet's MTK (a new MTK comes with its
 * MTK messages queued, which bmscd_drain sends BEFORE this packet), protect
 * the RTP packet with libsrtp2 (common/srtp_glue.h), send it to every
 * destination. No protocol logic here: which MTK, when it changes and what
 * is announced is the library's (lib/bmsc_stream.c). */
#include "stream.h"

#include "config.h"
#include "srtp_glue.h"
#include "trace.h"

#include "mbmssec/crypto.h"
#include "mbmssec/error.h"
#include "mbmssec/traffic.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#define STREAM_FILE_MAX (64u * 1024 * 1024)
#define STREAM_RATE_MAX 100000
#define STREAM_BURST 1000 /* packets per timer run at most */

struct stream {
	bool running, used;
	size_t session;
	uint64_t count, sent, rate, mtk_every;
	uint64_t start_ms, end_ms;
	/* the source: a file of records, or the generator */
	char source[300];
	uint8_t *file;
	size_t file_len;
	const uint8_t *cur;
	size_t left;
	struct mbms_rtp_gen gen;
	/* where it goes */
	struct mbms_bmsc_addr *to;
	size_t nto;
	/* the MTK in use */
	struct mbmsd_srtp_tx *tx;
	bool keyed;
	uint32_t msk_id;
	uint16_t mtk_id;
	uint64_t mtk_changes, msk_changes;
	uint64_t key_errors, protect_errors, send_errors, bytes;
};

static struct {
	struct bmscd *d;
	struct event_base *base;
	struct event *timer;
	bool timer_on; /* loop thread only */
	int fd;
	struct stream *s; /* one per session */
	size_t n;
} S = {.fd = -1};

/* ---- configuration: srtp_send_to ---- */

struct to_ctx {
	struct bmscd_config *c;
	size_t idx;
	struct mbms_ini_error *err;
};

static int add_srtp_to(void *arg, const char *item)
{
	struct to_ctx *x = arg;
	size_t n = x->c->sess_nsrtp[x->idx];
	char why[160];
	if (n >= BMSCD_MAX_SEND_TO) {
		snprintf(x->err->msg, sizeof(x->err->msg), "srtp_send_to: at most %d destinations",
			 BMSCD_MAX_SEND_TO);
		return MBMS_EINVAL;
	}
	struct mbms_bmsc_addr *a = realloc(x->c->sess_srtp[x->idx], (n + 1) * sizeof(*a));
	if (!a) {
		snprintf(x->err->msg, sizeof(x->err->msg), "out of memory");
		return MBMS_ENOMEM;
	}
	x->c->sess_srtp[x->idx] = a;
	if (bmscd_resolve_hostport(item, &a[n], why, sizeof(why))) {
		snprintf(x->err->msg, sizeof(x->err->msg), "srtp_send_to: %.100s", why);
		return MBMS_EINVAL;
	}
	x->c->sess_nsrtp[x->idx] = n + 1;
	return 0;
}

int bmscd_stream_cfg_send_to(struct bmscd_config *c, size_t idx, const char *value,
			     struct mbms_ini_error *err)
{
	struct to_ctx x = {c, idx, err};
	int rc = bmscd_for_each_item(value, add_srtp_to, &x);
	if (rc == 1) {
		snprintf(err->msg, sizeof(err->msg), "srtp_send_to: an empty list");
		return MBMS_EINVAL;
	}
	return rc;
}

/* ---- sending ---- */

static int sockaddr_of(const struct mbms_bmsc_addr *a, struct sockaddr_storage *ss,
		       socklen_t *sl)
{
	memset(ss, 0, sizeof(*ss));
	if (a->family == 4) {
		struct sockaddr_in *s4 = (struct sockaddr_in *)ss;
		s4->sin_family = AF_INET;
		s4->sin_port = htons(a->port);
		memcpy(&s4->sin_addr, a->ip, 4);
		*sl = sizeof(*s4);
		return 0;
	}
	if (a->family == 6) {
		struct sockaddr_in6 *s6 = (struct sockaddr_in6 *)ss;
		s6->sin6_family = AF_INET6;
		s6->sin6_port = htons(a->port);
		memcpy(&s6->sin6_addr, a->ip, 16);
		*sl = sizeof(*s6);
		return 0;
	}
	return -1;
}

static void stream_release(struct stream *s)
{
	if (s->file) {
		mbms_wipe(s->file, s->file_len);
		free(s->file);
	}
	mbmsd_srtp_tx_free(s->tx);
	free(s->to);
	s->file = NULL;
	s->tx = NULL;
	s->to = NULL;
	s->running = false;
}

static const char *session_name(size_t i)
{
	return S.d->cfg.sess[i].name;
}

/* The trace (docs/trace.md). The sender traces UDP, so bmscd writes the SRTP
 * packets it sends: one event per destination each time the stream's MTK
 * changes (not one per packet), the start of a stream as an admin action and
 * its end. Key IDs only. */
static const char *trace_self(char *out, size_t cap)
{
	return mbmsd_trace_actor(out, cap, MBMSD_TRACE_BMSC, S.d->cfg.fqdn);
}

static void trace_key_change(const struct stream *s)
{
	if (!mbmsd_trace_on())
		return;
	char self[MBMSD_TRACE_ACTOR_MAX], ue[MBMSD_TRACE_ACTOR_MAX], addr[80], note[160];
	trace_self(self, sizeof(self));
	snprintf(note, sizeof(note), "stream %s, from packet %llu on", session_name(s->session),
		 (unsigned long long)s->sent);
	for (size_t i = 0; i < s->nto; i++) {
		if (mbms_bmsc_addr_format(&s->to[i], addr, sizeof(addr)))
			snprintf(addr, sizeof(addr), "?");
		mbmsd_trace(.from = self,
			    .to = mbmsd_trace_actor(ue, sizeof(ue), MBMSD_TRACE_UE, addr),
			    .proto = "SRTP", .msg = "SRTP packets", .result = "sent",
			    .key_domain = S.d->cfg.core.key_domain_id, MBMSD_TRACE_MSK(s->msk_id),
			    MBMSD_TRACE_MTK(s->mtk_id), .note = note);
	}
}

static void trace_stream(const struct stream *s, const char *what, const char *result)
{
	if (!mbmsd_trace_on())
		return;
	char self[MBMSD_TRACE_ACTOR_MAX], msg[160], note[160];
	trace_self(self, sizeof(self));
	snprintf(msg, sizeof(msg), "%s %s", what, session_name(s->session));
	if (s->sent)
		snprintf(note, sizeof(note), "%llu of %llu packet(s) sent, %llu MTK change(s)",
			 (unsigned long long)s->sent, (unsigned long long)s->count,
			 (unsigned long long)s->mtk_changes);
	else
		snprintf(note, sizeof(note), "%llu packet(s) at %llu/s to %zu destination(s)",
			 (unsigned long long)s->count, (unsigned long long)s->rate, s->nto);
	mbmsd_trace(.from = self, .to = self, .proto = "admin", .msg = msg, .result = result,
		    .note = note);
}

static void stream_finish(struct stream *s, const char *why)
{
	s->end_ms = bmscd_now_ms();
	trace_stream(s, "end of stream", why);
	log_info("stream %s: %s: %llu of %llu packet(s) sent, %llu MTK change(s), %llu MSK "
		 "change(s), errors: %llu key, %llu protect, %llu send",
		 session_name(s->session), why, (unsigned long long)s->sent,
		 (unsigned long long)s->count, (unsigned long long)s->mtk_changes,
		 (unsigned long long)s->msk_changes, (unsigned long long)s->key_errors,
		 (unsigned long long)s->protect_errors, (unsigned long long)s->send_errors);
	stream_release(s);
}

/* The next RTP packet of the source into buf. */
static int next_rtp(struct stream *s, uint8_t *buf, size_t cap, size_t *len)
{
	if (!s->file)
		return mbms_rtp_generate(&s->gen, (uint32_t)s->sent, buf, cap, len);
	const uint8_t *pkt;
	size_t n;
	int rc = mbms_rtpfile_next(&s->cur, &s->left, &pkt, &n);
	if (rc != 1)
		return rc ? rc : MBMS_ETRUNCATED;
	memcpy(buf, pkt, n);
	*len = n;
	return 0;
}

/* One packet of stream s, under d->lock. -1 when the stream cannot go on
 * now (no key: try again at the next run). */
static int send_one(struct stream *s, uint64_t now)
{
	struct bmscd *d = S.d;
	struct mbms_traffic_key key;
	bool changed = false;
	int rc = mbms_bmsc_stream_key(d->core, s->session, s->mtk_every, now, &key, &changed);
	if (mbms_bmsc_action_count(d->core))
		bmscd_drain(d); /* the MTK messages of a new MTK go first */
	if (rc) {
		if (s->key_errors++ == 0)
			log_warn("stream %s: no MTK to protect with: %s", session_name(s->session),
				 mbms_strerror(rc));
		return -1;
	}
	if (changed) {
		rc = mbmsd_srtp_tx_set_key(s->tx, &key);
		uint32_t msk_id = key.msk_id;
		uint16_t mtk_id = key.mtk_id;
		mbms_traffic_key_wipe(&key);
		if (rc) {
			s->key_errors++;
			log_error("stream %s: libsrtp refused the MTK: %s", session_name(s->session),
				  mbms_strerror(rc));
			stream_finish(s, "stopped"); /* never a packet under a stale key */
			return -1;
		}
		if (s->keyed) {
			s->mtk_changes++;
			s->msk_changes += msk_id != s->msk_id;
		}
		s->keyed = true;
		s->msk_id = msk_id;
		s->mtk_id = mtk_id;
		log_info("stream %s: from packet %llu on: MTK %u under MSK %08x",
			 session_name(s->session), (unsigned long long)s->sent, mtk_id,
			 (unsigned)msk_id);
		trace_key_change(s);
		bmscd_wake(d); /* the sessions' MTK message schedule changed */
	}
	union {
		uint32_t align; /* libsrtp reads 32-bit words */
		uint8_t b[MBMS_TRAFFIC_SRTP_MAX + 64];
	} p;
	size_t len = 0;
	rc = next_rtp(s, p.b, sizeof(p.b), &len);
	if (rc == 0)
		rc = mbmsd_srtp_tx_protect(s->tx, p.b, &len, sizeof(p.b));
	if (rc) {
		s->protect_errors++;
		s->sent++; /* the packet is skipped, not retried */
		return 0;
	}
	for (size_t i = 0; i < s->nto; i++) {
		struct sockaddr_storage ss;
		socklen_t sl;
		if (sockaddr_of(&s->to[i], &ss, &sl) ||
		    sendto(S.fd, p.b, len, 0, (struct sockaddr *)&ss, sl) != (ssize_t)len)
			s->send_errors++;
		else
			s->bytes += len;
	}
	s->sent++;
	return 0;
}

static void on_timer(evutil_socket_t fd, short what, void *arg)
{
	(void)fd;
	(void)what;
	(void)arg;
	bool any = false;
	for (size_t i = 0; i < S.n; i++) {
		pthread_mutex_lock(&S.d->lock);
		struct stream *s = &S.s[i];
		uint64_t now = bmscd_now_ms();
		for (unsigned burst = 0; s->running && burst < STREAM_BURST; burst++) {
			uint64_t due = now > s->start_ms ? (now - s->start_ms) * s->rate / 1000 + 1 : 1;
			if (s->sent >= s->count) {
				stream_finish(s, "done");
				break;
			}
			if (s->sent >= due || send_one(s, now) != 0)
				break;
		}
		any |= s->running;
		pthread_mutex_unlock(&S.d->lock);
	}
	S.timer_on = any;
	if (any) {
		struct timeval tv = {0, 1000};
		evtimer_add(S.timer, &tv);
	}
}

void bmscd_stream_kick(void)
{
	if (!S.timer || S.timer_on)
		return;
	bool any = false;
	pthread_mutex_lock(&S.d->lock);
	for (size_t i = 0; i < S.n; i++)
		any |= S.s[i].running;
	pthread_mutex_unlock(&S.d->lock);
	if (any) {
		S.timer_on = true;
		struct timeval tv = {0, 0};
		evtimer_add(S.timer, &tv);
	}
}

int bmscd_stream_init(struct bmscd *d, struct event_base *base, char *err, size_t cap)
{
	S.d = d;
	S.base = base;
	S.n = d->cfg.nsess;
	if (mbmsd_srtp_init()) {
		snprintf(err, cap, "libsrtp2 does not initialise");
		return -1;
	}
	S.s = calloc(S.n ? S.n : 1, sizeof(*S.s));
	S.timer = evtimer_new(base, on_timer, NULL);
	if (!S.s || !S.timer) {
		snprintf(err, cap, "out of memory");
		return -1;
	}
	/* SRTP leaves from the MIKEY socket's address, any port */
	struct mbms_bmsc_addr a;
	struct sockaddr_storage ss;
	socklen_t sl;
	if (mbms_bmsc_addr_from_ip(d->cfg.mikey_host, 0, &a) || sockaddr_of(&a, &ss, &sl)) {
		snprintf(err, cap, "SRTP socket: '%s' is not an IP address", d->cfg.mikey_host);
		return -1;
	}
	S.fd = socket(ss.ss_family, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (S.fd < 0 || bind(S.fd, (struct sockaddr *)&ss, sl) != 0) {
		snprintf(err, cap, "SRTP socket %s: %s", d->cfg.mikey_host, strerror(errno));
		return -1;
	}
	int sndbuf = 1 << 20;
	setsockopt(S.fd, SOL_SOCKET, SO_SNDBUF, &sndbuf, sizeof(sndbuf));
	return 0;
}

void bmscd_stream_shutdown(void)
{
	if (S.d) {
		pthread_mutex_lock(&S.d->lock);
		for (size_t i = 0; i < S.n; i++)
			if (S.s[i].running)
				stream_finish(&S.s[i], "stopped at shut-down");
		pthread_mutex_unlock(&S.d->lock);
	}
	if (S.timer)
		event_free(S.timer);
	if (S.fd >= 0)
		close(S.fd);
	free(S.s);
	S.timer = NULL;
	S.fd = -1;
	S.s = NULL;
	S.n = 0;
}

/* ---- admin ---- */

static void answer(struct mbmsd_http_response *resp, unsigned status, const char *json)
{
	if (status != 200)
		mbmsd_http_status(resp, status, json);
	else if (mbmsd_http_set_body(resp, 200, "application/json", json, strlen(json)))
		mbmsd_http_status(resp, 500, "out of memory");
}

static bool query_u64(const struct mbmsd_http_request *req, const char *name, uint64_t min,
		      uint64_t max, uint64_t dflt, uint64_t *out)
{
	const char *v = mbmsd_http_query(req, name);
	if (!v || !*v) {
		*out = dflt;
		return true;
	}
	return mbmsd_parse_u64(v, min, max, out) == 0;
}

/* Read and check a whole file of records; *packets counts them. */
static int load_file(const char *path, uint8_t **out, size_t *len, uint64_t *packets, char *why,
		     size_t cap)
{
	char *buf;
	if (mbmsd_file_read(path, STREAM_FILE_MAX, &buf, len, why, cap))
		return -1;
	const uint8_t *cur = (const uint8_t *)buf, *pkt;
	size_t left = *len, n;
	int rc;
	*packets = 0;
	while ((rc = mbms_rtpfile_next(&cur, &left, &pkt, &n)) == 1)
		(*packets)++;
	if (rc) {
		snprintf(why, cap, "%s: record %llu at offset %zu: %s", path,
			 (unsigned long long)*packets + 1, *len - left, mbms_strerror(rc));
		mbmsd_file_free(buf, *len);
		return -1;
	}
	*out = (uint8_t *)buf; /* NUL-terminated malloc'd copy: freed by free() after a wipe */
	return 0;
}

static void start_stream(struct bmscd *d, const struct mbmsd_http_request *req,
			 struct mbmsd_http_response *resp)
{
	const char *name = mbmsd_http_query(req, "session");
	const char *file = mbmsd_http_query(req, "file");
	uint64_t count, rate, mtk_every, size;
	char why[512] = "", out[700];
	if (!name || !*name) {
		answer(resp, 400, "?session=NAME is required");
		return;
	}
	if (!query_u64(req, "count", 1, UINT32_MAX, 0, &count) ||
	    !query_u64(req, "rate", 1, STREAM_RATE_MAX, 50, &rate) ||
	    !query_u64(req, "mtk_every", 0, UINT32_MAX, 0, &mtk_every) ||
	    !query_u64(req, "size", 4, MBMS_TRAFFIC_RTP_MAX - MBMS_RTP_HEADER_MIN, 160, &size)) {
		answer(resp, 400, "count 1..2^32-1, rate 1..100000 packets/s, mtk_every >= 0, "
				  "size 4..1388");
		return;
	}
	uint8_t *data = NULL;
	size_t data_len = 0;
	uint64_t packets = 0;
	if (file && *file) {
		if (load_file(file, &data, &data_len, &packets, why, sizeof(why))) {
			answer(resp, 400, why);
			return;
		}
		if (count == 0)
			count = packets;
		if (count > packets || packets == 0) {
			mbms_wipe(data, data_len);
			free(data);
			snprintf(why, sizeof(why), "%s holds %llu packet(s), fewer than count", file,
				 (unsigned long long)packets);
			answer(resp, 400, why);
			return;
		}
	} else if (count == 0) {
		count = 1000;
	}
	uint8_t rnd[10];
	mbms_random(rnd, sizeof(rnd));
	struct mbmsd_srtp_tx *tx = NULL;
	int rc = mbmsd_srtp_tx_new(&tx);
	pthread_mutex_lock(&d->lock);
	size_t idx;
	unsigned status = 200;
	if (rc)
		status = 500, snprintf(why, sizeof(why), "libsrtp: %s", mbms_strerror(rc));
	else if (mbms_bmsc_session_index(d->core, name, &idx) || idx >= S.n)
		status = 404, snprintf(why, sizeof(why), "no such session");
	else if (S.s[idx].running)
		status = 409, snprintf(why, sizeof(why), "a stream of this session is running");
	if (status == 200) {
		struct stream *s = &S.s[idx];
		stream_release(s);
		memset(s, 0, sizeof(*s));
		s->used = true;
		s->session = idx;
		s->count = count;
		s->rate = rate;
		s->mtk_every = mtk_every;
		s->tx = tx;
		tx = NULL;
		if (data) {
			s->file = data;
			s->file_len = data_len;
			s->cur = data;
			s->left = data_len;
			data = NULL;
			snprintf(s->source, sizeof(s->source), "file %.280s", file);
		} else {
			s->gen = (struct mbms_rtp_gen){.ssrc = mbms_get_be32(rnd),
						       .seq0 = mbms_get_be16(rnd + 4),
						       .ts0 = mbms_get_be32(rnd + 6),
						       .ts_step = 160,
						       .payload_type = 96,
						       .payload_len = size};
			snprintf(s->source, sizeof(s->source), "generated, %llu-byte payloads",
				 (unsigned long long)size);
		}
		/* srtp_send_to, else the announced destination */
		size_t n = d->cfg.sess_nsrtp ? d->cfg.sess_nsrtp[idx] : 0;
		s->to = calloc(n ? n : 1, sizeof(*s->to));
		if (s->to && n) {
			memcpy(s->to, d->cfg.sess_srtp[idx], n * sizeof(*s->to));
			s->nto = n;
		} else if (s->to) {
			const struct mbms_hostport *hp = &d->cfg.sess[idx].destination;
			char text[300];
			snprintf(text, sizeof(text), "%s%s%s:%u", strchr(hp->host, ':') ? "[" : "",
				 hp->host, strchr(hp->host, ':') ? "]" : "", hp->port);
			if (bmscd_resolve_hostport(text, &s->to[0], why, sizeof(why)) == 0)
				s->nto = 1;
		}
		if (!s->nto) {
			stream_release(s);
			status = 500;
			if (!why[0])
				snprintf(why, sizeof(why), "no destination");
		} else {
			s->start_ms = bmscd_now_ms();
			s->running = true;
			snprintf(out, sizeof(out),
				 "{\"stream\":\"%s\",\"count\":%llu,\"rate\":%llu,\"mtk_every\":%llu,"
				 "\"destinations\":%zu,\"source\":\"%s\"}\n",
				 name, (unsigned long long)count, (unsigned long long)rate,
				 (unsigned long long)mtk_every, s->nto,
				 data_len ? "file" : "generated");
			log_info("stream %s: %llu packet(s) at %llu/s to %zu destination(s), %s, MTK "
				 "change every %llu packet(s)",
				 name, (unsigned long long)count, (unsigned long long)rate, s->nto,
				 s->source, (unsigned long long)mtk_every);
			trace_stream(s, "stream", "ok");
		}
	}
	pthread_mutex_unlock(&d->lock);
	mbmsd_srtp_tx_free(tx);
	if (data) {
		mbms_wipe(data, data_len);
		free(data);
	}
	bmscd_wake(d);
	answer(resp, status, status == 200 ? out : why);
}

static void stop_stream(struct bmscd *d, const struct mbmsd_http_request *req,
			struct mbmsd_http_response *resp)
{
	const char *name = mbmsd_http_query(req, "session");
	size_t idx;
	unsigned status = 200;
	pthread_mutex_lock(&d->lock);
	if (!name || mbms_bmsc_session_index(d->core, name, &idx) || idx >= S.n)
		status = 404;
	else if (S.s[idx].running)
		stream_finish(&S.s[idx], "stopped by the admin");
	pthread_mutex_unlock(&d->lock);
	answer(resp, status, status == 200 ? "{\"stopped\":true}\n" : "no such session");
}

static void stream_status(struct bmscd *d, struct mbmsd_http_response *resp)
{
	size_t cap = 512 + S.n * 700, len = 0;
	char *buf = malloc(cap);
	if (!buf) {
		mbmsd_http_status(resp, 500, "out of memory");
		return;
	}
	len += (size_t)snprintf(buf + len, cap - len, "{\"streams\":[");
	pthread_mutex_lock(&d->lock);
	for (size_t i = 0; i < S.n; i++) {
		const struct stream *s = &S.s[i];
		len += (size_t)snprintf(
			buf + len, cap - len,
			"%s{\"session\":\"%.200s\",\"running\":%s,\"count\":%llu,\"sent\":%llu,"
			"\"rate\":%llu,\"mtk_every\":%llu,\"msk_id\":\"%08x\",\"mtk_id\":%u,"
			"\"mtk_changes\":%llu,\"msk_changes\":%llu,\"destinations\":%zu,"
			"\"bytes\":%llu,\"errors\":{\"key\":%llu,\"protect\":%llu,\"send\":%llu}}",
			i ? "," : "", session_name(i), s->running ? "true" : "false",
			(unsigned long long)s->count, (unsigned long long)s->sent,
			(unsigned long long)s->rate, (unsigned long long)s->mtk_every,
			(unsigned)s->msk_id, s->mtk_id, (unsigned long long)s->mtk_changes,
			(unsigned long long)s->msk_changes, s->nto, (unsigned long long)s->bytes,
			(unsigned long long)s->key_errors, (unsigned long long)s->protect_errors,
			(unsigned long long)s->send_errors);
	}
	pthread_mutex_unlock(&d->lock);
	len += (size_t)snprintf(buf + len, cap - len, "]}\n");
	if (mbmsd_http_set_body(resp, 200, "application/json", buf, len))
		mbmsd_http_status(resp, 500, "out of memory");
	free(buf);
}

static void mtk_change(struct bmscd *d, const struct mbmsd_http_request *req,
		       struct mbmsd_http_response *resp)
{
	const char *arg = mbmsd_http_query(req, "key_group");
	uint64_t kg;
	if (!arg || mbmsd_parse_u64(arg, 0, 65535, &kg)) {
		answer(resp, 400, "?key_group=N (0..65535) is required");
		return;
	}
	uint16_t id = 0;
	pthread_mutex_lock(&d->lock);
	int rc = mbms_bmsc_mtk_change(d->core, (uint16_t)kg, bmscd_now_ms(), &id);
	bmscd_drain(d);
	pthread_mutex_unlock(&d->lock);
	bmscd_wake(d);
	char out[128];
	snprintf(out, sizeof(out), "{\"mtk\":%llu,\"mtk_id\":%u}\n", (unsigned long long)kg, id);
	log_info("admin mtk key group %llu from %s: %s", (unsigned long long)kg, req->peer,
		 rc ? mbms_strerror(rc) : "new MTK");
	if (rc == 0)
		answer(resp, 200, out);
	else if (rc == MBMS_ENOTFOUND)
		answer(resp, 404, "no such key group, or no session uses it");
	else
		answer(resp, 409, mbms_strerror(rc));
}

bool bmscd_stream_admin(struct bmscd *d, const struct mbmsd_http_request *req,
			struct mbmsd_http_response *resp)
{
	bool get = strcmp(req->method, "GET") == 0, post = strcmp(req->method, "POST") == 0;
	const struct {
		const char *url;
		bool post;
	} routes[] = {{"/stream", true}, {"/stream/stop", true}, {"/streams", false}, {"/mtk", true}};
	for (size_t i = 0; i < sizeof(routes) / sizeof(routes[0]); i++) {
		if (strcmp(req->url, routes[i].url) != 0)
			continue;
		if (routes[i].post ? !post : !get) {
			mbmsd_http_status(resp, 405, routes[i].post ? "use POST" : "use GET");
			mbmsd_http_add_header(resp, "Allow", routes[i].post ? "POST" : "GET");
			return true;
		}
		if (!S.s) {
			mbmsd_http_status(resp, 503, "streaming is not set up");
			return true;
		}
		switch (i) {
		case 0: start_stream(d, req, resp); break;
		case 1: stop_stream(d, req, resp); break;
		case 2: stream_status(d, resp); break;
		default: mtk_change(d, req, resp); break;
		}
		return true;
	}
	return false;
}
