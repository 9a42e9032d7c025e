/* One HTTP request for mbms-ue, made by the helper program mbms-ue-http
 * (see ue_http.h): spawn it with a socket pair as its stdin and stdout,
 * send the framed request, read the framed answer to end of file under a
 * deadline, reap it. This process never links libcurl. */
#define _GNU_SOURCE /* posix_spawn_file_actions_addclosefrom_np (glibc 2.34) */
#include "ue_http.h"
#include "ue_http_frame.h"

#include "mbmssec/crypto.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

extern char **environ;

#define HELPER_NAME "mbms-ue-http"
/* On top of the request's own timeout (which the helper enforces with
 * libcurl): the helper's start and exit. */
#define HELPER_GRACE_MS 5000

static char g_helper[PATH_MAX];
static char g_ca_file[MBMSD_UEH_CA_FILE_MAX + 1];

int mbmsd_ue_http_set_ca_file(const char *path)
{
	if (path && strlen(path) > MBMSD_UEH_CA_FILE_MAX)
		return -1;
	snprintf(g_ca_file, sizeof(g_ca_file), "%s", path ? path : "");
	return 0;
}

const char *mbmsd_ue_http_ca_file(void) { return g_ca_file; }

void mbmsd_ue_http_set_helper(const char *path)
{
	snprintf(g_helper, sizeof(g_helper), "%s", path ? path : "");
}

const char *mbmsd_ue_http_helper(void)
{
	static char found[PATH_MAX];
	if (g_helper[0])
		return g_helper;
	const char *env = getenv("MBMS_UE_HTTP_HELPER");
	if (env && env[0])
		return env;
	char exe[PATH_MAX - sizeof(HELPER_NAME) - 1];
	ssize_t n = readlink("/proc/self/exe", exe, sizeof(exe) - 1);
	if (n <= 0)
		return HELPER_NAME; /* then posix_spawn fails: no PATH search */
	exe[n] = '\0';
	char *slash = strrchr(exe, '/');
	if (!slash)
		return HELPER_NAME;
	*slash = '\0';
	snprintf(found, sizeof(found), "%s/%s", exe, HELPER_NAME);
	return found;
}

static uint64_t mono_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
}

static int wait_fd(int fd, short events, uint64_t deadline)
{
	for (;;) {
		uint64_t now = mono_ms();
		if (now >= deadline)
			return -1;
		struct pollfd p = {.fd = fd, .events = events};
		int r = poll(&p, 1, (int)(deadline - now > 60000 ? 60000 : deadline - now));
		if (r > 0)
			return 0;
		if (r < 0 && errno != EINTR)
			return -1;
	}
}

/* The child's end: nothing but its stdin and stdout, default signals. */
static int spawn_helper(const char *path, int child_fd, pid_t *pid, char *err, size_t err_cap)
{
	posix_spawn_file_actions_t fa;
	posix_spawnattr_t at;
	sigset_t none, dflt;
	sigemptyset(&none);
	sigemptyset(&dflt);
	const int sigs[] = {SIGPIPE, SIGINT, SIGTERM, SIGHUP, SIGCHLD, SIGALRM, SIGUSR1, SIGUSR2};
	for (size_t i = 0; i < sizeof(sigs) / sizeof(sigs[0]); i++)
		sigaddset(&dflt, sigs[i]);
	int rc = posix_spawn_file_actions_init(&fa);
	if (rc == 0) {
		rc = posix_spawnattr_init(&at);
		if (rc) {
			posix_spawn_file_actions_destroy(&fa);
		}
	}
	if (rc) {
		snprintf(err, err_cap, "cannot run %s: %s", path, strerror(rc));
		return -1;
	}
	if (!rc)
		rc = posix_spawn_file_actions_adddup2(&fa, child_fd, STDIN_FILENO);
	if (!rc)
		rc = posix_spawn_file_actions_adddup2(&fa, child_fd, STDOUT_FILENO);
	if (!rc)
		rc = posix_spawn_file_actions_addclosefrom_np(&fa, STDERR_FILENO + 1);
	if (!rc)
		rc = posix_spawnattr_setsigmask(&at, &none);
	if (!rc)
		rc = posix_spawnattr_setsigdefault(&at, &dflt);
	if (!rc)
		rc = posix_spawnattr_setflags(&at, POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF);
	char *argv[] = {(char *)HELPER_NAME, NULL};
	if (!rc)
		rc = posix_spawn(pid, path, &fa, &at, argv, environ);
	posix_spawn_file_actions_destroy(&fa);
	posix_spawnattr_destroy(&at);
	if (rc) {
		snprintf(err, err_cap, "cannot run the HTTP helper %s: %s", path, strerror(rc));
		return -1;
	}
	return 0;
}

/* Reap the child; kill it first when `kill_it`. Its exit status, or -1
 * for a signal (*sig set). */
static int reap(pid_t pid, bool kill_it, uint64_t deadline, int *sig)
{
	int st = 0;
	*sig = 0;
	if (kill_it)
		kill(pid, SIGKILL);
	for (;;) {
		pid_t r = waitpid(pid, &st, kill_it ? 0 : WNOHANG);
		if (r == pid)
			break;
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0)
			return -1; /* not ours to reap (SIGCHLD ignored): nothing left */
		if (mono_ms() >= deadline) {
			kill_it = true;
			kill(pid, SIGKILL);
			continue;
		}
		struct timespec ts = {0, 1000000}; /* 1 ms: the helper is exiting */
		nanosleep(&ts, NULL);
	}
	if (WIFSIGNALED(st)) {
		*sig = WTERMSIG(st);
		return -1;
	}
	return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

static void buf_free(uint8_t *b, size_t cap)
{
	if (b) {
		mbms_wipe(b, cap);
		free(b);
	}
}

static void copy_text(const char *v, char *dst, size_t cap, bool *has)
{
	size_t n = v ? strlen(v) : 0;
	*has = v && n < cap;
	if (*has)
		memcpy(dst, v, n + 1);
}

/* Send the request, read the answer to EOF: 0, or -1 with err. */
static int exchange(int fd, const uint8_t *req, size_t req_len, uint8_t *ans, size_t ans_cap,
		    size_t *ans_len, uint64_t deadline, char *err, size_t err_cap)
{
	size_t off = 0;
	while (off < req_len) {
		if (wait_fd(fd, POLLOUT, deadline)) {
			snprintf(err, err_cap, "the HTTP helper timed out");
			return -1;
		}
		ssize_t n = send(fd, req + off, req_len - off, MSG_NOSIGNAL | MSG_DONTWAIT);
		if (n < 0 && (errno == EINTR || errno == EAGAIN || errno == EWOULDBLOCK))
			continue;
		if (n < 0 && (errno == EPIPE || errno == ECONNRESET))
			break; /* it stopped reading: its exit status will say why */
		if (n < 0) {
			snprintf(err, err_cap, "the HTTP helper did not take the request: %s",
				 strerror(errno));
			return -1;
		}
		off += (size_t)n;
	}
	shutdown(fd, SHUT_WR);
	*ans_len = 0;
	for (;;) {
		if (wait_fd(fd, POLLIN, deadline)) {
			snprintf(err, err_cap, "the HTTP helper timed out");
			return -1;
		}
		if (*ans_len == ans_cap) {
			snprintf(err, err_cap, "the HTTP helper's answer is over %zu bytes", ans_cap);
			return -1;
		}
		ssize_t n = recv(fd, ans + *ans_len, ans_cap - *ans_len, MSG_DONTWAIT);
		if (n < 0 && (errno == EINTR || errno == EAGAIN || errno == EWOULDBLOCK))
			continue;
		if (n < 0 && errno == ECONNRESET)
			return 0; /* it went away: what came so far is judged as is */
		if (n < 0) {
			snprintf(err, err_cap, "reading the HTTP helper's answer: %s", strerror(errno));
			return -1;
		}
		if (n == 0)
			return 0;
		*ans_len += (size_t)n;
	}
}

int mbmsd_ue_http(const char *method, const char *url, const char *const *headers,
		  const uint8_t *body, size_t body_len, const char *const *resolve,
		  size_t max_body, long timeout_s, struct mbmsd_ue_http_result *out, char *err,
		  size_t err_cap)
{
	memset(out, 0, sizeof(*out));
	if (strcmp(method, "POST") != 0 && strcmp(method, "GET") != 0) {
		snprintf(err, err_cap, "method %s not supported", method);
		return -1;
	}
	struct mbmsd_ueh_request q = {
		.method = method,
		.url = url,
		.timeout_s = timeout_s,
		.max_body = max_body > MBMSD_UEH_BODY_MAX ? MBMSD_UEH_BODY_MAX : max_body,
		.body = body,
		.body_len = strcmp(method, "POST") == 0 ? body_len : 0,
		/* In the framed request, not on the helper's command line: the
		 * helper has one input, checked strictly, and takes no arguments;
		 * the CA is part of how this request is made, like its URL. */
		.ca_file = g_ca_file[0] ? g_ca_file : NULL,
	};
	size_t nh = 0, nr = 0;
	for (; headers && headers[nh]; nh++) {
		if (nh == MBMSD_UEH_MAX_HEADERS) {
			snprintf(err, err_cap, "more than %d header lines", MBMSD_UEH_MAX_HEADERS);
			return -1;
		}
		q.headers[nh] = headers[nh];
	}
	for (; resolve && resolve[nr]; nr++) {
		if (nr == MBMSD_UEH_MAX_RESOLVE) {
			snprintf(err, err_cap, "more than %d resolve entries", MBMSD_UEH_MAX_RESOLVE);
			return -1;
		}
		q.resolve[nr] = resolve[nr];
	}
	uint8_t *req = NULL, *ans = NULL;
	size_t req_len = 0, ans_len = 0, ans_cap = MBMSD_UEH_ANSWER_MAX(q.max_body);
	const char *why = NULL;
	if (mbmsd_ueh_request_encode(&q, &req, &req_len, &why)) {
		snprintf(err, err_cap, "%s: request not sent: %s", url, why);
		return -1;
	}
	ans = malloc(ans_cap);
	int sv[2] = {-1, -1};
	if (!ans || socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv)) {
		snprintf(err, err_cap, "%s: %s", url, ans ? strerror(errno) : "out of memory");
		buf_free(req, req_len);
		free(ans);
		return -1;
	}
	const char *helper = mbmsd_ue_http_helper();
	uint64_t deadline = mono_ms() + (uint64_t)(timeout_s > 0 ? timeout_s : 0) * 1000u +
			    HELPER_GRACE_MS;
	pid_t pid;
	int rc = spawn_helper(helper, sv[1], &pid, err, err_cap);
	close(sv[1]);
	if (rc) {
		close(sv[0]);
		buf_free(req, req_len);
		buf_free(ans, ans_cap);
		return -1;
	}
	char xerr[256] = "";
	rc = exchange(sv[0], req, req_len, ans, ans_cap, &ans_len, deadline, xerr, sizeof(xerr));
	close(sv[0]);
	buf_free(req, req_len);
	int sig, status = reap(pid, rc != 0, deadline, &sig);
	struct mbmsd_ueh_answer a;
	if (rc == 0 && mbmsd_ueh_answer_parse(ans, ans_len, q.max_body, &a, &why)) {
		rc = -1;
		if (status == 0 || ans_len)
			snprintf(xerr, sizeof(xerr), "malformed answer from the HTTP helper (%s)", why);
		else if (sig)
			snprintf(xerr, sizeof(xerr), "the HTTP helper died (signal %d)", sig);
		else
			snprintf(xerr, sizeof(xerr), "the HTTP helper failed (exit %d)", status);
	}
	if (rc == 0 && status != (a.kind == MBMSD_UEH_ANSWER ? 0 : 1)) {
		rc = -1;
		snprintf(xerr, sizeof(xerr), "the HTTP helper's exit (%d, signal %d) contradicts its answer",
			 status, sig);
	}
	if (rc) {
		snprintf(err, err_cap, "%s: %s", url, xerr);
		buf_free(ans, ans_cap);
		return -1;
	}
	if (a.kind != MBMSD_UEH_ANSWER) {
		out->body_too_large = a.kind == MBMSD_UEH_TOO_LARGE;
		snprintf(err, err_cap, "%s", a.message);
		buf_free(ans, ans_cap);
		return -1;
	}
	out->status = a.status;
	copy_text(a.content_type, out->content_type, sizeof(out->content_type), &out->has_content_type);
	copy_text(a.www_authenticate, out->www_authenticate, sizeof(out->www_authenticate),
		  &out->has_www_authenticate);
	copy_text(a.authentication_info, out->authentication_info, sizeof(out->authentication_info),
		  &out->has_authentication_info);
	out->body = malloc(a.body_len + 1);
	if (!out->body) {
		snprintf(err, err_cap, "%s: out of memory", url);
		buf_free(ans, ans_cap);
		return -1;
	}
	if (a.body_len)
		memcpy(out->body, a.body, a.body_len);
	out->body[a.body_len] = '\0';
	out->body_len = a.body_len;
	out->body_cap = a.body_len + 1;
	buf_free(ans, ans_cap);
	return 0;
}

void mbmsd_ue_http_result_free(struct mbmsd_ue_http_result *r)
{
	if (r->body) {
		mbms_wipe(r->body, r->body_cap);
		free(r->body);
	}
	r->body = NULL;
	r->body_len = r->body_cap = 0;
}
