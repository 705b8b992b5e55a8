/*
 * fastscan.c: the raw-text patterns of the fast path.
 *
 * The fast path (match.c) runs Hyperscan over a segment's original bytes
 * before ICU has seen them, and calls ICU only around the candidates.  For
 * its hits to equal those of full tokenisation, every place where the
 * reference would find an entry must be a candidate: each entry's pattern
 * here is a superset of every raw spelling that folds to the entry's norm.
 * ICU then confirms the exact hits (match.c), so a loose pattern costs time,
 * never correctness.
 *
 * From the entry's norm, character by character:
 *   ASCII letters     caseless (the only case folding a safe text needs)
 *   "'"               ' or U+2019
 *   " " (separator)   one or more white-space or zero-width characters
 *   "\n" (separator)  one or more characters that are neither letters nor digits
 *   a Khmer cluster   its base (ឱ also as ឲ), then its marks in any order,
 *                     coeng-ta also as coeng-da, with zero-width characters
 *                     between them; white space or zero-width characters
 *                     may stand between clusters, since Khmer tokens are
 *                     joined without a separator.
 * This is exact only for text whose characters the patterns know how to
 * fold; pupa_fast_safe_text() says which segments those are, and the others
 * are tokenised in full.  NFKC compatibility forms (fullwidth letters,
 * ligatures, accents written apart) never pass that check.
 */
#include "scan.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define IGNORABLE "\\x{200B}-\\x{200D}\\x{2060}\\x{FEFF}\\x{17B4}\\x{17B5}"
#define GAP_SPACE "[\\s" IGNORABLE "]+"
#define GAP_PUNCT "[^\\p{L}\\p{N}]+"
#define BETWEEN_CLUSTERS "[\\s" IGNORABLE "]*"
#define INSIDE_CLUSTER "[" IGNORABLE "]*"

static int is_khmer_mark(uint32_t c)
{
    return (c >= 0x17B6 && c <= 0x17D1) || c == 0x17D3 || c == 0x17DD;
}

int pupa_fast_safe_text(const char *text, size_t len)
{
    const unsigned char *p = (const unsigned char *)text, *end = p + len;
    while (p < end) {
        if (*p < 0x80) {
            p++;
            continue;
        }
        size_t n = pupa_utf8_len(p, (size_t)(end - p));
        if (!n)
            return 0;
        uint32_t c = pupa_utf8_decode(p, n);
        p += n;
        if ((c >= 0x1780 && c <= 0x17FF) || c == 0x00A0 || (c >= 0x200B && c <= 0x200D) ||
            c == 0x2060 || c == 0xFEFF || c == 0x2018 || c == 0x2019 || c == 0x201C ||
            c == 0x201D || c == 0x2013 || c == 0x2014 || c == 0x2026)
            continue;
        return 0;
    }
    return 1;
}

static int put_cp(pupa_buf *b, uint32_t c)
{
    return pupa_buf_printf(b, "\\x{%X}", c);
}

/* One Khmer cluster starting at cps[i]; returns the index after it. */
static int put_khmer_cluster(pupa_buf *b, const uint32_t *cps, size_t n, size_t *i)
{
    size_t j = *i;
    int rc = 0;
    if (!is_khmer_mark(cps[j]) && cps[j] != 0x17D2) {
        rc = cps[j] == 0x17B1 ? pupa_buf_printf(b, "[\\x{17B1}\\x{17B2}]") : put_cp(b, cps[j]);
        j++;
    }
    /* The marks as units: a coeng with its consonant, or one sign. */
    size_t first = j, units = 0;
    pupa_buf alt;
    pupa_buf_init(&alt, 1 << 20);
    for (; !rc && j < n && (is_khmer_mark(cps[j]) || cps[j] == 0x17D2); units++) {
        if (units)
            rc = pupa_buf_addc(&alt, '|');
        if (rc)
            break;
        if (cps[j] == 0x17D2 && j + 1 < n && cps[j + 1] >= 0x1780 && cps[j + 1] <= 0x17A2) {
            rc = cps[j + 1] == 0x178F ? pupa_buf_printf(&alt, "\\x{17D2}[\\x{178F}\\x{178A}]")
                                      : pupa_buf_printf(&alt, "\\x{17D2}\\x{%X}", cps[j + 1]);
            j += 2;
        } else {
            rc = put_cp(&alt, cps[j]);
            j++;
        }
    }
    (void)first;
    if (!rc && units)
        rc = pupa_buf_printf(b, "(?:" INSIDE_CLUSTER "(?:%s)){%zu}", alt.data, units);
    pupa_buf_free(&alt);
    *i = j;
    return rc;
}

/* The raw-text pattern of one entry's norm (see the top of the file). */
static int raw_pattern(const char *norm, pupa_buf *b)
{
    size_t len = strlen(norm), n = 0;
    uint32_t *cps = malloc((len + 1) * sizeof *cps);
    if (!cps)
        return pupa_fail(PUPA_ENOMEM, "out of memory");
    for (size_t i = 0; i < len;) {
        size_t k = pupa_utf8_len((const unsigned char *)norm + i, len - i);
        if (!k) {
            free(cps);
            return pupa_fail(PUPA_ELEXICON, "invalid UTF-8 in a normalised entry");
        }
        cps[n++] = pupa_utf8_decode((const unsigned char *)norm + i, k);
        i += k;
    }
    int rc = 0, prev_khmer = 0;
    for (size_t i = 0; !rc && i < n;) {
        uint32_t c = cps[i];
        if (pupa_is_khmer_cp(c)) {
            if (prev_khmer)
                rc = pupa_buf_printf(b, BETWEEN_CLUSTERS);
            if (!rc)
                rc = put_khmer_cluster(b, cps, n, &i);
            prev_khmer = 1;
            continue;
        }
        prev_khmer = 0;
        i++;
        if (c == ' ')
            rc = pupa_buf_printf(b, GAP_SPACE);
        else if (c == '\n')
            rc = pupa_buf_printf(b, GAP_PUNCT);
        else if (c == '\'')
            rc = pupa_buf_printf(b, "['\\x{2019}]");
        else if ((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9'))
            rc = pupa_buf_addc(b, (char)c);
        else
            rc = put_cp(b, c);
    }
    free(cps);
    return rc;
}

int pupa_fast_compile(const pupa_lexicon *lex, hs_database_t **out)
{
    *out = NULL;
    size_t n = pupa_lexicon_nentries(lex);
    if (n == 0)
        return 0;
    for (size_t i = 0; i < n; i++)
        if (pupa_lexicon_entry(lex, (uint32_t)i)->kind == PUPA_ENTRY_REGEX)
            return 0; /* regexes are written for the token stream */
    char **exprs = calloc(n, sizeof *exprs);
    unsigned *flags = calloc(n, sizeof *flags), *ids = calloc(n, sizeof *ids);
    int rc = exprs && flags && ids ? 0 : pupa_fail(PUPA_ENOMEM, "out of memory");
    for (size_t i = 0; !rc && i < n; i++) {
        const pupa_entry *e = pupa_lexicon_entry(lex, (uint32_t)i);
        pupa_buf b;
        pupa_buf_init(&b, 1 << 24);
        rc = raw_pattern(e->norm, &b);
        exprs[i] = b.data;
        flags[i] = HS_FLAG_UTF8 | HS_FLAG_UCP | HS_FLAG_CASELESS | HS_FLAG_SOM_LEFTMOST;
        ids[i] = (unsigned)i;
    }
    if (!rc) {
        hs_compile_error_t *err = NULL;
        if (hs_compile_multi((const char *const *)exprs, flags, ids, (unsigned)n, HS_MODE_BLOCK,
                             NULL, out, &err) != HS_SUCCESS) {
            const pupa_entry *e = err && err->expression >= 0
                                      ? pupa_lexicon_entry(lex, (uint32_t)err->expression)
                                      : NULL;
            rc = e ? pupa_fail(PUPA_ELEXICON, "%s:%u: entry '%s': fast-path pattern: %s", e->file,
                               e->line, e->pattern, err->message)
                   : pupa_fail(PUPA_ELEXICON, "cannot compile the fast-path database: %s",
                               err ? err->message : "unknown Hyperscan error");
            hs_free_compile_error(err);
            *out = NULL;
        }
    }
    for (size_t i = 0; exprs && i < n; i++)
        free(exprs[i]);
    free(exprs);
    free(flags);
    free(ids);
    return rc;
}
