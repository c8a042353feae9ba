/*
 * Rate limits on automatic mail, checked by the sender just before each
 * notice goes out. A notice past a limit is not dropped: it waits in the
 * outbox (next_attempt_at pushed to the moment it fits, attempts left
 * alone so waiting never makes it fail) and the secretariat is told once
 * per recipient per day.
 *
 * What counts, decided here and documented in memberdesk.conf(5):
 * - Member-facing automatic notices (every kind sent to an address that is
 *   not a configured staff address, except "reply") count and are limited:
 *   at most cfg->max_notices_per_recipient_hour to one address in any
 *   rolling hour, and at most cfg->max_notices_per_case_day about one case
 *   to one address in any rolling 24 hours. The case limit is per address
 *   so that the members of a joint case (art. 14) each keep their own
 *   allowance instead of sharing one.
 * - "reply" notices relay words a staff member wrote to the member. They
 *   are not automatic mail, cannot take part in a loop, and are neither
 *   counted nor held: holding a human answer would only delay service.
 * - Notices to staff addresses (alerts, transcripts, digests, this limit's
 *   own alert) are exempt from the member limits but have their own cap of
 *   RATELIMIT_STAFF_PER_HOUR per staff address per rolling hour, so that a
 *   flood of incoming mail cannot turn into a flood of alerts. Holding a
 *   staff notice is logged, never alerted (an alert about alerts would
 *   feed itself).
 *
 * Only notices the server accepted (outbox status "sent", by sent_at) are
 * counted: queued or failed ones never reached the recipient.
 */
#ifndef MD_RATELIMIT_H
#define MD_RATELIMIT_H

#include <stdint.h>
#include <time.h>

#include "config.h"
#include "db.h"
#include "error.h"
#include "outbox.h"

/* Notices to one staff address in any rolling hour. */
#define RATELIMIT_STAFF_PER_HOUR	60
/* Outbox kind of the secretariat's alert about a held notice. */
#define RATELIMIT_ALERT_KIND		"rate_alert"
/* Case event recorded when a notice about a case is held. */
#define RATELIMIT_EVENT			"rate-limited"

enum ratelimit_rule {
	RATELIMIT_NONE,              /* the notice may go */
	RATELIMIT_RECIPIENT_HOUR,    /* member address, rolling hour */
	RATELIMIT_CASE_DAY,          /* member address and case, rolling 24 hours */
	RATELIMIT_STAFF_HOUR         /* staff address, rolling hour */
};

struct ratelimit_verdict {
	enum ratelimit_rule rule;    /* which limit holds the notice back */
	int limit;                   /* that limit's allowance */
	time_t fits_at;              /* earliest time the notice fits; 0 when RATELIMIT_NONE */
};

/* Short English name of a rule, for logs and events ("recipient-hour", ...). */
const char *ratelimit_rule_name(enum ratelimit_rule rule);

/*
 * Decide whether item may be sent at now without changing anything.
 * *out says which limit (if any) holds it back and when it fits.
 * Errors: database errors as db_status().
 */
enum md_err ratelimit_check(const struct md_config *cfg, struct db *db,
    const struct outbox_item *item, time_t now, struct ratelimit_verdict *out);

/*
 * The sender's hook, called before each send outside any transaction.
 * MD_OK: send item now. MD_ERR_LIMIT: item was held (its next_attempt_at
 * moved to when it fits, a "rate-limited" event recorded on its case, and,
 * for a member address not yet reported within 24 hours, a rate_alert
 * queued to every secretariat member), all in one transaction; the caller
 * skips it. *v (may be NULL) receives the verdict.
 * Errors: MD_ERR_STATE when a transaction is already open, MD_ERR_INPUT
 * when the alert cannot be rendered, database errors as db_status().
 */
enum md_err ratelimit_hold_if_needed(const struct md_config *cfg, struct db *db,
    const struct outbox_item *item, time_t now, struct ratelimit_verdict *v);

#endif
