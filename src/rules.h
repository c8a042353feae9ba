/*
 * Classification rules: an administrator's ordered list of "when these
 * conditions hold, set these things" read from the *.rules files of filters/ (the format
 * is documented in filters/README.md). Rules only propose: staff confirm or
 * correct every type, tier and flag, so nothing here rejects a request.
 *
 * A rule set is immutable once loaded, so the daemon can keep the old one in
 * force until a reload has parsed completely (loading is all-or-nothing).
 */
#ifndef MD_RULES_H
#define MD_RULES_H

#include <stddef.h>
#include <stdio.h>

#include "error.h"
#include "message.h"

/* Request types of article 7, in the order the chamber lists them. */
enum md_type {
	MD_TYPE_NONE = -1,        /* not decided (yet) */
	MD_TYPE_POLICY = 0,       /* 政策咨询 */
	MD_TYPE_RIGHTS,           /* 权益保障 */
	MD_TYPE_DIFFICULTY,       /* 发展困难 */
	MD_TYPE_SUGGESTION,       /* 意见建议 */
	MD_TYPE_OTHER,            /* 其他 */
	MD_TYPE_COUNT
};

/* Tiers of article 11; ordered so that a larger value is the heavier tier. */
enum md_tier {
	MD_TIER_NONE = 0,
	MD_TIER_SIMPLE,
	MD_TIER_GENERAL,
	MD_TIER_MAJOR
};

/* "policy", "rights", ...; NULL for MD_TYPE_NONE or an out-of-range value. */
const char *md_type_name(enum md_type type);
/* Chinese label (政策咨询, ...); NULL like md_type_name(). */
const char *md_type_label_zh(enum md_type type);
/*
 * Parse an English name (as md_type_name) or a Chinese label, with or
 * without the 类 suffix. MD_ERR_INPUT when unknown; *out untouched then.
 */
enum md_err md_type_parse(const char *s, enum md_type *out);
/* "simple", "general", "major"; NULL for MD_TIER_NONE. */
const char *md_tier_name(enum md_tier tier);
/* Parse "simple"/"general"/"major" or 简单/一般/重大; MD_ERR_INPUT otherwise. */
enum md_err md_tier_parse(const char *s, enum md_tier *out);

/* What the caller knows about the sender beyond the message itself. */
struct rules_context {
	int is_member;            /* nonzero: the sender is on the member list */
	const char *member_kind;  /* borrowed: "unit", "individual" or NULL (unknown) */
};

/* One rule that fired. */
struct rules_hit {
	char *name;      /* owned: the rule's name */
	char *file;      /* owned: base name of the file that defines it */
	unsigned line;   /* line of the "rule" keyword */
	char *reason;    /* owned: the conditions that matched, as written in the rule */
};

/* The combined effect of every rule that fired, in evaluation order. */
struct rules_outcome {
	enum md_type type;        /* set by the first firing rule with "type"; else NONE */
	size_t type_hit;          /* index in hits of that rule when type != NONE */
	enum md_tier tier;        /* heaviest tier any firing rule proposed; else NONE */
	char **flags;             /* owned array of owned names, each once, first-set order */
	size_t n_flags;
	char *assignee;           /* owned or NULL: first firing rule with "assign" */
	char *group;              /* owned or NULL: first firing rule with "group" */
	char *language;           /* owned or NULL: first firing rule with "language" */
	struct rules_hit *hits;   /* owned array */
	size_t n_hits;
	int stopped;              /* nonzero when a rule with "stop" ended the evaluation */
};

struct ruleset;

/*
 * Load every "*.rules" file of dir, in byte order of the file names, and the
 * rules of each file in order of appearance. All-or-nothing: on any error
 * every problem found is written to errors (NULL: discarded) as
 * "path:line: message" lines, nothing is returned and the caller keeps
 * whatever rule set it had. MD_ERR_INPUT for syntax or semantic errors,
 * MD_ERR_IO when dir or a file cannot be read, MD_ERR_LIMIT for a file over
 * 1 MiB or more than 10000 rules, MD_ERR_NOMEM. A directory without rule
 * files loads as an empty set.
 */
enum md_err rules_load_dir(const char *dir, FILE *errors, struct ruleset **out);

/*
 * Parse one rule file held in memory (len bytes, NUL not needed); name is
 * used in error messages and hits. Same errors as rules_load_dir().
 */
enum md_err rules_load_buffer(const char *name, const char *text, size_t len,
    FILE *errors, struct ruleset **out);

/* Number of rules and of files that contributed to a set. */
size_t rules_count(const struct ruleset *set);
size_t rules_file_count(const struct ruleset *set);

/*
 * Nonzero when some rule's condition reads the rules_context ("member" or
 * "member-kind", at any depth): rules_eval() then depends on the sender's
 * member record, not on the message alone. Settled when the set is loaded.
 */
int rules_use_member(const struct ruleset *set);

/*
 * Evaluate the rules against msg (ctx may be NULL: not a member, kind
 * unknown) and fill *out, which the caller releases with
 * rules_outcome_free() whatever the result. MD_OK or MD_ERR_NOMEM. A regular
 * expression that runs into its backtracking limit counts as not matching.
 * Only the first 256 KiB of the body are examined. set is only read, so
 * several threads may evaluate one set at once (not while it is freed).
 */
enum md_err rules_eval(const struct ruleset *set, const struct message *msg,
    const struct rules_context *ctx, struct rules_outcome *out);

/*
 * Make *dst a deep copy of src (dst's previous contents are not freed).
 * MD_OK or MD_ERR_NOMEM; on failure *dst is empty (as rules_outcome_free()
 * leaves it) and owns nothing.
 */
enum md_err rules_outcome_copy(struct rules_outcome *dst, const struct rules_outcome *src);
/* Add flag to the outcome unless present. MD_OK or MD_ERR_NOMEM. */
enum md_err rules_outcome_add_flag(struct rules_outcome *out, const char *flag);
/* Nonzero when the outcome carries flag. */
int rules_outcome_has_flag(const struct rules_outcome *out, const char *flag);
/* Release what an outcome owns and reset it to empty; safe to call twice. */
void rules_outcome_free(struct rules_outcome *out);

/* Free a set; NULL is allowed. */
void rules_free(struct ruleset *set);

#endif
