/*
 * match.c: coding one segment: tokenise, scan with Hyperscan, keep the
 * candidates that sit on ICU word boundaries, resolve overlaps, mark
 * negation.
 *
 * Boundaries.  Hyperscan scans the normalised token stream (tokenise.c).
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
 */
#include "internal.h"

#include <hs/hs.h>
#include <stdlib.h>
#include <string.h>

const hs_database_t *pupa_lexicon_db(const pupa_lexicon *lex);

struct pupa_matcher {
    const pupa_lexicon *lex;
    hs_scratch_t *scratch;
    pupa_tokenizer *tok;
    pupa_tokens tokens;
    int32_t *tok_of; /* norm byte -> token index, -1 on separators */
    size_t tok_of_cap;
    pupa_hit *hits;
    size_t nhits, hits_cap;
    int scan_rc;
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
    int rc = pupa_tokenizer_new(&m->tok);
    const hs_database_t *db = pupa_lexicon_db(lex);
    if (!rc && db && hs_alloc_scratch(db, &m->scratch) != HS_SUCCESS)
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
    free(m->tok_of);
    free(m->hits);
    free(m);
}

static const char *const english_cues[] = {
    "not",     "no",      "never",   "don't",   "dont",     "cannot",   "can't",
    "won't",   "didn't",  "doesn't", "isn't",   "wasn't",   "aren't",   "weren't",
    "haven't", "hasn't",  "hadn't",  "couldn't", "wouldn't", "shouldn't", "nobody",
    "nothing", "neither", "nor",     "without",
};
/* Khmer cues are prefixes of a token: ICU often keeps មិន with the verb it
 * negates in one dictionary word (មិនដែល "never"). */
static const char *const khmer_cues[] = {"មិន", "អត់", "គ្មាន", "ពុំ"};

int pupa_is_negation_cue(const char *t, size_t len)
{
    for (size_t i = 0; i < sizeof english_cues / sizeof *english_cues; i++)
        if (strlen(english_cues[i]) == len && memcmp(english_cues[i], t, len) == 0)
            return 1;
    for (size_t i = 0; i < sizeof khmer_cues / sizeof *khmer_cues; i++) {
        size_t n = strlen(khmer_cues[i]);
        if (n <= len && memcmp(khmer_cues[i], t, n) == 0)
            return 1;
    }
    return 0;
}

static int on_candidate(unsigned int id, unsigned long long from, unsigned long long to,
                        unsigned int flags, void *ctx)
{
    (void)flags;
    pupa_matcher *m = ctx;
    const pupa_entry *e = pupa_lexicon_entry(m->lex, id);
    if (e->kind != PUPA_ENTRY_REGEX)
        from = to - strlen(e->norm);
    if (to <= from || to > m->tokens.norm_len)
        return 0;
    int32_t first = m->tok_of[from], last = m->tok_of[to - 1];
    if (first < 0 || last < 0 || m->tokens.tok[first].norm_start != from)
        return 0;
    if (e->kind != PUPA_ENTRY_PREFIX && m->tokens.tok[last].norm_end != to)
        return 0;
    if (pupa_grow(&m->hits, &m->hits_cap, m->nhits + 1, sizeof *m->hits)) {
        m->scan_rc = PUPA_ENOMEM;
        return 1; /* stop scanning */
    }
    m->hits[m->nhits++] = (pupa_hit){
        .code = e->code,
        .entry = id,
        .start = m->tokens.tok[first].src_start,
        .end = m->tokens.tok[last].src_end,
        .tok_first = (uint32_t)first,
        .tok_last = (uint32_t)last,
    };
    return 0;
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

static void resolve_overlaps(pupa_matcher *m)
{
    qsort(m->hits, m->nhits, sizeof *m->hits, by_code_start_longest);
    size_t kept = 0;
    for (size_t i = 0; i < m->nhits; i++) {
        const pupa_hit *h = &m->hits[i];
        /* Kept hits of a code are disjoint and sorted, so the last one kept
         * has the largest end: checking it alone is enough. */
        if (kept && m->hits[kept - 1].code == h->code && h->start < m->hits[kept - 1].end)
            continue;
        m->hits[kept++] = *h;
    }
    m->nhits = kept;
    qsort(m->hits, m->nhits, sizeof *m->hits, by_position);
}

/* True when punctuation separates token t from token t+1. */
static int punctuation_between(const pupa_tokens *ts, size_t t)
{
    uint32_t gap = ts->tok[t].norm_end;
    return gap < ts->tok[t + 1].norm_start && ts->norm[gap] == '\n';
}

static void mark_negation(pupa_matcher *m)
{
    const pupa_tokens *ts = &m->tokens;
    for (size_t i = 0; i < m->nhits; i++) {
        pupa_hit *h = &m->hits[i];
        size_t t = h->tok_first;
        for (int back = 0; back < PUPA_NEGATION_WINDOW && t > 0; back++) {
            if (punctuation_between(ts, t - 1))
                break;
            t--;
            const pupa_token *k = &ts->tok[t];
            if (pupa_is_negation_cue(ts->norm + k->norm_start, k->norm_end - k->norm_start)) {
                h->negated = 1;
                break;
            }
        }
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
    int rc = pupa_tokenize(m->tok, text ? text : "", len, &m->tokens);
    if (rc)
        return rc;
    if (tokens)
        *tokens = m->tokens;
    const pupa_tokens *ts = &m->tokens;
    const hs_database_t *db = pupa_lexicon_db(m->lex);
    if (!db || ts->norm_len == 0)
        return 0;

    if ((rc = pupa_grow(&m->tok_of, &m->tok_of_cap, ts->norm_len, sizeof *m->tok_of)))
        return rc;
    memset(m->tok_of, 0xff, ts->norm_len * sizeof *m->tok_of);
    for (size_t t = 0; t < ts->ntok; t++)
        for (uint32_t b = ts->tok[t].norm_start; b < ts->tok[t].norm_end; b++)
            m->tok_of[b] = (int32_t)t;

    hs_error_t err = hs_scan(db, ts->norm, (unsigned)ts->norm_len, 0, m->scratch, on_candidate, m);
    if (m->scan_rc)
        return pupa_fail(m->scan_rc, "out of memory while matching");
    if (err != HS_SUCCESS)
        return pupa_fail(PUPA_EHS, "Hyperscan scan failed (%d)", (int)err);
    resolve_overlaps(m);
    mark_negation(m);
    *hits = m->hits;
    *nhits = m->nhits;
    return 0;
}
