/* Key-management XML bodies (PROFILE.md 7) and the service announcement
 * (PROFILE.md 8): writers, media types, back-off. Parsers are in kmxml.c.
 *
 * Output form, fixed so that Digest auth-int hashes are reproducible:
 * `<?xml version="1.0" encoding="UTF-8"?>` LF, the root element carrying
 * xmlns, no whitespace between elements, no trailing newline. */
#include "mbmssec/kmxml.h"
#include "mbmssec/error.h"

#include <stdio.h>
#include <string.h>

/* ---- media types ---- */

static const char *const media_types[] = {
	[MBMS_KM_BODY_REGISTER] = MBMS_MEDIA_TYPE_REGISTER,
	[MBMS_KM_BODY_DEREGISTER] = MBMS_MEDIA_TYPE_DEREGISTER,
	[MBMS_KM_BODY_REGISTER_RESPONSE] = MBMS_MEDIA_TYPE_REGISTER_RESPONSE,
	[MBMS_KM_BODY_MSK_REQUEST] = MBMS_MEDIA_TYPE_MSK_REQUEST,
	[MBMS_KM_BODY_MSK_RESPONSE] = MBMS_MEDIA_TYPE_MSK_RESPONSE,
	[MBMS_KM_BODY_PROTECTION_DESCRIPTION] = MBMS_MEDIA_TYPE_PROTECTION_DESCRIPTION,
};
#define N_KINDS (sizeof(media_types) / sizeof(media_types[0]))

const char *mbms_km_media_type(enum mbms_km_body_kind kind)
{
	if ((size_t)kind >= N_KINDS)
		return NULL;
	return media_types[kind];
}

static char ascii_lower(char c) { return c >= 'A' && c <= 'Z' ? (char)(c - 'A' + 'a') : c; }

/* RFC 9110 8.3: media-type = type "/" subtype *( OWS ";" OWS parameter ),
 * type and subtype case-insensitive. Parameters (charset, ...) are not
 * looked at: the parser insists on UTF-8 by itself. */
enum mbms_km_body_kind mbms_km_media_type_classify(const char *value)
{
	if (!value)
		return MBMS_KM_BODY_NONE;
	const char *p = value;
	while (*p == ' ' || *p == '\t')
		p++;
	const char *tok = p;
	while (*p && *p != ';' && *p != ' ' && *p != '\t')
		p++;
	size_t tok_len = (size_t)(p - tok);
	while (*p == ' ' || *p == '\t')
		p++;
	if (*p != '\0' && *p != ';')
		return MBMS_KM_BODY_NONE;
	for (size_t k = 1; k < N_KINDS; k++) {
		const char *mt = media_types[k];
		if (strlen(mt) != tok_len)
			continue;
		size_t i = 0;
		while (i < tok_len && ascii_lower(tok[i]) == mt[i])
			i++;
		if (i == tok_len)
			return (enum mbms_km_body_kind)k;
	}
	return MBMS_KM_BODY_NONE;
}

/* ---- output buffer ---- */

/* len counts every byte asked for, written or not, so that finish() can
 * tell "over the body limit" from "buffer too small". */
struct out {
	char *p;
	size_t cap, len;
};

static void put_n(struct out *o, const char *s, size_t n)
{
	/* Keep one byte for the NUL. */
	if (o->len < o->cap && n < o->cap - o->len)
		memcpy(o->p + o->len, s, n);
	o->len += n;
}

static void put(struct out *o, const char *s) { put_n(o, s, strlen(s)); }

static void put_text(struct out *o, const char *s)
{
	for (; *s; s++) {
		switch (*s) {
		case '&': put(o, "&amp;"); break;
		case '<': put(o, "&lt;"); break;
		case '>': put(o, "&gt;"); break;
		case '"': put(o, "&quot;"); break;
		case '\'': put(o, "&apos;"); break;
		default: put_n(o, s, 1);
		}
	}
}

static void put_uint(struct out *o, uint32_t v)
{
	char b[16];
	int n = snprintf(b, sizeof(b), "%u", (unsigned)v);
	put_n(o, b, (size_t)n);
}

static void put_b64(struct out *o, const uint8_t *b, size_t n)
{
	char s[16];
	mbms_base64_encode(b, n, s, sizeof(s)); /* n <= 4: always fits */
	put(o, s);
}

static void put_msk_id(struct out *o, uint32_t msk_id)
{
	uint8_t b[MBMS_MSK_ID_LEN];
	mbms_put_be32(b, msk_id);
	put_b64(o, b, sizeof(b));
}

/* <name>text</name>, with the text escaped. */
static void put_leaf(struct out *o, const char *name, const char *text)
{
	put(o, "<");
	put(o, name);
	put(o, ">");
	put_text(o, text);
	put(o, "</");
	put(o, name);
	put(o, ">");
}

static void open_tag(struct out *o, const char *name)
{
	put(o, "<");
	put(o, name);
	put(o, ">");
}

static void close_tag(struct out *o, const char *name)
{
	put(o, "</");
	put(o, name);
	put(o, ">");
}

static void begin(struct out *o, char *buf, size_t cap, const char *root)
{
	*o = (struct out){.p = buf, .cap = cap, .len = 0};
	put(o, "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<");
	put(o, root);
	put(o, " xmlns=\"" MBMS_PROFILE_XML_NS "\">");
}

static int finish(struct out *o, const char *root, size_t *out_len)
{
	close_tag(o, root);
	if (o->len > MBMS_PROFILE_MAX_BODY)
		return MBMS_ELENGTH;
	if (o->len >= o->cap)
		return MBMS_ENOSPC;
	o->p[o->len] = '\0';
	if (out_len)
		*out_len = o->len;
	return 0;
}

static bool service_id_ok(const char *s)
{
	return mbms_km_service_id_check(s, strnlen(s, MBMS_KMXML_URI_MAX + 1)) == 0;
}

/* ---- PROFILE.md 7 bodies ---- */

static int write_service_list(const char *root, const struct mbms_km_service_list *in, char *buf,
			      size_t cap, size_t *out_len)
{
	if (!in || !buf || in->count == 0 || in->count > MBMS_KMXML_MAX_ITEMS)
		return MBMS_EINVAL;
	for (size_t i = 0; i < in->count; i++)
		if (!service_id_ok(in->service_id[i]))
			return MBMS_EINVAL;
	struct out o;
	begin(&o, buf, cap, root);
	for (size_t i = 0; i < in->count; i++)
		put_leaf(&o, "serviceId", in->service_id[i]);
	return finish(&o, root, out_len);
}

int mbms_km_register_write(const struct mbms_km_service_list *in, char *out, size_t out_cap,
			   size_t *out_len)
{
	return write_service_list("mbmsUserServiceRegistration", in, out, out_cap, out_len);
}

int mbms_km_deregister_write(const struct mbms_km_service_list *in, char *out, size_t out_cap,
			     size_t *out_len)
{
	return write_service_list("mbmsUserServiceDeregistration", in, out, out_cap, out_len);
}

int mbms_km_register_response_write(const struct mbms_km_register_response *in, char *buf,
				    size_t cap, size_t *out_len)
{
	if (!in || !buf || in->count == 0 || in->count > MBMS_KMXML_MAX_ITEMS)
		return MBMS_EINVAL;
	for (size_t i = 0; i < in->count; i++)
		if (!service_id_ok(in->item[i].service_id) || !mbms_km_status_allowed(in->item[i].status))
			return MBMS_EINVAL;
	static const char root[] = "mbmsRegistrationResponse";
	struct out o;
	begin(&o, buf, cap, root);
	for (size_t i = 0; i < in->count; i++) {
		open_tag(&o, "serviceResult");
		put_leaf(&o, "serviceId", in->item[i].service_id);
		open_tag(&o, "status");
		put_uint(&o, in->item[i].status);
		close_tag(&o, "status");
		close_tag(&o, "serviceResult");
	}
	return finish(&o, root, out_len);
}

int mbms_km_msk_request_write(const struct mbms_km_msk_request *in, char *buf, size_t cap,
			      size_t *out_len)
{
	if (!in || !buf || in->count == 0 || in->count > MBMS_KMXML_MAX_ITEMS)
		return MBMS_EINVAL;
	static const char root[] = "mbmsMSKRequest";
	struct out o;
	begin(&o, buf, cap, root);
	open_tag(&o, "keyDomainID");
	put_b64(&o, in->key_domain_id, MBMS_KEY_DOMAIN_ID_LEN);
	close_tag(&o, "keyDomainID");
	for (size_t i = 0; i < in->count; i++) {
		open_tag(&o, "MSKID");
		put_msk_id(&o, in->msk_id[i]);
		close_tag(&o, "MSKID");
	}
	return finish(&o, root, out_len);
}

int mbms_km_msk_response_write(const struct mbms_km_msk_response *in, char *buf, size_t cap,
			       size_t *out_len)
{
	if (!in || !buf || in->count == 0 || in->count > MBMS_KMXML_MAX_ITEMS)
		return MBMS_EINVAL;
	for (size_t i = 0; i < in->count; i++)
		if (!mbms_km_status_allowed(in->item[i].status))
			return MBMS_EINVAL;
	static const char root[] = "mbmsMSKResponse";
	struct out o;
	begin(&o, buf, cap, root);
	for (size_t i = 0; i < in->count; i++) {
		const struct mbms_km_msk_result *it = &in->item[i];
		open_tag(&o, "MSKResult");
		open_tag(&o, "keyDomainID");
		put_b64(&o, it->key_domain_id, MBMS_KEY_DOMAIN_ID_LEN);
		close_tag(&o, "keyDomainID");
		open_tag(&o, "MSKID");
		put_msk_id(&o, it->msk_id);
		close_tag(&o, "MSKID");
		open_tag(&o, "status");
		put_uint(&o, it->status);
		close_tag(&o, "status");
		close_tag(&o, "MSKResult");
	}
	return finish(&o, root, out_len);
}

/* ---- host[:port] ---- */

int mbms_hostport_format(const struct mbms_hostport *hp, char *out, size_t out_cap)
{
	if (!hp || !out || mbms_hostport_check(hp))
		return MBMS_EINVAL;
	bool v6 = strchr(hp->host, ':') != NULL;
	int n = hp->port ? snprintf(out, out_cap, v6 ? "[%s]:%u" : "%s:%u", hp->host,
				   (unsigned)hp->port)
			 : snprintf(out, out_cap, v6 ? "[%s]" : "%s", hp->host);
	if (n < 0 || (size_t)n >= out_cap)
		return MBMS_ENOSPC;
	return 0;
}

/* ---- PROFILE.md 8: announcement ---- */

static void put_hostport_leaf(struct out *o, const char *name, const struct mbms_hostport *hp)
{
	char s[MBMS_KMXML_HOST_MAX + 16];
	mbms_hostport_format(hp, s, sizeof(s)); /* checked by mbms_announcement_check */
	put_leaf(o, name, s);
}

static void put_uint_leaf(struct out *o, const char *name, uint32_t v)
{
	open_tag(o, name);
	put_uint(o, v);
	close_tag(o, name);
}

int mbms_announcement_write(const struct mbms_announcement *in, char *buf, size_t cap,
			    size_t *out_len)
{
	if (!in || !buf || mbms_announcement_check(in))
		return MBMS_EINVAL;
	static const char root[] = "protectionDescription";
	struct out o;
	begin(&o, buf, cap, root);
	put_leaf(&o, "serviceId", in->service_id);
	put_hostport_leaf(&o, "keyManagementServer", &in->km_server);
	open_tag(&o, "keyDomainID");
	put_b64(&o, in->key_domain_id, MBMS_KEY_DOMAIN_ID_LEN);
	close_tag(&o, "keyDomainID");
	put_leaf(&o, "confidentialityProtection", in->confidentiality ? "true" : "false");
	put_leaf(&o, "integrityProtection", in->integrity ? "true" : "false");
	put_leaf(&o, "uiccKeyManagement", in->uicc_key_management ? "true" : "false");
	for (size_t i = 0; i < in->msk_count; i++) {
		open_tag(&o, "MSKID");
		put_msk_id(&o, in->msk_id[i]);
		close_tag(&o, "MSKID");
	}
	for (size_t i = 0; i < in->session_count; i++) {
		const struct mbms_announcement_session *s = &in->session[i];
		open_tag(&o, "session");
		put_hostport_leaf(&o, "destination", &s->destination);
		put_uint_leaf(&o, "mtkPort", s->mtk_port);
		put_uint_leaf(&o, "keyGroup", s->key_group);
		close_tag(&o, "session");
	}
	put_uint_leaf(&o, "offsetTime", in->offset_time);
	put_uint_leaf(&o, "randomTimePeriod", in->random_time_period);
	return finish(&o, root, out_len);
}

/* PROFILE.md 8: offsetTime + uniform [0, randomTimePeriod] before a request
 * the network set off; none before one the user set off. */
int mbms_announcement_backoff_ms(uint32_t offset_time, uint32_t random_time_period,
				 uint32_t random_u32, bool network_initiated, uint64_t *delay_ms)
{
	if (!delay_ms || offset_time > MBMS_ANNOUNCEMENT_MAX_TIME ||
	    random_time_period > MBMS_ANNOUNCEMENT_MAX_TIME)
		return MBMS_EINVAL;
	if (!network_initiated) {
		*delay_ms = 0;
		return 0;
	}
	/* Scale [0, 2^32) onto [0, span]: floor(r * (span + 1) / 2^32). */
	uint64_t span = (uint64_t)random_time_period * 1000u;
	uint64_t jitter = ((uint64_t)random_u32 * (span + 1)) >> 32;
	*delay_ms = (uint64_t)offset_time * 1000u + jitter;
	return 0;
}
