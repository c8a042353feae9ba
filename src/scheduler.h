/*
 * The deadline scheduler: what the daemon does because time passed, not
 * because mail came in. On every pass it
 *
 *   - reminds staff of a deadline that falls within cfg->reminder_workdays
 *     working days (the assignee, or the secretariat when nobody is
 *     assigned or the assignee is no longer listed as staff);
 *   - escalates a deadline that has passed, to the secretariat and the
 *     assignee, and also to the leadership list when the case is major
 *     (art. 11(3)); a second escalation, to everyone including the
 *     leadership, follows once the case is more than
 *     SCHEDULER_LEADERSHIP_OVERDUE_WORKDAYS working days overdue;
 *   - closes a resolved case whose member gave no feedback by feedback_due
 *     (art. 15, SPEC step 9) with wf_close(reason "no-feedback"), which
 *     tells the member; not while the result notice itself still waits in
 *     the outbox, since the member cannot answer a result not yet received;
 *   - mails the daily digest to every secretariat staff member once per
 *     local working day, at cfg->digest_hour or on the first pass after it
 *     (a daemon that was down at that hour sends it when it comes back the
 *     same day). No digest on days off: the secretariat works on working
 *     days, and Monday's digest shows what the weekend left.
 *
 * The deadline that counts is the one of the case's status:
 *   registered → review_due (art. 9), handling → handling_due (art. 11),
 *   rehandling → rehandling_due (art. 16), resolved → result_notice_due
 *   (art. 15) until a result notice for this resolution has been sent.
 * Cases in other statuses (closed, rejected, archived, merged) have none.
 * "Overdue" in the digest is wf_case_overdue(), the definition behind
 * `memberdesk case list --overdue`; the result-notice deadline is chased by
 * reminders and escalations only.
 *
 * Nothing is sent twice, also across restarts: each reminder, escalation
 * and digest is recorded (schema 3: reminders_sent, digests_sent) in the
 * same transaction as the notices it queues. A reminder is keyed by the
 * deadline's column AND due time, so an extended deadline is reminded of
 * (and escalated) again. Each case is handled in its own short transaction
 * because the command line shares the database.
 *
 * Every function takes the time as a parameter (the daemon passes
 * md_now(), see clock.h), so tests run it at any moment.
 */
#ifndef MD_SCHEDULER_H
#define MD_SCHEDULER_H

#include <stddef.h>
#include <time.h>

#include "error.h"
#include "workflow.h"

/*
 * A case overdue by more than this many working days is escalated to the
 * leadership whatever its tier: two working days is as long as the
 * secretariat is given to act on its own escalation before the chamber's
 * leaders hear of it.
 */
#define SCHEDULER_LEADERSHIP_OVERDUE_WORKDAYS	2

/* The digest lists deadlines due within this many working days. */
#define SCHEDULER_DIGEST_SOON_WORKDAYS		3
/* Lines listed in one digest; the rest is summed up in one line. */
#define SCHEDULER_DIGEST_MAX_ITEMS		200
/* Characters (not bytes) of a subject shown in a digest line. */
#define SCHEDULER_DIGEST_SUBJECT_CHARS		40

/* What one pass did. */
struct scheduler_stats {
	size_t reminders;       /* reminder notices queued (one per recipient) */
	size_t escalations;     /* escalation notices queued (one per recipient) */
	size_t digests;         /* digest notices queued (one per recipient) */
	size_t closed;          /* cases closed for want of feedback */
	size_t failed;          /* cases left for the next pass after an error */
};

/*
 * One pass at time now: reminders, escalations, auto-closing, then the
 * digest, each case in its own transaction (the caller must not hold one:
 * MD_ERR_STATE). A case whose handling fails is rolled back, logged,
 * counted in st->failed and retried on the next pass; the others go on.
 * st may be NULL. Returns MD_OK, MD_ERR_TEMP when the database was busy
 * (the rest waits for the next pass), or the first other error met
 * (MD_ERR_DB, MD_ERR_IO, MD_ERR_NOMEM, MD_ERR_INPUT for a broken template).
 */
enum md_err scheduler_run(const struct wf_env *env, time_t now, struct scheduler_stats *st);

/*
 * The digest alone (scheduler_run() calls it): queue it at time now when
 * today (local) is a working day, the digest hour has come, digests are
 * enabled (cfg->digest_hour >= 0) and none went out today. *sent (may be
 * NULL) is the number of notices queued, 0 when nothing was due.
 * Errors as scheduler_run().
 */
enum md_err scheduler_digest(const struct wf_env *env, time_t now, size_t *sent);

/*
 * *next: the earliest time after now at which scheduler_run() may have
 * something to do (a deadline passing, a local day starting, which is when
 * a reminder window opens, feedback running out, the next digest), or 0
 * when nothing is pending. It may be early, never late; the daemon wakes
 * no later than this. Errors: MD_ERR_DB, MD_ERR_NOMEM, MD_ERR_INPUT (bad
 * zone).
 */
enum md_err scheduler_next_wakeup(const struct wf_env *env, time_t now, time_t *next);

#endif
