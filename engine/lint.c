/*
 * lint.c: pupa lexicon check, pupa_lexicon_check().
 *
 * Owns the checks a codebook gets before analysts trust it:
 *  - it loads (YAML, patterns, regexes), and its rules name known codes and
 *    make no cycle (every rule problem is reported, not just the first);
 *  - no entry is listed twice under one code, and none is shadowed: a
 *    one-token entry under a prefix entry of the same code (beat* and
 *    beaten) can never add a hit, and an entry that its code's own
 *    exclusion list repeats can never count;
 *  - Khmer entries are written in normalised Unicode: no invisible
 *    characters (U+200B and friends: the fold ignores them in text, but an
 *    entry holding one is a typing accident), no deprecated or unassigned
 *    code points, every coeng followed by a consonant, and marks in their
 *    canonical order (coeng and register shifter before the vowel, the vowel
 *    before the other signs, one vowel per cluster);
 *  - every hidden code is read by a rule or is an exclusion list;
 *  - with a corpus: how often each entry is found there, and which never are.
 *
 * Counting runs the matcher with the rule layer off (PUPA_LOAD_RAW), so a
 * hidden term list's entries are counted like any other.  Issues are
 * collected, sorted by line, then handed to the caller's callback.
 */
#include "rules.h"

#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#define MAX_CORPUS_FILE (512u * 1024u * 1024u)
#define MAX_WALK_DEPTH 16

typedef struct issue {
    int severity;
    uint32_t line;
    char *code, *entry, *message;
    uint64_t count;
    size_t seq; /* order of discovery, to keep the sort stable */
} issue;

typedef struct linter {
    issue *v;
    size_t n, cap;
    int oom;
} linter;

static void add_issue(linter *L, int severity, uint32_t line, const char *code, const char *entry,
                      uint64_t count, const char *fmt, ...) __attribute__((format(printf, 7, 8)));
static void add_issue(linter *L, int severity, uint32_t line, const char *code, const char *entry,
                      uint64_t count, const char *fmt, ...)
{
    char msg[700];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    if (L->oom || pupa_grow(&L->v, &L->cap, L->n + 1, sizeof *L->v)) {
        L->oom = 1;
        return;
    }
    issue *i = &L->v[L->n];
    *i = (issue){.severity = severity, .line = line, .count = count, .seq = L->n};
    i->code = code ? pupa_strdup(code) : NULL;
    i->entry = entry ? pupa_strdup(entry) : NULL;
    i->message = pupa_strdup(msg);
    if ((code && !i->code) || (entry && !i->entry) || !i->message) {
        free(i->code);
        free(i->entry);
        free(i->message);
        L->oom = 1;
        return;
    }
    L->n++;
}

static void on_rule_problem(void *ctx, const char *file, uint32_t line, const char *msg)
{
    (void)file;
    add_issue(ctx, PUPA_LINT_ERROR, line, NULL, NULL, 0, "%s", msg);
}

/* ------------------------------------------------------------- entries */

static int by_code_kind_norm(const void *a, const void *b, void *lexp)
{
    const pupa_lexicon *lex = lexp;
    const pupa_entry *x = pupa_lexicon_entry(lex, *(const uint32_t *)a),
                     *y = pupa_lexicon_entry(lex, *(const uint32_t *)b);
    if (x->code != y->code) return x->code < y->code ? -1 : 1;
    if (x->kind != y->kind) return x->kind < y->kind ? -1 : 1;
    int c = strcmp(x->norm, y->norm);
    if (c) return c;
    return x->line < y->line ? -1 : x->line > y->line;
}

static void check_duplicates(linter *L, const pupa_lexicon *lex)
{
    size_t n = pupa_lexicon_nentries(lex);
    uint32_t *idx = malloc((n + 1) * sizeof *idx);
    if (!idx) {
        L->oom = 1;
        return;
    }
    for (size_t i = 0; i < n; i++)
        idx[i] = (uint32_t)i;
    qsort_r(idx, n, sizeof *idx, by_code_kind_norm, (void *)lex);
    for (size_t i = 1; i < n; i++) {
        const pupa_entry *a = pupa_lexicon_entry(lex, idx[i - 1]), *b = pupa_lexicon_entry(lex, idx[i]);
        if (a->code == b->code && a->kind == b->kind && !strcmp(a->norm, b->norm) &&
            b->kind != PUPA_ENTRY_RULE)
            add_issue(L, PUPA_LINT_ERROR, b->line, pupa_lexicon_code(lex, b->code), b->pattern, 0,
                      "duplicate entry: line %u already has it (after folding)", a->line);
    }
    free(idx);
}

/* Is the entry's folded text one token?  Separators in norm say so for
 * English; a Khmer run has none, so the pattern is tokenised. */
static int one_token(pupa_tokenizer *tok, const pupa_entry *e)
{
    pupa_tokens ts;
    if (pupa_tokenize(tok, e->norm, strlen(e->norm), &ts))
        return 0;
    return ts.ntok == 1;
}

static void check_shadowed(linter *L, const pupa_lexicon *lex, pupa_tokenizer *tok)
{
    size_t n = pupa_lexicon_nentries(lex);
    for (size_t i = 0; i < n; i++) {
        const pupa_entry *a = pupa_lexicon_entry(lex, (uint32_t)i);
        if (a->kind != PUPA_ENTRY_PREFIX)
            continue;
        size_t al = strlen(a->norm);
        for (size_t j = 0; j < n; j++) {
            const pupa_entry *b = pupa_lexicon_entry(lex, (uint32_t)j);
            if (j == i || b->code != a->code ||
                (b->kind != PUPA_ENTRY_WORD && b->kind != PUPA_ENTRY_PREFIX))
                continue;
            if (strncmp(b->norm, a->norm, al) != 0 || (b->kind == a->kind && !strcmp(b->norm, a->norm)))
                continue;
            if (one_token(tok, b))
                add_issue(L, PUPA_LINT_WARNING, b->line, pupa_lexicon_code(lex, b->code),
                          b->pattern, 0,
                          "shadowed by '%s' (line %u): it can never add a hit", a->pattern,
                          a->line);
        }
    }
    /* An entry its own code's exclusion list repeats never counts. */
    for (size_t j = 0; j < n; j++) {
        const pupa_entry *x = pupa_lexicon_entry(lex, (uint32_t)j);
        const char *xc = pupa_lexicon_code(lex, x->code);
        size_t xl = strlen(xc);
        if (xl < 9 || strcmp(xc + xl - 9, "/.exclude") != 0)
            continue;
        for (size_t i = 0; i < n; i++) {
            const pupa_entry *e = pupa_lexicon_entry(lex, (uint32_t)i);
            const char *ec = pupa_lexicon_code(lex, e->code);
            if (e->kind == PUPA_ENTRY_RULE || strlen(ec) < xl - 9 ||
                strncmp(ec, xc, xl - 9) != 0 || (ec[xl - 9] != '\0' && ec[xl - 9] != '/') ||
                i == j || strcmp(e->norm, x->norm) != 0)
                continue;
            add_issue(L, PUPA_LINT_WARNING, e->line, ec, e->pattern, 0,
                      "excluded by its own code's exclusion list (line %u): it never counts",
                      x->line);
        }
    }
}

/* Khmer character classes for the order check. */
enum { K_NONE, K_BASE, K_COENG, K_SUB, K_VOWEL, K_SHIFT, K_SIGN };

static int khmer_class(uint32_t c)
{
    if (c >= 0x1780 && c <= 0x17B3) return K_BASE;   /* consonants, independent vowels */
    if (c >= 0x17B6 && c <= 0x17C5) return K_VOWEL;
    if (c == 0x17C9 || c == 0x17CA || c == 0x17CC) return K_SHIFT; /* shifters, robat */
    if ((c >= 0x17C6 && c <= 0x17D1) || c == 0x17DD) return K_SIGN;
    if (c == 0x17D2) return K_COENG;
    return K_NONE;
}

/* Returns a description of the first fault in a Khmer entry, or NULL. */
static const char *khmer_fault(const char *s, uint32_t *at)
{
    const unsigned char *p = (const unsigned char *)s;
    size_t n = strlen(s);
    int prev = K_NONE;
    for (size_t i = 0; i < n;) {
        size_t k = pupa_utf8_len(p + i, n - i);
        if (!k)
            return "invalid UTF-8";
        uint32_t c = pupa_utf8_decode(p + i, k);
        *at = c;
        i += k;
        if ((c >= 0x200B && c <= 0x200D) || c == 0x2060 || c == 0xFEFF || c == 0x00AD)
            return "an invisible character (zero-width space or joiner, soft hyphen)";
        if (c == 0x17A3 || c == 0x17A4 || c == 0x17B4 || c == 0x17B5 || c == 0x17D3 ||
            c == 0x17D8)
            return "a deprecated Khmer character";
        if (c == 0x17DE || c == 0x17DF || (c >= 0x17EA && c <= 0x17EF) || (c >= 0x17FA && c <= 0x17FF))
            return "an unassigned Khmer code point";
        int cls = khmer_class(c);
        if (prev == K_COENG && !(c >= 0x1780 && c <= 0x17A2))
            return "a coeng (U+17D2) not followed by a consonant";
        switch (cls) {
        case K_COENG:
            if (prev != K_BASE && prev != K_SUB)
                return prev == K_VOWEL || prev == K_SIGN || prev == K_SHIFT
                           ? "a coeng after a vowel or sign: not in normalised order"
                           : "a coeng without a consonant before it";
            break;
        case K_VOWEL:
            if (prev == K_VOWEL)
                return "two dependent vowels in one cluster";
            if (prev == K_SIGN)
                return "a vowel after a sign: not in normalised order";
            if (prev == K_NONE || prev == K_COENG)
                return "a vowel without a consonant";
            break;
        case K_SHIFT:
            if (prev == K_VOWEL || prev == K_SIGN)
                return "a register shifter or robat after a vowel: not in normalised order";
            if (prev == K_NONE || prev == K_COENG)
                return "a mark without a consonant";
            break;
        case K_SIGN:
            if (prev == K_NONE || prev == K_COENG)
                return "a mark without a consonant";
            break;
        default:
            break;
        }
        prev = cls == K_BASE && prev == K_COENG ? K_SUB : cls;
    }
    if (prev == K_COENG)
        return "a coeng (U+17D2) at the end";
    return NULL;
}

static int has_khmer(const char *s)
{
    const unsigned char *p = (const unsigned char *)s;
    size_t n = strlen(s);
    for (size_t i = 0; i < n;) {
        size_t k = pupa_utf8_len(p + i, n - i);
        if (!k)
            return 0;
        if (pupa_is_khmer_cp(pupa_utf8_decode(p + i, k)))
            return 1;
        i += k;
    }
    return 0;
}

static void check_khmer(linter *L, const pupa_lexicon *lex)
{
    for (size_t i = 0; i < pupa_lexicon_nentries(lex); i++) {
        const pupa_entry *e = pupa_lexicon_entry(lex, (uint32_t)i);
        uint32_t at = 0;
        const char *why;
        if (e->kind == PUPA_ENTRY_RULE || e->kind == PUPA_ENTRY_REGEX || !has_khmer(e->pattern) ||
            !(why = khmer_fault(e->pattern, &at)))
            continue;
        add_issue(L, PUPA_LINT_ERROR, e->line, pupa_lexicon_code(lex, e->code), e->pattern, 0,
                  "Khmer entry not normalised: %s (U+%04X)", why, (unsigned)at);
    }
}

static void check_hidden(linter *L, const pupa_lexicon *lex)
{
    const pupa_ruleset *rs = pupa_lexicon_rules(lex);
    for (uint32_t c = 0; c < pupa_lexicon_ncodes(lex); c++) {
        if (!pupa_ruleset_is_hidden(rs, c) || pupa_ruleset_is_used(rs, c))
            continue;
        uint32_t line = 0;
        for (uint32_t i = 0; i < pupa_lexicon_nentries(lex) && !line; i++)
            if (pupa_lexicon_entry(lex, i)->code == c)
                line = pupa_lexicon_entry(lex, i)->line;
        add_issue(L, PUPA_LINT_WARNING, line, pupa_lexicon_code(lex, c), NULL, 0,
                  "hidden code is never read by a rule: its entries do nothing");
    }
}

/* ------------------------------------------------------------- corpus */

typedef struct counter {
    pupa_matcher *m;
    uint64_t *hits;
    uint64_t lines;
} counter;

static int count_text(counter *c, const char *text, size_t len)
{
    while (len) {
        const char *nl = memchr(text, '\n', len);
        size_t n = nl ? (size_t)(nl - text) : len;
        size_t seg = n > PUPA_MAX_SEGMENT_BYTES ? PUPA_MAX_SEGMENT_BYTES : n;
        const pupa_hit *h;
        size_t nh;
        int rc = pupa_match(c->m, text, seg, &h, &nh, NULL);
        if (rc == PUPA_EUTF8)
            rc = 0; /* a corpus line cut by the cap, or bad bytes: skip the line */
        if (rc)
            return rc;
        for (size_t i = 0; i < nh; i++)
            c->hits[h[i].entry]++;
        c->lines++;
        text += n + (nl != NULL);
        len -= n + (nl != NULL);
    }
    return 0;
}

static int wanted_file(const char *name)
{
    size_t n = strlen(name);
    return (n > 4 && (!strcmp(name + n - 4, ".txt") || !strcmp(name + n - 4, ".tsv") ||
                      !strcmp(name + n - 3, ".md"))) ||
           (n > 6 && !strcmp(name + n - 6, ".jsonl"));
}

static int count_path(counter *c, const char *path, int depth, int top)
{
    struct stat st;
    if (stat(path, &st) != 0)
        return pupa_fail(PUPA_ENOTFOUND, "%s: no such corpus file or folder", path);
    if (S_ISREG(st.st_mode)) {
        if (!top && !wanted_file(path))
            return 0;
        char *bytes = NULL;
        size_t len = 0;
        int rc = pupa_read_all(path, MAX_CORPUS_FILE, &bytes, &len);
        if (!rc)
            rc = count_text(c, bytes, len);
        free(bytes);
        return rc;
    }
    if (!S_ISDIR(st.st_mode) || depth > MAX_WALK_DEPTH)
        return 0;
    struct dirent **list = NULL;
    int n = scandir(path, &list, NULL, alphasort);
    if (n < 0)
        return pupa_fail(PUPA_EIO, "%s: cannot list the folder", path);
    int rc = 0;
    for (int i = 0; i < n; i++) {
        const char *name = list[i]->d_name;
        if (!rc && name[0] != '.') {
            size_t cap = strlen(path) + strlen(name) + 2;
            char *sub = malloc(cap);
            if (!sub)
                rc = pupa_fail(PUPA_ENOMEM, "out of memory");
            else {
                snprintf(sub, cap, "%s/%s", path, name);
                rc = count_path(c, sub, depth + 1, 0);
                free(sub);
            }
        }
        free(list[i]);
    }
    free(list);
    return rc;
}

static int check_corpus(linter *L, const pupa_lexicon *lex, const pupa_lint_opts *o)
{
    int rc = 0;
    counter c = {0};
    size_t n = pupa_lexicon_nentries(lex);
    if (!(c.hits = calloc(n + 1, sizeof *c.hits)))
        rc = pupa_fail(PUPA_ENOMEM, "out of memory");
    if (!rc)
        rc = pupa_matcher_new(&c.m, lex);
    for (size_t i = 0; !rc && i < o->ncorpus; i++)
        rc = count_path(&c, o->corpus[i], 0, 1);
    for (size_t i = 0; !rc && i < n; i++) {
        const pupa_entry *e = pupa_lexicon_entry(lex, (uint32_t)i);
        if (e->kind == PUPA_ENTRY_RULE)
            continue;
        const char *code = pupa_lexicon_code(lex, e->code);
        if (o->counts)
            add_issue(L, PUPA_LINT_INFO, e->line, code, e->pattern, c.hits[i],
                      "found %llu times in %llu lines", (unsigned long long)c.hits[i],
                      (unsigned long long)c.lines);
        if (!c.hits[i])
            add_issue(L, PUPA_LINT_WARNING, e->line, code, e->pattern, 0,
                      "never found in the corpus (%llu lines)", (unsigned long long)c.lines);
    }
    pupa_matcher_free(c.m);
    free(c.hits);
    return rc;
}

/* ------------------------------------------------------------- driver */

static int by_line(const void *a, const void *b)
{
    const issue *x = a, *y = b;
    if (x->line != y->line) return x->line < y->line ? -1 : 1;
    return x->seq < y->seq ? -1 : x->seq > y->seq;
}

int pupa_lexicon_check(const char *path, const pupa_lint_opts *opts, size_t *nerrors,
                       size_t *nwarnings)
{
    if (!path || !opts || !nerrors || !nwarnings)
        return pupa_fail(PUPA_EINVAL, "pupa_lexicon_check: NULL argument");
    *nerrors = *nwarnings = 0;
    linter L = {0};
    pupa_lexicon *lex = NULL;
    pupa_tokenizer *tok = NULL;
    int rc = pupa_tokenizer_new(&tok);
    if (rc)
        return rc;
    /* The rule layer off (PUPA_LOAD_RAW) for the corpus counts; the checks
     * read the rules' structure, which is resolved either way. */
    int lrc = pupa_lexicon_load_ex(&lex, path, PUPA_LOAD_RAW, on_rule_problem, &L);
    if (lrc == PUPA_ENOMEM || lrc == PUPA_EIO || lrc == PUPA_ENOTFOUND || lrc == PUPA_ETOOBIG)
        rc = lrc;
    else if (lrc) {
        /* The message is "file:line: what": keep the line, give the what. */
        const char *msg = pupa_errmsg();
        size_t pl = strlen(path);
        uint32_t line = 0;
        if (!strncmp(msg, path, pl) && msg[pl] == ':') {
            char *end;
            line = (uint32_t)strtoul(msg + pl + 1, &end, 10);
            if (line && *end == ':')
                msg = end + 1 + (end[1] == ' ');
        }
        add_issue(&L, PUPA_LINT_ERROR, line, NULL, NULL, 0, "%s", msg);
    } else {
        size_t rule_problems = L.n;
        check_duplicates(&L, lex);
        check_shadowed(&L, lex, tok);
        check_khmer(&L, lex);
        if (!rule_problems)
            check_hidden(&L, lex);
        if (opts->ncorpus && !rule_problems)
            rc = check_corpus(&L, lex, opts);
    }
    pupa_lexicon_free(lex);
    pupa_tokenizer_free(tok);
    if (!rc && L.oom)
        rc = pupa_fail(PUPA_ENOMEM, "out of memory");
    if (L.n > 1)
        qsort(L.v, L.n, sizeof *L.v, by_line);
    for (size_t i = 0; i < L.n; i++) {
        issue *x = &L.v[i];
        if (x->severity == PUPA_LINT_ERROR)
            (*nerrors)++;
        else if (x->severity == PUPA_LINT_WARNING)
            (*nwarnings)++;
        pupa_lint_issue out = {.severity = x->severity, .file = x->line ? path : NULL,
                               .line = x->line, .code = x->code, .entry = x->entry,
                               .message = x->message, .count = x->count};
        if (!rc && opts->on_issue)
            opts->on_issue(opts->ctx, &out);
        free(x->code);
        free(x->entry);
        free(x->message);
    }
    free(L.v);
    return rc;
}
