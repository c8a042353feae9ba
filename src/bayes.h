/*
 * A multinomial naive Bayes classifier for the request type. Features are
 * character bigrams of runs of CJK characters (Chinese needs no word
 * segmenter that way; a run of one character counts as a unigram) and
 * lower-cased ASCII words of 2 to 32 letters or digits for English. Counts
 * use Laplace (add-one) smoothing; features never seen in training are
 * ignored at classification time.
 *
 * Raw naive Bayes posteriors are nearly always 0 or 1 because the features
 * of one sentence are far from independent. The confidence reported is
 * therefore tempered: the summed log-likelihood is scaled so that a message
 * counts as at most BAYES_EVIDENCE_CAP independent features, then normalised
 * over the five types. It ranks types exactly like the raw posterior.
 */
#ifndef MD_BAYES_H
#define MD_BAYES_H

#include <stddef.h>
#include <stdio.h>

#include "buf.h"
#include "error.h"
#include "rules.h"

#define BAYES_EVIDENCE_CAP	12

struct bayes;

struct bayes_scores {
	enum md_type best;                 /* MD_TYPE_NONE when nothing was known */
	double prob[MD_TYPE_COUNT];        /* tempered posteriors, summing to 1 */
	size_t n_features;                 /* known features used */
};

/* An empty model. MD_OK or MD_ERR_NOMEM. */
enum md_err bayes_new(struct bayes **out);
void bayes_free(struct bayes *model);

/*
 * Count text (UTF-8; invalid bytes are separators) as an example of type.
 * MD_ERR_INPUT for MD_TYPE_NONE or out of range, MD_ERR_LIMIT when the model
 * would pass 2,000,000 distinct features, MD_ERR_NOMEM.
 */
enum md_err bayes_train(struct bayes *model, enum md_type type, const char *text,
    size_t len);

/*
 * Train from a labelled TSV file: "type<TAB>subject<TAB>body" per line,
 * type as md_type_parse() reads it, "\n", "\t" and "\\" escapes in the
 * fields, '#' lines and blank lines ignored. Bad lines are reported to
 * errors as "path:line: message" and make the result MD_ERR_INPUT, but the
 * good lines are still counted; *n_out (may be NULL) gets the examples
 * used. MD_ERR_IO when the file cannot be read, MD_ERR_NOMEM.
 */
enum md_err bayes_train_tsv(struct bayes *model, const char *path, FILE *errors,
    size_t *n_out);

/* Examples counted for type (0 for a bad type). */
size_t bayes_examples(const struct bayes *model, enum md_type type);
/* Distinct features in the model. */
size_t bayes_vocabulary(const struct bayes *model);

/*
 * Score text. An untrained model, or text without any known feature,
 * gives best = MD_TYPE_NONE and uniform probabilities. Never fails.
 */
void bayes_classify(const struct bayes *model, const char *text, size_t len,
    struct bayes_scores *out);

/*
 * Serialise the model into b (appended; a little-endian binary format
 * starting with "MDBAYES1"). MD_ERR_LIMIT when b's limit is too small,
 * MD_ERR_NOMEM.
 */
enum md_err bayes_save(const struct bayes *model, struct buf *b);

/*
 * Rebuild a model from bayes_save() output. Every count and length is
 * checked: MD_ERR_INPUT for anything truncated, inconsistent or trailing,
 * MD_ERR_LIMIT for absurd sizes, MD_ERR_NOMEM. *out is NULL on failure.
 */
enum md_err bayes_load(const void *data, size_t len, struct bayes **out);

/*
 * Helpers for the labelled TSV files, shared with the evaluation bench.
 * bayes_tsv_split() cuts line (modified in place, trailing CR/LF removed) at
 * tabs into at most max fields and returns how many there were (more than
 * max when the line has too many). bayes_tsv_unescape() turns "\n", "\t"
 * and "\\" into the characters in place; other backslashes stay.
 */
size_t bayes_tsv_split(char *line, char **fields, size_t max);
void bayes_tsv_unescape(char *s);

#endif
