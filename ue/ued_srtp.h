/* mbms-ue: the SRTP streams (docs/traffic.md, docs/ue.md "Streams").
 * [stream "name"] sections name a service, a UDP port to receive its SRTP
 * packets on and where the decrypted RTP payloads go. The library chooses
 * the key of each packet by its MKI (mbms_traffic_rx: decrypt, hold until
 * the MTK message is in, or the missed key update); libsrtp2 decrypts
 * (common/srtp_glue.h). */
#ifndef MBMS_UED_SRTP_H
#define MBMS_UED_SRTP_H

#include "mbmssec/ini.h"
#include "mbmssec/kmxml.h"
#include "mbmssec/ue.h"

#include <event2/event.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define UED_MAX_STREAMS 4
#define UED_STREAM_PATH_MAX 4096

struct ued_stream_cfg {
	char name[64];
	char service[MBMS_KMXML_URI_MAX + 1];
	char host[64];
	uint16_t port;
	char output[UED_STREAM_PATH_MAX]; /* "" or "-": stdout */
	bool output_rtp;                  /* whole RTP packets as length-prefixed records */
	char stats[UED_STREAM_PATH_MAX];  /* JSON counters, rewritten twice a second; "" none */
	uint64_t hold_packets, hold_ms;
	unsigned seen;
};

struct ued_config;

/* config.c hooks: a [stream "name"] section, one of its keys, and the
 * checks once the whole file is read (the service must be configured). */
int ued_stream_section(struct ued_config *cfg, const char *name, struct mbms_ini_error *err);
int ued_stream_key(struct ued_config *cfg, const char *key, const char *value,
		   struct mbms_ini_error *err);
int ued_stream_check(const struct ued_config *cfg, char *err, size_t err_cap);

/* run.c hooks. pump(arg) drains the UE's actions (a packet for an MSK we
 * lack starts the missed key update). 0 (also without streams) or -1. */
struct ued_srtp;
int ued_srtp_new(const struct ued_config *cfg, struct event_base *base, struct mbms_ue *ue,
		 void (*pump)(void *), void *pump_arg, struct ued_srtp **out, char *err,
		 size_t err_cap);
/* An MTK message was accepted: packets held for it can go. */
void ued_srtp_keys_changed(struct ued_srtp *s);
/* Final counters in the log, outputs flushed and closed. NULL is fine. */
void ued_srtp_free(struct ued_srtp *s);

#endif
