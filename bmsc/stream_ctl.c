/* `bmscd ctl stream|stream-stop|stream-status|mtk`: the streaming commands
 * of the admin client (bmsc/stream.h, docs/traffic.md). */
#include "stream.h"

#include <curl/curl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define EXIT_USAGE 2

static const char usage_text[] =
	"usage: bmscd ctl [--admin HOST:PORT] stream --session NAME [--count K] [--rate R]\n"
	"                 [--file F] [--mtk-every P] [--size N]\n"
	"       bmscd ctl [--admin HOST:PORT] stream-stop --session NAME\n"
	"       bmscd ctl [--admin HOST:PORT] stream-status\n"
	"       bmscd ctl [--admin HOST:PORT] mtk --key-group N\n";

static int usage(const char *why)
{
	fprintf(stderr, "bmscd ctl: %s\n%s", why, usage_text);
	return EXIT_USAGE;
}

static size_t on_body(char *data, size_t size, size_t nmemb, void *user)
{
	FILE *out = user;
	return fwrite(data, size, nmemb, out) * size;
}

static size_t on_error_body(char *data, size_t size, size_t nmemb, void *user)
{
	(void)user;
	return fwrite(data, size, nmemb, stderr) * size;
}

/* The admin request: the answer's body on stdout (200) or stderr. */
static int call(const char *url, bool post)
{
	if (curl_global_init(CURL_GLOBAL_DEFAULT) != 0)
		return 1;
	CURL *c = curl_easy_init();
	if (!c) {
		curl_global_cleanup();
		return 1;
	}
	/* first the status, then the body where it belongs: ask twice is not
	 * possible for a POST, so buffer the body */
	char *body = NULL;
	size_t body_len = 0;
	FILE *mem = open_memstream(&body, &body_len);
	if (!mem) {
		curl_easy_cleanup(c);
		curl_global_cleanup();
		return 1;
	}
	curl_easy_setopt(c, CURLOPT_URL, url);
	curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, on_body);
	curl_easy_setopt(c, CURLOPT_WRITEDATA, mem);
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
	fclose(mem);
	int ret;
	if (cr != CURLE_OK) {
		fprintf(stderr, "bmscd ctl: %s: %s\n", url, curl_easy_strerror(cr));
		ret = 1;
	} else if (status == 200) {
		fwrite(body, 1, body_len, stdout);
		ret = 0;
	} else {
		fprintf(stderr, "bmscd ctl: HTTP %ld: ", status);
		on_error_body(body, 1, body_len, NULL);
		if (!body_len || body[body_len - 1] != '\n')
			fputc('\n', stderr);
		ret = 1;
	}
	free(body);
	curl_easy_cleanup(c);
	curl_global_cleanup();
	return ret;
}

/* Append "&name=value" (escaped) to url. */
static int add_query(CURL *c, char *url, size_t cap, const char *name, const char *value)
{
	if (!value)
		return 0;
	char *esc = curl_easy_escape(c, value, 0);
	if (!esc)
		return -1;
	size_t n = strlen(url);
	int w = snprintf(url + n, cap - n, "%s%s=%s", strchr(url, '?') ? "&" : "?", name, esc);
	curl_free(esc);
	return w < 0 || (size_t)w >= cap - n ? -1 : 0;
}

static bool ours(const char *cmd)
{
	return !strcmp(cmd, "stream") || !strcmp(cmd, "stream-stop") ||
	       !strcmp(cmd, "stream-status") || !strcmp(cmd, "mtk");
}

int bmscd_stream_ctl(int argc, char **argv)
{
	const char *admin = "127.0.0.1:8090", *cmd = NULL;
	const char *opt_names[] = {"--session", "--count", "--rate", "--file", "--mtk-every",
				   "--size", "--key-group"};
	const char *query_names[] = {"session", "count", "rate", "file", "mtk_every", "size",
				     "key_group"};
	const char *val[7] = {0};
	/* the command: the first word that is not an option or its value */
	for (int i = 2; i < argc && !cmd; i++) {
		if (argv[i][0] == '-')
			i++;
		else
			cmd = argv[i];
	}
	if (!cmd || !ours(cmd))
		return -1; /* ctl.c's commands */
	for (int i = 2; i < argc; i++) {
		if (argv[i] == cmd)
			continue;
		if (!strcmp(argv[i], "--admin") && i + 1 < argc) {
			admin = argv[++i];
			continue;
		}
		size_t k = 0;
		while (k < 7 && strcmp(argv[i], opt_names[k]) != 0)
			k++;
		if (k == 7 || i + 1 >= argc || val[k])
			return usage("unexpected argument");
		val[k] = argv[++i];
	}
	bool stream = !strcmp(cmd, "stream"), stop = !strcmp(cmd, "stream-stop"),
	     status = !strcmp(cmd, "stream-status"), mtk = !strcmp(cmd, "mtk");
	if ((stream || stop) && !val[0])
		return usage("--session NAME is required");
	if (mtk && !val[6])
		return usage("mtk needs --key-group N");
	for (size_t k = 0; k < 7; k++) {
		bool allowed = (stream && k <= 5) || (stop && k == 0) || (mtk && k == 6);
		if (val[k] && !allowed)
			return usage("option not valid for this command");
	}
	if (status && (val[0] || val[6]))
		return usage("stream-status takes no options");
	/* the file is read by bmscd: make the path absolute */
	char file_abs[PATH_MAX];
	if (val[3]) {
		if (!realpath(val[3], file_abs)) {
			fprintf(stderr, "bmscd ctl: %s: no such file\n", val[3]);
			return 1;
		}
		val[3] = file_abs;
	}
	char url[8192];
	snprintf(url, sizeof(url), "http://%s/%s", admin,
		 stream ? "stream" : stop ? "stream/stop" : status ? "streams" : "mtk");
	CURL *c = curl_easy_init();
	if (!c)
		return 1;
	int bad = 0;
	for (size_t k = 0; k < 7; k++)
		bad |= add_query(c, url, sizeof(url), query_names[k], val[k]);
	curl_easy_cleanup(c);
	if (bad)
		return usage("arguments too long");
	return call(url, !status);
}
