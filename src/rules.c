/*
 * Rule evaluation: walk the rules in order, test each condition tree against
 * the message, and merge the actions of every rule that fired.
 */
#include <stdarg.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "buf.h"
#include "rules_int.h"

static const char *const type_names[MD_TYPE_COUNT] = {
	"policy", "rights", "difficulty", "suggestion", "other"
};
static const char *const type_labels[MD_TYPE_COUNT] = {
	"政策咨询", "权益保障", "发展困难", "意见建议", "其他"
};
static const char *const tier_names[] = { NULL, "simple", "general", "major" };
static const char *const tier_labels[] = { NULL, "简单", "一般", "重大" };

const char *
md_type_name(enum md_type type)
{
	if (type < 0 || type >= MD_TYPE_COUNT)
		return NULL;
	return type_names[type];
}

const char *
md_type_label_zh(enum md_type type)
{
	if (type < 0 || type >= MD_TYPE_COUNT)
		return NULL;
	return type_labels[type];
}

enum md_err
md_type_parse(const char *s, enum md_type *out)
{
	size_t i, n;

	for (i = 0; i < MD_TYPE_COUNT; i++) {
		n = strlen(type_labels[i]);
		if (strcasecmp(s, type_names[i]) == 0 || strcmp(s, type_labels[i]) == 0 ||
		    (strncmp(s, type_labels[i], n) == 0 && strcmp(s + n, "类") == 0)) {
			*out = (enum md_type)i;
			return MD_OK;
		}
	}
	if (strcmp(s, "其他合理诉求") == 0) {
		*out = MD_TYPE_OTHER;
		return MD_OK;
	}
	return MD_ERR_INPUT;
}

const char *
md_tier_name(enum md_tier tier)
{
	if (tier <= MD_TIER_NONE || tier > MD_TIER_MAJOR)
		return NULL;
	return tier_names[tier];
}

enum md_err
md_tier_parse(const char *s, enum md_tier *out)
{
	int i;

	for (i = MD_TIER_SIMPLE; i <= MD_TIER_MAJOR; i++) {
		if (strcasecmp(s, tier_names[i]) == 0 || strcmp(s, tier_labels[i]) == 0) {
			*out = (enum md_tier)i;
			return MD_OK;
		}
	}
	if (strcmp(s, "重大复杂") == 0) {
		*out = MD_TIER_MAJOR;
		return MD_OK;
	}
	return MD_ERR_INPUT;
}

/* ---- freeing ---- */

void
rules_node_free(struct node *n)
{
	size_t i;

	if (n == NULL)
		return;
	for (i = 0; i < n->n_kids; i++)
		rules_node_free(n->kids[i]);
	free(n->kids);
	for (i = 0; i < n->n_pats; i++) {
		free(n->pats[i].text);
		pcre2_code_free(n->pats[i].re);
	}
	free(n->pats);
	free(n->header);
	free(n);
}

void
rules_rule_clear(struct rule *r)
{
	size_t i;

	free(r->name);
	free(r->file);
	rules_node_free(r->cond);
	for (i = 0; i < r->n_flags; i++)
		free(r->flags[i]);
	free(r->flags);
	free(r->assignee);
	free(r->group);
	free(r->language);
	memset(r, 0, sizeof(*r));
}

void
rules_free(struct ruleset *set)
{
	size_t i;

	if (set == NULL)
		return;
	for (i = 0; i < set->n_rules; i++)
		rules_rule_clear(&set->rules[i]);
	free(set->rules);
	pcre2_match_context_free(set->mctx);
	free(set);
}

size_t
rules_count(const struct ruleset *set)
{
	return set->n_rules;
}

size_t
rules_file_count(const struct ruleset *set)
{
	return set->n_files;
}

int
rules_use_member(const struct ruleset *set)
{
	return set->uses_member;
}

/* ---- evaluation ---- */

struct eval {
	const struct ruleset *set;
	const struct message *msg;
	const struct rules_context *ctx;
	pcre2_match_data *md;
	struct buf reason;
	enum md_err err;
};

static const char *const field_names[] = {
	"subject", "body", "text", "from", "domain", "header", "attachment",
	"member", "member-kind"
};
static const char *const op_names[] = {
	"contains", "is", "starts-with", "ends-with", "matches"
};

static int
lower(int c)
{
	return c >= 'A' && c <= 'Z' ? c + ('a' - 'A') : c;
}

/* Byte comparison that folds ASCII letters only: Chinese has no case. */
static int
same(const char *a, const char *b, size_t n, int match_case)
{
	size_t i;

	if (match_case)
		return memcmp(a, b, n) == 0;
	for (i = 0; i < n; i++)
		if (lower((unsigned char)a[i]) != lower((unsigned char)b[i]))
			return 0;
	return 1;
}

static int
has_letter(const char *s, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		if ((s[i] >= 'a' && s[i] <= 'z') || (s[i] >= 'A' && s[i] <= 'Z'))
			return 1;
	return 0;
}

static int
find(const char *h, size_t hl, const char *n, size_t nl, int match_case)
{
	size_t i;
	int first;

	if (nl > hl)
		return 0;
	/* Without ASCII letters folding changes nothing: use the fast search. */
	if (match_case || !has_letter(n, nl))
		return memmem(h, hl, n, nl) != NULL;
	first = lower((unsigned char)n[0]);
	for (i = 0; i + nl <= hl; i++)
		if (lower((unsigned char)h[i]) == first && same(h + i, n, nl, 0))
			return 1;
	return 0;
}

static int
pattern_matches(struct eval *ev, const struct node *leaf, const struct pattern *pat,
    const char *s, size_t len)
{
	int rc;

	switch (leaf->op) {
	case OP_CONTAINS:
		return find(s, len, pat->text, pat->len, leaf->match_case);
	case OP_IS:
		return len == pat->len && same(s, pat->text, len, leaf->match_case);
	case OP_STARTS:
		return len >= pat->len && same(s, pat->text, pat->len, leaf->match_case);
	case OP_ENDS:
		return len >= pat->len &&
		    same(s + len - pat->len, pat->text, pat->len, leaf->match_case);
	case OP_MATCHES:
		rc = pcre2_match(pat->re, (PCRE2_SPTR)s, len, 0, 0, ev->md, ev->set->mctx);
		if (rc == PCRE2_ERROR_NOMEMORY)
			ev->err = MD_ERR_NOMEM;
		return rc >= 0;
	}
	return 0;
}

static void
note(struct eval *ev, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static void
note(struct eval *ev, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	if (buf_vprintf(&ev->reason, fmt, ap) == MD_ERR_NOMEM)
		ev->err = MD_ERR_NOMEM;
	va_end(ap);
}

/* Test one candidate string against every value of a leaf. */
static int
leaf_test(struct eval *ev, const struct node *leaf, const char *s, size_t len)
{
	size_t i;

	if (s == NULL)
		return 0;
	for (i = 0; i < leaf->n_pats; i++) {
		if (pattern_matches(ev, leaf, &leaf->pats[i], s, len)) {
			if (leaf->field == FIELD_HEADER)
				note(ev, "header %s ", leaf->header);
			else
				note(ev, "%s ", field_names[leaf->field]);
			note(ev, "%s%s \"%s\"", op_names[leaf->op],
			    leaf->match_case ? "-case" : "", leaf->pats[i].text);
			return 1;
		}
	}
	return 0;
}

static int
str_test(struct eval *ev, const struct node *leaf, const char *s)
{
	return s != NULL && leaf_test(ev, leaf, s, strlen(s));
}

/*
 * Only the start of a huge body is examined, so that a hostile message
 * cannot make every rule scan megabytes; cut at a character boundary so
 * that regular expressions see valid UTF-8.
 */
static size_t
body_len(const struct message *m)
{
	size_t n = m->text_len;

	if (n <= RULES_MAX_SCAN)
		return n;
	n = RULES_MAX_SCAN;
	while (n > 0 && ((unsigned char)m->text[n] & 0xc0) == 0x80)
		n--;
	return n;
}

static int
leaf_eval(struct eval *ev, const struct node *leaf)
{
	const struct message *m = ev->msg;
	const char *s, *kind;
	size_t i;

	switch (leaf->field) {
	case FIELD_SUBJECT:
		return str_test(ev, leaf, m->subject);
	case FIELD_BODY:
		return m->text != NULL && leaf_test(ev, leaf, m->text, body_len(m));
	case FIELD_TEXT:
		return str_test(ev, leaf, m->subject) ||
		    (m->text != NULL && leaf_test(ev, leaf, m->text, body_len(m)));
	case FIELD_FROM:
		return str_test(ev, leaf, m->from_addr);
	case FIELD_DOMAIN:
		if (m->from_addr == NULL || (s = strrchr(m->from_addr, '@')) == NULL)
			return 0;
		return str_test(ev, leaf, s + 1);
	case FIELD_HEADER:
		for (i = 0; i < m->n_headers; i++)
			if (m->headers[i].name != NULL &&
			    strcasecmp(m->headers[i].name, leaf->header) == 0 &&
			    str_test(ev, leaf, m->headers[i].value))
				return 1;
		return 0;
	case FIELD_ATTACHMENT:
		for (i = 0; i < m->n_attachments; i++)
			if (str_test(ev, leaf, m->attachments[i].filename))
				return 1;
		return 0;
	case FIELD_MEMBER:
		return str_test(ev, leaf, ev->ctx && ev->ctx->is_member ? "yes" : "no");
	case FIELD_MEMBER_KIND:
		kind = ev->ctx && ev->ctx->member_kind ? ev->ctx->member_kind : "none";
		return str_test(ev, leaf, kind);
	}
	return 0;
}

static int
node_eval(struct eval *ev, const struct node *n)
{
	size_t i, mark = ev->reason.len;
	int hit;

	switch (n->kind) {
	case NODE_LEAF:
		return leaf_eval(ev, n);
	case NODE_ALL:
		for (i = 0; i < n->n_kids; i++) {
			if (i > 0)
				note(ev, " and ");
			if (!node_eval(ev, n->kids[i]))
				goto fail;
		}
		return 1;
	case NODE_ANY:
		for (i = 0; i < n->n_kids; i++)
			if (node_eval(ev, n->kids[i]))
				return 1;
		return 0;
	case NODE_NOT:
		for (i = 0; i < n->n_kids; i++) {
			hit = node_eval(ev, n->kids[i]);
			if (hit)
				goto fail;
		}
		note(ev, "none of the \"not\" group on line %u", n->line);
		return 1;
	}
 fail:
	/* Only the conditions of a rule that fired belong in its reason. */
	if (ev->reason.data != NULL) {
		ev->reason.len = mark;
		ev->reason.data[mark] = '\0';
	}
	return 0;
}

static enum md_err
add_hit(struct rules_outcome *out, const struct rule *r, const char *reason)
{
	struct rules_hit *v, *h;

	if ((v = reallocarray(out->hits, out->n_hits + 1, sizeof(*v))) == NULL)
		return MD_ERR_NOMEM;
	out->hits = v;
	h = &out->hits[out->n_hits];
	memset(h, 0, sizeof(*h));
	h->line = r->line;
	if ((h->name = strdup(r->name)) == NULL || (h->file = strdup(r->file)) == NULL ||
	    (h->reason = strdup(reason)) == NULL) {
		free(h->name);
		free(h->file);
		return MD_ERR_NOMEM;
	}
	out->n_hits++;
	return MD_OK;
}

static enum md_err
first_wins(char **dst, const char *value)
{
	if (*dst != NULL || value == NULL)
		return MD_OK;
	if ((*dst = strdup(value)) == NULL)
		return MD_ERR_NOMEM;
	return MD_OK;
}

static enum md_err
apply(struct rules_outcome *out, const struct rule *r)
{
	enum md_err e;
	size_t i;

	if (out->type == MD_TYPE_NONE && r->type != MD_TYPE_NONE) {
		out->type = r->type;
		out->type_hit = out->n_hits - 1;
	}
	if (r->tier > out->tier)
		out->tier = r->tier;
	for (i = 0; i < r->n_flags; i++)
		if ((e = rules_outcome_add_flag(out, r->flags[i])) != MD_OK)
			return e;
	if ((e = first_wins(&out->assignee, r->assignee)) != MD_OK ||
	    (e = first_wins(&out->group, r->group)) != MD_OK ||
	    (e = first_wins(&out->language, r->language)) != MD_OK)
		return e;
	return MD_OK;
}

enum md_err
rules_eval(const struct ruleset *set, const struct message *msg,
    const struct rules_context *ctx, struct rules_outcome *out)
{
	struct eval ev;
	const struct rule *r;
	size_t i;
	enum md_err result = MD_OK;

	memset(out, 0, sizeof(*out));
	out->type = MD_TYPE_NONE;
	memset(&ev, 0, sizeof(ev));
	ev.set = set;
	ev.msg = msg;
	ev.ctx = ctx;
	buf_init(&ev.reason, RULES_REASON_LIMIT);
	if ((ev.md = pcre2_match_data_create(1, NULL)) == NULL)
		return MD_ERR_NOMEM;
	for (i = 0; i < set->n_rules; i++) {
		r = &set->rules[i];
		buf_reset(&ev.reason);
		if (!node_eval(&ev, r->cond))
			continue;
		if (ev.err != MD_OK) {
			result = ev.err;
			goto out;
		}
		if ((result = add_hit(out, r, ev.reason.data ? ev.reason.data : "")) != MD_OK)
			goto out;
		if ((result = apply(out, r)) != MD_OK)
			goto out;
		if (r->stop) {
			out->stopped = 1;
			break;
		}
	}
	if (ev.err != MD_OK)
		result = ev.err;
 out:
	pcre2_match_data_free(ev.md);
	buf_free(&ev.reason);
	return result;
}

enum md_err
rules_outcome_add_flag(struct rules_outcome *out, const char *flag)
{
	char **v;

	if (rules_outcome_has_flag(out, flag))
		return MD_OK;
	if ((v = reallocarray(out->flags, out->n_flags + 1, sizeof(*v))) == NULL)
		return MD_ERR_NOMEM;
	out->flags = v;
	if ((v[out->n_flags] = strdup(flag)) == NULL)
		return MD_ERR_NOMEM;
	out->n_flags++;
	return MD_OK;
}

enum md_err
rules_outcome_copy(struct rules_outcome *dst, const struct rules_outcome *src)
{
	struct rules_hit *h;
	size_t i;

	memset(dst, 0, sizeof(*dst));
	dst->type = src->type;
	dst->type_hit = src->type_hit;
	dst->tier = src->tier;
	dst->stopped = src->stopped;
	if (src->n_flags > 0 &&
	    (dst->flags = calloc(src->n_flags, sizeof(*dst->flags))) == NULL)
		goto fail;
	for (i = 0; i < src->n_flags; i++, dst->n_flags++)
		if ((dst->flags[i] = strdup(src->flags[i])) == NULL)
			goto fail;
	if (src->n_hits > 0 && (dst->hits = calloc(src->n_hits, sizeof(*dst->hits))) == NULL)
		goto fail;
	/* Every string starts NULL here, so first_wins() is a plain copy. */
	for (i = 0; i < src->n_hits; i++) {
		h = &dst->hits[i];
		/* Counted first: a half-copied hit is freed with the rest. */
		dst->n_hits++;
		h->line = src->hits[i].line;
		if (first_wins(&h->name, src->hits[i].name) != MD_OK ||
		    first_wins(&h->file, src->hits[i].file) != MD_OK ||
		    first_wins(&h->reason, src->hits[i].reason) != MD_OK)
			goto fail;
	}
	if (first_wins(&dst->assignee, src->assignee) != MD_OK ||
	    first_wins(&dst->group, src->group) != MD_OK ||
	    first_wins(&dst->language, src->language) != MD_OK)
		goto fail;
	return MD_OK;
 fail:
	rules_outcome_free(dst);
	return MD_ERR_NOMEM;
}

int
rules_outcome_has_flag(const struct rules_outcome *out, const char *flag)
{
	size_t i;

	for (i = 0; i < out->n_flags; i++)
		if (strcmp(out->flags[i], flag) == 0)
			return 1;
	return 0;
}

void
rules_outcome_free(struct rules_outcome *out)
{
	size_t i;

	for (i = 0; i < out->n_flags; i++)
		free(out->flags[i]);
	free(out->flags);
	for (i = 0; i < out->n_hits; i++) {
		free(out->hits[i].name);
		free(out->hits[i].file);
		free(out->hits[i].reason);
	}
	free(out->hits);
	free(out->assignee);
	free(out->group);
	free(out->language);
	memset(out, 0, sizeof(*out));
	out->type = MD_TYPE_NONE;
}
