/* mbmssec — error codes shared by every layer of the library.
 *
 * Every library call returns 0 on success or a negative MBMS_E* code.
 * The MIKEY reason codes mirror tests/vectors/independent_cases.json
 * (conventions.error_codes) so that a test can compare our reason with the
 * reference implementation's by name: mbms_errname() returns that name.
 */
#ifndef MBMSSEC_ERROR_H
#define MBMSSEC_ERROR_H

#ifdef __cplusplus
extern "C" {
#endif

enum mbms_err {
	MBMS_OK = 0,
	/* generic */
	MBMS_EINVAL = -1,          /* "bad_input": argument out of range */
	MBMS_ENOSPC = -2,          /* output buffer too small */
	MBMS_ENOMEM = -3,          /* allocation failed */
	MBMS_ECRYPTO = -4,         /* the crypto backend failed */
	MBMS_EIO = -5,             /* I/O failed (daemons, tools; never the library core) */
	MBMS_ENOTFOUND = -6,       /* no such item */
	MBMS_EAUTH = -7,           /* authentication failed (digest, AUTN MAC-A) */
	MBMS_ESYNC = -8,           /* AKA sequence number out of range: resynchronise */
	MBMS_EEXPIRED = -9,        /* key or bootstrap lifetime over */
	MBMS_ESTATE = -10,         /* call not allowed in this state */

	/* codec / MIKEY reasons (names as in conventions.error_codes) */
	MBMS_ETRUNCATED = -20,     /* truncated */
	MBMS_ETRAILING = -21,      /* trailing_data */
	MBMS_EVERSION = -22,       /* bad_version */
	MBMS_EDATATYPE = -23,      /* bad_data_type */
	MBMS_EPRF = -24,           /* bad_prf */
	MBMS_ECSMAP = -25,         /* bad_cs_map */
	MBMS_EVFLAG = -26,         /* bad_v_flag */
	MBMS_EUNKNOWNPAYLOAD = -27,/* unknown_payload */
	MBMS_EUNEXPECTED = -28,    /* unexpected_payload */
	MBMS_EMISSING = -29,       /* missing_payload */
	MBMS_EEXT = -30,           /* bad_ext */
	MBMS_EKEYID = -31,         /* bad_key_id */
	MBMS_ELENGTH = -32,        /* bad_length */
	MBMS_ETSTYPE = -33,        /* bad_ts_type */
	MBMS_EIDTYPE = -34,        /* bad_id_type */
	MBMS_EALG = -35,           /* bad_alg */
	MBMS_EMAC = -36,           /* bad_mac */
	MBMS_EKEYDATA = -37,       /* bad_key_data */
	MBMS_ECSB = -38,           /* csb_mismatch */
	MBMS_EKEYNUM0 = -39,       /* key_number_zero */
	MBMS_ETRIGGER = -40,       /* bad_trigger */
	MBMS_ESPI = -41,           /* spi_mismatch */
	MBMS_ETSMISMATCH = -42,    /* ts_mismatch */
	MBMS_EREPLAY = -43,        /* replay */
	MBMS_EUNKNOWNMSK = -44,    /* unknown_msk */
	MBMS_EMTKOLD = -45,        /* mtk_id_not_newer */
	MBMS_EMTKRANGE = -46,      /* mtk_id_out_of_range */
	MBMS_EMUKID = -47,         /* muk_id_mismatch */
	MBMS_ENOACKED = -48,       /* no_acked_message */
	MBMS_ESYNTAX = -49,        /* malformed text input (hex, base64, XML, header) */

	MBMS_ERR_MIN_ = -50
};

/* Human-readable sentence for an error code. Never NULL. */
const char *mbms_strerror(int err);

/* Short stable reason name ("truncated", "bad_mac", ...). Never NULL. */
const char *mbms_errname(int err);

#ifdef __cplusplus
}
#endif
#endif
