/*
 * index.h: the LMDB schema, shared by the writer (build.c) and the readers
 * (query.c).  index.c owns the on-disk format and documents every key and
 * value layout; nothing else encodes or decodes records.
 */
#ifndef PUPA_INDEX_H
#define PUPA_INDEX_H

#include "internal.h"

#include <lmdb.h>
#include <sys/stat.h>

#define PUPA_INDEX_FORMAT 2u
/* Bump when a build would write other records for the same corpus and
 * lexicon (tokenising, matching, the codebook's reading): an index built
 * by an older coding is then coded again from scratch (build.c). */
#define PUPA_CODING_VERSION 2u /* 2: hyphenated entries need hyphens */

struct pupa_index {
    MDB_env *env;
    MDB_dbi meta, files, docs, segs, postings, participants;
    void *map;      /* LMDB's map of data.mdb, found once it is open */
    size_t map_len;
};

/* Opens (creating when writable) the index directory and its databases. */
int pupa_index_env_open(struct pupa_index *ix, const char *dir, int writable);
/* Closes; a writable index is synced to disk first, and a failed sync is
 * returned as an error. */
int pupa_index_env_close(struct pupa_index *ix);
/* Drops the index pages read through LMDB's map from the process's
 * resident set.  Safe at any time, even inside a transaction: the map is
 * read-only and the file's committed pages do not change, so a dropped page
 * is read back unchanged from the page cache. */
void pupa_index_release_pages(const struct pupa_index *ix);
/* Finds LMDB's map of an index opened read-only, so that its pages can be
 * released too (a writable one's is found when it is opened).  Without it
 * a reader of a whole index, pupa merge, would keep every page it read. */
void pupa_index_track_map(struct pupa_index *ix);
/* Puts a record whose key usually comes after every key already in dbi
 * (document ids, which only grow; a fresh build's paths, which come in
 * order).  MDB_APPEND then fills each page before it starts the next, where
 * an ordinary put splits a full page in half, and skips the search from the
 * root; a key that is not past the last falls back to an ordinary put. */
int pupa_put_ascending(MDB_txn *txn, MDB_dbi dbi, const void *k, size_t kn, const void *v,
                       size_t vn);
/* An ordinary put; a failure is reported as an index write error. */
int pupa_put(MDB_txn *txn, MDB_dbi dbi, const void *k, size_t kn, const void *v, size_t vn);
/* Puts meta record name as a big-endian u32. */
int pupa_meta_put_u32(MDB_txn *txn, const struct pupa_index *ix, const char *name, uint32_t v);
/* Empties the data databases and writes a new index's meta records: format,
 * lexicon_hash (8 bytes), next_doc 0, codes and entries, in that order (a
 * build of a new codebook and a merge both start so). */
int pupa_index_reset(MDB_txn *txn, const struct pupa_index *ix, const MDB_val *hash,
                     const MDB_val *codes, const MDB_val *entries);
/* Starts writing the committed pages to disk, without waiting: the sync
 * at the end of a build (pupa_index_finish) then has less left to do. */
void pupa_index_start_writeback(const struct pupa_index *ix);
/* The seal (seal.c).  1 when dir's data.mdb matches its seal, 0 when the
 * seal says "building", PUPA_ENOTFOUND when there is no seal, or an error. */
int pupa_seal_verify(const char *dir);
/* The seal's checksum of one 64 KB unit of data.mdb, number `unit`, of
 * buf[0, len): with the SIMD lanes where the build has them, or with
 * portable set, a word at a time as any machine computes it.  The two must
 * agree, or an index sealed on one machine is refused on another
 * (tests/test_seal_check.c). */
uint64_t pupa_seal_unit_sum(const unsigned char *buf, size_t len, uint64_t unit, int portable);
/* Marks the index as being written ("building"), after checking that an
 * existing one matches its seal, on up to threads threads (0: OpenMP's
 * default; never more than eight).  Its two halves, for a caller with
 * work to do between them: pupa_index_check (0 for a sound index, or for
 * none yet) and pupa_index_mark_building. */
typedef struct pupa_seal_keep {
    int valid;
    uint64_t size, mtime_ns; /* data.mdb's when its seal was verified */
    uint64_t sum;            /* and its checksum */
    uint64_t *units;         /* the sums of its units (seal.c), as verified */
    size_t nunits;
    unsigned char *written;  /* per unit: LMDB may have written it since */
    int tracked;             /* every write since was tracked (pupa_seal_track) */
} pupa_seal_keep;
/* An update's check may begin early: pupa_seal_check_begin opens data.mdb
 * (NULL when there is none, or it cannot: the check proper then reports),
 * and any thread may then hash its chunks, each taking those left
 * (pupa_seal_check_help: a helper that has loaded the lexicon joins the
 * build this way).  pupa_index_check given it hashes what is left on its
 * threads, waits for the chunks others hold, and uses the sums if data.mdb
 * is still the file the check began on.  pupa_seal_check_stop ends the
 * claiming when the check is not needed after all; then only free it,
 * after every helper has returned. */
typedef struct pupa_seal_check pupa_seal_check;
pupa_seal_check *pupa_seal_check_begin(const char *dir);
void pupa_seal_check_help(pupa_seal_check *check);
void pupa_seal_check_stop(pupa_seal_check *check);
void pupa_seal_check_free(pupa_seal_check *check);
int pupa_index_unseal(const char *dir, int threads, pupa_seal_keep *keep);
int pupa_index_check(const char *dir, int threads, pupa_seal_check *early,
                     pupa_seal_keep *keep);
int pupa_index_mark_building(const char *dir);
void pupa_seal_keep_free(pupa_seal_keep *keep);
/* Notes which units of data.mdb LMDB may write next: the pages on its free
 * list, the meta pages, and everything past its last page.  A writer calls
 * it once the environment is open, before its first write, and after each
 * commit but the last; then pupa_index_finish hashes only those units
 * again and reuses the verified sums of the others.  A failure here only
 * means the whole file is hashed again. */
void pupa_seal_track(pupa_seal_keep *keep, MDB_env *env);
/* 1 when the index is sealed with this corpus stamp (see build.c) and
 * data.mdb still has the sealed size: a build of the same corpus would
 * change nothing.  Reads the seal and stats data.mdb, nothing more; 0 in
 * every other case, errors included (the build then finds and reports
 * them). */
int pupa_index_stamped(const char *dir, uint64_t stamp);
/* When the seal was last written (ns since the epoch), 0 when there is no
 * seal: a hint for the build, never a check. */
uint64_t pupa_seal_written_ns(const char *dir);
/* Ends a build's writing to dir: starts making data.mdb durable
 * (fdatasync, on a helper thread), closes ix's environment and meanwhile
 * takes the checksum for the seal into *sum (keep's if data.mdb was not touched since it was
 * verified: same size and mtime); with sum NULL it only syncs.  Nothing
 * changes data.mdb once its last transaction is committed, so the sum is
 * the synced file's, and the sync's wait on the disk is hidden behind the
 * hashing; threads as for pupa_index_unseal.  Returns the sync's result;
 * sum->rc is the checksum's. */
typedef struct pupa_seal_sum {
    int rc;
    uint64_t size, sum;
} pupa_seal_sum;
int pupa_index_finish(struct pupa_index *ix, const char *dir, int threads,
                      const pupa_seal_keep *keep, pupa_seal_sum *sum);
/* Seals again after a write, with the checksum pupa_index_finish took (or
 * its error).  A non-zero stamp is written with it. */
int pupa_index_reseal(const char *dir, const pupa_seal_sum *sum, uint64_t stamp);

/* An LMDB failure as a pupa error with a one-line message. */
int pupa_lmdb_fail(int mdb_rc, const char *what);

/* Big-endian integers, so LMDB's byte order is numeric order. */
static inline void pupa_put_u16(unsigned char *p, uint16_t v) { p[0] = (unsigned char)(v >> 8); p[1] = (unsigned char)v; }
static inline void pupa_put_u32(unsigned char *p, uint32_t v)
{
    p[0] = (unsigned char)(v >> 24); p[1] = (unsigned char)(v >> 16);
    p[2] = (unsigned char)(v >> 8); p[3] = (unsigned char)v;
}
static inline void pupa_put_u64(unsigned char *p, uint64_t v)
{
    pupa_put_u32(p, (uint32_t)(v >> 32));
    pupa_put_u32(p + 4, (uint32_t)v);
}
static inline uint16_t pupa_get_u16(const unsigned char *p) { return (uint16_t)((p[0] << 8) | p[1]); }
static inline uint32_t pupa_get_u32(const unsigned char *p)
{
    return ((uint32_t)p[0] << 24) | ((uint32_t)p[1] << 16) | ((uint32_t)p[2] << 8) | p[3];
}
static inline uint64_t pupa_get_u64(const unsigned char *p)
{
    return ((uint64_t)pupa_get_u32(p) << 32) | pupa_get_u32(p + 4);
}

/* Key of docs and of segs: doc id. */
#define PUPA_DOC_KEY 4
/* Key of postings: code, year, and the doc and turn of a block's first
 * posting.  A block's postings: u32 doc, u32 turn, u32 counted, u32
 * negated each (index.c). */
#define PUPA_POSTING_KEY 14
#define PUPA_POSTING_BYTES 16
void pupa_posting_key(unsigned char *k, uint32_t code, uint32_t year, uint32_t doc,
                      uint32_t turn);
/* A write transaction's postings, held back and put at the end of each
 * batch as one block per code and year (pupa_postings_flush).  Put one
 * key each, as they come, a batch's postings jumped between every code's
 * range of the tree, and even grouped by code they were the single
 * writer's largest part, which is what bounds a build's scaling with
 * threads (docs/benchmarks.md).  build.c and merge.c add the same
 * postings in the same order and flush at the same points, so a merged
 * data.mdb stays byte-identical to one build's. */
#define PUPA_POSTINGS_HELD 32768 /* more than this is flushed at once */
typedef struct pupa_posting {
    unsigned char key[PUPA_POSTING_KEY], value[8];
} pupa_posting;
typedef struct pupa_postings {
    pupa_posting *held, *grouped;
    size_t n;
    uint32_t ncodes;          /* every code is below this */
    size_t *code_start;       /* ncodes + 1 counters of the grouping */
    unsigned char *block;     /* one block's value, being laid out */
} pupa_postings;
/* Ready for postings of codes below ncodes; allocates nothing yet. */
void pupa_postings_init(pupa_postings *p, uint32_t ncodes);
void pupa_postings_free(pupa_postings *p);
/* Holds one posting (key from pupa_posting_key; value u32 counted, u32
 * negated), flushing first when PUPA_POSTINGS_HELD are held. */
int pupa_postings_add(pupa_postings *p, MDB_txn *txn, MDB_dbi postings,
                      const unsigned char *key, const unsigned char *value);
/* Puts every held posting, in blocks; call before a commit. */
int pupa_postings_flush(pupa_postings *p, MDB_txn *txn, MDB_dbi postings);
/* Removes every posting of doc under code and year (a document being
 * deleted), rewriting the blocks that held them; tmp is scratch. */
int pupa_postings_delete(MDB_txn *txn, MDB_dbi postings, uint32_t code, uint32_t year,
                         uint32_t doc, pupa_buf *tmp);

/* A block of postings read from the index: checked by
 * pupa_posting_block_decode (the key's size, whole postings, at least
 * one, the first matching the key), then read with pupa_posting_at. */
typedef struct pupa_posting_block {
    uint32_t code, year;
    const unsigned char *p;
    size_t n;
} pupa_posting_block;
int pupa_posting_block_decode(const MDB_val *k, const MDB_val *v, pupa_posting_block *b);
typedef struct pupa_posting_rec {
    uint32_t doc, turn, counted, negated;
} pupa_posting_rec;
static inline pupa_posting_rec pupa_posting_at(const pupa_posting_block *b, size_t i)
{
    const unsigned char *e = b->p + i * PUPA_POSTING_BYTES;
    return (pupa_posting_rec){pupa_get_u32(e), pupa_get_u32(e + 4), pupa_get_u32(e + 8),
                              pupa_get_u32(e + 12)};
}

/* Key of participants: participant, 0x00, u16 year, u32 doc. */
int pupa_participant_key(pupa_buf *k, const char *p, size_t plen, uint32_t year, uint32_t doc);
/* Value of files: u32 first doc, u32 documents, u64 size, u64 mtime, u64
 * manifest row hash. */
#define PUPA_FILE_VALUE_BYTES 32

/* A writer commits a batch of files at whichever comes first: this many
 * files, or this many bytes of them.  Neither depends on the thread count,
 * and pupa merge commits where a build does, so data.mdb is the same bytes
 * either way (build.c, merge.c). */
#define PUPA_BATCH_FILES 256
#define PUPA_BATCH_BYTES (64u * 1024u * 1024u)
static inline int pupa_batch_full(size_t nfiles, uint64_t bytes)
{
    return nfiles >= PUPA_BATCH_FILES || bytes >= PUPA_BATCH_BYTES;
}
/* And a run of more than twice PUPA_BATCH_TAIL files ends with a batch of
 * its last PUPA_BATCH_TAIL: the commit before it, and its writeback, then
 * happen while the threads code those files, and what is left when coding
 * ends (the last postings, commit and sync) is small.  Adding a year to
 * the 24 MB bench corpus at -j 2: median of 25, 38.3 -> 36.3 ms; a full
 * build 2-3% faster (docs/benchmarks.md).  1 when file i of n starts it. */
#define PUPA_BATCH_TAIL 32
static inline int pupa_batch_tail(size_t i, size_t n)
{
    return n > 2 * PUPA_BATCH_TAIL && i == n - PUPA_BATCH_TAIL;
}

/* A cursor over an untrusted record: every read is bounds-checked and a
 * short record sets bad instead of reading past the end (FTS5's pRc). */
typedef struct pupa_rec {
    const unsigned char *p, *end;
    int bad;
} pupa_rec;
uint8_t pupa_rec_u8(pupa_rec *r);
uint32_t pupa_rec_u32(pupa_rec *r);
uint64_t pupa_rec_u64(pupa_rec *r);
/* A length-prefixed string; NULL (with *len 0) for the NULL marker. */
const char *pupa_rec_str(pupa_rec *r, uint32_t *len);

static inline int pupa_rec_put_u8(pupa_buf *b, uint8_t v) { return pupa_buf_add(b, &v, 1); }
static inline int pupa_rec_put_u32(pupa_buf *b, uint32_t v)
{
    unsigned char p[4];
    pupa_put_u32(p, v);
    return pupa_buf_add(b, p, 4);
}
static inline int pupa_rec_put_u64(pupa_buf *b, uint64_t v)
{
    unsigned char p[8];
    pupa_put_u64(p, v);
    return pupa_buf_add(b, p, 8);
}
int pupa_rec_put_str(pupa_buf *b, const char *s, size_t len); /* s NULL: the NULL marker */

/* Decoded views of records; strings point into the LMDB map (valid for the
 * transaction) and are NOT NUL-terminated: use the lengths. */
typedef struct pupa_str {
    const char *s;
    uint32_t len;
} pupa_str;

typedef struct pupa_doc_rec {
    uint32_t year;
    pupa_str id, participant, group, gender, age;
    uint32_t nturns, nmeta;
    const unsigned char *meta; /* nmeta (key, value) string pairs */
    const unsigned char *meta_end;
} pupa_doc_rec;
int pupa_doc_rec_decode(const MDB_val *v, pupa_doc_rec *d);
/* Value of a metadata key in a decoded doc record; len 0 and NULL if absent. */
pupa_str pupa_doc_rec_meta(const pupa_doc_rec *d, const char *key);

typedef struct pupa_hit_rec {
    uint32_t code, entry, start, end; /* start/end within the turn's text */
    uint64_t fstart, fend;            /* in the file */
    int negated;
} pupa_hit_rec;

typedef struct pupa_seg_rec {
    uint32_t number;
    int role, lang;
    uint64_t start, end;
    pupa_str speaker, text;
    uint32_t nhits;
    const unsigned char *hits; /* nhits encoded hits */
} pupa_seg_rec;
int pupa_seg_rec_decode(const MDB_val *v, pupa_seg_rec *s);
/* The i-th hit of a decoded seg record, bounds-checked. */
int pupa_seg_rec_hit(const pupa_seg_rec *s, uint32_t i, pupa_hit_rec *h);

/* A document's turns: its segs value (index.c), one record per document.
 * pupa_turns_decode checks the table of ends; pupa_turns_get then decodes
 * turn i, also bounds-checked, so a damaged value gives PUPA_ECORRUPT. */
typedef struct pupa_turns {
    uint32_t n;
    const unsigned char *ends; /* n u32: where each turn's record ends in recs */
    const unsigned char *recs; /* the turn records, back to back */
    size_t len;                /* bytes of recs */
} pupa_turns;
int pupa_turns_decode(const MDB_val *v, pupa_turns *t);
int pupa_turns_get(const pupa_turns *t, uint32_t i, pupa_seg_rec *s);
/* Writing one: pupa_turns_begin reserves the table for n turns at the end
 * of b; after each turn's record is appended, pupa_turns_end(b, at, i)
 * notes where turn i ended.  at is what pupa_turns_begin returned. */
int pupa_turns_begin(pupa_buf *b, uint32_t n, size_t *at);
void pupa_turns_end(pupa_buf *b, size_t at, uint32_t i);

/* Codes and entries of the lexicon the index was built with (meta). */
typedef struct pupa_codebook {
    char **codes;
    size_t ncodes;
    char **entries; /* "file:line" */
    size_t nentries;
} pupa_codebook;
int pupa_codebook_load(MDB_txn *txn, const struct pupa_index *ix, pupa_codebook *cb);
void pupa_codebook_free(pupa_codebook *cb);

#endif
