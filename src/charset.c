#include <ctype.h>
#include <errno.h>
#include <iconv.h>
#include <stdint.h>
#include <string.h>

#include "charset.h"
#include "utf8.h"

#define LABEL_MAX	48

/*
 * Labels mail clients send, mapped to what the text really is. A fallback
 * is tried when the primary decoder rejects the bytes, before anything is
 * replaced (Big5 mail is HKSCS or CP950 depending on the sender's system).
 */
struct alias {
	const char *label;
	const char *primary;
	const char *fallback;
};

static const struct alias aliases[] = {
	{ "utf-8", "UTF-8", NULL },
	{ "utf8", "UTF-8", NULL },
	{ "unicode-1-1-utf-8", "UTF-8", NULL },
	{ "unicode-2-0-utf-8", "UTF-8", NULL },
	{ "x-unicode20utf8", "UTF-8", NULL },
	{ "us-ascii", "ASCII", NULL },
	{ "ascii", "ASCII", NULL },
	{ "ansi_x3.4-1968", "ASCII", NULL },
	{ "iso646-us", "ASCII", NULL },
	{ "us", "ASCII", NULL },
	{ "gb2312", "GB18030", NULL },
	{ "gb_2312-80", "GB18030", NULL },
	{ "gb_2312", "GB18030", NULL },
	{ "csgb2312", "GB18030", NULL },
	{ "euc-cn", "GB18030", NULL },
	{ "x-euc-cn", "GB18030", NULL },
	{ "iso-ir-58", "GB18030", NULL },
	{ "chinese", "GB18030", NULL },
	{ "gbk", "GB18030", NULL },
	{ "x-gbk", "GB18030", NULL },
	{ "cp936", "GB18030", NULL },
	{ "ms936", "GB18030", NULL },
	{ "windows-936", "GB18030", NULL },
	{ "gb18030", "GB18030", NULL },
	{ "big5", "BIG5-HKSCS", "CP950" },
	{ "big-5", "BIG5-HKSCS", "CP950" },
	{ "x-big5", "BIG5-HKSCS", "CP950" },
	{ "cn-big5", "BIG5-HKSCS", "CP950" },
	{ "csbig5", "BIG5-HKSCS", "CP950" },
	{ "x-x-big5", "BIG5-HKSCS", "CP950" },
	{ "big5-hkscs", "BIG5-HKSCS", "CP950" },
	{ "cp950", "CP950", "BIG5-HKSCS" },
	{ "windows-950", "CP950", "BIG5-HKSCS" },
	{ "ks_c_5601-1987", "CP949", NULL },
	{ "ks_c_5601", "CP949", NULL },
	{ "ksc5601", "CP949", NULL },
	{ "korean", "CP949", NULL },
	{ "euc-kr", "CP949", NULL },
	{ "cp949", "CP949", NULL },
	{ "iso-8859-1", "WINDOWS-1252", "ISO-8859-1" },
	{ "iso8859-1", "WINDOWS-1252", "ISO-8859-1" },
	{ "iso_8859-1", "WINDOWS-1252", "ISO-8859-1" },
	{ "latin1", "WINDOWS-1252", "ISO-8859-1" },
	{ "l1", "WINDOWS-1252", "ISO-8859-1" },
	{ "windows-1252", "WINDOWS-1252", "ISO-8859-1" },
	{ "cp1252", "WINDOWS-1252", "ISO-8859-1" },
	{ "shift_jis", "CP932", "SHIFT_JIS" },
	{ "shift-jis", "CP932", "SHIFT_JIS" },
	{ "sjis", "CP932", "SHIFT_JIS" },
	{ "x-sjis", "CP932", "SHIFT_JIS" },
	{ "ms_kanji", "CP932", "SHIFT_JIS" },
	{ "windows-31j", "CP932", "SHIFT_JIS" },
	{ "tis-620", "CP874", "TIS-620" },
	{ "iso-8859-11", "CP874", "TIS-620" },
};

size_t
utf8_cut(const char *str, size_t len)
{
	const unsigned char *s = (const unsigned char *)str;
	size_t i = len, back = 0;

	/* Walk back over continuation bytes to the last lead byte. */
	while (i > 0 && back < 4 && (s[i - 1] & 0xc0) == 0x80) {
		i--;
		back++;
	}
	if (i == 0 || s[i - 1] < 0x80)
		return len;
	/* s[i - 1] is a lead byte; keep its sequence only when complete. */
	if (utf8_decode(s + i - 1, len - (i - 1), NULL) == back + 1)
		return len;
	return i - 1;
}

enum md_err
utf8_append_fit(struct buf *out, const char *s, size_t len)
{
	size_t room = out->limit - out->len;
	enum md_err err;

	if (len <= room)
		return buf_append(out, s, len);
	err = buf_append(out, s, utf8_cut(s, room));
	return err ? err : MD_ERR_LIMIT;
}

enum md_err
utf8_sanitize(const char *str, size_t len, struct buf *out, unsigned *status)
{
	const unsigned char *s = (const unsigned char *)str;
	size_t i = 0, start = 0, n;
	enum md_err err;

	while (i < len) {
		n = utf8_decode(s + i, len - i, NULL);
		if (n > 0) {
			i += n;
			continue;
		}
		err = utf8_append_fit(out, (const char *)s + start, i - start);
		if (err)
			return err;
		err = buf_puts(out, "\xef\xbf\xbd");
		if (err)
			return err;
		*status |= CHARSET_LOSSY;
		i++;
		start = i;
	}
	return utf8_append_fit(out, (const char *)s + start, i - start);
}

/* Lower-case label without quotes and blanks into dst; -1 when malformed. */
static int
label_normalise(const char *label, char *dst, size_t dstlen)
{
	size_t o = 0;

	for (; *label; label++) {
		unsigned char c = (unsigned char)*label;

		if (c == '"' || c == '\'' || isspace(c))
			continue;
		if (!isalnum(c) && c != '-' && c != '_' && c != '.' && c != ':')
			return -1;
		if (o + 1 >= dstlen)
			return -1;
		dst[o++] = (char)tolower(c);
	}
	dst[o] = '\0';
	return o ? 0 : -1;
}

static const struct alias *
alias_find(const char *norm)
{
	size_t i;

	for (i = 0; i < sizeof(aliases) / sizeof(aliases[0]); i++)
		if (strcmp(aliases[i].label, norm) == 0)
			return &aliases[i];
	return NULL;
}

enum md_err
charset_canonical(const char *label, char *name, size_t namelen)
{
	char norm[LABEL_MAX];
	const struct alias *a;
	iconv_t cd;
	size_t i;

	if (label == NULL || label_normalise(label, norm, sizeof(norm)) == -1)
		return MD_ERR_NOTFOUND;
	if ((a = alias_find(norm)) != NULL) {
		if (strlen(a->primary) >= namelen)
			return MD_ERR_LIMIT;
		strcpy(name, a->primary);
		return MD_OK;
	}
	for (i = 0; norm[i]; i++)
		norm[i] = (char)toupper((unsigned char)norm[i]);
	cd = iconv_open("UTF-8", norm);
	if (cd == (iconv_t)-1)
		return MD_ERR_NOTFOUND;
	iconv_close(cd);
	if (strlen(norm) >= namelen)
		return MD_ERR_LIMIT;
	strcpy(name, norm);
	return MD_OK;
}

/* Drop what was appended past mark (a failed strict attempt). */
static void
buf_truncate(struct buf *b, size_t mark)
{
	if (b->data == NULL || mark > b->len)
		return;
	b->len = mark;
	b->data[mark] = '\0';
}

/*
 * Convert with iconv. strict: fail with MD_ERR_INPUT on the first bad byte
 * (the caller rolls back); otherwise replace bad bytes with U+FFFD.
 */
static enum md_err
iconv_convert(const char *from, const char *in, size_t len, struct buf *out, int strict,
    unsigned *status)
{
	char tmp[4096], *ip, *op;
	size_t il, ol, r;
	iconv_t cd;
	enum md_err err = MD_OK;

	cd = iconv_open("UTF-8", from);
	if (cd == (iconv_t)-1)
		return errno == ENOMEM ? MD_ERR_NOMEM : MD_ERR_NOTFOUND;
	ip = (char *)(uintptr_t)in;
	il = len;
	while (il > 0) {
		op = tmp;
		ol = sizeof(tmp);
		r = iconv(cd, &ip, &il, &op, &ol);
		err = utf8_append_fit(out, tmp, sizeof(tmp) - ol);
		if (err)
			goto out;
		if (r != (size_t)-1)
			continue;
		if (errno == E2BIG)
			continue;
		if (strict) {
			err = MD_ERR_INPUT;
			goto out;
		}
		*status |= CHARSET_LOSSY;
		err = buf_puts(out, "\xef\xbf\xbd");
		if (err)
			goto out;
		if (errno == EINVAL)
			break;	/* incomplete sequence at the end */
		ip++;
		il--;
		iconv(cd, NULL, NULL, NULL, NULL);
	}
	op = tmp;
	ol = sizeof(tmp);
	iconv(cd, NULL, NULL, &op, &ol);
	err = utf8_append_fit(out, tmp, sizeof(tmp) - ol);
 out:
	iconv_close(cd);
	return err;
}

/* Try the decoders in order strictly, then the first one with replacement. */
static enum md_err
convert_chain(const char *primary, const char *fallback, const char *in, size_t len,
    struct buf *out, unsigned *status)
{
	size_t mark = out->len;
	enum md_err err;

	err = iconv_convert(primary, in, len, out, 1, status);
	if (err != MD_ERR_INPUT)
		return err;
	buf_truncate(out, mark);
	if (fallback != NULL) {
		err = iconv_convert(fallback, in, len, out, 1, status);
		if (err != MD_ERR_INPUT)
			return err;
		buf_truncate(out, mark);
	}
	return iconv_convert(primary, in, len, out, 0, status);
}

static int
is_ascii(const char *s, size_t len)
{
	size_t i;

	for (i = 0; i < len; i++)
		if ((unsigned char)s[i] >= 0x80)
			return 0;
	return 1;
}

/* No usable label: UTF-8 when it is valid, GB18030 when that decodes, else repaired UTF-8. */
static enum md_err
convert_guess(const char *in, size_t len, struct buf *out, unsigned *status)
{
	size_t mark = out->len;
	enum md_err err;

	if (utf8_valid(in, len))
		return utf8_append_fit(out, in, len);
	err = iconv_convert("GB18030", in, len, out, 1, status);
	if (err != MD_ERR_INPUT) {
		if (err == MD_OK)
			*status |= CHARSET_NOT_UTF8_FALLBACK;
		return err;
	}
	buf_truncate(out, mark);
	return utf8_sanitize(in, len, out, status);
}

/* On MD_ERR_LIMIT, cut the output back to a character boundary. */
static enum md_err
finish(struct buf *out, size_t mark, enum md_err err)
{
	if (err == MD_ERR_LIMIT && out->data != NULL && out->len > mark)
		buf_truncate(out, mark + utf8_cut(out->data + mark, out->len - mark));
	return err;
}

enum md_err
charset_to_utf8(const char *label, const char *in, size_t len, struct buf *out,
    unsigned *status)
{
	char norm[LABEL_MAX], name[LABEL_MAX];
	const struct alias *a = NULL;
	size_t mark = out->len;

	if (label != NULL && *label != '\0') {
		if (label_normalise(label, norm, sizeof(norm)) == 0)
			a = alias_find(norm);
		if (a == NULL && charset_canonical(label, name, sizeof(name)) != MD_OK) {
			/* Pure ASCII reads the same in anything; only guess when it matters. */
			if (!is_ascii(in, len))
				*status |= CHARSET_GUESSED;
			return finish(out, mark, convert_guess(in, len, out, status));
		}
	}
	if (a == NULL && (label == NULL || *label == '\0'))
		return finish(out, mark, convert_guess(in, len, out, status));
	if (a == NULL)
		return finish(out, mark, convert_chain(name, NULL, in, len, out, status));
	if (strcmp(a->primary, "UTF-8") == 0)
		return finish(out, mark, utf8_sanitize(in, len, out, status));
	if (strcmp(a->primary, "ASCII") == 0) {
		/* 8-bit text labelled ASCII is common; read it as unlabelled. */
		return finish(out, mark, convert_guess(in, len, out, status));
	}
	return finish(out, mark, convert_chain(a->primary, a->fallback, in, len, out, status));
}
