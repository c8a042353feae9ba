/*
 * Triage of new requests: the chamber's rules and the statistical model
 * propose a type, a tier hint and flags for staff to confirm (arts. 7, 8,
 * 11). The model is trained on the labelled set shipped in filter_dir
 * (training.tsv) and on every type correction staff have made (the
 * "type-corrected" events in the database), so it learns from the chamber's
 * own decisions; it is rebuilt at start, on SIGHUP and by `rules train`.
 */
#ifndef MD_TRIAGE_H
#define MD_TRIAGE_H

#include <stdio.h>
#include <time.h>

#include "classify.h"
#include "config.h"
#include "db.h"
#include "error.h"
#include "member.h"
#include "message.h"

struct triage;

/*
 * Load the rules in cfg->filter_dir and train the model (db may be NULL:
 * no corrections). A missing filter directory gives no rules and no
 * training set, with a warning: every request is then "other".
 * Errors: MD_ERR_INPUT (a rule file or training.tsv has errors, written to
 * errors as file:line: message; the caller keeps its previous triage),
 * MD_ERR_NOMEM, database errors.
 */
enum md_err triage_load(const struct md_config *cfg, struct db *db, FILE *errors,
    struct triage **out);

void triage_free(struct triage *t);

/* Examples the model learnt from: shipped ones and staff corrections. */
size_t triage_trained_examples(const struct triage *t);
size_t triage_corrections(const struct triage *t);

/*
 * Classify a new request from msg (m: its member, or NULL). Earlier
 * requests of the same sender within cfg->duplicate_window_days are read
 * from db for the possible-duplicate flag. On MD_OK *out is a result for
 * classify_result_free(). Errors: MD_ERR_NOMEM, database errors.
 */
enum md_err triage_classify(const struct triage *t, const struct md_config *cfg,
    struct db *db, const struct message *msg, const struct member *m, time_t now,
    struct classify_result **out);

/*
 * The message-only parts of triage_classify() for msg, worked out ahead
 * (classify_precompute() with t's rules and model; t NULL: none, as for
 * triage_classify()). t is only read, so this may run on another thread
 * while t classifies elsewhere, as long as nobody frees t meanwhile.
 * On failure (MD_ERR_NOMEM) *out is empty; free it with
 * classify_precomputed_free().
 */
enum md_err triage_precompute(const struct triage *t, const struct message *msg,
    struct classify_precomputed *out);

/*
 * triage_classify() with what triage_precompute() worked out for msg with
 * the same t (pre borrowed; NULL: everything is computed here). The result
 * is the same as triage_classify()'s.
 */
enum md_err triage_classify_precomputed(const struct triage *t, const struct md_config *cfg,
    struct db *db, const struct message *msg, const struct member *m,
    const struct classify_precomputed *pre, time_t now, struct classify_result **out);

/* The flags as one comma-separated string for notices (caller frees). */
char *triage_flags_string(const struct classify_result *r);

#endif
