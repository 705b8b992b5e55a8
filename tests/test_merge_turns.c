/*
 * test_merge_turns.c: pupa merge copies each document's turns record (segs,
 * one per document) as it is, so a shard whose record does not hold the
 * turns its document says it has must be refused: a record missing, one
 * with the last turn cut off, and one whose table of ends runs backwards.
 *
 * The sample corpus is indexed in two shards; for each case a copy of the
 * first shard has document 0's turns record damaged, is sealed again (so
 * the damage is behind a valid seal, as a shard built by a buggy or
 * hostile tool would be), and the merge must fail with PUPA_ECORRUPT
 * saying what is wrong.  The undamaged shards must merge.
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

enum damage { RECORD_GONE, LAST_TURN_CUT, ENDS_BACKWARDS };

/* Damages document doc's turns record in the index at dir, and seals it. */
static void damage_turns(const char *dir, uint32_t doc, enum damage how)
{
    struct pupa_index ix;
    CHECK_EQ_INT(pupa_index_env_open(&ix, dir, 1), 0);
    MDB_txn *txn;
    CHECK_EQ_INT(mdb_txn_begin(ix.env, NULL, 0, &txn), 0);
    unsigned char dk[PUPA_DOC_KEY];
    pupa_put_u32(dk, doc);
    MDB_val k = {sizeof dk, dk}, v;
    CHECK_EQ_INT(mdb_get(txn, ix.segs, &k, &v), 0);
    pupa_turns t;
    CHECK_EQ_INT(pupa_turns_decode(&v, &t), 0);
    CHECK(t.n >= 2);
    /* The new value, built from a copy (a put may move the old one). */
    unsigned char *b = malloc(v.mv_size);
    CHECK(b != NULL);
    size_t len = v.mv_size;
    memcpy(b, v.mv_data, len);
    if (how == RECORD_GONE) {
        CHECK_EQ_INT(mdb_del(txn, ix.segs, &k, NULL), 0);
    } else {
        if (how == LAST_TURN_CUT) { /* n - 1 turns, their ends and records */
            uint32_t last_start = pupa_get_u32(t.ends + (size_t)(t.n - 2) * 4);
            pupa_put_u32(b, t.n - 1);
            memmove(b + 4 + (size_t)(t.n - 1) * 4, b + 4 + (size_t)t.n * 4, last_start);
            len = 4 + (size_t)(t.n - 1) * 4 + last_start;
        } else { /* the first two ends swapped: turn 1 starts after it ends */
            uint32_t e0 = pupa_get_u32(b + 4), e1 = pupa_get_u32(b + 8);
            pupa_put_u32(b + 4, e1);
            pupa_put_u32(b + 8, e0);
        }
        MDB_val nv = {len, b};
        CHECK_EQ_INT(mdb_put(txn, ix.segs, &k, &nv, 0), 0);
    }
    free(b);
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
    CHECK(nturns >= 2);
    char cut[128];
    snprintf(cut, sizeof cut, "document 0 has %u turns of its %u", nturns - 1, nturns);
    const char *wants[3] = {"document 0 has no turns record", cut, "damaged turns record"};
    for (int c = RECORD_GONE; c <= ENDS_BACKWARDS; c++) {
        char bad[512];
        snprintf(bad, sizeof bad, "%s/bad%d", tmpdir, c);
        copy_index(s1, bad);
        damage_turns(bad, 0, (enum damage)c);
        const char *bad_dirs[2] = {bad, s2};
        snprintf(out, sizeof out, "%s/out%d", tmpdir, c);
        CHECK_EQ_INT(pupa_index_merge(bad_dirs, 2, out, 0, &st), PUPA_ECORRUPT);
        if (!strstr(pupa_errmsg(), wants[c]) || !strstr(pupa_errmsg(), bad)) {
            fprintf(stderr, "case %d: expected \"%s\" naming %s in: %s\n", c, wants[c], bad,
                    pupa_errmsg());
            CHECK(0);
        }
    }
    tmp_cleanup();
    return check_result();
}
