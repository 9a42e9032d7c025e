/* `bmscd ctl`: a small client of the admin listener (libcurl): the request
 * and its answer for every command, the key-management commands (status,
 * solicit, rotate); stream_ctl.c has the streaming ones. */
#include "bmscd.h"
#include "ctl.h"
#include "stream.h"

#include <curl/curl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define CTL_MAX_BODY (4 * 1024 * 1024)

struct sink {
	char *p;
	size_t len;
	bool too_big, oom;
};

static size_t on_body(char *data, size_t size, size_t nmemb, void *user)
{
	struct sink *s = user;
	size_t n = size * nmemb;
	if (s->too_big || s->len + n > CTL_MAX_BODY) {
		s->too_big = true;
		return n;
	}
	char *np = realloc(s->p, s->len + n + 1);
	if (!np) {
		s->oom = true;
		return 0;
	}
	memcpy(np + s->len, data, n);
	s->p = np;
	s->len += n;
	s->p[s->len] = '\0';
	return n;
}

int bmscd_ctl_call(const char *url, bool post)
{
	if (curl_global_init(CURL_GLOBAL_DEFAULT) != 0) {
		fprintf(stderr, "bmscd ctl: cannot initialise libcurl\n");
		return 1;
	}
	CURL *c = curl_easy_init();
	if (!c) {
		fprintf(stderr, "bmscd ctl: cannot initialise libcurl\n");
		curl_global_cleanup();
		return 1;
	}
	/* the body is buffered: where it goes depends on the status */
	struct sink s = {0};
	curl_easy_setopt(c, CURLOPT_URL, url);
	curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, on_body);
	curl_easy_setopt(c, CURLOPT_WRITEDATA, &s);
	curl_easy_setopt(c, CURLOPT_TIMEOUT, 30L);
	curl_easy_setopt(c, CURLOPT_NOPROXY, "*");
	if (post) {
		curl_easy_setopt(c, CURLOPT_POST, 1L);
		curl_easy_setopt(c, CURLOPT_POSTFIELDS, "");
		curl_easy_setopt(c, CURLOPT_POSTFIELDSIZE, 0L);
	}
	CURLcode cr = curl_easy_perform(c);
	long status = 0;
	curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &status);
	int ret = 1;
	if (cr != CURLE_OK) {
		fprintf(stderr, "bmscd ctl: %s: %s\n", url,
			s.oom ? "out of memory" : curl_easy_strerror(cr));
	} else if (s.too_big) {
		fprintf(stderr, "bmscd ctl: %s: HTTP %ld, answer over %d bytes\n", url, status,
			CTL_MAX_BODY);
	} else if (status == 200) {
		fwrite(s.p ? s.p : "", 1, s.len, stdout);
		ret = 0;
	} else {
		fprintf(stderr, "bmscd ctl: HTTP %ld: %s", status, s.p ? s.p : "");
		if (!s.len || s.p[s.len - 1] != '\n')
			fputc('\n', stderr);
	}
	free(s.p);
	curl_easy_cleanup(c);
	curl_global_cleanup();
	return ret;
}

int bmscd_ctl_add_query(char *url, size_t cap, const char *name, const char *value)
{
	if (!value)
		return 0;
	char *esc = curl_easy_escape(NULL, value, 0); /* the handle is unused since 7.82 */
	if (!esc)
		return -1;
	size_t n = strlen(url);
	int w = snprintf(url + n, cap - n, "%s%s=%s", strchr(url, '?') ? "&" : "?", name, esc);
	curl_free(esc);
	return w < 0 || (size_t)w >= cap - n ? -1 : 0;
}

static int usage(const char *why)
{
	fprintf(stderr,
		"bmscd ctl: %s\n"
		"usage: bmscd ctl [--admin HOST:PORT] status\n"
		"       bmscd ctl [--admin HOST:PORT] solicit --service ID\n"
		"       bmscd ctl [--admin HOST:PORT] rotate --key-group N\n",
		why);
	return BMSCD_CTL_EXIT_USAGE;
}

int bmscd_ctl_main(int argc, char **argv)
{
	const char *admin = "127.0.0.1:8090", *cmd = NULL, *service = NULL, *kg = NULL;
	int stream_rc = bmscd_stream_ctl(argc, argv); /* stream, stream-stop, ..., mtk */
	if (stream_rc >= 0)
		return stream_rc;
	for (int i = 2; i < argc; i++) {
		if (!strcmp(argv[i], "--admin") && i + 1 < argc)
			admin = argv[++i];
		else if (!strcmp(argv[i], "--service") && i + 1 < argc)
			service = argv[++i];
		else if (!strcmp(argv[i], "--key-group") && i + 1 < argc)
			kg = argv[++i];
		else if (argv[i][0] != '-' && !cmd)
			cmd = argv[i];
		else
			return usage("unexpected argument");
	}
	if (!cmd)
		return usage("a command is required");
	char url[2048];
	snprintf(url, sizeof(url), "http://%s", admin);
	size_t n = strlen(url);
	if (!strcmp(cmd, "status")) {
		if (service || kg)
			return usage("status takes no options");
		snprintf(url + n, sizeof(url) - n, "/status");
		return bmscd_ctl_call(url, false);
	}
	if (!strcmp(cmd, "solicit")) {
		if (!service || kg)
			return usage("solicit needs --service ID");
		snprintf(url + n, sizeof(url) - n, "/solicit");
		if (bmscd_ctl_add_query(url, sizeof(url), "service", service))
			return usage("--service too long");
		return bmscd_ctl_call(url, true);
	}
	if (!strcmp(cmd, "rotate")) {
		if (!kg || service)
			return usage("rotate needs --key-group N");
		snprintf(url + n, sizeof(url) - n, "/rotate");
		if (bmscd_ctl_add_query(url, sizeof(url), "key_group", kg))
			return usage("--key-group too long");
		return bmscd_ctl_call(url, true);
	}
	return usage("unknown command");
}
