/*
 * `memberdesk rules check|test|train`: what an administrator runs after
 * editing filters/ and before sending the daemon SIGHUP.
 */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "buf.h"
#include "classify.h"

#define CLI_MAX_MESSAGE		(25 * 1024 * 1024)
#define CLI_MAX_MODEL		(256 * 1024 * 1024)

static void
usage(void)
{
	fprintf(stderr,
	    "usage: memberdesk rules check [DIR]\n"
	    "       memberdesk rules test [-d DIR] [-m MODEL | -t TSV] [-k unit|individual] "
	    "[--json] MESSAGE.eml\n"
	    "       memberdesk rules train [-d DIR | -t TSV] [-o MODEL]\n");
}

static const char *
filter_dir(const struct md_config *cfg, const char *dir)
{
	if (dir != NULL)
		return dir;
	if (cfg != NULL && cfg->filter_dir != NULL && cfg->filter_dir[0] != '\0')
		return cfg->filter_dir;
	return MD_PKGDATADIR "/filters";
}

static enum md_err
slurp(const char *path, size_t limit, struct buf *b)
{
	char chunk[65536];
	FILE *fp;
	size_t n;
	enum md_err r = MD_OK;

	buf_init(b, limit);
	if ((fp = fopen(path, "rb")) == NULL) {
		fprintf(stderr, "memberdesk: %s: %s\n", path, strerror(errno));
		return MD_ERR_IO;
	}
	while ((n = fread(chunk, 1, sizeof(chunk), fp)) > 0)
		if ((r = buf_append(b, chunk, n)) != MD_OK)
			break;
	if (r == MD_OK && ferror(fp))
		r = MD_ERR_IO;
	fclose(fp);
	if (r != MD_OK)
		fprintf(stderr, "memberdesk: %s: %s\n", path, md_strerror(r));
	return r;
}

static int
cmd_check(int argc, char **argv, const struct md_config *cfg)
{
	struct ruleset *set;
	const char *dir;
	enum md_err r;

	if (argc > 2) {
		usage();
		return 2;
	}
	dir = filter_dir(cfg, argc == 2 ? argv[1] : NULL);
	if ((r = rules_load_dir(dir, stderr, &set)) != MD_OK) {
		fprintf(stderr, "memberdesk: rules in %s not loaded: %s\n", dir, md_strerror(r));
		return 1;
	}
	printf("rules OK (%zu rules in %zu files)\n", rules_count(set), rules_file_count(set));
	rules_free(set);
	return 0;
}

/* Build a model from tsv (default: training.tsv next to the rules). */
static int
train_model(const char *tsv, const char *dir, struct bayes **out)
{
	struct buf path;
	size_t n;
	enum md_err r;

	buf_init(&path, 4096);
	if (tsv == NULL) {
		if (buf_printf(&path, "%s/training.tsv", dir) != MD_OK) {
			buf_free(&path);
			return -1;
		}
		tsv = path.data;
	}
	if (bayes_new(out) != MD_OK) {
		buf_free(&path);
		return -1;
	}
	r = bayes_train_tsv(*out, tsv, stderr, &n);
	if (r != MD_OK)
		fprintf(stderr, "memberdesk: %s: %s (%zu examples used)\n", tsv,
		    md_strerror(r), n);
	buf_free(&path);
	if (r != MD_OK) {
		bayes_free(*out);
		*out = NULL;
		return -1;
	}
	return 0;
}

static int
write_model(const struct bayes *model, const char *out)
{
	struct buf blob, tmp;
	FILE *fp = NULL;
	int rc = -1;

	buf_init(&blob, CLI_MAX_MODEL);
	buf_init(&tmp, 4096);
	if (bayes_save(model, &blob) != MD_OK || buf_printf(&tmp, "%s.tmp", out) != MD_OK) {
		fprintf(stderr, "memberdesk: cannot serialise the model\n");
		goto done;
	}
	/* Write aside and rename so a reader never sees half a model. */
	if ((fp = fopen(tmp.data, "wb")) == NULL ||
	    fwrite(blob.data, 1, blob.len, fp) != blob.len || fflush(fp) != 0 ||
	    fsync(fileno(fp)) != 0) {
		fprintf(stderr, "memberdesk: %s: %s\n", tmp.data, strerror(errno));
		goto done;
	}
	if (fclose(fp) != 0 || rename(tmp.data, out) != 0) {
		fp = NULL;
		fprintf(stderr, "memberdesk: %s: %s\n", out, strerror(errno));
		goto done;
	}
	fp = NULL;
	printf("model written to %s (%zu bytes)\n", out, blob.len);
	rc = 0;
 done:
	if (fp != NULL)
		fclose(fp);
	if (rc != 0 && tmp.data != NULL)
		unlink(tmp.data);
	buf_free(&blob);
	buf_free(&tmp);
	return rc;
}

static int
cmd_train(int argc, char **argv, const struct md_config *cfg)
{
	struct bayes *model;
	const char *tsv = NULL, *out = NULL, *dir = NULL;
	int ch, c, rc;

	optind = 0;
	while ((ch = getopt(argc, argv, "t:o:d:")) != -1) {
		switch (ch) {
		case 't': tsv = optarg; break;
		case 'o': out = optarg; break;
		case 'd': dir = optarg; break;
		default: usage(); return 2;
		}
	}
	if (optind != argc) {
		usage();
		return 2;
	}
	if (train_model(tsv, filter_dir(cfg, dir), &model) == -1)
		return 1;
	printf("trained on");
	for (c = 0; c < MD_TYPE_COUNT; c++)
		printf("%s %zu %s", c ? "," : "", bayes_examples(model, (enum md_type)c),
		    md_type_name((enum md_type)c));
	printf(" examples; %zu features\n", bayes_vocabulary(model));
	rc = out != NULL ? write_model(model, out) : 0;
	bayes_free(model);
	return rc == 0 ? 0 : 1;
}

static void
print_result(const struct classify_result *res)
{
	const struct rules_outcome *o = &res->rules;
	const char *tier = md_tier_name(res->tier_hint);
	size_t i;
	int c;

	printf("type:       %s (%s)", md_type_name(res->type), md_type_label_zh(res->type));
	if (res->type_from_rules)
		printf(" by rule %s\n", o->hits[o->type_hit].name);
	else if (res->have_scores && res->type == res->scores.best)
		printf(" by the statistical model\n");
	else
		printf(" (nothing decided)\n");
	printf("tier hint:  %s\n", tier ? tier : "-");
	printf("flags:     ");
	for (i = 0; i < o->n_flags; i++)
		printf(" %s", o->flags[i]);
	printf("%s\n", o->n_flags ? "" : " -");
	if (o->assignee)
		printf("assignee:   %s\n", o->assignee);
	if (o->group)
		printf("group:      %s\n", o->group);
	if (o->language)
		printf("language:   %s\n", o->language);
	printf("confidence: %.3f\n", res->confidence);
	printf("rules fired:%s\n", o->n_hits ? "" : " none");
	for (i = 0; i < o->n_hits; i++)
		printf("  %s (%s:%u): %s\n", o->hits[i].name, o->hits[i].file,
		    o->hits[i].line, o->hits[i].reason);
	if (o->stopped)
		printf("  (stopped by the last rule)\n");
	if (res->have_scores) {
		printf("model:     ");
		for (c = 0; c < MD_TYPE_COUNT; c++)
			printf(" %s %.3f", md_type_name((enum md_type)c), res->scores.prob[c]);
		printf(" (%zu known features)\n", res->scores.n_features);
	} else {
		printf("model:      no opinion\n");
	}
}

static int
cmd_test(int argc, char **argv, const struct md_config *cfg)
{
	static const struct option longopts[] = {
		{ "json", no_argument, NULL, 'j' },
		{ NULL, 0, NULL, 0 }
	};
	struct ruleset *set = NULL;
	struct bayes *model = NULL;
	struct message *msg = NULL;
	struct classify_result *res = NULL;
	struct classify_input in;
	struct buf raw, blob;
	const char *dir = NULL, *mpath = NULL, *tsv = NULL, *kind = NULL;
	char *text;
	json_t *js;
	int ch, json = 0, rc = 1;

	buf_init(&raw, CLI_MAX_MESSAGE);
	buf_init(&blob, CLI_MAX_MODEL);
	optind = 0;
	while ((ch = getopt_long(argc, argv, "d:m:t:k:", longopts, NULL)) != -1) {
		switch (ch) {
		case 'd': dir = optarg; break;
		case 'm': mpath = optarg; break;
		case 't': tsv = optarg; break;
		case 'k': kind = optarg; break;
		case 'j': json = 1; break;
		default: usage(); return 2;
		}
	}
	if (optind + 1 != argc || (mpath && tsv) || (kind && strcmp(kind, "unit") != 0 &&
	    strcmp(kind, "individual") != 0)) {
		usage();
		return 2;
	}
	dir = filter_dir(cfg, dir);
	if (rules_load_dir(dir, stderr, &set) != MD_OK) {
		fprintf(stderr, "memberdesk: rules in %s not loaded\n", dir);
		goto out;
	}
	if (mpath != NULL) {
		if (slurp(mpath, CLI_MAX_MODEL, &blob) != MD_OK)
			goto out;
		if (bayes_load(blob.data, blob.len, &model) != MD_OK) {
			fprintf(stderr, "memberdesk: %s: not a usable model\n", mpath);
			goto out;
		}
	} else if (train_model(tsv, dir, &model) == -1) {
		goto out;
	}
	if (slurp(argv[optind], CLI_MAX_MESSAGE, &raw) != MD_OK)
		goto out;
	if (message_parse(raw.data ? raw.data : "", raw.len, NULL, &msg) != MD_OK) {
		fprintf(stderr, "memberdesk: %s: cannot parse the message\n", argv[optind]);
		goto out;
	}
	memset(&in, 0, sizeof(in));
	in.msg = msg;
	in.is_member = kind != NULL;
	in.member_kind = kind;
	if (classify(set, model, NULL, &in, &res) != MD_OK) {
		fprintf(stderr, "memberdesk: out of memory\n");
		goto out;
	}
	if (json) {
		if ((js = classify_result_json(res)) == NULL ||
		    (text = json_dumps(js, JSON_INDENT(2) | JSON_REAL_PRECISION(3))) == NULL) {
			json_decref(js);
			goto out;
		}
		printf("%s\n", text);
		free(text);
		json_decref(js);
	} else {
		print_result(res);
	}
	rc = 0;
 out:
	classify_result_free(res);
	if (msg != NULL)
		message_free(msg);
	bayes_free(model);
	rules_free(set);
	buf_free(&raw);
	buf_free(&blob);
	return rc;
}

int
cli_rules(int argc, char **argv, const struct md_config *cfg)
{
	if (argc < 2) {
		usage();
		return 2;
	}
	if (strcmp(argv[1], "check") == 0)
		return cmd_check(argc - 1, argv + 1, cfg);
	if (strcmp(argv[1], "test") == 0)
		return cmd_test(argc - 1, argv + 1, cfg);
	if (strcmp(argv[1], "train") == 0)
		return cmd_train(argc - 1, argv + 1, cfg);
	usage();
	return 2;
}
