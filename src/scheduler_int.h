/*
 * Internals shared by scheduler.c (deadlines) and scheduler_digest.c (the
 * daily digest). Not for other modules.
 */
#ifndef MD_SCHEDULER_INT_H
#define MD_SCHEDULER_INT_H

#include <time.h>

#include "buf.h"
#include "config.h"
#include "error.h"
#include "workflow.h"

/* The notice language: "en" when configured so, else "zh". */
const char *sched_lang(const struct md_config *cfg);

/* "3 个工作日" / "3 working days"; n <= 0 is "less than one working day". */
enum md_err sched_count_workdays(const struct wf_env *env, long n, struct buf *out);

/*
 * *t: the next time after now at which a digest is due (the digest hour of
 * the next working day without one), or 0 when digests are off. A digest
 * due right now (hour passed, none sent today) is not "after now": the
 * pass at hand sends it.
 */
enum md_err sched_next_digest(const struct wf_env *env, time_t now, time_t *t);

#endif
