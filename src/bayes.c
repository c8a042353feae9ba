/*
 * Multinomial naive Bayes over character bigrams and ASCII words; see
 * bayes.h for the model and why the confidence is tempered.
 */
#include <errno.h>
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "bayes.h"
#include "utf8.h"

#define BAYES_MAX_FEATURES	2000000
#define BAYES_MAX_KEY		64
#define BAYES_MAX_DOC_TOKENS	20000
#define BAYES_MAX_LINE		65536
#define BAYES_MAGIC		"MDBAYES1"
#define BAYES_WORD_MAX		32

struct entry {
	char *key;                 /* owned; NULL: free slot */
	size_t klen;
	uint32_t counts[MD_TYPE_COUNT];
};

struct bayes {
	struct entry *tab;         /* open addressing, linear probing */
	size_t cap;                /* power of two */
	size_t used;
	uint32_t docs[MD_TYPE_COUNT];
	uint64_t tokens[MD_TYPE_COUNT];
};

static uint64_t
hash(const char *s, size_t n)
{
	uint64_t h = 1469598103934665603ULL;
	size_t i;

	for (i = 0; i < n; i++) {
		h ^= (unsigned char)s[i];
		h *= 1099511628211ULL;
	}
	return h;
}

enum md_err
bayes_new(struct bayes **out)
{
	struct bayes *m;

	*out = NULL;
	if ((m = calloc(1, sizeof(*m))) == NULL)
		return MD_ERR_NOMEM;
	m->cap = 1024;
	if ((m->tab = calloc(m->cap, sizeof(*m->tab))) == NULL) {
		free(m);
		return MD_ERR_NOMEM;
	}
	*out = m;
	return MD_OK;
}

void
bayes_free(struct bayes *m)
{
	size_t i;

	if (m == NULL)
		return;
	for (i = 0; i < m->cap; i++)
		free(m->tab[i].key);
	free(m->tab);
	free(m);
}

static struct entry *
lookup(const struct bayes *m, const char *k, size_t n)
{
	size_t i = (size_t)hash(k, n) & (m->cap - 1);

	while (m->tab[i].key != NULL) {
		if (m->tab[i].klen == n && memcmp(m->tab[i].key, k, n) == 0)
			return &m->tab[i];
		i = (i + 1) & (m->cap - 1);
	}
	return NULL;
}

static enum md_err
grow(struct bayes *m)
{
	struct entry *nt, *e;
	size_t ncap = m->cap * 2, i, j;

	if ((nt = calloc(ncap, sizeof(*nt))) == NULL)
		return MD_ERR_NOMEM;
	for (i = 0; i < m->cap; i++) {
		e = &m->tab[i];
		if (e->key == NULL)
			continue;
		j = (size_t)hash(e->key, e->klen) & (ncap - 1);
		while (nt[j].key != NULL)
			j = (j + 1) & (ncap - 1);
		nt[j] = *e;
	}
	free(m->tab);
	m->tab = nt;
	m->cap = ncap;
	return MD_OK;
}

/* The entry for k, created with zero counts when new. */
static enum md_err
intern(struct bayes *m, const char *k, size_t n, struct entry **out)
{
	struct entry *e;
	size_t i;
	enum md_err r;

	if ((e = lookup(m, k, n)) != NULL) {
		*out = e;
		return MD_OK;
	}
	if (m->used >= BAYES_MAX_FEATURES)
		return MD_ERR_LIMIT;
	if ((m->used + 1) * 10 > m->cap * 7 && (r = grow(m)) != MD_OK)
		return r;
	i = (size_t)hash(k, n) & (m->cap - 1);
	while (m->tab[i].key != NULL)
		i = (i + 1) & (m->cap - 1);
	e = &m->tab[i];
	if ((e->key = malloc(n)) == NULL)
		return MD_ERR_NOMEM;
	memcpy(e->key, k, n);
	e->klen = n;
	memset(e->counts, 0, sizeof(e->counts));
	m->used++;
	*out = e;
	return MD_OK;
}

/* ---- features ---- */

typedef enum md_err (*feature_fn)(void *arg, const char *key, size_t len);

static int
is_cjk(uint32_t c)
{
	return (c >= 0x3400 && c <= 0x4dbf) || (c >= 0x4e00 && c <= 0x9fff) ||
	    (c >= 0xf900 && c <= 0xfaff) || (c >= 0x20000 && c <= 0x2ffff) ||
	    (c >= 0x3040 && c <= 0x30ff) || (c >= 0xac00 && c <= 0xd7af);
}

static int
is_word(uint32_t c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
}

static enum md_err
emit_word(const char *w, size_t n, feature_fn fn, void *arg)
{
	char low[BAYES_WORD_MAX];
	size_t i;
	int alpha = 0;

	if (n < 2 || n > BAYES_WORD_MAX)
		return MD_OK;
	for (i = 0; i < n; i++) {
		low[i] = w[i] >= 'A' && w[i] <= 'Z' ? (char)(w[i] + ('a' - 'A')) : w[i];
		if (low[i] >= 'a' && low[i] <= 'z')
			alpha = 1;
	}
	/* Numbers (dates, amounts, phone numbers) say nothing about the type. */
	if (!alpha)
		return MD_OK;
	return fn(arg, low, n);
}

/*
 * Call fn for every feature of text, stopping after BAYES_MAX_DOC_TOKENS so
 * one huge message cannot dominate a model or take long to score.
 */
static enum md_err
features(const char *text, size_t len, feature_fn fn, void *arg)
{
	const unsigned char *u = (const unsigned char *)text;
	size_t i = 0, n, prev_at = 0, prev_n = 0, run = 0, word_at = 0, emitted = 0;
	int in_word = 0;
	uint32_t cp;
	enum md_err r;

	while (i <= len && emitted < BAYES_MAX_DOC_TOKENS) {
		if (i == len) {
			n = 1;
			cp = ' ';
		} else if ((n = utf8_decode(u + i, len - i, &cp)) == 0) {
			n = 1;
			cp = ' ';
		}
		if (in_word && !is_word(cp)) {
			if ((r = emit_word(text + word_at, i - word_at, fn, arg)) != MD_OK)
				return r;
			emitted++;
			in_word = 0;
		} else if (!in_word && is_word(cp)) {
			in_word = 1;
			word_at = i;
		}
		if (is_cjk(cp)) {
			if (run > 0) {
				if ((r = fn(arg, text + prev_at, prev_n + n)) != MD_OK)
					return r;
				emitted++;
			}
			run++;
			prev_at = i;
			prev_n = n;
		} else {
			if (run == 1) {
				if ((r = fn(arg, text + prev_at, prev_n)) != MD_OK)
					return r;
				emitted++;
			}
			run = 0;
		}
		i += n;
	}
	return MD_OK;
}

/* ---- training ---- */

struct train_arg {
	struct bayes *m;
	enum md_type type;
};

static enum md_err
train_one(void *arg, const char *k, size_t n)
{
	struct train_arg *ta = arg;
	struct entry *e;
	enum md_err r;

	if (n > BAYES_MAX_KEY)
		return MD_OK;
	if ((r = intern(ta->m, k, n, &e)) != MD_OK)
		return r;
	if (e->counts[ta->type] < UINT32_MAX) {
		e->counts[ta->type]++;
		ta->m->tokens[ta->type]++;
	}
	return MD_OK;
}

enum md_err
bayes_train(struct bayes *m, enum md_type type, const char *text, size_t len)
{
	struct train_arg ta;

	if (type < 0 || type >= MD_TYPE_COUNT)
		return MD_ERR_INPUT;
	ta.m = m;
	ta.type = type;
	if (m->docs[type] < UINT32_MAX)
		m->docs[type]++;
	return features(text, len, train_one, &ta);
}

size_t
bayes_tsv_split(char *line, char **fields, size_t max)
{
	size_t n = 0, len = strlen(line);
	char *s = line, *tab;

	while (len > 0 && (line[len - 1] == '\n' || line[len - 1] == '\r'))
		line[--len] = '\0';
	for (;;) {
		tab = strchr(s, '\t');
		if (tab != NULL)
			*tab = '\0';
		if (n < max)
			fields[n] = s;
		n++;
		if (tab == NULL)
			return n;
		s = tab + 1;
	}
}

void
bayes_tsv_unescape(char *s)
{
	char *w = s;

	for (; *s != '\0'; s++) {
		if (*s == '\\' && (s[1] == 'n' || s[1] == 't' || s[1] == '\\')) {
			s++;
			*w++ = *s == 'n' ? '\n' : *s == 't' ? '\t' : '\\';
		} else {
			*w++ = *s;
		}
	}
	*w = '\0';
}

enum md_err
bayes_train_tsv(struct bayes *m, const char *path, FILE *errors, size_t *n_out)
{
	FILE *fp;
	char *line = NULL, *f[4];
	size_t cap = 0, n, used = 0;
	ssize_t got;
	unsigned lineno = 0;
	enum md_type type;
	enum md_err r, result = MD_OK;
	struct buf text;

	if (n_out != NULL)
		*n_out = 0;
	if ((fp = fopen(path, "r")) == NULL) {
		if (errors)
			fprintf(errors, "%s:0: %s\n", path, strerror(errno));
		return MD_ERR_IO;
	}
	buf_init(&text, BAYES_MAX_LINE * 2);
	while ((got = getline(&line, &cap, fp)) != -1) {
		lineno++;
		if (got > BAYES_MAX_LINE) {
			if (errors)
				fprintf(errors, "%s:%u: line longer than %d bytes\n", path,
				    lineno, BAYES_MAX_LINE);
			result = MD_ERR_INPUT;
			continue;
		}
		if (line[0] == '#' || line[strspn(line, " \t\r\n")] == '\0')
			continue;
		n = bayes_tsv_split(line, f, 4);
		if (n != 3 || md_type_parse(f[0], &type) != MD_OK) {
			if (errors)
				fprintf(errors, "%s:%u: expected type<TAB>subject<TAB>body "
				    "with a known type\n", path, lineno);
			result = MD_ERR_INPUT;
			continue;
		}
		bayes_tsv_unescape(f[1]);
		bayes_tsv_unescape(f[2]);
		buf_reset(&text);
		if ((r = buf_printf(&text, "%s\n%s", f[1], f[2])) != MD_OK ||
		    (r = bayes_train(m, type, text.data, text.len)) != MD_OK) {
			result = r;
			break;
		}
		used++;
	}
	if (result == MD_OK && ferror(fp))
		result = MD_ERR_IO;
	free(line);
	buf_free(&text);
	fclose(fp);
	if (n_out != NULL)
		*n_out = used;
	return result;
}

size_t
bayes_examples(const struct bayes *m, enum md_type type)
{
	if (type < 0 || type >= MD_TYPE_COUNT)
		return 0;
	return m->docs[type];
}

size_t
bayes_vocabulary(const struct bayes *m)
{
	return m->used;
}

/* ---- classification ---- */

struct score_arg {
	const struct bayes *m;
	double ll[MD_TYPE_COUNT];
	double denom[MD_TYPE_COUNT];
	size_t known;
};

static enum md_err
score_one(void *arg, const char *k, size_t n)
{
	struct score_arg *sa = arg;
	const struct entry *e;
	int c;

	if ((e = lookup(sa->m, k, n)) == NULL)
		return MD_OK;
	sa->known++;
	for (c = 0; c < MD_TYPE_COUNT; c++)
		sa->ll[c] += log(((double)e->counts[c] + 1.0) / sa->denom[c]);
	return MD_OK;
}

void
bayes_classify(const struct bayes *m, const char *text, size_t len,
    struct bayes_scores *out)
{
	struct score_arg sa;
	double score[MD_TYPE_COUNT], max = -INFINITY, sum = 0, scale, ndocs = 0;
	int c;

	memset(out, 0, sizeof(*out));
	out->best = MD_TYPE_NONE;
	for (c = 0; c < MD_TYPE_COUNT; c++) {
		out->prob[c] = 1.0 / MD_TYPE_COUNT;
		ndocs += m->docs[c];
	}
	if (ndocs == 0)
		return;
	memset(&sa, 0, sizeof(sa));
	sa.m = m;
	for (c = 0; c < MD_TYPE_COUNT; c++)
		sa.denom[c] = (double)m->tokens[c] + (double)m->used;
	features(text, len, score_one, &sa);
	out->n_features = sa.known;
	if (sa.known == 0)
		return;
	scale = sa.known > BAYES_EVIDENCE_CAP ? (double)BAYES_EVIDENCE_CAP / sa.known : 1.0;
	for (c = 0; c < MD_TYPE_COUNT; c++) {
		score[c] = log((m->docs[c] + 1.0) / (ndocs + MD_TYPE_COUNT)) + sa.ll[c] * scale;
		if (score[c] > max) {
			max = score[c];
			out->best = (enum md_type)c;
		}
	}
	for (c = 0; c < MD_TYPE_COUNT; c++)
		sum += exp(score[c] - max);
	for (c = 0; c < MD_TYPE_COUNT; c++)
		out->prob[c] = exp(score[c] - max) / sum;
}

/* ---- serialisation ---- */

static enum md_err
put_u32(struct buf *b, uint32_t v)
{
	unsigned char x[4];

	x[0] = v & 0xff;
	x[1] = (v >> 8) & 0xff;
	x[2] = (v >> 16) & 0xff;
	x[3] = (v >> 24) & 0xff;
	return buf_append(b, x, 4);
}

static uint32_t
get_u32(const unsigned char *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 |
	    (uint32_t)p[3] << 24;
}

enum md_err
bayes_save(const struct bayes *m, struct buf *b)
{
	size_t i;
	int c;
	unsigned char klen;
	enum md_err r;

	if ((r = buf_append(b, BAYES_MAGIC, 8)) != MD_OK ||
	    (r = put_u32(b, MD_TYPE_COUNT)) != MD_OK)
		return r;
	for (c = 0; c < MD_TYPE_COUNT; c++)
		if ((r = put_u32(b, m->docs[c])) != MD_OK)
			return r;
	if ((r = put_u32(b, (uint32_t)m->used)) != MD_OK)
		return r;
	for (i = 0; i < m->cap; i++) {
		if (m->tab[i].key == NULL)
			continue;
		klen = (unsigned char)m->tab[i].klen;
		if ((r = buf_append(b, &klen, 1)) != MD_OK ||
		    (r = buf_append(b, m->tab[i].key, klen)) != MD_OK)
			return r;
		for (c = 0; c < MD_TYPE_COUNT; c++)
			if ((r = put_u32(b, m->tab[i].counts[c])) != MD_OK)
				return r;
	}
	return MD_OK;
}

enum md_err
bayes_load(const void *data, size_t len, struct bayes **out)
{
	const unsigned char *p = data, *end = p + len;
	struct bayes *m = NULL;
	struct entry *e;
	uint32_t nfeat, i;
	size_t klen;
	int c;
	enum md_err r;

	*out = NULL;
	if (len < 8 + 4 + 4 * MD_TYPE_COUNT + 4 || memcmp(p, BAYES_MAGIC, 8) != 0 ||
	    get_u32(p + 8) != MD_TYPE_COUNT)
		return MD_ERR_INPUT;
	if ((r = bayes_new(&m)) != MD_OK)
		return r;
	p += 12;
	for (c = 0; c < MD_TYPE_COUNT; c++, p += 4)
		m->docs[c] = get_u32(p);
	nfeat = get_u32(p);
	p += 4;
	if (nfeat > BAYES_MAX_FEATURES) {
		r = MD_ERR_LIMIT;
		goto fail;
	}
	for (i = 0; i < nfeat; i++) {
		if (end - p < 1 || (klen = *p) == 0 || klen > BAYES_MAX_KEY ||
		    (size_t)(end - p) < 1 + klen + 4 * MD_TYPE_COUNT) {
			r = MD_ERR_INPUT;
			goto fail;
		}
		p++;
		if (lookup(m, (const char *)p, klen) != NULL) {
			r = MD_ERR_INPUT;
			goto fail;
		}
		if ((r = intern(m, (const char *)p, klen, &e)) != MD_OK)
			goto fail;
		p += klen;
		for (c = 0; c < MD_TYPE_COUNT; c++, p += 4) {
			e->counts[c] = get_u32(p);
			m->tokens[c] += e->counts[c];
		}
	}
	if (p != end) {
		r = MD_ERR_INPUT;
		goto fail;
	}
	*out = m;
	return MD_OK;
 fail:
	bayes_free(m);
	return r;
}
