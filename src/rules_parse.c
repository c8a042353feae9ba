/*
 * Rule files: a line-oriented language so that an administrator can read and
 * edit it without knowing any programming syntax, and every error can name
 * one line. Parsing builds a tree of conditions per rule; loading a
 * directory is all-or-nothing. See filters/README.md for the language.
 */

#include <dirent.h>
#include <errno.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "buf.h"
#include "rules_int.h"
#include "utf8.h"

/* ---- parsing ---- */

struct parser {
	const char *file;        /* for messages */
	const char *base;        /* stored in hits */
	unsigned line;
	FILE *errors;
	int n_errors;
	enum md_err fatal;       /* NOMEM or LIMIT: stop at once */
	struct ruleset *set;
	struct rule cur;         /* the rule being read; cur.name NULL outside */
	struct node *stack[RULES_MAX_DEPTH + 1];
	size_t depth;            /* stack[0] is cur.cond */
	int rule_errors;         /* n_errors when the current rule began */
};

static void perr(struct parser *, const char *, ...) __attribute__((format(printf, 2, 3)));

static void
perr(struct parser *p, const char *fmt, ...)
{
	va_list ap;

	p->n_errors++;
	if (p->errors == NULL)
		return;
	fprintf(p->errors, "%s:%u: ", p->file, p->line);
	va_start(ap, fmt);
	vfprintf(p->errors, fmt, ap);
	va_end(ap);
	fputc('\n', p->errors);
}

/*
 * Split a line into words in place. Double quotes group words with spaces;
 * inside them \" and \\ are the only escapes, so regular expressions keep
 * their own backslashes. '#' at the start of a word begins a comment.
 * Returns the number of words, or -1 after reporting an error.
 */
static int
tokenize(struct parser *p, char *s, char **tok, size_t *toklen)
{
	int n = 0;
	char *w;

	for (;;) {
		while (*s == ' ' || *s == '\t' || *s == '\r')
			s++;
		if (*s == '\0' || *s == '#')
			return n;
		if (n == RULES_MAX_TOKENS) {
			perr(p, "too many words on one line (at most %d)", RULES_MAX_TOKENS);
			return -1;
		}
		if (*s == '"') {
			w = ++s;
			tok[n] = w;
			while (*s != '"') {
				if (*s == '\0') {
					perr(p, "missing closing quote");
					return -1;
				}
				if (*s == '\\' && (s[1] == '"' || s[1] == '\\'))
					s++;
				*w++ = *s++;
			}
			s++;
			if (*s != '\0' && *s != ' ' && *s != '\t' && *s != '\r') {
				perr(p, "a quoted value must be followed by a space");
				return -1;
			}
		} else {
			tok[n] = s;
			while (*s != '\0' && *s != ' ' && *s != '\t' && *s != '\r')
				s++;
			w = s;
			if (*s != '\0')
				s++;
		}
		toklen[n] = (size_t)(w - tok[n]);
		*w = '\0';
		n++;
	}
}

static int
valid_name(const char *s, size_t len)
{
	size_t i;

	if (len == 0 || len > RULES_MAX_NAME)
		return 0;
	for (i = 0; i < len; i++) {
		if (!((s[i] >= 'a' && s[i] <= 'z') || (s[i] >= 'A' && s[i] <= 'Z') ||
		    (s[i] >= '0' && s[i] <= '9') || s[i] == '-' || s[i] == '_' ||
		    s[i] == '.' || s[i] == ':'))
			return 0;
	}
	return 1;
}

/* Rule text is UTF-8 and, unlike mail, may not hide a NUL inside a token. */
static int
valid_utf8(const char *s, size_t len)
{
	return memchr(s, '\0', len) == NULL && utf8_valid(s, len);
}

static struct node *
node_new(struct parser *p, enum node_kind kind)
{
	struct node *n;

	if ((n = calloc(1, sizeof(*n))) == NULL) {
		p->fatal = MD_ERR_NOMEM;
		return NULL;
	}
	n->kind = kind;
	n->line = p->line;
	return n;
}

/* Attach kid to the innermost open group; frees kid on failure. */
static int
node_attach(struct parser *p, struct node *kid)
{
	struct node *g = p->stack[p->depth];
	struct node **v;

	v = reallocarray(g->kids, g->n_kids + 1, sizeof(*v));
	if (v == NULL) {
		rules_node_free(kid);
		p->fatal = MD_ERR_NOMEM;
		return -1;
	}
	g->kids = v;
	g->kids[g->n_kids++] = kid;
	return 0;
}

static int
parse_field(const char *w, enum field *f)
{
	static const struct { const char *name; enum field f; } fields[] = {
		{ "subject", FIELD_SUBJECT }, { "body", FIELD_BODY },
		{ "text", FIELD_TEXT }, { "from", FIELD_FROM },
		{ "sender", FIELD_FROM }, { "domain", FIELD_DOMAIN },
		{ "header", FIELD_HEADER }, { "attachment", FIELD_ATTACHMENT },
		{ "member", FIELD_MEMBER }, { "member-kind", FIELD_MEMBER_KIND },
	};
	size_t i;

	for (i = 0; i < sizeof(fields) / sizeof(fields[0]); i++) {
		if (strcmp(w, fields[i].name) == 0) {
			*f = fields[i].f;
			return 0;
		}
	}
	return -1;
}

static int
parse_op(const char *w, enum op *op, int *match_case)
{
	static const struct { const char *name; enum op op; } ops[] = {
		{ "contains", OP_CONTAINS }, { "is", OP_IS },
		{ "starts-with", OP_STARTS }, { "ends-with", OP_ENDS },
		{ "matches", OP_MATCHES },
	};
	size_t i, n;

	for (i = 0; i < sizeof(ops) / sizeof(ops[0]); i++) {
		n = strlen(ops[i].name);
		if (strncmp(w, ops[i].name, n) != 0)
			continue;
		if (w[n] == '\0')
			*match_case = 0;
		else if (strcmp(w + n, "-case") == 0)
			*match_case = 1;
		else
			continue;
		*op = ops[i].op;
		return 0;
	}
	return -1;
}

static int
compile_pattern(struct parser *p, struct pattern *pat, int match_case)
{
	PCRE2_UCHAR msg[256];
	PCRE2_SIZE off;
	uint32_t opts = PCRE2_UTF | PCRE2_UCP;
	int code;

#ifdef PCRE2_MATCH_INVALID_UTF
	opts |= PCRE2_MATCH_INVALID_UTF;
#endif
	if (!match_case)
		opts |= PCRE2_CASELESS;
	pat->re = pcre2_compile((PCRE2_SPTR)pat->text, pat->len, opts, &code, &off, NULL);
	if (pat->re == NULL) {
		pcre2_get_error_message(code, msg, sizeof(msg));
		perr(p, "bad regular expression \"%s\" at offset %zu: %s", pat->text,
		    (size_t)off, (char *)msg);
		return -1;
	}
	/* Several times faster on long bodies; the interpreter remains the fallback. */
	(void)pcre2_jit_compile(pat->re, PCRE2_JIT_COMPLETE);
	return 0;
}

/* A condition line: FIELD [HEADER-NAME] OPERATOR VALUE... */
static void
parse_condition(struct parser *p, char **tok, size_t *toklen, int n)
{
	struct node *leaf;
	int i = 1, k;

	if ((leaf = node_new(p, NODE_LEAF)) == NULL)
		return;
	if (parse_field(tok[0], &leaf->field) == -1) {
		perr(p, "unknown word \"%s\" (expected a condition, an action, "
		    "\"all\", \"any\", \"not\" or \"end\")", tok[0]);
		goto bad;
	}
	if (leaf->field == FIELD_MEMBER || leaf->field == FIELD_MEMBER_KIND) {
		if (n != 2) {
			perr(p, "\"%s\" takes exactly one value", tok[0]);
			goto bad;
		}
		if ((leaf->field == FIELD_MEMBER && strcmp(tok[1], "yes") != 0 &&
		    strcmp(tok[1], "no") != 0) ||
		    (leaf->field == FIELD_MEMBER_KIND && strcmp(tok[1], "unit") != 0 &&
		    strcmp(tok[1], "individual") != 0 && strcmp(tok[1], "none") != 0)) {
			perr(p, "\"%s\" cannot be \"%s\" (member: yes or no; "
			    "member-kind: unit, individual or none)", tok[0], tok[1]);
			goto bad;
		}
		leaf->op = OP_IS;
		i = 1;
		goto values;
	}
	if (leaf->field == FIELD_HEADER) {
		if (n < 2 || !valid_name(tok[1], toklen[1])) {
			perr(p, "\"header\" must be followed by a header name");
			goto bad;
		}
		if ((leaf->header = strdup(tok[1])) == NULL) {
			p->fatal = MD_ERR_NOMEM;
			goto bad;
		}
		i = 2;
	}
	if (i >= n || parse_op(tok[i], &leaf->op, &leaf->match_case) == -1) {
		perr(p, "expected contains, is, starts-with, ends-with or matches "
		    "after \"%s\"", tok[i - 1]);
		goto bad;
	}
	i++;
	if (i >= n) {
		perr(p, "no value to compare with");
		goto bad;
	}
 values:
	if ((leaf->pats = calloc((size_t)(n - i), sizeof(*leaf->pats))) == NULL) {
		p->fatal = MD_ERR_NOMEM;
		goto bad;
	}
	for (k = i; k < n; k++) {
		struct pattern *pat = &leaf->pats[leaf->n_pats];

		if (toklen[k] == 0) {
			perr(p, "empty value");
			goto bad;
		}
		if (!valid_utf8(tok[k], toklen[k])) {
			perr(p, "value is not valid UTF-8");
			goto bad;
		}
		if ((pat->text = strdup(tok[k])) == NULL) {
			p->fatal = MD_ERR_NOMEM;
			goto bad;
		}
		pat->len = toklen[k];
		leaf->n_pats++;
		if (leaf->op == OP_MATCHES && compile_pattern(p, pat, leaf->match_case) == -1)
			goto bad;
	}
	/*
	 * Noted once here rather than found per message: a set whose rules
	 * never ask about the sender can be evaluated before the member
	 * lookup (rules_use_member()). A rule dropped for an error fails the
	 * whole load, so the flag never outlives its rule.
	 */
	if (leaf->field == FIELD_MEMBER || leaf->field == FIELD_MEMBER_KIND)
		p->set->uses_member = 1;
	node_attach(p, leaf);
	return;
 bad:
	rules_node_free(leaf);
}

static int
rule_name_taken(struct parser *p, const char *name)
{
	size_t i;

	for (i = 0; i < p->set->n_rules; i++)
		if (strcmp(p->set->rules[i].name, name) == 0)
			return 1;
	return 0;
}

static int
add_string(struct parser *p, char ***v, size_t *n, const char *s)
{
	char **nv;
	size_t i;

	for (i = 0; i < *n; i++)
		if (strcmp((*v)[i], s) == 0)
			return 0;
	if ((nv = reallocarray(*v, *n + 1, sizeof(*nv))) == NULL) {
		p->fatal = MD_ERR_NOMEM;
		return -1;
	}
	*v = nv;
	if ((nv[*n] = strdup(s)) == NULL) {
		p->fatal = MD_ERR_NOMEM;
		return -1;
	}
	(*n)++;
	return 0;
}

static void
set_once(struct parser *p, char **dst, const char *what, const char *value)
{
	if (*dst != NULL) {
		perr(p, "\"%s\" given twice in one rule", what);
		return;
	}
	if ((*dst = strdup(value)) == NULL)
		p->fatal = MD_ERR_NOMEM;
}

/* Returns 1 when the line was an action, 0 when it is something else. */
static int
parse_action(struct parser *p, char **tok, size_t *toklen, int n)
{
	struct rule *r = &p->cur;
	int i;

	if (strcmp(tok[0], "type") != 0 && strcmp(tok[0], "tier") != 0 &&
	    strcmp(tok[0], "flag") != 0 && strcmp(tok[0], "assign") != 0 &&
	    strcmp(tok[0], "group") != 0 && strcmp(tok[0], "language") != 0 &&
	    strcmp(tok[0], "stop") != 0)
		return 0;
	if (p->depth > 0) {
		perr(p, "\"%s\" is an action; close the \"all\"/\"any\"/\"not\" "
		    "group with \"end\" first", tok[0]);
		return 1;
	}
	if (strcmp(tok[0], "stop") == 0) {
		if (n != 1)
			perr(p, "\"stop\" takes no value");
		r->stop = 1;
		return 1;
	}
	if (n < 2) {
		perr(p, "\"%s\" needs a value", tok[0]);
		return 1;
	}
	if (strcmp(tok[0], "flag") == 0) {
		for (i = 1; i < n; i++) {
			if (!valid_name(tok[i], toklen[i])) {
				perr(p, "bad flag name \"%s\" (letters, digits, - _ . :)", tok[i]);
				return 1;
			}
			if (add_string(p, &r->flags, &r->n_flags, tok[i]) == -1)
				return 1;
		}
		return 1;
	}
	if (n != 2) {
		perr(p, "\"%s\" takes exactly one value", tok[0]);
		return 1;
	}
	if (strcmp(tok[0], "type") == 0) {
		if (r->type != MD_TYPE_NONE)
			perr(p, "\"type\" given twice in one rule");
		else if (md_type_parse(tok[1], &r->type) != MD_OK)
			perr(p, "unknown type \"%s\" (policy, rights, difficulty, "
			    "suggestion or other)", tok[1]);
	} else if (strcmp(tok[0], "tier") == 0) {
		if (r->tier != MD_TIER_NONE)
			perr(p, "\"tier\" given twice in one rule");
		else if (md_tier_parse(tok[1], &r->tier) != MD_OK)
			perr(p, "unknown tier \"%s\" (simple, general or major)", tok[1]);
	} else if (strcmp(tok[0], "language") == 0) {
		if (strcmp(tok[1], "zh") != 0 && strcmp(tok[1], "en") != 0)
			perr(p, "unknown language \"%s\" (zh or en)", tok[1]);
		else
			set_once(p, &r->language, "language", tok[1]);
	} else if (!valid_utf8(tok[1], toklen[1]) || toklen[1] > 254) {
		perr(p, "bad %s \"%s\"", tok[0], tok[1]);
	} else if (strcmp(tok[0], "assign") == 0) {
		set_once(p, &r->assignee, "assign", tok[1]);
	} else {
		set_once(p, &r->group, "group", tok[1]);
	}
	return 1;
}

static void
begin_rule(struct parser *p, char **tok, size_t *toklen, int n)
{
	if (n != 2 || !valid_name(tok[1], toklen[1])) {
		perr(p, "\"rule\" must be followed by one name made of letters, "
		    "digits, - _ . : (at most %d)", RULES_MAX_NAME);
		return;
	}
	if (p->cur.name != NULL) {
		perr(p, "rule \"%s\" starts before \"end\" of rule \"%s\"", tok[1],
		    p->cur.name);
		return;
	}
	if (rule_name_taken(p, tok[1]))
		perr(p, "a rule called \"%s\" exists already", tok[1]);
	memset(&p->cur, 0, sizeof(p->cur));
	p->cur.type = MD_TYPE_NONE;
	p->cur.line = p->line;
	if ((p->cur.name = strdup(tok[1])) == NULL ||
	    (p->cur.file = strdup(p->base)) == NULL ||
	    (p->cur.cond = node_new(p, NODE_ALL)) == NULL) {
		p->fatal = MD_ERR_NOMEM;
		return;
	}
	p->stack[0] = p->cur.cond;
	p->depth = 0;
	p->rule_errors = p->n_errors;
}

static void
end_rule(struct parser *p)
{
	struct ruleset *set = p->set;
	struct rule *v;

	if (p->n_errors > p->rule_errors) {
		/* Already reported; "no action" after a bad action only adds noise. */
	} else if (p->cur.cond->n_kids == 0) {
		perr(p, "rule \"%s\" has no condition", p->cur.name);
	} else if (p->cur.type == MD_TYPE_NONE && p->cur.tier == MD_TIER_NONE &&
	    p->cur.n_flags == 0 && p->cur.assignee == NULL && p->cur.group == NULL &&
	    p->cur.language == NULL && !p->cur.stop) {
		perr(p, "rule \"%s\" has no action", p->cur.name);
	} else if (set->n_rules >= RULES_MAX_RULES) {
		perr(p, "more than %d rules", RULES_MAX_RULES);
		p->fatal = MD_ERR_LIMIT;
	} else {
		if (set->n_rules == set->cap) {
			v = reallocarray(set->rules, set->cap ? set->cap * 2 : 16, sizeof(*v));
			if (v == NULL) {
				p->fatal = MD_ERR_NOMEM;
				rules_rule_clear(&p->cur);
				return;
			}
			set->rules = v;
			set->cap = set->cap ? set->cap * 2 : 16;
		}
		set->rules[set->n_rules++] = p->cur;
		memset(&p->cur, 0, sizeof(p->cur));
		return;
	}
	rules_rule_clear(&p->cur);
}

static void
parse_line(struct parser *p, char *line)
{
	char *tok[RULES_MAX_TOKENS];
	size_t toklen[RULES_MAX_TOKENS];
	struct node *g;
	enum node_kind kind;
	int n;

	if ((n = tokenize(p, line, tok, toklen)) <= 0)
		return;
	if (strcmp(tok[0], "rule") == 0) {
		begin_rule(p, tok, toklen, n);
		return;
	}
	if (p->cur.name == NULL) {
		perr(p, "\"%s\" outside a rule (a rule starts with \"rule NAME\")", tok[0]);
		return;
	}
	if (strcmp(tok[0], "end") == 0) {
		if (n != 1)
			perr(p, "\"end\" takes no value");
		if (p->depth == 0) {
			end_rule(p);
			return;
		}
		g = p->stack[p->depth];
		if (g->n_kids == 0)
			perr(p, "empty group (opened on line %u)", g->line);
		p->depth--;
		return;
	}
	if (strcmp(tok[0], "all") == 0 || strcmp(tok[0], "any") == 0 ||
	    strcmp(tok[0], "not") == 0) {
		if (n != 1) {
			perr(p, "\"%s\" stands alone on its line; put its conditions on "
			    "the following lines and close it with \"end\"", tok[0]);
			return;
		}
		if (p->depth == RULES_MAX_DEPTH) {
			perr(p, "groups nested more than %d deep", RULES_MAX_DEPTH);
			return;
		}
		kind = tok[0][1] == 'l' ? NODE_ALL : tok[0][1] == 'n' ? NODE_ANY : NODE_NOT;
		if ((g = node_new(p, kind)) == NULL || node_attach(p, g) == -1)
			return;
		p->stack[++p->depth] = g;
		return;
	}
	if (parse_action(p, tok, toklen, n))
		return;
	parse_condition(p, tok, toklen, n);
}

static const char *
base_name(const char *path)
{
	const char *s = strrchr(path, '/');

	return s ? s + 1 : path;
}

/* Parse one file's text into p->set. Returns the number of errors or -1 when fatal. */
static int
parse_text(struct parser *p, const char *text, size_t len)
{
	struct buf line;
	size_t i = 0, j;
	int before = p->n_errors;

	buf_init(&line, RULES_MAX_FILE_SIZE);
	p->line = 0;
	p->base = base_name(p->file);
	while (i < len && !p->fatal) {
		for (j = i; j < len && text[j] != '\n'; j++)
			;
		p->line++;
		buf_reset(&line);
		if (buf_append(&line, text + i, j - i) != MD_OK) {
			p->fatal = MD_ERR_NOMEM;
			break;
		}
		if (memchr(text + i, '\0', j - i) != NULL)
			perr(p, "NUL byte in rule file");
		else if (line.data != NULL)
			parse_line(p, line.data);
		i = j + 1;
	}
	buf_free(&line);
	if (!p->fatal && p->cur.name != NULL) {
		p->line = p->cur.line;
		if (p->depth > 0)
			p->line = p->stack[p->depth]->line;
		perr(p, "%s not closed with \"end\"", p->depth > 0 ? "group" : "rule");
	}
	rules_rule_clear(&p->cur);
	p->depth = 0;
	if (p->fatal)
		return -1;
	p->set->n_files++;
	return p->n_errors - before;
}

static struct ruleset *
ruleset_new(void)
{
	struct ruleset *set;

	if ((set = calloc(1, sizeof(*set))) == NULL)
		return NULL;
	if ((set->mctx = pcre2_match_context_create(NULL)) == NULL) {
		free(set);
		return NULL;
	}
	pcre2_set_match_limit(set->mctx, RULES_MATCH_LIMIT);
	pcre2_set_depth_limit(set->mctx, RULES_DEPTH_LIMIT);
	return set;
}

enum md_err
rules_load_buffer(const char *name, const char *text, size_t len, FILE *errors,
    struct ruleset **out)
{
	struct parser p;

	*out = NULL;
	if (len > RULES_MAX_FILE_SIZE) {
		if (errors)
			fprintf(errors, "%s:0: file larger than %d bytes\n", name,
			    RULES_MAX_FILE_SIZE);
		return MD_ERR_LIMIT;
	}
	memset(&p, 0, sizeof(p));
	p.file = name;
	p.errors = errors;
	if ((p.set = ruleset_new()) == NULL)
		return MD_ERR_NOMEM;
	if (parse_text(&p, text, len) != 0) {
		rules_free(p.set);
		return p.fatal ? p.fatal : MD_ERR_INPUT;
	}
	*out = p.set;
	return MD_OK;
}

static int
name_cmp(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

static enum md_err
read_file(const char *path, FILE *errors, struct buf *b)
{
	char chunk[8192];
	FILE *fp;
	size_t n;
	enum md_err r = MD_OK;

	if ((fp = fopen(path, "r")) == NULL) {
		if (errors)
			fprintf(errors, "%s:0: %s\n", path, strerror(errno));
		return MD_ERR_IO;
	}
	while ((n = fread(chunk, 1, sizeof(chunk), fp)) > 0) {
		if ((r = buf_append(b, chunk, n)) != MD_OK) {
			if (errors && r == MD_ERR_LIMIT)
				fprintf(errors, "%s:0: file larger than %d bytes\n", path,
				    RULES_MAX_FILE_SIZE);
			break;
		}
	}
	if (r == MD_OK && ferror(fp)) {
		if (errors)
			fprintf(errors, "%s:0: read error\n", path);
		r = MD_ERR_IO;
	}
	fclose(fp);
	return r;
}

/* The sorted list of "*.rules" names in dir. */
static enum md_err
list_rule_files(const char *dir, FILE *errors, char ***names, size_t *n)
{
	DIR *d;
	struct dirent *de;
	char **v = NULL, **nv;
	size_t len, cnt = 0;
	enum md_err r = MD_OK;

	if ((d = opendir(dir)) == NULL) {
		if (errors)
			fprintf(errors, "%s:0: %s\n", dir, strerror(errno));
		return MD_ERR_IO;
	}
	while ((de = readdir(d)) != NULL) {
		len = strlen(de->d_name);
		if (de->d_name[0] == '.' || len < 7 || strcmp(de->d_name + len - 6, ".rules") != 0)
			continue;
		if ((nv = reallocarray(v, cnt + 1, sizeof(*v))) == NULL) {
			r = MD_ERR_NOMEM;
			break;
		}
		v = nv;
		if ((v[cnt] = strdup(de->d_name)) == NULL) {
			r = MD_ERR_NOMEM;
			break;
		}
		cnt++;
	}
	closedir(d);
	if (r != MD_OK) {
		while (cnt > 0)
			free(v[--cnt]);
		free(v);
		return r;
	}
	if (cnt > 1)
		qsort(v, cnt, sizeof(*v), name_cmp);
	*names = v;
	*n = cnt;
	return MD_OK;
}

enum md_err
rules_load_dir(const char *dir, FILE *errors, struct ruleset **out)
{
	struct parser p;
	struct buf path, text;
	char **names = NULL;
	size_t n = 0, i;
	enum md_err r, result = MD_OK;
	int bad = 0;

	*out = NULL;
	if ((r = list_rule_files(dir, errors, &names, &n)) != MD_OK)
		return r;
	memset(&p, 0, sizeof(p));
	p.errors = errors;
	buf_init(&path, 4096);
	buf_init(&text, RULES_MAX_FILE_SIZE);
	if ((p.set = ruleset_new()) == NULL) {
		result = MD_ERR_NOMEM;
		goto out;
	}
	for (i = 0; i < n; i++) {
		buf_reset(&path);
		buf_reset(&text);
		if ((r = buf_printf(&path, "%s/%s", dir, names[i])) != MD_OK) {
			result = r;
			goto out;
		}
		if ((r = read_file(path.data, errors, &text)) != MD_OK) {
			if (result == MD_OK || result == MD_ERR_INPUT)
				result = r;
			continue;
		}
		p.file = path.data;
		if (parse_text(&p, text.data ? text.data : "", text.len) != 0) {
			bad = 1;
			if (p.fatal) {
				result = p.fatal;
				goto out;
			}
		}
	}
	if (bad && result == MD_OK)
		result = MD_ERR_INPUT;
 out:
	for (i = 0; i < n; i++)
		free(names[i]);
	free(names);
	buf_free(&path);
	buf_free(&text);
	if (result != MD_OK) {
		rules_free(p.set);
		return result;
	}
	*out = p.set;
	return MD_OK;
}
