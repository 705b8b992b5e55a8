/*
 * tmpdir.h: a private scratch folder for a C test: made with mkdtemp, files
 * written into it by name, removed with everything in it at the end.
 */
#ifndef PUPA_TMPDIR_H
#define PUPA_TMPDIR_H

#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

static char tmpdir[256];

static int tmp_rm_entry(const char *p, const struct stat *st, int flag, struct FTW *ftw)
{
    (void)st, (void)flag, (void)ftw;
    return remove(p);
}

/* Makes /tmp/pupa-NAME-XXXXXX; exits 1 when it cannot. */
static inline void tmp_setup(const char *name)
{
    snprintf(tmpdir, sizeof tmpdir, "/tmp/pupa-%s-XXXXXX", name);
    if (!mkdtemp(tmpdir)) {
        perror("mkdtemp");
        exit(1);
    }
}

static inline void tmp_cleanup(void) { nftw(tmpdir, tmp_rm_entry, 16, FTW_DEPTH | FTW_PHYS); }

/* Writes s to tmpdir/name; returns the path (static: copy it to keep it). */
static inline const char *put(const char *name, const char *s)
{
    static char path[1024];
    snprintf(path, sizeof path, "%s/%s", tmpdir, name);
    FILE *f = fopen(path, "wb");
    if (!f) {
        perror(path);
        exit(1);
    }
    fputs(s, f);
    fclose(f);
    return path;
}

#endif
