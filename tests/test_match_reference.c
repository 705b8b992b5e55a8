/*
 * test_match_reference.c: pupa_match (engine/match.c, engine/lexicon.c)
 * against a reference matcher written plainly here.
 *
 * The reference takes the token stream of a separate pupa_tokenizer and, for
 * every token and every lexicon entry, compares bytes of pupa_tokens.norm
 * with the entry's norm: a word entry must end exactly where a token ends, a
 * prefix entry anywhere inside a token and is then stretched to that token's
 * end.  Overlaps are resolved per code (start ascending, longer first, entry
 * id ascending, greedily, checked against every hit kept so far) and
 * negation is computed from pupa_is_negation_cue over the three tokens
 * before a hit, stopping at a "\n" separator.  No Hyperscan, no tok_of map,
 * no "the last kept hit is enough" shortcut: what the engine does fast is
 * done here slowly and independently, and the two must agree field by field.
 *
 * Part 1 (always runs): small hand-written cases of the matching rules.
 * Part 2 (needs ../shared/corpora, else 77): a lexicon of over 1,000 entries
 * built deterministically from real English and Khmer text (words, two-token
 * phrases, prefixes, folded spellings, duplicates across codes, sub-phrases
 * within a code), then every segment of several corpora is matched both
 * ways and compared.
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

/* ------------------------------------------------------------ utilities */

static void *xmalloc(size_t n)
{
    void *p = malloc(n ? n : 1);
    if (!p) {
        fprintf(stderr, "out of memory\n");
        exit(1);
    }
    return p;
}

static void *xrealloc(void *p, size_t n)
{
    p = realloc(p, n ? n : 1);
    if (!p) {
        fprintf(stderr, "out of memory\n");
        exit(1);
    }
    return p;
}

static char *xstrndup(const char *s, size_t n)
{
    char *p = xmalloc(n + 1);
    memcpy(p, s, n);
    p[n] = '\0';
    return p;
}

/* Grows *p (an array of elements of size sz with *cap slots) to hold need. */
static void grow(void *pp, size_t *cap, size_t need, size_t sz)
{
    void **p = pp;
    if (need <= *cap)
        return;
    size_t c = *cap ? *cap : 16;
    while (c < need)
        c *= 2;
    *p = xrealloc(*p, c * sz);
    *cap = c;
}


/* Fixed-seed linear congruential generator (Knuth's MMIX constants). */
static uint64_t lcg_state = 0x5eedf00dULL;
static uint32_t lcg(void)
{
    lcg_state = lcg_state * 6364136223846793005ULL + 1442695040888963407ULL;
    return (uint32_t)(lcg_state >> 33);
}

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* A text to match: points into a buffer that outlives it. */
typedef struct seg {
    const char *text;
    size_t len;
} seg;

typedef struct segvec {
    seg *v;
    size_t n, cap;
} segvec;

static void seg_add(segvec *sv, const char *text, size_t len)
{
    if (len == 0)
        return;
    grow(&sv->v, &sv->cap, sv->n + 1, sizeof *sv->v);
    sv->v[sv->n++] = (seg){text, len};
}

/* Adds the non-empty lines of buf (max_lines of them at most; 0: all),
 * without their "\r\n" / "\n". */
static size_t add_lines(segvec *sv, const char *buf, size_t len, size_t max_lines)
{
    size_t lines = 0, added = 0;
    const char *p = buf, *end = buf + len;
    while (p < end && (max_lines == 0 || lines < max_lines)) {
        const char *nl = memchr(p, '\n', (size_t)(end - p));
        const char *e = nl ? nl : end;
        size_t n = (size_t)(e - p);
        if (n && p[n - 1] == '\r')
            n--;
        if (n) {
            seg_add(sv, p, n);
            added++;
        }
        lines++;
        p = nl ? nl + 1 : end;
    }
    return added;
}

/* ------------------------------------------------------ the reference */

typedef struct ref_hit {
    uint32_t code, entry, start, end, tok_first, tok_last;
    int negated;
} ref_hit;

typedef struct refm {
    const pupa_lexicon *lex;
    size_t nent;
    size_t *elen;      /* strlen of each entry's norm */
    /* Entries bucketed by the first character of their norm: a filter only,
     * every candidate is still compared byte for byte. */
    uint32_t *bstart;  /* NBUCKET + 1 */
    uint32_t *bent;
    ref_hit *cand;
    size_t ncand, cand_cap;
    ref_hit *out;
    size_t nout, out_cap;
} refm;

#define NBUCKET 4096u

static unsigned first_char_bucket(const char *s, size_t avail)
{
    const unsigned char *u = (const unsigned char *)s;
    size_t n = u[0] < 0x80 ? 1 : u[0] < 0xE0 ? 2 : u[0] < 0xF0 ? 3 : 4;
    if (n > avail)
        n = avail;
    uint32_t h = 2166136261u;
    for (size_t i = 0; i < n; i++)
        h = (h ^ u[i]) * 16777619u;
    return h % NBUCKET;
}

static void refm_init(refm *r, const pupa_lexicon *lex)
{
    memset(r, 0, sizeof *r);
    r->lex = lex;
    r->nent = pupa_lexicon_nentries(lex);
    r->elen = xmalloc(r->nent * sizeof *r->elen);
    r->bstart = calloc(NBUCKET + 1, sizeof *r->bstart);
    r->bent = xmalloc(r->nent * sizeof *r->bent);
    uint32_t *fill = calloc(NBUCKET, sizeof *fill);
    if (!r->bstart || !fill) {
        fprintf(stderr, "out of memory\n");
        exit(1);
    }
    unsigned *bk = xmalloc(r->nent * sizeof *bk);
    for (size_t e = 0; e < r->nent; e++) {
        const pupa_entry *en = pupa_lexicon_entry(lex, (uint32_t)e);
        r->elen[e] = strlen(en->norm);
        bk[e] = NBUCKET; /* none */
        if (en->kind == PUPA_ENTRY_REGEX || r->elen[e] == 0)
            continue;
        bk[e] = first_char_bucket(en->norm, r->elen[e]);
        r->bstart[bk[e] + 1]++;
    }
    for (unsigned b = 0; b < NBUCKET; b++)
        r->bstart[b + 1] += r->bstart[b];
    for (size_t e = 0; e < r->nent; e++) /* ascending entry ids per bucket */
        if (bk[e] < NBUCKET)
            r->bent[r->bstart[bk[e]] + fill[bk[e]]++] = (uint32_t)e;
    free(bk);
    free(fill);
}

static void refm_free(refm *r)
{
    free(r->elen);
    free(r->bstart);
    free(r->bent);
    free(r->cand);
    free(r->out);
}

static int by_code_start_longer_entry(const void *a, const void *b)
{
    const ref_hit *x = a, *y = b;
    if (x->code != y->code) return x->code < y->code ? -1 : 1;
    if (x->start != y->start) return x->start < y->start ? -1 : 1;
    if (x->end != y->end) return x->end > y->end ? -1 : 1; /* longer first */
    if (x->entry != y->entry) return x->entry < y->entry ? -1 : 1;
    return 0;
}

static int by_start_end_code_entry(const void *a, const void *b)
{
    const ref_hit *x = a, *y = b;
    if (x->start != y->start) return x->start < y->start ? -1 : 1;
    if (x->end != y->end) return x->end < y->end ? -1 : 1;
    if (x->code != y->code) return x->code < y->code ? -1 : 1;
    if (x->entry != y->entry) return x->entry < y->entry ? -1 : 1;
    return 0;
}

/* Is the pattern's punctuation only ASCII hyphens ("well-being")? */
static int hyphen_joined(const char *pattern)
{
    int hyphen = 0;
    for (const unsigned char *p = (const unsigned char *)pattern; *p; p++) {
        if (*p == '-')
            hyphen = 1;
        else if (*p < 0x80 && *p != ' ' && *p != '*' && !((*p | 0x20) >= 'a' && (*p | 0x20) <= 'z') &&
                 !(*p >= '0' && *p <= '9'))
            return 0;
    }
    return hyphen;
}

/* Does text[a, b) hold nothing but spaces, hyphens and dashes (U+2010 to
 * U+2015, U+2212)? */
static int only_hyphens_between(const char *text, size_t a, size_t b)
{
    for (size_t i = a; i < b;) {
        const unsigned char *p = (const unsigned char *)text + i;
        if (*p == ' ' || *p == '\t' || *p == '\n' || *p == '\r' || *p == '-') {
            i++;
        } else if (b - i >= 3 && p[0] == 0xE2 && p[1] == 0x80 && p[2] >= 0x90 && p[2] <= 0x95) {
            i += 3;
        } else if (b - i >= 3 && p[0] == 0xE2 && p[1] == 0x88 && p[2] == 0x92) {
            i += 3;
        } else {
            return 0;
        }
    }
    return 1;
}

/* The reference matcher over one token stream of text.  Result in r->out. */
static void ref_match(refm *r, const pupa_tokens *ts, const char *text)
{
    r->ncand = r->nout = 0;
    const pupa_token *tok = ts->tok;
    for (size_t i = 0; i < ts->ntok; i++) {
        size_t p0 = tok[i].norm_start;
        unsigned b = first_char_bucket(ts->norm + p0, ts->norm_len - p0);
        for (uint32_t k = r->bstart[b]; k < r->bstart[b + 1]; k++) {
            uint32_t e = r->bent[k];
            const pupa_entry *en = pupa_lexicon_entry(r->lex, e);
            size_t n = r->elen[e];
            if (p0 + n > ts->norm_len || memcmp(ts->norm + p0, en->norm, n) != 0)
                continue;
            size_t p = p0 + n; /* where the entry ends in norm */
            size_t found = SIZE_MAX;
            for (size_t j = i; j < ts->ntok && tok[j].norm_start < p; j++) {
                if (en->kind == PUPA_ENTRY_WORD && tok[j].norm_end == p) {
                    found = j;
                    break;
                }
                /* tok[j].norm_start < p <= tok[j].norm_end: the last byte of
                 * the entry lies inside token j, not on a separator. */
                if (en->kind == PUPA_ENTRY_PREFIX && p <= tok[j].norm_end) {
                    found = j;
                    break;
                }
            }
            if (found == SIZE_MAX)
                continue;
            /* "well-being" does not match "well. Being". */
            int joined = 1;
            for (size_t j = i; joined && hyphen_joined(en->pattern) && j < found; j++)
                joined = only_hyphens_between(text, tok[j].src_end, tok[j + 1].src_start);
            if (!joined)
                continue;
            grow(&r->cand, &r->cand_cap, r->ncand + 1, sizeof *r->cand);
            r->cand[r->ncand++] = (ref_hit){
                .code = en->code,
                .entry = e,
                .start = tok[i].src_start,
                .end = tok[found].src_end,
                .tok_first = (uint32_t)i,
                .tok_last = (uint32_t)found,
            };
        }
    }
    /* Overlaps, per code: greedy over (start asc, longer first, entry asc),
     * each candidate checked against every hit kept so far. */
    qsort(r->cand, r->ncand, sizeof *r->cand, by_code_start_longer_entry);
    for (size_t c = 0; c < r->ncand; c++) {
        const ref_hit *h = &r->cand[c];
        int clash = 0;
        for (size_t k = 0; k < r->nout && !clash; k++) {
            const ref_hit *o = &r->out[k];
            if (o->code == h->code && h->tok_first <= o->tok_last && o->tok_first <= h->tok_last)
                clash = 1;
        }
        if (clash)
            continue;
        grow(&r->out, &r->out_cap, r->nout + 1, sizeof *r->out);
        r->out[r->nout++] = *h;
    }
    /* Negation: a cue among the 3 tokens before, not across punctuation. */
    for (size_t k = 0; k < r->nout; k++) {
        ref_hit *h = &r->out[k];
        for (size_t back = 1; back <= PUPA_NEGATION_WINDOW && back <= h->tok_first; back++) {
            size_t t = h->tok_first - back;
            uint32_t gap = tok[t].norm_end;
            if (gap < tok[t + 1].norm_start && ts->norm[gap] == '\n')
                break;
            if (pupa_is_negation_cue(ts->norm + tok[t].norm_start,
                                     tok[t].norm_end - tok[t].norm_start)) {
                h->negated = 1;
                break;
            }
        }
    }
    qsort(r->out, r->nout, sizeof *r->out, by_start_end_code_entry);
}

/* ----------------------------------------------------------- comparing */

typedef struct cmp_state {
    pupa_lexicon *lex;
    pupa_matcher *m;
    pupa_tokenizer *tk;
    refm ref;
    size_t segments, mismatched_segments, printed;
    size_t hits, hits_khmer, hits_english, hits_prefix, hits_phrase, hits_negated,
        hits_multi_code_span;
} cmp_state;

static void print_hit(const char *side, const cmp_state *cs, const char *text,
                      uint32_t code, uint32_t entry, uint32_t start, uint32_t end,
                      uint32_t tf, uint32_t tl, int neg)
{
    const pupa_entry *e = pupa_lexicon_entry(cs->lex, entry);
    fprintf(stderr, "    %s: code=%s entry=%u '%s' (%s) [%u,%u) tok %u-%u negated=%d text='%.*s'\n",
            side, pupa_lexicon_code(cs->lex, code), entry, e ? e->pattern : "?",
            e ? (e->kind == PUPA_ENTRY_WORD ? "word" : e->kind == PUPA_ENTRY_PREFIX ? "prefix"
                                                                                    : "regex")
              : "?",
            start, end, tf, tl, neg, (int)(end > start && end - start < 200 ? end - start : 0),
            text + start);
}

/* Matches one text both ways; returns 1 when they agree. */
static int compare_text(cmp_state *cs, const char *text, size_t len)
{
    cs->segments++;
    pupa_tokens rt, mt;
    int rc = pupa_tokenize(cs->tk, text, len, &rt);
    CHECK_EQ_INT(rc, 0);
    const pupa_hit *hits = NULL;
    size_t nhits = 0;
    int mrc = pupa_match(cs->m, text, len, &hits, &nhits, &mt);
    CHECK_EQ_INT(mrc, 0);
    if (rc || mrc)
        return 0;
    /* Both sides see the same token stream. */
    int same_tokens = tokens_equal(&rt, &mt);
    CHECK(same_tokens);

    ref_match(&cs->ref, &rt, text);
    const ref_hit *rh = cs->ref.out;
    size_t nref = cs->ref.nout;
    int same = nref == nhits;
    for (size_t i = 0; same && i < nhits; i++) {
        const pupa_hit *h = &hits[i];
        same = h->code == rh[i].code && h->entry == rh[i].entry && h->start == rh[i].start &&
               h->end == rh[i].end && h->tok_first == rh[i].tok_first &&
               h->tok_last == rh[i].tok_last && !!h->negated == rh[i].negated;
    }
    /* Statistics from the reference side. */
    for (size_t i = 0; i < nref; i++) {
        const ref_hit *h = &rh[i];
        cs->hits++;
        if (rt.tok[h->tok_first].script == PUPA_SCRIPT_KHMER)
            cs->hits_khmer++;
        else
            cs->hits_english++;
        if (pupa_lexicon_entry(cs->lex, h->entry)->kind == PUPA_ENTRY_PREFIX)
            cs->hits_prefix++;
        if (h->tok_last > h->tok_first)
            cs->hits_phrase++;
        if (h->negated)
            cs->hits_negated++;
        if (i && rh[i - 1].start == h->start && rh[i - 1].end == h->end &&
            rh[i - 1].code != h->code)
            cs->hits_multi_code_span++;
    }
    if (same)
        return 1;
    cs->mismatched_segments++;
    if (cs->printed < 5) {
        cs->printed++;
        fprintf(stderr, "MISMATCH in segment of %zu bytes: '%.*s%s'\n", len,
                (int)(len < 300 ? len : 300), text, len > 300 ? "..." : "");
        fprintf(stderr, "  norm: '%.*s%s'\n", (int)(rt.norm_len < 300 ? rt.norm_len : 300),
                rt.norm, rt.norm_len > 300 ? "..." : "");
        /* Merge the two sorted lists and show what differs. */
        size_t a = 0, b = 0, shown = 0;
        while ((a < nhits || b < nref) && shown < 30) {
            const pupa_hit *h = a < nhits ? &hits[a] : NULL;
            const ref_hit *r = b < nref ? &rh[b] : NULL;
            int c;
            if (!h)
                c = 1;
            else if (!r)
                c = -1;
            else {
                ref_hit hh = {h->code, h->entry, h->start, h->end, h->tok_first, h->tok_last,
                              !!h->negated};
                c = by_start_end_code_entry(&hh, r);
                if (c == 0 && (hh.tok_first != r->tok_first || hh.tok_last != r->tok_last ||
                               hh.negated != r->negated)) {
                    print_hit("pupa_match", cs, text, h->code, h->entry, h->start, h->end,
                              h->tok_first, h->tok_last, h->negated);
                    print_hit("reference ", cs, text, r->code, r->entry, r->start, r->end,
                              r->tok_first, r->tok_last, r->negated);
                    shown++;
                }
            }
            if (c < 0) {
                print_hit("only pupa_match", cs, text, h->code, h->entry, h->start, h->end,
                          h->tok_first, h->tok_last, h->negated);
                a++;
                shown++;
            } else if (c > 0) {
                print_hit("only reference ", cs, text, r->code, r->entry, r->start, r->end,
                          r->tok_first, r->tok_last, r->negated);
                b++;
                shown++;
            } else {
                a++;
                b++;
            }
        }
    }
    return 0;
}

/* ------------------------------------------------------ lexicon writing */

static char tmpdir[64];

static void make_tmpdir(void)
{
    strcpy(tmpdir, "/tmp/pupa-matchref-XXXXXX");
    if (!mkdtemp(tmpdir)) {
        perror("mkdtemp");
        exit(1);
    }
}

/* Writes s as a YAML double-quoted scalar. */
static void yaml_quoted(FILE *f, const char *s)
{
    fputc('"', f);
    for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
        if (*p == '"' || *p == '\\') {
            fputc('\\', f);
            fputc(*p, f);
        } else if (*p < 0x20 || *p == 0x7F) {
            fprintf(f, "\\x%02X", *p);
        } else if (p[0] == 0xE2 && p[1] == 0x80 && p[2] >= 0x8B && p[2] <= 0x8D) {
            fprintf(f, "\\u%04X", 0x2000 + (p[2] - 0x80)); /* U+200B..U+200D */
            p += 2;
        } else if (p[0] == 0xE2 && p[1] == 0x81 && p[2] == 0xA0) {
            fputs("\\u2060", f);
            p += 2;
        } else if (p[0] == 0xEF && p[1] == 0xBB && p[2] == 0xBF) {
            fputs("\\uFEFF", f);
            p += 2;
        } else {
            fputc(*p, f);
        }
    }
    fputc('"', f);
}

static pupa_lexicon *load_lexicon_file(const char *path)
{
    pupa_lexicon *lex = NULL;
    int rc = pupa_lexicon_load(&lex, path);
    if (rc)
        fprintf(stderr, "pupa_lexicon_load(%s): %s: %s\n", path, pupa_strerror(rc),
                pupa_errmsg());
    CHECK_EQ_INT(rc, 0);
    return lex;
}

/* ------------------------------------------------------------- part 1 */

static const char *unit_yaml =
    "lend:\n  - \"lend\"\n"
    "lendp:\n  - \"lend*\"\n"
    "ml:\n  - \"money lender\"\n"
    "trust:\n  - \"\xE1\x9E\x91\xE1\x9E\xBB\xE1\x9E\x80\xE1\x9E\x85\xE1\x9E\xB7\xE1\x9E\x8F"
    "\xE1\x9F\x92\xE1\x9E\x8F\"\n"                                  /* ទុកចិត្ត */
    "mother:\n  - \"\xE1\x9E\x98\xE1\x9F\x92\xE1\x9E\x8F\xE1\x9E\xB6\xE1\x9E\x99\"\n" /* ម្តាយ */
    "apos:\n  - \"DON\\u2019T\"\n"
    "debt:\n  - \"money lender\"\n  - \"lender\"\n"
    "a:\n  - \"bank\"\n"
    "b:\n  - \"bank\"\n"
    "wb:\n  - \"well-being\"\n";

#define KM_TRUST "\xE1\x9E\x91\xE1\x9E\xBB\xE1\x9E\x80\xE1\x9E\x85\xE1\x9E\xB7\xE1\x9E\x8F\xE1\x9F\x92\xE1\x9E\x8F"
#define KM_TUK "\xE1\x9E\x91\xE1\x9E\xBB\xE1\x9E\x80"                              /* ទុក */
#define KM_CHET "\xE1\x9E\x85\xE1\x9E\xB7\xE1\x9E\x8F\xE1\x9F\x92\xE1\x9E\x8F"      /* ចិត្ត */
#define KM_KNHOM "\xE1\x9E\x81\xE1\x9F\x92\xE1\x9E\x89\xE1\x9E\xBB\xE1\x9F\x86"     /* ខ្ញុំ */
#define KM_KEAT "\xE1\x9E\x82\xE1\x9E\xB6\xE1\x9E\x8F\xE1\x9F\x8B"                  /* គាត់ */
#define KM_MIN "\xE1\x9E\x98\xE1\x9E\xB7\xE1\x9E\x93"                              /* មិន */
#define KM_TE "\xE1\x9E\x91\xE1\x9F\x81"                                          /* ទេ */
#define KM_MDAY_DA "\xE1\x9E\x98\xE1\x9F\x92\xE1\x9E\x8A\xE1\x9E\xB6\xE1\x9E\x99"   /* ម្ដាយ, coeng-da */
#define ZWSP "\xE2\x80\x8B"

static cmp_state unit;

/* Hits of one code in the last match of text; checks it against the
 * reference too. */
static size_t unit_hits(const char *text, const char *code, const pupa_hit **out_first)
{
    compare_text(&unit, text, strlen(text));
    const pupa_hit *hits = NULL;
    size_t nhits = 0;
    int rc = pupa_match(unit.m, text, strlen(text), &hits, &nhits, NULL);
    CHECK_EQ_INT(rc, 0);
    size_t n = 0;
    if (out_first)
        *out_first = NULL;
    for (size_t i = 0; i < nhits; i++)
        if (strcmp(pupa_lexicon_code(unit.lex, hits[i].code), code) == 0) {
            if (n == 0 && out_first)
                *out_first = &hits[i];
            n++;
        }
    return n;
}

/* Checks that text has exactly one hit of code, spanning needle (the first
 * occurrence of it in text), negated or not. */
static void expect_one(const char *text, const char *code, const char *needle, int negated,
                       int line)
{
    const pupa_hit *h = NULL;
    size_t n = unit_hits(text, code, &h);
    const char *at = strstr(text, needle);
    if (n != 1 || !h || !at || h->start != (uint32_t)(at - text) ||
        h->end != (uint32_t)(at - text + strlen(needle)) || !!h->negated != negated) {
        fprintf(stderr, "line %d: '%s': expected one %s hit on '%s' (negated=%d), got %zu", line,
                text, code, needle, negated, n);
        if (h)
            fprintf(stderr, " first [%u,%u) negated=%d", h->start, h->end, h->negated);
        fputc('\n', stderr);
        check_failures++;
    }
}

static void expect_none(const char *text, const char *code, int line)
{
    size_t n = unit_hits(text, code, NULL);
    if (n) {
        fprintf(stderr, "line %d: '%s': expected no %s hit, got %zu\n", line, text, code, n);
        check_failures++;
    }
}

static void test_units(void)
{
    char path[128];
    snprintf(path, sizeof path, "%s/unit.yml", tmpdir);
    FILE *f = fopen(path, "w");
    CHECK(f != NULL);
    if (!f)
        return;
    fputs(unit_yaml, f);
    fclose(f);
    memset(&unit, 0, sizeof unit);
    unit.lex = load_lexicon_file(path);
    unlink(path);
    if (!unit.lex)
        return;
    CHECK_EQ_INT(pupa_lexicon_nentries(unit.lex), 11);
    CHECK_EQ_INT(pupa_matcher_new(&unit.m, unit.lex), 0);
    CHECK_EQ_INT(pupa_tokenizer_new(&unit.tk), 0);
    if (!unit.m || !unit.tk)
        goto done;
    refm_init(&unit.ref, unit.lex);

    /* A word entry matches whole tokens only; a prefix entry extends. */
    expect_none("the lender said", "lend", __LINE__);
    expect_one("I lend money", "lend", "lend", 0, __LINE__);
    expect_one("the lender said", "lendp", "lender", 0, __LINE__);
    expect_one("LENDING", "lendp", "LENDING", 0, __LINE__);
    expect_none("blend", "lendp", __LINE__);
    /* Phrases cross white space (any amount, newlines too), never
     * punctuation. */
    expect_one("a money  lender", "ml", "money  lender", 0, __LINE__);
    expect_one("a money\nlender", "ml", "money\nlender", 0, __LINE__);
    expect_one("a Money \r\n\t Lender!", "ml", "Money \r\n\t Lender", 0, __LINE__);
    expect_none("money, lender", "ml", __LINE__);
    expect_none("money-lender", "ml", __LINE__);
    /* Khmer: ICU 72 splits this sentence ខ្ញុំ | ទុកចិត្ត | គាត់, so the entry
     * sits on whole tokens. */
    expect_one(KM_KNHOM KM_TRUST KM_KEAT, "trust", KM_TRUST, 0, __LINE__);
    /* Written with a space or U+200B between its parts, the two tokens join
     * with the empty separator and the entry still matches, across both. */
    expect_one(KM_TUK " " KM_CHET, "trust", KM_TUK " " KM_CHET, 0, __LINE__);
    expect_one(KM_TUK ZWSP KM_CHET, "trust", KM_TUK ZWSP KM_CHET, 0, __LINE__);
    expect_one(KM_KNHOM " " KM_TUK ZWSP KM_CHET " " KM_KEAT, "trust", KM_TUK ZWSP KM_CHET, 0,
               __LINE__);
    /* But never across punctuation. */
    expect_none(KM_TUK "\xE1\x9F\x94" KM_CHET, "trust", __LINE__); /* ទុក។ចិត្ត */
    /* A Khmer negation cue (មិន) before the hit. */
    expect_one(KM_KNHOM KM_MIN KM_TRUST KM_KEAT KM_TE, "trust", KM_TRUST, 1, __LINE__);
    /* The coeng-da spelling in the text meets the coeng-ta entry. */
    expect_one("\xE1\x9E\x98\xE1\x9F\x92\xE1\x9E\x8F\xE1\x9E\xB6\xE1\x9E\x99", "mother",
               "\xE1\x9E\x98\xE1\x9F\x92\xE1\x9E\x8F\xE1\x9E\xB6\xE1\x9E\x99", 0, __LINE__);
    expect_one(KM_MDAY_DA, "mother", KM_MDAY_DA, 0, __LINE__);
    /* A hyphenated entry needs words joined by hyphens or dashes, with or
     * without spaces; other punctuation is a different gap. */
    expect_one("my well-being is", "wb", "well-being", 0, __LINE__);
    expect_one("my well\xE2\x80\x93" "being is", "wb", "well\xE2\x80\x93" "being", 0, __LINE__);
    expect_one("my well - being is", "wb", "well - being", 0, __LINE__);
    expect_none("all is well. Being here", "wb", __LINE__);
    expect_none("well, being", "wb", __LINE__);
    expect_none("well/being", "wb", __LINE__);
    /* Curly and straight apostrophes, any case. */
    expect_one("I don't know", "apos", "don't", 0, __LINE__);
    expect_one("I Don\xE2\x80\x99t know", "apos", "Don\xE2\x80\x99t", 0, __LINE__);
    /* Same code, overlapping entries: one hit, the longest leftmost. */
    expect_one("the money lender came", "debt", "money lender", 0, __LINE__);
    expect_one("the lender came", "debt", "lender", 0, __LINE__);
    {
        const pupa_hit *h = NULL;
        CHECK_EQ_INT(unit_hits("the money lender came", "debt", &h), 1);
        if (h) /* "money lender" is entry 6 (0-based), before "lender" */
            CHECK_EQ_STR(pupa_lexicon_entry(unit.lex, h->entry)->pattern, "money lender");
    }
    /* Two codes on one span: two hits, ordered by code. */
    {
        const char *text = "the bank";
        const pupa_hit *hits = NULL;
        size_t n = 0;
        compare_text(&unit, text, strlen(text));
        CHECK_EQ_INT(pupa_match(unit.m, text, strlen(text), &hits, &n, NULL), 0);
        CHECK_EQ_INT(n, 2);
        if (n == 2) {
            CHECK_EQ_STR(pupa_lexicon_code(unit.lex, hits[0].code), "a");
            CHECK_EQ_STR(pupa_lexicon_code(unit.lex, hits[1].code), "b");
            CHECK_EQ_INT(hits[0].start, 4);
            CHECK_EQ_INT(hits[1].start, 4);
            CHECK_EQ_INT(hits[0].end, 8);
            CHECK_EQ_INT(hits[1].end, 8);
        }
    }
    /* Negation: within 3 tokens, not across punctuation. */
    expect_one("I do not trust the bank", "a", "bank", 1, __LINE__);
    expect_one("never a bank", "a", "bank", 1, __LINE__);
    expect_one("not a b c bank", "a", "bank", 0, __LINE__);
    expect_one("No. The bank", "a", "bank", 0, __LINE__);
    expect_one("I don\xE2\x80\x99t like the bank", "b", "bank", 1, __LINE__);
    /* Empty and token-free texts. */
    expect_none("", "a", __LINE__);
    expect_none(" ,. ", "a", __LINE__);
    CHECK_EQ_INT(unit.mismatched_segments, 0);

done:
    refm_free(&unit.ref);
    pupa_matcher_free(unit.m);
    pupa_tokenizer_free(unit.tk);
    pupa_lexicon_free(unit.lex);
}

/* ------------------------------------------------- part 2: the lexicon */

/* A token type (or a two-token phrase) seen in the corpora. */
typedef struct ftype {
    char *key;       /* the norm (for a phrase: with its separator) */
    size_t klen;
    char *surface;   /* the source text of its first occurrence */
    uint32_t count;
    uint32_t order;  /* first-seen order, for stable ties */
    int khmer;       /* every token in it is Khmer script */
} ftype;

typedef struct ftable {
    ftype **slot;
    size_t cap, n;
} ftable;

static uint64_t fnv(const char *s, size_t n)
{
    uint64_t h = 1469598103934665603ULL;
    for (size_t i = 0; i < n; i++)
        h = (h ^ (unsigned char)s[i]) * 1099511628211ULL;
    return h;
}

static ftype *ft_add(ftable *t, const char *key, size_t klen, const char *surface, size_t slen,
                     int khmer)
{
    if ((t->n + 1) * 2 > t->cap) {
        size_t ncap = t->cap ? t->cap * 2 : 1024;
        ftype **ns = calloc(ncap, sizeof *ns);
        if (!ns)
            exit(1);
        for (size_t i = 0; i < t->cap; i++)
            if (t->slot[i]) {
                size_t k = fnv(t->slot[i]->key, t->slot[i]->klen) & (ncap - 1);
                while (ns[k])
                    k = (k + 1) & (ncap - 1);
                ns[k] = t->slot[i];
            }
        free(t->slot);
        t->slot = ns;
        t->cap = ncap;
    }
    size_t k = fnv(key, klen) & (t->cap - 1);
    while (t->slot[k]) {
        ftype *f = t->slot[k];
        if (f->klen == klen && memcmp(f->key, key, klen) == 0) {
            f->count++;
            return f;
        }
        k = (k + 1) & (t->cap - 1);
    }
    ftype *f = xmalloc(sizeof *f);
    *f = (ftype){xstrndup(key, klen), klen, xstrndup(surface, slen), 1, (uint32_t)t->n, khmer};
    t->slot[k] = f;
    t->n++;
    return f;
}

static void ft_free(ftable *t)
{
    for (size_t i = 0; i < t->cap; i++)
        if (t->slot[i]) {
            free(t->slot[i]->key);
            free(t->slot[i]->surface);
            free(t->slot[i]);
        }
    free(t->slot);
}

/* a-z and apostrophes, with at least two letters. */
static int english_word(const char *s, size_t n)
{
    size_t letters = 0;
    for (size_t i = 0; i < n; i++) {
        if (s[i] >= 'a' && s[i] <= 'z')
            letters++;
        else if (s[i] != '\'')
            return 0;
    }
    return letters >= 2;
}

/* Khmer letters, signs and vowels only (U+1780-U+17D3, U+17DD). */
static int khmer_word(const char *s, size_t n)
{
    const unsigned char *u = (const unsigned char *)s;
    if (n == 0 || n % 3)
        return 0;
    for (size_t i = 0; i < n; i += 3) {
        if (u[i] != 0xE1 || (u[i + 1] != 0x9E && u[i + 1] != 0x9F))
            return 0;
        uint32_t cp = 0x1000u | ((uint32_t)(u[i + 1] & 0x3F) << 6) | (u[i + 2] & 0x3F);
        if (!((cp >= 0x1780 && cp <= 0x17D3) || cp == 0x17DD))
            return 0;
    }
    return 1;
}

/* The source gap between two tokens that a phrase may span: spaces and
 * U+200B only, at most 6 bytes. */
static int phrase_gap(const char *s, size_t n)
{
    if (n == 0 || n > 6)
        return 0;
    for (size_t i = 0; i < n;) {
        if (s[i] == ' ')
            i++;
        else if (n - i >= 3 && memcmp(s + i, ZWSP, 3) == 0)
            i += 3;
        else
            return 0;
    }
    return 1;
}

static void count_text(pupa_tokenizer *tk, const char *text, size_t len, ftable *words,
                       ftable *pairs)
{
    pupa_tokens ts;
    if (pupa_tokenize(tk, text, len, &ts) != 0)
        return;
    for (size_t i = 0; i < ts.ntok; i++) {
        const pupa_token *a = &ts.tok[i];
        const char *key = ts.norm + a->norm_start;
        size_t klen = a->norm_end - a->norm_start;
        int km = a->script == PUPA_SCRIPT_KHMER;
        if (km ? khmer_word(key, klen) : english_word(key, klen))
            ft_add(words, key, klen, text + a->src_start, a->src_end - a->src_start, km);
        if (i + 1 == ts.ntok)
            continue;
        const pupa_token *b = &ts.tok[i + 1];
        if (b->script != a->script || !phrase_gap(text + a->src_end, b->src_start - a->src_end))
            continue;
        const char *bkey = ts.norm + b->norm_start;
        size_t blen = b->norm_end - b->norm_start;
        if (!(km ? khmer_word(bkey, blen) : english_word(bkey, blen)))
            continue;
        ft_add(pairs, key, b->norm_end - a->norm_start, text + a->src_start,
               b->src_end - a->src_start, km);
    }
}

static int by_count_desc(const void *a, const void *b)
{
    const ftype *x = *(ftype *const *)a, *y = *(ftype *const *)b;
    if (x->count != y->count) return x->count > y->count ? -1 : 1;
    return x->order < y->order ? -1 : x->order > y->order;
}

/* Types of one script, most frequent first, as an array to free. */
static ftype **ranked(const ftable *t, int khmer, size_t *n)
{
    ftype **v = xmalloc((t->n + 1) * sizeof *v);
    size_t k = 0;
    for (size_t i = 0; i < t->cap; i++)
        if (t->slot[i] && t->slot[i]->khmer == khmer)
            v[k++] = t->slot[i];
    qsort(v, k, sizeof *v, by_count_desc);
    *n = k;
    return v;
}

/* Picks up to want distinct indexes from [from, to) with the LCG (partial
 * Fisher-Yates), in picking order. */
static size_t pick(size_t from, size_t to, size_t want, size_t *out)
{
    if (to <= from)
        return 0;
    size_t n = to - from;
    size_t *idx = xmalloc(n * sizeof *idx);
    for (size_t i = 0; i < n; i++)
        idx[i] = from + i;
    if (want > n)
        want = n;
    for (size_t i = 0; i < want; i++) {
        size_t j = i + lcg() % (n - i);
        size_t tmp = idx[i];
        idx[i] = idx[j];
        idx[j] = tmp;
        out[i] = idx[i];
    }
    free(idx);
    return want;
}

typedef struct lexent {
    unsigned code;
    char *text;
} lexent;

typedef struct lexbuild {
    lexent *v;
    size_t n, cap;
} lexbuild;

#define NCODES 25u

static void lb_add(lexbuild *lb, unsigned code, const char *text)
{
    grow(&lb->v, &lb->cap, lb->n + 1, sizeof *lb->v);
    lb->v[lb->n++] = (lexent){code % NCODES, xstrndup(text, strlen(text))};
}

/* Writes the lexicon grouped by code, each code's entries in insertion
 * order, every entry double-quoted. */
static void write_lexicon(const lexbuild *lb, const char *path)
{
    FILE *f = fopen(path, "w");
    if (!f) {
        perror(path);
        exit(1);
    }
    fputs("# generated by test_match_reference.c\n", f);
    for (unsigned k = 0; k < NCODES; k++) {
        int nested = k % 3 == 0;
        fprintf(f, "c%02u:\n", k);
        if (nested)
            fputs("  x:\n", f);
        for (size_t i = 0; i < lb->n; i++)
            if (lb->v[i].code == k) {
                fputs(nested ? "    - " : "  - ", f);
                yaml_quoted(f, lb->v[i].text);
                fputc('\n', f);
            }
    }
    fclose(f);
}

/* Case variants of an ASCII surface: 0 upper, 1 title. */
static void recase(char *s, int how)
{
    for (size_t i = 0; s[i]; i++)
        if (s[i] >= 'a' && s[i] <= 'z' && (how == 0 || i == 0))
            s[i] = (char)(s[i] - 32);
}

/* Replaces every "'" with U+2019. */
static char *curly(const char *s)
{
    size_t n = strlen(s), q = 0;
    for (size_t i = 0; i < n; i++)
        q += s[i] == '\'';
    char *out = xmalloc(n + 2 * q + 1), *o = out;
    for (size_t i = 0; i < n; i++) {
        if (s[i] == '\'') {
            memcpy(o, "\xE2\x80\x99", 3);
            o += 3;
        } else {
            *o++ = s[i];
        }
    }
    *o = '\0';
    return out;
}

static int ascii_only(const char *s)
{
    for (; *s; s++)
        if ((unsigned char)*s >= 0x80)
            return 0;
    return 1;
}

typedef struct lexstats {
    size_t words_en, words_km, phrases_en, phrases_km, prefix_en, prefix_km, folded, dup_codes,
        sub_phrases;
} lexstats;

static void build_lexicon(const segvec *src, lexbuild *lb, lexstats *st)
{
    pupa_tokenizer *tk = NULL;
    CHECK_EQ_INT(pupa_tokenizer_new(&tk), 0);
    if (!tk)
        return;
    ftable words = {0}, pairs = {0};
    for (size_t i = 0; i < src->n; i++)
        count_text(tk, src->v[i].text, src->v[i].len, &words, &pairs);
    pupa_tokenizer_free(tk);

    size_t nwe, nwk, npe, npk;
    ftype **we = ranked(&words, 0, &nwe), **wk = ranked(&words, 1, &nwk);
    ftype **pe = ranked(&pairs, 0, &npe), **pk = ranked(&pairs, 1, &npk);
    size_t *idx = xmalloc(4096 * sizeof *idx);
    const size_t SKIP = 30, POOL = 2500;
#define RANGE(n) SKIP, ((n) < SKIP + POOL ? (n) : SKIP + POOL)

    /* Single words, English and Khmer, moderately frequent. */
    size_t k = pick(RANGE(nwe), 320, idx);
    for (size_t i = 0; i < k; i++, st->words_en++)
        lb_add(lb, lcg(), we[idx[i]]->surface);
    k = pick(RANGE(nwk), 320, idx);
    for (size_t i = 0; i < k; i++, st->words_km++)
        lb_add(lb, lcg(), wk[idx[i]]->surface);

    /* Two-token phrases as written in the source; every fourth one also
     * brings one of its words into the same code (a sub-phrase). */
    for (int km = 0; km < 2; km++) {
        ftype **pv = km ? pk : pe;
        size_t np = km ? npk : npe;
        size_t lim = np < 10 + 1500 ? np : 10 + 1500;
        k = pick(10, lim, 160, idx);
        for (size_t i = 0; i < k; i++) {
            unsigned code = lcg() % NCODES;
            lb_add(lb, code, pv[idx[i]]->surface);
            km ? st->phrases_km++ : st->phrases_en++;
            if (i % 4 == 0) {
                /* The sub-phrase: the first or the second word's source. */
                const char *s = pv[idx[i]]->surface;
                const char *sp = strchr(s, ' ');
                const char *zw = strstr(s, ZWSP);
                const char *cut = sp && (!zw || sp < zw) ? sp : zw;
                if (!cut)
                    continue;
                size_t cutlen = cut == sp ? 1 : 3;
                char *w;
                if (i % 8 == 0) {
                    w = xstrndup(s, (size_t)(cut - s));
                } else {
                    const char *b = cut + cutlen;
                    while (*b == ' ' || strncmp(b, ZWSP, 3) == 0)
                        b += *b == ' ' ? 1 : 3;
                    w = xstrndup(b, strlen(b));
                }
                if (*w) {
                    lb_add(lb, code, w);
                    st->sub_phrases++;
                }
                free(w);
            }
        }
    }

    /* Prefixes: 3-5 letters of an English word + '*'; a whole Khmer word
     * + '*'. */
    k = pick(RANGE(nwe), 1200, idx);
    size_t got = 0;
    for (size_t i = 0; i < k && got < 90; i++) {
        const ftype *f = we[idx[i]];
        if (f->klen < 6 || !ascii_only(f->surface) || strchr(f->surface, '\''))
            continue;
        size_t len = 3 + lcg() % 3;
        char buf[16];
        memcpy(buf, f->surface, len);
        buf[len] = '*';
        buf[len + 1] = '\0';
        lb_add(lb, lcg(), buf);
        got++;
        st->prefix_en++;
    }
    k = pick(RANGE(nwk), 60, idx);
    for (size_t i = 0; i < k; i++) {
        size_t n = strlen(wk[idx[i]]->surface);
        char *buf = xmalloc(n + 2);
        memcpy(buf, wk[idx[i]]->surface, n);
        buf[n] = '*';
        buf[n + 1] = '\0';
        lb_add(lb, lcg(), buf);
        free(buf);
        st->prefix_km++;
    }

    /* Folding: upper and title case, curly apostrophes. */
    size_t apos = 0;
    for (size_t i = 0; i < nwe && i < SKIP + POOL && apos < 15; i++)
        if (strchr(we[i]->surface, '\'') && ascii_only(we[i]->surface)) {
            char *c = curly(we[i]->surface);
            recase(c, (int)(apos % 2));
            lb_add(lb, lcg(), c);
            free(c);
            apos++;
            st->folded++;
        }
    k = pick(RANGE(nwe), 20, idx);
    for (size_t i = 0; i < k; i++) {
        if (!ascii_only(we[idx[i]]->surface))
            continue;
        char *c = xstrndup(we[idx[i]]->surface, strlen(we[idx[i]]->surface));
        recase(c, (int)(i % 2));
        lb_add(lb, lcg(), c);
        free(c);
        st->folded++;
    }

    /* The same entry under a second code. */
    size_t base = lb->n;
    for (size_t i = 0; i < 40; i++) {
        const lexent *e = &lb->v[lcg() % base];
        char *t = xstrndup(e->text, strlen(e->text));
        lb_add(lb, e->code + 1 + lcg() % (NCODES - 1), t);
        free(t);
        st->dup_codes++;
    }
#undef RANGE
    free(idx);
    free(we);
    free(wk);
    free(pe);
    free(pk);
    ft_free(&words);
    ft_free(&pairs);
}

/* -------------------------------------------------- part 2: the corpora */

static int by_name(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

static void test_corpora(const char *dir)
{
    double t0 = now_s();
    size_t len_en = 0, len_km = 0, len_news = 0, len_lo = 0;
    char *en = slurp_corpus(dir, "ntrex/newstest2019-src.eng.txt", &len_en);
    char *km = slurp_corpus(dir, "ntrex/newstest2019-ref.khm.txt", &len_km);
    char *news = slurp_corpus(dir, "khmer-news/news-1000.txt", &len_news);
    char *lo = slurp_corpus(dir, "lo-help/lo_help_en_km.tsv", &len_lo);
    char **ivs = NULL; /* interview file contents */
    size_t nivs = 0;
    if (!en || !km || !news || !lo)
        goto out;

    /* The lexicon, from ntrex English and Khmer and the news. */
    segvec lexsrc = {0};
    add_lines(&lexsrc, en, len_en, 0);
    add_lines(&lexsrc, km, len_km, 0);
    add_lines(&lexsrc, news, len_news, 400);
    lexbuild lb = {0};
    lexstats ls = {0};
    build_lexicon(&lexsrc, &lb, &ls);
    free(lexsrc.v);
    char path[128];
    snprintf(path, sizeof path, "%s/lexicon.yml", tmpdir);
    write_lexicon(&lb, path);
    cmp_state cs;
    memset(&cs, 0, sizeof cs);
    cs.lex = load_lexicon_file(path);
    if (getenv("PUPA_KEEP_LEXICON"))
        fprintf(stderr, "lexicon kept at %s\n", path);
    else
        unlink(path);
    fprintf(stderr,
            "lexicon: %zu entries in %zu codes (words en %zu km %zu, phrases en %zu km %zu, "
            "prefixes en %zu km %zu, folded %zu, duplicated codes %zu, sub-phrases %zu)\n",
            lb.n, cs.lex ? pupa_lexicon_ncodes(cs.lex) : 0, ls.words_en, ls.words_km,
            ls.phrases_en, ls.phrases_km, ls.prefix_en, ls.prefix_km, ls.folded, ls.dup_codes,
            ls.sub_phrases);
    CHECK(lb.n >= 1000);
    for (size_t i = 0; i < lb.n; i++)
        free(lb.v[i].text);
    free(lb.v);
    if (!cs.lex)
        goto out;
    CHECK_EQ_INT(pupa_lexicon_nentries(cs.lex), lb.n);
    CHECK_EQ_INT(pupa_lexicon_ncodes(cs.lex), NCODES);
    size_t nprefix = 0, nphrase = 0;
    for (uint32_t e = 0; e < pupa_lexicon_nentries(cs.lex); e++) {
        const pupa_entry *en_ = pupa_lexicon_entry(cs.lex, e);
        CHECK(en_->kind != PUPA_ENTRY_REGEX);
        nprefix += en_->kind == PUPA_ENTRY_PREFIX;
        /* a phrase's norm holds a separator, or is Khmer of two tokens */
        nphrase += strchr(en_->norm, ' ') != NULL;
    }
    CHECK(nprefix >= 100);
    CHECK(nphrase >= 100);

    CHECK_EQ_INT(pupa_matcher_new(&cs.m, cs.lex), 0);
    CHECK_EQ_INT(pupa_tokenizer_new(&cs.tk), 0);
    if (!cs.m || !cs.tk)
        goto free_cs;
    refm_init(&cs.ref, cs.lex);

    /* The texts. */
    segvec texts = {0};
    add_lines(&texts, en, len_en, 0);
    add_lines(&texts, km, len_km, 0);
    add_lines(&texts, news, len_news, 400);
    {
        size_t rows = 0;
        const char *p = lo, *end = lo + len_lo;
        while (p < end && rows < 3000) {
            const char *nl = memchr(p, '\n', (size_t)(end - p));
            const char *e = nl ? nl : end;
            /* relpath, par_id, English, Khmer */
            const char *col[4] = {0};
            size_t clen[4] = {0};
            const char *c = p;
            for (int i = 0; i < 4; i++) {
                const char *tab = memchr(c, '\t', (size_t)(e - c));
                const char *ce = tab && i < 3 ? tab : e;
                col[i] = c;
                clen[i] = (size_t)(ce - c);
                if (ce == e)
                    break;
                c = ce + 1;
            }
            if (col[3]) {
                if (clen[3] && col[3][clen[3] - 1] == '\r')
                    clen[3]--;
                seg_add(&texts, col[2], clen[2]);
                seg_add(&texts, col[3], clen[3]);
            }
            rows++;
            p = nl ? nl + 1 : end;
        }
        CHECK_EQ_INT(rows, 3000);
    }
    {
        char ivdir[4096];
        snprintf(ivdir, sizeof ivdir, "%s/interviews-en", dir);
        DIR *d = opendir(ivdir);
        CHECK(d != NULL);
        char **names = NULL;
        size_t nnames = 0, cap = 0;
        struct dirent *de;
        while (d && (de = readdir(d))) {
            size_t n = strlen(de->d_name);
            if (n < 4 || strcmp(de->d_name + n - 4, ".txt") != 0)
                continue;
            grow(&names, &cap, nnames + 1, sizeof *names);
            names[nnames++] = xstrndup(de->d_name, n);
        }
        if (d)
            closedir(d);
        qsort(names, nnames, sizeof *names, by_name);
        CHECK(nnames >= 30);
        ivs = xmalloc((nnames + 1) * sizeof *ivs);
        for (size_t i = 0; i < nnames; i++) {
            char p[8192];
            snprintf(p, sizeof p, "%s/%s", ivdir, names[i]);
            size_t n = 0;
            ivs[nivs] = slurp(p, &n);
            CHECK(ivs[nivs] != NULL);
            if (ivs[nivs])
                add_lines(&texts, ivs[nivs++], n, 0);
            free(names[i]);
        }
        free(names);
    }

    double t1 = now_s();
    size_t bytes = 0;
    for (size_t i = 0; i < texts.n; i++) {
        compare_text(&cs, texts.v[i].text, texts.v[i].len);
        bytes += texts.v[i].len;
    }
    double t2 = now_s();
    fprintf(stderr,
            "corpora: %zu segments, %zu bytes; %zu hits (khmer %zu, english %zu, prefix %zu, "
            "phrase %zu, negated %zu, same span other code %zu); %zu mismatched segments; "
            "setup %.1f s, matching %.1f s\n",
            cs.segments, bytes, cs.hits, cs.hits_khmer, cs.hits_english, cs.hits_prefix,
            cs.hits_phrase, cs.hits_negated, cs.hits_multi_code_span, cs.mismatched_segments,
            t1 - t0, t2 - t1);
    CHECK_EQ_INT(cs.mismatched_segments, 0);
    CHECK(cs.hits > 5000);
    CHECK(cs.hits_khmer > 500);
    CHECK(cs.hits_english > 500);
    CHECK(cs.hits_prefix > 100);
    CHECK(cs.hits_phrase > 100);
    CHECK(cs.hits_negated > 10);
    CHECK(cs.hits_multi_code_span > 10);
    free(texts.v);

free_cs:
    refm_free(&cs.ref);
    pupa_matcher_free(cs.m);
    pupa_tokenizer_free(cs.tk);
    pupa_lexicon_free(cs.lex);
out:
    for (size_t i = 0; i < nivs; i++)
        free(ivs[i]);
    free(ivs);
    free(en);
    free(km);
    free(news);
    free(lo);
}

/* Khmer cues are token prefixes (មិនដែល "never" is one ICU token), except
 * words that negate nothing after them. */
static void test_khmer_cues(void)
{
    static const char *const cues[] = {"មិន", "មិនដែល", "អត់មាន", "គ្មាន", "ពុំ", "មិនមែន"};
    static const char *const not_cues[] = {"អត់ធ្មត់", "អត់ទោស", "មិនត្រឹមតែ", "ទុកចិត្ត"};
    for (size_t i = 0; i < sizeof cues / sizeof *cues; i++)
        CHECK(pupa_is_negation_cue(cues[i], strlen(cues[i])));
    for (size_t i = 0; i < sizeof not_cues / sizeof *not_cues; i++)
        CHECK(!pupa_is_negation_cue(not_cues[i], strlen(not_cues[i])));
}

int main(int argc, char **argv)
{
    make_tmpdir();
    test_units();
    test_khmer_cues();
    const char *dir = argc > 1 ? argv[1] : NULL;
    struct stat sb;
    if (!dir || stat(dir, &sb) != 0 || !S_ISDIR(sb.st_mode)) {
        rmdir(tmpdir);
        if (check_failures) /* a failure is not hidden by a skip */
            return check_result();
        require_corpora(dir);
    }
    test_corpora(dir);
    rmdir(tmpdir);
    return check_result();
}
