/* Error code names and sentences. */
#include "mbmssec/error.h"

#include <stddef.h>

struct err_entry {
	int code;
	const char *name;
	const char *text;
};

static const struct err_entry err_table[] = {
	{MBMS_OK, "ok", "success"},
	{MBMS_EINVAL, "bad_input", "argument out of range"},
	{MBMS_ENOSPC, "no_space", "output buffer too small"},
	{MBMS_ENOMEM, "no_memory", "out of memory"},
	{MBMS_ECRYPTO, "crypto", "crypto backend failure"},
	{MBMS_EIO, "io", "input/output error"},
	{MBMS_ENOTFOUND, "not_found", "no such item"},
	{MBMS_EAUTH, "auth", "authentication failed"},
	{MBMS_ESYNC, "sync", "sequence number out of range (resynchronisation needed)"},
	{MBMS_EEXPIRED, "expired", "lifetime expired"},
	{MBMS_ESTATE, "state", "operation not allowed in this state"},
	{MBMS_ETRUNCATED, "truncated", "input ended inside a field"},
	{MBMS_ETRAILING, "trailing_data", "bytes after the last payload or inside a length-delimited field"},
	{MBMS_EVERSION, "bad_version", "HDR version is not 1"},
	{MBMS_EDATATYPE, "bad_data_type", "HDR data type not allowed here"},
	{MBMS_EPRF, "bad_prf", "HDR PRF is not 0 (MIKEY-1)"},
	{MBMS_ECSMAP, "bad_cs_map", "#CS is not 0 or CS ID map type is not 1 (empty map)"},
	{MBMS_EVFLAG, "bad_v_flag", "V flag set where the profile requires 0"},
	{MBMS_EUNKNOWNPAYLOAD, "unknown_payload", "payload type not known"},
	{MBMS_EUNEXPECTED, "unexpected_payload", "known payload type in a place the profile does not allow"},
	{MBMS_EMISSING, "missing_payload", "message ended before a payload the profile requires"},
	{MBMS_EEXT, "bad_ext", "EXT payload is not a Key ID extension (type 2)"},
	{MBMS_EKEYID, "bad_key_id", "key ID type or key ID length not allowed"},
	{MBMS_ELENGTH, "bad_length", "a length field holds a value that is not allowed"},
	{MBMS_ETSTYPE, "bad_ts_type", "T payload is not of type COUNTER"},
	{MBMS_EIDTYPE, "bad_id_type", "ID payload is not of type URI"},
	{MBMS_EALG, "bad_alg", "encryption / MAC / auth algorithm not allowed here"},
	{MBMS_EMAC, "bad_mac", "MAC verification failed"},
	{MBMS_EKEYDATA, "bad_key_data", "KEY sub-payload type/KV/next not as the profile requires"},
	{MBMS_ECSB, "csb_mismatch", "CSB ID differs from the MSK ID or the acknowledged message"},
	{MBMS_EKEYNUM0, "key_number_zero", "Key Number 0 names no real MSK"},
	{MBMS_ETRIGGER, "bad_trigger", "KEMAC without key data but Key Number is not 0"},
	{MBMS_ESPI, "spi_mismatch", "KEY SPI differs from MSK ID || MTK ID"},
	{MBMS_ETSMISMATCH, "ts_mismatch", "verification T differs from the acknowledged message"},
	{MBMS_EREPLAY, "replay", "TS counter not greater than the stored counter"},
	{MBMS_EUNKNOWNMSK, "unknown_msk", "MTK message for an MSK that is not held"},
	{MBMS_EMTKOLD, "mtk_id_not_newer", "MTK ID not newer than the current one"},
	{MBMS_EMTKRANGE, "mtk_id_out_of_range", "MTK ID outside the MSK's [VF, VT]"},
	{MBMS_EMUKID, "muk_id_mismatch", "IDi/IDr differ from the MUK ID"},
	{MBMS_ENOACKED, "no_acked_message", "a verification message needs the message it acknowledges"},
	{MBMS_ESYNTAX, "syntax", "malformed input text"},
};

static const struct err_entry *find(int err)
{
	for (size_t i = 0; i < sizeof(err_table) / sizeof(err_table[0]); i++)
		if (err_table[i].code == err)
			return &err_table[i];
	return NULL;
}

const char *mbms_strerror(int err)
{
	const struct err_entry *e = find(err);
	return e ? e->text : "unknown error";
}

const char *mbms_errname(int err)
{
	const struct err_entry *e = find(err);
	return e ? e->name : "unknown_error";
}
