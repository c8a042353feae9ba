#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <syslog.h>
#include <time.h>

#include "log.h"
#include "utf8.h"

static int log_foreground = 1;
static enum log_level log_level = LOG_LEVEL_INFO;
static const char *log_ident = "memberdesk";

void
log_init(const char *ident, int foreground, enum log_level level)
{
	log_ident = ident;
	log_foreground = foreground;
	log_level = level;
	if (!foreground)
		openlog(ident, LOG_PID | LOG_NDELAY, LOG_MAIL);
}

void
log_set_level(enum log_level level)
{
	log_level = level;
}

enum log_level
log_get_level(void)
{
	return log_level;
}

static void
log_emit(enum log_level level, const char *fmt, va_list ap, int with_errno, int saved_errno)
    __attribute__((format(printf, 2, 0)));

static void
log_emit(enum log_level level, const char *fmt, va_list ap, int with_errno, int saved_errno)
{
	static const int prio[] = { LOG_ERR, LOG_WARNING, LOG_INFO, LOG_DEBUG };
	static const char *const name[] = { "error", "warning", "info", "debug" };
	char msg[2048];
	int n;

	if (level > log_level)
		return;
	n = vsnprintf(msg, sizeof(msg), fmt, ap);
	if (n < 0)
		return;
	if (with_errno && (size_t)n < sizeof(msg))
		snprintf(msg + n, sizeof(msg) - (size_t)n, ": %s", strerror(saved_errno));
	if (log_foreground) {
		fprintf(stderr, "%s: %s: %s\n", log_ident, name[level], msg);
		fflush(stderr);
	} else {
		syslog(prio[level], "%s", msg);
	}
}

#define LOG_BODY(level, with_errno) do {			\
	int saved = errno;					\
	va_list ap;						\
	va_start(ap, fmt);					\
	log_emit(level, fmt, ap, with_errno, saved);		\
	va_end(ap);						\
	errno = saved;						\
} while (0)

void log_debug(const char *fmt, ...) { LOG_BODY(LOG_LEVEL_DEBUG, 0); }
void log_info(const char *fmt, ...) { LOG_BODY(LOG_LEVEL_INFO, 0); }
void log_warnx(const char *fmt, ...) { LOG_BODY(LOG_LEVEL_WARN, 0); }
void log_warn(const char *fmt, ...) { LOG_BODY(LOG_LEVEL_WARN, 1); }
void log_errx(const char *fmt, ...) { LOG_BODY(LOG_LEVEL_ERROR, 0); }

char *
log_escape(char *dst, size_t dstlen, const char *src)
{
	const unsigned char *s = (const unsigned char *)src;
	size_t o = 0, seq;

	if (dstlen == 0)
		return dst;
	if (src == NULL)
		src = "(null)", s = (const unsigned char *)src;
	while (*s) {
		char tmp[8];
		size_t tlen;

		if (*s >= 0x20 && *s < 0x7f) {
			tmp[0] = (char)*s;
			tlen = 1;
			seq = 1;
		} else if (*s >= 0x80 && (seq = utf8_decode_str(s, NULL)) > 1) {
			memcpy(tmp, s, seq);
			tlen = seq;
		} else {
			snprintf(tmp, sizeof(tmp), "\\x%02x", *s);
			tlen = 4;
			seq = 1;
		}
		if (o + tlen + 4 > dstlen) {
			if (dstlen >= 4) {
				o = o + 3 < dstlen ? o : dstlen - 4;
				memcpy(dst + o, "...", 3);
				o += 3;
			}
			break;
		}
		memcpy(dst + o, tmp, tlen);
		o += tlen;
		s += seq;
	}
	dst[o] = '\0';
	return dst;
}
