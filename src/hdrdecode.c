#include <ctype.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "charset.h"
#include "hdrdecode.h"

#define CHARSET_LABEL_MAX	64
#define PARAM_VALUE_MAX		(64 * 1024)
#define PARAMS_MAX		64
#define SECTIONS_MAX		128

/*
 * Base64 values by byte: 0-63 (the standard and the URL-safe alphabet),
 * B64_PAD for '=', B64_SPACE for what isspace() accepts in the C locale,
 * B64_BAD for anything else. A table, because attachments make this the
 * hottest loop of intake.
 */
#define B64_BAD		-1
#define B64_SPACE	-2
#define B64_PAD		-3

static const signed char b64_table[256] = {
	-1, -1, -1, -1, -1, -1, -1, -1, -1, -2, -2, -2, -2, -2, -1, -1,
	-1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1,
	-2, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, 62, -1, 62, -1, 63,
	52, 53, 54, 55, 56, 57, 58, 59, 60, 61, -1, -1, -1, -3, -1, -1,
	-1, 0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14,
	15, 16, 17, 18, 19, 20, 21, 22, 23, 24, 25, -1, -1, -1, -1, 63,
	-1, 26, 27, 28, 29, 30, 31, 32, 33, 34, 35, 36, 37, 38, 39, 40,
	41, 42, 43, 44, 45, 46, 47, 48, 49, 50, 51, -1, -1, -1, -1, -1,
	-1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1,
	-1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1,
	-1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1,
	-1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1,
	-1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1,
	-1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1,
	-1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1,
	-1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1,
};

enum md_err
te_base64_decode(const char *in, size_t len, struct buf *out, int *bad)
{
	const unsigned char *p = (const unsigned char *)in;
	unsigned char chunk[3 * 256];
	unsigned long acc = 0;
	size_t i = 0, n = 0;
	int bits = 0, v, a, b, c, d;
	enum md_err err;

	while (i < len) {
		/* Whole quads between line breaks, the usual case, without bit juggling. */
		if (bits == 0 && len - i >= 4 && n + 3 <= sizeof(chunk) &&
		    (a = b64_table[p[i]]) >= 0 && (b = b64_table[p[i + 1]]) >= 0 &&
		    (c = b64_table[p[i + 2]]) >= 0 && (d = b64_table[p[i + 3]]) >= 0) {
			chunk[n++] = (unsigned char)(a << 2 | b >> 4);
			chunk[n++] = (unsigned char)((b & 0xf) << 4 | c >> 2);
			chunk[n++] = (unsigned char)((c & 0x3) << 6 | d);
			i += 4;
		} else {
			v = b64_table[p[i++]];
			if (v == B64_PAD)
				break;
			if (v < 0) {
				if (v == B64_BAD)
					*bad = 1;
				continue;
			}
			acc = (acc << 6) | (unsigned long)v;
			bits += 6;
			if (bits >= 8) {
				bits -= 8;
				chunk[n++] = (unsigned char)(acc >> bits);
				acc &= (1UL << bits) - 1;
			}
		}
		if (n + 3 > sizeof(chunk)) {
			err = buf_append(out, chunk, n);
			if (err)
				return err;
			n = 0;
		}
	}
	/* Data after padding means concatenated encodings: a broken sender. */
	for (; i < len; i++)
		if (b64_table[p[i]] != B64_PAD && b64_table[p[i]] != B64_SPACE)
			*bad = 1;
	return buf_append(out, chunk, n);
}

static int
hex_value(unsigned char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	return -1;
}

enum md_err
te_qp_decode(const char *in, size_t len, int q_mode, struct buf *out, int *bad)
{
	size_t i = 0, start = 0, j;
	enum md_err err;
	int hi, lo;

	while (i < len) {
		unsigned char c = (unsigned char)in[i];

		if (c == '_' && q_mode) {
			if ((err = buf_append(out, in + start, i - start)) ||
			    (err = buf_putc(out, ' ')))
				return err;
			start = ++i;
			continue;
		}
		if (!q_mode && (c == ' ' || c == '\t')) {
			/* Trailing blanks before a line break were added in transport. */
			for (j = i; j < len && (in[j] == ' ' || in[j] == '\t'); j++)
				;
			if (j == len || in[j] == '\r' || in[j] == '\n') {
				if ((err = buf_append(out, in + start, i - start)))
					return err;
				start = i = j;
				continue;
			}
			i = j;
			continue;
		}
		if (c != '=') {
			i++;
			continue;
		}
		if ((err = buf_append(out, in + start, i - start)))
			return err;
		if (i + 2 < len && (hi = hex_value((unsigned char)in[i + 1])) != -1 &&
		    (lo = hex_value((unsigned char)in[i + 2])) != -1) {
			if ((err = buf_putc(out, (char)(hi << 4 | lo))))
				return err;
			start = i = i + 3;
			continue;
		}
		if (!q_mode) {
			/* Soft line break: "=" then optional blanks then CRLF or LF. */
			for (j = i + 1; j < len && (in[j] == ' ' || in[j] == '\t'); j++)
				;
			if (j == len) {
				start = i = j;
				continue;
			}
			if (in[j] == '\r' && j + 1 < len && in[j + 1] == '\n') {
				start = i = j + 2;
				continue;
			}
			if (in[j] == '\n' || in[j] == '\r') {
				start = i = j + 1;
				continue;
			}
		}
		*bad = 1;
		start = i;
		i++;
	}
	return buf_append(out, in + start, i - start);
}

void
hdr_clean(struct buf *b)
{
	unsigned char *s;
	size_t i, o = 0, first, last;

	if (b->data == NULL)
		return;
	s = (unsigned char *)b->data;
	for (i = 0; i < b->len; i++) {
		if (s[i] == '\t') {
			s[o++] = ' ';
			continue;
		}
		if (s[i] < 0x20 || s[i] == 0x7f)
			continue;
		/* C1 controls (U+0080..U+009F) and U+2028/U+2029 act as line breaks somewhere. */
		if (s[i] == 0xc2 && i + 1 < b->len && s[i + 1] >= 0x80 && s[i + 1] <= 0x9f) {
			i++;
			continue;
		}
		if (s[i] == 0xe2 && i + 2 < b->len && s[i + 1] == 0x80 &&
		    (s[i + 2] == 0xa8 || s[i + 2] == 0xa9)) {
			s[o++] = ' ';
			i += 2;
			continue;
		}
		s[o++] = s[i];
	}
	for (first = 0; first < o && s[first] == ' '; first++)
		;
	for (last = o; last > first && s[last - 1] == ' '; last--)
		;
	memmove(s, s + first, last - first);
	b->len = last - first;
	s[b->len] = '\0';
}

/* A recognised encoded word at in[0..len). */
struct eword {
	char charset[CHARSET_LABEL_MAX];
	char enc;            /* 'B' or 'Q' */
	const char *text;
	size_t text_len;
	size_t total;        /* bytes consumed, "=?" to "?=" */
};

static int
eword_parse(const char *in, size_t len, struct eword *w)
{
	size_t i = 2, c = 0, t;

	if (len < 8 || in[0] != '=' || in[1] != '?')
		return 0;
	while (i < len && in[i] != '?') {
		unsigned char ch = (unsigned char)in[i];

		if (ch <= ' ' || ch >= 0x7f || c + 1 >= sizeof(w->charset))
			return 0;
		w->charset[c++] = (char)ch;
		i++;
	}
	w->charset[c] = '\0';
	if (c == 0 || i + 3 >= len || in[i + 2] != '?')
		return 0;
	/* RFC 2231 section 5: charset*language. */
	{
		char *star = strchr(w->charset, '*');

		if (star != NULL)
			*star = '\0';
	}
	w->enc = (char)toupper((unsigned char)in[i + 1]);
	if (w->enc != 'B' && w->enc != 'Q')
		return 0;
	t = i + 3;
	for (i = t; i + 1 < len; i++) {
		if (in[i] == '?' && in[i + 1] == '=')
			break;
		if (in[i] == '\r' || in[i] == '\n')
			return 0;
	}
	if (i + 1 >= len)
		return 0;
	w->text = in + t;
	w->text_len = i - t;
	w->total = i + 2;
	return 1;
}

struct decoder {
	struct buf *out;
	const char *hint;
	unsigned *status;
	struct buf raw;        /* literal bytes not yet converted */
	struct buf pending;    /* decoded bytes of adjacent encoded words */
	char pending_cs[CHARSET_LABEL_MAX];
};

static enum md_err
flush_raw(struct decoder *d)
{
	enum md_err err = MD_OK;

	if (d->raw.len > 0)
		err = charset_to_utf8(d->hint, d->raw.data, d->raw.len, d->out, d->status);
	buf_reset(&d->raw);
	return err;
}

static enum md_err
flush_pending(struct decoder *d)
{
	enum md_err err = MD_OK;

	if (d->pending.len > 0)
		err = charset_to_utf8(d->pending_cs, d->pending.data, d->pending.len, d->out,
		    d->status);
	buf_reset(&d->pending);
	return err;
}

static enum md_err
decode_into(const char *in, size_t len, const char *hint, struct buf *out, unsigned *status)
{
	struct decoder d;
	struct eword w;
	size_t i = 0, ws_start = 0, ws_len = 0;
	int last_ew = 0, bad = 0;
	enum md_err err = MD_OK;

	d.out = out;
	d.hint = hint;
	d.status = status;
	buf_init(&d.raw, out->limit);
	buf_init(&d.pending, out->limit);
	d.pending_cs[0] = '\0';
	while (i < len) {
		unsigned char c = (unsigned char)in[i];

		if (c == ' ' || c == '\t' || c == '\r' || c == '\n') {
			if (ws_len == 0)
				ws_start = i;
			ws_len++;
			i++;
			continue;
		}
		if (c == '=' && eword_parse(in + i, len - i, &w)) {
			/* Blanks between two encoded words are not text (RFC 2047 6.2). */
			if (!last_ew && ws_len > 0 &&
			    (err = buf_append(&d.raw, in + ws_start, ws_len)))
				goto out;
			ws_len = 0;
			if ((err = flush_raw(&d)))
				goto out;
			if (d.pending.len > 0 && strcasecmp(d.pending_cs, w.charset) != 0 &&
			    (err = flush_pending(&d)))
				goto out;
			strcpy(d.pending_cs, w.charset);
			if (w.enc == 'B')
				err = te_base64_decode(w.text, w.text_len, &d.pending, &bad);
			else
				err = te_qp_decode(w.text, w.text_len, 1, &d.pending, &bad);
			if (err)
				goto out;
			last_ew = 1;
			i += w.total;
			continue;
		}
		if ((err = flush_pending(&d)))
			goto out;
		if (ws_len > 0 && (err = buf_append(&d.raw, in + ws_start, ws_len)))
			goto out;
		ws_len = 0;
		if ((err = buf_putc(&d.raw, (char)c)))
			goto out;
		last_ew = 0;
		i++;
	}
	if ((err = flush_pending(&d)))
		goto out;
	if (ws_len > 0 && (err = buf_append(&d.raw, in + ws_start, ws_len)))
		goto out;
	err = flush_raw(&d);
 out:
	buf_free(&d.raw);
	buf_free(&d.pending);
	return err;
}

enum md_err
hdr_decode(const char *in, size_t len, const char *hint, struct buf *out, unsigned *status)
{
	struct buf tmp;
	enum md_err err, err2;

	buf_init(&tmp, out->limit);
	err = decode_into(in, len, hint, &tmp, status);
	if (err && err != MD_ERR_LIMIT)
		goto out;
	hdr_clean(&tmp);
	if (tmp.len > out->limit - out->len) {
		tmp.len = utf8_cut(tmp.data, out->limit - out->len);
		err = MD_ERR_LIMIT;
	}
	err2 = buf_append(out, tmp.data, tmp.len);
	if (err2)
		err = err2;
 out:
	buf_free(&tmp);
	return err;
}

enum md_err
hdr_decode_str(const char *in, size_t len, const char *hint, size_t limit, char **out,
    unsigned *status)
{
	struct buf b;
	enum md_err err;

	buf_init(&b, limit);
	err = hdr_decode(in, len, hint, &b, status);
	if (err && err != MD_ERR_LIMIT) {
		buf_free(&b);
		return err;
	}
	if ((*out = buf_steal(&b)) == NULL)
		return MD_ERR_NOMEM;
	return MD_OK;
}

/* One "name=value" as written, before sections are joined. */
struct raw_param {
	char name[64];     /* lower case, without section and '*' */
	int section;       /* -1 when none */
	int extended;      /* value is charset'lang'%XX (first) or %XX (later) */
	struct buf value;  /* unquoted bytes */
};

static int
is_tspecial_end(unsigned char c)
{
	return c == ';' || c == '\0';
}

/* Split "filename*1*" into base name, section and the extended mark. */
static int
param_name_split(const char *s, size_t len, struct raw_param *p)
{
	size_t i, n = 0;
	char *star, *end;
	long sec;

	if (len == 0 || len >= sizeof(p->name))
		return 0;
	for (i = 0; i < len; i++)
		p->name[n++] = (char)tolower((unsigned char)s[i]);
	p->name[n] = '\0';
	p->section = -1;
	p->extended = 0;
	if (n > 0 && p->name[n - 1] == '*') {
		p->extended = 1;
		p->name[--n] = '\0';
	}
	if ((star = strchr(p->name, '*')) != NULL) {
		if (!isdigit((unsigned char)star[1]))
			return 0;
		sec = strtol(star + 1, &end, 10);
		if (*end != '\0' || sec < 0 || sec >= SECTIONS_MAX)
			return 0;
		p->section = (int)sec;
		*star = '\0';
	}
	return p->name[0] != '\0';
}

static enum md_err
pct_decode(const char *s, size_t len, struct buf *out)
{
	size_t i;
	int hi, lo;
	enum md_err err;

	for (i = 0; i < len; i++) {
		if (s[i] == '%' && i + 2 < len &&
		    (hi = hex_value((unsigned char)s[i + 1])) != -1 &&
		    (lo = hex_value((unsigned char)s[i + 2])) != -1) {
			if ((err = buf_putc(out, (char)(hi << 4 | lo))))
				return err;
			i += 2;
			continue;
		}
		if ((err = buf_putc(out, s[i])))
			return err;
	}
	return MD_OK;
}

static void
raw_params_free(struct raw_param *rp, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		buf_free(&rp[i].value);
	free(rp);
}

/* Does s[0..len) start with "token=" (a following parameter)? */
static int
starts_param(const char *s, size_t len)
{
	size_t i = 0;

	while (i < len && (isalnum((unsigned char)s[i]) || s[i] == '*' || s[i] == '-' ||
	    s[i] == '_' || s[i] == '.'))
		i++;
	return i > 0 && i < len && s[i] == '=';
}

/* Read one value at in[*ip..len) into v, quoted or not. */
static enum md_err
read_value(const char *in, size_t len, size_t *ip, struct buf *v)
{
	size_t i = *ip, start, end, k;
	enum md_err err;

	if (i < len && in[i] == '"') {
		for (i++; i < len && in[i] != '"'; i++) {
			if (in[i] == '\\' && i + 1 < len)
				i++;
			if ((err = buf_putc(v, in[i])))
				return err;
		}
		*ip = i < len ? i + 1 : i;
		return MD_OK;
	}
	start = i;
	while (i < len && !is_tspecial_end((unsigned char)in[i]))
		i++;
	end = i;
	/*
	 * Unquoted values with blanks are file names from sloppy clients,
	 * unless what follows the blank is the next parameter with the ';'
	 * forgotten.
	 */
	for (k = start; k < end; k++) {
		if ((in[k] == ' ' || in[k] == '\t' || in[k] == '\r' || in[k] == '\n') &&
		    starts_param(in + k + 1, end - k - 1)) {
			end = k;
			i = k;
			break;
		}
	}
	while (end > start && isspace((unsigned char)in[end - 1]))
		end--;
	*ip = i;
	return buf_append(v, in + start, end - start);
}

static enum md_err
collect_raw(const char *in, size_t len, size_t i, struct raw_param **out, size_t *nout)
{
	struct raw_param *rp, tmp;
	size_t n = 0, nstart;
	enum md_err err;
	int depth;

	rp = calloc(PARAMS_MAX, sizeof(*rp));
	if (rp == NULL)
		return MD_ERR_NOMEM;
	while (i < len && n < PARAMS_MAX) {
		if (in[i] == ';' || isspace((unsigned char)in[i])) {
			i++;
			continue;
		}
		if (in[i] == '(') {
			for (depth = 0; i < len; i++) {
				if (in[i] == '(')
					depth++;
				else if (in[i] == ')' && --depth == 0)
					break;
			}
			i++;
			continue;
		}
		nstart = i;
		while (i < len && in[i] != '=' && in[i] != ';' && !isspace((unsigned char)in[i]))
			i++;
		if (!param_name_split(in + nstart, i - nstart, &tmp)) {
			while (i < len && in[i] != ';')
				i++;
			continue;
		}
		while (i < len && isspace((unsigned char)in[i]))
			i++;
		if (i >= len || in[i] != '=')
			continue;
		i++;
		while (i < len && isspace((unsigned char)in[i]))
			i++;
		buf_init(&tmp.value, PARAM_VALUE_MAX);
		rp[n] = tmp;
		n++;
		err = read_value(in, len, &i, &rp[n - 1].value);
		if (err && err != MD_ERR_LIMIT) {
			raw_params_free(rp, n);
			return err;
		}
	}
	*out = rp;
	*nout = n;
	return MD_OK;
}

/* Join the RFC 2231 pieces of name into bytes plus their charset. */
static enum md_err
join_2231(struct raw_param *rp, size_t n, const char *name, struct buf *bytes,
    char *charset, size_t cslen)
{
	size_t i, k;
	int sec;
	enum md_err err;

	charset[0] = '\0';
	for (sec = -1; sec < SECTIONS_MAX; sec++) {
		for (i = 0; i < n; i++)
			if (rp[i].section == sec && strcmp(rp[i].name, name) == 0 &&
			    (sec >= 0 || rp[i].extended))
				break;
		if (i == n) {
			if (sec >= 0)
				break;	/* sections must be consecutive */
			continue;
		}
		if (rp[i].value.data == NULL)
			continue;
		if (!rp[i].extended) {
			err = buf_append(bytes, rp[i].value.data, rp[i].value.len);
		} else if (sec <= 0) {
			const char *v = rp[i].value.data, *q1, *q2;

			q1 = strchr(v, '\'');
			q2 = q1 ? strchr(q1 + 1, '\'') : NULL;
			if (q2 != NULL) {
				k = (size_t)(q1 - v);
				if (k < cslen) {
					memcpy(charset, v, k);
					charset[k] = '\0';
				}
				v = q2 + 1;
			}
			err = pct_decode(v, strlen(v), bytes);
		} else
			err = pct_decode(rp[i].value.data, rp[i].value.len, bytes);
		if (err)
			return err;
		if (sec == -1)
			break;	/* name*= is the whole value */
	}
	return MD_OK;
}

static enum md_err
assemble(struct raw_param *rp, size_t n, const char *hint, struct hdr_params *out,
    unsigned *status)
{
	struct buf bytes, val;
	char charset[CHARSET_LABEL_MAX];
	size_t i, k;
	int is2231;
	enum md_err err = MD_OK;

	out->params = calloc(n ? n : 1, sizeof(*out->params));
	if (out->params == NULL)
		return MD_ERR_NOMEM;
	for (i = 0; i < n; i++) {
		for (k = 0; k < out->n; k++)
			if (strcmp(out->params[k].name, rp[i].name) == 0)
				break;
		if (k < out->n)
			continue;
		is2231 = 0;
		for (k = 0; k < n; k++)
			if (strcmp(rp[k].name, rp[i].name) == 0 &&
			    (rp[k].section >= 0 || rp[k].extended))
				is2231 = 1;
		buf_init(&bytes, PARAM_VALUE_MAX);
		buf_init(&val, PARAM_VALUE_MAX);
		if (is2231) {
			err = join_2231(rp, n, rp[i].name, &bytes, charset, sizeof(charset));
			if (!err || err == MD_ERR_LIMIT)
				err = charset_to_utf8(charset[0] ? charset : hint, bytes.data ?
				    bytes.data : "", bytes.len, &val, status);
			hdr_clean(&val);
		} else {
			err = hdr_decode(rp[i].value.data ? rp[i].value.data : "",
			    rp[i].value.len, hint, &val, status);
		}
		buf_free(&bytes);
		if (err && err != MD_ERR_LIMIT) {
			buf_free(&val);
			return err;
		}
		out->params[out->n].name = strdup(rp[i].name);
		out->params[out->n].value = buf_steal(&val);
		out->n++;
		if (out->params[out->n - 1].name == NULL || out->params[out->n - 1].value == NULL)
			return MD_ERR_NOMEM;
	}
	return MD_OK;
}

enum md_err
hdr_params_parse(const char *in, size_t len, const char *hint, struct hdr_params *out,
    unsigned *status)
{
	struct raw_param *rp = NULL;
	struct buf mv;
	size_t i = 0, start, nrp = 0, k;
	enum md_err err;

	memset(out, 0, sizeof(*out));
	while (i < len && isspace((unsigned char)in[i]))
		i++;
	start = i;
	while (i < len && in[i] != ';' && !isspace((unsigned char)in[i]) && in[i] != '(')
		i++;
	buf_init(&mv, 256);
	if ((err = buf_append(&mv, in + start, i - start)) && err != MD_ERR_LIMIT) {
		buf_free(&mv);
		return err;
	}
	hdr_clean(&mv);
	for (k = 0; k < mv.len; k++)
		mv.data[k] = (char)tolower((unsigned char)mv.data[k]);
	if ((out->value = buf_steal(&mv)) == NULL)
		return MD_ERR_NOMEM;
	err = collect_raw(in, len, i, &rp, &nrp);
	if (err)
		goto fail;
	err = assemble(rp, nrp, hint, out, status);
	raw_params_free(rp, nrp);
	if (err)
		goto fail;
	return MD_OK;
 fail:
	hdr_params_free(out);
	return err;
}

const char *
hdr_params_get(const struct hdr_params *p, const char *name)
{
	size_t i;

	for (i = 0; i < p->n; i++)
		if (strcmp(p->params[i].name, name) == 0)
			return p->params[i].value;
	return NULL;
}

void
hdr_params_free(struct hdr_params *p)
{
	size_t i;

	free(p->value);
	for (i = 0; i < p->n; i++) {
		free(p->params[i].name);
		free(p->params[i].value);
	}
	free(p->params);
	memset(p, 0, sizeof(*p));
}
