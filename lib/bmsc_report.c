/* BM-SC per-item report for metrics and status pages (include/mbmssec/bmsc.h):
 * what mbms_bmsc_status_json() says per key group and per service, as
 * structs, so a shell can format it without parsing JSON. Key IDs, times
 * and counts only; the MSK and MTK bytes never leave the object here. */
#include "bmsc_priv.h"

#include "mbmssec/error.h"

#include <string.h>

size_t mbms_bmsc_key_group_count(const struct mbms_bmsc *b)
{
	return b ? b->nkg : 0;
}

int mbms_bmsc_key_group_info(const struct mbms_bmsc *b, size_t index,
			     struct mbms_bmsc_key_group_info *out)
{
	if (!b || !out)
		return MBMS_EINVAL;
	if (index >= b->nkg)
		return MBMS_ENOTFOUND;
	const struct bmsc_kg *g = &b->kg[index];
	memset(out, 0, sizeof(*out));
	out->key_group = g->cfg->key_group;
	out->mtk_id_count = g->cfg->mtk_id_count;
	out->registered_ues = g->registered;
	if (g->cur.used) {
		out->current_msk_id = g->cur.msk_id;
		out->current_valid_from_ms = g->cur.valid_from;
		out->switch_over_ms = g->cur.valid_until;
		out->have_mtk = g->cur.have_mtk;
		out->mtk_id = g->cur.have_mtk ? g->cur.mtk_id : 0;
	}
	if (g->next.used)
		out->next_msk_id = g->next.msk_id;
	return 0;
}

size_t mbms_bmsc_service_count(const struct mbms_bmsc *b)
{
	return b ? b->nsvc : 0;
}

int mbms_bmsc_service_info(const struct mbms_bmsc *b, size_t index,
			   struct mbms_bmsc_service_info *out)
{
	if (!b || !out)
		return MBMS_EINVAL;
	if (index >= b->nsvc)
		return MBMS_ENOTFOUND;
	const struct bmsc_service *s = &b->svc[index];
	memset(out, 0, sizeof(*out));
	out->service_id = s->cfg->service_id;
	out->key_groups = s->cfg->key_groups;
	out->nkey_groups = s->cfg->nkey_groups;
	out->registered_ues = s->registered;
	return 0;
}
