/*
 * test_khmerbreak.c: the Khmer engine (khmerbreak.c) against ICU.
 *
 * The engine must put ICU's boundaries inside every plain Khmer segment,
 * and the tokenizer that hands plain segments to it and the rest to ICU
 * must give the token stream ICU gives for the whole text.  Three kinds of
 * text:
 *  - generated: random strings over Khmer letters, marks, separators,
 *    digits, Latin letters and the characters that join or break words
 *    oddly (. : ' , ZWJ ZWNJ U+200B ...), and real words of the sample
 *    corpus strung together, cut and mutated, so the dictionary's long
 *    paths, its near misses and the resynchronisation are all walked;
 *  - every line of the Khmer shared corpora (skipped when absent);
 *  - each plain segment of those (Khmer letters and digits between
 *    separators), broken by the engine alone and by ICU alone.
 */
#include "check.h"
#include "internal.h"

#include <unicode/ubrk.h>
#include <unicode/utext.h>

static pupa_tokenizer *with_engine, *icu_only;
static UBreakIterator *bi;
static long texts, differ, segments, segment_chars, segments_differ;

/* The same text through both tokenizers. */
static void compare_text(const char *s, size_t n, const char *where)
{
    pupa_tokens a, b;
    int ra = pupa_tokenize(with_engine, s, n, &a);
    int rb = pupa_tokenize(icu_only, s, n, &b);
    CHECK_EQ_INT(ra, rb);
    texts++;
    if (ra == 0 && rb == 0 && !tokens_equal(&a, &b)) {
        if (differ++ < 5)
            fprintf(stderr, "%s: tokens differ: '%.*s'\n  engine: %.*s\n  ICU:    %.*s\n",
                    where, (int)(n > 300 ? 300 : n), s, (int)a.norm_len, a.norm,
                    (int)b.norm_len, b.norm);
        check_failures++;
    }
}

/* Every plain segment of s[0, n), broken by the engine and by ICU alone. */
static void compare_segments(const char *s, size_t n)
{
    static uint8_t sym[1 << 16];
    static int32_t mine[1 << 16], icu[1 << 16];
    int before = PUPA_SEP_HARD;
    for (size_t i = 0; i < n;) {
        if (before != PUPA_SEP_NONE) {
            int plain;
            size_t e = pupa_khmer_segment_at(s, n, i, before, &plain);
            if (plain && (e - i) / 3 < (1 << 16)) {
                size_t a = pupa_khmer_break_segment(s + i, e - i, sym, mine, NULL, NULL);
                UErrorCode st = U_ZERO_ERROR;
                UText ut = UTEXT_INITIALIZER;
                utext_openUTF8(&ut, s + i, (int64_t)(e - i), &st);
                ubrk_setUText(bi, &ut, &st);
                CHECK(U_SUCCESS(st));
                size_t b = 0;
                for (int32_t x = ubrk_next(bi); x != UBRK_DONE && (size_t)x < e - i;
                     x = ubrk_next(bi))
                    icu[b++] = x;
                utext_close(&ut);
                segments++;
                segment_chars += (long)((e - i) / 3);
                if (a != b || memcmp(mine, icu, a * sizeof *mine) != 0) {
                    if (segments_differ++ < 5)
                        fprintf(stderr, "segment differs: '%.*s' (%zu vs %zu boundaries)\n",
                                (int)(e - i), s + i, a, b);
                    check_failures++;
                }
            }
            if (e > i) {
                i = e;
                before = PUPA_SEP_NONE;
                continue;
            }
        }
        size_t sep = pupa_khmer_separator_at(s, n, i, &before);
        size_t cl = sep ? sep : pupa_utf8_len((const unsigned char *)s + i, n - i);
        i += cl ? cl : 1;
    }
}

static void compare_both(const char *s, size_t n, const char *where)
{
    compare_text(s, n, where);
    compare_segments(s, n);
}

/* ------------------------------------------------------------ generated */

#ifndef FUZZ_TEXTS
#define FUZZ_TEXTS 20000
#endif
static uint32_t rng = 12345;
static uint32_t next_random(void)
{
    rng = rng * 1103515245u + 12345u;
    return rng >> 8;
}


/* A random character, mostly Khmer, sometimes one that joins or breaks. */
static uint32_t random_char(void)
{
    static const uint32_t odd[] = {' ', ' ', '.', ':', '\'', ',', ';', '-', '_', '@', '"', '(',
                                   '\n', '1', '9', 'a', 'Z', 0x200B, 0x200C, 0x200D, 0x2060, 0x00AD,
                                   0x17D4, 0x17D5, 0x17D6, 0x17E0, 0x17E1, 0x17E9, 0x17F0, 0x17D8, 0x066B, 0xFF11, 0x19E0, 0x0E01,
                                   0x00E9, 0x2019, 0x2018, 0x00AB, 0x00BB, 0x201C, 0x201D,
                                   0x2026, 0x2013, 0x2014, 0x00A0, 0x2044, 0x2024, 0x3000,
                                   0x00B7, 0x0387, 0x05F4, 0x2028, 0xFF0C, 0x0E2F};
    uint32_t r = next_random() % 100;
    if (r < 55)
        return 0x1780 + next_random() % 0x34;  /* consonants, independent vowels */
    if (r < 85)
        return 0x17B4 + next_random() % 0x2A;  /* vowels, signs, coeng, up to U+17DD */
    return odd[next_random() % (sizeof odd / sizeof *odd)];
}

static void test_random_text(void)
{
    char s[1024], where[64];
    for (int k = 0; k < FUZZ_TEXTS; k++) {
        size_t n = 0, chars = 1 + next_random() % 60;
        for (size_t c = 0; c < chars; c++)
            n += utf8_put(s + n, random_char());
        snprintf(where, sizeof where, "random[%d]", k);
        compare_both(s, n, where);
    }
}

/* Khmer words of the sample corpus (ICU's tokens), for stringing together. */
static char **words;
static size_t nwords, words_cap;

static void collect_words(const char *text, size_t len)
{
    pupa_tokens t;
    if (pupa_tokenize(icu_only, text, len, &t) != 0)
        return;
    for (size_t i = 0; i < t.ntok && nwords < 20000; i++) {
        if (t.tok[i].script != PUPA_SCRIPT_KHMER)
            continue;
        if (nwords == words_cap) {
            words_cap = words_cap ? words_cap * 2 : 256;
            char **w = realloc(words, words_cap * sizeof *w);
            if (!w)
                return;
            words = w;
        }
        size_t wl = t.tok[i].src_end - t.tok[i].src_start;
        words[nwords] = malloc(wl + 1);
        if (!words[nwords])
            return;
        memcpy(words[nwords], text + t.tok[i].src_start, wl);
        words[nwords++][wl] = '\0';
    }
}

/* Collects the words of every transcript in the sample corpus, as pupa
 * index lists them. */
static void read_sample(const char *root)
{
    char dir[4096];
    snprintf(dir, sizeof dir, "%s/corpora-sample", root);
    char **paths = NULL;
    size_t npaths = 0;
    CHECK_EQ_INT(pupa_corpus_list(dir, &paths, &npaths), 0);
    CHECK(npaths > 0);
    for (size_t i = 0; i < npaths; i++) {
        size_t len;
        char *text = slurp_corpus(dir, paths[i], &len);
        if (text)
            collect_words(text, len);
        free(text);
    }
    pupa_paths_free(paths, npaths);
}

/* Words strung together without spaces, as Khmer is written; some cut
 * short, some with a character changed or added, some with digits. */
static void test_word_strings(const char *root)
{
    read_sample(root);
    printf("sample corpus: %zu Khmer words\n", nwords);
    CHECK(nwords > 500);
    if (nwords == 0)
        return;
    char s[4096], where[64];
    for (int k = 0; k < FUZZ_TEXTS; k++) {
        size_t n = 0, count = 1 + next_random() % 12;
        for (size_t w = 0; w < count; w++) {
            const char *word = words[next_random() % nwords];
            size_t wl = strlen(word);
            if (n + wl + 8 > sizeof s)
                break;
            memcpy(s + n, word, wl);
            uint32_t r = next_random() % 10;
            if (r == 0 && wl >= 6)
                wl -= 3; /* cut the last character */
            else if (r == 1 && wl >= 3)
                utf8_put(s + n + 3 * (next_random() % (wl / 3)), random_char()); /* change one */
            n += wl;
            if (r == 2)
                n += utf8_put(s + n, random_char());
            else if (r == 3) /* a digit, Khmer or ASCII, or a number */
                for (uint32_t d = 1 + next_random() % 3; d > 0; d--)
                    n += utf8_put(s + n, next_random() % 2 ? 0x17E0 + next_random() % 10
                                                         : '0' + next_random() % 10);
            if (next_random() % 8 == 0)
                s[n++] = ' ';
        }
        snprintf(where, sizeof where, "words[%d]", k);
        compare_both(s, n, where);
    }
}

/* -------------------------------------------------------------- corpora */

/* Every line (or the given tab-separated columns of each line). */
static void compare_file(const char *dir, const char *rel, unsigned cols)
{
    size_t len;
    char *text = slurp_corpus(dir, rel, &len);
    if (!text)
        return;
    long t0 = texts, r0 = segments;
    long line = 0;
    char where[4200];
    for (size_t i = 0; i < len;) {
        const char *nl = memchr(text + i, '\n', len - i);
        size_t e = nl ? (size_t)(nl - text) : len;
        line++;
        snprintf(where, sizeof where, "%s:%ld", rel, line);
        size_t f = i;
        for (unsigned col = 1; f <= e; col++) {
            const char *tab = cols ? memchr(text + f, '\t', e - f) : NULL;
            size_t fe = tab ? (size_t)(tab - text) : e;
            if (!cols || (cols & (1u << col)))
                compare_both(text + f, fe - f, where);
            f = fe + 1;
        }
        i = e + 1;
    }
    printf("%-34s %7ld texts %8ld plain segments\n", rel, texts - t0, segments - r0);
    free(text);
}

int main(int argc, char **argv)
{
    CHECK_EQ_INT(pupa_tokenizer_new(&with_engine), 0);
    CHECK_EQ_INT(pupa_tokenizer_new(&icu_only), 0);
    UErrorCode st = U_ZERO_ERROR;
    bi = ubrk_open(UBRK_WORD, "", NULL, 0, &st);
    CHECK(U_SUCCESS(st));
    if (!with_engine || !icu_only || U_FAILURE(st))
        return check_result();
    /* On this ICU the engine must be used, and pass the self-check it
     * runs on another ICU. */
    CHECK_EQ_INT(pupa_khmer_break_ready(), 1);
    CHECK_EQ_INT(pupa_khmer_break_self_check(), 1);
    CHECK_EQ_INT(pupa_tokenizer_use_khmer_engine(with_engine, 1), 1);
    CHECK_EQ_INT(pupa_tokenizer_use_khmer_engine(icu_only, 0), 0);

    test_random_text();
    printf("random text: %ld texts, %ld plain segments, %ld differ\n", texts, segments, differ);
    CHECK(segments > 10000);
    if (argc > 2)
        test_word_strings(argv[2]);
    printf("after word strings: %ld texts, %ld plain segments (%ld characters), %ld differ, "
           "%ld segments differ\n", texts, segments, segment_chars, differ, segments_differ);
    CHECK(segments > 40000);

    const char *dir = argc > 1 ? argv[1] : NULL;
    struct stat sb;
    if (!dir || stat(dir, &sb) != 0 || !S_ISDIR(sb.st_mode)) {
        if (check_failures)
            return check_result();
        require_corpora(dir);
    }
    long r0 = segments;
    compare_file(dir, "ntrex/newstest2019-ref.khm.txt", 0);
    compare_file(dir, "khmer-news/news-1000.txt", 0);
    compare_file(dir, "lo-help/lo_help_en_km.tsv", (1u << 3) | (1u << 4));
    compare_file(dir, "khpos/raw.txt", 0);
    compare_file(dir, "udhr/udhr_khm.md", 0);
    printf("total: %ld texts, %ld plain segments (%ld characters), %ld texts differ, %ld segments "
           "differ\n", texts, segments, segment_chars, differ, segments_differ);
    CHECK(segments - r0 > 100000);
    CHECK_EQ_INT(differ, 0);
    CHECK_EQ_INT(segments_differ, 0);
    for (size_t i = 0; i < nwords; i++)
        free(words[i]);
    free(words);
    ubrk_close(bi);
    pupa_tokenizer_free(with_engine);
    pupa_tokenizer_free(icu_only);
    return check_result();
}
