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

/* A 4-byte big-endian value given in hex (an MSK ID), asserting the length. */
uint32_t th_be32_hex(const char *hex);

/* The builder input of an msk-message or trigger-message vector's "input":
 * muk (32 bytes) and, when present, msk (16) are decoded into the caller's
 * buffers, strings point into the JSON. */
struct mbms_msk_msg_in;
void th_msk_msg_in(const cJSON *in, struct mbms_msk_msg_in *m, uint8_t *muk, uint8_t *msk);

/* The "cases" / "bad" arrays of independent_cases.json; true when c is of kind. */
int th_kind_is(const cJSON *c, const char *kind);

#endif
