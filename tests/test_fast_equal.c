/*
 * test_fast_equal.c: the fast path (PUPA_MATCH_FAST_ONLY: engine/match.c,
 * engine/fastscan.c) against the reference (PUPA_MATCH_TOKENISE_ALL).
 *
 * The contract (pupa.h): both modes give the same hits.  Hits are compared
 * field by field (code, entry, start, end, negated), same count and order.
 * tok_first/tok_last are not compared: in fast mode they index the tokens of
 * the stretch the hit was confirmed in.
 *
 * Lexicons:
 *  - lexicons/butterfly.yml, the project codebook;
 *  - about 1,500 entries generated deterministically from the shared corpora:
 *    common and rarer words of both scripts (the, and, ការ, និង, ខ្ញុំ ...),
 *    two-token phrases as written in the source (one space, double spaces,
 *    U+200B, no gap at all between two scripts, a hyphen or a dot between,
 *    tokens ICU glues from both scripts such as "លោកKavanaugh"), prefixes
 *    (whole Khmer words, and cut inside a word), upper and title case, curly
 *    apostrophes, coeng-da, QOO TYPE TWO and vowel-before-coeng spellings,
 *    a few non-ASCII Latin, Greek and Cyrillic words, the same entry under a
 *    second code;
 *  - a small lexicon with a /regex/ entry: the fast path must fall back and
 *    still give the reference's hits.
 * Texts: every line of every shared corpus (lo-help: the English and Khmer
 * columns), whole interview files, every turn and body of corpora-sample,
 * then 120,000 generated segments mixing entries, corpus words and negation
 * cues with every separator the fast path treats specially (white space,
 * U+200B, NBSP, zero-width joiners, Khmer punctuation, a lone coeng or
 * vowel), spelling variants, tokens glued across scripts, and now and then
 * a character that may force the fallback.  Last, texts without any hit on
 * fresh matchers.
 *
 * A mismatch prints the segment (escaped), both hit lists, and the segment
 * shrunk to a small text that still differs (PUPA_FE_REPORTS distinct ones,
 * default 8).  PUPA_FE_SEGMENTS sets the number of generated segments;
 * PUPA_FE_KEEP keeps the generated lexicon.  Needs ../shared/corpora
 * (argv[1]), else exits 77.
 */
#include "check.h"
#include "pupa.h"

#include <dirent.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

/* ------------------------------------------------------------ helpers */

static void *fe_alloc(void *p, size_t n)
{
    p = realloc(p, n ? n : 1);
    if (!p) {
        fputs("out of memory\n", stderr);
        exit(1);
    }
    return p;
}

/* Growable byte string, always NUL-terminated once written to. */
typedef struct str {
    char *p;
    size_t n, cap;
} str;

static void s_put(str *s, const void *b, size_t n)
{
    if (n > ((size_t)1 << 40)) { /* never; tells the optimiser so */
        fputs("string too long\n", stderr);
        exit(1);
    }
    if (s->n + n + 1 > s->cap) {
        s->cap = (s->n + n + 1) * 2;
        s->p = fe_alloc(s->p, s->cap);
    }
    memcpy(s->p + s->n, b, n);
    s->n += n;
    s->p[s->n] = '\0';
}

static void s_cstr(str *s, const char *c)
{
    s_put(s, c, strlen(c));
}

static void s_cp(str *s, uint32_t c)
{
    unsigned char b[4];
    size_t n;
    if (c < 0x80)
        b[0] = (unsigned char)c, n = 1;
    else if (c < 0x800)
        b[0] = (unsigned char)(0xC0 | c >> 6), b[1] = (unsigned char)(0x80 | (c & 0x3F)), n = 2;
    else if (c < 0x10000)
        b[0] = (unsigned char)(0xE0 | c >> 12), b[1] = (unsigned char)(0x80 | ((c >> 6) & 0x3F)),
        b[2] = (unsigned char)(0x80 | (c & 0x3F)), n = 3;
    else
        b[0] = (unsigned char)(0xF0 | c >> 18), b[1] = (unsigned char)(0x80 | ((c >> 12) & 0x3F)),
        b[2] = (unsigned char)(0x80 | ((c >> 6) & 0x3F)), b[3] = (unsigned char)(0x80 | (c & 0x3F)),
        n = 4;
    s_put(s, b, n);
}

/* Decodes the (valid) UTF-8 character at s; *n gets its length. */
static uint32_t cp_at(const char *s, size_t avail, size_t *n)
{
    const unsigned char *u = (const unsigned char *)s;
    size_t k = u[0] < 0x80 ? 1 : u[0] < 0xE0 ? 2 : u[0] < 0xF0 ? 3 : 4;
    if (k > avail)
        k = avail;
    *n = k;
    if (k == 1)
        return u[0];
    uint32_t c = u[0] & (0x7F >> k);
    for (size_t i = 1; i < k; i++)
        c = c << 6 | (u[i] & 0x3F);
    return c;
}

static uint64_t rng_state = 0x243F6A8885A308D3ULL;
static uint32_t rnd(uint32_t n) /* uniform enough in [0, n) */
{
    rng_state = rng_state * 6364136223846793005ULL + 1442695040888963407ULL;
    return n ? (uint32_t)((rng_state >> 33) % n) : 0;
}

static double seconds(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + ts.tv_nsec * 1e-9;
}

static int is_khmer(uint32_t c)
{
    return c >= 0x1780 && c <= 0x17FF;
}

/* Writes text with every character a reader could not see escaped. */
static void put_escaped(FILE *f, const char *t, size_t len)
{
    for (size_t i = 0; i < len;) {
        size_t n;
        uint32_t c = cp_at(t + i, len - i, &n);
        if (c == '\\')
            fputs("\\\\", f);
        else if (c == '\n')
            fputs("\\n", f);
        else if (c == '\r')
            fputs("\\r", f);
        else if (c == '\t')
            fputs("\\t", f);
        else if (c < 0x20 || c == 0x7F)
            fprintf(f, "\\x%02X", c);
        else if (c < 0x80 || (is_khmer(c) && c != 0x17B4 && c != 0x17B5))
            fwrite(t + i, 1, n, f);
        else
            fprintf(f, "\\u{%X}", c);
        i += n;
    }
}

/* --------------------------------------------------------- comparing */

enum { NSTAT_SRC = 16 };

typedef struct stats {
    const char *name;
    size_t segs, bytes, hits, km, en, neg, fast_seen, mism;
} stats;

typedef struct pair {
    const char *name;
    pupa_lexicon *lex;
    pupa_matcher *full, *fast;
    size_t shrunk, nseen;
    char *seen[256]; /* shrunk texts reported */
} pair;

static int hits_equal(const pupa_hit *a, size_t na, const pupa_hit *b, size_t nb)
{
    if (na != nb)
        return 0;
    for (size_t i = 0; i < na; i++)
        if (a[i].code != b[i].code || a[i].entry != b[i].entry || a[i].start != b[i].start ||
            a[i].end != b[i].end || !a[i].negated != !b[i].negated)
            return 0;
    return 1;
}

/* Runs both modes; returns 1 when they agree.  Fills the outputs. */
static int run_both(pair *p, const char *t, size_t len, const pupa_hit **hf, size_t *nf,
                    const pupa_hit **hq, size_t *nq, pupa_tokens *tf, pupa_tokens *tq)
{
    int rf = pupa_match(p->full, t, len, hf, nf, tf);
    int rq = pupa_match(p->fast, t, len, hq, nq, tq);
    if (rf || rq) {
        fprintf(stderr, "[%s] pupa_match failed: full %d fast %d: %s\n", p->name, rf, rq,
                pupa_errmsg());
        check_failures++;
        return rf == rq;
    }
    return hits_equal(*hf, *nf, *hq, *nq);
}

static int differs(pair *p, const char *t, size_t len)
{
    const pupa_hit *a, *b;
    size_t na, nb;
    pupa_tokens x, y;
    return !run_both(p, t, len, &a, &na, &b, &nb, &x, &y);
}

static void print_hits(const pair *p, const char *side, const char *t, const pupa_hit *h,
                       size_t n)
{
    fprintf(stderr, "  %s: %zu hit(s)\n", side, n);
    for (size_t i = 0; i < n && i < 40; i++) {
        const pupa_entry *e = pupa_lexicon_entry(p->lex, h[i].entry);
        fprintf(stderr, "    %s entry %u \"", pupa_lexicon_code(p->lex, h[i].code), h[i].entry);
        put_escaped(stderr, e->pattern, strlen(e->pattern));
        fprintf(stderr, "\" [%u,%u)%s \"", h[i].start, h[i].end, h[i].negated ? " NEGATED" : "");
        if (h[i].end > h[i].start && h[i].end - h[i].start < 300)
            put_escaped(stderr, t + h[i].start, h[i].end - h[i].start);
        fputs("\"\n", stderr);
    }
}

/* Removes [from, to) of s->p, both moved onto character boundaries. */
static int cut(str *s, size_t from, size_t to, str *out)
{
    while (from < s->n && ((unsigned char)s->p[from] & 0xC0) == 0x80)
        from++;
    while (to < s->n && ((unsigned char)s->p[to] & 0xC0) == 0x80)
        to++;
    if (to > s->n)
        to = s->n;
    if (from >= to)
        return 0;
    out->n = 0;
    s_put(out, s->p, from);
    s_put(out, s->p + to, s->n - to);
    return 1;
}

/* Shrinks a differing text: drops ever smaller pieces while it differs. */
static void shrink(pair *p, const char *t, size_t len, str *res)
{
    str cur = {0}, tmp = {0};
    s_put(&cur, t, len);
    int tries = 0;
    for (size_t chunk = len / 2 ? len / 2 : 1;; chunk = chunk > 1 ? chunk / 2 : 1) {
        int progress = 0;
        for (size_t i = 0; i < cur.n && tries < 20000;) {
            tries++;
            if (cut(&cur, i, i + chunk, &tmp) && differs(p, tmp.p, tmp.n)) {
                str x = cur;
                cur = tmp;
                tmp = x;
                progress = 1;
            } else {
                i += chunk;
            }
        }
        if ((chunk == 1 && !progress) || tries >= 20000)
            break;
    }
    res->n = 0;
    s_put(res, cur.p, cur.n);
    free(cur.p);
    free(tmp.p);
}

/* Reports a mismatch unless its shrunk form was reported before. */
static void report(pair *p, const char *src, const char *t, size_t len, const pupa_hit *hf,
                   size_t nf, const pupa_hit *hq, size_t nq)
{
    /* The hits live in the matchers: keep a copy while shrinking. */
    pupa_hit *saved = fe_alloc(NULL, (nf + nq + 1) * sizeof *saved);
    if (nf)
        memcpy(saved, hf, nf * sizeof *hf);
    if (nq)
        memcpy(saved + nf, hq, nq * sizeof *hq);
    str small = {0};
    shrink(p, t, len, &small);
    int seen = 0;
    for (size_t i = 0; i < p->nseen && !seen; i++)
        seen = strcmp(p->seen[i], small.p) == 0;
    if (!seen && p->nseen < sizeof p->seen / sizeof *p->seen)
        p->seen[p->nseen++] = strdup(small.p);
    if (seen) {
        free(saved);
        free(small.p);
        return;
    }
    fprintf(stderr, "MISMATCH [%s, %s] segment of %zu bytes: \"", p->name, src, len);
    put_escaped(stderr, t, len < 600 ? len : 600);
    fprintf(stderr, "%s\"\n", len > 600 ? "..." : "");
    print_hits(p, "TOKENISE_ALL", t, saved, nf);
    print_hits(p, "FAST        ", t, saved + nf, nq);
    free(saved);
    const pupa_hit *a, *b;
    size_t na, nb;
    pupa_tokens x, y;
    run_both(p, small.p, small.n, &a, &na, &b, &nb, &x, &y);
    fprintf(stderr, "  shrunk to %zu bytes: \"", small.n);
    put_escaped(stderr, small.p, small.n);
    fputs("\"\n", stderr);
    print_hits(p, "TOKENISE_ALL", small.p, a, na);
    print_hits(p, "FAST        ", small.p, b, nb);
    free(small.p);
}

static void compare(pair *p, stats *st, const char *t, size_t len)
{
    const pupa_hit *hf, *hq;
    size_t nf, nq;
    pupa_tokens tf, tq;
    st->segs++;
    st->bytes += len;
    pupa_match_stats before, after;
    pupa_matcher_stats(p->fast, &before);
    int same = run_both(p, t, len, &hf, &nf, &hq, &nq, &tf, &tq);
    pupa_matcher_stats(p->fast, &after);
    /* The fast path really served this segment, not the fallback. */
    st->fast_seen += after.fast_segments - before.fast_segments;
    for (size_t i = 0; i < nf; i++) {
        size_t n;
        st->hits++;
        st->neg += hf[i].negated != 0;
        if (is_khmer(cp_at(t + hf[i].start, len - hf[i].start, &n)))
            st->km++;
        else
            st->en++;
    }
    if (same)
        return;
    st->mism++;
    /* At most PUPA_FE_REPORTS (default 8) distinct ones, from at most
     * four times as many shrunk. */
    size_t limit = getenv("PUPA_FE_REPORTS") ? strtoul(getenv("PUPA_FE_REPORTS"), NULL, 10) : 8;
    if (p->shrunk < 4 * limit && p->nseen < limit) {
        p->shrunk++;
        report(p, st->name, t, len, hf, nf, hq, nq);
    }
}

static void print_stats(const char *lex, const stats *s)
{
    fprintf(stderr,
            "[%s] %-22s %7zu segments %9zu bytes %7zu hits (km %zu, en %zu, negated %zu); "
            "fast path seen in %zu; %zu mismatched\n",
            lex, s->name, s->segs, s->bytes, s->hits, s->km, s->en, s->neg, s->fast_seen,
            s->mism);
}

static void add_stats(stats *sum, const stats *s)
{
    sum->segs += s->segs, sum->bytes += s->bytes, sum->hits += s->hits, sum->km += s->km;
    sum->en += s->en, sum->neg += s->neg, sum->fast_seen += s->fast_seen, sum->mism += s->mism;
}

static int pair_open(pair *p, const char *name, const char *path)
{
    memset(p, 0, sizeof *p);
    p->name = name;
    int rc = pupa_lexicon_load(&p->lex, path);
    if (rc) {
        fprintf(stderr, "pupa_lexicon_load(%s): %s\n", path, pupa_errmsg());
        check_failures++;
        return -1;
    }
    CHECK_EQ_INT(pupa_matcher_new(&p->full, p->lex), 0);
    CHECK_EQ_INT(pupa_matcher_new(&p->fast, p->lex), 0);
    if (!p->full || !p->fast)
        return -1;
    CHECK_EQ_INT(pupa_matcher_set_mode(p->full, PUPA_MATCH_TOKENISE_ALL), 0);
    CHECK_EQ_INT(pupa_matcher_set_mode(p->fast, PUPA_MATCH_FAST_ONLY), 0);
    return 0;
}

static void pair_close(pair *p)
{
    for (size_t i = 0; i < p->nseen; i++)
        free(p->seen[i]);
    pupa_matcher_free(p->full);
    pupa_matcher_free(p->fast);
    pupa_lexicon_free(p->lex);
}

/* ------------------------------------------------------------ texts */

typedef struct span {
    const char *t;
    size_t n;
} span;

typedef struct source {
    const char *name;
    span *v;
    size_t n, cap;
} source;

static void src_add(source *s, const char *t, size_t n)
{
    while (n && (t[n - 1] == '\r'))
        n--;
    if (!n)
        return;
    if (s->n == s->cap) {
        s->cap = s->cap ? s->cap * 2 : 256;
        s->v = fe_alloc(s->v, s->cap * sizeof *s->v);
    }
    s->v[s->n++] = (span){t, n};
}

/* Every line of buf; with col >= 0, only that tab-separated column. */
static void src_lines(source *s, const char *buf, size_t len, int col)
{
    for (const char *p = buf, *end = buf + len; p < end;) {
        const char *nl = memchr(p, '\n', (size_t)(end - p));
        const char *e = nl ? nl : end;
        if (col < 0) {
            src_add(s, p, (size_t)(e - p));
        } else {
            const char *c = p;
            for (int i = 0; i < col && c; i++) {
                c = memchr(c, '\t', (size_t)(e - c));
                c = c ? c + 1 : NULL;
            }
            if (c) {
                const char *ce = memchr(c, '\t', (size_t)(e - c));
                src_add(s, c, (size_t)((ce ? ce : e) - c));
            }
        }
        p = nl ? nl + 1 : end;
    }
}

enum {
    S_NTREX_EN, S_NTREX_KM, S_NEWS, S_LO_EN, S_LO_KM, S_KHPOS, S_UDHR, S_IV_LINES,
    S_IV_FILES, S_SAMPLE, S_N
};

typedef struct corpora {
    source src[S_N];
    char *bufs[128];
    size_t nbufs;
    pupa_file *files[64];
    size_t nfiles;
} corpora;

static char *hold(corpora *c, char *b)
{
    if (b && c->nbufs == sizeof c->bufs / sizeof *c->bufs) {
        free(b);
        return NULL;
    }
    if (b)
        c->bufs[c->nbufs++] = b;
    return b;
}

static int by_str(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

static void load_corpora(corpora *c, const char *dir, const char *root)
{
    static const char *names[S_N] = {"ntrex en",   "ntrex km",   "khmer-news",
                                     "lo-help en", "lo-help km", "khpos raw",
                                     "udhr",       "interviews lines",
                                     "interviews whole", "corpora-sample"};
    memset(c, 0, sizeof *c);
    for (int i = 0; i < S_N; i++)
        c->src[i].name = names[i];
    static const struct {
        const char *rel;
        int src, col;
    } files[] = {
        {"ntrex/newstest2019-src.eng.txt", S_NTREX_EN, -1},
        {"ntrex/newstest2019-ref.khm.txt", S_NTREX_KM, -1},
        {"khmer-news/news-1000.txt", S_NEWS, -1},
        {"lo-help/lo_help_en_km.tsv", S_LO_EN, 2},
        {"khpos/raw.txt", S_KHPOS, -1},
        {"udhr/udhr_eng.md", S_UDHR, -1},
        {"udhr/udhr_khm.md", S_UDHR, -1},
    };
    for (size_t i = 0; i < sizeof files / sizeof *files; i++) {
        size_t n;
        char *b = hold(c, slurp_corpus(dir, files[i].rel, &n));
        if (!b)
            continue;
        src_lines(&c->src[files[i].src], b, n, files[i].col);
        if (files[i].src == S_LO_EN)
            src_lines(&c->src[S_LO_KM], b, n, 3);
    }
    /* The interviews, in name order: lines, and each file whole. */
    char ivdir[4096];
    snprintf(ivdir, sizeof ivdir, "%s/interviews-en", dir);
    DIR *d = opendir(ivdir);
    CHECK(d != NULL);
    char *names_iv[256];
    size_t niv = 0;
    for (struct dirent *de; d && (de = readdir(d)) && niv < 256;) {
        size_t n = strlen(de->d_name);
        if (n > 4 && strcmp(de->d_name + n - 4, ".txt") == 0)
            names_iv[niv++] = strdup(de->d_name);
    }
    if (d)
        closedir(d);
    qsort(names_iv, niv, sizeof *names_iv, by_str);
    CHECK(niv >= 30);
    for (size_t i = 0; i < niv; i++) {
        size_t n;
        char *b = hold(c, slurp_corpus(ivdir, names_iv[i], &n));
        free(names_iv[i]);
        if (!b)
            continue;
        src_lines(&c->src[S_IV_LINES], b, n, -1);
        src_add(&c->src[S_IV_FILES], b, n);
    }
    /* corpora-sample through the reader: every turn, and every body. */
    char sample[4096], man[4200];
    snprintf(sample, sizeof sample, "%s/corpora-sample", root);
    snprintf(man, sizeof man, "%s/manifest.csv", sample);
    pupa_manifest *m = NULL;
    if (pupa_manifest_load(&m, man) != 0)
        m = NULL;
    char **paths = NULL;
    size_t np = 0;
    CHECK_EQ_INT(pupa_corpus_list(sample, &paths, &np), 0);
    CHECK(np >= 20);
    for (size_t i = 0; i < np && c->nfiles < 64; i++) {
        char path[8300];
        snprintf(path, sizeof path, "%s/%s", sample, paths[i]);
        pupa_file *f = NULL;
        int rc = pupa_file_read(&f, path, paths[i], m, NULL);
        if (rc) {
            fprintf(stderr, "%s: %s\n", paths[i], pupa_errmsg());
            check_failures++;
            continue;
        }
        c->files[c->nfiles++] = f;
        for (size_t k = 0; k < pupa_file_ndocs(f); k++) {
            const pupa_doc *doc = pupa_file_doc(f, k);
            for (size_t s = 0; s < doc->nsegs; s++)
                src_add(&c->src[S_SAMPLE], doc->segs[s].text, doc->segs[s].len);
            src_add(&c->src[S_SAMPLE], doc->text, doc->text_len);
        }
    }
    pupa_paths_free(paths, np);
    pupa_manifest_free(m);
}

static void free_corpora(corpora *c)
{
    for (int i = 0; i < S_N; i++)
        free(c->src[i].v);
    for (size_t i = 0; i < c->nbufs; i++)
        free(c->bufs[i]);
    for (size_t i = 0; i < c->nfiles; i++)
        pupa_file_free(c->files[i]);
}

/* ------------------------------------------------- the generated lexicon */

/* What a sample of the corpora holds: tokens and token pairs, grouped by
 * norm.  One record per occurrence; sorted, a run is one type. */
enum {
    K_WORD,    /* one Latin or Khmer word */
    K_PAIR,    /* two words of one script, one space between */
    K_ODDGAP,  /* two words, two or more spaces or U+200B between */
    K_NOGAP,   /* two tokens with nothing between */
    K_MIXED,   /* a Latin and a Khmer word, one space between */
    K_PUNCT,   /* two words, one '-', '.', '/' or ':' between */
    K_MIXWORD, /* one token of both scripts */
    K_MIXTOK   /* two tokens, one of both scripts, nothing or a space between */
};

typedef struct occ {
    uint32_t key, klen, surf, slen; /* offsets into the arena */
    uint32_t order;
    uint8_t kind, khmer;
} occ;

typedef struct typ {
    uint32_t surf, slen, count, order;
    uint8_t kind, khmer;
} typ;

static str arena;
static occ *occs;
static size_t nocc, occ_cap;

static void occ_add(const char *k, size_t kl, const char *s, size_t sl, int kind, int khmer)
{
    if (nocc == occ_cap) {
        occ_cap = occ_cap ? occ_cap * 2 : 4096;
        occs = fe_alloc(occs, occ_cap * sizeof *occs);
    }
    occ *o = &occs[nocc];
    o->key = (uint32_t)arena.n;
    o->klen = (uint32_t)kl;
    s_put(&arena, k, kl);
    o->surf = (uint32_t)arena.n;
    o->slen = (uint32_t)sl;
    s_put(&arena, s, sl);
    o->order = (uint32_t)nocc++;
    o->kind = (uint8_t)kind;
    o->khmer = (uint8_t)khmer;
}

static int by_kind_key(const void *a, const void *b)
{
    const occ *x = a, *y = b;
    if (x->kind != y->kind)
        return x->kind - y->kind;
    size_t n = x->klen < y->klen ? x->klen : y->klen;
    int c = memcmp(arena.p + x->key, arena.p + y->key, n);
    if (c)
        return c;
    if (x->klen != y->klen)
        return x->klen < y->klen ? -1 : 1;
    return x->order < y->order ? -1 : 1;
}

static int by_count(const void *a, const void *b)
{
    const typ *x = a, *y = b;
    if (x->count != y->count)
        return x->count > y->count ? -1 : 1;
    return x->order < y->order ? -1 : 1;
}

/* What a token is: 0 a Latin word (letters, digits, apostrophes, two
 * letters at least), 1 a Khmer word (Khmer letters and signs only), 2 both
 * glued together by ICU ("OKបាទ", "ឆ្នាំ2019"), -1 anything else. */
static int token_class(const char *s, size_t n)
{
    size_t latin = 0, khmer = 0;
    for (size_t i = 0; i < n;) {
        size_t k;
        uint32_t c = cp_at(s + i, n - i, &k);
        if ((c >= 0x1780 && c <= 0x17D3) || c == 0x17DD)
            khmer++;
        else if (((c | 0x20) >= 'a' && (c | 0x20) <= 'z') || (c >= '0' && c <= '9'))
            latin++;
        else if (c != '\'')
            return -1;
        i += k;
    }
    return khmer && latin ? 2 : khmer ? 1 : latin >= 2 ? 0 : -1;
}

static void sample_text(pupa_tokenizer *tk, const char *t, size_t len)
{
    pupa_tokens ts;
    if (pupa_tokenize(tk, t, len, &ts) != 0)
        return;
    for (size_t i = 0; i < ts.ntok; i++) {
        const pupa_token *a = &ts.tok[i];
        int ca = token_class(t + a->src_start, a->src_end - a->src_start);
        if (ca >= 0)
            occ_add(ts.norm + a->norm_start, a->norm_end - a->norm_start, t + a->src_start,
                    a->src_end - a->src_start, ca == 2 ? K_MIXWORD : K_WORD, ca == 1);
        if (i + 1 == ts.ntok || ca < 0)
            continue;
        const pupa_token *b = &ts.tok[i + 1];
        int cb = token_class(t + b->src_start, b->src_end - b->src_start);
        if (cb < 0)
            continue;
        const char *g = t + a->src_end;
        size_t gl = b->src_start - a->src_end;
        int kind;
        if (ca == 2 || cb == 2)
            kind = gl <= 1 && (gl == 0 || g[0] == ' ') ? K_MIXTOK : -1;
        else if (gl == 1 && g[0] == ' ')
            kind = ca != cb ? K_MIXED : K_PAIR;
        else if (gl == 0)
            kind = K_NOGAP;
        else if (gl == 1 && (g[0] == '-' || g[0] == '.' || g[0] == '/' || g[0] == ':'))
            kind = K_PUNCT;
        else {
            kind = gl <= 9 ? K_ODDGAP : -1; /* spaces and U+200B only */
            for (size_t j = 0; j < gl && kind == K_ODDGAP;) {
                if (g[j] == ' ')
                    j++;
                else if (gl - j >= 3 && memcmp(g + j, "\xE2\x80\x8B", 3) == 0)
                    j += 3;
                else
                    kind = -1;
            }
        }
        if (kind >= 0)
            occ_add(ts.norm + a->norm_start, b->norm_end - a->norm_start, t + a->src_start,
                    b->src_end - a->src_start, kind, ca == 1 && cb == 1);
    }
}

/* Types of one kind and script (khmer: 0, 1, or -1 for either), commonest
 * first; free the result. */
static typ *types_of(const typ *all, size_t nall, int kind, int khmer, size_t *n)
{
    typ *v = fe_alloc(NULL, (nall + 1) * sizeof *v);
    *n = 0;
    for (size_t i = 0; i < nall; i++)
        if (all[i].kind == kind && (khmer < 0 || all[i].khmer == khmer))
            v[(*n)++] = all[i];
    qsort(v, *n, sizeof *v, by_count);
    return v;
}

typedef struct lexent {
    unsigned code;
    char *text;
} lexent;

typedef struct lexlist {
    lexent *v;
    size_t n, cap;
    pupa_tokenizer *tk;
    size_t rejected;
} lexlist;

#define NCODES 30u

/* Adds an entry if it has a word character, holds no '*' except at its
 * end and is no /regex/. */
static void lex_add(lexlist *l, unsigned code, const char *t, size_t n)
{
    pupa_tokens ts;
    const char *star = memchr(t, '*', n);
    if (n == 0 || (star && star != t + n - 1) || (t[0] == '/' && t[n - 1] == '/') ||
        pupa_tokenize(l->tk, t, star ? n - 1 : n, &ts) != 0 || ts.ntok == 0) {
        l->rejected++;
        return;
    }
    if (l->n == l->cap) {
        l->cap = l->cap ? l->cap * 2 : 512;
        l->v = fe_alloc(l->v, l->cap * sizeof *l->v);
    }
    l->v[l->n].code = code % NCODES;
    l->v[l->n].text = fe_alloc(NULL, n + 1);
    memcpy(l->v[l->n].text, t, n);
    l->v[l->n].text[n] = '\0';
    l->n++;
}

static void lex_adds(lexlist *l, unsigned code, const char *t)
{
    lex_add(l, code, t, strlen(t));
}

/* ---- spelling variants (also used by the text generator) */

static size_t to_cps(const char *s, size_t n, uint32_t *out)
{
    size_t k = 0;
    for (size_t i = 0; i < n;) {
        size_t w;
        out[k++] = cp_at(s + i, n - i, &w);
        i += w;
    }
    return k;
}

static int kh_base(uint32_t c)
{
    return c >= 0x1780 && c <= 0x17A2;
}

static int kh_vowel(uint32_t c)
{
    return c >= 0x17B6 && c <= 0x17C5;
}

enum { V_COENG = 1, V_QOO = 2, V_ORDER = 4, V_UPPER = 8, V_TITLE = 16, V_CURLY = 32,
       V_INVIS = 64 };

/* Rewrites s[0, n) into out with the variants in mask applied (each where
 * it can be, Khmer ones at random places when inv is set). */
static void variant(const char *s, size_t n, unsigned mask, str *out)
{
    uint32_t *c = fe_alloc(NULL, (n + 1) * sizeof *c);
    size_t k = to_cps(s, n, c);
    for (size_t i = 0; i < k; i++) {
        if ((mask & V_COENG) && i + 1 < k && c[i] == 0x17D2 && (c[i + 1] == 0x178F || c[i + 1] == 0x178A))
            c[i + 1] = c[i + 1] == 0x178F ? 0x178A : 0x178F;
        if ((mask & V_QOO) && (c[i] == 0x17B1 || c[i] == 0x17B2))
            c[i] = c[i] == 0x17B1 ? 0x17B2 : 0x17B1;
        /* base, coeng C, vowel -> base, vowel, coeng C */
        if ((mask & V_ORDER) && i + 3 < k && kh_base(c[i]) && c[i + 1] == 0x17D2 &&
            kh_base(c[i + 2]) && kh_vowel(c[i + 3])) {
            uint32_t v = c[i + 3];
            c[i + 3] = c[i + 2];
            c[i + 2] = 0x17D2;
            c[i + 1] = v;
            i += 3;
        }
        if ((mask & (V_UPPER | V_TITLE)) && c[i] >= 'a' && c[i] <= 'z' &&
            ((mask & V_UPPER) || i == 0 || c[i - 1] == ' '))
            c[i] -= 32;
    }
    for (size_t i = 0; i < k; i++) {
        if ((mask & V_CURLY) && c[i] == '\'')
            c[i] = 0x2019;
        s_cp(out, c[i]);
        /* An invisible character between two Khmer clusters. */
        if ((mask & V_INVIS) && i + 1 < k && is_khmer(c[i]) && kh_base(c[i + 1]) &&
            (i == 0 || c[i - 1] != 0x17D2) && c[i] != 0x17D2 && rnd(4) == 0) {
            static const uint32_t inv[] = {0x200B, 0x200C, 0x200D, 0x2060, 0xFEFF, 0x17B4};
            s_cp(out, inv[rnd(6)]);
        }
    }
    free(c);
}

static void lex_variant(lexlist *l, unsigned code, const char *s, size_t n, unsigned mask)
{
    str v = {0};
    variant(s, n, mask, &v);
    if (v.n != n || memcmp(v.p, s, n) != 0)
        lex_add(l, code, v.p, v.n);
    free(v.p);
}

/* Picks up to want types from ranks [lo, hi) at random, without repeats. */
static size_t pick(size_t lo, size_t hi, size_t want, size_t *out)
{
    if (hi <= lo)
        return 0;
    size_t n = hi - lo, *ix = fe_alloc(NULL, n * sizeof *ix);
    for (size_t i = 0; i < n; i++)
        ix[i] = lo + i;
    if (want > n)
        want = n;
    for (size_t i = 0; i < want; i++) {
        size_t j = i + rnd((uint32_t)(n - i)), x = ix[i];
        ix[i] = ix[j];
        ix[j] = x;
        out[i] = ix[i];
    }
    free(ix);
    return want;
}

static int has_cp(const char *s, size_t n, uint32_t a, uint32_t b)
{
    for (size_t i = 0; i < n;) {
        size_t w;
        uint32_t c = cp_at(s + i, n - i, &w);
        if (c >= a && c <= b)
            return 1;
        i += w;
    }
    return 0;
}

static const char *const fixed_entries[] = {
    "the", "and", "\xE1\x9E\x80\xE1\x9E\xB6\xE1\x9E\x9A" /* ការ */,
    "\xE1\x9E\x93\xE1\x9E\xB7\xE1\x9E\x84" /* និង */,
    "\xE1\x9E\x81\xE1\x9F\x92\xE1\x9E\x89\xE1\x9E\xBB\xE1\x9F\x86" /* ខ្ញុំ */,
    "\xE1\x9E\x98\xE1\x9E\xB7\xE1\x9E\x93" /* មិន */, "not", "well-being", "e.g.", "i.e.",
    "U.S.", "mother-in-law", "long-term", "full-time", "o'clock", "don't know", "can't",
    "Mr. Smith", "10,000", "3.5", "self-esteem", "co-operate", "24-hour", "money  lender",
    "trust*", "lend*", "\xE1\x9E\x86\xE1\x9F\x92\xE1\x9E\x93\xE1\x9E\xB6\xE1\x9F\x86 2019" /* ឆ្នាំ 2019 */,
    "\xE1\x9E\x86\xE1\x9F\x92\xE1\x9E\x93\xE1\x9E\xB6\xE1\x9F\x86 \xE1\x9F\xA2\xE1\x9F\xA0\xE1\x9F\xA1\xE1\x9F\xA9" /* ឆ្នាំ ២០១៩ */,
    "OK \xE1\x9E\x94\xE1\x9E\xB6\xE1\x9E\x91" /* OK បាទ */,
    "\xE1\x9E\x97\xE1\x9F\x92\xE1\x9E\x93\xE1\x9F\x86\xE1\x9E\x96\xE1\x9F\x81\xE1\x9E\x89-\xE1\x9E\x9F\xE1\x9F\x80\xE1\x9E\x98\xE1\x9E\x9A\xE1\x9E\xB6\xE1\x9E\x94" /* ភ្នំពេញ-សៀមរាប */,
    "\xE1\x9E\xB1\xE1\x9F\x92\xE1\x9E\x99" /* ឱ្យ */, "\xE1\x9E\x98\xE1\x9F\x92\xE1\x9E\x8A\xE1\x9E\xB6\xE1\x9E\x99" /* ម្ដាយ */,
    "OK\xE1\x9E\x94\xE1\x9E\xB6\xE1\x9E\x91 \xE1\x9E\x81\xE1\x9F\x92\xE1\x9E\x89\xE1\x9E\xBB\xE1\x9F\x86" /* OKបាទ ខ្ញុំ */,
    "\xE1\x9E\x86\xE1\x9F\x92\xE1\x9E\x93\xE1\x9E\xB6\xE1\x9F\x86" "2019 \xE1\x9E\x80\xE1\x9E\xB6\xE1\x9E\x9A" /* ឆ្នាំ2019 ការ */,
    "no-confidence", "caf\xC3\xA9", "r\xC3\xA9sum\xC3\xA9", "\xCF\x83" /* σ */,
    "\xD0\xBF\xD1\x80\xD0\xB8\xD0\xB2\xD0\xB5\xD1\x82" /* привет */, "stra\xC3\x9F" "e",
    "\xE1\x9E\x9F\xE1\x9F\x92\xE1\x9E\x8F\xE1\x9F\x92\xE1\x9E\x9A\xE1\x9E\xB8" /* ស្ត្រី */,
    "\xE1\x9E\x8A\xE1\x9F\x82\xE1\x9E\x9B" /* ដែល */,
};

static const char *const cues[] = {
    "not", "never", "don't", "don\xE2\x80\x99t", "no", "without", "cannot", "NOT",
    "\xE1\x9E\x98\xE1\x9E\xB7\xE1\x9E\x93" /* មិន */, "\xE1\x9E\xA2\xE1\x9E\x8F\xE1\x9F\x8B" /* អត់ */,
    "\xE1\x9E\x82\xE1\x9F\x92\xE1\x9E\x98\xE1\x9E\xB6\xE1\x9E\x93" /* គ្មាន */,
    "\xE1\x9E\x96\xE1\x9E\xBB\xE1\x9F\x86" /* ពុំ */,
    "\xE1\x9E\x98\xE1\x9E\xB7\xE1\x9E\x93\xE1\x9E\x8A\xE1\x9F\x82\xE1\x9E\x9B" /* មិនដែល */,
};

typedef struct gen_src {
    typ *words_en, *words_km; /* for the text generator */
    size_t nen, nkm;
} gen_src;

static void build_lexicon(const corpora *c, lexlist *l, gen_src *g)
{
    pupa_tokenizer *tk = NULL;
    CHECK_EQ_INT(pupa_tokenizer_new(&tk), 0);
    if (!tk)
        return;
    l->tk = tk;
    static const struct {
        int src;
        size_t max;
    } use[] = {{S_NTREX_EN, 0}, {S_NTREX_KM, 0}, {S_NEWS, 1500}, {S_UDHR, 0}, {S_IV_LINES, 0},
               {S_LO_EN, 3000}, {S_LO_KM, 3000}};
    for (size_t u = 0; u < sizeof use / sizeof *use; u++) {
        const source *s = &c->src[use[u].src];
        for (size_t i = 0; i < s->n && (!use[u].max || i < use[u].max); i++)
            sample_text(tk, s->v[i].t, s->v[i].n);
    }
    /* Group the occurrences into types. */
    qsort(occs, nocc, sizeof *occs, by_kind_key);
    typ *all = fe_alloc(NULL, (nocc + 1) * sizeof *all);
    size_t nall = 0;
    for (size_t i = 0; i < nocc;) {
        size_t j = i + 1;
        while (j < nocc && occs[j].kind == occs[i].kind && occs[j].klen == occs[i].klen &&
               memcmp(arena.p + occs[j].key, arena.p + occs[i].key, occs[i].klen) == 0)
            j++;
        all[nall++] = (typ){occs[i].surf, occs[i].slen, (uint32_t)(j - i), occs[i].order,
                            occs[i].kind, occs[i].khmer};
        i = j;
    }
    free(occs);
    occs = NULL;
    nocc = occ_cap = 0;

    size_t idx[4096], k;
#define SURF(t) (arena.p + (t).surf), (t).slen
    for (size_t i = 0; i < sizeof fixed_entries / sizeof *fixed_entries; i++)
        lex_adds(l, (unsigned)i, fixed_entries[i]);
    size_t nwe, nwk;
    typ *we = types_of(all, nall, K_WORD, 0, &nwe), *wk = types_of(all, nall, K_WORD, 1, &nwk);
    /* Words: the commonest, then a spread over the first 3,000 ranks. */
    for (int km = 0; km < 2; km++) {
        typ *w = km ? wk : we;
        size_t nw = km ? nwk : nwe;
        for (size_t i = 0; i < 12 && i < nw; i++)
            lex_add(l, rnd(NCODES), SURF(w[i]));
        k = pick(12, nw < 3000 ? nw : 3000, 300, idx);
        for (size_t i = 0; i < k; i++)
            lex_add(l, rnd(NCODES), SURF(w[idx[i]]));
    }
    /* Phrases as written, of each kind. */
    static const struct {
        int kind, khmer;
        size_t want;
    } ph[] = {{K_PAIR, 0, 120}, {K_PAIR, 1, 120}, {K_ODDGAP, -1, 80}, {K_NOGAP, -1, 30},
              {K_MIXED, -1, 40}, {K_PUNCT, -1, 60}, {K_MIXWORD, -1, 20}, {K_MIXTOK, -1, 30}};
    for (size_t p = 0; p < sizeof ph / sizeof *ph; p++) {
        size_t n;
        typ *v = types_of(all, nall, ph[p].kind, ph[p].khmer, &n);
        k = pick(0, n < 2000 ? n : 2000, ph[p].want, idx);
        for (size_t i = 0; i < k; i++)
            lex_add(l, rnd(NCODES), SURF(v[idx[i]]));
        free(v);
    }
    /* Prefixes: English stems; Khmer whole words; Khmer words cut after a
     * few characters (inside a cluster too: after a coeng pair). */
    k = pick(12, nwe < 3000 ? nwe : 3000, 400, idx);
    for (size_t i = 0, got = 0; i < k && got < 80; i++) {
        const typ *t = &we[idx[i]];
        if (t->slen < 6 || memchr(arena.p + t->surf, '\'', t->slen))
            continue;
        char buf[8];
        size_t n = 3 + rnd(3);
        memcpy(buf, arena.p + t->surf, n);
        buf[n] = '*';
        lex_add(l, rnd(NCODES), buf, n + 1);
        got++;
    }
    k = pick(12, nwk < 3000 ? nwk : 3000, 120, idx);
    for (size_t i = 0; i < k; i++) {
        const typ *t = &wk[idx[i]];
        str s = {0};
        size_t n = t->slen;
        if (i >= 40) { /* cut: 2 or more characters, on a character */
            if (n < 12)
                continue;
            n = 3 * (2 + rnd((uint32_t)(n / 3 - 2)));
        }
        s_put(&s, arena.p + t->surf, n);
        s_put(&s, "*", 1);
        lex_add(l, rnd(NCODES), s.p, s.n);
        free(s.p);
    }
    /* Case, apostrophes and Khmer spelling variants. */
    k = pick(0, nwe < 2000 ? nwe : 2000, 40, idx);
    for (size_t i = 0; i < k; i++)
        lex_variant(l, rnd(NCODES), SURF(we[idx[i]]), i % 2 ? V_UPPER : V_TITLE);
    for (size_t i = 0, got = 0; i < nwe && got < 20; i++)
        if (memchr(arena.p + we[i].surf, '\'', we[i].slen)) {
            lex_variant(l, rnd(NCODES), SURF(we[i]), V_CURLY | (got % 3 ? 0 : V_UPPER));
            got++;
        }
    size_t nco = 0, nqoo = 0, nord = 0;
    for (size_t i = 0; i < nwk && i < 6000; i++) {
        const char *s = arena.p + wk[i].surf;
        size_t n = wk[i].slen;
        if (nco < 40 && (memmem(s, n, "\xE1\x9F\x92\xE1\x9E\x8F", 6) || memmem(s, n, "\xE1\x9F\x92\xE1\x9E\x8A", 6)) && rnd(3) == 0)
            lex_variant(l, rnd(NCODES), s, n, V_COENG), nco++;
        if (nqoo < 15 && has_cp(s, n, 0x17B1, 0x17B2))
            lex_variant(l, rnd(NCODES), s, n, V_QOO), nqoo++;
        if (nord < 25 && rnd(4) == 0) {
            size_t before = l->n;
            lex_variant(l, rnd(NCODES), s, n, V_ORDER);
            nord += l->n > before;
        }
    }
    /* The same entry under another code. */
    size_t base = l->n;
    for (size_t i = 0; i < 40 && base; i++) {
        const lexent *e = &l->v[rnd((uint32_t)base)];
        char *t = strdup(e->text);
        lex_adds(l, e->code + 1 + rnd(NCODES - 1), t);
        free(t);
    }
#undef SURF
    free(all);
    /* Words for the generator: the first 4,000 types of each script. */
    g->nen = nwe < 4000 ? nwe : 4000;
    g->nkm = nwk < 4000 ? nwk : 4000;
    g->words_en = we;
    g->words_km = wk;
    fprintf(stderr,
            "generated lexicon: %zu entries (%zu candidates rejected; %zu coeng, %zu qoo, "
            "%zu vowel-order variants)\n",
            l->n, l->rejected, nco, nqoo, nord);
    pupa_tokenizer_free(tk);
    l->tk = NULL;
}

static void yaml_quote(FILE *f, const char *s)
{
    fputc('"', f);
    for (const char *p = s; *p;) {
        size_t n;
        uint32_t c = cp_at(p, strlen(p), &n);
        if (c == '"' || c == '\\')
            fprintf(f, "\\%c", (char)c);
        else if (c < 0x20 || c == 0x7F)
            fprintf(f, "\\x%02X", c);
        else if ((c >= 0x200B && c <= 0x200D) || c == 0x2060 || c == 0xFEFF || c == 0x17B4 ||
                 c == 0x17B5 || c == 0xA0)
            fprintf(f, "\\u%04X", c);
        else
            fwrite(p, 1, n, f);
        p += n;
    }
    fputc('"', f);
}

static void write_lexicon(const lexlist *l, const char *path)
{
    FILE *f = fopen(path, "w");
    if (!f) {
        perror(path);
        exit(1);
    }
    fputs("# generated by test_fast_equal.c\n", f);
    for (unsigned code = 0; code < NCODES; code++) {
        int nested = code % 4 == 1;
        fprintf(f, "g%02u:\n%s", code, nested ? "  sub:\n" : "");
        for (size_t i = 0; i < l->n; i++)
            if (l->v[i].code == code) {
                fputs(nested ? "    - " : "  - ", f);
                yaml_quote(f, l->v[i].text);
                fputc('\n', f);
            }
    }
    fclose(f);
}

/* ------------------------------------------------- the generated texts */

/* Separators between the pieces of a generated segment. */
static const char *const seps[] = {
    " ", " ", " ", " ", "  ", "\t", "\n", "\r\n", "\n\n", "\xE2\x80\x8B" /* ZWSP */,
    " \xE2\x80\x8B ", "", "", ", ", ". ", "! ", "? ", " , ", "-", "\"", " '",
    "\xE2\x80\x99" /* ’ */, "\xE2\x80\x9C" /* “ */, "\xE2\x80\x9D " /* ” */,
    " \xC2\xAB" /* « */, "\xC2\xBB " /* » */, " \xE2\x80\x94 " /* — */, "\xE2\x80\x94",
    " \xE2\x80\x93 " /* – */, "\xE1\x9F\x94" /* ។ */,
    " \xE1\x9F\x96 " /* ៖ */, "\xE1\x9F\x97 " /* ៗ */, " \xE1\x9E\xB4" /* U+17B4 */,
    "\xE1\x9F\xB0" /* U+17F0, a Khmer symbol (No) */, "\xE1\x9F\x92" /* a lone coeng */,
};

/* Rarer ones: several send the segment to the full path in some designs
 * of the fast path, so they are kept from most segments. */
static const char *const rare_seps[] = {
    "\xE2\x80\x8C" /* ZWNJ */, "\xE2\x80\x8D" /* ZWJ */, "\xC2\xA0" /* NBSP */,
    " \xC2\xA0 ", "\xE2\x81\xA0" /* U+2060 */, "\xEF\xBB\xBF" /* U+FEFF */,
    "\xE2\x80\xA6" /* … */,
};

static void put_sep(str *out)
{
    if (rnd(25) == 0)
        s_cstr(out, rare_seps[rnd(sizeof rare_seps / sizeof *rare_seps)]);
    else
        s_cstr(out, seps[rnd(sizeof seps / sizeof *seps)]);
}

/* Characters the fast path may refuse (the segment then takes the full
 * path): compatibility forms, default ignorables, composing marks. */
static const char *const unsafe[] = {"\xC3\xA9" /* é */, "\xEF\xBC\xA1" /* Ａ */,
                                     "\xE3\x85\xA4" /* U+3164 */, "caf\xC3\xA9",
                                     "\xEF\xAC\x81" /* ﬁ */, "\xC2\xAD" /* soft hyphen */,
                                     "e\xCC\x81" /* e + combining acute */};

static const char *const junk[] = {"OK\xE1\x9E\x94\xE1\x9E\xB6\xE1\x9E\x91" /* OKបាទ */,
                                   "\xE1\x9E\x86\xE1\x9F\x92\xE1\x9E\x93\xE1\x9E\xB6\xE1\x9F\x86" "2019" /* ឆ្នាំ2019 */,
                                   "CAF\xC3\x89", "R\xC3\xA9sum\xC3\xA9", "\xCE\x9F\xCE\x94\xCE\x9F\xCE\xA3" /* ΟΔΟΣ */,
                                   "\xCF\x82" /* ς */, "\xD0\x9F\xD0\xA0\xD0\x98\xD0\x92\xD0\x95\xD0\xA2" /* ПРИВЕТ */,
                                   "Stra\xC3\x9F" "e", "STRASSE",
                                   "\xE1\x9E\x9F\xE1\x9F\x92\xE1\x9E\x9A\xE1\x9F\x92\xE1\x9E\x8F\xE1\x9E\xB8" /* ស្រ្តី, a common misspelling */,
                                   "\xE1\x9F\x92\xE1\x9E\x8A" /* a dangling coeng-da */,
"\xE1\x9E\xB6" /* ា */, "\xE1\x9E\xB7\xE1\x9E\x80" /* ិក */,
                                   "\xE1\x9F\x92\xE1\x9E\x8F" /* ្ត */, "\xE1\x9F\x86" /* ំ */, "2019", "\xE1\x9F\xA2\xE1\x9F\xA0\xE1\x9F\xA1\xE1\x9F\xA9" /* ២០១៩ */,
                                   "e.g.", "U.S.", "\xE1\x9F\xB0" /* U+17F0 */, "3.5", "10,000",
                                   "\xE1\x9F\x9B" /* ៛ */, "a", "I", "OK"};

/* One generated segment. */
static void gen_segment(const lexlist *l, const gen_src *g, str *out)
{
    out->n = 0;
    if (rnd(8) == 0)
        put_sep(out);
    size_t pieces = 2 + rnd(14);
    int bad = rnd(40) == 0;
    size_t bad_at = rnd((uint32_t)pieces);
    for (size_t i = 0; i < pieces; i++) {
        const char *s;
        size_t n;
        uint32_t r = rnd(100);
        if (r < 45) {
            s = l->v[rnd((uint32_t)l->n)].text;
            n = strlen(s);
            if (n && s[n - 1] == '*') { /* a prefix: give it a tail, or not */
                n--;
            }
        } else if (r < 80) {
            const typ *t = rnd(2) ? &g->words_en[rnd((uint32_t)g->nen)]
                                  : &g->words_km[rnd((uint32_t)g->nkm)];
            s = arena.p + t->surf;
            n = t->slen;
        } else if (r < 92) {
            s = cues[rnd(sizeof cues / sizeof *cues)];
            n = strlen(s);
        } else {
            s = junk[rnd(sizeof junk / sizeof *junk)];
            n = strlen(s);
        }
        unsigned mask = 0;
        if (rnd(4) == 0)
            mask |= V_COENG;
        if (rnd(4) == 0)
            mask |= V_QOO;
        if (rnd(6) == 0)
            mask |= V_ORDER;
        if (rnd(8) == 0)
            mask |= rnd(2) ? V_UPPER : V_TITLE;
        if (rnd(4) == 0)
            mask |= V_CURLY;
        if (rnd(30) == 0)
            mask |= V_INVIS;
        variant(s, n, mask, out);
        if (rnd(6) == 0) { /* glued to what follows: one token for ICU, or two */
            static const char *const glue[] = {"s", "\xE1\x9E\x80\xE1\x9E\xB6\xE1\x9E\x9A" /* ការ */,
                                               "2019", "OK", "\xE1\x9F\xA2\xE1\x9F\xA0" /* ២០ */};
            s_cstr(out, glue[rnd(5)]);
        }
        if (bad && i == bad_at)
            s_cstr(out, unsafe[rnd(sizeof unsafe / sizeof *unsafe)]);
        if (i + 1 < pieces || rnd(6) == 0)
            put_sep(out);
    }
}

/* ----------------------------------------------------------- the runs */

static void run_corpora(pair *p, const corpora *c, stats *sum)
{
    double t0 = seconds();
    stats st[S_N];
    memset(sum, 0, sizeof *sum);
    sum->name = "all corpora";
    for (int s = 0; s < S_N; s++) {
        memset(&st[s], 0, sizeof st[s]);
        st[s].name = c->src[s].name;
        for (size_t i = 0; i < c->src[s].n; i++)
            compare(p, &st[s], c->src[s].v[i].t, c->src[s].v[i].n);
        print_stats(p->name, &st[s]);
        CHECK_EQ_INT(st[s].mism, 0);
        CHECK(st[s].segs > 0);
        add_stats(sum, &st[s]);
    }
    print_stats(p->name, sum);
    fprintf(stderr, "[%s] corpora matched both ways in %.1f s\n", p->name, seconds() - t0);
}

static void run_generated(pair *p, const lexlist *l, const gen_src *g, size_t nseg,
                          stats *st)
{
    double t0 = seconds();
    memset(st, 0, sizeof *st);
    st->name = "generated";
    rng_state = 0x0DDBA11CAFEF00DULL; /* the same texts for every lexicon */
    str seg = {0};
    for (size_t i = 0; i < nseg; i++) {
        gen_segment(l, g, &seg);
        compare(p, st, seg.p, seg.n);
    }
    free(seg.p);
    print_stats(p->name, st);
    fprintf(stderr, "[%s] generated segments matched both ways in %.1f s\n", p->name,
            seconds() - t0);
    CHECK_EQ_INT(st->mism, 0);
}

static const char *regex_yaml =
    "money:\n  - \"/lend(er|ing)?/\"\n  - \"money  lender\"\n  - \"debt*\"\n"
    "trust:\n  - \"trust\"\n  - \"\xE1\x9E\x91\xE1\x9E\xBB\xE1\x9E\x80\xE1\x9E\x85\xE1\x9E\xB7"
    "\xE1\x9E\x8F\xE1\x9F\x92\xE1\x9E\x8F\"\n" /* ទុកចិត្ត */
    "family:\n  - \"\xE1\x9E\x98\xE1\x9F\x92\xE1\x9E\x8F\xE1\x9E\xB6\xE1\x9E\x99\"\n" /* ម្តាយ */
    "  - \"the\"\n  - \"\xE1\x9E\x80\xE1\x9E\xB6\xE1\x9E\x9A*\"\n"; /* ការ* */

int main(int argc, char **argv)
{
    require_corpora(argc > 1 ? argv[1] : NULL);
    const char *dir = argv[1];
    const char *root = argc > 2 ? argv[2] : ".";
    /* Generated segments: PUPA_FE_SEGMENTS overrides, for longer runs. */
    size_t nseg = 120000;
    if (getenv("PUPA_FE_SEGMENTS"))
        nseg = strtoul(getenv("PUPA_FE_SEGMENTS"), NULL, 10);
    double t0 = seconds();
    char tmp[] = "/tmp/pupa-fasteq-XXXXXX";
    if (!mkdtemp(tmp)) {
        perror("mkdtemp");
        return 1;
    }
    corpora c;
    load_corpora(&c, dir, root);

    /* The generated lexicon. */
    lexlist l = {0};
    gen_src g = {0};
    build_lexicon(&c, &l, &g);
    CHECK(l.n >= 1300);
    char gen_path[128], rx_path[128], bf_path[4200];
    snprintf(gen_path, sizeof gen_path, "%s/generated.yml", tmp);
    snprintf(rx_path, sizeof rx_path, "%s/regex.yml", tmp);
    snprintf(bf_path, sizeof bf_path, "%s/lexicons/butterfly.yml", root);
    write_lexicon(&l, gen_path);
    fprintf(stderr, "setup %.1f s\n", seconds() - t0);

    stats sum, gen;
    pair p;
    if (pair_open(&p, "generated", gen_path) == 0) {
        CHECK(pupa_lexicon_nentries(p.lex) == l.n);
        run_corpora(&p, &c, &sum);
        CHECK(sum.hits > 10000);
        CHECK(sum.km > 1000 && sum.en > 1000);
        CHECK(sum.neg > 100);
        CHECK(sum.fast_seen > sum.segs / 4);
        run_generated(&p, &l, &g, nseg, &gen);
        CHECK(gen.hits > 10000);
        CHECK(gen.km > 1000 && gen.en > 1000);
        CHECK(gen.neg > 100);
        CHECK(gen.fast_seen > gen.segs / 10);
    }
    pair_close(&p);

    if (pair_open(&p, "butterfly", bf_path) == 0) {
        run_corpora(&p, &c, &sum);
        CHECK(sum.hits > 1000);
        run_generated(&p, &l, &g, nseg / 4, &gen);
    }
    pair_close(&p);

    /* A /regex/ entry: the fast path cannot serve the lexicon and must fall
     * back to full tokenisation, with the same hits. */
    FILE *f = fopen(rx_path, "w");
    CHECK(f != NULL);
    if (f) {
        fputs(regex_yaml, f);
        fclose(f);
    }
    if (pair_open(&p, "regex", rx_path) == 0) {
        stats st = {.name = "regex fallback"};
        static const char *const probes[] = {
            "the money lender is lending", "a money  lender", "not the debt collectors",
            "\xE1\x9E\x81\xE1\x9F\x92\xE1\x9E\x89\xE1\x9E\xBB\xE1\x9F\x86\xE1\x9E\x98\xE1\x9E\xB7"
            "\xE1\x9E\x93\xE1\x9E\x91\xE1\x9E\xBB\xE1\x9E\x80\xE1\x9E\x85\xE1\x9E\xB7\xE1\x9E\x8F"
            "\xE1\x9F\x92\xE1\x9E\x8F", /* ខ្ញុំមិនទុកចិត្ត */
        };
        for (size_t i = 0; i < sizeof probes / sizeof *probes; i++)
            compare(&p, &st, probes[i], strlen(probes[i]));
        for (size_t s = 0; s < S_N; s++)
            for (size_t i = 0; i < c.src[s].n; i += 7)
                compare(&p, &st, c.src[s].v[i].t, c.src[s].v[i].n);
        print_stats(p.name, &st);
        CHECK_EQ_INT(st.mism, 0);
        CHECK(st.hits > 1000);
        run_generated(&p, &l, &g, nseg / 10, &gen);
    }
    pair_close(&p);

    unlink(rx_path);
    if (getenv("PUPA_FE_KEEP")) {
        fprintf(stderr, "generated lexicon kept at %s\n", gen_path);
    } else {
        unlink(gen_path);
        rmdir(tmp);
    }
    /* Last, as a sanitizer failure aborts: texts without a single hit on
     * fresh matchers (nothing allocated for hits yet), and texts of nothing
     * but separators. */
    if (pair_open(&p, "edge", bf_path) == 0) {
        stats st = {.name = "edge cases"};
        static const char *const edge[] = {
            "zzz", "", " ", "\n\n", "\xE1\x9F\x94" /* ។ */, "\xE2\x80\x8B", "\xE1\x9E\xB4",
            "\xE1\x9F\x92" /* coeng */, "trust", "\xE2\x80\x99trust\xE2\x80\x99", " trust ",
            "\xE1\x9E\x91\xE1\x9E\xBB\xE1\x9E\x80\xE1\x9E\x85\xE1\x9E\xB7\xE1\x9E\x8F\xE1\x9F\x92\xE1\x9E\x8F",
        };
        for (size_t i = 0; i < sizeof edge / sizeof *edge; i++)
            compare(&p, &st, edge[i], strlen(edge[i]));
        print_stats(p.name, &st);
        CHECK_EQ_INT(st.mism, 0);
        CHECK(st.hits >= 3);
    }
    pair_close(&p);

    for (size_t i = 0; i < l.n; i++)
        free(l.v[i].text);
    free(l.v);
    free(g.words_en);
    free(g.words_km);
    free(arena.p);
    free_corpora(&c);
    fprintf(stderr, "total %.1f s\n", seconds() - t0);
    return check_result();
}
