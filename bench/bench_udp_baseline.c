/* Figure 4's baseline: the same number of datagrams as a rotation pushes,
 * of the MSK message's size, sent with sendmmsg in batches of 64 from one
 * socket on 127.0.0.1 to the fan-out's addresses (one 127.77.x.y:port per
 * UE, P receiving ports bound to the wildcard address on the loopback
 * device, drained by a second thread with recvmmsg, as the load generator
 * does). Nothing is built, encrypted, stored or acknowledged: this is the
 * floor of moving the bytes through the kernel.
 *
 * usage: mbms-bench-udp-baseline [-n N] [--len BYTES] [--ports P]
 *                                [--ip-base IP] [--reps R]
 * prints one JSON line: {"kind":"udp_baseline", "n", "len", "ports",
 * "send_ns":[per run], "all_received_ns":[per run], "received":[per run]}
 * (times from the first sendmmsg to the last one returning, and to the
 * receiver holding every datagram). Loopback only; bounded in count and
 * time (10 s per run). */
#define _GNU_SOURCE /* sendmmsg, recvmmsg */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define BATCH 64
#define MAX_PORTS 256
#define MAX_REPS 32
#define RUN_LIMIT_S 10.0

static double now_s(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

struct rx {
	int fd[MAX_PORTS];
	unsigned nports;
	atomic_ulong got;
	atomic_bool stop;
	double t_all;
	unsigned long want;
};

static void *receiver(void *arg)
{
	struct rx *r = arg;
	static uint8_t buf[BATCH][2048];
	struct mmsghdr m[BATCH];
	struct iovec iov[BATCH];
	struct pollfd pf[MAX_PORTS];
	for (unsigned i = 0; i < r->nports; i++)
		pf[i] = (struct pollfd){.fd = r->fd[i], .events = POLLIN};
	while (!atomic_load(&r->stop)) {
		if (poll(pf, r->nports, 20) <= 0)
			continue;
		for (unsigned i = 0; i < r->nports; i++) {
			if (!(pf[i].revents & POLLIN))
				continue;
			for (;;) {
				for (int k = 0; k < BATCH; k++) {
					iov[k] = (struct iovec){buf[k], sizeof(buf[k])};
					memset(&m[k].msg_hdr, 0, sizeof(m[k].msg_hdr));
					m[k].msg_hdr.msg_iov = &iov[k];
					m[k].msg_hdr.msg_iovlen = 1;
				}
				int n = recvmmsg(r->fd[i], m, BATCH, MSG_DONTWAIT, NULL);
				if (n <= 0)
					break;
				unsigned long got = atomic_fetch_add(&r->got, (unsigned long)n) + (unsigned long)n;
				if (got >= r->want && r->t_all == 0)
					r->t_all = now_s();
			}
		}
	}
	return NULL;
}

static int udp_socket(uint32_t ip, uint16_t port, int buf)
{
	int fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -1;
	if (ip == INADDR_ANY)
		(void)setsockopt(fd, SOL_SOCKET, SO_BINDTODEVICE, "lo", 3);
	if (setsockopt(fd, SOL_SOCKET, SO_RCVBUFFORCE, &buf, sizeof(buf)) != 0)
		(void)setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &buf, sizeof(buf));
	if (setsockopt(fd, SOL_SOCKET, SO_SNDBUFFORCE, &buf, sizeof(buf)) != 0)
		(void)setsockopt(fd, SOL_SOCKET, SO_SNDBUF, &buf, sizeof(buf));
	struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons(port)};
	a.sin_addr.s_addr = htonl(ip);
	if (bind(fd, (struct sockaddr *)&a, sizeof(a)) != 0) {
		close(fd);
		return -1;
	}
	return fd;
}

int main(int argc, char **argv)
{
	unsigned long n = 100000;
	unsigned len = 212, nports = 16, reps = 5;
	uint32_t ip_base = 0x7f4d0001; /* 127.77.0.1 */
	for (int i = 1; i < argc; i++) {
		const char *v = i + 1 < argc ? argv[i + 1] : NULL;
		if (!strcmp(argv[i], "-n") && v) {
			n = strtoul(v, NULL, 10);
			i++;
		} else if (!strcmp(argv[i], "--len") && v) {
			len = (unsigned)strtoul(v, NULL, 10);
			i++;
		} else if (!strcmp(argv[i], "--ports") && v) {
			nports = (unsigned)strtoul(v, NULL, 10);
			i++;
		} else if (!strcmp(argv[i], "--reps") && v) {
			reps = (unsigned)strtoul(v, NULL, 10);
			i++;
		} else if (!strcmp(argv[i], "--ip-base") && v) {
			struct in_addr a;
			if (inet_pton(AF_INET, v, &a) != 1 || (ntohl(a.s_addr) >> 24) != 127) {
				fprintf(stderr, "--ip-base: an address in 127.0.0.0/8\n");
				return 2;
			}
			ip_base = ntohl(a.s_addr);
			i++;
		} else {
			fprintf(stderr, "usage: mbms-bench-udp-baseline [-n N] [--len BYTES] [--ports P] "
					"[--ip-base IP] [--reps R]\n");
			return 2;
		}
	}
	if (n == 0 || n > 10000000 || len == 0 || len > 1400 || nports == 0 ||
	    nports > MAX_PORTS || reps == 0 || reps > MAX_REPS) {
		fprintf(stderr, "mbms-bench-udp-baseline: out of range\n");
		return 2;
	}
	struct rx r = {.nports = nports};
	uint16_t port[MAX_PORTS];
	for (unsigned i = 0; i < nports; i++) {
		r.fd[i] = udp_socket(INADDR_ANY, 0, 8 << 20);
		struct sockaddr_in a;
		socklen_t sl = sizeof(a);
		if (r.fd[i] < 0 || getsockname(r.fd[i], (struct sockaddr *)&a, &sl) != 0) {
			perror("receiver socket");
			return 1;
		}
		port[i] = ntohs(a.sin_port);
	}
	int tx = udp_socket(0x7f000001, 0, 4 << 20);
	if (tx < 0) {
		perror("sender socket");
		return 1;
	}
	static uint8_t payload[1400];
	for (unsigned i = 0; i < len; i++)
		payload[i] = (uint8_t)(i * 7 + 1);
	double send_ns[MAX_REPS], all_ns[MAX_REPS];
	unsigned long recvd[MAX_REPS];
	for (unsigned rep = 0; rep < reps; rep++) {
		atomic_store(&r.got, 0);
		atomic_store(&r.stop, false);
		r.t_all = 0;
		r.want = n;
		pthread_t th;
		if (pthread_create(&th, NULL, receiver, &r) != 0) {
			perror("pthread_create");
			return 1;
		}
		struct mmsghdr m[BATCH];
		struct iovec iov = {payload, len};
		struct sockaddr_in to[BATCH];
		double t0 = now_s();
		unsigned long sent = 0;
		while (sent < n && now_s() - t0 < RUN_LIMIT_S) {
			unsigned cnt = n - sent < BATCH ? (unsigned)(n - sent) : BATCH;
			for (unsigned k = 0; k < cnt; k++) {
				unsigned long ue = sent + k;
				to[k] = (struct sockaddr_in){.sin_family = AF_INET,
							     .sin_port = htons(port[ue % nports])};
				to[k].sin_addr.s_addr = htonl(ip_base + (uint32_t)(ue / nports));
				memset(&m[k].msg_hdr, 0, sizeof(m[k].msg_hdr));
				m[k].msg_hdr.msg_name = &to[k];
				m[k].msg_hdr.msg_namelen = sizeof(to[k]);
				m[k].msg_hdr.msg_iov = &iov;
				m[k].msg_hdr.msg_iovlen = 1;
			}
			int s = sendmmsg(tx, m, cnt, 0);
			if (s > 0) {
				sent += (unsigned long)s;
			} else if (s < 0 && errno != EINTR && errno != EAGAIN && errno != ENOBUFS) {
				perror("sendmmsg");
				return 1;
			}
		}
		double t1 = now_s();
		while (atomic_load(&r.got) < n && now_s() - t0 < RUN_LIMIT_S)
			usleep(200);
		atomic_store(&r.stop, true);
		pthread_join(th, NULL);
		send_ns[rep] = (t1 - t0) * 1e9;
		all_ns[rep] = r.t_all > 0 ? (r.t_all - t0) * 1e9 : 0;
		recvd[rep] = atomic_load(&r.got);
		usleep(50000);
	}
	printf("{\"kind\":\"udp_baseline\",\"n\":%lu,\"len\":%u,\"ports\":%u,\"send_ns\":[", n, len,
	       nports);
	for (unsigned i = 0; i < reps; i++)
		printf("%s%.0f", i ? "," : "", send_ns[i]);
	printf("],\"all_received_ns\":[");
	for (unsigned i = 0; i < reps; i++)
		printf("%s%.0f", i ? "," : "", all_ns[i]);
	printf("],\"received\":[");
	for (unsigned i = 0; i < reps; i++)
		printf("%s%lu", i ? "," : "", recvd[i]);
	printf("]}\n");
	return 0;
}
