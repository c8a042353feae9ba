/*
 * libFuzzer harness for the rule-file parser, the rule evaluator, the model
 * loader and the subject similarity. The first byte picks the target so one
 * corpus covers all four; none of them may crash, leak or read out of bounds
 * whatever the bytes. Run: tests/fuzz/fuzz_rules [-max_len=65536] DIR...
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "bayes.h"
#include "classify.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const char fixed_rules[] =
    "rule a\n  text matches \"(多家|几家)(企业|公司)\" \"\\\\b(urgent|asap)\\\\b\"\n  flag joint\nend\n"
    "rule b\n  any\n    subject contains 仲裁\n    not\n      body starts-with x\n    end\n  end\n"
    "  type rights\n  tier major\nend\n"
    "rule c\n  header x-priority is 1\n  attachment ends-with .pdf\n  flag f\n  stop\nend\n";

static void
eval_text(const struct ruleset *set, const char *subject, const char *text, size_t len)
{
	struct message msg;
	struct message_header hdr = { (char *)"X-Priority", (char *)subject };
	struct message_attachment att;
	struct rules_outcome out;

	memset(&msg, 0, sizeof(msg));
	memset(&att, 0, sizeof(att));
	att.filename = (char *)subject;
	msg.subject = (char *)subject;
	msg.text = (char *)text;
	msg.text_len = len;
	msg.from_addr = (char *)"a@b.example";
	msg.headers = &hdr;
	msg.n_headers = 1;
	msg.attachments = &att;
	msg.n_attachments = 1;
	rules_eval(set, &msg, NULL, &out);
	rules_outcome_free(&out);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct ruleset *set;
	struct bayes *model;
	struct bayes_scores scores;
	char *s, *half;

	if (size < 1)
		return 0;
	if ((s = malloc(size)) == NULL)
		return 0;
	memcpy(s, data + 1, size - 1);
	s[size - 1] = '\0';
	switch (data[0] % 4) {
	case 0:
		if (rules_load_buffer("fuzz.rules", s, size - 1, NULL, &set) == MD_OK) {
			eval_text(set, "仲裁 urgent", "我们几家企业", strlen("我们几家企业"));
			rules_free(set);
		}
		break;
	case 1:
		if (rules_load_buffer("fixed.rules", fixed_rules, sizeof(fixed_rules) - 1,
		    NULL, &set) == MD_OK) {
			eval_text(set, s, s, size - 1);
			rules_free(set);
		}
		break;
	case 2:
		if (bayes_load(s, size - 1, &model) == MD_OK) {
			bayes_classify(model, "拖欠货款 tax", strlen("拖欠货款 tax"), &scores);
			bayes_free(model);
		}
		if (bayes_new(&model) == MD_OK) {
			bayes_train(model, MD_TYPE_RIGHTS, s, size - 1);
			bayes_classify(model, s, size - 1, &scores);
			bayes_free(model);
		}
		break;
	default:
		half = s + (size - 1) / 2;
		classify_subject_similarity(half, s);
		*half = '\0';
		classify_subject_similarity(s, half + ((size - 1) / 2 < size - 1 ? 1 : 0));
		break;
	}
	free(s);
	return 0;
}
