/*
 * The configuration: parsed once from one libconfuse file into one validated
 * structure that nothing modifies afterwards. A reload (SIGHUP) builds a new
 * structure and swaps it in only when it is valid.
 */
#ifndef MD_CONFIG_H
#define MD_CONFIG_H

#include <stddef.h>
#include <stdio.h>

#include "error.h"

enum tls_mode { TLS_MODE_NONE, TLS_MODE_STARTTLS, TLS_MODE_TLS };

struct server_config {
	char *host;             /* owned */
	int port;
	enum tls_mode tls;
	char *ca_file;          /* owned; NULL: the system trust store */
	int tls_verify;         /* verify certificate and host name (default on) */
	char *user;             /* owned; NULL: no authentication (SMTP only) */
	char *password;         /* owned; from password or password_file */
	int timeout;            /* seconds for connect and each command */
};

enum staff_role { STAFF_SECRETARIAT, STAFF_LEADERSHIP };

struct staff_config {
	char *address;          /* owned, lower case */
	char *name;             /* owned */
	enum staff_role role;
};

struct limits_config {
	size_t max_message_size;     /* bytes; larger messages are kept but not parsed */
	size_t max_header_count;
	size_t max_line_length;
	size_t max_mime_depth;
	size_t max_mime_parts;
	size_t max_attachment_size;
	size_t max_text_size;        /* decoded text kept per message */
};

struct md_config {
	char *path;                   /* owned: the file this came from */

	struct server_config imap;
	char *imap_mailbox;           /* owned: mailbox to poll, default INBOX */
	char *imap_processed_folder;  /* owned: NULL or "": flag in place instead of moving */
	int imap_fetch_chunk;         /* messages per UID FETCH */
	int imap_idle;                /* use IDLE when the server offers it */

	struct server_config smtp;
	char *smtp_from;              /* owned: chamber address notices come from */
	char *smtp_from_name;         /* owned: display name (UTF-8) */
	char *smtp_helo;              /* owned: NULL: libcurl's default */

	char *database;               /* owned: SQLite file path */
	char *chamber_name;           /* owned */
	char *case_prefix;            /* owned: e.g. "MD" → MD-2026-0001 */
	char *timezone;               /* owned: e.g. Asia/Shanghai */
	char *language;               /* owned: notice language, "zh" or "en" */
	char *template_dir;           /* owned */
	char *calendar_dir;           /* owned */
	char *filter_dir;             /* owned */
	char *message_id_domain;      /* owned: right-hand side of our Message-IDs */
	char *secret_file;            /* owned: HMAC key for staff reply tokens */
	char *run_as_user;            /* owned: NULL: keep the starting user */
	int poll_interval;            /* seconds between polls without IDLE */
	int outbox_max_attempts;      /* give up (failed) after this many temporary failures */
	int outbox_retry_max;         /* seconds: ceiling of the retry backoff */

	struct staff_config *staff;   /* owned array */
	size_t n_staff;

	/* Staff authentication: a command counts only with a valid reply token or
	 * a trusted Authentication-Results header from this authserv-id. */
	char *authserv_id;            /* owned; NULL: Authentication-Results not trusted */

	/* Case handling (issue-level policy, all in working days unless named). */
	int feedback_close_days;      /* no answer to a result notice → closed */
	int reminder_workdays;        /* remind staff this many working days before a deadline */
	int digest_hour;              /* local hour of the daily digest, -1: none */
	int duplicate_window_days;    /* calendar days for the possible-duplicate flag */

	/* Rate limits on automatic mail. */
	int max_notices_per_recipient_hour;
	int max_notices_per_case_day;

	struct limits_config limits;
};

/*
 * Parse and validate the file at path. On success *out holds the new
 * configuration and MD_OK is returned. On failure every problem found is
 * written to errors (one "file:line: message" per line; the stream may be
 * NULL) and MD_ERR_INPUT (or MD_ERR_IO when the file cannot be read) is
 * returned; *out is left NULL.
 */
enum md_err config_load(const char *path, FILE *errors, struct md_config **out);

/* Free a configuration returned by config_load(); NULL is allowed. */
void config_free(struct md_config *cfg);

/* The staff entry for a lower- or mixed-case address, or NULL. */
const struct staff_config *config_find_staff(const struct md_config *cfg, const char *address);

/* Default configuration file path (compiled-in sysconfdir). */
const char *config_default_path(void);

#endif
