/*
 * Emptying the outbox: each due notice is offered to the SMTP server and
 * marked sent only once the server accepted it. A crash between the
 * server's acceptance and the mark can at worst send a notice twice, with
 * the same Message-ID: at-least-once, never lost.
 *
 * The marks are committed without waiting for the disk (SQLite
 * synchronous=NORMAL, for the flush only): each is handed to the operating
 * system before the next notice is offered, so a crash or kill of the
 * daemon keeps every one of them; a power loss or operating-system crash
 * may take back the last marks, and those notices go out again (same
 * Message-ID). What the flush does not write keeps synchronous=FULL.
 */
#ifndef MD_SENDER_H
#define MD_SENDER_H

#include <signal.h>
#include <stddef.h>
#include <time.h>

#include "config.h"
#include "db.h"
#include "error.h"

struct sender;

/* A sender for cfg's SMTP server (cfg is borrowed and must outlive it). */
enum md_err sender_new(const struct md_config *cfg, struct db *db, struct sender **out);

/*
 * Use a new configuration (after a reload); the connection is reopened, and
 * the notice templates and the staff reply-token secret are read again
 * when next used (notify_forget_templates(), staffauth_forget_secret()).
 */
enum md_err sender_reconfigure(struct sender *s, const struct md_config *cfg);

struct sender_stats {
	size_t sent;
	size_t retried;     /* temporary failures, tried again later */
	size_t failed;      /* permanent failures or too many attempts */
};

/*
 * Send every notice due at now, until the outbox has nothing due, the
 * server is unreachable, or *stop is set. Due notices are taken oldest
 * first in batches; one that falls due during a batch waits for the next. Returns MD_OK when nothing due is
 * left, MD_ERR_TEMP when the server could not be reached (the notices wait
 * with backoff), database errors otherwise.
 */
enum md_err sender_flush(struct sender *s, const volatile sig_atomic_t *stop,
    struct sender_stats *stats);

/* The pause before attempt number attempts + 1, in seconds (exponential, capped). */
long sender_backoff(int attempts, long cap);

void sender_free(struct sender *s);

#endif
