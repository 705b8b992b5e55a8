/*
 * bench_util.h: what the benchmark programs share: reading a corpus into
 * memory (the file list comes from pupa_corpus_list, so every program sees
 * the files pupa index sees, in the same order), a monotonic clock, and
 * the median of a few timings.  Header-only: each program is one .c file.
 */
#ifndef PUPA_BENCH_UTIL_H
#define PUPA_BENCH_UTIL_H

#include "pupa.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

typedef struct bench_file {
    char *data;
    size_t len;
} bench_file;

typedef struct bench_corpus {
    bench_file *files;
    size_t nfiles;
    size_t bytes;
} bench_corpus;

static inline double bench_now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* CPU seconds of this process (all threads). */
static inline double bench_cpu(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static inline void *bench_xmalloc(size_t n)
{
    void *p = malloc(n ? n : 1);
    if (!p) {
        fprintf(stderr, "out of memory\n");
        exit(1);
    }
    return p;
}

static inline int bench_read_file(const char *path, bench_file *out)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return -1;
    if (fseek(f, 0, SEEK_END) != 0) {
        fclose(f);
        return -1;
    }
    long n = ftell(f);
    if (n < 0 || fseek(f, 0, SEEK_SET) != 0) {
        fclose(f);
        return -1;
    }
    out->data = bench_xmalloc((size_t)n + 1);
    out->len = fread(out->data, 1, (size_t)n, f);
    out->data[out->len] = '\0';
    fclose(f);
    return out->len == (size_t)n ? 0 : -1;
}

/* Reads every file pupa_corpus_list finds under root.  Exits on failure. */
static inline void bench_corpus_load(const char *root, bench_corpus *c)
{
    char **paths = NULL;
    size_t n = 0;
    if (pupa_corpus_list(root, &paths, &n)) {
        fprintf(stderr, "%s: %s\n", root, pupa_errmsg());
        exit(1);
    }
    c->files = bench_xmalloc(n * sizeof *c->files);
    c->nfiles = n;
    c->bytes = 0;
    for (size_t i = 0; i < n; i++) {
        size_t len = strlen(root) + strlen(paths[i]) + 2;
        char *full = bench_xmalloc(len);
        snprintf(full, len, "%s/%s", root, paths[i]);
        if (bench_read_file(full, &c->files[i])) {
            fprintf(stderr, "%s: cannot read\n", full);
            exit(1);
        }
        c->bytes += c->files[i].len;
        free(full);
    }
    pupa_paths_free(paths, n);
}

static inline void bench_corpus_free(bench_corpus *c)
{
    for (size_t i = 0; i < c->nfiles; i++)
        free(c->files[i].data);
    free(c->files);
    memset(c, 0, sizeof *c);
}

static inline int bench_cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

/* Median of v[0, n), which it sorts. */
static inline double bench_median(double *v, size_t n)
{
    if (n == 0)
        return 0;
    qsort(v, n, sizeof *v, bench_cmp_double);
    return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

static inline void bench_print_times(const char *name, const double *v, size_t n)
{
    printf("\"%s\":[", name);
    for (size_t i = 0; i < n; i++)
        printf("%s%.6f", i ? "," : "", v[i]);
    printf("]");
}

#endif
