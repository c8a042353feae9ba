/*
 * Members of the chamber and the mail addresses they write from. A member is
 * found by any of its addresses (kept lower case); the list is maintained by
 * importing the chamber's own spreadsheet as CSV.
 */
#ifndef MD_MEMBER_H
#define MD_MEMBER_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <time.h>

#include "db.h"
#include "error.h"

enum member_kind {
	MEMBER_UNIT,        /* 单位会员: a company; unit_name is required */
	MEMBER_INDIVIDUAL   /* 个人会员 */
};

struct member {
	int64_t id;
	enum member_kind kind;
	char *name;             /* owned, UTF-8 */
	char *unit_name;        /* owned, UTF-8; "" when none */
	char *phone;            /* owned; "" when none */
	char **addresses;       /* owned array of owned lower-case addresses, sorted */
	size_t n_addresses;
	time_t created_at;
	time_t updated_at;
};

/* "unit" or "individual" (the values stored in the database). */
const char *member_kind_name(enum member_kind kind);

/*
 * Parse a kind as written by people: unit/individual (any case), 单位/个人,
 * 单位会员/个人会员. MD_OK with *kind set, or MD_ERR_INPUT.
 */
enum md_err member_kind_parse(const char *s, enum member_kind *kind);

/*
 * Nonzero when addr is an address memberdesk will store and later put into
 * an envelope: dot-atom local part (no quoting), a domain of at least two
 * LDH labels, ASCII only, no control characters, at most 254 bytes. Case is
 * not judged; callers lower-case first.
 */
int member_address_valid(const char *addr);

/*
 * The member owning address (compared case-insensitively). MD_OK with *out
 * set (free with member_free()), MD_ERR_NOTFOUND, MD_ERR_NOMEM, or a mapped
 * database error.
 */
enum md_err member_find_by_address(struct db *db, const char *address, struct member **out);

/* The member with this id; same errors as member_find_by_address(). */
enum md_err member_get(struct db *db, int64_t id, struct member **out);

void member_free(struct member *m);

/*
 * Every member, ordered by id, as an array of *n records in *out (free with
 * member_list_free()). An empty list is MD_OK with *out NULL and *n 0.
 */
enum md_err member_list(struct db *db, struct member **out, size_t *n);
void member_list_free(struct member *v, size_t n);

struct member_import_result {
	size_t imported;    /* new members created */
	size_t updated;     /* existing members (matched by address) updated */
	size_t skipped;     /* bad rows, each reported on the errors stream */
};

/* Largest CSV file member_import_csv() reads. */
#define MEMBER_CSV_MAX (16u * 1024 * 1024)

/*
 * Import members from CSV (RFC 4180: quoted fields with embedded commas,
 * quotes and newlines; CRLF or LF; UTF-8 with or without a BOM). The first
 * row names the columns, in any order: kind, name, unit_name, addresses,
 * phone (Chinese headings 类型, 姓名/名称, 单位, 邮箱, 电话 and a few
 * synonyms are accepted; unknown columns are ignored). kind, name and
 * addresses are required. Addresses are separated by ';', ',' or white
 * space (full-width ；and ，too).
 *
 * A row whose address belongs to a known member updates that member (name,
 * unit, phone, kind; its new addresses are added, none removed) instead of
 * creating a duplicate. Every bad row is reported on errors (may be NULL) as
 * "NAME:LINE: message", LINE being where the row starts, and skipped; the
 * good rows are imported. Everything happens in one transaction, opened here:
 * the caller must not have one open (MD_ERR_STATE).
 *
 * MD_OK when the file could be read, even with skipped rows (see
 * res->skipped); MD_ERR_INPUT when the header lacks a required column
 * (nothing imported); MD_ERR_LIMIT past MEMBER_CSV_MAX; MD_ERR_IO when the
 * file cannot be read; database errors roll everything back.
 */
enum md_err member_import_csv(struct db *db, const char *path, time_t now, FILE *errors,
    struct member_import_result *res);

/*
 * Called once per data row read with the rows done so far and an estimate
 * of the total (the file's lines; raised when rows span lines), for a
 * progress display on a terminal.
 */
typedef void member_progress_fn(void *arg, size_t done, size_t total);

/* member_import_csv() with a progress callback (progress may be NULL). */
enum md_err member_import_csv_progress(struct db *db, const char *path, time_t now,
    FILE *errors, member_progress_fn *progress, void *progress_arg,
    struct member_import_result *res);

/* The same on data already in memory; name is used in the error messages. */
enum md_err member_import_csv_mem(struct db *db, const char *name, const char *data,
    size_t len, time_t now, FILE *errors, struct member_import_result *res);

#endif
