/*
 * merge.c: sharding a corpus and joining shard indexes (pupa merge).
 *
 * A corpus too large for one machine is indexed in shards: pupa index
 * --shard K/N keeps the files whose relative path hashes to shard K-1
 * (pupa_shard_of), so each job reads only its share, anywhere, and a file
 * keeps its shard as others come and go.  pupa_index_merge then joins the
 * shards into one index that answers every query byte for byte as a single
 * build of the whole corpus would:
 *
 *  - The files databases are walked together in key order, which is the
 *    corpus path order pupa_corpus_list gives, and each file's documents
 *    get the next ids: document ids follow path order as in one build.
 *  - files, docs and segs records are copied (doc ids renumbered);
 *    postings and participants are derived from them again, as build.c
 *    derives them, so a shard's derived tables are never trusted.
 *  - Records are put in build.c's order (write_file), each batch's
 *    postings held and put at its end as build.c puts them (pupa_postings),
 *    and committed in build.c's batches (256 files or 64 MB, and the
 *    last 32 files on their own: pupa_batch_tail), so when no
 *    file failed to read, data.mdb itself is byte-identical to a single
 *    build's
 *    (tests/cli_merge.sh checks it; a change to build.c's writer shows
 *    up there).
 *
 * Shards are untrusted input: each is opened through the seal
 * (pupa_index_open) and every record is decoded with index.c's
 * bounds-checked readers.  Doc ranges in files must lie below next_doc
 * and not overlap, and hits must name codes and entries of the codebook,
 * else the merge fails with PUPA_ECORRUPT naming the shard.  Shards from
 * different lexicons, or holding the same file, are refused.
 *
 * Which shards an index holds is in meta "shard": u32 N, then the 0-based
 * numbers of the shards it holds, ascending.  A build with --shard K/N
 * writes N, K-1; a partial merge (PUPA_MERGE_PARTIAL) writes the union of
 * its inputs; a merge that completes the split writes nothing, as a single
 * build does not.  So a missing or repeated shard is refused, even through
 * a tree of partial merges, rather than leaving files out in silence.
 */
#include "index.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>


uint32_t pupa_shard_of(const char *relpath, uint32_t nshards)
{
    if (nshards <= 1 || !relpath)
        return 0;
    uint64_t h = pupa_hash(PUPA_HASH_INIT, relpath, strlen(relpath));
    /* FNV-1a's low bits depend only on the bytes' low bits: mix every bit
     * down (MurmurHash3's fmix64) before the modulo, for even shards. */
    h ^= h >> 33;
    h *= 0xff51afd7ed558ccdull;
    h ^= h >> 33;
    h *= 0xc4ceb9fe1a85ec53ull;
    h ^= h >> 33;
    return (uint32_t)(h % nshards);
}

typedef struct shard {
    const char *dir;
    pupa_index *ix;
    MDB_txn *txn;
    MDB_cursor *cur;  /* over files, in key order */
    MDB_val key, val; /* the current file; done when the cursor ran out */
    int done;
    uint32_t next_doc;
    uint32_t n;        /* meta "shard": the split's size, 0 if none */
    uint32_t nheld;    /*   how many of its shards this index holds */
    const unsigned char *held; /* their numbers, u32 each, in the map */
} shard;

/* More shards than this in a record is damage (the CLI allows 1e6). */
#define MAX_SPLIT (1u << 24)

typedef struct merger {
    shard *shards;
    size_t nshards;
    struct pupa_index out;
    MDB_txn *txn;            /* the batch being written */
    uint32_t next_doc;       /* in the merged index */
    size_t ncodes, nentries; /* of the shared codebook */
    uint32_t *counted, *negated;
    pupa_buf key;
    pupa_buf pending;        /* a document's postings, key and value, until its puts */
    pupa_buf split;          /* the output's "shard" record; empty for none */
    pupa_postings postings;  /* held until each batch's end, as build.c holds them */
    pupa_build_stats st;
} merger;

/* A failure inside a shard, named by its folder. */
static int shard_fail(const shard *s, int rc)
{
    char msg[900];
    snprintf(msg, sizeof msg, "%s", pupa_errmsg()[0] ? pupa_errmsg() : pupa_strerror(rc));
    return pupa_fail(rc, "%s: %s", s->dir, msg);
}

static int meta_get(const shard *s, const char *name, MDB_val *v)
{
    MDB_val k = {strlen(name), (void *)name};
    int rc = mdb_get(s->txn, s->ix->meta, &k, v);
    if (rc == MDB_NOTFOUND)
        return PUPA_ENOTFOUND;
    return rc ? pupa_lmdb_fail(rc, s->dir) : 0;
}

static int same_val(const MDB_val *a, const MDB_val *b)
{
    return a->mv_size == b->mv_size && memcmp(a->mv_data, b->mv_data, a->mv_size) == 0;
}

/* Opens one shard through the seal and reads its meta. */
static int shard_open(shard *s)
{
    int rc = pupa_index_open(&s->ix, s->dir);
    if (rc)
        return rc; /* the message names the folder already */
    pupa_index_track_map(s->ix);
    if ((rc = mdb_txn_begin(s->ix->env, NULL, MDB_RDONLY, &s->txn)))
        return pupa_lmdb_fail(rc, s->dir);
    MDB_val v;
    if ((rc = meta_get(s, "next_doc", &v)) || v.mv_size != 4)
        return pupa_fail(PUPA_ECORRUPT, "%s: index without a document counter", s->dir);
    s->next_doc = pupa_get_u32(v.mv_data);
    rc = meta_get(s, "shard", &v);
    if (rc == 0) {
        const unsigned char *p = v.mv_data;
        int bad = v.mv_size < 8 || v.mv_size % 4 || (s->n = pupa_get_u32(p)) < 2 ||
                  s->n > MAX_SPLIT;
        s->nheld = bad ? 0 : (uint32_t)(v.mv_size / 4 - 1);
        s->held = p + 4;
        for (uint32_t i = 0; !bad && i < s->nheld; i++) {
            uint32_t k = pupa_get_u32(s->held + 4 * i);
            bad = k >= s->n || (i && k <= pupa_get_u32(s->held + 4 * (i - 1)));
        }
        if (bad)
            return pupa_fail(PUPA_ECORRUPT, "%s: damaged shard record", s->dir);
    } else if (rc != PUPA_ENOTFOUND) {
        return rc;
    }
    if ((rc = mdb_cursor_open(s->txn, s->ix->files, &s->cur)))
        return pupa_lmdb_fail(rc, s->dir);
    return 0;
}

static void shard_close(shard *s)
{
    if (s->cur)
        mdb_cursor_close(s->cur);
    if (s->txn)
        mdb_txn_abort(s->txn);
    pupa_index_close(s->ix);
}

/* Every shard must carry the lexicon of the first, byte for byte: hits
 * name codes and entries by position. */
static int check_lexicons(merger *m)
{
    static const char *const names[] = {"lexicon_hash", "codes", "entries"};
    shard *first = &m->shards[0];
    for (size_t n = 0; n < sizeof names / sizeof *names; n++) {
        MDB_val want;
        int rc = meta_get(first, names[n], &want);
        if (rc)
            return rc == PUPA_ENOTFOUND
                       ? pupa_fail(PUPA_ECORRUPT, "%s: index without %s", first->dir, names[n])
                       : rc;
        for (size_t i = 1; i < m->nshards; i++) {
            MDB_val got;
            rc = meta_get(&m->shards[i], names[n], &got);
            if (rc && rc != PUPA_ENOTFOUND)
                return rc;
            if (rc || !same_val(&want, &got))
                return pupa_fail(PUPA_EINVAL,
                                 "%s: built with another lexicon than %s (%s differ); "
                                 "build every shard with the same -l LEXICON",
                                 m->shards[i].dir, first->dir, names[n]);
        }
    }
    pupa_codebook cb;
    int rc = pupa_codebook_load(first->txn, first->ix, &cb);
    if (rc)
        return shard_fail(first, rc);
    m->ncodes = cb.ncodes;
    m->nentries = cb.nentries;
    pupa_codebook_free(&cb);
    m->counted = calloc(m->ncodes ? 2 * m->ncodes : 1, sizeof *m->counted);
    m->negated = m->counted + m->ncodes;
    pupa_postings_init(&m->postings, (uint32_t)m->ncodes);
    return m->counted ? 0 : pupa_fail(PUPA_ENOMEM, "out of memory");
}

/* Shards of one --shard split must each be given once, and all of them
 * unless partial.  union_out gets the "shard" record of what the inputs
 * hold together when that is not the whole split, else stays empty. */
static int check_shard_set(const merger *m, int partial, pupa_buf *union_out)
{
    const shard *a = NULL;
    unsigned char *seen = NULL; /* per shard number: 1 once an input holds it */
    int rc = 0;
    for (size_t i = 0; !rc && i < m->nshards; i++) {
        const shard *s = &m->shards[i];
        if (!s->n)
            continue;
        if (a && s->n != a->n) {
            rc = pupa_fail(PUPA_EINVAL, "%s holds shards of %u but %s of %u: give the shards "
                           "of one --shard split", s->dir, s->n, a->dir, a->n);
            break;
        }
        if (!a && !(seen = calloc(s->n, 1))) {
            rc = pupa_fail(PUPA_ENOMEM, "out of memory");
            break;
        }
        a = a ? a : s;
        for (uint32_t h = 0; !rc && h < s->nheld; h++) {
            uint32_t k = pupa_get_u32(s->held + 4 * h);
            if (seen[k])
                rc = pupa_fail(PUPA_EINVAL, "shard %u/%u is given twice (in %s)", k + 1, s->n,
                               s->dir);
            seen[k] = 1;
        }
    }
    uint32_t missing = 0, first_missing = 0;
    union_out->len = 0;
    if (!rc && a) {
        rc = pupa_rec_put_u32(union_out, a->n);
        for (uint32_t k = 0; !rc && k < a->n; k++) {
            if (seen[k])
                rc = pupa_rec_put_u32(union_out, k);
            else if (!missing++)
                first_missing = k;
        }
    }
    if (!rc && missing && !partial)
        rc = pupa_fail(PUPA_EINVAL, "shard %u/%u is missing (%u of %u are): merge all of them, "
                       "or merge groups with --partial, then the groups", first_missing + 1,
                       a->n, missing, a->n);
    if (!missing)
        union_out->len = 0; /* complete, or no split: no record, as after a single build */
    free(seen);
    return rc;
}

typedef struct range {
    uint32_t first, count;
} range;

static int cmp_range(const void *a, const void *b)
{
    const range *x = a, *y = b;
    return (x->first > y->first) - (x->first < y->first);
}

/* The files of a shard must claim document ranges below next_doc that do
 * not overlap: a damaged files record must not copy a document twice. */
static int check_ranges(shard *s)
{
    range *r = NULL;
    size_t n = 0, cap = 0;
    MDB_val k, v;
    int rc = 0, g;
    for (int op = MDB_FIRST; !rc && (g = mdb_cursor_get(s->cur, &k, &v, op)) == 0; op = MDB_NEXT) {
        if (v.mv_size != PUPA_FILE_VALUE_BYTES || k.mv_size == 0) {
            rc = pupa_fail(PUPA_ECORRUPT, "%s: damaged file record", s->dir);
            break;
        }
        if ((rc = pupa_grow(&r, &cap, n + 1, sizeof *r)))
            break;
        r[n].first = pupa_get_u32(v.mv_data);
        r[n].count = pupa_get_u32((const unsigned char *)v.mv_data + 4);
        if ((uint64_t)r[n].first + r[n].count > s->next_doc)
            rc = pupa_fail(PUPA_ECORRUPT, "%s: file record beyond the document counter", s->dir);
        n++;
    }
    if (!rc && g != MDB_NOTFOUND)
        rc = pupa_lmdb_fail(g, s->dir);
    if (!rc && n)
        qsort(r, n, sizeof *r, cmp_range);
    for (size_t i = 1; !rc && i < n; i++)
        if (r[i - 1].count && (uint64_t)r[i - 1].first + r[i - 1].count > r[i].first)
            rc = pupa_fail(PUPA_ECORRUPT, "%s: two files claim the same documents", s->dir);
    free(r);
    return rc;
}

/* ------------------------------------------------------------ writing */

/* The first transaction, as a build of a new codebook writes it, with the
 * first shard's codebook records (check_lexicons found them equal in all). */
static int write_meta(merger *m)
{
    MDB_val hash, codes, entries;
    const shard *s0 = &m->shards[0];
    int rc = meta_get(s0, "lexicon_hash", &hash);
    rc = rc ? rc : meta_get(s0, "codes", &codes);
    rc = rc ? rc : meta_get(s0, "entries", &entries);
    rc = rc ? rc : pupa_index_reset(m->txn, &m->out, &hash, &codes, &entries);
    if (!rc && m->split.len)
        rc = pupa_put(m->txn, m->out.meta, "shard", 5, m->split.data, m->split.len);
    return rc;
}

/* The postings of turn t, derived from its hits in code order as build.c's
 * code_turn() counts them, appended to m->pending (a key and its value
 * each), after checking every hit against the codebook. */
static int merge_turn(merger *m, shard *s, const pupa_turns *turns, uint32_t newdoc,
                      uint32_t year, uint32_t t)
{
    pupa_seg_rec sr;
    int rc = pupa_turns_get(turns, t, &sr);
    if (rc)
        return shard_fail(s, rc);
    for (uint32_t i = 0; i < sr.nhits; i++) {
        pupa_hit_rec h;
        if ((rc = pupa_seg_rec_hit(&sr, i, &h)))
            return shard_fail(s, rc);
        if (h.code >= m->ncodes || h.entry >= m->nentries)
            return pupa_fail(PUPA_ECORRUPT, "%s: a hit names no code of the lexicon", s->dir);
        (h.negated ? m->negated : m->counted)[h.code]++;
    }
    m->st.segments += sr.number > 0;
    m->st.hits += sr.nhits;
    for (size_t c = 0; sr.nhits && c < m->ncodes; c++) {
        if (!m->counted[c] && !m->negated[c])
            continue;
        unsigned char kv[PUPA_POSTING_KEY + 8];
        pupa_posting_key(kv, (uint32_t)c, year, newdoc, t);
        pupa_put_u32(kv + PUPA_POSTING_KEY, m->counted[c]);
        pupa_put_u32(kv + PUPA_POSTING_KEY + 4, m->negated[c]);
        m->counted[c] = m->negated[c] = 0;
        if ((rc = pupa_buf_add(&m->pending, kv, sizeof kv)))
            return rc;
    }
    return 0;
}

/* One document under its new id, in build.c's write_file() order: its
 * docs, participants and segs records, then its turns' postings.  Every
 * turn is decoded and checked once, before the first put, and its
 * postings wait in m->pending: a posting may flush the held ones to LMDB
 * (pupa_postings_add), and it must do so where a build would, after the
 * segs record, for the merged data.mdb to be a build's bytes.  Decoded
 * twice, once to check and once for the postings, the turns took about
 * 14% of a merge's CPU samples (4 shards of the 24 MB bench corpus);
 * decoded once, pupa's own code went from 23 to 18% of them. */
static int merge_doc(merger *m, shard *s, uint32_t doc, uint32_t newdoc)
{
    unsigned char dk[PUPA_DOC_KEY];
    pupa_put_u32(dk, doc);
    MDB_val key = {sizeof dk, dk}, val, segs;
    int rc = mdb_get(s->txn, s->ix->docs, &key, &val);
    if (rc == MDB_NOTFOUND)
        return pupa_fail(PUPA_ECORRUPT, "%s: a file names document %u, which is missing",
                         s->dir, doc);
    if (rc)
        return pupa_lmdb_fail(rc, s->dir);
    pupa_doc_rec d;
    if ((rc = pupa_doc_rec_decode(&val, &d)))
        return shard_fail(s, rc);
    rc = mdb_get(s->txn, s->ix->segs, &key, &segs);
    if (rc == MDB_NOTFOUND)
        return pupa_fail(PUPA_ECORRUPT, "%s: document %u has no turns record", s->dir, doc);
    if (rc)
        return pupa_lmdb_fail(rc, s->dir);
    pupa_turns turns;
    if ((rc = pupa_turns_decode(&segs, &turns)))
        return shard_fail(s, rc);
    if (turns.n != d.nturns)
        return pupa_fail(PUPA_ECORRUPT, "%s: document %u has %u turns of its %u", s->dir, doc,
                         turns.n, d.nturns);
    m->pending.len = 0;
    for (uint32_t t = 0; t < turns.n; t++)
        if ((rc = merge_turn(m, s, &turns, newdoc, d.year, t)))
            return rc;
    pupa_put_u32(dk, newdoc);
    if ((rc = pupa_put_ascending(m->txn, m->out.docs, dk, sizeof dk, val.mv_data, val.mv_size)))
        return rc;
    if ((rc = pupa_participant_key(&m->key, d.participant.s, d.participant.len, d.year,
                                   newdoc)) ||
        (rc = pupa_put(m->txn, m->out.participants, m->key.data, m->key.len, "", 0)) ||
        (rc = pupa_put_ascending(m->txn, m->out.segs, dk, sizeof dk, segs.mv_data,
                                 segs.mv_size)))
        return rc;
    const unsigned char *kv = (const unsigned char *)m->pending.data;
    for (size_t at = 0; at < m->pending.len; at += PUPA_POSTING_KEY + 8)
        if ((rc = pupa_postings_add(&m->postings, m->txn, m->out.postings, kv + at,
                                    kv + at + PUPA_POSTING_KEY)))
            return rc;
    return 0;
}

/* The shard's current file: its documents, then its files record. */
static int merge_file(merger *m, shard *s)
{
    if (s->val.mv_size != PUPA_FILE_VALUE_BYTES) /* check_ranges saw it; cheap to be sure */
        return pupa_fail(PUPA_ECORRUPT, "%s: damaged file record", s->dir);
    const unsigned char *fv = s->val.mv_data;
    uint32_t first = pupa_get_u32(fv), count = pupa_get_u32(fv + 4), newfirst = m->next_doc;
    int rc = 0;
    for (uint32_t d = 0; !rc && d < count; d++)
        rc = merge_doc(m, s, first + d, m->next_doc++);
    if (rc)
        return rc;
    unsigned char out[PUPA_FILE_VALUE_BYTES];
    memcpy(out, fv, sizeof out); /* size, mtime and manifest row stay */
    pupa_put_u32(out, newfirst);
    m->st.files_seen++;
    m->st.files_added++;
    m->st.docs += count;
    return pupa_put_ascending(m->txn, m->out.files, s->key.mv_data, s->key.mv_size, out,
                              sizeof out);
}

static int advance(shard *s, MDB_cursor_op op)
{
    int rc = mdb_cursor_get(s->cur, &s->key, &s->val, op);
    s->done = rc == MDB_NOTFOUND;
    return rc && rc != MDB_NOTFOUND ? pupa_lmdb_fail(rc, s->dir) : 0;
}

static int begin(merger *m)
{
    int rc = mdb_txn_begin(m->out.env, NULL, 0, &m->txn);
    return rc ? pupa_lmdb_fail(rc, "index write") : 0;
}

static int commit(merger *m)
{
    int rc = mdb_txn_commit(m->txn);
    m->txn = NULL;
    if (rc)
        return pupa_lmdb_fail(rc, "index commit");
    /* As a build does: the pages read through the maps, the shards' and
     * the new index's, would otherwise stay resident, and a merge reads
     * every page of every shard. */
    pupa_index_release_pages(&m->out);
    for (size_t i = 0; i < m->nshards; i++)
        pupa_index_release_pages(m->shards[i].ix);
    return 0;
}

/* Ends a batch as build.c's write_batch() does: the held postings, then
 * next_doc, then the commit. */
static int end_batch(merger *m)
{
    int rc = pupa_postings_flush(&m->postings, m->txn, m->out.postings);
    rc = rc ? rc : pupa_meta_put_u32(m->txn, &m->out, "next_doc", m->next_doc);
    return rc ? rc : commit(m);
}

/* Walks every shard's files in key order, in build.c's batches. */
static int merge_all(merger *m)
{
    int rc = 0;
    size_t total = 0, seen = 0; /* files, for the last batch (pupa_batch_tail) */
    for (size_t i = 0; !rc && i < m->nshards; i++) {
        MDB_stat st;
        shard *s = &m->shards[i];
        if ((rc = mdb_stat(s->txn, s->ix->files, &st)))
            rc = pupa_lmdb_fail(rc, s->dir);
        else
            total += st.ms_entries;
        rc = rc ? rc : advance(s, MDB_FIRST);
    }
    size_t nfiles = 0;
    uint64_t bytes = 0;
    while (!rc) {
        shard *low = NULL;
        for (size_t i = 0; i < m->nshards; i++) {
            shard *s = &m->shards[i];
            if (s->done)
                continue;
            /* LMDB's own key order, the order each shard's files are in. */
            int c = low ? mdb_cmp(s->txn, s->ix->files, &s->key, &low->key) : -1;
            if (c == 0)
                return pupa_fail(PUPA_EINVAL, "%.*s is in both %s and %s: shards must not overlap",
                                 (int)(s->key.mv_size > 300 ? 300 : s->key.mv_size),
                                 (const char *)s->key.mv_data, low->dir, s->dir);
            if (c < 0)
                low = s;
        }
        if (!low)
            break;
        /* Commits where build.c commits: the same bytes (index.h). */
        if (m->txn && (pupa_batch_full(nfiles, bytes) || pupa_batch_tail(seen, total))) {
            if ((rc = end_batch(m)))
                break;
            nfiles = 0;
            bytes = 0;
        }
        if (!m->txn && (rc = begin(m)))
            break;
        nfiles++;
        seen++;
        bytes += pupa_get_u64((const unsigned char *)low->val.mv_data + 8);
        if (!(rc = merge_file(m, low)))
            rc = advance(low, MDB_NEXT);
    }
    if (!rc && m->txn)
        rc = end_batch(m);
    return rc;
}

/* A failed merge leaves nothing: the files it made, and the folder if it
 * made that too. */
static void remove_output(const char *dir, int made_dir)
{
    static const char *const names[] = {"data.mdb", "lock.mdb", "pupa.seal", "pupa.seal.tmp"};
    char path[4200];
    for (size_t i = 0; i < sizeof names / sizeof *names; i++) {
        snprintf(path, sizeof path, "%s/%s", dir, names[i]);
        unlink(path);
    }
    if (made_dir)
        rmdir(dir);
}

int pupa_index_merge(const char *const *shard_dirs, size_t nshards, const char *out_dir,
                     int flags, pupa_build_stats *stats)
{
    if (!shard_dirs || !nshards || !out_dir)
        return pupa_fail(PUPA_EINVAL, "pupa_index_merge: no shards or no output");
    if (stats)
        memset(stats, 0, sizeof *stats);
    char path[4200];
    snprintf(path, sizeof path, "%s/data.mdb", out_dir);
    struct stat sb;
    if (stat(path, &sb) == 0)
        return pupa_fail(PUPA_EINVAL, "%s: an index is there already; merge writes a new one",
                         out_dir);
    merger m = {0};
    pupa_buf_init(&m.key, (size_t)1 << 20);
    pupa_buf_init(&m.pending, (size_t)1 << 30);
    pupa_buf_init(&m.split, 4 + 4 * (size_t)MAX_SPLIT);
    m.nshards = nshards;
    m.shards = calloc(nshards, sizeof *m.shards);
    int rc = m.shards ? 0 : pupa_fail(PUPA_ENOMEM, "out of memory");
    for (size_t i = 0; !rc && i < nshards; i++) {
        m.shards[i].dir = shard_dirs[i];
        rc = shard_open(&m.shards[i]);
        /* Each open shard holds two file descriptors (data.mdb, lock.mdb)
         * and maps its data.mdb (index.c): with the usual limit of 1,024
         * descriptors, some hundreds exhaust them. */
        if (rc == PUPA_ELMDB && i >= 128)
            rc = pupa_fail(rc, "%s: cannot open a shard beyond %zu at once; merge groups "
                           "with --partial, then merge the groups", shard_dirs[i], i);
    }
    rc = rc ? rc : check_lexicons(&m);
    rc = rc ? rc : check_shard_set(&m, (flags & PUPA_MERGE_PARTIAL) != 0, &m.split);
    for (size_t i = 0; !rc && i < nshards; i++)
        rc = check_ranges(&m.shards[i]);
    int made_dir = 0, unsealed = 0;
    pupa_seal_keep keep;
    memset(&keep, 0, sizeof keep);
    if (!rc) {
        made_dir = mkdir(out_dir, 0700) == 0;
        /* "building" until the end: a reader refuses a merge in progress. */
        unsealed = !(rc = pupa_index_unseal(out_dir, 0, &keep));
    }
    rc = rc ? rc : pupa_index_env_open(&m.out, out_dir, 1);
    rc = rc ? rc : begin(&m);
    rc = rc ? rc : write_meta(&m);
    rc = rc ? rc : commit(&m);
    rc = rc ? rc : merge_all(&m);
    if (m.txn)
        mdb_txn_abort(m.txn);
    /* As a build ends: the sync waits on the disk while the seal's
     * checksum is taken. */
    pupa_seal_sum sum = {0, 0, 0};
    int crc = m.out.env ? pupa_index_finish(&m.out, out_dir, 0, &keep, rc ? NULL : &sum) : 0;
    rc = rc ? rc : crc;
    if (!rc)
        rc = pupa_index_reseal(out_dir, &sum, 0);
    if (rc && (unsealed || made_dir)) {
        char msg[1024];
        snprintf(msg, sizeof msg, "%s", pupa_errmsg());
        remove_output(out_dir, made_dir);
        pupa_fail(rc, "%s", msg);
    }
    pupa_seal_keep_free(&keep);
    for (size_t i = 0; m.shards && i < nshards; i++)
        shard_close(&m.shards[i]);
    free(m.shards);
    free(m.counted);
    pupa_postings_free(&m.postings);
    pupa_buf_free(&m.key);
    pupa_buf_free(&m.pending);
    pupa_buf_free(&m.split);
    if (stats && !rc)
        *stats = m.st;
    return rc;
}
