#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <curl/curl.h>

#include "buf.h"
#include "errbuf.h"
#include "log.h"
#include "notice.h"
#include "smtp.h"

#define DEFAULT_TIMEOUT	60

struct smtp_client {
	CURL *curl;
	char *url;              /* owned */
	long last_code;
	long connections;
	char curlerr[CURL_ERROR_SIZE];
};

struct upload {
	const char *data;
	size_t len;
	size_t off;
};

static int curl_ready;

static int
hostchars_valid(const char *s, int allow_colon)
{
	size_t i;

	if (s == NULL || *s == '\0' || strlen(s) > 253)
		return 0;
	for (i = 0; s[i] != '\0'; i++)
		if (!((s[i] >= 'a' && s[i] <= 'z') || (s[i] >= 'A' && s[i] <= 'Z') ||
		    (s[i] >= '0' && s[i] <= '9') || s[i] == '.' || s[i] == '-' ||
		    (allow_colon && s[i] == ':')))
			return 0;
	return 1;
}

static size_t
read_cb(char *ptr, size_t size, size_t nmemb, void *arg)
{
	struct upload *u = arg;
	size_t n = size * nmemb;

	if (n > u->len - u->off)
		n = u->len - u->off;
	memcpy(ptr, u->data + u->off, n);
	u->off += n;
	return n;
}

enum md_err
smtp_client_new(const struct server_config *cfg, const char *helo, struct smtp_client **out)
{
	struct smtp_client *c;
	struct buf url;
	long timeout;
	int v6;
	enum md_err err;

	*out = NULL;
	if (cfg == NULL || !hostchars_valid(cfg->host, 1) || cfg->port <= 0 ||
	    cfg->port > 65535 || (helo != NULL && !hostchars_valid(helo, 0)))
		return MD_ERR_INPUT;
	if (!curl_ready) {
		if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK)
			return MD_ERR_NOMEM;
		curl_ready = 1;
	}
	if ((c = calloc(1, sizeof(*c))) == NULL)
		return MD_ERR_NOMEM;
	v6 = strchr(cfg->host, ':') != NULL;
	buf_init(&url, 600);
	/* The URL path is the name libcurl gives in EHLO. */
	err = buf_printf(&url, "%s://%s%s%s:%d/%s", cfg->tls == TLS_MODE_TLS ? "smtps" : "smtp",
	    v6 ? "[" : "", cfg->host, v6 ? "]" : "", cfg->port, helo ? helo : "");
	if (err || (c->url = buf_steal(&url)) == NULL) {
		buf_free(&url);
		free(c);
		return err ? err : MD_ERR_NOMEM;
	}
	if ((c->curl = curl_easy_init()) == NULL) {
		free(c->url);
		free(c);
		return MD_ERR_NOMEM;
	}
	timeout = cfg->timeout > 0 ? cfg->timeout : DEFAULT_TIMEOUT;
	curl_easy_setopt(c->curl, CURLOPT_URL, c->url);
#if LIBCURL_VERSION_NUM >= 0x075500
	curl_easy_setopt(c->curl, CURLOPT_PROTOCOLS_STR, "smtp,smtps");
#else
	curl_easy_setopt(c->curl, CURLOPT_PROTOCOLS, (long)(CURLPROTO_SMTP | CURLPROTO_SMTPS));
#endif
	curl_easy_setopt(c->curl, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(c->curl, CURLOPT_ERRORBUFFER, c->curlerr);
	curl_easy_setopt(c->curl, CURLOPT_CONNECTTIMEOUT, timeout);
	curl_easy_setopt(c->curl, CURLOPT_SERVER_RESPONSE_TIMEOUT, timeout);
	/* A stalled upload is caught by the low-speed limit, not a total timeout. */
	curl_easy_setopt(c->curl, CURLOPT_LOW_SPEED_LIMIT, 1L);
	curl_easy_setopt(c->curl, CURLOPT_LOW_SPEED_TIME, timeout);
	curl_easy_setopt(c->curl, CURLOPT_TCP_KEEPALIVE, 1L);
	curl_easy_setopt(c->curl, CURLOPT_UPLOAD, 1L);
	curl_easy_setopt(c->curl, CURLOPT_READFUNCTION, read_cb);
	if (cfg->tls == TLS_MODE_STARTTLS)
		curl_easy_setopt(c->curl, CURLOPT_USE_SSL, (long)CURLUSESSL_ALL);
	if (cfg->ca_file)
		curl_easy_setopt(c->curl, CURLOPT_CAINFO, cfg->ca_file);
	curl_easy_setopt(c->curl, CURLOPT_SSL_VERIFYPEER, cfg->tls_verify ? 1L : 0L);
	curl_easy_setopt(c->curl, CURLOPT_SSL_VERIFYHOST, cfg->tls_verify ? 2L : 0L);
	if (cfg->user) {
		/* libcurl copies option strings, so the config may go away. */
		curl_easy_setopt(c->curl, CURLOPT_USERNAME, cfg->user);
		curl_easy_setopt(c->curl, CURLOPT_PASSWORD, cfg->password ? cfg->password : "");
		if (cfg->tls == TLS_MODE_NONE)
			log_warnx("smtp: credentials for %s will be sent without TLS", cfg->host);
	}
	/*
	 * One recipient per send, so CURLOPT_MAIL_RCPT_ALLLOWFAILS (spelt with
	 * three L's in libcurl 7.88, renamed in 8.2) is not needed: a refused
	 * recipient fails the whole send, which is what the outbox wants.
	 */
	*out = c;
	return MD_OK;
}

static enum md_err
classify(CURLcode rc, long code)
{
	switch (rc) {
	case CURLE_OK:
		return MD_OK;
	case CURLE_OUT_OF_MEMORY:
		return MD_ERR_NOMEM;
	case CURLE_LOGIN_DENIED:
		return MD_ERR_AUTH;
	case CURLE_PEER_FAILED_VERIFICATION:
	case CURLE_SSL_CACERT_BADFILE:
	case CURLE_SSL_CERTPROBLEM:
	case CURLE_SSL_ISSUER_ERROR:
	case CURLE_SSL_PINNEDPUBKEYNOTMATCH:
	case CURLE_SSL_INVALIDCERTSTATUS:
	case CURLE_USE_SSL_FAILED:
		return MD_ERR_TLS;
	default:
		break;
	}
	if (code >= 500 && code <= 599)
		return MD_ERR_FINAL;
	/* 4xx, no reply at all, a dropped connection, a handshake cut short. */
	return MD_ERR_TEMP;
}

/* Bare LF or CR become CRLF, and the message ends with a line end. */
static enum md_err
normalise(const char *data, size_t len, struct buf *out, int *changed)
{
	size_t i;
	enum md_err err = MD_OK;

	*changed = 0;
	for (i = 0; i < len; i++) {
		if ((data[i] == '\r' && (i + 1 == len || data[i + 1] != '\n')) ||
		    (data[i] == '\n' && (i == 0 || data[i - 1] != '\r')))
			break;
	}
	if (i == len && len >= 2 && data[len - 2] == '\r' && data[len - 1] == '\n')
		return MD_OK;
	*changed = 1;
	for (i = 0; i < len && err == MD_OK; i++) {
		if (data[i] == '\r' || data[i] == '\n') {
			err = buf_puts(out, "\r\n");
			if (data[i] == '\r' && i + 1 < len && data[i + 1] == '\n')
				i++;
		} else
			err = buf_putc(out, data[i]);
	}
	if (err == MD_OK && (out->len < 2 || memcmp(out->data + out->len - 2, "\r\n", 2)))
		err = buf_puts(out, "\r\n");
	return err;
}

static CURLcode
perform(struct smtp_client *c, struct upload *u, long *code, long *newconns)
{
	CURLcode rc;

	u->off = 0;
	c->curlerr[0] = '\0';
	*code = 0;
	*newconns = 0;
	rc = curl_easy_perform(c->curl);
	curl_easy_getinfo(c->curl, CURLINFO_RESPONSE_CODE, code);
	curl_easy_getinfo(c->curl, CURLINFO_NUM_CONNECTS, newconns);
	c->connections += *newconns;
	return rc;
}

enum md_err
smtp_send(struct smtp_client *c, const char *mail_from, const char *rcpt, const char *data,
    size_t len, char *errbuf, size_t errlen)
{
	struct curl_slist *rcpts = NULL;
	struct upload u;
	struct buf norm, env;
	long code, newconns;
	CURLcode rc;
	enum md_err err;
	int changed;

	c->last_code = 0;
	if (!notice_address_valid(mail_from) || !notice_address_valid(rcpt)) {
		seterr(errbuf, errlen, "invalid envelope address");
		return MD_ERR_INPUT;
	}
	if (data == NULL || len == 0) {
		seterr(errbuf, errlen, "empty message");
		return MD_ERR_INPUT;
	}
	if (len > SMTP_MAX_MESSAGE) {
		seterr(errbuf, errlen, "message larger than %d bytes", SMTP_MAX_MESSAGE);
		return MD_ERR_LIMIT;
	}
	buf_init(&norm, SMTP_MAX_MESSAGE * 2 + 2);
	buf_init(&env, 300);
	if ((err = normalise(data, len, &norm, &changed)))
		goto out;
	u.data = changed ? norm.data : data;
	u.len = changed ? norm.len : len;
	err = MD_ERR_NOMEM;
	if (buf_printf(&env, "<%s>", rcpt) || (rcpts = curl_slist_append(NULL, env.data)) == NULL)
		goto out;
	buf_reset(&env);
	if (buf_printf(&env, "<%s>", mail_from))
		goto out;
	curl_easy_setopt(c->curl, CURLOPT_MAIL_FROM, env.data);
	curl_easy_setopt(c->curl, CURLOPT_MAIL_RCPT, rcpts);
	curl_easy_setopt(c->curl, CURLOPT_READDATA, &u);
	curl_easy_setopt(c->curl, CURLOPT_INFILESIZE_LARGE, (curl_off_t)u.len);
	rc = perform(c, &u, &code, &newconns);
	err = classify(rc, code);
	/*
	 * A server may close an idle connection just as it is reused; that
	 * shows as an error without a reply code. One try on a fresh
	 * connection tells that apart from a server that is really down.
	 */
	if (err == MD_ERR_TEMP && newconns == 0 && (code == 0 || code == 421)) {
		log_debug("smtp: reused connection failed (%s), retrying on a new one",
		    curl_easy_strerror(rc));
		curl_easy_setopt(c->curl, CURLOPT_FRESH_CONNECT, 1L);
		rc = perform(c, &u, &code, &newconns);
		curl_easy_setopt(c->curl, CURLOPT_FRESH_CONNECT, 0L);
		err = classify(rc, code);
	}
	c->last_code = code;
	if (err)
		seterr(errbuf, errlen, "%s: %s%s%s (reply code %ld)", c->url,
		    curl_easy_strerror(rc), c->curlerr[0] ? ": " : "", c->curlerr, code);
	/* The slist and the upload state die here: detach them from the handle. */
	curl_easy_setopt(c->curl, CURLOPT_MAIL_RCPT, NULL);
	curl_easy_setopt(c->curl, CURLOPT_READDATA, NULL);
out:
	curl_slist_free_all(rcpts);
	buf_free(&norm);
	buf_free(&env);
	return err;
}

long
smtp_last_code(const struct smtp_client *c)
{
	return c->last_code;
}

long
smtp_connections(const struct smtp_client *c)
{
	return c->connections;
}

void
smtp_client_free(struct smtp_client *c)
{
	if (c == NULL)
		return;
	if (c->curl)
		curl_easy_cleanup(c->curl);
	free(c->url);
	free(c);
}
