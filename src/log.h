/*
 * Logging in the OpenSMTPD style: stderr with a level prefix in the
 * foreground, syslog(3) otherwise. log_warn() appends strerror(errno).
 * Message text that came from mail must go through log_escape() first so
 * that CR, LF and other control characters can never forge log lines.
 */
#ifndef MD_LOG_H
#define MD_LOG_H

#include <stddef.h>

enum log_level { LOG_LEVEL_ERROR = 0, LOG_LEVEL_WARN, LOG_LEVEL_INFO, LOG_LEVEL_DEBUG };

/* ident: program name for syslog; foreground: log to stderr instead of syslog. */
void log_init(const char *ident, int foreground, enum log_level level);
void log_set_level(enum log_level level);
enum log_level log_get_level(void);

void log_debug(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void log_info(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void log_warnx(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void log_warn(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void log_errx(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/*
 * Copy src into dst (size dstlen, always NUL-terminated when dstlen > 0),
 * replacing control characters and bytes >= 0x7f that are not valid UTF-8
 * with \xNN, and truncating with "..." when it does not fit. Returns dst.
 */
char *log_escape(char *dst, size_t dstlen, const char *src);

#endif
