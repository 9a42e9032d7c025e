/* mbms-ue configuration (examples/ue.ini, docs/ue.md "Configuration"). */
#include "ued.h"

#include "config.h"
#include "http_ca.h"
#include "ue_http.h"

#include "mbmssec/crypto.h"
#include "mbmssec/error.h"
#include "mbmssec/ids.h"
#include "mbmssec/milenage.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

enum {
	SEEN_STATE = 1u << 0,
	SEEN_LOG = 1u << 1,
	SEEN_PUSH_TIMEOUT = 1u << 2,
	SEEN_ATTEMPTS = 1u << 3,
	SEEN_RETRY_FLOOR = 1u << 4,
	SEEN_MARGIN = 1u << 5,
	SEEN_IMPI = 1u << 6,
	SEEN_K = 1u << 7,
	SEEN_OPC = 1u << 8,
	SEEN_SQN = 1u << 9,
	SEEN_BSF_URL = 1u << 10,
	SEEN_BSF_HOST = 1u << 11,
	SEEN_MIKEY = 1u << 12,
	SEEN_MTK = 1u << 13,
	SEEN_DROP = 1u << 14,
	SEEN_HTTP_TIMEOUT = 1u << 15,
	SEEN_MKU = 1u << 16,
	SEEN_TRACE = 1u << 17,
	SEEN_CA_FILE = 1u << 18,
};


static int once(struct ued_config *cfg, unsigned bit, const char *key, struct mbms_ini_error *err)
{
	if (cfg->seen & bit)
		return mbmsd_ini_error(err, "'%s' given twice", key);
	cfg->seen |= bit;
	return 0;
}

static bool printable(const char *s)
{
	for (; *s; s++)
		if ((unsigned char)*s <= 0x20 || (unsigned char)*s >= 0x7f)
			return false;
	return true;
}

static int on_section(void *user, const char *section, const char *sub, unsigned line,
		      struct mbms_ini_error *err)
{
	struct ued_config *cfg = user;
	(void)line;
	if (!*sub && (strcmp(section, "ue") == 0 || strcmp(section, "usim") == 0 ||
		      strcmp(section, "bsf") == 0 || strcmp(section, "net") == 0 ||
		      strcmp(section, "test") == 0))
		return 0;
	if (strcmp(section, "service") == 0) {
		if (!*sub)
			return mbmsd_ini_error(err, "a service section needs its ID: [service \"urn:...\"]");
		if (mbms_km_service_id_check(sub, strlen(sub)) != 0)
			return mbmsd_ini_error(err, "[service \"%s\"]: not a service ID (an absolute URI)", sub);
		for (size_t i = 0; i < cfg->nsvc; i++)
			if (strcmp(cfg->svc[i].id, sub) == 0)
				return mbmsd_ini_error(err, "[service \"%s\"] given twice", sub);
		if (cfg->nsvc == MBMS_UE_MAX_SERVICES)
			return mbmsd_ini_error(err, "at most %d services", MBMS_UE_MAX_SERVICES);
		struct ued_service *s = &cfg->svc[cfg->nsvc++];
		memset(s, 0, sizeof(*s));
		snprintf(s->id, sizeof(s->id), "%s", sub);
		return 0;
	}
	if (strcmp(section, "stream") == 0) /* ue/srtp.c */
		return ued_stream_section(cfg, sub, err);
	return mbmsd_ini_error(err, "unknown section [%s%s%s%s]", section, *sub ? " \"" : "", sub,
		       *sub ? "\"" : "");
}

static int u64_key(const char *key, const char *value, uint64_t min, uint64_t max, uint64_t *out,
		   struct mbms_ini_error *err)
{
	if (mbmsd_parse_u64(value, min, max, out))
		return mbmsd_ini_error(err, "%s: a number from %llu to %llu, got '%s'", key,
			       (unsigned long long)min, (unsigned long long)max, value);
	return 0;
}

static int hex16(const char *key, const char *value, uint8_t out[16], struct mbms_ini_error *err)
{
	size_t got = 0;
	if (strlen(value) != 32 || mbms_hex_decode(value, 32, out, 16, &got) || got != 16)
		return mbmsd_ini_error(err, "%s: 16 bytes of hex (32 digits)", key);
	return 0;
}

static int path_key(struct ued_config *cfg, const char *key, const char *value, char *out,
		    struct mbms_ini_error *err)
{
	if (mbmsd_config_path(cfg->path, value, out, UED_PATH_MAX))
		return mbmsd_ini_error(err, "%s: bad path '%s'", key, value);
	return 0;
}

static int key_ue(struct ued_config *cfg, const char *key, const char *value,
		  struct mbms_ini_error *err)
{
	uint64_t v;
	if (strcmp(key, "state") == 0) {
		if (once(cfg, SEEN_STATE, key, err))
			return MBMS_EINVAL;
		return path_key(cfg, key, value, cfg->state, err);
	}
	if (strcmp(key, "log_level") == 0) {
		if (once(cfg, SEEN_LOG, key, err))
			return MBMS_EINVAL;
		if (mbmsd_log_level_parse(value, &cfg->log_level))
			return mbmsd_ini_error(err, "log_level: error, warn, info or debug, got '%s'", value);
		return 0;
	}
	if (strcmp(key, "push_timeout_ms") == 0) {
		if (once(cfg, SEEN_PUSH_TIMEOUT, key, err) ||
		    u64_key(key, value, 100, 3600000, &v, err))
			return MBMS_EINVAL;
		cfg->push_timeout_ms = v;
		return 0;
	}
	if (strcmp(key, "max_attempts") == 0) {
		if (once(cfg, SEEN_ATTEMPTS, key, err) || u64_key(key, value, 1, 100, &v, err))
			return MBMS_EINVAL;
		cfg->max_attempts = (unsigned)v;
		return 0;
	}
	if (strcmp(key, "retry_floor_ms") == 0) {
		if (once(cfg, SEEN_RETRY_FLOOR, key, err) || u64_key(key, value, 0, 600000, &v, err))
			return MBMS_EINVAL;
		cfg->retry_floor_ms = v;
		return 0;
	}
	if (strcmp(key, "rebootstrap_margin_s") == 0) {
		if (once(cfg, SEEN_MARGIN, key, err) || u64_key(key, value, 0, 86400, &v, err))
			return MBMS_EINVAL;
		cfg->rebootstrap_margin_s = v;
		return 0;
	}
	if (strcmp(key, "mku_min_interval_ms") == 0) {
		if (once(cfg, SEEN_MKU, key, err) || u64_key(key, value, 0, 3600000, &v, err))
			return MBMS_EINVAL;
		cfg->mku_min_interval_ms = v;
		return 0;
	}
	if (strcmp(key, "http_timeout_s") == 0) {
		if (once(cfg, SEEN_HTTP_TIMEOUT, key, err) || u64_key(key, value, 1, 300, &v, err))
			return MBMS_EINVAL;
		cfg->http_timeout_s = (long)v;
		return 0;
	}
	if (strcmp(key, "trace") == 0) /* read by ued_trace_start (docs/trace.md) */
		return once(cfg, SEEN_TRACE, key, err);
	return mbmsd_ini_error(err, "unknown key '%s' in [ue]", key);
}

static int key_usim(struct ued_config *cfg, const char *key, const char *value,
		    struct mbms_ini_error *err)
{
	if (strcmp(key, "impi") == 0) {
		if (once(cfg, SEEN_IMPI, key, err))
			return MBMS_EINVAL;
		if (!*value || strlen(value) >= sizeof(cfg->impi) || !printable(value) ||
		    strchr(value, '"') || strchr(value, '\\'))
			return mbmsd_ini_error(err, "impi: 1..255 printable characters, no quotes");
		snprintf(cfg->impi, sizeof(cfg->impi), "%s", value);
		return 0;
	}
	if (strcmp(key, "k") == 0) {
		if (once(cfg, SEEN_K, key, err) || hex16(key, value, cfg->k, err))
			return MBMS_EINVAL;
		cfg->have_k = true;
		return 0;
	}
	if (strcmp(key, "opc") == 0 || strcmp(key, "op") == 0) {
		/* op needs K first: OPc = OP xor E_K(OP) (TS 35.206) */
		if (once(cfg, SEEN_OPC, "opc/op", err) || hex16(key, value, cfg->opc, err))
			return MBMS_EINVAL;
		if (strcmp(key, "op") == 0) {
			if (!cfg->have_k)
				return mbmsd_ini_error(err, "op: give k before op");
			uint8_t op[16];
			memcpy(op, cfg->opc, 16);
			int rc = mbms_milenage_opc(cfg->k, op, cfg->opc);
			mbms_wipe(op, sizeof(op));
			if (rc)
				return mbmsd_ini_error(err, "op: %s", mbms_strerror(rc));
		}
		cfg->have_opc = true;
		return 0;
	}
	if (strcmp(key, "sqn_state") == 0) {
		if (once(cfg, SEEN_SQN, key, err))
			return MBMS_EINVAL;
		return path_key(cfg, key, value, cfg->sqn_state, err);
	}
	return mbmsd_ini_error(err, "unknown key '%s' in [usim]", key);
}

static int key_bsf(struct ued_config *cfg, const char *key, const char *value,
		   struct mbms_ini_error *err)
{
	if (strcmp(key, "url") == 0) {
		if (once(cfg, SEEN_BSF_URL, key, err))
			return MBMS_EINVAL;
		if ((strncmp(value, "http://", 7) != 0 && strncmp(value, "https://", 8) != 0) ||
		    strlen(value) >= sizeof(cfg->bsf_url) || !printable(value))
			return mbmsd_ini_error(err, "url: http(s)://host[:port], got '%s'", value);
		snprintf(cfg->bsf_url, sizeof(cfg->bsf_url), "%s", value);
		return 0;
	}
	if (strcmp(key, "host") == 0) {
		if (once(cfg, SEEN_BSF_HOST, key, err))
			return MBMS_EINVAL;
		if (!*value || strlen(value) >= sizeof(cfg->bsf_host) || !printable(value) ||
		    strchr(value, '"'))
			return mbmsd_ini_error(err, "host: the BSF's host name");
		snprintf(cfg->bsf_host, sizeof(cfg->bsf_host), "%s", value);
		return 0;
	}
	if (strcmp(key, "ca_file") == 0) {
		/* the CA bundle for HTTPS, to the BSF and to the BM-SC alike: the
		 * helper makes both; checked now, not at the first request */
		char why[UED_PATH_MAX + 128];
		if (once(cfg, SEEN_CA_FILE, key, err) ||
		    path_key(cfg, key, value, cfg->ca_file, err))
			return MBMS_EINVAL;
		if (mbmsd_ca_file_check(cfg->ca_file, why, sizeof(why)))
			return mbmsd_ini_error(err, "ca_file: %s", why);
		return 0;
	}
	return mbmsd_ini_error(err, "unknown key '%s' in [bsf]", key);
}

static int listen_key(struct ued_config *cfg, unsigned bit, const char *key, const char *value,
		      char *host, size_t host_cap, uint16_t *port, struct mbms_ini_error *err)
{
	if (once(cfg, bit, key, err))
		return MBMS_EINVAL;
	if (mbmsd_parse_hostport(value, host, host_cap, port, true))
		return mbmsd_ini_error(err, "%s: expected IP:PORT (port 0: any), got '%s'", key, value);
	return 0;
}

static int key_net(struct ued_config *cfg, const char *key, const char *value,
		   struct mbms_ini_error *err)
{
	if (strcmp(key, "mikey_listen") == 0)
		return listen_key(cfg, SEEN_MIKEY, key, value, cfg->mikey_host,
				  sizeof(cfg->mikey_host), &cfg->mikey_port, err);
	if (strcmp(key, "mtk_listen") == 0) {
		if (strcmp(value, "off") == 0) {
			if (once(cfg, SEEN_MTK, key, err))
				return MBMS_EINVAL;
			cfg->mtk_off = true;
			return 0;
		}
		return listen_key(cfg, SEEN_MTK, key, value, cfg->mtk_host, sizeof(cfg->mtk_host),
				  &cfg->mtk_port, err);
	}
	if (strcmp(key, "resolve") == 0) {
		/* HOST:PORT:ADDRESS, as curl --resolve (CURLOPT_RESOLVE) */
		if (cfg->nresolve == UED_MAX_RESOLVE)
			return mbmsd_ini_error(err, "at most %d resolve entries", UED_MAX_RESOLVE);
		const char *c1 = strchr(value, ':');
		char *end = NULL;
		unsigned long port = c1 ? strtoul(c1 + 1, &end, 10) : 0;
		if (!c1 || c1 == value || strlen(value) >= UED_RESOLVE_MAX || !printable(value) ||
		    end == c1 + 1 || !end || *end != ':' || port == 0 || port > 65535 || !end[1])
			return mbmsd_ini_error(err,
				       "resolve: HOST:PORT:ADDRESS (as curl --resolve), got '%s'",
				       value);
		snprintf(cfg->resolve[cfg->nresolve++], UED_RESOLVE_MAX, "%s", value);
		return 0;
	}
	if (strcmp(key, "http_helper") == 0) {
		/* the mbms-ue-http program (docs/ue.md "The HTTP helper") */
		if (cfg->http_helper[0])
			return mbmsd_ini_error(err, "http_helper given twice");
		if (value[0] != '/' || strlen(value) >= sizeof(cfg->http_helper) || !printable(value))
			return mbmsd_ini_error(err, "http_helper: an absolute path, got '%s'", value);
		snprintf(cfg->http_helper, sizeof(cfg->http_helper), "%s", value);
		return 0;
	}
	return mbmsd_ini_error(err, "unknown key '%s' in [net]", key);
}

static int key_service(struct ued_config *cfg, const char *key, const char *value,
		       struct mbms_ini_error *err)
{
	struct ued_service *s = &cfg->svc[cfg->nsvc - 1];
	if (strcmp(key, "announcement_url") == 0) {
		if (s->ann_url[0] || s->ann_file[0])
			return mbmsd_ini_error(err, "give one announcement_url or announcement_file");
		if (strncmp(value, "http://", 7) != 0 || strlen(value) >= sizeof(s->ann_url) ||
		    !printable(value))
			return mbmsd_ini_error(err, "announcement_url: http://host[:port]/path, got '%s'",
				       value);
		snprintf(s->ann_url, sizeof(s->ann_url), "%s", value);
		return 0;
	}
	if (strcmp(key, "announcement_file") == 0) {
		if (s->ann_url[0] || s->ann_file[0])
			return mbmsd_ini_error(err, "give one announcement_url or announcement_file");
		return path_key(cfg, key, value, s->ann_file, err);
	}
	return mbmsd_ini_error(err, "unknown key '%s' in a service section", key);
}

static int key_test(struct ued_config *cfg, const char *key, const char *value,
		    struct mbms_ini_error *err)
{
	uint64_t v;
	if (strcmp(key, "drop_msk_push") == 0) {
		if (once(cfg, SEEN_DROP, key, err))
			return MBMS_EINVAL;
		if (strcmp(value, "unsolicited") == 0) {
			cfg->drop_unsolicited = true;
			return 0;
		}
		if (mbmsd_parse_u64(value, 0, UINT32_MAX, &v))
			return mbmsd_ini_error(err, "drop_msk_push: a count or 'unsolicited', got '%s'",
				       value);
		cfg->drop_msk_push = (uint32_t)v;
		return 0;
	}
	if (strcmp(key, "drop_rate") == 0) { /* "30" or "30%": random loss, docs/ue.md */
		char num[16];
		snprintf(num, sizeof(num), "%s", value);
		size_t nl = strlen(num);
		if (nl && num[nl - 1] == '%')
			num[nl - 1] = '\0';
		if (cfg->drop_rate_pct || mbmsd_parse_u64(num, 1, 99, &v))
			return mbmsd_ini_error(err, "drop_rate: once, a percentage 1..99, got '%s'", value);
		cfg->drop_rate_pct = (unsigned)v;
		return 0;
	}
	return mbmsd_ini_error(err, "unknown key '%s' in [test]", key);
}

static int on_key(void *user, const char *section, const char *sub, const char *key,
		  const char *value, unsigned line, struct mbms_ini_error *err)
{
	struct ued_config *cfg = user;
	(void)sub;
	(void)line;
	if (strcmp(section, "ue") == 0)
		return key_ue(cfg, key, value, err);
	if (strcmp(section, "usim") == 0)
		return key_usim(cfg, key, value, err);
	if (strcmp(section, "bsf") == 0)
		return key_bsf(cfg, key, value, err);
	if (strcmp(section, "net") == 0)
		return key_net(cfg, key, value, err);
	if (strcmp(section, "service") == 0)
		return key_service(cfg, key, value, err);
	if (strcmp(section, "test") == 0)
		return key_test(cfg, key, value, err);
	if (strcmp(section, "stream") == 0)
		return ued_stream_key(cfg, key, value, err);
	return mbmsd_ini_error(err, "key '%s' outside a section", key);
}

/* The host part of http(s)://host[:port]/... */
static int url_host(const char *url, char *out, size_t cap)
{
	const char *p = strstr(url, "://");
	if (!p)
		return -1;
	p += 3;
	const char *end;
	if (*p == '[') {
		p++;
		end = strchr(p, ']');
	} else {
		end = p + strcspn(p, ":/");
	}
	if (!end || end == p || (size_t)(end - p) >= cap)
		return -1;
	memcpy(out, p, (size_t)(end - p));
	out[end - p] = '\0';
	return 0;
}

int ued_config_load(const char *path, struct ued_config *cfg, char *err, size_t err_cap)
{
	memset(cfg, 0, sizeof(*cfg));
	snprintf(cfg->path, sizeof(cfg->path), "%s", path);
	cfg->log_level = MBMSD_LOG_INFO;
	struct mbms_ue_config d;
	mbms_ue_config_defaults(&d);
	cfg->push_timeout_ms = d.push_timeout_ms;
	cfg->max_attempts = d.max_attempts;
	cfg->retry_floor_ms = d.retry_floor_ms;
	cfg->rebootstrap_margin_s = d.rebootstrap_margin_s;
	cfg->mku_min_interval_ms = d.mku_min_interval_ms;
	cfg->http_timeout_s = 15;
	snprintf(cfg->mikey_host, sizeof(cfg->mikey_host), "0.0.0.0");
	cfg->mikey_port = MBMS_PROFILE_UE_MIKEY_PORT;
	snprintf(cfg->mtk_host, sizeof(cfg->mtk_host), "0.0.0.0");
	cfg->mtk_port = MBMS_PROFILE_MTK_PORT;
	if (mbmsd_config_load(path, on_section, on_key, cfg, err, err_cap))
		goto fail;
	const struct {
		unsigned bit;
		const char *name;
	} required[] = {{SEEN_STATE, "[ue] state"},     {SEEN_IMPI, "[usim] impi"},
			{SEEN_K, "[usim] k"},           {SEEN_OPC, "[usim] opc (or op)"},
			{SEEN_SQN, "[usim] sqn_state"}, {SEEN_BSF_URL, "[bsf] url"}};
	for (size_t i = 0; i < sizeof(required) / sizeof(required[0]); i++)
		if (!(cfg->seen & required[i].bit)) {
			snprintf(err, err_cap, "%s: %s is required", path, required[i].name);
			goto fail;
		}
	if (cfg->nsvc == 0) {
		snprintf(err, err_cap, "%s: no [service \"<id>\"] section", path);
		goto fail;
	}
	for (size_t i = 0; i < cfg->nsvc; i++)
		if (!cfg->svc[i].ann_url[0] && !cfg->svc[i].ann_file[0]) {
			snprintf(err, err_cap,
				 "%s: [service \"%s\"] needs announcement_url or announcement_file",
				 path, cfg->svc[i].id);
			goto fail;
		}
	if (ued_stream_check(cfg, err, err_cap))
		goto fail;
	if (!cfg->bsf_host[0] && url_host(cfg->bsf_url, cfg->bsf_host, sizeof(cfg->bsf_host))) {
		snprintf(err, err_cap, "%s: [bsf] url has no host", path);
		goto fail;
	}
	/* The HTTP helper's CA travels in each framed request (ue_http.c); like
	 * the helper's path it is process-wide, set once here at start-up. ""
	 * puts back the system store. */
	if (mbmsd_ue_http_set_ca_file(cfg->ca_file)) {
		snprintf(err, err_cap, "%s: [bsf] ca_file: path too long", path);
		goto fail;
	}
	return 0;
fail:
	ued_config_wipe(cfg);
	return -1;
}

void ued_config_wipe(struct ued_config *cfg)
{
	mbms_wipe(cfg->k, sizeof(cfg->k));
	mbms_wipe(cfg->opc, sizeof(cfg->opc));
	cfg->have_k = cfg->have_opc = false;
}
