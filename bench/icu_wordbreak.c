/*
 * icu_wordbreak.c: the bound.  Bare ICU word break over every byte of a
 * corpus, the way any pipeline that tokenises all of its text must run it:
 * one UBRK_WORD iterator for the root locale, a UTF-8 UText over each
 * file's bytes (no conversion to UTF-16), every boundary visited, word-like
 * tokens (rule status >= UBRK_WORD_NONE_LIMIT) counted.  Nothing else: no
 * folding, no matching, no output.
 *
 *   pupa-bench-icu CORPUS [REPS]
 *
 * Files are read into memory first (untimed); each rep times the break
 * loop over all of them.  Prints one JSON object: bytes, files, tokens,
 * the seconds of each rep and their median.
 */
#include "bench_util.h"

#include <unicode/ubrk.h>
#include <unicode/utext.h>
#include <unicode/uvernum.h>

int main(int argc, char **argv)
{
    if (argc < 2 || argc > 3) {
        fprintf(stderr, "usage: %s CORPUS [REPS]\n", argv[0]);
        return 2;
    }
    int reps = argc == 3 ? atoi(argv[2]) : 1;
    if (reps < 1 || reps > 100)
        reps = 1;
    bench_corpus c;
    bench_corpus_load(argv[1], &c);

    UErrorCode st = U_ZERO_ERROR;
    UBreakIterator *bi = ubrk_open(UBRK_WORD, "", NULL, 0, &st);
    if (U_FAILURE(st)) {
        fprintf(stderr, "ubrk_open: %s\n", u_errorName(st));
        return 1;
    }
    UText ut = UTEXT_INITIALIZER;
    double *secs = bench_xmalloc((size_t)reps * sizeof *secs);
    double *sorted = bench_xmalloc((size_t)reps * sizeof *sorted);
    double *cpu = bench_xmalloc((size_t)reps * sizeof *cpu);
    unsigned long long tokens = 0;
    for (int r = 0; r < reps; r++) {
        tokens = 0;
        double t0 = bench_now(), c0 = bench_cpu();
        for (size_t i = 0; i < c.nfiles; i++) {
            st = U_ZERO_ERROR;
            utext_openUTF8(&ut, c.files[i].data, (int64_t)c.files[i].len, &st);
            ubrk_setUText(bi, &ut, &st);
            if (U_FAILURE(st)) {
                fprintf(stderr, "ICU: %s\n", u_errorName(st));
                return 1;
            }
            ubrk_first(bi);
            while (ubrk_next(bi) != UBRK_DONE)
                if (ubrk_getRuleStatus(bi) >= UBRK_WORD_NONE_LIMIT)
                    tokens++;
        }
        secs[r] = bench_now() - t0;
        cpu[r] = bench_cpu() - c0;
        sorted[r] = secs[r];
    }
    double med = bench_median(sorted, (size_t)reps);
    printf("{\"tool\":\"icu_wordbreak\",\"bytes\":%zu,\"files\":%zu,\"tokens\":%llu,", c.bytes,
           c.nfiles, tokens);
    bench_print_times("seconds", secs, (size_t)reps);
    printf(",");
    bench_print_times("cpu_seconds", cpu, (size_t)reps);
    printf(",\"median_s\":%.6f,\"mb_s\":%.3f,\"icu\":\"%s\"}\n", med,
           med > 0 ? (double)c.bytes / 1048576.0 / med : 0, U_ICU_VERSION);
    utext_close(&ut);
    ubrk_close(bi);
    free(secs);
    free(sorted);
    free(cpu);
    bench_corpus_free(&c);
    return 0;
}
