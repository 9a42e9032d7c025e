/* Key-management XML bodies (PROFILE.md 7, 10.17-10.19) and the service
 * announcement (PROFILE.md 8): byte-exact bodies of the "digest" cases of
 * tests/vectors/independent_cases.json, round trips, hostile and malformed
 * bodies, writer limits, Content-Type classification, back-off. */
#include "testutil.h"

#include "mbmssec/error.h"
#include "mbmssec/kmxml.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define NS "urn:3gpp:mbms:keymanagement:2026"
#define DECL "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"

/* One of each parsed struct; static because the arrays are large. */
static union {
	struct mbms_km_service_list services;
	struct mbms_km_register_response reg_rsp;
	struct mbms_km_msk_request msk_req;
	struct mbms_km_msk_response msk_rsp;
	struct mbms_announcement ann;
} parsed;

static int parse_kind(enum mbms_km_body_kind kind, const char *body, size_t len, void *out)
{
	switch (kind) {
	case MBMS_KM_BODY_REGISTER: return mbms_km_register_parse(body, len, out);
	case MBMS_KM_BODY_DEREGISTER: return mbms_km_deregister_parse(body, len, out);
	case MBMS_KM_BODY_REGISTER_RESPONSE: return mbms_km_register_response_parse(body, len, out);
	case MBMS_KM_BODY_MSK_REQUEST: return mbms_km_msk_request_parse(body, len, out);
	case MBMS_KM_BODY_MSK_RESPONSE: return mbms_km_msk_response_parse(body, len, out);
	case MBMS_KM_BODY_PROTECTION_DESCRIPTION: return mbms_announcement_parse(body, len, out);
	default: return MBMS_EINVAL;
	}
}

static int write_kind(enum mbms_km_body_kind kind, const void *in, char *out, size_t cap,
		      size_t *len)
{
	switch (kind) {
	case MBMS_KM_BODY_REGISTER: return mbms_km_register_write(in, out, cap, len);
	case MBMS_KM_BODY_DEREGISTER: return mbms_km_deregister_write(in, out, cap, len);
	case MBMS_KM_BODY_REGISTER_RESPONSE: return mbms_km_register_response_write(in, out, cap, len);
	case MBMS_KM_BODY_MSK_REQUEST: return mbms_km_msk_request_write(in, out, cap, len);
	case MBMS_KM_BODY_MSK_RESPONSE: return mbms_km_msk_response_write(in, out, cap, len);
	case MBMS_KM_BODY_PROTECTION_DESCRIPTION: return mbms_announcement_write(in, out, cap, len);
	default: return MBMS_EINVAL;
	}
}

static size_t struct_size(enum mbms_km_body_kind kind)
{
	switch (kind) {
	case MBMS_KM_BODY_REGISTER:
	case MBMS_KM_BODY_DEREGISTER: return sizeof(struct mbms_km_service_list);
	case MBMS_KM_BODY_REGISTER_RESPONSE: return sizeof(struct mbms_km_register_response);
	case MBMS_KM_BODY_MSK_REQUEST: return sizeof(struct mbms_km_msk_request);
	case MBMS_KM_BODY_MSK_RESPONSE: return sizeof(struct mbms_km_msk_response);
	case MBMS_KM_BODY_PROTECTION_DESCRIPTION: return sizeof(struct mbms_announcement);
	default: return 0;
	}
}

/* ---- field-by-field equality (padding never compared) ---- */

static bool services_equal(const struct mbms_km_service_list *a, const struct mbms_km_service_list *b)
{
	if (a->count != b->count)
		return false;
	for (size_t i = 0; i < a->count; i++)
		if (strcmp(a->service_id[i], b->service_id[i]) != 0)
			return false;
	return true;
}

static bool reg_rsp_equal(const struct mbms_km_register_response *a,
			  const struct mbms_km_register_response *b)
{
	if (a->count != b->count)
		return false;
	for (size_t i = 0; i < a->count; i++)
		if (strcmp(a->item[i].service_id, b->item[i].service_id) != 0 ||
		    a->item[i].status != b->item[i].status)
			return false;
	return true;
}

static bool msk_req_equal(const struct mbms_km_msk_request *a, const struct mbms_km_msk_request *b)
{
	if (a->count != b->count || memcmp(a->key_domain_id, b->key_domain_id, 3) != 0)
		return false;
	for (size_t i = 0; i < a->count; i++)
		if (a->msk_id[i] != b->msk_id[i])
			return false;
	return true;
}

static bool msk_rsp_equal(const struct mbms_km_msk_response *a, const struct mbms_km_msk_response *b)
{
	if (a->count != b->count)
		return false;
	for (size_t i = 0; i < a->count; i++)
		if (memcmp(a->item[i].key_domain_id, b->item[i].key_domain_id, 3) != 0 ||
		    a->item[i].msk_id != b->item[i].msk_id || a->item[i].status != b->item[i].status)
			return false;
	return true;
}

static bool hostport_equal(const struct mbms_hostport *a, const struct mbms_hostport *b)
{
	return strcmp(a->host, b->host) == 0 && a->port == b->port;
}

static bool ann_equal(const struct mbms_announcement *a, const struct mbms_announcement *b)
{
	if (strcmp(a->service_id, b->service_id) != 0 || !hostport_equal(&a->km_server, &b->km_server) ||
	    memcmp(a->key_domain_id, b->key_domain_id, 3) != 0 ||
	    a->confidentiality != b->confidentiality || a->integrity != b->integrity ||
	    a->uicc_key_management != b->uicc_key_management || a->msk_count != b->msk_count ||
	    a->session_count != b->session_count || a->offset_time != b->offset_time ||
	    a->random_time_period != b->random_time_period)
		return false;
	for (size_t i = 0; i < a->msk_count; i++)
		if (a->msk_id[i] != b->msk_id[i])
			return false;
	for (size_t i = 0; i < a->session_count; i++)
		if (!hostport_equal(&a->session[i].destination, &b->session[i].destination) ||
		    a->session[i].mtk_port != b->session[i].mtk_port ||
		    a->session[i].key_group != b->session[i].key_group)
			return false;
	return true;
}

static bool equal_kind(enum mbms_km_body_kind kind, const void *a, const void *b)
{
	switch (kind) {
	case MBMS_KM_BODY_REGISTER:
	case MBMS_KM_BODY_DEREGISTER: return services_equal(a, b);
	case MBMS_KM_BODY_REGISTER_RESPONSE: return reg_rsp_equal(a, b);
	case MBMS_KM_BODY_MSK_REQUEST: return msk_req_equal(a, b);
	case MBMS_KM_BODY_MSK_RESPONSE: return msk_rsp_equal(a, b);
	case MBMS_KM_BODY_PROTECTION_DESCRIPTION: return ann_equal(a, b);
	default: return false;
	}
}

/* ---- fixtures ---- */

static const uint8_t kd_00f110[3] = {0x00, 0xf1, 0x10}; /* MCC 001 MNC 01 */

static const struct mbms_km_service_list services_2 = {
	.count = 2, .service_id = {"urn:example:mbms:news", "http://svc.example.org/sport?x=1&y='2'"}};

static const struct mbms_km_register_response reg_rsp_2 = {
	.count = 2,
	.item = {{"urn:example:mbms:news", 200}, {"urn:example:mbms:sport", 404}}};

static const struct mbms_km_msk_request msk_req_1 = {
	.key_domain_id = {0x00, 0xf1, 0x10}, .count = 1, .msk_id = {0x01020001}};

static const struct mbms_km_msk_request msk_req_3 = {
	.key_domain_id = {0x00, 0xf1, 0x10}, .count = 3, .msk_id = {0x01020000, 0x01020001, 0xffffffff}};

static const struct mbms_km_msk_response msk_rsp_1 = {
	.count = 1, .item = {{{0x00, 0xf1, 0x10}, 0x01020001, 200}}};

static const struct mbms_km_msk_response msk_rsp_6 = {
	.count = 6,
	.item = {{{0x00, 0xf1, 0x10}, 0x01020001, 200}, {{0x00, 0xf1, 0x10}, 0x01020000, 400},
		 {{0x21, 0x43, 0x65}, 0x00000001, 403}, {{0x00, 0xf1, 0x10}, 0x7fff0002, 404},
		 {{0xff, 0xff, 0xff}, 0x01020003, 500}, {{0x00, 0x00, 0x00}, 0x00000000, 503}}};

static const struct mbms_km_msk_response msk_rsp_201 = {
	.count = 1, .item = {{{0x00, 0xf1, 0x10}, 0x01020001, 201}}};

/* The example of PROFILE.md section 8. */
static const struct mbms_announcement ann_profile = {
	.service_id = "urn:example:mbms:news",
	.km_server = {"bmsc.example.org", 8080},
	.key_domain_id = {0x00, 0xf1, 0x10},
	.confidentiality = true,
	.integrity = true,
	.uicc_key_management = false,
	.msk_count = 1,
	.msk_id = {0x01020000},
	.session_count = 1,
	.session = {{{"127.0.0.1", 5004}, 2269, 258}},
	.offset_time = 0,
	.random_time_period = 5,
};

static const char profile_example[] =
	"<protectionDescription xmlns=\"urn:3gpp:mbms:keymanagement:2026\">\n"
	"  <serviceId>urn:example:mbms:news</serviceId>\n"
	"  <keyManagementServer>bmsc.example.org:8080</keyManagementServer>  <!-- FQDN[:port] of the BM-SC -->\n"
	"  <keyDomainID>APEQ</keyDomainID>                                    <!-- base64, 3 bytes -->\n"
	"  <confidentialityProtection>true</confidentialityProtection>\n"
	"  <integrityProtection>true</integrityProtection>\n"
	"  <uiccKeyManagement>false</uiccKeyManagement>\n"
	"  <MSKID>AQIAAA==</MSKID>                                            <!-- base64, Key Number 0; one or more -->\n"
	"  <session>                                                          <!-- zero or more: MSK-to-session mapping -->\n"
	"    <destination>127.0.0.1:5004</destination>                       <!-- SRTP destination address:port -->\n"
	"    <mtkPort>2269</mtkPort>\n"
	"    <keyGroup>258</keyGroup>                                         <!-- Key Group protecting this session -->\n"
	"  </session>\n"
	"  <offsetTime>0</offsetTime>                                         <!-- seconds -->\n"
	"  <randomTimePeriod>5</randomTimePeriod>                             <!-- seconds -->\n"
	"</protectionDescription>\n";

/* A bigger announcement: several MSKs and sessions, IPv6, no server port. */
static const struct mbms_announcement ann_big = {
	.service_id = "urn:example:mbms:tv%20one",
	.km_server = {"bmsc.mbms.mnc001.mcc001.pub.3gppnetwork.org", 0},
	.key_domain_id = {0x00, 0xf1, 0x10},
	.confidentiality = false,
	.integrity = true,
	.uicc_key_management = true,
	.msk_count = 3,
	.msk_id = {0x01020000, 0x01030000, 0x01030007},
	.session_count = 3,
	.session = {{{"239.1.2.3", 5004}, 2269, 0x0102},
		    {{"ff3e::8000:1", 6000}, 4000, 0x0103},
		    {{"media.example.org", 65535}, 1, 0x0102}},
	.offset_time = 86400,
	.random_time_period = 86400,
};

/* ---- 1. the bodies of the digest vectors, byte for byte ---- */

static void test_vector_bodies(void **state)
{
	(void)state;
	cJSON *root = th_load_json("independent_cases.json");
	const cJSON *c, *in = NULL;
	cJSON_ArrayForEach(c, cJSON_GetObjectItem(root, "cases"))
	{
		const cJSON *id = cJSON_GetObjectItem(c, "id");
		if (th_kind_is(c, "digest") && strcmp(id->valuestring, "digest_auth_int_1") == 0)
			in = cJSON_GetObjectItem(c, "input");
	}
	assert_non_null(in);
	const char *body = th_str(in, "body"), *rsp_body = th_str(in, "rsp_body");
	char out[1024];
	size_t len = 0;

	/* MSK request for key domain 00f110 / MSK ID 01020001. */
	assert_int_equal(mbms_km_msk_request_write(&msk_req_1, out, sizeof(out), &len), 0);
	assert_int_equal(len, strlen(body));
	assert_string_equal(out, body);
	assert_int_equal(mbms_km_msk_request_parse(body, strlen(body), &parsed.msk_req), 0);
	assert_true(msk_req_equal(&parsed.msk_req, &msk_req_1));
	assert_memory_equal(parsed.msk_req.key_domain_id, kd_00f110, 3);

	/* Its 200 response. */
	assert_int_equal(mbms_km_msk_response_write(&msk_rsp_1, out, sizeof(out), &len), 0);
	assert_int_equal(len, strlen(rsp_body));
	assert_string_equal(out, rsp_body);
	assert_int_equal(mbms_km_msk_response_parse(rsp_body, strlen(rsp_body), &parsed.msk_rsp), 0);
	assert_true(msk_rsp_equal(&parsed.msk_rsp, &msk_rsp_1));

	/* Must fail on purpose: MSK ID 01020002 is not the vector's body. */
	struct mbms_km_msk_request other = msk_req_1;
	other.msk_id[0] = 0x01020002;
	assert_int_equal(mbms_km_msk_request_write(&other, out, sizeof(out), &len), 0);
	assert_string_not_equal(out, body);
	cJSON_Delete(root);
}

/* ---- 2. round trips: struct -> writer -> parser -> same struct ---- */

static void test_round_trips(void **state)
{
	(void)state;
	static const struct {
		const char *name;
		enum mbms_km_body_kind kind;
		const void *in;
		int write_rc; /* expected writer result */
	} v[] = {
		{"register", MBMS_KM_BODY_REGISTER, &services_2, 0},
		{"deregister", MBMS_KM_BODY_DEREGISTER, &services_2, 0},
		{"register response", MBMS_KM_BODY_REGISTER_RESPONSE, &reg_rsp_2, 0},
		{"msk request, 1 item", MBMS_KM_BODY_MSK_REQUEST, &msk_req_1, 0},
		{"msk request, 3 items", MBMS_KM_BODY_MSK_REQUEST, &msk_req_3, 0},
		{"msk response, 1 item", MBMS_KM_BODY_MSK_RESPONSE, &msk_rsp_1, 0},
		{"msk response, every status", MBMS_KM_BODY_MSK_RESPONSE, &msk_rsp_6, 0},
		{"announcement, PROFILE 8", MBMS_KM_BODY_PROTECTION_DESCRIPTION, &ann_profile, 0},
		{"announcement, big", MBMS_KM_BODY_PROTECTION_DESCRIPTION, &ann_big, 0},
		/* Must fail: status 201 is not a per-item code (10.18). */
		{"must fail: status 201", MBMS_KM_BODY_MSK_RESPONSE, &msk_rsp_201, MBMS_EINVAL},
	};
	static char out[MBMS_PROFILE_MAX_BODY + 1];
	for (size_t i = 0; i < sizeof(v) / sizeof(v[0]); i++) {
		size_t len = 0;
		int rc = write_kind(v[i].kind, v[i].in, out, sizeof(out), &len);
		if (rc != v[i].write_rc)
			fail_msg("%s: write gave %s, expected %s", v[i].name, mbms_errname(rc),
				 mbms_errname(v[i].write_rc));
		if (rc)
			continue;
		assert_int_equal(strlen(out), len);
		assert_memory_equal(out, DECL, strlen(DECL));
		rc = parse_kind(v[i].kind, out, len, &parsed);
		if (rc)
			fail_msg("%s: parse of own output gave %s:\n%s", v[i].name, mbms_errname(rc), out);
		if (!equal_kind(v[i].kind, &parsed, v[i].in))
			fail_msg("%s: round trip changed the struct:\n%s", v[i].name, out);
		/* Writing again gives the same bytes. */
		static char again[MBMS_PROFILE_MAX_BODY + 1];
		size_t len2 = 0;
		assert_int_equal(write_kind(v[i].kind, &parsed, again, sizeof(again), &len2), 0);
		assert_int_equal(len2, len);
		assert_memory_equal(again, out, len);
	}
}

/* The writer's exact form for the announcement and the registration bodies. */
static void test_writer_exact(void **state)
{
	(void)state;
	char out[2048];
	size_t len;
	assert_int_equal(mbms_announcement_write(&ann_profile, out, sizeof(out), &len), 0);
	assert_string_equal(out, DECL "<protectionDescription xmlns=\"" NS "\">"
				 "<serviceId>urn:example:mbms:news</serviceId>"
				 "<keyManagementServer>bmsc.example.org:8080</keyManagementServer>"
				 "<keyDomainID>APEQ</keyDomainID>"
				 "<confidentialityProtection>true</confidentialityProtection>"
				 "<integrityProtection>true</integrityProtection>"
				 "<uiccKeyManagement>false</uiccKeyManagement>"
				 "<MSKID>AQIAAA==</MSKID>"
				 "<session><destination>127.0.0.1:5004</destination>"
				 "<mtkPort>2269</mtkPort><keyGroup>258</keyGroup></session>"
				 "<offsetTime>0</offsetTime><randomTimePeriod>5</randomTimePeriod>"
				 "</protectionDescription>");
	assert_int_equal(mbms_km_register_write(&services_2, out, sizeof(out), &len), 0);
	/* & and ' escaped in text. */
	assert_string_equal(out, DECL "<mbmsUserServiceRegistration xmlns=\"" NS "\">"
				 "<serviceId>urn:example:mbms:news</serviceId>"
				 "<serviceId>http://svc.example.org/sport?x=1&amp;y=&apos;2&apos;</serviceId>"
				 "</mbmsUserServiceRegistration>");
	assert_int_equal(mbms_km_register_response_write(&reg_rsp_2, out, sizeof(out), &len), 0);
	assert_string_equal(out, DECL "<mbmsRegistrationResponse xmlns=\"" NS "\">"
				 "<serviceResult><serviceId>urn:example:mbms:news</serviceId><status>200</status></serviceResult>"
				 "<serviceResult><serviceId>urn:example:mbms:sport</serviceId><status>404</status></serviceResult>"
				 "</mbmsRegistrationResponse>");
	assert_int_equal(mbms_km_deregister_write(&services_2, out, sizeof(out), &len), 0);
	assert_memory_equal(out, DECL "<mbmsUserServiceDeregistration xmlns=\"" NS "\"><serviceId>",
			    strlen(DECL "<mbmsUserServiceDeregistration xmlns=\"" NS "\"><serviceId>"));
	/* Must fail on purpose: the writer never pretty-prints. */
	assert_null(strstr(out, "> <"));
	assert_null(strstr(out + strlen(DECL), "\n"));
}

/* ---- 3. accepted variants and rejected bodies ---- */

struct body_case {
	const char *name;
	enum mbms_km_body_kind kind;
	const char *body;
	size_t len; /* 0: strlen(body) */
	int expect;
	const void *want; /* struct to compare with when expect == 0, or NULL */
};

/* Run one case; false (with a message) when the outcome is not the expected
 * one. Kept apart from the assertions so the harness itself can be tested. */
static bool run_body_case(const struct body_case *c, bool verbose)
{
	size_t len = c->len ? c->len : strlen(c->body);
	int rc = parse_kind(c->kind, c->body, len, &parsed);
	if (rc != c->expect) {
		if (verbose)
			print_error("case '%s': got %s, expected %s\n", c->name, mbms_errname(rc),
				    mbms_errname(c->expect));
		return false;
	}
	if (rc == 0 && c->want && !equal_kind(c->kind, &parsed, c->want)) {
		if (verbose)
			print_error("case '%s': parsed into a different struct\n", c->name);
		return false;
	}
	if (rc != 0) {
		/* On error the output is zeroed. */
		static const uint8_t zero[sizeof(parsed)];
		if (memcmp(&parsed, zero, struct_size(c->kind)) != 0) {
			if (verbose)
				print_error("case '%s': output not cleared on error\n", c->name);
			return false;
		}
	}
	return true;
}

static void run_table(const struct body_case *t, size_t n)
{
	size_t bad = 0;
	for (size_t i = 0; i < n; i++)
		if (!run_body_case(&t[i], true))
			bad++;
	if (bad)
		fail_msg("%zu of %zu cases wrong", bad, n);
}

#define MSKREQ_OPEN "<mbmsMSKRequest xmlns=\"" NS "\">"
#define MSKREQ(inner) DECL MSKREQ_OPEN inner "</mbmsMSKRequest>"
#define KD "<keyDomainID>APEQ</keyDomainID>"
#define MSK1 "<MSKID>AQIAAQ==</MSKID>"
#define MSKRSP(inner) "<mbmsMSKResponse xmlns=\"" NS "\">" inner "</mbmsMSKResponse>"
#define RESULT(st) "<MSKResult>" KD MSK1 "<status>" st "</status></MSKResult>"
#define REG(inner) "<mbmsUserServiceRegistration xmlns=\"" NS "\">" inner "</mbmsUserServiceRegistration>"
#define REGRSP(inner) "<mbmsRegistrationResponse xmlns=\"" NS "\">" inner "</mbmsRegistrationResponse>"

#define ANN_HEAD                                                                                   \
	"<protectionDescription xmlns=\"" NS "\"><serviceId>urn:example:mbms:news</serviceId>"     \
	"<keyManagementServer>bmsc.example.org</keyManagementServer><keyDomainID>APEQ</keyDomainID>" \
	"<confidentialityProtection>true</confidentialityProtection>"                               \
	"<integrityProtection>true</integrityProtection>"
#define ANN_UICC "<uiccKeyManagement>false</uiccKeyManagement>"
#define ANN_MSK "<MSKID>AQIAAA==</MSKID>"
#define ANN_TAIL "<offsetTime>0</offsetTime><randomTimePeriod>5</randomTimePeriod></protectionDescription>"
#define ANN_SESSION(dest, port, kg)                                                                \
	"<session><destination>" dest "</destination><mtkPort>" port "</mtkPort><keyGroup>" kg    \
	"</keyGroup></session>"
#define ANN(uicc, msk, sessions, tail) ANN_HEAD uicc msk sessions tail
#define ANN_S(dest, port, kg) ANN(ANN_UICC, ANN_MSK, ANN_SESSION(dest, port, kg), ANN_TAIL)

static const struct mbms_km_service_list services_amp = {
	.count = 1, .service_id = {"urn:a:b&c:d"}};

static void test_accepted_variants(void **state)
{
	(void)state;
	static const struct body_case t[] = {
		{"vector form", MBMS_KM_BODY_MSK_REQUEST, MSKREQ(KD MSK1), 0, 0, &msk_req_1},
		{"no XML declaration", MBMS_KM_BODY_MSK_REQUEST, MSKREQ_OPEN KD MSK1 "</mbmsMSKRequest>", 0,
		 0, &msk_req_1},
		{"whitespace and CRLF between elements", MBMS_KM_BODY_MSK_REQUEST,
		 "<?xml version='1.0' encoding='utf-8' standalone='yes'?>\r\n\r\n" MSKREQ_OPEN
		 "\r\n\t" KD "\r\n\t" MSK1 "\r\n</mbmsMSKRequest>\r\n",
		 0, 0, &msk_req_1},
		{"prefixed namespace", MBMS_KM_BODY_MSK_REQUEST,
		 "<km:mbmsMSKRequest xmlns:km=\"" NS "\"><km:keyDomainID>APEQ</km:keyDomainID>"
		 "<km:MSKID>AQIAAQ==</km:MSKID></km:mbmsMSKRequest>",
		 0, 0, &msk_req_1},
		{"default and prefixed mixed", MBMS_KM_BODY_MSK_REQUEST,
		 "<mbmsMSKRequest xmlns=\"" NS "\" xmlns:x=\"" NS "\" xmlns:unused=\"urn:other\">"
		 "<x:keyDomainID>APEQ</x:keyDomainID>" MSK1 "</mbmsMSKRequest>",
		 0, 0, &msk_req_1},
		{"comments between and inside", MBMS_KM_BODY_MSK_REQUEST,
		 "<!-- before -->" MSKREQ_OPEN "<!-- a -->" KD "<MSKID>AQIA<!-- split -->AQ==</MSKID>"
		 "</mbmsMSKRequest><!-- after -->",
		 0, 0, &msk_req_1},
		{"UTF-8 BOM", MBMS_KM_BODY_MSK_REQUEST, "\xef\xbb\xbf" MSKREQ(KD MSK1), 0, 0, &msk_req_1},
		{"non-ASCII in a comment", MBMS_KM_BODY_MSK_REQUEST,
		 MSKREQ(KD "<!-- caf\xc3\xa9 \xe2\x82\xac -->" MSK1), 0, 0, &msk_req_1},
		{"three MSKIDs", MBMS_KM_BODY_MSK_REQUEST,
		 MSKREQ(KD "<MSKID>AQIAAA==</MSKID><MSKID>AQIAAQ==</MSKID><MSKID>/////w==</MSKID>"), 0, 0,
		 &msk_req_3},
		{"predefined entity in serviceId", MBMS_KM_BODY_REGISTER,
		 REG("<serviceId>urn:a:b&amp;c:d</serviceId>"), 0, 0, &services_amp},
		{"character references", MBMS_KM_BODY_REGISTER,
		 REG("<serviceId>urn&#x3a;a:b&#38;c&#58;d</serviceId>"), 0, 0, &services_amp},
		{"whitespace inside the root", MBMS_KM_BODY_MSK_RESPONSE,
		 MSKRSP(" " RESULT("200") " "), 0, 0, &msk_rsp_1},
		{"PROFILE 8 example verbatim", MBMS_KM_BODY_PROTECTION_DESCRIPTION, profile_example, 0, 0,
		 &ann_profile},
		{"xs:boolean 1 and 0", MBMS_KM_BODY_PROTECTION_DESCRIPTION,
		 "<protectionDescription xmlns=\"" NS "\"><serviceId>urn:example:mbms:news</serviceId>"
		 "<keyManagementServer>bmsc.example.org:8080</keyManagementServer><keyDomainID>APEQ</keyDomainID>"
		 "<confidentialityProtection>1</confidentialityProtection><integrityProtection>1</integrityProtection>"
		 "<uiccKeyManagement>0</uiccKeyManagement><MSKID>AQIAAA==</MSKID><session>"
		 "<destination>127.0.0.1:5004</destination><mtkPort>2269</mtkPort><keyGroup>00258</keyGroup>"
		 "</session><offsetTime>0</offsetTime><randomTimePeriod>5</randomTimePeriod></protectionDescription>",
		 0, 0, &ann_profile},
		/* Positive controls for the macros the hostile table builds on. */
		{"announcement base, no session", MBMS_KM_BODY_PROTECTION_DESCRIPTION,
		 ANN(ANN_UICC, ANN_MSK, "", ANN_TAIL), 0, 0, NULL},
		{"announcement base, one session", MBMS_KM_BODY_PROTECTION_DESCRIPTION,
		 ANN_S("127.0.0.1:5004", "2269", "258"), 0, 0, NULL},
		{"announcement, IPv6 destination", MBMS_KM_BODY_PROTECTION_DESCRIPTION,
		 ANN_S("[ff3e::1]:5004", "2269", "258"), 0, 0, NULL},
		{"register response", MBMS_KM_BODY_REGISTER_RESPONSE,
		 REGRSP("<serviceResult><serviceId>urn:example:mbms:news</serviceId><status>200</status></serviceResult>"
			"<serviceResult><serviceId>urn:example:mbms:sport</serviceId><status>404</status></serviceResult>"),
		 0, 0, &reg_rsp_2},
		{"register", MBMS_KM_BODY_REGISTER, REG("<serviceId>urn:x:y</serviceId>"), 0, 0, NULL},
		{"deregister", MBMS_KM_BODY_DEREGISTER,
		 "<mbmsUserServiceDeregistration xmlns=\"" NS "\"><serviceId>urn:x:y</serviceId>"
		 "</mbmsUserServiceDeregistration>", 0, 0, NULL},
		/* Must fail: the same body without its namespace. */
		{"must fail: no namespace", MBMS_KM_BODY_MSK_REQUEST,
		 "<mbmsMSKRequest>" KD MSK1 "</mbmsMSKRequest>", 0, MBMS_ESYNTAX, NULL},
	};
	run_table(t, sizeof(t) / sizeof(t[0]));
}

static void test_hostile_bodies(void **state)
{
	(void)state;
	static const struct body_case t[] = {
		/* DTDs and entities (shared/deps-notes.md: refuse DOCTYPE outright) */
		{"DOCTYPE", MBMS_KM_BODY_MSK_REQUEST,
		 "<!DOCTYPE mbmsMSKRequest>" MSKREQ_OPEN KD MSK1 "</mbmsMSKRequest>", 0, MBMS_ESYNTAX, NULL},
		{"internal entity definition", MBMS_KM_BODY_MSK_REQUEST,
		 "<!DOCTYPE mbmsMSKRequest [<!ENTITY kd \"APEQ\">]>" MSKREQ_OPEN
		 "<keyDomainID>&kd;</keyDomainID>" MSK1 "</mbmsMSKRequest>",
		 0, MBMS_ESYNTAX, NULL},
		{"billion laughs", MBMS_KM_BODY_REGISTER,
		 "<?xml version=\"1.0\"?><!DOCTYPE lolz [<!ENTITY lol \"lol\">"
		 "<!ENTITY lol1 \"&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;\">"
		 "<!ENTITY lol2 \"&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;\">"
		 "<!ENTITY lol3 \"&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;\">"
		 "<!ENTITY lol4 \"&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;\">"
		 "<!ENTITY lol5 \"&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;\">"
		 "<!ENTITY lol6 \"&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;\">"
		 "<!ENTITY lol7 \"&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;\">"
		 "<!ENTITY lol8 \"&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;\">"
		 "<!ENTITY lol9 \"&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;\">]>"
		 REG("<serviceId>urn:x:&lol9;</serviceId>"),
		 0, MBMS_ESYNTAX, NULL},
		{"external entity", MBMS_KM_BODY_REGISTER,
		 "<!DOCTYPE r [<!ENTITY xxe SYSTEM \"file:///etc/passwd\">]>"
		 REG("<serviceId>urn:x:&xxe;</serviceId>"),
		 0, MBMS_ESYNTAX, NULL},
		{"external DTD", MBMS_KM_BODY_REGISTER,
		 "<!DOCTYPE r SYSTEM \"http://evil.example/r.dtd\">" REG("<serviceId>urn:x:y</serviceId>"),
		 0, MBMS_ESYNTAX, NULL},
		{"parameter entity", MBMS_KM_BODY_REGISTER,
		 "<!DOCTYPE r [<!ENTITY % p SYSTEM \"http://evil.example/p\"> %p;]>"
		 REG("<serviceId>urn:x:y</serviceId>"),
		 0, MBMS_ESYNTAX, NULL},
		{"undeclared entity", MBMS_KM_BODY_REGISTER, REG("<serviceId>urn:x:&foo;</serviceId>"), 0,
		 MBMS_ESYNTAX, NULL},
		{"character reference to NUL", MBMS_KM_BODY_REGISTER,
		 REG("<serviceId>urn:x:&#0;</serviceId>"), 0, MBMS_ESYNTAX, NULL},
		/* namespaces */
		{"wrong namespace", MBMS_KM_BODY_MSK_REQUEST,
		 "<mbmsMSKRequest xmlns=\"urn:3gpp:mbms:keymanagement:2025\">" KD MSK1 "</mbmsMSKRequest>",
		 0, MBMS_ESYNTAX, NULL},
		{"namespace with trailing slash", MBMS_KM_BODY_MSK_REQUEST,
		 "<mbmsMSKRequest xmlns=\"" NS "/\">" KD MSK1 "</mbmsMSKRequest>", 0, MBMS_ESYNTAX, NULL},
		{"no namespace", MBMS_KM_BODY_MSK_REQUEST, "<mbmsMSKRequest>" KD MSK1 "</mbmsMSKRequest>",
		 0, MBMS_ESYNTAX, NULL},
		{"child undeclares the namespace", MBMS_KM_BODY_MSK_REQUEST,
		 MSKREQ(KD "<MSKID xmlns=\"\">AQIAAQ==</MSKID>"), 0, MBMS_ESYNTAX, NULL},
		{"prefix declared, root unprefixed", MBMS_KM_BODY_MSK_REQUEST,
		 "<mbmsMSKRequest xmlns:km=\"" NS "\">" KD MSK1 "</mbmsMSKRequest>", 0, MBMS_ESYNTAX, NULL},
		/* structure */
		{"unknown element", MBMS_KM_BODY_MSK_REQUEST, MSKREQ(KD MSK1 "<extra/>"), 0, MBMS_ESYNTAX,
		 NULL},
		{"unknown element in a leaf", MBMS_KM_BODY_MSK_REQUEST,
		 MSKREQ(KD "<MSKID><b>AQIAAQ==</b></MSKID>"), 0, MBMS_ESYNTAX, NULL},
		{"deep nesting", MBMS_KM_BODY_MSK_RESPONSE,
		 MSKRSP("<MSKResult><MSKResult><MSKResult><MSKResult></MSKResult></MSKResult></MSKResult></MSKResult>"),
		 0, MBMS_ESYNTAX, NULL},
		{"wrong root for this parser", MBMS_KM_BODY_DEREGISTER, REG("<serviceId>urn:x:y</serviceId>"),
		 0, MBMS_ESYNTAX, NULL},
		{"response given to the request parser", MBMS_KM_BODY_MSK_REQUEST, MSKRSP(RESULT("200")), 0,
		 MBMS_ESYNTAX, NULL},
		{"unknown attribute on the root", MBMS_KM_BODY_MSK_REQUEST,
		 "<mbmsMSKRequest xmlns=\"" NS "\" version=\"2\">" KD MSK1 "</mbmsMSKRequest>", 0,
		 MBMS_ESYNTAX, NULL},
		{"xml:lang attribute on a leaf", MBMS_KM_BODY_MSK_REQUEST,
		 MSKREQ("<keyDomainID xml:lang=\"en\">APEQ</keyDomainID>" MSK1), 0, MBMS_ESYNTAX, NULL},
		{"duplicate keyDomainID", MBMS_KM_BODY_MSK_REQUEST, MSKREQ(KD KD MSK1), 0, MBMS_ESYNTAX,
		 NULL},
		{"keyDomainID after MSKID", MBMS_KM_BODY_MSK_REQUEST, MSKREQ(MSK1 KD), 0, MBMS_ESYNTAX,
		 NULL},
		{"keyDomainID again after MSKID", MBMS_KM_BODY_MSK_REQUEST, MSKREQ(KD MSK1 KD), 0,
		 MBMS_ESYNTAX, NULL},
		{"missing MSKID", MBMS_KM_BODY_MSK_REQUEST, MSKREQ(KD), 0, MBMS_ESYNTAX, NULL},
		{"missing keyDomainID", MBMS_KM_BODY_MSK_REQUEST, MSKREQ(MSK1), 0, MBMS_ESYNTAX, NULL},
		{"empty root", MBMS_KM_BODY_MSK_RESPONSE, MSKRSP(""), 0, MBMS_ESYNTAX, NULL},
		{"MSKResult without status", MBMS_KM_BODY_MSK_RESPONSE,
		 MSKRSP("<MSKResult>" KD MSK1 "</MSKResult>"), 0, MBMS_ESYNTAX, NULL},
		{"duplicate status", MBMS_KM_BODY_MSK_RESPONSE,
		 MSKRSP("<MSKResult>" KD MSK1 "<status>200</status><status>200</status></MSKResult>"), 0,
		 MBMS_ESYNTAX, NULL},
		{"serviceResult without serviceId", MBMS_KM_BODY_REGISTER_RESPONSE,
		 REGRSP("<serviceResult><status>200</status></serviceResult>"), 0, MBMS_ESYNTAX, NULL},
		{"two root elements", MBMS_KM_BODY_MSK_REQUEST,
		 MSKREQ(KD MSK1) MSKREQ_OPEN KD MSK1 "</mbmsMSKRequest>", 0, MBMS_ESYNTAX, NULL},
		{"text directly inside the root", MBMS_KM_BODY_MSK_REQUEST, MSKREQ(KD "AQIAAQ==" MSK1), 0,
		 MBMS_ESYNTAX, NULL},
		{"text inside MSKResult", MBMS_KM_BODY_MSK_RESPONSE,
		 MSKRSP("<MSKResult>" KD "x" MSK1 "<status>200</status></MSKResult>"), 0, MBMS_ESYNTAX, NULL},
		{"non-breaking space between elements", MBMS_KM_BODY_MSK_REQUEST,
		 MSKREQ(KD "\xc2\xa0" MSK1), 0, MBMS_ESYNTAX, NULL},
		{"text after the root", MBMS_KM_BODY_MSK_REQUEST, MSKREQ(KD MSK1) "junk", 0, MBMS_ESYNTAX,
		 NULL},
		{"truncated", MBMS_KM_BODY_MSK_REQUEST, DECL MSKREQ_OPEN KD "<MSKID>AQIAAQ==</MSK", 0,
		 MBMS_ESYNTAX, NULL},
		{"truncated after the last leaf", MBMS_KM_BODY_MSK_REQUEST, DECL MSKREQ_OPEN KD MSK1, 0,
		 MBMS_ESYNTAX, NULL},
		{"empty body", MBMS_KM_BODY_REGISTER, "", 0, MBMS_ESYNTAX, NULL},
		{"whitespace only", MBMS_KM_BODY_REGISTER, " \n ", 0, MBMS_ESYNTAX, NULL},
		{"mismatched end tag", MBMS_KM_BODY_MSK_REQUEST,
		 MSKREQ_OPEN KD "<MSKID>AQIAAQ==</keyDomainID></mbmsMSKRequest>", 0, MBMS_ESYNTAX, NULL},
		/* CDATA: refused even where its content would be a valid value */
		{"CDATA value", MBMS_KM_BODY_MSK_REQUEST,
		 MSKREQ(KD "<MSKID><![CDATA[AQIAAQ==]]></MSKID>"), 0, MBMS_ESYNTAX, NULL},
		{"CDATA hiding markup", MBMS_KM_BODY_MSK_REQUEST,
		 MSKREQ(KD "<![CDATA[<MSKID>AQIAAQ==</MSKID>]]>" MSK1), 0, MBMS_ESYNTAX, NULL},
		/* processing instructions and the declaration */
		{"processing instruction in the prolog", MBMS_KM_BODY_MSK_REQUEST,
		 DECL "<?xml-stylesheet href=\"a.xsl\"?>" MSKREQ_OPEN KD MSK1 "</mbmsMSKRequest>", 0,
		 MBMS_ESYNTAX, NULL},
		{"processing instruction inside", MBMS_KM_BODY_MSK_REQUEST, MSKREQ(KD "<?php x?>" MSK1), 0,
		 MBMS_ESYNTAX, NULL},
		{"declaration not first", MBMS_KM_BODY_MSK_REQUEST, " " MSKREQ(KD MSK1), 0, MBMS_ESYNTAX,
		 NULL},
		{"declared ISO-8859-1", MBMS_KM_BODY_MSK_REQUEST,
		 "<?xml version=\"1.0\" encoding=\"ISO-8859-1\"?>" MSKREQ_OPEN KD MSK1 "</mbmsMSKRequest>",
		 0, MBMS_ESYNTAX, NULL},
		{"declared UTF-16", MBMS_KM_BODY_MSK_REQUEST,
		 "<?xml version=\"1.0\" encoding=\"UTF-16\"?>" MSKREQ_OPEN KD MSK1 "</mbmsMSKRequest>", 0,
		 MBMS_ESYNTAX, NULL},
		{"XML 1.1", MBMS_KM_BODY_MSK_REQUEST,
		 "<?xml version=\"1.1\"?>" MSKREQ_OPEN KD MSK1 "</mbmsMSKRequest>", 0, MBMS_ESYNTAX, NULL},
		/* encoding errors */
		{"UTF-8: invalid continuation", MBMS_KM_BODY_MSK_REQUEST,
		 MSKREQ(KD "<!-- \xc3\x28 -->" MSK1), 0, MBMS_ESYNTAX, NULL},
		{"UTF-8: overlong slash", MBMS_KM_BODY_REGISTER,
		 REG("<serviceId>urn:x:\xc0\xaf</serviceId>"), 0, MBMS_ESYNTAX, NULL},
		{"UTF-8: surrogate", MBMS_KM_BODY_REGISTER, REG("<serviceId>urn:x:\xed\xa0\x80</serviceId>"),
		 0, MBMS_ESYNTAX, NULL},
		{"UTF-8: lone 0xff", MBMS_KM_BODY_MSK_REQUEST, MSKREQ(KD "\xff" MSK1), 0, MBMS_ESYNTAX,
		 NULL},
		{"UTF-16LE with BOM", MBMS_KM_BODY_MSK_REQUEST, "\xff\xfe<\0m\0", 6, MBMS_ESYNTAX, NULL},
		{"NUL byte inside", MBMS_KM_BODY_MSK_REQUEST,
		 MSKREQ_OPEN KD "\0" MSK1 "</mbmsMSKRequest>",
		 sizeof(MSKREQ_OPEN KD "\0" MSK1 "</mbmsMSKRequest>") - 1, MBMS_ESYNTAX, NULL},
		{"NUL byte after the body", MBMS_KM_BODY_MSK_REQUEST, MSKREQ(KD MSK1),
		 sizeof(MSKREQ(KD MSK1)), MBMS_ESYNTAX, NULL},
		{"control character", MBMS_KM_BODY_MSK_REQUEST, MSKREQ(KD "\x01" MSK1), 0, MBMS_ESYNTAX,
		 NULL},
		/* base64 values */
		{"MSKID of 3 bytes", MBMS_KM_BODY_MSK_REQUEST, MSKREQ(KD "<MSKID>AQIA</MSKID>"), 0,
		 MBMS_ESYNTAX, NULL},
		{"MSKID of 5 bytes", MBMS_KM_BODY_MSK_REQUEST, MSKREQ(KD "<MSKID>AQIAAQE=</MSKID>"), 0,
		 MBMS_ESYNTAX, NULL},
		{"keyDomainID of 4 bytes", MBMS_KM_BODY_MSK_REQUEST,
		 MSKREQ("<keyDomainID>APEQAQ==</keyDomainID>" MSK1), 0, MBMS_ESYNTAX, NULL},
		{"keyDomainID of 2 bytes", MBMS_KM_BODY_MSK_REQUEST,
		 MSKREQ("<keyDomainID>APE=</keyDomainID>" MSK1), 0, MBMS_ESYNTAX, NULL},
		{"non-canonical base64 (trailing bits)", MBMS_KM_BODY_MSK_REQUEST,
		 MSKREQ(KD "<MSKID>AQIAAR==</MSKID>"), 0, MBMS_ESYNTAX, NULL},
		{"base64 without padding", MBMS_KM_BODY_MSK_REQUEST, MSKREQ(KD "<MSKID>AQIAAQ</MSKID>"), 0,
		 MBMS_ESYNTAX, NULL},
		{"base64url alphabet", MBMS_KM_BODY_MSK_REQUEST, MSKREQ(KD "<MSKID>_-_-_w==</MSKID>"), 0,
		 MBMS_ESYNTAX, NULL},
		{"base64 with surrounding blanks", MBMS_KM_BODY_MSK_REQUEST,
		 MSKREQ(KD "<MSKID> AQIAAQ== </MSKID>"), 0, MBMS_ESYNTAX, NULL},
		{"base64 with a line break", MBMS_KM_BODY_MSK_REQUEST,
		 MSKREQ(KD "<MSKID>AQIA\nAQ==</MSKID>"), 0, MBMS_ESYNTAX, NULL},
		{"empty MSKID", MBMS_KM_BODY_MSK_REQUEST, MSKREQ(KD "<MSKID/>"), 0, MBMS_ESYNTAX, NULL},
		/* status codes (PROFILE.md 10.18) */
		{"status 201", MBMS_KM_BODY_MSK_RESPONSE, MSKRSP(RESULT("201")), 0, MBMS_ESYNTAX, NULL},
		{"status 302", MBMS_KM_BODY_MSK_RESPONSE, MSKRSP(RESULT("302")), 0, MBMS_ESYNTAX, NULL},
		{"status 401 (HTTP-level only)", MBMS_KM_BODY_MSK_RESPONSE, MSKRSP(RESULT("401")), 0,
		 MBMS_ESYNTAX, NULL},
		{"status 415 (HTTP-level only)", MBMS_KM_BODY_REGISTER_RESPONSE,
		 REGRSP("<serviceResult><serviceId>urn:x:y</serviceId><status>415</status></serviceResult>"),
		 0, MBMS_ESYNTAX, NULL},
		{"status abc", MBMS_KM_BODY_MSK_RESPONSE, MSKRSP(RESULT("abc")), 0, MBMS_ESYNTAX, NULL},
		{"status 0200", MBMS_KM_BODY_MSK_RESPONSE, MSKRSP(RESULT("0200")), 0, MBMS_ESYNTAX, NULL},
		{"status +20", MBMS_KM_BODY_MSK_RESPONSE, MSKRSP(RESULT("+20")), 0, MBMS_ESYNTAX, NULL},
		{"status empty", MBMS_KM_BODY_MSK_RESPONSE, MSKRSP(RESULT("")), 0, MBMS_ESYNTAX, NULL},
		{"status with blank", MBMS_KM_BODY_MSK_RESPONSE, MSKRSP(RESULT("200 ")), 0, MBMS_ESYNTAX,
		 NULL},
		/* serviceId */
		{"serviceId empty", MBMS_KM_BODY_REGISTER, REG("<serviceId></serviceId>"), 0, MBMS_ESYNTAX,
		 NULL},
		{"serviceId without scheme", MBMS_KM_BODY_REGISTER, REG("<serviceId>news</serviceId>"), 0,
		 MBMS_ESYNTAX, NULL},
		{"serviceId with a space", MBMS_KM_BODY_REGISTER, REG("<serviceId>urn:a b</serviceId>"), 0,
		 MBMS_ESYNTAX, NULL},
		{"serviceId with a bad escape", MBMS_KM_BODY_REGISTER, REG("<serviceId>urn:a%4</serviceId>"),
		 0, MBMS_ESYNTAX, NULL},
		{"serviceId non-ASCII", MBMS_KM_BODY_REGISTER,
		 REG("<serviceId>urn:caf\xc3\xa9</serviceId>"), 0, MBMS_ESYNTAX, NULL},
		{"serviceId with escaped <", MBMS_KM_BODY_REGISTER, REG("<serviceId>urn:a&lt;b</serviceId>"),
		 0, MBMS_ESYNTAX, NULL},
		{"serviceId with leading blank", MBMS_KM_BODY_REGISTER, REG("<serviceId> urn:a</serviceId>"),
		 0, MBMS_ESYNTAX, NULL},
		{"register without serviceId", MBMS_KM_BODY_REGISTER, REG(""), 0, MBMS_ESYNTAX, NULL},
		/* announcement */
		{"announcement: uiccKeyManagement yes", MBMS_KM_BODY_PROTECTION_DESCRIPTION,
		 ANN("<uiccKeyManagement>yes</uiccKeyManagement>", ANN_MSK, "", ANN_TAIL), 0, MBMS_ESYNTAX,
		 NULL},
		{"announcement: boolean TRUE", MBMS_KM_BODY_PROTECTION_DESCRIPTION,
		 ANN("<uiccKeyManagement>TRUE</uiccKeyManagement>", ANN_MSK, "", ANN_TAIL), 0, MBMS_ESYNTAX,
		 NULL},
		{"announcement: keyGroup 70000", MBMS_KM_BODY_PROTECTION_DESCRIPTION,
		 ANN_S("127.0.0.1:5004", "2269", "70000"), 0, MBMS_ESYNTAX, NULL},
		{"announcement: keyGroup -1", MBMS_KM_BODY_PROTECTION_DESCRIPTION,
		 ANN_S("127.0.0.1:5004", "2269", "-1"), 0, MBMS_ESYNTAX, NULL},
		{"announcement: keyGroup not among the MSKIDs", MBMS_KM_BODY_PROTECTION_DESCRIPTION,
		 ANN_S("127.0.0.1:5004", "2269", "259"), 0, MBMS_ESYNTAX, NULL},
		{"announcement: destination without port", MBMS_KM_BODY_PROTECTION_DESCRIPTION,
		 ANN_S("127.0.0.1", "2269", "258"), 0, MBMS_ESYNTAX, NULL},
		{"announcement: destination port 0", MBMS_KM_BODY_PROTECTION_DESCRIPTION,
		 ANN_S("127.0.0.1:0", "2269", "258"), 0, MBMS_ESYNTAX, NULL},
		{"announcement: destination port 65536", MBMS_KM_BODY_PROTECTION_DESCRIPTION,
		 ANN_S("127.0.0.1:65536", "2269", "258"), 0, MBMS_ESYNTAX, NULL},
		{"announcement: bad IPv4", MBMS_KM_BODY_PROTECTION_DESCRIPTION,
		 ANN_S("999.0.0.1:5004", "2269", "258"), 0, MBMS_ESYNTAX, NULL},
		{"announcement: IPv6 without brackets", MBMS_KM_BODY_PROTECTION_DESCRIPTION,
		 ANN_S("ff3e::1:5004", "2269", "258"), 0, MBMS_ESYNTAX, NULL},
		{"announcement: IPv6 without port", MBMS_KM_BODY_PROTECTION_DESCRIPTION,
		 ANN_S("[ff3e::1]", "2269", "258"), 0, MBMS_ESYNTAX, NULL},
		{"announcement: host with underscore", MBMS_KM_BODY_PROTECTION_DESCRIPTION,
		 ANN_S("media_1.example.org:5004", "2269", "258"), 0, MBMS_ESYNTAX, NULL},
		{"announcement: mtkPort 0", MBMS_KM_BODY_PROTECTION_DESCRIPTION,
		 ANN_S("127.0.0.1:5004", "0", "258"), 0, MBMS_ESYNTAX, NULL},
		{"announcement: session without mtkPort", MBMS_KM_BODY_PROTECTION_DESCRIPTION,
		 ANN(ANN_UICC, ANN_MSK,
		     "<session><destination>127.0.0.1:5004</destination><keyGroup>258</keyGroup></session>",
		     ANN_TAIL),
		 0, MBMS_ESYNTAX, NULL},
		{"announcement: no MSKID", MBMS_KM_BODY_PROTECTION_DESCRIPTION,
		 ANN(ANN_UICC, "", "", ANN_TAIL), 0, MBMS_ESYNTAX, NULL},
		{"announcement: offsetTime 86401", MBMS_KM_BODY_PROTECTION_DESCRIPTION,
		 ANN(ANN_UICC, ANN_MSK, "",
		     "<offsetTime>86401</offsetTime><randomTimePeriod>5</randomTimePeriod></protectionDescription>"),
		 0, MBMS_ESYNTAX, NULL},
		{"announcement: randomTimePeriod 1e3", MBMS_KM_BODY_PROTECTION_DESCRIPTION,
		 ANN(ANN_UICC, ANN_MSK, "",
		     "<offsetTime>0</offsetTime><randomTimePeriod>1e3</randomTimePeriod></protectionDescription>"),
		 0, MBMS_ESYNTAX, NULL},
		{"announcement: randomTimePeriod missing", MBMS_KM_BODY_PROTECTION_DESCRIPTION,
		 ANN(ANN_UICC, ANN_MSK, "", "<offsetTime>0</offsetTime></protectionDescription>"), 0,
		 MBMS_ESYNTAX, NULL},
		{"announcement: server port 0", MBMS_KM_BODY_PROTECTION_DESCRIPTION,
		 "<protectionDescription xmlns=\"" NS "\"><serviceId>urn:example:mbms:news</serviceId>"
		 "<keyManagementServer>bmsc.example.org:0</keyManagementServer><keyDomainID>APEQ</keyDomainID>"
		 "<confidentialityProtection>true</confidentialityProtection>"
		 "<integrityProtection>true</integrityProtection>" ANN_UICC ANN_MSK ANN_TAIL,
		 0, MBMS_ESYNTAX, NULL},
		{"announcement: server is a URL", MBMS_KM_BODY_PROTECTION_DESCRIPTION,
		 "<protectionDescription xmlns=\"" NS "\"><serviceId>urn:example:mbms:news</serviceId>"
		 "<keyManagementServer>http://bmsc.example.org/</keyManagementServer><keyDomainID>APEQ</keyDomainID>"
		 "<confidentialityProtection>true</confidentialityProtection>"
		 "<integrityProtection>true</integrityProtection>" ANN_UICC ANN_MSK ANN_TAIL,
		 0, MBMS_ESYNTAX, NULL},
		{"announcement: elements out of order", MBMS_KM_BODY_PROTECTION_DESCRIPTION,
		 ANN(ANN_UICC, ANN_MSK, "", "<randomTimePeriod>5</randomTimePeriod><offsetTime>0</offsetTime></protectionDescription>"),
		 0, MBMS_ESYNTAX, NULL},
		{"announcement: MSKID after session", MBMS_KM_BODY_PROTECTION_DESCRIPTION,
		 ANN(ANN_UICC, ANN_MSK, ANN_SESSION("127.0.0.1:5004", "2269", "258") ANN_MSK, ANN_TAIL), 0,
		 MBMS_ESYNTAX, NULL},
	};
	assert_true(sizeof(t) / sizeof(t[0]) >= 25);
	run_table(t, sizeof(t) / sizeof(t[0]));
}

/* Proof that the table harness can fail: a valid body with a wrong
 * expectation, and a rejected body expected to pass, are both reported. */
static void test_harness_can_fail(void **state)
{
	(void)state;
	const struct body_case wrong_code = {"valid but expected bad", MBMS_KM_BODY_MSK_REQUEST,
					     MSKREQ(KD MSK1), 0, MBMS_ESYNTAX, NULL};
	const struct body_case wrong_struct = {"valid but other struct", MBMS_KM_BODY_MSK_REQUEST,
					       MSKREQ(KD MSK1), 0, 0, &msk_req_3};
	const struct body_case wrong_accept = {"DOCTYPE expected good", MBMS_KM_BODY_MSK_REQUEST,
					       "<!DOCTYPE x>" MSKREQ_OPEN KD MSK1 "</mbmsMSKRequest>", 0, 0,
					       NULL};
	assert_false(run_body_case(&wrong_code, false));
	assert_false(run_body_case(&wrong_struct, false));
	assert_false(run_body_case(&wrong_accept, false));
	assert_false(equal_kind(MBMS_KM_BODY_PROTECTION_DESCRIPTION, &ann_profile, &ann_big));
}

/* ---- 4. limits: body size and item count, generated ---- */

static char *gen_msk_request(size_t n_items, size_t pad_to, size_t *len)
{
	size_t cap = MBMS_PROFILE_MAX_BODY * 2;
	char *b = malloc(cap);
	assert_non_null(b);
	size_t o = (size_t)snprintf(b, cap, "%s", MSKREQ_OPEN KD);
	for (size_t i = 0; i < n_items; i++)
		o += (size_t)snprintf(b + o, cap - o, "%s", MSK1);
	static const char end[] = "</mbmsMSKRequest>";
	/* Pad with whitespace between elements up to pad_to bytes in all. */
	while (o + strlen(end) < pad_to)
		b[o++] = ' ';
	o += (size_t)snprintf(b + o, cap - o, "%s", end);
	*len = o;
	return b;
}

static void test_limits(void **state)
{
	(void)state;
	static const struct {
		const char *name;
		size_t items, pad_to;
		int expect;
	} v[] = {
		{"64 items", 64, 0, 0},
		{"65 items over the max of 64", 65, 0, MBMS_ELENGTH},
		{"1000 items", 1000, 0, MBMS_ELENGTH},
		{"exactly 64 KiB", 1, MBMS_PROFILE_MAX_BODY, 0},
		{"64 KiB + 1", 1, MBMS_PROFILE_MAX_BODY + 1, MBMS_ELENGTH},
		{"must fail: 63 items", 63, 0, MBMS_ELENGTH},
	};
	for (size_t i = 0; i < sizeof(v) / sizeof(v[0]); i++) {
		size_t len;
		char *b = gen_msk_request(v[i].items, v[i].pad_to, &len);
		if (v[i].pad_to)
			assert_int_equal(len, v[i].pad_to);
		int rc = mbms_km_msk_request_parse(b, len, &parsed.msk_req);
		free(b);
		/* A "must fail" line states a wrong expectation on purpose. */
		bool must_fail = strncmp(v[i].name, "must fail", 9) == 0;
		if ((rc == v[i].expect) == must_fail)
			fail_msg("%s: got %s", v[i].name, mbms_errname(rc));
		if (rc == 0 && !must_fail)
			assert_int_equal(parsed.msk_req.count, v[i].items);
	}

	/* 65 MSKResults and 65 serviceResults. */
	static char big[MBMS_PROFILE_MAX_BODY];
	size_t o = (size_t)snprintf(big, sizeof(big), "<mbmsMSKResponse xmlns=\"" NS "\">");
	for (int i = 0; i < 65; i++)
		o += (size_t)snprintf(big + o, sizeof(big) - o, "%s", RESULT("200"));
	o += (size_t)snprintf(big + o, sizeof(big) - o, "</mbmsMSKResponse>");
	assert_int_equal(mbms_km_msk_response_parse(big, o, &parsed.msk_rsp), MBMS_ELENGTH);
	o = (size_t)snprintf(big, sizeof(big), "<mbmsRegistrationResponse xmlns=\"" NS "\">");
	for (int i = 0; i < 65; i++)
		o += (size_t)snprintf(big + o, sizeof(big) - o,
				      "<serviceResult><serviceId>urn:x:%d</serviceId><status>200</status></serviceResult>", i);
	o += (size_t)snprintf(big + o, sizeof(big) - o, "</mbmsRegistrationResponse>");
	assert_int_equal(mbms_km_register_response_parse(big, o, &parsed.reg_rsp), MBMS_ELENGTH);

	/* serviceId of 255 bytes is fine, 256 is too long, 2000 too. */
	for (size_t n = 255; n <= 2000; n += n == 255 ? 1 : 1744) {
		o = (size_t)snprintf(big, sizeof(big), "<mbmsUserServiceRegistration xmlns=\"" NS "\"><serviceId>urn:");
		memset(big + o, 'a', n - 4);
		o += n - 4;
		o += (size_t)snprintf(big + o, sizeof(big) - o, "</serviceId></mbmsUserServiceRegistration>");
		int rc = mbms_km_register_parse(big, o, &parsed.services);
		assert_int_equal(rc, n == 255 ? 0 : MBMS_ELENGTH);
		if (n == 255)
			assert_int_equal(strlen(parsed.services.service_id[0]), 255);
	}

	/* A deep element bomb stops at the first unknown element. */
	o = (size_t)snprintf(big, sizeof(big), "<mbmsMSKRequest xmlns=\"" NS "\">");
	while (o + 4 < sizeof(big))
		o += (size_t)snprintf(big + o, sizeof(big) - o, "<a>");
	assert_int_equal(mbms_km_msk_request_parse(big, o, &parsed.msk_req), MBMS_ESYNTAX);
}

/* ---- 5. writers: invalid input, small buffers, the body limit ---- */

static void test_writer_errors(void **state)
{
	(void)state;
	static char out[MBMS_PROFILE_MAX_BODY * 2];
	size_t len, full;

	/* Every capacity below len + 1 is MBMS_ENOSPC, len + 1 works. */
	assert_int_equal(mbms_announcement_write(&ann_big, out, sizeof(out), &full), 0);
	for (size_t cap = 0; cap <= full; cap++) {
		char *small = malloc(cap ? cap : 1);
		assert_int_equal(mbms_announcement_write(&ann_big, small, cap, &len), MBMS_ENOSPC);
		free(small);
	}
	char *exact = malloc(full + 1);
	assert_int_equal(mbms_announcement_write(&ann_big, exact, full + 1, &len), 0);
	assert_int_equal(len, full);
	free(exact);

	static struct mbms_km_service_list sl;
	static struct mbms_km_register_response rr;
	static struct mbms_km_msk_request mq;
	static struct mbms_km_msk_response mr;
	static struct mbms_announcement an;

	sl = services_2;
	sl.service_id[1][0] = '\0';
	assert_int_equal(mbms_km_register_write(&sl, out, sizeof(out), &len), MBMS_EINVAL);
	sl = services_2;
	sl.count = 0;
	assert_int_equal(mbms_km_deregister_write(&sl, out, sizeof(out), &len), MBMS_EINVAL);
	sl.count = MBMS_KMXML_MAX_ITEMS + 1;
	assert_int_equal(mbms_km_register_write(&sl, out, sizeof(out), &len), MBMS_EINVAL);
	sl = services_2;
	strcpy(sl.service_id[0], "urn:a<b");
	assert_int_equal(mbms_km_register_write(&sl, out, sizeof(out), &len), MBMS_EINVAL);
	memset(sl.service_id[0], 'a', sizeof(sl.service_id[0])); /* no NUL */
	assert_int_equal(mbms_km_register_write(&sl, out, sizeof(out), &len), MBMS_EINVAL);

	rr = reg_rsp_2;
	rr.item[1].status = 201;
	assert_int_equal(mbms_km_register_response_write(&rr, out, sizeof(out), &len), MBMS_EINVAL);
	mq = msk_req_1;
	mq.count = 0;
	assert_int_equal(mbms_km_msk_request_write(&mq, out, sizeof(out), &len), MBMS_EINVAL);
	mr = msk_rsp_6;
	mr.item[5].status = 401;
	assert_int_equal(mbms_km_msk_response_write(&mr, out, sizeof(out), &len), MBMS_EINVAL);

	an = ann_profile;
	an.session[0].key_group = 259;
	assert_int_equal(mbms_announcement_write(&an, out, sizeof(out), &len), MBMS_EINVAL);
	an = ann_profile;
	an.offset_time = 86401;
	assert_int_equal(mbms_announcement_write(&an, out, sizeof(out), &len), MBMS_EINVAL);
	an = ann_profile;
	an.session[0].destination.port = 0;
	assert_int_equal(mbms_announcement_write(&an, out, sizeof(out), &len), MBMS_EINVAL);
	an = ann_profile;
	strcpy(an.km_server.host, "bmsc..example.org");
	assert_int_equal(mbms_announcement_write(&an, out, sizeof(out), &len), MBMS_EINVAL);
	an = ann_profile;
	an.msk_count = 0;
	assert_int_equal(mbms_announcement_write(&an, out, sizeof(out), &len), MBMS_EINVAL);
	assert_int_equal(mbms_announcement_write(NULL, out, sizeof(out), &len), MBMS_EINVAL);
	assert_int_equal(mbms_km_msk_request_parse(NULL, 0, &parsed.msk_req), MBMS_EINVAL);
	assert_int_equal(mbms_km_msk_request_parse("", 0, NULL), MBMS_EINVAL);

	/* 64 service IDs of 255 bytes, most of them '&': valid each, but the
	 * escaped body would exceed 64 KiB, which our parser would refuse. */
	sl.count = MBMS_KMXML_MAX_ITEMS;
	for (size_t i = 0; i < sl.count; i++) {
		memset(sl.service_id[i], '&', MBMS_KMXML_URI_MAX);
		memcpy(sl.service_id[i], "urn:", 4);
		sl.service_id[i][MBMS_KMXML_URI_MAX] = '\0';
	}
	assert_int_equal(mbms_km_register_write(&sl, out, sizeof(out), &len), MBMS_ELENGTH);
	assert_int_equal(mbms_km_register_write(&sl, out, 100, &len), MBMS_ELENGTH);
	/* ... and with 255 plain letters it fits. */
	for (size_t i = 0; i < sl.count; i++)
		memset(sl.service_id[i] + 4, 'a', MBMS_KMXML_URI_MAX - 4);
	assert_int_equal(mbms_km_register_write(&sl, out, sizeof(out), &len), 0);
	assert_true(len <= MBMS_PROFILE_MAX_BODY);
	assert_int_equal(mbms_km_register_parse(out, len, &parsed.services), 0);
	assert_true(services_equal(&parsed.services, &sl));
}

/* ---- 6. value checks ---- */

static void test_hostport(void **state)
{
	(void)state;
	static const struct {
		const char *in;
		bool port_required;
		int expect;
		const char *host;
		uint16_t port;
	} v[] = {
		{"bmsc.example.org:8080", false, 0, "bmsc.example.org", 8080},
		{"bmsc.example.org", false, 0, "bmsc.example.org", 0},
		{"localhost:1", true, 0, "localhost", 1},
		{"127.0.0.1:5004", true, 0, "127.0.0.1", 5004},
		{"[::1]:5004", true, 0, "::1", 5004},
		{"[ff3e::8000:1]", false, 0, "ff3e::8000:1", 0},
		{"3com.example:65535", true, 0, "3com.example", 65535},
		{"bmsc.example.org", true, MBMS_ESYNTAX, NULL, 0},
		{"bmsc.example.org:", false, MBMS_ESYNTAX, NULL, 0},
		{":80", false, MBMS_ESYNTAX, NULL, 0},
		{"a:80:90", false, MBMS_ESYNTAX, NULL, 0},
		{"a:065536", false, MBMS_ESYNTAX, NULL, 0},
		{"a:-1", false, MBMS_ESYNTAX, NULL, 0},
		{"-a.example:1", false, MBMS_ESYNTAX, NULL, 0},
		{"a-.example:1", false, MBMS_ESYNTAX, NULL, 0},
		{"a..example:1", false, MBMS_ESYNTAX, NULL, 0},
		{"example.org.:1", false, MBMS_ESYNTAX, NULL, 0},
		{"1.2.3:1", false, MBMS_ESYNTAX, NULL, 0},
		{"256.1.1.1:1", false, MBMS_ESYNTAX, NULL, 0},
		{"[::1", false, MBMS_ESYNTAX, NULL, 0},
		{"[::1]x", false, MBMS_ESYNTAX, NULL, 0},
		{"[fe80::1%eth0]:1", false, MBMS_ESYNTAX, NULL, 0},
		{"[1.2.3.4]:1", false, MBMS_ESYNTAX, NULL, 0},
		{"", false, MBMS_ESYNTAX, NULL, 0},
		/* Must fail: a valid value expected to be refused. */
		{"must.fail:1", false, MBMS_ESYNTAX, NULL, 0},
	};
	size_t mismatches = 0;
	for (size_t i = 0; i < sizeof(v) / sizeof(v[0]); i++) {
		struct mbms_hostport hp;
		int rc = mbms_hostport_parse(v[i].in, strlen(v[i].in), v[i].port_required, &hp);
		bool ok = rc == v[i].expect &&
			  (rc || (strcmp(hp.host, v[i].host) == 0 && hp.port == v[i].port));
		if (!ok) {
			mismatches++;
			continue;
		}
		if (rc == 0) {
			char back[300];
			assert_int_equal(mbms_hostport_format(&hp, back, sizeof(back)), 0);
			assert_string_equal(back, v[i].in);
		}
	}
	assert_int_equal(mismatches, 1); /* exactly the must-fail line */

	char long_host[300];
	memset(long_host, 'a', sizeof(long_host));
	for (int i = 60; i < 300; i += 61)
		long_host[i] = '.';
	struct mbms_hostport hp;
	assert_int_equal(mbms_hostport_parse(long_host, 253, false, &hp), 0);
	assert_int_equal(mbms_hostport_parse(long_host, 254, false, &hp), MBMS_ELENGTH);
	assert_int_equal(mbms_hostport_parse(long_host, 64, false, &hp), 0);
	memset(long_host, 'a', 64);
	assert_int_equal(mbms_hostport_parse(long_host, 64, false, &hp), MBMS_ESYNTAX); /* 64-byte label */
	char small[8];
	assert_int_equal(mbms_hostport_parse("bmsc.example.org:8080", 21, false, &hp), 0);
	assert_int_equal(mbms_hostport_format(&hp, small, sizeof(small)), MBMS_ENOSPC);
}

static void test_service_id_and_status(void **state)
{
	(void)state;
	static const struct {
		const char *uri;
		int expect;
	} v[] = {
		{"urn:example:mbms:news", 0},
		{"http://a.example/x?y=1&z='2'#f", 0},
		{"a+b-c.d:%41~", 0},
		{"urn:", 0},
		{"", MBMS_ESYNTAX},
		{":x", MBMS_ESYNTAX},
		{"1urn:x", MBMS_ESYNTAX},
		{"urn", MBMS_ESYNTAX},
		{"urn:a\"b", MBMS_ESYNTAX},
		{"urn:a{b}", MBMS_ESYNTAX},
		{"urn:%zz", MBMS_ESYNTAX},
		{"urn:%4", MBMS_ESYNTAX},
		{"urn:a\tb", MBMS_ESYNTAX},
		{"must-fail:x", MBMS_ESYNTAX}, /* must fail: this one is valid */
	};
	size_t mismatches = 0;
	for (size_t i = 0; i < sizeof(v) / sizeof(v[0]); i++)
		if (mbms_km_service_id_check(v[i].uri, strlen(v[i].uri)) != v[i].expect)
			mismatches++;
	assert_int_equal(mismatches, 1);

	static const unsigned allowed[] = {200, 400, 403, 404, 500, 503};
	unsigned n = 0;
	for (unsigned s = 0; s < 1000; s++)
		n += mbms_km_status_allowed(s);
	assert_int_equal(n, 6);
	for (size_t i = 0; i < 6; i++)
		assert_true(mbms_km_status_allowed(allowed[i]));
	assert_false(mbms_km_status_allowed(401)); /* HTTP-level only (10.18) */
}

/* ---- 7. Content-Type classification (answers 415 correctly) ---- */

static void test_media_types(void **state)
{
	(void)state;
	static const struct {
		const char *value;
		enum mbms_km_body_kind kind;
	} v[] = {
		{"application/mbms-register+xml", MBMS_KM_BODY_REGISTER},
		{"application/mbms-deregister+xml", MBMS_KM_BODY_DEREGISTER},
		{"application/mbms-register-response+xml", MBMS_KM_BODY_REGISTER_RESPONSE},
		{"application/mbms-msk+xml", MBMS_KM_BODY_MSK_REQUEST},
		{"application/mbms-msk-response+xml", MBMS_KM_BODY_MSK_RESPONSE},
		{"application/mbms-protection-description+xml", MBMS_KM_BODY_PROTECTION_DESCRIPTION},
		{"Application/MBMS-MSK+XML", MBMS_KM_BODY_MSK_REQUEST},
		{"application/mbms-msk+xml; charset=UTF-8", MBMS_KM_BODY_MSK_REQUEST},
		{"  application/mbms-msk+xml ;charset=\"utf-8\"  ", MBMS_KM_BODY_MSK_REQUEST},
		{"\tapplication/mbms-register+xml;", MBMS_KM_BODY_REGISTER},
		{"application/mbms-msk+xml x", MBMS_KM_BODY_NONE},
		{"application/mbms-msk+xmlx", MBMS_KM_BODY_NONE},
		{"application/mbms-msk", MBMS_KM_BODY_NONE},
		{"application/xml", MBMS_KM_BODY_NONE},
		{"text/xml; charset=utf-8", MBMS_KM_BODY_NONE},
		{"application/mbms-msk+xml,application/xml", MBMS_KM_BODY_NONE},
		{"", MBMS_KM_BODY_NONE},
		{";application/mbms-msk+xml", MBMS_KM_BODY_NONE},
		/* Must fail: a response type is not a request type. */
		{"application/mbms-msk-response+xml", MBMS_KM_BODY_MSK_REQUEST},
	};
	size_t mismatches = 0;
	for (size_t i = 0; i < sizeof(v) / sizeof(v[0]); i++)
		if (mbms_km_media_type_classify(v[i].value) != v[i].kind)
			mismatches++;
	assert_int_equal(mismatches, 1);
	assert_int_equal(mbms_km_media_type_classify(NULL), MBMS_KM_BODY_NONE);
	for (int k = MBMS_KM_BODY_REGISTER; k <= MBMS_KM_BODY_PROTECTION_DESCRIPTION; k++)
		assert_int_equal(mbms_km_media_type_classify(mbms_km_media_type(k)), k);
	assert_null(mbms_km_media_type(MBMS_KM_BODY_NONE));
	assert_null(mbms_km_media_type((enum mbms_km_body_kind)99));
}

/* ---- 8. back-off (PROFILE.md 8) ---- */

static void test_backoff(void **state)
{
	(void)state;
	static const struct {
		uint32_t offset, period, rnd;
		bool network;
		int rc;
		uint64_t ms;
	} v[] = {
		{0, 5, 0, true, 0, 0},
		{0, 5, 0xffffffffu, true, 0, 5000},
		{0, 5, 0x80000000u, true, 0, 2500},
		{10, 0, 0xffffffffu, true, 0, 10000},
		{10, 5, 0, true, 0, 10000},
		{86400, 86400, 0xffffffffu, true, 0, 172800000},
		{10, 5, 0xffffffffu, false, 0, 0}, /* user activation: at once */
		{86401, 0, 0, true, MBMS_EINVAL, 0},
		{0, 86401, 0, false, MBMS_EINVAL, 0},
		{3, 5, 0, false, 0, 3000}, /* must fail: user-initiated has no offset */
	};
	size_t mismatches = 0;
	for (size_t i = 0; i < sizeof(v) / sizeof(v[0]); i++) {
		uint64_t ms = 12345;
		int rc = mbms_announcement_backoff_ms(v[i].offset, v[i].period, v[i].rnd, v[i].network, &ms);
		if (rc != v[i].rc || (rc == 0 && ms != v[i].ms))
			mismatches++;
	}
	assert_int_equal(mismatches, 1);
	/* Uniform over the whole range: every millisecond bucket of [0, 5000] reachable,
	 * monotonic in the random value. */
	uint64_t prev = 0, ms;
	for (uint64_t r = 0; r <= 0xffffffffu; r += 0x10000u) {
		assert_int_equal(mbms_announcement_backoff_ms(1, 5, (uint32_t)r, true, &ms), 0);
		assert_true(ms >= 1000 && ms <= 6000 && ms >= prev);
		prev = ms;
	}
	assert_int_equal(mbms_announcement_backoff_ms(0, 0, 0, true, NULL), MBMS_EINVAL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_vector_bodies),
		cmocka_unit_test(test_round_trips),
		cmocka_unit_test(test_writer_exact),
		cmocka_unit_test(test_accepted_variants),
		cmocka_unit_test(test_hostile_bodies),
		cmocka_unit_test(test_harness_can_fail),
		cmocka_unit_test(test_limits),
		cmocka_unit_test(test_writer_errors),
		cmocka_unit_test(test_hostport),
		cmocka_unit_test(test_service_id_and_status),
		cmocka_unit_test(test_media_types),
		cmocka_unit_test(test_backoff),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
