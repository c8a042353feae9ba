/*
 * What intake does with a message that belongs to a case (thread.h found
 * it), inside intake's one transaction:
 *  - from a member of the case: recorded on the case (event
 *    "member-message"); on a resolved case the reply is read as feedback
 *    (feedback.h → wf_feedback); otherwise the assignee, or the
 *    secretariat, is told of the new message;
 *  - from staff: commands (mailcmd.h) are executed only when staffauth
 *    accepts the mail, all or none (a savepoint), and answered with a
 *    transcript; a plain reply is stripped (replystrip.h) and relayed to
 *    the member with wf_relay_reply(), also only when authenticated;
 *    otherwise nothing changes and the secretariat is alerted;
 *  - from anyone else: the message stays unfiled and the secretariat is
 *    alerted, so nothing reaches another member's case.
 * A staff command mail without a case (e.g. #register sent afresh) is
 * handled the same way with case_id 0; only Authentication-Results can
 * authenticate it, since tokens are per case.
 */
#ifndef MD_FOLLOWUP_H
#define MD_FOLLOWUP_H

#include <stdint.h>
#include <time.h>

#include "error.h"
#include "message.h"
#include "msgstore.h"
#include "thread.h"
#include "workflow.h"

enum followup_outcome {
	FOLLOWUP_MEMBER_MESSAGE,  /* recorded on the case, staff told */
	FOLLOWUP_FEEDBACK,        /* feedback understood and applied */
	FOLLOWUP_COMMANDS,        /* staff commands executed */
	FOLLOWUP_COMMANDS_FAILED, /* staff commands refused by syntax or workflow: nothing changed */
	FOLLOWUP_RELAYED,         /* staff reply relayed to the member */
	FOLLOWUP_UNAUTHENTICATED, /* staff From without proof: nothing changed, secretariat alerted */
	FOLLOWUP_STRANGER         /* not a participant: kept unfiled, secretariat alerted */
};

struct followup_result {
	enum followup_outcome outcome;
	int64_t case_id;          /* the case the message was attached to; 0 when unfiled */
	int64_t message_row;      /* where the message was recorded */
};

/* Short English name for logs ("member-message", ...). */
const char *followup_outcome_name(enum followup_outcome o);

/*
 * Record msg (rec, whose case_id is ignored) and handle it for the case th
 * names (th->case_id, may be 0 only for staff commands) at time now. The
 * message is recorded once it is known which case it joins, linked to it
 * in the same INSERT (an UPDATE afterwards would write the whole raw
 * message again); res->message_row is its row. Runs inside the caller's transaction (MD_ERR_STATE without one).
 * Mistakes in commands and refused transitions are answered, not
 * returned: they are MD_OK with outcome FOLLOWUP_COMMANDS_FAILED.
 * Errors: database errors, MD_ERR_NOMEM, MD_ERR_IO (reply-token secret),
 * MD_ERR_INPUT (a notice template problem); the caller rolls back.
 */
enum md_err followup_handle(const struct wf_env *env, const struct message *msg,
    const struct msgstore_new *rec, const struct thread_result *th, time_t now,
    struct followup_result *res);

#endif
