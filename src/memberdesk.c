/*
 * memberdesk: the command line for administrators and staff. Each command
 * lives in its own cli_*.c file; this file only finds the configuration
 * and dispatches.
 */
#include <locale.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "classify.h"
#include "cli.h"
#include "config.h"
#include "db.h"
#include "inspect.h"
#include "log.h"
#include "report.h"

struct command {
	const char *name;
	int needs_config;
	int (*run)(int argc, char **argv, const struct md_config *cfg);
	const char *help;
};

static int cmd_init(int argc, char **argv, const struct md_config *cfg);
static int cmd_help(int argc, char **argv, const struct md_config *cfg);
static int cmd_inspect(int argc, char **argv, const struct md_config *cfg);

static const struct command commands[] = {
	{ "init", 1, cmd_init, "init                      create or upgrade the database" },
	{ "member", 1, cli_member,
	  "member import FILE.csv    import or update members\n"
	  "  member list               list members" },
	{ "case", 1, cli_case,
	  "case list                 list cases\n"
	  "  case show NUMBER          show a case with its messages and events" },
	{ "rules", 1, cli_rules,
	  "rules check [DIR]         check the classification rules\n"
	  "  rules test FILE.eml       show how a message would be classified, and why\n"
	  "  rules train               train the model from the labelled set" },
	{ "status", 1, cli_status,
	  "status [--json] [--imap]  is the daemon running, what is queued and due" },
	{ "report", 1, cli_report,
	  "report --month YYYY-MM | --quarter YYYY-Qn | --year YYYY\n"
	  "        [--format table|csv|html] [--lang zh|en] [-o FILE]\n"
	  "                            figures of a period for the leadership" },
	{ "inspect", 0, cmd_inspect,
	  "inspect [--json] FILE.eml show how memberdesk reads a message (stores nothing)" },
	{ "help", 0, cmd_help, "help                      this text" },
};

static void
usage(FILE *fp)
{
	size_t i;

	fprintf(fp, "usage: memberdesk [-c FILE] [-v] COMMAND [ARGS]\n\ncommands:\n");
	for (i = 0; i < sizeof(commands) / sizeof(commands[0]); i++)
		fprintf(fp, "  %s\n", commands[i].help);
	fprintf(fp, "\nThe configuration is read from -c FILE, $MEMBERDESK_CONF, or %s.\n",
	    config_default_path());
}

static int
cmd_help(int argc, char **argv, const struct md_config *cfg)
{
	(void)argc;
	(void)argv;
	(void)cfg;
	usage(stdout);
	return 0;
}

static int
cmd_inspect(int argc, char **argv, const struct md_config *cfg)
{
	return cli_inspect_with(argc, argv, cfg);
}

static int
cmd_init(int argc, char **argv, const struct md_config *cfg)
{
	struct db *db = NULL;
	enum md_err err;

	(void)argv;
	if (argc != 1) {
		fprintf(stderr, "usage: memberdesk init\n");
		return 2;
	}
	err = db_open(cfg->database, &db);
	if (err) {
		fprintf(stderr, "memberdesk: cannot open database %s: %s\n", cfg->database,
		    md_strerror(err));
		return 1;
	}
	db_close(db);
	printf("database ready: %s\n", cfg->database);
	return 0;
}

int
main(int argc, char **argv)
{
	const char *path = getenv("MEMBERDESK_CONF");
	const struct command *cmd = NULL;
	struct md_config *cfg = NULL;
	int i = 1, verbose = 0, status;
	size_t k;

	setlocale(LC_CTYPE, "");
	if (path == NULL || *path == '\0')
		path = config_default_path();
	for (; i < argc && argv[i][0] == '-'; i++) {
		if (strcmp(argv[i], "-c") == 0 && i + 1 < argc)
			path = argv[++i];
		else if (strcmp(argv[i], "-v") == 0)
			verbose++;
		else if (strcmp(argv[i], "-h") == 0 || strcmp(argv[i], "--help") == 0) {
			usage(stdout);
			return 0;
		} else {
			usage(stderr);
			return 2;
		}
	}
	if (i == argc) {
		usage(stderr);
		return 2;
	}
	for (k = 0; k < sizeof(commands) / sizeof(commands[0]); k++)
		if (strcmp(argv[i], commands[k].name) == 0)
			cmd = &commands[k];
	if (cmd == NULL) {
		fprintf(stderr, "memberdesk: unknown command \"%s\"\n\n", argv[i]);
		usage(stderr);
		return 2;
	}
	log_init("memberdesk", 1, verbose ? LOG_LEVEL_DEBUG : LOG_LEVEL_WARN);
	if (cmd->needs_config && config_load(path, stderr, &cfg) != MD_OK) {
		fprintf(stderr, "memberdesk: %s: configuration not usable\n", path);
		return 1;
	}
	/* Commands that work without one still use a readable configuration. */
	if (!cmd->needs_config && config_load(path, NULL, &cfg) != MD_OK)
		cfg = NULL;
	status = cmd->run(argc - i, argv + i, cfg);
	config_free(cfg);
	return status;
}
