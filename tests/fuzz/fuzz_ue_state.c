/* libFuzzer target for the UE key store text loader (mbms_ue_state_load,
 * lib/ue_state.c): the file mbms-ue reads at start, which a corrupt disk,
 * a bad restore or an editor may have changed.
 *
 * Whatever loads must save, load into a fresh UE and save to the same
 * text; a UE that loaded it must then survive the usual start (service,
 * announcement, activation, a tick) and a MIKEY datagram. Whatever does
 * not load must leave the UE untouched (the state it saves is the empty
 * one). */
#include "fuzz_ue_env.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static char empty[1024];
static size_t empty_len;

static struct mbms_ue *fresh(void)
{
	struct mbms_ue_config c;
	mbms_ue_config_defaults(&c);
	c.impi = FZ_IMPI;
	c.random = fz_random;
	struct mbms_ue *ue = NULL;
	FZ_CHECK(mbms_ue_new(&c, &ue) == 0);
	return ue;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static char ann[8192];
	static size_t ann_len;
	static char text[MBMS_UE_STATE_MAX];
	if (!ann_len) {
		ann_len = fz_announcement(ann, sizeof(ann));
		struct mbms_ue *e = fresh();
		FZ_CHECK(mbms_ue_state_save(e, empty, sizeof(empty), &empty_len) == 0);
		mbms_ue_free(e);
	}
	struct mbms_ue *ue = fresh();
	int rc = mbms_ue_state_load(ue, (const char *)data, size);
	size_t n = 0;
	FZ_CHECK(mbms_ue_state_save(ue, text, sizeof(text), &n) == 0);
	if (rc != 0) {
		FZ_CHECK(n == empty_len && memcmp(text, empty, n) == 0);
		mbms_ue_free(ue);
		return 0;
	}
	fz_state_round_trip(ue);
	(void)mbms_ue_service_add(ue, FZ_SID, NULL);
	(void)mbms_ue_announcement(ue, FZ_SID, ann, ann_len, FZ_T0);
	(void)mbms_ue_activate(ue, FZ_SID, FZ_T0);
	fz_drain(ue, NULL);
	mbms_ue_tick(ue, FZ_T0 + 3600 * 1000);
	fz_drain(ue, NULL);
	static const struct mbms_ue_addr src = {4, "bmsc"};
	(void)mbms_ue_udp_rx(ue, MBMS_UE_PORT_MIKEY, data, size, &src, FZ_T0 + 3601 * 1000);
	fz_drain(ue, NULL);
	mbms_ue_free(ue);
	return 0;
}
