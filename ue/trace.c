/* mbms-ue's event trace (--trace FILE or trace = FILE in [ue]; common/trace.h,
 * docs/trace.md). The rule of trace.h decides what the UE writes: the sender
 * traces a UDP message, the HTTP server (bmscd, bsfd) traces an HTTP
 * exchange. So mbms-ue writes
 *   - each verification message it sends (UE -> BM-SC, UDP/MIKEY);
 *   - each datagram it drops or rejects (a self-message: "MSK message",
 *     result "dropped: test fault injection" or "rejected: bad_mac"), except
 *     the routine ones (a repeated MTK message, traffic under an MSK we
 *     already asked for);
 *   - the local decisions that start or end a procedure: "missed key update"
 *     (6.3), "left the service" (6.2), "service refused" (6.1);
 *   - the messages no server could trace: an HTTP request or a bootstrap
 *     that got no answer at all (a self-message with the error);
 *   - SRTP packets of a [stream] it refused or dropped, summed up per stats
 *     period (ue/srtp.c), never one event per packet.
 * Only key IDs, never keys. Every function is a no-op without an open trace. */
#include "ued.h"

#include "trace.h"

#include "mbmssec/error.h"
#include "mbmssec/mbms_msg.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>

static char g_self[MBMSD_TRACE_ACTOR_MAX]; /* "UE <IMPI>" */

/* What the datagram being handled said in clear (set by ued_trace_rx_begin,
 * read by the events it sets off, cleared by ued_trace_rx_end). */
static struct {
	bool active, parsed;
	enum mbms_ue_port port;
	enum mbms_msg_kind kind;
	uint8_t key_domain[MBMSD_TRACE_KEY_DOMAIN_LEN];
	uint32_t msk_id;
	bool has_mtk_id;
	uint16_t mtk_id;
	uint32_t ts_counter;
	char bmsc[MBMSD_TRACE_ACTOR_MAX]; /* "BM-SC <IDi>" of an MSK message or trigger */
	uint64_t test_dropped;             /* counter before the datagram */
	bool mku;                          /* it set off a missed key update */
} g_rx;

int ued_trace_start(const char *config_path, const char *cli_path, const char *impi, char *err,
		    size_t err_cap)
{
	char path[UED_PATH_MAX];
	if (mbmsd_trace_config_path(config_path, "ue", path, sizeof(path), err, err_cap))
		return -1;
	if (!cli_path && !*path)
		return 0;
	if (mbmsd_trace_open(cli_path ? cli_path : path, err, err_cap))
		return -1;
	mbmsd_trace_actor(g_self, sizeof(g_self), MBMSD_TRACE_UE, impi);
	log_info("tracing MIKEY messages sent and dropped to %s", cli_path ? cli_path : path);
	return 0;
}

void ued_trace_stop(void) { mbmsd_trace_close(); }

static const char *msg_name(enum mbms_msg_kind kind)
{
	switch (kind) {
	case MBMS_MSG_MSK: return "MSK message";
	case MBMS_MSG_TRIGGER: return "trigger";
	case MBMS_MSG_MTK: return "MTK message";
	case MBMS_MSG_VERIFICATION: return "verification";
	default: return "datagram";
	}
}

/* "BM-SC <address>" for a peer we know only by its address */
static void bmsc_by_addr(const struct sockaddr_storage *ss, char *out, size_t cap)
{
	char ip[INET6_ADDRSTRLEN] = "?";
	if (ss->ss_family == AF_INET)
		inet_ntop(AF_INET, &((const struct sockaddr_in *)ss)->sin_addr, ip, sizeof(ip));
	else if (ss->ss_family == AF_INET6)
		inet_ntop(AF_INET6, &((const struct sockaddr_in6 *)ss)->sin6_addr, ip, sizeof(ip));
	mbmsd_trace_actor(out, cap, MBMSD_TRACE_BMSC, ip);
}

void ued_trace_rx_begin(const struct mbms_ue *ue, enum mbms_ue_port port, const uint8_t *buf,
			size_t len)
{
	if (!mbmsd_trace_on())
		return;
	memset(&g_rx, 0, sizeof(g_rx));
	g_rx.active = true;
	g_rx.port = port;
	struct mbms_ue_counters c;
	mbms_ue_counters(ue, &c);
	g_rx.test_dropped = c.rx_test_dropped;
	struct mbms_msg_info info;
	if (mbms_msg_parse(buf, len, MBMS_MSG_ANY, &info) != 0)
		return;
	g_rx.parsed = true;
	g_rx.kind = info.kind;
	memcpy(g_rx.key_domain, info.key_domain_id, sizeof(g_rx.key_domain));
	g_rx.msk_id = info.msk_id;
	g_rx.has_mtk_id = info.has_mtk_id;
	g_rx.mtk_id = info.mtk_id;
	g_rx.ts_counter = info.ts_counter;
	if (info.idi && info.idi_len && info.idi_len < 256)
		snprintf(g_rx.bmsc, sizeof(g_rx.bmsc), "%s %.*s", MBMSD_TRACE_BMSC,
			 (int)info.idi_len, (const char *)info.idi);
	mbms_msg_info_wipe(&info);
}

void ued_trace_rx_end(const struct mbms_ue *ue, int rc)
{
	if (!mbmsd_trace_on() || !g_rx.active)
		return;
	g_rx.active = false;
	/* Routine, not worth a row: a repeated MTK message (the BM-SC repeats
	 * the current one for late joiners); traffic under an MSK we lack, whose
	 * missed key update is traced as such or already under way. */
	if (rc == 0 || rc == MBMS_EMTKOLD || rc == MBMS_EUNKNOWNMSK)
		return;
	struct mbms_ue_counters c;
	mbms_ue_counters(ue, &c);
	char result[96];
	if (c.rx_test_dropped > g_rx.test_dropped)
		snprintf(result, sizeof(result), "dropped: test fault injection");
	else
		snprintf(result, sizeof(result), "%s: %s",
			 rc == MBMS_ENOTFOUND ? "dropped" : "rejected", mbms_errname(rc));
	char note[64];
	snprintf(note, sizeof(note), "on the %s port%s", g_rx.port == MBMS_UE_PORT_MTK ? "MTK" : "MIKEY",
		 g_rx.parsed ? "" : ", not a MIKEY message");
	if (g_rx.parsed && g_rx.port == MBMS_UE_PORT_MIKEY)
		snprintf(note, sizeof(note), "TS %u", g_rx.ts_counter);
	mbmsd_trace(.from = g_self, .to = g_self, .proto = MBMSD_TRACE_MIKEY,
		    .msg = g_rx.parsed ? msg_name(g_rx.kind) : "datagram", .result = result,
		    .key_domain = g_rx.parsed ? g_rx.key_domain : NULL, .has_msk_id = g_rx.parsed,
		    .msk_id = g_rx.msk_id, .has_mtk_id = g_rx.parsed && g_rx.has_mtk_id,
		    .mtk_id = g_rx.mtk_id, .note = note);
}

void ued_trace_sent(const uint8_t *msg, size_t len, const struct sockaddr_storage *to,
		    const char *error)
{
	if (!mbmsd_trace_on())
		return;
	struct mbms_msg_info info;
	memset(&info, 0, sizeof(info));
	bool parsed = mbms_msg_parse(msg, len, MBMS_MSG_ANY, &info) == 0;
	/* the BM-SC of the message it answers (its IDi), else its address */
	char peer[MBMSD_TRACE_ACTOR_MAX], note[64], result[96];
	if (g_rx.active && g_rx.bmsc[0])
		snprintf(peer, sizeof(peer), "%s", g_rx.bmsc);
	else
		bmsc_by_addr(to, peer, sizeof(peer));
	bool ack = parsed && info.kind == MBMS_MSG_VERIFICATION;
	snprintf(note, sizeof(note), "ack of %s TS %u",
		 g_rx.active && g_rx.parsed ? (g_rx.kind == MBMS_MSG_TRIGGER ? "trigger" : "MSK message")
					    : "message",
		 parsed ? info.ts_counter : 0);
	snprintf(result, sizeof(result), "%s%s", error ? "failed: " : "sent", error ? error : "");
	bool ids = g_rx.active && g_rx.parsed;
	mbmsd_trace(.from = g_self, .to = peer, .proto = MBMSD_TRACE_MIKEY,
		    .msg = ack ? "verification" : parsed ? msg_name(info.kind) : "datagram",
		    .result = result, .key_domain = ids ? g_rx.key_domain : NULL,
		    .has_msk_id = ids || parsed, .msk_id = ids ? g_rx.msk_id : info.csb_id,
		    .note = ack ? note : NULL);
	if (parsed)
		mbms_msg_info_wipe(&info);
}

void ued_trace_event(const struct mbms_ue_action *a)
{
	if (!mbmsd_trace_on())
		return;
	switch (a->event) {
	case MBMS_UE_EV_MISSED_KEY_UPDATE: {
		/* key IDs of the traffic that set it off, when a datagram did */
		bool ids = g_rx.active && g_rx.parsed;
		mbmsd_trace(.from = g_self, .to = g_self, .proto = MBMSD_TRACE_MIKEY,
			    .msg = "missed key update", .result = "request scheduled",
			    .key_domain = ids ? g_rx.key_domain : NULL, .has_msk_id = ids,
			    .msk_id = g_rx.msk_id, .note = a->text);
		break;
	}
	case MBMS_UE_EV_SERVICE_LEFT:
		mbmsd_trace(.from = g_self, .to = g_self, .proto = MBMSD_TRACE_HTTP,
			    .msg = "left the service", .result = "left", .note = a->text);
		break;
	case MBMS_UE_EV_SERVICE_REFUSED:
		mbmsd_trace(.from = g_self, .to = g_self, .proto = MBMSD_TRACE_HTTP,
			    .msg = "service refused", .result = "refused", .note = a->text);
		break;
	default:
		break;
	}
}

void ued_trace_http_failed(const struct mbms_ue_http_request *q, const char *error)
{
	if (!mbmsd_trace_on())
		return;
	/* "POST msk-request" as bmscd names it, else "GET /path" */
	char msg[160];
	const char *rt = strstr(q->url, "requesttype=");
	const char *path = strstr(q->url, "://");
	path = path ? strchr(path + 3, '/') : NULL;
	if (rt)
		snprintf(msg, sizeof(msg), "%s %.60s", q->method, rt + strlen("requesttype="));
	else
		snprintf(msg, sizeof(msg), "%s %.120s", q->method, path ? path : "/");
	char result[96];
	snprintf(result, sizeof(result), "failed: no answer");
	mbmsd_trace(.from = g_self, .to = g_self, .proto = MBMSD_TRACE_HTTP, .msg = msg,
		    .result = result, .note = error);
}

void ued_trace_bootstrap_failed(const char *error)
{
	if (!mbmsd_trace_on())
		return;
	mbmsd_trace(.from = g_self, .to = g_self, .proto = MBMSD_TRACE_UB, .msg = "GET / (Ub)",
		    .result = "failed: no answer", .note = error);
}

void ued_trace_srtp_dropped(const char *stream, bool forged, uint64_t n, const char *detail)
{
	if (!mbmsd_trace_on() || !n)
		return;
	/* one event per stats period, not per packet (ue/srtp.c log_drops) */
	char result[96], note[256];
	snprintf(result, sizeof(result), "%s: %llu packet(s)", forged ? "rejected" : "dropped",
		 (unsigned long long)n);
	snprintf(note, sizeof(note), "stream %s: %s", stream, detail);
	mbmsd_trace(.from = g_self, .to = g_self, .proto = "SRTP", .msg = "SRTP packets",
		    .result = result, .note = note);
}
