/* HTTP server glue over libmicrohttpd 0.9.75 (see httpd.h). */
#include "httpd.h"

#include "config.h"
#include "conn_deadline.h"
#include "log.h"

#include "mbmssec/crypto.h"
#include "mbmssec/error.h"
#include "mbmssec/ini.h"

#include <arpa/inet.h>
#include <errno.h>
#include <microhttpd.h>
#include <netinet/in.h>
#include <poll.h>
#include <openssl/bio.h>
#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sys/eventfd.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

/* PEM files are small; this only bounds what a wrong path can make us read. */
#define TLS_FILE_MAX (256 * 1024)

/* GnuTLS priority string: its defaults, but no protocol older than TLS 1.2. */
static char tls_priorities[] = "NORMAL:-VERS-ALL:+VERS-TLS1.3:+VERS-TLS1.2";

struct mbmsd_httpd {
	struct MHD_Daemon *mhd;
	mbmsd_http_handler handler;
	void *user;
	size_t max_body;
	uint16_t port;
	pthread_t thread;
	atomic_bool stop;
	/* our copies of the PEMs given to MHD, NULL without TLS */
	char *cert_pem, *key_pem;
	size_t cert_len, key_len;
	struct mbmsd_conn_list conns; /* per-request deadline (conn_deadline.h) */
	/* deferred work (mbmsd_http_defer): a queue and worker threads, made
	 * at the first deferral */
	pthread_mutex_t work_lock;
	pthread_cond_t work_cond;
	struct http_job *work_head, *work_tail;
	pthread_t workers[MBMSD_HTTP_WORKERS];
	unsigned nworkers;
	bool work_stop;
	int wake_fd; /* eventfd: a worker resumed a connection (MHD's own signal does
		      * not reach a loop that polls MHD's epoll descriptor) */
};

/* Per-request state kept across MHD's calls. */
struct req_state {
	uint8_t *body;
	size_t len, cap;
	bool too_large;
	bool deferred; /* parked: its work runs on a worker, the handler comes again */
	void *work_arg;  /* the handler's until it is called again with it */
	void (*work_drop)(void *arg); /* frees work_arg if that call never comes */
};

/* One deferred piece of work: run it, then resume the parked connection. */
struct http_job {
	struct http_job *next;
	struct MHD_Connection *conn;
	void (*work)(void *arg);
	void *arg;
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
			.deferred = st->deferred ? st->work_arg : NULL,
			.httpd = h,
			.state = st,
		};
		if (st->deferred) { /* back from its work: the deadline runs again */
			st->deferred = false;
			st->work_arg = NULL; /* the handler's again */
			st->work_drop = NULL;
			mbmsd_conn_hold(conn, false);
		}
		peer_of(conn, req.peer, sizeof(req.peer));
		h->handler(h->user, &req, &resp);
		if (st->deferred) {
			/* parked by mbmsd_http_defer: no answer now */
			mbmsd_conn_hold(conn, true);
			MHD_suspend_connection(conn);
			return MHD_YES;
		}
	}
	return send_response(conn, &resp);
}

/* ---- deferred work ---- */

static void *worker(void *arg)
{
	struct mbmsd_httpd *h = arg;
	pthread_mutex_lock(&h->work_lock);
	for (;;) {
		while (!h->work_head && !h->work_stop)
			pthread_cond_wait(&h->work_cond, &h->work_lock);
		struct http_job *j = h->work_head;
		if (!j)
			break; /* stopping, and nothing left: every parked request was resumed */
		h->work_head = j->next;
		if (!h->work_head)
			h->work_tail = NULL;
		pthread_mutex_unlock(&h->work_lock);
		j->work(j->arg);
		MHD_resume_connection(j->conn); /* thread-safe */
		free(j);
		uint64_t one = 1; /* the loop runs MHD at once, not at its next timeout */
		if (write(h->wake_fd, &one, sizeof(one)) < 0 && errno != EAGAIN)
			log_warn("http: wake: %s", strerror(errno));
		pthread_mutex_lock(&h->work_lock);
	}
	pthread_mutex_unlock(&h->work_lock);
	mbms_crypto_thread_cleanup();
	return NULL;
}

int mbmsd_http_defer(const struct mbmsd_http_request *req, void (*work)(void *arg),
		     void (*drop)(void *arg), void *arg)
{
	struct mbmsd_httpd *h = req->httpd;
	struct req_state *st = req->state;
	if (!h || !st || st->deferred || req->deferred)
		return -1; /* once per handler call, not again from the call that ends it */
	struct http_job *j = calloc(1, sizeof(*j));
	if (!j)
		return -1;
	j->conn = req->conn;
	j->work = work;
	j->arg = arg;
	pthread_mutex_lock(&h->work_lock);
	if (h->work_stop) {
		pthread_mutex_unlock(&h->work_lock);
		free(j);
		return -1;
	}
	if (h->nworkers < MBMSD_HTTP_WORKERS) {
		/* one more worker while there are fewer than jobs in flight could use */
		if (pthread_create(&h->workers[h->nworkers], NULL, worker, h) == 0)
			h->nworkers++;
		else if (h->nworkers == 0) {
			pthread_mutex_unlock(&h->work_lock);
			free(j);
			return -1;
		}
	}
	if (h->work_tail)
		h->work_tail->next = j;
	else
		h->work_head = j;
	h->work_tail = j;
	pthread_cond_signal(&h->work_cond);
	pthread_mutex_unlock(&h->work_lock);
	st->deferred = true;
	st->work_arg = arg;
	st->work_drop = drop;
	return 0;
}

/* Let the workers finish every queued job (each resumes its connection),
 * then end them: before MHD_stop_daemon, which wants no connection parked. */
static void workers_stop(struct mbmsd_httpd *h)
{
	pthread_mutex_lock(&h->work_lock);
	h->work_stop = true;
	pthread_cond_broadcast(&h->work_cond);
	pthread_mutex_unlock(&h->work_lock);
	for (unsigned i = 0; i < h->nworkers; i++)
		pthread_join(h->workers[i], NULL);
	h->nworkers = 0;
}

static void on_completed(void *cls, struct MHD_Connection *conn, void **con_cls,
			 enum MHD_RequestTerminationCode toe)
{
	(void)cls;
	(void)toe;
	mbmsd_conn_request_done(conn);
	struct req_state *st = *con_cls;
	if (!st)
		return;
	if (st->work_arg && st->work_drop) /* ended before its handler came back (a stop) */
		st->work_drop(st->work_arg);
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

/* MHD in external-epoll mode on a thread of ours, so that the thread can
 * free its per-thread crypto contexts when it ends (MHD's own threads give
 * no such hook). epoll rather than select(): no O(connections) fd_set
 * rebuilt and scanned on every turn (figure 5 of docs/benchmarks.md), and
 * no FD_SETSIZE limit on descriptor numbers. The wait is capped at 100 ms
 * to notice `stop`; MHD_run() then handles whatever is ready without
 * blocking. */
static void *serve(void *arg)
{
	struct mbmsd_httpd *h = arg;
	const union MHD_DaemonInfo *di = MHD_get_daemon_info(h->mhd, MHD_DAEMON_INFO_EPOLL_FD);
	int efd = di ? di->epoll_fd : -1;
	if (efd < 0)
		log_error("http: no epoll descriptor from libmicrohttpd");
	while (efd >= 0 && !atomic_load(&h->stop)) {
		MHD_UNSIGNED_LONG_LONG mhd_ms = 0;
		int ms = 100;
		if (MHD_get_timeout(h->mhd, &mhd_ms) == MHD_YES && mhd_ms < (MHD_UNSIGNED_LONG_LONG)ms)
			ms = (int)mhd_ms;
		/* poll() the epoll descriptor (readable when events are ready):
		 * an epoll_wait() here would take MHD's edge-triggered events */
		struct pollfd pfd[2] = {{.fd = efd, .events = POLLIN},
					{.fd = h->wake_fd, .events = POLLIN}};
		if (poll(pfd, 2, ms) < 0 && errno != EINTR) {
			log_error("http: poll: %s", strerror(errno));
			break;
		}
		if (pfd[1].revents & POLLIN) {
			uint64_t n;
			if (read(h->wake_fd, &n, sizeof(n)) < 0 && errno != EAGAIN)
				log_warn("http: wake: %s", strerror(errno));
		}
		MHD_run(h->mhd);
		mbmsd_conn_sweep(&h->conns);
	}
	mbms_crypto_thread_cleanup();
	return NULL;
}

/* ---- TLS ---- */

bool mbmsd_httpd_tls_supported(void)
{
	return MHD_is_feature_supported(MHD_FEATURE_TLS) == MHD_YES;
}

/* An encrypted key would otherwise make OpenSSL prompt on the terminal. */
static int no_passphrase(char *buf, int size, int rwflag, void *user)
{
	(void)buf;
	(void)size;
	(void)rwflag;
	(void)user;
	return -1;
}

static void asn1_time_iso(const ASN1_TIME *t, char *out, size_t cap)
{
	struct tm tm;
	if (!t || ASN1_TIME_to_tm(t, &tm) != 1 || !strftime(out, cap, "%Y-%m-%dT%H:%M:%SZ", &tm))
		snprintf(out, cap, "?");
}

void mbmsd_tls_free(struct mbmsd_tls *tls)
{
	if (!tls)
		return;
	mbmsd_file_free(tls->cert_pem, tls->cert_len);
	mbmsd_file_free(tls->key_pem, tls->key_len);
	memset(tls, 0, sizeof(*tls));
}

int mbmsd_tls_load(const char *cert_path, const char *key_path, struct mbmsd_tls *out,
		   char *err, size_t err_cap)
{
	memset(out, 0, sizeof(*out));
	if (!mbmsd_httpd_tls_supported()) {
		snprintf(err, err_cap, "TLS requested, but this libmicrohttpd was built without "
				       "TLS support");
		return -1;
	}
	if (mbmsd_file_read(cert_path, TLS_FILE_MAX, &out->cert_pem, &out->cert_len, err,
			    err_cap) ||
	    mbmsd_file_read(key_path, TLS_FILE_MAX, &out->key_pem, &out->key_len, err, err_cap)) {
		mbmsd_tls_free(out);
		return -1;
	}
	struct stat st;
	if (stat(key_path, &st) == 0 && (st.st_mode & 077))
		log_warn("%s: the private key is readable by group or others (chmod 600)",
			 key_path);

	int ret = -1;
	X509 *cert = NULL;
	EVP_PKEY *key = NULL;
	BIO *bio = BIO_new_mem_buf(out->cert_pem, (int)out->cert_len);
	if (bio)
		cert = PEM_read_bio_X509(bio, NULL, no_passphrase, NULL);
	BIO_free(bio);
	if (!cert) {
		snprintf(err, err_cap, "%s: no PEM certificate", cert_path);
		goto out;
	}
	bio = BIO_new_mem_buf(out->key_pem, (int)out->key_len);
	if (bio)
		key = PEM_read_bio_PrivateKey(bio, NULL, no_passphrase, NULL);
	BIO_free(bio);
	if (!key) {
		snprintf(err, err_cap, "%s: no unencrypted PEM private key", key_path);
		goto out;
	}
	if (X509_check_private_key(cert, key) != 1) {
		snprintf(err, err_cap, "%s: the key does not match the certificate in %s", key_path,
			 cert_path);
		goto out;
	}
	if (!X509_NAME_oneline(X509_get_subject_name(cert), out->subject, sizeof(out->subject)))
		snprintf(out->subject, sizeof(out->subject), "?");
	asn1_time_iso(X509_get0_notAfter(cert), out->not_after, sizeof(out->not_after));
	/* -1: notAfter lies before now */
	out->expired = X509_cmp_current_time(X509_get0_notAfter(cert)) < 0;
	if (out->expired)
		log_warn("%s: the certificate expired at %s", cert_path, out->not_after);
	ret = 0;
out:
	X509_free(cert);
	EVP_PKEY_free(key);
	ERR_clear_error();
	if (ret)
		mbmsd_tls_free(out);
	return ret;
}

struct tls_keys {
	const char *config_path;
	const char *section;
	char cert[4096], key[4096];
	bool has_cert, has_key;
};

static int tls_on_key(void *user, const char *section, const char *sub, const char *key,
		      const char *value, unsigned line, struct mbms_ini_error *err)
{
	struct tls_keys *k = user;
	(void)line;
	if (*sub || strcmp(section, k->section) != 0)
		return 0;
	char *path;
	bool *has;
	if (strcmp(key, "tls_cert") == 0) {
		path = k->cert;
		has = &k->has_cert;
	} else if (strcmp(key, "tls_key") == 0) {
		path = k->key;
		has = &k->has_key;
	} else {
		return 0;
	}
	if (*has) {
		snprintf(err->msg, sizeof(err->msg), "'%s' given twice", key);
		return MBMS_EINVAL;
	}
	if (!*value || mbmsd_config_path(k->config_path, value, path, sizeof(k->cert))) {
		snprintf(err->msg, sizeof(err->msg), "%s: bad path", key);
		return MBMS_EINVAL;
	}
	*has = true;
	return 0;
}

int mbmsd_tls_from_config(const char *config_path, const char *section, struct mbmsd_tls *out,
			  bool *enabled, char *err, size_t err_cap)
{
	memset(out, 0, sizeof(*out));
	*enabled = false;
	struct tls_keys k;
	memset(&k, 0, sizeof(k));
	k.config_path = config_path;
	k.section = section;
	char *buf;
	size_t len;
	if (mbmsd_file_read(config_path, MBMSD_CONFIG_MAX, &buf, &len, err, err_cap))
		return -1;
	struct mbms_ini_error ie;
	memset(&ie, 0, sizeof(ie));
	int rc = mbms_ini_parse(buf, len, NULL, tls_on_key, &k, &ie);
	mbmsd_file_free(buf, len);
	if (rc) {
		snprintf(err, err_cap, "%s:%u: %s", config_path, ie.line, ie.msg);
		return -1;
	}
	if (!k.has_cert && !k.has_key)
		return 0;
	if (!k.has_cert || !k.has_key) {
		snprintf(err, err_cap, "%s: [%s] tls_cert and tls_key go together", config_path,
			 section);
		return -1;
	}
	if (mbmsd_tls_load(k.cert, k.key, out, err, err_cap))
		return -1;
	*enabled = true;
	return 0;
}

static char *pem_copy(const char *pem, size_t len)
{
	char *c = malloc(len + 1);
	if (c) {
		memcpy(c, pem, len);
		c[len] = '\0';
	}
	return c;
}

static void httpd_free(struct mbmsd_httpd *h)
{
	mbmsd_file_free(h->cert_pem, h->cert_len + 1);
	mbmsd_file_free(h->key_pem, h->key_len + 1);
	pthread_mutex_destroy(&h->work_lock);
	pthread_cond_destroy(&h->work_cond);
	if (h->wake_fd >= 0)
		close(h->wake_fd);
	free(h);
}

bool mbmsd_httpd_is_tls(const struct mbmsd_httpd *h) { return h && h->key_pem; }

struct mbmsd_httpd *mbmsd_httpd_start(const char *host, uint16_t port, size_t max_body,
				      mbmsd_http_handler handler, void *user, char *err,
				      size_t err_cap)
{
	return mbmsd_httpd_start_tls(host, port, max_body, NULL, handler, user, err, err_cap);
}

struct mbmsd_httpd *mbmsd_httpd_start_tls(const char *host, uint16_t port, size_t max_body,
					  const struct mbmsd_tls *tls,
					  mbmsd_http_handler handler, void *user, char *err,
					  size_t err_cap)
{
	struct sockaddr_storage ss;
	memset(&ss, 0, sizeof(ss));
	unsigned flags = MHD_USE_ERROR_LOG | MHD_USE_EPOLL | MHD_ALLOW_SUSPEND_RESUME;
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
	h->wake_fd = -1;
	h->handler = handler;
	h->user = user;
	h->max_body = max_body;
	pthread_mutex_init(&h->work_lock, NULL);
	pthread_cond_init(&h->work_cond, NULL);
	h->wake_fd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
	if (h->wake_fd < 0) {
		snprintf(err, err_cap, "eventfd: %s", strerror(errno));
		httpd_free(h);
		return NULL;
	}
	struct MHD_OptionItem tls_opts[4] = {{MHD_OPTION_END, 0, NULL}};
	if (tls) {
		if (!mbmsd_httpd_tls_supported()) {
			snprintf(err, err_cap, "TLS requested, but this libmicrohttpd was built "
					       "without TLS support");
			httpd_free(h);
			return NULL;
		}
		if (!tls->cert_pem || !tls->key_pem) {
			snprintf(err, err_cap, "TLS requested without certificate or key");
			httpd_free(h);
			return NULL;
		}
		h->cert_pem = pem_copy(tls->cert_pem, tls->cert_len);
		h->cert_len = tls->cert_len;
		h->key_pem = pem_copy(tls->key_pem, tls->key_len);
		h->key_len = tls->key_len;
		if (!h->cert_pem || !h->key_pem) {
			snprintf(err, err_cap, "out of memory");
			httpd_free(h);
			return NULL;
		}
		flags |= MHD_USE_TLS;
		tls_opts[0] = (struct MHD_OptionItem){MHD_OPTION_HTTPS_MEM_CERT, 0, h->cert_pem};
		tls_opts[1] = (struct MHD_OptionItem){MHD_OPTION_HTTPS_MEM_KEY, 0, h->key_pem};
		tls_opts[2] = (struct MHD_OptionItem){MHD_OPTION_HTTPS_PRIORITIES, 0,
						      tls_priorities};
		tls_opts[3] = (struct MHD_OptionItem){MHD_OPTION_END, 0, NULL};
	}
	h->mhd = MHD_start_daemon(flags, port, NULL, NULL, on_request, h,
				  MHD_OPTION_EXTERNAL_LOGGER, on_mhd_log, NULL,
				  MHD_OPTION_SOCK_ADDR, (struct sockaddr *)&ss,
				  MHD_OPTION_NOTIFY_COMPLETED, on_completed, NULL,
				  MHD_OPTION_CONNECTION_LIMIT, (unsigned)256,
				  MHD_OPTION_CONNECTION_TIMEOUT, (unsigned)30,
				  MHD_OPTION_NOTIFY_CONNECTION, mbmsd_conn_notify, &h->conns,
				  MHD_OPTION_ARRAY, tls_opts,
				  MHD_OPTION_END);
	if (!h->mhd) {
		if (tls)
			snprintf(err, err_cap, "cannot start HTTPS on %s:%u (address in use, or "
					       "GnuTLS refused the certificate or key: see above)",
				 host, port);
		else
			snprintf(err, err_cap, "cannot listen on %s:%u", host, port);
		httpd_free(h);
		return NULL;
	}
	const union MHD_DaemonInfo *di = MHD_get_daemon_info(h->mhd, MHD_DAEMON_INFO_BIND_PORT);
	h->port = di ? di->port : port;
	atomic_init(&h->stop, false);
	if (pthread_create(&h->thread, NULL, serve, h) != 0) {
		snprintf(err, err_cap, "cannot start the HTTP thread");
		MHD_stop_daemon(h->mhd);
		httpd_free(h);
		return NULL;
	}
	return h;
}

uint16_t mbmsd_httpd_port(const struct mbmsd_httpd *h) { return h ? h->port : 0; }

void mbmsd_httpd_stop(struct mbmsd_httpd *h)
{
	if (!h)
		return;
	workers_stop(h); /* parked requests are resumed (and answered while the loop runs) */
	atomic_store(&h->stop, true);
	pthread_join(h->thread, NULL);
	MHD_stop_daemon(h->mhd);
	mbmsd_conn_list_free(&h->conns);
	httpd_free(h);
}
