/*
 * Linking a bounce to the notice it reports on, so that the case shows
 * that its member could not be reached and the secretariat can phone
 * instead. Called by intake for mail that autodetect judged a "bounce",
 * inside intake's transaction.
 *
 * The link is found, in order, from:
 *  1. the verdict's original_message_id: an outbox row with that
 *     Message-ID, else an outgoing message of a case with it;
 *  2. each failed recipient: the most recent notice sent to that address
 *     within BOUNCE_RECIPIENT_WINDOW seconds (a bounce arrives within
 *     days; an older notice is more likely a coincidence than the cause).
 * A linked bounce records a "member-unreachable" event on the case (JSON
 * detail: address, status, diagnostic, notice, notice_message_id,
 * delayed, linked_by) referring to the bounce message, and queues one
 * bounce_alert per secretariat member, once per bounced notice. A DSN that
 * reports delay only records the event and alerts nobody. A bounce of one
 * of our own alerts (bounce_alert, rate_alert) alerts nobody either, or a
 * broken staff address would make alerts bounce forever. An unlinkable
 * bounce is only logged; intake has kept the message.
 */
#ifndef MD_BOUNCE_H
#define MD_BOUNCE_H

#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include "autodetect.h"
#include "config.h"
#include "db.h"
#include "error.h"
#include "message.h"

/* How far back a failed recipient is matched against sent notices. */
#define BOUNCE_RECIPIENT_WINDOW	(14 * 86400)
/* Case event kind for a bounce linked to a case. */
#define BOUNCE_EVENT		"member-unreachable"
/* Longest DSN diagnostic kept, in bytes. */
#define BOUNCE_DIAGNOSTIC_MAX	300
/* Longest excerpt of the bounce text in the alert, in bytes. */
#define BOUNCE_EXCERPT_MAX	1500

enum bounce_via {
	BOUNCE_UNLINKED,
	BOUNCE_VIA_MESSAGE_ID,
	BOUNCE_VIA_RECIPIENT
};

struct bounce_result {
	enum bounce_via via;
	int64_t case_id;            /* 0: the notice had no case, or unlinked */
	int64_t outbox_id;          /* the bounced notice's outbox row; 0: not known */
	int alerted;                /* number of bounce_alert notices queued */
	char address[256];          /* the address that could not be reached; "" unknown */
	char status[16];            /* DSN status such as "5.1.1"; "" when none */
};

/* "unlinked", "message-id" or "recipient". */
const char *bounce_via_name(enum bounce_via via);

/*
 * Pull the first DSN Status (d.d.d, class 2, 4 or 5) and Diagnostic-Code
 * out of a raw bounce, scanning at most max_scan bytes. status (at least
 * 16 bytes) and diag (diaglen bytes; control characters become spaces,
 * cut to BOUNCE_DIAGNOSTIC_MAX) are "" when absent. Never fails.
 */
void bounce_dsn_fields(const char *raw, size_t len, size_t max_scan, char *status,
    size_t statuslen, char *diag, size_t diaglen);

/*
 * Handle the bounce message recorded as row (msg may be NULL; raw/len are
 * its bytes) whose verdict is v, at now, inside the caller's transaction
 * (MD_ERR_STATE without one). A verdict that is not a bounce is MD_OK with
 * nothing done. *res (may be NULL) says what was linked.
 * Errors: MD_ERR_STATE, MD_ERR_INPUT (alert template problem),
 * MD_ERR_NOMEM, database errors as db_status(); the caller rolls back.
 */
enum md_err bounce_handle(const struct md_config *cfg, struct db *db,
    const struct auto_verdict *v, const struct message *msg, const char *raw, size_t len,
    int64_t row, time_t now, struct bounce_result *res);

#endif
