/*
 * Queuing a notice about a case: render its template, build the MIME
 * message, keep it with the case's messages and put it in the outbox
 * (pointing at that message rather than holding a second copy), all inside the caller's transaction, so a notice exists exactly when the
 * change that caused it was committed.
 */
#ifndef MD_NOTIFY_H
#define MD_NOTIFY_H

#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include "config.h"
#include "db.h"
#include "error.h"
#include "notice.h"
#include "template.h"

struct notify_request {
	int64_t case_id;                 /* 0: not about a case */
	const char *kind;                /* outbox kind, e.g. "ack" */
	const char *template_name;       /* e.g. "ack" */
	const char *lang;                /* NULL: the configured language */
	const struct template_var *vars; /* besides chamber_name and chamber_address */
	size_t nvars;
	const char *to_addr;             /* the one recipient */
	const char *to_name;             /* UTF-8 or NULL */
	const char *reply_to;            /* Reply-To addr-spec, or NULL: for a listed staff
	                                    recipient of a case notice, that staff member's
	                                    reply address with its token (staffauth.h) */
	const char *in_reply_to;         /* without brackets, or NULL */
	const char *const *references;   /* oldest first, or NULL */
	size_t n_references;
	const char *thread_root;         /* the case's first Message-ID, or NULL */
	time_t thread_time;              /* when the case started */
	const char *thread_topic;        /* e.g. the case subject, or NULL */
	enum notice_auto auto_submitted;
};

/*
 * Queue the notice described by rq at time now inside the caller's open
 * transaction. *message_id (may be NULL) receives the new Message-ID
 * (caller frees). A case notice is also recorded as an outgoing message of
 * the case with a "notice" event; its outbox row reads its bytes from that
 * message (outbox.h, message_row).
 * Errors: MD_ERR_STATE (no transaction), MD_ERR_INPUT (template problem or
 * invalid recipient, logged with the reason), MD_ERR_NOMEM, database errors.
 */
enum md_err notify_queue(const struct md_config *cfg, struct db *db,
    const struct notify_request *rq, time_t now, char **message_id);

/*
 * Queue rq once for every listed staff member of role (to_addr and to_name
 * of rq are ignored and set per member; members whose address we would not
 * send to are skipped). *queued (may be NULL) receives how many were queued.
 * Same transaction rule and errors as notify_queue().
 */
enum md_err notify_queue_role(const struct md_config *cfg, struct db *db,
    const struct notify_request *rq, enum staff_role role, time_t now, size_t *queued);

/*
 * Templates are read from cfg->template_dir when first used and kept for
 * the life of the process. Forget them, so that each is read again when
 * next used: for a configuration reload (edited templates take effect).
 */
void notify_forget_templates(void);

#endif
