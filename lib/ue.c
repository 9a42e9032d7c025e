/* The UE state machine (include/mbmssec/ue.h): services and their
 * procedures (TS 33.246 6.3.2.2; PROFILE.md 6), timers, the action queue and
 * the status accessors. HTTP procedures are in ue_km.c, MIKEY reception in
 * ue_rx.c, the key store text in ue_state.c. */
#include "ue_priv.h"

#include "mbmssec/crypto.h"
#include "mbmssec/error.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void mbms_ue_config_defaults(struct mbms_ue_config *cfg)
{
	memset(cfg, 0, sizeof(*cfg));
	cfg->mikey_port = MBMS_PROFILE_UE_MIKEY_PORT;
	cfg->push_timeout_ms = 30000;
	cfg->max_attempts = 5;
	cfg->retry_floor_ms = 1000;
	cfg->rebootstrap_margin_s = 60;
	cfg->mku_min_interval_ms = 5000;
}

int mbms_ue_new(const struct mbms_ue_config *cfg, struct mbms_ue **out)
{
	if (!out)
		return MBMS_EINVAL;
	*out = NULL;
	if (!cfg || !cfg->impi || !cfg->impi[0] || strlen(cfg->impi) >= MBMS_GBA_IMPI_MAX ||
	    cfg->max_attempts == 0)
		return MBMS_EINVAL;
	struct mbms_ue *ue = calloc(1, sizeof(*ue));
	if (!ue)
		return MBMS_ENOMEM;
	ue->cfg = *cfg;
	memcpy(ue->impi, cfg->impi, strlen(cfg->impi) + 1);
	ue->cfg.impi = ue->impi;
	mbms_key_store_init(&ue->keys);
	for (size_t i = 0; i < MBMS_UE_MAX_SERVICES; i++)
		ue->svc[i].inflight = -1;
	ue->reported_deadline = UE_NEVER;
	ue->drop_left = cfg->test_drop_msk_push;
	*out = ue;
	return 0;
}

void mbms_ue_free(struct mbms_ue *ue)
{
	if (!ue)
		return;
	mbms_wipe(ue, sizeof(*ue));
	free(ue);
}

/* ---- helpers ---- */

void ue_hex(const uint8_t *b, size_t n, char *out, size_t cap)
{
	if (mbms_hex_encode(b, n, out, cap) != 0 && cap)
		out[0] = '\0';
}

uint32_t ue_random_u32(struct mbms_ue *ue)
{
	uint8_t b[4] = {0};
	if (ue->cfg.random)
		ue->cfg.random(ue->cfg.random_user, b, sizeof(b));
	else
		mbms_random(b, sizeof(b));
	return mbms_get_be32(b);
}

int ue_random_hex(struct mbms_ue *ue, char *out, size_t nbytes)
{
	uint8_t b[32];
	if (nbytes > sizeof(b))
		return MBMS_EINVAL;
	int rc = ue->cfg.random ? ue->cfg.random(ue->cfg.random_user, b, nbytes)
				: mbms_random(b, nbytes);
	if (rc == 0)
		rc = mbms_hex_encode(b, nbytes, out, 2 * nbytes + 1);
	return rc;
}

/* PROFILE.md 8: a request the network set off waits offsetTime + a uniform
 * time in [0, randomTimePeriod]; a user-initiated one goes out at once. A
 * retry after a failure also waits at least retry_floor, doubled per try. */
uint64_t ue_backoff_ms(struct mbms_ue *ue, const struct ue_service *s, enum ue_why why,
		       unsigned attempts)
{
	uint64_t d = 0;
	if (why == WHY_USER)
		return 0;
	if (s && s->has_ann &&
	    mbms_announcement_backoff_ms(s->ann.offset_time, s->ann.random_time_period,
					 ue_random_u32(ue), true, &d) != 0)
		d = 0;
	if (why == WHY_RETRY) {
		uint64_t floor = ue->cfg.retry_floor_ms;
		for (unsigned i = 1; i < attempts && floor < UE_RETRY_CAP_MS; i++)
			floor *= 2;
		if (floor > UE_RETRY_CAP_MS)
			floor = UE_RETRY_CAP_MS;
		if (d < floor)
			d = floor;
	}
	return d;
}

bool ue_bootstrap_valid(const struct mbms_ue *ue, uint64_t now_ms)
{
	return ue->have_boot && now_ms / 1000 < ue->expires_s;
}

/* ---- the action queue ---- */

struct ue_qent *ue_push(struct mbms_ue *ue, enum mbms_ue_action_kind kind)
{
	if (ue->qlen == UE_QUEUE_LEN) {
		/* Should not happen when the shell drains after every input; drop
		 * the oldest event rather than a request. */
		ue->q_overflow++;
		ue->qhead = (ue->qhead + 1) % UE_QUEUE_LEN;
		ue->qlen--;
	}
	struct ue_qent *e = &ue->q[(ue->qhead + ue->qlen) % UE_QUEUE_LEN];
	ue->qlen++;
	memset(&e->act, 0, sizeof(e->act));
	e->act.kind = kind;
	return e;
}

int mbms_ue_next_action(struct mbms_ue *ue, struct mbms_ue_action *act)
{
	if (!ue || !act || ue->qlen == 0)
		return 0;
	struct ue_qent *e = &ue->q[ue->qhead];
	*act = e->act;
	if (act->kind == MBMS_UE_ACT_UDP)
		act->udp = e->udp;
	ue->qhead = (ue->qhead + 1) % UE_QUEUE_LEN;
	ue->qlen--;
	return 1;
}

void ue_event(struct mbms_ue *ue, enum mbms_ue_event ev, const struct ue_service *s, bool warning,
	      const char *fmt, ...)
{
	struct ue_qent *e = ue_push(ue, MBMS_UE_ACT_EVENT);
	e->act.event = ev;
	e->act.warning = warning;
	if (s)
		snprintf(e->act.service_id, sizeof(e->act.service_id), "%s", s->id);
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(e->act.text, sizeof(e->act.text), fmt, ap);
	va_end(ap);
}

/* End of every input: ask for a save when state changed, re-arm the timer. */
void ue_finish(struct mbms_ue *ue)
{
	if (ue->save_pending) {
		ue_push(ue, MBMS_UE_ACT_SAVE);
		ue->save_pending = false;
	}
	uint64_t d = mbms_ue_next_deadline(ue);
	if (d != ue->reported_deadline) {
		struct ue_qent *e = ue_push(ue, MBMS_UE_ACT_TIMER);
		e->act.deadline_ms = d;
		ue->reported_deadline = d;
	}
}

const char *mbms_ue_event_name(enum mbms_ue_event ev)
{
	switch (ev) {
	case MBMS_UE_EV_SERVICE_ACTIVE: return "service-active";
	case MBMS_UE_EV_SERVICE_REFUSED: return "service-refused";
	case MBMS_UE_EV_SERVICE_LEFT: return "service-left";
	case MBMS_UE_EV_REGISTERED: return "registered";
	case MBMS_UE_EV_DEREGISTERED: return "deregistered";
	case MBMS_UE_EV_MSK_INSTALLED: return "msk-installed";
	case MBMS_UE_EV_MSK_EVICTED: return "msk-evicted";
	case MBMS_UE_EV_MTK_RECEIVED: return "mtk-received";
	case MBMS_UE_EV_TRIGGER: return "solicited-pull";
	case MBMS_UE_EV_MISSED_KEY_UPDATE: return "missed-key-update";
	case MBMS_UE_EV_REQUEST_SCHEDULED: return "request-scheduled";
	case MBMS_UE_EV_KEY_STATUS: return "key-status";
	case MBMS_UE_EV_AUTH: return "auth";
	case MBMS_UE_EV_BOOTSTRAPPED: return "bootstrapped";
	case MBMS_UE_EV_DROPPED: return "dropped";
	case MBMS_UE_EV_ERROR: return "error";
	case MBMS_UE_EV_NONE: break;
	}
	return "none";
}

static const char *const state_names[] = {
	[MBMS_UE_SVC_IDLE] = "idle",
	[MBMS_UE_SVC_ANNOUNCEMENT] = "announcement",
	[MBMS_UE_SVC_REGISTERING] = "registering",
	[MBMS_UE_SVC_KEYS] = "waiting-for-keys",
	[MBMS_UE_SVC_ACTIVE] = "active",
	[MBMS_UE_SVC_REFUSED] = "refused",
	[MBMS_UE_SVC_LEFT] = "left",
};

const char *mbms_ue_service_state_name(enum mbms_ue_service_state st)
{
	if ((size_t)st < sizeof(state_names) / sizeof(state_names[0]))
		return state_names[st];
	return "?";
}

int mbms_ue_service_state_parse(const char *name, enum mbms_ue_service_state *st)
{
	for (size_t i = 0; name && i < sizeof(state_names) / sizeof(state_names[0]); i++)
		if (strcmp(name, state_names[i]) == 0) {
			*st = (enum mbms_ue_service_state)i;
			return 0;
		}
	return MBMS_ESYNTAX;
}

/* ---- services, Key Groups, held MSKs ---- */

struct ue_service *ue_service_find(struct mbms_ue *ue, const char *id)
{
	for (size_t i = 0; id && i < MBMS_UE_MAX_SERVICES; i++)
		if (ue->svc[i].used && strcmp(ue->svc[i].id, id) == 0)
			return &ue->svc[i];
	return NULL;
}

bool ue_service_lists_group(const struct ue_service *s, const uint8_t kd[MBMS_KEY_DOMAIN_ID_LEN],
			    uint16_t group)
{
	if (!s->has_ann || memcmp(s->ann.key_domain_id, kd, MBMS_KEY_DOMAIN_ID_LEN) != 0)
		return false;
	for (size_t i = 0; i < s->nitems; i++)
		if (mbms_msk_id_key_group(s->item[i].msk_id) == group)
			return true;
	return false;
}

struct ue_item *ue_group_item(struct ue_service *s, uint16_t group)
{
	for (size_t i = 0; i < s->nitems; i++)
		if (mbms_msk_id_key_group(s->item[i].msk_id) == group)
			return &s->item[i];
	return NULL;
}

size_t ue_group_msks(struct mbms_ue *ue, const uint8_t kd[MBMS_KEY_DOMAIN_ID_LEN],
		     uint16_t group, struct mbms_msk_entry **out, size_t cap)
{
	size_t n = 0;
	for (size_t i = 0; i < MBMS_KEY_STORE_MAX_MSKS; i++) {
		struct mbms_msk_entry *e = &ue->keys.msk[i];
		if (!e->used || mbms_msk_id_key_group(e->msk_id) != group ||
		    memcmp(e->key_domain_id, kd, MBMS_KEY_DOMAIN_ID_LEN) != 0)
			continue;
		if (n < cap)
			out[n] = e;
		n++;
	}
	return n;
}

/* The number of the service's Key Groups for which an MSK is held. A held
 * MSK is a valid one: the BM-SC gives no other lifetime than [VF, VT], and
 * an MSK leaves the store only when a newer one of its group pushes it out. */
static size_t groups_held(struct mbms_ue *ue, const struct ue_service *s, size_t *ngroups)
{
	size_t held = 0, groups = 0;
	for (size_t i = 0; s->has_ann && i < s->nitems; i++) {
		uint16_t g = mbms_msk_id_key_group(s->item[i].msk_id);
		bool seen = false;
		for (size_t j = 0; j < i; j++)
			if (mbms_msk_id_key_group(s->item[j].msk_id) == g)
				seen = true;
		if (seen)
			continue;
		groups++;
		struct mbms_msk_entry *e[1];
		if (ue_group_msks(ue, s->ann.key_domain_id, g, e, 1) > 0)
			held++;
	}
	if (ngroups)
		*ngroups = groups;
	return held;
}

bool ue_service_holds_msk(struct mbms_ue *ue, const struct ue_service *s)
{
	return groups_held(ue, s, NULL) > 0;
}

static struct ue_bmsc *bmsc_for(struct mbms_ue *ue, const char *fqdn, int *index)
{
	struct ue_bmsc *free_slot = NULL;
	int free_i = -1;
	for (int i = 0; i < MBMS_UE_MAX_BMSCS; i++) {
		struct ue_bmsc *b = &ue->bmsc[i];
		if (b->used && strcmp(b->fqdn, fqdn) == 0) {
			*index = i;
			return b;
		}
		if (!b->used && !free_slot) {
			free_slot = b;
			free_i = i;
		}
	}
	if (!free_slot)
		return NULL;
	memset(free_slot, 0, sizeof(*free_slot));
	free_slot->used = true;
	snprintf(free_slot->fqdn, sizeof(free_slot->fqdn), "%s", fqdn);
	*index = free_i;
	return free_slot;
}

/* MUK = Ks_NAF(BM-SC FQDN) (PROFILE.md 2, GBA_ME) with MUK ID (IDi = FQDN,
 * IDr = B-TID). A new B-TID keeps the old MUK as the previous one, usable
 * for solicited-pull triggers only (10.20). */
int ue_bmsc_muk_derive(struct mbms_ue *ue, struct ue_bmsc *b, bool keep_previous)
{
	if (!ue->have_boot)
		return MBMS_ESTATE;
	size_t btid_len = strlen(ue->btid);
	if (b->have_muk && b->muk.idr_len == btid_len && memcmp(b->muk.idr, ue->btid, btid_len) == 0)
		return 0; /* already this B-TID's */
	uint8_t ks_naf[MBMS_KS_NAF_LEN], muk[MBMS_MUK_LEN];
	int rc = mbms_ks_naf(ue->ks, ue->rand, ue->impi, b->fqdn, mbms_ua_id_mbms, ks_naf);
	if (rc == 0)
		rc = mbms_muk_from_ks_naf(ks_naf, muk);
	if (rc == 0) {
		if (b->have_muk && keep_previous) {
			b->prev = b->muk;
			b->have_prev = true;
		}
		rc = mbms_muk_state_init(&b->muk, muk, (const uint8_t *)b->fqdn, strlen(b->fqdn),
					 (const uint8_t *)ue->btid, btid_len);
		b->have_muk = rc == 0;
	}
	mbms_wipe(ks_naf, sizeof(ks_naf));
	mbms_wipe(muk, sizeof(muk));
	ue->save_pending = true;
	return rc;
}

/* ---- service procedure steps ---- */

void ue_leave(struct mbms_ue *ue, struct ue_service *s, uint64_t now, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(s->reason, sizeof(s->reason), fmt, ap);
	va_end(ap);
	for (size_t i = 0; i < s->nitems; i++)
		if (s->item[i].state != ITEM_GAVE_UP)
			s->item[i].state = ITEM_IDLE;
	s->state = MBMS_UE_SVC_LEFT;
	s->reg_due = UE_NEVER;
	s->reregister = false;
	ue_event(ue, MBMS_UE_EV_SERVICE_LEFT, s, true, "left the service: %s", s->reason);
	/* 6.6: deregistration stops pushes (best effort, only with a valid B-TID). */
	if (s->registered && s->inflight < 0 && ue_bootstrap_valid(ue, now))
		ue_send_register(ue, s, true, now);
	s->registered = false;
	ue->save_pending = true;
}

void ue_service_check(struct mbms_ue *ue, struct ue_service *s, uint64_t now)
{
	if (s->state != MBMS_UE_SVC_KEYS && s->state != MBMS_UE_SVC_ACTIVE)
		return;
	size_t ngroups = 0, held = groups_held(ue, s, &ngroups);
	if (held > 0) {
		if (s->state != MBMS_UE_SVC_ACTIVE)
			ue->save_pending = true;
		s->state = MBMS_UE_SVC_ACTIVE;
		if (held == ngroups && !s->active_reported) {
			s->active_reported = true;
			ue_event(ue, MBMS_UE_EV_SERVICE_ACTIVE, s, false,
				 "service active: MSKs held for %zu Key Group(s)", ngroups);
		}
		return;
	}
	if (s->state == MBMS_UE_SVC_ACTIVE)
		ue->save_pending = true;
	s->state = MBMS_UE_SVC_KEYS;
	for (size_t i = 0; i < s->nitems; i++)
		if (s->item[i].state != ITEM_GAVE_UP && s->item[i].state != ITEM_IDLE)
			return; /* still trying */
	/* 6.2: no MSK obtained and no still-valid older MSK held. */
	ue_leave(ue, s, now, "no MSK could be obtained and none is held");
}

void ue_item_schedule(struct mbms_ue *ue, struct ue_service *s, struct ue_item *it,
		      enum ue_why why, uint64_t now)
{
	uint64_t due = now + ue_backoff_ms(ue, s, why, it->attempts);
	if (it->state == ITEM_SCHEDULED && it->due <= due)
		return; /* already due earlier */
	it->state = ITEM_SCHEDULED;
	it->why = why;
	it->due = due;
	if (why == WHY_USER)
		return;
	static const char *const whys[] = {"activation", "retry", "solicited pull",
					   "missed key update"};
	ue_event(ue, MBMS_UE_EV_REQUEST_SCHEDULED, s, false,
		 "MSK request for %08x (%s) in %llu ms", (unsigned)it->req_msk_id, whys[why],
		 (unsigned long long)(due - now));
}

void ue_item_failed(struct mbms_ue *ue, struct ue_service *s, struct ue_item *it, uint64_t now,
		    const char *what)
{
	it->attempts++;
	if (it->attempts >= ue->cfg.max_attempts) {
		it->state = ITEM_GAVE_UP;
		ue_event(ue, MBMS_UE_EV_ERROR, s, true, "MSK %08x: %s; gave up after %u tries",
			 (unsigned)it->req_msk_id, what, it->attempts);
		return;
	}
	ue_event(ue, MBMS_UE_EV_ERROR, s, true, "MSK %08x: %s; retrying (try %u of %u)",
		 (unsigned)it->req_msk_id, what, it->attempts + 1, ue->cfg.max_attempts);
	ue_item_schedule(ue, s, it, WHY_RETRY, now);
}

/* Start whatever is due for s (one HTTP request per service at a time). */
void ue_advance(struct mbms_ue *ue, struct ue_service *s, uint64_t now)
{
	if (s->inflight >= 0)
		return;
	switch (s->state) {
	case MBMS_UE_SVC_ANNOUNCEMENT:
		if (!s->has_ann && s->ann_url[0] && s->ann_due <= now)
			ue_send_announcement(ue, s, now);
		return;
	case MBMS_UE_SVC_REGISTERING:
		if (s->reg_due <= now)
			ue_send_register(ue, s, false, now);
		return;
	case MBMS_UE_SVC_KEYS:
	case MBMS_UE_SVC_ACTIVE:
		if (s->reregister && s->reg_due <= now) {
			ue_send_register(ue, s, false, now);
			return;
		}
		for (size_t i = 0; i < s->nitems; i++)
			if (s->item[i].state == ITEM_SCHEDULED && s->item[i].due <= now) {
				ue_send_msk_request(ue, s, now);
				return;
			}
		return;
	default:
		return;
	}
}

/* Set up the service from a parsed announcement (6.1). */
int ue_parse_announcement(struct mbms_ue *ue, struct ue_service *s, const char *body, size_t len,
			  uint64_t now)
{
	struct mbms_announcement *a = malloc(sizeof(*a));
	if (!a)
		return MBMS_ENOMEM;
	int rc = mbms_announcement_parse(body, len, a);
	if (rc == 0 && strcmp(a->service_id, s->id) != 0)
		rc = MBMS_EINVAL;
	if (rc) {
		free(a);
		ue_event(ue, MBMS_UE_EV_ERROR, s, true, "announcement refused: %s",
			 rc == MBMS_EINVAL ? "it describes another service" : mbms_strerror(rc));
		return rc;
	}
	s->ann = *a;
	free(a);
	s->has_ann = true;
	s->nitems = 0;
	memset(s->item, 0, sizeof(s->item));
	for (size_t i = 0; i < s->ann.msk_count && i < UE_MAX_ITEMS; i++) {
		s->item[i].msk_id = s->item[i].req_msk_id = s->ann.msk_id[i];
		s->nitems++;
	}
	if (s->ann.uicc_key_management) {
		/* 6.1: UICC key management required and not available (GBA_ME
		 * only): do not try the service. */
		s->state = MBMS_UE_SVC_REFUSED;
		snprintf(s->reason, sizeof(s->reason), "%s",
			 "the announcement requires UICC key management (GBA_U), not available");
		ue_event(ue, MBMS_UE_EV_SERVICE_REFUSED, s, true, "service refused: %s", s->reason);
		ue->save_pending = true;
		return MBMS_ESTATE;
	}
	int bi;
	struct ue_bmsc *b = bmsc_for(ue, s->ann.km_server.host, &bi);
	if (!b) {
		s->has_ann = false;
		ue_event(ue, MBMS_UE_EV_ERROR, s, true, "too many BM-SCs (at most %d)",
			 MBMS_UE_MAX_BMSCS);
		return MBMS_ENOSPC;
	}
	b->port = s->ann.km_server.port ? s->ann.km_server.port : 80;
	s->bmsc = bi;
	if (ue->have_boot)
		ue_bmsc_muk_derive(ue, b, false);
	if (s->state == MBMS_UE_SVC_ANNOUNCEMENT) {
		s->state = MBMS_UE_SVC_REGISTERING;
		s->reg_due = now;
		s->reg_attempts = 0;
	}
	return 0;
}

/* ---- public: services ---- */

static bool printable_ascii(const char *s)
{
	for (; *s; s++)
		if ((unsigned char)*s <= 0x20 || (unsigned char)*s >= 0x7f)
			return false;
	return true;
}

int mbms_ue_service_add(struct mbms_ue *ue, const char *service_id, const char *announcement_url)
{
	if (!ue || !service_id || mbms_km_service_id_check(service_id, strlen(service_id)) != 0)
		return MBMS_EINVAL;
	if (announcement_url &&
	    (strlen(announcement_url) >= MBMS_UE_URL_MAX || !printable_ascii(announcement_url) ||
	     strncmp(announcement_url, "http", 4) != 0))
		return MBMS_EINVAL;
	struct ue_service *s = ue_service_find(ue, service_id);
	if (!s) {
		for (size_t i = 0; i < MBMS_UE_MAX_SERVICES && !s; i++)
			if (!ue->svc[i].used)
				s = &ue->svc[i];
		if (!s)
			return MBMS_ENOSPC;
		memset(s, 0, sizeof(*s));
		s->used = true;
		s->inflight = -1;
		s->bmsc = -1;
		s->reg_due = UE_NEVER;
		snprintf(s->id, sizeof(s->id), "%s", service_id);
	}
	snprintf(s->ann_url, sizeof(s->ann_url), "%s", announcement_url ? announcement_url : "");
	return 0;
}

int mbms_ue_activate(struct mbms_ue *ue, const char *service_id, uint64_t now_ms)
{
	if (!ue)
		return MBMS_EINVAL;
	struct ue_service *s = ue_service_find(ue, service_id);
	if (!s)
		return MBMS_ENOTFOUND;
	ue->started = true;
	if (s->inflight >= 0)
		return MBMS_ESTATE;
	s->reason[0] = '\0';
	s->active_reported = false;
	s->registered = false;
	s->reregister = false;
	s->ann_attempts = s->reg_attempts = 0;
	s->ann_due = now_ms;
	for (size_t i = 0; i < s->nitems; i++) {
		memset(&s->item[i].state, 0, sizeof(s->item[i]) - offsetof(struct ue_item, state));
		s->item[i].req_msk_id = s->item[i].msk_id;
	}
	if (s->ann_url[0])
		s->has_ann = false; /* fetch it again: it may have changed */
	if (!s->has_ann) {
		s->state = MBMS_UE_SVC_ANNOUNCEMENT;
	} else if (s->ann.uicc_key_management) {
		s->state = MBMS_UE_SVC_REFUSED;
		ue_event(ue, MBMS_UE_EV_SERVICE_REFUSED, s, true, "service refused: %s", s->reason);
	} else {
		s->state = MBMS_UE_SVC_REGISTERING;
		s->reg_due = now_ms;
	}
	ue->save_pending = true;
	ue_advance(ue, s, now_ms);
	ue_finish(ue);
	return 0;
}

int mbms_ue_announcement(struct mbms_ue *ue, const char *service_id, const char *body,
			 size_t len, uint64_t now_ms)
{
	if (!ue || !body)
		return MBMS_EINVAL;
	struct ue_service *s = ue_service_find(ue, service_id);
	if (!s)
		return MBMS_ENOTFOUND;
	int rc = ue_parse_announcement(ue, s, body, len, now_ms);
	if (rc == 0)
		ue_advance(ue, s, now_ms);
	ue_finish(ue);
	return rc;
}

int mbms_ue_deactivate(struct mbms_ue *ue, const char *service_id, uint64_t now_ms)
{
	if (!ue)
		return MBMS_EINVAL;
	struct ue_service *s = ue_service_find(ue, service_id);
	if (!s)
		return MBMS_ENOTFOUND;
	for (size_t i = 0; i < s->nitems; i++)
		s->item[i].state = ITEM_IDLE;
	if (s->registered && s->inflight < 0 && ue_bootstrap_valid(ue, now_ms))
		ue_send_register(ue, s, true, now_ms);
	s->registered = false;
	s->reregister = false;
	s->reg_due = UE_NEVER;
	s->state = MBMS_UE_SVC_IDLE;
	snprintf(s->reason, sizeof(s->reason), "%s", "deactivated by the user");
	ue->save_pending = true;
	ue_finish(ue);
	return 0;
}

/* ---- timers ---- */

static bool any_registered(const struct mbms_ue *ue)
{
	for (size_t i = 0; i < MBMS_UE_MAX_SERVICES; i++)
		if (ue->svc[i].used && ue->svc[i].registered)
			return true;
	return false;
}

/* When to renew the B-TID: rebootstrap_margin_s before it expires, but no
 * earlier than half its remaining life at bootstrap (short test lifetimes). */
static uint64_t refresh_at_ms(const struct mbms_ue *ue)
{
	if (!ue->have_boot || ue->boot != BOOT_IDLE || ue->refresh_hold || !any_registered(ue))
		return UE_NEVER;
	uint64_t margin = ue->cfg.rebootstrap_margin_s;
	uint64_t life = ue->expires_s > ue->boot_at_s ? ue->expires_s - ue->boot_at_s : 0;
	if (margin > life / 2)
		margin = life / 2;
	return (ue->expires_s - margin) * 1000u;
}

uint64_t mbms_ue_next_deadline(const struct mbms_ue *ue)
{
	uint64_t d = UE_NEVER;
	if (!ue)
		return d;
#define AT(t)                                                                                      \
	do {                                                                                       \
		if ((t) < d)                                                                       \
			d = (t);                                                                   \
	} while (0)
	if (ue->boot == BOOT_RETRY)
		AT(ue->boot_due);
	AT(refresh_at_ms(ue));
	for (size_t i = 0; i < MBMS_UE_MAX_SERVICES; i++) {
		const struct ue_service *s = &ue->svc[i];
		if (!s->used)
			continue;
		for (size_t k = 0; k < s->nitems; k++)
			if (s->item[k].state == ITEM_GRANTED)
				AT(s->item[k].grant_deadline);
		if (s->inflight >= 0)
			continue;
		if (s->state == MBMS_UE_SVC_ANNOUNCEMENT && !s->has_ann && s->ann_url[0])
			AT(s->ann_due);
		if (s->state == MBMS_UE_SVC_REGISTERING ||
		    (s->reregister &&
		     (s->state == MBMS_UE_SVC_KEYS || s->state == MBMS_UE_SVC_ACTIVE)))
			AT(s->reg_due);
		if (s->state == MBMS_UE_SVC_KEYS || s->state == MBMS_UE_SVC_ACTIVE)
			for (size_t k = 0; k < s->nitems; k++)
				if (s->item[k].state == ITEM_SCHEDULED)
					AT(s->item[k].due);
	}
#undef AT
	return d;
}

int mbms_ue_tick(struct mbms_ue *ue, uint64_t now_ms)
{
	if (!ue)
		return MBMS_EINVAL;
	if (ue->boot == BOOT_RETRY && ue->boot_due <= now_ms)
		ue_bootstrap_start(ue, false, now_ms);
	uint64_t r = refresh_at_ms(ue);
	if (r != UE_NEVER && r <= now_ms) {
		ue->boot_refresh = true;
		ue_event(ue, MBMS_UE_EV_AUTH, NULL, false,
			 "B-TID expires at %llu: bootstrapping again",
			 (unsigned long long)ue->expires_s);
		ue_bootstrap_start(ue, false, now_ms);
	}
	for (size_t i = 0; i < MBMS_UE_MAX_SERVICES; i++) {
		struct ue_service *s = &ue->svc[i];
		if (!s->used)
			continue;
		for (size_t k = 0; k < s->nitems; k++) {
			struct ue_item *it = &s->item[k];
			if (it->state == ITEM_GRANTED && it->grant_deadline <= now_ms)
				ue_item_failed(ue, s, it, now_ms, "granted but no MSK push arrived");
		}
		ue_service_check(ue, s, now_ms);
		ue_advance(ue, s, now_ms);
	}
	ue_finish(ue);
	return 0;
}

/* ---- status ---- */

size_t mbms_ue_service_count(const struct mbms_ue *ue)
{
	size_t n = 0;
	for (size_t i = 0; ue && i < MBMS_UE_MAX_SERVICES; i++)
		n += ue->svc[i].used;
	return n;
}

int mbms_ue_service_info(const struct mbms_ue *ue, size_t idx, struct mbms_ue_service_info *out)
{
	if (!ue || !out)
		return MBMS_EINVAL;
	memset(out, 0, sizeof(*out));
	for (size_t i = 0; i < MBMS_UE_MAX_SERVICES; i++) {
		const struct ue_service *s = &ue->svc[i];
		if (!s->used || idx-- != 0)
			continue;
		out->service_id = s->id;
		out->state = s->state;
		out->reason = s->reason;
		out->has_announcement = s->has_ann;
		out->km_server = s->has_ann ? s->ann.km_server.host : "";
		if (s->has_ann)
			memcpy(out->key_domain_id, s->ann.key_domain_id, MBMS_KEY_DOMAIN_ID_LEN);
		out->key_groups_held = groups_held((struct mbms_ue *)ue, s, &out->key_groups);
		return 0;
	}
	return MBMS_ENOTFOUND;
}

size_t mbms_ue_msk_count(const struct mbms_ue *ue)
{
	size_t n = 0;
	for (size_t i = 0; ue && i < MBMS_KEY_STORE_MAX_MSKS; i++)
		n += ue->keys.msk[i].used;
	return n;
}

int mbms_ue_msk_info(const struct mbms_ue *ue, size_t idx, struct mbms_ue_msk_info *out)
{
	if (!ue || !out)
		return MBMS_EINVAL;
	memset(out, 0, sizeof(*out));
	for (size_t i = 0; i < MBMS_KEY_STORE_MAX_MSKS; i++) {
		const struct mbms_msk_entry *e = &ue->keys.msk[i];
		if (!e->used || idx-- != 0)
			continue;
		memcpy(out->key_domain_id, e->key_domain_id, MBMS_KEY_DOMAIN_ID_LEN);
		out->msk_id = e->msk_id;
		out->vf = e->vf;
		out->vt = e->vt;
		out->have_counter = e->have_counter;
		out->ts_counter = e->ts_counter;
		out->have_mtk_id = e->have_mtk_id;
		out->mtk_id = e->mtk_id;
		out->newest = true;
		for (size_t k = 0; k < MBMS_KEY_STORE_MAX_MSKS; k++) {
			const struct mbms_msk_entry *o = &ue->keys.msk[k];
			if (o != e && o->used &&
			    mbms_msk_id_key_group(o->msk_id) == mbms_msk_id_key_group(e->msk_id) &&
			    memcmp(o->key_domain_id, e->key_domain_id, MBMS_KEY_DOMAIN_ID_LEN) == 0 &&
			    mbms_serial16_newer(mbms_msk_id_key_number(o->msk_id),
						mbms_msk_id_key_number(e->msk_id)))
				out->newest = false;
		}
		return 0;
	}
	return MBMS_ENOTFOUND;
}

void mbms_ue_bootstrap_info(const struct mbms_ue *ue, struct mbms_ue_bootstrap_info *out)
{
	memset(out, 0, sizeof(*out));
	if (!ue || !ue->have_boot)
		return;
	out->have = true;
	out->btid = ue->btid;
	out->expires_at_s = ue->expires_s;
}

size_t mbms_ue_muk_count(const struct mbms_ue *ue)
{
	size_t n = 0;
	for (size_t i = 0; ue && i < MBMS_UE_MAX_BMSCS; i++)
		n += (size_t)ue->bmsc[i].have_muk + (size_t)ue->bmsc[i].have_prev;
	return n;
}

static void muk_info(const struct ue_bmsc *b, const struct mbms_muk_state *m, bool prev,
		     struct mbms_ue_muk_info *out)
{
	out->fqdn = b->fqdn;
	out->previous = prev;
	out->idr = (const char *)m->idr; /* NUL-padded: the B-TID (idr_len < array size) */
	out->have_counter = m->have_counter;
	out->ts_counter = m->ts_counter;
}

int mbms_ue_muk_info(const struct mbms_ue *ue, size_t idx, struct mbms_ue_muk_info *out)
{
	if (!ue || !out)
		return MBMS_EINVAL;
	memset(out, 0, sizeof(*out));
	for (size_t i = 0; i < MBMS_UE_MAX_BMSCS; i++) {
		const struct ue_bmsc *b = &ue->bmsc[i];
		if (b->have_muk && idx-- == 0) {
			muk_info(b, &b->muk, false, out);
			return 0;
		}
		if (b->have_prev && idx-- == 0) {
			muk_info(b, &b->prev, true, out);
			return 0;
		}
	}
	return MBMS_ENOTFOUND;
}

void mbms_ue_counters(const struct mbms_ue *ue, struct mbms_ue_counters *out)
{
	if (ue)
		*out = ue->cnt;
	else
		memset(out, 0, sizeof(*out));
}
