/* `mbms-ue status`: what the key store file says, never a key. */
#include "ued.h"

#include "config.h"

#include "mbmssec/error.h"
#include "mbmssec/gba.h"
#include "mbmssec/ids.h"

#include <stdio.h>
#include <string.h>
#include <time.h>

static void when(uint64_t t, char *out, size_t cap)
{
	char s[MBMS_XS_DATETIME_LEN + 1];
	if (mbms_xs_datetime_format(t, s) == 0)
		snprintf(out, cap, "%s", s);
	else
		snprintf(out, cap, "%llu", (unsigned long long)t);
}

int ued_status(const char *state_path, FILE *out)
{
	struct mbms_ue_config uc;
	struct mbms_ue *ue = NULL;
	char err[600], kd[7], t[40];
	mbms_ue_config_defaults(&uc);
	uc.impi = "status";
	if (mbms_ue_new(&uc, &ue) != 0) {
		fprintf(stderr, "mbms-ue status: out of memory\n");
		return UED_EXIT_FAIL;
	}
	bool found;
	if (ued_state_load(state_path, ue, &found, err, sizeof(err))) {
		fprintf(stderr, "mbms-ue status: %s\n", err);
		mbms_ue_free(ue);
		return UED_EXIT_FAIL;
	}
	if (!found) {
		fprintf(stderr, "mbms-ue status: %s: no key store yet (never run?)\n", state_path);
		mbms_ue_free(ue);
		return UED_EXIT_FAIL;
	}
	uint64_t now = ued_now_ms() / 1000;
	struct mbms_ue_bootstrap_info bi;
	mbms_ue_bootstrap_info(ue, &bi);
	if (bi.have) {
		when(bi.expires_at_s, t, sizeof(t));
		fprintf(out, "bootstrap btid=%s expires=%s (%s)\n", bi.btid, t,
			now < bi.expires_at_s ? "valid" : "expired");
	} else {
		fprintf(out, "bootstrap none\n");
	}
	for (size_t i = 0; i < mbms_ue_muk_count(ue); i++) {
		struct mbms_ue_muk_info mi;
		if (mbms_ue_muk_info(ue, i, &mi) != 0)
			continue;
		fprintf(out, "muk bmsc=%s %s btid=%s last_counter=", mi.fqdn,
			mi.previous ? "previous" : "current", mi.idr);
		if (mi.have_counter)
			fprintf(out, "%u\n", (unsigned)mi.ts_counter);
		else
			fprintf(out, "none\n");
	}
	for (size_t i = 0; i < mbms_ue_service_count(ue); i++) {
		struct mbms_ue_service_info si;
		if (mbms_ue_service_info(ue, i, &si) != 0)
			continue;
		fprintf(out, "service %s state=%s%s%s\n", si.service_id,
			mbms_ue_service_state_name(si.state), si.reason[0] ? " reason=" : "",
			si.reason);
	}
	for (size_t i = 0; i < mbms_ue_msk_count(ue); i++) {
		struct mbms_ue_msk_info mi;
		if (mbms_ue_msk_info(ue, i, &mi) != 0)
			continue;
		mbms_hex_encode(mi.key_domain_id, 3, kd, sizeof(kd));
		fprintf(out,
			"msk key_domain=%s msk_id=%08x key_group=%u key_number=%u mtk_ids=%u..%u "
			"last_counter=",
			kd, (unsigned)mi.msk_id, (unsigned)mbms_msk_id_key_group(mi.msk_id),
			(unsigned)mbms_msk_id_key_number(mi.msk_id), (unsigned)mi.vf,
			(unsigned)mi.vt);
		if (mi.have_counter)
			fprintf(out, "%u", (unsigned)mi.ts_counter);
		else
			fprintf(out, "none");
		if (mi.have_mtk_id)
			fprintf(out, " mtk_id=%u", (unsigned)mi.mtk_id);
		fprintf(out, "%s\n", mi.newest ? " newest" : "");
	}
	mbms_ue_free(ue);
	return UED_EXIT_OK;
}
