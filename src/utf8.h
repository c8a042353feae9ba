/*
 * The one strict UTF-8 decoder. Every module that walks text character by
 * character uses it, so "valid UTF-8" means the same thing everywhere: no
 * overlong forms, no surrogates, nothing past U+10FFFF, no truncated
 * sequences (RFC 3629).
 */
#ifndef MD_UTF8_H
#define MD_UTF8_H

#include <stddef.h>
#include <stdint.h>

/*
 * Decode the UTF-8 sequence at s, reading at most n bytes. Returns its
 * length (1 to 4) and stores the code point in *cp (cp may be NULL when
 * only the length is wanted); returns 0 and leaves *cp alone when n is 0
 * or the bytes are not a valid sequence (stray continuation byte, C0/C1 or
 * F5..FF lead byte, overlong form, surrogate, value past U+10FFFF,
 * sequence truncated by n or by a byte that is not a continuation byte).
 * A NUL byte decodes as U+0000 with length 1.
 */
size_t utf8_decode(const unsigned char *s, size_t n, uint32_t *cp);

/*
 * utf8_decode() on a NUL-terminated string: never reads past the NUL, so
 * callers walking a C string need not know its length. Returns 0 at the
 * terminator itself, like utf8_decode() with n 0.
 */
size_t utf8_decode_str(const unsigned char *s, uint32_t *cp);

/* Nonzero when s[0..len) is entirely valid UTF-8 in the sense of utf8_decode(). */
int utf8_valid(const char *s, size_t len);

#endif
