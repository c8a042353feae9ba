/*
 * Configuration loading with libconfuse. Values are checked while the file
 * is parsed (libconfuse knows the line then), so every message carries
 * "file:line:". Validators report and count problems instead of aborting,
 * so one run of `memberdeskd -n` lists all of them.
 */
#include <errno.h>
#include <limits.h>
#include <pwd.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#include <confuse.h>

#include "config.h"

#define DEFAULT_PATH MD_SYSCONFDIR "/memberdesk/memberdesk.conf"

/* State of the one parse under way; configuration loading is single-threaded. */
static FILE *config_errors;
static unsigned config_error_count;
static cfg_t *config_root;   /* the lexer keeps the current line on the root only */

static void
config_report(cfg_t *cfg, const char *fmt, va_list ap) __attribute__((format(printf, 2, 0)));

static void
config_report(cfg_t *cfg, const char *fmt, va_list ap)
{
	config_error_count++;
	if (config_errors == NULL)
		return;
	if (config_root && config_root->filename)
		fprintf(config_errors, "%s:%d: ", config_root->filename,
		    cfg && cfg->line > config_root->line ? cfg->line : config_root->line);
	else if (cfg && cfg->filename)
		fprintf(config_errors, "%s:%d: ", cfg->filename, cfg->line);
	vfprintf(config_errors, fmt, ap);
	fputc('\n', config_errors);
}

static void
config_complain(cfg_t *cfg, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static void
config_complain(cfg_t *cfg, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	config_report(cfg, fmt, ap);
	va_end(ap);
}

/*
 * libconfuse calls an option's validator right after parsing each value,
 * while cfg->line still points at it; the value is the option's last one.
 */
static long
last_int(cfg_opt_t *opt)
{
	return cfg_opt_getnint(opt, cfg_opt_size(opt) - 1);
}

static const char *
last_str(cfg_opt_t *opt)
{
	const char *s = cfg_opt_getnstr(opt, cfg_opt_size(opt) - 1);

	return s ? s : "";
}

static int
validate_port(cfg_t *cfg, cfg_opt_t *opt)
{
	long port = last_int(opt);

	if (port < 1 || port > 65535)
		config_complain(cfg, "%s: port %ld is outside 1-65535", opt->name, port);
	return 0;
}

static int
validate_positive(cfg_t *cfg, cfg_opt_t *opt)
{
	long n = last_int(opt);

	if (n < 1 || n > INT_MAX)
		config_complain(cfg, "%s: %ld must be a positive number", opt->name, n);
	return 0;
}

static int
validate_user(cfg_t *cfg, cfg_opt_t *opt)
{
	const char *s = last_str(opt);

	if (getpwnam(s) == NULL)
		config_complain(cfg, "%s: no such user \"%s\"", opt->name, s);
	return 0;
}

static int
validate_hour(cfg_t *cfg, cfg_opt_t *opt)
{
	long h = last_int(opt);

	if (h < -1 || h > 23)
		config_complain(cfg, "%s: %ld is not an hour 0-23 (or -1 for none)", opt->name, h);
	return 0;
}

static int
validate_not_negative(cfg_t *cfg, cfg_opt_t *opt)
{
	long n = last_int(opt);

	if (n < 0 || n > 365)
		config_complain(cfg, "%s: %ld must be between 0 and 365", opt->name, n);
	return 0;
}

static int
validate_tls_mode(cfg_t *cfg, cfg_opt_t *opt)
{
	const char *s = last_str(opt);

	if (strcmp(s, "none") && strcmp(s, "starttls") && strcmp(s, "tls"))
		config_complain(cfg, "%s: \"%s\" is not one of none, starttls, tls", opt->name, s);
	return 0;
}

static int
validate_readable_file(cfg_t *cfg, cfg_opt_t *opt)
{
	const char *s = last_str(opt);

	if (*s && access(s, R_OK) != 0)
		config_complain(cfg, "%s: cannot read \"%s\": %s", opt->name, s, strerror(errno));
	return 0;
}

static int
validate_language(cfg_t *cfg, cfg_opt_t *opt)
{
	const char *s = last_str(opt);

	if (strcmp(s, "zh") && strcmp(s, "en"))
		config_complain(cfg, "%s: \"%s\" is not one of zh, en", opt->name, s);
	return 0;
}

static int
validate_role(cfg_t *cfg, cfg_opt_t *opt)
{
	const char *s = last_str(opt);

	if (strcmp(s, "secretariat") && strcmp(s, "leadership"))
		config_complain(cfg, "%s: \"%s\" is not one of secretariat, leadership",
		    opt->name, s);
	return 0;
}

/* An address we are willing to put into an envelope or a header. */
static int
address_is_plausible(const char *s)
{
	const char *at = strchr(s, '@');
	const unsigned char *p;

	if (at == NULL || at == s || at[1] == '\0' || strchr(at + 1, '@'))
		return 0;
	for (p = (const unsigned char *)s; *p; p++)
		if (*p <= ' ' || *p >= 0x7f || strchr("<>()[]\\,;:\"", *p))
			return 0;
	return 1;
}

static int
validate_address(cfg_t *cfg, cfg_opt_t *opt)
{
	const char *s = last_str(opt);

	if (!address_is_plausible(s))
		config_complain(cfg, "%s: \"%s\" is not a valid mail address", opt->name, s);
	return 0;
}

static int
validate_case_prefix(cfg_t *cfg, cfg_opt_t *opt)
{
	const char *s = last_str(opt);
	const char *p;

	if (*s == '\0' || strlen(s) > 16)
		config_complain(cfg, "%s: must be 1-16 characters", opt->name);
	for (p = s; *p; p++)
		if (!((*p >= 'A' && *p <= 'Z') || (*p >= 'a' && *p <= 'z') ||
		    (*p >= '0' && *p <= '9'))) {
			config_complain(cfg, "%s: \"%s\" may contain only letters and digits",
			    opt->name, s);
			break;
		}
	return 0;
}

static int
validate_timezone(cfg_t *cfg, cfg_opt_t *opt)
{
	const char *s = last_str(opt);
	char path[PATH_MAX];

	if (strstr(s, "..") || s[0] == '/' || *s == '\0') {
		config_complain(cfg, "%s: \"%s\" is not a time zone name", opt->name, s);
		return 0;
	}
	snprintf(path, sizeof(path), "/usr/share/zoneinfo/%s", s);
	if (strcmp(s, "UTC") && access(path, R_OK) != 0)
		config_complain(cfg, "%s: unknown time zone \"%s\" (no %s)", opt->name, s, path);
	return 0;
}

/* Section-level checks run when libconfuse has finished a section. */
static int
validate_server_section(cfg_t *cfg, cfg_opt_t *opt)
{
	cfg_t *sec = cfg_opt_getnsec(opt, cfg_opt_size(opt) - 1);
	const char *pw = cfg_getstr(sec, "password");
	const char *pwfile = cfg_getstr(sec, "password_file");

	if (sec == NULL)
		return 0;
	if (cfg_getstr(sec, "host") == NULL || *cfg_getstr(sec, "host") == '\0')
		config_complain(cfg, "%s: host is required", opt->name);
	if (pw && pwfile)
		config_complain(cfg, "%s: give password or password_file, not both", opt->name);
	if (strcmp(opt->name, "imap") == 0 && cfg_getstr(sec, "user") == NULL)
		config_complain(cfg, "imap: user is required");
	if (strcmp(opt->name, "smtp") == 0 && cfg_getstr(sec, "from") == NULL)
		config_complain(cfg, "smtp: from is required");
	return 0;
}

#define SERVER_OPTS(default_port)						\
	CFG_STR("host", NULL, CFGF_NODEFAULT),					\
	CFG_INT("port", default_port, CFGF_NONE),				\
	CFG_STR("tls", "none", CFGF_NONE),					\
	CFG_STR("ca_file", NULL, CFGF_NODEFAULT),				\
	CFG_BOOL("tls_verify", cfg_true, CFGF_NONE),				\
	CFG_STR("user", NULL, CFGF_NODEFAULT),					\
	CFG_STR("password", NULL, CFGF_NODEFAULT),				\
	CFG_STR("password_file", NULL, CFGF_NODEFAULT),				\
	CFG_INT("timeout", 30, CFGF_NONE)

static cfg_opt_t imap_opts[] = {
	SERVER_OPTS(143),
	CFG_STR("mailbox", "INBOX", CFGF_NONE),
	CFG_STR("processed_folder", "Processed", CFGF_NONE),
	CFG_INT("fetch_chunk", 100, CFGF_NONE),
	CFG_BOOL("idle", cfg_true, CFGF_NONE),
	CFG_END()
};

static cfg_opt_t smtp_opts[] = {
	SERVER_OPTS(25),
	CFG_STR("from", NULL, CFGF_NODEFAULT),
	CFG_STR("from_name", "", CFGF_NONE),
	CFG_STR("helo", NULL, CFGF_NODEFAULT),
	CFG_END()
};

static cfg_opt_t outbox_opts[] = {
	CFG_INT("max_attempts", 100, CFGF_NONE),
	CFG_INT("retry_max", 3600, CFGF_NONE),
	CFG_END()
};

static cfg_opt_t staff_opts[] = {
	CFG_STR("name", "", CFGF_NONE),
	CFG_STR("role", "secretariat", CFGF_NONE),
	CFG_END()
};

static cfg_opt_t limits_opts[] = {
	CFG_INT("max_message_size", 25 * 1024 * 1024, CFGF_NONE),
	CFG_INT("max_header_count", 1000, CFGF_NONE),
	CFG_INT("max_line_length", 998 * 10, CFGF_NONE),
	CFG_INT("max_mime_depth", 20, CFGF_NONE),
	CFG_INT("max_mime_parts", 200, CFGF_NONE),
	CFG_INT("max_attachment_size", 20 * 1024 * 1024, CFGF_NONE),
	CFG_INT("max_text_size", 1024 * 1024, CFGF_NONE),
	CFG_END()
};

static cfg_opt_t handling_opts[] = {
	CFG_INT("feedback_close_days", 5, CFGF_NONE),
	CFG_INT("reminder_workdays", 1, CFGF_NONE),
	CFG_INT("digest_hour", 8, CFGF_NONE),
	CFG_INT("duplicate_window_days", 14, CFGF_NONE),
	CFG_END()
};

static cfg_opt_t rate_opts[] = {
	CFG_INT("per_recipient_hour", 10, CFGF_NONE),
	CFG_INT("per_case_day", 10, CFGF_NONE),
	CFG_END()
};

static cfg_opt_t root_opts[] = {
	CFG_STR("chamber_name", "商会", CFGF_NONE),
	CFG_STR("case_prefix", "MD", CFGF_NONE),
	CFG_STR("timezone", "Asia/Shanghai", CFGF_NONE),
	CFG_STR("language", "zh", CFGF_NONE),
	CFG_STR("database", MD_LOCALSTATEDIR "/lib/memberdesk/memberdesk.db", CFGF_NONE),
	CFG_STR("template_dir", MD_PKGDATADIR "/templates", CFGF_NONE),
	CFG_STR("calendar_dir", MD_PKGDATADIR "/calendar", CFGF_NONE),
	CFG_STR("filter_dir", MD_SYSCONFDIR "/memberdesk/filters", CFGF_NONE),
	CFG_STR("message_id_domain", NULL, CFGF_NODEFAULT),
	CFG_STR("secret_file", NULL, CFGF_NODEFAULT),
	CFG_STR("user", NULL, CFGF_NODEFAULT),
	CFG_INT("poll_interval", 60, CFGF_NONE),
	CFG_SEC("imap", imap_opts, CFGF_NONE),
	CFG_SEC("smtp", smtp_opts, CFGF_NONE),
	CFG_SEC("outbox", outbox_opts, CFGF_NONE),
	CFG_SEC("limits", limits_opts, CFGF_NONE),
	CFG_SEC("staff", staff_opts, CFGF_MULTI | CFGF_TITLE | CFGF_NO_TITLE_DUPES),
	CFG_STR("authserv_id", NULL, CFGF_NODEFAULT),
	CFG_SEC("handling", handling_opts, CFGF_NONE),
	CFG_SEC("rate_limits", rate_opts, CFGF_NONE),
	CFG_END()
};

static void
config_set_validators(cfg_t *cfg)
{
	static const char *const servers[] = { "imap", "smtp" };
	static const char *const positive[] = {
		"poll_interval", "imap|timeout", "smtp|timeout", "imap|fetch_chunk",
		"outbox|max_attempts", "outbox|retry_max",
		"limits|max_message_size", "limits|max_header_count", "limits|max_line_length",
		"limits|max_mime_depth", "limits|max_mime_parts", "limits|max_attachment_size",
		"limits|max_text_size", "handling|feedback_close_days",
		"handling|duplicate_window_days", "rate_limits|per_recipient_hour",
		"rate_limits|per_case_day",
	};
	char name[64];
	size_t i;

	for (i = 0; i < sizeof(servers) / sizeof(servers[0]); i++) {
		snprintf(name, sizeof(name), "%s|port", servers[i]);
		cfg_set_validate_func(cfg, name, validate_port);
		snprintf(name, sizeof(name), "%s|tls", servers[i]);
		cfg_set_validate_func(cfg, name, validate_tls_mode);
		snprintf(name, sizeof(name), "%s|ca_file", servers[i]);
		cfg_set_validate_func(cfg, name, validate_readable_file);
		snprintf(name, sizeof(name), "%s|password_file", servers[i]);
		cfg_set_validate_func(cfg, name, validate_readable_file);
		cfg_set_validate_func(cfg, servers[i], validate_server_section);
	}
	for (i = 0; i < sizeof(positive) / sizeof(positive[0]); i++)
		cfg_set_validate_func(cfg, positive[i], validate_positive);
	cfg_set_validate_func(cfg, "smtp|from", validate_address);
	cfg_set_validate_func(cfg, "language", validate_language);
	cfg_set_validate_func(cfg, "case_prefix", validate_case_prefix);
	cfg_set_validate_func(cfg, "timezone", validate_timezone);
	cfg_set_validate_func(cfg, "secret_file", validate_readable_file);
	cfg_set_validate_func(cfg, "user", validate_user);
	cfg_set_validate_func(cfg, "staff|role", validate_role);
	cfg_set_validate_func(cfg, "handling|digest_hour", validate_hour);
	cfg_set_validate_func(cfg, "handling|reminder_workdays", validate_not_negative);
}

static char *
dup_or_null(const char *s)
{
	return s ? strdup(s) : NULL;
}

/* Read a one-line secret; the trailing newline is not part of it. */
static enum md_err
read_secret_file(const char *path, char **out)
{
	char line[1024];
	FILE *fp;
	size_t n;

	*out = NULL;
	fp = fopen(path, "r");
	if (fp == NULL)
		return MD_ERR_IO;
	if (fgets(line, sizeof(line), fp) == NULL)
		line[0] = '\0';
	fclose(fp);
	n = strcspn(line, "\r\n");
	line[n] = '\0';
	*out = strdup(line);
	return *out ? MD_OK : MD_ERR_NOMEM;
}

static enum tls_mode
tls_mode_from(const char *s)
{
	if (strcmp(s, "starttls") == 0)
		return TLS_MODE_STARTTLS;
	if (strcmp(s, "tls") == 0)
		return TLS_MODE_TLS;
	return TLS_MODE_NONE;
}

static enum md_err
fill_server(cfg_t *sec, const char *path, struct server_config *out)
{
	const char *pwfile = cfg_getstr(sec, "password_file");

	out->host = dup_or_null(cfg_getstr(sec, "host"));
	out->port = (int)cfg_getint(sec, "port");
	out->tls = tls_mode_from(cfg_getstr(sec, "tls"));
	out->ca_file = dup_or_null(cfg_getstr(sec, "ca_file"));
	out->tls_verify = cfg_getbool(sec, "tls_verify") == cfg_true;
	out->user = dup_or_null(cfg_getstr(sec, "user"));
	out->timeout = (int)cfg_getint(sec, "timeout");
	if (pwfile) {
		if (read_secret_file(pwfile, &out->password) != MD_OK) {
			if (config_errors)
				fprintf(config_errors, "%s: cannot read password file %s: %s\n",
				    path, pwfile, strerror(errno));
			config_error_count++;
			return MD_ERR_INPUT;
		}
	} else {
		out->password = dup_or_null(cfg_getstr(sec, "password"));
	}
	return MD_OK;
}

static void
free_server(struct server_config *s)
{
	free(s->host);
	free(s->ca_file);
	free(s->user);
	if (s->password) {
		explicit_bzero(s->password, strlen(s->password));
		free(s->password);
	}
}

static size_t
lim(cfg_t *sec, const char *name)
{
	return (size_t)cfg_getint(sec, name);
}

static char *
lowercase_dup(const char *s)
{
	char *d = strdup(s), *p;

	if (d)
		for (p = d; *p; p++)
			if (*p >= 'A' && *p <= 'Z')
				*p = (char)(*p - 'A' + 'a');
	return d;
}

static enum md_err
config_build(cfg_t *cfg, const char *path, struct md_config **out)
{
	struct md_config *c;
	cfg_t *limits = cfg_getsec(cfg, "limits");
	cfg_t *imap = cfg_getsec(cfg, "imap");
	cfg_t *smtp = cfg_getsec(cfg, "smtp");
	cfg_t *outbox = cfg_getsec(cfg, "outbox");
	cfg_t *handling = cfg_getsec(cfg, "handling");
	cfg_t *rate = cfg_getsec(cfg, "rate_limits");
	const char *from, *at;
	unsigned i, nstaff;
	enum md_err err = MD_OK;

	c = calloc(1, sizeof(*c));
	if (c == NULL)
		return MD_ERR_NOMEM;
	c->path = strdup(path);
	c->chamber_name = dup_or_null(cfg_getstr(cfg, "chamber_name"));
	c->case_prefix = dup_or_null(cfg_getstr(cfg, "case_prefix"));
	c->timezone = dup_or_null(cfg_getstr(cfg, "timezone"));
	c->language = dup_or_null(cfg_getstr(cfg, "language"));
	c->database = dup_or_null(cfg_getstr(cfg, "database"));
	c->template_dir = dup_or_null(cfg_getstr(cfg, "template_dir"));
	c->calendar_dir = dup_or_null(cfg_getstr(cfg, "calendar_dir"));
	c->filter_dir = dup_or_null(cfg_getstr(cfg, "filter_dir"));
	c->secret_file = dup_or_null(cfg_getstr(cfg, "secret_file"));
	c->run_as_user = dup_or_null(cfg_getstr(cfg, "user"));
	c->poll_interval = (int)cfg_getint(cfg, "poll_interval");

	if (imap) {
		err = fill_server(imap, path, &c->imap);
		c->imap_mailbox = dup_or_null(cfg_getstr(imap, "mailbox"));
		c->imap_processed_folder = dup_or_null(cfg_getstr(imap, "processed_folder"));
		c->imap_fetch_chunk = (int)cfg_getint(imap, "fetch_chunk");
		c->imap_idle = cfg_getbool(imap, "idle") == cfg_true;
	}
	if (smtp && err == MD_OK) {
		err = fill_server(smtp, path, &c->smtp);
		c->smtp_from = dup_or_null(cfg_getstr(smtp, "from"));
		c->smtp_from_name = dup_or_null(cfg_getstr(smtp, "from_name"));
		c->smtp_helo = dup_or_null(cfg_getstr(smtp, "helo"));
	}
	c->outbox_max_attempts = (int)cfg_getint(outbox, "max_attempts");
	c->outbox_retry_max = (int)cfg_getint(outbox, "retry_max");

	/* Our Message-IDs name the chamber's own domain unless told otherwise. */
	from = c->smtp_from;
	at = from ? strchr(from, '@') : NULL;
	if (cfg_getstr(cfg, "message_id_domain"))
		c->message_id_domain = strdup(cfg_getstr(cfg, "message_id_domain"));
	else
		c->message_id_domain = strdup(at ? at + 1 : "memberdesk.invalid");

	nstaff = cfg_size(cfg, "staff");
	if (nstaff) {
		c->staff = calloc(nstaff, sizeof(*c->staff));
		if (c->staff == NULL)
			err = MD_ERR_NOMEM;
	}
	for (i = 0; i < nstaff && c->staff; i++) {
		cfg_t *s = cfg_getnsec(cfg, "staff", i);

		c->staff[i].address = lowercase_dup(cfg_title(s));
		c->staff[i].name = dup_or_null(cfg_getstr(s, "name"));
		c->staff[i].role = strcmp(cfg_getstr(s, "role"), "leadership") == 0 ?
		    STAFF_LEADERSHIP : STAFF_SECRETARIAT;
		c->n_staff++;
		if (!address_is_plausible(cfg_title(s))) {
			if (config_errors)
				fprintf(config_errors, "%s: staff \"%s\" is not a valid mail address\n",
				    path, cfg_title(s));
			config_error_count++;
			err = MD_ERR_INPUT;
		}
	}

	c->authserv_id = dup_or_null(cfg_getstr(cfg, "authserv_id"));
	c->feedback_close_days = (int)cfg_getint(handling, "feedback_close_days");
	c->reminder_workdays = (int)cfg_getint(handling, "reminder_workdays");
	c->digest_hour = (int)cfg_getint(handling, "digest_hour");
	c->duplicate_window_days = (int)cfg_getint(handling, "duplicate_window_days");
	c->max_notices_per_recipient_hour = (int)cfg_getint(rate, "per_recipient_hour");
	c->max_notices_per_case_day = (int)cfg_getint(rate, "per_case_day");

	c->limits.max_message_size = lim(limits, "max_message_size");
	c->limits.max_header_count = lim(limits, "max_header_count");
	c->limits.max_line_length = lim(limits, "max_line_length");
	c->limits.max_mime_depth = lim(limits, "max_mime_depth");
	c->limits.max_mime_parts = lim(limits, "max_mime_parts");
	c->limits.max_attachment_size = lim(limits, "max_attachment_size");
	c->limits.max_text_size = lim(limits, "max_text_size");

	if (err == MD_OK && (c->path == NULL || c->chamber_name == NULL ||
	    c->case_prefix == NULL || c->timezone == NULL || c->database == NULL ||
	    c->message_id_domain == NULL))
		err = MD_ERR_NOMEM;
	if (err) {
		config_free(c);
		return err;
	}
	*out = c;
	return MD_OK;
}

enum md_err
config_load(const char *path, FILE *errors, struct md_config **out)
{
	cfg_t *cfg;
	int rc;
	enum md_err err;

	*out = NULL;
	config_errors = errors;
	config_error_count = 0;

	if (access(path, R_OK) != 0) {
		if (errors)
			fprintf(errors, "%s: cannot read: %s\n", path, strerror(errno));
		return MD_ERR_IO;
	}
	cfg = cfg_init(root_opts, CFGF_NONE);
	if (cfg == NULL)
		return MD_ERR_NOMEM;
	config_root = cfg;
	cfg_set_error_function(cfg, config_report);
	config_set_validators(cfg);
	rc = cfg_parse(cfg, path);
	if (rc == CFG_FILE_ERROR) {
		config_root = NULL;
		if (errors)
			fprintf(errors, "%s: cannot read: %s\n", path, strerror(errno));
		cfg_free(cfg);
		return MD_ERR_IO;
	}
	if (rc != CFG_SUCCESS && config_error_count == 0)
		config_complain(cfg, "syntax error");
	if (rc == CFG_SUCCESS) {
		/* Sections always exist with defaults; an absent one has no host. */
		if (cfg_getstr(cfg_getsec(cfg, "imap"), "host") == NULL)
			config_complain(cfg, "an imap section with host and user is required");
		if (cfg_getstr(cfg_getsec(cfg, "smtp"), "host") == NULL)
			config_complain(cfg, "an smtp section with host and from is required");
	}
	if (rc != CFG_SUCCESS || config_error_count) {
		config_root = NULL;
		cfg_free(cfg);
		return MD_ERR_INPUT;
	}
	err = config_build(cfg, path, out);
	config_root = NULL;
	cfg_free(cfg);
	if (err == MD_OK && config_error_count) {
		config_free(*out);
		*out = NULL;
		err = MD_ERR_INPUT;
	}
	return err;
}

void
config_free(struct md_config *c)
{
	size_t i;

	if (c == NULL)
		return;
	free(c->path);
	free_server(&c->imap);
	free(c->imap_mailbox);
	free(c->imap_processed_folder);
	free_server(&c->smtp);
	free(c->smtp_from);
	free(c->smtp_from_name);
	free(c->smtp_helo);
	free(c->database);
	free(c->chamber_name);
	free(c->case_prefix);
	free(c->timezone);
	free(c->language);
	free(c->template_dir);
	free(c->calendar_dir);
	free(c->filter_dir);
	free(c->message_id_domain);
	free(c->secret_file);
	free(c->authserv_id);
	free(c->run_as_user);
	for (i = 0; i < c->n_staff; i++) {
		free(c->staff[i].address);
		free(c->staff[i].name);
	}
	free(c->staff);
	free(c);
}

const struct staff_config *
config_find_staff(const struct md_config *cfg, const char *address)
{
	size_t i;

	if (address == NULL)
		return NULL;
	for (i = 0; i < cfg->n_staff; i++)
		if (strcasecmp(cfg->staff[i].address, address) == 0)
			return &cfg->staff[i];
	return NULL;
}

const char *
config_default_path(void)
{
	return DEFAULT_PATH;
}
