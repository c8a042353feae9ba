/*
 * Internal layout of a rule set, shared by the parser (rules_parse.c) and the
 * evaluator (rules.c) only; everyone else sees struct ruleset as opaque.
 */
#ifndef MD_RULES_INT_H
#define MD_RULES_INT_H

#ifndef PCRE2_CODE_UNIT_WIDTH
#define PCRE2_CODE_UNIT_WIDTH 8
#endif
#include <pcre2.h>

#include "rules.h"

#define RULES_MAX_FILE_SIZE	(1024 * 1024)
#define RULES_MAX_RULES		10000
#define RULES_MAX_TOKENS	64
#define RULES_MAX_DEPTH		16
#define RULES_MAX_NAME		64
#define RULES_REASON_LIMIT	1024
#define RULES_MATCH_LIMIT	1000000
#define RULES_DEPTH_LIMIT	10000
#define RULES_MAX_SCAN		(256 * 1024)	/* body bytes the rules look at */

enum field {
	FIELD_SUBJECT, FIELD_BODY, FIELD_TEXT, FIELD_FROM, FIELD_DOMAIN,
	FIELD_HEADER, FIELD_ATTACHMENT, FIELD_MEMBER, FIELD_MEMBER_KIND
};

enum op { OP_CONTAINS, OP_IS, OP_STARTS, OP_ENDS, OP_MATCHES };

enum node_kind { NODE_ALL, NODE_ANY, NODE_NOT, NODE_LEAF };

struct pattern {
	char *text;              /* owned, as written */
	size_t len;
	pcre2_code *re;          /* owned; OP_MATCHES only */
};

struct node {
	enum node_kind kind;
	unsigned line;
	struct node **kids;      /* owned; groups only */
	size_t n_kids;
	enum field field;        /* leaves only from here on */
	char *header;            /* owned; FIELD_HEADER only */
	enum op op;
	int match_case;
	struct pattern *pats;    /* owned; any one matching is enough */
	size_t n_pats;
};

struct rule {
	char *name;
	char *file;
	unsigned line;
	struct node *cond;       /* an "all" group holding the top-level conditions */
	enum md_type type;
	enum md_tier tier;
	char **flags;
	size_t n_flags;
	char *assignee;
	char *group;
	char *language;
	int stop;
};

struct ruleset {
	struct rule *rules;
	size_t n_rules;
	size_t cap;
	size_t n_files;
	/*
	 * Shared by every rules_eval(), possibly on several threads at once:
	 * pcre2 only reads a match context. Match data, which pcre2 writes,
	 * is allocated per evaluation.
	 */
	pcre2_match_context *mctx;
	int uses_member;         /* a condition reads the rules_context (rules_use_member()) */
};

/* Release one condition tree; NULL is allowed. */
void rules_node_free(struct node *n);
/* Release what a rule owns and zero it. */
void rules_rule_clear(struct rule *r);

#endif
