/*
 * match.c: coding one segment: tokenise, scan with Hyperscan, keep the
 * candidates that sit on ICU word boundaries, resolve overlaps, mark
 * negation.
 *
 * Boundaries.  Hyperscan scans the normalised token stream (tokenise.c),
 * word and prefix entries in its scan form (scanform.c: Khmer one byte a
 * letter), /regex/ entries as it is.
 * A candidate is a hit only if it starts where a token starts and ends where
 * a token ends; a prefix entry (word*) is extended to the end of the token it
 * ends in.  So "lend" never matches inside "lender", and a Khmer entry
 * matches exactly when its folded text equals the folded text of a run of
 * whole ICU tokens, however ICU split that run.
 *
 * Overlaps.  Different codes may cover the same words.  Within one code,
 * overlapping hits are resolved longest-leftmost: hits are taken by start,
 * longer first, and a hit that overlaps one already taken for the same code
 * is dropped.  "money lender" and "lender" under debt count once.
 *
 * Negation.  A hit is negated when one of the PUPA_NEGATION_WINDOW tokens
 * before it is a negation cue, looking back no further than punctuation.
 * Negated hits are kept and flagged; counting them is the caller's choice.
 *
 * Two paths give the same hits (tests/test_fast_equal.c):
 *  - match_full, the reference: ICU over the whole segment, then Hyperscan
 *    over its token stream (in the scan form);
 *  - match_fast: Hyperscan over the squeezed raw text (fastscan.c) first,
 *    then ICU only over the white-space-delimited stretches around the
 *    candidates, where the same boundary rule decides.  A segment the
 *    squeeze cannot fold exactly falls back to match_full.  In this mode
 *    ASCII text, stretch or segment, is tokenised without ICU
 *    (pupa_tokenize_ascii gives the same tokens).
 * Rules (rules.c) run after either, from the hits.
 */
#include "scan.h"
#include "rules.h"

#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

/* A raw-text candidate of the fast path: entry, and its span in the text. */
typedef struct candidate {
    uint32_t entry, from, to;
    uint32_t span_start, span_end; /* the stretch ICU will confirm it in */
} candidate;

struct pupa_matcher {
    const pupa_lexicon *lex;
    hs_scratch_t *scratch;
    pupa_tokenizer *tok;
    pupa_tokens tokens;
    pupa_buf scan;           /* the tokens' norm in the scan form (scanform.c) */
    uint32_t *scan_bounds;   /* where token k starts and ends in it: 2k, 2k + 1 */
    size_t scan_bounds_cap;
    const char *scan_text;   /* what the scan-form database scans: scan.data, */
    size_t scan_len;         /* or the norm itself when that is its own form */
    pupa_hit *hits;
    size_t nhits, hits_cap;
    int scan_rc;
    int mode;
    candidate *cands;
    size_t ncands, cands_cap;
    pupa_squeeze squeeze;  /* the fast path's view of the segment */
    const unsigned char *seg; /* the segment being matched */
    size_t seg_len;
    pupa_ascii_tokens ascii; /* tokens of ASCII stretches, made without ICU */
    pupa_match_stats stats;
    uint32_t learned[2][2]; /* per segment class: fast attempts, served */
    int learn_class;
};

int pupa_matcher_new(pupa_matcher **out, const pupa_lexicon *lex)
{
    if (!out || !lex)
        return pupa_fail(PUPA_EINVAL, "pupa_matcher_new: NULL argument");
    *out = NULL;
    pupa_matcher *m = calloc(1, sizeof *m);
    if (!m)
        return pupa_fail(PUPA_ENOMEM, "out of memory");
    m->lex = lex;
    pupa_buf_init(&m->squeeze.raw, 2 * (size_t)PUPA_MAX_SEGMENT_BYTES + 1);
    pupa_buf_init(&m->scan, SIZE_MAX / 2);
    pupa_ascii_tokens_init(&m->ascii);
    int rc = pupa_tokenizer_new(&m->tok);
    /* One scratch, grown to serve every database. */
    const hs_database_t *dbs[] = {pupa_lexicon_db(lex), pupa_lexicon_regex_db(lex),
                                  pupa_lexicon_raw_db(lex)};
    for (size_t i = 0; !rc && i < sizeof dbs / sizeof *dbs; i++)
        if (dbs[i] && hs_alloc_scratch(dbs[i], &m->scratch) != HS_SUCCESS)
            rc = pupa_fail(PUPA_EHS, "cannot allocate Hyperscan scratch");
    if (rc) {
        pupa_matcher_free(m);
        return rc;
    }
    *out = m;
    return 0;
}

void pupa_matcher_free(pupa_matcher *m)
{
    if (!m)
        return;
    hs_free_scratch(m->scratch);
    pupa_tokenizer_free(m->tok);
    free(m->hits);
    pupa_buf_free(&m->scan);
    free(m->scan_bounds);
    free(m->cands);
    pupa_squeeze_free(&m->squeeze);
    pupa_ascii_tokens_free(&m->ascii);
    free(m);
}

void pupa_matcher_stats(const pupa_matcher *m, pupa_match_stats *out)
{
    if (m && out)
        *out = m->stats;
}

/* Every ICU pass of the matcher goes through here, to be counted. */
static int tokenize_counted(pupa_matcher *m, const char *text, size_t len)
{
    m->stats.icu_calls++;
    m->stats.icu_bytes += len;
    return pupa_tokenize(m->tok, text, len, &m->tokens);
}

int pupa_matcher_set_mode(pupa_matcher *m, int mode)
{
    if (!m || (mode != PUPA_MATCH_TOKENISE_ALL && mode != PUPA_MATCH_FAST &&
               mode != PUPA_MATCH_FAST_ONLY))
        return pupa_fail(PUPA_EINVAL, "pupa_matcher_set_mode: bad argument");
    m->mode = mode;
    /* Plain Khmer segments go to the Khmer engine (khmerbreak.c) in the
     * fast modes; the reference keeps ICU for everything. */
    pupa_tokenizer_use_khmer_engine(m->tok, mode != PUPA_MATCH_TOKENISE_ALL);
    return 0;
}

/* A cue with its length, so a token is compared only with cues as long as
 * it (or, for Khmer prefixes, no longer). */
typedef struct cue {
    const char *s;
    size_t n;
} cue;
#define CUE(lit) {lit, sizeof lit - 1}

static const cue english_cues[] = {
    CUE("not"),      CUE("no"),       CUE("never"),     CUE("don't"),    CUE("dont"),
    CUE("cannot"),   CUE("can't"),    CUE("won't"),     CUE("didn't"),   CUE("doesn't"),
    CUE("isn't"),    CUE("wasn't"),   CUE("aren't"),    CUE("weren't"),  CUE("haven't"),
    CUE("hasn't"),   CUE("hadn't"),   CUE("couldn't"),  CUE("wouldn't"), CUE("shouldn't"),
    CUE("nobody"),   CUE("nothing"),  CUE("neither"),   CUE("nor"),      CUE("without"),
};
/* Khmer cues are prefixes of a token: ICU often keeps មិន with the verb it
 * negates in one dictionary word (មិនដែល "never"). */
static const cue khmer_cues[] = {CUE("មិន"), CUE("អត់"), CUE("គ្មាន"), CUE("ពុំ")};
/* ...but some such words negate nothing that follows: អត់ធ្មត់ "patient",
 * អត់ទោស "forgive", អត់ឱន "tolerate", អត់ឃ្លាន "go hungry", មិនត្រឹមតែ
 * "not only".  ICU keeps each as one token, so a whole-token list does. */
static const cue khmer_not_cues[] = {CUE("អត់ធ្មត់"), CUE("អត់ទោស"), CUE("អត់ឱន"),
                                     CUE("អត់ឃ្លាន"), CUE("មិនត្រឹមតែ")};
#undef CUE

int pupa_is_negation_cue(const char *t, size_t len)
{
    if (!t || len == 0)
        return 0;
    for (size_t i = 0; i < sizeof english_cues / sizeof *english_cues; i++)
        if (english_cues[i].n == len && memcmp(english_cues[i].s, t, len) == 0)
            return 1;
    for (size_t i = 0; i < sizeof khmer_not_cues / sizeof *khmer_not_cues; i++)
        if (khmer_not_cues[i].n == len && memcmp(khmer_not_cues[i].s, t, len) == 0)
            return 0;
    for (size_t i = 0; i < sizeof khmer_cues / sizeof *khmer_cues; i++)
        if (khmer_cues[i].n <= len && memcmp(khmer_cues[i].s, t, khmer_cues[i].n) == 0)
            return 1;
    return 0;
}

/* Records a hit of entry id (e) over tokens [first, last] of m->tokens, whose
 * source offsets are relative to base. */
static int add_hit(pupa_matcher *m, uint32_t id, const pupa_entry *e, int32_t first,
                   int32_t last, uint32_t base)
{
    /* An entry whose words are joined by hyphens matches only words joined
     * by hyphens: the token stream's "\n" stands for any punctuation. */
    for (int32_t t = first; e->hyphen_gaps && t < last; t++) {
        const pupa_token *a = &m->tokens.tok[t], *b = &m->tokens.tok[t + 1];
        if (m->tokens.norm[a->norm_end] == '\n' &&
            !pupa_hyphen_gap((const char *)m->seg + base + a->src_end, b->src_start - a->src_end))
            return 0;
    }
    if (pupa_grow(&m->hits, &m->hits_cap, m->nhits + 1, sizeof *m->hits)) {
        m->scan_rc = PUPA_ENOMEM;
        return -1;
    }
    m->hits[m->nhits++] = (pupa_hit){
        .code = e->code,
        .entry = id,
        .start = base + m->tokens.tok[first].src_start,
        .end = base + m->tokens.tok[last].src_end,
        .tok_first = (uint32_t)first,
        .tok_last = (uint32_t)last,
    };
    return 0;
}

/* Where the tokens start and end in one form of the token stream, `len`
 * bytes long: token k starts at the uint32_t at `at + k * stride` and ends
 * at the one after it.  One view serves the norm offsets in the tokens
 * themselves and the scan form's bounds (scanform.c). */
typedef struct token_spans {
    const unsigned char *at;
    size_t stride, n, len;
} token_spans;

_Static_assert(offsetof(pupa_token, norm_end) == offsetof(pupa_token, norm_start) + 4,
               "a token's norm_end follows its norm_start");

static token_spans norm_spans(const pupa_tokens *ts)
{
    static const pupa_token none;
    const pupa_token *tok = ts->ntok ? ts->tok : &none;
    return (token_spans){(const unsigned char *)tok + offsetof(pupa_token, norm_start),
                         sizeof *tok, ts->ntok, ts->norm_len};
}

/* The token spans of what the scan-form database scanned. */
static token_spans scan_spans(const pupa_matcher *m)
{
    if (m->scan_text == m->tokens.norm)
        return norm_spans(&m->tokens);
    return (token_spans){(const unsigned char *)m->scan_bounds, 2 * sizeof *m->scan_bounds,
                         m->tokens.ntok, m->scan.len};
}

static inline uint32_t span_start(const token_spans *s, size_t k)
{
    uint32_t v;
    memcpy(&v, s->at + k * s->stride, sizeof v);
    return v;
}

static inline uint32_t span_end(const token_spans *s, size_t k)
{
    uint32_t v;
    memcpy(&v, s->at + k * s->stride + sizeof v, sizeof v);
    return v;
}

/* The token holding byte pos, or -1 on a separator.  A binary search per
 * candidate (candidates are far fewer than bytes), without a branch on
 * the comparison: which half holds the token is a coin toss the CPU
 * cannot predict, and English turns give many candidates. */
static int32_t token_at(const token_spans *s, size_t pos)
{
    size_t n = s->n, base = 0;
    if (n == 0)
        return -1;
    while (n > 1) { /* the last token starting at or before pos is in [base, base + n) */
        size_t half = n / 2;
        base = span_start(s, base + half) <= pos ? base + half : base;
        n -= half;
    }
    return span_start(s, base) <= pos && pos < span_end(s, base) ? (int32_t)base : -1;
}

/* The boundary rule's end, for a candidate that starts where token first
 * starts and ends at byte `to`: unless a prefix entry, it must end where a
 * token ends.  Returns the last token, or -1. */
static int32_t last_on_boundary(const token_spans *s, int kind, int32_t first, size_t to)
{
    if (to <= span_start(s, (size_t)first) || to > s->len)
        return -1;
    int32_t last = token_at(s, to - 1);
    if (last < 0 || (kind != PUPA_ENTRY_PREFIX && span_end(s, (size_t)last) != to))
        return -1;
    return last;
}

/* The boundary rule, for a candidate spanning bytes [from, to): it must
 * start where a token starts and end as last_on_boundary says.  Returns
 * the last token and sets *first, or returns -1. */
static int32_t on_boundaries(const token_spans *s, int kind, size_t from, size_t to,
                             int32_t *first)
{
    if (to <= from || to > s->len)
        return -1;
    *first = token_at(s, from);
    if (*first < 0 || span_start(s, (size_t)*first) != from)
        return -1;
    return last_on_boundary(s, kind, *first, to);
}

static int is_ascii_alnum(unsigned char c)
{
    return (c >= '0' && c <= '9') || ((c | 0x20) >= 'a' && (c | 0x20) <= 'z');
}

/* Does a match over s[from, to) of text s[0, len) start, or (unless a
 * prefix entry, which runs on to its token's end) end, between two ASCII
 * letters or digits?  Then it lies inside a word: ICU never breaks there,
 * and in the token stream only Khmer tokens are joined without a
 * separator. */
static int inside_ascii_word(const unsigned char *s, size_t len, size_t from, size_t to,
                             int kind)
{
    if (to <= from)
        return 0;
    if (from > 0 && is_ascii_alnum(s[from - 1]) && is_ascii_alnum(s[from]))
        return 1;
    return kind != PUPA_ENTRY_PREFIX && to < len && is_ascii_alnum(s[to - 1]) &&
           is_ascii_alnum(s[to]);
}

/* A candidate of entry id over [from, to) of text[0, len), whose tokens
 * are s: a hit if it stands on the boundary rule.  Returns 1 to stop the
 * scan (out of memory). */
static int hit_if_on_boundaries(pupa_matcher *m, unsigned int id, const unsigned char *text,
                                size_t len, const token_spans *s, size_t from, size_t to)
{
    const pupa_entry *e = pupa_lexicon_entry(m->lex, id);
    /* Spares the token searches below (in the scan form too: scanform.c). */
    if (inside_ascii_word(text, len, from, to, e->kind))
        return 0;
    int32_t first, last = on_boundaries(s, e->kind, from, to, &first);
    if (last < 0)
        return 0;
    return add_hit(m, id, e, first, last, 0) ? 1 : 0;
}

/* A match of the scan-form database: a word or prefix entry, in scan-form
 * offsets, which start its length before its end. */
static int on_scan_candidate(unsigned int id, unsigned long long from, unsigned long long to,
                             unsigned int flags, void *ctx)
{
    (void)flags;
    (void)from;
    pupa_matcher *m = ctx;
    token_spans s = scan_spans(m);
    return hit_if_on_boundaries(m, id, (const unsigned char *)m->scan_text, m->scan_len, &s,
                                (size_t)to - pupa_lexicon_scan_len(m->lex, id), (size_t)to);
}

/* A match of the regex database, in norm offsets (SOM_LEFTMOST). */
static int on_regex_candidate(unsigned int id, unsigned long long from, unsigned long long to,
                              unsigned int flags, void *ctx)
{
    (void)flags;
    pupa_matcher *m = ctx;
    token_spans s = norm_spans(&m->tokens);
    return hit_if_on_boundaries(m, id, (const unsigned char *)m->tokens.norm,
                                m->tokens.norm_len, &s, (size_t)from, (size_t)to);
}

/* qsort for the few candidates or hits one segment gives, most often
 * already in order: an insertion sort, stable like glibc's qsort (a merge
 * sort at these sizes), so the order is the same, without its recursion,
 * copying and calls through a pointer (inlined here, the comparison is
 * too).  Longer arrays go to qsort. */
#define SORT_INSERTION_MAX 32
static inline void sort_items(void *base, size_t n, size_t size,
                              int (*cmp)(const void *, const void *))
{
    unsigned char *b = base, held[32];
    if (n > SORT_INSERTION_MAX || size > sizeof held) {
        qsort(base, n, size, cmp);
        return;
    }
    for (size_t i = 1; i < n; i++) {
        if (cmp(b + (i - 1) * size, b + i * size) <= 0)
            continue;
        memcpy(held, b + i * size, size);
        size_t j = i;
        for (; j > 0 && cmp(b + (j - 1) * size, held) > 0; j--)
            memcpy(b + j * size, b + (j - 1) * size, size);
        memcpy(b + j * size, held, size);
    }
}

static int by_code_start_longest(const void *a, const void *b)
{
    const pupa_hit *x = a, *y = b;
    if (x->code != y->code) return x->code < y->code ? -1 : 1;
    if (x->start != y->start) return x->start < y->start ? -1 : 1;
    if (x->end != y->end) return x->end > y->end ? -1 : 1;
    if (x->entry != y->entry) return x->entry < y->entry ? -1 : 1;
    return 0;
}

static int by_position(const void *a, const void *b)
{
    const pupa_hit *x = a, *y = b;
    if (x->start != y->start) return x->start < y->start ? -1 : 1;
    if (x->end != y->end) return x->end < y->end ? -1 : 1;
    if (x->code != y->code) return x->code < y->code ? -1 : 1;
    if (x->entry != y->entry) return x->entry < y->entry ? -1 : 1;
    return 0;
}

size_t pupa_hits_settle(pupa_hit *h, size_t n)
{
    if (n < 2)
        return n; /* and qsort is never handed a NULL array */
    sort_items(h, n, sizeof *h, by_code_start_longest);
    size_t kept = 0;
    for (size_t i = 0; i < n; i++) {
        /* Kept hits of a code are disjoint and sorted, so the last one kept
         * has the largest end: checking it alone is enough. */
        if (kept && h[kept - 1].code == h[i].code && h[i].start < h[kept - 1].end)
            continue;
        h[kept++] = h[i];
    }
    sort_items(h, kept, sizeof *h, by_position);
    return kept;
}

/* Whether a cue stands within the window before token first.  *open is
 * set when the look-back ran out of tokens before the window or a
 * punctuation mark closed it: then text before these tokens could decide. */
static int negated_before(const pupa_tokens *ts, size_t first, int *open)
{
    size_t t = first;
    *open = 0;
    for (int back = 0; back < PUPA_NEGATION_WINDOW; back++) {
        if (t == 0) {
            *open = 1;
            return 0;
        }
        if (pupa_punctuation_between(ts, t - 1))
            return 0;
        t--;
        const pupa_token *k = &ts->tok[t];
        if (pupa_is_negation_cue(ts->norm + k->norm_start, k->norm_end - k->norm_start))
            return 1;
    }
    return 0;
}

/* Marks hits [from, nhits), which index m->tokens of the whole segment. */
static void mark_negation(pupa_matcher *m, size_t from)
{
    int open;
    for (size_t i = from; i < m->nhits; i++)
        m->hits[i].negated = negated_before(&m->tokens, m->hits[i].tok_first, &open);
}

/* Tokenises text[0, len).  ASCII text is tokenised without ICU
 * (pupa_tokenize_ascii gives ICU's tokens, tests/test_tokenise.c), since an
 * ICU call costs more than a few English words; but the reference mode
 * runs ICU over every segment. */
static int tokenize_text(pupa_matcher *m, const char *text, size_t len)
{
    int rc = m->mode == PUPA_MATCH_TOKENISE_ALL
                 ? 0 : pupa_tokenize_ascii(&m->ascii, text, len, &m->tokens);
    return rc == 0 ? tokenize_counted(m, text, len) : rc < 0 ? rc : 0;
}

/* One Hyperscan scan of text[0, len), its errors worded. */
static int scan_with(pupa_matcher *m, const hs_database_t *db, const char *text, size_t len,
                     match_event_handler on_match)
{
    hs_error_t err = hs_scan(db, text, (unsigned)len, 0, m->scratch, on_match, m);
    if (m->scan_rc)
        return pupa_fail(m->scan_rc, "out of memory while matching");
    if (err != HS_SUCCESS)
        return pupa_fail(PUPA_EHS, "Hyperscan scan failed (%d)", (int)err);
    return 0;
}

/* The reference: ICU tokenises the whole segment, Hyperscan scans the
 * normalised token stream, the words and prefixes in its scan form
 * (scanform.c), regular expressions as it is.  The fast path falls back to
 * it for a segment it cannot serve. */
static int match_full(pupa_matcher *m, const char *text, size_t len)
{
    int rc = tokenize_text(m, text, len);
    if (rc || m->tokens.norm_len == 0)
        return rc;
    const hs_database_t *db = pupa_lexicon_db(m->lex), *regex = pupa_lexicon_regex_db(m->lex);
    if (db) {
        if (pupa_scan_form_is_identity(m->tokens.norm, m->tokens.norm_len)) {
            m->scan_text = m->tokens.norm;
            m->scan_len = m->tokens.norm_len;
        } else if (!(rc = pupa_scan_tokens(&m->tokens, &m->scan, &m->scan_bounds,
                                           &m->scan_bounds_cap))) {
            m->scan_text = m->scan.data;
            m->scan_len = m->scan.len;
        }
        if (!rc)
            rc = scan_with(m, db, m->scan_text, m->scan_len, on_scan_candidate);
    }
    if (!rc && regex)
        rc = scan_with(m, regex, m->tokens.norm, m->tokens.norm_len, on_regex_candidate);
    if (rc)
        return rc;
    /* A codebook with its own negation words has every hit's negation
     * marked again, from scratch (rules.c): this pass would be lost. */
    if (!pupa_ruleset_remarks_negation(pupa_lexicon_rules(m->lex)))
        mark_negation(m, 0);
    return 0;
}

/* ---------------------------------------------------------- fast path */

static int is_ascii_space(char c)
{
    return c == ' ' || (c >= '\t' && c <= '\r');
}

/* True if text[s, e) has a character other than the zero-width ones. */
static int has_visible(const char *text, size_t s, size_t e)
{
    for (size_t i = s; i < e;) {
        const unsigned char *p = (const unsigned char *)text + i;
        size_t n = pupa_utf8_len(p, e - i);
        if (n == 0)
            return 1;
        uint32_t c = pupa_utf8_decode(p, n);
        if (!((c >= 0x200B && c <= 0x200D) || c == 0x2060 || c == 0xFEFF || c == 0x17B4 ||
              c == 0x17B5))
            return 1;
        i += n;
    }
    return 0;
}

static size_t negation_context(const char *text, size_t a, size_t limit);

/* The start of the chunk holding byte x. */
static size_t chunk_start(const char *text, size_t x)
{
    while (x > 0 && !is_ascii_space(text[x - 1]))
        x--;
    return x;
}

/* Calls into ICU cost more than short text does: a stretch takes its
 * negation look-back along when that is this short (English words), and
 * stretches this close together are tokenised as one. */
#define SHORT_LOOKBACK 64
#define MERGE_GAP 64
/* Above this share of a segment in stretches, it is tokenised whole. */
#define DENSE_NUM 1
#define DENSE_DEN 2

/* The stretch ICU confirms a candidate in: the chunks (runs without ASCII
 * white space) it touches.  ICU puts a boundary on both sides of ASCII
 * white space and its rules never look across it, so the boundaries inside
 * such a stretch are those of the whole segment (checked on every shared
 * corpus). */
static void candidate_span(const char *text, size_t len, candidate *c)
{
    size_t a = chunk_start(text, c->from);
    size_t ctx = negation_context(text, a, SHORT_LOOKBACK);
    if (ctx != SIZE_MAX)
        a = ctx;
    size_t b = c->to;
    while (b < len && !is_ascii_space(text[b]))
        b++;
    c->span_start = (uint32_t)a;
    c->span_end = (uint32_t)b;
}

/* Where to start tokenising to see the PUPA_NEGATION_WINDOW tokens before
 * position a: that many visible chunks back.  Each such chunk holds a word
 * or punctuation, and punctuation ends the look-back anyway.  SIZE_MAX if
 * that lies more than limit bytes back (the walk stops there). */
static size_t negation_context(const char *text, size_t a, size_t limit)
{
    size_t from = a;
    for (int chunks = 0; chunks < PUPA_NEGATION_WINDOW && a > 0;) {
        size_t e = a;
        while (e > 0 && is_ascii_space(text[e - 1]))
            e--;
        size_t s = e;
        while (s > 0 && !is_ascii_space(text[s - 1]) && from - s <= limit)
            s--;
        if (from - s > limit)
            return SIZE_MAX;
        a = e == 0 ? 0 : s;
        if (has_visible(text, s, e))
            chunks++;
    }
    return a;
}

/* Could text[from, to) hold a negation cue?  Only pure ASCII is answered
 * without ICU: no cue word in it, case folded, means no cue token. */
static int may_hold_cue(const char *text, size_t from, size_t to)
{
    char low[256];
    if (to - from >= sizeof low)
        return 1;
    for (size_t i = from; i < to; i++) {
        unsigned char c = (unsigned char)text[i];
        if (c >= 0x80)
            return 1;
        low[i - from] = (char)(c >= 'A' && c <= 'Z' ? c + 32 : c);
    }
    low[to - from] = '\0';
    for (size_t i = 0; i < sizeof english_cues / sizeof *english_cues; i++)
        if (strstr(low, english_cues[i].s))
            return 1;
    return 0;
}

/* Settles the negation of hits [h0, nhits) whose look-back ran off the start
 * of their stretch [a, b): one more ICU pass, from far enough back. */
static int settle_negation(pupa_matcher *m, const char *text, size_t a, size_t b, size_t h0)
{
    size_t from = negation_context(text, a, SIZE_MAX);
    int rc = tokenize_text(m, text + from, b - from);
    if (rc)
        return rc;
    const pupa_tokens *ts = &m->tokens;
    for (size_t i = h0; i < m->nhits; i++) {
        pupa_hit *h = &m->hits[i];
        if (h->negated != -1)
            continue;
        size_t t = 0;
        while (t < ts->ntok && from + ts->tok[t].src_start < h->start)
            t++;
        int open;
        h->negated = t < ts->ntok ? negated_before(ts, t, &open) : 0;
    }
    return 0;
}

/* Is a Khmer combining mark (general category M) at byte i of s?  Not the
 * invisible U+17B4 and U+17B5, which NFKC_Casefold drops from a token. */
static int khmer_mark_at(const unsigned char *s, size_t len, size_t i)
{
    int c = i < len ? pupa_khmer_index(s + i, len - i) : -1;
    return (c >= 0x36 && c <= 0x53) || c == 0x5D; /* U+17B6-U+17D3, U+17DD */
}

static int on_raw_candidate(unsigned int id, unsigned long long from, unsigned long long to,
                            unsigned int flags, void *ctx)
{
    (void)flags;
    pupa_matcher *m = ctx;
    /* Offsets in the squeezed text, mapped back to the segment's bytes: a
     * literal starts its length before its end (fastscan.c). */
    if (!pupa_lexicon_raw_som(m->lex, id))
        from = to - pupa_lexicon_norm_len(m->lex, id);
    int kind = pupa_lexicon_entry(m->lex, id)->kind;
    /* The squeeze keeps ASCII neighbours as they are in the text: "he" in
     * "the" is no candidate. */
    if (inside_ascii_word((const unsigned char *)m->squeeze.text, m->squeeze.len, from, to,
                          kind))
        return 0;
    if (m->ncands == m->cands_cap &&
        pupa_grow(&m->cands, &m->cands_cap, m->ncands + 1, sizeof *m->cands)) {
        m->scan_rc = PUPA_ENOMEM;
        return 1;
    }
    uint32_t raw_from = pupa_squeeze_to_raw(&m->squeeze, (uint32_t)from);
    uint32_t raw_to = to > from ? pupa_squeeze_to_raw(&m->squeeze, (uint32_t)to - 1) + 1 : raw_from;
    /* ICU's Khmer dictionary engine never ends a word before a Khmer
     * combining mark (a dependent vowel, a sign, a coeng): it takes the
     * marks into the word.  A candidate that starts on one, or ends before
     * one, is inside a word. */
    if (khmer_mark_at(m->seg, m->seg_len, raw_from) ||
        (khmer_mark_at(m->seg, m->seg_len, raw_to) && kind != PUPA_ENTRY_PREFIX))
        return 0;
    m->cands[m->ncands++] = (candidate){id, raw_from, raw_to, 0, 0};
    return 0;
}

static int by_span(const void *a, const void *b)
{
    const candidate *x = a, *y = b;
    if (x->span_start != y->span_start) return x->span_start < y->span_start ? -1 : 1;
    if (x->from != y->from) return x->from < y->from ? -1 : 1;
    return (x->entry > y->entry) - (x->entry < y->entry);
}

/* Confirms candidates [c0, c1), whose stretches merge into [a, b): one ICU
 * pass over the stretch, then the reference's boundary rule at each token
 * that starts inside a candidate's raw match. */
static int confirm(pupa_matcher *m, const char *text, size_t a, size_t b, size_t c0, size_t c1)
{
    int rc = tokenize_text(m, text + a, b - a);
    if (rc)
        return rc;
    const pupa_tokens *ts = &m->tokens;
    token_spans spans = norm_spans(ts);
    size_t first_hit = m->nhits;
    for (size_t i = c0; i < c1; i++) {
        const candidate *c = &m->cands[i];
        const pupa_entry *e = pupa_lexicon_entry(m->lex, c->entry);
        uint32_t elen = pupa_lexicon_norm_len(m->lex, c->entry);
        /* Leftmost start is at or before the true start, and a hit's first
         * token starts before the raw match ends. */
        size_t lo = 0, hi = ts->ntok;
        while (lo < hi) {
            size_t mid = (lo + hi) / 2;
            if (a + ts->tok[mid].src_start < c->from)
                lo = mid + 1;
            else
                hi = mid;
        }
        for (size_t t = lo; t < ts->ntok && a + ts->tok[t].src_start < c->to; t++) {
            size_t from = ts->tok[t].norm_start;
            if (from + elen > ts->norm_len || memcmp(ts->norm + from, e->norm, elen) != 0)
                continue;
            int32_t last = last_on_boundary(&spans, e->kind, (int32_t)t, from + elen);
            if (last >= 0 && add_hit(m, c->entry, e, (int32_t)t, last, (uint32_t)a))
                return pupa_fail(PUPA_ENOMEM, "out of memory while matching");
        }
    }
    /* Negation from this stretch where it can tell; -1 marks the hits whose
     * look-back reached its start with text before it. */
    int pending = 0;
    for (size_t i = first_hit; i < m->nhits; i++) {
        int open;
        pupa_hit *h = &m->hits[i];
        h->negated = negated_before(ts, h->tok_first, &open);
        /* Undecided only if the look-back the hit needs starts before the
         * stretch does. */
        size_t need;
        if (open && a > 0 &&
            (need = negation_context(text, chunk_start(text, h->start), SIZE_MAX)) < a &&
            may_hold_cue(text, need, a)) {
            h->negated = -1;
            pending = 1;
        }
    }
    return pending ? settle_negation(m, text, a, b, first_hit) : 0;
}

/* 1: done; 0: the segment cannot take the fast path; or an error. */
static int match_fast(pupa_matcher *m, const char *text, size_t len)
{
    m->ncands = 0;
    m->tokens = (pupa_tokens){"", 0, NULL, 0};
    int sq = pupa_fast_squeeze(&m->squeeze, text, len);
    if (sq <= 0)
        return sq < 0 ? pupa_fail(PUPA_ENOMEM, "out of memory") : 0;
    int rc = scan_with(m, pupa_lexicon_raw_db(m->lex), m->squeeze.text, m->squeeze.len,
                       on_raw_candidate);
    if (rc)
        return rc;
    m->stats.candidates += m->ncands;
    if (m->ncands == 0)
        return 1; /* no candidate: no hit, and ICU never ran */
    /* Rules that need the whole token stream would tokenise the segment
     * again anyway; and when the stretches cover most of it, one pass over
     * all of it costs less than many over its pieces. */
    int fast = m->mode == PUPA_MATCH_FAST;
    if (fast && pupa_ruleset_needs_tokens(pupa_lexicon_rules(m->lex))) {
        m->ncands = 0;
        return 0;
    }
    for (size_t i = 0; i < m->ncands; i++)
        candidate_span(text, len, &m->cands[i]);
    sort_items(m->cands, m->ncands, sizeof *m->cands, by_span);
    size_t covered = 0, reach = 0;
    for (size_t i = 0; i < m->ncands; i++) {
        size_t a = m->cands[i].span_start > reach ? m->cands[i].span_start : reach;
        if (m->cands[i].span_end > a)
            covered += m->cands[i].span_end - a;
        if (m->cands[i].span_end > reach)
            reach = m->cands[i].span_end;
    }
    if (fast && covered * DENSE_DEN > len * DENSE_NUM) {
        m->ncands = 0;
        return 0;
    }
    for (size_t i = 0; i < m->ncands;) {
        size_t a = m->cands[i].span_start, b = m->cands[i].span_end, j = i + 1;
        for (; j < m->ncands && m->cands[j].span_start < b + MERGE_GAP; j++)
            if (m->cands[j].span_end > b)
                b = m->cands[j].span_end;
        if ((rc = confirm(m, text, a, b, i, j)))
            return rc;
        i = j;
    }
    /* A hit confirmed from two candidates is dropped as an overlap later. */
    return 1;
}

/* Whether to try the fast path on this segment.  Where it keeps ending in
 * a whole-segment pass (dense candidates, or rules that need every token:
 * on Khmer, whose stretches are whole phrases, that is common), the squeeze
 * and the raw scan are wasted.  So each matcher learns, separately for
 * Khmer-heavy and other segments, how often the fast path served: below a
 * quarter of the last attempts it stops trying, except every 128th
 * segment, which keeps the count current.  (Every 8th, as it was, wasted
 * 4-5% of a bench build once the Khmer engine made whole segments cheap:
 * Khmer-heavy segments are served about one attempt in six, and a failed
 * attempt costs a squeeze and a raw scan.  Every 32nd still cost 1.5-2%,
 * with 1,150 attempts on the Khmer-heavy corpus's 17,500 such segments.)
 * Either way the hits are the same. */
static int khmer_heavy(const char *text, size_t len)
{
    /* A plain count, which the compiler vectorises: memchr would be called
     * once a character in Khmer text. */
    const unsigned char *s = (const unsigned char *)text;
    size_t lead = 0;
    for (size_t i = 0; i < len; i++)
        lead += s[i] == 0xE1;
    return lead * 3 * 2 > len; /* Khmer letters are three bytes, E1 first */
}

static int worth_trying(pupa_matcher *m, const char *text, size_t len)
{
    if (m->mode != PUPA_MATCH_FAST)
        return 1;
    m->learn_class = khmer_heavy(text, len);
    const uint32_t *c = m->learned[m->learn_class];
    return c[0] < 64 || c[1] * 4 >= c[0] || m->stats.segments % 128 == 0;
}

static void learn(pupa_matcher *m, int served)
{
    if (m->mode != PUPA_MATCH_FAST)
        return;
    uint32_t *c = m->learned[m->learn_class];
    c[0]++;
    c[1] += (uint32_t)served;
    if (c[0] >= 256) { /* forget slowly: halve */
        c[0] /= 2;
        c[1] /= 2;
    }
}

int pupa_match(pupa_matcher *m, const char *text, size_t len, const pupa_hit **hits,
               size_t *nhits, pupa_tokens *tokens)
{
    if (!m || (!text && len) || !hits || !nhits)
        return pupa_fail(PUPA_EINVAL, "pupa_match: NULL argument");
    *hits = NULL;
    *nhits = 0;
    m->nhits = 0;
    m->scan_rc = 0;
    if (!text)
        text = "";
    m->seg = (const unsigned char *)text;
    m->seg_len = len;
    int rc = 0;
    if (m->mode != PUPA_MATCH_TOKENISE_ALL && pupa_lexicon_raw_db(m->lex) &&
        len <= PUPA_MAX_SEGMENT_BYTES && worth_trying(m, text, len)) {
        rc = match_fast(m, text, len);
        learn(m, rc == 1);
    }
    int fast = rc == 1; /* m->tokens then cover only the last stretch */
    m->stats.segments++;
    m->stats.fast_segments += (uint64_t)fast;
    if (rc == 0)
        rc = match_full(m, text, len);
    if (rc < 0)
        return rc;
    /* The overlap policy and order, then rules, exclusions, codebook
     * negation, hidden codes (rules.c), which read settled hits and leave
     * them settled. */
    m->nhits = pupa_hits_settle(m->hits, m->nhits);
    if ((rc = pupa_rules_apply(m->lex, m->tok, text, len, &m->tokens, !fast, &m->hits,
                               &m->nhits, &m->hits_cap)))
        return rc;
    if (tokens)
        *tokens = m->tokens;
    *hits = m->hits;
    *nhits = m->nhits;
    return 0;
}
