/*
 * fastscan.c: the fast path's view of a segment, and its patterns.
 *
 * The fast path (match.c) runs Hyperscan over a segment before ICU has seen
 * it, and calls ICU only around the candidates.  For its hits to equal those
 * of full tokenisation, every place where the reference finds an entry must
 * be a candidate.  So the segment is first *squeezed*, in one pass, into the
 * form the entries' norms are written in, as far as that can be done without
 * knowing where ICU puts word boundaries:
 *   - a run of white space (and U+200B, and the ignorable U+17B4/U+17B5)
 *     between two Khmer characters is removed, since Khmer tokens are joined
 *     without a separator; elsewhere a run with white space becomes one
 *     space, as the " " separator;
 *   - U+2019 becomes an apostrophe, as in the tokenizer;
 *   - ឲ becomes ឱ and coeng-da coeng-ta, as the tokenizer folds the text
 *     before ICU reads it.
 * Khmer whose marks the fold would reorder is not squeezed: see the end of
 * pupa_fast_squeeze.
 * Case is left to Hyperscan's caseless matching.  A break-point list maps
 * squeezed offsets back to the original bytes.
 *
 * Then an entry's norm is its pattern: a caseless literal, with the start
 * of a match its end minus its length.  Some need a regular expression and
 * start-of-match tracking: norms with a "\n" separator (in text, any run of
 * characters that are neither letters nor digits); norms with letters
 * outside ASCII and Khmer, whose case variants may differ in length; norms
 * where Khmer meets Latin letters or digits, since ICU sometimes keeps the
 * two in one word and sometimes not (the space between them is optional).
 *
 * This is exact only for text the squeeze folds exactly;
 * pupa_fast_squeeze() refuses any other segment, and it is tokenised in
 * full.  ICU then confirms each candidate (match.c), so a loose candidate
 * costs time, never correctness.
 */
#include "scan.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unicode/uchar.h>
#include <unicode/uscript.h>
#include <unicode/unorm2.h>
#include <unicode/ustring.h>

#define GAP_PUNCT "[^\\p{L}\\p{Nd}]+"

/* The safe characters of the Basic Multilingual Plane, one bit each, worked
 * out from ICU once per process:
 *  - characters NFKC_Casefold leaves alone and that never interact with
 *    their neighbours (unorm2_isInert): «, », £, é, most punctuation;
 *  - characters it maps to one inert character that is their simple case
 *    fold (É -> é, A -> a): Hyperscan's caseless UTF-8 matching folds them;
 *  - the Khmer block, whose folds the patterns spell out, and U+200B, which
 *    never stands inside a word.
 * Everything else is unsafe: compatibility forms (½, fullwidth letters),
 * combining marks that could compose, and default ignorables that could
 * vanish from inside a word (U+200C, U+00AD). */
static unsigned char safe_bmp[0x10000 / 8];
static pthread_once_t safe_once = PTHREAD_ONCE_INIT;

/* Where Khmer meets Latin letters or digits, the patterns allow a space or
 * none (script_change), since ICU may or may not break there; other
 * scripts' letters next to each other could break in ways the patterns do
 * not know, so they are left to the full path. */
static int script_is_handled(UChar32 c)
{
    UErrorCode st = U_ZERO_ERROR;
    UScriptCode sc = uscript_getScript(c, &st);
    return U_SUCCESS(st) && (sc == USCRIPT_COMMON || sc == USCRIPT_INHERITED ||
                             sc == USCRIPT_LATIN || sc == USCRIPT_KHMER);
}

static void init_safe_bmp(void)
{
    UErrorCode st = U_ZERO_ERROR;
    const UNormalizer2 *nf = unorm2_getNFKCCasefoldInstance(&st);
    if (U_FAILURE(st))
        return; /* nothing safe: every segment takes the full path */
    for (uint32_t c = 0; c < 0x10000; c++) {
        int safe = 0;
        if ((c >= 0x1780 && c <= 0x17FF) || c == 0x200B) {
            safe = 1;
        } else if (c >= 0xD800 && c <= 0xDFFF) {
            safe = 0;
        } else if (!script_is_handled((UChar32)c)) {
            safe = 0;
        } else if (unorm2_isInert(nf, (UChar32)c)) {
            safe = 1;
        } else {
            UChar in[1] = {(UChar)c}, out[8];
            st = U_ZERO_ERROR;
            int32_t n = unorm2_normalize(nf, in, 1, out, 8, &st);
            /* Not KELVIN SIGN -> k or LONG S -> s: whether Hyperscan folds a
             * non-ASCII letter onto an ASCII one is not worth betting on. */
            safe = U_SUCCESS(st) && n == 1 && !U16_IS_SURROGATE(out[0]) &&
                   unorm2_isInert(nf, out[0]) &&
                   (UChar32)out[0] == u_foldCase((UChar32)c, U_FOLD_CASE_DEFAULT) &&
                   (c < 0x80 || out[0] >= 0x80);
        }
        if (safe)
            safe_bmp[c >> 3] |= (unsigned char)(1u << (c & 7));
    }
}

static int is_safe(uint32_t c)
{
    return c < 0x10000 && (safe_bmp[c >> 3] & (1u << (c & 7)));
}

static int is_khmer_letter(uint32_t c)
{
    return c >= 0x1780 && c <= 0x17FF && c != 0x17B4 && c != 0x17B5;
}

/* Notes that squeezed offset raw.len maps back to in.  Only a change of
 * the offset difference needs a break (pupa_squeeze_to_raw carries the
 * last one's forward): a single space kept as one space needs none.  The
 * first break, {0, 0}, is always there. */
static inline int add_break(pupa_squeeze *sq, size_t in)
{
    const pupa_squeeze_break *last = &sq->brk[sq->nbrk - 1];
    if ((uint64_t)last->in + sq->raw.len == (uint64_t)in + last->out)
        return 0;
    if (sq->nbrk == sq->brk_cap &&
        pupa_grow(&sq->brk, &sq->brk_cap, sq->nbrk + 1, sizeof *sq->brk))
        return -1;
    sq->brk[sq->nbrk++] = (pupa_squeeze_break){(uint32_t)sq->raw.len, (uint32_t)in};
    return 0;
}

/* Whether the spaces among the 8 ASCII bytes in w (first byte lowest)
 * stand alone, and the last byte is not one. */
static inline int single_spaces(uint64_t w)
{
    const uint64_t low7 = 0x7F7F7F7F7F7F7F7Full;
    uint64_t t = w ^ 0x2020202020202020ull; /* a space's byte is now 0 */
    uint64_t space = ~(((t & low7) + low7) | t | low7); /* its high bit set */
    return !(space & (space << 8)) && !(space >> 63);
}

/* The code point at p and its length; 0 length for invalid UTF-8. */
static uint32_t next_cp(const unsigned char *p, size_t avail, size_t *n)
{
    *n = pupa_utf8_len(p, avail);
    return *n ? pupa_utf8_decode(p, *n) : 0;
}

void pupa_fast_ready(void)
{
    pthread_once(&safe_once, init_safe_bmp);
}

int pupa_fast_squeeze(pupa_squeeze *sq, const char *text, size_t len)
{
    pupa_fast_ready();
    const unsigned char *p = (const unsigned char *)text;
    sq->raw.len = 0;
    sq->nbrk = 0;
    sq->text = "";
    sq->len = 0;
    if (len > PUPA_MAX_SEGMENT_BYTES || pupa_buf_reserve(&sq->raw, len) ||
        pupa_grow(&sq->brk, &sq->brk_cap, 1, sizeof *sq->brk))
        return -1;
    sq->brk[sq->nbrk++] = (pupa_squeeze_break){0, 0};
    int prev_khmer = 0;
    for (size_t i = 0; i < len;) {
        /* Eight ASCII bytes at a time, printable or single spaces, the last
         * not a space: most of English text, which the squeeze keeps as it
         * is (a single space stays one space, and after an ASCII byte it
         * never joins Khmer). */
        uint64_t w;
        while (i + 8 <= len && (memcpy(&w, p + i, 8), !(w & 0x8080808080808080ull)) &&
               !pupa_has_byte_below(w, 0x20) && single_spaces(w)) {
            memcpy(sq->raw.data + sq->raw.len, &w, 8);
            sq->raw.len += 8;
            prev_khmer = 0;
            i += 8;
        }
        if (i >= len)
            break;
        unsigned char c = p[i];
        if (c < 0x80 && c != ' ' && (c < '\t' || c > '\r')) {
            sq->raw.data[sq->raw.len++] = (char)c;
            prev_khmer = 0;
            i++;
            continue;
        }
        /* Khmer letters, the bulk of Khmer text, decoded in place. */
        int x = c == 0xE1 ? pupa_khmer_index(p + i, len - i) : -1;
        if (x >= 0) {
            uint32_t k = 0x1780u + (uint32_t)x;
            if (k != 0x17B4 && k != 0x17B5) {
                char *o = sq->raw.data + sq->raw.len;
                memcpy(o, p + i, 3);
                /* The Khmer fold's substitutions, as the tokenizer makes
                 * them before ICU: ឲ -> ឱ, and coeng-da -> coeng-ta where
                 * the coeng stands right before it in the text. */
                if (k == 0x17B2)
                    o[2] = (char)0xB1;
                else if (k == 0x178A && i >= 3 && memcmp(p + i - 3, "\xE1\x9F\x92", 3) == 0)
                    o[2] = (char)0x8F;
                sq->raw.len += 3;
                prev_khmer = 1;
                i += 3;
                continue;
            }
        }
        size_t n = 1;
        uint32_t cp = c < 0x80 ? c : next_cp(p + i, len - i, &n);
        if (n == 0 || !is_safe(cp))
            return 0;
        int gap = c < 0x80 || cp == 0x200B || cp == 0x17B4 || cp == 0x17B5;
        if (gap) {
            /* A run of white space and invisible characters. */
            size_t j = i;
            int space = 0;
            while (j < len) {
                uint32_t d = p[j] < 0x80 ? p[j] : next_cp(p + j, len - j, &n);
                if (p[j] < 0x80)
                    n = 1;
                if (n == 0)
                    return 0;
                if (d == ' ' || (d >= '\t' && d <= '\r') || d == 0x200B)
                    space = 1;
                else if (d != 0x17B4 && d != 0x17B5)
                    break;
                j += n;
            }
            size_t m = 1;
            uint32_t next = j < len ? next_cp(p + j, len - j, &m) : 0;
            int join = prev_khmer && is_khmer_letter(next);
            if (space && !join) {
                if (add_break(sq, i))
                    return -1;
                sq->raw.data[sq->raw.len++] = ' ';
                }
            if (add_break(sq, j))
                return -1;
            i = j;
            prev_khmer = join;
            continue;
        }
        if (cp == 0x2019) {
            if (add_break(sq, i))
                return -1;
            sq->raw.data[sq->raw.len++] = '\'';
            if (add_break(sq, i + n))
                return -1;
            prev_khmer = 0;
            i += n;
            continue;
        }
        memcpy(sq->raw.data + sq->raw.len, p + i, n);
        sq->raw.len += n;
        prev_khmer = is_khmer_letter(cp);
        i += n;
    }
    /* The tokenizer reorders Khmer marks in the original text, where white
     * space still parts clusters that the squeeze has joined, so reordering
     * the squeezed text could move what the reference leaves.  Text whose
     * marks need reordering takes the full path instead; text that does not
     * is left as it is by the tokenizer's fold too, since its clusters are
     * pieces of the squeezed text's (the squeeze only removes white space
     * and ignorables, which NFKC drops from a token anyway). */
    if (pupa_khmer_fold_changes(sq->raw.data, sq->raw.len, 1))
        return 0;
    sq->raw.data[sq->raw.len] = '\0';
    sq->text = sq->raw.data;
    sq->len = sq->raw.len;
    return 1;
}

uint32_t pupa_squeeze_to_raw(const pupa_squeeze *sq, uint32_t off)
{
    size_t lo = 0, hi = sq->nbrk;
    while (hi - lo > 1) {
        size_t mid = (lo + hi) / 2;
        if (sq->brk[mid].out <= off)
            lo = mid;
        else
            hi = mid;
    }
    return sq->brk[lo].in + (off - sq->brk[lo].out);
}

void pupa_squeeze_free(pupa_squeeze *sq)
{
    pupa_buf_free(&sq->raw);
    free(sq->brk);
    memset(sq, 0, sizeof *sq);
}

/* Which side of a script change a character is on: ICU sometimes keeps
 * Latin letters or digits and Khmer in one word ("Mayប្រហែល") and sometimes
 * not, so a norm's " " between them, or its lack, is not knowable from the
 * text alone. */
enum { SIDE_NONE, SIDE_KHMER, SIDE_LATIN };
static int side_of(uint32_t c)
{
    if (c >= 0x1780 && c <= 0x17FF)
        return SIDE_KHMER;
    if (c < 0x80)
        return ((c | 0x20) >= 'a' && (c | 0x20) <= 'z') || (c >= '0' && c <= '9') ? SIDE_LATIN
                                                                                  : SIDE_NONE;
    return u_isalnum((UChar32)c) ? SIDE_LATIN : SIDE_NONE;
}

/* A point between Khmer and Latin, with or without a " " separator, or a
 * " " between two Khmer letters.  At
 * index i of cps (n of them): returns how many code points the point takes
 * (1 for a separator, 0 for none) or -1 if there is none at i. */
static int script_change(const uint32_t *cps, size_t n, size_t i)
{
    if (i == 0 || i >= n)
        return -1;
    int a = side_of(cps[i - 1]);
    if (cps[i] == ' ' && i + 1 < n) {
        /* Also Khmer on both sides: the separator follows the script of a
         * token's first letter, so "Tប៉ូលី" + "សបា" gives "tប៉ូលី សបា". */
        int b = side_of(cps[i + 1]);
        return a != SIDE_NONE && b != SIDE_NONE && (a == SIDE_KHMER || b == SIDE_KHMER) ? 1 : -1;
    }
    int b = side_of(cps[i]);
    return a != SIDE_NONE && b != SIDE_NONE && a != b ? 0 : -1;
}

static uint32_t *decode_all(const char *norm, size_t *n)
{
    size_t len = strlen(norm);
    uint32_t *cps = malloc((len + 1) * sizeof *cps);
    *n = 0;
    for (size_t i = 0; cps && i < len;) {
        size_t k;
        uint32_t c = next_cp((const unsigned char *)norm + i, len - i, &k);
        cps[(*n)++] = k ? c : 0xFFFD;
        i += k ? k : 1;
    }
    return cps;
}

/* Does the entry need a regular expression and start-of-match tracking? */
static int needs_som(const uint32_t *cps, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        uint32_t c = cps[i];
        if (c == '\n' || (c >= 0x80 && !(c >= 0x1780 && c <= 0x17FF)) ||
            script_change(cps, n, i) >= 0)
            return 1;
    }
    return 0;
}

/* The regular expression of a norm that needs one (see the top). */
static char *som_expression(const uint32_t *cps, size_t n)
{
    pupa_buf b;
    pupa_buf_init(&b, 1 << 24);
    int rc = 0;
    for (size_t i = 0; !rc && i < n; i++) {
        uint32_t c = cps[i];
        int change = script_change(cps, n, i);
        if (change >= 0)
            rc = pupa_buf_printf(&b, "\\x20?");
        if (rc || change == 1)
            continue; /* the separator itself is the optional space */
        if (c == '\n')
            rc = pupa_buf_printf(&b, GAP_PUNCT);
        else
            rc = pupa_buf_printf(&b, "\\x{%X}", c);
    }
    if (rc) {
        pupa_buf_free(&b);
        return NULL;
    }
    return b.data;
}

int pupa_fast_compile(const pupa_lexicon *lex, hs_database_t **out, uint32_t *som)
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
    size_t total = n;
    n = 0;
    for (size_t k = 0; !rc && k < total; k++) {
        const pupa_entry *e = pupa_lexicon_entry(lex, (uint32_t)k);
        if (e->kind == PUPA_ENTRY_RULE)
            continue; /* evaluated from hits (rules.c), never scanned */
        size_t i = n++;
        size_t ncp;
        uint32_t *cps = decode_all(e->norm, &ncp);
        if (!cps) {
            rc = pupa_fail(PUPA_ENOMEM, "out of memory");
            break;
        }
        som[k] = (uint32_t)needs_som(cps, ncp);
        exprs[i] = som[k] ? som_expression(cps, ncp) : pupa_literal_expression(e->norm);
        free(cps);
        flags[i] = HS_FLAG_CASELESS | (som[k] ? HS_FLAG_UTF8 | HS_FLAG_SOM_LEFTMOST : 0);
        ids[i] = (unsigned)k;
        if (!exprs[i])
            rc = pupa_fail(PUPA_ENOMEM, "out of memory");
    }
    if (!rc && n)
        rc = pupa_lexicon_compile_db(lex, exprs, flags, ids, n, out, "fast-path pattern: ",
                                     "fast-path database");
    for (size_t i = 0; exprs && i < n; i++)
        free(exprs[i]);
    free(exprs);
    free(flags);
    free(ids);
    return rc;
}
