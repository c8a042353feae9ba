/*
 * The staff command syntax (doc/mail-commands.md): lines at the top of a
 * reply that start with '#' (or the full-width '＃'), one command per line,
 * keywords and values in English or Chinese, any case, any blanks:
 *
 *   #accept general            #受理 一般
 *   #reject legal-process 已进入仲裁程序，建议通过仲裁委员会解决
 *   #resolve policy-interpretation 结果文本……（可续写多行）
 *
 * Free text (note, progress, result, reasons) continues on the following
 * lines until the next command line. Parsing only reads text; whether the
 * writer may command, and what the command does, is decided elsewhere
 * (staffauth, workflow). The text given should already have its quoted
 * history removed (replystrip), so that commands quoted from an earlier
 * notice are never taken as new ones.
 */
#ifndef MD_MAILCMD_H
#define MD_MAILCMD_H

#include <stddef.h>

#include "error.h"
#include "workflow.h"

/* At most this many commands are read from one mail; more is an error. */
#define MAILCMD_MAX		20
/* Largest text looked at. */
#define MAILCMD_MAX_TEXT	(256u * 1024)

struct mailcmd {
	struct wf_command cmd;  /* its strings point into the owned fields below;
	                           case_number/case_id are left for the caller */
	int line;               /* 1-based line of the command in the text */
	char *verb;             /* owned: the keyword as written, e.g. "受理" */
	char *text;             /* owned or NULL: free text (cmd.text / cmd.reason) */
	char *arg;              /* owned or NULL: address, name or subject */
	char *subject;          /* owned or NULL: register */
	char **others;          /* owned array of owned case numbers (merge) */
	size_t n_others;
};

struct mailcmd_error {
	int line;               /* 1-based line, 0 for the mail as a whole */
	char *message;          /* owned, in the language asked for, names the problem */
};

struct mailcmd_list {
	struct mailcmd *cmds;           /* owned array, in the order written */
	size_t n;
	struct mailcmd_error *errors;   /* owned array */
	size_t n_errors;
	int help;                       /* "#help" / "#帮助" was asked for */
	char *rest;                     /* owned: text after the commands that belongs
	                                   to none of them ("" when none) */
};

/*
 * Nonzero when text starts (after blank lines) with a command line, i.e.
 * the mail is meant as commands rather than as a reply to relay.
 */
int mailcmd_present(const char *text);

/*
 * Parse the commands at the top of text. prefix is the case-number prefix
 * (cfg->case_prefix) for #merge; lang ("zh" or "en", NULL: "zh") is the
 * language of the error messages. Every problem becomes an entry in
 * out->errors (unknown command with a hint, missing or unknown value, bad
 * number); commands that parsed are still listed, and the caller decides
 * that nothing is done when there is any error. A text without commands
 * gives n == 0 and rest == the whole text.
 * Errors: MD_ERR_LIMIT (text longer than MAILCMD_MAX_TEXT), MD_ERR_NOMEM.
 * Free the result with mailcmd_list_free() in every case.
 */
enum md_err mailcmd_parse(const char *text, const char *prefix, const char *lang,
    struct mailcmd_list *out);

void mailcmd_list_free(struct mailcmd_list *l);

/* A short summary of the syntax for transcripts and notices, in lang. Never NULL. */
const char *mailcmd_help(const char *lang);

/*
 * The canonical word for a value written by staff, or NULL: vocabulary is
 * one of "tier", "type", "ground", "method", "channel"; word is e.g.
 * "一般", "General", "仲裁". Exposed for the command line and tests.
 */
const char *mailcmd_value(const char *vocabulary, const char *word);

#endif
