/*
 * cmd_merge.c: pupa merge: joins shard indexes, built anywhere with
 * pupa index --shard K/N, into one index that answers as a single build.
 */
#include "cli.h"

#include <stdio.h>
#include <string.h>

static const char merge_help[] =
    "usage: pupa merge -o INDEX [--partial] SHARD...\n"
    "Joins shard indexes into one new index.  Build the shards anywhere with\n"
    "  pupa index CORPUS --shard K/N -o SHARD      (K = 1..N, same -l LEXICON)\n"
    "then merge all N: queries on INDEX answer exactly as on one build of CORPUS,\n"
    "and pupa index CORPUS -o INDEX keeps it up to date from there.  Shards must\n"
    "share the lexicon and hold no file twice; INDEX must not exist yet.\n"
    "--partial merges some of the N (for very many shards: merge groups, then\n"
    "merge the groups); the result records which it holds, so that the last\n"
    "merge still refuses a missing or repeated shard.\n"
    "docs/scaling.md shows the flow with GNU parallel and Slurm.\n";

int cmd_merge(int argc, char **argv)
{
    struct option opts[] = {{"output", required_argument, 0, 'o'},
                            {"partial", no_argument, 0, 'p'},
                            {"help", no_argument, 0, 'h'},
                            {0, 0, 0, 0}};
    const char *out = NULL;
    int ch, flags = 0;
    while ((ch = getopt_long(argc, argv, "o:h", opts, NULL)) != -1) {
        switch (ch) {
        case 'o': out = optarg; break;
        case 'p': flags |= PUPA_MERGE_PARTIAL; break;
        case 'h': fputs(merge_help, stdout); return 0;
        default: die_usage("merge", "unknown option");
        }
    }
    if (!out)
        die_usage("merge", "give the new index with -o INDEX");
    if (optind >= argc)
        die_usage("merge", "give at least one SHARD index");
    pupa_build_stats st;
    size_t n = (size_t)(argc - optind);
    if (pupa_index_merge((const char *const *)(argv + optind), n, out, flags, &st)) {
        report(out);
        return 1;
    }
    fprintf(stderr, "%s: merged %zu shards: %zu files, %zu documents, %zu segments, %zu hits\n",
            out, n, st.files_added, st.docs, st.segments, st.hits);
    return 0;
}
