/*
 * reader.c: the reading stage.  Owns everything between a corpus on disk and
 * segments in memory: corpus listing, the manifest (CSV), the .txt header and
 * turn splitter, the JSON Lines parser with its offset map, and language
 * detection by script.  Every offset handed out is a byte offset into the
 * original file, BOM included.
 *
 * Decisions (docs/ repeats them for users):
 *  - A whole file is checked for UTF-8 before anything else, so a bad byte is
 *    reported at its own line and byte even inside a header or a JSON string.
 *    A NUL byte is refused too (PUPA_EFORMAT): it means UTF-16 or binary.
 *  - Keys, wherever they come from, are trimmed and ASCII-lowercased; values
 *    are trimmed.  An empty value is no value (it does not override the
 *    manifest).  A key given twice in one header, JSON object or manifest
 *    header row is an error.  At most READER_MAX_KEYS keys per document.
 *  - Header: `---` fences, `key: value` lines (split at the first colon),
 *    blank lines and `#` comment lines allowed, one pair of matching quotes
 *    around a value stripped.
 *  - doc->meta holds every key, header (or JSON) over manifest, sorted by key.
 *  - Speaker labels match ASCII case-insensitively; when two labels match
 *    the longer wins, and a label in both lists is a participant label.
 *    Only ASCII white space is trimmed from a segment; bytes inside it are
 *    never changed (so a multi-line CRLF turn keeps its inner \r).
 *  - JSON Lines: the values of participant, year and other metadata may be
 *    strings, numbers (kept as written) or booleans; null is no value;
 *    nested objects and arrays are checked and skipped, not kept.  \u0000 is
 *    refused because metadata are C strings.  `text` is required.  A text
 *    without escapes points straight into the file (offset_map NULL,
 *    text_base at its first byte); otherwise the map costs 8 bytes per
 *    decoded byte, so a .jsonl can take about 9 times its size in memory.
 *  - The manifest may carry a BOM (Excel writes one), CRLF or LF, quoted
 *    fields over several lines.  Its file cell is trimmed, '\' becomes '/'
 *    and a leading "./" is dropped.  Rows shorter than the header are padded
 *    with empty cells; longer rows are errors; blank rows are skipped.
 *  - Listing: *.txt and *.jsonl, extension matched ASCII case-insensitively,
 *    hidden entries skipped, symbolic links to files followed, symbolic
 *    links to directories not (no loops).  A file is read as JSON Lines when
 *    its name ends in .jsonl, as .txt otherwise.
 */
#include "internal.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#define READER_MAX_KEYS 1024   /* metadata keys per document, manifest columns */
#define READER_MAX_LABELS 128  /* speaker labels in both lists */
#define READER_MAX_DEPTH 64    /* JSON nesting inside a skipped value */
#define READER_MAX_DIRS 64     /* directory depth of a corpus */
#define READER_MAX_SPEAKERS 64 /* distinct label spellings interned per file */
#define ARENA_CHUNK (64u * 1024u)

static const char BOM[] = "\xEF\xBB\xBF";

/* ------------------------------------------------------------- helpers */

static bool is_hspace(char c) { return c == ' ' || c == '\t'; }

static bool is_ws(char c)
{
    return c == ' ' || c == '\t' || c == '\r' || c == '\n' || c == '\f' || c == '\v';
}

static char ascii_lower(char c) { return (c >= 'A' && c <= 'Z') ? (char)(c + 32) : c; }

static bool ascii_ieq(const char *a, const char *b, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (ascii_lower(a[i]) != ascii_lower(b[i]))
            return false;
    return true;
}

static bool ends_with_ci(const char *s, const char *suffix)
{
    size_t n = strlen(s), m = strlen(suffix);
    return n > m && ascii_ieq(s + n - m, suffix, m);
}

static void trim(const char *t, size_t *s, size_t *e)
{
    while (*s < *e && is_ws(t[*s]))
        (*s)++;
    while (*e > *s && is_ws(t[*e - 1]))
        (*e)--;
}

/* End of the line starting at ls (the '\n' or to). */
static size_t line_end(const char *t, size_t ls, size_t to)
{
    const char *nl = ls < to ? memchr(t + ls, '\n', to - ls) : NULL;
    return nl ? (size_t)(nl - t) : to;
}

static size_t next_line(size_t le, size_t to) { return le < to ? le + 1 : to; }

/* Only error paths count lines, so the hot paths carry no line counters. */
static size_t line_of(const char *b, size_t off)
{
    size_t line = 1;
    for (const char *p = b, *end = b + off; (p = memchr(p, '\n', (size_t)(end - p))); p++)
        line++;
    return line;
}

/* Fails with "name:LINE: byte OFF: what", the one shape of every reader error. */
__attribute__((format(printf, 5, 6))) static int fail_at(const char *name, const char *b,
                                                         size_t off, int err, const char *fmt,
                                                         ...)
{
    char what[512];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(what, sizeof what, fmt, ap);
    va_end(ap);
    return pupa_fail(err, "%s:%zu: byte %zu: %s", name, line_of(b, off), off, what);
}

/* Is a character of the Khmer block (E1 9E xx or E1 9F xx) at p[i]? */
static inline bool khmer_letter_at(const unsigned char *p, size_t i, size_t n)
{
    return i < n && pupa_khmer_index(p + i, n - i) >= 0;
}

/* The end of the run of Khmer-block characters that starts at p[i] (one
 * is there): eight at a time while it lasts. */
static inline size_t khmer_run_end(const unsigned char *p, size_t i, size_t n)
{
    i += 3;
    while (i + 24 <= n && pupa_khmer_run8(p + i))
        i += 24;
    while (khmer_letter_at(p, i, n))
        i += 3;
    return i;
}

/* A NUL-free UTF-8 check of a whole file. */
static int check_text(const char *name, const char *b, size_t n)
{
    const unsigned char *p = (const unsigned char *)b;
    size_t i = 0;
    while (i < n) {
        /* Eight ASCII bytes at a time, none of them NUL: the common case. */
        while (i + 8 <= n) {
            uint64_t w;
            memcpy(&w, p + i, 8);
            if ((w & 0x8080808080808080ull) || pupa_has_byte_below(w, 1))
                break;
            i += 8;
        }
        if (i >= n)
            break;
        if (p[i] >= 0x01 && p[i] < 0x80) {
            i++;
            continue;
        }
        /* Khmer letters, the bulk of Khmer text: E1 9E xx or E1 9F xx, a
         * run of them at once. */
        if (khmer_letter_at(p, i, n)) {
            i = khmer_run_end(p, i, n);
            continue;
        }
        if (p[i] == 0)
            return fail_at(name, b, i, PUPA_EFORMAT, "NUL byte (not a UTF-8 text file?)");
        size_t k = pupa_utf8_len(p + i, n - i);
        if (!k)
            return fail_at(name, b, i, PUPA_EUTF8, "invalid UTF-8");
        i += k;
    }
    return 0;
}

static size_t bom_len(const char *b, size_t n)
{
    return n >= 3 && memcmp(b, BOM, 3) == 0 ? 3 : 0;
}

/* Reads a file for the reader, re-wording pupa_read_all's failure into the
 * reader's "name:LINE: byte N: what" shape. */
static int read_file(const char *path, const char *name, char **out, size_t *len)
{
    int rc = pupa_read_all(path, PUPA_MAX_FILE_BYTES, out, len);
    if (!rc)
        return 0;
    char msg[1024];
    snprintf(msg, sizeof msg, "%s", pupa_errmsg());
    const char *what = msg;
    size_t pl = strlen(path);
    if (strncmp(msg, path, pl) == 0 && msg[pl] == ':' && msg[pl + 1] == ' ')
        what = msg + pl + 2;
    return pupa_fail(rc, "%s:1: byte 0: %s", name, what);
}

/* --------------------------------------------------------------- arena */

/* Everything a pupa_file or pupa_manifest hands out lives in one arena, so
 * freeing is one walk and there is no per-string ownership to get wrong. */
typedef struct chunk {
    struct chunk *next;
    size_t used, cap;
    max_align_t data[];
} chunk;

typedef struct arena {
    chunk *head;
} arena;

static void *arena_alloc(arena *a, size_t n)
{
    const size_t al = _Alignof(max_align_t);
    if (n == 0)
        n = 1;
    if (n > SIZE_MAX / 2)
        return NULL;
    n = (n + al - 1) & ~(al - 1);
    chunk *c = a->head;
    if (c && c->cap - c->used >= n) {
        void *p = (char *)c->data + c->used;
        c->used += n;
        return p;
    }
    size_t cap = n > ARENA_CHUNK ? n : ARENA_CHUNK;
    chunk *nc = malloc(sizeof *nc + cap);
    if (!nc)
        return NULL;
    nc->used = n;
    nc->cap = cap;
    /* A big block goes behind the head, so the head's free room is not lost. */
    if (c && n > ARENA_CHUNK / 4) {
        nc->next = c->next;
        c->next = nc;
    } else {
        nc->next = c;
        a->head = nc;
    }
    return nc->data;
}

static char *arena_strndup(arena *a, const char *s, size_t n)
{
    char *d = arena_alloc(a, n + 1);
    if (d) {
        if (n)
            memcpy(d, s, n);
        d[n] = '\0';
    }
    return d;
}

static void arena_free(arena *a)
{
    for (chunk *c = a->head, *next; c; c = next) {
        next = c->next;
        free(c);
    }
    a->head = NULL;
}

static int nomem(void) { return pupa_fail(PUPA_ENOMEM, "out of memory"); }

/* ------------------------------------------------------------ languages */

const char *pupa_lang_name(int lang)
{
    switch (lang) {
    case PUPA_LANG_EN: return "en";
    case PUPA_LANG_KM: return "km";
    case PUPA_LANG_MIXED: return "mixed";
    default: return "unknown";
    }
}

/* Latin-1 Supplement and Latin Extended-A/B and Additional letters. */
static bool is_latin_cp(uint32_t c)
{
    return (c >= 0xC0 && c <= 0x24F && c != 0xD7 && c != 0xF7) || (c >= 0x1E00 && c <= 0x1EFF);
}

int pupa_lang_detect(const char *text, size_t len)
{
    if (!text)
        return PUPA_LANG_EN;
    const unsigned char *p = (const unsigned char *)text;
    bool km = false, latin = false;
    size_t i = 0;
    while (i < len && !(km && latin)) {
        if (latin) {
            /* Only Khmer is left to find, and it starts with E1. */
            const unsigned char *next = memchr(p + i, 0xE1, len - i);
            if (!next)
                break;
            i = (size_t)(next - p);
        }
        unsigned char c = p[i];
        if (c < 0x80) {
            if ((c | 0x20) >= 'a' && (c | 0x20) <= 'z')
                latin = true;
            i++;
            continue;
        }
        /* Khmer U+1780-U+17FF without decoding: E1 9E xx, E1 9F xx; a run
         * of them at once. */
        if (khmer_letter_at(p, i, len)) {
            km = true;
            i = khmer_run_end(p, i, len);
            continue;
        }
        size_t k = pupa_utf8_len(p + i, len - i);
        if (!k) {
            i++;
            continue;
        }
        uint32_t cp = pupa_utf8_decode(p + i, k);
        if (pupa_is_khmer_cp(cp))
            km = true;
        else if (is_latin_cp(cp))
            latin = true;
        i += k;
    }
    return km ? (latin ? PUPA_LANG_MIXED : PUPA_LANG_KM) : PUPA_LANG_EN;
}

/* ------------------------------------------------------------- manifest */

typedef struct mrow {
    const char *path;
    pupa_kv *kv;
    size_t nkv;
    size_t line, off;
} mrow;

struct pupa_manifest {
    char *path;
    arena a;
    mrow *rows;
    size_t nrows;
};

/* One CSV record's fields, NUL-separated in buf. */
typedef struct csv {
    const char *name, *b;
    size_t n, pos;
    pupa_buf buf;
    size_t *foff; /* field starts in buf */
    size_t nf, fcap;
} csv;

static int csv_field_end(const csv *c)
{
    return c->pos >= c->n || c->b[c->pos] == ',' || c->b[c->pos] == '\n' || c->b[c->pos] == '\r';
}

/* Parses the record at c->pos (RFC 4180, lone CR also ends a record). */
static int csv_record(csv *c)
{
    int rc;
    c->nf = 0;
    c->buf.len = 0;
    for (;;) {
        if ((rc = pupa_grow(&c->foff, &c->fcap, c->nf + 1, sizeof *c->foff)))
            return rc;
        size_t start = c->buf.len;
        if (c->pos < c->n && c->b[c->pos] == '"') {
            size_t open = c->pos++;
            for (;;) {
                if (c->pos >= c->n)
                    return fail_at(c->name, c->b, open, PUPA_EFORMAT, "unterminated quoted field");
                const char *q = memchr(c->b + c->pos, '"', c->n - c->pos);
                size_t upto = q ? (size_t)(q - c->b) : c->n;
                if ((rc = pupa_buf_add(&c->buf, c->b + c->pos, upto - c->pos)))
                    return rc;
                c->pos = upto;
                if (!q)
                    continue;
                if (c->pos + 1 < c->n && c->b[c->pos + 1] == '"') {
                    if ((rc = pupa_buf_addc(&c->buf, '"')))
                        return rc;
                    c->pos += 2;
                    continue;
                }
                c->pos++;
                break;
            }
            if (!csv_field_end(c))
                return fail_at(c->name, c->b, c->pos, PUPA_EFORMAT,
                               "unexpected text after a closing quote");
        } else {
            size_t q = c->pos;
            while (!(q >= c->n || c->b[q] == ',' || c->b[q] == '\n' || c->b[q] == '\r'))
                q++;
            if ((rc = pupa_buf_add(&c->buf, c->b + c->pos, q - c->pos)))
                return rc;
            c->pos = q;
        }
        if ((rc = pupa_buf_addc(&c->buf, '\0')))
            return rc;
        c->foff[c->nf++] = start;
        if (c->pos < c->n && c->b[c->pos] == ',') {
            c->pos++;
            continue;
        }
        if (c->pos < c->n) {
            if (c->b[c->pos] == '\r' && c->pos + 1 < c->n && c->b[c->pos + 1] == '\n')
                c->pos++;
            c->pos++;
        }
        return 0;
    }
}

/* Field i of the current record, trimmed. */
static const char *csv_get(const csv *c, size_t i, size_t *len)
{
    const char *s = c->buf.data + c->foff[i];
    size_t a = 0, e = strlen(s);
    trim(s, &a, &e);
    *len = e - a;
    return s + a;
}

static bool csv_blank(const csv *c)
{
    for (size_t i = 0; i < c->nf; i++) {
        size_t n;
        csv_get(c, i, &n);
        if (n)
            return false;
    }
    return true;
}

static int cmp_rows(const void *a, const void *b)
{
    const mrow *x = a, *y = b;
    int d = strcmp(x->path, y->path);
    return d ? d : (x->line > y->line) - (x->line < y->line);
}

static int manifest_parse(pupa_manifest *m, const char *b, size_t n)
{
    csv c = {.name = m->path, .b = b, .n = n, .pos = bom_len(b, n)};
    pupa_buf_init(&c.buf, PUPA_MAX_FILE_BYTES);
    char **cols = NULL;
    size_t ncols = 0, filecol = SIZE_MAX, rowcap = 0;
    int rc = 0;

    /* The header is the first record that is not blank. */
    while (c.pos < n) {
        size_t at = c.pos;
        if ((rc = csv_record(&c)))
            goto out;
        if (csv_blank(&c))
            continue;
        if (c.nf > READER_MAX_KEYS) {
            rc = fail_at(m->path, b, at, PUPA_ETOOBIG, "more than %d columns", READER_MAX_KEYS);
            goto out;
        }
        ncols = c.nf;
        if (!(cols = arena_alloc(&m->a, ncols * sizeof *cols))) {
            rc = nomem();
            goto out;
        }
        for (size_t i = 0; i < ncols; i++) {
            size_t len;
            const char *s = csv_get(&c, i, &len);
            if (!(cols[i] = arena_strndup(&m->a, s, len))) {
                rc = nomem();
                goto out;
            }
            for (char *p = cols[i]; *p; p++)
                *p = ascii_lower(*p);
            if (!len)
                continue;
            for (size_t j = 0; j < i; j++)
                if (strcmp(cols[j], cols[i]) == 0) {
                    rc = fail_at(m->path, b, at, PUPA_EFORMAT, "column '%.64s' given twice", cols[i]);
                    goto out;
                }
            if (strcmp(cols[i], "file") == 0 || strcmp(cols[i], "path") == 0) {
                if (filecol != SIZE_MAX) {
                    rc = fail_at(m->path, b, at, PUPA_EFORMAT, "both 'file' and 'path' columns");
                    goto out;
                }
                filecol = i;
            }
        }
        if (filecol == SIZE_MAX) {
            rc = fail_at(m->path, b, at, PUPA_EFORMAT, "no 'file' or 'path' column");
            goto out;
        }
        break;
    }

    while (c.pos < n) {
        size_t at = c.pos;
        if ((rc = csv_record(&c)))
            goto out;
        if (csv_blank(&c))
            continue;
        if (c.nf > ncols) {
            rc = fail_at(m->path, b, at, PUPA_EFORMAT, "row has %zu fields but the header has %zu",
                         c.nf, ncols);
            goto out;
        }
        size_t plen = 0;
        const char *p = filecol < c.nf ? csv_get(&c, filecol, &plen) : "";
        char *path = arena_strndup(&m->a, p, plen);
        pupa_kv *kv = arena_alloc(&m->a, ncols * sizeof *kv);
        if (!path || !kv || (rc = pupa_grow(&m->rows, &rowcap, m->nrows + 1, sizeof *m->rows))) {
            rc = rc ? rc : nomem();
            goto out;
        }
        for (char *q = path; *q; q++)
            if (*q == '\\')
                *q = '/';
        while (path[0] == '.' && path[1] == '/')
            path += 2;
        if (!path[0]) {
            rc = fail_at(m->path, b, at, PUPA_EFORMAT, "empty %s cell", cols[filecol]);
            goto out;
        }
        size_t nkv = 0;
        for (size_t i = 0; i < c.nf; i++) {
            size_t len;
            const char *v = csv_get(&c, i, &len);
            if (i == filecol || !cols[i][0] || !len)
                continue;
            kv[nkv].key = cols[i];
            if (!(kv[nkv].value = arena_strndup(&m->a, v, len))) {
                rc = nomem();
                goto out;
            }
            nkv++;
        }
        m->rows[m->nrows++] = (mrow){path, kv, nkv, line_of(b, at), at};
    }

    if (m->nrows)
        qsort(m->rows, m->nrows, sizeof *m->rows, cmp_rows);
    for (size_t i = 1; i < m->nrows; i++)
        if (strcmp(m->rows[i - 1].path, m->rows[i].path) == 0) {
            rc = fail_at(m->path, b, m->rows[i].off, PUPA_EFORMAT,
                         "second row for '%.200s' (first on line %zu)", m->rows[i].path,
                         m->rows[i - 1].line);
            goto out;
        }
out:
    pupa_buf_free(&c.buf);
    free(c.foff);
    return rc;
}

int pupa_manifest_load(pupa_manifest **out, const char *path)
{
    if (!out || !path)
        return pupa_fail(PUPA_EINVAL, "pupa_manifest_load: NULL argument");
    *out = NULL;
    pupa_manifest *m = calloc(1, sizeof *m);
    if (!m || !(m->path = pupa_strdup(path))) {
        free(m);
        return nomem();
    }
    char *b = NULL;
    size_t n = 0;
    int rc = read_file(path, path, &b, &n);
    if (!rc)
        rc = check_text(path, b, n);
    if (!rc)
        rc = manifest_parse(m, b, n);
    free(b);
    if (rc) {
        pupa_manifest_free(m);
        return rc;
    }
    *out = m;
    return 0;
}

static const mrow *manifest_find(const pupa_manifest *m, const char *relpath)
{
    if (!m || !relpath)
        return NULL;
    size_t lo = 0, hi = m->nrows;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        int d = strcmp(m->rows[mid].path, relpath);
        if (d == 0)
            return &m->rows[mid];
        if (d < 0)
            lo = mid + 1;
        else
            hi = mid;
    }
    return NULL;
}

const pupa_kv *pupa_manifest_row(const pupa_manifest *m, const char *relpath, size_t *nkv)
{
    const mrow *r = manifest_find(m, relpath);
    if (nkv)
        *nkv = r ? r->nkv : 0;
    return r ? r->kv : NULL;
}

void pupa_manifest_free(pupa_manifest *m)
{
    if (!m)
        return;
    arena_free(&m->a);
    free(m->rows);
    free(m->path);
    free(m);
}

/* -------------------------------------------------------------- reading */

struct pupa_file {
    char *bytes;
    size_t len;
    pupa_doc *docs;
    size_t ndocs, cap;
    arena a;
};

typedef struct label {
    const char *s;
    size_t n;
    int role;
} label;

/* A metadata pair with where it came from, for messages. */
typedef struct kvo {
    const char *key, *value;
    size_t off;        /* file offset of the key (header, JSON) */
    bool manifest;     /* from the manifest row */
} kvo;

typedef struct speaker {
    const char *s;
    size_t n;
} speaker;

/* Per-call state; the scratch arrays are reused by every document of a file. */
typedef struct reader {
    const char *rel;
    const char *b;
    size_t n;
    pupa_file *f;
    int code_interviewer;
    label labels[READER_MAX_LABELS];
    size_t nlabels;
    kvo *man; /* the manifest row, copied into f's arena, sorted by key */
    size_t nman;
    const char *man_path;
    size_t man_line;
    kvo *kv;
    size_t nkv, kvcap;
    pupa_segment *segs;
    size_t nsegs, segcap;
    uint32_t coded;
    speaker spk[READER_MAX_SPEAKERS];
    size_t nspk;
    pupa_buf sbuf; /* a decoded JSON string */
    pupa_buf tbuf; /* the decoded JSON text */
    uint64_t *map;
    size_t nmap, mapcap;
} reader;

static int add_labels(reader *r, const char *list, int role)
{
    const char *p = list;
    while (*p) {
        const char *e = strchr(p, ',');
        if (!e)
            e = p + strlen(p);
        size_t s = 0, t = (size_t)(e - p);
        trim(p, &s, &t);
        if (t > s && !memchr(p + s, ':', t - s)) {
            if (r->nlabels == READER_MAX_LABELS)
                return pupa_fail(PUPA_EINVAL, "%s:1: byte 0: more than %d speaker labels", r->rel,
                                 READER_MAX_LABELS);
            r->labels[r->nlabels++] = (label){p + s, t - s, role};
        }
        p = *e ? e + 1 : e;
    }
    return 0;
}

/* The role of the speaker label opening line [ls, le) of t, or -1.  *sp and
 * *spn give the label as written, *after the byte after its colon. */
static int match_label(const reader *r, const char *t, size_t ls, size_t le, size_t *sp,
                       size_t *spn, size_t *after)
{
    size_t i = ls;
    while (i < le && is_hspace(t[i]))
        i++;
    size_t best = 0;
    int role = -1;
    for (size_t k = 0; k < r->nlabels; k++) {
        const label *L = &r->labels[k];
        if (L->n > le - i || L->n <= best || !ascii_ieq(t + i, L->s, L->n))
            continue;
        size_t j = i + L->n;
        while (j < le && is_hspace(t[j]))
            j++;
        if (j < le && t[j] == ':') {
            best = L->n;
            role = L->role;
            *after = j + 1;
        }
    }
    *sp = i;
    *spn = best;
    return role;
}

static int intern_speaker(reader *r, const char *s, size_t n, const char **out)
{
    for (size_t i = 0; i < r->nspk; i++)
        if (r->spk[i].n == n && memcmp(r->spk[i].s, s, n) == 0) {
            *out = r->spk[i].s;
            return 0;
        }
    char *d = arena_strndup(&r->f->a, s, n);
    if (!d)
        return nomem();
    /* Past the cap a spelling is copied each time: bounded work per turn. */
    if (r->nspk < READER_MAX_SPEAKERS)
        r->spk[r->nspk++] = (speaker){d, n};
    *out = d;
    return 0;
}

/* Adds the text [s, e) of d->text as a segment, trimmed; empty text is no
 * segment. */
static int add_seg(reader *r, const pupa_doc *d, size_t s, size_t e, int role, const char *spk)
{
    trim(d->text, &s, &e);
    if (s == e)
        return 0;
    uint64_t fs = pupa_doc_file_offset(d, s), fe = pupa_doc_file_offset(d, e);
    if (e - s > PUPA_MAX_SEGMENT_BYTES)
        return fail_at(r->rel, r->b, (size_t)fs, PUPA_ETOOBIG,
                       "segment of %zu bytes is over the limit of %u", e - s,
                       PUPA_MAX_SEGMENT_BYTES);
    int rc = pupa_grow(&r->segs, &r->segcap, r->nsegs + 1, sizeof *r->segs);
    if (rc)
        return rc;
    bool coded = role != PUPA_ROLE_INTERVIEWER || r->code_interviewer;
    r->segs[r->nsegs++] = (pupa_segment){
        .number = coded ? ++r->coded : 0,
        .role = role,
        .lang = pupa_lang_detect(d->text + s, e - s),
        .speaker = spk,
        .text = d->text + s,
        .len = e - s,
        .start = fs,
        .end = fe,
    };
    return 0;
}

static bool blank_line(const char *t, size_t ls, size_t le)
{
    for (size_t i = ls; i < le; i++)
        if (!is_ws(t[i]))
            return false;
    return true;
}

/* Splits d->text[from, to) into turns, or into paragraphs when no line
 * starts with a label. */
static int split_body(reader *r, const pupa_doc *d, size_t from, size_t to)
{
    const char *t = d->text;
    size_t first = to, sp, spn, after;
    for (size_t ls = from; ls < to;) {
        size_t le = line_end(t, ls, to);
        if (match_label(r, t, ls, le, &sp, &spn, &after) >= 0) {
            first = ls;
            break;
        }
        ls = next_line(le, to);
    }
    int rc = 0;
    if (first < to) {
        /* Text before the first label is a preamble, not anyone's turn. */
        int role = -1;
        size_t start = 0;
        const char *spk = NULL;
        for (size_t ls = first; ls < to;) {
            size_t le = line_end(t, ls, to);
            int ro = match_label(r, t, ls, le, &sp, &spn, &after);
            if (ro >= 0) {
                if (role >= 0 && (rc = add_seg(r, d, start, ls, role, spk)))
                    return rc;
                if ((rc = intern_speaker(r, t + sp, spn, &spk)))
                    return rc;
                role = ro;
                start = after;
            }
            ls = next_line(le, to);
        }
        if (role >= 0)
            rc = add_seg(r, d, start, to, role, spk);
        return rc;
    }
    size_t ps = SIZE_MAX, pe = 0;
    for (size_t ls = from; ls < to;) {
        size_t le = line_end(t, ls, to);
        if (blank_line(t, ls, le)) {
            if (ps != SIZE_MAX && (rc = add_seg(r, d, ps, pe, PUPA_ROLE_PARAGRAPH, NULL)))
                return rc;
            ps = SIZE_MAX;
        } else {
            if (ps == SIZE_MAX)
                ps = ls;
            pe = le;
        }
        ls = next_line(le, to);
    }
    if (ps != SIZE_MAX)
        rc = add_seg(r, d, ps, pe, PUPA_ROLE_PARAGRAPH, NULL);
    return rc;
}

/* Records key/value (trimmed; key lowercased) found at file offset off. */
static int add_kv(reader *r, const char *k, size_t kn, const char *v, size_t vn, size_t off)
{
    size_t ks = 0, vs = 0;
    trim(k, &ks, &kn);
    trim(v, &vs, &vn);
    if (vs == vn || ks == kn)
        return 0;
    if (r->nkv == READER_MAX_KEYS)
        return fail_at(r->rel, r->b, off, PUPA_ETOOBIG, "more than %d metadata keys",
                       READER_MAX_KEYS);
    int rc = pupa_grow(&r->kv, &r->kvcap, r->nkv + 1, sizeof *r->kv);
    if (rc)
        return rc;
    char *key = arena_strndup(&r->f->a, k + ks, kn - ks);
    char *val = arena_strndup(&r->f->a, v + vs, vn - vs);
    if (!key || !val)
        return nomem();
    for (char *p = key; *p; p++)
        *p = ascii_lower(*p);
    r->kv[r->nkv++] = (kvo){key, val, off, false};
    return 0;
}

static int cmp_kvo(const void *a, const void *b)
{
    const kvo *x = a, *y = b;
    int d = strcmp(x->key, y->key);
    return d ? d : (x->off > y->off) - (x->off < y->off);
}

static const kvo *find_kvo(const kvo *v, size_t n, const char *key)
{
    for (size_t i = 0; i < n; i++)
        if (strcmp(v[i].key, key) == 0)
            return &v[i];
    return NULL;
}

static bool parse_year(const char *s, int *year)
{
    int v = 0;
    size_t n = 0;
    for (; *s; s++, n++) {
        if (*s < '0' || *s > '9' || n >= 4)
            return false;
        v = v * 10 + (*s - '0');
    }
    if (n == 0 || v < 1900 || v > 2100)
        return false;
    *year = v;
    return true;
}

/* Merges r->kv over the manifest row into d->meta and checks participant and
 * year; pos is the file offset that names the document in messages. */
static int finish_meta(reader *r, pupa_doc *d, size_t pos)
{
    if (r->nkv)
        qsort(r->kv, r->nkv, sizeof *r->kv, cmp_kvo);
    for (size_t i = 1; i < r->nkv; i++)
        if (strcmp(r->kv[i - 1].key, r->kv[i].key) == 0)
            return fail_at(r->rel, r->b, r->kv[i].off, PUPA_EFORMAT, "key '%.64s' given twice",
                           r->kv[i].key);
    const kvo *part = find_kvo(r->kv, r->nkv, "participant");
    if (!part)
        part = find_kvo(r->man, r->nman, "participant");
    if (!part)
        return fail_at(r->rel, r->b, pos, PUPA_EFORMAT, "missing participant");
    const kvo *yr = find_kvo(r->kv, r->nkv, "year");
    if (!yr)
        yr = find_kvo(r->man, r->nman, "year");
    if (!yr)
        return fail_at(r->rel, r->b, pos, PUPA_EFORMAT, "missing year");
    if (!parse_year(yr->value, &d->year)) {
        if (yr->manifest)
            return fail_at(r->rel, r->b, pos, PUPA_EFORMAT,
                           "year '%.40s' (%s line %zu) is not an integer 1900..2100", yr->value,
                           r->man_path, r->man_line);
        return fail_at(r->rel, r->b, yr->off, PUPA_EFORMAT,
                       "year '%.40s' is not an integer 1900..2100", yr->value);
    }
    d->participant = part->value;

    /* Both lists are sorted by key: one merge, header (or JSON) first. */
    pupa_kv *kv = arena_alloc(&r->f->a, (r->nkv + r->nman) * sizeof *kv);
    if (!kv)
        return nomem();
    size_t i = 0, j = 0, n = 0;
    while (i < r->nkv || j < r->nman) {
        int c = i == r->nkv ? 1 : j == r->nman ? -1 : strcmp(r->kv[i].key, r->man[j].key);
        if (c <= 0) {
            kv[n++] = (pupa_kv){r->kv[i].key, r->kv[i].value};
            i++;
            j += c == 0;
        } else {
            kv[n++] = (pupa_kv){r->man[j].key, r->man[j].value};
            j++;
        }
    }
    d->meta = kv;
    d->nmeta = n;
    return 0;
}

/* Moves the finished document and its segments into f. */
static int push_doc(reader *r, pupa_doc *d)
{
    pupa_segment *segs = NULL;
    if (r->nsegs) {
        if (!(segs = arena_alloc(&r->f->a, r->nsegs * sizeof *segs)))
            return nomem();
        memcpy(segs, r->segs, r->nsegs * sizeof *segs);
    }
    d->segs = segs;
    d->nsegs = r->nsegs;
    int rc = pupa_grow(&r->f->docs, &r->f->cap, r->f->ndocs + 1, sizeof *r->f->docs);
    if (rc)
        return rc;
    r->f->docs[r->f->ndocs++] = *d;
    r->nsegs = 0;
    r->coded = 0;
    r->nkv = 0;
    return 0;
}

static bool is_fence(const char *t, size_t ls, size_t le)
{
    if (le - ls < 3 || memcmp(t + ls, "---", 3) != 0)
        return false;
    for (size_t i = ls + 3; i < le; i++)
        if (!is_hspace(t[i]) && t[i] != '\r')
            return false;
    return true;
}

/* Reads the optional `---` header starting at from; *body is where the
 * transcript proper begins. */
static int parse_header(reader *r, size_t from, size_t *body)
{
    const char *b = r->b;
    size_t n = r->n, le = line_end(b, from, n);
    *body = from;
    if (from >= n || !is_fence(b, from, le))
        return 0;
    for (size_t ls = next_line(le, n);; ls = next_line(le, n)) {
        if (ls >= n)
            return fail_at(r->rel, b, from, PUPA_EFORMAT, "unterminated header");
        le = line_end(b, ls, n);
        if (is_fence(b, ls, le)) {
            *body = next_line(le, n);
            return 0;
        }
        size_t s = ls, e = le;
        trim(b, &s, &e);
        if (s == e || b[s] == '#')
            continue;
        const char *colon = memchr(b + s, ':', e - s);
        if (!colon)
            return fail_at(r->rel, b, s, PUPA_EFORMAT, "expected 'key: value' in the header");
        size_t c = (size_t)(colon - b), ks = s, ke = c, vs = c + 1, ve = e;
        trim(b, &ks, &ke);
        trim(b, &vs, &ve);
        if (ks == ke)
            return fail_at(r->rel, b, s, PUPA_EFORMAT, "empty key in the header");
        if (ve - vs >= 2 && (b[vs] == '"' || b[vs] == '\'') && b[ve - 1] == b[vs]) {
            vs++;
            ve--;
        }
        int rc = add_kv(r, b + ks, ke - ks, b + vs, ve - vs, ks);
        if (rc)
            return rc;
    }
}

static int read_txt(reader *r, size_t from)
{
    size_t body;
    int rc = parse_header(r, from, &body);
    if (rc)
        return rc;
    pupa_doc d = {.text = r->b, .text_len = r->n};
    if (!(d.id = arena_strndup(&r->f->a, r->rel, strlen(r->rel))))
        return nomem();
    if ((rc = finish_meta(r, &d, 0)) || (rc = split_body(r, &d, body, r->n)))
        return rc;
    return push_doc(r, &d);
}

/* ---------------------------------------------------------- JSON Lines */

static void json_ws(const char *b, size_t *p, size_t end)
{
    while (*p < end && (b[*p] == ' ' || b[*p] == '\t' || b[*p] == '\r'))
        (*p)++;
}

static int json_fail(const reader *r, size_t off, const char *what)
{
    return fail_at(r->rel, r->b, off, PUPA_EFORMAT, "%s", what);
}

static int hex4(const char *s, uint32_t *v)
{
    uint32_t x = 0;
    for (int i = 0; i < 4; i++) {
        char c = s[i];
        x <<= 4;
        if (c >= '0' && c <= '9')
            x |= (uint32_t)(c - '0');
        else if ((c | 0x20) >= 'a' && (c | 0x20) <= 'f')
            x |= (uint32_t)((c | 0x20) - 'a' + 10);
        else
            return -1;
    }
    *v = x;
    return 0;
}

static int map_push(reader *r, uint64_t off, size_t count)
{
    int rc = pupa_grow(&r->map, &r->mapcap, r->nmap + count, sizeof *r->map);
    if (rc)
        return rc;
    for (size_t i = 0; i < count; i++)
        r->map[r->nmap++] = off;
    return 0;
}

/* Decodes the JSON string at *p (its opening quote) into out; with map,
 * records for each decoded byte the file offset where its source starts,
 * then the closing quote's offset.  *escaped tells whether any escape was
 * seen (without one the decoded text equals the file bytes). */
static int json_string(reader *r, size_t *p, size_t end, pupa_buf *out, bool map, bool *escaped)
{
    const char *b = r->b;
    size_t i = *p + 1;
    int rc;
    out->len = 0;
    if ((rc = pupa_buf_reserve(out, 0)))
        return rc;
    out->data[0] = '\0';
    if (map)
        r->nmap = 0;
    *escaped = false;
    for (;;) {
        if (i >= end)
            return json_fail(r, *p, "unterminated string");
        unsigned char c = (unsigned char)b[i];
        if (c == '"')
            break;
        if (c < 0x20)
            return json_fail(r, i, "control character in a string");
        if (c != '\\') {
            size_t q = i;
            while (q < end && b[q] != '"' && b[q] != '\\' && (unsigned char)b[q] >= 0x20)
                q++;
            if ((rc = pupa_buf_add(out, b + i, q - i)))
                return rc;
            if (map) {
                if ((rc = pupa_grow(&r->map, &r->mapcap, r->nmap + (q - i), sizeof *r->map)))
                    return rc;
                for (size_t k = i; k < q; k++)
                    r->map[r->nmap++] = k;
            }
            i = q;
            continue;
        }
        *escaped = true;
        size_t esc = i;
        if (i + 1 >= end)
            return json_fail(r, *p, "unterminated string");
        char u[4];
        size_t un = 1;
        switch (b[i + 1]) {
        case '"': u[0] = '"'; break;
        case '\\': u[0] = '\\'; break;
        case '/': u[0] = '/'; break;
        case 'b': u[0] = '\b'; break;
        case 'f': u[0] = '\f'; break;
        case 'n': u[0] = '\n'; break;
        case 'r': u[0] = '\r'; break;
        case 't': u[0] = '\t'; break;
        case 'u': {
            uint32_t cp, lo;
            if (end - i < 6 || hex4(b + i + 2, &cp))
                return json_fail(r, esc, "bad \\u escape");
            i += 4;
            if (cp >= 0xDC00 && cp <= 0xDFFF)
                return json_fail(r, esc, "unpaired surrogate in \\u escape");
            if (cp >= 0xD800 && cp <= 0xDBFF) {
                if (end - i < 8 || b[i + 2] != '\\' || b[i + 3] != 'u' || hex4(b + i + 4, &lo) ||
                    lo < 0xDC00 || lo > 0xDFFF)
                    return json_fail(r, esc, "unpaired surrogate in \\u escape");
                cp = 0x10000 + ((cp - 0xD800) << 10) + (lo - 0xDC00);
                i += 6;
            }
            if (cp == 0)
                return json_fail(r, esc, "\\u0000 is not allowed");
            if (cp < 0x80) {
                u[0] = (char)cp;
            } else if (cp < 0x800) {
                u[0] = (char)(0xC0 | (cp >> 6));
                u[1] = (char)(0x80 | (cp & 0x3F));
                un = 2;
            } else if (cp < 0x10000) {
                u[0] = (char)(0xE0 | (cp >> 12));
                u[1] = (char)(0x80 | ((cp >> 6) & 0x3F));
                u[2] = (char)(0x80 | (cp & 0x3F));
                un = 3;
            } else {
                u[0] = (char)(0xF0 | (cp >> 18));
                u[1] = (char)(0x80 | ((cp >> 12) & 0x3F));
                u[2] = (char)(0x80 | ((cp >> 6) & 0x3F));
                u[3] = (char)(0x80 | (cp & 0x3F));
                un = 4;
            }
            break;
        }
        default:
            return json_fail(r, esc, "bad escape in a string");
        }
        i += 2;
        if ((rc = pupa_buf_add(out, u, un)) || (map && (rc = map_push(r, esc, un))))
            return rc;
    }
    if (map && (rc = map_push(r, i, 1)))
        return rc;
    *p = i + 1;
    return 0;
}

/* Checks the number at *p and moves past it. */
static int json_number(const reader *r, size_t *p, size_t end)
{
    const char *b = r->b;
    size_t i = *p;
    if (i < end && b[i] == '-')
        i++;
    if (i < end && b[i] == '0')
        i++;
    else if (i < end && b[i] >= '1' && b[i] <= '9')
        while (i < end && b[i] >= '0' && b[i] <= '9')
            i++;
    else
        return json_fail(r, *p, "bad number");
    if (i < end && b[i] == '.') {
        if (++i >= end || b[i] < '0' || b[i] > '9')
            return json_fail(r, *p, "bad number");
        while (i < end && b[i] >= '0' && b[i] <= '9')
            i++;
    }
    if (i < end && (b[i] == 'e' || b[i] == 'E')) {
        i++;
        if (i < end && (b[i] == '+' || b[i] == '-'))
            i++;
        if (i >= end || b[i] < '0' || b[i] > '9')
            return json_fail(r, *p, "bad number");
        while (i < end && b[i] >= '0' && b[i] <= '9')
            i++;
    }
    *p = i;
    return 0;
}

static bool json_literal(const char *b, size_t *p, size_t end, const char *word)
{
    size_t n = strlen(word);
    if (end - *p < n || memcmp(b + *p, word, n) != 0)
        return false;
    *p += n;
    return true;
}

/* Checks and skips any value (used for nested objects and arrays). */
static int json_skip(reader *r, size_t *p, size_t end, int depth)
{
    const char *b = r->b;
    bool esc;
    if (*p >= end)
        return json_fail(r, *p, "expected a value");
    char c = b[*p];
    if (c == '"')
        return json_string(r, p, end, &r->sbuf, false, &esc);
    if (c == '-' || (c >= '0' && c <= '9'))
        return json_number(r, p, end);
    if (json_literal(b, p, end, "true") || json_literal(b, p, end, "false") ||
        json_literal(b, p, end, "null"))
        return 0;
    if (c != '{' && c != '[')
        return json_fail(r, *p, "expected a value");
    if (depth >= READER_MAX_DEPTH)
        return json_fail(r, *p, "nested too deep");
    char close = c == '{' ? '}' : ']';
    (*p)++;
    json_ws(b, p, end);
    if (*p < end && b[*p] == close) {
        (*p)++;
        return 0;
    }
    for (;;) {
        int rc;
        if (c == '{') {
            if (*p >= end || b[*p] != '"')
                return json_fail(r, *p, "expected a string key");
            if ((rc = json_string(r, p, end, &r->sbuf, false, &esc)))
                return rc;
            json_ws(b, p, end);
            if (*p >= end || b[*p] != ':')
                return json_fail(r, *p, "expected ':'");
            (*p)++;
            json_ws(b, p, end);
        }
        if ((rc = json_skip(r, p, end, depth + 1)))
            return rc;
        json_ws(b, p, end);
        if (*p < end && b[*p] == ',') {
            (*p)++;
            json_ws(b, p, end);
            continue;
        }
        if (*p < end && b[*p] == close) {
            (*p)++;
            return 0;
        }
        return json_fail(r, *p, c == '{' ? "expected ',' or '}'" : "expected ',' or ']'");
    }
}

/* Parses the object on line [ls, le) (line number line) into a document. */
static int json_line(reader *r, size_t ls, size_t le, size_t line)
{
    const char *b = r->b;
    size_t p = ls;
    bool have_text = false, text_escaped = false, esc;
    size_t text_at = 0;
    int rc;
    r->nkv = 0;
    json_ws(b, &p, le);
    if (p >= le || b[p] != '{')
        return json_fail(r, p, "expected a JSON object");
    p++;
    json_ws(b, &p, le);
    if (p < le && b[p] == '}') {
        p++;
    } else {
        for (;;) {
            if (p >= le || b[p] != '"')
                return json_fail(r, p, "expected a string key");
            size_t key_at = p;
            if ((rc = json_string(r, &p, le, &r->sbuf, false, &esc)))
                return rc;
            size_t ks = 0, ke = r->sbuf.len;
            trim(r->sbuf.data, &ks, &ke);
            bool is_text = ke - ks == 4 && ascii_ieq(r->sbuf.data + ks, "text", 4);
            char *kcopy = NULL;
            if (!is_text && !(kcopy = arena_strndup(&r->f->a, r->sbuf.data + ks, ke - ks)))
                return nomem();
            json_ws(b, &p, le);
            if (p >= le || b[p] != ':')
                return json_fail(r, p, "expected ':'");
            p++;
            json_ws(b, &p, le);
            size_t v = p;
            if (is_text) {
                if (have_text)
                    return json_fail(r, key_at, "key 'text' given twice");
                if (p >= le || b[p] != '"')
                    return json_fail(r, p, "'text' is not a string");
                if ((rc = json_string(r, &p, le, &r->tbuf, true, &text_escaped)))
                    return rc;
                have_text = true;
                text_at = v + 1;
            } else if (p < le && b[p] == '"') {
                if ((rc = json_string(r, &p, le, &r->sbuf, false, &esc)) ||
                    (rc = add_kv(r, kcopy, strlen(kcopy), r->sbuf.data, r->sbuf.len, key_at)))
                    return rc;
            } else if (p < le && (b[p] == '-' || (b[p] >= '0' && b[p] <= '9'))) {
                if ((rc = json_number(r, &p, le)) ||
                    (rc = add_kv(r, kcopy, strlen(kcopy), b + v, p - v, key_at)))
                    return rc;
            } else if (json_literal(b, &p, le, "true") || json_literal(b, &p, le, "false")) {
                if ((rc = add_kv(r, kcopy, strlen(kcopy), b + v, p - v, key_at)))
                    return rc;
            } else if (!json_literal(b, &p, le, "null")) {
                if ((rc = json_skip(r, &p, le, 1)))
                    return rc;
            }
            json_ws(b, &p, le);
            if (p < le && b[p] == ',') {
                p++;
                json_ws(b, &p, le);
                continue;
            }
            if (p < le && b[p] == '}') {
                p++;
                break;
            }
            return json_fail(r, p, "expected ',' or '}'");
        }
    }
    json_ws(b, &p, le);
    if (p < le)
        return json_fail(r, p, "unexpected text after the JSON object");
    if (!have_text)
        return json_fail(r, ls, "missing text");

    pupa_doc d = {0};
    char id[32];
    snprintf(id, sizeof id, "#%zu", line);
    size_t rn = strlen(r->rel), in = strlen(id);
    char *did = arena_alloc(&r->f->a, rn + in + 1);
    if (!did)
        return nomem();
    memcpy(did, r->rel, rn);
    memcpy(did + rn, id, in + 1);
    d.id = did;
    d.text_len = r->tbuf.len;
    d.text_base = text_at;
    if (!text_escaped) {
        /* The decoded text is the file's bytes: no copy and no map. */
        d.text = b + text_at;
    } else {
        char *t = arena_strndup(&r->f->a, r->tbuf.data, r->tbuf.len);
        uint64_t *map = arena_alloc(&r->f->a, r->nmap * sizeof *map);
        if (!t || !map)
            return nomem();
        memcpy(map, r->map, r->nmap * sizeof *map);
        d.text = t;
        d.offset_map = map;
    }
    if ((rc = finish_meta(r, &d, ls)) || (rc = split_body(r, &d, 0, d.text_len)))
        return rc;
    return push_doc(r, &d);
}

static int read_jsonl(reader *r, size_t from)
{
    size_t line = 1;
    for (size_t ls = from; ls < r->n; line++) {
        size_t le = line_end(r->b, ls, r->n);
        if (!blank_line(r->b, ls, le)) {
            int rc = json_line(r, ls, le, line);
            if (rc)
                return rc;
        }
        ls = next_line(le, r->n);
    }
    return 0;
}

/* Copies the manifest row for r->rel into f's arena, sorted by key. */
static int copy_manifest_row(reader *r, const pupa_manifest *m)
{
    const mrow *row = manifest_find(m, r->rel);
    if (!row || !row->nkv)
        return 0;
    kvo *v = arena_alloc(&r->f->a, row->nkv * sizeof *v);
    if (!v)
        return nomem();
    for (size_t i = 0; i < row->nkv; i++) {
        v[i].key = arena_strndup(&r->f->a, row->kv[i].key, strlen(row->kv[i].key));
        v[i].value = arena_strndup(&r->f->a, row->kv[i].value, strlen(row->kv[i].value));
        v[i].off = 0;
        v[i].manifest = true;
        if (!v[i].key || !v[i].value)
            return nomem();
    }
    qsort(v, row->nkv, sizeof *v, cmp_kvo);
    r->man = v;
    r->nman = row->nkv;
    r->man_path = m->path;
    r->man_line = row->line;
    return 0;
}

int pupa_file_read(pupa_file **out, const char *path, const char *relpath,
                   const pupa_manifest *manifest, const pupa_read_opts *opts)
{
    if (!out || !path)
        return pupa_fail(PUPA_EINVAL, "pupa_file_read: NULL argument");
    *out = NULL;
    pupa_file *f = calloc(1, sizeof *f);
    if (!f)
        return nomem();
    reader r = {.rel = relpath ? relpath : path, .f = f};
    pupa_buf_init(&r.sbuf, PUPA_MAX_FILE_BYTES);
    pupa_buf_init(&r.tbuf, PUPA_MAX_FILE_BYTES);
    r.code_interviewer = opts && opts->code_interviewer;
    const char *plabels = opts && opts->participant_labels ? opts->participant_labels
                                                           : "P,R,Participant,Respondent,Interviewee";
    const char *ilabels = opts && opts->interviewer_labels ? opts->interviewer_labels
                                                           : "I,Q,Interviewer";
    int rc = read_file(path, r.rel, &f->bytes, &f->len);
    if (!rc) {
        r.b = f->bytes;
        r.n = f->len;
        rc = check_text(r.rel, r.b, r.n);
    }
    if (!rc)
        rc = add_labels(&r, plabels, PUPA_ROLE_PARTICIPANT);
    if (!rc)
        rc = add_labels(&r, ilabels, PUPA_ROLE_INTERVIEWER);
    if (!rc)
        rc = copy_manifest_row(&r, manifest);
    if (!rc)
        rc = ends_with_ci(r.rel, ".jsonl") ? read_jsonl(&r, bom_len(r.b, r.n))
                                          : read_txt(&r, bom_len(r.b, r.n));
    free(r.kv);
    free(r.segs);
    free(r.map);
    pupa_buf_free(&r.sbuf);
    pupa_buf_free(&r.tbuf);
    if (rc) {
        pupa_file_free(f);
        return rc;
    }
    *out = f;
    return 0;
}

size_t pupa_file_ndocs(const pupa_file *f) { return f ? f->ndocs : 0; }

const pupa_doc *pupa_file_doc(const pupa_file *f, size_t i)
{
    return f && i < f->ndocs ? &f->docs[i] : NULL;
}

void pupa_file_free(pupa_file *f)
{
    if (!f)
        return;
    arena_free(&f->a);
    free(f->docs);
    free(f->bytes);
    free(f);
}

uint64_t pupa_doc_file_offset(const pupa_doc *doc, size_t text_offset)
{
    if (!doc)
        return 0;
    if (text_offset > doc->text_len)
        text_offset = doc->text_len;
    return doc->offset_map ? doc->offset_map[text_offset] : doc->text_base + text_offset;
}

const char *pupa_doc_meta(const pupa_doc *doc, const char *key)
{
    if (!doc || !key)
        return NULL;
    for (size_t i = 0; i < doc->nmeta; i++)
        if (strlen(doc->meta[i].key) == strlen(key) &&
            ascii_ieq(doc->meta[i].key, key, strlen(key)))
            return doc->meta[i].value;
    return NULL;
}

/* -------------------------------------------------------------- listing */

typedef struct listed {
    char *path;
    pupa_file_stat st;
} listed;
typedef struct plist {
    listed *v;
    size_t n, cap;
} plist;

static bool is_transcript(const char *name)
{
    return ends_with_ci(name, ".txt") || ends_with_ci(name, ".jsonl");
}

/* Stats a directory's transcripts: out->v[first..] are its entries, each
 * path's name starting at name_at.  A link is followed (links to files
 * count); anything else is not (lstat).  Many files are stat-ed on helper
 * threads as well, no more in all than a build's -j: a stat is a system
 * call, and on a 16-core machine under a sandboxing kernel a full build of
 * 96 MB (2,906 files) listed for 8.4 ms of its 134, and an unchanged
 * re-index was all listing. */
typedef struct stat_batch {
    int dfd;
    listed *v;
    const unsigned char *link; /* per entry: a symbolic link */
    int *err;                  /* per entry: errno, or -1 when not a file */
    size_t n, name_at;
    size_t next;               /* the next chunk to claim (atomic) */
} stat_batch;

#define STAT_CHUNK 64
#define STAT_PER_THREAD 256 /* files a thread is worth starting for */
#define STAT_THREADS 8

static void stat_run(void *arg)
{
    stat_batch *b = arg;
    for (;;) {
        size_t i = __atomic_fetch_add(&b->next, STAT_CHUNK, __ATOMIC_RELAXED);
        if (i >= b->n)
            return;
        size_t end = i + STAT_CHUNK < b->n ? i + STAT_CHUNK : b->n;
        for (; i < end; i++) {
            struct stat st;
            const char *name = b->v[i].path + b->name_at;
            int e = fstatat(b->dfd, name, &st, b->link[i] ? 0 : AT_SYMLINK_NOFOLLOW) ? errno : 0;
            if (e && b->link[i])
                e = -1; /* a broken link: not a file */
            else if (!e && !S_ISREG(st.st_mode))
                e = -1;
            b->err[i] = e;
            if (!e)
                b->v[i].st = (pupa_file_stat){(uint64_t)st.st_size, pupa_mtime_ns(&st)};
        }
    }
}

static int stat_files(int dfd, const char *dirpath, plist *out, size_t first,
                      const unsigned char *link, size_t name_at, size_t threads)
{
    size_t n = out->n - first;
    int *err = malloc((n ? n : 1) * sizeof *err);
    if (!err)
        return nomem();
    stat_batch b = {dfd, out->v + first, link, err, n, name_at, 0};
    pupa_helper *helpers[STAT_THREADS - 1];
    size_t nhelpers = 0;
    size_t want = n / STAT_PER_THREAD < threads ? n / STAT_PER_THREAD : threads;
    for (; nhelpers + 1 < want && nhelpers < STAT_THREADS - 1; nhelpers++)
        if (!(helpers[nhelpers] = pupa_helper_start(stat_run, &b)))
            break;
    stat_run(&b);
    for (size_t i = 0; i < nhelpers; i++)
        pupa_helper_join(helpers[i]);
    /* The first failure in the directory's order, whichever thread met
     * it; entries that are not files go. */
    int rc = 0;
    size_t kept = first;
    for (size_t i = 0; i < n; i++) {
        listed *e = &out->v[first + i];
        if (!rc && err[i] > 0)
            rc = pupa_fail(PUPA_EIO, "%s/%s: %s", dirpath, e->path + name_at, strerror(err[i]));
        if (err[i])
            free(e->path);
        else
            out->v[kept++] = *e;
    }
    out->n = kept;
    free(err);
    return rc;
}

/* Appends the transcripts under root/rel to out; rel is '/'-separated.  A
 * directory's names are read first, then its transcripts stat-ed, then its
 * subdirectories walked. */
static int walk(const char *root, pupa_buf *rel, plist *out, int depth, size_t threads)
{
    pupa_buf full;
    pupa_buf_init(&full, 1u << 16);
    int rc = pupa_buf_printf(&full, "%s%s%s", root, rel->len ? "/" : "", rel->len ? rel->data : "");
    if (rc)
        return rc;
    DIR *dir = opendir(full.data);
    if (!dir) {
        int e = errno;
        rc = pupa_fail(depth == 0 && e == ENOENT ? PUPA_ENOTFOUND : PUPA_EIO, "%s: %s", full.data,
                       strerror(e));
        pupa_buf_free(&full);
        return rc;
    }
    size_t first = out->n, save = rel->len, name_at = save ? save + 1 : 0;
    unsigned char *link = NULL;
    size_t link_cap = 0;
    char **subdirs = NULL;
    size_t nsub = 0, sub_cap = 0;
    for (;;) {
        errno = 0;
        struct dirent *de = readdir(dir);
        if (!de) {
            if (errno)
                rc = pupa_fail(PUPA_EIO, "%s: %s", full.data, strerror(errno));
            break;
        }
        const char *nm = de->d_name;
        if (nm[0] == '.')
            continue;
        unsigned char type = de->d_type;
        if (type == DT_UNKNOWN) { /* a file system that does not say */
            struct stat st;
            if (fstatat(dirfd(dir), nm, &st, AT_SYMLINK_NOFOLLOW) != 0) {
                rc = pupa_fail(PUPA_EIO, "%s/%s: %s", full.data, nm, strerror(errno));
                break;
            }
            type = S_ISDIR(st.st_mode) ? DT_DIR : S_ISLNK(st.st_mode) ? DT_LNK
                                                : S_ISREG(st.st_mode) ? DT_REG : DT_UNKNOWN;
        }
        if (type == DT_DIR) {
            char *d = pupa_strdup(nm);
            if (!d || (rc = pupa_grow(&subdirs, &sub_cap, nsub + 1, sizeof *subdirs))) {
                free(d);
                rc = rc ? rc : nomem();
                break;
            }
            subdirs[nsub++] = d;
            continue;
        }
        /* Links to files count; links to directories are never followed. */
        if ((type != DT_REG && type != DT_LNK) || !is_transcript(nm))
            continue;
        if ((rc = pupa_buf_printf(rel, "%s%s", save ? "/" : "", nm)))
            break;
        char *path = pupa_strdup(rel->data);
        rel->len = save;
        rel->data[save] = '\0';
        size_t i = out->n - first;
        if (!path || (rc = pupa_grow(&out->v, &out->cap, out->n + 1, sizeof *out->v)) ||
            (rc = pupa_grow(&link, &link_cap, i + 1, 1))) {
            free(path);
            rc = rc ? rc : nomem();
            break;
        }
        out->v[out->n++] = (listed){path, {0, 0}};
        link[i] = type == DT_LNK;
    }
    if (!rc && out->n > first)
        rc = stat_files(dirfd(dir), full.data, out, first, link, name_at, threads);
    closedir(dir);
    free(link);
    for (size_t i = 0; i < nsub; i++) {
        if (!rc && depth + 1 >= READER_MAX_DIRS)
            rc = pupa_fail(PUPA_ETOOBIG, "%s/%s: more than %d directories deep", full.data,
                           subdirs[i], READER_MAX_DIRS);
        if (!rc && !(rc = pupa_buf_printf(rel, "%s%s", save ? "/" : "", subdirs[i])))
            rc = walk(root, rel, out, depth + 1, threads);
        rel->len = save;
        rel->data[save] = '\0';
        free(subdirs[i]);
    }
    free(subdirs);
    pupa_buf_free(&full);
    return rc;
}

static int cmp_listed(const void *a, const void *b)
{
    return strcmp(((const listed *)a)->path, ((const listed *)b)->path);
}

int pupa_corpus_list(const char *root, char ***paths, size_t *npaths)
{
    return pupa_corpus_list_stat(root, paths, NULL, npaths, 0);
}

int pupa_corpus_list_stat(const char *root, char ***paths, pupa_file_stat **stats,
                          size_t *npaths, int threads)
{
    if (!root || !paths || !npaths)
        return pupa_fail(PUPA_EINVAL, "pupa_corpus_list: NULL argument");
    *paths = NULL;
    *npaths = 0;
    if (stats)
        *stats = NULL;
    plist out = {0};
    pupa_buf rel;
    pupa_buf_init(&rel, 1u << 16);
    int rc = pupa_buf_reserve(&rel, 0);
    if (!rc) {
        rel.data[0] = '\0';
        cpu_set_t cpus;
        if (threads <= 0) /* the cores this process may run on */
            threads = sched_getaffinity(0, sizeof cpus, &cpus) == 0 ? CPU_COUNT(&cpus) : 1;
        rc = walk(root, &rel, &out, 0, (size_t)threads);
    }
    pupa_buf_free(&rel);
    char **v = rc ? NULL : malloc((out.n ? out.n : 1) * sizeof *v);
    pupa_file_stat *fs = rc || !stats ? NULL : malloc((out.n ? out.n : 1) * sizeof *fs);
    if (!rc && (!v || (stats && !fs)))
        rc = nomem();
    if (rc) {
        for (size_t i = 0; i < out.n; i++)
            free(out.v[i].path);
        free(out.v);
        free(v);
        free(fs);
        return rc;
    }
    if (out.n)
        qsort(out.v, out.n, sizeof *out.v, cmp_listed);
    for (size_t i = 0; i < out.n; i++) {
        v[i] = out.v[i].path;
        if (fs)
            fs[i] = out.v[i].st;
    }
    free(out.v);
    *paths = v;
    *npaths = out.n;
    if (stats)
        *stats = fs;
    return 0;
}

void pupa_paths_free(char **paths, size_t npaths)
{
    if (!paths)
        return;
    for (size_t i = 0; i < npaths; i++)
        free(paths[i]);
    free(paths);
}
