/* bmscd's MIKEY socket I/O in batches (issue #9, figure 4 of
 * docs/benchmarks.md): a rotation pushes one MSK message to every
 * registered UE and gets one verification message back from each.
 *
 *  - receive: recvmmsg, every admitted datagram available (up to 1024)
 *    goes to the core under ONE lock and their records are drained in ONE
 *    transaction instead of one per ack (an ack's record is the push's new
 *    state: store.c commits such transactions without an fsync);
 *  - send: the datagrams of one drain leave in sendmmsg batches, after the
 *    records they depend on were committed (main.c: bmscd_drain);
 *  - the socket buffers are enlarged, so that a burst of acks arriving
 *    while the event loop is busy with a fan-out batch is not dropped by
 *    the kernel (a dropped ack costs a retransmission seconds later).
 *
 * The per-source flood guard (rx_guard.h) sees every datagram as before,
 * one after the other (a refusal charges its source before the next
 * datagram is admitted); the trace too. */
#define _GNU_SOURCE /* recvmmsg, sendmmsg */
#include "mikey_io.h"

#include "rx_guard.h"
#include "trace.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <string.h>
#include <sys/socket.h>

#define IO_BATCH 64
#define IO_BUF 2048
#define IO_MAX 1024 /* datagrams per drain */
#define SOCKET_BUF (8 * 1024 * 1024)

void bmscd_mikey_socket_tune(int fd)
{
	/* Best effort: SO_*BUFFORCE needs CAP_NET_ADMIN, SO_*BUF is capped by
	 * net.core.[rw]mem_max. */
	int size = SOCKET_BUF;
	if (setsockopt(fd, SOL_SOCKET, SO_RCVBUFFORCE, &size, sizeof(size)) != 0)
		(void)setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &size, sizeof(size));
	size = SOCKET_BUF / 4;
	if (setsockopt(fd, SOL_SOCKET, SO_SNDBUFFORCE, &size, sizeof(size)) != 0)
		(void)setsockopt(fd, SOL_SOCKET, SO_SNDBUF, &size, sizeof(size));
}

static bool addr_of(const struct sockaddr_storage *ss, struct mbms_bmsc_addr *from)
{
	memset(from, 0, sizeof(*from));
	if (ss->ss_family == AF_INET) {
		const struct sockaddr_in *a = (const struct sockaddr_in *)ss;
		from->family = 4;
		from->port = ntohs(a->sin_port);
		memcpy(from->ip, &a->sin_addr, 4);
		return true;
	}
	if (ss->ss_family == AF_INET6) {
		const struct sockaddr_in6 *a = (const struct sockaddr_in6 *)ss;
		from->family = 6;
		from->port = ntohs(a->sin6_port);
		memcpy(from->ip, &a->sin6_addr, 16);
		return true;
	}
	return false;
}

struct rx_slot {
	struct sockaddr_storage ss;
	socklen_t sl;
	struct mbms_bmsc_addr from;
	int rc;
	bool admitted;
};

unsigned bmscd_udp_receive(struct bmscd *d, int fd, unsigned max)
{
	static uint8_t buf[IO_BATCH][IO_BUF];
	static struct rx_slot rx[IO_MAX];
	struct mmsghdr msg[IO_BATCH];
	struct iovec iov[IO_BATCH];
	unsigned total = 0;
	if (max > IO_MAX)
		max = IO_MAX;
	/* every datagram available (up to max) under one lock, one drain */
	pthread_mutex_lock(&d->lock);
	while (total < max) {
		unsigned want = max - total < IO_BATCH ? max - total : IO_BATCH;
		for (unsigned k = 0; k < want; k++) {
			iov[k].iov_base = buf[k];
			iov[k].iov_len = IO_BUF;
			memset(&msg[k].msg_hdr, 0, sizeof(msg[k].msg_hdr));
			msg[k].msg_hdr.msg_name = &rx[total + k].ss;
			msg[k].msg_hdr.msg_namelen = sizeof(rx[total + k].ss);
			msg[k].msg_hdr.msg_iov = &iov[k];
			msg[k].msg_hdr.msg_iovlen = 1;
		}
		int n = recvmmsg(fd, msg, want, MSG_DONTWAIT, NULL);
		if (n <= 0)
			break;
		uint64_t now = bmscd_now_ms();
		for (int k = 0; k < n; k++) {
			struct rx_slot *x = &rx[total + (unsigned)k];
			x->sl = msg[k].msg_hdr.msg_namelen;
			/* admit, process and charge one datagram after the other: the
			 * flood guard must see the refusals of the earlier ones */
			x->admitted = bmscd_rx_admit(&x->ss, x->sl, now) && addr_of(&x->ss, &x->from);
			if (!x->admitted)
				continue;
			d->udp_received++; /* under the lock: /metrics reads it */
			x->rc = mbms_bmsc_udp_input(d->core, &x->from, buf[k], msg[k].msg_len, now);
			bmscd_rx_done(&x->ss, x->sl, x->rc, now);
		}
		total += (unsigned)n;
		if ((unsigned)n < want)
			break;
	}
	if (total)
		bmscd_drain(d); /* one transaction for all of them */
	pthread_mutex_unlock(&d->lock);
	for (unsigned k = 0; k < total; k++)
		if (rx[k].admitted)
			bmscd_trace_rejected(d, &rx[k].from, rx[k].rc);
	return total;
}

static socklen_t sockaddr_of(const struct mbms_bmsc_addr *to, struct sockaddr_storage *ss)
{
	memset(ss, 0, sizeof(*ss));
	if (to->family == 4) {
		struct sockaddr_in *a = (struct sockaddr_in *)ss;
		a->sin_family = AF_INET;
		a->sin_port = htons(to->port);
		memcpy(&a->sin_addr, to->ip, 4);
		return sizeof(*a);
	}
	struct sockaddr_in6 *a = (struct sockaddr_in6 *)ss;
	a->sin6_family = AF_INET6;
	a->sin6_port = htons(to->port);
	memcpy(&a->sin6_addr, to->ip, 16);
	return sizeof(*a);
}

void bmscd_udp_send_batch(struct bmscd *d, const struct mbms_bmsc_action *const *sends, size_t n)
{
	struct mmsghdr msg[IO_BATCH];
	struct iovec iov[IO_BATCH];
	struct sockaddr_storage ss[IO_BATCH];
	for (size_t off = 0; off < n;) {
		unsigned cnt = n - off < IO_BATCH ? (unsigned)(n - off) : IO_BATCH;
		for (unsigned k = 0; k < cnt; k++) {
			const struct mbms_bmsc_action *a = sends[off + k];
			iov[k].iov_base = (void *)a->u.send.data;
			iov[k].iov_len = a->u.send.len;
			memset(&msg[k].msg_hdr, 0, sizeof(msg[k].msg_hdr));
			msg[k].msg_hdr.msg_name = &ss[k];
			msg[k].msg_hdr.msg_namelen = sockaddr_of(&a->u.send.to, &ss[k]);
			msg[k].msg_hdr.msg_iov = &iov[k];
			msg[k].msg_hdr.msg_iovlen = 1;
		}
		/* traced before they leave: a UE's answer may come back within the
		 * millisecond, and a merged trace must show the message first */
		for (unsigned k = 0; k < cnt; k++)
			bmscd_trace_send(d, sends[off + k]);
		unsigned done = 0;
		while (done < cnt) {
			int r = sendmmsg(d->udp_fd, msg + done, cnt - done, 0);
			if (r > 0) {
				d->udp_sent += (unsigned)r;
				done += (unsigned)r;
				continue;
			}
			if (r < 0 && errno == EINTR)
				continue;
			/* this datagram failed (unreachable, buffer full): count it,
			 * go on with the next, as one sendto each did */
			d->udp_send_errors++;
			char t[64];
			mbms_bmsc_addr_format(&sends[off + done]->u.send.to, t, sizeof(t));
			log_debug("udp to %s: %s", t, strerror(errno));
			done++;
		}
		off += cnt;
	}
}
