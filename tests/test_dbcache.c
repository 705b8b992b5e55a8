/*
 * test_dbcache.c: the compiled-database cache (engine/dbcache.c) stays
 * bounded.  Forty different codebooks are loaded with PUPA_CACHE_DIR in a
 * scratch folder: each compiles two databases, and the cache keeps the 64
 * used last.  A file of another name in the folder is left alone, a codebook
 * loaded again is served from the cache (its file is touched, not rewritten),
 * and one whose database was pruned still loads (it is compiled again).
 * A database damaged in the cache (cut short, a byte changed, emptied) is
 * compiled again and replaced by the same bytes as before.
 */
#include "check.h"
#include "pupa.h"

#include <dirent.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "tmpdir.h"

enum { CODEBOOKS = 40, KEPT = 64 };

static const char *cache;

#define LONG_AGO 946684800 /* 2000-01-01 */

/* Databases in the cache folder; *recent (if given) counts those modified
 * after LONG_AGO, and age_all sets every one's time to LONG_AGO first. */
static int count_dbs(int *recent, int age_all)
{
    DIR *d = opendir(cache);
    int n = 0;
    struct dirent *e;
    if (recent)
        *recent = 0;
    while (d && (e = readdir(d))) {
        size_t len = strlen(e->d_name);
        if (len < 5 || strcmp(e->d_name + len - 5, ".hsdb") != 0)
            continue;
        n++;
        char path[4200];
        struct stat st;
        snprintf(path, sizeof path, "%s/%s", cache, e->d_name);
        if (age_all) {
            struct timespec t[2] = {{LONG_AGO, 0}, {LONG_AGO, 0}};
            CHECK(utimensat(AT_FDCWD, path, t, 0) == 0);
        }
        if (recent && stat(path, &st) == 0 && st.st_mtim.tv_sec > LONG_AGO)
            (*recent)++;
    }
    if (d)
        closedir(d);
    return n;
}

static int load(int k)
{
    char name[32], yaml[128];
    snprintf(name, sizeof name, "lex%02d.yml", k);
    snprintf(yaml, sizeof yaml, "theme:\n  - word%02d\n  - another%02d phrase\n", k, k);
    const char *path = put(name, yaml);
    pupa_lexicon *lex = NULL;
    int rc = pupa_lexicon_load(&lex, path);
    pupa_lexicon_free(lex);
    return rc;
}

static void test_damaged(const char *dir)
{
    cache = dir;
    setenv("PUPA_CACHE_DIR", dir, 1);
    CHECK_EQ_INT(load(50), 0);
    char path[2][1024];
    char *orig[2] = {NULL, NULL};
    size_t olen[2] = {0, 0};
    int n = 0;
    DIR *d = opendir(dir);
    struct dirent *e;
    while (d && (e = readdir(d)) && n < 2) {
        size_t len = strlen(e->d_name);
        if (len < 5 || strcmp(e->d_name + len - 5, ".hsdb") != 0)
            continue;
        snprintf(path[n], sizeof path[n], "%.500s/%.300s", dir, e->d_name);
        orig[n] = slurp(path[n], &olen[n]);
        CHECK(orig[n] != NULL && olen[n] > 64);
        n++;
    }
    if (d)
        closedir(d);
    CHECK_EQ_INT(n, 2);
    for (int kind = 0; n == 2 && kind < 3; kind++) {
        for (int i = 0; i < 2; i++) {
            char *bad = malloc(olen[i]);
            if (!bad)
                abort();
            memcpy(bad, orig[i], olen[i]);
            size_t blen = kind == 0 ? olen[i] / 2 : kind == 1 ? olen[i] : 0;
            if (kind == 1)
                bad[olen[i] / 2] ^= 0x5A;
            write_bytes(path[i], bad, blen);
            free(bad);
        }
        CHECK_EQ_INT(load(50), 0);
        for (int i = 0; i < 2; i++) {
            size_t len = 0;
            char *now = slurp(path[i], &len);
            if (!(now && len == olen[i] && memcmp(now, orig[i], len) == 0)) {
                fprintf(stderr, "%s:%d: damage %d: %s not replaced (%zu bytes, want %zu)\n",
                        __FILE__, __LINE__, kind, path[i], len, olen[i]);
                check_failures++;
            }
            free(now);
        }
    }
    free(orig[0]);
    free(orig[1]);
}

int main(void)
{
    tmp_setup("dbcache");
    static char dir[512];
    snprintf(dir, sizeof dir, "%s/cache", tmpdir);
    cache = dir;
    setenv("PUPA_CACHE_DIR", dir, 1);
    put("cache/notes.txt", "not a database\n");

    CHECK_EQ_INT(load(0), 0);
    /* The lexicon's database and the fast path's raw one; with both, the
     * codebooks below overflow the cache, so pruning is exercised. */
    int per_codebook = count_dbs(NULL, 0);
    CHECK_EQ_INT(per_codebook, 2);
    CHECK(per_codebook * CODEBOOKS > KEPT);
    for (int k = 1; k < CODEBOOKS; k++)
        CHECK_EQ_INT(load(k), 0);
    int expect = per_codebook * CODEBOOKS < KEPT ? per_codebook * CODEBOOKS : KEPT;
    CHECK_EQ_INT(count_dbs(NULL, 0), expect);
    struct stat st;
    char notes[600];
    snprintf(notes, sizeof notes, "%s/notes.txt", dir);
    CHECK(stat(notes, &st) == 0);

    /* A hit adds nothing and touches its databases (all made old first);
     * a pruned codebook is compiled and stored again. */
    int recent;
    count_dbs(NULL, 1);
    CHECK_EQ_INT(load(CODEBOOKS - 1), 0);
    CHECK_EQ_INT(count_dbs(&recent, 0), expect);
    CHECK_EQ_INT(recent, per_codebook);
    CHECK_EQ_INT(load(0), 0);
    CHECK_EQ_INT(count_dbs(NULL, 0), expect);

    static char dir2[512];
    snprintf(dir2, sizeof dir2, "%s/cache2", tmpdir);
    test_damaged(dir2);

    tmp_cleanup();
    return check_result();
}
