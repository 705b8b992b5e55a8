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
#include <string.h>
#include <sys/stat.h>

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
int pupa_buf_add_grow(pupa_buf *b, const void *p, size_t n);
/* Appends n bytes.  Inline when they fit: records and tokens are built
 * from many small pieces (a u32 at a time), and the call cost more than
 * the copy. */
static inline int pupa_buf_add(pupa_buf *b, const void *p, size_t n)
{
    if (n < b->cap - b->len && n <= b->max - b->len) {
        if (n)
            memcpy(b->data + b->len, p, n);
        b->len += n;
        b->data[b->len] = '\0';
        return 0;
    }
    return pupa_buf_add_grow(b, p, n);
}
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

/* A helper thread (threads.c): runs run(arg), begun on another of the
 * caller's cores when it has one; NULL when no thread could start (the
 * caller then does the work itself).  Joining waits for run and frees h. */
typedef struct pupa_helper pupa_helper;
pupa_helper *pupa_helper_start(void (*run)(void *), void *arg);
void pupa_helper_join(pupa_helper *h);

/* Reads a whole file, capped at max bytes; *out is NUL-terminated. */
int pupa_read_all(const char *path, size_t max, char **out, size_t *len);

/* A file's modification time in nanoseconds, as the seal and the corpus
 * stamp keep it. */
static inline uint64_t pupa_mtime_ns(const struct stat *st)
{
    return (uint64_t)st->st_mtim.tv_sec * 1000000000ull + (uint64_t)st->st_mtim.tv_nsec;
}

/* A listed file's size and mtime (ns), as the listing's stat saw them. */
typedef struct pupa_file_stat {
    uint64_t size, mtime;
} pupa_file_stat;
/* pupa_corpus_list, with each file's size and mtime in *stats (malloc'ed,
 * in the order of *paths).  The listing stats every entry anyway, to tell
 * files from folders; keeping what it saw spares a build a second stat of
 * every file, which is most of an unchanged re-index, and more on a
 * network file system.  It stats a large folder's files on up to `threads`
 * threads (a build's -j), or, when threads <= 0, on as many as the cores
 * this process may run on. */
int pupa_corpus_list_stat(const char *root, char ***paths, pupa_file_stat **stats,
                          size_t *npaths, int threads);

/* Decodes the valid UTF-8 sequence at p (its length from pupa_utf8_len).
 * Inline, like pupa_utf8_len: every stage runs them once a character. */
static inline uint32_t pupa_utf8_decode(const unsigned char *p, size_t n)
{
    switch (n) {
    case 1: return p[0];
    case 2: return ((uint32_t)(p[0] & 0x1F) << 6) | (p[1] & 0x3F);
    case 3: return ((uint32_t)(p[0] & 0x0F) << 12) | ((uint32_t)(p[1] & 0x3F) << 6) | (p[2] & 0x3F);
    default:
        return ((uint32_t)(p[0] & 0x07) << 18) | ((uint32_t)(p[1] & 0x3F) << 12) |
               ((uint32_t)(p[2] & 0x3F) << 6) | (p[3] & 0x3F);
    }
}

/* Length of the valid UTF-8 sequence at p (1-4), or 0 if invalid:
 * overlong forms, surrogates and code points past U+10FFFF are invalid. */
static inline size_t pupa_utf8_len(const unsigned char *p, size_t avail)
{
    if (avail == 0)
        return 0;
    unsigned char c = p[0];
    if (c < 0x80)
        return 1;
    size_t n;
    uint32_t min;
    if (c >= 0xC2 && c <= 0xDF) { n = 2; min = 0x80; }
    else if ((c & 0xF0) == 0xE0) { n = 3; min = 0x800; }
    else if (c >= 0xF0 && c <= 0xF4) { n = 4; min = 0x10000; }
    else return 0;
    if (avail < n)
        return 0;
    for (size_t i = 1; i < n; i++)
        if ((p[i] & 0xC0) != 0x80)
            return 0;
    uint32_t cp = pupa_utf8_decode(p, n);
    if (cp < min || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF))
        return 0;
    return n;
}

/* Whether any of the 8 bytes in w is below n (n <= 128): a word-at-a-time
 * scan's test for control bytes or NUL. */
static inline bool pupa_has_byte_below(uint64_t w, unsigned n)
{
    return ((w - 0x0101010101010101ull * n) & ~w & 0x8080808080808080ull) != 0;
}

/* The Khmer-block character (U+1780-U+17FF, always the well-formed E1 9E xx
 * or E1 9F xx) at s[0, avail): its code point minus U+1780, or -1 if there
 * is none.  Every stage that walks Khmer text reads it through this. */
static inline int pupa_khmer_index(const unsigned char *s, size_t avail)
{
    if (avail < 3 || s[0] != 0xE1 || (s[1] & 0xFE) != 0x9E || (s[2] & 0xC0) != 0x80)
        return -1;
    return ((s[1] & 1) << 6) | (s[2] & 0x3F);
}

/* Whether p[0, 24) is eight Khmer-block characters in a row, each as
 * pupa_khmer_index accepts it (E1 9E xx or E1 9F xx): three word compares
 * instead of eight character tests, for the stages that go over runs of
 * Khmer (the reader's UTF-8 check and language guess, the scan form). */
static inline bool pupa_khmer_run8(const unsigned char *p)
{
    static const unsigned char mask[24] = {
        0xFF, 0xFE, 0xC0, 0xFF, 0xFE, 0xC0, 0xFF, 0xFE, 0xC0, 0xFF, 0xFE, 0xC0,
        0xFF, 0xFE, 0xC0, 0xFF, 0xFE, 0xC0, 0xFF, 0xFE, 0xC0, 0xFF, 0xFE, 0xC0};
    static const unsigned char want[24] = {
        0xE1, 0x9E, 0x80, 0xE1, 0x9E, 0x80, 0xE1, 0x9E, 0x80, 0xE1, 0x9E, 0x80,
        0xE1, 0x9E, 0x80, 0xE1, 0x9E, 0x80, 0xE1, 0x9E, 0x80, 0xE1, 0x9E, 0x80};
    uint64_t diff = 0;
    for (int k = 0; k < 24; k += 8) {
        uint64_t w, m, v;
        memcpy(&w, p + k, 8);
        memcpy(&m, mask + k, 8);
        memcpy(&v, want + k, 8);
        diff |= (w & m) ^ v;
    }
    return diff == 0;
}

static inline bool pupa_is_khmer_cp(uint32_t c)
{
    return (c >= 0x1780 && c <= 0x17FF) || (c >= 0x19E0 && c <= 0x19FF);
}

/* True when punctuation separates token t from token t+1: the token
 * stream joins them with "\n", not " " (tokenise.c).  Negation's window
 * (match.c, and the codebook's in rules.c) stops there. */
static inline bool pupa_punctuation_between(const pupa_tokens *ts, size_t t)
{
    uint32_t gap = ts->tok[t].norm_end;
    return gap < ts->tok[t + 1].norm_start && ts->norm[gap] == '\n';
}

/* True when pupa_khmer_fold would change s (khmer.c); with order_only,
 * only when it would reorder marks, not for its two substitutions. */
int pupa_khmer_fold_changes(const char *s, size_t len, int order_only);
/* Where pupa_khmer_fold first changes s (khmer.c): a point before which it
 * leaves s as it is and from which folding s + point gives the rest of the
 * fold of s; len if it changes nothing. */
size_t pupa_khmer_fold_from(const char *s, size_t len);

/* Whether the text s[0, n) between two words holds only white space,
 * invisible separators and hyphens or dashes (- U+2010-U+2015 U+2212
 * U+FE63 U+FF0D), and at least one of those (tokenise.c). */
int pupa_hyphen_gap(const char *s, size_t n);

/* The token stream of ASCII text, worked out without ICU (tokenise.c):
 * what pupa_tokenize gives for the same text, for text made only of ASCII
 * letters, digits, white space and the punctuation whose word-break rules
 * are simple.  Returns 1 with out filled (pointing into ab), 0 when the
 * text has another character (use pupa_tokenize), or an error. */
typedef struct pupa_ascii_tokens {
    pupa_buf norm;
    pupa_token *tok;
    size_t tok_cap;
} pupa_ascii_tokens;
void pupa_ascii_tokens_init(pupa_ascii_tokens *ab);
void pupa_ascii_tokens_free(pupa_ascii_tokens *ab);
int pupa_tokenize_ascii(pupa_ascii_tokens *ab, const char *text, size_t len, pupa_tokens *out);

/* The Khmer engine (khmerbreak.c): the word boundaries ICU puts inside a
 * plain Khmer segment, without ICU's break iterator.  A plain segment is
 * a maximal run of characters of ICU's Khmer dictionary set and digits
 * (ASCII and Khmer; digits alone make one number) that starts with a
 * letter or a digit (not a combining mark), with a separator or the
 * text's edge on both sides; one that starts or ends with a digit must
 * not touch a MidNum separator (, ;) there, which would join it to more
 * digits.
 *  - pupa_khmer_break_ready: 1 once ICU's Khmer dictionary is read and the
 *    engine may stand in for ICU's iterator (the ICU it was built against,
 *    or one it agrees with on its self-check), else 0 (use ICU);
 *  - pupa_khmer_break_self_check: 1 if the engine is ready and agrees with
 *    the running ICU on the self-check, which it then runs whatever the
 *    ICU (for the tests);
 *  - pupa_khmer_separator_at: the bytes of the separator at i (white
 *    space, punctuation ICU never joins to a letter, U+200B), 0 if none;
 *    *cls is its class, PUPA_SEP_MIDNUM for , ; and their like;
 *  - pupa_khmer_segment_at: the end of the run of dictionary-set
 *    characters and digits at i (i if none), and in *plain whether it is a
 *    plain segment, given the class of the separator before i (HARD at the
 *    text's start);
 *  - pupa_khmer_break_segment: the boundaries inside the plain segment
 *    seg[0, len), as byte offsets, into brk; sym is scratch; both hold
 *    len / 3 entries.  Returns how many.  Given marked (a flag per
 *    character of the Khmer block), *all_marked says whether every
 *    character of the segment is a marked one (an ASCII digit never is):
 *    the tokenizer asks which need no normalising, on the same pass. */
enum { PUPA_SEP_NONE = 0, PUPA_SEP_HARD = 1, PUPA_SEP_MIDNUM = 2 };
int pupa_khmer_break_ready(void);
int pupa_khmer_break_self_check(void);
size_t pupa_khmer_separator_at(const char *text, size_t len, size_t i, int *cls);
size_t pupa_khmer_segment_at(const char *text, size_t len, size_t i, int before, int *plain);
size_t pupa_khmer_break_segment(const char *seg, size_t len, uint8_t *sym, int32_t *brk,
                                const unsigned char *marked, int *all_marked);

/* ICU's Khmer dictionary as a double array (khmerda.c), which the Khmer
 * engine walks.  A cell is base << 10 | (c + 1) << 2 | MORE | WORD: the
 * walk from a cell on character c (0-0x7F: code point minus U+1780) goes
 * to cell base + c if that cell's label is c + 1, and the cell says
 * whether the characters so far are a word and whether longer ones go on.
 *  - pupa_khmer_dict_trie: ICU's khmerdict trie (a BytesTrie) and its
 *    size in bytes, or NULL when ICU has none of the expected form;
 *  - pupa_khmer_da_fingerprint: a hash of a trie's bytes, to know which
 *    trie an array was built from;
 *  - pupa_khmer_da_build: lays a trie out as cells (malloc'd, into
 *    *cells, how many into *ncells); 1 on success;
 *  - pupa_khmer_da_valid: 1 when every step from the cells stays inside
 *    them (a layout is checked when made; the compiled one by its test). */
enum { PUPA_DA_ROOT = 0, PUPA_DA_WORD = 1, PUPA_DA_MORE = 2 };
const uint8_t *pupa_khmer_dict_trie(size_t *bytes);
uint64_t pupa_khmer_da_fingerprint(const uint8_t *trie, size_t bytes);
int pupa_khmer_da_build(const uint8_t *trie, size_t trie_bytes, uint32_t **cells, size_t *ncells);
int pupa_khmer_da_valid(const uint32_t *cells, size_t ncells);
/* The array built with the library (gen_khmer_da.c writes it), and the
 * fingerprint of the trie it was built from; 0 cells when the build found
 * no dictionary. */
extern const uint32_t pupa_khmer_da_compiled[];
extern const size_t pupa_khmer_da_compiled_cells;
extern const uint64_t pupa_khmer_da_compiled_from;

/* Lets pupa_tokenize give plain Khmer segments to the Khmer engine (on) or
 * ICU (off, the default and the reference).  Returns whether it is on:
 * it stays off when the engine is not ready. */
int pupa_tokenizer_use_khmer_engine(pupa_tokenizer *t, int on);

#endif
