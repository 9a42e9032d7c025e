/* One HTTP GET with libcurl (see http_client.h). */
#include "http_client.h"
#include "http_ca.h"

#include "mbmssec/crypto.h"

#include <curl/curl.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

static pthread_once_t g_curl_once = PTHREAD_ONCE_INIT;
static CURLcode g_curl_init_rc;

static char g_ca_file[MBMSD_CA_FILE_MAX];

int mbmsd_http_set_ca_file(const char *path)
{
	if (path && strlen(path) >= sizeof(g_ca_file))
		return -1;
	snprintf(g_ca_file, sizeof(g_ca_file), "%s", path ? path : "");
	return 0;
}

const char *mbmsd_http_ca_file(void) { return g_ca_file; }

static void curl_init_once(void) { g_curl_init_rc = curl_global_init(CURL_GLOBAL_DEFAULT); }

int mbmsd_curl_init(void)
{
	pthread_once(&g_curl_once, curl_init_once);
	return g_curl_init_rc == CURLE_OK ? 0 : -1;
}

struct ctx {
	struct mbmsd_http_exchange *ex;
	size_t max_body;
};

static atomic_bool g_abort; /* mbmsd_http_abort_all: the process is stopping */

void mbmsd_http_abort_all(void) { atomic_store(&g_abort, true); }

/* Called by libcurl at least once a second, also while it connects or
 * waits: non-zero aborts the transfer. */
static int on_progress(void *user, curl_off_t dltotal, curl_off_t dlnow, curl_off_t ultotal,
		       curl_off_t ulnow)
{
	(void)user;
	(void)dltotal;
	(void)dlnow;
	(void)ultotal;
	(void)ulnow;
	return atomic_load(&g_abort) ? 1 : 0;
}

static size_t on_body(char *data, size_t size, size_t nmemb, void *user)
{
	struct ctx *c = user;
	struct mbmsd_http_exchange *ex = c->ex;
	size_t n = size * nmemb;
	if (ex->body_too_large || n > c->max_body - ex->body_len) {
		ex->body_too_large = true;
		return n; /* drain; the caller refuses the answer */
	}
	char *nb = mbmsd_body_reserve(ex->body, ex->body_len, &ex->body_cap, ex->body_len + n + 1);
	if (!nb)
		return 0;
	ex->body = nb;
	memcpy(ex->body + ex->body_len, data, n);
	ex->body_len += n;
	ex->body[ex->body_len] = '\0';
	return n;
}

static size_t on_header(char *line, size_t size, size_t nmemb, void *user)
{
	struct ctx *c = user;
	struct mbmsd_http_exchange *ex = c->ex;
	size_t n = size * nmemb;
	if (n >= 5 && strncmp(line, "HTTP/", 5) == 0) {
		/* a new response (after a 100 Continue, say): forget the old headers */
		ex->content_type[0] = ex->www_auth[0] = ex->auth_info[0] = '\0';
		ex->has_auth_info = false;
		return n;
	}
	char tmp[MBMS_GBA_AUTH_MAX];
	if (!ex->www_auth[0] && mbmsd_http_header_value(line, n, "WWW-Authenticate", tmp, sizeof(tmp)) &&
	    strncasecmp(tmp, "Digest", 6) == 0)
		memcpy(ex->www_auth, tmp, strlen(tmp) + 1);
	else if (mbmsd_http_header_value(line, n, "Authentication-Info", ex->auth_info, sizeof(ex->auth_info)))
		ex->has_auth_info = true;
	else
		mbmsd_http_header_value(line, n, "Content-Type", ex->content_type, sizeof(ex->content_type));
	return n;
}

int mbmsd_http_get(const char *url, const char *const *headers, const char *user_agent,
		   const char *basic_user, const char *basic_pass, size_t max_body,
		   struct mbmsd_http_exchange *ex, char *err, size_t err_cap)
{
	memset(ex, 0, sizeof(*ex));
	pthread_once(&g_curl_once, curl_init_once);
	if (g_curl_init_rc != CURLE_OK) {
		snprintf(err, err_cap, "libcurl initialisation failed");
		return -1;
	}
	CURL *h = curl_easy_init();
	if (!h) {
		snprintf(err, err_cap, "libcurl: no handle");
		return -1;
	}
	struct curl_slist *list = NULL;
	for (size_t i = 0; headers && headers[i]; i++) {
		struct curl_slist *nl = curl_slist_append(list, headers[i]);
		if (!nl) {
			curl_slist_free_all(list);
			curl_easy_cleanup(h);
			snprintf(err, err_cap, "out of memory");
			return -1;
		}
		list = nl;
	}
	struct ctx c = {ex, max_body};
	char curl_err[CURL_ERROR_SIZE] = "";
	curl_easy_setopt(h, CURLOPT_URL, url);
	curl_easy_setopt(h, CURLOPT_PROTOCOLS_STR, "http,https");
	curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(h, CURLOPT_CONNECTTIMEOUT, 10L);
	curl_easy_setopt(h, CURLOPT_TIMEOUT, 30L);
	curl_easy_setopt(h, CURLOPT_ERRORBUFFER, curl_err);
	curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, on_body);
	curl_easy_setopt(h, CURLOPT_WRITEDATA, &c);
	curl_easy_setopt(h, CURLOPT_HEADERFUNCTION, on_header);
	curl_easy_setopt(h, CURLOPT_HEADERDATA, &c);
	curl_easy_setopt(h, CURLOPT_XFERINFOFUNCTION, on_progress);
	curl_easy_setopt(h, CURLOPT_NOPROGRESS, 0L);
	/* Verification is never switched off; a CA file only replaces the store. */
	curl_easy_setopt(h, CURLOPT_SSL_VERIFYPEER, 1L);
	curl_easy_setopt(h, CURLOPT_SSL_VERIFYHOST, 2L);
	if (g_ca_file[0])
		curl_easy_setopt(h, CURLOPT_CAINFO, g_ca_file);
	if (list)
		curl_easy_setopt(h, CURLOPT_HTTPHEADER, list);
	if (user_agent)
		curl_easy_setopt(h, CURLOPT_USERAGENT, user_agent);
	if (basic_user) {
		curl_easy_setopt(h, CURLOPT_HTTPAUTH, (long)CURLAUTH_BASIC);
		curl_easy_setopt(h, CURLOPT_USERNAME, basic_user);
		curl_easy_setopt(h, CURLOPT_PASSWORD, basic_pass ? basic_pass : "");
	}
	CURLcode rc = curl_easy_perform(h);
	if (rc == CURLE_OK)
		curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &ex->status);
	curl_slist_free_all(list);
	curl_easy_cleanup(h);
	if (rc != CURLE_OK) {
		snprintf(err, err_cap, "%s: %s", url, curl_err[0] ? curl_err : curl_easy_strerror(rc));
		mbmsd_http_exchange_free(ex);
		return -1;
	}
	return 0;
}
