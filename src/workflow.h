/*
 * The case life cycle of the member request rules (会员诉求处理办法, arts.
 * 6-16): one state machine shared by mail commands, the command line and the
 * scheduler. Every function works inside the CALLER's transaction: it checks
 * the transition, changes the case, records an event (who, via what, from
 * which message) and queues the notices the change causes, or returns an
 * error having changed nothing it could not roll back — the caller rolls
 * back on any error, so "nothing changes" holds for the whole transaction.
 *
 * Statuses (cases.status):
 *   registered  new, waiting for review (art. 9: 2 working days)
 *   rejected    not accepted (art. 8 ground); reopen → handling
 *   handling    accepted with a tier (art. 11); there is no separate
 *               "accepted" status: acceptance is the "accepted" event and
 *               cases.accepted_at
 *   resolved    result sent, waiting for the member's feedback (art. 15)
 *   rehandling  member not satisfied, new result due in 3 working days (art. 16)
 *   closed      satisfied, no feedback in time, or closed by staff
 *   archived    closed (or rejected) and put away; read-only except notes
 *   merged      folded into a joint case (art. 14), see joint_parent_id
 *
 *   registered --accept--> handling --resolve--> resolved --feedback ok--> closed
 *   registered --reject--> rejected          resolved --feedback bad--> rehandling
 *   rehandling --resolve--> resolved         closed|rejected --archive--> archived
 *   closed|rejected --reopen--> handling     handling|rehandling|resolved --close--> closed
 *   registered|handling|rehandling --merge--> merged (children of a joint case)
 *
 * Deadline columns kept for the scheduler (UTC seconds, 0/NULL when none):
 *   review_due          registered: accept/reject due (art. 9)
 *   handling_due        handling: result due (art. 11), moved by extend/tier
 *   rehandling_due      rehandling: new result due (art. 16)
 *   result_notice_due   resolved: art. 15 result notice due (the notice is
 *                       queued at once, so this is met when it is set)
 *   feedback_due        resolved: without an answer by then the scheduler
 *                       calls wf_close(reason "no-feedback")
 *
 * Human-readable outcomes: every function appends exactly one line (no
 * trailing newline) to *out when out is not NULL: what was done, or what
 * was wrong and that nothing changed, in the configured language ("zh"
 * default, "en"). The mail side sends these lines back as the command
 * transcript; the command line prints them.
 */
#ifndef MD_WORKFLOW_H
#define MD_WORKFLOW_H

#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include "buf.h"
#include "calendar.h"
#include "case.h"
#include "config.h"
#include "db.h"
#include "error.h"

/* What the workflow needs; all borrowed. cal NULL: weekends only. */
struct wf_env {
	const struct md_config *cfg;
	struct db *db;
	const struct calendar *cal;
};

enum wf_via {
	WF_VIA_MAIL,          /* a command or reply by mail */
	WF_VIA_CLI,           /* the memberdesk command line */
	WF_VIA_SYSTEM         /* the daemon itself (scheduler, intake) */
};

/* Who acts; recorded with every event. */
struct wf_actor {
	const char *address;  /* staff (or member, for feedback) address; NULL: none */
	const char *name;     /* display name or Unix user; NULL: address or "system" */
	enum wf_via via;
	int64_t message_row;  /* messages.id the action came from; 0: none */
};

enum wf_action {
	WF_ACCEPT,            /* tier */
	WF_REJECT,            /* ground, text (explanation), channel (other channel, optional) */
	WF_SET_TYPE,          /* type */
	WF_SET_TIER,          /* tier */
	WF_ASSIGN,            /* address (staff) */
	WF_NOTE,              /* text: internal, never sent */
	WF_PROGRESS,          /* text: sent to the member(s) */
	WF_EXTEND,            /* days, reason: major cases only */
	WF_RESOLVE,           /* method, text (result), reason (required for suggestion-declined) */
	WF_FEEDBACK,          /* feedback, score, reason */
	WF_MERGE,             /* case (the joint parent) + others/n_others */
	WF_REOPEN,            /* reason; tier (optional, when the case never had one) */
	WF_CLOSE,             /* reason (optional from resolved, required otherwise) */
	WF_ARCHIVE,
	WF_REGISTER,          /* channel, address and/or name, subject, text */
	WF_REPLY              /* text: relayed to the member(s) as a staff reply */
};

enum wf_feedback {
	WF_FEEDBACK_NONE = 0,
	WF_FEEDBACK_SATISFIED,
	WF_FEEDBACK_UNSATISFIED,
	WF_FEEDBACK_SCORE     /* score 1-5: 3-5 satisfied, 1-2 not satisfied */
};

/*
 * One command, from a mail or the command line. All strings borrowed; unused
 * fields are NULL/0. The case is named by case_number or, when that is NULL,
 * by case_id (not used by WF_REGISTER).
 */
struct wf_command {
	enum wf_action action;
	const char *case_number;
	int64_t case_id;
	const char *tier;             /* simple | general | major */
	const char *type;             /* policy | rights | difficulty | suggestion | other */
	const char *ground;           /* outside-remit | legal-process | no-basis | unlawful | other */
	const char *method;           /* policy-interpretation | agency-coordination |
	                                 resource-matching | rights-assistance |
	                                 suggestion-adopted | suggestion-declined */
	const char *text;             /* explanation, note, progress, result, reply, register text */
	const char *reason;           /* extend, reopen, close, feedback, declined suggestion */
	const char *channel;          /* reject: other channel; register: visit|meeting|walk-in|phone */
	const char *address;          /* assign: staff address; register: member address */
	const char *name;             /* register: member name when there is no address */
	const char *subject;          /* register */
	int days;                     /* extend: 1-60 working days */
	enum wf_feedback feedback;
	int score;                    /* WF_FEEDBACK_SCORE: 1-5 */
	const char *const *others;    /* merge: numbers of the cases folded into case_number */
	size_t n_others;
};

/* What a command did, for callers that go on (e.g. to thread a transcript). */
struct wf_result {
	int64_t case_id;                    /* the case acted on (register: the new one) */
	char case_number[CASE_NUMBER_MAX];
	int notices;                        /* member and staff notices queued */
};

/*
 * Perform cmd at time now inside the caller's transaction. res (may be
 * NULL) says what was acted on; out (may be NULL) receives one transcript
 * line. Errors: MD_ERR_STATE (no transaction, or the transition is not
 * allowed in the case's status, e.g. "MD-2026-0003 is closed; reopen it
 * first"), MD_ERR_INPUT (a missing or invalid argument: unknown tier,
 * ground, method, type, channel, days out of range, empty text),
 * MD_ERR_NOTFOUND (no such case, or an unknown staff address for assign),
 * MD_ERR_LIMIT (a buffer limit), MD_ERR_NOMEM, database errors. On any
 * error the caller must roll back.
 */
enum md_err wf_perform(const struct wf_env *env, const struct wf_actor *actor,
    const struct wf_command *cmd, time_t now, struct wf_result *res, struct buf *out);

/*
 * The secretariat's announcement of a newly registered case (intake calls
 * it after case_create and the acknowledgement): sets cases.review_due
 * (art. 9) and queues staff_new_case to every secretariat staff member.
 * flags (may be NULL) is a short hint line, e.g. a possible art. 8 ground.
 * MD_ERR_STATE without a transaction, MD_ERR_NOTFOUND, template and
 * database errors as notify_queue().
 */
enum md_err wf_announce_new_case(const struct wf_env *env, int64_t case_id, const char *flags,
    time_t now);

/*
 * Close a resolved (or, with a reason, handling/rehandling) case. The
 * scheduler passes reason "no-feedback" for a result notice unanswered
 * past feedback_due. Same errors and transcript as wf_perform().
 */
enum md_err wf_close(const struct wf_env *env, const struct wf_actor *actor, int64_t case_id,
    const char *reason, time_t now, struct buf *out);

/*
 * Relay a staff reply (text already stripped of quoted history) to the
 * case's member(s) from the chamber address with the "reply" template, and
 * record it as a handling record (处理记录, art. 13, event
 * "handling-record"). Refused (MD_ERR_STATE) for archived and merged cases.
 * Same errors and transcript as wf_perform().
 */
enum md_err wf_relay_reply(const struct wf_env *env, const struct wf_actor *actor,
    int64_t case_id, const char *text, time_t now, struct buf *out);

/*
 * Record a member's feedback on a resolved case (art. 15/16): satisfied →
 * closed; not satisfied → rehandling with the reason and a new due date.
 * Same errors and transcript as wf_perform().
 */
enum md_err wf_feedback(const struct wf_env *env, const struct wf_actor *actor,
    int64_t case_id, enum wf_feedback fb, int score, const char *reason, time_t now,
    struct buf *out);

/* Stable names used in commands, storage and notices. */
const char *wf_action_name(enum wf_action a);          /* "accept", ...; "?" outside */
/* Parse an action name ("accept", "reject", ..., "register", "reply"); MD_ERR_NOTFOUND. */
enum md_err wf_action_from_name(const char *name, enum wf_action *out);

/* Nonzero for a known value of each vocabulary. */
int wf_tier_valid(const char *tier);
int wf_type_valid(const char *type);
int wf_ground_valid(const char *ground);
int wf_method_valid(const char *method);
int wf_status_valid(const char *status);

/*
 * Display label of a vocabulary word (status, type, tier, ground, method,
 * channel) in lang ("zh" default, "en"); the word itself when unknown.
 * "other" is both a type and a ground: this gives the type's label.
 * Never NULL.
 */
const char *wf_label(const char *word, const char *lang);

/*
 * Nonzero when the case is past a deadline that applies to its current
 * status at time now (review_due, handling_due, rehandling_due,
 * feedback_due is not a staff deadline and does not count).
 */
int wf_case_overdue(const struct case_record *c, time_t now);

#endif
