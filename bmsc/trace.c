/* bmscd's event trace (--trace FILE or trace = FILE in [bmsc]; common/trace.h,
 * docs/trace.md): the HTTP exchanges it serves (request and answer), the
 * MIKEY messages it sends, the verification messages it rejects and the
 * admin actions. Names only key IDs, never keys. Every function is a no-op
 * without an open trace. */
#include "bmscd.h"

#include "trace.h"

#include "mbmssec/error.h"
#include "mbmssec/mbms_msg.h"

#include <stdio.h>
#include <string.h>

static const char *self(struct bmscd *d)
{
	if (!d->trace_self[0])
		mbmsd_trace_actor(d->trace_self, sizeof(d->trace_self), MBMSD_TRACE_BMSC, d->cfg.fqdn);
	return d->trace_self;
}

/* "UE <IMPI>" when known, else "UE <IP>" (docs/trace.md: actor names) */
static const char *ue_actor(char *out, size_t cap, const char *impi,
			    const struct mbms_bmsc_addr *addr)
{
	if (impi && *impi)
		return mbmsd_trace_actor(out, cap, MBMSD_TRACE_UE, impi);
	char ip[64] = "?";
	if (mbms_bmsc_addr_format(addr, ip, sizeof(ip)) == 0) {
		/* the address without the port */
		char *colon = strrchr(ip, ':');
		if (colon)
			*colon = '\0';
	}
	return mbmsd_trace_actor(out, cap, MBMSD_TRACE_UE, ip);
}

void bmscd_trace_http(struct bmscd *d, const struct mbms_bmsc_http_req *req,
		      const struct mbms_bmsc_http_rsp *r)
{
	if (!mbmsd_trace_on())
		return;
	char ue[MBMSD_TRACE_ACTOR_MAX], msg[160], answer[160];
	ue_actor(ue, sizeof(ue), r->impi, &req->peer);
	bool km = req->requesttype && strcmp(req->path, MBMS_PROFILE_KM_PATH) == 0;
	if (km)
		snprintf(msg, sizeof(msg), "%s %s", req->method, req->requesttype);
	else
		snprintf(msg, sizeof(msg), "%s %.120s", req->method, req->path);
	const char *what = r->status == 401   ? "Digest challenge"
			   : r->status != 200 ? "refused"
			   : !km              ? "announcement"
			   : strcmp(req->requesttype, "msk-request") == 0 ? "MSK response"
									   : "register response";
	snprintf(answer, sizeof(answer), "%u %s", r->status, what);
	const char *note = strstr(r->www_authenticate, "stale=true") ? "stale nonce" : NULL;
	mbmsd_trace(.from = ue, .to = self(d), .proto = MBMSD_TRACE_HTTP, .msg = msg);
	mbmsd_trace(.from = self(d), .to = ue, .proto = MBMSD_TRACE_HTTP, .msg = answer,
		    .code = r->status, .note = note);
}

void bmscd_trace_send(struct bmscd *d, const struct mbms_bmsc_action *a)
{
	if (!mbmsd_trace_on())
		return;
	struct mbms_msg_info info;
	if (mbms_msg_parse(a->u.send.data, a->u.send.len, MBMS_MSG_ANY, &info) != 0)
		return;
	char ue[MBMSD_TRACE_ACTOR_MAX], note[64];
	const char *msg = info.kind == MBMS_MSG_MSK       ? "MSK message"
			  : info.kind == MBMS_MSG_TRIGGER ? "trigger"
			  : info.kind == MBMS_MSG_MTK     ? "MTK message"
							  : mbms_msg_kind_name(info.kind);
	if (a->u.send.impi[0]) {
		ue_actor(ue, sizeof(ue), a->u.send.impi, &a->u.send.to);
	} else {
		char to[64];
		mbms_bmsc_addr_format(&a->u.send.to, to, sizeof(to));
		mbmsd_trace_actor(ue, sizeof(ue), MBMSD_TRACE_UE, to); /* MTK destination */
	}
	snprintf(note, sizeof(note), "TS %u%s", info.ts_counter, info.v_flag ? ", V" : "");
	mbmsd_trace(.from = self(d), .to = ue, .proto = MBMSD_TRACE_MIKEY, .msg = msg,
		    .result = "sent", .key_domain = info.key_domain_id, MBMSD_TRACE_MSK(info.msk_id),
		    .has_mtk_id = info.has_mtk_id, .mtk_id = info.mtk_id, .note = note);
}

void bmscd_trace_rejected(struct bmscd *d, const struct mbms_bmsc_addr *from, int rc)
{
	if (!mbmsd_trace_on() || rc == 0)
		return;
	char result[64], note[96], addr[64];
	mbms_bmsc_addr_format(from, addr, sizeof(addr));
	snprintf(result, sizeof(result), "%s: %s", rc == MBMS_ENOTFOUND ? "dropped" : "rejected",
		 rc == MBMS_ENOTFOUND ? "no pending push" : mbms_errname(rc));
	snprintf(note, sizeof(note), "from %s", addr);
	mbmsd_trace(.from = self(d), .to = self(d), .proto = MBMSD_TRACE_MIKEY,
		    .msg = "verification", .result = result, .note = note);
}

void bmscd_trace_admin(struct bmscd *d, const char *what, unsigned status)
{
	if (!mbmsd_trace_on())
		return;
	char result[32];
	snprintf(result, sizeof(result), status == 200 ? "ok" : "refused (%u)", status);
	mbmsd_trace(.from = self(d), .to = self(d), .proto = "admin", .msg = what,
		    .result = result);
}
