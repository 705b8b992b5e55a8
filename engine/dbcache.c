/*
 * dbcache.c: compiled Hyperscan databases cached on disk, so start-up with
 * a large codebook does not recompile.
 *
 * A database is stored with hs_serialize_database under a key that hashes
 * everything the compiled bytes depend on: every expression, its flags and
 * id, Hyperscan's version, and the platform (CPU features and tuning) the
 * database is compiled for.  The expressions are the normalised entries, so
 * a new ICU that normalises differently gives a new key too.
 *
 * Where: $PUPA_CACHE_DIR, else $XDG_CACHE_HOME/pupa, else ~/.cache/pupa
 * (created 0700).  PUPA_CACHE_DIR=off disables the cache.  It keeps the
 * CACHE_KEEP databases used last: a hit touches its file, and storing a new
 * one removes the oldest beyond that, so a user who edits a codebook many
 * times does not fill the disk.  The cache is
 * untrusted like any file: Hyperscan checks a serialised database's CRC and
 * platform when deserialising, and a file that fails is compiled anew and
 * replaced.  A cache that cannot be written is not an error.
 */
#include "scan.h"

#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#define MAX_CACHED_DB (512u * 1024u * 1024u)
/* Databases kept: a codebook compiles two (the token stream's and the raw
 * text's), so this is the last 32 codebooks used. */
#define CACHE_KEEP 64

static int cache_dir(char *out, size_t cap)
{
    const char *env = getenv("PUPA_CACHE_DIR");
    if (env && strcmp(env, "off") == 0)
        return 0;
    if (env && *env) {
        snprintf(out, cap, "%s", env);
    } else if ((env = getenv("XDG_CACHE_HOME")) && *env) {
        snprintf(out, cap, "%s/pupa", env);
    } else if ((env = getenv("HOME")) && *env) {
        char parent[4096];
        snprintf(parent, sizeof parent, "%s/.cache", env);
        mkdir(parent, 0700);
        snprintf(out, cap, "%s/.cache/pupa", env);
    } else {
        return 0;
    }
    if (mkdir(out, 0700) != 0 && errno != EEXIST)
        return 0;
    return 1;
}

static uint64_t compile_key(const char *const *exprs, const unsigned *flags, const unsigned *ids,
                            unsigned n)
{
    uint64_t h = PUPA_HASH_INIT;
    const char *version = hs_version();
    h = pupa_hash(h, version, strlen(version) + 1);
    hs_platform_info_t plat;
    memset(&plat, 0, sizeof plat);
    if (hs_populate_platform(&plat) == HS_SUCCESS)
        h = pupa_hash(h, &plat, sizeof plat);
    for (unsigned i = 0; i < n; i++) {
        h = pupa_hash(h, exprs[i], strlen(exprs[i]) + 1);
        h = pupa_hash(h, &flags[i], sizeof flags[i]);
        h = pupa_hash(h, &ids[i], sizeof ids[i]);
    }
    return h;
}

/* The file is mapped, not read: Hyperscan copies the bytes out anyway, and
 * a read would first copy them into fresh pages, each a fault that the
 * kernel zeroes (the default codebook's databases are 4.7 MB; its load in
 * a new process took 12.3-18.2 ms read, 9.7-10.2 mapped).  Like the seal
 * check's map of data.mdb, it trusts that no one truncates the file in
 * place while it is mapped: pupa only ever replaces it (cache_store). */
static hs_database_t *cache_load(const char *path)
{
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return NULL;
    struct stat st;
    hs_database_t *db = NULL;
    if (fstat(fd, &st) == 0 && S_ISREG(st.st_mode) && st.st_size > 0 &&
        (uint64_t)st.st_size <= MAX_CACHED_DB) {
        void *map = mmap(NULL, (size_t)st.st_size, PROT_READ, MAP_PRIVATE, fd, 0);
        if (map != MAP_FAILED) {
            if (hs_deserialize_database(map, (size_t)st.st_size, &db) != HS_SUCCESS)
                db = NULL;
            munmap(map, (size_t)st.st_size);
        }
    }
    close(fd);
    return db;
}

typedef struct cached_file {
    char name[64];
    struct timespec used;
} cached_file;

static int by_use(const void *a, const void *b)
{
    const cached_file *x = a, *y = b;
    if (x->used.tv_sec != y->used.tv_sec)
        return x->used.tv_sec < y->used.tv_sec ? -1 : 1;
    if (x->used.tv_nsec != y->used.tv_nsec)
        return x->used.tv_nsec < y->used.tv_nsec ? -1 : 1;
    return strcmp(x->name, y->name);
}

/* Removes the databases used longest ago beyond CACHE_KEEP.  Only files
 * named like pupa's (16 hex digits, .hsdb) are touched. */
static void cache_prune(const char *dir)
{
    DIR *d = opendir(dir);
    if (!d)
        return;
    cached_file *files = NULL;
    size_t n = 0, cap = 0;
    struct dirent *e;
    while ((e = readdir(d))) {
        size_t len = strlen(e->d_name);
        if (len != 21 || strcmp(e->d_name + 16, ".hsdb") != 0 ||
            strspn(e->d_name, "0123456789abcdef") != 16)
            continue;
        char path[4200];
        struct stat st;
        snprintf(path, sizeof path, "%s/%s", dir, e->d_name);
        if (stat(path, &st) != 0 || pupa_grow(&files, &cap, n + 1, sizeof *files))
            continue;
        memcpy(files[n].name, e->d_name, len + 1); /* 21 bytes and the NUL */
        files[n++].used = st.st_mtim;
    }
    closedir(d);
    pupa_clear_error(); /* a failed grow is not the caller's error */
    if (n > CACHE_KEEP) {
        qsort(files, n, sizeof *files, by_use);
        for (size_t i = 0; i < n - CACHE_KEEP; i++) {
            char path[4200];
            snprintf(path, sizeof path, "%s/%s", dir, files[i].name);
            unlink(path);
        }
    }
    free(files);
}

static void cache_store(const char *path, const hs_database_t *db)
{
    char *bytes = NULL;
    size_t len = 0;
    if (hs_serialize_database(db, &bytes, &len) != HS_SUCCESS)
        return;
    char tmp[4300];
    snprintf(tmp, sizeof tmp, "%s.%ld.tmp", path, (long)getpid());
    FILE *f = fopen(tmp, "wb");
    if (f) {
        chmod(tmp, 0600);
        int ok = fwrite(bytes, 1, len, f) == len;
        ok = fclose(f) == 0 && ok;
        /* rename is atomic: a concurrent reader sees the old file or the new */
        if (!ok || rename(tmp, path) != 0)
            unlink(tmp);
    }
    free(bytes);
}

int pupa_hs_compile_cached(const char *const *exprs, const unsigned *flags, const unsigned *ids,
                           unsigned n, hs_database_t **db, hs_compile_error_t **err)
{
    *db = NULL;
    *err = NULL;
    char dir[4096], path[4200];
    int cached = cache_dir(dir, sizeof dir);
    if (cached) {
        snprintf(path, sizeof path, "%s/%016llx.hsdb", dir,
                 (unsigned long long)compile_key(exprs, flags, ids, n));
        if ((*db = cache_load(path))) {
            utimensat(AT_FDCWD, path, NULL, 0); /* used now: pruned last */
            return HS_SUCCESS;
        }
    }
    hs_error_t rc = hs_compile_multi(exprs, flags, ids, n, HS_MODE_BLOCK, NULL, db, err);
    if (rc == HS_SUCCESS && cached) {
        cache_store(path, *db);
        cache_prune(dir);
    }
    return rc;
}
