/* Traffic protection, the byte layouts (include/mbmssec/traffic.h): the MKI
 * (PROFILE.md 5.5), RTP headers (RFC 3550 5.1, 5.3.1), where the MKI sits
 * in an SRTP packet (RFC 3711 3.1), the length-prefixed RTP file and the
 * generated test stream (docs/traffic.md). */
#include "mbmssec/traffic.h"

#include "mbmssec/crypto.h"
#include "mbmssec/error.h"
#include "mbmssec/ids.h"

#include <string.h>

void mbms_traffic_key_wipe(struct mbms_traffic_key *k)
{
	if (k)
		mbms_wipe(k, sizeof(*k));
}

/* PROFILE.md 5.5: the SPI of the MTK's KEY payload, MSK ID || MTK ID, is
 * the MKI of every SRTP packet that MTK protects. */
void mbms_traffic_mki_make(uint32_t msk_id, uint16_t mtk_id, uint8_t mki[MBMS_TRAFFIC_MKI_LEN])
{
	mbms_put_be32(mki, msk_id);
	mbms_put_be16(mki + 4, mtk_id);
}

int mbms_traffic_mki_parse(const uint8_t *mki, size_t len, uint32_t *msk_id, uint16_t *mtk_id)
{
	if (!mki || !msk_id || !mtk_id)
		return MBMS_EINVAL;
	if (len != MBMS_TRAFFIC_MKI_LEN)
		return MBMS_ELENGTH;
	uint32_t msk = mbms_get_be32(mki);
	if (mbms_msk_id_key_number(msk) == 0)
		return MBMS_EKEYNUM0; /* PROFILE.md 3: never a real MSK */
	*msk_id = msk;
	*mtk_id = mbms_get_be16(mki + 4);
	return 0;
}

/* RFC 3550 5.1 (fixed header, CSRC list) and 5.3.1 (extension: 16-bit
 * profile field, 16-bit length in 32-bit words, then the words). */
int mbms_rtp_parse(const uint8_t *pkt, size_t len, struct mbms_rtp_header *h)
{
	if (!pkt || !h)
		return MBMS_EINVAL;
	memset(h, 0, sizeof(*h));
	if (len < MBMS_RTP_HEADER_MIN)
		return MBMS_ETRUNCATED;
	h->version = pkt[0] >> 6;
	if (h->version != 2)
		return MBMS_EVERSION;
	h->padding = (pkt[0] & 0x20) != 0;
	h->extension = (pkt[0] & 0x10) != 0;
	h->csrc_count = pkt[0] & 0x0f;
	h->marker = (pkt[1] & 0x80) != 0;
	h->payload_type = pkt[1] & 0x7f;
	h->seq = mbms_get_be16(pkt + 2);
	h->timestamp = mbms_get_be32(pkt + 4);
	h->ssrc = mbms_get_be32(pkt + 8);
	size_t n = MBMS_RTP_HEADER_MIN + 4u * h->csrc_count;
	if (n > len)
		return MBMS_ETRUNCATED;
	if (h->extension) {
		if (n + 4 > len)
			return MBMS_ETRUNCATED;
		n += 4 + 4u * mbms_get_be16(pkt + n + 2);
		if (n > len)
			return MBMS_ETRUNCATED;
	}
	h->header_len = n;
	return 0;
}

int mbms_rtp_payload(const uint8_t *pkt, size_t len, const uint8_t **payload, size_t *payload_len)
{
	if (!payload || !payload_len)
		return MBMS_EINVAL;
	struct mbms_rtp_header h;
	int rc = mbms_rtp_parse(pkt, len, &h);
	if (rc)
		return rc;
	size_t end = len;
	if (h.padding) {
		/* RFC 3550 5.1: the last octet counts the padding, itself included */
		size_t pad = pkt[len - 1];
		if (pad == 0 || pad > len - h.header_len)
			return MBMS_ELENGTH;
		end -= pad;
	}
	*payload = pkt + h.header_len;
	*payload_len = end - h.header_len;
	return 0;
}

/* RFC 3711 3.1: SRTP packet = header || encrypted portion || MKI || tag;
 * the MKI (here 6 bytes) sits right before the authentication tag. */
int mbms_srtp_parse(const uint8_t *pkt, size_t len, size_t tag_len, struct mbms_srtp_packet *out)
{
	if (!pkt || !out)
		return MBMS_EINVAL;
	memset(out, 0, sizeof(*out));
	int rc = mbms_rtp_parse(pkt, len, &out->rtp);
	if (rc)
		return rc;
	if (len - out->rtp.header_len < MBMS_TRAFFIC_MKI_LEN + tag_len)
		return MBMS_ETRUNCATED;
	out->mki = pkt + len - tag_len - MBMS_TRAFFIC_MKI_LEN;
	return mbms_traffic_mki_parse(out->mki, MBMS_TRAFFIC_MKI_LEN, &out->msk_id, &out->mtk_id);
}

/* ---- the length-prefixed RTP file ---- */

int mbms_rtpfile_next(const uint8_t **data, size_t *left, const uint8_t **pkt, size_t *pkt_len)
{
	if (!data || !left || !pkt || !pkt_len || (!*data && *left))
		return MBMS_EINVAL;
	if (*left == 0)
		return 0;
	if (*left < 2)
		return MBMS_ETRUNCATED;
	size_t n = mbms_get_be16(*data);
	if (n < MBMS_RTP_HEADER_MIN || n > MBMS_TRAFFIC_RTP_MAX)
		return MBMS_ELENGTH;
	if (*left - 2 < n)
		return MBMS_ETRUNCATED;
	struct mbms_rtp_header h;
	int rc = mbms_rtp_parse(*data + 2, n, &h);
	if (rc)
		return rc;
	*pkt = *data + 2;
	*pkt_len = n;
	*data += 2 + n;
	*left -= 2 + n;
	return 1;
}

int mbms_rtpfile_put(const uint8_t *pkt, size_t len, uint8_t *out, size_t cap, size_t *written)
{
	if (!pkt || !out || !written)
		return MBMS_EINVAL;
	if (len < MBMS_RTP_HEADER_MIN || len > MBMS_TRAFFIC_RTP_MAX)
		return MBMS_ELENGTH;
	if (cap < 2 + len)
		return MBMS_ENOSPC;
	mbms_put_be16(out, (uint16_t)len);
	memcpy(out + 2, pkt, len);
	*written = 2 + len;
	return 0;
}

/* ---- the generated test stream ---- */

int mbms_rtp_generate(const struct mbms_rtp_gen *g, uint32_t index, uint8_t *out, size_t cap,
		      size_t *len)
{
	if (!g || !out || !len || g->payload_type > 127)
		return MBMS_EINVAL;
	if (g->payload_len < 4 || g->payload_len > MBMS_TRAFFIC_RTP_MAX - MBMS_RTP_HEADER_MIN)
		return MBMS_ELENGTH;
	size_t n = MBMS_RTP_HEADER_MIN + g->payload_len;
	if (cap < n)
		return MBMS_ENOSPC;
	out[0] = 0x80; /* V=2, no padding, no extension, CC=0 */
	out[1] = (uint8_t)(g->payload_type | (index % 50 == 0 ? 0x80 : 0));
	mbms_put_be16(out + 2, (uint16_t)(g->seq0 + index));
	mbms_put_be32(out + 4, g->ts0 + index * g->ts_step);
	mbms_put_be32(out + 8, g->ssrc);
	uint8_t *p = out + MBMS_RTP_HEADER_MIN;
	mbms_put_be32(p, index);
	for (size_t j = 4; j < g->payload_len; j++)
		p[j] = (uint8_t)((index + j) % 251);
	*len = n;
	return 0;
}
