/*
 * memberdesk case ACTION: the same state machine as mail commands
 * (wf_perform), one transaction per invocation. The actor is
 * $MEMBERDESK_ACTOR (an address of configured staff gives notices their
 * signature) or the Unix user name.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <sys/stat.h>

#include "archive.h"
#include "calendar.h"
#include "cli.h"
#include "cli_util.h"
#include "cli_workflow.h"
#include "progress.h"
#include "workflow.h"

#define CLI_MAX_MERGE 64

struct action_usage {
	const char *name;
	const char *usage;
};

static const struct action_usage usages[] = {
	{ "accept", "accept NUMBER --tier simple|general|major" },
	{ "reject", "reject NUMBER --ground outside-remit|legal-process|no-basis|unlawful|other"
	    " --explanation TEXT [--channel TEXT]" },
	{ "type", "type NUMBER policy|rights|difficulty|suggestion|other" },
	{ "tier", "tier NUMBER simple|general|major" },
	{ "assign", "assign NUMBER STAFF-ADDRESS" },
	{ "note", "note NUMBER TEXT" },
	{ "progress", "progress NUMBER TEXT" },
	{ "extend", "extend NUMBER --days N --reason TEXT" },
	{ "resolve", "resolve NUMBER --method METHOD --result TEXT [--reason TEXT]" },
	{ "feedback", "feedback NUMBER satisfied|unsatisfied|1-5 [--reason TEXT]" },
	{ "merge", "merge JOINT-NUMBER NUMBER..." },
	{ "reopen", "reopen NUMBER --reason TEXT [--tier TIER]" },
	{ "close", "close NUMBER [--reason TEXT]" },
	{ "archive", "archive NUMBER" },
	{ "register", "register (--member ADDRESS | --name NAME) --channel "
	    "visit|meeting|walk-in|phone|online --subject S --text T [--type TYPE]" },
	{ "reply", "reply NUMBER TEXT" },
};

int
cli_case_is_action(const char *name)
{
	size_t i;

	for (i = 0; i < sizeof(usages) / sizeof(usages[0]); i++)
		if (strcmp(name, usages[i].name) == 0)
			return 1;
	return 0;
}

static int
usage(const char *name)
{
	size_t i;

	for (i = 0; i < sizeof(usages) / sizeof(usages[0]); i++)
		if (strcmp(name, usages[i].name) == 0)
			fprintf(stderr, "usage: memberdesk case %s\n", usages[i].usage);
	return 2;
}

/* The options every action may take; which ones it needs is checked by the workflow. */
struct opts {
	const char *pos[CLI_MAX_MERGE + 2];
	size_t npos;
	const char *tier, *ground, *explanation, *channel, *days, *reason, *method, *result,
	    *member, *name, *subject, *text, *type;
};

static int
parse_opts(int argc, char **argv, struct opts *o)
{
	static const char *const names[] = { "--tier", "--ground", "--explanation",
	    "--channel", "--days", "--reason", "--method", "--result", "--member", "--name",
	    "--subject", "--text", "--type" };
	const char **slots[] = { &o->tier, &o->ground, &o->explanation, &o->channel, &o->days,
	    &o->reason, &o->method, &o->result, &o->member, &o->name, &o->subject, &o->text,
	    &o->type };
	size_t k;
	int i;

	memset(o, 0, sizeof(*o));
	for (i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--") == 0) {
			/* Everything after "--" is positional, even text starting with "--". */
			for (i++; i < argc; i++) {
				if (o->npos == sizeof(o->pos) / sizeof(o->pos[0]))
					return -1;
				o->pos[o->npos++] = argv[i];
			}
			break;
		}
		if (strncmp(argv[i], "--", 2) != 0) {
			if (o->npos == sizeof(o->pos) / sizeof(o->pos[0]))
				return -1;
			o->pos[o->npos++] = argv[i];
			continue;
		}
		for (k = 0; k < sizeof(names) / sizeof(names[0]); k++)
			if (strcmp(argv[i], names[k]) == 0)
				break;
		if (k == sizeof(names) / sizeof(names[0]) || i + 1 >= argc)
			return -1;
		*slots[k] = argv[++i];
	}
	return 0;
}

static int
need_pos(const struct opts *o, size_t n)
{
	return o->npos == n;
}

/* Fill cmd from the options for action a; -1 for a usage error. */
static int
build(enum wf_action a, struct opts *o, struct wf_command *cmd)
{
	long n;

	memset(cmd, 0, sizeof(*cmd));
	cmd->action = a;
	if (a != WF_REGISTER) {
		if (o->npos < 1)
			return -1;
		cmd->case_number = o->pos[0];
	}
	switch (a) {
	case WF_ACCEPT:
		cmd->tier = o->tier;
		return need_pos(o, 1) && o->tier ? 0 : -1;
	case WF_REJECT:
		cmd->ground = o->ground;
		cmd->text = o->explanation;
		cmd->channel = o->channel;
		return need_pos(o, 1) && o->ground && o->explanation ? 0 : -1;
	case WF_SET_TYPE:
		cmd->type = o->npos == 2 ? o->pos[1] : NULL;
		return need_pos(o, 2) ? 0 : -1;
	case WF_SET_TIER:
		cmd->tier = o->npos == 2 ? o->pos[1] : NULL;
		return need_pos(o, 2) ? 0 : -1;
	case WF_ASSIGN:
		cmd->address = o->npos == 2 ? o->pos[1] : NULL;
		return need_pos(o, 2) ? 0 : -1;
	case WF_NOTE:
	case WF_PROGRESS:
	case WF_REPLY:
		cmd->text = o->npos == 2 ? o->pos[1] : o->text;
		return (o->npos == 2 || (o->npos == 1 && o->text)) ? 0 : -1;
	case WF_EXTEND:
		if (o->days == NULL || cli_parse_long(o->days, 1, 1000, &n) != MD_OK)
			return -1;
		cmd->days = (int)n;
		cmd->reason = o->reason;
		return need_pos(o, 1) && o->reason ? 0 : -1;
	case WF_RESOLVE:
		cmd->method = o->method;
		cmd->text = o->result;
		cmd->reason = o->reason;
		return need_pos(o, 1) && o->method && o->result ? 0 : -1;
	case WF_FEEDBACK:
		if (!need_pos(o, 2))
			return -1;
		cmd->reason = o->reason;
		if (strcmp(o->pos[1], "satisfied") == 0 || strcmp(o->pos[1], "满意") == 0)
			cmd->feedback = WF_FEEDBACK_SATISFIED;
		else if (strcmp(o->pos[1], "unsatisfied") == 0 ||
		    strcmp(o->pos[1], "不满意") == 0)
			cmd->feedback = WF_FEEDBACK_UNSATISFIED;
		else if (cli_parse_long(o->pos[1], 1, 5, &n) == MD_OK) {
			cmd->feedback = WF_FEEDBACK_SCORE;
			cmd->score = (int)n;
		} else
			return -1;
		return 0;
	case WF_MERGE:
		if (o->npos < 2)
			return -1;
		cmd->others = &o->pos[1];
		cmd->n_others = o->npos - 1;
		return 0;
	case WF_REOPEN:
		cmd->reason = o->reason;
		cmd->tier = o->tier;
		return need_pos(o, 1) && o->reason ? 0 : -1;
	case WF_CLOSE:
		cmd->reason = o->reason;
		return need_pos(o, 1) ? 0 : -1;
	case WF_ARCHIVE:
		return need_pos(o, 1) ? 0 : -1;
	case WF_REGISTER:
		cmd->address = o->member;
		cmd->name = o->name;
		cmd->channel = o->channel;
		cmd->subject = o->subject;
		cmd->text = o->text;
		cmd->type = o->type;
		return o->npos == 0 && (o->member || o->name) && o->channel && o->subject &&
		    o->text ? 0 : -1;
	}
	return -1;
}

/* $MEMBERDESK_ACTOR, else the Unix user; an address is recorded as one. */
static void
actor_from_env(struct wf_actor *a, char *buf, size_t len)
{
	const char *env = getenv("MEMBERDESK_ACTOR");
	struct passwd *pw;

	memset(a, 0, sizeof(*a));
	a->via = WF_VIA_CLI;
	if (env && *env)
		snprintf(buf, len, "%s", env);
	else if ((pw = getpwuid(getuid())) != NULL)
		snprintf(buf, len, "%s", pw->pw_name);
	else
		snprintf(buf, len, "uid %ld", (long)getuid());
	if (strchr(buf, '@'))
		a->address = buf;
	a->name = buf;
}

int
cli_case_action(int argc, char **argv, struct db *db, const struct md_config *cfg)
{
	struct calendar *cal = NULL;
	struct wf_command cmd;
	struct wf_result res;
	struct wf_actor actor;
	struct wf_env env;
	struct opts o;
	struct buf out;
	enum wf_action a;
	enum md_err err;
	char who[256], *line;
	time_t now;

	if (wf_action_from_name(argv[0], &a) != MD_OK)
		return 2;
	if (parse_opts(argc, argv, &o) != 0 || build(a, &o, &cmd) != 0)
		return usage(argv[0]);
	if ((now = cli_now(cfg->timezone)) == (time_t)-1)
		return 2;
	/* Without a calendar deadlines count weekends only; say so, but go on. */
	if (calendar_load_dir(cfg->calendar_dir, stderr, &cal) != MD_OK) {
		fprintf(stderr, "memberdesk: warning: calendar %s not usable; counting weekends "
		    "only\n", cfg->calendar_dir);
		cal = NULL;
	}
	actor_from_env(&actor, who, sizeof(who));
	env.cfg = cfg;
	env.db = db;
	env.cal = cal;
	buf_init(&out, 65536);
	err = db_begin(db);
	if (err == MD_OK) {
		err = wf_perform(&env, &actor, &cmd, now, &res, &out);
		if (err == MD_OK)
			err = db_commit(db);
		if (err)
			db_rollback(db);
	}
	line = cli_sanitize(out.data ? out.data : "", 0);
	if (err == MD_OK)
		printf("%s\n", line ? line : "");
	else if (out.len)
		fprintf(stderr, "%s\n", line ? line : "");
	else
		fprintf(stderr, "memberdesk: %s: %s%s%s\n", argv[0], md_strerror(err),
		    db_errmsg(db)[0] ? ": " : "", db_errmsg(db));
	free(line);
	buf_free(&out);
	calendar_free(cal);
	return err == MD_OK ? 0 : 1;
}

/* Write one case's record to path, private like the database. */
static enum md_err
export_to_file(struct db *db, const struct md_config *cfg, const struct case_record *c,
    const char *path, const char *dir, size_t *natt)
{
	enum md_err err;
	FILE *fp;
	int fd;

	fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	if (fd == -1 || (fp = fdopen(fd, "w")) == NULL) {
		fprintf(stderr, "memberdesk: %s: %s\n", path, strerror(errno));
		if (fd != -1)
			close(fd);
		return MD_ERR_IO;
	}
	err = archive_export_html(db, cfg, c->id, fp, dir, natt);
	if (fclose(fp) != 0 && err == MD_OK)
		err = MD_ERR_IO;
	if (err) {
		fprintf(stderr, "memberdesk: export of %s failed: %s\n", c->number,
		    md_strerror(err));
		unlink(path);
	}
	return err;
}

/*
 * case export --all -d DIR [--status S] [--year N]: every matching case to
 * DIR/NUMBER.html, with a progress line on a terminal. Attachments are
 * listed, not written out (one directory per case would be needed).
 */
static int
export_all(int argc, char **argv, struct db *db, const struct md_config *cfg)
{
	struct case_filter filter;
	struct case_record *v = NULL;
	struct progress *prog = NULL;
	const char *dir = NULL;
	char path[PATH_MAX];
	size_t n = 0, i, natt, done = 0;
	enum md_err err;
	long year;
	int k;

	memset(&filter, 0, sizeof(filter));
	for (k = 1; k < argc; k++) {
		if (strcmp(argv[k], "--all") == 0)
			continue;
		if (strcmp(argv[k], "-d") == 0 && k + 1 < argc)
			dir = argv[++k];
		else if (strcmp(argv[k], "--status") == 0 && k + 1 < argc)
			filter.status = argv[++k];
		else if (strcmp(argv[k], "--year") == 0 && k + 1 < argc &&
		    cli_parse_long(argv[k + 1], 1970, 9999, &year) == MD_OK) {
			filter.year = (int)year;
			k++;
		}
		else
			dir = NULL, k = argc;
	}
	if (dir == NULL) {
		fprintf(stderr, "usage: memberdesk case export --all -d DIR [--status S] "
		    "[--year N]\n");
		return 2;
	}
	if (mkdir(dir, 0700) != 0 && errno != EEXIST) {
		fprintf(stderr, "memberdesk: %s: %s\n", dir, strerror(errno));
		return 1;
	}
	err = case_list(db, &filter, &v, &n);
	if (err) {
		fprintf(stderr, "memberdesk: cannot list cases: %s\n", md_strerror(err));
		return 1;
	}
	if (progress_new(stderr, "export", NULL, &prog) != MD_OK)
		prog = NULL;
	for (i = 0; i < n && err == MD_OK; i++) {
		snprintf(path, sizeof(path), "%s/%s.html", dir, v[i].number);
		err = export_to_file(db, cfg, &v[i], path, NULL, &natt);
		if (err == MD_OK)
			done++;
		progress_update(prog, i + 1, n);
	}
	progress_finish(prog);
	case_list_free(v, n);
	fprintf(stderr, "%zu case%s exported to %s\n", done, done == 1 ? "" : "s", dir);
	return err ? 1 : 0;
}

int
cli_case_export(int argc, char **argv, struct db *db, const struct md_config *cfg)
{
	struct case_record *c = NULL;
	const char *path = NULL, *dir = NULL, *number = NULL;
	size_t natt = 0;
	enum md_err err;
	int i;

	for (i = 1; i < argc; i++)
		if (strcmp(argv[i], "--all") == 0)
			return export_all(argc, argv, db, cfg);
	for (i = 1; i < argc; i++) {
		if (strcmp(argv[i], "-o") == 0 && i + 1 < argc)
			path = argv[++i];
		else if (strcmp(argv[i], "--attachments") == 0 && i + 1 < argc)
			dir = argv[++i];
		else if (number == NULL && argv[i][0] != '-')
			number = argv[i];
		else
			number = NULL, i = argc;
	}
	if (number == NULL) {
		fprintf(stderr, "usage: memberdesk case export NUMBER [-o FILE.html] "
		    "[--attachments DIR]\n"
		    "       memberdesk case export --all -d DIR [--status S] [--year N]\n");
		return 2;
	}
	err = case_find_by_number(db, number, &c);
	if (err) {
		char *s = cli_sanitize(number, 0);

		fprintf(stderr, "memberdesk: %s %s\n", err == MD_ERR_NOTFOUND ? "no case" :
		    "cannot read case", s ? s : "");
		free(s);
		return 1;
	}
	if (path) {
		err = export_to_file(db, cfg, c, path, dir, &natt);
	} else {
		err = archive_export_html(db, cfg, c->id, stdout, dir, &natt);
		if (err)
			fprintf(stderr, "memberdesk: export of %s failed: %s\n", c->number,
			    md_strerror(err));
	}
	if (err == MD_OK && path)
		fprintf(stderr, "%s: %s (%zu attachment%s listed%s)\n", c->number, path, natt,
		    natt == 1 ? "" : "s", dir ? ", written out" : "");
	case_record_free(c);
	return err ? 1 : 0;
}
