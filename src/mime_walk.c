#include <ctype.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "charset.h"
#include "hdrdecode.h"
#include "html.h"
#include "mime_walk.h"
#include "spool.h"

#define BOUNDARY_MAX	256
#define WARNING_MAX	512

void
ctx_warn(struct parse_ctx *ctx, const char *fmt, ...)
{
	struct message *m = ctx->msg;
	struct buf raw, clean;
	char **tmp, *s;
	size_t ncap;
	unsigned st = 0;
	va_list ap;

	if (ctx->err)
		return;
	if (m->n_warnings > MIME_WARNINGS_MAX)
		return;
	buf_init(&raw, WARNING_MAX);
	buf_init(&clean, WARNING_MAX);
	if (m->n_warnings == MIME_WARNINGS_MAX) {
		buf_puts(&raw, "further warnings were suppressed");
	} else {
		va_start(ap, fmt);
		buf_vprintf(&raw, fmt, ap);
		va_end(ap);
	}
	/* Warnings quote mail content: keep them valid UTF-8 on one line. */
	utf8_sanitize(raw.data ? raw.data : "", raw.len, &clean, &st);
	hdr_clean(&clean);
	buf_free(&raw);
	if (m->n_warnings == ctx->warn_cap) {
		ncap = ctx->warn_cap ? ctx->warn_cap * 2 : 8;
		tmp = reallocarray(m->warnings, ncap, sizeof(*tmp));
		if (tmp == NULL) {
			buf_free(&clean);
			ctx->err = MD_ERR_NOMEM;
			return;
		}
		m->warnings = tmp;
		ctx->warn_cap = ncap;
	}
	if ((s = buf_steal(&clean)) == NULL) {
		ctx->err = MD_ERR_NOMEM;
		return;
	}
	m->warnings[m->n_warnings++] = s;
}

void
mime_fields_free(struct mime_fields *f)
{
	size_t i;

	for (i = 0; i < f->n; i++) {
		free(f->v[i].name);
		free(f->v[i].raw);
	}
	free(f->v);
	memset(f, 0, sizeof(*f));
}

const struct mime_field *
mime_fields_get(const struct mime_fields *f, const char *name)
{
	size_t i;

	for (i = 0; i < f->n; i++)
		if (strcasecmp(f->v[i].name, name) == 0)
			return &f->v[i];
	return NULL;
}

static int
valid_field_name(const char *s, size_t len)
{
	size_t i;

	if (len == 0)
		return 0;
	for (i = 0; i < len; i++)
		if ((unsigned char)s[i] <= ' ' || (unsigned char)s[i] >= 0x7f || s[i] == ':')
			return 0;
	return 1;
}

static enum md_err
field_add(struct mime_fields *f, const char *name, size_t nlen, struct buf *val)
{
	struct mime_field *tmp;
	size_t ncap;

	if (f->n == f->cap) {
		ncap = f->cap ? f->cap * 2 : 16;
		tmp = reallocarray(f->v, ncap, sizeof(*tmp));
		if (tmp == NULL)
			return MD_ERR_NOMEM;
		f->v = tmp;
		f->cap = ncap;
	}
	f->v[f->n].name = strndup(name, nlen);
	f->v[f->n].raw_len = val->len;
	f->v[f->n].raw = buf_steal(val);
	f->n++;
	if (f->v[f->n - 1].name == NULL || f->v[f->n - 1].raw == NULL)
		return MD_ERR_NOMEM;
	return MD_OK;
}

enum md_err
mime_fields_parse(struct parse_ctx *ctx, const char *data, size_t len, size_t max,
    struct mime_fields *out, size_t *body_off)
{
	const struct message_limits *lim = ctx->lim;
	struct buf val;
	const char *nl, *colon, *name = NULL;
	size_t i = 0, e, ll, nlen = 0, skipped = 0;
	int have = 0;
	enum md_err err = MD_OK, aerr;

	memset(out, 0, sizeof(*out));
	buf_init(&val, MIME_FIELD_MAX);
	/* An mbox "From " line is no header. */
	if (len >= 5 && memcmp(data, "From ", 5) == 0) {
		nl = memchr(data, '\n', len);
		i = nl ? (size_t)(nl - data) + 1 : len;
	}
	for (;;) {
		if (i >= len) {
			*body_off = len;
			break;
		}
		nl = memchr(data + i, '\n', len - i);
		e = nl ? (size_t)(nl - data) : len;
		ll = e - i;
		if (ll > 0 && data[i + ll - 1] == '\r')
			ll--;
		if (ll == 0) {
			*body_off = nl ? e + 1 : len;
			break;
		}
		if (ll > lim->max_line_length) {
			if (!(ctx->warned & WARN_LINE_LENGTH))
				ctx_warn(ctx, "header line longer than %zu bytes cut",
				    lim->max_line_length);
			ctx->warned |= WARN_LINE_LENGTH;
			ctx->msg->flags |= MESSAGE_TRUNCATED;
			ll = lim->max_line_length;
		}
		if (data[i] == ' ' || data[i] == '\t') {
			if (have) {
				aerr = buf_append(&val, data + i, ll);
				if (aerr == MD_ERR_LIMIT && !(ctx->warned & WARN_FIELD_SIZE)) {
					ctx->warned |= WARN_FIELD_SIZE;
					ctx->msg->flags |= MESSAGE_TRUNCATED;
					ctx_warn(ctx, "header field longer than %d bytes cut",
					    MIME_FIELD_MAX);
				} else if (aerr && aerr != MD_ERR_LIMIT) {
					err = aerr;
					goto out;
				}
			}
			i = nl ? e + 1 : len;
			continue;
		}
		colon = memchr(data + i, ':', ll);
		if (colon == NULL || !valid_field_name(data + i, (size_t)(colon - (data + i))) ) {
			/* Tolerate "Name : value" (blank before the colon). */
			size_t k = colon ? (size_t)(colon - (data + i)) : 0;

			while (k > 0 && (data[i + k - 1] == ' ' || data[i + k - 1] == '\t'))
				k--;
			if (colon == NULL || !valid_field_name(data + i, k)) {
				ctx_warn(ctx, "header block ended without an empty line");
				ctx->msg->flags |= MESSAGE_MALFORMED;
				*body_off = i;
				break;
			}
		}
		if (have && (err = field_add(out, name, nlen, &val)))
			goto out;
		have = 0;
		buf_reset(&val);
		if (out->n >= max) {
			skipped++;
			i = nl ? e + 1 : len;
			continue;
		}
		name = data + i;
		nlen = (size_t)(colon - name);
		while (nlen > 0 && (name[nlen - 1] == ' ' || name[nlen - 1] == '\t'))
			nlen--;
		if ((err = buf_append(&val, colon + 1, ll - (size_t)(colon + 1 - (data + i)))))
			goto out;
		have = 1;
		i = nl ? e + 1 : len;
	}
	if (have && (err = field_add(out, name, nlen, &val)))
		goto out;
	if (skipped > 0) {
		if (!(ctx->warned & WARN_HEADER_COUNT))
			ctx_warn(ctx, "%zu header fields past the limit of %zu ignored",
			    skipped, max);
		ctx->warned |= WARN_HEADER_COUNT;
		ctx->msg->flags |= MESSAGE_TRUNCATED;
	}
 out:
	buf_free(&val);
	if (err)
		mime_fields_free(out);
	return err;
}

/* Parse a parameterised field of hdrs into p (zeroed when absent). */
static enum md_err
field_params(struct parse_ctx *ctx, const struct mime_fields *hdrs, const char *name,
    struct hdr_params *p)
{
	const struct mime_field *f = mime_fields_get(hdrs, name);
	unsigned st = 0;
	enum md_err err;

	memset(p, 0, sizeof(*p));
	if (f == NULL)
		return MD_OK;
	err = hdr_params_parse(f->raw, f->raw_len, ctx->hint[0] ? ctx->hint : NULL, p, &st);
	if (st & (CHARSET_LOSSY | CHARSET_GUESSED)) {
		ctx->msg->flags |= MESSAGE_CHARSET_ERRORS;
		ctx_warn(ctx, "%s parameters could not be decoded exactly", name);
	}
	return err;
}

/* A leaf's Content-Transfer-Encoding, lower case, blanks and quotes removed. */
static void
part_cte(const struct mime_fields *hdrs, char cte[32])
{
	const struct mime_field *f = mime_fields_get(hdrs, "content-transfer-encoding");
	size_t i, o = 0;

	cte[0] = '\0';
	if (f != NULL) {
		for (i = 0; i < f->raw_len && o + 1 < 32; i++)
			if (!isspace((unsigned char)f->raw[i]) && f->raw[i] != '"')
				cte[o++] = (char)tolower((unsigned char)f->raw[i]);
		cte[o] = '\0';
	}
}

/* Decoded body of a leaf per its Content-Transfer-Encoding. */
static enum md_err
decode_body(struct parse_ctx *ctx, const struct mime_fields *hdrs, const char *body,
    size_t len, struct buf *out)
{
	char cte[32];
	int bad = 0;
	enum md_err err;

	part_cte(hdrs, cte);
	if (strcmp(cte, "base64") == 0) {
		err = te_base64_decode(body, len, out, &bad);
		if (!err && bad) {
			ctx->msg->flags |= MESSAGE_MALFORMED;
			ctx_warn(ctx, "part %zu: damaged base64 decoded leniently", ctx->n_parts);
		}
		return err;
	}
	if (strcmp(cte, "quoted-printable") == 0) {
		err = te_qp_decode(body, len, 0, out, &bad);
		if (!err && bad)
			ctx_warn(ctx, "part %zu: damaged quoted-printable kept as written",
			    ctx->n_parts);
		return err;
	}
	if (cte[0] != '\0' && strcmp(cte, "7bit") != 0 && strcmp(cte, "8bit") != 0 &&
	    strcmp(cte, "binary") != 0) {
		ctx->msg->flags |= MESSAGE_MALFORMED;
		ctx_warn(ctx, "part %zu: unknown transfer encoding \"%.40s\" kept as is",
		    ctx->n_parts, cte);
	}
	return buf_append(out, body, len);
}

static void
add_text(struct parse_ctx *ctx, struct buf *dst, const char *s, size_t len)
{
	size_t room;
	enum md_err err;

	if (len == 0)
		return;
	if (dst->len > 0 && (err = buf_putc(dst, '\n'))) {
		if (err != MD_ERR_LIMIT)
			ctx->err = err;
		len = 0;
	}
	room = dst->limit - dst->len;
	if (len > room) {
		len = utf8_cut(s, room);
		if (!(ctx->warned & WARN_TEXT_SIZE))
			ctx_warn(ctx, "text cut at %zu bytes", dst->limit);
		ctx->warned |= WARN_TEXT_SIZE;
		ctx->msg->flags |= MESSAGE_TRUNCATED;
	}
	if ((err = buf_append(dst, s, len)) && err != MD_ERR_LIMIT)
		ctx->err = err;
}

/* Sniff <meta charset> when the MIME header gave none. */
static void
html_meta_charset(const char *s, size_t len, char *cs, size_t cslen)
{
	size_t i, o, n = len < 4096 ? len : 4096;

	cs[0] = '\0';
	for (i = 0; i + 8 < n; i++) {
		if (strncasecmp(s + i, "charset=", 8) != 0)
			continue;
		i += 8;
		while (i < n && (s[i] == '"' || s[i] == '\'' || s[i] == ' '))
			i++;
		for (o = 0; i < n && o + 1 < cslen && (isalnum((unsigned char)s[i]) ||
		    s[i] == '-' || s[i] == '_' || s[i] == '.' || s[i] == ':'); i++)
			cs[o++] = s[i];
		cs[o] = '\0';
		return;
	}
}

static void
leaf_text(struct parse_ctx *ctx, const struct hdr_params *ct, const char *data, size_t len,
    int is_html)
{
	struct buf utf, txt;
	const char *label = hdr_params_get(ct, "charset");
	char meta[48];
	unsigned st = 0;
	enum md_err err;

	if (is_html && (label == NULL || *label == '\0')) {
		html_meta_charset(data, len, meta, sizeof(meta));
		if (meta[0])
			label = meta;
	}
	buf_init(&utf, ctx->lim->max_message_size);
	err = charset_to_utf8(label, data, len, &utf, &st);
	if (err && err != MD_ERR_LIMIT) {
		ctx->err = err;
		goto out;
	}
	if (st & CHARSET_LOSSY) {
		ctx->msg->flags |= MESSAGE_CHARSET_ERRORS;
		ctx_warn(ctx, "part %zu: some bytes were not valid %.40s and were replaced",
		    ctx->n_parts, label && *label ? label : "UTF-8 or GB18030");
	} else if (st & CHARSET_GUESSED) {
		ctx->msg->flags |= MESSAGE_CHARSET_ERRORS;
		ctx_warn(ctx, "part %zu: unknown charset \"%.40s\", text decoded by guess",
		    ctx->n_parts, label);
	}
	if (!is_html) {
		ctx->saw_plain = 1;
		add_text(ctx, &ctx->plain, utf.data ? utf.data : "", utf.len);
		goto out;
	}
	ctx->saw_html = 1;
	buf_init(&txt, ctx->lim->max_text_size);
	err = html_to_text(utf.data ? utf.data : "", utf.len, &txt);
	if (err == MD_ERR_INPUT) {
		ctx->msg->flags |= MESSAGE_MALFORMED;
		ctx_warn(ctx, "part %zu: HTML could not be read", ctx->n_parts);
	} else if (err && err != MD_ERR_LIMIT)
		ctx->err = err;
	if (err == MD_ERR_LIMIT) {
		if (!(ctx->warned & WARN_TEXT_SIZE))
			ctx_warn(ctx, "text cut at %zu bytes", ctx->lim->max_text_size);
		ctx->warned |= WARN_TEXT_SIZE;
		ctx->msg->flags |= MESSAGE_TRUNCATED;
	}
	add_text(ctx, &ctx->html, txt.data ? txt.data : "", txt.len);
	buf_free(&txt);
 out:
	buf_free(&utf);
}

/* Keep only the last path component and no control characters. */
static char *
clean_filename(const char *s)
{
	const char *p, *base = s;

	for (p = s; *p; p++)
		if (*p == '/' || *p == '\\')
			base = p + 1;
	return strdup(base);
}

/*
 * Append an attachment of size decoded bytes without data; NULL when over
 * the size limit (warned) or on allocation failure (ctx->err).
 */
static struct message_attachment *
new_attachment(struct parse_ctx *ctx, const char *filename, const char *type, size_t size)
{
	struct message *m = ctx->msg;
	struct message_attachment *a, *tmp;
	size_t ncap;

	if (m->n_attachments == ctx->att_cap) {
		ncap = ctx->att_cap ? ctx->att_cap * 2 : 4;
		tmp = reallocarray(m->attachments, ncap, sizeof(*tmp));
		if (tmp == NULL) {
			ctx->err = MD_ERR_NOMEM;
			return NULL;
		}
		m->attachments = tmp;
		ctx->att_cap = ncap;
	}
	a = &m->attachments[m->n_attachments++];
	memset(a, 0, sizeof(*a));
	a->filename = clean_filename(filename ? filename : "");
	a->content_type = strdup(type);
	a->size = size;
	if (a->filename == NULL || a->content_type == NULL) {
		ctx->err = MD_ERR_NOMEM;
		return NULL;
	}
	if (size > ctx->lim->max_attachment_size) {
		ctx->msg->flags |= MESSAGE_TRUNCATED;
		ctx_warn(ctx, "attachment %zu (%zu bytes) is over the size limit; data not kept",
		    m->n_attachments, size);
		return NULL;
	}
	return a;
}

static void
add_attachment(struct parse_ctx *ctx, const char *filename, const char *type,
    struct buf *data)
{
	struct message_attachment *a;

	a = new_attachment(ctx, filename, type, data->len);
	if (a != NULL && (a->data = (unsigned char *)buf_steal(data)) == NULL)
		ctx->err = MD_ERR_NOMEM;
}

static int
b64_value(unsigned char c)
{
	if (c >= 'A' && c <= 'Z')
		return c - 'A';
	if (c >= 'a' && c <= 'z')
		return c - 'a' + 26;
	if (c >= '0' && c <= '9')
		return c - '0' + 52;
	if (c == '+' || c == '-')
		return 62;
	if (c == '/' || c == '_')
		return 63;
	return -1;
}

/*
 * What te_base64_decode() would make of in[0..len), without decoding:
 * the decoded size and whether it is damaged. Spooled input is released
 * behind the scan.
 */
static size_t
b64_size(const char *in, size_t len, int *bad)
{
	size_t i, k = 0, mark = 0;

	for (i = 0; i < len; i++) {
		unsigned char c = (unsigned char)in[i];

		if (i - mark >= SPOOL_STEP) {
			spool_release(in + mark, i - mark);
			mark = i;
		}
		if (c == '=')
			break;
		if (b64_value(c) != -1)
			k++;
		else if (!isspace(c))
			*bad = 1;
	}
	for (; i < len; i++)
		if (in[i] != '=' && !isspace((unsigned char)in[i]))
			*bad = 1;
	spool_release(in + mark, len - mark);
	return k / 4 * 3 + (k % 4 * 6) / 8;
}

/*
 * A large attachment of a spooled message keeps pointing into the spool
 * (message.h). Returns 0 when its encoding must be decoded in memory.
 */
static int
defer_attachment(struct parse_ctx *ctx, const struct mime_fields *hdrs, const char *fn,
    const char *type, const char *body, size_t len)
{
	struct message_attachment *a;
	enum message_encoding enc;
	char cte[32];
	size_t size;
	int bad = 0;

	if (len < MESSAGE_DEFER_MIN || !spool_contains(body))
		return 0;
	part_cte(hdrs, cte);
	if (strcmp(cte, "base64") == 0) {
		enc = MESSAGE_ENC_BASE64;
		size = b64_size(body, len, &bad);
		if (bad) {
			ctx->msg->flags |= MESSAGE_MALFORMED;
			ctx_warn(ctx, "part %zu: damaged base64 decoded leniently", ctx->n_parts);
		}
	} else if (cte[0] == '\0' || strcmp(cte, "7bit") == 0 || strcmp(cte, "8bit") == 0 ||
	    strcmp(cte, "binary") == 0) {
		enc = MESSAGE_ENC_IDENTITY;
		size = len;
	} else
		return 0;
	a = new_attachment(ctx, fn, type, size);
	if (a != NULL) {
		a->encoded = body;
		a->encoded_len = len;
		a->encoding = enc;
	}
	return 1;
}

static enum md_err
decode_identity(const struct message_attachment *a,
    enum md_err (*sink)(const void *, size_t, void *), void *arg)
{
	size_t off, n;
	enum md_err err = MD_OK;

	for (off = 0; off < a->encoded_len && err == MD_OK; off += n) {
		n = a->encoded_len - off < SPOOL_STEP ? a->encoded_len - off : SPOOL_STEP;
		err = sink(a->encoded + off, n, arg);
		spool_release(a->encoded + off, n);
	}
	return err;
}

/* te_base64_decode()'s reading, streamed through a bounded buffer. */
static enum md_err
decode_b64_stream(const struct message_attachment *a,
    enum md_err (*sink)(const void *, size_t, void *), void *arg)
{
	unsigned char *out;
	unsigned long acc = 0;
	size_t i, n = 0, mark = 0;
	int bits = 0, v;
	enum md_err err = MD_OK;

	if ((out = malloc(SPOOL_STEP)) == NULL)
		return MD_ERR_NOMEM;
	for (i = 0; i < a->encoded_len && err == MD_OK; i++) {
		unsigned char c = (unsigned char)a->encoded[i];

		if (c == '=')
			break;
		if ((v = b64_value(c)) == -1)
			continue;
		acc = (acc << 6) | (unsigned long)v;
		bits += 6;
		if (bits >= 8) {
			bits -= 8;
			out[n++] = (unsigned char)(acc >> bits);
			acc &= (1UL << bits) - 1;
			if (n == SPOOL_STEP) {
				err = sink(out, n, arg);
				n = 0;
				spool_release(a->encoded + mark, i - mark);
				mark = i;
			}
		}
	}
	if (err == MD_OK && n > 0)
		err = sink(out, n, arg);
	spool_release(a->encoded + mark, a->encoded_len - mark);
	free(out);
	return err;
}

enum md_err
message_attachment_decode(const struct message_attachment *a,
    enum md_err (*sink)(const void *p, size_t n, void *arg), void *arg)
{
	size_t off, n;
	enum md_err err = MD_OK;

	if (a->data != NULL) {
		for (off = 0; off < a->size && err == MD_OK; off += n) {
			n = a->size - off < SPOOL_STEP ? a->size - off : SPOOL_STEP;
			err = sink(a->data + off, n, arg);
		}
		return err;
	}
	if (a->encoded == NULL)
		return MD_ERR_STATE;
	if (a->encoding == MESSAGE_ENC_BASE64)
		return decode_b64_stream(a, sink, arg);
	return decode_identity(a, sink, arg);
}

static int
is_type(const char *t, const char *want)
{
	return strcmp(t, want) == 0;
}

static void
walk_leaf(struct parse_ctx *ctx, const struct mime_fields *hdrs, const struct hdr_params *ct,
    const char *type, const char *body, size_t len)
{
	struct hdr_params cd;
	struct buf data;
	const char *fn;
	int attach, has_name;
	enum md_err err;

	if ((err = field_params(ctx, hdrs, "content-disposition", &cd))) {
		ctx->err = err;
		return;
	}
	buf_init(&data, len + 1);
	fn = hdr_params_get(&cd, "filename");
	if (fn == NULL || *fn == '\0')
		fn = hdr_params_get(ct, "name");
	has_name = fn != NULL && *fn != '\0';
	attach = 1;
	if (is_type(type, "text/plain") || is_type(type, "text/html")) {
		if (is_type(cd.value ? cd.value : "", "inline"))
			attach = 0;
		else if (!is_type(cd.value ? cd.value : "", "attachment") && !has_name)
			attach = 0;
	}
	if (attach && defer_attachment(ctx, hdrs, fn, type, body, len))
		goto out;
	if ((err = decode_body(ctx, hdrs, body, len, &data))) {
		ctx->err = err;
		goto out;
	}
	if (attach)
		add_attachment(ctx, fn, type, &data);
	else
		leaf_text(ctx, ct, data.data ? data.data : "", data.len,
		    is_type(type, "text/html"));
 out:
	buf_free(&data);
	hdr_params_free(&cd);
}

/* Is line[0..len) a delimiter for boundary b? 1: part, 2: closing. */
static int
delimiter(const char *line, size_t len, const char *b, size_t blen)
{
	size_t i;
	int close = 0;

	if (len < blen + 2 || line[0] != '-' || line[1] != '-' || memcmp(line + 2, b, blen) != 0)
		return 0;
	i = blen + 2;
	if (i + 2 <= len && line[i] == '-' && line[i + 1] == '-') {
		close = 1;
		i += 2;
	}
	for (; i < len; i++)
		if (!isspace((unsigned char)line[i]))
			return 0;
	return close ? 2 : 1;
}

static void walk_entity(struct parse_ctx *, const struct mime_fields *, const char *, size_t,
    size_t, const char *);

static void
walk_child(struct parse_ctx *ctx, const char *p, size_t len, size_t depth,
    const char *default_type)
{
	struct mime_fields hdrs;
	size_t off;
	enum md_err err;

	if (ctx->n_parts >= ctx->lim->max_mime_parts) {
		if (!(ctx->warned & WARN_PARTS))
			ctx_warn(ctx, "MIME parts past the limit of %zu not decoded",
			    ctx->lim->max_mime_parts);
		ctx->warned |= WARN_PARTS;
		ctx->msg->flags |= MESSAGE_TRUNCATED;
		return;
	}
	if ((err = mime_fields_parse(ctx, p, len, ctx->lim->max_header_count, &hdrs, &off))) {
		ctx->err = err;
		return;
	}
	walk_entity(ctx, &hdrs, p + off, len - off, depth, default_type);
	mime_fields_free(&hdrs);
}

static void
walk_multipart(struct parse_ctx *ctx, const struct hdr_params *ct, const char *type,
    const char *body, size_t len, size_t depth)
{
	const char *b = hdr_params_get(ct, "boundary");
	const char *nl, *child = NULL, *child_type;
	size_t i = 0, e, ll, blen, parts = 0, clen, released = 0;
	int d, closed = 0;

	child_type = is_type(type, "multipart/digest") ? "message/rfc822" : "text/plain";
	blen = b ? strlen(b) : 0;
	if (blen == 0 || blen > BOUNDARY_MAX) {
		ctx->msg->flags |= MESSAGE_MALFORMED;
		ctx_warn(ctx, "%s without a usable boundary read as text", type);
		walk_leaf(ctx, &(struct mime_fields){ 0 }, &(struct hdr_params){ 0 },
		    "text/plain", body, len);
		return;
	}
	if (depth >= ctx->lim->max_mime_depth) {
		if (!(ctx->warned & WARN_DEPTH))
			ctx_warn(ctx, "MIME parts nested deeper than %zu not read",
			    ctx->lim->max_mime_depth);
		ctx->warned |= WARN_DEPTH;
		ctx->msg->flags |= MESSAGE_TRUNCATED;
		return;
	}
	while (i < len && !closed && !ctx->err) {
		if (i - released >= SPOOL_STEP) {
			/* A spooled body is read again from the page cache when needed. */
			spool_release(body + released, i - released);
			released = i;
		}
		nl = memchr(body + i, '\n', len - i);
		e = nl ? (size_t)(nl - body) : len;
		ll = e - i;
		if (ll > 0 && body[i + ll - 1] == '\r')
			ll--;
		d = delimiter(body + i, ll, b, blen);
		if (d) {
			if (child != NULL) {
				/* The line break before a delimiter belongs to it. */
				clen = (size_t)(body + i - child);
				if (clen > 0 && child[clen - 1] == '\n')
					clen--;
				if (clen > 0 && child[clen - 1] == '\r')
					clen--;
				walk_child(ctx, child, clen, depth + 1, child_type);
				parts++;
			}
			closed = d == 2;
			child = nl ? body + e + 1 : body + len;
		}
		i = nl ? e + 1 : len;
	}
	if (child == NULL) {
		ctx->msg->flags |= MESSAGE_MALFORMED;
		ctx_warn(ctx, "%s has no part with its boundary; body read as text", type);
		walk_leaf(ctx, &(struct mime_fields){ 0 }, &(struct hdr_params){ 0 },
		    "text/plain", body, len);
		return;
	}
	if (!closed && !ctx->err) {
		ctx->msg->flags |= MESSAGE_MALFORMED;
		ctx_warn(ctx, "%s ends without its closing boundary", type);
		if (child < body + len) {
			walk_child(ctx, child, (size_t)(body + len - child), depth + 1, child_type);
			parts++;
		}
	}
	if (parts == 0 && !ctx->err) {
		ctx->msg->flags |= MESSAGE_MALFORMED;
		ctx_warn(ctx, "%s has no parts", type);
	}
}

static void
walk_entity(struct parse_ctx *ctx, const struct mime_fields *hdrs, const char *body,
    size_t len, size_t depth, const char *default_type)
{
	struct hdr_params ct;
	const char *type;
	enum md_err err;

	ctx->n_parts++;
	if ((err = field_params(ctx, hdrs, "content-type", &ct))) {
		ctx->err = err;
		return;
	}
	type = ct.value && *ct.value ? ct.value : default_type;
	if (strchr(type, '/') == NULL || type[0] == '/') {
		/* RFC 2045 5.2: an unusable Content-Type means plain text. */
		ctx->msg->flags |= MESSAGE_MALFORMED;
		ctx_warn(ctx, "part %zu: unusable Content-Type \"%.40s\" read as text/plain",
		    ctx->n_parts, type);
		type = "text/plain";
	}
	if (strncmp(type, "multipart/", 10) == 0)
		walk_multipart(ctx, &ct, type, body, len, depth);
	else
		walk_leaf(ctx, hdrs, &ct, type, body, len);
	hdr_params_free(&ct);
}

void
mime_walk(struct parse_ctx *ctx, const struct mime_fields *hdrs, const char *body,
    size_t len)
{
	walk_entity(ctx, hdrs, body, len, 0, "text/plain");
}
