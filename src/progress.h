/*
 * Progress of a long task (a year's report, an import of thousands of
 * members, an export of many cases) on the user's terminal: one line
 * redrawn in place with '\r', at most every PROGRESS_INTERVAL_MS, and
 * erased at the end. When the stream is not a terminal (a pipe, a file,
 * cron, the daemon) nothing at all is written, so output meant for
 * scripts never carries progress noise.
 */
#ifndef MD_PROGRESS_H
#define MD_PROGRESS_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "error.h"

#define PROGRESS_INTERVAL_MS	100
#define PROGRESS_LABEL_MAX	64	/* bytes of the label kept */

struct progress;

/* Knobs for tests; the defaults (all zero) suit the command line. */
struct progress_opts {
	int force;			/* draw even when fp is not a terminal */
	long interval_ms;		/* 0: PROGRESS_INTERVAL_MS */
	int64_t (*clock_ms)(void);	/* NULL: CLOCK_MONOTONIC */
};

/*
 * Start a progress line on fp (normally stderr) labelled label (UTF-8,
 * control characters are dropped). *out is NULL, with MD_OK, when fp is
 * not a terminal: every function below accepts NULL and does nothing.
 * opts may be NULL. MD_ERR_NOMEM.
 */
enum md_err progress_new(FILE *fp, const char *label, const struct progress_opts *opts,
    struct progress **out);

/*
 * done out of total items (total 0: unknown, shows the count only).
 * Redraws only when the interval has passed since the last drawing, or
 * when done reaches total.
 */
void progress_update(struct progress *p, size_t done, size_t total);

/* The same, with the signature of report_progress_fn; arg is the progress. */
void progress_callback(void *arg, size_t done, size_t total);

/* Erase the line and free p; NULL is allowed. */
void progress_finish(struct progress *p);

/* How many times the line was drawn (for tests). 0 for NULL. */
size_t progress_draws(const struct progress *p);

#endif
