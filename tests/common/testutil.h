/* Shared helpers for the cmocka unit tests: hex, and the vector files in
 * tests/vectors/ (copied from shared/vectors/, see tests/vectors/README.md). */
#ifndef MBMS_TESTUTIL_H
#define MBMS_TESTUTIL_H

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <cjson/cJSON.h>

/* Decode hex into a fresh buffer (test_free it); fails the test on bad hex. */
uint8_t *th_hex(const char *hex, size_t *len);

/* Decode hex into out, asserting the exact length. */
void th_hex_into(const char *hex, uint8_t *out, size_t len);

/* Assert that buf equals the hex string (message names the vector). */
void th_assert_hex(const uint8_t *buf, size_t len, const char *hex, const char *what);

/* Load tests/vectors/<name> (JSON); fails the test when missing. cJSON_Delete it. */
cJSON *th_load_json(const char *name);

/* Read a whole text file from tests/vectors/ (free() it). */
char *th_load_text(const char *name, size_t *len);

/* Get a string member or fail the test. */
const char *th_str(const cJSON *obj, const char *key);

/* Get a number member or fail the test. */
double th_num(const cJSON *obj, const char *key);

/* The "cases" / "bad" arrays of independent_cases.json; true when c is of kind. */
int th_kind_is(const cJSON *c, const char *kind);

#endif
