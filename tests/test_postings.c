/*
 * test_postings.c: the writer's held postings (index.c, pupa_postings).
 *
 * A build and a merge hold each batch's postings and put them at the
 * batch's end as one block per code and year, flushing early when
 * PUPA_POSTINGS_HELD are held.  This test puts over three times that many,
 * in codes drawn at random and years out of document order, and checks:
 *  - every posting is in the postings database afterwards, with its value,
 *    and nothing else is; blocks hold one code and year, in key order,
 *    without overlapping, each keyed by its first posting; and there are
 *    far fewer blocks than postings;
 *  - the same postings in the same order give a byte-identical data.mdb
 *    (what keeps a merge byte-identical to one build);
 *  - pupa_postings_delete (a document deleted by an update) removes a
 *    document's postings wherever they are in a block, first, within or
 *    last, and removes blocks it empties;
 *  - a posting of a code beyond the codebook is refused, and an empty
 *    flush writes nothing.
 */
#include "check.h"
#include "index.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tmpdir.h"

#define NCODES 50
#define NPOSTINGS (3 * PUPA_POSTINGS_HELD + 123)

static uint64_t lcg(uint64_t *x)
{
    *x = *x * 6364136223846793005ull + 1442695040888963407ull;
    return *x >> 33;
}

/* Posting i: a code drawn from seed, year 2011 + i % 5, doc i, turn i % 7;
 * its value is u32 i, u32 i ^ 0x5a5a. */
static void posting(uint64_t *seed, uint32_t i, unsigned char *key, unsigned char *value)
{
    pupa_posting_key(key, (uint32_t)(lcg(seed) % NCODES), 2011 + i % 5, i, i % 7);
    pupa_put_u32(value, i);
    pupa_put_u32(value + 4, i ^ 0x5a5au);
}

/* Writes the NPOSTINGS postings into a new index at dir, in one
 * transaction, through pupa_postings. */
static void write_postings(const char *dir)
{
    struct pupa_index ix;
    CHECK_EQ_INT(pupa_index_env_open(&ix, dir, 1), 0);
    MDB_txn *txn;
    CHECK_EQ_INT(mdb_txn_begin(ix.env, NULL, 0, &txn), 0);
    pupa_postings held;
    pupa_postings_init(&held, NCODES);
    CHECK_EQ_INT(pupa_postings_flush(&held, txn, ix.postings), 0); /* nothing held */
    uint64_t seed = 42;
    for (uint32_t i = 0; i < NPOSTINGS; i++) {
        unsigned char key[PUPA_POSTING_KEY], value[8];
        posting(&seed, i, key, value);
        if (pupa_postings_add(&held, txn, ix.postings, key, value) != 0) {
            CHECK(0);
            break;
        }
    }
    CHECK(held.n > 0 && held.n < PUPA_POSTINGS_HELD); /* the rest went early */
    CHECK_EQ_INT(pupa_postings_flush(&held, txn, ix.postings), 0);
    CHECK_EQ_INT((long long)held.n, 0);

    unsigned char key[PUPA_POSTING_KEY], value[8] = {0};
    pupa_posting_key(key, NCODES, 2011, 0, 0);
    CHECK(pupa_postings_add(&held, txn, ix.postings, key, value) != 0);
    CHECK_EQ_INT((long long)held.n, 0);

    pupa_postings_free(&held);
    CHECK_EQ_INT(mdb_txn_commit(txn), 0);
    CHECK_EQ_INT(pupa_index_env_close(&ix), 0);
}

/* Whether posting i was deleted by delete_some(). */
static int deleted(uint32_t i, uint32_t code)
{
    return i % 3 == 0 || (code == 0 && 2011 + i % 5 == 2011);
}

/* Deletes the postings deleted() names, one document at a time. */
static void delete_some(const char *dir)
{
    struct pupa_index ix;
    CHECK_EQ_INT(pupa_index_env_open(&ix, dir, 1), 0);
    MDB_txn *txn;
    CHECK_EQ_INT(mdb_txn_begin(ix.env, NULL, 0, &txn), 0);
    pupa_buf tmp;
    pupa_buf_init(&tmp, 1u << 30);
    uint64_t seed = 42;
    for (uint32_t i = 0; i < NPOSTINGS; i++) {
        unsigned char key[PUPA_POSTING_KEY], value[8];
        posting(&seed, i, key, value);
        uint32_t code = pupa_get_u32(key);
        if (deleted(i, code) &&
            pupa_postings_delete(txn, ix.postings, code, 2011 + i % 5, i, &tmp) != 0) {
            CHECK(0);
            break;
        }
    }
    pupa_buf_free(&tmp);
    CHECK_EQ_INT(mdb_txn_commit(txn), 0);
    CHECK_EQ_INT(pupa_index_env_close(&ix), 0);
}

/* Every posting is there with its value (all of them, or those not
 * deleted), in well-formed blocks, and no other. */
static void check_postings(const char *dir, int after_delete)
{
    struct pupa_index ix;
    CHECK_EQ_INT(pupa_index_env_open(&ix, dir, 0), 0);
    MDB_txn *txn;
    CHECK_EQ_INT(mdb_txn_begin(ix.env, NULL, MDB_RDONLY, &txn), 0);
    /* Each posting's expected key and value, by document (doc i is posting i). */
    unsigned char (*keys)[PUPA_POSTING_KEY] = calloc(NPOSTINGS, PUPA_POSTING_KEY);
    unsigned char (*values)[8] = calloc(NPOSTINGS, 8);
    unsigned char *seen = calloc(NPOSTINGS, 1);
    CHECK(keys && values && seen);
    uint64_t seed = 42;
    size_t expected = 0;
    for (uint32_t i = 0; keys && values && i < NPOSTINGS; i++) {
        posting(&seed, i, keys[i], values[i]);
        expected += !(after_delete && deleted(i, pupa_get_u32(keys[i])));
    }
    MDB_cursor *cur;
    CHECK_EQ_INT(mdb_cursor_open(txn, ix.postings, &cur), 0);
    MDB_val k, v;
    size_t found = 0, blocks = 0, wrong = 0, unordered = 0;
    unsigned char last[PUPA_POSTING_KEY] = {0};
    for (int g = mdb_cursor_get(cur, &k, &v, MDB_FIRST); g == 0 && keys && values && seen;
         g = mdb_cursor_get(cur, &k, &v, MDB_NEXT)) {
        pupa_posting_block b;
        if (pupa_posting_block_decode(&k, &v, &b) != 0) {
            wrong++;
            continue;
        }
        blocks++;
        for (size_t j = 0; j < b.n; j++) {
            pupa_posting_rec r = pupa_posting_at(&b, j);
            unsigned char now[PUPA_POSTING_KEY], value[8];
            pupa_posting_key(now, b.code, b.year, r.doc, r.turn);
            pupa_put_u32(value, r.counted);
            pupa_put_u32(value + 4, r.negated);
            unordered += (blocks > 1 || j > 0) && memcmp(last, now, sizeof now) >= 0;
            memcpy(last, now, sizeof now);
            if (r.doc >= NPOSTINGS || seen[r.doc] || memcmp(keys[r.doc], now, sizeof now) ||
                memcmp(values[r.doc], value, 8) ||
                (after_delete && deleted(r.doc, b.code))) {
                wrong++;
                continue;
            }
            seen[r.doc] = 1;
            found++;
        }
    }
    mdb_cursor_close(cur);
    CHECK_EQ_INT((long long)found, (long long)expected);
    CHECK_EQ_INT((long long)wrong, 0);
    CHECK_EQ_INT((long long)unordered, 0);
    /* At most a block per code, year and flush (four flushes). */
    CHECK(blocks > 0 && blocks <= (size_t)NCODES * 5 * 4);
    free(keys);
    free(values);
    free(seen);
    mdb_txn_abort(txn);
    CHECK_EQ_INT(pupa_index_env_close(&ix), 0);
}

int main(void)
{
    tmp_setup("postings");
    char a[512], b[512], fa[600], fb[600];
    snprintf(a, sizeof a, "%s/a", tmpdir);
    snprintf(b, sizeof b, "%s/b", tmpdir);
    write_postings(a);
    check_postings(a, 0);
    write_postings(b);
    snprintf(fa, sizeof fa, "%s/data.mdb", a);
    snprintf(fb, sizeof fb, "%s/data.mdb", b);
    size_t na = 0, nb = 0;
    char *da = slurp(fa, &na), *db = slurp(fb, &nb);
    CHECK(na > 0);
    CHECK(na == nb && da && db && memcmp(da, db, na) == 0);
    free(da);
    free(db);
    delete_some(a);
    check_postings(a, 1);
    tmp_cleanup();
    return check_result();
}
