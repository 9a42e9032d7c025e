/* Daemon support: the CA bundle a client trusts for HTTPS instead of the
 * system store (docs/operations.md "TLS"). No libcurl here: mbms-ue checks
 * its ca_file too, and runs libcurl only in its helper. */
#ifndef MBMSD_HTTP_CA_H
#define MBMSD_HTTP_CA_H

#include <stddef.h>

/* Enough for a path from a configuration file (PATH_MAX on Linux). */
#define MBMSD_CA_FILE_MAX 4096

/* A CA file must be a readable regular file holding at least one PEM
 * certificate. 0, or -1 with err naming the file and what is wrong. The
 * check is at start-up, so that a typo is an error then and not a
 * certificate failure on the first request. */
int mbmsd_ca_file_check(const char *path, char *err, size_t err_cap);

#endif
