/* Generic MIKEY codec: RFC 3830 section 6, RFC 4563 (empty map, Key ID).
 *
 * Parsers use the cursor pattern of style.md: a local copy of (p, len) is
 * advanced field by field, the remaining length is checked before every
 * read, and the caller's cursor moves only when the whole item decoded. */
#include "mbmssec/mikey.h"
#include "mbmssec/error.h"
#include "mbmssec/ids.h"
#include "mbmssec/profile.h"

#include <string.h>

#define NO_POS ((size_t)-1)

/* ---- cursor helpers ---- */

struct cur {
	const uint8_t *p;
	size_t len;
};

static int get_u8(struct cur *c, uint8_t *v)
{
	if (c->len < 1)
		return MBMS_ETRUNCATED;
	*v = c->p[0];
	c->p++;
	c->len--;
	return 0;
}

static int get_u16(struct cur *c, uint16_t *v)
{
	if (c->len < 2)
		return MBMS_ETRUNCATED;
	*v = mbms_get_be16(c->p);
	c->p += 2;
	c->len -= 2;
	return 0;
}

static int get_bytes(struct cur *c, size_t n, const uint8_t **v)
{
	if (c->len < n)
		return MBMS_ETRUNCATED;
	*v = c->p;
	c->p += n;
	c->len -= n;
	return 0;
}

#define TRY(expr)                                                                                  \
	do {                                                                                       \
		int try_rc_ = (expr);                                                              \
		if (try_rc_ < 0)                                                                   \
			return try_rc_;                                                            \
	} while (0)

static size_t mac_len_of(uint8_t alg)
{
	return alg == MBMS_MIKEY_MAC_HMAC_SHA1_160 ? MBMS_MIKEY_HMAC_SHA1_160_LEN : 0;
}

/* ---- HDR, RFC 3830 6.1 (+ RFC 4563 empty map) ---- */

int mbms_mikey_hdr_decode(const uint8_t **p, size_t *len, struct mbms_mikey_hdr *out)
{
	struct cur c = {*p, *len};
	struct mbms_mikey_hdr h;
	uint8_t b;
	const uint8_t *csb;
	memset(&h, 0, sizeof(h));
	TRY(get_u8(&c, &h.version));
	if (h.version != MBMS_MIKEY_VERSION)
		return MBMS_EVERSION;
	TRY(get_u8(&c, &h.data_type));
	if (h.data_type > MBMS_MIKEY_DT_ERROR)
		return MBMS_EDATATYPE;
	TRY(get_u8(&c, &h.next));
	TRY(get_u8(&c, &b));
	h.v = (b & 0x80) != 0;
	h.prf = b & 0x7f;
	if (h.prf != MBMS_MIKEY_PRF_MIKEY_1)
		return MBMS_EPRF;
	TRY(get_bytes(&c, 4, &csb));
	h.csb_id = mbms_get_be32(csb);
	TRY(get_u8(&c, &h.ncs));
	TRY(get_u8(&c, &h.map_type));
	switch (h.map_type) {
	case MBMS_MIKEY_MAP_SRTP_ID: /* RFC 3830 6.1.1: #CS entries of 9 bytes */
		h.map_info_len = (size_t)h.ncs * MBMS_MIKEY_SRTP_ID_ENTRY_LEN;
		TRY(get_bytes(&c, h.map_info_len, &h.map_info));
		break;
	case MBMS_MIKEY_MAP_EMPTY: /* RFC 4563: no map info, so no CS to map */
		if (h.ncs != 0)
			return MBMS_ECSMAP;
		break;
	default:
		return MBMS_ECSMAP;
	}
	*out = h;
	size_t used = *len - c.len;
	*p = c.p;
	*len = c.len;
	return (int)used;
}

/* ---- payloads, RFC 3830 6.2 - 6.15 ---- */

static int dec_kemac(struct cur *c, const uint8_t *base, struct mbms_mikey_kemac *k)
{
	uint16_t l;
	TRY(get_u8(c, &k->encr_alg));
	if (k->encr_alg > MBMS_MIKEY_ENCR_AES_KW_128)
		return MBMS_EALG;
	TRY(get_u16(c, &l));
	k->encr_len = l;
	k->encr_off = (size_t)(c->p - base);
	TRY(get_bytes(c, l, &k->encr_data));
	TRY(get_u8(c, &k->mac_alg));
	if (k->mac_alg > MBMS_MIKEY_MAC_HMAC_SHA1_160)
		return MBMS_EALG;
	k->mac_len = mac_len_of(k->mac_alg);
	k->mac_off = (size_t)(c->p - base);
	return get_bytes(c, k->mac_len, &k->mac);
}

static int dec_t(struct cur *c, struct mbms_mikey_t *t)
{
	TRY(get_u8(c, &t->ts_type));
	switch (t->ts_type) {
	case MBMS_MIKEY_TS_NTP_UTC:
	case MBMS_MIKEY_TS_NTP:
		t->value_len = 8;
		break;
	case MBMS_MIKEY_TS_COUNTER:
		t->value_len = 4;
		break;
	default:
		return MBMS_ETSTYPE;
	}
	TRY(get_bytes(c, t->value_len, &t->value));
	t->ts = 0;
	for (size_t i = 0; i < t->value_len; i++)
		t->ts = t->ts << 8 | t->value[i];
	return 0;
}

static int dec_sp(struct cur *c, struct mbms_mikey_sp *sp)
{
	uint16_t l;
	TRY(get_u8(c, &sp->policy_no));
	TRY(get_u8(c, &sp->prot_type));
	TRY(get_u16(c, &l));
	sp->params_len = l;
	TRY(get_bytes(c, l, &sp->params));
	/* The TLVs must fill the declared length exactly. */
	struct cur t = {sp->params, sp->params_len};
	sp->nparams = 0;
	while (t.len) {
		uint8_t type, plen;
		const uint8_t *v;
		if (get_u8(&t, &type) || get_u8(&t, &plen) || get_bytes(&t, plen, &v))
			return MBMS_ELENGTH;
		sp->nparams++;
	}
	return 0;
}

int mbms_mikey_payload_decode(uint8_t type, const uint8_t *base, const uint8_t **p, size_t *len,
			      struct mbms_mikey_payload *out)
{
	struct cur c = {*p, *len};
	struct mbms_mikey_payload pl;
	uint16_t l;
	uint8_t l8;
	memset(&pl, 0, sizeof(pl));
	pl.type = type;
	pl.offset = (size_t)(c.p - base);
	switch (type) {
	case MBMS_MIKEY_PT_KEMAC:
	case MBMS_MIKEY_PT_T:
	case MBMS_MIKEY_PT_ID:
	case MBMS_MIKEY_PT_V:
	case MBMS_MIKEY_PT_SP:
	case MBMS_MIKEY_PT_RAND:
	case MBMS_MIKEY_PT_ERR:
	case MBMS_MIKEY_PT_EXT:
		break;
	case MBMS_MIKEY_PT_KEY:
		return MBMS_EUNEXPECTED; /* KEY lives only inside KEMAC encr data */
	default:
		return MBMS_EUNKNOWNPAYLOAD;
	}
	TRY(get_u8(&c, &pl.next));
	switch (type) {
	case MBMS_MIKEY_PT_KEMAC: /* 6.2 */
		TRY(dec_kemac(&c, base, &pl.u.kemac));
		break;
	case MBMS_MIKEY_PT_T: /* 6.6 */
		TRY(dec_t(&c, &pl.u.t));
		break;
	case MBMS_MIKEY_PT_ID: /* 6.7 */
		TRY(get_u8(&c, &pl.u.id.id_type));
		if (pl.u.id.id_type > MBMS_MIKEY_ID_URI)
			return MBMS_EIDTYPE;
		TRY(get_u16(&c, &l));
		pl.u.id.len = l;
		TRY(get_bytes(&c, l, &pl.u.id.data));
		break;
	case MBMS_MIKEY_PT_V: /* 6.9 */
		TRY(get_u8(&c, &pl.u.v.auth_alg));
		if (pl.u.v.auth_alg > MBMS_MIKEY_MAC_HMAC_SHA1_160)
			return MBMS_EALG;
		pl.u.v.mac_len = mac_len_of(pl.u.v.auth_alg);
		pl.u.v.mac_off = (size_t)(c.p - base);
		TRY(get_bytes(&c, pl.u.v.mac_len, &pl.u.v.mac));
		break;
	case MBMS_MIKEY_PT_SP: /* 6.10 */
		TRY(dec_sp(&c, &pl.u.sp));
		break;
	case MBMS_MIKEY_PT_RAND: /* 6.11 */
		TRY(get_u8(&c, &l8));
		pl.u.rand.len = l8;
		TRY(get_bytes(&c, l8, &pl.u.rand.data));
		break;
	case MBMS_MIKEY_PT_ERR: /* 6.12 */
		TRY(get_u8(&c, &pl.u.err.err_no));
		TRY(get_u16(&c, &pl.u.err.reserved));
		break;
	case MBMS_MIKEY_PT_EXT: /* 6.15 */
		TRY(get_u8(&c, &pl.u.ext.ext_type));
		TRY(get_u16(&c, &l));
		pl.u.ext.len = l;
		TRY(get_bytes(&c, l, &pl.u.ext.data));
		break;
	}
	pl.len = *len - c.len;
	*out = pl;
	*p = c.p;
	*len = c.len;
	return (int)pl.len;
}

int mbms_mikey_decode(const uint8_t *buf, size_t len, struct mbms_mikey_msg *msg)
{
	if (!msg || (!buf && len))
		return MBMS_EINVAL;
	memset(msg, 0, sizeof(*msg));
	msg->buf = buf;
	msg->len = len;
	const uint8_t *p = buf;
	size_t n = len;
	TRY(mbms_mikey_hdr_decode(&p, &n, &msg->hdr));
	uint8_t type = msg->hdr.next;
	while (type != MBMS_MIKEY_PT_LAST) {
		if (msg->npayloads == MBMS_MIKEY_MAX_PAYLOADS)
			return MBMS_ENOSPC;
		struct mbms_mikey_payload *pl = &msg->p[msg->npayloads];
		TRY(mbms_mikey_payload_decode(type, buf, &p, &n, pl));
		msg->npayloads++;
		if (pl->type == MBMS_MIKEY_PT_KEMAC) {
			msg->has_mac = true;
			msg->mac_off = pl->u.kemac.mac_off;
		} else if (pl->type == MBMS_MIKEY_PT_V) {
			msg->has_mac = true;
			msg->mac_off = pl->u.v.mac_off;
		}
		type = pl->next;
	}
	if (n)
		return MBMS_ETRAILING;
	return 0;
}

const struct mbms_mikey_payload *mbms_mikey_find(const struct mbms_mikey_msg *msg, uint8_t type,
						 size_t from)
{
	for (size_t i = from; msg && i < msg->npayloads; i++)
		if (msg->p[i].type == type)
			return &msg->p[i];
	return NULL;
}

/* ---- KEY data sub-payload, RFC 3830 6.13 ---- */

static bool key_has_salt(uint8_t type)
{
	return type == MBMS_MIKEY_KEY_TGK_SALT || type == MBMS_MIKEY_KEY_TEK_SALT;
}

int mbms_mikey_key_decode(const uint8_t **p, size_t *len, struct mbms_mikey_key *out)
{
	struct cur c = {*p, *len};
	struct mbms_mikey_key k;
	uint8_t b, l8;
	uint16_t l;
	memset(&k, 0, sizeof(k));
	TRY(get_u8(&c, &k.next));
	if (k.next != MBMS_MIKEY_PT_LAST && k.next != MBMS_MIKEY_PT_KEY)
		return MBMS_EKEYDATA;
	TRY(get_u8(&c, &b));
	k.type = b >> 4;
	k.kv = b & 0x0f;
	if (k.type > MBMS_MIKEY_KEY_TEK_SALT || k.kv > MBMS_MIKEY_KV_INTERVAL)
		return MBMS_EKEYDATA;
	TRY(get_u16(&c, &l));
	k.key_len = l;
	TRY(get_bytes(&c, l, &k.key));
	if (key_has_salt(k.type)) {
		TRY(get_u16(&c, &l));
		k.salt_len = l;
		TRY(get_bytes(&c, l, &k.salt));
	}
	switch (k.kv) {
	case MBMS_MIKEY_KV_SPI:
		TRY(get_u8(&c, &l8));
		k.spi_len = l8;
		TRY(get_bytes(&c, l8, &k.spi));
		break;
	case MBMS_MIKEY_KV_INTERVAL:
		TRY(get_u8(&c, &l8));
		k.vf_len = l8;
		TRY(get_bytes(&c, l8, &k.vf));
		TRY(get_u8(&c, &l8));
		k.vt_len = l8;
		TRY(get_bytes(&c, l8, &k.vt));
		break;
	}
	*out = k;
	size_t used = *len - c.len;
	*p = c.p;
	*len = c.len;
	return (int)used;
}

int mbms_mikey_keys_decode(const uint8_t *data, size_t len, struct mbms_mikey_key *keys,
			   size_t max, size_t *nkeys)
{
	if ((!data && len) || !nkeys || (!keys && max))
		return MBMS_EINVAL;
	*nkeys = 0;
	const uint8_t *p = data;
	size_t n = len;
	if (n == 0)
		return 0;
	for (;;) {
		if (*nkeys == max)
			return MBMS_ENOSPC;
		int rc = mbms_mikey_key_decode(&p, &n, &keys[*nkeys]);
		if (rc == MBMS_ETRUNCATED)
			return MBMS_ELENGTH; /* ran past the declared encr data length */
		if (rc < 0)
			return rc;
		if (keys[(*nkeys)++].next == MBMS_MIKEY_PT_LAST)
			break;
	}
	return n ? MBMS_ETRAILING : 0;
}

int mbms_mikey_sp_param(const struct mbms_mikey_sp *sp, size_t i, struct mbms_mikey_sp_param *out)
{
	if (!sp || !out)
		return MBMS_EINVAL;
	struct cur c = {sp->params, sp->params_len};
	for (size_t k = 0;; k++) {
		uint8_t type, plen;
		const uint8_t *v;
		if (c.len == 0)
			return MBMS_ENOTFOUND;
		if (get_u8(&c, &type) || get_u8(&c, &plen) || get_bytes(&c, plen, &v))
			return MBMS_ELENGTH;
		if (k == i) {
			*out = (struct mbms_mikey_sp_param){type, plen, v};
			return 0;
		}
	}
}

/* RFC 4563 Key ID data: key ID type(1) | key ID len(2) | key ID. */
int mbms_mikey_key_id_decode(const uint8_t *data, size_t len, struct mbms_mikey_key_id *out)
{
	struct cur c = {data, len};
	uint16_t l;
	if ((!data && len) || !out)
		return MBMS_EINVAL;
	if (get_u8(&c, &out->type) || get_u16(&c, &l) || l != c.len)
		return MBMS_ELENGTH;
	out->len = l;
	out->id = c.p;
	return 0;
}

/* ---- writer ---- */

void mbms_mikey_writer_init(struct mbms_mikey_writer *w, uint8_t *buf, size_t cap)
{
	w->buf = buf;
	w->cap = buf ? cap : 0;
	w->len = 0;
	w->next_pos = NO_POS;
	w->err = 0;
}

static int fail(struct mbms_mikey_writer *w, int err)
{
	if (!w->err)
		w->err = err;
	return w->err;
}

/* Room for a payload of n bytes whose own next byte is its first byte:
 * patch the previous next byte with type and hand back the space. */
static uint8_t *reserve(struct mbms_mikey_writer *w, uint8_t type, size_t n)
{
	if (w->err)
		return NULL;
	if (n > w->cap - w->len) {
		fail(w, MBMS_ENOSPC);
		return NULL;
	}
	if (w->next_pos != NO_POS)
		w->buf[w->next_pos] = type;
	uint8_t *q = w->buf + w->len;
	w->next_pos = w->len;
	w->len += n;
	q[0] = MBMS_MIKEY_PT_LAST;
	return q;
}

int mbms_mikey_put_hdr(struct mbms_mikey_writer *w, const struct mbms_mikey_hdr *h)
{
	if (w->err)
		return w->err;
	if (!h || w->len != 0 || h->prf > 0x7f || (h->map_info_len && !h->map_info))
		return fail(w, MBMS_EINVAL);
	if (h->map_type == MBMS_MIKEY_MAP_SRTP_ID) {
		if (h->map_info_len != (size_t)h->ncs * MBMS_MIKEY_SRTP_ID_ENTRY_LEN)
			return fail(w, MBMS_EINVAL);
	} else if (h->map_type == MBMS_MIKEY_MAP_EMPTY) {
		if (h->ncs != 0 || h->map_info_len != 0)
			return fail(w, MBMS_EINVAL);
	} else {
		return fail(w, MBMS_EINVAL);
	}
	size_t n = 10 + h->map_info_len;
	if (n > w->cap)
		return fail(w, MBMS_ENOSPC);
	uint8_t *q = w->buf;
	q[0] = h->version;
	q[1] = h->data_type;
	q[2] = MBMS_MIKEY_PT_LAST;
	q[3] = (uint8_t)((h->v ? 0x80 : 0) | h->prf);
	mbms_put_be32(q + 4, h->csb_id);
	q[8] = h->ncs;
	q[9] = h->map_type;
	if (h->map_info_len)
		memcpy(q + 10, h->map_info, h->map_info_len);
	w->len = n;
	w->next_pos = 2;
	return 0;
}

int mbms_mikey_put_t(struct mbms_mikey_writer *w, uint8_t ts_type, uint64_t ts)
{
	size_t vlen;
	if (ts_type == MBMS_MIKEY_TS_NTP_UTC || ts_type == MBMS_MIKEY_TS_NTP)
		vlen = 8;
	else if (ts_type == MBMS_MIKEY_TS_COUNTER && ts <= UINT32_MAX)
		vlen = 4;
	else
		return fail(w, MBMS_EINVAL);
	uint8_t *q = reserve(w, MBMS_MIKEY_PT_T, 2 + vlen);
	if (!q)
		return w->err;
	q[1] = ts_type;
	for (size_t i = 0; i < vlen; i++)
		q[2 + i] = (uint8_t)(ts >> (8 * (vlen - 1 - i)));
	return 0;
}

int mbms_mikey_put_rand(struct mbms_mikey_writer *w, const uint8_t *rand, size_t len)
{
	if (len > 255 || (!rand && len))
		return fail(w, MBMS_EINVAL);
	uint8_t *q = reserve(w, MBMS_MIKEY_PT_RAND, 2 + len);
	if (!q)
		return w->err;
	q[1] = (uint8_t)len;
	if (len)
		memcpy(q + 2, rand, len);
	return 0;
}

int mbms_mikey_put_id(struct mbms_mikey_writer *w, uint8_t id_type, const uint8_t *id, size_t len)
{
	if (id_type > MBMS_MIKEY_ID_URI || len > 0xffff || (!id && len))
		return fail(w, MBMS_EINVAL);
	uint8_t *q = reserve(w, MBMS_MIKEY_PT_ID, 4 + len);
	if (!q)
		return w->err;
	q[1] = id_type;
	mbms_put_be16(q + 2, (uint16_t)len);
	if (len)
		memcpy(q + 4, id, len);
	return 0;
}

int mbms_mikey_put_ext(struct mbms_mikey_writer *w, uint8_t ext_type, const uint8_t *data,
		       size_t len)
{
	if (len > 0xffff || (!data && len))
		return fail(w, MBMS_EINVAL);
	uint8_t *q = reserve(w, MBMS_MIKEY_PT_EXT, 4 + len);
	if (!q)
		return w->err;
	q[1] = ext_type;
	mbms_put_be16(q + 2, (uint16_t)len);
	if (len)
		memcpy(q + 4, data, len);
	return 0;
}

int mbms_mikey_put_ext_key_id(struct mbms_mikey_writer *w, uint8_t key_id_type,
			      const uint8_t *key_id, size_t len)
{
	if (len > 0xffff - 3 || (!key_id && len))
		return fail(w, MBMS_EINVAL);
	uint8_t *q = reserve(w, MBMS_MIKEY_PT_EXT, 7 + len);
	if (!q)
		return w->err;
	q[1] = MBMS_MIKEY_EXT_KEY_ID;
	mbms_put_be16(q + 2, (uint16_t)(3 + len));
	q[4] = key_id_type;
	mbms_put_be16(q + 5, (uint16_t)len);
	if (len)
		memcpy(q + 7, key_id, len);
	return 0;
}

int mbms_mikey_put_sp(struct mbms_mikey_writer *w, uint8_t policy_no, uint8_t prot_type,
		      const struct mbms_mikey_sp_param *params, size_t nparams)
{
	size_t plen = 0;
	if (!params && nparams)
		return fail(w, MBMS_EINVAL);
	for (size_t i = 0; i < nparams; i++) {
		if (!params[i].value && params[i].len)
			return fail(w, MBMS_EINVAL);
		plen += 2 + (size_t)params[i].len;
		if (plen > 0xffff)
			return fail(w, MBMS_EINVAL);
	}
	uint8_t *q = reserve(w, MBMS_MIKEY_PT_SP, 5 + plen);
	if (!q)
		return w->err;
	q[1] = policy_no;
	q[2] = prot_type;
	mbms_put_be16(q + 3, (uint16_t)plen);
	uint8_t *o = q + 5;
	for (size_t i = 0; i < nparams; i++) {
		*o++ = params[i].type;
		*o++ = params[i].len;
		if (params[i].len)
			memcpy(o, params[i].value, params[i].len);
		o += params[i].len;
	}
	return 0;
}

int mbms_mikey_put_err(struct mbms_mikey_writer *w, uint8_t err_no)
{
	uint8_t *q = reserve(w, MBMS_MIKEY_PT_ERR, 4);
	if (!q)
		return w->err;
	q[1] = err_no;
	q[2] = q[3] = 0;
	return 0;
}

int mbms_mikey_put_kemac(struct mbms_mikey_writer *w, uint8_t encr_alg, const uint8_t *encr_data,
			 size_t encr_len, uint8_t mac_alg, size_t *encr_off, size_t *mac_off)
{
	if (encr_alg > MBMS_MIKEY_ENCR_AES_KW_128 || mac_alg > MBMS_MIKEY_MAC_HMAC_SHA1_160 ||
	    encr_len > 0xffff)
		return fail(w, MBMS_EINVAL);
	size_t mlen = mac_len_of(mac_alg);
	uint8_t *q = reserve(w, MBMS_MIKEY_PT_KEMAC, 5 + encr_len + mlen);
	if (!q)
		return w->err;
	size_t start = (size_t)(q - w->buf);
	q[1] = encr_alg;
	mbms_put_be16(q + 2, (uint16_t)encr_len);
	if (encr_data && encr_len)
		memcpy(q + 4, encr_data, encr_len);
	else if (encr_len)
		memset(q + 4, 0, encr_len);
	q[4 + encr_len] = mac_alg;
	if (mlen)
		memset(q + 5 + encr_len, 0, mlen);
	if (encr_off)
		*encr_off = start + 4;
	if (mac_off)
		*mac_off = start + 5 + encr_len;
	return 0;
}

int mbms_mikey_put_v(struct mbms_mikey_writer *w, uint8_t auth_alg, size_t *mac_off)
{
	if (auth_alg > MBMS_MIKEY_MAC_HMAC_SHA1_160)
		return fail(w, MBMS_EINVAL);
	size_t mlen = mac_len_of(auth_alg);
	uint8_t *q = reserve(w, MBMS_MIKEY_PT_V, 2 + mlen);
	if (!q)
		return w->err;
	q[1] = auth_alg;
	if (mlen)
		memset(q + 2, 0, mlen);
	if (mac_off)
		*mac_off = (size_t)(q - w->buf) + 2;
	return 0;
}

size_t mbms_mikey_key_size(const struct mbms_mikey_key *k)
{
	if (!k || k->type > MBMS_MIKEY_KEY_TEK_SALT || k->kv > MBMS_MIKEY_KV_INTERVAL ||
	    k->key_len > 0xffff || (!k->key && k->key_len))
		return 0;
	size_t n = 4 + k->key_len;
	if (key_has_salt(k->type)) {
		if (k->salt_len > 0xffff || (!k->salt && k->salt_len))
			return 0;
		n += 2 + k->salt_len;
	} else if (k->salt || k->salt_len) {
		return 0;
	}
	bool has_spi = k->spi || k->spi_len, has_int = k->vf || k->vt || k->vf_len || k->vt_len;
	switch (k->kv) {
	case MBMS_MIKEY_KV_NULL:
		if (has_spi || has_int)
			return 0;
		break;
	case MBMS_MIKEY_KV_SPI:
		if (has_int || k->spi_len > 255 || (!k->spi && k->spi_len))
			return 0;
		n += 1 + k->spi_len;
		break;
	case MBMS_MIKEY_KV_INTERVAL:
		if (has_spi || k->vf_len > 255 || k->vt_len > 255 || (!k->vf && k->vf_len) ||
		    (!k->vt && k->vt_len))
			return 0;
		n += 2 + k->vf_len + k->vt_len;
		break;
	}
	return n;
}

int mbms_mikey_put_key(struct mbms_mikey_writer *w, const struct mbms_mikey_key *k)
{
	size_t n = mbms_mikey_key_size(k);
	if (n == 0)
		return fail(w, MBMS_EINVAL);
	uint8_t *q = reserve(w, MBMS_MIKEY_PT_KEY, n);
	if (!q)
		return w->err;
	uint8_t *o = q + 1;
	*o++ = (uint8_t)(k->type << 4 | k->kv);
	mbms_put_be16(o, (uint16_t)k->key_len);
	o += 2;
	if (k->key_len)
		memcpy(o, k->key, k->key_len);
	o += k->key_len;
	if (key_has_salt(k->type)) {
		mbms_put_be16(o, (uint16_t)k->salt_len);
		o += 2;
		if (k->salt_len)
			memcpy(o, k->salt, k->salt_len);
		o += k->salt_len;
	}
	if (k->kv == MBMS_MIKEY_KV_SPI) {
		*o++ = (uint8_t)k->spi_len;
		if (k->spi_len)
			memcpy(o, k->spi, k->spi_len);
	} else if (k->kv == MBMS_MIKEY_KV_INTERVAL) {
		*o++ = (uint8_t)k->vf_len;
		if (k->vf_len)
			memcpy(o, k->vf, k->vf_len);
		o += k->vf_len;
		*o++ = (uint8_t)k->vt_len;
		if (k->vt_len)
			memcpy(o, k->vt, k->vt_len);
	}
	return 0;
}

/* RFC 3830 4.2.3: IV = (S xor (0x0000 || CSB ID || T)) || 0x0000, i.e.
 * (salt || 0x0000) xor (0x0000 || CSB ID || T || 0x0000). */
int mbms_mikey_aes_cm_iv(const uint8_t salt[14], uint32_t csb_id, uint64_t ts, uint8_t iv[16])
{
	/* PROFILE: a 32-bit COUNTER is passed as its value, i.e. right-aligned
	 * in the 64-bit T (see profile.h). */
	_Static_assert(MBMS_PROFILE_COUNTER_RIGHT_ALIGNED, "only right-aligned COUNTER is built");
	if (!salt || !iv)
		return MBMS_EINVAL;
	memcpy(iv, salt, 14);
	iv[14] = iv[15] = 0;
	iv[2] ^= (uint8_t)(csb_id >> 24);
	iv[3] ^= (uint8_t)(csb_id >> 16);
	iv[4] ^= (uint8_t)(csb_id >> 8);
	iv[5] ^= (uint8_t)csb_id;
	for (int i = 0; i < 8; i++)
		iv[6 + i] ^= (uint8_t)(ts >> (8 * (7 - i)));
	return 0;
}

const char *mbms_mikey_key_type_name(uint8_t type)
{
	static const char *const names[] = {"TGK", "TGK+SALT", "TEK", "TEK+SALT"};
	return type < 4 ? names[type] : "?";
}

const char *mbms_mikey_kv_name(uint8_t kv)
{
	static const char *const names[] = {"null", "spi", "interval"};
	return kv < 3 ? names[kv] : "?";
}
