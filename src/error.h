/*
 * Error codes shared by every module. Modules return these; only main() exits.
 * The split between temporary and final failures drives retries (as in mbsync):
 * a temporary failure is retried later with backoff, a final one is recorded
 * and never retried.
 */
#ifndef MD_ERROR_H
#define MD_ERROR_H

enum md_err {
	MD_OK = 0,
	MD_ERR_TEMP,      /* temporary: network, server busy, database busy; retry later */
	MD_ERR_FINAL,     /* permanent refusal by a peer (e.g. SMTP 5xx); do not retry */
	MD_ERR_INPUT,     /* malformed or oversized input; caller reports it clearly */
	MD_ERR_NOMEM,     /* allocation failed */
	MD_ERR_IO,        /* local I/O failure (disk full, read-only, permission) */
	MD_ERR_DB,        /* database failure other than busy */
	MD_ERR_NOTFOUND,  /* the thing asked for does not exist */
	MD_ERR_EXISTS,    /* the thing to create exists already (e.g. duplicate message) */
	MD_ERR_STATE,     /* operation not allowed in the current state */
	MD_ERR_TLS,       /* TLS handshake or certificate verification failed */
	MD_ERR_AUTH,      /* authentication refused */
	MD_ERR_LIMIT      /* a configured bound (size, count, depth) was exceeded */
};

/* Short English description of an error code; never NULL. */
const char *md_strerror(enum md_err err);

/* Nonzero when the error is worth retrying later. */
int md_err_is_temporary(enum md_err err);

#endif
