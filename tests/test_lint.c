/*
 * test_lint.c: pupa lexicon check (lint.c).  Each kind of problem is found
 * on the line where it is, with its severity: duplicate and shadowed
 * entries, Khmer entries that are not normalised or hold invisible,
 * deprecated or unassigned characters, rules that name unknown codes or
 * make cycles (all of them in one run), unused hidden codes, entries
 * repeated by their own exclusion list, entries never found in a corpus and
 * every entry's count; a clean codebook (the default one) has no error.
 */
#include "check.h"
#include "pupa.h"
#include "tmpdir.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>


typedef struct seen {
    int severity[64];
    uint32_t line[64];
    char message[64][256];
    char entry[64][128];
    uint64_t count[64];
    size_t n;
} seen;

static void collect(void *ctx, const pupa_lint_issue *is)
{
    seen *s = ctx;
    if (s->n == 64)
        return;
    s->severity[s->n] = is->severity;
    s->line[s->n] = is->line;
    s->count[s->n] = is->count;
    snprintf(s->message[s->n], sizeof s->message[0], "%s", is->message);
    snprintf(s->entry[s->n], sizeof s->entry[0], "%s", is->entry ? is->entry : "");
    s->n++;
}

/* Is there an issue of this severity on this line whose message holds
 * want? */
static int has(const seen *s, int severity, uint32_t line, const char *want)
{
    for (size_t i = 0; i < s->n; i++)
        if (s->severity[i] == severity && s->line[i] == line && strstr(s->message[i], want))
            return 1;
    return 0;
}

static void dump(const seen *s)
{
    for (size_t i = 0; i < s->n; i++)
        fprintf(stderr, "  [%d] line %u '%s': %s\n", s->severity[i], s->line[i], s->entry[i],
                s->message[i]);
}

static int run(const char *yaml, const char *const *corpus, size_t ncorpus, int counts,
               seen *s, size_t *nerr, size_t *nwarn)
{
    memset(s, 0, sizeof *s);
    pupa_lint_opts o = {.corpus = corpus, .ncorpus = ncorpus, .counts = counts,
                        .on_issue = collect, .ctx = s};
    return pupa_lexicon_check(put("lex.yml", yaml), &o, nerr, nwarn);
}

static void test_entries(void)
{
    const char *yaml =
        "a:\n"                                             /* 1 */
        "  - beat*\n"                                      /* 2 */
        "  - beaten\n"                                     /* 3: shadowed */
        "  - Beaten\n"                                     /* 4: duplicate after folding */
        "  - beat me up\n"                                 /* 5: longer, not shadowed */
        "  - \xE2\x80\x8B\xE1\x9E\x98\xE1\x9F\x92\xE1\x9E\x8F\xE1\x9E\xB6\xE1\x9E\x99\n" /* 6: ZWSP */
        "  - \xE1\x9E\x80\xE1\x9E\xB6\xE1\x9F\x92\xE1\x9E\x9A\n" /* 7: vowel before coeng */
        "  - \xE1\x9E\xA3\n"                               /* 8: deprecated U+17A3 */
        "  - \xE1\x9E\x80\xE1\x9F\x92\n"                   /* 9: coeng at the end */
        "  - \xE1\x9E\x80\xE1\x9F\x86\xE1\x9E\xBB\n"       /* 10: sign then vowel */
        "  - \xE1\x9E\xAA\xE1\x9E\x96\xE1\x9E\xBB\xE1\x9E\x80\n" /* 11: ឪពុក, fine */
        "  - trust\n"                                      /* 12 */
        "  - .exclude: [trust, trust fund]\n"              /* 13 */
        ".unused: [nobody reads me]\n"                     /* 14 */
        ".used: [x]\n"                                     /* 15 */
        "b:\n"                                             /* 16 */
        "  .rule: .used\n";                                /* 17 */
    seen s;
    size_t nerr = 0, nwarn = 0;
    CHECK_EQ_INT(run(yaml, NULL, 0, 0, &s, &nerr, &nwarn), 0);
    CHECK(has(&s, PUPA_LINT_WARNING, 3, "shadowed by 'beat*'"));
    CHECK(has(&s, PUPA_LINT_ERROR, 4, "duplicate entry: line 3"));
    CHECK(!has(&s, PUPA_LINT_WARNING, 5, "shadowed"));
    CHECK(has(&s, PUPA_LINT_ERROR, 6, "invisible character"));
    CHECK(has(&s, PUPA_LINT_ERROR, 7, "coeng after a vowel"));
    CHECK(has(&s, PUPA_LINT_ERROR, 8, "deprecated"));
    CHECK(has(&s, PUPA_LINT_ERROR, 9, "coeng (U+17D2) at the end"));
    CHECK(has(&s, PUPA_LINT_ERROR, 10, "vowel after a sign"));
    CHECK(!has(&s, PUPA_LINT_ERROR, 11, ""));
    CHECK(has(&s, PUPA_LINT_WARNING, 12, "exclusion list (line 13)"));
    CHECK(has(&s, PUPA_LINT_WARNING, 14, "never read by a rule"));
    CHECK(!has(&s, PUPA_LINT_WARNING, 15, "never read"));
    CHECK_EQ_INT(nerr, 6);
    CHECK_EQ_INT(nwarn, 4);
    /* issues come in line order */
    for (size_t i = 1; i < s.n; i++)
        CHECK(s.line[i - 1] <= s.line[i]);
    if (check_failures)
        dump(&s);
}

static void test_rules(void)
{
    const char *yaml = ".a: [x]\n"              /* 1 */
                       "b:\n"                   /* 2 */
                       "  .rule: .a AND .nope\n" /* 3 */
                       "c:\n"                   /* 4 */
                       "  .rule: .a OR d\n"     /* 5 */
                       "d:\n"                   /* 6 */
                       "  .rule: c\n"           /* 7 */
                       "e:\n"                   /* 8 */
                       "  .rule: .gone\n";      /* 9 */
    seen s;
    size_t nerr = 0, nwarn = 0;
    CHECK_EQ_INT(run(yaml, NULL, 0, 0, &s, &nerr, &nwarn), 0);
    /* both unknown codes at once; the cycle is checked once names resolve */
    CHECK(has(&s, PUPA_LINT_ERROR, 3, "unknown code '.nope'"));
    CHECK(has(&s, PUPA_LINT_ERROR, 9, "unknown code '.gone'"));
    CHECK_EQ_INT(nerr, 2);
    yaml = ".a: [x]\nc:\n  .rule: .a OR d\nd:\n  .rule: c\n";
    CHECK_EQ_INT(run(yaml, NULL, 0, 0, &s, &nerr, &nwarn), 0);
    CHECK(has(&s, PUPA_LINT_ERROR, 3, "cycle") || has(&s, PUPA_LINT_ERROR, 5, "cycle"));
    CHECK(nerr >= 1);
    /* a broken file is one error with its line */
    CHECK_EQ_INT(run("a:\n  - ok\n  - tr*st\n", NULL, 0, 0, &s, &nerr, &nwarn), 0);
    CHECK_EQ_INT(nerr, 1);
    CHECK(has(&s, PUPA_LINT_ERROR, 3, "tr*st"));
    if (check_failures)
        dump(&s);
}

static void test_corpus(void)
{
    char dir[512], file[600];
    snprintf(dir, sizeof dir, "%s/corpus", tmpdir);
    mkdir(dir, 0700);
    snprintf(file, sizeof file, "%s/one.txt", dir);
    FILE *f = fopen(file, "wb");
    fputs("My mother helps me.\nខ្ញុំទុកចិត្តម្តាយ\nmother mother\n", f);
    fclose(f);
    snprintf(file, sizeof file, "%s/skip.bin", dir); /* not a corpus file */
    f = fopen(file, "wb");
    fputs("never never never\n", f);
    fclose(f);
    const char *corpus[] = {dir};
    const char *yaml = ".who: [mother, ម្តាយ]\n"        /* 1 */
                       "rel:\n"                        /* 2 */
                       "  - .rule: .who\n"             /* 3 */
                       "other:\n"                      /* 4 */
                       "  - never\n"                   /* 5 */
                       "  - ទុកចិត្ត\n";               /* 6 */
    seen s;
    size_t nerr = 0, nwarn = 0;
    CHECK_EQ_INT(run(yaml, corpus, 1, 1, &s, &nerr, &nwarn), 0);
    CHECK_EQ_INT(nerr, 0);
    CHECK(has(&s, PUPA_LINT_WARNING, 5, "never found"));
    CHECK(!has(&s, PUPA_LINT_WARNING, 6, "never found"));
    /* hidden entries are counted too: "mother" three times, ម្តាយ once */
    int mother = 0, khmer = 0;
    for (size_t i = 0; i < s.n; i++) {
        if (s.severity[i] == PUPA_LINT_INFO && !strcmp(s.entry[i], "mother"))
            mother = (int)s.count[i];
        if (s.severity[i] == PUPA_LINT_INFO && s.line[i] == 1 && strcmp(s.entry[i], "mother"))
            khmer = (int)s.count[i];
    }
    CHECK_EQ_INT(mother, 3);
    CHECK_EQ_INT(khmer, 1);
    /* a missing corpus is an error of the run, not an issue */
    const char *missing[] = {"/nonexistent/pupa/corpus"};
    CHECK_EQ_INT(run(yaml, missing, 1, 0, &s, &nerr, &nwarn), PUPA_ENOTFOUND);
    CHECK(strstr(pupa_errmsg(), "/nonexistent/pupa/corpus") != NULL);
    if (check_failures)
        dump(&s);
}

static void test_default(const char *src)
{
    char path[1024];
    snprintf(path, sizeof path, "%s/lexicons/butterfly.yml", src);
    seen s;
    memset(&s, 0, sizeof s);
    size_t nerr = 9, nwarn = 9;
    pupa_lint_opts o = {.on_issue = collect, .ctx = &s};
    CHECK_EQ_INT(pupa_lexicon_check(path, &o, &nerr, &nwarn), 0);
    CHECK_EQ_INT(nerr, 0);
    CHECK_EQ_INT(nwarn, 0);
    if (nerr || nwarn)
        dump(&s);
    CHECK_EQ_INT(pupa_lexicon_check(NULL, &o, &nerr, &nwarn), PUPA_EINVAL);
    CHECK_EQ_INT(pupa_lexicon_check(path, NULL, &nerr, &nwarn), PUPA_EINVAL);
}

int main(int argc, char **argv)
{
    const char *src = argc > 2 ? argv[2] : ".";
    tmp_setup("lint");
    test_entries();
    test_rules();
    test_corpus();
    test_default(src);
    tmp_cleanup();
    return check_result();
}
