/* HTTP server glue over libmicrohttpd 0.9.75 (see httpd.h). */
#include "httpd.h"

#include "log.h"

#include "mbmssec/crypto.h"

#include <arpa/inet.h>
#include <errno.h>
#include <microhttpd.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/select.h>
#include <sys/socket.h>

struct mbmsd_httpd {
	struct MHD_Daemon *mhd;
	mbmsd_http_handler handler;
	void *user;
	size_t max_body;
	uint16_t port;
	pthread_t thread;
	atomic_bool stop;
};

/* Per-request state kept across MHD's calls. */
struct req_state {
	uint8_t *body;
	size_t len, cap;
	bool too_large;
};

/* A response body with its length in front, so the free callback can wipe it. */
struct owned_body {
	size_t len;
	char data[];
};

static void free_owned(void *p)
{
	if (!p)
		return;
	struct owned_body *ob = (struct owned_body *)((char *)p - offsetof(struct owned_body, data));
	mbms_wipe(ob->data, ob->len);
	free(ob);
}

int mbmsd_http_set_body(struct mbmsd_http_response *resp, unsigned status,
			const char *content_type, const void *body, size_t len)
{
	struct owned_body *ob = malloc(sizeof(*ob) + len + 1);
	if (!ob)
		return -1;
	ob->len = len;
	if (len)
		memcpy(ob->data, body, len);
	ob->data[len] = '\0';
	if (resp->body)
		free_owned(resp->body);
	resp->status = status;
	resp->content_type = content_type;
	resp->body = ob->data;
	resp->body_len = len;
	return 0;
}

int mbmsd_http_add_header(struct mbmsd_http_response *resp, const char *name, const char *value)
{
	if (resp->nheaders >= MBMSD_HTTP_MAX_HEADERS)
		return -1;
	size_t n = strlen(value);
	if (n >= sizeof(resp->headers[0].value))
		return -1;
	resp->headers[resp->nheaders].name = name;
	memcpy(resp->headers[resp->nheaders].value, value, n + 1);
	resp->nheaders++;
	return 0;
}

void mbmsd_http_status(struct mbmsd_http_response *resp, unsigned status, const char *text)
{
	char line[128];
	int n = snprintf(line, sizeof(line), "%s\n", text ? text : "");
	if (mbmsd_http_set_body(resp, status, "text/plain; charset=utf-8", line, (size_t)n) != 0)
		resp->status = status;
}

const char *mbmsd_http_header(const struct mbmsd_http_request *req, const char *name)
{
	return MHD_lookup_connection_value(req->conn, MHD_HEADER_KIND, name);
}

const char *mbmsd_http_query(const struct mbmsd_http_request *req, const char *name)
{
	return MHD_lookup_connection_value(req->conn, MHD_GET_ARGUMENT_KIND, name);
}

static enum MHD_Result send_response(struct MHD_Connection *conn, struct mbmsd_http_response *r)
{
	struct MHD_Response *mr;
	if (r->body) {
		mr = MHD_create_response_from_buffer_with_free_callback(r->body_len, r->body,
									  free_owned);
		if (!mr)
			free_owned(r->body);
		r->body = NULL;
	} else {
		mr = MHD_create_response_from_buffer(0, (void *)"", MHD_RESPMEM_PERSISTENT);
	}
	if (!mr)
		return MHD_NO;
	if (r->content_type)
		MHD_add_response_header(mr, MHD_HTTP_HEADER_CONTENT_TYPE, r->content_type);
	for (size_t i = 0; i < r->nheaders; i++)
		MHD_add_response_header(mr, r->headers[i].name, r->headers[i].value);
	MHD_add_response_header(mr, "Cache-Control", "no-store");
	enum MHD_Result ret = MHD_queue_response(conn, r->status ? r->status : 500, mr);
	MHD_destroy_response(mr);
	return ret;
}

static void peer_of(struct MHD_Connection *conn, char *out, size_t cap)
{
	const union MHD_ConnectionInfo *ci =
		MHD_get_connection_info(conn, MHD_CONNECTION_INFO_CLIENT_ADDRESS);
	snprintf(out, cap, "?");
	if (!ci || !ci->client_addr)
		return;
	char ip[INET6_ADDRSTRLEN];
	if (ci->client_addr->sa_family == AF_INET) {
		const struct sockaddr_in *a = (const struct sockaddr_in *)(const void *)ci->client_addr;
		if (inet_ntop(AF_INET, &a->sin_addr, ip, sizeof(ip)))
			snprintf(out, cap, "%s:%u", ip, ntohs(a->sin_port));
	} else if (ci->client_addr->sa_family == AF_INET6) {
		const struct sockaddr_in6 *a =
			(const struct sockaddr_in6 *)(const void *)ci->client_addr;
		if (inet_ntop(AF_INET6, &a->sin6_addr, ip, sizeof(ip)))
			snprintf(out, cap, "[%s]:%u", ip, ntohs(a->sin6_port));
	}
}

static enum MHD_Result on_request(void *cls, struct MHD_Connection *conn, const char *url,
				  const char *method, const char *version,
				  const char *upload_data, size_t *upload_data_size,
				  void **con_cls)
{
	struct mbmsd_httpd *h = cls;
	(void)version;
	struct req_state *st = *con_cls;
	if (!st) {
		st = calloc(1, sizeof(*st));
		if (!st)
			return MHD_NO;
		*con_cls = st;
		return MHD_YES;
	}
	if (*upload_data_size) {
		/* more body: keep it while it fits, otherwise drain and remember */
		size_t n = *upload_data_size;
		if (!st->too_large && n <= h->max_body - st->len) {
			if (st->len + n > st->cap) {
				size_t cap = st->cap ? st->cap : 1024;
				while (cap < st->len + n)
					cap *= 2;
				if (cap > h->max_body)
					cap = h->max_body;
				uint8_t *nb = malloc(cap);
				if (!nb)
					return MHD_NO;
				if (st->len)
					memcpy(nb, st->body, st->len);
				if (st->body) {
					mbms_wipe(st->body, st->cap);
					free(st->body);
				}
				st->body = nb;
				st->cap = cap;
			}
			memcpy(st->body + st->len, upload_data, n);
			st->len += n;
		} else {
			st->too_large = true;
		}
		*upload_data_size = 0;
		return MHD_YES;
	}
	struct mbmsd_http_response resp;
	memset(&resp, 0, sizeof(resp));
	if (st->too_large) {
		mbmsd_http_status(&resp, 413, "request body too large");
	} else {
		struct mbmsd_http_request req = {
			.conn = conn,
			.method = method,
			.url = url,
			.body = st->body,
			.body_len = st->len,
		};
		peer_of(conn, req.peer, sizeof(req.peer));
		h->handler(h->user, &req, &resp);
	}
	return send_response(conn, &resp);
}

static void on_completed(void *cls, struct MHD_Connection *conn, void **con_cls,
			 enum MHD_RequestTerminationCode toe)
{
	(void)cls;
	(void)conn;
	(void)toe;
	struct req_state *st = *con_cls;
	if (!st)
		return;
	if (st->body) {
		mbms_wipe(st->body, st->cap);
		free(st->body);
	}
	free(st);
	*con_cls = NULL;
}

static void on_mhd_log(void *cls, const char *fmt, va_list ap) __attribute__((format(printf, 2, 0)));

static void on_mhd_log(void *cls, const char *fmt, va_list ap)
{
	(void)cls;
	char line[512];
	vsnprintf(line, sizeof(line), fmt, ap);
	size_t n = strlen(line);
	while (n && (line[n - 1] == '\n' || line[n - 1] == '\r'))
		line[--n] = '\0';
	log_warn("http: %s", line);
}

/* MHD in external-select mode on a thread of ours, so that the thread can
 * free its per-thread crypto contexts when it ends (MHD's own threads give
 * no such hook). The select() is capped at 100 ms to notice `stop`. */
static void *serve(void *arg)
{
	struct mbmsd_httpd *h = arg;
	while (!atomic_load(&h->stop)) {
		fd_set rs, ws, es;
		MHD_socket max_fd = 0;
		FD_ZERO(&rs);
		FD_ZERO(&ws);
		FD_ZERO(&es);
		if (MHD_get_fdset(h->mhd, &rs, &ws, &es, &max_fd) != MHD_YES) {
			log_error("http: cannot get the socket set");
			break;
		}
		MHD_UNSIGNED_LONG_LONG mhd_ms = 0;
		long ms = 100;
		if (MHD_get_timeout(h->mhd, &mhd_ms) == MHD_YES && mhd_ms < (MHD_UNSIGNED_LONG_LONG)ms)
			ms = (long)mhd_ms;
		struct timeval tv = {ms / 1000, (ms % 1000) * 1000};
		if (select(max_fd + 1, &rs, &ws, &es, &tv) < 0 && errno != EINTR) {
			log_error("http: select: %s", strerror(errno));
			break;
		}
		MHD_run_from_select(h->mhd, &rs, &ws, &es);
	}
	mbms_crypto_thread_cleanup();
	return NULL;
}

struct mbmsd_httpd *mbmsd_httpd_start(const char *host, uint16_t port, size_t max_body,
				      mbmsd_http_handler handler, void *user, char *err,
				      size_t err_cap)
{
	struct sockaddr_storage ss;
	memset(&ss, 0, sizeof(ss));
	unsigned flags = MHD_USE_ERROR_LOG;
	struct sockaddr_in *a4 = (struct sockaddr_in *)&ss;
	struct sockaddr_in6 *a6 = (struct sockaddr_in6 *)&ss;
	if (inet_pton(AF_INET, host, &a4->sin_addr) == 1) {
		a4->sin_family = AF_INET;
		a4->sin_port = htons(port);
	} else if (inet_pton(AF_INET6, host, &a6->sin6_addr) == 1) {
		a6->sin6_family = AF_INET6;
		a6->sin6_port = htons(port);
		flags |= MHD_USE_IPv6;
	} else {
		snprintf(err, err_cap, "listen address '%s' is not an IP address", host);
		return NULL;
	}
	struct mbmsd_httpd *h = calloc(1, sizeof(*h));
	if (!h) {
		snprintf(err, err_cap, "out of memory");
		return NULL;
	}
	h->handler = handler;
	h->user = user;
	h->max_body = max_body;
	h->mhd = MHD_start_daemon(flags, port, NULL, NULL, on_request, h,
				  MHD_OPTION_EXTERNAL_LOGGER, on_mhd_log, NULL,
				  MHD_OPTION_SOCK_ADDR, (struct sockaddr *)&ss,
				  MHD_OPTION_NOTIFY_COMPLETED, on_completed, NULL,
				  MHD_OPTION_CONNECTION_LIMIT, (unsigned)256,
				  MHD_OPTION_CONNECTION_TIMEOUT, (unsigned)30,
				  MHD_OPTION_END);
	if (!h->mhd) {
		snprintf(err, err_cap, "cannot listen on %s:%u", host, port);
		free(h);
		return NULL;
	}
	const union MHD_DaemonInfo *di = MHD_get_daemon_info(h->mhd, MHD_DAEMON_INFO_BIND_PORT);
	h->port = di ? di->port : port;
	atomic_init(&h->stop, false);
	if (pthread_create(&h->thread, NULL, serve, h) != 0) {
		snprintf(err, err_cap, "cannot start the HTTP thread");
		MHD_stop_daemon(h->mhd);
		free(h);
		return NULL;
	}
	return h;
}

uint16_t mbmsd_httpd_port(const struct mbmsd_httpd *h) { return h ? h->port : 0; }

void mbmsd_httpd_stop(struct mbmsd_httpd *h)
{
	if (!h)
		return;
	atomic_store(&h->stop, true);
	pthread_join(h->thread, NULL);
	MHD_stop_daemon(h->mhd);
	free(h);
}
