#include <ctype.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "autodetect.h"
#include "autodetect_int.h"
#include "buf.h"
#include "log.h"

/*
 * Kinds in order of precedence: when several signals are present the most
 * specific wins, because the caller acts on the kind (a bounce is linked to
 * the notice it reports on, a loop is worth a warning to staff).
 */
static const char *const kinds[] = {
	"loop", "feedback-report", "bounce", "auto-reply", "list", "bulk", "robot"
};

#define RAW_HEADER_MAX		1000
#define RAW_HEADER_VALUE_MAX	16384
/* Room for one escaped mail value, so that several fit in a reason. */
#define ESC_MAX			96

const char *
ad_hdr_find(const struct ctx *c, const char *name)
{
	size_t i;

	for (i = 0; i < c->n_hdrs; i++) {
		const struct message_header *h = &c->hdrs[i];

		if (h->name && h->value && strcasecmp(h->name, name) == 0)
			return h->value;
	}
	return NULL;
}

static const char *
skip_ws(const char *s)
{
	while (*s == ' ' || *s == '\t' || *s == '\r' || *s == '\n')
		s++;
	return s;
}

static void
add_signal(struct ctx *c, enum kind k, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static void
add_signal(struct ctx *c, enum kind k, const char *fmt, ...)
{
	va_list ap;

	c->n_signals++;
	if (k >= c->kind)
		return;
	c->kind = k;
	va_start(ap, fmt);
	vsnprintf(c->reason, sizeof(c->reason), fmt, ap);
	va_end(ap);
}

/* Line iterator over [*p, end): the line without its CR LF. */
int
ad_next_line(const char **p, const char *end, const char **line, size_t *llen)
{
	const char *s = *p, *nl;

	if (s >= end)
		return 0;
	nl = memchr(s, '\n', (size_t)(end - s));
	*line = s;
	if (nl == NULL) {
		*llen = (size_t)(end - s);
		*p = end;
	} else {
		*llen = (size_t)(nl - s);
		*p = nl + 1;
	}
	if (*llen > 0 && s[*llen - 1] == '\r')
		(*llen)--;
	return 1;
}

/* Length of pfx when line starts with it (ASCII case-insensitive), else 0. */
size_t
ad_prefix_ci(const char *line, size_t llen, const char *pfx)
{
	size_t n = strlen(pfx);

	if (llen < n || strncasecmp(line, pfx, n) != 0)
		return 0;
	return n;
}

static size_t
find_body(const char *raw, size_t len)
{
	const char *p = raw, *end = raw + len, *line;
	size_t llen;

	while (ad_next_line(&p, end, &line, &llen))
		if (llen == 0)
			return (size_t)(p - raw);
	return len;
}

static enum md_err
raw_headers_add(struct ctx *c, size_t *cap, const char *name, size_t nlen, struct buf *val)
{
	struct message_header *tmp;
	char *n, *v;

	if (c->n_rh == *cap) {
		size_t ncap = *cap ? *cap * 2 : 32;

		tmp = reallocarray(c->rh, ncap, sizeof(*tmp));
		if (tmp == NULL)
			return MD_ERR_NOMEM;
		c->rh = tmp;
		*cap = ncap;
	}
	if ((n = strndup(name, nlen)) == NULL)
		return MD_ERR_NOMEM;
	if ((v = buf_steal(val)) == NULL) {
		free(n);
		return MD_ERR_NOMEM;
	}
	c->rh[c->n_rh].name = n;
	c->rh[c->n_rh].value = v;
	c->n_rh++;
	return MD_OK;
}

/*
 * Minimal top-level header reader for when there is no parsed message:
 * unfolds continuation lines and keeps values raw (no RFC 2047 decoding).
 * Over-long values are cut at RAW_HEADER_VALUE_MAX, headers past
 * RAW_HEADER_MAX are ignored: only the signals matter here.
 */
static enum md_err
raw_headers_parse(struct ctx *c)
{
	const char *p = c->raw, *end = c->raw + c->body_off, *line, *name = NULL;
	size_t llen, nlen = 0, cap = 0, i;
	struct buf val;
	enum md_err err = MD_OK;

	buf_init(&val, RAW_HEADER_VALUE_MAX);
	while (ad_next_line(&p, end, &line, &llen) && llen > 0) {
		const char *colon;

		if (line[0] == ' ' || line[0] == '\t') {
			if (name == NULL)
				continue;
			if (buf_putc(&val, ' ') == MD_OK) {
				for (i = 0; i < llen && (line[i] == ' ' || line[i] == '\t'); i++)
					;
				(void)buf_append(&val, line + i, llen - i);
			}
			continue;
		}
		if (name && c->n_rh < RAW_HEADER_MAX) {
			err = raw_headers_add(c, &cap, name, nlen, &val);
			if (err)
				goto out;
		}
		buf_reset(&val);
		name = NULL;
		colon = memchr(line, ':', llen);
		if (colon == NULL || colon == line)
			continue;
		name = line;
		nlen = (size_t)(colon - line);
		while (nlen > 0 && (name[nlen - 1] == ' ' || name[nlen - 1] == '\t'))
			nlen--;
		for (i = (size_t)(colon - line) + 1;
		    i < llen && (line[i] == ' ' || line[i] == '\t'); i++)
			;
		if (buf_append(&val, line + i, llen - i) != MD_OK)
			(void)buf_append(&val, line + i, RAW_HEADER_VALUE_MAX);
	}
	if (name && c->n_rh < RAW_HEADER_MAX)
		err = raw_headers_add(c, &cap, name, nlen, &val);
out:
	buf_free(&val);
	return err;
}

/* Copy the first token of v (up to ';', '(', ',' or space), lower case. */
static void
first_token(const char *v, char *dst, size_t dstlen)
{
	size_t o = 0;

	v = skip_ws(v);
	while (*v && *v != ';' && *v != '(' && *v != ',' && *v != ' ' && *v != '\t' &&
	    o + 1 < dstlen)
		dst[o++] = (char)tolower((unsigned char)*v++);
	dst[o] = '\0';
}

/*
 * The addr-spec of a From/Return-Path style value, lower case: what is
 * between the last '<' and the next '>', else the first word. "" for "<>".
 */
static void
addr_of(const char *v, char *dst, size_t dstlen)
{
	const char *lt, *gt, *s;
	size_t o = 0;

	dst[0] = '\0';
	if (v == NULL || dstlen == 0)
		return;
	lt = strrchr(v, '<');
	if (lt && (gt = strchr(lt, '>')) != NULL) {
		for (s = lt + 1; s < gt && o + 1 < dstlen; s++)
			if (*s != ' ' && *s != '\t')
				dst[o++] = (char)tolower((unsigned char)*s);
		dst[o] = '\0';
		return;
	}
	for (s = skip_ws(v); *s && *s != ' ' && *s != '\t' && *s != '(' && o + 1 < dstlen; s++)
		dst[o++] = (char)tolower((unsigned char)*s);
	dst[o] = '\0';
}

/* Local part of a lower-case address (all of it when there is no '@'). */
static void
local_of(const char *addr, char *dst, size_t dstlen)
{
	size_t n = strcspn(addr, "@");

	if (n >= dstlen)
		n = dstlen - 1;
	memcpy(dst, addr, n);
	dst[n] = '\0';
}

static const char *
domain_of(const char *addr)
{
	const char *at = strrchr(addr, '@');

	return at ? at + 1 : addr;
}

static int
is_daemon_local(const char *local)
{
	static const char *const names[] = {
		"mailer-daemon", "mailer_daemon", "mailerdaemon", "mail-daemon",
		"mail_daemon", "maildaemon", "postmaster", "post_master", "post-master",
		"double-bounce", "mail.delivery.system", NULL
	};
	size_t i;

	for (i = 0; names[i]; i++)
		if (strcmp(local, names[i]) == 0)
			return 1;
	return 0;
}

/* noreply, no-reply, no_reply, noreply+tag, donotreply, do-not-reply, ... */
static int
is_noreply_local(const char *local)
{
	static const char *const stems[] = {
		"noreply", "donotreply", "donotrespond", "noresponse", NULL
	};
	char norm[64];
	size_t o = 0, i;

	for (; *local && o + 1 < sizeof(norm); local++)
		if (isalnum((unsigned char)*local))
			norm[o++] = *local;
	norm[o] = '\0';
	for (i = 0; stems[i]; i++)
		if (strncmp(norm, stems[i], strlen(stems[i])) == 0)
			return 1;
	return 0;
}

/* Does value (a domain, an address, or text containing one) name our domain? */
static int
names_our_domain(const struct ctx *c, const char *value)
{
	char a[256];
	const char *d = c->cfg->loop_domain;
	size_t i;

	if (d == NULL || *d == '\0')
		return 1;
	addr_of(value, a, sizeof(a));
	if (strcasecmp(domain_of(a), d) == 0)
		return 1;
	for (i = 0; i < c->cfg->n_own_addresses; i++)
		if (c->cfg->own_addresses[i] && strcasecmp(a, c->cfg->own_addresses[i]) == 0)
			return 1;
	return 0;
}

static int
is_false_value(const char *v)
{
	char t[16];

	first_token(v, t, sizeof(t));
	return strcmp(t, "no") == 0 || strcmp(t, "false") == 0 || strcmp(t, "0") == 0;
}

static void
check_loop_headers(struct ctx *c)
{
	char e[ESC_MAX];
	size_t i;

	for (i = 0; i < c->n_hdrs; i++) {
		const struct message_header *h = &c->hdrs[i];

		if (h->name == NULL || h->value == NULL)
			continue;
		if (strcasecmp(h->name, AUTODETECT_LOOP_HEADER) == 0) {
			if (names_our_domain(c, h->value))
				add_signal(c, K_LOOP, "%s: %s is our own loop marker",
				    AUTODETECT_LOOP_HEADER, log_escape(e, sizeof(e), h->value));
			else
				add_signal(c, K_ROBOT, "%s: %s comes from another memberdesk",
				    AUTODETECT_LOOP_HEADER, log_escape(e, sizeof(e), h->value));
		} else if (strcasecmp(h->name, "X-Loop") == 0) {
			if (c->cfg->loop_domain && names_our_domain(c, h->value))
				add_signal(c, K_LOOP, "X-Loop: %s names our domain",
				    log_escape(e, sizeof(e), h->value));
			else
				add_signal(c, K_ROBOT,
				    "X-Loop: %s (mail already handled by a robot)",
				    log_escape(e, sizeof(e), h->value));
		}
	}
}

/* Headers whose mere presence marks automatic mail. */
struct presence_signal {
	const char *name;
	enum kind kind;
	int unless_false;       /* "X-Autoreply: no" is no signal */
	const char *why;
};

static const struct presence_signal presence_signals[] = {
	{ "X-Failed-Recipients", K_BOUNCE, 0, "" },
	{ "X-Autoreply", K_AUTOREPLY, 1, "" },
	{ "X-Autorespond", K_AUTOREPLY, 1, "" },
	{ "X-AutoReply-From", K_AUTOREPLY, 1, "" },
	{ "X-Mail-Autoreply", K_AUTOREPLY, 1, "" },
	{ "List-Id", K_LIST, 0, " (mailing list)" },
	{ "List-Unsubscribe", K_LIST, 0, " (mailing list)" },
	{ "List-Post", K_LIST, 0, " (mailing list)" },
	{ "List-Subscribe", K_LIST, 0, " (mailing list)" },
	{ "List-Help", K_LIST, 0, " (mailing list)" },
	{ "List-Owner", K_LIST, 0, " (mailing list)" },
	{ "List-Archive", K_LIST, 0, " (mailing list)" },
	{ "Mailing-List", K_LIST, 0, " (mailing list)" },
	{ "X-Mailing-List", K_LIST, 0, " (mailing list)" },
	{ "X-ML-Name", K_LIST, 0, " (mailing list)" },
	{ "Feedback-ID", K_BULK, 0, " (bulk sender)" },
	{ "X-Auto-Response-Suppress", K_ROBOT, 0, " (Exchange generated mail)" },
	{ "X-MS-Exchange-Generated-Message-Source", K_ROBOT, 0, " (Exchange generated mail)" },
	{ "X-RT-Loop-Prevention", K_ROBOT, 0, " (sent by a ticket system)" },
	{ "X-OTRS-Loop", K_ROBOT, 1, " (sent by a ticket system)" },
	{ NULL, K_NONE, 0, NULL }
};

static void
check_rfc3834(struct ctx *c)
{
	char e[ESC_MAX], t[64];
	const char *v;
	size_t i;

	if ((v = ad_hdr_find(c, "Auto-Submitted")) != NULL) {
		first_token(v, t, sizeof(t));
		if (strcmp(t, "no") == 0)
			snprintf(c->note, sizeof(c->note), "Auto-Submitted: no");
		else if (strcmp(t, "auto-replied") == 0)
			add_signal(c, K_AUTOREPLY, "Auto-Submitted: %s (RFC 3834)",
			    log_escape(e, sizeof(e), v));
		else
			add_signal(c, K_ROBOT, "Auto-Submitted: %s (RFC 3834)",
			    log_escape(e, sizeof(e), v));
	}
	if ((v = ad_hdr_find(c, "Precedence")) != NULL) {
		first_token(v, t, sizeof(t));
		if (strcmp(t, "bulk") == 0 || strcmp(t, "junk") == 0)
			add_signal(c, K_BULK, "Precedence: %s", log_escape(e, sizeof(e), v));
		else if (strcmp(t, "list") == 0)
			add_signal(c, K_LIST, "Precedence: %s", log_escape(e, sizeof(e), v));
		else if (strcmp(t, "auto_reply") == 0 || strcmp(t, "auto-reply") == 0)
			add_signal(c, K_AUTOREPLY, "Precedence: %s", log_escape(e, sizeof(e), v));
	}
	for (i = 0; i < c->n_hdrs; i++) {
		const struct message_header *h = &c->hdrs[i];
		const struct presence_signal *ps;

		if (h->name == NULL || h->value == NULL)
			continue;
		for (ps = presence_signals; ps->name; ps++)
			if (strcasecmp(h->name, ps->name) == 0 &&
			    !(ps->unless_false && is_false_value(h->value)))
				add_signal(c, ps->kind, "%s: %s%s", ps->name,
				    log_escape(e, sizeof(e), h->value), ps->why);
	}
}

/* Value of parameter name in a Content-Type value, lower case, or "". */
static void
ct_param(const char *v, const char *name, char *dst, size_t dstlen)
{
	const char *p = v;
	size_t n = strlen(name), o = 0;

	dst[0] = '\0';
	while ((p = strchr(p, ';')) != NULL) {
		p = skip_ws(p + 1);
		if (strncasecmp(p, name, n) != 0)
			continue;
		p = skip_ws(p + n);
		if (*p != '=')
			continue;
		p = skip_ws(p + 1);
		if (*p == '"')
			p++;
		while (*p && (isalnum((unsigned char)*p) || *p == '-' || *p == '_' ||
		    *p == '.') && o + 1 < dstlen)
			dst[o++] = (char)tolower((unsigned char)*p++);
		dst[o] = '\0';
		return;
	}
}

static void
report_type_signal(struct ctx *c, const char *rt, const char *where)
{
	if (strcmp(rt, "feedback-report") == 0)
		add_signal(c, K_FEEDBACK, "%s=feedback-report (ARF abuse report)", where);
	else if (strcmp(rt, "disposition-notification") == 0)
		add_signal(c, K_AUTOREPLY, "%s=disposition-notification (read receipt)", where);
	else
		add_signal(c, K_BOUNCE, "%s=%s (delivery status notification)", where,
		    *rt ? rt : "(none)");
}

/* A MIME type token at the start of s, followed by a delimiter. */
static int
type_is(const char *s, size_t slen, const char *type)
{
	size_t n = strlen(type);

	if (slen < n || strncasecmp(s, type, n) != 0)
		return 0;
	return slen == n || s[n] == ';' || s[n] == ' ' || s[n] == '\t';
}

/*
 * Part headers inside a multipart body. The scan stops at the first
 * embedded message: a member forwarding a bounce to the chamber sends a
 * message/rfc822 whose insides say delivery-status, and that member's mail
 * is not automatic.
 */
static void
check_mime_parts(struct ctx *c)
{
	const char *p = c->raw + c->body_off, *end, *line;
	size_t llen, n;

	end = c->raw + c->len;
	if ((size_t)(end - p) > c->cfg->max_scan_bytes)
		end = p + c->cfg->max_scan_bytes;
	while (ad_next_line(&p, end, &line, &llen)) {
		if ((n = ad_prefix_ci(line, llen, "Content-Type:")) == 0)
			continue;
		line += n;
		llen -= n;
		while (llen > 0 && (*line == ' ' || *line == '\t'))
			line++, llen--;
		if (type_is(line, llen, "message/rfc822") ||
		    type_is(line, llen, "message/global") ||
		    type_is(line, llen, "text/rfc822-headers"))
			return;
		if (type_is(line, llen, "message/delivery-status") ||
		    type_is(line, llen, "message/global-delivery-status"))
			add_signal(c, K_BOUNCE, "a message/delivery-status part (DSN)");
		else if (type_is(line, llen, "message/feedback-report"))
			add_signal(c, K_FEEDBACK, "a message/feedback-report part (ARF)");
		else if (type_is(line, llen, "message/disposition-notification"))
			add_signal(c, K_AUTOREPLY,
			    "a message/disposition-notification part (read receipt)");
	}
}

static void
check_structure(struct ctx *c)
{
	const char *v = ad_hdr_find(c, "Content-Type");
	char type[64], rt[48];

	if (c->msg && c->msg->content_type && *c->msg->content_type)
		snprintf(type, sizeof(type), "%s", c->msg->content_type);
	else if (v)
		first_token(v, type, sizeof(type));
	else
		type[0] = '\0';
	if (strcmp(type, "multipart/report") == 0) {
		ct_param(v ? v : "", "report-type", rt, sizeof(rt));
		report_type_signal(c, rt, "Content-Type: multipart/report; report-type");
	} else if (strcmp(type, "message/delivery-status") == 0) {
		add_signal(c, K_BOUNCE, "Content-Type: message/delivery-status");
	}
	if (strncmp(type, "multipart/", 10) == 0)
		check_mime_parts(c);
}

static void
check_senders(struct ctx *c)
{
	char from[256], rp[256], local[128], e[ESC_MAX], e2[ESC_MAX];
	const char *fv = ad_hdr_find(c, "From"), *rpv = ad_hdr_find(c, "Return-Path");
	const char *rto;
	char rtolocal[128], rtoaddr[256];
	size_t i;

	if (c->msg && c->msg->from_addr)
		snprintf(from, sizeof(from), "%s", c->msg->from_addr);
	else
		addr_of(fv, from, sizeof(from));

	if (rpv != NULL) {
		addr_of(rpv, rp, sizeof(rp));
		local_of(rp, local, sizeof(local));
		if (rp[0] == '\0')
			add_signal(c, K_ROBOT,
			    "Return-Path: <> (null sender, used for notifications)");
		else if (is_daemon_local(local))
			add_signal(c, K_BOUNCE, "Return-Path: <%s> is a mail system",
			    log_escape(e, sizeof(e), rp));
	}
	if (fv != NULL && from[0] == '\0') {
		/* "MAILER-DAEMON <>": the name is all that is left to go by. */
		first_token(fv, local, sizeof(local));
		add_signal(c, is_daemon_local(local) ? K_BOUNCE : K_ROBOT,
		    "From: %s has no address (null sender)", log_escape(e, sizeof(e), fv));
	}
	if (from[0] == '\0')
		return;
	for (i = 0; i < c->cfg->n_own_addresses; i++)
		if (c->cfg->own_addresses[i] && strcasecmp(from, c->cfg->own_addresses[i]) == 0)
			add_signal(c, K_LOOP, "From: %s is our own address",
			    log_escape(e, sizeof(e), from));
	local_of(from, local, sizeof(local));
	if (is_daemon_local(local)) {
		add_signal(c, K_BOUNCE, "From: %s is a mail system",
		    log_escape(e, sizeof(e), from));
		return;
	}
	if (fv && (strcasestr(fv, "Mail Delivery Subsystem") ||
	    strcasestr(fv, "Mail Delivery System"))) {
		add_signal(c, K_BOUNCE, "From: %s", log_escape(e, sizeof(e), fv));
		return;
	}
	if (!is_noreply_local(local))
		return;
	rto = c->msg ? c->msg->reply_to_addr : NULL;
	if (rto == NULL) {
		addr_of(ad_hdr_find(c, "Reply-To"), rtoaddr, sizeof(rtoaddr));
		rto = rtoaddr[0] ? rtoaddr : NULL;
	}
	if (rto) {
		local_of(rto, rtolocal, sizeof(rtolocal));
		if (c->cfg->noreply_with_reply_to_is_human && strcasecmp(rto, from) != 0 &&
		    !is_noreply_local(rtolocal) && !is_daemon_local(rtolocal)) {
			snprintf(c->note, sizeof(c->note),
			    "noreply sender %s relays for Reply-To %s",
			    log_escape(e, sizeof(e), from), log_escape(e2, sizeof(e2), rto));
			return;
		}
	}
	add_signal(c, K_ROBOT, "From: %s is a noreply address", log_escape(e, sizeof(e), from));
}

/*
 * A phrase counts when it starts the subject and is followed by the end or
 * punctuation; "loose" phrases may also be followed by a space. Single
 * words stay strict: "Undeliverable: ..." is a bounce, "Undeliverable goods
 * at the port" is a member's problem.
 */
struct subject_kw {
	const char *text;
	enum kind kind;
	int loose;
};

static const struct subject_kw subject_kws[] = {
	{ "自动回复", K_AUTOREPLY, 1 },
	{ "自动答复", K_AUTOREPLY, 1 },
	{ "自動回覆", K_AUTOREPLY, 1 },
	{ "自動回復", K_AUTOREPLY, 1 },
	{ "自动应答", K_AUTOREPLY, 1 },
	{ "休假中", K_AUTOREPLY, 0 },
	{ "休假", K_AUTOREPLY, 0 },
	{ "不在办公室", K_AUTOREPLY, 0 },
	{ "Out of Office", K_AUTOREPLY, 1 },
	{ "Out of the Office", K_AUTOREPLY, 1 },
	{ "Automatic reply", K_AUTOREPLY, 0 },
	{ "Automatic response", K_AUTOREPLY, 0 },
	{ "Auto reply", K_AUTOREPLY, 0 },
	{ "Auto-reply", K_AUTOREPLY, 0 },
	{ "Autoreply", K_AUTOREPLY, 0 },
	{ "Auto response", K_AUTOREPLY, 0 },
	{ "Auto-response", K_AUTOREPLY, 0 },
	{ "Autoresponse", K_AUTOREPLY, 0 },
	{ "Vacation reply", K_AUTOREPLY, 0 },
	{ "系统退信", K_BOUNCE, 0 },
	{ "退信", K_BOUNCE, 0 },
	{ "邮件退回", K_BOUNCE, 0 },
	{ "无法投递", K_BOUNCE, 0 },
	{ "投递失败", K_BOUNCE, 0 },
	{ "Undeliverable", K_BOUNCE, 0 },
	{ "Undelivered Mail Returned to Sender", K_BOUNCE, 0 },
	{ "Undelivered Mail", K_BOUNCE, 0 },
	{ "Delivery Status Notification", K_BOUNCE, 1 },
	{ "Delivery Notification", K_BOUNCE, 0 },
	{ "Mail delivery failed", K_BOUNCE, 0 },
	{ "Mail Delivery Failure", K_BOUNCE, 0 },
	{ "Message delivery has failed", K_BOUNCE, 0 },
	{ "Returned mail", K_BOUNCE, 0 },
	{ "failure notice", K_BOUNCE, 0 },
	{ "Nondeliverable", K_BOUNCE, 0 },
	{ "complaint about message from", K_FEEDBACK, 1 },
	{ NULL, K_NONE, 0 }
};

/* Bytes after a subject keyword that keep it a keyword, not part of a word. */
static int
subject_delim(const char *s, int loose)
{
	static const char *const wide[] = {
		"：", "】", "（", "）", "，", "［", "］", "－", "—", "！", NULL
	};
	size_t i;

	if (*s == '\0')
		return 1;
	if (*s == ' ' || *s == '\t' || strncmp(s, "　", strlen("　")) == 0)
		return loose;
	if ((unsigned char)*s < 0x80)
		return strchr(":;,.-_()[]{}<>!|/", *s) != NULL;
	for (i = 0; wide[i]; i++)
		if (strncmp(s, wide[i], strlen(wide[i])) == 0)
			return 1;
	return 0;
}

static void
check_subject(struct ctx *c)
{
	const char *subj, *s;
	char e[ESC_MAX];
	size_t i, n;

	subj = c->msg ? c->msg->subject : ad_hdr_find(c, "Subject");
	if (subj == NULL)
		return;
	s = skip_ws(subj);
	if (*s == '[' || *s == '(')
		s++;
	else if (strncmp(s, "【", strlen("【")) == 0 || strncmp(s, "（", strlen("（")) == 0)
		s += strlen("【");
	s = skip_ws(s);
	for (i = 0; subject_kws[i].text; i++) {
		n = strlen(subject_kws[i].text);
		if (strncasecmp(s, subject_kws[i].text, n) == 0 &&
		    subject_delim(s + n, subject_kws[i].loose)) {
			add_signal(c, subject_kws[i].kind, "Subject: %s (starts with \"%s\")",
			    log_escape(e, sizeof(e), subj), subject_kws[i].text);
			return;
		}
	}
}

void
autodetect_config_default(struct autodetect_config *cfg)
{
	memset(cfg, 0, sizeof(*cfg));
	cfg->noreply_with_reply_to_is_human = 1;
	cfg->max_failed_recipients = 32;
	cfg->max_scan_bytes = 1024 * 1024;
}

void
autodetect_verdict_free(struct auto_verdict *v)
{
	size_t i;

	if (v == NULL)
		return;
	free(v->original_message_id);
	for (i = 0; i < v->n_failed_recipients; i++)
		free(v->failed_recipients[i]);
	free(v->failed_recipients);
	memset(v, 0, sizeof(*v));
}

enum md_err
autodetect_check(const struct message *msg, const char *raw, size_t len,
    const struct autodetect_config *cfg, struct auto_verdict *out)
{
	struct autodetect_config defaults;
	struct ctx c;
	enum md_err err = MD_OK;
	size_t i;

	if (out == NULL)
		return MD_ERR_INPUT;
	memset(out, 0, sizeof(*out));
	if (raw == NULL)
		return MD_ERR_INPUT;
	if (cfg == NULL) {
		autodetect_config_default(&defaults);
		cfg = &defaults;
	}
	memset(&c, 0, sizeof(c));
	c.msg = msg;
	c.raw = raw;
	c.len = len;
	c.cfg = cfg;
	c.kind = K_NONE;
	c.body_off = find_body(raw, len);
	if (msg == NULL && (err = raw_headers_parse(&c)) != MD_OK)
		goto out;
	c.hdrs = msg ? msg->headers : c.rh;
	c.n_hdrs = msg ? msg->n_headers : c.n_rh;

	check_loop_headers(&c);
	check_rfc3834(&c);
	check_structure(&c);
	check_senders(&c);
	check_subject(&c);

	if (c.kind == K_NONE) {
		snprintf(out->reason, sizeof(out->reason), "no automatic-mail signal%s%s%s",
		    c.note[0] ? " (" : "", c.note, c.note[0] ? ")" : "");
		goto out;
	}
	out->is_automatic = 1;
	out->kind = kinds[c.kind];
	if (c.n_signals > 1) {
		size_t rl = strlen(c.reason);

		snprintf(c.reason + rl, sizeof(c.reason) - rl, " (+%d more signal%s)",
		    c.n_signals - 1, c.n_signals > 2 ? "s" : "");
	}
	memcpy(out->reason, c.reason, sizeof(out->reason));
	if (c.kind == K_BOUNCE || c.kind == K_FEEDBACK)
		err = autodetect_extract_links(&c, out);
out:
	for (i = 0; i < c.n_rh; i++) {
		free(c.rh[i].name);
		free(c.rh[i].value);
	}
	free(c.rh);
	if (err)
		autodetect_verdict_free(out);
	return err;
}

json_t *
autodetect_verdict_json(const struct auto_verdict *v)
{
	json_t *o, *arr;
	size_t i;

	if ((o = json_object()) == NULL)
		return NULL;
	if (json_object_set_new(o, "is", json_boolean(v->is_automatic)) ||
	    json_object_set_new(o, "kind", v->kind ? json_string(v->kind) : json_null()) ||
	    json_object_set_new(o, "reason", json_string(v->reason)))
		goto fail;
	if (v->original_message_id && json_object_set_new(o, "original_message_id",
	    json_string(v->original_message_id)))
		goto fail;
	if (v->n_failed_recipients) {
		if ((arr = json_array()) == NULL ||
		    json_object_set_new(o, "failed_recipients", arr))
			goto fail;
		for (i = 0; i < v->n_failed_recipients; i++)
			if (json_array_append_new(arr, json_string(v->failed_recipients[i])))
				goto fail;
	}
	if (v->delayed && json_object_set_new(o, "delayed", json_true()))
		goto fail;
	return o;
fail:
	json_decref(o);
	return NULL;
}
