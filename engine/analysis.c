/*
 * analysis.c: the study's cross-cutting and longitudinal questions, from
 * the index: codes that occur together (in a segment or a participant-
 * year), the cross-reference of two terms, streaks of consecutive years,
 * and one participant's codes year by year.  Access paths, filters and
 * code patterns are query.c's (query.h).
 *
 * Access paths (keys in index.c):
 *  - co-occurrence, cross-reference and streaks read only the postings of
 *    the codes their pattern or terms name, within the year range, and the
 *    document record each posting points to (participant, year, filters);
 *    a segment record only when a segment filter (lang, speaker) is set.
 *    A posting says whether its turn has a counted hit, so no segment is
 *    decoded to learn which codes it has;
 *  - the cross-reference's scope (every participant-year the filter
 *    admits) reads the document records, or one participant's own keys;
 *  - streaks counted by interviews read each candidate's own keys;
 *  - a timeline reads the participant's own keys and her documents' turns.
 */
#include "query.h"

#include <stdlib.h>
#include <string.h>

/* ---------------------------------------------------------------- terms */

typedef struct term {
    const char *pattern;
    int only;
    char *family; /* only: the pattern with its last component "*" */
} term;

enum { T_HAS = 1, T_SIB = 2 };

static int term_parse(term *t, const char *s)
{
    memset(t, 0, sizeof *t);
    if (s && !strncmp(s, "only:", 5)) {
        t->only = 1;
        s += 5;
    }
    size_t n = s ? strlen(s) : 0;
    while (n && s[n - 1] == '/')
        n--;
    if (!n)
        return pupa_fail(PUPA_EINVAL, "empty code term");
    t->pattern = s;
    if (t->only) {
        size_t keep = n;
        while (keep && s[keep - 1] != '/')
            keep--;
        if (!(t->family = malloc(keep + 2)))
            return pupa_fail(PUPA_ENOMEM, "out of memory");
        memcpy(t->family, s, keep);
        memcpy(t->family + keep, "*", 2);
    }
    return 0;
}

/* T_HAS when the code is the term's, T_SIB when it is a sibling. */
static unsigned term_class(const term *t, const char *code)
{
    if (pupa_code_match(code, t->pattern))
        return T_HAS;
    return t->only && pupa_code_match(code, t->family) ? T_SIB : 0;
}

static int term_holds(unsigned bits) { return (bits & T_HAS) && !(bits & T_SIB); }

/* --------------------------------------------------------- unit facts */

/* One posting that passed the filters, as a fact about its unit. */
typedef struct ufact {
    uint64_t unit; /* segment: doc << 32 | turn; participant-year: participant << 32 | year */
    uint32_t participant, year;
    uint32_t row;   /* cooccur: the code's row */
    uint32_t value; /* streaks: the by key's value */
    uint32_t bits;  /* terms: T_* of term a, and of term b shifted by 2 */
} ufact;

typedef struct collect {
    pupa_q *q;
    const pupa_filter *f;
    int unit;
    const uint32_t *row, *bits; /* per code */
    const char *by;             /* NULL: no value */
    pupa_names parts, values;
    ufact *facts;
    size_t n, cap;
    /* Postings of one code come in document order: remember the last one. */
    uint32_t last_doc, last_part, last_year, last_value;
    int have_last, last_passes;
} collect;

static int collect_doc(collect *c, uint32_t doc)
{
    pupa_doc_rec d;
    int rc = pupa_q_doc(c->q, doc, &d);
    if (rc)
        return rc;
    c->have_last = 1;
    c->last_doc = doc;
    c->last_passes = pupa_q_doc_passes(&d, c->f);
    c->last_year = d.year;
    if (!c->last_passes)
        return 0;
    if ((rc = pupa_names_add(&c->parts, d.participant.s, d.participant.len, &c->last_part)))
        return rc;
    if (c->by) {
        char buf[16];
        pupa_str v = pupa_q_doc_value(&d, c->by, buf, sizeof buf);
        if (!v.s)
            v = (pupa_str){"(none)", 6};
        rc = pupa_names_add(&c->values, v.s, v.len, &c->last_value);
    }
    return rc;
}

static int collect_posting(void *ctx, uint32_t code, uint32_t year, uint32_t doc, uint32_t turn)
{
    (void)year; /* the document's own year is the one that counts */
    collect *c = ctx;
    int rc;
    if ((!c->have_last || c->last_doc != doc) && (rc = collect_doc(c, doc)))
        return rc;
    if (!c->last_passes)
        return 0;
    if (c->f->lang >= 0 || c->f->speaker) {
        pupa_seg_rec s;
        if ((rc = pupa_q_seg(c->q, doc, turn, &s)))
            return rc;
        if (!pupa_q_seg_passes(&s, c->f))
            return 0;
    }
    if (pupa_grow(&c->facts, &c->cap, c->n + 1, sizeof *c->facts))
        return PUPA_ENOMEM;
    uint64_t unit = c->unit == PUPA_UNIT_SEGMENT ? (uint64_t)doc << 32 | turn
                                                 : (uint64_t)c->last_part << 32 | c->last_year;
    c->facts[c->n++] = (ufact){unit, c->last_part, c->last_year, c->row ? c->row[code] : 0,
                               c->last_value, c->bits ? c->bits[code] : 0};
    return 0;
}

static void collect_free(collect *c)
{
    pupa_names_free(&c->parts);
    pupa_names_free(&c->values);
    free(c->facts);
}

static int by_unit(const void *a, const void *b)
{
    const ufact *x = a, *y = b;
    if (x->unit != y->unit) return x->unit < y->unit ? -1 : 1;
    if (x->row != y->row) return x->row < y->row ? -1 : 1;
    return (x->value > y->value) - (x->value < y->value);
}

static int check_unit(int unit)
{
    return unit == PUPA_UNIT_SEGMENT || unit == PUPA_UNIT_PARTICIPANT_YEAR
               ? 0
               : pupa_fail(PUPA_EINVAL, "unit is segment or participant-year");
}

static int cmp_u32(const void *a, const void *b)
{
    uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;
    return (x > y) - (x < y);
}

/* Distinct values of v, which it sorts. */
static uint32_t count_distinct_u32(uint32_t *v, size_t n)
{
    if (n)
        qsort(v, n, sizeof *v, cmp_u32);
    uint32_t d = 0;
    for (size_t i = 0; i < n; i++)
        d += i == 0 || v[i] != v[i - 1];
    return d;
}

/* ------------------------------------------------------- co-occurrence */

/* Facts in participant order, then unit and row: a participant's units
 * are contiguous (cooccur_count), and so are a unit's rows. */
static int by_participant_unit(const void *a, const void *b)
{
    const ufact *x = a, *y = b;
    if (x->participant != y->participant) return x->participant < y->participant ? -1 : 1;
    if (x->unit != y->unit) return x->unit < y->unit ? -1 : 1;
    return (x->row > y->row) - (x->row < y->row);
}

void pupa_cooccur_free(pupa_cooccur *c)
{
    if (!c)
        return;
    for (size_t i = 0; i < c->ncodes; i++)
        free(c->codes[i]);
    free(c->codes);
    free(c->cells);
    free(c);
}

/* Sorts c's facts by by_participant_unit: first into one run per
 * participant (a counting sort, as participant ids are dense), then each
 * run on its own, small enough to stay in cache.  On the bench's 1.4M-hit
 * index one qsort of every fact took about 20 of the matrix's 47 ms. */
static int sort_by_participant(collect *c)
{
    size_t np = c->parts.n;
    size_t *end = calloc(np + 1, sizeof *end);
    ufact *out = malloc((c->n ? c->n : 1) * sizeof *out);
    if (!end || !out) {
        free(end);
        free(out);
        return pupa_fail(PUPA_ENOMEM, "out of memory");
    }
    for (size_t i = 0; i < c->n; i++)
        end[c->facts[i].participant + 1]++;
    for (size_t p = 0; p < np; p++)
        end[p + 1] += end[p];
    /* end[p] is where participant p's run starts; placing it moves it on
     * to where that run ends, which is where p + 1's starts. */
    for (size_t i = 0; i < c->n; i++)
        out[end[c->facts[i].participant]++] = c->facts[i];
    for (size_t p = 0, from = 0; p < np; from = end[p++])
        if (end[p] - from > 1)
            qsort(out + from, end[p] - from, sizeof *out, by_participant_unit);
    free(end);
    free(c->facts);
    c->facts = out;
    c->cap = c->n;
    return 0;
}

/* Counts every pair (i <= j) of rows within each unit into m's cells
 * (the upper triangle, then mirrored).  The facts are sorted by
 * by_participant_unit, one per (unit, row): a cell counts an individual
 * when the participant differs from the last one it counted, as a table's
 * cells do.  Until 2026-11-23 every pair was written out and sorted: on
 * the bench's 1.4M-hit index some 3.6 million pairs, and the matrix took
 * 82 ms, 47 without them (40 with sort_by_participant). */
static int cooccur_count(const ufact *u, size_t n, pupa_cooccur *m)
{
    size_t nc = m->ncodes;
    uint32_t *last = malloc((nc * nc + 1) * sizeof *last);
    if (!last)
        return pupa_fail(PUPA_ENOMEM, "out of memory");
    memset(last, 0xFF, (nc * nc + 1) * sizeof *last); /* no participant yet */
    for (size_t s = 0, e; s < n; s = e) {
        for (e = s + 1; e < n && u[e].unit == u[s].unit; e++)
            ;
        for (size_t i = s; i < e; i++)
            for (size_t j = i; j < e; j++) {
                size_t k = (size_t)u[i].row * nc + u[j].row;
                m->cells[k].units++;
                if (last[k] != u[i].participant) {
                    last[k] = u[i].participant;
                    m->cells[k].individuals++;
                }
            }
    }
    for (size_t a = 0; a < nc; a++)
        for (size_t b = a + 1; b < nc; b++)
            m->cells[b * nc + a] = m->cells[a * nc + b];
    free(last);
    return 0;
}

/* Drops rows no unit has (codes of the codebook without a counted hit). */
static void cooccur_compact(pupa_cooccur *c)
{
    size_t n = c->ncodes, k = 0;
    uint32_t *keep = malloc((n ? n : 1) * sizeof *keep);
    if (!keep)
        return; /* the full matrix is as right, only longer */
    for (size_t i = 0; i < n; i++)
        if (c->cells[i * n + i].units)
            keep[k++] = (uint32_t)i;
        else
            free(c->codes[i]);
    for (size_t i = 0; i < k; i++) {
        c->codes[i] = c->codes[keep[i]];
        for (size_t j = 0; j < k; j++)
            c->cells[i * k + j] = c->cells[(size_t)keep[i] * n + keep[j]];
    }
    c->ncodes = k;
    free(keep);
}

int pupa_cooccur_build(pupa_index *ix, int unit, int depth, const pupa_filter *f,
                       pupa_cooccur **out)
{
    if (!ix || !f || !out || depth < 1)
        return pupa_fail(PUPA_EINVAL, "pupa_cooccur_build: bad argument");
    *out = NULL;
    int rc = check_unit(unit);
    pupa_q q;
    if (rc || (rc = pupa_q_begin(&q, ix)))
        return rc;
    pupa_names rows = {0};
    collect c = {.q = &q, .f = f, .unit = unit};
    unsigned char *sel = pupa_q_code_sel(&q, f->code);
    uint32_t *row = calloc(q.cb.ncodes + 1, sizeof *row), *map = NULL;
    pupa_cooccur *m = calloc(1, sizeof *m);
    if (!sel || !row || !m)
        rc = pupa_fail(PUPA_ENOMEM, "out of memory");
    for (size_t i = 0; !rc && i < q.cb.ncodes; i++) {
        const char *code = q.cb.codes[i];
        if (sel[i])
            rc = pupa_names_add(&rows, code, pupa_code_prefix_len(code, depth), &row[i]);
    }
    c.row = row;
    if (!rc)
        rc = pupa_q_postings(&q, sel, f, collect_posting, &c);
    size_t u = 0; /* one fact per (unit, row) */
    if (!rc && !(rc = pupa_names_sort(&rows, &map))) {
        for (size_t i = 0; i < c.n; i++)
            c.facts[i].row = map[c.facts[i].row];
        rc = sort_by_participant(&c);
        for (size_t i = 0; !rc && i < c.n; i++)
            if (!u || c.facts[u - 1].unit != c.facts[i].unit || c.facts[u - 1].row != c.facts[i].row)
                c.facts[u++] = c.facts[i];
        m->unit = unit;
        if (!rc && !(m->cells = calloc(rows.n * rows.n + 1, sizeof *m->cells)))
            rc = pupa_fail(PUPA_ENOMEM, "out of memory");
    }
    if (!rc) {
        m->ncodes = rows.n;
        m->codes = pupa_names_take(&rows);
        rc = cooccur_count(c.facts, u, m);
    }
    if (!rc)
        cooccur_compact(m);
    free(map);
    free(sel);
    free(row);
    pupa_names_free(&rows);
    collect_free(&c);
    pupa_q_end(&q);
    if (rc) {
        pupa_cooccur_free(m);
        return rc;
    }
    *out = m;
    return 0;
}

/* ----------------------------------------------------- cross-reference */

typedef struct scope {
    pupa_q *q;
    const pupa_filter *f;
    pupa_names *parts;
    uint64_t *units;
    size_t n, cap;
} scope;

static int scope_doc(void *ctx, uint32_t doc)
{
    scope *sc = ctx;
    pupa_doc_rec d;
    uint32_t part;
    int rc = pupa_q_doc(sc->q, doc, &d);
    if (rc || !pupa_q_doc_passes(&d, sc->f))
        return rc;
    if ((rc = pupa_names_add(sc->parts, d.participant.s, d.participant.len, &part)) ||
        (rc = pupa_grow(&sc->units, &sc->cap, sc->n + 1, sizeof *sc->units)))
        return rc;
    sc->units[sc->n++] = (uint64_t)part << 32 | d.year;
    return 0;
}

/* Unit keys of every participant-year the filter admits (unsorted, with
 * repeats); participants interned into parts so ids agree with the facts'. */
static int crossref_scope(pupa_q *q, const pupa_filter *f, pupa_names *parts, uint64_t **units,
                          size_t *nunits)
{
    scope sc = {q, f, parts, NULL, 0, 0};
    int rc = pupa_q_docs(q, f, scope_doc, &sc);
    if (rc) {
        free(sc.units);
        sc.units = NULL;
        sc.n = 0;
    }
    *units = sc.units;
    *nunits = sc.n;
    return rc;
}

static int cmp_u64(const void *a, const void *b)
{
    uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
    return (x > y) - (x < y);
}

enum { X_A, X_B, X_BOTH, X_A_NOT_B, X_B_NOT_A, X_N };

/* Scope and neither: participant-years in scope with neither term.  any
 * holds the sorted unit keys with either term. */
static int crossref_neither(pupa_q *q, const pupa_filter *f, pupa_names *parts,
                            const uint64_t *any, size_t nany, pupa_crossref *out)
{
    uint64_t *units;
    size_t n;
    int rc = crossref_scope(q, f, parts, &units, &n);
    uint32_t *pids = malloc((n ? n : 1) * sizeof *pids), *npids = malloc((n ? n : 1) * sizeof *npids);
    if (!rc && (!pids || !npids))
        rc = pupa_fail(PUPA_ENOMEM, "out of memory");
    if (!rc) {
        if (n)
            qsort(units, n, sizeof *units, cmp_u64);
        size_t u = 0, k = 0, nn = 0;
        for (size_t i = 0; i < n; i++)
            if (!u || units[u - 1] != units[i])
                units[u++] = units[i];
        for (size_t i = 0; i < u; i++) {
            pids[i] = (uint32_t)(units[i] >> 32);
            while (k < nany && any[k] < units[i])
                k++;
            if (k == nany || any[k] != units[i])
                npids[nn++] = (uint32_t)(units[i] >> 32);
        }
        out->scope = (pupa_count){(uint32_t)u, count_distinct_u32(pids, u)};
        out->neither = (pupa_count){(uint32_t)nn, count_distinct_u32(npids, nn)};
    }
    free(pids);
    free(npids);
    free(units);
    return rc;
}

/* Counts per category from the facts, sorted by unit. */
static int crossref_count(const ufact *facts, size_t n, pupa_crossref *out, uint64_t **any,
                          size_t *nany)
{
    uint32_t *pids[X_N] = {0};
    size_t np[X_N] = {0};
    int rc = 0;
    *nany = 0;
    *any = malloc((n ? n : 1) * sizeof **any);
    for (int x = 0; x < X_N; x++)
        if (!(pids[x] = malloc((n ? n : 1) * sizeof *pids[x])))
            rc = pupa_fail(PUPA_ENOMEM, "out of memory");
    if (!*any)
        rc = pupa_fail(PUPA_ENOMEM, "out of memory");
    for (size_t s = 0, e; !rc && s < n; s = e) {
        unsigned bits = 0;
        for (e = s; e < n && facts[e].unit == facts[s].unit; e++)
            bits |= facts[e].bits;
        int a = term_holds(bits & 3), b = term_holds(bits >> 2 & 3);
        int in[X_N] = {a, b, a && b, a && !b, b && !a};
        for (int x = 0; x < X_N; x++)
            if (in[x])
                pids[x][np[x]++] = facts[s].participant;
        if (a || b)
            (*any)[(*nany)++] = facts[s].unit;
    }
    pupa_count *dst[X_N] = {&out->a, &out->b, &out->both, &out->a_not_b, &out->b_not_a};
    for (int x = 0; !rc && x < X_N; x++)
        *dst[x] = (pupa_count){(uint32_t)np[x], count_distinct_u32(pids[x], np[x])};
    for (int x = 0; x < X_N; x++)
        free(pids[x]);
    return rc;
}

int pupa_crossref_build(pupa_index *ix, int unit, const char *term_a, const char *term_b,
                        const pupa_filter *f, pupa_crossref *out)
{
    if (!ix || !f || !out)
        return pupa_fail(PUPA_EINVAL, "pupa_crossref_build: NULL argument");
    memset(out, 0, sizeof *out);
    term ta, tb;
    int rc = check_unit(unit);
    if (!rc && !(rc = term_parse(&ta, term_a)) && (rc = term_parse(&tb, term_b)))
        free(ta.family);
    if (rc)
        return rc;
    pupa_q q;
    if ((rc = pupa_q_begin(&q, ix))) {
        free(ta.family);
        free(tb.family);
        return rc;
    }
    collect c = {.q = &q, .f = f, .unit = unit};
    unsigned char *sel = calloc(q.cb.ncodes + 1, 1);
    uint32_t *bits = calloc(q.cb.ncodes + 1, sizeof *bits);
    uint64_t *any = NULL;
    size_t nany = 0;
    if (!sel || !bits)
        rc = pupa_fail(PUPA_ENOMEM, "out of memory");
    for (size_t i = 0; !rc && i < q.cb.ncodes; i++) {
        bits[i] = term_class(&ta, q.cb.codes[i]) | term_class(&tb, q.cb.codes[i]) << 2;
        sel[i] = bits[i] != 0;
    }
    c.bits = bits;
    if (!rc)
        rc = pupa_q_postings(&q, sel, f, collect_posting, &c);
    if (!rc) {
        if (c.n)
            qsort(c.facts, c.n, sizeof *c.facts, by_unit);
        rc = crossref_count(c.facts, c.n, out, &any, &nany);
    }
    if (!rc && unit == PUPA_UNIT_PARTICIPANT_YEAR)
        rc = crossref_neither(&q, f, &c.parts, any, nany, out);
    free(any);
    free(sel);
    free(bits);
    free(ta.family);
    free(tb.family);
    collect_free(&c);
    pupa_q_end(&q);
    if (rc)
        memset(out, 0, sizeof *out);
    return rc;
}

/* ------------------------------------------------------------- streaks */

void pupa_streaks_free(pupa_streaks *s)
{
    if (!s)
        return;
    for (size_t i = 0; i < s->n; i++) {
        free(s->items[i].participant);
        free(s->items[i].years);
        for (size_t g = 0; g < s->items[i].ngroups; g++)
            free(s->items[i].groups[g]);
        free(s->items[i].groups);
    }
    free(s->items);
    for (size_t i = 0; i < s->nvalues; i++)
        free(s->values[i]);
    free(s->values);
    free(s->per_value);
    free(s);
}

/* A participant-year: where its facts lie and whether the term holds. */
typedef struct pyear {
    uint32_t participant, year;
    size_t first, end; /* facts */
    int holds;
} pyear;

/* Interview years of a participant within the filter, ascending, unique. */
static int interview_years(pupa_q *q, const pupa_filter *f, const char *participant, int **years,
                           size_t *n)
{
    uint32_t *docs;
    size_t ndocs;
    *years = NULL;
    *n = 0;
    int rc = pupa_q_participant_docs(q, participant, &docs, &ndocs);
    if (!rc && !(*years = malloc((ndocs ? ndocs : 1) * sizeof **years)))
        rc = pupa_fail(PUPA_ENOMEM, "out of memory");
    for (size_t i = 0; !rc && i < ndocs; i++) {
        pupa_doc_rec d;
        if ((rc = pupa_q_doc(q, docs[i], &d)) || !pupa_q_doc_passes(&d, f))
            continue;
        /* Keys are in year order: a repeat is the previous one. */
        if (!*n || (*years)[*n - 1] != (int)d.year)
            (*years)[(*n)++] = (int)d.year;
    }
    free(docs);
    return rc;
}

/* The streak state of one participant: runs over her term years. */
typedef struct run_state {
    uint32_t longest, cur;
    int first, last, cur_first;
} run_state;

static void run_step(run_state *r, int year, int continues)
{
    r->cur = continues ? r->cur + 1 : 1;
    if (!continues)
        r->cur_first = year;
    if (r->cur > r->longest) {
        r->longest = r->cur;
        r->first = r->cur_first;
        r->last = year;
    }
}

/* Marks in in_run[k] the years (of py[0..n)) inside runs of min or more,
 * and computes the longest run.  With interview years iy, a run is broken
 * by an interview without the term; without, by a calendar gap. */
static void runs_of(const pyear *py, size_t n, const int *iy, size_t niy, int min,
                    unsigned char *in_run, run_state *r)
{
    memset(r, 0, sizeof *r);
    size_t start = 0; /* first term year of the current run */
    for (size_t k = 0; k < n; k++) {
        int cont = 0;
        if (k && py[k - 1].holds && py[k].holds) {
            if (!iy) {
                cont = py[k].year == py[k - 1].year + 1;
            } else {
                /* Consecutive when no interview year lies strictly between. */
                cont = 1;
                for (size_t j = 0; j < niy && cont; j++)
                    cont = !(iy[j] > (int)py[k - 1].year && iy[j] < (int)py[k].year);
            }
        }
        if (!py[k].holds)
            continue;
        if (!cont)
            start = k;
        run_step(r, (int)py[k].year, cont);
        if (r->cur >= (uint32_t)min)
            for (size_t j = start; j <= k; j++)
                in_run[j] = 1;
    }
}

typedef struct streak_acc {
    pupa_streaks *s;
    uint32_t *stamp_term, *stamp_run; /* participant + 1 last counted per value */
    size_t cap;
} streak_acc;

/* One participant's years py[0..n): her streak item and her counts. */
static int streak_participant(pupa_q *q, const pupa_streak_opts *o, const pupa_filter *f,
                              const collect *c, const pyear *py, size_t n, streak_acc *acc)
{
    int *iy = NULL;
    size_t niy = 0;
    int rc = 0, any = 0;
    for (size_t k = 0; k < n; k++)
        any |= py[k].holds;
    if (!any)
        return 0;
    const char *name = c->parts.v[py[0].participant];
    unsigned char *in_run = calloc(n, 1);
    if (!in_run)
        return pupa_fail(PUPA_ENOMEM, "out of memory");
    if (o->interviews && (rc = interview_years(q, f, name, &iy, &niy))) {
        free(in_run);
        return rc;
    }
    run_state r;
    runs_of(py, n, o->interviews ? iy : NULL, niy, o->min_years, in_run, &r);
    free(iy);
    pupa_streaks *s = acc->s;
    uint32_t stamp = py[0].participant + 1;
    s->with_term++;
    if (r.longest >= (uint32_t)o->min_years)
        s->with_run++;
    pupa_streak it = {0};
    size_t gcap = 0;
    for (size_t k = 0; !rc && k < n; k++)
        for (size_t i = py[k].first; !rc && i < py[k].end; i++) {
            uint32_t v = c->facts[i].value;
            if (py[k].holds && acc->stamp_term[v] != stamp) {
                acc->stamp_term[v] = stamp;
                s->per_value[v].units++;
            }
            if (in_run[k] && acc->stamp_run[v] != stamp) {
                acc->stamp_run[v] = stamp;
                s->per_value[v].individuals++;
                if (pupa_grow(&it.groups, &gcap, it.ngroups + 1, sizeof *it.groups) ||
                    !(it.groups[it.ngroups] = pupa_strdup(c->values.v[v])))
                    rc = pupa_fail(PUPA_ENOMEM, "out of memory");
                else
                    it.ngroups++;
            }
        }
    free(in_run);
    if (!rc && r.longest >= (uint32_t)o->min_years) {
        it.first = r.first;
        it.last = r.last;
        it.length = r.longest;
        if (!(it.participant = pupa_strdup(name)) ||
            !(it.years = malloc(n * sizeof *it.years)))
            rc = pupa_fail(PUPA_ENOMEM, "out of memory");
        for (size_t k = 0; !rc && k < n; k++)
            if (py[k].holds)
                it.years[it.nyears++] = (int)py[k].year;
        if (!rc && pupa_grow(&s->items, &acc->cap, s->n + 1, sizeof *s->items))
            rc = PUPA_ENOMEM;
        if (!rc) {
            s->items[s->n++] = it;
            return 0;
        }
    }
    free(it.participant);
    free(it.years);
    for (size_t g = 0; g < it.ngroups; g++)
        free(it.groups[g]);
    free(it.groups);
    return rc;
}

static int by_participant_name(const void *a, const void *b)
{
    return strcmp(((const pupa_streak *)a)->participant, ((const pupa_streak *)b)->participant);
}

/* Participant-years from facts sorted by unit (participant, year). */
static int pyears_of(const collect *c, pyear **out, size_t *n)
{
    size_t cap = 0;
    *out = NULL;
    *n = 0;
    for (size_t s = 0, e; s < c->n; s = e) {
        unsigned bits = 0;
        for (e = s; e < c->n && c->facts[e].unit == c->facts[s].unit; e++)
            bits |= c->facts[e].bits;
        if (pupa_grow(out, &cap, *n + 1, sizeof **out))
            return PUPA_ENOMEM;
        (*out)[(*n)++] = (pyear){c->facts[s].participant, c->facts[s].year, s, e, term_holds(bits)};
    }
    return 0;
}

static int streaks_run(pupa_q *q, const pupa_streak_opts *o, const pupa_filter *f, collect *c,
                       pupa_streaks *s)
{
    uint32_t *map = NULL;
    int rc = pupa_names_sort(&c->values, &map);
    if (rc)
        return rc;
    for (size_t i = 0; i < c->n; i++)
        c->facts[i].value = map[c->facts[i].value];
    free(map);
    if (c->n)
        qsort(c->facts, c->n, sizeof *c->facts, by_unit);
    pyear *py = NULL;
    size_t npy = 0;
    streak_acc acc = {s, calloc(c->values.n + 1, sizeof *acc.stamp_term),
                      calloc(c->values.n + 1, sizeof *acc.stamp_run), 0};
    s->per_value = calloc(c->values.n + 1, sizeof *s->per_value);
    if (!acc.stamp_term || !acc.stamp_run || !s->per_value)
        rc = pupa_fail(PUPA_ENOMEM, "out of memory");
    if (!rc)
        rc = pyears_of(c, &py, &npy);
    for (size_t a = 0, b; !rc && a < npy; a = b) {
        for (b = a + 1; b < npy && py[b].participant == py[a].participant; b++)
            ;
        rc = streak_participant(q, o, f, c, py + a, b - a, &acc);
    }
    if (!rc) {
        /* A value seen only on sibling codes of an only: term has no one. */
        for (size_t v = 0; v < c->values.n; v++) {
            if (!s->per_value[v].units) {
                free(c->values.v[v]);
                continue;
            }
            s->per_value[s->nvalues] = s->per_value[v];
            c->values.v[s->nvalues++] = c->values.v[v];
        }
        c->values.n = 0; /* the kept names move to s */
        s->values = pupa_names_take(&c->values);
        if (s->n)
            qsort(s->items, s->n, sizeof *s->items, by_participant_name);
    }
    free(py);
    free(acc.stamp_term);
    free(acc.stamp_run);
    return rc;
}

int pupa_streaks_find(pupa_index *ix, const pupa_streak_opts *o, const pupa_filter *f,
                      pupa_streaks **out)
{
    if (!ix || !o || !f || !out || o->min_years < 1)
        return pupa_fail(PUPA_EINVAL, "pupa_streaks_find: bad argument");
    *out = NULL;
    term t;
    int rc = term_parse(&t, o->term);
    pupa_q q;
    if (rc)
        return rc;
    if ((rc = pupa_q_begin(&q, ix))) {
        free(t.family);
        return rc;
    }
    collect c = {.q = &q, .f = f, .unit = PUPA_UNIT_PARTICIPANT_YEAR, .by = o->by ? o->by : "group"};
    unsigned char *sel = calloc(q.cb.ncodes + 1, 1);
    uint32_t *bits = calloc(q.cb.ncodes + 1, sizeof *bits);
    pupa_streaks *s = calloc(1, sizeof *s);
    if (!sel || !bits || !s)
        rc = pupa_fail(PUPA_ENOMEM, "out of memory");
    for (size_t i = 0; !rc && i < q.cb.ncodes; i++)
        sel[i] = (bits[i] = term_class(&t, q.cb.codes[i])) != 0;
    c.bits = bits;
    if (!rc)
        rc = pupa_q_postings(&q, sel, f, collect_posting, &c);
    if (!rc)
        rc = streaks_run(&q, o, f, &c, s);
    free(sel);
    free(bits);
    free(t.family);
    collect_free(&c);
    pupa_q_end(&q);
    if (rc) {
        pupa_streaks_free(s);
        return rc;
    }
    *out = s;
    return 0;
}

/* ------------------------------------------------------------ timeline */

void pupa_timeline_free(pupa_timeline *t)
{
    if (!t)
        return;
    for (size_t i = 0; i < t->nyears; i++) {
        free(t->years[i].group);
        free(t->years[i].age);
    }
    for (size_t i = 0; t->cells && i < t->nrows * t->nyears; i++) {
        pupa_timeline_cell *c = &t->cells[i];
        free(c->doc);
        free(c->code);
        free(c->entry);
        free(c->text);
    }
    for (size_t i = 0; i < t->nrows; i++)
        free(t->rows[i]);
    free(t->years);
    free(t->rows);
    free(t->cells);
    free(t);
}

typedef struct tdoc {
    uint32_t doc, year;
    pupa_str id;
} tdoc;

static int by_year_id(const void *a, const void *b)
{
    const tdoc *x = a, *y = b;
    if (x->year != y->year) return x->year < y->year ? -1 : 1;
    int c = pupa_str_cmp(x->id, y->id);
    return c ? c : (x->doc > y->doc) - (x->doc < y->doc);
}

/* One counted hit of the timeline, in output order. */
typedef struct tfact {
    uint32_t row, year, doc, turn, hit;
} tfact;

/* The participant's documents the filter admits, by year then id, and
 * her years with the group and age of each year's first document. */
static int timeline_docs(pupa_q *q, const char *participant, const pupa_filter *f,
                         pupa_timeline *t, tdoc **out, size_t *n)
{
    uint32_t *ids;
    size_t nids;
    *out = NULL;
    *n = 0;
    int rc = pupa_q_participant_docs(q, participant, &ids, &nids);
    if (rc)
        return rc;
    tdoc *docs = malloc((nids ? nids : 1) * sizeof *docs);
    t->years = calloc(nids + 1, sizeof *t->years);
    if (!docs || !t->years)
        rc = pupa_fail(PUPA_ENOMEM, "out of memory");
    for (size_t i = 0; !rc && i < nids; i++) {
        pupa_doc_rec d;
        if (!(rc = pupa_q_doc(q, ids[i], &d)) && pupa_q_doc_passes(&d, f))
            docs[(*n)++] = (tdoc){ids[i], d.year, d.id};
    }
    if (!rc && *n)
        qsort(docs, *n, sizeof *docs, by_year_id);
    for (size_t i = 0; !rc && i < *n; i++) {
        if (t->nyears && t->years[t->nyears - 1].year == (int)docs[i].year)
            continue;
        pupa_doc_rec d;
        if ((rc = pupa_q_doc(q, docs[i].doc, &d)))
            break;
        pupa_timeline_year *y = &t->years[t->nyears++];
        y->year = (int)d.year;
        y->group = d.group.s ? pupa_strndup(d.group.s, d.group.len) : NULL;
        y->age = d.age.s ? pupa_strndup(d.age.s, d.age.len) : NULL;
        if ((d.group.s && !y->group) || (d.age.s && !y->age))
            rc = pupa_fail(PUPA_ENOMEM, "out of memory");
    }
    free(ids);
    if (rc) {
        free(docs);
        return rc;
    }
    *out = docs;
    return 0;
}

typedef struct tcollect {
    pupa_q *q;
    const pupa_filter *f;
    const unsigned char *sel; /* per code: does f->code match it */
    int depth;
    uint32_t doc, year; /* the document being read, and its year's index */
    pupa_names *rows;
    tfact *facts;
    size_t n, cap;
} tcollect;

static int timeline_seg(void *ctx, uint32_t turn, const pupa_seg_rec *s)
{
    tcollect *tc = ctx;
    int rc = 0;
    if (!pupa_q_seg_passes(s, tc->f))
        return 0;
    for (uint32_t h = 0; !rc && h < s->nhits; h++) {
        pupa_hit_rec hr;
        uint32_t row;
        if ((rc = pupa_q_hit(tc->q, s, h, 0, &hr)))
            break;
        const char *code = tc->q->cb.codes[hr.code];
        if (!pupa_q_hit_counts(&hr, tc->f) || !tc->sel[hr.code])
            continue;
        if ((rc = pupa_names_add(tc->rows, code, pupa_code_prefix_len(code, tc->depth), &row)) ||
            (rc = pupa_grow(&tc->facts, &tc->cap, tc->n + 1, sizeof *tc->facts)))
            break;
        tc->facts[tc->n++] = (tfact){row, tc->year, tc->doc, turn, h};
    }
    return rc;
}

/* Facts of every counted hit under f->code in the documents, in order. */
static int timeline_facts(tcollect *tc, const pupa_timeline *t, const tdoc *docs, size_t ndocs)
{
    int rc = 0;
    tc->year = 0;
    for (size_t i = 0; !rc && i < ndocs; i++) {
        while (t->years[tc->year].year != (int)docs[i].year)
            tc->year++; /* both ascending, and every document's year is listed */
        tc->doc = docs[i].doc;
        rc = pupa_q_doc_segs(tc->q, docs[i].doc, 0, timeline_seg, tc);
    }
    return rc;
}

/* The cell's quote: the hit of x, copied out of the transaction. */
static int timeline_quote(pupa_q *q, const tfact *x, pupa_timeline_cell *c)
{
    pupa_doc_rec d;
    pupa_seg_rec s;
    pupa_hit_rec h;
    int rc;
    if ((rc = pupa_q_doc(q, x->doc, &d)) || (rc = pupa_q_seg(q, x->doc, x->turn, &s)) ||
        (rc = pupa_q_hit(q, &s, x->hit, 1, &h)))
        return rc;
    c->doc = pupa_strndup(d.id.s, d.id.len);
    c->code = pupa_strdup(q->cb.codes[h.code]);
    c->entry = pupa_strdup(q->cb.entries[h.entry]);
    c->text = pupa_strndup(s.text.s, s.text.len);
    c->text_len = s.text.len;
    c->segment = s.number;
    c->hit_start = h.start;
    c->hit_end = h.end;
    c->negated = h.negated;
    return c->doc && c->code && c->entry && c->text ? 0 : pupa_fail(PUPA_ENOMEM, "out of memory");
}

static int timeline_cells(pupa_q *q, pupa_timeline *t, const tfact *facts, size_t n, int quotes)
{
    size_t ncells = t->nrows * t->nyears;
    uint64_t *last = malloc((ncells ? ncells : 1) * sizeof *last); /* doc << 32 | turn, + 1 */
    t->cells = calloc(ncells + 1, sizeof *t->cells);
    if (!last || !t->cells) {
        free(last);
        return pupa_fail(PUPA_ENOMEM, "out of memory");
    }
    memset(last, 0, (ncells ? ncells : 1) * sizeof *last);
    int rc = 0;
    for (size_t i = 0; !rc && i < n; i++) {
        size_t k = (size_t)facts[i].row * t->nyears + facts[i].year;
        uint64_t seg = ((uint64_t)facts[i].doc << 32 | facts[i].turn) + 1;
        if (last[k] != seg)
            t->cells[k].comments++;
        last[k] = seg;
        if (quotes && !t->cells[k].doc)
            rc = timeline_quote(q, &facts[i], &t->cells[k]);
    }
    free(last);
    return rc;
}

int pupa_timeline_build(pupa_index *ix, const char *participant, int depth, int quotes,
                        const pupa_filter *f, pupa_timeline **out)
{
    if (!ix || !participant || !f || !out || depth < 1)
        return pupa_fail(PUPA_EINVAL, "pupa_timeline_build: bad argument");
    *out = NULL;
    pupa_q q;
    int rc = pupa_q_begin(&q, ix);
    if (rc)
        return rc;
    pupa_filter own = *f;
    own.participant = NULL; /* her keys are read already */
    pupa_timeline *t = calloc(1, sizeof *t);
    tdoc *docs = NULL;
    size_t ndocs = 0;
    pupa_names rows = {0};
    unsigned char *sel = pupa_q_code_sel(&q, own.code);
    tcollect tc = {.q = &q, .f = &own, .sel = sel, .depth = depth, .rows = &rows};
    uint32_t *map = NULL;
    if (!t || !sel)
        rc = pupa_fail(PUPA_ENOMEM, "out of memory");
    if (!rc)
        rc = timeline_docs(&q, participant, &own, t, &docs, &ndocs);
    if (!rc)
        rc = timeline_facts(&tc, t, docs, ndocs);
    if (!rc && !(rc = pupa_names_sort(&rows, &map))) {
        for (size_t i = 0; i < tc.n; i++)
            tc.facts[i].row = map[tc.facts[i].row];
        t->nrows = rows.n;
        t->rows = pupa_names_take(&rows);
        rc = timeline_cells(&q, t, tc.facts, tc.n, quotes);
    }
    free(map);
    free(sel);
    free(tc.facts);
    free(docs);
    pupa_names_free(&rows);
    pupa_q_end(&q);
    if (rc) {
        pupa_timeline_free(t);
        return rc;
    }
    *out = t;
    return 0;
}
