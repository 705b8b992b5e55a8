/*
 * check.h: the tiny assertion kit shared by the C tests.  A failed CHECK
 * prints where and why and makes the test exit 1; SKIP exits 77, which
 * CTest reports as skipped (used only when the shared corpora are absent).
 */
#ifndef PUPA_CHECK_H
#define PUPA_CHECK_H

#include <stdio.h>
#include "pupa.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

static int check_failures;

#define CHECK(cond)                                                                    \
    do {                                                                               \
        if (!(cond)) {                                                                 \
            fprintf(stderr, "%s:%d: CHECK failed: %s\n", __FILE__, __LINE__, #cond);  \
            check_failures++;                                                          \
        }                                                                              \
    } while (0)

#define CHECK_EQ_INT(a, b)                                                             \
    do {                                                                               \
        long long check_a_ = (long long)(a), check_b_ = (long long)(b);                \
        if (check_a_ != check_b_) {                                                    \
            fprintf(stderr, "%s:%d: CHECK failed: %s == %s (%lld != %lld)\n", __FILE__, \
                    __LINE__, #a, #b, check_a_, check_b_);                             \
            check_failures++;                                                          \
        }                                                                              \
    } while (0)

#define CHECK_EQ_STR(a, b)                                                             \
    do {                                                                               \
        const char *check_a_ = (a), *check_b_ = (b);                                   \
        if (!check_a_ || !check_b_ || strcmp(check_a_, check_b_) != 0) {               \
            fprintf(stderr, "%s:%d: CHECK failed: %s == %s (\"%s\" != \"%s\")\n",      \
                    __FILE__, __LINE__, #a, #b, check_a_ ? check_a_ : "(null)",        \
                    check_b_ ? check_b_ : "(null)");                                   \
            check_failures++;                                                          \
        }                                                                              \
    } while (0)

/* Exit 77 (skipped) unless the shared corpora folder exists. */
static inline void require_corpora(const char *dir)
{
    struct stat st;
    if (!dir || stat(dir, &st) != 0 || !S_ISDIR(st.st_mode)) {
        fprintf(stderr, "shared corpora not found at %s: skipped\n", dir ? dir : "(none)");
        exit(77);
    }
}

/* The whole file, NUL-terminated, its length in *len (if len); NULL if it
 * cannot be read.  The caller frees it. */
static inline char *slurp(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return NULL;
    char *b = NULL;
    long n = -1;
    if (fseek(f, 0, SEEK_END) == 0 && (n = ftell(f)) >= 0 && fseek(f, 0, SEEK_SET) == 0)
        b = malloc((size_t)n + 1);
    if (b && fread(b, 1, (size_t)n, f) != (size_t)n) {
        free(b);
        b = NULL;
    }
    fclose(f);
    if (!b)
        return NULL;
    b[n] = '\0';
    if (len)
        *len = (size_t)n;
    return b;
}

/* dir/rel (dir alone when rel is NULL) read whole, as slurp does; a file
 * that cannot be read fails the test, and stderr names it. */
static inline char *slurp_corpus(const char *dir, const char *rel, size_t *len)
{
    char path[4096];
    int n = snprintf(path, sizeof path, "%s%s%s", dir, rel ? "/" : "", rel ? rel : "");
    if (len)
        *len = 0;
    char *b = n >= 0 && (size_t)n < sizeof path ? slurp(path, len) : NULL;
    if (!b) {
        fprintf(stderr, "cannot read %s\n", path);
        check_failures++;
    }
    return b;
}

static inline int check_result(void)
{
    if (check_failures) {
        fprintf(stderr, "%d check(s) failed\n", check_failures);
        return 1;
    }
    return 0;
}

/* Whether two token streams are the same: tokens (spans, script) and norm. */
static inline int tokens_equal(const pupa_tokens *a, const pupa_tokens *b)
{
    if (a->ntok != b->ntok || a->norm_len != b->norm_len ||
        memcmp(a->norm, b->norm, a->norm_len) != 0)
        return 0;
    for (size_t i = 0; i < a->ntok; i++)
        if (a->tok[i].src_start != b->tok[i].src_start || a->tok[i].src_end != b->tok[i].src_end ||
            a->tok[i].norm_start != b->tok[i].norm_start ||
            a->tok[i].norm_end != b->tok[i].norm_end || a->tok[i].script != b->tok[i].script)
            return 0;
    return 1;
}

/* Writes code point c as UTF-8 at d; returns the bytes written (1-4). */
static inline size_t utf8_put(char *d, uint32_t c)
{
    if (c < 0x80) {
        d[0] = (char)c;
        return 1;
    }
    if (c < 0x800) {
        d[0] = (char)(0xC0 | (c >> 6));
        d[1] = (char)(0x80 | (c & 0x3F));
        return 2;
    }
    if (c < 0x10000) {
        d[0] = (char)(0xE0 | (c >> 12));
        d[1] = (char)(0x80 | ((c >> 6) & 0x3F));
        d[2] = (char)(0x80 | (c & 0x3F));
        return 3;
    }
    d[0] = (char)(0xF0 | (c >> 18));
    d[1] = (char)(0x80 | ((c >> 12) & 0x3F));
    d[2] = (char)(0x80 | ((c >> 6) & 0x3F));
    d[3] = (char)(0x80 | (c & 0x3F));
    return 4;
}

/* Encodes a 0-terminated list of code points as UTF-8 into out
 * (NUL-terminated); returns its length. */
static inline size_t utf8_encode(char *out, const uint32_t *cps)
{
    size_t n = 0;
    for (; *cps; cps++)
        n += utf8_put(out + n, *cps);
    out[n] = '\0';
    return n;
}

#endif
