#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "bayes.h"
#include "buf.h"
#include "log.h"
#include "rules.h"
#include "triage.h"

/* Earlier requests consulted for the possible-duplicate flag. */
#define TRIAGE_MAX_RECENT 50

struct triage {
	struct ruleset *rules;   /* owned; NULL: none installed */
	struct bayes *model;     /* owned */
	size_t examples;
	size_t corrections;
};

/* Staff corrections: the case's words labelled with the type staff chose. */
static enum md_err
train_corrections(struct bayes *model, struct db *db, size_t *n)
{
	static const char sql[] =
	    "SELECT c.subject, c.text, json_extract(e.detail, '$.new') FROM case_events e "
	    "JOIN cases c ON c.id = e.case_id WHERE e.kind = 'type-corrected' "
	    "AND json_valid(e.detail) ORDER BY e.id";
	sqlite3_stmt *st = NULL;
	struct buf text;
	enum md_type type;
	enum md_err err;
	int rc;

	*n = 0;
	err = db_prepare_cached(db, sql, &st);
	if (err)
		return err;
	buf_init(&text, 1024 * 1024);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		const char *subject = (const char *)sqlite3_column_text(st, 0);
		const char *body = (const char *)sqlite3_column_text(st, 1);
		const char *label = (const char *)sqlite3_column_text(st, 2);

		if (label == NULL || md_type_parse(label, &type) != MD_OK)
			continue;
		buf_reset(&text);
		if (buf_printf(&text, "%s\n%s", subject ? subject : "", body ? body : "") ==
		    MD_ERR_NOMEM) {
			err = MD_ERR_NOMEM;
			break;
		}
		err = bayes_train(model, type, text.data, text.len);
		if (err)
			break;
		(*n)++;
	}
	if (err == MD_OK && rc != SQLITE_DONE)
		err = db_status(db, rc);
	buf_free(&text);
	db_release(db, st);
	return err;
}

enum md_err
triage_load(const struct md_config *cfg, struct db *db, FILE *errors, struct triage **out)
{
	struct triage *t;
	char path[4096];
	enum md_err err = MD_OK;

	*out = NULL;
	t = calloc(1, sizeof(*t));
	if (t == NULL)
		return MD_ERR_NOMEM;
	if (access(cfg->filter_dir, R_OK | X_OK) == 0) {
		err = rules_load_dir(cfg->filter_dir, errors, &t->rules);
	} else {
		log_warnx("no rule directory %s: requests are not classified by rules",
		    cfg->filter_dir);
	}
	if (err == MD_OK)
		err = bayes_new(&t->model);
	snprintf(path, sizeof(path), "%s/training.tsv", cfg->filter_dir);
	if (err == MD_OK && access(path, R_OK) == 0)
		err = bayes_train_tsv(t->model, path, errors, &t->examples);
	if (err == MD_OK && db)
		err = train_corrections(t->model, db, &t->corrections);
	if (err) {
		triage_free(t);
		return err;
	}
	log_debug("triage: %zu rules, model from %zu examples and %zu corrections",
	    t->rules ? rules_count(t->rules) : 0, t->examples, t->corrections);
	*out = t;
	return MD_OK;
}

void
triage_free(struct triage *t)
{
	if (t == NULL)
		return;
	rules_free(t->rules);
	bayes_free(t->model);
	free(t);
}

size_t
triage_trained_examples(const struct triage *t)
{
	return t->examples + t->corrections;
}

size_t
triage_corrections(const struct triage *t)
{
	return t->corrections;
}

/* The sender's earlier requests in the window, newest first. */
static enum md_err
load_recent(struct db *db, const char *sender, time_t since, struct classify_recent *recent,
    char **subjects, size_t *n)
{
	static const char sql[] =
	    "SELECT subject, submitted_at FROM cases WHERE requester_email = ?1 "
	    "AND submitted_at >= ?2 ORDER BY submitted_at DESC LIMIT ?3";
	sqlite3_stmt *st = NULL;
	enum md_err err;
	int rc;

	*n = 0;
	err = db_prepare_cached(db, sql, &st);
	if (err)
		return err;
	sqlite3_bind_text(st, 1, sender, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 2, (sqlite3_int64)since);
	sqlite3_bind_int(st, 3, TRIAGE_MAX_RECENT);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW && *n < TRIAGE_MAX_RECENT) {
		err = db_column_dup_empty(st, 0, &subjects[*n]);
		if (err)
			break;
		recent[*n].subject = subjects[*n];
		recent[*n].when = (time_t)sqlite3_column_int64(st, 1);
		(*n)++;
	}
	if (err == MD_OK && rc != SQLITE_DONE && rc != SQLITE_ROW)
		err = db_status(db, rc);
	db_release(db, st);
	return err;
}

enum md_err
triage_classify(const struct triage *t, const struct md_config *cfg, struct db *db,
    const struct message *msg, const struct member *m, time_t now,
    struct classify_result **out)
{
	return triage_classify_precomputed(t, cfg, db, msg, m, NULL, now, out);
}

enum md_err
triage_precompute(const struct triage *t, const struct message *msg,
    struct classify_precomputed *out)
{
	return classify_precompute(t ? t->rules : NULL, t ? t->model : NULL, msg, out);
}

enum md_err
triage_classify_precomputed(const struct triage *t, const struct md_config *cfg,
    struct db *db, const struct message *msg, const struct member *m,
    const struct classify_precomputed *pre, time_t now, struct classify_result **out)
{
	struct classify_recent recent[TRIAGE_MAX_RECENT];
	char *subjects[TRIAGE_MAX_RECENT];
	struct classify_options opt;
	struct classify_input in;
	size_t n = 0, i;
	enum md_err err = MD_OK;

	*out = NULL;
	classify_options_default(&opt);
	opt.duplicate_window = (long)cfg->duplicate_window_days * 86400L;
	if (db && msg->from_addr)
		err = load_recent(db, msg->from_addr, now - opt.duplicate_window, recent, subjects,
		    &n);
	if (err == MD_OK) {
		memset(&in, 0, sizeof(in));
		in.msg = msg;
		in.pre = pre;
		in.is_member = m != NULL;
		in.member_kind = m ? member_kind_name(m->kind) : NULL;
		in.recent = recent;
		in.n_recent = n;
		in.now = now;
		err = classify(t ? t->rules : NULL, t ? t->model : NULL, &opt, &in, out);
	}
	for (i = 0; i < n; i++)
		free(subjects[i]);
	return err;
}

char *
triage_flags_string(const struct classify_result *r)
{
	struct buf b;
	size_t i;

	buf_init(&b, 4096);
	for (i = 0; i < r->rules.n_flags; i++)
		if (buf_printf(&b, "%s%s", i ? ", " : "", r->rules.flags[i]) != MD_OK)
			break;
	return buf_steal(&b);
}
