/* libFuzzer target for the key-management XML bodies and the service
 * announcement (lib/kmxml.c, lib/kmxml_write.c).
 *
 * Every parser sees the input. Whatever parses is written back, and the
 * written body must parse again into the same struct and be written again
 * into the same bytes. The writer may refuse only with MBMS_ELENGTH (an
 * accepted body whose escaped re-write exceeds 64 KiB). The Content-Type
 * classifier and the back-off helper get the input too. */
#include "mbmssec/error.h"
#include "mbmssec/kmxml.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#define CHECK(cond)                                                                                \
	do {                                                                                       \
		if (!(cond))                                                                       \
			abort();                                                                   \
	} while (0)

typedef int (*parse_fn)(const char *, size_t, void *);
typedef int (*write_fn)(const void *, char *, size_t, size_t *);

static union any {
	struct mbms_km_service_list services;
	struct mbms_km_register_response reg_rsp;
	struct mbms_km_msk_request msk_req;
	struct mbms_km_msk_response msk_rsp;
	struct mbms_announcement ann;
} first, second;

static char out1[4 * MBMS_PROFILE_MAX_BODY], out2[4 * MBMS_PROFILE_MAX_BODY];

/* Thin casts so one loop can drive every body kind. */
#define PARSER(name, type)                                                                         \
	static int p_##name(const char *b, size_t n, void *o) { return name(b, n, (type *)o); }
#define WRITER(name, type)                                                                         \
	static int w_##name(const void *i, char *o, size_t c, size_t *l)                           \
	{                                                                                          \
		return name((const type *)i, o, c, l);                                             \
	}
PARSER(mbms_km_register_parse, struct mbms_km_service_list)
PARSER(mbms_km_deregister_parse, struct mbms_km_service_list)
PARSER(mbms_km_register_response_parse, struct mbms_km_register_response)
PARSER(mbms_km_msk_request_parse, struct mbms_km_msk_request)
PARSER(mbms_km_msk_response_parse, struct mbms_km_msk_response)
PARSER(mbms_announcement_parse, struct mbms_announcement)
WRITER(mbms_km_register_write, struct mbms_km_service_list)
WRITER(mbms_km_deregister_write, struct mbms_km_service_list)
WRITER(mbms_km_register_response_write, struct mbms_km_register_response)
WRITER(mbms_km_msk_request_write, struct mbms_km_msk_request)
WRITER(mbms_km_msk_response_write, struct mbms_km_msk_response)
WRITER(mbms_announcement_write, struct mbms_announcement)

static const struct {
	parse_fn parse;
	write_fn write;
	size_t size;
} kinds[] = {
	{p_mbms_km_register_parse, w_mbms_km_register_write, sizeof(struct mbms_km_service_list)},
	{p_mbms_km_deregister_parse, w_mbms_km_deregister_write, sizeof(struct mbms_km_service_list)},
	{p_mbms_km_register_response_parse, w_mbms_km_register_response_write,
	 sizeof(struct mbms_km_register_response)},
	{p_mbms_km_msk_request_parse, w_mbms_km_msk_request_write, sizeof(struct mbms_km_msk_request)},
	{p_mbms_km_msk_response_parse, w_mbms_km_msk_response_write,
	 sizeof(struct mbms_km_msk_response)},
	{p_mbms_announcement_parse, w_mbms_announcement_write, sizeof(struct mbms_announcement)},
};

static bool known_code(int rc)
{
	return rc == 0 || rc == MBMS_ESYNTAX || rc == MBMS_ELENGTH || rc == MBMS_ENOMEM;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *body = (const char *)data;
	for (size_t k = 0; k < sizeof(kinds) / sizeof(kinds[0]); k++) {
		int rc = kinds[k].parse(body, size, &first);
		CHECK(known_code(rc));
		if (rc != 0)
			continue;
		size_t len1 = 0, len2 = 0;
		rc = kinds[k].write(&first, out1, sizeof(out1), &len1);
		if (rc == MBMS_ELENGTH)
			continue;
		CHECK(rc == 0);
		CHECK(len1 <= MBMS_PROFILE_MAX_BODY && out1[len1] == '\0');
		/* Parsers zero the whole struct first, so memcmp is exact. */
		CHECK(kinds[k].parse(out1, len1, &second) == 0);
		CHECK(memcmp(&first, &second, kinds[k].size) == 0);
		CHECK(kinds[k].write(&second, out2, sizeof(out2), &len2) == 0);
		CHECK(len1 == len2 && memcmp(out1, out2, len1) == 0);
		/* One byte short of the NUL is always MBMS_ENOSPC. */
		CHECK(kinds[k].write(&first, out2, len1, &len2) == MBMS_ENOSPC);
	}

	/* Content-Type: whatever the value, a kind in range, and the media type of
	 * a recognised kind classifies back to it. */
	if (size < 512) {
		char ct[512];
		memcpy(ct, data, size);
		ct[size] = '\0';
		enum mbms_km_body_kind kind = mbms_km_media_type_classify(ct);
		CHECK(kind >= MBMS_KM_BODY_NONE && kind <= MBMS_KM_BODY_PROTECTION_DESCRIPTION);
		if (kind != MBMS_KM_BODY_NONE)
			CHECK(mbms_km_media_type_classify(mbms_km_media_type(kind)) == kind);
		struct mbms_hostport hp;
		if (mbms_hostport_parse(ct, size, false, &hp) == 0) {
			char back[MBMS_KMXML_HOST_MAX + 16];
			struct mbms_hostport hp2;
			CHECK(mbms_hostport_format(&hp, back, sizeof(back)) == 0);
			CHECK(mbms_hostport_parse(back, strlen(back), false, &hp2) == 0);
			CHECK(strcmp(hp.host, hp2.host) == 0 && hp.port == hp2.port);
		}
	}

	/* Back-off stays within offset + period. */
	if (size >= 12) {
		uint32_t o, p, r;
		memcpy(&o, data, 4);
		memcpy(&p, data + 4, 4);
		memcpy(&r, data + 8, 4);
		o %= MBMS_ANNOUNCEMENT_MAX_TIME + 2;
		p %= MBMS_ANNOUNCEMENT_MAX_TIME + 2;
		uint64_t ms = 0;
		int rc = mbms_announcement_backoff_ms(o, p, r, true, &ms);
		if (o > MBMS_ANNOUNCEMENT_MAX_TIME || p > MBMS_ANNOUNCEMENT_MAX_TIME)
			CHECK(rc == MBMS_EINVAL);
		else
			CHECK(rc == 0 && ms >= (uint64_t)o * 1000 && ms <= ((uint64_t)o + p) * 1000);
	}
	return 0;
}
