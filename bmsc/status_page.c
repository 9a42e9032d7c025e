/* bmscd's HTML status page (GET /status from a browser, docs/operations.md
 * "Status page"): services, key groups with their current and next MSK IDs
 * and switch-over times, MTK IDs, sessions, registered UEs, ack rates,
 * request counts and the recent events. Key IDs and counts only; every
 * piece of text that is not a literal is escaped (common/status_page.h).
 * Elements the integration test reads carry ids: registered-ues,
 * svc-N-registered, kg-<key group>-current, kg-<key group>-next. */
#include "bmscd.h"

#include "events.h"
#include "status_page.h"

#include "mbmssec/crypto.h"

#include <stdio.h>
#include <string.h>

#ifndef MBMS_VERSION
#define MBMS_VERSION "0.1.0"
#endif

static void msk_id_cell(struct mbmsd_html *h, const char *label, const char *id, uint32_t msk_id)
{
	mbmsd_html_td(h, label, id, false);
	if (msk_id) {
		mbmsd_html_raw(h, "<code>");
		mbmsd_html_textf(h, "%08x", msk_id);
		mbmsd_html_raw(h, "</code>");
	} else {
		mbmsd_html_raw(h, "<span class=\"muted\">none</span>");
	}
	mbmsd_html_raw(h, "</td>");
}

static void num_cell(struct mbmsd_html *h, const char *label, const char *id, uint64_t v)
{
	mbmsd_html_td(h, label, id, true);
	mbmsd_html_textf(h, "%llu", (unsigned long long)v);
	mbmsd_html_raw(h, "</td>");
}

/* "97.5 %" of acked / sent, "—" before anything was sent. */
static void rate(char *out, size_t cap, uint64_t acked, uint64_t sent)
{
	if (!sent)
		snprintf(out, cap, "—");
	else
		snprintf(out, cap, "%.1f %%", 100.0 * (double)acked / (double)sent);
}

static void tiles(struct mbmsd_html *h, const struct bmscd_snapshot *s)
{
	const struct mbms_bmsc_stats *st = &s->st;
	char v[32];
	mbmsd_html_raw(h, "<div class=\"tiles\">");
	snprintf(v, sizeof(v), "%llu", (unsigned long long)st->registered_ues);
	mbmsd_html_tile(h, "registered-ues", "registered UEs", v);
	snprintf(v, sizeof(v), "%llu", (unsigned long long)st->ues);
	mbmsd_html_tile(h, "known-ues", "UEs known", v);
	rate(v, sizeof(v), st->pushes_acked, st->pushes_sent);
	mbmsd_html_tile(h, "push-ack-rate", "MSK pushes acked", v);
	rate(v, sizeof(v), st->triggers_acked, st->triggers_sent);
	mbmsd_html_tile(h, "trigger-ack-rate", "triggers acked", v);
	snprintf(v, sizeof(v), "%llu", (unsigned long long)st->pending_pushes);
	mbmsd_html_tile(h, "pending-pushes", "pushes awaiting ack", v);
	snprintf(v, sizeof(v), "%llu", (unsigned long long)st->http_requests);
	mbmsd_html_tile(h, "http-requests", "HTTP requests", v);
	uint64_t errors = st->digest_failures + st->digest_replays + st->zn_failures +
			  st->acks_invalid + st->acks_unmatched + s->udp_send_errors + st->http_500;
	snprintf(v, sizeof(v), "%llu", (unsigned long long)errors);
	mbmsd_html_tile(h, "errors", "errors", v);
	mbmsd_html_tile(h, "store", "state database", s->store_failed ? "FAILED" : "ok");
	mbmsd_html_raw(h, "</div>");
}

static void services(struct mbmsd_html *h, const struct bmscd_snapshot *s)
{
	mbmsd_html_raw(h, "<section id=\"services\"><h2>User services</h2><div class=\"scroll\">"
			  "<table class=\"stack\"><thead><tr><th>service</th><th>key groups</th>"
			  "<th class=\"n\">registered UEs</th></tr></thead><tbody>");
	for (size_t i = 0; i < s->nsvc; i++) {
		char id[48];
		mbmsd_html_raw(h, "<tr>");
		mbmsd_html_td(h, "service", NULL, false);
		mbmsd_html_raw(h, "<code class=\"svc\">");
		mbmsd_html_text(h, s->svc[i].service_id);
		mbmsd_html_raw(h, "</code></td>");
		mbmsd_html_td(h, "key groups", NULL, false);
		for (size_t j = 0; j < s->svc[i].nkey_groups; j++)
			mbmsd_html_textf(h, "%s%u", j ? ", " : "", s->svc[i].key_groups[j]);
		mbmsd_html_raw(h, "</td>");
		snprintf(id, sizeof(id), "svc-%zu-registered", i);
		num_cell(h, "registered UEs", id, s->svc[i].registered_ues);
		mbmsd_html_raw(h, "</tr>");
	}
	mbmsd_html_raw(h, "</tbody></table></div></section>");
}

static void key_groups(struct mbmsd_html *h, const struct bmscd_snapshot *s)
{
	mbmsd_html_raw(h, "<section id=\"key-groups\"><h2>Key groups</h2><div class=\"scroll\">"
			  "<table class=\"stack\"><thead><tr><th>key group</th><th>current MSK</th>"
			  "<th>since</th><th>switch-over</th><th>next MSK</th><th>MTK ID</th>"
			  "<th class=\"n\">registered UEs</th></tr></thead><tbody>");
	for (size_t i = 0; i < s->nkg; i++) {
		const struct mbms_bmsc_key_group_info *k = &s->kg[i];
		char id[40];
		mbmsd_html_raw(h, "<tr>");
		mbmsd_html_td(h, "key group", NULL, false);
		mbmsd_html_textf(h, "%u (0x%04x)", k->key_group, k->key_group);
		mbmsd_html_raw(h, "</td>");
		snprintf(id, sizeof(id), "kg-%u-current", k->key_group);
		msk_id_cell(h, "current MSK", id, k->current_msk_id);
		mbmsd_html_td(h, "since", NULL, false);
		if (k->current_msk_id)
			mbmsd_html_relative(h, k->current_valid_from_ms, s->now_ms);
		mbmsd_html_raw(h, "</td>");
		mbmsd_html_td(h, "switch-over", NULL, false);
		if (k->current_msk_id) {
			mbmsd_html_time(h, k->switch_over_ms);
			mbmsd_html_raw(h, " <span class=\"muted\">(");
			mbmsd_html_relative(h, k->switch_over_ms, s->now_ms);
			mbmsd_html_raw(h, ")</span>");
		}
		mbmsd_html_raw(h, "</td>");
		snprintf(id, sizeof(id), "kg-%u-next", k->key_group);
		msk_id_cell(h, "next MSK", id, k->next_msk_id);
		mbmsd_html_td(h, "MTK ID", NULL, false);
		if (k->have_mtk)
			mbmsd_html_textf(h, "%u of 1..%u", k->mtk_id, k->mtk_id_count);
		else
			mbmsd_html_raw(h, "<span class=\"muted\">none</span>");
		mbmsd_html_raw(h, "</td>");
		snprintf(id, sizeof(id), "kg-%u-registered", k->key_group);
		num_cell(h, "registered UEs", id, k->registered_ues);
		mbmsd_html_raw(h, "</tr>");
	}
	mbmsd_html_raw(h, "</tbody></table></div></section>");
}

static void sessions(struct mbmsd_html *h, const struct bmscd_config *c)
{
	if (!c->nsess)
		return;
	mbmsd_html_raw(h, "<section id=\"sessions\"><h2>Sessions (MTK messages)</h2>"
			  "<div class=\"scroll\"><table class=\"stack\"><thead><tr><th>session</th>"
			  "<th>service</th><th>key group</th><th>SRTP destination</th><th>MTK messages to</th>"
			  "<th>every</th></tr></thead><tbody>");
	for (size_t i = 0; i < c->nsess; i++) {
		const struct mbms_bmsc_session_cfg *s = &c->sess[i];
		mbmsd_html_raw(h, "<tr>");
		mbmsd_html_td(h, "session", NULL, false);
		mbmsd_html_text(h, s->name);
		mbmsd_html_raw(h, "</td>");
		mbmsd_html_td(h, "service", NULL, false);
		mbmsd_html_raw(h, "<code>");
		mbmsd_html_text(h, s->service_id);
		mbmsd_html_raw(h, "</code></td>");
		mbmsd_html_td(h, "key group", NULL, false);
		mbmsd_html_textf(h, "%u", s->key_group);
		mbmsd_html_raw(h, "</td>");
		mbmsd_html_td(h, "SRTP destination", NULL, false);
		mbmsd_html_textf(h, strchr(s->destination.host, ':') ? "[%s]:%u" : "%s:%u",
				 s->destination.host, s->destination.port);
		mbmsd_html_raw(h, "</td>");
		mbmsd_html_td(h, "MTK messages to", NULL, false);
		mbmsd_html_text(h, c->sess_to_text[i]);
		mbmsd_html_raw(h, "</td>");
		mbmsd_html_td(h, "every", NULL, false);
		mbmsd_html_textf(h, "%llu ms", (unsigned long long)s->mtk_interval_ms);
		mbmsd_html_raw(h, "</td></tr>");
	}
	mbmsd_html_raw(h, "</tbody></table></div></section>");
}

static void mikey(struct mbmsd_html *h, const struct bmscd_snapshot *s)
{
	const struct mbms_bmsc_stats *st = &s->st;
	char r1[24], r2[24];
	rate(r1, sizeof(r1), st->pushes_acked, st->pushes_sent);
	rate(r2, sizeof(r2), st->triggers_acked, st->triggers_sent);
	mbmsd_html_raw(h, "<section id=\"mikey\"><h2>MIKEY</h2><div class=\"scroll\"><table>"
			  "<thead><tr><th></th><th class=\"n\">sent</th><th class=\"n\">acked</th>"
			  "<th class=\"n\">ack rate</th><th class=\"n\">given up</th></tr></thead>"
			  "<tbody><tr><th>MSK pushes</th>");
	num_cell(h, "sent", "pushes-sent", st->pushes_sent);
	num_cell(h, "acked", "pushes-acked", st->pushes_acked);
	mbmsd_html_raw(h, "<td class=\"n\">");
	mbmsd_html_text(h, r1);
	mbmsd_html_raw(h, "</td>");
	num_cell(h, "given up", NULL, st->pushes_given_up);
	mbmsd_html_raw(h, "</tr><tr><th>solicited-pull triggers</th>");
	num_cell(h, "sent", NULL, st->triggers_sent);
	num_cell(h, "acked", NULL, st->triggers_acked);
	mbmsd_html_raw(h, "<td class=\"n\">");
	mbmsd_html_text(h, r2);
	mbmsd_html_raw(h, "</td>");
	num_cell(h, "given up", NULL, st->triggers_given_up);
	mbmsd_html_raw(h, "</tr></tbody></table></div><p class=\"muted\">");
	mbmsd_html_textf(h,
			 "%llu retransmissions · %llu MSKs made · %llu switch-overs · %llu MTKs "
			 "made · %llu MTK messages · %llu verification messages invalid, %llu "
			 "unmatched",
			 (unsigned long long)st->retransmissions, (unsigned long long)st->msks_made,
			 (unsigned long long)st->switch_overs, (unsigned long long)st->mtks_made,
			 (unsigned long long)st->mtk_messages, (unsigned long long)st->acks_invalid,
			 (unsigned long long)st->acks_unmatched);
	mbmsd_html_raw(h, "</p></section>");
}

static void requests(struct mbmsd_html *h)
{
	mbmsd_html_raw(h, "<section id=\"requests\"><h2>Key-management requests</h2>"
			  "<div class=\"scroll\"><table><thead><tr><th>procedure</th>");
	bool used[BMSCD_STATUS_COUNT] = {false};
	used[0] = true; /* 200 always */
	for (int p = 0; p < BMSCD_PROC_COUNT; p++)
		for (size_t i = 0; i < BMSCD_STATUS_COUNT; i++)
			if (bmscd_metrics_requests((enum bmscd_proc)p, i))
				used[i] = true;
	for (size_t i = 0; i < BMSCD_STATUS_COUNT; i++)
		if (used[i]) {
			char code[8];
			bmscd_status_label(i, code, sizeof(code));
			mbmsd_html_raw(h, "<th class=\"n\">");
			mbmsd_html_text(h, code);
			mbmsd_html_raw(h, "</th>");
		}
	mbmsd_html_raw(h, "</tr></thead><tbody>");
	for (int p = 0; p < BMSCD_PROC_COUNT; p++) {
		mbmsd_html_raw(h, "<tr><th>");
		mbmsd_html_text(h, bmscd_proc_name((enum bmscd_proc)p));
		mbmsd_html_raw(h, "</th>");
		for (size_t i = 0; i < BMSCD_STATUS_COUNT; i++)
			if (used[i]) {
				char code[8];
				bmscd_status_label(i, code, sizeof(code));
				num_cell(h, code, NULL, bmscd_metrics_requests((enum bmscd_proc)p, i));
			}
		mbmsd_html_raw(h, "</tr>");
	}
	mbmsd_html_raw(h, "</tbody></table></div></section>");
}

void bmscd_status_page(struct bmscd *d, struct mbmsd_http_response *resp)
{
	struct bmscd_snapshot s;
	if (bmscd_snapshot_take(d, &s)) {
		mbmsd_http_status(resp, 500, "out of memory");
		return;
	}
	struct mbmsd_html h;
	mbmsd_html_init(&h);
	char title[400], sub[400], kd[7];
	snprintf(title, sizeof(title), "bmscd · BM-SC %s", d->cfg.fqdn);
	mbms_hex_encode(d->cfg.core.key_domain_id, 3, kd, sizeof(kd));
	uint64_t up = s.now_ms > bmscd_metrics_started_ms()
			      ? (s.now_ms - bmscd_metrics_started_ms()) / 1000
			      : 0;
	snprintf(sub, sizeof(sub),
		 "key domain %s (MCC %s, MNC %s) · bmscd %s · up %llud %02llu:%02llu:%02llu", kd,
		 d->cfg.mcc, d->cfg.mnc, MBMS_VERSION, (unsigned long long)(up / 86400),
		 (unsigned long long)(up % 86400 / 3600), (unsigned long long)(up % 3600 / 60),
		 (unsigned long long)(up % 60));
	mbmsd_html_head(&h, title, sub, MBMSD_STATUS_REFRESH_S);
	tiles(&h, &s);
	services(&h, &s);
	key_groups(&h, &s);
	sessions(&h, &d->cfg);
	mikey(&h, &s);
	requests(&h);
	mbmsd_html_events(&h, s.now_ms);
	mbmsd_html_foot(&h, s.now_ms,
			"<a href=\"/metrics\">metrics</a> · "
			"<a href=\"/status?format=json\">status as JSON</a>");
	bmscd_snapshot_free(&s);
	mbmsd_html_respond(&h, resp);
	mbmsd_html_free(&h);
}
