/*
 * icu_wordbreak.c: the bound.  Bare ICU word break over every byte of a
 * corpus, the way any pipeline that tokenises all of its text must run it:
 * one UBRK_WORD iterator for the root locale, a UTF-8 UText over each
 * file's bytes (no conversion to UTF-16), every boundary visited, word-like
 * tokens (rule status >= UBRK_WORD_NONE_LIMIT) counted.  Nothing else: no
 * folding, no matching, no output.
 *
 *   pupa-bench-icu CORPUS [REPS [THREADS]]
 *
 * Files are read into memory first (untimed); each rep times the break
 * loop over all of them.  Prints one JSON object: bytes, files, tokens,
 * the seconds of each rep and their median.
 *
 * With THREADS > 1 the files are shared out by OpenMP (dynamic, one file
 * at a time), each thread with its own iterator opened before the clock
 * starts.  That is the machine's own ceiling for thread scaling of this
 * kind of work (memory bandwidth, shared caches, clock under load), which
 * bench/run sets beside pupa's scaling.
 */
#include "bench_util.h"

#include <unicode/ubrk.h>
#include <unicode/utext.h>
#include <unicode/uvernum.h>

#include <omp.h>

/* Breaks one file with bi; returns its word-like tokens, or -1 on an ICU
 * error. */
static long long break_file(UBreakIterator *bi, UText *ut, const bench_file *f)
{
    UErrorCode st = U_ZERO_ERROR;
    utext_openUTF8(ut, f->data, (int64_t)f->len, &st);
    ubrk_setUText(bi, ut, &st);
    if (U_FAILURE(st)) {
        fprintf(stderr, "ICU: %s\n", u_errorName(st));
        return -1;
    }
    long long tokens = 0;
    ubrk_first(bi);
    while (ubrk_next(bi) != UBRK_DONE)
        if (ubrk_getRuleStatus(bi) >= UBRK_WORD_NONE_LIMIT)
            tokens++;
    return tokens;
}

int main(int argc, char **argv)
{
    if (argc < 2 || argc > 4) {
        fprintf(stderr, "usage: %s CORPUS [REPS [THREADS]]\n", argv[0]);
        return 2;
    }
    int reps = argc >= 3 ? atoi(argv[2]) : 1;
    if (reps < 1 || reps > 100)
        reps = 1;
    int threads = argc == 4 ? atoi(argv[3]) : 1;
    if (threads < 1 || threads > 1024)
        threads = 1;
    bench_corpus c;
    bench_corpus_load(argv[1], &c);

    UBreakIterator **iters = bench_xmalloc((size_t)threads * sizeof *iters);
    UText *texts = bench_xmalloc((size_t)threads * sizeof *texts);
    for (int t = 0; t < threads; t++) {
        UErrorCode st = U_ZERO_ERROR;
        iters[t] = ubrk_open(UBRK_WORD, "", NULL, 0, &st);
        if (U_FAILURE(st)) {
            fprintf(stderr, "ubrk_open: %s\n", u_errorName(st));
            return 1;
        }
        texts[t] = (UText)UTEXT_INITIALIZER;
    }
    double *secs = bench_xmalloc((size_t)reps * sizeof *secs);
    double *sorted = bench_xmalloc((size_t)reps * sizeof *sorted);
    double *cpu = bench_xmalloc((size_t)reps * sizeof *cpu);
    unsigned long long tokens = 0;
    for (int r = 0; r < reps; r++) {
        long long counted = 0, failed = 0;
        double t0 = bench_now(), c0 = bench_cpu();
        if (threads == 1) {
            for (size_t i = 0; i < c.nfiles; i++) {
                long long n = break_file(iters[0], &texts[0], &c.files[i]);
                failed |= n < 0;
                counted += n;
            }
        } else {
#pragma omp parallel for num_threads(threads) schedule(dynamic, 1) \
    reduction(+ : counted) reduction(| : failed)
            for (size_t i = 0; i < c.nfiles; i++) {
                int t = omp_get_thread_num();
                long long n = break_file(iters[t], &texts[t], &c.files[i]);
                failed |= n < 0;
                counted += n;
            }
        }
        secs[r] = bench_now() - t0;
        if (failed)
            return 1;
        tokens = (unsigned long long)counted;
        cpu[r] = bench_cpu() - c0;
        sorted[r] = secs[r];
    }
    double med = bench_median(sorted, (size_t)reps);
    printf("{\"tool\":\"icu_wordbreak\",\"threads\":%d,\"bytes\":%zu,\"files\":%zu,"
           "\"tokens\":%llu,", threads, c.bytes, c.nfiles, tokens);
    bench_print_times("seconds", secs, (size_t)reps);
    printf(",");
    bench_print_times("cpu_seconds", cpu, (size_t)reps);
    printf(",\"median_s\":%.6f,\"mb_s\":%.3f,\"icu\":\"%s\"}\n", med,
           med > 0 ? (double)c.bytes / 1048576.0 / med : 0, U_ICU_VERSION);
    for (int t = 0; t < threads; t++) {
        utext_close(&texts[t]);
        ubrk_close(iters[t]);
    }
    free(iters);
    free(texts);
    free(secs);
    free(sorted);
    free(cpu);
    bench_corpus_free(&c);
    return 0;
}
