/* The BM-SC configuration check (include/mbmssec/bmsc.h): every rule the
 * state machine relies on, with a sentence for the shell to show. */
#include "bmsc_priv.h"

#include "mbmssec/error.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

static int why_out(char *why, size_t cap, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

static int why_out(char *why, size_t cap, const char *fmt, ...)
{
	if (why && cap) {
		va_list ap;
		va_start(ap, fmt);
		vsnprintf(why, cap, fmt, ap);
		va_end(ap);
	}
	return MBMS_EINVAL;
}

static const struct mbms_bmsc_key_group_cfg *cfg_kg(const struct mbms_bmsc_config *c,
						    uint16_t key_group)
{
	for (size_t i = 0; i < c->nkey_groups; i++)
		if (c->key_groups[i].key_group == key_group)
			return &c->key_groups[i];
	return NULL;
}

static const struct mbms_bmsc_service_cfg *cfg_svc(const struct mbms_bmsc_config *c,
						   const char *id)
{
	for (size_t i = 0; i < c->nservices; i++)
		if (strcmp(c->services[i].service_id, id) == 0)
			return &c->services[i];
	return NULL;
}

int mbms_bmsc_config_check(const struct mbms_bmsc_config *c, char *why, size_t cap)
{
	if (!c)
		return why_out(why, cap, "no configuration");
	struct mbms_hostport hp;
	memset(&hp, 0, sizeof(hp));
	if (!c->fqdn || !*c->fqdn || strlen(c->fqdn) > MBMS_KMXML_HOST_MAX)
		return why_out(why, cap, "the BM-SC FQDN is missing or too long");
	snprintf(hp.host, sizeof(hp.host), "%s", c->fqdn);
	if (mbms_hostport_check(&hp) || strchr(c->fqdn, ':'))
		return why_out(why, cap, "the BM-SC FQDN '%s' is not a host name", c->fqdn);
	if (c->nservices == 0 || c->nservices > MBMS_BMSC_MAX_SERVICES)
		return why_out(why, cap, "1 to %d services are needed", MBMS_BMSC_MAX_SERVICES);
	if (c->nkey_groups == 0 || c->nkey_groups > MBMS_BMSC_MAX_KEY_GROUPS)
		return why_out(why, cap, "1 to %d key groups are needed", MBMS_BMSC_MAX_KEY_GROUPS);
	for (size_t i = 0; i < c->nkey_groups; i++) {
		const struct mbms_bmsc_key_group_cfg *k = &c->key_groups[i];
		if (cfg_kg(c, k->key_group) != k)
			return why_out(why, cap, "key group %u is given twice", k->key_group);
		if (k->msk_lifetime_ms < 1000)
			return why_out(why, cap, "key group %u: the MSK lifetime must be >= 1 s",
				       k->key_group);
		if (k->lead_time_ms == 0 || k->lead_time_ms >= k->msk_lifetime_ms)
			return why_out(why, cap,
				       "key group %u: the lead time must be > 0 and below the MSK "
				       "lifetime",
				       k->key_group);
		if (k->mtk_id_count == 0)
			return why_out(why, cap, "key group %u: at least one MTK ID per MSK",
				       k->key_group);
		if (k->mtk_lifetime_ms < 100)
			return why_out(why, cap, "key group %u: the MTK lifetime must be >= 100 ms",
				       k->key_group);
	}
	for (size_t i = 0; i < c->nservices; i++) {
		const struct mbms_bmsc_service_cfg *s = &c->services[i];
		if (!s->service_id || mbms_km_service_id_check(s->service_id, strlen(s->service_id)))
			return why_out(why, cap, "service %zu: '%s' is not a service ID (an absolute URI)",
				       i + 1, s->service_id ? s->service_id : "");
		if (cfg_svc(c, s->service_id) != s)
			return why_out(why, cap, "service %s is given twice", s->service_id);
		if (s->nkey_groups == 0 || s->nkey_groups > MBMS_KMXML_MAX_ITEMS)
			return why_out(why, cap, "service %s: 1 to %d key groups", s->service_id,
				       MBMS_KMXML_MAX_ITEMS);
		for (size_t j = 0; j < s->nkey_groups; j++) {
			if (!cfg_kg(c, s->key_groups[j]))
				return why_out(why, cap, "service %s: key group %u is not configured",
					       s->service_id, s->key_groups[j]);
			for (size_t m = 0; m < j; m++)
				if (s->key_groups[m] == s->key_groups[j])
					return why_out(why, cap, "service %s: key group %u twice",
						       s->service_id, s->key_groups[j]);
		}
		if (!s->any_subscriber && s->nsubscribers == 0)
			return why_out(why, cap, "service %s: no subscriber may use it",
				       s->service_id);
		for (size_t j = 0; j < s->nsubscribers; j++) {
			const char *e = s->subscribers[j];
			if (!e || !*e || strlen(e) >= MBMS_BMSC_IMPI_MAX ||
			    (e[0] == '*' && (e[1] != '@' || !e[2])) || strchr(e + 1, '*'))
				return why_out(why, cap,
					       "service %s: subscriber entry '%s' must be an IMPI or "
					       "*@domain",
					       s->service_id, e ? e : "");
		}
		if (s->offset_time > MBMS_ANNOUNCEMENT_MAX_TIME ||
		    s->random_time_period > MBMS_ANNOUNCEMENT_MAX_TIME)
			return why_out(why, cap, "service %s: offset/random time above %u s",
				       s->service_id, MBMS_ANNOUNCEMENT_MAX_TIME);
	}
	for (size_t i = 0; i < c->nsessions; i++) {
		const struct mbms_bmsc_session_cfg *s = &c->sessions[i];
		const char *name = s->name ? s->name : "?";
		const struct mbms_bmsc_service_cfg *svc = s->service_id ? cfg_svc(c, s->service_id)
									: NULL;
		if (!svc)
			return why_out(why, cap, "session %s: unknown service", name);
		bool found = false;
		for (size_t j = 0; j < svc->nkey_groups; j++)
			found |= svc->key_groups[j] == s->key_group;
		if (!found)
			return why_out(why, cap, "session %s: key group %u is not one of service %s",
				       name, s->key_group, svc->service_id);
		if (s->destination.port == 0 || mbms_hostport_check(&s->destination))
			return why_out(why, cap, "session %s: destination must be host:port", name);
		if (s->mtk_port == 0)
			return why_out(why, cap, "session %s: mtk port 0", name);
		if (s->nsend_to == 0 || !s->send_to)
			return why_out(why, cap, "session %s: nowhere to send MTK messages", name);
		for (size_t j = 0; j < s->nsend_to; j++)
			if ((s->send_to[j].family != 4 && s->send_to[j].family != 6) ||
			    s->send_to[j].port == 0)
				return why_out(why, cap, "session %s: MTK address %zu is not IP:port",
					       name, j + 1);
		if (s->mtk_interval_ms == 0)
			return why_out(why, cap, "session %s: MTK interval 0", name);
	}
	for (size_t i = 0; i < c->nservices; i++) {
		size_t n = 0;
		for (size_t j = 0; j < c->nsessions; j++)
			n += strcmp(c->sessions[j].service_id, c->services[i].service_id) == 0;
		if (n > MBMS_KMXML_MAX_ITEMS)
			return why_out(why, cap, "service %s: more than %d sessions",
				       c->services[i].service_id, MBMS_KMXML_MAX_ITEMS);
	}
	if (c->nonce_lifetime_ms < 1000)
		return why_out(why, cap, "the nonce lifetime must be >= 1 s");
	if (c->nc_table_cap < 16 || c->nc_table_cap > (1u << 24))
		return why_out(why, cap, "the nc table holds 16 to 16777216 nonces");
	if (c->retransmit_initial_ms == 0 || c->retransmit_max_ms < c->retransmit_initial_ms)
		return why_out(why, cap, "retransmission: initial > 0 and max >= initial");
	if (c->retransmit_count > 50)
		return why_out(why, cap, "retransmission: at most 50 retransmissions");
	if (c->counter_block == 0 || c->counter_block > (1u << 20))
		return why_out(why, cap, "the counter block is 1 to 1048576");
	return 0;
}
