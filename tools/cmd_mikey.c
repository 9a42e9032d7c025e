/* mbmssec mikey: build, parse and verify the MBMS MIKEY messages of
 * PROFILE.md 5 and 10 (MSK message, solicited-pull trigger, verification
 * message, MTK message) on the command line, for interop debugging.
 *
 * Builders write the raw message to --out; `parse` prints one JSON object.
 * Keys are printed only by `parse --key` (its `key` and `salt` fields), which
 * is what that command is for. */
#include "cli.h"

#include "mbmssec/crypto.h"
#include "mbmssec/error.h"
#include "mbmssec/ids.h"
#include "mbmssec/mbms_msg.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define N(a) (sizeof(a) / sizeof((a)[0]))

/* A MIKEY message travels in one UDP datagram: nothing we read is larger. */
#define MAX_FILE_LEN 65536

/* Longest inkey `parse --key` takes (the MUK is 32 bytes, the MSK 16). */
#define MAX_INKEY_LEN 64

/* ---- files ---- */

/* Read a whole message file into *buf (malloc'd, caller frees). Prints the
 * reason and returns -1 on failure. */
static int read_msg_file(const char *cmd, const char *path, uint8_t **buf, size_t *len)
{
	FILE *f = fopen(path, "rb");
	if (!f) {
		fprintf(stderr, "mbmssec mikey %s: cannot open %s: %s\n", cmd, path, strerror(errno));
		return -1;
	}
	uint8_t *b = malloc(MAX_FILE_LEN + 1);
	if (!b) {
		fclose(f);
		fprintf(stderr, "mbmssec mikey %s: out of memory\n", cmd);
		return -1;
	}
	size_t n = fread(b, 1, MAX_FILE_LEN + 1, f);
	int err = ferror(f) ? errno : 0;
	fclose(f);
	if (err) {
		fprintf(stderr, "mbmssec mikey %s: cannot read %s: %s\n", cmd, path, strerror(err));
		free(b);
		return -1;
	}
	if (n > MAX_FILE_LEN) {
		fprintf(stderr, "mbmssec mikey %s: %s: larger than %d bytes, not one MIKEY message\n",
			cmd, path, MAX_FILE_LEN);
		free(b);
		return -1;
	}
	*buf = b;
	*len = n;
	return 0;
}

/* Write buf to path through a temporary file in the same directory and a
 * rename, so that a reader never sees half a message. Prints the reason and
 * returns -1 on failure. */
static int write_msg_file(const char *cmd, const char *path, const uint8_t *buf, size_t len)
{
	size_t plen = strlen(path);
	char *tmp = malloc(plen + 32);
	if (!tmp) {
		fprintf(stderr, "mbmssec mikey %s: out of memory\n", cmd);
		return -1;
	}
	snprintf(tmp, plen + 32, "%s.tmp.%ld", path, (long)getpid());
	int fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_EXCL, 0666);
	int err = 0;
	if (fd < 0) {
		err = errno;
	} else {
		size_t done = 0;
		while (done < len && !err) {
			ssize_t w = write(fd, buf + done, len - done);
			if (w < 0 && errno != EINTR)
				err = errno;
			else if (w > 0)
				done += (size_t)w;
		}
		if (close(fd) != 0 && !err)
			err = errno;
		if (!err && rename(tmp, path) != 0)
			err = errno;
		if (err)
			unlink(tmp);
	}
	free(tmp);
	if (err) {
		fprintf(stderr, "mbmssec mikey %s: cannot write %s: %s\n", cmd, path, strerror(err));
		return -1;
	}
	return 0;
}

/* The end of every build-* command: the builder's result err, then the
 * message written to path. The exit code: 0, or 1 with the reason printed. */
static int finish_build(const char *cmd, int err, const char *path, const uint8_t *buf,
			size_t len)
{
	if (err) {
		fprintf(stderr, "mbmssec %s: cannot build the message: %s (%s)\n", cmd,
			mbms_errname(err), mbms_strerror(err));
		return 1;
	}
	return write_msg_file(cmd, path, buf, len) ? 1 : 0;
}

/* ---- JSON output: one object on one line ---- */

struct json {
	bool first;
};

static void j_name(struct json *j, const char *name)
{
	printf("%s\"%s\":", j->first ? "" : ",", name);
	j->first = false;
}

static void j_uint(struct json *j, const char *name, uint64_t v)
{
	j_name(j, name);
	printf("%llu", (unsigned long long)v);
}

static void j_bool(struct json *j, const char *name, bool v)
{
	j_name(j, name);
	fputs(v ? "true" : "false", stdout);
}

static void j_null(struct json *j, const char *name)
{
	j_name(j, name);
	fputs("null", stdout);
}

static void j_str(struct json *j, const char *name, const char *s)
{
	j_name(j, name);
	printf("\"%s\"", s); /* only for our own fixed words */
}

static void j_hex(struct json *j, const char *name, const uint8_t *buf, size_t len)
{
	j_name(j, name);
	putchar('"');
	for (size_t i = 0; i < len; i++)
		printf("%02x", buf[i]);
	putchar('"');
}

static void j_hex32(struct json *j, const char *name, uint32_t v)
{
	uint8_t b[4];
	mbms_put_be32(b, v);
	j_hex(j, name, b, sizeof(b));
}

/* Identity bytes as a JSON string: printable ASCII as it is, '"' and '\'
 * escaped, every other byte as \u00XX (so any byte string gives valid JSON;
 * the exact bytes are in the matching *_hex field). */
static void j_bytes_str(struct json *j, const char *name, const uint8_t *buf, size_t len)
{
	j_name(j, name);
	putchar('"');
	for (size_t i = 0; i < len; i++) {
		uint8_t c = buf[i];
		if (c == '"' || c == '\\')
			printf("\\%c", c);
		else if (c >= 0x20 && c < 0x7f)
			putchar(c);
		else
			printf("\\u%04x", c);
	}
	putchar('"');
}

/* ---- build-msk / build-trigger (PROFILE.md 5.2, 5.3, 10.3) ---- */

static const char build_msk_help[] =
	"usage: mbmssec mikey build-msk --muk HEX --key-domain HEX --msk-id HEX --msk HEX\n"
	"         --ts N --rand HEX --idi STR --idr STR --vf N --vt N [--v] --out FILE\n"
	"\n"
	"Writes a MIKEY MSK message (PROFILE.md 5.2) to FILE: HDR, EXT(MSK key ID), T,\n"
	"RAND, IDi, IDr, KEMAC with the MSK in a TGK KEY (AES-CM-128, HMAC-SHA-1-160).\n"
	"  --muk HEX         MUK, the inkey, 32 bytes\n"
	"  --key-domain HEX  Key Domain ID, 3 bytes\n"
	"  --msk-id HEX      MSK ID (Key Group || Key Number), 4 bytes, Key Number not 0\n"
	"  --msk HEX         the MSK, 16 bytes\n"
	"  --ts N            TS counter (per MUK), 0..4294967295\n"
	"  --rand HEX        RAND, 16 bytes\n"
	"  --idi STR         IDi, the BM-SC FQDN\n"
	"  --idr STR         IDr, the UE's B-TID\n"
	"  --vf N, --vt N    lowest / highest MTK ID the MSK is valid for, 0..65535\n"
	"  --v               set the V flag: ask for a verification message\n"
	"  --out FILE        where to write the message\n";

static const char build_trigger_help[] =
	"usage: mbmssec mikey build-trigger --muk HEX --key-domain HEX --msk-id HEX --ts N\n"
	"         --rand HEX --idi STR --idr STR [--v] --out FILE\n"
	"\n"
	"Writes a solicited-pull trigger (PROFILE.md 5.3, 10.3) to FILE: shaped like an\n"
	"MSK message, with Key Number 0 and a KEMAC without key data (MAC only).\n"
	"  --muk HEX         MUK, the inkey, 32 bytes\n"
	"  --key-domain HEX  Key Domain ID, 3 bytes\n"
	"  --msk-id HEX      MSK ID, 4 bytes, Key Number (last 2 bytes) must be 0\n"
	"  --ts N            TS counter (per MUK), 0..4294967295\n"
	"  --rand HEX        RAND, 16 bytes\n"
	"  --idi STR         IDi, the BM-SC FQDN\n"
	"  --idr STR         IDr, the UE's B-TID\n"
	"  --v               set the V flag: ask for a verification message\n"
	"  --out FILE        where to write the message\n";

/* An ID option: a non-empty string the key store can hold. */
static int id_opt(const char *cmd, const struct cli_opt *o, size_t n, const char *name,
		  const char **out, size_t *len)
{
	if (cli_str_opt(cmd, o, n, name, out))
		return -1;
	*len = strlen(*out);
	if (*len > MBMS_MSG_MAX_ID_LEN) {
		cli_usage_error(cmd, "--%s: at most %d bytes, got %zu", name, MBMS_MSG_MAX_ID_LEN,
				*len);
		return -1;
	}
	return 0;
}

static int build_muk_msg(int argc, char **argv, bool trigger)
{
	const char *cmd = trigger ? "mikey build-trigger" : "mikey build-msk";
	struct cli_opt o[] = {{"muk", true, NULL},   {"key-domain", true, NULL},
			      {"msk-id", true, NULL}, {"ts", true, NULL},
			      {"rand", true, NULL},   {"idi", true, NULL},
			      {"idr", true, NULL},    {"v", false, NULL},
			      {"out", true, NULL},    {"msk", true, NULL},
			      {"vf", true, NULL},     {"vt", true, NULL}};
	size_t no = trigger ? N(o) - 3 : N(o); /* the trigger carries no key */
	bool help;
	if (cli_parse(cmd, argc, argv, o, no, NULL, 0, NULL, &help))
		return CLI_EXIT_USAGE;
	if (help) {
		fputs(trigger ? build_trigger_help : build_msk_help, stdout);
		return 0;
	}
	uint8_t muk[MBMS_MUK_LEN], msk[MBMS_MSK_LEN], msk_id[MBMS_MSK_ID_LEN];
	uint8_t out[MBMS_MSG_MAX_LEN];
	uint64_t ts = 0, vf = 0, vt = 0;
	const char *idi = NULL, *idr = NULL, *path = NULL;
	size_t idi_len = 0, idr_len = 0, out_len = 0;
	struct mbms_msk_msg_in in = {0};
	int rc = CLI_EXIT_USAGE;

	if (cli_hex_opt(cmd, o, no, "muk", muk, sizeof(muk), 0, NULL) ||
	    cli_hex_opt(cmd, o, no, "key-domain", in.key_domain_id, sizeof(in.key_domain_id), 0,
			NULL) ||
	    cli_hex_opt(cmd, o, no, "msk-id", msk_id, sizeof(msk_id), 0, NULL))
		goto out;
	in.msk_id = mbms_get_be32(msk_id);
	if (trigger && mbms_msk_id_key_number(in.msk_id) != 0) {
		cli_usage_error(cmd, "--msk-id: a trigger needs Key Number 0 (the current MSK), "
				     "got %04x",
				mbms_msk_id_key_number(in.msk_id));
		goto out;
	}
	if (!trigger && mbms_msk_id_key_number(in.msk_id) == 0) {
		cli_usage_error(cmd, "--msk-id: Key Number 0 names no real MSK (PROFILE.md 3); "
				     "use build-trigger for a solicited pull");
		goto out;
	}
	if ((!trigger && cli_hex_opt(cmd, o, no, "msk", msk, sizeof(msk), 0, NULL)) ||
	    cli_uint_opt(cmd, o, no, "ts", UINT32_MAX, &ts) ||
	    cli_hex_opt(cmd, o, no, "rand", in.rand, sizeof(in.rand), 0, NULL) ||
	    id_opt(cmd, o, no, "idi", &idi, &idi_len) || id_opt(cmd, o, no, "idr", &idr, &idr_len) ||
	    (!trigger && (cli_uint_opt(cmd, o, no, "vf", UINT16_MAX, &vf) ||
			  cli_uint_opt(cmd, o, no, "vt", UINT16_MAX, &vt))) ||
	    cli_str_opt(cmd, o, no, "out", &path))
		goto out;

	in.muk = muk;
	in.muk_len = sizeof(muk);
	in.ts_counter = (uint32_t)ts;
	in.idi = (const uint8_t *)idi;
	in.idi_len = idi_len;
	in.idr = (const uint8_t *)idr;
	in.idr_len = idr_len;
	in.v_flag = cli_get(o, no, "v") != NULL;
	if (!trigger) {
		in.msk = msk;
		in.vf = (uint16_t)vf;
		in.vt = (uint16_t)vt;
	}
	int err = trigger ? mbms_trigger_build(&in, out, sizeof(out), &out_len)
			  : mbms_msk_msg_build(&in, out, sizeof(out), &out_len);
	rc = finish_build(cmd, err, path, out, out_len);
out:
	mbms_wipe(muk, sizeof(muk));
	mbms_wipe(msk, sizeof(msk));
	mbms_wipe(&in, sizeof(in));
	return rc;
}

/* ---- build-mtk (PROFILE.md 5.5, 10.4) ---- */

static const char build_mtk_help[] =
	"usage: mbmssec mikey build-mtk --msk HEX --key-domain HEX --msk-id HEX --mtk-id N\n"
	"         --mtk HEX --salt HEX --ts N --rand HEX --out FILE\n"
	"\n"
	"Writes a MIKEY MTK message (PROFILE.md 5.5) to FILE: HDR, EXT(MTK key ID), T,\n"
	"RAND, KEMAC with MTK and salt in a TEK+SALT KEY whose SPI is MSK ID || MTK ID.\n"
	"  --msk HEX         the MSK, the inkey, 16 bytes\n"
	"  --key-domain HEX  Key Domain ID, 3 bytes\n"
	"  --msk-id HEX      MSK ID, 4 bytes, Key Number not 0\n"
	"  --mtk-id N        MTK ID, 0..65535\n"
	"  --mtk HEX         the MTK (SRTP master key), 16 bytes\n"
	"  --salt HEX        the MTK salt (SRTP master salt), 14 bytes\n"
	"  --ts N            TS counter (per MSK), 0..4294967295\n"
	"  --rand HEX        RAND, 16 bytes\n"
	"  --out FILE        where to write the message\n";

static int build_mtk(int argc, char **argv)
{
	const char *cmd = "mikey build-mtk";
	struct cli_opt o[] = {{"msk", true, NULL},  {"key-domain", true, NULL},
			      {"msk-id", true, NULL}, {"mtk-id", true, NULL},
			      {"mtk", true, NULL},  {"salt", true, NULL},
			      {"ts", true, NULL},   {"rand", true, NULL},
			      {"out", true, NULL}};
	bool help;
	if (cli_parse(cmd, argc, argv, o, N(o), NULL, 0, NULL, &help))
		return CLI_EXIT_USAGE;
	if (help) {
		fputs(build_mtk_help, stdout);
		return 0;
	}
	uint8_t msk[MBMS_MSK_LEN], mtk[MBMS_MTK_LEN], salt[MBMS_MTK_SALT_LEN];
	uint8_t msk_id[MBMS_MSK_ID_LEN], out[MBMS_MSG_MAX_LEN];
	uint64_t mtk_id = 0, ts = 0;
	const char *path = NULL;
	size_t out_len = 0;
	struct mbms_mtk_msg_in in = {0};
	int rc = CLI_EXIT_USAGE;

	if (cli_hex_opt(cmd, o, N(o), "msk", msk, sizeof(msk), 0, NULL) ||
	    cli_hex_opt(cmd, o, N(o), "key-domain", in.key_domain_id, sizeof(in.key_domain_id), 0,
			NULL) ||
	    cli_hex_opt(cmd, o, N(o), "msk-id", msk_id, sizeof(msk_id), 0, NULL))
		goto out;
	in.msk_id = mbms_get_be32(msk_id);
	if (mbms_msk_id_key_number(in.msk_id) == 0) {
		cli_usage_error(cmd, "--msk-id: Key Number 0 names no real MSK (PROFILE.md 10.4)");
		goto out;
	}
	if (cli_uint_opt(cmd, o, N(o), "mtk-id", UINT16_MAX, &mtk_id) ||
	    cli_hex_opt(cmd, o, N(o), "mtk", mtk, sizeof(mtk), 0, NULL) ||
	    cli_hex_opt(cmd, o, N(o), "salt", salt, sizeof(salt), 0, NULL) ||
	    cli_uint_opt(cmd, o, N(o), "ts", UINT32_MAX, &ts) ||
	    cli_hex_opt(cmd, o, N(o), "rand", in.rand, sizeof(in.rand), 0, NULL) ||
	    cli_str_opt(cmd, o, N(o), "out", &path))
		goto out;

	in.msk = msk;
	in.msk_len = sizeof(msk);
	in.mtk_id = (uint16_t)mtk_id;
	in.mtk = mtk;
	in.mtk_salt = salt;
	in.ts_counter = (uint32_t)ts;
	int err = mbms_mtk_msg_build(&in, out, sizeof(out), &out_len);
	rc = finish_build(cmd, err, path, out, out_len);
out:
	mbms_wipe(msk, sizeof(msk));
	mbms_wipe(mtk, sizeof(mtk));
	mbms_wipe(salt, sizeof(salt));
	mbms_wipe(&in, sizeof(in));
	return rc;
}

/* ---- build-ack (PROFILE.md 5.4, 10.1, 10.2) ---- */

static const char build_ack_help[] =
	"usage: mbmssec mikey build-ack --for FILE --key HEX --out FILE\n"
	"\n"
	"Verifies the MSK message or trigger in --for FILE with --key (its MUK) and\n"
	"writes the verification message that acknowledges it (PROFILE.md 5.4): HDR\n"
	"(data type 1, same CSB ID), T (same counter), V (HMAC-SHA-1-160 over the\n"
	"message, IDi, IDr and T of the acknowledged message, PROFILE.md 10.1).\n"
	"The acknowledged message must have the V flag set.\n"
	"  --for FILE  the acknowledged MSK message or trigger\n"
	"  --key HEX   the MUK that protects it, 32 bytes\n"
	"  --out FILE  where to write the verification message\n";

/* Report a rejected message: one line naming the reason. */
static int rejected(const char *cmd, const char *path, const char *what, int err)
{
	fprintf(stderr, "mbmssec %s: %s%s: rejected: %s (%s)\n", cmd, path, what,
		mbms_errname(err), mbms_strerror(err));
	return 1;
}

static int build_ack(int argc, char **argv)
{
	const char *cmd = "mikey build-ack";
	struct cli_opt o[] = {{"for", true, NULL}, {"key", true, NULL}, {"out", true, NULL}};
	bool help;
	if (cli_parse(cmd, argc, argv, o, N(o), NULL, 0, NULL, &help))
		return CLI_EXIT_USAGE;
	if (help) {
		fputs(build_ack_help, stdout);
		return 0;
	}
	uint8_t key[MBMS_MUK_LEN], out[MBMS_MSG_MAX_LEN];
	const char *for_path = NULL, *path = NULL;
	uint8_t *msg = NULL;
	size_t msg_len = 0, out_len = 0;
	struct mbms_msg_info info;
	struct mbms_acked acked;
	int rc = CLI_EXIT_USAGE, err;
	memset(&info, 0, sizeof(info));

	if (cli_str_opt(cmd, o, N(o), "for", &for_path) ||
	    cli_hex_opt(cmd, o, N(o), "key", key, sizeof(key), 0, NULL) ||
	    cli_str_opt(cmd, o, N(o), "out", &path))
		goto out;
	rc = 1;
	if (read_msg_file(cmd, for_path, &msg, &msg_len))
		goto out;
	err = mbms_msg_parse(msg, msg_len, MBMS_MSG_ANY, &info);
	if (err) {
		rejected(cmd, for_path, "", err);
		goto out;
	}
	if (info.kind != MBMS_MSG_MSK && info.kind != MBMS_MSG_TRIGGER) {
		fprintf(stderr,
			"mbmssec %s: %s is %s message; only an MSK message or a trigger is "
			"acknowledged\n",
			cmd, for_path, info.kind == MBMS_MSG_MTK ? "an mtk" : "a verification");
		goto out;
	}
	err = mbms_msg_authenticate(msg, msg_len, key, sizeof(key), NULL, &info);
	if (err) {
		rejected(cmd, for_path, "", err);
		goto out;
	}
	if (!info.v_flag) {
		fprintf(stderr,
			"mbmssec %s: %s does not ask for a verification message (V flag 0, "
			"PROFILE.md 5.4)\n",
			cmd, for_path);
		goto out;
	}
	err = mbms_acked_from_info(&info, &acked);
	if (!err)
		err = mbms_verification_build(key, sizeof(key), &acked, out, sizeof(out), &out_len);
	rc = finish_build(cmd, err, path, out, out_len);
out:
	mbms_msg_info_wipe(&info);
	mbms_wipe(key, sizeof(key));
	free(msg);
	return rc;
}

/* ---- parse ---- */

static const char parse_help[] =
	"usage: mbmssec mikey parse [--key HEX] [--ack-for FILE] FILE\n"
	"\n"
	"Decodes the MBMS MIKEY message in FILE and prints one JSON object: kind\n"
	"(msk, trigger, mtk, verification), data_type, v, prf, csb_id, key_id_type\n"
	"(msk|mtk), key_domain_id, msk_id, key_group, key_number, mtk_id, ts_type, ts,\n"
	"rand, idi, idr (with idi_hex, idr_hex), encr_alg, encr_data_len, mac_alg or\n"
	"auth_alg, mac, mac_ok and, once verified, key_type, kv_type, key, salt, vf, vt,\n"
	"spi. Hex is lower-case; fields the message does not carry are left out.\n"
	"\n"
	"Without --key only the clear parts are checked (structure, payload order,\n"
	"profile rules, CSB ID and Key Number): mac_ok is null and the MAC is \"not\n"
	"verified\". With --key the receiver's whole check is applied (PROFILE.md 5, 10:\n"
	"structure -> payload order -> MAC -> CSB/Key Number -> decrypt/KEY) and the\n"
	"key material is printed. A rejected message gives one line on stderr with the\n"
	"reason name (bad_mac, truncated, ...) and exit status 1.\n"
	"  --key HEX      the inkey: the MUK (32 bytes) for an MSK message, trigger or\n"
	"                 verification message, the MSK (16 bytes) for an MTK message\n"
	"  --ack-for FILE for a verification message: the message it acknowledges\n"
	"                 (needed to check it; its fields are printed as acknowledges)\n";

static void print_acknowledges(struct json *j, const struct mbms_msg_info *a)
{
	j_name(j, "acknowledges");
	struct json in = {true};
	putchar('{');
	j_str(&in, "kind", mbms_msg_kind_name(a->kind));
	j_hex(&in, "key_domain_id", a->key_domain_id, sizeof(a->key_domain_id));
	j_hex32(&in, "msk_id", a->msk_id);
	j_uint(&in, "ts", a->ts_counter);
	j_hex(&in, "rand", a->rand, a->rand_len);
	j_bytes_str(&in, "idi", a->idi, a->idi_len);
	j_bytes_str(&in, "idr", a->idr, a->idr_len);
	putchar('}');
}

static void print_info(const struct mbms_msg_info *m, size_t len, bool verified,
		       const struct mbms_msg_info *acked)
{
	struct json j = {true};
	bool verification = m->kind == MBMS_MSG_VERIFICATION;
	putchar('{');
	j_str(&j, "kind", mbms_msg_kind_name(m->kind));
	j_uint(&j, "length", len);
	j_uint(&j, "data_type", m->data_type);
	j_bool(&j, "v", m->v_flag);
	j_uint(&j, "prf", m->prf);
	j_hex32(&j, "csb_id", m->csb_id);
	if (!verification) {
		j_str(&j, "key_id_type",
		      m->key_id_type == MBMS_PROFILE_KEY_ID_TYPE_MTK ? "mtk" : "msk");
		j_hex(&j, "key_domain_id", m->key_domain_id, sizeof(m->key_domain_id));
		j_hex32(&j, "msk_id", m->msk_id);
		j_uint(&j, "key_group", m->key_group);
		j_uint(&j, "key_number", m->key_number);
		if (m->has_mtk_id)
			j_uint(&j, "mtk_id", m->mtk_id);
	}
	j_uint(&j, "ts_type", m->ts_type);
	j_uint(&j, "ts", m->ts_counter);
	if (m->rand)
		j_hex(&j, "rand", m->rand, m->rand_len);
	if (m->idi) {
		j_bytes_str(&j, "idi", m->idi, m->idi_len);
		j_hex(&j, "idi_hex", m->idi, m->idi_len);
	}
	if (m->idr) {
		j_bytes_str(&j, "idr", m->idr, m->idr_len);
		j_hex(&j, "idr_hex", m->idr, m->idr_len);
	}
	if (verification) {
		j_uint(&j, "auth_alg", m->auth_alg);
	} else {
		j_uint(&j, "encr_alg", m->encr_alg);
		j_uint(&j, "encr_data_len", m->encr_data_len);
		j_uint(&j, "mac_alg", m->mac_alg);
	}
	j_hex(&j, "mac", m->mac, m->mac_len);
	if (verified)
		j_bool(&j, "mac_ok", true);
	else
		j_null(&j, "mac_ok");
	j_str(&j, verification ? "v_mac" : "kemac", verified ? "verified" : "not verified");
	if (verified && m->has_key) {
		j_str(&j, "key_type", mbms_mikey_key_type_name(m->key_type));
		j_str(&j, "kv_type", mbms_mikey_kv_name(m->kv_type));
		j_hex(&j, "key", m->key, m->key_len);
		if (m->salt_len)
			j_hex(&j, "salt", m->salt, m->salt_len);
		if (m->has_interval) {
			j_uint(&j, "vf", m->vf);
			j_uint(&j, "vt", m->vt);
		}
		if (m->has_spi)
			j_hex(&j, "spi", m->spi, m->spi_len);
	}
	if (acked)
		print_acknowledges(&j, acked);
	fputs("}\n", stdout);
}

/* The inkey length the profile gives each kind (PROFILE.md 2). */
static size_t inkey_len_for(enum mbms_msg_kind kind)
{
	return kind == MBMS_MSG_MTK ? MBMS_MSK_LEN : MBMS_MUK_LEN;
}

static int parse(int argc, char **argv)
{
	const char *cmd = "mikey parse";
	struct cli_opt o[] = {{"key", true, NULL}, {"ack-for", true, NULL}};
	const char *pos[1];
	size_t npos = 0;
	bool help;
	if (cli_parse(cmd, argc, argv, o, N(o), pos, N(pos), &npos, &help))
		return CLI_EXIT_USAGE;
	if (help) {
		fputs(parse_help, stdout);
		return 0;
	}
	if (npos != 1)
		return cli_usage_error(cmd, "missing FILE (the message to parse)");
	const char *path = pos[0], *ack_path = cli_get(o, N(o), "ack-for");
	uint8_t key[MAX_INKEY_LEN];
	size_t key_len = 0, len = 0, ack_len = 0;
	bool have_key = cli_get(o, N(o), "key") != NULL;
	uint8_t *msg = NULL, *ack_msg = NULL;
	struct mbms_msg_info info, ack_info;
	struct mbms_acked acked;
	bool have_acked = false;
	int rc = CLI_EXIT_USAGE, err;
	memset(&info, 0, sizeof(info));
	memset(&ack_info, 0, sizeof(ack_info));

	if (have_key && cli_hex_opt(cmd, o, N(o), "key", key, 0, sizeof(key), &key_len))
		goto out;
	if (ack_path && !*ack_path) {
		cli_usage_error(cmd, "missing option --ack-for");
		goto out;
	}
	rc = 1;
	if (read_msg_file(cmd, path, &msg, &len))
		goto out;
	err = mbms_msg_parse(msg, len, MBMS_MSG_ANY, &info);
	if (err) {
		rc = rejected(cmd, path, "", err);
		goto out;
	}
	if (have_key && key_len != inkey_len_for(info.kind)) {
		rc = cli_usage_error(cmd,
				     "--key: %s message is protected by the %s (%zu bytes), got "
				     "%zu bytes",
				     info.kind == MBMS_MSG_MTK ? "an MTK" : "this",
				     info.kind == MBMS_MSG_MTK ? "MSK" : "MUK",
				     inkey_len_for(info.kind), key_len);
		goto out;
	}
	if (ack_path && info.kind != MBMS_MSG_VERIFICATION) {
		rc = cli_usage_error(cmd, "--ack-for: %s is %s message, not a verification message",
				     path, info.kind == MBMS_MSG_MTK ? "an mtk" : "an msk/trigger");
		goto out;
	}
	if (ack_path) {
		/* The acknowledged message is checked as far as this one is. */
		if (read_msg_file(cmd, ack_path, &ack_msg, &ack_len))
			goto out;
		err = have_key ? mbms_msg_verify(ack_msg, ack_len, MBMS_MSG_F_MUK, key, key_len,
						 NULL, &ack_info)
			       : mbms_msg_parse(ack_msg, ack_len, MBMS_MSG_F_MUK, &ack_info);
		if (!err && !have_key)
			err = mbms_msg_check_semantics(&ack_info, NULL);
		if (!err)
			err = mbms_acked_from_info(&ack_info, &acked);
		mbms_msg_info_wipe(&ack_info); /* its MSK is not printed */
		if (err) {
			rc = rejected(cmd, ack_path, " (the acknowledged message)", err);
			goto out;
		}
		have_acked = true;
	}
	if (have_key) {
		err = mbms_msg_authenticate(msg, len, key, key_len, have_acked ? &acked : NULL,
					    &info);
	} else if (info.kind != MBMS_MSG_VERIFICATION || have_acked) {
		err = mbms_msg_check_semantics(&info, have_acked ? &acked : NULL);
	} else {
		err = 0; /* nothing to compare a verification message with */
	}
	if (err) {
		rc = rejected(cmd, path, "", err);
		goto out;
	}
	print_info(&info, len, have_key, have_acked ? &ack_info : NULL);
	rc = fflush(stdout) == 0 ? 0 : 1;
out:
	mbms_msg_info_wipe(&info);
	mbms_msg_info_wipe(&ack_info);
	mbms_wipe(key, sizeof(key));
	free(msg);
	free(ack_msg);
	return rc;
}

/* ---- dispatch ---- */

static int run_build_msk(int argc, char **argv) { return build_muk_msg(argc, argv, false); }
static int run_build_trigger(int argc, char **argv) { return build_muk_msg(argc, argv, true); }

static const struct cli_command subs[] = {
	{"build-msk", "MSK message (PROFILE.md 5.2)", run_build_msk},
	{"build-trigger", "solicited-pull trigger (5.3)", run_build_trigger},
	{"build-mtk", "MTK message (5.5)", build_mtk},
	{"build-ack", "verification message for an MSK message or trigger (5.4)", build_ack},
	{"parse", "decode, and with --key verify, a message; JSON out", parse},
};

static void mikey_usage(FILE *f)
{
	fputs("usage: mbmssec mikey <subcommand> [options]   (mbmssec mikey <sub> --help)\n\n"
	      "subcommands:\n",
	      f);
	for (size_t i = 0; i < N(subs); i++)
		fprintf(f, "  %-14s %s\n", subs[i].name, subs[i].summary);
}

int cmd_mikey(int argc, char **argv)
{
	if (argc < 2)
		return cli_usage_error("mikey", "missing subcommand (mbmssec mikey --help lists "
						"them)");
	if (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0 ||
	    strcmp(argv[1], "help") == 0) {
		mikey_usage(stdout);
		return 0;
	}
	for (size_t i = 0; i < N(subs); i++)
		if (strcmp(argv[1], subs[i].name) == 0)
			return subs[i].run(argc - 1, argv + 1);
	return cli_usage_error("mikey", "unknown subcommand '%s' (mbmssec mikey --help lists "
					"them)",
			       argv[1]);
}
