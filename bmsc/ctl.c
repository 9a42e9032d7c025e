/* `bmscd ctl`: a small client of the admin listener (libcurl). */
#include "bmscd.h"
#include "stream.h"

#include <curl/curl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define EXIT_USAGE 2
#define CTL_MAX_BODY (4 * 1024 * 1024)

struct sink {
	char *p;
	size_t len;
	bool too_big;
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
	if (!np)
		return 0;
	memcpy(np + s->len, data, n);
	s->p = np;
	s->len += n;
	s->p[s->len] = '\0';
	return n;
}

static int usage(const char *why)
{
	fprintf(stderr,
		"bmscd ctl: %s\n"
		"usage: bmscd ctl [--admin HOST:PORT] status\n"
		"       bmscd ctl [--admin HOST:PORT] solicit --service ID\n"
		"       bmscd ctl [--admin HOST:PORT] rotate --key-group N\n",
		why);
	return EXIT_USAGE;
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
	if (curl_global_init(CURL_GLOBAL_DEFAULT) != 0) {
		fprintf(stderr, "bmscd ctl: cannot initialise libcurl\n");
		return 1;
	}
	CURL *c = curl_easy_init();
	if (!c) {
		fprintf(stderr, "bmscd ctl: cannot initialise libcurl\n");
		return 1;
	}
	char url[2048];
	char *esc = NULL;
	bool post = true;
	int ret = EXIT_USAGE;
	if (!strcmp(cmd, "status")) {
		if (service || kg) {
			ret = usage("status takes no options");
			goto out;
		}
		snprintf(url, sizeof(url), "http://%s/status", admin);
		post = false;
	} else if (!strcmp(cmd, "solicit")) {
		if (!service || kg) {
			ret = usage("solicit needs --service ID");
			goto out;
		}
		esc = curl_easy_escape(c, service, 0);
		snprintf(url, sizeof(url), "http://%s/solicit?service=%s", admin, esc ? esc : "");
	} else if (!strcmp(cmd, "rotate")) {
		if (!kg || service) {
			ret = usage("rotate needs --key-group N");
			goto out;
		}
		esc = curl_easy_escape(c, kg, 0);
		snprintf(url, sizeof(url), "http://%s/rotate?key_group=%s", admin, esc ? esc : "");
	} else {
		ret = usage("unknown command");
		goto out;
	}
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
	if (cr != CURLE_OK) {
		fprintf(stderr, "bmscd ctl: %s: %s\n", url, curl_easy_strerror(cr));
		ret = 1;
	} else if (status == 200) {
		fputs(s.p ? s.p : "", stdout);
		ret = 0;
	} else {
		fprintf(stderr, "bmscd ctl: HTTP %ld: %s", status, s.p ? s.p : "\n");
		ret = 1;
	}
	free(s.p);
out:
	curl_free(esc);
	curl_easy_cleanup(c);
	curl_global_cleanup();
	return ret;
}
