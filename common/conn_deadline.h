/* Daemon support: a deadline for each HTTP request, on top of
 * libmicrohttpd's idle timeout (docs/security.md, "slow clients").
 *
 * MHD_OPTION_CONNECTION_TIMEOUT only closes a connection that stays SILENT
 * that long: a client that trickles one byte every few seconds keeps a
 * connection slot forever (slowloris), and 256 of them block the listener.
 * Here every connection must complete each request -- headers and body
 * from its first byte, or from the end of the previous response on a
 * kept-alive connection -- within MBMSD_HTTP_REQUEST_DEADLINE_S seconds;
 * otherwise its socket is shut down and libmicrohttpd closes it.
 *
 * Used by common/httpd.c: the notify callback is registered with
 * MHD_OPTION_NOTIFY_CONNECTION, mbmsd_conn_request_done() is called when a
 * response was sent, mbmsd_conn_sweep() from the server's loop. All on the
 * server's one thread (external select mode): no locking.
 */
#ifndef MBMSD_CONN_DEADLINE_H
#define MBMSD_CONN_DEADLINE_H

#include <microhttpd.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* 64 KiB of body + 8 KiB of headers in 30 s: >= 2.4 KB/s. */
#define MBMSD_HTTP_REQUEST_DEADLINE_S 30

struct mbmsd_conn;
struct mbmsd_conn_list {
	struct mbmsd_conn *head;
	size_t count;
	uint64_t deadline_ms; /* 0: MBMSD_HTTP_REQUEST_DEADLINE_S */
	uint64_t cut;         /* connections shut down for missing the deadline */
};

/* MHD_NotifyConnectionCallback; cls = struct mbmsd_conn_list *. */
void mbmsd_conn_notify(void *cls, struct MHD_Connection *conn, void **socket_context,
		       enum MHD_ConnectionNotificationCode toe);
/* A response on conn was sent: the next request gets a fresh deadline. */
void mbmsd_conn_request_done(struct MHD_Connection *conn);
/* A parked request (mbmsd_http_defer) is not cut while held; on release
 * it gets a fresh deadline. */
void mbmsd_conn_hold(struct MHD_Connection *conn, bool held);
/* Shut down every connection past its deadline. */
void mbmsd_conn_sweep(struct mbmsd_conn_list *l);
/* After MHD_stop_daemon: free what is still tracked. */
void mbmsd_conn_list_free(struct mbmsd_conn_list *l);

#endif
