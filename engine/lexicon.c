/*
 * lexicon.c: loading a codebook and compiling it for Hyperscan.
 *
 * Owns: the YAML lexicon format (a quanteda dictionary: nested mappings
 * whose leaves are lists of patterns; the code of a pattern is the path of
 * keys above it, joined with "/"), the parsing of each pattern into a kind
 * and a normalised form, and the Hyperscan databases built from them: one
 * of every word and prefix pattern, in the scan form (scanform.c), and one
 * of the /regex/ patterns, when there are any.
 *
 * A pattern is normalised by the same tokenizer that normalises transcripts
 * (tokenise.c), so both sides are folded the same way: "Money Lender"
 * becomes "money lender", "well-being" becomes "well\nbeing", and a Khmer
 * phrase loses its inner spaces.  Word and prefix patterns are compiled as
 * byte literals without start-of-match tracking, since their start is the
 * end minus their length; only /regex/ patterns pay for SOM_LEFTMOST.
 * Word boundaries are checked afterwards against ICU tokens (match.c),
 * because Hyperscan's \b knows nothing of Khmer.
 */
#include "scan.h"
#include "rules.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <yaml.h>

#define MAX_LEXICON_BYTES (64u * 1024u * 1024u)
#define MAX_CODE_DEPTH 16

struct pupa_lexicon {
    char **codes;
    size_t ncodes, codes_cap;
    pupa_entry *entries;
    size_t nentries, entries_cap;
    char *file; /* the lexicon path, shared by every entry */
    hs_database_t *db;       /* word and prefix entries; NULL when none */
    hs_database_t *regex_db; /* /regex/ entries; NULL when none */
    hs_database_t *raw_db;   /* the fast path's, NULL if it cannot serve */
    uint32_t *norm_len;      /* strlen of each entry's norm */
    uint32_t *scan_len;      /* ... and of its scan form (words, prefixes) */
    uint32_t *raw_som;       /* see pupa_lexicon_raw_som */
    uint64_t hash;
    pupa_ruleset *rules; /* rules.c: rules, exclusions, negation, hidden codes */
};

const hs_database_t *pupa_lexicon_db(const pupa_lexicon *lex) { return lex->db; }
const hs_database_t *pupa_lexicon_regex_db(const pupa_lexicon *lex) { return lex->regex_db; }
uint32_t pupa_lexicon_scan_len(const pupa_lexicon *lex, uint32_t entry)
{
    return lex->scan_len[entry];
}
const hs_database_t *pupa_lexicon_raw_db(const pupa_lexicon *lex) { return lex->raw_db; }
uint32_t pupa_lexicon_norm_len(const pupa_lexicon *lex, uint32_t entry)
{
    return lex->norm_len[entry];
}
uint32_t pupa_lexicon_raw_som(const pupa_lexicon *lex, uint32_t entry)
{
    return lex->raw_som[entry];
}

size_t pupa_lexicon_ncodes(const pupa_lexicon *lex) { return lex->ncodes; }
const char *pupa_lexicon_code(const pupa_lexicon *lex, uint32_t code)
{
    return code < lex->ncodes ? lex->codes[code] : NULL;
}
size_t pupa_lexicon_nentries(const pupa_lexicon *lex) { return lex->nentries; }
const pupa_entry *pupa_lexicon_entry(const pupa_lexicon *lex, uint32_t entry)
{
    return entry < lex->nentries ? &lex->entries[entry] : NULL;
}
uint64_t pupa_lexicon_hash(const pupa_lexicon *lex) { return lex->hash; }
const pupa_ruleset *pupa_lexicon_rules(const pupa_lexicon *lex) { return lex->rules; }

void pupa_lexicon_free(pupa_lexicon *lex)
{
    if (!lex)
        return;
    for (size_t i = 0; i < lex->ncodes; i++)
        free(lex->codes[i]);
    free(lex->codes);
    for (size_t i = 0; i < lex->nentries; i++) {
        free((char *)lex->entries[i].pattern);
        free((char *)lex->entries[i].norm);
    }
    free(lex->entries);
    pupa_ruleset_free(lex->rules);
    free(lex->file);
    hs_free_database(lex->db);
    hs_free_database(lex->raw_db);
    hs_free_database(lex->regex_db);
    free(lex->norm_len);
    free(lex->scan_len);
    free(lex->raw_som);
    free(lex);
}

/* ------------------------------------------------------------ loading */

typedef struct loader {
    pupa_lexicon *lex;
    yaml_document_t *doc;
    pupa_tokenizer *tok;
    const char *path;
    int as_rule; /* add_entry makes a rule's pseudo-entry */
} loader;

static int code_id(pupa_lexicon *lex, const char *path, uint32_t *out)
{
    for (size_t i = 0; i < lex->ncodes; i++)
        if (strcmp(lex->codes[i], path) == 0) {
            *out = (uint32_t)i;
            return 0;
        }
    int rc = pupa_grow(&lex->codes, &lex->codes_cap, lex->ncodes + 1, sizeof *lex->codes);
    if (rc)
        return rc;
    if (!(lex->codes[lex->ncodes] = pupa_strdup(path)))
        return pupa_fail(PUPA_ENOMEM, "out of memory");
    *out = (uint32_t)lex->ncodes++;
    return 0;
}

/* Normalises a word or phrase with the transcript tokenizer. */
static int normalise_words(loader *ld, const char *text, size_t len, uint32_t line,
                           const char *pattern, char **out, int *hyphen_gaps)
{
    pupa_tokens toks;
    int rc = pupa_tokenize(ld->tok, text, len, &toks);
    if (rc)
        return pupa_fail(PUPA_ELEXICON, "%s:%u: entry '%s': %s", ld->path, line, pattern,
                         pupa_errmsg());
    if (toks.ntok == 0)
        return pupa_fail(PUPA_ELEXICON, "%s:%u: entry '%s': has no word characters",
                         ld->path, line, pattern);
    /* Words joined by hyphens, and by nothing else but white space: the
     * norm's "\n" stands for any punctuation, so the matcher checks the
     * text's gaps (match.c). */
    int hyphens = 0, other = 0;
    for (size_t k = 0; k + 1 < toks.ntok; k++) {
        const char *gap = text + toks.tok[k].src_end;
        size_t n = toks.tok[k + 1].src_start - toks.tok[k].src_end;
        if (toks.norm[toks.tok[k].norm_end] != '\n')
            continue; /* white space or nothing */
        if (pupa_hyphen_gap(gap, n))
            hyphens = 1;
        else
            other = 1;
    }
    *hyphen_gaps = hyphens && !other;
    if (!(*out = pupa_strndup(toks.norm, toks.norm_len)))
        return pupa_fail(PUPA_ENOMEM, "out of memory");
    return 0;
}

static int add_entry(loader *ld, const char *code_path, const yaml_node_t *node)
{
    uint32_t line = (uint32_t)node->start_mark.line + 1;
    const char *raw = (const char *)node->data.scalar.value;
    size_t len = node->data.scalar.length;
    if (memchr(raw, '\0', len))
        return pupa_fail(PUPA_ELEXICON, "%s:%u: entry contains a NUL byte", ld->path, line);
    /* Trim: YAML keeps spaces inside quotes, but they never mean anything here. */
    while (len && (*raw == ' ' || *raw == '\t'))
        raw++, len--;
    while (len && (raw[len - 1] == ' ' || raw[len - 1] == '\t'))
        len--;
    char *pattern = pupa_strndup(raw, len);
    if (!pattern)
        return pupa_fail(PUPA_ENOMEM, "out of memory");
    if (len == 0) {
        free(pattern);
        return pupa_fail(PUPA_ELEXICON, "%s:%u: empty entry under '%s'", ld->path, line,
                         code_path);
    }
    for (size_t i = 0; i < len;) {
        size_t n = pupa_utf8_len((const unsigned char *)pattern + i, len - i);
        if (!n) {
            int rc = pupa_fail(PUPA_ELEXICON, "%s:%u: entry '%s': invalid UTF-8", ld->path,
                               line, pattern);
            free(pattern);
            return rc;
        }
        i += n;
    }

    pupa_entry e = {.pattern = pattern, .file = ld->lex->file, .line = line};
    int rc = 0;
    if (ld->as_rule) {
        e.kind = PUPA_ENTRY_RULE;
        if (!(e.norm = pupa_strdup(PUPA_RULE_NORM)))
            rc = pupa_fail(PUPA_ENOMEM, "out of memory");
    } else if (len >= 3 && pattern[0] == '/' && pattern[len - 1] == '/') {
        e.kind = PUPA_ENTRY_REGEX;
        if (!(e.norm = pupa_strndup(pattern + 1, len - 2)))
            rc = pupa_fail(PUPA_ENOMEM, "out of memory");
    } else {
        const char *star = memchr(pattern, '*', len);
        if (star && star != pattern + len - 1)
            rc = pupa_fail(PUPA_ELEXICON,
                           "%s:%u: entry '%s': '*' is allowed only at the end of an entry",
                           ld->path, line, pattern);
        else {
            e.kind = star ? PUPA_ENTRY_PREFIX : PUPA_ENTRY_WORD;
            char *norm = NULL;
            rc = normalise_words(ld, pattern, star ? len - 1 : len, line, pattern, &norm,
                                 &e.hyphen_gaps);
            e.norm = norm;
        }
    }
    if (!rc)
        rc = code_id(ld->lex, code_path, &e.code);
    if (!rc)
        rc = pupa_grow(&ld->lex->entries, &ld->lex->entries_cap, ld->lex->nentries + 1,
                       sizeof *ld->lex->entries);
    if (rc) {
        free(pattern);
        free((char *)e.norm);
        return rc;
    }
    ld->lex->entries[ld->lex->nentries++] = e;
    return 0;
}

/* ------------------------------------------------ the rule layer's keys
 *
 * A mapping key starting with "." is either one of these reserved keys,
 * which apply to the code whose mapping holds them (a list item that is a
 * mapping holds them for the list's code), or the name of a hidden code
 * (rules.c).  quanteda dictionaries have no such keys, so they load as
 * before. */

static int reserved_name(const char *name, size_t n)
{
    static const char *const keys[] = {".rule", ".exclude", ".negated_as", ".negation"};
    for (size_t i = 0; i < sizeof keys / sizeof *keys; i++)
        if (strlen(keys[i]) == n && !memcmp(keys[i], name, n))
            return (int)i;
    return -1;
}

static int need_scalar(loader *ld, const yaml_node_t *v, const char *what)
{
    if (v->type == YAML_SCALAR_NODE)
        return 0;
    return pupa_fail(PUPA_ELEXICON, "%s:%u: %s takes a string or a list of strings", ld->path,
                     (unsigned)v->start_mark.line + 1, what);
}

/* Calls fn for the scalar val, or for each item of the list val. */
static int each_scalar(loader *ld, yaml_node_t *val, const char *what, const char *path,
                       int (*fn)(loader *, const char *, const yaml_node_t *))
{
    if (val->type != YAML_SEQUENCE_NODE) {
        int rc = need_scalar(ld, val, what);
        return rc ? rc : fn(ld, path, val);
    }
    for (yaml_node_item_t *it = val->data.sequence.items.start;
         it < val->data.sequence.items.top; it++) {
        yaml_node_t *item = yaml_document_get_node(ld->doc, *it);
        int rc = item ? need_scalar(ld, item, what) : PUPA_ELEXICON;
        rc = rc ? rc : fn(ld, path, item);
        if (rc)
            return rc;
    }
    return 0;
}

static int add_rule(loader *ld, const char *path, const yaml_node_t *node)
{
    ld->as_rule = 1;
    int rc = add_entry(ld, path, node);
    ld->as_rule = 0;
    if (rc)
        return rc;
    const pupa_entry *e = &ld->lex->entries[ld->lex->nentries - 1];
    return pupa_ruleset_add_rule(ld->lex->rules, e->code, (uint32_t)ld->lex->nentries - 1,
                                 e->pattern, e->file, e->line);
}

static int add_cue(loader *ld, const char *path, const yaml_node_t *node)
{
    char *norm = NULL;
    int hyphen_gaps; /* a cue is a word or two: its gaps are not checked */
    const char *s = (const char *)node->data.scalar.value;
    int rc = normalise_words(ld, s, node->data.scalar.length,
                             (uint32_t)node->start_mark.line + 1, s, &norm, &hyphen_gaps);
    if (!rc)
        rc = pupa_ruleset_add_cue(ld->lex->rules, norm,
                                  !strcmp(path, "not_cues") ? PUPA_NOT_CUE
                                  : !strcmp(path, "stops")  ? PUPA_CUE_STOP
                                                            : PUPA_CUE);
    free(norm);
    return rc;
}

static int negation_settings(loader *ld, yaml_node_t *val)
{
    unsigned line = (unsigned)val->start_mark.line + 1;
    if (val->type != YAML_MAPPING_NODE)
        return pupa_fail(PUPA_ELEXICON,
                         "%s:%u: .negation is a mapping of window, cues, not_cues, stops",
                         ld->path, line);
    for (yaml_node_pair_t *p = val->data.mapping.pairs.start; p < val->data.mapping.pairs.top;
         p++) {
        yaml_node_t *k = yaml_document_get_node(ld->doc, p->key);
        yaml_node_t *v = yaml_document_get_node(ld->doc, p->value);
        const char *key = k && k->type == YAML_SCALAR_NODE ? (const char *)k->data.scalar.value : "";
        int rc;
        if (!v)
            rc = pupa_fail(PUPA_ELEXICON, "%s:%u: bad .negation", ld->path, line);
        else if (!strcmp(key, "window")) {
            char *end = NULL;
            long w = v->type == YAML_SCALAR_NODE
                         ? strtol((const char *)v->data.scalar.value, &end, 10) : 0;
            rc = end && !*end ? pupa_ruleset_set_window(ld->lex->rules, (int)w) : PUPA_ELEXICON;
            if (rc)
                rc = pupa_fail(PUPA_ELEXICON, "%s:%u: .negation: window is a number of tokens "
                               "from 1 to 16", ld->path, (unsigned)v->start_mark.line + 1);
        } else if (!strcmp(key, "cues") || !strcmp(key, "not_cues") || !strcmp(key, "stops"))
            rc = each_scalar(ld, v, key, key, add_cue);
        else
            rc = pupa_fail(PUPA_ELEXICON, "%s:%u: .negation: unknown setting '%s' (window, "
                           "cues, not_cues, stops)", ld->path,
                           (unsigned)(k ? k->start_mark.line : 0) + 1,
                           key);
        if (rc)
            return rc;
    }
    return 0;
}

static int reserved_key(loader *ld, int which, const char *path, int depth, yaml_node_t *key,
                        yaml_node_t *val)
{
    unsigned line = (unsigned)key->start_mark.line + 1;
    const char *name = (const char *)key->data.scalar.value;
    if (which == 3) /* .negation */
        return depth == 0 ? negation_settings(ld, val)
                          : pupa_fail(PUPA_ELEXICON, "%s:%u: .negation belongs at the top "
                                      "of the lexicon", ld->path, line);
    if (depth == 0)
        return pupa_fail(PUPA_ELEXICON, "%s:%u: %s must be under a code", ld->path, line, name);
    if (which == 0)
        return each_scalar(ld, val, name, path, add_rule);
    if (which == 2) {
        int rc = need_scalar(ld, val, name);
        return rc ? rc : pupa_ruleset_add_negated_as(ld->lex->rules, path,
                                                     (const char *)val->data.scalar.value,
                                                     ld->lex->file, line);
    }
    /* .exclude: the phrases are entries of the hidden code PATH/.exclude */
    size_t cap = strlen(path) + sizeof "/.exclude";
    char *sub = malloc(cap);
    if (!sub)
        return pupa_fail(PUPA_ENOMEM, "out of memory");
    snprintf(sub, cap, "%s/.exclude", path);
    int rc = each_scalar(ld, val, name, sub, add_entry);
    if (!rc)
        rc = pupa_ruleset_add_exclusion(ld->lex->rules, path, sub);
    free(sub);
    return rc;
}

static int walk(loader *ld, yaml_node_t *node, char *path, size_t path_len, int depth)
{
    uint32_t line = (uint32_t)node->start_mark.line + 1;
    switch (node->type) {
    case YAML_SCALAR_NODE:
        if (depth == 0)
            return pupa_fail(PUPA_ELEXICON, "%s:%u: a lexicon is a mapping of codes", ld->path,
                             line);
        return add_entry(ld, path, node);
    case YAML_SEQUENCE_NODE:
        if (depth == 0)
            return pupa_fail(PUPA_ELEXICON, "%s:%u: a lexicon is a mapping of codes", ld->path,
                             line);
        for (yaml_node_item_t *it = node->data.sequence.items.start;
             it < node->data.sequence.items.top; it++) {
            yaml_node_t *item = yaml_document_get_node(ld->doc, *it);
            if (!item)
                return pupa_fail(PUPA_ELEXICON, "%s:%u: bad list item", ld->path, line);
            /* quanteda allows a list to mix patterns and sub-codes. */
            int rc = item->type == YAML_SCALAR_NODE ? add_entry(ld, path, item)
                                                   : walk(ld, item, path, path_len, depth);
            if (rc)
                return rc;
        }
        return 0;
    case YAML_MAPPING_NODE:
        if (depth >= MAX_CODE_DEPTH)
            return pupa_fail(PUPA_ELEXICON, "%s:%u: codes nested deeper than %d", ld->path,
                             line, MAX_CODE_DEPTH);
        for (yaml_node_pair_t *p = node->data.mapping.pairs.start;
             p < node->data.mapping.pairs.top; p++) {
            yaml_node_t *key = yaml_document_get_node(ld->doc, p->key);
            yaml_node_t *val = yaml_document_get_node(ld->doc, p->value);
            if (!key || !val || key->type != YAML_SCALAR_NODE || key->data.scalar.length == 0)
                return pupa_fail(PUPA_ELEXICON, "%s:%u: a code name must be a plain string",
                                 ld->path, key ? (unsigned)key->start_mark.line + 1 : line);
            const char *name = (const char *)key->data.scalar.value;
            size_t n = key->data.scalar.length;
            int which = name[0] == '.' ? reserved_name(name, n) : -1;
            if (which >= 0) {
                int rc = reserved_key(ld, which, path ? path : "", depth, key, val);
                if (rc)
                    return rc;
                continue;
            }
            if (memchr(name, '/', n) || memchr(name, '\0', n))
                return pupa_fail(PUPA_ELEXICON, "%s:%u: code name '%.*s' may not contain '/'",
                                 ld->path, (unsigned)key->start_mark.line + 1, (int)n, name);
            size_t sub_len = path_len + (path_len ? 1 : 0) + n;
            char *sub = malloc(sub_len + 1);
            if (!sub)
                return pupa_fail(PUPA_ENOMEM, "out of memory");
            if (path_len) {
                memcpy(sub, path, path_len);
                sub[path_len] = '/';
            }
            memcpy(sub + sub_len - n, name, n);
            sub[sub_len] = '\0';
            int rc = walk(ld, val, sub, sub_len, depth + 1);
            free(sub);
            if (rc)
                return rc;
        }
        return 0;
    default:
        return pupa_fail(PUPA_ELEXICON, "%s:%u: unexpected YAML node", ld->path, line);
    }
}

static int parse_yaml(loader *ld, const char *bytes, size_t len)
{
    yaml_parser_t parser;
    yaml_document_t doc;
    if (!yaml_parser_initialize(&parser))
        return pupa_fail(PUPA_ENOMEM, "out of memory");
    yaml_parser_set_input_string(&parser, (const unsigned char *)bytes, len);
    if (!yaml_parser_load(&parser, &doc)) {
        int rc = pupa_fail(PUPA_ELEXICON, "%s:%zu: %s", ld->path,
                           parser.problem_mark.line + 1,
                           parser.problem ? parser.problem : "YAML syntax error");
        yaml_parser_delete(&parser);
        return rc;
    }
    ld->doc = &doc;
    yaml_node_t *root = yaml_document_get_root_node(&doc);
    int rc = 0;
    if (!root)
        rc = pupa_fail(PUPA_ELEXICON, "%s:1: empty lexicon", ld->path);
    else if (root->type != YAML_MAPPING_NODE)
        rc = pupa_fail(PUPA_ELEXICON, "%s:%zu: a lexicon is a mapping of codes", ld->path,
                       root->start_mark.line + 1);
    else
        rc = walk(ld, root, NULL, 0, 0);
    yaml_document_delete(&doc);
    yaml_parser_delete(&parser);
    ld->doc = NULL;
    return rc;
}

/* ---------------------------------------------------------- compiling */

/* Hyperscan flags for an entry; literals need no SOM (see top). */
static unsigned entry_flags(const pupa_entry *e)
{
    if (e->kind == PUPA_ENTRY_REGEX)
        return HS_FLAG_UTF8 | HS_FLAG_UCP | HS_FLAG_SOM_LEFTMOST | HS_FLAG_CASELESS;
    return 0;
}

/* A literal as a Hyperscan expression: every byte that is not an ASCII
 * letter or digit escaped as \xHH, so no entry is ever read as syntax. */
char *pupa_literal_expression(const char *s)
{
    size_t n = strlen(s);
    char *out = malloc(n * 4 + 1);
    if (!out)
        return NULL;
    char *o = out;
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)s[i];
        if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9'))
            *o++ = (char)c;
        else {
            /* \xHH (4 bytes fit by construction) by hand, not sprintf: a
             * Khmer letter is three such bytes, the codebook thousands of
             * letters, and every start-up writes them all to look the
             * compiled database up in the cache. */
            static const char hex[] = "0123456789abcdef";
            *o++ = '\\';
            *o++ = 'x';
            *o++ = hex[c >> 4];
            *o++ = hex[c & 15];
        }
    }
    *o = '\0';
    return out;
}

int pupa_lexicon_compile_db(const pupa_lexicon *lex, char *const *exprs, const unsigned *flags,
                            const unsigned *ids, size_t n, hs_database_t **out,
                            const char *what, const char *db)
{
    hs_compile_error_t *err = NULL;
    if (pupa_hs_compile_cached((const char *const *)exprs, flags, ids, (unsigned)n, out, &err) ==
        HS_SUCCESS)
        return 0;
    int rc;
    if (err && err->expression >= 0 && (size_t)err->expression < n) {
        const pupa_entry *e = &lex->entries[ids[err->expression]];
        rc = pupa_fail(PUPA_ELEXICON, "%s:%u: entry '%s': %s%s", e->file, e->line, e->pattern,
                       what, err->message);
    } else {
        rc = pupa_fail(PUPA_ELEXICON, "%s: cannot compile the %s: %s", lex->file, db,
                       err ? err->message : "unknown Hyperscan error");
    }
    hs_free_compile_error(err);
    *out = NULL;
    return rc;
}

/* A word or prefix entry's Hyperscan literal: its norm in the scan form
 * (scanform.c), whose length goes to *scan_len.  NULL: out of memory. */
static char *scan_literal(const char *norm, uint32_t *scan_len)
{
    size_t n = strlen(norm);
    char *scan = malloc(PUPA_SCAN_FORM_MAX(n) + 1);
    if (!scan)
        return NULL;
    size_t len = pupa_scan_form(norm, n, scan);
    scan[len] = '\0';
    *scan_len = (uint32_t)len;
    char *expr = pupa_literal_expression(scan);
    free(scan);
    return expr;
}

/* Two databases: the word and prefix entries as literals over the scan
 * form, and the /regex/ entries, whose character classes read UTF-8, over
 * the norm itself.  The regex database exists only for a lexicon that
 * has regular expressions, and then costs a second scan per segment. */
static int compile(pupa_lexicon *lex)
{
    if (lex->nentries == 0)
        return 0;
    size_t ne = lex->nentries;
    char **exprs = calloc(ne, sizeof *exprs);
    unsigned *flags = calloc(ne, sizeof *flags);
    unsigned *ids = calloc(ne, sizeof *ids);
    lex->scan_len = calloc(ne + 1, sizeof *lex->scan_len);
    int rc = 0;
    if (!exprs || !flags || !ids || !lex->scan_len)
        rc = pupa_fail(PUPA_ENOMEM, "out of memory");
    /* Literals fill the arrays from the front, regular expressions from
     * the back.  Rules are evaluated from hits (rules.c), never scanned. */
    size_t nlit = 0, nre = 0;
    for (size_t k = 0; !rc && k < ne; k++) {
        pupa_entry *e = &lex->entries[k];
        if (e->kind == PUPA_ENTRY_RULE)
            continue;
        int regex = e->kind == PUPA_ENTRY_REGEX;
        size_t i = regex ? ne - 1 - nre++ : nlit++;
        flags[i] = entry_flags(e);
        ids[i] = (unsigned)k;
        exprs[i] = regex ? pupa_strdup(e->norm) : scan_literal(e->norm, &lex->scan_len[k]);
        if (!exprs[i]) {
            rc = pupa_fail(PUPA_ENOMEM, "out of memory");
            break;
        }
        if (regex) {
            /* Checked one by one so a bad regex is named with its line,
             * never reported as a bare Hyperscan error. */
            hs_expr_info_t *info = NULL;
            hs_compile_error_t *err = NULL;
            if (hs_expression_info(exprs[i], flags[i], &info, &err) != HS_SUCCESS) {
                rc = pupa_fail(PUPA_ELEXICON, "%s:%u: entry '%s': %s", e->file, e->line,
                               e->pattern, err ? err->message : "invalid regular expression");
                hs_free_compile_error(err);
            } else if (info->min_width == 0) {
                rc = pupa_fail(PUPA_ELEXICON, "%s:%u: entry '%s': can match empty text",
                               e->file, e->line, e->pattern);
            }
            free(info);
        }
    }
    if (!rc && nlit)
        rc = pupa_lexicon_compile_db(lex, exprs, flags, ids, nlit, &lex->db, "", "lexicon");
    size_t re0 = ne - nre;
    if (!rc && nre)
        rc = pupa_lexicon_compile_db(lex, exprs + re0, flags + re0, ids + re0, nre,
                                     &lex->regex_db, "", "lexicon's regular expressions");
    for (size_t i = 0; exprs && i < ne; i++)
        free(exprs[i]);
    free(exprs);
    free(flags);
    free(ids);
    return rc;
}

static uint64_t lexicon_hash(const pupa_lexicon *lex)
{
    uint64_t h = PUPA_HASH_INIT;
    for (size_t i = 0; i < lex->ncodes; i++)
        h = pupa_hash(h, lex->codes[i], strlen(lex->codes[i]) + 1);
    for (size_t i = 0; i < lex->nentries; i++) {
        const pupa_entry *e = &lex->entries[i];
        uint32_t fields[3] = {e->code, (uint32_t)e->kind, e->line};
        h = pupa_hash(h, fields, sizeof fields);
        h = pupa_hash(h, e->pattern, strlen(e->pattern) + 1);
    }
    return lex->rules ? pupa_ruleset_hash(lex->rules, h) : h;
}

int pupa_lexicon_load(pupa_lexicon **out, const char *path)
{
    return pupa_lexicon_load_ex(out, path, 0, NULL, NULL);
}

int pupa_lexicon_load_ex(pupa_lexicon **out, const char *path, int flags,
                         void (*problem)(void *ctx, const char *file, uint32_t line,
                                         const char *msg),
                         void *ctx)
{
    if (!out || !path)
        return pupa_fail(PUPA_EINVAL, "pupa_lexicon_load: NULL argument");
    *out = NULL;
    char *bytes = NULL;
    size_t len = 0;
    int rc = pupa_read_all(path, MAX_LEXICON_BYTES, &bytes, &len);
    if (rc)
        return rc;
    pupa_lexicon *lex = calloc(1, sizeof *lex);
    loader ld = {.lex = lex, .path = path};
    if (!lex || !(lex->file = pupa_strdup(path)))
        rc = pupa_fail(PUPA_ENOMEM, "out of memory");
    if (!rc)
        rc = pupa_tokenizer_new(&ld.tok);
    if (!rc)
        rc = pupa_ruleset_new(&lex->rules);
    if (!rc)
        rc = parse_yaml(&ld, bytes, len);
    if (!rc) /* problems in rules go to the linter's callback, if any */
        rc = pupa_ruleset_resolve(lex->rules, lex, problem, ctx);
    if (!rc && (flags & PUPA_LOAD_RAW))
        pupa_ruleset_deactivate(lex->rules);
    if (!rc)
        rc = compile(lex);
    if (!rc && (!(lex->norm_len = calloc(lex->nentries + 1, sizeof *lex->norm_len)) ||
                !(lex->raw_som = calloc(lex->nentries + 1, sizeof *lex->raw_som))))
        rc = pupa_fail(PUPA_ENOMEM, "out of memory");
    for (size_t i = 0; !rc && i < lex->nentries; i++)
        lex->norm_len[i] = (uint32_t)strlen(lex->entries[i].norm);
    if (!rc)
        rc = pupa_fast_compile(lex, &lex->raw_db, lex->raw_som);
    pupa_tokenizer_free(ld.tok);
    free(bytes);
    if (rc) {
        pupa_lexicon_free(lex);
        return rc;
    }
    lex->hash = lexicon_hash(lex);
    *out = lex;
    return 0;
}
