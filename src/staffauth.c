#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include <gnutls/crypto.h>
#include <gnutls/gnutls.h>

#include "buf.h"
#include "log.h"
#include "staffauth.h"
#include "thread.h"

#define SECRET_MIN	16
#define SECRET_MAX	4096
#define SECRET_RANDOM	32

static const char base32[] = "abcdefghijklmnopqrstuvwxyz234567";

/*
 * The secret as last read, and from where: the daemon makes a token for
 * most notices, and reading the file for each was a syscall round of its
 * own per message. staffauth_forget_secret() empties it on reload; a
 * different path (another configuration) reads again. Single-threaded.
 */
static struct {
	char path[4096];
	unsigned char key[SECRET_MAX];
	size_t len;             /* 0: nothing cached */
} secret;

void
staffauth_forget_secret(void)
{
	gnutls_memset(secret.key, 0, sizeof(secret.key));
	secret.len = 0;
	secret.path[0] = '\0';
}

/* Where the secret is: the configured file, else next to the database. */
static enum md_err
secret_path(const struct md_config *cfg, char *out, size_t outlen, int *generated)
{
	const char *slash;
	int n;

	*generated = 0;
	if (cfg->secret_file && *cfg->secret_file) {
		n = snprintf(out, outlen, "%s", cfg->secret_file);
	} else {
		if (cfg->database == NULL)
			return MD_ERR_INPUT;
		*generated = 1;
		slash = strrchr(cfg->database, '/');
		if (slash == NULL)
			n = snprintf(out, outlen, "%s", STAFFAUTH_SECRET_NAME);
		else
			n = snprintf(out, outlen, "%.*s/%s", (int)(slash - cfg->database),
			    cfg->database, STAFFAUTH_SECRET_NAME);
	}
	return n < 0 || (size_t)n >= outlen ? MD_ERR_INPUT : MD_OK;
}

/* Create the secret file; losing a race to another process is fine. */
static enum md_err
secret_create(const char *path)
{
	unsigned char rnd[SECRET_RANDOM];
	char hex[SECRET_RANDOM * 2 + 2];
	size_t i;
	ssize_t w;
	int fd;

	if (gnutls_rnd(GNUTLS_RND_KEY, rnd, sizeof(rnd)) != 0)
		return MD_ERR_IO;
	for (i = 0; i < sizeof(rnd); i++)
		snprintf(hex + 2 * i, 3, "%02x", rnd[i]);
	hex[2 * sizeof(rnd)] = '\n';
	hex[2 * sizeof(rnd) + 1] = '\0';
	fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
	if (fd == -1)
		return errno == EEXIST ? MD_OK : MD_ERR_IO;
	w = write(fd, hex, strlen(hex));
	if (w != (ssize_t)strlen(hex) || fsync(fd) != 0) {
		close(fd);
		unlink(path);
		return MD_ERR_IO;
	}
	if (close(fd) != 0)
		return MD_ERR_IO;
	log_info("created the staff reply-token secret %s", path);
	return MD_OK;
}

/* The secret for cfg into *key (valid until staffauth_forget_secret()). */
static enum md_err
secret_get(const struct md_config *cfg, const unsigned char **key, size_t *keylen)
{
	char path[sizeof(secret.path)];
	FILE *fp;
	size_t n;
	int generated;
	enum md_err err;

	err = secret_path(cfg, path, sizeof(path), &generated);
	if (err)
		return err;
	if (secret.len > 0 && strcmp(path, secret.path) == 0) {
		*key = secret.key;
		*keylen = secret.len;
		return MD_OK;
	}
	staffauth_forget_secret();
	fp = fopen(path, "rbe");
	if (fp == NULL && errno == ENOENT && generated) {
		err = secret_create(path);
		if (err) {
			log_warn("cannot create the staff reply-token secret %s", path);
			return err;
		}
		fp = fopen(path, "rbe");
	}
	if (fp == NULL) {
		log_warn("cannot read the staff reply-token secret %s", path);
		return MD_ERR_IO;
	}
	n = fread(secret.key, 1, sizeof(secret.key), fp);
	if (ferror(fp)) {
		fclose(fp);
		staffauth_forget_secret();
		return MD_ERR_IO;
	}
	fclose(fp);
	while (n > 0 && (secret.key[n - 1] == '\n' || secret.key[n - 1] == '\r' ||
	    secret.key[n - 1] == ' '))
		n--;
	if (n < SECRET_MIN) {
		log_warnx("staff reply-token secret %s is shorter than %d bytes", path, SECRET_MIN);
		staffauth_forget_secret();
		return MD_ERR_INPUT;
	}
	memcpy(secret.path, path, sizeof(secret.path));
	secret.len = n;
	*key = secret.key;
	*keylen = n;
	return MD_OK;
}

enum md_err
staffauth_token(const struct md_config *cfg, const char *staff, const char *case_number,
    char *token)
{
	const unsigned char *key = NULL;
	unsigned char mac[32];
	struct buf in;
	size_t keylen = 0, i, bit;
	enum md_err err;

	token[0] = '\0';
	if (staff == NULL || *staff == '\0' || case_number == NULL || *case_number == '\0')
		return MD_ERR_INPUT;
	err = secret_get(cfg, &key, &keylen);
	if (err)
		return err;
	buf_init(&in, 1024);
	for (i = 0; staff[i] != '\0' && err == MD_OK; i++)
		err = buf_putc(&in, staff[i] >= 'A' && staff[i] <= 'Z' ?
		    (char)(staff[i] - 'A' + 'a') : staff[i]);
	if (err == MD_OK)
		err = buf_printf(&in, "\n%s", case_number);
	if (err == MD_OK && gnutls_hmac_fast(GNUTLS_MAC_SHA256, key, keylen, in.data, in.len,
	    mac) != 0)
		err = MD_ERR_TLS;
	buf_free(&in);
	if (err)
		return err;
	/* 16 base32 characters: the first 80 bits of the MAC. */
	for (i = 0; i < STAFFAUTH_TOKEN_LEN; i++) {
		unsigned v = 0;

		for (bit = i * 5; bit < i * 5 + 5; bit++)
			v = (v << 1) | ((mac[bit / 8] >> (7 - bit % 8)) & 1);
		token[i] = base32[v];
	}
	token[STAFFAUTH_TOKEN_LEN] = '\0';
	return MD_OK;
}

enum md_err
staffauth_reply_address(const struct md_config *cfg, const char *staff,
    const char *case_number, char *out, size_t outlen)
{
	char token[STAFFAUTH_TOKEN_LEN + 1], lower[CASE_NUMBER_MAX];
	const char *at;
	size_t i;
	int n;
	enum md_err err;

	if (cfg->smtp_from == NULL || (at = strchr(cfg->smtp_from, '@')) == NULL ||
	    strlen(case_number) >= sizeof(lower))
		return MD_ERR_INPUT;
	err = staffauth_token(cfg, staff, case_number, token);
	if (err)
		return err;
	for (i = 0; case_number[i] != '\0'; i++)
		lower[i] = case_number[i] >= 'A' && case_number[i] <= 'Z' ?
		    (char)(case_number[i] - 'A' + 'a') : case_number[i];
	lower[i] = '\0';
	n = snprintf(out, outlen, "%.*s+%s.%s%s", (int)(at - cfg->smtp_from), cfg->smtp_from,
	    lower, token, at);
	return n < 0 || (size_t)n >= outlen ? MD_ERR_INPUT : MD_OK;
}

int
staffauth_parse_reply_address(const struct md_config *cfg, const char *addr, char *number,
    size_t numberlen, char *token, size_t tokenlen)
{
	const char *at, *our_at, *plus, *dot;
	size_t local;

	if (cfg->smtp_from == NULL || (our_at = strchr(cfg->smtp_from, '@')) == NULL ||
	    addr == NULL || (at = strrchr(addr, '@')) == NULL)
		return 0;
	local = (size_t)(our_at - cfg->smtp_from);
	if (strcasecmp(at, our_at) != 0 || strncasecmp(addr, cfg->smtp_from, local) != 0 ||
	    addr[local] != '+')
		return 0;
	plus = addr + local;
	dot = NULL;
	for (const char *p = plus + 1; p < at; p++)
		if (*p == '.')
			dot = p;
	if (dot == NULL || dot == plus + 1 || dot + 1 == at ||
	    (size_t)(dot - plus - 1) >= numberlen || (size_t)(at - dot - 1) >= tokenlen)
		return 0;
	memcpy(number, plus + 1, (size_t)(dot - plus - 1));
	number[dot - plus - 1] = '\0';
	memcpy(token, dot + 1, (size_t)(at - dot - 1));
	token[at - dot - 1] = '\0';
	return 1;
}

/* Equal regardless of case, in time independent of where they differ. */
static int
token_equal(const char *a, const char *b)
{
	size_t i, la = strlen(a), lb = strlen(b);
	unsigned diff = la != lb;

	if (la != STAFFAUTH_TOKEN_LEN)
		return 0;
	for (i = 0; i < la && i < lb; i++)
		diff |= (unsigned)((a[i] | 0x20) ^ (b[i] | 0x20));
	return diff == 0;
}

/* Does addr carry a valid token for staff and case_number? */
static enum md_err
check_address(const struct md_config *cfg, const char *addr, const char *staff,
    const char *case_number, int *ok)
{
	char part[STAFFAUTH_ADDR_MAX], tok[STAFFAUTH_ADDR_MAX], number[CASE_NUMBER_MAX];
	char want[STAFFAUTH_TOKEN_LEN + 1];
	enum md_err err;

	if (!staffauth_parse_reply_address(cfg, addr, part, sizeof(part), tok, sizeof(tok)) ||
	    !thread_find_tag(part, cfg->case_prefix, number, sizeof(number)) ||
	    strcmp(number, case_number) != 0)
		return MD_OK;
	err = staffauth_token(cfg, staff, case_number, want);
	if (err == MD_OK)
		*ok = token_equal(tok, want);
	return err;
}

/* Copy the address inside a Delivered-To/X-Original-To value, lower-cased. */
static int
header_address(const char *v, char *out, size_t outlen)
{
	size_t n, i;

	while (*v == ' ' || *v == '\t' || *v == '<')
		v++;
	n = strcspn(v, "> \t");
	if (n == 0 || n >= outlen)
		return 0;
	for (i = 0; i < n; i++)
		out[i] = v[i] >= 'A' && v[i] <= 'Z' ? (char)(v[i] - 'A' + 'a') : v[i];
	out[n] = '\0';
	return 1;
}

enum md_err
staffauth_check(const struct md_config *cfg, const struct message *msg,
    const char *case_number, enum staffauth_verdict *verdict)
{
	const struct staff_config *staff;
	char addr[STAFFAUTH_ADDR_MAX];
	const char *domain;
	enum staffauth_verdict v;
	enum md_err err = MD_OK;
	size_t i;
	int ok = 0;

	*verdict = STAFFAUTH_NOT_STAFF;
	if (msg->from_addr == NULL || (staff = config_find_staff(cfg, msg->from_addr)) == NULL)
		return MD_OK;
	*verdict = STAFFAUTH_NO_PROOF;
	for (i = 0; i < msg->n_to && !ok && err == MD_OK; i++)
		err = check_address(cfg, msg->to_addrs[i], staff->address, case_number, &ok);
	for (i = 0; i < msg->n_cc && !ok && err == MD_OK; i++)
		err = check_address(cfg, msg->cc_addrs[i], staff->address, case_number, &ok);
	for (i = 0; i < msg->n_headers && !ok && err == MD_OK; i++)
		if ((strcasecmp(msg->headers[i].name, "Delivered-To") == 0 ||
		    strcasecmp(msg->headers[i].name, "X-Original-To") == 0) &&
		    header_address(msg->headers[i].value, addr, sizeof(addr)))
			err = check_address(cfg, addr, staff->address, case_number, &ok);
	if (err)
		return err;
	if (ok) {
		*verdict = STAFFAUTH_TOKEN;
		return MD_OK;
	}
	if (cfg->authserv_id == NULL || *cfg->authserv_id == '\0')
		return MD_OK;
	domain = strrchr(msg->from_addr, '@');
	if (domain == NULL)
		return MD_OK;
	domain++;
	for (i = 0; i < msg->n_headers; i++) {
		if (strcasecmp(msg->headers[i].name, "Authentication-Results") != 0)
			continue;
		v = staffauth_parse_results(msg->headers[i].value, cfg->authserv_id, domain);
		if (staffauth_ok(v)) {
			*verdict = v;
			break;
		}
	}
	return MD_OK;
}

int
staffauth_ok(enum staffauth_verdict v)
{
	return v == STAFFAUTH_TOKEN || v == STAFFAUTH_DKIM || v == STAFFAUTH_DMARC;
}

const char *
staffauth_verdict_name(enum staffauth_verdict v)
{
	switch (v) {
	case STAFFAUTH_NOT_STAFF: return "not-staff";
	case STAFFAUTH_NO_PROOF:  return "no-proof";
	case STAFFAUTH_TOKEN:     return "token";
	case STAFFAUTH_DKIM:      return "dkim";
	case STAFFAUTH_DMARC:     return "dmarc";
	}
	return "?";
}

/*
 * A copy of value with comments blanked, quotes dropped and every
 * separator a plain ';' or ' ', so the rest is simple splitting.
 */
static char *
results_clean(const char *value)
{
	char *s = strdup(value);
	size_t i, j = 0;
	int depth = 0, quoted = 0;

	if (s == NULL)
		return NULL;
	for (i = 0; value[i] != '\0'; i++) {
		char c = value[i];

		if (quoted) {
			if (c == '\\' && value[i + 1] != '\0')
				c = value[++i];
			else if (c == '"') {
				quoted = 0;
				continue;
			}
			s[j++] = c == ';' || c == '(' || c == ')' ? ' ' : c;
			continue;
		}
		if (c == '(') {
			depth++;
			continue;
		}
		if (depth > 0) {
			if (c == ')')
				depth--;
			else if (c == '\\' && value[i + 1] != '\0')
				i++;
			continue;
		}
		if (c == '"') {
			quoted = 1;
			continue;
		}
		s[j++] = c == '\t' || c == '\r' || c == '\n' ? ' ' : c;
	}
	s[j] = '\0';
	return s;
}

/* Does a property value name domain (header.i may be "user@domain" or "@domain")? */
static int
names_domain(const char *v, const char *domain)
{
	const char *at = strrchr(v, '@');

	return strcasecmp(at ? at + 1 : v, domain) == 0;
}

static enum staffauth_verdict
results_resinfo(char *ri, const char *domain)
{
	char *save = NULL, *tok, *eq;
	int dkim = 0, dmarc = 0, pass = 0, match = 0;

	tok = strtok_r(ri, " ", &save);
	if (tok == NULL || (eq = strchr(tok, '=')) == NULL)
		return STAFFAUTH_NO_PROOF;
	*eq = '\0';
	dkim = strcasecmp(tok, "dkim") == 0;
	dmarc = strcasecmp(tok, "dmarc") == 0;
	pass = strcasecmp(eq + 1, "pass") == 0;
	if (!(dkim || dmarc) || !pass)
		return STAFFAUTH_NO_PROOF;
	while ((tok = strtok_r(NULL, " ", &save)) != NULL) {
		if ((eq = strchr(tok, '=')) == NULL)
			continue;
		*eq = '\0';
		if (dkim && (strcasecmp(tok, "header.d") == 0 || strcasecmp(tok, "header.i") == 0))
			match |= names_domain(eq + 1, domain);
		if (dmarc && strcasecmp(tok, "header.from") == 0)
			match |= strcasecmp(eq + 1, domain) == 0;
	}
	if (!match)
		return STAFFAUTH_NO_PROOF;
	return dkim ? STAFFAUTH_DKIM : STAFFAUTH_DMARC;
}

enum staffauth_verdict
staffauth_parse_results(const char *value, const char *authserv_id, const char *domain)
{
	enum staffauth_verdict best = STAFFAUTH_NO_PROOF, v;
	char *s, *save = NULL, *part, *id, *idsave = NULL;

	if (value == NULL || authserv_id == NULL || *authserv_id == '\0' || domain == NULL ||
	    (s = results_clean(value)) == NULL)
		return STAFFAUTH_NO_PROOF;
	part = strtok_r(s, ";", &save);
	id = part ? strtok_r(part, " ", &idsave) : NULL;
	/* Results from anyone but our own server say nothing (RFC 8601 §5). */
	if (id == NULL || strcasecmp(id, authserv_id) != 0) {
		free(s);
		return STAFFAUTH_NO_PROOF;
	}
	while ((part = strtok_r(NULL, ";", &save)) != NULL) {
		v = results_resinfo(part, domain);
		if (v == STAFFAUTH_DKIM || (v == STAFFAUTH_DMARC && best == STAFFAUTH_NO_PROOF))
			best = v;
	}
	free(s);
	return best;
}
