/* Identifiers, hex and base64. */
#include "mbmssec/ids.h"
#include "mbmssec/error.h"

#include <string.h>

int mbms_hex_encode(const uint8_t *in, size_t len, char *out, size_t out_cap)
{
	static const char digits[] = "0123456789abcdef";
	if (len > (SIZE_MAX - 1) / 2 || out_cap < 2 * len + 1)
		return MBMS_ENOSPC;
	for (size_t i = 0; i < len; i++) {
		out[2 * i] = digits[in[i] >> 4];
		out[2 * i + 1] = digits[in[i] & 0x0f];
	}
	out[2 * len] = '\0';
	return 0;
}

static int hex_nibble(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

int mbms_hex_decode(const char *in, size_t in_len, uint8_t *out, size_t out_cap, size_t *out_len)
{
	if (in_len % 2)
		return MBMS_ESYNTAX;
	if (in_len / 2 > out_cap)
		return MBMS_ENOSPC;
	for (size_t i = 0; i < in_len / 2; i++) {
		int hi = hex_nibble(in[2 * i]), lo = hex_nibble(in[2 * i + 1]);
		if (hi < 0 || lo < 0)
			return MBMS_ESYNTAX;
		out[i] = (uint8_t)(hi << 4 | lo);
	}
	if (out_len)
		*out_len = in_len / 2;
	return 0;
}

static const char b64_alphabet[] =
	"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

int mbms_base64_encode(const uint8_t *in, size_t len, char *out, size_t out_cap)
{
	if (len > (SIZE_MAX / 4) * 3 - 3 || out_cap < mbms_base64_len(len) + 1)
		return MBMS_ENOSPC;
	size_t o = 0, i = 0;
	for (; i + 3 <= len; i += 3) {
		uint32_t v = (uint32_t)in[i] << 16 | (uint32_t)in[i + 1] << 8 | in[i + 2];
		out[o++] = b64_alphabet[v >> 18];
		out[o++] = b64_alphabet[(v >> 12) & 63];
		out[o++] = b64_alphabet[(v >> 6) & 63];
		out[o++] = b64_alphabet[v & 63];
	}
	if (len - i == 1) {
		uint32_t v = (uint32_t)in[i] << 16;
		out[o++] = b64_alphabet[v >> 18];
		out[o++] = b64_alphabet[(v >> 12) & 63];
		out[o++] = '=';
		out[o++] = '=';
	} else if (len - i == 2) {
		uint32_t v = (uint32_t)in[i] << 16 | (uint32_t)in[i + 1] << 8;
		out[o++] = b64_alphabet[v >> 18];
		out[o++] = b64_alphabet[(v >> 12) & 63];
		out[o++] = b64_alphabet[(v >> 6) & 63];
		out[o++] = '=';
	}
	out[o] = '\0';
	return 0;
}

static int b64_value(char c)
{
	if (c >= 'A' && c <= 'Z')
		return c - 'A';
	if (c >= 'a' && c <= 'z')
		return c - 'a' + 26;
	if (c >= '0' && c <= '9')
		return c - '0' + 52;
	if (c == '+')
		return 62;
	if (c == '/')
		return 63;
	return -1;
}

int mbms_base64_decode(const char *in, size_t in_len, uint8_t *out, size_t out_cap,
		       size_t *out_len)
{
	if (in_len % 4)
		return MBMS_ESYNTAX;
	size_t o = 0;
	for (size_t i = 0; i < in_len; i += 4) {
		int v[4];
		int pad = 0;
		for (int j = 0; j < 4; j++) {
			char c = in[i + j];
			if (c == '=') {
				/* '=' only in the last quantum, only in its last two places,
				 * and nothing but '=' after it. */
				if (i + 4 != in_len || j < 2)
					return MBMS_ESYNTAX;
				pad++;
				v[j] = 0;
			} else {
				if (pad)
					return MBMS_ESYNTAX;
				v[j] = b64_value(c);
				if (v[j] < 0)
					return MBMS_ESYNTAX;
			}
		}
		uint32_t w = (uint32_t)v[0] << 18 | (uint32_t)v[1] << 12 | (uint32_t)v[2] << 6 |
			     (uint32_t)v[3];
		size_t n = 3 - (size_t)pad;
		/* Canonical form: bits past the data must be zero. */
		if ((pad == 1 && (w & 0xff)) || (pad == 2 && (w & 0xffff)))
			return MBMS_ESYNTAX;
		if (o + n > out_cap)
			return MBMS_ENOSPC;
		out[o++] = (uint8_t)(w >> 16);
		if (n > 1)
			out[o++] = (uint8_t)(w >> 8);
		if (n > 2)
			out[o++] = (uint8_t)w;
	}
	if (out_len)
		*out_len = o;
	return 0;
}

static bool all_digits(const char *s, size_t n)
{
	if (strlen(s) != n)
		return false;
	for (size_t i = 0; i < n; i++)
		if (s[i] < '0' || s[i] > '9')
			return false;
	return true;
}

/* TS 24.008 10.5.1.3 (Location Area Identification) PLMN coding. */
int mbms_key_domain_from_plmn(const char *mcc, const char *mnc,
			      uint8_t out[MBMS_KEY_DOMAIN_ID_LEN])
{
	if (!mcc || !mnc || !all_digits(mcc, 3))
		return MBMS_EINVAL;
	size_t mnc_len = strlen(mnc);
	if ((mnc_len != 2 && mnc_len != 3) || !all_digits(mnc, mnc_len))
		return MBMS_EINVAL;
	uint8_t mnc3 = mnc_len == 3 ? (uint8_t)(mnc[2] - '0') : 0x0f;
	out[0] = (uint8_t)((mcc[1] - '0') << 4 | (mcc[0] - '0'));
	out[1] = (uint8_t)(mnc3 << 4 | (mcc[2] - '0'));
	out[2] = (uint8_t)((mnc[1] - '0') << 4 | (mnc[0] - '0'));
	return 0;
}

int mbms_key_domain_to_plmn(const uint8_t kd[MBMS_KEY_DOMAIN_ID_LEN], char mcc[4], char mnc[4])
{
	uint8_t d[6] = {kd[0] & 0x0f, kd[0] >> 4, kd[1] & 0x0f, kd[2] & 0x0f, kd[2] >> 4, kd[1] >> 4};
	for (int i = 0; i < 5; i++)
		if (d[i] > 9)
			return MBMS_EINVAL;
	if (d[5] > 9 && d[5] != 0x0f)
		return MBMS_EINVAL;
	for (int i = 0; i < 3; i++)
		mcc[i] = (char)('0' + d[i]);
	mcc[3] = '\0';
	mnc[0] = (char)('0' + d[3]);
	mnc[1] = (char)('0' + d[4]);
	if (d[5] == 0x0f) {
		mnc[2] = '\0';
	} else {
		mnc[2] = (char)('0' + d[5]);
		mnc[3] = '\0';
	}
	return 0;
}

int mbms_btid_make(const uint8_t rand[MBMS_GBA_RAND_LEN], const char *bsf_host, char *out,
		   size_t out_cap)
{
	if (!bsf_host || !*bsf_host || strchr(bsf_host, '@'))
		return MBMS_EINVAL;
	size_t b64 = mbms_base64_len(MBMS_GBA_RAND_LEN);
	size_t host_len = strlen(bsf_host);
	if (out_cap < b64 + 1 + host_len + 1)
		return MBMS_ENOSPC;
	int rc = mbms_base64_encode(rand, MBMS_GBA_RAND_LEN, out, out_cap);
	if (rc)
		return rc;
	out[b64] = '@';
	memcpy(out + b64 + 1, bsf_host, host_len + 1);
	return 0;
}

int mbms_btid_parse(const char *btid, uint8_t rand[MBMS_GBA_RAND_LEN], const char **host)
{
	if (!btid)
		return MBMS_EINVAL;
	const char *at = strchr(btid, '@');
	if (!at || at[1] == '\0' || strchr(at + 1, '@'))
		return MBMS_ESYNTAX;
	size_t n = 0;
	uint8_t tmp[MBMS_GBA_RAND_LEN + 3];
	int rc = mbms_base64_decode(btid, (size_t)(at - btid), tmp, sizeof(tmp), &n);
	if (rc == MBMS_ENOSPC || (rc == 0 && n != MBMS_GBA_RAND_LEN))
		return MBMS_ESYNTAX;
	if (rc)
		return rc;
	memcpy(rand, tmp, MBMS_GBA_RAND_LEN);
	if (host)
		*host = at + 1;
	return 0;
}
