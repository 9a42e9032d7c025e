/* mbms-ue state files: the key store (the library's state text) and the
 * USIM's SQN array. Both hold secrets or replay state that must survive a
 * crash: written to a temporary file with mode 0600, fsync'ed, renamed over
 * the old one, and the directory fsync'ed. */
#include "ued.h"

#include "config.h"

#include "mbmssec/crypto.h"
#include "mbmssec/error.h"
#include "mbmssec/gba.h"

#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static int write_atomic(const char *path, const char *data, size_t len, char *err, size_t err_cap)
{
	char tmp[UED_PATH_MAX + 16], dir[UED_PATH_MAX];
	if ((size_t)snprintf(tmp, sizeof(tmp), "%s.tmp", path) >= sizeof(tmp)) {
		snprintf(err, err_cap, "%s: path too long", path);
		return -1;
	}
	int fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW, 0600);
	if (fd < 0) {
		snprintf(err, err_cap, "%s: %s", tmp, strerror(errno));
		return -1;
	}
	/* an older file with looser bits keeps them through O_TRUNC */
	if (fchmod(fd, 0600) != 0) {
		snprintf(err, err_cap, "%s: chmod: %s", tmp, strerror(errno));
		close(fd);
		unlink(tmp);
		return -1;
	}
	size_t off = 0;
	while (off < len) {
		ssize_t w = write(fd, data + off, len - off);
		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0) {
			snprintf(err, err_cap, "%s: %s", tmp, strerror(errno));
			close(fd);
			unlink(tmp);
			return -1;
		}
		off += (size_t)w;
	}
	if (fsync(fd) != 0 || close(fd) != 0) {
		snprintf(err, err_cap, "%s: %s", tmp, strerror(errno));
		unlink(tmp);
		return -1;
	}
	if (rename(tmp, path) != 0) {
		snprintf(err, err_cap, "%s: %s", path, strerror(errno));
		unlink(tmp);
		return -1;
	}
	snprintf(dir, sizeof(dir), "%s", path);
	int dfd = open(dirname(dir), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (dfd >= 0) {
		fsync(dfd);
		close(dfd);
	}
	return 0;
}

/* Read a whole file; *found false (and 0) when it does not exist. */
static int read_file(const char *path, size_t max, char **buf, size_t *len, bool *found,
		     char *err, size_t err_cap)
{
	*found = false;
	*buf = NULL;
	*len = 0;
	struct stat st;
	if (stat(path, &st) != 0) {
		if (errno == ENOENT)
			return 0;
		snprintf(err, err_cap, "%s: %s", path, strerror(errno));
		return -1;
	}
	if (st.st_mode & 077)
		log_warn("%s is readable or writable by others (mode %03o): it holds keys; "
			 "chmod 600 it",
			 path, (unsigned)(st.st_mode & 0777));
	if (mbmsd_file_read(path, max, buf, len, err, err_cap))
		return -1;
	*found = true;
	return 0;
}

int ued_state_save(const char *path, const struct mbms_ue *ue, char *err, size_t err_cap)
{
	char *text = malloc(MBMS_UE_STATE_MAX);
	size_t len = 0;
	if (!text) {
		snprintf(err, err_cap, "out of memory");
		return -1;
	}
	int rc = mbms_ue_state_save(ue, text, MBMS_UE_STATE_MAX, &len);
	int ret = -1;
	if (rc)
		snprintf(err, err_cap, "state too large: %s", mbms_strerror(rc));
	else
		ret = write_atomic(path, text, len, err, err_cap);
	mbms_wipe(text, MBMS_UE_STATE_MAX);
	free(text);
	return ret;
}

int ued_state_load(const char *path, struct mbms_ue *ue, bool *found, char *err, size_t err_cap)
{
	char *buf;
	size_t len;
	if (read_file(path, MBMS_UE_STATE_MAX, &buf, &len, found, err, err_cap))
		return -1;
	if (!*found)
		return 0;
	int rc = mbms_ue_state_load(ue, buf, len);
	mbmsd_file_free(buf, len + 1);
	if (rc) {
		snprintf(err, err_cap, "%s: not a usable mbms-ue state file (%s)", path,
			 mbms_strerror(rc));
		return -1;
	}
	return 0;
}

int ued_sqn_load(const char *path, struct mbms_sqn_ms *st, char *err, size_t err_cap)
{
	memset(st, 0, sizeof(*st));
	char *buf;
	size_t len;
	bool found;
	if (read_file(path, MBMS_SQN_STATE_TEXT_MAX + 64, &buf, &len, &found, err, err_cap))
		return -1;
	if (!found)
		return 0; /* a fresh USIM */
	int rc = mbms_sqn_state_parse(buf, len, st);
	mbmsd_file_free(buf, len + 1);
	if (rc) {
		snprintf(err, err_cap, "%s: not an SQN state file", path);
		return -1;
	}
	return 0;
}

int ued_sqn_save(const char *path, const struct mbms_sqn_ms *st, char *err, size_t err_cap)
{
	char text[MBMS_SQN_STATE_TEXT_MAX];
	if (mbms_sqn_state_format(st, text, sizeof(text)) != 0) {
		snprintf(err, err_cap, "cannot format the SQN state");
		return -1;
	}
	return write_atomic(path, text, strlen(text), err, err_cap);
}
