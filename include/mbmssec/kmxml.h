/* mbmssec — the XML bodies of the key-management HTTP procedures
 * (PROFILE.md 7) and the service announcement (PROFILE.md 8), both
 * directions, plus the Content-Type classifier and the announcement's
 * back-off rule.
 *
 * Parsers run expat over at most MBMS_PROFILE_MAX_BODY bytes and fill
 * caller-provided structs with fixed arrays (nothing to free). They accept
 * only the documented elements, in the documented order, in the namespace
 * MBMS_PROFILE_XML_NS (default or prefixed), with insignificant whitespace
 * and comments between elements and an optional XML declaration (version
 * 1.0, encoding UTF-8 if named). Everything else is refused: DOCTYPE (so no
 * entity definitions), processing instructions, CDATA sections, attributes,
 * unknown or misplaced elements, text outside leaf elements, whitespace
 * around values. docs/http-bodies.md lists every rule and why.
 *
 * Return codes of every parser: 0; MBMS_EINVAL (NULL argument);
 * MBMS_ELENGTH (body over MBMS_PROFILE_MAX_BODY, more than
 * MBMS_KMXML_MAX_ITEMS items, a value longer than its limit); MBMS_ESYNTAX
 * (anything else that is not a valid body); MBMS_ENOMEM (expat could not
 * allocate). On error the output struct is zeroed.
 *
 * Writers produce `<?xml version="1.0" encoding="UTF-8"?>\n` and the root
 * element with xmlns, no whitespace between elements, text escaped
 * (& < > " '). They write a NUL after the body (not counted in *out_len).
 * Return codes: 0; MBMS_EINVAL (a field the parser would refuse);
 * MBMS_ENOSPC (out_cap too small, body + NUL); MBMS_ELENGTH (the body
 * would exceed MBMS_PROFILE_MAX_BODY, which our own parser refuses — only
 * possible with long service IDs full of '&' or '\'').
 */
#ifndef MBMSSEC_KMXML_H
#define MBMSSEC_KMXML_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "mbmssec/ids.h"
#include "mbmssec/profile.h"

#ifdef __cplusplus
extern "C" {
#endif

/* ---- limits (implementation limits, not from the profile) ---- */

/* Items per body: serviceId of a (de)registration, serviceResult, MSKID of
 * an MSK request, MSKResult; MSKID and session of an announcement. */
#define MBMS_KMXML_MAX_ITEMS 64
/* Longest serviceId (URI), in bytes, without the NUL. */
#define MBMS_KMXML_URI_MAX 255
/* Longest host name of a host[:port] value (RFC 1035 FQDN), without NUL. */
#define MBMS_KMXML_HOST_MAX 253
/* offsetTime and randomTimePeriod are at most one day, in seconds. */
#define MBMS_ANNOUNCEMENT_MAX_TIME 86400u

/* ---- media types (PROFILE.md 7, 8) ---- */
#define MBMS_MEDIA_TYPE_REGISTER "application/mbms-register+xml"
#define MBMS_MEDIA_TYPE_DEREGISTER "application/mbms-deregister+xml"
#define MBMS_MEDIA_TYPE_REGISTER_RESPONSE "application/mbms-register-response+xml"
#define MBMS_MEDIA_TYPE_MSK_REQUEST "application/mbms-msk+xml"
#define MBMS_MEDIA_TYPE_MSK_RESPONSE "application/mbms-msk-response+xml"
#define MBMS_MEDIA_TYPE_PROTECTION_DESCRIPTION "application/mbms-protection-description+xml"

enum mbms_km_body_kind {
	MBMS_KM_BODY_NONE = 0, /* absent or not one of ours: answer 415 */
	MBMS_KM_BODY_REGISTER,
	MBMS_KM_BODY_DEREGISTER,
	MBMS_KM_BODY_REGISTER_RESPONSE,
	MBMS_KM_BODY_MSK_REQUEST,
	MBMS_KM_BODY_MSK_RESPONSE,
	MBMS_KM_BODY_PROTECTION_DESCRIPTION,
};

/* Body kind of a Content-Type header value: type/subtype compared
 * case-insensitively (RFC 9110 8.3.1), surrounding blanks and any
 * ";parameters" ignored. NULL or anything else gives MBMS_KM_BODY_NONE. */
enum mbms_km_body_kind mbms_km_media_type_classify(const char *content_type);

/* The media type string of a kind, NULL for MBMS_KM_BODY_NONE. */
const char *mbms_km_media_type(enum mbms_km_body_kind kind);

/* ---- value checks shared by parsers and writers ---- */

/* Per-item status codes allowed inside a 200 (PROFILE.md 10.18):
 * 200, 400, 403, 404, 500, 503. */
bool mbms_km_status_allowed(unsigned status);

/* A serviceId: an absolute URI (RFC 3986 scheme ":" ...), 1 to
 * MBMS_KMXML_URI_MAX bytes of RFC 3986 characters, '%' followed by two
 * hex digits. 0, MBMS_ESYNTAX, or MBMS_ELENGTH when too long. */
int mbms_km_service_id_check(const char *uri, size_t len);

/* host[:port]: host is an RFC 1123 name (labels of letters, digits, '-';
 * an all-numeric last label must make a dotted-quad IPv4 address) or a
 * bracketed IPv6 address. port is 1..65535, 0 when absent. */
struct mbms_hostport {
	char host[MBMS_KMXML_HOST_MAX + 1]; /* without brackets */
	uint16_t port;
};

/* Parse s[0..len); port_required makes a missing port MBMS_ESYNTAX. */
int mbms_hostport_parse(const char *s, size_t len, bool port_required, struct mbms_hostport *out);

/* 0 when hp->host is a valid host name or IPv6 address, else MBMS_EINVAL. */
int mbms_hostport_check(const struct mbms_hostport *hp);

/* Format as host, [v6host], with ":port" when port != 0; NUL-terminated.
 * MBMS_EINVAL when hp->host is not valid, MBMS_ENOSPC when it does not fit. */
int mbms_hostport_format(const struct mbms_hostport *hp, char *out, size_t out_cap);

/* ---- PROFILE.md 7 bodies ---- */

/* mbmsUserServiceRegistration / mbmsUserServiceDeregistration:
 * <serviceId>URI</serviceId>, one or more. */
struct mbms_km_service_list {
	size_t count;
	char service_id[MBMS_KMXML_MAX_ITEMS][MBMS_KMXML_URI_MAX + 1];
};

/* mbmsRegistrationResponse: <serviceResult><serviceId/><status/></serviceResult>+ */
struct mbms_km_service_result {
	char service_id[MBMS_KMXML_URI_MAX + 1];
	uint16_t status;
};
struct mbms_km_register_response {
	size_t count;
	struct mbms_km_service_result item[MBMS_KMXML_MAX_ITEMS];
};

/* mbmsMSKRequest: one <keyDomainID> (3 bytes), then <MSKID>+ (4 bytes each,
 * Key Group || Key Number; Key Number 0 asks for the current MSK, 10.17). */
struct mbms_km_msk_request {
	uint8_t key_domain_id[MBMS_KEY_DOMAIN_ID_LEN];
	size_t count;
	uint32_t msk_id[MBMS_KMXML_MAX_ITEMS];
};

/* mbmsMSKResponse: <MSKResult><keyDomainID/><MSKID/><status/></MSKResult>+ */
struct mbms_km_msk_result {
	uint8_t key_domain_id[MBMS_KEY_DOMAIN_ID_LEN];
	uint32_t msk_id;
	uint16_t status;
};
struct mbms_km_msk_response {
	size_t count;
	struct mbms_km_msk_result item[MBMS_KMXML_MAX_ITEMS];
};

int mbms_km_register_parse(const char *body, size_t len, struct mbms_km_service_list *out);
int mbms_km_deregister_parse(const char *body, size_t len, struct mbms_km_service_list *out);
int mbms_km_register_response_parse(const char *body, size_t len,
				    struct mbms_km_register_response *out);
int mbms_km_msk_request_parse(const char *body, size_t len, struct mbms_km_msk_request *out);
int mbms_km_msk_response_parse(const char *body, size_t len, struct mbms_km_msk_response *out);

int mbms_km_register_write(const struct mbms_km_service_list *in, char *out, size_t out_cap,
			   size_t *out_len);
int mbms_km_deregister_write(const struct mbms_km_service_list *in, char *out, size_t out_cap,
			     size_t *out_len);
int mbms_km_register_response_write(const struct mbms_km_register_response *in, char *out,
				    size_t out_cap, size_t *out_len);
int mbms_km_msk_request_write(const struct mbms_km_msk_request *in, char *out, size_t out_cap,
			      size_t *out_len);
int mbms_km_msk_response_write(const struct mbms_km_msk_response *in, char *out, size_t out_cap,
			       size_t *out_len);

/* ---- PROFILE.md 8: the service announcement (<protectionDescription>) ----
 * Elements, in this order: serviceId, keyManagementServer (FQDN[:port]),
 * keyDomainID, confidentialityProtection, integrityProtection,
 * uiccKeyManagement (xs:boolean: true/false/1/0), MSKID (one or more),
 * session (zero or more: destination host:port, mtkPort, keyGroup),
 * offsetTime, randomTimePeriod (seconds, 0..MBMS_ANNOUNCEMENT_MAX_TIME).
 * Every session's keyGroup must be the Key Group of a listed MSKID. */
struct mbms_announcement_session {
	struct mbms_hostport destination; /* port required */
	uint16_t mtk_port;                /* 1..65535, normally MBMS_PROFILE_MTK_PORT */
	uint16_t key_group;
};

struct mbms_announcement {
	char service_id[MBMS_KMXML_URI_MAX + 1];
	struct mbms_hostport km_server; /* port 0: not given */
	uint8_t key_domain_id[MBMS_KEY_DOMAIN_ID_LEN];
	bool confidentiality;
	bool integrity;
	bool uicc_key_management;
	size_t msk_count;
	uint32_t msk_id[MBMS_KMXML_MAX_ITEMS];
	size_t session_count;
	struct mbms_announcement_session session[MBMS_KMXML_MAX_ITEMS];
	uint32_t offset_time;        /* seconds */
	uint32_t random_time_period; /* seconds */
};

/* Everything the parser enforces on the values (service ID, hosts, ports,
 * counts, times, session Key Groups among the MSKIDs): 0 or MBMS_EINVAL. */
int mbms_announcement_check(const struct mbms_announcement *a);

int mbms_announcement_parse(const char *body, size_t len, struct mbms_announcement *out);
int mbms_announcement_write(const struct mbms_announcement *in, char *out, size_t out_cap,
			    size_t *out_len);

/* Back-off before a key request (PROFILE.md 8). A request the network set
 * off (solicited pull, missed key update, retry after 503) waits
 * offset_time + a uniform time in [0, random_time_period] seconds; a request
 * made when the user activates the service goes out at once (*delay_ms = 0).
 * random_u32 is a caller-supplied uniform random 32-bit value (the library
 * has no random source of its own); it is mapped onto the whole
 * millisecond range [0, random_time_period * 1000], both ends included.
 * MBMS_EINVAL when a time exceeds MBMS_ANNOUNCEMENT_MAX_TIME. */
int mbms_announcement_backoff_ms(uint32_t offset_time, uint32_t random_time_period,
				 uint32_t random_u32, bool network_initiated, uint64_t *delay_ms);

#ifdef __cplusplus
}
#endif
#endif
