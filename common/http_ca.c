/* The CA bundle check (see http_ca.h). */
#include "http_ca.h"

#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define PEM_CERT_BEGIN "-----BEGIN CERTIFICATE-----"

int mbmsd_ca_file_check(const char *path, char *err, size_t err_cap)
{
	if (!path || !*path) {
		snprintf(err, err_cap, "CA file: an empty path");
		return -1;
	}
	if (strlen(path) >= MBMSD_CA_FILE_MAX) {
		snprintf(err, err_cap, "CA file: path over %d bytes", MBMSD_CA_FILE_MAX - 1);
		return -1;
	}
	int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY);
	if (fd < 0) {
		snprintf(err, err_cap, "CA file %s: %s", path, strerror(errno));
		return -1;
	}
	struct stat st;
	if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
		snprintf(err, err_cap, "CA file %s: not a regular file", path);
		close(fd);
		return -1;
	}
	FILE *f = fdopen(fd, "r");
	if (!f) {
		snprintf(err, err_cap, "CA file %s: %s", path, strerror(errno));
		close(fd);
		return -1;
	}
	/* Line by line: a bundle may be large, a certificate line is short. */
	char line[256];
	bool found = false;
	while (!found && fgets(line, sizeof(line), f))
		found = strncmp(line, PEM_CERT_BEGIN, strlen(PEM_CERT_BEGIN)) == 0;
	bool bad = ferror(f) != 0;
	fclose(f);
	if (bad) {
		snprintf(err, err_cap, "CA file %s: read error", path);
		return -1;
	}
	if (!found) {
		snprintf(err, err_cap, "CA file %s: no PEM certificate (-----BEGIN CERTIFICATE-----)",
			 path);
		return -1;
	}
	return 0;
}
