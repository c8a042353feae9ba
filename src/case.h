/*
 * Cases (诉求): one per member request, numbered PREFIX-YEAR-NNNN with a
 * sequence that restarts every year and per prefix, and an append-only list
 * of events that is the case's history. Numbers are allocated inside the
 * caller's transaction so that a message, its case and its acknowledgement
 * commit together or not at all.
 *
 * Status, type and tier are stored as short English words so that the
 * workflow can grow without a schema change. The values (see workflow.h
 * for the transitions):
 *   status: registered handling rejected resolved rehandling closed archived merged
 *   type:   policy rights difficulty suggestion other
 *   tier:   simple general major (NULL until set)
 *   channel: email visit meeting walk-in phone online (checked by the schema)
 */
#ifndef MD_CASE_H
#define MD_CASE_H

#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include "db.h"
#include "error.h"

/* Room for "PREFIX-YYYY-NNNN..." with a 16-character prefix and NUL. */
#define CASE_NUMBER_MAX 48

struct case_new {
	const char *prefix;           /* 1-16 ASCII letters/digits, e.g. "MD" */
	int year;                     /* numbering year in the chamber's time zone */
	const char *subject;          /* NULL: "" */
	const char *text;             /* NULL: "" */
	const char *type;             /* NULL: "other" */
	const char *tier;             /* NULL: not set yet */
	const char *channel;          /* NULL: "email" */
	int64_t member_id;            /* 0: unknown sender */
	const char *requester_name;   /* NULL: "" */
	const char *requester_unit;   /* NULL: "" */
	const char *requester_email;  /* NULL: none */
	const char *requester_phone;  /* NULL: none */
	time_t submitted_at;
	const char *actor;            /* who registered it (for the event); NULL: "system" */
	int64_t message_id;           /* message it came from, for the event; 0: none */
	int event_by_caller;          /* nonzero: no "registered" event here, the caller
	                                 appends it (e.g. once the message it came from is
	                                 recorded, linked to the new case) */
};

struct case_record {
	int64_t id;
	char *number;                 /* owned */
	int year;
	int seq;
	char *subject;                /* owned, "" when none */
	char *text;                   /* owned */
	char *type;                   /* owned */
	char *tier;                   /* owned; NULL when not set */
	char *status;                 /* owned */
	char *channel;                /* owned */
	int64_t member_id;            /* 0: unknown sender */
	char *requester_name;         /* owned */
	char *requester_unit;         /* owned */
	char *requester_email;        /* owned or NULL */
	char *requester_phone;        /* owned or NULL */
	time_t submitted_at;
	time_t created_at;
	time_t updated_at;
	/* Life cycle (schema 2); 0 / NULL when not reached. See workflow.h. */
	time_t review_due;
	time_t handling_due;
	time_t rehandling_due;
	time_t result_notice_due;
	time_t feedback_due;
	time_t accepted_at;
	time_t resolved_at;
	time_t closed_at;
	time_t archived_at;
	char *assignee;               /* owned or NULL: staff address */
	int64_t joint_parent_id;      /* 0: not merged into a joint case */
	int extended_count;
	char *satisfaction;           /* owned or NULL: "satisfied", "unsatisfied", "1".."5" */
	char *reject_ground;          /* owned or NULL */
	char *method;                 /* owned or NULL: art. 12 handling method */
};

struct case_message {
	int64_t id;
	char *direction;              /* owned: "in" or "out" */
	char *from_addr;              /* owned or NULL */
	char *from_name;              /* owned */
	char *subject;                /* owned */
	char *text;                   /* owned */
	time_t date;                  /* Date header; 0 when unknown */
	time_t received_at;
	size_t n_attachments;
};

struct case_event {
	int64_t id;
	time_t at;
	char *kind;                   /* owned, e.g. "registered", "accepted", "note" */
	char *actor;                  /* owned, "" when none */
	char *detail;                 /* owned or NULL: text or JSON */
	int64_t message_id;           /* 0: none */
	char *via;                    /* owned or NULL: "mail", "cli", "system" */
};

struct case_full {
	struct case_record c;
	struct case_message *messages;  /* owned array, oldest first */
	size_t n_messages;
	struct case_event *events;      /* owned array, in order */
	size_t n_events;
};

struct case_filter {
	const char *status;           /* NULL: any */
	int year;                     /* 0: any */
	size_t limit;                 /* 0: no limit */
	time_t overdue_at;            /* nonzero: only cases past the deadline of their
	                                 status at this time (review, handling, rehandling) */
};

/* Nonzero for the channels the schema accepts. */
int case_channel_valid(const char *channel);

/*
 * Write "PREFIX-YEAR-SEQ" (sequence zero-padded to 4 digits, wider past
 * 9999) into out. MD_ERR_INPUT for a bad prefix or year, MD_ERR_LIMIT when
 * outlen is too small.
 */
enum md_err case_format_number(const char *prefix, int year, int seq, char *out,
    size_t outlen);

/*
 * Register a case inside the caller's transaction (MD_ERR_STATE without
 * one): allocate the next sequence number for prefix and year, insert the
 * case and, unless in->event_by_caller, its "registered" event (dated
 * now). *id and
 * number (CASE_NUMBER_MAX bytes) receive the result; either may be NULL.
 * MD_ERR_INPUT for a bad prefix, year (1970-9999) or channel; database
 * errors as db_status(). On error the caller rolls back.
 */
enum md_err case_create(struct db *db, const struct case_new *in, time_t now, int64_t *id,
    char *number);

/*
 * Append an event to a case's history. detail and message_id (0) are
 * optional; actor NULL is stored as "". *event_id may be NULL.
 * MD_ERR_NOTFOUND for an unknown case; database errors as db_status().
 */
enum md_err case_add_event(struct db *db, int64_t case_id, time_t at, const char *kind,
    const char *actor, const char *detail, int64_t message_id, int64_t *event_id);

/* case_add_event() that also records how the action came in (via: NULL, "mail", "cli", "system"). */
enum md_err case_add_event_via(struct db *db, int64_t case_id, time_t at, const char *kind,
    const char *actor, const char *via, const char *detail, int64_t message_id,
    int64_t *event_id);

/*
 * Change a case's status and updated_at (the caller records the event).
 * MD_ERR_NOTFOUND for an unknown case.
 */
enum md_err case_set_status(struct db *db, int64_t case_id, const char *status, time_t now);

/*
 * Set one life-cycle column of a case (and updated_at) to a time, a text
 * or an integer. column must be "type", "tier" or one of the schema 2
 * columns named in struct case_record (e.g. "handling_due", "assignee",
 * "joint_parent_id"), of the right kind;
 * anything else is MD_ERR_INPUT, so a column name never comes from input.
 * A time or integer of 0 and a NULL text store SQL NULL (extended_count
 * stores 0). MD_ERR_NOTFOUND for an unknown case.
 */
enum md_err case_set_time(struct db *db, int64_t case_id, const char *column, time_t t,
    time_t now);
enum md_err case_set_text(struct db *db, int64_t case_id, const char *column, const char *v,
    time_t now);
enum md_err case_set_int(struct db *db, int64_t case_id, const char *column, int64_t v,
    time_t now);

/*
 * Cases merged into the joint case parent_id (joint_parent_id = parent_id),
 * oldest first; free with case_list_free(). None is MD_OK with *n 0.
 */
enum md_err case_list_joint(struct db *db, int64_t parent_id, struct case_record **out,
    size_t *n);

/* One case by number (exact, case-sensitive) or id. MD_ERR_NOTFOUND; free with case_record_free(). */
enum md_err case_find_by_number(struct db *db, const char *number, struct case_record **out);
enum md_err case_get(struct db *db, int64_t id, struct case_record **out);
void case_record_free(struct case_record *c);

/*
 * Cases matching filter (NULL: all), newest first, as an array of *n
 * records; free with case_list_free(). No match is MD_OK with *n 0.
 */
enum md_err case_list(struct db *db, const struct case_filter *filter,
    struct case_record **out, size_t *n);
void case_list_free(struct case_record *v, size_t n);

/*
 * The cases case_list() would return, in the same order, handed to fn one
 * at a time without copying: a list of thousands of cases on the command
 * line then costs no allocation per case. The record and its strings are
 * borrowed from the database row and valid only during the call (copy what
 * is kept); its text is NULL (lists do not show a case's text). fn returns
 * MD_OK to go on; any other code stops the walk and is returned. Database
 * errors as db_status(), MD_ERR_NOMEM.
 */
enum md_err case_list_each(struct db *db, const struct case_filter *filter,
    enum md_err (*fn)(const struct case_record *c, void *arg), void *arg);

/*
 * A case with its messages (oldest first) and events (in order), for
 * display. MD_ERR_NOTFOUND; free with case_full_free().
 */
enum md_err case_load(struct db *db, int64_t id, struct case_full **out);
void case_full_free(struct case_full *f);

#endif
