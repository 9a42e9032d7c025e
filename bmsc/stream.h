/* bmscd: the SRTP streaming source (docs/traffic.md, docs/bmsc.md
 * "Streaming"). A session's stream reads a length-prefixed RTP file or
 * generates a test stream, protects each packet with libsrtp2 under the
 * MTK the library chooses (mbms_bmsc_stream_key: the MTK message of a new
 * MTK leaves before the first packet that uses it) and sends it to the
 * session's srtp_send_to destinations. Started and watched over the admin
 * listener (bmscd ctl stream / stream-stop / stream-status / mtk). */
#ifndef BMSCD_STREAM_H
#define BMSCD_STREAM_H

#include "bmscd.h"

#include "mbmssec/ini.h"

#include <event2/event.h>
#include <stdbool.h>

/* Start-up, after the event base exists (the loop thread owns the timer):
 * the SRTP socket, libsrtp. 0, or -1 with err. */
int bmscd_stream_init(struct bmscd *d, struct event_base *base, char *err, size_t cap);
/* Shut-down, before the core is freed. */
void bmscd_stream_shutdown(void);
/* On the loop thread after a wake-up: arm the stream timer when a stream
 * was started from an admin thread. */
void bmscd_stream_kick(void);
/* Admin requests: POST /stream, POST /stream/stop, GET /stream, POST /mtk.
 * true when it answered. */
bool bmscd_stream_admin(struct bmscd *d, const struct mbmsd_http_request *req,
			struct mbmsd_http_response *resp);
/* `bmscd ctl stream|stream-stop|stream-status|mtk ...`: the exit code, or
 * -1 when argv names none of these commands. */
int bmscd_stream_ctl(int argc, char **argv);
/* [session] srtp_send_to = host:port, ... (config.c). */
int bmscd_stream_cfg_send_to(struct bmscd_config *c, size_t idx, const char *value,
			     struct mbms_ini_error *err);

#endif
