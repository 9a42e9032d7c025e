/* The INI reader (lib/ini.c): good files give the expected key list, bad
 * files fail with the expected code and line number. */
#include "testutil.h"

#include "mbmssec/error.h"
#include "mbmssec/ini.h"

#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#define N(a) (sizeof(a) / sizeof((a)[0]))

/* Every event as "[sec|sub]" or "sec|sub|key=value@line;" appended. */
struct collect {
	char out[4096];
	int stop_at_key; /* handler refuses this key line (0: never) */
};

static int on_section(void *user, const char *section, const char *sub, unsigned line,
		      struct mbms_ini_error *err)
{
	struct collect *c = user;
	(void)err;
	size_t n = strlen(c->out);
	snprintf(c->out + n, sizeof(c->out) - n, "[%s|%s]@%u;", section, sub, line);
	return 0;
}

static int on_key(void *user, const char *section, const char *sub, const char *key,
		  const char *value, unsigned line, struct mbms_ini_error *err)
{
	struct collect *c = user;
	if (c->stop_at_key && (unsigned)c->stop_at_key == line) {
		snprintf(err->msg, sizeof(err->msg), "unknown key '%s'", key);
		return MBMS_EINVAL;
	}
	size_t n = strlen(c->out);
	snprintf(c->out + n, sizeof(c->out) - n, "%s|%s|%s=%s@%u;", section, sub, key, value, line);
	return 0;
}

struct good_case {
	const char *name;
	const char *text;
	const char *want;
};

static const struct good_case good[] = {
	{"empty", "", ""},
	{"comments and blanks", "; c\n# c\n\n   \n\t; c\n", ""},
	{"key before any section", "a=1\n", "||a=1@1;"},
	{"sections and keys",
	 "[bsf]\nlisten = 127.0.0.1:8081\n  host=bsf.example.org  \n[naf \"bmsc.example.org\"]\nsecret = s3cr#t;x\n",
	 "[bsf|]@1;bsf||listen=127.0.0.1:8081@2;bsf||host=bsf.example.org@3;"
	 "[naf|bmsc.example.org]@4;naf|bmsc.example.org|secret=s3cr#t;x@5;"},
	{"CRLF, BOM, no final newline", "\xef\xbb\xbf[a]\r\nk = v\r\nk2=v2",
	 "[a|]@1;a||k=v@2;a||k2=v2@3;"},
	{"quoted value keeps blanks", "k = \"  two words \"\n", "||k=  two words @1;"},
	{"empty values", "k =\nq = \"\"\n", "||k=@1;||q=@2;"},
	{"'=' inside the value", "url = http://h/?a=b\n", "||url=http://h/?a=b@1;"},
	{"blanks inside the brackets", "[ sec   \"s s\" ]\n", "[sec|s s]@1;"},
	{"must FAIL: expectation with a wrong line number", "a=1\n", "||a=1@2;"},
};

struct bad_case {
	const char *name;
	const char *text;
	size_t len; /* 0: strlen */
	int want_rc;
	unsigned want_line;
};

static const struct bad_case bad[] = {
	{"no '='", "[a]\nkey value\n", 0, MBMS_ESYNTAX, 2},
	{"unclosed section", "[a\n", 0, MBMS_ESYNTAX, 1},
	{"empty section name", "[]\n", 0, MBMS_ESYNTAX, 1},
	{"bad section character", "[a/b]\n", 0, MBMS_ESYNTAX, 1},
	{"unquoted subsection", "[a b]\n", 0, MBMS_ESYNTAX, 1},
	{"empty subsection", "[a \"\"]\n", 0, MBMS_ESYNTAX, 1},
	{"quote in subsection", "[a \"x\"y\"]\n", 0, MBMS_ESYNTAX, 1},
	{"garbage after ']'", "[a] x\n", 0, MBMS_ESYNTAX, 1},
	{"empty key", "\n\n = v\n", 0, MBMS_ESYNTAX, 3},
	{"bad key character", "a b = c\n", 0, MBMS_ESYNTAX, 1},
	{"unterminated quote", "k = \"abc\n", 0, MBMS_ESYNTAX, 1},
	{"quote inside quotes", "k = \"a\"b\"\n", 0, MBMS_ESYNTAX, 1},
	{"NUL byte", "a=1\nb=\0x\n", 8, MBMS_ESYNTAX, 2},
	{"control character", "a=\x01\n", 0, MBMS_ESYNTAX, 1},
	{"key too long", "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa=1\n", 0,
	 MBMS_ESYNTAX, 1},
	{"handler refuses", "a=1\n[s]\nb=2\n", 0, MBMS_EINVAL, 3},
	{"must FAIL: a good file expected to fail", "a=1\n", 0, MBMS_ESYNTAX, 1},
};

static void test_good(void **state)
{
	(void)state;
	int must_fail = 0;
	for (size_t i = 0; i < N(good); i++) {
		struct collect c = {{0}, 0};
		struct mbms_ini_error err;
		int rc = mbms_ini_parse(good[i].text, strlen(good[i].text), on_section, on_key, &c,
					&err);
		bool ok = rc == 0 && strcmp(c.out, good[i].want) == 0;
		if (strncmp(good[i].name, "must FAIL", 9) == 0) {
			if (ok)
				fail_msg("%s: harness accepted a wrong expectation", good[i].name);
			must_fail++;
			continue;
		}
		if (!ok)
			fail_msg("%s: rc %d (line %u: %s)\n  got  %s\n  want %s", good[i].name, rc,
				 err.line, err.msg, c.out, good[i].want);
	}
	assert_int_equal(must_fail, 1);
}

static void test_bad(void **state)
{
	(void)state;
	int must_fail = 0;
	for (size_t i = 0; i < N(bad); i++) {
		struct collect c = {{0}, 3};
		struct mbms_ini_error err;
		size_t len = bad[i].len ? bad[i].len : strlen(bad[i].text);
		int rc = mbms_ini_parse(bad[i].text, len, on_section, on_key, &c, &err);
		bool ok = rc == bad[i].want_rc && err.line == bad[i].want_line && err.msg[0];
		if (strncmp(bad[i].name, "must FAIL", 9) == 0) {
			if (ok)
				fail_msg("%s: harness accepted a wrong expectation", bad[i].name);
			must_fail++;
			continue;
		}
		if (!ok)
			fail_msg("%s: rc %d line %u msg '%s', want rc %d line %u", bad[i].name, rc,
				 err.line, err.msg, bad[i].want_rc, bad[i].want_line);
	}
	assert_int_equal(must_fail, 1);
}

static void test_limits(void **state)
{
	(void)state;
	static char buf[8192];
	struct mbms_ini_error err;
	/* a value at the limit passes, one more character fails */
	memset(buf, 0, sizeof(buf));
	memcpy(buf, "k=", 2);
	memset(buf + 2, 'v', MBMS_INI_VALUE_MAX - 1);
	assert_int_equal(mbms_ini_parse(buf, strlen(buf), NULL, NULL, NULL, &err), 0);
	buf[2 + MBMS_INI_VALUE_MAX - 1] = 'v';
	assert_int_equal(mbms_ini_parse(buf, strlen(buf), NULL, NULL, NULL, &err), MBMS_ELENGTH);
	assert_int_equal(err.line, 1);
	/* an over-long line */
	memset(buf, ' ', MBMS_INI_LINE_MAX + 1);
	buf[MBMS_INI_LINE_MAX + 1] = '\0';
	assert_int_equal(mbms_ini_parse(buf, strlen(buf), NULL, NULL, NULL, NULL), MBMS_ELENGTH);
	/* the input need not be NUL-terminated: the length is the end */
	assert_int_equal(mbms_ini_parse("a=1\nb", 4, NULL, NULL, NULL, &err), 0);
	assert_int_equal(mbms_ini_parse(NULL, 0, NULL, NULL, NULL, &err), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_good),
		cmocka_unit_test(test_bad),
		cmocka_unit_test(test_limits),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
