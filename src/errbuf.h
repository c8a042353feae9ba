/*
 * Caller-supplied error text: functions that can explain a failure in more
 * detail than an md_err take (char *errbuf, size_t errlen) and fill it with
 * seterr(). Callers that do not want the text pass NULL.
 */
#ifndef MD_ERRBUF_H
#define MD_ERRBUF_H

#include <stddef.h>

/*
 * Format into errbuf (errlen bytes, always NUL-terminated, cut when too
 * long). Does nothing when errbuf is NULL or errlen is 0.
 */
void seterr(char *errbuf, size_t errlen, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

#endif
