/*
 * The complete record of a case (art. 4: 归档) as one self-contained,
 * printable HTML file: a summary of the case and its deadlines, then every
 * message (decoded text; attachments listed with size and SHA-256),
 * internal note, notice and state change in the order they happened. The
 * file uses inline CSS only, no scripts, images or other external resources,
 * so it can be mailed, stored and printed as it is. Labels are in Chinese
 * (English with language "en"); all text from mail is escaped and stripped
 * of control characters.
 */
#ifndef MD_ARCHIVE_H
#define MD_ARCHIVE_H

#include <stdint.h>
#include <stdio.h>

#include "config.h"
#include "db.h"
#include "error.h"

/*
 * Write the record of case case_id to fp. Times are shown in local time:
 * the caller sets TZ to the chamber's zone (as the command line does).
 * attach_dir (may be NULL) is an existing directory into which each stored
 * attachment is also written as "M<message>-<n>-<safe name>" (mode 0600,
 * never overwriting: MD_ERR_EXISTS). *n_attachments (may be NULL) receives
 * how many attachments the record lists. An attachment kept once (only in
 * its raw message, see msgstore.h) is decoded from the raw message for
 * attach_dir, and written only when it is still the one taken in.
 * Errors: MD_ERR_NOTFOUND (no such case), MD_ERR_IO (write failed),
 * MD_ERR_EXISTS, MD_ERR_STATE (an attachment no longer decodes from its
 * raw message as it did at intake; logged), MD_ERR_NOMEM, database errors.
 */
enum md_err archive_export_html(struct db *db, const struct md_config *cfg, int64_t case_id,
    FILE *fp, const char *attach_dir, size_t *n_attachments);

#endif
