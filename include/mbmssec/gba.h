/* mbmssec — GBA bootstrapping over Ub (TS 33.220, TS 24.109; HTTP Digest AKA,
 * RFC 3310), GBA_ME only, both ends, without I/O.
 *
 * The UE side (struct mbms_gba_client) turns HTTP header values and bodies
 * into the next Authorization value and, in the end, Ks / B-TID / expiry.
 * The BSF side is a set of pure functions over a subscriber record: the
 * daemon keeps the records and the pending challenges (bsf/). Time is always
 * an argument (seconds since the Unix epoch, UTC); random bytes (RAND,
 * cnonce) come from the caller so that tests can fix them.
 *
 * The exchange (PROFILE.md 9, 10.15, 10.16):
 *   UE  GET /  Authorization: Digest username="IMPI", realm="BSF", nonce="", uri="/", response=""
 *   BSF 401    WWW-Authenticate: Digest realm="BSF", nonce=base64(RAND||AUTN), qop="auth-int",
 *              algorithm=AKAv1-MD5
 *   UE  GET /  Authorization: ... response=MD5 digest with password RES (qop=auth-int, empty body)
 *              [or empty password, + auts="base64(AUTS)" on an SQN failure]
 *   BSF 200    application/vnd.3gpp.bsf+xml <BootstrappingInfo>, Authentication-Info: rspauth=...
 */
#ifndef MBMSSEC_GBA_H
#define MBMSSEC_GBA_H

#include "mbmssec/ids.h"
#include "mbmssec/kdf.h"
#include "mbmssec/milenage.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* [STD TS 24.109 / TS 33.220] Ub constants. */
#define MBMS_GBA_UB_URI "/"
#define MBMS_GBA_UB_METHOD "GET"
#define MBMS_GBA_ALGORITHM "AKAv1-MD5"
#define MBMS_GBA_QOP "auth-int"
#define MBMS_GBA_UA_TOKEN "3gpp-gba" /* must appear in the UE's User-Agent */
#define MBMS_GBA_BSF_MEDIA_TYPE "application/vnd.3gpp.bsf+xml"
#define MBMS_GBA_BSF_XML_NS "uri:3gpp-gba"

/* Project-specific, NOT 3GPP: Zn is Diameter in operator networks; here it
 * is HTTP on a private interface (docs/bsf.md). */
#define MBMS_ZN_PATH "/zn/v1/bootstrap"
#define MBMS_ZN_MEDIA_TYPE "application/vnd.mbmssec.zn+xml"

/* Sizes, with room for the NUL. */
#define MBMS_GBA_IMPI_MAX 256 /* IMPI, NAI form */
#define MBMS_GBA_HOST_MAX 256 /* DNS name */
#define MBMS_GBA_BTID_MAX (24 + 1 + MBMS_GBA_HOST_MAX) /* base64(RAND) "@" host */
#define MBMS_GBA_NONCE_LEN 44 /* base64(RAND || AUTN), without NUL */
#define MBMS_GBA_AUTH_MAX 1024 /* an Authorization / WWW-Authenticate value */
#define MBMS_GBA_BODY_MAX (64 * 1024)
#define MBMS_XS_DATETIME_LEN 20 /* "YYYY-MM-DDThh:mm:ssZ", without NUL */

/* ---- xs:dateTime (UTC) and civil time, pure functions (gba_xml.c) ---- */

/* Days from 1970-01-01 to the proleptic Gregorian date y-m-d (m 1..12,
 * d 1..31); negative before 1970. No range check: see mbms_xs_datetime_parse. */
int64_t mbms_days_from_civil(int64_t y, unsigned m, unsigned d);
/* And back. */
void mbms_civil_from_days(int64_t days, int64_t *y, unsigned *m, unsigned *d);

/* "YYYY-MM-DDThh:mm:ssZ" for t (years up to 9999). */
int mbms_xs_datetime_format(uint64_t t, char out[MBMS_XS_DATETIME_LEN + 1]);

/* Parse an xs:dateTime with a time zone: YYYY-MM-DDThh:mm:ss[.frac](Z|(+|-)hh:mm),
 * years 1970..9999 (4 digits), real calendar dates, hh 00..23 (24:00:00 and
 * leap seconds are refused), fraction dropped, offset applied. A value
 * without a zone is MBMS_ESYNTAX: it names no instant. *t gets Unix seconds. */
int mbms_xs_datetime_parse(const char *s, size_t len, uint64_t *t);

/* ---- XML bodies (gba_xml.c; expat, no DOCTYPE, <= 64 KiB, unknown
 * elements, attributes other than xmlns, and trailing garbage refused) ---- */

/* <BootstrappingInfo xmlns="uri:3gpp-gba"><btid>..</btid><lifetime>..</lifetime></BootstrappingInfo> */
int mbms_gba_bootstrap_info_format(const char *btid, uint64_t expires_at, char *out,
				   size_t out_cap, size_t *out_len);
int mbms_gba_bootstrap_info_parse(const char *xml, size_t len, char btid[MBMS_GBA_BTID_MAX],
				  uint64_t *expires_at);

/* Project-specific Zn answer:
 * <ZnResponse><btid>..</btid><impi>..</impi><ksNaf>base64</ksNaf><lifetime>..</lifetime></ZnResponse> */
struct mbms_zn_response {
	char btid[MBMS_GBA_BTID_MAX];
	char impi[MBMS_GBA_IMPI_MAX];
	uint8_t ks_naf[MBMS_KS_NAF_LEN];
	uint64_t expires_at;
};
int mbms_zn_response_format(const struct mbms_zn_response *r, char *out, size_t out_cap,
			    size_t *out_len);
int mbms_zn_response_parse(const char *xml, size_t len, struct mbms_zn_response *r);

/* NAF_ID = NAF FQDN || Ua security protocol id (5 bytes), TS 33.220 4.5.2.
 * Split: fqdn gets the FQDN (NUL-terminated; a NUL byte inside or an empty
 * FQDN is MBMS_ESYNTAX), ua_id the last 5 bytes. */
int mbms_naf_id_split(const uint8_t *naf_id, size_t len, char *fqdn, size_t fqdn_cap,
		      uint8_t ua_id[MBMS_UA_ID_LEN]);

/* ---- the UE side (gba_client.c) ---- */

enum mbms_gba_client_state {
	MBMS_GBA_CLIENT_IDLE = 0,   /* nothing sent yet: call first_request */
	MBMS_GBA_CLIENT_WAIT_CHALLENGE, /* first request (or an AUTS answer) sent: expect 401 */
	MBMS_GBA_CLIENT_WAIT_RESULT,    /* RES answer sent: expect 200 */
	MBMS_GBA_CLIENT_FAILED,         /* network authentication failed (MAC-A) or bad answer */
	MBMS_GBA_CLIENT_DONE,           /* Ks, B-TID and expiry are held */
};

/* What the UE made of a challenge (mbms_gba_client_challenge). */
enum mbms_gba_answer {
	MBMS_GBA_ANSWER_RES = 0,     /* AUTN good: password = RES; expect 200 */
	MBMS_GBA_ANSWER_MAC_FAILURE, /* MAC-A wrong: empty password, no auts; give up */
	MBMS_GBA_ANSWER_SYNC_FAILURE,/* SQN not fresh: empty password + auts; expect a new 401 */
};

struct mbms_gba_client {
	enum mbms_gba_client_state state;
	char impi[MBMS_GBA_IMPI_MAX];
	char bsf_host[MBMS_GBA_HOST_MAX];
	uint8_t k[MBMS_MILENAGE_K_LEN];
	uint8_t opc[MBMS_MILENAGE_OP_LEN];
	struct mbms_sqn_ms sqn_ms; /* the USIM's SEQ_MS array: persist it between runs */
	/* the challenge being answered */
	uint8_t rand[MBMS_GBA_RAND_LEN];
	char realm[MBMS_GBA_HOST_MAX];  /* the BSF's name, from its challenge */
	char nonce[MBMS_GBA_NONCE_LEN + 1];
	char opaque[128];
	char cnonce[64];
	char ha1[33];               /* of the RES answer, to check rspauth */
	uint8_t ck[MBMS_MILENAGE_CK_LEN], ik[MBMS_MILENAGE_IK_LEN];
	unsigned challenges;        /* 401s taken in this run (AUTS loops are bounded) */
	/* the result */
	uint8_t ks[MBMS_KS_LEN];
	char btid[MBMS_GBA_BTID_MAX];
	uint64_t expires_at;
	bool rspauth_checked;       /* the 200 carried Authentication-Info and it matched */
};

/* impi and bsf_host are copied (MBMS_EINVAL when empty or too long). sqn_ms
 * may be NULL for a fresh USIM (all SEQ_MS zero). bsf_host only fills the
 * realm of the first request (TS 24.109: the BSF's domain name); later the
 * realm of the BSF's challenge is used, and the B-TID must name that realm. */
int mbms_gba_client_init(struct mbms_gba_client *c, const char *impi,
			 const uint8_t k[MBMS_MILENAGE_K_LEN],
			 const uint8_t opc[MBMS_MILENAGE_OP_LEN], const char *bsf_host,
			 const struct mbms_sqn_ms *sqn_ms);

/* Wipe every secret (K, OPc, CK, IK, Ks, HA1) and reset the state. */
void mbms_gba_client_wipe(struct mbms_gba_client *c);

/* The first Ub request's Authorization value (PROFILE.md 10.15). Starts a
 * new run from any state (a previous result is dropped). */
int mbms_gba_client_first_request(struct mbms_gba_client *c, char *authz, size_t authz_cap);

/* Take a 401's WWW-Authenticate value and write the answer's Authorization.
 * cnonce: a fresh client nonce string (e.g. 16 hex digits of random bytes).
 * Returns 0 with *answer set when an answer was built (send it in all three
 * cases); MBMS_ESYNTAX for a header that is not a Digest AKA challenge
 * (algorithm must be AKAv1-MD5, qop must offer auth-int, nonce must decode
 * to 32 bytes), MBMS_ESTATE when no challenge was expected, MBMS_ESYNC after
 * too many challenges in one run (a BSF that never accepts our AUTS).
 * On a MAC-A failure the state becomes FAILED after the answer is built. */
int mbms_gba_client_challenge(struct mbms_gba_client *c, const char *www_auth, size_t len,
			      const char *cnonce, char *authz, size_t authz_cap,
			      enum mbms_gba_answer *answer);

/* Take the 200: its Authentication-Info value (NULL when absent) and body.
 * Checks rspauth when present (MBMS_EAUTH when wrong), parses the body
 * (MBMS_ESYNTAX), checks that the B-TID's RAND is the challenge's RAND and
 * the B-TID's host the challenge's realm (MBMS_EAUTH), and that the lifetime is after
 * now (MBMS_EEXPIRED). On success the state is DONE and Ks, btid,
 * expires_at are held. */
int mbms_gba_client_result(struct mbms_gba_client *c, const char *auth_info, size_t ai_len,
			   const uint8_t *body, size_t body_len, uint64_t now);

/* Ks_NAF for a NAF FQDN with the MBMS Ua id (TS 33.220 4.5.2, Annex B).
 * MBMS_ESTATE before a bootstrap, MBMS_EEXPIRED once now >= expires_at. */
int mbms_gba_client_ks_naf(const struct mbms_gba_client *c, const char *naf_fqdn, uint64_t now,
			   uint8_t out[MBMS_KS_NAF_LEN]);

/* The USIM SQN state as text, for a file: 32 lines "IND SEQ" in decimal.
 * Parsing accepts exactly that (lines in any order, each IND once at most,
 * missing INDs zero, SEQ < 2^43). */
#define MBMS_SQN_STATE_TEXT_MAX (MBMS_SQN_IND_COUNT * 24)
int mbms_sqn_state_format(const struct mbms_sqn_ms *st, char *out, size_t out_cap);
int mbms_sqn_state_parse(const char *text, size_t len, struct mbms_sqn_ms *st);

/* ---- the BSF side (gba_server.c) ---- */

struct mbms_gba_subscriber {
	char impi[MBMS_GBA_IMPI_MAX];
	uint8_t k[MBMS_MILENAGE_K_LEN];
	uint8_t opc[MBMS_MILENAGE_OP_LEN];
	uint8_t amf[MBMS_MILENAGE_AMF_LEN];
	uint64_t sqn; /* the last SQN the network used (48 bits) */
};

/* One challenge: what the BSF must remember until the answer comes. */
struct mbms_gba_challenge {
	uint8_t rand[MBMS_GBA_RAND_LEN];
	uint64_t sqn; /* the SQN inside AUTN: store it as the subscriber's new SQN */
	uint8_t xres[MBMS_MILENAGE_RES_LEN];
	uint8_t ck[MBMS_MILENAGE_CK_LEN];
	uint8_t ik[MBMS_MILENAGE_IK_LEN];
	char nonce[MBMS_GBA_NONCE_LEN + 1];
};

/* The fields of a Ub Authorization value the BSF needs (copied out). */
struct mbms_gba_authz {
	char impi[MBMS_GBA_IMPI_MAX];
	char realm[MBMS_GBA_HOST_MAX];
	char nonce[MBMS_GBA_NONCE_LEN + 1];
	char uri[256];
	char response[33];
	char cnonce[64];
	char nc[9];
	char qop[16];
	char auts[32];
	bool initial; /* nonce="" : the first request, asking for a challenge */
	bool has_auts;
};

/* Parse an Authorization value of a Ub request. MBMS_ESYNTAX when it is not
 * Digest, lacks username, or a field is too long; an answer (non-empty
 * nonce) must carry response, uri, qop, nc and cnonce and a nonce of 44
 * characters, and its algorithm, when given, must be AKAv1-MD5. */
int mbms_gba_server_parse_authz(const char *hdr, size_t len, struct mbms_gba_authz *out);

/* RAND out of a challenge nonce (base64(RAND || AUTN)), to find the pending
 * challenge. MBMS_ESYNTAX when not 32 bytes of base64. */
int mbms_gba_nonce_rand(const char *nonce, uint8_t rand[MBMS_GBA_RAND_LEN]);

/* A new challenge for sub with the caller's fresh RAND: SQN = mbms_sqn_next(sub->sqn),
 * AUTN, XRES, CK, IK, the nonce, and the WWW-Authenticate value with
 * realm = bsf_host, qop="auth-int", algorithm=AKAv1-MD5. The caller stores
 * ch->sqn as the subscriber's SQN before it sends the 401. */
int mbms_gba_server_challenge(const char *bsf_host, const struct mbms_gba_subscriber *sub,
			      const uint8_t rand[MBMS_GBA_RAND_LEN], struct mbms_gba_challenge *ch,
			      char *www_auth, size_t www_auth_cap);

enum mbms_gba_verdict {
	MBMS_GBA_VERDICT_OK = 0,      /* response made with XRES: bootstrap */
	MBMS_GBA_VERDICT_RESYNC,      /* valid AUTS: set SQN to *sqn_ms, challenge again */
	MBMS_GBA_VERDICT_BAD_AUTS,    /* AUTS with a wrong MAC-S (or malformed) */
	MBMS_GBA_VERDICT_UE_MAC_FAIL, /* the UE rejected our AUTN (digest over an empty password) */
	MBMS_GBA_VERDICT_BAD_RES,     /* wrong response: nothing is stored */
};

/* Check an answer to ch (method, uri and body of the HTTP request it came
 * in). Returns 0 with VERDICT_OK, MBMS_ESYNC with VERDICT_RESYNC and
 * *sqn_ms (48-bit SQN_MS), MBMS_EAUTH with one of the failure verdicts,
 * MBMS_ESYNTAX when the answer does not fit the challenge (other nonce,
 * realm, uri, qop not auth-int). The response is compared in constant time. */
int mbms_gba_server_verify(const char *bsf_host, const struct mbms_gba_subscriber *sub,
			   const struct mbms_gba_challenge *ch, const struct mbms_gba_authz *a,
			   const char *method, const char *uri, const uint8_t *body,
			   size_t body_len, enum mbms_gba_verdict *verdict, uint64_t *sqn_ms);

/* After VERDICT_OK: the B-TID, Ks = CK || IK, the 200 body (XML, expiry
 * expires_at) and the Authentication-Info value with rspauth over that body. */
struct mbms_gba_bootstrap {
	char btid[MBMS_GBA_BTID_MAX];
	char impi[MBMS_GBA_IMPI_MAX];
	uint8_t rand[MBMS_GBA_RAND_LEN];
	uint8_t ks[MBMS_KS_LEN];
	uint64_t expires_at;
};
int mbms_gba_server_success(const char *bsf_host, const struct mbms_gba_subscriber *sub,
			    const struct mbms_gba_challenge *ch, const struct mbms_gba_authz *a,
			    uint64_t expires_at, struct mbms_gba_bootstrap *bs, char *body,
			    size_t body_cap, size_t *body_len, char *auth_info, size_t ai_cap);

/* Ks_NAF of a stored bootstrap for a NAF_ID (FQDN || Ua id), the BSF's Zn
 * answer. MBMS_EEXPIRED once now >= bs->expires_at. */
int mbms_gba_bootstrap_ks_naf(const struct mbms_gba_bootstrap *bs, const char *naf_fqdn,
			      const uint8_t ua_id[MBMS_UA_ID_LEN], uint64_t now,
			      uint8_t out[MBMS_KS_NAF_LEN]);

#ifdef __cplusplus
}
#endif
#endif
