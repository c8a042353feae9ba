/*
 * The handling deadlines of the member request rules (会员诉求处理办法), in
 * working days, and how a due time is written in notices. Every deadline is
 * counted with calendar_add_workdays(): the end (23:59:59 local) of the n-th
 * working day after the local day of the event it counts from; the event's
 * own day never counts (see calendar.h for the full rule).
 */
#ifndef MD_DEADLINE_H
#define MD_DEADLINE_H

#include <time.h>

#include "buf.h"
#include "calendar.h"
#include "error.h"

/* Working days allowed by each article; the numbers the rules publish. */
enum {
	DEADLINE_REVIEW_WORKDAYS = 2,		/* art. 9(2): accept or reject, from registration */
	DEADLINE_SIMPLE_WORKDAYS = 3,		/* art. 11(1): simple case, from acceptance */
	DEADLINE_GENERAL_WORKDAYS = 7,		/* art. 11(2): general case, from acceptance */
	DEADLINE_MAJOR_WORKDAYS = 15,		/* art. 11(3): major/complex case, from acceptance */
	DEADLINE_RESULT_NOTICE_WORKDAYS = 1,	/* art. 15: result to member, from completion */
	DEADLINE_REHANDLING_WORKDAYS = 3	/* art. 16: new result, from dissatisfaction */
};

enum deadline_kind {
	DEADLINE_REVIEW = 0,
	DEADLINE_SIMPLE,
	DEADLINE_GENERAL,
	DEADLINE_MAJOR,
	DEADLINE_RESULT_NOTICE,
	DEADLINE_REHANDLING
};

#define DEADLINE_KIND_COUNT	6

/* The working days for a kind, or -1 for a value outside the enum. */
int deadline_workdays(enum deadline_kind kind);

/* The article of the rules that sets the deadline (9, 11, 15, 16), or -1. */
int deadline_article(enum deadline_kind kind);

/*
 * A stable ASCII name for storage and logs ("review", "simple", "general",
 * "major", "result_notice", "rehandling"); "unknown" outside the enum.
 */
const char *deadline_kind_name(enum deadline_kind kind);

/* The kind named by deadline_kind_name(); MD_ERR_NOTFOUND for other strings. */
enum md_err deadline_kind_from_name(const char *name, enum deadline_kind *out);

/*
 * *due for a deadline of the given kind counted from the event at time
 * from, in zone tz (NULL: Asia/Shanghai). *uncovered (may be NULL) is the
 * first year without a calendar that the count went through, or 0; see
 * calendar_warn_uncovered(). Errors as calendar_add_workdays(), and
 * MD_ERR_INPUT for a kind outside the enum.
 */
enum md_err deadline_due(const struct calendar *cal, const char *tz, enum deadline_kind kind,
    time_t from, time_t *due, int *uncovered);

/*
 * Extend a deadline (art. 11(3) allows it for major cases, with a reason
 * the member is told) by n working days after the day of the current due
 * time. Errors as calendar_add_workdays().
 */
enum md_err deadline_extend(const struct calendar *cal, const char *tz, time_t due, int n,
    time_t *new_due, int *uncovered);

/*
 * Append the local date of due in zone tz, as a notice prints it, to out:
 * lang "zh" (also NULL or ""): "2026年10月9日（星期五）" with full-width
 * parentheses; lang "en": "Friday, 9 October 2026". Only the date: a
 * deadline is the end of that day. Errors: MD_ERR_INPUT (unknown lang, bad
 * zone, time out of range), MD_ERR_LIMIT / MD_ERR_NOMEM from the buffer, in
 * which case out is unchanged.
 */
enum md_err deadline_format(time_t due, const char *tz, const char *lang, struct buf *out);

#endif
