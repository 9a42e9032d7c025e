/* Daemon support: the event trace, one JSON object per line (docs/trace.md).
 *
 * A daemon started with `--trace FILE` (or `trace = FILE` in its config)
 * writes one line per message it sends, receives or drops: when, from which
 * actor to which, over what, what it was, how it ended, and the key IDs it
 * concerned. `mbmssec trace FILE... --svg out.svg` draws the sequence
 * diagram of what really happened from one or more such files.
 *
 * Using it from a daemon (bsfd, bmscd, mbms-ue):
 *
 *     // start-up: --trace wins over the config key; no trace when both absent
 *     char path[4096], err[512];
 *     if (mbmsd_trace_config_path(config, "bmsc", path, sizeof(path), err, sizeof(err)) ||
 *         ((cli_trace || *path) && mbmsd_trace_open(cli_trace ? cli_trace : path, err,
 *                                                   sizeof(err))))
 *             fail(err);
 *     ...
 *     // one statement per event; unnamed fields are zero = absent
 *     mbmsd_trace(.from = bmsc, .to = ue, .proto = MBMSD_TRACE_MIKEY,
 *                 .msg = "MSK message", .result = "sent",
 *                 .key_domain = kd, MBMSD_TRACE_MSK(msk_id));
 *     mbmsd_trace(.from = ue, .to = bmsc, .proto = MBMSD_TRACE_HTTP,
 *                 .msg = "POST register", .code = 200);
 *     ...
 *     mbmsd_trace_close();   // at exit
 *
 * Actor names: a role word, then the instance, so several UEs (or BM-SCs)
 * make several lifelines and the diagram can order them UE | BM-SC | BSF:
 * "UE <IMPI>", "BM-SC <its NAF FQDN>", "BSF" (mbmsd_trace_actor builds them).
 * A peer whose identity is not known yet is named by its IP address
 * ("UE 192.0.2.7"). Each message is traced once: an HTTP exchange by the
 * server (request and answer), a UDP message by its sender; a receiver that
 * drops or rejects a message traces that as a self-message ("MSK message",
 * result "rejected: bad_mac").
 *
 * Keys never go into a trace. The event has no field that takes bytes of
 * any length: key IDs have fixed types (3-byte Key Domain ID, 32-bit MSK ID,
 * 16-bit MTK ID), everything else is text. As a last guard, a text field
 * holding 32 or more hex digits in a row (a 128-bit key written in hex) is
 * written as "[redacted]".
 *
 * Thread-safe. Each event is one write() of one whole line on a descriptor
 * opened with O_APPEND, so several processes may share one file; there is
 * no buffering to flush. Without an open trace, mbmsd_trace_event() returns
 * at once.
 */
#ifndef MBMSD_TRACE_H
#define MBMSD_TRACE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* proto values (any short text is allowed; these are the ones the diagram
 * colours) */
#define MBMSD_TRACE_HTTP "HTTP"
#define MBMSD_TRACE_MIKEY "UDP/MIKEY"
#define MBMSD_TRACE_UB "Ub"
#define MBMSD_TRACE_ZN "Zn"

/* actor role words */
#define MBMSD_TRACE_UE "UE"
#define MBMSD_TRACE_BMSC "BM-SC"
#define MBMSD_TRACE_BSF "BSF"

#define MBMSD_TRACE_ACTOR_MAX 320
#define MBMSD_TRACE_KEY_DOMAIN_LEN 3 /* = MBMS_KEY_DOMAIN_ID_LEN */

struct mbmsd_trace_ev {
	const char *from;        /* actor names (required) */
	const char *to;          /* == from: a self-message (a local decision) */
	const char *proto;       /* MBMSD_TRACE_* */
	const char *msg;         /* "GET / (Ub)", "401 Digest AKA challenge", "MSK message" */
	unsigned code;           /* HTTP status; 0: none, then result is the status */
	const char *result;      /* "ok", "sent", "dropped", "rejected: bad_mac"; NULL: none */
	/* key IDs, never keys */
	const uint8_t *key_domain; /* MBMSD_TRACE_KEY_DOMAIN_LEN bytes, or NULL */
	bool has_msk_id;
	uint32_t msk_id;
	bool has_mtk_id;
	uint16_t mtk_id;
	const char *btid;        /* NULL: none */
	const char *note;        /* short free text for people; NULL: none */
};

/* Open (create with mode 0600, append) the trace file; a trace open
 * already is closed first. 0, or -1 with a message in err. Warns through
 * the log when an existing file is readable by group or others. */
int mbmsd_trace_open(const char *path, char *err, size_t err_cap);
void mbmsd_trace_close(void);
bool mbmsd_trace_on(void);

/* Write one event (see the struct); a no-op without an open trace. Fields
 * are truncated to 512 bytes; invalid UTF-8 becomes U+FFFD. A failed
 * write is logged once and the event lost: tracing never stops a daemon. */
void mbmsd_trace_event(const struct mbmsd_trace_ev *ev);

/* The one-statement form: mbmsd_trace(.from = a, .to = b, .msg = "x"); */
#define mbmsd_trace(...) mbmsd_trace_event(&(const struct mbmsd_trace_ev){__VA_ARGS__})
#define MBMSD_TRACE_MSK(id) .has_msk_id = true, .msk_id = (id)
#define MBMSD_TRACE_MTK(id) .has_mtk_id = true, .mtk_id = (id)

/* "<role> <instance>" (instance NULL or "": the role alone) into out,
 * truncated to cap. Returns out. */
const char *mbmsd_trace_actor(char *out, size_t cap, const char *role, const char *instance);

/* The `trace` key of [section] in a daemon's configuration file, as a path
 * (relative paths are taken relative to the file's directory); "" when the
 * key is absent. 0, or -1 with a message in err. */
int mbmsd_trace_config_path(const char *config_path, const char *section, char *out,
			    size_t out_cap, char *err, size_t err_cap);

#endif
