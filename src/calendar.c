#include <sys/stat.h>

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "buf.h"
#include "calendar.h"
#include "caltz.h"
#include "log.h"
#include "utf8.h"

#define YEAR_SLOTS	(CALENDAR_MAX_YEAR - CALENDAR_MIN_YEAR + 1)

enum entry_kind { ENTRY_HOLIDAY, ENTRY_WORKDAY };

struct entry {
	long first;		/* day number (days since 1970-01-01), inclusive */
	long last;		/* inclusive */
	enum entry_kind kind;
	char *name;		/* owned, "" when the line gave none */
	const char *file;	/* not owned: one of calendar.files */
	unsigned line;
};

struct calendar {
	struct entry *entries;	/* owned; sorted by first once loaded */
	size_t n_entries;
	size_t cap_entries;
	char *files[CALENDAR_MAX_FILES];	/* owned: names for messages */
	size_t n_files;
	unsigned char covered[(YEAR_SLOTS + 7) / 8];
	unsigned char warned[(YEAR_SLOTS + 7) / 8];
};

/* One load: where errors go and how many were written across all files. */
struct load {
	struct calendar *cal;
	FILE *errors;
	int n_errors;
	int fatal;		/* an md_err other than MD_ERR_INPUT to return */
};

static const char *const kind_word[] = { "holiday", "workday" };

static int
bit_get(const unsigned char *bits, int year)
{
	int i = year - CALENDAR_MIN_YEAR;

	if (i < 0 || i >= YEAR_SLOTS)
		return 0;
	return (bits[i / 8] >> (i % 8)) & 1;
}

static void
bit_set(unsigned char *bits, int year)
{
	int i = year - CALENDAR_MIN_YEAR;

	if (i >= 0 && i < YEAR_SLOTS)
		bits[i / 8] |= (unsigned char)(1u << (i % 8));
}

static void __attribute__((format(printf, 4, 5)))
load_error(struct load *ld, const char *file, unsigned line, const char *fmt, ...)
{
	va_list ap;

	ld->n_errors++;
	if (ld->errors == NULL)
		return;
	if (ld->n_errors == CALENDAR_MAX_ERRORS + 1)
		fprintf(ld->errors, "%s: too many errors, not showing the rest\n", file);
	if (ld->n_errors > CALENDAR_MAX_ERRORS)
		return;
	if (line)
		fprintf(ld->errors, "%s:%u: ", file, line);
	else
		fprintf(ld->errors, "%s: ", file);
	va_start(ap, fmt);
	vfprintf(ld->errors, fmt, ap);
	va_end(ap);
	fputc('\n', ld->errors);
}

static int
name_is_text(const char *s)
{
	const unsigned char *p = (const unsigned char *)s;
	size_t n = strlen(s), l;

	while (n) {
		if (*p < 0x20 || *p == 0x7f)
			return 0;
		l = utf8_decode(p, n, NULL);
		if (l == 0)
			return 0;
		p += l;
		n -= l;
	}
	return 1;
}

/* Parse exactly "YYYY-MM-DD" (s is NUL-terminated) into a day number. */
static int
parse_date(const char *s, long *day)
{
	int v[3] = { 0, 0, 0 };
	static const int width[3] = { 4, 2, 2 };
	int f, i;

	for (f = 0; f < 3; f++) {
		for (i = 0; i < width[f]; i++, s++) {
			if (*s < '0' || *s > '9')
				return 0;
			v[f] = v[f] * 10 + (*s - '0');
		}
		if (f < 2 && *s++ != '-')
			return 0;
	}
	if (*s != '\0' || !caltz_date_valid(v[0], v[1], v[2]))
		return 0;
	*day = caltz_days_from_civil(v[0], v[1], v[2]);
	return 1;
}

static void
format_day(long z, char *dst, size_t len)
{
	int y, m, d;

	caltz_civil_from_days(z, &y, &m, &d);
	snprintf(dst, len, "%04d-%02d-%02d", y, m, d);
}

static const char *
day_name(int wday)
{
	static const char *const names[] = { "Sunday", "Monday", "Tuesday",
	    "Wednesday", "Thursday", "Friday", "Saturday" };

	return names[wday];
}

static enum md_err
add_entry(struct calendar *cal, const struct entry *e)
{
	struct entry *n;
	size_t ncap;

	if (cal->n_entries >= CALENDAR_MAX_ENTRIES)
		return MD_ERR_LIMIT;
	if (cal->n_entries == cal->cap_entries) {
		ncap = cal->cap_entries ? cal->cap_entries * 2 : 32;
		if (ncap > CALENDAR_MAX_ENTRIES)
			ncap = CALENDAR_MAX_ENTRIES;
		n = reallocarray(cal->entries, ncap, sizeof(*n));
		if (n == NULL)
			return MD_ERR_NOMEM;
		cal->entries = n;
		cal->cap_entries = ncap;
	}
	cal->entries[cal->n_entries++] = *e;
	return MD_OK;
}

/* Split off the next blank-separated word of *p; NULL at the end. */
static char *
next_word(char **p)
{
	char *s = *p, *w;

	while (*s == ' ' || *s == '\t')
		s++;
	if (*s == '\0') {
		*p = s;
		return NULL;
	}
	w = s;
	while (*s && *s != ' ' && *s != '\t')
		s++;
	if (*s)
		*s++ = '\0';
	*p = s;
	return w;
}

static void
trim_right(char *s)
{
	size_t n = strlen(s);

	while (n && (s[n - 1] == ' ' || s[n - 1] == '\t'))
		s[--n] = '\0';
}

static void
parse_year(struct load *ld, const char *file, unsigned lineno, char *rest)
{
	char *w = next_word(&rest), esc[64];
	int year = 0, i;

	if (w == NULL) {
		load_error(ld, file, lineno, "\"year\" needs a year, e.g. \"year 2026\"");
		return;
	}
	for (i = 0; i < 4 && w[i] >= '0' && w[i] <= '9'; i++)
		year = year * 10 + (w[i] - '0');
	if (i != 4 || w[i] != '\0' || year < CALENDAR_MIN_YEAR || year > CALENDAR_MAX_YEAR) {
		load_error(ld, file, lineno, "\"%s\" is not a year between %d and %d",
		    log_escape(esc, sizeof(esc), w), CALENDAR_MIN_YEAR, CALENDAR_MAX_YEAR);
		return;
	}
	if (next_word(&rest) != NULL) {
		load_error(ld, file, lineno, "unexpected text after \"year %d\"", year);
		return;
	}
	bit_set(ld->cal->covered, year);
}

static void
parse_entry(struct load *ld, const char *file, unsigned lineno, enum entry_kind kind,
    char *rest)
{
	struct entry e;
	char *w = next_word(&rest), *dots, esc[64], dbuf[16];
	long z;
	enum md_err err;

	if (w == NULL) {
		load_error(ld, file, lineno, "\"%s\" needs a date or a range "
		    "YYYY-MM-DD..YYYY-MM-DD", kind_word[kind]);
		return;
	}
	memset(&e, 0, sizeof(e));
	e.kind = kind;
	e.file = file;
	e.line = lineno;
	dots = strstr(w, "..");
	if (dots)
		*dots = '\0';
	if (!parse_date(w, &e.first)) {
		load_error(ld, file, lineno, "\"%s\" is not a date YYYY-MM-DD (years %d-%d)",
		    log_escape(esc, sizeof(esc), w), CALENDAR_MIN_YEAR, CALENDAR_MAX_YEAR);
		return;
	}
	e.last = e.first;
	if (dots && !parse_date(dots + 2, &e.last)) {
		load_error(ld, file, lineno, "\"%s\" is not a date YYYY-MM-DD (years %d-%d)",
		    log_escape(esc, sizeof(esc), dots + 2), CALENDAR_MIN_YEAR,
		    CALENDAR_MAX_YEAR);
		return;
	}
	if (e.last < e.first) {
		load_error(ld, file, lineno, "range ends before it starts");
		return;
	}
	if (e.last - e.first + 1 > CALENDAR_MAX_RANGE) {
		load_error(ld, file, lineno, "range longer than %d days", CALENDAR_MAX_RANGE);
		return;
	}
	/*
	 * A make-up working day on a weekday changes nothing, so it is almost
	 * certainly a wrong date; refusing it catches the typo at load time.
	 */
	if (kind == ENTRY_WORKDAY) {
		for (z = e.first; z <= e.last; z++) {
			if (caltz_weekday(z) != 0 && caltz_weekday(z) != 6) {
				format_day(z, dbuf, sizeof(dbuf));
				load_error(ld, file, lineno, "%s is a %s; \"workday\" lists "
				    "weekend days that are worked", dbuf,
				    day_name(caltz_weekday(z)));
				return;
			}
		}
	}
	trim_right(rest);
	while (*rest == ' ' || *rest == '\t')
		rest++;
	if (strlen(rest) > CALENDAR_MAX_NAME) {
		load_error(ld, file, lineno, "name longer than %d bytes", CALENDAR_MAX_NAME);
		return;
	}
	if (!name_is_text(rest)) {
		load_error(ld, file, lineno, "name is not UTF-8 text");
		return;
	}
	if ((e.name = strdup(rest)) == NULL) {
		ld->fatal = MD_ERR_NOMEM;
		return;
	}
	err = add_entry(ld->cal, &e);
	if (err) {
		free(e.name);
		if (err == MD_ERR_LIMIT)
			load_error(ld, file, lineno, "more than %d entries",
			    CALENDAR_MAX_ENTRIES);
		ld->fatal = err;
	}
}

static void
parse_line(struct load *ld, const char *file, unsigned lineno, char *line)
{
	char *rest = line, *kw, *hash, esc[64];

	if ((hash = strchr(line, '#')) != NULL)
		*hash = '\0';
	if ((kw = next_word(&rest)) == NULL)
		return;
	if (strcmp(kw, "year") == 0)
		parse_year(ld, file, lineno, rest);
	else if (strcmp(kw, "holiday") == 0)
		parse_entry(ld, file, lineno, ENTRY_HOLIDAY, rest);
	else if (strcmp(kw, "workday") == 0)
		parse_entry(ld, file, lineno, ENTRY_WORKDAY, rest);
	else
		load_error(ld, file, lineno, "unknown keyword \"%s\" (expected year, "
		    "holiday or workday)", log_escape(esc, sizeof(esc), kw));
}

/* Parse one file's text; file must outlive the calendar (it is in cal->files). */
static void
parse_text(struct load *ld, const char *file, const char *text, size_t len)
{
	char line[CALENDAR_MAX_LINE + 1];
	const char *p = text, *end = text + len, *nl;
	size_t n;
	unsigned lineno = 0;

	if (len >= 3 && memcmp(p, "\xef\xbb\xbf", 3) == 0)
		p += 3;
	while (p < end && !ld->fatal) {
		lineno++;
		nl = memchr(p, '\n', (size_t)(end - p));
		n = nl ? (size_t)(nl - p) : (size_t)(end - p);
		if (n && p[n - 1] == '\r')
			n--;
		if (n > CALENDAR_MAX_LINE)
			load_error(ld, file, lineno, "line longer than %d bytes",
			    CALENDAR_MAX_LINE);
		else if (memchr(p, '\0', n) != NULL)
			load_error(ld, file, lineno, "NUL byte in line");
		else {
			memcpy(line, p, n);
			line[n] = '\0';
			parse_line(ld, file, lineno, line);
		}
		p = nl ? nl + 1 : end;
	}
}

static int
entry_cmp(const void *a, const void *b)
{
	const struct entry *x = a, *y = b;
	int c;

	if (x->first != y->first)
		return x->first < y->first ? -1 : 1;
	if ((c = strcmp(x->file, y->file)) != 0)
		return c;
	return x->line < y->line ? -1 : x->line > y->line;
}

/* Cross-file checks: overlaps and undeclared years. */
static void
check_entries(struct load *ld)
{
	struct calendar *cal = ld->cal;
	const struct entry *e, *prev = NULL;
	char d1[16], d2[16];
	size_t i;
	int y, m, d, y2;

	if (cal->n_entries > 1)
		qsort(cal->entries, cal->n_entries, sizeof(*cal->entries), entry_cmp);
	for (i = 0; i < cal->n_entries; i++) {
		e = &cal->entries[i];
		caltz_civil_from_days(e->first, &y, &m, &d);
		caltz_civil_from_days(e->last, &y2, &m, &d);
		for (; y <= y2; y++)
			if (!calendar_covers(cal, y))
				load_error(ld, e->file, e->line, "%s in %d, but no calendar "
				    "file has a \"year %d\" line", kind_word[e->kind], y, y);
		/* Sorted by start: only the furthest-reaching earlier entry can overlap. */
		if (prev && e->first <= prev->last) {
			format_day(e->first, d1, sizeof(d1));
			format_day(prev->last < e->last ? prev->last : e->last, d2, sizeof(d2));
			load_error(ld, e->file, e->line, "%s %s%s%s %s %s at %s:%u",
			    kind_word[e->kind], d1, strcmp(d1, d2) ? ".." : "",
			    strcmp(d1, d2) ? d2 : "",
			    e->kind == prev->kind ? "overlaps" : "contradicts",
			    kind_word[prev->kind], prev->file, prev->line);
		}
		if (prev == NULL || e->last > prev->last)
			prev = e;
	}
}

/* Keep a file's name for messages, escaped: a file name can hold a newline. */
static enum md_err
add_file_name(struct calendar *cal, const char *name, const char **out)
{
	char esc[1024];

	if (cal->n_files >= CALENDAR_MAX_FILES)
		return MD_ERR_LIMIT;
	if ((cal->files[cal->n_files] = strdup(log_escape(esc, sizeof(esc), name))) == NULL)
		return MD_ERR_NOMEM;
	*out = cal->files[cal->n_files++];
	return MD_OK;
}

/* Finish a load: cross-file checks, then hand the calendar over or free it. */
static enum md_err
load_end(struct load *ld, enum md_err err, struct calendar **out)
{
	if (err == MD_OK && !ld->fatal)
		check_entries(ld);
	if (err == MD_OK)
		err = ld->fatal ? ld->fatal : ld->n_errors ? MD_ERR_INPUT : MD_OK;
	if (err) {
		calendar_free(ld->cal);
		return err;
	}
	*out = ld->cal;
	return MD_OK;
}

enum md_err
calendar_load_buffer(const char *name, const char *text, size_t len, FILE *errors,
    struct calendar **out)
{
	struct load ld;
	const char *file;
	enum md_err err;

	*out = NULL;
	memset(&ld, 0, sizeof(ld));
	ld.errors = errors;
	if ((ld.cal = calloc(1, sizeof(*ld.cal))) == NULL)
		return MD_ERR_NOMEM;
	err = add_file_name(ld.cal, name ? name : "(calendar)", &file);
	if (err)
		goto out;
	if (len > CALENDAR_MAX_FILE) {
		load_error(&ld, file, 0, "larger than %d bytes", CALENDAR_MAX_FILE);
		err = MD_ERR_LIMIT;
		goto out;
	}
	parse_text(&ld, file, text, len);
out:
	return load_end(&ld, err, out);
}

static int
name_cmp(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

static int
is_cal_name(const char *s)
{
	size_t n = strlen(s);

	return s[0] != '.' && n > 4 && strcmp(s + n - 4, ".cal") == 0;
}

/* Read one file whole, refusing anything but a regular file within the limit. */
static enum md_err
read_file(struct load *ld, const char *path, const char *file, struct buf *content)
{
	struct stat st;
	char chunk[8192];
	ssize_t n;
	int fd;
	enum md_err err = MD_OK;

	/* O_NONBLOCK: a FIFO named *.cal must not hang the daemon's start. */
	if ((fd = open(path, O_RDONLY | O_NONBLOCK | O_CLOEXEC)) == -1) {
		load_error(ld, file, 0, "%s", strerror(errno));
		return MD_ERR_IO;
	}
	if (fstat(fd, &st) == -1 || !S_ISREG(st.st_mode)) {
		load_error(ld, file, 0, "not a regular file");
		err = MD_ERR_IO;
		goto out;
	}
	for (;;) {
		n = read(fd, chunk, sizeof(chunk));
		if (n == -1 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		if ((err = buf_append(content, chunk, (size_t)n)) != MD_OK) {
			if (err == MD_ERR_LIMIT)
				load_error(ld, file, 0, "larger than %d bytes",
				    CALENDAR_MAX_FILE);
			goto out;
		}
	}
	if (n == -1) {
		load_error(ld, file, 0, "%s", strerror(errno));
		err = MD_ERR_IO;
	}
out:
	close(fd);
	return err;
}

static enum md_err
list_dir(struct load *ld, const char *dir, char ***names, size_t *count)
{
	DIR *dp;
	struct dirent *de;
	char **list;
	size_t n = 0, i;
	enum md_err err = MD_OK;

	*names = NULL;
	*count = 0;
	if ((list = calloc(CALENDAR_MAX_FILES, sizeof(*list))) == NULL)
		return MD_ERR_NOMEM;
	if ((dp = opendir(dir)) == NULL) {
		err = errno == ENOENT ? MD_ERR_NOTFOUND : MD_ERR_IO;
		load_error(ld, dir, 0, "%s", strerror(errno));
		free(list);
		return err;
	}
	while ((de = readdir(dp)) != NULL) {
		if (!is_cal_name(de->d_name))
			continue;
		if (n == CALENDAR_MAX_FILES) {
			load_error(ld, dir, 0, "more than %d *.cal files", CALENDAR_MAX_FILES);
			err = MD_ERR_LIMIT;
			break;
		}
		if ((list[n] = strdup(de->d_name)) == NULL) {
			err = MD_ERR_NOMEM;
			break;
		}
		n++;
	}
	closedir(dp);
	if (err) {
		for (i = 0; i < n; i++)
			free(list[i]);
		free(list);
		return err;
	}
	if (n > 1)
		qsort(list, n, sizeof(*list), name_cmp);
	*names = list;
	*count = n;
	return MD_OK;
}

enum md_err
calendar_load_dir(const char *dir, FILE *errors, struct calendar **out)
{
	struct load ld;
	struct buf path, content;
	char **names = NULL;
	size_t n_names = 0, i;
	const char *file;
	enum md_err err;

	*out = NULL;
	memset(&ld, 0, sizeof(ld));
	ld.errors = errors;
	buf_init(&path, PATH_MAX);
	buf_init(&content, CALENDAR_MAX_FILE);
	if ((ld.cal = calloc(1, sizeof(*ld.cal))) == NULL)
		return MD_ERR_NOMEM;
	err = list_dir(&ld, dir, &names, &n_names);
	if (err)
		goto out;
	for (i = 0; i < n_names; i++) {
		buf_reset(&path);
		buf_reset(&content);
		err = buf_printf(&path, "%s/%s", dir, names[i]);
		if (err)
			goto out;
		err = add_file_name(ld.cal, path.data, &file);
		if (err)
			goto out;
		err = read_file(&ld, path.data, file, &content);
		if (err)
			goto out;
		parse_text(&ld, file, content.data ? content.data : "", content.len);
		if (ld.fatal)
			break;
	}
out:
	for (i = 0; i < n_names; i++)
		free(names[i]);
	free(names);
	buf_free(&path);
	buf_free(&content);
	return load_end(&ld, err, out);
}

void
calendar_free(struct calendar *cal)
{
	size_t i;

	if (cal == NULL)
		return;
	for (i = 0; i < cal->n_entries; i++)
		free(cal->entries[i].name);
	free(cal->entries);
	for (i = 0; i < cal->n_files; i++)
		free(cal->files[i]);
	free(cal);
}

int
calendar_covers(const struct calendar *cal, int year)
{
	return cal != NULL && bit_get(cal->covered, year);
}

/* The entry containing day z, or NULL; entries are sorted and disjoint. */
static const struct entry *
find_entry(const struct calendar *cal, long z)
{
	size_t lo = 0, hi = cal->n_entries, mid;

	while (lo < hi) {
		mid = lo + (hi - lo) / 2;
		if (cal->entries[mid].first <= z)
			lo = mid + 1;
		else
			hi = mid;
	}
	if (lo == 0 || cal->entries[lo - 1].last < z)
		return NULL;
	return &cal->entries[lo - 1];
}

static void
describe_day(const struct calendar *cal, long z, int year, struct calendar_day *out)
{
	const struct entry *e;

	out->wday = caltz_weekday(z);
	out->covered = calendar_covers(cal, year);
	out->name = "";
	e = out->covered ? find_entry(cal, z) : NULL;
	if (e) {
		out->kind = e->kind == ENTRY_HOLIDAY ? CALENDAR_HOLIDAY : CALENDAR_MAKEUP;
		out->name = e->name;
	} else
		out->kind = out->wday == 0 || out->wday == 6 ?
		    CALENDAR_WEEKEND : CALENDAR_WEEKDAY;
	out->workday = out->kind == CALENDAR_WEEKDAY || out->kind == CALENDAR_MAKEUP;
}

enum md_err
calendar_day_info(const struct calendar *cal, int year, int month, int day,
    struct calendar_day *out)
{
	if (!caltz_date_valid(year, month, day))
		return MD_ERR_INPUT;
	describe_day(cal, caltz_days_from_civil(year, month, day), year, out);
	return MD_OK;
}

int
calendar_is_workday(const struct calendar *cal, int year, int month, int day)
{
	struct calendar_day info;

	if (calendar_day_info(cal, year, month, day, &info))
		return 0;
	return info.workday;
}

int
calendar_warn_uncovered(struct calendar *cal, int year)
{
	if (cal == NULL || year < CALENDAR_MIN_YEAR || year > CALENDAR_MAX_YEAR ||
	    bit_get(cal->warned, year))
		return 0;
	bit_set(cal->warned, year);
	log_warnx("no calendar installed for %d: counting weekends only, "
	    "public holidays and make-up working days are ignored", year);
	return 1;
}

/* Working day test by day number; notes the first uncovered year seen. */
static int
workday_at(const struct calendar *cal, long z, int *uncovered)
{
	struct calendar_day info;
	int y, m, d;

	caltz_civil_from_days(z, &y, &m, &d);
	describe_day(cal, z, y, &info);
	if (!info.covered && *uncovered == 0)
		*uncovered = y;
	return info.workday;
}

enum md_err
calendar_add_workdays(const struct calendar *cal, const char *tz, time_t start, int n,
    time_t *due, int *uncovered)
{
	struct caltz_scope sc;
	enum md_err err;
	long z0, z;
	int year, month, day, count = 0, unc = 0;

	if (n < 1 || n > CALENDAR_MAX_WORKDAYS)
		return MD_ERR_INPUT;
	if ((err = caltz_enter(tz, &sc)) != MD_OK)
		return err;
	if (!caltz_local_day(start, &z0, &year)) {
		err = MD_ERR_INPUT;
		goto out;
	}
	for (z = z0; count < n; ) {
		if (++z - z0 > CALENDAR_MAX_SPAN) {
			err = MD_ERR_LIMIT;
			goto out;
		}
		caltz_civil_from_days(z, &year, &month, &day);
		if (year > CALENDAR_MAX_YEAR) {
			err = MD_ERR_INPUT;
			goto out;
		}
		count += workday_at(cal, z, &unc);
	}
	err = caltz_end_of_day(z, due);
	if (err == MD_OK && uncovered)
		*uncovered = unc;
out:
	caltz_leave(&sc);
	return err;
}

enum md_err
calendar_workdays_between(const struct calendar *cal, const char *tz, time_t from,
    time_t to, long *count, int *uncovered)
{
	struct caltz_scope sc;
	enum md_err err;
	long zf, zt, lo, hi, z, c = 0;
	int ok, unc = 0;

	if ((err = caltz_enter(tz, &sc)) != MD_OK)
		return err;
	ok = caltz_local_day(from, &zf, NULL) && caltz_local_day(to, &zt, NULL);
	caltz_leave(&sc);
	if (!ok)
		return MD_ERR_INPUT;
	lo = zf < zt ? zf : zt;
	hi = zf < zt ? zt : zf;
	if (hi - lo > CALENDAR_MAX_SPAN)
		return MD_ERR_LIMIT;
	for (z = lo + 1; z <= hi; z++)
		c += workday_at(cal, z, &unc);
	*count = zt < zf ? -c : c;
	if (uncovered)
		*uncovered = unc;
	return MD_OK;
}
