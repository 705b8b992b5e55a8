/*
 * khmer.c: the Khmer spelling-variant fold, pupa_khmer_fold().
 *
 * Real Khmer text spells one word several ways (contracts.md, section 2), and
 * NFC/NFKC fixes none of them.  The tokeniser runs this fold on every token
 * after NFKC case folding, and the lexicon runs it on every entry, so both
 * sides meet in one spelling.  Offsets are not affected: the fold only ever
 * touches the normalised copy.
 *
 * The fold, in one left-to-right pass:
 *  1. coeng-da U+17D2 U+178A -> coeng-ta U+17D2 U+178F (the two look alike and
 *     are typed interchangeably: ម្ដាយ / ម្តាយ "mother");
 *  2. U+17B2 QOO TYPE TWO ឲ -> U+17B1 QOO TYPE ONE ឱ (ឲ្យ / ឱ្យ "to give");
 *  3. the marks of a cluster are put in canonical order.
 *
 * Canonical order (rule 3) follows SIL's khnormal (sillsdev/khmer-character-
 * specification), which implements the cluster structure of Unicode L2/22-290.
 * A cluster is a base (consonant U+1780-U+17A2 or independent vowel
 * U+17A5-U+17B3) and the marks after it; its marks are stably sorted by class:
 *     base
 *     robat               U+17CC
 *     coeng + consonant   U+17D2 C, moved as a pair, in typed order
 *     coeng + ro          U+17D2 U+179A, after the other coeng pairs
 *     register shifters   U+17C9 U+17CA
 *     vowels, pre-base    U+17BE-U+17C5
 *     vowels, below       U+17BB-U+17BD
 *     vowels, above       U+17B7-U+17BA
 *     vowel, post-base    U+17B6
 *     signs               U+17C6 U+17CB U+17CD-U+17D1 U+17D3 U+17DD
 *     final signs         U+17C7 U+17C8
 * (khnormal puts robat right after the base, before the coengs; we do too.)
 * The case that matters in real text: a dependent vowel typed before a coeng
 * sequence ends up after it.  Marks of the same class keep their order.
 *
 * Deliberately not done (khnormal does them, we do not): its rewrites of
 * vowel sequences (U+17C1 U+17B8 -> U+17BE ...), of -u to a register shifter,
 * and removal of doubled coengs.  They change letters, not order, and the
 * contract asks only for the three variants above.
 *
 * Why these choices keep the fold idempotent and never growing:
 *  - both replacements swap one 3-byte character for another, and the sort
 *    only permutes, so the output length always equals the input length;
 *  - a coeng that is not followed by a base (a "dangling" coeng, broken text)
 *    ends the cluster and is passed through in place together with the marks
 *    after it.  If it were sorted, it could land right before the next
 *    cluster's base and turn into a coeng pair on a second pass;
 *  - anything else (non-Khmer, ZWJ/ZWNJ, Khmer punctuation and digits,
 *    invalid UTF-8 bytes) ends the cluster and is copied untouched.
 *
 * out must not overlap in: a cluster is sorted by copying its units from in
 * to out class by class, which needs no scratch memory and no allocation.
 */
#include "internal.h"

#include <string.h>

/* Sort keys; 0 and 1 are not marks. */
enum {
    K_OTHER = 0,  /* ends a cluster */
    K_BASE = 1,   /* starts a cluster */
    K_ROBAT,
    K_COENG,
    K_COENG_RO,
    K_SHIFT,
    K_VPRE,
    K_VB,
    K_VA,
    K_VPOST,
    K_MS,
    K_MF,
    K_NKEYS
};

/* Key of one code point of U+1780-U+17FF, as khnormal classifies it.  A coeng
 * U+17D2 is classified with its consonant in unit_at(). */
static unsigned char cp_key(uint32_t c)
{
    if (c < 0x1780 || c > 0x17FF)
        return K_OTHER;
    if (c <= 0x17A2 || (c >= 0x17A5 && c <= 0x17B3))
        return K_BASE;
    if (c == 0x17B6)
        return K_VPOST;
    if (c >= 0x17B7 && c <= 0x17BA)
        return K_VA;
    if (c >= 0x17BB && c <= 0x17BD)
        return K_VB;
    if (c >= 0x17BE && c <= 0x17C5)
        return K_VPRE;
    if (c == 0x17C6 || c == 0x17CB || (c >= 0x17CD && c <= 0x17D1) || c == 0x17D3 ||
        c == 0x17DD)
        return K_MS;
    if (c == 0x17C7 || c == 0x17C8)
        return K_MF;
    if (c == 0x17C9 || c == 0x17CA)
        return K_SHIFT;
    if (c == 0x17CC)
        return K_ROBAT;
    /* U+17A3 U+17A4 (deprecated), U+17B4 U+17B5 (invisible), U+17D2 alone,
     * punctuation U+17D4-U+17DC and digits: not part of a cluster. */
    return K_OTHER;
}

/* Decodes the code point at s[i] (n = its length, 1 for an invalid byte,
 * which decodes to a value that is never Khmer). */
static uint32_t cp_at(const unsigned char *s, size_t len, size_t i, size_t *n)
{
    if (s[i] < 0x80) {
        *n = 1;
        return s[i];
    }
    size_t k = pupa_utf8_len(s + i, len - i);
    if (k == 0) {
        *n = 1;
        return 0xFFFFFFFFu;
    }
    *n = k;
    return pupa_utf8_decode(s + i, k);
}

/* One unit of a cluster: a code point, or a coeng with its consonant. */
typedef struct unit {
    size_t len;        /* bytes in the input */
    unsigned char key; /* K_* */
} unit;

/* Classifies the unit at s[i]. */
static unit unit_at(const unsigned char *s, size_t len, size_t i)
{
    size_t n;
    uint32_t c = cp_at(s, len, i, &n);
    unit u = {n, cp_key(c)};
    if (c == 0x17D2 && i + n < len) {
        size_t m;
        uint32_t d = cp_at(s, len, i + n, &m);
        if (cp_key(d) == K_BASE) {
            u.len = n + m;
            u.key = d == 0x179A ? K_COENG_RO : K_COENG;
        }
    }
    return u;
}

/* Copies one unit, applying rules 1 and 2.  Every rewritten character is
 * three bytes in and three bytes out. */
static size_t put_unit(const unsigned char *in, size_t n, unsigned char *out)
{
    memcpy(out, in, n);
    /* U+17B2 = E1 9E B2 -> U+17B1 = E1 9E B1 */
    if (n == 3 && in[0] == 0xE1 && in[1] == 0x9E && in[2] == 0xB2)
        out[2] = 0xB1;
    /* U+17D2 U+178A = E1 9F 92 E1 9E 8A -> U+17D2 U+178F = ... E1 9E 8F */
    else if (n == 6 && in[0] == 0xE1 && in[1] == 0x9F && in[2] == 0x92 && in[3] == 0xE1 &&
             in[4] == 0x9E && in[5] == 0x8A)
        out[5] = 0x8F;
    return n;
}

size_t pupa_khmer_fold(const char *in_, size_t len, char *out_)
{
    const unsigned char *in = (const unsigned char *)in_;
    unsigned char *out = (unsigned char *)out_;
    size_t i = 0, o = 0;
    while (i < len) {
        /* Fast skip: bytes that cannot start a Khmer letter are copied as they
         * are.  Khmer U+1780-U+17FF is E1 9E xx / E1 9F xx. */
        if (in[i] != 0xE1) {
            out[o++] = in[i++];
            continue;
        }
        unit u = unit_at(in, len, i);
        if (u.key != K_BASE) {
            /* A mark without a base, a coeng pair without a base, punctuation,
             * or a non-Khmer E1 character: copied (pairs still get rule 1). */
            o += put_unit(in + i, u.len, out + o);
            i += u.len;
            continue;
        }
        /* A cluster: the base, then the marks up to the first non-mark. */
        size_t start = i + u.len, end = start;
        unsigned char prev = K_BASE;
        int sorted = 1;
        while (end < len) {
            unit m = unit_at(in, len, end);
            if (m.key <= K_BASE)
                break;
            if (m.key < prev)
                sorted = 0;
            prev = m.key;
            end += m.len;
        }
        o += put_unit(in + i, u.len, out + o);
        if (sorted) {
            /* The usual case: already canonical. */
            for (size_t j = start; j < end;) {
                unit m = unit_at(in, len, j);
                o += put_unit(in + j, m.len, out + o);
                j += m.len;
            }
        } else {
            /* A stable sort by key without scratch memory: one pass per key
             * over the cluster.  Clusters are a few units long; an absurd one
             * costs K_NKEYS passes, still linear. */
            for (unsigned char k = K_ROBAT; k < K_NKEYS; k++)
                for (size_t j = start; j < end;) {
                    unit m = unit_at(in, len, j);
                    if (m.key == k)
                        o += put_unit(in + j, m.len, out + o);
                    j += m.len;
                }
        }
        i = end;
    }
    return o;
}
