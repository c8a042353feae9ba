#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "buf.h"
#include "replystrip.h"

enum line_class {
	LINE_TEXT,
	LINE_BLANK,
	LINE_QUOTE,
	LINE_ATTRIB     /* part of an attribution ("On ... wrote:") */
};

struct line {
	const char *p;          /* first byte after leading blanks */
	size_t len;             /* without leading and trailing blanks */
	const char *raw;        /* the line as written */
	size_t rawlen;          /* without trailing blanks and CR */
	enum line_class cls;
	size_t attrib_end;      /* LINE_ATTRIB at a group start: its last line */
	int attrib_start;       /* nonzero on the first line of a group */
};

/* Length of one blank character at p (ASCII, NBSP, ideographic, zero-width), or 0. */
static size_t
blank_at(const char *p, size_t n)
{
	const unsigned char *u = (const unsigned char *)p;

	if (n >= 1 && (u[0] == ' ' || u[0] == '\t' || u[0] == '\r'))
		return 1;
	if (n >= 2 && u[0] == 0xc2 && u[1] == 0xa0)
		return 2;
	if (n >= 3 && u[0] == 0xe3 && u[1] == 0x80 && u[2] == 0x80)
		return 3;
	if (n >= 3 && u[0] == 0xe2 && u[1] == 0x80 && u[2] == 0x8b)
		return 3;
	if (n >= 3 && u[0] == 0xef && u[1] == 0xbb && u[2] == 0xbf)
		return 3;
	return 0;
}

/* Length of trailing blanks at the end of p[0..n). */
static size_t
trailing_blanks(const char *p, size_t n)
{
	size_t end = n, k;

	for (;;) {
		if (end >= 1 && (p[end - 1] == ' ' || p[end - 1] == '\t' || p[end - 1] == '\r')) {
			end--;
			continue;
		}
		k = 0;
		if (end >= 2 && blank_at(p + end - 2, 2) == 2)
			k = 2;
		else if (end >= 3 && blank_at(p + end - 3, 3) == 3)
			k = 3;
		if (k == 0)
			break;
		end -= k;
	}
	return n - end;
}

static int
starts_ci(const char *p, size_t n, const char *pfx)
{
	size_t k = strlen(pfx);

	return n >= k && strncasecmp(p, pfx, k) == 0;
}

static int
contains_ci(const char *p, size_t n, const char *needle)
{
	size_t k = strlen(needle), i;

	if (k == 0 || n < k)
		return k == 0;
	for (i = 0; i + k <= n; i++)
		if (strncasecmp(p + i, needle, k) == 0)
			return 1;
	return 0;
}

static int
ends_with(const char *p, size_t n, const char *sfx)
{
	size_t k = strlen(sfx);

	return n >= k && memcmp(p + n - k, sfx, k) == 0;
}

static int
has_digit(const char *p, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (p[i] >= '0' && p[i] <= '9')
			return 1;
	return 0;
}

static int
is_quote(const struct line *l)
{
	/* ">:" ends an attribution whose address was wrapped, it quotes nothing. */
	if (l->len == 2 && memcmp(l->p, ">:", 2) == 0)
		return 0;
	return (l->len >= 1 && l->p[0] == '>') || starts_ci(l->p, l->len, "\xef\xbc\x9e");
}

/* "-- ", "--" and lines of underscores (list footers, Outlook's rule above the history). */
static int
is_signature_separator(const struct line *l)
{
	size_t i;

	if (l->rawlen == 2 && memcmp(l->raw, "--", 2) == 0)
		return 1;
	/* Apple Mail and our own notices sign off under a line of em dashes. */
	for (i = 0; i + 3 <= l->len && memcmp(l->p + i, "—", 3) == 0; i += 3)
		;
	if (i > 0 && i == l->len)
		return 1;
	if (l->len < 2)
		return 0;
	for (i = 0; i < l->len; i++)
		if (l->p[i] != '_')
			return 0;
	return 1;
}

/* Phone and app signatures: a short line on its own, never a sentence. */
static int
is_device_signature(const struct line *l)
{
	static const char *const en[] = {
		"sent from my ", "sent from ", "get outlook for ", "envoyé de mon ",
		"von meinem ", "gesendet von ", "envoyé à partir de ", "enviado desde ",
		"enviado do meu ", "inviato da ",
	};
	static const char *const zh[] = {
		"发自我的", "来自我的", "从我的", "发自网易", "发自手机", "来自手机", "发自 ",
		"發自我的", "從我的",
	};
	size_t i, words = 1;

	for (i = 0; i < sizeof(zh) / sizeof(zh[0]); i++)
		if (starts_ci(l->p, l->len, zh[i]))
			return l->len <= 48 && !contains_ci(l->p, l->len, "，") &&
			    !contains_ci(l->p, l->len, "。");
	for (i = 0; i < sizeof(en) / sizeof(en[0]); i++)
		if (starts_ci(l->p, l->len, en[i]))
			break;
	if (i == sizeof(en) / sizeof(en[0]) || l->len > 80)
		return 0;
	for (i = 0; i < l->len; i++) {
		if (l->p[i] == ',' || l->p[i] == ';' || l->p[i] == '!' || l->p[i] == '?')
			return 0;
		if (l->p[i] == ' ')
			words++;
	}
	return words <= 7 && l->p[l->len - 1] != '.';
}

/* A line made only of rule characters, left over above a cut history block. */
static int
is_rule(const struct line *l)
{
	size_t i;

	if (l->len == 0)
		return 0;
	for (i = 0; i < l->len; i++)
		if (strchr("-_=*~ ", l->p[i]) == NULL)
			return 0;
	return 1;
}

static const char *const history_phrases[] = {
	"original message", "ursprüngliche nachricht", "message d'origine", "mensaje original",
	"messaggio originale", "oorspronkelijk bericht", "forwarded message", "wrote",
	"oprindelig besked", "opprinnelig melding", "alkuperäinen viesti",
	"mensagem original", "原始邮件", "原始郵件", "原邮件", "原郵件", "转发的邮件", "轉寄的郵件", "写道", "寫道",
};

/* "-----Original Message-----", "------------------ 原始邮件 ------------------", ... */
static int
is_history_separator(const struct line *l)
{
	size_t i;

	if (starts_ci(l->p, l->len, "begin forwarded message") ||
	    starts_ci(l->p, l->len, "以下为转发的邮件") || starts_ci(l->p, l->len, "原始邮件"))
		return 1;
	if (!(starts_ci(l->p, l->len, "--") || starts_ci(l->p, l->len, "——") ||
	    starts_ci(l->p, l->len, "－－") || starts_ci(l->p, l->len, "==") ||
	    starts_ci(l->p, l->len, "__")))
		return 0;
	for (i = 0; i < sizeof(history_phrases) / sizeof(history_phrases[0]); i++)
		if (contains_ci(l->p, l->len, history_phrases[i]))
			return 1;
	/* "-------- Oprindelig besked --------": words framed by dashes, any language. */
	return l->len > 10 && starts_ci(l->p, l->len, "----") && ends_with(l->p, l->len, "----") &&
	    !is_rule(l);
}

/* Does the line start with one of names followed by ':' (an Outlook header field)? */
static int
is_field(const struct line *l, const char *const *names, size_t n)
{
	const char *p = l->p;
	size_t len = l->len, i, k, b;

	if (len > 0 && *p == '*') {
		p++;
		len--;
	}
	for (i = 0; i < n; i++) {
		if (!starts_ci(p, len, names[i]))
			continue;
		k = strlen(names[i]);
		while (k < len && (b = blank_at(p + k, len - k)) > 0)
			k += b;
		if (k < len && p[k] == '*')
			k++;
		if (k < len && p[k] == ':')
			return 1;
		if (starts_ci(p + k, len - k, "："))
			return 1;
	}
	return 0;
}

static const char *const from_fields[] = {
	"from", "发件人", "寄件者", "寄件人", "de", "van", "da", "von", "fra", "från", "od",
	"от", "lähettäjä",
};

static const char *const next_fields[] = {
	"sent", "date", "to", "subject", "cc", "发送时间", "时间", "日期", "收件人", "主题",
	"抄送", "寄件日期", "傳送時間", "envoyé le", "envoyé", "à", "objet", "verzonden", "aan",
	"onderwerp", "inviato", "a", "oggetto", "gesendet", "an", "betreff", "datum", "enviado",
	"enviada", "para", "asunto", "sendt", "til", "emne", "skickat", "till", "ämne",
	"lähetetty", "отправлено", "кому", "wysłano", "do", "temat", "data",
};

/* A "From:" line followed within four lines by "Sent:", "Date:", "To:"... */
static int
is_header_block(const struct line *v, size_t n, size_t i)
{
	size_t j;

	if (!is_field(&v[i], from_fields, sizeof(from_fields) / sizeof(from_fields[0])))
		return 0;
	for (j = i + 1; j < n && j <= i + 4; j++)
		if (is_field(&v[j], next_fields, sizeof(next_fields) / sizeof(next_fields[0])))
			return 1;
	return 0;
}

static const char *const wrote_words[] = {
	"wrote", "writes", "a écrit", "schrieb", "escreveu", "escribió", "scritto", "schreef",
	"skrev", "napisał", "kirjoitti", "написал", "írta", "写道", "寫道", "來信", "来信",
};

static int
has_wrote(const struct line *l)
{
	size_t i;

	for (i = 0; i < sizeof(wrote_words) / sizeof(wrote_words[0]); i++)
		if (contains_ci(l->p, l->len, wrote_words[i]))
			return 1;
	return 0;
}

static int
ends_with_wrote(const struct line *l)
{
	size_t i, k;

	for (i = 0; i < sizeof(wrote_words) / sizeof(wrote_words[0]); i++) {
		k = strlen(wrote_words[i]);
		if (l->len >= k && strncasecmp(l->p + l->len - k, wrote_words[i], k) == 0)
			return 1;
	}
	return 0;
}

static int
ends_sentence(const struct line *l)
{
	return l->len > 0 && (l->p[l->len - 1] == '.' || l->p[l->len - 1] == '!' ||
	    l->p[l->len - 1] == '?' || ends_with(l->p, l->len, "。") ||
	    ends_with(l->p, l->len, "！") || ends_with(l->p, l->len, "？"));
}

/* Words attributions begin with; a wrapped one is not extended past them. */
static int
starts_attribution(const struct line *l)
{
	static const char *const starters[] = {
		"on ", "le ", "am ", "em ", "el ", "il ", "op ", "den ", "på ", "w dniu ",
		"dnia ", "在", "于", "於", "---",
	};
	size_t i;

	if (l->len > 0 && l->p[0] >= '0' && l->p[0] <= '9')
		return 1;
	for (i = 0; i < sizeof(starters) / sizeof(starters[0]); i++)
		if (starts_ci(l->p, l->len, starters[i]))
			return 1;
	return 0;
}

/*
 * Attributions end with a colon and name a date or an address: "On Dec 9,
 * 2011, X <x@y> wrote:", "在 2026年11月27日 … 写道：", "2017-11-24 16:32
 * GMT+01:00 X <x@y>:". Clients wrap them over up to four lines; the group
 * starts after the previous sentence or blank line.
 */
static void
mark_attributions(struct line *v, size_t n)
{
	size_t j, start, i, total;
	int wrote, digit, at;

	for (j = 0; j < n; j++) {
		if (v[j].cls != LINE_TEXT)
			continue;
		if (!ends_with(v[j].p, v[j].len, ":") && !ends_with(v[j].p, v[j].len, "：") &&
		    !(starts_attribution(&v[j]) && ends_with_wrote(&v[j])))
			continue;
		start = j;
		while (!starts_attribution(&v[start]) && start > 0 && j - start < 3 &&
		    v[start - 1].cls == LINE_TEXT && !ends_sentence(&v[start - 1]))
			start--;
		wrote = 0;
		for (i = start; i <= j; i++)
			wrote |= has_wrote(&v[i]);
		digit = at = 0;
		total = 0;
		for (i = start; i <= j; i++) {
			digit |= has_digit(v[i].p, v[i].len);
			at |= memchr(v[i].p, '@', v[i].len) != NULL;
			total += v[i].len;
		}
		if (!((wrote && (digit || at)) || (at && digit && total <= 300)))
			continue;
		for (i = start; i <= j; i++)
			v[i].cls = LINE_ATTRIB;
		v[start].attrib_start = 1;
		v[start].attrib_end = j;
	}
}

static enum md_err
split_lines(const char *text, struct line **out, size_t *nout)
{
	struct line *v;
	const char *p, *nl;
	size_t n = 1, i = 0, b, tb;

	for (p = text; (p = strchr(p, '\n')) != NULL; p++)
		n++;
	v = calloc(n, sizeof(*v));
	if (v == NULL)
		return MD_ERR_NOMEM;
	for (p = text; i < n; i++) {
		nl = strchr(p, '\n');
		v[i].raw = p;
		v[i].rawlen = nl ? (size_t)(nl - p) : strlen(p);
		tb = trailing_blanks(v[i].raw, v[i].rawlen);
		v[i].rawlen -= tb;
		v[i].p = v[i].raw;
		v[i].len = v[i].rawlen;
		while (v[i].len > 0 && (b = blank_at(v[i].p, v[i].len)) > 0) {
			v[i].p += b;
			v[i].len -= b;
		}
		if (v[i].len == 0)
			v[i].cls = LINE_BLANK;
		else if (is_quote(&v[i]))
			v[i].cls = LINE_QUOTE;
		else
			v[i].cls = LINE_TEXT;
		if (nl == NULL)
			break;
		p = nl + 1;
	}
	*out = v;
	*nout = i < n ? i + 1 : n;
	return MD_OK;
}

/* Is the next non-blank line after the group a quote (an inline reply follows)? */
static int
quote_follows(const struct line *v, size_t n, size_t end)
{
	size_t i;

	for (i = end + 1; i < n; i++)
		if (v[i].cls != LINE_BLANK)
			return v[i].cls == LINE_QUOTE;
	return 0;
}

/* A wrapped quote line whose tail lost its ">" sits between two quote lines. */
static void
mark_wrapped_quotes(struct line *v, size_t n)
{
	size_t i;

	for (i = 1; i + 1 < n; i++)
		if (v[i].cls == LINE_TEXT && v[i - 1].cls == LINE_QUOTE &&
		    v[i + 1].cls == LINE_QUOTE)
			v[i].cls = LINE_QUOTE;
}

/* Indexes of the lines to keep (SIZE_MAX for one blank line) into keep, *nkeep. */
static void
select_lines(const struct line *v, size_t n, size_t *keep, size_t *nkeep)
{
	size_t i, k = 0;

	for (i = 0; i < n; i++) {
		if (v[i].cls == LINE_BLANK) {
			if (k > 0 && keep[k - 1] != SIZE_MAX)
				keep[k++] = SIZE_MAX;
			continue;
		}
		if (v[i].cls == LINE_QUOTE)
			continue;
		if (v[i].cls == LINE_ATTRIB) {
			if (v[i].attrib_start && quote_follows(v, n, v[i].attrib_end)) {
				i = v[i].attrib_end;
				continue;
			}
			break;
		}
		if (is_signature_separator(&v[i]) || is_device_signature(&v[i]) ||
		    is_history_separator(&v[i]) || is_header_block(v, n, i))
			break;
		keep[k++] = i;
	}
	/* Rules and blanks left above what was cut are not the writer's words. */
	while (k > 0 && (keep[k - 1] == SIZE_MAX || is_rule(&v[keep[k - 1]])))
		k--;
	*nkeep = k;
}

enum md_err
replystrip(const char *text, char **out)
{
	struct line *v = NULL;
	struct buf b;
	size_t *keep = NULL, n = 0, nkeep = 0, i;
	enum md_err err;

	*out = NULL;
	if (strlen(text) > REPLYSTRIP_MAX)
		return MD_ERR_LIMIT;
	buf_init(&b, REPLYSTRIP_MAX + 1);
	err = split_lines(text, &v, &n);
	if (err)
		goto out;
	keep = calloc(n, sizeof(*keep));
	if (keep == NULL) {
		err = MD_ERR_NOMEM;
		goto out;
	}
	mark_wrapped_quotes(v, n);
	mark_attributions(v, n);
	select_lines(v, n, keep, &nkeep);
	for (i = 0; i < nkeep && err == MD_OK; i++) {
		if (i > 0)
			err = buf_putc(&b, '\n');
		if (err == MD_OK && keep[i] != SIZE_MAX)
			err = buf_append(&b, v[keep[i]].raw, v[keep[i]].rawlen);
	}
	if (err)
		goto out;
	*out = buf_steal(&b);
	if (*out == NULL)
		err = MD_ERR_NOMEM;
out:
	free(keep);
	free(v);
	buf_free(&b);
	return err;
}
