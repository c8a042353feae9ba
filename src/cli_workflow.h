/*
 * The case actions of the command line (memberdesk case accept|reject|...),
 * and the printable export. cli_case() in cli_case.c dispatches to them.
 */
#ifndef MD_CLI_WORKFLOW_H
#define MD_CLI_WORKFLOW_H

#include <time.h>

#include "config.h"
#include "db.h"

/*
 * Run the action named by argv[0] ("accept", "reject", "type", "tier",
 * "assign", "note", "progress", "extend", "resolve", "feedback", "merge",
 * "reopen", "close", "archive", "register", "reply") in one transaction on
 * db. Prints the outcome line (stdout on success, stderr otherwise).
 * Returns the exit status: 0 done, 1 refused or failed (nothing changed),
 * 2 usage error.
 */
int cli_case_action(int argc, char **argv, struct db *db, const struct md_config *cfg);

/* Nonzero when argv[0] names one of the actions above. */
int cli_case_is_action(const char *name);

/* case export NUMBER [-o FILE] [--attachments DIR]: see archive.h. */
int cli_case_export(int argc, char **argv, struct db *db, const struct md_config *cfg);

#endif
