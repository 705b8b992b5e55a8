/*
 * test_map_release.c: the index writer keeps its resident memory flat
 * (index.c, pupa_index_release_pages).
 *
 * LMDB maps data.mdb read-only, and every page a writer reads through that
 * map stays in the process's resident set until it is dropped; a build that
 * never dropped them grew with its index.  The writer finds LMDB's map, whose
 * address LMDB's API does not give, and drops the pages.  This test indexes
 * the sample corpus, reads every record through a writable environment,
 * and checks with /proc/self/pagemap that pages of the map were resident
 * and that none are after the release, and that the records still read
 * back the same afterwards (the pages come back from the page cache).
 * A reader maps the file as it is, not the writer's room to grow: a merge
 * of hundreds of shards must not reserve 256 GiB of address space each.
 */
#include "check.h"
#include "index.h"

#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "tmpdir.h"

/* How many pages of [base, base + len) are present in this process. */
static size_t resident_pages(const void *base, size_t len)
{
    long psize = sysconf(_SC_PAGESIZE);
    int fd = open("/proc/self/pagemap", O_RDONLY);
    if (fd < 0)
        return (size_t)-1;
    size_t present = 0;
    uintptr_t first = (uintptr_t)base / (uintptr_t)psize;
    for (size_t i = 0; i < (len + (size_t)psize - 1) / (size_t)psize; i++) {
        uint64_t entry = 0;
        if (pread(fd, &entry, sizeof entry, (off_t)((first + i) * sizeof entry)) != sizeof entry)
            break;
        present += (size_t)(entry >> 63);
    }
    close(fd);
    return present;
}

/* The length of the largest mapping of the file with st's device and
 * inode in this process. */
static unsigned long long mapped_length(const struct stat *st)
{
    FILE *f = fopen("/proc/self/maps", "r");
    unsigned long long best = 0;
    char line[4096];
    while (f && fgets(line, sizeof line, f)) {
        unsigned long long lo, hi, off, ino;
        unsigned maj, mnr;
        if (sscanf(line, "%llx-%llx %*s %llx %x:%x %llu", &lo, &hi, &off, &maj, &mnr, &ino) == 6 &&
            ino == (unsigned long long)st->st_ino && hi - lo > best)
            best = hi - lo;
    }
    if (f)
        fclose(f);
    return best;
}

/* Reads every key and value of dbi; returns a checksum of what it read. */
static uint64_t read_all(MDB_env *env, MDB_dbi dbi, size_t *records)
{
    MDB_txn *txn;
    MDB_cursor *cur;
    uint64_t h = PUPA_HASH_INIT;
    *records = 0;
    if (mdb_txn_begin(env, NULL, MDB_RDONLY, &txn) || mdb_cursor_open(txn, dbi, &cur))
        return 0;
    MDB_val k, v;
    for (int op = MDB_FIRST; mdb_cursor_get(cur, &k, &v, op) == 0; op = MDB_NEXT) {
        h = pupa_hash(h, k.mv_data, k.mv_size);
        h = pupa_hash(h, v.mv_data, v.mv_size);
        (*records)++;
    }
    mdb_cursor_close(cur);
    mdb_txn_abort(txn);
    return h;
}

int main(int argc, char **argv)
{
    if (argc < 3) {
        fprintf(stderr, "usage: %s CORPORA SOURCE_ROOT\n", argv[0]);
        return 2;
    }
    tmp_setup("maprelease");
    char corpus[4096], lexicon[4096], index[512], data[600];
    snprintf(corpus, sizeof corpus, "%s/corpora-sample", argv[2]);
    snprintf(lexicon, sizeof lexicon, "%s/lexicons/butterfly.yml", argv[2]);
    snprintf(index, sizeof index, "%s/ix", tmpdir);
    snprintf(data, sizeof data, "%s/data.mdb", index);

    pupa_build_opts opts = {.lexicon = lexicon, .threads = 1};
    pupa_build_stats st;
    CHECK_EQ_INT(pupa_index_build(corpus, index, &opts, &st), 0);
    CHECK(st.hits > 0);

    struct stat sb;
    CHECK(stat(data, &sb) == 0);
    struct pupa_index ix;
    CHECK_EQ_INT(pupa_index_env_open(&ix, index, 1), 0);
    /* The map was found, and it covers the whole file. */
    CHECK(ix.map != NULL);
    CHECK(ix.map_len >= (size_t)sb.st_size);

    size_t nsegs = 0;
    uint64_t before = read_all(ix.env, ix.segs, &nsegs);
    CHECK(nsegs > 0);
    size_t touched = resident_pages(ix.map, (size_t)sb.st_size);
    CHECK(touched != (size_t)-1);
    CHECK(touched > 0);

    pupa_index_release_pages(&ix);
    CHECK_EQ_INT((long long)resident_pages(ix.map, (size_t)sb.st_size), 0);

    /* Dropped pages read back unchanged. */
    size_t again = 0;
    CHECK(read_all(ix.env, ix.segs, &again) == before);
    CHECK_EQ_INT((long long)again, (long long)nsegs);

    pupa_index_env_close(&ix);

    /* A reader's map: the file, in whole 64 KB, not the writer's room. */
    struct pupa_index ro;
    CHECK_EQ_INT(pupa_index_env_open(&ro, index, 0), 0);
    unsigned long long mapped = mapped_length(&sb);
    CHECK(mapped >= (unsigned long long)sb.st_size);
    CHECK(mapped <= (unsigned long long)sb.st_size + 65536);
    size_t again_ro = 0;
    CHECK(read_all(ro.env, ro.segs, &again_ro) == before);
    pupa_index_env_close(&ro);
    tmp_cleanup();
    return check_result();
}
