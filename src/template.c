#include <dirent.h>
#include <errno.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>

#include "buf.h"
#include "errbuf.h"
#include "template.h"
#include "utf8.h"

#define MAX_SECTION_DEPTH	8
#define MAX_VAR_NAME		32
#define MAX_LANG		16

enum node_kind { NODE_TEXT, NODE_VAR, NODE_OPEN, NODE_OPEN_INV, NODE_CLOSE };

struct node {
	enum node_kind kind;
	size_t off;          /* into template.text */
	size_t len;
	int line;
};

struct nodelist {
	struct node *v;      /* owned */
	size_t n;
	size_t cap;
};

struct template {
	char *name;          /* owned */
	char lang[MAX_LANG];
	char *text;          /* owned: the file with CR removed */
	struct nodelist subject;
	struct nodelist body;
};

/*
 * The variables every template may use, then those of each template. Kept
 * here rather than in the files so that a misspelt placeholder is an error
 * at load time; templates/README.md documents the same lists.
 */
static const char *const common_vars[] = {
	"chamber_name", "chamber_address", "case_number", "case_tag", "subject",
	"requester_name", "requester_unit", "staff_name", "submitted_at", NULL
};

struct template_def {
	const char *name;
	const char *const vars[16];
};

static const struct template_def template_defs[] = {
	{ "ack", { "review_due", "requester_phone", "type", NULL } },
	{ "accepted", { "accepted_at", "tier", "tier_days", "due_date", "type", NULL } },
	{ "rejected", { "ground", "explanation", "channels", "decided_at", NULL } },
	{ "progress", { "text", "due_date", "tier", NULL } },
	{ "extended", { "reason", "due_date", "old_due_date", NULL } },
	{ "result", { "result", "method", "completed_at", "feedback_due", NULL } },
	{ "rehandling", { "reason", "due_date", NULL } },
	{ "closed", { "closed_at", "reason", "satisfaction", NULL } },
	{ "reply", { "text", NULL } },
	{ "staff_new_case", { "requester_address", "requester_phone", "member_status",
	    "review_due", "type", "flags", "summary", "command_help", NULL } },
	{ "staff_reminder", { "state", "deadline", "due_date", "time_left", "tier",
	    "assignee", NULL } },
	{ "staff_escalation", { "state", "deadline", "due_date", "overdue", "tier",
	    "assignee", NULL } },
	{ "staff_digest", { "date", "items", "overdue_count", "due_count", "soon_count",
	    "new_count", "open_count", NULL } },
	{ "command_transcript", { "text", "command_help", NULL } },
	{ "bounce_alert", { "recipient", "notice", "reason", "text", NULL } },
	{ "staff_alert", { "alert", "text", NULL } },
	{ "oversize_notice", { "size", "max_size", NULL } },
	{ "reopened", { "reason", "due_date", NULL } },
	{ "merged", { "joint_number", "due_date", "tier", NULL } },
	{ "tier_changed", { "tier", "old_tier", "tier_days", "due_date", "old_due_date",
	    "leadership", NULL } },
	{ "staff_major_case", { "accepted_at", "tier", "tier_days", "due_date", "type",
	    "assignee", "summary", NULL } },
};

#define N_TEMPLATES (sizeof(template_defs) / sizeof(template_defs[0]))

static const struct template_def *
find_def(const char *name)
{
	size_t i;

	for (i = 0; i < N_TEMPLATES; i++)
		if (strcmp(template_defs[i].name, name) == 0)
			return &template_defs[i];
	return NULL;
}

int
template_is_known(const char *name)
{
	return name != NULL && find_def(name) != NULL;
}

const char *const *
template_known_names(void)
{
	static const char *names[N_TEMPLATES + 1];
	size_t i;

	for (i = 0; i < N_TEMPLATES; i++)
		names[i] = template_defs[i].name;
	names[N_TEMPLATES] = NULL;
	return names;
}

static int
var_in_list(const char *const *list, const char *var, size_t len)
{
	size_t i;

	for (i = 0; list[i] != NULL; i++)
		if (strlen(list[i]) == len && memcmp(list[i], var, len) == 0)
			return 1;
	return 0;
}

static int
has_var_n(const struct template_def *def, const char *var, size_t len)
{
	return var_in_list(common_vars, var, len) || var_in_list(def->vars, var, len);
}

int
template_has_var(const char *name, const char *var)
{
	const struct template_def *def;

	if (name == NULL || var == NULL || (def = find_def(name)) == NULL)
		return 0;
	return has_var_n(def, var, strlen(var));
}

static enum md_err
nodes_add(struct nodelist *l, enum node_kind kind, size_t off, size_t len, int line)
{
	struct node *n;
	size_t ncap;

	if (l->n == l->cap) {
		ncap = l->cap ? l->cap * 2 : 16;
		n = reallocarray(l->v, ncap, sizeof(*n));
		if (n == NULL)
			return MD_ERR_NOMEM;
		l->v = n;
		l->cap = ncap;
	}
	l->v[l->n].kind = kind;
	l->v[l->n].off = off;
	l->v[l->n].len = len;
	l->v[l->n].line = line;
	l->n++;
	return MD_OK;
}

/*
 * Split text[start, end) into literal text and placeholders. *line is the
 * line number of start and is advanced past every newline.
 */
static enum md_err
tokenize(struct template *t, const struct template_def *def, struct nodelist *l,
    size_t start, size_t end, int *line, const char *filename, char *errbuf,
    size_t errlen)
{
	const char *s = t->text;
	size_t stack_off[MAX_SECTION_DEPTH], stack_len[MAX_SECTION_DEPTH];
	int stack_line[MAX_SECTION_DEPTH];
	size_t depth = 0, i = start, lit = start, j, nstart, nlen;
	enum node_kind kind;
	enum md_err err;

	while (i < end) {
		if (s[i] == '\n') {
			(*line)++;
			i++;
			continue;
		}
		if (s[i] != '{' || i + 1 >= end || s[i + 1] != '{') {
			i++;
			continue;
		}
		if (i > lit && (err = nodes_add(l, NODE_TEXT, lit, i - lit, *line)))
			return err;
		j = i + 2;
		kind = NODE_VAR;
		if (j < end && (s[j] == '#' || s[j] == '^' || s[j] == '/')) {
			kind = s[j] == '#' ? NODE_OPEN : s[j] == '^' ? NODE_OPEN_INV : NODE_CLOSE;
			j++;
		}
		while (j < end && s[j] == ' ')
			j++;
		nstart = j;
		while (j < end && j - nstart <= MAX_VAR_NAME &&
		    ((s[j] >= 'a' && s[j] <= 'z') || (s[j] >= '0' && s[j] <= '9') || s[j] == '_'))
			j++;
		nlen = j - nstart;
		while (j < end && s[j] == ' ')
			j++;
		if (nlen == 0 || nlen > MAX_VAR_NAME || j + 1 >= end || s[j] != '}' ||
		    s[j + 1] != '}') {
			seterr(errbuf, errlen, "%s:%d: malformed placeholder: expected {{name}}, "
			    "{{#name}}, {{^name}} or {{/name}} with a lower-case name", filename, *line);
			return MD_ERR_INPUT;
		}
		if (!has_var_n(def, s + nstart, nlen)) {
			seterr(errbuf, errlen, "%s:%d: unknown placeholder {{%.*s}} in template %s "
			    "(see templates/README.md)", filename, *line, (int)nlen, s + nstart,
			    def->name);
			return MD_ERR_INPUT;
		}
		if (kind == NODE_OPEN || kind == NODE_OPEN_INV) {
			if (depth == MAX_SECTION_DEPTH) {
				seterr(errbuf, errlen, "%s:%d: sections nested deeper than %d",
				    filename, *line, MAX_SECTION_DEPTH);
				return MD_ERR_INPUT;
			}
			stack_off[depth] = nstart;
			stack_len[depth] = nlen;
			stack_line[depth] = *line;
			depth++;
		} else if (kind == NODE_CLOSE) {
			if (depth == 0 || stack_len[depth - 1] != nlen ||
			    memcmp(s + stack_off[depth - 1], s + nstart, nlen) != 0) {
				seterr(errbuf, errlen, "%s:%d: {{/%.*s}} does not close the open section",
				    filename, *line, (int)nlen, s + nstart);
				return MD_ERR_INPUT;
			}
			depth--;
		}
		if ((err = nodes_add(l, kind, nstart, nlen, *line)))
			return err;
		i = lit = j + 2;
	}
	if (depth > 0) {
		seterr(errbuf, errlen, "%s:%d: section {{#%.*s}} is never closed", filename,
		    stack_line[depth - 1], (int)stack_len[depth - 1], s + stack_off[depth - 1]);
		return MD_ERR_INPUT;
	}
	if (end > lit)
		return nodes_add(l, NODE_TEXT, lit, end - lit, *line);
	return MD_OK;
}

void
template_free(struct template *t)
{
	if (t == NULL)
		return;
	free(t->name);
	free(t->text);
	free(t->subject.v);
	free(t->body.v);
	free(t);
}

/* Copy text without CR before LF, refusing NUL, lone CR and invalid UTF-8. */
static enum md_err
copy_checked(const char *text, size_t len, char **out, const char *filename,
    char *errbuf, size_t errlen)
{
	const unsigned char *s = (const unsigned char *)text;
	size_t i = 0, o = 0, n;
	uint32_t cp;
	int line = 1;
	char *d;

	if ((d = malloc(len + 1)) == NULL)
		return MD_ERR_NOMEM;
	while (i < len) {
		if (s[i] == '\r' && i + 1 < len && s[i + 1] == '\n') {
			i++;
			continue;
		}
		if (s[i] == '\0' || s[i] == '\r') {
			seterr(errbuf, errlen, "%s:%d: %s in template", filename, line,
			    s[i] ? "lone carriage return" : "NUL byte");
			free(d);
			return MD_ERR_INPUT;
		}
		if ((n = utf8_decode(s + i, len - i, &cp)) == 0) {
			seterr(errbuf, errlen, "%s:%d: invalid UTF-8", filename, line);
			free(d);
			return MD_ERR_INPUT;
		}
		if (cp == '\n')
			line++;
		memcpy(d + o, s + i, n);
		o += n;
		i += n;
	}
	d[o] = '\0';
	*out = d;
	return MD_OK;
}

enum md_err
template_parse(const char *name, const char *filename, const char *text, size_t len,
    char *errbuf, size_t errlen, struct template **out)
{
	const struct template_def *def;
	struct template *t = NULL;
	enum md_err err;
	size_t tlen, subj_start, subj_end, body_start;
	char *nl;
	int line;

	*out = NULL;
	if (name == NULL || (def = find_def(name)) == NULL) {
		seterr(errbuf, errlen, "%s:1: unknown template '%s'", filename,
		    name ? name : "(null)");
		return MD_ERR_NOTFOUND;
	}
	if (len > TEMPLATE_MAX_FILE) {
		seterr(errbuf, errlen, "%s:1: template larger than %d bytes", filename,
		    TEMPLATE_MAX_FILE);
		return MD_ERR_LIMIT;
	}
	if ((t = calloc(1, sizeof(*t))) == NULL)
		return MD_ERR_NOMEM;
	if ((t->name = strdup(name)) == NULL) {
		err = MD_ERR_NOMEM;
		goto fail;
	}
	if ((err = copy_checked(text, len, &t->text, filename, errbuf, errlen)))
		goto fail;
	tlen = strlen(t->text);
	if (strncasecmp(t->text, "Subject:", 8) != 0) {
		seterr(errbuf, errlen, "%s:1: the first line must be \"Subject: ...\"", filename);
		err = MD_ERR_INPUT;
		goto fail;
	}
	subj_start = 8;
	while (t->text[subj_start] == ' ' || t->text[subj_start] == '\t')
		subj_start++;
	nl = strchr(t->text + subj_start, '\n');
	subj_end = nl ? (size_t)(nl - t->text) : tlen;
	if (nl == NULL || (nl[1] != '\n' && nl[1] != '\0')) {
		seterr(errbuf, errlen, "%s:2: a blank line must follow the Subject line",
		    filename);
		err = MD_ERR_INPUT;
		goto fail;
	}
	body_start = nl[1] == '\0' ? tlen : subj_end + 2;
	line = 1;
	err = tokenize(t, def, &t->subject, subj_start, subj_end, &line, filename, errbuf,
	    errlen);
	if (err)
		goto fail;
	line = 3;
	err = tokenize(t, def, &t->body, body_start, tlen, &line, filename, errbuf, errlen);
	if (err)
		goto fail;
	*out = t;
	return MD_OK;
fail:
	template_free(t);
	return err;
}

static int
lang_valid(const char *lang)
{
	size_t i, n = strlen(lang);

	if (n == 0 || n >= MAX_LANG || lang[0] == '-')
		return 0;
	for (i = 0; i < n; i++)
		if (!((lang[i] >= 'a' && lang[i] <= 'z') || (lang[i] >= 'A' && lang[i] <= 'Z') ||
		    (lang[i] >= '0' && lang[i] <= '9') || lang[i] == '-' || lang[i] == '_'))
			return 0;
	return 1;
}

/* Read a whole file into *out (NUL-terminated). MD_ERR_NOTFOUND for ENOENT. */
static enum md_err
read_file(const char *path, char **out, size_t *outlen, char *errbuf, size_t errlen)
{
	struct buf b;
	char chunk[4096];
	size_t n;
	FILE *fp;
	enum md_err err = MD_OK;

	if ((fp = fopen(path, "rb")) == NULL) {
		if (errno == ENOENT)
			return MD_ERR_NOTFOUND;
		seterr(errbuf, errlen, "%s: %s", path, strerror(errno));
		return MD_ERR_IO;
	}
	buf_init(&b, TEMPLATE_MAX_FILE);
	while ((n = fread(chunk, 1, sizeof(chunk), fp)) > 0) {
		if ((err = buf_append(&b, chunk, n))) {
			if (err == MD_ERR_LIMIT)
				seterr(errbuf, errlen, "%s:1: template larger than %d bytes", path,
				    TEMPLATE_MAX_FILE);
			goto out;
		}
	}
	if (ferror(fp)) {
		seterr(errbuf, errlen, "%s: read error", path);
		err = MD_ERR_IO;
		goto out;
	}
	*outlen = b.len;
	if ((*out = buf_steal(&b)) == NULL)
		err = MD_ERR_NOMEM;
out:
	buf_free(&b);
	fclose(fp);
	return err;
}

static enum md_err
load_one(const char *dir, const char *lang, const char *name, char *errbuf, size_t errlen,
    struct template **out)
{
	struct buf path;
	char *text = NULL;
	size_t len = 0;
	enum md_err err;

	buf_init(&path, 4096);
	if ((err = buf_printf(&path, "%s/%s/%s.txt", dir, lang, name)))
		goto out;
	if ((err = read_file(path.data, &text, &len, errbuf, errlen)))
		goto out;
	if ((err = template_parse(name, path.data, text, len, errbuf, errlen, out)))
		goto out;
	snprintf((*out)->lang, sizeof((*out)->lang), "%s", lang);
out:
	free(text);
	buf_free(&path);
	return err;
}

enum md_err
template_load(const char *dir, const char *lang, const char *name, char *errbuf,
    size_t errlen, struct template **out)
{
	enum md_err err;

	*out = NULL;
	if (lang == NULL || !lang_valid(lang)) {
		seterr(errbuf, errlen, "invalid template language '%s'", lang ? lang : "(null)");
		return MD_ERR_INPUT;
	}
	if (name == NULL || !template_is_known(name)) {
		seterr(errbuf, errlen, "%s/%s/%s.txt:1: unknown template '%s'", dir, lang,
		    name ? name : "(null)", name ? name : "(null)");
		return MD_ERR_NOTFOUND;
	}
	err = load_one(dir, lang, name, errbuf, errlen, out);
	if (err == MD_ERR_NOTFOUND && strcmp(lang, TEMPLATE_DEFAULT_LANG) != 0)
		err = load_one(dir, TEMPLATE_DEFAULT_LANG, name, errbuf, errlen, out);
	if (err == MD_ERR_NOTFOUND)
		seterr(errbuf, errlen, "%s/%s/%s.txt: template not found", dir,
		    TEMPLATE_DEFAULT_LANG, name);
	return err;
}

const char *
template_lang(const struct template *t)
{
	return t->lang;
}

const char *
template_name(const struct template *t)
{
	return t->name;
}

static const char *
lookup(const struct template_var *vars, size_t nvars, const char *name, size_t len)
{
	size_t i;

	for (i = 0; i < nvars; i++)
		if (strlen(vars[i].name) == len && memcmp(vars[i].name, name, len) == 0)
			return vars[i].value ? vars[i].value : "";
	return "";
}

/*
 * Append a value as plain text. In the subject every control character
 * becomes a space (a header must stay one line) and the value is cut at
 * TEMPLATE_MAX_SUBJECT_VALUE bytes; in the body only LF and TAB survive.
 */
static enum md_err
put_value(struct buf *b, const char *value, int in_subject)
{
	static const char repl[] = "\xef\xbf\xbd";
	const unsigned char *s = (const unsigned char *)value;
	size_t i = 0, n, len = strlen(value), used = 0;
	uint32_t cp;
	enum md_err err;

	while (i < len) {
		n = utf8_decode(s + i, len - i, &cp);
		if (in_subject && used + (n ? n : 3) > TEMPLATE_MAX_SUBJECT_VALUE)
			return buf_puts(b, "\xe2\x80\xa6");
		if (n == 0) {
			err = buf_append(b, repl, 3);
			used += 3;
			i++;
		} else if (cp < 0x20 || cp == 0x7f || (cp >= 0x80 && cp <= 0x9f)) {
			err = MD_OK;
			if (in_subject)
				err = buf_putc(b, ' ');
			else if (cp == '\n' || cp == '\t')
				err = buf_putc(b, (char)cp);
			else if (cp == '\r' && !(i + 1 < len && s[i + 1] == '\n'))
				err = buf_putc(b, '\n');
			used++;
			i += n;
		} else {
			err = buf_append(b, s + i, n);
			used += n;
			i += n;
		}
		if (err)
			return err;
	}
	return MD_OK;
}

static enum md_err
expand_list(const struct template *t, const struct nodelist *l,
    const struct template_var *vars, size_t nvars, struct buf *out, int in_subject)
{
	const struct node *nd;
	const char *v;
	size_t i, skip = 0, depth = 0;
	enum md_err err = MD_OK;

	for (i = 0; i < l->n; i++) {
		nd = &l->v[i];
		switch (nd->kind) {
		case NODE_OPEN:
		case NODE_OPEN_INV:
			depth++;
			if (skip == 0) {
				v = lookup(vars, nvars, t->text + nd->off, nd->len);
				if ((*v == '\0') == (nd->kind == NODE_OPEN))
					skip = depth;
			}
			break;
		case NODE_CLOSE:
			if (skip == depth)
				skip = 0;
			depth--;
			break;
		case NODE_TEXT:
			if (skip == 0)
				err = buf_append(out, t->text + nd->off, nd->len);
			break;
		case NODE_VAR:
			if (skip == 0)
				err = put_value(out, lookup(vars, nvars, t->text + nd->off, nd->len),
				    in_subject);
			break;
		}
		if (err)
			return err;
	}
	return MD_OK;
}

enum md_err
template_expand(const struct template *t, const struct template_var *vars, size_t nvars,
    char **subject, char **body, char *errbuf, size_t errlen)
{
	struct buf s, b;
	enum md_err err;
	size_t i;

	*subject = *body = NULL;
	for (i = 0; i < nvars; i++) {
		if (vars[i].name == NULL || !template_has_var(t->name, vars[i].name)) {
			seterr(errbuf, errlen, "template %s has no variable '%s'", t->name,
			    vars[i].name ? vars[i].name : "(null)");
			return MD_ERR_INPUT;
		}
	}
	buf_init(&s, TEMPLATE_MAX_SUBJECT);
	buf_init(&b, TEMPLATE_MAX_BODY);
	if ((err = expand_list(t, &t->subject, vars, nvars, &s, 1)) ||
	    (err = expand_list(t, &t->body, vars, nvars, &b, 0))) {
		if (err == MD_ERR_LIMIT)
			seterr(errbuf, errlen, "template %s: rendered notice too large", t->name);
		goto out;
	}
	if ((*subject = buf_steal(&s)) == NULL || (*body = buf_steal(&b)) == NULL) {
		free(*subject);
		*subject = NULL;
		err = MD_ERR_NOMEM;
	}
out:
	buf_free(&s);
	buf_free(&b);
	return err;
}

enum md_err
template_render(const char *dir, const char *lang, const char *name,
    const struct template_var *vars, size_t nvars, char **subject, char **body,
    char *used_lang, size_t usedlen, char *errbuf, size_t errlen)
{
	struct template *t;
	enum md_err err;

	*subject = *body = NULL;
	if ((err = template_load(dir, lang, name, errbuf, errlen, &t)))
		return err;
	err = template_expand(t, vars, nvars, subject, body, errbuf, errlen);
	if (err == MD_OK && used_lang != NULL && usedlen > 0)
		snprintf(used_lang, usedlen, "%s", t->lang);
	template_free(t);
	return err;
}

struct cache_entry {
	char lang[MAX_LANG];           /* as asked for, not as found */
	const struct template_def *def;
	struct template *t;            /* owned */
};

struct template_cache {
	char *dir;                     /* owned; NULL while empty */
	struct cache_entry *v;         /* owned */
	size_t n;
	size_t cap;
};

enum md_err
template_cache_new(struct template_cache **out)
{
	*out = calloc(1, sizeof(**out));
	return *out ? MD_OK : MD_ERR_NOMEM;
}

void
template_cache_clear(struct template_cache *c)
{
	size_t i;

	if (c == NULL)
		return;
	for (i = 0; i < c->n; i++)
		template_free(c->v[i].t);
	c->n = 0;
	free(c->dir);
	c->dir = NULL;
}

size_t
template_cache_size(const struct template_cache *c)
{
	return c ? c->n : 0;
}

void
template_cache_free(struct template_cache *c)
{
	if (c == NULL)
		return;
	template_cache_clear(c);
	free(c->v);
	free(c);
}

/* Keep t (owned from now on) under lang; on failure t is freed. */
static enum md_err
cache_add(struct template_cache *c, const char *lang, const struct template_def *def,
    struct template *t)
{
	struct cache_entry *v;
	size_t cap;

	if (c->n == c->cap) {
		cap = c->cap ? c->cap * 2 : 16;
		v = realloc(c->v, cap * sizeof(*v));
		if (v == NULL) {
			template_free(t);
			return MD_ERR_NOMEM;
		}
		c->v = v;
		c->cap = cap;
	}
	snprintf(c->v[c->n].lang, sizeof(c->v[c->n].lang), "%s", lang);
	c->v[c->n].def = def;
	c->v[c->n].t = t;
	c->n++;
	return MD_OK;
}

enum md_err
template_cache_get(struct template_cache *c, const char *dir, const char *lang,
    const char *name, char *errbuf, size_t errlen, const struct template **out)
{
	const struct template_def *def;
	struct template *t = NULL;
	enum md_err err;
	size_t i;

	*out = NULL;
	def = name ? find_def(name) : NULL;
	if (def && lang && c->dir && strcmp(c->dir, dir) == 0) {
		/* Names resolve to the static definitions: a pointer compare suffices. */
		for (i = 0; i < c->n; i++) {
			if (c->v[i].def == def && strcmp(c->v[i].lang, lang) == 0) {
				*out = c->v[i].t;
				return MD_OK;
			}
		}
	}
	/* Unknown names and bad languages fail here with template_load()'s messages. */
	err = template_load(dir, lang, name, errbuf, errlen, &t);
	if (err)
		return err;
	if (c->dir == NULL || strcmp(c->dir, dir) != 0) {
		template_cache_clear(c);
		if ((c->dir = strdup(dir)) == NULL) {
			template_free(t);
			return MD_ERR_NOMEM;
		}
	}
	err = cache_add(c, lang, def, t);
	if (err == MD_OK)
		*out = t;
	return err;
}

static void
report(FILE *errors, const char *msg)
{
	if (errors)
		fprintf(errors, "%s\n", msg);
}

static enum md_err
check_lang_dir(const char *dir, const char *lang, FILE *errors)
{
	struct template *t;
	struct dirent *de;
	char errbuf[1024], stem[256];
	enum md_err result = MD_OK, err;
	struct buf path;
	size_t n;
	DIR *d;

	buf_init(&path, 4096);
	if (buf_printf(&path, "%s/%s", dir, lang) || (d = opendir(path.data)) == NULL) {
		snprintf(errbuf, sizeof(errbuf), "%s/%s: cannot read directory", dir, lang);
		report(errors, errbuf);
		buf_free(&path);
		return MD_ERR_INPUT;
	}
	while ((de = readdir(d)) != NULL) {
		n = strlen(de->d_name);
		if (n < 5 || n - 4 >= sizeof(stem) || strcmp(de->d_name + n - 4, ".txt") != 0)
			continue;
		memcpy(stem, de->d_name, n - 4);
		stem[n - 4] = '\0';
		if (!template_is_known(stem)) {
			snprintf(errbuf, sizeof(errbuf), "%s/%s/%s:1: unknown template '%s'",
			    dir, lang, de->d_name, stem);
			report(errors, errbuf);
			result = MD_ERR_INPUT;
			continue;
		}
		errbuf[0] = '\0';
		if ((err = load_one(dir, lang, stem, errbuf, sizeof(errbuf), &t)) == MD_OK) {
			template_free(t);
			continue;
		}
		report(errors, errbuf[0] ? errbuf : md_strerror(err));
		result = MD_ERR_INPUT;
	}
	closedir(d);
	buf_free(&path);
	return result;
}

enum md_err
template_check_dir(const char *dir, FILE *errors)
{
	const char *const *names = template_known_names();
	enum md_err result = MD_OK;
	struct dirent *de;
	char msg[1024];
	struct buf path;
	struct stat st;
	size_t i;
	DIR *d;

	if ((d = opendir(dir)) == NULL) {
		snprintf(msg, sizeof(msg), "%s: cannot read template directory: %s", dir,
		    strerror(errno));
		report(errors, msg);
		return MD_ERR_IO;
	}
	buf_init(&path, 4096);
	while ((de = readdir(d)) != NULL) {
		if (de->d_name[0] == '.' || !lang_valid(de->d_name))
			continue;
		buf_reset(&path);
		if (buf_printf(&path, "%s/%s", dir, de->d_name) || stat(path.data, &st) == -1 ||
		    !S_ISDIR(st.st_mode))
			continue;
		if (check_lang_dir(dir, de->d_name, errors))
			result = MD_ERR_INPUT;
	}
	closedir(d);
	for (i = 0; names[i] != NULL; i++) {
		buf_reset(&path);
		if (buf_printf(&path, "%s/%s/%s.txt", dir, TEMPLATE_DEFAULT_LANG, names[i]))
			continue;
		if (stat(path.data, &st) == -1) {
			snprintf(msg, sizeof(msg), "%s: missing (every template must exist in '%s')",
			    path.data, TEMPLATE_DEFAULT_LANG);
			report(errors, msg);
			result = MD_ERR_INPUT;
		}
	}
	buf_free(&path);
	return result;
}
