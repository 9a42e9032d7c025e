/* bsfd configuration (examples/bsf.ini, docs/bsf.md "Configuration"). */
#include "bsf.h"

#include "config.h"

#include "mbmssec/crypto.h"
#include "mbmssec/error.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

enum {
	SEEN_LISTEN = 1u << 0,
	SEEN_ZN = 1u << 1,
	SEEN_HOST = 1u << 2,
	SEEN_DB = 1u << 3,
	SEEN_LIFETIME = 1u << 4,
	SEEN_PURGE = 1u << 5,
	SEEN_LOG = 1u << 6,
	SEEN_TLS_CERT = 1u << 7,
	SEEN_TLS_KEY = 1u << 8,
	SEEN_TRACE = 1u << 9,
	SEEN_ADMIN = 1u << 10,
	SEEN_ADMIN_REMOTE = 1u << 11,
};


/* A DNS name as the realm and B-TID carry it: no quotes, '@', blanks. */
static bool valid_host_name(const char *s)
{
	if (!*s || strlen(s) >= MBMS_GBA_HOST_MAX)
		return false;
	for (const char *p = s; *p; p++)
		if (!((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') ||
		      (*p >= '0' && *p <= '9') || *p == '-' || *p == '.'))
			return false;
	return true;
}

static int on_section(void *user, const char *section, const char *sub, unsigned line,
		      struct mbms_ini_error *err)
{
	struct bsf_config *cfg = user;
	(void)line;
	if (strcmp(section, "bsf") == 0 && !*sub)
		return 0;
	if (strcmp(section, "naf") == 0 && *sub) {
		if (!valid_host_name(sub))
			return mbmsd_ini_error(err, "[naf \"%s\"]: not a host name", sub);
		if (bsf_config_naf(cfg, sub))
			return mbmsd_ini_error(err, "[naf \"%s\"] given twice", sub);
		struct bsf_naf *n = realloc(cfg->nafs, (cfg->nnafs + 1) * sizeof(*n));
		if (!n)
			return mbmsd_ini_error(err, "out of memory");
		cfg->nafs = n;
		memset(&n[cfg->nnafs], 0, sizeof(*n));
		snprintf(n[cfg->nnafs].fqdn, sizeof(n->fqdn), "%s", sub);
		cfg->nnafs++;
		return 0;
	}
	if (strcmp(section, "naf") == 0)
		return mbmsd_ini_error(err, "a naf section needs its FQDN: [naf \"bmsc.example.org\"]");
	return mbmsd_ini_error(err, "unknown section [%s]", section);
}

static int once(struct bsf_config *cfg, unsigned bit, const char *key, struct mbms_ini_error *err)
{
	if (cfg->seen & bit)
		return mbmsd_ini_error(err, "'%s' given twice", key);
	cfg->seen |= bit;
	return 0;
}

static int on_key(void *user, const char *section, const char *sub, const char *key,
		  const char *value, unsigned line, struct mbms_ini_error *err)
{
	struct bsf_config *cfg = user;
	(void)line;
	if (strcmp(section, "naf") == 0) {
		struct bsf_naf *n = &cfg->nafs[cfg->nnafs - 1];
		(void)sub;
		if (strcmp(key, "secret") != 0)
			return mbmsd_ini_error(err, "unknown key '%s' in a naf section", key);
		if (n->secret[0])
			return mbmsd_ini_error(err, "'%s' given twice", key);
		if (!*value || strlen(value) >= sizeof(n->secret))
			return mbmsd_ini_error(err, "secret must be 1..%d characters", BSF_NAF_SECRET_MAX - 1);
		memcpy(n->secret, value, strlen(value) + 1);
		return 0;
	}
	if (strcmp(section, "bsf") != 0)
		return mbmsd_ini_error(err, "key '%s' outside the [bsf] and [naf] sections", key);
	uint64_t v;
	if (strcmp(key, "listen") == 0) {
		if (once(cfg, SEEN_LISTEN, key, err))
			return MBMS_EINVAL;
		if (mbmsd_parse_hostport(value, cfg->ub_host, sizeof(cfg->ub_host), &cfg->ub_port,
					 true))
			return mbmsd_ini_error(err, "listen: expected IP:PORT, got '%s'", value);
	} else if (strcmp(key, "zn_listen") == 0) {
		if (once(cfg, SEEN_ZN, key, err))
			return MBMS_EINVAL;
		if (mbmsd_parse_hostport(value, cfg->zn_host, sizeof(cfg->zn_host), &cfg->zn_port,
					 true))
			return mbmsd_ini_error(err, "zn_listen: expected IP:PORT, got '%s'", value);
	} else if (strcmp(key, "host") == 0) {
		if (once(cfg, SEEN_HOST, key, err))
			return MBMS_EINVAL;
		if (!valid_host_name(value))
			return mbmsd_ini_error(err, "host: not a host name: '%s'", value);
		snprintf(cfg->host, sizeof(cfg->host), "%s", value);
	} else if (strcmp(key, "db") == 0) {
		if (once(cfg, SEEN_DB, key, err))
			return MBMS_EINVAL;
		if (mbmsd_config_path(cfg->path, value, cfg->db, sizeof(cfg->db)))
			return mbmsd_ini_error(err, "db: bad path '%s'", value);
	} else if (strcmp(key, "key_lifetime") == 0) {
		if (once(cfg, SEEN_LIFETIME, key, err))
			return MBMS_EINVAL;
		if (mbmsd_parse_u64(value, 1, 366 * 86400, &v))
			return mbmsd_ini_error(err, "key_lifetime: seconds from 1 to 31622400, got '%s'",
				       value);
		cfg->key_lifetime = v;
	} else if (strcmp(key, "purge_interval") == 0) {
		if (once(cfg, SEEN_PURGE, key, err))
			return MBMS_EINVAL;
		if (mbmsd_parse_u64(value, 1, 86400, &v))
			return mbmsd_ini_error(err, "purge_interval: seconds from 1 to 86400, got '%s'",
				       value);
		cfg->purge_interval = v;
	} else if (strcmp(key, "tls_cert") == 0 || strcmp(key, "tls_key") == 0) {
		/* Checked here, read and loaded by main.c through
		 * mbmsd_tls_from_config() (common/httpd.h). */
		unsigned bit = strcmp(key, "tls_cert") == 0 ? SEEN_TLS_CERT : SEEN_TLS_KEY;
		if (once(cfg, bit, key, err))
			return MBMS_EINVAL;
		if (!*value)
			return mbmsd_ini_error(err, "%s: a PEM file path is required", key);
	} else if (strcmp(key, "trace") == 0) {
		/* Checked here, read and opened by main.c through
		 * mbmsd_trace_config_path() (common/trace.h); --trace wins. */
		if (once(cfg, SEEN_TRACE, key, err))
			return MBMS_EINVAL;
		if (!*value)
			return mbmsd_ini_error(err, "trace: a file path is required");
	} else if (strcmp(key, "admin_listen") == 0) {
		/* status page and metrics (bsf/admin.c); off unless set */
		if (once(cfg, SEEN_ADMIN, key, err))
			return MBMS_EINVAL;
		if (strcmp(value, "off") == 0)
			cfg->admin_host[0] = '\0';
		else if (mbmsd_parse_hostport(value, cfg->admin_host, sizeof(cfg->admin_host),
					      &cfg->admin_port, true))
			return mbmsd_ini_error(err, "admin_listen: expected IP:PORT or off, got '%s'", value);
	} else if (strcmp(key, "admin_allow_remote") == 0) {
		if (once(cfg, SEEN_ADMIN_REMOTE, key, err))
			return MBMS_EINVAL;
		if (strcmp(value, "true") == 0)
			cfg->admin_allow_remote = true;
		else if (strcmp(value, "false") != 0)
			return mbmsd_ini_error(err, "admin_allow_remote: true or false, got '%s'", value);
	} else if (strcmp(key, "log_level") == 0) {
		if (once(cfg, SEEN_LOG, key, err))
			return MBMS_EINVAL;
		if (mbmsd_log_level_parse(value, &cfg->log_level))
			return mbmsd_ini_error(err, "log_level: error, warn, info or debug, got '%s'", value);
	} else {
		return mbmsd_ini_error(err, "unknown key '%s' in [bsf]", key);
	}
	return 0;
}

int bsf_config_load(const char *path, struct bsf_config *cfg, char *err, size_t err_cap)
{
	memset(cfg, 0, sizeof(*cfg));
	snprintf(cfg->path, sizeof(cfg->path), "%s", path);
	cfg->key_lifetime = 3600;
	cfg->purge_interval = 30;
	cfg->log_level = MBMSD_LOG_INFO;
	if (mbmsd_config_load(path, on_section, on_key, cfg, err, err_cap))
		goto fail;
	const struct {
		unsigned bit;
		const char *name;
	} required[] = {{SEEN_LISTEN, "listen"}, {SEEN_ZN, "zn_listen"}, {SEEN_HOST, "host"},
			{SEEN_DB, "db"}};
	for (size_t i = 0; i < sizeof(required) / sizeof(required[0]); i++)
		if (!(cfg->seen & required[i].bit)) {
			snprintf(err, err_cap, "%s: [bsf] %s is required", path, required[i].name);
			goto fail;
		}
	if (!(cfg->seen & SEEN_TLS_CERT) != !(cfg->seen & SEEN_TLS_KEY)) {
		snprintf(err, err_cap, "%s: [bsf] tls_cert and tls_key go together", path);
		goto fail;
	}
	if (cfg->admin_host[0] && !bsf_admin_loopback(cfg->admin_host) && !cfg->admin_allow_remote) {
		snprintf(err, err_cap,
			 "%s: [bsf] admin_listen %s is not a loopback address: the admin interface "
			 "has no authentication (set admin_allow_remote = true to insist)",
			 path, cfg->admin_host);
		goto fail;
	}
	for (size_t i = 0; i < cfg->nnafs; i++)
		if (!cfg->nafs[i].secret[0]) {
			snprintf(err, err_cap, "%s: [naf \"%s\"] has no secret", path,
				 cfg->nafs[i].fqdn);
			goto fail;
		}
	return 0;
fail:
	bsf_config_free(cfg);
	return -1;
}

void bsf_config_free(struct bsf_config *cfg)
{
	if (cfg->nafs) {
		mbms_wipe(cfg->nafs, cfg->nnafs * sizeof(*cfg->nafs));
		free(cfg->nafs);
	}
	cfg->nafs = NULL;
	cfg->nnafs = 0;
}

const struct bsf_naf *bsf_config_naf(const struct bsf_config *cfg, const char *fqdn)
{
	for (size_t i = 0; i < cfg->nnafs; i++)
		if (strcmp(cfg->nafs[i].fqdn, fqdn) == 0)
			return &cfg->nafs[i];
	return NULL;
}
