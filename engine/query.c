/*
 * query.c: answering questions from an index, never from the transcripts:
 * the access paths, filters and code patterns every query shares
 * (query.h), quotes, and tables.  analysis.c builds co-occurrence,
 * cross-references, streaks and timelines on the same helpers.
 *
 * Access paths (keys in index.c):
 *  - a participant filter reads only that participant's keys
 *    (participants: participant 0x00 year doc), then her documents' turns;
 *  - otherwise a code filter reads, for each code the pattern matches,
 *    only its postings in the year range: [code, year_min] .. [code, year_max];
 *    a table always takes this path (every code when no pattern is given),
 *    since a turn without a posting has nothing to count; quotes take from
 *    them only the documents, and read those in output order
 *    (pupa_q_turns_by_document);
 *  - otherwise every participant's keys are read, a participant at a
 *    time (pupa_q_turns_by_participant).
 * Quotes read no further than --limit needs.
 * The (doc, turn) pairs found are ordered by participant, year, document
 * id and turn, so output is the same whatever order documents were added.
 * Every record read is decoded through the bounds-checked readers of
 * index.c: a damaged index gives PUPA_ECORRUPT.
 */
#include "query.h"

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

int pupa_str_cmp(pupa_str a, pupa_str b)
{
    size_t n = a.len < b.len ? a.len : b.len;
    int c = n ? memcmp(a.s, b.s, n) : 0;
    return c ? c : (a.len > b.len) - (a.len < b.len);
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

static char *pstr_dup(pupa_str s) { return s.s ? pupa_strndup(s.s, s.len) : NULL; }

/* ------------------------------------------------------ code patterns */

/* One pattern component ("*", "a" or "a,b,c") against one code component. */
static int component_match(const char *c, size_t clen, const char *p, size_t plen)
{
    if (plen == 1 && p[0] == '*')
        return 1;
    while (plen) {
        const char *comma = memchr(p, ',', plen);
        size_t n = comma ? (size_t)(comma - p) : plen;
        if (n == clen && memcmp(c, p, n) == 0)
            return 1;
        p += n;
        plen -= n;
        if (comma) {
            p++;
            plen--;
        }
    }
    return 0;
}

int pupa_code_match(const char *code, const char *pattern)
{
    if (!pattern)
        return 1;
    const char *p = pattern, *c = code;
    for (;;) {
        while (*p == '/')
            p++;
        if (!*p)
            return 1;
        if (!*c)
            return 0; /* the code is shorter than the pattern */
        size_t plen = strcspn(p, "/"), clen = strcspn(c, "/");
        if (!component_match(c, clen, p, plen))
            return 0;
        p += plen;
        c += clen;
        if (*c == '/')
            c++;
    }
}

size_t pupa_code_prefix_len(const char *code, int depth)
{
    size_t i = 0;
    for (int d = 0; code[i]; i++)
        if (code[i] == '/' && ++d == depth)
            break;
    return i;
}

const char *pupa_code_component(const char *code, int level, size_t *len)
{
    const char *c = code;
    for (int l = 1; l < level && *c; l++) {
        c += strcspn(c, "/");
        if (*c == '/')
            c++;
    }
    *len = level >= 1 ? strcspn(c, "/") : 0;
    return c;
}

/* ------------------------------------------------------------ filters */

pupa_str pupa_q_doc_value(const pupa_doc_rec *d, const char *key, char *buf, size_t cap)
{
    if (!strcmp(key, "year")) {
        int n = snprintf(buf, cap, "%u", d->year);
        return (pupa_str){buf, (uint32_t)(n > 0 && (size_t)n < cap ? n : 0)};
    }
    if (!strcmp(key, "participant"))
        return d->participant;
    return pupa_doc_rec_meta(d, key);
}

/* Same key: any value; different keys: all of them. */
static int where_passes(const pupa_doc_rec *d, const pupa_filter *f)
{
    char buf[16];
    for (size_t i = 0; i < f->nwhere; i++) {
        const char *key = f->where[i].key;
        int seen = 0, ok = 0;
        for (size_t j = 0; j < i && !seen; j++)
            seen = !strcmp(f->where[j].key, key);
        if (seen)
            continue; /* decided with the key's first occurrence */
        pupa_str v = pupa_q_doc_value(d, key, buf, sizeof buf);
        for (size_t j = i; j < f->nwhere && !ok; j++)
            ok = !strcmp(f->where[j].key, key) && pstr_eq(v, f->where[j].value);
        if (!ok)
            return 0;
    }
    return 1;
}

int pupa_q_doc_passes(const pupa_doc_rec *d, const pupa_filter *f)
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
    return where_passes(d, f);
}

int pupa_q_seg_passes(const pupa_seg_rec *s, const pupa_filter *f)
{
    if (s->number == 0) return 0;
    if (f->lang >= 0 && s->lang != f->lang) return 0;
    if (f->speaker && !pstr_eq(s->speaker, f->speaker)) return 0;
    return 1;
}

int pupa_q_hit_counts(const pupa_hit_rec *h, const pupa_filter *f)
{
    return !h->negated || f->negated;
}

/* -------------------------------------------------------- transaction */

int pupa_q_begin(pupa_q *q, pupa_index *ix)
{
    memset(q, 0, sizeof *q);
    q->ix = ix;
    int rc = mdb_txn_begin(ix->env, NULL, MDB_RDONLY, &q->txn);
    if (rc) {
        q->txn = NULL;
        return pupa_lmdb_fail(rc, "index read");
    }
    if ((rc = pupa_codebook_load(q->txn, ix, &q->cb))) {
        mdb_txn_abort(q->txn);
        q->txn = NULL;
    }
    return rc;
}

void pupa_q_end(pupa_q *q)
{
    if (q->txn)
        mdb_txn_abort(q->txn);
    q->txn = NULL;
    pupa_codebook_free(&q->cb);
}

unsigned char *pupa_q_code_sel(const pupa_q *q, const char *pattern)
{
    unsigned char *sel = calloc(q->cb.ncodes + 1, 1);
    if (!sel) {
        pupa_fail(PUPA_ENOMEM, "out of memory");
        return NULL;
    }
    for (size_t c = 0; c < q->cb.ncodes; c++)
        sel[c] = (unsigned char)pupa_code_match(q->cb.codes[c], pattern);
    return sel;
}

int pupa_q_doc(pupa_q *q, uint32_t doc, pupa_doc_rec *d)
{
    unsigned char k[PUPA_DOC_KEY];
    pupa_put_u32(k, doc);
    MDB_val key = {sizeof k, k}, v;
    int rc = mdb_get(q->txn, q->ix->docs, &key, &v);
    if (rc)
        return rc == MDB_NOTFOUND ? pupa_fail(PUPA_ECORRUPT, "index: posting for a missing document")
                                  : pupa_lmdb_fail(rc, "index read");
    return pupa_doc_rec_decode(&v, d);
}

/* The turns record of doc; NOTFOUND as LMDB says it (callers differ). */
static int read_turns(pupa_q *q, uint32_t doc, pupa_turns *t)
{
    unsigned char k[PUPA_DOC_KEY];
    pupa_put_u32(k, doc);
    MDB_val key = {sizeof k, k}, v;
    int rc = mdb_get(q->txn, q->ix->segs, &key, &v);
    if (rc)
        return rc == MDB_NOTFOUND ? MDB_NOTFOUND : pupa_lmdb_fail(rc, "index read");
    return pupa_turns_decode(&v, t);
}

int pupa_q_seg(pupa_q *q, uint32_t doc, uint32_t turn, pupa_seg_rec *s)
{
    if (!q->have_turns || q->turns_doc != doc) {
        q->have_turns = 0;
        int rc = read_turns(q, doc, &q->turns);
        if (rc == MDB_NOTFOUND)
            return pupa_fail(PUPA_ECORRUPT, "index: posting for a missing segment");
        if (rc)
            return rc;
        q->turns_doc = doc;
        q->have_turns = 1;
    }
    if (turn >= q->turns.n)
        return pupa_fail(PUPA_ECORRUPT, "index: posting for a missing segment");
    return pupa_turns_get(&q->turns, turn, s);
}

int pupa_q_hit(pupa_q *q, const pupa_seg_rec *s, uint32_t i, int with_entry, pupa_hit_rec *h)
{
    int rc = pupa_seg_rec_hit(s, i, h);
    if (!rc && (h->code >= q->cb.ncodes || (with_entry && h->entry >= q->cb.nentries)))
        rc = pupa_fail(PUPA_ECORRUPT, "index: hit of an unknown code or entry");
    return rc;
}

/* ------------------------------------------------------- access paths */

int pupa_q_postings(pupa_q *q, const unsigned char *sel, const pupa_filter *f,
                    pupa_posting_fn fn, void *ctx)
{
    /* Years are u16 in keys: a range beyond it selects nothing. */
    if (f->year_min > 0xFFFF || (f->year_max && f->year_max < f->year_min))
        return 0;
    MDB_cursor *cur;
    int rc = mdb_cursor_open(q->txn, q->ix->postings, &cur);
    if (rc)
        return pupa_lmdb_fail(rc, "index read");
    for (size_t c = 0; !rc && c < q->cb.ncodes; c++) {
        if (!sel[c])
            continue;
        unsigned char lo[6];
        pupa_put_u32(lo, (uint32_t)c);
        pupa_put_u16(lo + 4, (uint16_t)(f->year_min > 0 ? f->year_min : 0));
        MDB_val k = {sizeof lo, lo}, v;
        int g;
        for (g = mdb_cursor_get(cur, &k, &v, MDB_SET_RANGE); !rc && g == 0;
             g = mdb_cursor_get(cur, &k, &v, MDB_NEXT)) {
            pupa_posting_block b;
            if ((rc = pupa_posting_block_decode(&k, &v, &b)))
                break;
            if (b.code != c || (f->year_max && (int)b.year > f->year_max))
                break; /* past this code's keys in the range */
            for (size_t i = 0; !rc && i < b.n; i++) {
                pupa_posting_rec r = pupa_posting_at(&b, i);
                if (r.counted || (f->negated && r.negated))
                    rc = fn(ctx, (uint32_t)c, b.year, r.doc, r.turn);
            }
        }
        if (!rc && g && g != MDB_NOTFOUND)
            rc = pupa_lmdb_fail(g, "index read");
    }
    mdb_cursor_close(cur);
    return rc;
}

int pupa_q_doc_segs(pupa_q *q, uint32_t doc, uint32_t from, pupa_seg_fn fn, void *ctx)
{
    pupa_turns t;
    int rc = read_turns(q, doc, &t);
    if (rc == MDB_NOTFOUND)
        return 0;
    for (uint32_t i = from; !rc && i < t.n; i++) {
        pupa_seg_rec s;
        if (!(rc = pupa_turns_get(&t, i, &s)))
            rc = fn(ctx, i, &s);
    }
    return rc > 0 ? 0 : rc;
}

/* A participants key: participant, 0x00, u16 year, u32 doc.  No
 * participant holds 0x00, so the keys sort as her name does (pupa_str_cmp)
 * and each key with "name 0x00" before it is hers. */
typedef struct participant_doc {
    pupa_str who;
    uint32_t year, doc;
} participant_doc;

static int participant_key(const MDB_val *k, participant_doc *pd)
{
    const char *key = k->mv_data;
    size_t len = k->mv_size >= 7 ? k->mv_size - 7 : 0;
    if (k->mv_size < 7 || key[len] != 0 || memchr(key, 0, len))
        return pupa_fail(PUPA_ECORRUPT, "index: damaged participant key");
    pd->who = (pupa_str){key, (uint32_t)len}; /* LMDB keys are at most 511 bytes */
    pd->year = pupa_get_u16((const unsigned char *)key + len + 1);
    pd->doc = pupa_get_u32((const unsigned char *)key + len + 3);
    return 0;
}

/* A key's document must be hers and of the key's year, as the build wrote
 * it: her keys are read in their order, which is the year order her
 * timeline and streaks rely on, and a document under a second key (another
 * year: the same year is the same key) would be counted twice in her
 * tables.  Such damage is reported, never answered from. */
static int key_names_doc(const participant_doc *pd, const pupa_doc_rec *d)
{
    if (pupa_str_cmp(d->participant, pd->who) != 0 || (uint16_t)d->year != pd->year)
        return pupa_fail(PUPA_ECORRUPT, "index: a participant key names another's document");
    return 0;
}

int pupa_q_participant_docs(pupa_q *q, const char *participant, uint32_t **docs, size_t *n)
{
    *docs = NULL;
    *n = 0;
    MDB_cursor *cur;
    int rc = mdb_cursor_open(q->txn, q->ix->participants, &cur);
    if (rc)
        return pupa_lmdb_fail(rc, "index read");
    size_t len = strlen(participant), cap = 0;
    MDB_val k = {len + 1, (void *)participant}, v; /* participant then 0x00 */
    int g;
    for (g = mdb_cursor_get(cur, &k, &v, MDB_SET_RANGE); !rc && g == 0;
         g = mdb_cursor_get(cur, &k, &v, MDB_NEXT)) {
        if (k.mv_size < len + 1 || memcmp(k.mv_data, participant, len + 1) != 0)
            break; /* past her keys */
        participant_doc pd = {{NULL, 0}, 0, 0};
        pupa_doc_rec d;
        if ((rc = participant_key(&k, &pd)) || (rc = pupa_q_doc(q, pd.doc, &d)) ||
            (rc = key_names_doc(&pd, &d)))
            break;
        if (pupa_grow(docs, &cap, *n + 1, sizeof **docs))
            rc = PUPA_ENOMEM;
        else
            (*docs)[(*n)++] = pd.doc;
    }
    if (!rc && g && g != MDB_NOTFOUND)
        rc = pupa_lmdb_fail(g, "index read");
    mdb_cursor_close(cur);
    if (rc) {
        free(*docs);
        *docs = NULL;
        *n = 0;
    }
    return rc;
}

/* Turns kept for output; their strings point into the read transaction,
 * which outlives the list. */
typedef struct turn_list {
    pupa_q *q;
    const pupa_filter *f;
    pupa_q_ref *refs;
    size_t n, cap;
} turn_list;

/* Keeps a turn whose document passes the filter. */
static int add_turn(turn_list *tl, const pupa_doc_rec *d, uint32_t doc, uint32_t turn)
{
    if (!pupa_q_doc_passes(d, tl->f))
        return 0;
    if (pupa_grow(&tl->refs, &tl->cap, tl->n + 1, sizeof *tl->refs))
        return PUPA_ENOMEM;
    tl->refs[tl->n++] = (pupa_q_ref){doc, turn, d->year, d->participant, d->id};
    return 0;
}

typedef struct doc_turns {
    turn_list *tl;
    pupa_doc_rec d;
    uint32_t doc;
} doc_turns;

/* A participant's turn with hits: a turn without any gives no quote and
 * counts in no table, so it is neither kept nor sorted (with a codebook's
 * few hits, most turns). */
static int add_seg(void *ctx, uint32_t turn, const pupa_seg_rec *s)
{
    doc_turns *dt = ctx;
    return s->number && s->nhits ? add_turn(dt->tl, &dt->d, dt->doc, turn) : 0;
}

/* The turns with hits of a participants key's document, which must be
 * what the key says (key_names_doc), or the output order would not hold. */
static int add_key_turns(turn_list *tl, const participant_doc *key)
{
    doc_turns dt = {tl, {0}, key->doc};
    int rc = pupa_q_doc(tl->q, key->doc, &dt.d);
    if (!rc)
        rc = key_names_doc(key, &dt.d);
    if (rc || !pupa_q_doc_passes(&dt.d, tl->f))
        return rc;
    return pupa_q_doc_segs(tl->q, key->doc, 0, add_seg, &dt);
}

int pupa_q_docs(pupa_q *q, const pupa_filter *f, pupa_docid_fn fn, void *ctx)
{
    if (f->participant) {
        uint32_t *docs;
        size_t n;
        int rc = pupa_q_participant_docs(q, f->participant, &docs, &n);
        for (size_t i = 0; !rc && i < n; i++)
            rc = fn(ctx, docs[i]);
        free(docs);
        return rc > 0 ? 0 : rc;
    }
    MDB_cursor *cur;
    int rc = mdb_cursor_open(q->txn, q->ix->docs, &cur);
    if (rc)
        return pupa_lmdb_fail(rc, "index read");
    MDB_val k, v;
    int g;
    for (g = mdb_cursor_get(cur, &k, &v, MDB_FIRST); !rc && g == 0;
         g = mdb_cursor_get(cur, &k, &v, MDB_NEXT)) {
        if (k.mv_size != PUPA_DOC_KEY) {
            rc = pupa_fail(PUPA_ECORRUPT, "index: damaged document key");
            break;
        }
        rc = fn(ctx, pupa_get_u32(k.mv_data));
    }
    if (!rc && g && g != MDB_NOTFOUND)
        rc = pupa_lmdb_fail(g, "index read");
    mdb_cursor_close(cur);
    return rc > 0 ? 0 : rc;
}

static int by_attribution(const void *a, const void *b)
{
    const pupa_q_ref *x = a, *y = b;
    int c = pupa_str_cmp(x->participant, y->participant);
    if (c) return c;
    if (x->year != y->year) return x->year < y->year ? -1 : 1;
    if ((c = pupa_str_cmp(x->id, y->id))) return c;
    if (x->doc != y->doc) return x->doc < y->doc ? -1 : 1;
    return (x->turn > y->turn) - (x->turn < y->turn);
}

typedef struct participant_walk {
    turn_list tl;
    participant_doc *keys; /* the current participant's */
    size_t nkeys, cap;
    size_t nread;          /* keys read in all */
    pupa_refs_fn fn;
    void *ctx;
} participant_walk;

/* One participant's turns, from her documents' turns records, to fn in
 * output order.  Each key's document checked (key_names_doc), no turn
 * is read twice. */
static int walk_flush(participant_walk *w)
{
    w->tl.n = 0;
    int rc = 0;
    for (size_t i = 0; !rc && i < w->nkeys; i++)
        rc = add_key_turns(&w->tl, &w->keys[i]);
    w->nkeys = 0;
    if (rc || !w->tl.n)
        return rc;
    qsort(w->tl.refs, w->tl.n, sizeof *w->tl.refs, by_attribution);
    return w->fn(w->ctx, w->tl.refs, w->tl.n);
}

int pupa_q_turns_by_participant(pupa_q *q, const pupa_filter *f, pupa_refs_fn fn, void *ctx)
{
    participant_walk w = {{q, f, NULL, 0, 0}, NULL, 0, 0, 0, fn, ctx};
    MDB_cursor *cur;
    int rc = mdb_cursor_open(q->txn, q->ix->participants, &cur);
    if (rc)
        return pupa_lmdb_fail(rc, "index read");
    size_t plen = f->participant ? strlen(f->participant) : 0;
    MDB_val k = {plen + 1, (void *)f->participant}, v; /* her name then 0x00 */
    int g;
    for (g = mdb_cursor_get(cur, &k, &v, f->participant ? MDB_SET_RANGE : MDB_FIRST);
         !rc && g == 0; g = mdb_cursor_get(cur, &k, &v, MDB_NEXT)) {
        participant_doc pd = {{NULL, 0}, 0, 0};
        if ((rc = participant_key(&k, &pd)))
            break;
        if (f->participant && (pd.who.len != plen || memcmp(pd.who.s, f->participant, plen) != 0))
            break; /* past her keys */
        if (w.nkeys && pupa_str_cmp(pd.who, w.keys[0].who) != 0 && (rc = walk_flush(&w)))
            break;
        w.nread++;
        if (pupa_grow(&w.keys, &w.cap, w.nkeys + 1, sizeof *w.keys))
            rc = PUPA_ENOMEM;
        else
            w.keys[w.nkeys++] = pd;
    }
    if (!rc && g && g != MDB_NOTFOUND)
        rc = pupa_lmdb_fail(g, "index read");
    mdb_cursor_close(cur);
    if (!rc && w.nkeys)
        rc = walk_flush(&w);
    /* Every participant read to the end: one key a document, or a
     * document would be left out without a word (no document is under two
     * keys: walk_flush). */
    if (!rc && !f->participant) {
        MDB_stat docs;
        if ((rc = mdb_stat(q->txn, q->ix->docs, &docs)))
            rc = pupa_lmdb_fail(rc, "index read");
        else if (docs.ms_entries != w.nread)
            rc = pupa_fail(PUPA_ECORRUPT, "index: %zu participant keys for %zu documents",
                           w.nread, (size_t)docs.ms_entries);
    }
    free(w.keys);
    free(w.tl.refs);
    return rc > 0 ? 0 : rc;
}

typedef struct ref_array {
    pupa_q_ref *v;
    size_t n, cap;
} ref_array;

static int append_refs(void *ctx, const pupa_q_ref *refs, size_t n)
{
    ref_array *a = ctx;
    if (pupa_grow(&a->v, &a->cap, a->n + n, sizeof *a->v))
        return PUPA_ENOMEM;
    memcpy(a->v + a->n, refs, n * sizeof *refs);
    a->n += n;
    return 0;
}

int pupa_q_turns(pupa_q *q, const pupa_filter *f, pupa_q_ref **out, size_t *nout)
{
    ref_array a = {NULL, 0, 0};
    int rc = pupa_q_turns_by_participant(q, f, append_refs, &a);
    if (rc)
        free(a.v);
    *out = rc ? NULL : a.v;
    *nout = rc ? 0 : a.n;
    return rc;
}

static int sort_u64(uint64_t *v, size_t n);

/* The (document, turn) pairs of postings, as doc << 32 | turn. */
typedef struct turn_pairs {
    uint64_t *v;
    size_t n, cap;
} turn_pairs;

static int note_pair(void *ctx, uint32_t code, uint32_t year, uint32_t doc, uint32_t turn)
{
    (void)code;
    (void)year;
    turn_pairs *tp = ctx;
    if (pupa_grow(&tp->v, &tp->cap, tp->n + 1, sizeof *tp->v))
        return PUPA_ENOMEM;
    tp->v[tp->n++] = (uint64_t)doc << 32 | turn;
    return 0;
}

/* A document that passes the filter, and where its pairs start. */
typedef struct doc_pairs {
    pupa_q_ref ref; /* turn unused */
    size_t first, n;
} doc_pairs;

static int by_doc_attribution(const void *a, const void *b)
{
    return by_attribution(&((const doc_pairs *)a)->ref, &((const doc_pairs *)b)->ref);
}

int pupa_q_turns_by_document(pupa_q *q, const unsigned char *sel, const pupa_filter *f,
                             pupa_refs_fn fn, void *ctx)
{
    /* 8 bytes a posting, radix-sorted: (doc, turn) order, repeats
     * together (a turn posted under several codes). */
    turn_pairs tp = {NULL, 0, 0};
    int rc = pupa_q_postings(q, sel, f, note_pair, &tp);
    if (!rc)
        rc = sort_u64(tp.v, tp.n);
    doc_pairs *docs = NULL;
    size_t ndocs = 0, cap = 0;
    for (size_t i = 0; !rc && i < tp.n;) {
        uint32_t doc = (uint32_t)(tp.v[i] >> 32);
        size_t first = i;
        while (i < tp.n && (uint32_t)(tp.v[i] >> 32) == doc)
            i++;
        pupa_doc_rec d;
        if ((rc = pupa_q_doc(q, doc, &d)) || !pupa_q_doc_passes(&d, f))
            continue;
        if (pupa_grow(&docs, &cap, ndocs + 1, sizeof *docs))
            rc = PUPA_ENOMEM;
        else
            docs[ndocs++] = (doc_pairs){{doc, 0, d.year, d.participant, d.id}, first, i - first};
    }
    /* Documents in output order; a document's turns follow in turn order. */
    if (!rc && ndocs > 1)
        qsort(docs, ndocs, sizeof *docs, by_doc_attribution);
    pupa_q_ref *refs = NULL;
    size_t rcap = 0;
    for (size_t k = 0; !rc && k < ndocs; k++) {
        const doc_pairs *dp = &docs[k];
        if (pupa_grow(&refs, &rcap, dp->n, sizeof *refs)) {
            rc = PUPA_ENOMEM;
            break;
        }
        size_t n = 0;
        for (size_t i = dp->first; i < dp->first + dp->n; i++) {
            uint32_t turn = (uint32_t)tp.v[i];
            if (!n || refs[n - 1].turn != turn) {
                refs[n] = dp->ref;
                refs[n++].turn = turn;
            }
        }
        rc = fn(ctx, refs, n);
    }
    free(refs);
    free(docs);
    free(tp.v);
    return rc > 0 ? 0 : rc;
}

/* -------------------------------------------------------------- names */

static int names_rehash(pupa_names *s, size_t nslots)
{
    uint32_t *slots = calloc(nslots, sizeof *slots);
    if (!slots)
        return pupa_fail(PUPA_ENOMEM, "out of memory");
    for (size_t i = 0; i < s->n; i++) {
        size_t h = (size_t)pupa_hash(PUPA_HASH_INIT, s->v[i], strlen(s->v[i])) & (nslots - 1);
        while (slots[h])
            h = (h + 1) & (nslots - 1);
        slots[h] = (uint32_t)i + 1;
    }
    free(s->slots);
    s->slots = slots;
    s->nslots = nslots;
    return 0;
}

int pupa_names_add(pupa_names *s, const char *str, size_t len, uint32_t *id)
{
    /* Open addressing at most half full: a probe ends within a few slots. */
    if ((s->n + 1) * 2 > s->nslots && names_rehash(s, s->nslots ? s->nslots * 2 : 64))
        return PUPA_ENOMEM;
    size_t h = (size_t)pupa_hash(PUPA_HASH_INIT, str, len) & (s->nslots - 1);
    for (; s->slots[h]; h = (h + 1) & (s->nslots - 1)) {
        const char *v = s->v[s->slots[h] - 1];
        if (strlen(v) == len && memcmp(v, str, len) == 0) {
            *id = s->slots[h] - 1;
            return 0;
        }
    }
    if (s->n >= UINT32_MAX - 1)
        return pupa_fail(PUPA_ETOOBIG, "too many distinct names");
    if (pupa_grow(&s->v, &s->cap, s->n + 1, sizeof *s->v))
        return PUPA_ENOMEM;
    if (!(s->v[s->n] = pupa_strndup(str, len)))
        return pupa_fail(PUPA_ENOMEM, "out of memory");
    s->slots[h] = (uint32_t)s->n + 1;
    *id = (uint32_t)s->n++;
    return 0;
}

typedef struct named {
    const char *s;
    uint32_t id;
} named;

static int by_name(const void *a, const void *b)
{
    return strcmp(((const named *)a)->s, ((const named *)b)->s);
}

int pupa_names_sort(pupa_names *s, uint32_t **map)
{
    named *order = malloc((s->n ? s->n : 1) * sizeof *order);
    *map = malloc((s->n ? s->n : 1) * sizeof **map);
    if (!order || !*map) {
        free(order);
        free(*map);
        *map = NULL;
        return pupa_fail(PUPA_ENOMEM, "out of memory");
    }
    for (size_t i = 0; i < s->n; i++)
        order[i] = (named){s->v[i], (uint32_t)i};
    if (s->n)
        qsort(order, s->n, sizeof *order, by_name);
    for (size_t i = 0; i < s->n; i++) {
        s->v[i] = (char *)order[i].s;
        (*map)[order[i].id] = (uint32_t)i;
    }
    free(order);
    return names_rehash(s, s->nslots ? s->nslots : 64);
}

char **pupa_names_take(pupa_names *s)
{
    char **v = s->v;
    s->v = NULL;
    s->n = s->cap = 0;
    free(s->slots);
    s->slots = NULL;
    s->nslots = 0;
    return v;
}

void pupa_names_free(pupa_names *s)
{
    for (size_t i = 0; i < s->n; i++)
        free(s->v[i]);
    free(s->v);
    free(s->slots);
    memset(s, 0, sizeof *s);
}

/* -------------------------------------------------------------- quotes */

typedef struct context {
    pupa_turn *turns;
    size_t n, cap, nbefore;
} context;

static void context_clear(context *c)
{
    for (size_t i = 0; i < c->n; i++) {
        free((char *)c->turns[i].speaker);
        free((char *)c->turns[i].text);
    }
    c->n = c->nbefore = 0;
}

typedef struct context_read {
    context *c;
    uint32_t turn;
    uint64_t last;
} context_read;

static int context_turn(void *ctx, uint32_t t, const pupa_seg_rec *s)
{
    context_read *r = ctx;
    context *c = r->c;
    if (t > r->last)
        return 1; /* past the window: done */
    if (t == r->turn)
        return 0;
    if (pupa_grow(&c->turns, &c->cap, c->n + 1, sizeof *c->turns))
        return PUPA_ENOMEM;
    pupa_turn *x = &c->turns[c->n++];
    *x = (pupa_turn){t, s->number, s->role, pstr_dup(s->speaker), pstr_dup(s->text), s->text.len};
    if ((s->speaker.s && !x->speaker) || !x->text)
        return pupa_fail(PUPA_ENOMEM, "out of memory");
    c->nbefore += t < r->turn;
    return 0;
}

/* The turns within width of (doc, turn), interviewer turns included. */
static int context_of(pupa_q *q, uint32_t doc, uint32_t turn, uint32_t width, context *c)
{
    context_clear(c);
    context_read r = {c, turn, (uint64_t)turn + width};
    return pupa_q_doc_segs(q, doc, turn > width ? turn - width : 0, context_turn, &r);
}

typedef struct quoting {
    pupa_q *q;
    const pupa_filter *f;
    const unsigned char *sel;
    int (*cb)(void *, const pupa_quote *);
    void *ctx;
    size_t emitted;
    context cx;
} quoting;

/* Quotes the hits of turns in output order; 1 once the callback or the
 * limit stops them. */
static int quote_turns(void *ctx, const pupa_q_ref *refs, size_t nrefs)
{
    quoting *qs = ctx;
    pupa_q *q = qs->q;
    const pupa_filter *f = qs->f;
    int rc = 0, stop = 0;
    for (size_t i = 0; !rc && !stop && i < nrefs; i++) {
        pupa_doc_rec d;
        pupa_seg_rec s;
        if ((rc = pupa_q_doc(q, refs[i].doc, &d)) ||
            (rc = pupa_q_seg(q, refs[i].doc, refs[i].turn, &s)))
            break;
        if (!pupa_q_seg_passes(&s, f))
            continue;
        /* Callbacks get NUL-terminated copies, made at a segment's first
         * quote (a turn of a participant's may have none of the codes
         * asked for) and freed after it. */
        char *strs[7] = {NULL, NULL, NULL, NULL, NULL, NULL, NULL};
        int have_context = 0;
        for (uint32_t h = 0; !rc && !stop && h < s.nhits; h++) {
            pupa_hit_rec hr;
            if ((rc = pupa_q_hit(q, &s, h, 1, &hr)))
                break;
            if (!pupa_q_hit_counts(&hr, f) || !qs->sel[hr.code])
                continue;
            if (!strs[0]) {
                const pupa_str from[7] = {d.id, d.participant, d.group, d.gender, d.age,
                                          s.speaker, s.text};
                for (size_t j = 0; j < 7; j++)
                    strs[j] = pstr_dup(from[j]);
                if (!strs[0] || !strs[1] || !strs[6]) {
                    rc = pupa_fail(PUPA_ENOMEM, "out of memory");
                    break;
                }
            }
            /* Context is read once per segment, and only for one that is quoted. */
            if (f->context && !have_context) {
                if ((rc = context_of(q, refs[i].doc, refs[i].turn, f->context, &qs->cx)))
                    break;
                have_context = 1;
            }
            pupa_quote qt = {
                .doc = strs[0], .participant = strs[1], .group = strs[2], .gender = strs[3],
                .age = strs[4], .year = (int)d.year, .segment = s.number, .speaker = strs[5],
                .lang = s.lang, .text = strs[6], .text_len = s.text.len,
                .seg_start = s.start, .seg_end = s.end, .code = q->cb.codes[hr.code],
                .entry = q->cb.entries[hr.entry], .hit_start = hr.start, .hit_end = hr.end,
                .start = hr.fstart, .end = hr.fend, .negated = hr.negated,
                .turn = refs[i].turn,
            };
            if (have_context) {
                qt.before = qs->cx.turns;
                qt.nbefore = qs->cx.nbefore;
                qt.after = qs->cx.turns + qs->cx.nbefore;
                qt.nafter = qs->cx.n - qs->cx.nbefore;
            }
            if (qs->cb(qs->ctx, &qt) || (f->limit && ++qs->emitted >= f->limit))
                stop = 1;
        }
        for (size_t j = 0; j < sizeof strs / sizeof *strs; j++)
            free(strs[j]);
    }
    return rc ? rc : stop;
}

int pupa_quotes(pupa_index *ix, const pupa_filter *f, int (*cb)(void *, const pupa_quote *),
                void *ctx)
{
    if (!ix || !f || !cb)
        return pupa_fail(PUPA_EINVAL, "pupa_quotes: NULL argument");
    pupa_q q;
    int rc = pupa_q_begin(&q, ix);
    if (rc)
        return rc;
    quoting qs = {&q, f, pupa_q_code_sel(&q, f->code), cb, ctx, 0, {0}};
    if (!qs.sel) {
        rc = PUPA_ENOMEM;
    } else if (f->code && !f->participant) {
        /* The documents the codes' postings name, in output order: --limit
         * reads no further than the quotes it prints. */
        rc = pupa_q_turns_by_document(&q, qs.sel, f, quote_turns, &qs);
    } else {
        /* A participant at a time, in output order: --limit reads no
         * further than the quotes it prints. */
        rc = pupa_q_turns_by_participant(&q, f, quote_turns, &qs);
    }
    context_clear(&qs.cx);
    free(qs.cx.turns);
    free((void *)qs.sel);
    pupa_q_end(&q);
    return rc > 0 ? 0 : rc;
}

/* --------------------------------------------------------------- tables */

void pupa_table_free(pupa_table *t)
{
    if (!t)
        return;
    for (size_t i = 0; i < t->nrows; i++)
        free(t->rows[i]);
    for (size_t i = 0; i < t->ncols; i++)
        free(t->cols[i]);
    for (size_t i = 0; t->col_values && i < t->ncols * t->ndims; i++)
        free(t->col_values[i]);
    for (size_t i = 0; i < t->ndims; i++)
        free(t->dims[i]);
    free(t->rows);
    free(t->cols);
    free(t->col_values);
    free(t->dims);
    free(t->cells);
    free(t->row_total);
    free(t->col_total);
    free(t);
}

#define MAX_DIMS 8
#define COL_SEP '\x1f' /* joins a column's values: below every printable byte */

/* Splits the interned column keys into per-dimension values and labels. */
static int table_columns(pupa_table *t, const pupa_names *cols)
{
    t->cols = calloc(cols->n + 1, sizeof *t->cols);
    t->col_values = calloc(cols->n * t->ndims + 1, sizeof *t->col_values);
    if (!t->cols || !t->col_values)
        return pupa_fail(PUPA_ENOMEM, "out of memory");
    t->ncols = cols->n; /* only now: pupa_table_free walks them */
    for (size_t c = 0; c < t->ncols; c++) {
        const char *key = cols->v[c];
        pupa_buf label;
        pupa_buf_init(&label, 1u << 20);
        int rc = 0;
        for (size_t d = 0; !rc && d < t->ndims; d++) {
            size_t n = strcspn(key, "\x1f");
            if (!(t->col_values[c * t->ndims + d] = pupa_strndup(key, n)))
                rc = pupa_fail(PUPA_ENOMEM, "out of memory");
            if (!rc && d)
                rc = pupa_buf_add(&label, " / ", 3);
            if (!rc)
                rc = pupa_buf_add(&label, key, n);
            key += n + (key[n] == COL_SEP);
        }
        if (!rc && !t->ndims)
            rc = pupa_buf_add(&label, "all", 3);
        if (!rc && !(t->cols[c] = pupa_strndup(label.data, label.len)))
            rc = pupa_fail(PUPA_ENOMEM, "out of memory");
        pupa_buf_free(&label);
        if (rc)
            return rc;
    }
    return 0;
}

/* Appends the value of every dimension for one hit to key. */
static int column_key(pupa_buf *key, const pupa_table_spec *spec, const pupa_str *meta,
                      const char *code)
{
    key->len = 0;
    int rc = 0;
    for (size_t d = 0; !rc && d < spec->ndims; d++) {
        pupa_str v = meta[d];
        if (spec->dims[d].kind == PUPA_DIM_CODE) {
            size_t n;
            const char *s = pupa_code_component(code, spec->dims[d].level, &n);
            v = (pupa_str){n ? s : NULL, (uint32_t)n};
        }
        if (!v.s)
            v = (pupa_str){"(none)", 6};
        if (d)
            rc = pupa_buf_addc(key, COL_SEP);
        /* The separator inside a value would split it in two: drop it. */
        for (uint32_t i = 0; !rc && i < v.len; i++)
            if (v.s[i] != COL_SEP)
                rc = pupa_buf_addc(key, v.s[i]);
    }
    return rc ? rc : pupa_buf_addc(key, '\0');
}

static int check_spec(const pupa_table_spec *spec)
{
    if (spec->depth < 1 || spec->ndims > MAX_DIMS || (spec->ndims && !spec->dims))
        return pupa_fail(PUPA_EINVAL, "table: depth below 1 or more than %d dimensions", MAX_DIMS);
    for (size_t d = 0; d < spec->ndims; d++) {
        const pupa_dim *x = &spec->dims[d];
        if (!x->name || (x->kind != PUPA_DIM_META && x->kind != PUPA_DIM_CODE) ||
            (x->kind == PUPA_DIM_CODE && x->level < 1))
            return pupa_fail(PUPA_EINVAL, "table: bad column dimension %zu", d + 1);
    }
    return 0;
}

/* How a table is counted.  The turns come from the postings of the codes
 * f->code matches (every code without one; a participant's own keys when
 * f names one), each document decoded once into a cache.  With no filter
 * on the segment record (lang, speaker) nor a participant, the postings
 * say all a table needs: a turn counts under a code when its posting has a
 * counted hit (or a negated one, with f->negated), which is what its hits
 * say; so the (turn, code) pairs are sorted and counted, and no segment
 * record is read (nor, then, checked: a damaged one goes unnoticed, and
 * the seal has checked the file on open).  Otherwise the turns are
 * ordered so that every participant's turns are contiguous, and each
 * turn's segment record is read and its hits checked once.  (Until
 * 2026-11-23 only a table with a code pattern was counted from postings:
 * the plain table on the bench's 1.4M-hit index took 42 ms reading its
 * 66,000 turns, and takes 7.5 ms from the postings.)  A cell (and each row
 * total, column total and the grand total) keeps the last turn and
 * participant that counted in it: comments are distinct turns, individuals
 * distinct participants, without sorting one fact per hit.  A row and a
 * column class are worked out once per code, a column once per (document
 * metadata, code) class. */

#define NONE 0xFFFFFFFFu

/* u64 -> u32, open addressing, at most half full. */
typedef struct u64map {
    uint64_t *keys;
    uint32_t *vals; /* NONE: empty */
    size_t n, cap;
} u64map;

static size_t mix64(uint64_t x)
{
    x ^= x >> 33;
    x *= 0xff51afd7ed558ccdull;
    x ^= x >> 33;
    x *= 0xc4ceb9fe1a85ec53ull;
    x ^= x >> 33;
    return (size_t)x;
}

static int u64map_rehash(u64map *m, size_t cap)
{
    uint64_t *keys = malloc(cap * sizeof *keys);
    uint32_t *vals = malloc(cap * sizeof *vals);
    if (!keys || !vals) {
        free(keys);
        free(vals);
        return pupa_fail(PUPA_ENOMEM, "out of memory");
    }
    memset(vals, 0xFF, cap * sizeof *vals);
    for (size_t i = 0; i < m->cap; i++) {
        if (m->vals[i] == NONE)
            continue;
        size_t h = mix64(m->keys[i]) & (cap - 1);
        while (vals[h] != NONE)
            h = (h + 1) & (cap - 1);
        keys[h] = m->keys[i];
        vals[h] = m->vals[i];
    }
    free(m->keys);
    free(m->vals);
    m->keys = keys;
    m->vals = vals;
    m->cap = cap;
    return 0;
}

/* The slot of key: *val is its value, or NONE when absent (then
 * u64map_set(m, slot, key, v) adds it). */
static int u64map_find(u64map *m, uint64_t key, size_t *slot)
{
    if ((m->n + 1) * 2 > m->cap && u64map_rehash(m, m->cap ? m->cap * 2 : 64))
        return PUPA_ENOMEM;
    size_t h = mix64(key) & (m->cap - 1);
    while (m->vals[h] != NONE && m->keys[h] != key)
        h = (h + 1) & (m->cap - 1);
    *slot = h;
    return 0;
}

static void u64map_set(u64map *m, size_t slot, uint64_t key, uint32_t val)
{
    if (m->vals[slot] == NONE)
        m->n++;
    m->keys[slot] = key;
    m->vals[slot] = val;
}

static void u64map_free(u64map *m)
{
    free(m->keys);
    free(m->vals);
    memset(m, 0, sizeof *m);
}

/* Sorts n records of size bytes in place by the uint64_t each starts with:
 * stable LSD radix, 11-bit digits, digits every key shares skipped. */
static int radix_sort(void *v, size_t n, size_t size)
{
    if (n < 2)
        return 0;
    unsigned char *tmp = malloc(n * size);
    size_t *count = malloc(2048 * sizeof *count);
    if (!tmp || !count) {
        free(tmp);
        free(count);
        return pupa_fail(PUPA_ENOMEM, "out of memory");
    }
    unsigned char *src = v, *dst = tmp;
#define RADIX_KEY(p, i) (*(const uint64_t *)(const void *)((p) + (i) * size))
    for (int shift = 0; shift < 64; shift += 11) {
        memset(count, 0, 2048 * sizeof *count);
        for (size_t i = 0; i < n; i++)
            count[(RADIX_KEY(src, i) >> shift) & 0x7FF]++;
        if (count[(RADIX_KEY(src, 0) >> shift) & 0x7FF] == n)
            continue; /* every key has this digit */
        size_t sum = 0;
        for (size_t d = 0; d < 2048; d++) {
            size_t c = count[d];
            count[d] = sum;
            sum += c;
        }
        for (size_t i = 0; i < n; i++)
            memcpy(dst + count[(RADIX_KEY(src, i) >> shift) & 0x7FF]++ * size, src + i * size, size);
        unsigned char *x = src;
        src = dst;
        dst = x;
    }
#undef RADIX_KEY
    if (src != (unsigned char *)v)
        memcpy(v, src, n * size);
    free(tmp);
    free(count);
    return 0;
}

static int sort_u64(uint64_t *v, size_t n) { return radix_sort(v, n, sizeof *v); }

/* A posting as a table counts it: turn as in tq.turns, and its code. */
typedef struct tpost {
    uint64_t key;
    uint32_t code;
} tpost;

/* Sorts n postings by key in place, stably. */
static int sort_posts(tpost *v, size_t n) { return radix_sort(v, n, sizeof *v); }

/* Distinct turns and participants counted in one cell or total. */
typedef struct tally {
    uint32_t seq, part; /* the last turn (its position + 1) and participant (+ 1) */
    pupa_cell c;
} tally;

static void tally_add(tally *t, uint32_t seq, uint32_t part)
{
    if (t->seq != seq) {
        t->seq = seq;
        t->c.comments++;
    }
    if (t->part != part) {
        t->part = part;
        t->c.individuals++;
    }
}

/* A document as a table sees it. */
typedef struct tdoc {
    uint32_t doc, part, mclass, rank;
    int passes;
} tdoc;

typedef struct tq {
    pupa_q *q;
    const pupa_table_spec *spec;
    const pupa_filter *f;
    unsigned char *sel;  /* per code: does f->code match it */
    uint32_t *coderow;   /* per code: row id, NONE until it counts */
    uint32_t *cclass;    /* per code: column class of its code dimensions */
    pupa_names rows, cols, parts, cclasses, mclasses;
    tdoc *docs;
    size_t ndocs, dcap;
    u64map docmap, pairs, cellmap;
    uint32_t last_doc, last_idx;
    uint64_t *turns; /* document index << 32 | turn, then rank << 32 | turn */
    size_t nturns, tcap;
    int by_postings; /* count from the (turn, code) pairs alone */
    struct tpost *posts;
    size_t nposts, pcap;
    tally *cells, *rowt, *colt, total;
    size_t ncells, cellcap, rowcap, colcap;
    pupa_buf key;
} tq;

/* The cache index of a document, decoding it on first sight. */
static int tq_doc(tq *t, uint32_t doc, uint32_t *idx)
{
    if (t->ndocs && t->last_doc == doc) {
        *idx = t->last_idx;
        return 0;
    }
    size_t slot;
    int rc = u64map_find(&t->docmap, doc, &slot);
    if (rc)
        return rc;
    if (t->docmap.vals[slot] == NONE) {
        pupa_doc_rec d;
        if ((rc = pupa_q_doc(t->q, doc, &d)) ||
            (rc = pupa_grow(&t->docs, &t->dcap, t->ndocs + 1, sizeof *t->docs)))
            return rc;
        tdoc *x = &t->docs[t->ndocs];
        *x = (tdoc){doc, NONE, NONE, 0, pupa_q_doc_passes(&d, t->f)};
        if (x->passes && (rc = pupa_names_add(&t->parts, d.participant.s, d.participant.len,
                                              &x->part)))
            return rc;
        u64map_set(&t->docmap, slot, doc, (uint32_t)t->ndocs++);
    }
    t->last_doc = doc;
    *idx = t->last_idx = t->docmap.vals[slot];
    return 0;
}

static int tq_turn(tq *t, uint32_t doc, uint32_t turn)
{
    uint32_t i;
    int rc = tq_doc(t, doc, &i);
    if (rc || !t->docs[i].passes)
        return rc;
    if ((rc = pupa_grow(&t->turns, &t->tcap, t->nturns + 1, sizeof *t->turns)))
        return rc;
    t->turns[t->nturns++] = (uint64_t)i << 32 | turn;
    return 0;
}

static int tq_posting(void *ctx, uint32_t code, uint32_t year, uint32_t doc, uint32_t turn)
{
    tq *t = ctx;
    (void)year;
    if (!t->by_postings)
        return tq_turn(t, doc, turn);
    uint32_t i;
    int rc = tq_doc(t, doc, &i);
    if (rc || !t->docs[i].passes)
        return rc;
    if ((rc = pupa_grow(&t->posts, &t->pcap, t->nposts + 1, sizeof *t->posts)))
        return rc;
    t->posts[t->nposts++] = (tpost){(uint64_t)i << 32 | turn, code};
    return 0;
}

/* A passing document in participant order: its participant, id and index. */
typedef struct pdoc {
    uint32_t part, doc, idx;
} pdoc;

static int by_part_doc(const void *a, const void *b)
{
    const pdoc *x = a, *y = b;
    if (x->part != y->part) return x->part < y->part ? -1 : 1;
    return (x->doc > y->doc) - (x->doc < y->doc);
}

/* Grows a tally array indexed by id to hold id, zeroing what is new. */
static int tally_room(tally **v, size_t *cap, uint32_t id)
{
    size_t old = *cap;
    if (pupa_grow(v, cap, (size_t)id + 1, sizeof **v))
        return PUPA_ENOMEM;
    memset(*v + old, 0, (*cap - old) * sizeof **v);
    return 0;
}

/* The meta dimension values of a document, NULL for code dimensions. */
static void doc_meta(const pupa_table_spec *spec, const pupa_doc_rec *d, pupa_str *meta,
                     char years[][16])
{
    for (size_t i = 0; i < spec->ndims; i++)
        meta[i] = spec->dims[i].kind == PUPA_DIM_META
                      ? pupa_q_doc_value(d, spec->dims[i].name, years[i], sizeof years[i])
                      : (pupa_str){NULL, 0};
}

/* The column of a counted hit of code in the document at index di. */
static int tq_col(tq *t, uint32_t di, uint32_t code, uint32_t *col)
{
    const pupa_table_spec *spec = t->spec;
    pupa_str meta[MAX_DIMS];
    char years[MAX_DIMS][16];
    int rc;
    uint32_t id;
    if (t->cclass[code] == NONE) {
        /* The code dimensions alone (metadata ones read "(none)"). */
        for (size_t i = 0; i < spec->ndims; i++)
            meta[i] = (pupa_str){NULL, 0};
        if ((rc = column_key(&t->key, spec, meta, t->q->cb.codes[code])) ||
            (rc = pupa_names_add(&t->cclasses, t->key.data, t->key.len - 1, &id)))
            return rc;
        t->cclass[code] = id;
    }
    tdoc *x = &t->docs[di];
    if (x->mclass == NONE) {
        /* The metadata dimensions alone (code ones read "(none)"). */
        pupa_doc_rec d;
        if ((rc = pupa_q_doc(t->q, x->doc, &d)))
            return rc;
        doc_meta(spec, &d, meta, years);
        if ((rc = column_key(&t->key, spec, meta, "")) ||
            (rc = pupa_names_add(&t->mclasses, t->key.data, t->key.len - 1, &id)))
            return rc;
        x->mclass = id;
    }
    uint64_t pk = (uint64_t)x->mclass << 32 | t->cclass[code];
    size_t slot;
    if ((rc = u64map_find(&t->pairs, pk, &slot)))
        return rc;
    if (t->pairs.vals[slot] == NONE) {
        /* Every dimension's part comes from the code alone or the document
         * alone, so this code and document give their classes' key. */
        pupa_doc_rec d;
        if ((rc = pupa_q_doc(t->q, x->doc, &d)))
            return rc;
        doc_meta(spec, &d, meta, years);
        if ((rc = column_key(&t->key, spec, meta, t->q->cb.codes[code])) ||
            (rc = pupa_names_add(&t->cols, t->key.data, t->key.len - 1, &id)) ||
            (rc = tally_room(&t->colt, &t->colcap, id)))
            return rc;
        u64map_set(&t->pairs, slot, pk, id);
    }
    *col = t->pairs.vals[slot];
    return 0;
}

/* One counted hit: its cell, row, column and the total. */
static int tq_count(tq *t, uint32_t seq, uint32_t di, uint32_t code)
{
    int rc;
    uint32_t row = t->coderow[code], col, part = t->docs[di].part + 1;
    if (row == NONE) {
        const char *c = t->q->cb.codes[code];
        if ((rc = pupa_names_add(&t->rows, c, pupa_code_prefix_len(c, t->spec->depth), &row)) ||
            (rc = tally_room(&t->rowt, &t->rowcap, row)))
            return rc;
        t->coderow[code] = row;
    }
    if ((rc = tq_col(t, di, code, &col)))
        return rc;
    uint64_t ck = (uint64_t)row << 32 | col;
    size_t slot;
    if ((rc = u64map_find(&t->cellmap, ck, &slot)))
        return rc;
    if (t->cellmap.vals[slot] == NONE) {
        if ((rc = pupa_grow(&t->cells, &t->cellcap, t->ncells + 1, sizeof *t->cells)))
            return rc;
        memset(&t->cells[t->ncells], 0, sizeof *t->cells);
        u64map_set(&t->cellmap, slot, ck, (uint32_t)t->ncells++);
    }
    tally_add(&t->cells[t->cellmap.vals[slot]], seq, part);
    tally_add(&t->rowt[row], seq, part);
    tally_add(&t->colt[col], seq, part);
    tally_add(&t->total, seq, part);
    return 0;
}

/* Orders the turns (or the postings) by participant, drops duplicates,
 * and counts each turn's hits (or each posting). */
static int tq_count_turns(tq *t)
{
    pdoc *order = malloc((t->ndocs ? t->ndocs : 1) * sizeof *order);
    if (!order)
        return pupa_fail(PUPA_ENOMEM, "out of memory");
    size_t npass = 0;
    for (size_t i = 0; i < t->ndocs; i++)
        if (t->docs[i].passes)
            order[npass++] = (pdoc){t->docs[i].part, t->docs[i].doc, (uint32_t)i};
    if (npass)
        qsort(order, npass, sizeof *order, by_part_doc);
    for (size_t r = 0; r < npass; r++)
        t->docs[order[r].idx].rank = (uint32_t)r;
    for (size_t i = 0; i < t->nturns; i++)
        t->turns[i] = (uint64_t)t->docs[t->turns[i] >> 32].rank << 32 | (uint32_t)t->turns[i];
    for (size_t i = 0; i < t->nposts; i++)
        t->posts[i].key =
            (uint64_t)t->docs[t->posts[i].key >> 32].rank << 32 | (uint32_t)t->posts[i].key;
    int rc = sort_u64(t->turns, t->nturns);
    if (!rc)
        rc = sort_posts(t->posts, t->nposts);
    uint32_t seq = 0;
    /* From the postings: each turn's codes are contiguous, one per code. */
    for (size_t i = 0; !rc && i < t->nposts; i++) {
        if (!i || t->posts[i].key != t->posts[i - 1].key)
            seq++;
        rc = tq_count(t, seq, order[t->posts[i].key >> 32].idx, t->posts[i].code);
    }
    for (size_t i = 0; !rc && i < t->nturns; i++) {
        if (i && t->turns[i] == t->turns[i - 1])
            continue;
        uint32_t di = order[t->turns[i] >> 32].idx, turn = (uint32_t)t->turns[i];
        pupa_seg_rec s;
        if ((rc = pupa_q_seg(t->q, t->docs[di].doc, turn, &s)))
            break;
        seq++;
        if (!pupa_q_seg_passes(&s, t->f))
            continue;
        for (uint32_t h = 0; !rc && h < s.nhits; h++) {
            pupa_hit_rec hr;
            if ((rc = pupa_q_hit(t->q, &s, h, 0, &hr)))
                break;
            if (pupa_q_hit_counts(&hr, t->f) && t->sel[hr.code])
                rc = tq_count(t, seq, di, hr.code);
        }
    }
    free(order);
    return rc;
}

/* Cells, row totals, column totals and the grand total, in sorted order. */
static int tq_fill(tq *t, pupa_table *out, const uint32_t *rmap, const uint32_t *cmap)
{
    out->cells = calloc(out->nrows * out->ncols + 1, sizeof *out->cells);
    out->row_total = calloc(out->nrows + 1, sizeof *out->row_total);
    out->col_total = calloc(out->ncols + 1, sizeof *out->col_total);
    if (!out->cells || !out->row_total || !out->col_total)
        return pupa_fail(PUPA_ENOMEM, "out of memory");
    for (size_t i = 0; i < t->cellmap.cap; i++) {
        if (t->cellmap.vals[i] == NONE)
            continue;
        uint64_t k = t->cellmap.keys[i];
        out->cells[(size_t)rmap[k >> 32] * out->ncols + cmap[(uint32_t)k]] =
            t->cells[t->cellmap.vals[i]].c;
    }
    for (size_t r = 0; r < out->nrows; r++)
        out->row_total[rmap[r]] = t->rowt[r].c;
    for (size_t c = 0; c < out->ncols; c++)
        out->col_total[cmap[c]] = t->colt[c].c;
    out->total = t->total.c;
    return 0;
}

static void tq_free(tq *t)
{
    free(t->sel);
    free(t->coderow);
    free(t->cclass);
    pupa_names_free(&t->rows);
    pupa_names_free(&t->cols);
    pupa_names_free(&t->parts);
    pupa_names_free(&t->cclasses);
    pupa_names_free(&t->mclasses);
    free(t->docs);
    u64map_free(&t->docmap);
    u64map_free(&t->pairs);
    u64map_free(&t->cellmap);
    free(t->turns);
    free(t->posts);
    free(t->cells);
    free(t->rowt);
    free(t->colt);
    pupa_buf_free(&t->key);
}

int pupa_table_query(pupa_index *ix, const pupa_table_spec *spec, const pupa_filter *f,
                     pupa_table **out)
{
    if (!ix || !spec || !f || !out)
        return pupa_fail(PUPA_EINVAL, "pupa_table_query: NULL argument");
    *out = NULL;
    int rc = check_spec(spec);
    pupa_q q;
    if (rc || (rc = pupa_q_begin(&q, ix)))
        return rc;
    pupa_table *t = calloc(1, sizeof *t);
    tq x;
    memset(&x, 0, sizeof x);
    x.q = &q;
    x.spec = spec;
    x.f = f;
    pupa_buf_init(&x.key, 1u << 20);
    size_t nc = q.cb.ncodes;
    x.sel = pupa_q_code_sel(&q, f->code);
    x.coderow = malloc((nc + 1) * sizeof *x.coderow);
    x.cclass = malloc((nc + 1) * sizeof *x.cclass);
    uint32_t *rmap = NULL, *cmap = NULL;
    if (!t || !x.sel || !x.coderow || !x.cclass)
        rc = pupa_fail(PUPA_ENOMEM, "out of memory");
    for (size_t c = 0; !rc && c < nc; c++)
        x.coderow[c] = x.cclass[c] = NONE;
    if (!rc && f->participant) {
        /* Her own keys, as quotes read them: a few dozen documents (with a
         * participant, pupa_q_turns reads them all and ignores the code). */
        pupa_q_ref *refs = NULL;
        size_t nrefs = 0;
        rc = pupa_q_turns(&q, f, &refs, &nrefs);
        for (size_t i = 0; !rc && i < nrefs; i++)
            rc = tq_turn(&x, refs[i].doc, refs[i].turn);
        free(refs);
    } else if (!rc) {
        x.by_postings = f->lang < 0 && !f->speaker;
        rc = pupa_q_postings(&q, x.sel, f, tq_posting, &x);
    }
    if (!rc)
        rc = tq_count_turns(&x);
    if (!rc && !(rc = pupa_names_sort(&x.rows, &rmap)) && !(rc = pupa_names_sort(&x.cols, &cmap))) {
        t->nrows = x.rows.n;
        t->rows = pupa_names_take(&x.rows);
        t->dims = calloc(spec->ndims + 1, sizeof *t->dims);
        if (!t->dims)
            rc = pupa_fail(PUPA_ENOMEM, "out of memory");
        for (size_t d = 0; !rc && d < spec->ndims; d++, t->ndims++)
            if (!(t->dims[d] = pupa_strdup(spec->dims[d].name)))
                rc = pupa_fail(PUPA_ENOMEM, "out of memory");
    }
    if (!rc)
        rc = table_columns(t, &x.cols);
    if (!rc)
        rc = tq_fill(&x, t, rmap, cmap);
    tq_free(&x);
    free(rmap);
    free(cmap);
    pupa_q_end(&q);
    if (rc) {
        pupa_table_free(t);
        return rc;
    }
    *out = t;
    return 0;
}

int pupa_table_build(pupa_index *ix, int depth, const char *column_key, const pupa_filter *f,
                     pupa_table **out)
{
    if (!column_key)
        return pupa_fail(PUPA_EINVAL, "pupa_table_build: NULL column key");
    pupa_dim dim = {PUPA_DIM_META, column_key, 0};
    pupa_table_spec spec = {depth, &dim, 1};
    return pupa_table_query(ix, &spec, f, out);
}
