/*
 * A member's answer to a result notice (art. 15/16): satisfied or not, a
 * 1-5 score, and the reason. Only the new text of the reply is read (run
 * replystrip first): the quoted notice itself says "满意/不满意" and must
 * never count as an answer. Negation is read ("不满意" is not "满意",
 * "not satisfied" is not "satisfied"); an answer that says both, or a
 * score that contradicts the words, is unknown, and staff decide.
 */
#ifndef MD_FEEDBACK_H
#define MD_FEEDBACK_H

#include <stddef.h>

#include "error.h"

/* Largest text looked at. */
#define FEEDBACK_MAX_TEXT	(64u * 1024)

enum feedback_verdict {
	FEEDBACK_UNKNOWN,
	FEEDBACK_SATISFIED,
	FEEDBACK_UNSATISFIED
};

struct feedback {
	enum feedback_verdict verdict;
	int score;              /* 1-5; 0 when none was given (or scores disagreed) */
	int from_score;         /* nonzero when only the score decided the verdict */
	char *reason;           /* owned: the reply without the verdict words and score,
	                           trimmed; "" when nothing else was written */
};

/*
 * Read the stripped reply text. Scores are "5", "5分", "5 分", "评分：4",
 * "打分 4", "score: 4", "4/5" and stars "★★★★" (1-5); a score of 3-5 alone
 * means satisfied, 1-2 not satisfied. *fb is filled in every successful
 * case; free it with feedback_free().
 * Errors: MD_ERR_LIMIT (text longer than FEEDBACK_MAX_TEXT), MD_ERR_NOMEM.
 */
enum md_err feedback_parse(const char *text, struct feedback *fb);

void feedback_free(struct feedback *fb);

/* "satisfied", "unsatisfied" or "unknown". */
const char *feedback_verdict_name(enum feedback_verdict v);

#endif
