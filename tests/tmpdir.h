/*
 * tmpdir.h: a private scratch folder for a C test: made with mkdtemp, files
 * written into it by name, removed with everything in it at the end.
 */
#ifndef PUPA_TMPDIR_H
#define PUPA_TMPDIR_H

#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static char tmpdir[256];

static int tmp_rm_entry(const char *p, const struct stat *st, int flag, struct FTW *ftw)
{
    (void)st, (void)flag, (void)ftw;
    return remove(p);
}

/* Makes $TMPDIR/pupa-NAME-XXXXXX (/tmp by default); exits 1 when it cannot. */
static inline void tmp_setup(const char *name)
{
    const char *base = getenv("TMPDIR");
    snprintf(tmpdir, sizeof tmpdir, "%s/pupa-%s-XXXXXX", base && *base ? base : "/tmp", name);
    if (!mkdtemp(tmpdir)) {
        perror("mkdtemp");
        exit(1);
    }
}

static inline void tmp_cleanup(void)
{
    if (tmpdir[0])
        nftw(tmpdir, tmp_rm_entry, 16, FTW_DEPTH | FTW_PHYS);
}

/* Writes len bytes to path, a file below tmpdir, making the folders
 * between; exits 1 when it cannot. */
static inline void write_bytes(const char *path, const void *bytes, size_t len)
{
    char dir[4096];
    snprintf(dir, sizeof dir, "%s", path);
    for (char *p = dir + strlen(tmpdir) + 1; (p = strchr(p, '/')); p++) {
        *p = '\0';
        mkdir(dir, 0700);
        *p = '/';
    }
    FILE *f = fopen(path, "wb");
    if (!f) {
        perror(path);
        exit(1);
    }
    if (len)
        fwrite(bytes, 1, len, f);
    fclose(f);
}

/* Writes len bytes to tmpdir/name; returns the path (static: copy it to
 * keep it). */
static inline const char *put_bytes(const char *name, const char *bytes, size_t len)
{
    static char path[4096];
    snprintf(path, sizeof path, "%s/%s", tmpdir, name);
    write_bytes(path, bytes, len);
    return path;
}

/* Writes the string s to tmpdir/name; returns the path as put_bytes. */
static inline const char *put(const char *name, const char *s)
{
    return put_bytes(name, s, strlen(s));
}

#endif
