/* Key-management XML bodies (PROFILE.md 7) and the service announcement
 * (PROFILE.md 8): value checks and the parsers. Writers are in
 * kmxml_write.c.
 *
 * One small schema-driven engine on top of expat does the structure: each
 * body is a table of element rules (name, leaf or container, required or
 * not, singleton or repeated) in document order; the engine enforces the
 * order, the counts, the namespace, "no attributes", "no text outside
 * leaves", and hands each leaf's text to a per-body callback that checks
 * the value and stores it. */
#include "mbmssec/kmxml.h"
#include "mbmssec/error.h"

#include <arpa/inet.h>
#include <expat.h>
#include <string.h>

/* ---- value checks ---- */

bool mbms_km_status_allowed(unsigned status)
{
	/* PROFILE.md 10.18: only these appear inside a 200. */
	switch (status) {
	case 200: case 400: case 403: case 404: case 500: case 503:
		return true;
	default:
		return false;
	}
}

static bool is_alpha(char c) { return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z'); }
static bool is_digit(char c) { return c >= '0' && c <= '9'; }
static bool is_hex(char c)
{
	return is_digit(c) || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
}

/* RFC 3986 2.2/2.3: unreserved, gen-delims, sub-delims ('%' handled apart). */
static bool is_uri_char(char c)
{
	return is_alpha(c) || is_digit(c) || (c != '\0' && strchr("-._~:/?#[]@!$&'()*+,;=", c));
}

int mbms_km_service_id_check(const char *uri, size_t len)
{
	if (!uri || len == 0)
		return MBMS_ESYNTAX;
	if (len > MBMS_KMXML_URI_MAX)
		return MBMS_ELENGTH;
	/* RFC 3986 3.1: scheme = ALPHA *( ALPHA / DIGIT / "+" / "-" / "." ) ":" */
	size_t i = 0;
	if (!is_alpha(uri[0]))
		return MBMS_ESYNTAX;
	while (i < len && (is_alpha(uri[i]) || is_digit(uri[i]) || uri[i] == '+' || uri[i] == '-' ||
			   uri[i] == '.'))
		i++;
	if (i == len || uri[i] != ':')
		return MBMS_ESYNTAX;
	for (; i < len; i++) {
		if (uri[i] == '%') {
			if (i + 2 >= len || !is_hex(uri[i + 1]) || !is_hex(uri[i + 2]))
				return MBMS_ESYNTAX;
			i += 2;
		} else if (!is_uri_char(uri[i])) {
			return MBMS_ESYNTAX;
		}
	}
	return 0;
}

/* Unsigned decimal, digits only (no sign, no blanks), value <= max. */
static int parse_uint(const char *s, size_t len, uint32_t max, uint32_t *out)
{
	if (len == 0)
		return MBMS_ESYNTAX;
	uint32_t v = 0;
	for (size_t i = 0; i < len; i++) {
		if (!is_digit(s[i]))
			return MBMS_ESYNTAX;
		v = v * 10 + (uint32_t)(s[i] - '0');
		if (v > max)
			return MBMS_ESYNTAX;
	}
	*out = v;
	return 0;
}

/* RFC 1123 2.1 host name; an all-numeric last label means an IPv4 literal. */
static int hostname_check(const char *h, size_t len)
{
	if (len == 0)
		return MBMS_ESYNTAX;
	if (len > MBMS_KMXML_HOST_MAX)
		return MBMS_ELENGTH;
	size_t label = 0, last_start = 0;
	for (size_t i = 0; i <= len; i++) {
		if (i == len || h[i] == '.') {
			if (label == 0 || label > 63 || h[i - 1] == '-' || h[i - label] == '-')
				return MBMS_ESYNTAX;
			last_start = i - label;
			label = 0;
		} else if (is_alpha(h[i]) || is_digit(h[i]) || h[i] == '-') {
			label++;
		} else {
			return MBMS_ESYNTAX;
		}
	}
	bool numeric = true;
	for (size_t i = last_start; i < len; i++)
		numeric = numeric && is_digit(h[i]);
	if (numeric) {
		char tmp[MBMS_KMXML_HOST_MAX + 1];
		struct in_addr a;
		memcpy(tmp, h, len);
		tmp[len] = '\0';
		if (inet_pton(AF_INET, tmp, &a) != 1)
			return MBMS_ESYNTAX;
	}
	return 0;
}

static int ipv6_check(const char *h, size_t len)
{
	char tmp[INET6_ADDRSTRLEN];
	struct in6_addr a;
	if (len == 0 || len >= sizeof(tmp))
		return MBMS_ESYNTAX;
	memcpy(tmp, h, len);
	tmp[len] = '\0';
	return inet_pton(AF_INET6, tmp, &a) == 1 ? 0 : MBMS_ESYNTAX;
}

int mbms_hostport_parse(const char *s, size_t len, bool port_required, struct mbms_hostport *out)
{
	if (!s || !out)
		return MBMS_EINVAL;
	memset(out, 0, sizeof(*out));
	const char *host = s, *rest;
	size_t host_len;
	int rc;
	if (len > 0 && s[0] == '[') {
		const char *close = memchr(s, ']', len);
		if (!close)
			return MBMS_ESYNTAX;
		host = s + 1;
		host_len = (size_t)(close - host);
		rc = ipv6_check(host, host_len);
		rest = close + 1;
	} else {
		const char *colon = memchr(s, ':', len);
		host_len = colon ? (size_t)(colon - s) : len;
		rc = hostname_check(host, host_len);
		rest = s + host_len;
	}
	if (rc)
		return rc;
	size_t rest_len = len - (size_t)(rest - s);
	uint32_t port = 0;
	if (rest_len == 0) {
		if (port_required)
			return MBMS_ESYNTAX;
	} else {
		if (rest[0] != ':' || rest_len > 6 || parse_uint(rest + 1, rest_len - 1, 65535, &port) ||
		    port == 0)
			return MBMS_ESYNTAX;
	}
	memcpy(out->host, host, host_len);
	out->host[host_len] = '\0';
	out->port = (uint16_t)port;
	return 0;
}

int mbms_hostport_check(const struct mbms_hostport *hp)
{
	if (!hp)
		return MBMS_EINVAL;
	size_t n = strnlen(hp->host, sizeof(hp->host));
	if (n == sizeof(hp->host))
		return MBMS_EINVAL;
	int rc = memchr(hp->host, ':', n) ? ipv6_check(hp->host, n) : hostname_check(hp->host, n);
	return rc ? MBMS_EINVAL : 0;
}

/* ---- the engine ---- */

/* expat reports a namespaced name as URI, separator, local name. */
#define NS_SEP '|'
#define MAX_DEPTH 3  /* root > container > leaf */
#define TEXT_MAX 1024 /* longest leaf text accepted before value checks */

struct rule {
	const char *name;
	bool required;   /* min 1 */
	bool repeated;   /* up to MBMS_KMXML_MAX_ITEMS, else exactly one */
	int field;       /* handed to the callbacks */
	const struct rule *children; /* NULL: a leaf */
	size_t n_children;
};

struct frame {
	const struct rule *rule;
	size_t pos;   /* index of the child rule last matched */
	size_t count; /* how many times children[pos] has occurred */
};

struct engine {
	XML_Parser xp;
	int err;
	const struct rule *root;
	struct frame stack[MAX_DEPTH];
	size_t depth;
	char text[TEXT_MAX + 1];
	size_t text_len;
	int (*on_open)(void *ctx, int field);
	int (*on_leaf)(void *ctx, int field, const char *text, size_t len);
	void *ctx;
};

static void fail(struct engine *e, int err)
{
	if (!e->err) {
		e->err = err;
		XML_StopParser(e->xp, XML_FALSE);
	}
}

static bool is_xml_space(char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r'; }

/* Local name of an element in our namespace, NULL for any other. */
static const char *local_name(const XML_Char *name)
{
	static const char ns[] = MBMS_PROFILE_XML_NS;
	size_t n = sizeof(ns) - 1;
	if (strncmp(name, ns, n) != 0 || name[n] != NS_SEP)
		return NULL;
	return name + n + 1;
}

/* May the children from index `from` up to (not including) `to` be left
 * behind? count = occurrences of children[from] so far. */
static bool skip_ok(const struct rule *r, size_t from, size_t count, size_t to)
{
	if (from < to && r->children[from].required && count == 0)
		return false;
	for (size_t k = from + 1; k < to; k++)
		if (r->children[k].required)
			return false;
	return true;
}

static void XMLCALL on_start(void *ud, const XML_Char *name, const XML_Char **atts)
{
	struct engine *e = ud;
	if (e->err)
		return;
	const char *local = local_name(name);
	/* No attributes anywhere (namespace declarations are not attributes). */
	if (!local || atts[0]) {
		fail(e, MBMS_ESYNTAX);
		return;
	}
	const struct rule *child;
	if (e->depth == 0) {
		if (strcmp(local, e->root->name) != 0) {
			fail(e, MBMS_ESYNTAX);
			return;
		}
		child = e->root;
	} else {
		struct frame *top = &e->stack[e->depth - 1];
		const struct rule *r = top->rule;
		size_t j = top->pos;
		while (j < r->n_children && strcmp(r->children[j].name, local) != 0)
			j++;
		/* Unknown, out of order, or inside a leaf (n_children 0). */
		if (j == r->n_children || e->depth == MAX_DEPTH) {
			fail(e, MBMS_ESYNTAX);
			return;
		}
		if (j == top->pos && top->count > 0) {
			top->count++;
		} else {
			if (!skip_ok(r, top->pos, top->count, j)) {
				fail(e, MBMS_ESYNTAX); /* a required element was skipped */
				return;
			}
			top->pos = j;
			top->count = 1;
		}
		child = &r->children[j];
		if (top->count > (child->repeated ? MBMS_KMXML_MAX_ITEMS : 1)) {
			fail(e, child->repeated ? MBMS_ELENGTH : MBMS_ESYNTAX);
			return;
		}
	}
	e->stack[e->depth++] = (struct frame){.rule = child, .pos = 0, .count = 0};
	e->text_len = 0;
	/* A container below the root opens a new item (the root is not one). */
	if (child->children && e->depth > 1 && e->on_open) {
		int rc = e->on_open(e->ctx, child->field);
		if (rc)
			fail(e, rc);
	}
}

static void XMLCALL on_end(void *ud, const XML_Char *name)
{
	struct engine *e = ud;
	(void)name; /* expat matches end tags to start tags */
	if (e->err || e->depth == 0)
		return;
	struct frame *f = &e->stack[--e->depth];
	int rc = 0;
	if (!f->rule->children) {
		e->text[e->text_len] = '\0';
		rc = e->on_leaf(e->ctx, f->rule->field, e->text, e->text_len);
		e->text_len = 0;
	} else if (!skip_ok(f->rule, f->pos, f->count, f->rule->n_children)) {
		rc = MBMS_ESYNTAX; /* a required child is missing */
	}
	if (rc)
		fail(e, rc);
}

static void XMLCALL on_text(void *ud, const XML_Char *s, int len)
{
	struct engine *e = ud;
	if (e->err || len <= 0)
		return;
	if (e->depth > 0 && !e->stack[e->depth - 1].rule->children) {
		if ((size_t)len > TEXT_MAX - e->text_len) {
			fail(e, MBMS_ELENGTH);
			return;
		}
		memcpy(e->text + e->text_len, s, (size_t)len);
		e->text_len += (size_t)len;
		return;
	}
	/* Between elements only insignificant whitespace. */
	for (int i = 0; i < len; i++)
		if (!is_xml_space(s[i])) {
			fail(e, MBMS_ESYNTAX);
			return;
		}
}

static void XMLCALL on_xml_decl(void *ud, const XML_Char *version, const XML_Char *encoding,
				int standalone)
{
	struct engine *e = ud;
	(void)standalone;
	static const char utf8[] = "utf-8";
	bool enc_ok = true;
	if (encoding) {
		enc_ok = strlen(encoding) == 5;
		for (size_t i = 0; enc_ok && i < 5; i++) {
			char c = encoding[i];
			if (c >= 'A' && c <= 'Z')
				c = (char)(c - 'A' + 'a');
			enc_ok = c == utf8[i];
		}
	}
	if (!version || strcmp(version, "1.0") != 0 || !enc_ok)
		fail(e, MBMS_ESYNTAX);
}

/* DOCTYPE is refused as soon as it starts: no internal subset, so no entity
 * definitions and no billion laughs (shared/deps-notes.md). */
static void XMLCALL on_doctype(void *ud, const XML_Char *name, const XML_Char *sysid,
			       const XML_Char *pubid, int has_internal_subset)
{
	(void)name, (void)sysid, (void)pubid, (void)has_internal_subset;
	fail(ud, MBMS_ESYNTAX);
}

static void XMLCALL on_entity_decl(void *ud, const XML_Char *name, int is_param,
				   const XML_Char *value, int value_len, const XML_Char *base,
				   const XML_Char *sysid, const XML_Char *pubid,
				   const XML_Char *notation)
{
	(void)name, (void)is_param, (void)value, (void)value_len, (void)base, (void)sysid,
		(void)pubid, (void)notation;
	fail(ud, MBMS_ESYNTAX);
}

static void XMLCALL on_pi(void *ud, const XML_Char *target, const XML_Char *data)
{
	(void)target, (void)data;
	fail(ud, MBMS_ESYNTAX);
}

static void XMLCALL on_cdata(void *ud) { fail(ud, MBMS_ESYNTAX); }

static void XMLCALL on_skipped(void *ud, const XML_Char *name, int is_param)
{
	(void)name, (void)is_param;
	fail(ud, MBMS_ESYNTAX);
}

static int engine_run(const struct rule *root, const char *body, size_t len,
		      int (*on_open)(void *, int), int (*on_leaf)(void *, int, const char *, size_t),
		      void *ctx)
{
	if (!body)
		return MBMS_EINVAL;
	if (len > MBMS_PROFILE_MAX_BODY)
		return MBMS_ELENGTH;
	struct engine e = {.root = root, .on_open = on_open, .on_leaf = on_leaf, .ctx = ctx};
	/* "UTF-8" overrides whatever the document declares; on_xml_decl refuses
	 * a declaration naming another encoding. */
	e.xp = XML_ParserCreateNS("UTF-8", NS_SEP);
	if (!e.xp)
		return MBMS_ENOMEM;
	XML_SetUserData(e.xp, &e);
	XML_SetElementHandler(e.xp, on_start, on_end);
	XML_SetCharacterDataHandler(e.xp, on_text);
	XML_SetXmlDeclHandler(e.xp, on_xml_decl);
	XML_SetStartDoctypeDeclHandler(e.xp, on_doctype);
	XML_SetEntityDeclHandler(e.xp, on_entity_decl);
	XML_SetProcessingInstructionHandler(e.xp, on_pi);
	XML_SetStartCdataSectionHandler(e.xp, on_cdata);
	XML_SetSkippedEntityHandler(e.xp, on_skipped);
	XML_SetParamEntityParsing(e.xp, XML_PARAM_ENTITY_PARSING_NEVER);

	enum XML_Status st = XML_Parse(e.xp, body, (int)len, XML_TRUE);
	int rc = 0;
	if (st != XML_STATUS_OK) {
		if (e.err)
			rc = e.err;
		else if (XML_GetErrorCode(e.xp) == XML_ERROR_NO_MEMORY)
			rc = MBMS_ENOMEM;
		else
			rc = MBMS_ESYNTAX;
	} else if (e.err) {
		rc = e.err;
	}
	XML_ParserFree(e.xp);
	return rc;
}

/* ---- shared leaf decoders ---- */

static int leaf_service_id(const char *t, size_t n, char out[MBMS_KMXML_URI_MAX + 1])
{
	int rc = mbms_km_service_id_check(t, n);
	if (rc)
		return rc;
	memcpy(out, t, n);
	out[n] = '\0';
	return 0;
}

/* Strict base64 of exactly want bytes. */
static int leaf_b64(const char *t, size_t n, uint8_t *out, size_t want)
{
	uint8_t tmp[8];
	size_t got = 0;
	if (n != mbms_base64_len(want) || mbms_base64_decode(t, n, tmp, sizeof(tmp), &got) ||
	    got != want)
		return MBMS_ESYNTAX;
	memcpy(out, tmp, want);
	return 0;
}

static int leaf_msk_id(const char *t, size_t n, uint32_t *out)
{
	uint8_t b[MBMS_MSK_ID_LEN];
	int rc = leaf_b64(t, n, b, sizeof(b));
	if (rc == 0)
		*out = mbms_get_be32(b);
	return rc;
}

/* Status: exactly three digits, one of the allowed codes. */
static int leaf_status(const char *t, size_t n, uint16_t *out)
{
	uint32_t v;
	if (n != 3 || parse_uint(t, n, 999, &v) || !mbms_km_status_allowed(v))
		return MBMS_ESYNTAX;
	*out = (uint16_t)v;
	return 0;
}

/* xs:boolean lexical space, without whitespace. */
static int leaf_bool(const char *t, size_t n, bool *out)
{
	if ((n == 4 && memcmp(t, "true", 4) == 0) || (n == 1 && t[0] == '1'))
		*out = true;
	else if ((n == 5 && memcmp(t, "false", 5) == 0) || (n == 1 && t[0] == '0'))
		*out = false;
	else
		return MBMS_ESYNTAX;
	return 0;
}

/* ---- (de)registration ---- */

enum { F_SERVICE_ID = 1, F_STATUS, F_KEY_DOMAIN, F_MSK_ID, F_RESULT };

static const struct rule service_list_children[] = {
	{"serviceId", true, true, F_SERVICE_ID, NULL, 0},
};
static const struct rule register_root = {"mbmsUserServiceRegistration", true, false, 0,
					  service_list_children, 1};
static const struct rule deregister_root = {"mbmsUserServiceDeregistration", true, false, 0,
					    service_list_children, 1};

static int service_list_leaf(void *ctx, int field, const char *t, size_t n)
{
	struct mbms_km_service_list *out = ctx;
	(void)field; /* only serviceId */
	return leaf_service_id(t, n, out->service_id[out->count++]);
}

static int parse_service_list(const struct rule *root, const char *body, size_t len,
			      struct mbms_km_service_list *out)
{
	if (!out)
		return MBMS_EINVAL;
	memset(out, 0, sizeof(*out));
	int rc = engine_run(root, body, len, NULL, service_list_leaf, out);
	if (rc)
		memset(out, 0, sizeof(*out));
	return rc;
}

int mbms_km_register_parse(const char *body, size_t len, struct mbms_km_service_list *out)
{
	return parse_service_list(&register_root, body, len, out);
}

int mbms_km_deregister_parse(const char *body, size_t len, struct mbms_km_service_list *out)
{
	return parse_service_list(&deregister_root, body, len, out);
}

/* ---- registration response ---- */

static const struct rule service_result_children[] = {
	{"serviceId", true, false, F_SERVICE_ID, NULL, 0},
	{"status", true, false, F_STATUS, NULL, 0},
};
static const struct rule register_response_children[] = {
	{"serviceResult", true, true, F_RESULT, service_result_children, 2},
};
static const struct rule register_response_root = {"mbmsRegistrationResponse", true, false, 0,
						   register_response_children, 1};

static int register_response_open(void *ctx, int field)
{
	struct mbms_km_register_response *out = ctx;
	(void)field; /* only serviceResult */
	out->count++;
	return 0;
}

static int register_response_leaf(void *ctx, int field, const char *t, size_t n)
{
	struct mbms_km_register_response *out = ctx;
	struct mbms_km_service_result *it = &out->item[out->count - 1];
	if (field == F_SERVICE_ID)
		return leaf_service_id(t, n, it->service_id);
	return leaf_status(t, n, &it->status);
}

int mbms_km_register_response_parse(const char *body, size_t len,
				    struct mbms_km_register_response *out)
{
	if (!out)
		return MBMS_EINVAL;
	memset(out, 0, sizeof(*out));
	int rc = engine_run(&register_response_root, body, len, register_response_open,
			    register_response_leaf, out);
	if (rc)
		memset(out, 0, sizeof(*out));
	return rc;
}

/* ---- MSK request ---- */

static const struct rule msk_request_children[] = {
	{"keyDomainID", true, false, F_KEY_DOMAIN, NULL, 0},
	{"MSKID", true, true, F_MSK_ID, NULL, 0},
};
static const struct rule msk_request_root = {"mbmsMSKRequest", true, false, 0,
					     msk_request_children, 2};

static int msk_request_leaf(void *ctx, int field, const char *t, size_t n)
{
	struct mbms_km_msk_request *out = ctx;
	if (field == F_KEY_DOMAIN)
		return leaf_b64(t, n, out->key_domain_id, MBMS_KEY_DOMAIN_ID_LEN);
	return leaf_msk_id(t, n, &out->msk_id[out->count++]);
}

int mbms_km_msk_request_parse(const char *body, size_t len, struct mbms_km_msk_request *out)
{
	if (!out)
		return MBMS_EINVAL;
	memset(out, 0, sizeof(*out));
	int rc = engine_run(&msk_request_root, body, len, NULL, msk_request_leaf, out);
	if (rc)
		memset(out, 0, sizeof(*out));
	return rc;
}

/* ---- MSK response ---- */

static const struct rule msk_result_children[] = {
	{"keyDomainID", true, false, F_KEY_DOMAIN, NULL, 0},
	{"MSKID", true, false, F_MSK_ID, NULL, 0},
	{"status", true, false, F_STATUS, NULL, 0},
};
static const struct rule msk_response_children[] = {
	{"MSKResult", true, true, F_RESULT, msk_result_children, 3},
};
static const struct rule msk_response_root = {"mbmsMSKResponse", true, false, 0,
					      msk_response_children, 1};

static int msk_response_open(void *ctx, int field)
{
	struct mbms_km_msk_response *out = ctx;
	(void)field; /* only MSKResult */
	out->count++;
	return 0;
}

static int msk_response_leaf(void *ctx, int field, const char *t, size_t n)
{
	struct mbms_km_msk_response *out = ctx;
	struct mbms_km_msk_result *it = &out->item[out->count - 1];
	if (field == F_KEY_DOMAIN)
		return leaf_b64(t, n, it->key_domain_id, MBMS_KEY_DOMAIN_ID_LEN);
	if (field == F_MSK_ID)
		return leaf_msk_id(t, n, &it->msk_id);
	return leaf_status(t, n, &it->status);
}

int mbms_km_msk_response_parse(const char *body, size_t len, struct mbms_km_msk_response *out)
{
	if (!out)
		return MBMS_EINVAL;
	memset(out, 0, sizeof(*out));
	int rc = engine_run(&msk_response_root, body, len, msk_response_open, msk_response_leaf, out);
	if (rc)
		memset(out, 0, sizeof(*out));
	return rc;
}

/* ---- announcement (PROFILE.md 8) ---- */

enum {
	A_SERVICE_ID = 1, A_KM_SERVER, A_KEY_DOMAIN, A_CONF, A_INTEG, A_UICC, A_MSK_ID, A_SESSION,
	A_DEST, A_MTK_PORT, A_KEY_GROUP, A_OFFSET, A_RANDOM
};

static const struct rule session_children[] = {
	{"destination", true, false, A_DEST, NULL, 0},
	{"mtkPort", true, false, A_MTK_PORT, NULL, 0},
	{"keyGroup", true, false, A_KEY_GROUP, NULL, 0},
};
static const struct rule announcement_children[] = {
	{"serviceId", true, false, A_SERVICE_ID, NULL, 0},
	{"keyManagementServer", true, false, A_KM_SERVER, NULL, 0},
	{"keyDomainID", true, false, A_KEY_DOMAIN, NULL, 0},
	{"confidentialityProtection", true, false, A_CONF, NULL, 0},
	{"integrityProtection", true, false, A_INTEG, NULL, 0},
	{"uiccKeyManagement", true, false, A_UICC, NULL, 0},
	{"MSKID", true, true, A_MSK_ID, NULL, 0},
	{"session", false, true, A_SESSION, session_children, 3},
	{"offsetTime", true, false, A_OFFSET, NULL, 0},
	{"randomTimePeriod", true, false, A_RANDOM, NULL, 0},
};
static const struct rule announcement_root = {"protectionDescription", true, false, 0,
					      announcement_children, 10};

static int announcement_open(void *ctx, int field)
{
	struct mbms_announcement *out = ctx;
	(void)field; /* only session */
	out->session_count++;
	return 0;
}

static int announcement_leaf(void *ctx, int field, const char *t, size_t n)
{
	struct mbms_announcement *a = ctx;
	struct mbms_announcement_session *s =
		a->session_count ? &a->session[a->session_count - 1] : NULL;
	uint32_t v;
	switch (field) {
	case A_SERVICE_ID:
		return leaf_service_id(t, n, a->service_id);
	case A_KM_SERVER:
		return mbms_hostport_parse(t, n, false, &a->km_server);
	case A_KEY_DOMAIN:
		return leaf_b64(t, n, a->key_domain_id, MBMS_KEY_DOMAIN_ID_LEN);
	case A_CONF:
		return leaf_bool(t, n, &a->confidentiality);
	case A_INTEG:
		return leaf_bool(t, n, &a->integrity);
	case A_UICC:
		return leaf_bool(t, n, &a->uicc_key_management);
	case A_MSK_ID:
		return leaf_msk_id(t, n, &a->msk_id[a->msk_count++]);
	case A_DEST:
		return mbms_hostport_parse(t, n, true, &s->destination);
	case A_MTK_PORT:
		if (parse_uint(t, n, 65535, &v) || v == 0)
			return MBMS_ESYNTAX;
		s->mtk_port = (uint16_t)v;
		return 0;
	case A_KEY_GROUP:
		if (parse_uint(t, n, 65535, &v))
			return MBMS_ESYNTAX;
		s->key_group = (uint16_t)v;
		return 0;
	case A_OFFSET:
		return parse_uint(t, n, MBMS_ANNOUNCEMENT_MAX_TIME, &a->offset_time);
	case A_RANDOM:
		return parse_uint(t, n, MBMS_ANNOUNCEMENT_MAX_TIME, &a->random_time_period);
	default:
		return MBMS_ESYNTAX;
	}
}

int mbms_announcement_parse(const char *body, size_t len, struct mbms_announcement *out)
{
	if (!out)
		return MBMS_EINVAL;
	memset(out, 0, sizeof(*out));
	int rc = engine_run(&announcement_root, body, len, announcement_open, announcement_leaf, out);
	if (rc == 0)
		rc = mbms_announcement_check(out) ? MBMS_ESYNTAX : 0;
	if (rc)
		memset(out, 0, sizeof(*out));
	return rc;
}

int mbms_announcement_check(const struct mbms_announcement *a)
{
	if (!a || mbms_km_service_id_check(a->service_id, strnlen(a->service_id, sizeof(a->service_id))) ||
	    mbms_hostport_check(&a->km_server) || a->msk_count == 0 || a->msk_count > MBMS_KMXML_MAX_ITEMS ||
	    a->session_count > MBMS_KMXML_MAX_ITEMS || a->offset_time > MBMS_ANNOUNCEMENT_MAX_TIME ||
	    a->random_time_period > MBMS_ANNOUNCEMENT_MAX_TIME)
		return MBMS_EINVAL;
	for (size_t i = 0; i < a->session_count; i++) {
		const struct mbms_announcement_session *s = &a->session[i];
		/* A session must be protected by a Key Group the UE is told to ask for. */
		bool found = false;
		for (size_t k = 0; k < a->msk_count; k++)
			found = found || mbms_msk_id_key_group(a->msk_id[k]) == s->key_group;
		if (!found || mbms_hostport_check(&s->destination) || s->destination.port == 0 || s->mtk_port == 0)
			return MBMS_EINVAL;
	}
	return 0;
}
