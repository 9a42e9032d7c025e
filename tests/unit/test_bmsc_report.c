/* The BM-SC per-item report (mbms_bmsc_key_group_info, mbms_bmsc_service_info)
 * that bmscd's /metrics and status page are built from: it must say what
 * the admin status JSON says, item by item, as the state moves (start,
 * registrations, rotation, switch-over, MTK messages), and refuse indexes
 * past the end. Fake time, fake BSF (tests/unit/test_bmsc_harness.h). */
#include "test_bmsc_harness.h"

#include <cjson/cJSON.h>

static cJSON *status_json(struct harness *h)
{
	static char buf[64 * 1024];
	size_t len = 0;
	assert_int_equal(mbms_bmsc_status_json(h->b, h->now, buf, sizeof(buf) - 1, &len), 0);
	buf[len] = '\0';
	cJSON *j = cJSON_Parse(buf);
	assert_non_null(j);
	return j;
}

static uint32_t hex_id(const cJSON *v)
{
	return cJSON_IsString(v) ? (uint32_t)strtoul(v->valuestring, NULL, 16) : 0;
}

/* Every item of the report against the JSON of the same moment. */
static void check_against_json(struct harness *h)
{
	cJSON *j = status_json(h);
	const cJSON *kgs = cJSON_GetObjectItem(j, "key_groups");
	const cJSON *svcs = cJSON_GetObjectItem(j, "services");
	assert_int_equal(mbms_bmsc_key_group_count(h->b), (size_t)cJSON_GetArraySize(kgs));
	assert_int_equal(mbms_bmsc_service_count(h->b), (size_t)cJSON_GetArraySize(svcs));
	for (size_t i = 0; i < mbms_bmsc_key_group_count(h->b); i++) {
		struct mbms_bmsc_key_group_info k;
		assert_int_equal(mbms_bmsc_key_group_info(h->b, i, &k), 0);
		const cJSON *g = cJSON_GetArrayItem(kgs, (int)i);
		assert_int_equal(k.key_group, cJSON_GetObjectItem(g, "key_group")->valueint);
		assert_int_equal(k.current_msk_id, hex_id(cJSON_GetObjectItem(g, "current_msk_id")));
		assert_int_equal(k.next_msk_id, hex_id(cJSON_GetObjectItem(g, "next_msk_id")));
		assert_int_equal(k.switch_over_ms,
				 (uint64_t)cJSON_GetObjectItem(g, "switch_over_ms")->valuedouble);
		assert_int_equal(k.mtk_id, cJSON_GetObjectItem(g, "current_mtk_id")->valueint);
		assert_int_equal(k.registered_ues,
				 (uint64_t)cJSON_GetObjectItem(g, "registered_ues")->valuedouble);
		assert_int_equal(k.mtk_id_count, h->kg[i].mtk_id_count);
		if (k.current_msk_id) {
			assert_int_equal(mbms_msk_id_key_group(k.current_msk_id), k.key_group);
			assert_true(k.current_valid_from_ms <= h->now);
			assert_true(k.switch_over_ms > k.current_valid_from_ms);
		}
		uint32_t cur = 0, next = 0;
		assert_int_equal(mbms_bmsc_key_group_msks(h->b, k.key_group, &cur, &next), 0);
		assert_int_equal(cur, k.current_msk_id);
		assert_int_equal(next, k.next_msk_id);
	}
	for (size_t i = 0; i < mbms_bmsc_service_count(h->b); i++) {
		struct mbms_bmsc_service_info s;
		assert_int_equal(mbms_bmsc_service_info(h->b, i, &s), 0);
		const cJSON *v = cJSON_GetArrayItem(svcs, (int)i);
		assert_string_equal(s.service_id, cJSON_GetObjectItem(v, "service_id")->valuestring);
		assert_int_equal(s.registered_ues,
				 (uint64_t)cJSON_GetObjectItem(v, "registered_ues")->valuedouble);
		const cJSON *list = cJSON_GetObjectItem(v, "key_groups");
		assert_int_equal(s.nkey_groups, (size_t)cJSON_GetArraySize(list));
		for (size_t k = 0; k < s.nkey_groups; k++)
			assert_int_equal(s.key_groups[k], cJSON_GetArrayItem(list, (int)k)->valueint);
	}
	cJSON_Delete(j);
}

static void test_report_follows_state(void **state)
{
	(void)state;
	struct harness *h = h_new();
	h_open(h);
	check_against_json(h); /* started: first MSKs, no UE */
	struct h_result *res = calloc(1, sizeof(*res));
	assert_non_null(res);
	struct tue *u = h_ue(h, "user1@ims.example.org", 41001);
	struct tue *v = h_ue(h, "user2@ims.example.org", 41002);
	h_register(h, u, H_SVC_A, NULL, res);
	assert_int_equal(res->status, 200);
	h_register(h, v, H_SVC_A, H_SVC_B, res);
	assert_int_equal(res->status, 200);
	check_against_json(h);
	struct mbms_bmsc_service_info s;
	assert_int_equal(mbms_bmsc_service_info(h->b, 0, &s), 0);
	assert_string_equal(s.service_id, H_SVC_A);
	assert_int_equal(s.registered_ues, 2);

	uint32_t made = 0;
	assert_int_equal(mbms_bmsc_rotate(h->b, H_KG1, h->now, &made), 0); /* next MSK */
	h_drain(h);
	struct mbms_bmsc_key_group_info k;
	assert_int_equal(mbms_bmsc_key_group_info(h->b, 0, &k), 0);
	assert_int_equal(k.key_group, H_KG1);
	assert_int_equal(k.next_msk_id, made);
	check_against_json(h);
	uint32_t before = k.current_msk_id;
	assert_int_equal(mbms_bmsc_rotate(h->b, H_KG1, h->now, &made), 0); /* switch over */
	h_drain(h);
	assert_int_equal(mbms_bmsc_key_group_info(h->b, 0, &k), 0);
	assert_int_equal(k.current_msk_id, made);
	assert_true(k.current_msk_id != before);
	assert_int_equal(k.next_msk_id, 0);
	h_advance(h, h->now + 5000); /* the session's MTK messages */
	check_against_json(h);
	h_ue_free(u);
	h_ue_free(v);
	free(res);
	h_free(h);
}

/* Indexes past the end and NULL arguments are refused (the must-fail rows). */
static void test_report_refusals(void **state)
{
	(void)state;
	struct harness *h = h_new();
	h_open(h);
	struct mbms_bmsc_key_group_info k;
	struct mbms_bmsc_service_info s;
	static const struct {
		const char *name;
		bool kg;
		size_t index;
		bool null_out;
		int want;
	} cases[] = {
		{"first key group", true, 0, false, 0},
		{"last key group", true, 2, false, 0},
		{"key group past the end", true, 3, false, MBMS_ENOTFOUND},
		{"key group, no out", true, 0, true, MBMS_EINVAL},
		{"first service", false, 0, false, 0},
		{"service past the end", false, 3, false, MBMS_ENOTFOUND},
		{"huge index", false, SIZE_MAX, false, MBMS_ENOTFOUND},
		{"service, no out", false, 0, true, MBMS_EINVAL},
	};
	assert_int_equal(mbms_bmsc_key_group_count(h->b), 3);
	assert_int_equal(mbms_bmsc_service_count(h->b), 3);
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		int rc = cases[i].kg ? mbms_bmsc_key_group_info(h->b, cases[i].index,
								 cases[i].null_out ? NULL : &k)
				     : mbms_bmsc_service_info(h->b, cases[i].index,
							      cases[i].null_out ? NULL : &s);
		if (rc != cases[i].want)
			fail_msg("%s: %d, want %d", cases[i].name, rc, cases[i].want);
	}
	assert_int_equal(mbms_bmsc_key_group_count(NULL), 0);
	assert_int_equal(mbms_bmsc_service_info(NULL, 0, &s), MBMS_EINVAL);
	h_free(h);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_report_follows_state),
		cmocka_unit_test(test_report_refusals),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
