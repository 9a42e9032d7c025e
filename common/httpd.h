/* Daemon support: a small HTTP server over libmicrohttpd.
 *
 * The helper collects a request body across MHD's callbacks up to a size
 * limit (a bigger body gets 413 without reaching the handler), then calls
 * the handler once with the whole request; the handler fills a response
 * struct and the helper sends it. Bodies are wiped when freed (they may hold
 * keys). Each server runs MHD on one thread of its own: handlers of one server
 * never run concurrently. A handler that must wait for something slow (a
 * request to another server) defers it with mbmsd_http_defer: the work runs
 * on one of the server's worker threads while other requests are served,
 * and the handler is called again for the same request afterwards. A
 * server speaks plain HTTP or, when started with a certificate and key,
 * HTTPS.
 */
#ifndef MBMSD_HTTPD_H
#define MBMSD_HTTPD_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct MHD_Connection;
struct mbmsd_httpd;

struct mbmsd_http_request {
	struct MHD_Connection *conn;
	const char *method;
	const char *url; /* path only, without the query */
	const uint8_t *body;
	size_t body_len;
	char peer[64];   /* "ip:port" of the client, for logs */
	/* NULL, or the arg of the mbmsd_http_defer that parked this request:
	 * the work is done, this call answers */
	void *deferred;
	struct mbmsd_httpd *httpd; /* the helper's own */
	void *state;
};

/* Worker threads per server for deferred work (started when first needed). */
#define MBMSD_HTTP_WORKERS 4

#define MBMSD_HTTP_MAX_HEADERS 4

struct mbmsd_http_response {
	unsigned status;
	const char *content_type; /* NULL: no body */
	char *body;               /* malloc'd by the handler (mbmsd_http_set_body), or NULL */
	size_t body_len;
	struct {
		const char *name;
		char value[1024];
	} headers[MBMSD_HTTP_MAX_HEADERS];
	size_t nheaders;
};

/* Returns nothing: every request gets the response in resp (status 500
 * when the handler leaves it 0). */
typedef void (*mbmsd_http_handler)(void *user, const struct mbmsd_http_request *req,
				   struct mbmsd_http_response *resp);

/* Listen on host:port (IPv4 or IPv6 literal; port 0 picks one). NULL with
 * a message in err on failure. */
struct mbmsd_httpd *mbmsd_httpd_start(const char *host, uint16_t port, size_t max_body,
				      mbmsd_http_handler handler, void *user, char *err,
				      size_t err_cap);

/* ---- TLS (optional) ----
 * A listener started with TLS serves HTTPS only (libmicrohttpd over GnuTLS,
 * TLS 1.2 and 1.3; a plain-HTTP client fails the handshake). The daemon
 * configuration keys are tls_cert and tls_key (docs/operations.md "TLS"). */
struct mbmsd_tls {
	char *cert_pem;      /* certificate, then any chain, PEM, NUL-terminated */
	size_t cert_len;
	char *key_pem;       /* unencrypted private key, PEM; wiped when freed */
	size_t key_len;
	char subject[256];   /* of the certificate, for the start-up log */
	char not_after[32];  /* "2026-01-01T00:00:00Z" */
	bool expired;
};

/* Whether this libmicrohttpd was built with TLS. */
bool mbmsd_httpd_tls_supported(void);

/* Read and check a certificate and its private key: both PEM, the key
 * unencrypted and matching the certificate. Warns (through the log) when the
 * key file is readable by group or others or the certificate has expired.
 * 0, or -1 with a message in err. Free with mbmsd_tls_free. */
int mbmsd_tls_load(const char *cert_path, const char *key_path, struct mbmsd_tls *out,
		   char *err, size_t err_cap);
void mbmsd_tls_free(struct mbmsd_tls *tls);

/* The keys tls_cert and tls_key of [section] in a daemon's configuration
 * file (relative paths are taken relative to the file). Neither: 0 with
 * *enabled false. Both: loaded as by mbmsd_tls_load, *enabled true. One
 * alone, TLS missing from libmicrohttpd, a bad file: -1 with err. The
 * daemon's own configuration reader accepts the two keys and leaves them
 * to this function. */
int mbmsd_tls_from_config(const char *config_path, const char *section, struct mbmsd_tls *out,
			  bool *enabled, char *err, size_t err_cap);

/* As mbmsd_httpd_start; tls NULL = plain HTTP. The listener keeps its own
 * copy of the PEMs: tls may be freed once this returns. */
struct mbmsd_httpd *mbmsd_httpd_start_tls(const char *host, uint16_t port, size_t max_body,
					  const struct mbmsd_tls *tls,
					  mbmsd_http_handler handler, void *user, char *err,
					  size_t err_cap);
bool mbmsd_httpd_is_tls(const struct mbmsd_httpd *h);
uint16_t mbmsd_httpd_port(const struct mbmsd_httpd *h);
void mbmsd_httpd_stop(struct mbmsd_httpd *h);

/* Park this request: work(arg) runs on a worker thread of the server (at
 * most MBMSD_HTTP_WORKERS at once, the rest queued), and the handler is then
 * called again for the same request -- method, URL, headers and body as
 * before -- with req->deferred = arg, on the server's thread. The handler
 * leaves resp alone in the call that defers. The per-request deadline is
 * held meanwhile; work must end in bounded time (it also delays the
 * server's stop: bmscd aborts its HTTP lookups first, mbmsd_http_abort_all).
 * drop(arg) frees arg when the request ends without that second call (the
 * server stopped before it could answer). Once per request. 0, or -1 (out
 * of memory, stopping): then nothing was parked and the handler answers
 * itself. */
int mbmsd_http_defer(const struct mbmsd_http_request *req, void (*work)(void *arg),
		     void (*drop)(void *arg), void *arg);

/* Request helpers. */
const char *mbmsd_http_header(const struct mbmsd_http_request *req, const char *name);
const char *mbmsd_http_query(const struct mbmsd_http_request *req, const char *name);

/* Response helpers: copy a body in (0, or -1 when out of memory) and add a
 * header (-1 when full or too long). */
int mbmsd_http_set_body(struct mbmsd_http_response *resp, unsigned status,
			const char *content_type, const void *body, size_t len);
int mbmsd_http_add_header(struct mbmsd_http_response *resp, const char *name,
			  const char *value);
/* Status only, with a short text/plain reason as body. */
void mbmsd_http_status(struct mbmsd_http_response *resp, unsigned status, const char *text);

#endif
