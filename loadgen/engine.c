/* The loadgen engine: one epoll loop over the HTTP client connections and
 * the UDP sockets of the simulated UEs (lg.h describes the addressing).
 *
 * HTTP: a small HTTP/1.1 client, one request at a time per keep-alive
 * connection, edge-triggered non-blocking sockets; a response ends by
 * Content-Length (what libmicrohttpd sends for our servers), or by the
 * connection closing. A driver (ub.c, km.c, plain.c) makes the requests and
 * takes the responses.
 *
 * UDP: S sockets bound to 0.0.0.0:port (and to the loopback device where
 * allowed), IP_PKTINFO on: recvmmsg in batches, the destination address of
 * each datagram names the UE, the message is verified with that UE's MUK
 * (mbms_msg_verify, then the MUK ID and the TS counter, PROFILE.md 10.7 and
 * 5.5), and the verification message (mbms_verification_build) goes back to
 * the sender from the UE's own address (IP_PKTINFO), in sendmmsg batches. */
#define _GNU_SOURCE /* recvmmsg, sendmmsg, struct in_pktinfo */
#include "lg.h"

#include "mbmssec/crypto.h"
#include "mbmssec/error.h"
#include "mbmssec/mbms_msg.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>

#define UDP_BATCH 64
#define UDP_MAX_BATCHES 16 /* per readiness, then the loop looks at the rest */
#define UDP_BUF 2048
#define UDP_RCVBUF (8 * 1024 * 1024)
#define HTTP_WBUF 4096
#define HTTP_RBUF (80 * 1024) /* 64 KiB body + headers */
#define EV_UDP 1ULL
#define EV_CONN 2ULL

enum conn_state {
	CONN_CLOSED = 0,
	CONN_CONNECTING,
	CONN_OPEN,
};

struct lg_conn {
	struct lg *L;
	unsigned idx;
	unsigned group;
	bool bind_ip;
	uint32_t src_ip;
	int fd;
	enum conn_state st;
	bool busy;         /* a request is outstanding */
	bool writable;
	double not_before; /* reconnect back-off after a failure */
	uint64_t tag;
	double t_sent;
	char wbuf[HTTP_WBUF];
	size_t wlen, woff;
	char *rbuf;
	size_t rlen;
	size_t hdr_end;    /* 0: headers not complete */
	long content_len;  /* -1: until close */
	bool close_after;
	int status;
	const char *www, *ainfo, *ctype;
};

struct udp_sock {
	int fd;
	uint16_t port;
	uint32_t kernel_drops;
	/* acks waiting for sendmmsg */
	unsigned nack;
	struct mmsghdr ack_msg[UDP_BATCH];
	struct iovec ack_iov[UDP_BATCH];
	struct sockaddr_in ack_to[UDP_BATCH];
	union {
		char buf[CMSG_SPACE(sizeof(struct in_pktinfo))];
		struct cmsghdr align;
	} ack_cmsg[UDP_BATCH];
	uint8_t ack_data[UDP_BATCH][128];
};

/* A UE's MUK prepared for the MIKEY PRF (kdf.h keyctx), made at its first
 * message and again whenever the MUK differs from the one it was made from
 * (a new bootstrap): the MSK message's verification and the ack's MAC then
 * skip preparing the MUK, as a real UE keeping its MUK would. */
struct ue_keyctx {
	uint8_t muk[32];
	struct mbms_mikey_keyctx kc;
};

struct lg {
	const struct lg_opts *o;
	struct lg_report *r;
	int ep;
	struct lg_ue *ues;
	struct ue_keyctx *kc; /* per UE, with the UDP sockets */
	/* UDP */
	struct udp_sock *socks;
	unsigned nsock;
	struct lg_push_sink sink;
	/* receive scratch */
	struct mmsghdr rx_msg[UDP_BATCH];
	struct iovec rx_iov[UDP_BATCH];
	struct sockaddr_in rx_from[UDP_BATCH];
	union {
		char buf[CMSG_SPACE(sizeof(struct in_pktinfo)) + CMSG_SPACE(sizeof(uint32_t))];
		struct cmsghdr align;
	} rx_cmsg[UDP_BATCH];
	uint8_t (*rx_buf)[UDP_BUF];
	/* HTTP */
	struct lg_conn *conns;
	unsigned nconns;
	struct lg_target tgt;
	struct lg_driver drv;
	unsigned busy;
	size_t idfn_len;   /* strlen(o->fqdn) */
	char btid_host[MBMS_GBA_HOST_MAX + 2]; /* "@" bsf_host */
	size_t btid_host_len;
};

struct lg_report *lg_rep(struct lg *L) { return L->r; }
const struct lg_opts *lg_opts_of(struct lg *L) { return L->o; }
struct lg_ue *lg_ues(struct lg *L) { return L->ues; }

struct lg *lg_new(const struct lg_opts *o, struct lg_report *r, char *err, size_t cap)
{
	struct lg *L = calloc(1, sizeof(*L));
	if (!L) {
		snprintf(err, cap, "out of memory");
		return NULL;
	}
	L->o = o;
	L->r = r;
	L->ep = epoll_create1(EPOLL_CLOEXEC);
	L->rx_buf = malloc(UDP_BATCH * sizeof(*L->rx_buf));
	if (o->n)
		L->ues = calloc(o->n, sizeof(*L->ues));
	if (L->ep < 0 || !L->rx_buf || (o->n && !L->ues)) {
		snprintf(err, cap, "out of memory (%llu UEs)", (unsigned long long)o->n);
		lg_free(L);
		return NULL;
	}
	L->idfn_len = strlen(o->fqdn);
	L->btid_host_len = (size_t)snprintf(L->btid_host, sizeof(L->btid_host), "@%s", o->bsf_host);
	return L;
}

void lg_free(struct lg *L)
{
	if (!L)
		return;
	lg_http_stop(L);
	for (unsigned i = 0; i < L->nsock; i++)
		if (L->socks[i].fd >= 0)
			close(L->socks[i].fd);
	free(L->socks);
	if (L->ep >= 0)
		close(L->ep);
	if (L->ues) {
		mbms_wipe(L->ues, L->o->n * sizeof(*L->ues));
		free(L->ues);
	}
	if (L->kc) {
		mbms_wipe(L->kc, L->o->n * sizeof(*L->kc));
		free(L->kc);
	}
	free(L->rx_buf);
	free(L);
}

/* ---- UDP ---- */

static int udp_socket(uint16_t port, uint16_t *bound, char *err, size_t cap)
{
	int fd = socket(AF_INET, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0) {
		snprintf(err, cap, "socket: %s", strerror(errno));
		return -1;
	}
	int one = 1, size = UDP_RCVBUF;
	/* only loopback traffic reaches it (where the kernel allows the
	 * option; otherwise non-loopback senders are dropped on receipt) */
	(void)setsockopt(fd, SOL_SOCKET, SO_BINDTODEVICE, "lo", 3);
	if (setsockopt(fd, SOL_SOCKET, SO_RCVBUFFORCE, &size, sizeof(size)) != 0)
		(void)setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &size, sizeof(size));
	(void)setsockopt(fd, SOL_SOCKET, SO_RXQ_OVFL, &one, sizeof(one));
	if (setsockopt(fd, IPPROTO_IP, IP_PKTINFO, &one, sizeof(one)) != 0) {
		snprintf(err, cap, "IP_PKTINFO: %s", strerror(errno));
		close(fd);
		return -1;
	}
	struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons(port)};
	a.sin_addr.s_addr = htonl(INADDR_ANY);
	socklen_t sl = sizeof(a);
	if (bind(fd, (struct sockaddr *)&a, sizeof(a)) != 0 ||
	    getsockname(fd, (struct sockaddr *)&a, &sl) != 0) {
		snprintf(err, cap, "UDP port %u: %s", port, strerror(errno));
		close(fd);
		return -1;
	}
	*bound = ntohs(a.sin_port);
	return fd;
}

int lg_udp_open(struct lg *L, char *err, size_t cap)
{
	const struct lg_opts *o = L->o;
	L->socks = calloc(o->udp_socks, sizeof(*L->socks));
	if (o->n && !L->kc)
		L->kc = calloc(o->n, sizeof(*L->kc));
	if (!L->socks || (o->n && !L->kc)) {
		snprintf(err, cap, "out of memory");
		return -1;
	}
	for (unsigned i = 0; i < o->udp_socks; i++)
		L->socks[i].fd = -1;
	L->nsock = o->udp_socks;
	for (unsigned i = 0; i < o->udp_socks; i++) {
		struct udp_sock *s = &L->socks[i];
		s->fd = udp_socket(o->udp_base ? (uint16_t)(o->udp_base + i) : 0, &s->port, err, cap);
		if (s->fd < 0)
			return -1;
		struct epoll_event ev = {.events = EPOLLIN, .data.u64 = (EV_UDP << 32) | i};
		if (epoll_ctl(L->ep, EPOLL_CTL_ADD, s->fd, &ev) != 0) {
			snprintf(err, cap, "epoll: %s", strerror(errno));
			return -1;
		}
	}
	for (unsigned k = 0; k < UDP_BATCH; k++) {
		L->rx_iov[k].iov_base = L->rx_buf[k];
		L->rx_iov[k].iov_len = UDP_BUF;
	}
	return 0;
}

uint16_t lg_udp_port(struct lg *L, unsigned sock) { return L->socks[sock].port; }

void lg_set_push_sink(struct lg *L, const struct lg_push_sink *s) { L->sink = *s; }

static void udp_flush_sock(struct lg *L, struct udp_sock *s)
{
	unsigned off = 0;
	while (off < s->nack) {
		int n = sendmmsg(s->fd, s->ack_msg + off, s->nack - off, 0);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			if (errno == EAGAIN || errno == ENOBUFS) {
				/* the loopback queue is full: wait until writable */
				struct pollfd p = {.fd = s->fd, .events = POLLOUT};
				(void)poll(&p, 1, 10);
				continue;
			}
			L->r->st.udp_tx_errors += s->nack - off;
			break;
		}
		L->r->st.udp_tx += (unsigned)n;
		L->r->st.acks_sent += (unsigned)n;
		off += (unsigned)n;
	}
	s->nack = 0;
}

void lg_udp_flush(struct lg *L)
{
	for (unsigned i = 0; i < L->nsock; i++)
		if (L->socks[i].nack)
			udp_flush_sock(L, &L->socks[i]);
}

/* Queue the verification message for UE ip (host order) to `to`. */
static void queue_ack(struct lg *L, struct udp_sock *s, uint32_t ue_ip,
		      const struct sockaddr_in *to, const uint8_t *ack, size_t len)
{
	if (s->nack == UDP_BATCH)
		udp_flush_sock(L, s);
	unsigned k = s->nack++;
	memcpy(s->ack_data[k], ack, len);
	s->ack_iov[k].iov_base = s->ack_data[k];
	s->ack_iov[k].iov_len = len;
	s->ack_to[k] = *to;
	struct msghdr *m = &s->ack_msg[k].msg_hdr;
	memset(m, 0, sizeof(*m));
	m->msg_name = &s->ack_to[k];
	m->msg_namelen = sizeof(s->ack_to[k]);
	m->msg_iov = &s->ack_iov[k];
	m->msg_iovlen = 1;
	m->msg_control = s->ack_cmsg[k].buf;
	m->msg_controllen = sizeof(s->ack_cmsg[k].buf);
	struct cmsghdr *c = CMSG_FIRSTHDR(m);
	c->cmsg_level = IPPROTO_IP;
	c->cmsg_type = IP_PKTINFO;
	c->cmsg_len = CMSG_LEN(sizeof(struct in_pktinfo));
	struct in_pktinfo pi;
	memset(&pi, 0, sizeof(pi));
	pi.ipi_spec_dst.s_addr = htonl(ue_ip); /* the ack leaves from the UE's address */
	memcpy(CMSG_DATA(c), &pi, sizeof(pi));
}

/* One datagram for the UE at (dst IP, socket si): verify and maybe ack. */
static void udp_one(struct lg *L, unsigned si, const uint8_t *msg, size_t len,
		    const struct sockaddr_in *from, uint32_t dst_ip)
{
	const struct lg_opts *o = L->o;
	struct lg_stats *st = &L->r->st;
	st->udp_rx++;
	if ((ntohl(from->sin_addr.s_addr) >> 24) != 127) {
		st->push_bad++; /* not from loopback: not ours */
		return;
	}
	uint64_t g = (uint64_t)(uint32_t)(dst_ip - o->ip_base);
	uint64_t i = g * o->udp_socks + si;
	if (dst_ip < o->ip_base || i >= o->n) {
		st->push_unknown_ue++;
		return;
	}
	struct lg_ue *u = &L->ues[i];
	struct ue_keyctx *k = &L->kc[i];
	struct mbms_msg_info info;
	int rc = 0;
	if (k->kc.npieces == 0 || !mbms_ct_equal(k->muk, u->muk, sizeof(k->muk))) {
		memcpy(k->muk, u->muk, sizeof(k->muk));
		rc = mbms_mikey_keyctx_init(&k->kc, u->muk, sizeof(u->muk));
	}
	if (rc == 0)
		rc = mbms_msg_verify_keyed(msg, len, MBMS_MSG_F_MUK, &k->kc, NULL, &info);
	else
		memset(&info, 0, sizeof(info));
	/* PROFILE.md 10.7: IDi is the BM-SC FQDN, IDr the UE's B-TID */
	if (rc == 0 && (info.idi_len != L->idfn_len || memcmp(info.idi, o->fqdn, L->idfn_len) ||
			info.idr_len != LG_RAND_B64 + L->btid_host_len ||
			memcmp(info.idr, u->btid_rand, LG_RAND_B64) ||
			memcmp(info.idr + LG_RAND_B64, L->btid_host, L->btid_host_len)))
		rc = MBMS_EMUKID;
	if (rc == 0 && memcmp(info.key_domain_id, o->key_domain, 3) != 0)
		rc = MBMS_EKEYID;
	/* the per-MUK TS counter must grow (10.10: any value before the first) */
	if (rc == 0 && u->have_ts && info.ts_counter <= u->ts_last)
		rc = MBMS_EREPLAY;
	if (rc) {
		if (rc == MBMS_EREPLAY)
			st->push_dup++;
		else
			st->push_bad++;
		mbms_msg_info_wipe(&info);
		return;
	}
	u->have_ts = true;
	u->ts_last = info.ts_counter;
	bool trigger = info.kind == MBMS_MSG_TRIGGER;
	if (!trigger)
		u->msk_last = info.msk_id;
	st->push_ok++;
	bool ack = info.v_flag;
	if (L->sink.push && !L->sink.push(L, i, info.msk_id, trigger))
		ack = false;
	if (ack) {
		struct mbms_acked acked;
		uint8_t out[128];
		size_t n = 0;
		if (mbms_acked_from_info(&info, &acked) == 0 &&
		    mbms_verification_build_keyed(&k->kc, &acked, out, sizeof(out), &n) == 0)
			queue_ack(L, &L->socks[si], dst_ip, from, out, n);
		else
			st->push_bad++;
	}
	mbms_msg_info_wipe(&info);
}

static void udp_readable(struct lg *L, unsigned si)
{
	struct udp_sock *s = &L->socks[si];
	for (int b = 0; b < UDP_MAX_BATCHES; b++) {
		for (unsigned k = 0; k < UDP_BATCH; k++) {
			struct msghdr *m = &L->rx_msg[k].msg_hdr;
			m->msg_name = &L->rx_from[k];
			m->msg_namelen = sizeof(L->rx_from[k]);
			m->msg_iov = &L->rx_iov[k];
			m->msg_iovlen = 1;
			m->msg_control = L->rx_cmsg[k].buf;
			m->msg_controllen = sizeof(L->rx_cmsg[k].buf);
			m->msg_flags = 0;
		}
		int n = recvmmsg(s->fd, L->rx_msg, UDP_BATCH, MSG_DONTWAIT, NULL);
		if (n <= 0)
			break;
		L->r->st.udp_rx_batches++;
		for (int k = 0; k < n; k++) {
			struct msghdr *m = &L->rx_msg[k].msg_hdr;
			uint32_t dst = 0;
			for (struct cmsghdr *c = CMSG_FIRSTHDR(m); c; c = CMSG_NXTHDR(m, c)) {
				if (c->cmsg_level == IPPROTO_IP && c->cmsg_type == IP_PKTINFO) {
					struct in_pktinfo pi;
					memcpy(&pi, CMSG_DATA(c), sizeof(pi));
					dst = ntohl(pi.ipi_addr.s_addr);
				} else if (c->cmsg_level == SOL_SOCKET && c->cmsg_type == SO_RXQ_OVFL) {
					uint32_t drops;
					memcpy(&drops, CMSG_DATA(c), sizeof(drops));
					if (drops > s->kernel_drops) {
						L->r->st.rx_drops_kernel += drops - s->kernel_drops;
						s->kernel_drops = drops;
					}
				}
			}
			udp_one(L, si, L->rx_buf[k], L->rx_msg[k].msg_len, &L->rx_from[k], dst);
		}
		if (n < UDP_BATCH)
			break;
	}
	udp_flush_sock(L, s);
}

/* ---- HTTP ---- */

int lg_target_parse(const char *url, const char *host_header, struct lg_target *t, char *err,
		    size_t cap)
{
	memset(t, 0, sizeof(*t));
	const char *p = url;
	if (strncmp(p, "http://", 7) == 0)
		p += 7;
	char ip[64];
	const char *colon = strchr(p, ':');
	if (!colon || (size_t)(colon - p) >= sizeof(ip)) {
		snprintf(err, cap, "'%s': want http://IP:PORT", url);
		return -1;
	}
	memcpy(ip, p, (size_t)(colon - p));
	ip[colon - p] = '\0';
	char *end;
	unsigned long port = strtoul(colon + 1, &end, 10);
	if (lg_ip_parse(ip, &t->ip) || port == 0 || port > 65535 || (*end && *end != '/')) {
		snprintf(err, cap, "'%s': want http://IP:PORT with a numeric IPv4 address", url);
		return -1;
	}
	if ((t->ip >> 24) != 127) {
		snprintf(err, cap, "'%s': the load generator only talks to 127.0.0.0/8", url);
		return -1;
	}
	t->port = (uint16_t)port;
	snprintf(t->host, sizeof(t->host), "%s:%lu", host_header && *host_header ? host_header : ip,
		 port);
	return 0;
}

static void conn_close(struct lg *L, struct lg_conn *c)
{
	if (c->fd >= 0) {
		epoll_ctl(L->ep, EPOLL_CTL_DEL, c->fd, NULL);
		close(c->fd);
	}
	c->fd = -1;
	c->st = CONN_CLOSED;
	c->writable = false;
	c->rlen = c->hdr_end = 0;
	if (c->busy) {
		c->not_before = lg_now() + 0.05;
		c->busy = false;
		L->busy--;
		if (L->drv.failed)
			L->drv.failed(L, c, c->tag);
	}
}

static int conn_open(struct lg *L, struct lg_conn *c)
{
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -1;
	int one = 1;
	(void)setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	if (c->bind_ip) {
		struct sockaddr_in a = {.sin_family = AF_INET};
		a.sin_addr.s_addr = htonl(c->src_ip);
		if (bind(fd, (struct sockaddr *)&a, sizeof(a)) != 0) {
			close(fd);
			return -1;
		}
	}
	struct sockaddr_in to = {.sin_family = AF_INET, .sin_port = htons(L->tgt.port)};
	to.sin_addr.s_addr = htonl(L->tgt.ip);
	if (connect(fd, (struct sockaddr *)&to, sizeof(to)) != 0 && errno != EINPROGRESS) {
		close(fd);
		return -1;
	}
	struct epoll_event ev = {.events = EPOLLIN | EPOLLOUT | EPOLLET | EPOLLRDHUP,
				 .data.u64 = (EV_CONN << 32) | c->idx};
	if (epoll_ctl(L->ep, EPOLL_CTL_ADD, fd, &ev) != 0) {
		close(fd);
		return -1;
	}
	c->fd = fd;
	c->st = CONN_CONNECTING;
	c->writable = false;
	L->r->st.conn_opened++;
	return 0;
}

static void conn_write(struct lg *L, struct lg_conn *c)
{
	while (c->woff < c->wlen) {
		ssize_t n = send(c->fd, c->wbuf + c->woff, c->wlen - c->woff, MSG_NOSIGNAL);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			if (errno == EAGAIN)
				c->writable = false;
			else
				conn_close(L, c);
			return;
		}
		c->woff += (size_t)n;
	}
}

/* Ask the driver for the next request and start it. */
static void conn_next(struct lg *L, struct lg_conn *c)
{
	if (c->busy || lg_stop || (c->st == CONN_CLOSED && c->not_before > lg_now()))
		return;
	size_t len = 0;
	uint64_t tag = 0;
	if (!L->drv.next || !L->drv.next(L, c, c->group, c->wbuf, sizeof(c->wbuf), &len, &tag))
		return;
	c->busy = true;
	L->busy++;
	c->tag = tag;
	c->wlen = len;
	c->woff = 0;
	c->rlen = c->hdr_end = 0;
	c->t_sent = lg_now();
	L->r->st.http_sent++;
	if (c->st == CONN_CLOSED && conn_open(L, c) != 0) {
		L->r->st.conn_failed++;
		conn_close(L, c);
		return;
	}
	if (c->st == CONN_OPEN)
		conn_write(L, c);
}

static const char *hdr_value(char *line, const char *name)
{
	size_t n = strlen(name);
	if (strncasecmp(line, name, n) != 0 || line[n] != ':')
		return NULL;
	char *v = line + n + 1;
	while (*v == ' ' || *v == '\t')
		v++;
	return v;
}

/* Headers complete in rbuf[0, hdr_end): parse them in place. */
static int parse_head(struct lg_conn *c)
{
	char *p = c->rbuf;
	c->rbuf[c->hdr_end - 2] = '\0'; /* the blank line */
	char *eol = strstr(p, "\r\n");
	if (!eol)
		return -1;
	*eol = '\0';
	if (strncmp(p, "HTTP/1.", 7) != 0 || strlen(p) < 12)
		return -1;
	c->status = atoi(p + 9);
	c->content_len = -1;
	c->close_after = p[7] == '0';
	c->www = c->ainfo = c->ctype = NULL;
	p = eol + 2;
	while (*p) {
		eol = strstr(p, "\r\n");
		if (eol)
			*eol = '\0';
		const char *v;
		if ((v = hdr_value(p, "Content-Length")))
			c->content_len = atol(v);
		else if ((v = hdr_value(p, "WWW-Authenticate")))
			c->www = v;
		else if ((v = hdr_value(p, "Authentication-Info")))
			c->ainfo = v;
		else if ((v = hdr_value(p, "Content-Type")))
			c->ctype = v;
		else if ((v = hdr_value(p, "Connection")))
			c->close_after = strncasecmp(v, "close", 5) == 0;
		else if ((v = hdr_value(p, "Transfer-Encoding")))
			return -1; /* not sent by our servers for these answers */
		if (!eol)
			break;
		p = eol + 2;
	}
	if (c->status < 100 || c->status > 599)
		return -1;
	if (c->status == 204 || c->status == 304 || c->status < 200)
		c->content_len = 0;
	return 0;
}

static void conn_complete(struct lg *L, struct lg_conn *c, size_t body_len)
{
	struct lg_stats *st = &L->r->st;
	struct lg_http_rsp rsp = {
		.status = c->status,
		.www_authenticate = c->www,
		.authentication_info = c->ainfo,
		.content_type = c->ctype,
		.body = (const uint8_t *)c->rbuf + c->hdr_end,
		.body_len = body_len,
		.latency_us = (lg_now() - c->t_sent) * 1e6,
	};
	if (c->status >= 200 && c->status < 300)
		st->http_2xx++;
	else if (c->status == 401)
		st->http_401++;
	else if (c->status >= 400 && c->status < 500)
		st->http_4xx++;
	else if (c->status >= 500)
		st->http_5xx++;
	else
		st->http_other++;
	bool close_after = c->close_after;
	c->busy = false;
	L->busy--;
	uint64_t tag = c->tag;
	if (L->drv.response)
		L->drv.response(L, c, tag, &rsp);
	size_t used = c->hdr_end + body_len;
	if (c->rlen > used)
		memmove(c->rbuf, c->rbuf + used, c->rlen - used);
	c->rlen -= used;
	c->hdr_end = 0;
	if (close_after) {
		st->conn_closed_by_peer++;
		conn_close(L, c);
	}
}

static void conn_read(struct lg *L, struct lg_conn *c, bool hup)
{
	for (;;) {
		if (c->rlen == HTTP_RBUF) {
			conn_close(L, c); /* an answer bigger than we take */
			return;
		}
		ssize_t n = recv(c->fd, c->rbuf + c->rlen, HTTP_RBUF - c->rlen, 0);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && errno == EAGAIN)
			break;
		if (n <= 0) {
			/* closed: a response that runs to the close ends here */
			if (c->busy && c->hdr_end && c->content_len < 0)
				conn_complete(L, c, c->rlen - c->hdr_end);
			conn_close(L, c);
			return;
		}
		c->rlen += (size_t)n;
		while (c->busy) {
			if (!c->hdr_end) {
				char *e = memmem(c->rbuf, c->rlen, "\r\n\r\n", 4);
				if (!e)
					break;
				c->hdr_end = (size_t)(e - c->rbuf) + 4;
				if (parse_head(c) != 0) {
					L->r->st.http_other++;
					conn_close(L, c);
					return;
				}
			}
			if (c->content_len < 0 || c->rlen - c->hdr_end < (size_t)c->content_len)
				break;
			conn_complete(L, c, (size_t)c->content_len);
			if (c->st == CONN_CLOSED)
				return;
			conn_next(L, c);
		}
		if (!c->busy && c->rlen) {
			c->rlen = 0; /* bytes nobody asked for */
		}
	}
	if (hup && c->fd >= 0) {
		if (c->busy && c->hdr_end && c->content_len < 0)
			conn_complete(L, c, c->rlen - c->hdr_end);
		conn_close(L, c);
	}
}

static void conn_event(struct lg *L, struct lg_conn *c, uint32_t events)
{
	if (c->fd < 0)
		return;
	if (c->st == CONN_CONNECTING && (events & (EPOLLOUT | EPOLLERR | EPOLLHUP))) {
		int e = 0;
		socklen_t el = sizeof(e);
		if (getsockopt(c->fd, SOL_SOCKET, SO_ERROR, &e, &el) != 0 || e != 0) {
			L->r->st.conn_failed++;
			conn_close(L, c);
			return;
		}
		c->st = CONN_OPEN;
	}
	if (events & EPOLLOUT) {
		c->writable = true;
		if (c->busy && c->woff < c->wlen)
			conn_write(L, c);
	}
	if (c->fd >= 0 && (events & (EPOLLIN | EPOLLRDHUP | EPOLLHUP | EPOLLERR)))
		conn_read(L, c, (events & (EPOLLHUP | EPOLLERR)) != 0);
	if (c->fd >= 0 || c->st == CONN_CLOSED)
		conn_next(L, c);
}

int lg_http_start(struct lg *L, const struct lg_target *t, unsigned nconns, unsigned groups,
		  const struct lg_driver *drv, char *err, size_t cap)
{
	lg_http_stop(L);
	if (nconns == 0 || nconns > LG_MAX_CONNS) {
		snprintf(err, cap, "connections: 1..%u", LG_MAX_CONNS);
		return -1;
	}
	L->conns = calloc(nconns, sizeof(*L->conns));
	if (!L->conns) {
		snprintf(err, cap, "out of memory");
		return -1;
	}
	L->nconns = nconns;
	L->tgt = *t;
	L->drv = *drv;
	for (unsigned k = 0; k < nconns; k++) {
		struct lg_conn *c = &L->conns[k];
		c->L = L;
		c->idx = k;
		c->fd = -1;
		c->group = groups ? k % groups : k;
		c->bind_ip = groups != 0;
		c->src_ip = L->o->ip_base + c->group;
		c->rbuf = malloc(HTTP_RBUF);
		if (!c->rbuf) {
			snprintf(err, cap, "out of memory");
			return -1;
		}
	}
	lg_http_kick(L);
	return 0;
}

void lg_http_kick(struct lg *L)
{
	for (unsigned k = 0; k < L->nconns; k++)
		if (!L->conns[k].busy)
			conn_next(L, &L->conns[k]);
}

void lg_http_stop(struct lg *L)
{
	if (!L->conns)
		return;
	L->drv.failed = NULL; /* nobody to tell any more */
	for (unsigned k = 0; k < L->nconns; k++) {
		conn_close(L, &L->conns[k]);
		free(L->conns[k].rbuf);
	}
	free(L->conns);
	L->conns = NULL;
	L->nconns = 0;
	L->busy = 0;
}

unsigned lg_http_busy(struct lg *L) { return L->busy; }

unsigned lg_conn_index(const struct lg_conn *c) { return c->idx; }

/* ---- the loop ---- */

void lg_poll(struct lg *L, double wait_s)
{
	struct epoll_event ev[256];
	int ms = wait_s <= 0 ? 0 : (int)(wait_s * 1000 + 0.999);
	int n = epoll_wait(L->ep, ev, 256, ms);
	for (int k = 0; k < n; k++) {
		uint32_t type = (uint32_t)(ev[k].data.u64 >> 32), idx = (uint32_t)ev[k].data.u64;
		if (type == EV_UDP && idx < L->nsock)
			udp_readable(L, idx);
		else if (type == EV_CONN && idx < L->nconns)
			conn_event(L, &L->conns[idx], ev[k].events);
	}
	lg_udp_flush(L);
}

/* ---- one blocking exchange (admin requests) ---- */

int lg_http_simple(const char *hostport, const char *method, const char *path, char *out,
		   size_t cap, double timeout_s)
{
	char ip[64];
	const char *colon = strrchr(hostport, ':');
	if (!colon || (size_t)(colon - hostport) >= sizeof(ip))
		return -1;
	memcpy(ip, hostport, (size_t)(colon - hostport));
	ip[colon - hostport] = '\0';
	uint32_t a;
	if (lg_ip_parse(ip, &a) || (a >> 24) != 127)
		return -1;
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -1;
	struct timeval tv = {(time_t)timeout_s, (suseconds_t)((timeout_s - (time_t)timeout_s) * 1e6)};
	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
	struct sockaddr_in to = {.sin_family = AF_INET, .sin_port = htons((uint16_t)atoi(colon + 1))};
	to.sin_addr.s_addr = htonl(a);
	char req[512];
	int rl = snprintf(req, sizeof(req),
			  "%s %s HTTP/1.1\r\nHost: %s\r\nConnection: close\r\nContent-Length: 0\r\n\r\n",
			  method, path, hostport);
	if (connect(fd, (struct sockaddr *)&to, sizeof(to)) != 0 ||
	    send(fd, req, (size_t)rl, MSG_NOSIGNAL) != rl) {
		close(fd);
		return -1;
	}
	size_t got = 0;
	char *buf = malloc(1 << 20);
	if (!buf) {
		close(fd);
		return -1;
	}
	for (;;) {
		ssize_t n = recv(fd, buf + got, (1 << 20) - 1 - got, 0);
		if (n <= 0)
			break;
		got += (size_t)n;
		if (got == (1 << 20) - 1)
			break;
	}
	close(fd);
	buf[got] = '\0';
	int status = -1;
	if (strncmp(buf, "HTTP/1.", 7) == 0 && got > 12)
		status = atoi(buf + 9);
	const char *body = strstr(buf, "\r\n\r\n");
	if (out && cap) {
		snprintf(out, cap, "%s", body ? body + 4 : "");
	}
	free(buf);
	return status;
}
