/*
 * hs_scan.c: a Hyperscan-only scan, the other end of the scale from the
 * ICU bound: one database of the lexicon's entries as caseless literals
 * (a trailing '*' dropped, phrases as written), block-mode hs_scan over
 * every byte of every file, every match counted.  No word boundaries, no
 * folding beyond ASCII case, no output: what matching alone costs.
 *
 *   pupa-bench-hs CORPUS LEXICON.tsv [REPS]
 *
 * LEXICON.tsv is code<TAB>pattern, one entry a line (bench/gen_corpus.py
 * writes it next to the YAML pupa reads).  Files are read into memory
 * first (untimed); compile time is reported apart.  Prints one JSON object.
 */
#include "bench_util.h"

#include <hs/hs.h>

static int on_match(unsigned int id, unsigned long long from, unsigned long long to,
                    unsigned int flags, void *ctx)
{
    (void)id;
    (void)from;
    (void)to;
    (void)flags;
    ++*(unsigned long long *)ctx;
    return 0;
}

int main(int argc, char **argv)
{
    if (argc < 3 || argc > 4) {
        fprintf(stderr, "usage: %s CORPUS LEXICON.tsv [REPS]\n", argv[0]);
        return 2;
    }
    int reps = argc == 4 ? atoi(argv[3]) : 1;
    if (reps < 1 || reps > 100)
        reps = 1;
    bench_file lex;
    if (bench_read_file(argv[2], &lex)) {
        fprintf(stderr, "%s: cannot read\n", argv[2]);
        return 1;
    }
    /* Patterns point into lex.data, cut at each tab and newline. */
    size_t cap = 1024, n = 0;
    const char **pats = bench_xmalloc(cap * sizeof *pats);
    size_t *lens = bench_xmalloc(cap * sizeof *lens);
    for (char *line = lex.data; line && *line;) {
        char *nl = strchr(line, '\n');
        if (nl)
            *nl = '\0';
        char *tab = strchr(line, '\t');
        if (tab && tab[1]) {
            char *p = tab + 1;
            size_t len = strlen(p);
            if (len && p[len - 1] == '*')
                len--;
            if (len) {
                if (n == cap) {
                    cap *= 2;
                    pats = realloc(pats, cap * sizeof *pats);
                    lens = realloc(lens, cap * sizeof *lens);
                    if (!pats || !lens)
                        return 1;
                }
                pats[n] = p;
                lens[n++] = len;
            }
        }
        line = nl ? nl + 1 : NULL;
    }
    unsigned *flags = bench_xmalloc(n * sizeof *flags), *ids = bench_xmalloc(n * sizeof *ids);
    for (size_t i = 0; i < n; i++) {
        flags[i] = HS_FLAG_CASELESS;
        ids[i] = (unsigned)i;
    }
    hs_database_t *db = NULL;
    hs_compile_error_t *err = NULL;
    double t0 = bench_now();
    if (hs_compile_lit_multi(pats, flags, ids, lens, (unsigned)n, HS_MODE_BLOCK, NULL, &db,
                             &err) != HS_SUCCESS) {
        fprintf(stderr, "hs_compile_lit_multi: %s\n", err ? err->message : "?");
        return 1;
    }
    double compile_s = bench_now() - t0;
    hs_scratch_t *scratch = NULL;
    if (hs_alloc_scratch(db, &scratch) != HS_SUCCESS) {
        fprintf(stderr, "hs_alloc_scratch failed\n");
        return 1;
    }
    bench_corpus c;
    bench_corpus_load(argv[1], &c);
    double *secs = bench_xmalloc((size_t)reps * sizeof *secs);
    double *sorted = bench_xmalloc((size_t)reps * sizeof *sorted);
    double *cpu = bench_xmalloc((size_t)reps * sizeof *cpu);
    unsigned long long matches = 0;
    for (int r = 0; r < reps; r++) {
        matches = 0;
        t0 = bench_now();
        double c0 = bench_cpu();
        for (size_t i = 0; i < c.nfiles; i++)
            if (hs_scan(db, c.files[i].data, (unsigned)c.files[i].len, 0, scratch, on_match,
                        &matches) != HS_SUCCESS) {
                fprintf(stderr, "hs_scan failed\n");
                return 1;
            }
        secs[r] = bench_now() - t0;
        cpu[r] = bench_cpu() - c0;
        sorted[r] = secs[r];
    }
    double med = bench_median(sorted, (size_t)reps);
    printf("{\"tool\":\"hs_scan\",\"bytes\":%zu,\"files\":%zu,\"patterns\":%zu,\"matches\":%llu,"
           "\"compile_s\":%.6f,",
           c.bytes, c.nfiles, n, matches, compile_s);
    bench_print_times("seconds", secs, (size_t)reps);
    printf(",");
    bench_print_times("cpu_seconds", cpu, (size_t)reps);
    printf(",\"median_s\":%.6f,\"mb_s\":%.3f,\"hyperscan\":\"%s\"}\n", med,
           med > 0 ? (double)c.bytes / 1048576.0 / med : 0, hs_version());
    hs_free_scratch(scratch);
    hs_free_database(db);
    free(secs);
    free(sorted);
    free(cpu);
    free(flags);
    free(ids);
    free(pats);
    free(lens);
    free(lex.data);
    bench_corpus_free(&c);
    return 0;
}
