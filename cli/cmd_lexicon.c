/*
 * cmd_lexicon.c: pupa lexicon check (lint a codebook, lint.c) and
 * pupa lexicon import (a LIWC .dic file as YAML, liwc.c).
 */
#include "cli.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char lexicon_help[] =
    "usage: pupa lexicon check [LEXICON] [--corpus PATH]... [--counts]\n"
    "                          [--format text|csv|tsv|json]\n"
    "       pupa lexicon import FILE.dic [-o OUT.yml]\n"
    "check: loads the codebook (default lexicons/butterfly.yml) and reports errors\n"
    "  (a broken entry or rule, a rule naming an unknown code or making a cycle,\n"
    "  a duplicate entry, a Khmer entry not in normalised Unicode) and warnings\n"
    "  (a shadowed entry, an unused hidden code).  With --corpus (files or folders\n"
    "  of .txt, .tsv, .md or .jsonl, one segment a line) it also counts every\n"
    "  entry there and warns of those never found; --counts lists every count.\n"
    "  Exits 1 when there is an error.\n"
    "import: writes the LIWC dictionary as a YAML codebook (stdout, or OUT.yml,\n"
    "  which is then loaded to check it); skipped lines are reported on stderr.\n";

static const char *const severity_name[] = {"info", "warning", "error"};

typedef struct check_ctx {
    int fmt;
    size_t printed;
} check_ctx;

static void print_issue(void *ctx, const pupa_lint_issue *is)
{
    check_ctx *c = ctx;
    const char *sev = severity_name[is->severity];
    char line[32], count[32];
    snprintf(line, sizeof line, "%u", is->line);
    snprintf(count, sizeof count, "%llu", (unsigned long long)is->count);
    if (c->fmt == FMT_TEXT) {
        if (is->file)
            printf("%s:%u: ", is->file, is->line);
        printf("%s: ", sev);
        if (is->code)
            printf("[%s] ", is->code);
        if (is->entry)
            printf("'%s': ", is->entry);
        printf("%s\n", is->message);
    } else if (c->fmt == FMT_JSON) {
        printf("{\"severity\":\"%s\",\"file\":", sev);
        out_json_str(stdout, is->file ? is->file : "", is->file ? strlen(is->file) : 0);
        printf(",\"line\":%u,\"code\":", is->line);
        out_json_str(stdout, is->code ? is->code : "", is->code ? strlen(is->code) : 0);
        printf(",\"entry\":");
        out_json_str(stdout, is->entry ? is->entry : "", is->entry ? strlen(is->entry) : 0);
        printf(",\"count\":%llu,\"message\":", (unsigned long long)is->count);
        out_json_str(stdout, is->message, strlen(is->message));
        printf("}\n");
    } else {
        if (!c->printed)
            printf(c->fmt == FMT_TSV ? "severity\tfile\tline\tcode\tentry\tcount\tmessage\n"
                                     : "severity,file,line,code,entry,count,message\n");
        const char *f[] = {sev, is->file, line, is->code, is->entry, count, is->message};
        out_row(stdout, c->fmt, sizeof f / sizeof *f, f);
    }
    c->printed++;
}

static int lexicon_check(int argc, char **argv)
{
    struct option opts[] = {{"corpus", required_argument, 0, 'c'},
                            {"counts", no_argument, 0, 'n'},
                            {"format", required_argument, 0, 'f'},
                            {"help", no_argument, 0, 'h'},
                            {0, 0, 0, 0}};
    const char **corpus = calloc((size_t)argc + 1, sizeof *corpus);
    if (!corpus) {
        fprintf(stderr, "%s lexicon: out of memory\n", prog);
        return 1;
    }
    pupa_lint_opts lo = {.corpus = corpus};
    check_ctx c = {.fmt = FMT_TEXT};
    int ch;
    while ((ch = getopt_long(argc, argv, "c:f:h", opts, NULL)) != -1) {
        switch (ch) {
        case 'c': corpus[lo.ncorpus++] = optarg; break;
        case 'n': lo.counts = 1; break;
        case 'f': c.fmt = parse_format("lexicon check", optarg); break;
        case 'h': fputs(lexicon_help, stdout); free(corpus); return 0;
        default: die_usage("lexicon check", "unknown option");
        }
    }
    if (argc - optind > 1)
        die_usage("lexicon check", "one LEXICON at a time");
    const char *path = optind < argc ? argv[optind] : default_lexicon();
    lo.on_issue = print_issue;
    lo.ctx = &c;
    size_t nerr = 0, nwarn = 0;
    int rc = pupa_lexicon_check(path, &lo, &nerr, &nwarn);
    free(corpus);
    if (rc) {
        report(path);
        return 1;
    }
    fprintf(stderr, "%s: %zu error%s, %zu warning%s\n", path, nerr, nerr == 1 ? "" : "s", nwarn,
            nwarn == 1 ? "" : "s");
    return nerr ? 1 : 0;
}

static void print_warning(void *ctx, uint32_t line, const char *msg)
{
    fprintf(stderr, "%s:%u: %s\n", (const char *)ctx, line, msg);
}

static int lexicon_import(int argc, char **argv)
{
    struct option opts[] = {{"output", required_argument, 0, 'o'},
                            {"help", no_argument, 0, 'h'},
                            {0, 0, 0, 0}};
    const char *outpath = NULL;
    int ch;
    while ((ch = getopt_long(argc, argv, "o:h", opts, NULL)) != -1) {
        switch (ch) {
        case 'o': outpath = optarg; break;
        case 'h': fputs(lexicon_help, stdout); return 0;
        default: die_usage("lexicon import", "unknown option");
        }
    }
    if (argc - optind != 1)
        die_usage("lexicon import", "give one FILE.dic");
    const char *dic = argv[optind];
    char *yaml = NULL;
    size_t len = 0;
    pupa_liwc_stats st;
    if (pupa_liwc_to_yaml(dic, &yaml, &len, print_warning, (void *)dic, &st)) {
        report(dic);
        return 1;
    }
    FILE *f = outpath ? fopen(outpath, "wb") : stdout;
    int failed = !f || fwrite(yaml, 1, len, f) != len;
    if (outpath && f && fclose(f))
        failed = 1;
    free(yaml);
    if (failed) {
        fprintf(stderr, "%s: cannot write\n", outpath ? outpath : "stdout");
        return 1;
    }
    fprintf(stderr, "%s: %zu categories, %zu terms, %zu lines skipped\n", dic, st.categories,
            st.terms, st.skipped);
    if (outpath) {
        pupa_lexicon *lex;
        if (pupa_lexicon_load(&lex, outpath)) {
            report(outpath);
            return 1;
        }
        pupa_lexicon_free(lex);
    }
    return 0;
}

int cmd_lexicon(int argc, char **argv)
{
    if (argc < 2 || !strcmp(argv[1], "--help") || !strcmp(argv[1], "-h")) {
        fputs(lexicon_help, argc < 2 ? stderr : stdout);
        return argc < 2 ? 2 : 0;
    }
    if (!strcmp(argv[1], "check"))
        return lexicon_check(argc - 1, argv + 1);
    if (!strcmp(argv[1], "import"))
        return lexicon_import(argc - 1, argv + 1);
    die_usage("lexicon", "the subcommands are check and import");
}
