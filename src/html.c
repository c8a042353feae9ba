#include <limits.h>
#include <stdio.h>
#include <string.h>

#include <libxml/HTMLparser.h>
#include <libxml/parser.h>
#include <libxml/tree.h>

#include "charset.h"
#include "html.h"

#define LIST_DEPTH	32

struct html_state {
	struct buf *out;
	enum md_err err;
	int want_nl;       /* line breaks wanted before the next text */
	int trailing_nl;   /* line breaks at the end of out */
	int space;         /* a blank is owed before the next text */
	int pre;           /* inside <pre> */
	int lists;         /* depth of <ul>/<ol> */
	int ordered[LIST_DEPTH];
	int counter[LIST_DEPTH];
};

static const char *const skipped[] = {
	"script", "style", "head", "title", "noscript", "template", "object", "iframe", NULL
};

/* Elements that stand on lines of their own, and how many breaks they want. */
static const struct {
	const char *name;
	int breaks;
} blocks[] = {
	{ "p", 2 }, { "h1", 2 }, { "h2", 2 }, { "h3", 2 }, { "h4", 2 }, { "h5", 2 },
	{ "h6", 2 }, { "blockquote", 2 }, { "pre", 2 }, { "table", 1 }, { "ul", 1 },
	{ "ol", 1 }, { "dl", 1 }, { "div", 1 }, { "tr", 1 }, { "li", 1 }, { "dt", 1 },
	{ "dd", 1 }, { "hr", 1 }, { "section", 1 }, { "article", 1 }, { "header", 1 },
	{ "footer", 1 }, { "address", 1 }, { "form", 1 }, { "center", 1 }, { "fieldset", 1 },
	{ "figure", 1 }, { "main", 1 }, { "nav", 1 }, { "aside", 1 }, { "caption", 1 },
	{ "body", 1 }, { "html", 1 },
};

static int
in_list(const char *name, const char *const *list)
{
	for (; *list; list++)
		if (strcmp(name, *list) == 0)
			return 1;
	return 0;
}

static int
block_breaks(const char *name)
{
	size_t i;

	for (i = 0; i < sizeof(blocks) / sizeof(blocks[0]); i++)
		if (strcmp(name, blocks[i].name) == 0)
			return blocks[i].breaks;
	return 0;
}

static void
put(struct html_state *st, const char *s, size_t n)
{
	if (st->err || n == 0)
		return;
	st->err = utf8_append_fit(st->out, s, n);
}

static void
want_break(struct html_state *st, int n)
{
	if (st->out->len == 0)
		return;
	if (n > st->want_nl)
		st->want_nl = n;
	st->space = 0;
}

/* Emit owed line breaks and blank before new text. */
static void
flush_pending(struct html_state *st)
{
	if (st->out->len > 0) {
		while (st->trailing_nl < st->want_nl) {
			put(st, "\n", 1);
			st->trailing_nl++;
		}
	}
	st->want_nl = 0;
	if (st->space && st->trailing_nl == 0 && st->out->len > 0)
		put(st, " ", 1);
	st->space = 0;
}

static void
text(struct html_state *st, const char *s)
{
	size_t i, start;

	if (st->pre) {
		for (i = 0; s[i]; i++) {
			if (s[i] == '\r')
				continue;
			flush_pending(st);
			put(st, s + i, 1);
			st->trailing_nl = s[i] == '\n' ? st->trailing_nl + 1 : 0;
		}
		return;
	}
	i = 0;
	while (s[i]) {
		if (s[i] == ' ' || s[i] == '\t' || s[i] == '\n' || s[i] == '\r' || s[i] == '\f') {
			st->space = 1;
			i++;
			continue;
		}
		if ((unsigned char)s[i] == 0xc2 && (unsigned char)s[i + 1] == 0xa0) {
			/* &nbsp; is meant to show: a plain space that is not collapsed away. */
			flush_pending(st);
			put(st, " ", 1);
			st->trailing_nl = 0;
			i += 2;
			continue;
		}
		start = i;
		while (s[i] && s[i] != ' ' && s[i] != '\t' && s[i] != '\n' && s[i] != '\r' &&
		    s[i] != '\f' && !((unsigned char)s[i] == 0xc2 && (unsigned char)s[i + 1] == 0xa0))
			i++;
		flush_pending(st);
		put(st, s + start, i - start);
		st->trailing_nl = 0;
	}
}

/* Returns nonzero when the children are to be visited. */
static int
enter(struct html_state *st, xmlNode *n)
{
	const char *name;
	char num[32];
	int b;

	if (n->type == XML_TEXT_NODE || n->type == XML_CDATA_SECTION_NODE) {
		if (n->content != NULL)
			text(st, (const char *)n->content);
		return 0;
	}
	if (n->type != XML_ELEMENT_NODE || n->name == NULL)
		return 0;
	name = (const char *)n->name;
	if (in_list(name, skipped))
		return 0;
	if (strcmp(name, "br") == 0) {
		put(st, "\n", 1);
		st->trailing_nl++;
		st->want_nl = 0;
		st->space = 0;
		return 0;
	}
	if ((b = block_breaks(name)) > 0)
		want_break(st, b);
	if (strcmp(name, "pre") == 0)
		st->pre++;
	else if (strcmp(name, "ul") == 0 || strcmp(name, "ol") == 0) {
		if (st->lists < LIST_DEPTH) {
			st->ordered[st->lists] = name[0] == 'o';
			st->counter[st->lists] = 0;
		}
		st->lists++;
	} else if (strcmp(name, "li") == 0) {
		flush_pending(st);
		if (st->lists > 0 && st->lists <= LIST_DEPTH && st->ordered[st->lists - 1]) {
			snprintf(num, sizeof(num), "%d. ", ++st->counter[st->lists - 1]);
			put(st, num, strlen(num));
		} else
			put(st, "- ", 2);
		st->trailing_nl = 0;
	} else if (strcmp(name, "td") == 0 || strcmp(name, "th") == 0)
		st->space = 1;
	return 1;
}

static void
leave(struct html_state *st, xmlNode *n)
{
	const char *name;
	int b;

	if (n->type != XML_ELEMENT_NODE || n->name == NULL)
		return;
	name = (const char *)n->name;
	if (in_list(name, skipped) || strcmp(name, "br") == 0)
		return;
	if (strcmp(name, "pre") == 0 && st->pre > 0)
		st->pre--;
	else if ((strcmp(name, "ul") == 0 || strcmp(name, "ol") == 0) && st->lists > 0)
		st->lists--;
	else if (strcmp(name, "td") == 0 || strcmp(name, "th") == 0)
		st->space = 1;
	if ((b = block_breaks(name)) > 0)
		want_break(st, b);
}

/* Trim blanks at line ends, keep at most one empty line, drop outer blank lines. */
static enum md_err
tidy(const char *s, size_t len, struct buf *out)
{
	size_t i = 0, line, end;
	int blank_run = 0, started = 0;
	enum md_err err;

	while (i < len) {
		line = i;
		while (i < len && s[i] != '\n')
			i++;
		end = i;
		while (end > line && s[end - 1] == ' ')
			end--;
		if (i < len)
			i++;
		if (end == line) {
			blank_run++;
			continue;
		}
		if (started) {
			if ((err = buf_putc(out, '\n')))
				return err;
			if (blank_run > 0 && (err = buf_putc(out, '\n')))
				return err;
		}
		if ((err = utf8_append_fit(out, s + line, end - line)))
			return err;
		started = 1;
		blank_run = 0;
	}
	return MD_OK;
}

void
html_library_init(void)
{
	xmlInitParser();
}

enum md_err
html_to_text(const char *html, size_t len, struct buf *out)
{
	struct html_state st;
	struct buf raw;
	htmlDocPtr doc;
	xmlNode *n;
	enum md_err err;
	size_t mark = out->len;

	if (len > INT_MAX)
		return MD_ERR_LIMIT;
	if (len == 0)
		return MD_OK;
	doc = htmlReadMemory(html, (int)len, NULL, "UTF-8", HTML_PARSE_RECOVER |
	    HTML_PARSE_NOERROR | HTML_PARSE_NOWARNING | HTML_PARSE_NONET |
	    HTML_PARSE_IGNORE_ENC | HTML_PARSE_NOIMPLIED);
	if (doc == NULL)
		return MD_ERR_INPUT;
	memset(&st, 0, sizeof(st));
	buf_init(&raw, out->limit);
	st.out = &raw;
	n = doc->children;
	while (n != NULL && st.err == MD_OK) {
		if (enter(&st, n) && n->children != NULL) {
			n = n->children;
			continue;
		}
		leave(&st, n);
		while (n->next == NULL) {
			n = n->parent;
			if (n == NULL || n->type == XML_HTML_DOCUMENT_NODE ||
			    n->type == XML_DOCUMENT_NODE)
				goto done;
			leave(&st, n);
		}
		n = n->next;
	}
 done:
	xmlFreeDoc(doc);
	err = st.err;
	if (err && err != MD_ERR_LIMIT)
		goto out;
	if (raw.len > 0) {
		enum md_err terr = tidy(raw.data, raw.len, out);

		if (terr)
			err = terr;
	}
	if (err == MD_ERR_LIMIT && out->len > mark) {
		out->len = mark + utf8_cut(out->data + mark, out->len - mark);
		out->data[out->len] = '\0';
	}
 out:
	buf_free(&raw);
	return err;
}
