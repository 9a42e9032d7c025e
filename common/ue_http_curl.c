/* One HTTP request for mbms-ue with libcurl (see ue_http.h): the work of the
 * helper mbms-ue-http (ue/helper/), never linked into the daemon. */
#include "ue_http.h"
#include "http_client.h"

#include "mbmssec/crypto.h"

#include <curl/curl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

struct ctx {
	struct mbmsd_ue_http_result *r;
	size_t max_body;
};

static size_t on_body(char *data, size_t size, size_t nmemb, void *user)
{
	struct ctx *c = user;
	struct mbmsd_ue_http_result *r = c->r;
	size_t n = size * nmemb;
	if (r->body_too_large || n > c->max_body - r->body_len) {
		r->body_too_large = true;
		return 0; /* abort the transfer: nothing of it is used */
	}
	uint8_t *nb = mbmsd_body_reserve(r->body, r->body_len, &r->body_cap, r->body_len + n + 1);
	if (!nb)
		return 0;
	r->body = nb;
	memcpy(r->body + r->body_len, data, n);
	r->body_len += n;
	r->body[r->body_len] = '\0';
	return n;
}

static size_t on_header(char *line, size_t size, size_t nmemb, void *user)
{
	struct ctx *c = user;
	struct mbmsd_ue_http_result *r = c->r;
	size_t n = size * nmemb;
	if (n >= 5 && strncmp(line, "HTTP/", 5) == 0) {
		/* a new response (after 100 Continue): forget earlier headers */
		r->has_content_type = r->has_www_authenticate = r->has_authentication_info = false;
		r->content_type[0] = r->www_authenticate[0] = r->authentication_info[0] = '\0';
		return n;
	}
	char tmp[MBMSD_UE_HTTP_HEADER_MAX];
	if (mbmsd_http_header_value(line, n, "WWW-Authenticate", tmp, sizeof(tmp))) {
		if (!r->has_www_authenticate && strncasecmp(tmp, "Digest", 6) == 0) {
			memcpy(r->www_authenticate, tmp, strlen(tmp) + 1);
			r->has_www_authenticate = true;
		}
	} else if (mbmsd_http_header_value(line, n, "Authentication-Info", r->authentication_info,
			    sizeof(r->authentication_info))) {
		r->has_authentication_info = true;
	} else if (mbmsd_http_header_value(line, n, "Content-Type", r->content_type, sizeof(r->content_type))) {
		r->has_content_type = true;
	}
	return n;
}

static struct curl_slist *list_of(const char *const *items, const char *extra, bool *oom)
{
	struct curl_slist *l = NULL;
	*oom = false;
	for (size_t i = 0; items && items[i]; i++) {
		struct curl_slist *nl = curl_slist_append(l, items[i]);
		if (!nl) {
			*oom = true;
			break;
		}
		l = nl;
	}
	if (!*oom && extra) {
		struct curl_slist *nl = curl_slist_append(l, extra);
		if (!nl)
			*oom = true;
		else
			l = nl;
	}
	if (*oom) {
		curl_slist_free_all(l);
		return NULL;
	}
	return l;
}

int mbmsd_ue_http_curl(const char *method, const char *url, const char *const *headers,
		       const uint8_t *body, size_t body_len, const char *const *resolve,
		       const char *ca_file, size_t max_body, long timeout_s,
		       struct mbmsd_ue_http_result *out, char *err, size_t err_cap)
{
	memset(out, 0, sizeof(*out));
	if (mbmsd_curl_init() != 0) {
		snprintf(err, err_cap, "libcurl initialisation failed");
		return -1;
	}
	bool post = strcmp(method, "POST") == 0;
	if (!post && strcmp(method, "GET") != 0) {
		snprintf(err, err_cap, "method %s not supported", method);
		return -1;
	}
	CURL *h = curl_easy_init();
	if (!h) {
		snprintf(err, err_cap, "libcurl: no handle");
		return -1;
	}
	bool oom1, oom2;
	/* "Expect:" stops libcurl from waiting for 100 Continue on POST. */
	struct curl_slist *hl = list_of(headers, post ? "Expect:" : NULL, &oom1);
	struct curl_slist *rl = list_of(resolve, NULL, &oom2);
	if (oom1 || oom2) {
		curl_slist_free_all(hl);
		curl_slist_free_all(rl);
		curl_easy_cleanup(h);
		snprintf(err, err_cap, "out of memory");
		return -1;
	}
	struct ctx c = {out, max_body};
	char curl_err[CURL_ERROR_SIZE] = "";
	curl_easy_setopt(h, CURLOPT_URL, url);
	curl_easy_setopt(h, CURLOPT_PROTOCOLS_STR, "http,https");
	curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(h, CURLOPT_CONNECTTIMEOUT, timeout_s < 5 ? timeout_s : 5L);
	curl_easy_setopt(h, CURLOPT_TIMEOUT, timeout_s);
	curl_easy_setopt(h, CURLOPT_ERRORBUFFER, curl_err);
	curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, on_body);
	curl_easy_setopt(h, CURLOPT_WRITEDATA, &c);
	curl_easy_setopt(h, CURLOPT_HEADERFUNCTION, on_header);
	curl_easy_setopt(h, CURLOPT_HEADERDATA, &c);
	curl_easy_setopt(h, CURLOPT_FOLLOWLOCATION, 0L);
	/* Verification is never switched off; a CA file only replaces the store. */
	curl_easy_setopt(h, CURLOPT_SSL_VERIFYPEER, 1L);
	curl_easy_setopt(h, CURLOPT_SSL_VERIFYHOST, 2L);
	if (ca_file && *ca_file)
		curl_easy_setopt(h, CURLOPT_CAINFO, ca_file);
	if (hl)
		curl_easy_setopt(h, CURLOPT_HTTPHEADER, hl);
	if (rl)
		curl_easy_setopt(h, CURLOPT_RESOLVE, rl);
	if (post) {
		curl_easy_setopt(h, CURLOPT_POST, 1L);
		curl_easy_setopt(h, CURLOPT_POSTFIELDS, body ? (const char *)body : "");
		curl_easy_setopt(h, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)body_len);
	}
	CURLcode rc = curl_easy_perform(h);
	if (rc == CURLE_OK)
		curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &out->status);
	curl_slist_free_all(hl);
	curl_slist_free_all(rl);
	curl_easy_cleanup(h);
	if (out->body_too_large) {
		snprintf(err, err_cap, "%s: answer body over %zu bytes", url, max_body);
		mbmsd_ue_http_result_free(out);
		return -1;
	}
	if (rc != CURLE_OK) {
		snprintf(err, err_cap, "%s: %s", url, curl_err[0] ? curl_err : curl_easy_strerror(rc));
		mbmsd_ue_http_result_free(out);
		return -1;
	}
	return 0;
}

