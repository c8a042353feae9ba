#include <ctype.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "autodetect.h"
#include "autodetect_int.h"

/*
 * Bounce linking. Extracted strings are checked to be printable ASCII, so
 * they can go into SQL parameters, logs and JSON as they are; the notices
 * they link to were sent to ASCII addresses with ASCII Message-IDs.
 */
static int
clean_token(const char *s, size_t n)
{
	size_t i;

	if (n == 0 || n > 512)
		return 0;
	for (i = 0; i < n; i++) {
		unsigned char ch = (unsigned char)s[i];

		if (ch <= 0x20 || ch >= 0x7f || ch == '<' || ch == '>' || ch == '"' ||
		    ch == ',' || ch == ';' || ch == '\\')
			return 0;
	}
	return 1;
}

static enum md_err
add_recipient(struct ctx *c, struct auto_verdict *v, const char *s, size_t n)
{
	char **tmp, *a;
	size_t i;

	while (n > 0 && (*s == ' ' || *s == '\t' || *s == '<'))
		s++, n--;
	while (n > 0 && (s[n - 1] == ' ' || s[n - 1] == '\t' || s[n - 1] == '>' ||
	    s[n - 1] == '\r'))
		n--;
	if (!clean_token(s, n) || memchr(s, '@', n) == NULL)
		return MD_OK;
	if (v->n_failed_recipients >= c->cfg->max_failed_recipients)
		return MD_OK;
	for (i = 0; i < v->n_failed_recipients; i++)
		if (strncasecmp(v->failed_recipients[i], s, n) == 0 &&
		    v->failed_recipients[i][n] == '\0')
			return MD_OK;
	if ((a = strndup(s, n)) == NULL)
		return MD_ERR_NOMEM;
	for (i = 0; i < n; i++)
		a[i] = (char)tolower((unsigned char)a[i]);
	tmp = reallocarray(v->failed_recipients, v->n_failed_recipients + 1, sizeof(*tmp));
	if (tmp == NULL) {
		free(a);
		return MD_ERR_NOMEM;
	}
	v->failed_recipients = tmp;
	v->failed_recipients[v->n_failed_recipients++] = a;
	return MD_OK;
}

/* "a@x, b@y" (X-Failed-Recipients) or "rfc822; a@x" (DSN fields). */
static enum md_err
add_recipient_list(struct ctx *c, struct auto_verdict *v, const char *s, size_t n)
{
	const char *semi = memchr(s, ';', n), *comma;
	enum md_err err;

	if (semi) {
		n -= (size_t)(semi + 1 - s);
		s = semi + 1;
	}
	while (n > 0) {
		comma = memchr(s, ',', n);
		err = add_recipient(c, v, s, comma ? (size_t)(comma - s) : n);
		if (err || comma == NULL)
			return err;
		n -= (size_t)(comma + 1 - s);
		s = comma + 1;
	}
	return MD_OK;
}

static enum md_err
set_message_id(struct auto_verdict *v, const char *s, size_t n)
{
	const char *lt, *gt;

	if (v->original_message_id)
		return MD_OK;
	lt = memchr(s, '<', n);
	if (lt) {
		gt = memchr(lt, '>', n - (size_t)(lt - s));
		if (gt == NULL)
			return MD_OK;
		s = lt + 1;
		n = (size_t)(gt - s);
	} else {
		size_t i;

		while (n > 0 && (*s == ' ' || *s == '\t'))
			s++, n--;
		/* s is not NUL-terminated: the value ends at n or the first blank. */
		for (i = 0; i < n && s[i] != ' ' && s[i] != '\t' && s[i] != '\r'; i++)
			;
		n = i;
	}
	if (!clean_token(s, n) || memchr(s, '@', n) == NULL)
		return MD_OK;
	if ((v->original_message_id = strndup(s, n)) == NULL)
		return MD_ERR_NOMEM;
	return MD_OK;
}

/*
 * Scan report text for DSN/ARF fields and the returned message's
 * Message-ID. A Message-ID whose value was folded onto the next line is
 * taken from there.
 */
static enum md_err
scan_report(struct ctx *c, struct auto_verdict *v, const char *p, const char *end,
    int *n_failed, int *n_delayed)
{
	const char *line, *next, *q;
	size_t llen, n, nlen;
	enum md_err err = MD_OK;

	if ((size_t)(end - p) > c->cfg->max_scan_bytes)
		end = p + c->cfg->max_scan_bytes;
	while (err == MD_OK && ad_next_line(&p, end, &line, &llen)) {
		if ((n = ad_prefix_ci(line, llen, "Final-Recipient:")) ||
		    (n = ad_prefix_ci(line, llen, "Original-Recipient:")) ||
		    (n = ad_prefix_ci(line, llen, "Original-Rcpt-To:")) ||
		    (n = ad_prefix_ci(line, llen, "X-Failed-Recipients:")))
			err = add_recipient_list(c, v, line + n, llen - n);
		else if ((n = ad_prefix_ci(line, llen, "Action:"))) {
			char t[16];
			size_t i = 0;

			for (q = line + n; q < line + llen && (*q == ' ' || *q == '\t'); q++)
				;
			while (q < line + llen && i + 1 < sizeof(t) && isalpha((unsigned char)*q))
				t[i++] = (char)tolower((unsigned char)*q++);
			t[i] = '\0';
			if (strcmp(t, "failed") == 0)
				(*n_failed)++;
			else if (strcmp(t, "delayed") == 0)
				(*n_delayed)++;
		} else if ((n = ad_prefix_ci(line, llen, "Message-ID:")) &&
		    !v->original_message_id) {
			if (memchr(line + n, '<', llen - n) == NULL && p < end &&
			    (*p == ' ' || *p == '\t')) {
				q = p;
				if (ad_next_line(&q, end, &next, &nlen))
					err = set_message_id(v, next, nlen);
			} else
				err = set_message_id(v, line + n, llen - n);
		}
	}
	return err;
}

enum md_err
autodetect_extract_links(struct ctx *c, struct auto_verdict *v)
{
	int n_failed = 0, n_delayed = 0;
	enum md_err err = MD_OK;
	size_t i;

	for (i = 0; i < c->n_hdrs && err == MD_OK; i++) {
		const struct message_header *h = &c->hdrs[i];

		if (h->name && h->value && strcasecmp(h->name, "X-Failed-Recipients") == 0)
			err = add_recipient_list(c, v, h->value, strlen(h->value));
	}
	/* Decoded parts first: they survive base64 and quoted-printable. */
	for (i = 0; c->msg && i < c->msg->n_attachments && err == MD_OK; i++) {
		const struct message_attachment *a = &c->msg->attachments[i];

		if (a->data == NULL || a->content_type == NULL)
			continue;
		if (strcmp(a->content_type, "message/delivery-status") == 0 ||
		    strcmp(a->content_type, "message/global-delivery-status") == 0 ||
		    strcmp(a->content_type, "message/feedback-report") == 0 ||
		    strcmp(a->content_type, "message/rfc822") == 0 ||
		    strcmp(a->content_type, "text/rfc822-headers") == 0)
			err = scan_report(c, v, (const char *)a->data,
			    (const char *)a->data + a->size, &n_failed, &n_delayed);
	}
	/* Raw too: parsers may keep report parts inline. Duplicates are dropped. */
	if (err == MD_OK)
		err = scan_report(c, v, c->raw + c->body_off, c->raw + c->len,
		    &n_failed, &n_delayed);
	if (err == MD_OK && c->msg && c->msg->text && v->original_message_id == NULL)
		err = scan_report(c, v, c->msg->text, c->msg->text + c->msg->text_len,
		    &n_failed, &n_delayed);
	/* Bounces that quote nothing often still thread to what they report on. */
	if (err == MD_OK && v->original_message_id == NULL) {
		const char *irt = c->msg ? c->msg->in_reply_to : ad_hdr_find(c, "In-Reply-To");

		if (irt)
			err = set_message_id(v, irt, strlen(irt));
	}
	v->delayed = n_delayed > 0 && n_failed == 0;
	return err;
}
