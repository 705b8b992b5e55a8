/*
 * index.c: the on-disk format of a pupa index, and nothing else.
 *
 * An index is a directory (mode 0700) holding an LMDB environment
 * (data.mdb and lock.mdb, mode 0600: transcripts are confidential).  All
 * integers are big-endian so that LMDB's byte-wise key order is numeric
 * order.  A "str" is a u32 length then that many bytes, with length
 * 0xFFFFFFFF meaning NULL.
 *
 * Named databases, their keys and values:
 *
 *   meta          key: ASCII name
 *     "format"        u32 PUPA_INDEX_FORMAT; any other value is refused
 *     "lexicon_hash"  u64 hash of what the hits come from: the lexicon, and
 *                     the reader's turn labels (which turns are coded)
 *     "next_doc"      u32 next unused document id
 *     "codes"         u32 n, then n str: code paths; a code id is a position
 *     "entries"       u32 n, then n str: "file:line" of each lexicon entry
 *     "shard"         only in a shard (pupa index --shard K/N): u32 N, then
 *                     u32 each shard number it holds (merge.c)
 *
 *   files         key: the file's path relative to the corpus root
 *     value: u32 first doc id, u32 doc count, u64 size, u64 mtime (ns),
 *            u64 hash of the file's manifest row                  (32 bytes)
 *     A file whose size, mtime and manifest row are unchanged is not read.
 *
 *   docs          key: u32 doc id                                   (4 bytes)
 *     value: u32 year, str id, str participant, u32 turns,
 *            u32 n, then n (str key, str value) metadata pairs
 *
 *   segs          key: u32 doc id                                   (4 bytes)
 *     value: the document's turns (every turn, 0-based):
 *            u32 n, then n u32 ends, then n turn records back to back;
 *            turn i's record lies from ends[i-1] (0 for the first) to
 *            ends[i], counted from the first record.  A turn record:
 *            u32 segment number (0: not coded), u8 role, u8 lang,
 *            u64 start, u64 end (bytes in the file), str speaker, str text,
 *            u32 n, then n hits of 33 bytes each:
 *            u32 code, u32 entry, u32 start, u32 end (in text),
 *            u64 start, u64 end (in the file), u8 negated
 *     One record per document, not one per turn as in format 1: the
 *     single writer puts one value, which LMDB copies into whole overflow
 *     pages, where a key per turn cost a descent of the tree and a node
 *     each.  That was the writer's largest part, and the writer is what
 *     bounds a build's scaling with threads (docs/benchmarks.md, "Index
 *     format 2").  A query reads a turn through the table of ends without
 *     reading the others.
 *
 *   postings      key: u32 code, u16 year, u32 doc, u32 turn      (14 bytes)
 *     value: a block of n >= 1 postings of that code and year, 16 bytes
 *            each: u32 doc, u32 turn, u32 counted hits, u32 negated hits,
 *            ascending by (doc, turn); the key names the first.
 *     A posting is one code's hits in one coded turn.  A writer puts a
 *     batch's postings as one block per code and year (pupa_postings_flush),
 *     not one key each as format 1 did: that made them the single writer's
 *     largest part once the turns were one record.  The blocks of a code
 *     and year never overlap, so key order is (code, year, doc, turn)
 *     order, and a question about one code and year range still reads only
 *     its own contiguous keys.
 *
 *   participants  key: participant bytes, 0x00, u16 year, u32 doc id
 *     value: empty.  A participant's documents, in year order.
 *
 * The seal (pupa.seal, a checksum of data.mdb that every reader verifies
 * before LMDB maps a byte) is seal.c's.
 *
 * Document ids are given in corpus path order as files are added, so they
 * do not depend on the thread count.  Every read decodes through pupa_rec,
 * which checks each length against the record: a damaged index gives
 * PUPA_ECORRUPT, never a read out of bounds.
 */
#include "index.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#define MAP_SIZE (1ull << 38) /* address space only; the file grows as needed */
#define NULL_STR 0xFFFFFFFFu
#define HIT_BYTES 33u

int pupa_lmdb_fail(int mdb_rc, const char *what)
{
    if (mdb_rc == MDB_CORRUPTED || mdb_rc == MDB_INVALID || mdb_rc == MDB_VERSION_MISMATCH ||
        mdb_rc == MDB_INCOMPATIBLE || mdb_rc == MDB_PAGE_NOTFOUND || mdb_rc == MDB_BAD_DBI)
        return pupa_fail(PUPA_ECORRUPT, "%s: %s", what, mdb_strerror(mdb_rc));
    if (mdb_rc == ENOENT)
        return pupa_fail(PUPA_ENOTFOUND, "%s: %s", what, mdb_strerror(mdb_rc));
    return pupa_fail(PUPA_ELMDB, "%s: %s", what, mdb_strerror(mdb_rc));
}


static const char *const db_names[] = {"meta", "files", "docs", "segs", "postings",
                                       "participants"};

/* Where LMDB mapped data.mdb.  Its API tells the address only for a fixed
 * map (MDB_FIXEDMAP, which pupa does not use), so the map is found in
 * /proc/self/maps by the file's device and inode.  Not found: map stays
 * NULL, and pages are simply not released. */
static void find_map(struct pupa_index *ix)
{
    int fd;
    struct stat st;
    if (mdb_env_get_fd(ix->env, &fd) || fstat(fd, &st) != 0)
        return;
    FILE *f = fopen("/proc/self/maps", "re");
    if (!f)
        return;
    char line[4096];
    while (fgets(line, sizeof line, f)) {
        unsigned long long lo, hi, off, ino;
        unsigned maj, mnr;
        if (sscanf(line, "%llx-%llx %*s %llx %x:%x %llu", &lo, &hi, &off, &maj, &mnr, &ino) != 6)
            continue;
        if (ino == (unsigned long long)st.st_ino && maj == major(st.st_dev) &&
            mnr == minor(st.st_dev) && off == 0 && hi - lo > ix->map_len) {
            ix->map = (void *)(uintptr_t)lo;
            ix->map_len = (size_t)(hi - lo);
        }
    }
    fclose(f);
}

void pupa_index_track_map(struct pupa_index *ix)
{
    if (ix->env && !ix->map)
        find_map(ix);
}

void pupa_index_release_pages(const struct pupa_index *ix)
{
    MDB_envinfo info;
    MDB_stat st;
    if (!ix->map || mdb_env_info(ix->env, &info) || mdb_env_stat(ix->env, &st))
        return;
    size_t used = (size_t)(info.me_last_pgno + 1) * st.ms_psize;
    madvise(ix->map, used < ix->map_len ? used : ix->map_len, MADV_DONTNEED);
}

int pupa_put(MDB_txn *txn, MDB_dbi dbi, const void *k, size_t kn, const void *v, size_t vn)
{
    MDB_val key = {kn, (void *)k}, val = {vn, (void *)v};
    int rc = mdb_put(txn, dbi, &key, &val, 0);
    return rc ? pupa_lmdb_fail(rc, "index write") : 0;
}

int pupa_meta_put_u32(MDB_txn *txn, const struct pupa_index *ix, const char *name, uint32_t v)
{
    unsigned char b[4];
    pupa_put_u32(b, v);
    return pupa_put(txn, ix->meta, name, strlen(name), b, 4);
}

int pupa_index_reset(MDB_txn *txn, const struct pupa_index *ix, const MDB_val *hash,
                     const MDB_val *codes, const MDB_val *entries)
{
    MDB_dbi data[] = {ix->files, ix->docs, ix->segs, ix->postings, ix->participants};
    for (size_t i = 0; i < sizeof data / sizeof *data; i++) {
        int rc = mdb_drop(txn, data[i], 0);
        if (rc)
            return pupa_lmdb_fail(rc, "index write");
    }
    int rc = pupa_meta_put_u32(txn, ix, "format", PUPA_INDEX_FORMAT);
    rc = rc ? rc : pupa_put(txn, ix->meta, "lexicon_hash", 12, hash->mv_data, hash->mv_size);
    rc = rc ? rc : pupa_meta_put_u32(txn, ix, "next_doc", 0);
    rc = rc ? rc : pupa_put(txn, ix->meta, "codes", 5, codes->mv_data, codes->mv_size);
    return rc ? rc : pupa_put(txn, ix->meta, "entries", 7, entries->mv_data, entries->mv_size);
}

void pupa_posting_key(unsigned char *k, uint32_t code, uint32_t year, uint32_t doc,
                      uint32_t turn)
{
    pupa_put_u32(k, code);
    pupa_put_u16(k + 4, (uint16_t)year);
    pupa_put_u32(k + 6, doc);
    pupa_put_u32(k + 10, turn);
}

void pupa_postings_init(pupa_postings *p, uint32_t ncodes)
{
    memset(p, 0, sizeof *p);
    p->ncodes = ncodes;
}

void pupa_postings_free(pupa_postings *p)
{
    free(p->held);
    free(p->grouped);
    free(p->code_start);
    free(p->block);
    pupa_postings_init(p, p->ncodes);
}

int pupa_postings_add(pupa_postings *p, MDB_txn *txn, MDB_dbi postings,
                      const unsigned char *key, const unsigned char *value)
{
    if (pupa_get_u32(key) >= p->ncodes) /* the writers check codes first: a bug */
        return pupa_fail(PUPA_EINVAL, "posting of code %u, beyond the codebook's %u",
                         pupa_get_u32(key), p->ncodes);
    if (!p->held) {
        p->held = malloc(PUPA_POSTINGS_HELD * sizeof *p->held);
        p->grouped = malloc(PUPA_POSTINGS_HELD * sizeof *p->grouped);
        p->code_start = malloc(((size_t)p->ncodes + 1) * sizeof *p->code_start);
        p->block = malloc((size_t)PUPA_POSTINGS_HELD * PUPA_POSTING_BYTES);
        if (!p->held || !p->grouped || !p->code_start || !p->block) {
            pupa_postings_free(p);
            return pupa_fail(PUPA_ENOMEM, "out of memory");
        }
    }
    if (p->n == PUPA_POSTINGS_HELD) {
        int rc = pupa_postings_flush(p, txn, postings);
        if (rc)
            return rc;
    }
    memcpy(p->held[p->n].key, key, PUPA_POSTING_KEY);
    memcpy(p->held[p->n].value, value, sizeof p->held[p->n].value);
    p->n++;
    return 0;
}

/* Orders two held postings of one code by (year, doc, turn). */
static int by_posting_key(const void *a, const void *b)
{
    return memcmp(((const pupa_posting *)a)->key, ((const pupa_posting *)b)->key,
                  PUPA_POSTING_KEY);
}

int pupa_postings_flush(pupa_postings *p, MDB_txn *txn, MDB_dbi postings)
{
    if (!p->n)
        return 0;
    /* A stable counting sort on the code: one pass to count, one to place. */
    memset(p->code_start, 0, ((size_t)p->ncodes + 1) * sizeof *p->code_start);
    for (size_t i = 0; i < p->n; i++)
        p->code_start[pupa_get_u32(p->held[i].key) + 1]++;
    for (uint32_t c = 0; c < p->ncodes; c++)
        p->code_start[c + 1] += p->code_start[c];
    for (size_t i = 0; i < p->n; i++)
        p->grouped[p->code_start[pupa_get_u32(p->held[i].key)]++] = p->held[i];
    MDB_cursor *cur = NULL;
    int rc = mdb_cursor_open(txn, postings, &cur);
    for (size_t i = 0; !rc && i < p->n;) {
        /* One code's postings came in document order, so in key order
         * unless its documents' years are not in path order. */
        size_t end = i + 1;
        int sorted = 1;
        for (uint32_t code = pupa_get_u32(p->grouped[i].key);
             end < p->n && pupa_get_u32(p->grouped[end].key) == code; end++)
            sorted &= by_posting_key(&p->grouped[end - 1], &p->grouped[end]) < 0;
        if (!sorted)
            qsort(p->grouped + i, end - i, sizeof *p->grouped, by_posting_key);
        /* Then one block per year. */
        while (!rc && i < end) {
            const unsigned char *first = p->grouped[i].key;
            size_t n = 0;
            for (; i < end && memcmp(p->grouped[i].key, first, 6) == 0; i++, n++) {
                unsigned char *e = p->block + n * PUPA_POSTING_BYTES;
                memcpy(e, p->grouped[i].key + 6, 8);      /* doc, turn */
                memcpy(e + 8, p->grouped[i].value, 8);    /* counted, negated */
            }
            MDB_val key = {PUPA_POSTING_KEY, (void *)first};
            MDB_val val = {n * PUPA_POSTING_BYTES, p->block};
            rc = mdb_cursor_put(cur, &key, &val, 0);
        }
    }
    if (cur)
        mdb_cursor_close(cur);
    p->n = 0;
    return rc ? pupa_lmdb_fail(rc, "index write") : 0;
}

int pupa_posting_block_decode(const MDB_val *k, const MDB_val *v, pupa_posting_block *b)
{
    if (k->mv_size != PUPA_POSTING_KEY || !v->mv_size || v->mv_size % PUPA_POSTING_BYTES ||
        memcmp((const unsigned char *)k->mv_data + 6, v->mv_data, 8) != 0)
        return pupa_fail(PUPA_ECORRUPT, "index: damaged posting");
    const unsigned char *key = k->mv_data;
    b->code = pupa_get_u32(key);
    b->year = pupa_get_u16(key + 4);
    b->p = v->mv_data;
    b->n = v->mv_size / PUPA_POSTING_BYTES;
    return 0;
}

int pupa_postings_delete(MDB_txn *txn, MDB_dbi postings, uint32_t code, uint32_t year,
                         uint32_t doc, pupa_buf *tmp)
{
    /* The blocks that can hold doc: the last one that starts before it,
     * and those that start with it (a flush may fall within a document).
     * Their keys are copied first: a write moves what a read points at. */
    unsigned char lo[PUPA_POSTING_KEY];
    pupa_posting_key(lo, code, year, doc, 0);
    MDB_cursor *cur;
    int rc = mdb_cursor_open(txn, postings, &cur);
    if (rc)
        return pupa_lmdb_fail(rc, "index write");
    tmp->len = 0;
    size_t nkeys = 0;
    MDB_val k = {sizeof lo, lo}, v;
    int g = mdb_cursor_get(cur, &k, &v, MDB_SET_RANGE);
    g = g == 0 ? mdb_cursor_get(cur, &k, &v, MDB_PREV)
               : g == MDB_NOTFOUND ? mdb_cursor_get(cur, &k, &v, MDB_LAST) : g;
    if (g == 0 && k.mv_size == PUPA_POSTING_KEY && memcmp(k.mv_data, lo, 6) == 0) {
        rc = pupa_buf_add(tmp, k.mv_data, PUPA_POSTING_KEY);
        nkeys++;
    }
    if (!rc && (g == 0 || g == MDB_NOTFOUND)) {
        k = (MDB_val){sizeof lo, lo};
        for (g = mdb_cursor_get(cur, &k, &v, MDB_SET_RANGE); !rc && g == 0;
             g = mdb_cursor_get(cur, &k, &v, MDB_NEXT)) {
            if (k.mv_size != PUPA_POSTING_KEY || memcmp(k.mv_data, lo, 10) != 0)
                break; /* not a block that starts with doc */
            rc = pupa_buf_add(tmp, k.mv_data, PUPA_POSTING_KEY);
            nkeys++;
        }
    }
    mdb_cursor_close(cur);
    if (!rc && g && g != MDB_NOTFOUND)
        rc = pupa_lmdb_fail(g, "index read");
    /* Each block again without doc's postings, under its new first key. */
    for (size_t i = 0; !rc && i < nkeys; i++) {
        unsigned char key[PUPA_POSTING_KEY];
        memcpy(key, tmp->data + i * PUPA_POSTING_KEY, sizeof key);
        MDB_val bk = {sizeof key, key}, bv;
        pupa_posting_block b;
        if ((rc = mdb_get(txn, postings, &bk, &bv)))
            return pupa_lmdb_fail(rc, "index read");
        if ((rc = pupa_posting_block_decode(&bk, &bv, &b)))
            return rc;
        size_t kept = 0, at = tmp->len;
        for (size_t j = 0; !rc && j < b.n; j++) {
            const unsigned char *e = b.p + j * PUPA_POSTING_BYTES;
            if (pupa_get_u32(e) != doc && !(rc = pupa_buf_add(tmp, e, PUPA_POSTING_BYTES)))
                kept++;
        }
        if (!rc && kept < b.n && (rc = mdb_del(txn, postings, &bk, NULL)))
            rc = pupa_lmdb_fail(rc, "index write");
        if (!rc && kept && kept < b.n) {
            memcpy(key + 6, tmp->data + at, 8); /* the first kept one's doc and turn */
            MDB_val nv = {kept * PUPA_POSTING_BYTES, tmp->data + at};
            if ((rc = mdb_put(txn, postings, &bk, &nv, 0)))
                rc = pupa_lmdb_fail(rc, "index write");
        }
        tmp->len = at;
    }
    return rc;
}

int pupa_participant_key(pupa_buf *k, const char *p, size_t plen, uint32_t year, uint32_t doc)
{
    unsigned char tail[7] = {0};
    pupa_put_u16(tail + 1, (uint16_t)year);
    pupa_put_u32(tail + 3, doc);
    k->len = 0;
    int rc = pupa_buf_add(k, p, plen);
    return rc ? rc : pupa_buf_add(k, tail, sizeof tail);
}

int pupa_put_ascending(MDB_txn *txn, MDB_dbi dbi, const void *k, size_t kn, const void *v,
                       size_t vn)
{
    MDB_val key = {kn, (void *)k}, val = {vn, (void *)v};
    int rc = mdb_put(txn, dbi, &key, &val, MDB_APPEND);
    if (rc == MDB_KEYEXIST) /* not past the last key: put it in its place */
        rc = mdb_put(txn, dbi, &key, &val, 0);
    return rc ? pupa_lmdb_fail(rc, "index write") : 0;
}

void pupa_index_start_writeback(const struct pupa_index *ix)
{
    int fd;
    if (mdb_env_get_fd(ix->env, &fd) == 0)
        sync_file_range(fd, 0, 0, SYNC_FILE_RANGE_WRITE);
}

int pupa_index_env_open(struct pupa_index *ix, const char *dir, int writable)
{
    memset(ix, 0, sizeof *ix);
    struct stat st;
    if (writable) {
        if (mkdir(dir, 0700) != 0 && errno != EEXIST)
            return pupa_fail(PUPA_EIO, "%s: cannot create index directory: %s", dir,
                             strerror(errno));
        /* An index holds participants' words: owner only, whatever umask says. */
        if (chmod(dir, 0700) != 0)
            return pupa_fail(PUPA_EIO, "%s: %s", dir, strerror(errno));
    } else if (stat(dir, &st) != 0 || !S_ISDIR(st.st_mode)) {
        return pupa_fail(PUPA_ENOTFOUND, "%s: no index here", dir);
    }
    int rc = mdb_env_create(&ix->env);
    if (rc)
        return pupa_lmdb_fail(rc, dir);
    mdb_env_set_maxdbs(ix->env, 8);
    /* A writer reserves room to grow.  A reader maps the file as it is (in
     * whole pages): it reads no further, and a merge that opens hundreds of
     * shards would otherwise reserve MAP_SIZE of address space for each. */
    size_t mapsize = MAP_SIZE;
    char data[4096];
    snprintf(data, sizeof data, "%s/data.mdb", dir);
    if (!writable && stat(data, &st) == 0 && st.st_size > 0 &&
        (unsigned long long)st.st_size < MAP_SIZE)
        mapsize = ((size_t)st.st_size + 65535) & ~(size_t)65535;
    mdb_env_set_mapsize(ix->env, mapsize);
    /* A build syncs once at its end (pupa_index_finish), not at every
     * batch: a crash can lose the last batches but never tear the file, and
     * the seal then says "building", so the next run redoes them. */
    rc = mdb_env_open(ix->env, dir, writable ? (MDB_NOTLS | MDB_NOSYNC) : (MDB_RDONLY | MDB_NOTLS),
                      0600);
    if (rc) {
        int err = pupa_lmdb_fail(rc, dir);
        mdb_env_close(ix->env);
        ix->env = NULL;
        return err;
    }
    MDB_txn *txn;
    if ((rc = mdb_txn_begin(ix->env, NULL, writable ? 0 : MDB_RDONLY, &txn)))
        goto fail;
    MDB_dbi *dbis[] = {&ix->meta, &ix->files, &ix->docs, &ix->segs, &ix->postings,
                       &ix->participants};
    for (size_t i = 0; i < sizeof dbis / sizeof *dbis; i++)
        if ((rc = mdb_dbi_open(txn, db_names[i], writable ? MDB_CREATE : 0, dbis[i]))) {
            mdb_txn_abort(txn);
            goto fail;
        }
    if ((rc = mdb_txn_commit(txn)))
        goto fail;
    if (writable) {
        char path[4096];
        snprintf(path, sizeof path, "%s/data.mdb", dir);
        chmod(path, 0600);
        snprintf(path, sizeof path, "%s/lock.mdb", dir);
        chmod(path, 0600);
        find_map(ix);
    }
    return 0;
fail:;
    /* A missing named database means this is not a pupa index. */
    int err = rc == MDB_NOTFOUND ? pupa_fail(PUPA_ECORRUPT, "%s: not a pupa index", dir)
                                 : pupa_lmdb_fail(rc, dir);
    mdb_env_close(ix->env);
    ix->env = NULL;
    return err;
}

int pupa_index_env_close(struct pupa_index *ix)
{
    int rc = 0;
    if (ix->env) {
        unsigned flags = 0;
        if (mdb_env_get_flags(ix->env, &flags) == 0 && !(flags & MDB_RDONLY) &&
            (rc = mdb_env_sync(ix->env, 1)))
            rc = pupa_lmdb_fail(rc, "index sync");
        mdb_env_close(ix->env);
    }
    ix->env = NULL;
    return rc;
}

int pupa_index_open(pupa_index **out, const char *dir)
{
    if (!out || !dir)
        return pupa_fail(PUPA_EINVAL, "pupa_index_open: NULL argument");
    *out = NULL;
    struct stat st;
    if (stat(dir, &st) != 0 || !S_ISDIR(st.st_mode))
        return pupa_fail(PUPA_ENOTFOUND, "%s: no index here", dir);
    int seal = pupa_seal_verify(dir);
    if (seal == PUPA_ENOTFOUND)
        return pupa_fail(PUPA_ECORRUPT, "%s: not a pupa index (no seal)", dir);
    if (seal == 0)
        return pupa_fail(PUPA_ECORRUPT,
                         "%s: the index is incomplete (pupa index is running or was "
                         "interrupted); run pupa index again", dir);
    if (seal < 0)
        return seal;
    pupa_index *ix = malloc(sizeof *ix);
    if (!ix)
        return pupa_fail(PUPA_ENOMEM, "out of memory");
    int rc = pupa_index_env_open(ix, dir, 0);
    if (!rc) {
        MDB_txn *txn;
        MDB_val k = {6, "format"}, v;
        rc = mdb_txn_begin(ix->env, NULL, MDB_RDONLY, &txn);
        if (rc) {
            rc = pupa_lmdb_fail(rc, dir);
        } else {
            int g = mdb_get(txn, ix->meta, &k, &v);
            if (g || v.mv_size != 4)
                rc = pupa_fail(PUPA_ECORRUPT, "%s: not a pupa index of format %u", dir,
                               PUPA_INDEX_FORMAT);
            else if (pupa_get_u32(v.mv_data) != PUPA_INDEX_FORMAT)
                rc = pupa_fail(PUPA_ECORRUPT,
                               "%s: an index of format %u, and this pupa reads format %u; "
                               "remove it and index again", dir, pupa_get_u32(v.mv_data),
                               PUPA_INDEX_FORMAT);
            mdb_txn_abort(txn);
        }
        if (rc)
            pupa_index_env_close(ix);
    }
    if (rc) {
        free(ix);
        return rc;
    }
    *out = ix;
    return 0;
}

void pupa_index_close(pupa_index *ix)
{
    if (!ix)
        return;
    pupa_index_env_close(ix);
    free(ix);
}

/* ------------------------------------------------------------ records */

uint8_t pupa_rec_u8(pupa_rec *r)
{
    if (r->bad || r->end - r->p < 1) {
        r->bad = 1;
        return 0;
    }
    return *r->p++;
}

uint32_t pupa_rec_u32(pupa_rec *r)
{
    if (r->bad || r->end - r->p < 4) {
        r->bad = 1;
        return 0;
    }
    uint32_t v = pupa_get_u32(r->p);
    r->p += 4;
    return v;
}

uint64_t pupa_rec_u64(pupa_rec *r)
{
    if (r->bad || r->end - r->p < 8) {
        r->bad = 1;
        return 0;
    }
    uint64_t v = pupa_get_u64(r->p);
    r->p += 8;
    return v;
}

const char *pupa_rec_str(pupa_rec *r, uint32_t *len)
{
    *len = 0;
    uint32_t n = pupa_rec_u32(r);
    if (r->bad || n == NULL_STR)
        return NULL;
    if ((size_t)(r->end - r->p) < n) {
        r->bad = 1;
        return NULL;
    }
    const char *s = (const char *)r->p;
    r->p += n;
    *len = n;
    return s;
}

int pupa_rec_put_str(pupa_buf *b, const char *s, size_t len)
{
    if (!s)
        return pupa_rec_put_u32(b, NULL_STR);
    if (len >= NULL_STR)
        return pupa_fail(PUPA_ETOOBIG, "string too long for the index");
    int rc = pupa_rec_put_u32(b, (uint32_t)len);
    return rc ? rc : pupa_buf_add(b, s, len);
}

static pupa_str rec_pstr(pupa_rec *r)
{
    pupa_str s;
    s.s = pupa_rec_str(r, &s.len);
    return s;
}

static int str_is(pupa_str s, const char *key)
{
    size_t n = strlen(key);
    return s.s && s.len == n && memcmp(s.s, key, n) == 0;
}

pupa_str pupa_doc_rec_meta(const pupa_doc_rec *d, const char *key)
{
    pupa_rec r = {d->meta, d->meta_end, 0};
    for (uint32_t i = 0; i < d->nmeta && !r.bad; i++) {
        pupa_str k = rec_pstr(&r), v = rec_pstr(&r);
        if (!r.bad && str_is(k, key))
            return v;
    }
    return (pupa_str){NULL, 0};
}

int pupa_doc_rec_decode(const MDB_val *v, pupa_doc_rec *d)
{
    pupa_rec r = {v->mv_data, (const unsigned char *)v->mv_data + v->mv_size, 0};
    memset(d, 0, sizeof *d);
    d->year = pupa_rec_u32(&r);
    d->id = rec_pstr(&r);
    d->participant = rec_pstr(&r);
    d->nturns = pupa_rec_u32(&r);
    d->nmeta = pupa_rec_u32(&r);
    d->meta = r.p;
    for (uint32_t i = 0; i < d->nmeta && !r.bad; i++) {
        rec_pstr(&r);
        rec_pstr(&r);
    }
    d->meta_end = r.p;
    if (r.bad || r.p != r.end || !d->id.s || !d->participant.s)
        return pupa_fail(PUPA_ECORRUPT, "index: damaged document record");
    d->group = pupa_doc_rec_meta(d, "group");
    d->gender = pupa_doc_rec_meta(d, "gender");
    d->age = pupa_doc_rec_meta(d, "age");
    return 0;
}

int pupa_seg_rec_decode(const MDB_val *v, pupa_seg_rec *s)
{
    pupa_rec r = {v->mv_data, (const unsigned char *)v->mv_data + v->mv_size, 0};
    memset(s, 0, sizeof *s);
    s->number = pupa_rec_u32(&r);
    s->role = pupa_rec_u8(&r);
    s->lang = pupa_rec_u8(&r);
    s->start = pupa_rec_u64(&r);
    s->end = pupa_rec_u64(&r);
    s->speaker = rec_pstr(&r);
    s->text = rec_pstr(&r);
    s->nhits = pupa_rec_u32(&r);
    s->hits = r.p;
    if (r.bad || !s->text.s || s->lang > PUPA_LANG_MIXED || s->role > PUPA_ROLE_PARAGRAPH ||
        (size_t)(r.end - r.p) != (size_t)s->nhits * HIT_BYTES)
        return pupa_fail(PUPA_ECORRUPT, "index: damaged segment record");
    return 0;
}

int pupa_seg_rec_hit(const pupa_seg_rec *s, uint32_t i, pupa_hit_rec *h)
{
    if (i >= s->nhits)
        return pupa_fail(PUPA_EINVAL, "hit %u out of range", i);
    pupa_rec r = {s->hits + (size_t)i * HIT_BYTES, s->hits + (size_t)(i + 1) * HIT_BYTES, 0};
    h->code = pupa_rec_u32(&r);
    h->entry = pupa_rec_u32(&r);
    h->start = pupa_rec_u32(&r);
    h->end = pupa_rec_u32(&r);
    h->fstart = pupa_rec_u64(&r);
    h->fend = pupa_rec_u64(&r);
    h->negated = pupa_rec_u8(&r) != 0;
    if (r.bad || h->start > h->end || h->end > s->text.len)
        return pupa_fail(PUPA_ECORRUPT, "index: damaged hit record");
    return 0;
}

int pupa_turns_decode(const MDB_val *v, pupa_turns *t)
{
    pupa_rec r = {v->mv_data, (const unsigned char *)v->mv_data + v->mv_size, 0};
    memset(t, 0, sizeof *t);
    t->n = pupa_rec_u32(&r);
    if (r.bad || (size_t)(r.end - r.p) / 4 < t->n)
        return pupa_fail(PUPA_ECORRUPT, "index: damaged turns record");
    t->ends = r.p;
    t->recs = r.p + (size_t)t->n * 4;
    t->len = (size_t)(r.end - t->recs);
    /* Ends ascend, and the last is the records' length: nothing hides
     * behind them (a pass over the table, small beside the records). */
    size_t prev = 0;
    for (uint32_t i = 0; i < t->n; i++) {
        size_t end = pupa_get_u32(t->ends + (size_t)i * 4);
        if (end < prev)
            return pupa_fail(PUPA_ECORRUPT, "index: damaged turns record");
        prev = end;
    }
    if (prev != t->len)
        return pupa_fail(PUPA_ECORRUPT, "index: damaged turns record");
    return 0;
}

int pupa_turns_get(const pupa_turns *t, uint32_t i, pupa_seg_rec *s)
{
    if (i >= t->n)
        return pupa_fail(PUPA_EINVAL, "turn %u out of range", i);
    uint32_t from = i ? pupa_get_u32(t->ends + (size_t)(i - 1) * 4) : 0;
    uint32_t to = pupa_get_u32(t->ends + (size_t)i * 4);
    if (from > to || to > t->len)
        return pupa_fail(PUPA_ECORRUPT, "index: damaged turns record");
    MDB_val v = {to - from, (void *)(t->recs + from)};
    return pupa_seg_rec_decode(&v, s);
}

int pupa_turns_begin(pupa_buf *b, uint32_t n, size_t *at)
{
    int rc = pupa_rec_put_u32(b, n);
    *at = b->len;
    size_t table = (size_t)n * 4;
    if (rc || (rc = pupa_buf_reserve(b, table)))
        return rc;
    memset(b->data + b->len, 0, table);
    b->len += table;
    b->data[b->len] = '\0';
    return 0;
}

void pupa_turns_end(pupa_buf *b, size_t at, uint32_t i)
{
    uint32_t n = pupa_get_u32((const unsigned char *)b->data + at - 4);
    size_t recs = at + (size_t)n * 4;
    pupa_put_u32((unsigned char *)b->data + at + (size_t)i * 4, (uint32_t)(b->len - recs));
}

/* --------------------------------------------------------------- meta */

static int load_str_list(MDB_txn *txn, MDB_dbi dbi, const char *name, char ***out, size_t *n)
{
    *out = NULL;
    *n = 0;
    MDB_val k = {strlen(name), (void *)name}, v;
    int rc = mdb_get(txn, dbi, &k, &v);
    if (rc == MDB_NOTFOUND)
        return 0;
    if (rc)
        return pupa_lmdb_fail(rc, name);
    pupa_rec r = {v.mv_data, (const unsigned char *)v.mv_data + v.mv_size, 0};
    uint32_t count = pupa_rec_u32(&r);
    /* Each string takes at least 4 bytes: a count beyond that is damage. */
    if (r.bad || count > v.mv_size / 4)
        return pupa_fail(PUPA_ECORRUPT, "index: damaged %s list", name);
    char **list = calloc(count ? count : 1, sizeof *list);
    if (!list)
        return pupa_fail(PUPA_ENOMEM, "out of memory");
    for (uint32_t i = 0; i < count; i++) {
        uint32_t len;
        const char *s = pupa_rec_str(&r, &len);
        if (r.bad || !s || !(list[i] = pupa_strndup(s, len))) {
            for (uint32_t j = 0; j < i; j++)
                free(list[j]);
            free(list);
            return r.bad || !s ? pupa_fail(PUPA_ECORRUPT, "index: damaged %s list", name)
                               : pupa_fail(PUPA_ENOMEM, "out of memory");
        }
    }
    *out = list;
    *n = count;
    return 0;
}

int pupa_codebook_load(MDB_txn *txn, const struct pupa_index *ix, pupa_codebook *cb)
{
    memset(cb, 0, sizeof *cb);
    int rc = load_str_list(txn, ix->meta, "codes", &cb->codes, &cb->ncodes);
    if (!rc)
        rc = load_str_list(txn, ix->meta, "entries", &cb->entries, &cb->nentries);
    if (rc)
        pupa_codebook_free(cb);
    return rc;
}

void pupa_codebook_free(pupa_codebook *cb)
{
    for (size_t i = 0; i < cb->ncodes; i++)
        free(cb->codes[i]);
    for (size_t i = 0; i < cb->nentries; i++)
        free(cb->entries[i]);
    free(cb->codes);
    free(cb->entries);
    memset(cb, 0, sizeof *cb);
}
