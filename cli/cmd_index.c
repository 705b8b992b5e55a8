/*
 * cmd_index.c: pupa index: builds or updates the index of a corpus folder,
 * with progress on a terminal and one line per file that failed.
 */
#include "cli.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <limits.h>
#include <unistd.h>

/* =============================================================== index */

static void on_file_error(void *ctx, const char *relpath, const char *message)
{
    (void)ctx;
    (void)relpath;
    fprintf(stderr, "%s\n", message); /* already "relpath:line: byte N: what" */
}

static void on_progress(void *ctx, size_t done, size_t total)
{
    (void)ctx;
    fprintf(stderr, "\rindexing: %zu/%zu files", done, total);
    if (done == total)
        fputc('\n', stderr);
}

static const char index_help[] =
    "usage: pupa index CORPUS [-l LEXICON] [-o INDEX] [-j THREADS] [--tokenise all|candidates]\n"
    "                  [--participant-labels L,..] [--interviewer-labels L,..] [--shard K/N]\n"
    "Builds or updates the index of a corpus folder.  Run again, it codes only new\n"
    "and changed files, drops removed ones, and starts over if the lexicon changed.\n"
    "--tokenise all runs ICU over every segment (the reference); the default,\n"
    "candidates, runs Hyperscan first and ICU only around candidate hits: the same hits.\n"
    "INDEX defaults to CORPUS.pupa.  Files that cannot be read are reported, one line\n"
    "each, and the rest is indexed; the exit status is then 1.\n"
    "--shard K/N indexes only shard K (1..N) of the corpus: the files whose relative\n"
    "path hashes to it, so a file keeps its shard as others come and go.  Build all N\n"
    "anywhere, then join them with pupa merge (docs/scaling.md).\n";

/* "K/N" with 1 <= K <= N; exits 2 on anything else. */
static void parse_shard(const char *s, pupa_build_opts *b)
{
    char *end;
    unsigned long k = strtoul(s, &end, 10), n = 0;
    if (end != s && *end == '/' && end[1] >= '0' && end[1] <= '9')
        n = strtoul(end + 1, &end, 10);
    if (*end || k < 1 || n < 1 || k > n || n > 1000000 || s[0] < '0' || s[0] > '9')
        die_usage("index", "--shard takes K/N with 1 <= K <= N");
    b->shard = (uint32_t)(k - 1);
    b->nshards = (uint32_t)n;
}

int cmd_index(int argc, char **argv)
{
    struct option opts[] = {{"lexicon", required_argument, 0, 'l'},
                            {"output", required_argument, 0, 'o'},
                            {"threads", required_argument, 0, 'j'},
                            {"tokenise", required_argument, 0, 't'},
                            {"shard", required_argument, 0, 's'},
                            {"help", no_argument, 0, 'h'},
                            read_options[0], read_options[1], read_options[2],
                            {0, 0, 0, 0}};
    pupa_build_opts b = {0};
    const char *out = NULL;
    int ch;
    while ((ch = getopt_long(argc, argv, "l:o:j:t:h", opts, NULL)) != -1) {
        if (read_option(ch, &b.read))
            continue;
        switch (ch) {
        case 'l': b.lexicon = optarg; break;
        case 'o': out = optarg; break;
        case 't': b.tokenise_all = parse_tokenise("index", optarg); break;
        case 's': parse_shard(optarg, &b); break;
        case 'j': {
            int lo, hi;
            parse_range("index", "-j", optarg, &lo, &hi);
            b.threads = lo;
            break;
        }
        case 'h': fputs(index_help, stdout); return 0;
        default: die_usage("index", "unknown option");
        }
    }
    if (optind != argc - 1)
        die_usage("index", "give exactly one CORPUS folder");
    const char *corpus = argv[optind];
    if (!is_dir(corpus)) {
        fprintf(stderr, "%s: not a folder\n", corpus);
        return 1;
    }
    char defout[PATH_MAX];
    if (!out) {
        size_t n = strlen(corpus);
        while (n > 1 && corpus[n - 1] == '/')
            n--;
        snprintf(defout, sizeof defout, "%.*s.pupa", (int)n, corpus);
        out = defout;
    }
    if (!b.lexicon)
        b.lexicon = default_lexicon();
    b.on_file_error = on_file_error;
    if (isatty(2))
        b.on_progress = on_progress;
    pupa_build_stats st;
    if (pupa_index_build(corpus, out, &b, &st)) {
        report(out);
        return 1;
    }
    fprintf(stderr,
            "%s: %zu files: %zu added, %zu changed, %zu removed, %zu unchanged, %zu failed; "
            "coded %zu documents, %zu segments, %zu hits\n",
            out, st.files_seen, st.files_added, st.files_changed, st.files_removed,
            st.files_unchanged, st.files_failed, st.docs, st.segments, st.hits);
    return st.files_failed ? 1 : 0;
}


static const char seal_help[] =
    "usage: pupa seal INDEX\n"
    "Accepts INDEX's data.mdb as it is now: records its size and checksum in\n"
    "INDEX/pupa.seal.  pupa index and pupa merge seal what they write; use this\n"
    "only after restoring or copying a data.mdb by other means.  Every reader\n"
    "refuses an index whose data.mdb does not match its seal.\n";

int cmd_seal(int argc, char **argv)
{
    if (argc == 2 && (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h"))) {
        fputs(seal_help, stdout);
        return 0;
    }
    if (argc != 2)
        die_usage("seal", "give exactly one INDEX");
    if (pupa_index_seal(argv[1])) {
        report(argv[1]);
        return 1;
    }
    return 0;
}
