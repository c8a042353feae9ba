#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <gnutls/crypto.h>
#include <gnutls/gnutls.h>

#include "buf.h"
#include "caltz.h"
#include "log.h"
#include "notice.h"
#include "utf8.h"

/* RFC 5322 recommends 78; RFC 2047 caps an encoded word at 75. */
#define LINE_MAX_COLS	78
#define EW_MAX		75
#define EW_OVERHEAD	12      /* "=?UTF-8?B?" + "?=" */
#define HEADER_LIMIT	(64 * 1024)

static const char b64chars[] =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

static enum md_err
b64_append(struct buf *b, const unsigned char *p, size_t n)
{
	char q[4];
	uint32_t v;
	size_t i;
	enum md_err err;

	for (i = 0; i < n; i += 3) {
		v = (uint32_t)p[i] << 16;
		if (i + 1 < n)
			v |= (uint32_t)p[i + 1] << 8;
		if (i + 2 < n)
			v |= p[i + 2];
		q[0] = b64chars[(v >> 18) & 63];
		q[1] = b64chars[(v >> 12) & 63];
		q[2] = i + 1 < n ? b64chars[(v >> 6) & 63] : '=';
		q[3] = i + 2 < n ? b64chars[v & 63] : '=';
		if ((err = buf_append(b, q, 4)))
			return err;
	}
	return MD_OK;
}

/*
 * A header value made safe: invalid UTF-8 becomes U+FFFD and every control
 * character (C0, DEL, C1) a space, so no CR or LF can reach the header.
 */
static enum md_err
clean_header_text(const char *in, struct buf *out)
{
	const unsigned char *s = (const unsigned char *)in;
	size_t i = 0, n, len = strlen(in);
	uint32_t cp;
	enum md_err err;

	while (i < len) {
		n = utf8_decode(s + i, len - i, &cp);
		if (n == 0) {
			err = buf_puts(out, "\xef\xbf\xbd");
			i++;
		} else if (cp < 0x20 || cp == 0x7f || (cp >= 0x80 && cp <= 0x9f)) {
			err = buf_putc(out, ' ');
			i += n;
		} else {
			err = buf_append(out, s + i, n);
			i += n;
		}
		if (err)
			return err;
	}
	return MD_OK;
}

static int
is_atext(unsigned char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
	    strchr("!#$%&'*+-/=?^_`{|}~", c) != NULL;
}

static int
domain_valid(const char *d, size_t n)
{
	size_t i, label = 0;

	if (n == 0 || n > 253 || d[0] == '.' || d[0] == '-' || d[n - 1] == '.' ||
	    d[n - 1] == '-')
		return 0;
	for (i = 0; i < n; i++) {
		if (d[i] == '.') {
			if (label == 0)
				return 0;
			label = 0;
			continue;
		}
		if (!((d[i] >= 'a' && d[i] <= 'z') || (d[i] >= 'A' && d[i] <= 'Z') ||
		    (d[i] >= '0' && d[i] <= '9') || d[i] == '-'))
			return 0;
		if (++label > 63)
			return 0;
	}
	return 1;
}

int
notice_address_valid(const char *addr)
{
	const char *at;
	size_t i, n, local;

	if (addr == NULL || (n = strlen(addr)) == 0 || n > 254)
		return 0;
	if ((at = strchr(addr, '@')) == NULL || strchr(at + 1, '@') != NULL)
		return 0;
	local = (size_t)(at - addr);
	if (local == 0 || local > 64 || addr[0] == '.' || addr[local - 1] == '.')
		return 0;
	for (i = 0; i < local; i++)
		if (!is_atext((unsigned char)addr[i]) && addr[i] != '.')
			return 0;
	return domain_valid(at + 1, n - local - 1);
}

int
notice_msgid_valid(const char *id)
{
	size_t i, n;

	if (id == NULL || (n = strlen(id)) < 3 || n > NOTICE_MAX_MSGID)
		return 0;
	if (strchr(id, '@') == NULL || id[0] == '@' || id[n - 1] == '@')
		return 0;
	for (i = 0; i < n; i++) {
		if ((unsigned char)id[i] <= 0x20 || (unsigned char)id[i] >= 0x7f)
			return 0;
		if (strchr("<>()\\\",;:[]", id[i]) != NULL)
			return 0;
	}
	return 1;
}

enum md_err
notice_format_date(time_t t, const char *zone, char *dst, size_t dstlen)
{
	static const char *const days[] = { "Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat" };
	static const char *const months[] = { "Jan", "Feb", "Mar", "Apr", "May", "Jun",
	    "Jul", "Aug", "Sep", "Oct", "Nov", "Dec" };
	struct caltz_scope sc;
	struct tm tm;
	enum md_err err;
	long off;
	int n, ok;

	if (zone == NULL || strcmp(zone, "UTC") == 0 || strcmp(zone, "Etc/UTC") == 0) {
		ok = gmtime_r(&t, &tm) != NULL;
		tm.tm_gmtoff = 0;
	} else {
		/* Refuses an unknown zone (glibc would use UTC); no switch when already in it. */
		err = caltz_enter(zone, &sc);
		if (err)
			return err;
		ok = localtime_r(&t, &tm) != NULL;
		caltz_leave(&sc);
	}
	if (!ok)
		return MD_ERR_INPUT;
	off = tm.tm_gmtoff / 60;
	n = snprintf(dst, dstlen, "%s, %02d %s %04d %02d:%02d:%02d %c%02ld%02ld",
	    days[tm.tm_wday], tm.tm_mday, months[tm.tm_mon], tm.tm_year + 1900, tm.tm_hour,
	    tm.tm_min, tm.tm_sec, off < 0 ? '-' : '+', labs(off) / 60, labs(off) % 60);
	if (n < 0 || (size_t)n >= dstlen)
		return MD_ERR_LIMIT;
	return MD_OK;
}

enum md_err
notice_thread_index(const char *root, time_t t, char *dst, size_t dstlen)
{
	unsigned char raw[22], digest[32];
	uint64_t ft;
	struct buf b;
	enum md_err err;
	int i;

	if (dstlen < 33)
		return MD_ERR_LIMIT;
	/* FILETIME: 100 ns ticks since 1601-01-01. */
	ft = ((uint64_t)(t < 0 ? 0 : t) + 11644473600ULL) * 10000000ULL;
	for (i = 0; i < 6; i++)
		raw[i] = (unsigned char)(ft >> (56 - 8 * i));
	raw[0] = 0x01;
	if (gnutls_hash_fast(GNUTLS_DIG_SHA256, root, strlen(root), digest) < 0)
		return MD_ERR_IO;
	memcpy(raw + 6, digest, 16);
	raw[6 + 6] = (raw[6 + 6] & 0x0f) | 0x50;
	raw[6 + 8] = (raw[6 + 8] & 0x3f) | 0x80;
	buf_init(&b, 32);
	if ((err = b64_append(&b, raw, sizeof(raw))) == MD_OK)
		memcpy(dst, b.data, 33);
	buf_free(&b);
	return err;
}

/* Header output that knows its column, for folding at LINE_MAX_COLS. */
struct hdr {
	struct buf *b;
	size_t col;
};

static enum md_err
hdr_start(struct hdr *h, const char *name)
{
	h->col = strlen(name) + 1;
	return buf_printf(h->b, "%s:", name);
}

static enum md_err
hdr_end(struct hdr *h)
{
	return buf_puts(h->b, "\r\n");
}

/* Put one unbreakable token, on this line when it fits, else on a new one. */
static enum md_err
hdr_token(struct hdr *h, const char *tok, size_t len, int first)
{
	enum md_err err;

	if (!first && h->col + 1 + len > LINE_MAX_COLS) {
		err = buf_puts(h->b, "\r\n ");
		h->col = 1;
	} else {
		err = buf_putc(h->b, ' ');
		h->col++;
	}
	if (err == MD_OK)
		err = buf_append(h->b, tok, len);
	h->col += len;
	return err;
}

/*
 * Write text as RFC 2047 B encoded words of at most EW_MAX characters,
 * cutting only between UTF-8 sequences so that every word decodes alone.
 */
static enum md_err
hdr_encoded(struct hdr *h, const char *text)
{
	const unsigned char *s = (const unsigned char *)text;
	size_t i = 0, len = strlen(text), take, n, avail, maxraw;
	char word[EW_MAX + 1];
	struct buf w;
	uint32_t cp;
	enum md_err err = MD_OK;
	int first = 1;

	buf_init(&w, EW_MAX);
	while (i < len) {
		if (h->col + 1 + EW_OVERHEAD < LINE_MAX_COLS)
			avail = LINE_MAX_COLS - h->col - 1 - EW_OVERHEAD;
		else
			avail = 0;
		maxraw = avail / 4 * 3;
		if (maxraw > (EW_MAX - EW_OVERHEAD) / 4 * 3)
			maxraw = (EW_MAX - EW_OVERHEAD) / 4 * 3;
		take = 0;
		while (i + take < len) {
			n = utf8_decode(s + i + take, len - i - take, &cp);
			if (n == 0)
				n = 1;  /* cannot happen after clean_header_text() */
			if (take + n > maxraw)
				break;
			take += n;
		}
		if (take == 0) {
			/* Not even one character fits here: continue on a new line. */
			if ((err = buf_puts(h->b, "\r\n")))
				break;
			h->col = 0;
			first = 1;
			continue;
		}
		buf_reset(&w);
		if ((err = buf_puts(&w, "=?UTF-8?B?")) || (err = b64_append(&w, s + i, take)) ||
		    (err = buf_puts(&w, "?=")))
			break;
		memcpy(word, w.data, w.len + 1);
		if (h->col == 0) {
			/* Continuation line: the leading space is the fold. */
			err = buf_putc(h->b, ' ');
			h->col = 1;
			if (err == MD_OK)
				err = buf_append(h->b, word, w.len);
			h->col += w.len;
		} else
			err = hdr_token(h, word, w.len, first);
		if (err)
			break;
		first = 0;
		i += take;
	}
	buf_free(&w);
	return err;
}

/*
 * Nonzero when text can go out as folded ASCII words, unencoded: printable
 * ASCII, no "=?" that a reader could take for an encoded word, the first
 * word fits after the header name and every other word on a line of its own.
 */
static int
plain_ascii_ok(const char *text, size_t startcol)
{
	size_t i, word = 0, limit = LINE_MAX_COLS - startcol - 1;

	if (strstr(text, "=?") != NULL)
		return 0;
	for (i = 0; text[i] != '\0'; i++) {
		if ((unsigned char)text[i] < 0x20 || (unsigned char)text[i] >= 0x7f)
			return 0;
		if (text[i] == ' ') {
			word = 0;
			limit = LINE_MAX_COLS - 1;
		} else if (++word > limit)
			return 0;
	}
	return 1;
}

/* An unstructured header value (Subject, Thread-Topic). */
static enum md_err
hdr_text(struct hdr *h, const char *raw)
{
	struct buf clean;
	const char *p, *sp;
	enum md_err err;
	int first = 1;

	buf_init(&clean, HEADER_LIMIT);
	if ((err = clean_header_text(raw, &clean)))
		goto out;
	p = clean.data ? clean.data : "";
	if (!plain_ascii_ok(p, h->col)) {
		err = hdr_encoded(h, p);
		goto out;
	}
	for (;;) {
		sp = strchr(p, ' ');
		if ((err = hdr_token(h, p, sp ? (size_t)(sp - p) : strlen(p), first)))
			goto out;
		first = 0;
		if (sp == NULL)
			break;
		p = sp + 1;
	}
out:
	buf_free(&clean);
	return err;
}

/* An address header: optional display name, then the address. */
static enum md_err
hdr_mailbox(struct hdr *h, const char *name, const char *addr)
{
	struct buf clean, q, a;
	const char *p;
	enum md_err err;
	int ascii = 1;

	buf_init(&clean, HEADER_LIMIT);
	buf_init(&q, HEADER_LIMIT);
	buf_init(&a, 300);
	if (name == NULL || *name == '\0') {
		err = hdr_token(h, addr, strlen(addr), 1);
		goto out;
	}
	if ((err = clean_header_text(name, &clean)))
		goto out;
	for (p = clean.data; *p; p++)
		if ((unsigned char)*p >= 0x7f)
			ascii = 0;
	if ((err = buf_putc(&q, '"')))
		goto out;
	for (p = clean.data; ascii && *p; p++) {
		if (*p == '"' || *p == '\\')
			err = buf_putc(&q, '\\');
		if (err || (err = buf_putc(&q, *p)))
			goto out;
	}
	if ((err = buf_putc(&q, '"')))
		goto out;
	/* A quoted string cannot be folded safely: encode names that are too long. */
	if (ascii && q.len + h->col + 1 <= LINE_MAX_COLS)
		err = hdr_token(h, q.data, q.len, 1);
	else
		err = hdr_encoded(h, clean.data);
	if (err)
		goto out;
	if ((err = buf_printf(&a, "<%s>", addr)) == MD_OK)
		err = hdr_token(h, a.data, a.len, 0);
out:
	buf_free(&clean);
	buf_free(&q);
	buf_free(&a);
	return err;
}

static enum md_err
hdr_simple(struct buf *b, const char *name, const char *value)
{
	return buf_printf(b, "%s: %s\r\n", name, value);
}

static enum md_err
add_references(struct hdr *h, const struct notice *n)
{
	const char *ids[NOTICE_MAX_REFERENCES];
	char tok[NOTICE_MAX_MSGID + 3];
	size_t i, k = 0, valid = 0, skip;
	enum md_err err;

	for (i = 0; i < n->n_references; i++)
		if (notice_msgid_valid(n->references[i]))
			valid++;
	/* Keep the root (first) and the latest ones, as RFC 5322 3.6.4 suggests. */
	skip = valid > NOTICE_MAX_REFERENCES ? valid - NOTICE_MAX_REFERENCES : 0;
	for (i = 0; i < n->n_references && k < NOTICE_MAX_REFERENCES; i++) {
		if (!notice_msgid_valid(n->references[i]))
			continue;
		if (k > 0 && skip > 0) {
			skip--;
			continue;
		}
		ids[k++] = n->references[i];
	}
	if (k == 0)
		return MD_OK;
	if ((err = hdr_start(h, "References")))
		return err;
	for (i = 0; i < k; i++) {
		snprintf(tok, sizeof(tok), "<%s>", ids[i]);
		if ((err = hdr_token(h, tok, strlen(tok), i == 0)))
			return err;
	}
	return hdr_end(h);
}

/*
 * The body as base64 of UTF-8 text with CRLF line ends: line ends of any
 * kind become CRLF, control characters other than TAB are dropped, invalid
 * UTF-8 becomes U+FFFD, and a final line end is added when missing.
 * *text receives that text with LF line ends: what a reader decodes.
 */
static enum md_err
add_body(struct buf *out, const char *body, char **text, size_t *text_len)
{
	const unsigned char *s = (const unsigned char *)body;
	size_t i = 0, n, len = strlen(body), off;
	struct buf t;
	uint32_t cp;
	enum md_err err = MD_OK;

	if (len > NOTICE_MAX_BODY)
		return MD_ERR_LIMIT;
	buf_init(&t, NOTICE_MAX_BODY * 2 + 2);
	while (i < len && err == MD_OK) {
		n = utf8_decode(s + i, len - i, &cp);
		if (n == 0) {
			err = buf_puts(&t, "\xef\xbf\xbd");
			i++;
			continue;
		}
		if (cp == '\r' || cp == '\n') {
			err = buf_puts(&t, "\r\n");
			if (cp == '\r' && i + 1 < len && s[i + 1] == '\n')
				i++;
		} else if (cp == '\t' || !(cp < 0x20 || cp == 0x7f || (cp >= 0x80 && cp <= 0x9f)))
			err = buf_append(&t, s + i, n);
		i += n;
	}
	if (err == MD_OK && (t.len < 2 || memcmp(t.data + t.len - 2, "\r\n", 2) != 0))
		err = buf_puts(&t, "\r\n");
	for (off = 0; err == MD_OK && off < t.len; off += 57) {
		n = t.len - off < 57 ? t.len - off : 57;
		if ((err = b64_append(out, (unsigned char *)t.data + off, n)) == MD_OK)
			err = buf_puts(out, "\r\n");
	}
	if (err == MD_OK && (*text = malloc(t.len + 1)) == NULL)
		err = MD_ERR_NOMEM;
	if (err == MD_OK) {
		/* Every CR in t starts a CRLF pair. */
		for (n = 0, off = 0; off < t.len; off++)
			if (t.data[off] != '\r')
				(*text)[n++] = t.data[off];
		(*text)[n] = '\0';
		*text_len = n;
	}
	buf_free(&t);
	return err;
}

static enum md_err
make_message_id(const struct notice *n, char **out)
{
	unsigned char rnd[16];
	struct buf b;
	enum md_err err;
	size_t i;

	if (n->message_id != NULL) {
		if (!notice_msgid_valid(n->message_id))
			return MD_ERR_INPUT;
		return (*out = strdup(n->message_id)) ? MD_OK : MD_ERR_NOMEM;
	}
	if (gnutls_rnd(GNUTLS_RND_NONCE, rnd, sizeof(rnd)) < 0)
		return MD_ERR_IO;
	/*
	 * Time first: two indexes are keyed by this (the outbox's and the
	 * stored messages'), and keys that grow with time are appended at
	 * their right edge instead of landing on a random index page each,
	 * which had every chunk of intake rewrite hundreds of pages.
	 */
	buf_init(&b, NOTICE_MAX_MSGID);
	err = buf_printf(&b, "md.%lld.", (long long)n->date);
	for (i = 0; err == MD_OK && i < sizeof(rnd); i++)
		err = buf_printf(&b, "%02x", rnd[i]);
	if (err == MD_OK)
		err = buf_printf(&b, "@%s", n->domain);
	if (err == MD_OK && (*out = buf_steal(&b)) == NULL)
		err = MD_ERR_NOMEM;
	buf_free(&b);
	return err;
}

/*
 * A header value from clean_header_text() as a reader decodes it
 * (hdrdecode.c's hdr_clean()): U+2028 and U+2029 read as spaces, and blanks
 * at both ends are trimmed. In place.
 */
static void
as_read(struct buf *b)
{
	unsigned char *s = (unsigned char *)b->data;
	size_t i, first, last;

	if (s == NULL)
		return;
	for (i = 0; i + 2 < b->len; i++) {
		if (s[i] == 0xe2 && s[i + 1] == 0x80 && (s[i + 2] == 0xa8 || s[i + 2] == 0xa9)) {
			memmove(s + i + 1, s + i + 3, b->len - i - 3);
			s[i] = ' ';
			b->len -= 2;
		}
	}
	for (first = 0; first < b->len && s[first] == ' '; first++)
		;
	for (last = b->len; last > first && s[last - 1] == ' '; last--)
		;
	memmove(s, s + first, last - first);
	b->len = last - first;
	s[b->len] = '\0';
}

static enum md_err
check_input(const struct notice *n)
{
	if (n->subject == NULL || n->body == NULL || n->domain == NULL)
		return MD_ERR_INPUT;
	if (!notice_address_valid(n->from_addr) || !notice_address_valid(n->to_addr))
		return MD_ERR_INPUT;
	if (n->reply_to != NULL && !notice_address_valid(n->reply_to))
		return MD_ERR_INPUT;
	if (!domain_valid(n->domain, strlen(n->domain)))
		return MD_ERR_INPUT;
	if (n->n_references > 0 && n->references == NULL)
		return MD_ERR_INPUT;
	return MD_OK;
}

static enum md_err
build_headers(const struct notice *n, const char *msgid, struct buf *b)
{
	struct hdr h = { b, 0 };
	char date[64], tidx[40], tok[NOTICE_MAX_MSGID + 3];
	enum md_err err;

	if ((err = notice_format_date(n->date, n->timezone, date, sizeof(date))))
		return err;
	if ((err = hdr_simple(b, "Date", date)))
		return err;
	if ((err = hdr_start(&h, "From")) || (err = hdr_mailbox(&h, n->from_name, n->from_addr)) ||
	    (err = hdr_end(&h)))
		return err;
	if ((err = hdr_start(&h, "To")) || (err = hdr_mailbox(&h, n->to_name, n->to_addr)) ||
	    (err = hdr_end(&h)))
		return err;
	if (n->reply_to && (err = hdr_simple(b, "Reply-To", n->reply_to)))
		return err;
	if ((err = hdr_start(&h, "Subject")) || (err = hdr_text(&h, n->subject)) ||
	    (err = hdr_end(&h)))
		return err;
	snprintf(tok, sizeof(tok), "<%s>", msgid);
	if ((err = hdr_simple(b, "Message-ID", tok)))
		return err;
	if (n->in_reply_to && notice_msgid_valid(n->in_reply_to)) {
		snprintf(tok, sizeof(tok), "<%s>", n->in_reply_to);
		if ((err = hdr_simple(b, "In-Reply-To", tok)))
			return err;
	}
	if ((err = add_references(&h, n)))
		return err;
	if (n->thread_topic && ((err = hdr_start(&h, "Thread-Topic")) ||
	    (err = hdr_text(&h, n->thread_topic)) || (err = hdr_end(&h))))
		return err;
	if (n->thread_root) {
		if ((err = notice_thread_index(n->thread_root,
		    n->thread_time ? n->thread_time : n->date, tidx, sizeof(tidx))))
			return err;
		if ((err = hdr_simple(b, "Thread-Index", tidx)))
			return err;
	}
	if (n->auto_submitted == NOTICE_AUTO_GENERATED)
		err = hdr_simple(b, "Auto-Submitted", "auto-generated");
	else if (n->auto_submitted == NOTICE_AUTO_REPLIED)
		err = hdr_simple(b, "Auto-Submitted", "auto-replied");
	if (err || (err = hdr_simple(b, "X-Auto-Response-Suppress", "All")) ||
	    (err = hdr_simple(b, "X-Memberdesk-Loop", n->domain)) ||
	    (err = hdr_simple(b, "MIME-Version", "1.0")) ||
	    (err = hdr_simple(b, "Content-Type", "text/plain; charset=UTF-8")) ||
	    (err = hdr_simple(b, "Content-Transfer-Encoding", "base64")) ||
	    (err = buf_puts(b, "\r\n")))
		return err;
	return MD_OK;
}

enum md_err
notice_build(const struct notice *n, struct notice_msg *out)
{
	struct buf b, subj;
	char *msgid = NULL;
	enum md_err err;

	memset(out, 0, sizeof(*out));
	if ((err = check_input(n)))
		return err;
	if (strlen(n->body) > NOTICE_MAX_BODY)
		return MD_ERR_LIMIT;
	if ((err = make_message_id(n, &msgid)))
		return err;
	buf_init(&b, HEADER_LIMIT + (NOTICE_MAX_BODY * 2 + 2) / 57 * 80 + 160);
	buf_init(&subj, HEADER_LIMIT);
	if ((err = build_headers(n, msgid, &b)) ||
	    (err = add_body(&b, n->body, &out->text, &out->text_len)) ||
	    (err = clean_header_text(n->subject, &subj)))
		goto fail;
	as_read(&subj);
	out->len = b.len;
	if ((out->data = buf_steal(&b)) == NULL ||
	    (out->subject = buf_steal(&subj)) == NULL) {
		err = MD_ERR_NOMEM;
		goto fail;
	}
	if (n->from_name && (err = clean_header_text(n->from_name, &subj)))
		goto fail;
	as_read(&subj);
	if ((out->from_name = buf_steal(&subj)) == NULL) {
		err = MD_ERR_NOMEM;
		goto fail;
	}
	out->message_id = msgid;
	return MD_OK;
fail:
	free(msgid);
	buf_free(&b);
	buf_free(&subj);
	notice_msg_free(out);
	return err;
}

void
notice_msg_free(struct notice_msg *m)
{
	if (m == NULL)
		return;
	free(m->data);
	free(m->message_id);
	free(m->subject);
	free(m->from_name);
	free(m->text);
	memset(m, 0, sizeof(*m));
}
