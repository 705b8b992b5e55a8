/*
 * scan.h: what lexicon.c, fastscan.c and match.c share about the compiled
 * Hyperscan databases.  Internal to the engine.
 */
#ifndef PUPA_SCAN_H
#define PUPA_SCAN_H

#include "internal.h"

#include <hs/hs.h>

/* The database over the normalised token stream (lexicon.c). */
const hs_database_t *pupa_lexicon_db(const pupa_lexicon *lex);
/* The database over raw segment text for the fast path, or NULL when the
 * lexicon has entries the fast path cannot serve (regular expressions). */
const hs_database_t *pupa_lexicon_raw_db(const pupa_lexicon *lex);
/* The byte length of each entry's norm, for the hot callbacks. */
uint32_t pupa_lexicon_norm_len(const pupa_lexicon *lex, uint32_t entry);

/* Compiles the raw-text database of every entry (fastscan.c).  *out is NULL
 * and 0 is returned when some entry cannot be served by the fast path. */
int pupa_fast_compile(const pupa_lexicon *lex, hs_database_t **out);
/* True when every character of text is one the fast path folds exactly:
 * ASCII, Khmer, white space, zero-width characters and common quotes and
 * dashes.  Other segments take the full tokenisation path. */
int pupa_fast_safe_text(const char *text, size_t len);

#endif
