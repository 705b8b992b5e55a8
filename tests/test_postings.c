/*
 * test_postings.c: the writer's held postings (index.c, pupa_postings).
 *
 * A build and a merge hold each batch's postings and put them grouped by
 * code at the batch's end, flushing early when PUPA_POSTINGS_HELD are held.
 * This test puts over three times that many, in codes drawn at random, and
 * checks that:
 *  - every posting is in the postings database afterwards, with its value,
 *    and nothing else is;
 *  - the same postings in the same order give a byte-identical data.mdb
 *    (what keeps a merge byte-identical to one build);
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

/* Every posting is there with its value, and no other. */
static void check_postings(const char *dir)
{
    struct pupa_index ix;
    CHECK_EQ_INT(pupa_index_env_open(&ix, dir, 0), 0);
    MDB_txn *txn;
    CHECK_EQ_INT(mdb_txn_begin(ix.env, NULL, MDB_RDONLY, &txn), 0);
    MDB_stat st;
    CHECK_EQ_INT(mdb_stat(txn, ix.postings, &st), 0);
    CHECK_EQ_INT((long long)st.ms_entries, NPOSTINGS);
    uint64_t seed = 42;
    size_t missing = 0, wrong = 0;
    for (uint32_t i = 0; i < NPOSTINGS; i++) {
        unsigned char key[PUPA_POSTING_KEY], value[8];
        posting(&seed, i, key, value);
        MDB_val k = {sizeof key, key}, v;
        if (mdb_get(txn, ix.postings, &k, &v) != 0)
            missing++;
        else if (v.mv_size != sizeof value || memcmp(v.mv_data, value, sizeof value) != 0)
            wrong++;
    }
    CHECK_EQ_INT((long long)missing, 0);
    CHECK_EQ_INT((long long)wrong, 0);
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
    check_postings(a);
    write_postings(b);
    snprintf(fa, sizeof fa, "%s/data.mdb", a);
    snprintf(fb, sizeof fb, "%s/data.mdb", b);
    size_t na = 0, nb = 0;
    char *da = slurp(fa, &na), *db = slurp(fb, &nb);
    CHECK(na > 0);
    CHECK(na == nb && da && db && memcmp(da, db, na) == 0);
    free(da);
    free(db);
    tmp_cleanup();
    return check_result();
}
