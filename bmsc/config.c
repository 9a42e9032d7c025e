/* bmscd configuration (examples/bmsc.ini, docs/bmsc.md "Configuration").
 * Reads the INI file into struct bmscd_config and builds the library's
 * struct mbms_bmsc_config from it. Every error names file:line. */
#include "bmscd.h"

#include "config.h"
#include "http_ca.h"
#include "http_client.h"
#include "stream.h"

#include "mbmssec/crypto.h"
#include "mbmssec/error.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

enum section {
	SEC_NONE,
	SEC_BMSC,
	SEC_ZN,
	SEC_PUSH,
	SEC_KEY_GROUP,
	SEC_SERVICE,
	SEC_SESSION,
};

struct loader {
	struct bmscd_config *cfg;
	enum section sec;
	unsigned seen_bmsc, seen_zn, seen_push, seen_cur;
	unsigned line_bmsc, line_zn;
};


/* ---- sections ---- */

static void *grow(void *p, size_t n, size_t size)
{
	void *np = realloc(p, (n + 1) * size);
	if (np)
		memset((char *)np + n * size, 0, size);
	return np;
}

#define GROW(arr, n)                                                                               \
	do {                                                                                       \
		void *np_ = grow((arr), (n), sizeof(*(arr)));                                      \
		if (!np_)                                                                          \
			return mbmsd_ini_error(err, "out of memory");                                      \
		(arr) = np_;                                                                       \
	} while (0)

static int on_section(void *user, const char *section, const char *sub, unsigned line,
		      struct mbms_ini_error *err)
{
	struct loader *L = user;
	struct bmscd_config *c = L->cfg;
	L->seen_cur = 0;
	if (!strcmp(section, "bmsc") || !strcmp(section, "zn") || !strcmp(section, "push")) {
		if (*sub)
			return mbmsd_ini_error(err, "[%s] takes no name", section);
		unsigned *seen = !strcmp(section, "bmsc") ? &L->line_bmsc
				 : !strcmp(section, "zn") ? &L->line_zn
							  : NULL;
		L->sec = !strcmp(section, "bmsc") ? SEC_BMSC
			 : !strcmp(section, "zn") ? SEC_ZN
						  : SEC_PUSH;
		if (seen && *seen)
			return mbmsd_ini_error(err, "[%s] given twice (first at line %u)", section, *seen);
		if (seen)
			*seen = line;
		return 0;
	}
	if (!strcmp(section, "key_group")) {
		uint16_t kg;
		if (!*sub || bmscd_parse_key_group(sub, &kg))
			return mbmsd_ini_error(err, "[key_group \"N\"]: N is a key group number 0..65535 (or 0x0102), got '%s'",
				       sub);
		for (size_t i = 0; i < c->nkg; i++)
			if (c->kg[i].key_group == kg)
				return mbmsd_ini_error(err, "key group %u given twice (first at line %u)", kg,
					       c->kg_line[i]);
		GROW(c->kg, c->nkg);
		GROW(c->kg_line, c->nkg);
		struct mbms_bmsc_key_group_cfg *k = &c->kg[c->nkg];
		k->key_group = kg;
		k->msk_lifetime_ms = 3600000;
		k->lead_time_ms = 600000;
		k->mtk_id_count = 65535;
		k->mtk_lifetime_ms = 60000;
		c->kg_line[c->nkg++] = line;
		L->sec = SEC_KEY_GROUP;
		return 0;
	}
	if (!strcmp(section, "service")) {
		if (!*sub || mbms_km_service_id_check(sub, strlen(sub)))
			return mbmsd_ini_error(err, "[service \"ID\"]: ID is the serviceId URI, got '%s'", sub);
		for (size_t i = 0; i < c->nsvc; i++)
			if (!strcmp(c->svc_id[i], sub))
				return mbmsd_ini_error(err, "service %s given twice (first at line %u)", sub,
					       c->svc_line[i]);
		if (c->nsvc == MBMS_BMSC_MAX_SERVICES)
			return mbmsd_ini_error(err, "at most %d services", MBMS_BMSC_MAX_SERVICES);
		GROW(c->svc, c->nsvc);
		GROW(c->svc_id, c->nsvc);
		GROW(c->svc_kg, c->nsvc);
		GROW(c->svc_subs, c->nsvc);
		GROW(c->svc_line, c->nsvc);
		c->svc_id[c->nsvc] = strdup(sub);
		if (!c->svc_id[c->nsvc])
			return mbmsd_ini_error(err, "out of memory");
		struct mbms_bmsc_service_cfg *s = &c->svc[c->nsvc];
		s->any_subscriber = true;
		s->confidentiality = true;
		s->integrity = true;
		s->random_time_period = 5;
		c->svc_line[c->nsvc++] = line;
		L->sec = SEC_SERVICE;
		return 0;
	}
	if (!strcmp(section, "session")) {
		if (!*sub)
			return mbmsd_ini_error(err, "[session \"NAME\"] needs a name");
		for (size_t i = 0; i < c->nsess; i++)
			if (!strcmp(c->sess_name[i], sub))
				return mbmsd_ini_error(err, "session %s given twice (first at line %u)", sub,
					       c->sess_line[i]);
		GROW(c->sess, c->nsess);
		GROW(c->sess_name, c->nsess);
		GROW(c->sess_service, c->nsess);
		GROW(c->sess_to, c->nsess);
		GROW(c->sess_to_text, c->nsess);
		GROW(c->sess_line, c->nsess);
		GROW(c->sess_srtp, c->nsess);
		GROW(c->sess_nsrtp, c->nsess);
		c->sess_name[c->nsess] = strdup(sub);
		if (!c->sess_name[c->nsess])
			return mbmsd_ini_error(err, "out of memory");
		struct mbms_bmsc_session_cfg *s = &c->sess[c->nsess];
		s->mtk_port = MBMS_PROFILE_MTK_PORT;
		s->mtk_interval_ms = 2000;
		c->sess_line[c->nsess++] = line;
		L->sec = SEC_SESSION;
		return 0;
	}
	return mbmsd_ini_error(err, "unknown section [%s] (bmsc, zn, push, key_group, service, session)",
		       section);
}

/* A key may appear once per section. */
static int once(struct loader *L, unsigned bit, const char *key, struct mbms_ini_error *err)
{
	if (L->seen_cur & bit)
		return mbmsd_ini_error(err, "'%s' given twice in this section", key);
	L->seen_cur |= bit;
	return 0;
}

static int key_index(const char *const *keys, size_t n, const char *key)
{
	for (size_t i = 0; i < n; i++)
		if (!strcmp(keys[i], key))
			return (int)i;
	return -1;
}

static int on_bmsc(struct loader *L, const char *key, const char *v, struct mbms_ini_error *err)
{
	struct bmscd_config *c = L->cfg;
	static const char *const keys[] = {"fqdn", "mcc", "mnc", "listen", "announce_port",
					   "admin_listen", "admin_allow_remote", "mikey_listen",
					   "db", "log_level", "nonce_lifetime", "nc_table",
					   "allow_qop_auth", "tls_cert", "tls_key", "trace"};
	int k = key_index(keys, sizeof(keys) / sizeof(keys[0]), key);
	if (k < 0)
		return mbmsd_ini_error(err, "unknown key '%s' in [bmsc]", key);
	if (once(L, 1u << k, key, err))
		return MBMS_EINVAL;
	L->seen_bmsc |= 1u << k;
	uint64_t u;
	switch (k) {
	case 0:
		if (!bmscd_valid_host(v))
			return mbmsd_ini_error(err, "fqdn: not a host name: '%s'", v);
		snprintf(c->fqdn, sizeof(c->fqdn), "%s", v);
		break;
	case 1:
		if (strlen(v) != 3 || strspn(v, "0123456789") != 3)
			return mbmsd_ini_error(err, "mcc: three digits, got '%s'", v);
		snprintf(c->mcc, sizeof(c->mcc), "%s", v);
		break;
	case 2:
		if ((strlen(v) != 2 && strlen(v) != 3) || strspn(v, "0123456789") != strlen(v))
			return mbmsd_ini_error(err, "mnc: two or three digits, got '%s'", v);
		snprintf(c->mnc, sizeof(c->mnc), "%s", v);
		break;
	case 3:
		if (mbmsd_parse_hostport(v, c->listen_host, sizeof(c->listen_host), &c->listen_port,
					 true))
			return mbmsd_ini_error(err, "listen: expected IP:PORT, got '%s'", v);
		break;
	case 4:
		if (mbmsd_parse_u64(v, 0, 65535, &u))
			return mbmsd_ini_error(err, "announce_port: 0..65535, got '%s'", v);
		c->announce_port = (uint16_t)u;
		c->announce_port_set = true;
		break;
	case 5:
		if (mbmsd_parse_hostport(v, c->admin_host, sizeof(c->admin_host), &c->admin_port,
					 true))
			return mbmsd_ini_error(err, "admin_listen: expected IP:PORT, got '%s'", v);
		break;
	case 6:
		if (bmscd_parse_bool(v, &c->admin_allow_remote))
			return mbmsd_ini_error(err, "admin_allow_remote: true or false, got '%s'", v);
		break;
	case 7:
		if (mbmsd_parse_hostport(v, c->mikey_host, sizeof(c->mikey_host), &c->mikey_port,
					 true))
			return mbmsd_ini_error(err, "mikey_listen: expected IP:PORT, got '%s'", v);
		break;
	case 8:
		if (mbmsd_config_path(c->path, v, c->db, sizeof(c->db)))
			return mbmsd_ini_error(err, "db: bad path '%s'", v);
		break;
	case 9:
		if (mbmsd_log_level_parse(v, &c->log_level))
			return mbmsd_ini_error(err, "log_level: error, warn, info or debug, got '%s'", v);
		break;
	case 10:
		if (bmscd_parse_duration(v, 1000, 86400000, &c->core.nonce_lifetime_ms))
			return mbmsd_ini_error(err, "nonce_lifetime: a duration from 1s to 1d, got '%s'", v);
		break;
	case 11:
		if (mbmsd_parse_u64(v, 16, 1u << 24, &u))
			return mbmsd_ini_error(err, "nc_table: 16..16777216 nonces, got '%s'", v);
		c->core.nc_table_cap = (size_t)u;
		break;
	case 12:
		if (bmscd_parse_bool(v, &c->core.allow_qop_auth))
			return mbmsd_ini_error(err, "allow_qop_auth: true or false, got '%s'", v);
		break;
	default: /* tls_cert, tls_key: mbmsd_tls_from_config; trace: mbmsd_trace_config_path */
		if (!*v)
			return mbmsd_ini_error(err, "%s: a file path is required", key);
		break;
	}
	return 0;
}

static int on_zn(struct loader *L, const char *key, const char *v, struct mbms_ini_error *err)
{
	struct bmscd_config *c = L->cfg;
	static const char *const keys[] = {"url", "secret", "ca_file"};
	int k = key_index(keys, 3, key);
	if (k < 0)
		return mbmsd_ini_error(err, "unknown key '%s' in [zn]", key);
	if (once(L, 1u << k, key, err))
		return MBMS_EINVAL;
	L->seen_zn |= 1u << k;
	if (k == 0) {
		if ((strncmp(v, "http://", 7) && strncmp(v, "https://", 8)) ||
		    strlen(v) >= sizeof(c->zn_url))
			return mbmsd_ini_error(err, "url: http://host:port of the BSF's Zn, got '%s'", v);
		snprintf(c->zn_url, sizeof(c->zn_url), "%s", v);
	} else if (k == 2) {
		/* checked now: a wrong path is a start-up error, not a TLS failure
		 * on the first UE's request */
		char why[sizeof(c->zn_ca_file) + 128];
		if (mbmsd_config_path(c->path, v, c->zn_ca_file, sizeof(c->zn_ca_file)))
			return mbmsd_ini_error(err, "ca_file: bad path '%s'", v);
		if (mbmsd_ca_file_check(c->zn_ca_file, why, sizeof(why)))
			return mbmsd_ini_error(err, "ca_file: %s", why);
	} else {
		if (!*v || strlen(v) >= sizeof(c->zn_secret))
			return mbmsd_ini_error(err, "secret: 1..%d characters", BMSCD_SECRET_MAX - 1);
		memcpy(c->zn_secret, v, strlen(v) + 1);
	}
	return 0;
}

static int on_push(struct loader *L, const char *key, const char *v, struct mbms_ini_error *err)
{
	struct mbms_bmsc_config *core = &L->cfg->core;
	static const char *const keys[] = {"retransmit_initial", "retransmit_max", "retransmit_count",
					   "counter_block"};
	int k = key_index(keys, 4, key);
	if (k < 0)
		return mbmsd_ini_error(err, "unknown key '%s' in [push]", key);
	if (once(L, 1u << k, key, err))
		return MBMS_EINVAL;
	uint64_t u;
	switch (k) {
	case 0:
		if (bmscd_parse_duration(v, 10, 3600000, &core->retransmit_initial_ms))
			return mbmsd_ini_error(err, "retransmit_initial: a duration from 10ms to 1h, got '%s'", v);
		break;
	case 1:
		if (bmscd_parse_duration(v, 10, 86400000, &core->retransmit_max_ms))
			return mbmsd_ini_error(err, "retransmit_max: a duration from 10ms to 1d, got '%s'", v);
		break;
	case 2:
		if (mbmsd_parse_u64(v, 0, 50, &u))
			return mbmsd_ini_error(err, "retransmit_count: 0..50, got '%s'", v);
		core->retransmit_count = (unsigned)u;
		break;
	default:
		if (mbmsd_parse_u64(v, 1, 1u << 20, &u))
			return mbmsd_ini_error(err, "counter_block: 1..1048576, got '%s'", v);
		core->counter_block = (uint32_t)u;
		break;
	}
	return 0;
}

static int on_key_group(struct loader *L, const char *key, const char *v,
			struct mbms_ini_error *err)
{
	struct mbms_bmsc_key_group_cfg *k = &L->cfg->kg[L->cfg->nkg - 1];
	static const char *const keys[] = {"msk_lifetime", "lead_time", "mtk_ids", "mtk_lifetime"};
	int i = key_index(keys, 4, key);
	if (i < 0)
		return mbmsd_ini_error(err, "unknown key '%s' in a key_group section", key);
	if (once(L, 1u << i, key, err))
		return MBMS_EINVAL;
	uint64_t u;
	switch (i) {
	case 0:
		if (bmscd_parse_duration(v, 1000, 366 * 86400000ULL, &k->msk_lifetime_ms))
			return mbmsd_ini_error(err, "msk_lifetime: a duration from 1s to 366d, got '%s'", v);
		break;
	case 1:
		if (bmscd_parse_duration(v, 1, 366 * 86400000ULL, &k->lead_time_ms))
			return mbmsd_ini_error(err, "lead_time: a duration from 1ms to 366d, got '%s'", v);
		break;
	case 2:
		if (mbmsd_parse_u64(v, 1, 65535, &u))
			return mbmsd_ini_error(err, "mtk_ids: MTK IDs per MSK, 1..65535, got '%s'", v);
		k->mtk_id_count = (uint16_t)u;
		break;
	default:
		if (bmscd_parse_duration(v, 100, 366 * 86400000ULL, &k->mtk_lifetime_ms))
			return mbmsd_ini_error(err, "mtk_lifetime: a duration from 100ms, got '%s'", v);
		break;
	}
	return 0;
}

struct list_ctx {
	struct bmscd_config *c;
	size_t idx;
	size_t n;
	struct mbms_ini_error *err;
};

static int add_kg(void *ctx, const char *item)
{
	struct list_ctx *x = ctx;
	uint16_t kg;
	if (bmscd_parse_key_group(item, &kg))
		return mbmsd_ini_error(x->err, "key_groups: '%s' is not a key group number", item);
	uint16_t *a = realloc(x->c->svc_kg[x->idx], (x->n + 1) * sizeof(*a));
	if (!a)
		return mbmsd_ini_error(x->err, "out of memory");
	a[x->n++] = kg;
	x->c->svc_kg[x->idx] = a;
	return 0;
}

static int add_sub(void *ctx, const char *item)
{
	struct list_ctx *x = ctx;
	struct mbms_bmsc_service_cfg *s = &x->c->svc[x->idx];
	if (!strcmp(item, "*")) {
		s->any_subscriber = true;
		return 0;
	}
	if (strlen(item) >= MBMS_BMSC_IMPI_MAX || (item[0] == '*' && (item[1] != '@' || !item[2])) ||
	    strchr(item + 1, '*'))
		return mbmsd_ini_error(x->err, "subscribers: '%s' is neither an IMPI, *@domain nor *", item);
	if (x->n >= BMSCD_MAX_SUBSCRIBERS)
		return mbmsd_ini_error(x->err, "subscribers: at most %d entries per service",
			       BMSCD_MAX_SUBSCRIBERS);
	char **a = realloc(x->c->svc_subs[x->idx], (x->n + 2) * sizeof(*a));
	if (!a)
		return mbmsd_ini_error(x->err, "out of memory");
	x->c->svc_subs[x->idx] = a;
	a[x->n] = strdup(item);
	a[x->n + 1] = NULL;
	if (!a[x->n])
		return mbmsd_ini_error(x->err, "out of memory");
	x->n++;
	return 0;
}

static int on_service(struct loader *L, const char *key, const char *v, struct mbms_ini_error *err)
{
	struct bmscd_config *c = L->cfg;
	size_t idx = c->nsvc - 1;
	struct mbms_bmsc_service_cfg *s = &c->svc[idx];
	static const char *const keys[] = {"key_groups", "subscribers", "confidentiality",
					   "integrity", "uicc_key_management", "offset_time",
					   "random_time_period"};
	int i = key_index(keys, 7, key);
	if (i < 0)
		return mbmsd_ini_error(err, "unknown key '%s' in a service section", key);
	if (once(L, 1u << i, key, err))
		return MBMS_EINVAL;
	uint64_t u;
	int rc;
	struct list_ctx x = {c, idx, 0, err};
	switch (i) {
	case 0:
		if ((rc = bmscd_for_each_item(v, add_kg, &x)) != 0)
			return rc == 1 ? mbmsd_ini_error(err, "key_groups: an empty list") : rc;
		s->nkey_groups = x.n;
		break;
	case 1:
		s->any_subscriber = false;
		if ((rc = bmscd_for_each_item(v, add_sub, &x)) != 0)
			return rc == 1 ? mbmsd_ini_error(err, "subscribers: an empty list") : rc;
		s->nsubscribers = x.n;
		break;
	case 2:
	case 3:
	case 4: {
		bool b;
		if (bmscd_parse_bool(v, &b))
			return mbmsd_ini_error(err, "%s: true or false, got '%s'", key, v);
		if (i == 2)
			s->confidentiality = b;
		else if (i == 3)
			s->integrity = b;
		else
			s->uicc_key_management = b;
		break;
	}
	default:
		if (mbmsd_parse_u64(v, 0, MBMS_ANNOUNCEMENT_MAX_TIME, &u))
			return mbmsd_ini_error(err, "%s: seconds 0..%u, got '%s'", key,
				       MBMS_ANNOUNCEMENT_MAX_TIME, v);
		if (i == 5)
			s->offset_time = (uint32_t)u;
		else
			s->random_time_period = (uint32_t)u;
		break;
	}
	return 0;
}

static int add_to(void *ctx, const char *item)
{
	struct list_ctx *x = ctx;
	char why[128];
	if (x->n >= BMSCD_MAX_SEND_TO)
		return mbmsd_ini_error(x->err, "mtk_send_to: at most %d destinations", BMSCD_MAX_SEND_TO);
	struct mbms_bmsc_addr *a = realloc(x->c->sess_to[x->idx], (x->n + 1) * sizeof(*a));
	if (!a)
		return mbmsd_ini_error(x->err, "out of memory");
	x->c->sess_to[x->idx] = a;
	if (bmscd_resolve_hostport(item, &a[x->n], why, sizeof(why)))
		return mbmsd_ini_error(x->err, "mtk_send_to: %s", why);
	x->n++;
	return 0;
}

static int on_session(struct loader *L, const char *key, const char *v, struct mbms_ini_error *err)
{
	struct bmscd_config *c = L->cfg;
	size_t idx = c->nsess - 1;
	struct mbms_bmsc_session_cfg *s = &c->sess[idx];
	static const char *const keys[] = {"service", "key_group", "destination", "mtk_port",
					   "mtk_send_to", "mtk_interval", "srtp_send_to"};
	int i = key_index(keys, 7, key);
	if (i < 0)
		return mbmsd_ini_error(err, "unknown key '%s' in a session section", key);
	if (once(L, 1u << i, key, err))
		return MBMS_EINVAL;
	uint64_t u;
	switch (i) {
	case 0:
		c->sess_service[idx] = strdup(v);
		if (!c->sess_service[idx])
			return mbmsd_ini_error(err, "out of memory");
		break;
	case 1:
		if (bmscd_parse_key_group(v, &s->key_group))
			return mbmsd_ini_error(err, "key_group: a key group number, got '%s'", v);
		break;
	case 2:
		if (mbms_hostport_parse(v, strlen(v), true, &s->destination))
			return mbmsd_ini_error(err, "destination: host:port (the SRTP destination), got '%s'", v);
		break;
	case 3:
		if (mbmsd_parse_u64(v, 1, 65535, &u))
			return mbmsd_ini_error(err, "mtk_port: 1..65535, got '%s'", v);
		s->mtk_port = (uint16_t)u;
		break;
	case 4: {
		struct list_ctx x = {c, idx, 0, err};
		int rc = bmscd_for_each_item(v, add_to, &x);
		if (rc)
			return rc == 1 ? mbmsd_ini_error(err, "mtk_send_to: an empty list") : rc;
		s->nsend_to = x.n;
		snprintf(c->sess_to_text[idx], sizeof(c->sess_to_text[idx]), "%s", v);
		break;
	}
	case 6: /* where the stream goes (bmsc/stream.c) */
		return bmscd_stream_cfg_send_to(c, idx, v, err);
	default:
		if (bmscd_parse_duration(v, 100, 86400000, &s->mtk_interval_ms))
			return mbmsd_ini_error(err, "mtk_interval: a duration from 100ms to 1d, got '%s'", v);
		break;
	}
	return 0;
}

static int on_key(void *user, const char *section, const char *sub, const char *key,
		  const char *value, unsigned line, struct mbms_ini_error *err)
{
	struct loader *L = user;
	(void)section;
	(void)sub;
	(void)line;
	switch (L->sec) {
	case SEC_BMSC: return on_bmsc(L, key, value, err);
	case SEC_ZN: return on_zn(L, key, value, err);
	case SEC_PUSH: return on_push(L, key, value, err);
	case SEC_KEY_GROUP: return on_key_group(L, key, value, err);
	case SEC_SERVICE: return on_service(L, key, value, err);
	case SEC_SESSION: return on_session(L, key, value, err);
	default: return mbmsd_ini_error(err, "key '%s' before the first section", key);
	}
}

/* ---- after the parse: defaults, references, the library's view ---- */

static int fail_at(char *err, size_t cap, const char *path, unsigned line, const char *fmt, ...)
	__attribute__((format(printf, 5, 6)));

static int fail_at(char *err, size_t cap, const char *path, unsigned line, const char *fmt, ...)
{
	char msg[512];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	if (line)
		snprintf(err, cap, "%s:%u: %s", path, line, msg);
	else
		snprintf(err, cap, "%s: %s", path, msg);
	return -1;
}

static int finish(struct bmscd_config *c, struct loader *L, char *err, size_t cap)
{
	static const char *const required[] = {"fqdn", "mcc", "mnc", "listen", NULL, NULL,
					       NULL,   NULL,  "db"};
	if (!L->line_bmsc)
		return fail_at(err, cap, c->path, 0, "a [bmsc] section is required");
	for (int k = 0; k < 9; k++)
		if (required[k] && !(L->seen_bmsc & (1u << k)))
			return fail_at(err, cap, c->path, L->line_bmsc, "[bmsc] %s is required",
				       required[k]);
	if (!L->line_zn || (L->seen_zn & 3) != 3)
		return fail_at(err, cap, c->path, L->line_zn,
			       "a [zn] section with url and secret is required (the BSF's Zn)");
	if (mbms_key_domain_from_plmn(c->mcc, c->mnc, c->core.key_domain_id))
		return fail_at(err, cap, c->path, L->line_bmsc, "mcc/mnc do not make a Key Domain ID");
	if (!c->admin_host[0]) {
		snprintf(c->admin_host, sizeof(c->admin_host), "127.0.0.1");
		c->admin_port = 8090;
	}
	struct mbms_bmsc_addr a;
	if (mbms_bmsc_addr_from_ip(c->admin_host, 0, &a))
		return fail_at(err, cap, c->path, L->line_bmsc, "admin_listen: not an IP address");
	bool loopback = (a.family == 4 && a.ip[0] == 127) ||
			(a.family == 6 && !memcmp(a.ip, "\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\1", 16));
	if (!loopback && !c->admin_allow_remote)
		return fail_at(err, cap, c->path, L->line_bmsc,
			       "admin_listen %s is not a loopback address: the admin interface has "
			       "no authentication (set admin_allow_remote = true to insist)",
			       c->admin_host);
	if (!c->mikey_host[0]) {
		snprintf(c->mikey_host, sizeof(c->mikey_host), "%s", c->listen_host);
		c->mikey_port = 0;
	}
	if (c->nkg == 0)
		return fail_at(err, cap, c->path, 0, "at least one [key_group \"N\"] is required");
	if (c->nsvc == 0)
		return fail_at(err, cap, c->path, 0, "at least one [service \"ID\"] is required");
	for (size_t i = 0; i < c->nkg; i++) {
		const struct mbms_bmsc_key_group_cfg *k = &c->kg[i];
		if (k->lead_time_ms >= k->msk_lifetime_ms)
			return fail_at(err, cap, c->path, c->kg_line[i],
				       "key group %u: lead_time must be shorter than msk_lifetime",
				       k->key_group);
	}
	for (size_t i = 0; i < c->nsvc; i++) {
		struct mbms_bmsc_service_cfg *s = &c->svc[i];
		s->service_id = c->svc_id[i];
		s->key_groups = c->svc_kg[i];
		s->subscribers = (const char *const *)c->svc_subs[i];
		if (!s->nkey_groups)
			return fail_at(err, cap, c->path, c->svc_line[i],
				       "service %s: key_groups is required", s->service_id);
		for (size_t j = 0; j < s->nkey_groups; j++) {
			bool found = false;
			for (size_t k = 0; k < c->nkg; k++)
				found |= c->kg[k].key_group == s->key_groups[j];
			if (!found)
				return fail_at(err, cap, c->path, c->svc_line[i],
					       "service %s: key group %u has no [key_group \"%u\"] section",
					       s->service_id, s->key_groups[j], s->key_groups[j]);
		}
	}
	for (size_t i = 0; i < c->nsess; i++) {
		struct mbms_bmsc_session_cfg *s = &c->sess[i];
		s->name = c->sess_name[i];
		s->service_id = c->sess_service[i];
		if (!s->service_id)
			return fail_at(err, cap, c->path, c->sess_line[i], "session %s: service is required",
				       s->name);
		const struct mbms_bmsc_service_cfg *svc = NULL;
		for (size_t j = 0; j < c->nsvc; j++)
			if (!strcmp(c->svc_id[j], s->service_id))
				svc = &c->svc[j];
		if (!svc)
			return fail_at(err, cap, c->path, c->sess_line[i],
				       "session %s: no [service \"%s\"] section", s->name, s->service_id);
		if (!s->destination.host[0])
			return fail_at(err, cap, c->path, c->sess_line[i],
				       "session %s: destination is required", s->name);
		if (s->key_group == 0) {
			bool listed = false;
			for (size_t j = 0; j < svc->nkey_groups; j++)
				listed |= svc->key_groups[j] == 0;
			if (!listed)
				s->key_group = svc->key_groups[0];
		}
		bool ok = false;
		for (size_t j = 0; j < svc->nkey_groups; j++)
			ok |= svc->key_groups[j] == s->key_group;
		if (!ok)
			return fail_at(err, cap, c->path, c->sess_line[i],
				       "session %s: key group %u is not one of service %s", s->name,
				       s->key_group, svc->service_id);
		if (!s->nsend_to) {
			/* default: the destination host, port mtk_port */
			char hp[300], why[160];
			snprintf(hp, sizeof(hp), "%s%s%s:%u", strchr(s->destination.host, ':') ? "[" : "",
				 s->destination.host, strchr(s->destination.host, ':') ? "]" : "",
				 s->mtk_port);
			c->sess_to[i] = calloc(1, sizeof(struct mbms_bmsc_addr));
			if (!c->sess_to[i] || bmscd_resolve_hostport(hp, c->sess_to[i], why, sizeof(why)))
				return fail_at(err, cap, c->path, c->sess_line[i], "session %s: %s", s->name,
					       c->sess_to[i] ? why : "out of memory");
			s->nsend_to = 1;
			snprintf(c->sess_to_text[i], sizeof(c->sess_to_text[i]), "%s", hp);
		}
		s->send_to = c->sess_to[i];
	}
	c->core.fqdn = c->fqdn;
	c->core.announce_port = c->announce_port_set ? c->announce_port : c->listen_port;
	c->core.services = c->svc;
	c->core.nservices = c->nsvc;
	c->core.key_groups = c->kg;
	c->core.nkey_groups = c->nkg;
	c->core.sessions = c->sess;
	c->core.nsessions = c->nsess;
	char why[256];
	if (mbms_bmsc_config_check(&c->core, why, sizeof(why)))
		return fail_at(err, cap, c->path, 0, "%s", why);
	return 0;
}

int bmscd_config_load(const char *path, struct bmscd_config *c, char *err, size_t err_cap)
{
	memset(c, 0, sizeof(*c));
	snprintf(c->path, sizeof(c->path), "%s", path);
	c->log_level = MBMSD_LOG_INFO;
	c->core.nonce_lifetime_ms = 300000;
	c->core.nc_table_cap = 65536;
	c->core.retransmit_initial_ms = 2000;
	c->core.retransmit_max_ms = 32000;
	c->core.retransmit_count = 4;
	c->core.counter_block = 64;
	struct loader L = {.cfg = c};
	if (mbmsd_config_load(path, on_section, on_key, &L, err, err_cap) ||
	    finish(c, &L, err, err_cap)) {
		bmscd_config_free(c);
		return -1;
	}
	/* The Zn client (common/zn_http.c over http_client.c) takes its CA
	 * process-wide: set here, at start-up, before the listener's worker
	 * threads exist; "" puts back the system store. */
	if (mbmsd_http_set_ca_file(c->zn_ca_file)) {
		snprintf(err, err_cap, "%s: [zn] ca_file: path too long", path);
		bmscd_config_free(c);
		return -1;
	}
	return 0;
}

void bmscd_config_free(struct bmscd_config *c)
{
	for (size_t i = 0; i < c->nsvc; i++) {
		free(c->svc_id ? c->svc_id[i] : NULL);
		free(c->svc_kg ? c->svc_kg[i] : NULL);
		if (c->svc_subs && c->svc_subs[i]) {
			for (char **p = c->svc_subs[i]; *p; p++)
				free(*p);
			free(c->svc_subs[i]);
		}
	}
	for (size_t i = 0; i < c->nsess; i++) {
		free(c->sess_name ? c->sess_name[i] : NULL);
		free(c->sess_service ? c->sess_service[i] : NULL);
		free(c->sess_to ? c->sess_to[i] : NULL);
		free(c->sess_srtp ? c->sess_srtp[i] : NULL);
	}
	free(c->kg);
	free(c->kg_line);
	free(c->svc);
	free(c->svc_id);
	free(c->svc_kg);
	free(c->svc_subs);
	free(c->svc_line);
	free(c->sess);
	free(c->sess_name);
	free(c->sess_service);
	free(c->sess_to);
	free(c->sess_to_text);
	free(c->sess_line);
	free(c->sess_srtp);
	free(c->sess_nsrtp);
	mbms_wipe(c->zn_secret, sizeof(c->zn_secret));
	char path[sizeof(c->path)];
	memcpy(path, c->path, sizeof(path));
	memset(c, 0, sizeof(*c));
	memcpy(c->path, path, sizeof(path));
}
