/*
 * test_dbcache.c: the compiled-database cache (engine/dbcache.c) stays
 * bounded.  Forty different codebooks are loaded with PUPA_CACHE_DIR in a
 * scratch folder: each compiles two databases, and the cache keeps the 64
 * used last.  A file of another name in the folder is left alone, a codebook
 * loaded again is served from the cache (its file is touched, not rewritten),
 * and one whose database was pruned still loads (it is compiled again).
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

    tmp_cleanup();
    return check_result();
}
