/*
 * error.c: error codes, the per-thread one-line message, and the small
 * utilities every stage shares (capped buffers, hashing, whole-file reads;
 * UTF-8 decoding is inline in internal.h).
 */
#include "internal.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

static _Thread_local char last_message[1024];

const char *pupa_strerror(int err)
{
    switch (err) {
    case PUPA_OK: return "success";
    case PUPA_ENOMEM: return "out of memory";
    case PUPA_EIO: return "input/output error";
    case PUPA_EUTF8: return "invalid UTF-8";
    case PUPA_EFORMAT: return "malformed input";
    case PUPA_ELEXICON: return "bad lexicon";
    case PUPA_EICU: return "ICU error";
    case PUPA_EHS: return "Hyperscan error";
    case PUPA_ELMDB: return "LMDB error";
    case PUPA_ECORRUPT: return "corrupt or incompatible index";
    case PUPA_EINVAL: return "invalid argument";
    case PUPA_ETOOBIG: return "input over size limit";
    case PUPA_ENOTFOUND: return "not found";
    default: return "unknown error";
    }
}

const char *pupa_errmsg(void) { return last_message; }

void pupa_clear_error(void) { last_message[0] = '\0'; }

int pupa_fail(int err, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(last_message, sizeof last_message, fmt, ap);
    va_end(ap);
    /* One line, always: a message carrying file content must not break it. */
    for (char *p = last_message; *p; p++)
        if (*p == '\n' || *p == '\r')
            *p = ' ';
    return err;
}

void pupa_buf_init(pupa_buf *b, size_t max)
{
    b->data = NULL;
    b->len = b->cap = 0;
    b->max = max;
}

int pupa_buf_reserve(pupa_buf *b, size_t n)
{
    if (n > b->max || b->len > b->max - n)
        return pupa_fail(PUPA_ETOOBIG, "buffer would exceed %zu bytes", b->max);
    size_t need = b->len + n + 1;
    if (need <= b->cap)
        return 0;
    size_t cap = b->cap ? b->cap : 64;
    while (cap < need)
        cap *= 2;
    char *p = realloc(b->data, cap);
    if (!p)
        return pupa_fail(PUPA_ENOMEM, "out of memory");
    b->data = p;
    b->cap = cap;
    return 0;
}

int pupa_buf_add_grow(pupa_buf *b, const void *p, size_t n)
{
    int rc = pupa_buf_reserve(b, n);
    if (rc)
        return rc;
    if (n)
        memcpy(b->data + b->len, p, n);
    b->len += n;
    b->data[b->len] = '\0';
    return 0;
}

int pupa_buf_addc(pupa_buf *b, char c) { return pupa_buf_add(b, &c, 1); }

int pupa_buf_printf(pupa_buf *b, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(NULL, 0, fmt, ap);
    va_end(ap);
    if (n < 0)
        return pupa_fail(PUPA_EINVAL, "bad format");
    int rc = pupa_buf_reserve(b, (size_t)n);
    if (rc)
        return rc;
    va_start(ap, fmt);
    vsnprintf(b->data + b->len, (size_t)n + 1, fmt, ap);
    va_end(ap);
    b->len += (size_t)n;
    return 0;
}

void pupa_buf_free(pupa_buf *b)
{
    free(b->data);
    pupa_buf_init(b, b->max);
}

int pupa_grow(void *p, size_t *cap, size_t need, size_t sz)
{
    if (need <= *cap)
        return 0;
    size_t n = *cap ? *cap : 16;
    while (n < need)
        n *= 2;
    void *q = realloc(*(void **)p, n * sz);
    if (!q)
        return pupa_fail(PUPA_ENOMEM, "out of memory");
    *(void **)p = q;
    *cap = n;
    return 0;
}

uint64_t pupa_hash(uint64_t h, const void *p, size_t n)
{
    const unsigned char *s = p;
    for (size_t i = 0; i < n; i++) {
        h ^= s[i];
        h *= 0x100000001b3ull;
    }
    return h;
}

char *pupa_strndup(const char *s, size_t n)
{
    char *d = malloc(n + 1);
    if (!d)
        return NULL;
    memcpy(d, s, n);
    d[n] = '\0';
    return d;
}

char *pupa_strdup(const char *s) { return pupa_strndup(s, strlen(s)); }

int pupa_read_all(const char *path, size_t max, char **out, size_t *len)
{
    *out = NULL;
    *len = 0;
    FILE *f = fopen(path, "rb");
    if (!f)
        return pupa_fail(errno == ENOENT ? PUPA_ENOTFOUND : PUPA_EIO, "%s: %s", path,
                         strerror(errno));
    struct stat st;
    if (fstat(fileno(f), &st) != 0 || !S_ISREG(st.st_mode)) {
        fclose(f);
        return pupa_fail(PUPA_EIO, "%s: not a regular file", path);
    }
    if ((uint64_t)st.st_size > max) {
        fclose(f);
        return pupa_fail(PUPA_ETOOBIG, "%s: %lld bytes is over the limit of %zu", path,
                         (long long)st.st_size, max);
    }
    size_t n = (size_t)st.st_size;
    char *buf = malloc(n + 1);
    if (!buf) {
        fclose(f);
        return pupa_fail(PUPA_ENOMEM, "%s: out of memory", path);
    }
    size_t got = n ? fread(buf, 1, n, f) : 0;
    int err = ferror(f);
    fclose(f);
    if (got != n || err) {
        free(buf);
        return pupa_fail(PUPA_EIO, "%s: short read", path);
    }
    buf[n] = '\0';
    *out = buf;
    *len = n;
    return 0;
}
