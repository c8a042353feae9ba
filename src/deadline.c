#include <string.h>

#include "deadline.h"

static const struct {
	const char *name;
	int workdays;
	int article;
} kinds[DEADLINE_KIND_COUNT] = {
	[DEADLINE_REVIEW] = { "review", DEADLINE_REVIEW_WORKDAYS, 9 },
	[DEADLINE_SIMPLE] = { "simple", DEADLINE_SIMPLE_WORKDAYS, 11 },
	[DEADLINE_GENERAL] = { "general", DEADLINE_GENERAL_WORKDAYS, 11 },
	[DEADLINE_MAJOR] = { "major", DEADLINE_MAJOR_WORKDAYS, 11 },
	[DEADLINE_RESULT_NOTICE] = { "result_notice", DEADLINE_RESULT_NOTICE_WORKDAYS, 15 },
	[DEADLINE_REHANDLING] = { "rehandling", DEADLINE_REHANDLING_WORKDAYS, 16 },
};

/* The enum may hold any int when it comes from storage; check before indexing. */
static int
kind_ok(enum deadline_kind kind)
{
	return (int)kind >= 0 && (int)kind < DEADLINE_KIND_COUNT;
}

int
deadline_workdays(enum deadline_kind kind)
{
	return kind_ok(kind) ? kinds[kind].workdays : -1;
}

int
deadline_article(enum deadline_kind kind)
{
	return kind_ok(kind) ? kinds[kind].article : -1;
}

const char *
deadline_kind_name(enum deadline_kind kind)
{
	return kind_ok(kind) ? kinds[kind].name : "unknown";
}

enum md_err
deadline_kind_from_name(const char *name, enum deadline_kind *out)
{
	int i;

	for (i = 0; i < DEADLINE_KIND_COUNT; i++) {
		if (strcmp(name, kinds[i].name) == 0) {
			*out = (enum deadline_kind)i;
			return MD_OK;
		}
	}
	return MD_ERR_NOTFOUND;
}

enum md_err
deadline_due(const struct calendar *cal, const char *tz, enum deadline_kind kind,
    time_t from, time_t *due, int *uncovered)
{
	if (!kind_ok(kind))
		return MD_ERR_INPUT;
	return calendar_add_workdays(cal, tz, from, kinds[kind].workdays, due, uncovered);
}

enum md_err
deadline_extend(const struct calendar *cal, const char *tz, time_t due, int n,
    time_t *new_due, int *uncovered)
{
	return calendar_add_workdays(cal, tz, due, n, new_due, uncovered);
}

enum md_err
deadline_format(time_t due, const char *tz, const char *lang, struct buf *out)
{
	static const char *const wday_zh[] = { "星期日", "星期一", "星期二", "星期三",
	    "星期四", "星期五", "星期六" };
	static const char *const wday_en[] = { "Sunday", "Monday", "Tuesday",
	    "Wednesday", "Thursday", "Friday", "Saturday" };
	static const char *const month_en[] = { "January", "February", "March",
	    "April", "May", "June", "July", "August", "September", "October",
	    "November", "December" };
	struct calendar_date d;
	enum md_err err;

	if (lang == NULL || *lang == '\0')
		lang = "zh";
	if (strcmp(lang, "zh") && strcmp(lang, "en"))
		return MD_ERR_INPUT;
	if ((err = calendar_local_date(tz, due, &d)) != MD_OK)
		return err;
	if (strcmp(lang, "zh") == 0)
		err = buf_printf(out, "%d年%d月%d日（%s）", d.year, d.month, d.day,
		    wday_zh[d.wday]);
	else
		err = buf_printf(out, "%s, %d %s %d", wday_en[d.wday], d.day,
		    month_en[d.month - 1], d.year);
	return err;
}
