/*
 * liwc.c: pupa lexicon import, pupa_liwc_to_yaml(): a LIWC dictionary
 * (.dic) as a YAML codebook.
 *
 * The .dic format: an optional BOM; a "%" line; the category legend, one
 * "ID<TAB>name" a line; a "%" line; then one term a line, "term<TAB>ID<TAB>ID
 * ...", a trailing "*" making the term a prefix.  Files edited by hand put
 * spaces where tabs belong, so any run of blanks separates fields; a term
 * of several words (LIWC 2015 has some) is then everything before the first
 * field that is an ID.  LIWC 2007's conditional fields, "(02 134)125/464"
 * (125 after a word of category 2 or 134, else 464), cannot be expressed
 * per term: the unconditional choice, 464, is taken and the line reported.
 *
 * Each category becomes a top-level code in legend order, its terms in
 * file order.  Names are made safe for code paths ("/" becomes "_", a
 * leading "." would hide the code, so it gets a "_"); terms with no word
 * characters (emoticons such as ":)") cannot be matched on word boundaries
 * and are skipped with a report.  Everything is written double-quoted, so
 * no term is read as YAML syntax ("no", "null", "- ", "#").
 */
#include "internal.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MAX_DIC_BYTES (64u * 1024u * 1024u)
#define MAX_CATEGORY_ID 100000

typedef struct category {
    long id;
    char *name;
    size_t *terms; /* indexes into the term list */
    size_t nterms, cap;
} category;

typedef struct importer {
    category *cats;
    size_t ncats, cats_cap;
    char **terms;
    size_t nterms, terms_cap;
    pupa_tokenizer *tok;
    void (*warn)(void *, uint32_t, const char *);
    void *ctx;
    pupa_liwc_stats st;
} importer;

static void warnf(importer *im, uint32_t line, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static void warnf(importer *im, uint32_t line, const char *fmt, ...)
{
    if (!im->warn)
        return;
    char msg[512];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    im->warn(im->ctx, line, msg);
}

static int is_blank(char c) { return c == ' ' || c == '\t' || c == '\r'; }

/* Splits a line into fields at tabs, or at runs of blanks when it has no
 * tab.  Fields point into line, which is modified. */
static size_t split(char *line, char **f, size_t max, int *tabbed)
{
    size_t n = 0;
    *tabbed = strchr(line, '\t') != NULL;
    char *p = line;
    while (*p && n < max) {
        while (*p && (*tabbed ? (*p == '\t' || *p == '\r') : is_blank(*p)))
            p++;
        if (!*p)
            break;
        f[n++] = p;
        while (*p && !(*tabbed ? (*p == '\t' || *p == '\r') : is_blank(*p)))
            p++;
        if (*p)
            *p++ = '\0';
    }
    return n;
}

static char *trim(char *s)
{
    while (is_blank(*s))
        s++;
    size_t n = strlen(s);
    while (n && is_blank(s[n - 1]))
        s[--n] = '\0';
    return s;
}

static category *find_cat(importer *im, long id)
{
    for (size_t i = 0; i < im->ncats; i++)
        if (im->cats[i].id == id)
            return &im->cats[i];
    return NULL;
}

static int parse_id(const char *s, long *out)
{
    char *end;
    long v = strtol(s, &end, 10);
    if (end == s || *end || v < 0 || v > MAX_CATEGORY_ID)
        return 0;
    *out = v;
    return 1;
}

static int add_category(importer *im, uint32_t line, char *text)
{
    int tabbed;
    char *f[4];
    size_t n = split(text, f, 4, &tabbed);
    long id;
    if (n < 2 || !parse_id(f[0], &id)) {
        warnf(im, line, "not a category line ('ID name'): skipped");
        im->st.skipped++;
        return 0;
    }
    if (find_cat(im, id)) {
        warnf(im, line, "category %ld listed twice: the first is kept", id);
        im->st.skipped++;
        return 0;
    }
    int rc = pupa_grow(&im->cats, &im->cats_cap, im->ncats + 1, sizeof *im->cats);
    if (rc)
        return rc;
    /* A safe code name: no "/", not hidden, unique. */
    size_t len = strlen(f[1]);
    char *name = malloc(len + 32);
    if (!name)
        return pupa_fail(PUPA_ENOMEM, "out of memory");
    snprintf(name, len + 32, "%s%s", f[1][0] == '.' ? "_" : "", f[1]);
    for (char *p = name; *p; p++)
        if (*p == '/')
            *p = '_';
    for (size_t i = 0; i < im->ncats; i++)
        if (!strcmp(im->cats[i].name, name)) {
            snprintf(name + strlen(name), 32, "_%ld", id);
            warnf(im, line, "category name '%s' used twice: this one is '%s'", f[1], name);
            break;
        }
    im->cats[im->ncats++] = (category){.id = id, .name = name};
    im->st.categories++;
    return 0;
}

/* The category of one ID field; 0 when there is none to take. */
static int field_id(importer *im, uint32_t line, const char *f, long *id)
{
    if (parse_id(f, id))
        return 1;
    /* "(02 134)125/464" arrives as "(02", "134)125/464"; "125/464" alone too */
    const char *slash = strrchr(f, '/');
    if (slash && parse_id(slash + 1, id)) {
        warnf(im, line, "conditional category '%s': the unconditional %ld is taken", f, *id);
        return 1;
    }
    if (f[0] != '(')
        warnf(im, line, "'%s' is not a category ID: ignored", f);
    else if (strchr(f, ')'))
        warnf(im, line, "conditional category '%s' applies only after certain words: ignored",
              f);
    return 0;
}

static int add_term(importer *im, uint32_t line, char *text)
{
    int tabbed;
    char *f[512];
    size_t n = split(text, f, sizeof f / sizeof *f, &tabbed);
    if (n == 0)
        return 0;
    /* The term: the first field, or with no tabs every field before the
     * first that starts like an ID. */
    size_t first_id = 1;
    if (!tabbed)
        while (first_id < n && !(f[first_id][0] >= '0' && f[first_id][0] <= '9') &&
               f[first_id][0] != '(')
            first_id++;
    char term[1024];
    size_t tl = 0;
    for (size_t i = 0; i < first_id && tl < sizeof term - 1; i++)
        tl += (size_t)snprintf(term + tl, sizeof term - tl, "%s%s", i ? " " : "", f[i]);
    if (tl >= sizeof term - 1) {
        warnf(im, line, "term too long: skipped");
        im->st.skipped++;
        return 0;
    }
    /* Must hold a word, with '*' only at its end. */
    const char *star = strchr(term, '*');
    pupa_tokens ts;
    int rc = pupa_tokenize(im->tok, term, star ? (size_t)(star - term) : tl, &ts);
    if (rc == PUPA_ENOMEM)
        return rc;
    if (rc || ts.ntok == 0 || (star && star[1])) {
        warnf(im, line, "'%s' %s: skipped", term,
              rc || ts.ntok == 0 ? "has no word characters" : "has '*' before its end");
        im->st.skipped++;
        return 0;
    }
    size_t used = 0, repeated = 0;
    for (size_t i = first_id; i < n; i++) {
        long id;
        if (!field_id(im, line, f[i], &id))
            continue;
        category *c = find_cat(im, id);
        if (!c) {
            warnf(im, line, "'%s': category %ld is not in the legend: ignored", term, id);
            continue;
        }
        if (!used) {
            if ((rc = pupa_grow(&im->terms, &im->terms_cap, im->nterms + 1, sizeof *im->terms)))
                return rc;
            if (!(im->terms[im->nterms++] = pupa_strdup(term)))
                return pupa_fail(PUPA_ENOMEM, "out of memory");
        }
        int dup = 0;
        for (size_t k = 0; k < c->nterms; k++)
            dup |= !strcmp(im->terms[c->terms[k]], term);
        if (dup) {
            repeated++;
            continue;
        }
        if ((rc = pupa_grow(&c->terms, &c->cap, c->nterms + 1, sizeof *c->terms)))
            return rc;
        c->terms[c->nterms++] = im->nterms - 1;
        used++;
    }
    if (!used) {
        warnf(im, line, repeated ? "'%s' is listed again: skipped" : "'%s' has no category: skipped",
              term);
        im->st.skipped++;
    } else
        im->st.terms++;
    return 0;
}

static int put_quoted(pupa_buf *b, const char *s)
{
    int rc = pupa_buf_addc(b, '"');
    for (; !rc && *s; s++) {
        if (*s == '"' || *s == '\\')
            rc = pupa_buf_addc(b, '\\');
        if (!rc)
            rc = pupa_buf_addc(b, *s);
    }
    return rc ? rc : pupa_buf_addc(b, '"');
}

static int write_yaml(importer *im, const char *dic_path, pupa_buf *b)
{
    const char *base = strrchr(dic_path, '/');
    int rc = pupa_buf_printf(b,
                             "# Imported from the LIWC dictionary %s by pupa lexicon import:\n"
                             "# %zu categories, %zu terms, %zu lines skipped.\n"
                             "# One code per category, in the legend's order.\n",
                             base ? base + 1 : dic_path, im->st.categories, im->st.terms,
                             im->st.skipped);
    for (size_t i = 0; !rc && i < im->ncats; i++) {
        const category *c = &im->cats[i];
        rc = put_quoted(b, c->name);
        rc = rc ? rc : pupa_buf_printf(b, ":%s\n", c->nterms ? "" : " []");
        for (size_t k = 0; !rc && k < c->nterms; k++) {
            rc = pupa_buf_add(b, "  - ", 4);
            rc = rc ? rc : put_quoted(b, im->terms[c->terms[k]]);
            rc = rc ? rc : pupa_buf_addc(b, '\n');
        }
    }
    return rc;
}

int pupa_liwc_to_yaml(const char *dic_path, char **yaml, size_t *len,
                      void (*warn)(void *ctx, uint32_t line, const char *msg), void *ctx,
                      pupa_liwc_stats *stats)
{
    if (!dic_path || !yaml || !len)
        return pupa_fail(PUPA_EINVAL, "pupa_liwc_to_yaml: NULL argument");
    *yaml = NULL;
    *len = 0;
    char *bytes = NULL;
    size_t n = 0;
    int rc = pupa_read_all(dic_path, MAX_DIC_BYTES, &bytes, &n);
    if (rc)
        return rc;
    importer im = {.warn = warn, .ctx = ctx};
    pupa_buf out;
    pupa_buf_init(&out, (size_t)MAX_DIC_BYTES * 2);
    rc = pupa_tokenizer_new(&im.tok);
    char *p = bytes;
    if (n >= 3 && !memcmp(p, "\xEF\xBB\xBF", 3))
        p += 3;
    int part = 0; /* 0 before the legend, 1 in it, 2 terms */
    for (uint32_t line = 1; !rc && p < bytes + n; line++) {
        char *nl = memchr(p, '\n', (size_t)(bytes + n - p));
        if (nl)
            *nl = '\0';
        size_t ll = strlen(p);
        if (p + ll != (nl ? nl : bytes + n))
            rc = pupa_fail(PUPA_EFORMAT, "%s:%u: a NUL byte", dic_path, line);
        for (size_t i = 0; !rc && i < ll;) {
            size_t k = pupa_utf8_len((const unsigned char *)p + i, ll - i);
            if (!k)
                rc = pupa_fail(PUPA_EUTF8, "%s:%u: byte %zu: invalid UTF-8", dic_path, line, i);
            i += k ? k : 1;
        }
        char *s = trim(p);
        p = nl ? nl + 1 : bytes + n;
        if (rc || !*s)
            continue;
        if (!strcmp(s, "%")) {
            part++;
            if (part > 2)
                rc = pupa_fail(PUPA_EFORMAT, "%s:%u: a third '%%' line", dic_path, line);
            continue;
        }
        if (part == 0)
            rc = pupa_fail(PUPA_EFORMAT,
                           "%s:%u: not a LIWC dictionary: it must start with a '%%' line",
                           dic_path, line);
        else if (part == 1)
            rc = add_category(&im, line, s);
        else
            rc = add_term(&im, line, s);
    }
    if (!rc && part < 2)
        rc = pupa_fail(PUPA_EFORMAT, "%s: the category legend is not closed by a '%%' line",
                       dic_path);
    if (!rc)
        rc = write_yaml(&im, dic_path, &out);
    if (!rc) {
        *yaml = out.data;
        *len = out.len;
        if (stats)
            *stats = im.st;
    } else
        pupa_buf_free(&out);
    for (size_t i = 0; i < im.ncats; i++) {
        free(im.cats[i].name);
        free(im.cats[i].terms);
    }
    free(im.cats);
    for (size_t i = 0; i < im.nterms; i++)
        free(im.terms[i]);
    free(im.terms);
    pupa_tokenizer_free(im.tok);
    free(bytes);
    return rc;
}
