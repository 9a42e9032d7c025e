/* mbmssec — a small INI reader over a buffer (no files, no allocation), for
 * the daemons' configuration files.
 *
 * Syntax, one item per line (LF or CRLF):
 *   ; comment            # comment        (only as the first thing on a line)
 *   [section]            [section "subsection"]
 *   key = value
 * Section names and keys: letters, digits, '_', '-', '.'. A subsection is any
 * printable text without '"' or '\'. A value runs to the end of the line with
 * the surrounding blanks removed; a value in double quotes keeps its blanks
 * (no escapes inside). '#' and ';' inside a value are part of it (secrets may
 * contain them). A key before the first section belongs to section "".
 * NUL bytes, control characters other than TAB, and over-long lines are
 * errors. A UTF-8 byte order mark at the start is skipped.
 *
 * Nothing is checked about which keys exist: that is the handler's job.
 */
#ifndef MBMSSEC_INI_H
#define MBMSSEC_INI_H

#include <stddef.h>

#ifdef __cplusplus
extern "C" {
#endif

#define MBMS_INI_NAME_MAX 64    /* section, key (with the NUL) */
#define MBMS_INI_SUB_MAX 256    /* subsection (an FQDN fits) */
#define MBMS_INI_VALUE_MAX 1024
#define MBMS_INI_LINE_MAX 2048

struct mbms_ini_error {
	unsigned line; /* 1-based; 0 when not tied to a line */
	char msg[128];
};

/* Called for each key = value. section is "" before the first section,
 * subsection is "" when the section has none. Return 0 to go on; any other
 * value stops the parse and is returned by mbms_ini_parse (use a negative
 * MBMS_E* code and fill err->msg, the line is filled in for you). */
typedef int (*mbms_ini_handler)(void *user, const char *section, const char *subsection,
				const char *key, const char *value, unsigned line,
				struct mbms_ini_error *err);

/* Called at each section header (may be NULL): lets the handler notice
 * duplicate or unknown sections, even empty ones. Same return convention. */
typedef int (*mbms_ini_section_handler)(void *user, const char *section, const char *subsection,
					unsigned line, struct mbms_ini_error *err);

/* Parse buf[0..len). 0, MBMS_ESYNTAX / MBMS_ELENGTH with err filled, or the
 * handler's code. err may be NULL. */
int mbms_ini_parse(const char *buf, size_t len, mbms_ini_section_handler on_section,
		   mbms_ini_handler on_key, void *user, struct mbms_ini_error *err);

#ifdef __cplusplus
}
#endif
#endif
