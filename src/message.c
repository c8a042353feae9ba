#include <ctype.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "addr.h"
#include "charset.h"
#include "hdrdecode.h"
#include "message.h"
#include "mime_walk.h"
#include "msgdate.h"

#define ADDRS_MAX	1000
#define MSGID_MAX	998
#define REFS_MAX	500

void
message_limits_default(struct message_limits *lim)
{
	lim->max_message_size = 25 * 1024 * 1024;
	lim->max_header_count = 1000;
	lim->max_line_length = 8 * 1024;
	lim->max_mime_depth = 20;
	lim->max_mime_parts = 500;
	lim->max_attachment_size = 20 * 1024 * 1024;
	lim->max_text_size = 1024 * 1024;
}

const char *
message_header(const struct message *msg, const char *name)
{
	size_t i;

	for (i = 0; i < msg->n_headers; i++)
		if (strcasecmp(msg->headers[i].name, name) == 0)
			return msg->headers[i].value;
	return NULL;
}

static void
free_strv(char **v, size_t n)
{
	size_t i;

	if (v == NULL)
		return;
	for (i = 0; i < n; i++)
		free(v[i]);
	free(v);
}

void
message_free(struct message *msg)
{
	size_t i;

	if (msg == NULL)
		return;
	free(msg->subject);
	free(msg->from_addr);
	free(msg->from_name);
	free(msg->reply_to_addr);
	free_strv(msg->to_addrs, msg->n_to);
	free_strv(msg->cc_addrs, msg->n_cc);
	free(msg->message_id);
	free(msg->in_reply_to);
	free_strv(msg->references, msg->n_references);
	free(msg->content_type);
	for (i = 0; i < msg->n_headers; i++) {
		free(msg->headers[i].name);
		free(msg->headers[i].value);
	}
	free(msg->headers);
	free(msg->text);
	for (i = 0; i < msg->n_attachments; i++) {
		free(msg->attachments[i].filename);
		free(msg->attachments[i].content_type);
		free(msg->attachments[i].data);
	}
	free(msg->attachments);
	free_strv(msg->warnings, msg->n_warnings);
	free(msg);
}

static const char *
hint(const struct parse_ctx *ctx)
{
	return ctx->hint[0] ? ctx->hint : NULL;
}

static void
note_charset(struct parse_ctx *ctx, const char *what, unsigned st)
{
	if (st & (CHARSET_LOSSY | CHARSET_GUESSED)) {
		ctx->msg->flags |= MESSAGE_CHARSET_ERRORS;
		ctx_warn(ctx, "%s header could not be decoded exactly", what);
	}
}

static enum md_err
decode_headers(struct parse_ctx *ctx, const struct mime_fields *f)
{
	struct message *m = ctx->msg;
	unsigned st;
	size_t i;
	enum md_err err;

	if (f->n == 0)
		return MD_OK;
	m->headers = calloc(f->n, sizeof(*m->headers));
	if (m->headers == NULL)
		return MD_ERR_NOMEM;
	for (i = 0; i < f->n; i++) {
		struct message_header *h = &m->headers[m->n_headers];

		st = 0;
		if ((h->name = strdup(f->v[i].name)) == NULL)
			return MD_ERR_NOMEM;
		m->n_headers++;
		err = hdr_decode_str(f->v[i].raw, f->v[i].raw_len, hint(ctx), MIME_FIELD_MAX,
		    &h->value, &st);
		if (err)
			return err;
		if (strcasecmp(h->name, "subject") == 0)
			note_charset(ctx, h->name, st);
	}
	return MD_OK;
}

/* Lower-case addresses of every usable mailbox in the fields called name. */
static enum md_err
address_list(struct parse_ctx *ctx, const struct mime_fields *f, const char *name,
    char ***out, size_t *n)
{
	struct addr *a;
	char **v = NULL, **tmp;
	size_t i, k, na, cap = 0;
	unsigned st = 0;
	enum md_err err;

	*out = NULL;
	*n = 0;
	for (i = 0; i < f->n; i++) {
		if (strcasecmp(f->v[i].name, name) != 0)
			continue;
		err = addr_parse_list(f->v[i].raw, f->v[i].raw_len, hint(ctx), ADDRS_MAX, &a,
		    &na, &st);
		if (err)
			goto fail;
		for (k = 0; k < na; k++) {
			if (a[k].addr == NULL || *n >= ADDRS_MAX)
				continue;
			if (*n == cap) {
				cap = cap ? cap * 2 : 4;
				tmp = reallocarray(v, cap, sizeof(*v));
				if (tmp == NULL) {
					addr_list_free(a, na);
					err = MD_ERR_NOMEM;
					goto fail;
				}
				v = tmp;
			}
			v[(*n)++] = a[k].addr;
			a[k].addr = NULL;
		}
		addr_list_free(a, na);
	}
	*out = v;
	return MD_OK;
 fail:
	free_strv(v, *n);
	*n = 0;
	return err;
}

static enum md_err
first_mailbox(struct parse_ctx *ctx, const struct mime_fields *f, const char *name,
    char **addr, char **dname)
{
	const struct mime_field *fl = mime_fields_get(f, name);
	struct addr *a;
	size_t na;
	unsigned st = 0;
	enum md_err err;

	if (fl == NULL)
		return MD_OK;
	err = addr_parse_list(fl->raw, fl->raw_len, hint(ctx), 1, &a, &na, &st);
	if (err)
		return err;
	note_charset(ctx, name, st);
	if (na > 0) {
		*addr = a[0].addr;
		a[0].addr = NULL;
		if (dname != NULL) {
			free(*dname);
			*dname = a[0].name;
			a[0].name = NULL;
		}
	}
	if (*addr == NULL) {
		ctx->msg->flags |= MESSAGE_MALFORMED;
		ctx_warn(ctx, "%s header has no usable address", name);
	}
	addr_list_free(a, na);
	return MD_OK;
}

/*
 * Message ids of a raw field: every "<...>" (brackets dropped); ids written
 * without brackets are taken word by word. Ids with controls or blanks are
 * cleaned so they can go back into References of our own mail.
 */
static enum md_err
msg_ids(const char *raw, size_t len, size_t max, char ***out, size_t *n)
{
	char **v, *id;
	size_t i = 0, s, e, k, o, cnt = 0;
	int bracketed = memchr(raw, '<', len) != NULL;

	*out = NULL;
	*n = 0;
	v = calloc(max ? max : 1, sizeof(*v));
	if (v == NULL)
		return MD_ERR_NOMEM;
	while (i < len) {
		if (bracketed) {
			while (i < len && raw[i] != '<')
				i++;
			if (i >= len)
				break;
			s = ++i;
			while (i < len && raw[i] != '>' && raw[i] != '<')
				i++;
			e = i;
		} else {
			while (i < len && isspace((unsigned char)raw[i]))
				i++;
			s = i;
			while (i < len && !isspace((unsigned char)raw[i]))
				i++;
			e = i;
		}
		if (e - s == 0 || e - s > MSGID_MAX)
			continue;
		if ((id = malloc(e - s + 1)) == NULL) {
			free_strv(v, cnt);
			return MD_ERR_NOMEM;
		}
		for (k = s, o = 0; k < e; k++)
			if ((unsigned char)raw[k] > ' ' && (unsigned char)raw[k] != 0x7f)
				id[o++] = raw[k];
		id[o] = '\0';
		if (o == 0) {
			free(id);
			continue;
		}
		if (cnt == max) {
			/* Keep the thread root and the newest ids. */
			free(v[max > 1 ? 1 : 0]);
			memmove(v + (max > 1 ? 1 : 0), v + (max > 1 ? 2 : 1),
			    (max - (max > 1 ? 2 : 1)) * sizeof(*v));
			cnt--;
		}
		v[cnt++] = id;
	}
	*out = v;
	*n = cnt;
	return MD_OK;
}

static enum md_err
first_id(const struct mime_fields *f, const char *name, char **out)
{
	const struct mime_field *fl = mime_fields_get(f, name);
	char **v;
	size_t n;
	enum md_err err;

	if (fl == NULL)
		return MD_OK;
	if ((err = msg_ids(fl->raw, fl->raw_len, 1, &v, &n)))
		return err;
	if (n > 0) {
		*out = v[0];
		v[0] = NULL;
	}
	free_strv(v, n);
	return MD_OK;
}

static enum md_err
top_fields(struct parse_ctx *ctx, const struct mime_fields *f)
{
	struct message *m = ctx->msg;
	const struct mime_field *fl;
	const char *v;
	char **refs;
	size_t n;
	enum md_err err;

	if ((v = message_header(m, "subject")) != NULL) {
		free(m->subject);
		if ((m->subject = strdup(v)) == NULL)
			return MD_ERR_NOMEM;
	}
	if ((err = first_mailbox(ctx, f, "from", &m->from_addr, &m->from_name)))
		return err;
	if ((err = first_mailbox(ctx, f, "reply-to", &m->reply_to_addr, NULL)))
		return err;
	if ((err = address_list(ctx, f, "to", &m->to_addrs, &m->n_to)))
		return err;
	if ((err = address_list(ctx, f, "cc", &m->cc_addrs, &m->n_cc)))
		return err;
	if ((v = message_header(m, "date")) != NULL && msgdate_parse(v, &m->date) != MD_OK) {
		m->date = 0;
		ctx_warn(ctx, "Date header \"%.80s\" could not be read", v);
	}
	if ((err = first_id(f, "message-id", &m->message_id)))
		return err;
	if ((err = first_id(f, "in-reply-to", &m->in_reply_to)))
		return err;
	if ((fl = mime_fields_get(f, "references")) != NULL) {
		if ((err = msg_ids(fl->raw, fl->raw_len, REFS_MAX, &refs, &n)))
			return err;
		m->references = refs;
		m->n_references = n;
	}
	return MD_OK;
}

/* Top-level type and charset; the charset also reads raw 8-bit headers. */
static enum md_err
top_type(struct parse_ctx *ctx, const struct mime_fields *f)
{
	const struct mime_field *fl = mime_fields_get(f, "content-type");
	struct hdr_params p;
	const char *cs, *type = "text/plain";
	unsigned st = 0;
	enum md_err err;

	memset(&p, 0, sizeof(p));
	if (fl != NULL) {
		if ((err = hdr_params_parse(fl->raw, fl->raw_len, NULL, &p, &st)))
			return err;
		if ((cs = hdr_params_get(&p, "charset")) != NULL &&
		    charset_canonical(cs, ctx->hint, sizeof(ctx->hint)) != MD_OK)
			ctx->hint[0] = '\0';
		if (strcmp(ctx->hint, "ASCII") == 0)
			ctx->hint[0] = '\0';
		if (p.value && strchr(p.value, '/') != NULL && p.value[0] != '/')
			type = p.value;
	}
	ctx->msg->content_type = strdup(type);
	hdr_params_free(&p);
	return ctx->msg->content_type ? MD_OK : MD_ERR_NOMEM;
}

/* LF line ends, no NUL or other controls but tab. */
static enum md_err
final_text(struct parse_ctx *ctx, const struct buf *src)
{
	struct message *m = ctx->msg;
	const char *s = src->data ? src->data : "";
	char *t;
	size_t i, o = 0;

	if ((t = malloc(src->len + 1)) == NULL)
		return MD_ERR_NOMEM;
	for (i = 0; i < src->len; i++) {
		unsigned char c = (unsigned char)s[i];

		if (c == 0xc2 && i + 1 < src->len && (unsigned char)s[i + 1] >= 0x80 &&
		    (unsigned char)s[i + 1] <= 0x9f) {
			i++;	/* C1 controls: terminals obey them */
			continue;
		}
		if (c == '\r') {
			t[o++] = '\n';
			if (i + 1 < src->len && s[i + 1] == '\n')
				i++;
		} else if (c == '\n' || c == '\t' || (c >= 0x20 && c != 0x7f))
			t[o++] = (char)c;
	}
	t[o] = '\0';
	free(m->text);
	m->text = t;
	m->text_len = o;
	return MD_OK;
}

static int
blank(const struct buf *b)
{
	size_t i;

	for (i = 0; i < b->len; i++)
		if (!isspace((unsigned char)b->data[i]))
			return 0;
	return 1;
}

enum md_err
message_parse(const char *raw, size_t len, const struct message_limits *lim,
    struct message **out)
{
	struct message_limits deflim;
	struct parse_ctx ctx;
	struct mime_fields f;
	struct message *m;
	size_t body;
	enum md_err err;

	*out = NULL;
	if (lim == NULL) {
		message_limits_default(&deflim);
		lim = &deflim;
	}
	if (len > lim->max_message_size)
		return MD_ERR_LIMIT;
	if ((m = calloc(1, sizeof(*m))) == NULL)
		return MD_ERR_NOMEM;
	memset(&ctx, 0, sizeof(ctx));
	memset(&f, 0, sizeof(f));
	ctx.lim = lim;
	ctx.msg = m;
	buf_init(&ctx.plain, lim->max_text_size);
	buf_init(&ctx.html, lim->max_text_size);
	m->subject = strdup("");
	m->from_name = strdup("");
	m->text = strdup("");
	if (m->subject == NULL || m->from_name == NULL || m->text == NULL) {
		err = MD_ERR_NOMEM;
		goto fail;
	}
	if (raw == NULL)
		raw = "";
	if ((err = mime_fields_parse(&ctx, raw, len, lim->max_header_count, &f, &body)))
		goto fail;
	if ((err = top_type(&ctx, &f)) || (err = decode_headers(&ctx, &f)) ||
	    (err = top_fields(&ctx, &f)))
		goto fail;
	if (f.n == 0) {
		m->flags |= MESSAGE_MALFORMED;
		ctx_warn(&ctx, "message has no header fields");
	}
	mime_walk(&ctx, &f, raw + body, len - body);
	if ((err = ctx.err))
		goto fail;
	if (ctx.saw_plain && !blank(&ctx.plain))
		err = final_text(&ctx, &ctx.plain);
	else if (ctx.saw_html) {
		m->flags |= MESSAGE_TEXT_FROM_HTML;
		err = final_text(&ctx, &ctx.html);
	} else
		err = final_text(&ctx, &ctx.plain);
	if (err || (err = ctx.err))
		goto fail;
	mime_fields_free(&f);
	buf_free(&ctx.plain);
	buf_free(&ctx.html);
	*out = m;
	return MD_OK;
 fail:
	mime_fields_free(&f);
	buf_free(&ctx.plain);
	buf_free(&ctx.html);
	message_free(m);
	return err;
}
