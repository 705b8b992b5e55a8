/*
 * internal.h: helpers shared by the engine's own files, never installed.
 * Error reporting (error.c), capped growable buffers, hashing and small
 * string utilities.  Nothing here is part of the public API.
 */
#ifndef PUPA_INTERNAL_H
#define PUPA_INTERNAL_H

#include "pupa.h"

#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Records a one-line message for pupa_errmsg() and returns err, so a
 * failure is reported and propagated in one statement:
 *     return pupa_fail(PUPA_EUTF8, "%s:%u: byte %zu: invalid UTF-8", ...); */
int pupa_fail(int err, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Clears the calling thread's message. */
void pupa_clear_error(void);

/* A growable byte buffer with a hard cap (curl's dynbuf). */
typedef struct pupa_buf {
    char *data;
    size_t len, cap, max;
} pupa_buf;
void pupa_buf_init(pupa_buf *b, size_t max);
/* Ensures room for n more bytes (plus a NUL).  PUPA_ETOOBIG past max. */
int pupa_buf_reserve(pupa_buf *b, size_t n);
int pupa_buf_add(pupa_buf *b, const void *p, size_t n);
int pupa_buf_addc(pupa_buf *b, char c);
int pupa_buf_printf(pupa_buf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void pupa_buf_free(pupa_buf *b);

/* Grows an array *p of *cap elements of size sz so index need-1 fits. */
int pupa_grow(void *p, size_t *cap, size_t need, size_t sz);

/* 64-bit FNV-1a, chained through h (start with PUPA_HASH_INIT). */
#define PUPA_HASH_INIT 0xcbf29ce484222325ull
uint64_t pupa_hash(uint64_t h, const void *p, size_t n);

char *pupa_strndup(const char *s, size_t n);
char *pupa_strdup(const char *s);

/* Reads a whole file, capped at max bytes; *out is NUL-terminated. */
int pupa_read_all(const char *path, size_t max, char **out, size_t *len);

/* Length of the valid UTF-8 sequence at p (1-4), or 0 if invalid. */
size_t pupa_utf8_len(const unsigned char *p, size_t avail);
/* Decodes the valid UTF-8 sequence at p (its length from pupa_utf8_len). */
uint32_t pupa_utf8_decode(const unsigned char *p, size_t n);

static inline bool pupa_is_khmer_cp(uint32_t c)
{
    return (c >= 0x1780 && c <= 0x17FF) || (c >= 0x19E0 && c <= 0x19FF);
}

#endif
