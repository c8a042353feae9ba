/*
 * Members and their addresses, and the CSV import the secretariat uses to
 * keep the list current. The CSV reader is strict about structure (RFC 4180)
 * but forgiving about what spreadsheet users type: Chinese headings and
 * kinds, several separators between addresses, stray spaces.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>

#include "buf.h"
#include "db.h"
#include "dbstmt.h"
#include "log.h"
#include "member.h"
#include "utf8.h"

#define CSV_MAX_FIELDS 64
#define CSV_MAX_FIELD  (64 * 1024)
#define MAX_ROW_ADDRESSES 32

enum column { COL_KIND, COL_NAME, COL_UNIT, COL_ADDRESSES, COL_PHONE, N_COLUMNS };

static const char *const column_name[N_COLUMNS] = {
	"kind", "name", "unit_name", "addresses", "phone"
};

/* Headings people put in a member spreadsheet, matched after trimming, ASCII case folded. */
static const struct {
	const char *heading;
	enum column col;
} column_alias[] = {
	{ "kind", COL_KIND }, { "type", COL_KIND }, { "类型", COL_KIND },
	{ "会员类型", COL_KIND }, { "会员类别", COL_KIND },
	{ "name", COL_NAME }, { "姓名", COL_NAME }, { "名称", COL_NAME },
	{ "联系人", COL_NAME },
	{ "unit_name", COL_UNIT }, { "unit", COL_UNIT }, { "company", COL_UNIT },
	{ "单位", COL_UNIT }, { "单位名称", COL_UNIT }, { "公司", COL_UNIT },
	{ "addresses", COL_ADDRESSES }, { "address", COL_ADDRESSES },
	{ "email", COL_ADDRESSES }, { "emails", COL_ADDRESSES }, { "e-mail", COL_ADDRESSES },
	{ "邮箱", COL_ADDRESSES }, { "电子邮箱", COL_ADDRESSES }, { "电子邮件", COL_ADDRESSES },
	{ "phone", COL_PHONE }, { "tel", COL_PHONE }, { "telephone", COL_PHONE },
	{ "电话", COL_PHONE }, { "手机", COL_PHONE }, { "联系电话", COL_PHONE },
};

const char *
member_kind_name(enum member_kind kind)
{
	return kind == MEMBER_UNIT ? "unit" : "individual";
}

enum md_err
member_kind_parse(const char *s, enum member_kind *kind)
{
	if (strcasecmp(s, "unit") == 0 || strcmp(s, "单位") == 0 ||
	    strcmp(s, "单位会员") == 0) {
		*kind = MEMBER_UNIT;
		return MD_OK;
	}
	if (strcasecmp(s, "individual") == 0 || strcmp(s, "个人") == 0 ||
	    strcmp(s, "个人会员") == 0) {
		*kind = MEMBER_INDIVIDUAL;
		return MD_OK;
	}
	return MD_ERR_INPUT;
}

static int
is_atext(unsigned char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
	    (c != '\0' && strchr("!#$%&'*+-/=?^_`{|}~", c) != NULL);
}

static int
is_ldh(unsigned char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
	    c == '-';
}

int
member_address_valid(const char *addr)
{
	const char *at, *p, *label;
	size_t len, labels = 0;

	len = strlen(addr);
	at = strchr(addr, '@');
	if (len > 254 || at == NULL || at == addr || (size_t)(at - addr) > 64)
		return 0;
	/* dot-atom: atext runs separated by single dots */
	if (addr[0] == '.' || at[-1] == '.')
		return 0;
	for (p = addr; p < at; p++) {
		if (*p == '.') {
			if (p[1] == '.')
				return 0;
		} else if (!is_atext((unsigned char)*p))
			return 0;
	}
	/* domain: LDH labels of 1-63, no leading/trailing hyphen, at least two */
	label = at + 1;
	for (p = label;; p++) {
		if (*p == '.' || *p == '\0') {
			if (p == label || p - label > 63 || label[0] == '-' || p[-1] == '-')
				return 0;
			labels++;
			if (*p == '\0')
				break;
			label = p + 1;
		} else if (!is_ldh((unsigned char)*p))
			return 0;
	}
	return labels >= 2;
}

static void
lower_ascii(char *s)
{
	for (; *s; s++)
		if (*s >= 'A' && *s <= 'Z')
			*s = (char)(*s - 'A' + 'a');
}

void
member_free(struct member *m)
{
	size_t i;

	if (m == NULL)
		return;
	free(m->name);
	free(m->unit_name);
	free(m->phone);
	for (i = 0; i < m->n_addresses; i++)
		free(m->addresses[i]);
	free(m->addresses);
	free(m);
}

static void
member_clear(struct member *m)
{
	size_t i;

	free(m->name);
	free(m->unit_name);
	free(m->phone);
	for (i = 0; i < m->n_addresses; i++)
		free(m->addresses[i]);
	free(m->addresses);
	memset(m, 0, sizeof(*m));
}

void
member_list_free(struct member *v, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		member_clear(&v[i]);
	free(v);
}

static enum md_err
load_addresses(struct db *db, struct member *m)
{
	sqlite3_stmt *st;
	enum md_err err;
	char **nv;
	size_t cap = 0;
	int rc;

	err = db_prepare_cached(db, "SELECT address FROM member_addresses WHERE member_id = ?"
	    " ORDER BY address", &st);
	if (err)
		return err;
	sqlite3_bind_int64(st, 1, m->id);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		if (m->n_addresses == cap) {
			cap = cap ? cap * 2 : 4;
			nv = reallocarray(m->addresses, cap, sizeof(*nv));
			if (nv == NULL) {
				err = MD_ERR_NOMEM;
				goto out;
			}
			m->addresses = nv;
		}
		err = db_column_dup_empty(st, 0, &m->addresses[m->n_addresses]);
		if (err)
			goto out;
		m->n_addresses++;
	}
	err = db_status(db, rc);
out:
	db_release(db, st);
	return err;
}

/* Fill m from a row of SELECT id, kind, name, unit_name, phone, created_at, updated_at. */
static enum md_err
member_from_row(struct db *db, sqlite3_stmt *st, struct member *m)
{
	const unsigned char *kind;
	enum md_err err;

	m->id = sqlite3_column_int64(st, 0);
	kind = sqlite3_column_text(st, 1);
	m->kind = kind && strcmp((const char *)kind, "unit") == 0 ?
	    MEMBER_UNIT : MEMBER_INDIVIDUAL;
	m->created_at = (time_t)sqlite3_column_int64(st, 5);
	m->updated_at = (time_t)sqlite3_column_int64(st, 6);
	if ((err = db_column_dup_empty(st, 2, &m->name)) ||
	    (err = db_column_dup_empty(st, 3, &m->unit_name)) ||
	    (err = db_column_dup_empty(st, 4, &m->phone)))
		return err;
	return load_addresses(db, m);
}

#define MEMBER_COLUMNS "m.id, m.kind, m.name, m.unit_name, m.phone, m.created_at, m.updated_at"

static enum md_err
member_query_one(struct db *db, const char *sql, const char *text, int64_t id,
    struct member **out)
{
	struct member *m = NULL;
	sqlite3_stmt *st;
	enum md_err err;

	*out = NULL;
	err = dbstmt_prepare_key(db, sql, text, id, &st);
	if (err)
		return err;
	err = dbstmt_row(db, st);
	if (err)
		goto out;
	m = calloc(1, sizeof(*m));
	if (m == NULL) {
		err = MD_ERR_NOMEM;
		goto out;
	}
	err = member_from_row(db, st, m);
	if (err)
		goto out;
	*out = m;
	m = NULL;
out:
	member_free(m);
	db_release(db, st);
	return err;
}

enum md_err
member_find_by_address(struct db *db, const char *address, struct member **out)
{
	char *lower;
	enum md_err err;

	*out = NULL;
	lower = strdup(address);
	if (lower == NULL)
		return MD_ERR_NOMEM;
	lower_ascii(lower);
	err = member_query_one(db, "SELECT " MEMBER_COLUMNS " FROM members m"
	    " JOIN member_addresses a ON a.member_id = m.id WHERE a.address = ?",
	    lower, 0, out);
	free(lower);
	return err;
}

enum md_err
member_get(struct db *db, int64_t id, struct member **out)
{
	return member_query_one(db, "SELECT " MEMBER_COLUMNS " FROM members m WHERE m.id = ?",
	    NULL, id, out);
}

enum md_err
member_list(struct db *db, struct member **out, size_t *n)
{
	struct member *v = NULL, *nv;
	size_t len = 0, cap = 0;
	sqlite3_stmt *st;
	enum md_err err;
	int rc;

	*out = NULL;
	*n = 0;
	err = db_prepare_cached(db, "SELECT " MEMBER_COLUMNS " FROM members m ORDER BY m.id", &st);
	if (err)
		return err;
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		if (len == cap) {
			cap = cap ? cap * 2 : 16;
			nv = reallocarray(v, cap, sizeof(*nv));
			if (nv == NULL) {
				err = MD_ERR_NOMEM;
				goto out;
			}
			v = nv;
		}
		memset(&v[len], 0, sizeof(v[len]));
		len++;
		err = member_from_row(db, st, &v[len - 1]);
		if (err)
			goto out;
	}
	err = db_status(db, rc);
out:
	db_release(db, st);
	if (err) {
		member_list_free(v, len);
		return err;
	}
	*out = v;
	*n = len;
	return MD_OK;
}

/* ---- CSV ---- */

struct csv {
	const char *p;
	const char *end;
	unsigned line;          /* line the reader is on */
};

struct csv_row {
	struct buf field[CSV_MAX_FIELDS];
	size_t n;
	unsigned line;          /* line the row started on */
};

static void
csv_row_init(struct csv_row *row)
{
	size_t i;

	for (i = 0; i < CSV_MAX_FIELDS; i++)
		buf_init(&row->field[i], CSV_MAX_FIELD);
	row->n = 0;
}

static void
csv_row_free(struct csv_row *row)
{
	size_t i;

	for (i = 0; i < CSV_MAX_FIELDS; i++)
		buf_free(&row->field[i]);
}

/* Consume a line end at c->p if there is one; CRLF, LF and lone CR all count. */
static int
csv_eol(struct csv *c)
{
	if (c->p < c->end && *c->p == '\r') {
		c->p++;
		if (c->p < c->end && *c->p == '\n')
			c->p++;
		c->line++;
		return 1;
	}
	if (c->p < c->end && *c->p == '\n') {
		c->p++;
		c->line++;
		return 1;
	}
	return 0;
}

/* After a broken row, continue at the next line so one typo costs one row. */
static void
csv_skip_line(struct csv *c)
{
	while (c->p < c->end && *c->p != '\r' && *c->p != '\n')
		c->p++;
	csv_eol(c);
}

/*
 * Read one record. MD_OK with row filled; MD_ERR_NOTFOUND at the end of
 * input; MD_ERR_INPUT for a broken record (why), the reader then stands
 * after it. Empty lines are skipped.
 */
static enum md_err
csv_next(struct csv *c, struct csv_row *row, const char **why)
{
	struct buf *f;
	enum md_err err;
	size_t i;

	for (i = 0; i < CSV_MAX_FIELDS; i++)
		buf_reset(&row->field[i]);
	row->n = 0;
	while (csv_eol(c))
		;
	if (c->p >= c->end)
		return MD_ERR_NOTFOUND;
	row->line = c->line;
	for (;;) {
		if (row->n == CSV_MAX_FIELDS) {
			*why = "too many fields";
			csv_skip_line(c);
			return MD_ERR_INPUT;
		}
		f = &row->field[row->n++];
		err = buf_puts(f, "");  /* a present but empty field still has data */
		if (err)
			return err;
		if (c->p < c->end && *c->p == '"') {
			c->p++;
			for (;;) {
				if (c->p >= c->end) {
					*why = "quoted field is not closed";
					return MD_ERR_INPUT;
				}
				if (*c->p == '"') {
					if (c->p + 1 < c->end && c->p[1] == '"') {
						err = buf_putc(f, '"');
						c->p += 2;
					} else {
						c->p++;
						break;
					}
				} else {
					if (*c->p == '\n' || (*c->p == '\r' &&
					    (c->p + 1 >= c->end || c->p[1] != '\n')))
						c->line++;
					err = buf_putc(f, *c->p++);
				}
				if (err) {
					*why = "field too long";
					csv_skip_line(c);
					return MD_ERR_INPUT;
				}
			}
			if (c->p < c->end && *c->p != ',' && *c->p != '\r' && *c->p != '\n') {
				*why = "unexpected text after a closing quote";
				csv_skip_line(c);
				return MD_ERR_INPUT;
			}
		} else {
			while (c->p < c->end && *c->p != ',' && *c->p != '\r' && *c->p != '\n') {
				if (buf_putc(f, *c->p++)) {
					*why = "field too long";
					csv_skip_line(c);
					return MD_ERR_INPUT;
				}
			}
		}
		if (c->p < c->end && *c->p == ',') {
			c->p++;
			continue;
		}
		csv_eol(c);
		return MD_OK;
	}
}

/* Trim and turn every run of white space (including embedded newlines) into one space. */
static void
squeeze_space(char *s)
{
	char *r = s, *w = s;
	int space = 0;

	for (; *r; r++) {
		if (*r == ' ' || *r == '\t' || *r == '\r' || *r == '\n' || *r == '\v' ||
		    *r == '\f') {
			space = w != s;
			continue;
		}
		if (space)
			*w++ = ' ';
		space = 0;
		*w++ = *r;
	}
	*w = '\0';
}

static int
has_control(const char *s)
{
	for (; *s; s++)
		if ((unsigned char)*s < 0x20 || *s == 0x7f)
			return 1;
	return 0;
}

static void
report(FILE *errors, const char *name, unsigned line, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

static void
report(FILE *errors, const char *name, unsigned line, const char *fmt, ...)
{
	va_list ap;

	if (errors == NULL)
		return;
	fprintf(errors, "%s:%u: ", name, line);
	va_start(ap, fmt);
	vfprintf(errors, fmt, ap);
	va_end(ap);
	fputc('\n', errors);
}

struct import_row {
	enum member_kind kind;
	char *name;
	char *unit_name;
	char *phone;
	char *addr[MAX_ROW_ADDRESSES];
	size_t n_addr;
};

static void
import_row_clear(struct import_row *r)
{
	size_t i;

	for (i = 0; i < r->n_addr; i++)
		free(r->addr[i]);
	memset(r, 0, sizeof(*r));
}

/* Is c the start of a separator between addresses; returns its length or 0. */
static size_t
addr_separator(const char *c)
{
	if (*c == ';' || *c == ',' || *c == ' ' || *c == '\t' || *c == '\r' || *c == '\n')
		return 1;
	if (strncmp(c, "；", strlen("；")) == 0)
		return strlen("；");
	if (strncmp(c, "，", strlen("，")) == 0)
		return strlen("，");
	return 0;
}

/* Split, lower-case, validate and deduplicate the addresses field into r. */
static int
split_addresses(char *field, struct import_row *r, FILE *errors, const char *name,
    unsigned line)
{
	char esc[256];
	char *p = field, *start, *a;
	size_t k, sep;

	while (*p) {
		while (*p && (sep = addr_separator(p)) > 0)
			p += sep;
		if (*p == '\0')
			break;
		start = p;
		while (*p && addr_separator(p) == 0)
			p++;
		a = strndup(start, (size_t)(p - start));
		if (a == NULL)
			return -1;
		lower_ascii(a);
		if (!member_address_valid(a)) {
			report(errors, name, line, "invalid mail address \"%s\"",
			    log_escape(esc, sizeof(esc), a));
			free(a);
			return 1;
		}
		for (k = 0; k < r->n_addr; k++)
			if (strcmp(r->addr[k], a) == 0)
				break;
		if (k < r->n_addr) {
			free(a);
			continue;
		}
		if (r->n_addr == MAX_ROW_ADDRESSES) {
			report(errors, name, line, "more than %d addresses", MAX_ROW_ADDRESSES);
			free(a);
			return 1;
		}
		r->addr[r->n_addr++] = a;
	}
	if (r->n_addr == 0) {
		report(errors, name, line, "no mail address");
		return 1;
	}
	return 0;
}

/*
 * Check one data row and turn it into r. Returns 0 when good, 1 when the
 * row was reported as bad, -1 on allocation failure.
 */
static int
check_row(struct csv_row *row, const int colmap[N_COLUMNS], size_t ncols, FILE *errors,
    const char *name, struct import_row *r)
{
	static char empty[1];
	char esc[256];
	char *v[N_COLUMNS];
	size_t i;
	int c;

	for (i = ncols; i < row->n; i++)
		if (row->field[i].len > 0) {
			report(errors, name, row->line, "row has %zu fields, the header has %zu",
			    row->n, ncols);
			return 1;
		}
	for (i = 0; i < row->n; i++)
		if (!utf8_valid(row->field[i].data, row->field[i].len) ||
		    strlen(row->field[i].data) != row->field[i].len) {
			report(errors, name, row->line,
			    "field %zu is not valid UTF-8 (save the file as CSV UTF-8)", i + 1);
			return 1;
		}
	for (c = 0; c < N_COLUMNS; c++) {
		if (colmap[c] < 0 || (size_t)colmap[c] >= row->n) {
			v[c] = empty;
			continue;
		}
		v[c] = row->field[colmap[c]].data;
		if (c != COL_ADDRESSES)
			squeeze_space(v[c]);
	}
	if (member_kind_parse(v[COL_KIND], &r->kind)) {
		report(errors, name, row->line,
		    "kind \"%s\" is not unit/individual (单位/个人)",
		    log_escape(esc, sizeof(esc), v[COL_KIND]));
		return 1;
	}
	if (*v[COL_NAME] == '\0') {
		report(errors, name, row->line, "name is empty");
		return 1;
	}
	if (r->kind == MEMBER_UNIT && *v[COL_UNIT] == '\0') {
		report(errors, name, row->line, "a unit member needs unit_name");
		return 1;
	}
	for (c = 0; c < N_COLUMNS; c++)
		if (c != COL_ADDRESSES && has_control(v[c])) {
			report(errors, name, row->line, "%s contains control characters",
			    column_name[c]);
			return 1;
		}
	if (strlen(v[COL_NAME]) > 400 || strlen(v[COL_UNIT]) > 400 ||
	    strlen(v[COL_PHONE]) > 100) {
		report(errors, name, row->line, "a field is too long");
		return 1;
	}
	r->name = v[COL_NAME];
	r->unit_name = v[COL_UNIT];
	r->phone = v[COL_PHONE];
	return split_addresses(v[COL_ADDRESSES], r, errors, name, row->line);
}

/* Spreadsheets export trailing empty rows as ",,,,"; they are not mistakes. */
static int
row_is_blank(struct csv_row *row)
{
	size_t i;
	const char *p;

	for (i = 0; i < row->n; i++)
		for (p = row->field[i].data; p && *p; p++)
			if (*p != ' ' && *p != '\t')
				return 0;
	return 1;
}

static enum md_err
owner_of(struct db *db, const char *addr, int64_t *id)
{
	sqlite3_stmt *st;
	enum md_err err;
	int rc;

	*id = 0;
	err = db_prepare_cached(db, "SELECT member_id FROM member_addresses WHERE address = ?", &st);
	if (err)
		return err;
	sqlite3_bind_text(st, 1, addr, -1, SQLITE_STATIC);
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW)
		*id = sqlite3_column_int64(st, 0);
	else
		err = db_status(db, rc);
	db_release(db, st);
	return err;
}

/*
 * Store one checked row: update the member one of its addresses belongs to,
 * or create one. Returns 1 (reported) when the addresses belong to
 * different members, since merging them is a decision for a person.
 */
static enum md_err
store_row(struct db *db, struct import_row *r, time_t now, FILE *errors, const char *name,
    unsigned line, struct member_import_result *res)
{
	sqlite3_stmt *st = NULL;
	int64_t id = 0, owner;
	enum md_err err;
	size_t i;
	int rc;

	for (i = 0; i < r->n_addr; i++) {
		err = owner_of(db, r->addr[i], &owner);
		if (err)
			return err;
		if (owner && id && owner != id) {
			report(errors, name, line,
			    "addresses belong to different members (#%lld and #%lld); "
			    "not merged", (long long)id, (long long)owner);
			res->skipped++;
			return MD_OK;
		}
		if (owner)
			id = owner;
	}
	if (id) {
		err = db_prepare_cached(db, "UPDATE members SET kind = ?, name = ?, unit_name = ?,"
		    " phone = ?, updated_at = ? WHERE id = ?", &st);
		if (err)
			return err;
		sqlite3_bind_int64(st, 6, id);
	} else {
		err = db_prepare_cached(db, "INSERT INTO members (kind, name, unit_name, phone,"
		    " updated_at, created_at) VALUES (?, ?, ?, ?, ?, ?)", &st);
		if (err)
			return err;
		sqlite3_bind_int64(st, 6, (sqlite3_int64)now);
	}
	sqlite3_bind_text(st, 1, member_kind_name(r->kind), -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 2, r->name, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 3, r->unit_name, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 4, r->phone, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 5, (sqlite3_int64)now);
	rc = sqlite3_step(st);
	db_release(db, st);
	st = NULL;
	err = db_status(db, rc);
	if (err)
		return err;
	if (id)
		res->updated++;
	else {
		id = sqlite3_last_insert_rowid(db_handle(db));
		res->imported++;
	}
	err = db_prepare_cached(db, "INSERT OR IGNORE INTO member_addresses (address, member_id)"
	    " VALUES (?, ?)", &st);
	if (err)
		return err;
	for (i = 0; i < r->n_addr && err == MD_OK; i++) {
		sqlite3_reset(st);
		sqlite3_bind_text(st, 1, r->addr[i], -1, SQLITE_STATIC);
		sqlite3_bind_int64(st, 2, id);
		err = db_status(db, sqlite3_step(st));
	}
	db_release(db, st);
	return err;
}

static int
map_header(struct csv_row *row, int colmap[N_COLUMNS], FILE *errors, const char *name)
{
	char esc[128];
	char *h;
	size_t i, k;
	int c, bad = 0;

	for (c = 0; c < N_COLUMNS; c++)
		colmap[c] = -1;
	for (i = 0; i < row->n; i++) {
		h = row->field[i].data;
		squeeze_space(h);
		for (k = 0; k < sizeof(column_alias) / sizeof(column_alias[0]); k++)
			if (strcasecmp(h, column_alias[k].heading) == 0)
				break;
		if (k == sizeof(column_alias) / sizeof(column_alias[0]))
			continue;
		c = column_alias[k].col;
		if (colmap[c] >= 0) {
			report(errors, name, row->line, "column %s appears twice (\"%s\")",
			    column_name[c], log_escape(esc, sizeof(esc), h));
			bad = 1;
		}
		colmap[c] = (int)i;
	}
	for (c = 0; c < N_COLUMNS; c++)
		if (colmap[c] < 0 && (c == COL_KIND || c == COL_NAME || c == COL_ADDRESSES)) {
			report(errors, name, row->line, "header has no %s column", column_name[c]);
			bad = 1;
		}
	return bad;
}

/* Lines after the header: the number of rows, unless fields span lines. */
static size_t
estimate_rows(const char *data, size_t len)
{
	const char *p = data, *end = data + len, *nl;
	size_t n = 0;

	while (p < end && (nl = memchr(p, '\n', (size_t)(end - p))) != NULL) {
		n++;
		p = nl + 1;
	}
	if (p < end)
		n++;
	return n > 0 ? n - 1 : 0;
}

static enum md_err
import_mem(struct db *db, const char *name, const char *data, size_t len, time_t now,
    FILE *errors, member_progress_fn *progress, void *progress_arg,
    struct member_import_result *res)
{
	size_t done = 0, total = 0;
	struct csv c;
	struct csv_row *row;
	struct import_row r;
	int colmap[N_COLUMNS];
	const char *why = NULL;
	enum md_err err;
	size_t ncols;
	int bad;

	memset(res, 0, sizeof(*res));
	memset(&r, 0, sizeof(r));
	if (len > MEMBER_CSV_MAX)
		return MD_ERR_LIMIT;
	if (len >= 3 && memcmp(data, "\xef\xbb\xbf", 3) == 0) {
		data += 3;
		len -= 3;
	}
	c.p = data;
	c.end = data + len;
	c.line = 1;
	row = malloc(sizeof(*row));
	if (row == NULL)
		return MD_ERR_NOMEM;
	csv_row_init(row);

	err = csv_next(&c, row, &why);
	if (err == MD_ERR_NOTFOUND) {
		report(errors, name, c.line, "empty file: no header row");
		err = MD_ERR_INPUT;
		goto out;
	}
	if (err == MD_ERR_INPUT) {
		report(errors, name, row->line, "header: %s", why);
		goto out;
	}
	if (err)
		goto out;
	if (map_header(row, colmap, errors, name)) {
		err = MD_ERR_INPUT;
		goto out;
	}

	ncols = row->n;
	if (progress)
		total = estimate_rows(data, len);
	err = db_begin(db);
	if (err)
		goto out;
	for (;;) {
		err = csv_next(&c, row, &why);
		if (err == MD_ERR_NOTFOUND)
			break;
		if (progress) {
			if (++done > total)
				total = done;
			progress(progress_arg, done, total);
		}
		if (err == MD_ERR_INPUT) {
			report(errors, name, row->line, "%s", why);
			res->skipped++;
			continue;
		}
		if (err)
			goto rollback;
		if (row_is_blank(row))
			continue;
		bad = check_row(row, colmap, ncols, errors, name, &r);
		if (bad < 0)
			err = MD_ERR_NOMEM;
		else if (bad > 0)
			res->skipped++;
		else
			err = store_row(db, &r, now, errors, name, row->line, res);
		import_row_clear(&r);
		if (err)
			goto rollback;
	}
	err = db_commit(db);
	if (err == MD_OK)
		goto out;
rollback:
	db_rollback(db);
	memset(res, 0, sizeof(*res));
out:
	csv_row_free(row);
	free(row);
	return err;
}

enum md_err
member_import_csv_mem(struct db *db, const char *name, const char *data, size_t len,
    time_t now, FILE *errors, struct member_import_result *res)
{
	return import_mem(db, name, data, len, now, errors, NULL, NULL, res);
}

enum md_err
member_import_csv(struct db *db, const char *path, time_t now, FILE *errors,
    struct member_import_result *res)
{
	return member_import_csv_progress(db, path, now, errors, NULL, NULL, res);
}

enum md_err
member_import_csv_progress(struct db *db, const char *path, time_t now, FILE *errors,
    member_progress_fn *progress, void *progress_arg, struct member_import_result *res)
{
	struct buf data;
	char chunk[8192];
	FILE *fp;
	size_t n;
	enum md_err err = MD_OK;

	memset(res, 0, sizeof(*res));
	fp = fopen(path, "rb");
	if (fp == NULL) {
		if (errors)
			fprintf(errors, "%s: cannot open: %s\n", path, strerror(errno));
		return MD_ERR_IO;
	}
	buf_init(&data, MEMBER_CSV_MAX);
	while (err == MD_OK && (n = fread(chunk, 1, sizeof(chunk), fp)) > 0)
		err = buf_append(&data, chunk, n);
	if (err == MD_OK && ferror(fp)) {
		if (errors)
			fprintf(errors, "%s: read error: %s\n", path, strerror(errno));
		err = MD_ERR_IO;
	}
	fclose(fp);
	if (err == MD_ERR_LIMIT && errors)
		fprintf(errors, "%s: larger than %u bytes\n", path, MEMBER_CSV_MAX);
	if (err == MD_OK)
		err = import_mem(db, path, data.data ? data.data : "", data.len, now, errors,
		    progress, progress_arg, res);
	buf_free(&data);
	return err;
}
