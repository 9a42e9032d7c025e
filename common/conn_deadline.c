/* Per-request deadline for libmicrohttpd connections (conn_deadline.h). */
#include "conn_deadline.h"

#include "log.h"

#include <stdbool.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <time.h>

struct mbmsd_conn {
	struct mbmsd_conn *prev, *next;
	struct mbmsd_conn_list *list;
	MHD_socket fd;
	uint64_t since_ms; /* start of the request under way */
	bool cut;
	bool held; /* parked request: no deadline */
};

static uint64_t mono_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
}

void mbmsd_conn_notify(void *cls, struct MHD_Connection *conn, void **socket_context,
		       enum MHD_ConnectionNotificationCode toe)
{
	struct mbmsd_conn_list *l = cls;
	if (toe == MHD_CONNECTION_NOTIFY_STARTED) {
		const union MHD_ConnectionInfo *ci =
			MHD_get_connection_info(conn, MHD_CONNECTION_INFO_CONNECTION_FD);
		struct mbmsd_conn *c = calloc(1, sizeof(*c));
		if (!c || !ci) { /* untracked: MHD's idle timeout still applies */
			free(c);
			*socket_context = NULL;
			return;
		}
		c->list = l;
		c->fd = ci->connect_fd;
		c->since_ms = mono_ms();
		c->next = l->head;
		if (l->head)
			l->head->prev = c;
		l->head = c;
		l->count++;
		*socket_context = c;
		return;
	}
	struct mbmsd_conn *c = *socket_context;
	if (toe != MHD_CONNECTION_NOTIFY_CLOSED || !c)
		return;
	if (c->prev)
		c->prev->next = c->next;
	else
		c->list->head = c->next;
	if (c->next)
		c->next->prev = c->prev;
	c->list->count--;
	free(c);
	*socket_context = NULL;
}

void mbmsd_conn_request_done(struct MHD_Connection *conn)
{
	const union MHD_ConnectionInfo *ci =
		MHD_get_connection_info(conn, MHD_CONNECTION_INFO_SOCKET_CONTEXT);
	struct mbmsd_conn *c = ci ? ci->socket_context : NULL;
	if (c)
		c->since_ms = mono_ms();
}

void mbmsd_conn_hold(struct MHD_Connection *conn, bool held)
{
	const union MHD_ConnectionInfo *ci =
		MHD_get_connection_info(conn, MHD_CONNECTION_INFO_SOCKET_CONTEXT);
	struct mbmsd_conn *c = ci ? ci->socket_context : NULL;
	if (c) {
		c->held = held;
		c->since_ms = mono_ms();
	}
}

void mbmsd_conn_sweep(struct mbmsd_conn_list *l)
{
	uint64_t now = mono_ms();
	uint64_t limit = l->deadline_ms ? l->deadline_ms : MBMSD_HTTP_REQUEST_DEADLINE_S * 1000u;
	for (struct mbmsd_conn *c = l->head; c; c = c->next) {
		if (c->cut || c->held || now - c->since_ms < limit)
			continue;
		/* shutdown, not close: the descriptor stays MHD's until it
		 * notices the end of the stream and closes the connection. */
		c->cut = true;
		l->cut++;
		shutdown(c->fd, SHUT_RDWR);
		log_info("http: connection closed: request not complete within %llu s (slow "
			 "client)",
			 (unsigned long long)(limit / 1000));
	}
}

void mbmsd_conn_list_free(struct mbmsd_conn_list *l)
{
	while (l->head) {
		struct mbmsd_conn *c = l->head;
		l->head = c->next;
		free(c);
	}
	l->count = 0;
}
