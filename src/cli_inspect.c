#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "autodetect.h"
#include "config.h"
#include "inspect.h"
#include "message.h"
#include "thread.h"
#include "triage.h"

static const struct {
	unsigned flag;
	const char *name;
} flag_names[] = {
	{ MESSAGE_TEXT_FROM_HTML, "text-from-html" },
	{ MESSAGE_TRUNCATED, "truncated" },
	{ MESSAGE_MALFORMED, "malformed" },
	{ MESSAGE_CHARSET_ERRORS, "charset-errors" },
};

/*
 * Threading as inspect can see it: no database, so by the subject tag only
 * (via "tag"), with the configured case prefix or "MD".
 */
static json_t *
thread_json(const struct message *m, const struct md_config *cfg)
{
	struct md_config fallback;
	struct thread_result res;

	if (cfg == NULL) {
		memset(&fallback, 0, sizeof(fallback));
		fallback.case_prefix = "MD";
		cfg = &fallback;
	}
	if (thread_find(cfg, NULL, m, &res) != MD_OK)
		memset(&res, 0, sizeof(res));
	return thread_result_json(&res);
}

/*
 * Classification as intake would propose it for a new request, with the
 * configured rules (or the installed ones). Without a database there is
 * no history, so no possible-duplicate flag and no staff corrections.
 */
static json_t *
classification_json(const struct message *m, const struct md_config *cfg)
{
	struct md_config fallback;
	struct classify_result *cr = NULL;
	struct triage *t = NULL;
	json_t *j = NULL;

	if (cfg == NULL) {
		memset(&fallback, 0, sizeof(fallback));
		fallback.filter_dir = (char *)MD_SYSCONFDIR "/memberdesk/filters";
		fallback.duplicate_window_days = 14;
		cfg = &fallback;
	}
	if (triage_load(cfg, NULL, stderr, &t) != MD_OK)
		return NULL;
	if (triage_classify(t, cfg, NULL, m, NULL, time(NULL), &cr) == MD_OK)
		j = classify_result_json(cr);
	classify_result_free(cr);
	triage_free(t);
	return j;
}

/*
 * The automatic-mail verdict exactly as intake would reach it: the loop
 * domain and our own address come from the configuration when it can be
 * read, so our own notices coming back show as "loop" here too.
 */
static json_t *
automatic_json(const struct message *m, const char *raw, size_t len,
    const struct md_config *cfg)
{
	struct autodetect_config ac;
	struct auto_verdict v;
	const char *own[1];
	json_t *j = NULL;

	autodetect_config_default(&ac);
	if (cfg) {
		ac.loop_domain = cfg->message_id_domain;
		own[0] = cfg->smtp_from;
		ac.own_addresses = own;
		ac.n_own_addresses = 1;
	}
	if (autodetect_check(m, raw, len, &ac, &v) == MD_OK)
		j = autodetect_verdict_json(&v);
	autodetect_verdict_free(&v);
	return j;
}

static void
usage(void)
{
	fprintf(stderr, "usage: memberdesk inspect [--json] FILE.eml\n");
}

static void
print_summary(FILE *fp, const struct message *m)
{
	struct tm tm;
	char date[32] = "(none)";
	size_t i;
	int any = 0;

	if (m->date != 0 && gmtime_r(&m->date, &tm) != NULL)
		strftime(date, sizeof(date), "%Y-%m-%dT%H:%M:%SZ", &tm);
	fprintf(fp, "Subject:      %s\n", m->subject);
	if (m->from_addr != NULL)
		fprintf(fp, "From:         %s%s<%s>\n", m->from_name,
		    *m->from_name ? " " : "", m->from_addr);
	else
		fprintf(fp, "From:         %s (no usable address)\n", m->from_name);
	fprintf(fp, "Date:         %s\n", date);
	fprintf(fp, "Message-ID:   %s\n", m->message_id ? m->message_id : "(none)");
	fprintf(fp, "Content-Type: %s\n", m->content_type ? m->content_type : "text/plain");
	fprintf(fp, "Flags:       ");
	for (i = 0; i < sizeof(flag_names) / sizeof(flag_names[0]); i++)
		if (m->flags & flag_names[i].flag) {
			fprintf(fp, " %s", flag_names[i].name);
			any = 1;
		}
	fprintf(fp, "%s\n", any ? "" : " (none)");
	fprintf(fp, "Attachments:  %zu\n", m->n_attachments);
	for (i = 0; i < m->n_attachments; i++)
		fprintf(fp, "  %zu. %s (%s, %zu bytes%s)\n", i + 1,
		    *m->attachments[i].filename ? m->attachments[i].filename : "(no name)",
		    m->attachments[i].content_type, m->attachments[i].size,
		    m->attachments[i].data ? "" : ", not kept");
	if (m->n_warnings > 0) {
		fprintf(fp, "Warnings:\n");
		for (i = 0; i < m->n_warnings; i++)
			fprintf(fp, "  - %s\n", m->warnings[i]);
	}
	fprintf(fp, "\n%s", m->text);
	if (m->text_len > 0 && m->text[m->text_len - 1] != '\n')
		fputc('\n', fp);
}

int
cli_inspect(int argc, char **argv)
{
	return cli_inspect_with(argc, argv, NULL);
}

int
cli_inspect_with(int argc, char **argv, const struct md_config *cfg)
{
	struct message_limits lim;
	struct message *m = NULL;
	const char *path = NULL;
	char *data = NULL, *js;
	size_t len;
	json_t *j;
	enum md_err err;
	int i, json = 0, rc = 1;

	for (i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--json") == 0 || strcmp(argv[i], "-j") == 0)
			json = 1;
		else if (strcmp(argv[i], "--") == 0) {
			i++;
			break;
		} else if (argv[i][0] == '-' && argv[i][1] != '\0') {
			usage();
			return 2;
		} else
			break;
	}
	if (i != argc - 1) {
		usage();
		return 2;
	}
	path = argv[i];
	message_limits_default(&lim);
	err = inspect_read_file(path, lim.max_message_size, &data, &len);
	if (err == MD_ERR_IO) {
		fprintf(stderr, "memberdesk inspect: %s: %s\n", path, strerror(errno));
		return 1;
	}
	if (err == MD_ERR_LIMIT) {
		fprintf(stderr, "memberdesk inspect: %s: larger than the %zu byte message limit\n",
		    path, lim.max_message_size);
		return 1;
	}
	if (err) {
		fprintf(stderr, "memberdesk inspect: %s: %s\n", path, md_strerror(err));
		return 1;
	}
	if ((err = message_parse(data, len, &lim, &m))) {
		fprintf(stderr, "memberdesk inspect: %s: %s\n", path, md_strerror(err));
		goto out;
	}
	if (json) {
		if ((j = inspect_message_json(m)) == NULL) {
			fprintf(stderr, "memberdesk inspect: out of memory\n");
			goto out;
		}
		if (json_object_set_new(j, "automatic", automatic_json(m, data, len, cfg)) != 0 ||
		    json_object_set_new(j, "thread", thread_json(m, cfg)) != 0 ||
		    json_object_set_new(j, "classification", classification_json(m, cfg)) != 0) {
			json_decref(j);
			fprintf(stderr, "memberdesk inspect: out of memory\n");
			goto out;
		}
		js = json_dumps(j, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
		json_decref(j);
		if (js == NULL) {
			fprintf(stderr, "memberdesk inspect: out of memory\n");
			goto out;
		}
		printf("%s\n", js);
		free(js);
	} else
		print_summary(stdout, m);
	if (fflush(stdout) != 0) {
		fprintf(stderr, "memberdesk inspect: stdout: %s\n", strerror(errno));
		goto out;
	}
	rc = 0;
 out:
	message_free(m);
	free(data);
	return rc;
}
