/* The UE's persistent state as text (the key store file of mbms-ue): one
 * record per line, fields separated by one space, keys in hex. It holds Ks,
 * MUKs, MSKs and MTKs: the shell keeps the file 0600 and wipes its buffers.
 *
 *   mbms-ue-state 1
 *   bootstrap <B-TID> <expires_s> <made_s> <Ks>
 *   keyseq <install sequence of the MSK table> <MTK sequence>
 *   bmsc <FQDN> <port>
 *   muk <FQDN> cur|prev <IDr> <counter|-> <MUK>
 *   msk <kd> <MSK ID> <VF> <VT> <installed> <counter|-> <MTK ID|-> <MSK>
 *   mtk <kd> <MSK ID> <MTK ID> <seq> <MTK> <salt>
 *   service <service ID> <state> <registered 0|1> [reason up to the end of the line]
 *   end
 */
#include "ue_priv.h"

#include "mbmssec/crypto.h"
#include "mbmssec/error.h"

#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define STATE_MAGIC "mbms-ue-state 1"

struct out {
	char *p;
	size_t cap, len;
	bool overflow;
};

static void put(struct out *o, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static void put(struct out *o, const char *fmt, ...)
{
	if (o->overflow)
		return;
	va_list ap;
	va_start(ap, fmt);
	int n = vsnprintf(o->p + o->len, o->cap - o->len, fmt, ap);
	va_end(ap);
	if (n < 0 || (size_t)n >= o->cap - o->len) {
		o->overflow = true;
		return;
	}
	o->len += (size_t)n;
}

static void put_hex(struct out *o, const uint8_t *b, size_t n)
{
	char hex[2 * 64 + 1];
	if (n > 64 || mbms_hex_encode(b, n, hex, sizeof(hex)) != 0) {
		o->overflow = true;
		return;
	}
	put(o, " %s", hex);
	mbms_wipe(hex, sizeof(hex));
}

static void put_opt(struct out *o, bool have, uint32_t v)
{
	if (have)
		put(o, " %" PRIu32, v);
	else
		put(o, " -");
}

static void put_muk(struct out *o, const struct ue_bmsc *b, const struct mbms_muk_state *m,
		    const char *which)
{
	put(o, "muk %s %s %.*s", b->fqdn, which, (int)m->idr_len, (const char *)m->idr);
	put_opt(o, m->have_counter, m->ts_counter);
	put_hex(o, m->muk, MBMS_MUK_LEN);
	put(o, "\n");
}

int mbms_ue_state_save(const struct mbms_ue *ue, char *buf, size_t cap, size_t *out_len)
{
	if (!ue || !buf || !out_len || cap == 0)
		return MBMS_EINVAL;
	struct out o = {buf, cap, 0, false};
	char kd[7];
	put(&o, "%s\n", STATE_MAGIC);
	if (ue->have_boot) {
		put(&o, "bootstrap %s %" PRIu64 " %" PRIu64, ue->btid, ue->expires_s, ue->boot_at_s);
		put_hex(&o, ue->ks, MBMS_KS_LEN);
		put(&o, "\n");
	}
	put(&o, "keyseq %" PRIu64 " %" PRIu64 "\n", ue->keys.install_seq, ue->mtk_seq);
	for (size_t i = 0; i < MBMS_UE_MAX_BMSCS; i++) {
		const struct ue_bmsc *b = &ue->bmsc[i];
		if (!b->used)
			continue;
		put(&o, "bmsc %s %u\n", b->fqdn, (unsigned)b->port);
		if (b->have_muk)
			put_muk(&o, b, &b->muk, "cur");
		if (b->have_prev)
			put_muk(&o, b, &b->prev, "prev");
	}
	for (size_t i = 0; i < MBMS_KEY_STORE_MAX_MSKS; i++) {
		const struct mbms_msk_entry *e = &ue->keys.msk[i];
		if (!e->used)
			continue;
		ue_hex(e->key_domain_id, MBMS_KEY_DOMAIN_ID_LEN, kd, sizeof(kd));
		put(&o, "msk %s %08" PRIx32 " %u %u %" PRIu64, kd, e->msk_id, (unsigned)e->vf,
		    (unsigned)e->vt, e->installed);
		put_opt(&o, e->have_counter, e->ts_counter);
		put_opt(&o, e->have_mtk_id, e->mtk_id);
		put_hex(&o, e->msk, MBMS_MSK_LEN);
		put(&o, "\n");
	}
	for (size_t i = 0; i < UE_MAX_MTKS; i++) {
		const struct ue_mtk *t = &ue->mtk[i];
		if (!t->used)
			continue;
		ue_hex(t->m.key_domain_id, MBMS_KEY_DOMAIN_ID_LEN, kd, sizeof(kd));
		put(&o, "mtk %s %08" PRIx32 " %u %" PRIu64, kd, t->m.msk_id, (unsigned)t->m.mtk_id,
		    t->seq);
		put_hex(&o, t->m.mtk, MBMS_MTK_LEN);
		put_hex(&o, t->m.salt, MBMS_MTK_SALT_LEN);
		put(&o, "\n");
	}
	for (size_t i = 0; i < MBMS_UE_MAX_SERVICES; i++) {
		const struct ue_service *s = &ue->svc[i];
		if (!s->used)
			continue;
		put(&o, "service %s %s %d%s%s\n", s->id, mbms_ue_service_state_name(s->state),
		    s->registered ? 1 : 0, s->reason[0] ? " " : "", s->reason);
	}
	put(&o, "end\n");
	if (o.overflow) {
		mbms_wipe(buf, cap);
		return MBMS_ENOSPC;
	}
	*out_len = o.len;
	return 0;
}

/* ---- loading ---- */

#define MAX_TOKENS 10

struct line {
	char *tok[MAX_TOKENS];
	size_t n;
	char *rest; /* after the fourth token (service reason) */
};

/* Split a NUL-terminated line at single spaces (no empty fields). */
static int split(char *s, struct line *l)
{
	memset(l, 0, sizeof(*l));
	while (*s) {
		if (l->n == MAX_TOKENS)
			return MBMS_ESYNTAX;
		if (l->n == 4 && strcmp(l->tok[0], "service") == 0) {
			l->rest = s;
			return 0;
		}
		l->tok[l->n++] = s;
		char *sp = strchr(s, ' ');
		if (!sp)
			break;
		*sp = '\0';
		s = sp + 1;
		if (*s == '\0' || *s == ' ')
			return MBMS_ESYNTAX;
	}
	return l->n ? 0 : MBMS_ESYNTAX;
}

static int u64_of(const char *s, uint64_t max, uint64_t *out)
{
	if (!s || !*s || strlen(s) > 20)
		return MBMS_ESYNTAX;
	uint64_t v = 0;
	for (const char *p = s; *p; p++) {
		if (*p < '0' || *p > '9')
			return MBMS_ESYNTAX;
		unsigned d = (unsigned)(*p - '0');
		if (v > (UINT64_MAX - d) / 10)
			return MBMS_ESYNTAX;
		v = v * 10 + d;
	}
	if (v > max)
		return MBMS_ESYNTAX;
	*out = v;
	return 0;
}

static int opt_of(const char *s, uint64_t max, bool *have, uint64_t *v)
{
	if (strcmp(s, "-") == 0) {
		*have = false;
		*v = 0;
		return 0;
	}
	*have = true;
	return u64_of(s, max, v);
}

static int hex_of(const char *s, uint8_t *out, size_t len)
{
	size_t got = 0;
	if (strlen(s) != 2 * len || mbms_hex_decode(s, 2 * len, out, len, &got) != 0 || got != len)
		return MBMS_ESYNTAX;
	return 0;
}

static int msk_id_of(const char *s, uint32_t *out)
{
	uint8_t b[4];
	if (hex_of(s, b, 4))
		return MBMS_ESYNTAX;
	*out = mbms_get_be32(b);
	return 0;
}

static struct ue_bmsc *bmsc_named(struct mbms_ue *ue, const char *fqdn)
{
	for (size_t i = 0; i < MBMS_UE_MAX_BMSCS; i++)
		if (ue->bmsc[i].used && strcmp(ue->bmsc[i].fqdn, fqdn) == 0)
			return &ue->bmsc[i];
	return NULL;
}

static int load_line(struct mbms_ue *ue, struct line *l)
{
	const char *k = l->tok[0];
	uint64_t a, b, c, d;
	bool ha, hb;
	if (strcmp(k, "bootstrap") == 0 && l->n == 5) {
		uint8_t rand[MBMS_GBA_RAND_LEN];
		const char *host;
		if (strlen(l->tok[1]) >= sizeof(ue->btid) || mbms_btid_parse(l->tok[1], rand, &host) ||
		    u64_of(l->tok[2], UINT64_MAX / 1000, &a) || u64_of(l->tok[3], UINT64_MAX, &b) ||
		    hex_of(l->tok[4], ue->ks, MBMS_KS_LEN))
			return MBMS_ESYNTAX;
		snprintf(ue->btid, sizeof(ue->btid), "%s", l->tok[1]);
		memcpy(ue->rand, rand, sizeof(rand));
		ue->expires_s = a;
		ue->boot_at_s = b;
		ue->have_boot = true;
		return 0;
	}
	if (strcmp(k, "keyseq") == 0 && l->n == 3) {
		if (u64_of(l->tok[1], UINT64_MAX, &a) || u64_of(l->tok[2], UINT64_MAX, &b))
			return MBMS_ESYNTAX;
		ue->keys.install_seq = a;
		ue->mtk_seq = b;
		return 0;
	}
	if (strcmp(k, "bmsc") == 0 && l->n == 3) {
		struct mbms_hostport hp;
		if (bmsc_named(ue, l->tok[1]) || strlen(l->tok[1]) > MBMS_KMXML_HOST_MAX ||
		    u64_of(l->tok[2], 65535, &a))
			return MBMS_ESYNTAX;
		snprintf(hp.host, sizeof(hp.host), "%s", l->tok[1]);
		hp.port = 0;
		if (mbms_hostport_check(&hp) != 0)
			return MBMS_ESYNTAX;
		for (size_t i = 0; i < MBMS_UE_MAX_BMSCS; i++)
			if (!ue->bmsc[i].used) {
				ue->bmsc[i].used = true;
				snprintf(ue->bmsc[i].fqdn, sizeof(ue->bmsc[i].fqdn), "%s", l->tok[1]);
				ue->bmsc[i].port = (uint16_t)a;
				return 0;
			}
		return MBMS_ESYNTAX;
	}
	if (strcmp(k, "muk") == 0 && l->n == 6) {
		struct ue_bmsc *bm = bmsc_named(ue, l->tok[1]);
		bool prev = strcmp(l->tok[2], "prev") == 0;
		uint8_t muk[MBMS_MUK_LEN];
		if (!bm || (!prev && strcmp(l->tok[2], "cur") != 0) ||
		    (prev ? bm->have_prev : bm->have_muk) || opt_of(l->tok[4], UINT32_MAX, &ha, &a) ||
		    hex_of(l->tok[5], muk, sizeof(muk)))
			return MBMS_ESYNTAX;
		struct mbms_muk_state *m = prev ? &bm->prev : &bm->muk;
		int rc = mbms_muk_state_init(m, muk, (const uint8_t *)bm->fqdn, strlen(bm->fqdn),
					     (const uint8_t *)l->tok[3], strlen(l->tok[3]));
		mbms_wipe(muk, sizeof(muk));
		if (rc || strlen(l->tok[3]) >= MBMS_GBA_BTID_MAX)
			return MBMS_ESYNTAX;
		m->have_counter = ha;
		m->ts_counter = (uint32_t)a;
		if (prev)
			bm->have_prev = true;
		else
			bm->have_muk = true;
		return 0;
	}
	if (strcmp(k, "msk") == 0 && l->n == 9) {
		uint8_t kd[MBMS_KEY_DOMAIN_ID_LEN], msk[MBMS_MSK_LEN];
		uint32_t id;
		uint64_t vf, vt;
		if (hex_of(l->tok[1], kd, sizeof(kd)) || msk_id_of(l->tok[2], &id) ||
		    mbms_msk_id_key_number(id) == 0 || u64_of(l->tok[3], 65535, &vf) ||
		    u64_of(l->tok[4], 65535, &vt) || u64_of(l->tok[5], UINT64_MAX, &c) ||
		    opt_of(l->tok[6], UINT32_MAX, &ha, &a) || opt_of(l->tok[7], 65535, &hb, &b) ||
		    hex_of(l->tok[8], msk, sizeof(msk)) || mbms_key_store_find(&ue->keys, kd, id))
			return MBMS_ESYNTAX;
		struct mbms_msk_entry *slot = NULL;
		for (size_t i = 0; i < MBMS_KEY_STORE_MAX_MSKS && !slot; i++)
			if (!ue->keys.msk[i].used)
				slot = &ue->keys.msk[i];
		if (!slot) {
			mbms_wipe(msk, sizeof(msk));
			return MBMS_ESYNTAX;
		}
		slot->used = true;
		memcpy(slot->key_domain_id, kd, sizeof(kd));
		slot->msk_id = id;
		memcpy(slot->msk, msk, sizeof(msk));
		mbms_wipe(msk, sizeof(msk));
		slot->vf = (uint16_t)vf;
		slot->vt = (uint16_t)vt;
		slot->installed = c;
		slot->have_counter = ha;
		slot->ts_counter = (uint32_t)a;
		slot->have_mtk_id = hb;
		slot->mtk_id = (uint16_t)b;
		return 0;
	}
	if (strcmp(k, "mtk") == 0 && l->n == 7) {
		struct ue_mtk *slot = NULL;
		for (size_t i = 0; i < UE_MAX_MTKS && !slot; i++)
			if (!ue->mtk[i].used)
				slot = &ue->mtk[i];
		if (!slot || hex_of(l->tok[1], slot->m.key_domain_id, MBMS_KEY_DOMAIN_ID_LEN) ||
		    msk_id_of(l->tok[2], &slot->m.msk_id) || u64_of(l->tok[3], 65535, &a) ||
		    u64_of(l->tok[4], UINT64_MAX, &d) ||
		    hex_of(l->tok[5], slot->m.mtk, MBMS_MTK_LEN) ||
		    hex_of(l->tok[6], slot->m.salt, MBMS_MTK_SALT_LEN)) {
			if (slot)
				mbms_wipe(slot, sizeof(*slot));
			return MBMS_ESYNTAX;
		}
		slot->m.mtk_id = (uint16_t)a;
		slot->seq = d;
		slot->used = true;
		return 0;
	}
	if (strcmp(k, "service") == 0 && l->n == 4) {
		enum mbms_ue_service_state st;
		if (mbms_ue_service_state_parse(l->tok[2], &st) ||
		    (strcmp(l->tok[3], "0") != 0 && strcmp(l->tok[3], "1") != 0) ||
		    mbms_ue_service_add(ue, l->tok[1], NULL) != 0)
			return MBMS_ESYNTAX;
		struct ue_service *s = ue_service_find(ue, l->tok[1]);
		s->state = st;
		s->registered = l->tok[3][0] == '1';
		if (l->rest && strlen(l->rest) >= sizeof(s->reason))
			return MBMS_ESYNTAX;
		snprintf(s->reason, sizeof(s->reason), "%s", l->rest ? l->rest : "");
		return 0;
	}
	return MBMS_ESYNTAX;
}

int mbms_ue_state_load(struct mbms_ue *ue, const char *text, size_t len)
{
	if (!ue || (!text && len))
		return MBMS_EINVAL;
	if (ue->started)
		return MBMS_ESTATE;
	if (len > MBMS_UE_STATE_MAX)
		return MBMS_ESYNTAX;
	struct mbms_ue *tmp = malloc(sizeof(*tmp));
	char *copy = malloc(len + 1);
	int rc = tmp && copy ? 0 : MBMS_ENOMEM;
	if (rc == 0) {
		memcpy(tmp, ue, sizeof(*tmp));
		memcpy(copy, text, len);
		copy[len] = '\0';
		if (memchr(copy, '\0', len))
			rc = MBMS_ESYNTAX;
	}
	bool magic = false, end = false;
	char *save = NULL;
	for (char *ln = rc ? NULL : strtok_r(copy, "\n", &save); ln && rc == 0;
	     ln = strtok_r(NULL, "\n", &save)) {
		for (char *p = ln; *p; p++)
			if ((unsigned char)*p < 0x20 || (unsigned char)*p == 0x7f)
				rc = MBMS_ESYNTAX;
		if (rc)
			break;
		if (end) {
			rc = MBMS_ESYNTAX;
		} else if (!magic) {
			magic = strcmp(ln, STATE_MAGIC) == 0;
			rc = magic ? 0 : MBMS_ESYNTAX;
		} else if (strcmp(ln, "end") == 0) {
			end = true;
		} else {
			struct line l;
			rc = split(ln, &l);
			if (rc == 0)
				rc = load_line(tmp, &l);
		}
	}
	if (rc == 0 && !end)
		rc = MBMS_ESYNTAX; /* truncated */
	if (rc == 0) {
		memcpy(ue, tmp, sizeof(*ue));
		ue->save_pending = false;
	}
	if (tmp) {
		mbms_wipe(tmp, sizeof(*tmp));
		free(tmp);
	}
	if (copy) {
		mbms_wipe(copy, len + 1);
		free(copy);
	}
	return rc;
}
