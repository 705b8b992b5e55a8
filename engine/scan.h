/*
 * scan.h: what lexicon.c, fastscan.c, scanform.c and match.c share about
 * the compiled Hyperscan databases and the text they scan.  Internal to the
 * engine.
 */
#ifndef PUPA_SCAN_H
#define PUPA_SCAN_H

#include "internal.h"

#include <hs/hs.h>

/* The database of the word and prefix entries, over the scan form of the
 * normalised token stream (lexicon.c, scanform.c); NULL if none. */
const hs_database_t *pupa_lexicon_db(const pupa_lexicon *lex);
/* The database of the /regex/ entries, over the token stream itself, in
 * UTF-8, which their character classes read; NULL if none. */
const hs_database_t *pupa_lexicon_regex_db(const pupa_lexicon *lex);
/* The byte length of each word or prefix entry's norm in the scan form. */
uint32_t pupa_lexicon_scan_len(const pupa_lexicon *lex, uint32_t entry);

/* The scan form (scanform.c): the token stream as Hyperscan reads it, a
 * Khmer letter one byte instead of three.  It is at most
 * PUPA_SCAN_FORM_MAX(len) bytes. */
#define PUPA_SCAN_FORM_MAX(len) ((len) * 7)
size_t pupa_scan_form(const char *in, size_t len, char *out);
/* Whether text[0, len) is its own scan form (printable ASCII and line
 * feeds): English text, which then needs no copy. */
int pupa_scan_form_is_identity(const char *text, size_t len);
/* The scan form of ts's norm into out (len set, NUL-terminated), and where
 * token k starts and ends in it: (*bounds)[2k] and (*bounds)[2k + 1], an
 * array of *cap entries grown as needed. */
int pupa_scan_tokens(const pupa_tokens *ts, pupa_buf *out, uint32_t **bounds, size_t *cap);
/* The database over raw segment text for the fast path, or NULL when the
 * lexicon has entries the fast path cannot serve (regular expressions). */
const hs_database_t *pupa_lexicon_raw_db(const pupa_lexicon *lex);
/* The byte length of each entry's norm, for the hot callbacks. */
uint32_t pupa_lexicon_norm_len(const pupa_lexicon *lex, uint32_t entry);

/* Whether the fast path's pattern for the entry reports its start
 * (fastscan.c); otherwise a match starts at its end minus norm_len. */
uint32_t pupa_lexicon_raw_som(const pupa_lexicon *lex, uint32_t entry);

/* A caseless-ready Hyperscan literal: every byte that is not an ASCII
 * letter or digit escaped as \xHH (lexicon.c).  Free with free(). */
char *pupa_literal_expression(const char *s);

/* Compiles the fast path's database of every entry (fastscan.c), and fills
 * som[entry] (see pupa_lexicon_raw_som).  *out is NULL and 0 is returned
 * when some entry cannot be served by the fast path. */
int pupa_fast_compile(const pupa_lexicon *lex, hs_database_t **out, uint32_t *som);

/* A segment squeezed for the fast path (fastscan.c), and where its bytes
 * came from: a break point says squeezed offset out is original offset in,
 * and the bytes after it follow one for one until the next break point. */
typedef struct pupa_squeeze_break {
    uint32_t out, in;
} pupa_squeeze_break;
typedef struct pupa_squeeze {
    const char *text; /* the squeezed text */
    size_t len;
    pupa_buf raw;
    pupa_squeeze_break *brk;
    size_t nbrk, brk_cap;
} pupa_squeeze;
/* 1: squeezed; 0: the text has a character the squeeze cannot fold
 * exactly (tokenise it in full); -1: out of memory. */
int pupa_fast_squeeze(pupa_squeeze *sq, const char *text, size_t len);
/* Readies the squeeze's table of the characters it folds itself, once a
 * process: 0.5-0.7 ms of ICU property lookups that the first squeeze
 * would otherwise make while every coder waits on it.  A build's helper
 * calls it beside the listing. */
void pupa_fast_ready(void);
/* The original offset of squeezed offset off. */
uint32_t pupa_squeeze_to_raw(const pupa_squeeze *sq, uint32_t off);
void pupa_squeeze_free(pupa_squeeze *sq);

/* The overlap policy (longest leftmost within a code, match.c), then hits
 * in pupa_match's order; returns how many of h[0, n) are kept. */
size_t pupa_hits_settle(pupa_hit *h, size_t n);

/* hs_compile_multi in block mode, through the on-disk cache (dbcache.c). */
int pupa_hs_compile_cached(const char *const *exprs, const unsigned *flags, const unsigned *ids,
                           unsigned n, hs_database_t **db, hs_compile_error_t **err);
/* Compiles exprs[0, n), whose ids are lexicon entries, into *out through
 * the cache (lexicon.c).  A pattern Hyperscan refuses is reported as its
 * entry's "file:line: entry 'pattern': " then what, then Hyperscan's
 * message; a failure that names no pattern as "cannot compile the db". */
int pupa_lexicon_compile_db(const pupa_lexicon *lex, char *const *exprs, const unsigned *flags,
                            const unsigned *ids, size_t n, hs_database_t **out,
                            const char *what, const char *db);

#endif
