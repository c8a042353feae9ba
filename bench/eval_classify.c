/*
 * Evaluate the shipped rules and model on tests/eval/requests.tsv: accuracy
 * per type with the confusion matrix, recall and precision per flag. Exits 1
 * below the targets (90% of types right, every legal-process request
 * flagged) so that `make check` notices a regression; -v lists the misses.
 *
 * usage: eval_classify [-v] [SRCDIR]   (default: $MD_TOP_SRCDIR or ".")
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "bayes.h"
#include "classify.h"

#define TARGET_ACCURACY		0.90
#define MAX_LINE		65536

static const char *const eval_flags[] = { "legal-process", "joint", "urgent" };
#define N_FLAGS (sizeof(eval_flags) / sizeof(eval_flags[0]))

struct tally {
	unsigned confusion[MD_TYPE_COUNT][MD_TYPE_COUNT];  /* [expected][got] */
	unsigned tp[N_FLAGS], fn[N_FLAGS], fp[N_FLAGS];
	unsigned total, right, by_rules, by_model, low_conf, model_right;
};

static int
has_flag(const char *list, const char *flag)
{
	size_t n = strlen(flag);
	const char *p = list;

	while ((p = strstr(p, flag)) != NULL) {
		if ((p == list || p[-1] == ',') && (p[n] == '\0' || p[n] == ','))
			return 1;
		p += n;
	}
	return 0;
}

static int
eval_line(struct tally *t, const struct ruleset *rules, const struct bayes *model,
    char **f, int verbose)
{
	struct message msg;
	struct classify_input in;
	struct classify_result *res;
	enum md_type want;
	size_t i;
	int got, miss = 0;

	if (md_type_parse(f[1], &want) != MD_OK) {
		fprintf(stderr, "eval: %s: unknown type %s\n", f[0], f[1]);
		return -1;
	}
	bayes_tsv_unescape(f[3]);
	bayes_tsv_unescape(f[4]);
	memset(&msg, 0, sizeof(msg));
	msg.subject = f[3];
	msg.text = f[4];
	msg.text_len = strlen(f[4]);
	msg.from_addr = (char *)"member@example.cn";
	msg.from_name = (char *)"";
	memset(&in, 0, sizeof(in));
	in.msg = &msg;
	in.is_member = 1;
	in.member_kind = "unit";
	if (classify(rules, model, NULL, &in, &res) != MD_OK) {
		fprintf(stderr, "eval: out of memory\n");
		return -1;
	}
	t->total++;
	t->confusion[want][res->type]++;
	if (res->type == want)
		t->right++;
	else
		miss = 1;
	if (res->type_from_rules)
		t->by_rules++;
	else if (rules_outcome_has_flag(&res->rules, CLASSIFY_FLAG_LOW_CONFIDENCE))
		t->low_conf++;
	else
		t->by_model++;
	if (res->have_scores && res->scores.best == want)
		t->model_right++;
	for (i = 0; i < N_FLAGS; i++) {
		int exp = has_flag(f[2], eval_flags[i]);

		got = rules_outcome_has_flag(&res->rules, eval_flags[i]);
		if (exp && got)
			t->tp[i]++;
		else if (exp) {
			t->fn[i]++;
			miss = 1;
		} else if (got) {
			t->fp[i]++;
			miss = 1;
		}
	}
	if (verbose && miss) {
		printf("MISS %s want %s [%s] got %s [", f[0], f[1], f[2],
		    md_type_name(res->type));
		for (i = 0; i < res->rules.n_flags; i++)
			printf("%s%s", i ? "," : "", res->rules.flags[i]);
		printf("] rules:");
		for (i = 0; i < res->rules.n_hits; i++)
			printf(" %s", res->rules.hits[i].name);
		printf(" model %s %.2f | %s\n", res->have_scores ?
		    md_type_name(res->scores.best) : "-", res->have_scores ?
		    res->scores.prob[res->scores.best] : 0.0, f[3]);
	}
	classify_result_free(res);
	return 0;
}

static void
report(const struct tally *t)
{
	unsigned row, c, g;

	printf("type accuracy: %u/%u = %.1f%% (rules decided %u, model %u, "
	    "low confidence -> other %u; model alone right on %u)\n", t->right, t->total,
	    100.0 * t->right / (t->total ? t->total : 1), t->by_rules, t->by_model,
	    t->low_conf, t->model_right);
	printf("%-11s %6s %8s   confusion (rows expected, columns got)\n", "type", "n",
	    "accuracy");
	printf("%-28s", "");
	for (g = 0; g < MD_TYPE_COUNT; g++)
		printf(" %10.10s", md_type_name((enum md_type)g));
	printf("\n");
	for (c = 0; c < MD_TYPE_COUNT; c++) {
		row = 0;
		for (g = 0; g < MD_TYPE_COUNT; g++)
			row += t->confusion[c][g];
		printf("%-11s %6u %7.1f%%  ", md_type_name((enum md_type)c), row,
		    100.0 * t->confusion[c][c] / (row ? row : 1));
		for (g = 0; g < MD_TYPE_COUNT; g++)
			printf(" %10u", t->confusion[c][g]);
		printf("\n");
	}
	for (c = 0; c < N_FLAGS; c++) {
		unsigned tp = t->tp[c], fn = t->fn[c], fp = t->fp[c];

		printf("flag %-14s recall %u/%u = %5.1f%%  precision %u/%u = %5.1f%%\n",
		    eval_flags[c], tp, tp + fn, 100.0 * tp / (tp + fn ? tp + fn : 1),
		    tp, tp + fp, 100.0 * tp / (tp + fp ? tp + fp : 1));
	}
}

int
main(int argc, char **argv)
{
	struct ruleset *rules = NULL;
	struct bayes *model = NULL;
	struct tally t;
	const char *srcdir;
	char path[4096], *line = NULL, *f[6];
	size_t cap = 0;
	FILE *fp = NULL;
	int ch, verbose = 0, rc = 1;

	while ((ch = getopt(argc, argv, "v")) != -1) {
		if (ch != 'v') {
			fprintf(stderr, "usage: eval_classify [-v] [SRCDIR]\n");
			return 2;
		}
		verbose = 1;
	}
	srcdir = optind < argc ? argv[optind] : getenv("MD_TOP_SRCDIR");
	if (srcdir == NULL)
		srcdir = ".";
	memset(&t, 0, sizeof(t));
	snprintf(path, sizeof(path), "%s/filters", srcdir);
	if (rules_load_dir(path, stderr, &rules) != MD_OK)
		goto out;
	snprintf(path, sizeof(path), "%s/filters/training.tsv", srcdir);
	if (bayes_new(&model) != MD_OK || bayes_train_tsv(model, path, stderr, NULL) != MD_OK)
		goto out;
	snprintf(path, sizeof(path), "%s/tests/eval/requests.tsv", srcdir);
	if ((fp = fopen(path, "r")) == NULL) {
		perror(path);
		goto out;
	}
	printf("rules: %zu in %zu files; model: %zu features\n", rules_count(rules),
	    rules_file_count(rules), bayes_vocabulary(model));
	while (getline(&line, &cap, fp) != -1) {
		if (line[0] == '#' || line[0] == '\n')
			continue;
		if (strlen(line) > MAX_LINE || bayes_tsv_split(line, f, 6) != 5) {
			fprintf(stderr, "eval: %s: bad line\n", path);
			goto out;
		}
		if (eval_line(&t, rules, model, f, verbose) == -1)
			goto out;
	}
	report(&t);
	if (t.total < 150)
		printf("FAIL: only %u evaluation requests\n", t.total);
	else if (t.right < TARGET_ACCURACY * t.total)
		printf("FAIL: type accuracy below %.0f%%\n", TARGET_ACCURACY * 100);
	else if (t.fn[0] != 0)
		printf("FAIL: a legal-process request was not flagged\n");
	else
		rc = 0;
 out:
	if (fp != NULL)
		fclose(fp);
	free(line);
	bayes_free(model);
	rules_free(rules);
	return rc;
}
