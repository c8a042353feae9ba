/*
 * Command-line subcommands of memberdesk. Each is called by the dispatcher
 * in memberdesk.c with argv[0] set to the command name and an already
 * loaded configuration; each returns the process exit status (0 success,
 * 1 failure, 2 usage error) and prints its own messages.
 */
#ifndef MD_CLI_H
#define MD_CLI_H

#include <stddef.h>
#include <stdio.h>

#include "config.h"
#include "error.h"

/* member import FILE.csv | member list */
int cli_member(int argc, char **argv, const struct md_config *cfg);

/* case list [--status S] [--year N] [--limit N] | case show NUMBER */
int cli_case(int argc, char **argv, const struct md_config *cfg);

/*
 * Terminal output helpers shared by the cli_* files (implemented in
 * cli_case.c).
 *
 * cli_sanitize: a copy of s (caller frees; NULL only on allocation failure)
 * that is safe to print on a terminal: invalid UTF-8 and control
 * characters (C0, DEL, C1, bidirectional overrides) become U+FFFD, CR is
 * dropped; LF and TAB are kept when keep_newlines, else become spaces.
 * Text from mail must go through it before it is printed.
 */
char *cli_sanitize(const char *s, int keep_newlines);

/*
 * Columns s takes on a terminal: East Asian wide and fullwidth characters
 * (CJK, Hangul, fullwidth forms, emoji) count 2, combining marks and
 * zero-width characters 0, others 1. s should be sanitized UTF-8.
 */
size_t cli_display_width(const char *s);

/* A table printed with aligned columns; cells are sanitized when added. */
struct cli_table;

/* A table with ncols columns and these headings. MD_ERR_NOMEM. */
enum md_err cli_table_new(size_t ncols, const char *const *headings, struct cli_table **out);
/* Add a row of ncols cells (NULL cells print empty). MD_ERR_NOMEM. */
enum md_err cli_table_add(struct cli_table *t, const char *const *cells);
/*
 * Print headings and rows, two spaces between columns, each column as wide
 * as its widest cell but at most max_width columns (longer cells are cut and
 * end in "..."); the last column is not padded.
 */
void cli_table_print(const struct cli_table *t, FILE *fp, size_t max_width);
void cli_table_free(struct cli_table *t);

#endif
