/*
 * test_merge_turns.c: pupa merge reads each document's turns in a row
 * through one cursor (merge.c), so a shard that lacks a turn must still be
 * refused, wherever the turn is missing: the first, one in the middle, or
 * the last (where the cursor's next key is the next document's first turn).
 *
 * The sample corpus is indexed in two shards; for each case a copy of the
 * first shard loses one segs record, is sealed again (so the damage is
 * behind a valid seal, as a shard built by a buggy or hostile tool would
 * be), and the merge must fail with PUPA_ECORRUPT naming the missing turn.
 * The undamaged shards must merge.
 */
#include "check.h"
#include "index.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tmpdir.h"

/* Copies src/data.mdb and src/pupa.seal to a fresh dst. */
static void copy_index(const char *src, const char *dst)
{
    CHECK_EQ_INT(mkdir(dst, 0700), 0);
    const char *names[] = {"data.mdb", "pupa.seal"};
    for (size_t i = 0; i < 2; i++) {
        char from[600], to[600];
        snprintf(from, sizeof from, "%s/%s", src, names[i]);
        snprintf(to, sizeof to, "%s/%s", dst, names[i]);
        size_t n = 0;
        char *b = slurp(from, &n);
        CHECK(b != NULL);
        if (b)
            write_bytes(to, b, n);
        free(b);
    }
}

/* The number of turns of document doc in the index at dir (0 if none). */
static uint32_t turns_of(const char *dir, uint32_t doc)
{
    struct pupa_index ix;
    CHECK_EQ_INT(pupa_index_env_open(&ix, dir, 0), 0);
    MDB_txn *txn;
    CHECK_EQ_INT(mdb_txn_begin(ix.env, NULL, MDB_RDONLY, &txn), 0);
    unsigned char dk[PUPA_DOC_KEY];
    pupa_put_u32(dk, doc);
    MDB_val k = {sizeof dk, dk}, v;
    uint32_t n = 0;
    pupa_doc_rec d;
    if (mdb_get(txn, ix.docs, &k, &v) == 0 && pupa_doc_rec_decode(&v, &d) == 0)
        n = d.nturns;
    mdb_txn_abort(txn);
    pupa_index_env_close(&ix);
    return n;
}

/* Deletes turn t of document doc from the index at dir, and seals it. */
static void drop_turn(const char *dir, uint32_t doc, uint32_t t)
{
    struct pupa_index ix;
    CHECK_EQ_INT(pupa_index_env_open(&ix, dir, 1), 0);
    MDB_txn *txn;
    CHECK_EQ_INT(mdb_txn_begin(ix.env, NULL, 0, &txn), 0);
    unsigned char sk[PUPA_SEG_KEY];
    pupa_put_u32(sk, doc);
    pupa_put_u32(sk + 4, t);
    MDB_val k = {sizeof sk, sk};
    CHECK_EQ_INT(mdb_del(txn, ix.segs, &k, NULL), 0);
    CHECK_EQ_INT(mdb_txn_commit(txn), 0);
    CHECK_EQ_INT(pupa_index_env_close(&ix), 0);
    CHECK_EQ_INT(pupa_index_seal(dir), 0);
}

int main(int argc, char **argv)
{
    if (argc < 3) {
        fprintf(stderr, "usage: %s CORPORA SOURCE_ROOT\n", argv[0]);
        return 2;
    }
    tmp_setup("mergeturns");
    char corpus[4096], lexicon[4096], s1[512], s2[512], out[512];
    snprintf(corpus, sizeof corpus, "%s/corpora-sample", argv[2]);
    snprintf(lexicon, sizeof lexicon, "%s/lexicons/butterfly.yml", argv[2]);
    snprintf(s1, sizeof s1, "%s/s1", tmpdir);
    snprintf(s2, sizeof s2, "%s/s2", tmpdir);
    pupa_build_stats st;
    pupa_build_opts o1 = {.lexicon = lexicon, .threads = 1, .shard = 0, .nshards = 2};
    pupa_build_opts o2 = {.lexicon = lexicon, .threads = 1, .shard = 1, .nshards = 2};
    CHECK_EQ_INT(pupa_index_build(corpus, s1, &o1, &st), 0);
    CHECK_EQ_INT(pupa_index_build(corpus, s2, &o2, &st), 0);

    /* Sound shards merge. */
    const char *dirs[2] = {s1, s2};
    snprintf(out, sizeof out, "%s/good", tmpdir);
    CHECK_EQ_INT(pupa_index_merge(dirs, 2, out, 0, &st), 0);

    uint32_t nturns = turns_of(s1, 0);
    CHECK(nturns >= 3); /* a first, a middle and a last turn */
    uint32_t missing[3] = {0, nturns / 2, nturns - 1};
    for (int c = 0; c < 3; c++) {
        char bad[512], want[128];
        snprintf(bad, sizeof bad, "%s/bad%d", tmpdir, c);
        copy_index(s1, bad);
        drop_turn(bad, 0, missing[c]);
        const char *bad_dirs[2] = {bad, s2};
        snprintf(out, sizeof out, "%s/out%d", tmpdir, c);
        CHECK_EQ_INT(pupa_index_merge(bad_dirs, 2, out, 0, &st), PUPA_ECORRUPT);
        snprintf(want, sizeof want, "document 0 lacks turn %u", missing[c]);
        if (!strstr(pupa_errmsg(), want)) {
            fprintf(stderr, "case %d: expected \"%s\" in: %s\n", c, want, pupa_errmsg());
            CHECK(0);
        }
    }
    tmp_cleanup();
    return check_result();
}
