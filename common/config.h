/* Daemon support: configuration files on top of the library's INI reader
 * (include/mbmssec/ini.h), and small value parsers for them. */
#ifndef MBMSD_CONFIG_H
#define MBMSD_CONFIG_H

#include "mbmssec/ini.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define MBMSD_CONFIG_MAX (1024 * 1024)

/* Read a whole regular file (at most max bytes) into a fresh NUL-terminated
 * buffer (free it with mbmsd_file_free, which wipes it). 0 or -1 with a
 * message in err. */
int mbmsd_file_read(const char *path, size_t max, char **out, size_t *len, char *err,
		    size_t err_cap);
void mbmsd_file_free(char *buf, size_t len);

/* Read and parse an INI file; on failure err gets "path:line: message".
 * Warns (through the log) when the file is readable by group or others,
 * since configuration files hold shared secrets. */
int mbmsd_config_load(const char *path, mbms_ini_section_handler on_section,
		      mbms_ini_handler on_key, void *user, char *err, size_t err_cap);

/* A configuration error: the message into err->msg (printf format), then
 * MBMS_EINVAL, the value a mbms_ini handler returns for it. */
int mbmsd_ini_error(struct mbms_ini_error *err, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

/* "127.0.0.1:8081", "[::1]:8081", "localhost:80" -> host + port (1..65535;
 * port 0 allowed when allow_zero). -1 when malformed. */
int mbmsd_parse_hostport(const char *s, char *host, size_t host_cap, uint16_t *port,
			 bool allow_zero);

/* Decimal unsigned integer in [min, max], nothing else around it. */
int mbmsd_parse_u64(const char *s, uint64_t min, uint64_t max, uint64_t *out);

/* A path from a config file: absolute paths stay, relative ones are taken
 * relative to the directory of the config file. */
int mbmsd_config_path(const char *config_path, const char *value, char *out, size_t out_cap);

#endif
