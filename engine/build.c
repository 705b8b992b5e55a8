/*
 * build.c: building and updating an index from a corpus (pupa index).
 *
 * The corpus is listed and compared with the files database: a file whose
 * size, mtime and manifest row are unchanged is skipped without being read;
 * new and changed files are coded; files gone from the corpus are deleted.
 * A changed lexicon (another hash), or other turn labels, empties the index
 * and codes everything.
 * Before any of that, the corpus stamp (corpus_stamp) tells an unchanged
 * corpus without opening the index or loading the lexicon.
 *
 * Coding runs in batches of files, one LMDB transaction a batch.  OpenMP
 * threads claim files in path order and code them, each with its own
 * pupa_matcher (ICU iterator, Hyperscan scratch, buffers), serialising each
 * file's records into the file's own buffer; the calling thread writes them
 * in path order as they are done (write_batches).  So:
 *  - document ids and every byte written are the same for any thread count;
 *  - memory holds at most two batches, not the corpus;
 *  - a failure mid-run loses no batch already committed;
 *  - a file that fails to read is reported and leaves its previous version
 *    in the index untouched.
 */
#include "index.h"
#include "scan.h"

#include <hs/hs.h>
#include <omp.h>
#include <sched.h>
#include <time.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unicode/uversion.h>

/* A writer drops the index pages it read from its resident set this often
 * (files); write_batch() says why.  Batches: pupa_batch_full (index.h). */
#define RELEASE_FILES 8

/* A file the plan says to code: one per new or changed file, so kept
 * small (the plan of a million files holds a million). */
typedef struct file_task {
    const char *relpath;
    uint64_t size, mtime, manifest_hash;
    uint32_t old_first, old_count;
    int existed;             /* present in the files database */
} file_task;

/* What coding a file gives, from its coding until it is written.  Task i
 * uses slot i % IN_FLIGHT: coding runs at most one batch ahead of the batch
 * being written, and a batch has at most PUPA_BATCH_FILES files, so the tasks
 * in flight never share a slot (write_batches). */
typedef struct file_work {
    pupa_buf out;            /* serialised records, see code_file() */
    char *message;
    int rc;                  /* reading or coding failed */
    uint32_t nsegments, nhits;
} file_work;
#define IN_FLIGHT (2 * PUPA_BATCH_FILES)
/* How far coding may run ahead of the writer, in files per thread.  Coded
 * files wait in memory until they are written, and a writer held up (the
 * kernel throttling its writes while other dirty pages go to disk, as
 * right after the corpus itself was written) let coding run a whole batch
 * ahead: peak RSS at 10x the bench corpus 29.1 to 38.7 MB between runs,
 * 30.5-33.9 MB beside a buffered `dd`, 29.4 with this bound.  A few files
 * a thread keep every thread busy through a commit (-j 2 as fast). */
#define AHEAD_PER_THREAD 16

static uint64_t manifest_row_hash(const pupa_manifest *m, const char *relpath)
{
    size_t n = 0;
    const pupa_kv *row = m ? pupa_manifest_row(m, relpath, &n) : NULL;
    uint64_t h = PUPA_HASH_INIT;
    for (size_t i = 0; row && i < n; i++) {
        h = pupa_hash(h, row[i].key, strlen(row[i].key) + 1);
        h = pupa_hash(h, row[i].value, strlen(row[i].value) + 1);
    }
    return h;
}

/* ------------------------------------------------------------- coding */

/* A coding thread's per-code counts for the turn being coded, and the
 * codes they are non-zero for (in the order first hit), so that a turn is
 * summed and cleared in the time of its hits, not of the codebook.
 * code_turn leaves it clear whatever happens, errors included. */
typedef struct code_tally {
    uint32_t *counted, *negated, *touched;
    size_t ncodes, ntouched;
} code_tally;

/* Serialised form of one file in work->out, read back by write_file():
 *   u32 docs; per doc: u32 n + doc record; u32 n + segs value (the
 *     document's turns, as index.c lays them out); u32 postings; per
 *     posting: u32 turn, u32 code, u32 counted, u32 negated.
 * The coding thread lays out the segs value whole, so the single writer
 * puts it with one copy. */
static int put_block(pupa_buf *out, const pupa_buf *rec)
{
    int rc = pupa_rec_put_u32(out, (uint32_t)rec->len);
    return rc ? rc : pupa_buf_add(out, rec->data, rec->len);
}

/* Codes turn number `turn`: appends its record to out and its postings
 * to post. */
static int code_turn(pupa_matcher *m, const pupa_doc *doc, const pupa_segment *seg,
                     uint32_t turn, pupa_buf *out, pupa_buf *post, file_work *work,
                     code_tally *tally)
{
    const pupa_hit *hits = NULL;
    size_t nhits = 0;
    int rc = 0;
    if (seg->number > 0) {
        work->nsegments++;
        if ((rc = pupa_match(m, seg->text, seg->len, &hits, &nhits, NULL)))
            return rc;
        work->nhits += (uint32_t)nhits;
    }
    rc = pupa_rec_put_u32(out, seg->number);
    rc = rc ? rc : pupa_rec_put_u8(out, (uint8_t)seg->role);
    rc = rc ? rc : pupa_rec_put_u8(out, (uint8_t)seg->lang);
    rc = rc ? rc : pupa_rec_put_u64(out, seg->start);
    rc = rc ? rc : pupa_rec_put_u64(out, seg->end);
    rc = rc ? rc : pupa_rec_put_str(out, seg->speaker, seg->speaker ? strlen(seg->speaker) : 0);
    rc = rc ? rc : pupa_rec_put_str(out, seg->text, seg->len);
    rc = rc ? rc : pupa_rec_put_u32(out, (uint32_t)nhits);
    size_t base = (size_t)(seg->text - doc->text);
    for (size_t i = 0; !rc && i < nhits; i++) {
        const pupa_hit *h = &hits[i];
        rc = pupa_rec_put_u32(out, h->code);
        rc = rc ? rc : pupa_rec_put_u32(out, h->entry);
        rc = rc ? rc : pupa_rec_put_u32(out, h->start);
        rc = rc ? rc : pupa_rec_put_u32(out, h->end);
        rc = rc ? rc : pupa_rec_put_u64(out, pupa_doc_file_offset(doc, base + h->start));
        rc = rc ? rc : pupa_rec_put_u64(out, pupa_doc_file_offset(doc, base + h->end));
        rc = rc ? rc : pupa_rec_put_u8(out, (uint8_t)(h->negated != 0));
        if (h->code >= tally->ncodes)
            continue;
        if (!tally->counted[h->code] && !tally->negated[h->code])
            tally->touched[tally->ntouched++] = h->code;
        (h->negated ? tally->negated : tally->counted)[h->code]++;
    }
    /* Postings: one per code with any hit in this turn, in code order
     * (an insertion sort: a turn touches a few codes). */
    uint32_t *t = tally->touched;
    for (size_t i = 1; i < tally->ntouched; i++)
        for (size_t j = i; j > 0 && t[j - 1] > t[j]; j--) {
            uint32_t c = t[j];
            t[j] = t[j - 1];
            t[j - 1] = c;
        }
    for (size_t i = 0; i < tally->ntouched; i++) {
        uint32_t c = t[i];
        rc = rc ? rc : pupa_rec_put_u32(post, turn);
        rc = rc ? rc : pupa_rec_put_u32(post, c);
        rc = rc ? rc : pupa_rec_put_u32(post, tally->counted[c]);
        rc = rc ? rc : pupa_rec_put_u32(post, tally->negated[c]);
        tally->counted[c] = tally->negated[c] = 0;
    }
    tally->ntouched = 0;
    return rc;
}

/* A coded file's posting in work->out: turn, code, counted, negated (not
 * index.h's PUPA_POSTING_BYTES, an index block's entry: doc, turn, ...). */
#define CODED_POSTING_BYTES 16u

static int code_doc(pupa_matcher *m, const pupa_doc *doc, file_work *work, code_tally *tally)
{
    pupa_buf rec, post;
    pupa_buf_init(&rec, (size_t)PUPA_MAX_FILE_BYTES * 2);
    pupa_buf_init(&post, (size_t)PUPA_MAX_FILE_BYTES * 2);
    pupa_buf *out = &work->out;
    int rc = pupa_rec_put_u32(&rec, (uint32_t)doc->year);
    rc = rc ? rc : pupa_rec_put_str(&rec, doc->id, strlen(doc->id));
    rc = rc ? rc : pupa_rec_put_str(&rec, doc->participant, strlen(doc->participant));
    rc = rc ? rc : pupa_rec_put_u32(&rec, (uint32_t)doc->nsegs);
    rc = rc ? rc : pupa_rec_put_u32(&rec, (uint32_t)doc->nmeta);
    for (size_t i = 0; !rc && i < doc->nmeta; i++) {
        rc = pupa_rec_put_str(&rec, doc->meta[i].key, strlen(doc->meta[i].key));
        rc = rc ? rc : pupa_rec_put_str(&rec, doc->meta[i].value, strlen(doc->meta[i].value));
    }
    rc = rc ? rc : put_block(out, &rec);
    /* The segs value is laid out in place, its length filled in after. */
    size_t len_at = out->len, table_at = 0;
    rc = rc ? rc : pupa_rec_put_u32(out, 0);
    rc = rc ? rc : pupa_turns_begin(out, (uint32_t)doc->nsegs, &table_at);
    for (size_t s = 0; !rc && s < doc->nsegs; s++) {
        rc = code_turn(m, doc, &doc->segs[s], (uint32_t)s, out, &post, work, tally);
        if (!rc)
            pupa_turns_end(out, table_at, (uint32_t)s);
    }
    if (!rc) {
        pupa_put_u32((unsigned char *)out->data + len_at, (uint32_t)(out->len - len_at - 4));
        rc = pupa_rec_put_u32(out, (uint32_t)(post.len / CODED_POSTING_BYTES));
    }
    rc = rc ? rc : pupa_buf_add(out, post.data, post.len);
    pupa_buf_free(&rec);
    pupa_buf_free(&post);
    return rc;
}

static void code_file(pupa_matcher *m, const char *corpus, const pupa_manifest *manifest,
                      const pupa_read_opts *ropts, code_tally *tally, const file_task *task,
                      file_work *work)
{
    size_t plen = strlen(corpus) + strlen(task->relpath) + 2;
    char *path = malloc(plen);
    pupa_file *f = NULL;
    int rc = path ? 0 : pupa_fail(PUPA_ENOMEM, "out of memory");
    if (!rc) {
        snprintf(path, plen, "%s/%s", corpus, task->relpath);
        rc = pupa_file_read(&f, path, task->relpath, manifest, ropts);
    }
    /* The records hold the file's text and its hits: room for about that
     * at once, rather than doubling up to it from 64 bytes (the copies
     * cost 2-3% of a build, twice that in a coding thread's malloc arena,
     * where a block grows in place less often). */
    uint64_t expect = task->size + task->size / 4 + 4096;
    if (!rc && expect < work->out.max)
        rc = pupa_buf_reserve(&work->out, (size_t)expect);
    size_t ndocs = f ? pupa_file_ndocs(f) : 0;
    rc = rc ? rc : pupa_rec_put_u32(&work->out, (uint32_t)ndocs);
    for (size_t d = 0; !rc && d < ndocs; d++)
        rc = code_doc(m, pupa_file_doc(f, d), work, tally);
    if (rc) {
        work->rc = rc;
        work->message = pupa_strdup(pupa_errmsg()[0] ? pupa_errmsg() : pupa_strerror(rc));
        pupa_buf_free(&work->out);
    }
    pupa_file_free(f);
    free(path);
}

/* ------------------------------------------------------------ writing */

static int del(MDB_txn *txn, MDB_dbi dbi, const void *k, size_t kn)
{
    MDB_val key = {kn, (void *)k};
    int rc = mdb_del(txn, dbi, &key, NULL);
    return rc && rc != MDB_NOTFOUND ? pupa_lmdb_fail(rc, "index delete") : 0;
}

static int by_u32(const void *a, const void *b)
{
    uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;
    return (x > y) - (x < y);
}

/* Removes one document and every key that points at it. */
static int delete_doc(MDB_txn *txn, const struct pupa_index *ix, uint32_t doc, pupa_buf *tmp)
{
    unsigned char dk[PUPA_DOC_KEY];
    pupa_put_u32(dk, doc);
    MDB_val key = {sizeof dk, dk}, val;
    int rc = mdb_get(txn, ix->docs, &key, &val);
    if (rc == MDB_NOTFOUND)
        return 0;
    if (rc)
        return pupa_lmdb_fail(rc, "index read");
    pupa_doc_rec d;
    if ((rc = pupa_doc_rec_decode(&val, &d)))
        return rc;
    /* Values point into pages a write may move: copy what is needed. */
    uint32_t year = d.year;
    if ((rc = pupa_participant_key(tmp, d.participant.s, d.participant.len, year, doc)) ||
        (rc = del(txn, ix->participants, tmp->data, tmp->len)))
        return rc;
    rc = mdb_get(txn, ix->segs, &key, &val);
    if (rc == MDB_NOTFOUND)
        return del(txn, ix->docs, dk, sizeof dk);
    if (rc)
        return pupa_lmdb_fail(rc, "index read");
    /* The codes of its hits first (values move on a write), then their
     * postings. */
    pupa_turns turns;
    if ((rc = pupa_turns_decode(&val, &turns)))
        return rc;
    pupa_buf codes;
    pupa_buf_init(&codes, (size_t)1 << 30);
    for (uint32_t t = 0; !rc && t < turns.n; t++) {
        pupa_seg_rec s;
        rc = pupa_turns_get(&turns, t, &s);
        for (uint32_t i = 0; !rc && i < s.nhits; i++) {
            pupa_hit_rec h;
            if (!(rc = pupa_seg_rec_hit(&s, i, &h)))
                rc = pupa_buf_add(&codes, &h.code, sizeof h.code);
        }
    }
    uint32_t *code = (uint32_t *)(void *)codes.data;
    size_t ncodes = rc ? 0 : codes.len / sizeof *code;
    if (ncodes)
        qsort(code, ncodes, sizeof *code, by_u32);
    for (size_t i = 0; !rc && i < ncodes; i++)
        if (i == 0 || code[i] != code[i - 1])
            rc = pupa_postings_delete(txn, ix->postings, code[i], year, doc, tmp);
    pupa_buf_free(&codes);
    rc = rc ? rc : del(txn, ix->segs, dk, sizeof dk);
    return rc ? rc : del(txn, ix->docs, dk, sizeof dk);
}

/* A reader over the trusted serialised form in work->out. */
typedef struct blob {
    const unsigned char *p, *end;
} blob;
static uint32_t blob_u32(blob *b)
{
    uint32_t v = pupa_get_u32(b->p);
    b->p += 4;
    return v;
}

static int write_file(MDB_txn *txn, const struct pupa_index *ix, const file_task *task,
                      const file_work *work, uint32_t *next_doc, pupa_postings *postings,
                      pupa_buf *tmp)
{
    int rc = 0;
    if (task->existed)
        for (uint32_t i = 0; !rc && i < task->old_count; i++)
            rc = delete_doc(txn, ix, task->old_first + i, tmp);
    blob b = {(const unsigned char *)work->out.data,
              (const unsigned char *)work->out.data + work->out.len};
    uint32_t ndocs = blob_u32(&b), first = *next_doc;
    for (uint32_t d = 0; !rc && d < ndocs; d++) {
        uint32_t doc = (*next_doc)++;
        uint32_t reclen = blob_u32(&b);
        MDB_val dv = {reclen, (void *)b.p};
        pupa_doc_rec dr;
        if ((rc = pupa_doc_rec_decode(&dv, &dr)))
            break;
        unsigned char dk[PUPA_DOC_KEY];
        pupa_put_u32(dk, doc);
        if ((rc = pupa_put_ascending(txn, ix->docs, dk, sizeof dk, b.p, reclen)) ||
            (rc = pupa_participant_key(tmp, dr.participant.s, dr.participant.len, dr.year, doc)) ||
            (rc = pupa_put(txn, ix->participants, tmp->data, tmp->len, "", 0)))
            break;
        b.p += reclen;
        uint32_t slen = blob_u32(&b);
        rc = pupa_put_ascending(txn, ix->segs, dk, sizeof dk, b.p, slen);
        b.p += slen;
        uint32_t npost = blob_u32(&b);
        for (uint32_t i = 0; !rc && i < npost; i++) {
            uint32_t turn = blob_u32(&b), code = blob_u32(&b);
            unsigned char pk[PUPA_POSTING_KEY];
            pupa_posting_key(pk, code, dr.year, doc, turn);
            rc = pupa_postings_add(postings, txn, ix->postings, pk, b.p); /* counted, negated */
            b.p += 8;
        }
    }
    if (!rc) {
        unsigned char fv[PUPA_FILE_VALUE_BYTES];
        pupa_put_u32(fv, first);
        pupa_put_u32(fv + 4, ndocs);
        pupa_put_u64(fv + 8, task->size);
        pupa_put_u64(fv + 16, task->mtime);
        pupa_put_u64(fv + 24, task->manifest_hash);
        rc = pupa_put_ascending(txn, ix->files, task->relpath, strlen(task->relpath), fv,
                                sizeof fv);
    }
    return rc;
}

/* --------------------------------------------------------------- meta */

/* The codebook's codes and entries records (index.c), into codes and
 * entries. */
static int encode_codebook(const pupa_lexicon *lex, pupa_buf *codes, pupa_buf *entries)
{
    size_t nc = pupa_lexicon_ncodes(lex), ne = pupa_lexicon_nentries(lex);
    int rc = pupa_rec_put_u32(codes, (uint32_t)nc);
    for (size_t i = 0; !rc && i < nc; i++) {
        const char *c = pupa_lexicon_code(lex, (uint32_t)i);
        rc = pupa_rec_put_str(codes, c, strlen(c));
    }
    rc = rc ? rc : pupa_rec_put_u32(entries, (uint32_t)ne);
    char where[4200];
    for (size_t i = 0; !rc && i < ne; i++) {
        const pupa_entry *e = pupa_lexicon_entry(lex, (uint32_t)i);
        int n = snprintf(where, sizeof where, "%s:%u", e->file, e->line);
        rc = pupa_rec_put_str(entries, where, n < (int)sizeof where ? (size_t)n : sizeof where - 1);
    }
    return rc;
}

/* h extended by the string s and its NUL; NULL hashes apart from "". */
static uint64_t hash_str(uint64_t h, const char *s)
{
    return s ? pupa_hash(h, s, strlen(s) + 1) : pupa_hash(h, "", 1) ^ 1;
}

/* What the hits come from: the lexicon, which turns are coded, and how
 * this pupa codes them. */
static uint64_t coding_hash(const pupa_lexicon *lex, const pupa_read_opts *r)
{
    uint32_t version = PUPA_CODING_VERSION;
    uint64_t h = pupa_hash(pupa_lexicon_hash(lex), &version, sizeof version);
    h = hash_str(h, r->participant_labels);
    h = hash_str(h, r->interviewer_labels);
    uint32_t ci = (uint32_t)r->code_interviewer;
    return pupa_hash(h, &ci, sizeof ci);
}

/* Checks the format, and empties the index when the lexicon or the reading
 * options changed.  An index of another format sets *foreign: it is sound,
 * only not this pupa's to write. */
static int prepare(MDB_txn *txn, const struct pupa_index *ix, const pupa_lexicon *lex,
                   const pupa_read_opts *read, const char *dir, uint32_t *next_doc,
                   int *foreign)
{
    MDB_val k = {6, "format"}, v;
    int rc = mdb_get(txn, ix->meta, &k, &v);
    if (rc == 0 && v.mv_size != 4)
        return pupa_fail(PUPA_ECORRUPT, "%s: damaged index format record", dir);
    if (rc == 0 && pupa_get_u32(v.mv_data) != PUPA_INDEX_FORMAT && (*foreign = 1))
        return pupa_fail(PUPA_ECORRUPT,
                         "%s: an index of format %u, and this pupa writes format %u; "
                         "remove it and index again", dir, pupa_get_u32(v.mv_data),
                         PUPA_INDEX_FORMAT);
    if (rc && rc != MDB_NOTFOUND)
        return pupa_lmdb_fail(rc, dir);
    uint64_t hash = coding_hash(lex, read);
    k = (MDB_val){12, "lexicon_hash"};
    int same = mdb_get(txn, ix->meta, &k, &v) == 0 && v.mv_size == 8 &&
               pupa_get_u64(v.mv_data) == hash;
    *next_doc = 0;
    if (same) {
        k = (MDB_val){8, "next_doc"};
        if (mdb_get(txn, ix->meta, &k, &v) || v.mv_size != 4)
            return pupa_fail(PUPA_ECORRUPT, "%s: index without a document counter", dir);
        *next_doc = pupa_get_u32(v.mv_data);
        return 0;
    }
    unsigned char hb[8];
    pupa_put_u64(hb, hash);
    pupa_buf codes, entries;
    pupa_buf_init(&codes, (size_t)1 << 30);
    pupa_buf_init(&entries, (size_t)1 << 30);
    rc = encode_codebook(lex, &codes, &entries);
    MDB_val hv = {8, hb}, cv = {codes.len, codes.data}, ev = {entries.len, entries.data};
    rc = rc ? rc : pupa_index_reset(txn, ix, &hv, &cv, &ev);
    pupa_buf_free(&codes);
    pupa_buf_free(&entries);
    return rc;
}

/* Records which shard this index holds (merge.c checks that none is
 * missing), or forgets it when the index now holds the whole corpus. */
static int note_shard(MDB_txn *txn, const struct pupa_index *ix, const pupa_build_opts *o)
{
    MDB_val k = {5, "shard"}, v;
    unsigned char b[8];
    pupa_put_u32(b, o->nshards);
    pupa_put_u32(b + 4, o->shard);
    /* Looked up first: an unchanged index must not be written to. */
    int had = mdb_get(txn, ix->meta, &k, &v) == 0;
    if (o->nshards > 1)
        return had && v.mv_size == 8 && !memcmp(v.mv_data, b, 8)
                   ? 0 : pupa_put(txn, ix->meta, "shard", 5, b, sizeof b);
    return had ? del(txn, ix->meta, "shard", 5) : 0;
}

/* Keeps the paths of one shard, and their stats, in order (pupa_shard_of:
 * merge.c). */
static size_t keep_shard(char **paths, pupa_file_stat *fs, size_t n, uint32_t shard,
                         uint32_t nshards)
{
    size_t kept = 0;
    for (size_t i = 0; i < n; i++) {
        if (pupa_shard_of(paths[i], nshards) == shard) {
            fs[kept] = fs[i];
            paths[kept++] = paths[i];
        } else {
            free(paths[i]);
        }
    }
    return kept;
}

/* ----------------------------------------------------------- planning */

/* corpus/manifest.csv, malloc'ed; NULL when out of memory. */
static char *manifest_path(const char *corpus)
{
    size_t len = strlen(corpus) + 16;
    char *p = malloc(len);
    if (p)
        snprintf(p, len, "%s/manifest.csv", corpus);
    return p;
}

/* Hashes the bytes of the file at path into *h; 0, or an error. */
static int hash_file(uint64_t *h, const char *path)
{
    char *bytes;
    size_t len;
    int rc = pupa_read_all(path, (size_t)1 << 30, &bytes, &len);
    if (rc == PUPA_ENOTFOUND) {
        *h = pupa_hash(*h, "absent", 6);
        return 0;
    }
    if (rc)
        return rc;
    *h = pupa_hash(pupa_hash(*h, &len, sizeof len), bytes, len);
    free(bytes);
    return 0;
}

/* The corpus stamp: a hash of everything a build's result depends on, read
 * without opening the index or loading the lexicon: this build of pupa
 * (index format, coding version, ICU, Hyperscan), the lexicon file's bytes,
 * the options, manifest.csv's bytes, and every listed file's path, size and
 * mtime.  An index sealed with the same stamp, by a build that coded every
 * file, is what this build would write, so an unchanged corpus is done in
 * the time it takes to list it (sizes and mtimes as the listing saw them).
 * 0: no stamp (the lexicon or the manifest could not be read); the build
 * then goes the long way. */
static uint64_t corpus_stamp(const char *corpus, char *const *paths, const pupa_file_stat *fs,
                             size_t npaths, const pupa_build_opts *o)
{
    uint64_t h = PUPA_HASH_INIT;
    uint32_t versions[2] = {PUPA_INDEX_FORMAT, PUPA_CODING_VERSION};
    h = pupa_hash(h, versions, sizeof versions);
    h = hash_str(h, U_ICU_VERSION);
    h = hash_str(h, hs_version());
    if (hash_file(&h, o->lexicon))
        return 0;
    h = hash_str(h, o->read.participant_labels);
    h = hash_str(h, o->read.interviewer_labels);
    uint32_t flags[3] = {(uint32_t)o->read.code_interviewer, o->shard, o->nshards};
    h = pupa_hash(h, flags, sizeof flags);
    char *mpath = manifest_path(corpus);
    int rc = mpath ? hash_file(&h, mpath) : PUPA_ENOMEM;
    free(mpath);
    if (rc)
        return 0;
    for (size_t i = 0; i < npaths; i++) {
        uint64_t sm[2] = {fs[i].size, fs[i].mtime};
        h = pupa_hash(hash_str(h, paths[i]), sm, sizeof sm);
    }
    return h ? h : 1;
}

/* Sorts the listed files into tasks (new or changed) and unchanged ones,
 * and deletes files that are gone.  paths are sorted, as are LMDB keys. */
static int plan(MDB_txn *txn, const struct pupa_index *ix, char **paths, const pupa_file_stat *fs,
                size_t npaths, const pupa_manifest *manifest, file_task **tasks_out,
                size_t *ntasks, pupa_build_stats *st, pupa_buf *tmp)
{
    file_task *tasks = calloc(npaths ? npaths : 1, sizeof *tasks);
    if (!tasks)
        return pupa_fail(PUPA_ENOMEM, "out of memory");
    size_t n = 0;
    int rc = 0;
    for (size_t i = 0; !rc && i < npaths; i++) {
        file_task t = {.relpath = paths[i], .size = fs[i].size, .mtime = fs[i].mtime};
        t.manifest_hash = manifest_row_hash(manifest, paths[i]);
        MDB_val k = {strlen(paths[i]), paths[i]}, v;
        int g = mdb_get(txn, ix->files, &k, &v);
        if (g == 0) {
            if (v.mv_size != PUPA_FILE_VALUE_BYTES) {
                rc = pupa_fail(PUPA_ECORRUPT, "index: damaged file record for %s", paths[i]);
                break;
            }
            const unsigned char *fv = v.mv_data;
            t.existed = 1;
            t.old_first = pupa_get_u32(fv);
            t.old_count = pupa_get_u32(fv + 4);
            if (pupa_get_u64(fv + 8) == t.size && pupa_get_u64(fv + 16) == t.mtime &&
                pupa_get_u64(fv + 24) == t.manifest_hash) {
                st->files_unchanged++;
                continue;
            }
        } else if (g != MDB_NOTFOUND) {
            rc = pupa_lmdb_fail(g, "index read");
            break;
        }
        tasks[n++] = t;
    }
    /* Files in the index that the corpus no longer has. */
    MDB_cursor *cur = NULL;
    if (!rc && (rc = mdb_cursor_open(txn, ix->files, &cur)))
        rc = pupa_lmdb_fail(rc, "index read");
    MDB_val k, v;
    size_t gone_cap = 0, ngone = 0;
    uint32_t(*gone)[2] = NULL;
    char **gone_keys = NULL;
    size_t gone_keys_cap = 0;
    for (int op = MDB_FIRST; !rc && mdb_cursor_get(cur, &k, &v, op) == 0; op = MDB_NEXT) {
        char *key = pupa_strndup(k.mv_data, k.mv_size);
        if (!key) {
            rc = pupa_fail(PUPA_ENOMEM, "out of memory");
            break;
        }
        size_t lo = 0, hi = npaths;
        while (lo < hi) {
            size_t mid = (lo + hi) / 2;
            if (strcmp(paths[mid], key) < 0)
                lo = mid + 1;
            else
                hi = mid;
        }
        if (lo < npaths && strcmp(paths[lo], key) == 0) {
            free(key);
            continue;
        }
        if (v.mv_size != PUPA_FILE_VALUE_BYTES ||
            pupa_grow(&gone, &gone_cap, ngone + 1, sizeof *gone) ||
            pupa_grow(&gone_keys, &gone_keys_cap, ngone + 1, sizeof *gone_keys)) {
            free(key);
            rc = v.mv_size != PUPA_FILE_VALUE_BYTES
                     ? pupa_fail(PUPA_ECORRUPT, "index: damaged file record")
                     : PUPA_ENOMEM;
            break;
        }
        gone[ngone][0] = pupa_get_u32(v.mv_data);
        gone[ngone][1] = pupa_get_u32((const unsigned char *)v.mv_data + 4);
        gone_keys[ngone++] = key;
    }
    if (cur)
        mdb_cursor_close(cur);
    for (size_t i = 0; i < ngone; i++) {
        for (uint32_t d = 0; !rc && d < gone[i][1]; d++)
            rc = delete_doc(txn, ix, gone[i][0] + d, tmp);
        if (!rc)
            rc = del(txn, ix->files, gone_keys[i], strlen(gone_keys[i]));
        if (!rc)
            st->files_removed++;
        free(gone_keys[i]);
    }
    free(gone);
    free(gone_keys);
    if (rc) {
        free(tasks);
        return rc;
    }
    *tasks_out = tasks;
    *ntasks = n;
    return 0;
}

/* Frees the listed paths no task points at (the unchanged files'): tasks
 * are a subsequence of paths, in the same order. */
static void release_unplanned(char **paths, size_t npaths, const file_task *tasks,
                              size_t ntasks)
{
    size_t t = 0;
    for (size_t i = 0; i < npaths; i++) {
        if (t < ntasks && tasks[t].relpath == paths[i]) {
            t++;
            continue;
        }
        free(paths[i]);
        paths[i] = NULL;
    }
}

/* ---------------------------------------------------------------- run */

/* Where the batch starting at task b0 ends (pupa_batch_full). */
static size_t batch_end(const file_task *tasks, size_t b0, size_t ntasks)
{
    uint64_t bytes = 0;
    size_t b1 = b0;
    for (; b1 < ntasks && !pupa_batch_full(b1 - b0, bytes) &&
           !(b1 > b0 && pupa_batch_tail(b1, ntasks));
         b1++)
        bytes += tasks[b1].size;
    return b1;
}

/* The coding pipeline shared by the coding team's threads: which task
 * is next to code, which are coded, and how far coding may run ahead of
 * the writer.  Tasks are claimed in path order, one at a time (dynamic
 * scheduling), from an atomic counter. */
typedef struct pipeline {
    const char *corpus;
    const pupa_manifest *manifest;
    const pupa_build_opts *opts;
    file_task *tasks;
    file_work *work;         /* IN_FLIGHT slots: task i's is work[i % IN_FLIGHT] */
    size_t ntasks, ncodes;
    pupa_matcher **matchers;
    uint32_t *counts;        /* per thread: counted, negated, touched (code_tally) */
    unsigned char *coded;    /* per task: set (release) once coded */
    size_t next;             /* next task to claim (atomic) */
    size_t limit;            /* tasks from here wait for the writer (atomic) */
    size_t written;          /* the task the writer writes next (atomic) */
    size_t ahead;            /* ... and coding runs at most this far past it */
    pupa_postings postings;  /* the writer's, held until each batch's end */
    pupa_seal_keep *seal;    /* told after each commit what LMDB may write next */
    const struct pupa_index *ix;
    int nthreads;
    int stop;                /* the writer failed: stop coding (atomic) */
    int writeback;           /* a commit's pages may go to disk: the next coder starts it */
} pipeline;

static void work_init(file_work *w)
{
    memset(w, 0, sizeof *w);
    pupa_buf_init(&w->out, (size_t)PUPA_MAX_FILE_BYTES * 4);
}

static void work_clear(file_work *w)
{
    pupa_buf_free(&w->out);
    free(w->message);
    work_init(w);
}

#define CLAIM_NONE ((size_t)-1) /* every task is claimed, or the run stopped */
#define CLAIM_WAIT ((size_t)-2) /* the next task is past the limit */
/* A coder waiting for the serial start yields its core this many times
 * (a few milliseconds) before it sleeps between looks (team_wait). */
#define TEAM_YIELDS 20000

static size_t claim(pipeline *pl)
{
    size_t i = __atomic_load_n(&pl->next, __ATOMIC_RELAXED);
    for (;;) {
        if (i >= pl->ntasks || __atomic_load_n(&pl->stop, __ATOMIC_RELAXED))
            return CLAIM_NONE;
        if (i >= __atomic_load_n(&pl->limit, __ATOMIC_ACQUIRE) ||
            i >= __atomic_load_n(&pl->written, __ATOMIC_RELAXED) + pl->ahead)
            return CLAIM_WAIT;
        if (__atomic_compare_exchange_n(&pl->next, &i, i + 1, 0, __ATOMIC_ACQ_REL,
                                        __ATOMIC_RELAXED))
            return i;
    }
}

static void code_task(pipeline *pl, size_t i)
{
    /* The writer's last commit asked for its pages to go to disk: the
     * call waits while the disk queue takes them (0.3-3.8 ms a batch on
     * the 2-core VM), which a coder can afford and the one writer, which
     * bounds many threads, cannot. */
    if (__atomic_load_n(&pl->writeback, __ATOMIC_RELAXED) &&
        __atomic_exchange_n(&pl->writeback, 0, __ATOMIC_ACQ_REL))
        pupa_index_start_writeback(pl->ix);
    int tid = omp_get_thread_num();
    uint32_t *counts = pl->counts + (size_t)tid * 3 * pl->ncodes;
    code_tally tally = {counts, counts + pl->ncodes, counts + 2 * pl->ncodes, pl->ncodes, 0};
    code_file(pl->matchers[tid], pl->corpus, pl->manifest, &pl->opts->read, &tally,
              &pl->tasks[i], &pl->work[i % IN_FLIGHT]);
    __atomic_store_n(&pl->coded[i], 1, __ATOMIC_RELEASE);
}

/* Whether the writer, waiting for task i, codes a task itself: while
 * task i is not claimed yet, or the coders have claimed no more than two
 * tasks each past it (not counting the `mine` the writer claimed itself
 * while it waited: a long file i must not stop it).  When they run further
 * ahead the writer is what bounds the run (16 threads on the lent machine,
 * docs/benchmarks.md), and a file it codes (0.3-1 ms) delays every write
 * behind it, while task i, claimed already, is soon ready. */
static int writer_codes(const pipeline *pl, size_t i, size_t mine)
{
    size_t next = __atomic_load_n(&pl->next, __ATOMIC_RELAXED);
    return next <= i || next - i <= 2 * (size_t)pl->nthreads + mine;
}

/* The writer waits for task i to be coded, coding others meanwhile (itself
 * when it is next) unless the coders are far ahead (writer_codes).  It
 * never waits on a task past the limit, which is always beyond the batch
 * it writes. */
static void wait_coded(pipeline *pl, size_t i)
{
    size_t mine = 0;
    for (unsigned spins = 0; !__atomic_load_n(&pl->coded[i], __ATOMIC_ACQUIRE);) {
        size_t j = writer_codes(pl, i, mine) ? claim(pl) : CLAIM_WAIT;
        if (j < CLAIM_WAIT) {
            code_task(pl, j);
            mine++;
        } else if (++spins < 64) { /* task i is being coded by another thread */
            sched_yield();
        } else { /* a long file: stop burning a core on it */
            nanosleep(&(struct timespec){0, 50000}, NULL);
        }
    }
}

/* Writes tasks [b0, b1) in path order in one transaction, each as soon as
 * it is coded. */
static int write_batch(const struct pupa_index *ix, pipeline *pl, size_t b0, size_t b1,
                       uint32_t *next_doc, pupa_build_stats *st, pupa_buf *tmp)
{
    const pupa_build_opts *opts = pl->opts;
    MDB_txn *txn;
    int rc = mdb_txn_begin(ix->env, NULL, 0, &txn);
    if (rc)
        return pupa_lmdb_fail(rc, "index write");
    for (size_t i = b0; !rc && i < b1; i++) {
        const file_task *t = &pl->tasks[i];
        file_work *w = &pl->work[i % IN_FLIGHT];
        wait_coded(pl, i);
        /* See below: also within a batch, since each page fault on the
         * map brings in its neighbours (the kernel's fault-around, 16
         * pages), and each document's participants key lands on another
         * leaf of their tree.  Every 32 files, the 240 MB bench corpus
         * peaked 0.3-1 MB higher than every 8 (docs/benchmarks.md). */
        if (i > b0 && (i - b0) % RELEASE_FILES == 0)
            pupa_index_release_pages(ix);
        if (w->rc) {
            st->files_failed++;
            if (opts->on_file_error)
                opts->on_file_error(opts->ctx, t->relpath, w->message);
        } else {
            rc = write_file(txn, ix, t, w, next_doc, &pl->postings, tmp);
            if (!rc) {
                if (t->existed)
                    st->files_changed++;
                else
                    st->files_added++;
                st->segments += w->nsegments;
                st->hits += w->nhits;
                st->docs += pupa_get_u32((const unsigned char *)w->out.data);
            }
        }
        work_clear(w); /* the slot is the next task's but one batch on */
        __atomic_store_n(&pl->written, i + 1, __ATOMIC_RELAXED);
    }
    if (!rc)
        rc = pupa_postings_flush(&pl->postings, txn, ix->postings);
    if (!rc)
        rc = pupa_meta_put_u32(txn, ix, "next_doc", *next_doc);
    if (rc) {
        mdb_txn_abort(txn);
        return rc;
    }
    if ((rc = mdb_txn_commit(txn)))
        return pupa_lmdb_fail(rc, "index commit");
    if (opts->on_progress)
        opts->on_progress(opts->ctx, b1, pl->ntasks);
    /* After the last batch pupa_index_finish closes the map, gives memory
     * back and syncs: doing it here as well cost a small update 1-2 ms. */
    if (b1 == pl->ntasks)
        return 0;
    pupa_seal_track(pl->seal, ix->env);
    /* The pages of the index this batch read through LMDB's read-only
     * map would stay in the resident set and grow it with the index; they
     * are clean file pages, so dropping them frees nothing but the mapping,
     * and the next batch reads what it needs back from the page cache.
     * Memory then stays flat however large the corpus (issue 5). */
    pupa_index_release_pages(ix);
    /* This commit's pages may go to disk now, so that the sync at the end
     * has little left to write: a coder starts it (code_task). */
    __atomic_store_n(&pl->writeback, 1, __ATOMIC_RELEASE);
    /* No malloc_trim here: the freed buffers (LMDB's pages for this
     * batch's turns records, the coded files) are what the next batch
     * allocates again.  Trimmed, each of their pages faulted in again
     * every batch (8,500 faults on the 24 MB corpus instead of 3,800, 5%
     * of a build), and the 10x corpus peaked higher relative to the 1x one
     * (1.15 against 1.06, docs/benchmarks.md). */
    return 0;
}

/* The threads a build codes with (-j, else OpenMP's default). */
static int build_threads(const pupa_build_opts *opts)
{
    return opts->threads > 0 ? opts->threads : omp_get_max_threads();
}

/* Readies the pipeline for tasks: per-thread counts and matchers (made
 * here, so a failure stops the run before any file is coded) and the work
 * slots.  pipeline_free undoes it, also after a failure. */
static int pipeline_setup(pipeline *pl, int nthreads, const char *corpus,
                          const pupa_lexicon *lex, const pupa_manifest *manifest,
                          const pupa_build_opts *opts, file_task *tasks, size_t ntasks,
                          const struct pupa_index *ix, pupa_seal_keep *seal)
{
    *pl = (pipeline){.corpus = corpus, .manifest = manifest, .opts = opts, .tasks = tasks,
                     .ntasks = ntasks, .ncodes = pupa_lexicon_ncodes(lex), .seal = seal,
                     .ix = ix, .nthreads = nthreads};
    pl->matchers = calloc((size_t)nthreads, sizeof *pl->matchers);
    pl->counts = calloc((size_t)nthreads * 3 * (pl->ncodes ? pl->ncodes : 1), sizeof *pl->counts);
    pl->coded = calloc(ntasks ? ntasks : 1, 1);
    pl->work = malloc(IN_FLIGHT * sizeof *pl->work);
    pl->ahead = AHEAD_PER_THREAD * (size_t)nthreads;
    pupa_postings_init(&pl->postings, (uint32_t)pl->ncodes);
    for (size_t i = 0; pl->work && i < IN_FLIGHT; i++)
        work_init(&pl->work[i]);
    int rc = pl->matchers && pl->counts && pl->coded && pl->work
                 ? 0 : pupa_fail(PUPA_ENOMEM, "out of memory");
    for (int i = 0; !rc && i < nthreads; i++)
        if (!(rc = pupa_matcher_new(&pl->matchers[i], lex)))
            rc = pupa_matcher_set_mode(pl->matchers[i], opts->tokenise_all
                                                            ? PUPA_MATCH_TOKENISE_ALL
                                                            : PUPA_MATCH_FAST);
    pl->limit = batch_end(tasks, batch_end(tasks, 0, ntasks), ntasks);
    return rc;
}

static void pipeline_free(pipeline *pl)
{
    for (int i = 0; pl->matchers && i < pl->nthreads; i++)
        pupa_matcher_free(pl->matchers[i]);
    free(pl->matchers);
    free(pl->counts);
    free(pl->coded);
    pupa_postings_free(&pl->postings);
    for (size_t i = 0; pl->work && i < IN_FLIGHT; i++) /* what a failed run left */
        work_clear(&pl->work[i]);
    free(pl->work);
    memset(pl, 0, sizeof *pl);
}

/* Thread 0's part of the coding run: the single LMDB writer.  It writes
 * each batch in path order, one transaction a batch, taking each file as
 * soon as it is coded, and codes files itself while the next one to
 * write is not ready, unless the coders are far ahead (writer_codes); on a
 * failure it stops the coders.  The other threads
 * (code_tasks) claim files in order and code them, running at most one
 * batch ahead of the batch being written, so two batches are in memory at
 * most.  Neither the commits nor the order of writes depend on the thread
 * count, so the index stays byte-identical for any; and the writer no
 * longer leaves the cores idle at the end of a run or of a small update. */
static int write_batches(const struct pupa_index *ix, pipeline *pl, uint32_t *next_doc,
                         pupa_build_stats *st, pupa_buf *tmp)
{
    for (size_t b0 = 0, b1 = batch_end(pl->tasks, 0, pl->ntasks); b0 < pl->ntasks;) {
        int rc = write_batch(ix, pl, b0, b1, next_doc, st, tmp);
        if (rc) {
            __atomic_store_n(&pl->stop, 1, __ATOMIC_RELAXED);
            return rc;
        }
        b0 = b1;
        b1 = batch_end(pl->tasks, b0, pl->ntasks);
        /* Coding may now run through the batch after b1's. */
        __atomic_store_n(&pl->limit, batch_end(pl->tasks, b1, pl->ntasks), __ATOMIC_RELEASE);
    }
    return 0;
}

/* The other threads' part: claim and code tasks until none is left. */
static void code_tasks(pipeline *pl)
{
    for (;;) {
        size_t j = claim(pl);
        if (j == CLAIM_NONE)
            break;
        if (j == CLAIM_WAIT) /* the writer is a batch behind: sleep, not spin */
            nanosleep(&(struct timespec){0, 100000}, NULL);
        else
            code_task(pl, j);
    }
}

/* The coding team's threads wait here for thread 0 to finish the serial
 * start and say whether there is a run (1) or not (-1): yielding their
 * core at first, so that coding starts without a wake-up, then sleeping,
 * so that a long start (a large archive's plan) does not hold a core. */
static int team_wait(const int *go)
{
    for (unsigned n = 0;; n++) {
        int g = __atomic_load_n(go, __ATOMIC_ACQUIRE);
        if (g)
            return g;
        if (n < TEAM_YIELDS)
            sched_yield();
        else
            nanosleep(&(struct timespec){0, 50000}, NULL);
    }
}

/* What a new build readies on a helper while it lists the corpus, the
 * serial part of a build that no thread count shortens: the Khmer engine
 * (it reads ICU's dictionary and, on another ICU than pupa's own, checks
 * itself against it: 0.3 ms, or 3 ms with the check), the fast path's
 * table of characters (pupa_fast_ready) and the lexicon.  An
 * update starts the helper after the listing, as an unchanged corpus needs
 * no lexicon (unless its folder changed: ready_start), and checks the
 * index's seal meanwhile: adding a year to the
 * 24 MB bench corpus, median of 25, 43.0 -> 41.1 ms (en) and 49.0 -> 46.7
 * (km).  The index is marked "building" only once the lexicon loaded, so a
 * bad lexicon leaves it as it was.  Once the lexicon is loaded the helper
 * joins the seal check (pupa_seal_check_help), so an update whose helper
 * started before the listing hashes the index beside the listing: adding
 * a year to the 240 MB bench corpus, 9 alternating runs twice, median
 * 252 -> 239 and 220 -> 216 ms.  (Tried before the early start was
 * limited to changed corpus folders: a helper hashing the index while
 * every update listed gained the 24 MB corpus nothing measurable and cost
 * an unchanged re-index 1 ms, docs/benchmarks.md.) */
typedef struct ready_job {
    const pupa_build_opts *opts;
    pupa_seal_check *check; /* an update's seal check, which it then helps hash */
    pupa_lexicon *lex;
    int rc;
    char *message; /* the error's, from the helper's own error state */
} ready_job;

static void ready_run(void *arg)
{
    ready_job *job = arg;
    if (!job->opts->tokenise_all) {
        pupa_khmer_break_ready();
        pupa_fast_ready();
    }
    job->rc = pupa_lexicon_load(&job->lex, job->opts->lexicon);
    if (job->rc)
        job->message = pupa_strdup(pupa_errmsg());
    else
        pupa_seal_check_help(job->check);
}

/* Starts a helper (-j 1 asked for one thread: none), which helps check
 * (may be NULL) once the lexicon is loaded. */
static pupa_helper *ready_begin(const pupa_build_opts *opts, pupa_seal_check *check,
                                ready_job **out)
{
    ready_job *job = build_threads(opts) > 1 ? calloc(1, sizeof *job) : NULL;
    pupa_helper *helper = NULL;
    if (job) {
        job->opts = opts;
        job->check = check;
        if (!(helper = pupa_helper_start(ready_run, job)))
            free(job);
    }
    *out = helper ? job : NULL;
    return helper;
}

/* Starts the helper from the start for a new index, and for an update
 * whose corpus folder changed after the index was sealed (a year's folder
 * added or removed): both will have files to code.  Any other update
 * starts it after the listing, if the listing finds work, since an
 * unchanged corpus needs no lexicon.  This is only a guess at when to
 * start: a file changed in place starts it late, as before.  Adding a year
 * to the 24 MB bench corpus at -j 2, the lexicon then loads beside the
 * listing as well as the seal check (21 alternating runs: median 38.6 ->
 * 37.3 ms English-heavy, 50.9 -> 48.3 Khmer-heavy). */
static pupa_helper *ready_start(const pupa_build_opts *opts, const char *corpus,
                                const char *index_dir, pupa_seal_check **check,
                                ready_job **out)
{
    char path[4096];
    struct stat st, folder;
    snprintf(path, sizeof path, "%s/data.mdb", index_dir);
    int update = stat(path, &st) == 0;
    /* The same time counts as changed: file times tick in 4 ms or so, and
     * a folder changed in the seal's tick may have changed after it. */
    if (update && (stat(corpus, &folder) != 0 ||
                   pupa_mtime_ns(&folder) < pupa_seal_written_ns(index_dir))) {
        *out = NULL;
        return NULL;
    }
    *check = update ? pupa_seal_check_begin(index_dir) : NULL;
    return ready_begin(opts, *check, out);
}

/* Joins the helper and takes its lexicon, or loads the lexicon here when
 * none began; with rc set (the listing failed) it only joins. */
static int ready_finish(pupa_helper *helper, ready_job *job, const pupa_build_opts *opts,
                        int rc, pupa_lexicon **lex)
{
    if (!helper)
        return rc ? rc : pupa_lexicon_load(lex, opts->lexicon);
    pupa_helper_join(helper);
    if (!rc && job->rc)
        rc = pupa_fail(job->rc, "%s", job->message ? job->message : pupa_strerror(job->rc));
    if (!rc)
        *lex = job->lex;
    else
        pupa_lexicon_free(job->lex);
    free(job->message);
    free(job);
    return rc;
}

int pupa_index_build(const char *corpus, const char *index_dir, const pupa_build_opts *opts,
                     pupa_build_stats *stats)
{
    if (!corpus || !index_dir || !opts || !opts->lexicon)
        return pupa_fail(PUPA_EINVAL, "pupa_index_build: NULL argument");
    if (opts->nshards > 1 && opts->shard >= opts->nshards)
        return pupa_fail(PUPA_EINVAL, "shard %u of %u does not exist", opts->shard + 1,
                         opts->nshards);
    pupa_build_stats st = {0};
    pupa_lexicon *lex = NULL;
    pupa_manifest *manifest = NULL;
    char **paths = NULL;
    size_t npaths = 0, ntasks = 0;
    file_task *tasks = NULL;
    struct pupa_index ix = {0};
    pupa_buf tmp;
    pupa_buf_init(&tmp, (size_t)1 << 30);
    uint32_t next_doc = 0;
    MDB_txn *txn = NULL;

    /* The serial start (see ready_job): listing the corpus and loading
     * the lexicon. */
    ready_job *ready;
    pupa_seal_check *early = NULL;
    pupa_helper *helper = ready_start(opts, corpus, index_dir, &early, &ready);
    pupa_file_stat *fs = NULL;
    int rc = pupa_corpus_list_stat(corpus, &paths, &fs, &npaths, build_threads(opts));
    if (!rc && opts->nshards > 1)
        npaths = keep_shard(paths, fs, npaths, opts->shard, opts->nshards);
    uint64_t stamp = rc ? 0 : corpus_stamp(corpus, paths, fs, npaths, opts);
    if (stamp && pupa_index_stamped(index_dir, stamp)) {
        /* Nothing changed since a build that coded every file.  A stamped
         * index is an update, so no helper began, unless the corpus folder
         * was touched after the seal or data.mdb appeared after
         * ready_start looked: joined, never left inside ICU or Hyperscan
         * as the process exits. */
        pupa_seal_check_stop(early);
        ready_finish(helper, ready, opts, PUPA_EINVAL, &lex);
        pupa_seal_check_free(early);
        st.files_seen = st.files_unchanged = npaths;
        free(fs);
        pupa_paths_free(paths, npaths);
        pupa_buf_free(&tmp);
        if (stats)
            *stats = st;
        return 0;
    }
    /* An update that has work to do loads its lexicon beside the seal
     * check, which reads the whole index, and then helps hash it. */
    if (!rc && !helper) {
        if (!early) /* else begun with a helper that could not start, or -j 1 */
            early = pupa_seal_check_begin(index_dir);
        helper = ready_begin(opts, early, &ready);
    }
    if (!rc) {
        char *mpath = manifest_path(corpus);
        rc = mpath ? pupa_manifest_load(&manifest, mpath) : pupa_fail(PUPA_ENOMEM, "out of memory");
        if (rc == PUPA_ENOTFOUND) {
            rc = 0;
            manifest = NULL;
        }
        free(mpath);
    }
    /* The seal is checked before LMDB maps a byte of an existing index,
     * on a thread fewer while there is a helper, which joins the hashing
     * once it has loaded the lexicon (pupa_seal_check_help): three threads
     * on two cores made each wait for the other.  Adding a year to the
     * 24 MB bench corpus at -j 2: check and lexicon took 6-14 ms where
     * each alone takes about 3, and the process's CPU time (median of 21)
     * went from 77 to 72 ms. */
    pupa_seal_keep seal;
    memset(&seal, 0, sizeof seal);
    int nthreads = build_threads(opts), check_threads = nthreads - (helper != NULL);
    if (!rc)
        rc = pupa_index_check(index_dir, check_threads > 1 ? check_threads : 1, early, &seal);
    pupa_seal_check_stop(early); /* a failed build: the helper hashes no more */
    /* The coding team starts here, while the helper may still be loading
     * the lexicon.  Thread 0 does the rest of the serial start (the join,
     * marking the index "building", the plan) and then writes; the others
     * wait for its plan in team_wait and then code.  Started later, at the
     * first batch, the team waited for its threads to be made or woken,
     * which on the 2-core VMs took up to 4-12 ms (docs/benchmarks.md). */
    int unsealed = 0, foreign = 0, go = 0;
    pipeline pl;
    memset(&pl, 0, sizeof pl);
#pragma omp parallel num_threads(nthreads)
    {
        if (omp_get_thread_num() == 0) {
            rc = ready_finish(helper, ready, opts, rc, &lex);
            pupa_seal_check_free(early);
            if (!rc)
                rc = pupa_index_mark_building(index_dir);
            unsealed = !rc;
            if (!rc)
                rc = pupa_index_env_open(&ix, index_dir, 1);
            if (!rc)
                pupa_seal_track(&seal, ix.env);
            if (!rc && (rc = mdb_txn_begin(ix.env, NULL, 0, &txn)))
                rc = pupa_lmdb_fail(rc, index_dir);
            if (!rc)
                rc = prepare(txn, &ix, lex, &opts->read, index_dir, &next_doc, &foreign);
            if (!rc)
                rc = note_shard(txn, &ix, opts);
            if (!rc)
                rc = plan(txn, &ix, paths, fs, npaths, manifest, &tasks, &ntasks, &st, &tmp);
            if (txn) {
                if (rc)
                    mdb_txn_abort(txn);
                else if ((rc = mdb_txn_commit(txn)))
                    rc = pupa_lmdb_fail(rc, "index commit");
                else
                    pupa_seal_track(&seal, ix.env);
            }
            st.files_seen = npaths;
            /* The run needs only the plan: the listing's stats, and the
             * paths of files that are not coded again, go now rather than
             * at the end, so an update of a large archive holds its new
             * files' paths alone. */
            free(fs);
            fs = NULL;
            release_unplanned(paths, npaths, tasks, ntasks);
            if (!rc && ntasks)
                rc = pipeline_setup(&pl, nthreads, corpus, lex, manifest, opts, tasks, ntasks,
                                    &ix, &seal);
            int run = !rc && ntasks;
            __atomic_store_n(&go, run ? 1 : -1, __ATOMIC_RELEASE);
            if (run)
                rc = write_batches(&ix, &pl, &next_doc, &st, &tmp);
        } else if (team_wait(&go) > 0) {
            code_tasks(&pl);
        }
    }
    pipeline_free(&pl);
    free(tasks);
    /* What was committed is sound even after a failure, unless the failure
     * was the index itself: then it is synced, not sealed.  An index of
     * another format was not touched: its seal goes back as it was. */
    int reseal = unsealed && (rc != PUPA_ECORRUPT || foreign);
    pupa_seal_sum sum = {0, 0, 0};
    int crc = ix.env || reseal
                  ? pupa_index_finish(&ix, index_dir, nthreads, &seal, reseal ? &sum : NULL)
                  : 0;
    if (!rc)
        rc = crc;
    if (reseal) {
        /* The stamp only when every file is in: a file that failed must be
         * tried again next time. */
        int src = pupa_index_reseal(index_dir, &sum, !rc && st.files_failed == 0 ? stamp : 0);
        if (!rc)
            rc = src;
    }
    pupa_seal_keep_free(&seal);
    pupa_buf_free(&tmp);
    pupa_paths_free(paths, npaths);
    pupa_manifest_free(manifest);
    pupa_lexicon_free(lex);
    if (stats)
        *stats = st;
    return rc;
}
