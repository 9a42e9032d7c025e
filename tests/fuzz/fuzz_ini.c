/* libFuzzer target for the INI reader (lib/ini.c).
 *
 * Every event must respect the documented limits (names from the allowed
 * characters, no control characters, lengths under the maxima). When the
 * parse succeeds, the events are written back as INI text (values quoted
 * where they can be) and that text must parse to the same events. */
#include "mbmssec/error.h"
#include "mbmssec/ini.h"

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void die(const char *what)
{
	fprintf(stderr, "fuzz_ini: %s\n", what);
	abort();
}

struct sink {
	uint64_t hash;  /* FNV-1a over the events (without line numbers) */
	char *text;     /* rendering, or NULL */
	size_t len, cap;
	unsigned last_line;
};

static void mix(struct sink *s, const char *p)
{
	size_t n = strlen(p) + 1; /* the NUL separates fields */
	for (size_t i = 0; i < n; i++) {
		s->hash ^= (unsigned char)p[i];
		s->hash *= 1099511628211ull;
	}
}

static void emit(struct sink *s, const char *p)
{
	size_t n = strlen(p);
	if (!s->text)
		return;
	if (n > s->cap - s->len - 1)
		die("render buffer too small");
	memcpy(s->text + s->len, p, n);
	s->len += n;
	s->text[s->len] = '\0';
}

static bool name_ok(const char *p)
{
	if (!*p || strlen(p) >= MBMS_INI_NAME_MAX)
		return false;
	for (; *p; p++)
		if (!((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') ||
		      (*p >= '0' && *p <= '9') || *p == '_' || *p == '-' || *p == '.'))
			return false;
	return true;
}

static bool text_ok(const char *p, size_t max)
{
	if (strlen(p) >= max)
		return false;
	for (; *p; p++)
		if (((unsigned char)*p < 0x20 && *p != '\t') || *p == 0x7f)
			return false;
	return true;
}

static void check_line(struct sink *s, unsigned line)
{
	if (line == 0 || line < s->last_line)
		die("line numbers must grow");
	s->last_line = line;
}

static int on_section(void *user, const char *section, const char *sub, unsigned line,
		      struct mbms_ini_error *err)
{
	struct sink *s = user;
	(void)err;
	check_line(s, line);
	if (!name_ok(section) || !text_ok(sub, MBMS_INI_SUB_MAX) || strchr(sub, '"') ||
	    strchr(sub, '\\'))
		die("bad section event");
	mix(s, "[");
	mix(s, section);
	mix(s, sub);
	emit(s, "[");
	emit(s, section);
	if (*sub) {
		emit(s, " \"");
		emit(s, sub);
		emit(s, "\"");
	}
	emit(s, "]\n");
	return 0;
}

static int on_key(void *user, const char *section, const char *sub, const char *key,
		  const char *value, unsigned line, struct mbms_ini_error *err)
{
	struct sink *s = user;
	(void)err;
	check_line(s, line);
	if ((*section && !name_ok(section)) || !name_ok(key) || !text_ok(value, MBMS_INI_VALUE_MAX))
		die("bad key event");
	(void)sub;
	mix(s, key);
	mix(s, value);
	emit(s, key);
	if (strchr(value, '"')) {
		/* can only come from an unquoted value: no blanks at the ends */
		emit(s, " = ");
		emit(s, value);
	} else {
		emit(s, " = \"");
		emit(s, value);
		emit(s, "\"");
	}
	emit(s, "\n");
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct mbms_ini_error err;
	struct sink first = {14695981039346656037ull, NULL, 0, 0, 0};
	size_t cap = 4 * size + 64;
	first.text = malloc(cap);
	if (!first.text)
		return 0;
	first.text[0] = '\0';
	first.cap = cap;
	int rc = mbms_ini_parse((const char *)data, size, on_section, on_key, &first, &err);
	if (rc != 0) {
		if (rc != MBMS_ESYNTAX && rc != MBMS_ELENGTH)
			die("unexpected error code");
		if (err.line == 0 || !err.msg[0] || !memchr(err.msg, '\0', sizeof(err.msg)))
			die("error without line or message");
	} else {
		struct sink again = {14695981039346656037ull, NULL, 0, 0, 0};
		/* a value of MBMS_INI_VALUE_MAX - 1 plus key and quotes may exceed a line */
		int rc2 = mbms_ini_parse(first.text, first.len, NULL, NULL, NULL, &err);
		if (rc2 == 0) {
			rc2 = mbms_ini_parse(first.text, first.len, on_section, on_key, &again, &err);
			if (rc2 != 0 || again.hash != first.hash)
				die("rendered text does not parse to the same events");
		} else if (rc2 != MBMS_ELENGTH) {
			die("rendered text is not valid INI");
		}
	}
	free(first.text);
	return 0;
}
