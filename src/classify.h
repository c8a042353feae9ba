/*
 * The classification of one new request: the administrator's rules first,
 * then, when no rule decided the type, the naive Bayes model. The result is
 * a proposal for staff, never a decision: low confidence yields type
 * "other" with the flag "low-confidence" so that staff look at it.
 *
 * Possible duplicates: the caller passes the subjects of the same member's
 * earlier requests (with their times); a request whose subject is similar
 * to one inside the window gets the flag "possible-duplicate". Similarity
 * is the Dice coefficient of the sets of character bigrams of the two
 * normalised subjects (reply/forward prefixes such as Re:, 回复:, 转发: and
 * bracketed tags such as [MD-2026-0001] or 【紧急】 removed, ASCII lower-cased,
 * only letters, digits and CJK characters kept): 2|A∩B| / (|A|+|B|), from 0
 * (nothing shared) to 1 (same bigrams).
 */
#ifndef MD_CLASSIFY_H
#define MD_CLASSIFY_H

#include <stddef.h>
#include <time.h>

#include <jansson.h>

#include "bayes.h"
#include "config.h"
#include "error.h"
#include "message.h"
#include "rules.h"

#define CLASSIFY_FLAG_LOW_CONFIDENCE	"low-confidence"
#define CLASSIFY_FLAG_DUPLICATE		"possible-duplicate"

struct classify_options {
	double min_confidence;        /* below this the model's type is not used (0.45) */
	double duplicate_similarity;  /* Dice score at or above which subjects are alike (0.6) */
	long duplicate_window;        /* seconds back from the request's time (30 days) */
};

/* An earlier request by the same member. */
struct classify_recent {
	const char *subject;          /* borrowed, UTF-8 */
	time_t when;                  /* when it was received */
};

/*
 * The parts of a classification that depend on the message alone, worked
 * out ahead by classify_precompute() (the daemon does it on its fetch
 * thread, away from the database thread) and handed to classify() in
 * struct classify_input. The member lookup and the earlier requests need
 * the database, so the rules stay undone when they ask about the sender,
 * and the duplicate check is always classify()'s.
 */
struct classify_precomputed {
	int rules_done;               /* nonzero: rules is rules_eval()'s outcome (empty: no rules) */
	struct rules_outcome rules;   /* owned; empty unless rules_done */
	int scores_done;              /* nonzero: have_scores and scores are the model's */
	int have_scores;
	struct bayes_scores scores;
};

struct classify_input {
	const struct message *msg;            /* borrowed */
	/*
	 * Borrowed; NULL: everything is computed in classify(). Otherwise made
	 * by classify_precompute() for msg with the same rules and model that
	 * classify() is given: the result is then the same as without it.
	 */
	const struct classify_precomputed *pre;
	int is_member;                        /* sender found on the member list */
	const char *member_kind;              /* borrowed: "unit", "individual" or NULL */
	const struct classify_recent *recent; /* borrowed array, any order; may be NULL */
	size_t n_recent;
	time_t now;                           /* reference for the window; 0: msg->date,
					         or time(NULL) when that is 0 too */
};

struct classify_result {
	enum md_type type;            /* never MD_TYPE_NONE */
	enum md_tier tier_hint;       /* MD_TIER_NONE: no proposal (JSON null) */
	double confidence;            /* 1 when a rule set the type, else the model's */
	int type_from_rules;          /* nonzero: a rule decided the type */
	int have_scores;              /* nonzero: scores holds the model's opinion */
	struct bayes_scores scores;
	struct rules_outcome rules;   /* owned: flags (including the two above), rules
				         that fired, assignee, group, language */
	char *duplicate_of;           /* owned: the similar earlier subject, or NULL */
	double duplicate_score;       /* its Dice score; 0 when none */
};

void classify_options_default(struct classify_options *opt);

/*
 * Classify in->msg. rules and model may each be NULL (no rules / no model);
 * opt NULL means the defaults. On MD_OK *out is a new result for
 * classify_result_free(); on failure (MD_ERR_NOMEM) *out is NULL.
 */
enum md_err classify(const struct ruleset *rules, const struct bayes *model,
    const struct classify_options *opt, const struct classify_input *in,
    struct classify_result **out);

void classify_result_free(struct classify_result *res);

/*
 * Work out for msg what classify(rules, model, ...) would compute from the
 * message alone: the model's scores, and the rules' outcome unless the
 * rules read the member context (rules_use_member()). rules and model may
 * each be NULL, as for classify(); both are only read, so this may run on
 * another thread than classify() with the same rules and model. On MD_OK
 * *out is filled, for classify_precomputed_free(); on failure
 * (MD_ERR_NOMEM) *out is empty and owns nothing.
 */
enum md_err classify_precompute(const struct ruleset *rules, const struct bayes *model,
    const struct message *msg, struct classify_precomputed *out);

/* Release what pre owns and empty it; harmless on a zeroed struct. */
void classify_precomputed_free(struct classify_precomputed *pre);

/*
 * The result as the "classification" object of `memberdesk inspect --json`:
 * exactly {"type", "tier_hint" (string or null), "flags" (array of strings),
 * "rules" (names of the rules that fired, in order), "confidence" (number)}.
 * NULL when memory runs out.
 */
json_t *classify_result_json(const struct classify_result *res);

/* Dice similarity of two subjects as described above, in [0, 1]. */
double classify_subject_similarity(const char *a, const char *b);

/*
 * `memberdesk rules ...`; argv[0] is "rules". Subcommands:
 *   check [DIR]                       validate, print "rules OK (N rules in M files)"
 *   test [-d DIR] [-m MODEL | -t TSV] [--json] MESSAGE.eml
 *   train [-t TSV] [-o MODEL]         build the model, report counts, save it
 * DIR defaults to cfg->filter_dir, TSV to the shipped training set. cfg may be
 * NULL. Returns the exit status: 0 success, 1 invalid rules or input, 2 usage.
 */
int cli_rules(int argc, char **argv, const struct md_config *cfg);

#endif
