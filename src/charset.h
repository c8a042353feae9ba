/*
 * Text from mail to UTF-8. Labels are mapped the way mail clients really
 * use them (GB2312 mail carries GBK and GB18030 characters, ISO-8859-1 mail
 * carries Windows-1252 quotes), unknown or missing labels are guessed
 * (UTF-8 when valid, else GB18030), and bytes that cannot be converted
 * become U+FFFD: conversion never fails on content, it only reports what it
 * had to guess or replace.
 */
#ifndef MD_CHARSET_H
#define MD_CHARSET_H

#include <stddef.h>

#include "buf.h"
#include "error.h"
#include "utf8.h"  /* utf8_valid(), utf8_decode() */

enum charset_status {
	CHARSET_LOSSY   = 1 << 0,  /* some bytes were replaced with U+FFFD */
	CHARSET_GUESSED = 1 << 1,  /* a label was given but unknown; content was guessed */
	CHARSET_NOT_UTF8_FALLBACK = 1 << 2  /* no usable label and not UTF-8: decoded as GB18030 */
};

/*
 * Write into name (size namelen) the iconv name used for a MIME charset
 * label (case, quotes and blanks ignored); "UTF-8" stands for every UTF-8
 * alias. Returns MD_OK; MD_ERR_NOTFOUND when the label is empty, malformed
 * or unknown to both the alias table and iconv; MD_ERR_LIMIT when name is
 * too small.
 */
enum md_err charset_canonical(const char *label, char *name, size_t namelen);

/*
 * Length of the longest prefix of s[0..len) that does not end inside a
 * UTF-8 sequence; used to cut text without splitting a character.
 */
size_t utf8_cut(const char *s, size_t len);

/*
 * Append as much of the UTF-8 text s[0..len) to out as fits, cut on a
 * character boundary. MD_ERR_LIMIT when it had to cut, MD_ERR_NOMEM.
 */
enum md_err utf8_append_fit(struct buf *out, const char *s, size_t len);

/*
 * Append s[0..len) to out with every ill-formed UTF-8 sequence replaced by
 * U+FFFD; sets CHARSET_LOSSY in *status when it replaced anything.
 * MD_ERR_LIMIT when out is full (what fitted is kept), MD_ERR_NOMEM.
 */
enum md_err utf8_sanitize(const char *s, size_t len, struct buf *out, unsigned *status);

/*
 * Convert in[0..len) labelled label (NULL or "" when the mail gave none) to
 * UTF-8 and append it to out. ORs enum charset_status bits into *status.
 * Returns MD_OK; MD_ERR_LIMIT when out reached its limit (the converted
 * prefix is kept, cut on a character boundary); MD_ERR_NOMEM.
 */
enum md_err charset_to_utf8(const char *label, const char *in, size_t len, struct buf *out,
    unsigned *status);

#endif
