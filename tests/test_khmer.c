/*
 * test_khmer.c: the Khmer variant fold (engine/khmer.c).
 *
 * Each rule on explicit code points, the contract's variant pairs, then the
 * properties the matcher relies on (never grows, idempotent, non-Khmer bytes
 * untouched, and pupa_khmer_fold_from's point: the fold keeps what is before
 * it and folding from it gives the rest) over random strings and every line of the shared Khmer corpora.
 * The corpus part is skipped (77) when the corpora are absent, after the rest
 * has run.
 */
#include "check.h"
#include "internal.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>


/* fold(in) == want, both given as code points; also checks idempotence. */
#define FOLDS_TO(in, want) folds_to(__LINE__, in, want)
static void folds_to(int line, const uint32_t *in, const uint32_t *want)
{
    char a[256], w[256], o[256], o2[256];
    size_t na = utf8_encode(a, in), nw = utf8_encode(w, want);
    size_t no = pupa_khmer_fold(a, na, o);
    if (no != nw || memcmp(o, w, nw) != 0) {
        fprintf(stderr, "%s:%d: fold gave", __FILE__, line);
        for (size_t i = 0; i < no; i++)
            fprintf(stderr, " %02x", (unsigned char)o[i]);
        fprintf(stderr, ", want");
        for (size_t i = 0; i < nw; i++)
            fprintf(stderr, " %02x", (unsigned char)w[i]);
        fprintf(stderr, "\n");
        check_failures++;
    }
    size_t no2 = pupa_khmer_fold(o, no, o2);
    CHECK(no2 == no && memcmp(o, o2, no) == 0);
}

/* Same fold for two UTF-8 strings. */
static int fold_equal(const char *x, const char *y)
{
    char fx[256], fy[256];
    size_t nx = pupa_khmer_fold(x, strlen(x), fx);
    size_t ny = pupa_khmer_fold(y, strlen(y), fy);
    return nx == ny && memcmp(fx, fy, nx) == 0;
}

static void test_rules(void)
{
    /* 1: coeng-da -> coeng-ta, anywhere; plain da stays. */
    FOLDS_TO(((uint32_t[]){0x1798, 0x17D2, 0x178A, 0x17B6, 0x1799, 0}),
             ((uint32_t[]){0x1798, 0x17D2, 0x178F, 0x17B6, 0x1799, 0}));
    FOLDS_TO(((uint32_t[]){0x178A, 0x17B6, 0}), ((uint32_t[]){0x178A, 0x17B6, 0}));
    FOLDS_TO(((uint32_t[]){0x17D2, 0x178A, 0}), ((uint32_t[]){0x17D2, 0x178F, 0}));
    /* 2: QOO TYPE TWO -> QOO TYPE ONE. */
    FOLDS_TO(((uint32_t[]){0x17B2, 0x17D2, 0x1799, 0}),
             ((uint32_t[]){0x17B1, 0x17D2, 0x1799, 0}));
    FOLDS_TO(((uint32_t[]){'x', 0x17B2, 0}), ((uint32_t[]){'x', 0x17B1, 0}));
    /* 3: a vowel typed before the coeng sequence goes after it:
     * ស ី ្ ត ្ រ -> ស្ត្រី (woman). */
    FOLDS_TO(((uint32_t[]){0x179F, 0x17B8, 0x17D2, 0x178F, 0x17D2, 0x179A, 0}),
             ((uint32_t[]){0x179F, 0x17D2, 0x178F, 0x17D2, 0x179A, 0x17B8, 0}));
    /* ... with coeng-da, both rules at once. */
    FOLDS_TO(((uint32_t[]){0x1798, 0x17B6, 0x17D2, 0x178A, 0x1799, 0}),
             ((uint32_t[]){0x1798, 0x17D2, 0x178F, 0x17B6, 0x1799, 0}));
    /* coeng-ro after the other coengs. */
    FOLDS_TO(((uint32_t[]){0x179F, 0x17D2, 0x179A, 0x17D2, 0x178F, 0x17B8, 0}),
             ((uint32_t[]){0x179F, 0x17D2, 0x178F, 0x17D2, 0x179A, 0x17B8, 0}));
    /* Two non-ro coengs keep their typed order. */
    FOLDS_TO(((uint32_t[]){0x179F, 0x17D2, 0x1780, 0x17D2, 0x1781, 0}),
             ((uint32_t[]){0x179F, 0x17D2, 0x1780, 0x17D2, 0x1781, 0}));
    /* Register shifter after coengs, before the vowel: ប៊ី typed ប ី ៊. */
    FOLDS_TO(((uint32_t[]){0x1794, 0x17B8, 0x17CA, 0}), ((uint32_t[]){0x1794, 0x17CA, 0x17B8, 0}));
    FOLDS_TO(((uint32_t[]){0x1794, 0x17C9, 0x17D2, 0x1799, 0}),
             ((uint32_t[]){0x1794, 0x17D2, 0x1799, 0x17C9, 0}));
    /* Robat right after the base (khnormal's order). */
    FOLDS_TO(((uint32_t[]){0x1780, 0x17D2, 0x1781, 0x17CC, 0}),
             ((uint32_t[]){0x1780, 0x17CC, 0x17D2, 0x1781, 0}));
    /* Vowel before sign: ា ំ typed ំ ា. */
    FOLDS_TO(((uint32_t[]){0x1780, 0x17C6, 0x17B6, 0}), ((uint32_t[]){0x1780, 0x17B6, 0x17C6, 0}));
    /* Final signs last: reahmuk after nikahit. */
    FOLDS_TO(((uint32_t[]){0x1780, 0x17C7, 0x17C6, 0}), ((uint32_t[]){0x1780, 0x17C6, 0x17C7, 0}));
    /* Vowel classes by khnormal: pre < below < above < post. */
    FOLDS_TO(((uint32_t[]){0x1780, 0x17B6, 0x17B7, 0x17BB, 0x17C1, 0}),
             ((uint32_t[]){0x1780, 0x17C1, 0x17BB, 0x17B7, 0x17B6, 0}));
    /* Clusters are separate: marks never cross a base. */
    FOLDS_TO(((uint32_t[]){0x1780, 0x17B6, 0x1781, 0x17D2, 0x1782, 0}),
             ((uint32_t[]){0x1780, 0x17B6, 0x1781, 0x17D2, 0x1782, 0}));
    /* Marks without a base are left alone. */
    FOLDS_TO(((uint32_t[]){0x17B8, 0x17D2, 0x1780, 0}), ((uint32_t[]){0x17B8, 0x17D2, 0x1780, 0}));
    FOLDS_TO(((uint32_t[]){' ', 0x17C6, 0x17B6, 0}), ((uint32_t[]){' ', 0x17C6, 0x17B6, 0}));
    /* A dangling coeng (no consonant after it) ends the cluster and stays. */
    FOLDS_TO(((uint32_t[]){0x1780, 0x17CC, 0x17D2, 0x1781, 0}),
             ((uint32_t[]){0x1780, 0x17CC, 0x17D2, 0x1781, 0}));
    FOLDS_TO(((uint32_t[]){0x1780, 0x17D2, 0x17B6, 0x1781, 0}),
             ((uint32_t[]){0x1780, 0x17D2, 0x17B6, 0x1781, 0}));
    FOLDS_TO(((uint32_t[]){0x1780, 0x17B6, 0x17D2, 0}), ((uint32_t[]){0x1780, 0x17B6, 0x17D2, 0}));
    /* Punctuation, ZWSP, ZWJ and Latin end a cluster. */
    FOLDS_TO(((uint32_t[]){0x1780, 0x17D4, 0x17B6, 0x17D2, 0x1781, 0}),
             ((uint32_t[]){0x1780, 0x17D4, 0x17B6, 0x17D2, 0x1781, 0}));
    FOLDS_TO(((uint32_t[]){0x1780, 0x200D, 0x17B6, 0x17D2, 0x1781, 0}),
             ((uint32_t[]){0x1780, 0x200D, 0x17B6, 0x17D2, 0x1781, 0}));
    /* Non-Khmer text is untouched, including other E1 xx xx characters. */
    FOLDS_TO(((uint32_t[]){'a', 0xE9, 0x1E00, 0x1F600, 0x2019, 0}),
             ((uint32_t[]){'a', 0xE9, 0x1E00, 0x1F600, 0x2019, 0}));
    /* Khmer digits and symbols U+19E0.. are untouched. */
    FOLDS_TO(((uint32_t[]){0x17E1, 0x17E2, 0x19E0, 0}), ((uint32_t[]){0x17E1, 0x17E2, 0x19E0, 0}));

    /* The contract's counted variants. */
    CHECK(fold_equal("ម្តាយ", "ម្ដាយ"));
    CHECK(fold_equal("ឲ្យ", "ឱ្យ"));
    CHECK(!fold_equal("ម្តាយ", "ម្តាយ។"));

    /* Invalid UTF-8 bytes are copied as they are. */
    const char bad[] = "\xE1\x9E\xE1\x9F\x92\xff\xE1";
    char o[16];
    size_t n = pupa_khmer_fold(bad, sizeof bad - 1, o);
    CHECK(n == sizeof bad - 1 && memcmp(o, bad, n) == 0);
    CHECK_EQ_INT(pupa_khmer_fold("", 0, o), 0);
}

/* Checks the properties on one string: no growth, idempotence, bytes outside
 * the Khmer block kept in order. */
static long prop_changed;
static void check_props(const char *s, size_t n, char *b1, char *b2)
{
    size_t n1 = pupa_khmer_fold(s, n, b1);
    CHECK(n1 <= n);
    CHECK_EQ_INT(n1, n); /* our rules are permutations and same-size swaps */
    size_t n2 = pupa_khmer_fold(b1, n1, b2);
    if (n2 != n1 || memcmp(b1, b2, n1) != 0) {
        fprintf(stderr, "not idempotent on:");
        for (size_t i = 0; i < n && i < 64; i++)
            fprintf(stderr, " %02x", (unsigned char)s[i]);
        fprintf(stderr, "\n");
        check_failures++;
    }
    if (n1 != n || memcmp(s, b1, n) != 0)
        prop_changed++;
    /* pupa_khmer_fold_from: the fold keeps what comes before that point,
     * and folding from there gives the rest; it is n only when the fold
     * changes nothing. */
    size_t from = pupa_khmer_fold_from(s, n);
    CHECK(from <= n);
    CHECK_EQ_INT(from < n, n1 != n || memcmp(s, b1, n) != 0);
    CHECK_EQ_INT(from < n, pupa_khmer_fold_changes(s, n, 0));
    if (from < n && n1 == n) {
        CHECK(memcmp(s, b1, from) == 0);
        CHECK_EQ_INT(pupa_khmer_fold(s + from, n - from, b2), n - from);
        CHECK(memcmp(b2, b1 + from, n - from) == 0);
    }
    /* Every byte that is not part of an E1 9E/9F xx sequence keeps its place
     * relative to the others: compare the texts with Khmer letters removed. */
    size_t i = 0, j = 0;
    while (i < n || j < n1) {
        while (i + 2 < n && (unsigned char)s[i] == 0xE1 &&
               ((unsigned char)s[i + 1] == 0x9E || (unsigned char)s[i + 1] == 0x9F) &&
               ((unsigned char)s[i + 2] & 0xC0) == 0x80)
            i += 3;
        while (j + 2 < n1 && (unsigned char)b1[j] == 0xE1 &&
               ((unsigned char)b1[j + 1] == 0x9E || (unsigned char)b1[j + 1] == 0x9F) &&
               ((unsigned char)b1[j + 2] & 0xC0) == 0x80)
            j += 3;
        if (i >= n || j >= n1) {
            CHECK(i >= n && j >= n1);
            break;
        }
        if (s[i] != b1[j]) {
            CHECK(s[i] == b1[j]);
            break;
        }
        i++;
        j++;
    }
}

static uint64_t rng = 0x9E3779B97F4A7C15ull;
static uint32_t rnd(void)
{
    rng ^= rng << 13;
    rng ^= rng >> 7;
    rng ^= rng << 17;
    return (uint32_t)(rng >> 11);
}

static void test_random(void)
{
    /* Random sequences drawn mostly from the Khmer block, with a few spaces,
     * ZWSP, Latin letters and stray bytes: the fold's worst inputs. */
    static const uint32_t extra[] = {' ', 'a', 0x200B, 0x200D, 0xE9, 0x1E00};
    char s[512], b1[512], b2[512];
    uint32_t cps[101];
    for (int iter = 0; iter < 100000; iter++) {
        int k = (int)(rnd() % 100);
        for (int i = 0; i < k; i++) {
            uint32_t r = rnd() % 100;
            if (r < 30)
                cps[i] = 0x17D2; /* many coengs */
            else if (r < 92)
                cps[i] = 0x1780 + rnd() % 0x80;
            else
                cps[i] = extra[rnd() % (sizeof extra / sizeof extra[0])];
        }
        cps[k] = 0;
        size_t n = utf8_encode(s, cps);
        if (iter % 10 == 0 && n) /* a stray byte */
            s[rnd() % n] = (char)(rnd() & 0xFF);
        check_props(s, n, b1, b2);
    }
}


/* Is s[0..3) the Khmer code point range [lo, hi]? */
static int is_cp(const unsigned char *s, uint32_t lo, uint32_t hi)
{
    if (s[0] != 0xE1 || (s[1] != 0x9E && s[1] != 0x9F) || (s[2] & 0xC0) != 0x80)
        return 0;
    uint32_t c = 0x1780 + (((uint32_t)s[1] - 0x9E) << 6) + (s[2] & 0x3F);
    return c >= lo && c <= hi;
}

/* Consonant, dependent vowel, coeng, consonant: a vowel typed before a
 * coeng sequence. */
static long count_vowel_before_coeng(const char *s, size_t n)
{
    long c = 0;
    const unsigned char *u = (const unsigned char *)s;
    for (size_t i = 0; i + 12 <= n; i++)
        if (is_cp(u + i, 0x1780, 0x17A2) && is_cp(u + i + 3, 0x17B6, 0x17C5) &&
            is_cp(u + i + 6, 0x17D2, 0x17D2) && is_cp(u + i + 9, 0x1780, 0x17A2))
            c++;
    return c;
}

static void test_corpus(const char *dir, const char *rel)
{
    size_t len;
    char *text = slurp_corpus(dir, rel, &len);
    if (!text)
        return;
    char *b1 = malloc(len + 1), *b2 = malloc(len + 1);
    long lines = 0, before = 0, after = 0;
    prop_changed = 0;
    for (size_t i = 0; i < len;) {
        const char *nl = memchr(text + i, '\n', len - i);
        size_t e = nl ? (size_t)(nl - text) : len;
        check_props(text + i, e - i, b1, b2);
        before += count_vowel_before_coeng(text + i, e - i);
        size_t n1 = pupa_khmer_fold(text + i, e - i, b1);
        after += count_vowel_before_coeng(b1, n1);
        lines++;
        i = e + 1;
    }
    /* The whole file in one go, too: lines do not change the result. */
    check_props(text, len, b1, b2);
    printf("%s: %ld lines, %ld changed by the fold; vowel before coeng: %ld -> %ld\n", rel,
           lines, prop_changed, before, after);
    CHECK_EQ_INT(after, 0);
    free(b1);
    free(b2);
    free(text);
}

int main(int argc, char **argv)
{
    test_rules();
    test_random();
    require_corpora(argc > 1 ? argv[1] : NULL);
    test_corpus(argv[1], "khmer-news/news-1000.txt");
    test_corpus(argv[1], "ntrex/newstest2019-ref.khm.txt");
    test_corpus(argv[1], "udhr/udhr_khm.md");
    test_corpus(argv[1], "khpos/raw.txt");
    return check_result();
}
