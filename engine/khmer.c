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
    K_OTHER = 0, /* ends a cluster */
    K_BASE = 1,  /* starts a cluster */
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

/* Key of each code point U+1780-U+17FF, as khnormal classifies them.  Not
 * part of a cluster (__): U+17A3 U+17A4 (deprecated), U+17B4 U+17B5
 * (invisible), coeng U+17D2 on its own (unit_at() pairs it with its
 * consonant), punctuation U+17D4-U+17DC, digits and the rest. */
#define B K_BASE
#define RB K_ROBAT
#define SH K_SHIFT
#define VR K_VPRE
#define VB K_VB
#define VA K_VA
#define VP K_VPOST
#define MS K_MS
#define MF K_MF
#define __ K_OTHER
static const unsigned char khmer_key[128] = {
    /* 1780 */ B, B, B, B, B, B, B, B, B, B, B, B, B, B, B, B,
    /* 1790 */ B, B, B, B, B, B, B, B, B, B, B, B, B, B, B, B,
    /* 17A0 */ B, B, B, __, __, B, B, B, B, B, B, B, B, B, B, B,
    /* 17B0 */ B, B, B, B, __, __, VP, VA, VA, VA, VA, VB, VB, VB, VR, VR,
    /* 17C0 */ VR, VR, VR, VR, VR, VR, MS, MF, MF, SH, SH, MS, RB, MS, MS, MS,
    /* 17D0 */ MS, MS, __, MS, __, __, __, __, __, __, __, __, __, MS, __, __,
    /* 17E0 */ __, __, __, __, __, __, __, __, __, __, __, __, __, __, __, __,
    /* 17F0 */ __, __, __, __, __, __, __, __, __, __, __, __, __, __, __, __,
};
#undef B
#undef RB
#undef SH
#undef VR
#undef VB
#undef VA
#undef VP
#undef MS
#undef MF
#undef __

/* One unit of a cluster: a code point, or a coeng with its consonant. */
typedef struct unit {
    size_t len;              /* bytes in the input */
    unsigned char key;       /* K_* */
    unsigned char rewritten; /* rules 1 and 2 change it (see put_unit) */
} unit;

/* Classifies the unit at s[i] (i < len).  Non-Khmer text is one K_OTHER
 * unit per code point; an invalid byte is a unit of its own. */
static inline unit unit_at(const unsigned char *s, size_t len, size_t i)
{
    int k = pupa_khmer_index(s + i, len - i);
    if (k < 0) {
        size_t n = s[i] < 0x80 ? 1 : pupa_utf8_len(s + i, len - i);
        return (unit){n ? n : 1, K_OTHER, 0};
    }
    if (k == 0x52) { /* U+17D2 coeng */
        int c = pupa_khmer_index(s + i + 3, len - i - 3);
        if (c >= 0 && khmer_key[c] == K_BASE) /* coeng-da (U+178A) is rewritten */
            return (unit){6, c == 0x1A ? K_COENG_RO : K_COENG, c == 0x0A};
    }
    return (unit){3, khmer_key[k], k == 0x32}; /* U+17B2 is rewritten */
}

/* Copies one unit, applying rules 1 and 2.  Every rewritten character is
 * three bytes in and three bytes out: U+17B2 = E1 9E B2 becomes U+17B1 =
 * E1 9E B1, and U+17D2 U+178A = E1 9F 92 E1 9E 8A becomes U+17D2 U+178F,
 * ... E1 9E 8F; either way only the last byte changes. */
static inline size_t put_unit(const unsigned char *in, unit u, unsigned char *out)
{
    memcpy(out, in, u.len);
    if (u.rewritten)
        out[u.len - 1] = u.len == 3 ? 0xB1 : 0x8F;
    return u.len;
}

size_t pupa_khmer_fold(const char *in_, size_t len, char *out_)
{
    const unsigned char *in = (const unsigned char *)in_;
    unsigned char *out = (unsigned char *)out_;
    size_t i = 0, o = 0;
    while (i < len) {
        /* Bytes that cannot start a Khmer character are copied as they are:
         * Khmer U+1780-U+17FF is E1 9E xx / E1 9F xx. */
        if (in[i] != 0xE1) {
            const unsigned char *next = memchr(in + i, 0xE1, len - i);
            size_t n = next ? (size_t)(next - in) - i : len - i;
            memcpy(out + o, in + i, n);
            o += n;
            i += n;
            continue;
        }
        unit u = unit_at(in, len, i);
        o += put_unit(in + i, u, out + o);
        i += u.len;
        if (u.key != K_BASE)
            continue; /* not a cluster: a mark or pair without a base,
                         punctuation, another E1 character, a stray byte */
        /* A cluster: the base, then its marks up to the first non-mark.
         * Copied as they come, which is right when they are already in
         * canonical order (nearly always). */
        size_t start = i, ostart = o;
        unsigned char prev = K_BASE;
        int sorted = 1;
        while (i < len) {
            unit m = unit_at(in, len, i);
            if (m.key <= K_BASE)
                break;
            if (m.key < prev)
                sorted = 0;
            prev = m.key;
            o += put_unit(in + i, m, out + o);
            i += m.len;
        }
        if (sorted)
            continue;
        /* Out of order: write the marks again, stably sorted by key without
         * scratch memory, one pass per key over the cluster.  Clusters are a
         * few units long; an absurd one costs K_NKEYS passes, still linear. */
        o = ostart;
        for (unsigned char k = K_ROBAT; k < K_NKEYS; k++)
            for (size_t j = start; j < i;) {
                unit m = unit_at(in, len, j);
                if (m.key == k)
                    o += put_unit(in + j, m, out + o);
                j += m.len;
            }
    }
    return o;
}

/* Where the fold first changes in[0, len): the start of the unit, or of
 * the cluster, it changes first; len when it changes nothing.  The fold of
 * what follows that point is the fold of the whole text from there, as the
 * fold never looks back past a cluster's start. */
static size_t first_change(const unsigned char *in, size_t len, int order_only)
{
    size_t cluster = 0; /* where the cluster being read starts */
    unsigned char last = K_OTHER; /* its last unit's key; K_OTHER: no cluster */
    for (size_t i = 0; i < len;) {
        if (in[i] != 0xE1) {
            /* Every Khmer character starts with E1: skip to the next one. */
            const unsigned char *next = memchr(in + i, 0xE1, len - i);
            if (!next)
                break;
            i = (size_t)(next - in);
            last = K_OTHER;
            continue;
        }
        unit u = unit_at(in, len, i);
        if (u.key > K_BASE && last != K_OTHER) { /* a mark of the cluster */
            if (u.key < last || (!order_only && u.rewritten))
                return cluster;
            last = u.key;
        } else {
            if (!order_only && u.rewritten)
                return i;
            /* A base starts a cluster.  ICU may cut a token right after a
             * coeng, making the consonant of a leading coeng pair a base of
             * its own: with order_only, check what follows one too. */
            cluster = i;
            last = u.key == K_BASE ||
                           (order_only && (u.key == K_COENG || u.key == K_COENG_RO))
                       ? K_BASE
                       : K_OTHER;
        }
        i += u.len;
    }
    return len;
}

int pupa_khmer_fold_changes(const char *in, size_t len, int order_only)
{
    return first_change((const unsigned char *)in, len, order_only) < len;
}

size_t pupa_khmer_fold_from(const char *in, size_t len)
{
    return first_change((const unsigned char *)in, len, 0);
}
