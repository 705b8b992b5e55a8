/*
 * test_khmer_entries.c: the Khmer guarantee (docs/architecture.md, "Matching,
 * and the Khmer guarantee") on real Khmer text: a Khmer lexicon entry
 * matches whether ICU splits it into one word or several, and does not
 * match inside a longer word.
 *
 * 1. From the first KE_LINES lines of khpos gold_coarse.txt (words separated
 *    by hand, a compound one word), the Khmer words of two or more clusters,
 *    most frequent first: KE_NSPLIT that ICU splits into several tokens when
 *    the word is tokenised alone, and KE_NWHOLE that it keeps whole.  Each
 *    becomes an entry under its own code (split/sNNN, whole/wNNN), so that no
 *    other entry's overlapping hit can hide its own ("longest leftmost wins"
 *    per code), and again under one of four shared codes (group/gN).
 * 2. Every line of raw.txt (the same lines, unsegmented) is matched in both
 *    modes (the hits must be equal) and tokenised by pupa_tokenize.  Every
 *    byte occurrence of an entry (as written, in its Khmer fold, and in the
 *    fold's coeng-da spelling) is classified against ICU's boundaries in
 *    context:
 *     - expected: it starts where a token starts and ends where a token
 *       ends, the tokens between being contiguous Khmer tokens.  It must be
 *       a hit of its entry (or, rarely, lose to an overlapping hit of the
 *       same entry's code); its shared code must have a hit overlapping it.
 *     - inside: its start or end falls strictly inside an ICU token.  No hit
 *       may have that span.
 *    Every hit must start at a token start and end at a token end, and many
 *    hits must span two or more ICU tokens (the "several" case).
 * 3. Explicit texts: the parts of split entries separated by a space, by
 *    U+200B or both, alone and between other words; coeng-da and coeng-ta
 *    spellings of entries and texts, among them យុត្ដិធម៌, which ICU 72
 *    cuts right after its coeng (យុត្ | ដិ | ធម៌) when spelt with coeng-da.
 *
 * Needs ../shared/corpora (argv[1]), else exits 77.
 */
#include "check.h"
#include "pupa.h"
#include "tmpdir.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define KE_LINES 3000
#define KE_NSPLIT 400
#define KE_NWHOLE 200
#define KE_NGROUPS 4
#define KE_MAX_REPORTS 12

#define COENG_TA "\xE1\x9F\x92\xE1\x9E\x8F" /* U+17D2 U+178F */
#define COENG_DA "\xE1\x9F\x92\xE1\x9E\x8A" /* U+17D2 U+178A */

/* ------------------------------------------------------------ helpers */

static void *ke_alloc(void *p, size_t n)
{
    p = realloc(p, n ? n : 1);
    if (!p) {
        fputs("out of memory\n", stderr);
        exit(1);
    }
    return p;
}

static char *ke_strndup(const char *s, size_t n)
{
    char *d = ke_alloc(NULL, n + 1);
    memcpy(d, s, n);
    d[n] = '\0';
    return d;
}

/* Decodes one UTF-8 code point at s (valid UTF-8 assumed: the corpus is). */
static uint32_t utf8_next(const unsigned char *s, size_t len, size_t *adv)
{
    unsigned char c = s[0];
    if (c < 0x80 || len < 2) {
        *adv = 1;
        return c;
    }
    if (c < 0xE0) {
        *adv = 2;
        return ((uint32_t)(c & 0x1F) << 6) | (s[1] & 0x3F);
    }
    if (c < 0xF0 || len < 4) {
        *adv = len < 3 ? len : 3;
        return len < 3 ? 0xFFFD
                       : ((uint32_t)(c & 0x0F) << 12) | ((uint32_t)(s[1] & 0x3F) << 6) |
                             (s[2] & 0x3F);
    }
    *adv = 4;
    return ((uint32_t)(c & 0x07) << 18) | ((uint32_t)(s[1] & 0x3F) << 12) |
           ((uint32_t)(s[2] & 0x3F) << 6) | (s[3] & 0x3F);
}


/* Prints s with non-ASCII bytes as code points. */
static void put_escaped(FILE *f, const char *s, size_t n)
{
    const unsigned char *p = (const unsigned char *)s;
    for (size_t i = 0; i < n;) {
        size_t adv;
        uint32_t c = utf8_next(p + i, n - i, &adv);
        if (c >= 0x20 && c < 0x7F)
            fputc((int)c, f);
        else
            fprintf(f, "<%04X>", (unsigned)c);
        i += adv;
    }
}

/* Reads up to max lines (without their newlines). */
static char **read_lines(const char *path, size_t max, size_t *n)
{
    FILE *f = fopen(path, "rb");
    *n = 0;
    if (!f) {
        perror(path);
        return NULL;
    }
    char **lines = NULL;
    char *buf = NULL;
    size_t cap = 0;
    ssize_t got;
    while (*n < max && (got = getline(&buf, &cap, f)) >= 0) {
        size_t len = (size_t)got;
        while (len && (buf[len - 1] == '\n' || buf[len - 1] == '\r'))
            len--;
        lines = ke_alloc(lines, (*n + 1) * sizeof *lines);
        lines[(*n)++] = ke_strndup(buf, len);
    }
    free(buf);
    fclose(f);
    return lines;
}

static void free_lines(char **lines, size_t n)
{
    for (size_t i = 0; i < n; i++)
        free(lines[i]);
    free(lines);
}

/* A Khmer letter, vowel, sign or coeng (no punctuation, ៗ or digits). */
static int is_khmer_letter(uint32_t c) { return (c >= 0x1780 && c <= 0x17D3) || c == 0x17DD; }

/* Clusters in a word of Khmer letters: bases not written after a coeng;
 * 0 when the word holds anything else. */
static size_t khmer_clusters(const char *s, size_t len)
{
    size_t clusters = 0;
    uint32_t prev = 0;
    for (size_t i = 0; i < len;) {
        size_t adv;
        uint32_t c = utf8_next((const unsigned char *)s + i, len - i, &adv);
        if (!is_khmer_letter(c))
            return 0;
        if (c <= 0x17B3 && prev != 0x17D2)
            clusters++;
        prev = c;
        i += adv;
    }
    return clusters;
}

/* ------------------------------------------------------------- words */

typedef struct word {
    char *text;          /* as written in gold_coarse.txt */
    size_t len;
    /* The forms searched in the text: as written, its Khmer fold (coeng-ta),
     * the fold with every coeng-ta written coeng-da; a form equal to an
     * earlier one is NULL. */
    char *form[3];
    size_t form_len[3];
    size_t freq;
    size_t ntok;         /* ICU tokens of the word alone */
    int split;           /* ntok >= 2 */
    uint32_t code, entry;   /* its own code */
    uint32_t gcode, gentry; /* its shared code */
    int mapped, gmapped;
} word;

typedef struct span {
    const char *s;
    size_t len;
} span;

static int span_cmp(const void *a, const void *b)
{
    const span *x = a, *y = b;
    size_t n = x->len < y->len ? x->len : y->len;
    int c = memcmp(x->s, y->s, n);
    if (c)
        return c;
    return x->len < y->len ? -1 : x->len > y->len;
}

typedef struct counted {
    span sp;
    size_t freq;
} counted;

static int counted_cmp(const void *a, const void *b)
{
    const counted *x = a, *y = b;
    if (x->freq != y->freq)
        return x->freq > y->freq ? -1 : 1;
    return span_cmp(&x->sp, &y->sp);
}

/* Tokens of text alone: the count when they are contiguous Khmer tokens
 * covering all of it, else 0. */
static size_t khmer_tokens_alone(pupa_tokenizer *tk, const char *s, size_t len)
{
    pupa_tokens t;
    if (pupa_tokenize(tk, s, len, &t) != 0 || t.ntok == 0)
        return 0;
    if (t.tok[0].src_start != 0 || t.tok[t.ntok - 1].src_end != len)
        return 0;
    for (size_t i = 0; i < t.ntok; i++) {
        if (t.tok[i].script != PUPA_SCRIPT_KHMER)
            return 0;
        if (i && t.tok[i].src_start != t.tok[i - 1].src_end)
            return 0;
    }
    return t.ntok;
}

/* The KE_NSPLIT split and KE_NWHOLE whole words, most frequent first. */
static word *pick_words(pupa_tokenizer *tk, char **gold, size_t ngold, size_t *nwords,
                        size_t *nsplit_out, size_t *nwhole_out)
{
    span *all = NULL;
    size_t nall = 0, cap = 0;
    for (size_t l = 0; l < ngold; l++) {
        const char *p = gold[l];
        while (*p) {
            while (*p == ' ')
                p++;
            const char *q = p;
            while (*q && *q != ' ')
                q++;
            if (q > p && khmer_clusters(p, (size_t)(q - p)) >= 2) {
                if (nall == cap) {
                    cap = cap ? cap * 2 : 4096;
                    all = ke_alloc(all, cap * sizeof *all);
                }
                all[nall].s = p;
                all[nall++].len = (size_t)(q - p);
            }
            p = q;
        }
    }
    qsort(all, nall, sizeof *all, span_cmp);
    counted *uniq = ke_alloc(NULL, (nall ? nall : 1) * sizeof *uniq);
    size_t nuniq = 0;
    for (size_t i = 0; i < nall;) {
        size_t j = i;
        while (j < nall && span_cmp(&all[i], &all[j]) == 0)
            j++;
        uniq[nuniq].sp = all[i];
        uniq[nuniq++].freq = j - i;
        i = j;
    }
    qsort(uniq, nuniq, sizeof *uniq, counted_cmp);

    word *w = ke_alloc(NULL, (KE_NSPLIT + KE_NWHOLE) * sizeof *w);
    size_t n = 0, nsplit = 0, nwhole = 0;
    for (size_t i = 0; i < nuniq && (nsplit < KE_NSPLIT || nwhole < KE_NWHOLE); i++) {
        size_t ntok = khmer_tokens_alone(tk, uniq[i].sp.s, uniq[i].sp.len);
        if (ntok == 0)
            continue;
        if (ntok >= 2 ? nsplit >= KE_NSPLIT : nwhole >= KE_NWHOLE)
            continue;
        word *x = &w[n++];
        memset(x, 0, sizeof *x);
        x->text = ke_strndup(uniq[i].sp.s, uniq[i].sp.len);
        x->len = uniq[i].sp.len;
        char *fold = ke_alloc(NULL, x->len + 1);
        size_t fold_len = pupa_khmer_fold(x->text, x->len, fold);
        fold[fold_len] = '\0';
        char *da = ke_strndup(fold, fold_len);
        for (size_t k = 0; k + 6 <= fold_len; k++)
            if (memcmp(da + k, COENG_TA, 6) == 0)
                memcpy(da + k, COENG_DA, 6);
        x->form[0] = ke_strndup(x->text, x->len);
        x->form_len[0] = x->len;
        x->form[1] = fold;
        x->form_len[1] = fold_len;
        x->form[2] = da;
        x->form_len[2] = fold_len;
        for (int f = 1; f < 3; f++)
            for (int g = 0; g < f; g++)
                if (x->form[f] && x->form[g] && x->form_len[f] == x->form_len[g] &&
                    memcmp(x->form[f], x->form[g], x->form_len[f]) == 0) {
                    free(x->form[f]);
                    x->form[f] = NULL;
                }
        x->freq = uniq[i].freq;
        x->ntok = ntok;
        x->split = ntok >= 2;
        if (x->split)
            nsplit++;
        else
            nwhole++;
    }
    free(uniq);
    free(all);
    *nwords = n;
    *nsplit_out = nsplit;
    *nwhole_out = nwhole;
    return w;
}

static void free_words(word *w, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        free(w[i].text);
        for (int f = 0; f < 3; f++)
            free(w[i].form[f]);
    }
    free(w);
}

/* The word whose text is s (words sorted by an index array), or -1. */
static const word *ke_words;
static int idx_cmp(const void *a, const void *b)
{
    const word *x = &ke_words[*(const size_t *)a], *y = &ke_words[*(const size_t *)b];
    return strcmp(x->text, y->text);
}

/* -------------------------------------------------------- the lexicon */

static pupa_lexicon *write_and_load(word *w, size_t n)
{
    char path[512];
    snprintf(path, sizeof path, "%s/khmer-entries.yml", tmpdir);
    FILE *f = fopen(path, "wb");
    CHECK(f != NULL);
    if (!f)
        return NULL;
    fputs("# generated by tests/test_khmer_entries.c\nsplit:\n", f);
    for (size_t i = 0, k = 0; i < n; i++)
        if (w[i].split)
            fprintf(f, "  s%03zu:\n    - \"%s\"\n", k++, w[i].text);
    fputs("whole:\n", f);
    for (size_t i = 0, k = 0; i < n; i++)
        if (!w[i].split)
            fprintf(f, "  w%03zu:\n    - \"%s\"\n", k++, w[i].text);
    fputs("group:\n", f);
    for (int g = 0; g < KE_NGROUPS; g++) {
        fprintf(f, "  g%d:\n", g);
        for (size_t i = (size_t)g; i < n; i += KE_NGROUPS)
            fprintf(f, "    - \"%s\"\n", w[i].text);
    }
    fclose(f);

    pupa_lexicon *lex = NULL;
    int rc = pupa_lexicon_load(&lex, path);
    if (rc)
        fprintf(stderr, "pupa_lexicon_load(%s): %s: %s\n", path, pupa_strerror(rc),
                pupa_errmsg());
    CHECK_EQ_INT(rc, 0);
    if (!lex)
        return NULL;
    CHECK_EQ_INT(pupa_lexicon_nentries(lex), 2 * n);
    CHECK_EQ_INT(pupa_lexicon_ncodes(lex), n + KE_NGROUPS);

    /* Each entry back to its word, by pattern. */
    size_t *order = ke_alloc(NULL, n * sizeof *order);
    for (size_t i = 0; i < n; i++)
        order[i] = i;
    ke_words = w;
    qsort(order, n, sizeof *order, idx_cmp);
    for (uint32_t j = 0; j < pupa_lexicon_nentries(lex); j++) {
        const pupa_entry *e = pupa_lexicon_entry(lex, j);
        const char *cname = pupa_lexicon_code(lex, e->code);
        size_t lo = 0, hi = n;
        word *x = NULL;
        while (lo < hi) {
            size_t mid = (lo + hi) / 2;
            int c = strcmp(e->pattern, w[order[mid]].text);
            if (c == 0) {
                x = &w[order[mid]];
                break;
            }
            if (c < 0)
                hi = mid;
            else
                lo = mid + 1;
        }
        CHECK(x != NULL);
        if (!x)
            continue;
        CHECK_EQ_INT(e->kind, PUPA_ENTRY_WORD);
        if (strncmp(cname, "group/", 6) == 0) {
            CHECK(!x->gmapped);
            x->gcode = e->code;
            x->gentry = j;
            x->gmapped = 1;
        } else {
            CHECK(strncmp(cname, x->split ? "split/" : "whole/", 6) == 0);
            CHECK(!x->mapped);
            x->code = e->code;
            x->entry = j;
            x->mapped = 1;
        }
    }
    free(order);
    for (size_t i = 0; i < n; i++)
        CHECK(w[i].mapped && w[i].gmapped);
    return lex;
}

/* ------------------------------------------------------ the corpus part */

typedef struct stats {
    size_t lines, hits, hits_multi, group_hits;
    size_t occ_form[3], missing_form[3];
    size_t occ, expected, expected_split, found, shadowed, missing, group_missing;
    size_t inside, inside_hit, other;
    size_t hit_off_boundary, mode_diffs;
    size_t reports;
} stats;

static int hits_equal(const pupa_hit *a, size_t na, const pupa_hit *b, size_t nb)
{
    if (na != nb)
        return 0;
    for (size_t i = 0; i < na; i++)
        if (a[i].code != b[i].code || a[i].entry != b[i].entry || a[i].start != b[i].start ||
            a[i].end != b[i].end || a[i].negated != b[i].negated)
            return 0;
    return 1;
}

static void report_line(stats *st, size_t lineno, const char *what, const word *x, size_t s,
                        size_t e, const char *line, size_t len)
{
    check_failures++;
    if (st->reports++ >= KE_MAX_REPORTS)
        return;
    fprintf(stderr, "raw.txt:%zu: %s: entry '", lineno, what);
    put_escaped(stderr, x ? x->text : "", x ? x->len : 0);
    fprintf(stderr, "' at bytes %zu-%zu of '", s, e);
    put_escaped(stderr, line, len);
    fputs("'\n", stderr);
}

/* Per line: boundary tables over byte positions 0..len. */
typedef struct bounds {
    int32_t *start_tok; /* token starting here, or -1 */
    int32_t *end_tok;   /* token ending here, or -1 */
    uint8_t *inside;    /* strictly inside a token */
    size_t cap;
} bounds;

static void bounds_fill(bounds *b, const pupa_tokens *t, size_t len)
{
    if (b->cap < len + 1) {
        b->cap = len + 1;
        b->start_tok = ke_alloc(b->start_tok, b->cap * sizeof *b->start_tok);
        b->end_tok = ke_alloc(b->end_tok, b->cap * sizeof *b->end_tok);
        b->inside = ke_alloc(b->inside, b->cap);
    }
    for (size_t i = 0; i <= len; i++) {
        b->start_tok[i] = -1;
        b->end_tok[i] = -1;
        b->inside[i] = 0;
    }
    for (size_t k = 0; k < t->ntok; k++) {
        const pupa_token *tk = &t->tok[k];
        b->start_tok[tk->src_start] = (int32_t)k;
        b->end_tok[tk->src_end] = (int32_t)k;
        for (uint32_t p = tk->src_start + 1; p < tk->src_end; p++)
            b->inside[p] = 1;
    }
}

/* Tokens first..last are Khmer and contiguous. */
static int khmer_run(const pupa_tokens *t, int32_t first, int32_t last)
{
    if (first < 0 || last < first)
        return 0;
    for (int32_t k = first; k <= last; k++) {
        if (t->tok[k].script != PUPA_SCRIPT_KHMER)
            return 0;
        if (k > first && t->tok[k].src_start != t->tok[k - 1].src_end)
            return 0;
    }
    return 1;
}

static void classify(stats *st, size_t lineno, const char *line, size_t len,
                     const pupa_tokens *t, const bounds *b, const pupa_hit *h, size_t nh,
                     const word *x, int form, size_t s, size_t e)
{
    st->occ++;
    st->occ_form[form]++;
    int32_t first = b->start_tok[s], last = b->end_tok[e];
    if (first >= 0 && last >= 0 && khmer_run(t, first, last)) {
        st->expected++;
        if (last > first)
            st->expected_split++;
        int exact = 0, overlap = 0, gover = 0;
        for (size_t i = 0; i < nh; i++) {
            if (h[i].code == x->code) {
                if (h[i].start == s && h[i].end == e && h[i].entry == x->entry)
                    exact = 1;
                else if (h[i].start < e && s < h[i].end)
                    overlap = 1;
            }
            if (h[i].code == x->gcode && h[i].start < e && s < h[i].end)
                gover = 1;
        }
        if (exact) {
            st->found++;
        } else if (overlap) {
            st->shadowed++;
        } else {
            st->missing++;
            st->missing_form[form]++;
            report_line(st, lineno,
                        form == 0   ? "expected hit missing (entry as written)"
                        : form == 1 ? "expected hit missing (entry's fold)"
                                    : "expected hit missing (entry's coeng-da form)",
                        x, s, e, line, len);
        }
        if (!gover) {
            st->group_missing++;
            report_line(st, lineno, "no hit of the shared code over", x, s, e, line, len);
        }
    } else if (b->inside[s] || b->inside[e]) {
        st->inside++;
        for (size_t i = 0; i < nh; i++)
            if (h[i].start == s && h[i].end == e) {
                st->inside_hit++;
                report_line(st, lineno, "hit inside an ICU token", x, s, e, line, len);
                break;
            }
    } else {
        st->other++;
    }
}

static void test_corpus(const char *corpora)
{
    char path[1024];
    size_t ngold = 0, nraw = 0;
    snprintf(path, sizeof path, "%s/khpos/gold_coarse.txt", corpora);
    char **gold = read_lines(path, KE_LINES, &ngold);
    snprintf(path, sizeof path, "%s/khpos/raw.txt", corpora);
    char **raw = read_lines(path, KE_LINES, &nraw);
    CHECK(gold && raw && ngold == KE_LINES && nraw == KE_LINES);

    pupa_tokenizer *tk = NULL;
    CHECK_EQ_INT(pupa_tokenizer_new(&tk), 0);
    size_t nw = 0, nsplit = 0, nwhole = 0;
    word *w = tk && gold ? pick_words(tk, gold, ngold, &nw, &nsplit, &nwhole) : NULL;
    printf("words: %zu split by ICU alone, %zu kept whole\n", nsplit, nwhole);
    CHECK_EQ_INT(nsplit, KE_NSPLIT);
    CHECK_EQ_INT(nwhole, KE_NWHOLE);

    pupa_lexicon *lex = w ? write_and_load(w, nw) : NULL;
    pupa_matcher *ma = NULL, *mf = NULL;
    if (lex) {
        CHECK_EQ_INT(pupa_matcher_new(&ma, lex), 0);
        CHECK_EQ_INT(pupa_matcher_new(&mf, lex), 0);
        if (ma)
            CHECK_EQ_INT(pupa_matcher_set_mode(ma, PUPA_MATCH_TOKENISE_ALL), 0);
        if (mf)
            CHECK_EQ_INT(pupa_matcher_set_mode(mf, PUPA_MATCH_FAST_ONLY), 0);
    }

    stats st;
    memset(&st, 0, sizeof st);
    bounds b;
    memset(&b, 0, sizeof b);
    size_t *hits_of_word = ke_alloc(NULL, (nw ? nw : 1) * sizeof *hits_of_word);
    memset(hits_of_word, 0, (nw ? nw : 1) * sizeof *hits_of_word);
    for (size_t l = 0; ma && mf && raw && l < nraw; l++) {
        const char *line = raw[l];
        size_t len = strlen(line);
        const pupa_hit *ha = NULL, *hf = NULL;
        size_t nha = 0, nhf = 0;
        pupa_tokens ta, tf, t;
        CHECK_EQ_INT(pupa_match(ma, line, len, &ha, &nha, &ta), 0);
        CHECK_EQ_INT(pupa_match(mf, line, len, &hf, &nhf, &tf), 0);
        if (!hits_equal(ha, nha, hf, nhf)) {
            st.mode_diffs++;
            report_line(&st, l + 1, "TOKENISE_ALL and FAST hits differ", NULL, 0, len, line,
                        len);
        }
        CHECK_EQ_INT(pupa_tokenize(tk, line, len, &t), 0);
        CHECK_EQ_INT(t.ntok, ta.ntok);
        bounds_fill(&b, &t, len);
        st.lines++;

        for (size_t i = 0; i < nha; i++) {
            const pupa_hit *h = &ha[i];
            if (h->end > len || h->start >= h->end || b.start_tok[h->start] < 0 ||
                b.end_tok[h->end] < 0) {
                st.hit_off_boundary++;
                report_line(&st, l + 1, "hit off ICU token boundaries", NULL, h->start, h->end,
                            line, len);
                continue;
            }
            /* The reference's own token indexes agree. */
            CHECK(h->tok_first == (uint32_t)b.start_tok[h->start] &&
                  h->tok_last == (uint32_t)b.end_tok[h->end]);
            const char *cname = pupa_lexicon_code(lex, h->code);
            if (strncmp(cname, "group/", 6) == 0) {
                st.group_hits++;
                continue;
            }
            st.hits++;
            if (b.end_tok[h->end] > b.start_tok[h->start])
                st.hits_multi++;
        }

        for (size_t i = 0; i < nw; i++) {
            const word *x = &w[i];
            for (int form = 0; form < 3; form++) {
                const char *pat = x->form[form];
                size_t plen = x->form_len[form];
                if (!pat)
                    continue;
                const char *p = line, *end = line + len;
                while (p + plen <= end) {
                    const char *q = memmem(p, (size_t)(end - p), pat, plen);
                    if (!q)
                        break;
                    size_t s = (size_t)(q - line);
                    classify(&st, l + 1, line, len, &t, &b, ha, nha, x, form, s, s + plen);
                    p = q + 1;
                }
            }
        }
        for (size_t i = 0; i < nha; i++)
            for (size_t k = 0; k < nw; k++)
                if (ha[i].entry == w[k].entry && ha[i].code == w[k].code)
                    hits_of_word[k]++;
    }
    size_t split_found = 0, whole_found = 0;
    for (size_t k = 0; k < nw; k++)
        if (hits_of_word[k])
            *(w[k].split ? &split_found : &whole_found) += 1;

    printf("lines %zu: hits %zu (%zu over 2+ ICU tokens), shared-code hits %zu\n", st.lines,
           st.hits, st.hits_multi, st.group_hits);
    printf("entries hit: %zu of %zu split, %zu of %zu whole\n", split_found, nsplit,
           whole_found, nwhole);
    printf("occurrences %zu: expected %zu (%zu over 2+ tokens): found %zu, lost to an "
           "overlapping hit of the same entry %zu, missing %zu, shared code missing %zu\n",
           st.occ, st.expected, st.expected_split, st.found, st.shadowed, st.missing,
           st.group_missing);
    printf("  by form (as written / fold / coeng-da): occurrences %zu / %zu / %zu, missing "
           "%zu / %zu / %zu\n",
           st.occ_form[0], st.occ_form[1], st.occ_form[2], st.missing_form[0],
           st.missing_form[1], st.missing_form[2]);
    printf("inside an ICU token %zu (hit there: %zu); other %zu\n", st.inside, st.inside_hit,
           st.other);
    printf("hits off token boundaries %zu; lines where the modes differ %zu\n",
           st.hit_off_boundary, st.mode_diffs);

    CHECK_EQ_INT(st.lines, KE_LINES);
    CHECK_EQ_INT(st.missing, 0);
    CHECK_EQ_INT(st.group_missing, 0);
    CHECK_EQ_INT(st.inside_hit, 0);
    CHECK_EQ_INT(st.hit_off_boundary, 0);
    CHECK_EQ_INT(st.mode_diffs, 0);
    CHECK(st.found > 1000);
    CHECK(st.shadowed * 100 <= st.expected);
    CHECK(st.inside > 100);
    CHECK(st.hits_multi > 500);
    CHECK(split_found > KE_NSPLIT / 2);
    CHECK(whole_found > KE_NWHOLE / 2);

    /* Part 3 on the same lexicon: the parts of split entries apart. */
    if (ma && mf) {
        size_t tested = 0, ok = 0;
        for (size_t i = 0; i < nw && tested < 600; i++) {
            const word *x = &w[i];
            if (!x->split)
                continue;
            pupa_tokens tw;
            if (pupa_tokenize(tk, x->text, x->len, &tw) != 0)
                continue;
            /* Cut points: every inner token boundary of the word alone. */
            uint32_t cuts[64];
            size_t ncut = 0;
            for (size_t k = 1; k < tw.ntok && ncut < 64; k++)
                cuts[ncut++] = tw.tok[k].src_start;
            if (x->len + 8 * (ncut + 3) >= 1024) /* text[] below holds it */
                continue;
            static const char *const seps[] = {" ", "\xE2\x80\x8B", " \xE2\x80\x8B ", "  "};
            /* Words around it, apart from it by a space, or by punctuation. */
            static const char *const before[] = {"", "\xE1\x9E\x82\xE1\x9E\xBA ",
                                                 "\xE1\x9F\x94 "}; /* "គឺ ", "។ " */
            static const char *const after[] = {"", " \xE1\x9E\x93\xE1\x9F\x81\xE1\x9F\x87",
                                                 "\xE1\x9F\x94"}; /* " នេះ", "។" */
            for (size_t si = 0; si < sizeof seps / sizeof *seps; si++)
                for (size_t ci = 0; ci < sizeof before / sizeof *before; ci++) {
                    char text[1024];
                    size_t n = 0, hs, he;
                    n += (size_t)snprintf(text + n, sizeof text - n, "%s", before[ci]);
                    hs = n;
                    size_t prev = 0;
                    for (size_t k = 0; k <= ncut; k++) {
                        size_t to = k < ncut ? cuts[k] : x->len;
                        if (k)
                            n += (size_t)snprintf(text + n, sizeof text - n, "%s", seps[si]);
                        n += (size_t)snprintf(text + n, sizeof text - n, "%.*s",
                                              (int)(to - prev), x->text + prev);
                        prev = to;
                    }
                    he = n;
                    n += (size_t)snprintf(text + n, sizeof text - n, "%s", after[ci]);
                    const pupa_hit *ha = NULL, *hf = NULL;
                    size_t nha = 0, nhf = 0;
                    pupa_tokens ta, tf;
                    CHECK_EQ_INT(pupa_match(ma, text, n, &ha, &nha, &ta), 0);
                    CHECK_EQ_INT(pupa_match(mf, text, n, &hf, &nhf, &tf), 0);
                    int found = 0;
                    for (size_t k = 0; k < nha; k++)
                        if (ha[k].code == x->code && ha[k].entry == x->entry &&
                            ha[k].start == hs && ha[k].end == he)
                            found = 1;
                    tested++;
                    if (found && hits_equal(ha, nha, hf, nhf)) {
                        ok++;
                    } else {
                        check_failures++;
                        if (st.reports++ < KE_MAX_REPORTS) {
                            fprintf(stderr, "%s: '", found ? "modes differ" : "no hit");
                            put_escaped(stderr, text, n);
                            fprintf(stderr, "' for entry '");
                            put_escaped(stderr, x->text, x->len);
                            fputs("'\n", stderr);
                        }
                    }
                }
        }
        printf("split entries written apart: %zu of %zu texts hit\n", ok, tested);
        CHECK(tested > 100);
    }

    free(hits_of_word);
    free(b.start_tok);
    free(b.end_tok);
    free(b.inside);
    pupa_matcher_free(ma);
    pupa_matcher_free(mf);
    pupa_lexicon_free(lex);
    free_words(w, nw);
    pupa_tokenizer_free(tk);
    free_lines(gold, ngold);
    free_lines(raw, nraw);
}

/* --------------------------------------------------- explicit spellings */

/* Each text must give exactly one hit of code over [want_s, want_e), in
 * both modes. */
static void expect_hit(pupa_matcher *ma, pupa_matcher *mf, const pupa_lexicon *lex,
                       const char *text, const char *code, size_t want_s, size_t want_e,
                       int line)
{
    size_t len = strlen(text);
    const pupa_hit *ha = NULL, *hf = NULL;
    size_t nha = 0, nhf = 0, n = 0;
    pupa_tokens ta, tf;
    CHECK_EQ_INT(pupa_match(ma, text, len, &ha, &nha, &ta), 0);
    CHECK_EQ_INT(pupa_match(mf, text, len, &hf, &nhf, &tf), 0);
    int ok = 0;
    for (size_t i = 0; i < nha; i++)
        if (strcmp(pupa_lexicon_code(lex, ha[i].code), code) == 0) {
            n++;
            ok = ha[i].start == want_s && ha[i].end == want_e;
        }
    if (n != 1 || !ok || !hits_equal(ha, nha, hf, nhf)) {
        fprintf(stderr, "%s:%d: '", __FILE__, line);
        put_escaped(stderr, text, len);
        fprintf(stderr, "': want one %s hit at %zu-%zu; got %zu%s%s\n", code, want_s, want_e,
                n, n == 1 && !ok ? " elsewhere" : "",
                hits_equal(ha, nha, hf, nhf) ? "" : "; the modes differ");
        check_failures++;
    }
}

static void test_spellings(void)
{
    /* ម្ដាយ mother (coeng-da), ម្តាយ (coeng-ta); ឯកឧត្តម (coeng-ta), ឯកឧត្ដម;
     * ទុកចិត្ត trust, ទុក, ចិត្ត; សុផា a name; ឱ្យ / ឲ្យ give. */
    char mday_da[64], mday_ta[64], ekot_ta[64], ekot_da[64], tuk[64], chet[64], sopha[64],
        oy1[64], oy2[64], just_da[64], just_ta[64];
    utf8_encode(mday_da, (const uint32_t[]){0x1798, 0x17D2, 0x178A, 0x17B6, 0x1799, 0});
    utf8_encode(mday_ta, (const uint32_t[]){0x1798, 0x17D2, 0x178F, 0x17B6, 0x1799, 0});
    utf8_encode(ekot_ta, (const uint32_t[]){0x17AF, 0x1780, 0x17A7, 0x178F, 0x17D2, 0x178F, 0x1798, 0});
    utf8_encode(ekot_da, (const uint32_t[]){0x17AF, 0x1780, 0x17A7, 0x178F, 0x17D2, 0x178A, 0x1798, 0});
    utf8_encode(tuk, (const uint32_t[]){0x1791, 0x17BB, 0x1780, 0});
    utf8_encode(chet, (const uint32_t[]){0x1785, 0x17B7, 0x178F, 0x17D2, 0x178F, 0});
    utf8_encode(sopha, (const uint32_t[]){0x179F, 0x17BB, 0x1795, 0x17B6, 0});
    utf8_encode(oy1, (const uint32_t[]){0x17B1, 0x17D2, 0x1799, 0});
    utf8_encode(oy2, (const uint32_t[]){0x17B2, 0x17D2, 0x1799, 0});
    /* យុត្ដិធម៌ / យុត្តិធម៌ justice: ICU 72 splits the coeng-da spelling
     * យុត្ | ដិ | ធម៌, after the coeng, and keeps the coeng-ta one whole. */
    utf8_encode(just_da, (const uint32_t[]){0x1799, 0x17BB, 0x178F, 0x17D2, 0x178A, 0x17B7, 0x1792,
                                    0x1798, 0x17CC, 0});
    utf8_encode(just_ta, (const uint32_t[]){0x1799, 0x17BB, 0x178F, 0x17D2, 0x178F, 0x17B7, 0x1792,
                                    0x1798, 0x17CC, 0});

    char yaml[2048], path[512];
    snprintf(yaml, sizeof yaml,
             "mother_da:\n  - \"%s\"\n"
             "mother_ta:\n  - \"%s\"\n"
             "excellency:\n  - \"%s\"\n"
             "trust:\n  - \"%s%s\"\n"
             "trust_spaced:\n  - \"%s %s\"\n"
             "give:\n  - \"%s\"\n"
             "justice_da:\n  - \"%s\"\n"
             "justice_ta:\n  - \"%s\"\n",
             mday_da, mday_ta, ekot_ta, tuk, chet, tuk, chet, oy2, just_da, just_ta);
    snprintf(path, sizeof path, "%s/spellings.yml", tmpdir);
    FILE *f = fopen(path, "wb");
    CHECK(f != NULL);
    if (!f)
        return;
    fputs(yaml, f);
    fclose(f);
    pupa_lexicon *lex = NULL;
    int rc = pupa_lexicon_load(&lex, path);
    if (rc)
        fprintf(stderr, "pupa_lexicon_load: %s: %s\n", pupa_strerror(rc), pupa_errmsg());
    CHECK_EQ_INT(rc, 0);
    pupa_matcher *ma = NULL, *mf = NULL;
    if (lex) {
        CHECK_EQ_INT(pupa_matcher_new(&ma, lex), 0);
        CHECK_EQ_INT(pupa_matcher_new(&mf, lex), 0);
    }
    if (ma && mf) {
        CHECK_EQ_INT(pupa_matcher_set_mode(mf, PUPA_MATCH_FAST_ONLY), 0);
        char text[512];
        size_t a;
#define AT(...) (snprintf(text, sizeof text, __VA_ARGS__))
        /* Both mother entries meet both spellings. */
        AT("%s", mday_da);
        expect_hit(ma, mf, lex, text, "mother_da", 0, strlen(mday_da), __LINE__);
        expect_hit(ma, mf, lex, text, "mother_ta", 0, strlen(mday_da), __LINE__);
        AT("%s", mday_ta);
        expect_hit(ma, mf, lex, text, "mother_da", 0, strlen(mday_ta), __LINE__);
        expect_hit(ma, mf, lex, text, "mother_ta", 0, strlen(mday_ta), __LINE__);
        /* The coeng-ta entry in a coeng-da text, before a name. */
        AT("%s %s", ekot_da, sopha);
        expect_hit(ma, mf, lex, text, "excellency", 0, strlen(ekot_da), __LINE__);
        AT("%s%s", ekot_da, sopha);
        expect_hit(ma, mf, lex, text, "excellency", 0, strlen(ekot_da), __LINE__);
        AT("%s %s", sopha, ekot_ta);
        a = strlen(sopha) + 1;
        expect_hit(ma, mf, lex, text, "excellency", a, a + strlen(ekot_ta), __LINE__);
        /* QOO TYPE ONE text, QOO TYPE TWO entry. */
        AT("%s", oy1);
        expect_hit(ma, mf, lex, text, "give", 0, strlen(oy1), __LINE__);
        /* Both justice entries meet both spellings, alone and after a word. */
        for (int sp = 0; sp < 2; sp++) {
            const char *j = sp ? just_ta : just_da;
            AT("%s", j);
            expect_hit(ma, mf, lex, text, "justice_da", 0, strlen(j), __LINE__);
            expect_hit(ma, mf, lex, text, "justice_ta", 0, strlen(j), __LINE__);
            AT("%s %s", sopha, j);
            a = strlen(sopha) + 1;
            expect_hit(ma, mf, lex, text, "justice_da", a, a + strlen(j), __LINE__);
            expect_hit(ma, mf, lex, text, "justice_ta", a, a + strlen(j), __LINE__);
        }
        /* trust, however written, and whether the entry has a space. */
        static const char *const gaps[] = {"", " ", "\xE2\x80\x8B", " \xE2\x80\x8B", "\t "};
        for (size_t g = 0; g < sizeof gaps / sizeof *gaps; g++) {
            AT("%s%s%s", tuk, gaps[g], chet);
            expect_hit(ma, mf, lex, text, "trust", 0, strlen(text), __LINE__);
            expect_hit(ma, mf, lex, text, "trust_spaced", 0, strlen(text), __LINE__);
            AT("%s %s%s%s %s", sopha, tuk, gaps[g], chet, mday_ta);
            a = strlen(sopha) + 1;
            size_t e = a + strlen(tuk) + strlen(gaps[g]) + strlen(chet);
            expect_hit(ma, mf, lex, text, "trust", a, e, __LINE__);
            expect_hit(ma, mf, lex, text, "trust_spaced", a, e, __LINE__);
            expect_hit(ma, mf, lex, text, "mother_da", e + 1, strlen(text), __LINE__);
        }
#undef AT
    }
    pupa_matcher_free(ma);
    pupa_matcher_free(mf);
    pupa_lexicon_free(lex);
}

int main(int argc, char **argv)
{
    require_corpora(argc > 1 ? argv[1] : NULL);
    tmp_setup("khmer-entries");
    test_spellings();
    test_corpus(argv[1]);
    tmp_cleanup();
    return check_result();
}
