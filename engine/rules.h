/*
 * rules.h: what lexicon.c, match.c and lint.c share about the rule layer
 * (rules.c): rules, exclusions, polar negation, negation settings and
 * hidden codes.  Internal to the engine; docs/lexicon.md is the user's view.
 */
#ifndef PUPA_RULES_H
#define PUPA_RULES_H

#include "internal.h"

/* The norm of a rule's pseudo-entry: U+E000, a private-use character.  ICU
 * never makes a word-like token of it, so a scanner that compiles every
 * entry's norm (and does not know rules) never reports a rule entry. */
#define PUPA_RULE_NORM "\xEE\x80\x80"

typedef struct pupa_ruleset pupa_ruleset;

int pupa_ruleset_new(pupa_ruleset **out);
void pupa_ruleset_free(pupa_ruleset *rs);

/* While the YAML is read (lexicon.c).  Paths are code paths as written;
 * they are resolved against the lexicon's codes by pupa_ruleset_resolve.
 * file must outlive the ruleset (it is the lexicon's). */

/* A rule of code `code` (pseudo-entry `entry`).  The expression is parsed
 * now, so a syntax error names file:line. */
int pupa_ruleset_add_rule(pupa_ruleset *rs, uint32_t code, uint32_t entry, const char *expr,
                          const char *file, uint32_t line);
/* Hits of code_path and of its descendants that overlap a hit of the
 * hidden code excl_path are dropped. */
int pupa_ruleset_add_exclusion(pupa_ruleset *rs, const char *code_path, const char *excl_path);
/* A negated hit of code_path also counts as a hit of target (a sibling's
 * name, or a full path). */
int pupa_ruleset_add_negated_as(pupa_ruleset *rs, const char *code_path, const char *target,
                                const char *file, uint32_t line);
/* The .negation block: window (0: keep PUPA_NEGATION_WINDOW), and cues,
 * not-cues and stops as normalised token text (the strings are copied). */
enum { PUPA_CUE = 0, PUPA_NOT_CUE = 1, PUPA_CUE_STOP = 2 };
int pupa_ruleset_set_window(pupa_ruleset *rs, int window);
int pupa_ruleset_add_cue(pupa_ruleset *rs, const char *norm, int kind);

/* Resolves every path, orders the steps and refuses cycles.  Without a
 * callback the first problem fails with PUPA_ELEXICON; with one, every
 * problem is reported to it and the rule layer is left inactive. */
int pupa_ruleset_resolve(pupa_ruleset *rs, const pupa_lexicon *lex,
                         void (*problem)(void *ctx, const char *file, uint32_t line,
                                         const char *msg),
                         void *ctx);
/* Makes pupa_rules_apply leave hits as the scan found them. */
void pupa_ruleset_deactivate(pupa_ruleset *rs);
/* True when the rules read the whole segment's token stream. */
int pupa_ruleset_needs_tokens(const pupa_ruleset *rs);
/* Whether pupa_rules_apply marks every hit's negation again, from the
 * codebook's own negation words: then the matcher's marks are not read. */
int pupa_ruleset_remarks_negation(const pupa_ruleset *rs);
/* Chains what the entries do not show (settings, negated_as) into h. */
uint64_t pupa_ruleset_hash(const pupa_ruleset *rs, uint64_t h);

/* Introspection for lint.c. */
int pupa_ruleset_is_hidden(const pupa_ruleset *rs, uint32_t code);
/* Non-zero when code is read by some rule or is an exclusion list. */
int pupa_ruleset_is_used(const pupa_ruleset *rs, uint32_t code);

/* The ruleset of a lexicon, or NULL (lexicon.c). */
const pupa_ruleset *pupa_lexicon_rules(const pupa_lexicon *lex);

/* Loading for the linter: flags below; problems in rules are reported to
 * the callback instead of failing the load. */
enum {
    PUPA_LOAD_RAW = 1 /* the rule layer does nothing: hidden and excluded hits stay */
};
int pupa_lexicon_load_ex(pupa_lexicon **out, const char *path, int flags,
                         void (*problem)(void *ctx, const char *file, uint32_t line,
                                         const char *msg),
                         void *ctx);

/* The hook: match.c calls it once per segment, after the scan and before
 * handing the hits out.  hits[0..*nhits) are the segment's hits (start/end
 * index text); the array may grow (*cap), since its tail serves as
 * scratch.  ts is the matcher's token stream: when ts_whole is 0 (the fast
 * path tokenised only stretches around candidates) and the rules need
 * tokens, the segment is tokenised with tok into *ts and the hits' tok_*
 * are mapped onto it.  It re-marks negation when the lexicon has a
 * .negation block, drops excluded hits, adds the hits of rules and of
 * .negated_as, drops hidden codes' hits.  The hits come, and are left, in
 * pupa_match's order and overlap policy (pupa_hits_settle). */
int pupa_rules_apply(const pupa_lexicon *lex, pupa_tokenizer *tok, const char *text, size_t len,
                     pupa_tokens *ts, int ts_whole, pupa_hit **hits, size_t *nhits,
                     size_t *cap);

#endif
