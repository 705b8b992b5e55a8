/*
 * query.c: answering questions from an index, never from the transcripts.
 *
 * Access paths (keys in index.c):
 *  - a code filter reads, for each code under the prefix, only its postings
 *    in the year range: [code, year_min] .. [code, year_max];
 *  - a participant filter, without a code, reads that participant's keys;
 *  - otherwise every document is visited.
 * The (doc, turn) pairs found are ordered by participant, year, document
 * id and turn, so output is the same whatever order documents were added.
 * Every record read is decoded through the bounds-checked readers of
 * index.c: a damaged index gives PUPA_ECORRUPT.
 */
#include "index.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void pupa_filter_init(pupa_filter *f)
{
    memset(f, 0, sizeof *f);
    f->lang = -1;
}

/* -------------------------------------------------------- small utils */

static int pstr_eq(pupa_str s, const char *z)
{
    return z && s.s && s.len == strlen(z) && memcmp(s.s, z, s.len) == 0;
}

static int pstr_cmp(pupa_str a, pupa_str b)
{
    size_t n = a.len < b.len ? a.len : b.len;
    int c = n ? memcmp(a.s, b.s, n) : 0;
    return c ? c : (a.len > b.len) - (a.len < b.len);
}

/* Code path prefix on "/" boundaries: "violence" covers "violence/physical"
 * but not "violent". */
static int code_under(const char *code, const char *prefix)
{
    size_t n = strlen(prefix);
    while (n && prefix[n - 1] == '/')
        n--;
    if (n == 0)
        return 1;
    return strncmp(code, prefix, n) == 0 && (code[n] == '\0' || code[n] == '/');
}

static int pstr_int(pupa_str s, int *out)
{
    if (!s.s || s.len == 0 || s.len > 9)
        return 0;
    int v = 0;
    for (uint32_t i = 0; i < s.len; i++) {
        if (s.s[i] < '0' || s.s[i] > '9')
            return 0;
        v = v * 10 + (s.s[i] - '0');
    }
    *out = v;
    return 1;
}

/* Document-level filters: everything but code, lang, speaker, negated. */
static int doc_passes(const pupa_doc_rec *d, const pupa_filter *f)
{
    if (f->year_min && (int)d->year < f->year_min) return 0;
    if (f->year_max && (int)d->year > f->year_max) return 0;
    if (f->participant && !pstr_eq(d->participant, f->participant)) return 0;
    if (f->group && !pstr_eq(d->group, f->group)) return 0;
    if (f->gender && !pstr_eq(d->gender, f->gender)) return 0;
    if (f->age_min || f->age_max) {
        int age;
        if (!pstr_int(d->age, &age)) return 0;
        if (f->age_min && age < f->age_min) return 0;
        if (f->age_max && age > f->age_max) return 0;
    }
    return 1;
}

static int seg_passes(const pupa_seg_rec *s, const pupa_filter *f)
{
    if (s->number == 0) return 0;
    if (f->lang >= 0 && s->lang != f->lang) return 0;
    if (f->speaker && !pstr_eq(s->speaker, f->speaker)) return 0;
    return 1;
}

/* ------------------------------------------------------ finding turns */

typedef struct turn_ref {
    uint32_t doc, turn;
} turn_ref;

typedef struct finder {
    MDB_txn *txn;
    const struct pupa_index *ix;
    pupa_codebook cb;
    turn_ref *refs;
    size_t nrefs, cap;
} finder;

static int add_ref(finder *fd, uint32_t doc, uint32_t turn)
{
    if (pupa_grow(&fd->refs, &fd->cap, fd->nrefs + 1, sizeof *fd->refs))
        return PUPA_ENOMEM;
    fd->refs[fd->nrefs++] = (turn_ref){doc, turn};
    return 0;
}

static int get_doc(finder *fd, uint32_t doc, pupa_doc_rec *d)
{
    unsigned char k[PUPA_DOC_KEY];
    pupa_put_u32(k, doc);
    MDB_val key = {sizeof k, k}, v;
    int rc = mdb_get(fd->txn, fd->ix->docs, &key, &v);
    if (rc)
        return rc == MDB_NOTFOUND ? pupa_fail(PUPA_ECORRUPT, "index: posting for a missing document")
                                  : pupa_lmdb_fail(rc, "index read");
    return pupa_doc_rec_decode(&v, d);
}

static int get_seg(finder *fd, uint32_t doc, uint32_t turn, pupa_seg_rec *s)
{
    unsigned char k[PUPA_SEG_KEY];
    pupa_put_u32(k, doc);
    pupa_put_u32(k + 4, turn);
    MDB_val key = {sizeof k, k}, v;
    int rc = mdb_get(fd->txn, fd->ix->segs, &key, &v);
    if (rc)
        return rc == MDB_NOTFOUND ? pupa_fail(PUPA_ECORRUPT, "index: posting for a missing segment")
                                  : pupa_lmdb_fail(rc, "index read");
    return pupa_seg_rec_decode(&v, s);
}

/* Turns with a posting of a code under f->code, within the year range. */
static int find_by_code(finder *fd, const pupa_filter *f)
{
    MDB_cursor *cur;
    int rc = mdb_cursor_open(fd->txn, fd->ix->postings, &cur);
    if (rc)
        return pupa_lmdb_fail(rc, "index read");
    for (size_t c = 0; !rc && c < fd->cb.ncodes; c++) {
        if (!code_under(fd->cb.codes[c], f->code))
            continue;
        unsigned char lo[6];
        pupa_put_u32(lo, (uint32_t)c);
        pupa_put_u16(lo + 4, (uint16_t)(f->year_min > 0 ? f->year_min : 0));
        MDB_val k = {sizeof lo, lo}, v;
        for (int g = mdb_cursor_get(cur, &k, &v, MDB_SET_RANGE); g == 0;
             g = mdb_cursor_get(cur, &k, &v, MDB_NEXT)) {
            if (k.mv_size != PUPA_POSTING_KEY || v.mv_size != 8) {
                rc = pupa_fail(PUPA_ECORRUPT, "index: damaged posting");
                break;
            }
            const unsigned char *p = k.mv_data;
            if (pupa_get_u32(p) != c)
                break;
            if (f->year_max && pupa_get_u16(p + 4) > f->year_max)
                break;
            const unsigned char *pv = v.mv_data;
            if (!pupa_get_u32(pv) && !(f->negated && pupa_get_u32(pv + 4)))
                continue;
            if ((rc = add_ref(fd, pupa_get_u32(p + 6), pupa_get_u32(p + 10))))
                break;
        }
    }
    mdb_cursor_close(cur);
    return rc;
}

static int add_doc_turns(finder *fd, uint32_t doc)
{
    pupa_doc_rec d;
    int rc = get_doc(fd, doc, &d);
    for (uint32_t t = 0; !rc && t < d.nturns; t++)
        rc = add_ref(fd, doc, t);
    return rc;
}

static int find_all(finder *fd, const pupa_filter *f)
{
    MDB_cursor *cur;
    int rc;
    if (f->participant) {
        if ((rc = mdb_cursor_open(fd->txn, fd->ix->participants, &cur)))
            return pupa_lmdb_fail(rc, "index read");
        size_t n = strlen(f->participant);
        char *lo = malloc(n + 1);
        if (!lo) {
            mdb_cursor_close(cur);
            return PUPA_ENOMEM;
        }
        memcpy(lo, f->participant, n + 1); /* participant then 0x00 */
        MDB_val k = {n + 1, lo}, v;
        rc = 0;
        for (int g = mdb_cursor_get(cur, &k, &v, MDB_SET_RANGE); !rc && g == 0;
             g = mdb_cursor_get(cur, &k, &v, MDB_NEXT)) {
            if (k.mv_size != n + 7 || memcmp(k.mv_data, lo, n + 1) != 0)
                break;
            rc = add_doc_turns(fd, pupa_get_u32((const unsigned char *)k.mv_data + n + 3));
        }
        free(lo);
        mdb_cursor_close(cur);
        return rc;
    }
    if ((rc = mdb_cursor_open(fd->txn, fd->ix->docs, &cur)))
        return pupa_lmdb_fail(rc, "index read");
    MDB_val k, v;
    for (int g = mdb_cursor_get(cur, &k, &v, MDB_FIRST); !rc && g == 0;
         g = mdb_cursor_get(cur, &k, &v, MDB_NEXT)) {
        if (k.mv_size != PUPA_DOC_KEY) {
            rc = pupa_fail(PUPA_ECORRUPT, "index: damaged document key");
            break;
        }
        rc = add_doc_turns(fd, pupa_get_u32(k.mv_data));
    }
    mdb_cursor_close(cur);
    return rc;
}

/* Sorting refs needs each doc's participant, year and id. */
typedef struct sort_ref {
    turn_ref r;
    pupa_str participant, id;
    uint32_t year;
} sort_ref;

static int by_attribution(const void *a, const void *b)
{
    const sort_ref *x = a, *y = b;
    int c = pstr_cmp(x->participant, y->participant);
    if (c) return c;
    if (x->year != y->year) return x->year < y->year ? -1 : 1;
    if ((c = pstr_cmp(x->id, y->id))) return c;
    if (x->r.turn != y->r.turn) return x->r.turn < y->r.turn ? -1 : 1;
    return 0;
}

static int same_ref(const sort_ref *a, const sort_ref *b)
{
    return a->r.doc == b->r.doc && a->r.turn == b->r.turn;
}

/* Finds the turns a filter selects, keeps those whose document passes,
 * and orders them; *out holds nrefs sort_refs valid for fd->txn. */
static int find_turns(finder *fd, const pupa_filter *f, sort_ref **out, size_t *nout)
{
    int rc = f->code ? find_by_code(fd, f) : find_all(fd, f);
    if (rc)
        return rc;
    sort_ref *s = malloc((fd->nrefs ? fd->nrefs : 1) * sizeof *s);
    if (!s)
        return pupa_fail(PUPA_ENOMEM, "out of memory");
    size_t n = 0;
    for (size_t i = 0; !rc && i < fd->nrefs; i++) {
        pupa_doc_rec d;
        if ((rc = get_doc(fd, fd->refs[i].doc, &d)))
            break;
        if (!doc_passes(&d, f))
            continue;
        s[n++] = (sort_ref){fd->refs[i], d.participant, d.id, d.year};
    }
    if (rc) {
        free(s);
        return rc;
    }
    qsort(s, n, sizeof *s, by_attribution);
    size_t u = 0;
    for (size_t i = 0; i < n; i++)
        if (!u || !same_ref(&s[u - 1], &s[i]))
            s[u++] = s[i];
    *out = s;
    *nout = u;
    return 0;
}

static int finder_begin(finder *fd, pupa_index *ix)
{
    memset(fd, 0, sizeof *fd);
    fd->ix = ix;
    int rc = mdb_txn_begin(ix->env, NULL, MDB_RDONLY, &fd->txn);
    if (rc)
        return pupa_lmdb_fail(rc, "index read");
    if ((rc = pupa_codebook_load(fd->txn, ix, &fd->cb))) {
        mdb_txn_abort(fd->txn);
        fd->txn = NULL;
    }
    return rc;
}

static void finder_end(finder *fd)
{
    if (fd->txn)
        mdb_txn_abort(fd->txn);
    pupa_codebook_free(&fd->cb);
    free(fd->refs);
}

/* -------------------------------------------------------------- quotes */

static char *pstr_dup(pupa_str s) { return s.s ? pupa_strndup(s.s, s.len) : NULL; }

int pupa_quotes(pupa_index *ix, const pupa_filter *f, int (*cb)(void *, const pupa_quote *),
                void *ctx)
{
    if (!ix || !f || !cb)
        return pupa_fail(PUPA_EINVAL, "pupa_quotes: NULL argument");
    finder fd;
    int rc = finder_begin(&fd, ix);
    if (rc)
        return rc;
    sort_ref *refs = NULL;
    size_t nrefs = 0, emitted = 0;
    rc = find_turns(&fd, f, &refs, &nrefs);
    int stop = 0;
    for (size_t i = 0; !rc && !stop && i < nrefs; i++) {
        pupa_doc_rec d;
        pupa_seg_rec s;
        if ((rc = get_doc(&fd, refs[i].r.doc, &d)) ||
            (rc = get_seg(&fd, refs[i].r.doc, refs[i].r.turn, &s)))
            break;
        if (!seg_passes(&s, f))
            continue;
        /* Callbacks get NUL-terminated copies, freed after each segment. */
        char *strs[8] = {pstr_dup(d.id), pstr_dup(d.participant), pstr_dup(d.group),
                         pstr_dup(d.gender), pstr_dup(d.age), pstr_dup(s.speaker),
                         pstr_dup(s.text)};
        if (!strs[0] || !strs[1] || !strs[6])
            rc = pupa_fail(PUPA_ENOMEM, "out of memory");
        for (uint32_t h = 0; !rc && !stop && h < s.nhits; h++) {
            pupa_hit_rec hr;
            if ((rc = pupa_seg_rec_hit(&s, h, &hr)))
                break;
            if (hr.code >= fd.cb.ncodes || hr.entry >= fd.cb.nentries) {
                rc = pupa_fail(PUPA_ECORRUPT, "index: hit of an unknown code");
                break;
            }
            if ((hr.negated && !f->negated) || (f->code && !code_under(fd.cb.codes[hr.code], f->code)))
                continue;
            pupa_quote q = {
                .doc = strs[0], .participant = strs[1], .group = strs[2], .gender = strs[3],
                .age = strs[4], .year = (int)d.year, .segment = s.number, .speaker = strs[5],
                .lang = s.lang, .text = strs[6], .text_len = s.text.len,
                .seg_start = s.start, .seg_end = s.end, .code = fd.cb.codes[hr.code],
                .entry = fd.cb.entries[hr.entry], .hit_start = hr.start, .hit_end = hr.end,
                .start = hr.fstart, .end = hr.fend, .negated = hr.negated,
            };
            if (cb(ctx, &q) || (f->limit && ++emitted >= f->limit))
                stop = 1;
        }
        for (size_t j = 0; j < 8; j++)
            free(strs[j]);
    }
    free(refs);
    finder_end(&fd);
    return rc;
}

/* --------------------------------------------------------------- tables */

/* One (row, column, participant, turn) fact; counted after sorting. */
typedef struct fact {
    uint32_t row, col, participant;
    turn_ref ref;
} fact;

static int by_row_col_participant(const void *a, const void *b)
{
    const fact *x = a, *y = b;
    if (x->row != y->row) return x->row < y->row ? -1 : 1;
    if (x->col != y->col) return x->col < y->col ? -1 : 1;
    if (x->participant != y->participant) return x->participant < y->participant ? -1 : 1;
    if (x->ref.doc != y->ref.doc) return x->ref.doc < y->ref.doc ? -1 : 1;
    return (x->ref.turn > y->ref.turn) - (x->ref.turn < y->ref.turn);
}

/* Interns s into a sorted-later list of names; returns its index. */
static int intern(char ***names, size_t *n, size_t *cap, const char *s, size_t len, uint32_t *out)
{
    for (size_t i = 0; i < *n; i++)
        if (strlen((*names)[i]) == len && memcmp((*names)[i], s, len) == 0) {
            *out = (uint32_t)i;
            return 0;
        }
    if (pupa_grow(names, cap, *n + 1, sizeof **names))
        return PUPA_ENOMEM;
    if (!((*names)[*n] = pupa_strndup(s, len)))
        return pupa_fail(PUPA_ENOMEM, "out of memory");
    *out = (uint32_t)(*n)++;
    return 0;
}

/* The first depth components of a code path. */
static size_t code_prefix_len(const char *code, int depth)
{
    size_t i = 0;
    for (int d = 0; code[i]; i++)
        if (code[i] == '/' && ++d == depth)
            break;
    return i;
}

static int cmp_names(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Sorts names and rewrites ids in facts through the permutation. */
static int sort_names(char **names, size_t n, fact *facts, size_t nfacts, int is_row)
{
    char **sorted = malloc((n ? n : 1) * sizeof *sorted);
    uint32_t *map = malloc((n ? n : 1) * sizeof *map);
    if (!sorted || !map) {
        free(sorted);
        free(map);
        return pupa_fail(PUPA_ENOMEM, "out of memory");
    }
    memcpy(sorted, names, n * sizeof *names);
    qsort(sorted, n, sizeof *sorted, cmp_names);
    for (size_t i = 0; i < n; i++)
        for (size_t j = 0; j < n; j++)
            if (names[i] == sorted[j]) {
                map[i] = (uint32_t)j;
                break;
            }
    for (size_t i = 0; i < nfacts; i++) {
        uint32_t *id = is_row ? &facts[i].row : &facts[i].col;
        *id = map[*id];
    }
    memcpy(names, sorted, n * sizeof *names);
    free(sorted);
    free(map);
    return 0;
}

static void count_cells(const fact *facts, size_t n, pupa_cell *cell_of, size_t ncols, int totals)
{
    /* Facts are sorted by row, col, participant, turn; totals ignore col. */
    for (size_t i = 0; i < n; i++) {
        const fact *f = &facts[i];
        pupa_cell *c = &cell_of[totals ? f->row : (size_t)f->row * ncols + f->col];
        int new_group = i == 0 || facts[i - 1].row != f->row || (!totals && facts[i - 1].col != f->col);
        if (new_group || facts[i - 1].participant != f->participant)
            c->individuals++;
        if (new_group || facts[i - 1].ref.doc != f->ref.doc || facts[i - 1].ref.turn != f->ref.turn ||
            facts[i - 1].participant != f->participant)
            c->comments++;
    }
}

void pupa_table_free(pupa_table *t)
{
    if (!t)
        return;
    for (size_t i = 0; i < t->nrows; i++)
        free(t->rows[i]);
    for (size_t i = 0; i < t->ncols; i++)
        free(t->cols[i]);
    free(t->rows);
    free(t->cols);
    free(t->cells);
    free(t->row_total);
    free(t);
}

static int by_row_participant(const void *a, const void *b)
{
    const fact *x = a, *y = b;
    if (x->row != y->row) return x->row < y->row ? -1 : 1;
    if (x->participant != y->participant) return x->participant < y->participant ? -1 : 1;
    if (x->ref.doc != y->ref.doc) return x->ref.doc < y->ref.doc ? -1 : 1;
    return (x->ref.turn > y->ref.turn) - (x->ref.turn < y->ref.turn);
}

int pupa_table_build(pupa_index *ix, int depth, const char *column_key, const pupa_filter *f,
                     pupa_table **out)
{
    if (!ix || !column_key || !f || !out || depth < 1)
        return pupa_fail(PUPA_EINVAL, "pupa_table_build: bad argument");
    *out = NULL;
    finder fd;
    int rc = finder_begin(&fd, ix);
    if (rc)
        return rc;
    pupa_table *t = calloc(1, sizeof *t);
    fact *facts = NULL;
    size_t nfacts = 0, facts_cap = 0, rows_cap = 0, cols_cap = 0, parts_cap = 0, nparts = 0;
    char **parts = NULL;
    sort_ref *refs = NULL;
    size_t nrefs = 0;
    pupa_filter all = *f;
    if (!all.code)
        all.code = ""; /* every code: read postings, not every turn */
    if (!t)
        rc = pupa_fail(PUPA_ENOMEM, "out of memory");
    if (!rc)
        rc = find_turns(&fd, &all, &refs, &nrefs);
    int by_year = strcmp(column_key, "year") == 0;
    for (size_t i = 0; !rc && i < nrefs; i++) {
        pupa_doc_rec d;
        pupa_seg_rec s;
        if ((rc = get_doc(&fd, refs[i].r.doc, &d)) ||
            (rc = get_seg(&fd, refs[i].r.doc, refs[i].r.turn, &s)))
            break;
        if (!seg_passes(&s, f))
            continue;
        char yearbuf[16];
        pupa_str colv = by_year ? (pupa_str){yearbuf, (uint32_t)snprintf(yearbuf, sizeof yearbuf, "%u", d.year)}
                                : pupa_doc_rec_meta(&d, column_key);
        if (!colv.s)
            colv = (pupa_str){"(none)", 6};
        uint32_t col, part;
        if ((rc = intern(&t->cols, &t->ncols, &cols_cap, colv.s, colv.len, &col)) ||
            (rc = intern(&parts, &nparts, &parts_cap, d.participant.s, d.participant.len, &part)))
            break;
        for (uint32_t h = 0; !rc && h < s.nhits; h++) {
            pupa_hit_rec hr;
            if ((rc = pupa_seg_rec_hit(&s, h, &hr)))
                break;
            if (hr.code >= fd.cb.ncodes) {
                rc = pupa_fail(PUPA_ECORRUPT, "index: hit of an unknown code");
                break;
            }
            const char *code = fd.cb.codes[hr.code];
            if ((hr.negated && !f->negated) || (f->code && !code_under(code, f->code)))
                continue;
            uint32_t row;
            if ((rc = intern(&t->rows, &t->nrows, &rows_cap, code, code_prefix_len(code, depth), &row)) ||
                (rc = pupa_grow(&facts, &facts_cap, nfacts + 1, sizeof *facts)))
                break;
            facts[nfacts++] = (fact){row, col, part, refs[i].r};
        }
    }
    if (!rc)
        rc = sort_names(t->rows, t->nrows, facts, nfacts, 1);
    if (!rc)
        rc = sort_names(t->cols, t->ncols, facts, nfacts, 0);
    if (!rc) {
        t->cells = calloc(t->nrows * t->ncols + 1, sizeof *t->cells);
        t->row_total = calloc(t->nrows + 1, sizeof *t->row_total);
        if (!t->cells || !t->row_total)
            rc = pupa_fail(PUPA_ENOMEM, "out of memory");
    }
    if (!rc) {
        qsort(facts, nfacts, sizeof *facts, by_row_col_participant);
        count_cells(facts, nfacts, t->cells, t->ncols, 0);
        qsort(facts, nfacts, sizeof *facts, by_row_participant);
        count_cells(facts, nfacts, t->row_total, t->ncols, 1);
    }
    for (size_t i = 0; i < nparts; i++)
        free(parts[i]);
    free(parts);
    free(facts);
    free(refs);
    finder_end(&fd);
    if (rc) {
        pupa_table_free(t);
        return rc;
    }
    *out = t;
    return 0;
}
