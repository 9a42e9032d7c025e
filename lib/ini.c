/* A buffer-based INI reader (see ini.h for the accepted syntax). Each line
 * is cut out with a cursor and its remaining length; nothing is assumed
 * about NUL termination of the input. */
#include "mbmssec/ini.h"
#include "mbmssec/crypto.h"
#include "mbmssec/error.h"

#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

static int fail(struct mbms_ini_error *err, unsigned line, int code, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));

static int fail(struct mbms_ini_error *err, unsigned line, int code, const char *fmt, ...)
{
	if (err) {
		va_list ap;
		err->line = line;
		va_start(ap, fmt);
		vsnprintf(err->msg, sizeof(err->msg), fmt, ap);
		va_end(ap);
	}
	return code;
}

static bool is_blank(char c) { return c == ' ' || c == '\t'; }

static bool is_name_char(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
	       c == '_' || c == '-' || c == '.';
}

/* Strip blanks from both ends of [*p, *p + *n). */
static void strip(const char **p, size_t *n)
{
	while (*n && is_blank(**p)) {
		(*p)++;
		(*n)--;
	}
	while (*n && is_blank((*p)[*n - 1]))
		(*n)--;
}

static int copy_name(const char *p, size_t n, char *out, size_t cap)
{
	if (n == 0 || n >= cap)
		return -1;
	for (size_t i = 0; i < n; i++)
		if (!is_name_char(p[i]))
			return -1;
	memcpy(out, p, n);
	out[n] = '\0';
	return 0;
}

/* "[name]" or "[name "sub"]", the line already stripped. */
static int parse_section(const char *p, size_t n, unsigned line, char *section, char *sub,
			 struct mbms_ini_error *err)
{
	if (n < 2 || p[n - 1] != ']')
		return fail(err, line, MBMS_ESYNTAX, "section header without closing ']'");
	p++;
	n -= 2;
	strip(&p, &n);
	size_t name_len = 0;
	while (name_len < n && is_name_char(p[name_len]))
		name_len++;
	if (copy_name(p, name_len, section, MBMS_INI_NAME_MAX))
		return fail(err, line, MBMS_ESYNTAX, "bad or too long section name");
	p += name_len;
	n -= name_len;
	sub[0] = '\0';
	if (n == 0)
		return 0;
	if (!is_blank(*p))
		return fail(err, line, MBMS_ESYNTAX, "bad character in section name");
	strip(&p, &n);
	if (n < 2 || p[0] != '"' || p[n - 1] != '"')
		return fail(err, line, MBMS_ESYNTAX, "subsection must be in double quotes");
	p++;
	n -= 2;
	if (n == 0)
		return fail(err, line, MBMS_ESYNTAX, "empty subsection");
	if (n >= MBMS_INI_SUB_MAX)
		return fail(err, line, MBMS_ELENGTH, "subsection longer than %d characters",
			    MBMS_INI_SUB_MAX - 1);
	for (size_t i = 0; i < n; i++)
		if (p[i] == '"' || p[i] == '\\' || (unsigned char)p[i] < 0x20)
			return fail(err, line, MBMS_ESYNTAX, "bad character in subsection");
	memcpy(sub, p, n);
	sub[n] = '\0';
	return 0;
}

static int parse_key_value(const char *p, size_t n, unsigned line, char *key, char *value,
			   struct mbms_ini_error *err)
{
	const char *eq = memchr(p, '=', n);
	if (!eq)
		return fail(err, line, MBMS_ESYNTAX, "expected 'key = value'");
	const char *k = p;
	size_t kn = (size_t)(eq - p);
	strip(&k, &kn);
	if (kn == 0)
		return fail(err, line, MBMS_ESYNTAX, "missing key before '='");
	if (copy_name(k, kn, key, MBMS_INI_NAME_MAX))
		return fail(err, line, MBMS_ESYNTAX, "bad or too long key");
	const char *v = eq + 1;
	size_t vn = (size_t)(p + n - v);
	strip(&v, &vn);
	if (vn && v[0] == '"') {
		if (vn < 2 || v[vn - 1] != '"')
			return fail(err, line, MBMS_ESYNTAX, "unterminated quoted value");
		v++;
		vn -= 2;
		if (memchr(v, '"', vn))
			return fail(err, line, MBMS_ESYNTAX, "'\"' inside a quoted value");
	}
	if (vn >= MBMS_INI_VALUE_MAX)
		return fail(err, line, MBMS_ELENGTH, "value longer than %d characters",
			    MBMS_INI_VALUE_MAX - 1);
	memcpy(value, v, vn);
	value[vn] = '\0';
	return 0;
}

int mbms_ini_parse(const char *buf, size_t len, mbms_ini_section_handler on_section,
		   mbms_ini_handler on_key, void *user, struct mbms_ini_error *err)
{
	char section[MBMS_INI_NAME_MAX] = "", sub[MBMS_INI_SUB_MAX] = "", key[MBMS_INI_NAME_MAX];
	char value[MBMS_INI_VALUE_MAX];
	struct mbms_ini_error scratch;
	if (!err)
		err = &scratch;
	err->line = 0;
	err->msg[0] = '\0';
	if (!buf && len)
		return fail(err, 0, MBMS_EINVAL, "no input");
	size_t pos = 0;
	if (len >= 3 && memcmp(buf, "\xef\xbb\xbf", 3) == 0)
		pos = 3;
	unsigned line = 0;
	int rc = 0;
	while (pos < len) {
		line++;
		const char *start = buf + pos;
		size_t rest = len - pos;
		const char *nl = memchr(start, '\n', rest);
		size_t n = nl ? (size_t)(nl - start) : rest;
		pos += nl ? n + 1 : n;
		if (n && start[n - 1] == '\r')
			n--;
		if (n > MBMS_INI_LINE_MAX)
			return fail(err, line, MBMS_ELENGTH, "line longer than %d characters",
				    MBMS_INI_LINE_MAX);
		for (size_t i = 0; i < n; i++) {
			unsigned char c = (unsigned char)start[i];
			if ((c < 0x20 && c != '\t') || c == 0x7f)
				return fail(err, line, MBMS_ESYNTAX, "control character (0x%02x)", c);
		}
		const char *p = start;
		strip(&p, &n);
		if (n == 0 || p[0] == ';' || p[0] == '#')
			continue;
		if (p[0] == '[') {
			rc = parse_section(p, n, line, section, sub, err);
			if (rc == 0 && on_section)
				rc = on_section(user, section, sub, line, err);
		} else {
			rc = parse_key_value(p, n, line, key, value, err);
			if (rc == 0 && on_key)
				rc = on_key(user, section, sub, key, value, line, err);
			/* a value may be a secret: do not leave it on the stack */
			mbms_wipe(value, sizeof(value));
		}
		if (rc) {
			err->line = line;
			if (!err->msg[0])
				snprintf(err->msg, sizeof(err->msg), "rejected (%d)", rc);
			return rc;
		}
	}
	return 0;
}
