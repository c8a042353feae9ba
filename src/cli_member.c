/*
 * memberdesk member import / member list.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "buf.h"
#include "cli.h"
#include "config.h"
#include "db.h"
#include "member.h"
#include "progress.h"

static int
zh(const struct md_config *cfg)
{
	return cfg->language == NULL || strcmp(cfg->language, "en") != 0;
}

static int
member_import_cmd(int argc, char **argv, struct db *db, const struct md_config *cfg)
{
	struct member_import_result res;
	struct progress *pg = NULL;
	FILE *errs = stderr;
	char *etext = NULL;
	size_t elen = 0;
	enum md_err err;

	if (argc != 2) {
		fprintf(stderr, "usage: memberdesk member import FILE.csv\n");
		return 2;
	}
	/*
	 * Progress goes to stderr on a terminal only. Row errors would break
	 * into its line, so they are held back until it is erased.
	 */
	(void)progress_new(stderr, zh(cfg) ? "导入" : "import", NULL, &pg);
	if (pg && (errs = open_memstream(&etext, &elen)) == NULL)
		errs = stderr;
	err = member_import_csv_progress(db, argv[1], time(NULL), errs, progress_callback,
	    pg, &res);
	progress_finish(pg);
	if (errs != stderr) {
		fclose(errs);
		if (etext)
			fputs(etext, stderr);
		free(etext);
	}
	if (err) {
		fprintf(stderr, "memberdesk: %s: import failed: %s%s%s\n", argv[1],
		    md_strerror(err), err == MD_ERR_DB || err == MD_ERR_TEMP ? ": " : "",
		    err == MD_ERR_DB || err == MD_ERR_TEMP ? db_errmsg(db) : "");
		return 1;
	}
	if (zh(cfg))
		printf("新增 %zu，更新 %zu，跳过 %zu\n", res.imported, res.updated, res.skipped);
	else
		printf("imported %zu, updated %zu, skipped %zu\n", res.imported, res.updated,
		    res.skipped);
	return res.skipped ? 1 : 0;
}

static int
member_list_cmd(int argc, char **argv, struct db *db, const struct md_config *cfg)
{
	static const char *const head_zh[] = { "编号", "类型", "姓名", "单位", "电话", "邮箱" };
	static const char *const head_en[] = { "ID", "KIND", "NAME", "UNIT", "PHONE",
	    "ADDRESSES" };
	struct member *v = NULL;
	struct cli_table *t = NULL;
	struct buf addrs;
	const char *cells[6];
	char id[32];
	enum md_err err;
	size_t n = 0, i, k;

	(void)argv;
	if (argc != 1) {
		fprintf(stderr, "usage: memberdesk member list\n");
		return 2;
	}
	buf_init(&addrs, 64 * 1024);
	err = member_list(db, &v, &n);
	if (err == MD_OK)
		err = cli_table_new(6, zh(cfg) ? head_zh : head_en, &t);
	for (i = 0; i < n && err == MD_OK; i++) {
		buf_reset(&addrs);
		for (k = 0; k < v[i].n_addresses && err == MD_OK; k++)
			err = buf_printf(&addrs, "%s%s", k ? ", " : "", v[i].addresses[k]);
		if (err)
			break;
		snprintf(id, sizeof(id), "%lld", (long long)v[i].id);
		cells[0] = id;
		cells[1] = v[i].kind == MEMBER_UNIT ? (zh(cfg) ? "单位" : "unit") :
		    (zh(cfg) ? "个人" : "individual");
		cells[2] = v[i].name;
		cells[3] = v[i].unit_name;
		cells[4] = v[i].phone;
		cells[5] = addrs.data ? addrs.data : "";
		err = cli_table_add(t, cells);
	}
	if (err == MD_OK)
		cli_table_print(t, stdout, 60);
	fflush(stdout);
	cli_table_free(t);
	buf_free(&addrs);
	member_list_free(v, n);
	if (err) {
		fprintf(stderr, "memberdesk: cannot list members: %s\n", md_strerror(err));
		return 1;
	}
	return 0;
}

int
cli_member(int argc, char **argv, const struct md_config *cfg)
{
	struct db *db = NULL;
	enum md_err err;
	int status;

	if (argc < 2 || (strcmp(argv[1], "import") && strcmp(argv[1], "list"))) {
		fprintf(stderr, "usage: memberdesk member import FILE.csv\n"
		    "       memberdesk member list\n");
		return 2;
	}
	err = db_open(cfg->database, &db);
	if (err) {
		fprintf(stderr, "memberdesk: cannot open database %s: %s\n", cfg->database,
		    md_strerror(err));
		return 1;
	}
	if (strcmp(argv[1], "import") == 0)
		status = member_import_cmd(argc - 1, argv + 1, db, cfg);
	else
		status = member_list_cmd(argc - 1, argv + 1, db, cfg);
	db_close(db);
	return status;
}
