/* Baseline of figures 5 and 7: a plain libmicrohttpd server that answers
 * every request with 200 and a fixed body of the size of an MSK response
 * (212 bytes) and an Authentication-Info header like ours, collecting a
 * POST body first (as common/httpd.c does). No Digest, no XML, no state,
 * no database, no MIKEY. One thread (MHD's internal epoll thread), like
 * bmscd's and bsfd's one thread per listener.
 *
 * usage: mbms-bench-mhd-baseline --listen IP:PORT [--seconds S]
 * prints "listening on IP:PORT" once ready; stops on SIGTERM/SIGINT or
 * after S seconds (default 120: bounded). Loopback addresses only. */
#include <arpa/inet.h>
#include <microhttpd.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

static volatile sig_atomic_t g_stop;
static struct MHD_Response *g_rsp;

static void on_signal(int sig)
{
	(void)sig;
	g_stop = 1;
}

static enum MHD_Result on_request(void *cls, struct MHD_Connection *conn, const char *url,
				  const char *method, const char *version, const char *upload_data,
				  size_t *upload_data_size, void **con_cls)
{
	(void)cls;
	(void)url;
	(void)method;
	(void)version;
	(void)upload_data;
	if (*con_cls == NULL) {
		*con_cls = conn; /* first call: headers only */
		return MHD_YES;
	}
	if (*upload_data_size) {
		*upload_data_size = 0; /* the body: taken and dropped */
		return MHD_YES;
	}
	return MHD_queue_response(conn, MHD_HTTP_OK, g_rsp);
}

int main(int argc, char **argv)
{
	const char *listen = NULL;
	double seconds = 120;
	for (int i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--listen") && i + 1 < argc)
			listen = argv[++i];
		else if (!strcmp(argv[i], "--seconds") && i + 1 < argc)
			seconds = atof(argv[++i]);
		else
			listen = NULL, i = argc;
	}
	char ip[64];
	const char *colon = listen ? strrchr(listen, ':') : NULL;
	struct sockaddr_in sa = {.sin_family = AF_INET};
	if (!colon || (size_t)(colon - listen) >= sizeof(ip) || seconds <= 0 || seconds > 3600) {
		fprintf(stderr, "usage: mbms-bench-mhd-baseline --listen IP:PORT [--seconds S]\n");
		return 2;
	}
	memcpy(ip, listen, (size_t)(colon - listen));
	ip[colon - listen] = '\0';
	if (inet_pton(AF_INET, ip, &sa.sin_addr) != 1 || (ntohl(sa.sin_addr.s_addr) >> 24) != 127) {
		fprintf(stderr, "mbms-bench-mhd-baseline: a 127.0.0.0/8 address, please\n");
		return 2;
	}
	sa.sin_port = htons((uint16_t)atoi(colon + 1));
	static char body[213];
	memset(body, 'x', sizeof(body) - 1);
	g_rsp = MHD_create_response_from_buffer(sizeof(body) - 1, body, MHD_RESPMEM_PERSISTENT);
	MHD_add_response_header(g_rsp, MHD_HTTP_HEADER_CONTENT_TYPE,
				"application/mbms-msk-response+xml");
	MHD_add_response_header(g_rsp, "Authentication-Info",
				"rspauth=\"00000000000000000000000000000000\", "
				"cnonce=\"0000000000000000\", nc=00000001, qop=auth-int");
	MHD_add_response_header(g_rsp, "Cache-Control", "no-store");
	struct MHD_Daemon *d =
		MHD_start_daemon(MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_EPOLL, 0, NULL, NULL,
				 on_request, NULL, MHD_OPTION_SOCK_ADDR, (struct sockaddr *)&sa,
				 MHD_OPTION_CONNECTION_LIMIT, (unsigned)256,
				 MHD_OPTION_CONNECTION_TIMEOUT, (unsigned)30, MHD_OPTION_END);
	if (!d) {
		fprintf(stderr, "mbms-bench-mhd-baseline: cannot listen on %s\n", listen);
		return 1;
	}
	signal(SIGTERM, on_signal);
	signal(SIGINT, on_signal);
	printf("listening on %s\n", listen);
	fflush(stdout);
	struct timespec t0, t;
	clock_gettime(CLOCK_MONOTONIC, &t0);
	while (!g_stop) {
		usleep(20000);
		clock_gettime(CLOCK_MONOTONIC, &t);
		if ((double)(t.tv_sec - t0.tv_sec) + (double)(t.tv_nsec - t0.tv_nsec) / 1e9 > seconds)
			break;
	}
	MHD_stop_daemon(d);
	MHD_destroy_response(g_rsp);
	return 0;
}
