#include "testutil.h"

#include "mbmssec/ids.h"
#include "mbmssec/mbms_msg.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

uint8_t *th_hex(const char *hex, size_t *len)
{
	size_t n = strlen(hex) / 2;
	uint8_t *buf = test_malloc(n ? n : 1);
	size_t got = 0;
	int rc = mbms_hex_decode(hex, strlen(hex), buf, n, &got);
	if (rc != 0)
		fail_msg("bad hex in vector: %.40s", hex);
	if (len)
		*len = got;
	return buf;
}

void th_hex_into(const char *hex, uint8_t *out, size_t len)
{
	size_t got = 0;
	if (mbms_hex_decode(hex, strlen(hex), out, len, &got) != 0 || got != len)
		fail_msg("vector hex %.40s is not %zu bytes", hex, len);
}

void th_assert_hex(const uint8_t *buf, size_t len, const char *hex, const char *what)
{
	char *got = malloc(2 * len + 1);
	assert_non_null(got);
	mbms_hex_encode(buf, len, got, 2 * len + 1);
	if (strcmp(got, hex) != 0) {
		print_error("%s:\n  expected %s\n  got      %s\n", what, hex, got);
		free(got);
		fail();
	}
	free(got);
}

char *th_load_text(const char *name, size_t *len)
{
	char path[1024];
	snprintf(path, sizeof(path), "%s/%s", MBMS_VECTORS_DIR, name);
	FILE *f = fopen(path, "rb");
	if (!f)
		fail_msg("cannot open %s", path);
	fseek(f, 0, SEEK_END);
	long n = ftell(f);
	fseek(f, 0, SEEK_SET);
	char *buf = malloc((size_t)n + 1);
	assert_non_null(buf);
	if (fread(buf, 1, (size_t)n, f) != (size_t)n)
		fail_msg("short read on %s", path);
	buf[n] = '\0';
	fclose(f);
	if (len)
		*len = (size_t)n;
	return buf;
}

cJSON *th_load_json(const char *name)
{
	char *text = th_load_text(name, NULL);
	cJSON *root = cJSON_Parse(text);
	free(text);
	if (!root)
		fail_msg("%s is not valid JSON", name);
	return root;
}

const char *th_str(const cJSON *obj, const char *key)
{
	const cJSON *it = cJSON_GetObjectItemCaseSensitive(obj, key);
	if (!cJSON_IsString(it))
		fail_msg("vector field '%s' missing or not a string", key);
	return it->valuestring;
}

double th_num(const cJSON *obj, const char *key)
{
	const cJSON *it = cJSON_GetObjectItemCaseSensitive(obj, key);
	if (!cJSON_IsNumber(it))
		fail_msg("vector field '%s' missing or not a number", key);
	return it->valuedouble;
}

int th_kind_is(const cJSON *c, const char *kind)
{
	const cJSON *k = cJSON_GetObjectItemCaseSensitive(c, "kind");
	return cJSON_IsString(k) && strcmp(k->valuestring, kind) == 0;
}

uint32_t th_be32_hex(const char *hex)
{
	uint8_t b[4];
	th_hex_into(hex, b, 4);
	return (uint32_t)b[0] << 24 | (uint32_t)b[1] << 16 | (uint32_t)b[2] << 8 | b[3];
}

void th_msk_msg_in(const cJSON *in, struct mbms_msk_msg_in *m, uint8_t *muk, uint8_t *msk)
{
	memset(m, 0, sizeof(*m));
	th_hex_into(th_str(in, "muk"), muk, 32);
	m->muk = muk;
	m->muk_len = 32;
	th_hex_into(th_str(in, "key_domain"), m->key_domain_id, 3);
	m->msk_id = th_be32_hex(th_str(in, "msk_id"));
	m->ts_counter = (uint32_t)th_num(in, "ts");
	th_hex_into(th_str(in, "rand"), m->rand, 16);
	m->idi = (const uint8_t *)th_str(in, "idi");
	m->idi_len = strlen(th_str(in, "idi"));
	m->idr = (const uint8_t *)th_str(in, "idr");
	m->idr_len = strlen(th_str(in, "idr"));
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(in, "v");
	if (!v)
		fail_msg("vector member 'v' missing");
	m->v_flag = cJSON_IsTrue(v);
	if (cJSON_GetObjectItemCaseSensitive(in, "msk")) {
		th_hex_into(th_str(in, "msk"), msk, 16);
		m->msk = msk;
		m->vf = (uint16_t)th_num(in, "vf");
		m->vt = (uint16_t)th_num(in, "vt");
	}
}
