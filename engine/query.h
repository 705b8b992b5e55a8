/*
 * query.h: what the two query files share, never installed.  query.c owns
 * the access paths (which LMDB keys a question reads), the filters and
 * code patterns, quotes and tables; analysis.c builds co-occurrence,
 * cross-references, streaks and timelines on top of these helpers.
 */
#ifndef PUPA_QUERY_H
#define PUPA_QUERY_H

#include "index.h"

/* One read transaction and the codebook of the index. */
typedef struct pupa_q {
    MDB_txn *txn;
    const struct pupa_index *ix;
    pupa_codebook cb;
    /* The last document pupa_q_seg read, decoded and checked: questions
     * read a document's turns one after another, and each read would
     * otherwise look it up and check its table of ends again.  Its
     * pointers are LMDB's, valid while this read transaction lasts. */
    uint32_t turns_doc;
    int have_turns;
    pupa_turns turns;
} pupa_q;
int pupa_q_begin(pupa_q *q, pupa_index *ix);
void pupa_q_end(pupa_q *q);
/* Per code of the codebook (ncodes + 1 entries): 1 when pattern matches it
 * (pupa_code_match), so a hit's code is tested with one lookup.  The caller
 * frees it; NULL when out of memory (the message is set). */
unsigned char *pupa_q_code_sel(const pupa_q *q, const char *pattern);

/* Records by key; a missing one is damage (a posting names it). */
int pupa_q_doc(pupa_q *q, uint32_t doc, pupa_doc_rec *d);
int pupa_q_seg(pupa_q *q, uint32_t doc, uint32_t turn, pupa_seg_rec *s);
/* The i-th hit of s, with its code (and its entry, when the caller shows
 * it) checked against the codebook.  Counting never reads the entry, so a
 * damaged one does not stop a table. */
int pupa_q_hit(pupa_q *q, const pupa_seg_rec *s, uint32_t i, int with_entry, pupa_hit_rec *h);
/* Does a hit count under f (negated hits only with f->negated)? */
int pupa_q_hit_counts(const pupa_hit_rec *h, const pupa_filter *f);

/* A code path against a pattern: components separated by "/", "*" stands
 * for any one component and "a,b" for either; the pattern matches the
 * code's leading components, so "violence" covers "violence/physical" but
 * not "violent".  NULL or "" matches every code. */
int pupa_code_match(const char *code, const char *pattern);
/* Length of the first depth components of a code path. */
size_t pupa_code_prefix_len(const char *code, int depth);
/* The level-th component (1-based) of a code path; len 0 if it has none. */
const char *pupa_code_component(const char *code, int level, size_t *len);

/* Document-level filters (years, participant, group, gender, age, where)
 * and segment-level ones (coded turns only, lang, speaker). */
int pupa_q_doc_passes(const pupa_doc_rec *d, const pupa_filter *f);
int pupa_q_seg_passes(const pupa_seg_rec *s, const pupa_filter *f);
/* The value of a column key for a document: "year" and "participant" are
 * the document's own, anything else its metadata; {NULL, 0} if absent.
 * buf (16 bytes at least) holds the year's digits. */
pupa_str pupa_q_doc_value(const pupa_doc_rec *d, const char *key, char *buf, size_t cap);
int pupa_str_cmp(pupa_str a, pupa_str b);

/* Postings of the selected codes (sel[code] non-zero) within f's year
 * range, in key order, whose hits count under f->negated.  fn returns
 * non-zero to stop with that value. */
typedef int (*pupa_posting_fn)(void *ctx, uint32_t code, uint32_t year, uint32_t doc,
                               uint32_t turn);
int pupa_q_postings(pupa_q *q, const unsigned char *sel, const pupa_filter *f,
                    pupa_posting_fn fn, void *ctx);
/* The turns of a document from turn `from` on, in turn order, as its segs
 * record holds them (not from the document's turn count, which could be
 * damaged; none if it has no segs record).  fn returns non-zero to stop
 * with that value: a positive one stops early without an error. */
typedef int (*pupa_seg_fn)(void *ctx, uint32_t turn, const pupa_seg_rec *s);
int pupa_q_doc_segs(pupa_q *q, uint32_t doc, uint32_t from, pupa_seg_fn fn, void *ctx);
/* Every document a filter can admit: the participant's own keys when f
 * names one, else every docs key.  fn (the document id) as above. */
typedef int (*pupa_docid_fn)(void *ctx, uint32_t doc);
int pupa_q_docs(pupa_q *q, const pupa_filter *f, pupa_docid_fn fn, void *ctx);
/* Document ids of one participant, in year order, from her own keys. */
int pupa_q_participant_docs(pupa_q *q, const char *participant, uint32_t **docs, size_t *n);

/* A turn of a document, ordered the way every output is: participant,
 * year, document id, turn. */
typedef struct pupa_q_ref {
    uint32_t doc, turn, year;
    pupa_str participant, id; /* valid for the transaction */
} pupa_q_ref;
/* Turns with hits whose documents pass f, in output order, a
 * participant at a time (hers alone when f names her), ignoring f->code:
 * each participant's go to fn before the next one's documents are read,
 * so a question that stops early (quotes --limit) reads no further, and
 * memory holds one participant's turns, not the index's.  fn returns
 * non-zero to stop with that value: a positive one stops early without
 * an error. */
typedef int (*pupa_refs_fn)(void *ctx, const pupa_q_ref *refs, size_t n);
int pupa_q_turns_by_participant(pupa_q *q, const pupa_filter *f, pupa_refs_fn fn, void *ctx);
/* All of those turns at once (the caller frees *out). */
int pupa_q_turns(pupa_q *q, const pupa_filter *f, pupa_q_ref **out, size_t *n);
/* Turns with hits of the documents that have postings of the selected
 * codes (sel[code] non-zero) in f's year range and pass f, in output
 * order, a document at a time to fn (as above): the postings are read
 * whole, but only for their documents, which are sorted, not the turns. */
int pupa_q_turns_by_document(pupa_q *q, const unsigned char *sel, const pupa_filter *f,
                             pupa_refs_fn fn, void *ctx);

/* Interned names with ids in order of first sight, hashed. */
typedef struct pupa_names {
    char **v;
    size_t n, cap;
    uint32_t *slots; /* id + 1, 0 empty */
    size_t nslots;
} pupa_names;
int pupa_names_add(pupa_names *s, const char *str, size_t len, uint32_t *id);
/* Sorts the names by strcmp; *map (caller frees) gives each old id's new id. */
int pupa_names_sort(pupa_names *s, uint32_t **map);
/* Hands the array over (the caller frees each name and it). */
char **pupa_names_take(pupa_names *s);
void pupa_names_free(pupa_names *s);

#endif
