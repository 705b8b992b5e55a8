/*
 * pupa.c: the pupa command line: dispatch to subcommands, and the helpers
 * they share (cli.h).
 *
 *   pupa code   [-l LEXICON] [--format F] FILE|DIR...  code files, no index
 *   pupa index  CORPUS [-l LEXICON] [-o INDEX] [-j N]   build or update an index
 *   pupa merge  -o INDEX SHARD...                       join shard indexes into one
 *   pupa quotes INDEX [filters] [--format F]            quotes with attribution
 *   pupa table  INDEX [--depth N] [--by KEY] [filters]  individuals / comments
 *   pupa cooccur INDEX [--unit U] [--pair A B] [filters] codes together
 *   pupa streaks INDEX --code C [--min-years N]          consecutive years
 *   pupa timeline INDEX --participant P [--quotes]      one participant by year
 *   pupa lexicon check|import ...                       lint a codebook, import LIWC
 *   pupa eval GOLD.csv [-l LEXICON] [--depth N]         agreement with human codes
 *   pupa seal INDEX                                     accept a restored data.mdb
 *
 * Every subcommand takes --help.  Errors go to stderr as one line naming the
 * file and position; the exit status is 1 for a failure, 2 for bad usage.
 * The CLI owns what the user sees; the engine (pupa.h) never prints.
 */
#include "cli.h"

#include <errno.h>
#include <limits.h>
#include <omp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

const char *prog = "pupa";

void die_usage(const char *cmd, const char *msg)
{
    fprintf(stderr, "%s %s: %s (try '%s %s --help')\n", prog, cmd, msg, prog, cmd);
    exit(2);
}

void report(const char *what)
{
    const char *m = pupa_errmsg();
    fprintf(stderr, "%s: %s\n", what, m[0] ? m : "failed");
}

int is_dir(const char *p)
{
    struct stat st;
    return stat(p, &st) == 0 && S_ISDIR(st.st_mode);
}

int is_file(const char *p)
{
    struct stat st;
    return stat(p, &st) == 0 && S_ISREG(st.st_mode);
}

/* The default codebook: $PUPA_LEXICON, ./lexicons/butterfly.yml, or the one
 * in the source tree the binary was built from (found from /proc/self/exe),
 * shown relative to the working directory when it is below it. */
const char *default_lexicon(void)
{
    static char found[PATH_MAX + 64];
    const char *env = getenv("PUPA_LEXICON");
    if (env && *env)
        return env;
    if (is_file(DEFAULT_LEXICON))
        return DEFAULT_LEXICON;
    char exe[PATH_MAX];
    ssize_t n = readlink("/proc/self/exe", exe, sizeof exe - 1);
    if (n <= 0)
        return DEFAULT_LEXICON;
    exe[n] = '\0';
    for (int up = 0; up < 4; up++) {
        char *slash = strrchr(exe, '/');
        if (!slash)
            break;
        *slash = '\0';
        snprintf(found, sizeof found, "%s/%s", exe, DEFAULT_LEXICON);
        if (is_file(found)) {
            char cwd[PATH_MAX];
            size_t cl;
            if (getcwd(cwd, sizeof cwd) && (cl = strlen(cwd)) && strncmp(found, cwd, cl) == 0 &&
                found[cl] == '/')
                return found + cl + 1;
            return found;
        }
    }
    return DEFAULT_LEXICON;
}

int parse_format(const char *cmd, const char *s)
{
    int f = out_format_parse(s);
    if (f < 0)
        die_usage(cmd, "--format is text, csv, tsv or json");
    return f;
}

int parse_tokenise(const char *cmd, const char *s)
{
    if (!strcmp(s, "all"))
        return 1;
    if (!strcmp(s, "candidates"))
        return 0;
    die_usage(cmd, "--tokenise is all or candidates");
}

/* "N" or "N-M" into [lo, hi]. */
void parse_range(const char *cmd, const char *opt, const char *s, int *lo, int *hi)
{
    char *end;
    errno = 0;
    long a = strtol(s, &end, 10), b = a;
    if (*end == '-')
        b = strtol(end + 1, &end, 10);
    if (errno || *end || a < 0 || b < a || b > 100000) {
        char msg[128];
        snprintf(msg, sizeof msg, "%s takes N or N-M", opt);
        die_usage(cmd, msg);
    }
    *lo = (int)a;
    *hi = (int)b;
}


struct option read_options[] = {
    {"participant-labels", required_argument, 0, 1001},
    {"interviewer-labels", required_argument, 0, 1002},
    {"code-interviewer", no_argument, 0, 1003},
};

int read_option(int ch, pupa_read_opts *r)
{
    switch (ch) {
    case 1001: r->participant_labels = optarg; return 1;
    case 1002: r->interviewer_labels = optarg; return 1;
    case 1003: r->code_interviewer = 1; return 1;
    default: return 0;
    }
}


/* ============================================================= filters */

struct option filter_options[] = {
    {"code", required_argument, 0, 2001},   {"year", required_argument, 0, 2002},
    {"participant", required_argument, 0, 2003}, {"group", required_argument, 0, 2004},
    {"gender", required_argument, 0, 2005}, {"age", required_argument, 0, 2006},
    {"lang", required_argument, 0, 2007},   {"speaker", required_argument, 0, 2008},
    {"negated", no_argument, 0, 2009},      {"limit", required_argument, 0, 2010},
    {"format", required_argument, 0, 'f'},  {"help", no_argument, 0, 'h'},
    {"where", required_argument, 0, 2011},
};

/* --where KEY=VALUE, repeatable; the strings stay in argv. */
#define MAX_WHERE 32
static pupa_kv where_kv[MAX_WHERE];

const char filter_help[] =
    "filters: --code PATTERN --year Y|Y1-Y2  --participant ID  --group G  --gender G\n"
    "         --age N|N1-N2  --lang en|km|mixed  --speaker LABEL  --negated  --limit N\n"
    "         --where KEY=VALUE (any metadata key; repeat it: the same key means either)\n"
    "         --format text|csv|tsv|json\n";

int filter_option(const char *cmd, int ch, pupa_filter *f, int *fmt)
{
    int lo, hi;
    switch (ch) {
    case 2001: f->code = optarg; return 1;
    case 2002: parse_range(cmd, "--year", optarg, &lo, &hi); f->year_min = lo; f->year_max = hi; return 1;
    case 2003: f->participant = optarg; return 1;
    case 2004: f->group = optarg; return 1;
    case 2005: f->gender = optarg; return 1;
    case 2006: parse_range(cmd, "--age", optarg, &lo, &hi); f->age_min = lo; f->age_max = hi; return 1;
    case 2007:
        if (!strcmp(optarg, "en")) f->lang = PUPA_LANG_EN;
        else if (!strcmp(optarg, "km")) f->lang = PUPA_LANG_KM;
        else if (!strcmp(optarg, "mixed")) f->lang = PUPA_LANG_MIXED;
        else die_usage(cmd, "--lang is en, km or mixed");
        return 1;
    case 2008: f->speaker = optarg; return 1;
    case 2009: f->negated = 1; return 1;
    case 2010: parse_range(cmd, "--limit", optarg, &lo, &hi); f->limit = (size_t)lo; return 1;
    case 'f': *fmt = parse_format(cmd, optarg); return 1;
    case 2011: {
        char *eq = strchr(optarg, '=');
        if (!eq || eq == optarg)
            die_usage(cmd, "--where takes KEY=VALUE");
        if (f->nwhere >= MAX_WHERE)
            die_usage(cmd, "too many --where");
        *eq = '\0';
        where_kv[f->nwhere++] = (pupa_kv){optarg, eq + 1};
        f->where = where_kv;
        return 1;
    }
    default: return 0;
    }
}

pupa_index *open_index(const char *path)
{
    pupa_index *ix;
    if (pupa_index_open(&ix, path)) {
        report(path);
        return NULL;
    }
    /* The seal check on open is a query's only parallel work: its threads
     * would otherwise spin, waiting for more, while the query runs (2-12 ms
     * of a core per query on the bench's 107 MB index). */
    omp_pause_resource_all(omp_pause_soft);
    return ix;
}


/* ================================================================ main */

static const char main_help[] =
    "usage: pupa COMMAND [options]\n"
    "  code     code transcript files and print the hits (no index)\n"
    "  index    build or update the index of a corpus folder\n"
    "  merge    join shard indexes (pupa index --shard K/N) into one index\n"
    "  seal     accept an index's data.mdb after a restore (see --help)\n"
    "  quotes   print attributed quotes from an index\n"
    "  table    print individuals / comments per code and group or year\n"
    "  cooccur  count codes together, per segment or participant-year\n"
    "  streaks  find participants with a code in consecutive years\n"
    "  timeline show one participant's codes year by year\n"
    "  lexicon  check a codebook (lint), or import a LIWC .dic as YAML\n"
    "  eval     score the codebook against human codes (P, R, F1, kappa)\n"
    "Each command takes --help.\n";

int main(int argc, char **argv)
{
    if (argc < 2 || !strcmp(argv[1], "--help") || !strcmp(argv[1], "-h")) {
        fputs(main_help, argc < 2 ? stderr : stdout);
        return argc < 2 ? 2 : 0;
    }
    const char *cmd = argv[1];
    argv++;
    argc--;
    if (!strcmp(cmd, "code")) return cmd_code(argc, argv);
    if (!strcmp(cmd, "index")) return cmd_index(argc, argv);
    if (!strcmp(cmd, "seal")) return cmd_seal(argc, argv);
    if (!strcmp(cmd, "merge")) return cmd_merge(argc, argv);
    if (!strcmp(cmd, "quotes")) return cmd_quotes(argc, argv);
    if (!strcmp(cmd, "table")) return cmd_table(argc, argv);
    if (!strcmp(cmd, "cooccur")) return cmd_cooccur(argc, argv);
    if (!strcmp(cmd, "streaks")) return cmd_streaks(argc, argv);
    if (!strcmp(cmd, "timeline")) return cmd_timeline(argc, argv);
    if (!strcmp(cmd, "lexicon")) return cmd_lexicon(argc, argv);
    if (!strcmp(cmd, "eval")) return cmd_eval(argc, argv);
    fprintf(stderr, "%s: unknown command '%s'\n%s", prog, cmd, main_help);
    return 2;
}

