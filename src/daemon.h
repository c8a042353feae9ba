/*
 * The daemon's work, separated from process concerns (options, signals,
 * detaching) so that tests can drive it: one pass takes in every waiting
 * message and sends every due notice; waiting uses IMAP IDLE or polling.
 */
#ifndef MD_DAEMON_H
#define MD_DAEMON_H

#include <signal.h>
#include <stdio.h>

#include "config.h"
#include "error.h"

struct daemon;

/*
 * Check what the configuration refers to beyond its own syntax: templates,
 * calendars, rules, the database directory. Problems go to errors, one per
 * line; MD_ERR_INPUT when there is any.
 */
enum md_err daemon_check_config(const struct md_config *cfg, FILE *errors);

/*
 * Create the daemon's state: opens (and migrates) the database, loads
 * templates and calendars. Takes ownership of cfg, also on failure.
 * Errors: those of db_open(), MD_ERR_INPUT for unusable templates.
 */
enum md_err daemon_new(struct md_config *cfg, struct daemon **out);

/*
 * One pass: connect to IMAP if needed, take in every waiting message (each
 * committed before it is marked on the server), run the deadline scheduler
 * (reminders, escalations, auto-closing, the digest: scheduler.h) at
 * md_now(), then send every due notice.
 * Returns MD_OK when everything waiting was handled; MD_ERR_TEMP when a
 * server was unreachable or notices are left for a retry; other errors when
 * the database cannot be written (nothing is marked then).
 * Stops early, between messages, when *stop becomes nonzero.
 */
enum md_err daemon_run_once(struct daemon *d, const volatile sig_atomic_t *stop);

/*
 * Wait until there may be work: new mail (IDLE), the time to retry
 * deferred notices or a lost connection, the scheduler's next due time
 * (scheduler_next_wakeup()), the poll interval, or *wake set (by a signal
 * handler).
 */
void daemon_wait(struct daemon *d, const volatile sig_atomic_t *wake);

/*
 * Re-read the configuration from path; keep the old one when the new one
 * is not valid (and say why in the log). The database path cannot change
 * without a restart.
 */
void daemon_reload(struct daemon *d, const char *path);

void daemon_free(struct daemon *d);

#endif
